#include "agents/world.hpp"

#include <catch2/catch.hpp>

#include "agents/step.hpp"
#include "network/england.hpp"
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
         x.population == y.population && x.income == y.income && x.base_cost == y.base_cost &&
         x.duty == y.duty && x.capacity == y.capacity && x.risk_aversion == y.risk_aversion &&
         x.threshold == y.threshold && a.systems.leader_role == b.systems.leader_role &&
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
  CHECK(kept.orgs.income == fresh.orgs.income);
  CHECK(kept.trust == fresh.trust);
  const Params other = test::params({"population.margin_sd=0.05"});
  CHECK_FALSE(same_structure(p, other));
  CHECK(make_world(other).orgs.income == make_world(other, load_england(other)).orgs.income);
  CHECK(make_world(other).orgs.income != kept.orgs.income);
}

TEST_CASE("apply_setting changes a running world's policy and refuses what only the start reads",
          "[world]") {
  World w = make_world(test::params({"run.years=2"}));
  apply_setting(w, *find_param("policy.bailout"), Value{500.0});
  CHECK(w.params.bailout == 500.0);
  CHECK_THROWS_WITH(apply_setting(w, *find_param("policy.system_tied_share"), Value{2.0}),
                    Catch::Contains("expected a number in [0, 1]"));
  for (const char* name : {"trust.initial", "behaviour.initial_belief", "run.seed",
                           "run.first_year", "model", "population.deficit_share"}) {
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
