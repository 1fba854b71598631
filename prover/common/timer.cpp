#include "prover/common/timer.hpp"

#include <thread>

namespace efaas {

double tsc_hz() {
  static const double hz = [] {
    Stopwatch sw;
    uint64_t t0 = read_tsc();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    uint64_t t1 = read_tsc();
    return double(t1 - t0) / sw.seconds();
  }();
  return hz;
}

}  // namespace efaas
