#include "network/graph.hpp"

#include <algorithm>
#include <numeric>
#include <utility>

namespace icsim {

RelationshipGraph::RelationshipGraph(std::size_t nodes, EdgeList edges) : nodes_(nodes) {
  // Canonical (low, high) order, then merge duplicates so each pair has one edge record.
  std::vector<std::uint32_t> order(edges.size());
  std::iota(order.begin(), order.end(), 0u);
  for (std::size_t e = 0; e < edges.size(); ++e)
    if (edges.source[e] > edges.target[e]) std::swap(edges.source[e], edges.target[e]);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return std::tie(edges.source[a], edges.target[a], edges.kind[a]) <
           std::tie(edges.source[b], edges.target[b], edges.kind[b]);
  });
  for (const std::uint32_t e : order) {
    const auto s = edges.source[e], t = edges.target[e];
    if (s == t) continue;
    const std::size_t last = edges_.size();
    if (last > 0 && edges_.source[last - 1] == s && edges_.target[last - 1] == t) {
      edges_.flow[last - 1] += edges.flow[e];
      continue;
    }
    edges_.add(s, t, edges.kind[e], edges.flow[e]);
  }

  std::vector<std::pair<std::uint32_t, std::uint32_t>> arcs;
  std::vector<EdgeRef> refs;
  arcs.reserve(2 * edges_.size());
  refs.reserve(2 * edges_.size());
  for (std::uint32_t e = 0; e < edges_.size(); ++e) {
    arcs.emplace_back(edges_.source[e], edges_.target[e]);
    arcs.emplace_back(edges_.target[e], edges_.source[e]);
    refs.push_back({e});
    refs.push_back({e});
  }
  csr_ = Csr(boost::edges_are_unsorted_multi_pass, arcs.begin(), arcs.end(), refs.begin(),
             static_cast<std::uint32_t>(nodes));

}

}  // namespace icsim
