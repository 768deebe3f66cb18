#include "experiments/population.hpp"

#include <memory>
#include <mutex>
#include <tuple>
#include <utility>

#include "experiments/england.hpp"
#include "experiments/synthetic.hpp"

namespace icsim {

bool same_structure(const Params& a, const Params& b) {
  const auto key = [](const Params& p) {
    return std::tie(p.population_source, p.ccg_merger_year, p.icb_year, p.provider_cost_total,
                    p.other_care_per_head, p.council_budget_per_resident, p.pcn_income_per_patient,
                    p.synthetic_organisations, p.synthetic_systems, p.synthetic_mean_degree,
                    p.synthetic_mix, p.finance_seed);
  };
  return key(a) == key(b);
}

namespace {
// The last England structure built, with the parameters it was built from. Synthetic ones are
// not kept: they can be large, and they build quickly.
Structure england_structure(const Params& params) {
  using Kept = std::pair<Params, Structure>;
  static std::mutex mutex;
  static std::shared_ptr<const Kept> last;
  std::shared_ptr<const Kept> kept;
  {
    const std::lock_guard lock(mutex);
    kept = last;
  }
  if (kept && same_structure(kept->first, params)) return kept->second;  // copied unlocked
  auto built = std::make_shared<const Kept>(params, load_england(params));
  const std::lock_guard lock(mutex);
  last = built;
  return built->second;
}
}  // namespace

Structure build_structure(const Params& params) {
  return params.population_source == PopulationSource::synthetic ? make_synthetic(params)
                                                                 : england_structure(params);
}

World make_world(const Params& params, std::uint64_t run) {
  return make_world(params, build_structure(params), run);
}

}  // namespace icsim
