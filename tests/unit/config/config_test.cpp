#include "config/config.hpp"

#include "config/scratch.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

namespace pxed::config {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

// ---- defaults and values ----

TEST(Config, MinimalFileGetsEveryDefault) {
  Scratch s;
  auto cfg = s.parse(s.files_section());
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  const Config defaults;
  EXPECT_EQ(cfg->source, s.name());
  EXPECT_EQ(cfg->files.root, s.root());
  EXPECT_EQ(cfg->server.state_dir, defaults.server.state_dir);
  EXPECT_EQ(cfg->server.user, "");
  EXPECT_TRUE(cfg->server.interfaces.empty());
  EXPECT_EQ(cfg->server.log_level, "info");
  EXPECT_EQ(cfg->server.log_format, LogFormat::text);
  EXPECT_TRUE(cfg->server.sandbox);
  EXPECT_TRUE(cfg->tftp.enabled);
  EXPECT_EQ(cfg->tftp.listen.address, "0.0.0.0");
  EXPECT_EQ(cfg->tftp.listen.port, 69);
  EXPECT_EQ(cfg->tftp.blksize_max, 1468u);
  EXPECT_EQ(cfg->tftp.windowsize_max, 16);
  EXPECT_EQ(cfg->tftp.max_transfers, 1000u);
  EXPECT_EQ(cfg->tftp.max_transfers_per_client, 64u);
  EXPECT_EQ(cfg->tftp.retransmit_min, 2ms);
  EXPECT_EQ(cfg->tftp.retransmit_max, 5s);
  EXPECT_EQ(cfg->tftp.idle_timeout, 20s);
  EXPECT_FALSE(cfg->http.enabled);
  EXPECT_EQ(cfg->http.listen.address, "0.0.0.0");
  EXPECT_EQ(cfg->http.listen.port, 80);
  EXPECT_EQ(cfg->http.max_connections, 4096u);
  EXPECT_EQ(cfg->http.max_connections_per_client, 128u);
  EXPECT_EQ(cfg->http.header_timeout, 10s);
  EXPECT_EQ(cfg->server.threads, 0u);  // one HTTP loop per core
  EXPECT_EQ(cfg->http.idle_timeout, 60s);
  EXPECT_EQ(cfg->http.max_header_bytes, 8192u);
}

TEST(Config, AFileThatIsNotUtf8IsRefusedWithItsLine) {
  // A literal string ending in a UTF-8 lead byte made toml11 read past the
  // end of the file (found by fuzz/inventory_fuzz.cpp; its seed keeps it).
  auto r = parse("[files]\nroot = '/srv'\nx = '\xdb'\xdb\n", "pxed.toml");
  ASSERT_FALSE(r);
  ASSERT_EQ(r.error().size(), 1u);
  EXPECT_EQ(r.error()[0].line, 3u);
  EXPECT_NE(r.error()[0].to_string().find("not UTF-8 (byte 0xdb)"), std::string::npos) << r.error()[0].to_string();
  auto fine = parse("[files]\nroot = '/srv/caf\xc3\xa9'\n", "pxed.toml");
  for (const auto& e : fine ? std::vector<ConfigError>{} : fine.error()) {
    EXPECT_EQ(e.to_string().find("UTF-8"), std::string::npos) << e.to_string();
  }
}

TEST(Config, EveryHttpKeyIsParsed) {
  Scratch s;
  auto cfg = s.parse_with_root(R"(
[http]
enabled = true
listen = "10.77.0.1:8080"
max_connections = 20
header_timeout = "1s"
idle_timeout = "2m"
max_header_bytes = 4096
)");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_TRUE(cfg->http.enabled);
  EXPECT_EQ(cfg->http.listen.address, "10.77.0.1");
  EXPECT_EQ(cfg->http.listen.port, 8080);
  EXPECT_EQ(cfg->http.max_connections, 20u);
  EXPECT_EQ(cfg->http.header_timeout, 1s);
  EXPECT_EQ(cfg->http.idle_timeout, 2min);
  EXPECT_EQ(cfg->http.max_header_bytes, 4096u);
}

TEST(Config, RootIsRequiredWhileHttpIsEnabled) {
  Scratch s;
  auto e = only_error(s.parse("[tftp]\nenabled = false\n[http]\nenabled = true\n"));
  EXPECT_EQ(e.key, "files.root");
  EXPECT_EQ(e.line, 0u);
  EXPECT_THAT(e.message, HasSubstr("served over HTTP"));
  EXPECT_TRUE(s.parse("[tftp]\nenabled = false\n[http]\nenabled = false\n"));
}

TEST(Config, EveryKeyIsParsed) {
  Scratch s;
  auto cfg = s.parse_with_root(R"(
[server]
state_dir = "/tmp/pxed-state"
user = "pxed"
interfaces = ["eth1", "br-pxe"]
log_level = "debug"
log_format = "json"
sandbox = false

[tftp]
enabled = true
listen = "10.77.0.1:6969"
blksize_max = 8192
windowsize_max = 64
max_transfers = 50
max_transfers_per_client = 3
retransmit_min = "10ms"
retransmit_max = "3s"
idle_timeout = "2m"
)");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_EQ(cfg->server.state_dir, "/tmp/pxed-state");
  EXPECT_EQ(cfg->server.user, "pxed");
  EXPECT_EQ(cfg->server.interfaces, (std::vector<std::string>{"eth1", "br-pxe"}));
  EXPECT_EQ(cfg->server.log_level, "debug");
  EXPECT_EQ(cfg->server.log_format, LogFormat::json);
  EXPECT_FALSE(cfg->server.sandbox);
  EXPECT_EQ(cfg->tftp.listen.address, "10.77.0.1");
  EXPECT_EQ(cfg->tftp.listen.port, 6969);
  EXPECT_EQ(cfg->tftp.blksize_max, 8192u);
  EXPECT_EQ(cfg->tftp.windowsize_max, 64);
  EXPECT_EQ(cfg->tftp.max_transfers, 50u);
  EXPECT_EQ(cfg->tftp.max_transfers_per_client, 3u);
  EXPECT_EQ(cfg->tftp.retransmit_min, 10ms);
  EXPECT_EQ(cfg->tftp.retransmit_max, 3s);
  EXPECT_EQ(cfg->tftp.idle_timeout, 2min);
}

TEST(Config, EveryLogLevelIsAccepted) {
  Scratch s;
  for (std::string level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    auto cfg = s.parse_with_root("[server]\nlog_level = \"" + level + "\"\n");
    ASSERT_TRUE(cfg) << level << "\n" << describe(errors_of(cfg));
    EXPECT_EQ(cfg->server.log_level, level);
  }
}

TEST(Config, ApiKeysAreReadAndBounded) {
  Scratch s;
  auto defaults = s.parse_with_root("");
  ASSERT_TRUE(defaults);
  EXPECT_TRUE(defaults->api.enabled);
  EXPECT_EQ(defaults->api.history, 10000u);
  auto cfg = s.parse_with_root("[api]\nenabled = false\nhistory = 0\nmax_streams = 3\n");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_FALSE(cfg->api.enabled);
  EXPECT_EQ(cfg->api.history, 0u);
  EXPECT_EQ(cfg->api.max_streams, 3u);
  EXPECT_EQ(only_error(s.parse_with_root("[api]\nmax_streams = 0\n")).key, "api.max_streams");
  EXPECT_EQ(only_error(s.parse_with_root("[api]\nhistory = \"lots\"\n")).key, "api.history");
}

TEST(Config, UnknownLogLevelListsTheChoices) {
  Scratch s;
  auto e = only_error(s.parse_with_root("[server]\nlog_level = \"verbose\"\n"));
  EXPECT_EQ(e.key, "server.log_level");
  EXPECT_EQ(e.line, 4u);
  EXPECT_EQ(e.message,
            "must be one of trace, debug, info, warn, error, critical, off; got \"verbose\"");
  EXPECT_EQ(only_error(s.parse_with_root("[server]\nlog_format = \"xml\"\n")).key,
            "server.log_format");
}

// ---- ranges: just inside is accepted, just outside is an error at the key's line ----

struct Limit {
  std::string section, key, value;
  bool accepted;
};

TEST(Config, EveryLimitAcceptsItsBoundsAndRejectsJustBeyond) {
  const Limit limits[] = {
      {"tftp", "blksize_max", "8", true},
      {"tftp", "blksize_max", "7", false},
      {"tftp", "blksize_max", "65464", true},
      {"tftp", "blksize_max", "65465", false},
      {"tftp", "windowsize_max", "1", true},
      {"tftp", "windowsize_max", "0", false},
      {"tftp", "windowsize_max", "65535", true},
      {"tftp", "windowsize_max", "65536", false},
      {"tftp", "max_transfers", "1", true},
      {"tftp", "max_transfers", "0", false},
      {"tftp", "max_transfers", "100000", true},
      {"tftp", "max_transfers", "100001", false},
      {"tftp", "max_transfers", "-1", false},
      {"tftp", "blksize_max", "9223372036854775807", false},
      {"tftp", "retransmit_min", "\"1ms\"", true},
      {"tftp", "retransmit_min", "\"0ms\"", false},
      {"tftp", "retransmit_min", "\"1s\"", true},
      {"tftp", "idle_timeout", "\"1s\"", true},
      {"tftp", "idle_timeout", "\"999ms\"", false},
      {"tftp", "idle_timeout", "\"1h\"", true},
      {"tftp", "idle_timeout", "\"3601s\"", false},
      {"tftp", "retransmit_max", "\"255s\"", true},
      {"tftp", "retransmit_max", "\"256s\"", false},
      {"tftp", "retransmit_max", "\"0ms\"", false},
      {"http", "max_connections", "1", true},
      {"http", "max_connections", "0", false},
      {"http", "max_connections", "100000", true},
      {"http", "max_connections", "100001", false},
      {"http", "max_connections_per_client", "0", false},
      {"http", "max_connections_per_client", "64", true},
      {"tftp", "max_transfers_per_client", "0", false},
      {"tftp", "max_transfers_per_client", "1", true},
      {"http", "max_header_bytes", "1024", true},
      {"http", "max_header_bytes", "1023", false},
      {"http", "max_header_bytes", "65536", true},
      {"http", "max_header_bytes", "65537", false},
      {"http", "header_timeout", "\"100ms\"", true},
      {"http", "header_timeout", "\"99ms\"", false},
      {"http", "header_timeout", "\"10m\"", true},
      {"http", "header_timeout", "\"601s\"", false},
      {"http", "idle_timeout", "\"1s\"", true},
      {"http", "idle_timeout", "\"999ms\"", false},
      {"http", "idle_timeout", "\"1h\"", true},
      {"http", "idle_timeout", "\"3601s\"", false},
      {"http", "listen", "\"0.0.0.0:0\"", false},
      {"tftp", "port_range", "[1024, 1024]", true},
      {"tftp", "port_range", "[1023, 2000]", false},
      {"tftp", "port_range", "[30000, 65535]", true},
      {"tftp", "port_range", "[30000, 65536]", false},
      {"tftp", "port_range", "[30000]", false},
      {"tftp", "port_range", "\"30000-30099\"", false},
      {"tftp", "single_port", "\"yes\"", false},
      {"server", "threads", "0", true},
      {"server", "threads", "256", true},
      {"server", "threads", "257", false},
      {"server", "threads", "-1", false},
  };
  Scratch s;
  for (const Limit& limit : limits) {
    SCOPED_TRACE(limit.key + " = " + limit.value);
    auto cfg =
        s.parse_with_root("[" + limit.section + "]\n" + limit.key + " = " + limit.value + "\n");
    if (limit.accepted) {
      EXPECT_TRUE(cfg) << describe(errors_of(cfg));
    } else {
      auto e = only_error(cfg);
      EXPECT_EQ(e.key, limit.section + "." + limit.key);
      EXPECT_EQ(e.line, 4u);
      EXPECT_THAT(e.message, HasSubstr("must be "));
    }
  }
}

TEST(Config, RetransmitBoundsAreInclusiveAtBothEnds) {
  Scratch s;
  // retransmit_min's own range ends at 60s; retransmit_max must then be raised too.
  auto cfg = s.parse_with_root("[tftp]\nretransmit_min = \"60s\"\nretransmit_max = \"1ms\"\n");
  ASSERT_FALSE(cfg);
  EXPECT_TRUE(s.parse_with_root("[tftp]\nretransmit_min = \"60s\"\nretransmit_max = \"60s\"\n"));
  EXPECT_TRUE(s.parse_with_root("[tftp]\nretransmit_min = \"1ms\"\nretransmit_max = \"1ms\"\n"));
  EXPECT_EQ(only_error(s.parse_with_root(
                           "[tftp]\nretransmit_min = \"60001ms\"\nretransmit_max = \"255s\"\n"))
                .key,
            "tftp.retransmit_min");
}

TEST(Config, RangeMessagesCiteTheRfcAndTheValue) {
  Scratch s;
  auto e = only_error(s.parse_with_root("[tftp]\nblksize_max = 70000\n"));
  EXPECT_EQ(e.message, "must be 8..65464 (RFC 2348), got 70000");
  e = only_error(s.parse_with_root("[tftp]\nwindowsize_max = 0\n"));
  EXPECT_EQ(e.message, "must be 1..65535 (RFC 7440), got 0");
  e = only_error(s.parse_with_root("[tftp]\nidle_timeout = \"2h\"\n"));
  EXPECT_EQ(e.message, "must be 1s..1h, got \"2h\"");
}

TEST(Config, RetransmitMaxBelowMinIsAnErrorAtMaxLine) {
  Scratch s;
  auto e = only_error(
      s.parse_with_root("[tftp]\nretransmit_min = \"500ms\"\nretransmit_max = \"100ms\"\n"));
  EXPECT_EQ(e.key, "tftp.retransmit_max");
  EXPECT_EQ(e.line, 5u);
  EXPECT_EQ(e.message, "must not be less than tftp.retransmit_min (500ms), got 100ms");
}

TEST(Config, TftpPortRangeAndSinglePortAreRead) {
  Scratch s;
  auto cfg = s.parse_with_root("[tftp]\nport_range = [30000, 30099]\n");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  ASSERT_TRUE(cfg->tftp.port_range);
  EXPECT_EQ(cfg->tftp.port_range->first, 30000);
  EXPECT_EQ(cfg->tftp.port_range->last, 30099);
  EXPECT_FALSE(cfg->tftp.single_port);
  cfg = s.parse_with_root("[tftp]\nsingle_port = true\n");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_TRUE(cfg->tftp.single_port);
  EXPECT_FALSE(cfg->tftp.port_range);
}

TEST(Config, TftpPortRangeProblemsNameTheKeyAndLine) {
  Scratch s;
  auto e = only_error(s.parse_with_root("[tftp]\nport_range = [30099, 30000]\n"));
  EXPECT_EQ(e.key, "tftp.port_range");
  EXPECT_EQ(e.line, 4u);
  EXPECT_THAT(e.message, HasSubstr("first port must not be above the last"));
  e = only_error(s.parse_with_root("[tftp]\nsingle_port = true\nport_range = [30000, 30099]\n"));
  EXPECT_EQ(e.key, "tftp.port_range");
  EXPECT_EQ(e.line, 5u);
  EXPECT_THAT(e.message, HasSubstr("single_port"));
  e = only_error(s.parse_with_root("[tftp]\nlisten = \"0.0.0.0:6969\"\nport_range = [6900, 6999]\n"));
  EXPECT_EQ(e.key, "tftp.port_range");
  EXPECT_THAT(e.message, HasSubstr("listening port 6969"));
}

TEST(Config, ListenTakesOneAddressOrAnArrayOfThem) {
  Scratch s;
  auto cfg = s.parse_with_root("[tftp]\nlisten = [\"10.77.0.1:69\", \"10.78.0.1:69\"]\n"
                               "[http]\nenabled = true\nlisten = [\"10.77.0.1:80\", \"[fd00::1]:8080\"]\n");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_EQ(cfg->tftp.listen.address, "10.77.0.1");
  ASSERT_EQ(cfg->tftp.listen_also.size(), 1u);
  EXPECT_EQ(to_string(cfg->tftp.listen_also[0]), "10.78.0.1:69");
  const auto http = listen_addresses(cfg->http);
  ASSERT_EQ(http.size(), 2u);
  EXPECT_EQ(http[1].address, "fd00::1");
  EXPECT_EQ(http[1].port, 8080);
  EXPECT_TRUE(http[1].is_v6());
  EXPECT_EQ(to_string(http[1]), "[fd00::1]:8080");
  cfg = s.parse_with_root("[http]\nenabled = true\nlisten = \"[::]:80\"\n");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_EQ(cfg->http.listen.address, "::");
  EXPECT_TRUE(cfg->http.listen_also.empty());
}

TEST(Config, ListenArrayProblemsNameTheElement) {
  Scratch s;
  auto e = only_error(s.parse_with_root("[http]\nlisten = [\"0.0.0.0:80\", \"10.77.0.1:80\"]\n"));
  EXPECT_EQ(e.key, "http.listen");
  EXPECT_EQ(e.line, 4u);
  EXPECT_THAT(e.message, HasSubstr("element 2 \"10.77.0.1:80\" overlaps \"0.0.0.0:80\""));
  e = only_error(s.parse_with_root("[http]\nlisten = [\"10.77.0.1:80\", \"[fd00::1]\"]\n"));
  EXPECT_THAT(e.message, HasSubstr("element 2 must be \"A.B.C.D:PORT\" or \"[IPv6]:PORT\""));
  e = only_error(s.parse_with_root("[http]\nlisten = []\n"));
  EXPECT_THAT(e.message, HasSubstr("at least one address"));
  e = only_error(s.parse_with_root("[http]\nlisten = \"[fd00::zz]:80\"\n"));
  EXPECT_THAT(e.message, HasSubstr("[IPv6]:PORT"));
  // IPv6 sockets are IPv6-only: "::" and "0.0.0.0" on one port are two listeners.
  EXPECT_TRUE(s.parse_with_root("[http]\nlisten = [\"0.0.0.0:80\", \"[::]:80\"]\n"));
}

TEST(Config, TftpListensOnIpv6BesideIpv4) {
  Scratch s;
  auto cfg = s.parse_with_root("[tftp]\nlisten = [\"0.0.0.0:69\", \"[fd00::1]:69\", \"[::1]:6969\"]\n");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_EQ(cfg->tftp.listen_also.size(), 2u);
  EXPECT_EQ(to_string(cfg->tftp.listen_also[0]), "[fd00::1]:69");
  // "::" and "0.0.0.0" are two sockets (IPv6-only); "::" and an IPv6 address on one port overlap.
  EXPECT_TRUE(s.parse_with_root("[tftp]\nlisten = [\"0.0.0.0:69\", \"[::]:69\"]\n"));
  auto e = only_error(s.parse_with_root("[tftp]\nlisten = [\"[::]:69\", \"[fd00::1]:69\"]\n"));
  EXPECT_EQ(e.key, "tftp.listen");
  EXPECT_THAT(e.message, HasSubstr("overlaps"));
}

TEST(Endpoint, OverlapsOnOnePortAndFamilyWhenEqualOrAWildcard) {
  EXPECT_TRUE(overlaps({"10.0.0.1", 80}, {"10.0.0.1", 80}));
  EXPECT_TRUE(overlaps({"0.0.0.0", 80}, {"10.0.0.1", 80}));
  EXPECT_FALSE(overlaps({"10.0.0.1", 80}, {"10.0.0.2", 80}));
  EXPECT_FALSE(overlaps({"0.0.0.0", 80}, {"0.0.0.0", 81}));
  EXPECT_TRUE(overlaps({"::", 80}, {"fd00::1", 80}));
  EXPECT_FALSE(overlaps({"::", 80}, {"0.0.0.0", 80}));
}

TEST(Config, RetransmitMinAboveTheDefaultMaxIsAnErrorAtMinLine) {
  Scratch s;
  auto e = only_error(s.parse_with_root("[tftp]\nretransmit_min = \"6s\"\n"));
  EXPECT_EQ(e.key, "tftp.retransmit_min");
  EXPECT_EQ(e.line, 4u);
  EXPECT_THAT(e.message, HasSubstr("tftp.retransmit_max (5s"));
}

TEST(Config, BadDurationSaysWhatIsWrong) {
  Scratch s;
  for (std::string bad : {"5", "1.5s", "-1s", "s", "5sec", "99999999999999999999d"}) {
    SCOPED_TRACE(bad);
    auto e = only_error(s.parse_with_root("[tftp]\nidle_timeout = \"" + bad + "\"\n"));
    EXPECT_EQ(e.key, "tftp.idle_timeout");
    EXPECT_EQ(e.line, 4u);
    EXPECT_THAT(e.message, HasSubstr("duration \"" + bad + "\""));
  }
}

TEST(Config, ListenAcceptsOnlyDottedQuadOrBracketedIpv6AndPort) {
  Scratch s;
  for (std::string good : {"0.0.0.0:69", "10.77.0.1:6969", "255.255.255.255:65535", "1.2.3.4:1"}) {
    auto cfg = s.parse_with_root("[tftp]\nlisten = \"" + good + "\"\n");
    EXPECT_TRUE(cfg) << good << "\n" << describe(errors_of(cfg));
  }
  for (std::string bad : {"0.0.0.0", "0.0.0.0:0", "0.0.0.0:65536", "256.0.0.1:69", "1.2.3:69",
                          "1.2.3.4.5:69", "01.2.3.4:69", "tftp.local:69", ":69", "1.2.3.4:",
                          "1.2.3.4:+69", " 1.2.3.4:69", "1..3.4:69", "1.2.3.4:069", "::1:69", "[::1]",
                          "[::1]:0", "[zz::1]:69", "[]:69", "[::1]69"}) {
    SCOPED_TRACE(bad);
    auto e = only_error(s.parse_with_root("[tftp]\nlisten = \"" + bad + "\"\n"));
    EXPECT_EQ(e.key, "tftp.listen");
    EXPECT_EQ(e.message,
              "must be \"A.B.C.D:PORT\" or \"[IPv6]:PORT\" (port 1..65535), got \"" + bad + "\"");
  }
  for (std::string good : {"[::1]:80", "[::]:80", "[fd00::1]:8080"}) {
    auto cfg = s.parse_with_root("[http]\nlisten = \"" + good + "\"\n");
    EXPECT_TRUE(cfg) << good << "\n" << describe(errors_of(cfg));
  }
}

TEST(Config, InterfaceListElementsAreChecked) {
  Scratch s;
  auto errors =
      errors_of(s.parse_with_root("[server]\ninterfaces = [\n  \"eth0\",\n  7,\n  \"\",\n]\n"));
  ASSERT_EQ(errors.size(), 2u) << describe(errors);
  EXPECT_EQ(errors[0].line, 6u);
  EXPECT_EQ(errors[0].message, "element 2 must be a string, got an integer");
  EXPECT_EQ(errors[1].line, 7u);
  EXPECT_THAT(errors[1].message, HasSubstr("element 3 \"\" is not an interface name"));
  EXPECT_THAT(
      only_error(s.parse_with_root("[server]\ninterfaces = [\"a-very-long-name0\"]\n")).message,
      HasSubstr("1..15 characters"));
}

TEST(Config, AnInterfaceListedTwiceIsAnError) {
  Scratch s;
  auto e = only_error(s.parse_with_root("[server]\ninterfaces = [\"eth1\", \"eth2\", \"eth1\"]\n"));
  EXPECT_EQ(e.key, "server.interfaces");
  EXPECT_EQ(e.line, 4u);
  EXPECT_EQ(e.message, "element 3 \"eth1\" is listed twice");
}

// ---- types ----

TEST(Config, WrongTypesNameWhatWasExpectedAndWhatWasGiven) {
  struct Case {
    std::string line, key, message;
  };
  const Case cases[] = {
      {"[tftp]\nblksize_max = \"1468\"", "tftp.blksize_max", "must be an integer, got a string"},
      {"[tftp]\nblksize_max = 1468.0", "tftp.blksize_max", "must be an integer, got a float"},
      {"[tftp]\nenabled = \"yes\"", "tftp.enabled",
       "must be a boolean (true or false), got a string"},
      {"[tftp]\nlisten = 69", "tftp.listen",
       "must be an address such as \"0.0.0.0:69\" or an array of them, got an integer"},
      {"[tftp]\nidle_timeout = 20", "tftp.idle_timeout",
       "must be a duration string such as \"2s\" or \"250ms\", got an integer"},
      {"[server]\nuser = 0", "server.user", "must be a string, got an integer"},
      {"[server]\nsandbox = \"on\"", "server.sandbox", "must be a boolean (true or false), got a string"},
      {"[server]\nstate_dir = [\"/a\"]", "server.state_dir", "must be a string, got an array"},
      {"[server]\ninterfaces = \"eth0\"", "server.interfaces",
       "must be an array of interface names, got a string"},
      {"[server]\nlog_level = 1979-05-27", "server.log_level", "must be a string, got a date"},
      {"tftp = 5", "tftp", "must be a table ([tftp]), got an integer"},
  };
  Scratch s;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    auto e = only_error(s.parse(c.line + "\n" + s.files_section()));
    EXPECT_EQ(e.key, c.key);
    EXPECT_EQ(e.message, c.message);
    EXPECT_EQ(e.line, c.line.starts_with("[") ? 2u : 1u);
  }
}

// ---- unknown keys ----

TEST(Config, UnknownKeyIsAnErrorAtItsLine) {
  Scratch s;
  auto e = only_error(s.parse_with_root("[tftp]\nlisten = \"0.0.0.0:69\"\nblocksize = 1468\n"));
  EXPECT_EQ(e.line, 5u);
  EXPECT_EQ(e.key, "tftp.blocksize");
  EXPECT_EQ(e.message,
            "unknown key; known keys in [tftp]: enabled, listen, port_range, single_port, blksize_max, windowsize_max, "
            "max_transfers, max_transfers_per_client, retransmit_min, retransmit_max, idle_timeout");
}

TEST(Config, UnknownSectionIsAnErrorAtItsLine) {
  Scratch s;
  auto e = only_error(s.parse_with_root("\n[tfpt]\nlisten = \"0.0.0.0:69\"\n"));
  EXPECT_EQ(e.line, 4u);
  EXPECT_EQ(e.key, "tfpt");
  EXPECT_EQ(e.message,
            "unknown section; did you mean [tftp]? known sections: [server], [files], [tftp], [http], [api], [dhcp], "
            "[boot], [[profile]], [[group]], [[machine]]");
}

TEST(Config, AMisspeltKeySaysWhichKeyWasMeant) {
  Scratch s;
  auto e = only_error(s.parse_with_root("[tftp]\nblksize_mx = 1468\n"));
  EXPECT_EQ(e.key, "tftp.blksize_mx");
  EXPECT_THAT(e.message, HasSubstr("unknown key; did you mean \"blksize_max\"? known keys in [tftp]: "));
  e = only_error(s.parse_with_root("[server]\ninterface = [\"eth1\"]\n"));
  EXPECT_THAT(e.message, HasSubstr("did you mean \"interfaces\"?"));
  e = only_error(s.parse_with_root("[http]\nenable = true\n"));
  EXPECT_THAT(e.message, HasSubstr("did you mean \"enabled\"?"));
}

TEST(Config, AMisspeltArrayOfTablesSaysWhichWasMeant) {
  Scratch s;
  auto e = only_error(s.parse_with_root("[[profle]]\nname = \"x\"\n"));
  EXPECT_EQ(e.key, "profle");
  EXPECT_THAT(e.message, HasSubstr("unknown section; did you mean [[profile]]?"));
}

TEST(Config, AKeyNothingLikeAKnownOneGetsNoGuess) {
  Scratch s;
  auto e = only_error(s.parse_with_root("[tftp]\nxyz = 1\n"));
  EXPECT_THAT(e.message, Not(HasSubstr("did you mean")));
  // "foo" is two edits from "iso": names of three letters or fewer get one.
  e = only_error(s.parse_with_root("[[files.mount]]\nat = \"/a\"\ndir = \"/srv\"\nfoo = 1\n"));
  EXPECT_EQ(e.key, "files.mount.foo");
  EXPECT_THAT(e.message, Not(HasSubstr("did you mean")));
}

TEST(Config, TopLevelKeyIsAnErrorBecauseSettingsBelongInASection) {
  Scratch s;
  auto e = only_error(s.parse("log_level = \"info\"\n" + s.files_section()));
  EXPECT_EQ(e.line, 1u);
  EXPECT_EQ(e.key, "log_level");
  EXPECT_THAT(e.message, HasSubstr("settings belong in a section"));
}

TEST(Config, NestedTablesAndDottedKeysAreCheckedToo) {
  Scratch s;
  auto errors =
      errors_of(s.parse_with_root("[tftp.extra]\nx = 1\n[server]\nlog.level = \"info\"\n"));
  ASSERT_EQ(errors.size(), 2u) << describe(errors);
  EXPECT_EQ(errors[0].key, "tftp.extra");
  EXPECT_EQ(errors[0].line, 3u);
  EXPECT_EQ(errors[1].key, "server.log");
  EXPECT_EQ(errors[1].line, 6u);
}

TEST(Config, TheInventoryIsReadAtTheTopLevel) {
  Scratch s;
  auto cfg = s.parse(R"([files]
root = ")" + s.root().string() + R"("
[[profile]]
name = "centos7"
kernel = "vmlinuz"
[[machine]]
mac = "52:54:00:12:34:56"
profile = "centos7"
)");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  ASSERT_EQ(cfg->inventory.profiles.size(), 1u);
  EXPECT_EQ(cfg->inventory.profiles[0].line, 3u);
  ASSERT_EQ(cfg->inventory.machines.size(), 1u);
  EXPECT_EQ(cfg->inventory.machines[0].line, 6u);
}

TEST(Config, IsoMountIsReadWithANormalizedMountPoint) {
  Scratch s;
  const fs::path iso = s.root() / "x.iso";
  std::ofstream(iso) << "not really an image";
  auto cfg = s.parse(R"([files]
root = ")" + s.root().string() + R"("
[[files.mount]]
at = "/centos7//os/"
iso = ")" + iso.string() + R"("
)");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  ASSERT_EQ(cfg->files.mounts.size(), 1u);
  EXPECT_EQ(cfg->files.mounts[0].at, "/centos7/os");
  EXPECT_EQ(cfg->files.mounts[0].iso, iso);
}

TEST(Config, IsoMountProblemsNameLineAndKey) {
  Scratch s;
  const fs::path iso = s.root() / "x.iso";
  std::ofstream(iso) << "x";
  auto errors = errors_of(s.parse(R"([files]
root = ")" + s.root().string() + R"("
[[files.mount]]
at = "/"
iso = "/nonexistent/x.iso"
[[files.mount]]
at = "relative"
iso = ")" + iso.string() + R"("
extra = 1
[[files.mount]]
at = "/a"
[[files.mount]]
at = "/b"
iso = ")" + iso.string() + R"("
[[files.mount]]
at = "/b/"
iso = ")" + iso.string() + R"("
)"));
  ASSERT_EQ(errors.size(), 6u) << describe(errors);
  EXPECT_EQ(errors[0].line, 4u);
  EXPECT_EQ(errors[0].key, "files.mount.at");
  EXPECT_THAT(errors[0].message, HasSubstr("must not be \"/\""));
  EXPECT_EQ(errors[1].line, 5u);
  EXPECT_EQ(errors[1].key, "files.mount.iso");
  EXPECT_THAT(errors[1].message, HasSubstr("does not exist"));
  EXPECT_EQ(errors[2].line, 7u);
  EXPECT_THAT(errors[2].message, HasSubstr("absolute"));
  EXPECT_EQ(errors[3].line, 9u);
  EXPECT_EQ(errors[3].key, "files.mount.extra");
  EXPECT_EQ(errors[4].key, "files.mount.iso");
  EXPECT_THAT(errors[4].message, HasSubstr("required"));
  EXPECT_EQ(errors[5].line, 16u);
  EXPECT_THAT(errors[5].message, HasSubstr("already mounted"));
}

// ---- syntax errors ----

TEST(Config, SyntaxErrorReportsFileAndLineInOneShortLine) {
  Scratch s;
  auto e = only_error(s.parse("[server]\nuser = \"pxed\"\nstate_dir = \n"));
  EXPECT_EQ(e.file, s.name());
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.key, "");
  EXPECT_EQ(e.message, "syntax error: missing value after key-value separator '='");
  EXPECT_THAT(e.message, Not(HasSubstr("\n")));
}

TEST(Config, SyntaxErrorWithoutAHeadlineUsesToml11sNoteInstead) {
  // toml11 3.7 heads some errors with just its function name ("toml::parse_boolean: ").
  Scratch s;
  auto e = only_error(s.parse("[tftp]\nenabled = tru\n"));
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.message, "syntax error: the next token is not a boolean");
  EXPECT_EQ(only_error(s.parse("[tftp]\nblksize_max = 0x\n")).message,
            "syntax error: the next token is not an integer");
}

TEST(Config, DuplicateKeyIsReportedAtTheSecondDefinition) {
  Scratch s;
  auto e = only_error(s.parse("[tftp]\nblksize_max = 1468\n\nblksize_max = 512\n"));
  EXPECT_EQ(e.line, 4u);
  EXPECT_THAT(e.message, HasSubstr("syntax error: value (\"blksize_max\") already exists"));
}

TEST(Config, SyntaxErrorLineComesFromTheQuotedSourceNotTheTokenStart) {
  // toml11 3.7 reports line 1 in location() for a bad date; its message quotes the real line.
  Scratch s;
  auto e = only_error(s.parse("[server]\n\nuser = 1979-13-01\n"));
  EXPECT_EQ(e.line, 3u);
  EXPECT_THAT(e.message, HasSubstr("invalid date"));
}

// ---- many problems at once ----

TEST(Config, AllProblemsAreReportedSortedByLine) {
  Scratch s;
  auto errors = errors_of(s.parse(R"([tftp]
blksize_max = 70000
windowsize_max = "16"
colour = "blue"
[server]
log_level = "loud"
[files]
root = "does-not-exist"
[nonsense]
)"));
  // [nonsense] is empty yet still reported: a misspelled section must never be ignored.
  const std::pair<std::uint32_t, std::string> expected[] = {
      {2, "tftp.blksize_max"}, {3, "tftp.windowsize_max"}, {4, "tftp.colour"},
      {6, "server.log_level"}, {8, "files.root"},          {9, "nonsense"},
  };
  ASSERT_EQ(errors.size(), std::size(expected)) << describe(errors);
  for (std::size_t i = 0; i < errors.size(); ++i) {
    EXPECT_EQ(errors[i].line, expected[i].first) << i;
    EXPECT_EQ(errors[i].key, expected[i].second) << i;
  }
}

TEST(Config, ProblemsOnOneLineAreOrderedByKey) {
  Scratch s;
  auto errors = errors_of(s.parse("tftp = { zeta = 1, alpha = 2, mid = 3 }\n" + s.files_section()));
  ASSERT_EQ(errors.size(), 3u) << describe(errors);
  EXPECT_EQ(errors[0].key, "tftp.alpha");
  EXPECT_EQ(errors[1].key, "tftp.mid");
  EXPECT_EQ(errors[2].key, "tftp.zeta");
}

// ---- files.root ----

TEST(Config, RootIsRequiredWhileTftpIsEnabled) {
  Scratch s;
  auto e = only_error(s.parse("[tftp]\nlisten = \"0.0.0.0:69\"\n"));
  EXPECT_EQ(e.line, 0u);
  EXPECT_EQ(e.key, "files.root");
  EXPECT_THAT(e.message, HasSubstr("required: the directory served over TFTP"));
  EXPECT_EQ(only_error(s.parse("")).key, "files.root");
}

TEST(Config, RootIsOptionalWhenTftpIsDisabled) {
  Scratch s;
  auto cfg = s.parse("[tftp]\nenabled = false\n");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_FALSE(cfg->tftp.enabled);
  EXPECT_TRUE(cfg->files.root.empty());
}

TEST(Config, RelativeRootIsResolvedAgainstTheConfigFileDirectory) {
  Scratch s;
  auto cfg = s.parse("[files]\nroot = \"root\"\n");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_EQ(cfg->files.root, s.root());
  cfg = s.parse("[files]\nroot = \"./elsewhere/../root/\"\n");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_EQ(cfg->files.root, s.root());
}

TEST(Config, RelativeStateDirIsResolvedAgainstTheConfigFileDirectory) {
  Scratch s;
  auto cfg = s.parse_with_root("[server]\nstate_dir = \"state\"\n");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_EQ(cfg->server.state_dir, s.dir() / "state");
}

TEST(Config, RelativeRootWithABareFileNameIsResolvedAgainstTheCurrentDirectory) {
  auto cfg = config::parse("[files]\nroot = \".\"\n", "pxed.toml");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_EQ(cfg->files.root, fs::current_path());
  EXPECT_EQ(cfg->source, "pxed.toml");
}

TEST(Config, MissingRootDirectoryIsAnErrorAtItsLineNamingThePathChecked) {
  Scratch s;
  auto e = only_error(s.parse("\n[files]\nroot = \"missing\"\n"));
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.key, "files.root");
  EXPECT_EQ(e.message, "directory " + (s.dir() / "missing").string() + " does not exist");
}

TEST(Config, RootThatIsAFileIsAnError) {
  Scratch s;
  std::ofstream(s.dir() / "file") << "x";
  auto e = only_error(s.parse("[files]\nroot = \"file\"\n"));
  EXPECT_EQ(e.message, (s.dir() / "file").string() + " is not a directory");
  EXPECT_EQ(only_error(s.parse("[files]\nroot = \"\"\n")).message, "must not be empty");
}

// ---- load ----

TEST(Config, LoadReadsTheFileAndRemembersItsPath) {
  Scratch s;
  std::ofstream(s.name()) << s.files_section() << "[tftp]\nblksize_max = 512\n";
  auto cfg = load(s.name());
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_EQ(cfg->source, s.name());
  EXPECT_EQ(cfg->tftp.blksize_max, 512u);
}

TEST(Config, LoadErrorsCarryTheFileNameAndLine) {
  Scratch s;
  std::ofstream(s.name()) << s.files_section() << "[tftp]\nblksize_max = 7\n";
  auto e = only_error(load(s.name()));
  EXPECT_EQ(e.to_string(), s.name() + ":4: tftp.blksize_max: must be 8..65464 (RFC 2348), got 7");
}

TEST(Config, UnreadableFileSaysWhatAndWhere) {
  Scratch s;
  auto e = only_error(load(s.dir() / "absent.toml"));
  EXPECT_EQ(e.line, 0u);
  EXPECT_EQ(e.key, "");
  EXPECT_THAT(e.message,
              HasSubstr("cannot read config file " + (s.dir() / "absent.toml").string()));
  EXPECT_THAT(e.message, HasSubstr("No such file or directory"));
  EXPECT_THAT(only_error(load(s.dir())).message, HasSubstr("is a directory"));
}

// ---- to_string ----

TEST(Config, ErrorToStringOmitsWhatIsMissing) {
  EXPECT_EQ(
      (ConfigError{"pxed.toml", 14, "tftp.blksize_max", "must be 8..65464 (RFC 2348), got 70000"}
           .to_string()),
      "pxed.toml:14: tftp.blksize_max: must be 8..65464 (RFC 2348), got 70000");
  EXPECT_EQ((ConfigError{"pxed.toml", 0, "files.root", "required"}.to_string()),
            "pxed.toml: files.root: required");
  EXPECT_EQ((ConfigError{"pxed.toml", 3, "", "syntax error: x"}.to_string()),
            "pxed.toml:3: syntax error: x");
  EXPECT_EQ((ConfigError{"pxed.toml", 0, "", "cannot read"}.to_string()), "pxed.toml: cannot read");
}

// ---- the shipped example ----

TEST(Config, ExampleFileParsesToTheDefaultsAndDocumentsEveryKey) {
  const fs::path example =
      fs::path(PXED_TEST_DATA).parent_path().parent_path() / "pxed.example.toml";
  std::ifstream in(example);
  ASSERT_TRUE(in) << example;
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();

  // /srv/pxe does not exist here: point root at a real directory, same line.
  const std::string root_line = "root = \"/srv/pxe\"";
  auto at = text.find(root_line);
  ASSERT_NE(at, std::string::npos);
  Scratch s;
  text.replace(at, root_line.size(), "root = \"" + s.root().string() + "\"");

  auto cfg = config::parse(text, example.string());
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  const Config defaults;
  EXPECT_EQ(cfg->server.state_dir, defaults.server.state_dir);
  EXPECT_EQ(cfg->server.user, defaults.server.user);
  EXPECT_EQ(cfg->server.interfaces, defaults.server.interfaces);
  EXPECT_EQ(cfg->server.log_level, defaults.server.log_level);
  EXPECT_EQ(cfg->server.log_format, defaults.server.log_format);
  EXPECT_EQ(cfg->tftp.enabled, defaults.tftp.enabled);
  EXPECT_EQ(cfg->tftp.listen.address, "0.0.0.0");
  EXPECT_EQ(cfg->tftp.listen.port, 69);
  EXPECT_EQ(cfg->tftp.blksize_max, defaults.tftp.blksize_max);
  EXPECT_EQ(cfg->tftp.windowsize_max, defaults.tftp.windowsize_max);
  EXPECT_EQ(cfg->tftp.max_transfers, defaults.tftp.max_transfers);
  EXPECT_EQ(cfg->tftp.retransmit_min, defaults.tftp.retransmit_min);
  EXPECT_EQ(cfg->tftp.retransmit_max, defaults.tftp.retransmit_max);
  EXPECT_EQ(cfg->tftp.idle_timeout, defaults.tftp.idle_timeout);
  EXPECT_EQ(cfg->http.enabled, defaults.http.enabled);
  EXPECT_EQ(cfg->http.listen.address, "0.0.0.0");
  EXPECT_EQ(cfg->http.listen.port, 80);
  EXPECT_EQ(cfg->http.max_connections, defaults.http.max_connections);
  EXPECT_EQ(cfg->http.max_connections_per_client, defaults.http.max_connections_per_client);
  EXPECT_EQ(cfg->tftp.max_transfers_per_client, defaults.tftp.max_transfers_per_client);
  EXPECT_EQ(cfg->http.header_timeout, defaults.http.header_timeout);
  EXPECT_EQ(cfg->http.idle_timeout, defaults.http.idle_timeout);
  EXPECT_EQ(cfg->http.max_header_bytes, defaults.http.max_header_bytes);
  EXPECT_EQ(cfg->http.base_url, defaults.http.base_url);
  EXPECT_EQ(cfg->dhcp.mode, defaults.dhcp.mode);
  EXPECT_EQ(cfg->dhcp.pxe_only, defaults.dhcp.pxe_only);
  EXPECT_EQ(cfg->dhcp.decline_quarantine, defaults.dhcp.decline_quarantine);
  EXPECT_EQ(cfg->dhcp.commit_interval, defaults.dhcp.commit_interval);
  EXPECT_EQ(cfg->dhcp.decline_max_per_client, defaults.dhcp.decline_max_per_client);
  EXPECT_EQ(cfg->dhcp.decline_max_percent, defaults.dhcp.decline_max_percent);
  EXPECT_EQ(cfg->dhcp.interface_bindings_per_second, defaults.dhcp.interface_bindings_per_second);
  EXPECT_EQ(cfg->dhcp.client_bindings_per_second, defaults.dhcp.client_bindings_per_second);
  EXPECT_EQ(cfg->dhcp.client_answers_per_second, defaults.dhcp.client_answers_per_second);
  EXPECT_EQ(cfg->dhcp.relay_policy, defaults.dhcp.relay_policy);
  EXPECT_TRUE(cfg->dhcp.subnets.empty());
  EXPECT_TRUE(cfg->boot.hosts.empty());
  EXPECT_FALSE(cfg->boot.menu);

  for (std::string key : {"state_dir", "user", "interfaces", "log_level", "log_format", "root",
                          "enabled", "listen", "blksize_max", "windowsize_max", "max_transfers",
                          "retransmit_min", "retransmit_max", "idle_timeout", "max_connections",
                          "header_timeout", "max_header_bytes", "base_url", "mode", "pxe_only",
                          "decline_quarantine", "commit_interval", "decline_max_per_client",
                          "decline_max_percent", "interface_bindings_per_second",
                          "client_bindings_per_second", "client_answers_per_second", "relay_policy", "max_transfers_per_client",
                          "max_connections_per_client"}) {
    EXPECT_THAT(text, HasSubstr("\n" + key + " = ")) << "the example does not set " << key;
  }
  // The inventory is shown in comments: an example must not boot anything.
  EXPECT_TRUE(cfg->inventory.profiles.empty());
  EXPECT_TRUE(cfg->inventory.groups.empty());
  EXPECT_TRUE(cfg->inventory.machines.empty());
  EXPECT_EQ(cfg->boot.default_profile, "");
  for (std::string key : {"default", "[[profile]]", "name", "label", "kernel", "initrd", "append",
                          "chain", "menu", "timeout", "local", "vars", "[[group]]", "match",
                          "mac", "subnet", "relay", "arch", "vendor_class", "uuid", "profile",
                          "[[machine]]", "once"}) {
    const bool shown = text.find("\n# " + key) != std::string::npos ||
                       text.find("\n#   " + key) != std::string::npos;
    EXPECT_TRUE(shown) << "the example does not document " << key;
  }
}

}  // namespace
}  // namespace pxed::config
