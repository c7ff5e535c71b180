#pragma once
// Sections read outside config.cpp, each in its own file. Internal to the module.
#include <expected>
#include <optional>
#include <span>
#include <string>

#include "config/table.hpp"

namespace pxed::config {

std::span<const Key<Config>> files_keys();  // files_config.cpp
std::span<const Key<Config>> dhcp_keys();  // dhcp_config.cpp
std::span<const Key<Config>> boot_keys();  // boot_config.cpp
// Top-level arrays of tables: [[profile]], [[group]], [[machine]] (inventory_config.cpp).
std::span<const Key<Config>> inventory_keys();
// Rules across keys, once every key has been read.
void check_files(Checker& c, const Config& cfg);
void check_dhcp(Checker& c, const Config& cfg);
void check_boot(Checker& c, const Config& cfg);
// inventory_check.cpp: the inventory's rules, recorded against the file it was
// read from; [boot] default's profile, recorded against pxed.toml.
void check_inventory(Checker& inventory, const Config& cfg);
void check_default_profile(Checker& c, const Config& cfg);

// config.cpp, for the inventory file: a whole file, or why it cannot be read;
// a TOML document, or its syntax error; whether `name` is a section of pxed.toml.
std::expected<std::string, std::string> read_whole_file(const std::filesystem::path& path);
std::expected<toml::value, ConfigError> parse_toml(std::string_view text, const std::string& name);
bool is_section(std::string_view name);
// [server] inventory (inventory_file.cpp): when the key is written, moves the
// inventory to the file it names, read with a Checker of its own (returned) so
// every problem there names that file. Problems with the key itself (the
// inventory in both files, a file that cannot be read) are recorded in c, and
// nullopt is returned when the file could not be read or parsed. Also nullopt
// when the key is not written: the inventory is in pxed.toml, read with c.
std::optional<Checker> read_inventory_file(Checker& c, Config& cfg);
// Boot::defaults from the inventory and [http], once every key is read (boot_config.cpp).
void set_boot_defaults(Config& cfg);

// Shared value readers: "10.0.0.1", "52:54:00:12:34:56".
void read_ipv4(Checker& c, const Field& f, core::Ipv4& out);
void read_mac(Checker& c, const Field& f, core::Mac& out);

// The inventory's shared readers (inventory_config.cpp).
// A reference to a profile: "local", "iso:<image>" or a declared name, looked
// up once everything is read. Why a value cannot be one, or "" when it can.
std::string profile_name_problem(const toml::value& v);
void read_profile_name(Checker& c, const Field& f, std::string& out);
void read_name(Checker& c, const Field& f, std::string& out);  // a declared name
void read_text(Checker& c, const Field& f, std::string& out);  // a line of a loader's file
void read_vars(Checker& c, const Field& f, Vars& out);
std::string file_line(const Checker& c, std::uint32_t line);  // "pxed.toml:12"
void read_profiles(Checker& c, const Field& f, Config& cfg);  // profile_config.cpp
// [[profile]] answer and installer (answer_config.cpp); check_answers once the
// profile's keys are read: installer known, only with a kernel.
void read_answers(Checker& c, const Field& f, Profile& p);
void read_installer(Checker& c, const Field& f, Profile& p);
void check_answers(Checker& c, const Field& table, Profile& p);
// [[group]] match = { mac, subnet, relay, arch, vendor_class, uuid } (group_match.cpp).
void read_group_match(Checker& c, const Field& f, GroupMatch& out);

}  // namespace pxed::config
