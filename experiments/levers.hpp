// What each policy lever does: the lever table (every `policy.*` parameter, the scenario where
// it is live, the behavioural outcome it should move, the expected direction and the mechanism,
// as docs/model.md lists them) and `icsim levers`, which measures each lever's effect between
// the ends of its range with paired seeds.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "agents/parameters.hpp"

namespace icsim {

// Behavioural outcomes a lever's own money does not move mechanically (national metrics, mean
// over the run's years); the lever table documents one of them for each lever, and every one of
// them must move with some lever (a metric constant across the table says nothing).
inline const std::vector<std::string>& lever_outcomes() {
  static const std::vector<std::string> names{
      "systems_met",           "stake_above_floor",
      "mean_effort",           "trusts_accepting",
      "collaborative_members", "trusts_in_deficit_before_support",
      "councils_pooling",      "commissioners_overspending",
      "integration_index",     "in_name_only",
      "collaboratives",        "mean_trust"};
  return names;
}

struct Lever {
  std::string name;                   // registry name, policy.*
  std::string scenario;               // shipped scenario where it is live
  std::vector<std::string> settings;  // key=value added to make it live there
  std::string low, high;              // the ends of its range compared
  std::string outcome;                // the outcome it should move (lever_outcomes())
  int sign = 0;                       // +1: the outcome rises from low to high; -1: falls
  std::string mechanism;              // why, in one line
};

// One entry per policy.* parameter of the registry (a test checks there are no others).
const std::vector<Lever>& lever_table();

struct Effect {
  double mean = 0, se = 0;  // of the paired difference high - low over replications
};
struct LeverResult {
  const Lever* lever = nullptr;
  std::vector<double> low, high;  // per outcome: mean over replications at each end
  std::vector<Effect> effect;     // per outcome
  bool live = true;               // the lever's own settings apply in this scenario
};

struct PosteriorDraws;

// Runs the lever at both ends of its range, `replications` paired seeds each, on `base` (the
// lever's own settings applied on top), and measures every outcome. Runs in parallel; the result
// does not depend on the number of threads. With `posterior`, replication r draws its parameters
// from it (draw r of base.seed, the same particle at both ends: paired), except the lever itself
// and the parameters its own settings name, which keep their values.
LeverResult measure_lever(const Lever& lever, const Params& base, int replications,
                          const PosteriorDraws* posterior = nullptr);
LeverResult measure_lever(const Lever& lever, int replications);  // on its live scenario

struct LeversCommand {
  std::string scenario;  // empty: each lever on its live scenario
  int replications = 8;
  std::int64_t years = 0;  // 0: the scenario's
  std::vector<std::string> only;
  bool quiet = false;
  std::string posterior;    // a posterior file of icsim calibrate: each replication draws from it
  std::uint64_t draws = 0;  // with posterior: the number of draws (paired replications)
};
int command_levers(const LeversCommand& command, std::ostream& out, std::ostream& err);

}  // namespace icsim
