// Synthesised finance: there is no public trust-level finance, so costs are built from size
// measures and published totals, and planned margins are drawn from distributions by kind whose
// means and spreads calibration fits (sources in data/README.md, docs/model.md section 7).
#pragma once

#include <array>
#include <vector>

#include "agents/parameters.hpp"
#include "agents/world.hpp"

namespace icsim {

// Share of the provider cost total by trust kind (acute, community, mental health, specialist,
// ambulance), documented in data/README.md.
inline constexpr std::array<double, 5> provider_cost_share{0.64, 0.08, 0.16, 0.07, 0.05};

// Fills base_cost at 2019/20 prices. `size` is each organisation's size measure within its kind
// (beds for acute and specialist trusts, population served otherwise). Structure: loaders call
// it, and the result depends only on the population's parameters.
void synthesise_costs(Organisations& orgs, const std::vector<double>& size, const Params& params);

// Fills margin, capacity, risk_aversion and threshold from population.finance_seed: the same for
// every replication of a run (agents/world.cpp calls it for each world).
void synthesise_margins(Organisations& orgs, const Params& params);

// Assigns leader roles in the 2019 proportions: of 42 leaders 10 sole, 17 also ran a CCG, 6 a
// trust, the rest other roles.
void assign_leaders(Systems& systems, const Params& params);

}  // namespace icsim
