// Timing, thread limits and a counting operator new for the benchmarks.
#include <malloc.h>
#include <tbb/global_control.h>
#include <tbb/info.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "bench/bench.hpp"

namespace {
std::atomic<long long> live_bytes{0}, peak_bytes{0};

void note(long long delta) {
  const long long now = live_bytes.fetch_add(delta, std::memory_order_relaxed) + delta;
  long long peak = peak_bytes.load(std::memory_order_relaxed);
  while (now > peak && !peak_bytes.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}

void* allocate(std::size_t n, std::size_t align) {
  void* p = align > alignof(std::max_align_t)
                ? std::aligned_alloc(align, (n + align - 1) / align * align)
                : std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  note(static_cast<long long>(malloc_usable_size(p)));
  return p;
}
void release(void* p) noexcept {
  if (!p) return;
  note(-static_cast<long long>(malloc_usable_size(p)));
  std::free(p);
}
}  // namespace

// Every allocation in the process goes through these (HDF5's and libc's own mallocs do not).
void* operator new(std::size_t n) {
  return allocate(n, 0);
}
void* operator new[](std::size_t n) {
  return allocate(n, 0);
}
void* operator new(std::size_t n, std::align_val_t a) {
  return allocate(n, std::size_t(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return allocate(n, std::size_t(a));
}
void operator delete(void* p) noexcept {
  release(p);
}
void operator delete[](void* p) noexcept {
  release(p);
}
void operator delete(void* p, std::size_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  release(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  release(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  release(p);
}

namespace icsim::bench {

std::size_t heap_live() {
  return static_cast<std::size_t>(live_bytes.load());
}
std::size_t heap_peak() {
  return static_cast<std::size_t>(peak_bytes.load());
}
void reset_heap_peak() {
  peak_bytes.store(live_bytes.load());
}

Stopwatch::Stopwatch() : start_(std::chrono::steady_clock::now().time_since_epoch().count()) {}
double Stopwatch::seconds() const {
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  return static_cast<double>(now - start_) * std::chrono::steady_clock::period::num /
         std::chrono::steady_clock::period::den;
}

double median(std::vector<double> values) {
  if (values.empty()) return std::nan("");
  std::sort(values.begin(), values.end());
  const std::size_t m = values.size() / 2;
  return values.size() % 2 ? values[m] : (values[m - 1] + values[m]) / 2;
}

double median_seconds(const std::function<double()>& trial, double budget, int min_trials) {
  std::vector<double> times;
  const Stopwatch clock;
  while (static_cast<int>(times.size()) < min_trials || clock.seconds() < budget)
    times.push_back(trial());
  return median(times);
}

double median_ratio(const std::function<double()>& a, const std::function<double()>& b,
                    int rounds) {
  std::vector<double> ratios;
  for (int r = 0; r < rounds; ++r) {
    const double ta = a();
    ratios.push_back(ta / b());
  }
  return median(ratios);
}

Threads::Threads(std::size_t n)
    : control_(new tbb::global_control(tbb::global_control::max_allowed_parallelism, n)) {}
Threads::~Threads() {
  delete static_cast<tbb::global_control*>(control_);
}
std::size_t all_cores() {
  return static_cast<std::size_t>(tbb::info::default_concurrency());
}

std::string format(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*g", digits, value);
  return buffer;
}

std::string si(double value, int digits) {
  const char* unit = "";
  for (const char* u : {"k", "M", "G"}) {
    if (std::abs(value) < 1000) break;
    value /= 1000;
    unit = u;
  }
  return format(value, digits) + (*unit ? std::string(" ") + unit : "");
}

void Table::add(std::string item, std::string measure, std::string value, std::string target,
                int met) {
  rows_.push_back({std::move(item), std::move(measure), std::move(value), std::move(target), met});
  std::fprintf(stderr, "  %s | %s | %s\n", rows_.back().item.c_str(), rows_.back().measure.c_str(),
               rows_.back().value.c_str());
}

void Table::print() const {
  std::printf("| # | measure | value | target | met |\n|---|---|---|---|---|\n");
  for (const auto& r : rows_)
    std::printf("| %s | %s | %s | %s | %s |\n", r.item.c_str(), r.measure.c_str(), r.value.c_str(),
                r.target.c_str(),
                r.met < 0 ? ""
                : r.met   ? "yes"
                          : "**no**");
}

}  // namespace icsim::bench
