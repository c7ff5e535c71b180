#include "app/cli_usage.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace pxed::app {
namespace {

using ::testing::HasSubstr;

// pxed's shape: subcommands required at the top and under iso, optional under machines.
struct Cli {
  CLI::App app{"test", "pxed"};
  std::string config, image, mac;
  Cli() {
    app.require_subcommand(1);
    app.add_subcommand("serve", "")->add_option("-c,--config", config)->required();
    app.add_subcommand("check", "")->add_option("-c,--config", config)->required();
    auto* iso = app.add_subcommand("iso", "");
    iso->require_subcommand(1);
    iso->add_subcommand("ls", "")->add_option("IMAGE", image)->required();
    iso->add_subcommand("info", "")->add_option("IMAGE", image)->required();
    auto* machines = app.add_subcommand("machines", "");
    machines->add_option("-c,--config", config);
    machines->add_subcommand("reinstall", "")->add_option("MAC", mac)->required();
  }
  int run(std::vector<std::string> args, std::string& err) {
    std::vector<const char*> argv{"pxed"};
    for (const auto& a : args) argv.push_back(a.c_str());
    std::ostringstream out;
    try {
      app.parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::ParseError& e) {
      const int code = usage_exit(app, e, args, out);
      err = out.str();
      return code;
    }
    return -1;
  }
};

TEST(CliUsage, AMisspeltSubcommandGetsTheNearestOne) {
  Cli cli;
  const std::vector<std::string> args{"serv", "-c", "pxed.toml"};
  EXPECT_EQ(subcommand_hint(cli.app, args), "pxed: no subcommand \"serv\"; did you mean \"serve\"?");
  const std::vector<std::string> nested{"iso", "lss", "x.iso"};
  EXPECT_EQ(subcommand_hint(cli.app, nested), "pxed iso: no subcommand \"lss\"; did you mean \"ls\"?");
  const std::vector<std::string> optional{"machines", "-c", "pxed.toml", "reinstal", "52:54:00:12:34:56"};
  EXPECT_EQ(subcommand_hint(cli.app, optional),
            "pxed machines: no subcommand \"reinstal\"; did you mean \"reinstall\"?");
}

TEST(CliUsage, AMisspeltLongOptionGetsTheSubcommandsNearestOne) {
  Cli cli;
  const std::vector<std::string> args{"serve", "--confg", "pxed.toml"};
  EXPECT_EQ(subcommand_hint(cli.app, args), "pxed serve: no option --confg; did you mean --config?");
  const std::vector<std::string> with_value{"check", "--confi=pxed.toml"};
  EXPECT_EQ(subcommand_hint(cli.app, with_value), "pxed check: no option --confi; did you mean --config?");
  const std::vector<std::string> unknown{"serve", "--frobnicate"};
  EXPECT_EQ(subcommand_hint(cli.app, unknown), std::nullopt);
}

TEST(CliUsage, AnOptionsValueIsNoSubcommand) {
  Cli cli;
  // "check" after -c is the config file's name, not a subcommand to descend into.
  const std::vector<std::string> args{"machines", "-c", "chek", "reinstall", "52:54:00:12:34:56"};
  EXPECT_EQ(subcommand_hint(cli.app, args), std::nullopt);
}

TEST(CliUsage, AWordLikeNoSubcommandListsThem) {
  Cli cli;
  const std::vector<std::string> args{"frobnicate"};
  EXPECT_EQ(subcommand_hint(cli.app, args), "pxed: no subcommand \"frobnicate\"; subcommands: serve, check, iso, machines");
}

TEST(CliUsage, BadUsageExitsTwoNeverCli11sOwnCodes) {
  Cli cli;
  std::string err;
  EXPECT_EQ(cli.run({"serve"}, err), kExitUsage);  // CLI11: 106 (RequiredError)
  EXPECT_THAT(err, HasSubstr("--config is required"));
  Cli again;
  EXPECT_EQ(again.run({"serv", "-c", "x"}, err), kExitUsage);  // CLI11: 109 (ExtrasError) or 106
  EXPECT_THAT(err, HasSubstr("did you mean \"serve\"?"));
  Cli none;
  EXPECT_EQ(none.run({}, err), kExitUsage);
}

TEST(CliUsage, HelpExitsZero) {
  Cli cli;
  std::string err;
  testing::internal::CaptureStdout();
  EXPECT_EQ(cli.run({"--help"}, err), kExitOk);
  EXPECT_THAT(testing::internal::GetCapturedStdout(), HasSubstr("serve"));
}

}  // namespace
}  // namespace pxed::app
