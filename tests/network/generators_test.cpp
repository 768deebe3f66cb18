#include "network/generators.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <vector>

#include "network/random.hpp"

using namespace icsim;

namespace {

std::vector<std::uint32_t> sorted_neighbours(const RelationshipGraph& g, std::uint32_t v) {
  std::vector<std::uint32_t> n(g.neighbours(v).begin(), g.neighbours(v).end());
  std::sort(n.begin(), n.end());
  return n;
}

bool same_edges(const RelationshipGraph& a, const RelationshipGraph& b) {
  return a.edges().source == b.edges().source && a.edges().target == b.edges().target;
}

void check_simple(const RelationshipGraph& g) {  // no self loops, no repeated neighbours
  for (std::uint32_t v = 0; v < g.node_count(); ++v) {
    const auto n = sorted_neighbours(g, v);
    REQUIRE(std::adjacent_find(n.begin(), n.end()) == n.end());
    REQUIRE(std::find(n.begin(), n.end(), v) == n.end());
  }
}

}  // namespace

TEST_CASE("The lattice is periodic with four von Neumann neighbours", "[generators]") {
  const RelationshipGraph g = make_lattice(5);
  CHECK(g.node_count() == 25);
  CHECK(g.edge_count() == 50);
  for (std::uint32_t v = 0; v < 25; ++v) REQUIRE(g.degree(v) == 4);
  // (0, 0) touches (1, 0), (4, 0), (0, 1), (0, 4); (2, 3) touches (1,3), (3,3), (2,2), (2,4).
  CHECK(sorted_neighbours(g, 0) == std::vector<std::uint32_t>{1, 4, 5, 20});
  CHECK(sorted_neighbours(g, 17) == std::vector<std::uint32_t>{12, 16, 18, 22});
  CHECK(make_lattice(200).edge_count() == 80000);
  CHECK_THROWS_AS(make_lattice(2), GraphError);
}

TEST_CASE("Erdos-Renyi graphs have the mean degree asked for - reproducibly", "[generators]") {
  const RelationshipGraph g = make_erdos_renyi(20000, 6, run_key(1, 0));
  check_simple(g);
  // Edges ~ Binomial(n(n-1)/2, p): mean 60000, standard deviation 245.
  CHECK(static_cast<double>(g.edge_count()) == Approx(60000).margin(1200));
  // Poisson degrees: isolated share e^-6 = 0.0025 (50 of 20000, sd 7).
  std::size_t isolated = 0;
  for (std::uint32_t v = 0; v < 20000; ++v) isolated += g.degree(v) == 0;
  CHECK(isolated > 20);
  CHECK(isolated < 90);
  CHECK(same_edges(g, make_erdos_renyi(20000, 6, run_key(1, 0))));
  CHECK_FALSE(same_edges(g, make_erdos_renyi(20000, 6, run_key(1, 0), 1)));
  CHECK(make_erdos_renyi(100, 0, 1).edge_count() == 0);
  CHECK(make_erdos_renyi(30, 29, 1).edge_count() == 435);  // p = 1: complete
}

TEST_CASE("Barabasi-Albert graphs grow m edges per node - with hubs", "[generators]") {
  const RelationshipGraph g = make_barabasi_albert(5000, 6, run_key(2, 0));  // m = 3
  check_simple(g);
  CHECK(g.edge_count() == 3 * 4 / 2 + (5000 - 4) * 3);
  std::size_t max_degree = 0;
  for (std::uint32_t v = 0; v < 5000; ++v) {
    REQUIRE(g.degree(v) >= 3);
    max_degree = std::max(max_degree, g.degree(v));
  }
  // Degree ~ k^-3: the largest hub grows like m sqrt(n) (~200), far above a random graph's ~15.
  CHECK(max_degree > 60);
  CHECK(same_edges(g, make_barabasi_albert(5000, 6, run_key(2, 0))));
  CHECK_FALSE(same_edges(g, make_barabasi_albert(5000, 6, run_key(3, 0))));
  CHECK_THROWS_AS(make_barabasi_albert(3, 6, 1), GraphError);
}

TEST_CASE("Watts-Strogatz graphs keep n k / 2 edges however much they are rewired",
          "[generators]") {
  const RelationshipGraph ring = make_watts_strogatz(1000, 4, 0.0, run_key(3, 0));
  CHECK(ring.edge_count() == 2000);
  CHECK(sorted_neighbours(ring, 0) == std::vector<std::uint32_t>{1, 2, 998, 999});
  for (std::uint32_t v = 0; v < 1000; ++v) REQUIRE(ring.degree(v) == 4);
  for (const double beta : {0.1, 1.0}) {
    const RelationshipGraph g = make_watts_strogatz(1000, 4, beta, run_key(3, 0));
    check_simple(g);
    CHECK(g.edge_count() == 2000);
    std::size_t changed = 0;
    for (std::uint32_t v = 0; v < 1000; ++v) changed += g.degree(v) != 4;
    CHECK(changed > 50);
    CHECK(same_edges(g, make_watts_strogatz(1000, 4, beta, run_key(3, 0))));
  }
}
