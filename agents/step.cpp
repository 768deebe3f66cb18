#include "agents/step.hpp"

#include <utility>

namespace icsim {

void step(World& world, const RecordFn& record) {
  run_year(world, record);
  end_year(world);
}

void run_year(World& world, const RecordFn& record) {
  plan(world);
  decide(world);
  realise(world);
  collaborate(world);
  settle(world);
  learn(world);
  if (record) record(world);
}

void end_year(World& world) {
  std::swap(world.previous, world.current);
  ++world.year;
}

void simulate(World& world, const RecordFn& record, const std::function<void(int)>& progress) {
  for (std::int64_t y = 0; y < world.params.years; ++y) {
    step(world, record);
    if (progress) progress(world.year);
  }
}

}  // namespace icsim
