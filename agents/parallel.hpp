// Parallel loops over agents with oneTBB. Each index writes only its own slots, so results do
// not depend on the number of threads.
#pragma once

#include <cstddef>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

namespace icsim::detail {

template <class F>
void for_each_index(std::size_t n, F&& f, std::size_t grain = 512) {
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, grain),
                    [&](const tbb::blocked_range<std::size_t>& r) {
                      for (std::size_t i = r.begin(); i != r.end(); ++i) f(i);
                    });
}

}  // namespace icsim::detail
