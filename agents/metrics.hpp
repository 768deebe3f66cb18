// The metric registry: every recorded measure declared once (name, level, unit, description,
// how it is computed). The recorder, the HDF5 schema and the Python reader follow from it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "agents/world.hpp"

namespace icsim {

enum class Level : std::uint8_t { organisation, system, national };

using Column = std::variant<std::vector<double>, std::vector<std::int32_t>, std::vector<std::uint8_t>>;

struct Metric {
  std::string name;
  Level level;
  std::string unit;
  std::string description;
  std::function<Column(const World&)> compute;  // one value per organisation, system, or one
};

const std::vector<Metric>& metrics();
const Metric* find_metric(std::string_view name, Level level);

}  // namespace icsim
