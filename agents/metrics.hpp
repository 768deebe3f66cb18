// The metric registry: every recorded measure declared once (name, level, unit, description,
// how it is computed). The recorder, the HDF5 schema and the Python reader follow from it.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "agents/world.hpp"

namespace icsim {

enum class Level : std::uint8_t { organisation, system, national };

// What a metric is for: a headline is a key outcome of the model (reports lead with it and
// analyse sweeps of it); every other metric is detail. Recorded as each dataset's `role`.
enum class Role : std::uint8_t { detail, headline };
std::string_view name_of(Role role);

using Column =
    std::variant<std::vector<double>, std::vector<std::int32_t>, std::vector<std::uint8_t>>;

// The same values where the world keeps them as a column already, without a copy.
using ColumnView = std::variant<std::span<const double>, std::span<const std::int32_t>,
                                std::span<const std::uint8_t>>;

// How a metric that is a column the world keeps is read: as a copy, or in place.
struct Columnar {
  std::function<Column(const World&)> compute;
  std::function<ColumnView(const World&)> view;
};

struct Metric {
  std::string name;
  Level level;
  std::string unit;
  std::string description;
  std::function<Column(const World&)> compute;   // one value per organisation, system, or one
  std::function<ColumnView(const World&)> view;  // empty unless the world holds the column
  Role role = Role::detail;                      // headlines: the list in metrics.cpp

  Metric(std::string name_, Level level_, std::string unit_, std::string description_,
         std::function<Column(const World&)> compute_)
      : name(std::move(name_)),
        level(level_),
        unit(std::move(unit_)),
        description(std::move(description_)),
        compute(std::move(compute_)) {}
  Metric(std::string name_, Level level_, std::string unit_, std::string description_, Columnar how)
      : Metric(std::move(name_), level_, std::move(unit_), std::move(description_),
               std::move(how.compute)) {
    view = std::move(how.view);
  }
};

const std::vector<Metric>& metrics();
const Metric* find_metric(std::string_view name, Level level);

}  // namespace icsim
