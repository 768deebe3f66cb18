#include "agents/accounts.hpp"

#include "agents/parallel.hpp"

namespace icsim {

Pool pool_of(const World& w, std::size_t council) {
  Pool pool;
  double trust = 0;
  int edges = 0;
  for_each_pool_partner(w, council, [&](std::uint32_t c, std::uint32_t e) {
    const double weight = w.graph.flows()[e];
    pool.weight += weight;
    pool.demand += weight * w.ledger.demand[c];
    trust += w.trust[e];
    ++edges;
  });
  if (pool.weight > 0) pool.demand /= pool.weight;
  pool.trust = edges ? trust / edges : 0.0;
  return pool;
}

double pool_transfer(const World& w, std::uint32_t council, std::uint32_t, std::uint32_t e,
                     const Pool& pool) {
  if (pool.weight <= 0) return 0.0;
  // The pool's overspend: the council's social care shock on its part, the commissioners'
  // demand shock on theirs (the same amount); each side bears half of the total.
  const double pooled = w.ledger.pooled[council];
  const double council_part = w.ledger.shock[council] * pooled;
  const double nhs_part = pool.demand * pooled;
  return 0.5 * (nhs_part - council_part) * w.graph.flows()[e] / pool.weight;
}

namespace {

OrganisationFlows operating_flows(const World& w, std::size_t i) {
  OrganisationFlows f;
  const auto& l = w.ledger;
  if (!l.active[i]) return f;
  const Params& p = w.params;
  const auto& o = w.orgs;
  const Kind kind = o.kind[i];
  // A flow with another organisation, `amount` received by i (negative: paid).
  const auto with = [&](std::uint32_t j, double amount) {
    const bool internal =
        holds_control_total(kind) && holds_control_total(o.kind[j]) && o.system[j] == o.system[i];
    if (amount >= 0)
      (internal ? f.internal_in : f.external_in) += amount;
    else
      (internal ? f.internal_out : f.external_out) -= amount;
  };
  const double savings = l.collab_savings[i], shock = l.cost_shock[i];
  if (is_commissioned(kind)) {
    double activity = 0;
    for_each_contract(w, i, [&](std::uint32_t c, std::uint32_t e) {
      const auto self = static_cast<std::uint32_t>(i);
      with(c, contract_payment(w, self, c, e));
      activity += activity_cost(w, self, c, e);
    });
    if (w.contract_weight[i] == 0) f.centre_in += l.contracts[i];  // commissioned nationally
    if (kind == Kind::primary_care_network) {
      f.outside_out += l.planned_cost[i];
      return f;
    }
    const double levy = levy_paid(p, w, i);
    f.centre_in += l.planned_income[i] * p.specialised_share[static_cast<int>(kind)];
    f.outside_in += l.planned_income[i] * p.other_income_share;
    f.outside_out += l.planned_cost[i] * (1.0 + p.efficiency_requirement) + activity + shock -
                     improvement(w, i) - savings + l.overhead[i] - levy * p.purchasing_return;
    f.centre_out += levy;
    return f;
  }
  if (kind == Kind::commissioner) {
    f.centre_in += l.planned_income[i];
    for_each_contract(w, i, [&](std::uint32_t j, std::uint32_t e) {
      with(j, -contract_payment(w, j, static_cast<std::uint32_t>(i), e));
    });
    f.outside_out += l.planned_cost[i] * (1.0 + l.demand[i]) + shock - improvement(w, i) - savings +
                     l.overhead[i];
    for_each_pool_partner(w, i, [&](std::uint32_t k, std::uint32_t e) {
      with(k, pool_transfer(w, k, static_cast<std::uint32_t>(i), e, pool(w, k)));
    });
    return f;
  }
  if (kind == Kind::local_authority) {
    f.outside_in += l.planned_income[i];
    f.outside_out += l.planned_cost[i] + shock - savings;
    const Pool& own = pool(w, i);
    for_each_pool_partner(w, i, [&](std::uint32_t c, std::uint32_t e) {
      with(c, -pool_transfer(w, static_cast<std::uint32_t>(i), c, e, own));
    });
  }
  return f;
}

}  // namespace

// Year-end measures: booked from the outside this year, repaid to it the next (accounts.hpp).
OrganisationFlows with_year_end(const World& w, std::size_t i, OrganisationFlows f) {
  f.outside_in += w.ledger.year_end[i];
  f.outside_out += w.ledger.year_end_due[i];
  return f;
}

OrganisationFlows organisation_flows(const World& w, std::size_t i) {
  return with_year_end(w, i, operating_flows(w, i));
}

std::vector<OrganisationFlows> audit(const World& w) {
  std::vector<OrganisationFlows> flows(w.size());
  const auto& l = w.ledger;
  detail::for_each_index(w.size(), [&](std::size_t i) {
    OrganisationFlows f = with_year_end(w, i, operating_flows(w, i));
    f.support = l.support_paid[i] + l.bonus[i] - l.penalty[i] + l.bailout[i] + l.writeoff[i];
    f.merger = l.transfer[i];
    flows[i] = f;
  });
  return flows;
}

}  // namespace icsim
