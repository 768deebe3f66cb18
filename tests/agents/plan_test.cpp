#include <catch2/catch.hpp>

#include "agents/accounts.hpp"
#include "experiments/population.hpp"
#include "support.hpp"

using namespace icsim;

TEST_CASE("the recovery fund goes only to organisations planning a deficit", "[plan]") {
  const World w = test::run(test::params({"policy.psf=0", "policy.frf=1000", "run.years=1"}));
  double to_deficit = 0, to_others = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const bool planned_deficit =
        holds_control_total(w.orgs.kind[i]) && w.ledger.active[i] && planned_surplus(w, i) < 0;
    (planned_deficit ? to_deficit : to_others) += w.ledger.allocation[i];
  }
  CHECK(to_deficit == Approx(1000));
  CHECK(to_others == 0);
}

TEST_CASE("the sustainability fund goes to every trust by cost", "[plan]") {
  const World w = test::run(test::params({"policy.frf=0", "run.years=1"}));
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (is_trust(w.orgs.kind[i]))
      CHECK(w.ledger.allocation[i] ==
            Approx(w.params.psf * w.ledger.planned_cost[i] / w.national.weight[int(Fund::psf)]));
    else
      CHECK(w.ledger.allocation[i] == 0);
  }
}

TEST_CASE("a trust's contracts pay its planned income less specialised and other income",
          "[plan]") {
  const World w = test::run(test::params({"run.years=1"}));
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (!is_trust(w.orgs.kind[i])) continue;
    const auto& l = w.ledger;
    double weight = 0;
    for_each_contract(w, i, [&](std::uint32_t, std::uint32_t e) { weight += w.graph.flows()[e]; });
    INFO(w.orgs.code[i]);
    CHECK(l.planned_income[i] == Approx(l.planned_cost[i] * (1 + w.orgs.margin[i])));
    if (weight > 0) CHECK(contract_rate(w, i) * weight == Approx(l.contracts[i]));
  }
}

TEST_CASE("a commissioner's allocation covers its planned spending with its planned margin",
          "[plan]") {
  const World w = test::run(test::params({"run.years=1"}));
  int commissioners = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (w.orgs.kind[i] != Kind::commissioner || !w.ledger.active[i]) continue;
    ++commissioners;
    const auto& l = w.ledger;
    double contracts = 0;
    for_each_contract(w, i, [&](std::uint32_t j, std::uint32_t e) {
      contracts += contract_rate(w, j) * w.graph.flows()[e];
    });
    CHECK(l.contracts[i] == Approx(contracts));
    CHECK(planned_surplus(w, i) == Approx(w.orgs.margin[i] * l.planned_income[i]));
  }
  CHECK(commissioners == 191);  // 2019/20: the CCGs of April 2019
}

TEST_CASE("England's commissioners change over time: 191 CCGs - then 106 - then 42 ICBs",
          "[plan]") {
  std::vector<int> active;
  test::run(test::params({"run.first_year=2019", "run.years=4"}), [&](const World& w) {
    int count = 0;
    for (std::size_t i = 0; i < w.size(); ++i)
      count += w.orgs.kind[i] == Kind::commissioner && w.ledger.active[i];
    active.push_back(count);
  });
  CHECK(active == std::vector<int>{191, 191, 106, 42});
}

TEST_CASE("a merger hands the predecessors' balances to the successor", "[plan]") {
  World w = make_world(test::params({"run.first_year=2020", "run.years=2"}));
  step(w, {});
  // The balances at the end of 2020/21 of the CCGs that merge in April 2021.
  std::vector<double> before = w.ledger.balance;
  step(w, {});
  const auto& o = w.orgs;
  int merged = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (o.kind[i] != Kind::commissioner || o.active_to[i] != 2021) continue;
    ++merged;
    CHECK(w.ledger.balance[i] == 0);
    CHECK(w.ledger.transfer[i] == Approx(-before[i]));
    CHECK(o.successor[i] >= 0);
  }
  CHECK(merged == 191 - 79);  // the 2019 CCGs whose code did not continue
  double handed = 0;
  for (const double t : w.ledger.transfer) handed += t;
  CHECK(handed == Approx(0).margin(1e-9));
}

TEST_CASE("earned autonomy lifts the stake floor of systems that keep to their totals", "[plan]") {
  const Params p = test::params({"policy.system_tied_share=0.75", "policy.earned_autonomy_years=1",
                                 "policy.ics_count=42", "run.years=6"});
  int below_floor = 0, autonomous_years = 0;
  test::run(p, [&](const World& w) {
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (!holds_control_total(w.orgs.kind[i]) || !w.ledger.active[i]) continue;
      const bool autonomous = w.system_ledger.autonomous[w.orgs.system[i]];
      if (!autonomous) REQUIRE(w.current.stake[i] >= 0.75);
      below_floor += autonomous && w.current.stake[i] < 0.75;
    }
    for (const auto a : w.system_ledger.autonomous) autonomous_years += a;
  });
  CHECK(autonomous_years > 0);
  CHECK(below_floor > 0);
}

TEST_CASE("only members of ICSs that accepted a system total stake above the floor", "[plan]") {
  int above = 0;
  test::run(test::params({"policy.ics_count=10", "run.years=4"}), [&](const World& w) {
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (!holds_control_total(w.orgs.kind[i]) || w.current.stake[i] <= 0) continue;
      const auto sys = w.orgs.system[i];
      REQUIRE(w.system_ledger.ics[sys]);
      REQUIRE(w.system_ledger.accepted[sys]);
      ++above;
    }
    int ics = 0;
    for (const auto x : w.system_ledger.ics) ics += x;
    CHECK(ics == 10);
  });
  CHECK(above > 0);
}

TEST_CASE("an invisible purchasing levy makes control totals look harder to accept", "[plan]") {
  const auto accepted = [](const char* visibility) {
    int count = 0;
    test::run(test::params({"policy.purchasing_levy=0.05", "policy.purchasing_return=1.0",
                            std::string("policy.savings_visibility=") + visibility, "run.years=3"}),
              [&](const World& w) {
                for (std::size_t i = 0; i < w.size(); ++i)
                  count += is_trust(w.orgs.kind[i]) && w.current.accepted[i];
              });
    return count;
  };
  CHECK(accepted("0") < accepted("1"));
}

// finance.underlying_carry (docs/model.md 7.2): the share of a trust's efficiency gap that stays
// in its cost base, and so in its next plan and control total; its planned income does not move.
TEST_CASE("a trust's unmet efficiency requirement stays in its next plan - as far as it carries",
          "[plan][underlying]") {
  // No improvement is possible, so each trust's gap is the whole requirement, 4% of its cost.
  const auto second_year = [](const char* carry) {
    std::vector<World> years;
    test::run(test::params({"behaviour.cip_max=0", "policy.efficiency_requirement=0.04",
                            std::string("finance.underlying_carry=") + carry, "run.years=2"},
                           "england-2016"),
              [&](const World& w) { years.push_back(w); });
    return years.at(1);
  };
  const World none = second_year("0"), half = second_year("0.5");
  std::size_t trusts = 0;
  for (std::size_t i = 0; i < half.size(); ++i) {
    if (!half.ledger.active[i]) continue;
    INFO(half.orgs.code[i]);
    const auto& l = half.ledger;
    const double base = planned_cost(half, i);
    CHECK(none.ledger.planned_cost[i] == Approx(base));
    if (!is_trust(half.orgs.kind[i])) {
      CHECK(l.planned_cost[i] == none.ledger.planned_cost[i]);
      continue;
    }
    ++trusts;
    CHECK(l.planned_cost[i] == Approx(base * (1 + 0.5 * 0.04)));
    CHECK(l.planned_income[i] == Approx(none.ledger.planned_income[i]));
    // The plan, and the control total made from it, start from the worse position.
    CHECK(planned_surplus(half, i) == Approx(planned_surplus(none, i) - 0.02 * base));
    CHECK(l.control_total[i] < none.ledger.control_total[i]);
  }
  CHECK(trusts > 200);
}

TEST_CASE("improvement beyond the requirement stays as recurrent savings", "[plan][underlying]") {
  std::vector<World> years;
  test::run(
      test::params({"policy.efficiency_requirement=0", "finance.underlying_carry=1", "run.years=2"},
                   "england-2016"),
      [&](const World& w) { years.push_back(w); });
  const World &first = years.at(0), &second = years.at(1);
  std::size_t improved = 0;
  for (std::size_t i = 0; i < second.size(); ++i) {
    if (!is_trust(second.orgs.kind[i]) || !second.ledger.active[i]) continue;
    const double delivered = improvement(first, i) / first.ledger.planned_cost[i];
    INFO(second.orgs.code[i] << ": improvement " << delivered);
    CHECK(second.ledger.planned_cost[i] == Approx(planned_cost(second, i) * (1 - delivered)));
    improved += delivered > 0;
  }
  CHECK(improved > 100);
}

// 2018/19 planning guidance (HFMA, 2 February 2018): CCGs' control totals "take 2017/18 financial
// position into account with overspending CCGs expected to improve in-year financial performance by
// at least 1% of their overall allocations". With policy.commissioner_reset the second year's
// total of a commissioner that overspent the first is its last position (as a share of income)
// plus the improvement, where that is below the usual total; every other total is unchanged.
TEST_CASE("reset totals: a commissioner that overspent is set its last position plus 1%",
          "[plan]") {
  const auto second_year = [](const std::string& reset, std::vector<double>* gap) {
    std::vector<double> totals;
    test::run(test::params({"run.years=2", "policy.commissioner_reset=" + reset}),
              [&](const World& w) {
                const auto& l = w.ledger;
                if (w.year == 0 && gap) {
                  gap->assign(w.size(), 0.0);
                  for (std::size_t i = 0; i < w.size(); ++i)
                    if (w.orgs.kind[i] == Kind::commissioner && l.active[i])
                      (*gap)[i] = (l.surplus[i] - l.control_total[i]) / l.planned_income[i];
                }
                if (w.year == 1) totals = l.control_total;
              });
    return totals;
  };
  std::vector<double> gap;
  const auto usual = second_year("false", nullptr), reset = second_year("true", &gap);
  // The first years are the same run: the incomes of the second are too (no total enters them).
  const World w = test::run(test::params({"run.years=2"}));
  int lowered = 0, kept = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (w.orgs.kind[i] != Kind::commissioner || !w.ledger.active[i]) {
      CHECK(reset[i] == usual[i]);
      continue;
    }
    const double shift = std::min(0.0, gap[i] + 0.01) * w.ledger.planned_income[i];
    CHECK(reset[i] == Approx(usual[i] + shift).margin(1e-9));
    (shift < 0 ? lowered : kept) += 1;
  }
  CHECK(lowered > 10);
  CHECK(kept > 10);
}
