// Work run in-process on its own thread (and oneTBB arena), which Python waits on with the GIL
// released: SweepJob and CalibrateJob. On Ctrl-C Python asks it to stop; it ends at its next
// safe point (the runs under way finish and are saved) and can be resumed.
#pragma once

#include <pybind11/pybind11.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace icsim::python {

class Job {
 public:
  Job() = default;
  ~Job() { join(); }
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

  // No further run starts; those under way finish and are saved.
  void stop() { stopping_ = true; }

 protected:
  // Runs `work` on the job's thread in an arena of `threads` (0: all cores); what it throws is
  // kept for rethrow(). Called once, from the derived constructor, after its members exist.
  void start(int threads, std::function<void()> work) {
    thread_ = std::thread([this, threads, work = std::move(work)] {
      try {
        tbb::task_arena arena(threads > 0 ? threads : tbb::task_arena::automatic);
        arena.execute(work);
      } catch (...) {
        std::lock_guard lock(mutex_);
        error_ = std::current_exception();
      }
      {
        std::lock_guard lock(mutex_);
        finished_ = true;
      }
      done_.notify_all();
    });
  }
  // The derived destructor calls it first, so that the work ends before its members go.
  void join() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Tells a waiting wait() that there is news (call after changing state under mutex_).
  void notify() { done_.notify_all(); }
  // Waits up to `seconds` (GIL released) for `news()` (checked under mutex_) or the end; whether
  // the job has ended.
  template <class News>
  bool wait_for(double seconds, News news) {
    pybind11::gil_scoped_release released;
    std::unique_lock lock(mutex_);
    done_.wait_for(lock, std::chrono::duration<double>(seconds),
                   [&] { return finished_ || news(); });
    return finished_;
  }
  // Waits for the end (GIL released), then rethrows what the work threw.
  void finish() {
    {
      pybind11::gil_scoped_release released;
      if (thread_.joinable()) thread_.join();
    }
    if (error_) std::rethrow_exception(error_);
  }
  bool stopping() const { return stopping_.load(); }
  bool finished() const { return finished_; }

  std::mutex mutex_;

 private:
  std::atomic<bool> stopping_{false};
  std::condition_variable done_;
  std::exception_ptr error_;
  bool finished_ = false;
  std::thread thread_;
};

}  // namespace icsim::python
