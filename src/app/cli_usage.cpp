#include "app/cli_usage.hpp"

#include <algorithm>
#include <vector>

#include "core/suggest.hpp"

namespace pxed::app {

std::optional<std::string> subcommand_hint(const CLI::App& cli, std::span<const std::string> args) {
  const CLI::App* at = &cli;
  std::string path = cli.get_name();
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& word = args[i];
    if (word.starts_with("-")) {
      // "-c pxed.toml": the value is no subcommand; "--config=x" carries its own.
      const std::string name = word.substr(0, word.find('='));
      const auto* option = at->get_option_no_throw(name);
      if (option == nullptr && name.starts_with("--")) {
        std::vector<std::string> long_names;
        for (const auto* o : at->get_options()) {
          for (const auto& l : o->get_lnames()) long_names.push_back(l);
        }
        if (auto guess = core::nearest(name.substr(2), long_names)) {
          return path + ": no option " + name + "; did you mean --" + *guess + "?";
        }
      }
      if (option != nullptr && !word.contains('=') && option->get_items_expected_min() > 0) ++i;
      continue;
    }
    const auto subcommands = at->get_subcommands([](const CLI::App*) { return true; });
    if (subcommands.empty()) return std::nullopt;  // a positional argument (iso ls IMAGE)
    auto named = std::ranges::find_if(subcommands, [&](const CLI::App* s) { return s->check_name(word); });
    if (named != subcommands.end()) {
      at = *named;
      path += " " + at->get_name();
      continue;
    }
    std::vector<std::string> names;
    for (const auto* s : subcommands) names.push_back(s->get_name());
    auto guess = core::nearest(word, names);
    if (!guess) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      // Subcommands that are optional (machines reinstall) leave room for positionals.
      if (at->get_require_subcommand_min() == 0) return std::nullopt;
      return path + ": no subcommand \"" + word + "\"; subcommands: " + known;
    }
    return path + ": no subcommand \"" + word + "\"; did you mean \"" + *guess + "\"?";
  }
  return std::nullopt;
}

int usage_exit(const CLI::App& cli, const CLI::ParseError& e, std::span<const std::string> args, std::ostream& err) {
  const int code = cli.exit(e, std::cout, err);
  if (code == 0) return kExitOk;  // --help, --version
  if (auto hint = subcommand_hint(cli, args)) err << *hint << '\n';
  return kExitUsage;
}

}  // namespace pxed::app
