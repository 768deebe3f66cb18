#include "experiments/sweep.hpp"

#include <tbb/global_control.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "agents/metrics.hpp"
#include "agents/step.hpp"
#include "experiments/population.hpp"
#include "experiments/scenario.hpp"
#include "output/output_lock.hpp"
#include "tests/experiments/posterior_support.hpp"
#include "tests/experiments/sweep_support.hpp"
#include "tests/output/h5_compare.hpp"

using namespace icsim;
namespace fs = std::filesystem;

namespace {

SweepResult sweep_to(const Sweep& sweep, const fs::path& out, Shard shard = {},
                     std::function<void(const RunSpec&, World&)> before_run = {}) {
  SweepOptions o;
  o.output = out;
  o.shard = std::move(shard);
  o.overwrite = true;
  o.before_run = std::move(before_run);
  return run_sweep(sweep, o);
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

}  // namespace

TEST_CASE("sweep files: the design sets the number of runs", "[sweep]") {
  const auto runs = [](const std::string& body) {
    return parse_sweep("years = 2\nreplications = 2\n" + body, "s.toml").runs();
  };
  const std::string three_axes =
      "[axes]\n\"policy.system_tied_share\" = { min = 0.0, max = 1.0 }\n"
      "\"policy.transition_pressure\" = { min = 0.0, max = 0.5 }\n"
      "\"shocks.volatility\" = { values = [0.01, 0.02] }\n";
  CHECK(runs("design = \"latin_hypercube\"\nsamples = 5\n" + three_axes) == 5 * 2);
  CHECK(runs("design = \"sobol\"\nsamples = 4\n" + three_axes) == 4 * (3 + 2) * 2);   // N(k+2)
  CHECK(runs("design = \"morris\"\nsamples = 3\n" + three_axes) == 3 * (3 + 1) * 2);  // r(k+1)
  CHECK(runs("[axes]\n\"policy.redistribution\" = [\"pro_rata\", \"need\", \"equal\"]\n"
             "\"policy.system_tied_share\" = { min = 0.0, max = 1.0, levels = 4 }\n") == 12 * 2);
  CHECK(runs("") == 2);  // no axes: replications of the scenario
  const Sweep s = parse_sweep(
      "[axes]\n\"policy.system_tied_share\" = { min = 0.0, max = 1.0, "
      "levels = 3 }\n\"policy.earned_autonomy_years\" = [2]\n",
      "s.toml");
  REQUIRE(s.axes.size() == 2);  // ordered by name
  CHECK(s.axes[0].name == "policy.earned_autonomy_years");
  CHECK(s.axes[0].values == std::vector<Value>{std::int64_t{2}});
  CHECK(s.axes[1].values == std::vector<Value>{0.0, 0.5, 1.0});
}

TEST_CASE("sweep files: the shipped examples are valid", "[sweep]") {
  int files = 0;
  for (const auto& entry :
       fs::directory_iterator(fs::path(ICSIM_SOURCE_DIR) / "experiments/sweeps")) {
    if (entry.path().extension() != ".toml") continue;
    const Sweep s = load_sweep(entry.path());
    CHECK(s.runs() > 0);
    ++files;
  }
  CHECK(files >= 3);
}

TEST_CASE("sweep files: a malformed one gets a one-line error naming the file and key - exit 2",
          "[sweep]") {
  const std::string head = "years = 2\n";
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases{
      {head + "design = \"latin_hypercube\"\nsamples = 3\n[axes]\n"
              "\"policy.system_tied_shar\" = { min = 0.0, max = 1.0 }\n",
       {":5:", "unknown key 'policy.system_tied_shar'", "did you mean 'policy.system_tied_share'"}},
      {head + "[axes]\n\"policy.redistribution\" = []\n",
       {":3:", "key 'axes.policy.redistribution'", "empty axis"}},
      {head + "design = \"latin_hypercube\"\nsamples = 3\n[axes]\n"
              "\"policy.system_tied_share\" = { min = 1.0, max = 0.0 }\n",
       {":5:", "key 'axes.policy.system_tied_share'", "min (1) must be below max (0)"}},
      {head + "design = \"hypercube\"\n",
       {":2:", "key 'design'", "unknown design 'hypercube'", "latin_hypercube"}},
      {head + "design = \"morris\"\nsamples = 2\n[axes]\n\"policy.redistribution\" = [\"need\", "
              "\"equal\"]\n",
       {":5:", "key 'axes.policy.redistribution'", "morris cannot vary a categorical"}},
      {head + "[axes]\n\"policy.system_tied_share\" = { values = [0.5, 2.0] }\n",
       {":3:", "key 'axes.policy.system_tied_share'", "2.0 is not allowed"}},
      {head + "[axes]\n\"policy.system_tied_share\" = { min = 0.0, max = 1.0 }\n",
       {"key 'axes.policy.system_tied_share'", "full_factorial needs listed values"}},
      {head +
           "design = \"sobol\"\n[axes]\n\"policy.system_tied_share\" = { min = 0.0, max = 1.0 }\n",
       {"key 'samples'", "required by sobol"}},
      {head + "sample = 3\n", {":2:", "unknown key 'sample'"}},
      {head + "record = [\"summary\", \"everything\"]\n", {"key 'record'", "unknown 'everything'"}},
      {head + "[axes]\n\"policy.redistribution\" = { min = 0, max = 1 }\n",
       {"key 'axes.policy.redistribution'", "a range needs a numeric parameter"}},
      {head + "[axes]\n\"run.years\" = [2, 3]\n",
       {"key 'axes.run.years'", "record = [\"summary\"]"}},
      {head + "[set]\n\"policy.bailot\" = 100\n", {":3:", "[set]", "unknown key 'policy.bailot'"}},
      // Issue 15 item 10: a parameter given twice was kept once, or failed late leaving files.
      {head + "[set]\n\"policy.bailout\" = 1.0\n[set.policy]\nbailout = 2.0\n",
       {":5:", "key 'set.policy.bailout': given twice (first on line 3)"}},
      {head + "[axes]\n\"policy.bailout\" = [1.0, 2.0]\n[axes.policy]\nbailout = [3.0]\n",
       {":5:", "key 'axes.policy.bailout': given twice (first on line 3)"}},
  };
  int i = 0;
  for (const auto& [text, fragments] : cases) {
    const auto path = test::write_file("bad-" + std::to_string(i++) + ".toml", text);
    for (const char* command : {"sample", "sweep"}) {
      std::vector<std::string> args{command, path.string()};
      if (std::string(command) == "sweep") args.insert(args.end(), {"-o", (path.string() + ".h5")});
      const auto r = test::cli(args);
      INFO(text << "\n" << r.err);
      CHECK(r.code == 2);
      CHECK(test::line_count(r.err) == 1);
      CHECK(r.err.find(path.string()) != std::string::npos);
      for (const auto& f : fragments) CHECK(r.err.find(f) != std::string::npos);
      for (const char* suffix : {"", ".lock", ".next", ".spare", ".new"})
        CHECK_FALSE(fs::exists(path.string() + ".h5" + suffix));
    }
  }
}

TEST_CASE("sweep: sample prints the design as CSV - one row per run", "[sweep]") {
  const auto path = test::write_file("sample.toml", test::tiny_sweep());
  const auto r = test::cli({"sample", path.string()});
  REQUIRE(r.code == 0);
  CHECK(first_line(r.out) ==
        "run,point,replication,seed,policy.redistribution,policy.system_tied_share");
  CHECK(test::line_count(r.out) == 1 + 6);
  CHECK(test::cli({"sample", path.string()}).out == r.out);  // the same every time
  const Sweep s = load_sweep(path);
  for (std::uint64_t run = 0; run < s.runs(); ++run) {
    const RunSpec spec = run_spec(s, run);
    std::ostringstream row;
    row << run << "," << spec.point << "," << spec.replication << "," << spec.seed << ",";
    CHECK(r.out.find(row.str()) != std::string::npos);
  }
  const auto shard = test::cli({"sample", path.string(), "--shard", "2/4"});
  CHECK(test::line_count(shard.out) == 1 + 2);  // runs 1 and 5
  CHECK(shard.out.find("\n1,0,1,") != std::string::npos);
  CHECK(shard.out.find("\n5,2,1,") != std::string::npos);
}

TEST_CASE("sweep: shards partition the runs - SLURM array variables pick the shard", "[sweep]") {
  for (const std::uint64_t runs : {0, 1, 10, 11}) {
    std::multiset<std::uint64_t> all;
    for (std::uint64_t i = 1; i <= 3; ++i) {
      const Shard s{i, 3, ""};
      for (std::uint64_t k = 0; k < runs_in_shard(runs, s); ++k) all.insert(shard_run(s, k));
    }
    std::multiset<std::uint64_t> expected;
    for (std::uint64_t r = 0; r < runs; ++r) expected.insert(r);
    CHECK(all == expected);
  }
  const auto env = [](std::map<std::string, std::string> vars) {
    return [vars](const char* name) -> const char* {
      const auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  };
  CHECK_FALSE(shard_from_environment(env({})));
  const auto a = shard_from_environment(env({{"SLURM_ARRAY_TASK_ID", "5"},
                                             {"SLURM_ARRAY_TASK_MIN", "3"},
                                             {"SLURM_ARRAY_TASK_COUNT", "4"}}));
  REQUIRE(a);
  CHECK((a->index == 3 && a->count == 4));
  const auto b =
      shard_from_environment(env({{"SLURM_ARRAY_TASK_ID", "0"}, {"SLURM_ARRAY_TASK_COUNT", "2"}}));
  CHECK((b->index == 1 && b->count == 2));
  const auto c = shard_from_environment(env({{"SLURM_ARRAY_TASK_ID", "4"},
                                             {"SLURM_ARRAY_TASK_STEP", "2"},
                                             {"SLURM_ARRAY_TASK_COUNT", "3"}}));
  CHECK((c->index == 3 && c->count == 3));
  CHECK_THROWS_AS(shard_from_environment(env({{"SLURM_ARRAY_TASK_ID", "1"}})), InputError);
  CHECK_THROWS_AS(
      shard_from_environment(env({{"SLURM_ARRAY_TASK_ID", "9"}, {"SLURM_ARRAY_TASK_COUNT", "4"}})),
      InputError);
  CHECK(parse_shard("2/8", "--shard").index == 2);
  for (const char* bad : {"0/3", "4/3", "3", "a/b", "1/0", "1/3x"})
    CHECK_THROWS_AS(parse_shard(bad, "--shard"), InputError);
}

TEST_CASE("sweep: a run's seed comes from (sweep seed - point - replication) alone", "[sweep]") {
  const Sweep s = parse_sweep(test::tiny_sweep(), "s.toml");
  std::set<std::int64_t> seeds;
  for (std::uint64_t run = 0; run < s.runs(); ++run) {
    const RunSpec spec = run_spec(s, run);
    CHECK(spec.seed == run_seed(7, spec.point, spec.replication));
    CHECK(spec.seed >= 0);
    seeds.insert(spec.seed);
  }
  CHECK(seeds.size() == s.runs());
  CHECK(run_seed(7, 1, 0) != run_seed(8, 1, 0));
  // A different sample size changes the design but not the seed of (point, replication).
  CHECK(run_spec(parse_sweep(test::tiny_sweep("[\"summary\"]", 5), "s.toml"), 3).seed ==
        run_spec(s, 3).seed);
}

TEST_CASE("sweep: common_seeds gives a Saltelli base point's rows one seed a replication",
          "[sweep]") {
  const std::string axes =
      "design = \"sobol\"\nsamples = 3\nyears = 2\nreplications = 2\nseed = 7\n"
      "[axes]\n\"policy.system_tied_share\" = { min = 0.0, max = 1.0 }\n"
      "\"trust.initial\" = { min = 0.2, max = 0.8 }\n";
  const Sweep independent = parse_sweep(axes, "s.toml");
  const Sweep common = parse_sweep("common_seeds = true\n" + axes, "s.toml");
  REQUIRE(common.common_seeds);
  REQUIRE(common.runs() == 3 * 4 * 2);
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::set<std::int64_t>> by_block;
  std::set<std::int64_t> all;
  for (std::uint64_t run = 0; run < common.runs(); ++run) {
    const RunSpec spec = run_spec(common, run);
    CHECK(spec.values == run_spec(independent, run).values);  // the same design
    by_block[{spec.point / 4, spec.replication}].insert(spec.seed);
    all.insert(spec.seed);
  }
  for (const auto& [block, seeds] : by_block) CHECK(seeds.size() == 1);
  CHECK(all.size() == 3 * 2);  // blocks and replications still differ
  CHECK(common.fingerprint() != independent.fingerprint());
  CHECK_THROWS_AS(parse_sweep("common_seeds = 1\n" + axes, "s.toml"), InputError);
}

TEST_CASE("sweep: a run re-run alone from its seed and parameters gives the same numbers",
          "[sweep]") {
  const auto out = test::sweep_folder() / "alone.h5";
  const Sweep s = parse_sweep(test::tiny_sweep(), "s.toml");
  sweep_to(s, out);
  const h5::Handle file = h5::open_file(out.string(), false);
  const auto trust = h5::read_all<double>(file, "summary/final_mean_trust");
  const auto seeds = h5::read_all<std::int64_t>(file, "runs/seed");
  const auto share = h5::read_all<double>(file, "runs/policy.system_tied_share");
  const auto rule = h5::read_strings(file, "runs/policy.redistribution");
  REQUIRE(trust.size() == 6);
  for (const std::size_t run : {0u, 5u}) {
    // What `icsim run england-2020 --years 2 --seed S --set ...` does.
    Params p = load_scenario("england-2020").params;
    apply_setting(p, "run.years=2", "test");
    apply_setting(p, "run.seed=" + std::to_string(seeds[run]), "test");
    apply_setting(p, "policy.system_tied_share=" + format_value(share[run]), "test");
    apply_setting(p, "policy.redistribution=" + rule[run], "test");
    World w = make_world(p);
    simulate(w, {});
    const auto final_trust =
        std::get<std::vector<double>>(find_metric("mean_trust", Level::national)->compute(w));
    CHECK(final_trust.at(0) == trust[run]);
  }
}

TEST_CASE("threaded: the same sweep with 1 and 2 threads gives identical datasets", "[sweep]") {
  const Sweep s = parse_sweep(
      test::tiny_sweep(R"(["summary", "national", "system", "organisation"])"), "s.toml");
  const auto one = test::sweep_folder() / "threads-1.h5",
             two = test::sweep_folder() / "threads-2.h5";
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
    sweep_to(s, one);
  }
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
    sweep_to(s, two);
  }
  CHECK(test::dataset_differences(one.string(), two.string()).empty());
  CHECK(test::recorded_rows(one) == 6);
  const h5::Handle file = h5::open_file(one.string(), false);
  CHECK(h5::shape(file, "timeseries/organisation/stake_fraction") ==
        std::vector<hsize_t>{6, 2, h5::shape(file, "organisations/code").at(0)});
  CHECK(h5::read_all<std::int64_t>(file, "runs/run") ==
        std::vector<std::int64_t>{0, 1, 2, 3, 4, 5});
}

TEST_CASE("sweep: record = [] writes /runs alone", "[sweep]") {
  const auto out = test::sweep_folder() / "runs-only.h5";
  const Sweep s = parse_sweep(test::tiny_sweep("[]"), "s.toml");
  CHECK_FALSE((s.record.summary || s.record.national || s.record.system || s.record.organisation));
  sweep_to(s, out);
  const h5::Handle file = h5::open_file(out.string(), false);
  CHECK(h5::read_all<std::int64_t>(file, "runs/seed").size() == 6);
  CHECK(h5::read_strings(file, "runs/status") == std::vector<std::string>(6, "ok"));
  CHECK_FALSE(h5::exists(file, "summary"));
  CHECK_FALSE(h5::exists(file, "timeseries"));
}

TEST_CASE("sweep: a failed run is marked failed with its message and the sweep goes on",
          "[sweep]") {
  const auto out = test::sweep_folder() / "failed.h5";
  const Sweep s = parse_sweep(test::tiny_sweep(), "s.toml");
  const auto r = sweep_to(s, out, {}, [](const RunSpec& run, World&) {
    if (run.run == 2) throw std::runtime_error("the world fell over");
  });
  CHECK(r.ran == 6);
  CHECK(r.failed == 1);
  const h5::Handle file = h5::open_file(out.string(), false);
  const auto status = h5::read_strings(file, "runs/status");
  const auto message = h5::read_strings(file, "runs/message");
  CHECK(status == std::vector<std::string>{"ok", "ok", "failed", "ok", "ok", "ok"});
  CHECK(message[2] == "the world fell over");
  CHECK(message[1].empty());
  const auto trust = h5::read_all<double>(file, "summary/final_mean_trust");
  CHECK(std::isnan(trust[2]));
  CHECK(std::isfinite(trust[3]));
  const auto met = h5::read_all<std::uint8_t>(file, "timeseries/system/met_control_total");
  const std::size_t systems = h5::shape(file, "timeseries/system/system").at(0);
  CHECK(met[2 * 2 * systems] == 255);  // the fill value, also the dataset's _FillValue
  CHECK(h5::read_all<double>(file, "runs/policy.system_tied_share").size() == 6);
}

TEST_CASE("sweep: an existing output needs --resume or --overwrite - resume checks the sweep",
          "[sweep]") {
  const auto path = test::write_file("resume.toml", test::tiny_sweep());
  const auto other = test::write_file("other.toml", test::tiny_sweep("[\"summary\"]", 4));
  const auto out = (test::sweep_folder() / "resume.h5").string();
  REQUIRE(test::cli({"sweep", path.string(), "-o", out, "-q"}).code == 0);
  const auto again = test::cli({"sweep", path.string(), "-o", out, "-q"});
  CHECK(again.code == 2);
  CHECK(again.err.find("--resume") != std::string::npos);
  const auto done = test::cli({"sweep", path.string(), "-o", out, "--resume"});
  CHECK(done.code == 0);
  CHECK(done.out.find("6/6 runs (6 from before, 0 now)") != std::string::npos);
  const auto foreign = test::cli({"sweep", other.string(), "-o", out, "--resume", "-q"});
  CHECK(foreign.code == 2);
  CHECK(test::line_count(foreign.err) == 1);
  CHECK(foreign.err.find("holds another sweep") != std::string::npos);
  const auto shard =
      test::cli({"sweep", path.string(), "-o", out, "--resume", "--shard", "1/2", "-q"});
  CHECK(shard.code == 2);
  CHECK(shard.err.find("it holds shard 1/1, not 1/2") != std::string::npos);
  CHECK(test::cli({"sweep", path.string(), "-o", out, "--overwrite", "-q"}).code == 0);
  for (const char* suffix : {".next", ".spare", ".lock", ".new"})
    CHECK_FALSE(fs::exists(out + suffix));
}

TEST_CASE("sweep: without a terminal - progress is a log line - --quiet prints nothing",
          "[sweep]") {
  const auto path = test::write_file("log.toml", test::tiny_sweep("[\"summary\"]"));
  const auto out = (test::sweep_folder() / "log.h5").string();
  const auto quiet = test::cli({"sweep", path.string(), "-o", out, "-q"});
  CHECK(quiet.out.empty());
  CHECK(quiet.err.empty());
  const auto loud = test::cli({"sweep", path.string(), "-o", out, "--overwrite"});
  CHECK(loud.out.find("latin_hypercube, 3 points x 2 replications = 6 runs") != std::string::npos);
  CHECK(loud.out.find("wrote " + out + ": 6/6 runs") != std::string::npos);
}

TEST_CASE("slow: a sweep killed with SIGKILL midway - then resumed - equals the uninterrupted one",
          "[sweep]") {
  // 40 runs of 2 years, committed every 50 ms (the timer's shortest tick), killed twice and
  // resumed each time.
  const std::string text = test::tiny_sweep(R"(["summary", "national", "system"])", 20);
  const auto path = test::write_file("killed.toml", text);
  const auto reference = test::sweep_folder() / "uninterrupted.h5";
  const auto out = test::sweep_folder() / "killed.h5";
  const auto log = test::sweep_folder() / "killed.log";
  const std::vector<std::string> common{"sweep", path.string(),       "--threads",
                                        "2",     "--commit-interval", "0.001"};
  auto args = common;
  args.insert(args.end(), {"-o", reference.string()});
  REQUIRE(test::wait_exit(test::spawn_icsim(args, log)) == 0);
  REQUIRE(test::recorded_rows(reference) == 40);

  long long seen = 0;
  for (const long long kill_after : {3, 15}) {
    args = common;
    args.insert(args.end(), {"-o", out.string(), "--resume"});
    const pid_t pid = test::spawn_icsim(args, log);
    REQUIRE(pid > 0);
    const auto [rows, after, by_signal] = test::kill_when_recorded(pid, out, kill_after);
    INFO("observed " << rows << " runs before the kill, " << after << " after");
    REQUIRE(rows >= kill_after);
    CHECK(by_signal);
    REQUIRE(after >= rows);  // every run seen committed is still there: the file opens
    REQUIRE(after < 40);     // and the kill came midway
    CHECK(after >= seen);
    seen = after;
    // Every per-run dataset has the same rows (no half-written run).
    const h5::Handle file = h5::open_file(out.string(), false);
    for (const auto& p : test::dataset_paths(file))
      if (p.starts_with("runs/") || p.starts_with("summary/") ||
          (p.starts_with("timeseries/") && !p.ends_with("/year") && !p.ends_with("/system")))
        CHECK(h5::shape(file, p).at(0) == static_cast<hsize_t>(after));
  }
  args = common;
  args.insert(args.end(), {"-o", out.string(), "--resume"});
  REQUIRE(test::wait_exit(test::spawn_icsim(args, log)) == 0);
  CHECK(test::dataset_differences(reference.string(), out.string()).empty());
  CHECK_FALSE(fs::exists(out.string() + ".next"));
}

TEST_CASE("sweep: while another icsim writes the output - a second sweep stops at its lock",
          "[sweep]") {
  // Issue 15 item 6: the lock used to be taken after the (slow) world build, so a second sweep
  // checked the output before the first had made it and both exited 0. The lock now comes
  // before anything else: the second sweep stops there whatever the output holds.
  const auto first = test::write_file("locked-first.toml", test::tiny_sweep("[\"summary\"]"));
  const auto second = test::write_file("locked-second.toml", test::tiny_sweep("[\"summary\"]", 4));
  const auto out = test::sweep_folder() / "locked.h5";
  const auto reference = test::sweep_folder() / "locked-reference.h5";
  REQUIRE(test::cli({"sweep", first.string(), "-o", out.string(), "-q"}).code == 0);
  fs::copy_file(out, reference);
  {
    OutputLock::Failure failure{};
    std::string reason;
    const auto held = OutputLock::take(out, failure, reason);  // as a running icsim holds it
    REQUIRE(held);
    for (const auto& flags : std::vector<std::vector<std::string>>{{}, {"--overwrite"}}) {
      auto args = std::vector<std::string>{"sweep", second.string(), "-o", out.string(), "-q"};
      args.insert(args.end(), flags.begin(), flags.end());
      const auto r = test::cli(args);
      INFO(r.err);
      CHECK(r.code == 1);
      CHECK(test::line_count(r.err) == 1);
      CHECK(r.err.find(out.string() + ": another icsim is writing this sweep file") !=
            std::string::npos);
    }
    CHECK(test::dataset_differences(reference.string(), out.string()).empty());
    fs::remove(out);  // nothing there yet: the second sweep still waits for the lock
    CHECK(test::cli({"sweep", second.string(), "-o", out.string(), "-q"}).code == 1);
    CHECK_FALSE(fs::exists(out));
  }
  CHECK(test::cli({"sweep", second.string(), "-o", out.string(), "-q"}).code == 0);
  CHECK_FALSE(fs::exists(out.string() + ".lock"));
}

TEST_CASE("sweep: resuming with an edited description refreshes the provenance attributes",
          "[sweep]") {
  // Issue 15 item 14: the description does not change the runs (nor the fingerprint), so the
  // resume goes on, and the file then describes the sweep as it is now.
  const std::string body = test::tiny_sweep("[\"summary\"]");
  const auto path = test::write_file("described.toml", "description = \"first words\"\n" + body);
  const auto out = (test::sweep_folder() / "described.h5").string();
  REQUIRE(test::cli({"sweep", path.string(), "-o", out, "-q"}).code == 0);
  const auto moved =
      test::write_file("described-moved.toml", "description = \"second thoughts\"\n" + body);
  const auto resumed = test::cli({"sweep", moved.string(), "-o", out, "--resume", "-q"});
  REQUIRE(resumed.code == 0);
  const h5::Handle file = h5::open_file(out, false);
  CHECK(h5::string_attribute(file, "sweep_description") == "second thoughts");
  CHECK(h5::string_attribute(file, "sweep_source") == moved.string());
  CHECK(h5::string_attribute(file, "sweep")->find("second thoughts") != std::string::npos);
  CHECK(h5::string_attribute(file, "command_line")->find("--resume") != std::string::npos);
  CHECK(h5::read_all<std::int64_t>(file, "runs/run").size() == 6);
}

TEST_CASE("sweep: an output directory that cannot be written is named as such", "[sweep]") {
  // Issue 15 item 12: it was reported as "another icsim is writing this sweep file".
  const auto path = test::write_file("readonly.toml", test::tiny_sweep("[\"summary\"]"));
  const auto dir = test::sweep_folder() / "readonly";
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec);
  // Root writes anywhere the permissions forbid: /sys refuses new files to everyone.
  const fs::path parent = ::access(dir.c_str(), W_OK) == 0 ? fs::path("/sys") : dir;
  const auto out = (parent / "sweep.h5").string();
  const auto r = test::cli({"sweep", path.string(), "-o", out, "-q"});
  fs::permissions(dir, fs::perms::owner_all);
  INFO(r.err);
  CHECK(r.code == 2);
  CHECK(test::line_count(r.err) == 1);
  CHECK(r.err.find(out + ": cannot write the output: directory '" + parent.string() +
                   "' is not writable") != std::string::npos);
  CHECK(r.err.find("another icsim") == std::string::npos);
}

TEST_CASE("sweep: design posterior crosses the listed axes with draws from a posterior",
          "[sweep]") {
  // Three particles, the middle one carrying most of the weight.
  const auto posterior = test::sweep_folder() / "three.h5";
  test::write_test_posterior(posterior, {"finance.margin_sd.acute", "shocks.volatility"},
                             {0.02, 0.010, 0.03, 0.012, 0.04, 0.014}, {0.1, 0.8, 0.1});
  const std::string head =
      "scenario = \"england-2020\"\nyears = 2\nseed = 3\ndesign = \"posterior\"\n"
      "posterior = \"three.h5\"\nrecord = [\"summary\"]\n";
  const auto path = test::write_file(
      "drawn.toml", head + "draws = 4\n[axes]\n\"policy.system_tied_share\" = [0.0, 0.5]\n");
  const Sweep s = load_sweep(path);
  CHECK(s.design_name() == "posterior");
  CHECK(s.points() == 2 * 4);
  const Posterior post = read_posterior(posterior);
  for (std::uint64_t run = 0; run < s.runs(); ++run) {
    const RunSpec spec = run_spec(s, run);
    const std::uint64_t draw = spec.point % 4;
    // Draw d is the same particle at every lever setting: comparisons are paired by draw.
    CHECK(spec.particle == static_cast<std::int64_t>(posterior_draw(post, 3, draw)));
    CHECK(spec.values.at(0) == Value{spec.point < 4 ? 0.0 : 0.5});
    const auto i = static_cast<std::size_t>(spec.particle);
    CHECK(spec.values.at(1) == Value{post.particles[i * 2]});
    CHECK(spec.values.at(2) == Value{post.particles[i * 2 + 1]});
    const Params p = run_params(s, spec);
    CHECK(p.margin_sd[0] == post.particles[i * 2]);
    CHECK(p.volatility == post.particles[i * 2 + 1]);
  }
  // The drawn values are in /runs with the particle; more draws make another sweep.
  const auto out = test::sweep_folder() / "drawn.h5";
  REQUIRE(test::cli({"sweep", path.string(), "-o", out.string(), "-q"}).code == 0);
  const h5::Handle file = h5::open_file(out.string(), false);
  const auto particle = h5::read_all<std::int64_t>(file, "runs/posterior_particle");
  const auto drawn = h5::read_all<double>(file, "runs/shocks.volatility");
  REQUIRE(particle.size() == 8);
  for (std::size_t k = 0; k < 8; ++k)
    CHECK(drawn[k] == post.particles[static_cast<std::size_t>(particle[k]) * 2 + 1]);
  CHECK(h5::string_attribute(file, "design") == "posterior");
  const auto more = test::write_file(
      "drawn-more.toml", head + "draws = 5\n[axes]\n\"policy.system_tied_share\" = [0.0, 0.5]\n");
  CHECK(load_sweep(more).fingerprint() != s.fingerprint());

  // Bad uses: one line naming the file and key, exit 2.
  const std::vector<std::pair<std::string, std::string>> bad{
      {head, "key 'draws': required by design posterior"},
      {"design = \"posterior\"\ndraws = 3\n", "key 'posterior': required by design posterior"},
      {"years = 2\ndraws = 3\n", "key 'draws': only with design = \"posterior\""},
      {head + "draws = 2\n[axes]\n\"shocks.volatility\" = [0.01, 0.02]\n",
       "key 'axes.shocks.volatility': drawn from the posterior"},
      {"design = \"posterior\"\ndraws = 3\nposterior = \"missing.h5\"\n",
       "key 'posterior': " + (test::sweep_folder() / "missing.h5").string() +
           ": no such posterior file"},
  };
  for (std::size_t i = 0; i < bad.size(); ++i) {
    const auto file_path =
        test::write_file("drawn-bad-" + std::to_string(i) + ".toml", bad[i].first);
    const auto r = test::cli({"sample", file_path.string()});
    INFO(r.err);
    CHECK(r.code == 2);
    CHECK(test::line_count(r.err) == 1);
    CHECK(r.err.find(file_path.string()) != std::string::npos);
    CHECK(r.err.find(bad[i].second) != std::string::npos);
  }
}

TEST_CASE("sweep: icsim run --posterior --draws writes an ensemble - a run per draw", "[sweep]") {
  const auto posterior = test::sweep_folder() / "ensemble-posterior.h5";
  test::write_test_posterior(posterior, {"shocks.volatility"}, {0.008, 0.016}, {0.5, 0.5});
  const auto out = test::sweep_folder() / "ensemble.h5";
  const auto r = test::cli({"run", "england-2020", "--years", "2", "--posterior",
                            posterior.string(), "--draws", "3", "-o", out.string()});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("3 draws from") != std::string::npos);
  const h5::Handle file = h5::open_file(out.string(), false);
  CHECK(h5::string_attribute(file, "file_kind") == "sweep");
  CHECK(h5::read_all<std::int64_t>(file, "runs/run").size() == 3);
  const auto drawn = h5::read_all<double>(file, "runs/shocks.volatility");
  for (const double v : drawn) CHECK((v == 0.008 || v == 0.016));
  CHECK(h5::shape(file, "timeseries/national/mean_trust") == std::vector<hsize_t>{3, 2});
  CHECK(h5::exists(file, "timeseries/system/met_control_total"));
  // Without --draws, or a file that is not a posterior: one line, exit 2.
  const auto lone = test::cli({"run", "--posterior", posterior.string(), "-o", out.string()});
  CHECK(lone.code == 2);
  CHECK(lone.err.find("--posterior and --draws go together") != std::string::npos);
  const auto wrong = test::cli({"run", "--posterior", out.string(), "--draws", "2", "-o",
                                (test::sweep_folder() / "never.h5").string()});
  CHECK(wrong.code == 2);
  CHECK(wrong.err.find("not an icsim calibration file") != std::string::npos);
}

TEST_CASE("sweep: stop() ends it early with the finished runs saved - and resume completes it",
          "[sweep]") {
  const Sweep s = parse_sweep(test::tiny_sweep(), "s.toml");
  const auto out = test::sweep_folder() / "stopped.h5";
  SweepOptions o;
  o.output = out;
  o.overwrite = true;
  // One thread: at most two runs in flight (the pipeline's tokens) when the first has reached
  // the recorder and the next is asked for.
  tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
  std::vector<std::uint64_t> ran;  // the output stage's reports
  std::atomic<std::size_t> reports{0};
  std::uint64_t to_run = 0;
  o.on_progress = [&](const SweepResult& r) {
    to_run = r.shard_runs - r.resumed;
    ran.push_back(r.ran);
    ++reports;
  };
  o.stop = [&] { return reports.load() > 1; };  // once a run has reached the recorder
  const SweepResult first = run_sweep(s, o);
  CHECK(first.stopped);
  CHECK(to_run == 6);
  CHECK(first.ran >= 1);
  CHECK(first.ran <= 2);  // at most the runs in flight when it stopped
  CHECK(ran.size() == first.ran + 1);
  CHECK(ran.back() == first.ran);
  CHECK(test::recorded_rows(out) == static_cast<long long>(first.ran));

  o.stop = {};
  o.resume = true;
  ran.clear();
  const SweepResult second = run_sweep(s, o);
  CHECK_FALSE(second.stopped);
  CHECK(to_run == 6 - first.ran);
  CHECK(second.resumed == first.ran);
  CHECK(second.resumed + second.ran == 6);
  CHECK(ran.back() == second.ran);
}
