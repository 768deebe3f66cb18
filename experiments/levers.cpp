#include "experiments/levers.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "agents/metrics.hpp"
#include "agents/step.hpp"
#include "experiments/population.hpp"
#include "experiments/scenario.hpp"
#include "experiments/sweep.hpp"

namespace icsim {

const std::vector<Lever>& lever_table() {
  // The expected effects of docs/model.md's lever table; `levers` tests check each one.
  static const std::vector<Lever> table{
      {"policy.psf",
       "england-2019",
       {},
       "0",
       "2500",
       "trusts_accepting",
       +1,
       "support paid on meeting an accepted total makes accepting worth more than refusing"},
      {"policy.frf",
       "england-2019",
       {"policy.psf=0"},
       "0",
       "2500",
       "trusts_accepting",
       +1,
       "the recovery fund makes accepting worth it for trusts planning a deficit, whose totals "
       "are hardest"},
      {"policy.csf",
       "england-2019",
       {},
       "0",
       "1500",
       "mean_effort",
       +1,
       "commissioners paid for meeting their totals make more effort to meet them"},
      {"policy.psf_incentive",
       "england-2016",
       {},
       "0",
       "3",
       "mean_effort",
       +1,
       "a bonus per pound of over-delivery rewards effort beyond the total"},
      {"policy.incentive_basis",
       "england-2016",
       {},
       "outturn",
       "agreed",
       "mean_effort",
       -1,
       "a bonus paid only on improvements agreed in year, at the risk of the support riding on "
       "the raised total, rewards effort beyond the total less than one paid on every pound"},
      {"policy.commissioner_reset",
       "england-2019",
       {},
       "false",
       "true",
       "commissioners_overspending",
       -1,
       "a commissioner that overspent is set a total near its last position, which it misses less "
       "often"},
      {"policy.commissioner_reset_improvement",
       "england-2019",
       {"policy.commissioner_reset=true"},
       "0",
       "0.05",
       "commissioners_overspending",
       +1,
       "the more improvement a reset total asks of a commissioner that overspent, the more often "
       "it overspends again"},
      {"policy.system_tied_share",
       "england-2019",
       {},
       "0",
       "1",
       "trusts_in_deficit_before_support",
       +1,
       "tied support pays on the system's result, which own effort moves little: trusts free-ride "
       "and more of them end in deficit before support"},
      {"policy.redistribution",
       "england-2019",
       {"policy.system_tied_share=1"},
       "pro_rata",
       "need",
       "mean_effort",
       -1,
       "paying members that missed their totals weakens the reason to meet them"},
      {"policy.writeoff_commissioners",
       "england-2019",
       {"behaviour.bailout_credibility=1"},
       "0",
       "1",
       "commissioners_overspending",
       +1,
       "commissioners expecting their deficits written off make less effort, and more of them "
       "overspend (moral hazard)"},
      {"policy.writeoff_trusts",
       "england-2019",
       {},
       "0",
       "1",
       "mean_effort",
       -1,
       "trusts expecting their deficits written off make less effort (moral hazard)"},
      {"policy.bailout",
       "england-2019",
       {},
       "0",
       "3000",
       "mean_effort",
       -1,
       "organisations deep in deficit expecting a bail-out make less effort (moral hazard)"},
      {"policy.bailout_threshold",
       "england-2019",
       {"policy.bailout=3000"},
       "0",
       "0.3",
       "mean_effort",
       +1,
       "a higher threshold leaves fewer organisations counting on a bail-out"},
      {"policy.collaboration_penalty",
       "england-2019",
       {},
       "0",
       "0.5",
       "mean_effort",
       +1,
       "a member below its system's mean effort when the system misses forfeits support"},
      {"policy.collaborative_mandate",
       "england-2019",
       {},
       "false",
       "true",
       "collaborative_members",
       +1,
       "acute trusts that would stay out must join one"},
      {"policy.collaborative_form",
       "england-2019",
       {},
       "informal",
       "formal",
       "collaborative_members",
       +1,
       "formal collaboratives save more, so more providers join"},
      {"policy.transition_pressure",
       "england-2020",
       {},
       "0",
       "1",
       "systems_met",
       -1,
       "rushing erodes trust, and with it system working's savings and members' solidarity"},
      {"policy.earned_autonomy_years",
       "statutory-2022",
       {},
       "0",
       "1",
       "stake_above_floor",
       +1,
       "systems that earn autonomy lose the floor, and their members stake above it by choice"},
      {"policy.purchasing_levy",
       "england-2019",
       {},
       "0",
       "0.05",
       "trusts_accepting",
       -1,
       "trusts see the levy but only part of its savings, so totals look harder to meet"},
      {"policy.purchasing_return",
       "england-2019",
       {"policy.purchasing_levy=0.03"},
       "0",
       "1.5",
       "trusts_accepting",
       +1,
       "the part of the savings trusts can see makes totals look easier"},
      {"policy.savings_visibility",
       "england-2019",
       {"policy.purchasing_levy=0.03"},
       "0",
       "1",
       "trusts_accepting",
       +1,
       "trusts that can see the purchasing savings count them"},
      {"policy.leader_capacity",
       "statutory-2022",
       {},
       "0",
       "2",
       "mean_effort",
       -1,
       "a leader with time to broker covers more of members' shortfalls from the system's "
       "money: less reason to meet one's own total"},
      {"policy.efficiency_requirement",
       "england-2019",
       {},
       "0",
       "0.06",
       "trusts_accepting",
       -1,
       "a harder efficiency requirement makes control totals harder to meet, so fewer accept"},
      {"policy.control_total_stretch",
       "england-2019",
       {},
       "0",
       "0.03",
       "trusts_accepting",
       -1,
       "a stretched control total is harder to meet, so fewer accept"},
      {"policy.deficit_recovery",
       "england-2019",
       {},
       "0",
       "1",
       "trusts_accepting",
       -1,
       "totals that ask deficit trusts to close more of their deficit are refused more"},
      {"policy.payment",
       "england-2019",
       {},
       "tariff",
       "block",
       "trusts_accepting",
       -1,
       "under block contracts trusts bear demand risk, so their totals are riskier to accept "
       "and fewer accept them"},
      {"policy.blended_variable_share",
       "england-2019",
       {"policy.payment=blended"},
       "0.25",
       "0.75",
       "trusts_accepting",
       +1,
       "the more of a demand shock commissioners pay, the less risk a trust's total carries, "
       "and the more trusts accept"},
      {"policy.marginal_rate",
       "england-2016",
       {},
       "0.3",
       "1",
       "trusts_in_deficit_before_support",
       -1,
       "the more of the demand above plan commissioners pay for, the less trusts lose on the "
       "activity, and the fewer end in deficit before support"},
      {"policy.ics_count",
       "england-2019",
       {},
       "0",
       "42",
       "stake_above_floor",
       +1,
       "only members of ICSs with a system total can stake above the floor"},
      {"policy.statutory_collaboration",
       "england-2020",
       {},
       "false",
       "true",
       "mean_effort",
       +1,
       "a statutory duty moves weight from the own balance to the system's, which values the "
       "system benefit of one's effort"},
  };
  return table;
}

namespace {

std::vector<double> outcomes_of(const Params& p) {
  const auto& names = lever_outcomes();
  std::vector<const Metric*> metric;
  for (const auto& name : names) metric.push_back(find_metric(name, Level::national));
  std::vector<double> sum(names.size(), 0.0);
  World w = make_world(p);
  simulate(w, [&](const World& world) {
    for (std::size_t k = 0; k < metric.size(); ++k)
      sum[k] += std::get<std::vector<double>>(metric[k]->compute(world))[0];
  });
  for (auto& x : sum) x /= double(std::max<std::int64_t>(p.years, 1));
  return sum;
}

}  // namespace

LeverResult measure_lever(const Lever& lever, const Params& base, int replications,
                          const PosteriorDraws* posterior) {
  LeverResult result;
  result.lever = &lever;
  const std::size_t k = lever_outcomes().size();
  const auto r = static_cast<std::size_t>(std::max(replications, 1));
  std::vector<std::vector<double>> runs(2 * r);
  Params ends[2] = {base, base};
  apply_setting(ends[0], lever.name + "=" + lever.low, "lever table");
  apply_setting(ends[1], lever.name + "=" + lever.high, "lever table");
  // The posterior's parameters a draw sets: not the lever, nor what its own settings fix.
  std::vector<std::size_t> drawn;
  if (posterior)
    for (std::size_t j = 0; j < posterior->parameters.size(); ++j) {
      const std::string& name = posterior->parameters[j]->name;
      const bool fixed =
          name == lever.name ||
          std::any_of(lever.settings.begin(), lever.settings.end(),
                      [&](const std::string& s) { return s.substr(0, s.find('=')) == name; });
      if (!fixed) drawn.push_back(j);
    }
  tbb::parallel_for(std::size_t{0}, 2 * r, [&](std::size_t run) {
    Params p = ends[run % 2];
    const auto rep = static_cast<std::int64_t>(run / 2);
    if (posterior) {  // paired: one draw, both ends
      const std::size_t i =
          posterior_draw(posterior->posterior, std::uint64_t(base.seed), std::uint64_t(rep));
      for (const auto j : drawn) set_for_run(p, *posterior->parameters[j], posterior->value(i, j));
    }
    p.seed = base.seed + rep;  // paired: one seed, both ends
    runs[run] = outcomes_of(p);
  });
  result.low.assign(k, 0);
  result.high.assign(k, 0);
  result.effect.assign(k, {});
  for (std::size_t m = 0; m < k; ++m) {
    double sum = 0, squares = 0;
    for (std::size_t rep = 0; rep < r; ++rep) {
      const double d = runs[2 * rep + 1][m] - runs[2 * rep][m];
      result.low[m] += runs[2 * rep][m] / double(r);
      result.high[m] += runs[2 * rep + 1][m] / double(r);
      sum += d;
      squares += d * d;
    }
    const double mean = sum / double(r);
    const double var =
        r > 1 ? std::max(0.0, (squares - double(r) * mean * mean) / double(r - 1)) : 0.0;
    result.effect[m] = {mean, std::sqrt(var / double(r))};
  }
  return result;
}

LeverResult measure_lever(const Lever& lever, int replications) {
  Params p = load_scenario(lever.scenario).params;
  for (const auto& s : lever.settings) apply_setting(p, s, "lever table");
  return measure_lever(lever, p, replications);
}

int command_levers(const LeversCommand& command, std::ostream& out, std::ostream&) {
  const auto& names = lever_outcomes();
  std::optional<Scenario> scenario;
  if (!command.scenario.empty()) scenario = load_scenario(command.scenario);
  if (command.draws > 0 && command.posterior.empty())
    throw InputError("--draws: only with --posterior (a posterior file of icsim calibrate)");
  const int replications = command.draws > 0
                               ? static_cast<int>(std::min<std::uint64_t>(command.draws, 1'000'000))
                               : command.replications;
  if (replications < 2)
    throw InputError(std::string(command.draws > 0 ? "--draws: " : "--replications: ") +
                     std::to_string(replications) +
                     " is not allowed; expected a whole number of at least 2 (standard errors "
                     "need two)");
  std::optional<PosteriorDraws> posterior;
  if (!command.posterior.empty())
    posterior = posterior_draws(command.posterior, std::uint64_t(replications), "--posterior");
  if (!command.quiet) {
    out << "# effect of each policy lever between the ends of its range, high minus low: mean "
           "(standard error) over "
        << replications << " paired seeds, outcomes averaged over the run's years\n";
    if (posterior)
      out << "# each paired replication draws its parameters from the posterior "
          << command.posterior << " (the same draw at both ends; not the lever itself)\n";
    out << "# " << (scenario ? "scenario " + scenario->source : "each lever on its live scenario")
        << "; * marks the outcome the lever table expects it to move, with its sign; ok: the "
           "sign holds beyond two standard errors\n";
    out << std::left << std::setw(32) << "lever" << std::setw(22) << "low -> high";
    for (const auto& name : names) out << std::setw(20) << name.substr(0, 19);
    out << "\n" << std::right;
  }
  std::vector<LeverResult> results;
  for (const auto& lever : lever_table()) {
    if (!command.only.empty() &&
        std::find(command.only.begin(), command.only.end(), lever.name) == command.only.end())
      continue;
    Params base;
    if (scenario) {
      base = scenario->params;
    } else {
      base = load_scenario(lever.scenario).params;
      for (const auto& s : lever.settings) apply_setting(base, s, "lever table");
    }
    if (command.years > 0) base.years = command.years;
    const LeverResult r =
        measure_lever(lever, base, replications, posterior ? &*posterior : nullptr);
    out << std::left << std::setw(32) << lever.name << std::setw(22)
        << (lever.low + " -> " + lever.high) << std::right;
    for (std::size_t m = 0; m < names.size(); ++m) {
      std::ostringstream cell;
      const bool expected = names[m] == lever.outcome;
      const Effect e = r.effect[m];
      cell << std::showpos << std::setprecision(3) << e.mean << std::noshowpos << "("
           << std::setprecision(2) << e.se << ")";
      if (expected)
        cell << (lever.sign > 0 ? "*+" : "*-") << (e.mean * lever.sign > 2 * e.se ? "ok" : "NO");
      out << std::left << std::setw(20) << cell.str() << std::right;
    }
    out << "\n" << std::flush;
    results.push_back(r);
  }
  if (results.empty() || command.quiet) return 0;
  // The size bar of the levers test: each documented effect against its outcome's range over the
  // levers measured (lowest to highest mean at either end).
  out << "# range of each outcome over the levers measured (lowest to highest mean at either end):";
  std::vector<std::pair<double, double>> range(names.size(), {INFINITY, -INFINITY});
  for (std::size_t m = 0; m < names.size(); ++m) {
    for (const auto& r : results)
      range[m] = {std::min({range[m].first, r.low[m], r.high[m]}),
                  std::max({range[m].second, r.high[m], r.low[m]})};
    out << (m ? ", " : " ") << names[m] << " " << range[m].first << " to " << range[m].second;
  }
  out << "\n# documented effect as a share of its outcome's range (the levers test asks 2%):";
  for (const auto& r : results) {
    const auto m = static_cast<std::size_t>(
        std::find(names.begin(), names.end(), r.lever->outcome) - names.begin());
    const double width = range[m].second - range[m].first;
    out << "\n#   " << r.lever->name << " on " << r.lever->outcome << ": " << std::setprecision(3)
        << (width > 0 ? 100 * std::abs(r.effect[m].mean) / width : 0.0) << "%";
  }
  out << "\n" << std::flush;
  return 0;
}

}  // namespace icsim
