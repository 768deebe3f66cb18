#include "experiments/calibrate.hpp"

#include <tbb/global_control.h>

#include <catch2/catch.hpp>
#include <numeric>

#include "experiments/posterior.hpp"
#include "tests/experiments/sweep_support.hpp"
#include "tests/experiments/toy_model.hpp"
#include "tests/output/h5_compare.hpp"

using namespace icsim;
namespace fs = std::filesystem;

namespace {

// The normal mean of tests/experiments/toy_model.hpp as a calibration problem.
CalibrationProblem toy_problem() {
  CalibrationProblem p;
  CalibrationParameter mu;
  mu.prior.name = "mu";
  mu.prior.lower = mu.registry_min = -10.0;
  mu.prior.upper = mu.registry_max = 10.0;
  mu.unit = "-";
  mu.description = "the mean of the draws";
  p.parameters.push_back(mu);
  CalibrationTarget t;
  t.name = "sample_mean";
  t.unit = "-";
  t.description = "mean of 25 draws";
  t.observed = 3.0;
  t.sd = 0.2;
  p.targets.push_back(t);
  p.settings.population = 200;
  p.settings.batch = 50;
  p.settings.generations = 4;
  p.settings.seed = 3;
  p.source = "toy";
  p.canonical = "toy model";
  return p;
}

CalibrateResult calibrate_to(const fs::path& out, int threads, bool resume = false) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            static_cast<std::size_t>(threads));
  CalibrateOptions o;
  o.output = out;
  o.overwrite = !resume;
  o.resume = resume;
  return calibrate(toy_problem(), test::NormalMeanModel{}, o);
}

}  // namespace

TEST_CASE("calibrate: the posterior file holds every generation - the posterior and its fit",
          "[calibrate]") {
  const auto out = test::sweep_folder() / "toy.h5";
  const CalibrateResult r = calibrate_to(out, 2);
  CHECK_FALSE(fs::exists(attempts_path(out)));  // the working file goes once complete
  CHECK_FALSE(fs::exists(out.string() + ".lock"));
  const h5::Handle file = h5::open_file(out.string(), false);
  CHECK(h5::string_attribute(file, "file_kind") == "calibration");
  CHECK(h5::number_attribute(file, "complete") == 1.0);
  CHECK(h5::string_attribute(file, "stopped") == "4 generations");
  CHECK(h5::shape(file, "generations/particles") == std::vector<hsize_t>{4, 200, 1});
  const auto tolerance = h5::read_all<double>(file, "generations/tolerance");
  CHECK(std::isinf(tolerance[0]));
  CHECK(tolerance[3] < tolerance[2]);
  const auto weights = h5::read_all<double>(file, "posterior/weight");
  CHECK(std::accumulate(weights.begin(), weights.end(), 0.0) == Approx(1.0));
  CHECK(h5::read_all<double>(file, "posterior/mu") ==
        std::vector<double>(r.abc.generations[3].particles));
  // Attempts are made in whole batches of 50: generation 0 takes the first 200 (every draw from
  // the prior is accepted), later ones run to the batch that holds their 200th acceptance.
  const auto runs = h5::read_all<std::int64_t>(file, "generations/runs");
  const auto attempts = h5::read_all<std::int64_t>(file, "generations/attempts");
  CHECK(runs[0] == 200);
  for (std::size_t g = 0; g < runs.size(); ++g) {
    CHECK(runs[g] % 50 == 0);
    CHECK(runs[g] >= attempts[g]);
    CHECK(runs[g] - attempts[g] < 50);
  }
  CHECK(h5::read_all<double>(file, "targets/implausibility")[0] == r.abc.fit[0].implausibility);
  CHECK(h5::shape(file, "predictive/statistics") == std::vector<hsize_t>{200, 1, 1});
  CHECK(h5::number_attribute(file, "runs") == static_cast<double>(r.abc.runs));
  const Posterior post = read_posterior(out);
  CHECK(post.parameters == std::vector<std::string>{"mu"});
  CHECK(post.fingerprint == toy_problem().fingerprint());
  // Draws follow the weights, and draw i does not depend on how many are asked for.
  CHECK(posterior_draw(post, 7, 3) == posterior_draw(post, 7, 3));
  std::vector<double> drawn(post.size(), 0.0);
  for (std::uint64_t i = 0; i < 20000; ++i) drawn[posterior_draw(post, 7, i)] += 1.0 / 20000;
  const auto heaviest = std::max_element(post.weights.begin(), post.weights.end());
  CHECK(drawn[static_cast<std::size_t>(heaviest - post.weights.begin())] ==
        Approx(*heaviest).margin(0.01));
}

TEST_CASE("threaded: a calibration gives the same posterior file with 1 and 2 threads",
          "[calibrate]") {
  const auto one = test::sweep_folder() / "toy-1.h5", two = test::sweep_folder() / "toy-2.h5";
  calibrate_to(one, 1);
  calibrate_to(two, 2);
  CHECK(test::dataset_differences(one.string(), two.string()).empty());
  // Resuming a complete calibration runs nothing.
  const CalibrateResult again = calibrate_to(two, 2, true);
  CHECK(again.complete_before);
  CHECK(test::dataset_differences(one.string(), two.string()).empty());
}

TEST_CASE("calibrate: an existing output needs --resume or --overwrite", "[calibrate]") {
  const auto out = test::sweep_folder() / "toy-exists.h5";
  calibrate_to(out, 2);
  CalibrateOptions o;
  o.output = out;
  CHECK_THROWS_WITH(calibrate(toy_problem(), test::NormalMeanModel{}, o),
                    Catch::Contains("already exists: pass --resume"));
  CalibrationProblem other = toy_problem();
  other.targets[0].observed = 2.0;
  o.resume = true;
  CHECK_THROWS_WITH(calibrate(other, test::NormalMeanModel{}, o),
                    Catch::Contains("cannot resume: it is not a complete posterior of toy"));
}

TEST_CASE(
    "slow: a calibration killed with SIGKILL during a generation - then resumed - gives the "
    "same posterior file",
    "[calibrate]") {
  // A small synthetic world, runs of 2 years; every run committed on its own, so that the kill
  // falls between commits of a generation.
  test::write_file("kill-world.toml",
                   "[population]\nsource = \"synthetic\"\norganisations = 300\nsystems = 6\n"
                   "[run]\nyears = 2\n");
  const auto file = test::write_file(
      "kill.toml",
      "scenario = \"kill-world.toml\"\nseed = 5\n[priors]\n"
      "\"shocks.volatility\" = { uniform = [0.002, 0.05] }\n"
      "\"finance.margin_sd.acute\" = { log_uniform = [0.005, 0.1] }\n"
      "[[targets]]\nmetric = \"trusts_in_deficit\"\nyears = [2019, 2020]\nobserved = 0.5\n"
      "sd = 0.03\n[[targets]]\nmetric = \"surplus\"\nlevel = \"system\"\nstatistic = \"share\"\n"
      "below = 0.0\nyear = 2020\nobserved = 0.5\nsd = 0.1\n"
      "[abc]\npopulation = 40\nbatch = 20\n[stop]\ngenerations = 4\n");
  const auto reference = test::sweep_folder() / "calibration-reference.h5";
  const auto out = test::sweep_folder() / "calibration-killed.h5";
  const auto log = test::sweep_folder() / "calibration-killed.log";
  const auto run = [&](const fs::path& to, const char* threads, bool resume) {
    std::vector<std::string> args{"calibrate",         file.string(), "-o",        to.string(),
                                  "--commit-interval", "0",           "--threads", threads};
    args.push_back(resume ? "--resume" : "--overwrite");
    return test::spawn_icsim(args, log);
  };
  REQUIRE(test::wait_exit(run(reference, "2", false)) == 0);
  REQUIRE(read_posterior(reference).size() == 40);
  const auto total = h5::number_attribute(h5::open_file(reference.string(), false), "runs");
  REQUIRE(total);

  const auto working = attempts_path(out);
  long long seen = 0;
  for (const long long kill_after : {50, 170}) {
    const pid_t pid = run(out, "1", seen > 0);
    REQUIRE(pid > 0);
    const auto [rows, after, by_signal] = test::kill_when_recorded(pid, working, kill_after);
    INFO("observed " << rows << " runs before the kill, " << after << " after");
    REQUIRE(rows >= kill_after);
    CHECK(by_signal);
    REQUIRE(after >= rows);
    REQUIRE(after < static_cast<long long>(*total));  // the kill came during the calibration
    CHECK(after >= seen);
    seen = after;
    CHECK_FALSE(posterior_complete(out));
  }
  REQUIRE(test::wait_exit(run(out, "2", true)) == 0);
  CHECK(test::dataset_differences(reference.string(), out.string()).empty());
  CHECK_FALSE(fs::exists(working));
}
