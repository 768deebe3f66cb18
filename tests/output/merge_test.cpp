#include "output/merge.hpp"

#include <catch2/catch.hpp>

#include "experiments/sweep.hpp"
#include "tests/experiments/sweep_support.hpp"
#include "tests/output/h5_compare.hpp"

using namespace icsim;
namespace fs = std::filesystem;

namespace {
fs::path run_shard(const Sweep& sweep, const std::string& name, Shard shard) {
  SweepOptions o;
  o.output = test::sweep_folder() / name;
  o.shard = std::move(shard);
  o.overwrite = true;
  run_sweep(sweep, o);
  return o.output;
}
}  // namespace

TEST_CASE("merge: shards 1/3, 2/3 and 3/3 merged equal the unsharded sweep", "[merge]") {
  const Sweep s = parse_sweep(
      test::tiny_sweep(R"(["summary", "national", "system", "organisation"])", 4), "s.toml");
  const auto whole = run_shard(s, "whole.h5", {});
  std::vector<fs::path> shards;
  for (std::uint64_t i = 1; i <= 3; ++i)
    shards.push_back(run_shard(s, "shard-" + std::to_string(i) + ".h5", {i, 3, "--shard"}));
  CHECK(test::recorded_rows(shards[0]) == 3);  // runs 0, 3, 6
  CHECK(test::recorded_rows(shards[2]) == 2);  // runs 2, 5
  const auto merged = test::sweep_folder() / "merged.h5";
  // In any order of the arguments.
  const MergeResult r = merge_sweeps({shards[2], shards[0], shards[1]}, merged, "icsim merge");
  CHECK(r.runs == 8);
  CHECK(r.expected == 8);
  const auto differences = test::dataset_differences(whole.string(), merged.string());
  for (const auto& d : differences) INFO(d);
  CHECK(differences.empty());
  const h5::Handle file = h5::open_file(merged.string(), false);
  CHECK(h5::number_attribute(file, "shard_count") == 1.0);
  CHECK(h5::string_attribute(file, "fingerprint") == s.fingerprint());
}

TEST_CASE("merge: refuses shards of another sweep, or the same runs twice, in one line",
          "[merge]") {
  const Sweep a = parse_sweep(test::tiny_sweep("[\"summary\"]", 3), "a.toml");
  const Sweep b = parse_sweep(test::tiny_sweep("[\"summary\"]", 4), "b.toml");
  REQUIRE(a.fingerprint() != b.fingerprint());
  const auto a1 = run_shard(a, "a-1.h5", {1, 2, "--shard"});
  const auto b2 = run_shard(b, "b-2.h5", {2, 2, "--shard"});
  const auto out = (test::sweep_folder() / "refused.h5").string();
  const auto foreign = test::cli({"merge", "-o", out, a1.string(), b2.string()});
  CHECK(foreign.code == 2);
  CHECK(test::line_count(foreign.err) == 1);
  CHECK(foreign.err.find(b2.string() + " is a shard of a different sweep than " + a1.string()) !=
        std::string::npos);
  CHECK(foreign.err.find("fingerprint") != std::string::npos);
  const auto twice = test::cli({"merge", "-o", out, a1.string(), a1.string()});
  CHECK(twice.code == 2);
  CHECK(twice.err.find("is in both") != std::string::npos);
  const auto not_sweep = test::write_file("not-a-sweep.h5", "plain text");
  CHECK(test::cli({"merge", "-o", out, not_sweep.string()}).code == 2);
  CHECK_FALSE(fs::exists(out));
  // A missing shard is a warning: the merge keeps what it has.
  const auto partial = test::cli({"merge", "-o", out, a1.string()});
  CHECK(partial.code == 0);
  CHECK(partial.err.find("warning: 3 of the sweep's 6 runs are in none of the shards") !=
        std::string::npos);
  CHECK(test::recorded_rows(out) == 3);
}
