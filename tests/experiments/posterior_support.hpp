// Test helper: a complete posterior file with given particles and weights, without running a
// calibration, for tests of what reads posteriors (sweeps, runs, the Python reader).
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "agents/parameters.hpp"
#include "experiments/posterior.hpp"

namespace icsim::test {

// `particles` is [particle][parameter]; every parameter a registry one, its prior its range;
// `ties` (tied parameter, free parameter) as a calibration file's [tie] gives them.
inline void write_test_posterior(
    const std::filesystem::path& path, const std::vector<std::string>& parameters,
    const std::vector<double>& particles, const std::vector<double>& weights,
    const std::vector<std::pair<std::string, std::string>>& ties = {}) {
  CalibrationProblem p;
  p.ties = ties;
  for (const auto& name : parameters) {
    const ParamSpec& spec = *find_param(name);
    CalibrationParameter q;
    q.prior = {name, false, spec.min, spec.max};
    q.unit = spec.unit;
    q.description = spec.meaning;
    q.registry_min = spec.min;
    q.registry_max = spec.max;
    p.parameters.push_back(q);
  }
  CalibrationTarget t;
  t.name = "t";
  t.observed = 0;
  t.sd = 1;
  p.targets.push_back(t);
  p.settings.population = weights.size();
  p.source = "test posterior";
  abc::Generation g;
  g.particles = particles;
  g.weights = weights;
  g.distances.assign(weights.size(), 0.0);
  g.statistics.assign(weights.size(), 0.0);
  g.attempt.assign(weights.size(), 0);
  abc::Result r;
  r.generations = {g};
  r.predictive.assign(weights.size(), 0.0);
  r.fit.assign(1, abc::Fit{});
  PosteriorWrite w;
  w.problem = &p;
  w.generations = r.generations;
  w.result = &r;
  write_posterior(path, w);
}

}  // namespace icsim::test
