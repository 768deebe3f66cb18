// Decision rules: how an organisation chooses its stake on the system total and its
// cost-improvement effort, once it has decided whether to accept its control total (the same
// test for every rule, accepts()). One function per rule, picked once per kind from the
// scenario (a table of functions, not a virtual call per agent). Councils choose the share of
// their budget they pool (choose_pooling).
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "agents/world.hpp"
#include "network/random.hpp"

namespace icsim {

struct Choice {
  double stake;
  double effort;
};

// What every rule may read while deciding: the decisions visible to it (last year's under
// synchronous activation), this year's acceptance, and per-system and per-collaborative figures
// computed once.
struct DecideContext {
  const World& world;
  const Decisions& view;
  std::vector<double> system_staked;   // sum of stake x allocation in view
  std::vector<double> system_effort;   // mean effort of the system's NHS bodies in view
  std::vector<double> collab_members;  // members in view
  std::vector<double> collab_trust;    // mean trust among members in view
  double system_correlation = 0;       // of an organisation's outcome with its system's
};

// The discrete action grid shared by the rules: stakes from the floor to the top (1 where the
// organisation may pool above the floor, the floor otherwise), efforts 0-1.
inline double stake_level(int action, double floor, double top) {
  return floor + (top - floor) * double(action / effort_levels) / (stake_levels - 1);
}
inline double effort_level(int action) {
  return double(action % effort_levels) / (effort_levels - 1);
}
inline int nearest_action(double stake, double effort, double floor, double top) {
  const int si =
      top <= floor ? 0 : int(std::lround((stake - floor) / (top - floor) * (stake_levels - 1)));
  const int ei = int(std::lround(effort * (effort_levels - 1)));
  return std::clamp(si, 0, stake_levels - 1) * effort_levels + std::clamp(ei, 0, effort_levels - 1);
}

inline double normal_cdf(double x) {
  return 0.5 * std::erfc(-x * 0.70710678118654752440);
}

// An organisation's outlook on its own control total: the expected margin over it at zero
// effort, what full effort adds, and the spread of the outcome (GBP m), from this year's plan
// and last year's savings and shock.
struct Outlook {
  double margin0, slope, sigma;
  double landing = 0;  // the shortfall year-end measures could close (behaviour.year_end_measures)
  double p_meet(double effort) const {
    return normal_cdf((margin0 + landing + slope * effort) / sigma);
  }
};
Outlook outlook(const World& w, std::size_t i);

// The least stake this organisation may choose (the policy floor, lifted by earned autonomy).
double stake_floor(const World& w, std::size_t i);
// The most: 1 where the organisation accepted its control total and its system is an ICS that
// accepted a system control total this year, else the floor.
double stake_top(const World& w, std::size_t i);
// Regulatory pressure from a cumulative deficit: debt_pressure x deficit / own cost.
double debt_pressure(const World& w, std::size_t i);
// The improvement of its control total (GBP m) a trust that accepted it agrees in year, at the
// effort it chose, where the PSF bonus pays on agreed improvements (policy.incentive_basis =
// "agreed"; England 2016/17-2018/19, £1 then £2 a pound: HSJ 2016, 2018): the best of a grid of
// none to 3% of cost, trading the bonus against the support and failure cost that ride on the
// raised total. 0 otherwise.
double agreed_raise(const World& w, std::size_t i, double effort);
// Whether a trust accepts its control total (a participation constraint): the best it expects
// over the effort grid having accepted (the support on offer and the bonus as its chance of
// meeting the total gives them, less the expected cost of missing it, plus the own balance's
// gain from the effort less the effort's cost) against the best having refused (the own balance
// alone, less the cost of refusing); regulatory pressure from a cumulative deficit scales the
// cost of failing and of refusing alike. Commissioners' totals are statutory: always. This is
// the choice without noise; the decision itself (the overload with a Random) is a logit choice
// between the two at the temperature of the other choices, behaviour.logit_noise times the
// support on offer (at least 1% of cost).
bool accepts(const World& w, std::size_t i);
bool accepts(const World& w, std::size_t i, Random& rng);
// Mean trust on the edges of an organisation holding a control total to its partners (those in
// its own system holding one too); the initial trust if it has none.
double partner_trust(const World& w, std::size_t i);

Choice choose_expected_utility(const DecideContext& ctx, std::size_t i, Random& rng);
Choice choose_imitation(const DecideContext& ctx, std::size_t i, Random& rng);
Choice choose_learning(const DecideContext& ctx, std::size_t i, Random& rng);
Choice choose_threshold(const DecideContext& ctx, std::size_t i, Random& rng);
// A council's pooled share of its budget (in the stake column).
double choose_pooling(const DecideContext& ctx, std::size_t i, Random& rng);

using ChooseFn = Choice (*)(const DecideContext&, std::size_t, Random&);
ChooseFn rule_function(Rule rule);

// Realised payoff per pound of cost of action (stake, effort) given this year's outcome for
// everyone else: what the organisation got, or would have got (EWA's forgone payoffs).
double payoff(const World& w, std::size_t i, double stake, double effort);

}  // namespace icsim
