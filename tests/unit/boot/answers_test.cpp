// Answer files: the URL, the installer's kernel arguments, who may fetch a
// machine's file, and the values its template sees.
#include "boot/answers.hpp"

#include <gtest/gtest.h>

#include "boot/inventory_support.hpp"

namespace pxed::boot {
namespace {

using testing::facts_of;
using testing::kDb03;
using testing::kStranger;

const Context kContext{*core::Ipv4::parse("10.77.0.1"), "http://10.77.0.1"};

config::Config with_answers(config::Installer installer = config::Installer::anaconda) {
  auto cfg = testing::rooms();
  auto& p = cfg.inventory.profiles[0];  // centos7-ks, db-03's
  p.installer = installer;
  p.vars["rootpw"] = "$6$profile";
  p.vars["timezone"] = "UTC";
  p.answers.push_back({"ks.cfg", "/etc/pxed/templates/ks.cfg",
                       "network --hostname={{name}}\nrootpw --iscrypted {{rootpw}}\ntimezone {{timezone}}\n"
                       "ignoredisk --only-use={{disk}}\n%post\ncurl -fsS {{done_url}}?mac={{mac}}\n%end\n",
                       7});
  p.answers.push_back({"meta-data", "/etc/pxed/templates/meta-data", "instance-id: {{mac}}\n", 8});
  cfg.inventory.groups[0].vars["timezone"] = "Europe/Paris";
  cfg.inventory.machines[0].vars["rootpw"] = "$6$machine";
  return cfg;
}

ClientFacts db03() {
  auto f = facts_of(kDb03);
  f.address = *core::Ipv4::parse("10.77.0.23");
  return f;
}

TEST(Answers, UrlNamesTheMachineWithoutColons) {
  EXPECT_EQ(answer_url("http://10.77.0.1", kDb03, "ks.cfg"),
            "http://10.77.0.1/pxed/v1/answers/88-99-aa-bb-cc-dd/ks.cfg");
  auto parsed = parse_answer_path("/pxed/v1/answers/88-99-aa-bb-cc-dd/ks.cfg");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->mac, kDb03);
  EXPECT_EQ(parsed->name, "ks.cfg");
  EXPECT_FALSE(parse_answer_path("/pxed/v1/answers/88-99-aa-bb-cc-dd/"));
  EXPECT_FALSE(parse_answer_path("/pxed/v1/answers/not-a-mac/ks.cfg"));
  EXPECT_FALSE(parse_answer_path("/pxed/v1/answers/88-99-aa-bb-cc-dd/a/ks.cfg"));
  EXPECT_FALSE(parse_answer_path("/pxed/v1/done"));
}

TEST(Answers, EachInstallerIsPointedAtItsFileByItsOwnArgument) {
  const struct {
    config::Installer installer;
    std::string arguments;
  } cases[] = {
      {config::Installer::debian_installer,
       "auto=true priority=critical url=http://10.77.0.1/pxed/v1/answers/88-99-aa-bb-cc-dd/ks.cfg"},
      {config::Installer::anaconda, "inst.ks=http://10.77.0.1/pxed/v1/answers/88-99-aa-bb-cc-dd/ks.cfg"},
      {config::Installer::subiquity, "autoinstall ds=nocloud-net;s=http://10.77.0.1/pxed/v1/answers/88-99-aa-bb-cc-dd/"},
      {config::Installer::autoyast, "autoyast=http://10.77.0.1/pxed/v1/answers/88-99-aa-bb-cc-dd/ks.cfg"},
      {config::Installer::windows, ""},
  };
  for (const auto& c : cases) {
    const auto cfg = with_answers(c.installer);
    const auto m = match(db03(), cfg);
    EXPECT_EQ(answer_arguments(cfg.inventory.profiles[0], values_of(m, db03(), kContext)), c.arguments);
  }
}

TEST(Answers, TheLoaderConfigCarriesTheArgumentsAfterTheUsersAppend) {
  const auto cfg = with_answers();
  const auto plan = plan_of(match(db03(), cfg), db03(), kContext, cfg);
  ASSERT_EQ(plan.entries.size(), 1u);
  EXPECT_EQ(plan.entries[0].append,
            "inst.repo=http://10.77.0.1/centos7 ip=dhcp hostname=db-03 disk=sda "
            "inst.ks=http://10.77.0.1/pxed/v1/answers/88-99-aa-bb-cc-dd/ks.cfg");
  // A machine pxed cannot tell has no answers of its own.
  ClientFacts unknown;
  const auto profile_only = answer_arguments(cfg.inventory.profiles[0], values_of(Match{}, unknown, kContext));
  EXPECT_EQ(profile_only, "");
}

TEST(Answers, MachineVarsWinOverGroupOverProfile) {
  auto cfg = with_answers();
  cfg.inventory.machines[0].profile.clear();  // db-03 takes its group's profile: the office menu
  auto facts = db03();
  facts.address = *core::Ipv4::parse("192.168.99.23");
  const auto m = match(facts, cfg);
  ASSERT_EQ(m.group, &cfg.inventory.groups[0]);
  const auto* profile = answer_profile(m, cfg);  // the menu's entry with answer files
  ASSERT_NE(profile, nullptr);
  EXPECT_EQ(profile->name, "centos7-ks");
  auto with_entry = m;
  with_entry.declared = profile;
  const auto values = answer_values(with_entry, facts, kContext);
  EXPECT_EQ(values.at("rootpw"), "$6$machine");     // machine over profile
  EXPECT_EQ(values.at("timezone"), "Europe/Paris");  // group over profile
  EXPECT_EQ(values.at("disk"), "sda");               // machine over group over profile
  EXPECT_EQ(values.at("profile"), "centos7-ks");
  EXPECT_EQ(values.at("group"), "office");
  EXPECT_EQ(values.at("installer"), "anaconda");
  EXPECT_EQ(values.at("answers_url"), "http://10.77.0.1/pxed/v1/answers/88-99-aa-bb-cc-dd/");
  EXPECT_EQ(values.at("done_url"), "http://10.77.0.1/pxed/v1/done");
}

TEST(Answers, TheMachineItselfGetsItsFileRendered) {
  const auto cfg = with_answers();
  AnswerAsker asker{kDb03, "lease", false, {}};
  auto r = answer_reply({kDb03, "ks.cfg"}, asker, db03(), cfg, kContext);
  EXPECT_EQ(r.status, 200u);
  EXPECT_FALSE(r.refused);
  EXPECT_EQ(r.reason, "answer");
  EXPECT_EQ(r.body,
            "network --hostname=db-03\nrootpw --iscrypted $6$machine\ntimezone UTC\nignoredisk --only-use=sda\n"
            "%post\ncurl -fsS http://10.77.0.1/pxed/v1/done?mac=88:99:aa:bb:cc:dd\n%end\n");
  EXPECT_EQ(r.why,
            "88-99-aa-bb-cc-dd/ks.cfg for db-03 (88:99:aa:bb:cc:dd), asked by the machine itself (lease): profile "
            "centos7-ks (pxed.toml:6) by machine db-03 (pxed.toml:22)");
  r = answer_reply({kDb03, "meta-data"}, asker, db03(), cfg, kContext);
  EXPECT_EQ(r.body, "instance-id: 88:99:aa:bb:cc:dd\n");
}

TEST(Answers, AnotherMachineOrAnUnknownAddressGets404AndAWarning) {
  const auto cfg = with_answers();
  auto r = answer_reply({kDb03, "ks.cfg"}, AnswerAsker{kStranger, "lease", false, {}}, db03(), cfg, kContext);
  EXPECT_EQ(r.status, 404u);
  EXPECT_TRUE(r.refused);
  EXPECT_EQ(r.body, "not found\n");
  EXPECT_EQ(r.reason, "answer-refused");
  EXPECT_EQ(r.why, "answers of 88:99:aa:bb:cc:dd asked by another machine, 00:11:22:33:44:55 (lease), without a "
                   "token");
  r = answer_reply({kDb03, "ks.cfg"}, AnswerAsker{std::nullopt, "", false, {}}, db03(), cfg, kContext);
  EXPECT_EQ(r.status, 404u);
  EXPECT_TRUE(r.refused);
  EXPECT_EQ(r.body.find("rootpw"), std::string::npos);
}

TEST(Answers, TheApisTokenOpensAnyMachinesFile) {
  const auto cfg = with_answers();
  auto r = answer_reply({kDb03, "ks.cfg"}, AnswerAsker{std::nullopt, "", true, {}}, db03(), cfg, kContext);
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.why.find("asked by a request with the API's token"), std::string::npos) << r.why;
}

TEST(Answers, TheMachinesOwnTokenOpensItsFilesAndNoOtherMachines) {
  auto cfg = with_answers();
  config::Secrets s;
  s.machine["db-03"] = {{"answers_token", "db03-token"}};
  const AnswerAsker from_elsewhere{std::nullopt, "", false, "db03-token"};
  auto r = answer_reply({kDb03, "ks.cfg"}, from_elsewhere, db03(), cfg, kContext, nullptr, &s);
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.why.find("asked by a request with the machine's answers_token"), std::string::npos) << r.why;
  EXPECT_EQ(r.why.find("db03-token"), std::string::npos) << r.why;
  // Another machine's file with db-03's token; db-03's with a wrong one.
  r = answer_reply({kStranger, "ks.cfg"}, from_elsewhere, facts_of(kStranger), cfg, kContext, nullptr, &s);
  EXPECT_EQ(r.status, 404u);
  EXPECT_TRUE(r.refused);
  r = answer_reply({kDb03, "ks.cfg"}, AnswerAsker{std::nullopt, "", false, "db03-tokem"}, db03(), cfg, kContext,
                   nullptr, &s);
  EXPECT_EQ(r.status, 404u);
  EXPECT_NE(r.why.find("with a token that is not its own"), std::string::npos) << r.why;
}

TEST(Answers, AFileTheProfileLacksIsNotFoundWithoutAWarning) {
  const auto cfg = with_answers();
  auto r = answer_reply({kDb03, "preseed.cfg"}, AnswerAsker{kDb03, "lease", false, {}}, db03(), cfg, kContext);
  EXPECT_EQ(r.status, 404u);
  EXPECT_FALSE(r.refused);
  EXPECT_EQ(r.reason, "answer-not-found");
}

TEST(Answers, TheMachinesSmbiosAsIpxeReportedItIsThereWhenKnownElseEmpty) {
  auto cfg = with_answers();
  cfg.inventory.profiles[0].answers[1].text = "serial: {{serial}} {{manufacturer}} {{product}}\n";
  Remembered remembered;
  remembered.hardware[kDb03] = Hardware{"CZ1234", "HPE", "ProLiant DL360"};
  auto r = answer_reply({kDb03, "meta-data"}, AnswerAsker{kDb03, "lease", false, {}}, db03(), cfg, kContext, &remembered);
  EXPECT_EQ(r.body, "serial: CZ1234 HPE ProLiant DL360\n");
  r = answer_reply({kDb03, "meta-data"}, AnswerAsker{kDb03, "lease", false, {}}, db03(), cfg, kContext);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "serial:   \n");
  EXPECT_TRUE(answer_problems(cfg).empty());
}

TEST(Answers, ADoneOnceMachineStillGetsTheFilesItInstalledWith) {
  auto cfg = with_answers();
  cfg.inventory.machines[0].once = true;
  Remembered remembered;
  remembered.installed[kDb03] = 1700000000;
  auto r = answer_reply({kDb03, "meta-data"}, AnswerAsker{kDb03, "lease", false, {}}, db03(), cfg, kContext, &remembered);
  EXPECT_EQ(r.status, 200u);
}

TEST(Answers, ProblemsAreFoundForEveryMachineThatUsesTheTemplate) {
  auto cfg = with_answers();
  cfg.inventory.profiles[0].answers[1].text = "a\n{{role}}\n{{#x}}\n";
  // db-03 has role; the office group's machines (its menu holds the profile) do not: reported once, with its line.
  cfg.inventory.machines[0].vars["role"] = "db";
  auto problems = answer_problems(cfg);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].to_string(), "/etc/pxed/templates/meta-data:3: unclosed section 'x'");
  cfg.inventory.profiles[0].answers[1].text = "a\n{{role}}\n";
  problems = answer_problems(cfg);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_TRUE(problems[0].to_string().starts_with("/etc/pxed/templates/meta-data:2: unknown variable {{role}}"))
      << problems[0].to_string();
}

TEST(Answers, AProfileNobodyBootsIsCheckedForSyntaxOnly) {
  auto cfg = with_answers();
  auto unused = cfg.inventory.profiles[0];
  unused.name = "unused";
  unused.answers = {{"ks.cfg", "/etc/pxed/templates/unused.cfg", "{{only_a_machine_has_it}}\n{{/x}}\n", 30}};
  cfg.inventory.profiles.push_back(unused);
  auto problems = answer_problems(cfg);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].to_string(), "/etc/pxed/templates/unused.cfg:2: unopened section 'x'");
}

config::Secrets secrets() {
  config::Secrets s;
  s.all = {{"rootpw", "$6$all"}, {"key", "all"}};
  s.profile["centos7-ks"] = {{"rootpw", "$6$profile-secret"}, {"token", "p"}};
  s.group["office"] = {{"token", "g"}};
  s.machine["db-03"] = {{"rootpw", "$6$db-03-secret"}};
  s.machine["00:11:22:33:44:55"] = {{"key", "stranger"}};
  return s;
}

TEST(Answers, SecretsWinOverVarsAndFollowTheSamePrecedence) {
  const auto cfg = with_answers();
  const auto s = secrets();
  auto m = match(db03(), cfg);
  auto values = answer_values(m, db03(), kContext, &s);
  EXPECT_EQ(values.at("rootpw"), "$6$db-03-secret");  // machine secret over profile secret over the machine's var
  EXPECT_EQ(values.at("token"), "p");
  EXPECT_EQ(values.at("key"), "all");
  auto stranger = facts_of(kStranger);
  stranger.address = *core::Ipv4::parse("192.168.99.7");
  m = match(stranger, cfg);
  auto with_entry = m;
  with_entry.declared = answer_profile(m, cfg);
  values = answer_values(with_entry, stranger, kContext, &s);
  EXPECT_EQ(values.at("token"), "g");        // group over profile
  EXPECT_EQ(values.at("key"), "stranger");   // by MAC
  EXPECT_EQ(values.at("rootpw"), "$6$profile-secret");
}

TEST(Answers, SecretsRenderIntoTheServedFileButNotIntoItsEvent) {
  const auto cfg = with_answers();
  const auto s = secrets();
  auto r = answer_reply({kDb03, "ks.cfg"}, AnswerAsker{kDb03, "lease", false, {}}, db03(), cfg, kContext, nullptr, &s);
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find("rootpw --iscrypted $6$db-03-secret"), std::string::npos) << r.body;
  EXPECT_EQ(r.why.find("$6$"), std::string::npos) << r.why;
  // A template whose variable only a secret would fill fails without it, naming the variable, never a value.
  auto broken = cfg;
  broken.inventory.profiles[0].answers[0].text = "{{secret_only}}\n";
  r = answer_reply({kDb03, "ks.cfg"}, AnswerAsker{kDb03, "lease", false, {}}, db03(), broken, kContext, nullptr, &s);
  EXPECT_EQ(r.status, 500u);
  EXPECT_EQ(r.why.find("$6$"), std::string::npos) << r.why;
  EXPECT_NE(r.why.find("unknown variable {{secret_only}}"), std::string::npos) << r.why;
}

}  // namespace
}  // namespace pxed::boot
