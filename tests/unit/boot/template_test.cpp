#include "boot/template.hpp"

#include <gtest/gtest.h>

namespace pxed::boot {
namespace {

const config::Vars kValues{{"name", "db-03"}, {"disk", "sda"}, {"password", "a&b<c>\"d'"}, {"empty", ""}};

std::string rendered(std::string_view file, std::string_view text, const config::Vars& values = kValues) {
  auto out = render_template(file, text, values);
  EXPECT_TRUE(out.has_value()) << (out ? "" : out.error().front().to_string());
  return out.value_or("");
}

std::vector<std::string> errors(std::string_view file, std::string_view text, const config::Vars& values = kValues) {
  auto out = render_template(file, text, values);
  EXPECT_FALSE(out.has_value());
  std::vector<std::string> lines;
  if (!out) {
    for (const auto& e : out.error()) lines.push_back(e.to_string());
  }
  return lines;
}

TEST(Template, WritesVariablesAsTheyAreOutsideXml) {
  EXPECT_EQ(rendered("ks.cfg", "rootpw --iscrypted {{password}}\nhostname {{ name }}\n"),
            "rootpw --iscrypted a&b<c>\"d'\nhostname db-03\n");
}

TEST(Template, EscapesVariablesForXmlButNotTripleBraces) {
  EXPECT_EQ(rendered("autounattend.xml", "<p>{{password}}</p><q>{{{password}}}</q><r>{{&password}}</r>"),
            "<p>a&amp;b&lt;c&gt;&quot;d&apos;</p><q>a&b<c>\"d'</q><r>a&b<c>\"d'</r>");
  EXPECT_EQ(escape_for("AutoYaST.XML"), Escape::xml);
  EXPECT_EQ(escape_for("preseed.cfg"), Escape::none);
}

TEST(Template, UnknownVariableIsAnErrorWithItsLine) {
  EXPECT_EQ(errors("templates/ks.cfg", "a\nb {{disk}}\nc {{rootpw}}\n{{rootpw}}\n"),
            std::vector<std::string>{"templates/ks.cfg:3: unknown variable {{rootpw}}: not a built-in, nor in the vars "
                                     "of this machine, its group or its profile"});
}

TEST(Template, UnknownVariableInASectionNotTakenIsStillAnError) {
  auto e = errors("ks.cfg", "{{#empty}}\n{{typo}}\n{{/empty}}\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_TRUE(e[0].starts_with("ks.cfg:2: unknown variable {{typo}}")) << e[0];
}

TEST(Template, SectionsTestWhetherTheMachineHasAValue) {
  EXPECT_EQ(rendered("ks.cfg", "{{#disk}}disk {{disk}}\n{{/disk}}{{#empty}}never\n{{/empty}}{{#ssh_key}}no key\n{{/ssh_key}}"
                               "{{^ssh_key}}no key given\n{{/ssh_key}}"),
            "disk sda\nno key given\n");
}

TEST(Template, UnclosedSectionNamesItsLine) {
  EXPECT_EQ(errors("preseed.cfg", "d-i a b\n\n{{#disk}}\nd-i c\n"),
            std::vector<std::string>{"preseed.cfg:3: unclosed section 'disk'"});
}

TEST(Template, UnopenedSectionAndUnclosedTagNameTheirLines) {
  EXPECT_EQ(errors("x.cfg", "a\n{{/disk}}\n"), std::vector<std::string>{"x.cfg:2: unopened section 'disk'"});
  EXPECT_EQ(errors("x.cfg", "a\nb\nc {{name\n"), std::vector<std::string>{"x.cfg:3: unclosed tag"});
}

TEST(Template, PartialsAreRefused) {
  auto e = errors("x.cfg", "\n{{> common}}\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_TRUE(e[0].starts_with("x.cfg:2: {{>common}}: partials are not supported")) << e[0];
}

TEST(Template, CustomDelimitersStillFindUnknownVariables) {
  // kainjow 4.1 keeps the line a set-delimiter tag stood on (the spec would drop it).
  EXPECT_EQ(rendered("user-data", "{{=<% %>=}}\njinja: {{ x }} host <% name %>\n"), "\njinja: {{ x }} host db-03\n");
  auto e = errors("user-data", "{{=<% %>=}}\n\nhost <% nmae %>\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_TRUE(e[0].starts_with("user-data:3: unknown variable nmae")) << e[0];
}

TEST(Template, NamesUsedAreSortedOnce) {
  EXPECT_EQ(names_used("{{name}} {{#disk}}{{disk}}{{/disk}} {{! comment }} {{{name}}} {{.}}"),
            (std::vector<std::string>{"disk", "name"}));
}

}  // namespace
}  // namespace pxed::boot
