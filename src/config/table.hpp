#pragma once
// A TOML table read against a list of known keys, for sections and for
// arrays of tables ([[dhcp.subnet]]) alike. Internal to the config module.
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/checker.hpp"

namespace pxed::config {

template <class T>
struct Key {
  std::string_view name;
  void (*read)(Checker&, const Field&, T&);
};

template <class T>
std::string key_names(std::span<const Key<T>> keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + std::string(k.name);
  return out;
}

// Reads every key of `table` into `out`; unknown keys are errors that list the
// known ones. `what` names the table in messages: "[[dhcp.subnet]]".
// Returns false when the table had any problem.
template <class T>
bool read_table(Checker& c, const Field& table, std::span<const Key<T>> keys, T& out,
                std::string_view what) {
  if (!table.value.is_table()) {
    c.fail(table, "must be a table (" + std::string(what) + "), got " +
                      std::string(type_name(table.value)));
    return false;
  }
  const auto before = c.errors.size();
  for (const auto& [name, value] : table.value.as_table()) {
    Field f{table.key + "." + name, value};
    auto known = std::ranges::find(keys, std::string_view(name), &Key<T>::name);
    if (known == keys.end()) {
      std::vector<std::string_view> names;
      for (const auto& k : keys) names.push_back(k.name);
      c.fail(f, "unknown key; " + did_you_mean(name, names) + "known keys in " + std::string(what) + ": " +
                    key_names(keys));
      continue;
    }
    c.seen[f.key] = f.line();
    c.item_seen[{f.key, table.line()}] = f.line();
    known->read(c, f, out);
  }
  return c.errors.size() == before;
}

// An array of tables, each read with read_table; `each` gets the items that
// read cleanly, with the table's Field for cross-checks and error lines.
template <class T>
void read_tables(Checker& c, const Field& f, std::span<const Key<T>> keys, std::string_view what,
                 const std::function<void(T&&, const Field&)>& each) {
  if (!expect_type(c, f, toml::value_t::array, "an array of tables (" + std::string(what) + ")")) {
    return;
  }
  for (const auto& item : f.value.as_array()) {
    Field table{f.key, item};
    T value{};
    if (read_table(c, table, keys, value, what)) each(std::move(value), table);
  }
}

// Like read_tables, but `each` gets every table, read cleanly or not: a
// [[profile]] with a misspelt kernel still exists, so what names it gets no second error.
template <class T>
void read_all_tables(Checker& c, const Field& f, std::span<const Key<T>> keys,
                     std::string_view what, const std::function<void(T&&, const Field&)>& each) {
  if (!expect_type(c, f, toml::value_t::array, "an array of tables (" + std::string(what) + ")")) {
    return;
  }
  for (const auto& item : f.value.as_array()) {
    Field table{f.key, item};
    T value{};
    read_table(c, table, keys, value, what);
    if (item.is_table()) each(std::move(value), table);
  }
}

// Where `key` is written in `table`, or the table's own line when it is not.
inline std::uint32_t key_line(const Field& table, std::string_view key) {
  const auto& keys = table.value.as_table();
  auto it = keys.find(std::string(key));
  return it == keys.end() ? table.line()
                          : static_cast<std::uint32_t>(it->second.location().line());
}

}  // namespace pxed::config
