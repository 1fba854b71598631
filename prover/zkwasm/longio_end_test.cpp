// A run that ends right after a call whose rows were cut (docs/zkwasm.md "Cuts inside a call's
// rows"): a segment ending inside a call's I/O or zero-local rows is full, so the call's last
// piece may leave no room for the rows after the run's end (the padding row, and the trap row
// of an out-of-gas exit). SegmentPlanner::place_last then moves the cuts (the pieces start
// after fewer rows of the call's first segment). Swept over transfer lengths and prefixes
// around segment multiples at segment_log 5 (plans only), and proved where the pieces had to
// move: an out-of-gas trap right after an output_write, an input_read and a call's zero-local
// rows (also as the run's first instruction, where the first piece ends a smaller table), a
// trap and a normal return right after a transfer.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "prover/fri/fri_params.hpp"
#include "prover/wasm/extension.hpp"
#include "prover/wasm/trace_source.hpp"
#include "prover/zkwasm/layout.hpp"
#include "prover/zkwasm/segments_internal.hpp"
#include "prover/zkwasm/test_support.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::zkwasm {
namespace {

using test_support::wat;
namespace L = layout;
using wasm::Op;

constexpr uint32_t kLog = 5;  // 32 rows
constexpr size_t kCap = size_t(1) << kLog;

enum class End { kReturn, kOutOfGas, kTrap };
const char* name(End e) {
  return e == End::kReturn ? "return" : e == End::kOutOfGas ? "out of gas" : "unreachable";
}

// `pre` pairs of instructions (i32.const 1, drop: wasm's nop is no record), then one transfer
// of all of Data (input_read of kind 0 into memory, or output_write of as many bytes from it),
// then the run's end: a return, or `unreachable`.
std::string transfer_module(bool read, size_t pre, bool trap) {
  std::string body;
  for (size_t i = 0; i < pre; ++i) body += "    (drop (i32.const 1))\n";
  body += read ? "    (drop (call $read (i32.const 0) (i32.const 0) (i32.const 64) "
                 "(call $size (i32.const 0))))\n"
               : "    (call $write (i32.const 64) (call $size (i32.const 0)))\n";
  body += trap ? "    unreachable\n" : "    (i32.const 0)\n";
  return R"((module
  (import "efaas" "input_size" (func $size (param i32) (result i32)))
  (import "efaas" "input_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "efaas" "output_write" (func $write (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "efaas_main") (result i32)
)" + body + "))\n";
}

using TransferRun = test_support::ExtensionRun;

using test_support::is_io_row;

// The transfer module's run over `len` bytes of Data, ending as `end`; out of gas: under the
// largest limit that stops it at the instruction right after the transfer (its last record an
// I/O row).
TransferRun transfer_run(const std::shared_ptr<Program>& p, uint32_t len, End end) {
  wasm::ExtensionInput in;
  in.data.assign(len, 0x5A);
  TransferRun full = test_support::run_extension(p, in, uint64_t(1) << 20);
  if (end != End::kOutOfGas) return full;
  for (uint64_t limit = full.result.gas_used; limit-- > 0;) {
    TransferRun e = test_support::run_extension(p, in, limit);
    if (e.result.trap == wasm::TrapCode::kOutOfGas && is_io_row(e.trace.steps.back())) return e;
  }
  ADD_FAILURE() << "no gas limit stops the run right after the transfer";
  return full;
}

std::shared_ptr<const wasm::Module> load(const std::vector<uint8_t>& bytes) {
  auto m = wasm::load_module(bytes);
  EXPECT_TRUE(m.is_ok()) << m.status().to_string();
  return *m;
}

// $f declares `locals` i64 locals; main runs `pre` pairs of instructions and calls it. Out of gas: the largest
// limit that stops the run at $f's first instruction (its last record the call).
std::string zero_local_module(size_t pre, size_t locals) {
  std::string decl, body;
  for (size_t i = 0; i < locals; ++i) decl += " i64";
  for (size_t i = 0; i < pre; ++i) body += " (drop (i32.const 1))";
  return "(module (func $f (local" + decl + ") (local.set 0 (i64.const 3)))" +
         " (func (export \"main\") (result i32)" + body + " (call $f) (i32.const 9)))";
}
wasm::Trace zero_local_run(const std::vector<uint8_t>& bytes, bool out_of_gas) {
  const uint32_t main_fn = load(bytes)->find_export("main")->index;
  wasm::Trace full = test_support::run_traced(bytes, main_fn, {});
  if (!out_of_gas) return full;
  for (uint64_t limit = full.end.gas_used; limit-- > 0;) {
    wasm::Trace t = test_support::run_traced(bytes, main_fn, {}, {}, limit);
    if (t.end.trap_code == uint32_t(wasm::TrapCode::kOutOfGas) &&
        t.steps.back().op == uint16_t(Op::kCall)) {
      return t;
    }
  }
  ADD_FAILURE() << "no gas limit stops the run at the callee's first instruction";
  return full;
}

// The run's plan: every segment at most a segment's rows, the last with its trailing rows
// (prove_segments' witnesses are laid out from it; run_rows counts the same rows).
Status plan_of(const wasm::Module& m, const wasm::Trace& t) {
  SegmentPlanner planner(m, kLog);
  for (const auto& st : t.steps) EFAAS_RETURN_IF_ERROR(planner.add(st));
  auto plan = planner.finish(t.end);
  if (!plan) return plan.status();
  if (plan->rows != run_rows(m, t)) return internal_error("planned rows differ from run_rows");
  return Status::ok();
}

// Proves and verifies at kLog (and, `streamed`, through the streamed path: the same bundle);
// returns the segment count, and whether a segment ends inside the call's rows.
std::pair<size_t, bool> expect_proves(const Program& p, const wasm::Trace& t,
                                      const ProveOptions& o, const std::string& what,
                                      bool streamed) {
  auto b = prove(p, t, o);
  EXPECT_TRUE(b.is_ok()) << what << ": " << b.status().to_string();
  if (!b.is_ok()) return {0, false};
  auto back = deserialize_bundle(serialize_bundle(*b));
  EXPECT_TRUE(back.is_ok()) << what;
  if (!back.is_ok()) return {0, false};
  auto v = verify(p, *back);
  EXPECT_TRUE(v.is_ok()) << what << ": " << v.status().to_string();
  if (v.is_ok()) {
    EXPECT_EQ(v->gas_used, t.end.gas_used) << what;
    EXPECT_EQ(v->trap_code, t.end.trap_code) << what;
  }
  if (streamed) {
    const std::vector<uint8_t> bytes = test_support::encode_trace(t, 7);
    auto src = wasm::TraceSource::over_bytes(bytes);
    EXPECT_TRUE(src.is_ok());
    auto sb = prove(p, **src, o);
    EXPECT_TRUE(sb.is_ok()) << what << ": " << sb.status().to_string();
    if (sb.is_ok()) {
      EXPECT_EQ(serialize_bundle(*sb), serialize_bundle(*b)) << what;
    }
  }
  bool inside = false;
  for (size_t s = 0; s + 1 < b->segments.size(); ++s) {
    inside |= b->segments[s].exit.io.active || b->segments[s].exit.zl.active;
    // The counts the verifier now lets stay equal across such a cut are still the AIR's.
    for (const int64_t d : {-1, 1}) {
      Bundle x = *b;
      x.segments[s].exit.instructions = uint64_t(int64_t(x.segments[s].exit.instructions) + d);
      EXPECT_FALSE(verify(p, x).is_ok()) << what << ": segment " << s << "'s exit count " << d;
    }
  }
  std::printf("  %-48s %zu segments%s\n", what.c_str(), b->segments.size(),
              inside ? ", cut inside the call's rows" : "");
  return {b->segments.size(), inside};
}

// Plans only: every transfer from just under one segment to just over three, after 0 to 3
// pairs of instructions, each end; calls with zero-local rows around one and two segments.
// (Before place_last, 53 of these were refused: every out-of-gas exit whose call, whole or its
// last piece, took 31 or 32 rows of its segment.)
TEST(ZkWasmLongIoEnd, EveryTransferLengthAndPrefixPlans) {
  size_t plans = 0;
  for (const bool read : {false, true}) {
    for (const End end : {End::kReturn, End::kOutOfGas, End::kTrap}) {
      for (size_t pre = 0; pre <= 3; ++pre) {
        const auto p = test_support::load_program(wat(transfer_module(read, pre, end == End::kTrap)));
        ASSERT_NE(p, nullptr);
        for (uint32_t rows = kCap - 3; rows <= 3 * kCap + 3; ++rows) {
          const TransferRun e = transfer_run(p, 8 * rows, end);
          const Status st = plan_of(p->module(), e.trace);
          EXPECT_TRUE(st.is_ok()) << (read ? "input_read" : "output_write") << " of " << rows
                                  << " rows after " << pre << " instruction pairs, " << name(end) << ": "
                                  << st.to_string();
          ++plans;
        }
      }
    }
  }
  // A call as the entry function's first instruction has no earlier instruction to cut at:
  // where its pieces leave no room for the out-of-gas trap and padding rows, its first piece
  // ends a smaller table (refused as UNIMPLEMENTED before, 4 of these).
  for (const bool gas : {false, true}) {
    for (size_t pre = 0; pre <= 2; ++pre) {
      for (size_t locals : {kCap - 4, kCap - 3, kCap - 2, kCap - 1, kCap, kCap + 1, 2 * kCap - 3,
                            2 * kCap - 2, 2 * kCap - 1, 2 * kCap, 2 * kCap + 1}) {
        const auto bytes = wat(zero_local_module(pre, locals));
        const wasm::Trace t = zero_local_run(bytes, gas);
        const Status st = plan_of(*load(bytes), t);
        EXPECT_TRUE(st.is_ok()) << locals << " locals after " << pre << " instruction pairs"
                                << (gas ? ", out of gas: " : ": ") << st.to_string();
        ++plans;
      }
    }
  }
  std::printf("  %zu runs planned in segments of %zu rows\n", plans, kCap);
  EXPECT_EQ(plans, 1770u);  // none refused
}

// Proved: out-of-gas exits right after a transfer that, as cut before place_last, left no room
// for the trap and padding rows (refused then): the call whole in a segment (30, 31 I/O rows)
// and its last piece (output_write 59, 60 rows; input_read 57, 58, after its longer prefix);
// the last of each streamed too.
TEST(ZkWasmLongIoEnd, OutOfGasRightAfterALongTransferProves) {
  for (const bool read : {false, true}) {
    const auto bytes = wat(transfer_module(read, 0, false));
    auto p = Program::load(bytes);
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    const std::vector<uint32_t> lengths =
        read ? std::vector<uint32_t>{30, 57, 58} : std::vector<uint32_t>{30, 31, 59, 60};
    for (const uint32_t rows : lengths) {
      const TransferRun e = transfer_run(*p, 8 * rows, End::kOutOfGas);
      ASSERT_EQ(e.result.trap, wasm::TrapCode::kOutOfGas);
      const auto [n, inside] = expect_proves(
          **p, e.trace, test_support::extension_opts(e.input, true, kLog),
          std::string(read ? "input_read" : "output_write") + " of " + std::to_string(rows) +
              " rows, then out of gas",
          rows == lengths.back());
      EXPECT_GE(n, 2u);
      EXPECT_TRUE(inside);
    }
  }
}

// A trap or a return right after a transfer whose last piece fills its segment exactly (60 I/O
// rows) or but for one row (59): the next instruction starts a segment, or shares the piece's.
TEST(ZkWasmLongIoEnd, TrapOrReturnRightAfterATransferFillingASegmentProves) {
  for (const End end : {End::kReturn, End::kTrap}) {
    const auto bytes = wat(transfer_module(false, 0, end == End::kTrap));
    auto p = Program::load(bytes);
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    for (const uint32_t rows : {59u, 60u}) {
      const TransferRun e = transfer_run(*p, 8 * rows, end);
      const auto [n, inside] = expect_proves(
          **p, e.trace, test_support::extension_opts(e.input, true, kLog),
          "output_write of " + std::to_string(rows) + " rows, then " + name(end), rows == 60);
      EXPECT_GE(n, 3u);
      EXPECT_TRUE(inside);
    }
  }
}

// Out of gas at the callee's first instruction after its zero-local rows (30, 31: the call
// whole; 61: its last piece), refused before place_last.
TEST(ZkWasmLongIoEnd, OutOfGasRightAfterACallsZeroLocalRowsProves) {
  for (const size_t locals : {30u, 31u, 61u}) {
    const auto bytes = wat(zero_local_module(1, locals));
    auto p = Program::load(bytes);
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    const wasm::Trace t = zero_local_run(bytes, true);
    ASSERT_EQ(t.end.trap_code, uint32_t(wasm::TrapCode::kOutOfGas));
    const auto [n, inside] = expect_proves(**p, t, test_support::function_opts({}, true, kLog),
                                           std::to_string(locals) +
                                               " zero-local rows, then out of gas",
                                           locals == 61);
    EXPECT_GE(n, 2u);
    EXPECT_TRUE(inside);
  }
}

// Out of gas at the callee's first instruction when the call is the run's first instruction
// (no earlier cut to move; refused before): the call whole (30, 31 zero-local rows) or its last
// piece (62, 63) left no room for the trap and padding rows, so the first segment is a table of
// half a segment ending inside the zero-local rows. Its exit cursor and count are bound.
TEST(ZkWasmLongIoEnd, OutOfGasRightAfterTheRunsFirstCallProves) {
  for (const size_t locals : {kCap - 2, kCap - 1, 2 * kCap - 2, 2 * kCap - 1}) {
    const auto bytes = wat(zero_local_module(0, locals));
    auto p = Program::load(bytes);
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    const wasm::Trace t = zero_local_run(bytes, true);
    ASSERT_EQ(t.end.trap_code, uint32_t(wasm::TrapCode::kOutOfGas));
    ASSERT_EQ(t.steps.size(), 1u);  // the call, the run's only record
    const ProveOptions o = test_support::function_opts({}, true, kLog);
    const std::string what = std::to_string(locals) + " zero-local rows first, then out of gas";
    const auto [n, inside] = expect_proves(**p, t, o, what, locals == 2 * kCap - 1);
    EXPECT_GE(n, 2u);
    EXPECT_TRUE(inside);
    auto b = prove(**p, t, o);
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    EXPECT_EQ(b->segments[0].proof.log_heights[L::kExec], kLog - 1) << what;
    EXPECT_TRUE(b->segments[0].exit.zl.active) << what;
    for (const int64_t d : {-1, 1}) {
      Bundle x = *b;
      x.segments[0].exit.zl.next = uint32_t(int64_t(x.segments[0].exit.zl.next) + d);
      EXPECT_FALSE(verify(**p, x).is_ok()) << what << ": exit key " << d;
    }
  }
}

}  // namespace
}  // namespace efaas::zkwasm
