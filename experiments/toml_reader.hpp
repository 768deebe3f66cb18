// Reading icsim's TOML inputs (sweep and calibration files; the text is read and parsed within
// bounds by experiments/toml_input.hpp): errors that name the file, the line
// and the key, values checked against the parameter registry, and registry parameters named in a
// table either quoted ("policy.bailout") or nested ([set.policy] bailout).
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "agents/parameters.hpp"
#include "experiments/scenario.hpp"
#include "experiments/toml_input.hpp"

namespace icsim::detail {

template <class Names>
std::string listed(const Names& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

// The shortest text that reads back as x.
std::string number_text(double x);

std::optional<Value> scalar(const toml::node& node);

// Errors name the file, the line and the key: "sweep.toml:7: key 'samples': ...".
struct TomlReader {
  std::string label;

  [[noreturn]] void fail(const toml::node& node, const std::string& message) const;
  std::int64_t whole(const toml::node& node, const std::string& key, std::int64_t lo,
                     std::int64_t hi) const;
  double number(const toml::node& node, const std::string& key) const;  // finite
  std::string text(const toml::node& node, const std::string& key) const;
  bool flag(const toml::node& node, const std::string& key) const;
  // The registry's error for an unknown name, with its "did you mean".
  [[noreturn]] void unknown_parameter(const toml::node& node, const std::string& table,
                                      const std::string& name) const;
  Value checked(const ParamSpec& spec, const toml::node& node, const std::string& key) const;
};

// Calls `leaf(name, spec, node)` for every registry parameter under `table`, in name order;
// dotted names may be quoted ("policy.bailout") or nested tables. A sub-table for which
// `is_value` holds is a value (an axis, a prior), not a level of names.
template <class Leaf>
void each_parameter(const TomlReader& r, const toml::table& table, const std::string& table_name,
                    const std::string& prefix, Leaf&& leaf,
                    const std::function<bool(const toml::table&)>& is_value = {}) {
  for (const auto& [k, node] : table) {
    const std::string name =
        prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    const auto* sub = node.as_table();
    if (const ParamSpec* spec = find_param(name)) {
      leaf(name, *spec, node);
    } else if (sub && !(is_value && is_value(*sub))) {
      each_parameter(r, *sub, table_name, name, leaf, is_value);
    } else {
      r.unknown_parameter(node, table_name, name);
    }
  }
}

// Refuses a key given twice in one file (as "policy.bailout" and as [set.policy] bailout), naming
// the later line and the first.
class NamedOnce {
 public:
  explicit NamedOnce(const TomlReader& reader) : reader_(reader) {}
  void operator()(const std::string& key, const toml::node& node);

 private:
  const TomlReader& reader_;
  std::map<std::string, const toml::node*> named_;
};

// The base scenario of a sweep or calibration file: `scenario` (a shipped name, or a path
// relative to `directory`; default england-2019), then its [set] table, then `years`.
// `reference`, if given, receives the name or path the scenario was loaded from.
Scenario read_base(const TomlReader& r, const toml::table& table,
                   const std::filesystem::path& directory, NamedOnce& once,
                   std::string* reference = nullptr);

}  // namespace icsim::detail
