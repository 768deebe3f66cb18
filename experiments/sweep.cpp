#include "experiments/sweep.hpp"
#ifdef ICSIM_WITH_MPI
#include "experiments/mpi_sweep.hpp"
#endif

#include <tbb/global_control.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "agents/random.hpp"
#include "agents/step.hpp"
#include "experiments/embedded.hpp"
#include "experiments/files.hpp"
#include "experiments/memory.hpp"
#include "experiments/scenario.hpp"
#include "experiments/toml_input.hpp"
#include "icsim/version.hpp"
#include "network/input_file.hpp"
#include "output/hdf5.hpp"
#include "output/merge.hpp"

namespace icsim {
namespace fs = std::filesystem;
namespace {

// --- reading the sweep file -------------------------------------------------------------------

constexpr std::array<std::string_view, 11> top_level_keys{
    "scenario", "description", "years",  "replications", "seed", "design",
    "samples",  "levels",      "record", "set",          "axes"};
constexpr std::array<std::string_view, 4> record_names{"summary", "national", "system",
                                                       "organisation"};

template <class Names>
std::string listed(const Names& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

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

// Errors name the file, the line and the key: "sweep.toml:7: key 'samples': ...".
struct Reader {
  std::string label;

  [[noreturn]] void fail(const toml::node& node, const std::string& message) const {
    throw InputError(label + ":" + std::to_string(node.source().begin.line) + ": " + message);
  }
  std::int64_t whole(const toml::node& node, const std::string& key, std::int64_t lo,
                     std::int64_t hi) const {
    const auto* i = node.as_integer();
    if (!i || i->get() < lo || i->get() > hi)
      fail(node, "key '" + key + "': expected a whole number in [" + std::to_string(lo) + ", " +
                     std::to_string(hi) + "]");
    return i->get();
  }
  std::string text(const toml::node& node, const std::string& key) const {
    const auto* s = node.as_string();
    if (!s) fail(node, "key '" + key + "': expected a string");
    return s->get();
  }
  // The registry's error for an unknown name, with its "did you mean".
  [[noreturn]] void unknown_parameter(const toml::node& node, const std::string& table,
                                      const std::string& name) const {
    Params scratch = default_params();
    apply_setting(scratch, name + "=0",
                  label + ":" + std::to_string(node.source().begin.line) + ": [" + table + "]");
    fail(node, "[" + table + "]: unknown key '" + name + "'");
  }
  Value checked(const ParamSpec& spec, const toml::node& node, const std::string& key) const {
    const auto value = scalar(node);
    if (!value) fail(node, "key '" + key + "': expected " + spec.allowed());
    try {
      return validate(spec, *value);
    } catch (const ParamError&) {
      fail(node, "key '" + key + "': " + format_value(*value) + " is not allowed; expected " +
                     spec.allowed());
    }
  }
};

// An inline table that describes an axis, not a level of dotted parameter names.
bool is_axis_table(const toml::table& t) {
  return t.contains("values") || t.contains("min") || t.contains("max") || t.contains("levels");
}

// Calls `leaf(name, spec, node)` for every registry parameter under `table`, in name order;
// dotted names may be quoted ("policy.bailout") or nested tables.
template <class Leaf>
void each_parameter(const Reader& r, const toml::table& table, const std::string& table_name,
                    const std::string& prefix, Leaf&& leaf) {
  for (const auto& [k, node] : table) {
    const std::string name =
        prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    const auto* sub = node.as_table();
    if (const ParamSpec* spec = find_param(name)) {
      leaf(name, *spec, node);
    } else if (sub && !(table_name == "axes" && is_axis_table(*sub))) {
      each_parameter(r, *sub, table_name, name, leaf);
    } else {
      r.unknown_parameter(node, table_name, name);
    }
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

// --- hashing ---------------------------------------------------------------------------------

std::uint64_t fnv1a(std::string_view text, std::uint64_t basis) {
  std::uint64_t h = basis;
  for (const unsigned char c : text) {
    h ^= c;
    h *= 0x100000001B3ull;
  }
  return h;
}

std::string hex(std::uint64_t x) {
  std::ostringstream out;
  out << std::hex << std::setw(16) << std::setfill('0') << x;
  return out.str();
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

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<long long>(std::llround(seconds));
  std::ostringstream out;
  if (s >= 3600)
    out << s / 3600 << "h" << std::setw(2) << std::setfill('0') << (s % 3600) / 60 << "m";
  else if (s >= 60)
    out << s / 60 << "m" << std::setw(2) << std::setfill('0') << s % 60 << "s";
  else
    out << s << "s";
  return out.str();
}

// --- progress --------------------------------------------------------------------------------

// Reports runs saved in the file (committed), so that what it reports is what a kill leaves.
class Progress {
 public:
  Progress(const SweepOptions& o, std::uint64_t total, std::uint64_t before)
      : style_(o.progress_out ? o.progress : ProgressStyle::quiet),
        out_(o.progress_out),
        total_(total),
        before_(before),
        saved_(before),
        interval_(style_ == ProgressStyle::bar ? 0.25 : std::max(o.log_interval, 0.1)) {}
  ~Progress() { stop(); }

  void saved(std::uint64_t n) { saved_.store(n); }
  void start() {
    if (style_ != ProgressStyle::quiet) thread_ = std::thread([this] { loop(); });
  }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return;
      stopped_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    if (style_ == ProgressStyle::bar) *out_ << "\r" << line() << "\x1b[K\n" << std::flush;
  }
  std::atomic<std::uint64_t> failed{0};

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (!stopped_) {
      wake_.wait_for(lock, std::chrono::duration<double>(interval_), [&] { return stopped_; });
      if (stopped_) break;
      if (style_ == ProgressStyle::bar)
        *out_ << "\r" << line() << "\x1b[K" << std::flush;
      else
        *out_ << "icsim sweep: " << line() << "\n" << std::flush;
    }
  }
  std::string line() const {
    const std::uint64_t saved = saved_.load();
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    const double rate = elapsed > 0 ? static_cast<double>(saved - before_) / elapsed : 0;
    std::ostringstream text;
    if (style_ == ProgressStyle::bar) {
      constexpr int width = 30;
      const int filled =
          total_
              ? static_cast<int>(width * static_cast<double>(saved) / static_cast<double>(total_))
              : width;
      text << "[" << std::string(static_cast<std::size_t>(filled), '#')
           << std::string(static_cast<std::size_t>(width - filled), '.') << "] ";
    }
    text << saved << "/" << total_ << " runs saved";
    if (style_ == ProgressStyle::log && total_)
      text << " (" << std::fixed << std::setprecision(1)
           << 100.0 * static_cast<double>(saved) / static_cast<double>(total_) << "%)";
    text << std::fixed << std::setprecision(1) << ", " << rate << " runs/s";
    if (saved < total_)
      text << ", ETA " << duration_text(rate > 0 ? static_cast<double>(total_ - saved) / rate : -1);
    if (const auto f = failed.load()) text << ", " << f << " failed";
    return text.str();
  }

  using Clock = std::chrono::steady_clock;
  ProgressStyle style_;
  std::ostream* out_;
  std::uint64_t total_, before_;
  std::atomic<std::uint64_t> saved_;
  double interval_;
  Clock::time_point start_ = Clock::now();
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopped_ = false;
};

// --- running ---------------------------------------------------------------------------------

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
      axis.spec->set(p, value);
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
  return row;
}

// Refuses to resume a file of another sweep or shard, with one line naming both.
void check_identity(const Sweep& sweep, const Shard& shard, const fs::path& output) {
  h5::quiet();
  h5::Handle file;
  try {
    file = h5::open_file(output.string(), false);
  } catch (const h5::Error&) {
    throw InputError(output.string() + ": cannot resume: not an HDF5 file");
  }
  const auto print = h5::string_attribute(file, "fingerprint");
  if (!print) throw InputError(output.string() + ": cannot resume: not an icsim sweep file");
  if (*print != sweep.fingerprint())
    throw InputError(output.string() + ": cannot resume: it holds another sweep (fingerprint " +
                     *print + ", " + sweep.source + " has " + sweep.fingerprint() + ")");
  std::optional<std::int64_t> index, count;
  try {
    index = h5::integer_attribute(file, "shard_index");
    count = h5::integer_attribute(file, "shard_count");
  } catch (const h5::Error& e) {
    throw InputError(output.string() + ": cannot resume: " + e.what());
  }
  if (!index || !count || *index != static_cast<std::int64_t>(shard.index) ||
      *count != static_cast<std::int64_t>(shard.count))
    throw InputError(output.string() + ": cannot resume: it holds shard " +
                     std::to_string(index.value_or(0)) + "/" + std::to_string(count.value_or(0)) +
                     ", not " + std::to_string(shard.index) + "/" + std::to_string(shard.count));
}

}  // namespace

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
  out << "replications = " << replications << "\nseed = " << seed << "\nrecord =";
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

std::string Sweep::fingerprint() const {
  const std::string canon = canonical();
  return hex(fnv1a(canon, 0xCBF29CE484222325ull)) + hex(fnv1a(canon, 0x84222325CBF29CE4ull));
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
  std::string scenario(default_scenario), referrer = label + ": key 'scenario'";
  if (const auto* node = table.get("scenario")) {
    scenario = r.text(*node, "scenario");
    referrer = label + ":" + std::to_string(node->source().begin.line) + ": key 'scenario'";
  }
  const Scenario base = load_scenario(scenario, directory, referrer);
  check_model_settings(base);
  sweep.base = base.params;
  sweep.scenario = base.source;
  sweep.files = input_files(base);
  if (const auto* node = table.get("description")) sweep.description = r.text(*node, "description");
  if (const auto* node = table.get("set")) {
    const auto* set = node->as_table();
    if (!set) r.fail(*node, "key 'set': expected a table of parameter values");
    each_parameter(r, *set, "set", "",
                   [&](const std::string& name, const ParamSpec& spec, const toml::node& n) {
                     if (!model_uses(Model::health, name))
                       r.fail(n, "key 'set." + name + "': not used by the health model, which " +
                                     "sweeps run");
                     spec.set(sweep.base, r.checked(spec, n, "set." + name));
                   });
  }
  if (const auto* node = table.get("years")) {
    const ParamSpec& spec = *find_param("run.years");
    spec.set(sweep.base, r.checked(spec, *node, "years"));
  }
  if (const auto* node = table.get("replications"))
    sweep.replications =
        static_cast<std::uint64_t>(r.whole(*node, "replications", 1, 1'000'000'000));
  if (const auto* node = table.get("seed"))
    sweep.seed = static_cast<std::uint64_t>(r.whole(*node, "seed", 0, std::int64_t{1} << 62));
  find_param("run.seed")->set(sweep.base, Value{static_cast<std::int64_t>(sweep.seed)});

  if (const auto* node = table.get("design")) {
    const auto kind = design_kind(r.text(*node, "design"));
    if (!kind)
      r.fail(*node, "key 'design': unknown design '" + r.text(*node, "design") + "'; expected " +
                        listed(std::array{"full_factorial", "latin_hypercube", "sobol", "morris"}));
    sweep.design.kind = *kind;
  }
  const DesignKind kind = sweep.design.kind;
  const std::string design_name(name_of(kind));
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
    each_parameter(r, *axes, "axes", "",
                   [&](const std::string& name, const ParamSpec& spec, const toml::node& n) {
                     sweep.axes.push_back(read_axis(r, name, spec, n));
                   });
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
  spec.seed = run_seed(sweep.seed, spec.point, spec.replication);
  std::vector<double> u(sweep.axes.size());
  design_point(sweep.design, spec.point, u);
  for (std::size_t j = 0; j < sweep.axes.size(); ++j) spec.values.push_back(sweep.axes[j].at(u[j]));
  return spec;
}

Params run_params(const Sweep& sweep, const RunSpec& run) {
  Params p = sweep.base;
  for (std::size_t j = 0; j < sweep.axes.size(); ++j) sweep.axes[j].spec->set(p, run.values[j]);
  find_param("run.seed")->set(p, Value{run.seed});
  return p;
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

std::uint64_t runs_in_shard(std::uint64_t runs, const Shard& s) {
  return runs >= s.index ? (runs - s.index) / s.count + 1 : 0;
}

std::uint64_t shard_run(const Shard& s, std::uint64_t i) {
  return s.index - 1 + i * s.count;
}

void write_design_csv(const Sweep& sweep, const Shard& shard, std::ostream& out) {
  out << "run,point,replication,seed";
  for (const auto& a : sweep.axes) out << "," << a.name;
  out << "\n";
  const std::uint64_t n = runs_in_shard(sweep.runs(), shard);
  for (std::uint64_t i = 0; i < n; ++i) {
    const RunSpec r = run_spec(sweep, shard_run(shard, i));
    out << r.run << "," << r.point << "," << r.replication << "," << r.seed;
    for (const auto& v : r.values) out << "," << csv_field(v);
    out << "\n";
  }
}

// --- running ---------------------------------------------------------------------------------

SweepResult run_sweep(const Sweep& sweep, const SweepOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  const fs::path& output = options.output;
  const Shard& shard = options.shard;
  SweepResult result;
  result.shard_runs = runs_in_shard(sweep.runs(), shard);

  const bool exists = fs::exists(output);
  if (exists && !options.resume && !options.overwrite)
    throw InputError(output.string() +
                     " already exists: pass --resume to continue its sweep, "
                     "or --overwrite to start again");
  const bool resume = exists && options.resume;
  std::vector<std::int64_t> done;
  if (resume) {
    check_identity(sweep, shard, output);
    done = SweepRecorder::recorded_runs(output);
    std::sort(done.begin(), done.end());
  }
  result.resumed = done.size();

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
                          {"design", std::string(name_of(sweep.design.kind))}};
  const auto number = [](auto x) { return static_cast<std::int64_t>(x); };
  info.number_attributes = {
      {"shard_index", number(shard.index)},         {"shard_count", number(shard.count)},
      {"runs_total", number(sweep.runs())},         {"runs_expected", number(result.shard_runs)},
      {"points", number(sweep.points())},           {"replications", number(sweep.replications)},
      {"samples", number(sweep.design.samples)},    {"years", number(sweep.base.years)},
      {"first_year", number(sweep.base.first_year)}};
  if (sweep.design.kind == DesignKind::morris)
    info.number_attributes.emplace_back("morris_levels", number(sweep.design.morris_levels));
  for (const auto& a : sweep.axes) info.parameters.push_back(a.spec);

  Progress progress(options, result.shard_runs, done.size());
  SweepRecorder::Options recorder_options;
  recorder_options.commit_interval = options.commit_interval;
  recorder_options.on_commit = [&progress](std::uint64_t n) { progress.saved(n); };
  SweepRecorder recorder(output, info, schema, base, recorder_options, resume);
  progress.start();

  std::uint64_t next = 0;
  std::atomic<std::uint64_t> failed{0};
  // Stages hand rows over through TBB, which ThreadSanitizer cannot see (Debian's oneTBB is not
  // instrumented): a mutex released by the simulating thread and taken by the recording stage
  // shows it the order that TBB guarantees.
  std::mutex handover;
  // The recorder's first error (a full disk) stops the input and is rethrown once the runs in
  // flight are drained: an exception out of a filter would leave them undestroyed in oneTBB.
  std::exception_ptr record_error;
  std::atomic<bool> recording_failed{false};
  const std::size_t tokens = 2 * static_cast<std::size_t>(tbb::this_task_arena::max_concurrency());
  tbb::parallel_pipeline(
      tokens,
      tbb::make_filter<void, std::uint64_t>(
          tbb::filter_mode::serial_in_order,
          [&](tbb::flow_control& control) -> std::uint64_t {
            if (recording_failed.load()) {
              control.stop();
              return 0;
            }
            if (options.next_run) {
              std::uint64_t run = 0;
              while (options.next_run(run))
                if (!std::binary_search(done.begin(), done.end(), static_cast<std::int64_t>(run)))
                  return run;
              control.stop();
              return 0;
            }
            while (next < result.shard_runs) {
              const std::uint64_t run = shard_run(shard, next++);
              if (!std::binary_search(done.begin(), done.end(), static_cast<std::int64_t>(run)))
                return run;
            }
            control.stop();
            return 0;
          }) &
          tbb::make_filter<std::uint64_t, std::shared_ptr<RunRow>>(
              tbb::filter_mode::parallel,
              [&](std::uint64_t run) {
                auto row =
                    simulate_run(sweep, schema, widths, options, run, &recorder.series_pool());
                { std::lock_guard publish(handover); }
                return row;
              }) &
          tbb::make_filter<std::shared_ptr<RunRow>, void>(
              tbb::filter_mode::serial_in_order, [&](std::shared_ptr<RunRow> row) {
                { std::lock_guard receive(handover); }
                if (record_error) return;
                ++result.ran;
                if (!row->error.empty()) progress.failed = ++failed;
                try {
                  recorder.add(std::move(row));
                } catch (...) {
                  record_error = std::current_exception();
                  recording_failed.store(true);
                }
              }));
  if (record_error) std::rethrow_exception(record_error);  // the recorder keeps what it committed
  recorder.finish();
  progress.saved(recorder.committed());
  progress.stop();
  result.failed = failed.load();
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
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
    out << "icsim sweep: " << sweep.source << ": " << name_of(sweep.design.kind) << ", "
        << sweep.points() << " points x " << sweep.replications
        << " replications = " << sweep.runs() << " runs";
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
