// icsim-bench: the benchmarks of issue 7, measured in one process and printed as one table.
// Each item adds its rows; where a ratio is the point the row is a ratio of two timings taken
// in alternation, so that other load on the machine skews both sides alike.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace icsim::bench {

struct Options {
  bool quick = false;  // CI sizes: seconds, not minutes
  std::vector<int> items{1, 2, 3, 4, 5};
  std::string scratch = "/tmp";  // where output files go (removed afterwards)
  std::string baseline;          // a saved icsim-bench of an earlier build, for item 1
};

struct Row {
  std::string item, measure, value, target;
  int met = -1;  // 1 met, 0 not met, -1 no target
};

class Table {
 public:
  void add(std::string item, std::string measure, std::string value, std::string target = "",
           int met = -1);
  void print() const;  // a Markdown table on stdout
  const std::vector<Row>& rows() const { return rows_; }

 private:
  std::vector<Row> rows_;
};

// "5.31 M", "0.93", "412 MB": numbers in a row.
std::string format(double value, int digits = 3);
std::string si(double value, int digits = 3);

// Timing. A trial returns the seconds it measured (setup outside). median_seconds runs trials
// until `budget` seconds have gone by and at least `min_trials` have run.
double median_seconds(const std::function<double()>& trial, double budget, int min_trials);
// Runs a then b, `rounds` times, and returns the median of time(a) / time(b).
double median_ratio(const std::function<double()>& a, const std::function<double()>& b, int rounds);
double median(std::vector<double> values);

class Stopwatch {
 public:
  Stopwatch();
  double seconds() const;

 private:
  long long start_;
};

// TBB uses at most n threads while an object lives.
class Threads {
 public:
  explicit Threads(std::size_t n);
  ~Threads();
  Threads(const Threads&) = delete;
  Threads& operator=(const Threads&) = delete;

 private:
  void* control_;
};
std::size_t all_cores();

// The heap as operator new sees it, over the whole process: bytes live, and the peak since the
// last reset.
std::size_t heap_live();
std::size_t heap_peak();
void reset_heap_peak();

// One section each (bench/<item>.cpp).
void england_model(Table& table, const Options& options);         // 1
void sweep_throughput(Table& table, const Options& options);      // 2
void synthetic_population(Table& table, const Options& options);  // 3
void full_recording(Table& table, const Options& options);        // 4
void public_goods(Table& table, const Options& options);          // 5

}  // namespace icsim::bench
