#include "experiments/cli.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agents/metrics.hpp"
#include "agents/parameters.hpp"
#include "experiments/scenario.hpp"

using namespace icsim;

extern char** environ;

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

TEST_CASE("bad input gets a one-line error naming the file and key - exit 2", "[cli]") {
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

TEST_CASE("describe lists every parameter the model uses with unit and range - check validates",
          "[cli]") {
  const auto r = cli({"describe"});
  CHECK(r.code == 0);
  for (const auto& spec : registry()) {
    INFO(spec.name);
    CHECK((r.out.find("\n" + spec.name + " = ") != std::string::npos) ==
          model_uses(Model::health, spec.name));
    if (model_uses(Model::health, spec.name))
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

// Issue 15, item 16: a setting the model does not use is refused, naming where it was set; the
// defaults describe shows are the chosen model's.
TEST_CASE("a classic model refuses the health model's settings and describes its own", "[cli]") {
  const auto activation = cli({"run", "--set", "model=public_goods", "--set",
                               "run.activation=synchronous", "-o", temp("never.h5").string()});
  CHECK(activation.code == 2);
  CHECK(lines(activation.err) == 1);
  CHECK(activation.err.find("--set: key 'run.activation': not used by model public_goods") !=
        std::string::npos);
  const auto file = temp("classic.toml");
  std::ofstream(file) << "model = \"public_goods\"\n[policy]\nbailout = 10.0\n";
  const auto from_file = cli({"check", file.string()});
  CHECK(from_file.code == 2);
  CHECK(from_file.err.find(file.string() + ":3: key 'policy.bailout': not used by model "
                                           "public_goods") != std::string::npos);
  CHECK(cli({"check", "england-2019", "--set", "model=public_goods", "--years", "3"}).code == 2);
  // The shipped default scenario sets health parameters; they do not count against a classic run.
  CHECK(cli({"check", "england-2019", "--set", "model=public_goods", "--set", "game.r=4.5"}).code ==
        0);
  // The health model has no use for the classic ones.
  CHECK(cli({"check", "england-2019", "--set", "game.r=4.5"}).code == 2);

  const auto described = cli({"describe", "--set", "model=public_goods"});
  CHECK(described.code == 0);
  CHECK(described.out.find("\ngame.r = ") != std::string::npos);
  CHECK(described.out.find("\nrun.steps = ") != std::string::npos);
  CHECK(described.out.find("\nrun.seed = ") != std::string::npos);
  CHECK(described.out.find("run.activation") == std::string::npos);
  CHECK(described.out.find("\npolicy.") == std::string::npos);
  CHECK(described.out.find("cascade.") == std::string::npos);

  const auto threads = cli({"run", "-q", "--threads", "2", "--set", "model=public_goods", "--set",
                            "network.kind=lattice", "--set", "network.size=5", "--set",
                            "run.steps=2", "-o", temp("pg.h5").string()});
  CHECK(threads.code == 0);
  CHECK(threads.err ==
        "icsim: warning: --threads 2: model public_goods updates one player at a "
        "time, on one thread\n");
  std::filesystem::remove(temp("pg.h5"));
  std::filesystem::remove(file);
}

TEST_CASE("model_uses: classic prefixes belong to the classic models - the rest to health",
          "[cli]") {
  CHECK(model_uses(Model::health, "policy.system_tied_share"));
  CHECK(model_uses(Model::health, "finance.payment_mechanism"));  // a prefix still to come
  CHECK(model_uses(Model::health, "run.activation"));
  CHECK_FALSE(model_uses(Model::public_goods, "run.activation"));
  CHECK(model_uses(Model::public_goods, "game.r"));
  CHECK_FALSE(model_uses(Model::threshold_cascade, "game.r"));
  CHECK(model_uses(Model::threshold_cascade, "cascade.seeds"));
  CHECK(model_uses(Model::threshold_cascade, "network.size"));
  CHECK_FALSE(model_uses(Model::health, "network.size"));
  for (const Model m : {Model::health, Model::public_goods, Model::threshold_cascade}) {
    CHECK(model_uses(m, "model"));
    CHECK(model_uses(m, "run.seed"));
  }
}

// Issue 15, items 8 and 12: numbers on the command line are refused as typed.
TEST_CASE("command-line numbers: refused as typed - within the stated range", "[cli]") {
  const auto huge = cli({"check", "england-2019", "--seed", "99999999999999999999"});
  CHECK(huge.code == 2);
  CHECK(huge.err ==
        "icsim: error: --seed: key 'run.seed': '99999999999999999999' is not allowed; "
        "expected a whole number in [0, 9200000000000000000]\n");
  CHECK(cli({"check", "england-2019", "--seed", "9200000000000000001"}).code == 2);
  CHECK(cli({"check", "england-2019", "--seed", "9200000000000000000"}).code == 0);
  const auto sweep = temp("numbers.toml");
  std::ofstream(sweep) << "years = 1\n";
  for (const std::string interval : {"nan", "inf", "0", "-1", "-nan"}) {
    INFO(interval);
    const auto r = cli(
        {"sweep", sweep.string(), "-o", temp("never.h5").string(), "--commit-interval", interval});
    CHECK(r.code == 2);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.find("--commit-interval") != std::string::npos);
  }
  const auto shard = cli({"sample", sweep.string(), "--shard", "5/18446744073709551615"});
  CHECK(shard.code == 2);
  CHECK(shard.err.find("N <= 9223372036854775807") != std::string::npos);
  const auto one = cli(
      {"sweep", sweep.string(), "-o", temp("one.h5").string(), "--overwrite", "--threads", "1"});
  CHECK(one.code == 0);
  CHECK(one.out.find("; 1 thread\n") != std::string::npos);
  {
    std::ofstream text(sweep);
    text << "[axes]\n";
    for (const char* axis : {"psf", "bailout", "writeoff_trusts", "writeoff_commissioners",
                             "transition_pressure", "system_tied_share"})
      text << "\"policy." << axis << "\" = { min = 0.0, max = 1.0, levels = 1000 }\n";
  }
  const auto many = cli({"sample", sweep.string()});
  CHECK(many.code == 2);
  CHECK(many.err.find("too many runs (1e+18)") != std::string::npos);
  CHECK(many.err.size() < 200);
  for (const auto& f : {sweep, temp("one.h5")}) std::filesystem::remove(f);
}

// Issue 15, item 12: a world the parameters cannot make names where the parameter was set.
TEST_CASE("a population mix without weight names the file and key - exit 2", "[cli]") {
  const auto file = temp("no-mix.toml");
  std::ofstream out(file);
  out << "[population]\nsource = \"synthetic\"\norganisations = 100\n[population.mix]\n";
  for (const auto& spec : registry())
    if (spec.name.starts_with("population.mix.")) out << spec.name.substr(15) << " = 0.0\n";
  out.close();
  const auto r = cli({"run", file.string(), "--years", "1", "-o", temp("never.h5").string()});
  CHECK(r.code == 2);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find(file.string() + ": key 'population.mix': every kind has weight 0") !=
        std::string::npos);
  CHECK_FALSE(std::filesystem::exists(temp("never.h5")));
  std::filesystem::remove(file);
}

// Issue 15, item 13: icsim run ended by SIGTERM or SIGINT leaves no .partial file.
TEST_CASE("icsim run stopped by SIGTERM or SIGINT mid-run removes its temporary file", "[cli]") {
  for (const int signal_number : {SIGTERM, SIGINT}) {
    INFO(signal_number);
    const auto folder = temp("signalled");
    std::filesystem::remove_all(folder);
    std::filesystem::create_directory(folder);
    const auto out = folder / "out.h5";
    int pipe_ends[2];
    REQUIRE(::pipe(pipe_ends) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], 1);
    posix_spawn_file_actions_addclose(&actions, pipe_ends[0]);
    std::vector<std::string> args{ICSIM_BINARY, "run", "--years", "1000", "-o", out.string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    REQUIRE(posix_spawn(&pid, ICSIM_BINARY, &actions, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_ends[1]);
    // The first year's line: the run is under way and its temporary file exists.
    FILE* from = ::fdopen(pipe_ends[0], "r");
    char line[512];
    bool year = false;
    while (!year && std::fgets(line, sizeof line, from))
      year = std::string(line).starts_with("  2019");
    REQUIRE(year);
    bool partial = false;
    for (const auto& entry : std::filesystem::directory_iterator(folder))
      partial = partial || entry.path().filename().string().find(".partial-") != std::string::npos;
    CHECK(partial);
    ::kill(pid, signal_number);
    std::fclose(from);
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == signal_number);
    CHECK(std::filesystem::is_empty(folder));  // neither the output nor its temporary
    std::filesystem::remove_all(folder);
  }
}
