// The relationship graph between organisations: undirected edges with a kind, a flow and a
// trust level, stored as Boost.Graph's compressed sparse row graph (both directions of an edge
// point at one edge record).
#pragma once

#include <array>
#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace icsim {

enum class EdgeKind : std::uint8_t { contract, referral, partnership };
inline constexpr std::array<std::string_view, 3> edge_kind_names{"contract", "referral",
                                                                 "partnership"};

struct EdgeList {
  std::vector<std::uint32_t> source, target;
  std::vector<EdgeKind> kind;
  std::vector<double> flow;  // GBP m per year passing along the edge

  void add(std::uint32_t s, std::uint32_t t, EdgeKind k, double f) {
    source.push_back(s);
    target.push_back(t);
    kind.push_back(k);
    flow.push_back(f);
  }
  std::size_t size() const { return source.size(); }
};

struct EdgeRef {
  std::uint32_t id;
};

class RelationshipGraph {
 public:
  using Csr = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, EdgeRef,
                                                 boost::no_property, std::uint32_t, std::uint32_t>;
  RelationshipGraph() = default;
  // Builds from undirected edges; duplicate and self edges are merged or dropped (flows add up).
  RelationshipGraph(std::size_t nodes, EdgeList edges);

  std::size_t node_count() const { return nodes_; }
  std::size_t edge_count() const { return edges_.size(); }
  const EdgeList& edges() const { return edges_; }
  const Csr& csr() const { return csr_; }

  // Neighbours of v, and beside them (same positions) the edges joining them: views straight
  // into the CSR arrays, so the hot loops read contiguous memory and nothing is stored twice.
  std::span<const std::uint32_t> neighbours(std::uint32_t v) const {
    const auto& f = csr_.m_forward;
    return {f.m_column.data() + f.m_rowstart[v], f.m_column.data() + f.m_rowstart[v + 1]};
  }
  std::span<const EdgeRef> neighbour_edges(std::uint32_t v) const {
    const auto& f = csr_.m_forward;
    const std::uint32_t begin = f.m_rowstart[v], end = f.m_rowstart[v + 1];
    if (begin == end) return {};
    const EdgeRef* first = &csr_[boost::detail::csr_edge_descriptor<std::uint32_t, std::uint32_t>(
        v, begin)];
    return {first, end - begin};
  }
  std::size_t degree(std::uint32_t v) const {
    return csr_.m_forward.m_rowstart[v + 1] - csr_.m_forward.m_rowstart[v];
  }

 private:
  std::size_t nodes_ = 0;
  EdgeList edges_;
  Csr csr_;
};

}  // namespace icsim
