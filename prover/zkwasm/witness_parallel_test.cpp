// The witness builder's parallel parts (exec columns faulted in by the pool; ALU chip,
// mem_access and bitwise tables built side by side with multiplicities of their own) give the
// same witness as one thread, and that witness proves and verifies.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "prover/common/thread_pool.hpp"
#include "prover/fri/fri_params.hpp"
#include "prover/zkwasm/columns.hpp"
#include "prover/zkwasm/layout.hpp"
#include "prover/zkwasm/test_support.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::zkwasm {
namespace {

namespace L = layout;

// Every part the parallel tasks build: ALU rows (i64.mul, shifts), bitwise rows (xor, and),
// memory accesses (stores, loads), over enough steps for a 2^16-row execution table (29 MB,
// above zeroed_columns' parallel threshold).
const char* kMix = R"((module
  (memory 1)
  (func (export "mix") (param $n i32) (result i64) (local $x i64)
    (local.set $x (i64.const 0x1234567890ABCDEF))
    (block $d (loop $l
      (br_if $d (i32.eqz (local.get $n)))
      (local.set $x (i64.xor (i64.mul (local.get $x) (i64.const 6364136223846793005))
                             (i64.shr_u (local.get $x) (i64.const 29))))
      (i64.store (i32.and (i32.wrap_i64 (local.get $x)) (i32.const 0xFFF8))
                 (i64.and (local.get $x) (i64.load (i32.const 64))))
      (local.set $x (i64.add (local.get $x)
                             (i64.load8_u (i32.and (local.get $n) (i32.const 0xFFFF)))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $x)))
)";

TEST(ZkWasmWitness, ZeroedColumnsAreZero) {
  ThreadPool& pool = ThreadPool::with_threads(2);
  // Below the parallel threshold, above it, and not a whole number of pages.
  for (const size_t n : {size_t(1000), (size_t(5) << 20) + 3}) {
    const std::vector<Fp> v = zeroed_columns(n, pool);
    ASSERT_EQ(v.size(), n);
    EXPECT_TRUE(std::all_of(v.begin(), v.end(), [](Fp x) { return x == Fp::zero(); })) << n;
  }
}

TEST(ZkWasmWitness, ParallelBuildMatchesOneThread) {
  const auto r = test_support::run_function(kMix, "mix", {1500});
  ASSERT_EQ(r.trace.end.status, 0u);
  ASSERT_GT(r.trace.steps.size(), size_t(1) << 15);  // a 2^16-row execution table
  WitnessOptions one;
  one.args = r.args;
  one.threads = 1;
  WitnessOptions two = one;
  two.threads = 2;
  PublicValues pv1, pv2;
  auto w1 = build_witness(*r.program, r.trace, one, pv1);
  auto w2 = build_witness(*r.program, r.trace, two, pv2);
  ASSERT_TRUE(w1.is_ok()) << w1.status().to_string();
  ASSERT_TRUE(w2.is_ok()) << w2.status().to_string();
  EXPECT_EQ(w1->main[L::kExec].size(), (size_t(1) << 16) * L::Exec::kWidth);
  // The tables the tasks build are not all zero (else equality would show little).
  for (const uint32_t t : {L::kAlu, L::kMemAccess, L::kBitwise, L::kShift}) {
    const auto& c = w1->main[t];
    EXPECT_TRUE(std::any_of(c.begin(), c.end(), [](Fp x) { return x != Fp::zero(); })) << t;
  }
  ASSERT_EQ(w1->main.size(), w2->main.size());
  for (size_t t = 0; t < w1->main.size(); ++t) {
    EXPECT_TRUE(w1->main[t] == w2->main[t]) << "table " << t << " differs";
  }
  EXPECT_EQ(w1->publics, w2->publics);
  // The multiplicities summed from the tasks balance the buses: the prover's witness check
  // passes and the proof verifies.
  auto pk = r.program->proving_key(fri_test_preset());
  ASSERT_TRUE(pk.is_ok()) << pk.status().to_string();
  const Status st = test_support::prove_and_verify(*r.program, **pk, *w2, pv2, true);
  EXPECT_TRUE(st.is_ok()) << st.to_string();
}

}  // namespace
}  // namespace efaas::zkwasm
