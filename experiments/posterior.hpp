// The posterior file of a calibration (HDF5, the conventions of sweep files: units, descriptions,
// dimension scales, provenance): the priors, the targets with their fit, every generation's
// particles, weights, distances, tolerance and acceptance rate, the final posterior and its
// predictive runs. And reading it back to draw parameter sets for predictions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "experiments/abc.hpp"
#include "experiments/calibrate.hpp"

namespace icsim {

struct PosteriorWrite {
  const CalibrationProblem* problem = nullptr;
  std::span<const abc::Generation> generations;
  const abc::Result* result = nullptr;  // set once complete: the predictive runs and the fit
  std::string command_line;
  std::uint64_t runs = 0;  // made so far
  double seconds = 0;      // of this process (an attribute: datasets stay reproducible)
};

// Writes the file whole to a temporary beside `path`, then renames it over `path`.
void write_posterior(const std::filesystem::path& path, const PosteriorWrite& what);

// The final posterior of a complete calibration.
struct Posterior {
  std::string source;                   // the file
  std::vector<std::string> parameters;  // registry names: the free ones, then the tied ones
  std::vector<double> particles;        // [particle][parameter]
  std::vector<double> weights;          // normalised
  std::string fingerprint;
  std::size_t size() const { return weights.size(); }
};
// Errors are InputError naming the file.
Posterior read_posterior(const std::filesystem::path& path);
// Whether a calibration file says it is complete (false if it is not one).
bool posterior_complete(const std::filesystem::path& path);
// Draw i of a sample from the posterior, by weight: the same particle whatever the number of
// draws asked for.
std::size_t posterior_draw(const Posterior& posterior, std::uint64_t seed, std::uint64_t i);

}  // namespace icsim
