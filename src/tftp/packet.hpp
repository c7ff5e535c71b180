#pragma once
// TFTP wire format: RFC 1350 packets, RFC 2347 option extension (OACK).
// Decoding never trusts a length; encoding builds from value structs.
#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace pxed::tftp {

enum class Opcode : std::uint16_t { rrq = 1, wrq = 2, data = 3, ack = 4, error = 5, oack = 6 };

// RFC 1350 §5 error codes, plus 8 from RFC 2347.
enum class ErrorCode : std::uint16_t {
  not_defined = 0,
  file_not_found = 1,
  access_violation = 2,
  disk_full = 3,
  illegal_operation = 4,
  unknown_tid = 5,
  file_exists = 6,
  no_such_user = 7,
  option_refused = 8,
};

enum class Mode { octet, netascii };

// Option names are case-insensitive (RFC 2347); stored lower-cased, in order.
using Options = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::size_t kMaxFilename = 1024;      // longer names are refused, see vfs
inline constexpr std::size_t kMaxOptionText = 64;      // no defined option name or value is longer
inline constexpr std::size_t kMaxErrorMessage = 512;
inline constexpr std::size_t kMaxOptions = 32;          // RFC 2347 sets none; clients send < 10

struct Request {
  bool write = false;  // WRQ; a read-only server refuses it
  std::string filename;
  Mode mode = Mode::octet;
  Options options;
};
struct Data {
  std::uint16_t block = 0;
  std::span<const std::byte> payload;  // view into the decoded buffer
};
struct Ack {
  std::uint16_t block = 0;
};
struct Error {
  ErrorCode code = ErrorCode::not_defined;
  std::string message;
};
struct OptionAck {
  Options options;
};

using Packet = std::variant<Request, Data, Ack, Error, OptionAck>;

enum class DecodeError { too_short, bad_opcode, bad_filename, bad_mode, unknown_mode, bad_option };

std::string_view to_string(DecodeError e);
std::string_view to_string(ErrorCode e);

std::expected<Packet, DecodeError> decode(std::span<const std::byte> in);

std::vector<std::byte> encode(const Request& p);
std::vector<std::byte> encode(const Ack& p);
std::vector<std::byte> encode(const Error& p);
std::vector<std::byte> encode(const OptionAck& p);
std::vector<std::byte> encode(const Data& p);
// The 4-byte DATA header alone, for scatter-gather sends of file blocks.
std::array<std::byte, 4> data_header(std::uint16_t block);

// The option named `name` (lower-case), if the packet carries it.
const std::string* find_option(const Options& options, std::string_view name);

}  // namespace pxed::tftp
