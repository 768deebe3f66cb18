// icsim._core.Model: the C++ side of icsim.Model (output/python/icsim/model.py). Runs the model
// in its own oneTBB arena with the GIL released, and checks for Ctrl-C between years.
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <chrono>
#include <mutex>

#include "agents/step.hpp"
#include "bindings.hpp"
#include "experiments/population.hpp"
#include "experiments/run.hpp"
#include "experiments/scenario.hpp"

namespace icsim::python {
namespace {

class Model {
 public:
  Model(const ModelSpec& spec, int threads)
      : arena_(threads > 0 ? threads : tbb::task_arena::automatic) {
    Scenario s =
        load_scenario(spec.scenario.empty() ? std::string(default_scenario) : spec.scenario);
    for (const auto& [origin, assignment] : spec.settings)
      apply_setting(s.params, assignment, origin);
    const Provenance provenance{to_toml(s.params), s.source, spec.command_line, "run"};
    arena_.execute([&] {
      engine_ = s.params.model == icsim::Model::health
                    ? make_health_engine(s.params, provenance, spec.record)
                    : make_classic_engine(s.params, provenance);
    });
    model_ = s.params.model;
    record_ = spec.record;
  }

  // `count` steps, checking for Ctrl-C (and other signals) after each: a KeyboardInterrupt
  // leaves the model at the end of the last step run.
  void run(std::int64_t count) {
    const std::unique_lock lock = claim();
    while (count > 0 && !engine_->finished()) {
      const std::int64_t now = std::min(count, engine_->batch());
      {
        py::gil_scoped_release released;
        arena_.execute([&] { engine_->advance(now); });
      }
      count -= now;
      steps_.store(engine_->steps());
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    }
  }
  bool running() const {
    const std::unique_lock lock = claim();
    return !engine_->finished();
  }

  std::int64_t steps() const { return steps_.load(); }
  std::int64_t planned() {
    const std::unique_lock lock = claim();
    return engine_->planned();
  }
  std::optional<std::int64_t> year() {
    const std::unique_lock lock = claim();
    return engine_->year();
  }
  std::vector<StateColumn> columns() const { return engine_->columns(); }

  py::object state(py::handle self, const std::string& name) {
    const std::unique_lock lock = claim();
    const StateColumn column = find(name);
    return engine_->state(column, self);
  }

  // A parameter changed from the next step on; errors name `origin`.
  void set(const std::string& assignment, const std::string& origin) {
    const std::unique_lock lock = claim();
    const ParsedSetting setting = parse_setting(assignment, origin);
    try {
      engine_->set(*setting.spec, setting.value);
    } catch (const ParamError& e) {
      throw InputError(origin + ": " + e.what());
    }
  }
  std::string changes() {
    const std::unique_lock lock = claim();
    return engine_->changes();
  }

  py::bytes image() {
    const std::unique_lock lock = claim();
    std::vector<char> bytes;
    {
      py::gil_scoped_release released;
      bytes = engine_->image();
    }
    return {bytes.data(), bytes.size()};
  }
  void save(const std::filesystem::path& path) {
    const std::unique_lock lock = claim();
    py::gil_scoped_release released;
    engine_->save(path);
  }

  std::string model() const {
    return std::string(find_param("model")->choices.at(static_cast<std::size_t>(model_)));
  }
  bool record() const { return record_; }

 private:
  // One call at a time: another thread calling while the model runs gets an error, not a race.
  std::unique_lock<std::mutex> claim() const {
    std::unique_lock lock(busy_, std::try_to_lock);
    if (!lock.owns_lock())
      throw std::runtime_error("icsim.Model is busy in another thread (one call at a time)");
    return lock;
  }

  // "name" (the finest level that has it) or "level/name".
  StateColumn find(const std::string& name) const {
    const auto slash = name.find('/');
    const std::string level = slash == std::string::npos ? "" : name.substr(0, slash);
    const std::string bare = slash == std::string::npos ? name : name.substr(slash + 1);
    for (const auto& c : engine_->columns())
      if (c.name == bare && (level.empty() || c.level == level)) return c;
    std::string known;
    for (const auto& c : engine_->columns()) known += (known.empty() ? "" : ", ") + c.name;
    throw py::key_error("no state column '" + name + "'; the model has " + known);
  }

  tbb::task_arena arena_;
  std::unique_ptr<Engine> engine_;
  icsim::Model model_{};
  bool record_ = true;
  std::atomic<std::int64_t> steps_{0};
  mutable std::mutex busy_;
};

// The references of bench/bindings.py, the work `icsim run` does without the command line: with
// no `output`, the seconds `simulate` takes for run.years (the model alone; the world is built
// beforehand, not timed); with one, the seconds run_scenario takes to build the world, simulate
// and record it there.
double reference_seconds(const std::string& scenario,
                         const std::vector<std::pair<std::string, std::string>>& settings,
                         int threads, const std::string& output) {
  Scenario s = load_scenario(scenario.empty() ? std::string(default_scenario) : scenario);
  for (const auto& [origin, assignment] : settings) apply_setting(s.params, assignment, origin);
  tbb::task_arena arena(threads > 0 ? threads : tbb::task_arena::automatic);
  return arena.execute([&] {
    std::optional<World> world;
    if (output.empty()) world = make_world(s.params);
    const auto start = std::chrono::steady_clock::now();
    if (world) {
      simulate(*world, {});
    } else {
      RunOptions options;
      options.output = output;
      options.provenance = {to_toml(s.params), s.source, "bench", "run"};
      run_scenario(s.params, options);
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  });
}

}  // namespace

void bind_model(py::module_& module) {
  module.def(
      "_reference_seconds",
      [](const std::string& scenario,
         const std::vector<std::pair<std::string, std::string>>& settings, int threads,
         const std::string& output) {
        py::gil_scoped_release released;
        return reference_seconds(scenario, settings, threads, output);
      },
      py::arg("scenario"), py::arg("settings"), py::arg("threads"), py::arg("output"));

  py::class_<StateColumn>(module, "StateColumn")
      .def_readonly("level", &StateColumn::level)
      .def_readonly("name", &StateColumn::name)
      .def_readonly("units", &StateColumn::units)
      .def_readonly("description", &StateColumn::description)
      .def_readonly("view", &StateColumn::view);

  py::class_<Model>(module, "Model")
      .def(py::init([](std::string scenario,
                       std::vector<std::pair<std::string, std::string>> settings, bool record,
                       std::string command_line, int threads) {
             ModelSpec spec{std::move(scenario), std::move(settings), record,
                            std::move(command_line)};
             py::gil_scoped_release released;
             return std::make_unique<Model>(spec, threads);
           }),
           py::arg("scenario"), py::arg("settings"), py::arg("record"), py::arg("command_line"),
           py::arg("threads"))
      .def("run", &Model::run, py::arg("count"))
      .def_property_readonly("steps", &Model::steps)
      .def_property_readonly("running", &Model::running)
      .def_property_readonly("planned", &Model::planned)
      .def_property_readonly("year", &Model::year)
      .def_property_readonly("model", &Model::model)
      .def_property_readonly("record", &Model::record)
      .def_property_readonly("columns", &Model::columns)
      .def("state", [](py::object self,
                       const std::string& name) { return self.cast<Model&>().state(self, name); })
      .def("set", &Model::set, py::arg("assignment"), py::arg("origin"))
      .def_property_readonly("changes", &Model::changes)
      .def("image", &Model::image)
      .def("save", &Model::save, py::arg("path"));
}

}  // namespace icsim::python
