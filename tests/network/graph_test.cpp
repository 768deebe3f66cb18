#include "network/graph.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

#include "network/random.hpp"

using namespace icsim;

TEST_CASE("graph: duplicate pairs merge - self edges drop - edges come in canonical order",
          "[graph]") {
  EdgeList in;
  in.add(3, 1, EdgeKind::referral, 1.0);
  in.add(0, 2, EdgeKind::contract, 2.0);
  in.add(1, 3, EdgeKind::contract, 0.5);  // the same pair as 3-1: flows add, contract stays
  in.add(2, 2, EdgeKind::referral, 9.0);  // a self edge
  in.add(2, 1, EdgeKind::partnership, 4.0);
  const RelationshipGraph g(4, in);
  CHECK(g.node_count() == 4);
  REQUIRE(g.edge_count() == 3);
  const EdgeList e = g.edges();
  CHECK(e.source == std::vector<std::uint32_t>{0, 1, 1});
  CHECK(e.target == std::vector<std::uint32_t>{2, 2, 3});
  CHECK(e.kind ==
        std::vector<EdgeKind>{EdgeKind::contract, EdgeKind::partnership, EdgeKind::contract});
  CHECK(e.flow == std::vector<double>{2.0, 4.0, 1.5});
  CHECK(std::vector<std::uint32_t>(g.neighbours(1).begin(), g.neighbours(1).end()) ==
        std::vector<std::uint32_t>{2, 3});
  CHECK(g.degree(2) == 2);
}

TEST_CASE("graph: every arc's edge joins the arc's two ends - rows ascending", "[graph]") {
  EdgeList in;
  Random rng(7, 0, 0, Purpose::network);
  const std::uint32_t n = 300;
  for (int k = 0; k < 3000; ++k)
    in.add(rng.below(n), rng.below(n), static_cast<EdgeKind>(rng.below(3)), rng.uniform());
  const RelationshipGraph g(n, in);
  const EdgeList e = g.edges();
  std::vector<int> seen(g.edge_count(), 0);
  for (std::uint32_t v = 0; v < n; ++v) {
    const Incidence at = g.incidence(v);
    REQUIRE(std::is_sorted(at.neighbours.begin(), at.neighbours.end()));
    REQUIRE(std::adjacent_find(at.neighbours.begin(), at.neighbours.end()) == at.neighbours.end());
    for (std::size_t k = 0; k < at.neighbours.size(); ++k) {
      const auto u = at.neighbours[k];
      const auto id = at.edge(k);
      REQUIRE(std::min(u, v) == e.source[id]);
      REQUIRE(std::max(u, v) == e.target[id]);
      REQUIRE((k < at.lower) == (u < v));
      ++seen[id];
    }
  }
  CHECK(std::all_of(seen.begin(), seen.end(), [](int s) { return s == 2; }));  // from both ends
  CHECK(std::is_sorted(e.source.begin(), e.source.end()));
}

TEST_CASE("graph: an edge to an organisation that is not there is refused", "[graph]") {
  EdgeList in;
  in.add(0, 5, EdgeKind::contract, 1.0);
  CHECK_THROWS_AS(RelationshipGraph(3, in), std::out_of_range);
}
