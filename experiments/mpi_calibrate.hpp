// Calibration over MPI ranks (built only with -DICSIM_MPI=ON).
//
// `mpirun -n K icsim calibrate CALIBRATION.toml -o POSTERIOR.h5`: rank 0 runs ABC-SMC as without
// MPI (proposals, acceptance, the working file and the posterior file) and hands each batch's
// runs to the K - 1 workers in equal slices; a worker simulates its slice on its node's cores and
// sends the targets' values back. Which rank ran a run changes nothing in its result (its seed
// comes from its attempt), so the posterior equals the one without MPI, as kill -9 and --resume
// work as without MPI.
#pragma once

#include <iosfwd>

namespace icsim {

struct CalibrateCommand;

// The calibrate subcommand under MPI (every rank calls it; rank 0 prints).
int command_calibrate_mpi(const CalibrateCommand& command, std::ostream& out, std::ostream& err);

}  // namespace icsim
