#include "agents/rules.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "agents/accounts.hpp"

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

double normal_pdf(double x) {
  return 0.3989422804014327 * std::exp(-0.5 * x * x);
}

// The break-even duty's weight on the organisation's own balance, and on its system's: when
// collaboration is statutory a share of the duty moves to the system (2022 Act: the triple aim).
double own_duty(const Params& p, Kind k) {
  return p.duty[static_cast<int>(k)] * (p.statutory_collaboration ? 1 - p.statutory_duty_shift : 1);
}
double system_duty(const Params& p, Kind k) {
  return p.statutory_collaboration ? p.duty[static_cast<int>(k)] * p.statutory_duty_shift : 0.0;
}

// What an organisation counts on being covered of a marginal pound of its cumulative deficit:
// the announced write-off share for its kind and, beyond the bail-out threshold, the bail-out,
// as far as it believes policy (moral hazard); weighted by its chance of ending in deficit.
double expected_cover(const World& w, std::size_t i, const Outlook& out) {
  const Params& p = w.params;
  const auto& l = w.ledger;
  const Kind k = w.orgs.kind[i];
  const double writeoff = k == Kind::commissioner ? p.writeoff_commissioners
                          : is_trust(k)           ? p.writeoff_trusts
                                                  : 0.0;
  if (writeoff <= 0 && p.bailout <= 0) return 0.0;
  const double end = l.balance[i] + out.margin0 + l.control_total[i] + 0.5 * out.slope;
  const double in_deficit = normal_cdf(-end / out.sigma);
  const double beyond = normal_cdf(-(end + p.bailout_threshold * l.planned_income[i]) / out.sigma);
  // The bail-out pool shared over last year's need beyond the threshold, as settle shares it.
  const double need = std::max(1e-9, w.national.bailout_need);
  const double bailout = p.bailout > 0 ? std::min(1.0, p.bailout / need) : 0.0;
  return p.bailout_credibility * (writeoff * in_deficit + (1 - writeoff) * bailout * beyond);
}

// What a pound of own improvement is worth: it counts for the own balance, weighed by regulatory
// pressure and by what write-offs or bail-outs would cover; under a statutory duty a share of it
// counts for the system's balance instead, which no write-off of the own deficit covers.
double balance_value(const World& w, std::size_t i, const Outlook& out) {
  const Params& p = w.params;
  const Kind kind = w.orgs.kind[i];
  return (1 + debt_pressure(w, i)) *
         (own_duty(p, kind) * (1 - expected_cover(w, i, out)) + system_duty(p, kind));
}

// The normal outlook at each effort level, computed once per decision: the chance of meeting the
// total (year-end measures counted), and the standardised margin without them with its normal
// cdf and pdf, which the bonus and redistribution's cover need (only computed when asked for).
struct Levels {
  std::array<double, effort_levels> p{}, z{}, cdf{}, pdf{};
};
Levels levels(const Outlook& out, bool tails) {
  Levels v;
  for (int ei = 0; ei < effort_levels; ++ei) {
    const double e = effort_level(ei);
    v.p[ei] = out.p_meet(e);
    if (!tails) continue;
    v.z[ei] = (out.margin0 + out.slope * e) / out.sigma;
    v.cdf[ei] = out.landing == 0 ? v.p[ei] : normal_cdf(v.z[ei]);
    v.pdf[ei] = normal_pdf(v.z[ei]);
  }
  return v;
}

// The PSF bonus a trust expects for beating its control total at effort level ei (the
// incentive times the expected excess over the total, by the normal outlook).
double expected_bonus(const Params& p, const Outlook& out, const Levels& v, int ei) {
  if (p.psf_incentive <= 0) return 0.0;
  return p.psf_incentive * out.sigma * (v.z[ei] * v.cdf[ei] + v.pdf[ei]);
}

// Improvements of its control total a trust may agree in year (policy.incentive_basis =
// "agreed"), as fractions of its cost, besides none: up to 3%, the order of the 112m 42
// providers agreed in 2018/19 (C05) and of Surrey and Borders' 7m (HSJ, 2018).
constexpr std::array<double, 6> raise_grid{0.0025, 0.005, 0.01, 0.015, 0.02, 0.03};

// What agreeing an improvement of its total is worth to a trust that accepted it, at effort e:
// the best over the grid of the bonus on the improvement and the support, less the failure
// cost, now riding on the raised total, against keeping the total as it is. An improvement is
// agreed on the year's operations, not on year-end measures (NHS Improvement agreed them
// against a plan to deliver them), so its chance leaves the measures out; keeping the total
// counts them as the acceptance did. {value, raise}.
std::pair<double, double> raise_value(const Params& p, const Outlook& out, double cost,
                                      double allocation, double failure, double e) {
  const double at_stake = allocation + failure;
  const double keep = at_stake * out.p_meet(e);
  std::pair<double, double> best{0.0, 0.0};
  for (const double r : raise_grid) {
    const double raise = r * cost;
    const double pr = normal_cdf((out.margin0 + out.slope * e - raise) / out.sigma);
    const double gain = (at_stake + p.psf_incentive * raise) * pr - keep;
    if (gain > best.first) best = {gain, raise};
  }
  return best;
}

// The incentive an accepting trust expects at effort level ei: the bonus on its over-delivery,
// or the value of the best improvement of its total it could agree.
double expected_incentive(const Params& p, const Outlook& out, const Levels& v, int ei, double cost,
                          double allocation, double failure) {
  if (p.psf_incentive <= 0) return 0.0;
  if (p.incentive_basis == IncentiveBasis::agreed)  // paid from the PSF: none without one
    return p.psf > 0 ? raise_value(p, out, cost, allocation, failure, effort_level(ei)).first : 0.0;
  return expected_bonus(p, out, v, ei);
}

}  // namespace

Outlook outlook(const World& w, std::size_t i) {
  const Params& p = w.params;
  const auto& l = w.ledger;
  const double cost = l.planned_cost[i];
  const Kind kind = w.orgs.kind[i];
  const double levy_seen = -levy_paid(p, w, i) * (1.0 - p.savings_visibility * p.purchasing_return);
  const double carried = -p.persistence * l.shock[i] * cost;
  const double tail_mean = p.tail_probability * p.tail_scale * cost;
  const double expected =
      planned_surplus(w, i) + (kind == Kind::commissioner ? commissioner_buffer(w, i) : 0.0) -
      (is_trust(kind) ? p.efficiency_requirement * cost : 0.0) + l.collab_savings[i] -
      l.overhead[i] + levy_seen + carried - tail_mean - l.year_end_due[i];
  double var = (p.volatility * p.volatility + p.common_volatility * p.common_volatility +
                p.tail_probability * (2.0 - p.tail_probability) * p.tail_scale * p.tail_scale) *
               cost * cost;
  // Demand: its drift above plan is expected, its spread is risk; who bears them is the payment
  // mechanism's doing (agents/accounts.hpp).
  const double beta = variable_share(p), sd2 = p.demand_volatility * p.demand_volatility;
  double demand = 0;
  if (kind == Kind::commissioner) {
    // Its contracts with trusts move with demand as the payment mechanism says; networks' do not.
    double with_trusts = 0;
    for_each_contract(w, i, [&](std::uint32_t j, std::uint32_t e) {
      if (is_trust(w.orgs.kind[j])) with_trusts += contract_rate(w, j) * w.graph.flows()[e];
    });
    const double exposed = beta * with_trusts + cost;
    demand = -p.demand_drift * exposed;
    var += sd2 * exposed * exposed;
  } else if (is_trust(kind)) {
    // Each commissioner's shock moves its contracts with the trust: the variance is the sum over
    // them, the contract income squared times the contracts' concentration.
    const double net = beta - p.marginal_cost;
    const double contracted = w.contract_weight[i] > 0 ? l.contracts[i] : 0.0;
    demand = p.demand_drift * net * contracted;
    var += sd2 * net * net * contracted * contracted * w.contract_concentration[i];
  }
  return {expected + demand - l.control_total[i], p.cip_max * cost,
          std::max(std::sqrt(var), 1e-9 * (1.0 + cost)),
          holds_control_total(kind) ? p.year_end_measures * cost : 0.0};
}

double stake_floor(const World& w, std::size_t i) {
  return w.system_ledger.autonomous[w.orgs.system[i]] ? 0.0 : w.params.system_tied_share;
}

double stake_top(const World& w, std::size_t i) {
  return w.current.accepted[i] && w.system_ledger.accepted[w.orgs.system[i]] ? 1.0
                                                                             : stake_floor(w, i);
}

double debt_pressure(const World& w, std::size_t i) {
  const double cost = std::max(w.ledger.planned_cost[i], 1e-9);
  return w.params.debt_pressure * std::max(0.0, -w.ledger.balance[i]) / cost;
}

namespace {
// Missing an accepted total costs a trust regulatory intervention, a commissioner legal
// directions, the dearer the deeper its debt.
double failure_cost(const World& w, std::size_t i) {
  return w.params.failure_cost * w.ledger.planned_cost[i] * (1 + debt_pressure(w, i));
}
}  // namespace

double agreed_raise(const World& w, std::size_t i, double effort) {
  const Params& p = w.params;
  const auto& l = w.ledger;
  if (p.psf_incentive <= 0 || p.psf <= 0 || p.incentive_basis != IncentiveBasis::agreed ||
      !is_trust(w.orgs.kind[i]) || !l.active[i] || !w.current.accepted[i])
    return 0.0;
  return raise_value(p, outlook(w, i), l.planned_cost[i], l.allocation[i], failure_cost(w, i),
                     effort)
      .second;
}

namespace {
// The best a trust expects having refused (the cost of refusing included) and having accepted,
// each over the effort grid: the two utilities of the acceptance choice (rules.hpp, accepts).
std::array<double, 2> acceptance_utilities(const World& w, std::size_t i) {
  const Params& p = w.params;
  const double cost = w.ledger.planned_cost[i];
  const Outlook out = outlook(w, i);
  const double value = balance_value(w, i, out);
  const double failure = failure_cost(w, i);
  const Levels v = levels(out, p.psf_incentive > 0);
  double accepted = -std::numeric_limits<double>::infinity(), refused = accepted;
  for (int ei = 0; ei < effort_levels; ++ei) {
    const double e = effort_level(ei);
    const double own = value * p.cip_max * e * cost - p.effort_cost * e * e * cost;
    const double pm = v.p[ei];
    accepted = std::max(
        accepted, w.ledger.allocation[i] * pm - failure * (1 - pm) +
                      expected_incentive(p, out, v, ei, cost, w.ledger.allocation[i], failure) +
                      own);
    refused = std::max(refused, own);
  }
  return {refused - failure * p.refusal_cost, accepted};
}

// The answer where there is no choice: none for an organisation without a total this year, yes
// for a commissioner (a statutory duty, not an offer); nullopt for a trust, which chooses.
std::optional<bool> without_choice(const World& w, std::size_t i) {
  const Kind k = w.orgs.kind[i];
  if (!w.ledger.active[i] || !holds_control_total(k)) return false;
  if (k == Kind::commissioner) return true;
  return std::nullopt;
}
}  // namespace

bool accepts(const World& w, std::size_t i) {
  if (const auto fixed = without_choice(w, i)) return *fixed;
  const auto u = acceptance_utilities(w, i);
  return u[1] >= u[0];
}

bool accepts(const World& w, std::size_t i, Random& rng) {
  if (const auto fixed = without_choice(w, i)) return *fixed;
  // The temperature of the other expected-utility choices (choose_expected_utility).
  const double temperature =
      w.params.logit_noise * std::max(w.ledger.allocation[i], 0.01 * w.ledger.planned_cost[i]);
  return logit_draw(acceptance_utilities(w, i), 2, temperature, rng) == 1;
}

double partner_trust(const World& w, std::size_t i) {
  const auto edges = w.partner_edges[i];
  if (edges.empty()) return w.params.initial_trust;
  double sum = 0;
  for (const auto e : edges) sum += w.trust[e];
  return sum / double(edges.size());
}

// Expected utility (mean-variance) of support, the own balance (weighted by the break-even duty,
// regulatory pressure and what write-offs and bail-outs would cover), and, weighted by trust,
// the partners' gain from own effort; the duty-to-collaborate penalty and the bonus for beating
// the control total as the organisation expects them; logit choice among the action grid.
Choice choose_expected_utility(const DecideContext& ctx, std::size_t i, Random& rng) {
  const World& w = ctx.world;
  const Params& p = w.params;
  const auto& l = w.ledger;
  const double cost = l.planned_cost[i];
  const bool accepted = w.current.accepted[i];
  const double a = accepted ? l.allocation[i] : 0.0;
  const double floor = stake_floor(w, i), top = stake_top(w, i);
  const Outlook out = outlook(w, i);
  const auto sys = w.orgs.system[i];
  const Kind kind = w.orgs.kind[i];
  const double weight = cost / std::max(w.system_ledger.cost[sys], 1e-12);
  const double pressure = debt_pressure(w, i);
  const double value = balance_value(w, i, out);
  // The same expected cost of missing an accepted total that acceptance weighed.
  const double failure = accepted ? failure_cost(w, i) : 0.0;
  // What a staked pound is expected to bring back when the system meets its total: under
  // pro rata only members that met their own totals share the pool; a leader shares part by
  // need; need and equal rules pay members whatever their own result.
  Redistribution rule = p.redistribution;
  if (w.system_ledger.autonomous[sys]) rule = Redistribution::leader;
  const double q = rule == Redistribution::leader ? leader_skill(w, sys) : 0.0;
  const double need_share = rule == Redistribution::need ? 1.0 : q;
  // Chances of meeting the own total at each effort level; last year's effort is usually one
  // of them.
  const Levels v =
      levels(out, (accepted && is_trust(kind) && p.psf_incentive > 0) || (a > 0 && need_share > 0));
  const auto& p_level = v.p;
  const double last_effort = ctx.view.effort[i];
  const long last_level = std::lround(last_effort * (effort_levels - 1));
  const double p_prev =
      last_level >= 0 && last_level < effort_levels && effort_level(int(last_level)) == last_effort
          ? p_level[last_level]
          : out.p_meet(last_effort);
  const double belief = w.rules.belief[i];
  const double others = std::max(0.0, ctx.system_staked[sys] - ctx.view.stake[i] * l.allocation[i]);
  const double care = p.solidarity * partner_trust(w, i) + system_duty(p, kind);
  const double rho = ctx.system_correlation;
  const double ra = w.orgs.risk_aversion[i] * (1 + pressure);

  std::array<double, stake_levels> own_weight{}, system_weight{}, cross_weight{};
  for (int si = 0; si < stake_levels; ++si) {
    const double s = stake_level(si * effort_levels, floor, top);
    own_weight[si] = (1 - s) * (1 - s);
    system_weight[si] = s * s;
    cross_weight[si] = 2 * s * (1 - s) * rho;
  }
  std::array<double, action_count> u{};
  for (int ei = 0; ei < effort_levels; ++ei) {
    const double e = effort_level(ei);
    const double pm = p_level[ei];
    const double b = std::clamp(belief + weight * (pm - p_prev), 0.001, 0.999) *
                     (rule == Redistribution::pro_rata ? pm
                      : rule == Redistribution::leader ? q + (1 - q) * pm
                                                       : 1.0);
    double own = value * p.cip_max * e * cost - p.effort_cost * e * e * cost - failure * (1 - pm) +
                 care * weight * (pm - p_prev) * others;
    // The duty-to-collaborate penalty falls on a member that met its own total with less than
    // its system's mean effort while the system missed.
    if (accepted && p.collaboration_penalty > 0 && e < ctx.system_effort[sys])
      own -= p.collaboration_penalty * a * (1 - belief) * pm;
    if (accepted && is_trust(kind)) own += expected_incentive(p, out, v, ei, cost, a, failure);
    // Redistribution by need covers a staked member's shortfall when its system meets: the worse
    // its own result, the more it is paid (expected shortfall, by the normal outlook).
    // (Only a staked member's: zero when nothing is staked or nothing is shared by need.)
    const double cover = a > 0 && need_share > 0 ? need_share * belief * out.sigma *
                                                       (v.pdf[ei] - v.z[ei] * (1 - v.cdf[ei]))
                                                 : 0.0;
    const double vo = pm * (1 - pm), vs = b * (1 - b), spread = std::sqrt(vo * vs);
    for (int si = 0; si < stake_levels; ++si) {
      const int action = si * effort_levels + ei;
      const double s = stake_level(action, floor, top);
      // Any staked member's shortfall is covered, whatever its stake.
      const double mean = a * ((1 - s) * pm + s * b) + (a > 0 && s > 0 ? cover : 0.0);
      const double var =
          a * a * (own_weight[si] * vo + system_weight[si] * vs + cross_weight[si] * spread);
      u[action] = mean - (a > 0 ? ra * var / (2 * a) : 0.0) + own;
    }
  }
  const double temperature = p.logit_noise * std::max(a, 0.01 * cost);
  const int action = logit_draw(u, top > floor ? action_count : effort_levels, temperature, rng);
  return {stake_level(action, floor, top), effort_level(action)};
}

// Imitation: copy a random partner's strategy with the Fermi probability
// 1 / (1 + exp((u_self - u_other) / K)) (Szabo and Toke 1998).
Choice choose_imitation(const DecideContext& ctx, std::size_t i, Random& rng) {
  const World& w = ctx.world;
  const double floor = stake_floor(w, i), top = stake_top(w, i);
  const auto clamp = [&](double stake) { return std::clamp(stake, floor, top); };
  Choice own{clamp(ctx.view.stake[i]), ctx.view.effort[i]};
  if (rng.uniform() < w.params.exploration) {
    const int action = static_cast<int>(rng.below(action_count));
    return {stake_level(action, floor, top), effort_level(action)};
  }
  const auto nb = w.graph.neighbours(std::uint32_t(i));
  const auto holder = [&](std::uint32_t j) {
    return holds_control_total(w.orgs.kind[j]) && w.ledger.active[j];
  };
  std::uint32_t holders = 0;
  for (const auto j : nb) holders += holder(j);
  if (holders == 0) return own;
  std::uint32_t pick = rng.below(holders);
  for (const auto j : nb) {
    if (!holder(j) || pick-- != 0) continue;
    const double du = w.ledger.utility[i] - w.ledger.utility[j];
    if (rng.uniform() < 1.0 / (1.0 + std::exp(du / w.params.imitation_noise)))
      own = {clamp(ctx.view.stake[j]), ctx.view.effort[j]};
    break;
  }
  return own;
}

// Experience-weighted attraction (Camerer and Ho 1999): logit choice on attractions.
Choice choose_learning(const DecideContext& ctx, std::size_t i, Random& rng) {
  const World& w = ctx.world;
  std::array<double, action_count> u{};
  for (int a = 0; a < action_count; ++a)
    u[a] = w.params.ewa_lambda * w.rules.attraction[i * action_count + a];
  const int action = logit_draw(u, action_count, 1.0, rng);
  const double floor = stake_floor(w, i), top = stake_top(w, i);
  return {stake_level(action, floor, top), effort_level(action)};
}

// Threshold (Granovetter 1978): pool when the trust-weighted share of the organisation's
// partners in its own system that pooled (staked above the floor) and delivered (met their own
// totals or made at least their system's mean effort) last year reaches its threshold.
Choice choose_threshold(const DecideContext& ctx, std::size_t i, Random&) {
  const World& w = ctx.world;
  const Params& p = w.params;
  const auto& o = w.orgs;
  double pooled = 0, total = 0;
  const Incidence at = w.graph.incidence(static_cast<std::uint32_t>(i));
  for (std::size_t k = 0; k < at.neighbours.size(); ++k) {
    const auto j = at.neighbours[k];
    if (!w.ledger.active[j] || !holds_control_total(o.kind[j]) || o.system[j] != o.system[i])
      continue;
    const double t = w.trust[at.edge(k)];
    total += t;
    const bool pooled_j =
        ctx.view.accepted[j] && ctx.view.stake[j] >= stake_floor(w, j) + p.pool_level;
    const bool delivered_j =
        w.ledger.met[j] || ctx.view.effort[j] >= ctx.system_effort[o.system[j]];
    if (pooled_j && delivered_j) pooled += t;
  }
  const double floor = stake_floor(w, i), top = stake_top(w, i);
  const bool act = total > 0 && pooled / total >= o.threshold[i];
  double effort = act ? p.threshold_effort_high : p.threshold_effort_low;
  // Under a duty-to-collaborate penalty it does not fall below its system's mean effort.
  if (p.collaboration_penalty > 0) effort = std::max(effort, ctx.system_effort[o.system[i]]);
  return {act ? top : floor, effort};
}

// Councils weigh the pooled budget's saving (which grows with trust on their edges to the
// commissioners) against their financial pressure (their deficit and cost growth): councils
// under pressure keep control of their money. Logit over five shares up to the most they pool.
double choose_pooling(const DecideContext& ctx, std::size_t i, Random& rng) {
  const World& w = ctx.world;
  const Params& p = w.params;
  const auto& l = w.ledger;
  const Pool pool = pool_of(w, i);
  if (!l.active[i] || pool.weight <= 0) return 0.0;
  const double budget = l.planned_cost[i];
  const double pressure =
      p.council_pressure_weight *
      (std::max(0.0, -l.balance[i]) / std::max(budget, 1e-9) + p.council_cost_pressure);
  std::array<double, stake_levels> u{};
  for (int k = 0; k < stake_levels; ++k) {
    const double pooled = p.max_pooled_share * double(k) / (stake_levels - 1) * budget;
    u[k] = pooled * (p.pooling_saving * pool.trust - pressure);
  }
  const double temperature =
      std::max(p.logit_noise * p.pooling_saving * p.max_pooled_share * budget, 1e-12);
  return p.max_pooled_share * double(logit_draw(u, stake_levels, temperature, rng)) /
         (stake_levels - 1);
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
  const double cost = std::max(l.planned_cost[i], 1e-9);
  const double a = l.allocation[i];
  const double actual_effort = w.current.effort[i];
  const double delta = p.cip_max * (effort - actual_effort) * cost;
  const bool met = l.surplus[i] + delta >= l.control_total[i];
  const bool system_met = s.surplus[sys] + delta >= s.control_total[sys];
  // A staked pound's return when the system met: what this member actually got back per pound.
  const double staked_now = w.current.stake[i] * a;
  const double unstaked_paid = w.current.accepted[i] && l.met[i] ? (1 - w.current.stake[i]) * a : 0;
  const double ratio = staked_now > 0 && s.met[sys]
                           ? std::max(0.0, l.support_paid[i] - unstaked_paid) / staked_now
                           : 1.0;
  const double paid = w.current.accepted[i]
                          ? (1 - stake) * a * (met ? 1 : 0) + stake * a * (system_met ? ratio : 0)
                          : 0.0;
  // The penalty and the bonus this action would have drawn, so that learning anticipates them.
  const bool accepted = w.current.accepted[i];
  const double penalty = accepted && met && !system_met && effort < s.mean_effort[sys]
                             ? p.collaboration_penalty * a
                             : 0.0;
  // At this year's pro rata cut of the claims (none where no PSF was left unearned).
  const double bonus =
      !accepted || !met || !is_trust(w.orgs.kind[i]) || p.psf_incentive <= 0 ? 0.0
      : p.incentive_basis == IncentiveBasis::agreed
          ? w.national.bonus_share * p.psf_incentive * l.raise[i] +
                w.national.general_share * fund_allocation(w, Fund::psf, i)
          : w.national.bonus_share * p.psf_incentive * (l.surplus[i] + delta - l.control_total[i]);
  return (paid + bonus - penalty + p.cip_max * effort * cost -
          p.effort_cost * effort * effort * cost) /
         cost;
}

}  // namespace icsim
