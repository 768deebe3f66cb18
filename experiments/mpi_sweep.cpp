// See mpi_sweep.hpp.
#include "experiments/mpi_sweep.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <exception>
#include <filesystem>
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

fs::path shard_path(const fs::path& output, int worker, int workers) {
  fs::path p = output;
  p.replace_extension();
  return p.string() + ".mpi-" + std::to_string(worker) + "-of-" + std::to_string(workers) + ".h5";
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
    MPI_Send(todo.data() + next, static_cast<int>(size), MPI_UINT64_T, status.MPI_SOURCE,
             batch_tag, MPI_COMM_WORLD);
    next += size;
    if (size == 0) ++stopped;
  }
}

}  // namespace

bool mpi_launched() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"}) {
    if (const char* v = std::getenv(name)) return std::atoi(v) > 1;
  }
  return false;
}

int command_sweep_mpi(const SweepCommand& c, std::ostream& out, std::ostream& err) {
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int workers = size - 1;
  int status = 0;
  try {
    const Sweep sweep = load_sweep(c.sweep_file);
    const fs::path output = c.output;
    if (rank == 0) {
      if (fs::exists(output) && !c.resume && !c.overwrite)
        throw InputError(output.string() + " already exists: pass --resume to continue its sweep, "
                                           "or --overwrite to start again");
      // Runs already committed to a worker's shard (a resumed sweep) are not handed out again.
      std::set<std::int64_t> done;
      std::vector<fs::path> shards;
      for (int w = 1; w <= workers; ++w) {
        const fs::path p = shard_path(output, w, workers);
        shards.push_back(p);
        if (c.resume && fs::exists(p))
          for (auto r : SweepRecorder::recorded_runs(p)) done.insert(r);
      }
      std::vector<std::uint64_t> todo;
      for (std::uint64_t r = 0; r < sweep.runs(); ++r)
        if (!done.count(static_cast<std::int64_t>(r))) todo.push_back(r);
      if (!c.quiet)
        out << "icsim sweep (MPI): " << sweep.source << ": " << sweep.runs() << " runs, "
            << done.size() << " already recorded; " << workers << " workers\n" << std::flush;
      int ok = 1;
      MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
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
      int ok = 0;
      MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
      SweepOptions o;
      o.output = shard_path(output, rank, workers);
      o.shard = Shard{static_cast<std::uint64_t>(rank), static_cast<std::uint64_t>(workers),
                      "MPI rank " + std::to_string(rank)};
      o.resume = c.resume;
      o.overwrite = !c.resume || c.overwrite;  // a fresh MPI sweep replaces stale worker shards
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
  } catch (const std::exception& e) {
    // Failures of single runs are recorded in /runs by run_sweep; this is a whole rank failing
    // (bad input, unwritable file), which the others cannot finish without.
    err << "icsim sweep (MPI rank " << rank << "): " << e.what() << "\n" << std::flush;
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  MPI_Finalize();
  return status;
}

}  // namespace icsim
