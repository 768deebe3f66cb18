// icsim._core.SweepJob: a sweep run in-process on its own thread (and oneTBB arena), so that
// Python waits on it with the GIL released, shows progress, and on Ctrl-C asks it to stop: the
// runs under way finish and are saved, and the file can be resumed.
#include "experiments/sweep.hpp"

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "bindings.hpp"
#include "job.hpp"

namespace icsim::python {
namespace {

class SweepJob : public Job {
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
    options_.stop = [this] { return stopping(); };
    options_.on_progress = [this](const SweepResult& r) {
      {
        std::lock_guard lock(mutex_);
        progress_ = r;
        ++updates_;
      }
      notify();
    };
    start(threads, [this] {
      const SweepResult result = run_sweep(sweep_, options_);
      std::lock_guard lock(mutex_);
      progress_ = result;
    });
  }
  ~SweepJob() { join(); }

  // Waits up to `seconds` (GIL released) for the sweep to make progress or finish; whether it
  // has finished.
  bool wait(double seconds) {
    const bool ended = wait_for(seconds, [this] { return updates_ != seen_; });
    std::lock_guard lock(mutex_);
    seen_ = updates_;
    return ended;
  }

  py::dict progress() {
    std::lock_guard lock(mutex_);
    py::dict d;
    d["runs"] = progress_.shard_runs;
    d["resumed"] = progress_.resumed;
    d["ran"] = progress_.ran;
    d["failed"] = progress_.failed;
    d["stopped"] = progress_.stopped;
    d["seconds"] = progress_.seconds;
    d["finished"] = finished();
    return d;
  }
  // The result once finished; rethrows what the sweep threw.
  py::dict result() {
    finish();
    return progress();
  }
  std::uint64_t planned_runs() const { return sweep_.runs(); }

 private:
  Sweep sweep_;
  SweepOptions options_;
  SweepResult progress_;
  std::uint64_t updates_ = 0, seen_ = 0;  // progress reports made, and seen by wait()
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
