#include "experiments/synthetic.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "support.hpp"

using namespace icsim;

namespace {
Params synthetic(std::initializer_list<std::string> settings = {}) {
  Params p = test::params({"population.source=synthetic", "population.organisations=20000",
                           "population.systems=10", "population.mean_degree=8"});
  for (const auto& s : settings) apply_setting(p, s, "test");
  return p;
}
}  // namespace

TEST_CASE("synthetic: the same finance seed gives the same population - another seed another",
          "[synthetic]") {
  const Structure a = make_synthetic(synthetic()), b = make_synthetic(synthetic());
  CHECK(a.orgs.kind == b.orgs.kind);
  CHECK(a.orgs.base_cost == b.orgs.base_cost);
  CHECK(a.graph.edges().target == b.graph.edges().target);
  CHECK(a.graph.edges().flow == b.graph.edges().flow);
  const Structure c = make_synthetic(synthetic({"population.finance_seed=7"}));
  CHECK(c.graph.edges().target != a.graph.edges().target);
}

TEST_CASE("synthetic: sizes - systems - places and mean degree follow the parameters",
          "[synthetic]") {
  const Structure s = make_synthetic(synthetic());
  CHECK(s.orgs.size() == 20000);
  CHECK(s.systems.size() == 10);
  CHECK(s.places.size() == 50);
  for (std::size_t sys = 0; sys < 10; ++sys) {
    CHECK(s.systems.members[sys].size() == 2000);
    for (const auto i : s.systems.members[sys]) REQUIRE(s.orgs.system[i] == std::int32_t(sys));
  }
  // mean_degree / 2 draws each; a few land on the drawer or repeat a pair.
  const double degree = 2.0 * double(s.graph.edge_count()) / 20000.0;
  CHECK(degree == Approx(8.0).epsilon(0.02));
  CHECK(s.collaboratives.size() == 10);  // one acute provider collaborative per system
}

TEST_CASE("synthetic: kinds come in the mix's proportions in every system", "[synthetic]") {
  const Structure england = make_synthetic(synthetic());
  std::array<double, kind_count> count{};
  for (const Kind k : england.orgs.kind) count[static_cast<int>(k)] += 1;
  CHECK(count[static_cast<int>(Kind::acute)] / 20000.0 == Approx(124.0 / 1892).margin(0.001));
  CHECK(count[static_cast<int>(Kind::primary_care_network)] / 20000.0 ==
        Approx(1254.0 / 1892).margin(0.001));

  const Structure two = make_synthetic(synthetic(
      {"population.mix.acute=1", "population.mix.community=0", "population.mix.mental_health=0",
       "population.mix.specialist=0", "population.mix.ambulance=0", "population.mix.commissioner=1",
       "population.mix.primary_care_network=2", "population.mix.local_authority=0"}));
  std::array<double, kind_count> two_count{};
  for (const Kind k : two.orgs.kind) two_count[static_cast<int>(k)] += 1;
  CHECK(two_count[static_cast<int>(Kind::acute)] == 5000);
  CHECK(two_count[static_cast<int>(Kind::commissioner)] == 5000);
  CHECK(two_count[static_cast<int>(Kind::primary_care_network)] == 10000);
  CHECK(two_count[static_cast<int>(Kind::local_authority)] == 0);
}

TEST_CASE("synthetic: a mix without weight is refused", "[synthetic]") {
  Params p = synthetic();
  p.synthetic_mix.fill(0.0);
  CHECK_THROWS_AS(make_synthetic(p), ParamError);
}

TEST_CASE("synthetic: a population's size in memory grows linearly", "[synthetic]") {
  // Not timed: the structure's edges and members grow in proportion to the organisations.
  const Structure small = make_synthetic(synthetic({"population.organisations=10000"}));
  const Structure large = make_synthetic(synthetic({"population.organisations=40000"}));
  CHECK(double(large.graph.edge_count()) / double(small.graph.edge_count()) ==
        Approx(4.0).epsilon(0.02));
  CHECK(large.systems.members.items.size() == 40000);
}

TEST_CASE("synthetic: a world over a synthetic population runs", "[synthetic]") {
  const World w = test::run(synthetic({"population.organisations=3000", "run.years=3"}));
  CHECK(w.year == 3);
  double paid = 0;
  for (const double x : w.ledger.support_paid) paid += x;
  CHECK(std::isfinite(paid));
}

// Issue 15, item 17: the graph's size is checked before the organisations are allocated.
TEST_CASE("synthetic: a graph too large to index is refused before anything is allocated",
          "[synthetic]") {
  // 400 M organisations' tables would need about 120 GB before the edges were counted.
  CHECK_THROWS_WITH(make_synthetic(synthetic(
                        {"population.organisations=400000000", "population.mean_degree=20"})),
                    Catch::StartsWith("key 'population.mean_degree': 20.0 with 400000000 "
                                      "organisations makes more edges than the graph indexes"));
}
