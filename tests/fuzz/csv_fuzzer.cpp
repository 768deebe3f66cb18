// libFuzzer harness: the population's CSV reader (data/england): quoting, field counts, and
// cells read as numbers.
#include <cstdint>
#include <string_view>

#include "network/csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const icsim::CsvTable table("fuzz.csv", text, {});
    for (std::size_t row = 0; row < table.size(); ++row)
      for (const char* column : {"registered_patients", "population", "beds", "trust_share_of_la"})
        try {
          (void)table.number(row, column);
        } catch (const icsim::DataError&) {  // no such column, or not a number
        }
  } catch (const icsim::DataError&) {
  }
  return 0;
}
