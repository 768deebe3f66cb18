// A synthetic population of any size: systems, places, organisations in a given mix of kinds and
// a relationship graph, built in time linear in its size (bar one sort of the edges) and
// reproducibly from the finance seed. 10 million organisations fit in a few GiB.
#pragma once

#include "agents/parameters.hpp"
#include "agents/world.hpp"

namespace icsim {

// From population.organisations, .systems, .mean_degree and .mix.<kind>: systems of equal size
// (organisations in contiguous blocks, kinds dealt in the mix's proportions within each), five
// places each, partners drawn nine in ten inside the own system, and one acute provider
// collaborative per system. Throws ParamError, before allocating anything, when the mix has no
// weight or the graph would be too large to index.
Structure make_synthetic(const Params& params);

}  // namespace icsim
