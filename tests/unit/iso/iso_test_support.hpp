#pragma once
// Real ISO images for the iso tests: built by xorriso from a temporary tree,
// read back through an in-memory ReadAt.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "iso/image.hpp"
#include "support/test_support.hpp"

namespace pxed::iso::testing {

namespace fs = std::filesystem;

using test::TempDir;

inline bool have_xorriso() { return std::system("xorriso -version >/dev/null 2>&1") == 0; }

inline void write_file(const fs::path& path, std::string_view content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

// Deterministic pseudo-random bytes, so a failure reproduces.
inline std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(gen() & 0xFF);
  return s;
}

inline std::vector<std::byte> read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(chars.size());
  std::memcpy(out.data(), chars.data(), chars.size());
  return out;
}

// Runs `xorriso -as mkisofs <flags> -o <iso> <tree>`; empty vector on failure.
inline std::vector<std::byte> make_iso(const fs::path& tree, const fs::path& iso,
                                       const std::string& flags) {
  std::string cmd = "xorriso -as mkisofs " + flags + " -o '" + iso.string() + "' '" +
                    tree.string() + "' >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return {};
  return read_all(iso);
}

// Runs native `xorriso -outdev <iso> <options> -map <tree> /` for what
// mkisofs emulation cannot ask for; empty vector on failure.
inline std::vector<std::byte> make_iso_native(const fs::path& tree, const fs::path& iso,
                                              const std::string& options) {
  std::string cmd = "xorriso -outdev '" + iso.string() + "' " + options + " -map '" +
                    tree.string() + "' / >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return {};
  return read_all(iso);
}

// An in-memory image; the vector must outlive the ReadAt.
inline ReadAt memory_reader(const std::vector<std::byte>& image) {
  return [&image](std::span<std::byte> out, std::uint64_t offset) -> std::expected<std::size_t, int> {
    if (offset >= image.size()) return 0;
    std::size_t n = std::min<std::uint64_t>(out.size(), image.size() - offset);
    std::memcpy(out.data(), image.data() + offset, n);
    return n;
  };
}

// The bytes a file's extents name, concatenated: what HTTP would sendfile().
inline std::string extent_bytes(const std::vector<std::byte>& image, const Entry& entry) {
  std::string out;
  for (const Extent& e : entry.extents) {
    if (e.offset + e.length > image.size()) throw std::runtime_error("extent outside image");
    out.append(reinterpret_cast<const char*>(image.data()) + e.offset, e.length);
  }
  return out;
}

// sha256 by the coreutils tool, so the test does not trust our own code twice.
inline std::string sha256_of_file(const fs::path& path) {
  std::string cmd = "sha256sum '" + path.string() + "'";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen sha256sum failed");
  std::array<char, 65> digest{};
  std::size_t n = std::fread(digest.data(), 1, 64, pipe);
  ::pclose(pipe);
  if (n != 64) throw std::runtime_error("sha256sum failed for " + path.string());
  return std::string(digest.data(), 64);
}

inline std::string sha256_of(std::string_view bytes, const fs::path& scratch) {
  write_file(scratch, bytes);
  return sha256_of_file(scratch);
}

#define PXED_REQUIRE_XORRISO() \
  if (!::pxed::iso::testing::have_xorriso()) GTEST_SKIP() << "xorriso not installed"

}  // namespace pxed::iso::testing
