// Distributed sweeps with MPI (issue 8; built only with -DICSIM_MPI=ON).
//
// `mpirun -n K icsim sweep SWEEP.toml -o OUT.h5`: rank 0 hands out batches of run indices as
// workers ask (dynamic, so slow corners of the design do not idle the others); each worker runs
// its batches with TBB inside its node and records them in its own shard next to OUT.h5
// (OUT.mpi-G-W.h5, G counting --resume runs, through the crash-safe, resumable SweepRecorder); at
// the end rank 0 merges the shards into OUT.h5 (merge_sweeps), so the data equal the sweep run
// without MPI.
//
// Why shards and not parallel HDF5: parallel HDF5 needs libhdf5-openmpi-dev (a different HDF5
// build than the default one), collective metadata operations (every rank must take part in
// every dataset extension, which defeats dynamic hand-out of runs of unequal length) and gives
// up the recorder's commit protocol that survives kill -9 and lets --resume continue. Shards
// reuse that writer unchanged and the merge streams them in run order.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>

namespace icsim {

struct SweepCommand;

// True when this process was started by mpirun/srun with more than one rank.
bool mpi_launched();
// Initialises MPI, calls `body(rank, workers)` (workers: the ranks but 0), and finalises; an
// exception from any rank is printed after `label` and aborts every rank with exit code 2.
int run_mpi(const std::string& label, std::ostream& err,
            const std::function<int(int rank, int workers)>& body);
// The sweep subcommand under MPI (every rank calls it; rank 0 prints the summary).
int command_sweep_mpi(const SweepCommand& command, std::ostream& out, std::ostream& err);

}  // namespace icsim
