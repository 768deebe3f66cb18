// Item 5: elementary updates per second of the spatial public goods game on a 200 x 200 lattice,
// the engine (agents/public_goods.*) against a plain reference loop written here.
#include "agents/public_goods.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "bench/bench.hpp"
#include "network/generators.hpp"
#include "network/random.hpp"

namespace icsim::bench {
namespace {

// The plain reference: flat arrays and one function, nothing cached between updates. Each
// update counts the cooperators of x's five groups and of y's afresh (50 reads). It draws the
// engine's random words (a SplitMix64 stream seeded by Philox per step) and takes the same
// decisions, so both must end in the same state.
void reference_steps(std::uint32_t side, double r, double cost, double noise, std::uint64_t key,
                     std::vector<std::uint8_t>& s, std::uint32_t first, std::uint32_t last) {
  const std::uint32_t n = side * side;
  std::vector<std::uint32_t> nb(4 * std::size_t{n});  // von Neumann, periodic, ascending
  for (std::uint32_t v = 0; v < n; ++v) {
    const std::uint32_t x = v % side, y = v / side;
    std::array<std::uint32_t, 4> around{y * side + (x + side - 1) % side, y * side + (x + 1) % side,
                                        (y + side - 1) % side * side + x,
                                        (y + 1) % side * side + x};
    std::sort(around.begin(), around.end());
    std::copy(around.begin(), around.end(), nb.begin() + 4 * std::size_t{v});
  }
  const double share = r * cost / 5.0, contribution = cost * 5.0, inverse_noise = 1.0 / noise;
  constexpr std::uint64_t gamma = 0x9E3779B97F4A7C15ull;
  const auto cooperators_in_groups_of = [&](std::uint32_t v) {
    int sum = 0;
    for (int g = -1; g < 4; ++g) {
      const std::uint32_t centre = g < 0 ? v : nb[4 * std::size_t{v} + g];
      sum += s[centre];
      for (int k = 0; k < 4; ++k) sum += s[nb[4 * std::size_t{centre} + k]];
    }
    return sum;
  };
  for (std::uint32_t step = first; step <= last; ++step) {
    const std::uint64_t seed = Random(key, step, 0, Purpose::game).next_u64();
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::uint64_t pick = detail::splitmix64(seed + 2 * i * gamma);
      const auto x = static_cast<std::uint32_t>(((pick >> 32) * n) >> 32);
      const std::uint32_t y = nb[4 * std::size_t{x} + (((pick & 0xFFFFFFFFu) * 4) >> 32)];
      if (s[x] == s[y]) continue;
      const double difference =
          share * (cooperators_in_groups_of(x) - cooperators_in_groups_of(y)) +
          (s[x] ? -contribution : contribution);
      const double u =
          static_cast<double>(detail::splitmix64(seed + (2 * i + 1) * gamma) >> 11) * 0x1.0p-53;
      if (u * (1.0 + std::exp(difference * inverse_noise)) < 1.0) s[x] = s[y];
    }
  }
}

}  // namespace

void public_goods(Table& table, const Options& options) {
  constexpr std::uint32_t side = 200;
  const GameRules rules{4.5, 1.0, 0.5};  // cooperators and defectors coexist at this r
  const std::uint64_t key = run_key(7, 0);
  const std::uint32_t steps = options.quick ? 10 : 100;
  const RelationshipGraph lattice = make_lattice(side);
  const PublicGoodsGame start(lattice, rules, key, 0.5);
  const std::vector<std::uint8_t> initial(start.strategies().begin(), start.strategies().end());

  bool same = true;
  std::vector<double> engine_times, reference_times;
  for (int round = 0; round < (options.quick ? 2 : 5); ++round) {
    // Each round plays steps 1..steps from the same start, engine then reference.
    PublicGoodsGame game(lattice, rules, key, initial);
    const Stopwatch engine_clock;
    for (std::uint32_t t = 1; t <= steps; ++t) game.monte_carlo_step(t);
    engine_times.push_back(engine_clock.seconds());
    std::vector<std::uint8_t> s = initial;
    const Stopwatch reference_clock;
    reference_steps(side, rules.r, rules.cost, rules.noise, key, s, 1, steps);
    reference_times.push_back(reference_clock.seconds());
    same = same && std::equal(s.begin(), s.end(), game.strategies().begin());
  }
  const double updates = double(steps) * side * side;
  std::vector<double> ratios(engine_times.size());
  for (std::size_t k = 0; k < ratios.size(); ++k) ratios[k] = reference_times[k] / engine_times[k];
  const double ratio = median(ratios);
  table.add("5", "public goods game, 200 x 200 lattice, r = 4.5: engine",
            si(updates / median(engine_times)) + " updates/s");
  table.add("5", "public goods game: plain reference loop (bench/public_goods.cpp)",
            si(updates / median(reference_times)) +
                " updates/s; same final state: " + (same ? "yes" : "NO"));
  table.add("5", "public goods game: engine speed over the reference's", format(ratio), ">= 0.7",
            ratio >= 0.7);
}

}  // namespace icsim::bench
