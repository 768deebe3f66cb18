#include "experiments/memory.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "experiments/scenario.hpp"
#include "experiments/sweep.hpp"
#include "network/edge_list.hpp"
#include "network/input_file.hpp"

namespace icsim {
namespace {

// Bytes per element at the peak of building a world and simulating it. Update them here when
// the model's memory changes (bench/README.md, item 3, measures the health model's).
// - Health model: bench item 3 measured 296 bytes an organisation and 21.3 an edge (commit
//   807e27a); the model's second version (issue 12) measured 399 and 26.6 (commit 5455397),
//   within the 450 and 32 used here.
// - Classic models: peak RSS of `icsim run -q --set model=public_goods --set network.kind=lattice
//   --set network.size=1000` (1 M nodes, 2 M edges: 85 MB over an empty run) and of threshold
//   cascades and the public goods game on Erdos-Renyi graphs of 1 M nodes (5 M and 10 M edges:
//   212 MB and 398 MB) give about 20 bytes a node and 40 an edge; with headroom 32 and 64.
// - A threshold cascade's realisation keeps 3 numbers and writes 4 columns: 40 bytes.
constexpr double organisation_bytes = 450, edge_bytes = 32;
constexpr double classic_node_bytes = 32, classic_edge_bytes = 64;
constexpr double realisation_bytes = 40;
// England's population (data/england, 2021: 1,892 organisations, 42 systems, 10,868 edges),
// rounded up so that a larger edition of the data needs no edit.
constexpr double england_organisations = 2500, england_systems = 50, england_edges = 15000;
// A refusal names the graph's size, or its mean degree when that is beyond this.
constexpr double dense = 100;

std::string number_text(double x) {
  std::ostringstream out;
  out.precision(x < 1e15 ? 15 : 3);
  out << x;
  return out.str();
}

std::string value_text(const Params& p, const std::string& key) {
  const Value v = find_param(key)->get(p);
  if (const auto* text = std::get_if<std::string>(&v)) return "'" + printable(*text) + "'";
  return format_value(v);
}

// A classic model's graph, from network.kind and its sizes.
void add_classic_graph(const Params& p, Footprint& f) {
  const double n = static_cast<double>(p.network_size);
  switch (p.network_kind) {
    case NetworkKind::lattice:  // network.size is the side
      f.nodes = n * n;
      f.edges = 2 * n * n;
      f.key = "network.size";
      return;
    case NetworkKind::erdos_renyi:
    case NetworkKind::barabasi_albert:
    case NetworkKind::watts_strogatz:
      f.nodes = n;
      f.edges = n * std::max(p.network_mean_degree, 2.0) / 2 + n;
      f.key = p.network_mean_degree > dense ? "network.mean_degree" : "network.size";
      return;
    case NetworkKind::edge_list: {
      f.key = "network.file";
      if (p.network_file.empty()) return;  // refused when the graph is made
      std::error_code error;
      const auto size = std::filesystem::file_size(p.network_file, error);
      if (error) return;  // refused when the graph is made
      // Read once here to count its nodes: an id of 3000000000 makes 3 G nodes from one line.
      f.other_bytes = static_cast<double>(size);
      const EdgeListFile file = load_edge_list(p.network_file);
      f.nodes = static_cast<double>(file.nodes);
      f.edges = static_cast<double>(file.edges.size());
      return;
    }
    case NetworkKind::england:
      f.nodes = england_organisations;
      f.edges = england_edges;
      f.key = "network.kind";
      return;
  }
}

// Rows of series a sweep run holds: years x (metrics at a level x its width), 8 bytes each.
double series_bytes(const Sweep& sweep, const Params& p, const Footprint& f) {
  const SweepSchema schema(sweep.record);
  const double systems =
      p.population_source == PopulationSource::synthetic
          ? std::min<double>(static_cast<double>(p.synthetic_systems), f.organisations)
          : england_systems;
  const std::array<double, 3> widths{f.organisations, systems, 1};
  double values = 0;
  for (std::size_t level = 0; level < 3; ++level)
    values += static_cast<double>(schema.series[level].size()) * widths[level];
  return values * static_cast<double>(p.years) * 8;
}

}  // namespace

double estimated_bytes(const Footprint& f) {
  const bool classic = f.nodes > 0;
  return f.organisations * organisation_bytes + f.nodes * classic_node_bytes +
         f.edges * (classic ? classic_edge_bytes : edge_bytes) + f.other_bytes;
}

Footprint world_footprint(const Params& p) {
  Footprint f;
  if (p.model != Model::health) {
    add_classic_graph(p, f);
    if (p.model == Model::threshold_cascade) {
      const double results = static_cast<double>(p.cascade_realisations) * realisation_bytes;
      f.other_bytes += results;
      if (results > estimated_bytes(f) - results) f.key = "cascade.realisations";
    }
    return f;
  }
  if (p.population_source == PopulationSource::england) {
    f.organisations = england_organisations;
    f.edges = england_edges;
    f.key = "population.source";
    return f;
  }
  f.organisations = static_cast<double>(p.synthetic_organisations);
  f.edges = std::ceil(p.synthetic_mean_degree / 2) * f.organisations;
  f.key = p.synthetic_mean_degree > dense ? "population.mean_degree" : "population.organisations";
  return f;
}

std::uint64_t available_memory() {
  std::ifstream in("/proc/meminfo");
  std::string name;
  std::uint64_t kib = 0;
  std::string unit;
  while (in >> name >> kib >> unit)
    if (name == "MemAvailable:") return kib * 1024;
  return 0;
}

std::optional<std::uint64_t> parse_bytes(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end == text.data() || !std::isfinite(value) || value < 0)
    return std::nullopt;
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.remove_suffix(1);
  if (unit.size() == 2 && (unit.back() == 'i' || unit.back() == 'I')) unit.remove_suffix(1);
  static constexpr std::string_view units = "KMGT";
  double scale = 1;
  if (unit.size() == 1) {
    const auto at =
        units.find(static_cast<char>(std::toupper(static_cast<unsigned char>(unit[0]))));
    if (at == std::string_view::npos) return std::nullopt;
    scale = std::pow(1024.0, static_cast<double>(at + 1));
  } else if (!unit.empty()) {
    return std::nullopt;
  }
  const double bytes = value * scale;
  if (bytes >= 1.8e19) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

MemoryLimit memory_limit(const std::string& option) {
  if (option.empty()) return {available_memory(), "MemAvailable"};
  const auto bytes = parse_bytes(option);
  if (!bytes)
    throw InputError("--max-memory '" + printable(option) +
                     "': expected a size in bytes, or with K, M, G or T (powers of 1024), "
                     "e.g. 8G");
  return {*bytes, "--max-memory"};
}

std::string bytes_text(double bytes) {
  static constexpr std::array<const char*, 7> units{"bytes", "KiB", "MiB", "GiB",
                                                    "TiB",   "PiB", "EiB"};
  std::size_t u = 0;
  while (bytes >= 1024 && u + 1 < units.size()) {
    bytes /= 1024;
    ++u;
  }
  std::ostringstream out;
  out.precision(bytes < 10 && u ? 2 : 3);
  out << bytes << " " << units[u];
  return out.str();
}

std::optional<std::string> memory_refusal(const Params& params, unsigned copies, double extra_bytes,
                                          std::uint64_t limit, const std::string& limit_origin) {
  if (limit == 0) return std::nullopt;
  const Footprint f = world_footprint(params);
  const double world = estimated_bytes(f), need = world * copies + extra_bytes;
  if (need <= static_cast<double>(limit)) return std::nullopt;
  std::string sizes;
  const auto add = [&](double n, const char* what) {
    if (n > 0) sizes += (sizes.empty() ? "" : " and ") + number_text(n) + " " + what;
  };
  add(f.organisations, "organisations");
  add(f.nodes, "nodes");
  add(f.edges, "edges");
  if (params.model == Model::threshold_cascade)
    add(static_cast<double>(params.cascade_realisations), "realisations");
  std::string parts = "about " + bytes_text(world);
  if (copies > 1) parts += " each, " + std::to_string(copies) + " at once";
  if (extra_bytes > 0) parts += ", and " + bytes_text(extra_bytes) + " of recorded series";
  return "key '" + f.key + "': " + value_text(params, f.key) + " makes " + sizes + " (" + parts +
         "): more than the " + bytes_text(static_cast<double>(limit)) + " available (" +
         limit_origin + (limit_origin == "--max-memory" ? ")" : "; --max-memory sets the limit)");
}

std::optional<std::string> sweep_memory_refusal(const Sweep& sweep, unsigned threads,
                                                std::uint64_t limit,
                                                const std::string& limit_origin) {
  if (limit == 0) return std::nullopt;
  // Sizes grow with their parameters: every numeric axis at its largest value at once, then
  // each value of each categorical axis on top.
  Params worst = sweep.base;
  for (const auto& a : sweep.axes) {
    if (a.categorical()) continue;
    double top = a.max;
    for (const auto& v : a.values)
      std::visit(
          [&](auto x) {
            if constexpr (std::is_arithmetic_v<decltype(x)>) top = std::max(top, double(x));
          },
          v);
    a.spec->set(worst, a.spec->type == ParamType::integer ? Value{std::llround(top)} : Value{top});
  }
  std::vector<Params> candidates{worst};
  for (const auto& a : sweep.axes)
    if (a.categorical())
      for (const auto& v : a.values) {
        candidates.push_back(worst);
        a.spec->set(candidates.back(), v);
      }
  // Worlds: the base and one a thread. Rows: two a thread in the pipeline, the writer's queue
  // (16) and hand-over (8); the writer's carry between commits is bounded at 64 MiB.
  const double rows = 2.0 * threads + 24;
  for (const auto& p : candidates) {
    const double series = series_bytes(sweep, p, world_footprint(p)) * rows + (64 << 20);
    if (auto refusal = memory_refusal(p, threads + 1, series, limit, limit_origin)) return refusal;
  }
  return std::nullopt;
}

}  // namespace icsim
