// Running a calibration: ABC-SMC (experiments/abc.hpp) on the crash-safe batch runner
// (experiments/batch.hpp), for any model that maps parameters and a seed to statistics. Every
// run is recorded in a working file next to the output (OUT.attempts.h5); killed at any moment,
// the calibration resumes from it and reaches the same posterior, since proposals, seeds and
// acceptance follow from attempt indices alone. The posterior file (experiments/posterior.hpp) is
// rewritten after every generation and completed at the end.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "experiments/abc.hpp"
#include "experiments/batch.hpp"

namespace icsim {

// What calibration fits: one run at parameter values theta (in the problem's order), with run
// seed `seed`, gives one value per target in `out`. Throws if the run fails. Called from many
// threads at once.
class CalibrationModel {
 public:
  virtual ~CalibrationModel() = default;
  virtual void simulate(std::span<const double> theta, std::int64_t seed, std::span<double> out,
                        SeriesPool* pool) const = 0;
};

struct CalibrationParameter {
  abc::Prior prior;  // its name is the parameter's
  std::string unit, description;
  double registry_min = 0, registry_max = 0;  // the range the registry allows
};

struct CalibrationTarget {
  std::string name;  // unique; a dataset name in the files
  std::string unit, description;
  double observed = 0, sd = 0;
  std::string sd_reason;  // why the uncertainty is what it is
  // Where the simulated value comes from (for the file and the fit table; the model computes it).
  std::string metric, level, statistic, id;
  std::int64_t first_year = 0, last_year = 0;
};

// A calibration, independent of the model behind it.
struct CalibrationProblem {
  std::vector<CalibrationParameter> parameters;
  // Parameters that take a free parameter's value in every run (kinds the targets cannot tell
  // apart): (tied parameter, the free parameter it follows), in the tied parameters' name order.
  std::vector<std::pair<std::string, std::string>> ties;
  std::vector<CalibrationTarget> targets;
  abc::Settings settings;
  // Provenance: the calibration file, its canonical form (what decides the results: a resume
  // must match its fingerprint), the resolved scenario.
  std::string source, text, description, canonical, scenario_text, scenario_source;
  std::string resolved;  // the calibration file with every default and observation filled in
  std::int64_t first_year = 0, years = 0;

  std::string fingerprint() const;
  std::vector<abc::Prior> priors() const;
};

// A run simulated elsewhere (an MPI worker): what it needs, and what comes back.
struct RemoteRun {
  std::int64_t seed = 0;
  std::span<const double> theta;
};
struct RemoteResult {
  std::vector<double> statistics;  // one per target; empty if the run failed
  std::string error;
};

struct CalibrateOptions : BatchOptions {
  std::string command_line;
  // When set, the runs of a batch that the working file lacks are simulated by it (MPI workers,
  // experiments/mpi_calibrate.cpp), a result per run in order, instead of on this process's
  // threads; everything else (proposals, acceptance, the files) stays here.
  std::function<std::vector<RemoteResult>(std::span<const RemoteRun> runs)> remote;
};

struct CalibrateResult {
  abc::Result abc;
  bool complete_before = false;  // --resume found a finished posterior: nothing was run
  std::uint64_t runs_resumed = 0, runs_now = 0;
  double seconds = 0;
};

// Thrown by calibrate() when options.stop asked it to stop: the runs that finished are committed
// to the working file and the calibration can be resumed.
struct CalibrationStopped : std::runtime_error {
  CalibrationStopped() : std::runtime_error("calibration stopped; resume continues it") {}
};

// The working file of a calibration writing to `output`: OUT.attempts.h5.
std::filesystem::path attempts_path(const std::filesystem::path& output);

// Runs (or, with options.resume, continues) the calibration into options.output; progress lines
// (generation, tolerance, acceptance rate, ESS) go to options.progress_out.
CalibrateResult calibrate(const CalibrationProblem& problem, const CalibrationModel& model,
                          const CalibrateOptions& options);

}  // namespace icsim
