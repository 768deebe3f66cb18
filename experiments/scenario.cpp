#include "experiments/scenario.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "experiments/embedded.hpp"

namespace icsim {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot read the file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Closest registry names, for "did you mean" in errors.
std::string suggestion(const std::string& key) {
  const auto distance = [](std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
      std::size_t diagonal = row[0];
      row[0] = i;
      for (std::size_t j = 1; j <= b.size(); ++j) {
        const std::size_t next =
            std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
        diagonal = row[j];
        row[j] = next;
      }
    }
    return row[b.size()];
  };
  std::string best;
  std::size_t best_distance = 5;
  for (const auto& spec : registry()) {
    const std::size_t d = distance(key, spec.name);
    if (d < best_distance) {
      best_distance = d;
      best = spec.name;
    }
  }
  return best.empty() ? "; see `icsim describe` for every parameter"
                      : "; did you mean '" + best + "'?";
}

Value to_value(const toml::node& node, const std::string& label, const std::string& key) {
  if (const auto* b = node.as_boolean()) return b->get();
  if (const auto* i = node.as_integer()) return i->get();
  if (const auto* f = node.as_floating_point()) return f->get();
  if (const auto* s = node.as_string()) return s->get();
  throw InputError(label + ": key '" + key + "': expected " + find_param(key)->allowed() +
                   ", not a " + std::string(node.is_array() ? "list" : "table or date"));
}

void apply_table(Params& params, const toml::table& table, const std::string& prefix,
                 const std::string& label) {
  for (const auto& [k, node] : table) {
    const std::string key =
        prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (prefix.empty() && (key == "base" || key == "description" || key == "timeline")) continue;
    const ParamSpec* spec = find_param(key);
    if (!spec) {
      if (const auto* sub = node.as_table()) {
        apply_table(params, *sub, key, label);
        continue;
      }
      throw InputError(label + ":" + std::to_string(node.source().begin.line) + ": unknown key '" +
                       key + "'" + suggestion(key));
    }
    try {
      spec->set(params, validate(*spec, to_value(node, label, key)));
    } catch (const ParamError& e) {
      throw InputError(label + ":" + std::to_string(node.source().begin.line) + ": " + e.what());
    }
  }
}

// Settings of every key in `table` (nested tables name dotted keys), validated as apply_table
// does, for one timeline entry.
void timeline_settings(const toml::table& table, const std::string& prefix,
                       const std::string& label, TimelineEntry& entry) {
  for (const auto& [k, node] : table) {
    const std::string key =
        prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (prefix.empty() && key == "year") continue;
    const std::string where = label + ":" + std::to_string(node.source().begin.line) + ": ";
    const ParamSpec* spec = find_param(key);
    if (!spec) {
      if (const auto* sub = node.as_table()) {
        timeline_settings(*sub, key, label, entry);
        continue;
      }
      throw InputError(where + "timeline: unknown key '" + key + "'" + suggestion(key));
    }
    if (!may_change_in_timeline(*spec))
      throw InputError(where + "timeline: key '" + key +
                       "' is fixed for a run: it is read only when the world is built (run, "
                       "population and network settings, synthesised finance, initial trust)");
    try {
      entry.settings.emplace_back(spec, validate(*spec, to_value(node, label, key)));
    } catch (const ParamError& e) {
      throw InputError(where + "timeline: " + e.what());
    }
  }
}

// [[timeline]] entries: a year and the settings that change at its start. They add to the base
// scenario's, in year order (entries of one year apply in the order written).
void read_timeline(const toml::table& table, const std::string& label, Params& params) {
  const auto* node = table.get("timeline");
  if (!node) return;
  const auto* entries = node->as_array();
  const std::string where = label + ":" + std::to_string(node->source().begin.line) + ": ";
  if (!entries)
    throw InputError(where + "key 'timeline': expected [[timeline]] entries, each with a year");
  for (const auto& item : *entries) {
    const auto* entry_table = item.as_table();
    const std::string at = label + ":" + std::to_string(item.source().begin.line) + ": ";
    if (!entry_table)
      throw InputError(at + "key 'timeline': expected [[timeline]] entries, each with a year");
    const auto* year = entry_table->get("year");
    if (!year || !year->as_integer() || year->as_integer()->get() < 1900 ||
        year->as_integer()->get() > 2200)
      throw InputError(at +
                       "timeline: key 'year': expected a whole number in [1900, 2200] (the "
                       "calendar year in which the financial year starts)");
    TimelineEntry entry;
    entry.year = year->as_integer()->get();
    timeline_settings(*entry_table, "", label, entry);
    params.timeline.push_back(std::move(entry));
  }
  std::stable_sort(params.timeline.begin(), params.timeline.end(),
                   [](const TimelineEntry& a, const TimelineEntry& b) { return a.year < b.year; });
}

}  // namespace

std::vector<std::string> shipped_scenarios() {
  std::vector<std::string> names;
  for (const auto& f : embedded::files())
    if (f.path.starts_with("scenarios/") && f.path.ends_with(".toml"))
      names.emplace_back(f.path.substr(10, f.path.size() - 15));
  return names;
}

std::string_view shipped_scenario_text(std::string_view name) {
  const auto* f = embedded::find("scenarios/" + std::string(name) + ".toml");
  return f ? f->text : std::string_view{};
}

Scenario parse_scenario(std::string_view text, const std::string& label,
                        const std::filesystem::path& directory) {
  toml::table table;
  try {
    table = toml::parse(text, label);
  } catch (const toml::parse_error& e) {
    std::string message(e.description());
    throw InputError(label + ":" + std::to_string(e.source().begin.line) + ":" +
                     std::to_string(e.source().begin.column) + ": malformed TOML: " + message);
  }
  Scenario scenario{default_params(), label, ""};
  if (const auto* base = table.get("base")) {
    const auto* name = base->as_string();
    if (!name) throw InputError(label + ": key 'base': expected a shipped scenario name or a path");
    std::string target = name->get();
    if (shipped_scenario_text(target).empty() && !directory.empty() &&
        std::filesystem::path(target).is_relative())
      target = (directory / target).string();
    if (target == label)
      throw InputError(label + ": key 'base': a scenario cannot be its own base");
    scenario.params = load_scenario(target).params;
  }
  if (const auto* d = table.get("description"); d && d->as_string())
    scenario.description = d->as_string()->get();
  apply_table(scenario.params, table, "", label);
  read_timeline(table, label, scenario.params);
  return scenario;
}

Scenario load_scenario(const std::string& path_or_name) {
  const std::string_view shipped = shipped_scenario_text(path_or_name);
  if (!shipped.empty() && !std::filesystem::exists(path_or_name)) {
    Scenario s = parse_scenario(shipped, path_or_name);
    s.source = path_or_name + " (shipped)";
    return s;
  }
  const std::filesystem::path path(path_or_name);
  if (!std::filesystem::exists(path)) {
    std::string names;
    for (const auto& n : shipped_scenarios()) names += (names.empty() ? "" : ", ") + n;
    throw InputError(path_or_name + ": no such file, nor a shipped scenario (" + names + ")");
  }
  return parse_scenario(read_file(path), path.string(), path.parent_path());
}

void apply_setting(Params& params, std::string_view assignment, const std::string& origin) {
  const Setting setting = parse_setting(assignment, origin);
  set_for_run(params, *setting.spec, setting.value);
}

Setting parse_setting(std::string_view assignment, const std::string& origin) {
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos)
    throw InputError(origin + " '" + std::string(assignment) + "': expected key=value");
  const std::string key(assignment.substr(0, eq));
  std::string text(assignment.substr(eq + 1));
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
    text = text.substr(1, text.size() - 2);
  const ParamSpec* spec = find_param(key);
  if (!spec) throw InputError(origin + ": unknown key '" + key + "'" + suggestion(key));
  try {
    return {spec, validate(*spec, parse_value(*spec, text))};
  } catch (const ParamError& e) {
    throw InputError(origin + ": " + e.what());
  }
}

}  // namespace icsim
