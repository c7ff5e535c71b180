#include "app/status_cli.hpp"

#include <gtest/gtest.h>

namespace pxed::app {
namespace {

using nlohmann::json;

TEST(StatusTable, OneRowPerMachineWithItsProgressAndAge) {
  const auto answer = json::parse(R"({"machines":[
    {"mac":"52:54:00:00:00:0a","ip":"10.0.0.5","arch":"efi64","stage":"kernel","boot_ms":2500,
     "last_seen_ms":97000,"last_file":"/vmlinuz","problem":""},
    {"mac":"52:54:00:00:00:0b","ip":"","arch":"","stage":"","boot_ms":0,
     "last_seen_ms":40000,"last_file":"","problem":"tftp lpxelinux.0: timeout"}]})");
  const auto table = status_table(answer, 100000);
  EXPECT_EQ(table,
            "MAC                IP        ARCH   STAGE   PROGRESS  BOOT  LAST SEEN  LAST FILE  PROBLEM\n"
            "52:54:00:00:00:0a  10.0.0.5  efi64  kernel  ####---   2.5s  3s ago     /vmlinuz\n"
            "52:54:00:00:00:0b                   -       -------   -     60s ago               tftp lpxelinux.0: timeout\n");
}

TEST(StatusTable, SaysSoWhenNoMachineAsked) {
  EXPECT_EQ(status_table(json::parse(R"({"machines":[]})"), 0),
            "no machine has asked since pxed started, and the inventory names none by MAC\n");
}

TEST(StatusTable, NamesFromTheInventoryAndMachinesThatHaveNotAsked) {
  const auto answer = json::parse(R"({"machines":[
    {"mac":"52:54:00:00:00:0a","name":"web-1","seen":true,"ip":"10.0.0.5","arch":"bios","stage":"done",
     "boot_ms":61000,"last_seen_ms":99000,"last_file":"/pxed/v1/done","problem":""},
    {"mac":"52:54:00:00:00:0b","name":"web-2","seen":false,"ip":"","arch":"","stage":"","boot_ms":0,
     "last_seen_ms":0,"last_file":"","problem":""}]})");
  EXPECT_EQ(status_table(answer, 100000),
            "MAC                NAME   IP        ARCH  STAGE     PROGRESS  BOOT   LAST SEEN  LAST FILE      PROBLEM\n"
            "52:54:00:00:00:0a  web-1  10.0.0.5  bios  done      #######   61.0s  1s ago     /pxed/v1/done\n"
            "52:54:00:00:00:0b  web-2                  not seen  -------   -      never\n");
}

TEST(EventLine, ReadsLikeTheLogLineInTheApisFieldOrder) {
  const auto e = nlohmann::ordered_json::parse(
      R"({"id":7,"time":"2026-12-07T08:41:02.117Z","time_ms":1,"level":"info","event":"tftp.done",)"
      R"("file":"a b","bytes":42,"result":"ok","mac":"52:54:00:00:00:0a"})");
  EXPECT_EQ(event_line(e), R"(2026-12-07T08:41:02.117Z info tftp.done file="a b" bytes=42 result=ok mac=52:54:00:00:00:0a)");
}

}  // namespace
}  // namespace pxed::app
