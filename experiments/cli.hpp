// The icsim command line (run, describe, check, ...): a thin layer over icsim::core.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace icsim {

// Runs the command line; returns the exit code (0 ok, 2 bad input, 1 other failure).
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace icsim
