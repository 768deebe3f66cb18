#include "agents/threshold_cascade.hpp"

#include <algorithm>
#include <stdexcept>

#include "network/random.hpp"

namespace icsim {

ThresholdCascade::ThresholdCascade(const RelationshipGraph& graph, double threshold)
    : rowstart_(graph.csr().m_forward.m_rowstart.data()),
      column_(graph.csr().m_forward.m_column.data()),
      nodes_(static_cast<std::uint32_t>(graph.node_count())),
      threshold_(threshold),
      active_(nodes_),
      active_neighbours_(nodes_) {
  // A share of 0 already reaches a threshold of 0: every node with neighbours starts active.
  if (threshold_ <= 0.0)
    for (std::uint32_t v = 0; v < nodes_; ++v)
      if (rowstart_[v + 1] > rowstart_[v]) mark(v);
  spread();
}

void ThresholdCascade::mark(std::uint32_t node) {
  active_[node] = 1;
  ++active_count_;
  frontier_.push_back(node);
}

std::uint32_t ThresholdCascade::activate(std::span<const std::uint32_t> seeds) {
  for (const std::uint32_t s : seeds) {
    if (s >= nodes_) throw std::out_of_range("threshold cascade: seed beyond the graph");
    if (!active_[s]) mark(s);
  }
  spread();
  return active_count_;
}

void ThresholdCascade::spread() {
  while (!frontier_.empty()) {
    const std::uint32_t u = frontier_.back();
    frontier_.pop_back();
    for (std::uint32_t e = rowstart_[u]; e < rowstart_[u + 1]; ++e) {
      const std::uint32_t w = column_[e];
      const std::uint32_t degree = rowstart_[w + 1] - rowstart_[w];
      const double share = static_cast<double>(++active_neighbours_[w]) / degree;
      if (!active_[w] && share >= threshold_) mark(w);
    }
  }
}

std::vector<std::uint32_t> draw_seeds(std::uint32_t nodes, std::uint32_t count, std::uint64_t key,
                                      std::uint32_t realisation) {
  count = std::min(count, nodes);
  Random rng(key, realisation, 0, Purpose::game);
  std::vector<std::uint32_t> seeds;
  seeds.reserve(count);
  std::vector<std::uint8_t> taken(count ? nodes : 0);
  // Floyd: for j = n-k .. n-1 take a uniform t <= j, or j itself if t is taken already.
  for (std::uint32_t j = nodes - count; j < nodes; ++j) {
    std::uint32_t t = rng.below(j + 1);
    if (taken[t]) t = j;
    taken[t] = 1;
    seeds.push_back(t);
  }
  return seeds;
}

}  // namespace icsim
