// Stage 1, plan: the year's regime (timeline), which organisations exist (mergers hand over
// balances), planned income and costs, contracts, control totals and the support funds.
#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>

#include "agents/accounts.hpp"
#include "agents/parallel.hpp"
#include "agents/step.hpp"

namespace icsim {
namespace {

// The organisation that takes over from i this year: its successor, or the successor's, until
// one that exists this year (CCGs merged in 2021 and taken over by an ICB in 2022).
std::int32_t active_successor(const World& w, std::size_t i, std::int64_t year) {
  std::int32_t s = w.orgs.successor[i];
  while (s >= 0 && !is_active(w.orgs, std::size_t(s), year)) s = w.orgs.successor[s];
  return s;
}

// Mergers: an organisation whose last year has passed hands its balance to its successor (a
// flow between two organisations: agents/accounts.hpp). In organisation order, so the sums are
// the same whatever the threads.
void hand_over(World& w, std::int64_t year) {
  auto& l = w.ledger;
  std::fill(l.transfer.begin(), l.transfer.end(), 0.0);
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (w.orgs.active_to[i] != year || l.balance[i] == 0) continue;
    const std::int32_t s = active_successor(w, i, year);
    if (s < 0) continue;  // no successor: the balance stays with the closed organisation
    l.transfer[i] -= l.balance[i];
    l.transfer[s] += l.balance[i];
    l.balance[s] += l.balance[i];
    l.balance[i] = 0;
  }
}

// Each NHS body's edges to the partners it weighs in its decisions (rules.cpp, partner_trust):
// NHS bodies of its own system that exist this year, in neighbour order.
void build_partner_edges(World& w) {
  const auto& o = w.orgs;
  const auto& active = w.ledger.active;
  Groups& partners = w.partner_edges;
  partners.offsets.assign(1, 0);
  partners.items.clear();
  std::vector<std::uint32_t> mine;
  for (std::uint32_t i = 0; i < w.size(); ++i) {
    mine.clear();
    if (holds_control_total(o.kind[i]) && active[i]) {
      const Incidence at = w.graph.incidence(i);
      for (std::size_t k = 0; k < at.neighbours.size(); ++k) {
        const auto j = at.neighbours[k];
        if (o.system[j] == o.system[i] && holds_control_total(o.kind[j]) && active[j])
          mine.push_back(at.edge(k));
      }
    }
    partners.add(mine);
  }
}

}  // namespace

void plan(World& w) {
  const std::int32_t year = w.calendar_year();
  if (w.year > 0) apply_timeline(w.params, year);  // the first year's: make_world
  const Params& p = w.params;
  const auto& o = w.orgs;
  auto& l = w.ledger;
  auto& nat = w.national;
  const std::size_t n = w.size();
  nat = National{};
  nat.calendar_year = year;
  nat.money_scale = std::pow(1.0 + p.growth, double(year - money_base_year));

  hand_over(w, year);
  // Last year's position of each commissioner against its total, as a share of its income, for
  // totals that take it into account (policy.commissioner_reset); read before the plan overwrites
  // the ledger.
  std::vector<double> last_gap;
  if (p.commissioner_reset && w.year > 0) {
    last_gap.assign(n, 0.0);
    for (std::size_t i = 0; i < n; ++i)
      if (o.kind[i] == Kind::commissioner && l.active[i] && l.planned_income[i] > 0)
        last_gap[i] = (l.surplus[i] - l.control_total[i]) / l.planned_income[i];
  }
  // Own planned costs, and the income of those paid by others: a trust's planned income is its
  // base cost with its planned margin, of which shares come from specialised commissioning and
  // from outside the NHS, and the rest from its commissioners' contracts; its planned cost adds
  // the underlying position it carries (settle.cpp), so its plan starts from it.
  std::atomic<bool> changed{false};
  detail::for_each_index(n, [&](std::size_t i) {
    const bool active = is_active(o, i, year);
    if (l.active[i] != active) changed.store(true, std::memory_order_relaxed);
    l.active[i] = active;
    const Kind k = o.kind[i];
    const double base = active ? planned_cost(w, i) : 0.0;
    // Last year's year-end measures fall due in the share behaviour.year_end_repayment (an
    // organisation that ended takes them with it). Before the first year, those booked the year
    // before the run by the holders of control totals that plan a deficit.
    if (w.year == 0 && holds_control_total(k) && o.margin[i] < 0)
      l.year_end[i] = p.initial_year_end * base;
    l.year_end_due[i] = active ? p.year_end_repayment * l.year_end[i] : 0.0;
    l.year_end[i] = 0;
    const double cost = is_trust(k) ? base * (1.0 + l.underlying[i]) : base;
    l.planned_cost[i] = cost;
    if (is_trust(k)) {
      l.planned_income[i] = base * (1.0 + o.margin[i]);
      l.contracts[i] = l.planned_income[i] * contracted_share(p, k);
    } else if (k == Kind::commissioner) {
      l.planned_income[i] = l.contracts[i] = 0;  // below, once providers' prices are known
    } else {
      l.planned_income[i] = cost;  // councils' budgets, networks' pass-through income
      l.contracts[i] = k == Kind::primary_care_network ? cost : 0.0;
    }
  });
  // Providers' price per unit of contract weight: their contract income over the weights of
  // their edges to commissioners that exist this year (none: the centre commissions them). The
  // weights change only when commissioners start or end (mergers), so they are summed then.
  if (changed || w.year == 0 || w.contract_weight.empty()) {
    w.contract_weight.assign(n, 0.0);
    w.contract_concentration.assign(n, 0.0);
    detail::for_each_index(n, [&](std::size_t i) {
      if (!is_commissioned(o.kind[i]) || !l.active[i]) return;
      double weight = 0, squares = 0;
      for_each_contract(w, i, [&](std::uint32_t, std::uint32_t e) {
        weight += w.graph.flows()[e];
        squares += w.graph.flows()[e] * w.graph.flows()[e];
      });
      w.contract_weight[i] = weight;
      w.contract_concentration[i] = weight > 0 ? squares / (weight * weight) : 0.0;
    });
    build_partner_edges(w);
  }
  // Commissioners: contracts at those prices plus their own care make their planned spending;
  // the allocation covers it with their planned margin (allocations per head differ by
  // commissioner: weighted capitation). A risk reserve is held back from spending.
  detail::for_each_index(n, [&](std::size_t i) {
    if (o.kind[i] != Kind::commissioner || !l.active[i]) return;
    double contracts = 0;
    for_each_contract(w, i, [&](std::uint32_t j, std::uint32_t e) {
      contracts += contract_rate(w, j) * w.graph.flows()[e];
    });
    l.contracts[i] = contracts;
    l.planned_income[i] = (contracts + l.planned_cost[i]) / (1.0 - o.margin[i]);
  });
  // Pressure funding: added to every commissioner's allocation in proportion to it.
  nat.pressure_rate = 0;
  if (p.commissioner_pressure_funding > 0) {
    double allocations = 0;
    for (std::size_t i = 0; i < n; ++i)  // in organisation order: the same sum on any threads
      if (o.kind[i] == Kind::commissioner && l.active[i]) allocations += l.planned_income[i];
    if (allocations > 0) nat.pressure_rate = p.commissioner_pressure_funding / allocations;
    detail::for_each_index(n, [&](std::size_t i) {
      if (o.kind[i] == Kind::commissioner && l.active[i])
        l.planned_income[i] *= 1.0 + nat.pressure_rate;
    });
  }
  // Control totals: the planned surplus before support, with the stretch the regulator asks of
  // everyone and a part of a planned deficit to close.
  detail::for_each_index(n, [&](std::size_t i) {
    if (!holds_control_total(o.kind[i]) || !l.active[i]) {
      l.control_total[i] = 0;
      return;
    }
    const double planned = planned_surplus(w, i);
    l.control_total[i] = planned + p.control_total_stretch * l.planned_cost[i] +
                         p.deficit_recovery * std::max(0.0, -planned);
    // 2018/19: "control totals will also take 2017/18 financial position into account with
    // overspending CCGs expected to improve in-year financial performance by at least 1% of their
    // overall allocations" (HFMA, "Funding boost in planning guidance", 2 February 2018).
    if (!last_gap.empty() && last_gap[i] < 0)
      l.control_total[i] +=
          std::min(0.0, last_gap[i] + p.commissioner_reset_improvement) * l.planned_income[i];
  });

  // What the bail-out would have to cover, for organisations weighing how far it would cover them.
  if (p.bailout > 0)
    for (std::size_t i = 0; i < n; ++i)
      if (holds_control_total(o.kind[i]) && l.active[i])
        nat.bailout_need +=
            std::max(0.0, -l.balance[i] - p.bailout_threshold * l.planned_income[i]);

  // Support: each fund's pot shared by its weights (agents/accounts.hpp, fund_weight).
  std::array<double, fund_count> weights{};
  for (std::size_t i = 0; i < n; ++i)  // in organisation order: the same sums on any threads
    for (int f = 0; f < fund_count; ++f) weights[f] += fund_weight(w, Fund(f), i);
  for (int f = 0; f < fund_count; ++f) {
    nat.weight[f] = weights[f];
    nat.pot[f] = fund_pot(p, Fund(f));
    if (weights[f] <= 0) nat.support_returned += nat.pot[f];
  }
  detail::for_each_index(
      n,
      [&](std::size_t i) {
        double a = 0;
        for (int f = 0; f < fund_count; ++f) a += fund_allocation(w, Fund(f), i);
        l.allocation[i] = a;
      },
      4096);

  // Systems: totals over members that hold control totals; ICS status and earned autonomy.
  auto& s = w.system_ledger;
  detail::for_each_index(
      w.systems.size(),
      [&](std::size_t sys) {
        double total = 0, cost = 0, allocated = 0;
        for (const auto i : w.systems.members[sys])
          if (holds_control_total(o.kind[i]) && l.active[i]) {
            total += l.control_total[i];
            cost += l.planned_cost[i];
            allocated += l.allocation[i];
          }
        s.control_total[sys] = total;
        s.cost[sys] = cost;
        s.allocated[sys] = allocated;
        s.ics[sys] = w.systems.ics_rank[sys] < p.ics_count;
        s.autonomous[sys] = s.ics[sys] && p.earned_autonomy_years > 0 &&
                            s.years_on_target[sys] >= p.earned_autonomy_years;
      },
      4);
}

}  // namespace icsim
