// The image catalogue as serve wires it: files.iso_dir watched on an
// io_context, images opened on a worker, osinfo-db (a small one written
// here) read on a worker after start-up. Images served before the database
// are identified once it is there (iso.identified); later ones on the
// worker that opens them, so their iso.added says the OS.
#include "app/image_catalogue.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "app/program_watch.hpp"
#include "core/worker_pool.hpp"
#include "events/bus.hpp"
#include "iso/iso_test_support.hpp"
#include "vfs/iso_dir_service.hpp"
#include "vfs/tree.hpp"

namespace pxed::app {
namespace {

namespace fs = std::filesystem;
using iso::testing::make_iso;
using iso::testing::write_file;
using test::TempDir;

constexpr std::string_view kDebian = R"(<libosinfo version="0.0.1">
  <os id="http://debian.org/debian/11">
    <short-id>debian11</short-id>
    <name>Debian 11</name>
    <version>11</version>
    <family>linux</family>
    <distro>debian</distro>
    <media arch="x86_64">
      <iso><volume-id>Debian 11.\d+.\d+ amd64 n</volume-id></iso>
      <kernel>install.amd/vmlinuz</kernel>
      <initrd>install.amd/initrd.gz</initrd>
    </media>
  </os>
</libosinfo>
)";

struct Recorder : events::Output {
  std::vector<events::Event> seen;
  void publish(const events::Event& e) override { seen.push_back(e); }
  const events::Event* last(events::Kind kind, std::string_view at) const {
    for (auto it = seen.rbegin(); it != seen.rend(); ++it) {
      const auto* field = it->find("at");
      if (it->kind == kind && field != nullptr && std::get<std::string>(*field) == at) return &*it;
    }
    return nullptr;
  }
};

std::string text(const events::Event& e, std::string_view key) {
  const auto* v = e.find(key);
  return v != nullptr ? std::get<std::string>(*v) : "";
}

class ImageCatalogueWatch : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!iso::testing::have_xorriso()) return;
    images_ = new TempDir;
    write_file(images_->path() / "debian/install.amd/vmlinuz", "kernel");
    make_iso(images_->path() / "debian", staged("debian"), "-R -J -V 'Debian 11.5.0 amd64 n'");
    write_file(images_->path() / "other/readme", "nothing to boot");
    make_iso(images_->path() / "other", staged("other"), "-R -J -V PXEDTEST");
  }
  static void TearDownTestSuite() {
    delete images_;
    images_ = nullptr;
  }
  static fs::path staged(const std::string& name) { return images_->path() / (name + ".staged"); }

  void SetUp() override {
    if (!iso::testing::have_xorriso()) GTEST_SKIP() << "xorriso not installed";
    fs::create_directories(dir_.path() / "root");
    fs::create_directories(iso_dir());
    write_file(dir_.path() / "osinfo/os/debian.org/debian-11.xml", kDebian);
    auto tree = vfs::Tree::open_root(dir_.path() / "root");
    ASSERT_TRUE(tree) << tree.error();
    tree_.emplace(std::move(*tree));
    bus_.add(recorder_);
    service_.emplace(io_, *tree_, iso_dir(), pool_, bus_, &catalogue_);
  }

  fs::path iso_dir() const { return dir_.path() / "isos"; }
  void install(const std::string& staged_name, const std::string& name) {
    const fs::path tmp = iso_dir() / ("." + name + ".tmp");
    fs::copy_file(staged(staged_name), tmp, fs::copy_options::overwrite_existing);
    fs::rename(tmp, iso_dir() / name);
  }
  bool run_until(const std::function<bool()>& pred) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(8);
    while (!pred()) {
      if (std::chrono::steady_clock::now() > until) return false;
      // Out of work (no watcher started) stops io_ until restarted; a worker posts to it later.
      if (io_.stopped()) io_.restart();
      io_.run_for(std::chrono::milliseconds(10));
    }
    return true;
  }
  const osid::CatalogueEntry* entry(std::string_view url) const { return catalogue_.catalogue().find(url); }
  bool identified(std::string_view url) const {
    const auto* e = entry(url);
    return e != nullptr && e->identification.has_value();
  }

  static TempDir* images_;
  TempDir dir_;
  boost::asio::io_context io_;
  events::Bus bus_;
  std::shared_ptr<Recorder> recorder_ = std::make_shared<Recorder>();
  ImageCatalogue catalogue_{bus_};  // before the pool, as in serve
  core::WorkerPool pool_{1, [this](core::WorkerPool::Task task) { boost::asio::post(io_, std::move(task)); }};
  std::optional<vfs::Tree> tree_;
  std::optional<vfs::IsoDirService> service_;
};

TempDir* ImageCatalogueWatch::images_ = nullptr;

TEST_F(ImageCatalogueWatch, ImagesServedBeforeOsinfoDbAreIdentifiedOnceItLoads) {
  install("debian", "debian-11.iso");
  install("other", "blank.iso");
  ASSERT_TRUE(service_->open());
  service_->start();
  // Served at once, waiting for the database.
  ASSERT_NE(entry("/iso/debian-11/"), nullptr);
  EXPECT_FALSE(entry("/iso/debian-11/")->identification);
  EXPECT_EQ(image_json(*entry("/iso/blank/"), {})["state"], "pending");

  catalogue_.load_osinfo(pool_, {dir_.path() / "osinfo"});
  ASSERT_TRUE(run_until([&] { return identified("/iso/debian-11/") && identified("/iso/blank/"); }));
  const auto& debian = *entry("/iso/debian-11/");
  ASSERT_TRUE(debian.identification->os);
  EXPECT_EQ(debian.identification->os->short_id, "debian11");
  EXPECT_EQ(debian.image.name, "debian-11");
  EXPECT_EQ(debian.image.source, "iso_dir");
  EXPECT_EQ(debian.image.format, "iso9660");
  EXPECT_EQ(debian.image.volume_id, "Debian 11.5.0 amd64 n");
  EXPECT_EQ(debian.image.file, (iso_dir() / "debian-11.iso").string());
  EXPECT_EQ(debian.image.size, fs::file_size(iso_dir() / "debian-11.iso"));
  EXPECT_FALSE(entry("/iso/blank/")->identification->os);
  EXPECT_EQ((catalogue_.catalogue().count_by_os()), (std::map<std::string, std::size_t>{{"debian11", 1}, {"unknown", 1}}));

  const auto* said = recorder_->last(events::Kind::iso_identified, "/iso/debian-11");
  ASSERT_NE(said, nullptr);
  EXPECT_EQ(text(*said, "os"), "debian11");
  EXPECT_EQ(text(*said, "os_name"), "Debian 11");
  EXPECT_EQ(text(*said, "os_kind"), "installer");
  const auto* unknown = recorder_->last(events::Kind::iso_identified, "/iso/blank");
  ASSERT_NE(unknown, nullptr);
  EXPECT_EQ(text(*unknown, "os"), "unknown");
  EXPECT_NE(text(*unknown, "os_reason").find("PXEDTEST"), std::string::npos) << text(*unknown, "os_reason");

  const auto json = image_json(debian, {});
  EXPECT_EQ(json["url"], "/iso/debian-11/");
  EXPECT_EQ(json["state"], "identified");
  EXPECT_EQ(json["os"]["kernel"], "install.amd/vmlinuz");
  EXPECT_EQ(json["os"]["kind"], "installer");
}

TEST_F(ImageCatalogueWatch, ALaterImageSaysItsOsInItsAddedEventAndLeavesWhenRemoved) {
  ASSERT_TRUE(service_->open());
  service_->start();
  catalogue_.load_osinfo(pool_, {dir_.path() / "osinfo"});
  ASSERT_TRUE(run_until([&] { return catalogue_.database() != nullptr; }));
  install("debian", "new.iso");
  ASSERT_TRUE(run_until([&] { return recorder_->last(events::Kind::iso_added, "/iso/new") != nullptr; }));
  const auto* added = recorder_->last(events::Kind::iso_added, "/iso/new");
  EXPECT_EQ(text(*added, "os"), "debian11");
  EXPECT_EQ(text(*added, "os_version"), "11");
  EXPECT_EQ(text(*added, "os_arch"), "x86_64");
  ASSERT_TRUE(identified("/iso/new/"));
  EXPECT_EQ(recorder_->last(events::Kind::iso_identified, "/iso/new"), nullptr) << "one event, not two";

  // Replaced by an image of nothing known: the entry follows the file.
  install("other", "new.iso");
  ASSERT_TRUE(run_until([&] { return recorder_->last(events::Kind::iso_replaced, "/iso/new") != nullptr; }));
  EXPECT_EQ(text(*recorder_->last(events::Kind::iso_replaced, "/iso/new"), "os"), "unknown");
  EXPECT_EQ(entry("/iso/new/")->image.volume_id, "PXEDTEST");

  fs::remove(iso_dir() / "new.iso");
  ASSERT_TRUE(run_until([&] { return entry("/iso/new/") == nullptr; }));
  EXPECT_EQ(catalogue_.catalogue().size(), 0u);
}

// wimboot put in files.root while pxed runs, then taken away: the watch
// (a worker asks, the loop hears) tells each change, and the catalogue's
// images boot with what is there: a small unknown image gets memdisk for
// pxelinux only while memdisk is in the tree.
TEST_F(ImageCatalogueWatch, WimbootAndMemdiskAreNoticedAsTheyComeAndGo) {
  install("other", "blank.iso");
  ASSERT_TRUE(service_->open());
  service_->start();
  catalogue_.load_osinfo(pool_, {dir_.path() / "osinfo"});
  ASSERT_TRUE(run_until([&] { return identified("/iso/blank/"); }));
  std::vector<osid::Programs> told;
  ProgramWatch watch(io_, *tree_, pool_, (dir_.path() / "root").string(), [&](const osid::Programs& now) {
    told.push_back(now);
    catalogue_.set_programs(now);
  });
  watch.start();
  ASSERT_TRUE(run_until([&] { return !told.empty(); }));
  EXPECT_FALSE(told.back().wimboot);
  EXPECT_FALSE(told.back().memdisk);
  EXPECT_EQ(told.back().root, (dir_.path() / "root").string());
  const auto* blank = entry("/iso/blank/");
  EXPECT_EQ(boot_image(*blank, catalogue_.programs()).method, boot::ImageProfile::Method::sanboot);
  EXPECT_EQ(boot_image(*blank, catalogue_.programs()).memdisk, "");

  write_file(dir_.path() / "root/wimboot", "wimboot");
  write_file(dir_.path() / "root/memdisk", "memdisk");
  ASSERT_TRUE(run_until([&] { return told.back().wimboot && told.back().memdisk; }));
  EXPECT_EQ(boot_image(*blank, catalogue_.programs()).memdisk, "${http}/memdisk");
  EXPECT_EQ(image_json(*blank, catalogue_.programs())["boot"]["memdisk"], "${http}/memdisk");

  fs::remove(dir_.path() / "root/wimboot");
  ASSERT_TRUE(run_until([&] { return !told.back().wimboot; }));
  EXPECT_TRUE(told.back().memdisk);
  const auto changes = told.size();
  // Nothing changes: nothing is told.
  io_.run_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(told.size(), changes);
}

TEST_F(ImageCatalogueWatch, AMountedImageIsIdentifiedToo) {
  const fs::path file = dir_.path() / "debian.iso";
  fs::copy_file(staged("debian"), file);
  ASSERT_TRUE(tree_->add_iso_mount("/install/debian", file));
  auto image = tree_->image_at("/install/debian");
  ASSERT_NE(image, nullptr);
  catalogue_.add_mount("/install/debian", file, image);
  catalogue_.load_osinfo(pool_, {dir_.path() / "osinfo"});
  ASSERT_TRUE(run_until([&] { return identified("/install/debian/"); }));
  EXPECT_EQ(entry("/install/debian/")->image.source, "mount");
  EXPECT_EQ(entry("/install/debian/")->image.name, "install/debian");
  EXPECT_EQ(osid::os_label(*entry("/install/debian/")), "debian11");
}

}  // namespace
}  // namespace pxed::app
