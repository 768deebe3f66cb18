// The classic models in the engine (model = public_goods | threshold_cascade): runs one from the
// parameters, prints a short table and records it to HDF5. What `icsim run` does for them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "agents/parameters.hpp"
#include "output/tables.hpp"

namespace icsim {

struct PublicGoodsRun {
  std::uint32_t nodes = 0;
  std::uint64_t edges = 0;
  std::vector<std::int64_t> step;           // recorded steps: 0, every run.record_every, the last
  std::vector<double> cooperator_fraction;  // at those steps
  std::int64_t steps_run = 0;               // < run.steps when stopped early
  std::int64_t absorbed_at_step = -1;       // first step ending all C or all D; -1: never
  std::string absorbing_state = "none";     // all_cooperators | all_defectors | none
  // Mean over steps t in (run.steps / 2, run.steps] of the fraction after step t (an absorbed
  // state counting as lasting to the end): the stationary level a sweep over r reads.
  double mean_cooperator_fraction = 0;
};

struct CascadeRun {
  std::vector<double> final_active_share;  // per realisation
  std::vector<std::uint64_t> edges;        // per realisation: edges of the graph drawn
  std::uint32_t nodes = 0;
  double global_cascade_frequency = 0;  // share of realisations above cascade.global_share
  double mean_global_cascade_size = 0;  // mean final share over those; NaN if there are none
};

// Called after every recorded step of the public goods game with (step, cooperator fraction).
using StepObserver = std::function<void(std::int64_t, double)>;

PublicGoodsRun run_public_goods(const Params& params, const StepObserver& observer = {});
// Realisations run in parallel (oneTBB); each draws from (seed, realisation) only, so the
// result does not depend on the number of threads.
CascadeRun run_threshold_cascade(const Params& params);

// Runs params.model, prints progress and a summary to `out` (none: silent) and writes `output`
// (via a temporary file renamed at the end). Returns the process exit code; throws ParamError for
// a graph the parameters cannot make.
int run_classic(const Params& params, const std::filesystem::path& output,
                const Provenance& provenance, std::ostream* out);

}  // namespace icsim
