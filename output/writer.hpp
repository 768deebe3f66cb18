// One writer thread that owns an output file, fed by a bounded queue: simulation threads hand
// over finished data and go on; they wait only when the queue is full. HDF5's errors on that
// thread are exceptions (h5::quiet), rethrown to the owner.
#pragma once

#include <tbb/concurrent_queue.h>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace icsim {

class AsyncWriter {
 public:
  explicit AsyncWriter(std::size_t capacity = 16);
  ~AsyncWriter();
  AsyncWriter(const AsyncWriter&) = delete;
  AsyncWriter& operator=(const AsyncWriter&) = delete;

  // Queues work for the writer thread; rethrows the writer's first error, if any.
  void submit(std::function<void()> task);
  // Waits until everything queued so far has run (the thread goes on); rethrows as check().
  void drain();
  // Runs everything queued, stops the thread and rethrows the writer's first error.
  void finish();
  // Rethrows the writer's first error, if any.
  void check();

 private:
  void run();

  tbb::concurrent_bounded_queue<std::function<void()>> queue_;
  std::thread thread_;
  std::mutex mutex_;
  std::exception_ptr error_;
  std::condition_variable done_;
  std::uint64_t submitted_ = 0, completed_ = 0;  // tasks, counted for drain()
  bool finished_ = false;
};

}  // namespace icsim
