#include "agents/public_goods.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "network/random.hpp"

namespace icsim {

PublicGoodsGame::PublicGoodsGame(const RelationshipGraph& graph, const GameRules& rules,
                                 std::uint64_t key, double initial_cooperators)
    : PublicGoodsGame(graph, rules, key, std::span<const std::uint8_t>{}) {
  std::vector<std::uint8_t> initial(nodes_);
  for (std::uint32_t i = 0; i < nodes_; ++i)  // step 0 holds the initial draws
    initial[i] = Random(key, 0, i, Purpose::game).uniform() < initial_cooperators;
  start(initial);
}

PublicGoodsGame::PublicGoodsGame(const RelationshipGraph& graph, const GameRules& rules,
                                 std::uint64_t key, std::span<const std::uint8_t> cooperates)
    : rowstart_(graph.csr().m_forward.m_rowstart.data()),
      column_(graph.csr().m_forward.m_column.data()),
      nodes_(static_cast<std::uint32_t>(graph.node_count())),
      key_(key),
      inverse_noise_(1.0 / rules.noise),
      strategy_(nodes_),
      group_cooperators_(nodes_),
      share_(nodes_),
      contribution_(nodes_) {
  bool regular = nodes_ > 0 && rowstart_[1] > 0;
  for (std::uint32_t g = 0; g < nodes_; ++g) {
    const std::uint32_t degree = rowstart_[g + 1] - rowstart_[g];
    regular = regular && degree == rowstart_[1];
    share_[g] = rules.r * rules.cost / (1.0 + degree);
    contribution_[g] = rules.cost * (1.0 + degree);
  }
  // Regular graphs of modest degree use a table of 1 + exp(difference / K) over the integer
  // differences of cooperators around x and y, in [-(d+1)^2, (d+1)^2], for x a defector, then
  // for x a cooperator (who alone pays (d+1) contributions, y being a defector).
  if (regular && rowstart_[1] <= 64) {
    degree_ = rowstart_[1];
    const auto span = static_cast<std::int32_t>((degree_ + 1) * (degree_ + 1));
    for (const double own_cost : {contribution_[0], -contribution_[0]})
      for (std::int32_t diff = -span; diff <= span; ++diff)
        adoption_factor_.push_back(1.0 + std::exp((share_[0] * diff + own_cost) * inverse_noise_));
  }
  if (!cooperates.empty()) start(cooperates);
}

void PublicGoodsGame::start(std::span<const std::uint8_t> cooperates) {
  if (cooperates.size() != nodes_)
    throw std::invalid_argument("public goods game: one strategy per player needed");
  std::fill(strategy_.begin(), strategy_.end(), std::uint8_t{0});
  std::fill(group_cooperators_.begin(), group_cooperators_.end(), 0);
  cooperators_ = 0;
  for (std::uint32_t i = 0; i < nodes_; ++i)
    if (cooperates[i]) set(i, 1);
}

// A player's strategy enters its own group and each neighbour's group.
void PublicGoodsGame::set(std::uint32_t player, std::uint8_t cooperate) {
  const std::int32_t delta = cooperate ? 1 : -1;
  strategy_[player] = cooperate;
  cooperators_ = static_cast<std::uint32_t>(static_cast<std::int64_t>(cooperators_) + delta);
  group_cooperators_[player] += delta;
  for (std::uint32_t e = rowstart_[player]; e < rowstart_[player + 1]; ++e)
    group_cooperators_[column_[e]] += delta;
}

double PublicGoodsGame::payoff(std::uint32_t player) const {
  double sum = share_[player] * group_cooperators_[player];
  for (std::uint32_t e = rowstart_[player]; e < rowstart_[player + 1]; ++e) {
    const std::uint32_t g = column_[e];
    sum += share_[g] * group_cooperators_[g];
  }
  return strategy_[player] ? sum - contribution_[player] : sum;
}

// The step's draws: a SplitMix64 stream (Steele, Lea & Flood 2014) seeded by the counter-based
// Philox at (key, step); word j is a pure function of (key, step, j), so nothing sequential is
// kept, and it costs two multiplies against Philox's twenty. Update i takes words 2i and 2i + 1.
namespace {
constexpr std::uint64_t golden_gamma = 0x9E3779B97F4A7C15ull;
inline std::uint64_t word(std::uint64_t seed, std::uint64_t j) {
  return detail::splitmix64(seed + j * golden_gamma);  // = mix(seed + (j + 1) gamma)
}
inline double unit(std::uint64_t bits) {
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}
}  // namespace

void PublicGoodsGame::monte_carlo_step(std::uint32_t step) {
  const std::uint64_t seed = Random(key_, step, 0, Purpose::game).next_u64();
  if (adoption_factor_.empty())
    general_updates(seed);
  else
    regular_updates(seed);
}

// Any graph: payoffs summed over the player's groups, each with its own share.
void PublicGoodsGame::general_updates(std::uint64_t seed) {
  for (std::uint32_t i = 0; i < nodes_; ++i) {
    // One 64-bit word picks both players: its high half x, its low half the neighbour.
    const std::uint64_t pick = word(seed, 2 * std::uint64_t{i});
    const auto x = static_cast<std::uint32_t>(((pick >> 32) * nodes_) >> 32);
    const std::uint32_t first = rowstart_[x], degree = rowstart_[x + 1] - first;
    if (degree == 0) continue;
    const std::uint32_t y = column_[first + (((pick & 0xFFFFFFFFu) * degree) >> 32)];
    if (strategy_[x] == strategy_[y]) continue;  // adopting changes nothing
    const double difference = payoff(x) - payoff(y);
    // Adopt with probability 1 / (1 + exp(difference / K)).
    if (unit(word(seed, 2 * std::uint64_t{i} + 1)) * (1.0 + std::exp(difference * inverse_noise_)) <
        1.0)
      set(x, strategy_[y]);
  }
}

// A regular graph (every degree d, as on the lattice): every group has d + 1 members, so the
// payoff difference of x and y is share * (cooperators in x's groups - in y's) -/+ the one
// contribution of whichever cooperates, and 1 + exp(difference / K) comes from a table over the
// integer difference. Node v's neighbours start at d * v. Same draws and decisions as
// general_updates, up to the rounding of the payoff difference.
void PublicGoodsGame::regular_updates(std::uint64_t seed) {
  const std::uint32_t d = degree_;
  const auto offset = static_cast<std::int32_t>((d + 1) * (d + 1));
  const double* factor_if_defector = adoption_factor_.data() + offset;
  const double* factor_if_cooperator = factor_if_defector + (2 * offset + 1);
  const std::int32_t* groups = group_cooperators_.data();
  const auto cooperators_around = [&](std::uint32_t v) {
    const std::uint32_t* around = column_ + std::size_t{d} * v;
    std::int32_t sum = groups[v];
    for (std::uint32_t k = 0; k < d; ++k) sum += groups[around[k]];
    return sum;
  };
  for (std::uint32_t i = 0; i < nodes_; ++i) {
    const std::uint64_t pick = word(seed, 2 * std::uint64_t{i});
    const auto x = static_cast<std::uint32_t>(((pick >> 32) * nodes_) >> 32);
    const std::uint32_t y = column_[std::size_t{d} * x + (((pick & 0xFFFFFFFFu) * d) >> 32)];
    const std::uint8_t sx = strategy_[x], sy = strategy_[y];
    if (sx == sy) continue;  // adopting changes nothing
    const std::int32_t difference = cooperators_around(x) - cooperators_around(y);
    const double factor = (sx ? factor_if_cooperator : factor_if_defector)[difference];
    if (unit(word(seed, 2 * std::uint64_t{i} + 1)) * factor < 1.0) set(x, sy);
  }
}

std::uint32_t PublicGoodsGame::run(std::uint32_t first, std::uint32_t last) {
  std::uint32_t step = first;
  for (; step <= last && !absorbed(); ++step) monte_carlo_step(step);
  return step - 1;
}

}  // namespace icsim
