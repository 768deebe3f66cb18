#include "experiments/sweep.hpp"
#ifdef ICSIM_WITH_MPI
#include "experiments/mpi_sweep.hpp"
#endif

#include <tbb/global_control.h>
#include <tbb/task_arena.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "agents/step.hpp"
#include "experiments/embedded.hpp"
#include "experiments/files.hpp"
#include "experiments/memory.hpp"
#include "experiments/population.hpp"
#include "experiments/scenario.hpp"
#include "experiments/toml_input.hpp"
#include "experiments/toml_reader.hpp"
#include "icsim/version.hpp"
#include "network/input_file.hpp"
#include "network/random.hpp"
#include "output/hdf5.hpp"
#include "output/merge.hpp"

namespace icsim {
namespace fs = std::filesystem;
namespace {

// --- reading the sweep file -------------------------------------------------------------------

constexpr std::array<std::string_view, 14> top_level_keys{
    "scenario", "description", "years",  "replications", "seed", "common_seeds", "design",
    "samples",  "levels",      "record", "set",          "axes", "posterior",    "draws"};
constexpr std::array<std::string_view, 4> record_names{"summary", "national", "system",
                                                       "organisation"};

using detail::each_parameter;
using detail::listed;
using detail::number_text;
using Reader = detail::TomlReader;

// An inline table that describes an axis, not a level of dotted parameter names.
bool is_axis_table(const toml::table& t) {
  return t.contains("values") || t.contains("min") || t.contains("max") || t.contains("levels");
}

// design = "posterior": the file (relative to the sweep file's folder) and the number of draws.
void read_draws(const Reader& r, const toml::table& table, const fs::path& directory,
                Sweep& sweep) {
  const toml::node* file = table.get("posterior");
  const toml::node* draws = table.get("draws");
  for (const auto& [key, node] : {std::pair{"posterior", file}, std::pair{"draws", draws}})
    if (!node)
      throw InputError(r.label + ": key '" + key +
                       "': required by design posterior (the posterior file of icsim calibrate, "
                       "and how many parameter sets to draw from it)");
  fs::path path = r.text(*file, "posterior");
  if (path.is_relative() && !directory.empty()) path = directory / path;
  const auto n = static_cast<std::uint64_t>(r.whole(*draws, "draws", 1, 1'000'000'000));
  try {
    sweep.posterior = posterior_draws(path, n, "key 'posterior'");
  } catch (const InputError& e) {
    r.fail(*file, std::string("key 'posterior': ") + e.what());
  }
}

Axis read_axis(const Reader& r, const std::string& name, const ParamSpec& spec,
               const toml::node& node) {
  const std::string key = "axes." + name;
  Axis axis{name, &spec, {}, 0, 0, static_cast<int>(node.source().begin.line)};
  const auto read_values = [&](const toml::array& list) {
    if (list.empty()) r.fail(node, "key '" + key + "': empty axis; list at least one value");
    for (const auto& v : list) axis.values.push_back(r.checked(spec, v, key));
  };
  if (const auto* list = node.as_array()) {
    read_values(*list);
    return axis;
  }
  const auto* table = node.as_table();
  if (!table)
    r.fail(node, "key '" + key +
                     "': expected a list of values, { values = [...] } or "
                     "{ min = ..., max = ... }");
  for (const auto& [k, v] : *table)
    if (k.str() != "values" && k.str() != "min" && k.str() != "max" && k.str() != "levels")
      r.fail(v, "key '" + key + "." + std::string(k.str()) +
                    "': unknown; an axis has values, or min and max (and levels)");
  if (const auto* values = table->get("values")) {
    if (table->get("min") || table->get("max") || table->get("levels"))
      r.fail(node, "key '" + key + "': give values, or min and max, not both");
    const auto* list = values->as_array();
    if (!list) r.fail(*values, "key '" + key + ".values': expected a list");
    read_values(*list);
    return axis;
  }
  const auto* lo = table->get("min");
  const auto* hi = table->get("max");
  if (!lo || !hi) r.fail(node, "key '" + key + "': a range needs both min and max");
  if (spec.type != ParamType::real && spec.type != ParamType::integer)
    r.fail(node, "key '" + key + "': a range needs a numeric parameter; " + name + " is " +
                     spec.allowed() + ", so list its values instead");
  const auto bound = [&](const toml::node& b, const char* which) {
    return std::visit(
        [](auto x) -> double {
          if constexpr (std::is_arithmetic_v<decltype(x)>)
            return static_cast<double>(x);
          else
            return 0.0;
        },
        r.checked(spec, b, key + "." + which));
  };
  axis.min = bound(*lo, "min");
  axis.max = bound(*hi, "max");
  if (!(axis.min < axis.max))
    r.fail(node, "key '" + key + "': min (" + number_text(axis.min) + ") must be below max (" +
                     number_text(axis.max) + ")");
  if (const auto* levels = table->get("levels")) {
    const auto n = r.whole(*levels, key + ".levels", 2, 1'000'000);
    for (std::int64_t i = 0; i < n; ++i) {
      const double x =
          axis.min + (axis.max - axis.min) * static_cast<double>(i) / static_cast<double>(n - 1);
      axis.values.push_back(spec.type == ParamType::integer ? Value{std::llround(x)} : Value{x});
    }
    if (std::adjacent_find(axis.values.begin(), axis.values.end()) != axis.values.end())
      r.fail(*levels, "key '" + key + ".levels': more levels than whole numbers in [" +
                          number_text(axis.min) + ", " + number_text(axis.max) + "]");
  }
  return axis;
}

std::string csv_field(const Value& v) {
  if (const auto* d = std::get_if<double>(&v)) return number_text(*d);
  if (const auto* s = std::get_if<std::string>(&v)) {
    if (s->find_first_of(",\"\n") == std::string::npos) return *s;
    std::string quoted = "\"";
    for (const char c : *s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  }
  return format_value(v);
}

// --- running ---------------------------------------------------------------------------------

// "[#####.....] 120/400 runs saved (30.0%), 4.1 runs/s, ETA 1m08s, 2 failed"; the bar only on a
// terminal.
std::string progress_line(const BatchCounts& c, std::uint64_t total, bool bar) {
  const double rate = c.rate();
  std::ostringstream text;
  if (bar) {
    constexpr int width = 30;
    const int filled =
        total ? static_cast<int>(width * static_cast<double>(c.saved) / static_cast<double>(total))
              : width;
    text << "[" << std::string(static_cast<std::size_t>(filled), '#')
         << std::string(static_cast<std::size_t>(width - filled), '.') << "] ";
  }
  text << c.saved << "/" << total << " runs saved";
  if (!bar && total)
    text << " (" << std::fixed << std::setprecision(1)
         << 100.0 * static_cast<double>(c.saved) / static_cast<double>(total) << "%)";
  text << std::fixed << std::setprecision(1) << ", " << rate << " runs/s";
  if (c.saved < total)
    text << ", ETA " << duration_text(rate > 0 ? static_cast<double>(total - c.saved) / rate : -1);
  if (c.failed) text << ", " << c.failed << " failed";
  return text.str();
}

// Time series share one organisation and system dimension: refuse an axis that changes them,
// trying each listed value and both ends of each range.
void check_population(const Sweep& sweep, const World& base) {
  for (const auto& axis : sweep.axes) {
    std::vector<Value> trial = axis.values;
    if (trial.empty()) {
      const bool integral = axis.spec->type == ParamType::integer;
      for (const double x : {axis.min, axis.max})
        trial.push_back(integral ? Value{static_cast<std::int64_t>(x)} : Value{x});
    }
    for (const auto& value : trial) {
      if (value == axis.spec->get(sweep.base)) continue;
      Params p = sweep.base;
      set_for_run(p, *axis.spec, value);
      World w;
      try {
        w = make_world(p);
      } catch (const std::exception&) {
        continue;  // the runs will fail and say why
      }
      if (w.orgs.code != base.orgs.code || w.systems.code != base.systems.code)
        throw InputError(sweep.source + ":" + std::to_string(axis.line) + ": key 'axes." +
                         axis.name + "': " + format_value(value) +
                         " changes the organisations or systems, so their time series cannot "
                         "share one dimension; record only summary and national");
    }
  }
}

std::shared_ptr<RunRow> simulate_run(const Sweep& sweep, const SweepSchema& schema,
                                     const std::array<std::size_t, 3>& widths,
                                     const SweepOptions& options, std::uint64_t run,
                                     SeriesPool* pool) {
  RunSpec spec = run_spec(sweep, run);
  auto row = std::make_shared<RunRow>();
  row->run = static_cast<std::int64_t>(spec.run);
  row->point = static_cast<std::int64_t>(spec.point);
  row->replication = static_cast<std::int64_t>(spec.replication);
  row->seed = spec.seed;
  try {
    const Params params = run_params(sweep, spec);
    World world = make_world(params);
    if (options.before_run) options.before_run(spec, world);
    RunCapture capture(schema, static_cast<std::size_t>(sweep.base.years), widths, pool);
    simulate(world, [&](const World& w) { capture.record(w); });
    capture.finish(*row);
  } catch (const std::exception& e) {  // a failed run is a result too: the sweep goes on
    row->error = e.what();
    if (row->error.empty()) row->error = "unknown error";
    row->summaries.clear();
    row->series = {};
  }
  row->parameters = std::move(spec.values);
  if (sweep.posterior) row->parameters.emplace_back(spec.particle);
  return row;
}

}  // namespace

PosteriorDraws posterior_draws(const fs::path& file, std::uint64_t draws,
                               const std::string& origin) {
  PosteriorDraws d;
  d.posterior = read_posterior(file);
  d.draws = draws;
  for (const auto& name : d.posterior.parameters) {
    const ParamSpec* spec = find_param(name);
    if (!spec || (spec->type != ParamType::real && spec->type != ParamType::integer))
      throw InputError(origin + ": " + file.string() + ": its parameter '" + name +
                       "' is not a numeric parameter of icsim's registry");
    d.parameters.push_back(spec);
  }
  return d;
}

// --- the sweep -------------------------------------------------------------------------------

bool Axis::categorical() const {
  return spec->type == ParamType::choice || spec->type == ParamType::boolean ||
         spec->type == ParamType::text;
}

Value Axis::at(double u) const {
  u = std::clamp(u, 0.0, 1.0);
  if (!values.empty()) {
    const auto m = values.size();
    return values[std::min(static_cast<std::size_t>(u * static_cast<double>(m)), m - 1)];
  }
  if (spec->type == ParamType::integer) {
    const double span = max - min;
    return static_cast<std::int64_t>(min + std::min(std::floor(u * (span + 1)), span));
  }
  return min + u * (max - min);
}

std::string Sweep::canonical() const {
  std::ostringstream out;
  // Shards of two versions of icsim, or of two editions of its data, are never merged.
  out << "icsim sweep schema " << schema_version << "\n"
      << "program = icsim " << version << "\ndata = " << embedded::hash() << "\n"
      << "design = " << name_of(design.kind) << "\n";
  if (design.kind != DesignKind::full_factorial) out << "samples = " << design.samples << "\n";
  if (design.kind == DesignKind::morris) out << "levels = " << design.morris_levels << "\n";
  if (posterior)
    out << "posterior = " << posterior->posterior.fingerprint << ", draws = " << posterior->draws
        << "\n";
  out << "replications = " << replications << "\nseed = " << seed << "\n";
  if (common_seeds) out << "common_seeds = true\n";
  out << "record =";
  const std::array<bool, 4> on{record.summary, record.national, record.system, record.organisation};
  for (std::size_t i = 0; i < on.size(); ++i)
    if (on[i]) out << " " << record_names[i];
  out << "\n";
  for (const auto& a : axes) {
    out << "axis " << a.name << " = ";
    if (a.values.empty()) {
      out << "[" << number_text(a.min) << ", " << number_text(a.max) << "]\n";
      continue;
    }
    out << "{";
    for (std::size_t i = 0; i < a.values.size(); ++i)
      out << (i ? ", " : "") << format_value(a.values[i]);
    out << "}\n";
  }
  out << "[base scenario]\n" << to_toml(base);
  return out.str();
}

std::string Sweep::design_name() const {
  return posterior ? "posterior" : std::string(name_of(design.kind));
}

std::string Sweep::fingerprint() const {
  return fingerprint_of(canonical());
}

Sweep parse_sweep(std::string_view text, const std::string& label, const fs::path& directory) {
  const Reader r{label};
  const toml::table table = parse_toml(text, label);
  for (const auto& [k, node] : table)
    if (std::find(top_level_keys.begin(), top_level_keys.end(), k.str()) == top_level_keys.end())
      r.fail(node, "unknown key '" + std::string(k.str()) + "'; a sweep file has " +
                       listed(top_level_keys));

  Sweep sweep;
  sweep.source = label;
  sweep.text = std::string(text);
  // A parameter named twice ("policy.bailout" = 1 and [set.policy] bailout = 2) is refused here,
  // before any file is touched, rather than one of the two kept silently.
  detail::NamedOnce once(r);
  const Scenario base = detail::read_base(r, table, directory, once);
  check_model_settings(base);
  sweep.base = base.params;
  sweep.scenario = base.source;
  sweep.files = input_files(base);
  if (const auto* node = table.get("description")) sweep.description = r.text(*node, "description");
  if (const auto* node = table.get("replications"))
    sweep.replications =
        static_cast<std::uint64_t>(r.whole(*node, "replications", 1, 1'000'000'000));
  if (const auto* node = table.get("seed"))
    sweep.seed = static_cast<std::uint64_t>(r.whole(*node, "seed", 0, std::int64_t{1} << 62));
  find_param("run.seed")->set(sweep.base, Value{static_cast<std::int64_t>(sweep.seed)});
  if (const auto* node = table.get("common_seeds")) {
    const auto* flag = node->as_boolean();
    if (!flag) r.fail(*node, "key 'common_seeds': expected true or false");
    sweep.common_seeds = flag->get();
  }

  bool drawing = false;  // design "posterior": the listed axes crossed with posterior draws
  if (const auto* node = table.get("design")) {
    const std::string name = r.text(*node, "design");
    const auto kind = design_kind(name);
    drawing = name == "posterior";
    if (!kind && !drawing)
      r.fail(*node, "key 'design': unknown design '" + name + "'; expected " +
                        listed(std::array{"full_factorial", "latin_hypercube", "sobol", "morris",
                                          "posterior"}));
    if (kind) sweep.design.kind = *kind;
  }
  if (drawing) read_draws(r, table, directory, sweep);
  for (const char* key : {"posterior", "draws"})
    if (const auto* node = table.get(key); node && !drawing)
      r.fail(*node, "key '" + std::string(key) + "': only with design = \"posterior\"");
  const DesignKind kind = sweep.design.kind;
  const std::string design_name = sweep.design_name();
  if (const auto* node = table.get("samples")) {
    sweep.design.samples =
        static_cast<std::uint64_t>(r.whole(*node, "samples", 1, 1'000'000'000'000));
  } else if (kind != DesignKind::full_factorial) {
    throw InputError(label + ": key 'samples': required by " + design_name +
                     " (its points, base sample or trajectories)");
  }
  if (const auto* node = table.get("levels")) {
    if (kind != DesignKind::morris)
      r.fail(*node,
             "key 'levels': only the morris design has grid levels (an axis takes "
             "levels inside its { min, max })");
    sweep.design.morris_levels = static_cast<std::uint64_t>(r.whole(*node, "levels", 2, 1'000'000));
    if (sweep.design.morris_levels % 2)
      r.fail(*node, "key 'levels': morris needs an even number of grid levels");
  }
  if (const auto* node = table.get("record")) {
    const auto* list = node->as_array();
    if (!list)  // empty: /runs alone (indices, seeds, status and the varied parameters)
      r.fail(*node, "key 'record': expected a list of " + listed(record_names));
    sweep.record = SweepRecord{false, false, false, false};
    for (const auto& item : *list) {
      const std::string what = r.text(item, "record");
      if (what == "summary")
        sweep.record.summary = true;
      else if (what == "national")
        sweep.record.national = true;
      else if (what == "system")
        sweep.record.system = true;
      else if (what == "organisation")
        sweep.record.organisation = true;
      else
        r.fail(item, "key 'record': unknown '" + what + "'; expected " + listed(record_names));
    }
  }

  if (const auto* node = table.get("axes")) {
    const auto* axes = node->as_table();
    if (!axes) r.fail(*node, "key 'axes': expected a table of parameter = values");
    each_parameter(
        r, *axes, "axes", "",
        [&](const std::string& name, const ParamSpec& spec, const toml::node& n) {
          once("axes." + name, n);
          sweep.axes.push_back(read_axis(r, name, spec, n));
        },
        is_axis_table);
  }
  std::sort(sweep.axes.begin(), sweep.axes.end(),
            [](const Axis& a, const Axis& b) { return a.name < b.name; });
  const auto axis_error = [&](const Axis& a, const std::string& message) {
    throw InputError(label + ":" + std::to_string(a.line) + ": key 'axes." + a.name +
                     "': " + message);
  };
  const bool series = sweep.record.national || sweep.record.system || sweep.record.organisation;
  for (const auto& a : sweep.axes) {
    if (kind == DesignKind::full_factorial && a.values.empty())
      axis_error(a, "full_factorial needs listed values, or levels = n in the range");
    if (a.categorical() && !allows_categorical(kind))
      axis_error(a, design_name +
                        " cannot vary a categorical parameter (its elementary effects "
                        "need ordered numeric levels); use latin_hypercube or sobol, or "
                        "fix it under [set]");
    if (series && (a.name == "run.years" || a.name == "run.first_year"))
      axis_error(a,
                 "the years vary, so time series cannot share a year dimension; record = "
                 "[\"summary\"] only");
    if (a.name == "run.seed")
      axis_error(a, "every run has its own seed; vary replications instead");
    if (a.name == "model")
      axis_error(a, "sweeps run the health model; the classic models have `icsim run`");
    if (sweep.posterior) {
      const auto& drawn = sweep.posterior->parameters;
      if (std::find(drawn.begin(), drawn.end(), a.spec) != drawn.end())
        axis_error(a, "drawn from the posterior, so it cannot be an axis too");
    }
    if (!model_uses(Model::health, a.name))
      axis_error(a, "not used by the health model, which sweeps run");
  }
  if (sweep.base.model != Model::health)
    throw InputError(label + ": key 'scenario': sweeps run the health model, not model = " +
                     std::get<std::string>(find_param("model")->get(sweep.base)));
  if (kind != DesignKind::full_factorial && sweep.axes.empty())
    throw InputError(label + ": key 'axes': " + design_name + " needs at least one axis");
  if (kind == DesignKind::sobol && 2 * sweep.axes.size() > sobol_max_dimensions())
    throw InputError(label + ": key 'axes': sobol takes at most " +
                     std::to_string(sobol_max_dimensions() / 2) + " axes");
  sweep.design.dimensions = sweep.axes.size();
  sweep.design.seed = sweep.seed;
  for (const auto& a : sweep.axes) sweep.design.levels.push_back(a.values.size());
  const long double runs = static_cast<long double>(sweep.points()) * sweep.replications;
  if (runs > 4e18L || (kind == DesignKind::full_factorial && runs > 1e15L))
    throw InputError(label + ": the sweep has too many runs (" +
                     number_text(static_cast<double>(runs)) + ")");
  return sweep;
}

Sweep load_sweep(const fs::path& path) {
  Sweep sweep = parse_sweep(read_toml_file(path), path.string(), path.parent_path());
  sweep.files.insert(sweep.files.begin(), path);
  return sweep;
}

std::int64_t run_seed(std::uint64_t sweep_seed, std::uint64_t point, std::uint64_t replication) {
  using detail::splitmix64;
  const std::uint64_t h = splitmix64(splitmix64(splitmix64(sweep_seed) ^ point) + replication);
  return static_cast<std::int64_t>(h >> 2);  // within run.seed's range
}

RunSpec run_spec(const Sweep& sweep, std::uint64_t run) {
  RunSpec spec;
  spec.run = run;
  spec.point = run / sweep.replications;
  spec.replication = run % sweep.replications;
  const std::uint64_t draws = sweep.posterior ? sweep.posterior->draws : 1;
  // Common seeds: the points of one seed block (a Saltelli base point, a Morris trajectory, ...)
  // share their seeds; a posterior's draws keep theirs apart.
  const std::uint64_t seeding =
      sweep.common_seeds ? seed_block(sweep.design, spec.point / draws) * draws + spec.point % draws
                         : spec.point;
  spec.seed = run_seed(sweep.seed, seeding, spec.replication);
  std::vector<double> u(sweep.axes.size());
  design_point(sweep.design, spec.point / draws, u);
  for (std::size_t j = 0; j < sweep.axes.size(); ++j) spec.values.push_back(sweep.axes[j].at(u[j]));
  if (sweep.posterior) {
    const Posterior& post = sweep.posterior->posterior;
    const std::size_t i = posterior_draw(post, sweep.seed, spec.point % draws);
    spec.particle = static_cast<std::int64_t>(i);
    for (std::size_t j = 0; j < sweep.posterior->parameters.size(); ++j)
      spec.values.push_back(sweep.posterior->value(i, j));
  }
  return spec;
}

Params run_params(const Sweep& sweep, const RunSpec& run) {
  Params p = sweep.base;
  for (std::size_t j = 0; j < sweep.axes.size(); ++j)
    set_for_run(p, *sweep.axes[j].spec, run.values[j]);
  if (sweep.posterior)
    for (std::size_t j = 0; j < sweep.posterior->parameters.size(); ++j)
      set_for_run(p, *sweep.posterior->parameters[j], run.values[sweep.axes.size() + j]);
  find_param("run.seed")->set(p, Value{run.seed});
  return p;
}

Sweep posterior_ensemble(const Params& base, const std::string& scenario_source,
                         const fs::path& posterior, std::uint64_t draws) {
  Sweep sweep;
  sweep.source = "--posterior " + posterior.string();
  sweep.scenario = scenario_source;
  sweep.base = base;
  sweep.seed = static_cast<std::uint64_t>(base.seed);
  sweep.record = SweepRecord{true, true, true, false};
  sweep.posterior = posterior_draws(posterior, draws, "--posterior");
  sweep.description = std::to_string(draws) + " draws from the posterior " + posterior.string() +
                      " on " + scenario_source;
  sweep.text =
      "# icsim run --posterior " + posterior.string() + " --draws " + std::to_string(draws) + "\n";
  return sweep;
}

// --- shards ----------------------------------------------------------------------------------

Shard parse_shard(std::string_view text, const std::string& origin) {
  const auto slash = text.find('/');
  std::uint64_t index = 0, count = 0;
  const auto parse = [](std::string_view part, std::uint64_t& out) {
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
    return ec == std::errc{} && end == part.data() + part.size() && !part.empty();
  };
  // N is stored as a 64-bit signed attribute of the sweep file.
  constexpr std::uint64_t most = std::numeric_limits<std::int64_t>::max();
  if (slash == std::string_view::npos || !parse(text.substr(0, slash), index) ||
      !parse(text.substr(slash + 1), count) || index < 1 || index > count || count > most)
    throw InputError(origin + " '" + printable(text) + "': expected I/N with 1 <= I <= N <= " +
                     std::to_string(most) + " (the I-th of N shards), e.g. 2/8");
  return {index, count, origin};
}

std::optional<Shard> shard_from_environment(const std::function<const char*(const char*)>& get) {
  const char* id = get("SLURM_ARRAY_TASK_ID");
  if (!id || !*id) return std::nullopt;
  const auto number = [&](const char* name, long long fallback) {
    const char* text = get(name);
    if (!text || !*text) return fallback;
    long long value = 0;
    const auto [end, ec] = std::from_chars(text, text + std::strlen(text), value);
    if (ec != std::errc{} || *end)
      throw InputError(std::string(name) + "='" + text + "' is not a number; pass --shard I/N");
    return value;
  };
  const long long task = number("SLURM_ARRAY_TASK_ID", 0), min = number("SLURM_ARRAY_TASK_MIN", 0),
                  step = std::max(number("SLURM_ARRAY_TASK_STEP", 1), 1LL),
                  count = number("SLURM_ARRAY_TASK_COUNT", -1);
  const std::string described = "SLURM_ARRAY_TASK_ID=" + std::to_string(task);
  if (count < 1)
    throw InputError(described + " but SLURM_ARRAY_TASK_COUNT is not set; pass --shard I/N");
  const long long offset = task - min;
  if (offset < 0 || offset % step || offset / step >= count)
    throw InputError(described + " is not one of " + std::to_string(count) +
                     " array tasks from SLURM_ARRAY_TASK_MIN=" + std::to_string(min) +
                     " in steps of " + std::to_string(step) + "; pass --shard I/N");
  return Shard{static_cast<std::uint64_t>(offset / step + 1), static_cast<std::uint64_t>(count),
               described};
}

void write_design_csv(const Sweep& sweep, const Shard& shard, std::ostream& out) {
  out << "run,point,replication,seed";
  for (const auto& a : sweep.axes) out << "," << a.name;
  if (sweep.posterior) {
    for (const ParamSpec* spec : sweep.posterior->parameters) out << "," << spec->name;
    out << ",posterior_particle";
  }
  out << "\n";
  const std::uint64_t n = runs_in_shard(sweep.runs(), shard);
  for (std::uint64_t i = 0; i < n; ++i) {
    const RunSpec r = run_spec(sweep, shard_run(shard, i));
    out << r.run << "," << r.point << "," << r.replication << "," << r.seed;
    for (const auto& v : r.values) out << "," << csv_field(v);
    if (sweep.posterior) out << "," << r.particle;
    out << "\n";
  }
}

// --- running ---------------------------------------------------------------------------------

SweepResult run_sweep(const Sweep& sweep, const SweepOptions& options) {
  SweepResult result;
  result.shard_runs = runs_in_shard(sweep.runs(), options.shard);
  // The lock first, then the slow world build (issue 15 item 6).
  BatchRunner runner(options, {"sweep", sweep.source, sweep.fingerprint()});
  result.resumed = runner.recorded().size();

  const World base = make_world(sweep.base);
  if (sweep.record.system || sweep.record.organisation) check_population(sweep, base);
  const SweepSchema schema(sweep.record);
  const std::array<std::size_t, 3> widths{base.orgs.size(), base.systems.size(), 1};

  SweepFileInfo info;
  info.provenance = {to_toml(sweep.base), sweep.scenario, options.command_line, "sweep"};
  info.seed = static_cast<std::int64_t>(sweep.seed);
  info.text_attributes = {{"sweep", sweep.text},
                          {"sweep_source", sweep.source},
                          {"sweep_description", sweep.description},
                          {"fingerprint", sweep.fingerprint()},
                          {"sweep_canonical", sweep.canonical()},
                          {"design", sweep.design_name()}};
  const auto number = [](auto x) { return static_cast<std::int64_t>(x); };
  const Shard& shard = options.shard;
  info.number_attributes = {
      {"shard_index", number(shard.index)},         {"shard_count", number(shard.count)},
      {"runs_total", number(sweep.runs())},         {"runs_expected", number(result.shard_runs)},
      {"points", number(sweep.points())},           {"replications", number(sweep.replications)},
      {"samples", number(sweep.design.samples)},    {"years", number(sweep.base.years)},
      {"first_year", number(sweep.base.first_year)}};
  if (sweep.design.kind == DesignKind::morris)
    info.number_attributes.emplace_back("morris_levels", number(sweep.design.morris_levels));
  for (const auto& a : sweep.axes) info.parameters.push_back(RunColumn::varied(*a.spec));
  if (sweep.posterior) {
    for (const ParamSpec* spec : sweep.posterior->parameters)
      info.parameters.push_back(
          {spec->name, spec->type, spec->unit, spec->meaning + " (drawn from the posterior)"});
    info.parameters.push_back({"posterior_particle", ParamType::integer, "index",
                               "particle of the posterior drawn (/posterior/particle of " +
                                   sweep.posterior->posterior.source + ")"});
    info.text_attributes.emplace_back("posterior", sweep.posterior->posterior.source);
    info.number_attributes.emplace_back("draws", number(sweep.posterior->draws));
  }

  const std::uint64_t total = result.shard_runs;
  runner.open(info, schema, base,
              [total](const BatchCounts& c, bool bar) { return progress_line(c, total, bar); });
  if (options.on_progress) options.on_progress(result);
  runner.run(
      options.next_run ? BatchRunner::Next(options.next_run) : runner.shard_runs(sweep.runs()),
      [&](std::uint64_t run, SeriesPool* pool) {
        return simulate_run(sweep, schema, widths, options, run, pool);
      },
      [&](const RunRow&) {
        if (!options.on_progress) return;
        const BatchCounts counts = runner.counts();
        result.ran = counts.ran;
        result.failed = counts.failed;
        options.on_progress(result);
      });
  runner.finish();
  const BatchCounts counts = runner.counts();
  result.ran = counts.ran;
  result.failed = counts.failed;
  result.seconds = counts.seconds;
  result.stopped = runner.stopped();
  return result;
}

// --- the command line ------------------------------------------------------------------------

int command_sweep(const SweepCommand& c, std::ostream& out, std::ostream& err) {
  if (c.resume && c.overwrite) throw InputError("--resume and --overwrite exclude each other");
#ifdef ICSIM_WITH_MPI
  if (mpi_launched()) return command_sweep_mpi(c, out, err);
#endif
  const Sweep sweep = load_sweep(c.sweep_file);
  SweepOptions o;
  o.output = check_output(c.output, sweep.files);
  const auto threads = static_cast<unsigned>(
      tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
  const auto [limit, limit_origin] = memory_limit(c.max_memory);
  if (const auto refusal = sweep_memory_refusal(sweep, threads, limit, limit_origin))
    throw InputError(sweep.source + ": " + *refusal);
  if (!c.shard.empty())
    o.shard = parse_shard(c.shard, "--shard");
  else if (auto s = shard_from_environment([](const char* n) { return std::getenv(n); }))
    o.shard = *s;
  o.resume = c.resume;
  o.overwrite = c.overwrite;
  o.commit_interval = c.commit_interval;
  o.command_line = c.command_line;
  o.progress_out = &err;
  o.progress = c.quiet                                           ? ProgressStyle::quiet
               : (&err == &std::cerr && ::isatty(STDERR_FILENO)) ? ProgressStyle::bar
                                                                 : ProgressStyle::log;
  if (!c.quiet) {
    out << "icsim sweep: " << sweep.source << ": " << sweep.design_name() << ", " << sweep.points()
        << " points x " << sweep.replications << " replications = " << sweep.runs() << " runs";
    if (o.shard.count > 1)
      out << "; shard " << o.shard.index << "/" << o.shard.count << " (" << o.shard.origin
          << "): " << runs_in_shard(sweep.runs(), o.shard) << " runs";
    out << "; " << threads << (threads == 1 ? " thread\n" : " threads\n") << std::flush;
  }
  SweepResult r;
  try {
    r = run_sweep(sweep, o);
  } catch (const h5::Error& e) {
    throw std::runtime_error(o.output.string() + ": " + e.what());
  } catch (const ParamError& e) {  // a base world the parameters cannot make
    throw InputError(sweep.source + ": " + e.what());
  }
  if (r.failed)
    err << "icsim sweep: " << r.failed << " of " << r.ran
        << " runs failed; their status and message are in /runs\n";
  if (!c.quiet) {
    out << "icsim sweep: wrote " << o.output.string() << ": " << r.resumed + r.ran << "/"
        << r.shard_runs << " runs";
    if (r.resumed) out << " (" << r.resumed << " from before, " << r.ran << " now)";
    out << " in " << std::fixed << std::setprecision(1) << r.seconds << " s";
    if (r.ran && r.seconds > 0) out << ", " << static_cast<double>(r.ran) / r.seconds << " runs/s";
    out << "\n" << std::defaultfloat;
  }
  return 0;
}

int command_run_posterior(const Scenario& scenario, const std::string& posterior,
                          std::uint64_t draws, const fs::path& output, bool quiet,
                          const std::string& command_line, std::ostream& out, std::ostream& err) {
  if (posterior.empty() || draws == 0)
    throw InputError("--posterior and --draws go together: draws from a calibration's posterior");
  if (scenario.params.model != Model::health)
    throw InputError(scenario.source + ": --posterior runs the health model");
  const Sweep sweep = posterior_ensemble(scenario.params, scenario.source, posterior, draws);
  SweepOptions o;
  o.output = output;
  o.overwrite = true;  // as `icsim run` does
  o.command_line = command_line;
  o.progress_out = &err;
  o.progress = quiet                                             ? ProgressStyle::quiet
               : (&err == &std::cerr && ::isatty(STDERR_FILENO)) ? ProgressStyle::bar
                                                                 : ProgressStyle::log;
  if (!quiet)
    out << "icsim " << version << ": " << scenario.source << ", " << scenario.params.years
        << " years, " << draws << " draws from " << posterior << "\n"
        << std::flush;
  SweepResult r;
  try {
    r = run_sweep(sweep, o);
  } catch (const h5::Error& e) {
    throw std::runtime_error(output.string() + ": " + e.what());
  }
  if (r.failed)
    err << "icsim run: " << r.failed << " of " << r.ran
        << " runs failed; their status and message are in /runs\n";
  if (!quiet)
    out << "wrote " << output.string() << ": " << r.ran
        << " runs, one per draw (the sweep layout)\n";
  return 0;
}

int command_sample(const SweepCommand& c, std::ostream& out) {
  const Sweep sweep = load_sweep(c.sweep_file);
  write_design_csv(sweep, c.shard.empty() ? Shard{} : parse_shard(c.shard, "--shard"), out);
  return 0;
}

int command_merge(const SweepCommand& c, std::ostream& out, std::ostream& err) {
  std::vector<fs::path> inputs(c.inputs.begin(), c.inputs.end());
  const fs::path output = check_output(c.output, inputs);
  MergeResult r;
  try {
    r = merge_sweeps(inputs, output, c.command_line);
  } catch (const MergeError& e) {
    throw InputError(e.what());
  } catch (const h5::Error& e) {
    throw std::runtime_error(c.output + ": " + e.what());
  }
  if (r.runs < r.expected)
    err << "icsim merge: warning: " << r.expected - r.runs << " of the sweep's " << r.expected
        << " runs are in none of the shards (a shard missing or unfinished? resume it and merge "
           "again)\n";
  if (!c.quiet)
    out << "icsim merge: wrote " << c.output << ": " << r.runs << "/" << r.expected << " runs from "
        << inputs.size() << " files\n";
  return 0;
}

}  // namespace icsim
