// Calibration files (TOML): a scenario, priors on registry parameters, targets (a metric at any
// level, a statistic over organisations or systems, a year or a range of years, an observed
// value and its uncertainty, or a row of data/england/targets.csv), and the ABC-SMC settings.
// The model behind them is icsim itself: a run's targets are computed from its world each year.
// docs/calibration.md describes the file and the method.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agents/metrics.hpp"
#include "agents/parameters.hpp"
#include "experiments/calibrate.hpp"

namespace icsim {

// How a target is computed from a run: each year the statistic over the metric's entities, then
// the mean over the target's years.
struct TargetRule {
  enum class Statistic : std::uint8_t { value, mean, sum, share, count };
  enum class Condition : std::uint8_t { nonzero, below, above };
  const Metric* metric = nullptr;
  Statistic statistic = Statistic::value;
  Condition condition = Condition::nonzero;  // share and count: which entities count
  double threshold = 0;
  std::vector<bool> kinds;  // organisation level: the kinds included (empty: all)
  std::int64_t first_year = 0, last_year = 0;  // calendar years

  double of_year(const World& world) const;  // the statistic in the year just simulated
};

struct Calibration {
  CalibrationProblem problem;
  Params base;  // the scenario, its [set] and years, with run.years cut at the last target year
  std::string scenario;                      // the shipped name or path the scenario came from
  std::vector<const ParamSpec*> parameters;  // in the problem's order
  // [tie]: each tied parameter and the index (in `parameters`) of the free one it follows.
  std::vector<std::pair<const ParamSpec*, std::size_t>> ties;
  std::vector<TargetRule> rules;  // in the problem's order
  // How a target taken from targets.csv turned the row's value into its observation.
  struct FromRow {
    double denominator = 0;  // observed = value / denominator, when given
    bool as_share = false;   // ... or over the N of the row's unit "count (of N)"
  };
  std::vector<FromRow> from_rows;  // in the problem's order
};

// Reads a calibration file; errors are InputError, one line naming the file, line and key. `text`
// and `label` alone suffice (a fuzzer calls it so); `directory` resolves a relative scenario.
Calibration parse_calibration(std::string_view text, const std::string& label,
                              const std::filesystem::path& directory = {});
Calibration load_calibration(const std::filesystem::path& path);

// icsim as a calibration model: the calibration's base scenario with the parameters set.
class IcsimModel : public CalibrationModel {
 public:
  explicit IcsimModel(const Calibration& calibration) : calibration_(calibration) {}
  // The base with theta and the seed (integer parameters rounded to the nearest whole number).
  Params params(std::span<const double> theta, std::int64_t seed) const;
  void simulate(std::span<const double> theta, std::int64_t seed, std::span<double> out,
                SeriesPool* pool) const override;

 private:
  const Calibration& calibration_;
};

// The command-line body of calibrate (experiments/cli.cpp parses).
struct CalibrateCommand {
  std::string file, output;
  bool resume = false, overwrite = false, quiet = false;
  double commit_interval = 2.0;
  std::string command_line;
};
int command_calibrate(const CalibrateCommand& command, std::ostream& out, std::ostream& err);
// Its body once the file is read: runs the calibration (with `remote`, on MPI workers) and prints
// the result.
int run_calibration_command(const CalibrateCommand& command, const Calibration& calibration,
                            const CalibrationModel& model,
                            const decltype(CalibrateOptions::remote)& remote, std::ostream& out,
                            std::ostream& err);

}  // namespace icsim
