// Stage 6, learn: beliefs and attractions from what each organisation received; trust on each
// edge from what partners did; the systems' record for earned autonomy and the year's measures.
#include <algorithm>
#include <cmath>

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
  detail::for_each_index(w.size(), [&](std::size_t i) {
    if (!holds_control_total(w.orgs.kind[i])) return;
    const auto sys = w.orgs.system[i];
    r.belief[i] += p.belief_weight * ((s.met[sys] ? 1.0 : 0.0) - r.belief[i]);
    const double stake = w.current.stake[i], effort = w.current.effort[i];
    w.ledger.utility[i] = payoff(w, i, stake, effort) - w.ledger.penalty[i] / w.orgs.base_cost[i];
    if (p.rule_for(w.orgs.kind[i]) != Rule::learning) return;
    // EWA: N(t) = rho N(t-1) + 1; A_j(t) = (phi N(t-1) A_j(t-1) + [delta + (1-delta) I_j] pi_j) /
    // N(t)
    const double floor = stake_floor(w, i);
    const int chosen = nearest_action(stake, effort, floor);
    const double before = r.experience[i];
    r.experience[i] = p.ewa_rho * before + 1.0;
    for (int a = 0; a < action_count; ++a) {
      const double pi = payoff(w, i, stake_level(a, floor), effort_level(a));
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

// Trust rises when both sides pooled and delivered; falls when a partner free-rode (effort well
// below its system's mean) or its overspend alone sank its system; erodes under transition
// pressure. Partners without a control total count as pooling and delivering. Each edge is
// updated once, from its lower end, system by system with members ascending: so the sums over
// each system's inner edges, taken on the way, run in edge order whatever the number of threads.
InnerEdges update_trust(World& w) {
  const Params& p = w.params;
  const auto& o = w.orgs;
  const auto& d = w.current;
  const auto& l = w.ledger;
  const auto& s = w.system_ledger;
  const std::size_t ns = w.systems.size();
  // Each organisation's part is judged once, not once per edge: what it did this year.
  enum Part : std::uint8_t { neutral, broke, kept };
  std::vector<std::uint8_t> part(w.size());
  detail::for_each_index(
      w.size(),
      [&](std::size_t i) {
        if (!holds_control_total(o.kind[i])) {  // partners without a total count as keeping faith
          part[i] = kept;
          return;
        }
        const auto sys = o.system[i];
        const bool freerode = d.effort[i] < s.mean_effort[sys] - p.freeride_gap;
        const double system_gap = s.surplus[sys] - s.control_total[sys];
        const bool sank = !s.met[sys] && system_gap + (l.control_total[i] - l.surplus[i]) >= 0;
        const bool pooled = d.accepted[i] && d.stake[i] >= p.pool_level;
        const bool delivered = l.met[i] || d.effort[i] >= s.mean_effort[sys];
        part[i] = freerode || sank ? broke : pooled && delivered ? kept : neutral;
      },
      4096);
  std::vector<double> leader(ns);
  for (std::size_t sys = 0; sys < ns; ++sys) leader[sys] = leader_skill(w, sys);
  const double erosion = 1.0 - p.trust_erosion * p.transition_pressure;
  const auto flows = w.graph.flows();
  const auto share_collaborative = [&](std::uint32_t i, std::uint32_t j) {
    for (const auto a : w.links.slots(i)) {
      if (!d.member[a]) continue;
      for (const auto b : w.links.slots(j))
        if (d.member[b] && w.collaborative_of_slot[a] == w.collaborative_of_slot[b]) return true;
    }
    return false;
  };
  const auto in_any_collaborative = [&](std::uint32_t i) {
    for (const auto a : w.links.slots(i))
      if (d.member[a]) return true;
    return false;
  };

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
          const std::uint8_t part_i = parts[i];
          const bool member_i = in_any_collaborative(i);
          for (std::size_t k = 0; k < higher.size(); ++k) {
            const auto j = higher[k];
            const std::size_t e = at.first_higher_edge + k;
            const bool inside = system[j] == system[i];
            double t = trust[e];
            if (part_i == broke || parts[j] == broke) {
              t -= p.trust_loss * t;
            } else if (part_i == kept && parts[j] == kept) {
              // A leader with time to broker helps trust grow inside the system.
              const double skill = inside ? leader[sys] : 0.5;
              t += p.trust_gain * (0.5 + 0.5 * skill) * (1.0 - t);
            }
            t = std::clamp(t * erosion, 0.0, 1.0);
            trust[e] = t;
            if (!inside) continue;
            trust_sum += t;
            count += 1;
            flow += flows[e];
            // Integration index: patient flow between organisations sharing a collaborative,
            // weighted by trust (the long-term plan's joined-up care).
            if (member_i && share_collaborative(i, j)) joined += flows[e] * t;
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
        s.stake_share[sys] < p.name_only_stake && s.mean_trust[sys] < p.name_only_trust;
  }
}

}  // namespace

void learn(World& w) {
  update_rules(w);
  summarise_systems(w, update_trust(w));
}

}  // namespace icsim
