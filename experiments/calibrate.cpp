#include "experiments/calibrate.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>
#include <unordered_map>

#include "experiments/posterior.hpp"
#include "experiments/scenario.hpp"
#include "output/hdf5.hpp"

namespace icsim {
namespace fs = std::filesystem;
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
// A run of the working file: stage << 40 | attempt * replications + replication.
constexpr int stage_shift = 40;

std::string exact(double x) {
  std::ostringstream out;
  out << std::setprecision(17) << x;
  return out.str();
}

std::string fixed(double x, int digits) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << x;
  return out.str();
}

// Statistics of the runs already in a resumed working file, by run.
struct Recorded {
  std::unordered_map<std::int64_t, std::size_t> row;
  std::vector<std::vector<double>> columns;  // [target][row]

  Recorded(const fs::path& path, const CalibrationProblem& problem) {
    const h5::Handle file = h5::open_file(path.string(), false);
    const auto runs = h5::read_all<std::int64_t>(file, "runs/run");
    for (std::size_t i = 0; i < runs.size(); ++i) row.emplace(runs[i], i);
    for (const auto& t : problem.targets) {
      columns.push_back(h5::read_all<double>(file, "summary/" + t.name));
      if (columns.back().size() != runs.size())
        throw InputError(path.string() + ": cannot resume: summary/" + t.name + " has " +
                         std::to_string(columns.back().size()) + " rows, /runs " +
                         std::to_string(runs.size()));
    }
  }
};

// The working file: a batch file whose runs are the calibration's, their parameters and
// statistics (one summary per target).
SweepFileInfo attempts_info(const CalibrationProblem& p, const CalibrateOptions& o) {
  SweepFileInfo info;
  info.provenance = {p.scenario_text, p.scenario_source, o.command_line, "calibration_runs"};
  info.seed = static_cast<std::int64_t>(p.settings.seed);
  info.text_attributes = {{"fingerprint", p.fingerprint()},
                          {"calibration", p.text},
                          {"calibration_source", p.source},
                          {"description",
                           "every run of a calibration, kept until it completes: run = stage * "
                           "2^40 + attempt * replications + replication, stage = 2 generation "
                           "(+1 for the posterior predictive runs)"}};
  info.number_attributes = {{"shard_index", 1}, {"shard_count", 1}};
  info.parameters.push_back({"generation", ParamType::integer, "index", "ABC-SMC generation"});
  info.parameters.push_back(
      {"predictive", ParamType::boolean, "flag", "a posterior predictive run"});
  for (const auto& q : p.parameters)
    info.parameters.push_back({q.prior.name, ParamType::real, q.unit, q.description});
  return info;
}

SweepSchema attempts_schema(const CalibrationProblem& p) {
  SweepSchema schema(SweepRecord{true, false, false, false});
  schema.summaries.clear();
  for (const auto& t : p.targets)
    schema.summaries.push_back(
        {nullptr, SweepSchema::Statistic::final_year, t.name, t.unit, t.description});
  return schema;
}

}  // namespace

std::string CalibrationProblem::fingerprint() const {
  // Everything that decides the runs and which are accepted; not the stopping rule, so that a
  // finished or stopped calibration can be continued with more generations.
  std::ostringstream out;
  out << canonical << "\npopulation = " << settings.population
      << "\nreplications = " << settings.replications << "\nbatch = " << settings.batch_size()
      << "\nquantile = " << exact(settings.quantile) << "\nseed = " << settings.seed << "\n";
  // The global kernel was the only one before olcm: its fingerprint is unchanged, so files
  // written then still resume.
  if (settings.kernel != abc::KernelKind::global)
    out << "kernel = " << kernel_name(settings.kernel) << "\n";
  for (const auto& q : parameters)
    out << "prior " << q.prior.name << " " << (q.prior.log ? "log_uniform" : "uniform") << " "
        << exact(q.prior.lower) << " " << exact(q.prior.upper) << "\n";
  for (const auto& t : targets)
    out << "target " << t.name << " " << exact(t.observed) << " " << exact(t.sd) << "\n";
  return fingerprint_of(out.str());
}

std::vector<abc::Prior> CalibrationProblem::priors() const {
  std::vector<abc::Prior> out;
  for (const auto& q : parameters) out.push_back(q.prior);
  return out;
}

fs::path attempts_path(const fs::path& output) {
  fs::path p = output;
  p.replace_extension();
  p += ".attempts.h5";
  return p;
}

CalibrateResult calibrate(const CalibrationProblem& problem, const CalibrationModel& model,
                          const CalibrateOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  const fs::path& output = options.output;
  const fs::path working = attempts_path(output);
  // The output's lock before anything else (the working file has its own, taken next).
  const OutputLock lock = lock_output(output, "calibration");
  const bool have_output = fs::exists(output), have_working = fs::exists(working);
  if ((have_output || have_working) && !options.resume && !options.overwrite)
    throw InputError((have_output ? output : working).string() +
                     " already exists: pass --resume to continue its calibration, or "
                     "--overwrite to start again");
  CalibrateResult result;
  if (options.resume && have_output && !have_working) {
    if (posterior_complete(output) && read_posterior(output).fingerprint == problem.fingerprint()) {
      result.complete_before = true;
      return result;
    }
    throw InputError(output.string() + ": cannot resume: it is not a complete posterior of " +
                     problem.source + ", and its working file " + working.string() + " is gone");
  }

  const std::uint64_t reps = problem.settings.replications;
  const std::size_t k = problem.targets.size();
  BatchOptions batch = options;
  batch.output = working;
  batch.resume = options.resume && have_working;
  batch.overwrite = !batch.resume;
  BatchRunner runner(batch, {"calibration", problem.source, problem.fingerprint()});
  std::optional<Recorded> recorded;
  if (runner.resuming()) recorded.emplace(working, problem);
  result.runs_resumed = runner.recorded().size();

  // What the progress line shows, set on this thread and read on the display's.
  std::atomic<std::uint64_t> generation{0}, accepted{0}, attempts{0};
  std::atomic<double> tolerance{std::numeric_limits<double>::infinity()};
  std::atomic<bool> predictive{false};
  const std::uint64_t population = problem.settings.population;
  runner.open(attempts_info(problem, options), attempts_schema(problem), World{},
              [&](const BatchCounts& c, bool) {
                std::ostringstream line;
                if (predictive) {
                  line << "posterior predictive runs";
                } else {
                  line << "generation " << generation.load() << ", tolerance "
                       << std::setprecision(4) << tolerance.load() << ": " << accepted.load() << "/"
                       << population << " accepted of " << attempts.load() << " attempts";
                }
                line << "; " << c.saved << " runs saved, " << fixed(c.rate(), 1) << " runs/s";
                if (c.failed) line << ", " << c.failed << " failed";
                return line.str();
              });

  const abc::Evaluate evaluate = [&](std::uint64_t stage, std::span<const abc::Attempt> batch_of,
                                     std::span<double> out) {
    if (batch_of.empty()) return;
    const std::uint64_t first = batch_of.front().index;
    const auto run_of = [&](std::uint64_t attempt, std::uint64_t r) {
      return (stage << stage_shift) | (attempt * reps + r);
    };
    // Runs the file holds already: their statistics as recorded.
    if (recorded) {
      for (std::size_t a = 0; a < batch_of.size(); ++a)
        for (std::uint64_t r = 0; r < reps; ++r) {
          const auto it = recorded->row.find(static_cast<std::int64_t>(run_of(first + a, r)));
          if (it == recorded->row.end()) continue;
          for (std::size_t j = 0; j < k; ++j)
            out[(a * reps + r) * k + j] = recorded->columns[j][it->second];
        }
    }
    const std::uint64_t total = batch_of.size() * reps;
    const auto seed_of = [&](std::uint64_t i) {  // i: the run's place in the batch
      return abc::run_seed(problem.settings.seed, stage, batch_of[i / reps].index, i % reps);
    };
    // Runs simulated elsewhere: all of the batch's missing runs at once, then recorded here.
    std::vector<std::uint64_t> away;
    std::vector<RemoteResult> came_back;
    if (options.remote) {
      std::vector<RemoteRun> requests;
      for (std::uint64_t i = 0; i < total; ++i) {
        if (runner.is_recorded(run_of(first + i / reps, i % reps))) continue;
        away.push_back(i);
        requests.push_back({seed_of(i), batch_of[i / reps].theta});
      }
      came_back = options.remote(requests);
    }
    std::uint64_t next = 0;
    runner.run(
        [&](std::uint64_t& run) {
          if (next >= total) return false;
          run = run_of(first + next / reps, next % reps);
          ++next;
          return true;
        },
        [&](std::uint64_t run, SeriesPool* pool) {
          const std::uint64_t i = (run & ((std::uint64_t{1} << stage_shift) - 1)) - first * reps;
          const abc::Attempt& at = batch_of[i / reps];
          auto row = std::make_shared<RunRow>();
          row->run = static_cast<std::int64_t>(run);
          row->point = static_cast<std::int64_t>(at.index);
          row->replication = static_cast<std::int64_t>(i % reps);
          row->seed = seed_of(i);
          row->parameters = {Value{static_cast<std::int64_t>(stage / 2)}, Value{stage % 2 == 1}};
          for (const double x : at.theta) row->parameters.emplace_back(x);
          if (options.remote) {
            RemoteResult& r = came_back[static_cast<std::size_t>(
                std::lower_bound(away.begin(), away.end(), i) - away.begin())];
            row->summaries = std::move(r.statistics);
            row->error = std::move(r.error);
            return row;
          }
          row->summaries.assign(k, nan);
          try {
            model.simulate(at.theta, row->seed, row->summaries, pool);
          } catch (const std::exception& e) {  // a failed run is a result: rejected
            row->error = *e.what() ? e.what() : "unknown error";
            row->summaries.clear();
          }
          return row;
        },
        [&](const RunRow& row) {
          const std::uint64_t within =
              static_cast<std::uint64_t>(row.run) & ((std::uint64_t{1} << stage_shift) - 1);
          const std::size_t at = within - first * reps;
          for (std::size_t j = 0; j < k; ++j)
            out[at * k + j] = row.summaries.empty() ? nan : row.summaries[j];
        });
    // Asked to stop (options.stop): the batch is incomplete, so no generation may use it.
    if (runner.stopped()) throw CalibrationStopped();
  };

  std::vector<abc::Generation> done;
  const auto snapshot = [&](const abc::Result* complete) {
    PosteriorWrite w;
    w.problem = &problem;
    w.generations = done;
    w.result = complete;
    w.command_line = options.command_line;
    w.runs = complete ? complete->runs : 0;
    w.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    write_posterior(output, w);
  };
  const auto report = [&](const abc::Status& s) {
    generation = s.generation;
    tolerance = s.tolerance;
    accepted = s.accepted;
    attempts = s.attempts;
    predictive = s.predictive;
    if (!s.finished) return;
    done.push_back(*s.last);
    const abc::Generation& g = *s.last;
    std::ostringstream line;
    line << "generation " << g.index << ": tolerance " << std::setprecision(4) << g.tolerance
         << ", acceptance rate " << fixed(100 * g.acceptance_rate, 1) << "% (" << population
         << " of " << g.attempts << " attempts), ESS " << fixed(g.ess, 0) << ", "
         << g.simulated * reps << " runs";
    runner.note(line.str());
    snapshot(nullptr);
  };

  std::vector<double> observed, sd;
  for (const auto& t : problem.targets) {
    observed.push_back(t.observed);
    sd.push_back(t.sd);
  }
  try {
    result.abc = abc::run(problem.settings, problem.priors(), observed, sd, evaluate, report);
  } catch (const CalibrationStopped&) {
    runner.finish();  // every finished run committed: --resume continues from them
    throw;
  }
  runner.note("stopped: " + result.abc.stopped);
  snapshot(&result.abc);
  runner.finish();
  fs::remove(working);  // the posterior file is complete: the runs are no longer needed
  result.runs_now = runner.counts().ran;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace icsim
