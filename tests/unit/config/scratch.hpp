#pragma once
// A scratch directory and result helpers shared by the config tests.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace pxed::config {

// A fresh directory with a `root/` folder in it, removed when the test ends,
// so files.root can point at something real.
class Scratch {
 public:
  Scratch() {
    std::random_device random;
    dir_ = std::filesystem::temp_directory_path() /
           ("pxed-config-test-" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(dir_ / "root");
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path root() const { return dir_ / "root"; }
  std::string name() const { return (dir_ / "pxed.toml").string(); }
  // Two lines: "[files]" and "root = ...", so the caller's text starts on line 3.
  std::string files_section() const { return "[files]\nroot = \"" + root().string() + "\"\n"; }

  auto parse(const std::string& text) const { return config::parse(text, name()); }
  auto parse_with_root(const std::string& text) const { return parse(files_section() + text); }

  // Every problem parse_with_root finds, as "line: key: message" (the file name dropped).
  std::vector<std::string> problems(const std::string& text) const {
    auto result = parse_with_root(text);
    std::vector<std::string> out;
    if (result) return out;
    for (const auto& e : result.error()) {
      std::string line = e.to_string();
      out.push_back(line.starts_with(name() + ":") ? line.substr(name().size() + 1) : line);
    }
    return out;
  }

 private:
  std::filesystem::path dir_;
};

inline std::vector<ConfigError> errors_of(const std::expected<Config, std::vector<ConfigError>>& result) {
  return result ? std::vector<ConfigError>{} : result.error();
}

inline std::string describe(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const auto& e : errors) out += e.to_string() + "\n";
  return out;
}

// The one error a result must hold; fails the test (and returns an empty error) otherwise.
inline ConfigError only_error(const std::expected<Config, std::vector<ConfigError>>& result) {
  auto errors = errors_of(result);
  EXPECT_EQ(errors.size(), 1u) << describe(errors);
  return errors.empty() ? ConfigError{} : errors.front();
}

}  // namespace pxed::config
