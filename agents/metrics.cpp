#include "agents/metrics.hpp"

#include <algorithm>
#include <array>
#include <numeric>
#include <stdexcept>

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

template <class F>
double holders_sum(const World& w, F f) {
  double total = 0;
  for (std::size_t i = 0; i < w.size(); ++i)
    total += holds_control_total(w.orgs.kind[i]) ? f(i) : 0.0;
  return total;
}

// The key outcomes, which reports lead with; every metric not listed is detail. A name that is
// not in the registry (renamed, removed) stops the program at once rather than drop a headline.
constexpr std::array<std::pair<std::string_view, Level>, 9> headlines{{
    {"systems_met", Level::national},
    {"stake_share", Level::national},
    {"aggregate_surplus", Level::national},
    {"mean_trust", Level::national},
    {"trusts_in_deficit", Level::national},
    {"stake_share", Level::system},
    {"surplus", Level::system},
    {"mean_trust", Level::system},
    {"mean_effort", Level::system},
}};

void mark_headlines(std::vector<Metric>& m) {
  for (const auto& [name, level] : headlines) {
    const auto it = std::find_if(
        m.begin(), m.end(), [&](const Metric& x) { return x.name == name && x.level == level; });
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
      {"stake_fraction", org, "fraction", "share of support staked on the system control total",
       decision(&Decisions::stake)},
      {"effort", org, "0-1", "cost-improvement effort", decision(&Decisions::effort)},
      {"accepted", org, "flag", "accepted its control total", decision(&Decisions::accepted)},
      {"control_total", org, "GBP m", "control total (planned surplus to meet, before support)",
       column(&Ledger::control_total)},
      {"support_allocated", org, "GBP m", "central support allocated", column(&Ledger::allocation)},
      {"support_paid", org, "GBP m", "central support paid", column(&Ledger::support_paid)},
      {"surplus", org, "GBP m", "surplus (+) or deficit (-) before support",
       column(&Ledger::surplus)},
      {"balance", org, "GBP m", "cumulative balance after support, bail-outs and write-offs",
       column(&Ledger::balance)},
      {"memberships", org, "collaboratives", "provider collaboratives the organisation is in",
       column(&Ledger::memberships)},
      {"met_control_total", org, "flag", "surplus before support met the control total",
       column(&Ledger::met)},
      {"improvement", org, "GBP m", "cost improvement delivered",
       [](const World& w) -> Column {
         Doubles v(w.size());
         for (std::size_t i = 0; i < w.size(); ++i) v[i] = improvement(w, i);
         return v;
       }},
      {"collaborative_savings", org, "GBP m", "savings from collaboratives",
       column(&Ledger::collab_savings)},
      {"overhead", org, "GBP m", "overhead of collaborative memberships",
       column(&Ledger::overhead)},
      {"cost_shock", org, "GBP m", "cost shock after formal collaboratives' sharing",
       column(&Ledger::cost_shock)},
      {"penalty", org, "GBP m", "support withheld under the duty to collaborate",
       column(&Ledger::penalty)},
      {"bailout", org, "GBP m", "national bail-out received", column(&Ledger::bailout)},
      {"writeoff", org, "GBP m", "part of the cumulative deficit written off in the year",
       column(&Ledger::writeoff)},
      {"utility", org, "fraction of cost", "realised payoff the decision rules learn from",
       column(&Ledger::utility)},
      {"belief", org, "probability", "believed chance that the system meets its total",
       columnar(&World::rules, &RuleState::belief)},
      // systems [year, system]
      {"support_allocated", sys, "GBP m", "support allocated to members",
       system_column(&SystemLedger::allocated)},
      {"support_paid", sys, "GBP m", "support paid to members", system_column(&SystemLedger::paid)},
      {"support_returned", sys, "GBP m", "support returned to the centre",
       system_column(&SystemLedger::returned)},
      {"stake_share", sys, "fraction", "share of allocated support staked on the system total",
       system_column(&SystemLedger::stake_share)},
      {"met_control_total", sys, "flag", "members' surpluses met the system control total",
       system_column(&SystemLedger::met)},
      {"accepted_total", sys, "flag",
       "every member accepted its control total, so the system "
       "accepted a system total",
       system_column(&SystemLedger::accepted)},
      {"surplus", sys, "GBP m", "sum of members' surpluses before support",
       system_column(&SystemLedger::surplus)},
      {"control_total", sys, "GBP m", "system control total (sum over members)",
       system_column(&SystemLedger::control_total)},
      {"mean_trust", sys, "0-1", "mean trust on edges inside the system",
       system_column(&SystemLedger::mean_trust)},
      {"mean_effort", sys, "0-1", "mean effort of members holding control totals",
       system_column(&SystemLedger::mean_effort)},
      {"collaboratives", sys, "collaboratives",
       "collaboratives of the system with two or more "
       "members",
       system_column(&SystemLedger::collaboratives)},
      {"integration_index", sys, "fraction",
       "share of flow between organisations sharing a "
       "collaborative, weighted by trust",
       system_column(&SystemLedger::integration_index)},
      {"in_name_only", sys, "flag", "members pool little and trust little",
       system_column(&SystemLedger::in_name_only)},
      {"years_on_target", sys, "years", "years in a row the system met its total",
       system_column(&SystemLedger::years_on_target)},
      {"earned_autonomy", sys, "flag", "the system had earned autonomy this year",
       system_column(&SystemLedger::autonomous)},
      // national [year]
      {"support_pot", nat, "GBP m", "central support pot",
       national([](const World& w) { return w.national.support_pot; })},
      {"support_paid", nat, "GBP m", "support paid",
       national([](const World& w) { return w.national.support_paid; })},
      {"support_returned", nat, "GBP m", "support returned to the centre",
       national([](const World& w) { return w.national.support_returned; })},
      {"bailout_paid", nat, "GBP m", "national bail-out paid",
       national([](const World& w) { return w.national.bailout_paid; })},
      {"writeoff", nat, "GBP m", "parts of cumulative deficits written off in the year",
       national([](const World& w) { return w.national.writeoff; })},
      {"systems_met", nat, "systems", "systems that met their control total",
       national([](const World& w) {
         const auto& met = w.system_ledger.met;
         return double(std::accumulate(met.begin(), met.end(), 0));
       })},
      {"stake_share", nat, "fraction", "share of allocated support staked on system totals",
       national([](const World& w) {
         const auto& s = w.system_ledger;
         const double allocated = std::accumulate(s.allocated.begin(), s.allocated.end(), 0.0);
         return allocated > 0 ? std::accumulate(s.staked.begin(), s.staked.end(), 0.0) / allocated
                              : 0.0;
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
      {"aggregate_surplus", nat, "GBP m",
       "surplus (+) or deficit (-) after support, summed over "
       "organisations holding control totals",
       national([](const World& w) {
         return holders_sum(
             w, [&](std::size_t i) { return w.ledger.surplus[i] + w.ledger.support_paid[i]; });
       })},
      // The counts below take no branch per organisation: they run every year of every run of a
      // sweep recording summaries, and the kinds follow no pattern a predictor learns.
      {"trusts_in_deficit", nat, "fraction", "share of trusts in deficit before support",
       national([](const World& w) {
         std::size_t trusts = 0, deficit = 0;
         for (std::size_t i = 0; i < w.size(); ++i) {
           const bool trust = is_trust(w.orgs.kind[i]);
           trusts += trust;
           deficit += trust & (w.ledger.surplus[i] < 0);
         }
         return trusts > 0 ? double(deficit) / double(trusts) : 0.0;
       })},
      {"accepted_share", nat, "fraction",
       "share of organisations holding control totals that "
       "accepted them",
       national([](const World& w) {
         std::size_t holders = 0, accepted = 0;
         for (std::size_t i = 0; i < w.size(); ++i) {
           const bool holds = holds_control_total(w.orgs.kind[i]);
           holders += holds;
           accepted += holds & (w.current.accepted[i] != 0);
         }
         return holders > 0 ? double(accepted) / double(holders) : 0.0;
       })},
  };
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
