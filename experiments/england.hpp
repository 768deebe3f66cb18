// Builds England's default population from the organisation-structure files in data/england
// (embedded at build time): organisations, systems, places, collaboratives and the graph.
#pragma once

#include <map>
#include <string>

#include "agents/parameters.hpp"
#include "agents/world.hpp"

namespace icsim {

// File name ("trusts.csv") -> contents. england_files() gives the embedded copies.
using SourceFiles = std::map<std::string, std::string>;
SourceFiles england_files();

// Throws DataError naming the file and line on inconsistent data.
Structure load_england(const Params& params, const SourceFiles& files = england_files());

}  // namespace icsim
