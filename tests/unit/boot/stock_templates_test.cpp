// The answer files pxed ships (templates/): each renders with the vars its
// header names, ends with the machine's done call, and matches its golden
// render (tests/unit/data/answers/). A mismatch writes <golden>.actual to look at.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "boot/template.hpp"

namespace pxed::boot {
namespace {

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// What answer_values gives db-03, plus the vars the stock templates ask for.
const config::Vars kValues{
    {"server", "10.77.0.1"},
    {"http", "http://10.77.0.1"},
    {"mac", "88:99:aa:bb:cc:dd"},
    {"ip", "10.77.0.23"},
    {"name", "db-03"},
    {"uuid", ""},
    {"arch", "bios"},
    {"done_url", "http://10.77.0.1/pxed/v1/done"},
    {"answers_url", "http://10.77.0.1/pxed/v1/answers/88-99-aa-bb-cc-dd/"},
    {"profile", "install"},
    {"group", ""},
    {"installer", "debian-installer"},
    {"mirror_host", "deb.debian.org"},
    {"mirror_dir", "/debian"},
    {"repo_url", "http://10.77.0.1/iso/Rocky-9.4-x86_64-dvd/"},
    {"root_password_crypted", "$6$pxed$3Xq0yAm3qY0"},
    {"password_crypted", "$6$pxed$3Xq0yAm3qY0"},
    {"username", "ops"},
    {"admin_password", "P<ss>&\"word'"},
    {"disk", "sda"},
    {"disk_number", "0"},
};

class StockTemplate : public ::testing::TestWithParam<const char*> {};

TEST_P(StockTemplate, RendersAsItsGoldenFileAndEndsWithTheDoneCall) {
  const std::filesystem::path source = std::filesystem::path(PXED_SOURCE_DIR) / "templates" / GetParam();
  const std::filesystem::path golden = std::filesystem::path(PXED_SOURCE_DIR) / "tests" / "unit" / "data" /
                                       "answers" / (std::string(GetParam()) + ".golden");
  const auto text = read(source);
  ASSERT_FALSE(text.empty()) << source;
  auto rendered = render_template(source.filename().string(), text, kValues);
  ASSERT_TRUE(rendered) << rendered.error().front().to_string();
  EXPECT_NE(rendered->find("http://10.77.0.1/pxed/v1/done?mac=88:99:aa:bb:cc:dd"), std::string::npos);
  const auto expected = read(golden);
  if (*rendered != expected) std::ofstream(golden.string() + ".actual", std::ios::binary) << *rendered;
  EXPECT_EQ(*rendered, expected) << "see " << golden.string() << ".actual";
}

INSTANTIATE_TEST_SUITE_P(Shipped, StockTemplate,
                         ::testing::Values("preseed.cfg", "ks.cfg", "ubuntu/user-data", "autoinst.xml",
                                           "autounattend.xml"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (auto& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

TEST(StockTemplate, UbuntuMetaDataNamesTheInstance) {
  const auto dir = std::filesystem::path(PXED_SOURCE_DIR) / "templates" / "ubuntu";
  EXPECT_EQ(render_template("meta-data", read(dir / "meta-data"), kValues).value_or(""),
            "instance-id: pxed-88:99:aa:bb:cc:dd\nlocal-hostname: db-03\n");
  EXPECT_EQ(render_template("vendor-data", read(dir / "vendor-data"), kValues).value_or("x"), "");
}

}  // namespace
}  // namespace pxed::boot
