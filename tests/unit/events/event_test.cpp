#include "events/event.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sstream>

namespace pxed::events {
namespace {

core::Mac mac_of(std::string_view text) { return *core::Mac::parse(text); }

TEST(EventKinds, EveryKindHasOneUniqueDottedNameAndHelp) {
  std::set<std::string_view> names;
  for (const auto& k : kinds()) {
    EXPECT_EQ(&info(k.kind), &k);
    EXPECT_TRUE(names.insert(k.name).second) << k.name;
    EXPECT_NE(k.name.find('.'), std::string_view::npos) << k.name;
    EXPECT_FALSE(k.help.empty()) << k.name;
    EXPECT_EQ(kind_named(k.name), k.kind);
  }
  EXPECT_EQ(kind_named("tftp.finished"), std::nullopt);
}

TEST(EventKinds, TheDocsListEveryKind) {
  std::ifstream in(PXED_DOCS "/events.md");
  ASSERT_TRUE(in) << PXED_DOCS "/events.md";
  std::stringstream text;
  text << in.rdbuf();
  for (const auto& k : kinds()) {
    EXPECT_NE(text.str().find("| `" + std::string(k.name) + "` | " + std::string(to_string(k.level)) + " |"),
              std::string::npos)
        << k.name << " is missing from docs/events.md (or its level is wrong there)";
  }
}

TEST(EventKinds, TheDhcpAnswersAreTheKindsThatStandForAReplySent) {
  std::set<std::string_view> answers;
  for (const auto& k : kinds()) {
    if (is_dhcp_answer(k.kind)) answers.insert(k.name);
  }
  EXPECT_EQ(answers, (std::set<std::string_view>{"dhcp.offer", "dhcp.ack", "dhcp.nak", "dhcp.proxy_offer",
                                                 "dhcp.proxy_ack", "dhcp.pxe_ack"}));
}

TEST(EventKinds, LevelsReadBackByName) {
  for (auto level : {Level::debug, Level::info, Level::warn, Level::error}) {
    EXPECT_EQ(level_named(to_string(level)), level);
  }
  EXPECT_EQ(level_named("fatal"), std::nullopt);
}

TEST(Event, TakesTheKindsUsualLevelUnlessTold) {
  EXPECT_EQ(Event{Kind::dhcp_decline}.level, Level::warn);
  EXPECT_EQ(Event{Kind::tftp_done}.level, Level::info);
  EXPECT_EQ((Event{Kind::tftp_done, Level::warn}.level), Level::warn);
}

TEST(Event, TextLineKeepsFieldOrderQuotesWhatNeedsItAndEndsWithTheMachine) {
  Event e{Kind::tftp_done};
  e.add("file", "pxelinux.cfg/default").add("bytes", std::uint64_t{42372}).add("ms", 3.1).add("why", "two words");
  e.add("once", true).about(mac_of("52:54:00:12:34:56"));
  EXPECT_EQ(format_text(e),
            "tftp.done file=pxelinux.cfg/default bytes=42372 ms=3.1 why=\"two words\" once=true "
            "mac=52:54:00:12:34:56");
}

TEST(Event, TextEscapesQuotesAndControlCharacters) {
  Event e{Kind::http_request};
  e.add("path", "/a\"b\n");
  EXPECT_EQ(format_text(e), R"(http.request path="/a\"b\n")");
  e.fields.clear();
  e.add("path", "");
  EXPECT_EQ(format_text(e), R"(http.request path="")");
}

TEST(Event, JsonKeepsNumbersAsNumbers) {
  Event e{Kind::tftp_done};
  e.add("file", "a\"b").add("bytes", 42372).add("ms", 0.5).add("probe", false).about(mac_of("52:54:00:00:00:01"));
  e.time_ms = 1'796'000'000'123;
  auto parsed = nlohmann::json::parse(format_json(e));
  EXPECT_EQ(parsed["event"], "tftp.done");
  EXPECT_EQ(parsed["file"], "a\"b");
  EXPECT_TRUE(parsed["bytes"].is_number_integer());
  EXPECT_EQ(parsed["bytes"], 42372);
  EXPECT_DOUBLE_EQ(parsed["ms"].get<double>(), 0.5);
  EXPECT_EQ(parsed["probe"], false);
  EXPECT_EQ(parsed["mac"], "52:54:00:00:00:01");
  EXPECT_EQ(parsed["level"], "info");
  EXPECT_EQ(parsed["time_ms"], 1'796'000'000'123);
  EXPECT_EQ(parsed["time"], "2026-11-30T00:53:20.123Z");
  // The log's own pattern wraps the fields; they parse inside braces.
  EXPECT_NO_THROW(nlohmann::json::parse("{" + format_json_fields(e) + "}"));
}

TEST(Event, JsonWritesNoNumberJsonCannotRead) {
  Event e{Kind::http_request};
  e.add("ms", std::numeric_limits<double>::infinity());
  EXPECT_TRUE(nlohmann::json::parse("{" + format_json_fields(e) + "}")["ms"].is_null());
}

TEST(Event, FindsFieldsByKey) {
  Event e{Kind::dhcp_ack};
  e.add("result", "selecting").add("ip", "10.0.0.5").add("lease", 3600);
  EXPECT_EQ(e.text("result"), "selecting");
  EXPECT_EQ(e.text("lease"), "");  // a number is no text
  ASSERT_NE(e.find("lease"), nullptr);
  EXPECT_EQ(value_text(*e.find("lease")), "3600");
  EXPECT_EQ(e.find("absent"), nullptr);
}

}  // namespace
}  // namespace pxed::events
