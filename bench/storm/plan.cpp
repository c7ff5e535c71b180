#include "plan.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <variant>

#include "tftp/packet.hpp"

namespace pxed::storm {
namespace {

// RFC 4578 §2.2: UNDI 3.16 (type 1, major 3, minor 16), what PXE 2.1 ROMs send.
constexpr std::array<std::uint8_t, 3> kUndi{1, 3, 16};
// A PXE ROM's parameter request list (option 55): the PXE 2.1 set, 128-135 included.
constexpr std::array<std::uint8_t, 35> kParameterList{
    1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50, 51, 54, 58, 59, 60, 66,
    67, 97, 128, 129, 130, 131, 132, 133, 134, 135};
constexpr std::uint16_t kMaxMessageSize = 1260;  // Intel PXE ROMs' option 57
constexpr std::uint8_t kUuidTypeGuid = 0;        // RFC 4578 §2.3

const FirmwareTftp kBiosTftp{
    .loader = {.blksize = 0, .windowsize = 0, .tsize = false},
    .loader_tsize_probe = false,
    .config = {.blksize = 1408, .windowsize = 0, .tsize = true},
    .timeout = std::chrono::milliseconds{660},
    .tries = 6,
};
const FirmwareTftp kUefiTftp{
    .loader = {.blksize = 1468, .windowsize = 4, .tsize = false},
    .loader_tsize_probe = true,
    .config = {.blksize = 1468, .windowsize = 4, .tsize = true},
    .timeout = std::chrono::milliseconds{4000},
    .tries = 6,
};

void set_pxe_options(dhcp::Options& o, const Machine& m) {
  o.set(dhcp::option::kParameterList, std::vector<std::uint8_t>(kParameterList.begin(), kParameterList.end()));
  o.set_u16(dhcp::option::kMaxMessageSize, kMaxMessageSize);
  o.set_u16(dhcp::option::kClientArch, static_cast<std::uint16_t>(m.firmware));
  o.set(dhcp::option::kClientNdi, std::vector<std::uint8_t>(kUndi.begin(), kUndi.end()));
  std::vector<std::uint8_t> uuid{kUuidTypeGuid};
  uuid.insert(uuid.end(), m.uuid.bytes.begin(), m.uuid.bytes.end());
  o.set(dhcp::option::kClientUuid, std::move(uuid));
  o.set(dhcp::option::kVendorClass, vendor_class(m.firmware));
}

dhcp::Packet relayed(const Machine& m, std::uint32_t xid, core::Ipv4 giaddr, std::uint16_t secs) {
  dhcp::Packet p;
  p.op = dhcp::Op::request;
  p.hops = 1;  // RFC 1542 §4.1.1: the relay agent counts itself
  p.xid = xid;
  p.secs = secs;
  // PXE 2.1 §2.2.1: ROMs set the broadcast flag; the relay delivers the reply.
  p.flags = dhcp::Packet::kBroadcastFlag;
  p.giaddr = giaddr;
  std::copy(m.mac.bytes.begin(), m.mac.bytes.end(), p.chaddr.begin());
  return p;
}

// PXE 2.1 §2.2.5 option 43 sub-options: 6 discovery control, 9 boot menu, 71 boot item.
constexpr std::uint8_t kPxeDiscoveryControl = 6;
constexpr std::uint8_t kPxeBootMenu = 9;
constexpr std::uint8_t kPxeBootItem = 71;
constexpr std::uint8_t kPxeUseBootFile = 0x08;  // discovery control bit 3

// Sub-option `code` of an option 43 value, bounds-checked (a short or overlong one ends the walk).
std::optional<std::span<const std::uint8_t>> pxe_suboption(const std::vector<std::uint8_t>& o43, std::uint8_t code) {
  std::size_t at = 0;
  while (at < o43.size()) {
    const auto c = o43[at];
    if (c == 255) break;  // end
    if (c == 0) { ++at; continue; }  // pad
    if (at + 1 >= o43.size()) break;
    const std::size_t len = o43[at + 1];
    if (at + 2 + len > o43.size()) break;
    if (c == code) return std::span(o43).subspan(at + 2, len);
    at += 2 + len;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> number(const std::string* text) {
  if (text == nullptr) return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc{} || end != text->data() + text->size()) return std::nullopt;
  return v;
}

}  // namespace

Machine make_machine(std::size_t index, unsigned uefi_percent) {
  Machine m;
  m.index = index;
  // 02: locally administered, unicast; 0x5c: "storm"; then the index.
  m.mac.bytes = {0x02, 0x5c, static_cast<std::uint8_t>(index >> 24), static_cast<std::uint8_t>(index >> 16),
                 static_cast<std::uint8_t>(index >> 8), static_cast<std::uint8_t>(index)};
  // A version-4-looking UUID whose last bytes are the index: distinct and readable.
  m.uuid.bytes = {0x5c, 0x5c, 0x5c, 0x5c, 0x00, 0x00, 0x40, 0x00, 0x80, 0x00, 0x00, 0x00,
                  static_cast<std::uint8_t>(index >> 24), static_cast<std::uint8_t>(index >> 16),
                  static_cast<std::uint8_t>(index >> 8), static_cast<std::uint8_t>(index)};
  // Bresenham-like spread: machine i is UEFI when the running share crosses a whole one.
  const auto p = std::min(uefi_percent, 100u);
  const bool uefi = (index + 1) * p / 100 > index * p / 100;
  m.firmware = uefi ? Firmware::uefi : Firmware::bios;
  return m;
}

std::string vendor_class(Firmware firmware) {
  char arch[6];
  std::snprintf(arch, sizeof arch, "%05u", static_cast<unsigned>(firmware));
  char undi[7];
  std::snprintf(undi, sizeof undi, "%03u%03u", kUndi[1], kUndi[2]);
  return std::string("PXEClient:Arch:") + arch + ":UNDI:" + undi;
}

dhcp::Packet discover(const Machine& m, std::uint32_t xid, core::Ipv4 giaddr, std::uint16_t secs) {
  auto p = relayed(m, xid, giaddr, secs);
  p.options.set_u8(dhcp::option::kMessageType, static_cast<std::uint8_t>(dhcp::MessageType::discover));
  set_pxe_options(p.options, m);
  return p;
}

dhcp::Packet request(const Machine& m, std::uint32_t xid, core::Ipv4 giaddr, std::uint16_t secs,
                     const dhcp::Packet& offer) {
  auto p = relayed(m, xid, giaddr, secs);
  p.options.set_u8(dhcp::option::kMessageType, static_cast<std::uint8_t>(dhcp::MessageType::request));
  // RFC 2131 §4.3.2 SELECTING: requested address and the chosen server.
  p.options.set_ipv4(dhcp::option::kRequestedIp, offer.yiaddr);
  if (auto server = offer.options.ipv4(dhcp::option::kServerId)) {
    p.options.set_ipv4(dhcp::option::kServerId, *server);
  }
  set_pxe_options(p.options, m);
  return p;
}

bool answers(const dhcp::Packet& reply, const Machine& m, std::uint32_t xid, dhcp::MessageType type) {
  return reply.op == dhcp::Op::reply && reply.xid == xid && reply.mac() == m.mac &&
         reply.message_type() == type;
}

bool is_proxy_offer(const dhcp::Packet& offer) {
  return offer.message_type() == dhcp::MessageType::offer && offer.yiaddr.is_zero() &&
         offer.options.text(dhcp::option::kVendorClass).value_or("").starts_with("PXEClient");
}

bool from_chosen_server(const dhcp::Packet& reply, core::Ipv4 chosen) {
  if (reply.options.ipv4(dhcp::option::kServerId) != chosen) return false;
  return reply.message_type() != dhcp::MessageType::ack || !reply.yiaddr.is_zero();
}

ProxyBoot proxy_boot_of(const dhcp::Packet& proxy_offer, Firmware firmware, core::Ipv4 proxy_address) {
  ProxyBoot boot = boot_from_ack(proxy_offer, proxy_address);
  const auto* o43 = proxy_offer.options.find(dhcp::option::kVendorSpecific);
  if (o43 != nullptr) {
    if (auto menu = pxe_suboption(*o43, kPxeBootMenu); menu && menu->size() >= 2) {
      boot.boot_item = static_cast<std::uint16_t>((*menu)[0] << 8 | (*menu)[1]);
    }
  }
  if (firmware == Firmware::uefi) {
    boot.ask_boot_server = true;
    return boot;
  }
  bool use_file = o43 == nullptr;
  if (o43 != nullptr) {
    auto control = pxe_suboption(*o43, kPxeDiscoveryControl);
    use_file = control && !control->empty() && ((*control)[0] & kPxeUseBootFile) != 0;
  }
  boot.ask_boot_server = !(use_file && !boot.file.empty());
  return boot;
}

ProxyBoot boot_from_ack(const dhcp::Packet& ack, core::Ipv4 proxy_address) {
  ProxyBoot boot;
  boot.file = ack.file;
  if (boot.file.empty()) boot.file = ack.options.text(dhcp::option::kBootfile).value_or("");
  boot.next_server = ack.siaddr.is_zero() ? proxy_address : ack.siaddr;
  return boot;
}

dhcp::Packet boot_server_request(const Machine& m, std::uint32_t xid, core::Ipv4 ciaddr,
                                 std::optional<std::uint16_t> boot_item) {
  dhcp::Packet p;
  p.op = dhcp::Op::request;
  p.xid = xid;
  p.ciaddr = ciaddr;
  std::copy(m.mac.bytes.begin(), m.mac.bytes.end(), p.chaddr.begin());
  p.options.set_u8(dhcp::option::kMessageType, static_cast<std::uint8_t>(dhcp::MessageType::request));
  set_pxe_options(p.options, m);
  if (boot_item) {
    p.options.set(dhcp::option::kVendorSpecific,
                  std::vector<std::uint8_t>{kPxeBootItem, 4, static_cast<std::uint8_t>(*boot_item >> 8),
                                            static_cast<std::uint8_t>(*boot_item), 0, 0, 255});
  }
  return p;
}

std::vector<std::string> pxelinux_config_names(const Machine& m, core::Ipv4 address) {
  std::vector<std::string> names;
  names.push_back("pxelinux.cfg/" + m.uuid.to_string());
  names.push_back("pxelinux.cfg/" + m.mac.to_pxelinux());
  const auto hex = address.to_hex();
  for (auto n = hex.size(); n >= 1; --n) names.push_back("pxelinux.cfg/" + hex.substr(0, n));
  names.emplace_back("pxelinux.cfg/default");
  return names;
}

const FirmwareTftp& tftp_of(Firmware firmware) {
  return firmware == Firmware::uefi ? kUefiTftp : kBiosTftp;
}

// ---------------------------------------------------------------- TftpReceiver

TftpReceiver::TftpReceiver(std::string filename, TftpAsk ask) : filename_(std::move(filename)), ask_(ask) {}

const std::vector<std::byte>& TftpReceiver::request() {
  tftp::Request rrq;
  rrq.filename = filename_;
  rrq.mode = ask_.netascii ? tftp::Mode::netascii : tftp::Mode::octet;
  if (ask_.tsize) rrq.options.emplace_back("tsize", "0");
  if (ask_.blksize != 0) rrq.options.emplace_back("blksize", std::to_string(ask_.blksize));
  if (ask_.windowsize != 0) rrq.options.emplace_back("windowsize", std::to_string(ask_.windowsize));
  last_sent_ = tftp::encode(rrq);
  return last_sent_;
}

std::vector<std::byte> TftpReceiver::ack(std::uint16_t block) {
  last_sent_ = tftp::encode(tftp::Ack{block});
  return last_sent_;
}

std::vector<std::byte> TftpReceiver::on_data(std::uint16_t block, std::size_t payload) {
  const auto last_in_order = static_cast<std::uint16_t>(expected_ - 1);
  if (block != expected_) {
    // RFC 7440 §4: out of order, ACK the last block received in order so the
    // server resends from the next; a duplicate of it (our ACK was lost) too.
    in_window_ = 0;
    return ack(last_in_order);
  }
  bytes_ += payload;
  ++expected_;
  if (payload < blksize_) {
    state_ = TftpState::done;
    return ack(block);
  }
  if (++in_window_ >= windowsize_) {
    in_window_ = 0;
    return ack(block);
  }
  return {};
}

std::vector<std::byte> TftpReceiver::on_packet(std::span<const std::byte> datagram) {
  if (state_ == TftpState::done || state_ == TftpState::failed || state_ == TftpState::not_found) return {};
  auto packet = tftp::decode(datagram);
  if (!packet) return {};  // garbage is dropped; the timeout covers it
  if (const auto* e = std::get_if<tftp::Error>(&*packet)) {
    state_ = e->code == tftp::ErrorCode::file_not_found ? TftpState::not_found : TftpState::failed;
    error_ = e->message;
    return {};
  }
  if (const auto* oack = std::get_if<tftp::OptionAck>(&*packet)) {
    if (state_ != TftpState::waiting) return ack(0);  // our ACK 0 was lost: say it again
    // RFC 2347: the server accepts a subset; what it leaves out stays at its default.
    if (auto b = number(tftp::find_option(oack->options, "blksize")); b && *b >= 8 && *b <= 65464) {
      blksize_ = static_cast<std::uint16_t>(*b);
    }
    if (auto w = number(tftp::find_option(oack->options, "windowsize")); w && *w >= 1 && *w <= 65535) {
      windowsize_ = static_cast<std::uint16_t>(*w);
    }
    tsize_ = number(tftp::find_option(oack->options, "tsize"));
    state_ = TftpState::receiving;
    return ack(0);
  }
  if (const auto* data = std::get_if<tftp::Data>(&*packet)) {
    if (state_ == TftpState::waiting) state_ = TftpState::receiving;  // options ignored: RFC 1350
    return on_data(data->block, data->payload.size());
  }
  return {};
}

std::optional<double> percentile(std::vector<double>& values, double p) {
  if (values.empty()) return std::nullopt;
  std::ranges::sort(values);
  const auto n = values.size();
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
  rank = std::clamp<std::size_t>(rank, 1, n);
  return values[rank - 1];
}

}  // namespace pxed::storm
