// The icsim executable: a thin CLI over icsim::core.
#include <iostream>
#include <string>
#include <vector>

#include "experiments/cli.hpp"

int main(int argc, char** argv) {
  icsim::prepare_process();
  return icsim::run_cli(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
}
