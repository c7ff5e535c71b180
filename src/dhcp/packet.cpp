#include "dhcp/packet.hpp"

#include <algorithm>
#include <iterator>

#include "core/bytes.hpp"

namespace pxed::dhcp {
namespace {

using core::ByteReader;
using core::ByteWriter;

// RFC 2131 §3: the first four octets of the options field, 99.130.83.99.
constexpr std::array<std::uint8_t, 4> kMagicCookie{99, 130, 83, 99};
constexpr std::size_t kSnameSize = 64;   // RFC 2131 §2
constexpr std::size_t kFileSize = 128;   // RFC 2131 §2
constexpr std::size_t kChaddrSize = 16;  // RFC 2131 §2: hlen larger than this cannot be real
constexpr std::size_t kOptionsOffset = kHeaderSize + kMagicCookie.size();

// Option 52 values (RFC 2132 §9.3): which BOOTP fields hold options.
constexpr std::uint8_t kOverloadFile = 1, kOverloadSname = 2, kOverloadBoth = 3;

std::uint8_t octet(std::byte b) { return std::to_integer<std::uint8_t>(b); }

std::vector<std::uint8_t> big_endian(std::uint32_t v, int bytes) {
  std::vector<std::uint8_t> out;
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  return out;
}

// A number in network order, only when the value is exactly its size.
template <typename T>
std::optional<T> read_number(const std::vector<std::uint8_t>* v) {
  if (v == nullptr || v->size() != sizeof(T)) return std::nullopt;
  std::uint32_t out = 0;
  for (auto b : *v) out = out << 8 | b;
  return static_cast<T>(out);
}

// BOOTP sname/file: text up to the first NUL or the field's end (FIRMWARE.md 24).
std::string field_text(std::span<const std::byte> field) {
  std::string out;
  for (auto b : field) {
    if (b == std::byte{0}) break;
    out.push_back(static_cast<char>(octet(b)));
  }
  return out;
}

// Gathers options from the three places they may live. RFC 3396 §5: every
// instance of a code is concatenated, in the order options, file, sname.
class Collector {
 public:
  void add(std::uint8_t code, std::span<const std::byte> value) {
    auto& slot = index_[code];
    if (slot == 0) {
      items_.emplace_back(code, std::vector<std::uint8_t>{});
      slot = items_.size();
    }
    auto& out = items_[slot - 1].second;
    for (auto b : value) out.push_back(octet(b));
  }
  Options take() {
    Options options;
    for (auto& [code, value] : items_) options.set(code, std::move(value));
    return options;
  }

 private:
  std::array<std::size_t, 256> index_{};  // code -> position + 1; keeps decoding linear
  std::vector<std::pair<std::uint8_t, std::vector<std::uint8_t>>> items_;
};

// Reads one option area. Option 52 is only meaningful in the options field
// itself (RFC 2132 §9.3); inside sname/file it could send us round in circles.
std::expected<void, DecodeError> read_options(std::span<const std::byte> area, bool main_field,
                                              Collector& into,
                                              std::optional<std::vector<std::uint8_t>>& overload) {
  std::size_t i = 0;
  while (i < area.size()) {
    const auto code = octet(area[i]);
    if (code == option::kPad) {
      ++i;
      continue;
    }
    if (code == option::kEnd) break;
    if (i + 1 >= area.size()) return std::unexpected(DecodeError::option_overrun);
    const std::size_t length = octet(area[i + 1]);
    if (length > area.size() - i - 2) return std::unexpected(DecodeError::option_overrun);
    auto value = area.subspan(i + 2, length);
    if (code == option::kOverload) {
      if (!main_field) return std::unexpected(DecodeError::overload_loop);
      if (!overload) overload.emplace();
      for (auto b : value) overload->push_back(octet(b));
    } else {
      into.add(code, value);
    }
    i += 2 + length;
  }
  return {};
}

// ---- encoding ----

// One option to place: its code and its whole value (split later if > 255).
struct Unit {
  std::uint8_t code;
  std::span<const std::uint8_t> value;
};

// An option area being filled: sname, file or the options field, each with
// room for its own end option kept back.
struct Area {
  std::size_t capacity = 0;  // bytes for options, the end option excluded
  std::size_t used = 0;
  std::vector<std::byte> bytes;
};

// Where the pieces of one unit go: (area, length) per piece.
using Pieces = std::vector<std::pair<std::size_t, std::size_t>>;

// An option goes whole into the first area, at or after `from`, with room
// for it: clients that never heard of RFC 3396 still read it. One too long for
// that (over 255 bytes, or bigger than any area's room) is split (RFC 3396 §6)
// into as many pieces as it takes. Never going back to an earlier area keeps
// the pieces of a code in the order the decoder concatenates them.
std::optional<Pieces> plan(const Unit& unit, const std::vector<Area>& areas, std::size_t from) {
  const std::size_t size = unit.value.size();
  if (size <= kMaxOptionLength) {
    for (std::size_t a = from; a < areas.size(); ++a) {
      if (areas[a].capacity - areas[a].used >= 2 + size) return Pieces{{a, size}};
    }
    if (size == 0) return std::nullopt;
  }
  Pieces pieces;
  std::size_t left = size;
  std::size_t a = from;
  std::size_t used = areas[from].used;
  while (left > 0) {
    if (a >= areas.size()) return std::nullopt;
    const std::size_t room = areas[a].capacity - used;
    if (room < 3) {  // code + length + at least one byte
      if (++a < areas.size()) used = areas[a].used;
      continue;
    }
    const std::size_t n = std::min({kMaxOptionLength, room - 2, left});
    pieces.emplace_back(a, n);
    used += 2 + n;
    left -= n;
  }
  return pieces;
}

struct Placement {
  std::vector<Area> areas;
  std::vector<std::pair<std::size_t, Pieces>> placed;  // unit index, where its pieces go
  bool truncated = false;
};

// Places units in order and stops at the first that does not fit: the reply
// is cut at the last whole option (the header's promise).
Placement place(std::span<const Unit> units, std::vector<std::size_t> capacities) {
  Placement p;
  for (auto c : capacities) p.areas.push_back(Area{.capacity = c, .used = 0, .bytes = {}});
  std::size_t current = 0;
  for (std::size_t u = 0; u < units.size(); ++u) {
    auto pieces = plan(units[u], p.areas, current);
    if (!pieces) {
      p.truncated = true;
      break;
    }
    for (auto [a, n] : *pieces) p.areas[a].used += 2 + n;
    current = pieces->back().first;
    p.placed.emplace_back(u, std::move(*pieces));
  }
  return p;
}

void write_units(Placement& p, std::span<const Unit> units) {
  for (const auto& [u, pieces] : p.placed) {
    std::size_t offset = 0;
    for (auto [a, n] : pieces) {
      auto& out = p.areas[a].bytes;
      out.push_back(std::byte{units[u].code});
      out.push_back(std::byte{static_cast<std::uint8_t>(n)});
      for (std::size_t i = 0; i < n; ++i) out.push_back(std::byte{units[u].value[offset + i]});
      offset += n;
    }
  }
}

// A fixed-size BOOTP field holding either text or options.
void write_field(ByteWriter& w, std::span<const std::byte> content, std::size_t size) {
  const auto n = std::min(content.size(), size);
  w.bytes(content.first(n));
  for (std::size_t i = n; i < size; ++i) w.u8(0);
}

}  // namespace

// ---- Options ----

const std::vector<std::uint8_t>* Options::find(std::uint8_t code) const {
  auto it = std::ranges::find_if(items_, [&](const auto& o) { return o.first == code; });
  return it == items_.end() ? nullptr : &it->second;
}

void Options::set(std::uint8_t code, std::vector<std::uint8_t> value) {
  auto it = std::ranges::find_if(items_, [&](const auto& o) { return o.first == code; });
  if (it != items_.end()) {
    it->second = std::move(value);
  } else {
    items_.emplace_back(code, std::move(value));
  }
}

void Options::set(std::uint8_t code, std::string_view text) {
  set(code, std::vector<std::uint8_t>(text.begin(), text.end()));
}

void Options::set_u8(std::uint8_t code, std::uint8_t v) { set(code, big_endian(v, 1)); }
void Options::set_u16(std::uint8_t code, std::uint16_t v) { set(code, big_endian(v, 2)); }
void Options::set_u32(std::uint8_t code, std::uint32_t v) { set(code, big_endian(v, 4)); }
void Options::set_ipv4(std::uint8_t code, core::Ipv4 a) { set_u32(code, a.value); }

void Options::set_ipv4s(std::uint8_t code, std::span<const core::Ipv4> list) {
  std::vector<std::uint8_t> out;
  for (auto a : list) std::ranges::copy(big_endian(a.value, 4), std::back_inserter(out));
  set(code, std::move(out));
}

void Options::erase(std::uint8_t code) {
  std::erase_if(items_, [&](const auto& o) { return o.first == code; });
}

std::optional<std::uint8_t> Options::u8(std::uint8_t code) const {
  return read_number<std::uint8_t>(find(code));
}
std::optional<std::uint16_t> Options::u16(std::uint8_t code) const {
  return read_number<std::uint16_t>(find(code));
}
std::optional<std::uint32_t> Options::u32(std::uint8_t code) const {
  return read_number<std::uint32_t>(find(code));
}

std::optional<core::Ipv4> Options::ipv4(std::uint8_t code) const {
  auto v = u32(code);
  return v ? std::optional<core::Ipv4>(core::Ipv4{*v}) : std::nullopt;
}

std::optional<std::string> Options::text(std::uint8_t code) const {
  const auto* v = find(code);
  if (v == nullptr) return std::nullopt;
  std::string out(v->begin(), v->end());
  while (!out.empty() && out.back() == '\0') out.pop_back();
  return out;
}

// ---- Packet ----

std::string_view to_string(MessageType t) {
  switch (t) {
    case MessageType::discover: return "DISCOVER";
    case MessageType::offer: return "OFFER";
    case MessageType::request: return "REQUEST";
    case MessageType::decline: return "DECLINE";
    case MessageType::ack: return "ACK";
    case MessageType::nak: return "NAK";
    case MessageType::release: return "RELEASE";
    case MessageType::inform: return "INFORM";
  }
  return "UNKNOWN";
}

std::string_view to_string(DecodeError e) {
  switch (e) {
    case DecodeError::truncated: return "truncated";
    case DecodeError::bad_cookie: return "bad-cookie";
    case DecodeError::bad_op: return "bad-op";
    case DecodeError::bad_hardware: return "bad-hardware";
    case DecodeError::option_overrun: return "option-overrun";
    case DecodeError::overload_loop: return "overload-loop";
    case DecodeError::too_large: return "too-large";
  }
  return "unknown";
}

std::optional<MessageType> Packet::message_type() const {
  auto t = options.u8(option::kMessageType);
  if (!t || *t < 1 || *t > 8) return std::nullopt;  // RFC 2132 §9.6 defines 1..8
  return static_cast<MessageType>(*t);
}

core::Mac Packet::mac() const {
  core::Mac m;
  std::copy_n(chaddr.begin(), m.bytes.size(), m.bytes.begin());
  return m;
}

std::expected<Packet, DecodeError> decode(std::span<const std::byte> bytes) {
  if (bytes.size() > kMaxPacket) return std::unexpected(DecodeError::too_large);
  if (bytes.size() < kOptionsOffset) return std::unexpected(DecodeError::truncated);
  // The size check above makes every header read below succeed.
  ByteReader r{bytes};
  Packet p;
  const auto op = *r.u8();
  if (op != 1 && op != 2) return std::unexpected(DecodeError::bad_op);
  p.op = static_cast<Op>(op);
  p.htype = *r.u8();
  p.hlen = *r.u8();
  if (p.hlen > kChaddrSize) return std::unexpected(DecodeError::bad_hardware);
  p.hops = *r.u8();
  p.xid = *r.u32();
  p.secs = *r.u16();
  p.flags = *r.u16();
  p.ciaddr = core::Ipv4{*r.u32()};
  p.yiaddr = core::Ipv4{*r.u32()};
  p.siaddr = core::Ipv4{*r.u32()};
  p.giaddr = core::Ipv4{*r.u32()};
  auto chaddr = *r.bytes(kChaddrSize);
  std::ranges::transform(chaddr, p.chaddr.begin(), octet);
  const auto sname = *r.bytes(kSnameSize);
  const auto file = *r.bytes(kFileSize);
  const auto cookie = *r.bytes(kMagicCookie.size());
  if (!std::ranges::equal(cookie, kMagicCookie, {}, octet)) {
    return std::unexpected(DecodeError::bad_cookie);
  }

  Collector collector;
  std::optional<std::vector<std::uint8_t>> overload;
  if (auto ok = read_options(*r.bytes(r.remaining()), true, collector, overload); !ok) {
    return std::unexpected(ok.error());
  }
  std::uint8_t overloaded = 0;
  if (overload) {
    // RFC 2132 §9.3: one octet, 1..3. Anything else leaves no safe reading.
    if (overload->size() != 1 || (*overload)[0] < kOverloadFile || (*overload)[0] > kOverloadBoth) {
      return std::unexpected(DecodeError::overload_loop);
    }
    overloaded = (*overload)[0];
  }
  // RFC 2131 §4.1: file first, then sname; nested option 52 is refused
  // by read_options, so each field is read at most once.
  if (overloaded & kOverloadFile) {
    if (auto ok = read_options(file, false, collector, overload); !ok) return std::unexpected(ok.error());
  } else {
    p.file = field_text(file);
  }
  if (overloaded & kOverloadSname) {
    if (auto ok = read_options(sname, false, collector, overload); !ok) return std::unexpected(ok.error());
  } else {
    p.sname = field_text(sname);
  }
  p.options = collector.take();
  return p;
}

Encoded encode(const Packet& packet, std::size_t max_size) {
  const std::size_t limit = std::clamp(max_size, kMinPacket, kMaxPacket);

  // RFC 2131 §4.1 convention: the message type first (old PXE ROMs look for it
  // there). Option 52 is ours to decide; pad and end are not options.
  std::vector<Unit> units;
  if (const auto* type = packet.options.find(option::kMessageType)) {
    units.push_back(Unit{option::kMessageType, *type});
  }
  for (const auto& [code, value] : packet.options.all()) {
    if (code == option::kMessageType || code == option::kOverload || code == option::kPad ||
        code == option::kEnd) {
      continue;
    }
    units.push_back(Unit{code, value});
  }

  const std::size_t main_capacity = limit - kOptionsOffset - 1;
  Placement chosen = place(units, {main_capacity});
  std::vector<Unit> chosen_units = units;
  bool overloaded = false;
  std::array<std::uint8_t, 1> overload_value{kOverloadBoth};
  if (chosen.truncated && packet.file.empty() && packet.sname.empty()) {
    // RFC 2132 §9.3: spill into file, then sname. Option 52 goes right after 53.
    std::vector<Unit> spill = units;
    const bool type_first = !spill.empty() && spill.front().code == option::kMessageType;
    spill.insert(spill.begin() + (type_first ? 1 : 0), Unit{option::kOverload, overload_value});
    Placement p = place(spill, {main_capacity, kFileSize - 1, kSnameSize - 1});
    const auto overload_at = type_first ? 1u : 0u;
    const bool overload_in_main = p.placed.size() > overload_at &&
                                  p.placed[overload_at].second.front().first == 0;
    if (overload_in_main && p.placed.size() - 1 > chosen.placed.size()) {
      overload_value[0] = static_cast<std::uint8_t>((p.areas[1].used > 0 ? kOverloadFile : 0) |
                                                    (p.areas[2].used > 0 ? kOverloadSname : 0));
      chosen = std::move(p);
      chosen_units = std::move(spill);
      overloaded = true;
    }
  }
  write_units(chosen, chosen_units);
  for (std::size_t a = 0; a < chosen.areas.size(); ++a) {
    // An overload field left unused stays all zeros: option 52 does not name it.
    if (a == 0 || chosen.areas[a].used > 0) chosen.areas[a].bytes.push_back(std::byte{option::kEnd});
  }

  ByteWriter w;
  for (std::uint8_t b : {static_cast<std::uint8_t>(packet.op), packet.htype, packet.hlen, packet.hops}) {
    w.u8(b);
  }
  w.u32(packet.xid);
  w.u16(packet.secs);
  w.u16(packet.flags);
  for (auto a : {packet.ciaddr, packet.yiaddr, packet.siaddr, packet.giaddr}) w.u32(a.value);
  w.bytes(std::as_bytes(std::span(packet.chaddr)));
  write_field(w, overloaded ? chosen.areas[2].bytes : core::as_bytes(packet.sname), kSnameSize);
  write_field(w, overloaded ? chosen.areas[1].bytes : core::as_bytes(packet.file), kFileSize);
  for (auto b : kMagicCookie) w.u8(b);
  w.bytes(chosen.areas[0].bytes);
  auto bytes = w.take();
  // RFC 1542 §2.1: relay agents may drop messages shorter than BOOTP's 300 octets (RFC 951).
  if (bytes.size() < kMinPacket) bytes.resize(kMinPacket, std::byte{option::kPad});
  return Encoded{.bytes = std::move(bytes), .truncated = chosen.truncated};
}

}  // namespace pxed::dhcp
