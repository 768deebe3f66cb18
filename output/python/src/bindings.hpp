// What the parts of the Python module icsim._core share: the models it drives behind one
// interface (the health model a year at a time, the classic models a step at a time), and how
// C++ errors become Python exceptions.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agents/parameters.hpp"
#include "experiments/scenario.hpp"
#include "output/tables.hpp"

namespace icsim::python {

namespace py = pybind11;

// A column of the model's state that Model.state(name) can show.
struct StateColumn {
  std::string level, name, units, description;
  bool view = false;  // shown in place (no copy)
};

// A model that Model drives. Every method but state() runs with the GIL released.
class Engine {
 public:
  virtual ~Engine() = default;
  virtual void step() = 0;  // one year, Monte Carlo step or realisation; nothing once finished
  // `count` steps at once (in parallel where they are independent), at most batch() a call.
  virtual void advance(std::int64_t count);
  virtual std::int64_t batch() const { return 1; }
  virtual bool finished() const { return false; }    // the run has reached its end
  virtual std::int64_t steps() const = 0;            // run so far
  virtual std::int64_t planned() const = 0;          // what a whole run takes (`icsim run`)
  virtual std::optional<std::int64_t> year() const;  // calendar year of the state shown
  virtual std::vector<StateColumn> columns() const = 0;
  // The column's current values: a read-only array over the model's memory whose base is
  // `owner` (the Python Model, kept alive by it), or a fresh array. Holds the GIL.
  virtual py::object state(const StateColumn& column, py::handle owner) = 0;
  virtual void set(const ParamSpec& spec, const Value& value) = 0;
  virtual std::string changes() const { return {}; }
  // The file `icsim run` would write for the steps so far, as bytes; and saved to a path.
  virtual std::vector<char> image() = 0;
  virtual void save(const std::filesystem::path& path);
};

// The scenario with the settings applied ("key=value", each with the origin its errors name).
struct ModelSpec {
  std::string scenario;  // file or shipped name; empty: the default scenario
  std::vector<std::pair<std::string, std::string>> settings;  // (origin, "key=value")
  bool record = true;
  std::string command_line;
};

std::unique_ptr<Engine> make_health_engine(const Params& params, const Provenance& provenance,
                                           bool record);
std::unique_ptr<Engine> make_classic_engine(const Params& params, const Provenance& provenance);

void bind_model(py::module_& module);
void bind_sweep(py::module_& module);
void bind_calibrate(py::module_& module);

}  // namespace icsim::python
