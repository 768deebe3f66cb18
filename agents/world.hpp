// The world one run simulates: organisations as columns (struct of arrays), systems, places,
// collaboratives, the relationship graph, and the state each yearly stage reads and writes.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "agents/kinds.hpp"
#include "agents/parameters.hpp"
#include "network/graph.hpp"

namespace icsim {

// Offsets into a flat array: the members of group g are items[offsets[g] .. offsets[g+1]).
struct Groups {
  std::vector<std::uint32_t> offsets{0};
  std::vector<std::uint32_t> items;

  std::size_t size() const { return offsets.size() - 1; }
  std::span<const std::uint32_t> operator[](std::size_t g) const {
    return {items.data() + offsets[g], items.data() + offsets[g + 1]};
  }
  void add(std::span<const std::uint32_t> group) {
    items.insert(items.end(), group.begin(), group.end());
    offsets.push_back(static_cast<std::uint32_t>(items.size()));
  }
};

// The edges money flows along, per organisation (built once in make_world): its contracts (a
// commissioner's with the trusts and networks it pays, theirs with it), then its pooled-budget
// partnerships (a council's with commissioners, theirs with it); each as (other end, edge).
struct MoneyLinks {
  std::vector<std::uint32_t> offsets{0};
  std::vector<std::uint32_t> contract_count;
  std::vector<std::array<std::uint32_t, 2>> items;

  std::span<const std::array<std::uint32_t, 2>> contracts(std::size_t i) const {
    return {items.data() + offsets[i], contract_count[i]};
  }
  std::span<const std::array<std::uint32_t, 2>> pool_partners(std::size_t i) const {
    return {items.data() + offsets[i] + contract_count[i], items.data() + offsets[i + 1]};
  }
};

// Static attributes of organisations. Money in GBP m per year at 2019/20 prices (other years
// scale by finance.growth), synthesised by agents/finance.cpp.
struct Organisations {
  std::vector<std::string> code, name;
  std::vector<Kind> kind;
  std::vector<std::int32_t> system, place;
  // Calendar years [active_from, active_to) in which the organisation exists; a commissioner
  // merged into another hands its balance and contracts to `successor` at active_to.
  std::vector<std::int16_t> active_from, active_to;
  std::vector<std::int32_t> successor;  // -1: none
  std::vector<double> population;       // patients or residents served
  // Own planned spending, contracts it pays aside: a trust's operating cost, a commissioner's
  // care outside trust contracts (primary care, prescribing, continuing care), a council's
  // social care budget, a primary care network's costs.
  std::vector<double> base_cost;
  std::vector<double> margin;         // planned margin: of cost (trusts), allocation (CCGs)
  std::vector<double> capacity;       // memberships carried before overhead grows fast
  std::vector<double> risk_aversion;  // mean-variance coefficient
  std::vector<double> threshold;      // threshold rule: share of pooling partners needed

  std::size_t size() const { return code.size(); }
};

inline constexpr std::int16_t always = 0x7FFF;  // active_to of an organisation that never ends

enum class LeaderRole : std::uint8_t { sole, commissioner, trust, other };

struct Systems {
  std::vector<std::string> code, name, region;
  std::vector<LeaderRole> leader_role;
  std::vector<std::int32_t> ics_rank;  // order of designation as an ICS (0 first; world.cpp)
  Groups members;                      // organisations whose system this is
  std::size_t size() const { return code.size(); }
};

struct Places {
  std::vector<std::string> code, name;  // the local authority that defines the place
  std::vector<std::int32_t> system;
  std::vector<double> population;
  std::size_t size() const { return code.size(); }
};

struct Collaboratives {
  std::vector<std::string> name;
  std::vector<std::int32_t> system;  // home system, or -1 for one that spans systems
  Groups candidates;                 // providers that may be members; a slot per candidate
  std::size_t size() const { return name.size(); }
};

// What each organisation chose for the year; two copies, last year's and this year's.
struct Decisions {
  std::vector<std::uint8_t> accepted;  // accepted its control total
  std::vector<double> stake;           // share of support staked on the system total;
                                       // councils: share of their budget pooled
  std::vector<double> effort;          // cost-improvement effort, 0-1
  std::vector<std::uint8_t> member;    // per collaborative candidate slot
  std::vector<std::uint8_t> formal;    // per collaborative: formal this year
};

// What happened to each organisation this year (GBP m unless noted). Every flow moves money
// between two accounts (an organisation, the centre, or the outside economy): agents/accounts.hpp.
struct Ledger {
  std::vector<std::uint8_t> active;
  // The plan: planned income, own costs (contracts aside) and contracts (paid by commissioners,
  // received by providers), the control total and the support allocated.
  std::vector<double> planned_income, planned_cost, contracts, control_total, allocation;
  std::vector<double> demand;  // commissioners: demand shock of their population (fraction)
  // Outturn: operating income (contracts included), surplus before support.
  std::vector<double> income, surplus;
  std::vector<double> collab_savings, overhead, cost_shock, pooled;
  std::vector<double> support_paid, bonus, penalty, bailout, writeoff, transfer, balance;
  std::vector<double> utility;
  std::vector<double> shock;  // own cost shock this year, fraction of cost (before sharing)
  // Year-end measures (behaviour.year_end_measures): booked this year to close a shortfall, and
  // due this year for those booked last year.
  std::vector<double> year_end, year_end_due;
  // Trusts: recurrent cost carried from past years' efficiency gaps (finance.underlying_carry),
  // a fraction of the base cost: plan() adds it to the year's planned cost, and settle() adds the
  // year's gap, so from settlement on it holds next year's.
  std::vector<double> underlying;
  // Trusts: the improvement of the control total agreed in year (policy.incentive_basis =
  // "agreed"; decide() adds it to control_total), GBP m.
  std::vector<double> raise;
  std::vector<std::uint8_t> met, memberships;
};

struct SystemLedger {
  std::vector<double> control_total, surplus, cost, allocated, staked, paid, returned, mean_trust,
      mean_effort, stake_share, stake_above_floor, integration_index, pooled;
  std::vector<std::uint8_t> met, accepted, ics, autonomous, in_name_only;
  std::vector<std::int32_t> years_on_target, collaboratives;
};

// Central support funds, each with its own eligibility (agents/plan.cpp).
enum class Fund : std::uint8_t { psf, frf, csf };
inline constexpr int fund_count = 3;
inline constexpr std::array<std::string_view, fund_count> fund_names{"psf", "frf", "csf"};

struct National {
  std::array<double, fund_count> pot{}, paid{}, weight{};
  double support_returned = 0, bonus_paid = 0, penalties = 0, bailout_paid = 0, writeoff = 0;
  double bailout_need = 0;  // at the plan: cumulative deficits beyond the bail-out threshold
  double bonus_share = 0;   // at settlement: the share of bonus claims the unearned PSF paid
  // At settlement, where the bonus pays on agreed improvements: what was left of the unearned PSF
  // per pound of PSF allocation, paid to the trusts that met their totals.
  double general_share = 0;
  double money_scale = 1;    // this year's money over 2019/20's
  double pressure_rate = 0;  // commissioners' pressure funding over their allocations without it
  std::int32_t calendar_year = 0;
};

// A council's pooled budget with its commissioners (agents/accounts.hpp).
struct Pool {
  double weight = 0;  // sum of the council's partnership weights to commissioners
  double trust = 0;   // mean trust on those edges
  double demand = 0;  // the commissioners' demand shock, weighted
};

// Decision-rule state: beliefs and experience-weighted attractions (Camerer and Ho 1999).
inline constexpr int stake_levels = 5, effort_levels = 5;
inline constexpr int action_count = stake_levels * effort_levels;
struct RuleState {
  std::vector<double> belief;      // believed chance that the system meets its total
  std::vector<double> attraction;  // action_count per organisation (learning rule only)
  std::vector<double> experience;  // EWA N(t) (learning rule only)
};

struct World {
  Params params;
  std::uint64_t key = 0;  // run key of the random streams
  std::int32_t year = 0;  // planning year index, 0 = first

  Organisations orgs;
  Systems systems;
  Places places;
  Collaboratives collaboratives;
  RelationshipGraph graph;
  std::vector<double> trust;                         // per edge, 0-1
  std::vector<std::uint32_t> collaborative_of_slot;  // slot -> collaborative
  Groups candidate_slots;                            // organisation -> its candidate slots
  MoneyLinks money;                                  // organisation -> its contracts, pools
  Groups collaborative_edges;                        // collaborative -> edges among candidates
  // Beside each of those edges, the slots of its two ends in that collaborative.
  std::vector<std::array<std::uint32_t, 2>> collaborative_edge_slots;

  Decisions previous, current;
  // Councils' pools this year (from the collaborate stage), at pool_index[council].
  std::vector<Pool> pools;
  std::vector<std::uint32_t> pool_index;
  // Per organisation: the weights of a commissioned organisation's contracts with commissioners
  // that exist this year (agents/plan.cpp; summed again when commissioners start or end).
  std::vector<double> contract_weight;
  // The concentration of those weights, sum of squares over the square of the sum: how much of
  // a trust's contract income one commissioner's demand moves (agents/rules.cpp, outlook).
  std::vector<double> contract_concentration;
  // Per organisation: its edges to partners, NHS bodies of its own system that exist this year,
  // in neighbour order (agents/plan.cpp; rebuilt when organisations start or end).
  Groups partner_edges;
  Ledger ledger;
  SystemLedger system_ledger;
  National national;
  RuleState rules;

  std::size_t size() const { return orgs.size(); }
  std::int32_t calendar_year() const { return static_cast<std::int32_t>(params.first_year + year); }
};

// The static structure before finance and state: what loaders and generators produce.
struct Structure {
  Organisations orgs;
  Systems systems;
  Places places;
  Collaboratives collaboratives;
  RelationshipGraph graph;
};

// Purchasing levy a trust pays on its planned income each year (GBP m); it gets
// policy.purchasing_return of it back as lower costs.
inline double levy_paid(const Params& p, const World& w, std::size_t i) {
  return is_trust(w.orgs.kind[i]) ? p.purchasing_levy * w.ledger.planned_income[i] : 0.0;
}

// An organisation's base cost in this year's money (GBP m): its planned cost, except that a
// trust's plan adds its underlying position (Ledger::underlying; plan.cpp).
inline double planned_cost(const World& w, std::size_t i) {
  return w.orgs.base_cost[i] * w.national.money_scale;
}

// Cost improvement delivered this year (GBP m): full effort delivers cip_max of the own cost.
inline double improvement(const World& w, std::size_t i) {
  return w.params.cip_max * w.current.effort[i] * w.ledger.planned_cost[i];
}

// A council's pool this year (from the collaborate stage on).
inline const Pool& pool(const World& w, std::size_t council) {
  return w.pools[w.pool_index[council]];
}

// A commissioned organisation's price per unit of contract-edge weight this year: its contract
// income over the weights of its contracts with commissioners that exist (0: none; the centre
// commissions it).
inline double contract_rate(const World& w, std::size_t i) {
  const double weight = w.contract_weight[i];
  return weight > 0 ? w.ledger.contracts[i] / weight : 0.0;
}

inline bool is_active(const Organisations& o, std::size_t i, std::int64_t year) {
  return o.active_from[i] <= year && year < o.active_to[i];
}

// Brokerage capacity of a system's leader, 0-1: a sole-role leader brokers fully; one who also
// runs a CCG or a trust has less time and is less neutral (2019: 10 of 42 were sole-role).
double leader_skill(const World& w, std::size_t system);

// The world a run starts from, over a structure that a loader or generator built
// (experiments/population.hpp builds it from the parameters): the timeline's settings up to the
// first year, initial trust and state. Throws std::runtime_error on an inconsistent structure.
World make_world(const Params& params, Structure structure, std::uint64_t run = 0);

// Changes a parameter of a running world from its next year on, as a change of policy between
// years does (the Python bindings' Model.set; a scenario's timeline at a year's start). Throws
// ParamError naming the key for a value out of range, or for a parameter read only when the
// world is built (population, finance, seed, first year, initial state): changing one mid-run
// would change nothing.
void apply_setting(World& world, const ParamSpec& spec, const Value& value);

}  // namespace icsim
