// Items 1 and 3: the model alone on England's default population, and a synthetic population of
// a million organisations (build time, speed on one and on all cores, memory).
#include <cstdio>
#include <memory>
#include <numeric>
#include <regex>
#include <stdexcept>
#include <string>

#include "agents/step.hpp"
#include "bench/bench.hpp"
#include "experiments/population.hpp"
#include "experiments/scenario.hpp"

namespace icsim::bench {
namespace {

double simulate_copy(const World& base) {
  World w = base;  // the copy is set-up, not timed
  const Stopwatch clock;
  simulate(w, {});
  return clock.seconds();
}

Params synthetic(std::size_t organisations, double mean_degree) {
  Params p = load_scenario(std::string(default_scenario)).params;
  apply_setting(p, "population.source=synthetic", "bench");
  apply_setting(p, "population.organisations=" + std::to_string(organisations), "bench");
  apply_setting(p, "population.mean_degree=" + format(mean_degree, 6), "bench");
  p.years = 10;
  return p;
}

// Peak heap over building a world and simulating its first year (every per-year buffer is
// allocated by then), less what was live before.
std::size_t peak_bytes(const Params& p) {
  const std::size_t before = heap_live();
  reset_heap_peak();
  World w = make_world(p);
  step(w, {});
  return heap_peak() - before;
}

// Agent-years of a run: the organisations that exist in each year (England's commissioners
// change over time: those not yet or no longer active cost next to nothing and do not count).
double agent_years(const World& base) {
  World w = base;
  double count = 0;
  simulate(w, [&](const World& world) {
    count += std::accumulate(world.ledger.active.begin(), world.ledger.active.end(), 0.0);
  });
  return count;
}

// ns an agent-year of one quick item-1 measurement by a saved icsim-bench (another build).
double baseline_ns(const std::string& binary) {
  const std::string command = binary + " --quick --only 1 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) throw std::runtime_error("cannot run " + binary);
  std::string text;
  char buffer[4096];
  while (const std::size_t got = std::fread(buffer, 1, sizeof buffer, pipe.get()))
    text.append(buffer, got);
  std::smatch match;
  if (!std::regex_search(text, match, std::regex(R"(([0-9.]+) ns an agent-year)")))
    throw std::runtime_error(binary + " printed no 'ns an agent-year' for item 1");
  return std::stod(match[1]);
}

}  // namespace

void england_model(Table& table, const Options& options) {
  Params p = load_scenario(std::string(default_scenario)).params;
  p.years = 10;
  const World base = make_world(p);
  const double years_of_agents = agent_years(base);
  const Threads one(1);
  const auto ns_per_agent_year = [&](double budget) {
    return median_seconds([&] { return simulate_copy(base); }, budget, 5) * 1e9 / years_of_agents;
  };
  const double ns = ns_per_agent_year(options.quick ? 0.3 : 4.0);
  table.add("1",
            "England default (" + format(years_of_agents / 10.0) +
                " organisations a year on average), 10 years, model alone, 1 thread",
            si(1e9 / ns) + " agent-years/s (" + format(ns * years_of_agents / 1e6) + " ms a run, " +
                format(ns) + " ns an agent-year)",
            ">= 5 M/s", 1e9 / ns >= 5e6);
  if (options.baseline.empty()) return;
  // The same measurement by a saved build of an earlier commit, in alternation with this one
  // (issue 12: the second version may cost at most 1.5x the first per agent-year).
  std::vector<double> ratio, old_ns, new_ns;
  for (int round = 0; round < (options.quick ? 3 : 7); ++round) {
    old_ns.push_back(baseline_ns(options.baseline));
    new_ns.push_back(ns_per_agent_year(0.3));
    ratio.push_back(new_ns.back() / old_ns.back());
  }
  table.add(
      "1", "the same, by the saved build " + options.baseline,
      format(median(old_ns)) + " ns an agent-year (this build: " + format(median(new_ns)) + ")");
  const double r = median(ratio);
  table.add("1", "cost per agent-year, this build over the saved build (in alternation)", format(r),
            "<= 1.5", r <= 1.5);
}

void synthetic_population(Table& table, const Options& options) {
  const std::size_t n = options.quick ? 50'000 : 1'000'000;
  const std::string label = si(static_cast<double>(n), 3) + " synthetic organisations";
  const std::string which = "3";

  // Build time, and how it grows: a population a quarter the size first.
  double quarter = 0, full = 0;
  {
    const Stopwatch clock;
    const World w = make_world(synthetic(n / 4, 10));
    quarter = clock.seconds();
  }
  const std::size_t before = heap_live();
  reset_heap_peak();
  const Stopwatch clock;
  World base = make_world(synthetic(n, 10));
  full = clock.seconds();
  step(base, {});
  const std::size_t peak = heap_peak() - before;
  const double edges = static_cast<double>(base.graph.edge_count());
  table.add(which, label + ", mean degree 10: build the population",
            format(full) + " s (" + format(full * 1e9 / static_cast<double>(n)) +
                " ns an organisation; per organisation " + format(full / quarter / 4.0) +
                "x the quarter-size build's)",
            "roughly linear (<= 1.25x)", full / quarter / 4.0 <= 1.25);

  // Speed: 10 years on one thread and on all cores, alternating.
  const std::size_t cores = all_cores();
  std::vector<double> one, all;
  for (int round = 0; round < (options.quick ? 2 : 3); ++round) {
    {
      const Threads limit(1);
      one.push_back(simulate_copy(base));
    }
    const Threads limit(cores);
    all.push_back(simulate_copy(base));
  }
  const double agent_years = static_cast<double>(n) * 10.0;
  const double t1 = median(one), tn = median(all);
  table.add(which, label + ", 10 years, 1 thread", si(agent_years / t1) + " agent-years/s");
  table.add(which, label + ", 10 years, all " + std::to_string(cores) + " cores",
            si(agent_years / tn) + " agent-years/s");
  std::vector<double> speedups(one.size());
  for (std::size_t r = 0; r < one.size(); ++r) speedups[r] = one[r] / all[r];
  const double speedup = median(speedups);
  table.add(which, label + ": speed-up, all cores over 1 thread", format(speedup),
            cores >= 2 ? ">= 1.8 on 2 cores" : "(one core here)",
            cores >= 2 ? int(speedup >= 1.8) : -1);

  // Memory: the peak above, and one without edges, which separates organisations from edges.
  const std::size_t no_edges = peak_bytes(synthetic(n, 0));
  const double per_org = static_cast<double>(no_edges) / static_cast<double>(n);
  const double per_edge = (static_cast<double>(peak) - static_cast<double>(no_edges)) / edges;
  // Issue 12: at most 1.5 times the first version's 296 bytes an organisation and 21.3 an edge.
  table.add(which, label + ": peak heap per organisation (mean degree 0)",
            format(per_org) + " bytes", "<= 444", per_org <= 444);
  table.add(which, label + ": peak heap per edge (" + si(edges) + " edges at mean degree 10)",
            format(per_edge) + " bytes", "<= 32", per_edge <= 32);
  const double budget = 444.0 * static_cast<double>(n) + 32.0 * edges;
  table.add(which,
            label + ": peak heap at mean degree 10, against 444 n + 32 edges (" +
                format(static_cast<double>(peak) / 1e6) + " MB of " + format(budget / 1e6) + " MB)",
            format(static_cast<double>(peak) / budget), "<= 1",
            static_cast<double>(peak) <= budget);
  const double ten_million = 1e7 * (per_org + 5.0 * per_edge);
  table.add(which, "10 M organisations at mean degree 10, from the figures above",
            format(ten_million / (1024.0 * 1024 * 1024)) + " GiB", "< 24 GiB",
            ten_million < 24.0 * 1024 * 1024 * 1024);
}

}  // namespace icsim::bench
