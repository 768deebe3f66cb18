// Graphs for the classic models: a periodic square lattice and the standard random graphs, each
// built in time linear in its size and reproducibly from a key (same key, same graph).
#pragma once

#include <cstdint>

#include "network/graph.hpp"

namespace icsim {

// Periodic side x side square lattice, von Neumann neighbourhood (4 neighbours); node y*side+x.
// Needs side >= 3 (at side 2 the left and right neighbours coincide).
RelationshipGraph make_lattice(std::uint32_t side);

// G(n, p) with p = mean_degree / (n - 1), by geometric skipping over the absent pairs
// (Batagelj & Brandes 2005), so the cost is O(n + edges), not O(n^2).
RelationshipGraph make_erdos_renyi(std::uint32_t nodes, double mean_degree, std::uint64_t key,
                                   std::uint32_t realisation = 0);

// Barabasi-Albert preferential attachment: a complete graph on m + 1 nodes, then each new node
// joins m distinct existing nodes chosen with probability proportional to degree (m =
// round(mean_degree / 2), at least 1), so edges = m(m+1)/2 + (nodes-m-1) m.
RelationshipGraph make_barabasi_albert(std::uint32_t nodes, double mean_degree, std::uint64_t key,
                                       std::uint32_t realisation = 0);

// Watts-Strogatz: a ring where each node joins its k/2 nearest on each side (k = mean_degree
// rounded down to even, at least 2), then each edge's far end is rewired with probability
// `rewire` to a uniform node that is neither itself nor already a neighbour. Edges = nodes k / 2.
RelationshipGraph make_watts_strogatz(std::uint32_t nodes, double mean_degree, double rewire,
                                      std::uint64_t key, std::uint32_t realisation = 0);

}  // namespace icsim
