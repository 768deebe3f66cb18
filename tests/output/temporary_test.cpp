// Issue 15, item 13: temporary outputs go on failure and on SIGINT, SIGTERM and SIGHUP.
#include "output/temporary.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

using namespace icsim;
namespace fs = std::filesystem;

namespace {
fs::path temp(const std::string& name) {
  return fs::temp_directory_path() / ("icsim-temporary-" + std::to_string(::getpid()) + "-" + name);
}

// Runs `body` in a child process; returns its wait status.
template <class Body>
int in_child(const Body& body) {
  const pid_t child = ::fork();
  if (child == 0) {
    body();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return status;
}
}  // namespace

TEST_CASE("temporary file: named beside the output - renamed over it - removed otherwise",
          "[temporary]") {
  const auto out = temp("out.h5");
  fs::path name;
  {
    TemporaryFile t(out);
    name = t.path();
    CHECK(name.parent_path() == out.parent_path());
    CHECK(name.filename().string() ==
          out.filename().string() + ".partial-" + std::to_string(::getpid()));
    std::ofstream(t.path()) << "half";
  }
  CHECK_FALSE(fs::exists(name));
  CHECK_FALSE(fs::exists(out));
  {
    TemporaryFile t(out);
    std::ofstream(t.path()) << "whole";
    t.commit();
  }
  CHECK_FALSE(fs::exists(name));
  std::ifstream in(out);
  std::string text;
  in >> text;
  CHECK(text == "whole");
  fs::remove(out);
}

TEST_CASE("temporary file: SIGTERM - SIGINT and SIGHUP remove it - then end the process",
          "[temporary]") {
  for (const int signal_number : {SIGTERM, SIGINT, SIGHUP}) {
    INFO(signal_number);
    const auto out = temp("signalled.h5");
    const auto marker = temp("signalled.name");
    const int status = in_child([&] {
      install_signal_cleanup();
      TemporaryFile t(out);
      std::ofstream(t.path()) << "half";
      std::ofstream(marker) << t.path().string();
      ::raise(signal_number);
    });
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == signal_number);
    std::ifstream in(marker);
    std::string name;
    std::getline(in, name);
    CHECK_FALSE(name.empty());
    CHECK_FALSE(fs::exists(name));
    CHECK_FALSE(fs::exists(out));
    fs::remove(marker);
  }
}

TEST_CASE("temporary file: a signal ignored at start stays ignored", "[temporary]") {
  const auto out = temp("ignored.h5");
  const int status = in_child([&] {
    ::signal(SIGHUP, SIG_IGN);  // as under nohup
    install_signal_cleanup();
    TemporaryFile t(out);
    std::ofstream(t.path()) << "whole";
    ::raise(SIGHUP);
    t.commit();
  });
  CHECK(WIFEXITED(status));
  CHECK(fs::exists(out));
  fs::remove(out);
}
