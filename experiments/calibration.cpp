#include "experiments/calibration.hpp"

#include <tbb/task_arena.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "agents/step.hpp"
#include "experiments/embedded.hpp"
#include "experiments/population.hpp"
#ifdef ICSIM_WITH_MPI
#include "experiments/mpi_calibrate.hpp"
#include "experiments/mpi_sweep.hpp"
#endif
#include "experiments/posterior.hpp"
#include "experiments/scenario.hpp"
#include "experiments/toml_reader.hpp"
#include "network/csv.hpp"
#include "output/hdf5.hpp"

namespace icsim {
namespace fs = std::filesystem;
namespace {

using detail::listed;
using detail::number_text;
using Reader = detail::TomlReader;

constexpr std::array<std::string_view, 10> top_level_keys{
    "scenario", "description", "years", "seed", "set", "priors", "tie", "targets", "abc", "stop"};
constexpr std::array<std::string_view, 16> target_keys{
    "name", "description", "metric",   "level", "statistic",   "kinds",    "below", "above",
    "year", "years",       "observed", "id",    "denominator", "as_share", "sd",    "sd_reason"};
constexpr std::array<std::string_view, 3> level_names{"organisation", "system", "national"};
constexpr std::array<std::string_view, 5> statistic_names{"value", "mean", "sum", "share", "count"};
constexpr const char* targets_csv = "data/england/targets.csv";

void check_keys(const Reader& r, const toml::table& table, const std::string& where,
                std::span<const std::string_view> allowed) {
  for (const auto& [k, node] : table)
    if (std::find(allowed.begin(), allowed.end(), k.str()) == allowed.end())
      r.fail(node,
             "unknown key '" + where + std::string(k.str()) + "'; expected " + listed(allowed));
}

const toml::table& table_of(const Reader& r, const toml::node& node, const std::string& key) {
  const auto* t = node.as_table();
  if (!t) r.fail(node, "key '" + key + "': expected a table");
  return *t;
}

// --- priors ----------------------------------------------------------------------------------

bool is_prior_table(const toml::table& t) {
  return t.contains("uniform") || t.contains("log_uniform");
}

CalibrationParameter read_prior(const Reader& r, const std::string& name, const ParamSpec& spec,
                                const toml::node& node) {
  const std::string key = "priors." + name;
  const auto* table = node.as_table();
  if (!table || table->size() != 1 || !is_prior_table(*table))
    r.fail(node, "key '" + key +
                     "': a prior is { uniform = [min, max] } or { log_uniform = [min, max] }");
  if (spec.type != ParamType::real && spec.type != ParamType::integer)
    r.fail(node, "key '" + key + "': a prior needs a numeric parameter; " + name + " is " +
                     spec.allowed());
  if (name == "run.seed" || name == "run.years" || name == "run.first_year")
    r.fail(node, "key '" + key + "': " + name +
                     " cannot be calibrated (every run has its own seed; targets name years)");
  const bool log = table->contains("log_uniform");
  const std::string which = log ? "log_uniform" : "uniform";
  const toml::node& bounds_node = *table->get(which);
  const auto* bounds = bounds_node.as_array();
  if (!bounds || bounds->size() != 2)
    r.fail(bounds_node, "key '" + key + "." + which + "': expected [min, max]");
  const double lower = r.number(*bounds->get(0), key + "." + which);
  const double upper = r.number(*bounds->get(1), key + "." + which);
  if (!(lower < upper))
    r.fail(bounds_node, "key '" + key + "': empty prior: min (" + number_text(lower) +
                            ") must be below max (" + number_text(upper) + ")");
  if (lower < spec.min || upper > spec.max)
    r.fail(bounds_node, "key '" + key + "': [" + number_text(lower) + ", " + number_text(upper) +
                            "] leaves the parameter's range in the registry, " + spec.allowed());
  if (log && !(lower > 0))
    r.fail(bounds_node, "key '" + key + "': log_uniform needs a positive min");
  CalibrationParameter p;
  p.prior = {name, log, lower, upper};
  p.unit = spec.unit;
  p.description = spec.meaning;
  p.registry_min = spec.min;
  p.registry_max = spec.max;
  return p;
}

// --- targets ---------------------------------------------------------------------------------

// A row of the embedded targets.csv.
struct ObservedRow {
  double value = 0;
  std::string unit, quantity, period;
};
std::optional<ObservedRow> targets_row(const std::string& id) {
  const auto* file = embedded::find("england/targets.csv");
  if (!file) return std::nullopt;
  const CsvTable csv(targets_csv, file->text, {"id", "value", "unit", "quantity", "period"});
  for (std::size_t i = 0; i < csv.size(); ++i)
    if (csv.at(i, "id") == id)
      return ObservedRow{csv.number(i, "value"), csv.at(i, "unit"), csv.at(i, "quantity"),
                         csv.at(i, "period")};
  return std::nullopt;
}

// "count (of 238)" -> 238.
std::optional<double> denominator_in(const std::string& unit) {
  const auto at = unit.find("(of ");
  if (at == std::string::npos) return std::nullopt;
  try {
    return std::stod(unit.substr(at + 4));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

struct ReadTarget {
  CalibrationTarget info;
  TargetRule rule;
  Calibration::FromRow from_row;
};

ReadTarget read_target(const Reader& r, const toml::table& t, std::size_t index,
                       const Params& base) {
  const std::string where = "targets[" + std::to_string(index) + "].";
  check_keys(r, t, where, target_keys);
  const auto key = [&](const char* k) { return where + k; };
  const auto get = [&](const char* k) { return t.get(k); };
  ReadTarget out;
  CalibrationTarget& info = out.info;
  TargetRule& rule = out.rule;

  // The metric and its level.
  const toml::node* metric_node = get("metric");
  if (!metric_node)
    r.fail(t, "key '" + key("metric") + "': required (see icsim describe --metrics)");
  info.metric = r.text(*metric_node, key("metric"));
  std::vector<Level> levels;
  for (const auto& m : metrics())
    if (m.name == info.metric) levels.push_back(m.level);
  if (levels.empty()) {
    std::vector<std::string> names;
    for (const auto& m : metrics())
      if (std::find(names.begin(), names.end(), m.name) == names.end()) names.push_back(m.name);
    r.fail(*metric_node, "key '" + key("metric") + "': unknown metric '" + info.metric +
                             "'; metrics: " + listed(names));
  }
  Level level = levels.front();
  if (const auto* node = get("level")) {
    const std::string name = r.text(*node, key("level"));
    const auto it = std::find(level_names.begin(), level_names.end(), name);
    if (it == level_names.end())
      r.fail(*node, "key '" + key("level") + "': unknown level '" + name + "'; expected " +
                        listed(level_names));
    level = static_cast<Level>(it - level_names.begin());
    if (std::find(levels.begin(), levels.end(), level) == levels.end())
      r.fail(*node,
             "key '" + key("level") + "': metric '" + info.metric + "' has no " + name + " level");
  } else if (std::find(levels.begin(), levels.end(), Level::national) != levels.end()) {
    level = Level::national;
  } else if (levels.size() > 1) {
    r.fail(*metric_node, "key '" + key("metric") + "': '" + info.metric +
                             "' is at several levels; give level = \"system\" or \"organisation\"");
  }
  rule.metric = find_metric(info.metric, level);
  info.level = std::string(level_names[static_cast<int>(level)]);

  // The statistic over entities.
  const bool national = level == Level::national;
  rule.statistic = national ? TargetRule::Statistic::value : TargetRule::Statistic::mean;
  if (const auto* node = get("statistic")) {
    const std::string name = r.text(*node, key("statistic"));
    const auto it = std::find(statistic_names.begin(), statistic_names.end(), name);
    if (it == statistic_names.end())
      r.fail(*node, "key '" + key("statistic") + "': unknown statistic '" + name + "'; expected " +
                        listed(statistic_names));
    rule.statistic = static_cast<TargetRule::Statistic>(it - statistic_names.begin());
    if (national != (rule.statistic == TargetRule::Statistic::value))
      r.fail(*node, "key '" + key("statistic") + "': " +
                        (national ? "a national metric has one value: statistic = \"value\""
                                  : "a " + info.level + " metric needs mean, sum, share or count"));
  }
  info.statistic = std::string(statistic_names[static_cast<int>(rule.statistic)]);
  const bool counting = rule.statistic == TargetRule::Statistic::share ||
                        rule.statistic == TargetRule::Statistic::count;
  for (const char* k : {"below", "above"})
    if (const auto* node = get(k)) {
      if (!counting) r.fail(*node, "key '" + key(k) + "': only a share or count has a condition");
      if (get("below") && get("above"))
        r.fail(*node, "key '" + key(k) + "': give below or above, not both");
      rule.condition =
          std::string(k) == "below" ? TargetRule::Condition::below : TargetRule::Condition::above;
      rule.threshold = r.number(*node, key(k));
    }
  std::string kinds_text;
  if (const auto* node = get("kinds")) {
    if (level != Level::organisation)
      r.fail(*node, "key '" + key("kinds") + "': only organisation metrics have kinds");
    const auto* list = node->as_array();
    if (!list || list->empty())
      r.fail(*node, "key '" + key("kinds") + "': expected a list of kinds (or \"trust\")");
    rule.kinds.assign(kind_count, false);
    for (const auto& item : *list) {
      const std::string name = r.text(item, key("kinds"));
      if (name == "trust") {
        for (int k = 0; k < kind_count; ++k) rule.kinds[k] = rule.kinds[k] || is_trust(Kind(k));
      } else if (const auto k = kind_from_name(name)) {
        rule.kinds[static_cast<int>(*k)] = true;
      } else {
        r.fail(item, "key '" + key("kinds") + "': unknown kind '" + name + "'; expected trust, " +
                         listed(kind_names));
      }
      kinds_text += (kinds_text.empty() ? "" : ", ") + name;
    }
  }

  // The observation: a value, or a row of targets.csv.
  std::optional<ObservedRow> row;
  if (const auto* node = get("id")) {
    info.id = r.text(*node, key("id"));
    row = targets_row(info.id);
    if (!row) r.fail(*node, "key '" + key("id") + "': no row '" + info.id + "' in " + targets_csv);
    if (get("observed"))
      r.fail(*get("observed"), "key '" + key("observed") + "': give observed or id, not both");
    info.observed = row->value;
    if (const auto* d = get("denominator")) {
      const double denominator = r.number(*d, key("denominator"));
      if (!(denominator > 0)) r.fail(*d, "key '" + key("denominator") + "': must be positive");
      info.observed /= denominator;
      out.from_row.denominator = denominator;
    } else if (const auto* s = get("as_share"); s && r.flag(*s, key("as_share"))) {
      const auto denominator = denominator_in(row->unit);
      if (!denominator || !(*denominator > 0))
        r.fail(*s, "key '" + key("as_share") + "': the unit of " + info.id + " ('" + row->unit +
                       "') gives no denominator; give denominator = N");
      info.observed /= *denominator;
      out.from_row.as_share = true;
    }
  } else if (const auto* value = get("observed")) {
    info.observed = r.number(*value, key("observed"));
    for (const char* k : {"denominator", "as_share"})
      if (get(k)) r.fail(*get(k), "key '" + key(k) + "': only with id (a row of targets.csv)");
  } else {
    r.fail(t,
           "key '" + key("observed") + "': required, or id = a row of " + std::string(targets_csv));
  }
  if (!std::isfinite(info.observed))
    r.fail(t, "key '" + key("id") + "': row " + info.id + " has no numeric value");
  const toml::node* sd = get("sd");
  if (!sd)
    r.fail(t, "key '" + key("sd") +
                  "': required: the uncertainty of the observation (a standard deviation in the "
                  "target's units)");
  info.sd = r.number(*sd, key("sd"));
  if (!(info.sd > 0))
    r.fail(*sd, "key '" + key("sd") +
                    "': the uncertainty must be positive (distances are "
                    "measured in it)");
  if (const auto* node = get("sd_reason")) info.sd_reason = r.text(*node, key("sd_reason"));

  // The years: one, a range, or the period of the targets.csv row ("2016/17": 2016).
  const std::int64_t first = base.first_year, last = base.first_year + base.years - 1;
  const auto in_run = [&](std::int64_t y, const toml::node& n, const std::string& k) {
    if (y < first || y > last)
      r.fail(n, "key '" + k + "': " + std::to_string(y) + " is outside the scenario's years " +
                    std::to_string(first) + "-" + std::to_string(last) +
                    " (run.first_year, run.years)");
    return y;
  };
  const auto year = [&](const toml::node& n, const std::string& k) {
    return in_run(r.whole(n, k, 1900, 2200), n, k);
  };
  if (const auto* node = get("year")) {
    if (get("years")) r.fail(*node, "key '" + key("year") + "': give year or years, not both");
    rule.first_year = rule.last_year = year(*node, key("year"));
  } else if (const auto* range = get("years")) {
    const auto* list = range->as_array();
    if (!list || list->size() != 2)
      r.fail(*range, "key '" + key("years") + "': expected [first, last]");
    rule.first_year = year(*list->get(0), key("years"));
    rule.last_year = year(*list->get(1), key("years"));
    if (rule.last_year < rule.first_year)
      r.fail(*range, "key '" + key("years") + "': the first year comes after the last");
  } else if (row && row->period.size() >= 4 && std::isdigit(row->period[0])) {
    rule.first_year = rule.last_year = in_run(std::stoll(row->period.substr(0, 4)), *get("id"),
                                              key("id") + "' (period " + row->period + ")'");
  } else {
    r.fail(t, "key '" + key("year") +
                  "': required (a calendar year as run.first_year counts "
                  "them, or years = [first, last])");
  }
  info.first_year = rule.first_year;
  info.last_year = rule.last_year;

  // Name, unit and description.
  const std::string years_text =
      rule.first_year == rule.last_year
          ? std::to_string(rule.first_year)
          : std::to_string(rule.first_year) + "-" + std::to_string(rule.last_year);
  info.name = !info.id.empty() ? info.id : info.metric + "_" + years_text;
  if (const auto* node = get("name")) {
    info.name = r.text(*node, key("name"));
    if (info.name.empty() || info.name.find('/') != std::string::npos || info.name == "." ||
        info.name == "..")
      r.fail(*node, "key '" + key("name") + "': a name is a non-empty word without '/'");
  }
  info.unit = rule.statistic == TargetRule::Statistic::share   ? "fraction"
              : rule.statistic == TargetRule::Statistic::count ? "count"
                                                               : rule.metric->unit;
  std::ostringstream what;
  if (national) {
    what << rule.metric->description;
  } else {
    const std::string entities = level == Level::system ? "systems"
                                 : kinds_text.empty()   ? "organisations"
                                                        : "organisations (" + kinds_text + ")";
    const std::string condition =
        rule.condition == TargetRule::Condition::below   ? " below " + number_text(rule.threshold)
        : rule.condition == TargetRule::Condition::above ? " above " + number_text(rule.threshold)
                                                         : " not zero";
    what << info.statistic << " over " << entities << " of " << rule.metric->description;
    if (counting) what << ", counting those" << condition;
  }
  what << ", " << (rule.first_year == rule.last_year ? "in " : "mean over ") << years_text;
  if (row) what << " (observed: " << info.id << ", " << row->quantity << ")";
  info.description = what.str();
  if (const auto* node = get("description")) info.description = r.text(*node, key("description"));
  return out;
}

std::string rule_text(const TargetRule& rule, const CalibrationTarget& info) {
  std::ostringstream out;
  out << "target " << info.name << ": " << info.metric << " " << info.level << " " << info.statistic
      << " condition " << static_cast<int>(rule.condition) << " " << number_text(rule.threshold)
      << " kinds";
  for (const bool k : rule.kinds) out << (k ? "1" : "0");
  out << " years " << rule.first_year << "-" << rule.last_year << "\n";
  return out.str();
}

// The calibration file as it was understood: every setting, every prior, every target with its
// observation (ids resolved), in the file's own format.
std::string resolved_text(const Calibration& c) {
  const CalibrationProblem& p = c.problem;
  toml::table root;
  if (!p.description.empty()) root.insert("description", p.description);
  root.insert("scenario", c.scenario);
  root.insert("seed", static_cast<std::int64_t>(p.settings.seed));
  // [set]: every value that differs from the scenario's (run.years is cut from the targets).
  const Params named = load_scenario(c.scenario).params;
  toml::table set;
  for (const auto& spec : registry()) {
    const Value value = spec.get(c.base);
    if (spec.name == "run.seed" || spec.name == "run.years" || value == spec.get(named)) continue;
    std::visit([&](const auto& v) { set.insert(spec.name, v); }, value);
  }
  if (!set.empty()) root.insert("set", set);
  toml::table priors;
  for (const auto& q : p.parameters) {
    toml::table prior{
        {q.prior.log ? "log_uniform" : "uniform", toml::array{q.prior.lower, q.prior.upper}}};
    prior.is_inline(true);
    priors.insert(q.prior.name, prior);
  }
  root.insert("priors", priors);
  if (!p.ties.empty()) {
    toml::table ties;
    for (const auto& [tied, free] : p.ties) ties.insert(tied, free);
    root.insert("tie", ties);
  }
  toml::array targets;
  for (std::size_t i = 0; i < p.targets.size(); ++i) {
    const CalibrationTarget& t = p.targets[i];
    const TargetRule& rule = c.rules[i];
    toml::table row{{"name", t.name},
                    {"metric", t.metric},
                    {"level", t.level},
                    {"statistic", t.statistic},
                    {"years", toml::array{t.first_year, t.last_year}},
                    {"sd", t.sd},
                    {"description", t.description}};
    if (t.id.empty()) {
      row.insert("observed", t.observed);
    } else {  // the row, read again: its value, turned into the observation as before
      row.insert("id", t.id);
      if (c.from_rows[i].denominator > 0) row.insert("denominator", c.from_rows[i].denominator);
      if (c.from_rows[i].as_share) row.insert("as_share", true);
    }
    if (!rule.kinds.empty()) {
      toml::array kinds;
      for (int k = 0; k < kind_count; ++k)
        if (rule.kinds[k]) kinds.push_back(std::string(kind_names[k]));
      row.insert("kinds", kinds);
    }
    if (rule.condition != TargetRule::Condition::nonzero)
      row.insert(rule.condition == TargetRule::Condition::below ? "below" : "above",
                 rule.threshold);
    if (!t.sd_reason.empty()) row.insert("sd_reason", t.sd_reason);
    targets.push_back(row);
  }
  root.insert("targets", targets);
  root.insert("abc",
              toml::table{{"population", static_cast<std::int64_t>(p.settings.population)},
                          {"replications", static_cast<std::int64_t>(p.settings.replications)},
                          {"batch", static_cast<std::int64_t>(p.settings.batch_size())},
                          {"quantile", p.settings.quantile},
                          {"kernel", kernel_name(p.settings.kernel)}});
  root.insert("stop",
              toml::table{{"tolerance", p.settings.min_tolerance},
                          {"acceptance_rate", p.settings.min_acceptance},
                          {"generations", static_cast<std::int64_t>(p.settings.generations)}});
  std::ostringstream out;
  out << "# the calibration file as icsim read it: every setting and observation\n" << root << "\n";
  return out.str();
}

}  // namespace

// --- targets in a run ------------------------------------------------------------------------

double TargetRule::of_year(const World& w) const {
  Column scratch;
  ColumnView values;
  if (metric->view) {
    values = metric->view(w);
  } else {
    scratch = metric->compute(w);
    values = std::visit([](const auto& v) -> ColumnView { return std::span(v); }, scratch);
  }
  const bool organisation = metric->level == Level::organisation;
  double total = 0, counted = 0, included = 0;
  std::visit(
      [&](const auto& v) {
        for (std::size_t i = 0; i < v.size(); ++i) {
          if (organisation && !kinds.empty() && !kinds[static_cast<int>(w.orgs.kind[i])]) continue;
          const double x = static_cast<double>(v[i]);
          included += 1;
          total += x;
          const bool holds = condition == Condition::below   ? x < threshold
                             : condition == Condition::above ? x > threshold
                                                             : x != 0;
          counted += holds ? 1 : 0;
        }
      },
      values);
  switch (statistic) {
    case Statistic::value:
    case Statistic::sum:
      return total;
    case Statistic::mean:
      return included > 0 ? total / included : std::numeric_limits<double>::quiet_NaN();
    case Statistic::share:
      return included > 0 ? counted / included : std::numeric_limits<double>::quiet_NaN();
    case Statistic::count:
      return counted;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

// --- the file --------------------------------------------------------------------------------

Calibration parse_calibration(std::string_view text, const std::string& label,
                              const fs::path& directory) {
  const Reader r{label};
  const toml::table table = parse_toml(text, label);
  check_keys(r, table, "", top_level_keys);
  Calibration c;
  CalibrationProblem& p = c.problem;
  p.source = label;
  p.text = std::string(text);
  detail::NamedOnce once(r);
  const Scenario base = detail::read_base(r, table, directory, once, &c.scenario);
  c.base = base.params;
  p.scenario_source = base.source;
  if (c.base.model != Model::health)
    throw InputError(label + ": key 'scenario': calibration runs the health model");
  if (const auto* node = table.get("description")) p.description = r.text(*node, "description");
  if (const auto* node = table.get("seed"))
    p.settings.seed = static_cast<std::uint64_t>(r.whole(*node, "seed", 0, std::int64_t{1} << 62));

  // Priors.
  const toml::node* priors = table.get("priors");
  if (!priors || !priors->as_table() || priors->as_table()->empty())
    throw InputError(label + (priors ? ":" + std::to_string(priors->source().begin.line) : "") +
                     ": key 'priors': no parameter to calibrate; give at least one, e.g. "
                     "\"shocks.volatility\" = { uniform = [0.005, 0.05] }");
  detail::each_parameter(
      r, *priors->as_table(), "priors", "",
      [&](const std::string& name, const ParamSpec& spec, const toml::node& n) {
        once("priors." + name, n);
        if (const auto* set = table.get("set");
            set && set->as_table() &&
            (set->as_table()->contains(name) || set->as_table()->at_path(name).node()))
          r.fail(n, "key 'priors." + name + "': also given a value under [set]");
        p.parameters.push_back(read_prior(r, name, spec, n));
        c.parameters.push_back(&spec);
      },
      is_prior_table);

  // Ties: parameters that follow a free one (kinds the targets cannot tell apart).
  if (const auto* tie = table.get("tie")) {
    const auto& ties = table_of(r, *tie, "tie");
    detail::each_parameter(
        r, ties, "tie", "",
        [&](const std::string& name, const ParamSpec& spec, const toml::node& n) {
          const std::string key = "tie." + name;
          once(key, n);
          const std::string leader = r.text(n, key);
          for (const auto& q : p.parameters)
            if (q.prior.name == name)
              r.fail(n, "key '" + key + "': " + name + " has a prior: it is free, not tied");
          const auto free = std::find_if(p.parameters.begin(), p.parameters.end(),
                                         [&](const auto& q) { return q.prior.name == leader; });
          if (free == p.parameters.end())
            r.fail(n, "key '" + key + "': '" + leader +
                          "' is not a free parameter; a tied parameter follows one under [priors]");
          if (spec.type != find_param(leader)->type)
            r.fail(n, "key '" + key + "': " + name + " is " + spec.allowed() + ", " + leader +
                          " is not: a tie joins parameters of one type");
          if (free->prior.lower < spec.min || free->prior.upper > spec.max)
            r.fail(n, "key '" + key + "': the prior of " + leader + " leaves " + name +
                          "'s range in the registry, " + spec.allowed());
          if (const auto* set = table.get("set");
              set && set->as_table() &&
              (set->as_table()->contains(name) || set->as_table()->at_path(name).node()))
            r.fail(n, "key '" + key + "': also given a value under [set]");
          p.ties.emplace_back(name, leader);
          c.ties.emplace_back(&spec, std::size_t(free - p.parameters.begin()));
        });
  }

  // Targets.
  const toml::node* targets = table.get("targets");
  const auto* list = targets ? targets->as_array() : nullptr;
  if (!list || list->empty())
    throw InputError(label + ": key 'targets': no target; give at least one [[targets]] table");
  std::map<std::string, std::size_t> names;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const toml::node& node = *list->get(i);
    const auto& t = table_of(r, node, "targets[" + std::to_string(i + 1) + "]");
    ReadTarget read = read_target(r, t, i + 1, c.base);
    const auto [at, fresh] = names.emplace(read.info.name, i + 1);
    if (!fresh)
      r.fail(node, "key 'targets[" + std::to_string(i + 1) + "].name': '" + read.info.name +
                       "' names target " + std::to_string(at->second) + " too; give each a name");
    p.targets.push_back(std::move(read.info));
    c.rules.push_back(read.rule);
    c.from_rows.push_back(read.from_row);
  }

  // ABC-SMC settings and the stopping rule.
  if (const auto* node = table.get("abc")) {
    const auto& abc = table_of(r, *node, "abc");
    check_keys(r, abc, "abc.",
               std::array<std::string_view, 5>{"population", "replications", "batch", "quantile",
                                               "kernel"});
    if (const auto* n = abc.get("population"))
      p.settings.population =
          static_cast<std::uint64_t>(r.whole(*n, "abc.population", 2, 10'000'000));
    if (const auto* n = abc.get("replications"))
      p.settings.replications =
          static_cast<std::uint64_t>(r.whole(*n, "abc.replications", 1, 1'000'000));
    if (const auto* n = abc.get("batch"))
      p.settings.batch = static_cast<std::uint64_t>(r.whole(*n, "abc.batch", 0, 1'000'000'000));
    if (const auto* n = abc.get("quantile")) {
      p.settings.quantile = r.number(*n, "abc.quantile");
      if (!(p.settings.quantile > 0 && p.settings.quantile < 1))
        r.fail(*n, "key 'abc.quantile': expected a number in (0, 1)");
    }
    if (const auto* n = abc.get("kernel")) {
      const std::string name = r.text(*n, "abc.kernel");
      if (name == "olcm")
        p.settings.kernel = abc::KernelKind::olcm;
      else if (name == "global")
        p.settings.kernel = abc::KernelKind::global;
      else
        r.fail(*n, "key 'abc.kernel': unknown kernel '" + name + "' (allowed: olcm, global)");
    }
  }
  if (const auto* node = table.get("stop")) {
    const auto& stop = table_of(r, *node, "stop");
    check_keys(r, stop, "stop.",
               std::array<std::string_view, 3>{"tolerance", "acceptance_rate", "generations"});
    if (const auto* n = stop.get("tolerance")) {
      p.settings.min_tolerance = r.number(*n, "stop.tolerance");
      if (p.settings.min_tolerance < 0)
        r.fail(*n, "key 'stop.tolerance': expected a distance of 0 or more");
    }
    if (const auto* n = stop.get("acceptance_rate")) {
      p.settings.min_acceptance = r.number(*n, "stop.acceptance_rate");
      if (!(p.settings.min_acceptance >= 0 && p.settings.min_acceptance < 1))
        r.fail(*n, "key 'stop.acceptance_rate': expected a fraction in [0, 1)");
    }
    if (const auto* n = stop.get("generations"))
      p.settings.generations = static_cast<std::uint64_t>(r.whole(*n, "stop.generations", 1, 1000));
  }

  // Runs stop at the last target year: later years cannot change earlier ones.
  std::int64_t last = c.base.first_year;
  for (const auto& rule : c.rules) last = std::max(last, rule.last_year);
  c.base.years = std::min(c.base.years, last - c.base.first_year + 1);
  find_param("run.seed")->set(c.base, Value{static_cast<std::int64_t>(p.settings.seed)});
  p.first_year = c.base.first_year;
  p.years = c.base.years;
  p.scenario_text = to_toml(c.base);
  std::ostringstream canonical;
  canonical << "icsim calibration schema 1\n";
  for (std::size_t i = 0; i < c.rules.size(); ++i) canonical << rule_text(c.rules[i], p.targets[i]);
  for (const auto& [tied, free] : p.ties) canonical << "tie " << tied << " = " << free << "\n";
  canonical << "[base scenario]\n" << p.scenario_text;
  p.canonical = canonical.str();
  p.resolved = resolved_text(c);
  return c;
}

Calibration load_calibration(const fs::path& path) {
  if (!fs::is_regular_file(path)) throw InputError(path.string() + ": no such calibration file");
  return parse_calibration(read_toml_file(path), path.string(), path.parent_path());
}

// --- the model -------------------------------------------------------------------------------

Params IcsimModel::params(std::span<const double> theta, std::int64_t seed) const {
  Params p = calibration_.base;
  for (std::size_t j = 0; j < calibration_.parameters.size(); ++j) {
    const ParamSpec& spec = *calibration_.parameters[j];
    set_for_run(p, spec,
                spec.type == ParamType::integer ? Value{std::llround(theta[j])} : Value{theta[j]});
  }
  for (const auto& [spec, free] : calibration_.ties)
    set_for_run(
        p, *spec,
        spec->type == ParamType::integer ? Value{std::llround(theta[free])} : Value{theta[free]});
  find_param("run.seed")->set(p, Value{seed});
  return p;
}

void IcsimModel::simulate(std::span<const double> theta, std::int64_t seed, std::span<double> out,
                          SeriesPool*) const {
  World world = make_world(params(theta, seed));
  const auto& rules = calibration_.rules;
  std::vector<double> sum(rules.size(), 0.0);
  icsim::simulate(world, [&](const World& w) {
    const std::int64_t year = w.params.first_year + w.year;
    for (std::size_t k = 0; k < rules.size(); ++k)
      if (year >= rules[k].first_year && year <= rules[k].last_year) sum[k] += rules[k].of_year(w);
  });
  for (std::size_t k = 0; k < rules.size(); ++k)
    out[k] = sum[k] / static_cast<double>(rules[k].last_year - rules[k].first_year + 1);
}

// --- the command line ------------------------------------------------------------------------

int command_calibrate(const CalibrateCommand& c, std::ostream& out, std::ostream& err) {
  if (c.resume && c.overwrite) throw InputError("--resume and --overwrite exclude each other");
#ifdef ICSIM_WITH_MPI
  if (mpi_launched()) return command_calibrate_mpi(c, out, err);
#endif
  const Calibration calibration = load_calibration(c.file);
  const IcsimModel model(calibration);
  return run_calibration_command(c, calibration, model, {}, out, err);
}

int run_calibration_command(const CalibrateCommand& c, const Calibration& calibration,
                            const CalibrationModel& model,
                            const decltype(CalibrateOptions::remote)& remote, std::ostream& out,
                            std::ostream& err) {
  const fs::path output = c.output;
  const fs::path parent = output.has_parent_path() ? output.parent_path() : fs::path(".");
  if (!fs::is_directory(parent))
    throw InputError(output.string() + ": cannot write the output: directory '" + parent.string() +
                     "' does not exist");
  if (fs::is_directory(output))
    throw InputError(output.string() + ": cannot write the output: it is a directory");
  CalibrateOptions o;
  o.output = output;
  o.resume = c.resume;
  o.overwrite = c.overwrite;
  o.commit_interval = c.commit_interval;
  o.command_line = c.command_line;
  o.remote = remote;
  o.progress_out = &err;
  o.progress = c.quiet                                           ? ProgressStyle::quiet
               : (&err == &std::cerr && ::isatty(STDERR_FILENO)) ? ProgressStyle::bar
                                                                 : ProgressStyle::log;
  const auto& p = calibration.problem;
  if (!c.quiet)
    out << "icsim calibrate: " << p.source << ": " << p.parameters.size() << " parameters, "
        << p.targets.size() << " targets; " << p.settings.population << " particles x "
        << p.settings.replications << " replications, runs of " << p.years << " years; "
        << (remote ? "runs on MPI workers"
                   : std::to_string(tbb::this_task_arena::max_concurrency()) + " threads")
        << "\n"
        << std::flush;
  CalibrateResult r;
  try {
    r = calibrate(p, model, o);
  } catch (const h5::Error& e) {
    throw std::runtime_error(output.string() + ": " + e.what());
  }
  if (c.quiet) return 0;
  if (r.complete_before) {
    out << "icsim calibrate: " << output.string() << " is complete already\n";
    return 0;
  }
  const abc::Generation& post = r.abc.generations.back();
  out << "icsim calibrate: wrote " << output.string() << ": " << r.abc.generations.size()
      << " generations (" << r.abc.stopped << "), posterior ESS " << std::fixed
      << std::setprecision(0) << post.ess << ", " << r.abc.runs << " runs";
  if (r.runs_resumed) out << " (" << r.runs_resumed << " from before)";
  out << " in " << std::setprecision(1) << r.seconds << " s\n";
  out << "  target                     observed   predicted median [90% interval]   "
         "implausibility\n";
  for (std::size_t k = 0; k < p.targets.size(); ++k) {
    const abc::Fit& f = r.abc.fit[k];
    out << "  " << std::left << std::setw(24) << p.targets[k].name << std::right << std::setw(11)
        << std::setprecision(4) << std::defaultfloat << p.targets[k].observed << "   "
        << std::setw(10) << f.median << " [" << f.low << ", " << f.high << "]   " << std::fixed
        << std::setprecision(2) << f.implausibility << "\n"
        << std::defaultfloat;
  }
  return 0;
}

}  // namespace icsim
