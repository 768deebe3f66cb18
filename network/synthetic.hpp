// A synthetic population of any size: systems, places, organisations in England's kind mix and
// a relationship graph, built in time linear in its size and reproducibly from the seed.
#pragma once

#include "agents/parameters.hpp"
#include "agents/world.hpp"

namespace icsim {

// England's mix of kinds (trusts by kind, commissioners, PCNs, councils), per organisation.
inline constexpr std::array<double, kind_count> england_kind_mix{
    124.0 / 1892, 16.0 / 1892, 50.0 / 1892, 15.0 / 1892,
    10.0 / 1892,  106.0 / 1892, 1254.0 / 1892, 317.0 / 1892};

Structure make_synthetic(const Params& params);

}  // namespace icsim
