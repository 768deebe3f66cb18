#include "experiments/levers.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "agents/metrics.hpp"
#include "experiments/scenario.hpp"
#include "experiments/sweep.hpp"
#include "tests/experiments/posterior_support.hpp"
#include "tests/experiments/sweep_support.hpp"
#include "tests/support.hpp"

using namespace icsim;

TEST_CASE("the lever table holds every policy lever once - live in a shipped scenario",
          "[levers]") {
  std::set<std::string> in_table;
  const auto shipped = shipped_scenarios();
  for (const auto& lever : lever_table()) {
    INFO(lever.name);
    CHECK(in_table.insert(lever.name).second);
    REQUIRE(find_param(lever.name) != nullptr);
    CHECK(std::find(shipped.begin(), shipped.end(), lever.scenario) != shipped.end());
    CHECK(std::find(lever_outcomes().begin(), lever_outcomes().end(), lever.outcome) !=
          lever_outcomes().end());
    CHECK((lever.sign == 1 || lever.sign == -1));
    CHECK_FALSE(lever.mechanism.empty());
    Params p = load_scenario(lever.scenario).params;
    CHECK_NOTHROW(apply_setting(p, lever.name + "=" + lever.low, "test"));
    CHECK_NOTHROW(apply_setting(p, lever.name + "=" + lever.high, "test"));
  }
  for (const auto& spec : registry())
    if (spec.name.starts_with("policy.")) {
      INFO(spec.name << " is a policy lever missing from the lever table");
      CHECK(in_table.count(spec.name) == 1);
    }
  for (const auto& name : lever_outcomes()) CHECK(find_metric(name, Level::national) != nullptr);
}

TEST_CASE("icsim levers measures a lever's effect with paired seeds", "[levers]") {
  const Lever& lever = lever_table().front();
  Params p = load_scenario(lever.scenario).params;
  p.years = 2;
  const LeverResult a = measure_lever(lever, p, 3), b = measure_lever(lever, p, 3);
  REQUIRE(a.effect.size() == lever_outcomes().size());
  for (std::size_t m = 0; m < a.effect.size(); ++m) {
    CHECK(a.effect[m].mean == b.effect[m].mean);  // the same seeds, the same result
    CHECK(a.effect[m].mean == Approx(a.high[m] - a.low[m]).margin(1e-12));
    CHECK(a.effect[m].se >= 0);
  }
}

TEST_CASE("icsim levers --posterior: each paired replication draws its parameters", "[levers]") {
  // A posterior of one particle is a fixed parameter set: measuring on it equals measuring on a
  // base with those values, at both ends; the lever's own parameter keeps the lever's values.
  const Lever& lever = lever_table().front();  // policy.psf on england-2019
  REQUIRE(lever.name == "policy.psf");
  Params base = load_scenario(lever.scenario).params;
  base.years = 2;
  const auto file = test::sweep_folder() / "levers-posterior.h5";
  test::write_test_posterior(file, {"behaviour.failure_cost", "policy.psf"}, {0.05, 123.0}, {1.0});
  const PosteriorDraws posterior = posterior_draws(file, 3, "test");
  const LeverResult drawn = measure_lever(lever, base, 3, &posterior);
  Params fixed = base;
  fixed.failure_cost = 0.05;
  const LeverResult expected = measure_lever(lever, fixed, 3);
  const LeverResult plain = measure_lever(lever, base, 3);
  bool differs = false;
  for (std::size_t m = 0; m < lever_outcomes().size(); ++m) {
    CHECK(drawn.low[m] == expected.low[m]);
    CHECK(drawn.high[m] == expected.high[m]);
    differs = differs || drawn.low[m] != plain.low[m];
  }
  CHECK(differs);  // the draw acted
  // The command: a table with a line for the lever, the posterior named in the header.
  const auto r = test::cli({"levers", "england-2019", "--posterior", file.string(), "--draws", "2",
                            "--only", "policy.psf", "--years", "1"});
  INFO(r.err);
  CHECK(r.code == 0);
  CHECK(r.out.find("draws its parameters from the posterior") != std::string::npos);
  CHECK(r.out.find("policy.psf") != std::string::npos);
  const auto bad = test::cli({"levers", "england-2019", "--draws", "2", "--only", "policy.psf"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("--draws: only with --posterior") != std::string::npos);
}

// Issue 12: no lever may be inert. Each moves its documented outcome with the documented sign,
// beyond two standard errors over 8 paired seeds, and by at least 2% of the outcome's range
// over the whole lever table.
TEST_CASE("slow: levers: every policy lever moves its documented outcome", "[.][levers]") {
  std::vector<LeverResult> results;
  for (const auto& lever : lever_table()) results.push_back(measure_lever(lever, 8));
  const auto& names = lever_outcomes();
  std::map<std::string, std::pair<double, double>> range;
  for (std::size_t m = 0; m < names.size(); ++m) {
    double lo = INFINITY, hi = -INFINITY;
    for (const auto& r : results) {
      lo = std::min({lo, r.low[m], r.high[m]});
      hi = std::max({hi, r.low[m], r.high[m]});
    }
    range[names[m]] = {lo, hi};
  }
  // Metrics that say something: every outcome moves, beyond two standard errors, with some lever.
  for (std::size_t m = 0; m < names.size(); ++m) {
    bool moved = false;
    for (const auto& r : results)
      moved = moved || std::abs(r.effect[m].mean) > 2 * r.effect[m].se + 1e-12;
    INFO(names[m] << " moves with no lever of the table");
    CHECK(moved);
  }
  for (const auto& r : results) {
    const Lever& lever = *r.lever;
    const auto m = static_cast<std::size_t>(std::find(names.begin(), names.end(), lever.outcome) -
                                            names.begin());
    const Effect e = r.effect[m];
    const auto [lo, hi] = range[lever.outcome];
    INFO(lever.name << " (" << lever.scenario << ", " << lever.low << " -> " << lever.high
                    << "): " << lever.outcome << " moves " << e.mean << " (se " << e.se
                    << "); expected sign " << lever.sign << "; outcome's range over the table "
                    << lo << " to " << hi);
    CHECK(e.mean * lever.sign > 2 * e.se);
    CHECK(std::abs(e.mean) >= 0.02 * (hi - lo));
  }
}
