#pragma once
// [server] secrets_file: values answer-file templates use that must not sit
// in pxed.toml (password hashes, keys, join tokens). A TOML file only its
// owner may read (config/private_file.hpp), read once before privileges drop
// (a reload keeps what was read at start), never logged, and hidden by
// `pxed template render` unless --show-secrets:
//
//   [vars]                         # every machine
//   root_password_crypted = "$6$..."
//   [profile.debian-auto]          # machines booting that profile
//   [group.office]                 # machines of that group
//   [machine.db-03]                # one machine, by its name or its MAC
//   [machine."88:99:aa:bb:cc:dd"]
//
// A secret wins over a var of the same name; among secrets a machine's win
// over its group's, a group's over its profile's, a profile's over [vars].
#include <expected>
#include <map>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace pxed::config {

inline constexpr std::size_t kMaxSecretsFile = 1 << 20;

struct Secrets {
  Vars all;
  std::map<std::string, Vars, std::less<>> profile;
  std::map<std::string, Vars, std::less<>> group;
  std::map<std::string, Vars, std::less<>> machine;  // by name or MAC as written ("88:99:aa:bb:cc:dd")
  bool empty() const { return all.empty() && profile.empty() && group.empty() && machine.empty(); }
};

// Empty Secrets when secrets_file is unset; else the file's, or every problem
// (a file others may read, TOML errors, a value that is not a string, a
// section naming no profile, group or machine of the inventory).
std::expected<Secrets, std::vector<ConfigError>> read_secrets(const Config& cfg);

// The same, from text already read; `file` is what errors call it.
std::expected<Secrets, std::vector<ConfigError>> parse_secrets(std::string_view text, const std::string& file,
                                                               const Config& cfg);

}  // namespace pxed::config
