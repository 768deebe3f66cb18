// libFuzzer harness: scenario files (TOML), as `icsim check` reads them. Any exception but the
// one-line InputError, and any crash, is a finding.
#include <cstdint>
#include <string_view>

#include "experiments/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const icsim::Scenario s = icsim::parse_scenario(text, "fuzz.toml");
    icsim::check_model_settings(s);
    (void)icsim::to_toml(s.params);
  } catch (const icsim::InputError&) {
  }
  return 0;
}
