#include "experiments/run.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

#include "agents/metrics.hpp"
#include "support.hpp"
#include "tests/output/h5_compare.hpp"

using namespace icsim;
namespace fs = std::filesystem;

namespace {
fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() / ("icsim-run-test-" + std::to_string(::getpid()) + name);
}
}  // namespace

TEST_CASE("a Simulation recorded in memory saves the file run_scenario writes", "[run]") {
  const Params p = test::params({"run.years=3", "run.seed=5"});
  const Provenance provenance{to_toml(p), "england-2019 (shipped)", "test", "run"};
  const auto written = temp_file("written.h5"), saved = temp_file("saved.h5");
  RunOptions options;
  options.output = written;
  options.provenance = provenance;
  const World end = run_scenario(p, options);

  Simulation run(p, Simulation::Recording::memory, provenance);
  for (int y = 0; y < 3; ++y) run.step();
  run.save(saved);
  CHECK(test::dataset_differences(written.string(), saved.string()).empty());
  CHECK(run.image().size() == fs::file_size(saved));
  CHECK(run.finish().year == end.year);
  fs::remove(written);
  fs::remove(saved);
}

TEST_CASE("between years a Simulation's world is as the year's record saw it", "[run]") {
  const Params p = test::params({"run.years=3"});
  std::vector<YearSummary> recorded;
  test::run(p, [&](const World& w) { recorded.push_back(summarise(w)); });
  Simulation run(p, Simulation::Recording::none, {});
  CHECK(run.years_run() == 0);
  for (const auto& expected : recorded) {
    run.step();
    const YearSummary now = summarise(run.world());
    CHECK(now.year == expected.year);
    CHECK(now.stake_share == expected.stake_share);
    CHECK(now.aggregate_surplus == expected.aggregate_surplus);
    // A column the world keeps is this year's in place: the stake decided this year.
    const auto view = std::get<std::span<const double>>(
        find_metric("stake_fraction", Level::organisation)->view(run.world()));
    CHECK(view.data() == run.world().current.stake.data());
  }
  CHECK(run.years_run() == 3);
}

TEST_CASE("Simulation::set changes the years after it and is noted in the file", "[run]") {
  const Params p = test::params({"run.years=4", "run.seed=3"});
  Simulation base(p, Simulation::Recording::none, {});
  Simulation changed(p, Simulation::Recording::memory, {});
  for (int y = 0; y < 2; ++y) {
    base.step();
    changed.step();
  }
  changed.set(*find_param("policy.system_tied_share"), Value{1.0});
  CHECK(changed.changes() ==
        std::to_string(p.first_year + 2) + ": policy.system_tied_share = 1.0\n");
  base.step();
  changed.step();
  const World& b = base.world();
  const World& c = changed.world();
  CHECK(c.params.system_tied_share == 1.0);
  CHECK(b.current.stake != c.current.stake);
  for (std::size_t i = 0; i < c.size(); ++i)
    if (holds_control_total(c.orgs.kind[i]) && c.ledger.active[i]) CHECK(c.current.stake[i] == 1.0);

  const auto saved = temp_file("changed.h5");
  changed.save(saved);
  const h5::Handle file = h5::open_file(saved.string(), false);
  CHECK(h5::string_attribute(file, "changes") == changed.changes());
  fs::remove(saved);
}
