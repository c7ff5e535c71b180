#include "http/responder.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stop_token>
#include <string>

#include "support/test_support.hpp"

namespace pxed::http {
namespace {

namespace fs = std::filesystem;

class ResponderTest : public ::testing::Test {
 protected:
  ResponderTest() {
    fs::create_directories(dir_.path() / "pxelinux.cfg");
    std::ofstream(dir_.path() / "pxelinux.cfg" / "default", std::ios::binary) << "DEFAULT linux\n";
    std::ofstream(dir_.path() / "vmlinuz", std::ios::binary) << std::string(1000, 'k');
    auto tree = vfs::Tree::open_root(dir_.path());
    if (!tree) throw std::runtime_error(tree.error());
    tree_.emplace(std::move(*tree));
  }

  Reply get(std::string_view target, std::initializer_list<std::pair<bhttp::field, std::string>> headers = {},
            vfs::Prefetched* ahead = nullptr) {
    Request req{bhttp::verb::get, target, 11};
    for (const auto& [field, value] : headers) req.set(field, value);
    x_ = Exchange{};
    Responder responder(*tree_);
    responder.render_listings_up_to(render_up_to_);
    return responder.answer(req, {}, x_, ahead);
  }

  std::string header(const Reply& r, bhttp::field f) { return std::string(r.head[f]); }

  test::TempDir dir_;
  std::optional<vfs::Tree> tree_;
  Exchange x_;
  std::size_t render_up_to_ = kListingRenderedOnLoop;
};

TEST_F(ResponderTest, FileIsServedWhole) {
  auto r = get("/vmlinuz");
  EXPECT_EQ(r.head.result(), bhttp::status::ok);
  ASSERT_TRUE(r.file);
  EXPECT_EQ(r.range.first, 0u);
  EXPECT_EQ(r.range.length, 1000u);
  EXPECT_EQ(header(r, bhttp::field::content_length), "1000");
  EXPECT_EQ(header(r, bhttp::field::accept_ranges), "bytes");
  EXPECT_FALSE(header(r, bhttp::field::etag).empty());
}

TEST_F(ResponderTest, RangeGivesPartialContent) {
  auto r = get("/vmlinuz", {{bhttp::field::range, "bytes=100-199"}});
  EXPECT_EQ(r.head.result(), bhttp::status::partial_content);
  EXPECT_EQ(r.range.first, 100u);
  EXPECT_EQ(r.range.length, 100u);
  EXPECT_EQ(header(r, bhttp::field::content_range), "bytes 100-199/1000");
  EXPECT_EQ(x_.range, "100-199");
}

TEST_F(ResponderTest, RangePastTheEndIsUnsatisfiable) {
  auto r = get("/vmlinuz", {{bhttp::field::range, "bytes=5000-"}});
  EXPECT_EQ(r.head.result(), bhttp::status::range_not_satisfiable);
  EXPECT_EQ(header(r, bhttp::field::content_range), "bytes */1000");
  EXPECT_FALSE(r.file);
}

TEST_F(ResponderTest, MatchingEtagIsNotModified) {
  auto etag = header(get("/vmlinuz"), bhttp::field::etag);
  auto r = get("/vmlinuz", {{bhttp::field::if_none_match, etag}});
  EXPECT_EQ(r.head.result(), bhttp::status::not_modified);
  EXPECT_FALSE(r.file);
}

// `serve`: the loop never reads a directory; the reason tells http_service
// to have a worker read it, and the second answer lists what it read.
TEST_F(ResponderTest, OnTheLoopAListingIsAskedOfAWorkerThenServed) {
  tree_->set_on_loop(true);
  auto first = get("/pxelinux.cfg/");
  EXPECT_EQ(x_.reason, "would-block");
  EXPECT_EQ(first.head.result(), bhttp::status::internal_server_error);
  auto found = tree_->prefetch("/pxelinux.cfg/", vfs::Tree::Need::listing)(std::stop_token{});
  auto r = get("/pxelinux.cfg/", {}, &found);
  EXPECT_EQ(r.head.result(), bhttp::status::ok);
  EXPECT_NE(r.text.find("default"), std::string::npos);
}

// A long listing is left for the service to render on a worker: its text
// and Content-Length come from Listing::render, not from the loop.
TEST_F(ResponderTest, ALongListingIsLeftToRenderOffTheLoop) {
  render_up_to_ = 1;
  auto r = get("/");
  ASSERT_EQ(r.head.result(), bhttp::status::ok);
  ASSERT_TRUE(r.listing);
  EXPECT_TRUE(r.text.empty());
  EXPECT_EQ(r.head.find(bhttp::field::content_length), r.head.end());
  EXPECT_EQ(r.listing->entries.size(), 2u);
  auto page = r.listing->render();
  EXPECT_NE(page.find("pxelinux.cfg/"), std::string::npos);
  EXPECT_NE(page.find("vmlinuz"), std::string::npos);

  render_up_to_ = 2;
  auto short_one = get("/", {{bhttp::field::accept, "application/json"}});
  EXPECT_FALSE(short_one.listing);
  EXPECT_EQ(header(short_one, bhttp::field::content_length), std::to_string(short_one.text.size()));
  EXPECT_TRUE(short_one.text.starts_with("["));
}

TEST_F(ResponderTest, OnTheLoopAWorkersWalkFindsTheDirectoryToRedirect) {
  tree_->set_on_loop(true);
  auto found = tree_->prefetch("/pxelinux.cfg", vfs::Tree::Need::file)(std::stop_token{});
  auto r = get("/pxelinux.cfg", {}, &found);
  EXPECT_EQ(r.head.result(), bhttp::status::moved_permanently);
  EXPECT_EQ(x_.reason, "directory-redirect");
}

TEST_F(ResponderTest, DirectoryWithoutSlashIsRedirected) {
  auto r = get("/pxelinux.cfg");
  EXPECT_EQ(r.head.result(), bhttp::status::moved_permanently);
  EXPECT_EQ(header(r, bhttp::field::location), "/pxelinux.cfg/");
  EXPECT_EQ(x_.reason, "directory-redirect");
}

TEST_F(ResponderTest, ARoutesHeaderFieldsGoOutAndMayReplaceItsOwn) {
  Responder responder(*tree_);
  responder.set_routes({{"/ui", [](const Call&) {
                           Answer a{.status = 301, .body = "", .content_type = "text/plain", .reason = {},
                                    .feed = nullptr};
                           a.headers = {{"Location", "/ui/"}, {"Cache-Control", "no-cache"}};
                           return std::optional<Answer>(std::move(a));
                         }}});
  Request req{bhttp::verb::get, "/ui", 11};
  auto r = responder.answer(req, x_);
  EXPECT_EQ(r.head.result(), bhttp::status::moved_permanently);
  EXPECT_EQ(header(r, bhttp::field::location), "/ui/");
  EXPECT_EQ(header(r, bhttp::field::cache_control), "no-cache");
}

// Makes "pxelinux.cfg/01-aa" only; counts the calls.
class OneNameGenerator : public vfs::Generator {
 public:
  mutable int calls = 0;
  std::optional<vfs::Generation> generate(std::string_view rel, const vfs::Requester&) const override {
    ++calls;
    if (rel != "pxelinux.cfg/01-aa") return std::nullopt;
    return vfs::Generation{.content = "DEFAULT local\n", .why = "test", .yield_to = {}};
  }
};

TEST_F(ResponderTest, OnItsOwnLoopHttpServesTheTreeAndLeavesRoutesAndGeneratedNamesToTheOwner) {
  Responder responder(*tree_);
  int route_calls = 0;
  responder.set_routes({{"/api/", [&](const Call&) {
                           ++route_calls;
                           return std::optional<Answer>(Answer{.status = 200, .body = "{}", .content_type = "application/json",
                                                               .reason = {}, .feed = nullptr});
                         }}});
  const auto own = [&](std::string_view target) {
    Request req{bhttp::verb::get, target, 11};
    x_ = Exchange{};
    return responder.answer(req, {}, x_, nullptr, {}, On::own_loop);
  };
  // A file of the tree: answered here, as on the owner's loop.
  auto file = own("/vmlinuz");
  EXPECT_FALSE(file.to_owner);
  EXPECT_EQ(file.head.result(), bhttp::status::ok);
  EXPECT_TRUE(file.file);
  // A route's state is the owner's: nothing is called here.
  auto route = own("/api/v1/machines");
  EXPECT_TRUE(route.to_owner);
  EXPECT_EQ(route_calls, 0);
  // Without a generator a missing name is a 404 here; with one, the owner asks it.
  EXPECT_EQ(own("/pxelinux.cfg/01-aa").head.result(), bhttp::status::not_found);
  auto generator = std::make_shared<OneNameGenerator>();
  tree_->set_generator(generator);
  auto generated = own("/pxelinux.cfg/01-aa");
  EXPECT_TRUE(generated.to_owner);
  EXPECT_EQ(generator->calls, 0);
  // The user's own file still wins, and is served here.
  EXPECT_FALSE(own("/pxelinux.cfg/default").to_owner);
  // On the owner's loop the same names are answered, the generator asked once.
  Request req{bhttp::verb::get, "/pxelinux.cfg/01-aa", 11};
  auto owner = responder.answer(req, {}, x_, nullptr, {}, On::owner);
  EXPECT_FALSE(owner.to_owner);
  EXPECT_EQ(owner.head.result(), bhttp::status::ok);
  EXPECT_EQ(generator->calls, 1);
}

TEST_F(ResponderTest, OnlyARouteThatWritesTakesWritesAndItsBodyReachesIt) {
  Responder responder(*tree_);
  std::string seen;
  responder.set_routes({{"/api/", [&](const Call& call) {
                           seen = std::string(call.method) + " " + std::string(call.body);
                           return std::optional<Answer>(Answer{});
                         }, true},
                        {"/healthz", [](const Call&) { return std::optional<Answer>(Answer{}); }}});
  EXPECT_TRUE(responder.writes_to("/api/v1/machines/x/profile?y=1"));
  EXPECT_FALSE(responder.writes_to("/healthz"));
  EXPECT_FALSE(responder.writes_to("/vmlinuz"));
  Request req{bhttp::verb::put, "/api/v1/machines/x/profile", 11};
  auto r = responder.answer(req, {}, x_, nullptr, R"({"profile":"rescue"})");
  EXPECT_EQ(r.head.result(), bhttp::status::ok);
  EXPECT_EQ(seen, R"(PUT {"profile":"rescue"})");
}

TEST_F(ResponderTest, ALaterAnswerIsLeftToTheServiceThenMadeAReplyUncached) {
  Responder responder(*tree_);
  responder.set_routes({{"/api/", [](const Call&) {
                           Answer a;
                           a.reason = "assign";
                           a.later = [](std::function<void(Answer)> respond) { respond(Answer{}); };
                           return std::optional<Answer>(std::move(a));
                         }, true}});
  Request req{bhttp::verb::post, "/api/v1/x", 11};
  auto r = responder.answer(req, x_);
  ASSERT_TRUE(r.later);
  EXPECT_EQ(x_.reason, "assign");
  std::optional<Answer> given;
  r.later([&](Answer a) { given = std::move(a); });
  ASSERT_TRUE(given);
  given->status = 201;
  given->body = "{}";
  given->headers = {{"WWW-Authenticate", "Bearer"}};
  auto reply = reply_of(std::move(*given), 11, true, x_);
  EXPECT_EQ(reply.head.result_int(), 201u);
  EXPECT_EQ(reply.text, "{}");
  EXPECT_EQ(header(reply, bhttp::field::cache_control), "no-store");
  EXPECT_EQ(header(reply, bhttp::field::www_authenticate), "Bearer");
  EXPECT_EQ(x_.reason, "assign") << "a later answer without a reason keeps the first";
}

TEST_F(ResponderTest, AListenerWithoutTheTreeAnswersOnlyItsRoutes) {
  Responder responder(*tree_);
  responder.serve_files(false);
  responder.set_routes({{"/healthz", [](const Call&) { return std::optional<Answer>(Answer{}); }}});
  Request file{bhttp::verb::get, "/vmlinuz", 11};
  EXPECT_EQ(responder.answer(file, x_).head.result(), bhttp::status::not_found);
  Request listing{bhttp::verb::get, "/", 11};
  EXPECT_EQ(responder.answer(listing, x_).head.result(), bhttp::status::not_found);
  Request health{bhttp::verb::get, "/healthz", 11};
  EXPECT_EQ(responder.answer(health, x_).head.result(), bhttp::status::ok);
}

TEST_F(ResponderTest, DirectoryListingInJsonWhenAsked) {
  auto r = get("/pxelinux.cfg/", {{bhttp::field::accept, "application/json"}});
  EXPECT_EQ(r.head.result(), bhttp::status::ok);
  EXPECT_EQ(header(r, bhttp::field::content_type), "application/json");
  EXPECT_NE(r.text.find("\"default\""), std::string::npos);
  EXPECT_EQ(header(r, bhttp::field::vary), "Accept");
}

TEST_F(ResponderTest, MissingFileIs404AtInfo) {
  auto r = get("/nope");
  EXPECT_EQ(r.head.result(), bhttp::status::not_found);
  EXPECT_EQ(x_.level, events::Level::info);
}

// An escape looks like any missing file to the client, but is a warning in the log.
TEST_F(ResponderTest, EscapeIs404AtWarn) {
  auto r = get("/%2e%2e/%2e%2e/etc/passwd");
  EXPECT_EQ(r.head.result(), bhttp::status::not_found);
  EXPECT_EQ(x_.level, events::Level::warn);
  EXPECT_FALSE(r.file);
}

TEST_F(ResponderTest, UnparsableTargetIs400) {
  auto r = get("/a%zz");
  EXPECT_EQ(r.head.result(), bhttp::status::bad_request);
  EXPECT_FALSE(x_.reason.empty());
}

}  // namespace
}  // namespace pxed::http
