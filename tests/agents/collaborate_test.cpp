#include <catch2/catch.hpp>
#include <numeric>

#include "agents/collaboratives.hpp"
#include "support.hpp"

using namespace icsim;

TEST_CASE("savings grow with size and trust with diminishing returns - overhead is convex",
          "[collaborate]") {
  const Params p = test::params();
  const double cost = 100;
  CHECK(collaborative_saving(p, 1, 1.0, true, cost) == 0);  // alone, nothing to share
  const double s2 = collaborative_saving(p, 2, 0.5, true, cost);
  const double s4 = collaborative_saving(p, 4, 0.5, true, cost);
  const double s8 = collaborative_saving(p, 8, 0.5, true, cost);
  CHECK(s2 < s4);
  CHECK(s4 < s8);
  CHECK(s8 - s4 < 2 * (s4 - s2));  // diminishing returns in size
  CHECK(collaborative_saving(p, 4, 1.0, true, cost) == Approx(2 * s4));
  CHECK(collaborative_saving(p, 4, 0.5, false, cost) == Approx(p.informal_factor * s4));
  // A tertiary centre in six collaboratives pays more than twice what three cost it.
  const double three = membership_overhead(p, 3, 3, cost), six = membership_overhead(p, 6, 3, cost);
  CHECK(six > 2 * three);
  CHECK(membership_overhead(p, 2, 3, cost) - membership_overhead(p, 1, 3, cost) <
        membership_overhead(p, 6, 3, cost) - membership_overhead(p, 5, 3, cost));
}

TEST_CASE("formal collaboratives share members' shocks and conserve them", "[collaborate]") {
  const auto spread = [](const char* form) {
    double own = 0, shared = 0, total_own = 0, total_shared = 0;
    test::run(test::params({std::string("policy.collaborative_form=") + form,
                            "collaboratives.overhead=0", "run.years=4"}),
              [&](const World& w) {
                for (std::size_t i = 0; i < w.size(); ++i) {
                  if (w.ledger.memberships[i] == 0) continue;
                  const double mine = w.ledger.shock[i] * w.ledger.planned_cost[i];
                  own += mine * mine;
                  shared += w.ledger.cost_shock[i] * w.ledger.cost_shock[i];
                  total_own += mine;
                  total_shared += w.ledger.cost_shock[i];
                }
              });
    CHECK(total_shared == Approx(total_own).epsilon(1e-9));  // money is conserved
    return shared / own;
  };
  CHECK(spread("informal") == Approx(1.0));
  CHECK(spread("formal") < 0.9);
}

TEST_CASE("the integration index rises with trust and stays in [0 - 1]", "[collaborate]") {
  const auto index = [](const char* trust) {
    const World w = test::run(test::params({std::string("trust.initial=") + trust, "run.years=1"}));
    for (const double x : w.system_ledger.integration_index) {
      CHECK(x >= 0);
      CHECK(x <= 1);
    }
    const auto& v = w.system_ledger.integration_index;
    return std::accumulate(v.begin(), v.end(), 0.0);
  };
  CHECK(index("0.9") > index("0.2"));
}

TEST_CASE("a system pooling little with little trust is flagged in name only", "[collaborate]") {
  const World low = test::run(test::params({"trust.initial=0.1", "run.years=1"}));
  const World high =
      test::run(test::params({"trust.initial=0.9", "policy.system_tied_share=1", "run.years=1"}));
  const auto& l = low.system_ledger;
  for (std::size_t s = 0; s < l.in_name_only.size(); ++s)
    CHECK(l.in_name_only[s] == (l.stake_above_floor[s] < 0.1 && l.mean_trust[s] < 0.4));
  CHECK(std::accumulate(l.in_name_only.begin(), l.in_name_only.end(), 0) > 0);
  CHECK(std::accumulate(high.system_ledger.in_name_only.begin(),
                        high.system_ledger.in_name_only.end(), 0) == 0);
}
