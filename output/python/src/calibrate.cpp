// icsim._core.CalibrateJob: a calibration run in-process on its own thread (and oneTBB arena),
// as SweepJob runs a sweep: Python waits on it with the GIL released and shows its progress
// lines; on Ctrl-C it asks the calibration to stop, the runs under way finish and are committed,
// and `resume=True` continues it.
#include "experiments/calibrate.hpp"

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <functional>
#include <ostream>
#include <streambuf>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "experiments/calibration.hpp"
#include "job.hpp"

namespace icsim::python {
namespace {

// Collects the calibration's progress output as whole lines, for Python to take.
class LineBuffer : public std::streambuf {
 public:
  explicit LineBuffer(std::function<void(std::string)> on_line) : on_line_(std::move(on_line)) {}

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    if (c == '\n' || c == '\r') {
      if (!line_.empty()) on_line_(std::move(line_));
      line_.clear();
    } else {
      line_.push_back(static_cast<char>(c));
    }
    return c;
  }

 private:
  std::function<void(std::string)> on_line_;
  std::string line_;
};

class CalibrateJob : public Job {
 public:
  // `text` empty: read the calibration from `path`; else `text` is the file's content and
  // `path` names it (a relative scenario path is taken from the working directory).
  CalibrateJob(const std::filesystem::path& path, const std::string& text,
               const std::filesystem::path& output, int threads, bool resume, bool overwrite,
               const std::string& command_line)
      : calibration_(text.empty()
                         ? load_calibration(path)
                         : parse_calibration(text, path.string(), std::filesystem::current_path())),
        buffer_([this](std::string line) {
          {
            std::lock_guard lock(mutex_);
            lines_.push_back(std::move(line));
          }
          notify();
        }),
        stream_(&buffer_) {
    if (resume && overwrite) throw InputError("resume and overwrite exclude each other");
    options_.output = output;
    options_.resume = resume;
    options_.overwrite = overwrite;
    options_.command_line = command_line;
    options_.progress = ProgressStyle::log;
    options_.log_interval = 2.0;
    options_.progress_out = &stream_;
    options_.stop = [this] { return stopping(); };
    start(threads, [this] {
      try {
        const IcsimModel model(calibration_);
        const CalibrateResult r = calibrate(calibration_.problem, model, options_);
        std::lock_guard lock(mutex_);
        generations_ = r.abc.generations.size();
        runs_ = r.runs_resumed + r.runs_now;
        reason_ = r.abc.stopped;
        seconds_ = r.seconds;
      } catch (const CalibrationStopped&) {
        std::lock_guard lock(mutex_);
        stopped_ = true;
      }
    });
  }
  ~CalibrateJob() { join(); }

  // Waits up to `seconds` (GIL released) for a progress line or the end; whether it has ended.
  bool wait(double seconds) {
    return wait_for(seconds, [this] { return !lines_.empty(); });
  }
  // The progress lines written since the last call.
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    out.swap(lines_);
    return out;
  }
  // Once finished: what it did; rethrows what the calibration threw.
  py::dict result() {
    finish();
    py::dict d;
    d["stopped"] = stopped_;
    d["generations"] = generations_;
    d["runs"] = runs_;
    d["reason"] = reason_;
    d["seconds"] = seconds_;
    return d;
  }

 private:
  Calibration calibration_;
  CalibrateOptions options_;
  LineBuffer buffer_;
  std::ostream stream_;
  std::vector<std::string> lines_;
  bool stopped_ = false;
  std::size_t generations_ = 0;
  std::uint64_t runs_ = 0;
  std::string reason_;
  double seconds_ = 0;
};

}  // namespace

void bind_calibrate(py::module_& module) {
  py::class_<CalibrateJob>(module, "CalibrateJob")
      .def(py::init([](const std::filesystem::path& path, const std::string& text,
                       const std::filesystem::path& output, int threads, bool resume,
                       bool overwrite, const std::string& command_line) {
             py::gil_scoped_release released;
             return std::make_unique<CalibrateJob>(path, text, output, threads, resume, overwrite,
                                                   command_line);
           }),
           py::arg("path"), py::arg("text"), py::arg("output"), py::arg("threads"),
           py::arg("resume"), py::arg("overwrite"), py::arg("command_line"))
      .def("wait", &CalibrateJob::wait, py::arg("seconds"))
      .def("lines", &CalibrateJob::lines)
      .def("stop", &CalibrateJob::stop)
      .def("result", &CalibrateJob::result);
}

}  // namespace icsim::python
