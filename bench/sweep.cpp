// Item 2: sweep throughput, England 10-year runs recording summaries and system series, on one
// thread and on all cores, and against the same sweep with recording off (only /runs).
#include "experiments/sweep.hpp"

#include <unistd.h>

#include <filesystem>
#include <string>

#include "bench/bench.hpp"

namespace icsim::bench {
namespace {

namespace fs = std::filesystem;

double run_once(const Sweep& sweep, const fs::path& output) {
  SweepOptions o;
  o.output = output;
  o.overwrite = true;
  const Stopwatch clock;
  run_sweep(sweep, o);
  const double seconds = clock.seconds();
  fs::remove(output);
  return seconds;
}

}  // namespace

// Throughput of a sweep past its fixed costs (creating the file, the last commit): runs over the
// time that 3N runs take beyond N runs. The fixed costs are reported on their own.
struct Throughput {
  double runs_per_second, fixed_seconds;
};

void sweep_throughput(Table& table, const Options& options) {
  const int replications = options.quick ? 2 : 50;  // per point; two points
  const auto sweep_of = [](int replications_per_point, bool record) {
    const std::string text = "scenario = \"england-2019\"\nyears = 10\nseed = 1\nreplications = " +
                             std::to_string(replications_per_point) +
                             "\nrecord = [\"summary\", \"system\"]\n"
                             "[axes]\n\"policy.system_tied_share\" = [0.0, 0.5]\n";
    Sweep sweep = parse_sweep(text, "bench sweep");
    if (!record) sweep.record = SweepRecord{false, false, false, false};
    return sweep;
  };
  const fs::path output =
      fs::path(options.scratch) / ("icsim-bench-sweep-" + std::to_string(::getpid()) + ".h5");
  const std::size_t cores = all_cores();
  const auto measure = [&](bool record, std::size_t threads) {
    const Threads limit(threads);
    const Sweep small = sweep_of(replications, record), large = sweep_of(3 * replications, record);
    const double t_small = run_once(small, output), t_large = run_once(large, output);
    const double rate =
        static_cast<double>(large.runs() - small.runs()) / std::max(t_large - t_small, 1e-9);
    return Throughput{rate, t_small - static_cast<double>(small.runs()) / rate};
  };

  std::vector<double> rec1, recn, off1, offn, fixed_rec, fixed_off;
  for (int round = 0; round < (options.quick ? 1 : 5); ++round) {
    const Throughput r1 = measure(true, 1), o1 = measure(false, 1);
    const Throughput rn = measure(true, cores), on = measure(false, cores);
    rec1.push_back(r1.runs_per_second);
    off1.push_back(o1.runs_per_second);
    recn.push_back(rn.runs_per_second);
    offn.push_back(on.runs_per_second);
    fixed_rec.push_back(r1.fixed_seconds);
    fixed_off.push_back(o1.fixed_seconds);
  }
  std::vector<double> speedup, cost1, costn;
  for (std::size_t r = 0; r < rec1.size(); ++r) {
    speedup.push_back(recn[r] / rec1[r]);
    cost1.push_back(rec1[r] / off1[r]);
    costn.push_back(recn[r] / offn[r]);
  }
  const std::string what = "England 10-year runs, summary + system recording";
  table.add("2", what + ", 1 thread (past fixed costs)", format(median(rec1)) + " runs/s");
  table.add("2", what + ", all " + std::to_string(cores) + " cores",
            format(median(recn)) + " runs/s");
  table.add("2", "sweep speed-up, all cores over 1 thread", format(median(speedup)),
            cores >= 2 ? ">= 1.8 on 2 cores" : "(one core here)",
            cores >= 2 ? int(median(speedup) >= 1.8) : -1);
  table.add("2", "sweep throughput with recording over recording off (/runs only), 1 thread",
            format(median(cost1)) + " (off: " + format(median(off1)) + " runs/s)", ">= 0.9",
            median(cost1) >= 0.9);
  table.add("2", "the same, all cores",
            format(median(costn)) + " (off: " + format(median(offn)) + " runs/s)", ">= 0.9",
            median(costn) >= 0.9);
  table.add("2", "a sweep's fixed cost (file skeleton, static tables, last commit), 1 thread",
            format(median(fixed_rec)) + " s recording, " + format(median(fixed_off)) + " s off");
}

}  // namespace icsim::bench
