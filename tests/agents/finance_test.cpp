#include "agents/finance.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "experiments/england.hpp"
#include "support.hpp"

using namespace icsim;

TEST_CASE("synthesised costs are split from the published totals", "[finance]") {
  const Params p = test::params();
  const Structure s = load_england(p);
  double cost = 0, other_care = 0, patients = 0;
  for (std::size_t i = 0; i < s.orgs.size(); ++i) {
    if (is_trust(s.orgs.kind[i])) cost += s.orgs.base_cost[i];
    // Each period's commissioners cover the registered population once: count the ICBs'.
    if (s.orgs.kind[i] == Kind::commissioner && s.orgs.active_to[i] == always) {
      other_care += s.orgs.base_cost[i];
      patients += s.orgs.population[i];
    }
  }
  CHECK(cost == Approx(p.provider_cost_total).epsilon(1e-9));
  CHECK(patients == Approx(60.606345e6).epsilon(1e-6));  // registered patients, 2021
  CHECK(other_care == Approx(patients * p.other_care_per_head / 1e6).epsilon(1e-9));
}

TEST_CASE("planned margins follow their kind's mean and spread", "[finance]") {
  Params p =
      test::params({"finance.margin_mean.acute=-0.03", "finance.margin_sd.acute=0.02",
                    "finance.margin_mean.mental_health=0.01", "finance.margin_sd.mental_health=0"});
  Organisations o;
  const std::size_t n = 20000;
  o.code.assign(n, "X");
  o.kind.assign(n, Kind::acute);
  for (std::size_t i = n / 2; i < n; ++i) o.kind[i] = Kind::mental_health;
  synthesise_margins(o, p);
  double sum = 0, squares = 0;
  for (std::size_t i = 0; i < n / 2; ++i) {
    sum += o.margin[i];
    squares += o.margin[i] * o.margin[i];
  }
  const double mean = sum / double(n / 2), sd = std::sqrt(squares / double(n / 2) - mean * mean);
  CHECK(mean == Approx(-0.03).margin(4 * 0.02 / std::sqrt(double(n / 2))));
  CHECK(sd == Approx(0.02).epsilon(0.05));
  for (std::size_t i = n / 2; i < n; ++i) REQUIRE(o.margin[i] == 0.01);
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
  Structure s = load_england(test::params());
  const auto margins = [&](const Params& p) {
    Organisations o = s.orgs;
    synthesise_margins(o, p);
    return o.margin;
  };
  const auto a = margins(test::params());
  CHECK(a == margins(test::params({"run.seed=99"})));
  CHECK(a != margins(test::params({"population.finance_seed=7"})));
}
