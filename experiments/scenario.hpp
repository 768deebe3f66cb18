// Scenarios: TOML files whose tables name registry parameters ([policy] system_tied_share =
// 0.5 sets policy.system_tied_share), optionally on top of a shipped scenario (base = "...").
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "agents/parameters.hpp"

namespace icsim {

// A bad scenario, sweep or command-line value; what() is one line naming the file and the key.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Scenario {
  Params params;
  std::string source;       // path, or "england-2019 (shipped)"
  std::string description;  // the file's own description, if any
};

inline constexpr std::string_view default_scenario = "england-2019";

std::vector<std::string> shipped_scenarios();
// The text of a shipped scenario (england-2019, england-2020, statutory-2022), or empty.
std::string_view shipped_scenario_text(std::string_view name);

// Loads a file path or a shipped scenario's name.
Scenario load_scenario(const std::string& path_or_name);
// Parses scenario text; `label` names it in errors.
Scenario parse_scenario(std::string_view text, const std::string& label,
                        const std::filesystem::path& directory = {});
// Applies "key=value" (from --set); errors name `origin` ("--set").
void apply_setting(Params& params, std::string_view assignment, const std::string& origin);

// A registry parameter and a value for it, read from "key=value" as --set reads it (checked
// against its type and range); errors are InputError naming `origin`.
struct Setting {
  const ParamSpec* spec = nullptr;
  Value value;
};
Setting parse_setting(std::string_view assignment, const std::string& origin);

}  // namespace icsim
