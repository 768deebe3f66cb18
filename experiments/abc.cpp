#include "experiments/abc.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <optional>
#include <stdexcept>

#include "network/random.hpp"

namespace icsim::abc {
namespace {

using detail::splitmix64;
constexpr double infinity = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// The draws of one attempt: SplitMix64 on a counter from a key of (seed, stage, attempt).
class Stream {
 public:
  Stream(std::uint64_t seed, std::uint64_t stage, std::uint64_t attempt)
      : key_(splitmix64(splitmix64(splitmix64(seed ^ 0xA5C0FFEEull) ^ stage) + attempt)) {}
  double uniform() { return Random::to_uniform(next()); }
  double normal() {
    const std::uint64_t first = next();
    return Random::to_normal(first, next());
  }

 private:
  std::uint64_t next() { return splitmix64(key_ + 0x9E3779B97F4A7C15ull * count_++); }
  std::uint64_t key_, count_ = 0;
};

// The index of the particle whose cumulative weight first exceeds u (weights sum to 1).
std::size_t pick(std::span<const double> cumulative, double u) {
  const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
  return std::min(static_cast<std::size_t>(it - cumulative.begin()), cumulative.size() - 1);
}

// What one generation's proposals need from the generation before it: the particles in latent
// space, their cumulative weights, and each particle's Cholesky factor of its kernel covariance
// with the log of that factor's determinant. Kernel::global: one covariance, twice the particles'
// weighted covariance (Beaumont et al. 2009). Kernel::olcm: the optimal local covariance of
// Filippi et al. 2013, for parent i the weighted sum over the particles that already meet the new
// tolerance of (x_k - x_i)(x_k - x_i)^T, i.e. their covariance plus the outer product of their
// mean's distance from x_i; with fewer than two of them it falls back to the global kernel.
struct Kernel {
  std::size_t d = 0;
  std::vector<double> latent, weights, cumulative, factors, log_det, lower, upper;
  bool shared = true;  // one factor for every parent

  Kernel(const Generation& g, const std::vector<Prior>& priors, KernelKind kind, double tolerance)
      : d(priors.size()) {
    const std::size_t n = g.weights.size();
    latent.resize(n * d);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j)
        latent[i * d + j] = priors[j].latent(g.particles[i * d + j]);
    weights = g.weights;
    cumulative.resize(n);
    std::partial_sum(weights.begin(), weights.end(), cumulative.begin());
    for (const auto& p : priors) {
      lower.push_back(p.latent_lower());
      upper.push_back(p.latent_upper());
    }
    std::vector<double> near, near_weights;
    if (kind == KernelKind::olcm)
      for (std::size_t i = 0; i < n; ++i)
        if (g.distances[i] <= tolerance) {
          near.insert(near.end(), latent.begin() + long(i * d), latent.begin() + long((i + 1) * d));
          near_weights.push_back(weights[i]);
        }
    std::vector<double> mean, covariance;
    if (near_weights.size() < 2) {
      weighted_covariance(latent, weights, d, mean, covariance);
      for (auto& c : covariance) c *= 2;
      add_factor(covariance);
      return;
    }
    shared = false;
    weighted_covariance(near, near_weights, d, mean, covariance);
    factors.resize(n * d * d);
    log_det.resize(n);
    tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) {
      std::vector<double> local = covariance;
      for (std::size_t j = 0; j < d; ++j)
        for (std::size_t k = 0; k < d; ++k)
          local[j * d + k] += (mean[j] - latent[i * d + j]) * (mean[k] - latent[i * d + k]);
      const std::vector<double> l = cholesky(std::move(local), d);
      std::copy(l.begin(), l.end(), factors.begin() + long(i * d * d));
      log_det[i] = log_determinant(l);
    });
  }

  const double* factor(std::size_t parent) const {
    return factors.data() + (shared ? 0 : parent * d * d);
  }

  void add_factor(const std::vector<double>& covariance) {
    factors = cholesky(covariance, d);
    log_det.assign(1, log_determinant(factors));
  }
  double log_determinant(std::span<const double> l) const {  // of L, half that of L L^T
    double sum = 0;
    for (std::size_t j = 0; j < d; ++j) sum += std::log(l[j * d + j]);
    return sum;
  }

  // A perturbed particle inside the prior's support (drawn again until it is). The chance that a
  // draw lands inside falls geometrically with the number of parameters (each may leave its
  // prior), so early generations of a calibration with some 25 free parameters need tens of
  // thousands of draws per proposal: a draw stops at the first coordinate outside, and the limit
  // only guards against a kernel that cannot land inside at all.
  std::vector<double> propose(Stream& stream) const {
    constexpr long max_tries = 20'000'000;
    std::vector<double> x(d), z(d);
    for (long tries = 0; tries < max_tries; ++tries) {
      const std::size_t parent = pick(cumulative, stream.uniform());
      const double* l = factor(parent);
      std::size_t j = 0;
      for (; j < d; ++j) {
        z[j] = stream.normal();  // drawn as needed: a draw outside stops at its coordinate
        double shift = 0;
        for (std::size_t k = 0; k <= j; ++k) shift += l[j * d + k] * z[k];
        x[j] = latent[parent * d + j] + shift;
        if (x[j] < lower[j] || x[j] > upper[j]) break;
      }
      if (j == d) return x;
    }
    throw std::runtime_error("the perturbation kernel found no proposal inside the priors in " +
                             std::to_string(max_tries) + " draws");
  }

  // log sum_j w_j K_j(x | x_j), up to a constant shared by every x.
  double log_density(std::span<const double> x) const {
    const std::size_t n = weights.size();
    std::vector<double> terms(n), r(d);
    for (std::size_t i = 0; i < n; ++i) {
      const double* factor = this->factor(i);
      double squared = 0;
      for (std::size_t j = 0; j < d; ++j) {  // r = L^-1 (x - x_i)
        double v = x[j] - latent[i * d + j];
        for (std::size_t k = 0; k < j; ++k) v -= factor[j * d + k] * r[k];
        r[j] = v / factor[j * d + j];
        squared += r[j] * r[j];
      }
      // One kernel for all: its constant drops out (and the arithmetic stays what it was).
      terms[i] = std::log(weights[i]) - (shared ? 0.0 : log_det[i]) - 0.5 * squared;
    }
    const double top = *std::max_element(terms.begin(), terms.end());
    double sum = 0;
    for (const double t : terms) sum += std::exp(t - top);
    return top + std::log(sum);
  }
};

std::vector<double> from_latent(std::span<const double> x, const std::vector<Prior>& priors) {
  std::vector<double> theta(priors.size());
  for (std::size_t j = 0; j < priors.size(); ++j) theta[j] = priors[j].value(x[j]);
  return theta;
}

std::string number(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", x);
  return buffer;
}

}  // namespace

// --- priors and keys -------------------------------------------------------------------------

double Prior::latent(double v) const {
  return log ? std::log(v) : v;
}
double Prior::value(double x) const {
  return log ? std::exp(x) : x;
}
double Prior::sd() const {
  if (!log) return (upper - lower) / std::sqrt(12.0);
  // Log-uniform on [a, b]: density 1 / (x ln(b/a)).
  const double span = std::log(upper / lower);
  const double mean = (upper - lower) / span;
  const double second = (upper * upper - lower * lower) / (2 * span);
  return std::sqrt(std::max(second - mean * mean, 0.0));
}

std::uint64_t stage_of(std::uint64_t generation, bool predictive) {
  return 2 * generation + (predictive ? 1 : 0);
}

std::int64_t run_seed(std::uint64_t seed, std::uint64_t stage, std::uint64_t attempt,
                      std::uint64_t replication) {
  const std::uint64_t h =
      splitmix64(splitmix64(splitmix64(splitmix64(seed) ^ stage) + attempt) ^ (replication + 1));
  return static_cast<std::int64_t>(h >> 2);  // within run.seed's range
}

// --- statistics ------------------------------------------------------------------------------

double distance(std::span<const double> runs, std::size_t replications,
                std::span<const double> observed, std::span<const double> sd) {
  const std::size_t k = observed.size();
  double total = 0;
  for (std::size_t s = 0; s < k; ++s) {
    double mean = 0;
    for (std::size_t r = 0; r < replications; ++r) mean += runs[r * k + s];
    mean /= static_cast<double>(replications);
    if (!std::isfinite(mean)) return infinity;
    const double z = (mean - observed[s]) / sd[s];
    total += z * z;
  }
  return k ? std::sqrt(total / static_cast<double>(k)) : 0.0;
}

void weighted_covariance(std::span<const double> points, std::span<const double> weights,
                         std::size_t d, std::vector<double>& mean,
                         std::vector<double>& covariance) {
  const std::size_t n = weights.size();
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  mean.assign(d, 0.0);
  covariance.assign(d * d, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) mean[j] += weights[i] * points[i * d + j] / total;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j)
      for (std::size_t k = 0; k < d; ++k)
        covariance[j * d + k] +=
            weights[i] * (points[i * d + j] - mean[j]) * (points[i * d + k] - mean[k]) / total;
}

std::vector<double> cholesky(std::vector<double> a, std::size_t d) {
  double scale = 0;
  for (std::size_t j = 0; j < d; ++j) scale = std::max(scale, std::abs(a[j * d + j]));
  for (double ridge = 0;; ridge = ridge == 0 ? 1e-12 * std::max(scale, 1e-300) : ridge * 100) {
    std::vector<double> l(d * d, 0.0);
    bool ok = true;
    for (std::size_t j = 0; j < d && ok; ++j) {
      for (std::size_t k = 0; k <= j; ++k) {
        double s = a[j * d + k] + (j == k ? ridge : 0.0);
        for (std::size_t m = 0; m < k; ++m) s -= l[j * d + m] * l[k * d + m];
        if (j == k) {
          if (!(s > 0)) {
            ok = false;
            break;
          }
          l[j * d + j] = std::sqrt(s);
        } else {
          l[j * d + k] = s / l[k * d + k];
        }
      }
    }
    if (ok) return l;
    if (ridge > 1e100) throw std::runtime_error("the particles' covariance is not finite");
  }
}

double effective_sample_size(std::span<const double> weights) {
  double sum = 0, squares = 0;
  for (const double w : weights) {
    sum += w;
    squares += w * w;
  }
  return squares > 0 ? sum * sum / squares : 0.0;
}

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return nan;
  std::sort(values.begin(), values.end());
  const double at = q * static_cast<double>(values.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(at));
  const std::size_t above = std::min(below + 1, values.size() - 1);
  return values[below] + (at - static_cast<double>(below)) * (values[above] - values[below]);
}

double weighted_quantile(std::span<const double> values, std::span<const double> weights,
                         double q) {
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return values[a] < values[b] || (values[a] == values[b] && a < b);
  });
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  double cumulative = 0;
  for (const std::size_t i : order) {
    cumulative += weights[i];
    if (cumulative >= q * total * (1 - 1e-12)) return values[i];
  }
  return order.empty() ? nan : values[order.back()];
}

// --- the algorithm ---------------------------------------------------------------------------

Result run(const Settings& s, const std::vector<Prior>& priors, std::span<const double> observed,
           std::span<const double> sd, const Evaluate& evaluate,
           const std::function<void(const Status&)>& report) {
  const std::size_t d = priors.size(), k = observed.size(), n = s.population;
  const std::size_t per_attempt = s.replications * k;
  const std::uint64_t batch = s.batch_size();
  // A generation that cannot reach the stopping acceptance rate is abandoned at this many.
  const std::uint64_t max_attempts =
      s.min_acceptance > 0
          ? static_cast<std::uint64_t>(std::ceil(static_cast<double>(n) / s.min_acceptance))
          : std::numeric_limits<std::uint64_t>::max();
  Result result;
  std::vector<double> runs;
  for (std::uint64_t g = 0; g < s.generations; ++g) {
    const Generation* previous = g ? &result.generations.back() : nullptr;
    double tolerance = infinity;
    bool last = false;
    if (previous) {
      tolerance = quantile(previous->distances, s.quantile);
      if (tolerance <= s.min_tolerance) {
        tolerance = s.min_tolerance;
        last = true;
      }
    }
    const std::optional<Kernel> kernel =
        previous ? std::optional<Kernel>(std::in_place, *previous, priors, s.kernel, tolerance)
                 : std::nullopt;
    const std::uint64_t stage = stage_of(g, false);

    Generation gen;
    gen.index = g;
    gen.tolerance = tolerance;
    std::vector<std::vector<double>> latent;  // of the accepted
    std::string first_error;
    while (gen.attempt.size() < n && gen.simulated < max_attempts) {
      std::vector<Attempt> attempts(batch);
      std::vector<std::vector<double>> xs(batch);
      tbb::parallel_for(std::uint64_t{0}, batch, [&](std::uint64_t b) {
        Stream stream(s.seed, stage, gen.simulated + b);
        std::vector<double> x(d);
        if (kernel) {
          x = kernel->propose(stream);
        } else {
          for (std::size_t j = 0; j < d; ++j)
            x[j] = priors[j].latent_lower() +
                   stream.uniform() * (priors[j].latent_upper() - priors[j].latent_lower());
        }
        attempts[b] = {gen.simulated + b, from_latent(x, priors)};
        xs[b] = std::move(x);
      });
      runs.assign(batch * per_attempt, nan);
      evaluate(stage, attempts, runs);
      result.runs += batch * s.replications;
      for (std::uint64_t b = 0; b < batch && gen.attempt.size() < n; ++b) {
        const std::span<const double> mine(runs.data() + b * per_attempt, per_attempt);
        const double dist = distance(mine, s.replications, observed, sd);
        if (!(dist <= tolerance)) continue;
        gen.attempt.push_back(attempts[b].index);
        gen.particles.insert(gen.particles.end(), attempts[b].theta.begin(),
                             attempts[b].theta.end());
        gen.distances.push_back(dist);
        for (std::size_t j = 0; j < k; ++j) {
          double mean = 0;
          for (std::size_t r = 0; r < s.replications; ++r) mean += mine[r * k + j];
          gen.statistics.push_back(mean / static_cast<double>(s.replications));
        }
        latent.push_back(xs[b]);
      }
      gen.simulated += batch;
      if (report) report({g, tolerance, gen.attempt.size(), gen.simulated, false, false, nullptr});
    }
    if (gen.attempt.size() < n) {
      const std::string why = std::to_string(gen.attempt.size()) + " of " +
                              std::to_string(gen.simulated) + " attempts accepted in generation " +
                              std::to_string(g) + ", below the stopping rate " +
                              number(s.min_acceptance);
      if (!previous)
        throw std::runtime_error(why +
                                 " from the prior (do the runs fail? is a target's sd "
                                 "too small?)");
      result.stopped = why + ": the posterior is generation " + std::to_string(g - 1);
      break;
    }
    gen.attempts = gen.attempt.back() + 1;
    gen.acceptance_rate = static_cast<double>(n) / static_cast<double>(gen.attempts);
    gen.weights.assign(n, 1.0 / static_cast<double>(n));
    if (kernel) {  // w_i = prior(x_i) / sum_j w_j K(x_i | x_j); the prior is flat in latent space
      std::vector<double> log_w(n);
      tbb::parallel_for(std::size_t{0}, n,
                        [&](std::size_t i) { log_w[i] = -kernel->log_density(latent[i]); });
      const double top = *std::max_element(log_w.begin(), log_w.end());
      double total = 0;
      for (std::size_t i = 0; i < n; ++i) total += gen.weights[i] = std::exp(log_w[i] - top);
      for (auto& w : gen.weights) w /= total;
    }
    gen.ess = effective_sample_size(gen.weights);
    result.generations.push_back(std::move(gen));
    const Generation& done = result.generations.back();
    if (report) report({g, tolerance, n, done.simulated, true, false, &done});
    if (last) {
      result.stopped = "the tolerance reached its minimum, " + number(s.min_tolerance);
      break;
    }
    if (g > 0 && done.acceptance_rate < s.min_acceptance) {
      result.stopped = "the acceptance rate " + number(done.acceptance_rate) + " fell below " +
                       number(s.min_acceptance);
      break;
    }
    if (g + 1 == s.generations) result.stopped = std::to_string(s.generations) + " generations";
  }

  // The posterior predictive: every particle of the posterior again, with fresh seeds.
  const Generation& post = result.generations.back();
  std::vector<Attempt> attempts(n);
  for (std::size_t i = 0; i < n; ++i)
    attempts[i] = {i, std::vector<double>(post.particles.begin() + static_cast<long>(i * d),
                                          post.particles.begin() + static_cast<long>((i + 1) * d))};
  if (report) report({post.index, post.tolerance, 0, 0, false, true, &post});
  result.predictive.assign(n * per_attempt, nan);
  evaluate(stage_of(post.index, true), attempts, result.predictive);
  result.runs += n * s.replications;
  std::vector<double> values, weights;
  for (std::size_t j = 0; j < k; ++j) {
    values.clear();
    weights.clear();
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t r = 0; r < s.replications; ++r) {
        const double v = result.predictive[(i * s.replications + r) * k + j];
        if (!std::isfinite(v)) continue;  // a failed run
        values.push_back(v);
        weights.push_back(post.weights[i]);
      }
    Fit f;
    const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    for (std::size_t i = 0; i < values.size(); ++i) f.mean += weights[i] * values[i] / total;
    for (std::size_t i = 0; i < values.size(); ++i)
      f.variance += weights[i] * (values[i] - f.mean) * (values[i] - f.mean) / total;
    f.median = weighted_quantile(values, weights, 0.5);
    f.low = weighted_quantile(values, weights, 0.05);
    f.high = weighted_quantile(values, weights, 0.95);
    f.implausibility = std::abs(observed[j] - f.mean) / std::sqrt(sd[j] * sd[j] + f.variance);
    if (values.empty()) f = {nan, nan, nan, nan, nan, nan};
    result.fit.push_back(f);
  }
  return result;
}

}  // namespace icsim::abc
