// Parameter sweeps: the sweep file (TOML), its design over registry parameters, the runs it
// implies (design point x replication, each with its own seed), shards, and running them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/parameters.hpp"
#include "experiments/design.hpp"
#include "output/sweep_recorder.hpp"

namespace icsim {

// One varied parameter: listed values, or a numeric range [min, max].
struct Axis {
  std::string name;
  const ParamSpec* spec = nullptr;
  std::vector<Value> values;  // listed values (a range with `levels` is listed too)
  double min = 0, max = 0;    // a continuous range, when no values are listed
  int line = 0;               // where the sweep file declares it

  bool categorical() const;  // a choice, flag or text
  // The value at unit coordinate u in [0, 1]: the value of u's cell, or min + u (max - min)
  // (an integer range gives each whole number an equal share).
  Value at(double u) const;
};

struct Sweep {
  std::string source;    // the file's path
  std::string text;      // the file as written
  std::string scenario;  // the scenario's source ("england-2020 (shipped)" or its path)
  std::string description;
  std::vector<std::filesystem::path> files;  // read for it: the sweep file, the scenario's
  Params base;  // scenario, then [set], then years; run.seed = the sweep's seed
  std::uint64_t replications = 1;
  std::uint64_t seed = 1;
  DesignSpec design;
  std::vector<Axis> axes;  // ordered by name, so the file's order does not matter
  SweepRecord record;

  std::uint64_t points() const { return point_count(design); }
  std::uint64_t runs() const { return points() * replications; }
  // Everything that decides the results, as text; fingerprint() is its hash. Shards, resumes
  // and merges must agree on it.
  std::string canonical() const;
  std::string fingerprint() const;
};

// Reads a sweep file; errors are InputError, one line naming the file, line and key.
Sweep load_sweep(const std::filesystem::path& path);
Sweep parse_sweep(std::string_view text, const std::string& label,
                  const std::filesystem::path& directory = {});

// A run: run = point * replications + replication.
struct RunSpec {
  std::uint64_t run = 0, point = 0, replication = 0;
  std::int64_t seed = 0;      // its run.seed
  std::vector<Value> values;  // one per axis
};
RunSpec run_spec(const Sweep& sweep, std::uint64_t run);
// The run's parameters: the base with its axis values and seed. `icsim run --seed S --set
// axis=value ...` on the sweep's scenario is the same run.
Params run_params(const Sweep& sweep, const RunSpec& run);
// Derived from (sweep seed, point, replication) alone, so a run can be re-run by itself.
std::int64_t run_seed(std::uint64_t sweep_seed, std::uint64_t point, std::uint64_t replication);

// Shard I of N (1-based) holds runs I-1, I-1+N, I-1+2N, ...: strided, so that slow corners of
// the design spread over the shards.
struct Shard {
  std::uint64_t index = 1, count = 1;
  std::string origin;  // "--shard", "SLURM_ARRAY_TASK_ID=3", or empty for the whole sweep
};
Shard parse_shard(std::string_view text, const std::string& origin);
// From SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT, SLURM_ARRAY_TASK_MIN (default 0) and
// SLURM_ARRAY_TASK_STEP (default 1); none when not in a job array.
std::optional<Shard> shard_from_environment(
    const std::function<const char*(const char*)>& getenv_fn);
std::uint64_t runs_in_shard(std::uint64_t runs, const Shard& shard);
std::uint64_t shard_run(const Shard& shard, std::uint64_t i);  // the i-th run of the shard

// The design as CSV, one row per run of the shard: run, point, replication, seed, then every
// axis by name.
void write_design_csv(const Sweep& sweep, const Shard& shard, std::ostream& out);

enum class ProgressStyle : std::uint8_t { bar, log, quiet };

struct SweepOptions {
  std::filesystem::path output;
  Shard shard;
  bool resume = false;           // continue the sweep in `output`, running only what is missing
  bool overwrite = false;        // replace `output` if it holds anything else
  double commit_interval = 2.0;  // seconds between commits of finished runs
  ProgressStyle progress = ProgressStyle::quiet;
  double log_interval = 5.0;  // seconds between log lines
  std::ostream* progress_out = nullptr;
  std::string command_line;
  // Called on the simulation thread with each run's world before it is simulated (an embedder
  // may adjust it; tests make runs fail). An exception fails that run only.
  std::function<void(const RunSpec&, World&)> before_run;
  // When set, runs come from here instead of the shard (false: no more); called from one thread
  // at a time. MPI workers (experiments/mpi_sweep.cpp) ask rank 0 for batches through it.
  std::function<bool(std::uint64_t&)> next_run;
};

struct SweepResult {
  std::uint64_t shard_runs = 0;  // runs of the shard
  std::uint64_t resumed = 0;     // already in the file
  std::uint64_t ran = 0, failed = 0;
  double seconds = 0;
};

// Runs the shard's missing runs in parallel (TBB, nested with the parallelism inside a run) and
// records them in run order.
SweepResult run_sweep(const Sweep& sweep, const SweepOptions& options);

// The command-line bodies of sweep, sample and merge (experiments/cli.cpp parses).
struct SweepCommand {
  std::string sweep_file, output, shard;
  std::vector<std::string> inputs;  // merge: the shard files
  bool resume = false, overwrite = false, quiet = false;
  double commit_interval = 2.0;
  std::string max_memory;  // --max-memory; empty: the memory available
  std::string command_line;
};
int command_sweep(const SweepCommand& command, std::ostream& out, std::ostream& err);
int command_sample(const SweepCommand& command, std::ostream& out);
int command_merge(const SweepCommand& command, std::ostream& out, std::ostream& err);

}  // namespace icsim
