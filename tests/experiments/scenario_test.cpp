#include "experiments/scenario.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

using namespace icsim;

namespace {
std::filesystem::path write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / ("icsim-test-" + name);
  std::ofstream(path) << text;
  return path;
}
}  // namespace

TEST_CASE("the shipped scenarios load and encode their policies", "[scenario]") {
  const auto names = shipped_scenarios();
  CHECK(std::find(names.begin(), names.end(), "england-2019") != names.end());
  const Params y2019 = load_scenario("england-2019").params;
  const Params y2020 = load_scenario("england-2020").params;
  const Params y2022 = load_scenario("statutory-2022").params;
  CHECK(y2019.system_tied_share == 0.0);
  CHECK(y2019.support_pot == 2250.0);
  CHECK(y2020.system_tied_share == 0.5);
  CHECK(y2020.support_eligibility == Eligibility::deficit_only);
  CHECK(y2020.redistribution == Redistribution::leader);
  CHECK(y2022.collaborative_form == CollaborativeForm::formal);
  CHECK(y2022.collaborative_mandate);
  CHECK(y2022.support_eligibility == Eligibility::deficit_only);  // inherited through base
}

TEST_CASE("a scenario file builds on a base and tables name registry keys", "[scenario]") {
  const auto path = write_temp("base.toml",
                               "base = \"england-2020\"\n[policy]\nbailout = 250.0\n"
                               "[behaviour.acute]\nrule = \"imitation\"\n");
  const Params p = load_scenario(path.string()).params;
  CHECK(p.bailout == 250.0);
  CHECK(p.system_tied_share == 0.5);
  CHECK(p.rule_for(Kind::acute) == Rule::imitation);
}

TEST_CASE("bad scenarios get one-line errors naming the file, the line and the key", "[scenario]") {
  const auto unknown = write_temp("unknown.toml", "[policy]\nsystem_tied_shar = 0.5\n");
  CHECK_THROWS_WITH(
      load_scenario(unknown.string()),
      Catch::Contains(unknown.string() + ":2: unknown key 'policy.system_tied_shar'") &&
          Catch::Contains("did you mean 'policy.system_tied_share'"));
  const auto range = write_temp("range.toml", "[policy]\nsystem_tied_share = 2\n");
  CHECK_THROWS_WITH(load_scenario(range.string()),
                    Catch::Contains("range.toml:2") && Catch::Contains("a number in [0, 1]"));
  const auto malformed = write_temp("malformed.toml", "[policy\nx = 1\n");
  CHECK_THROWS_WITH(load_scenario(malformed.string()),
                    Catch::Contains("malformed.toml:1") && Catch::Contains("malformed TOML"));
  const auto list = write_temp("list.toml", "[policy]\nsupport_pot = [1, 2]\n");
  CHECK_THROWS_WITH(load_scenario(list.string()), Catch::Contains("not a list"));
  CHECK_THROWS_WITH(load_scenario("no-such-scenario"), Catch::Contains("england-2019"));
  for (const auto& p : {unknown, range, malformed, list}) std::filesystem::remove(p);
}

TEST_CASE("the --set option parses values as the parameter's type", "[scenario]") {
  Params p = default_params();
  apply_setting(p, "policy.redistribution=need", "--set");
  apply_setting(p, "policy.collaborative_mandate=true", "--set");
  apply_setting(p, "run.years=3", "--set");
  CHECK(p.redistribution == Redistribution::need);
  CHECK(p.collaborative_mandate);
  CHECK(p.years == 3);
  CHECK_THROWS_WITH(apply_setting(p, "run.years=three", "--set"),
                    Catch::Contains("--set") && Catch::Contains("run.years"));
  CHECK_THROWS_WITH(apply_setting(p, "run.years", "--set"), Catch::Contains("key=value"));
}
