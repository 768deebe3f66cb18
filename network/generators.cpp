#include "network/generators.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>

#include "network/edge_list.hpp"
#include "network/random.hpp"

namespace icsim {
namespace {

void add_edge(EdgeList& edges, std::uint32_t a, std::uint32_t b) {
  edges.add(a, b, EdgeKind::partnership, 0.0);
}

// Uniform on {0, ..., n-1} for n beyond 32 bits (53-bit resolution is ample for graph sizes).
std::uint64_t below64(Random& rng, std::uint64_t n) {
  return std::min(n - 1, static_cast<std::uint64_t>(rng.uniform() * static_cast<double>(n)));
}

std::uint64_t pair_key(std::uint32_t a, std::uint32_t b) {
  return a < b ? (std::uint64_t{a} << 32) | b : (std::uint64_t{b} << 32) | a;
}

}  // namespace

RelationshipGraph make_lattice(std::uint32_t side) {
  if (side < 3 || side > 65535)
    throw GraphError("key 'network.size': a lattice side must be in [3, 65535] (got " +
                     std::to_string(side) + ")");
  const std::uint32_t n = side * side;
  EdgeList edges;
  edges.source.reserve(2 * std::size_t{n});
  edges.target.reserve(2 * std::size_t{n});
  edges.kind.reserve(2 * std::size_t{n});
  edges.flow.reserve(2 * std::size_t{n});
  for (std::uint32_t y = 0; y < side; ++y)
    for (std::uint32_t x = 0; x < side; ++x) {
      const std::uint32_t v = y * side + x;
      add_edge(edges, v, y * side + (x + 1) % side);    // right
      add_edge(edges, v, ((y + 1) % side) * side + x);  // down
    }
  return RelationshipGraph(n, std::move(edges));
}

RelationshipGraph make_erdos_renyi(std::uint32_t nodes, double mean_degree, std::uint64_t key,
                                   std::uint32_t realisation) {
  EdgeList edges;
  const double p = nodes > 1 ? mean_degree / (nodes - 1.0) : 0.0;
  if (p >= 1.0) {
    for (std::uint32_t v = 1; v < nodes; ++v)
      for (std::uint32_t w = 0; w < v; ++w) add_edge(edges, v, w);
  } else if (p > 0.0) {
    // Walk the lower triangle (v, w < v) row by row, jumping a geometric number of absent pairs.
    Random rng(key, realisation, 0, Purpose::network);
    const double log_q = std::log1p(-p);
    std::int64_t v = 1, w = -1;
    const auto n = static_cast<std::int64_t>(nodes);
    while (v < n) {
      const double skip = std::floor(std::log(rng.uniform_open()) / log_q);
      if (skip > 9.0e18 - static_cast<double>(w)) break;  // past the last pair
      w += 1 + static_cast<std::int64_t>(skip);
      while (w >= v && v < n) {
        w -= v;
        ++v;
      }
      if (v < n) add_edge(edges, static_cast<std::uint32_t>(v), static_cast<std::uint32_t>(w));
    }
  }
  return RelationshipGraph(nodes, std::move(edges));
}

RelationshipGraph make_barabasi_albert(std::uint32_t nodes, double mean_degree, std::uint64_t key,
                                       std::uint32_t realisation) {
  const auto m = static_cast<std::uint32_t>(std::max(1.0, std::round(mean_degree / 2.0)));
  if (nodes <= m)
    throw GraphError("key 'network.size': Barabasi-Albert with " + std::to_string(m) +
                     " edges per new node needs more than " + std::to_string(m) + " nodes");
  EdgeList edges;
  // Every edge's two ends, so a uniform pick from it is a pick proportional to degree.
  std::vector<std::uint32_t> ends;
  ends.reserve(2 * (std::size_t{m} * (m + 1) / 2 + std::size_t{nodes - m - 1} * m));
  for (std::uint32_t v = 1; v <= m; ++v)
    for (std::uint32_t w = 0; w < v; ++w) {
      add_edge(edges, v, w);
      ends.push_back(v);
      ends.push_back(w);
    }
  Random rng(key, realisation, 0, Purpose::network);
  std::vector<std::uint32_t> chosen;
  chosen.reserve(m);
  for (std::uint32_t v = m + 1; v < nodes; ++v) {
    chosen.clear();
    while (chosen.size() < m) {  // m distinct targets; m is small, so a linear check is cheap
      const std::uint32_t t = ends[below64(rng, ends.size())];
      if (std::find(chosen.begin(), chosen.end(), t) == chosen.end()) chosen.push_back(t);
    }
    for (const std::uint32_t t : chosen) {
      add_edge(edges, v, t);
      ends.push_back(v);
      ends.push_back(t);
    }
  }
  return RelationshipGraph(nodes, std::move(edges));
}

RelationshipGraph make_watts_strogatz(std::uint32_t nodes, double mean_degree, double rewire,
                                      std::uint64_t key, std::uint32_t realisation) {
  const auto half = static_cast<std::uint32_t>(std::max(1.0, std::floor(mean_degree / 2.0)));
  if (nodes <= 2 * half)
    throw GraphError("key 'network.size': Watts-Strogatz with degree " + std::to_string(2 * half) +
                     " needs more than " + std::to_string(2 * half) + " nodes");
  EdgeList edges;
  const std::size_t count = std::size_t{nodes} * half;
  edges.source.reserve(count);
  edges.target.reserve(count);
  // Ring distance by distance, as in Watts & Strogatz (1998): all j = 1 edges first, then j = 2.
  for (std::uint32_t j = 1; j <= half; ++j)
    for (std::uint32_t i = 0; i < nodes; ++i) add_edge(edges, i, (i + j) % nodes);
  if (rewire > 0.0) {
    std::unordered_set<std::uint64_t> present;
    present.reserve(2 * count);
    for (std::size_t e = 0; e < count; ++e)
      present.insert(pair_key(edges.source[e], edges.target[e]));
    std::vector<std::uint32_t> degree(nodes, 2 * half);
    Random rng(key, realisation, 0, Purpose::network);
    for (std::size_t e = 0; e < count; ++e) {
      if (rng.uniform() >= rewire) continue;
      const std::uint32_t i = edges.source[e], old = edges.target[e];
      if (degree[i] >= nodes - 1) continue;  // joined to everyone: nowhere to go
      std::uint32_t w = 0;
      do w = rng.below(nodes);
      while (w == i || present.count(pair_key(i, w)));
      present.erase(pair_key(i, old));
      present.insert(pair_key(i, w));
      --degree[old];
      ++degree[w];
      edges.target[e] = w;
    }
  }
  return RelationshipGraph(nodes, std::move(edges));
}

}  // namespace icsim
