#include "experiments/scenario.hpp"

#include <algorithm>
#include <map>

#include "experiments/embedded.hpp"
#include "experiments/toml_input.hpp"
#include "network/input_file.hpp"

namespace icsim {
namespace fs = std::filesystem;
namespace {

// A scenario's bases may chain (statutory-2022 builds on england-2020, which builds on
// england-2019), but not without end.
constexpr std::size_t max_base_depth = 16;

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
  if (key.size() > 200) return "; see `icsim describe` for every parameter";
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

std::string line_of(const toml::node& node) {
  return std::to_string(node.source().begin.line);
}

Value to_value(const toml::node& node, const std::string& label, const std::string& key) {
  if (const auto* b = node.as_boolean()) return b->get();
  if (const auto* i = node.as_integer()) return i->get();
  if (const auto* f = node.as_floating_point()) return f->get();
  if (const auto* s = node.as_string()) return s->get();
  throw InputError(label + ":" + line_of(node) + ": key '" + key + "': expected " +
                   find_param(key)->allowed() + ", not a " +
                   std::string(node.is_array() ? "list" : "table or date"));
}

std::string shipped_names() {
  std::string names;
  for (const auto& n : shipped_scenarios()) names += (names.empty() ? "" : ", ") + n;
  return names;
}

std::string model_name(Model model) {
  Params p;
  p.model = model;
  return std::get<std::string>(find_param("model")->get(p));
}

// Loads scenarios and their bases, keeping the chain of those being loaded to refuse a loop.
class Loader {
 public:
  Scenario load(const std::string& reference, const fs::path& directory,
                const std::string& referrer) {
    const auto where = [&] {
      return referrer.empty() ? printable(reference, 200)
                              : referrer + ": '" + printable(reference, 200) + "'";
    };
    if (reference.empty())
      throw InputError(referrer + ": empty; expected a shipped scenario name or a path");
    fs::path path(reference);
    if (path.is_relative() && !directory.empty()) path = directory / path;
    std::error_code error;
    const auto status = fs::status(path, error);
    const std::string_view shipped = shipped_scenario_text(reference);
    if (!fs::is_regular_file(status) && !shipped.empty()) {
      Scenario s =
          enter("shipped " + reference, where, [&] { return parse(shipped, reference, {}, true); });
      s.source = reference + " (shipped)";
      return s;
    }
    if (!fs::exists(status))
      throw InputError(where() + ": no such file, nor a shipped scenario (" + shipped_names() +
                       ")");
    std::string text;
    try {
      text = read_toml_file(path);
    } catch (const InputError& e) {  // a directory, a device, too large
      throw InputError(referrer.empty() ? e.what() : referrer + ": " + e.what());
    }
    Scenario s = enter(fs::weakly_canonical(path, error).string(), where,
                       [&] { return parse(text, path.string(), path.parent_path(), false); });
    s.files.insert(s.files.begin(), path);
    return s;
  }

  Scenario parse(std::string_view text, const std::string& label, const fs::path& directory,
                 bool shipped) {
    const toml::table table = parse_toml(text, label);
    Scenario scenario{default_params(), label, "", {}, {}};
    if (const auto* base = table.get("base")) {
      const std::string referrer = label + ":" + line_of(*base) + ": key 'base'";
      const auto* name = base->as_string();
      if (!name) throw InputError(referrer + ": expected a shipped scenario name or a path");
      scenario = load(name->get(), directory, referrer);
      scenario.source = label;
      scenario.description.clear();
    }
    if (const auto* d = table.get("description"); d && d->as_string())
      scenario.description = d->as_string()->get();
    File file{scenario, label, directory, shipped, {}};
    file.apply(table, "");
    read_timeline(table, label, shipped, scenario);
    return scenario;
  }

 private:
  // Parses the scenario `key` names (a canonical path, or a shipped name) as the next link of
  // the chain.
  template <class Where, class Parse>
  Scenario enter(const std::string& key, const Where& where, const Parse& parse) {
    if (std::find(chain_.begin(), chain_.end(), key) != chain_.end())
      throw InputError(where() + ": a base of itself (the bases loop back to it)");
    if (chain_.size() >= max_base_depth)
      throw InputError(where() + ": bases nested more than " + std::to_string(max_base_depth) +
                       " deep");
    chain_.push_back(key);
    Scenario s = parse();
    chain_.pop_back();
    return s;
  }

  // One file's tables applied to the scenario: each parameter set once, paths taken from the
  // file's directory.
  struct File {
    Scenario& scenario;
    const std::string& label;
    const fs::path& directory;
    bool shipped;
    std::map<std::string, std::size_t> lines;  // of the keys set so far

    void apply(const toml::table& table, const std::string& prefix) {
      for (const auto& [k, node] : table) {
        const std::string key =
            prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
        if (prefix.empty() && (key == "base" || key == "description" || key == "timeline"))
          continue;
        const std::string where = label + ":" + line_of(node);
        const ParamSpec* spec = find_param(key);
        if (!spec) {
          if (const auto* sub = node.as_table()) {
            apply(*sub, key);
            continue;
          }
          throw InputError(where + ": unknown key '" + printable(key, 200) + "'" + suggestion(key));
        }
        const std::size_t line = node.source().begin.line;
        if (const auto [other, fresh] = lines.emplace(key, line); !fresh)
          throw InputError(label + ":" + std::to_string(std::max(line, other->second)) + ": key '" +
                           key + "' is set twice (also on line " +
                           std::to_string(std::min(line, other->second)) + ")");
        Value value = to_value(node, label, key);
        // A file names files beside it: a relative path is taken from its directory.
        if (const auto* text = std::get_if<std::string>(&value);
            spec->unit == "path" && text && !text->empty() && !directory.empty() &&
            fs::path(*text).is_relative())
          value = (directory / *text).string();
        // A value set here holds for the whole run, as a --set does: it replaces the timeline
        // entries of the key its bases made (the file's own [[timeline]] is read after).
        try {
          set_for_run(scenario.params, *spec, validate(*spec, value));
        } catch (const ParamError& e) {
          throw InputError(where + ": " + e.what());
        }
        scenario.settings.push_back({key, where, shipped});
      }
    }
  };

  // [[timeline]] entries: a year and the settings that change at its start. They add to the
  // base scenario's, in year order (entries of one year apply in the order written).
  static void read_timeline(const toml::table& table, const std::string& label, bool shipped,
                            Scenario& scenario) {
    const auto* node = table.get("timeline");
    if (!node) return;
    const auto* entries = node->as_array();
    if (!entries)
      throw InputError(label + ":" + line_of(*node) +
                       ": key 'timeline': expected [[timeline]] entries, each with a year");
    for (const auto& item : *entries) {
      const auto* entry_table = item.as_table();
      const std::string at = label + ":" + line_of(item) + ": ";
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
      timeline_settings(*entry_table, "", label, shipped, entry, scenario);
      scenario.params.timeline.push_back(std::move(entry));
    }
    std::stable_sort(
        scenario.params.timeline.begin(), scenario.params.timeline.end(),
        [](const TimelineEntry& a, const TimelineEntry& b) { return a.year < b.year; });
  }

  // Settings of every key in one timeline entry's table (nested tables name dotted keys),
  // validated as the scenario's own; a key set twice in one entry is refused by TOML itself.
  static void timeline_settings(const toml::table& table, const std::string& prefix,
                                const std::string& label, bool shipped, TimelineEntry& entry,
                                Scenario& scenario) {
    for (const auto& [k, node] : table) {
      const std::string key =
          prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
      if (prefix.empty() && key == "year") continue;
      const std::string where = label + ":" + line_of(node);
      const ParamSpec* spec = find_param(key);
      if (!spec) {
        if (const auto* sub = node.as_table()) {
          timeline_settings(*sub, key, label, shipped, entry, scenario);
          continue;
        }
        throw InputError(where + ": timeline: unknown key '" + printable(key, 200) + "'" +
                         suggestion(key));
      }
      if (!may_change_in_timeline(*spec))
        throw InputError(where + ": timeline: key '" + key +
                         "' is fixed for a run: it is read only when the world is built (run, "
                         "population and network settings, synthesised finance, initial trust)");
      try {
        entry.settings.emplace_back(spec, validate(*spec, to_value(node, label, key)));
      } catch (const ParamError& e) {
        throw InputError(where + ": timeline: " + e.what());
      }
      scenario.settings.push_back({key, where, shipped});
    }
  }

  std::vector<std::string> chain_;
};

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
                        const fs::path& directory) {
  return Loader().parse(text, label, directory, false);
}

Scenario load_scenario(const std::string& path_or_name) {
  return Loader().load(path_or_name, {}, "");
}

Scenario load_scenario(const std::string& reference, const fs::path& directory,
                       const std::string& referrer) {
  return Loader().load(reference, directory, referrer);
}

ParsedSetting parse_setting(std::string_view assignment, const std::string& origin) {
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos)
    throw InputError(origin + " '" + printable(assignment, 200) + "': expected key=value");
  const std::string key(assignment.substr(0, eq));
  std::string text(assignment.substr(eq + 1));
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
    text = text.substr(1, text.size() - 2);
  const ParamSpec* spec = find_param(key);
  if (!spec)
    throw InputError(origin + ": unknown key '" + printable(key, 200) + "'" + suggestion(key));
  try {
    return {spec, validate(*spec, parse_value(*spec, text))};
  } catch (const ParamError&) {  // the value as given, not as it was read ("1e+20")
    throw InputError(origin + ": key '" + key + "': '" + printable(text) +
                     "' is not allowed; expected " + spec->allowed());
  }
}

// A setting given on the command line holds for the whole run (set_for_run): it replaces the
// scenario's timeline entries for its key.
void apply_setting(Params& params, std::string_view assignment, const std::string& origin) {
  const ParsedSetting setting = parse_setting(assignment, origin);
  set_for_run(params, *setting.spec, setting.value);
}

void apply_setting(Scenario& scenario, std::string_view assignment, const std::string& origin) {
  apply_setting(scenario.params, assignment, origin);
  scenario.settings.push_back({std::string(assignment.substr(0, assignment.find('='))), origin});
}

std::vector<fs::path> input_files(const Scenario& scenario) {
  std::vector<fs::path> files = scenario.files;
  for (const auto& spec : registry())
    if (spec.unit == "path")
      if (const auto text = std::get<std::string>(spec.get(scenario.params)); !text.empty())
        files.emplace_back(text);
  return files;
}

bool model_uses(Model model, std::string_view name) {
  enum Users : unsigned { health = 1, public_goods = 2, cascade = 4, classic = 6, every = 7 };
  static constexpr std::array<std::pair<std::string_view, unsigned>, 7> owners{{
      {"model", every},
      {"run.seed", every},
      {"run.steps", classic},
      {"run.record_every", classic},
      {"network.", classic},
      {"game.", public_goods},
      {"cascade.", cascade},
  }};
  unsigned users = health;
  for (const auto& [prefix, who] : owners)
    if (prefix.ends_with('.') ? name.starts_with(prefix) : name == prefix) {
      users = who;
      break;
    }
  return (users >> static_cast<unsigned>(model)) & 1u;
}

void check_model_settings(const Scenario& scenario) {
  const Model model = scenario.params.model;
  for (const auto& s : scenario.settings) {
    if (s.shipped || model_uses(model, s.key)) continue;
    std::string users;
    for (const Model m : {Model::health, Model::public_goods, Model::threshold_cascade})
      if (model_uses(m, s.key)) users += (users.empty() ? "" : " and ") + model_name(m);
    throw InputError(s.origin + ": key '" + s.key + "': not used by model " + model_name(model) +
                     " (it is for " + users + "); remove it or choose that model");
  }
}

}  // namespace icsim
