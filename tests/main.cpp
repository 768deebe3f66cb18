// Catch2's main, after the set-up icsim's own main() does (experiments/cli.hpp): tests that fill
// a disk leave HDF5 files that cannot be closed, as the program would.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "output/hdf5.hpp"

int main(int argc, char** argv) {
  icsim::h5::skip_cleanup_at_exit();
  return Catch::Session().run(argc, argv);
}
