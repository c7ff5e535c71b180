#pragma once
// Answer-file templates (kickstart, preseed, autoinstall, AutoYaST,
// autounattend.xml): Mustache, rendered with one machine's values. Pure: the
// template's text and the values in, the file or every problem (file:line) out.
//
// {{name}} is a variable: it must be one the machine has (values_of), else
// the render fails naming the line, so a typo never installs a machine with
// an empty password hash. {{#name}}...{{/name}} and {{^name}}...{{/name}}
// test whether the machine has a non-empty value: a missing one is false.
// Values are written as they are, except in a *.xml template, where {{name}}
// escapes & < > " ' (and {{{name}}} does not).
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace pxed::boot {

struct TemplateError {
  std::string file;        // as the config names it
  std::uint32_t line = 0;  // 1-based; 0 when it has none
  std::string message;
  bool unknown_variable = false;  // the machine lacks a value; the rest are the template's own syntax
  // "templates/ks.cfg:12: unknown variable {{rootpw}}"
  std::string to_string() const;
};

enum class Escape { none, xml };
// By the file's name: *.xml templates escape for XML, the rest write values as they are.
Escape escape_for(std::string_view file);

// The variables the template's tags name ({{x}}, {{{x}}}, {{&x}}, and section
// names), sorted, once each: what `pxed template render` shows with their values.
std::vector<std::string> names_used(std::string_view text);

std::expected<std::string, std::vector<TemplateError>> render_template(std::string_view file, std::string_view text,
                                                                       const config::Vars& values);

}  // namespace pxed::boot
