// Stage 3, realise: cost shocks (persistent, with a common part per system and a fat tail: the
// unexpected overspend), the demand shock of each commissioner's population (which its
// contracted trusts see too: agents/accounts.hpp), councils' social care shocks, and the cost
// improvement that effort delivers.
#include <algorithm>
#include <array>
#include <cmath>

#include "agents/parallel.hpp"
#include "agents/step.hpp"
#include "network/random.hpp"

namespace icsim {

void realise(World& w) {
  const Params& p = w.params;
  const auto year = static_cast<std::uint32_t>(w.year);
  std::vector<double> common(w.systems.size());
  for (std::size_t s = 0; s < common.size(); ++s)
    common[s] = Random(w.key, year, std::uint32_t(s), Purpose::common_shock).normal();
  auto& l = w.ledger;
  // Each organisation's four draws (own shock, tail, tail size) made for a batch at a time.
  detail::for_each_range(w.size(), [&](std::size_t begin, std::size_t end) {
    constexpr std::size_t batch = 64;
    std::array<std::uint64_t, 4 * batch> draws;
    for (std::size_t first = begin; first < end; first += batch) {
      const auto count = static_cast<std::uint32_t>(std::min(batch, end - first));
      philox_blocks(w.key, year, Purpose::shock, static_cast<std::uint32_t>(first), count, 0, 2,
                    draws.data());
      for (std::size_t i = first; i < first + count; ++i) {
        const std::uint64_t* draw = draws.data() + 4 * (i - first);
        const Kind kind = w.orgs.kind[i];
        l.demand[i] = 0;
        if (!l.active[i] || kind == Kind::primary_care_network) {
          l.shock[i] = l.cost_shock[i] = 0;
          continue;
        }
        const double own = Random::to_normal(draw[0], draw[1]);
        if (kind == Kind::local_authority) {
          l.shock[i] = p.persistence * l.shock[i] + p.council_volatility * own;
        } else {
          const double tail = Random::to_uniform(draw[2]) < p.tail_probability
                                  ? Random::to_exponential(draw[3], p.tail_scale)
                                  : 0.0;
          l.shock[i] = p.persistence * l.shock[i] + p.volatility * own +
                       p.common_volatility * common[w.orgs.system[i]] + tail;
        }
        l.cost_shock[i] = l.shock[i] * l.planned_cost[i];
        if (kind == Kind::commissioner)
          l.demand[i] =
              p.demand_drift +
              p.demand_volatility * Random(w.key, year, std::uint32_t(i), Purpose::demand).normal();
      }
    }
  });
}

}  // namespace icsim
