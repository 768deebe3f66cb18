// See mpi_calibrate.hpp.
#include "experiments/mpi_calibrate.hpp"

#include <mpi.h>
#include <tbb/parallel_for.h>

#include <cstdint>
#include <exception>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "experiments/calibration.hpp"
#include "experiments/mpi_sweep.hpp"

namespace icsim {
namespace {

constexpr int work_tag = 21, result_tag = 22, stop_tag = 23;

int count_of(std::size_t n) {
  if (n > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw std::runtime_error("an MPI message of " + std::to_string(n) + " values is too large");
  return static_cast<int>(n);
}

// Rank 0: the runs in equal slices, one a worker, and their results back in order.
std::vector<RemoteResult> distribute(std::span<const RemoteRun> runs, int workers, std::size_t k) {
  const std::size_t n = runs.size();
  const auto slice = [&](int w) { return n * static_cast<std::size_t>(w) / workers; };
  for (int w = 0; w < workers; ++w) {
    std::vector<std::int64_t> seeds;
    std::vector<double> thetas;
    for (std::size_t i = slice(w); i < slice(w + 1); ++i) {
      seeds.push_back(runs[i].seed);
      thetas.insert(thetas.end(), runs[i].theta.begin(), runs[i].theta.end());
    }
    MPI_Send(seeds.data(), count_of(seeds.size()), MPI_INT64_T, w + 1, work_tag, MPI_COMM_WORLD);
    MPI_Send(thetas.data(), count_of(thetas.size()), MPI_DOUBLE, w + 1, work_tag, MPI_COMM_WORLD);
  }
  std::vector<RemoteResult> out(n);
  for (int w = 0; w < workers; ++w) {
    const std::size_t first = slice(w), m = slice(w + 1) - first;
    std::vector<double> statistics(m * k);
    MPI_Recv(statistics.data(), count_of(statistics.size()), MPI_DOUBLE, w + 1, result_tag,
             MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    MPI_Status status;
    MPI_Probe(w + 1, result_tag, MPI_COMM_WORLD, &status);
    int length = 0;
    MPI_Get_count(&status, MPI_CHAR, &length);
    std::string errors(static_cast<std::size_t>(length), '\0');
    MPI_Recv(errors.data(), length, MPI_CHAR, w + 1, result_tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    std::size_t at = 0;
    for (std::size_t i = 0; i < m; ++i) {  // each run's error, ended by '\0'
      const std::size_t end = errors.find('\0', at);
      if (end == std::string::npos)
        throw std::runtime_error("a malformed reply from MPI rank " + std::to_string(w + 1));
      RemoteResult& r = out[first + i];
      r.error = errors.substr(at, end - at);
      at = end + 1;
      if (r.error.empty())
        r.statistics.assign(statistics.begin() + static_cast<long>(i * k),
                            statistics.begin() + static_cast<long>((i + 1) * k));
    }
  }
  return out;
}

// A worker: simulates the slices rank 0 sends until it says stop.
void serve(const CalibrationModel& model, std::size_t d, std::size_t k) {
  for (;;) {
    MPI_Status status;
    MPI_Probe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
    if (status.MPI_TAG == stop_tag) {
      MPI_Recv(nullptr, 0, MPI_INT, 0, stop_tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      return;
    }
    int n = 0;
    MPI_Get_count(&status, MPI_INT64_T, &n);
    std::vector<std::int64_t> seeds(static_cast<std::size_t>(n));
    std::vector<double> thetas(seeds.size() * d);
    MPI_Recv(seeds.data(), n, MPI_INT64_T, 0, work_tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    MPI_Recv(thetas.data(), count_of(thetas.size()), MPI_DOUBLE, 0, work_tag, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    std::vector<double> statistics(seeds.size() * k, std::numeric_limits<double>::quiet_NaN());
    std::vector<std::string> errors(seeds.size());
    tbb::parallel_for(std::size_t{0}, seeds.size(), [&](std::size_t i) {
      try {
        model.simulate(std::span(thetas).subspan(i * d, d), seeds[i],
                       std::span(statistics).subspan(i * k, k), nullptr);
      } catch (const std::exception& e) {
        errors[i] = *e.what() ? e.what() : "unknown error";
      }
    });
    std::string joined;
    for (const auto& e : errors) joined += e + '\0';
    MPI_Send(statistics.data(), count_of(statistics.size()), MPI_DOUBLE, 0, result_tag,
             MPI_COMM_WORLD);
    MPI_Send(joined.data(), count_of(joined.size()), MPI_CHAR, 0, result_tag, MPI_COMM_WORLD);
  }
}

}  // namespace

int command_calibrate_mpi(const CalibrateCommand& c, std::ostream& out, std::ostream& err) {
  return run_mpi("icsim calibrate", err, [&](int rank, int workers) {
    const Calibration calibration = load_calibration(c.file);
    const IcsimModel model(calibration);
    const std::size_t d = calibration.problem.parameters.size();
    const std::size_t k = calibration.problem.targets.size();
    if (rank != 0) {
      serve(model, d, k);
      return 0;
    }
    const int status = run_calibration_command(
        c, calibration, model,
        [&](std::span<const RemoteRun> runs) { return distribute(runs, workers, k); }, out, err);
    for (int w = 1; w <= workers; ++w) MPI_Send(nullptr, 0, MPI_INT, w, stop_tag, MPI_COMM_WORLD);
    return status;
  });
}

}  // namespace icsim
