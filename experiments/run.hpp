// One run of a scenario, optionally recorded to HDF5: what `icsim run` does, callable without
// the CLI, at once (run_scenario) or a year at a time (Simulation, which the Python bindings
// drive).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agents/world.hpp"
#include "output/tables.hpp"

namespace icsim {

class RunRecorder;

// The short per-year summary `icsim run` prints.
struct YearSummary {
  int year = 0;
  int systems_met = 0, systems = 0;
  double stake_share = 0, mean_trust = 0;
  int collaboratives = 0;
  double aggregate_surplus = 0;  // GBP m after support, over control-total holders
};
YearSummary summarise(const World& world);

struct RunOptions {
  std::optional<std::filesystem::path> output;  // none: nothing written
  Provenance provenance;
  std::function<void(const YearSummary&)> on_year;
};

// Builds the world, simulates it and records it; returns the final world.
World run_scenario(const Params& params, const RunOptions& options);

// A run advanced a year at a time. Between years the world stands as the year's record saw it,
// so its columns hold that year's values; a setting changed between years applies from the
// next year on.
class Simulation {
 public:
  enum class Recording : std::uint8_t { none, file, memory };

  // Builds the world. Recording::file creates `output`'s temporary file at once, so that an
  // unwritable path fails before any simulation; Recording::memory keeps the file in memory.
  Simulation(const Params& params, Recording recording, const Provenance& provenance,
             const std::filesystem::path& output = {});
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  void step();  // one planning year, recorded
  std::int64_t years_run() const { return years_run_; }
  // The world as the last year's record saw it; before the first year, the initial world.
  const World& world() const { return world_; }
  // A parameter changed from the next year on (apply_setting), noted in the file's root
  // attribute `changes` ("<year>: <name> = <value>" a line) when recording.
  void set(const ParamSpec& spec, const Value& value);
  const std::string& changes() const { return changes_; }

  // The recorded file with every year so far (Recording::memory).
  std::vector<char> image();
  void save(const std::filesystem::path& path);
  // Ends the last year and closes a file recording (renamed into place); returns the world
  // after the last year.
  World finish();

 private:
  World world_;
  std::unique_ptr<RunRecorder> recorder_;
  Recording recording_;
  std::int64_t years_run_ = 0;
  bool year_open_ = false;  // a year has run and not ended
  std::string changes_;
};

}  // namespace icsim
