// Rules 3 and 4 of recipe_for (recipe.hpp): an unknown image boots from its
// own boot menu, its arguments that look for a CD replaced by the image's
// URL; failing that, the image boots as a disk.
#include <algorithm>
#include <array>

#include "osid/boot_config.hpp"
#include "osid/recipe_support.hpp"

namespace pxed::osid {
namespace recipe_detail {
namespace {

std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) out.emplace_back(text.substr(start, i - start));
  }
  return out;
}

bool starts_with_any(std::string_view word, std::initializer_list<std::string_view> prefixes) {
  for (auto p : prefixes)
    if (word.starts_with(p)) return true;
  return false;
}

// A menu's path for a file, as a path in the image: relative to the menu's
// directory unless it starts with '/'.
std::string image_path(const BootConfig& menu, std::string_view path) {
  if (path.starts_with('/')) return std::string(path.substr(1));
  return menu.directory.empty() ? std::string(path) : menu.directory + "/" + std::string(path);
}

struct Rewritten {
  std::string args;
  std::vector<std::string> notes;  // "dropped cdrom-detect/try-usb=true", ...
  bool network = false;            // the arguments now name a network source
};

// The menu's arguments with every one that finds the image on a local device
// (a CD label, a loop file on a disk) dropped or pointed at the image's URL,
// and the network source of the family the arguments reveal added.
Rewritten rewrite(const Context& c, std::string_view args, std::string_view kernel) {
  Rewritten out;
  std::vector<std::string> kept;
  bool live_root = false, stage2 = false, repo = false, suse = false, alpine = false;
  for (auto& word : words_of(args)) {
    auto drop = [&](std::string_view why) { out.notes.push_back("dropped " + word + " (" + std::string(why) + ")"); };
    if (starts_with_any(word, {"cdrom-detect/", "iso-scan/", "findiso=", "fromiso=", "img_loop=", "img_dev=",
                               "isoloop=", "archisolabel=", "archisodevice=", "archisosearchuuid=",
                               "archisosearchfilename=", "live-media=", "alpine_dev=", "inst.stage2=hd:",
                               "inst.stage2=cdrom", "stage2=hd:", "inst.repo=cdrom", "inst.repo=hd:",
                               "repo=cdrom", "repo=hd:", "install=cd:", "install=hd:", "install=cdrom"})) {
      stage2 |= word.starts_with("inst.stage2=") || word.starts_with("stage2=");
      repo |= word.starts_with("inst.repo=") || word.starts_with("repo=");
      suse |= word.starts_with("install=");
      alpine |= word.starts_with("alpine_dev=");
      drop("finds the image on a local device");
    } else if (word.starts_with("root=live:") && !word.starts_with("root=live:http")) {
      out.notes.push_back(word + " -> root=live:<image URL>");
      kept.push_back("root=live:" + c.image.image_url);
      live_root = true;
    } else if (word.starts_with("modloop=/")) {
      kept.push_back("modloop=" + c.url(word.substr(9)));
      alpine = true;
    } else if (word.find("${") != std::string::npos) {
      drop("a boot loader variable pxed cannot know");
    } else {
      kept.push_back(word);
    }
  }
  std::string joined;
  for (const auto& w : kept) joined += (joined.empty() ? "" : " ") + w;
  std::string more;
  auto has = [&](std::string_view prefix) { return has_arg(joined, prefix) || has_arg(more, prefix); };
  auto add = [&](const std::string& arg) {
    if (has(arg)) return;
    more += (more.empty() ? "" : " ") + arg;
    out.notes.push_back("added " + arg);
  };
  if (live_root) add("rd.live.image");
  if (stage2) add("inst.stage2=" + c.image.base_url);
  if (repo) add("inst.repo=" + c.image.base_url);
  if (suse) add("install=" + c.image.base_url);
  if ((kernel.starts_with("casper/") || has("boot=casper")) && !has("url=")) add("url=" + c.image.image_url);
  if (has("boot=live") && !has("fetch="))
    if (auto squashfs = locate(c.files, "live/filesystem.squashfs")) add("fetch=" + c.url(*squashfs));
  if (has("archisobasedir=") && !has("archiso_http_srv=")) add("archiso_http_srv=" + c.image.base_url);
  if (alpine && !has("alpine_repo=")) add("alpine_repo=" + c.url("apks"));
  out.network = has("url=") || has("fetch=") || has("archiso_http_srv=") || has("inst.repo=http") ||
                has("inst.stage2=http") || has("install=http") || has("root=live:http") || has("alpine_repo=http");
  // Every one of those needs the network up in the initrd.
  if (out.network && !has("ip=")) add("ip=dhcp");
  out.args = with_args(joined, more);
  return out;
}

struct Menu {
  std::string_view path;
  bool grub;
};

// loopback.cfg first: it is written to boot the image's files from outside
// the image (GRUB's loopback), the nearest to what a network boot does.
constexpr std::array kMenus{
    Menu{"boot/grub/loopback.cfg", true},  Menu{"isolinux/isolinux.cfg", false},
    Menu{"isolinux.cfg", false},           Menu{"boot/isolinux/isolinux.cfg", false},
    Menu{"syslinux/syslinux.cfg", false},  Menu{"syslinux.cfg", false},
    Menu{"boot/syslinux/syslinux.cfg", false}, Menu{"boot/grub/grub.cfg", true},
    Menu{"boot/grub2/grub.cfg", true},     Menu{"EFI/BOOT/grub.cfg", true},
};

}  // namespace

std::string with_args(std::string_view args, std::string_view more) {
  if (more.empty()) return std::string(args);
  auto words = words_of(args);
  const auto separator = std::ranges::find_if(words, [](const std::string& w) { return w == "---" || w == "--"; });
  words.insert(separator, std::string(more));
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

bool has_arg(std::string_view args, std::string_view prefix) {
  for (const auto& w : words_of(args))
    if (w.starts_with(prefix)) return true;
  return false;
}

std::optional<Recipe> from_boot_menu(const Context& c, std::string& why_not) {
  std::vector<std::string> problems;
  for (const Menu& m : kMenus) {
    const auto path = locate(c.files, m.path);
    if (!path) continue;
    const auto text = c.files.read(*path, kMaxBootConfigBytes);
    if (!text) {
      problems.push_back(*path + ": unreadable or larger than " + std::to_string(kMaxBootConfigBytes) + " bytes");
      continue;
    }
    const IncludeReader include = [&](std::string_view name) -> std::optional<std::string> {
      const auto found = locate(c.files, name);
      return found ? c.files.read(*found, kMaxBootConfigBytes) : std::nullopt;
    };
    const BootConfig menu = m.grub ? parse_grub(*text, *path) : parse_syslinux(*text, *path, include);
    if (menu.entries.empty()) {
      std::string p = *path + ": no Linux entry";
      if (!menu.problems.empty()) p += " (" + menu.problems.front() + ")";
      problems.push_back(p);
      continue;
    }
    // The default entry first, then the others in menu order.
    std::vector<std::size_t> order{menu.default_entry};
    for (std::size_t i = 0; i < menu.entries.size(); ++i)
      if (i != menu.default_entry) order.push_back(i);
    std::string first_miss;
    for (const std::size_t i : order) {
      const ConfigEntry& entry = menu.entries[i];
      const auto kernel = locate(c.files, image_path(menu, entry.kernel));
      std::vector<std::string> initrds;
      // Quoted: a path may be empty ("linux /" names the image's root).
      std::optional<std::string> missing;
      if (!kernel) missing = "\"" + image_path(menu, entry.kernel) + "\"";
      for (const auto& one : entry.initrd) {
        if (auto found = locate(c.files, image_path(menu, one))) initrds.push_back(*found);
        else if (!missing) missing = "\"" + image_path(menu, one) + "\"";
      }
      if (missing) {
        if (first_miss.empty()) first_miss = "entry \"" + entry.title + "\" names " + *missing + ", not in the image";
        continue;
      }
      const Rewritten args = rewrite(c, entry.args, *kernel);
      Recipe r;
      r.method = BootMethod::linux;
      r.rule = m.grub ? "grub-menu" : "syslinux-menu";
      r.label = c.name() + " (" + entry.title + ")";
      r.kernel = c.url(*kernel);
      for (const auto& one : initrds) r.initrd.push_back({c.url(one), ""});
      r.args = args.args;
      r.reason = "the image's " + *path + ": entry \"" + entry.title + "\" (" +
                 (i == menu.default_entry ? menu.default_because : "the default's files are missing") + ")";
      for (const auto& note : args.notes) r.reason += "; " + note;
      if (!args.network)
        r.caveats.push_back("its arguments name no network source: it boots if its initrd holds all it needs");
      return r;
    }
    problems.push_back(*path + ": " + first_miss);
  }
  why_not = problems.empty() ? "no boot menu (isolinux.cfg, syslinux.cfg, grub.cfg, loopback.cfg) in the image"
                             : "boot menus: ";
  for (std::size_t i = 0; i < problems.size(); ++i) why_not += (i ? "; " : "") + problems[i];
  return std::nullopt;
}

Recipe last_resort(const Context& c, std::string why) {
  Recipe r;
  r.label = c.name();
  if (c.image.image_url.empty()) {
    r.reason = why + "and the image has no URL to boot it as a disk";
    return r;
  }
  const bool small = c.image.image_size > 0 && c.image.image_size <= kMaxMemdiskImage;
  if (small && c.options.memdisk_url && c.options.firmware == Firmware::bios) {
    r.method = BootMethod::memdisk;
    r.rule = "memdisk";
    r.kernel = command_line_url(*c.options.memdisk_url);
    r.initrd.push_back({c.image.image_url, ""});
    r.args = "iso raw";
    r.firmware = Firmware::bios;
    r.reason = why + "the image is small: memdisk holds it in RAM as a CD (BIOS only)";
    r.caveats.push_back("an OS that does not find memdisk's disk loses the CD once its kernel starts");
    return r;
  }
  r.method = BootMethod::sanboot;
  r.rule = "sanboot";
  r.kernel = c.image.image_url;
  r.reason = why + "iPXE boots the image as a CD over HTTP (sanboot)";
  r.caveats.push_back("most Linux images lose the CD once their kernel starts");
  if (small && c.options.memdisk_url && c.options.firmware == Firmware::any) {
    // pxelinux cannot sanboot; memdisk (BIOS only) can hold a small image.
    r.memdisk = command_line_url(*c.options.memdisk_url);
    r.reason += "; pxelinux on BIOS loads it whole with memdisk (iso raw): it is small";
    r.caveats.push_back("memdisk holds the whole image in RAM");
  }
  return r;
}

}  // namespace recipe_detail

std::string url_of(std::string_view base_url, std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out(base_url);
  if (!out.empty() && !out.ends_with('/')) out += '/';
  while (path.starts_with('/')) path.remove_prefix(1);
  for (unsigned char ch : path) {
    const bool unreserved = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                            ch == '-' || ch == '.' || ch == '_' || ch == '~' || ch == '/';
    if (unreserved) {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 0x0f];
    }
  }
  return out;
}

std::string command_line_url(std::string_view url) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : url) {
    // '$', '\'', '`' and '\\' too: GRUB and iPXE expand or quote by them.
    const bool bad = ch <= 0x20 || ch >= 0x7f || ch == '"' || ch == '\'' || ch == '$' || ch == '`' || ch == '\\';
    if (bad) {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 0x0f];
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out;
}

}  // namespace pxed::osid
