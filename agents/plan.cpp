// Stage 1, plan: the regulator sets control totals and allocates the support pot.
#include <algorithm>

#include "agents/parallel.hpp"
#include "agents/step.hpp"

namespace icsim {

void plan(World& w) {
  const Params& p = w.params;
  const auto& o = w.orgs;
  auto& l = w.ledger;
  const std::size_t n = w.size();

  // Control totals ask for cost improvement beyond the organisation's own plan.
  detail::for_each_index(n, [&](std::size_t i) {
    l.control_total[i] =
        holds_control_total(o.kind[i])
            ? o.income[i] - o.base_cost[i] + p.control_total_stretch * o.base_cost[i]
            : 0.0;
  });

  // Support: PSF-style to every trust by cost, or FRF-style to deficit organisations by the
  // size of their planned deficit (2020/21: the recovery fund is for organisations in deficit).
  const bool deficit_only = p.support_eligibility == Eligibility::deficit_only;
  // The weights go in the allocation column first, are summed in organisation order, then scale.
  detail::for_each_index(
      n,
      [&](std::size_t i) {
        double weight = 0.0;
        if (deficit_only) {
          if (holds_control_total(o.kind[i])) weight = std::max(0.0, o.base_cost[i] - o.income[i]);
        } else if (is_trust(o.kind[i])) {
          weight = o.base_cost[i];
        }
        l.allocation[i] = weight;
      },
      4096);
  double weight_total = 0;
  for (std::size_t i = 0; i < n; ++i) weight_total += l.allocation[i];
  detail::for_each_index(
      n,
      [&](std::size_t i) {
        l.allocation[i] = weight_total > 0 ? p.support_pot * l.allocation[i] / weight_total : 0.0;
      },
      4096);
  w.national = National{};
  w.national.support_pot = p.support_pot;
  if (weight_total <= 0) w.national.support_returned = p.support_pot;

  // Systems: totals over members that hold control totals; earned autonomy from the record.
  auto& s = w.system_ledger;
  detail::for_each_index(
      w.systems.size(),
      [&](std::size_t sys) {
        double total = 0, cost = 0, allocated = 0;
        for (const auto i : w.systems.members[sys])
          if (holds_control_total(o.kind[i])) {
            total += l.control_total[i];
            cost += o.base_cost[i];
            allocated += l.allocation[i];
          }
        s.control_total[sys] = total;
        s.cost[sys] = cost;
        s.allocated[sys] = allocated;
        s.autonomous[sys] =
            p.earned_autonomy_years > 0 && s.years_on_target[sys] >= p.earned_autonomy_years;
      },
      4);
}

}  // namespace icsim
