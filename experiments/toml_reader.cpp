#include "experiments/toml_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "experiments/scenario.hpp"

namespace icsim::detail {

std::string number_text(double x) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, x);
  return std::string(buffer, end);
}

std::optional<Value> scalar(const toml::node& node) {
  if (const auto* b = node.as_boolean()) return Value{b->get()};
  if (const auto* i = node.as_integer()) return Value{i->get()};
  if (const auto* f = node.as_floating_point()) return Value{f->get()};
  if (const auto* s = node.as_string()) return Value{s->get()};
  return std::nullopt;
}

void TomlReader::fail(const toml::node& node, const std::string& message) const {
  throw InputError(label + ":" + std::to_string(node.source().begin.line) + ": " + message);
}

std::int64_t TomlReader::whole(const toml::node& node, const std::string& key, std::int64_t lo,
                               std::int64_t hi) const {
  const auto* i = node.as_integer();
  if (!i || i->get() < lo || i->get() > hi)
    fail(node, "key '" + key + "': expected a whole number in [" + std::to_string(lo) + ", " +
                   std::to_string(hi) + "]");
  return i->get();
}

double TomlReader::number(const toml::node& node, const std::string& key) const {
  double x = 0;
  if (const auto* i = node.as_integer())
    x = static_cast<double>(i->get());
  else if (const auto* f = node.as_floating_point())
    x = f->get();
  else
    fail(node, "key '" + key + "': expected a number");
  if (!std::isfinite(x)) fail(node, "key '" + key + "': expected a finite number");
  return x;
}

std::string TomlReader::text(const toml::node& node, const std::string& key) const {
  const auto* s = node.as_string();
  if (!s) fail(node, "key '" + key + "': expected a string");
  return s->get();
}

bool TomlReader::flag(const toml::node& node, const std::string& key) const {
  const auto* b = node.as_boolean();
  if (!b) fail(node, "key '" + key + "': expected true or false");
  return b->get();
}

void TomlReader::unknown_parameter(const toml::node& node, const std::string& table,
                                   const std::string& name) const {
  Params scratch = default_params();
  apply_setting(scratch, name + "=0",
                label + ":" + std::to_string(node.source().begin.line) + ": [" + table + "]");
  fail(node, "[" + table + "]: unknown key '" + name + "'");
}

Value TomlReader::checked(const ParamSpec& spec, const toml::node& node,
                          const std::string& key) const {
  const auto value = scalar(node);
  if (!value) fail(node, "key '" + key + "': expected " + spec.allowed());
  try {
    return validate(spec, *value);
  } catch (const ParamError&) {
    fail(node, "key '" + key + "': " + format_value(*value) + " is not allowed; expected " +
                   spec.allowed());
  }
}

void NamedOnce::operator()(const std::string& key, const toml::node& n) {
  const auto [at, fresh] = named_.emplace(key, &n);
  if (fresh) return;
  // The error goes on the later of the two lines and names the earlier.
  const auto line = [](const toml::node* x) { return x->source().begin.line; };
  const bool earlier = line(&n) < line(at->second);
  const toml::node& second = earlier ? *at->second : n;
  const toml::node* first = earlier ? &n : at->second;
  reader_.fail(
      second, "key '" + key + "': given twice (first on line " + std::to_string(line(first)) + ")");
}

Scenario read_base(const TomlReader& r, const toml::table& table,
                   const std::filesystem::path& directory, NamedOnce& once,
                   std::string* reference) {
  std::string scenario(default_scenario), referrer = r.label + ": key 'scenario'";
  if (const auto* node = table.get("scenario")) {
    scenario = r.text(*node, "scenario");
    referrer = r.label + ":" + std::to_string(node->source().begin.line) + ": key 'scenario'";
  }
  // A relative path is taken from the file's directory; bases are loop-checked.
  Scenario base = load_scenario(scenario, directory, referrer);
  if (shipped_scenario_text(scenario).empty() && !directory.empty() &&
      std::filesystem::path(scenario).is_relative())
    scenario = (directory / scenario).string();
  if (reference) *reference = scenario;
  if (const auto* node = table.get("set")) {
    const auto* set = node->as_table();
    if (!set) r.fail(*node, "key 'set': expected a table of parameter values");
    each_parameter(r, *set, "set", "",
                   [&](const std::string& name, const ParamSpec& spec, const toml::node& n) {
                     once("set." + name, n);
                     if (!model_uses(Model::health, name))
                       r.fail(n, "key 'set." + name + "': not used by the health model, which " +
                                     "sweeps and calibrations run");
                     set_for_run(base.params, spec, r.checked(spec, n, "set." + name));
                   });
  }
  if (const auto* node = table.get("years")) {
    const ParamSpec& spec = *find_param("run.years");
    spec.set(base.params, r.checked(spec, *node, "years"));
  }
  return base;
}

}  // namespace icsim::detail
