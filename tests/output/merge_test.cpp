#include "output/merge.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "experiments/embedded.hpp"
#include "experiments/sweep.hpp"
#include "icsim/version.hpp"
#include "output/temporary.hpp"
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

TEST_CASE("merge: shards 1/3 - 2/3 and 3/3 merged equal the unsharded sweep", "[merge]") {
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

TEST_CASE("merge: refuses shards of another sweep - or the same runs twice - in one line",
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

// Issue 15, items 2, 11 and 13: shards that do not fit together, or files that are not what they
// say, are refused in one line before anything is read into a buffer sized from another shard.
namespace {
struct Shards {
  fs::path first, second;
};
// Two shards of one tiny sweep with system series, made once per test process.
Shards two_shards() {
  static const Shards shards = [] {
    const Sweep s =
        parse_sweep(test::tiny_sweep(R"(["summary", "national", "system"])", 2), "mutated.toml");
    return Shards{run_shard(s, "m-1.h5", {1, 2, "--shard"}),
                  run_shard(s, "m-2.h5", {2, 2, "--shard"})};
  }();
  return shards;
}

// A copy of `shard` named `name`, changed by `change(file)`.
template <class Change>
fs::path mutated(const fs::path& shard, const std::string& name, const Change& change) {
  const auto copy = test::sweep_folder() / name;
  fs::copy_file(shard, copy, fs::copy_options::overwrite_existing);
  const h5::Handle file = h5::open_file(copy.string(), true);
  change(file.get());
  return copy;
}

// The first dataset under `group` of rank `rank`.
std::string dataset_of_rank(hid_t file, const std::string& group, int rank) {
  for (const auto& name : test::dataset_paths(h5::open_group(file, group))) {
    const auto path = group + "/" + name;
    if (static_cast<int>(h5::shape(file, path).size()) == rank) return path;
  }
  return {};
}

// Replaces `path` by a chunked dataset of `type` and extent `dims`, filled with zeros (or, with
// `write` false, with no chunk written at all).
void replace(hid_t file, const std::string& path, hid_t type, std::vector<hsize_t> dims,
             bool write = true) {
  H5Ldelete(file, path.c_str(), H5P_DEFAULT);
  h5::Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  h5::Handle chunked(H5Pcreate(H5P_DATASET_CREATE));
  H5Pset_chunk(chunked, static_cast<int>(dims.size()), dims.data());
  h5::Handle set(H5Dcreate2(file, path.c_str(), type, space, H5P_DEFAULT, chunked, H5P_DEFAULT));
  if (!write) return;
  hsize_t n = 1;
  for (const auto d : dims) n *= d;
  std::vector<double> zeros(n * 2);
  H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros.data());
}

test::CliResult merge(const fs::path& a, const fs::path& b, const std::string& out) {
  return test::cli(
      {"merge", "-q", "-o", (test::sweep_folder() / out).string(), a.string(), b.string()});
}

void check_refused(const test::CliResult& r, const std::string& out, const std::string& words) {
  INFO(r.err);
  CHECK(r.code == 2);
  CHECK(test::line_count(r.err) == 1);
  CHECK(r.err.find(words) != std::string::npos);
  CHECK_FALSE(fs::exists(test::sweep_folder() / out));
  for (const auto& entry : fs::directory_iterator(test::sweep_folder()))
    CHECK(entry.path().filename().string().find(".partial-") == std::string::npos);
}
}  // namespace

TEST_CASE("merge: a shard whose system series are wider is refused - not read past a buffer",
          "[merge]") {
  const auto [first, second] = two_shards();
  std::string path;
  const auto wide = mutated(second, "wide.h5", [&](hid_t file) {
    path = dataset_of_rank(file, "/timeseries/system", 3);
    REQUIRE_FALSE(path.empty());
    auto dims = h5::shape(file, path);
    dims[2] += 5;
    replace(file, path, H5T_NATIVE_DOUBLE, dims);
  });
  check_refused(merge(first, wide, "wide-merged.h5"), "wide-merged.h5", wide.string() + ":" + path);
  // In the other order too: the wider shard first.
  check_refused(merge(wide, first, "wide-first.h5"), "wide-first.h5", first.string() + ":" + path);
}

TEST_CASE("merge: a shard whose dataset has another type or too few rows is refused", "[merge]") {
  const auto [first, second] = two_shards();
  std::string path;
  const auto typed = mutated(second, "typed.h5", [&](hid_t file) {
    path = dataset_of_rank(file, "/summary", 1);
    REQUIRE_FALSE(path.empty());
    replace(file, path, H5T_NATIVE_INT32, h5::shape(file, path));
  });
  check_refused(merge(first, typed, "typed-merged.h5"), "typed-merged.h5", "of another type");
  const auto short_rows = mutated(second, "short.h5", [&](hid_t file) {
    auto dims = h5::shape(file, path);
    dims[0] -= 1;
    replace(file, path, H5T_NATIVE_DOUBLE, dims);
  });
  check_refused(merge(first, short_rows, "short-merged.h5"), "short-merged.h5",
                "a row per run of its /runs/run");
  // HDF5 reads a compact or contiguous dataset whose stored size is corrupted past its buffers.
  const auto contiguous = mutated(second, "contiguous.h5", [&](hid_t file) {
    const auto dims = h5::shape(file, path);
    H5Ldelete(file, path.c_str(), H5P_DEFAULT);
    h5::Handle space(H5Screate_simple(1, dims.data(), nullptr));
    h5::Handle set(H5Dcreate2(file, path.c_str(), H5T_NATIVE_DOUBLE, space, H5P_DEFAULT,
                              H5P_DEFAULT, H5P_DEFAULT));
  });
  check_refused(merge(first, contiguous, "contiguous-merged.h5"), "contiguous-merged.h5",
                "not chunked");
  // A dataset whose rows were never written reads as fill values, however many it claims.
  const auto unwritten = mutated(second, "unwritten.h5", [&](hid_t file) {
    replace(file, path, H5T_NATIVE_DOUBLE, h5::shape(file, path), false);
  });
  check_refused(merge(first, unwritten, "unwritten-merged.h5"), "unwritten-merged.h5",
                "0 chunks stored of the 1 its extent needs");
}

TEST_CASE("merge: a group linked into itself is refused at once - not walked forever", "[merge]") {
  const auto [first, second] = two_shards();
  const auto cycle = mutated(first, "cycle.h5", [](hid_t file) {
    REQUIRE(H5Lcreate_hard(file, "/summary", file, "/summary/loop", H5P_DEFAULT, H5P_DEFAULT) >= 0);
  });
  check_refused(merge(cycle, second, "cycle-merged.h5"), "cycle-merged.h5",
                "links to an object seen already");
}

TEST_CASE("merge: a run count attribute that is not a whole number of runs is refused", "[merge]") {
  const auto [first, second] = two_shards();
  const auto negative = mutated(first, "negative.h5", [](hid_t file) {
    h5::set_attribute(file, "runs_total", std::int64_t{-1});
  });
  check_refused(merge(negative, second, "negative-merged.h5"), "negative-merged.h5",
                "runs_total is negative");
}

TEST_CASE("merge: the sweep fingerprint covers the program version and the embedded data",
          "[merge]") {
  const Sweep s = parse_sweep(test::tiny_sweep("[\"summary\"]", 2), "print.toml");
  const std::string canonical = s.canonical();
  CHECK(canonical.find(std::string("\nprogram = icsim ") + version + "\n") != std::string::npos);
  const std::string data(embedded::hash());
  CHECK(data.size() == 16);
  CHECK(data.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(canonical.find("\ndata = " + data + "\n") != std::string::npos);
}

TEST_CASE("merge: SIGTERM in the middle of a merge leaves no temporary file", "[merge]") {
  const auto [first, second] = two_shards();
  const auto out = test::sweep_folder() / "terminated.h5";
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {  // as icsim's main() does, then a signal half-way through the datasets
    install_signal_cleanup();
    merge_sweeps({first, second}, out, "icsim merge", [](std::size_t done, std::size_t all) {
      if (2 * done >= all) ::raise(SIGTERM);
    });
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGTERM);
  CHECK_FALSE(fs::exists(out));
  fs::path temporary = out;
  temporary += ".partial-" + std::to_string(child);
  CHECK_FALSE(fs::exists(temporary));
}
