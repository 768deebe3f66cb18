// A model with a known posterior, to test the calibration engine without icsim's world: the
// mean of 25 draws from normal(mu, 1).
#pragma once

#include <cstdint>
#include <span>

#include "experiments/calibrate.hpp"
#include "network/random.hpp"

namespace icsim::test {

class NormalMeanModel : public CalibrationModel {
 public:
  static constexpr int draws = 25;
  void simulate(std::span<const double> theta, std::int64_t seed, std::span<double> out,
                SeriesPool*) const override {
    Random random(static_cast<std::uint64_t>(seed), 0, 0, Purpose::shock);
    double sum = 0;
    for (int i = 0; i < draws; ++i) sum += theta[0] + random.normal();
    out[0] = sum / draws;
  }
  void simulate(std::span<const double> theta, std::int64_t seed, std::span<double> out) const {
    simulate(theta, seed, out, nullptr);
  }
};

}  // namespace icsim::test
