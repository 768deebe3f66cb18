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
  CHECK(y2019.psf == 1250.0);
  CHECK(y2019.frf == 1050.0);
  CHECK(y2020.system_tied_share == 0.5);
  CHECK(y2020.psf == 0.0);
  CHECK(y2020.frf == 2000.0);
  CHECK(y2020.redistribution == Redistribution::leader);
  CHECK(y2022.collaborative_form == CollaborativeForm::formal);
  CHECK(y2022.collaborative_mandate);
  CHECK(y2022.statutory_collaboration);
  CHECK(y2022.frf == 2000.0);  // inherited through base
}

TEST_CASE("england-2016 changes its regime year by year as it happened", "[scenario]") {
  const Params p = load_scenario("england-2016").params;
  CHECK(p.first_year == 2016);
  CHECK(p.psf == 1800.0);
  CHECK(p.ics_count == 0);
  Params y = p;
  apply_timeline(y, 2017);
  CHECK(y.ics_count == 8);
  apply_timeline(y, 2018);
  CHECK(y.psf == 2450.0);
  CHECK(y.psf_incentive == 2.0);
  CHECK(y.csf == 400.0);
  apply_timeline(y, 2019);
  CHECK(y.psf == 1250.0);
  CHECK(y.frf == 1050.0);
  CHECK(y.payment == Payment::blended);
}

TEST_CASE("a scenario's timeline adds to its base's; bad entries name file, line and key",
          "[scenario]") {
  const auto path =
      write_temp("timeline.toml",
                 "base = \"england-2020\"\n[[timeline]]\nyear = 2023\n"
                 "policy.bailout = 500.0\n[timeline.behaviour]\nlogit_noise = 0.05\n");
  const Params p = load_scenario(path.string()).params;
  REQUIRE(p.timeline.size() == 2);  // england-2020's 2021 entry, then this one
  CHECK(p.timeline[0].year == 2021);
  CHECK(p.timeline[1].year == 2023);
  CHECK(p.timeline[1].settings.size() == 2);
  const auto fixed = write_temp("fixed.toml", "[[timeline]]\nyear = 2020\n\"run.years\" = 3\n");
  CHECK_THROWS_WITH(load_scenario(fixed.string()),
                    Catch::Contains("fixed.toml:3") && Catch::Contains("'run.years' is fixed"));
  const auto year = write_temp("year.toml", "[[timeline]]\n\"policy.psf\" = 3.0\n");
  CHECK_THROWS_WITH(load_scenario(year.string()),
                    Catch::Contains("year.toml") && Catch::Contains("key 'year'"));
  const auto range =
      write_temp("trange.toml", "[[timeline]]\nyear = 2020\n\"policy.psf\" = -3.0\n");
  CHECK_THROWS_WITH(load_scenario(range.string()),
                    Catch::Contains("trange.toml:3") && Catch::Contains("policy.psf"));
  for (const auto& f : {path, fixed, year, range}) std::filesystem::remove(f);
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
  const auto list = write_temp("list.toml", "[policy]\npsf = [1, 2]\n");
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

TEST_CASE("--set holds for the whole run: it replaces the timeline's entries for its key",
          "[scenario]") {
  Params p = load_scenario("england-2016").params;
  apply_setting(p, "policy.psf=3000", "--set");
  CHECK(p.psf == 3000.0);
  for (const auto& entry : p.timeline)
    for (const auto& [spec, value] : entry.settings) CHECK(spec->name != "policy.psf");
  Params y = p;
  apply_timeline(y, 2019, true);
  CHECK(y.psf == 3000.0);
  CHECK(y.frf == 1050.0);  // other keys keep their timeline
}

TEST_CASE("a timeline cannot change what only the world's build reads", "[scenario]") {
  for (const char* key : {"finance.margin_mean.acute", "trust.initial", "behaviour.risk_aversion",
                          "population.provider_cost_total"}) {
    INFO(key);
    const auto path =
        write_temp("built.toml", std::string("[[timeline]]\nyear = 2020\n\"") + key + "\" = 0.1\n");
    CHECK_THROWS_WITH(load_scenario(path.string()), Catch::Contains("is fixed for a run"));
    std::filesystem::remove(path);
  }
}
