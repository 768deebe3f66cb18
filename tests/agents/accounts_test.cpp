#include "agents/accounts.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "experiments/population.hpp"
#include "support.hpp"

using namespace icsim;

namespace {

// Checks the year's identities (docs/model.md, "Money") and returns the year's total flows.
void check_identities(const World& w, const std::vector<double>& before) {
  const auto flows = audit(w);
  double total = 0, between_in = 0, between_out = 0, balances = 0, centre = 0, outside = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const auto& f = flows[i];
    total += f.centre_in + f.outside_in + f.internal_in + f.external_in + std::abs(f.support) +
             std::abs(f.merger);
    between_in += f.internal_in + f.external_in + std::max(0.0, f.merger);
    between_out += f.internal_out + f.external_out + std::max(0.0, -f.merger);
    balances += w.ledger.balance[i] - before[i];
    centre += f.centre_out - f.centre_in - f.support;
    outside += f.outside_out - f.outside_in;
  }
  const double tolerance = 1e-12 * total;
  // Each organisation's balance moved by its flows, and its surplus is its operating flows.
  for (std::size_t i = 0; i < w.size(); ++i) {
    INFO(w.orgs.code[i] << " in " << w.calendar_year());
    REQUIRE(std::abs(w.ledger.balance[i] - before[i] - flows[i].change()) <= tolerance);
    REQUIRE(std::abs(w.ledger.surplus[i] - flows[i].surplus()) <= tolerance);
  }
  INFO(w.calendar_year() << ": total flows " << total);
  // Money between organisations is counted once by each party.
  CHECK(std::abs(between_in - between_out) <= tolerance);
  // Every account's change, the centre's and the outside's included, sums to zero.
  CHECK(std::abs(balances + centre + outside) <= tolerance);
  // A system's surplus is its external flows: contracts between its NHS bodies cancel.
  for (std::size_t sys = 0; sys < w.systems.size(); ++sys) {
    double external = 0, internal = 0;
    for (const auto i : w.systems.members[sys]) {
      if (!holds_control_total(w.orgs.kind[i]) || !w.ledger.active[i]) continue;
      const auto& f = flows[i];
      external += f.centre_in - f.centre_out + f.outside_in - f.outside_out + f.external_in -
                  f.external_out;
      internal += f.internal_in - f.internal_out;
    }
    INFO(w.systems.code[sys]);
    CHECK(std::abs(w.system_ledger.surplus[sys] - external) <= tolerance);
    CHECK(std::abs(internal) <= tolerance);
  }
}

void check_scenario(const Params& p) {
  World w = make_world(p);
  std::vector<double> before = w.ledger.balance;
  int years = 0;
  simulate(w, [&](const World& world) {
    check_identities(world, before);
    before = world.ledger.balance;
    ++years;
  });
  CHECK(years == p.years);
}

}  // namespace

TEST_CASE("money is counted once: the ledger identities hold every year of every shipped scenario",
          "[accounts]") {
  const auto name = GENERATE(from_range(shipped_scenarios()));
  INFO(name);
  check_scenario(test::params({"run.years=8", "policy.bailout=300", "policy.psf_incentive=1",
                               "policy.collaboration_penalty=0.2"},
                              name));
}

TEST_CASE("the identities hold under every payment mechanism and with pooled budgets",
          "[accounts]") {
  const auto payment = GENERATE(as<std::string>{}, "tariff", "blended", "block");
  check_scenario(test::params(
      {"policy.payment=" + payment, "councils.max_pooled_share=1",
       "finance.commissioner_risk_reserve=0.01", "finance.commissioner_pressure_funding=600",
       "policy.csf=400", "behaviour.year_end_measures=0.02", "behaviour.year_end_repayment=0.5",
       "behaviour.initial_year_end=0.01", "finance.underlying_carry=0.5", "run.years=4"}));
}

TEST_CASE("the identities hold in a synthetic population", "[accounts]") {
  check_scenario(test::params({"population.source=synthetic", "population.organisations=3000",
                               "policy.ics_count=42", "run.years=4"}));
}

TEST_CASE("contract payments inside a system cancel in its surplus - across systems they do not",
          "[accounts]") {
  const World w = test::run(test::params({"run.years=1"}));
  double across = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (w.orgs.kind[i] != Kind::commissioner || !w.ledger.active[i]) continue;
    for_each_contract(w, i, [&](std::uint32_t j, std::uint32_t e) {
      if (w.orgs.system[j] != w.orgs.system[i] && is_trust(w.orgs.kind[j]))
        across += contract_payment(w, j, std::uint32_t(i), e);
    });
  }
  CHECK(across > 0);  // trusts serve neighbouring systems' patients
}

// Issue 13, 2018/19 (NHS England's CSF guidance; HFMA, 2 February 2018): the CSF goes only to
// commissioners set a deficit control total, sized by the deficit, paid on meeting the total.
TEST_CASE("the CSF is offered only to commissioners planning a deficit - in proportion to it",
          "[accounts][csf]") {
  test::run(test::params({"policy.csf=400", "run.years=1"}), [&](const World& w) {
    double offered = 0, deficits = 0;
    std::size_t planning_deficit = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (w.orgs.kind[i] != Kind::commissioner || !w.ledger.active[i]) continue;
      const double deficit = std::max(0.0, -planned_surplus(w, i));
      const double csf = fund_allocation(w, Fund::csf, i);
      CHECK((csf > 0) == (deficit > 0));
      planning_deficit += deficit > 0;
      offered += csf;
      deficits += deficit;
    }
    REQUIRE(planning_deficit > 0);
    CHECK(offered == Approx(400));
    for (std::size_t i = 0; i < w.size(); ++i)
      if (w.orgs.kind[i] == Kind::commissioner && w.ledger.active[i])
        CHECK(fund_allocation(w, Fund::csf, i) ==
              Approx(400 * std::max(0.0, -planned_surplus(w, i)) / deficits).margin(1e-9));
  });
}

// 2018/19: 600m added to CCG allocations "to fund more realistic levels of emergency activity"
// (HFMA, 2 February 2018). It is kept out of control totals, so it meets demand above plan.
TEST_CASE("pressure funding adds to allocations - not to control totals - and fewer overspend",
          "[accounts][pressure]") {
  const auto year = [](const char* funding) {
    World out;
    test::run(test::params(
                  {std::string("finance.commissioner_pressure_funding=") + funding, "run.years=1"},
                  "england-2016"),
              [&](const World& w) { out = w; });
    return out;
  };
  const World without = year("0"), with = year("1000");
  double added = 0, overspent_without = 0, overspent_with = 0;
  for (std::size_t i = 0; i < with.size(); ++i) {
    if (with.orgs.kind[i] != Kind::commissioner || !with.ledger.active[i]) continue;
    CHECK(with.ledger.control_total[i] ==
          Approx(without.ledger.control_total[i]).epsilon(1e-12).margin(1e-9));
    added += with.ledger.planned_income[i] - without.ledger.planned_income[i];
    overspent_without += without.ledger.surplus[i] < without.ledger.control_total[i];
    overspent_with += with.ledger.surplus[i] < with.ledger.control_total[i];
  }
  CHECK(added == Approx(1000));
  INFO("commissioners overspending without " << overspent_without << ", with " << overspent_with);
  CHECK(overspent_with < 0.8 * overspent_without);
}

// Year-end measures (behaviour.year_end_measures): a holder that accepted its total and falls
// short by no more than the cap closes the shortfall exactly; what it books falls due next year,
// in the share behaviour.year_end_repayment.
TEST_CASE("year-end measures close shortfalls up to the cap - and fall due the next year",
          "[accounts][year_end]") {
  const double repayment = GENERATE(1.0, 0.25, 0.0);
  INFO("behaviour.year_end_repayment = " << repayment);
  std::vector<World> years;
  test::run(test::params({"behaviour.year_end_measures=0.02", "run.years=2",
                          "behaviour.year_end_repayment=" + std::to_string(repayment)},
                         "england-2016"),
            [&](const World& w) { years.push_back(w); });
  REQUIRE(years.size() == 2);
  const World& first = years[0];
  std::size_t booked = 0;
  for (std::size_t i = 0; i < first.size(); ++i) {
    const auto& l = first.ledger;
    const double booked_i = l.year_end[i];
    CHECK(booked_i >= 0);
    CHECK(booked_i <= 0.02 * l.planned_cost[i] + 1e-9);
    if (booked_i > 0) {
      ++booked;
      CHECK(first.current.accepted[i]);
      CHECK(l.met[i]);
      CHECK(l.surplus[i] == Approx(l.control_total[i]).epsilon(1e-12).margin(1e-9));
    }
    if (years[1].ledger.active[i])
      CHECK(years[1].ledger.year_end_due[i] == Approx(repayment * booked_i).margin(1e-12));
  }
  CHECK(booked > 0);
  // Fewer miss their totals than without the measures.
  const auto missing = [](const char* cap) {
    return test::trust_share(
        test::params({std::string("behaviour.year_end_measures=") + cap, "run.years=1"},
                     "england-2016"),
        [](const World& w, std::size_t i) { return !w.ledger.met[i]; });
  };
  CHECK(missing("0.02") < missing("0") - 0.05);
}

// The year-end measures booked before the run (behaviour.initial_year_end): in the first year each
// holder of a control total that plans a deficit repays its share of them, as every later year
// repays the last; nobody else does, and the sector's outturn before support falls by about that.
TEST_CASE("measures booked before the run fall due in its first year - on deficit planners",
          "[accounts][year_end]") {
  const auto first_year = [](const char* initial) {
    World out;
    test::run(test::params({"behaviour.year_end_measures=0.02", "behaviour.year_end_repayment=0.5",
                            std::string("behaviour.initial_year_end=") + initial, "run.years=1"},
                           "england-2016"),
              [&](const World& w) { out = w; });
    return out;
  };
  const World none = first_year("0"), some = first_year("0.01");
  double due = 0, trusts_none = 0, trusts_some = 0;
  std::size_t owing = 0;
  for (std::size_t i = 0; i < some.size(); ++i) {
    const auto& l = some.ledger;
    INFO(some.orgs.code[i]);
    CHECK(none.ledger.year_end_due[i] == 0);
    const bool planner =
        holds_control_total(some.orgs.kind[i]) && l.active[i] && some.orgs.margin[i] < 0;
    const double expected = planner ? 0.5 * 0.01 * planned_cost(some, i) : 0.0;
    CHECK(l.year_end_due[i] == Approx(expected).margin(1e-12));
    owing += l.year_end_due[i] > 0;
    if (is_trust(some.orgs.kind[i]) && l.active[i]) {
      due += l.year_end_due[i];
      trusts_some += l.surplus[i] - l.year_end[i];
      trusts_none += none.ledger.surplus[i] - none.ledger.year_end[i];
    }
  }
  CHECK(owing > 50);
  // The dues are paid: the trusts' outturn before this year's measures is lower by at least
  // half their dues (more effort offsets some, not all).
  INFO("trusts' dues " << due << "; trusts before measures " << trusts_none << " -> "
                       << trusts_some);
  CHECK(trusts_some < trusts_none - 0.5 * due);
}

// The marginal rate emergency tariff (policy.marginal_rate; 70% until 2018/19: HFMA, 3 April 2017):
// under tariff commissioners pay that share of the price of demand above plan. What they do not
// pay, trusts lose, since the activity costs them the same; at the full rate nothing changes.
TEST_CASE("the marginal rate pays part of demand above plan - trusts bear the rest",
          "[accounts][marginal_rate]") {
  const auto year = [](const char* rate) {
    World out;
    test::run(test::params({std::string("policy.marginal_rate=") + rate, "policy.payment=tariff",
                            "shocks.demand_drift=0.03", "run.years=1"},
                           "england-2016"),
              [&](const World& w) { out = w; });
    return out;
  };
  const World full = year("1"), marginal = year("0.7");
  double above_plan_full = 0, above_plan_marginal = 0, cost_full = 0, cost_marginal = 0;
  for (std::size_t i = 0; i < full.size(); ++i) {
    if (full.orgs.kind[i] != Kind::commissioner || !full.ledger.active[i]) continue;
    REQUIRE(full.ledger.demand[i] == marginal.ledger.demand[i]);  // the same shocks
    for_each_contract(full, i, [&](std::uint32_t j, std::uint32_t e) {
      if (!is_trust(full.orgs.kind[j])) return;
      const auto c = std::uint32_t(i);
      above_plan_full +=
          contract_payment(full, j, c, e) - contract_rate(full, j) * full.graph.flows()[e];
      above_plan_marginal += contract_payment(marginal, j, c, e) -
                             contract_rate(marginal, j) * marginal.graph.flows()[e];
      cost_full += activity_cost(full, j, c, e);
      cost_marginal += activity_cost(marginal, j, c, e);
    });
  }
  REQUIRE(above_plan_full > 0);  // demand drifted above plan
  CHECK(above_plan_marginal == Approx(0.7 * above_plan_full).epsilon(1e-9));
  // The activity costs trusts the same at either rate: at 0.7 of the price, below the marginal
  // cost (0.85), each pound of it loses them money where at the full price it made some.
  CHECK(cost_marginal == Approx(cost_full).epsilon(1e-9));
  CHECK(above_plan_full > cost_full);
  CHECK(above_plan_marginal < cost_marginal);
}
