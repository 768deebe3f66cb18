// icsim-bench [--quick] [--only N[,N...]] [--scratch DIR]: the benchmarks of issue 7 as one
// table (bench/README.md keeps the latest, with the machine it ran on).
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "bench/bench.hpp"
#include "icsim/version.hpp"

namespace {

std::string cpu_model() {
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

void usage() {
  std::puts(
      "icsim-bench [--quick] [--only N[,N...]] [--scratch DIR] [--baseline OLD_ICSIM_BENCH]\n"
      "  1 England default, model alone   2 sweep throughput   3 synthetic 1M population\n"
      "  4 full organisation recording    5 public goods game vs a plain loop\n"
      "  --quick: small sizes (CI); --scratch: where output files go (default /tmp)\n"
      "  --baseline: item 1 also times a saved icsim-bench of an earlier build, in alternation");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace icsim::bench;
  Options options;
  for (int a = 1; a < argc; ++a) {
    const std::string arg = argv[a];
    if (arg == "--quick") {
      options.quick = true;
    } else if (arg == "--only" && a + 1 < argc) {
      options.items.clear();
      std::stringstream list(argv[++a]);
      for (std::string item; std::getline(list, item, ',');)
        options.items.push_back(std::stoi(item));
    } else if (arg == "--scratch" && a + 1 < argc) {
      options.scratch = argv[++a];
    } else if (arg == "--baseline" && a + 1 < argc) {
      options.baseline = argv[++a];
    } else {
      usage();
      return arg == "--help" || arg == "-h" ? 0 : 2;
    }
  }
  // Checked before item 1's minute of work, and named: item 2 would fail on its lock file.
  if (std::error_code error; !std::filesystem::is_directory(options.scratch, error)) {
    std::fprintf(stderr, "icsim-bench: --scratch %s: no such directory\n", options.scratch.c_str());
    return 2;
  }
  std::printf("icsim-bench %s%s: %s, %zu cores (TBB), %u hardware threads\n\n", icsim::version,
              options.quick ? " --quick" : "", cpu_model().c_str(), all_cores(),
              std::thread::hardware_concurrency());
  std::fflush(stdout);
  Table table;
  try {
    for (const int item : options.items) {
      std::fprintf(stderr, "item %d...\n", item);
      switch (item) {
        case 1:
          england_model(table, options);
          break;
        case 2:
          sweep_throughput(table, options);
          break;
        case 3:
          synthetic_population(table, options);
          break;
        case 4:
          full_recording(table, options);
          break;
        case 5:
          public_goods(table, options);
          break;
        default:
          std::fprintf(stderr, "no item %d\n", item);
          return 2;
      }
    }
  } catch (const std::exception& e) {
    table.print();
    std::fprintf(stderr, "icsim-bench: %s\n", e.what());
    return 1;
  }
  table.print();
  return 0;
}
