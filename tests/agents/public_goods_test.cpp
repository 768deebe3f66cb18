#include "agents/public_goods.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "network/generators.hpp"
#include "network/random.hpp"

using namespace icsim;

namespace {

// A payoff from the strategies alone, by the definition: a player's groups are its own
// and its neighbours'; each group's contributions times r are shared among its members.
double payoff_by_definition(const RelationshipGraph& g, std::span<const std::uint8_t> s,
                            std::uint32_t x, const GameRules& rules) {
  const auto group_payoff = [&](std::uint32_t centre) {
    double contributions = s[centre] * rules.cost;
    for (const auto v : g.neighbours(centre)) contributions += s[v] * rules.cost;
    const double size = 1.0 + static_cast<double>(g.degree(centre));
    return rules.r * contributions / size - s[x] * rules.cost;
  };
  double p = group_payoff(x);
  for (const auto v : g.neighbours(x)) p += group_payoff(v);
  return p;
}

std::vector<std::uint8_t> all(std::size_t n, std::uint8_t value) {
  return std::vector<std::uint8_t>(n, value);
}

}  // namespace

TEST_CASE("A lone cooperator among defectors on the lattice: payoffs derived by hand",
          "[public_goods]") {
  // 7 x 7 periodic lattice, the cooperator at (3, 3), r = 3.5, cost c = 1; G = 5.
  // Every group is a player and its 4 neighbours. A group holding the cooperator yields
  // r c / G = 0.7 to each of its 5 members; the groups holding it are those centred on it and
  // on its 4 neighbours.
  // - The cooperator is in 5 groups, each holding it: 5 * 0.7 - 5 c = r c - G c = -1.5.
  // - A neighbour, e.g. (4, 3), is in its own group and the cooperator's: 2 * 0.7 = 1.4.
  // - A diagonal player, e.g. (4, 4), is in the groups centred on (4, 3) and (3, 4): 1.4.
  // - A player two steps in line, e.g. (5, 3), is only in the group centred on (4, 3): 0.7.
  // - Everyone else shares no group with the cooperator: 0.
  // Check: total payoff = 5 groups * (r - 1) c = 12.5 = -1.5 + 4 * 1.4 + 4 * 1.4 + 4 * 0.7.
  const std::uint32_t side = 7;
  const RelationshipGraph g = make_lattice(side);
  const auto at = [&](int x, int y) {
    return static_cast<std::uint32_t>(((y + 7) % 7) * 7 + (x + 7) % 7);
  };
  auto s = all(g.node_count(), 0);
  s[at(3, 3)] = 1;
  const PublicGoodsGame game(g, {3.5, 1.0, 0.5}, 1, s);
  CHECK(game.cooperators() == 1);
  CHECK(game.payoff(at(3, 3)) == Approx(-1.5));
  for (const auto& [dx, dy] : {std::pair{1, 0}, {-1, 0}, {0, 1}, {0, -1}}) {
    CHECK(game.payoff(at(3 + dx, 3 + dy)) == Approx(1.4));
    CHECK(game.payoff(at(3 + 2 * dx, 3 + 2 * dy)) == Approx(0.7));
  }
  for (const auto& [dx, dy] : {std::pair{1, 1}, {-1, 1}, {1, -1}, {-1, -1}})
    CHECK(game.payoff(at(3 + dx, 3 + dy)) == Approx(1.4));
  CHECK(game.payoff(at(0, 0)) == 0.0);
  CHECK(game.payoff(at(6, 3)) == 0.0);
  double total = 0;
  for (std::uint32_t v = 0; v < g.node_count(); ++v) total += game.payoff(v);
  CHECK(total == Approx(12.5));
  // A neighbour copies the cooperator with probability 1 / (1 + exp((1.4 + 1.5) / K)).
  CHECK(adoption_probability(1.4, -1.5, 0.5) == Approx(1.0 / (1.0 + std::exp(5.8))));
  CHECK(adoption_probability(0.0, 0.0, 0.5) == 0.5);
}

TEST_CASE("Groups of unequal size on a star: payoffs derived by hand", "[public_goods]") {
  // Hub 0 with leaves 1, 2, 3; only the hub cooperates; r = 3, c = 2. The hub's group has 4
  // members, each leaf's group 2 (the leaf and the hub); every group holds the one cooperator.
  // Hub: r c / 4 + 3 * r c / 2 - 4 c = 1.5 + 9 - 8 = 2.5. Leaf: r c / 4 + r c / 2 = 4.5.
  EdgeList e;
  for (std::uint32_t leaf = 1; leaf <= 3; ++leaf) e.add(0, leaf, EdgeKind::partnership, 0);
  const RelationshipGraph g(4, e);
  const std::vector<std::uint8_t> s{1, 0, 0, 0};
  const PublicGoodsGame game(g, {3.0, 2.0, 0.5}, 1, s);
  CHECK(game.payoff(0) == Approx(2.5));
  for (std::uint32_t leaf = 1; leaf <= 3; ++leaf) CHECK(game.payoff(leaf) == Approx(4.5));
}

TEST_CASE("Group counts kept by the game match payoffs recomputed from scratch", "[public_goods]") {
  const GameRules rules{3.8, 1.0, 0.5};
  // The lattice takes the regular-graph path, Barabasi-Albert the general one.
  for (const auto& g : {make_lattice(12), make_barabasi_albert(300, 4, run_key(3, 0))}) {
    PublicGoodsGame game(g, rules, run_key(5, 0), 0.5);
    for (std::uint32_t step = 1; step <= 20; ++step) game.monte_carlo_step(step);
    std::uint32_t cooperators = 0;
    for (std::uint32_t v = 0; v < game.size(); ++v) {
      cooperators += game.cooperates(v);
      REQUIRE(game.payoff(v) == Approx(payoff_by_definition(g, game.strategies(), v, rules)));
    }
    CHECK(game.cooperators() == cooperators);
  }
}

TEST_CASE("Absorbing states stay absorbed", "[public_goods]") {
  for (const auto& g : {make_lattice(10), make_erdos_renyi(200, 4, run_key(1, 0))}) {
    for (const std::uint8_t strategy : {std::uint8_t{0}, std::uint8_t{1}}) {
      PublicGoodsGame game(g, {4.5, 1.0, 0.5}, 9, all(g.node_count(), strategy));
      CHECK(game.absorbed());
      for (std::uint32_t step = 1; step <= 50; ++step) game.monte_carlo_step(step);
      CHECK(game.cooperators() == (strategy ? game.size() : 0u));
      CHECK(game.run(51, 100) == 50);  // absorbed already: runs no step
    }
  }
}

TEST_CASE("The game is a pure function of its key", "[public_goods]") {
  const RelationshipGraph g = make_lattice(20);
  const auto play = [&](std::uint64_t key) {
    PublicGoodsGame game(g, {4.2, 1.0, 0.5}, key, 0.5);
    game.run(1, 30);
    return std::vector<std::uint8_t>(game.strategies().begin(), game.strategies().end());
  };
  CHECK(play(run_key(7, 0)) == play(run_key(7, 0)));
  CHECK(play(run_key(7, 0)) != play(run_key(8, 0)));
}

TEST_CASE("Initial cooperators are drawn with the given share", "[public_goods]") {
  const RelationshipGraph g = make_lattice(100);
  CHECK(PublicGoodsGame(g, {}, 1, 0.0).cooperators() == 0);
  CHECK(PublicGoodsGame(g, {}, 1, 1.0).cooperators() == 10000);
  // 10000 Bernoulli(0.3) draws: standard deviation 0.0046.
  CHECK(PublicGoodsGame(g, {}, 1, 0.3).cooperator_fraction() == Approx(0.3).margin(0.02));
}

TEST_CASE("Below the extinction threshold cooperators die out - above it defectors do",
          "[public_goods][validation]") {
  // Szolnoki, Perc & Szabo (2009), K = 0.5 on the square lattice: cooperators die out for
  // r / G < 0.75 (r < 3.74), defectors for r / G > 1.09 (r > 5.49). Far from both thresholds a
  // 30 x 30 lattice absorbs within a few hundred steps.
  const RelationshipGraph g = make_lattice(30);
  const auto play = [&](double r) {
    PublicGoodsGame game(g, {r, 1.0, 0.5}, run_key(11, 0), 0.5);
    game.run(1, 5000);
    return game;
  };
  const PublicGoodsGame low = play(3.0), high = play(6.5);
  CHECK(low.absorbed());
  CHECK(low.cooperators() == 0);
  CHECK(high.absorbed());
  CHECK(high.cooperators() == high.size());
}

TEST_CASE("Monte Carlo steps follow the update rule as stated - on regular and other graphs",
          "[public_goods]") {
  // The rule written out plainly (payoffs by definition, afresh each update) with the draws
  // the header documents: update i of step t takes words 2i and 2i+1 of a SplitMix64 stream
  // seeded by Random(key, t, 0, Purpose::game). The game's fast paths must agree exactly.
  const GameRules rules{4.2, 1.0, 0.5};
  const std::uint64_t key = run_key(21, 0);
  for (const auto& g : {make_lattice(10), make_barabasi_albert(150, 4, run_key(4, 0)),
                        make_watts_strogatz(120, 6, 0.0, run_key(4, 0))}) {
    PublicGoodsGame game(g, rules, key, 0.5);
    std::vector<std::uint8_t> s(game.strategies().begin(), game.strategies().end());
    const auto n = static_cast<std::uint32_t>(g.node_count());
    for (std::uint32_t step = 1; step <= 5; ++step) {
      const std::uint64_t seed = Random(key, step, 0, Purpose::game).next_u64();
      const auto word = [&](std::uint64_t j) {
        return detail::splitmix64(seed + j * 0x9E3779B97F4A7C15ull);
      };
      for (std::uint32_t i = 0; i < n; ++i) {
        const std::uint64_t pick = word(2 * std::uint64_t{i});
        const auto x = static_cast<std::uint32_t>(((pick >> 32) * n) >> 32);
        const auto around = g.neighbours(x);
        if (around.empty()) continue;
        const std::uint32_t y = around[((pick & 0xFFFFFFFFu) * around.size()) >> 32];
        if (s[x] == s[y]) continue;
        const double u = static_cast<double>(word(2 * std::uint64_t{i} + 1) >> 11) * 0x1.0p-53;
        const double px = payoff_by_definition(g, s, x, rules);
        const double py = payoff_by_definition(g, s, y, rules);
        if (u < adoption_probability(px, py, rules.noise)) s[x] = s[y];
      }
      game.monte_carlo_step(step);
      REQUIRE(std::equal(s.begin(), s.end(), game.strategies().begin()));
    }
  }
}
