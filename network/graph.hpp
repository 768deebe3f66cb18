// The relationship graph between organisations: undirected edges with a kind and a flow. The
// pairs are stored once, as Boost.Graph's compressed sparse row graph (each edge in both rows),
// and edges are numbered in canonical order: by lower end, then by higher end.
#pragma once

#include <algorithm>
#include <array>
#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace icsim {

// A graph a generator cannot build from the sizes asked (what() names the parameter).
class GraphError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

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
  void reserve(std::size_t n) {
    source.reserve(n);
    target.reserve(n);
    kind.reserve(n);
    flow.reserve(n);
  }
  std::size_t size() const { return source.size(); }
};

class RelationshipGraph;

// The edges at one organisation, beside its neighbours: edge(k) joins it to neighbours[k].
// Neighbours come in ascending order, so those below it come first; the edges to those above
// it are numbered consecutively (which keeps the per-edge loops contiguous), and the edge to a
// neighbour below is found in that neighbour's row.
struct Incidence {
  const RelationshipGraph* graph;
  std::uint32_t node;
  std::span<const std::uint32_t> neighbours;
  std::uint32_t lower;              // neighbours below
  std::uint32_t first_higher_edge;  // the edge to the first neighbour above

  inline std::uint32_t edge(std::size_t k) const;
  std::span<const std::uint32_t> higher() const { return neighbours.subspan(lower); }
};

class RelationshipGraph {
 public:
  using Csr =
      boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, boost::no_property,
                                         boost::no_property, std::uint32_t, std::uint32_t>;
  RelationshipGraph() = default;
  // Builds from undirected edges; duplicate edges are merged (flows add up, the first kind in
  // kind order stays) and self edges dropped.
  RelationshipGraph(std::size_t nodes, EdgeList edges);

  std::size_t node_count() const { return nodes_; }
  std::size_t edge_count() const { return kind_.size(); }
  // Every edge in canonical order (source < target), rebuilt from the CSR arrays on each call:
  // for output and tests, not for loops that run every year.
  EdgeList edges() const;
  std::span<const EdgeKind> kinds() const { return kind_; }
  // Flows in double precision: a contract edge's flow weighs the money it carries
  // (agents/plan.cpp), and money is counted to a relative 1e-12.
  std::span<const double> flows() const { return flow_; }
  const Csr& csr() const { return csr_; }

  // Neighbours of v in ascending order: a view straight into the CSR arrays.
  std::span<const std::uint32_t> neighbours(std::uint32_t v) const {
    const auto& f = csr_.m_forward;
    return {f.m_column.data() + f.m_rowstart[v], f.m_column.data() + f.m_rowstart[v + 1]};
  }
  std::size_t degree(std::uint32_t v) const {
    return csr_.m_forward.m_rowstart[v + 1] - csr_.m_forward.m_rowstart[v];
  }
  Incidence incidence(std::uint32_t v) const {
    return {this, v, neighbours(v), lower_degree(v), first_edge_[v]};
  }
  // The edge joining u and a higher neighbour v (which must be one): found in u's sorted row.
  std::uint32_t edge_between(std::uint32_t u, std::uint32_t v) const {
    const auto row = neighbours(u).subspan(lower_degree(u));
    return first_edge_[u] +
           static_cast<std::uint32_t>(std::lower_bound(row.begin(), row.end(), v) - row.begin());
  }

 private:
  std::size_t nodes_ = 0;
  Csr csr_;
  // Neighbours of v below it: its arcs less its edges to higher neighbours.
  std::uint32_t lower_degree(std::uint32_t v) const {
    return static_cast<std::uint32_t>(degree(v)) - (first_edge_[v + 1] - first_edge_[v]);
  }

  std::vector<std::uint32_t> first_edge_{0};  // per node and one past: edges with lower end < v
  std::vector<EdgeKind> kind_;
  std::vector<double> flow_;
};

std::uint32_t Incidence::edge(std::size_t k) const {
  return k < lower ? graph->edge_between(neighbours[k], node)
                   : first_higher_edge + static_cast<std::uint32_t>(k - lower);
}

}  // namespace icsim
