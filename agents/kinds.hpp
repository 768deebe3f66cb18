// The kinds of organisation in an integrated care system, and what each kind may do.
// One table, so that loaders, the registry and the recorder spell kinds the same way.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace icsim {

enum class Kind : std::uint8_t {
  acute,
  community,
  mental_health,
  specialist,
  ambulance,
  commissioner,
  primary_care_network,
  local_authority,
};
inline constexpr int kind_count = 8;

inline constexpr std::array<std::string_view, kind_count> kind_names{
    "acute",     "community",    "mental_health",        "specialist",
    "ambulance", "commissioner", "primary_care_network", "local_authority"};

constexpr std::string_view name_of(Kind k) {
  return kind_names[static_cast<int>(k)];
}

inline std::optional<Kind> kind_from_name(std::string_view name) {
  for (int k = 0; k < kind_count; ++k)
    if (kind_names[k] == name) return static_cast<Kind>(k);
  return std::nullopt;
}

constexpr bool is_trust(Kind k) {
  return k <= Kind::ambulance;
}
// NHS bodies with a control total agreed with the regulator decide stakes and effort;
// primary care networks and councils are partners on the graph but hold no NHS control total.
constexpr bool holds_control_total(Kind k) {
  return is_trust(k) || k == Kind::commissioner;
}

}  // namespace icsim
