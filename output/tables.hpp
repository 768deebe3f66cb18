// The static part of an output file: provenance attributes on the root and the tables of
// organisations, systems, places, edges and collaboratives, each a group of 1-D datasets.
#pragma once

#include <hdf5.h>

#include <string>

#include "agents/world.hpp"

namespace icsim {

struct Provenance {
  std::string scenario_text;    // the full resolved scenario (TOML)
  std::string scenario_source;  // the file it came from, or the shipped scenario's name
  std::string command_line;
  std::string kind = "run";  // "run" or "sweep"
};

void write_provenance(hid_t file, const Provenance& provenance, std::int64_t seed);
void write_static_tables(hid_t file, const World& world);
// Writes the parameter registry (unit, range, meaning) under /parameters as attributes.
void write_parameter_registry(hid_t file);

}  // namespace icsim
