#include "osid/iso_files.hpp"

#include <gtest/gtest.h>

#include "iso/iso_test_support.hpp"
#include "osid/recipe.hpp"

namespace pxed::osid {
namespace {

using namespace pxed::iso::testing;

// A real image shaped like an Ubuntu derivative osinfo does not know, read
// through iso::Image: the recipe sees its files as a client would.
TEST(IsoImageFiles, ARealImageBootsThroughItsFamilyAndItsMenu) {
  PXED_REQUIRE_XORRISO();
  TempDir dir;
  const auto tree = dir.path() / "tree";
  write_file(tree / "casper/vmlinuz", "kernel");
  write_file(tree / "casper/initrd", "initrd");
  write_file(tree / "boot/grub/grub.cfg",
             "menuentry \"Start\" {\n linux /casper/vmlinuz boot=casper quiet ---\n initrd /casper/initrd\n}\n");
  const auto bytes = make_iso(tree, dir.path() / "out.iso", "-R -J -V DERIV_22");
  ASSERT_FALSE(bytes.empty());
  auto image = iso::Image::open(memory_reader(bytes), bytes.size());
  ASSERT_TRUE(image) << image.error();
  const IsoImageFiles files(*image, memory_reader(bytes));

  EXPECT_TRUE(files.is_file("casper/vmlinuz"));
  EXPECT_FALSE(files.is_file("casper"));
  EXPECT_EQ(files.list("casper"), (std::vector<std::string>{"initrd", "vmlinuz"}));
  EXPECT_EQ(files.read("casper/initrd", 100), "initrd");
  EXPECT_EQ(files.read("casper/initrd", 3), std::nullopt);
  EXPECT_EQ(files.read("nope", 100), std::nullopt);

  const ImageSource source{"http://10.0.0.1/iso/deriv/", "http://10.0.0.1/iso/deriv.iso", bytes.size(),
                           std::string(image->volume_id())};
  const auto r = recipe_for(std::nullopt, source, files);
  EXPECT_EQ(r.rule, "casper");
  EXPECT_EQ(r.label, "DERIV_22 (live)");
  EXPECT_EQ(r.kernel, "http://10.0.0.1/iso/deriv/casper/vmlinuz");
}

}  // namespace
}  // namespace pxed::osid
