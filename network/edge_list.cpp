#include "network/edge_list.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

#include "network/csv.hpp"
#include "network/input_file.hpp"

namespace icsim {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool is_node_id(std::string_view field, std::uint32_t& id) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (error != std::errc() || end != field.data() + field.size() || field.empty() ||
      value > 0xFFFFFFFEull)
    return false;
  id = static_cast<std::uint32_t>(value);
  return true;
}

bool equals_lower(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == y;
         });
}

}  // namespace

EdgeListFile parse_edge_list(std::string_view text, const std::string& label) {
  EdgeListFile out;
  std::uint64_t nodes = 0;
  bool first = true;
  std::size_t line = 0;
  while (!text.empty()) {
    ++line;
    const std::size_t end = std::min(text.find('\n'), text.size());
    const std::string_view record = trim(text.substr(0, end));
    text.remove_prefix(std::min(end + 1, text.size()));
    if (record.empty() || record.front() == '#') continue;
    const auto where = [&] { return label + ":" + std::to_string(line) + ": "; };
    const std::size_t comma = record.find(',');
    const std::size_t fields =
        1 + static_cast<std::size_t>(std::count(record.begin(), record.end(), ','));
    if (fields != 2)
      throw DataError(where() + "expected 2 fields 'source,target', found " +
                      std::to_string(fields) + " in '" + printable(record) + "'");
    const std::string_view source = trim(record.substr(0, comma)),
                           target = trim(record.substr(comma + 1));
    std::uint32_t s = 0, t = 0;
    const bool source_ok = is_node_id(source, s), target_ok = is_node_id(target, t);
    if (first && !source_ok && !target_ok) {
      if (!equals_lower(source, "source") || !equals_lower(target, "target"))
        throw DataError(where() + "the header must be 'source,target', found '" +
                        printable(record) + "'");
      first = false;
      continue;
    }
    first = false;
    if (!source_ok || !target_ok)
      throw DataError(
          where() + (source_ok ? "target '" + printable(target) : "source '" + printable(source)) +
          "' is not a node id (a whole number from 0 to 4294967294)");
    if (s == t) throw DataError(where() + "self loop on node " + std::to_string(s));
    out.edges.add(s, t, EdgeKind::partnership, 0.0);
    nodes = std::max<std::uint64_t>(nodes, std::uint64_t{std::max(s, t)} + 1);
  }
  if (out.edges.size() == 0) throw DataError(label + ": no edges");
  out.nodes = static_cast<std::uint32_t>(nodes);
  return out;
}

EdgeListFile load_edge_list(const std::filesystem::path& path) {
  // Its size is bounded by the memory check before the run (experiments/memory.hpp).
  return parse_edge_list(read_input_file(path, std::numeric_limits<std::uintmax_t>::max()),
                         path.string());
}

}  // namespace icsim
