// Helpers shared by the tests: parameters with overrides, a whole run in memory.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "agents/parameters.hpp"
#include "agents/step.hpp"
#include "agents/world.hpp"
#include "experiments/population.hpp"
#include "experiments/scenario.hpp"

namespace icsim::test {

inline Params params(std::initializer_list<std::string> settings = {},
                     const std::string& scenario = "england-2019") {
  Params p = load_scenario(scenario).params;
  for (const auto& s : settings) apply_setting(p, s, "test");
  return p;
}

// Runs every year, calling `each` with the world at the end of each year.
template <class F>
World run(const Params& p, F each, std::uint64_t run_index = 0) {
  World w = make_world(p, run_index);
  simulate(w, [&](const World& world) { each(world); });
  return w;
}
inline World run(const Params& p) {
  return run(p, [](const World&) {});
}

// The share of the trusts active in the last year of a run of p for which holds(world, i) is true
// at that year's end.
template <class F>
double trust_share(const Params& p, F holds) {
  double share = 0;
  run(p, [&](const World& w) {
    double yes = 0, trusts = 0;
    for (std::size_t i = 0; i < w.size(); ++i)
      if (is_trust(w.orgs.kind[i]) && w.ledger.active[i]) {
        trusts += 1;
        yes += holds(w, i) ? 1.0 : 0.0;
      }
    share = yes / trusts;
  });
  return share;
}

}  // namespace icsim::test
