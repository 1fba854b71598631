#pragma once
// How much work the proving thread did alone, for benchmarks: wall time cannot be compared on a
// busy machine, but the CPU time of serial sections can, and on an idle machine they set how far
// the wall time stays above CPU time / threads.
#include "prover/common/timer.hpp"  // thread_cpu_seconds

namespace efaas {

// Starts the count below (off by default: it costs two system calls per dispatch).
void enable_dispatch_accounting();

// CPU seconds that calling threads have spent inside ThreadPool::parallel_for calls handed to
// workers (all pools, process-wide). A thread's CPU time minus the change of this is the work
// it did alone while the pool's other threads idled: serial sections, and parallel_for calls
// too small to split. Counts from enable_dispatch_accounting() on.
double dispatched_caller_cpu_seconds();

}  // namespace efaas
