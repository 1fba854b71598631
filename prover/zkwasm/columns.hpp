#pragma once
// Allocation of large zero-filled main-column buffers for the witness builders.
#include <cstddef>
#include <vector>

#include "prover/common/thread_pool.hpp"
#include "prover/field/babybear.hpp"

namespace efaas::zkwasm {

// n zeros. A large buffer (the execution table is 2^20 x 111 cells, 465 MB) has its pages
// faulted in by `pool` in parallel first: std::vector's value-initialization alone faults every
// page in on the calling thread. (No MADV_HUGEPAGE: with THP defrag "madvise" its faults may
// compact memory synchronously; tried, the exec table took 1.8 s instead of 0.3 s.)
std::vector<Fp> zeroed_columns(size_t n, ThreadPool& pool);

}  // namespace efaas::zkwasm
