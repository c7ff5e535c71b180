// Rules across the inventory, once every table is read: each profile that a
// group, machine, menu or [boot] default names exists, and no menu holds itself.
#include <algorithm>
#include <map>

#include "config/sections.hpp"

namespace pxed::config {
namespace {

char lower(char ch) { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch; }

bool same_ignoring_case(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, {}, lower, lower);
}

// Levenshtein, ignoring case: insertions, deletions and substitutions, one row at a time.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t substitute = diagonal + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Declared names in file order, then the built-in "local".
std::vector<std::string_view> known_names(const Inventory& inventory) {
  std::vector<std::string_view> names;
  for (const auto& p : inventory.profiles) names.push_back(p.name);
  names.push_back(kLocalProfile);
  return names;
}

std::string unknown_profile(std::string_view name, const Inventory& inventory) {
  const auto names = known_names(inventory);
  // A slip of case first, then the closest spelling within two edits (case aside).
  auto guess = std::ranges::find_if(names, [&](auto n) { return same_ignoring_case(n, name); });
  if (guess == names.end()) {
    std::size_t best = 3;
    for (auto it = names.begin(); it != names.end(); ++it) {
      if (auto d = edit_distance(name, *it); d < best) {
        best = d;
        guess = it;
      }
    }
  }
  const std::string head = "unknown profile " + in_quotes(name);
  if (guess != names.end()) return head + "; did you mean " + in_quotes(*guess) + "?";
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

const Profile* Inventory::find_profile(std::string_view name) const {
  auto it = std::ranges::find(profiles, name, &Profile::name);
  return it == profiles.end() ? nullptr : &*it;
}

void check_inventory(Checker& c, const Config& cfg) {
  const Inventory& inventory = cfg.inventory;
  check_reference(c, inventory, cfg.boot.default_profile, cfg.boot.default_line, "boot.default");
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
