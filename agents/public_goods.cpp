#include "agents/public_goods.hpp"

#include <algorithm>
#include <stdexcept>

#include "agents/random.hpp"

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
  if (regular) degree_ = rowstart_[1];
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

void PublicGoodsGame::monte_carlo_step(std::uint32_t step) {
  constexpr auto purpose = static_cast<std::uint32_t>(Purpose::game);
  const std::array<std::uint32_t, 2> key{static_cast<std::uint32_t>(key_),
                                         static_cast<std::uint32_t>(key_ >> 32)};
  for (std::uint32_t block = 0; block < nodes_; block += batch) {
    const std::uint32_t count = std::min(batch, nodes_ - block);
    // The draws of a batch first, in a loop without branches so that the independent Philox
    // rounds of successive updates overlap (and vectorise): these are the first two 64-bit
    // draws of Random(key, step, update, Purpose::game).
    for (std::uint32_t i = 0; i < count; ++i) {
      const auto out = detail::philox4x32_10({step, block + i, purpose, 0}, key);
      draws_[2 * i] = (std::uint64_t{out[0]} << 32) | out[1];
      draws_[2 * i + 1] = (std::uint64_t{out[2]} << 32) | out[3];
    }
    if (degree_)
      updates<true>(count);
    else
      updates<false>(count);
  }
}

// On a regular graph (every degree d, as on the lattice) every group has d + 1 members, so a
// payoff difference is one multiple of the difference of the integer group sums, and node v's
// neighbours start at d * v: no reads of the row starts or of per-group shares.
template <bool Regular>
void PublicGoodsGame::updates(std::uint32_t count) {
  const std::uint32_t d = degree_;
  const auto row = [&](std::uint32_t v) { return Regular ? d * v : rowstart_[v]; };
  const auto cooperators_around = [&](std::uint32_t v) {
    std::int32_t sum = group_cooperators_[v];
    for (std::uint32_t e = row(v), end = row(v + 1); e < end; ++e)
      sum += group_cooperators_[column_[e]];
    return sum;
  };
  for (std::uint32_t i = 0; i < count; ++i) {
    // One 64-bit draw picks both players: its high half x, its low half the neighbour.
    const std::uint64_t pick = draws_[2 * i];
    const auto x = static_cast<std::uint32_t>(((pick >> 32) * nodes_) >> 32);
    const std::uint32_t first = row(x), degree = Regular ? d : row(x + 1) - first;
    if (!Regular && degree == 0) continue;
    const std::uint32_t y = column_[first + (((pick & 0xFFFFFFFFu) * degree) >> 32)];
    if (strategy_[x] == strategy_[y]) continue;  // adopting changes nothing
    double difference = 0;
    if constexpr (Regular) {  // strategies differ: exactly one of x, y pays its contributions
      difference = share_[0] * (cooperators_around(x) - cooperators_around(y)) +
                   (strategy_[x] ? -contribution_[0] : contribution_[0]);
    } else {
      difference = payoff(x) - payoff(y);
    }
    // Adopt with probability 1 / (1 + exp(difference / K)); u from the top 53 bits.
    const double u = static_cast<double>(draws_[2 * i + 1] >> 11) * 0x1.0p-53;
    if (u * (1.0 + std::exp(difference * inverse_noise_)) < 1.0) set(x, strategy_[y]);
  }
}

std::uint32_t PublicGoodsGame::run(std::uint32_t first, std::uint32_t last) {
  std::uint32_t step = first;
  for (; step <= last && !absorbed(); ++step) monte_carlo_step(step);
  return step - 1;
}

}  // namespace icsim
