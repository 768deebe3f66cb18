// The icsim command line (run, describe, check, ...): a thin layer over icsim::core.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace icsim {

// Runs the command line; returns the exit code (0 ok, 2 bad input, 1 other failure).
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// For the icsim program's main(), first: SIGINT, SIGTERM and SIGHUP remove the temporary file
// being written, and a file that a full disk left unclosable does not crash the exit.
void prepare_process();

}  // namespace icsim
