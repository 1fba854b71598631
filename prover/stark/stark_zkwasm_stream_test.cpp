// Streamed LDEs on the zkWASM universal AIR (the widest machine: ~186 main columns in the
// execution table, LogUp buses, fixed tables): the proof bundle with every LDE streamed, or a
// part of them, is byte-identical to the resident one, verifies, and a tampered proof is still
// rejected. (A test of prover/stark on top of prover/zkwasm; zkWASM's own tests use the
// default budget, under which small segments are resident.)
#include <gtest/gtest.h>

#include <cstdint>

#include "prover/common/cpu_features.hpp"
#include "prover/zkwasm/test_support.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas {
namespace {

const char* kLoop = R"((module
  (global $g (mut i64) (i64.const 1))
  (func (export "mixed") (param $n i32) (result i64) (local $i i32) (local $x i64) (local $y i32)
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $x (i64.add (local.get $x) (i64.xor (global.get $g) (i64.extend_i32_u (local.get $i)))))
      (local.set $y (i32.add (local.get $y) (select (i32.const 3) (i32.const 5) (i32.lt_s (local.get $y) (i32.const 100)))))
      (global.set $g (i64.sub (i64.or (local.get $x) (i64.const 0x100)) (i64.and (global.get $g) (i64.const 0xff))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $top)))
    (i64.add (local.get $x) (i64.extend_i32_u (local.get $y)))))
)";

TEST(StarkStreaming, ZkWasmBundlesAreIdenticalWhenStreamed) {
  const auto bytes = zkwasm::test_support::wat(kLoop);
  auto program = zkwasm::Program::load(bytes);
  ASSERT_TRUE(program.is_ok()) << program.status().to_string();
  const std::vector<uint64_t> args{40};
  const wasm::Trace trace = zkwasm::test_support::run_traced(bytes, "mixed", args);
  std::vector<Backend> backends{Backend::kScalar};
  if (avx2_usable()) backends.push_back(Backend::kAvx2);
  std::vector<uint8_t> want;
  for (Backend b : backends) {
    // Resident (scalar: the reference), every LDE streamed, and a budget of 1 MiB (part of the
    // execution table's).
    const std::vector<size_t> budgets = b == Backend::kScalar
                                            ? std::vector<size_t>{SIZE_MAX, 0}
                                            : std::vector<size_t>{0, size_t(1) << 20};
    for (size_t budget : budgets) {
      zkwasm::ProveOptions o;
      o.params = fri_test_preset();
      o.args = args;
      o.stark.backend = b;
      o.stark.max_lde_bytes = budget;
      StarkTimings tm;
      auto bundle = zkwasm::prove(**program, trace, o, &tm);
      ASSERT_TRUE(bundle.is_ok()) << bundle.status().to_string();
      if (budget != SIZE_MAX) {
        EXPECT_GT(tm.streamed_ldes, 0u) << "budget " << budget;
        // The openings compute streamed blocks at the opened rows only.
        EXPECT_GT(tm.partly_recomputed_blocks, 0u);
        EXPECT_GT(tm.recomputed_blocks + tm.partly_recomputed_blocks, 0u) << tm.recomputed_blocks;
      } else {
        EXPECT_EQ(tm.streamed_ldes, 0u);
      }
      const std::vector<uint8_t> got = zkwasm::serialize_bundle(*bundle);
      if (want.empty()) want = got;
      ASSERT_EQ(got, want) << backend_name(b) << " budget " << budget
                           << ": the bundle differs from the resident scalar one";
      ASSERT_TRUE(zkwasm::verify(**program, *bundle).is_ok());
      // An opened main-trace value changed: rejected.
      zkwasm::Bundle bad = *bundle;
      bad.segments[0].proof.main_queries.rows[0][0][0] += Fp::one();
      EXPECT_FALSE(zkwasm::verify(**program, bad).is_ok());
    }
  }
}

}  // namespace
}  // namespace efaas
