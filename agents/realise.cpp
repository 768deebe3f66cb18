// Stage 3, realise: cost shocks (persistent, with a common part per system and a fat tail: the
// unexpected overspend). The cost improvement that effort delivers is improvement() (world.hpp).
#include <cmath>

#include "agents/parallel.hpp"
#include "agents/random.hpp"
#include "agents/step.hpp"

namespace icsim {

void realise(World& w) {
  const Params& p = w.params;
  const auto year = static_cast<std::uint32_t>(w.year);
  std::vector<double> common(w.systems.size());
  for (std::size_t s = 0; s < common.size(); ++s)
    common[s] = Random(w.key, year, std::uint32_t(s), Purpose::common_shock).normal();
  auto& l = w.ledger;
  detail::for_each_index(w.size(), [&](std::size_t i) {
    Random rng(w.key, year, std::uint32_t(i), Purpose::shock);
    const double own = rng.normal();
    const double tail = rng.uniform() < p.tail_probability ? rng.exponential(p.tail_scale) : 0.0;
    l.shock[i] = p.persistence * l.shock[i] + p.volatility * own +
                 p.common_volatility * common[w.orgs.system[i]] + tail;
    l.cost_shock[i] = l.shock[i] * w.orgs.base_cost[i];
  });
}

}  // namespace icsim
