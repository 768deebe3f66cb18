// Stage 6, learn: beliefs and attractions from what each organisation received; trust on each
// edge from what partners did; the systems' record for earned autonomy and the year's measures.
#include <algorithm>
#include <cmath>

#include "agents/accounts.hpp"
#include "agents/collaboratives.hpp"
#include "agents/parallel.hpp"
#include "agents/rules.hpp"
#include "agents/step.hpp"

namespace icsim {
namespace {

void update_rules(World& w) {
  const Params& p = w.params;
  auto& r = w.rules;
  const auto& s = w.system_ledger;
  bool learning = false;
  for (int k = 0; k < kind_count; ++k)
    learning = learning || p.rule_for(static_cast<Kind>(k)) == Rule::learning;
  if (learning && r.attraction.empty()) {  // a timeline switched a kind to learning
    r.attraction.assign(w.size() * action_count, 0.0);
    r.experience.assign(w.size(), 1.0);
  }
  detail::for_each_index(w.size(), [&](std::size_t i) {
    if (!holds_control_total(w.orgs.kind[i]) || !w.ledger.active[i]) return;
    const auto sys = w.orgs.system[i];
    r.belief[i] += p.belief_weight * ((s.met[sys] ? 1.0 : 0.0) - r.belief[i]);
    const double stake = w.current.stake[i], effort = w.current.effort[i];
    w.ledger.utility[i] = payoff(w, i, stake, effort);  // bonus and penalty included
    if (p.rule_for(w.orgs.kind[i]) != Rule::learning) return;
    // EWA: N(t) = rho N(t-1) + 1; A_j(t) = (phi N(t-1) A_j(t-1) + [delta + (1-delta) I_j] pi_j) /
    // N(t)
    const double floor = stake_floor(w, i), top = stake_top(w, i);
    const int chosen = nearest_action(stake, effort, floor, top);
    const double before = r.experience[i];
    r.experience[i] = p.ewa_rho * before + 1.0;
    for (int a = 0; a < action_count; ++a) {
      const double pi = payoff(w, i, stake_level(a, floor, top), effort_level(a));
      const double weight = a == chosen ? 1.0 : p.ewa_delta;
      double& attraction = r.attraction[i * action_count + a];
      attraction = (p.ewa_phi * before * attraction + weight * pi) / r.experience[i];
    }
  });
}

// What the systems' measures need from their inner edges (both ends in the system).
struct InnerEdges {
  std::vector<double> trust, count, flow, joined;
};

// Trust rises when both sides kept faith; falls when either broke it; erodes under transition
// pressure. Each edge is
// updated once, from its lower end, system by system with members ascending: so the sums over
// each system's inner edges, taken on the way, run in edge order whatever the number of threads.
InnerEdges update_trust(World& w) {
  const Params& p = w.params;
  const auto& o = w.orgs;
  const auto& d = w.current;
  const auto& l = w.ledger;
  const auto& s = w.system_ledger;
  const std::size_t ns = w.systems.size();
  // Each organisation's part is judged once, not once per edge: what it did this year. An NHS
  // body keeps faith when it accepted its control total and delivered (met it, or made at least
  // its system's mean effort); it breaks faith when it free-rode or its shortfall alone sank
  // its system. A council keeps faith by pooling, and the pool breaks it when the council lost
  // money by it (paid its partners' overspend beyond what it saved: Luton, 2019). Primary care
  // networks keep faith.
  enum Part : std::uint8_t { neutral, broke, kept };
  std::vector<std::uint8_t> part(w.size());
  detail::for_each_index(
      w.size(),
      [&](std::size_t i) {
        const Kind kind = o.kind[i];
        if (!l.active[i]) {
          part[i] = neutral;
        } else if (kind == Kind::primary_care_network) {
          part[i] = kept;
        } else if (kind == Kind::local_authority) {
          double paid = 0;
          const Pool& own = pool(w, i);
          for_each_pool_partner(w, i, [&](std::uint32_t c, std::uint32_t e) {
            paid += pool_transfer(w, std::uint32_t(i), c, e, own);
          });
          part[i] = l.pooled[i] <= 0 ? neutral : paid > l.collab_savings[i] ? broke : kept;
        } else {
          const auto sys = o.system[i];
          const bool freerode = d.effort[i] < s.mean_effort[sys] - p.freeride_gap;
          const double system_gap = s.surplus[sys] - s.control_total[sys];
          const bool sank = !s.met[sys] && system_gap + (l.control_total[i] - l.surplus[i]) >= 0;
          const bool delivered = l.met[i] || d.effort[i] >= s.mean_effort[sys];
          part[i] = freerode || sank ? broke : d.accepted[i] && delivered ? kept : neutral;
        }
      },
      4096);
  std::vector<double> leader(ns);
  for (std::size_t sys = 0; sys < ns; ++sys) leader[sys] = leader_skill(w, sys);
  const double erosion = 1.0 - p.trust_erosion * p.transition_pressure;
  const auto flows = w.graph.flows();
  // Taking part in the system's joint work: an NHS body that accepted its total and pooled
  // above the floor or works in a collaborative; a council that pools; a primary care network.
  const auto takes_part = [&](std::uint32_t i) {
    if (!l.active[i]) return false;
    const Kind kind = o.kind[i];
    if (kind == Kind::primary_care_network) return true;
    if (kind == Kind::local_authority) return l.pooled[i] > 0;
    if (!d.accepted[i]) return false;
    if (d.stake[i] >= stake_floor(w, i) + p.pool_level) return true;
    for (const auto a : w.candidate_slots[i])
      if (d.member[a]) return true;
    return false;
  };
  // One byte per organisation for the edge loop: its part (bits 0-1), whether it takes part
  // (bit 2) and whether it exists this year (bit 3).
  constexpr std::uint8_t part_bits = 3, joins_bit = 4, active_bit = 8;
  detail::for_each_index(
      w.size(),
      [&](std::size_t i) {
        part[i] =
            static_cast<std::uint8_t>(part[i] | (takes_part(std::uint32_t(i)) ? joins_bit : 0) |
                                      (l.active[i] ? active_bit : 0));
      },
      4096);

  InnerEdges inner{std::vector<double>(ns), std::vector<double>(ns), std::vector<double>(ns),
                   std::vector<double>(ns)};
  double* const trust = w.trust.data();
  const std::int32_t* const system = o.system.data();
  const std::uint8_t* const parts = part.data();
  detail::for_each_index(
      ns,
      [&](std::size_t sys) {
        double trust_sum = 0, count = 0, flow = 0, joined = 0;
        for (const auto i : w.systems.members[sys]) {
          const Incidence at = w.graph.incidence(i);
          const auto higher = at.higher();
          const std::uint8_t code_i = parts[i], part_i = code_i & part_bits;
          const std::int32_t system_i = system[i];
          for (std::size_t k = 0; k < higher.size(); ++k) {
            const auto j = higher[k];
            const std::size_t e = at.first_higher_edge + k;
            const bool inside = system[j] == system_i;
            const std::uint8_t code_j = parts[j], part_j = code_j & part_bits;
            double t = trust[e];
            if (part_i == broke || part_j == broke) {
              t -= p.trust_loss * t;
            } else if (part_i == kept && part_j == kept) {
              // A leader with time to broker helps trust grow inside the system.
              const double skill = inside ? leader[sys] : 0.5;
              t += p.trust_gain * (0.5 + 0.5 * skill) * (1.0 - t);
            }
            t = std::clamp(t * erosion, 0.0, 1.0);
            trust[e] = t;
            if (!inside || !(code_i & code_j & active_bit)) continue;
            trust_sum += t;
            count += 1;
            flow += flows[e];
            // Integration index: flow between organisations that both take part in their
            // system's joint work, weighted by trust (the long-term plan's joined-up care).
            if (code_i & code_j & joins_bit) joined += flows[e] * t;
          }
        }
        inner.trust[sys] = trust_sum;
        inner.count[sys] = count;
        inner.flow[sys] = flow;
        inner.joined[sys] = joined;
      },
      1);
  return inner;
}

// The systems' year: record on target, mean trust, collaboratives, joined-up care.
void summarise_systems(World& w, const InnerEdges& inner) {
  const Params& p = w.params;
  auto& s = w.system_ledger;
  const auto& l = w.ledger;
  const std::size_t ns = w.systems.size();
  const auto& d = w.current;
  const CollaborativeState collab = collaborative_state(w, d);
  std::fill(s.collaboratives.begin(), s.collaboratives.end(), 0);
  for (std::size_t c = 0; c < w.collaboratives.size(); ++c) {
    const auto home = w.collaboratives.system[c];
    if (home >= 0 && collab.members[c] >= 2) ++s.collaboratives[home];
  }
  for (std::size_t sys = 0; sys < ns; ++sys) {
    s.years_on_target[sys] = s.met[sys] ? s.years_on_target[sys] + 1 : 0;
    s.mean_trust[sys] = inner.count[sys] > 0 ? inner.trust[sys] / inner.count[sys] : 0.0;
    s.integration_index[sys] = inner.flow[sys] > 0 ? inner.joined[sys] / inner.flow[sys] : 0.0;
    s.in_name_only[sys] =
        s.stake_above_floor[sys] < p.name_only_stake && s.mean_trust[sys] < p.name_only_trust;
    double pooled = 0, budgets = 0;
    for (const auto i : w.systems.members[sys])
      if (w.orgs.kind[i] == Kind::local_authority && l.active[i]) {
        pooled += l.pooled[i];
        budgets += l.planned_cost[i];
      }
    s.pooled[sys] = budgets > 0 ? pooled / budgets : 0.0;
  }
}

}  // namespace

void learn(World& w) {
  update_rules(w);
  summarise_systems(w, update_trust(w));
}

}  // namespace icsim
