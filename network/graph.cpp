#include "network/graph.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace icsim {

namespace {
// An edge in canonical order: its pair (low end in the high word), then its kind, then its place
// in the input, so that duplicates merge in input order. Sorted as contiguous 16-byte keys, by
// lower end first in linear time: at millions of edges an n log n sort through indices into the
// input dominated the build.
struct EdgeKey {
  std::uint64_t pair;
  std::uint32_t index;
  EdgeKind kind;

  std::uint32_t low() const { return static_cast<std::uint32_t>(pair >> 32); }
  std::uint32_t high() const { return static_cast<std::uint32_t>(pair); }
  bool operator<(const EdgeKey& o) const {
    return std::tie(pair, kind, index) < std::tie(o.pair, o.kind, o.index);
  }
};
}  // namespace

RelationshipGraph::RelationshipGraph(std::size_t nodes, EdgeList edges) : nodes_(nodes) {
  if (nodes >= 0xFFFFFFFFu) throw std::length_error("relationship graph: too many organisations");
  if (edges.size() >= 0xFFFFFFFFu) throw std::length_error("relationship graph: too many edges");
  // Canonical (low, high) order, without self edges, then duplicates merged: one edge a pair.
  std::vector<EdgeKey> keys;
  keys.reserve(edges.size());
  for (std::size_t e = 0; e < edges.size(); ++e) {
    const auto s = edges.source[e], t = edges.target[e];
    if (s >= nodes || t >= nodes)
      throw std::out_of_range("relationship graph: an edge names a missing organisation");
    if (s == t) continue;
    keys.push_back({(std::uint64_t{std::min(s, t)} << 32) | std::max(s, t),
                    static_cast<std::uint32_t>(e), edges.kind[e]});
  }
  std::vector<std::uint32_t>().swap(edges.source);
  std::vector<std::uint32_t>().swap(edges.target);
  std::vector<EdgeKind>().swap(edges.kind);
  {  // By lower end (a counting sort, linear), then each end's few edges by the rest of the key.
    std::vector<std::uint32_t> start(nodes + 1, 0);
    for (const auto& key : keys) ++start[key.low() + 1];
    std::partial_sum(start.begin(), start.end(), start.begin());
    std::vector<EdgeKey> by_low(keys.size());
    std::vector<std::uint32_t> cursor(start.begin(), start.end() - 1);
    for (const auto& key : keys) by_low[cursor[key.low()]++] = key;
    keys = std::move(by_low);
    for (std::size_t v = 0; v < nodes; ++v)
      std::sort(keys.begin() + start[v], keys.begin() + start[v + 1]);
  }

  // First pass: the distinct pairs, each node's arcs and its edges to higher neighbours.
  std::vector<std::uint32_t> rowstart(nodes + 1, 0);
  first_edge_.assign(nodes + 1, 0);
  std::size_t count = 0;
  for (std::size_t k = 0; k < keys.size(); ++k) {
    if (k > 0 && keys[k - 1].pair == keys[k].pair) continue;
    ++count;
    ++rowstart[keys[k].low() + 1];
    ++rowstart[keys[k].high() + 1];
    ++first_edge_[keys[k].low() + 1];
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
  double flow = 0;  // of the pair being merged
  for (std::size_t k = 0; k < keys.size(); ++k) {
    const EdgeKey& key = keys[k];
    if (k > 0 && keys[k - 1].pair == key.pair) {
      flow_[id - 1] = flow += edges.flow[key.index];
      continue;
    }
    kind_[id] = key.kind;
    flow_[id] = flow = edges.flow[key.index];
    column[fill[key.low()]++] = key.high();
    column[fill[key.high()]++] = key.low();
    ++id;
  }
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
