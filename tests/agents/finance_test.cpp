#include "agents/finance.hpp"

#include <catch2/catch.hpp>

#include "network/england.hpp"
#include "support.hpp"

using namespace icsim;

TEST_CASE("synthesised finance is calibrated to the published totals", "[finance]") {
  const Params p = test::params();
  const Structure s = load_england(p);
  double cost = 0, trusts = 0, deficit = 0, ccg_income = 0;
  for (std::size_t i = 0; i < s.orgs.size(); ++i) {
    if (is_trust(s.orgs.kind[i])) {
      cost += s.orgs.base_cost[i];
      trusts += 1;
      deficit += s.orgs.income[i] < s.orgs.base_cost[i];
    }
    if (s.orgs.kind[i] == Kind::commissioner) ccg_income += s.orgs.income[i];
  }
  CHECK(cost == Approx(p.provider_cost_total).epsilon(1e-9));
  CHECK(deficit / trusts == Approx(p.deficit_share).margin(0.5 / trusts));
  // 60.6m registered patients at the allocation per patient.
  CHECK(ccg_income == Approx(60.606345 * p.commissioner_allocation_per_patient).epsilon(1e-6));
}

TEST_CASE("leaders' roles follow the 2019 proportions", "[finance]") {
  const Structure s = load_england(test::params());
  int sole = 0, ccg = 0, trust = 0;
  for (const auto r : s.systems.leader_role) {
    sole += r == LeaderRole::sole;
    ccg += r == LeaderRole::commissioner;
    trust += r == LeaderRole::trust;
  }
  CHECK(sole == 10);
  CHECK(ccg == 17);
  CHECK(trust == 6);
}

TEST_CASE("the finance seed changes the draw and nothing else changes it", "[finance]") {
  const Structure a = load_england(test::params());
  const Structure b = load_england(test::params({"run.seed=99"}));
  const Structure c = load_england(test::params({"population.finance_seed=7"}));
  CHECK(a.orgs.income == b.orgs.income);
  CHECK(a.orgs.income != c.orgs.income);
}
