// Edge-list files for the classic models: CSV lines `source,target` of whole-number node ids
// (0-based), an optional `source,target` header, blank lines and `#` comments allowed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "network/graph.hpp"

namespace icsim {

struct EdgeListFile {
  std::uint32_t nodes = 0;  // largest id + 1: ids that never appear are isolated nodes
  EdgeList edges;           // as listed; duplicates are merged when the graph is built
};

// Throws DataError "LABEL:LINE: what is wrong" for the first bad line (wrong field count, an id
// that is not a whole number in [0, 4294967294], a self loop) and "LABEL: no edges" for none.
EdgeListFile parse_edge_list(std::string_view text, const std::string& label);
// Reads and parses a file; errors name the path as given.
EdgeListFile load_edge_list(const std::filesystem::path& path);

}  // namespace icsim
