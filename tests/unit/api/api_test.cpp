#include "api/api.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace pxed::api {
namespace {

using events::Event;
using events::Kind;
using nlohmann::json;

const core::Mac kA = *core::Mac::parse("52:54:00:00:00:0a");

class ApiTest : public ::testing::Test {
 protected:
  History history{100};
  MachineTable machines;
  Stream stream{{.max_subscribers = 1, .max_behind = 10}};
  bool ready = false;
  Throughput traffic;
  Api api{Sources{.history = history, .machines = machines, .stream = stream, .ready = [this] { return ready; },
                  .traffic = &traffic, .clock = [this] { return now; }}};
  events::Bus bus{[this] { return now += 10; }};
  std::int64_t now = 1'796'000'000'000;
  vfs::Requester who{};

  void SetUp() override {
    bus.add(std::shared_ptr<History>(&history, [](History*) {}));
    bus.add(std::shared_ptr<MachineTable>(&machines, [](MachineTable*) {}));
    bus.add(std::shared_ptr<Stream>(&stream, [](Stream*) {}));
    bus.add(std::shared_ptr<Throughput>(&traffic, [](Throughput*) {}));
  }

  std::optional<http::Answer> get(std::string_view path, std::string_view query = {},
                                  std::string_view last_event_id = {}) {
    return api.answer(http::Call{"GET", path, query, {}, last_event_id, who});
  }
  json get_json(std::string_view path, std::string_view query = {}, unsigned status = 200) {
    auto a = get(path, query);
    EXPECT_TRUE(a.has_value()) << path;
    if (!a) return {};
    EXPECT_EQ(a->status, status) << a->body;
    EXPECT_EQ(a->content_type, "application/json");
    return json::parse(a->body);
  }
  void boot(const core::Mac& mac) {
    bus.emit(Event{Kind::dhcp_ack}.about(mac).add("ip", "10.0.0.5").add("arch", "bios"));
    bus.emit(Event{Kind::machine_stage}.about(mac).add("stage", "dhcp"));
    bus.emit(Event{Kind::tftp_done}.about(mac).add("file", "lpxelinux.0").add("bytes", 42372).add("result", "ok"));
    bus.emit(Event{Kind::machine_stage}.about(mac).add("stage", "loader").add("path", "lpxelinux.0"));
  }
};

TEST(ApiImages, ListsWhatTheCatalogueSaysAndNoImagesWhenNothingIsServed) {
  History history{1};
  MachineTable machines;
  Stream stream;
  vfs::Requester who{};
  const Api none{Sources{history, machines, stream, {}}};
  auto a = none.answer(http::Call{"GET", "/api/v1/images", {}, {}, {}, who});
  ASSERT_TRUE(a);
  EXPECT_EQ(json::parse(a->body), (json{{"images", json::array()}}));

  // A volume id is the image's bytes: one that is not UTF-8 is answered, not thrown.
  const Api api{Sources{history, machines, stream, {}, {}, {}, [] {
                          return json::array({{{"url", "/iso/debian-11/"}, {"volume_id", "bad \xff"}}});
                        }}};
  a = api.answer(http::Call{"GET", "/api/v1/images", {}, {}, {}, who});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200u);
  auto j = json::parse(a->body);
  EXPECT_EQ(j["images"][0]["url"], "/iso/debian-11/");
  EXPECT_EQ(j["images"][0]["volume_id"], "bad \xEF\xBF\xBD");
  auto index = json::parse(api.answer(http::Call{"GET", "/api/v1/", {}, {}, {}, who})->body);
  EXPECT_NE(std::ranges::find(index["endpoints"], "/api/v1/images"), index["endpoints"].end());
}

TEST(ApiLeases, EachSubnetsUseAndEveryLease) {
  History history{1};
  MachineTable machines;
  Stream stream;
  config::Subnet subnet;
  subnet.network = *core::Ipv4Network::parse("10.0.0.0/24");
  subnet.range_first = *core::Ipv4::parse("10.0.0.100");
  subnet.range_last = *core::Ipv4::parse("10.0.0.109");
  store::Lease lease;
  lease.ip = *core::Ipv4::parse("10.0.0.101");
  lease.mac = kA;
  lease.hostname = "db-03";
  lease.expires = 1'796'000'000;
  Api api{Sources{history, machines, stream, {}, {subnet}, [&] { return std::vector{lease}; }}};
  vfs::Requester who{};
  auto a = api.answer(http::Call{"GET", "/api/v1/leases", {}, {}, {}, who});
  ASSERT_TRUE(a);
  auto j = json::parse(a->body);
  EXPECT_EQ(j["subnets"][0]["network"], "10.0.0.0/24");
  EXPECT_EQ(j["subnets"][0]["size"], 10);
  EXPECT_EQ(j["subnets"][0]["used"], 1);
  EXPECT_EQ(j["subnets"][0]["free"], 9);
  EXPECT_EQ(j["leases"][0]["mac"], "52:54:00:00:00:0a");
  EXPECT_EQ(j["leases"][0]["hostname"], "db-03");
  EXPECT_EQ(j["leases"][0]["expires"], "2026-11-30T00:53:20.000Z");
}

TEST_F(ApiTest, HealthAndReadiness) {
  EXPECT_EQ(get("/healthz")->status, 200u);
  EXPECT_EQ(get("/readyz")->status, 503u);
  ready = true;
  EXPECT_EQ(get("/readyz")->status, 200u);
}

TEST_F(ApiTest, EventsAreTypedJsonPagedByCursor) {
  boot(kA);
  bus.emit(Event{Kind::http_request}.add("path", "/x").add("status", 200));
  auto page = get_json("/api/v1/events", "limit=2");
  ASSERT_EQ(page["events"].size(), 2u);
  EXPECT_EQ(page["events"][0]["event"], "dhcp.ack");
  EXPECT_EQ(page["events"][0]["mac"], "52:54:00:00:00:0a");
  EXPECT_TRUE(page["more"].get<bool>());
  auto rest = get_json("/api/v1/events", "after=" + std::to_string(page["next"].get<int>()));
  ASSERT_EQ(rest["events"].size(), 3u);
  EXPECT_EQ(rest["events"][0]["bytes"], 42372);
  auto newest = get_json("/api/v1/events", "tail=2");
  ASSERT_EQ(newest["events"].size(), 2u);
  EXPECT_EQ(newest["events"][1]["event"], "http.request");
  EXPECT_EQ(newest["next"], newest["events"][1]["id"]);
  auto mine = get_json("/api/v1/events", "mac=52%3A54%3A00%3A00%3A00%3A0a&kind=tftp.done");
  ASSERT_EQ(mine["events"].size(), 1u);
  EXPECT_EQ(mine["events"][0]["file"], "lpxelinux.0");
  auto stages_and_acks = get_json("/api/v1/events", "kind=machine.stage,dhcp.ack");
  EXPECT_EQ(stages_and_acks["events"].size(), 3u);
  EXPECT_TRUE(get_json("/api/v1/events", "level=warn")["events"].empty());
}

TEST_F(ApiTest, BadQueriesSayWhatIsWrong) {
  EXPECT_NE(get_json("/api/v1/events", "kind=tftp.finished", 400)["error"].get<std::string>().find("kind"),
            std::string::npos);
  EXPECT_NE(get_json("/api/v1/events", "mac=nope", 400)["error"].get<std::string>().find("MAC"), std::string::npos);
  EXPECT_NE(get_json("/api/v1/events", "level=loud", 400)["error"].get<std::string>().find("level"),
            std::string::npos);
  EXPECT_NE(get_json("/api/v1/events", "limit=0", 400)["error"].get<std::string>().find("limit"), std::string::npos);
  EXPECT_NE(get_json("/api/v1/events", "tail=1001", 400)["error"].get<std::string>().find("tail"), std::string::npos);
  EXPECT_EQ(get_json("/api/v1/machines/52:54:00:00:00:99", {}, 404)["error"].get<std::string>().find("not seen") !=
                std::string::npos,
            true);
  EXPECT_FALSE(get("/api/v1/nothing-here").has_value());  // 404 from the service
}

TEST_F(ApiTest, MachinesShowTheirStageAndTimeline) {
  boot(kA);
  auto list = get_json("/api/v1/machines");
  ASSERT_EQ(list["machines"].size(), 1u);
  const auto& row = list["machines"][0];
  EXPECT_EQ(row["mac"], "52:54:00:00:00:0a");
  EXPECT_EQ(row["ip"], "10.0.0.5");
  EXPECT_EQ(row["stage"], "loader");
  EXPECT_EQ(row["boot_ms"], 20);  // dhcp at +20 ms, loader at +40 ms
  EXPECT_EQ(row["last_file"], "lpxelinux.0");
  auto one = get_json("/api/v1/machines/52:54:00:00:00:0a");
  EXPECT_EQ(one["machine"]["stage"], "loader");
  ASSERT_EQ(one["events"].size(), 4u);
  EXPECT_EQ(one["events"][3]["stage"], "loader");
}

TEST_F(ApiTest, ChangedSinceGivesOnlyTheRowsHeardFromSinceTheLastAnswer) {
  const auto kB = *core::Mac::parse("52:54:00:00:00:0b");
  boot(kA);
  now += 5;  // rows heard from at the cursor's own millisecond come again (none is missed)
  auto all = get_json("/api/v1/machines");
  ASSERT_EQ(all["machines"].size(), 1u);
  const auto cursor = all["now_ms"].get<std::int64_t>();
  EXPECT_EQ(cursor, now);
  EXPECT_TRUE(get_json("/api/v1/machines", "changed_since=" + std::to_string(cursor))["machines"].empty());
  boot(kB);
  auto changed = get_json("/api/v1/machines", "changed_since=" + std::to_string(cursor));
  ASSERT_EQ(changed["machines"].size(), 1u);
  EXPECT_EQ(changed["machines"][0]["mac"], "52:54:00:00:00:0b");
  EXPECT_NE(get_json("/api/v1/machines", "changed_since=yesterday", 400)["error"].get<std::string>().find(
                "changed_since"),
            std::string::npos);
}

TEST(ApiKnownMachines, TheInventorysMachinesByMacInFileOrderOnce) {
  config::Inventory inventory;
  auto add = [&](std::string_view mac, std::string name) {
    config::Machine m;
    if (mac.size() == 36) m.uuid = core::Uuid::parse(mac);
    else m.mac = core::Mac::parse(mac);
    m.name = std::move(name);
    inventory.machines.push_back(std::move(m));
  };
  add("52:54:00:00:00:0b", "web-2");
  add("12345678-1234-1234-1234-123456789abc", "by-uuid");
  add("52:54:00:00:00:0a", "");
  add("52:54:00:00:00:0b", "again");
  auto known = known_machines(inventory);
  ASSERT_EQ(known.size(), 2u);
  EXPECT_EQ(known[0].mac.to_string(), "52:54:00:00:00:0b");
  EXPECT_EQ(known[0].name, "web-2");
  EXPECT_EQ(known[1].mac, kA);
}

TEST_F(ApiTest, InventoryMachinesAreListedBeforeTheyAskAndNamedAfter) {
  const auto kB = *core::Mac::parse("52:54:00:00:00:0b");
  const std::vector<KnownMachine> known{{kB, "web-2"}, {kA, "web-1"}};
  Sources sources{.history = history, .machines = machines, .stream = stream, .ready = {}};
  sources.clock = [this] { return now; };
  sources.known = &known;
  Api with_inventory{std::move(sources)};
  auto list_of = [&](std::string_view query = {}) {
    auto a = with_inventory.answer(http::Call{"GET", "/api/v1/machines", query, {}, {}, who});
    EXPECT_TRUE(a && a->status == 200);
    return a ? json::parse(a->body)["machines"] : json::array();
  };
  auto before = list_of();
  ASSERT_EQ(before.size(), 2u);
  EXPECT_EQ(before[0]["mac"], "52:54:00:00:00:0b");
  EXPECT_EQ(before[0]["name"], "web-2");
  EXPECT_EQ(before[0]["seen"], false);
  EXPECT_EQ(before[0]["stage"], "");
  EXPECT_EQ(before[0]["first_seen"], "");
  auto timeline = with_inventory.answer(http::Call{"GET", "/api/v1/machines/52:54:00:00:00:0b", {}, {}, {}, who});
  ASSERT_TRUE(timeline.has_value());
  EXPECT_EQ(timeline->status, 200u);
  EXPECT_EQ(json::parse(timeline->body)["machine"]["seen"], false);
  EXPECT_TRUE(json::parse(timeline->body)["events"].empty());

  boot(kA);
  auto after = list_of();
  ASSERT_EQ(after.size(), 2u);  // web-1 has asked: first, seen, still named
  EXPECT_EQ(after[0]["mac"], "52:54:00:00:00:0a");
  EXPECT_EQ(after[0]["name"], "web-1");
  EXPECT_EQ(after[0]["seen"], true);
  EXPECT_EQ(after[0]["stage"], "loader");
  EXPECT_EQ(after[1]["seen"], false);
  // A refresh asks what changed: a machine that has not asked has not changed.
  auto changed = list_of("changed_since=" + std::to_string(now - 1));
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0]["mac"], "52:54:00:00:00:0a");
  // A MAC neither seen nor in the inventory is still a 404.
  auto stranger = with_inventory.answer(http::Call{"GET", "/api/v1/machines/52:54:00:00:00:0c", {}, {}, {}, who});
  ASSERT_TRUE(stranger.has_value());
  EXPECT_EQ(stranger->status, 404u);
}

TEST_F(ApiTest, TrafficIsTheLastMinuteOfTheTreesBytesASecondABucket) {
  boot(kA);  // one tftp.done of 42372 bytes at now + 30 ms
  now += 2000;
  bus.emit(Event{Kind::http_request}.add("path", "/vmlinuz").add("bytes", 1000).add("status", 200));
  bus.emit(Event{Kind::http_request}.add("path", "/api/v1/machines").add("route", "/api/").add("bytes", 99));
  now += 1000;
  auto t = get_json("/api/v1/traffic");
  ASSERT_EQ(t["seconds"], 60);
  ASSERT_EQ(t["tftp"]["bytes"].size(), 60u);
  const auto sum = [](const json& list) {
    std::uint64_t n = 0;
    for (const auto& v : list) n += v.get<std::uint64_t>();
    return n;
  };
  EXPECT_EQ(sum(t["tftp"]["bytes"]), 42372u);
  EXPECT_EQ(sum(t["http"]["bytes"]), 1000u);  // the API's own request is not boot traffic
  EXPECT_EQ(sum(t["http"]["transfers"]), 1u);
  EXPECT_EQ(t["http"]["bytes"][58], 1000);  // the second before now's, which is the last bucket
  EXPECT_EQ(t["tftp"]["bytes"][56], 42372);
  now += 61'000;  // a minute later it has all left the window
  EXPECT_EQ(sum(get_json("/api/v1/traffic")["tftp"]["bytes"]), 0u);
}

TEST_F(ApiTest, AStreamReplaysWhatItMissedThenGoesLive) {
  boot(kA);
  auto a = get("/api/v1/events/stream", {}, "2");  // EventSource's Last-Event-ID
  ASSERT_TRUE(a && a->feed);
  EXPECT_EQ(a->content_type, "text/event-stream");
  EXPECT_TRUE(a->body.starts_with("retry: "));
  EXPECT_NE(a->body.find("id: 3\n"), std::string::npos);
  EXPECT_NE(a->body.find("id: 4\n"), std::string::npos);
  EXPECT_EQ(a->body.find("id: 2\n"), std::string::npos);
  bus.emit(Event{Kind::http_request}.add("path", "/vmlinuz").add("status", 200));
  auto live = a->feed->take();
  ASSERT_EQ(live.size(), 1u);
  EXPECT_TRUE(live[0]->starts_with("id: 5\nevent: http.request\n"));
  // One stream is the limit here: the next is told to come back.
  EXPECT_EQ(get("/api/v1/events/stream")->status, 503u);
}

}  // namespace
}  // namespace pxed::api
