// Rules across the inventory, once every table is read: each profile that a
// group, machine, menu or [boot] default names exists, and no menu holds itself.
// The inventory may be in a file of its own: [boot] default's problem is then
// pxed.toml's, the others the inventory file's, so each has its own Checker.
#include <algorithm>
#include <map>

#include "config/sections.hpp"
#include "core/suggest.hpp"

namespace pxed::config {
namespace {

// Declared names in file order, then the built-in "local".
std::vector<std::string_view> known_names(const Inventory& inventory) {
  std::vector<std::string_view> names;
  for (const auto& p : inventory.profiles) names.push_back(p.name);
  names.push_back(kLocalProfile);
  return names;
}

std::string unknown_profile(std::string_view name, const Inventory& inventory) {
  const auto names = known_names(inventory);
  const std::vector<std::string> candidates(names.begin(), names.end());
  const std::string head = "unknown profile " + in_quotes(name);
  if (auto guess = core::nearest(name, candidates)) return head + "; did you mean " + in_quotes(*guess) + "?";
  std::string list;
  for (auto n : names) list += (list.empty() ? "" : ", ") + std::string(n);
  return head + "; known profiles: " + list;
}

// "iso:<name>" names an image identified in files.iso_dir, which may arrive
// while pxed runs: resolve decides then, so it is not an error here.
bool exists(std::string_view name, const Inventory& inventory) {
  return name == kLocalProfile || name.starts_with("iso:") || inventory.find_profile(name);
}

void check_reference(Checker& c, const Inventory& inventory, std::string_view name,
                     std::uint32_t line, const std::string& key) {
  if (name == kAllImages && key != "profile.menu") {
    return c.fail(line, key, "\"iso:*\" (every image) is for a menu's items; name one image, like \"iso:debian-12\"");
  }
  if (!name.empty() && !exists(name, inventory)) {
    c.fail(line, key, unknown_profile(name, inventory));
  }
}

// Depth-first through menus in file order: a menu met again while it is still
// open closes a cycle, reported once, at the menu it starts from.
class MenuCycles {
 public:
  MenuCycles(Checker& c, const Inventory& inventory) : c_(c), inventory_(inventory) {}

  void visit(const Profile& menu) {
    state_[menu.name] = State::open;
    path_.push_back(&menu);
    for (const auto& item : menu.menu) {
      const Profile* next = inventory_.find_profile(item);
      if (next == nullptr || next->kind != ProfileKind::menu) continue;
      const State state = state_[next->name];
      if (state == State::open) report(*next);
      if (state == State::unseen) visit(*next);
    }
    path_.pop_back();
    state_[menu.name] = State::done;
  }

  bool seen(const Profile& p) { return state_[p.name] != State::unseen; }

 private:
  enum class State { unseen, open, done };

  void report(const Profile& start) {
    std::string cycle;
    auto from = std::ranges::find(path_, &start);
    for (auto it = from; it != path_.end(); ++it) cycle += (*it)->name + " -> ";
    c_.fail(c_.line_in_item("profile.menu", start.line), "profile.menu",
            "menu " + in_quotes(start.name) + " contains itself: " + cycle + start.name);
  }

  Checker& c_;
  const Inventory& inventory_;
  std::map<std::string_view, State> state_;
  std::vector<const Profile*> path_;
};

}  // namespace

std::string Inventory::profile_names() const {
  std::string names(kLocalProfile);
  for (const auto& p : profiles) names += ", " + p.name;
  return names;
}

const Profile* Inventory::find_profile(std::string_view name) const {
  auto it = std::ranges::find(profiles, name, &Profile::name);
  return it == profiles.end() ? nullptr : &*it;
}

void check_default_profile(Checker& c, const Config& cfg) {
  check_reference(c, cfg.inventory, cfg.boot.default_profile, cfg.boot.default_line,
                  "boot.default");
}

void check_inventory(Checker& c, const Config& cfg) {
  const Inventory& inventory = cfg.inventory;
  for (const auto& p : inventory.profiles) {
    for (const auto& item : p.menu) {
      check_reference(c, inventory, item, c.line_in_item("profile.menu", p.line), "profile.menu");
    }
  }
  for (const auto& g : inventory.groups) {
    check_reference(c, inventory, g.profile, c.line_in_item("group.profile", g.line),
                    "group.profile");
  }
  for (const auto& m : inventory.machines) {
    check_reference(c, inventory, m.profile, c.line_in_item("machine.profile", m.line),
                    "machine.profile");
  }
  MenuCycles cycles(c, inventory);
  for (const auto& p : inventory.profiles) {
    if (p.kind == ProfileKind::menu && !cycles.seen(p)) cycles.visit(p);
  }
}

}  // namespace pxed::config
