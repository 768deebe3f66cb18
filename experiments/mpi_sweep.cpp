// See mpi_sweep.hpp.
#include "experiments/mpi_sweep.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <exception>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "experiments/scenario.hpp"
#include "experiments/sweep.hpp"
#include "output/merge.hpp"
#include "output/sweep_recorder.hpp"

namespace icsim {
namespace fs = std::filesystem;
namespace {

constexpr int request_tag = 1, batch_tag = 2;

// Worker W of a run of the job (generation G: 1, then one more per --resume) writes
// OUT.mpi-G-W.h5. A resumed job writes new shards rather than appending to the old ones, so every
// shard keeps its rows in run order, as merge_sweeps requires; the merge takes all generations.
std::string shard_prefix(const fs::path& output) {
  fs::path p = output;
  p.replace_extension();
  return p.filename().string() + ".mpi-";
}
fs::path shard_path(const fs::path& output, int generation, int worker) {
  return output.parent_path() /
         (shard_prefix(output) + std::to_string(generation) + "-" + std::to_string(worker) + ".h5");
}
// The shards of earlier runs of the job (files OUT.mpi-G-W.h5) and their highest generation.
std::vector<fs::path> existing_shards(const fs::path& output, int& generation) {
  std::vector<fs::path> found;
  generation = 0;
  const fs::path dir = output.has_parent_path() ? output.parent_path() : fs::path(".");
  const std::string prefix = shard_prefix(output);
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string rest = name.substr(prefix.size());
    const auto dash = rest.find('-');
    if (dash == std::string::npos || dash == 0) continue;
    if (rest.size() < 3 || rest.compare(rest.size() - 3, 3, ".h5") != 0) continue;  // .next/.spare
    generation = std::max(generation, std::atoi(rest.substr(0, dash).c_str()));
    found.push_back(output.parent_path() / name);
  }
  std::sort(found.begin(), found.end());
  return found;
}

// Rank 0: hands out the runs not yet in any shard, in batches, until every worker is told to stop.
void dispatch(const std::vector<std::uint64_t>& todo, int workers) {
  std::size_t next = 0;
  int stopped = 0;
  while (stopped < workers) {
    int dummy = 0;
    MPI_Status status;
    MPI_Recv(&dummy, 1, MPI_INT, MPI_ANY_SOURCE, request_tag, MPI_COMM_WORLD, &status);
    const std::size_t left = todo.size() - next;
    // Large batches early (less messaging), single runs at the end (balance).
    const std::size_t size = std::min<std::size_t>(
        left, std::clamp<std::size_t>(left / (4 * static_cast<std::size_t>(workers)), 1, 16));
    MPI_Send(todo.data() + next, static_cast<int>(size), MPI_UINT64_T, status.MPI_SOURCE, batch_tag,
             MPI_COMM_WORLD);
    next += size;
    if (size == 0) ++stopped;
  }
}

}  // namespace

bool mpi_launched() {
  // mpirun (Open MPI), PMI launchers, srun (SLURM) with more than one task.
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS"}) {
    if (const char* v = std::getenv(name)) return std::atoi(v) > 1;
  }
  return false;
}

int run_mpi(const std::string& label, std::ostream& err,
            const std::function<int(int rank, int workers)>& body) {
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int status = 0;
  try {
    status = body(rank, size - 1);
  } catch (const std::exception& e) {
    // Failures of single runs are recorded in /runs; this is a whole rank failing (bad input,
    // unwritable file), which the others cannot finish without.
    err << label << " (MPI rank " << rank << "): " << e.what() << "\n" << std::flush;
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  MPI_Finalize();
  return status;
}

int command_sweep_mpi(const SweepCommand& c, std::ostream& out, std::ostream& err) {
  return run_mpi("icsim sweep", err, [&](int rank, int workers) {
    int status = 0;
    const Sweep sweep = load_sweep(c.sweep_file);
    const fs::path output = c.output;
    if (rank == 0) {
      const OutputLock lock = lock_output(output, "sweep");  // before anything else looks at it
      if (fs::exists(output) && !c.resume && !c.overwrite)
        throw InputError(output.string() +
                         " already exists: pass --resume to continue its sweep, "
                         "or --overwrite to start again");
      // Runs already committed to a worker's shard (a resumed sweep) are not handed out again;
      // a fresh sweep removes the shards of an earlier one.
      int generation = 0;
      std::vector<fs::path> shards = existing_shards(output, generation);
      std::set<std::int64_t> done;
      for (const auto& p : shards) {
        fs::remove(SweepRecorder::working_path(p));  // left by a killed worker
        fs::remove(SweepRecorder::spare_path(p));
        if (c.resume) {
          for (auto r : SweepRecorder::recorded_runs(p)) done.insert(r);
        } else {
          fs::remove(p);
        }
      }
      if (!c.resume) shards.clear(), generation = 0;
      ++generation;
      for (int w = 1; w <= workers; ++w) shards.push_back(shard_path(output, generation, w));
      std::vector<std::uint64_t> todo;
      for (std::uint64_t r = 0; r < sweep.runs(); ++r)
        if (!done.count(static_cast<std::int64_t>(r))) todo.push_back(r);
      if (!c.quiet)
        out << "icsim sweep (MPI): " << sweep.source << ": " << sweep.runs() << " runs, "
            << done.size() << " already recorded; " << workers << " workers\n"
            << std::flush;
      MPI_Bcast(&generation, 1, MPI_INT, 0, MPI_COMM_WORLD);
      dispatch(todo, workers);
      std::uint64_t totals[2] = {0, 0}, mine[2] = {0, 0};
      MPI_Reduce(mine, totals, 2, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
      std::vector<fs::path> present;
      for (const auto& p : shards)
        if (fs::exists(p)) present.push_back(p);
      const MergeResult m = merge_sweeps(present, output, c.command_line);
      if (totals[1])
        err << "icsim sweep: " << totals[1] << " of " << totals[0]
            << " runs failed; their status and message are in /runs\n";
      if (!c.quiet)
        out << "icsim sweep: wrote " << output.string() << ": " << m.runs << "/" << m.expected
            << " runs (" << totals[0] << " now) from " << present.size() << " worker shards\n";
      if (m.runs != m.expected) status = 1;
    } else {
      int generation = 0;
      MPI_Bcast(&generation, 1, MPI_INT, 0, MPI_COMM_WORLD);
      SweepOptions o;
      o.output = shard_path(output, generation, rank);
      o.shard = Shard{static_cast<std::uint64_t>(rank), static_cast<std::uint64_t>(workers),
                      "MPI rank " + std::to_string(rank)};
      o.overwrite = true;  // a new shard each time (rank 0 has removed or kept the old ones)
      o.commit_interval = c.commit_interval;
      o.command_line = c.command_line;
      o.progress = ProgressStyle::quiet;
      std::deque<std::uint64_t> batch;
      bool finished = false;
      o.next_run = [&](std::uint64_t& run) {
        if (batch.empty() && !finished) {
          int dummy = 0;
          MPI_Send(&dummy, 1, MPI_INT, 0, request_tag, MPI_COMM_WORLD);
          MPI_Status st;
          MPI_Probe(0, batch_tag, MPI_COMM_WORLD, &st);
          int n = 0;
          MPI_Get_count(&st, MPI_UINT64_T, &n);
          std::vector<std::uint64_t> got(static_cast<std::size_t>(n));
          MPI_Recv(got.data(), n, MPI_UINT64_T, 0, batch_tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
          if (n == 0) finished = true;
          batch.insert(batch.end(), got.begin(), got.end());
        }
        if (batch.empty()) return false;
        run = batch.front();
        batch.pop_front();
        return true;
      };
      const SweepResult r = run_sweep(sweep, o);
      std::uint64_t mine[2] = {r.ran, r.failed};
      MPI_Reduce(mine, nullptr, 2, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
    }
    return status;
  });
}

}  // namespace icsim
