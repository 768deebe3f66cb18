// One run of a scenario, optionally recorded to HDF5: what `icsim run` does, callable without
// the CLI.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <vector>

#include "agents/world.hpp"
#include "output/tables.hpp"

namespace icsim {

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

}  // namespace icsim
