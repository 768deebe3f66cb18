#include "agents/world.hpp"

#include <algorithm>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>

#include "agents/accounts.hpp"
#include "agents/finance.hpp"
#include "network/random.hpp"

namespace icsim {
namespace {

// Year index of the random stream that sets the state before the first year.
constexpr std::uint32_t initial_year = 0xFFFFFFFFu;

template <class T>
void sized(std::vector<T>& v, std::size_t n, T value = T{}) {
  v.assign(n, value);
}

void size_ledger(World& w) {
  const std::size_t n = w.size(), ns = w.systems.size();
  auto& l = w.ledger;
  for (auto* v :
       {&l.planned_income, &l.planned_cost, &l.contracts,    &l.control_total,  &l.allocation,
        &l.demand,         &l.income,       &l.surplus,      &l.collab_savings, &l.overhead,
        &l.cost_shock,     &l.pooled,       &l.support_paid, &l.bonus,          &l.penalty,
        &l.bailout,        &l.writeoff,     &l.transfer,     &l.balance,        &l.utility,
        &l.shock,          &l.year_end,     &l.year_end_due, &l.underlying,     &l.raise})
    sized(*v, n);
  for (auto* v : {&l.active, &l.met, &l.memberships}) sized(*v, n);
  auto& s = w.system_ledger;
  for (auto* v : {&s.control_total, &s.surplus, &s.cost, &s.allocated, &s.staked, &s.paid,
                  &s.returned, &s.mean_trust, &s.mean_effort, &s.stake_share, &s.stake_above_floor,
                  &s.integration_index, &s.pooled})
    sized(*v, ns);
  for (auto* v : {&s.met, &s.accepted, &s.ics, &s.autonomous, &s.in_name_only}) sized(*v, ns);
  sized(s.years_on_target, ns);
  sized(s.collaboratives, ns);
}

// Initial trust: a level per system (a history of working together, drawn from the finance
// seed like the rest of the population's make-up), the mean of both ends' on an edge between
// systems. Systems become ICSs in order of it (agents/plan.cpp): NHS England designated the
// most advanced partnerships first.
void initialise_trust(World& w) {
  const Params& p = w.params;
  const std::uint64_t key = run_key(static_cast<std::uint64_t>(p.finance_seed), 3);
  const std::size_t ns = w.systems.size();
  std::vector<double> level(ns);
  for (std::size_t s = 0; s < ns; ++s)
    level[s] = p.initial_trust_spread *
               Random(key, 0, static_cast<std::uint32_t>(s), Purpose::population).normal();
  w.trust.resize(w.graph.edge_count());
  for (std::uint32_t i = 0; i < w.size(); ++i) {
    const Incidence at = w.graph.incidence(i);
    const auto higher = at.higher();
    for (std::size_t k = 0; k < higher.size(); ++k) {
      const double z = 0.5 * (level[w.orgs.system[i]] + level[w.orgs.system[higher[k]]]);
      w.trust[at.first_higher_edge + k] = std::clamp(p.initial_trust + z, 0.0, 1.0);
    }
  }
  auto& rank = w.systems.ics_rank;
  std::vector<std::uint32_t> order(ns);
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return level[a] > level[b]; });
  rank.assign(ns, 0);
  for (std::size_t r = 0; r < ns; ++r) rank[order[r]] = static_cast<std::int32_t>(r);
}

}  // namespace

double leader_skill(const World& w, std::size_t system) {
  static constexpr std::array<double, 4> by_role{1.0, 0.5, 0.4, 0.6};
  return std::clamp(
      w.params.leader_capacity * by_role[static_cast<int>(w.systems.leader_role[system])], 0.0,
      1.0);
}

namespace {
// Attractions only where the learning rule will read them (25 doubles an organisation).
void prepare_rule_state(World& w) {
  bool learning = false;
  for (int k = 0; k < kind_count; ++k)
    learning = learning || w.params.rule_for(static_cast<Kind>(k)) == Rule::learning;
  if (learning && w.rules.attraction.empty()) {
    w.rules.attraction.assign(w.size() * action_count, 0.0);
    w.rules.experience.assign(w.size(), 1.0);
  }
}
}  // namespace

World make_world(const Params& params, Structure structure, std::uint64_t run) {
  World w;
  w.params = params;
  w.key = run_key(static_cast<std::uint64_t>(params.seed), run);
  w.orgs = std::move(structure.orgs);
  w.systems = std::move(structure.systems);
  w.places = std::move(structure.places);
  w.collaboratives = std::move(structure.collaboratives);
  w.graph = std::move(structure.graph);
  const std::size_t n = w.size();
  // Members in organisation order: per-system loops then run in the order of the organisations
  // (and of the edges), so their sums come out the same whether systems run in parallel or not.
  // Every organisation must be a member of its own system, and of that one only.
  auto& members = w.systems.members;
  if (members.items.size() != n)
    throw std::runtime_error("world: systems' members do not list every organisation once");
  for (std::size_t sys = 0; sys < w.systems.size(); ++sys) {
    std::sort(members.items.begin() + members.offsets[sys],
              members.items.begin() + members.offsets[sys + 1]);
    for (const auto i : members[sys])
      if (i >= n || w.orgs.system[i] != std::int32_t(sys))
        throw std::runtime_error("world: organisation " + std::to_string(i) +
                                 " is listed as a member of a system not its own");
  }
  if (w.orgs.active_from.size() != n || w.orgs.active_to.size() != n ||
      w.orgs.successor.size() != n || w.orgs.base_cost.size() != n)
    throw std::runtime_error("world: organisations' columns differ in length");
  apply_timeline(w.params, params.first_year, true);
  synthesise_margins(w.orgs, w.params);
  initialise_trust(w);

  // Each organisation's candidate slots (in slot order), counted first, then filled with a
  // cursor per organisation: no per-organisation lists.
  const auto& cand = w.collaboratives.candidates;
  w.collaborative_of_slot.resize(cand.items.size());
  auto& slots = w.candidate_slots;
  std::vector<std::uint32_t> cursor(n, 0);
  for (std::uint32_t c = 0; c < w.collaboratives.size(); ++c)
    for (std::uint32_t k = cand.offsets[c]; k < cand.offsets[c + 1]; ++k) {
      w.collaborative_of_slot[k] = c;
      ++cursor[cand.items[k]];
    }
  slots.offsets.assign(n + 1, 0);
  for (std::uint32_t i = 0; i < n; ++i) slots.offsets[i + 1] = slots.offsets[i] + cursor[i];
  slots.items.resize(slots.offsets[n]);
  std::copy(slots.offsets.begin(), slots.offsets.end() - 1, cursor.begin());
  for (std::uint32_t k = 0; k < cand.items.size(); ++k) slots.items[cursor[cand.items[k]]++] = k;

  // The edges money flows along: contracts of kind contract between a commissioner and an
  // organisation it pays, pooled budgets along partnerships between a council and a commissioner.
  {
    auto& money = w.money;
    const auto& kinds = w.graph.kinds();
    const auto& kind = w.orgs.kind;
    const auto is_contract = [&](std::uint32_t i, std::uint32_t j, std::uint32_t e) {
      return kinds[e] == EdgeKind::contract && contract_between(kind[i], kind[j]);
    };
    const auto is_pool = [&](std::uint32_t i, std::uint32_t j, std::uint32_t e) {
      return kinds[e] == EdgeKind::partnership && pool_between(kind[i], kind[j]);
    };
    money.offsets.assign(n + 1, 0);
    money.contract_count.assign(n, 0);
    for (int pass = 0; pass < 2; ++pass) {
      for (std::uint32_t i = 0; i < n; ++i) {
        const Incidence at = w.graph.incidence(i);
        std::uint32_t contracts = 0, pools = 0, at_item = pass ? money.offsets[i] : 0;
        for (const bool pooling : {false, true})
          for (std::size_t k = 0; k < at.neighbours.size(); ++k) {
            const std::uint32_t j = at.neighbours[k], e = at.edge(k);
            if (!(pooling ? is_pool(i, j, e) : is_contract(i, j, e))) continue;
            ++(pooling ? pools : contracts);
            if (pass) money.items[at_item++] = {j, e};
          }
        if (!pass) {
          money.contract_count[i] = contracts;
          money.offsets[i + 1] = money.offsets[i] + contracts + pools;
        }
      }
      if (!pass) money.items.resize(money.offsets[n]);
    }
  }

  // Edges among each collaborative's candidates, for its mean trust, with the ends' slots (an
  // organisation listed twice answers by its last slot).
  const auto slot_in = [&](std::uint32_t i, std::uint32_t c) -> std::optional<std::uint32_t> {
    std::optional<std::uint32_t> last;
    for (const auto k : slots[i])
      if (w.collaborative_of_slot[k] == c) last = k;
    return last;
  };
  for (std::uint32_t c = 0; c < w.collaboratives.size(); ++c) {
    std::vector<std::pair<std::uint32_t, std::array<std::uint32_t, 2>>> inside;
    for (const auto i : cand[c]) {
      const Incidence at = w.graph.incidence(i);
      const auto higher = at.higher();
      for (std::uint32_t k = 0; k < higher.size(); ++k)
        if (const auto other = slot_in(higher[k], c))
          inside.push_back({at.first_higher_edge + k, {*slot_in(i, c), *other}});
    }
    std::sort(inside.begin(), inside.end());
    for (const auto& [edge, ends] : inside) {
      w.collaborative_edges.items.push_back(edge);
      w.collaborative_edge_slots.push_back(ends);
    }
    w.collaborative_edges.offsets.push_back(std::uint32_t(w.collaborative_edges.items.size()));
  }

  size_ledger(w);
  // Mean trust inside each system at the start (the collaborate stage reads last year's).
  {
    const std::size_t ns = w.systems.size();
    std::vector<double> sum(ns, 0.0), count(ns, 0.0);
    for (std::uint32_t i = 0; i < n; ++i) {
      const Incidence at = w.graph.incidence(i);
      const auto higher = at.higher();
      for (std::size_t k = 0; k < higher.size(); ++k)
        if (w.orgs.system[higher[k]] == w.orgs.system[i]) {
          sum[w.orgs.system[i]] += w.trust[at.first_higher_edge + k];
          count[w.orgs.system[i]] += 1;
        }
    }
    for (std::size_t s = 0; s < ns; ++s)
      w.system_ledger.mean_trust[s] = count[s] > 0 ? sum[s] / count[s] : 0.0;
  }
  w.pool_index.assign(n, 0);
  std::uint32_t councils = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (w.orgs.kind[i] == Kind::local_authority) w.pool_index[i] = councils++;
  w.pools.assign(councils, Pool{});
  // The state before the first year: everyone has accepted; efforts are spread over the grid
  // and half the organisations hold a stake above the floor, so that rules which copy or count
  // their partners (imitation, threshold) have variety to work on. Councils pool a share.
  const Params& q = w.params;
  for (auto* d : {&w.previous, &w.current}) {
    d->accepted.assign(n, 0);
    d->stake.assign(n, 0);
    d->effort.assign(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
      Random rng(w.key, initial_year, std::uint32_t(i), Purpose::decide);
      if (w.orgs.kind[i] == Kind::local_authority) {
        d->stake[i] = q.max_pooled_share * double(rng.below(stake_levels)) / (stake_levels - 1);
        continue;
      }
      if (!holds_control_total(w.orgs.kind[i])) continue;
      const double floor = q.system_tied_share;
      d->accepted[i] = 1;
      d->stake[i] =
          rng.uniform() < 0.5
              ? floor
              : floor + (1 - floor) * double(1 + rng.below(stake_levels - 1)) / (stake_levels - 1);
      d->effort[i] = double(rng.below(effort_levels)) / (effort_levels - 1);
    }
    d->member.assign(cand.items.size(), 1);
    d->formal.assign(w.collaboratives.size(),
                     q.collaborative_form == CollaborativeForm::formal ? 1 : 0);
  }
  w.rules.belief.assign(n, q.initial_belief);
  prepare_rule_state(w);
  return w;
}

void apply_setting(World& w, const ParamSpec& spec, const Value& value) {
  if (!may_change_in_timeline(spec))
    throw ParamError("key '" + spec.name +
                     "': read only when the world is built, so it cannot change during a run");
  spec.set(w.params, validate(spec, value));
  prepare_rule_state(w);  // a rule switched to learning starts from fresh attractions
}

}  // namespace icsim
