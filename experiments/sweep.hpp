// Parameter sweeps: the sweep file (TOML), its design over registry parameters, the runs it
// implies (design point x replication, each with its own seed), shards, and running them.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/parameters.hpp"
#include "experiments/batch.hpp"
#include "experiments/design.hpp"
#include "experiments/posterior.hpp"
#include "experiments/scenario.hpp"
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

// Parameter sets drawn from a calibration's posterior (design "posterior"): every point of the
// listed axes runs at `draws` draws, draw d the same posterior particle at every point, so that
// a comparison of lever settings carries the calibrated uncertainty, paired by draw.
struct PosteriorDraws {
  Posterior posterior;
  std::uint64_t draws = 0;
  std::vector<const ParamSpec*> parameters;  // the posterior's, in its order

  // Parameter j of particle i, as the registry types it (integers rounded).
  Value value(std::size_t i, std::size_t j) const {
    const double x = posterior.particles[i * parameters.size() + j];
    return parameters[j]->type == ParamType::integer ? Value{std::llround(x)} : Value{x};
  }
};
// Reads a posterior to draw from; every parameter must be a numeric registry one. Errors are
// InputError, prefixed with `origin` (the option or key that named the file).
PosteriorDraws posterior_draws(const std::filesystem::path& file, std::uint64_t draws,
                               const std::string& origin);

struct Sweep {
  std::string source;    // the file's path
  std::string text;      // the file as written
  std::string scenario;  // the scenario's source ("england-2020 (shipped)" or its path)
  std::string description;
  std::vector<std::filesystem::path> files;  // read for it: the sweep file, the scenario's
  Params base;  // scenario, then [set], then years; run.seed = the sweep's seed
  std::uint64_t replications = 1;
  std::uint64_t seed = 1;
  bool common_seeds = false;  // the points of a seed block (design.hpp) share their runs' seeds
  DesignSpec design;
  std::vector<Axis> axes;  // ordered by name, so the file's order does not matter
  SweepRecord record;
  std::optional<PosteriorDraws> posterior;

  std::uint64_t points() const { return point_count(design) * (posterior ? posterior->draws : 1); }
  std::string design_name() const;  // "posterior", or the design's name
  std::uint64_t runs() const { return points() * replications; }
  // Everything that decides the results, as text; fingerprint() is its hash. Shards, resumes
  // and merges must agree on it.
  std::string canonical() const;
  std::string fingerprint() const;
};

// `icsim run --posterior FILE --draws N`: one run of `base` per draw, recording summaries and the
// national and system series.
Sweep posterior_ensemble(const Params& base, const std::string& scenario_source,
                         const std::filesystem::path& posterior, std::uint64_t draws);

// Reads a sweep file; errors are InputError, one line naming the file, line and key.
Sweep load_sweep(const std::filesystem::path& path);
Sweep parse_sweep(std::string_view text, const std::string& label,
                  const std::filesystem::path& directory = {});

// A run: run = point * replications + replication; with posterior draws,
// point = design point * draws + draw.
struct RunSpec {
  std::uint64_t run = 0, point = 0, replication = 0;
  std::int64_t seed = 0;       // its run.seed
  std::vector<Value> values;   // one per axis, then one per posterior parameter
  std::int64_t particle = -1;  // the posterior particle drawn, if any
};
RunSpec run_spec(const Sweep& sweep, std::uint64_t run);
// The run's parameters: the base with its axis values and seed. `icsim run --seed S --set
// axis=value ...` on the sweep's scenario is the same run.
Params run_params(const Sweep& sweep, const RunSpec& run);
// Derived from (sweep seed, point, replication) alone, so a run can be re-run by itself; under
// common_seeds, from (sweep seed, the point's seed block, replication).
std::int64_t run_seed(std::uint64_t sweep_seed, std::uint64_t point, std::uint64_t replication);

// Shards (experiments/batch.hpp) from the command line.
Shard parse_shard(std::string_view text, const std::string& origin);
// From SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT, SLURM_ARRAY_TASK_MIN (default 0) and
// SLURM_ARRAY_TASK_STEP (default 1); none when not in a job array.
std::optional<Shard> shard_from_environment(
    const std::function<const char*(const char*)>& getenv_fn);

// The design as CSV, one row per run of the shard: run, point, replication, seed, then every
// axis by name.
void write_design_csv(const Sweep& sweep, const Shard& shard, std::ostream& out);

struct SweepResult;

// The output, shard, resume or overwrite, commits and progress (experiments/batch.hpp), and:
struct SweepOptions : BatchOptions {
  std::string command_line;
  // Called on the simulation thread with each run's world before it is simulated (an embedder
  // may adjust it; tests make runs fail). An exception fails that run only.
  std::function<void(const RunSpec&, World&)> before_run;
  // When set, runs come from here instead of the shard (false: no more); called from one thread
  // at a time. MPI workers (experiments/mpi_sweep.cpp) ask rank 0 for batches through it.
  std::function<bool(std::uint64_t&)> next_run;
  // Called once the runs to do are known and after each run reaches the recorder, from one
  // thread at a time, with the counts so far (the Python bindings' progress bar).
  std::function<void(const SweepResult&)> on_progress;
};

struct SweepResult {
  std::uint64_t shard_runs = 0;  // runs of the shard
  std::uint64_t resumed = 0;     // already in the file
  std::uint64_t ran = 0, failed = 0;
  bool stopped = false;  // SweepOptions::stop ended it early
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
// `icsim run SCENARIO --posterior FILE --draws N` (experiments/cli.cpp resolves the scenario):
// the ensemble in the sweep layout, a run per draw, replacing `output`.
int command_run_posterior(const Scenario& scenario, const std::string& posterior,
                          std::uint64_t draws, const std::filesystem::path& output, bool quiet,
                          const std::string& command_line, std::ostream& out, std::ostream& err);

}  // namespace icsim
