// The economics of provider collaboratives, shared by the decide and collaborate stages:
// savings that grow with size and trust, overhead that grows convexly with memberships.
#pragma once

#include <cmath>
#include <vector>

#include "agents/world.hpp"

namespace icsim {

// Saving to one member (GBP m): formal collaboratives save up to the full rate, informal ones
// only on back office; diminishing returns in size, proportional to the members' mean trust.
inline double collaborative_saving(const Params& p, double members, double trust, bool formal,
                                   double cost) {
  const double form = formal ? 1.0 : p.informal_factor;
  return p.collab_saving_rate * form * (1.0 - std::exp(-(members - 1.0) / p.collab_scale)) * trust *
         cost;
}

// Overhead of m memberships (GBP m): linear up to the organisation's capacity, convex beyond
// (a tertiary centre in six collaboratives, each with its own meetings, pays for it).
inline double membership_overhead(const Params& p, double m, double capacity, double cost) {
  return p.collab_overhead * cost * m * (1.0 + (m / capacity) * (m / capacity));
}

struct CollaborativeState {
  std::vector<double> members;  // per collaborative
  std::vector<double> trust;    // mean trust on edges between two members
};
CollaborativeState collaborative_state(const World& w, const Decisions& d);

}  // namespace icsim
