// Synthesised finance: there is no public trust-level 2019/20 finance, so income and cost are
// built from size measures and calibrated to published totals (sources in data/README.md).
#pragma once

#include <vector>

#include "agents/parameters.hpp"
#include "agents/world.hpp"

namespace icsim {

// Share of the provider cost total by trust kind (acute, community, mental health, specialist,
// ambulance), documented in data/README.md.
inline constexpr std::array<double, 5> provider_cost_share{0.64, 0.08, 0.16, 0.07, 0.05};

// Fills income, base_cost, duty, capacity, risk_aversion and threshold. `size` is each
// organisation's size measure within its kind (beds for acute and specialist trusts, population
// served otherwise).
void synthesise_finance(Organisations& orgs, const std::vector<double>& size, const Params& params);

// Assigns leader roles in the 2019 proportions: of 42 leaders 10 sole, 17 also ran a CCG, 6 a
// trust, the rest other roles.
void assign_leaders(Systems& systems, const Params& params);

}  // namespace icsim
