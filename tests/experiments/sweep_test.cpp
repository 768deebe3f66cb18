#include "experiments/sweep.hpp"

#include <tbb/global_control.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "agents/metrics.hpp"
#include "agents/step.hpp"
#include "experiments/scenario.hpp"
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

TEST_CASE("sweep files: a malformed one gets a one-line error naming the file and key, exit 2",
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
      CHECK_FALSE(fs::exists(path.string() + ".h5"));
    }
  }
}

TEST_CASE("sweep: sample prints the design as CSV, one row per run", "[sweep]") {
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

TEST_CASE("sweep: shards partition the runs; SLURM array variables pick the shard", "[sweep]") {
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

TEST_CASE("sweep: a run's seed comes from (sweep seed, point, replication) alone", "[sweep]") {
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

TEST_CASE("sweep: an existing output needs --resume or --overwrite; resume checks the sweep",
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

TEST_CASE("sweep: without a terminal, progress is a log line; --quiet prints nothing", "[sweep]") {
  const auto path = test::write_file("log.toml", test::tiny_sweep("[\"summary\"]"));
  const auto out = (test::sweep_folder() / "log.h5").string();
  const auto quiet = test::cli({"sweep", path.string(), "-o", out, "-q"});
  CHECK(quiet.out.empty());
  CHECK(quiet.err.empty());
  const auto loud = test::cli({"sweep", path.string(), "-o", out, "--overwrite"});
  CHECK(loud.out.find("latin_hypercube, 3 points x 2 replications = 6 runs") != std::string::npos);
  CHECK(loud.out.find("wrote " + out + ": 6/6 runs") != std::string::npos);
}

TEST_CASE("slow: a sweep killed with SIGKILL midway, then resumed, equals the uninterrupted one",
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
    // Poll the file for committed runs (no sleeping on a guess), then kill -9.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    long long rows = -1;
    while ((rows = test::recorded_rows(out)) < kill_after) {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ::kill(pid, SIGKILL);
    CHECK(test::wait_exit(pid) == 128 + SIGKILL);
    const long long after = test::recorded_rows(out);
    INFO("observed " << rows << " runs before the kill, " << after << " after");
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
