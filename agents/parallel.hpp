// Parallel loops over agents with oneTBB. Each index writes only its own slots, so results do
// not depend on the number of threads.
#pragma once

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <cstddef>

namespace icsim::detail {

// Debian's oneTBB is not built with ThreadSanitizer, so TSan cannot see that a parallel_for
// orders the caller's writes before the tasks and the tasks' writes before its return. Under
// TSan, an acquire/release pair on an atomic makes that ordering visible; other builds pay
// nothing.
#if defined(__SANITIZE_THREAD__)
class VisibleToSanitizer {
 public:
  VisibleToSanitizer() { order_.store(0, std::memory_order_release); }
  void task_begins() const { (void)order_.load(std::memory_order_acquire); }
  void task_ends() { order_.fetch_add(1, std::memory_order_acq_rel); }
  ~VisibleToSanitizer() { (void)order_.load(std::memory_order_acquire); }

 private:
  std::atomic<std::size_t> order_{0};
};
#else
struct VisibleToSanitizer {
  void task_begins() const {}
  void task_ends() {}
};
#endif

// Whether a parallel loop could use more than this thread: not when the arena or the process
// allows one thread (a 1-thread run, or each run of a sweep on 1 thread), where oneTBB's task
// overhead would be paid for nothing.
inline bool may_run_parallel() {
  return tbb::this_task_arena::max_concurrency() > 1 &&
         tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism) > 1;
}

// f(begin, end) over consecutive ranges covering [0, n), for loops that work in batches. One
// range (f(0, n) on this thread) where the loop is a single grain or only one thread may run:
// each index writes only its own slots, so the results are the same.
template <class F>
void for_each_range(std::size_t n, F&& f, std::size_t grain = 512) {
  if (n <= grain || !may_run_parallel()) {
    if (n > 0) f(std::size_t{0}, n);
    return;
  }
  VisibleToSanitizer order;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, grain),
                    [&](const tbb::blocked_range<std::size_t>& r) {
                      order.task_begins();
                      f(r.begin(), r.end());
                      order.task_ends();
                    });
}

template <class F>
void for_each_index(std::size_t n, F&& f, std::size_t grain = 512) {
  for_each_range(
      n,
      [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i != end; ++i) f(i);
      },
      grain);
}

}  // namespace icsim::detail
