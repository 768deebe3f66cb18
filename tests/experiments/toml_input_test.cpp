// Issue 15, items 4, 5, 7 and 9: every TOML input (scenario, sweep file) is read as a regular file
// of bounded size, nested within bounds the parser and the readers can take.
#include "experiments/toml_input.hpp"

#include <catch2/catch.hpp>

#include "experiments/scenario.hpp"
#include "experiments/sweep.hpp"
#include "tests/experiments/sweep_support.hpp"

using namespace icsim;

TEST_CASE("toml input: a sweep file's [set] and [axes] are bounded like a scenario's",
          "[toml_input]") {
  std::string key = "a";
  for (int i = 1; i < 20'000; ++i) key += ".a";
  for (const std::string table : {"set", "axes"}) {
    INFO(table);
    const auto path = test::write_file("deep-" + table + ".toml", "[" + table + "." + key + "]\n");
    const auto r = test::cli({"sample", path.string()});
    CHECK(r.code == 2);
    CHECK(r.err == "icsim: error: " + path.string() + ":1: a key of more than 32 dotted parts\n");
  }
}

TEST_CASE("toml input: a sweep file that is a directory - a device or too large is refused",
          "[toml_input]") {
  const auto directory = test::cli({"sample", test::sweep_folder().string()});
  CHECK(directory.code == 2);
  CHECK(directory.err.find("a directory, not a file icsim reads") != std::string::npos);
  CHECK(test::cli({"sample", "/dev/zero"}).code == 2);
  const auto large = test::write_file("large.toml", "# " + std::string(max_toml_bytes, 'x'));
  const auto r = test::cli({"sample", large.string()});
  CHECK(r.code == 2);
  CHECK(r.err.find(": 16777218 bytes, more than the 16 MiB this file may have") !=
        std::string::npos);
}

TEST_CASE("toml input: a sweep's scenario whose bases loop is refused - naming the file and key",
          "[toml_input]") {
  test::write_file("sweep-loop-a.toml", "base = \"sweep-loop-b.toml\"\n");
  test::write_file("sweep-loop-b.toml", "base = \"sweep-loop-a.toml\"\n");
  const auto sweep = test::write_file("loop-sweep.toml", "scenario = \"sweep-loop-a.toml\"\n");
  const auto r = test::cli({"sample", sweep.string()});
  CHECK(r.code == 2);
  CHECK(test::line_count(r.err) == 1);
  CHECK(r.err.find("a base of itself") != std::string::npos);
  const auto missing = test::write_file("missing-sweep.toml", "\nscenario = \"\"\n");
  CHECK(test::cli({"sample", missing.string()}).err ==
        "icsim: error: " + missing.string() +
            ":2: key 'scenario': empty; expected a shipped scenario name or a path\n");
}

TEST_CASE("toml input: parse_toml counts dots in keys only - not in strings - comments or numbers",
          "[toml_input]") {
  const std::string many_dots(200, '.');
  CHECK_NOTHROW(parse_toml("a = \"" + many_dots + "\"\nb = '" + many_dots + "'\n# " + many_dots +
                               "\nc = \"\"\"\n" + many_dots + "\n\"\"\"\nd = [1.5, 2.5, 3.5]\n" +
                               "e = 1979-05-27T07:32:00.999\n",
                           "dots.toml"));
  std::string deep = "x";
  for (int i = 0; i < 31; ++i) deep += ".x";
  CHECK_NOTHROW(parse_toml(deep + " = 1\n", "32-parts.toml"));
  CHECK_THROWS_WITH(parse_toml("\n\n" + deep + ".x = 1\n", "33-parts.toml"),
                    Catch::Equals("33-parts.toml:3: a key of more than 32 dotted parts"));
  CHECK_THROWS_WITH(parse_toml("x = " + std::string(33, '[') + std::string(33, ']'), "b.toml"),
                    Catch::Contains("nested more than 32 deep"));
}
