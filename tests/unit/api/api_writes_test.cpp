// The API's writes: who may (the bearer token), which methods each path
// takes, what a bad request gets, and that the answer waits for the change.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/api.hpp"

namespace pxed::api {
namespace {

using nlohmann::json;

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";
constexpr std::string_view kMachine = "/api/v1/machines/52:54:00:00:00:0a";

// Changes that remember what they were asked and answer when told to.
class FakeChanges : public Changes {
 public:
  void apply(Change change, Done done) override {
    asked.push_back(change);
    pending.push_back(std::move(done));
  }
  Boot boot_of(const core::Mac&) const override { return Boot{.profile = "rescue", .rule = "r", .assigned = {}, .assigned_at = 0, .assigned_by = {}}; }
  void finish(std::expected<Changed, Refused> result) {
    auto done = std::move(pending.front());
    pending.erase(pending.begin());
    done(std::move(result));
  }
  std::vector<Change> asked;
  std::vector<Done> pending;
};

class ApiWrites : public ::testing::Test {
 protected:
  History history{10};
  MachineTable machines;
  Stream stream;
  FakeChanges changes;
  Api api{Sources{.history = history, .machines = machines, .stream = stream, .ready = {},
                  .changes = &changes, .token = std::make_shared<const Token>(std::string(kSecret))}};
  Api off{Sources{.history = history, .machines = machines, .stream = stream, .ready = {}, .changes = &changes,
                  .token = nullptr}};
  vfs::Requester who{};
  std::string bearer = "Bearer " + std::string(kSecret);

  std::optional<http::Answer> call(const Api& to, std::string_view method, std::string path,
                                   std::string_view authorization, std::string_view body = {}) {
    path_ = std::move(path);
    return to.answer(http::Call{method, path_, {}, authorization, {}, who, body});
  }
  // Runs the later part as http_service would, the change finishing with result.
  http::Answer finish(http::Answer a, std::expected<Changed, Refused> result) {
    EXPECT_TRUE(a.later) << a.status << " " << a.body;
    std::optional<http::Answer> out;
    a.later([&](http::Answer given) { out = std::move(given); });
    EXPECT_FALSE(out) << "answered before the change was made";
    changes.finish(std::move(result));
    EXPECT_TRUE(out);
    return out ? std::move(*out) : http::Answer{};
  }
  std::string path_;
};

std::string header(const http::Answer& a, std::string_view name) {
  for (const auto& [n, v] : a.headers) {
    if (n == name) return v;
  }
  return {};
}

TEST(ApiToken, AdmitsOnlyItsBearerTokenInAnyCaseOfTheScheme) {
  Token token{"s3cret-Token_1"};
  EXPECT_TRUE(token.admits("Bearer s3cret-Token_1"));
  EXPECT_TRUE(token.admits("bearer s3cret-Token_1"));
  EXPECT_TRUE(token.admits("BEARER  s3cret-Token_1 "));
  EXPECT_FALSE(token.admits("Bearer s3cret-Token_2"));
  EXPECT_FALSE(token.admits("Bearer s3cret-Token_1x"));
  EXPECT_FALSE(token.admits("Bearer s3cret-Token_"));
  EXPECT_FALSE(token.admits("Basic s3cret-Token_1"));
  EXPECT_FALSE(token.admits("Bearers3cret-Token_1"));
  EXPECT_FALSE(token.admits("s3cret-Token_1"));
  EXPECT_FALSE(token.admits(""));
  EXPECT_FALSE(Token{""}.admits("Bearer "));
}

TEST(ApiToken, ComparesEveryByteWhateverTheLengths) {
  EXPECT_TRUE(equal_in_constant_time("abc", "abc"));
  EXPECT_FALSE(equal_in_constant_time("abd", "abc"));
  EXPECT_FALSE(equal_in_constant_time("ab", "abc"));
  EXPECT_FALSE(equal_in_constant_time("abcd", "abc"));
  EXPECT_FALSE(equal_in_constant_time("", "abc"));
  EXPECT_TRUE(equal_in_constant_time("", ""));
  // A prefix that differs only by ~ of the missing byte is still unequal.
  EXPECT_FALSE(equal_in_constant_time(std::string_view("ab"), std::string_view("ab\xff", 3)));
}

TEST_F(ApiWrites, WithoutATokenOrWithAWrongOneIs401WithABearerChallenge) {
  auto none = call(api, "POST", std::string(kMachine) + "/reinstall", "");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401u);
  EXPECT_EQ(header(*none, "WWW-Authenticate"), R"(Bearer realm="pxed")");
  auto wrong = call(api, "POST", std::string(kMachine) + "/reinstall", "Bearer nope");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401u);
  EXPECT_EQ(header(*wrong, "WWW-Authenticate"), R"(Bearer realm="pxed", error="invalid_token")");
  EXPECT_EQ(wrong->body.find("nope"), std::string::npos) << "what was sent is never echoed";
  EXPECT_TRUE(changes.asked.empty());
}

TEST_F(ApiWrites, WithoutATokenFileWritesAre403SayingHowToEnableThem) {
  auto a = call(off, "POST", std::string(kMachine) + "/reinstall", bearer);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 403u);
  EXPECT_NE(a->body.find("[api] token_file"), std::string::npos) << a->body;
  EXPECT_TRUE(changes.asked.empty());
}

TEST_F(ApiWrites, AWrongMethodOnAKnownPathIs405WithAllow) {
  struct Case {
    std::string method, path, allow;
  };
  for (const auto& c : std::vector<Case>{{"GET", std::string(kMachine) + "/reinstall", "POST"},
                                         {"PUT", std::string(kMachine) + "/done", "POST"},
                                         {"POST", std::string(kMachine) + "/profile", "PUT, DELETE"},
                                         {"POST", "/api/v1/machines", "GET, HEAD"},
                                         {"DELETE", std::string(kMachine), "GET, HEAD"},
                                         {"PUT", "/api/v1/events", "GET, HEAD"},
                                         {"POST", "/api/v1/events/stream", "GET, HEAD"}}) {
    auto a = call(api, c.method, c.path, bearer);
    ASSERT_TRUE(a) << c.method << " " << c.path;
    EXPECT_EQ(a->status, 405u) << c.method << " " << c.path;
    EXPECT_EQ(header(*a, "Allow"), c.allow) << c.method << " " << c.path;
  }
  EXPECT_EQ(stream.subscribers(), 0u) << "a stream asked with POST was never opened";
  EXPECT_FALSE(call(api, "POST", std::string(kMachine) + "/explode", bearer)) << "an unknown path is 404";
  EXPECT_FALSE(call(api, "POST", "/api/v2/machines", bearer));
  EXPECT_TRUE(changes.asked.empty());
}

TEST_F(ApiWrites, ABadMacOrBodyIs400) {
  auto mac = call(api, "POST", "/api/v1/machines/not-a-mac/reinstall", bearer);
  ASSERT_TRUE(mac);
  EXPECT_EQ(mac->status, 400u);
  for (std::string_view body : {"", "profile=x", "[]", R"({"profile": 3})", R"({"profile": ""})", R"({"name": "x"})"}) {
    auto a = call(api, "PUT", std::string(kMachine) + "/profile", bearer, body);
    ASSERT_TRUE(a) << body;
    EXPECT_EQ(a->status, 400u) << body;
    EXPECT_NE(a->body.find(R"(\"profile\")"), std::string::npos) << a->body;
  }
  EXPECT_TRUE(changes.asked.empty());
}

TEST_F(ApiWrites, EachWriteAsksForItsChangeAndAnswersOnceItIsMade) {
  auto a = call(api, "PUT", std::string(kMachine) + "/profile", bearer, R"({"profile": "rescue"})");
  ASSERT_TRUE(a);
  auto done = finish(std::move(*a), Changed{Boot{.profile = "rescue", .rule = "profile rescue assigned", .assigned = "rescue",
                                                 .assigned_at = 1'796'590'925, .assigned_by = "api"},
                                            "it boots profile rescue"});
  EXPECT_EQ(done.status, 200u);
  auto j = json::parse(done.body);
  EXPECT_EQ(j["mac"], "52:54:00:00:00:0a");
  EXPECT_EQ(j["action"], "assign");
  EXPECT_EQ(j["boot"]["profile"], "rescue");
  EXPECT_EQ(j["boot"]["assigned"]["by"], "api");
  EXPECT_EQ(j["boot"]["assigned"]["at"], "2026-12-06T21:02:05.000Z");
  ASSERT_EQ(changes.asked.size(), 1u);
  EXPECT_EQ(changes.asked[0].action, Action::assign);
  EXPECT_EQ(changes.asked[0].profile, "rescue");

  const std::vector<std::pair<std::string, Action>> more{{"POST /reinstall", Action::reinstall},
                                                         {"POST /done", Action::done},
                                                         {"DELETE /profile", Action::unassign}};
  for (const auto& [what, action] : more) {
    const auto space = what.find(' ');
    auto b = call(api, what.substr(0, space), std::string(kMachine) + what.substr(space + 1), bearer);
    ASSERT_TRUE(b) << what;
    EXPECT_EQ(finish(std::move(*b), Changed{}).status, 200u) << what;
    EXPECT_EQ(changes.asked.back().action, action) << what;
  }
}

TEST_F(ApiWrites, ARefusedChangeGetsItsStatus) {
  const std::vector<std::pair<Refused::Why, unsigned>> cases{
      {Refused::Why::unknown_profile, 400}, {Refused::Why::unknown_machine, 404}, {Refused::Why::store, 500}};
  for (const auto& [why, status] : cases) {
    auto a = call(api, "POST", std::string(kMachine) + "/done", bearer);
    ASSERT_TRUE(a);
    auto answer = finish(std::move(*a), std::unexpected(Refused{why, "because"}));
    EXPECT_EQ(answer.status, status);
    EXPECT_EQ(json::parse(answer.body)["error"], "because");
  }
}

TEST_F(ApiWrites, TheIndexSaysWhetherWritesAreOn) {
  auto on = call(api, "GET", "/api/v1/", "");
  auto no = call(off, "GET", "/api/v1/", "");
  ASSERT_TRUE(on && no);
  EXPECT_EQ(json::parse(on->body)["writes_enabled"], true);
  EXPECT_EQ(json::parse(no->body)["writes_enabled"], false);
}

}  // namespace
}  // namespace pxed::api
