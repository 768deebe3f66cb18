#include "agents/rules.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace icsim {
namespace {

// Draws an index with probability proportional to exp(utility / temperature).
template <std::size_t N>
int logit_draw(const std::array<double, N>& utility, int count, double temperature, Random& rng) {
  double best = -std::numeric_limits<double>::infinity();
  for (int a = 0; a < count; ++a) best = std::max(best, utility[a]);
  std::array<double, N> weight{};
  double total = 0;
  for (int a = 0; a < count; ++a) total += weight[a] = std::exp((utility[a] - best) / temperature);
  double u = rng.uniform() * total;
  for (int a = 0; a < count; ++a)
    if ((u -= weight[a]) < 0) return a;
  return count - 1;
}

}  // namespace

Outlook outlook(const World& w, std::size_t i) {
  const Params& p = w.params;
  const auto& l = w.ledger;
  const double cost = w.orgs.base_cost[i];
  const double levy_seen =
      -levy_paid(p, w.orgs, i) * (1.0 - p.savings_visibility * p.purchasing_return);
  const double carried = -p.persistence * l.shock[i] * cost;
  const double tail_mean = p.tail_probability * p.tail_scale * cost;
  const double margin0 = w.orgs.income[i] - cost * (1.0 + p.efficiency_requirement) -
                         l.control_total[i] + l.collab_savings[i] - l.overhead[i] + levy_seen +
                         carried - tail_mean;
  const double var = p.volatility * p.volatility + p.common_volatility * p.common_volatility +
                     p.tail_probability * (2.0 - p.tail_probability) * p.tail_scale * p.tail_scale;
  return {margin0, p.cip_max * cost, std::max(cost * std::sqrt(var), 1e-9 * (1.0 + cost))};
}

double stake_floor(const World& w, std::size_t i) {
  return w.system_ledger.autonomous[w.orgs.system[i]] ? 0.0 : w.params.system_tied_share;
}

bool accepts(const World& w, std::size_t i) {
  return outlook(w, i).p_meet(1.0) >= w.params.accept_probability;
}

double partner_trust(const World& w, std::size_t i) {
  double sum = 0;
  int count = 0;
  for (const auto e : w.links.partner_edges(i)) {
    sum += w.trust[e];
    ++count;
  }
  return count ? sum / count : w.params.initial_trust;
}

// Expected utility (mean-variance) of support, own improvement and, weighted by trust, the
// partners' gain from own effort; logit choice among the action grid.
Choice choose_expected_utility(const DecideContext& ctx, std::size_t i, Random& rng) {
  const World& w = ctx.world;
  const Params& p = w.params;
  const double cost = w.orgs.base_cost[i];
  const double a = w.ledger.allocation[i];
  const double floor = stake_floor(w, i);
  const Outlook out = outlook(w, i);
  const auto sys = w.orgs.system[i];
  const double weight = cost / std::max(w.system_ledger.cost[sys], 1e-12);
  // Chances of meeting the own total at each effort level; last year's effort is usually one
  // of them, and full effort decides acceptance (as accepts() does).
  std::array<double, effort_levels> p_level{};
  for (int ei = 0; ei < effort_levels; ++ei) p_level[ei] = out.p_meet(effort_level(ei));
  const double last_effort = ctx.view.effort[i];
  const long last_level = std::lround(last_effort * (effort_levels - 1));
  const double p_prev =
      last_level >= 0 && last_level < effort_levels && effort_level(int(last_level)) == last_effort
          ? p_level[last_level]
          : out.p_meet(last_effort);
  const bool accept = p_level[effort_levels - 1] >= p.accept_probability;
  const double belief = w.rules.belief[i];
  const double others = std::max(0.0, ctx.system_staked[sys] - ctx.view.stake[i] * a);
  const double care = p.solidarity * partner_trust(w, i);
  const double rho = ctx.system_correlation;
  const double ra = w.orgs.risk_aversion[i];
  // What a staked pound is expected to bring back when the system meets its total: under
  // pro rata only members that met their own totals share the pool; a leader shares part by
  // need; need and equal rules pay members whatever their own result.
  Redistribution rule = p.redistribution;
  if (w.system_ledger.autonomous[sys]) rule = Redistribution::leader;
  const double q = rule == Redistribution::leader ? leader_skill(w, sys) : 0.0;

  // Per stake level, the weights of the own and the system outcome's variances and covariance.
  std::array<double, stake_levels> own_weight{}, system_weight{}, cross_weight{};
  for (int si = 0; si < stake_levels; ++si) {
    const double s = stake_level(si * effort_levels, floor);
    own_weight[si] = (1 - s) * (1 - s);
    system_weight[si] = s * s;
    cross_weight[si] = 2 * s * (1 - s) * rho;
  }
  std::array<double, action_count> accept_u{};
  std::array<double, effort_levels> decline_u{};
  for (int ei = 0; ei < effort_levels; ++ei) {
    const double e = effort_level(ei);
    const double pm = p_level[ei];
    const double b = std::clamp(belief + weight * (pm - p_prev), 0.001, 0.999) *
                     (rule == Redistribution::pro_rata ? pm
                      : rule == Redistribution::leader ? q + (1 - q) * pm
                                                       : 1.0);
    const double own = w.orgs.duty[i] * p.cip_max * e * cost - p.effort_cost * e * e * cost;
    const double shared = care * weight * (pm - p_prev) * others;
    decline_u[ei] = own;
    const double vo = pm * (1 - pm), vs = b * (1 - b), spread = std::sqrt(vo * vs);
    for (int si = 0; si < stake_levels; ++si) {
      const int action = si * effort_levels + ei;
      const double s = stake_level(action, floor);
      const double mean = a * ((1 - s) * pm + s * b);
      const double var =
          a * a * (own_weight[si] * vo + system_weight[si] * vs + cross_weight[si] * spread);
      accept_u[action] = mean - (a > 0 ? ra * var / (2 * a) : 0.0) + own + shared;
    }
  }
  const double temperature = p.logit_noise * std::max(a, 0.01 * cost);
  // Acceptance turns on attainability alone: mean-variance utility is not monotone, so
  // comparing it with declining would have risk-averse organisations refuse free money.
  if (accept) {
    const int action = logit_draw(accept_u, action_count, temperature, rng);
    return {1, stake_level(action, floor), effort_level(action)};
  }
  const int ei = logit_draw(decline_u, effort_levels, temperature, rng);
  return {0, floor, effort_level(ei)};
}

// Imitation: copy a random partner's strategy with the Fermi probability
// 1 / (1 + exp((u_self - u_other) / K)) (Szabo and Toke 1998).
Choice choose_imitation(const DecideContext& ctx, std::size_t i, Random& rng) {
  const World& w = ctx.world;
  const double floor = stake_floor(w, i);
  Choice own{ctx.view.accepted[i], std::max(ctx.view.stake[i], floor), ctx.view.effort[i]};
  if (rng.uniform() < w.params.exploration) {
    const int action = static_cast<int>(rng.below(action_count));
    return {std::uint8_t(accepts(w, i)), stake_level(action, floor), effort_level(action)};
  }
  const auto nb = w.graph.neighbours(std::uint32_t(i));
  std::uint32_t holders = 0;
  for (const auto j : nb) holders += holds_control_total(w.orgs.kind[j]);
  if (holders == 0) return own;
  std::uint32_t pick = rng.below(holders);
  for (const auto j : nb) {
    if (!holds_control_total(w.orgs.kind[j]) || pick-- != 0) continue;
    const double du = w.ledger.utility[i] - w.ledger.utility[j];
    if (rng.uniform() < 1.0 / (1.0 + std::exp(du / w.params.imitation_noise)))
      own = {ctx.view.accepted[j], std::max(ctx.view.stake[j], floor), ctx.view.effort[j]};
    break;
  }
  if (own.accepted && !accepts(w, i)) own.accepted = 0;
  return own;
}

// Experience-weighted attraction (Camerer and Ho 1999): logit choice on attractions.
Choice choose_learning(const DecideContext& ctx, std::size_t i, Random& rng) {
  const World& w = ctx.world;
  std::array<double, action_count> u{};
  for (int a = 0; a < action_count; ++a)
    u[a] = w.params.ewa_lambda * w.rules.attraction[i * action_count + a];
  const int action = logit_draw(u, action_count, 1.0, rng);
  const double floor = stake_floor(w, i);
  return {std::uint8_t(accepts(w, i)), stake_level(action, floor), effort_level(action)};
}

// Threshold (Granovetter 1978): pool when the trust-weighted share of partners that pooled and
// delivered last year reaches the organisation's threshold.
Choice choose_threshold(const DecideContext& ctx, std::size_t i, Random&) {
  const World& w = ctx.world;
  const Incidence at = w.graph.incidence(std::uint32_t(i));
  const auto nb = at.neighbours;
  double pooled = 0, total = 0;
  for (std::size_t k = 0; k < nb.size(); ++k) {
    const auto j = nb[k];
    if (!holds_control_total(w.orgs.kind[j])) continue;
    const double t = w.trust[at.edge(k)];
    total += t;
    if (ctx.view.stake[j] >= w.params.pool_level && ctx.view.accepted[j]) pooled += t;
  }
  const double floor = stake_floor(w, i);
  const bool act = total > 0 && pooled / total >= w.orgs.threshold[i];
  return {std::uint8_t(accepts(w, i)), act ? 1.0 : floor, act ? 0.75 : 0.25};
}

ChooseFn rule_function(Rule rule) {
  switch (rule) {
    case Rule::imitation:
      return choose_imitation;
    case Rule::learning:
      return choose_learning;
    case Rule::threshold:
      return choose_threshold;
    default:
      return choose_expected_utility;
  }
}

double payoff(const World& w, std::size_t i, double stake, double effort) {
  const Params& p = w.params;
  const auto& l = w.ledger;
  const auto& s = w.system_ledger;
  const auto sys = w.orgs.system[i];
  const double cost = w.orgs.base_cost[i];
  const double a = l.allocation[i];
  const double actual_effort = w.current.effort[i];
  const double delta = p.cip_max * (effort - actual_effort) * cost;
  const bool met = l.surplus[i] + delta >= l.control_total[i];
  const bool system_met = s.surplus[sys] + delta >= s.control_total[sys];
  // A staked pound's return when the system met: what this member actually got back per pound.
  const double staked_now = w.current.stake[i] * a;
  const double unstaked_paid = w.current.accepted[i] && l.met[i] ? (1 - w.current.stake[i]) * a : 0;
  const double ratio =
      staked_now > 0 && s.met[sys]
          ? std::max(0.0, l.support_paid[i] + l.penalty[i] - unstaked_paid) / staked_now
          : 1.0;
  const double paid = w.current.accepted[i]
                          ? (1 - stake) * a * (met ? 1 : 0) + stake * a * (system_met ? ratio : 0)
                          : 0.0;
  return (paid + p.cip_max * effort * cost - p.effort_cost * effort * effort * cost) / cost;
}

}  // namespace icsim
