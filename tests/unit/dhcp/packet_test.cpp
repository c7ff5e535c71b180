#include "dhcp/packet.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace pxed::dhcp {
namespace {

// A BOOTP request header (htype 1, hlen 6, cookie) with option bytes after it;
// sname and file can be filled with raw bytes to test overload.
struct Raw {
  std::vector<std::uint8_t> b;
  Raw() : b(kHeaderSize + 4, 0) {
    at(0, {1, 1, 6});
    at(kHeaderSize, {99, 130, 83, 99});
  }
  Raw& options(std::initializer_list<int> v) {
    for (int x : v) b.push_back(static_cast<std::uint8_t>(x));
    return *this;
  }
  Raw& at(std::size_t offset, std::initializer_list<int> v) {
    for (int x : v) b[offset++] = static_cast<std::uint8_t>(x);
    return *this;
  }
  Raw& sname(std::initializer_list<int> v) { return at(44, v); }
  Raw& file(std::initializer_list<int> v) { return at(108, v); }
  std::vector<std::byte> bytes() const {
    std::vector<std::byte> out;
    for (auto x : b) out.push_back(std::byte{x});
    return out;
  }
};

Packet decoded(const Raw& raw) {
  auto p = decode(raw.bytes());
  if (!p) {
    ADD_FAILURE() << "decode failed: " << to_string(p.error());
    return {};
  }
  return *p;
}

DecodeError error_of(std::span<const std::byte> in) {
  auto p = decode(in);
  if (p) {
    ADD_FAILURE() << "decode succeeded";
    return DecodeError::truncated;
  }
  return p.error();
}
DecodeError error_of(const Raw& raw) { return error_of(raw.bytes()); }

std::vector<std::uint8_t> filled(std::size_t n, std::uint8_t first = 0) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(first + i);
  return v;
}

std::uint8_t at(const Encoded& e, std::size_t i) { return std::to_integer<std::uint8_t>(e.bytes.at(i)); }

Packet discover() {
  Packet p;
  p.xid = 0x12345678;
  p.secs = 4;
  p.flags = Packet::kBroadcastFlag;
  p.chaddr = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
  p.options.set_u8(option::kMessageType, static_cast<std::uint8_t>(MessageType::discover));
  p.options.set(option::kParameterList, std::vector<std::uint8_t>{1, 3, 6, 43, 60, 66, 67});
  p.options.set(option::kVendorClass, "PXEClient:Arch:00000:UNDI:002001");
  p.options.set_u16(option::kClientArch, 0);
  return p;
}

Packet round_trip(const Packet& p, std::size_t max_size = kDefaultMaxReply) {
  auto e = encode(p, max_size);
  EXPECT_FALSE(e.truncated);
  auto again = decode(e.bytes);
  if (!again) {
    ADD_FAILURE() << "re-decode failed: " << to_string(again.error());
    return {};
  }
  return *again;
}

// ---- header ----

TEST(DhcpPacket, DecodesHeaderFields) {
  Raw raw;
  raw.at(0, {2, 1, 6, 3, 0xde, 0xad, 0xbe, 0xef, 0, 9, 0x80, 0})
      .at(12, {10, 0, 0, 1, 10, 0, 0, 2, 10, 0, 0, 3, 10, 0, 0, 4})
      .at(28, {0x52, 0x54, 0, 0x12, 0x34, 0x56})
      .options({53, 1, 2, 255});
  auto p = decoded(raw);
  EXPECT_EQ(p.op, Op::reply);
  EXPECT_EQ(p.hops, 3);
  EXPECT_EQ(p.xid, 0xdeadbeefu);
  EXPECT_EQ(p.secs, 9);
  EXPECT_TRUE(p.broadcast());
  EXPECT_EQ(p.ciaddr, core::Ipv4{0x0a000001});
  EXPECT_EQ(p.yiaddr, core::Ipv4{0x0a000002});
  EXPECT_EQ(p.siaddr, core::Ipv4{0x0a000003});
  EXPECT_EQ(p.giaddr, core::Ipv4{0x0a000004});
  EXPECT_EQ(p.mac().to_string(), "52:54:00:12:34:56");
  EXPECT_EQ(p.message_type(), MessageType::offer);
}

TEST(DhcpPacket, RoundTripKeepsEveryField) {
  Packet p = discover();
  p.op = Op::reply;
  p.hops = 2;
  p.ciaddr = core::Ipv4{1};
  p.yiaddr = core::Ipv4{2};
  p.siaddr = core::Ipv4{3};
  p.giaddr = core::Ipv4{4};
  p.sname = "boot-server";
  p.file = "pxelinux.0";
  p.options.set(80, std::vector<std::uint8_t>{});  // RFC 4039 rapid commit: empty value
  EXPECT_EQ(round_trip(p), p);
}

TEST(DhcpPacket, EncodePutsMessageTypeFirstAndKeepsTheRestInOrder) {
  Packet p;
  p.options.set(option::kVendorClass, "PXEClient");
  p.options.set_ipv4(option::kServerId, core::Ipv4{0x0a000001});
  p.options.set_u8(option::kMessageType, 2);
  auto e = encode(p);
  EXPECT_EQ(at(e, 240), option::kMessageType);
  EXPECT_EQ(at(e, 243), option::kVendorClass);
  EXPECT_EQ(at(e, 243 + 2 + 9), option::kServerId);
  auto again = decode(e.bytes);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->options.all()[0].first, option::kMessageType);
  EXPECT_EQ(again->options.all()[1].first, option::kVendorClass);
}

TEST(DhcpPacket, EncodePadsToBootpMinimumAndEndsOptions) {
  Packet p;
  p.options.set_u8(option::kMessageType, 2);
  auto e = encode(p);
  ASSERT_EQ(e.bytes.size(), kMinPacket);
  EXPECT_EQ(at(e, 243), option::kEnd);
  for (std::size_t i = 244; i < kMinPacket; ++i) EXPECT_EQ(at(e, i), 0) << i;
}

TEST(DhcpPacket, EncodeWritesCookieAfterHeader) {
  auto e = encode(Packet{});
  EXPECT_EQ(at(e, 236), 99);
  EXPECT_EQ(at(e, 237), 130);
  EXPECT_EQ(at(e, 238), 83);
  EXPECT_EQ(at(e, 239), 99);
}

TEST(DhcpPacket, EncodeIgnoresCallerOptionOverload) {
  Packet p = discover();
  p.options.set_u8(option::kOverload, 3);
  auto again = decode(encode(p).bytes);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->options.has(option::kOverload));
}

// ---- decode errors ----

TEST(DhcpPacket, ShorterThanHeaderAndCookieIsTruncated) {
  auto raw = Raw().bytes();
  raw.pop_back();
  EXPECT_EQ(error_of(raw), DecodeError::truncated);
  EXPECT_EQ(error_of(std::span<const std::byte>{}), DecodeError::truncated);
}

TEST(DhcpPacket, HeaderWithCookieAndNoOptionsDecodes) {
  auto p = decoded(Raw());
  EXPECT_TRUE(p.options.empty());
  EXPECT_FALSE(p.message_type());
}

TEST(DhcpPacket, WrongCookieIsBadCookie) {
  EXPECT_EQ(error_of(Raw().at(236, {99, 130, 83, 98})), DecodeError::bad_cookie);
}

TEST(DhcpPacket, OpOtherThanRequestOrReplyIsBadOp) {
  EXPECT_EQ(error_of(Raw().at(0, {0})), DecodeError::bad_op);
  EXPECT_EQ(error_of(Raw().at(0, {3})), DecodeError::bad_op);
}

TEST(DhcpPacket, HardwareLengthAbove16IsBadHardware) {
  EXPECT_EQ(error_of(Raw().at(2, {17})), DecodeError::bad_hardware);
  EXPECT_EQ(decoded(Raw().at(2, {16})).hlen, 16);
}

TEST(DhcpPacket, OptionLengthPastTheEndIsOverrun) {
  EXPECT_EQ(error_of(Raw().options({53, 1, 1, 60, 10, 'a'})), DecodeError::option_overrun);
}

TEST(DhcpPacket, OptionCodeWithoutLengthIsOverrun) {
  EXPECT_EQ(error_of(Raw().options({53, 1, 1, 60})), DecodeError::option_overrun);
}

TEST(DhcpPacket, DatagramLargerThanUdpAllowsIsTooLarge) {
  auto raw = Raw().bytes();
  raw.resize(kMaxPacket + 1, std::byte{0});
  EXPECT_EQ(error_of(raw), DecodeError::too_large);
  raw.resize(kMaxPacket);
  EXPECT_TRUE(decode(raw));
}

TEST(DhcpPacket, EveryDecodeErrorHasAName) {
  for (auto e : {DecodeError::truncated, DecodeError::bad_cookie, DecodeError::bad_op,
                 DecodeError::bad_hardware, DecodeError::option_overrun, DecodeError::overload_loop,
                 DecodeError::too_large}) {
    EXPECT_NE(to_string(e), "unknown");
  }
}

// ---- options area ----

TEST(DhcpPacket, PadsAreSkippedAndEndIsOptional) {
  auto p = decoded(Raw().options({0, 0, 53, 1, 3, 0, 12, 2, 'p', 'c'}));
  EXPECT_EQ(p.message_type(), MessageType::request);
  EXPECT_EQ(p.options.text(option::kHostname), "pc");
}

TEST(DhcpPacket, BytesAfterEndAreIgnored) {
  auto p = decoded(Raw().options({53, 1, 1, 255, 60, 200, 1, 2}));
  EXPECT_EQ(p.options.all().size(), 1u);
}

TEST(DhcpPacket, RepeatedOptionsAreConcatenated) {
  // RFC 3396 §5: the decoder joins every instance of a code, in order.
  auto p = decoded(Raw().options({60, 3, 'P', 'X', 'E', 53, 1, 1, 60, 6, 'C', 'l', 'i', 'e', 'n', 't', 255}));
  EXPECT_EQ(p.options.text(option::kVendorClass), "PXEClient");
  EXPECT_EQ(p.options.all()[0].first, option::kVendorClass);  // first instance's place
}

TEST(DhcpPacket, SnameAndFileStopAtFirstNul) {
  auto p = decoded(Raw().sname({'s', 'r', 'v', 0, 'x'}).file({'a', '.', '0', 0, 'j', 'u', 'n', 'k'}));
  EXPECT_EQ(p.sname, "srv");
  EXPECT_EQ(p.file, "a.0");
}

TEST(DhcpPacket, FileFillingItsFieldNeedsNoNul) {
  Raw raw;
  for (std::size_t i = 0; i < 128; ++i) raw.b[108 + i] = 'f';
  for (std::size_t i = 0; i < 64; ++i) raw.b[44 + i] = 's';
  auto p = decoded(raw);
  EXPECT_EQ(p.file, std::string(128, 'f'));
  EXPECT_EQ(p.sname, std::string(64, 's'));
  EXPECT_EQ(round_trip(p), p);
}

// ---- option overload (RFC 2132 §9.3, RFC 2131 §4.1) ----

TEST(DhcpPacket, OverloadFileReadsOptionsFromFile) {
  auto p = decoded(Raw().options({53, 1, 2, 52, 1, 1, 255}).file({67, 3, 'a', '.', '0', 255}).sname({'s', 0}));
  EXPECT_EQ(p.options.text(option::kBootfile), "a.0");
  EXPECT_EQ(p.file, "");
  EXPECT_EQ(p.sname, "s");
  EXPECT_FALSE(p.options.has(option::kOverload));
}

TEST(DhcpPacket, OverloadSnameReadsOptionsFromSname) {
  auto p = decoded(Raw().options({52, 1, 2, 255}).sname({66, 1, 'x', 255}).file({'f', 0}));
  EXPECT_EQ(p.options.text(option::kTftpServer), "x");
  EXPECT_EQ(p.sname, "");
  EXPECT_EQ(p.file, "f");
}

TEST(DhcpPacket, OverloadBothReadsFileBeforeSname) {
  auto p = decoded(Raw().options({52, 1, 3, 12, 1, 'a', 255}).sname({12, 1, 'c', 255}).file({12, 1, 'b', 255}));
  EXPECT_EQ(p.options.text(option::kHostname), "abc");
  EXPECT_EQ(p.sname, "");
  EXPECT_EQ(p.file, "");
}

TEST(DhcpPacket, OverloadInsideFileIsALoop) {
  EXPECT_EQ(error_of(Raw().options({52, 1, 1, 255}).file({52, 1, 1, 255})), DecodeError::overload_loop);
  EXPECT_EQ(error_of(Raw().options({52, 1, 3, 255}).sname({52, 1, 3, 255})), DecodeError::overload_loop);
}

TEST(DhcpPacket, OverloadValueOutsideOneToThreeIsRefused) {
  EXPECT_EQ(error_of(Raw().options({52, 1, 0})), DecodeError::overload_loop);
  EXPECT_EQ(error_of(Raw().options({52, 1, 4})), DecodeError::overload_loop);
  EXPECT_EQ(error_of(Raw().options({52, 2, 1, 1})), DecodeError::overload_loop);
  EXPECT_EQ(error_of(Raw().options({52, 0})), DecodeError::overload_loop);
}

TEST(DhcpPacket, OverrunInsideOverloadedFileIsOverrun) {
  EXPECT_EQ(error_of(Raw().options({52, 1, 1}).at(108 + 126, {60, 5})), DecodeError::option_overrun);
}

// ---- long options and max_size ----

TEST(DhcpPacket, EncodeSplitsOptionsLongerThan255) {
  Packet p;
  p.options.set(option::kVendorSpecific, filled(600));
  auto e = encode(p, 1500);
  EXPECT_FALSE(e.truncated);
  EXPECT_EQ(at(e, 240), option::kVendorSpecific);
  EXPECT_EQ(at(e, 241), 255);
  EXPECT_EQ(at(e, 240 + 257), option::kVendorSpecific);
  EXPECT_EQ(at(e, 240 + 258), 255);
  EXPECT_EQ(at(e, 240 + 514), option::kVendorSpecific);
  EXPECT_EQ(at(e, 240 + 515), 90);
  auto again = decode(e.bytes);
  ASSERT_TRUE(again);
  ASSERT_TRUE(again->options.has(option::kVendorSpecific));
  EXPECT_EQ(*again->options.find(option::kVendorSpecific), filled(600));
}

TEST(DhcpPacket, EncodeStaysWithinMaxSize) {
  Packet p = discover();
  for (std::uint8_t code = 100; code < 140; ++code) p.options.set(code, filled(30, code));
  for (std::size_t max : {kMinPacket, kDefaultMaxReply, std::size_t{1000}, std::size_t{1500}}) {
    auto e = encode(p, max);
    EXPECT_LE(e.bytes.size(), max) << max;
    EXPECT_TRUE(decode(e.bytes)) << max;
  }
}

TEST(DhcpPacket, MaxSizeBelowBootpMinimumMeansMinimum) {
  auto e = encode(discover(), 10);
  EXPECT_EQ(e.bytes.size(), kMinPacket);
  EXPECT_FALSE(e.truncated);
}

TEST(DhcpPacket, EncodeCutsAtLastWholeOptionWhenFileIsTaken) {
  Packet p = discover();
  p.file = "pxelinux.0";  // no overload possible
  for (std::uint8_t code = 100; code < 120; ++code) p.options.set(code, filled(40, code));
  auto e = encode(p);
  EXPECT_TRUE(e.truncated);
  EXPECT_LE(e.bytes.size(), kDefaultMaxReply);
  auto again = decode(e.bytes);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->file, "pxelinux.0");
  // What came through is a prefix of what was asked, each value whole.
  const auto& sent = p.options.all();
  const auto& got = again->options.all();
  ASSERT_LT(got.size(), sent.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], sent[i]) << i;
}

TEST(DhcpPacket, EncodeOverloadsIntoFileWhenFieldsAreFree) {
  Packet p = discover();
  // 300-byte reply: 59 bytes of options in the main field, then file (127).
  p.options.set(option::kHostname, std::string(40, 'h'));
  p.options.set(option::kDomainName, std::string(60, 'd'));
  auto e = encode(p, kMinPacket);
  EXPECT_FALSE(e.truncated);
  EXPECT_EQ(e.bytes.size(), kMinPacket);
  EXPECT_EQ(at(e, 240), option::kMessageType);
  EXPECT_EQ(at(e, 243), option::kOverload);
  EXPECT_EQ(at(e, 245), 1);  // file only
  auto again = decode(e.bytes);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->options.text(option::kDomainName), std::string(60, 'd'));
  EXPECT_EQ(again->options.text(option::kHostname), std::string(40, 'h'));
  EXPECT_EQ(again->file, "");
}

TEST(DhcpPacket, EncodeOverloadsIntoFileAndSname) {
  Packet p = discover();
  p.options.set(option::kHostname, std::string(100, 'h'));
  p.options.set(option::kDomainName, std::string(50, 'd'));
  auto e = encode(p, kMinPacket);
  EXPECT_FALSE(e.truncated);
  EXPECT_EQ(at(e, 245), 3);
  auto again = decode(e.bytes);
  ASSERT_TRUE(again);
  p.options.erase(option::kOverload);
  EXPECT_EQ(again->options, p.options);
}

TEST(DhcpPacket, LongOptionSpillsAcrossFieldsInOrder) {
  Packet p;
  p.options.set_u8(option::kMessageType, 2);
  p.options.set(option::kVendorSpecific, filled(300));
  auto e = encode(p, kMinPacket);  // 53 bytes free: needs file and sname too
  auto again = decode(e.bytes);
  ASSERT_TRUE(again);
  if (e.truncated) {
    EXPECT_FALSE(again->options.has(option::kVendorSpecific));
  } else {
    EXPECT_EQ(*again->options.find(option::kVendorSpecific), filled(300));
  }
  // main 52 + file 125 + sname 61 = 238 bytes of room: 300 cannot fit.
  EXPECT_TRUE(e.truncated);
}

TEST(DhcpPacket, LongOptionSplitsIntoFileWhenItFits) {
  Packet p;
  p.options.set(option::kVendorSpecific, filled(200));
  auto e = encode(p, kMinPacket);
  EXPECT_FALSE(e.truncated);
  auto again = decode(e.bytes);
  ASSERT_TRUE(again);
  ASSERT_TRUE(again->options.has(option::kVendorSpecific));
  EXPECT_EQ(*again->options.find(option::kVendorSpecific), filled(200));
}

TEST(DhcpPacket, TooMuchEvenForOverloadIsCutAndFlagged) {
  Packet p = discover();
  for (std::uint8_t code = 100; code < 110; ++code) p.options.set(code, filled(50, code));
  auto e = encode(p, kMinPacket);
  EXPECT_TRUE(e.truncated);
  EXPECT_EQ(e.bytes.size(), kMinPacket);
  auto again = decode(e.bytes);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->message_type(), MessageType::discover);
}

// ---- Options ----

TEST(DhcpOptions, TypedReadersRefuseTheWrongLength) {
  Options o;
  o.set(1, std::vector<std::uint8_t>{1, 2});
  EXPECT_FALSE(o.u8(1));
  EXPECT_EQ(o.u16(1), 0x0102);
  EXPECT_FALSE(o.u32(1));
  EXPECT_FALSE(o.ipv4(1));
  o.set(2, std::vector<std::uint8_t>{1, 2, 3});
  EXPECT_FALSE(o.u16(2));
  EXPECT_FALSE(o.u32(2));
  o.set(3, std::vector<std::uint8_t>{10, 0, 0, 1, 0});
  EXPECT_FALSE(o.ipv4(3));
  EXPECT_FALSE(o.u8(99));
  EXPECT_FALSE(o.text(99));
}

TEST(DhcpOptions, SettersWriteNetworkOrder) {
  Options o;
  o.set_u32(option::kLeaseTime, 43200);
  o.set_u16(option::kMaxMessageSize, 1500);
  o.set_ipv4(option::kServerId, core::Ipv4{0x0a4d0001});
  std::vector<core::Ipv4> dns{core::Ipv4{0x01020304}, core::Ipv4{0x05060708}};
  o.set_ipv4s(option::kDns, dns);
  EXPECT_EQ(*o.find(option::kLeaseTime), (std::vector<std::uint8_t>{0, 0, 0xa8, 0xc0}));
  EXPECT_EQ(o.u32(option::kLeaseTime), 43200u);
  EXPECT_EQ(o.u16(option::kMaxMessageSize), 1500);
  EXPECT_EQ(o.ipv4(option::kServerId)->to_string(), "10.77.0.1");
  EXPECT_EQ(*o.find(option::kDns), (std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(DhcpOptions, SetReplacesInPlaceAndEraseRemoves) {
  Options o;
  o.set(1, "a");
  o.set(2, "b");
  o.set(1, "c");
  ASSERT_EQ(o.all().size(), 2u);
  EXPECT_EQ(o.all()[0].first, 1);
  EXPECT_EQ(o.text(1), "c");
  o.erase(1);
  EXPECT_FALSE(o.has(1));
  EXPECT_TRUE(o.has(2));
}

TEST(DhcpOptions, TextDropsTrailingNuls) {
  // Microsoft clients terminate strings with a NUL (FIRMWARE.md 8).
  Options o;
  o.set(option::kHostname, std::vector<std::uint8_t>{'p', 'c', 0, 0});
  EXPECT_EQ(o.text(option::kHostname), "pc");
}

TEST(DhcpPacket, MessageTypeOutsideRfcRangeIsUnknown) {
  Packet p;
  p.options.set_u8(option::kMessageType, 9);
  EXPECT_FALSE(p.message_type());
  p.options.set_u8(option::kMessageType, 8);
  EXPECT_EQ(p.message_type(), MessageType::inform);
  EXPECT_EQ(to_string(MessageType::discover), "DISCOVER");
  EXPECT_EQ(to_string(MessageType::ack), "ACK");
}

}  // namespace
}  // namespace pxed::dhcp
