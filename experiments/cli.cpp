#include "experiments/cli.hpp"

#include <tbb/global_control.h>
#include <tbb/info.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>

#include "agents/metrics.hpp"
#include "experiments/calibration.hpp"
#include "experiments/classic.hpp"
#include "experiments/files.hpp"
#include "experiments/levers.hpp"
#include "experiments/memory.hpp"
#include "experiments/run.hpp"
#include "experiments/scenario.hpp"
#include "experiments/sweep.hpp"
#include "icsim/version.hpp"
#include "network/csv.hpp"
#include "network/generators.hpp"
#include "output/hdf5.hpp"
#include "output/temporary.hpp"

namespace icsim {
namespace {

struct Common {
  std::string scenario;
  std::vector<std::string> settings;
  // As typed, and read as the registry reads the parameter: errors quote them as given.
  std::optional<std::string> seed, years;
  int threads = 0;
  std::string max_memory;
  bool quiet = false;
};

Scenario resolve(const Common& c) {
  Scenario s = load_scenario(c.scenario.empty() ? std::string(default_scenario) : c.scenario);
  for (const auto& setting : c.settings) apply_setting(s, setting, "--set");
  if (c.seed) apply_setting(s, "run.seed=" + *c.seed, "--seed");
  if (c.years) apply_setting(s, "run.years=" + *c.years, "--years");
  check_model_settings(s);
  return s;
}

// Where the scenario sets `key`: the last setting's origin, or the scenario itself.
std::string origin_of(const Scenario& s, const std::string& key) {
  for (auto it = s.settings.rbegin(); it != s.settings.rend(); ++it)
    if (it->key == key) return it->origin;
  return s.source;
}

// A ParamError from building the world ("key 'K': ..."), as an input error naming where K is set.
InputError located(const Scenario& s, const ParamError& e) {
  const std::string_view what = e.what();
  std::string key;
  if (what.starts_with("key '")) key = what.substr(5, what.find('\'', 5) - 5);
  return InputError(origin_of(s, key) + ": " + std::string(what));
}

std::string join_args(const std::vector<std::string>& args) {
  std::string line = "icsim";
  for (const auto& a : args) line += " " + a;
  return line;
}

void print_summary_header(std::ostream& out) {
  out << "  year  systems met  stake share  mean trust  collaboratives  surplus after support (GBP "
         "m)\n";
}
void print_summary(std::ostream& out, const YearSummary& s) {
  out << "  " << std::setw(4) << s.year << "  " << std::setw(5) << s.systems_met << " / "
      << std::setw(3) << std::left << s.systems << std::right << "  " << std::setw(11) << std::fixed
      << std::setprecision(3) << s.stake_share << "  " << std::setw(10) << s.mean_trust << "  "
      << std::setw(14) << s.collaboratives << "  " << std::setw(12) << std::setprecision(1)
      << s.aggregate_surplus << "\n"
      << std::defaultfloat << std::flush;
}

// `icsim run --posterior FILE --draws N`: an ensemble of runs over draws from a posterior.
struct Draws {
  std::string posterior;
  std::uint64_t draws = 0;
};

int command_run(const Common& c, const Draws& d, const std::string& output,
                const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const Scenario s = resolve(c);
  const std::filesystem::path path = check_output(output, input_files(s));
  const MemoryLimit limit = memory_limit(c.max_memory);
  // Threshold cascades on random graphs draw one graph a thread at once.
  const bool graph_a_thread =
      s.params.model == Model::threshold_cascade && network_is_random(s.params.network_kind);
  const auto threads = static_cast<unsigned>(
      tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
  if (const auto refusal =
          memory_refusal(s.params, graph_a_thread ? threads : 1, 0, limit.bytes, limit.origin))
    throw InputError(origin_of(s, world_footprint(s.params).key) + ": " + *refusal);
  if (s.params.model == Model::public_goods && c.threads > 1)
    err << "icsim: warning: --threads " << c.threads
        << ": model public_goods updates one player at a time, on one thread\n";
  if (!d.posterior.empty() || d.draws)
    return command_run_posterior(s, d.posterior, d.draws, path, c.quiet, join_args(args), out, err);
  RunOptions options;
  options.output = path;
  options.provenance = {to_toml(s.params), s.source, join_args(args), "run"};
  try {
    if (s.params.model != Model::health)  // public goods game or threshold cascades
      return run_classic(s.params, path, options.provenance, c.quiet ? nullptr : &out);
    if (!c.quiet) {
      out << "icsim " << version << ": " << s.source << ", " << s.params.years << " years, seed "
          << s.params.seed << "\n";
      print_summary_header(out);
      options.on_year = [&](const YearSummary& y) { print_summary(out, y); };
    }
    run_scenario(s.params, options);
  } catch (const ParamError& e) {  // a world the parameters cannot make
    throw located(s, e);
  }
  if (!c.quiet) out << "wrote " << path.string() << "\n";
  return 0;
}

int command_describe(const Common& c, bool list_metrics, std::ostream& out) {
  if (list_metrics) {
    static constexpr std::array<const char*, 3> levels{"organisation", "system", "national"};
    for (const auto& m : metrics())
      out << "/timeseries/" << levels[static_cast<int>(m.level)] << "/" << m.name << "  [" << m.unit
          << "]  " << m.description << (m.role == Role::headline ? "  (headline)" : "") << "\n";
    return 0;
  }
  const Scenario s = resolve(c);
  out << "# parameters of " << s.source << " that model "
      << std::get<std::string>(find_param("model")->get(s.params))
      << " uses: name = value  [unit; allowed]  meaning\n";
  for (const auto& spec : registry()) {
    if (!model_uses(s.params.model, spec.name)) continue;
    out << spec.name << " = " << format_value(spec.get(s.params)) << "  [" << spec.unit << "; "
        << spec.allowed() << "]  " << spec.meaning;
    if (spec.get(s.params) != spec.default_value)
      out << " (default " << format_value(spec.default_value) << ")";
    out << "\n";
  }
  return 0;
}

int command_check(const Common& c, std::ostream& out) {
  const Scenario s = resolve(c);
  const Params defaults = default_params();
  int changed = 0;
  for (const auto& spec : registry())
    changed += model_uses(s.params.model, spec.name) && spec.get(s.params) != spec.get(defaults);
  out << s.source << ": ok (" << changed << " parameters differ from the defaults)\n";
  return 0;
}

}  // namespace

void prepare_process() {
  h5::skip_cleanup_at_exit();
  install_signal_cleanup();
}

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "icsim: an agent-based model of health-care provider collaboration in integrated "
      "care systems",
      "icsim"};
  app.set_version_flag("--version", std::string("icsim ") + version);
  app.require_subcommand(1);
  Common common;
  std::string output = "icsim-out.h5";
  bool list_metrics = false;

  const auto add_common = [&](CLI::App* sub, bool scenario_required) {
    auto* opt = sub->add_option(
        "scenario", common.scenario,
        "scenario file (TOML) or shipped scenario name; default " + std::string(default_scenario));
    if (scenario_required) opt->required();
    sub->add_option("--set", common.settings, "override a parameter: key=value (repeatable)");
    sub->add_option("--seed", common.seed, "random seed (run.seed)");
    sub->add_option("--years", common.years, "planning years to simulate (run.years)");
  };
  const auto add_max_memory = [&](CLI::App* sub, std::string& into) {
    sub->add_option("--max-memory", into,
                    "refuse sizes needing more memory than this (e.g. 8G; default: the memory "
                    "available)");
  };
  // NaN passes CLI11's NonNegativeNumber (NaN < 0 is false): finite and above 0 here.
  const auto positive_seconds = [](const std::string& text) -> std::string {
    double x = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
    if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(x) || x <= 0)
      return "'" + text + "' is not a number of seconds above 0";
    return {};
  };
  auto* run = app.add_subcommand("run", "simulate a scenario and write HDF5");
  add_common(run, false);
  run->add_option("-o,--output", output, "output file (HDF5)")->capture_default_str();
  run->add_option("--threads", common.threads, "worker threads (0: all cores)")
      ->check(CLI::NonNegativeNumber);
  run->add_flag("-q,--quiet", common.quiet, "print nothing but errors");
  Draws drawing;
  run->add_option("--posterior", drawing.posterior,
                  "posterior file of icsim calibrate: run once per draw from it (with --draws)");
  run->add_option("--draws", drawing.draws, "parameter sets to draw from --posterior")
      ->check(CLI::PositiveNumber);
  add_max_memory(run, common.max_memory);
  auto* describe = app.add_subcommand("describe", "every parameter: value, unit, range, meaning");
  add_common(describe, false);
  describe->add_flag("--metrics", list_metrics, "list the recorded metrics instead");
  auto* check = app.add_subcommand("check", "validate a scenario without running it");
  add_common(check, true);
  SweepCommand sweeping;
  sweeping.command_line = join_args(args);
  auto* sweep = app.add_subcommand("sweep",
                                   "run a parameter sweep (design x replications) into one "
                                   "HDF5 file, in parallel, resumable");
  sweep->add_option("sweep_file", sweeping.sweep_file, "sweep file (TOML)")->required();
  sweep->add_option("-o,--output", sweeping.output, "output file (HDF5)")->required();
  sweep->add_option("--threads", common.threads, "worker threads (0: all cores)")
      ->check(CLI::NonNegativeNumber);
  sweep->add_option("--shard", sweeping.shard,
                    "I/N: run the I-th of N disjoint slices (default "
                    "from SLURM_ARRAY_TASK_ID and _COUNT)");
  sweep->add_flag("--resume", sweeping.resume,
                  "continue the sweep in the output, running only "
                  "the runs it lacks");
  sweep->add_flag("--overwrite", sweeping.overwrite, "replace an existing output file");
  sweep
      ->add_option("--commit-interval", sweeping.commit_interval,
                   "seconds between commits of finished runs to the output")
      ->capture_default_str()
      ->check(positive_seconds);
  add_max_memory(sweep, sweeping.max_memory);
  sweep->add_flag("-q,--quiet", sweeping.quiet, "no progress, print nothing but errors");
  auto* sample = app.add_subcommand("sample", "the sweep's design as CSV, one row per run");
  sample->add_option("sweep_file", sweeping.sweep_file, "sweep file (TOML)")->required();
  sample->add_option("--shard", sweeping.shard, "I/N: only the runs of that shard");
  LeversCommand levering;
  auto* levers = app.add_subcommand(
      "levers",
      "what each policy lever does: its effect on behavioural outcomes between the "
      "ends of its range, with paired seeds");
  levers->add_option("scenario", levering.scenario,
                     "scenario file or shipped name (default: each lever on its live scenario)");
  levers->add_option("--replications", levering.replications, "paired seeds per lever")
      ->capture_default_str();
  levers->add_option("--years", levering.years, "planning years per run (default: the scenario's)");
  levers->add_option("--only", levering.only, "only these levers (registry names; repeatable)");
  levers->add_option("--posterior", levering.posterior,
                     "posterior file of icsim calibrate: each paired replication draws its "
                     "parameters from it");
  levers
      ->add_option("--draws", levering.draws,
                   "with --posterior: parameter sets drawn, one per paired replication "
                   "(default: --replications)")
      ->check(CLI::PositiveNumber);
  levers->add_option("--threads", common.threads, "worker threads (0: all cores)")
      ->check(CLI::NonNegativeNumber);
  CalibrateCommand calibrating;
  calibrating.command_line = sweeping.command_line;
  auto* calibrate = app.add_subcommand(
      "calibrate",
      "fit parameters to observed targets by ABC-SMC; writes the posterior (HDF5), resumable");
  calibrate->add_option("calibration_file", calibrating.file, "calibration file (TOML)")
      ->required();
  calibrate->add_option("-o,--output", calibrating.output, "posterior file (HDF5)")->required();
  calibrate->add_option("--threads", common.threads, "worker threads (0: all cores)")
      ->check(CLI::NonNegativeNumber);
  calibrate->add_flag("--resume", calibrating.resume,
                      "continue the calibration of the output from its working file");
  calibrate->add_flag("--overwrite", calibrating.overwrite, "replace an existing output file");
  calibrate
      ->add_option("--commit-interval", calibrating.commit_interval,
                   "seconds between commits of finished runs to the working file")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  calibrate->add_flag("-q,--quiet", calibrating.quiet, "no progress, print nothing but errors");
  auto* merge = app.add_subcommand("merge", "join sweep shards into one file, in run order");
  merge->add_option("-o,--output", sweeping.output, "merged file (HDF5)")->required();
  merge->add_option("shards", sweeping.inputs, "shard files of one sweep")->required();
  merge->add_flag("-q,--quiet", sweeping.quiet, "print nothing but warnings and errors");

  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      app.exit(e, out, err);
      return 0;
    }
    err << "icsim: error: " << e.what() << " (see icsim --help)\n";
    return 2;
  }

  std::unique_ptr<tbb::global_control> threads;
  if (common.threads > 0)
    threads = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                    static_cast<std::size_t>(common.threads));
  try {
    if (*run) return command_run(common, drawing, output, args, out, err);
    if (*describe) return command_describe(common, list_metrics, out);
    if (*check) return command_check(common, out);
    if (*sweep) return command_sweep(sweeping, out, err);
    if (*sample) return command_sample(sweeping, out);
    if (*merge) return command_merge(sweeping, out, err);
    if (*levers) return command_levers(levering, out, err);
    if (*calibrate) return command_calibrate(calibrating, out, err);
  } catch (const InputError& e) {
    err << "icsim: error: " << e.what() << "\n";
    return 2;
  } catch (const DataError& e) {
    err << "icsim: error: " << e.what() << "\n";
    return 2;
  } catch (const ParamError& e) {
    err << "icsim: error: " << e.what() << "\n";
    return 2;
  } catch (const h5::Error& e) {
    err << "icsim: error: " << output << ": " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    err << "icsim: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace icsim
