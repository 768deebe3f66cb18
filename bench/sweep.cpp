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

void sweep_throughput(Table& table, const Options& options) {
  const int replications = options.quick ? 4 : 100;
  const std::string text = "scenario = \"england-2019\"\nyears = 10\nseed = 1\nreplications = " +
                           std::to_string(replications) +
                           "\nrecord = [\"summary\", \"system\"]\n"
                           "[axes]\n\"policy.system_tied_share\" = [0.0, 0.5]\n";
  const Sweep recorded = parse_sweep(text, "bench sweep");
  Sweep off = recorded;
  off.record = SweepRecord{false, false, false, false};
  const double runs = static_cast<double>(recorded.runs());
  const fs::path output =
      fs::path(options.scratch) / ("icsim-bench-sweep-" + std::to_string(::getpid()) + ".h5");
  const std::size_t cores = all_cores();

  std::vector<double> rec1, recn, off1, offn;
  for (int round = 0; round < (options.quick ? 1 : 3); ++round) {
    {
      const Threads one(1);
      rec1.push_back(run_once(recorded, output));
      off1.push_back(run_once(off, output));
    }
    const Threads all(cores);
    recn.push_back(run_once(recorded, output));
    offn.push_back(run_once(off, output));
  }
  std::vector<double> speedup, cost1, costn;
  for (std::size_t r = 0; r < rec1.size(); ++r) {
    speedup.push_back(rec1[r] / recn[r]);
    cost1.push_back(off1[r] / rec1[r]);
    costn.push_back(offn[r] / recn[r]);
  }
  const std::string what =
      std::to_string(static_cast<int>(runs)) + " England 10-year runs, summary + system recording";
  table.add("2", what + ", 1 thread", format(runs / median(rec1)) + " runs/s");
  table.add("2", what + ", all " + std::to_string(cores) + " cores",
            format(runs / median(recn)) + " runs/s");
  table.add("2", "sweep speed-up, all cores over 1 thread", format(median(speedup)),
            cores >= 2 ? ">= 1.8 on 2 cores" : "(one core here)",
            cores >= 2 ? int(median(speedup) >= 1.8) : -1);
  table.add("2", "sweep throughput with recording over recording off (/runs only), 1 thread",
            format(median(cost1)) + " (off: " + format(runs / median(off1)) + " runs/s)", ">= 0.9",
            median(cost1) >= 0.9);
  table.add("2", "the same, all cores",
            format(median(costn)) + " (off: " + format(runs / median(offn)) + " runs/s)", ">= 0.9",
            median(costn) >= 0.9);
}

}  // namespace icsim::bench
