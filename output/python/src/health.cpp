// The health model behind icsim.Model: a Simulation recorded in memory, its state shown from the
// metric registry (in place where the world keeps the column).
#include <pybind11/numpy.h>

#include <stdexcept>

#include "agents/metrics.hpp"
#include "bindings.hpp"
#include "experiments/run.hpp"
#include "output/hdf5.hpp"
#include "output/run_recorder.hpp"

namespace icsim::python {
namespace {

constexpr std::array<const char*, 3> level_names{"organisation", "system", "national"};

const Metric& metric_of(const StateColumn& column) {
  for (int level = 0; level < 3; ++level)
    if (column.level == level_names[level])
      if (const Metric* m = find_metric(column.name, static_cast<Level>(level))) return *m;
  throw std::out_of_range("no metric " + column.level + "/" + column.name);
}

// Flags (units "flag") read as booleans, as the Python reader reads them from files.
template <class T>
py::dtype dtype_of(const Metric& m) {
  if constexpr (std::is_same_v<T, std::uint8_t>)
    if (m.unit == "flag") return py::dtype::of<bool>();
  return py::dtype::of<T>();
}

py::object read_only(py::array array) {
  array.attr("setflags")(py::arg("write") = false);
  return array;
}

class HealthEngine final : public Engine {
 public:
  HealthEngine(const Params& params, const Provenance& provenance, bool record)
      : run_(params, record ? Simulation::Recording::memory : Simulation::Recording::none,
             provenance) {
    if (!record) tables_ = RunRecorder(run_.world(), provenance).image();
  }

  void step() override { run_.step(); }
  std::int64_t steps() const override { return run_.years_run(); }
  std::int64_t planned() const override { return run_.world().params.years; }
  std::optional<std::int64_t> year() const override {
    if (run_.years_run() == 0) return std::nullopt;
    return run_.world().params.first_year + run_.world().year;
  }

  std::vector<StateColumn> columns() const override {
    std::vector<StateColumn> out;
    for (const auto& m : metrics())
      out.push_back({level_names[static_cast<int>(m.level)], m.name, m.unit, m.description,
                     static_cast<bool>(m.view)});
    return out;
  }

  py::object state(const StateColumn& column, py::handle owner) override {
    if (run_.years_run() == 0)
      throw std::runtime_error(
          "no year simulated yet: the state shows a year once step() or "
          "run() has simulated one");
    const Metric& m = metric_of(column);
    if (m.view && m.level != Level::national) {
      return std::visit(
          [&](auto values) -> py::object {
            using T = std::remove_const_t<typename decltype(values)::element_type>;
            return read_only(
                py::array(dtype_of<T>(m), {values.size()}, {sizeof(T)}, values.data(), owner));
          },
          m.view(run_.world()));
    }
    return std::visit(
        [&](auto&& values) -> py::object {
          using V = std::decay_t<decltype(values)>;
          using T = typename V::value_type;
          if (m.level == Level::national) {
            if (m.unit == "flag") return py::bool_(values.at(0) != 0);
            return py::cast(values.at(0));
          }
          auto* kept = new V(std::move(values));
          py::capsule free(kept, [](void* p) { delete static_cast<V*>(p); });
          return read_only(
              py::array(dtype_of<T>(m), {kept->size()}, {sizeof(T)}, kept->data(), free));
        },
        m.compute(run_.world()));
  }

  void set(const ParamSpec& spec, const Value& value) override { run_.set(spec, value); }
  std::string changes() const override { return run_.changes(); }

  std::vector<char> image() override { return tables_.empty() ? run_.image() : tables_; }
  void save(const std::filesystem::path& path) override {
    if (!tables_.empty())
      throw std::runtime_error("nothing to save: the model does not record (record=False)");
    run_.save(path);
  }

 private:
  Simulation run_;
  std::vector<char> tables_;  // when not recording: provenance and static tables only
};

}  // namespace

void Engine::advance(std::int64_t count) {
  for (std::int64_t i = 0; i < count && !finished(); ++i) step();
}

std::optional<std::int64_t> Engine::year() const {
  return std::nullopt;
}

void Engine::save(const std::filesystem::path& path) {
  h5::save_image(image(), path.string());
}

std::unique_ptr<Engine> make_health_engine(const Params& params, const Provenance& provenance,
                                           bool record) {
  return std::make_unique<HealthEngine>(params, provenance, record);
}

}  // namespace icsim::python
