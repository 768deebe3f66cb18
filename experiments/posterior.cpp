#include "experiments/posterior.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "experiments/scenario.hpp"
#include "network/random.hpp"
#include "output/hdf5.hpp"
#include "output/tables.hpp"

namespace icsim {
namespace fs = std::filesystem;
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// An N-dimensional dataset, chunked and compressed, with its units and description, its
// dimensions labelled by the scales given (null: none).
template <class T>
h5::Handle write_array(hid_t group, const std::string& name, const std::vector<hsize_t>& dims,
                       const std::vector<T>& values, const std::string& units,
                       const std::string& description, const std::vector<hid_t>& scales) {
  const int rank = static_cast<int>(dims.size());
  std::vector<hsize_t> chunk = dims;
  for (auto& c : chunk) c = std::max<hsize_t>(c, 1);
  // About 1 MiB a chunk at most: split the leading dimensions.
  for (std::size_t i = 0; i < chunk.size(); ++i) {
    hsize_t elements = 1;
    for (const auto c : chunk) elements *= c;
    if (elements * sizeof(T) <= (1u << 20)) break;
    chunk[i] = std::max<hsize_t>(1, chunk[i] / ((elements * sizeof(T)) / (1u << 20) + 1));
  }
  h5::Handle space(h5::check(H5Screate_simple(rank, dims.data(), nullptr), name));
  h5::Handle plist(h5::check(H5Pcreate(H5P_DATASET_CREATE), name));
  h5::check(H5Pset_chunk(plist, rank, chunk.data()), "chunking " + name);
  h5::check(H5Pset_shuffle(plist), "shuffle filter");
  h5::check(H5Pset_deflate(plist, 4), "deflate filter");
  h5::Handle set(h5::check(
      H5Dcreate2(group, name.c_str(), h5::type_of<T>(), space, H5P_DEFAULT, plist, H5P_DEFAULT),
      "cannot create dataset " + name));
  if (!values.empty())
    h5::check(H5Dwrite(set, h5::type_of<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
              "cannot write " + name);
  h5::describe(set, units, description);
  for (std::size_t d = 0; d < scales.size(); ++d)
    if (scales[d] >= 0) h5::attach_scale(set, scales[d], static_cast<unsigned>(d));
  return set;
}

// A group whose datasets share dimensions labelled by scales made here.
class Group {
 public:
  Group(hid_t file, const std::string& name, const std::string& description)
      : group_(h5::create_group(file, name)) {
    h5::set_attribute(group_, "description", description);
  }
  hid_t scale(const std::string& name) const { return scales_.at(name).get(); }
  void index_scale(const std::string& name, std::size_t n, const std::string& description) {
    std::vector<std::int64_t> values(n);
    std::iota(values.begin(), values.end(), 0);
    add_scale(name, h5::write_vector<std::int64_t>(group_, name, values), "index", description);
  }
  void label_scale(const std::string& name, const std::vector<std::string>& labels,
                   const std::string& description) {
    add_scale(name, h5::write_strings(group_, name, labels), "-", description);
  }
  template <class T>
  void column(const std::string& name, const std::vector<T>& values, const std::string& units,
              const std::string& description, const std::string& dimension) {
    write_array<T>(group_, name, {values.size()}, values, units, description, {scale(dimension)});
  }
  void strings(const std::string& name, const std::vector<std::string>& values,
               const std::string& description, const std::string& dimension) {
    h5::Handle set = h5::write_strings(group_, name, values);
    h5::describe(set, "-", description);
    h5::attach_scale(set, scale(dimension), 0);
  }
  template <class T>
  void array(const std::string& name, const std::vector<T>& values,
             const std::vector<std::string>& dimensions, const std::string& units,
             const std::string& description) {
    std::vector<hsize_t> dims;
    std::vector<hid_t> scales;
    for (const auto& d : dimensions) {
      dims.push_back(h5::shape(group_, d).at(0));
      scales.push_back(scale(d));
    }
    write_array<T>(group_, name, dims, values, units, description, scales);
  }

 private:
  void add_scale(const std::string& name, h5::Handle set, const std::string& units,
                 const std::string& description) {
    h5::describe(set, units, description);
    h5::make_scale(set, name);
    scales_.emplace(name, std::move(set));
  }
  h5::Handle group_;
  std::map<std::string, h5::Handle> scales_;
};

template <class T, class F>
std::vector<T> each(std::size_t n, F f) {
  std::vector<T> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = f(i);
  return out;
}

void write_file(const fs::path& target, const PosteriorWrite& w) {
  const CalibrationProblem& p = *w.problem;
  const std::size_t d = p.parameters.size(), k = p.targets.size();
  const std::size_t n = p.settings.population, reps = p.settings.replications;
  h5::Handle file = h5::create_file(target.string());
  write_provenance(file, {p.scenario_text, p.scenario_source, w.command_line, "calibration"},
                   static_cast<std::int64_t>(p.settings.seed));
  const auto text = [&](const char* name, const std::string& value) {
    h5::set_attribute(file, name, value);
  };
  const auto whole = [&](const char* name, auto value) {
    h5::set_attribute(file, name, static_cast<std::int64_t>(value));
  };
  const auto real = [&](const char* name, double value) { h5::set_attribute(file, name, value); };
  text("calibration", p.text);
  text("calibration_source", p.source);
  text("calibration_resolved", p.resolved);
  text("calibration_description", p.description);
  text("calibration_canonical", p.canonical);
  text("fingerprint", p.fingerprint());
  text("stopped", w.result ? w.result->stopped : "");
  whole("complete", w.result ? 1 : 0);
  whole("population", n);
  whole("replications", reps);
  whole("batch", p.settings.batch_size());
  real("quantile", p.settings.quantile);
  text("kernel", abc::kernel_name(p.settings.kernel));
  real("min_tolerance", p.settings.min_tolerance);
  real("min_acceptance", p.settings.min_acceptance);
  whole("max_generations", p.settings.generations);
  whole("generations", w.generations.size());
  whole("runs", w.runs);
  whole("first_year", p.first_year);
  whole("years", p.years);
  real("seconds", w.seconds);
  write_parameter_registry(file);

  const std::vector<std::string> names =
      each<std::string>(d, [&](std::size_t j) { return p.parameters[j].prior.name; });
  const std::vector<std::string> target_names =
      each<std::string>(k, [&](std::size_t j) { return p.targets[j].name; });
  {
    Group g(file, "priors", "the free parameters and their priors, one row per parameter");
    g.label_scale("parameter", names, "registry name of the parameter");
    g.strings("distribution",
              each<std::string>(d,
                                [&](std::size_t j) {
                                  return std::string(p.parameters[j].prior.log ? "log_uniform"
                                                                               : "uniform");
                                }),
              "uniform, or log_uniform (uniform in the logarithm)", "parameter");
    const auto by = [&](auto f) { return each<double>(d, f); };
    const std::string as_parameter = "the parameter's (see unit)";
    g.column("lower", by([&](std::size_t j) { return p.parameters[j].prior.lower; }), as_parameter,
             "lower bound of the prior", "parameter");
    g.column("upper", by([&](std::size_t j) { return p.parameters[j].prior.upper; }), as_parameter,
             "upper bound of the prior", "parameter");
    g.column("sd", by([&](std::size_t j) { return p.parameters[j].prior.sd(); }), as_parameter,
             "standard deviation of the prior", "parameter");
    g.column("registry_min", by([&](std::size_t j) { return p.parameters[j].registry_min; }),
             as_parameter, "lowest value the parameter registry allows", "parameter");
    g.column("registry_max", by([&](std::size_t j) { return p.parameters[j].registry_max; }),
             as_parameter, "highest value the parameter registry allows", "parameter");
    g.strings("unit", each<std::string>(d, [&](std::size_t j) { return p.parameters[j].unit; }),
              "unit of the parameter", "parameter");
    g.strings("description",
              each<std::string>(d, [&](std::size_t j) { return p.parameters[j].description; }),
              "meaning of the parameter", "parameter");
  }
  if (!p.ties.empty()) {
    Group g(file, "tied",
            "parameters that take a free parameter's value in every run, one row per tie");
    g.label_scale("parameter",
                  each<std::string>(p.ties.size(), [&](std::size_t j) { return p.ties[j].first; }),
                  "registry name of the tied parameter");
    g.strings("same_as",
              each<std::string>(p.ties.size(), [&](std::size_t j) { return p.ties[j].second; }),
              "the free parameter (see /priors) whose value it takes", "parameter");
  }
  {
    Group g(file, "targets",
            "what the calibration fits, one row per target, and the posterior predictive fit");
    g.label_scale("target", target_names, "name of the target");
    const auto strings = [&](const char* name, auto f, const char* description) {
      g.strings(name, each<std::string>(k, f), description, "target");
    };
    strings(
        "metric", [&](std::size_t j) { return p.targets[j].metric; }, "metric simulated");
    strings(
        "level", [&](std::size_t j) { return p.targets[j].level; },
        "level of the metric: organisation, system or national");
    strings(
        "statistic", [&](std::size_t j) { return p.targets[j].statistic; },
        "statistic over organisations or systems (value for a national metric)");
    strings(
        "id", [&](std::size_t j) { return p.targets[j].id; },
        "row id in data/england/targets.csv, if the observation comes from there");
    strings(
        "unit", [&](std::size_t j) { return p.targets[j].unit; }, "unit of the target");
    strings(
        "description", [&](std::size_t j) { return p.targets[j].description; }, "what is compared");
    strings(
        "sd_reason", [&](std::size_t j) { return p.targets[j].sd_reason; },
        "why the uncertainty is what it is");
    g.column("first_year",
             each<std::int64_t>(k, [&](std::size_t j) { return p.targets[j].first_year; }),
             "calendar year", "first planning year averaged (as run.first_year counts)", "target");
    g.column("last_year",
             each<std::int64_t>(k, [&](std::size_t j) { return p.targets[j].last_year; }),
             "calendar year", "last planning year averaged", "target");
    const auto column = [&](const char* name, auto f, const std::string& description) {
      g.column(name, each<double>(k, f), "the target's (see unit)", description, "target");
    };
    column(
        "observed", [&](std::size_t j) { return p.targets[j].observed; }, "observed value");
    column(
        "sd", [&](std::size_t j) { return p.targets[j].sd; },
        "uncertainty of the observation (a standard deviation); distances are in its units");
    const auto fit = [&](double abc::Fit::*field) {
      return [&, field](std::size_t j) { return w.result ? w.result->fit[j].*field : nan; };
    };
    column("predicted_median", fit(&abc::Fit::median), "posterior predictive median");
    column("predicted_low", fit(&abc::Fit::low), "posterior predictive 5% quantile");
    column("predicted_high", fit(&abc::Fit::high), "posterior predictive 95% quantile");
    column("predicted_mean", fit(&abc::Fit::mean), "posterior predictive mean");
    column(
        "predicted_sd",
        [&](std::size_t j) { return w.result ? std::sqrt(w.result->fit[j].variance) : nan; },
        "posterior predictive standard deviation (the model's variance, parameters and runs)");
    g.column("implausibility", each<double>(k, fit(&abc::Fit::implausibility)), "-",
             "|observed - predicted mean| / sqrt(sd^2 + predictive variance); below 3 is "
             "conventionally plausible",
             "target");
  }
  const std::size_t generations = w.generations.size();
  if (generations == 0) {
    const herr_t closed = H5Fclose(file.get());
    file = h5::Handle();
    if (closed < 0) throw h5::Error("cannot close " + target.string() + ": " + h5::last_error());
    return;
  }
  {
    Group g(file, "generations", "every ABC-SMC generation: its tolerance and particles");
    g.index_scale("generation", generations, "ABC-SMC generation (0: from the prior)");
    g.index_scale("particle", n, "particle of the generation, in the order accepted");
    g.label_scale("parameter", names, "registry name of the parameter");
    g.label_scale("target", target_names, "name of the target");
    const auto per = [&](auto f) { return each<double>(generations, f); };
    g.column("tolerance", per([&](std::size_t i) { return w.generations[i].tolerance; }),
             "distance", "largest distance accepted (infinite for generation 0)", "generation");
    g.column("acceptance_rate",
             per([&](std::size_t i) { return w.generations[i].acceptance_rate; }), "fraction",
             "particles over attempts up to the last one accepted", "generation");
    g.column("ess", per([&](std::size_t i) { return w.generations[i].ess; }), "particles",
             "effective sample size of the weights", "generation");
    g.column("attempts",
             each<std::int64_t>(generations,
                                [&](std::size_t i) {
                                  return static_cast<std::int64_t>(w.generations[i].attempts);
                                }),
             "attempts", "proposals up to the last one accepted", "generation");
    g.column(
        "runs",
        each<std::int64_t>(generations,
                           [&](std::size_t i) {
                             return static_cast<std::int64_t>(w.generations[i].simulated * reps);
                           }),
        "runs", "runs made (whole batches of attempts, times replications)", "generation");
    std::vector<double> particles, weights, distances, statistics;
    std::vector<std::int64_t> attempt;
    for (const auto& gen : w.generations) {
      particles.insert(particles.end(), gen.particles.begin(), gen.particles.end());
      weights.insert(weights.end(), gen.weights.begin(), gen.weights.end());
      distances.insert(distances.end(), gen.distances.begin(), gen.distances.end());
      statistics.insert(statistics.end(), gen.statistics.begin(), gen.statistics.end());
      for (const auto a : gen.attempt) attempt.push_back(static_cast<std::int64_t>(a));
    }
    g.array("particles", particles, {"generation", "particle", "parameter"},
            "the parameter's (see /priors/unit)", "parameter values of each particle");
    g.array("weights", weights, {"generation", "particle"}, "fraction",
            "importance weight of each particle (summing to 1 in a generation)");
    g.array("distances", distances, {"generation", "particle"}, "distance",
            "distance of each particle's runs from the observations, in target sds");
    g.array("statistics", statistics, {"generation", "particle", "target"},
            "the target's (see /targets/unit)", "each target's value, mean over replications");
    g.array("attempt", attempt, {"generation", "particle"}, "index",
            "attempt of the generation the particle came from");
  }
  {
    const abc::Generation& post = w.generations.back();
    Group g(file, "posterior",
            "the final generation: one row per particle, its weight and parameter values");
    g.index_scale("particle", n, "particle of the posterior");
    g.label_scale("target", target_names, "name of the target");
    g.column("weight", post.weights, "fraction", "importance weight (summing to 1)", "particle");
    g.column("distance", post.distances, "distance", "distance from the observations", "particle");
    for (std::size_t j = 0; j < d; ++j)
      g.column(names[j], each<double>(n, [&](std::size_t i) { return post.particles[i * d + j]; }),
               p.parameters[j].unit, p.parameters[j].description, "particle");
    g.array("statistics", post.statistics, {"particle", "target"},
            "the target's (see /targets/unit)", "each target's value, mean over replications");
  }
  if (w.result) {
    Group g(file, "predictive",
            "posterior predictive runs: every posterior particle again, with fresh seeds");
    g.index_scale("particle", n, "particle of the posterior");
    g.index_scale("replication", reps, "replication");
    g.label_scale("target", target_names, "name of the target");
    g.array("statistics", w.result->predictive, {"particle", "replication", "target"},
            "the target's (see /targets/unit)", "each target's value in each run (NaN: failed)");
  }
  const herr_t closed = H5Fclose(file.get());
  file = h5::Handle();
  if (closed < 0) throw h5::Error("cannot close " + target.string() + ": " + h5::last_error());
}

}  // namespace

void write_posterior(const fs::path& path, const PosteriorWrite& what) {
  fs::path temporary = path;
  temporary += ".new";
  write_file(temporary, what);
  fs::rename(temporary, path);
}

bool posterior_complete(const fs::path& path) {
  h5::quiet();
  try {
    const h5::Handle file = h5::open_file(path.string(), false);
    return h5::string_attribute(file, "file_kind") == "calibration" &&
           h5::number_attribute(file, "complete").value_or(0) == 1;
  } catch (const h5::Error&) {
    return false;
  }
}

Posterior read_posterior(const fs::path& path) {
  h5::quiet();
  if (!fs::is_regular_file(path)) throw InputError(path.string() + ": no such posterior file");
  Posterior p;
  p.source = path.string();
  try {
    const h5::Handle file = h5::open_file(path.string(), false);
    if (h5::string_attribute(file, "file_kind") != "calibration")
      throw InputError(path.string() + ": not an icsim calibration file");
    if (h5::number_attribute(file, "complete").value_or(0) != 1 ||
        !h5::exists(file, "posterior/weight"))
      throw InputError(path.string() +
                       ": the calibration is not complete (resume it with icsim calibrate "
                       "--resume)");
    p.fingerprint = h5::string_attribute(file, "fingerprint").value_or("");
    p.parameters = h5::read_strings(file, "priors/parameter");
    p.weights = h5::read_all<double>(file, "posterior/weight");
    const std::size_t n = p.weights.size(), d = p.parameters.size();
    p.particles.resize(n * d);
    for (std::size_t j = 0; j < d; ++j) {
      const auto column = h5::read_all<double>(file, "posterior/" + p.parameters[j]);
      if (column.size() != n)
        throw InputError(path.string() + ": posterior/" + p.parameters[j] + " has " +
                         std::to_string(column.size()) + " values, not " + std::to_string(n));
      for (std::size_t i = 0; i < n; ++i) p.particles[i * d + j] = column[i];
    }
    // Tied parameters (/tied) are drawn with the free parameter they follow.
    if (h5::exists(file, "tied/parameter")) {
      const auto tied = h5::read_strings(file, "tied/parameter");
      const auto same_as = h5::read_strings(file, "tied/same_as");
      std::vector<std::size_t> free(tied.size());
      for (std::size_t t = 0; t < tied.size(); ++t) {
        const auto at = std::find(p.parameters.begin(), p.parameters.end(), same_as.at(t));
        if (at == p.parameters.end())
          throw InputError(path.string() + ": tied/same_as names '" + same_as[t] +
                           "', which is not a parameter of /priors");
        free[t] = std::size_t(at - p.parameters.begin());
      }
      std::vector<double> all(n * (d + tied.size()));
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < d; ++j) all[i * (d + tied.size()) + j] = p.particles[i * d + j];
        for (std::size_t t = 0; t < tied.size(); ++t)
          all[i * (d + tied.size()) + d + t] = p.particles[i * d + free[t]];
      }
      p.particles = std::move(all);
      p.parameters.insert(p.parameters.end(), tied.begin(), tied.end());
    }
    const double total = std::accumulate(p.weights.begin(), p.weights.end(), 0.0);
    if (n == 0 || !(total > 0))
      throw InputError(path.string() + ": the posterior has no particle of positive weight");
    for (auto& w : p.weights) w /= total;
  } catch (const h5::Error& e) {
    throw InputError(path.string() + ": cannot read the posterior: " + e.what());
  }
  return p;
}

std::size_t posterior_draw(const Posterior& posterior, std::uint64_t seed, std::uint64_t i) {
  using detail::splitmix64;
  const double u = Random::to_uniform(splitmix64(splitmix64(seed ^ 0xD4A3ull) + i));
  double cumulative = 0;
  for (std::size_t k = 0; k < posterior.size(); ++k) {
    cumulative += posterior.weights[k];
    if (u < cumulative) return k;
  }
  return posterior.size() - 1;
}

}  // namespace icsim
