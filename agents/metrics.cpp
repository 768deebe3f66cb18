#include "agents/metrics.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <numeric>
#include <stdexcept>
#include <string>

#include "agents/accounts.hpp"
#include "agents/rules.hpp"

namespace icsim {
namespace {

using Doubles = std::vector<double>;
using Flags = std::vector<std::uint8_t>;
using Counts = std::vector<std::int32_t>;

template <class Part, class V>
Columnar columnar(Part World::*part, V Part::*field) {
  return {[=](const World& w) -> Column { return w.*part.*field; },
          [=](const World& w) -> ColumnView {
            return std::span<const typename V::value_type>(w.*part.*field);
          }};
}
template <class V>
Columnar column(V Ledger::*field) {
  return columnar(&World::ledger, field);
}
template <class V>
Columnar system_column(V SystemLedger::*field) {
  return columnar(&World::system_ledger, field);
}
template <class V>
Columnar decision(V Decisions::*field) {
  return columnar(&World::current, field);
}
std::function<Column(const World&)> national(double (*f)(const World&)) {
  return [f](const World& w) -> Column { return Doubles{f(w)}; };
}

// Four running sums: a single one waits on each addition in turn (10,000 edges a year in
// England). The order is fixed, so the result does not depend on the machine or the threads.
double sum(const std::vector<double>& v) {
  double lanes[4] = {0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 4 <= v.size(); i += 4)
    for (std::size_t k = 0; k < 4; ++k) lanes[k] += v[i + k];
  for (; i < v.size(); ++i) lanes[0] += v[i];
  return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

// Sums and counts over the organisations of one group, taking no branch per organisation: they
// run every year of every run of a sweep recording summaries, and kinds follow no pattern a
// predictor learns.
template <class In, class F>
double sum_over(const World& w, In in, F f) {
  double total = 0;
  for (std::size_t i = 0; i < w.size(); ++i) total += in(i) ? f(i) : 0.0;
  return total;
}
template <class In, class F>
double share_of(const World& w, In in, F f) {
  std::size_t members = 0, count = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const bool member = in(i);
    members += member;
    count += member & f(i);
  }
  return members > 0 ? double(count) / double(members) : 0.0;
}
template <class In, class F>
double count_of(const World& w, In in, F f) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < w.size(); ++i) count += (in(i) && f(i)) ? 1 : 0;
  return double(count);
}

auto active_trusts(const World& w) {
  return [&w](std::size_t i) { return is_trust(w.orgs.kind[i]) && w.ledger.active[i] != 0; };
}
auto active_kind(const World& w, Kind k) {
  return [&w, k](std::size_t i) { return w.orgs.kind[i] == k && w.ledger.active[i] != 0; };
}
auto active_holders(const World& w) {
  return [&w](std::size_t i) {
    return holds_control_total(w.orgs.kind[i]) && w.ledger.active[i] != 0;
  };
}
double after_support(const World& w, std::size_t i) {
  const auto& l = w.ledger;
  return l.surplus[i] + l.support_paid[i] + l.bonus[i] - l.penalty[i];
}
// A trust's plan after support, as NHS Improvement summed the sector's: the support allocated to
// it, with its control total if it accepted the total, or its own planned surplus if it refused
// (its support is then not paid: agents/settle.cpp).
double planned_after(const World& w, std::size_t i) {
  const auto& l = w.ledger;
  return (w.current.accepted[i] ? l.control_total[i] : planned_surplus(w, i)) + l.allocation[i];
}
bool in_deficit_after(const World& w, std::size_t i) {
  return after_support(w, i) < 0;
}
bool overspent(const World& w, std::size_t i) {
  return w.ledger.surplus[i] < w.ledger.control_total[i];
}

// A national share and count over a group: two metrics with one definition. `in(w)` gives the
// group's membership test, `test(w, i)` the property counted; both inline into the loops.
template <class In, class Test>
void share_and_count(std::vector<Metric>& m, const std::string& name, const std::string& group,
                     const std::string& description, In in, Test test) {
  m.emplace_back(name, Level::national, "fraction", "share of " + group + " " + description,
                 [in, test](const World& w) -> Column {
                   return Doubles{share_of(w, in(w), [&](std::size_t i) { return test(w, i); })};
                 });
  m.emplace_back(name + "_count", Level::national, group, group + " " + description,
                 [in, test](const World& w) -> Column {
                   return Doubles{count_of(w, in(w), [&](std::size_t i) { return test(w, i); })};
                 });
}

// The key outcomes, which reports lead with; every metric not listed is detail. A name that is
// not in the registry (renamed, removed) stops the program at once rather than drop a headline.
constexpr std::array<std::pair<std::string_view, Level>, 12> headlines{{
    {"systems_met", Level::national},
    {"stake_above_floor", Level::national},
    {"provider_surplus", Level::national},
    {"trusts_in_deficit", Level::national},
    {"trusts_accepting", Level::national},
    {"commissioners_overspending", Level::national},
    {"mean_effort", Level::national},
    {"mean_trust", Level::national},
    {"stake_share", Level::system},
    {"surplus", Level::system},
    {"mean_trust", Level::system},
    {"mean_effort", Level::system},
}};

void mark_headlines(std::vector<Metric>& m) {
  for (const auto& headline : headlines) {
    const auto name = headline.first;
    const auto it = std::find_if(m.begin(), m.end(), [&](const Metric& x) {
      return x.name == name && x.level == headline.second;
    });
    if (it == m.end())
      throw std::logic_error("metrics.cpp: headline metric '" + std::string(name) +
                             "' is not in the registry");
    it->role = Role::headline;
  }
}

std::vector<Metric> build() {
  const auto org = Level::organisation, sys = Level::system, nat = Level::national;
  std::vector<Metric> m{
      // organisations [year, organisation]
      {"active", org, "flag", "the organisation exists this year (CCG mergers, ICBs from 2022)",
       column(&Ledger::active)},
      {"stake_fraction", org, "fraction",
       "share of support staked on the system control total (councils: share of the social care "
       "budget pooled with the NHS)",
       decision(&Decisions::stake)},
      {"effort", org, "0-1", "cost-improvement effort", decision(&Decisions::effort)},
      {"accepted", org, "flag", "accepted its control total", decision(&Decisions::accepted)},
      {"planned_income", org, "GBP m",
       "planned income (commissioners: allocation; trusts: contracts, specialised and other "
       "income)",
       column(&Ledger::planned_income)},
      {"planned_cost", org, "GBP m", "planned own cost, contracts aside",
       column(&Ledger::planned_cost)},
      {"underlying", org, "fraction of base cost",
       "trusts: the underlying position carried into next year's planned cost, from the "
       "efficiency gaps of this year and those before (finance.underlying_carry)",
       column(&Ledger::underlying)},
      {"raise", org, "GBP m",
       "trusts: the improvement of the control total agreed in year for the PSF bonus "
       "(policy.incentive_basis = agreed; included in control_total)",
       column(&Ledger::raise)},
      {"contracts", org, "GBP m",
       "planned contract value (commissioners: paid; trusts and networks: received)",
       column(&Ledger::contracts)},
      {"control_total", org, "GBP m", "control total (planned surplus to meet, before support)",
       column(&Ledger::control_total)},
      {"income", org, "GBP m", "operating income this year", column(&Ledger::income)},
      {"surplus", org, "GBP m", "surplus (+) or deficit (-) before support",
       column(&Ledger::surplus)},
      {"support_allocated", org, "GBP m", "central support allocated (all funds)",
       column(&Ledger::allocation)},
      {"support_paid", org, "GBP m", "central support paid", column(&Ledger::support_paid)},
      {"bonus", org, "GBP m", "bonus from unearned support for beating the control total",
       column(&Ledger::bonus)},
      {"penalty", org, "GBP m", "charged under the duty to collaborate", column(&Ledger::penalty)},
      {"bailout", org, "GBP m", "national bail-out received", column(&Ledger::bailout)},
      {"writeoff", org, "GBP m", "part of the cumulative deficit written off in the year",
       column(&Ledger::writeoff)},
      {"transfer", org, "GBP m", "balance received (+) or handed over (-) in a merger",
       column(&Ledger::transfer)},
      {"balance", org, "GBP m", "cumulative balance after support, bail-outs and write-offs",
       column(&Ledger::balance)},
      {"met_control_total", org, "flag", "surplus before support met the control total",
       column(&Ledger::met)},
      {"improvement", org, "GBP m", "cost improvement delivered",
       [](const World& w) -> Column {
         Doubles v(w.size());
         for (std::size_t i = 0; i < w.size(); ++i) v[i] = improvement(w, i);
         return v;
       }},
      {"collaborative_savings", org, "GBP m",
       "savings from collaboratives, system working and pooled budgets",
       column(&Ledger::collab_savings)},
      {"overhead", org, "GBP m", "overhead of collaborative memberships",
       column(&Ledger::overhead)},
      {"cost_shock", org, "GBP m", "cost shock after formal collaboratives' sharing",
       column(&Ledger::cost_shock)},
      {"demand_shock", org, "fraction", "demand shock of a commissioner's population",
       column(&Ledger::demand)},
      {"pooled", org, "GBP m",
       "pooled budget: a council's contribution, a commissioner's matching share",
       column(&Ledger::pooled)},
      {"memberships", org, "collaboratives", "provider collaboratives the organisation is in",
       column(&Ledger::memberships)},
      {"utility", org, "fraction of cost", "realised payoff the decision rules learn from",
       column(&Ledger::utility)},
      {"belief", org, "probability", "believed chance that the system meets its total",
       columnar(&World::rules, &RuleState::belief)},
      // systems [year, system]
      {"ics", sys, "flag", "the system is an integrated care system this year",
       system_column(&SystemLedger::ics)},
      {"support_allocated", sys, "GBP m", "support allocated to members",
       system_column(&SystemLedger::allocated)},
      {"support_paid", sys, "GBP m", "support paid to members", system_column(&SystemLedger::paid)},
      {"support_returned", sys, "GBP m", "support returned to the centre",
       system_column(&SystemLedger::returned)},
      {"stake_share", sys, "fraction", "share of allocated support staked on the system total",
       system_column(&SystemLedger::stake_share)},
      {"stake_above_floor", sys, "fraction",
       "share of allocated support staked above the policy floor (voluntary pooling)",
       system_column(&SystemLedger::stake_above_floor)},
      {"met_control_total", sys, "flag", "members' surpluses before support met the system total",
       system_column(&SystemLedger::met)},
      {"accepted_total", sys, "flag",
       "an ICS whose NHS bodies, by cost, accepted their control totals, so it accepted a system "
       "control total",
       system_column(&SystemLedger::accepted)},
      {"surplus", sys, "GBP m",
       "sum of NHS members' surpluses before support (contracts between them cancel)",
       system_column(&SystemLedger::surplus)},
      {"control_total", sys, "GBP m", "system control total (sum over NHS members)",
       system_column(&SystemLedger::control_total)},
      {"mean_trust", sys, "0-1", "mean trust on edges inside the system",
       system_column(&SystemLedger::mean_trust)},
      {"mean_effort", sys, "0-1", "mean effort of members holding control totals",
       system_column(&SystemLedger::mean_effort)},
      {"collaboratives", sys, "collaboratives",
       "collaboratives of the system with two or more members",
       system_column(&SystemLedger::collaboratives)},
      {"integration_index", sys, "fraction",
       "share of the flow inside the system between organisations that both take part in its "
       "joint work (pooling, collaboratives, pooled budgets), weighted by trust",
       system_column(&SystemLedger::integration_index)},
      {"pooled_share", sys, "fraction", "share of its councils' social care budgets pooled",
       system_column(&SystemLedger::pooled)},
      {"in_name_only", sys, "flag", "members pool little above the floor and trust little",
       system_column(&SystemLedger::in_name_only)},
      {"years_on_target", sys, "years", "years in a row the system met its total",
       system_column(&SystemLedger::years_on_target)},
      {"earned_autonomy", sys, "flag", "the system had earned autonomy this year",
       system_column(&SystemLedger::autonomous)},
      // national [year]: the regime
      {"tied_share", nat, "fraction", "policy floor of support tied to the system total",
       national([](const World& w) { return w.params.system_tied_share; })},
      {"ics_count", nat, "systems", "integrated care systems", national([](const World& w) {
         const auto& ics = w.system_ledger.ics;
         return double(std::accumulate(ics.begin(), ics.end(), 0));
       })},
      {"active_organisations", nat, "organisations", "organisations that exist this year",
       national([](const World& w) {
         const auto& a = w.ledger.active;
         return double(std::accumulate(a.begin(), a.end(), 0));
       })},
      {"support_pot", nat, "GBP m", "central support, all funds", national([](const World& w) {
         const auto& pot = w.national.pot;
         return std::accumulate(pot.begin(), pot.end(), 0.0);
       })},
      {"support_paid", nat, "GBP m", "support paid, all funds (bonus aside)",
       national([](const World& w) {
         const auto& paid = w.national.paid;
         return std::accumulate(paid.begin(), paid.end(), 0.0);
       })},
      {"support_returned", nat, "GBP m", "support returned to the centre",
       national([](const World& w) { return w.national.support_returned; })},
      {"bonus_paid", nat, "GBP m", "bonus from unearned support for beating control totals",
       national([](const World& w) { return w.national.bonus_paid; })},
      {"penalties", nat, "GBP m", "charged under the duty to collaborate",
       national([](const World& w) { return w.national.penalties; })},
      {"bailout_paid", nat, "GBP m", "national bail-out paid",
       national([](const World& w) { return w.national.bailout_paid; })},
      {"writeoff", nat, "GBP m", "parts of cumulative deficits written off in the year",
       national([](const World& w) { return w.national.writeoff; })},
      // outcomes
      {"systems_met", nat, "systems", "systems that met their control total before support",
       national([](const World& w) {
         const auto& met = w.system_ledger.met;
         return double(std::accumulate(met.begin(), met.end(), 0));
       })},
      {"ics_accepting", nat, "systems", "ICSs that accepted a system control total",
       national([](const World& w) {
         const auto& a = w.system_ledger.accepted;
         return double(std::accumulate(a.begin(), a.end(), 0));
       })},
      {"systems_staking_90", nat, "systems", "systems staking at least 90% of their support",
       national([](const World& w) {
         const auto& s = w.system_ledger;
         double count = 0;
         for (std::size_t k = 0; k < s.staked.size(); ++k)
           count += s.allocated[k] > 0 && s.staked[k] >= 0.9 * s.allocated[k];
         return count;
       })},
      {"stake_share", nat, "fraction", "share of allocated support staked on system totals",
       national([](const World& w) {
         const auto& s = w.system_ledger;
         const double allocated = std::accumulate(s.allocated.begin(), s.allocated.end(), 0.0);
         return allocated > 0 ? std::accumulate(s.staked.begin(), s.staked.end(), 0.0) / allocated
                              : 0.0;
       })},
      {"stake_above_floor", nat, "fraction",
       "mean stake above the policy floor of NHS bodies with support that accepted their totals",
       national([](const World& w) {
         double sum = 0, count = 0;
         for (std::size_t i = 0; i < w.size(); ++i) {
           const bool in = w.ledger.allocation[i] > 0 && w.current.accepted[i];
           sum += in ? w.current.stake[i] - stake_floor(w, i) : 0.0;
           count += in;
         }
         return count > 0 ? sum / count : 0.0;
       })},
      {"mean_effort", nat, "0-1", "mean effort of NHS bodies", national([](const World& w) {
         const auto in = active_holders(w);
         double sum = 0, count = 0;
         for (std::size_t i = 0; i < w.size(); ++i) {
           sum += in(i) ? w.current.effort[i] : 0.0;
           count += in(i);
         }
         return count > 0 ? sum / count : 0.0;
       })},
      {"mean_trust", nat, "0-1", "mean trust over every edge", national([](const World& w) {
         return w.trust.empty() ? 0.0 : sum(w.trust) / double(w.trust.size());
       })},
      {"collaboratives", nat, "collaboratives", "collaboratives with two or more members",
       national([](const World& w) {
         double count = 0;
         const auto& cand = w.collaboratives.candidates;
         for (std::size_t c = 0; c < w.collaboratives.size(); ++c) {
           int members = 0;
           for (auto k = cand.offsets[c]; k < cand.offsets[c + 1]; ++k)
             members += w.current.member[k];
           count += members >= 2;
         }
         return count;
       })},
      {"collaborative_members", nat, "fraction",
       "share of trusts that may join a collaborative that are in at least one",
       national([](const World& w) {
         double in = 0, candidates = 0;
         for (std::size_t i = 0; i < w.size(); ++i) {
           const bool may = !w.candidate_slots[i].empty() && w.ledger.active[i];
           candidates += may;
           in += may && w.ledger.memberships[i] > 0;
         }
         return candidates > 0 ? in / candidates : 0.0;
       })},
      {"integration_index", nat, "fraction", "mean integration index over systems",
       national([](const World& w) {
         const auto& x = w.system_ledger.integration_index;
         return x.empty() ? 0.0 : std::accumulate(x.begin(), x.end(), 0.0) / double(x.size());
       })},
      {"in_name_only", nat, "systems", "systems in name only", national([](const World& w) {
         const auto& x = w.system_ledger.in_name_only;
         return double(std::accumulate(x.begin(), x.end(), 0));
       })},
      {"councils_pooling", nat, "fraction", "share of councils pooling part of their budget",
       national([](const World& w) {
         return share_of(w, active_kind(w, Kind::local_authority),
                         [&](std::size_t i) { return w.ledger.pooled[i] > 0; });
       })},
      {"aggregate_surplus", nat, "GBP m",
       "surplus (+) or deficit (-) after support, summed over NHS bodies",
       national([](const World& w) {
         return sum_over(w, active_holders(w), [&](std::size_t i) { return after_support(w, i); });
       })},
      {"provider_surplus", nat, "GBP m",
       "the provider sector's surplus (+) or deficit (-) after support (outturn)",
       national([](const World& w) {
         return sum_over(w, active_trusts(w), [&](std::size_t i) { return after_support(w, i); });
       })},
      {"provider_surplus_before_support", nat, "GBP m",
       "the provider sector's surplus (+) or deficit (-) before support",
       national([](const World& w) {
         return sum_over(w, active_trusts(w), [&](std::size_t i) { return w.ledger.surplus[i]; });
       })},
      {"provider_surplus_underlying", nat, "GBP m",
       "the provider sector's underlying surplus (+) or deficit (-): before support, without the "
       "year's non-recurrent year-end measures and without last year's falling due (NHS "
       "Improvement's underlying deficit, P10 of data/england/targets.csv)",
       national([](const World& w) {
         const auto& l = w.ledger;
         return sum_over(w, active_trusts(w), [&](std::size_t i) {
           return l.surplus[i] - l.year_end[i] + l.year_end_due[i];
         });
       })},
      {"provider_year_end_measures", nat, "GBP m",
       "non-recurrent year-end measures booked by trusts to meet their control totals "
       "(behaviour.year_end_measures)",
       national([](const World& w) {
         return sum_over(w, active_trusts(w), [&](std::size_t i) { return w.ledger.year_end[i]; });
       })},
      {"provider_improvement", nat, "fraction of cost",
       "the provider sector's cost improvement delivered, as a share of its planned cost",
       national([](const World& w) {
         const auto trusts = active_trusts(w);
         const double cost =
             sum_over(w, trusts, [&](std::size_t i) { return w.ledger.planned_cost[i]; });
         const double improved =
             sum_over(w, trusts, [&](std::size_t i) { return improvement(w, i); });
         return cost > 0 ? improved / cost : 0.0;
       })},
      {"provider_surplus_planned", nat, "GBP m",
       "the provider sector's planned surplus after support: the support allocated to every trust, "
       "plus the control totals of those that accepted them and the own planned surpluses of "
       "those that refused",
       national([](const World& w) {
         return sum_over(w, active_trusts(w), [&](std::size_t i) { return planned_after(w, i); });
       })},
      {"provider_control_totals", nat, "GBP m",
       "the provider sector's control totals plus the support allocated: its plan after support "
       "if every trust accepted its total",
       national([](const World& w) {
         return sum_over(w, active_trusts(w), [&](std::size_t i) {
           return w.ledger.control_total[i] + w.ledger.allocation[i];
         });
       })},
      {"control_total_raises", nat, "GBP m",
       "improvements of control totals agreed in year for the PSF bonus, summed over trusts "
       "(policy.incentive_basis = agreed)",
       national([](const World& w) {
         return sum_over(w, active_trusts(w), [&](std::size_t i) { return w.ledger.raise[i]; });
       })},
      {"commissioner_surplus", nat, "GBP m",
       "commissioners' surplus (+) or deficit (-) after support", national([](const World& w) {
         return sum_over(w, active_kind(w, Kind::commissioner),
                         [&](std::size_t i) { return after_support(w, i); });
       })},
  };
  share_and_count(m, "trusts_in_deficit", "trusts", "in deficit after support", active_trusts,
                  in_deficit_after);
  share_and_count(m, "trusts_in_deficit_before_support", "trusts", "in deficit before support",
                  active_trusts,
                  [](const World& w, std::size_t i) { return w.ledger.surplus[i] < 0; });
  share_and_count(m, "trusts_accepting", "trusts", "that accepted their control totals",
                  active_trusts,
                  [](const World& w, std::size_t i) { return w.current.accepted[i] != 0; });
  share_and_count(m, "trusts_raising", "trusts",
                  "that agreed in year to improve their control totals for the PSF bonus",
                  active_trusts,
                  [](const World& w, std::size_t i) { return w.ledger.raise[i] > 0; });
  share_and_count(m, "trusts_missing", "trusts", "that missed their control totals before support",
                  active_trusts, overspent);
  share_and_count(m, "trusts_paid_support", "trusts", "paid any support", active_trusts,
                  [](const World& w, std::size_t i) { return w.ledger.support_paid[i] > 0; });
  share_and_count(
      m, "commissioners_overspending", "commissioners", "that spent more than their plan",
      [](const World& w) { return active_kind(w, Kind::commissioner); }, overspent);
  for (int k = 0; k <= static_cast<int>(Kind::ambulance); ++k) {
    const auto kind = static_cast<Kind>(k);
    const std::string name(kind_names[k]);
    m.emplace_back(
        "in_deficit_" + name, Level::national, "fraction",
        "share of " + name + " trusts in deficit after support", [kind](const World& w) -> Column {
          return Doubles{share_of(w, active_kind(w, kind),
                                  [&](std::size_t i) { return in_deficit_after(w, i); })};
        });
  }
  for (int f = 0; f < fund_count; ++f) {
    const std::string fund(fund_names[f]);
    m.emplace_back("support_pot_" + fund, Level::national, "GBP m", "support pot: " + fund,
                   [f](const World& w) -> Column { return Doubles{w.national.pot[f]}; });
    m.emplace_back("support_paid_" + fund, Level::national, "GBP m", "support paid: " + fund,
                   [f](const World& w) -> Column { return Doubles{w.national.paid[f]}; });
  }
  mark_headlines(m);
  return m;
}

}  // namespace

std::string_view name_of(Role role) {
  return role == Role::headline ? "headline" : "detail";
}

const std::vector<Metric>& metrics() {
  static const std::vector<Metric> table = build();
  return table;
}

const Metric* find_metric(std::string_view name, Level level) {
  for (const auto& m : metrics())
    if (m.name == name && m.level == level) return &m;
  return nullptr;
}

}  // namespace icsim
