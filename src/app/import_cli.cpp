#include "app/import_cli.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <system_error>

#include "import/dnsmasq.hpp"

namespace pxed::app {
namespace {

std::expected<std::string, std::string> read_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return std::unexpected(std::string("a directory, not a file"));
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(std::string(std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::unexpected(std::string(std::strerror(errno)));
  return text.str();
}

// dnsmasq reads only regular files of a conf-dir (symlinks to them included).
std::expected<std::vector<std::string>, std::string> list_dir(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> names;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_regular_file(type_ec)) names.push_back(it->path().filename().string());
  }
  if (ec) return std::unexpected(ec.message());
  return names;
}

constexpr const char* kFstab = "/etc/fstab";

// The ISO images mounted now (their loop device's backing file, from sysfs)
// and those fstab mounts at boot. Live mounts first: they win where both name a directory.
std::expected<std::vector<import::LoopMount>, std::string> loop_mounts(const std::string& fstab) {
  std::vector<import::LoopMount> mounts;
  if (auto info = read_file("/proc/self/mountinfo")) {
    mounts = import::loop_mounts_in_mountinfo(*info, "/proc/self/mountinfo",
                                              [](const std::string& loop) -> std::optional<std::string> {
                                                auto text = read_file("/sys/block/" + loop + "/loop/backing_file");
                                                if (!text) return std::nullopt;
                                                while (text->ends_with('\n')) text->pop_back();
                                                return *text;
                                              });
  }
  auto text = read_file(fstab.empty() ? kFstab : fstab);
  if (!text) {
    if (fstab.empty()) return mounts;
    return std::unexpected(fstab + ": " + text.error());
  }
  auto listed = import::loop_mounts_in_fstab(*text, fstab.empty() ? kFstab : fstab);
  mounts.insert(mounts.end(), listed.begin(), listed.end());
  return mounts;
}

}  // namespace

int import_dnsmasq(const ImportArgs& args, std::ostream& out, std::ostream& err) {
  std::error_code ec;
  if (!args.output.empty() && !args.force && std::filesystem::symlink_status(args.output, ec).type() !=
                                                   std::filesystem::file_type::not_found) {
    err << args.output << ": exists; add --force to replace it\n";
    return 2;
  }
  auto loops = loop_mounts(args.fstab);
  if (!loops) {
    err << loops.error() << "\n";
    return 1;
  }
  auto result = import::import_dnsmasq(import::ImportInputs{args.file, args.nginx, std::move(*loops)}, {read_file, list_dir});
  if (!result) {
    err << result.error() << "\n";
    return 1;
  }
  for (const auto& n : result->notes) err << n.to_string() << "\n";
  if (args.output.empty()) {
    out << result->toml;
    return 0;
  }
  // Written beside the target and renamed over it: an interrupted import
  // never leaves half a config where pxed would read it.
  const std::string tmp = args.output + ".pxed-import.tmp";
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    file << result->toml;
    file.flush();
    if (!file) {
      err << tmp << ": cannot write: " << std::strerror(errno) << "\n";
      std::filesystem::remove(tmp, ec);
      return 1;
    }
  }
  std::filesystem::rename(tmp, args.output, ec);
  if (ec) {
    err << args.output << ": cannot write: " << ec.message() << "\n";
    std::filesystem::remove(tmp, ec);
    return 1;
  }
  err << args.output << ": written from " << args.file << (args.nginx.empty() ? "" : " and " + args.nginx) << " (" << result->notes.size() << " note"
      << (result->notes.size() == 1 ? "" : "s") << " above); check it with `pxed check -c " << args.output << "`\n";
  return 0;
}

}  // namespace pxed::app
