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

// Where a parameter was set: "FILE:LINE" or the option ("--set").
struct Setting {
  std::string key, origin;
  bool shipped = false;  // by a shipped scenario (written for the health model)
};

struct Scenario {
  Params params;
  std::string source;                        // path, or "england-2019 (shipped)"
  std::string description;                   // the file's own description, if any
  std::vector<std::filesystem::path> files;  // the files read: the scenario and its bases
  std::vector<Setting> settings;             // in the order applied: bases first
};

inline constexpr std::string_view default_scenario = "england-2019";

std::vector<std::string> shipped_scenarios();
// The text of a shipped scenario (england-2016, england-2019, england-2020, statutory-2022), or
// empty.
std::string_view shipped_scenario_text(std::string_view name);

// Loads a file path or a shipped scenario's name. A regular file of that name comes first; a
// directory is refused (or, if it has a shipped scenario's name, passed over).
Scenario load_scenario(const std::string& path_or_name);
// The same for a scenario that another file names: a relative path is taken from `directory`,
// and `referrer` ("sweep.toml:2: key 'scenario'") begins the error if there is no such scenario.
Scenario load_scenario(const std::string& reference, const std::filesystem::path& directory,
                       const std::string& referrer);
// Parses scenario text; `label` names it in errors and a relative base or path parameter is
// taken from `directory`.
Scenario parse_scenario(std::string_view text, const std::string& label,
                        const std::filesystem::path& directory = {});
// Applies "key=value" (from --set); errors name `origin` ("--set") and quote the value as given.
void apply_setting(Params& params, std::string_view assignment, const std::string& origin);
// The same, recording the setting in the scenario.
void apply_setting(Scenario& scenario, std::string_view assignment, const std::string& origin);

// A registry parameter and a value for it, read from "key=value" as --set reads it (checked
// against its type and range); errors are InputError naming `origin`.
struct ParsedSetting {
  const ParamSpec* spec = nullptr;
  Value value;
};
ParsedSetting parse_setting(std::string_view assignment, const std::string& origin);

// The files a run of the scenario reads: the scenario, its bases, and the file of every path
// parameter (those whose unit is "path") that is set.
std::vector<std::filesystem::path> input_files(const Scenario& scenario);

// Whether `model` reads the parameter `name`, decided by the name's prefix in one table: the
// classic models read run.steps, run.record_every and network.* (public goods game.*, cascades
// cascade.*), every model reads model and run.seed, and everything else belongs to the health
// model, so a parameter under a new prefix is the health model's without an edit there.
bool model_uses(Model model, std::string_view name);
// Refuses (InputError naming where it was set) a parameter the scenario's model does not use,
// unless a shipped scenario set it.
void check_model_settings(const Scenario& scenario);

}  // namespace icsim
