#include <catch2/catch.hpp>
#include <numeric>

#include "agents/accounts.hpp"
#include "support.hpp"

using namespace icsim;

namespace {
double sum(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0);
}
}  // namespace

TEST_CASE("money is conserved: every pound of the pot is paid or returned", "[settle]") {
  const auto rule = GENERATE(as<std::string>{}, "pro_rata", "need", "equal", "leader");
  const auto funds = GENERATE(as<std::string>{}, "psf", "frf", "csf");
  const auto tied = GENERATE(as<std::string>{}, "0", "0.5", "1");
  const Params p = test::params(
      {"policy.redistribution=" + rule, "policy.psf=" + std::string(funds == "psf" ? "2000" : "0"),
       "policy.frf=" + std::string(funds == "frf" ? "1000" : "0"),
       "policy.csf=" + std::string(funds == "csf" ? "400" : "0"), "policy.psf_incentive=1",
       "policy.system_tied_share=" + tied, "policy.ics_count=42", "run.years=6"});
  int years = 0;
  test::run(p, [&](const World& w) {
    ++years;
    const auto& nat = w.national;
    const double pot = sum({nat.pot.begin(), nat.pot.end()});
    const double paid = sum({nat.paid.begin(), nat.paid.end()});
    CHECK(paid + nat.bonus_paid + nat.support_returned == Approx(pot).epsilon(1e-12));
    CHECK(sum(w.ledger.support_paid) == Approx(paid).epsilon(1e-12));
    CHECK(sum(w.ledger.bonus) == Approx(nat.bonus_paid).epsilon(1e-12));
    CHECK(sum(w.ledger.allocation) == Approx(pot).epsilon(1e-12));
    const auto& s = w.system_ledger;
    for (std::size_t sys = 0; sys < w.systems.size(); ++sys) {
      INFO(w.systems.code[sys] << " year " << w.year);
      CHECK(s.paid[sys] + s.returned[sys] == Approx(s.allocated[sys]).margin(1e-9));
    }
    for (std::size_t i = 0; i < w.size(); ++i) CHECK(w.ledger.support_paid[i] >= 0);
  });
  CHECK(years == 6);
}

TEST_CASE("need redistribution pays members that missed their own totals - pro rata does not",
          "[settle]") {
  double missed_paid_need = 0, missed_paid_pro_rata = 0;
  for (const char* rule : {"need", "pro_rata"}) {
    const Params p = test::params({std::string("policy.redistribution=") + rule,
                                   "policy.system_tied_share=1", "run.years=5"});
    double paid_to_missed = 0;
    test::run(p, [&](const World& w) {
      for (std::size_t i = 0; i < w.size(); ++i)
        if (holds_control_total(w.orgs.kind[i]) && !w.ledger.met[i] &&
            w.system_ledger.met[w.orgs.system[i]])
          paid_to_missed += w.ledger.support_paid[i];
    });
    (std::string(rule) == "need" ? missed_paid_need : missed_paid_pro_rata) = paid_to_missed;
  }
  CHECK(missed_paid_need > 0);
  CHECK(missed_paid_pro_rata == 0);
}

TEST_CASE("write-offs halve commissioners' cumulative deficits in the year policy sets them",
          "[settle]") {
  const Params p = test::params({"run.years=3"});
  Params with = p;
  with.timeline.push_back({2021, {{find_param("policy.writeoff_commissioners"), Value{0.5}}}});
  std::vector<double> before;
  test::run(with, [&](const World& w) {
    if (w.year == 1) before = w.ledger.balance;  // end of year 2
    if (w.year != 2) {
      CHECK(w.national.writeoff == 0);
      return;
    }
    int checked = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (w.orgs.kind[i] != Kind::commissioner) continue;
      const auto& l = w.ledger;
      const double pre = l.balance[i] - l.writeoff[i];  // balance before the write-off
      if (pre < 0) {
        CHECK(l.balance[i] == Approx(pre / 2).margin(1e-9));
        ++checked;
      } else {
        CHECK(l.writeoff[i] == 0);
      }
    }
    CHECK(checked > 0);
    double total = 0;
    for (const double x : w.ledger.writeoff) total += x;
    CHECK(w.national.writeoff == Approx(total));
  });
  CHECK_FALSE(before.empty());
}

TEST_CASE("the bail-out pays deep deficits up to its pool", "[settle]") {
  const Params p =
      test::params({"policy.bailout=50", "policy.bailout_threshold=0.0", "run.years=4"});
  double paid = 0;
  test::run(p, [&](const World& w) {
    CHECK(w.national.bailout_paid <= 50.0 + 1e-9);
    paid += w.national.bailout_paid;
  });
  CHECK(paid > 0);
}

TEST_CASE(
    "the duty-to-collaborate penalty withholds support from members that gained while "
    "their system missed",
    "[settle]") {
  const Params p = test::params(
      {"policy.collaboration_penalty=0.5", "policy.system_tied_share=0.5", "run.years=5"});
  double penalties = 0;
  test::run(p, [&](const World& w) {
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (w.ledger.penalty[i] <= 0) continue;
      penalties += w.ledger.penalty[i];
      const auto sys = w.orgs.system[i];
      CHECK_FALSE(w.system_ledger.met[sys]);
      CHECK(w.ledger.met[i]);
      CHECK(w.current.effort[i] < w.system_ledger.mean_effort[sys]);
      CHECK(w.ledger.penalty[i] == Approx(0.5 * w.ledger.allocation[i]));
    }
    CHECK(w.national.penalties == Approx(sum(w.ledger.penalty)).margin(1e-9));
  });
  CHECK(penalties > 0);
}

TEST_CASE("a leader with more capacity shares more of the system's money by need", "[settle]") {
  const auto paid_to_missed = [](const char* capacity) {
    double paid = 0;
    test::run(test::params({"policy.redistribution=leader", "policy.system_tied_share=1",
                            std::string("policy.leader_capacity=") + capacity, "run.years=5"}),
              [&](const World& w) {
                for (std::size_t i = 0; i < w.size(); ++i)
                  if (holds_control_total(w.orgs.kind[i]) && !w.ledger.met[i])
                    paid += w.ledger.support_paid[i];
              });
    return paid;
  };
  CHECK(paid_to_missed("0") == 0);
  CHECK(paid_to_missed("2") > paid_to_missed("0.5"));
}

// England's bonus (policy.incentive_basis = "agreed"): £1, then £2, for every agreed £1 by which a
// trust improved its control total in year, as far as the unearned PSF lasted; the rest of the
// unearned PSF to every trust that met its total, by its PSF allocation (HSJ 2016).
TEST_CASE(
    "agreed basis: the bonus pays agreed improvements, the rest of the unearned PSF goes "
    "to the trusts that met by allocation",
    "[settle][bonus]") {
  const Params p = test::params({"run.years=3"}, "england-2016");
  REQUIRE(p.incentive_basis == IncentiveBasis::agreed);
  double raised = 0;
  int years = 0;
  test::run(p, [&](const World& w) {
    ++years;
    const auto& l = w.ledger;
    const auto& nat = w.national;
    INFO("year " << nat.calendar_year);
    bool any_claimant = false;
    for (std::size_t i = 0; i < w.size(); ++i) {
      const bool claimant = is_trust(w.orgs.kind[i]) && w.current.accepted[i] && l.met[i];
      any_claimant = any_claimant || claimant;
      if (l.raise[i] > 0) CHECK(w.current.accepted[i]);
      CHECK(l.raise[i] <= 0.03 * l.planned_cost[i] * (1 + 1e-12));
      raised += l.raise[i];
      const double expected = claimant ? nat.bonus_share * w.params.psf_incentive * l.raise[i] +
                                             nat.general_share * fund_allocation(w, Fund::psf, i)
                                       : 0.0;
      CHECK(l.bonus[i] == Approx(expected).margin(1e-9));
    }
    // Nothing of the unearned PSF goes back to the centre while some trust met its total.
    const double pot = nat.pot[int(Fund::psf)];
    REQUIRE(any_claimant);
    REQUIRE(pot > nat.paid[int(Fund::psf)]);
    CHECK(nat.paid[int(Fund::psf)] + nat.bonus_paid == Approx(pot).epsilon(1e-12));
  });
  CHECK(years == 3);
  CHECK(raised > 0);
}

TEST_CASE("agreed basis: money is conserved - every pound of the pot is paid or returned",
          "[settle][bonus]") {
  const auto rate = GENERATE(as<std::string>{}, "1", "2", "10");
  const Params p = test::params({"policy.psf_incentive=" + rate, "run.years=3"}, "england-2016");
  test::run(p, [&](const World& w) {
    const auto& nat = w.national;
    const double pot = sum({nat.pot.begin(), nat.pot.end()});
    const double paid = sum({nat.paid.begin(), nat.paid.end()});
    CHECK(paid + nat.bonus_paid + nat.support_returned == Approx(pot).epsilon(1e-12));
    CHECK(sum(w.ledger.bonus) == Approx(nat.bonus_paid).epsilon(1e-12));
  });
}
