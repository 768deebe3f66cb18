// The planning year: plan, decide, realise, collaborate, settle, learn, record, in that order.
// Each stage is a free function over the world, in a file named after it.
#pragma once

#include <functional>

#include "agents/world.hpp"

namespace icsim {

void plan(World& world);         // agents/plan.cpp
void decide(World& world);       // agents/decide.cpp
void realise(World& world);      // agents/realise.cpp
void collaborate(World& world);  // agents/collaborate.cpp
void settle(World& world);       // agents/settle.cpp
void learn(World& world);        // agents/learn.cpp

using RecordFn = std::function<void(const World&)>;

// One planning year; `record` sees the world at the year's end.
void step(World& world, const RecordFn& record);
// step() in two halves, for an embedder that looks at the world between years (the Python
// bindings): run_year leaves the world as `record` saw it, end_year then makes it the next
// year's start. step() is run_year then end_year.
void run_year(World& world, const RecordFn& record);
void end_year(World& world);
// All run.years years.
void simulate(World& world, const RecordFn& record, const std::function<void(int)>& progress = {});

}  // namespace icsim
