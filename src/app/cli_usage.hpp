#pragma once
// A command line CLI11 refuses: its message, "did you mean" for a misspelt
// subcommand, and pxed's exit code for bad usage. CLI11's own codes (106 for
// a missing option, 109 for an unexpected argument, ...) are its internals;
// scripts and systemd get pxed's three: 0 ok, 1 runtime failure, 2 bad usage
// or bad config.
#include <CLI/CLI.hpp>
#include <optional>
#include <ostream>
#include <span>
#include <string>

namespace pxed::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitUsage = 2;  // bad usage or bad config

// The first word of `args` (argv without the program) that is neither a
// subcommand where one is expected, an option nor an option's value, as
// "pxed iso: no subcommand "lss"; did you mean "ls"?", or a long option the
// subcommand does not have ("pxed serve: no option --confg; did you mean
// --config?"); nullopt when the words are known or nothing like known ones.
std::optional<std::string> subcommand_hint(const CLI::App& cli, std::span<const std::string> args);

// After cli.parse threw: CLI11's message (or the help, or the version), the
// hint, and 0 for --help/--version, kExitUsage for everything else.
int usage_exit(const CLI::App& cli, const CLI::ParseError& e, std::span<const std::string> args, std::ostream& err);

}  // namespace pxed::app
