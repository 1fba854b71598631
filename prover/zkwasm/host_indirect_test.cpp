// zkWASM: efaas host functions reached through call_indirect (docs/zkwasm.md, "Host I/O",
// "call_indirect of an import"). C code that takes the address of an imported function compiles
// to exactly this. Completeness: I/O, a defined function through the same table, a short
// input_read, abort and a host error through the pointer, a type mismatch on a host slot, in
// one segment and split. Forgeries with the prover's checks off that the verifier must reject:
// the call claimed as another host function, output and input bytes changed, another trap
// code; and witness edits: the host bit cleared (the frame-pushing call), set on a call of a
// defined function, the host tail returning elsewhere, counted as an instruction.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "prover/fri/fri_params.hpp"
#include "prover/wasm/extension.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/zkwasm/air_internal.hpp"
#include "prover/zkwasm/layout.hpp"
#include "prover/zkwasm/test_support.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::zkwasm {
namespace {

namespace L = layout;
using E = L::Exec;
using wasm::Op;
using test_support::expect_forgery_rejected;
using test_support::expect_extension_proves;
using test_support::extension_opts;
using test_support::wat;

// Every efaas host function called through the module's table only: input_size(kind) and
// input_read of `extra` bytes more than there are (a short read when extra > 0), output_write
// of what was read, a defined function through the same table, then `spins` loop rounds, and
// abort(7) through the table when the Data is empty.
std::string ext(uint32_t kind = 0, uint32_t extra = 0, uint32_t spins = 0) {
  return R"((module
  (import "efaas" "input_size" (func $isz (param i32) (result i32)))
  (import "efaas" "input_read" (func $ird (param i32 i32 i32 i32) (result i32)))
  (import "efaas" "output_write" (func $out (param i32 i32)))
  (import "efaas" "abort" (func $abort (param i32)))
  (type $t1 (func (param i32) (result i32)))
  (type $t4 (func (param i32 i32 i32 i32) (result i32)))
  (type $t2 (func (param i32 i32)))
  (type $t0 (func (param i32)))
  (table 8 funcref)
  (elem (i32.const 0) $isz $ird $out $abort $inc)
  (memory (export "memory") 1)
  (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "efaas_main") (result i32) (local $n i32) (local $got i32) (local $i i32)
    (local.set $n (call_indirect (type $t1) (i32.const )" + std::to_string(kind) +
         R"() (i32.const 0)))
    (local.set $got (call_indirect (type $t4) (i32.const 0) (i32.const 0) (i32.const 64)
      (i32.add (local.get $n) (i32.const )" + std::to_string(extra) + R"()) (i32.const 1)))
    (call_indirect (type $t2) (i32.const 64) (local.get $got) (i32.const 2))
    (local.set $i (call_indirect (type $t1) (i32.const )" + std::to_string(spins) +
         R"() (i32.const 4)))
    (block $done (loop $spin
      (br_if $done (i32.le_u (local.get $i) (i32.const 1)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br $spin)))
    (if (i32.eqz (local.get $n))
      (then (call_indirect (type $t0) (i32.const 7) (i32.const 3))))
    (local.get $got)))
)";
}

// A call_indirect of input_size with output_write's type: trap 5 on a host slot.
const char* kMismatch = R"((module
  (import "efaas" "input_size" (func $isz (param i32) (result i32)))
  (type $t2 (func (param i32 i32)))
  (table 1 funcref)
  (elem (i32.const 0) $isz)
  (memory (export "memory") 1)
  (func (export "efaas_main") (result i32)
    (call_indirect (type $t2) (i32.const 0) (i32.const 0) (i32.const 0))
    (i32.const 0)))
)";

wasm::ExtensionInput data(std::vector<uint8_t> bytes) {
  wasm::ExtensionInput in;
  in.data = std::move(bytes);
  return in;
}

size_t count_host_indirect(const test_support::ExtensionRun& e) {
  size_t n = 0;
  const uint32_t imports = e.program->module().num_imported_funcs;
  for (const auto& s : e.trace.steps) n += s.op == uint16_t(Op::kCallIndirect) && s.aux < imports;
  return n;
}

TEST(ZkHostCallIndirect, HostFunctionsThroughTheTableProve) {
  const std::vector<uint8_t> bytes = {'p', 'o', 'i', 'n', 't', 'e', 'r', 's', '!', 1, 2, 3, 4};
  const auto e = test_support::run_extension(wat(ext()), data(bytes));
  ASSERT_EQ(e.result.trap, wasm::TrapCode::kNone);
  ASSERT_EQ(e.result.output, bytes);
  EXPECT_EQ(count_host_indirect(e), 3u);
  Bundle b = expect_extension_proves(e);
  ASSERT_EQ(b.segments.size(), 1u);
  for (size_t at : {size_t(0), size_t(5), bytes.size() - 1}) {
    Bundle t = b;
    t.publics.output[at] ^= 1;
    EXPECT_FALSE(verify(*e.program, t).is_ok()) << "verified with output byte " << at << " changed";
  }
  Bundle t = b;
  t.publics.public_input.back() ^= 1;
  EXPECT_FALSE(verify(*e.program, t).is_ok()) << "verified with another input";
  t = b;
  t.publics.instructions += 1;
  EXPECT_FALSE(verify(*e.program, t).is_ok()) << "verified with another instruction count";
}

TEST(ZkHostCallIndirect, ShortReadAbortAndHostErrorThroughTheTableProve) {
  {
    SCOPED_TRACE("short input_read");
    const auto e = test_support::run_extension(wat(ext(0, 5)), data({9, 8, 7}));
    ASSERT_EQ(e.result.trap, wasm::TrapCode::kNone);
    ASSERT_EQ(e.result.output, (std::vector<uint8_t>{9, 8, 7}));
    expect_extension_proves(e);
  }
  {
    SCOPED_TRACE("abort");
    const auto e = test_support::run_extension(wat(ext()), data({}));
    ASSERT_EQ(e.result.trap, wasm::TrapCode::kHostAbort);
    Bundle b = expect_extension_proves(e);
    EXPECT_EQ(b.publics.abort_code, 7u);
    Bundle t = b;
    t.publics.abort_code = 8;
    EXPECT_FALSE(verify(*e.program, t).is_ok()) << "verified with another abort code";
  }
  {
    SCOPED_TRACE("host error (unknown input kind)");
    const auto e = test_support::run_extension(wat(ext(9)), data({1}));
    ASSERT_EQ(e.result.trap, wasm::TrapCode::kHostError);
    Bundle b = expect_extension_proves(e);
    Bundle t = b;
    t.publics.trap_code = uint32_t(wasm::TrapCode::kIndirectCallTypeMismatch);
    EXPECT_FALSE(verify(*e.program, t).is_ok()) << "verified with trap code 5";
  }
  {
    SCOPED_TRACE("type mismatch on a host slot");
    const auto e = test_support::run_extension(wat(kMismatch), data({1}));
    ASSERT_EQ(e.result.trap, wasm::TrapCode::kIndirectCallTypeMismatch);
    Bundle b = expect_extension_proves(e);
    for (uint32_t other : {6u, 7u}) {
      Bundle t = b;
      t.publics.trap_code = other;
      EXPECT_FALSE(verify(*e.program, t).is_ok()) << "verified with trap code " << other;
    }
  }
}

TEST(ZkHostCallIndirect, SplitRunProves) {
  std::vector<uint8_t> bytes(300);
  for (size_t k = 0; k < bytes.size(); ++k) bytes[k] = uint8_t(k * 7 + 1);
  const auto e = test_support::run_extension(wat(ext(0, 0, 300)), data(bytes));
  ASSERT_EQ(e.result.trap, wasm::TrapCode::kNone);
  ASSERT_EQ(e.result.output, bytes);
  Bundle b = expect_extension_proves(e, 8);
  EXPECT_GT(b.segments.size(), 2u);
  // Aborting through the table in the last segment of a split run.
  const auto a = test_support::run_extension(wat(ext(0, 0, 300)), data({}));
  ASSERT_EQ(a.result.trap, wasm::TrapCode::kHostAbort);
  Bundle ab = expect_extension_proves(a, 8);
  EXPECT_GT(ab.segments.size(), 1u);
  EXPECT_EQ(ab.publics.abort_code, 7u);
}

// The step index of the n-th call_indirect of an import.
size_t host_call(const test_support::ExtensionRun& e, size_t nth) {
  const uint32_t imports = e.program->module().num_imported_funcs;
  for (size_t i = 0; i < e.trace.steps.size(); ++i) {
    const auto& s = e.trace.steps[i];
    if (s.op == uint16_t(Op::kCallIndirect) && s.aux < imports && nth-- == 0) return i;
  }
  ADD_FAILURE() << "no such call";
  return 0;
}

TEST(ZkHostCallIndirect, ForgedTracesAreRejected) {
  const std::vector<uint8_t> bytes = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
  const auto e = test_support::run_extension(wat(ext()), data(bytes));
  ASSERT_EQ(e.result.trap, wasm::TrapCode::kNone);
  const Program& p = *e.program;
  {
    // output_write (import 2) claimed as input_size (import 0): both have slots, the tuple
    // names the wrong one for the index.
    wasm::Trace t = e.trace;
    t.steps[host_call(e, 2)].aux = 0;
    expect_forgery_rejected("output_write claimed as input_size", p, t, e.input);
  }
  {
    // input_read claimed as output_write: its I/O rows then write the output.
    wasm::Trace t = e.trace;
    t.steps[host_call(e, 1)].aux = 2;
    expect_forgery_rejected("input_read claimed as output_write", p, t, e.input);
  }
  {
    // The output bytes changed in the I/O row and the claim (memory holds the honest ones).
    wasm::Trace t = e.trace;
    for (size_t i = host_call(e, 2) + 1; i < t.steps.size(); ++i) {
      if (t.steps[i].op == uint16_t(Op::kHostRead)) {
        t.steps[i].a ^= 0xFF;
        break;
      }
    }
    t.end.output[0] ^= 0xFF;
    expect_forgery_rejected("output bytes through the table changed", p, t, e.input);
  }
  {
    // The input bytes read through the table changed (and what later reads and writes them).
    wasm::Trace t = e.trace;
    for (size_t i = host_call(e, 1) + 1; i < t.steps.size(); ++i) {
      if (t.steps[i].op == uint16_t(Op::kHostWrite)) {
        t.steps[i].a ^= 0x0101;
        break;
      }
    }
    expect_forgery_rejected("input bytes through the table changed", p, t, e.input);
  }
  {
    // The defined function's call through the table claimed as a call of input_size.
    wasm::Trace t = e.trace;
    for (auto& s : t.steps) {
      if (s.op == uint16_t(Op::kCallIndirect) && s.aux == p.module().num_imported_funcs) {
        s.aux = 0;
        break;
      }
    }
    expect_forgery_rejected("a defined function claimed as input_size", p, t, e.input);
  }
}

// Witness edits below the trace: one column of the honest witness changed, proved without the
// prover's checks; the verifier must reject each.
TEST(ZkHostCallIndirect, ForgedWitnessesAreRejected) {
  const std::vector<uint8_t> bytes = {1, 2, 3, 4, 5};
  const auto e = test_support::run_extension(wat(ext()), data(bytes));
  ASSERT_EQ(e.result.trap, wasm::TrapCode::kNone);
  const Program& p = *e.program;
  auto pk = p.proving_key(fri_test_preset());
  ASSERT_TRUE(pk.is_ok());
  PublicValues pv;
  auto honest = test_support::extension_witness(p, e.trace, e.input, pv);
  ASSERT_TRUE(honest.is_ok()) << honest.status().to_string();
  ASSERT_TRUE(test_support::prove_and_verify(p, **pk, *honest, pv, false).is_ok());
  // Rows of the expanded trace: one per record plus zero-local rows; find them by columns.
  const auto& ex = honest->main[L::kExec];
  const size_t rows = ex.size() / E::kWidth;
  auto col = [&](uint32_t c, size_t r) { return ex[size_t(c) * rows + r]; };
  const uint32_t ci = E::kFlags + uint32_t(L::flag_index(Op::kCallIndirect));
  const uint32_t ch = E::kFlags + uint32_t(L::flag_index(Op::kCallHost));
  std::vector<size_t> host_rows, defined_rows;
  for (size_t r = 0; r < rows; ++r) {
    if (col(ci, r) != Fp::one()) continue;
    (col(E::kHostCi, r) == Fp::one() ? host_rows : defined_rows).push_back(r);
  }
  ASSERT_EQ(host_rows.size(), 3u);
  ASSERT_EQ(defined_rows.size(), 1u);
  for (size_t r : host_rows) {
    ASSERT_EQ(col(ch, r + 1), Fp::one());
    ASSERT_GE(col(E::kPc, r + 1).to_canonical(), L::kHostPcBase);
  }
  auto forged = [&](const char* what, auto edit) {
    SCOPED_TRACE(what);
    MachineWitness w = *honest;
    auto& m = w.main[L::kExec];
    edit([&](uint32_t c, size_t r) -> Fp& { return m[size_t(c) * rows + r]; });
    const Status st = test_support::prove_and_verify(p, **pk, w, pv, false);
    EXPECT_FALSE(st.is_ok()) << "forged witness verified";
    std::printf("  forged %-52s -> %s\n", what, st.message().c_str());
  };
  const size_t h = host_rows[0], d = defined_rows[0];
  forged("host bit cleared (a frame-pushing call of the import)",
         [&](auto at) { at(E::kHostCi, h) = Fp::zero(); });
  forged("host bit set on the defined function's call",
         [&](auto at) { at(E::kHostCi, d) = Fp::one(); });
  forged("host tail returning to pc + 2", [&](auto at) {
    at(E::kNpc, h + 1) += Fp::one();
    for (size_t r = h + 2; r < rows && col(E::kIo, r) == Fp::one(); ++r) {
      at(E::kPc, r) += Fp::one();
      at(E::kNpc, r) += Fp::one();
    }
  });
  forged("host tail counted as an instruction", [&](auto at) {
    for (size_t r = h + 1; r < rows; ++r) at(E::kInst, r) += Fp::one();
  });
  forged("host tail at another import's host pc",
         [&](auto at) { at(E::kCEntry, h) += Fp::one(); at(E::kNpc, h) += Fp::one();
                        at(E::kPc, h + 1) += Fp::one(); });
}

}  // namespace
}  // namespace efaas::zkwasm
