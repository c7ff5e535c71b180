#pragma once
// An inventory built by hand (the parser has its own tests): the three rooms
// of INVENTORY.md in one config.
#include "boot/boot.hpp"
#include "config/config.hpp"

namespace pxed::boot::testing {

inline const core::Mac kDb03{{0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd}};
inline const core::Mac kOffice{{0x52, 0x54, 0x00, 0x00, 0x00, 0x42}};
inline const core::Mac kStranger{{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}};

inline config::Profile linux_profile(std::string name, std::uint32_t line) {
  config::Profile p;
  p.name = std::move(name);
  p.line = line;
  p.kind = config::ProfileKind::linux;
  p.kernel = "/centos7/images/pxeboot/vmlinuz";
  p.initrd = {"/centos7/images/pxeboot/initrd.img"};
  p.append = "inst.repo=${http}/centos7 ip=dhcp hostname=${name} disk=${disk}";
  p.vars = {{"disk", "vda"}};
  return p;
}

inline config::Config rooms() {
  config::Config cfg;
  cfg.source = "/etc/pxed/pxed.toml";
  cfg.inventory.source = cfg.source;
  cfg.boot.default_profile = "local";
  cfg.boot.default_line = 4;
  cfg.inventory.profiles.push_back(linux_profile("centos7-ks", 6));
  config::Profile office;
  office.name = "office";
  office.line = 12;
  office.kind = config::ProfileKind::menu;
  office.menu = {"centos7-ks", "local"};
  office.menu_default = "local";
  office.timeout = std::chrono::seconds(10);
  cfg.inventory.profiles.push_back(office);
  config::Group group;
  group.name = "office";
  group.line = 18;
  group.match.subnet = {*core::Ipv4Network::parse("192.168.99.0/24")};
  group.profile = "office";
  group.vars = {{"disk", "sdb"}};
  cfg.inventory.groups.push_back(group);
  config::Machine db;
  db.mac = kDb03;
  db.name = "db-03";
  db.line = 22;
  db.profile = "centos7-ks";
  db.vars = {{"disk", "sda"}};
  cfg.inventory.machines.push_back(db);
  return cfg;
}

inline ClientFacts facts_of(const core::Mac& mac, std::optional<std::uint16_t> arch = 0) {
  ClientFacts f;
  f.mac = mac;
  f.arch = arch;
  f.pxe_client = true;
  f.vendor_class = "PXEClient:Arch:00000:UNDI:002001";
  return f;
}

}  // namespace pxed::boot::testing
