// libFuzzer harness: edge-list files, parsed and, when small enough to hold, built into a graph.
#include <cstdint>
#include <string_view>

#include "network/csv.hpp"
#include "network/edge_list.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    icsim::EdgeListFile file = icsim::parse_edge_list(text, "fuzz.csv");
    // The memory check refuses larger graphs before they are built (experiments/memory.hpp).
    if (file.nodes <= (1u << 20)) (void)icsim::RelationshipGraph(file.nodes, std::move(file.edges));
  } catch (const icsim::DataError&) {
  }
  return 0;
}
