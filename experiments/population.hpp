// Building a run's world from its parameters: the population they name (England's structure from
// data/england, or a synthetic one) and the initial state. The one place that knows the graph,
// the agents and the data together (STYLE.md: layers that only look down).
#pragma once

#include <cstdint>

#include "agents/parameters.hpp"
#include "agents/world.hpp"

namespace icsim {

// The structure the parameters name. England's is built once for a set of structure parameters
// and copied after that, so that the runs of a sweep do not each parse the population's files.
Structure build_structure(const Params& params);

// Builds a run's world from the parameters: the structure, synthesised finance and initial
// state. Throws DataError or std::runtime_error on inconsistent data.
World make_world(const Params& params, std::uint64_t run = 0);

// Whether two sets of parameters give the same structure: they agree on every parameter that
// the loaders and the synthetic generator read.
bool same_structure(const Params& a, const Params& b);

}  // namespace icsim
