// Watts's threshold model of global cascades (Watts 2002, PNAS 99:5766): a node becomes
// active, for good, once the share of its active neighbours reaches its threshold.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "network/graph.hpp"

namespace icsim {

// Cascade state over a graph (which must outlive it). Activation is monotone, so the quiescent
// state reached from a set of seeds does not depend on the order nodes are examined in; each
// node and edge is visited at most once per activation, so a cascade costs O(nodes + edges).
// Isolated nodes have no share of active neighbours and activate only as seeds.
class ThresholdCascade {
 public:
  ThresholdCascade(const RelationshipGraph& graph, double threshold);

  // Activates the seeds and spreads to quiescence; returns how many nodes are active.
  std::uint32_t activate(std::span<const std::uint32_t> seeds);

  bool active(std::uint32_t node) const { return active_[node] != 0; }
  std::span<const std::uint8_t> states() const { return active_; }
  std::uint32_t active_count() const { return active_count_; }
  double active_share() const { return static_cast<double>(active_count_) / nodes_; }

 private:
  void mark(std::uint32_t node);
  void spread();

  const std::uint32_t* rowstart_;
  const std::uint32_t* column_;
  std::uint32_t nodes_;
  double threshold_;
  std::vector<std::uint8_t> active_;
  std::vector<std::uint32_t> active_neighbours_;
  std::vector<std::uint32_t> frontier_;  // activated, neighbours not yet told
  std::uint32_t active_count_ = 0;
};

// `count` distinct nodes drawn uniformly from (key, realisation) (Floyd's sampling).
std::vector<std::uint32_t> draw_seeds(std::uint32_t nodes, std::uint32_t count, std::uint64_t key,
                                      std::uint32_t realisation);

}  // namespace icsim
