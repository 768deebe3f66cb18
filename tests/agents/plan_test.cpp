#include <catch2/catch.hpp>

#include "support.hpp"

using namespace icsim;

TEST_CASE("the recovery fund goes only to organisations planning a deficit", "[plan]") {
  const World w =
      test::run(test::params({"policy.support_eligibility=deficit_only", "run.years=1"}));
  double to_deficit = 0, to_others = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const bool planned_deficit = w.orgs.income[i] < w.orgs.base_cost[i];
    (planned_deficit && holds_control_total(w.orgs.kind[i]) ? to_deficit : to_others) +=
        w.ledger.allocation[i];
  }
  CHECK(to_deficit == Approx(w.params.support_pot));
  CHECK(to_others == 0);
}

TEST_CASE("the sustainability fund goes to every trust by cost", "[plan]") {
  const World w = test::run(test::params({"run.years=1"}));
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (is_trust(w.orgs.kind[i]))
      CHECK(w.ledger.allocation[i] > 0);
    else
      CHECK(w.ledger.allocation[i] == 0);
  }
}

TEST_CASE("earned autonomy lifts the stake floor of systems that keep to their totals", "[plan]") {
  const Params p = test::params(
      {"policy.system_tied_share=0.75", "policy.earned_autonomy_years=1", "run.years=6"});
  int below_floor = 0, autonomous_years = 0;
  test::run(p, [&](const World& w) {
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (!holds_control_total(w.orgs.kind[i])) continue;
      const bool autonomous = w.system_ledger.autonomous[w.orgs.system[i]];
      if (!autonomous) REQUIRE(w.current.stake[i] >= 0.75);
      below_floor += autonomous && w.current.stake[i] < 0.75;
    }
    for (const auto a : w.system_ledger.autonomous) autonomous_years += a;
  });
  CHECK(autonomous_years > 0);
  CHECK(below_floor > 0);
}

TEST_CASE("an invisible purchasing levy makes control totals look harder to meet", "[plan]") {
  const auto accepted = [](const char* visibility) {
    int count = 0;
    test::run(test::params({"policy.purchasing_levy=0.02", "policy.purchasing_return=1.0",
                            std::string("policy.savings_visibility=") + visibility, "run.years=3"}),
              [&](const World& w) {
                for (std::size_t i = 0; i < w.size(); ++i) count += w.current.accepted[i];
              });
    return count;
  };
  CHECK(accepted("0") < accepted("1"));
}
