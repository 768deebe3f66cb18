// The classic models behind icsim.Model (model = public_goods | threshold_cascade).
#include <stdexcept>

#include "bindings.hpp"

namespace icsim::python {

std::unique_ptr<Engine> make_classic_engine(const Params&, const Provenance&) {
  throw std::runtime_error("classic models are not available through icsim.Model yet");
}

}  // namespace icsim::python
