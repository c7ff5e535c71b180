// Parsed directories are cached per image: a second lookup reads nothing,
// the cache stays within its bound, and a bad directory is remembered too.
#include "iso/directory_cache.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>

#include "iso/image.hpp"
#include "iso_test_support.hpp"

namespace pxed::iso {
namespace {

using namespace pxed::iso::testing;

Entry file_entry(std::string name, std::uint64_t offset) {
  Entry e;
  e.name = std::move(name);
  e.size = 10;
  e.extents.push_back({offset, 10});
  return e;
}

std::shared_ptr<const Directory> directory_of(std::vector<std::string> names) {
  std::vector<Entry> entries;
  std::uint64_t offset = 0;
  for (auto& n : names) entries.push_back(file_entry(std::move(n), offset += 2048));
  return std::make_shared<const Directory>(std::move(entries));
}

TEST(IsoDirectory, FindsByNameAndPrefersTheFirstOfRepeatedNames) {
  auto dir = directory_of({"zeta", "alpha", "mid", "alpha"});
  ASSERT_NE(dir->find("alpha"), nullptr);
  EXPECT_EQ(dir->find("alpha")->extents[0].offset, 4096u);  // the second record, first "alpha"
  EXPECT_EQ(dir->find("zeta")->extents[0].offset, 2048u);
  EXPECT_EQ(dir->find("nope"), nullptr);
  EXPECT_EQ(dir->find("alph"), nullptr);
  EXPECT_EQ(dir->entries().size(), 4u);  // record order kept for listings
  EXPECT_EQ(dir->entries()[0].name, "zeta");
}

TEST(IsoDirectoryCache, EvictsTheLeastRecentlyUsedToStayWithinItsBound) {
  auto a = directory_of({"a"});
  const std::size_t one = a->bytes() + 128;
  DirectoryCache cache(one * 2 + one / 2);  // room for two
  cache.put(1, a);
  cache.put(2, directory_of({"b"}));
  ASSERT_TRUE(cache.get(1));  // 1 is now the most recent
  cache.put(3, directory_of({"c"}));
  EXPECT_TRUE(cache.get(1));
  EXPECT_FALSE(cache.get(2));
  EXPECT_TRUE(cache.get(3));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_LE(cache.bytes(), cache.capacity());
}

TEST(IsoDirectoryCache, KeepsNothingLargerThanItsCapacity) {
  DirectoryCache none(0);
  none.put(1, directory_of({"a"}));
  EXPECT_FALSE(none.get(1));
  DirectoryCache small(200);
  std::vector<std::string> many(100, "a-long-enough-name");
  small.put(1, directory_of(many));
  EXPECT_EQ(small.size(), 0u);
}

TEST(IsoDirectoryCache, RemembersADirectoryThatCouldNotBeRead) {
  DirectoryCache cache(1 << 20);
  cache.put(7, std::unexpected(std::string("bad directory record length at byte 0")));
  auto hit = cache.get(7);
  ASSERT_TRUE(hit);
  ASSERT_FALSE(*hit);
  EXPECT_EQ(hit->error(), "bad directory record length at byte 0");
}

// A ReadAt that counts what it is asked for.
struct CountingReader {
  const std::vector<std::byte>* image;
  std::shared_ptr<std::size_t> reads = std::make_shared<std::size_t>(0);
  ReadAt reader() const {
    return [image = image, reads = reads](std::span<std::byte> out, std::uint64_t offset) {
      ++*reads;
      return memory_reader(*image)(out, offset);
    };
  }
};

TEST(IsoImageCache, ASecondLookupReadsNothingFromTheImage) {
  PXED_REQUIRE_XORRISO();
  TempDir dir;
  write_file(dir.path() / "tree/a/b/c/file.txt", "x");
  auto bytes = make_iso(dir.path() / "tree", dir.path() / "out.iso", "-R");
  ASSERT_FALSE(bytes.empty());
  CountingReader counting{&bytes};
  auto image = Image::open(counting.reader(), bytes.size());
  ASSERT_TRUE(image) << image.error();
  ASSERT_TRUE(image->stat("a/b/c/file.txt"));
  const std::size_t after_first = *counting.reads;
  ASSERT_TRUE(image->stat("a/b/c/file.txt"));
  ASSERT_TRUE(image->list("a/b"));
  EXPECT_EQ(*counting.reads, after_first);
  EXPECT_EQ(image->directory_cache().size(), 4u);  // root, a, a/b, a/b/c

  auto uncached = Image::open(counting.reader(), bytes.size(), 0);
  ASSERT_TRUE(uncached);
  ASSERT_TRUE(uncached->stat("a/b/c/file.txt"));
  const std::size_t before = *counting.reads;
  ASSERT_TRUE(uncached->stat("a/b/c/file.txt"));
  EXPECT_EQ(*counting.reads - before, 4u);  // every directory on the path, again
}

// Not a timed test: prints lookups per second with and without the cache
// (pread from a real image file, as pxed reads), and checks only results.
TEST(IsoImageCache, MicroMeasurementOfLookupsPerSecond) {
  PXED_REQUIRE_XORRISO();
  TempDir dir;
  // A distro-like shape: a few directories with many files, looked up 3 deep.
  std::vector<std::string> paths;
  for (int d = 0; d < 8; ++d) {
    for (int f = 0; f < 250; ++f) {
      std::string path = "pool/dir" + std::to_string(d) + "/package-" + std::to_string(f) + ".deb";
      write_file(dir.path() / "tree" / path, "p");
      paths.push_back(path);
    }
  }
  const fs::path iso = dir.path() / "out.iso";
  ASSERT_FALSE(make_iso(dir.path() / "tree", iso, "-R -J").empty());
  const int fd = ::open(iso.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const auto size = static_cast<std::uint64_t>(fs::file_size(iso));
  ReadAt read = [fd](std::span<std::byte> out, std::uint64_t offset) -> std::expected<std::size_t, int> {
    ssize_t n = ::pread(fd, out.data(), out.size(), static_cast<off_t>(offset));
    if (n < 0) return std::unexpected(errno);
    return static_cast<std::size_t>(n);
  };
  auto measure = [&](std::size_t cache_bytes) {
    auto image = Image::open(read, size, cache_bytes);
    EXPECT_TRUE(image);
    if (!image) return 0.0;
    constexpr int kLookups = 4000;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kLookups; ++i) {
      auto e = image->resolve(paths[static_cast<std::size_t>(i * 7919) % paths.size()], FollowLast::yes);
      EXPECT_TRUE(e);
    }
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    return kLookups / took.count();
  };
  const double before = measure(0);
  const double after = measure(kDefaultDirectoryCacheBytes);
  std::printf("[ measure  ] ISO lookups/s, 3 deep, 2000 files: uncached %.0f, cached %.0f (x%.1f)\n",
              before, after, after / before);
  ::close(fd);
}

}  // namespace
}  // namespace pxed::iso
