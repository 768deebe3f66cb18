// Runs two years of the England default through icsim::core and prints the systems on target.
#include <iostream>

#include "agents/step.hpp"
#include "agents/world.hpp"
#include "experiments/population.hpp"
#include "experiments/scenario.hpp"

int main() {
  icsim::Params p = icsim::load_scenario("england-2019").params;
  p.years = 2;
  icsim::World w = icsim::make_world(p);
  int met = 0;
  icsim::simulate(w, [&](const icsim::World& world) {
    met = 0;
    for (const auto m : world.system_ledger.met) met += m;
  });
  std::cout << "systems " << w.systems.size() << " met " << met << "\n";
  return w.systems.size() == 42 ? 0 : 1;
}
