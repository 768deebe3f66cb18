// icsim._core: the model driven from Python (pybind11). The Python side is the icsim package
// (output/python/icsim: Model, sweep); output/python/README.md says how to build and use it.
#include <exception>

#include "bindings.hpp"
#include "experiments/scenario.hpp"
#include "icsim/version.hpp"
#include "network/csv.hpp"
#include "output/hdf5.hpp"

namespace icsim::python {
namespace {

// icsim.ScenarioError, defined in Python (icsim/errors.py) so that it exists without the module.
PyObject* scenario_error = nullptr;

void translate(std::exception_ptr error) {
  try {
    if (error) std::rethrow_exception(error);
  } catch (const InputError& e) {
    PyErr_SetString(scenario_error, e.what());
  } catch (const ParamError& e) {
    PyErr_SetString(scenario_error, e.what());
  } catch (const DataError& e) {
    PyErr_SetString(scenario_error, e.what());
  } catch (const h5::Error& e) {
    PyErr_SetString(PyExc_OSError, e.what());
  }
}

}  // namespace
}  // namespace icsim::python

PYBIND11_MODULE(_core, module) {
  using namespace icsim::python;
  module.doc() = "icsim's model, driven from Python: use icsim.Model and icsim.sweep";
  module.attr("version") = icsim::version;
  scenario_error =
      py::object(py::module_::import("icsim.errors").attr("ScenarioError")).release().ptr();
  py::register_exception_translator(&translate);
  bind_model(module);
  bind_sweep(module);
  bind_calibrate(module);
}
