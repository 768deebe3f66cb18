#include "agents/threshold_cascade.hpp"

#include <tbb/global_control.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <vector>

#include "experiments/classic.hpp"
#include "network/generators.hpp"
#include "network/random.hpp"
#include "support.hpp"

using namespace icsim;

namespace {

RelationshipGraph star(std::uint32_t leaves) {
  EdgeList e;
  for (std::uint32_t leaf = 1; leaf <= leaves; ++leaf) e.add(0, leaf, EdgeKind::partnership, 0);
  return RelationshipGraph(leaves + 1, e);
}

RelationshipGraph path(std::uint32_t nodes) {
  EdgeList e;
  for (std::uint32_t v = 0; v + 1 < nodes; ++v) e.add(v, v + 1, EdgeKind::partnership, 0);
  return RelationshipGraph(nodes, e);
}

}  // namespace

TEST_CASE("A node with all neighbours active activates - even at threshold 1", "[cascade]") {
  const RelationshipGraph g = star(4);
  ThresholdCascade all_leaves(g, 1.0);
  CHECK(all_leaves.activate(std::vector<std::uint32_t>{1, 2, 3, 4}) == 5);
  CHECK(all_leaves.active(0));
  // Three of four is a share of 0.75: below 1, so the hub stays inactive.
  ThresholdCascade three(g, 1.0);
  CHECK(three.activate(std::vector<std::uint32_t>{1, 2, 3}) == 3);
  CHECK_FALSE(three.active(0));
  // ...but reaches a threshold of exactly 0.75; then the last leaf (share 1) follows.
  ThresholdCascade low(g, 0.75);
  CHECK(low.activate(std::vector<std::uint32_t>{1, 2, 3}) == 5);
}

TEST_CASE("A cascade runs along a path while one active neighbour is enough", "[cascade]") {
  const RelationshipGraph g = path(10);
  // An inner node has 2 neighbours: one active is a share of 0.5.
  ThresholdCascade spreads(g, 0.5);
  CHECK(spreads.activate(std::vector<std::uint32_t>{0}) == 10);
  // Above 0.5 only an end node, whose one neighbour is all it has, can follow.
  ThresholdCascade stops(g, 0.51);
  CHECK(stops.activate(std::vector<std::uint32_t>{8}) == 2);
  CHECK(stops.active(9));
  CHECK_FALSE(stops.active(7));
  CHECK(stops.active_share() == Approx(0.2));
}

TEST_CASE("Quiescent states stay quiescent and do not depend on seed order", "[cascade]") {
  const RelationshipGraph g = make_erdos_renyi(3000, 3, run_key(4, 0));
  std::vector<std::uint32_t> seeds = draw_seeds(3000, 20, run_key(4, 0), 0);
  ThresholdCascade forward(g, 0.3);
  const std::uint32_t active = forward.activate(seeds);
  const std::vector<std::uint8_t> before(forward.states().begin(), forward.states().end());
  CHECK(forward.activate({}) == active);
  std::vector<std::uint32_t> already;
  for (std::uint32_t v = 0; v < 3000; ++v)
    if (forward.active(v)) already.push_back(v);
  CHECK(forward.activate(already) == active);
  CHECK(std::equal(before.begin(), before.end(), forward.states().begin()));
  // Every inactive node with neighbours is below the threshold.
  for (std::uint32_t v = 0; v < 3000; ++v) {
    if (forward.active(v) || g.degree(v) == 0) continue;
    std::size_t on = 0;
    for (const auto w : g.neighbours(v)) on += forward.active(w);
    REQUIRE(static_cast<double>(on) / static_cast<double>(g.degree(v)) < 0.3);
  }
  std::reverse(seeds.begin(), seeds.end());
  ThresholdCascade backward(g, 0.3);
  backward.activate(seeds);
  CHECK(std::equal(before.begin(), before.end(), backward.states().begin()));
}

TEST_CASE("At threshold 0 every node with neighbours is active - isolated ones only as seeds",
          "[cascade]") {
  EdgeList e;
  e.add(0, 1, EdgeKind::partnership, 0);
  const RelationshipGraph g(3, e);  // node 2 is isolated
  ThresholdCascade cascade(g, 0.0);
  CHECK(cascade.active_count() == 2);
  CHECK(cascade.activate(std::vector<std::uint32_t>{2}) == 3);
}

TEST_CASE("Seeds are distinct and reproducible", "[cascade]") {
  const auto seeds = draw_seeds(50, 50, 7, 3);
  CHECK(std::set<std::uint32_t>(seeds.begin(), seeds.end()).size() == 50);
  CHECK(draw_seeds(1000, 10, 7, 3) == draw_seeds(1000, 10, 7, 3));
  CHECK(draw_seeds(1000, 10, 7, 3) != draw_seeds(1000, 10, 7, 4));
  CHECK(draw_seeds(5, 9, 7, 3).size() == 5);
}

TEST_CASE("threaded: cascade window on Erdos-Renyi graphs - independent of thread count",
          "[cascade][validation]") {
  // Watts (2002), threshold 0.18: global cascades from one seed are frequent at mean degree 4
  // and absent at 12, where nearly no node can be tipped by a single neighbour.
  const auto frequency = [](double z, std::size_t threads) {
    const tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    const Params p =
        test::params({"model=threshold_cascade", "network.kind=erdos_renyi", "network.size=2000",
                      "network.mean_degree=" + std::to_string(z), "cascade.realisations=100"});
    return run_threshold_cascade(p);
  };
  const CascadeRun z4 = frequency(4, 2), z12 = frequency(12, 2);
  CHECK(z4.global_cascade_frequency > 0.5);
  CHECK(z4.mean_global_cascade_size > 0.9);
  CHECK(z12.global_cascade_frequency == 0.0);
  CHECK(frequency(4, 1).final_active_share == z4.final_active_share);
}
