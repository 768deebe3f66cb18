// Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC; Toni et al. 2009,
// Beaumont et al. 2009) with adaptive tolerances, for any model that maps parameters and a seed
// to statistics. Generations of particles move from the prior towards the posterior: each
// generation's tolerance is a quantile of the last generation's distances, proposals perturb
// particles drawn by weight with a multivariate normal kernel (each parent's optimal local
// covariance, Filippi et al. 2013, or twice the particles' weighted covariance, Beaumont et al.
// 2009), and importance weights correct for the proposal.
//
// Reproducible by construction: proposals are made and accepted by attempt index, in fixed
// batches, with randomness keyed by (seed, generation, attempt), so the result depends on
// neither the threads, nor the ranks, nor on how often the computation was interrupted.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace icsim::abc {

// A prior on one parameter: uniform, or log-uniform (uniform in the logarithm), on
// [lower, upper]. Particles move in the "latent" space where every prior is uniform: the value,
// or its logarithm.
struct Prior {
  std::string name;
  bool log = false;
  double lower = 0, upper = 1;

  double latent(double value) const;
  double value(double latent) const;
  double latent_lower() const { return latent(lower); }
  double latent_upper() const { return latent(upper); }
  double sd() const;  // of the prior, in the parameter's own units
};

// The perturbation kernel: a normal around the parent with twice the particles' weighted
// covariance (global; Beaumont et al. 2009), or each parent's optimal local covariance from the
// particles that already meet the new tolerance (olcm; Filippi et al. 2013), which keeps the
// acceptance rate up as the tolerance tightens.
enum class KernelKind { global, olcm };
inline const char* kernel_name(KernelKind k) {
  return k == KernelKind::olcm ? "olcm" : "global";
}

struct Settings {
  std::uint64_t population = 1000;  // particles per generation
  std::uint64_t replications = 1;   // runs per particle; the distance uses their mean
  std::uint64_t batch = 0;          // attempts proposed at a time; 0: the population
  double quantile = 0.5;            // a generation's tolerance: this quantile of the last one's
  double min_tolerance = 0;         // stop once the tolerance reaches it
  double min_acceptance = 0.03;     // stop when a generation accepts fewer of its attempts
  std::uint64_t generations = 8;    // at most
  std::uint64_t seed = 1;
  KernelKind kernel = KernelKind::global;

  std::uint64_t batch_size() const { return batch ? batch : population; }
};

// Runs are keyed by stage (2 g for generation g, 2 g + 1 for the posterior predictive runs after
// generation g), attempt and replication.
std::uint64_t stage_of(std::uint64_t generation, bool predictive);
std::int64_t run_seed(std::uint64_t seed, std::uint64_t stage, std::uint64_t attempt,
                      std::uint64_t replication);

// An attempt to evaluate: its index in the stage and its parameter values.
struct Attempt {
  std::uint64_t index = 0;
  std::vector<double> theta;
};
// Fills out[(a * replications + r) * statistics + k] with statistic k of replication r of
// attempt a (run seed run_seed(seed, stage, attempts[a].index, r)); NaN for a failed run.
using Evaluate = std::function<void(std::uint64_t stage, std::span<const Attempt> attempts,
                                    std::span<double> out)>;

// The distance of an attempt: sqrt(mean_k ((mean over replications of s_k - observed_k) / sd_k)^2);
// infinite if a run failed.
double distance(std::span<const double> runs, std::size_t replications,
                std::span<const double> observed, std::span<const double> sd);

struct Generation {
  std::uint64_t index = 0;
  double tolerance = std::numeric_limits<double>::infinity();  // generation 0: the prior
  std::uint64_t attempts = 0;          // up to and including the last accepted one
  std::uint64_t simulated = 0;         // attempts evaluated (whole batches)
  double acceptance_rate = 0;          // population / attempts
  double ess = 0;                      // effective sample size of the weights
  std::vector<double> particles;       // [particle][parameter], parameter values
  std::vector<double> weights;         // normalised to sum 1
  std::vector<double> distances;       // [particle]
  std::vector<double> statistics;      // [particle][statistic], mean over replications
  std::vector<std::uint64_t> attempt;  // [particle] the attempt it came from
};

// The posterior predictive distribution of one statistic (weighted by particle) and how far the
// observation lies from it.
struct Fit {
  double median = 0, low = 0, high = 0;  // 5% and 95% quantiles
  double mean = 0, variance = 0;
  double implausibility = 0;  // |observed - mean| / sqrt(sd^2 + variance)
};

struct Result {
  std::vector<Generation> generations;  // the last is the posterior
  std::string stopped;                  // why it stopped, in words
  std::uint64_t runs = 0;               // every run made, predictive ones included
  std::vector<double> predictive;       // [particle][replication][statistic], fresh seeds
  std::vector<Fit> fit;                 // [statistic]
};

// What a report sees after every batch.
struct Status {
  std::uint64_t generation = 0;
  double tolerance = 0;
  std::uint64_t accepted = 0, attempts = 0;
  bool finished = false;    // the generation is complete (then `last` holds it)
  bool predictive = false;  // the posterior predictive runs
  const Generation* last = nullptr;
};

Result run(const Settings& settings, const std::vector<Prior>& priors,
           std::span<const double> observed, std::span<const double> sd, const Evaluate& evaluate,
           const std::function<void(const Status&)>& report = {});

// Building blocks, tested on their own.
// Weighted mean and covariance of rows of `points` ([n][d]); weights need not be normalised.
void weighted_covariance(std::span<const double> points, std::span<const double> weights,
                         std::size_t d, std::vector<double>& mean, std::vector<double>& covariance);
// The lower triangular L with L L^T = a ([d][d]); a tiny ridge is added if `a` is singular.
std::vector<double> cholesky(std::vector<double> a, std::size_t d);
double effective_sample_size(std::span<const double> weights);
// The q-quantile (linear between order statistics, as numpy's default).
double quantile(std::vector<double> values, double q);
// The q-quantile of a weighted sample: the smallest value whose cumulative weight reaches q.
double weighted_quantile(std::span<const double> values, std::span<const double> weights, double q);

}  // namespace icsim::abc
