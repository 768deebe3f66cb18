// The classic models in the engine (model = public_goods | threshold_cascade): runs one from the
// parameters, prints a short table and records it to HDF5. What `icsim run` does for them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agents/parameters.hpp"
#include "agents/public_goods.hpp"
#include "network/graph.hpp"
#include "output/tables.hpp"

namespace icsim {

// The graph a classic model runs on, from network.kind and its parameters: a generated graph
// (realisation r draws a fresh one), an edge-list file, or England's relationship graph.
// Throws ParamError for sizes a kind cannot take and DataError for a bad edge list.
RelationshipGraph make_network(const Params& params, std::uint64_t key,
                               std::uint32_t realisation = 0);
// True when each realisation of network.kind draws a different graph.
bool network_is_random(NetworkKind kind);

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

// The public goods game a Monte Carlo step at a time (run_public_goods runs one to its end).
class PublicGoodsSimulation {
 public:
  explicit PublicGoodsSimulation(const Params& params, StepObserver observer = {});
  PublicGoodsSimulation(const PublicGoodsSimulation&) = delete;
  PublicGoodsSimulation& operator=(const PublicGoodsSimulation&) = delete;

  bool finished() const;  // run.steps done, or an absorbing state reached
  void step();            // one Monte Carlo step; nothing once finished
  std::int64_t steps_run() const { return t_; }
  const PublicGoodsGame& game() const { return *game_; }
  // The run so far as run_public_goods reports it; the mean over the second half of run.steps
  // is NaN until the run has finished.
  PublicGoodsRun result() const;

 private:
  void record();
  Params params_;
  StepObserver observer_;
  std::unique_ptr<const RelationshipGraph> graph_;  // the game points into it
  std::unique_ptr<PublicGoodsGame> game_;
  PublicGoodsRun run_;
  double tail_ = 0;  // sum of the fraction after each step in (run.steps / 2, run.steps]
  std::int64_t t_ = 0;
};

// Threshold cascades a batch of realisations at a time (run_threshold_cascade runs them all).
class CascadeSimulation {
 public:
  explicit CascadeSimulation(const Params& params);
  std::uint32_t realisations_run() const { return done_; }
  bool finished() const { return done_ == run_.final_active_share.size(); }
  void run(std::uint32_t count);  // the next `count` realisations, in parallel
  // The realisations run so far, summarised.
  CascadeRun result() const;
  // Final active share of each realisation (those past realisations_run() are not run yet).
  const std::vector<double>& final_active_share() const { return run_.final_active_share; }

 private:
  Params params_;
  std::uint64_t key_;
  std::optional<RelationshipGraph> fixed_;  // a graph that is not random, built once
  CascadeRun run_;                          // sized for every realisation
  std::vector<std::uint32_t> nodes_;
  std::uint32_t done_ = 0;
};

// The files run_classic writes, as bytes (the Python bindings save and read them).
std::vector<char> classic_image(const Params& params, const Provenance& provenance,
                                const PublicGoodsRun& run);
std::vector<char> classic_image(const Params& params, const Provenance& provenance,
                                const CascadeRun& run);

// Runs params.model, prints progress and a summary to `out` (none: silent) and writes `output`
// (via a temporary file renamed at the end). Returns the process exit code; throws ParamError for
// a graph the parameters cannot make.
int run_classic(const Params& params, const std::filesystem::path& output,
                const Provenance& provenance, std::ostream* out);

}  // namespace icsim
