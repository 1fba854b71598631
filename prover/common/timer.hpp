#pragma once
// Wall-clock and time-stamp-counter timing for benchmarks and progress reports.
#include <time.h>

#include <chrono>
#include <cstdint>

namespace efaas {

inline uint64_t read_tsc() {
#if defined(__x86_64__)
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t(hi) << 32) | lo;
#else
  return 0;
#endif
}

// CPU time of the whole process (all threads), in seconds. Unlike wall time it is not inflated
// by other processes sharing the cores, which makes it the figure to compare on a busy machine.
inline double process_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// CPU time of the calling thread, in seconds.
inline double thread_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// TSC ticks per second, measured once against the steady clock (about 20 ms).
double tsc_hz();

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  void reset() { start_ = std::chrono::steady_clock::now(); }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace efaas
