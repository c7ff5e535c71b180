#include "tftp/packet.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "support/test_support.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pxed::tftp {
namespace {

// Wire bytes: a header of byte values, then text (a "..."sv literal keeps its NULs).
std::vector<std::byte> wire(std::initializer_list<int> head, std::string_view tail = {}) {
  std::vector<std::byte> out;
  for (int b : head) out.push_back(std::byte(b));
  for (char c : tail) out.push_back(std::byte(static_cast<unsigned char>(c)));
  return out;
}

using namespace std::string_view_literals;  // "a\0b"sv keeps the embedded NUL

template <typename T>
T decode_as(const std::vector<std::byte>& in) {
  auto p = decode(in);
  if (!p) {
    ADD_FAILURE() << "decode failed: " << to_string(p.error());
    return T{};
  }
  if (!std::holds_alternative<T>(*p)) {
    ADD_FAILURE() << "decoded to variant index " << p->index();
    return T{};
  }
  return std::get<T>(*p);
}

DecodeError decode_error(const std::vector<std::byte>& in) {
  auto p = decode(in);
  if (p) {
    ADD_FAILURE() << "decode succeeded, variant index " << p->index();
    return DecodeError::too_short;
  }
  return p.error();
}

using test::run_in_child;

// ---- RRQ / WRQ ----

TEST(TftpPacket, RrqOctetDecodes) {
  auto r = decode_as<Request>(wire({0, 1}, "pxelinux.0\0octet\0"sv));
  EXPECT_FALSE(r.write);
  EXPECT_EQ(r.filename, "pxelinux.0");
  EXPECT_EQ(r.mode, Mode::octet);
  EXPECT_TRUE(r.options.empty());
}

TEST(TftpPacket, WrqDecodesAsWriteRequest) {
  auto r = decode_as<Request>(wire({0, 2}, "upload.bin\0octet\0"sv));
  EXPECT_TRUE(r.write);
  EXPECT_EQ(r.filename, "upload.bin");
}

TEST(TftpPacket, ModeIsCaseInsensitive) {
  EXPECT_EQ(decode_as<Request>(wire({0, 1}, "f\0OCTET\0"sv)).mode, Mode::octet);
  EXPECT_EQ(decode_as<Request>(wire({0, 1}, "f\0Octet\0"sv)).mode, Mode::octet);
  EXPECT_EQ(decode_as<Request>(wire({0, 1}, "f\0netascii\0"sv)).mode, Mode::netascii);
  EXPECT_EQ(decode_as<Request>(wire({0, 1}, "f\0NetASCII\0"sv)).mode, Mode::netascii);
}

TEST(TftpPacket, MailModeIsUnknownMode) {
  EXPECT_EQ(decode_error(wire({0, 1}, "f\0mail\0"sv)), DecodeError::unknown_mode);
  EXPECT_EQ(decode_error(wire({0, 1}, "f\0binary\0"sv)), DecodeError::unknown_mode);
  EXPECT_EQ(decode_error(wire({0, 1}, "f\0\0"sv)), DecodeError::unknown_mode);
}

TEST(TftpPacket, ModeWithoutNulIsBadMode) {
  EXPECT_EQ(decode_error(wire({0, 1}, "f\0octet"sv)), DecodeError::bad_mode);
  EXPECT_EQ(decode_error(wire({0, 1}, "f\0"sv)), DecodeError::bad_mode);
}

TEST(TftpPacket, FilenameWithoutNulIsBadFilename) {
  EXPECT_EQ(decode_error(wire({0, 1}, "pxelinux.0")), DecodeError::bad_filename);
  EXPECT_EQ(decode_error(wire({0, 1})), DecodeError::bad_filename);
}

TEST(TftpPacket, FilenameAtMaxLengthIsAccepted) {
  std::string name(kMaxFilename, 'a');
  auto r = decode_as<Request>(wire({0, 1}, name + std::string("\0octet\0", 7)));
  EXPECT_EQ(r.filename, name);
}

TEST(TftpPacket, OverlongFilenameIsRefused) {
  std::string name(kMaxFilename + 1, 'a');
  EXPECT_EQ(decode_error(wire({0, 1}, name + std::string("\0octet\0", 7))), DecodeError::bad_filename);
}

TEST(TftpPacket, RrqOptionsAreDecodedInOrderAndLowerCased) {
  auto r = decode_as<Request>(
      wire({0, 1}, "f\0octet\0BlkSize\0" "1468\0TSIZE\0" "0\0windowsize\0" "8\0"sv));
  ASSERT_EQ(r.options.size(), 3u);
  EXPECT_EQ(r.options[0], (std::pair<std::string, std::string>{"blksize", "1468"}));
  EXPECT_EQ(r.options[1], (std::pair<std::string, std::string>{"tsize", "0"}));
  EXPECT_EQ(r.options[2], (std::pair<std::string, std::string>{"windowsize", "8"}));
}

TEST(TftpPacket, OptionValuesKeepTheirCase) {
  auto r = decode_as<Request>(wire({0, 1}, "f\0octet\0x-Vendor\0MiXeD\0"sv));
  ASSERT_EQ(r.options.size(), 1u);
  EXPECT_EQ(r.options[0].first, "x-vendor");
  EXPECT_EQ(r.options[0].second, "MiXeD");
}

TEST(TftpPacket, RepeatedOptionKeepsTheFirstValue) {
  auto r = decode_as<Request>(wire({0, 1}, "f\0octet\0blksize\0" "1024\0BLKSIZE\0" "512\0tsize\0" "0\0"sv));
  ASSERT_EQ(r.options.size(), 2u);
  EXPECT_EQ(r.options[0], (std::pair<std::string, std::string>{"blksize", "1024"}));
  EXPECT_EQ(r.options[1], (std::pair<std::string, std::string>{"tsize", "0"}));
}

TEST(TftpPacket, OptionNameWithoutValueIsBadOption) {
  EXPECT_EQ(decode_error(wire({0, 1}, "f\0octet\0blksize\0"sv)), DecodeError::bad_option);
  EXPECT_EQ(decode_error(wire({0, 1}, "f\0octet\0blksize\0" "1468"sv)), DecodeError::bad_option);
  EXPECT_EQ(decode_error(wire({0, 1}, "f\0octet\0blksize"sv)), DecodeError::bad_option);
}

TEST(TftpPacket, EmptyOptionNameEndsTheOptionsLikeTrailingPadding) {
  auto r = decode_as<Request>(wire({0, 1}, "f\0octet\0blksize\0" "1468\0\0" "junk\0"sv));
  ASSERT_EQ(r.options.size(), 1u);
  EXPECT_EQ(r.options[0].first, "blksize");
}

TEST(TftpPacket, MoreThanMaxOptionsIsBadOption) {
  std::string text(std::string_view("f\0octet\0", 8));
  for (std::size_t i = 0; i <= kMaxOptions; ++i) text += "o" + std::to_string(i) + std::string("\0" "1\0", 3);
  EXPECT_EQ(decode_error(wire({0, 1}, text)), DecodeError::bad_option);
}

TEST(TftpPacket, OptionWithEmptyValueIsKept) {
  auto r = decode_as<Request>(wire({0, 1}, "f\0octet\0multicast\0\0"sv));
  ASSERT_EQ(r.options.size(), 1u);
  EXPECT_EQ(r.options[0].first, "multicast");
  EXPECT_EQ(r.options[0].second, "");
}

TEST(TftpPacket, OverlongOptionTextIsBadOption) {
  std::string long_text(kMaxOptionText + 1, 'x');
  EXPECT_EQ(decode_error(wire({0, 1}, std::string("f\0octet\0"sv) + long_text + std::string("\0" "1\0", 3))),
            DecodeError::bad_option);
  EXPECT_EQ(decode_error(wire({0, 1}, std::string("f\0octet\0blksize\0"sv) + long_text + std::string(1, '\0'))),
            DecodeError::bad_option);
}

// The listener decodes whatever arrives on port 69, up to a 64 KiB datagram.
// Filled with 16374 distinct 2-byte option names, such an RRQ must cost no
// more than its size: a decoder that is quadratic in the option count spends
// over a second of CPU on it (measured 1.2-1.7 s at -O2), so a handful of
// unauthenticated packets a second stalls every transfer.
TEST(TftpPacket, MaximumSizeRequestWithDistinctOptionsDecodesQuickly) {
  auto in = wire({0, 1}, "f\0octet\0"sv);
  int first = 1;
  int second = 1;
  auto next = [](int& b) {
    do ++b;
    while (b >= 'A' && b <= 'Z');  // upper case would fold onto an earlier name
  };
  while (in.size() + 4 <= 65507) {  // the largest IPv4 UDP payload
    for (int b : {first, second, 0, 0}) in.push_back(std::byte(b));
    next(second);
    if (second > 255) {
      second = 1;
      next(first);
    }
  }
  // A decoder that dedups through a hash set takes ~30 ms here at -O0, ~160 ms
  // at -O0 under ASan+UBSan; the quadratic one is killed at the deadline.
  auto code = run_in_child([&] { return decode(in) ? 0 : 1; }, std::chrono::milliseconds(500));
  EXPECT_TRUE(code.has_value()) << "decoding one " << in.size() << "-byte RRQ took longer than 500 ms";
}

// ---- DATA / ACK / ERROR / OACK ----

TEST(TftpPacket, DataDecodesBlockAndPayload) {
  auto in = wire({0, 3, 0x12, 0x34}, "hello");
  auto d = decode_as<Data>(in);
  EXPECT_EQ(d.block, 0x1234);
  ASSERT_EQ(d.payload.size(), 5u);
  EXPECT_EQ(d.payload.data(), in.data() + 4);  // a view, not a copy
}

TEST(TftpPacket, DataWithEmptyPayloadDecodes) {
  auto d = decode_as<Data>(wire({0, 3, 0xff, 0xff}));
  EXPECT_EQ(d.block, 0xffff);
  EXPECT_TRUE(d.payload.empty());
}

TEST(TftpPacket, DataWithoutBlockIsTooShort) {
  EXPECT_EQ(decode_error(wire({0, 3})), DecodeError::too_short);
  EXPECT_EQ(decode_error(wire({0, 3, 1})), DecodeError::too_short);
}

TEST(TftpPacket, AckDecodesBlock) {
  EXPECT_EQ(decode_as<Ack>(wire({0, 4, 0, 0})).block, 0);
  EXPECT_EQ(decode_as<Ack>(wire({0, 4, 0xab, 0xcd})).block, 0xabcd);
}

TEST(TftpPacket, AckToleratesTrailingBytes) {
  EXPECT_EQ(decode_as<Ack>(wire({0, 4, 0, 7, 0, 0})).block, 7);
}

TEST(TftpPacket, AckWithoutBlockIsTooShort) {
  EXPECT_EQ(decode_error(wire({0, 4})), DecodeError::too_short);
  EXPECT_EQ(decode_error(wire({0, 4, 0})), DecodeError::too_short);
}

TEST(TftpPacket, ErrorDecodesCodeAndMessage) {
  auto e = decode_as<Error>(wire({0, 5, 0, 8}, "User aborted the transfer\0"sv));
  EXPECT_EQ(e.code, ErrorCode::option_refused);
  EXPECT_EQ(e.message, "User aborted the transfer");
}

TEST(TftpPacket, ErrorWithoutTrailingNulIsStillDecoded) {
  auto e = decode_as<Error>(wire({0, 5, 0, 1}, "File not found"));
  EXPECT_EQ(e.code, ErrorCode::file_not_found);
  EXPECT_EQ(e.message, "File not found");
}

TEST(TftpPacket, ErrorWithoutMessageDecodes) {
  auto e = decode_as<Error>(wire({0, 5, 0, 2}));
  EXPECT_EQ(e.code, ErrorCode::access_violation);
  EXPECT_EQ(e.message, "");
}

TEST(TftpPacket, ErrorMessageIsCutAtTheLimit) {
  std::string text(kMaxErrorMessage + 100, 'e');
  auto e = decode_as<Error>(wire({0, 5, 0, 0}, text));
  EXPECT_EQ(e.message.size(), kMaxErrorMessage);
}

TEST(TftpPacket, ErrorWithUndefinedCodeKeepsTheNumber) {
  auto e = decode_as<Error>(wire({0, 5, 0x01, 0x00}, "x\0"sv));
  EXPECT_EQ(static_cast<std::uint16_t>(e.code), 0x100);
}

TEST(TftpPacket, ErrorWithoutCodeIsTooShort) {
  EXPECT_EQ(decode_error(wire({0, 5})), DecodeError::too_short);
  EXPECT_EQ(decode_error(wire({0, 5, 0})), DecodeError::too_short);
}

TEST(TftpPacket, OackDecodesOptions) {
  auto o = decode_as<OptionAck>(wire({0, 6}, "blksize\0" "1468\0tsize\0" "42372\0"sv));
  ASSERT_EQ(o.options.size(), 2u);
  EXPECT_EQ(o.options[0], (std::pair<std::string, std::string>{"blksize", "1468"}));
  EXPECT_EQ(o.options[1], (std::pair<std::string, std::string>{"tsize", "42372"}));
}

TEST(TftpPacket, OackWithoutOptionsDecodesEmpty) {
  EXPECT_TRUE(decode_as<OptionAck>(wire({0, 6})).options.empty());
}

TEST(TftpPacket, OackWithDanglingNameIsBadOption) {
  EXPECT_EQ(decode_error(wire({0, 6}, "blksize\0"sv)), DecodeError::bad_option);
}

// ---- framing ----

TEST(TftpPacket, EmptyPacketIsTooShort) { EXPECT_EQ(decode_error({}), DecodeError::too_short); }

TEST(TftpPacket, OneBytePacketIsTooShort) {
  EXPECT_EQ(decode_error(wire({0})), DecodeError::too_short);
  EXPECT_EQ(decode_error(wire({1})), DecodeError::too_short);
}

TEST(TftpPacket, UnknownOpcodeIsBadOpcode) {
  EXPECT_EQ(decode_error(wire({0, 7})), DecodeError::bad_opcode);
  EXPECT_EQ(decode_error(wire({0, 0})), DecodeError::bad_opcode);
  EXPECT_EQ(decode_error(wire({0, 0}, "f\0octet\0"sv)), DecodeError::bad_opcode);
  EXPECT_EQ(decode_error(wire({1, 1}, "f\0octet\0"sv)), DecodeError::bad_opcode);  // 257, not RRQ
  EXPECT_EQ(decode_error(wire({0xff, 0xff})), DecodeError::bad_opcode);
}

TEST(TftpPacket, DecodeErrorsHaveNames) {
  for (auto e : {DecodeError::too_short, DecodeError::bad_opcode, DecodeError::bad_filename, DecodeError::bad_mode,
                 DecodeError::unknown_mode, DecodeError::bad_option}) {
    EXPECT_NE(to_string(e), "unknown");
  }
  EXPECT_EQ(to_string(ErrorCode::option_refused), "option-refused");
}

// ---- encode ----

TEST(TftpPacket, RrqEncodesToRfc1350Layout) {
  Request r{.write = false, .filename = "a/b", .mode = Mode::octet, .options = {{"blksize", "1468"}}};
  EXPECT_EQ(encode(r), wire({0, 1}, "a/b\0octet\0blksize\0" "1468\0"sv));
}

TEST(TftpPacket, ErrorEncodesWithTrailingNul) {
  EXPECT_EQ(encode(Error{.code = ErrorCode::file_not_found, .message = "nope"}), wire({0, 5, 0, 1}, "nope\0"sv));
}

TEST(TftpPacket, RrqWithOptionsRoundTrips) {
  Request r{.write = false,
            .filename = "boot/x86_64/ipxe.efi",
            .mode = Mode::octet,
            .options = {{"tsize", "0"}, {"blksize", "1456"}, {"windowsize", "8"}, {"timeout", "3"}}};
  auto back = decode_as<Request>(encode(r));
  EXPECT_EQ(back.write, r.write);
  EXPECT_EQ(back.filename, r.filename);
  EXPECT_EQ(back.mode, r.mode);
  EXPECT_EQ(back.options, r.options);
}

TEST(TftpPacket, NetasciiWrqRoundTrips) {
  Request r{.write = true, .filename = "log.txt", .mode = Mode::netascii, .options = {}};
  auto back = decode_as<Request>(encode(r));
  EXPECT_TRUE(back.write);
  EXPECT_EQ(back.filename, "log.txt");
  EXPECT_EQ(back.mode, Mode::netascii);
  EXPECT_TRUE(back.options.empty());
}

TEST(TftpPacket, DataRoundTrips) {
  std::vector<std::byte> payload;
  for (int i = 0; i < 1468; ++i) payload.push_back(std::byte(i * 7));
  auto bytes = encode(Data{.block = 65535, .payload = payload});
  ASSERT_EQ(bytes.size(), 4u + payload.size());
  auto back = decode_as<Data>(bytes);
  EXPECT_EQ(back.block, 65535);
  EXPECT_TRUE(std::ranges::equal(back.payload, payload));
}

TEST(TftpPacket, AckRoundTrips) {
  for (std::uint16_t block : {0, 1, 255, 256, 65535}) {
    EXPECT_EQ(decode_as<Ack>(encode(Ack{.block = block})).block, block);
  }
  EXPECT_EQ(encode(Ack{.block = 0x0102}), wire({0, 4, 1, 2}));
}

TEST(TftpPacket, ErrorRoundTrips) {
  Error e{.code = ErrorCode::unknown_tid, .message = "Unknown transfer ID"};
  auto back = decode_as<Error>(encode(e));
  EXPECT_EQ(back.code, e.code);
  EXPECT_EQ(back.message, e.message);
}

TEST(TftpPacket, ErrorWithMaximumMessageRoundTrips) {
  Error e{.code = ErrorCode::not_defined, .message = std::string(kMaxErrorMessage, 'm')};
  EXPECT_EQ(decode_as<Error>(encode(e)).message, e.message);
}

TEST(TftpPacket, OackRoundTrips) {
  OptionAck o{.options = {{"blksize", "1468"}, {"tsize", "42372"}, {"windowsize", "4"}}};
  EXPECT_EQ(decode_as<OptionAck>(encode(o)).options, o.options);
  EXPECT_TRUE(decode_as<OptionAck>(encode(OptionAck{})).options.empty());
}

TEST(TftpPacket, DataHeaderMatchesEncodedData) {
  auto h = data_header(0x1234);
  EXPECT_EQ(h, (std::array<std::byte, 4>{std::byte{0}, std::byte{3}, std::byte{0x12}, std::byte{0x34}}));
  auto full = encode(Data{.block = 0x1234, .payload = {}});
  EXPECT_TRUE(std::ranges::equal(h, full));
  EXPECT_EQ(data_header(0xffff)[2], std::byte{0xff});
  EXPECT_EQ(data_header(0xffff)[3], std::byte{0xff});
}

TEST(TftpPacket, FindOptionReturnsValueOrNull) {
  Options o{{"blksize", "1468"}, {"tsize", "0"}};
  ASSERT_NE(find_option(o, "tsize"), nullptr);
  EXPECT_EQ(*find_option(o, "tsize"), "0");
  EXPECT_EQ(*find_option(o, "blksize"), "1468");
  EXPECT_EQ(find_option(o, "windowsize"), nullptr);
  EXPECT_EQ(find_option(o, "BLKSIZE"), nullptr);  // callers pass lower-case names
  EXPECT_EQ(find_option(Options{}, "blksize"), nullptr);
}

}  // namespace
}  // namespace pxed::tftp
