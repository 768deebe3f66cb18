// The crash-safe batch runner that sweeps and calibrations share: runs indexed by number, each
// simulated on its own (TBB, all cores), recorded in run order to one HDF5 file that a kill -9
// leaves complete and that --resume continues, running only the runs the file lacks. Sharding
// (slices of the runs for job arrays) and MPI workers (runs handed out by rank 0) feed it runs.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "output/sweep_recorder.hpp"

namespace icsim {

// Shard I of N (1-based) holds runs I-1, I-1+N, I-1+2N, ...: strided, so that slow corners of
// the design spread over the shards.
struct Shard {
  std::uint64_t index = 1, count = 1;
  std::string origin;  // "--shard", "SLURM_ARRAY_TASK_ID=3", or empty for the whole sweep
};
std::uint64_t runs_in_shard(std::uint64_t runs, const Shard& shard);
std::uint64_t shard_run(const Shard& shard, std::uint64_t i);  // the i-th run of the shard

enum class ProgressStyle : std::uint8_t { bar, log, quiet };

// "42s", "3m05s", "1h02m"; "?" when unknown.
std::string duration_text(double seconds);

// What the runner has done so far, for progress lines.
struct BatchCounts {
  std::uint64_t resumed = 0;  // runs in the file before this process
  std::uint64_t saved = 0;    // runs in the file now (committed), resumed ones included
  std::uint64_t ran = 0, failed = 0;
  double seconds = 0;   // since the runner started
  double rate() const;  // runs saved per second by this process
};

struct BatchOptions {
  std::filesystem::path output;
  Shard shard;
  bool resume = false;           // continue the batch file in `output`, running what it lacks
  bool overwrite = false;        // replace `output` if it holds anything else
  double commit_interval = 2.0;  // seconds between commits of finished runs
  ProgressStyle progress = ProgressStyle::quiet;
  double log_interval = 5.0;  // seconds between log lines
  std::ostream* progress_out = nullptr;
  // Asked before each run starts: once it answers true no further run starts; the runs under
  // way finish and are saved, so the file can be resumed (Ctrl-C in the Python bindings).
  std::function<bool()> stop;
};

// A hash of everything that decides a batch's results, as 32 hexadecimal digits.
std::string fingerprint_of(std::string_view canonical);

// What a batch file is: its kind in messages ("sweep", "calibration"), its source file, and the
// fingerprint of everything that decides its runs' results, which a resume must match.
struct BatchIdentity {
  std::string what = "sweep", source, fingerprint;
};

// Takes the lock on `output` (a file of kind `what`), or says why not: another icsim holds it
// (std::runtime_error) or its directory is not writable (InputError).
OutputLock lock_output(const std::filesystem::path& output, const std::string& what);

class BatchRunner {
 public:
  using Simulate = std::function<std::shared_ptr<RunRow>(std::uint64_t run, SeriesPool* pool)>;
  using Receive = std::function<void(const RunRow& row)>;
  using Next = std::function<bool(std::uint64_t& run)>;
  using Line = std::function<std::string(const BatchCounts&, bool bar)>;  // bar: on a terminal

  // Takes the output's lock before anything slow (issue 15 item 6), then refuses an existing
  // output without resume or overwrite and, on resume, a file of another batch or shard; reads
  // the runs a resumed file holds. Errors are InputError, one line naming the file.
  BatchRunner(const BatchOptions& options, const BatchIdentity& identity);
  ~BatchRunner();  // without finish(): the file keeps every run that finished
  BatchRunner(const BatchRunner&) = delete;
  BatchRunner& operator=(const BatchRunner&) = delete;

  bool resuming() const { return resume_; }
  const std::vector<std::int64_t>& recorded() const { return recorded_; }  // sorted
  bool is_recorded(std::uint64_t run) const;

  // Creates the file (or reopens it to resume) and starts the progress display, whose text after
  // the prefix `line` gives (every few seconds, from another thread).
  void open(const SweepFileInfo& info, const SweepSchema& schema, const World& base,
            Line line = {});
  // Runs what `next` gives that the file lacks, in parallel (nested with the parallelism inside
  // a run); each row goes, in the order given, to `receive` and then to the file.
  void run(const Next& next, const Simulate& simulate, const Receive& receive = {});
  // The runs of the shard, in order.
  Next shard_runs(std::uint64_t total) const;
  // Commits everything and removes the working files and the lock.
  void finish();

  BatchCounts counts() const;
  bool stopped() const { return stopped_; }  // options.stop ended run() early
  // Prints a line now, above the progress bar if there is one.
  void note(const std::string& line);

 private:
  struct Display;
  BatchOptions options_;
  BatchIdentity identity_;
  std::optional<OutputLock> lock_;
  bool resume_ = false;
  std::vector<std::int64_t> recorded_;
  std::unique_ptr<SweepRecorder> recorder_;
  std::unique_ptr<Display> display_;
  std::atomic<std::uint64_t> saved_{0}, ran_{0}, failed_{0};
  bool stopped_ = false;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace icsim
