#include "agents/world.hpp"

#include <algorithm>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>

#include "agents/random.hpp"
#include "network/england.hpp"
#include "network/synthetic.hpp"

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
       {&l.control_total, &l.allocation, &l.collab_savings, &l.overhead, &l.cost_shock, &l.surplus,
        &l.support_paid, &l.penalty, &l.balance, &l.writeoff, &l.bailout, &l.utility, &l.shock})
    sized(*v, n);
  sized(l.met, n);
  sized(l.memberships, n);
  auto& s = w.system_ledger;
  for (auto* v : {&s.control_total, &s.surplus, &s.cost, &s.allocated, &s.staked, &s.paid,
                  &s.returned, &s.mean_trust, &s.mean_effort, &s.stake_share, &s.integration_index})
    sized(*v, ns);
  for (auto* v : {&s.met, &s.accepted, &s.autonomous, &s.in_name_only}) sized(*v, ns);
  sized(s.years_on_target, ns);
  sized(s.collaboratives, ns);
}

}  // namespace

double leader_skill(const World& w, std::size_t system) {
  static constexpr std::array<double, 4> by_role{1.0, 0.5, 0.4, 0.6};
  return std::clamp(
      w.params.leader_capacity * by_role[static_cast<int>(w.systems.leader_role[system])], 0.0,
      1.0);
}

bool same_structure(const Params& a, const Params& b) {
  const auto key = [](const Params& p) {
    return std::tie(p.population_source, p.commissioners, p.finance_seed, p.provider_cost_total,
                    p.deficit_share, p.margin_sd, p.commissioner_allocation_per_patient,
                    p.council_spend_per_resident, p.pcn_income_per_patient,
                    p.synthetic_organisations, p.synthetic_systems, p.synthetic_mean_degree,
                    p.synthetic_mix, p.management_capacity, p.risk_aversion, p.threshold);
  };
  return key(a) == key(b);
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

// The last England structure built, with the parameters it was built from. Synthetic ones are
// not kept: they can be large, and they build quickly.
Structure england_structure(const Params& params) {
  using Kept = std::pair<Params, Structure>;
  static std::mutex mutex;
  static std::shared_ptr<const Kept> last;
  std::shared_ptr<const Kept> kept;
  {
    const std::lock_guard lock(mutex);
    kept = last;
  }
  if (kept && same_structure(kept->first, params)) return kept->second;  // copied unlocked
  auto built = std::make_shared<const Kept>(params, load_england(params));
  const std::lock_guard lock(mutex);
  last = built;
  return built->second;
}
}  // namespace

World make_world(const Params& params, std::uint64_t run) {
  Structure s = params.population_source == PopulationSource::synthetic ? make_synthetic(params)
                                                                        : england_structure(params);
  return make_world(params, std::move(s), run);
}

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
  w.trust.assign(w.graph.edge_count(), params.initial_trust);

  // Each organisation's candidate slots (in slot order) and partner edges (in neighbour order),
  // counted first, then filled with slot_count as the cursor: no per-organisation lists.
  const auto& cand = w.collaboratives.candidates;
  w.collaborative_of_slot.resize(cand.items.size());
  auto& links = w.links;
  links.slot_count.assign(n, 0);
  for (std::uint32_t c = 0; c < w.collaboratives.size(); ++c)
    for (std::uint32_t k = cand.offsets[c]; k < cand.offsets[c + 1]; ++k) {
      w.collaborative_of_slot[k] = c;
      if (links.slot_count[cand.items[k]]++ == 255)
        throw std::runtime_error("world: an organisation is candidate in over 255 collaboratives");
    }
  const auto is_partner = [&](std::uint32_t i, std::uint32_t j) {
    return w.orgs.system[j] == w.orgs.system[i] && holds_control_total(w.orgs.kind[j]);
  };
  const auto partners = [&](std::uint32_t i) {
    std::uint32_t count = 0;
    if (holds_control_total(w.orgs.kind[i]))
      for (const auto j : w.graph.neighbours(i)) count += is_partner(i, j);
    return count;
  };
  links.offsets.assign(n + 1, 0);
  for (std::uint32_t i = 0; i < n; ++i)
    links.offsets[i + 1] = links.offsets[i] + links.slot_count[i] + partners(i);
  links.items.resize(links.offsets[n]);
  std::fill(links.slot_count.begin(), links.slot_count.end(), std::uint8_t{0});
  for (std::uint32_t k = 0; k < cand.items.size(); ++k) {
    const auto i = cand.items[k];
    links.items[links.offsets[i] + links.slot_count[i]++] = k;
  }
  for (std::uint32_t i = 0; i < n; ++i) {
    if (!holds_control_total(w.orgs.kind[i])) continue;
    std::uint32_t at_item = links.offsets[i] + links.slot_count[i];
    const Incidence at = w.graph.incidence(i);
    for (std::size_t k = 0; k < at.neighbours.size(); ++k)
      if (is_partner(i, at.neighbours[k])) links.items[at_item++] = at.edge(k);
  }

  // Edges among each collaborative's candidates, for its mean trust, with the ends' slots (an
  // organisation listed twice answers by its last slot).
  const auto slot_in = [&](std::uint32_t i, std::uint32_t c) -> std::optional<std::uint32_t> {
    std::optional<std::uint32_t> last;
    for (const auto k : links.slots(i))
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
  // The state before the first year: everyone has accepted; efforts are spread over the grid
  // and half the organisations hold a stake above the floor, so that rules which copy or count
  // their partners (imitation, threshold) have variety to work on.
  for (auto* d : {&w.previous, &w.current}) {
    d->accepted.assign(n, 0);
    d->stake.assign(n, 0);
    d->effort.assign(n, 0);
    for (std::size_t i = 0; i < n; ++i)
      if (holds_control_total(w.orgs.kind[i])) {
        Random rng(w.key, initial_year, std::uint32_t(i), Purpose::decide);
        const double floor = params.system_tied_share;
        d->accepted[i] = 1;
        d->stake[i] = rng.uniform() < 0.5
                          ? floor
                          : floor + (1 - floor) * double(1 + rng.below(stake_levels - 1)) /
                                        (stake_levels - 1);
        d->effort[i] = double(rng.below(effort_levels)) / (effort_levels - 1);
      }
    d->member.assign(cand.items.size(), 1);
    d->formal.assign(w.collaboratives.size(),
                     params.collaborative_form == CollaborativeForm::formal ? 1 : 0);
  }
  w.rules.belief.assign(n, params.initial_belief);
  prepare_rule_state(w);
  return w;
}

void apply_setting(World& w, const ParamSpec& spec, const Value& value) {
  Params changed = w.params;
  spec.set(changed, validate(spec, value));
  const auto built_from = [](const Params& p) {
    return std::tie(p.model, p.seed, p.first_year, p.initial_trust, p.initial_belief);
  };
  if (!same_structure(changed, w.params) || built_from(changed) != built_from(w.params))
    throw ParamError("key '" + spec.name +
                     "': read only when the world is built, so it cannot change during a run");
  w.params = changed;
  prepare_rule_state(w);  // a rule switched to learning starts from fresh attractions
}

}  // namespace icsim
