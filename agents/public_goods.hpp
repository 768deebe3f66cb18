// The spatial public goods game (Szolnoki, Perc & Szabo 2009, Phys Rev E 80, 056109) on any
// graph: groups are closed neighbourhoods, Fermi imitation, random sequential updates.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "network/graph.hpp"

namespace icsim {

struct GameRules {
  double r = 4.0;      // multiplies each group's contributions (game.r)
  double cost = 1.0;   // a cooperator's contribution to each of its groups (game.cost)
  double noise = 0.5;  // Fermi noise K (game.noise)
};

// Probability that a player with payoff `own` adopts the strategy of one with payoff `other`.
inline double adoption_probability(double own, double other, double noise) {
  return 1.0 / (1.0 + std::exp((own - other) / noise));
}

// Players are the graph's nodes; player g's group is g with its neighbours, so a player of
// degree k is in k + 1 groups. The game keeps, per group, how many of its members cooperate
// (updated when a player switches), so a payoff is a sum over the player's k + 1 groups and an
// elementary update costs O(degree) with no allocation. The graph must outlive the game.
class PublicGoodsGame {
 public:
  // Each player starts a cooperator with probability `initial_cooperators`, drawn from `key`.
  PublicGoodsGame(const RelationshipGraph& graph, const GameRules& rules, std::uint64_t key,
                  double initial_cooperators);
  // Starts from given strategies (1 = cooperate), one per node.
  PublicGoodsGame(const RelationshipGraph& graph, const GameRules& rules, std::uint64_t key,
                  std::span<const std::uint8_t> cooperates);

  // One Monte Carlo step: N elementary updates. Update i of step t draws words 2i and 2i+1 of a
  // SplitMix64 stream that Philox seeds at (key, t), so a run is a pure function of the key.
  // Number steps from 1 (step 0 holds the initial draws).
  void monte_carlo_step(std::uint32_t step);
  // Steps first..last (inclusive), stopping after a step that ends absorbed; the last step run.
  std::uint32_t run(std::uint32_t first, std::uint32_t last);

  // Sum over the player's groups of r * cost * (cooperators in it) / (its size), less its
  // contributions (cost per group) if it cooperates: computed afresh from the current state.
  double payoff(std::uint32_t player) const;
  bool cooperates(std::uint32_t player) const { return strategy_[player] != 0; }
  std::span<const std::uint8_t> strategies() const { return strategy_; }
  std::uint32_t size() const { return nodes_; }
  std::uint32_t cooperators() const { return cooperators_; }
  double cooperator_fraction() const { return static_cast<double>(cooperators_) / nodes_; }
  // All cooperators or none: no update can change either.
  bool absorbed() const { return cooperators_ == 0 || cooperators_ == nodes_; }

 private:
  void start(std::span<const std::uint8_t> cooperates);
  void set(std::uint32_t player, std::uint8_t cooperate);
  void general_updates(std::uint64_t seed);
  void regular_updates(std::uint64_t seed);

  const std::uint32_t* rowstart_;  // the graph's CSR arrays: neighbours of v are
  const std::uint32_t* column_;    // column_[rowstart_[v] .. rowstart_[v + 1])
  std::uint32_t nodes_;
  std::uint64_t key_;
  double inverse_noise_;
  std::vector<std::uint8_t> strategy_;
  std::vector<std::int32_t> group_cooperators_;  // per group (indexed by its centre)
  std::vector<double> share_;                    // per group: r * cost / (group size)
  std::vector<double> contribution_;             // per player: cost * (groups it is in)
  std::uint32_t degree_ = 0;                     // the degree if all are equal, in [1, 64]; else 0
  std::vector<double> adoption_factor_;  // regular graphs: 1 + exp(difference / K), by difference
  std::uint32_t cooperators_ = 0;
};

}  // namespace icsim
