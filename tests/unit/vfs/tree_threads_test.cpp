// The tree read from several threads while its mounts change (HTTP's own
// loops read; the loop's iso_dir watcher writes: docs/threads.md). Bounded
// in count, no sleeps; the ThreadSanitizer run of scripts/test covers the
// same paths through real clients.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "support/test_support.hpp"
#include "vfs/tree.hpp"

namespace pxed::vfs {
namespace {

namespace fs = std::filesystem;

TEST(TreeThreads, ReadersSeeAMountWholeOrNotAtAllWhileItComesAndGoes) {
  test::TempDir root;
  test::TempDir mounted;
  std::ofstream(root.path() / "vmlinuz") << "kernel";
  std::ofstream(mounted.path() / "initrd.img") << "initrd";
  auto tree = Tree::open_root(root.path());
  ASSERT_TRUE(tree) << tree.error();

  constexpr int kChanges = 300;
  constexpr int kReaders = 3;
  std::atomic<bool> done{false};
  std::atomic<int> wrong{0};
  std::atomic<int> found{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < kReaders; ++i) {
    readers.emplace_back([&] {
      while (!done.load()) {
        if (!tree->open("/vmlinuz")) ++wrong;
        auto member = tree->open("/m/initrd.img");
        if (member) {
          ++found;
          if (member->size() != 6) ++wrong;
        } else if (member.error() != OpenError::not_found) {
          ++wrong;
        }
        auto listed = tree->list("/");
        if (!listed) ++wrong;
        (void)tree->is_directory("/m");
      }
    });
  }
  for (int i = 0; i < kChanges; ++i) {
    ASSERT_TRUE(tree->add_dir_mount("/m", mounted.path()));
    ASSERT_TRUE(tree->remove_mount("m"));
  }
  ASSERT_TRUE(tree->add_dir_mount("/m", mounted.path()));
  EXPECT_TRUE(tree->open("/m/initrd.img"));
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace pxed::vfs
