// Where each pound comes from and goes. Every flow moves money between two accounts: an
// organisation, the centre (NHS England and DHSC: allocations, specialised commissioning,
// support, bail-outs, write-offs, the purchasing levy) or the outside economy (staff, suppliers,
// other income, local government funding). The stages compute each flow with the functions
// here, each party to a flow from the same function, and audit() sums them by counterparty, so
// that tests can check the identities (docs/model.md, "Money"):
//   sum over accounts of balance changes = 0 every year, and
//   a system's surplus before support = its external flows (contracts inside it cancel).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "agents/world.hpp"

namespace icsim {

inline constexpr int money_base_year = 2019;  // money of 2019/20: finance.growth scales it

// Organisations paid by commissioners' contracts: trusts and primary care networks.
constexpr bool is_commissioned(Kind k) {
  return is_trust(k) || k == Kind::primary_care_network;
}

// Share of a trust's planned income that its commissioners' contracts pay (the rest is
// specialised commissioning, paid by the centre, and income from outside the NHS).
inline double contracted_share(const Params& p, Kind k) {
  return std::max(0.0, 1.0 - p.specialised_share[static_cast<int>(k)] - p.other_income_share);
}

// Share of a demand shock's price the commissioner pays: the marginal rate under tariff (all of
// it unless a marginal rate applies), none under a block contract, the variable share under
// blended payment.
inline double variable_share(const Params& p) {
  switch (p.payment) {
    case Payment::tariff:
      return p.marginal_rate;
    case Payment::block:
      return 0.0;
    case Payment::blended:
      break;
  }
  return p.blended_variable_share;
}

// Whether money flows between i and j along a contract: a commissioner and an organisation it
// pays; or along a pooled budget: a council and a commissioner.
constexpr bool contract_between(Kind i, Kind j) {
  return (i == Kind::commissioner && is_commissioned(j)) ||
         (j == Kind::commissioner && is_commissioned(i));
}
constexpr bool pool_between(Kind i, Kind j) {
  return (i == Kind::commissioner && j == Kind::local_authority) ||
         (j == Kind::commissioner && i == Kind::local_authority);
}

// Calls f(other end, edge) for each contract between a commissioner and a commissioned
// organisation at i, when both exist this year.
template <class F>
void for_each_contract(const World& w, std::size_t i, F&& f) {
  for (const auto& [j, e] : w.money.contracts(i))
    if (w.ledger.active[j]) f(j, e);
}

// Calls f(other end, edge) for each partnership between a council and a commissioner at i
// (the partners of a pooled budget), when both exist this year.
template <class F>
void for_each_pool_partner(const World& w, std::size_t i, F&& f) {
  for (const auto& [j, e] : w.money.pool_partners(i))
    if (w.ledger.active[j]) f(j, e);
}

// A commissioner's payment on contract edge e to commissioned organisation `provider` this
// year: the planned price, moved by the commissioner's demand shock as the payment mechanism
// says (networks are paid per registered patient, whatever the demand).
inline double contract_payment(const World& w, std::uint32_t provider, std::uint32_t commissioner,
                               std::uint32_t e) {
  const double planned = contract_rate(w, provider) * w.graph.flows()[e];
  if (!is_trust(w.orgs.kind[provider])) return planned;
  return planned * (1.0 + variable_share(w.params) * w.ledger.demand[commissioner]);
}
// The cost to a trust of the activity a commissioner's demand shock brings (or takes away).
inline double activity_cost(const World& w, std::uint32_t provider, std::uint32_t commissioner,
                            std::uint32_t e) {
  if (!is_trust(w.orgs.kind[provider])) return 0.0;
  return w.params.marginal_cost * contract_rate(w, provider) * w.graph.flows()[e] *
         w.ledger.demand[commissioner];
}

// Pooled budgets (agents/collaborate.cpp): a council pools a share of its social care budget
// with its system's commissioners, who match it; each side bears half of the pool's overspend.
// A council's pool this year, from its edges (World::pools keeps it from the collaborate stage on).
Pool pool_of(const World& w, std::size_t council);
// What council k pays commissioner c through their pooled budget this year (negative: receives).
double pool_transfer(const World& w, std::uint32_t council, std::uint32_t commissioner,
                     std::uint32_t e, const Pool& pool);

// What a commissioner's plan keeps out of its planned surplus (GBP m): the risk reserve it must
// hold back, and the pressure funding added to its allocation for demand above its activity
// plan. Neither is planned to be spent, so both meet an overspend before it shows.
inline double commissioner_buffer(const World& w, std::size_t i) {
  // Both as shares of the allocation the plan was made on (without the pressure funding).
  const double rate = w.national.pressure_rate;
  return (w.params.commissioner_risk_reserve + rate) * w.ledger.planned_income[i] / (1.0 + rate);
}

// Planned surplus before support (GBP m): a trust's planned margin; a commissioner's planned
// margin less its buffer (commissioner_buffer).
inline double planned_surplus(const World& w, std::size_t i) {
  const auto& l = w.ledger;
  if (w.orgs.kind[i] == Kind::commissioner)
    return l.planned_income[i] - l.contracts[i] - l.planned_cost[i] - commissioner_buffer(w, i);
  return l.planned_income[i] - l.planned_cost[i];
}

// Support funds: the pot, and who may receive it, by what weight. PSF (and STF before it): every
// trust by cost; FRF: organisations planning a deficit, by its size (2019/20 and 2020/21
// guidance); CSF: commissioners planning a deficit, by its size (2018/19 guidance: only CCGs set a
// deficit control total are eligible, and the payment aims to bring each back to in-year balance).
inline double fund_pot(const Params& p, Fund f) {
  return f == Fund::psf ? p.psf : f == Fund::frf ? p.frf : p.csf;
}
inline double fund_weight(const World& w, Fund f, std::size_t i) {
  const auto& l = w.ledger;
  const Kind k = w.orgs.kind[i];
  if (!l.active[i]) return 0.0;
  switch (f) {
    case Fund::psf:
      return is_trust(k) ? l.planned_cost[i] : 0.0;
    case Fund::frf:
      return holds_control_total(k) ? std::max(0.0, -planned_surplus(w, i)) : 0.0;
    case Fund::csf:
      return k == Kind::commissioner ? std::max(0.0, -planned_surplus(w, i)) : 0.0;
  }
  return 0.0;
}
inline double fund_allocation(const World& w, Fund f, std::size_t i) {
  const double total = w.national.weight[static_cast<int>(f)];
  return total > 0 ? w.national.pot[static_cast<int>(f)] * fund_weight(w, f, i) / total : 0.0;
}

// One year's flows of one organisation, summed by counterparty (GBP m). The operating flows
// make its surplus before support; support (with the bonus, penalty, bail-out and write-off, all
// with the centre) and merger hand-overs come after.
struct OrganisationFlows {
  double centre_in = 0, centre_out = 0;      // allocations, specialised, the purchasing levy
  double outside_in = 0, outside_out = 0;    // other income, budgets; costs
  double internal_in = 0, internal_out = 0;  // with NHS bodies of its own system (both holders)
  double external_in = 0, external_out = 0;  // with any other organisation
  double support = 0;                        // net, from the centre
  double merger = 0;                         // balances handed over (+ received)

  double surplus() const {
    return centre_in - centre_out + outside_in - outside_out + internal_in - internal_out +
           external_in - external_out;
  }
  double change() const { return surplus() + support + merger; }
};

// An organisation's operating flows this year (settle books its surplus from them).
OrganisationFlows organisation_flows(const World& w, std::size_t i);
// Every organisation's flows of the year just settled, computed afresh from the world's state.
std::vector<OrganisationFlows> audit(const World& w);

}  // namespace icsim
