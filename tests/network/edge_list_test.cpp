#include "network/edge_list.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "network/csv.hpp"

using namespace icsim;

namespace {
std::string error_of(const std::string& text) {
  try {
    parse_edge_list(text, "edges.csv");
  } catch (const DataError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("Edge lists: header - comments - blank lines - spaces and CRLF", "[edge_list]") {
  const EdgeListFile f =
      parse_edge_list("source,target\r\n# a comment\r\n0, 1\r\n\r\n 1 ,4\n4,0\n0,1", "edges.csv");
  CHECK(f.nodes == 5);  // largest id + 1; nodes 2 and 3 are isolated
  CHECK(f.edges.size() == 4);
  CHECK(f.edges.source[1] == 1);
  CHECK(f.edges.target[1] == 4);
  const RelationshipGraph g(f.nodes, f.edges);
  CHECK(g.edge_count() == 3);                       // 0-1 twice is one edge
  CHECK(parse_edge_list("2,3\n", "x").nodes == 4);  // the header is optional
}

TEST_CASE("Edge lists: a bad line is named by file and line", "[edge_list]") {
  CHECK(error_of("source,target\n0,1\n1,2,3\n") ==
        "edges.csv:3: expected 2 fields 'source,target', found 3 in '1,2,3'");
  CHECK(error_of("source,target\n0\n") ==
        "edges.csv:2: expected 2 fields 'source,target', found 1 in '0'");
  CHECK(error_of("0,1\nx,2\n") ==
        "edges.csv:2: source 'x' is not a node id (a whole number from 0 to 4294967294)");
  CHECK(error_of("0,-1\n") ==
        "edges.csv:1: target '-1' is not a node id (a whole number from 0 to 4294967294)");
  CHECK(error_of("0,1.5\n") ==
        "edges.csv:1: target '1.5' is not a node id (a whole number from 0 to 4294967294)");
  CHECK(error_of("0,4294967295\n") ==
        "edges.csv:1: target '4294967295' is not a node id (a whole number from 0 to "
        "4294967294)");
  CHECK(error_of("# x\n3,3\n") == "edges.csv:2: self loop on node 3");
  CHECK(error_of("from,to\n0,1\n") ==
        "edges.csv:1: the header must be 'source,target', found "
        "'from,to'");
  CHECK(error_of("source,target\n") == "edges.csv: no edges");
  CHECK(error_of("") == "edges.csv: no edges");
}

TEST_CASE("Edge lists: files are read - and a missing one is named", "[edge_list]") {
  const auto path = std::filesystem::temp_directory_path() / "icsim_edge_list_test.csv";
  std::ofstream(path) << "source,target\n0,1\n1,2\n";
  CHECK(load_edge_list(path).nodes == 3);
  std::filesystem::remove(path);
  CHECK_THROWS_WITH(load_edge_list(path), path.string() + ": no such file");
}

// Issue 15, item 12: what is quoted from a file is shown, not sent to the terminal raw.
TEST_CASE("Edge lists: bytes quoted in errors are escaped and cut short", "[edge_list]") {
  CHECK(error_of(std::string("\x1b[2J\xff,\x01\n")) ==
        "edges.csv:1: the header must be 'source,target', found '\\x1b[2J\\xff,\\x01'");
  const std::string error = error_of(std::string(10000, 'x') + ",y\n");
  CHECK(error.size() < 200);
  CHECK(error.find("...") != std::string::npos);
}

TEST_CASE("Edge lists: a directory - a device or a FIFO is refused - not read", "[edge_list]") {
  CHECK_THROWS_WITH(load_edge_list("/dev/zero"),
                    Catch::Equals("/dev/zero: a device, not a file icsim reads"));
  CHECK_THROWS_WITH(load_edge_list(std::filesystem::temp_directory_path()),
                    Catch::Contains("a directory"));
}
