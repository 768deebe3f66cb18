// libFuzzer harness: calibration files (TOML), as `icsim calibrate` reads them before any run:
// the priors, ties, targets (rows of targets.csv included), the ABC settings, the scenario they
// name and the problem's fingerprint.
#include <cstdint>
#include <string_view>

#include "experiments/calibration.hpp"
#include "experiments/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const icsim::Calibration c = icsim::parse_calibration(text, "fuzz-calibration.toml");
    (void)c.problem.fingerprint();
    (void)c.problem.priors();
  } catch (const icsim::InputError&) {
  }
  return 0;
}
