// files.iso_dir, the pure half: which names are images, what an inotify read
// says, and when a file needs opening again.
#include "vfs/iso_dir.hpp"

#include <sys/inotify.h>

#include <gtest/gtest.h>

#include <cstring>

namespace pxed::vfs {
namespace {

TEST(IsoDirNames, AnIsoFileAppearsUnderItsNameWithoutTheSuffix) {
  EXPECT_EQ(image_name_of("debian-12.5.0-amd64-netinst.iso"), "debian-12.5.0-amd64-netinst");
  EXPECT_EQ(image_name_of("Win11_EnglishInternational_x64.ISO"), "Win11_EnglishInternational_x64");
  EXPECT_EQ(iso_mount_point("debian-12"), "iso/debian-12");
}

TEST(IsoDirNames, OtherFilesHiddenFilesAndUnusableNamesAreNotImages) {
  EXPECT_FALSE(image_name_of("notes.txt"));
  EXPECT_FALSE(image_name_of("x.iso.part"));
  EXPECT_FALSE(image_name_of(".iso"));
  EXPECT_FALSE(image_name_of(".debian.iso.Xa3f"));
  EXPECT_FALSE(image_name_of(".debian.iso"));   // rsync's temporary, renamed when done
  EXPECT_FALSE(image_name_of("...iso"));        // would be ".."
  EXPECT_FALSE(image_name_of("a\\b.iso"));      // a backslash splits the path
  EXPECT_FALSE(image_name_of(std::string("a\0b.iso", 7)));
}

// Builds what read(2) on an inotify descriptor returns.
std::vector<std::byte> records(std::initializer_list<std::tuple<int, std::uint32_t, std::string>> events) {
  std::vector<std::byte> out;
  for (const auto& [wd, mask, name] : events) {
    inotify_event header{};
    header.wd = wd;
    header.mask = mask;
    header.len = name.empty() ? 0 : static_cast<std::uint32_t>((name.size() + 1 + 15) / 16 * 16);
    const std::size_t at = out.size();
    out.resize(at + sizeof header + header.len);
    std::memcpy(out.data() + at, &header, sizeof header);
    std::memcpy(out.data() + at + sizeof header, name.data(), name.size());
  }
  return out;
}

TEST(IsoDirEvents, DecodesRecordsWithNulPaddedNames) {
  auto bytes = records({{1, IN_CLOSE_WRITE, "a.iso"}, {1, IN_DELETE_SELF, ""}});
  auto events = decode_watch_events(bytes);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].wd, 1);
  EXPECT_EQ(events[0].mask, static_cast<std::uint32_t>(IN_CLOSE_WRITE));
  EXPECT_EQ(events[0].name, "a.iso");
  EXPECT_EQ(events[1].name, "");
}

TEST(IsoDirEvents, ARecordCutShortEndsTheList) {
  auto bytes = records({{1, IN_MOVED_TO, "a.iso"}, {1, IN_MOVED_TO, "b.iso"}});
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    auto events = decode_watch_events(std::span(bytes).first(cut));
    EXPECT_LE(events.size(), 1u);
    for (const auto& e : events) EXPECT_EQ(e.name, "a.iso");
  }
}

TEST(IsoDirEvents, EachChangedImageIsLookedAtOnceWhateverHappenedToIt) {
  std::vector<WatchEvent> events{{1, IN_MOVED_FROM, "a.iso"}, {1, IN_MOVED_TO, "a.iso"},
                                 {1, IN_CLOSE_WRITE, "b.iso"}, {1, IN_DELETE, "c.iso"},
                                 {1, IN_CLOSE_WRITE, "notes.txt"}, {1, IN_MOVED_TO | IN_ISDIR, "d.iso"},
                                 {2, IN_CLOSE_WRITE, "old-watch.iso"}};
  auto plan = plan_for(events, 1);
  EXPECT_EQ(plan.files, (std::vector<std::string>{"a.iso", "b.iso", "c.iso"}));
  EXPECT_FALSE(plan.rescan_all);
  EXPECT_FALSE(plan.directory_gone);
}

TEST(IsoDirEvents, TheDirectoryGoingAwayOrAnOverflowIsSaid) {
  std::vector<WatchEvent> gone{{1, IN_DELETE_SELF, ""}, {1, IN_IGNORED, ""}};
  EXPECT_TRUE(plan_for(gone, 1).directory_gone);
  std::vector<WatchEvent> moved{{1, IN_MOVE_SELF, ""}};
  EXPECT_TRUE(plan_for(moved, 1).directory_gone);
  // The IN_IGNORED of a watch the watcher itself replaced says nothing.
  std::vector<WatchEvent> stale{{1, IN_IGNORED, ""}};
  EXPECT_FALSE(plan_for(stale, 2).directory_gone);
  std::vector<WatchEvent> overflow{{-1, IN_Q_OVERFLOW, ""}};
  EXPECT_TRUE(plan_for(overflow, 1).rescan_all);
}

TEST(IsoDirState, OpensNewAndChangedFilesOnlyAndDropsGoneOnes) {
  IsoDirState state;
  const FileIdentity v1{1, 100, 4096, 10};
  const FileIdentity v2{1, 101, 4096, 20};  // replaced by rename: a new inode
  const FileIdentity rewritten{1, 100, 8192, 30};
  EXPECT_EQ(state.on_file("a.iso", v1), IsoDirState::Step::open);
  EXPECT_EQ(state.on_file("a.iso", std::nullopt), IsoDirState::Step::keep);  // never known
  state.mounted("a.iso", v1);
  EXPECT_TRUE(state.is_mounted("a.iso"));
  EXPECT_EQ(state.on_file("a.iso", v1), IsoDirState::Step::keep);  // a second close, same file
  EXPECT_EQ(state.on_file("a.iso", v2), IsoDirState::Step::open);
  EXPECT_EQ(state.on_file("a.iso", rewritten), IsoDirState::Step::open);
  EXPECT_EQ(state.on_file("a.iso", std::nullopt), IsoDirState::Step::drop);
}

TEST(IsoDirState, ABadImageIsNotRetriedUntilItChanges) {
  IsoDirState state;
  const FileIdentity bad{1, 7, 10, 1};
  state.refused("bad.iso", bad);
  EXPECT_FALSE(state.is_mounted("bad.iso"));
  EXPECT_EQ(state.on_file("bad.iso", bad), IsoDirState::Step::keep);
  EXPECT_EQ(state.on_file("bad.iso", FileIdentity{1, 7, 20, 2}), IsoDirState::Step::open);
  EXPECT_EQ(state.on_file("bad.iso", std::nullopt), IsoDirState::Step::drop);
  state.forget("bad.iso");
  EXPECT_TRUE(state.files().empty());
}

}  // namespace
}  // namespace pxed::vfs
