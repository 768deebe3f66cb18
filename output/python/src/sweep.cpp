// icsim._core.SweepJob: a sweep run in-process on its own thread (and oneTBB arena), so that
// Python waits on it with the GIL released, shows progress, and on Ctrl-C asks it to stop: the
// runs under way finish and are saved, and the file can be resumed.
#include "experiments/sweep.hpp"

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include "bindings.hpp"

namespace icsim::python {
namespace {

class SweepJob {
 public:
  // `text` empty: read the sweep from `path`; else `text` is the sweep file's content and
  // `path` names it (relative scenario paths are taken from the working directory).
  SweepJob(const std::filesystem::path& path, const std::string& text,
           const std::filesystem::path& output, int threads, bool resume, bool overwrite,
           const std::string& shard, const std::string& command_line)
      : sweep_(text.empty() ? load_sweep(path)
                            : parse_sweep(text, path.string(), std::filesystem::current_path())) {
    options_.output = output;
    options_.resume = resume;
    options_.overwrite = overwrite;
    if (!shard.empty()) options_.shard = parse_shard(shard, "shard");
    options_.command_line = command_line;
    options_.stop = [this] { return stopping_.load(); };
    options_.on_progress = [this](const SweepResult& r) {
      {
        std::lock_guard lock(mutex_);
        progress_ = r;
        ++updates_;
      }
      done_.notify_all();
    };
    thread_ = std::thread([this, threads] {
      try {
        tbb::task_arena arena(threads > 0 ? threads : tbb::task_arena::automatic);
        const SweepResult result = arena.execute([this] { return run_sweep(sweep_, options_); });
        std::lock_guard lock(mutex_);
        progress_ = result;
      } catch (...) {
        std::lock_guard lock(mutex_);
        error_ = std::current_exception();
      }
      {
        std::lock_guard lock(mutex_);
        finished_ = true;
      }
      done_.notify_all();
    });
  }
  ~SweepJob() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }
  SweepJob(const SweepJob&) = delete;
  SweepJob& operator=(const SweepJob&) = delete;

  // Waits up to `seconds` (GIL released) for the sweep to make progress or finish; whether it
  // has finished.
  bool wait(double seconds) {
    py::gil_scoped_release released;
    std::unique_lock lock(mutex_);
    done_.wait_for(lock, std::chrono::duration<double>(seconds),
                   [this] { return finished_ || updates_ != seen_; });
    seen_ = updates_;
    return finished_;
  }
  // No further run starts; those under way finish and are saved.
  void stop() { stopping_ = true; }

  py::dict progress() {
    std::lock_guard lock(mutex_);
    py::dict d;
    d["runs"] = progress_.shard_runs;
    d["resumed"] = progress_.resumed;
    d["ran"] = progress_.ran;
    d["failed"] = progress_.failed;
    d["stopped"] = progress_.stopped;
    d["seconds"] = progress_.seconds;
    d["finished"] = finished_;
    return d;
  }
  // The result once finished; rethrows what the sweep threw.
  py::dict result() {
    {
      py::gil_scoped_release released;
      if (thread_.joinable()) thread_.join();
    }
    if (error_) std::rethrow_exception(error_);
    return progress();
  }
  std::uint64_t planned_runs() const { return sweep_.runs(); }

 private:
  Sweep sweep_;
  SweepOptions options_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable done_;
  SweepResult progress_;
  std::uint64_t updates_ = 0, seen_ = 0;  // progress reports made, and seen by wait()
  std::exception_ptr error_;
  bool finished_ = false;
  std::thread thread_;
};

}  // namespace

void bind_sweep(py::module_& module) {
  py::class_<SweepJob>(module, "SweepJob")
      .def(py::init([](const std::filesystem::path& path, const std::string& text,
                       const std::filesystem::path& output, int threads, bool resume,
                       bool overwrite, const std::string& shard, const std::string& command_line) {
             py::gil_scoped_release released;
             return std::make_unique<SweepJob>(path, text, output, threads, resume, overwrite,
                                               shard, command_line);
           }),
           py::arg("path"), py::arg("text"), py::arg("output"), py::arg("threads"),
           py::arg("resume"), py::arg("overwrite"), py::arg("shard"), py::arg("command_line"))
      .def("wait", &SweepJob::wait, py::arg("seconds"))
      .def("stop", &SweepJob::stop)
      .def("progress", &SweepJob::progress)
      .def("result", &SweepJob::result)
      .def_property_readonly("planned_runs", &SweepJob::planned_runs);
}

}  // namespace icsim::python
