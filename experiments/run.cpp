#include "experiments/run.hpp"

#include <memory>

#include "agents/metrics.hpp"
#include "agents/step.hpp"
#include "experiments/population.hpp"
#include "output/run_recorder.hpp"

namespace icsim {
namespace {
double national(const World& w, std::string_view name) {
  return std::get<std::vector<double>>(find_metric(name, Level::national)->compute(w)).at(0);
}
}  // namespace

YearSummary summarise(const World& w) {
  YearSummary s;
  s.year = static_cast<int>(w.params.first_year + w.year);
  s.systems = static_cast<int>(w.systems.size());
  s.systems_met = static_cast<int>(national(w, "systems_met"));
  s.stake_share = national(w, "stake_share");
  s.mean_trust = national(w, "mean_trust");
  s.collaboratives = static_cast<int>(national(w, "collaboratives"));
  s.aggregate_surplus = national(w, "aggregate_surplus");
  return s;
}

World run_scenario(const Params& params, const RunOptions& options) {
  World world = make_world(params);
  std::unique_ptr<RunRecorder> recorder;
  if (options.output)
    recorder = std::make_unique<RunRecorder>(*options.output, world, options.provenance);
  simulate(world, [&](const World& w) {
    if (recorder) recorder->record(w);
    if (options.on_year) options.on_year(summarise(w));
  });
  if (recorder) recorder->finish();
  return world;
}

}  // namespace icsim
