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

// Two short lists per organisation in one flat array: its candidate slots in collaboratives,
// then the edges to its partners (organisations of its own system that hold control totals) in
// neighbour order. One offset an organisation serves both.
struct OrgLinks {
  std::vector<std::uint32_t> offsets{0};
  std::vector<std::uint8_t> slot_count;
  std::vector<std::uint32_t> items;

  std::span<const std::uint32_t> slots(std::size_t i) const {
    return {items.data() + offsets[i], slot_count[i]};
  }
  std::span<const std::uint32_t> partner_edges(std::size_t i) const {
    return {items.data() + offsets[i] + slot_count[i], items.data() + offsets[i + 1]};
  }
};

// Static attributes of organisations; money in GBP m per year.
struct Organisations {
  std::vector<std::string> code, name;
  std::vector<Kind> kind;
  std::vector<std::int32_t> system, place;
  std::vector<double> population;     // patients or residents served
  std::vector<double> income;         // planned income
  std::vector<double> base_cost;      // planned cost before improvement and shocks
  std::vector<double> duty;           // strength of the statutory break-even duty, 0-1
  std::vector<double> capacity;       // memberships carried before overhead grows fast
  std::vector<double> risk_aversion;  // mean-variance coefficient
  std::vector<double> threshold;      // threshold rule: share of pooling neighbours needed

  std::size_t size() const { return code.size(); }
};

enum class LeaderRole : std::uint8_t { sole, commissioner, trust, other };

struct Systems {
  std::vector<std::string> code, name, region;
  std::vector<LeaderRole> leader_role;
  Groups members;  // organisations whose system this is
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
  std::vector<double> stake;           // share of support staked on the system total
  std::vector<double> effort;          // cost-improvement effort, 0-1
  std::vector<std::uint8_t> member;    // per collaborative candidate slot
  std::vector<std::uint8_t> formal;    // per collaborative: formal this year
};

// What happened to each organisation this year (GBP m unless noted).
struct Ledger {
  std::vector<double> control_total, allocation, collab_savings, overhead, cost_shock, surplus,
      support_paid, penalty, balance, writeoff, bailout, utility;
  std::vector<double> shock;  // own cost shock this year, fraction of cost (before sharing)
  std::vector<std::uint8_t> met, memberships;
};

struct SystemLedger {
  std::vector<double> control_total, surplus, cost, allocated, staked, paid, returned, mean_trust,
      mean_effort, stake_share, integration_index;
  std::vector<std::uint8_t> met, accepted, autonomous, in_name_only;
  std::vector<std::int32_t> years_on_target, collaboratives;
};

struct National {
  double support_pot = 0, support_paid = 0, support_returned = 0, bailout_paid = 0, writeoff = 0;
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
  OrgLinks links;                                    // organisation -> its slots, partners
  Groups collaborative_edges;                        // collaborative -> edges among candidates
  // Beside each of those edges, the slots of its two ends in that collaborative.
  std::vector<std::array<std::uint32_t, 2>> collaborative_edge_slots;

  Decisions previous, current;
  Ledger ledger;
  SystemLedger system_ledger;
  National national;
  RuleState rules;

  std::size_t size() const { return orgs.size(); }
};

// The static structure before finance and state: what loaders and generators produce.
struct Structure {
  Organisations orgs;
  Systems systems;
  Places places;
  Collaboratives collaboratives;
  RelationshipGraph graph;
};

// Purchasing levy a trust pays on its income each year (GBP m); part comes back as savings.
inline double levy_paid(const Params& p, const Organisations& o, std::size_t i) {
  return is_trust(o.kind[i]) ? p.purchasing_levy * o.income[i] : 0.0;
}

// Cost improvement delivered this year (GBP m): full effort delivers cip_max of the cost base.
inline double improvement(const World& w, std::size_t i) {
  return w.params.cip_max * w.current.effort[i] * w.orgs.base_cost[i];
}

// Brokerage capacity of a system's leader, 0-1: a sole-role leader brokers fully; one who also
// runs a CCG or a trust has less time and is less neutral (2019: 10 of 42 were sole-role).
double leader_skill(const World& w, std::size_t system);

// Builds a run's world from the parameters: the population they name (England by default),
// synthesised finance and initial state. Throws std::runtime_error on inconsistent data.
// England's structure is built once for a set of structure parameters and copied after that,
// so that the runs of a sweep do not each parse the population's files.
World make_world(const Params& params, std::uint64_t run = 0);
// Whether two sets of parameters give the same structure: they agree on every parameter that
// the loaders, the synthetic generator and the synthesised finance read.
bool same_structure(const Params& a, const Params& b);
// Initial state over an existing structure (used by make_world and by tests).
World make_world(const Params& params, Structure structure, std::uint64_t run = 0);

// Changes a parameter of a running world from its next year on, as a change of policy between
// years does (the Python bindings' Model.set; a scenario's timeline at a year's start). Throws
// ParamError naming the key for a value out of range, or for a parameter read only when the
// world is built (population, finance, seed, first year, initial state): changing one mid-run
// would change nothing.
void apply_setting(World& world, const ParamSpec& spec, const Value& value);

}  // namespace icsim
