#include "agents/parameters.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <sstream>

namespace icsim {
namespace {

constexpr double huge = 1e12;

template <class T>
ParamSpec number(std::string name, T Params::*field, std::string unit, T fallback, double lo,
                 double hi, std::string meaning) {
  constexpr bool integral = std::is_integral_v<T>;
  return ParamSpec{std::move(name),
                   integral ? ParamType::integer : ParamType::real,
                   std::move(unit),
                   Value{integral ? Value{std::int64_t(fallback)} : Value{double(fallback)}},
                   lo,
                   hi,
                   {},
                   std::move(meaning),
                   [field](const Params& p) -> Value {
                     if constexpr (integral)
                       return std::int64_t(p.*field);
                     else
                       return double(p.*field);
                   },
                   [field](Params& p, const Value& v) {
                     if constexpr (integral)
                       p.*field = T(std::get<std::int64_t>(v));
                     else
                       p.*field = std::get<double>(v);
                   }};
}

ParamSpec real(std::string name, double Params::*field, std::string unit, double fallback,
               double lo, double hi, std::string meaning) {
  return number<double>(std::move(name), field, std::move(unit), fallback, lo, hi,
                        std::move(meaning));
}
ParamSpec integer(std::string name, std::int64_t Params::*field, std::string unit,
                  std::int64_t fallback, double lo, double hi, std::string meaning) {
  return number<std::int64_t>(std::move(name), field, std::move(unit), fallback, lo, hi,
                              std::move(meaning));
}

ParamSpec boolean(std::string name, bool Params::*field, bool fallback, std::string meaning) {
  return ParamSpec{std::move(name),
                   ParamType::boolean,
                   "flag",
                   Value{fallback},
                   0,
                   1,
                   {},
                   std::move(meaning),
                   [field](const Params& p) -> Value { return p.*field; },
                   [field](Params& p, const Value& v) { p.*field = std::get<bool>(v); }};
}

ParamSpec text(std::string name, std::string Params::*field, std::string fallback,
               std::string meaning) {
  return ParamSpec{std::move(name),
                   ParamType::text,
                   "text",
                   Value{std::move(fallback)},
                   0,
                   0,
                   {},
                   std::move(meaning),
                   [field](const Params& p) -> Value { return p.*field; },
                   [field](Params& p, const Value& v) { p.*field = std::get<std::string>(v); }};
}

template <class E>
ParamSpec choice_with(std::string name, std::vector<std::string> choices, std::string fallback,
                      std::string meaning, std::function<E&(Params&)> ref) {
  auto get = [choices, ref](const Params& p) -> Value {
    return choices.at(static_cast<std::size_t>(ref(const_cast<Params&>(p))));
  };
  auto set = [choices, ref](Params& p, const Value& v) {
    const auto& text = std::get<std::string>(v);
    const auto it = std::find(choices.begin(), choices.end(), text);
    ref(p) = static_cast<E>(it - choices.begin());
  };
  return ParamSpec{std::move(name),
                   ParamType::choice,
                   "choice",
                   Value{std::move(fallback)},
                   0,
                   0,
                   choices,
                   std::move(meaning),
                   get,
                   set};
}

template <class E>
ParamSpec choice(std::string name, E Params::*field, std::vector<std::string> choices,
                 std::string fallback, std::string meaning) {
  return choice_with<E>(std::move(name), std::move(choices), std::move(fallback),
                        std::move(meaning), [field](Params& p) -> E& { return p.*field; });
}

// An entry of a per-kind array (name prefix + kind name).
ParamSpec per_kind(const std::string& prefix, std::array<double, kind_count> Params::*field, int k,
                   std::string unit, double fallback, double lo, double hi, std::string meaning) {
  return ParamSpec{prefix + std::string(kind_names[k]),
                   ParamType::real,
                   std::move(unit),
                   Value{fallback},
                   lo,
                   hi,
                   {},
                   std::move(meaning),
                   [field, k](const Params& p) -> Value { return (p.*field)[k]; },
                   [field, k](Params& p, const Value& v) { (p.*field)[k] = std::get<double>(v); }};
}

const std::vector<std::string> rule_names{"expected_utility", "imitation", "learning", "threshold"};

std::vector<ParamSpec> build_registry() {
  std::vector<ParamSpec> r;
  r.push_back(choice("model", &Params::model, {"health", "public_goods", "threshold_cascade"},
                     "health",
                     "the model the engine runs: health-care collaboration, or a classic "
                     "model (finance off) to check the engine against published results"));
  // run
  r.push_back(integer("run.steps", &Params::steps, "Monte Carlo steps", 1000, 1, 1e9,
                      "classic models: steps to run (a step = N elementary updates)"));
  r.push_back(integer("run.record_every", &Params::record_every, "steps", 1, 1, 1e9,
                      "classic models: record every this many steps"));
  r.push_back(integer("run.seed", &Params::seed, "-", 1, 0, 9.2e18,
                      "seed of the counter-based random streams; same seed, same output"));
  r.push_back(
      integer("run.years", &Params::years, "years", 10, 1, 1000, "planning years simulated"));
  r.push_back(integer("run.first_year", &Params::first_year, "year", 2019, 1900, 2200,
                      "calendar year in which the first planning year (financial year) starts"));
  r.push_back(choice("run.activation", &Params::activation,
                     {"synchronous", "random_sequential", "staged"}, "synchronous",
                     "how agents decide: all at once on last year's state, one at a time in "
                     "random order, or kind by kind (commissioners, then trusts)"));
  r.push_back(boolean("run.record_edge_trust", &Params::record_edge_trust, true,
                      "a run records trust on every edge every year (/timeseries/edge/trust), so "
                      "that the graph of any year can be drawn; sweeps never do"));
  // population
  r.push_back(choice("population.source", &Params::population_source, {"england", "synthetic"},
                     "england", "England's real organisation structure, or a synthetic one"));
  r.push_back(integer("population.finance_seed", &Params::finance_seed, "-", 2019, 0, 9.2e18,
                      "seed of the synthesised finance (fixed across replications)"));
  r.push_back(integer("population.ccg_merger_year", &Params::ccg_merger_year, "year", 2021, 1900,
                      2200,
                      "first financial year of the 106 CCGs of April 2021 (before it: the 191 of "
                      "April 2019; the data name each 2019 CCG's 2021 successor, not the year it "
                      "merged: most merged in April 2020 or April 2021)"));
  r.push_back(integer("population.icb_year", &Params::icb_year, "year", 2022, 1900, 2200,
                      "first financial year of the 42 integrated care boards, which take over "
                      "their systems' CCGs (July 2022; the model starts them with 2022/23)"));
  r.push_back(real("population.provider_cost_total", &Params::provider_cost_total, "GBP m", 72600,
                   1, huge,
                   "total provider cost base in 2019/20 money (about 72.6bn over 208 "
                   "providers); other years scale by finance.growth"));
  r.push_back(integer("population.organisations", &Params::synthetic_organisations, "organisations",
                      10000, 10, 2e9, "synthetic population: organisations"));
  r.push_back(integer("population.systems", &Params::synthetic_systems, "systems", 42, 1, 1e8,
                      "synthetic population: systems"));
  r.push_back(real("population.mean_degree", &Params::synthetic_mean_degree, "edges per node", 10,
                   0, 1000, "synthetic population: mean degree of the relationship graph"));
  // England's organisations by kind in 2021: 124 acute trusts, 16 community, 50 mental health,
  // 15 specialist, 10 ambulance, 106 CCGs, 1254 PCNs, 317 councils (data/README.md).
  static constexpr std::array<double, kind_count> england_mix{124, 16, 50, 15, 10, 106, 1254, 317};
  for (int k = 0; k < kind_count; ++k)
    r.push_back(per_kind("population.mix.", &Params::synthetic_mix, k, "relative weight",
                         england_mix[k], 0, huge,
                         "synthetic population: weight of " + std::string(kind_names[k]) +
                             " organisations in the mix (weights are normalised; default "
                             "England 2021's count)"));
  // finance: planned margins by kind (the calibration's main inputs), income and spending
  // Trusts: 2015/16 about two thirds in deficit, acute trusts about 90% of the deficit; the
  // means and spreads are calibrated (docs/calibration.md). Commissioners plan near break-even.
  static constexpr std::array<double, kind_count> margin_mean{-0.04, -0.005, -0.005, -0.01,
                                                              -0.01, 0.005,  0,      0};
  static constexpr std::array<double, kind_count> margin_sd{0.05, 0.03, 0.03, 0.03,
                                                            0.03, 0.01, 0,    0};
  // Specialised commissioning (about 18bn in 2019/20) pays specialist and acute trusts most.
  static constexpr std::array<double, kind_count> specialised{0.25, 0, 0.08, 0.6, 0, 0, 0, 0};
  for (int k = 0; k < kind_count; ++k) {
    const auto kind = static_cast<Kind>(k);
    if (!holds_control_total(kind)) continue;
    const std::string name(kind_names[k]);
    const std::string of = is_trust(kind) ? "planned cost" : "allocation";
    r.push_back(per_kind("finance.margin_mean.", &Params::margin_mean, k, "fraction of " + of,
                         margin_mean[k], -0.5, 0.5,
                         "mean planned margin (surplus before support) of " + name +
                             " organisations, a fraction of their " + of));
    r.push_back(per_kind("finance.margin_sd.", &Params::margin_sd, k, "fraction of " + of,
                         margin_sd[k], 0, 0.5,
                         "spread of planned margins of " + name + " organisations"));
    if (is_trust(kind))
      r.push_back(per_kind("finance.specialised_share.", &Params::specialised_share, k,
                           "fraction of income", specialised[k], 0, 1,
                           "share of " + name +
                               " trusts' income from specialised commissioning (paid by the "
                               "centre, not by commissioners)"));
  }
  r.push_back(real("finance.other_income_share", &Params::other_income_share, "fraction of income",
                   0.09, 0, 0.9,
                   "trusts' income from outside NHS commissioning (education and training, "
                   "research, non-NHS patients): about 9% in 2019/20 accounts"));
  r.push_back(real("finance.other_care_per_head", &Params::other_care_per_head, "GBP per patient",
                   545, 0, 1e5,
                   "commissioners' spending per registered patient outside trust contracts "
                   "(primary care, prescribing, continuing care): about 33bn of 79.9bn in "
                   "2019/20"));
  r.push_back(real("finance.pcn_income_per_patient", &Params::pcn_income_per_patient,
                   "GBP per patient", 10, 0, 1e4,
                   "primary care network income per registered patient (network DES and roles), "
                   "paid by its commissioner"));
  r.push_back(real("finance.council_budget_per_resident", &Params::council_budget_per_resident,
                   "GBP per resident", 290, 0, 1e5,
                   "council adult social care budget per resident (2019/20: about 16.5bn)"));
  r.push_back(real("finance.council_cost_pressure", &Params::council_cost_pressure,
                   "fraction of budget", 0.01, 0, 0.5,
                   "councils' social care cost growth above their funding, which they must cut "
                   "elsewhere to set balanced budgets: it weighs on their pooling"));
  r.push_back(real("finance.growth", &Params::growth, "fraction per year", 0.035, -0.5, 0.5,
                   "nominal growth of allocations, contracts and costs per year (2019/20 money "
                   "is the base; 2016/17 to 2019/20 grew about 3.5% a year)"));
  r.push_back(real("finance.underlying_carry", &Params::underlying_carry, "fraction", 0, 0, 1,
                   "share of a trust's efficiency gap (the year's efficiency requirement less the "
                   "improvement it delivered) that stays in its cost base, and so in its next "
                   "plan: its underlying position (improvement beyond the requirement stays as "
                   "recurrent savings); 0: every year starts from the planned margin"));
  r.push_back(real("finance.marginal_cost", &Params::marginal_cost, "fraction of price", 0.85, 0, 2,
                   "cost of extra (or saved) activity as a share of its contract price"));
  // policy: the incentive regime
  r.push_back(real("policy.psf", &Params::psf, "GBP m per year", 1250, 0, huge,
                   "provider sustainability fund (STF 1.8bn in 2016/17 and 2017/18, PSF 2.45bn "
                   "in 2018/19, 1.25bn in 2019/20): to every trust by cost, paid on meeting its "
                   "control total"));
  r.push_back(real("policy.frf", &Params::frf, "GBP m per year", 1050, 0, huge,
                   "financial recovery fund (1.05bn in 2019/20; at least 2bn planned for "
                   "2020/21): to organisations planning a deficit, by its size"));
  r.push_back(real("policy.csf", &Params::csf, "GBP m per year", 0, 0, huge,
                   "commissioner sustainability fund (400m in 2018/19): to commissioners by "
                   "allocation, paid on meeting their control totals"));
  r.push_back(real("policy.psf_incentive", &Params::psf_incentive, "GBP per GBP", 0, 0, 10,
                   "bonus per pound by which a trust beats its control total, paid from unearned "
                   "PSF (1 in 2016/17 and 2017/18, 2 in 2018/19)"));
  r.push_back(choice("policy.incentive_basis", &Params::incentive_basis, {"outturn", "agreed"},
                     "outturn",
                     "what the PSF bonus pays on: outturn, every pound by which a trust beats its "
                     "control total; agreed, only the improvement of its total it agreed in year "
                     "(England 2016/17-2018/19), the rest of the unearned PSF going to the trusts "
                     "that met their totals by allocation"));
  r.push_back(real("policy.system_tied_share", &Params::system_tied_share, "fraction", 0, 0, 1,
                   "minimum stake of support tied to the system total (2019/20: 0; 2020/21: "
                   "0.5)"));
  r.push_back(choice("policy.redistribution", &Params::redistribution,
                     {"pro_rata", "need", "equal", "leader"}, "pro_rata",
                     "how a system's earned staked support is shared among its members"));
  r.push_back(real("policy.writeoff_commissioners", &Params::writeoff_commissioners, "fraction", 0,
                   0, 1,
                   "share of commissioners' cumulative deficits written off at the end of each "
                   "year it is set (a timeline sets it for the year of a write-off)"));
  r.push_back(real("policy.writeoff_trusts", &Params::writeoff_trusts, "fraction", 0, 0, 1,
                   "share of trusts' cumulative deficits written off at the end of each year it "
                   "is set (2020/21: 13.4bn of trust loans converted)"));
  r.push_back(real("policy.bailout", &Params::bailout, "GBP m per year", 0, 0, huge,
                   "national bail-out pool for organisations with deep cumulative deficits"));
  r.push_back(real("policy.bailout_threshold", &Params::bailout_threshold, "fraction of income",
                   0.05, 0, 10, "cumulative deficit beyond which the bail-out pays"));
  r.push_back(real("policy.collaboration_penalty", &Params::collaboration_penalty,
                   "fraction of allocation", 0, 0, 1,
                   "duty to collaborate: a member that improved its own position with less than "
                   "its system's mean effort while the system missed forfeits this share of its "
                   "support allocation"));
  r.push_back(boolean("policy.collaborative_mandate", &Params::collaborative_mandate, false,
                      "every acute trust must be in at least one provider collaborative"));
  r.push_back(choice("policy.collaborative_form", &Params::collaborative_form,
                     {"formal", "informal", "choice"}, "informal",
                     "formal (shared budget and risk), informal (back office only) or chosen by "
                     "members' trust"));
  r.push_back(real("policy.transition_pressure", &Params::transition_pressure, "0-1 scale", 0, 0, 1,
                   "pressure to rush the transition (cajoling, penalties): erodes trust"));
  r.push_back(integer("policy.earned_autonomy_years", &Params::earned_autonomy_years, "years", 0, 0,
                      1000,
                      "years in a row on target that earn a system autonomy (no stake "
                      "floor, leader redistributes); 0 = never"));
  r.push_back(real("policy.purchasing_levy", &Params::purchasing_levy, "fraction of income", 0.005,
                   0, 0.1,
                   "share of trusts' income paid to the central purchasing body (assumed; no "
                   "published figure)"));
  r.push_back(real("policy.purchasing_return", &Params::purchasing_return, "multiple of levy", 0.8,
                   0, 10,
                   "savings on trusts' costs the central purchasing body delivers per pound of "
                   "levy (below 1: it costs more than it saves)"));
  r.push_back(real("policy.savings_visibility", &Params::savings_visibility, "fraction", 0.5, 0, 1,
                   "how much of the purchasing savings trusts can see and so count"));
  r.push_back(real("policy.leader_capacity", &Params::leader_capacity, "0-2 scale", 1, 0, 2,
                   "capacity of system leaders to broker redistribution and trust (1 = as in "
                   "2019, where 10 of 42 leaders did only that job)"));
  r.push_back(real("policy.efficiency_requirement", &Params::efficiency_requirement,
                   "fraction of cost per year", 0.035, 0, 0.2,
                   "cost growth above income that cost improvement must offset (2019/20: tariff "
                   "efficiency factor 1.1% plus cost growth above the tariff uplift)"));
  r.push_back(real("policy.control_total_stretch", &Params::control_total_stretch,
                   "fraction of cost", 0.005, 0, 0.2,
                   "improvement on the organisation's own plan that its control total demands"));
  r.push_back(
      real("policy.deficit_recovery", &Params::deficit_recovery, "fraction of deficit", 0.3, 0, 1,
           "share of a planned deficit that the control total asks the organisation to "
           "close in the year (NHS Improvement set deficit trusts totals nearer break-even)"));
  r.push_back(choice("policy.payment", &Params::payment, {"tariff", "blended", "block"}, "tariff",
                     "payment mechanism: activity-based tariff (commissioners pay for demand "
                     "shocks), block (trusts bear them) or blended (2019/20 urgent care)"));
  r.push_back(real("policy.blended_variable_share", &Params::blended_variable_share, "fraction",
                   0.5, 0, 1, "blended payment: share of a demand shock's price paid"));
  r.push_back(real("policy.marginal_rate", &Params::marginal_rate, "fraction of price", 1.0, 0, 1,
                   "tariff: share of the price paid for demand above plan (the marginal rate "
                   "emergency tariff paid 70% for emergency admissions above a baseline until "
                   "2018/19; blended payment replaced it in 2019/20); 1 pays it in full"));
  r.push_back(real("finance.commissioner_risk_reserve", &Params::commissioner_risk_reserve,
                   "fraction of allocation", 0, 0, 0.1,
                   "allocation commissioners must hold back uncommitted (1% in 2016/17, 0.5% in "
                   "2017/18, released in 2018/19)"));
  r.push_back(real("finance.commissioner_pressure_funding", &Params::commissioner_pressure_funding,
                   "GBP m per year", 0, 0, huge,
                   "allocation added to commissioners (by allocation) for pressures above their "
                   "activity plans, kept out of their control totals as the reserve is (600m in "
                   "2018/19 'to fund more realistic levels of emergency activity')"));
  r.push_back(integer("policy.ics_count", &Params::ics_count, "systems", 14, 0, 1e8,
                      "systems that are integrated care systems (0, 8, 14, 14, 18 from 2016/17 to "
                      "2020/21; 42 from 2021/22), designated in order of their partners' initial "
                      "trust: only their members can stake above the floor"));
  r.push_back(boolean("policy.statutory_collaboration", &Params::statutory_collaboration, false,
                      "the duty to collaborate is statutory (Health and Care Act 2022): part of "
                      "each organisation's break-even duty moves to its system"));
  r.push_back(boolean("policy.commissioner_reset", &Params::commissioner_reset, false,
                      "commissioners' control totals take last year's position into account: one "
                      "that overspent its total has this year's lowered by that overspend (as a "
                      "share of income) less policy.commissioner_reset_improvement, where that "
                      "lowers it (2018/19 planning guidance)"));
  r.push_back(real("policy.commissioner_reset_improvement", &Params::commissioner_reset_improvement,
                   "fraction of allocation", 0.01, 0, 0.1,
                   "the in-year improvement asked of a commissioner that overspent last year "
                   "when totals are reset (2018/19: at least 1% of allocation)"));
  // behaviour
  r.push_back(choice("behaviour.rule", &Params::rule, rule_names, "expected_utility",
                     "decision rule of every organisation"));
  // Per kind for the organisations that choose stakes and efforts (councils choose how much to
  // pool, by their own rule; primary care networks do not decide).
  for (int k = 0; k < kind_count; ++k) {
    if (!holds_control_total(static_cast<Kind>(k))) continue;
    auto names = rule_names;
    names.emplace_back("inherit");
    r.push_back(choice_with<Rule>("behaviour." + std::string(kind_names[k]) + ".rule", names,
                                  "inherit",
                                  "decision rule of " + std::string(kind_names[k]) +
                                      " organisations (inherit = "
                                      "behaviour.rule)",
                                  [k](Params& p) -> Rule& { return p.kind_rule[k]; }));
  }
  // Break-even duties of the NHS bodies: statutory for trusts and commissioners (NHS Act 2006
  // s.223, the foundation trust licence; CCGs' duty under the 2012 Act).
  static constexpr std::array<double, kind_count> duty{1, 1, 1, 1, 1, 1, 0, 0};
  for (int k = 0; k < kind_count; ++k)
    if (holds_control_total(static_cast<Kind>(k)))
      r.push_back(per_kind("behaviour.duty.", &Params::duty, k, "weight", duty[k], 0, 5,
                           "weight a " + std::string(kind_names[k]) +
                               " organisation puts on its own financial balance (its break-even "
                               "duty)"));
  r.push_back(real("behaviour.statutory_duty_shift", &Params::statutory_duty_shift, "fraction", 0.5,
                   0, 1,
                   "share of the break-even duty's weight that moves to the system's balance "
                   "when collaboration is statutory"));
  r.push_back(real("behaviour.logit_noise", &Params::logit_noise, "fraction of allocation", 0.02,
                   1e-6, 100,
                   "logit choice noise: expected_utility's actions and every rule's acceptance of "
                   "a control total"));
  r.push_back(real("behaviour.risk_aversion", &Params::risk_aversion, "per allocation", 2, 0, 100,
                   "expected_utility: mean-variance risk aversion"));
  r.push_back(real("behaviour.imitation_noise", &Params::imitation_noise, "fraction of cost", 0.002,
                   1e-9, 10, "imitation: Fermi noise K"));
  r.push_back(real("behaviour.exploration", &Params::exploration, "probability", 0.02, 0, 1,
                   "imitation: chance of trying a random action instead (mutation)"));
  r.push_back(real("behaviour.ewa_phi", &Params::ewa_phi, "fraction", 0.9, 0, 1,
                   "learning: decay of past attractions (phi)"));
  r.push_back(real("behaviour.ewa_delta", &Params::ewa_delta, "fraction", 0.5, 0, 1,
                   "learning: weight of forgone payoffs (delta)"));
  r.push_back(real("behaviour.ewa_rho", &Params::ewa_rho, "fraction", 0.9, 0, 1,
                   "learning: decay of experience (rho)"));
  r.push_back(real("behaviour.ewa_lambda", &Params::ewa_lambda, "per fraction of cost", 400, 0, 1e6,
                   "learning: logit sensitivity to attractions (lambda)"));
  r.push_back(real("behaviour.threshold", &Params::threshold, "fraction", 0.5, 0, 1,
                   "threshold: trust-weighted share of partners pooling needed to pool"));
  r.push_back(real("behaviour.threshold_effort_high", &Params::threshold_effort_high, "0-1", 0.75,
                   0, 1, "threshold: effort of an organisation that pools"));
  r.push_back(real("behaviour.threshold_effort_low", &Params::threshold_effort_low, "0-1", 0.25, 0,
                   1, "threshold: effort of an organisation that does not"));
  r.push_back(real("behaviour.belief_weight", &Params::belief_weight, "fraction", 0.3, 0, 1,
                   "weight of the latest system outcome in beliefs"));
  r.push_back(real("behaviour.initial_belief", &Params::initial_belief, "probability", 0.5, 0, 1,
                   "initial belief that the system meets its total"));
  r.push_back(real("behaviour.effort_cost", &Params::effort_cost, "fraction of cost", 0.06, 0, 1,
                   "cost of cost-improvement effort at full effort (convex: times effort^2); at "
                   "0.06 an organisation with nothing at stake makes half the most it could"));
  r.push_back(real("behaviour.year_end_measures", &Params::year_end_measures, "fraction of cost", 0,
                   0, 0.2,
                   "non-recurrent measures an organisation holding a control total can book at "
                   "year end to close a shortfall against it (asset sales, released provisions, "
                   "accounting adjustments), repaid as a cost the next year in the share "
                   "behaviour.year_end_repayment; 0: none"));
  r.push_back(real("behaviour.year_end_repayment", &Params::year_end_repayment, "fraction", 1, 0, 1,
                   "share of a year's year-end measures that falls due as a cost the next year "
                   "(released provisions, deferred costs); the rest is one-off (asset sales, "
                   "capital to revenue transfers) and leaves the underlying position as it was"));
  r.push_back(real("behaviour.initial_year_end", &Params::initial_year_end, "fraction of cost", 0,
                   0, 0.2,
                   "year-end measures booked the year before the run by each organisation holding "
                   "a control total that plans a deficit, falling due in the first year in the "
                   "share behaviour.year_end_repayment (the run's first year repays like any "
                   "other); 0: the run starts with none"));
  r.push_back(real("behaviour.cip_max", &Params::cip_max, "fraction of cost", 0.06, 0, 0.5,
                   "cost improvement delivered at full effort"));
  r.push_back(real("behaviour.solidarity", &Params::solidarity, "weight", 1, 0, 10,
                   "weight on partners' gain from own effort, times trust"));
  r.push_back(real("behaviour.failure_cost", &Params::failure_cost, "fraction of cost", 0.01, 0, 1,
                   "regulatory cost a trust expects if it misses a control total it accepted "
                   "(special measures, loss of autonomy): weighed against the support on offer"));
  r.push_back(real("behaviour.refusal_cost", &Params::refusal_cost, "fraction of failure cost", 0.5,
                   0, 10,
                   "what refusing a control total costs a trust (regulators' scrutiny), as a share "
                   "of the cost of missing one it accepted"));
  r.push_back(real("behaviour.debt_pressure", &Params::debt_pressure, "per share of cost", 2, 0,
                   100,
                   "weight of a cumulative deficit (as a share of cost) on the regulatory "
                   "pressure an organisation is under: a dearer failure of (or refusal of) a "
                   "control total, more averse to risk, more weight on its own balance"));
  r.push_back(real("behaviour.bailout_credibility", &Params::bailout_credibility, "probability",
                   0.5, 0, 1,
                   "how far organisations count on the write-offs and bail-outs policy has "
                   "announced when they weigh their own deficit (moral hazard)"));
  // councils
  r.push_back(real("councils.pooling_saving", &Params::pooling_saving, "fraction of pooled", 0.03,
                   0, 1,
                   "saving of a pooled budget at full trust (joint commissioning, fewer delayed "
                   "discharges), shared by the council and its commissioners"));
  r.push_back(real("councils.max_pooled_share", &Params::max_pooled_share, "fraction of budget",
                   0.3, 0, 1,
                   "most of its social care budget a council pools (the Better Care Fund pools "
                   "about a quarter)"));
  r.push_back(real("councils.pressure_weight", &Params::council_pressure_weight, "weight", 2, 0,
                   100,
                   "how strongly a council's financial pressure (deficit and cost growth) holds "
                   "back its pooling"));
  // shocks
  r.push_back(real("shocks.volatility", &Params::volatility, "fraction of cost", 0.012, 0, 1,
                   "standard deviation of an organisation's own cost shock"));
  r.push_back(real("shocks.common_volatility", &Params::common_volatility, "fraction of cost",
                   0.006, 0, 1, "standard deviation of the shock common to a system"));
  r.push_back(real("shocks.tail_probability", &Params::tail_probability, "per year", 0.03, 0, 1,
                   "chance of an unexpected large overspend"));
  r.push_back(real("shocks.tail_scale", &Params::tail_scale, "fraction of cost", 0.03, 0, 1,
                   "mean size of an unexpected overspend (exponential)"));
  r.push_back(real("shocks.persistence", &Params::persistence, "fraction", 0.5, 0, 0.99,
                   "share of last year's cost shock that carries into this year (AR(1))"));
  r.push_back(real("shocks.demand_volatility", &Params::demand_volatility, "fraction of activity",
                   0.015, 0, 1,
                   "standard deviation of the demand shock of a commissioner's population, seen "
                   "by the commissioner and its contracted trusts"));
  r.push_back(real("shocks.demand_drift", &Params::demand_drift, "fraction of activity", 0.01, -0.5,
                   0.5,
                   "mean demand above plan each year (emergency activity kept outgrowing plans): "
                   "under tariff commissioners pay for it, under block contracts trusts bear it"));
  r.push_back(real("shocks.council_volatility", &Params::council_volatility, "fraction of budget",
                   0.02, 0, 1, "standard deviation of a council's social care demand shock"));
  // trust
  r.push_back(real("trust.initial", &Params::initial_trust, "0-1", 0.5, 0, 1,
                   "mean trust on relationships at the start"));
  r.push_back(real("trust.initial_spread", &Params::initial_trust_spread, "0-1", 0.1, 0, 1,
                   "spread of initial trust between systems (a history of working together)"));
  r.push_back(real("trust.gain", &Params::trust_gain, "fraction", 0.15, 0, 1,
                   "trust gained (of the gap to 1) when both sides pooled and delivered"));
  r.push_back(real("trust.loss", &Params::trust_loss, "fraction", 0.25, 0, 1,
                   "trust lost when a partner free-rode or its overspend sank the system"));
  r.push_back(real("trust.erosion", &Params::trust_erosion, "fraction per year", 0.3, 0, 1,
                   "trust eroded per year at full transition pressure"));
  r.push_back(real("trust.freeride_gap", &Params::freeride_gap, "effort", 0.25, 0, 1,
                   "effort below the system mean beyond which a member is seen to free-ride"));
  r.push_back(real("trust.pool_level", &Params::pool_level, "fraction", 0.25, 0, 1,
                   "stake above the policy floor at which a member is seen to pool with its "
                   "system"));
  r.push_back(real("system.in_name_only_stake", &Params::name_only_stake, "fraction", 0.1, 0, 1,
                   "a system whose stake share above the floor is below this and ..."));
  r.push_back(real("system.in_name_only_trust", &Params::name_only_trust, "0-1", 0.4, 0, 1,
                   "... whose mean trust is below this is a system in name only"));
  r.push_back(real("system.integration_saving", &Params::integration_saving, "fraction of cost",
                   0.01, 0, 0.2,
                   "saving of system working at full trust (shared planning, estates, back "
                   "office, pathways) on its NHS members' costs"));
  r.push_back(real("system.acceptance_share", &Params::acceptance_share, "fraction", 0.9, 0, 1,
                   "cost-weighted share of an ICS's NHS bodies that must accept their own "
                   "control totals for it to accept a system control total"));
  // collaboratives
  r.push_back(real("collaboratives.saving_rate", &Params::collab_saving_rate, "fraction of cost",
                   0.015, 0, 0.5, "most a formal collaborative saves a member at full trust"));
  r.push_back(real("collaboratives.scale", &Params::collab_scale, "members", 4, 0.1, 1000,
                   "members at which savings reach 63% of their most"));
  r.push_back(real("collaboratives.informal_factor", &Params::informal_factor, "fraction", 0.5, 0,
                   1, "informal collaboratives' savings relative to formal (back office)"));
  r.push_back(real("collaboratives.overhead", &Params::collab_overhead, "fraction of cost", 0.0015,
                   0, 0.1, "overhead of one membership"));
  r.push_back(real("collaboratives.capacity", &Params::management_capacity, "memberships", 3, 0.5,
                   100, "mean memberships an organisation carries before overhead grows fast"));
  r.push_back(real("collaboratives.shock_sharing", &Params::shock_sharing, "fraction", 0.5, 0, 1,
                   "share of members' cost shocks pooled in a formal collaborative"));
  r.push_back(real("collaboratives.formal_trust", &Params::formal_trust, "0-1", 0.6, 0, 1,
                   "mean trust above which a collaborative that may choose becomes formal"));
  // classic models
  r.push_back(choice(
      "network.kind", &Params::network_kind,
      {"england", "lattice", "erdos_renyi", "barabasi_albert", "watts_strogatz", "edge_list"},
      "england",
      "graph of a classic model: England's population, a periodic "
      "square lattice (von Neumann), a random graph, or an edge-list file"));
  r.push_back(integer("network.size", &Params::network_size, "nodes (lattice: side)", 100, 2, 2e9,
                      "nodes of a generated graph; side length for a lattice"));
  r.push_back(real("network.mean_degree", &Params::network_mean_degree, "edges per node", 4, 0, 1e6,
                   "mean degree of a generated random graph"));
  r.push_back(real("network.rewire", &Params::network_rewire, "probability", 0.1, 0, 1,
                   "Watts-Strogatz rewiring probability"));
  r.push_back(text("network.file", &Params::network_file, "",
                   "edge list (CSV source,target) for network.kind = edge_list"));
  r.back().unit = "path";  // a file named in a scenario is found beside the scenario
  r.push_back(real("game.r", &Params::game_r, "multiple", 4.0, 0, 1000,
                   "public goods: factor multiplying each group's contributions"));
  r.push_back(real("game.cost", &Params::game_cost, "payoff", 1.0, 0, 1e6,
                   "public goods: what a cooperator contributes to each of its groups"));
  r.push_back(real("game.noise", &Params::game_noise, "payoff", 0.5, 1e-9, 1e6,
                   "public goods: Fermi imitation noise K"));
  r.push_back(real("game.initial_cooperators", &Params::game_initial_cooperators, "fraction", 0.5,
                   0, 1, "public goods: initial share of cooperators"));
  r.push_back(real("cascade.threshold", &Params::cascade_threshold, "fraction", 0.18, 0, 1,
                   "threshold cascade: share of active neighbours that activates a node"));
  r.push_back(integer("cascade.seeds", &Params::cascade_seeds, "nodes", 1, 0, 2e9,
                      "threshold cascade: initially active nodes per realisation"));
  r.push_back(integer("cascade.realisations", &Params::cascade_realisations, "realisations", 100, 1,
                      1e9, "threshold cascade: graphs drawn, each run to quiescence"));
  r.push_back(real("cascade.global_share", &Params::cascade_global_share, "fraction", 0.1, 0, 1,
                   "threshold cascade: final active share above which a cascade is global"));
  return r;
}

bool integral_value(double x) {
  return std::isfinite(x) && std::floor(x) == x;
}

std::string format_number(double x) {
  std::ostringstream out;
  out.precision(17);
  out << x;
  std::string s = out.str();
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

std::string ParamSpec::allowed() const {
  std::ostringstream out;
  switch (type) {
    case ParamType::boolean:
      return "true or false";
    case ParamType::integer:
      out << "a whole number in [" << static_cast<std::int64_t>(min) << ", "
          << static_cast<std::int64_t>(max) << "]";
      return out.str();
    case ParamType::real:
      out << "a number in [" << min << ", " << max << "]";
      return out.str();
    case ParamType::text:
      return "any text";
    case ParamType::choice:
      out << "one of ";
      for (std::size_t i = 0; i < choices.size(); ++i) out << (i ? ", " : "") << choices[i];
      return out.str();
  }
  return {};
}

const std::vector<ParamSpec>& registry() {
  static const std::vector<ParamSpec> table = build_registry();
  return table;
}

const ParamSpec* find_param(std::string_view name) {
  static const auto index = [] {
    std::map<std::string, const ParamSpec*, std::less<>> m;
    for (const auto& spec : registry()) m.emplace(spec.name, &spec);
    return m;
  }();
  const auto it = index.find(name);
  return it == index.end() ? nullptr : it->second;
}

Params default_params() {
  Params p;
  for (const auto& spec : registry()) spec.set(p, spec.default_value);
  return p;
}

Value validate(const ParamSpec& spec, const Value& value) {
  const auto refuse = [&](const std::string& got) -> ParamError {
    return ParamError("key '" + spec.name + "': " + got + " is not allowed; expected " +
                      spec.allowed());
  };
  switch (spec.type) {
    case ParamType::boolean:
      if (!std::holds_alternative<bool>(value)) throw refuse(format_value(value));
      return value;
    case ParamType::text:
      if (!std::holds_alternative<std::string>(value)) throw refuse(format_value(value));
      return value;
    case ParamType::choice: {
      const auto* text = std::get_if<std::string>(&value);
      if (!text || std::find(spec.choices.begin(), spec.choices.end(), *text) == spec.choices.end())
        throw refuse(format_value(value));
      return value;
    }
    case ParamType::integer:
    case ParamType::real: {
      double x = 0;
      if (const auto* i = std::get_if<std::int64_t>(&value))
        x = static_cast<double>(*i);
      else if (const auto* d = std::get_if<double>(&value))
        x = *d;
      else
        throw refuse(format_value(value));
      if (!std::isfinite(x) || x < spec.min || x > spec.max) throw refuse(format_value(value));
      if (spec.type == ParamType::real) return x;
      if (const auto* i = std::get_if<std::int64_t>(&value)) {
        // 9200000000000000001 is 9.2e18 as a double; long double holds every int64 exactly.
        const auto exact = static_cast<long double>(*i);
        if (exact < static_cast<long double>(spec.min) ||
            exact > static_cast<long double>(spec.max))
          throw refuse(format_value(value));
        return *i;
      }
      if (!integral_value(x)) throw refuse(format_value(value));
      return static_cast<std::int64_t>(x);
    }
  }
  return value;
}

void set_param(Params& params, std::string_view name, const Value& value) {
  const ParamSpec* spec = find_param(name);
  if (!spec) throw ParamError("unknown key '" + std::string(name) + "'");
  spec->set(params, validate(*spec, value));
}

Value parse_value(const ParamSpec& spec, std::string_view text) {
  switch (spec.type) {
    case ParamType::boolean:
      if (text == "true") return true;
      if (text == "false") return false;
      break;
    case ParamType::choice:
    case ParamType::text:
      return std::string(text);
    case ParamType::integer: {
      std::int64_t i = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
      if (ec == std::errc{} && end == text.data() + text.size()) return i;
      [[fallthrough]];
    }
    case ParamType::real: {
      double x = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
      if (ec == std::errc{} && end == text.data() + text.size() && !text.empty()) return x;
      break;
    }
  }
  throw ParamError("key '" + spec.name + "': '" + std::string(text) +
                   "' is not allowed; expected " + spec.allowed());
}

std::string format_value(const Value& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>)
          return v ? "true" : "false";
        else if constexpr (std::is_same_v<T, std::int64_t>)
          return std::to_string(v);
        else if constexpr (std::is_same_v<T, double>)
          return format_number(v);
        else
          return "\"" + v + "\"";
      },
      value);
}

std::string to_toml(const Params& params) {
  // Group by table in order of first appearance, so that no TOML table is opened twice.
  std::vector<std::pair<std::string, std::string>> tables;
  for (const auto& spec : registry()) {
    const auto dot = spec.name.rfind('.');
    const std::string section = dot == std::string::npos ? "" : spec.name.substr(0, dot);
    auto it = std::find_if(tables.begin(), tables.end(),
                           [&](const auto& t) { return t.first == section; });
    if (it == tables.end()) it = tables.insert(tables.end(), {section, ""});
    it->second += (dot == std::string::npos ? spec.name : spec.name.substr(dot + 1)) + " = " +
                  format_value(spec.get(params)) + "  # " + spec.unit + ": " + spec.meaning + "\n";
  }
  std::string out;
  for (const auto& [section, body] : tables)  // top-level keys come first, before any table
    out += (out.empty() ? "" : "\n") + (section.empty() ? "" : "[" + section + "]\n") + body;
  for (const auto& entry : params.timeline) {
    out += "\n[[timeline]]\nyear = " + std::to_string(entry.year) + "\n";
    for (const auto& [spec, value] : entry.settings)
      out += "\"" + spec->name + "\" = " + format_value(value) + "\n";
  }
  return out;
}

// Keys are unique within an entry (TOML refuses duplicates), so their order means nothing.
bool TimelineEntry::operator==(const TimelineEntry& other) const {
  const auto sorted = [](auto list) {
    std::sort(list.begin(), list.end(),
              [](const auto& a, const auto& b) { return a.first->name < b.first->name; });
    return list;
  };
  return year == other.year && sorted(settings) == sorted(other.settings);
}

// Read only when the world is built: the run's own settings, the population's structure and
// synthesised finance (costs, planned margins, traits), initial trust and beliefs. Everything
// else is read every year, so a timeline (or icsim.Model.set) may change it.
bool may_change_in_timeline(const ParamSpec& spec) {
  const std::string_view name = spec.name;
  for (const std::string_view prefix : {"run.", "population.", "network.", "game.", "cascade.",
                                        "finance.margin_mean.", "finance.margin_sd."})
    if (name.starts_with(prefix)) return false;
  for (const std::string_view fixed :
       {"model", "finance.other_care_per_head", "finance.pcn_income_per_patient",
        "finance.council_budget_per_resident", "collaboratives.capacity", "behaviour.risk_aversion",
        "behaviour.threshold", "behaviour.initial_belief", "trust.initial", "trust.initial_spread"})
    if (name == fixed) return false;
  return true;
}

void set_for_run(Params& params, const ParamSpec& spec, const Value& value) {
  spec.set(params, value);
  for (auto& entry : params.timeline)
    std::erase_if(entry.settings, [&](const auto& s) { return s.first == &spec; });
  std::erase_if(params.timeline, [](const TimelineEntry& e) { return e.settings.empty(); });
}

bool apply_timeline(Params& params, std::int64_t year, bool and_before) {
  bool applied = false;
  for (const auto& entry : params.timeline) {
    if (entry.year > year || (!and_before && entry.year != year)) continue;
    for (const auto& [spec, value] : entry.settings) spec->set(params, value);
    applied = true;
  }
  return applied;
}

std::string_view name_of(Rule rule) {
  static constexpr std::array<std::string_view, 5> names{"expected_utility", "imitation",
                                                         "learning", "threshold", "inherit"};
  return names[static_cast<int>(rule)];
}

}  // namespace icsim
