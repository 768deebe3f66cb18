// Stage 4, collaborate: members save with the collaborative's size and mutual trust (with
// diminishing returns), pay an overhead per membership that grows convexly, and formal
// collaboratives pool part of their members' cost shocks.
#include <cmath>

#include "agents/collaboratives.hpp"
#include "agents/parallel.hpp"
#include "agents/step.hpp"

namespace icsim {

void collaborate(World& w) {
  const Params& p = w.params;
  auto& l = w.ledger;
  const auto& d = w.current;
  const auto& cand = w.collaboratives.candidates;
  const std::size_t nc = w.collaboratives.size();

  const CollaborativeState state = collaborative_state(w, d);
  const auto& members = state.members;

  detail::for_each_index(w.size(), [&](std::size_t i) {
    const double cost = w.orgs.base_cost[i];
    double saving = 0, m = 0;
    for (const auto slot : w.links.slots(i)) {
      if (!d.member[slot]) continue;
      const auto c = w.collaborative_of_slot[slot];
      saving += collaborative_saving(p, members[c], state.trust[c], d.formal[c], cost);
      m += 1;
    }
    l.collab_savings[i] = saving;
    l.overhead[i] = membership_overhead(p, m, w.orgs.capacity[i], cost);
    l.memberships[i] = static_cast<std::uint8_t>(std::min(m, 255.0));
  });

  // Formal collaboratives share shocks: each member keeps (1 - h) of its own and takes a
  // cost-weighted part of h of the pool. Sequential over collaboratives: a member of two
  // formal ones shares through both, in a fixed order, so money is conserved exactly.
  for (std::size_t c = 0; c < nc; ++c) {
    if (!d.formal[c] || members[c] < 2) continue;
    double pool = 0, weight = 0;
    for (std::uint32_t k = cand.offsets[c]; k < cand.offsets[c + 1]; ++k)
      if (d.member[k]) {
        pool += p.shock_sharing * l.cost_shock[cand.items[k]];
        weight += w.orgs.base_cost[cand.items[k]];
      }
    for (std::uint32_t k = cand.offsets[c]; k < cand.offsets[c + 1]; ++k)
      if (d.member[k]) {
        const auto i = cand.items[k];
        l.cost_shock[i] += -p.shock_sharing * l.cost_shock[i] + pool * w.orgs.base_cost[i] / weight;
      }
  }
}

}  // namespace icsim
