// Rock Ridge deep directory relocation (RRIP 4.1.5): mkisofs-style writers
// move directories deeper than 8 levels to RR_MOVED and leave a CL
// placeholder; readers show the original tree.
#include <gtest/gtest.h>

#include "iso/image.hpp"
#include "iso_test_support.hpp"

namespace pxed::iso {
namespace {

using namespace pxed::iso::testing;

TEST(RelocatedDirectory, AppearsAtItsOriginalDeepPath) {
  PXED_REQUIRE_XORRISO();
  TempDir dir;
  const fs::path deep = dir.path() / "tree/a/b/c/d/e/f/g/h/i/j";
  write_file(deep / "deep.txt", random_bytes(5000, 21));
  write_file(dir.path() / "tree/a/b/c/d/e/f/g/h/sibling.txt", "s\n");
  auto bytes = make_iso_native(dir.path() / "tree", dir.path() / "out.iso",
                               "-compliance deep_paths_off -rr_reloc_dir RR_MOVED");
  ASSERT_FALSE(bytes.empty());
  auto image = Image::open(memory_reader(bytes), bytes.size());
  ASSERT_TRUE(image) << image.error();
  ASSERT_EQ(image->naming(), Naming::rock_ridge);

  auto h = image->stat("a/b/c/d/e/f/g/h");
  ASSERT_TRUE(h) << h.error();
  EXPECT_TRUE(h->directory);
  auto leaf = image->stat("a/b/c/d/e/f/g/h/i/j/deep.txt");
  ASSERT_TRUE(leaf) << leaf.error();
  EXPECT_EQ(sha256_of(extent_bytes(bytes, *leaf), dir.path() / "scratch"),
            sha256_of_file(deep / "deep.txt"));
  EXPECT_TRUE(image->stat("a/b/c/d/e/f/g/h/sibling.txt"));
  // The moved copy (RE) is not listed a second time.
  auto moved = image->list("RR_MOVED");
  if (moved) {
    EXPECT_TRUE(moved->empty());
  }
}

}  // namespace
}  // namespace pxed::iso
