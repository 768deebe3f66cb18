#include "experiments/cli.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agents/metrics.hpp"
#include "agents/parameters.hpp"

using namespace icsim;

namespace {
struct Result {
  int code;
  std::string out, err;
};
Result cli(std::vector<std::string> args) {
  std::ostringstream out, err;
  const int code = run_cli(args, out, err);
  return {code, out.str(), err.str()};
}
std::filesystem::path temp(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("icsim-cli-" + name);
}
int lines(const std::string& text) {
  return int(std::count(text.begin(), text.end(), '\n'));
}
}  // namespace

TEST_CASE("icsim run writes the output and prints the yearly summary", "[cli]") {
  const auto out = temp("run.h5");
  const auto r = cli({"run", "--years", "3", "-o", out.string()});
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  CHECK(r.out.find("systems met") != std::string::npos);
  CHECK(r.out.find("2021") != std::string::npos);
  CHECK(std::filesystem::exists(out));
  std::filesystem::remove(out);
}

TEST_CASE("bad input gets a one-line error naming the file and key, exit 2", "[cli]") {
  const auto bad = temp("bad.toml");
  SECTION("unknown key") {
    std::ofstream(bad) << "[policy]\nredistributon = \"need\"\n";
    const auto r = cli({"check", bad.string()});
    CHECK(r.code == 2);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.find(bad.string() + ":2: unknown key 'policy.redistributon'") != std::string::npos);
  }
  SECTION("malformed TOML") {
    std::ofstream(bad) << "[policy]\npsf = = 3\n";
    const auto r = cli({"run", bad.string(), "-o", temp("never.h5").string()});
    CHECK(r.code == 2);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.find("malformed TOML") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(temp("never.h5")));
  }
  SECTION("value out of range") {
    const auto r =
        cli({"run", "--set", "policy.system_tied_share=1.5", "-o", temp("never.h5").string()});
    CHECK(r.code == 2);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.find("policy.system_tied_share") != std::string::npos);
    CHECK(r.err.find("[0, 1]") != std::string::npos);
  }
  SECTION("unwritable output") {
    const auto r = cli({"run", "-o", "/nonexistent-dir/out.h5"});
    CHECK(r.code == 2);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.find("/nonexistent-dir/out.h5") != std::string::npos);
  }
  SECTION("unknown option") {
    const auto r = cli({"run", "--frobnicate"});
    CHECK(r.code == 2);
    CHECK(lines(r.err) == 1);
  }
  std::filesystem::remove(bad);
}

TEST_CASE("a failed write keeps an existing output file intact", "[cli]") {
  const auto out = temp("keep.h5");
  std::ofstream(out) << "precious";
  const auto r = cli({"run", "--set", "run.years=0", "-o", out.string()});
  CHECK(r.code == 2);
  std::ifstream in(out);
  std::string text;
  in >> text;
  CHECK(text == "precious");
  std::filesystem::remove(out);
}

TEST_CASE("describe lists every parameter with unit and range; check validates", "[cli]") {
  const auto r = cli({"describe"});
  CHECK(r.code == 0);
  for (const auto& spec : registry()) {
    INFO(spec.name);
    CHECK(r.out.find(spec.name + " = ") != std::string::npos);
    CHECK(r.out.find("[" + spec.unit + "; " + spec.allowed() + "]") != std::string::npos);
  }
  const auto metrics = cli({"describe", "--metrics"});
  CHECK(metrics.out.find("/timeseries/system/integration_index") != std::string::npos);
  std::size_t headlines = 0, marked = 0;
  for (const auto& m : icsim::metrics()) headlines += m.role == Role::headline;
  for (auto at = metrics.out.find("(headline)"); at != std::string::npos;
       at = metrics.out.find("(headline)", at + 1))
    ++marked;
  CHECK(marked == headlines);
  const auto ok = cli({"check", "england-2020"});
  CHECK(ok.code == 0);
  CHECK(ok.out.find("ok") != std::string::npos);
  const auto version = cli({"--version"});
  CHECK(version.code == 0);
  CHECK(version.out.find("icsim") != std::string::npos);
}
