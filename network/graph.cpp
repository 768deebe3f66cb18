#include "network/graph.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace icsim {

RelationshipGraph::RelationshipGraph(std::size_t nodes, EdgeList edges) : nodes_(nodes) {
  if (nodes >= 0xFFFFFFFFu) throw std::length_error("relationship graph: too many organisations");
  // Canonical (low, high) order, then merge duplicates so that each pair has one edge.
  std::vector<std::uint32_t> order(edges.size());
  std::iota(order.begin(), order.end(), 0u);
  for (std::size_t e = 0; e < edges.size(); ++e) {
    if (edges.source[e] >= nodes || edges.target[e] >= nodes)
      throw std::out_of_range("relationship graph: an edge names a missing organisation");
    if (edges.source[e] > edges.target[e]) std::swap(edges.source[e], edges.target[e]);
  }
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return std::tie(edges.source[a], edges.target[a], edges.kind[a]) <
           std::tie(edges.source[b], edges.target[b], edges.kind[b]);
  });
  const auto same_pair = [&](std::uint32_t a, std::uint32_t b) {
    return edges.source[a] == edges.source[b] && edges.target[a] == edges.target[b];
  };

  // First pass: the distinct pairs, each node's arcs and its edges to higher neighbours.
  std::vector<std::uint32_t> rowstart(nodes + 1, 0);
  first_edge_.assign(nodes + 1, 0);
  std::size_t count = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::uint32_t e = order[k];
    if (edges.source[e] == edges.target[e] || (k > 0 && same_pair(order[k - 1], e))) continue;
    ++count;
    ++rowstart[edges.source[e] + 1];
    ++rowstart[edges.target[e] + 1];
    ++first_edge_[edges.source[e] + 1];
  }
  if (2 * count >= 0xFFFFFFFFu) throw std::length_error("relationship graph: too many edges");
  std::partial_sum(rowstart.begin(), rowstart.end(), rowstart.begin());
  std::partial_sum(first_edge_.begin(), first_edge_.end(), first_edge_.begin());

  // Second pass, in canonical order: every row receives its lower neighbours (ascending, as the
  // lower ends come in order) before its higher ones (ascending too), so rows come out sorted.
  std::vector<std::uint32_t> column(2 * count), fill(rowstart.begin(), rowstart.end() - 1);
  kind_.resize(count);
  flow_.resize(count);
  std::uint32_t id = 0;
  double flow = 0;  // of the pair being merged, rounded once it is complete
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::uint32_t e = order[k];
    const auto s = edges.source[e], t = edges.target[e];
    if (s == t) continue;
    if (k > 0 && same_pair(order[k - 1], e)) {
      flow_[id - 1] = static_cast<float>(flow += edges.flow[e]);
      continue;
    }
    kind_[id] = edges.kind[e];
    flow_[id] = static_cast<float>(flow = edges.flow[e]);
    column[fill[s]++] = t;
    column[fill[t]++] = s;
    ++id;
  }
  edges = EdgeList{};
  // The CSR arrays as Boost's sorted-edges constructor would build them, moved in without copies.
  csr_.m_forward.m_rowstart = std::move(rowstart);
  csr_.m_forward.m_column = std::move(column);
}

EdgeList RelationshipGraph::edges() const {
  EdgeList list;
  list.reserve(edge_count());
  for (std::uint32_t v = 0; v < nodes_; ++v) {
    const Incidence at = incidence(v);
    const auto higher = at.higher();
    for (std::uint32_t k = 0; k < higher.size(); ++k) {
      const std::uint32_t e = at.first_higher_edge + k;
      list.add(v, higher[k], kind_[e], flow_[e]);
    }
  }
  return list;
}

}  // namespace icsim
