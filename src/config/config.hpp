#pragma once
// The typed configuration. load() is the only way in: every key is checked for
// name, type and range, and every problem names file, line and key.
#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <vector>

namespace pxed::config {

struct Endpoint {
  std::string address = "0.0.0.0";  // IPv4 dotted quad
  std::uint16_t port = 0;
};

enum class LogFormat { text, json };

struct Server {
  std::filesystem::path state_dir = "/var/lib/pxed";
  std::string user;                     // empty: keep the current user
  std::vector<std::string> interfaces;  // DHCP only; empty: none
  std::string log_level = "info";       // trace debug info warn error critical off
  LogFormat log_format = LogFormat::text;
};

// [[files.mount]]: an ISO image whose tree appears at `at` for every protocol.
struct IsoMount {
  std::string at;              // "/centos7": absolute, normalized, never "/"
  std::filesystem::path iso;   // an existing regular file
};

struct Files {
  std::filesystem::path root;  // required when any file service is enabled
  std::vector<IsoMount> mounts;
};

struct Tftp {
  bool enabled = true;
  Endpoint listen{"0.0.0.0", 69};
  std::uint32_t blksize_max = 1468;   // RFC 2348 8..65464; also capped by the interface MTU
  std::uint16_t windowsize_max = 16;  // RFC 7440 1..65535
  std::uint32_t max_transfers = 1000; // concurrent; beyond it new requests get an ERROR
  std::chrono::milliseconds retransmit_min{2};    // adaptive RTO floor
  // RTO ceiling (a client's timeout option lowers it). Backoff must be able to
  // outlast client timeouts: atftp re-ACKs only after seconds of silence.
  std::chrono::milliseconds retransmit_max{5000};
  std::chrono::milliseconds idle_timeout{20000};  // give up after this long without progress
};

struct Http {
  bool enabled = false;  // off unless asked for, so existing configs keep their meaning
  Endpoint listen{"0.0.0.0", 80};
  std::uint32_t max_connections = 512;  // beyond it a new connection gets 503 and is closed
  // A client must finish its request headers this long after it starts them
  // (slowloris); a keep-alive connection may sit idle idle_timeout between requests.
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};
  std::uint32_t max_header_bytes = 8192;  // request line + headers; more gets 431
};

struct Config {
  std::filesystem::path source;  // the file it was read from
  Server server;
  Files files;
  Tftp tftp;
  Http http;
};

struct ConfigError {
  std::string file;
  std::uint32_t line = 0;  // 0 when the problem has no line (missing file, missing key)
  std::string key;         // dotted, e.g. "tftp.blksize_max"
  std::string message;

  // "pxed.toml:14: tftp.blksize_max: must be 8..65464 (RFC 2348), got 70000"
  std::string to_string() const;
};

// Reads and validates a TOML file. On failure returns every problem found,
// sorted by line, not just the first one.
std::expected<Config, std::vector<ConfigError>> load(const std::filesystem::path& path);

// Same, from text already in memory; `name` is what errors call the file.
std::expected<Config, std::vector<ConfigError>> parse(std::string_view text, const std::string& name);

}  // namespace pxed::config
