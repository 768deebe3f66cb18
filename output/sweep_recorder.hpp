// Records a sweep to one HDF5 file (DESIGN.md section 5): /runs, /summary and the recorded time
// series, one row per run in the order given, committed so that a sweep killed at any moment
// (kill -9 included) leaves a complete file holding every run it reported as committed.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agents/metrics.hpp"
#include "agents/parameters.hpp"
#include "output/output_lock.hpp"
#include "output/tables.hpp"

namespace icsim {

// What a sweep records besides /runs: whole-run summaries and time series at each level.
struct SweepRecord {
  bool summary = true, national = true, system = false, organisation = false;
};

// The summaries and series a sweep file holds, all from the metric registry.
struct SweepSchema {
  enum class Statistic : std::uint8_t { final_year, run_mean };
  struct Summary {
    const Metric* metric;  // null for a batch's own statistics (a calibration's targets)
    Statistic statistic;
    std::string name, unit, description;
  };
  SweepRecord record;
  // final_<m> and mean_<m> of every national metric m; final_system_<m> and mean_system_<m>
  // (the mean over systems) of every system metric.
  std::vector<Summary> summaries;
  std::array<std::vector<const Metric*>, 3> series;  // recorded time series, indexed by Level

  explicit SweepSchema(const SweepRecord& record);
};

// One finished or failed run, as the writer receives it.
struct RunRow {
  std::int64_t run = 0, point = 0, replication = 0, seed = 0;
  std::string error;                          // why the run failed; empty if it did not
  std::vector<Value> parameters;              // one per varied parameter
  std::vector<double> summaries;              // in schema order; empty if the run failed
  std::array<std::vector<Column>, 3> series;  // in schema order, [year][entity] flattened
  std::size_t bytes() const;
};

// The storage of written runs' series, handed back for the next runs to fill: a fresh run's
// series would touch new pages, a page fault every 4 KiB (about 7 us each on a virtual machine,
// 700 a run for England's organisation series). Shared by the simulation threads and the writer.
class SeriesPool {
 public:
  // An empty column of the type of `like`, with room for `size` values.
  Column take(const Column& like, std::size_t size);
  // Keeps the columns' storage, up to a bound; frees the rest.
  void give(std::array<std::vector<Column>, 3>& series);

 private:
  std::mutex mutex_;
  std::map<std::pair<std::size_t, std::size_t>, std::vector<Column>> free_;  // by type, capacity
  std::size_t bytes_ = 0;
  static constexpr std::size_t max_bytes = 64u << 20;
};

// Collects one run's summaries and series, year by year, on the simulation thread.
class RunCapture {
 public:
  // `widths`: organisations, systems (and 1) of the sweep's tables, which each year must match.
  // `pool`: where the series' storage comes from, if given.
  RunCapture(const SweepSchema& schema, std::size_t years, const std::array<std::size_t, 3>& widths,
             SeriesPool* pool = nullptr);
  void record(const World& world);  // the year just simulated; throws if the widths differ
  void finish(RunRow& row);         // summaries and series into row (once)

 private:
  const SweepSchema& schema_;
  std::size_t years_ = 0, seen_ = 0;
  std::vector<const Metric*> summarised_;  // distinct metrics behind the summaries
  std::vector<double> sum_, last_;
  std::vector<bool> summarised_seen_;  // this year
  std::array<std::vector<Column>, 3> series_;
  std::array<std::size_t, 3> widths_{};
  SeriesPool* pool_ = nullptr;
};

// A column of /runs that a run fills from RunRow::parameters: a varied registry parameter, or
// another per-run value of a batch (a calibration's generation).
struct RunColumn {
  std::string name;
  ParamType type = ParamType::real;
  std::string unit, description;
  static RunColumn varied(const ParamSpec& spec);  // a registry parameter a sweep varies
};

// The root of a sweep file and the columns of /runs.
struct SweepFileInfo {
  Provenance provenance;  // kind "sweep"; the scenario is the sweep's resolved base scenario
  std::int64_t seed = 0;
  std::vector<std::pair<std::string, std::string>> text_attributes;
  std::vector<std::pair<std::string, std::int64_t>> number_attributes;
  std::vector<RunColumn> parameters;  // each a column of /runs, in RunRow::parameters' order
};

class SweepRecorder {
 public:
  struct Options {
    double commit_interval = 2.0;         // seconds between commits, at most (0: each run; finite)
    std::size_t carry_limit = 64u << 20;  // bytes of runs held between commits, at most
    std::size_t queue_capacity = 16;      // runs queued for the writer thread
    std::function<void(std::uint64_t)> on_commit;  // rows safely in the file (writer thread)
  };

  // Creates the sweep file, committing it empty at once (replacing any file at `path`), or with
  // `resume`, continues the one at `path` (whose identity the caller has checked), refreshing its
  // text attributes and command line from `info`. `lock`: the caller's lock on `path`, taken
  // before its slow preparations; without it the recorder takes the lock itself. A `base`
  // without organisations (a model without a world) writes no static tables.
  SweepRecorder(const std::filesystem::path& path, const SweepFileInfo& info,
                const SweepSchema& schema, const World& base, Options options, bool resume,
                std::optional<OutputLock> lock = std::nullopt);
  ~SweepRecorder();  // without finish(): the file keeps what was committed
  SweepRecorder(const SweepRecorder&) = delete;
  SweepRecorder& operator=(const SweepRecorder&) = delete;

  // Queues a run (handed to the writer a few at a time, and at every commit tick); rows are
  // written in the order added, then their series' storage goes to series_pool(). Rethrows the
  // writer's first error.
  void add(std::shared_ptr<RunRow> row);
  // Storage for the series of the runs to come (RunCapture).
  SeriesPool& series_pool();
  // Commits everything added and removes the working files.
  void finish();
  // Rows in the file when this recorder opened it (resume), plus those committed since.
  std::uint64_t committed() const;

  // The run indices of the rows of a sweep file (/runs/run), in file order.
  static std::vector<std::int64_t> recorded_runs(const std::filesystem::path& path);
  // The working files next to `path` (left by a killed sweep; --resume removes them).
  static std::filesystem::path working_path(const std::filesystem::path& path);
  static std::filesystem::path spare_path(const std::filesystem::path& path);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace icsim
