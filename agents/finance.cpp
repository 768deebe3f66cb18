#include "agents/finance.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "network/random.hpp"

namespace icsim {

void synthesise_costs(Organisations& orgs, const std::vector<double>& size, const Params& params) {
  const std::size_t n = orgs.size();
  // Trust cost: the provider total split by kind, then by size within the kind.
  std::array<double, 5> kind_size{};
  for (std::size_t i = 0; i < n; ++i)
    if (is_trust(orgs.kind[i])) kind_size[static_cast<int>(orgs.kind[i])] += size[i];
  orgs.base_cost.assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const Kind k = orgs.kind[i];
    if (is_trust(k)) {
      const int ki = static_cast<int>(k);
      orgs.base_cost[i] = params.provider_cost_total * provider_cost_share[ki] * size[i] /
                          std::max(kind_size[ki], 1e-300);
      continue;
    }
    const double per_head = k == Kind::commissioner           ? params.other_care_per_head
                            : k == Kind::primary_care_network ? params.pcn_income_per_patient
                                                              : params.council_budget_per_resident;
    orgs.base_cost[i] = orgs.population[i] * per_head / 1e6;
  }
}

void synthesise_margins(Organisations& orgs, const Params& params) {
  const std::size_t n = orgs.size();
  const std::uint64_t key = run_key(static_cast<std::uint64_t>(params.finance_seed), 0);
  orgs.margin.assign(n, 0);
  orgs.capacity.assign(n, 0);
  orgs.risk_aversion.assign(n, 0);
  orgs.threshold.assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const int k = static_cast<int>(orgs.kind[i]);
    if (holds_control_total(orgs.kind[i])) {
      const double z = Random(key, 0, static_cast<std::uint32_t>(i), Purpose::population).normal();
      // Kept above -50% of cost: a deeper planned deficit is not a plan anyone would sign.
      orgs.margin[i] = std::max(params.margin_mean[k] + params.margin_sd[k] * z, -0.5);
    }
    Random rng(key, 1, static_cast<std::uint32_t>(i), Purpose::population);
    orgs.capacity[i] = params.management_capacity * (0.75 + 0.5 * rng.uniform());
    orgs.risk_aversion[i] = params.risk_aversion * std::exp(0.5 * rng.normal() - 0.125);
    orgs.threshold[i] = std::clamp(params.threshold + 0.1 * rng.normal(), 0.0, 1.0);
  }
}

void assign_leaders(Systems& systems, const Params& params) {
  const std::size_t n = systems.size();
  const std::uint64_t key = run_key(static_cast<std::uint64_t>(params.finance_seed), 1);
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  Random rng(key, 0, 0, Purpose::leader);
  for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.below(std::uint32_t(i))]);
  systems.leader_role.assign(n, LeaderRole::other);
  const auto quota = [n](double of42) { return std::size_t(std::lround(of42 / 42.0 * double(n))); };
  const std::size_t sole = quota(10), ccg = sole + quota(17), trust = ccg + quota(6);
  for (std::size_t r = 0; r < n; ++r)
    systems.leader_role[order[r]] = r < sole    ? LeaderRole::sole
                                    : r < ccg   ? LeaderRole::commissioner
                                    : r < trust ? LeaderRole::trust
                                                : LeaderRole::other;
}

}  // namespace icsim
