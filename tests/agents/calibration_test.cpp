// Calibration against what happened in 2019/20 (sources in data/README.md).
#include <catch2/catch.hpp>

#include "agents/metrics.hpp"
#include "support.hpp"

using namespace icsim;

TEST_CASE("slow: england-2019 stakes little, as in 2019/20, with 35-60% of trusts in deficit",
          "[calibration]") {
  const Params p = test::params();
  double systems = 0, all_in = 0, small = 0, deficit = 0, years = 0;
  for (std::uint64_t replication = 0; replication < 20; ++replication)
    test::run(
        p,
        [&](const World& w) {
          for (const double share : w.system_ledger.stake_share) {
            systems += 1;
            all_in += share >= 0.95;
            small += share < 0.5;
          }
          deficit += std::get<std::vector<double>>(
              find_metric("trusts_in_deficit", Level::national)->compute(w))[0];
          years += 1;
        },
        replication);
  INFO("systems staking everything: " << all_in / systems
                                      << ", staking under half: " << small / systems
                                      << ", trusts in deficit: " << deficit / years);
  // Only Dorset staked everything, of 14 ICSs; the rest pooled small fractions.
  CHECK(all_in / systems < 0.1);
  CHECK(small / systems > 0.75);
  // About 46% of trusts were in deficit before support in 2018/19.
  CHECK(deficit / years > 0.35);
  CHECK(deficit / years < 0.60);
}
