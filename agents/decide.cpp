// Stage 2, decide: trusts accept their control totals or not (and so ICSs their system totals);
// then every organisation chooses its stake, effort and memberships, councils their pooling.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <span>

#include "agents/collaboratives.hpp"
#include "agents/parallel.hpp"
#include "agents/rules.hpp"
#include "agents/step.hpp"

namespace icsim {
namespace {

// Joins the collaboratives whose expected saving beats the extra overhead, best first, with
// logistic noise; the mandate keeps every acute trust in at least one.
void choose_memberships(const DecideContext& ctx, std::size_t i, Random& rng, Decisions& out) {
  const World& w = ctx.world;
  const auto slots = w.candidate_slots[i];
  if (slots.empty()) return;
  if (!w.ledger.active[i]) {
    for (const auto slot : slots) out.member[slot] = 0;
    return;
  }
  // On the stack for the usual handful of candidacies (no allocation per agent per year).
  using Gain = std::pair<double, std::uint32_t>;
  constexpr std::size_t on_stack = 16;
  std::array<Gain, on_stack> local;
  std::vector<Gain> spill(slots.size() > on_stack ? slots.size() : 0);
  const std::span<Gain> gain =
      spill.empty() ? std::span<Gain>(local.data(), slots.size()) : std::span<Gain>(spill);
  for (std::size_t k = 0; k < slots.size(); ++k) {
    const auto slot = slots[k];
    const auto c = w.collaborative_of_slot[slot];
    const double members = ctx.collab_members[c] + (ctx.view.member[slot] ? 0.0 : 1.0);
    gain[k] = {collaborative_saving(w.params, members, ctx.collab_trust[c], out.formal[c],
                                    w.orgs.base_cost[i]),
               slot};
  }
  std::sort(gain.begin(), gain.end(), [](const Gain& x, const Gain& y) {
    return x.first != y.first ? x.first > y.first : x.second < y.second;
  });
  const double scale =
      std::max(w.params.logit_noise * w.params.collab_overhead * w.orgs.base_cost[i], 1e-12);
  double m = 0;
  for (const auto& [g, slot] : gain) {
    const double cap = w.orgs.capacity[i], cost = w.orgs.base_cost[i];
    const double marginal = g - (membership_overhead(w.params, m + 1, cap, cost) -
                                 membership_overhead(w.params, m, cap, cost));
    const double u = rng.uniform_open();
    const double noise = scale * std::log(u / (1.0 - u + 1e-300));
    const bool join = marginal + noise > 0;
    out.member[slot] = join;
    m += join;
  }
  if (m == 0 && w.params.collaborative_mandate && w.orgs.kind[i] == Kind::acute)
    out.member[gain.front().second] = 1;
}

void decide_one(const DecideContext& ctx, const std::array<ChooseFn, kind_count>& rules,
                std::size_t i, Decisions& out) {
  const World& w = ctx.world;
  const Kind kind = w.orgs.kind[i];
  Random rng(w.key, std::uint32_t(w.year), std::uint32_t(i), Purpose::decide);
  if (holds_control_total(kind)) {
    const Choice c = w.ledger.active[i] ? rules[static_cast<int>(kind)](ctx, i, rng) : Choice{0, 0};
    out.stake[i] = c.stake;
    out.effort[i] = c.effort;
  } else if (kind == Kind::local_authority) {
    out.stake[i] = choose_pooling(ctx, i, rng);
  }
  Random collab_rng(w.key, std::uint32_t(w.year), std::uint32_t(i), Purpose::collaborate);
  choose_memberships(ctx, i, collab_rng, out);
}

DecideContext make_context(const World& w, const Decisions& view) {
  const Params& p = w.params;
  const std::size_t ns = w.systems.size();
  DecideContext ctx{
      w,
      view,
      std::vector<double>(ns, 0.0),
      std::vector<double>(ns, 0.0),
      {},
      {},
      p.common_volatility / std::max(std::hypot(p.volatility, p.common_volatility), 1e-12)};
  // Per system over its members, in organisation order.
  detail::for_each_index(
      ns,
      [&](std::size_t sys) {
        double staked = 0, effort = 0, holders = 0;
        for (const auto i : w.systems.members[sys]) {
          staked += view.stake[i] * w.ledger.allocation[i];
          if (!holds_control_total(w.orgs.kind[i]) || !w.ledger.active[i]) continue;
          effort += view.effort[i];
          holders += 1;
        }
        ctx.system_staked[sys] = staked;
        ctx.system_effort[sys] = holders > 0 ? effort / holders : 0.0;
      },
      1);
  auto state = collaborative_state(w, view);
  ctx.collab_members = std::move(state.members);
  ctx.collab_trust = std::move(state.trust);
  return ctx;
}

// Acceptance comes first, for every rule alike: a trust accepts its control total when the
// support on offer and the cost of refusing outweigh the expected cost of missing it, a logit
// choice like the others (rules.cpp), drawn from its own stream (Purpose::accept).
// An ICS accepts a system control total when enough of its NHS bodies, by cost, can commit to it:
// those that accepted their own totals and expect to meet them at full effort (2018/19: 8 of 14
// ICSs had accepted at Q2; Buckinghamshire could not after an unexpected CCG overspend); only then
// may its members stake above the floor.
void decide_acceptance(World& w) {
  const std::size_t n = w.size();
  detail::for_each_index(
      n,
      [&](std::size_t i) {
        Random rng(w.key, std::uint32_t(w.year), std::uint32_t(i), Purpose::accept);
        w.current.accepted[i] = accepts(w, i, rng);
      },
      64);
  auto& s = w.system_ledger;
  detail::for_each_index(
      w.systems.size(),
      [&](std::size_t sys) {
        s.accepted[sys] = false;
        if (!s.ics[sys]) return;  // only an ICS is offered a system total
        double accepted = 0, total = 0;
        for (const auto i : w.systems.members[sys]) {
          if (!holds_control_total(w.orgs.kind[i]) || !w.ledger.active[i]) continue;
          total += w.ledger.planned_cost[i];
          if (w.current.accepted[i] && outlook(w, i).p_meet(1.0) >= 0.5)
            accepted += w.ledger.planned_cost[i];
        }
        s.accepted[sys] = total > 0 && accepted >= w.params.acceptance_share * total;
      },
      4);
}

// In-year improvements of control totals (policy.incentive_basis = "agreed"): each trust that
// accepted its total agrees the improvement that is best at the effort it chose, and its total
// (and its system's) rises by it (England 2018/19: 42 providers, 112m in all; C05).
void agree_raises(World& w) {
  auto& l = w.ledger;
  std::fill(l.raise.begin(), l.raise.end(), 0.0);
  if (w.params.incentive_basis != IncentiveBasis::agreed || w.params.psf_incentive <= 0) return;
  detail::for_each_index(
      w.size(),
      [&](std::size_t i) {
        l.raise[i] = agreed_raise(w, i, w.current.effort[i]);
        l.control_total[i] += l.raise[i];
      },
      64);
  auto& s = w.system_ledger;
  for (std::size_t sys = 0; sys < w.systems.size(); ++sys)
    for (const auto i : w.systems.members[sys])  // in organisation order: any thread count
      if (holds_control_total(w.orgs.kind[i]) && l.active[i]) s.control_total[sys] += l.raise[i];
}

}  // namespace

void decide(World& w) {
  const Params& p = w.params;
  std::array<ChooseFn, kind_count> rules{};
  for (int k = 0; k < kind_count; ++k) rules[k] = rule_function(p.rule_for(static_cast<Kind>(k)));

  decide_acceptance(w);
  // Collaboratives' form this year: set by policy, or chosen by the members' trust.
  const DecideContext last = make_context(w, w.previous);
  for (std::size_t c = 0; c < w.collaboratives.size(); ++c)
    w.current.formal[c] = p.collaborative_form == CollaborativeForm::formal ||
                          (p.collaborative_form == CollaborativeForm::choice &&
                           last.collab_trust[c] >= p.formal_trust);

  const std::size_t n = w.size();
  switch (p.activation) {
    case Activation::synchronous: {
      // Everyone decides on last year's state: parallel and independent of thread count.
      detail::for_each_index(
          n, [&](std::size_t i) { decide_one(last, rules, i, w.current); }, 64);
      break;
    }
    case Activation::random_sequential: {
      // One at a time in a random order; each sees the choices already made this year.
      w.current.stake = w.previous.stake;
      w.current.effort = w.previous.effort;
      w.current.member = w.previous.member;
      std::vector<std::uint32_t> order(n);
      std::iota(order.begin(), order.end(), 0u);
      Random rng(w.key, std::uint32_t(w.year), 0, Purpose::order);
      for (std::size_t k = n; k > 1; --k)
        std::swap(order[k - 1], order[rng.below(std::uint32_t(k))]);
      const DecideContext ctx = make_context(w, w.current);
      for (const auto i : order) decide_one(ctx, rules, i, w.current);
      break;
    }
    case Activation::staged: {
      // Commissioners first, then trusts kind by kind; each stage sees the stages before it.
      static constexpr std::array<Kind, kind_count> stages{
          Kind::commissioner, Kind::acute,     Kind::specialist,           Kind::mental_health,
          Kind::community,    Kind::ambulance, Kind::primary_care_network, Kind::local_authority};
      Decisions snapshot = w.previous;
      snapshot.formal = w.current.formal;
      snapshot.accepted = w.current.accepted;
      w.current = snapshot;
      for (const Kind stage : stages) {
        const DecideContext ctx = make_context(w, snapshot);
        detail::for_each_index(
            n,
            [&](std::size_t i) {
              if (w.orgs.kind[i] == stage) decide_one(ctx, rules, i, w.current);
            },
            64);
        snapshot = w.current;
      }
      break;
    }
  }
  agree_raises(w);
}

}  // namespace icsim
