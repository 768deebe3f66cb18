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
  // population
  r.push_back(choice("population.source", &Params::population_source, {"england", "synthetic"},
                     "england", "England's real organisation structure, or a synthetic one"));
  r.push_back(choice("population.commissioners", &Params::commissioners, {"ccg_2021", "ccg_2019"},
                     "ccg_2021",
                     "which commissioners: the 106 CCGs of April 2021 or the 191 of April 2019"));
  r.push_back(integer("population.finance_seed", &Params::finance_seed, "-", 2019, 0, 9.2e18,
                      "seed of the synthesised finance (fixed across replications)"));
  r.push_back(real("population.provider_cost_total", &Params::provider_cost_total, "GBP m", 72600,
                   1, huge,
                   "total provider cost base (2019/20: about 72.6bn over 208 "
                   "providers)"));
  r.push_back(real("population.deficit_share", &Params::deficit_share, "fraction", 0.46, 0.01, 0.99,
                   "share of trusts planning a deficit before support (2018/19: about 46%)"));
  r.push_back(real("population.margin_sd", &Params::margin_sd, "fraction of cost", 0.03, 0, 0.5,
                   "spread of trusts' underlying margins before support"));
  r.push_back(real("population.commissioner_allocation_per_patient",
                   &Params::commissioner_allocation_per_patient, "GBP per patient", 1320, 0, 1e5,
                   "CCG allocation per registered patient (2019/20: about 79.9bn / 60.6m)"));
  r.push_back(real("population.council_spend_per_resident", &Params::council_spend_per_resident,
                   "GBP per resident", 290, 0, 1e5,
                   "council adult social care spend per resident (2019/20: about 16.5bn)"));
  r.push_back(real("population.pcn_income_per_patient", &Params::pcn_income_per_patient,
                   "GBP per patient", 10, 0, 1e4,
                   "primary care network income per registered patient (network DES and roles)"));
  r.push_back(integer("population.organisations", &Params::synthetic_organisations, "organisations",
                      10000, 10, 2e9, "synthetic population: organisations"));
  r.push_back(integer("population.systems", &Params::synthetic_systems, "systems", 42, 1, 1e8,
                      "synthetic population: systems"));
  r.push_back(real("population.mean_degree", &Params::synthetic_mean_degree, "edges per node", 10,
                   0, 1000, "synthetic population: mean degree of the relationship graph"));
  // England's organisations by kind in 2021: 124 acute trusts, 16 community, 50 mental health,
  // 15 specialist, 10 ambulance, 106 CCGs, 1254 PCNs, 317 councils (data/README.md).
  static constexpr std::array<double, kind_count> england_mix{124, 16, 50, 15, 10, 106, 1254, 317};
  for (int k = 0; k < kind_count; ++k) {
    const std::string kind(kind_names[k]);
    r.push_back(
        ParamSpec{"population.mix." + kind,
                  ParamType::real,
                  "relative weight",
                  Value{england_mix[k]},
                  0,
                  huge,
                  {},
                  "synthetic population: weight of " + kind +
                      " organisations in the mix "
                      "(weights are normalised; default England 2021's count)",
                  [k](const Params& p) -> Value { return p.synthetic_mix[k]; },
                  [k](Params& p, const Value& v) { p.synthetic_mix[k] = std::get<double>(v); }});
  }
  // policy: the incentive regime
  r.push_back(real("policy.support_pot", &Params::support_pot, "GBP m per year", 2250, 0, huge,
                   "central support pot (2019/20: PSF 1.25bn + FRF 1bn)"));
  r.push_back(choice("policy.support_eligibility", &Params::support_eligibility,
                     {"all_providers", "deficit_only"}, "all_providers",
                     "who may receive support: every trust (PSF) or organisations planning a "
                     "deficit (FRF)"));
  r.push_back(real("policy.system_tied_share", &Params::system_tied_share, "fraction", 0, 0, 1,
                   "minimum stake of support tied to the system total (2019/20: 0; 2020/21: "
                   "0.5)"));
  r.push_back(choice("policy.redistribution", &Params::redistribution,
                     {"pro_rata", "need", "equal", "leader"}, "pro_rata",
                     "how a system's earned staked support is shared among its members"));
  r.push_back(real("policy.writeoff_commissioners", &Params::writeoff_commissioners, "fraction",
                   0.5, 0, 1, "share of commissioners' cumulative deficits written off"));
  r.push_back(real("policy.writeoff_trusts", &Params::writeoff_trusts, "fraction", 0, 0, 1,
                   "share of trusts' cumulative deficits written off"));
  r.push_back(integer("policy.writeoff_year", &Params::writeoff_year, "year index", 2, 0, 1000,
                      "planning year (1 = first) at whose end write-offs apply; 0 = never"));
  r.push_back(real("policy.bailout", &Params::bailout, "GBP m per year", 0, 0, huge,
                   "national bail-out pool for organisations with deep cumulative deficits"));
  r.push_back(real("policy.bailout_threshold", &Params::bailout_threshold, "fraction of income",
                   0.05, 0, 10, "cumulative deficit beyond which the bail-out pays"));
  r.push_back(real("policy.collaboration_penalty", &Params::collaboration_penalty,
                   "fraction of allocation", 0, 0, 1,
                   "duty to collaborate: support withheld from a member that improved its own "
                   "position while its system missed"));
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
  r.push_back(real("policy.purchasing_levy", &Params::purchasing_levy, "fraction of income", 0, 0,
                   0.1, "share of trusts' income paid to the central purchasing body"));
  r.push_back(real("policy.purchasing_return", &Params::purchasing_return, "multiple of levy", 1.2,
                   0, 10, "savings the central purchasing body returns per pound of levy"));
  r.push_back(real("policy.savings_visibility", &Params::savings_visibility, "fraction", 0.5, 0, 1,
                   "how much of the purchasing savings trusts can see and so count"));
  r.push_back(real("policy.leader_capacity", &Params::leader_capacity, "0-2 scale", 1, 0, 2,
                   "capacity of system leaders to broker redistribution and trust (1 = as in "
                   "2019, where 10 of 42 leaders did only that job)"));
  r.push_back(real("policy.efficiency_requirement", &Params::efficiency_requirement,
                   "fraction of cost per year", 0.025, 0, 0.2,
                   "cost growth above income that cost improvement must offset (2019/20: tariff "
                   "efficiency factor 1.1% plus cost growth above the tariff uplift)"));
  r.push_back(real("policy.control_total_stretch", &Params::control_total_stretch,
                   "fraction of cost", 0.0, 0, 0.2,
                   "improvement on the organisation's own plan that its control total demands"));
  // behaviour
  r.push_back(choice("behaviour.rule", &Params::rule, rule_names, "expected_utility",
                     "decision rule of every organisation"));
  for (int k = 0; k < kind_count; ++k) {
    auto names = rule_names;
    names.emplace_back("inherit");
    r.push_back(choice_with<Rule>("behaviour." + std::string(kind_names[k]) + ".rule", names,
                                  "inherit",
                                  "decision rule of " + std::string(kind_names[k]) +
                                      " organisations (inherit = "
                                      "behaviour.rule)",
                                  [k](Params& p) -> Rule& { return p.kind_rule[k]; }));
  }
  r.push_back(real("behaviour.logit_noise", &Params::logit_noise, "fraction of allocation", 0.02,
                   1e-6, 100, "expected_utility: logit choice noise"));
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
                   "threshold: trust-weighted share of neighbours pooling needed to pool"));
  r.push_back(real("behaviour.belief_weight", &Params::belief_weight, "fraction", 0.3, 0, 1,
                   "weight of the latest system outcome in beliefs"));
  r.push_back(real("behaviour.initial_belief", &Params::initial_belief, "probability", 0.5, 0, 1,
                   "initial belief that the system meets its total"));
  r.push_back(real("behaviour.effort_cost", &Params::effort_cost, "fraction of cost", 0.06, 0, 1,
                   "cost of cost-improvement effort at full effort (convex: times effort^2)"));
  r.push_back(real("behaviour.cip_max", &Params::cip_max, "fraction of cost", 0.04, 0, 0.5,
                   "cost improvement delivered at full effort"));
  r.push_back(real("behaviour.solidarity", &Params::solidarity, "weight", 1, 0, 10,
                   "weight on partners' gain from own effort, times trust"));
  r.push_back(real("behaviour.accept_probability", &Params::accept_probability, "probability", 0.25,
                   0, 1, "least believed chance of meeting a control total to accept it"));
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
  // trust
  r.push_back(real("trust.initial", &Params::initial_trust, "0-1", 0.5, 0, 1,
                   "trust on every relationship at the start"));
  r.push_back(real("trust.gain", &Params::trust_gain, "fraction", 0.15, 0, 1,
                   "trust gained (of the gap to 1) when both sides pooled and delivered"));
  r.push_back(real("trust.loss", &Params::trust_loss, "fraction", 0.25, 0, 1,
                   "trust lost when a partner free-rode or its overspend sank the system"));
  r.push_back(real("trust.erosion", &Params::trust_erosion, "fraction per year", 0.3, 0, 1,
                   "trust eroded per year at full transition pressure"));
  r.push_back(real("trust.freeride_gap", &Params::freeride_gap, "effort", 0.25, 0, 1,
                   "effort below the system mean beyond which a member is seen to free-ride"));
  r.push_back(real("trust.pool_level", &Params::pool_level, "fraction", 0.25, 0, 1,
                   "stake at or above which a member is seen to pool with its system"));
  r.push_back(real("system.in_name_only_stake", &Params::name_only_stake, "fraction", 0.25, 0, 1,
                   "a system whose stake share is below this and ..."));
  r.push_back(real("system.in_name_only_trust", &Params::name_only_trust, "0-1", 0.4, 0, 1,
                   "... whose mean trust is below this is a system in name only"));
  // collaboratives
  r.push_back(real("collaboratives.saving_rate", &Params::collab_saving_rate, "fraction of cost",
                   0.015, 0, 0.5, "most a formal collaborative saves a member at full trust"));
  r.push_back(real("collaboratives.scale", &Params::collab_scale, "members", 4, 0.1, 1000,
                   "members at which savings reach 63% of their most"));
  r.push_back(real("collaboratives.informal_factor", &Params::informal_factor, "fraction", 0.5, 0,
                   1, "informal collaboratives' savings relative to formal (back office)"));
  r.push_back(real("collaboratives.overhead", &Params::collab_overhead, "fraction of cost", 0.0005,
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
  return out;
}

std::string_view name_of(Rule rule) {
  static constexpr std::array<std::string_view, 5> names{"expected_utility", "imitation",
                                                         "learning", "threshold", "inherit"};
  return names[static_cast<int>(rule)];
}

}  // namespace icsim
