#include "experiments/population.hpp"

#include <catch2/catch.hpp>

#include "agents/step.hpp"
#include "experiments/england.hpp"
#include "support.hpp"

using namespace icsim;

namespace {

// Another allowed value of a parameter, or none.
std::optional<Value> another_value(const ParamSpec& spec, const Value& now) {
  switch (spec.type) {
    case ParamType::boolean:
      return Value{!std::get<bool>(now)};
    case ParamType::integer: {
      const auto v = std::get<std::int64_t>(now);
      return Value{static_cast<double>(v + 1) <= spec.max ? v + 1 : v - 1};
    }
    case ParamType::real: {
      const double v = std::get<double>(now);
      const double other = v < spec.max ? std::min(spec.max, v + 0.25 * (spec.max - v) + 0.01)
                                        : std::max(spec.min, v - 0.01);
      return other == v ? std::nullopt : std::optional<Value>(Value{other});
    }
    case ParamType::choice:
      for (const auto& c : spec.choices)
        if (Value{c} != now) return Value{c};
      return std::nullopt;
    case ParamType::text:
      return std::nullopt;  // file names: nothing the structure reads
  }
  return std::nullopt;
}

bool same(const Structure& a, const Structure& b) {
  const auto& x = a.orgs;
  const auto& y = b.orgs;
  return x.code == y.code && x.kind == y.kind && x.system == y.system && x.place == y.place &&
         x.population == y.population && x.base_cost == y.base_cost &&
         x.active_from == y.active_from && x.active_to == y.active_to &&
         x.successor == y.successor && a.systems.leader_role == b.systems.leader_role &&
         a.systems.members.items == b.systems.members.items &&
         a.collaboratives.candidates.items == b.collaboratives.candidates.items &&
         a.graph.edges().target == b.graph.edges().target &&
         a.graph.edges().flow == b.graph.edges().flow;
}

}  // namespace

TEST_CASE("slow: every parameter that changes England's structure is one same_structure compares",
          "[world]") {
  // make_world keeps England's structure for parameters that agree on these; a parameter the
  // loader reads but same_structure ignores would make a sweep reuse a stale structure.
  const Params base = test::params();
  const Structure reference = load_england(base);
  for (const auto& spec : registry()) {
    if (spec.name == "population.source") continue;  // synthetic: never kept
    const auto value = another_value(spec, spec.get(base));
    if (!value) continue;
    Params changed = base;
    spec.set(changed, *value);
    if (!same_structure(base, changed)) continue;
    INFO(spec.name);
    REQUIRE(same(load_england(changed), reference));
  }
}

TEST_CASE("a world over a kept England structure equals one over a fresh structure", "[world]") {
  const Params p = test::params({"run.years=2"});
  World kept = make_world(p);
  kept = make_world(p);  // the second is built from the kept structure
  World fresh = make_world(p, load_england(p));
  CHECK(kept.orgs.base_cost == fresh.orgs.base_cost);
  CHECK(kept.orgs.margin == fresh.orgs.margin);
  CHECK(kept.trust == fresh.trust);
  const Params other = test::params({"population.provider_cost_total=80000"});
  CHECK_FALSE(same_structure(p, other));
  CHECK(make_world(other).orgs.base_cost == make_world(other, load_england(other)).orgs.base_cost);
  CHECK(make_world(other).orgs.base_cost != kept.orgs.base_cost);
  // Margins are drawn for each world, not kept with the structure: calibration varies them.
  const Params margins = test::params({"finance.margin_mean.acute=-0.05"});
  CHECK(same_structure(p, margins));
  CHECK(make_world(margins).orgs.margin != kept.orgs.margin);
}

TEST_CASE("apply_setting changes a running world's policy and refuses what only the start reads",
          "[world]") {
  World w = make_world(test::params({"run.years=2"}));
  apply_setting(w, *find_param("policy.bailout"), Value{500.0});
  CHECK(w.params.bailout == 500.0);
  CHECK_THROWS_WITH(apply_setting(w, *find_param("policy.system_tied_share"), Value{2.0}),
                    Catch::Contains("expected a number in [0, 1]"));
  for (const char* name :
       {"trust.initial", "behaviour.initial_belief", "run.seed", "run.first_year", "model",
        "finance.margin_mean.acute", "population.provider_cost_total", "behaviour.risk_aversion"}) {
    INFO(name);
    const ParamSpec& spec = *find_param(name);
    const auto value = another_value(spec, spec.get(w.params));
    REQUIRE(value);
    CHECK_THROWS_WITH(apply_setting(w, spec, *value),
                      Catch::Contains("cannot change during a run"));
  }
  CHECK(w.params.bailout == 500.0);

  // A rule switched to learning finds the attractions it reads.
  REQUIRE(w.rules.attraction.empty());
  apply_setting(w, *find_param("behaviour.rule"), Value{std::string("learning")});
  CHECK(w.rules.attraction.size() == w.size() * action_count);
  simulate(w, {});
}
