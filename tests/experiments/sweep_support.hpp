// Test helpers for sweeps: sweep files in a temporary folder, the CLI in process, the icsim
// binary in the background, and reading a sweep file's columns.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "experiments/cli.hpp"
#include "output/hdf5.hpp"

extern char** environ;

namespace icsim::test {

// A fresh folder per test process, removed when the process ends.
inline std::filesystem::path sweep_folder() {
  static const struct Folder {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("icsim-sweep-test-" + std::to_string(::getpid()));
    Folder() {
      std::filesystem::remove_all(path);
      std::filesystem::create_directories(path);
    }
    ~Folder() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  } folder;
  return folder.path;
}

inline std::filesystem::path write_file(const std::string& name, const std::string& text) {
  const auto path = sweep_folder() / name;
  std::ofstream(path) << text;
  return path;
}

// A tiny sweep: 3 Latin hypercube points x 2 replications, 2 years, England 2020.
inline std::string tiny_sweep(const std::string& record = R"(["summary", "national", "system"])",
                              int samples = 3) {
  return "scenario = \"england-2020\"\nyears = 2\nreplications = 2\nseed = 7\n"
         "design = \"latin_hypercube\"\nsamples = " +
         std::to_string(samples) + "\nrecord = " + record +
         "\n[axes]\n\"policy.system_tied_share\" = { min = 0.0, max = 1.0 }\n"
         "\"policy.redistribution\" = [\"pro_rata\", \"need\"]\n";
}

struct CliResult {
  int code;
  std::string out, err;
};
inline CliResult cli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = run_cli(args, out, err);
  return {code, out.str(), err.str()};
}

inline int line_count(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

// The icsim binary in the background, its output in `log`.
inline pid_t spawn_icsim(const std::vector<std::string>& args, const std::filesystem::path& log) {
  std::vector<std::string> all{ICSIM_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int failed = posix_spawn(&pid, ICSIM_BINARY, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return failed ? -1 : pid;
}

inline int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Rows in /runs/run of a sweep file, or -1 if it does not open (yet).
inline long long recorded_rows(const std::filesystem::path& path) {
  h5::quiet();
  if (!std::filesystem::exists(path)) return -1;
  try {
    const h5::Handle file = h5::open_file(path.string(), false);
    return static_cast<long long>(h5::shape(file, "runs/run").at(0));
  } catch (const h5::Error&) {
    return -1;
  }
}

// Waits until `path` holds at least `rows` committed runs (polling the file: an observable
// event, not a guess of time), then kills `pid` with SIGKILL. Returns the rows seen before the
// kill and the rows the file holds after it, and whether the process died of the kill.
struct Killed {
  long long before = -1, after = -1;
  bool by_signal = false;
};
inline Killed kill_when_recorded(pid_t pid, const std::filesystem::path& path, long long rows) {
  Killed k;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while ((k.before = recorded_rows(path)) < rows && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ::kill(pid, SIGKILL);
  k.by_signal = wait_exit(pid) == 128 + SIGKILL;
  k.after = recorded_rows(path);
  return k;
}

}  // namespace icsim::test
