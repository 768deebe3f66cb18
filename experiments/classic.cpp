#include "experiments/classic.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <atomic>
#include <cmath>
#include <iomanip>
#include <limits>
#include <optional>
#include <ostream>

#include "agents/parallel.hpp"
#include "agents/public_goods.hpp"
#include "agents/threshold_cascade.hpp"
#include "experiments/england.hpp"
#include "experiments/scenario.hpp"
#include "icsim/version.hpp"
#include "network/edge_list.hpp"
#include "network/generators.hpp"
#include "network/random.hpp"
#include "output/hdf5.hpp"
#include "output/temporary.hpp"

namespace icsim {
namespace {

[[noreturn]] void refuse(const std::string& key, const std::string& message) {
  throw ParamError("key '" + key + "': " + message);
}

std::uint32_t node_count(const Params& p, std::uint64_t minimum, const std::string& why) {
  if (p.network_size < 0 || static_cast<std::uint64_t>(p.network_size) < minimum)
    refuse("network.size", why + " (got " + std::to_string(p.network_size) + ")");
  if (p.network_size > 0xFFFFFFFEll) refuse("network.size", "at most 4294967294 nodes");
  return static_cast<std::uint32_t>(p.network_size);
}

// A parameter's value as plain text (a choice's name without TOML's quotes).
std::string registry_text(const Params& p, std::string_view name) {
  const Value value = find_param(name)->get(p);
  if (const auto* text = std::get_if<std::string>(&value)) return *text;
  return format_value(value);
}

std::uint64_t classic_key(const Params& p) {
  return run_key(static_cast<std::uint64_t>(p.seed), 0);
}

// An output file written under a temporary name and renamed into place by finish(), so a failed
// run never leaves a half-written file under the requested name.
// An empty path keeps the file in memory (image()).
class OutputFile {
 public:
  OutputFile(const std::filesystem::path& path, const Provenance& provenance, const Params& p) {
    h5::quiet();
    if (path.empty()) {
      static std::atomic<std::uint64_t> files{0};
      file_ = h5::create_memory_file("icsim-classic-" + std::to_string(::getpid()) + "-" +
                                     std::to_string(files++));
    } else {
      temporary_.emplace(path);
      file_ = h5::create_file(temporary_->path().string());
    }
    write_provenance(file_, provenance, p.seed);
    write_parameter_registry(file_);
    h5::set_attribute(file_, "model", registry_text(p, "model"));
  }
  hid_t get() const { return file_; }

  // A 1-D dataset with units and description, labelled by `scale` (none: it is the scale).
  template <class T>
  h5::Handle column(hid_t group, const std::string& name, const std::vector<T>& values,
                    const std::string& units, const std::string& description,
                    hid_t scale = H5I_INVALID_HID) {
    h5::Handle set = h5::write_vector<T>(group, name, std::span<const T>(values));
    h5::describe(set, units, description);
    if (scale == H5I_INVALID_HID)
      h5::make_scale(set, name);
    else
      h5::attach_scale(set, scale, 0);
    return set;
  }

  void write_network(const Params& p, std::uint32_t nodes) {
    h5::Handle group = h5::create_group(file_, "network");
    h5::set_attribute(group, "kind", registry_text(p, "network.kind"));
    h5::set_attribute(group, "nodes", std::int64_t{nodes});
    h5::set_attribute(group, "description",
                      std::string("the graph the classic model ran on (network.* parameters)"));
  }

  std::vector<char> image() const { return h5::file_image(file_); }

  void finish() {
    h5::check(H5Fflush(file_, H5F_SCOPE_GLOBAL), "cannot write");
    if (!temporary_) return;  // in memory: image() holds it
    h5::close_file(file_);
    temporary_->commit();
  }

 private:
  std::optional<TemporaryFile> temporary_;  // none in memory; declared first: goes after the file
  h5::Handle file_;
};

void write_public_goods(OutputFile& out, const Params& p, const PublicGoodsRun& run) {
  out.write_network(p, run.nodes);
  h5::set_attribute(h5::open_group(out.get(), "network"), "edges",
                    static_cast<std::int64_t>(run.edges));
  h5::Handle national = h5::create_group(out.get(), "timeseries/national");
  h5::Handle step = out.column(national, "step", run.step, "Monte Carlo steps",
                               "Monte Carlo steps completed (0: the initial state); every "
                               "run.record_every steps and the last step run");
  h5::Handle fraction = out.column(national, "cooperator_fraction", run.cooperator_fraction,
                                   "fraction", "share of players who cooperate", step);
  h5::set_attribute(fraction, "absorbing_state", run.absorbing_state);
  h5::set_attribute(fraction, "absorbed_at_step", run.absorbed_at_step);

  h5::Handle summary = h5::create_group(out.get(), "summary");
  h5::set_attribute(summary, "absorbing_state", run.absorbing_state);
  h5::Handle index = out.column(summary, "run", std::vector<std::int32_t>{0}, "index", "run");
  out.column(summary, "steps_run", std::vector<std::int64_t>{run.steps_run}, "Monte Carlo steps",
             "steps simulated: run.steps, or fewer when an absorbing state stopped the run", index);
  out.column(summary, "absorbed_at_step", std::vector<std::int64_t>{run.absorbed_at_step},
             "Monte Carlo steps",
             "step after which all players cooperated or all defected (-1: never; 0: at the start)",
             index);
  out.column(summary, "final_cooperator_fraction",
             std::vector<double>{run.cooperator_fraction.back()}, "fraction",
             "share of cooperators when the run ended", index);
  out.column(summary, "mean_cooperator_fraction", std::vector<double>{run.mean_cooperator_fraction},
             "fraction",
             "mean share of cooperators over the second half of run.steps (an absorbing state "
             "lasting to the end)",
             index);
}

void write_cascade(OutputFile& out, const Params& p, const CascadeRun& run) {
  out.write_network(p, run.nodes);
  h5::Handle group = h5::create_group(out.get(), "realisations");
  std::vector<std::int32_t> realisation(run.final_active_share.size());
  std::vector<std::int64_t> edges(run.edges.begin(), run.edges.end());
  std::vector<std::uint8_t> global(realisation.size());
  for (std::size_t r = 0; r < realisation.size(); ++r) {
    realisation[r] = static_cast<std::int32_t>(r);
    global[r] = run.final_active_share[r] > p.cascade_global_share;
  }
  h5::Handle index = out.column(group, "realisation", realisation, "index",
                                "realisation: a fresh graph (random kinds) and fresh seeds");
  out.column(group, "final_active_share", run.final_active_share, "fraction",
             "share of nodes active at quiescence", index);
  out.column(group, "global", global, "0/1",
             "1 if the final active share is above cascade.global_share", index);
  out.column(group, "edges", edges, "edges", "edges of the realisation's graph", index);

  h5::Handle summary = h5::create_group(out.get(), "summary");
  h5::Handle run_index = out.column(summary, "run", std::vector<std::int32_t>{0}, "index", "run");
  out.column(summary, "realisations",
             std::vector<std::int64_t>{static_cast<std::int64_t>(realisation.size())},
             "realisations", "realisations simulated", run_index);
  out.column(summary, "global_cascade_frequency", std::vector<double>{run.global_cascade_frequency},
             "fraction", "share of realisations ending above cascade.global_share", run_index);
  out.column(summary, "mean_global_cascade_size", std::vector<double>{run.mean_global_cascade_size},
             "fraction", "mean final active share of the global cascades (NaN: none)", run_index);
}

}  // namespace

RelationshipGraph generate_network(const Params& p, std::uint64_t key, std::uint32_t realisation);

bool network_is_random(NetworkKind kind) {
  return kind == NetworkKind::erdos_renyi || kind == NetworkKind::barabasi_albert ||
         kind == NetworkKind::watts_strogatz;
}

RelationshipGraph make_network(const Params& p, std::uint64_t key, std::uint32_t realisation) {
  try {
    return generate_network(p, key, realisation);
  } catch (const GraphError& e) {
    throw ParamError(e.what());
  }
}

RelationshipGraph generate_network(const Params& p, std::uint64_t key, std::uint32_t realisation) {
  switch (p.network_kind) {
    case NetworkKind::lattice:  // the registry keeps network.size within 32 bits
      return make_lattice(static_cast<std::uint32_t>(p.network_size));
    case NetworkKind::erdos_renyi:
      return make_erdos_renyi(node_count(p, 1, "an Erdos-Renyi graph needs a node"),
                              p.network_mean_degree, key, realisation);
    case NetworkKind::barabasi_albert:
      return make_barabasi_albert(node_count(p, 2, "a Barabasi-Albert graph needs 2 nodes"),
                                  p.network_mean_degree, key, realisation);
    case NetworkKind::watts_strogatz:
      return make_watts_strogatz(node_count(p, 3, "a Watts-Strogatz graph needs 3 nodes"),
                                 p.network_mean_degree, p.network_rewire, key, realisation);
    case NetworkKind::edge_list: {
      if (p.network_file.empty())
        refuse("network.file", "network.kind = \"edge_list\" needs an edge-list file");
      EdgeListFile file = load_edge_list(p.network_file);
      return RelationshipGraph(file.nodes, std::move(file.edges));
    }
    case NetworkKind::england:
      break;
  }
  return load_england(p).graph;
}

PublicGoodsRun run_public_goods(const Params& p, const StepObserver& observer) {
  PublicGoodsSimulation game(p, observer);
  while (!game.finished()) game.step();
  return game.result();
}

PublicGoodsSimulation::PublicGoodsSimulation(const Params& p, StepObserver observer)
    : params_(p), observer_(std::move(observer)) {
  const std::uint64_t key = classic_key(p);
  graph_ = std::make_unique<const RelationshipGraph>(make_network(p, key, 0));
  game_ = std::make_unique<PublicGoodsGame>(*graph_, GameRules{p.game_r, p.game_cost, p.game_noise},
                                            key, p.game_initial_cooperators);
  run_.nodes = game_->size();
  run_.edges = graph_->edge_count();
  record();
}

void PublicGoodsSimulation::record() {
  run_.step.push_back(t_);
  run_.cooperator_fraction.push_back(game_->cooperator_fraction());
  if (observer_) observer_(t_, game_->cooperator_fraction());
}

bool PublicGoodsSimulation::finished() const {
  return t_ >= params_.steps || game_->absorbed();
}

void PublicGoodsSimulation::step() {
  if (finished()) return;
  game_->monte_carlo_step(static_cast<std::uint32_t>(++t_));
  if (t_ > params_.steps / 2) tail_ += game_->cooperator_fraction();
  if (t_ % params_.record_every == 0 || t_ == params_.steps || game_->absorbed()) record();
}

PublicGoodsRun PublicGoodsSimulation::result() const {
  const std::int64_t steps = params_.steps, half = params_.steps / 2;
  PublicGoodsRun run = run_;
  run.steps_run = t_;
  double tail = tail_;
  if (game_->absorbed()) {
    run.absorbed_at_step = t_;
    run.absorbing_state = game_->cooperators() ? "all_cooperators" : "all_defectors";
    tail += game_->cooperator_fraction() * static_cast<double>(steps - std::max(t_, half));
  }
  run.mean_cooperator_fraction = finished() ? tail / static_cast<double>(steps - half)
                                            : std::numeric_limits<double>::quiet_NaN();
  return run;
}

CascadeRun run_threshold_cascade(const Params& p) {
  CascadeSimulation cascades(p);
  cascades.run(static_cast<std::uint32_t>(p.cascade_realisations));
  return cascades.result();
}

CascadeSimulation::CascadeSimulation(const Params& p) : params_(p), key_(classic_key(p)) {
  const auto realisations = static_cast<std::uint32_t>(p.cascade_realisations);
  // A fixed graph (lattice, file, England) is built once; random kinds draw one per realisation.
  if (!network_is_random(p.network_kind)) fixed_ = make_network(p, key_, 0);
  run_.final_active_share.resize(realisations);
  run_.edges.resize(realisations);
  nodes_.resize(realisations);
}

void CascadeSimulation::run(std::uint32_t count) {
  count = std::min<std::uint32_t>(count, static_cast<std::uint32_t>(nodes_.size()) - done_);
  detail::for_each_index(
      count,
      [&](std::size_t index) {
        const auto r = done_ + static_cast<std::uint32_t>(index);
        std::optional<RelationshipGraph> drawn;
        if (!fixed_) drawn = make_network(params_, key_, r);
        const RelationshipGraph& graph = fixed_ ? *fixed_ : *drawn;
        const auto n = static_cast<std::uint32_t>(graph.node_count());
        ThresholdCascade cascade(graph, params_.cascade_threshold);
        cascade.activate(draw_seeds(n, static_cast<std::uint32_t>(params_.cascade_seeds), key_, r));
        run_.final_active_share[r] = cascade.active_share();
        run_.edges[r] = graph.edge_count();
        nodes_[r] = n;
      },
      1);
  done_ += count;
}

CascadeRun CascadeSimulation::result() const {
  CascadeRun run;
  run.final_active_share.assign(run_.final_active_share.begin(),
                                run_.final_active_share.begin() + done_);
  run.edges.assign(run_.edges.begin(), run_.edges.begin() + done_);
  run.nodes = done_ ? nodes_[0] : 0;
  std::size_t global = 0;
  double size = 0;
  for (const double share : run.final_active_share)
    if (share > params_.cascade_global_share) {
      ++global;
      size += share;
    }
  run.global_cascade_frequency = done_ ? static_cast<double>(global) / done_ : 0.0;
  run.mean_global_cascade_size =
      global ? size / static_cast<double>(global) : std::numeric_limits<double>::quiet_NaN();
  return run;
}

std::vector<char> classic_image(const Params& p, const Provenance& provenance,
                                const PublicGoodsRun& run) {
  OutputFile file({}, provenance, p);
  write_public_goods(file, p, run);
  return file.image();
}

std::vector<char> classic_image(const Params& p, const Provenance& provenance,
                                const CascadeRun& run) {
  OutputFile file({}, provenance, p);
  write_cascade(file, p, run);
  return file.image();
}

namespace {
int run_and_record(const Params& p, const std::filesystem::path& output,
                   const Provenance& provenance, std::ostream* out) {
  OutputFile file(output, provenance, p);  // fails on an unwritable path before simulating
  const std::string network = registry_text(p, "network.kind");
  const std::streamsize precision = out ? out->precision() : 0;
  if (p.model == Model::public_goods) {
    if (out) {
      *out << "icsim " << version << ": public goods game on " << network << ", r = " << p.game_r
           << ", cost = " << p.game_cost << ", K = " << p.game_noise << ", " << p.steps
           << " Monte Carlo steps (random sequential updates), seed " << p.seed << "\n"
           << "      step  cooperator fraction\n";
    }
    // About twenty progress lines, on recorded steps.
    const std::int64_t every =
        p.record_every * std::max<std::int64_t>(1, p.steps / p.record_every / 20);
    const auto print = [&](std::int64_t t, double fraction) {
      const bool absorbed = fraction == 0.0 || fraction == 1.0;
      if (out && (t % every == 0 || t == p.steps || absorbed))
        *out << std::setw(10) << t << "  " << std::fixed << std::setprecision(4) << fraction
             << std::defaultfloat << "\n"
             << std::flush;
    };
    const PublicGoodsRun run = run_public_goods(p, print);
    if (out) {
      if (run.absorbed_at_step >= 0)
        *out << "absorbed after step " << run.absorbed_at_step << ": " << run.absorbing_state
             << "; stopped there\n";
      *out << run.nodes << " players, " << run.edges << " edges; mean cooperator fraction over "
           << "steps " << p.steps / 2 + 1 << "-" << p.steps << ": " << std::fixed
           << std::setprecision(4) << run.mean_cooperator_fraction << std::defaultfloat << "\n";
    }
    write_public_goods(file, p, run);
  } else if (p.model == Model::threshold_cascade) {
    if (out)
      *out << "icsim " << version << ": threshold cascade on " << network << ", threshold "
           << p.cascade_threshold << ", " << p.cascade_seeds << " seed(s), "
           << p.cascade_realisations << " realisations, seed " << p.seed << "\n";
    const CascadeRun run = run_threshold_cascade(p);
    if (out) {
      double edges = 0;
      for (const auto e : run.edges) edges += static_cast<double>(e);
      const double mean_degree =
          run.edges.empty() || run.nodes == 0
              ? 0.0
              : 2.0 * edges / static_cast<double>(run.edges.size()) / run.nodes;
      *out << run.nodes << " nodes, realised mean degree " << std::setprecision(4) << mean_degree
           << "; global cascades (final share > " << p.cascade_global_share << "): frequency "
           << run.global_cascade_frequency << ", mean size " << run.mean_global_cascade_size
           << std::defaultfloat << "\n";
    }
    write_cascade(file, p, run);
  } else {
    throw std::invalid_argument("run_classic: model = health is not a classic model");
  }
  file.finish();
  if (out)
    *out << std::setprecision(static_cast<int>(precision)) << "wrote " << output.string() << "\n";
  return 0;
}
}  // namespace

int run_classic(const Params& p, const std::filesystem::path& output, const Provenance& provenance,
                std::ostream* out) {
  return run_and_record(p, output, provenance, out);
}

}  // namespace icsim
