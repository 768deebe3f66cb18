// libFuzzer harness: sweep files (TOML), as `icsim sample` reads them, with the design's first
// and last runs and the memory a sweep of them would need.
#include <cstdint>
#include <string_view>

#include "experiments/memory.hpp"
#include "experiments/scenario.hpp"
#include "experiments/sweep.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const icsim::Sweep sweep = icsim::parse_sweep(text, "fuzz-sweep.toml");
    (void)sweep.fingerprint();
    for (const std::uint64_t run : {std::uint64_t{0}, sweep.runs() - 1})
      (void)icsim::run_params(sweep, icsim::run_spec(sweep, run));
    (void)icsim::sweep_memory_refusal(sweep, 2, 1ull << 30, "fuzz");
  } catch (const icsim::InputError&) {
  }
  return 0;
}
