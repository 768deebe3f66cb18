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

TEST_CASE("a scenario's timeline adds to its base's - bad entries name file - line and key",
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

TEST_CASE("bad scenarios get one-line errors naming the file - the line and the key",
          "[scenario]") {
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

TEST_CASE("a setting given with --set holds for the whole run - replacing the timeline's entries",
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

TEST_CASE("a value a scenario file sets holds over its base's timeline entries for the key",
          "[scenario]") {
  // england-2020's 2021 entry sets 42 ICSs; a scenario on it from 2022 with 30 keeps 30, and its
  // own timeline entries still apply.
  const auto path = write_temp("derived.toml",
                               "base = \"england-2020\"\n[run]\nfirst_year = 2022\n"
                               "[policy]\nics_count = 30\n[[timeline]]\nyear = 2024\n"
                               "\"policy.ics_count\" = 35\n");
  Params p = load_scenario(path.string()).params;
  apply_timeline(p, 2022, true);
  CHECK(p.ics_count == 30);
  CHECK(p.writeoff_commissioners == 0.0);  // a key it did not set keeps the base's entry
  apply_timeline(p, 2024, false);
  CHECK(p.ics_count == 35);
  std::filesystem::remove(path);
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

// Issue 15, items 4, 5, 7, 10, 12 and 15.
namespace {
std::filesystem::path folder() {
  const auto path = std::filesystem::temp_directory_path() / "icsim-scenario-bases";
  std::filesystem::create_directories(path);
  return path;
}
std::filesystem::path write_in_folder(const std::string& name, const std::string& text) {
  const auto path = folder() / name;
  std::ofstream(path) << text;
  return path;
}
}  // namespace

TEST_CASE("scenario bases that loop are refused in one line - naming the file and key",
          "[scenario]") {
  const auto a = write_in_folder("loop-a.toml", "base = \"loop-b.toml\"\n");
  write_in_folder("loop-b.toml", "# the other half\nbase = \"loop-a.toml\"\n");
  CHECK_THROWS_WITH(load_scenario(a.string()),
                    Catch::Contains("loop-b.toml:2: key 'base': 'loop-a.toml': a base of itself"));
  const auto self = write_in_folder("self.toml", "base = \"./self.toml\"\n");
  CHECK_THROWS_WITH(load_scenario(self.string()), Catch::Contains("self.toml:1: key 'base'") &&
                                                      Catch::Contains("a base of itself"));
  // A long chain that does not loop is refused too, past 16 bases.
  for (int i = 0; i < 20; ++i)
    write_in_folder("chain-" + std::to_string(i) + ".toml",
                    "base = \"chain-" + std::to_string(i + 1) + ".toml\"\n");
  write_in_folder("chain-20.toml", "");
  CHECK_THROWS_WITH(load_scenario((folder() / "chain-0.toml").string()),
                    Catch::Contains("bases nested more than 16 deep"));
  CHECK_NOTHROW(load_scenario((folder() / "chain-10.toml").string()));
}

TEST_CASE("a base that is empty - missing - a directory or a device is named with the key",
          "[scenario]") {
  const auto empty = write_in_folder("empty-base.toml", "\nbase = \"\"\n");
  CHECK_THROWS_WITH(load_scenario(empty.string()),
                    Catch::Equals(empty.string() + ":2: key 'base': empty; expected a shipped "
                                                   "scenario name or a path"));
  const auto missing = write_in_folder("missing-base.toml", "base = \"nowhere.toml\"\n");
  CHECK_THROWS_WITH(load_scenario(missing.string()),
                    Catch::StartsWith(missing.string() + ":1: key 'base': 'nowhere.toml': no such "
                                                         "file, nor a shipped scenario"));
  const auto device = write_in_folder("device-base.toml", "base = \"/dev/zero\"\n");
  CHECK_THROWS_WITH(load_scenario(device.string()),
                    Catch::Equals(device.string() +
                                  ":1: key 'base': /dev/zero: a device, not a file icsim reads"));
  const auto directory = write_in_folder("directory-base.toml", "base = \"/tmp\"\n");
  CHECK_THROWS_WITH(load_scenario(directory.string()), Catch::Contains("a directory"));
}

TEST_CASE("a directory is not a scenario - and does not hide a shipped one", "[scenario]") {
  CHECK_THROWS_WITH(load_scenario(folder().string()),
                    Catch::Equals(folder().string() + ": a directory, not a file icsim reads"));
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(folder());
  std::filesystem::create_directory("england-2020");
  const Scenario s = load_scenario("england-2020");
  std::filesystem::remove("england-2020");
  std::filesystem::current_path(cwd);
  CHECK(s.source == "england-2020 (shipped)");
  CHECK(s.params.system_tied_share == 0.5);
}

TEST_CASE("a parameter set twice in one file is refused - a base's value is overridden",
          "[scenario]") {
  const auto twice =
      write_in_folder("twice.toml", "\"policy.bailout\" = 1.0\n[policy]\nbailout = 2.0\n");
  CHECK_THROWS_WITH(
      load_scenario(twice.string()),
      Catch::Equals(twice.string() + ":3: key 'policy.bailout' is set twice (also on line 1)"));
  const auto over = write_in_folder("over.toml",
                                    "base = \"england-2020\"\n[policy]\n"
                                    "system_tied_share = 0.25\n");
  CHECK(load_scenario(over.string()).params.system_tied_share == 0.25);
}

TEST_CASE("a scenario's files are found beside it: base and network.file", "[scenario]") {
  const auto sub = folder() / "elsewhere";
  std::filesystem::create_directories(sub);
  std::ofstream(sub / "edges.csv") << "0,1\n1,2\n";
  std::ofstream(sub / "base.toml") << "model = \"public_goods\"\n";
  std::ofstream(sub / "graph.toml") << "base = \"base.toml\"\n[network]\nkind = \"edge_list\"\n"
                                       "file = \"edges.csv\"\n";
  const Scenario s = load_scenario((sub / "graph.toml").string());
  CHECK(s.params.network_file == (sub / "edges.csv").string());
  CHECK(s.params.model == Model::public_goods);
  REQUIRE(s.files.size() == 2);
  CHECK(s.files[0] == sub / "graph.toml");
  CHECK(s.files[1] == sub / "base.toml");
  const auto inputs = input_files(s);
  CHECK(std::find(inputs.begin(), inputs.end(), sub / "edges.csv") != inputs.end());
}

TEST_CASE("keys nested deeper than the parser can take are refused before it sees them",
          "[scenario]") {
  // 20,000 levels crashed check_scenario's recursion; 200,000 crash toml++ itself.
  for (const int depth : {33, 20'000, 200'000}) {
    INFO(depth);
    std::string key = "a";
    for (int i = 1; i < depth; ++i) key += ".a";
    const auto header = write_in_folder("deep-header.toml", "[" + key + "]\n");
    CHECK_THROWS_WITH(load_scenario(header.string()),
                      Catch::Contains("deep-header.toml:1: a key of more than 32 dotted parts"));
    const auto dotted = write_in_folder("deep-key.toml", "\n" + key + " = 1\n");
    CHECK_THROWS_WITH(load_scenario(dotted.string()), Catch::Contains("deep-key.toml:2:"));
  }
  const auto brackets =
      write_in_folder("deep-array.toml", "x = " + std::string(40, '[') + std::string(40, ']'));
  CHECK_THROWS_WITH(load_scenario(brackets.string()), Catch::Contains("nested more than 32 deep"));
  // Dots inside strings and comments, numbers and dates are not key parts.
  const auto fine = write_in_folder("fine.toml", "description = \"" + std::string(100, '.') +
                                                     "\"  # " + std::string(100, '.') +
                                                     "\n[behaviour.acute]\nrule = \"imitation\"\n"
                                                     "[policy]\npsf = 1.5e3\n");
  CHECK(load_scenario(fine.string()).params.psf == 1500.0);
}
