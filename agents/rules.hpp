// Decision rules: how an organisation chooses whether to accept its control total, its stake
// on the system total and its cost-improvement effort. One function per rule, picked once per
// kind from the scenario (a table of functions, not a virtual call per agent).
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "agents/random.hpp"
#include "agents/world.hpp"

namespace icsim {

struct Choice {
  std::uint8_t accepted;
  double stake;
  double effort;
};

// What every rule may read while deciding: the decisions visible to it (last year's under
// synchronous activation) and per-system and per-collaborative figures computed once.
struct DecideContext {
  const World& world;
  const Decisions& view;
  std::vector<double> system_staked;   // sum of stake x allocation last year
  std::vector<double> collab_members;  // members last year
  std::vector<double> collab_trust;    // mean trust among last year's members
  // Correlation of an organisation's outcome with its system's (own and common shocks).
  double system_correlation = 0;
};

// The discrete action grid shared by the rules: stake levels from the floor to 1, efforts 0-1.
inline double stake_level(int action, double floor) {
  return floor + (1.0 - floor) * double(action / effort_levels) / (stake_levels - 1);
}
inline double effort_level(int action) {
  return double(action % effort_levels) / (effort_levels - 1);
}
inline int nearest_action(double stake, double effort, double floor) {
  const int si =
      floor >= 1.0 ? 0 : int(std::lround((stake - floor) / (1.0 - floor) * (stake_levels - 1)));
  const int ei = int(std::lround(effort * (effort_levels - 1)));
  return std::clamp(si, 0, stake_levels - 1) * effort_levels + std::clamp(ei, 0, effort_levels - 1);
}

inline double normal_cdf(double x) {
  return 0.5 * std::erfc(-x * 0.70710678118654752440);
}

// An organisation's outlook on its own control total: the expected margin over it at zero
// effort, what full effort adds, and the spread of the outcome (GBP m).
struct Outlook {
  double margin0, slope, sigma;
  double p_meet(double effort) const { return normal_cdf((margin0 + slope * effort) / sigma); }
};
Outlook outlook(const World& w, std::size_t i);

// The least stake this organisation may choose (the policy floor, lifted by earned autonomy).
double stake_floor(const World& w, std::size_t i);
// Whether the organisation believes its control total attainable at full effort.
bool accepts(const World& w, std::size_t i);
// Mean trust on the edges of an organisation holding a control total to its partners (those in
// its own system holding one too); the initial trust if it has none.
double partner_trust(const World& w, std::size_t i);

Choice choose_expected_utility(const DecideContext& ctx, std::size_t i, Random& rng);
Choice choose_imitation(const DecideContext& ctx, std::size_t i, Random& rng);
Choice choose_learning(const DecideContext& ctx, std::size_t i, Random& rng);
Choice choose_threshold(const DecideContext& ctx, std::size_t i, Random& rng);

using ChooseFn = Choice (*)(const DecideContext&, std::size_t, Random&);
ChooseFn rule_function(Rule rule);

// Realised payoff per pound of cost of action (stake, effort) given this year's outcome for
// everyone else: what the organisation got, or would have got (EWA's forgone payoffs).
double payoff(const World& w, std::size_t i, double stake, double effort);

}  // namespace icsim
