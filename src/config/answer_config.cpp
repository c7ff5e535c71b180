// [[profile]] answer = "templates/ks.cfg" (or a list of files) and installer:
// the files read with the config, and the installer that fetches them. Their
// Mustache syntax and variables are boot's to check (boot/answers.hpp).
#include <algorithm>
#include <cctype>

#include "config/sections.hpp"

namespace pxed::config {
namespace {

// An answer file is a page or two; a bigger one is some other file named by mistake.
constexpr std::uintmax_t kMaxAnswerBytes = 1 << 20;

struct InstallerName {
  Installer installer;
  std::string_view name;
};
constexpr InstallerName kInstallers[] = {
    {Installer::debian_installer, "debian-installer"},  // preseed: Debian, and Ubuntu before 20.04
    {Installer::anaconda, "anaconda"},                  // kickstart: RHEL, CentOS, Rocky, Alma, Fedora
    {Installer::subiquity, "subiquity"},                // autoinstall (cloud-init nocloud): Ubuntu 20.04+
    {Installer::autoyast, "autoyast"},                  // SUSE, openSUSE
    {Installer::windows, "windows"},                    // autounattend.xml (Windows Setup)
};

std::string lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return out;
}

std::string installer_list() {
  std::string out;
  for (const auto& i : kInstallers) out += (out.empty() ? "" : ", ") + in_quotes(i.name);
  return out;
}

void read_one(Checker& c, const Field& f, const std::string& written, Profile& p) {
  if (written.empty()) return c.fail(f, "must not be empty");
  std::filesystem::path path(written);
  path = (path.is_absolute() ? path : c.base_dir / path).lexically_normal();
  const std::string name = path.filename().string();
  if (name.empty() || name == "." || name == "..") return c.fail(f, in_quotes(written) + " names no file");
  for (const auto& other : p.answers) {
    if (other.name == name) {
      return c.fail(f, in_quotes(written) + ": this profile already has an answer file named " + in_quotes(name) +
                           " (" + other.path.string() + "); each is served by its name");
    }
  }
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxAnswerBytes) {
    return c.fail(f, path.string() + " is " + std::to_string(size) + " bytes: an answer file is at most 1 MiB");
  }
  auto text = read_whole_file(path);
  if (!text) return c.fail(f, "cannot read " + path.string() + ": " + text.error());
  p.answers.push_back(AnswerTemplate{name, path, std::move(*text), f.line()});
}

}  // namespace

std::string_view to_string(Installer installer) {
  for (const auto& i : kInstallers) {
    if (i.installer == installer) return i.name;
  }
  return "";
}

std::optional<Installer> installer_named(std::string_view name) {
  for (const auto& i : kInstallers) {
    if (i.name == name) return i.installer;
  }
  return std::nullopt;
}

Installer installer_of_file(std::string_view file_name) {
  const auto n = lower(file_name);
  if (n.starts_with("preseed")) return Installer::debian_installer;
  if (n == "user-data") return Installer::subiquity;
  if (n == "autounattend.xml" || n == "unattend.xml") return Installer::windows;
  if (n.starts_with("autoinst") || n.starts_with("autoyast")) return Installer::autoyast;
  if (n.starts_with("ks") || n.find("kickstart") != std::string::npos) return Installer::anaconda;
  return Installer::none;
}

void read_answers(Checker& c, const Field& f, Profile& p) {
  if (f.value.is_string()) return read_one(c, f, f.value.as_string().str, p);
  if (!f.value.is_array()) {
    return c.fail(f, "must be a template file, like \"templates/ks.cfg\", or a list of them (the first is the one "
                     "the installer is pointed at), got " + std::string(type_name(f.value)));
  }
  const auto& items = f.value.as_array();
  if (items.empty()) return c.fail(f, "must name at least one file");
  for (std::size_t i = 0; i < items.size(); ++i) {
    Field item{f.key, items[i]};
    if (!items[i].is_string()) {
      c.fail(item, "element " + std::to_string(i + 1) + " must be a string, got " + std::string(type_name(items[i])));
    } else {
      read_one(c, item, items[i].as_string().str, p);
    }
  }
}

void read_installer(Checker& c, const Field& f, Profile& p) {
  auto text = string_of(c, f, "an installer's name");
  if (!text) return;
  auto installer = installer_named(*text);
  if (!installer) return c.fail(f, "must be one of " + installer_list() + "; got " + in_quotes(*text));
  p.installer = *installer;
}

void check_answers(Checker& c, const Field& table, Profile& p) {
  const auto& keys = table.value.as_table();
  const bool has_answer = keys.contains("answer");
  if (keys.contains("installer") && !has_answer) {
    c.fail(key_line(table, "installer"), "profile.installer", "only a profile with an answer file takes installer");
  }
  if (!has_answer) return;
  if (p.kind != ProfileKind::linux && p.kind != ProfileKind::image) {
    return c.fail(key_line(table, "answer"), "profile.answer",
                  "only a profile with a kernel or an image takes answer: the installer it boots fetches the file");
  }
  if (p.installer != Installer::none || p.answers.empty() || keys.contains("installer")) return;
  p.installer = installer_of_file(p.answers.front().name);
  if (p.installer == Installer::none) {
    c.fail(key_line(table, "answer"), "profile.answer",
           "which installer reads " + in_quotes(p.answers.front().name) + "? name it with installer = one of " +
               installer_list());
  }
}

}  // namespace pxed::config
