// Stage 4, collaborate: members save with the collaborative's size and mutual trust (with
// diminishing returns), pay an overhead per membership that grows convexly, and formal
// collaboratives pool part of their members' cost shocks. Systems save by working together
// as far as their members trust each other; councils' pooled budgets save and share risk.
#include <cmath>

#include "agents/accounts.hpp"
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
  const auto& s = w.system_ledger;

  const CollaborativeState state = collaborative_state(w, d);
  const auto& members = state.members;

  // Councils first: what each pools (the stake column holds the share of its budget), and its
  // half of the pool's saving, which grows with trust on its edges to the commissioners.
  detail::for_each_index(w.size(), [&](std::size_t i) {
    if (w.orgs.kind[i] != Kind::local_authority) return;
    const Pool& pool = w.pools[w.pool_index[i]] = pool_of(w, i);
    l.pooled[i] = l.active[i] && pool.weight > 0 ? d.stake[i] * l.planned_cost[i] : 0.0;
    l.collab_savings[i] = p.pooling_saving * pool.trust * l.pooled[i];
    l.overhead[i] = 0;
    l.memberships[i] = 0;
  });

  detail::for_each_index(w.size(), [&](std::size_t i) {
    const Kind kind = w.orgs.kind[i];
    if (kind == Kind::local_authority) return;
    const double cost = l.planned_cost[i];
    double saving = 0, m = 0;
    for (const auto slot : w.candidate_slots[i]) {
      if (!d.member[slot]) continue;
      const auto c = w.collaborative_of_slot[slot];
      saving += collaborative_saving(p, members[c], state.trust[c], d.formal[c], cost);
      m += 1;
    }
    // 2019 long-term plan: systems plan, buy and share services together; what that saves
    // depends on how far their members trust each other (last year's mean trust).
    if (holds_control_total(kind) && l.active[i])
      saving += p.integration_saving * s.mean_trust[w.orgs.system[i]] * cost;
    double pooled = 0;
    if (kind == Kind::commissioner && l.active[i])
      for_each_pool_partner(w, i, [&](std::uint32_t k, std::uint32_t e) {
        const double weight = w.graph.flows()[e], total = pool(w, k).weight;
        if (total <= 0) return;
        pooled += l.pooled[k] * weight / total;
        saving += l.collab_savings[k] * weight / total;  // the commissioners' half
      });
    l.pooled[i] = pooled;
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
        weight += l.planned_cost[cand.items[k]];
      }
    if (weight <= 0) continue;
    for (std::uint32_t k = cand.offsets[c]; k < cand.offsets[c + 1]; ++k)
      if (d.member[k]) {
        const auto i = cand.items[k];
        l.cost_shock[i] += -p.shock_sharing * l.cost_shock[i] + pool * l.planned_cost[i] / weight;
      }
  }
}

}  // namespace icsim
