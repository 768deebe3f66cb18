#include "agents/parameters.hpp"

#include <catch2/catch.hpp>
#include <set>

#include "experiments/scenario.hpp"

using namespace icsim;

TEST_CASE("every registry entry is complete and its default is allowed", "[parameters]") {
  std::set<std::string> names;
  for (const auto& spec : registry()) {
    INFO(spec.name);
    CHECK(names.insert(spec.name).second);
    CHECK_FALSE(spec.unit.empty());
    CHECK_FALSE(spec.meaning.empty());
    CHECK_NOTHROW(validate(spec, spec.default_value));
    CHECK(spec.get(default_params()) == spec.default_value);
  }
}

TEST_CASE("the policy levers the brief names are all in the registry", "[parameters]") {
  for (const char* name : {"policy.psf",
                           "policy.frf",
                           "policy.csf",
                           "policy.psf_incentive",
                           "policy.system_tied_share",
                           "policy.redistribution",
                           "policy.writeoff_commissioners",
                           "policy.writeoff_trusts",
                           "policy.bailout",
                           "policy.bailout_threshold",
                           "policy.collaboration_penalty",
                           "policy.collaborative_mandate",
                           "policy.collaborative_form",
                           "policy.transition_pressure",
                           "policy.earned_autonomy_years",
                           "policy.purchasing_levy",
                           "policy.savings_visibility",
                           "policy.leader_capacity",
                           "policy.payment",
                           "policy.ics_count",
                           "policy.statutory_collaboration",
                           "behaviour.rule",
                           "behaviour.acute.rule",
                           "run.activation"}) {
    INFO(name);
    CHECK(find_param(name) != nullptr);
  }
}

TEST_CASE("values outside the range or of the wrong type are refused - naming key and range",
          "[parameters]") {
  Params p = default_params();
  CHECK_THROWS_WITH(set_param(p, "policy.system_tied_share", 1.5),
                    Catch::Contains("policy.system_tied_share") && Catch::Contains("[0, 1]"));
  CHECK_THROWS_WITH(set_param(p, "policy.redistribution", std::string("lottery")),
                    Catch::Contains("one of pro_rata, need, equal, leader"));
  CHECK_THROWS_WITH(set_param(p, "run.years", 2.5), Catch::Contains("whole number"));
  CHECK_THROWS_WITH(set_param(p, "policy.nonsense", 1.0), Catch::Contains("unknown key"));
  set_param(p, "policy.system_tied_share", std::int64_t{1});  // an integer for a real is fine
  CHECK(p.system_tied_share == 1.0);
}

TEST_CASE("the resolved scenario reads back to the same parameters", "[parameters]") {
  Params p = default_params();
  set_param(p, "policy.system_tied_share", 0.375);
  set_param(p, "behaviour.acute.rule", std::string("threshold"));
  set_param(p, "policy.collaborative_mandate", true);
  const Params back = parse_scenario(to_toml(p), "resolved.toml").params;
  for (const auto& spec : registry()) {
    INFO(spec.name);
    CHECK(spec.get(back) == spec.get(p));
  }
  CHECK(back.rule_for(Kind::acute) == Rule::threshold);
  CHECK(back.rule_for(Kind::mental_health) == back.rule);
}

TEST_CASE("the resolved scenario keeps the timeline - which applies year by year", "[parameters]") {
  Params p = default_params();
  p.timeline.push_back({2020, {{find_param("policy.psf"), Value{500.0}}}});
  p.timeline.push_back({2022,
                        {{find_param("policy.payment"), Value{std::string("block")}},
                         {find_param("policy.ics_count"), Value{std::int64_t{42}}}}});
  const Params back = parse_scenario(to_toml(p), "resolved.toml").params;
  CHECK(back.timeline == p.timeline);
  Params year = back;
  CHECK_FALSE(apply_timeline(year, 2019));
  CHECK(apply_timeline(year, 2020));
  CHECK(year.psf == 500.0);
  CHECK(year.payment == Payment::tariff);
  Params later = back;
  CHECK(apply_timeline(later, 2023, true));  // a run starting later takes every earlier entry
  CHECK(later.psf == 500.0);
  CHECK(later.payment == Payment::block);
  CHECK(later.ics_count == 42);
}
