#pragma once
// The translator's state, shared by its three files: dnsmasq.cpp (the walk over
// the lines and what needs no translating), dnsmasq_network.cpp (ranges, hosts,
// options: [dhcp]) and dnsmasq_boot.cpp (tags, boot files, PXE menus: [boot]).
// dnsmasq decides per request by tags (dhcp-match sets "efi64", dhcp-boot=
// tag:efi64 uses it); pxed decides by firmware ([boot] efi64) and by machine.
// So tags are read first, for what they say about the client's firmware, and
// the lines that use them after.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "import/dnsmasq_conf.hpp"
#include "import/dnsmasq_model.hpp"

namespace pxed::import {

std::optional<int> to_int(std::string_view s);
// dhcp-option's numbers, or its option:<name> for the options pxed reads; -1 otherwise.
int option_number(std::string_view token);
// dnsmasq lease times (seconds, or a number with s/m/h/d/w, or "infinite") as pxed durations,
// brought into 2m (dnsmasq's floor) .. 365d (pxed's ceiling); *clamped says whether it was.
std::optional<std::string> lease_time(std::string_view s, bool* clamped = nullptr);
inline bool is_tag_prefix(std::string_view a) { return a.starts_with("tag:") || a.starts_with("net:"); }

class Translator {
 public:
  explicit Translator(std::vector<Note>& notes) : notes_(notes) {}

  // Reads `all` until it returns; keeps pointers into its own copy of the lines.
  ImportedConfig run(const std::string& source, const std::vector<ConfLine>& all);

 private:
  using Kind = Note::Kind;

  std::vector<Note>& notes_;
  ImportedConfig cfg_;
  std::map<std::string, std::set<Slot>, std::less<>> firmware_tags_;  // tag -> the firmware it picks
  std::set<std::string, std::less<>> any_pxe_tags_;                  // set for every PXE client
  std::map<std::string, std::size_t, std::less<>> range_tags_;       // tag -> subnet
  std::map<std::string, std::vector<core::Mac>, std::less<>> host_tags_;  // dhcp-host's set:
  std::array<const ConfLine*, kSlotNames.size()> boot_from_{};
  std::array<bool, kSlotNames.size()> boot_tagged_{};
  const ConfLine* first_range_ = nullptr;
  const ConfLine* first_proxy_ = nullptr;
  const ConfLine* prompt_line_ = nullptr;

  void note(const ConfLine& l, Kind kind, std::string why);
  void untranslated(const ConfLine& l, std::string why) { note(l, Kind::untranslated, std::move(why)); }
  void approximate(const ConfLine& l, std::string why) { note(l, Kind::approximate, std::move(why)); }

  // ---- tags ----

  // "set:efi64" (or the old "net:efi64") -> "efi64".
  std::optional<std::string> set_tag(const ConfLine& l, const std::vector<std::string>& args);

  void firmware_tag(const std::string& tag, Slot slot) { firmware_tags_[tag].insert(slot); }

  void dhcp_match(const ConfLine& l);

  void userclass(const ConfLine& l);

  void vendorclass(const ConfLine& l);

  // Option 60: "PXEClient:Arch:00007:UNDI:003016", "HTTPClient:Arch:00016", "PXEClient".
  void vendor_value(const ConfLine& l, const std::string& tag, std::string_view value);

  // ---- networks ----

  void dhcp_range(const ConfLine& l);

  ImportedSubnet* subnet_of(core::Ipv4 a);

  void dhcp_host(const ConfLine& l);

  void add_interface(const ConfLine& l, std::string name);

  // ---- the lines that use tags ----

  void second_pass(const ConfLine& l);

  // Which [boot] keys a line with these tags sets, or why none.
  struct Target {
    std::vector<Slot> slots;
    std::string problem;
    const std::vector<core::Mac>* hosts = nullptr;  // only these machines: [[boot.host]]
  };

  Target target_of(const ConfLine& l, const std::vector<std::string>& tags, std::string_view file);

  // [[boot.host]]: what dnsmasq gave the machines a dhcp-host tag picks.
  void set_host_boot(const ConfLine& l, const Target& target, const std::string& file);

  void set_boot(const ConfLine& l, const std::vector<Slot>& slots, const std::string& file, bool tagged);

  void boot_file(const ConfLine& l, const std::vector<std::string>& tags, const std::string& file);

  void dhcp_boot(const ConfLine& l);

  void dhcp_option(const ConfLine& l);

  void domain(const ConfLine& l);

  void pxe_service(const ConfLine& l);

  void pxe_prompt(const ConfLine& l);

  void finish(const std::vector<ConfLine>& lines);
};

}  // namespace pxed::import
