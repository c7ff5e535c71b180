// Generated files: a provider makes a file for the machine that asks where the
// tree holds none; the user's own file of that name, or of a more specific one
// the provider yields to, always wins.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "support/test_support.hpp"
#include "vfs/file_reading.hpp"
#include "vfs/tree.hpp"

namespace pxed::vfs {
namespace {

namespace fs = std::filesystem;

// Answers every name in `answers` with its content and records who asked.
class FakeGenerator : public Generator {
 public:
  std::map<std::string, Generation, std::less<>> answers;
  mutable std::vector<std::pair<std::string, Requester>> asked;

  std::optional<Generation> generate(std::string_view rel, const Requester& who) const override {
    asked.emplace_back(std::string(rel), who);
    auto it = answers.find(rel);
    if (it == answers.end()) return std::nullopt;
    return it->second;
  }
};

class TreeGenerated : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.path() / "pxelinux.cfg");
    auto tree = Tree::open_root(dir_.path());
    ASSERT_TRUE(tree) << tree.error();
    tree_.emplace(std::move(*tree));
    tree_->set_generator(generator_);
  }
  void write(const std::string& rel, const std::string& content) {
    std::ofstream(dir_.path() / rel) << content;
  }

  test::TempDir dir_;
  std::shared_ptr<FakeGenerator> generator_ = std::make_shared<FakeGenerator>();
  std::optional<Tree> tree_;
};

TEST_F(TreeGenerated, AMissingNameIsGeneratedForTheRequester) {
  generator_->answers["pxelinux.cfg/default"] = Generation{"DEFAULT local\n", "for db-03", {}};
  auto file = tree_->open("/pxelinux.cfg/default", Requester{.address = *core::Ipv4::parse("10.0.0.7"), .local = {}, .query = "", .protocol = "tftp"});
  ASSERT_TRUE(file);
  EXPECT_EQ(file->size(), 14u);
  EXPECT_EQ(testing::read_in_chunks(*file, 5), "DEFAULT local\n");
  EXPECT_EQ(file->generated(), "for db-03");
  ASSERT_EQ(generator_->asked.size(), 1u);
  EXPECT_EQ(generator_->asked[0].first, "pxelinux.cfg/default");  // normalized
  EXPECT_EQ(generator_->asked[0].second.address.to_string(), "10.0.0.7");
}

TEST_F(TreeGenerated, TheUsersFileWinsAndTheProviderIsNotAsked) {
  write("pxelinux.cfg/default", "mine\n");
  generator_->answers["pxelinux.cfg/default"] = Generation{"generated\n", "for x", {}};
  auto file = tree_->open("pxelinux.cfg/default");
  ASSERT_TRUE(file);
  EXPECT_EQ(testing::read_in_chunks(*file, 64), "mine\n");
  EXPECT_TRUE(file->generated().empty());
  EXPECT_TRUE(generator_->asked.empty());
}

TEST_F(TreeGenerated, AUsersMoreSpecificFileMakesTheGeneratedNameNotFound) {
  write("pxelinux.cfg/01-52-54-00-12-34-56", "mine\n");
  generator_->answers["pxelinux.cfg/uuid"] =
      Generation{"generated\n", "for x", {"pxelinux.cfg/01-52-54-00-12-34-56", "pxelinux.cfg/0A000007"}};
  auto file = tree_->open("pxelinux.cfg/uuid");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error(), OpenError::not_found);
}

TEST_F(TreeGenerated, YieldNamesThatAreMissingOrDirectoriesDoNotHideIt) {
  generator_->answers["pxelinux.cfg/uuid"] = Generation{"generated\n", "for x", {"pxelinux.cfg/01-aa", "pxelinux.cfg", "../x"}};
  auto file = tree_->open("pxelinux.cfg/uuid");
  ASSERT_TRUE(file);
  EXPECT_EQ(testing::read_in_chunks(*file, 64), "generated\n");
}

TEST_F(TreeGenerated, NamesTheProviderDoesNotKnowStayNotFound) {
  auto file = tree_->open("pxelinux.cfg/C0A8");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error(), OpenError::not_found);
}

TEST_F(TreeGenerated, BadPathsNeverReachTheProvider) {
  EXPECT_EQ(tree_->open("../etc/passwd").error(), OpenError::bad_path);
  EXPECT_EQ(tree_->open("pxelinux.cfg").error(), OpenError::not_a_file);
  EXPECT_TRUE(generator_->asked.empty());
}

TEST_F(TreeGenerated, AGeneratedFileKeepsItsContentWhenTheProviderChanges) {
  generator_->answers["boot.ipxe"] = Generation{"#!ipxe\nexit\n", "for x", {}};
  auto file = tree_->open("boot.ipxe");
  ASSERT_TRUE(file);
  tree_->set_generator(nullptr);  // a reload swaps the provider
  EXPECT_EQ(testing::read_in_chunks(*file, 3), "#!ipxe\nexit\n");
  EXPECT_EQ(tree_->open("boot.ipxe").error(), OpenError::not_found);
}

class Recorder : public Observer {
 public:
  mutable std::vector<std::string> opened_names;
  void opened(std::string_view rel, const Requester&, const File& file) const override {
    opened_names.push_back(std::string(rel) + (file.generated().empty() ? "" : " (generated)"));
  }
};

TEST_F(TreeGenerated, TheObserverHearsOfEveryOpenForAnAddressedRequester) {
  write("vmlinuz", "kernel");
  generator_->answers["boot.ipxe"] = Generation{"#!ipxe\n", "for x", {}};
  auto recorder = std::make_shared<Recorder>();
  tree_->set_observer(recorder);
  const Requester machine{.address = *core::Ipv4::parse("10.0.0.7"), .local = {}, .query = "", .protocol = "http"};
  ASSERT_TRUE(tree_->open("/vmlinuz", machine));
  ASSERT_TRUE(tree_->open("boot.ipxe", machine));
  EXPECT_FALSE(tree_->open("missing", machine));
  ASSERT_TRUE(tree_->open("vmlinuz"));  // no address: a lookup or a check, not a machine
  EXPECT_EQ(recorder->opened_names, (std::vector<std::string>{"vmlinuz", "boot.ipxe (generated)"}));
  Tree moved = std::move(*tree_);  // the generator and the observer go with it
  ASSERT_TRUE(moved.open("boot.ipxe", machine));
  EXPECT_EQ(recorder->opened_names.size(), 3u);
}

TEST(GeneratedFile, IsSealedAgainstWrites) {
  auto file = file_of("abc");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->size(), 3u);
  EXPECT_LT(::write(file->fd(), "x", 1), 0);
}

}  // namespace
}  // namespace pxed::vfs
