// The files.iso_dir watcher against a real directory and inotify, driven on
// an io_context as pxed runs it: images appear, are replaced (an open File
// keeps the old image), go, and bad ones are skipped.
#include "vfs/iso_dir_service.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>

#include "core/worker_pool.hpp"
#include "events/bus.hpp"
#include "file_reading.hpp"
#include "iso/iso_test_support.hpp"
#include "vfs/tree.hpp"

namespace pxed::vfs {
namespace {

namespace fs = std::filesystem;
using iso::testing::make_iso;
using iso::testing::random_bytes;
using iso::testing::write_file;
using test::TempDir;
using testing::read_in_chunks;

class IsoDirWatch : public ::testing::Test {
 protected:
  // Two images, built once for the suite (xorriso takes most of the time).
  static void SetUpTestSuite() {
    if (!iso::testing::have_xorriso()) return;
    images_ = new TempDir;
    for (int i = 0; i < 2; ++i) {
      content_[i] = random_bytes(200'000 + static_cast<std::size_t>(i), 40 + static_cast<unsigned>(i));
      const fs::path src = images_->path() / ("src" + std::to_string(i));
      write_file(src / "boot/vmlinuz", content_[i]);
      make_iso(src, staged(i), "-R -J");
    }
  }
  static void TearDownTestSuite() {
    delete images_;
    images_ = nullptr;
  }

  void SetUp() override {
    if (!iso::testing::have_xorriso()) GTEST_SKIP() << "xorriso not installed";
    ASSERT_TRUE(fs::exists(staged(0)) && fs::exists(staged(1)));
    fs::create_directories(dir_.path() / "root");
    fs::create_directories(iso_dir());
    auto tree = Tree::open_root(dir_.path() / "root");
    ASSERT_TRUE(tree) << tree.error();
    tree_.emplace(std::move(*tree));
    service_.emplace(io_, *tree_, iso_dir(), pool_, bus_);
  }

  fs::path iso_dir() const { return dir_.path() / "isos"; }
  static fs::path staged(int i) { return images_->path() / ("image" + std::to_string(i) + ".staged"); }
  // As an admin would: copy beside it under a hidden name, then rename into place.
  void install(int i, const std::string& name) {
    const fs::path tmp = iso_dir() / ("." + name + ".tmp");
    fs::copy_file(staged(i), tmp, fs::copy_options::overwrite_existing);
    fs::rename(tmp, iso_dir() / name);
  }
  void start() {
    auto opened = service_->open();
    ASSERT_TRUE(opened) << opened.error();
    service_->start();
  }
  // Runs the io_context until pred holds; false after the deadline.
  bool run_until(const std::function<bool()>& pred,
                 std::chrono::milliseconds deadline = std::chrono::seconds(8)) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > until) return false;
      io_.run_for(std::chrono::milliseconds(10));
    }
    return true;
  }
  std::string kernel_of(std::string_view image) {
    auto file = tree_->open("iso/" + std::string(image) + "/boot/vmlinuz");
    return file ? read_in_chunks(*file, 65536) : "";
  }
  // The image folders under /iso/ (each image file is listed beside its folder too).
  std::vector<std::string> listed() {
    std::vector<std::string> names;
    if (auto entries = tree_->list("/iso/")) {
      for (const auto& e : *entries) {
        if (e.directory) names.push_back(e.name);
      }
    }
    return names;
  }
  std::string whole_file(std::string_view image) {
    auto file = tree_->open("iso/" + std::string(image) + ".iso");
    return file ? read_in_chunks(*file, 65536) : "";
  }

  static TempDir* images_;
  static std::string content_[2];
  TempDir dir_;
  boost::asio::io_context io_;
  // As in `serve`: once started, images are opened on a worker and mounted on io_.
  core::WorkerPool pool_{1, [this](core::WorkerPool::Task task) { boost::asio::post(io_, std::move(task)); }};
  std::optional<Tree> tree_;
  events::Bus bus_;
  std::optional<IsoDirService> service_;
};

TempDir* IsoDirWatch::images_ = nullptr;
std::string IsoDirWatch::content_[2];

TEST_F(IsoDirWatch, ImagesPresentAtStartAppearUnderIso) {
  install(0, "alpha.iso");
  install(1, "beta.ISO");
  write_file(iso_dir() / "notes.txt", "not an image");
  start();
  EXPECT_EQ(service_->images(), 2u);
  EXPECT_EQ(listed(), (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_EQ(kernel_of("alpha"), content_[0]);
  EXPECT_EQ(kernel_of("beta"), content_[1]);
  auto root = tree_->list("/");
  ASSERT_TRUE(root);
  ASSERT_EQ(root->size(), 1u);
  EXPECT_EQ((*root)[0].name, "iso");
}

TEST_F(IsoDirWatch, EachImageFileIsServedWholeBesideItsFolder) {
  install(0, "alpha.iso");
  start();
  std::ifstream in(staged(0), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(whole_file("alpha"), bytes);  // casper's url= and sanboot fetch this
  auto entries = tree_->list("iso");
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].name, "alpha");
  EXPECT_TRUE((*entries)[0].directory);
  EXPECT_EQ((*entries)[1].name, "alpha.iso");
  EXPECT_FALSE((*entries)[1].directory);
  EXPECT_EQ((*entries)[1].size, bytes.size());
  EXPECT_EQ(tree_->is_directory("iso/alpha.iso"), false);
  EXPECT_EQ(tree_->open("iso/alpha.iso/boot/vmlinuz").error(), OpenError::not_found);
  fs::remove(iso_dir() / "alpha.iso");
  ASSERT_TRUE(run_until([&] { return listed().empty(); }));
  EXPECT_EQ(tree_->open("iso/alpha.iso").error(), OpenError::not_found);
  EXPECT_TRUE(tree_->list("iso")->empty());
}

TEST_F(IsoDirWatch, IsoIsAnEmptyDirectoryBeforeAnyImage) {
  start();
  EXPECT_EQ(tree_->is_directory("iso"), true);
  auto entries = tree_->list("iso");
  ASSERT_TRUE(entries);
  EXPECT_TRUE(entries->empty());
  EXPECT_EQ(tree_->open("iso/nothing/x").error(), OpenError::not_found);
}

TEST_F(IsoDirWatch, ANewImageAppearsAndARemovedOneGoes) {
  start();
  install(0, "debian.iso");
  ASSERT_TRUE(run_until([&] { return kernel_of("debian") == content_[0]; }));
  EXPECT_EQ(listed(), (std::vector<std::string>{"debian"}));
  fs::remove(iso_dir() / "debian.iso");
  ASSERT_TRUE(run_until([&] { return listed().empty(); }));
  EXPECT_EQ(tree_->open("iso/debian/boot/vmlinuz").error(), OpenError::not_found);
  EXPECT_EQ(service_->images(), 0u);
}

TEST_F(IsoDirWatch, AFileWrittenInPlaceAppearsWhenItIsClosed) {
  start();
  fs::copy_file(staged(1), iso_dir() / "copied.iso");  // written, then IN_CLOSE_WRITE
  ASSERT_TRUE(run_until([&] { return kernel_of("copied") == content_[1]; }));
}

TEST_F(IsoDirWatch, AReplacedImageServesNewOpensWhileAnOpenFileKeepsTheOld) {
  install(0, "os.iso");
  start();
  auto in_flight = tree_->open("iso/os/boot/vmlinuz");
  ASSERT_TRUE(in_flight);
  install(1, "os.iso");  // renamed over the old one
  ASSERT_TRUE(run_until([&] { return kernel_of("os") == content_[1]; }));
  EXPECT_EQ(read_in_chunks(*in_flight, 1468), content_[0]);
  fs::remove(iso_dir() / "os.iso");
  ASSERT_TRUE(run_until([&] { return listed().empty(); }));
  EXPECT_EQ(read_in_chunks(*in_flight, 4096), content_[0]);  // deleted too: still whole
}

TEST_F(IsoDirWatch, RenamingAnImageMovesItsMountPoint) {
  install(0, "old-name.iso");
  start();
  fs::rename(iso_dir() / "old-name.iso", iso_dir() / "new-name.iso");
  ASSERT_TRUE(run_until([&] { return listed() == std::vector<std::string>{"new-name"}; }));
  EXPECT_EQ(kernel_of("new-name"), content_[0]);
  fs::rename(iso_dir() / "new-name.iso", dir_.path() / "moved-away.iso");
  ASSERT_TRUE(run_until([&] { return listed().empty(); }));
}

TEST_F(IsoDirWatch, ABadImageIsSkippedAndPickedUpOnceFixed) {
  write_file(iso_dir() / "broken.iso", "this is not an ISO 9660 image");
  install(0, "good.iso");
  start();
  EXPECT_EQ(listed(), (std::vector<std::string>{"good"}));
  write_file(iso_dir() / "worse.iso", std::string(100'000, 'x'));
  install(1, "later.iso");
  ASSERT_TRUE(run_until([&] { return listed().size() == 2; }));
  EXPECT_EQ(listed(), (std::vector<std::string>{"good", "later"}));
  install(1, "broken.iso");  // fixed: replaced by a real image
  ASSERT_TRUE(run_until([&] { return kernel_of("broken") == content_[1]; }));
  // A good image replaced by a bad one is no longer served.
  write_file(iso_dir() / ".bad.tmp", "junk");
  fs::rename(iso_dir() / ".bad.tmp", iso_dir() / "good.iso");
  ASSERT_TRUE(run_until([&] { return listed() == std::vector<std::string>{"broken", "later"}; }));
}

TEST_F(IsoDirWatch, ImagesGoWithTheirDirectoryAndComeBackWithIt) {
  install(0, "a.iso");
  start();
  fs::rename(iso_dir(), dir_.path() / "isos-moved");
  ASSERT_TRUE(run_until([&] { return listed().empty(); }));
  EXPECT_EQ(tree_->is_directory("iso"), true);
  fs::create_directories(iso_dir());
  install(1, "b.iso");
  ASSERT_TRUE(run_until([&] { return kernel_of("b") == content_[1]; },
                        kIsoDirRetryInterval * 3));
}

// Events about a file while a worker examines it (written, then renamed
// over, then replaced again) end in what the file is at last.
TEST_F(IsoDirWatch, ChangesWhileAWorkerExaminesEndInTheLastImage) {
  start();
  install(0, "busy.iso");
  install(1, "busy.iso");
  install(0, "busy.iso");
  install(1, "busy.iso");
  ASSERT_TRUE(run_until([&] { return kernel_of("busy") == content_[1]; }));
  io_.run_for(std::chrono::milliseconds(200));  // nothing later undoes it
  EXPECT_EQ(kernel_of("busy"), content_[1]);
  EXPECT_EQ(service_->images(), 1u);
}

TEST_F(IsoDirWatch, AMissingDirectoryCannotBeWatched) {
  fs::remove(iso_dir());
  auto opened = service_->open();
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().find("isos"), std::string::npos);
}

}  // namespace
}  // namespace pxed::vfs
