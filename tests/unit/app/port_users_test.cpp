#include "app/port_users.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bit>

namespace pxed::app {
namespace {

// Lines as a little-endian kernel writes them (addresses are native-endian words).
constexpr bool kLittle = std::endian::native == std::endian::little;

TEST(PortUsers, ReadsAnUnconnectedUdpSocketOnTheWildcardAddress) {
  auto e = parse_socket_line(
      "  1283: 00000000:0043 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 34567 2 "
      "0000000000000000 0");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->local_address, "0.0.0.0");
  EXPECT_EQ(e->local_port, 67);
  EXPECT_EQ(e->state, 7);
  EXPECT_EQ(e->inode, 34567u);
}

TEST(PortUsers, ReadsAddressesInTheKernelsWordOrder) {
  if (!kLittle) GTEST_SKIP() << "the sample lines are a little-endian kernel's";
  auto tcp = parse_socket_line(
      "   0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 56789 1 "
      "0000000000000000 100 0 0 10 0");
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->local_address, "127.0.0.1");
  EXPECT_EQ(tcp->local_port, 80);
  auto udp6 = parse_socket_line(
      "  1291: 00000000000000000000000001000000:0045 00000000000000000000000000000000:0000 07 "
      "00000000:00000000 00:00000000 00000000     0        0 45678 2 0000000000000000 0");
  ASSERT_TRUE(udp6);
  EXPECT_EQ(udp6->local_address, "::1");
  EXPECT_EQ(udp6->local_port, 69);
}

TEST(PortUsers, RefusesTheHeaderAndTruncatedLines) {
  EXPECT_FALSE(parse_socket_line(
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops"));
  EXPECT_FALSE(parse_socket_line("  1283: 00000000:0043 00000000:0000 07"));
  EXPECT_FALSE(parse_socket_line("  1283: 000000:0043 00000000:0000 07 0:0 0:0 0 0 0 1"));
  EXPECT_FALSE(parse_socket_line("  1283: 00000000:1FFFF 00000000:0000 07 0:0 0:0 0 0 0 1"));
  EXPECT_FALSE(parse_socket_line(""));
}

TEST(PortUsers, ReadsTheInodeOfASocketLinkOnly) {
  EXPECT_EQ(socket_inode_of_link("socket:[12345]"), 12345u);
  EXPECT_FALSE(socket_inode_of_link("pipe:[12345]"));
  EXPECT_FALSE(socket_inode_of_link("socket:[]"));
  EXPECT_FALSE(socket_inode_of_link("/var/lib/pxed/leases.sqlite3"));
}

TEST(PortUsers, OnlyListenersAnswerOnTcpAndOnlyUnconnectedSocketsOnUdp) {
  // One table for both here; /proc keeps them apart (udp, tcp), which is what the transport says.
  const std::vector<SocketEntry> table{
      {"0.0.0.0", 80, 0x0a, 1},    // listening
      {"10.0.0.1", 80, 0x01, 2},   // an established connection to our port
      {"0.0.0.0", 67, 0x07, 3},    // unconnected UDP
      {"10.0.0.1", 67, 0x01, 4},   // connected UDP
      {"0.0.0.0", 69, 0x07, 0},    // no inode: nobody holds it
  };
  auto tcp = answering_on(table, Transport::tcp, 80);
  ASSERT_EQ(tcp.size(), 1u);
  EXPECT_EQ(tcp[0].inode, 1u);
  auto udp = answering_on(table, Transport::udp, 67);
  ASSERT_EQ(udp.size(), 1u);
  EXPECT_EQ(udp[0].inode, 3u);
  EXPECT_TRUE(answering_on(table, Transport::udp, 69).empty());
  EXPECT_TRUE(answering_on(table, Transport::tcp, 67).empty());
}

TEST(PortUsers, NamesEachProcessAndWhereItListens) {
  EXPECT_EQ(describe_port_users({{812, "dnsmasq", "0.0.0.0:67"}}, Transport::udp, 67, true),
            "udp port 67 is held by dnsmasq (pid 812) on 0.0.0.0:67");
  EXPECT_EQ(describe_port_users({{812, "dnsmasq", "10.0.0.1:69"}, {812, "dnsmasq", "[::1]:69"}, {900, "pxed", "0.0.0.0:69"}},
                                Transport::udp, 69, true),
            "udp port 69 is held by dnsmasq (pid 812) on 10.0.0.1:69, [::1]:69; pxed (pid 900) on 0.0.0.0:69");
}

TEST(PortUsers, SaysHowToFindAHolderItCannotSee) {
  EXPECT_EQ(describe_port_users({}, Transport::tcp, 80, true),
            "another process holds tcp port 80 (run as root to see which, or: ss -tlpn 'sport = :80')");
  EXPECT_EQ(describe_port_users({}, Transport::udp, 67, false), "");
}

TEST(PortUsers, LeavesOutThisProcesssOwnSockets) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const auto port = ntohs(addr.sin_port);
  EXPECT_EQ(port_users_text(Transport::udp, port), "");
  ::close(fd);
}

}  // namespace
}  // namespace pxed::app
