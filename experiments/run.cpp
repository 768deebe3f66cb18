#include "experiments/run.hpp"

#include <stdexcept>
#include <utility>

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
  Simulation run(params, options.output ? Simulation::Recording::file : Simulation::Recording::none,
                 options.provenance, options.output.value_or(std::filesystem::path()));
  for (std::int64_t y = 0; y < params.years; ++y) {
    run.step();
    if (options.on_year) options.on_year(summarise(run.world()));
  }
  return run.finish();
}

Simulation::Simulation(const Params& params, Recording recording, const Provenance& provenance,
                       const std::filesystem::path& output)
    : world_(make_world(params)), recording_(recording) {
  if (recording == Recording::file)
    recorder_ = std::make_unique<RunRecorder>(output, world_, provenance);
  else if (recording == Recording::memory)
    recorder_ = std::make_unique<RunRecorder>(world_, provenance);
}

Simulation::~Simulation() = default;

void Simulation::step() {
  if (year_open_) end_year(world_);
  year_open_ = false;
  run_year(world_, [this](const World& w) {
    if (recorder_) recorder_->record(w);
  });
  year_open_ = true;
  ++years_run_;
}

void Simulation::set(const ParamSpec& spec, const Value& value) {
  apply_setting(world_, spec, value);
  const std::string line = std::to_string(world_.params.first_year + years_run_) + ": " +
                           spec.name + " = " + format_value(spec.get(world_.params)) + "\n";
  changes_ += line;
  if (recorder_) recorder_->note("changes", changes_);
}

std::vector<char> Simulation::image() {
  if (recording_ != Recording::memory)
    throw std::logic_error("Simulation::image: the run is not recorded in memory");
  return recorder_->image();
}

void Simulation::save(const std::filesystem::path& path) {
  if (recording_ != Recording::memory)
    throw std::logic_error("Simulation::save: the run is not recorded in memory");
  recorder_->save(path);
}

World Simulation::finish() {
  if (year_open_) end_year(world_);
  year_open_ = false;
  if (recording_ == Recording::file) recorder_->finish();
  return std::move(world_);
}

}  // namespace icsim
