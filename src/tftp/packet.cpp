#include "tftp/packet.hpp"

#include <algorithm>
#include <cctype>

#include "core/bytes.hpp"

namespace pxed::tftp {
namespace {

using core::ByteReader;
using core::ByteWriter;

std::string lower(std::string s) {
  std::ranges::transform(s, s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// RFC 2347: options follow the mode as name/value NUL-terminated pairs.
// A repeated option keeps its first value; both halves must be present.
std::expected<Options, DecodeError> decode_options(ByteReader& r) {
  Options options;
  while (!r.empty()) {
    // Some clients pad the request with extra NULs; an empty name ends the
    // options, as dnsmasq reads them.
    auto name = r.cstring(kMaxOptionText);
    if (name && name->empty()) break;
    auto value = r.cstring(kMaxOptionText);
    if (!name || !value) return std::unexpected(DecodeError::bad_option);
    // Real clients send a handful; a packet stuffed with thousands would make
    // the duplicate check below quadratic.
    if (options.size() >= kMaxOptions) return std::unexpected(DecodeError::bad_option);
    auto key = lower(std::move(*name));
    if (!find_option(options, key)) options.emplace_back(std::move(key), std::move(*value));
  }
  return options;
}

std::expected<Packet, DecodeError> decode_request(ByteReader& r, bool write) {
  auto filename = r.cstring(kMaxFilename);
  if (!filename) return std::unexpected(DecodeError::bad_filename);
  auto mode = r.cstring(kMaxOptionText);
  if (!mode) return std::unexpected(DecodeError::bad_mode);
  Request req{.write = write, .filename = std::move(*filename), .mode = Mode::octet, .options = {}};
  auto mode_name = lower(std::move(*mode));
  if (mode_name == "netascii") {
    req.mode = Mode::netascii;
  } else if (mode_name != "octet") {
    return std::unexpected(DecodeError::unknown_mode);  // "mail" is obsolete (RFC 1350 §1)
  }
  auto options = decode_options(r);
  if (!options) return std::unexpected(options.error());
  req.options = std::move(*options);
  return req;
}

void encode_options(ByteWriter& w, const Options& options) {
  for (const auto& [name, value] : options) {
    w.cstring(name);
    w.cstring(value);
  }
}

}  // namespace

std::string_view to_string(DecodeError e) {
  switch (e) {
    case DecodeError::too_short: return "too-short";
    case DecodeError::bad_opcode: return "bad-opcode";
    case DecodeError::bad_filename: return "bad-filename";
    case DecodeError::bad_mode: return "bad-mode";
    case DecodeError::unknown_mode: return "unknown-mode";
    case DecodeError::bad_option: return "bad-option";
  }
  return "unknown";
}

std::string_view to_string(ErrorCode e) {
  switch (e) {
    case ErrorCode::not_defined: return "not-defined";
    case ErrorCode::file_not_found: return "file-not-found";
    case ErrorCode::access_violation: return "access-violation";
    case ErrorCode::disk_full: return "disk-full";
    case ErrorCode::illegal_operation: return "illegal-operation";
    case ErrorCode::unknown_tid: return "unknown-tid";
    case ErrorCode::file_exists: return "file-exists";
    case ErrorCode::no_such_user: return "no-such-user";
    case ErrorCode::option_refused: return "option-refused";
  }
  return "unknown";
}

const std::string* find_option(const Options& options, std::string_view name) {
  auto it = std::ranges::find_if(options, [&](const auto& o) { return o.first == name; });
  return it == options.end() ? nullptr : &it->second;
}

std::expected<Packet, DecodeError> decode(std::span<const std::byte> in) {
  ByteReader r{in};
  auto opcode = r.u16();
  if (!opcode) return std::unexpected(DecodeError::too_short);
  switch (static_cast<Opcode>(*opcode)) {
    case Opcode::rrq: return decode_request(r, false);
    case Opcode::wrq: return decode_request(r, true);
    case Opcode::data: {
      auto block = r.u16();
      if (!block) return std::unexpected(DecodeError::too_short);
      return Data{.block = *block, .payload = *r.bytes(r.remaining())};
    }
    case Opcode::ack: {
      auto block = r.u16();
      if (!block) return std::unexpected(DecodeError::too_short);
      return Ack{.block = *block};  // trailing bytes are tolerated, as every server does
    }
    case Opcode::error: {
      auto code = r.u16();
      if (!code) return std::unexpected(DecodeError::too_short);
      // Some clients omit the message's NUL; take what is there.
      std::string message;
      if (!r.empty()) {
        auto text = r.cstring(kMaxErrorMessage);
        if (text) {
          message = std::move(*text);
        } else {
          auto rest = *r.bytes(std::min(r.remaining(), kMaxErrorMessage));
          message.assign(reinterpret_cast<const char*>(rest.data()), rest.size());
          message.erase(std::find(message.begin(), message.end(), '\0'), message.end());
        }
      }
      return Error{.code = static_cast<ErrorCode>(*code), .message = std::move(message)};
    }
    case Opcode::oack: {
      auto options = decode_options(r);
      if (!options) return std::unexpected(options.error());
      return OptionAck{.options = std::move(*options)};
    }
  }
  return std::unexpected(DecodeError::bad_opcode);
}

std::vector<std::byte> encode(const Request& p) {
  ByteWriter w;
  w.u16(static_cast<std::uint16_t>(p.write ? Opcode::wrq : Opcode::rrq));
  w.cstring(p.filename);
  w.cstring(p.mode == Mode::netascii ? "netascii" : "octet");
  encode_options(w, p.options);
  return w.take();
}

std::vector<std::byte> encode(const Ack& p) {
  ByteWriter w;
  w.u16(static_cast<std::uint16_t>(Opcode::ack));
  w.u16(p.block);
  return w.take();
}

std::vector<std::byte> encode(const Error& p) {
  ByteWriter w;
  w.u16(static_cast<std::uint16_t>(Opcode::error));
  w.u16(static_cast<std::uint16_t>(p.code));
  w.cstring(p.message);
  return w.take();
}

std::vector<std::byte> encode(const OptionAck& p) {
  ByteWriter w;
  w.u16(static_cast<std::uint16_t>(Opcode::oack));
  encode_options(w, p.options);
  return w.take();
}

std::vector<std::byte> encode(const Data& p) {
  ByteWriter w;
  w.u16(static_cast<std::uint16_t>(Opcode::data));
  w.u16(p.block);
  w.bytes(p.payload);
  return w.take();
}

std::array<std::byte, 4> data_header(std::uint16_t block) {
  return {std::byte{0}, std::byte{static_cast<std::uint8_t>(Opcode::data)}, std::byte(block >> 8),
          std::byte(block & 0xff)};
}

}  // namespace pxed::tftp
