#include "agents/metrics.hpp"

#include <catch2/catch.hpp>
#include <set>

#include "tests/support.hpp"

using namespace icsim;

TEST_CASE("metrics: names are unique per level and each has a unit and a description",
          "[metrics]") {
  std::set<std::pair<std::string, Level>> seen;
  for (const auto& m : metrics()) {
    INFO(m.name);
    CHECK(seen.insert({m.name, m.level}).second);
    CHECK_FALSE(m.unit.empty());
    CHECK_FALSE(m.description.empty());
    CHECK(find_metric(m.name, m.level) == &m);
  }
}

TEST_CASE("metrics: headline metrics are few - and every level of the report has some",
          "[metrics]") {
  std::size_t headlines = 0, national = 0, system = 0;
  for (const auto& m : metrics()) {
    if (m.role != Role::headline) {
      CHECK(name_of(m.role) == "detail");
      continue;
    }
    CHECK(name_of(m.role) == "headline");
    ++headlines;
    national += m.level == Level::national;
    system += m.level == Level::system;
  }
  CHECK(national >= 1);
  CHECK(system >= 1);
  CHECK(headlines < metrics().size() / 2);
}

TEST_CASE("metrics: a metric's view holds the values its compute copies", "[metrics]") {
  std::size_t viewed = 0;
  test::run(test::params({"run.years=2", "behaviour.rule=learning"}), [&](const World& w) {
    for (const auto& m : metrics()) {
      INFO(m.name);
      const Column copy = m.compute(w);
      const std::size_t width = m.level == Level::organisation ? w.size()
                                : m.level == Level::system     ? w.systems.size()
                                                               : 1;
      CHECK(std::visit([](const auto& v) { return v.size(); }, copy) == width);
      if (!m.view) continue;
      ++viewed;
      const ColumnView view = m.view(w);
      std::visit(
          [&](const auto& values) {
            using T = typename std::decay_t<decltype(values)>::value_type;
            const auto* in_place = std::get_if<std::span<const T>>(&view);
            REQUIRE(in_place);
            CHECK(std::vector<T>(in_place->begin(), in_place->end()) == values);
          },
          copy);
    }
  });
  CHECK(viewed > metrics().size() / 2);  // the ledger's columns, the decisions, the beliefs
}

TEST_CASE("metrics: the sector's plan counts a trust that refused its total on its own plan",
          "[metrics]") {
  // 2016/17: STF on offer, and some trusts refuse (docs/calibration.md, P03: "after STF", every
  // trust's allocation included, the 23 that had not agreed totals on their own plans).
  const Metric* planned = find_metric("provider_surplus_planned", Level::national);
  const Metric* totals = find_metric("provider_control_totals", Level::national);
  REQUIRE(planned);
  REQUIRE(totals);
  std::size_t years_with_refusals = 0;
  test::run(test::params({"run.years=2"}, "england-2016"), [&](const World& w) {
    const auto& l = w.ledger;
    double accepted_plans = 0, refused_plans = 0, refused_totals = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (!is_trust(w.orgs.kind[i]) || !l.active[i]) continue;
      if (w.current.accepted[i]) {
        accepted_plans += l.control_total[i] + l.allocation[i];
      } else {  // its own plan: income less cost as planned, and the support allocated to it
        refused_plans += l.planned_income[i] - l.planned_cost[i] + l.allocation[i];
        refused_totals += l.control_total[i] + l.allocation[i];
      }
    }
    const double plan = std::get<std::vector<double>>(planned->compute(w)).at(0);
    CHECK(plan == Approx(accepted_plans + refused_plans).epsilon(1e-12));
    // Had every trust accepted: every control total and all the support.
    CHECK(std::get<std::vector<double>>(totals->compute(w)).at(0) ==
          Approx(accepted_plans + refused_totals).epsilon(1e-12));
    if (refused_totals != refused_plans) {
      ++years_with_refusals;
      // The refusers' own plans are below the totals they refused (the stretch, and part of a
      // planned deficit to close), so the sector plans below the sum of all control totals.
      CHECK(refused_plans < refused_totals);
      CHECK(plan < accepted_plans + refused_totals);
    }
  });
  CHECK(years_with_refusals > 0);
}

TEST_CASE("metrics: the underlying deficit leaves out year-end measures booked and falling due",
          "[metrics][year_end]") {
  // NHS Improvement's underlying deficit (P10) is the position before support without
  // non-recurrent items: this year's measures are taken out, last year's falling due put back.
  const Metric* underlying = find_metric("provider_surplus_underlying", Level::national);
  const Metric* before = find_metric("provider_surplus_before_support", Level::national);
  const Metric* measures = find_metric("provider_year_end_measures", Level::national);
  REQUIRE(underlying);
  REQUIRE(before);
  REQUIRE(measures);
  const auto value = [](const Metric* m, const World& w) {
    return std::get<std::vector<double>>(m->compute(w)).at(0);
  };
  std::vector<double> booked, gap;
  test::run(test::params({"behaviour.year_end_measures=0.03", "run.years=2"}, "england-2016"),
            [&](const World& w) {
              booked.push_back(value(measures, w));
              gap.push_back(value(before, w) - value(underlying, w));
            });
  REQUIRE(booked.size() == 2);
  CHECK(booked[0] > 0);
  // The first year has nothing falling due: the gap is what was booked. The second repays the
  // first year's measures (behaviour.year_end_repayment = 1), less what trusts that ended took.
  CHECK(gap[0] == Approx(booked[0]).epsilon(1e-12));
  CHECK(gap[1] < booked[1]);
  CHECK(gap[1] == Approx(booked[1] - booked[0]).epsilon(0.05));
  // Without measures the underlying position is the position before support.
  test::run(test::params({"behaviour.year_end_measures=0", "run.years=1"}, "england-2016"),
            [&](const World& w) {
              CHECK(value(measures, w) == 0);
              CHECK(value(underlying, w) == value(before, w));
            });
}

TEST_CASE("metrics: the sector's cost improvement is its trusts' improvement over their cost",
          "[metrics]") {
  // NHS Improvement reports CIPs delivered as a share of the sector's cost (2018/19: 3.6%).
  const Metric* share = find_metric("provider_improvement", Level::national);
  REQUIRE(share);
  const auto at = [&](const char* effort_cost) {
    double out = 0;
    test::run(test::params({std::string("behaviour.effort_cost=") + effort_cost, "run.years=1"},
                           "england-2016"),
              [&](const World& w) {
                double improved = 0, cost = 0;
                for (std::size_t i = 0; i < w.size(); ++i) {
                  if (!is_trust(w.orgs.kind[i]) || !w.ledger.active[i]) continue;
                  improved += w.params.cip_max * w.current.effort[i] * w.ledger.planned_cost[i];
                  cost += w.ledger.planned_cost[i];
                }
                out = std::get<std::vector<double>>(share->compute(w)).at(0);
                CHECK(out == Approx(improved / cost).epsilon(1e-12));
                CHECK(out <= w.params.cip_max * (1 + 1e-12));
              });
    return out;
  };
  // Dearer effort, less of it.
  CHECK(at("0.3") < at("0.02") - 0.005);
}
