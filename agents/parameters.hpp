// The parameter registry: every scenario parameter declared once (name, unit, default, range,
// meaning). The TOML reader, `icsim describe`, validation, sweep axes and HDF5 attributes read it.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "agents/kinds.hpp"

namespace icsim {

enum class Activation : std::uint8_t { synchronous, random_sequential, staged };
enum class Rule : std::uint8_t { expected_utility, imitation, learning, threshold, inherit };
enum class Redistribution : std::uint8_t { pro_rata, need, equal, leader };
// What the PSF bonus pays on: any over-delivery at year end, or only an improvement of the
// control total agreed in year, the rest of the unearned fund going to every trust that met.
enum class IncentiveBasis : std::uint8_t { outturn, agreed };
enum class CollaborativeForm : std::uint8_t { formal, informal, choice };
enum class PopulationSource : std::uint8_t { england, synthetic };
enum class Model : std::uint8_t { health, public_goods, threshold_cascade };
enum class NetworkKind : std::uint8_t {
  england,
  lattice,
  erdos_renyi,
  barabasi_albert,
  watts_strogatz,
  edge_list
};

enum class Payment : std::uint8_t { tariff, blended, block };

using Value = std::variant<bool, std::int64_t, double, std::string>;
struct ParamSpec;

// Settings that change at a given calendar year ([[timeline]] in a scenario): applied at the
// start of that planning year, before the plan.
struct TimelineEntry {
  std::int64_t year = 0;
  std::vector<std::pair<const ParamSpec*, Value>> settings;
  bool operator==(const TimelineEntry& other) const;
};

// Values of every parameter, resolved for one run. Field defaults are placeholders: the registry
// holds the real defaults and default_params() applies them.
struct Params {
  Model model{};
  // run
  std::int64_t seed = 0;
  std::int64_t steps = 0, record_every = 0;
  std::int64_t years = 0;
  std::int64_t first_year = 0;
  Activation activation{};
  bool record_edge_trust = false;
  // population
  PopulationSource population_source{};
  std::int64_t finance_seed = 0;
  std::int64_t ccg_merger_year = 0, icb_year = 0;
  double provider_cost_total = 0;
  std::int64_t synthetic_organisations = 0, synthetic_systems = 0;
  double synthetic_mean_degree = 0;
  std::array<double, kind_count> synthetic_mix{};  // relative weights of the kinds
  // finance: planned margins by kind, income and spending, growth, demand
  std::array<double, kind_count> margin_mean{}, margin_sd{};  // trusts and commissioners only
  std::array<double, kind_count> specialised_share{};         // trusts only
  double other_income_share = 0, other_care_per_head = 0, pcn_income_per_patient = 0;
  double council_budget_per_resident = 0, council_cost_pressure = 0;
  double growth = 0, marginal_cost = 0, underlying_carry = 0;
  // policy: the incentive regime
  double psf = 0, frf = 0, csf = 0, psf_incentive = 0;
  IncentiveBasis incentive_basis{};
  double system_tied_share = 0;
  Redistribution redistribution{};
  double writeoff_commissioners = 0, writeoff_trusts = 0;
  double bailout = 0, bailout_threshold = 0, collaboration_penalty = 0;
  bool collaborative_mandate = false;
  CollaborativeForm collaborative_form{};
  double transition_pressure = 0;
  std::int64_t earned_autonomy_years = 0;
  double purchasing_levy = 0, purchasing_return = 0, savings_visibility = 0, leader_capacity = 0;
  double control_total_stretch = 0, deficit_recovery = 0, efficiency_requirement = 0;
  Payment payment{};
  double blended_variable_share = 0, marginal_rate = 0, commissioner_risk_reserve = 0;
  double commissioner_pressure_funding = 0;
  std::int64_t ics_count = 0;
  bool statutory_collaboration = false;
  bool commissioner_reset = false;
  double commissioner_reset_improvement = 0;
  // behaviour
  Rule rule{};
  std::array<Rule, kind_count> kind_rule{Rule::inherit, Rule::inherit, Rule::inherit,
                                         Rule::inherit, Rule::inherit, Rule::inherit,
                                         Rule::inherit, Rule::inherit};
  std::array<double, kind_count> duty{};  // break-even duty by kind
  double logit_noise = 0, risk_aversion = 0, imitation_noise = 0, exploration = 0;
  double ewa_phi = 0, ewa_delta = 0, ewa_rho = 0, ewa_lambda = 0;
  double threshold = 0, threshold_effort_high = 0, threshold_effort_low = 0;
  double belief_weight = 0, initial_belief = 0;
  double effort_cost = 0, cip_max = 0, solidarity = 0, failure_cost = 0;
  double year_end_measures = 0, year_end_repayment = 1, initial_year_end = 0;
  double refusal_cost = 0, debt_pressure = 0, bailout_credibility = 0, statutory_duty_shift = 0;
  // councils
  double pooling_saving = 0, max_pooled_share = 0, council_pressure_weight = 0;
  // shocks
  double volatility = 0, common_volatility = 0, tail_probability = 0, tail_scale = 0;
  double persistence = 0, demand_volatility = 0, demand_drift = 0, council_volatility = 0;
  // trust
  double initial_trust = 0, initial_trust_spread = 0, trust_gain = 0, trust_loss = 0;
  double trust_erosion = 0, freeride_gap = 0, pool_level = 0;
  // system
  double name_only_stake = 0, name_only_trust = 0, integration_saving = 0, acceptance_share = 0;
  // collaboratives
  double collab_saving_rate = 0, collab_scale = 0, informal_factor = 0, collab_overhead = 0;
  double management_capacity = 0, shock_sharing = 0, formal_trust = 0;
  // classic models: network, spatial public goods game, threshold cascades
  NetworkKind network_kind{};
  std::int64_t network_size = 0;
  double network_mean_degree = 0, network_rewire = 0;
  std::string network_file;
  double game_r = 0, game_cost = 0, game_noise = 0, game_initial_cooperators = 0;
  double cascade_threshold = 0, cascade_global_share = 0;
  std::int64_t cascade_seeds = 0, cascade_realisations = 0;
  // settings that change by year, in year order
  std::vector<TimelineEntry> timeline;

  // The decision rule an organisation of kind k uses.
  Rule rule_for(Kind k) const {
    const Rule r = kind_rule[static_cast<int>(k)];
    return r == Rule::inherit ? rule : r;
  }
};

enum class ParamType : std::uint8_t { boolean, integer, real, choice, text };

struct ParamSpec {
  std::string name;
  ParamType type;
  std::string unit;
  Value default_value;
  double min = 0, max = 0;  // for integer and real
  std::vector<std::string> choices;
  std::string meaning;
  std::function<Value(const Params&)> get;
  std::function<void(Params&, const Value&)> set;

  // "a number in [0, 1]", "one of pro_rata, need": what the allowed values are, in words.
  std::string allowed() const;
};

// A parameter value the registry refuses; what() names the key and what is allowed.
class ParamError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

const std::vector<ParamSpec>& registry();
const ParamSpec* find_param(std::string_view name);
Params default_params();

// Checks a value against the parameter's type and range, converting where that loses nothing
// (an integer given for a real); throws ParamError.
Value validate(const ParamSpec& spec, const Value& value);
void set_param(Params& params, std::string_view name, const Value& value);
// Parses "0.5", "true", "need" as the parameter's type (for --set and sweep axes).
Value parse_value(const ParamSpec& spec, std::string_view text);
std::string format_value(const Value& value);
// The resolved scenario: every parameter, grouped in TOML tables.
std::string to_toml(const Params& params);
// Sets a parameter for the whole run: the timeline's entries for it are dropped, so the value
// holds from the first year to the last. What --set, a sweep's [set] and axes, calibration
// priors and the lever table's ends mean (a scenario's own top-level settings are the values
// before its timeline instead).
void set_for_run(Params& params, const ParamSpec& spec, const Value& value);
// Applies the timeline's settings for calendar year `year` (those of earlier years too when
// `and_before`); returns whether any applied.
bool apply_timeline(Params& params, std::int64_t year, bool and_before = false);
// Whether a parameter may change during a run (a timeline entry, icsim.Model.set): not those read
// only when the world is built (the run's settings, the population's structure and synthesised
// finance, initial trust and beliefs).
bool may_change_in_timeline(const ParamSpec& spec);

std::string_view name_of(Rule rule);

}  // namespace icsim
