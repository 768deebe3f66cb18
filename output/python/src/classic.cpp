// The classic models behind icsim.Model (model = public_goods | threshold_cascade): a step is a
// Monte Carlo step of the public goods game, or a realisation of threshold cascades.
#include "experiments/classic.hpp"

#include <pybind11/numpy.h>

#include <algorithm>
#include <stdexcept>

#include "bindings.hpp"
#include "output/hdf5.hpp"

namespace icsim::python {
namespace {

py::object view(const auto& values, std::size_t size, py::dtype type, py::handle owner) {
  py::array array(type, {size}, {type.itemsize()}, values.data(), owner);
  array.attr("setflags")(py::arg("write") = false);
  return array;
}

class PublicGoodsEngine final : public Engine {
 public:
  PublicGoodsEngine(const Params& params, const Provenance& provenance)
      : params_(params), provenance_(provenance), game_(params) {}

  void step() override { game_.step(); }
  bool finished() const override { return game_.finished(); }
  std::int64_t steps() const override { return game_.steps_run(); }
  std::int64_t planned() const override { return params_.steps; }
  std::vector<StateColumn> columns() const override {
    return {{"player", "cooperates", "flag", "the player cooperates", true},
            {"national", "cooperator_fraction", "fraction", "share of players who cooperate"}};
  }
  py::object state(const StateColumn& column, py::handle owner) override {
    if (column.name == "cooperator_fraction") return py::float_(game_.game().cooperator_fraction());
    const auto strategies = game_.game().strategies();
    return view(strategies, strategies.size(), py::dtype::of<bool>(), owner);
  }
  void set(const ParamSpec& spec, const Value&) override {
    throw ParamError("key '" + spec.name + "': the classic models take no changes during a run");
  }
  std::vector<char> image() override { return classic_image(params_, provenance_, game_.result()); }

 private:
  Params params_;
  Provenance provenance_;
  PublicGoodsSimulation game_;
};

class CascadeEngine final : public Engine {
 public:
  CascadeEngine(const Params& params, const Provenance& provenance)
      : params_(params), provenance_(provenance), cascades_(params) {}

  void step() override { cascades_.run(1); }
  // Realisations are independent: a batch runs in parallel between two checks for Ctrl-C.
  void advance(std::int64_t count) override {
    cascades_.run(static_cast<std::uint32_t>(std::min<std::int64_t>(count, planned())));
  }
  std::int64_t batch() const override { return 64; }
  bool finished() const override { return cascades_.finished(); }
  std::int64_t steps() const override { return cascades_.realisations_run(); }
  std::int64_t planned() const override { return params_.cascade_realisations; }
  std::vector<StateColumn> columns() const override {
    return {{"realisation", "final_active_share", "fraction",
             "share of nodes active at quiescence, per realisation run", true},
            {"national", "global_cascade_frequency", "fraction",
             "share of realisations ending above cascade.global_share"}};
  }
  py::object state(const StateColumn& column, py::handle owner) override {
    if (column.name == "global_cascade_frequency")
      return py::float_(cascades_.result().global_cascade_frequency);
    return view(cascades_.final_active_share(), cascades_.realisations_run(),
                py::dtype::of<double>(), owner);
  }
  void set(const ParamSpec& spec, const Value&) override {
    throw ParamError("key '" + spec.name + "': the classic models take no changes during a run");
  }
  std::vector<char> image() override {
    return classic_image(params_, provenance_, cascades_.result());
  }

 private:
  Params params_;
  Provenance provenance_;
  CascadeSimulation cascades_;
};

}  // namespace

std::unique_ptr<Engine> make_classic_engine(const Params& params, const Provenance& provenance) {
  try {
    if (params.model == Model::public_goods)
      return std::make_unique<PublicGoodsEngine>(params, provenance);
    return std::make_unique<CascadeEngine>(params, provenance);
  } catch (const ParamError& e) {  // a graph the parameters cannot make: the user's input
    throw InputError(e.what());
  }
}

}  // namespace icsim::python
