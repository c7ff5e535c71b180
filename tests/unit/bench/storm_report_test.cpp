#include "storm/report.hpp"

#include <gtest/gtest.h>

namespace pxed::storm {
namespace {

Result finished(double start, double total) {
  Result r;
  r.done = true;
  r.start_ms = start;
  r.dhcp_ms = 10;
  r.total_ms = total;
  r.discovers = 1;
  r.requests = 1;
  return r;
}

TEST(StormReport, WallTimeIsTheLastFinishedMachineFromTheRunsStart) {
  std::vector<Result> results{finished(0, 100), finished(500, 200), finished(50, 600)};
  auto text = report_text(results);
  EXPECT_NE(text.find("storm clients=3 done=3 failed=0 wall_ms=700.0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("stage name=total n=3 p50_ms=200.00 p99_ms=600.00 max_ms=600.00\n"), std::string::npos) << text;
  // Stages no machine reached report -1.
  EXPECT_NE(text.find("stage name=kernel n=0 p50_ms=-1.00"), std::string::npos) << text;
  EXPECT_NE(text.find("dhcp_discover_retries=0 requests=3 dhcp_request_retries=0 dhcp_naks=0"), std::string::npos)
      << text;
}

TEST(StormReport, FailuresAreGroupedByStageWithTheFirstReason) {
  Result a;
  a.failed = "loader: lpxelinux.0: timeout";
  a.discovers = 2;
  a.requests = 1;
  Result b;
  b.failed = "loader: syslinux.efi: timeout";
  b.discovers = 1;
  b.requests = 3;
  b.naks = 2;  // three rounds: two NAKed, one ACKed
  Result c;  // never finished nor failed: still running at the deadline
  auto text = report_text({a, b, c, finished(0, 50)});
  EXPECT_NE(text.find("storm clients=4 done=1 failed=3 wall_ms=50.0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("failure stage=loader count=2 first=\"loader: lpxelinux.0: timeout\"\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("failure stage=unfinished count=1 first=\"still running at the deadline\"\n"),
            std::string::npos)
      << text;
  // 4 machines + 2 NAK rounds = 6 rounds: 4 DISCOVERs and 5 REQUESTs were no resends.
  EXPECT_NE(text.find("discovers=4 dhcp_discover_retries=0 requests=5 dhcp_request_retries=0 dhcp_naks=2"),
            std::string::npos)
      << text;
}

TEST(StormReport, CsvHasOneLinePerMachineWithItsIdentity) {
  auto csv = csv_text({finished(0, 100), Result{}}, 100);
  EXPECT_NE(csv.find("\n0,02:5c:00:00:00:00,7,1,0.000,10.000,,,,,,,100.000,1,1,0,0,0,\"\"\n"), std::string::npos)
      << csv;
  EXPECT_NE(csv.find("\n1,02:5c:00:00:00:01,7,0,"), std::string::npos) << csv;
}

}  // namespace
}  // namespace pxed::storm
