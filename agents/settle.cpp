// Stage 5, settle: surpluses from the year's flows (agents/accounts.hpp), support paid or
// returned, the system pool shared by the redistribution rule, the bonus for beating a control
// total, the duty-to-collaborate penalty, bail-out and write-offs, and balances.
// Money is conserved: every pound of the pot ends paid to an organisation or returned.
#include <algorithm>
#include <cmath>

#include "agents/accounts.hpp"
#include "agents/parallel.hpp"
#include "agents/rules.hpp"
#include "agents/step.hpp"

namespace icsim {
namespace {

// Shares a system's earned pool among its staked members by the policy's rule.
void share_pool(World& w, std::size_t sys, double pool, std::vector<double>& pay) {
  const auto& o = w.orgs;
  const auto& d = w.current;
  auto& l = w.ledger;
  const auto members = w.systems.members[sys];
  Redistribution rule = w.params.redistribution;
  // 2020/21 guidance: with earned autonomy, system leaders decide how the money is shared.
  if (w.system_ledger.autonomous[sys]) rule = Redistribution::leader;

  const auto staked = [&](std::uint32_t i) {
    return holds_control_total(o.kind[i]) && l.active[i] && d.accepted[i]
               ? d.stake[i] * l.allocation[i]
               : 0.0;
  };
  const auto pro_rata = [&](double amount) {
    // To members that met their own totals, in proportion to their stakes; if no staker met
    // its own total the pool goes back to the centre.
    double total = 0;
    for (const auto i : members) total += l.met[i] ? staked(i) : 0.0;
    if (total <= 0) return amount;
    for (const auto i : members)
      if (l.met[i]) pay[i] += amount * staked(i) / total;
    return 0.0;
  };
  const auto by_need = [&](double amount) {
    // Cover staked members' shortfalls against their own totals first, then pro rata to stakes.
    double need = 0, stakes = 0;
    for (const auto i : members)
      if (staked(i) > 0) {
        need += std::max(0.0, l.control_total[i] - l.surplus[i]);
        stakes += staked(i);
      }
    const double cover = std::min(amount, need);
    if (stakes <= 0) return amount;
    for (const auto i : members) {
      if (staked(i) <= 0) continue;
      const double shortfall = std::max(0.0, l.control_total[i] - l.surplus[i]);
      pay[i] += (need > 0 ? cover * shortfall / need : 0.0) + (amount - cover) * staked(i) / stakes;
    }
    return 0.0;
  };
  double left = pool;
  switch (rule) {
    case Redistribution::pro_rata:
      left = pro_rata(pool);
      break;
    case Redistribution::need:
      left = by_need(pool);
      break;
    case Redistribution::equal: {
      double count = 0;
      for (const auto i : members) count += staked(i) > 0;
      if (count > 0) {
        for (const auto i : members)
          if (staked(i) > 0) pay[i] += pool / count;
        left = 0;
      }
      break;
    }
    case Redistribution::leader: {
      // The leader shares part by need, as far as its brokerage reaches, the rest pro rata.
      const double q = leader_skill(w, sys);
      left = by_need(q * pool) + pro_rata((1 - q) * pool);
      break;
    }
  }
  w.system_ledger.returned[sys] += left;
}

}  // namespace

void settle(World& w) {
  const Params& p = w.params;
  const auto& o = w.orgs;
  const auto& d = w.current;
  auto& l = w.ledger;
  auto& s = w.system_ledger;
  const std::size_t n = w.size();

  detail::for_each_index(n, [&](std::size_t i) {
    const OrganisationFlows f = organisation_flows(w, i);
    l.income[i] = f.centre_in + f.outside_in + f.internal_in + f.external_in;
    l.surplus[i] = f.surplus();
    // Year-end measures: an organisation that accepted its total and falls short of it by no
    // more than it can book closes the shortfall (repaid next year: plan.cpp, accounts.cpp).
    const double shortfall = l.control_total[i] - l.surplus[i];
    const bool landed = p.year_end_measures > 0 && holds_control_total(o.kind[i]) && l.active[i] &&
                        d.accepted[i] && shortfall > 0 &&
                        shortfall <= p.year_end_measures * l.planned_cost[i];
    if (landed) {
      l.year_end[i] = shortfall;
      l.surplus[i] += shortfall;
      l.income[i] += shortfall;
    }
    // Landed: met, whatever the rounding of the sum.
    l.met[i] = holds_control_total(o.kind[i]) && l.active[i] &&
               (landed || l.surplus[i] >= l.control_total[i]);
    // The underlying position: the share of the year's efficiency gap (the requirement less the
    // improvement delivered) that stays in the trust's cost base next year.
    if (p.underlying_carry > 0 && is_trust(o.kind[i]) && l.active[i])
      l.underlying[i] += p.underlying_carry *
                         (p.efficiency_requirement * l.planned_cost[i] - improvement(w, i)) /
                         planned_cost(w, i);
  });

  // Support paid is summed in place: unstaked support first, then shares of the system pools.
  auto& pay = l.support_paid;
  std::fill(pay.begin(), pay.end(), 0.0);
  detail::for_each_index(
      w.systems.size(),
      [&](std::size_t sys) {
        const auto members = w.systems.members[sys];
        double surplus = 0, effort = 0, holders = 0, pool = 0, returned = 0, floor_part = 0;
        for (const auto i : members) {
          if (!holds_control_total(o.kind[i]) || !l.active[i]) continue;
          surplus += l.surplus[i];
          effort += d.effort[i];
          holders += 1;
        }
        s.surplus[sys] = surplus;
        s.met[sys] = holders > 0 && surplus >= s.control_total[sys];
        s.mean_effort[sys] = holders > 0 ? effort / holders : 0.0;
        for (const auto i : members) {
          l.penalty[i] = 0;
          const double a = l.allocation[i];
          if (a <= 0) continue;
          if (!d.accepted[i]) {  // no control total accepted, no support
            returned += a;
            continue;
          }
          const double unstaked = (1 - d.stake[i]) * a;
          pool += d.stake[i] * a;
          floor_part += std::min(d.stake[i], stake_floor(w, i)) * a;
          // Duty to collaborate: a member that met its own total with less than the system's
          // mean effort while the system missed has improved its position at the system's
          // expense; it forfeits a share of its allocation (withheld, or charged).
          if (!s.met[sys] && l.met[i] && d.effort[i] < s.mean_effort[sys])
            l.penalty[i] = p.collaboration_penalty * a;
          if (!l.met[i]) {
            returned += unstaked;
            continue;
          }
          pay[i] += unstaked;
        }
        s.staked[sys] = pool;
        s.returned[sys] = returned;
        if (s.met[sys])
          share_pool(w, sys, pool, pay);
        else
          s.returned[sys] += pool;
        double paid = 0;
        for (const auto i : members) paid += pay[i];
        s.paid[sys] = paid;
        s.stake_share[sys] = s.allocated[sys] > 0 ? pool / s.allocated[sys] : 0.0;
        s.stake_above_floor[sys] =
            s.allocated[sys] > 0 ? (pool - floor_part) / s.allocated[sys] : 0.0;
      },
      1);

  auto& nat = w.national;
  for (std::size_t sys = 0; sys < w.systems.size(); ++sys) nat.support_returned += s.returned[sys];
  for (std::size_t i = 0; i < n; ++i) {
    nat.penalties += l.penalty[i];
    if (pay[i] <= 0) continue;
    for (int f = 0; f < fund_count; ++f)
      nat.paid[f] += pay[i] * fund_allocation(w, Fund(f), i) / l.allocation[i];
  }

  // 2016/17 to 2018/19: unearned sustainability funding went as a bonus to trusts that beat
  // their control totals, so much per pound (F04: 1, then 2), as far as it lasted. On the
  // outturn basis every pound beyond the total claims it; on the agreed basis, as England ran it,
  // only the improvement of its total a trust agreed in year, and what is left goes to every
  // trust that met its total, by its PSF allocation ("any residual STF at the year end will be
  // paid as a year-end revenue bonus to those providers that deliver or exceed" their totals:
  // NHS Improvement to trusts, HSJ 2016).
  std::fill(l.bonus.begin(), l.bonus.end(), 0.0);
  const double unearned = nat.pot[int(Fund::psf)] - nat.paid[int(Fund::psf)];
  if (p.psf_incentive > 0 && unearned > 0) {
    const bool agreed = p.incentive_basis == IncentiveBasis::agreed;
    const auto claimant = [&](std::size_t i) {
      return is_trust(o.kind[i]) && d.accepted[i] && l.met[i];
    };
    const auto claim = [&](std::size_t i) {
      return p.psf_incentive * (agreed ? l.raise[i] : l.surplus[i] - l.control_total[i]);
    };
    double claims = 0, allocations = 0;
    for (std::size_t i = 0; i < n; ++i)
      if (claimant(i)) {
        claims += claim(i);
        allocations += fund_allocation(w, Fund::psf, i);
      }
    // A trust that claimed nothing would have been paid at the full rate had it claimed a little.
    const double share = claims > 0 ? std::min(1.0, unearned / claims) : 1.0;
    nat.bonus_share = share;
    const double left = unearned - std::min(unearned, claims);
    nat.general_share = agreed && allocations > 0 ? left / allocations : 0.0;
    for (std::size_t i = 0; i < n; ++i)
      if (claimant(i)) {
        l.bonus[i] = share * claim(i) + nat.general_share * fund_allocation(w, Fund::psf, i);
        nat.bonus_paid += l.bonus[i];
      }
    nat.support_returned -= nat.bonus_paid;
  }

  // Balances; then the national bail-out for the deepest cumulative deficits (the need summed
  // in organisation order).
  detail::for_each_index(
      n,
      [&](std::size_t i) {
        l.balance[i] += l.surplus[i] + pay[i] + l.bonus[i] - l.penalty[i];
        l.bailout[i] = 0;
        l.writeoff[i] = 0;
      },
      4096);
  const auto excess = [&](std::size_t i) {
    return holds_control_total(o.kind[i]) && l.active[i]
               ? std::max(0.0, -l.balance[i] - p.bailout_threshold * l.planned_income[i])
               : 0.0;
  };
  double need = 0;
  if (p.bailout > 0)
    for (std::size_t i = 0; i < n; ++i) need += excess(i);
  if (p.bailout > 0 && need > 0) {
    const double share = std::min(1.0, p.bailout / need);
    for (std::size_t i = 0; i < n; ++i) {
      l.bailout[i] = share * excess(i);
      l.balance[i] += l.bailout[i];
      nat.bailout_paid += l.bailout[i];
    }
  }
  // Write-offs: cumulative deficits that cannot be repaid are written off in the years policy
  // sets a share (CCGs: typically ~50%; trusts' loans: 13.4bn converted in 2020).
  if (p.writeoff_commissioners > 0 || p.writeoff_trusts > 0) {
    for (std::size_t i = 0; i < n; ++i) {
      const Kind k = o.kind[i];
      const double share = k == Kind::commissioner ? p.writeoff_commissioners
                           : is_trust(k)           ? p.writeoff_trusts
                                                   : 0.0;
      if (l.active[i] && l.balance[i] < 0 && share > 0) {
        l.writeoff[i] = -share * l.balance[i];
        l.balance[i] += l.writeoff[i];
        nat.writeoff += l.writeoff[i];
      }
    }
  }
}

}  // namespace icsim
