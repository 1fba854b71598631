// zkWASM host I/O completeness (docs/zkwasm.md, "Host I/O", "Traps"): an input_read past the
// end of its input copies fewer than len bytes (the runtime's rule, prover/wasm/extension.cpp)
// and proves, in a run that goes on and in a split run; host errors (an unknown input kind on
// input_size / input_read, output_write beyond the output limit: trap code 12) prove.
// Forgeries made with the prover's checks off that the verifier must reject: a short read
// claimed with a count one more or one less than the runtime's, nothing copied claimed for a
// read that copies, the short-read bits flipped below the trace, input kinds 0..4 and writes
// within the output limit claimed as an error, another trap code, and honest proofs checked
// against tampered public values.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "prover/fri/fri_params.hpp"
#include "prover/wasm/extension.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/zkwasm/layout.hpp"
#include "prover/zkwasm/test_support.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::zkwasm {
namespace {

namespace L = layout;
using wasm::Op;
using test_support::claim_trap_at;
using test_support::expect_forgery_rejected;
using test_support::extension_opts;
using test_support::wat;
using test_support::expect_extension_proves;

constexpr uint32_t kHostError = uint32_t(wasm::TrapCode::kHostError);
static_assert(kHostError == L::kTrapHostError);
static_assert(L::kInputKinds == wasm::kInputKinds);

wasm::ExtensionInput input_of(size_t data_len) {
  wasm::ExtensionInput in;
  for (size_t i = 0; i < data_len; ++i) in.data.push_back(uint8_t(3 * i + 1));
  for (size_t i = 0; i < in.to.size(); ++i) in.to[i] = uint8_t(0xA0 + i);
  return in;
}

// An Extension that loops `spins` times, reads input `kind` at `offset` (len bytes to address
// 64), writes what it read and the count (4 bytes) as output, then reads Data's first 3 bytes
// in full and writes them too, and returns the count: the short read in the middle of a run
// that goes on.
std::string reader_ext(uint32_t kind, uint32_t offset, uint32_t len, uint32_t spins = 0) {
  return R"((module
  (import "efaas" "input_read" (func $ird (param i32 i32 i32 i32) (result i32)))
  (import "efaas" "output_write" (func $out (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "efaas_main") (result i32) (local $n i32) (local $i i32)
    )" + test_support::spin_wat(spins) + R"(
    (local.set $n (call $ird (i32.const )" +
         std::to_string(kind) + ") (i32.const " + std::to_string(int32_t(offset)) +
         R"() (i32.const 64) (i32.const )" + std::to_string(len) + R"()))
    (call $out (i32.const 64) (local.get $n))
    (i32.store (i32.const 0) (local.get $n))
    (call $out (i32.const 0) (i32.const 4))
    (drop (call $ird (i32.const 0) (i32.const 0) (i32.const 8) (i32.const 3)))
    (call $out (i32.const 8) (i32.const 3))
    (local.get $n)))
)";
}

// The runtime's count (extension.cpp): min(len, size - offset), 0 from offset >= size.
uint32_t runtime_count(uint64_t size, uint32_t offset, uint32_t len) {
  return offset >= size ? 0 : uint32_t(std::min<uint64_t>(len, size - offset));
}

TEST(ZkIoTraps, ShortInputReadsProveInARunThatGoesOn) {
  struct Case {
    uint32_t data_len, kind, offset, len;
  };
  // Short copies (1, 2 and 5 I/O rows), nothing copied (offset at, beyond and far beyond the
  // size, from 2^28 and from 2^31), full copies (the controls, len 0 included).
  const Case cases[] = {{10, 0, 4, 16},  {20, 1, 18, 8},         {40, 0, 3, 100},
                        {10, 0, 10, 5},  {10, 0, 100, 5},        {10, 0, (1u << 28) - 1, 7},
                        {10, 0, 1u << 28, 7}, {10, 0, 0x80000000u, 5}, {10, 0, 0xFFFFFFFFu, 9},
                        {0, 0, 0, 4},    {10, 0, 0, 10},         {10, 0, 3, 0},
                        {32, 3, 30, 2},  {32, 3, 30, 3}};
  for (const Case& c : cases) {
    SCOPED_TRACE("data " + std::to_string(c.data_len) + ", kind " + std::to_string(c.kind) +
                 ", offset " + std::to_string(c.offset) + ", len " + std::to_string(c.len));
    const wasm::ExtensionInput in = input_of(c.data_len);
    const auto e = test_support::run_extension(wat(reader_ext(c.kind, c.offset, c.len)), in);
    ASSERT_EQ(e.result.trap, wasm::TrapCode::kNone);
    const uint64_t size = c.kind == 0 ? c.data_len : c.kind == 3 ? 32 : 20;
    const uint32_t n = runtime_count(size, c.offset, c.len);
    ASSERT_EQ(e.result.exit_code, int32_t(n));
    ASSERT_EQ(e.result.output.size(), n + 4 + 3);
    const Bundle b = expect_extension_proves(e);
    if (b.segments.empty()) continue;
    Bundle t = b;  // another count as the result
    t.publics.results = {uint64_t(n + 1)};
    EXPECT_FALSE(verify(*e.program, t).is_ok()) << "verified with another count";
    Bundle o = b;  // another output (one byte more copied)
    o.publics.output.insert(o.publics.output.begin() + n, uint8_t(0));
    EXPECT_FALSE(verify(*e.program, o).is_ok()) << "verified with another output";
  }
}

TEST(ZkIoTraps, ShortInputReadProvesInASplitRun) {
  const wasm::ExtensionInput in = input_of(10);
  for (uint32_t offset : {4u, 0x80000000u}) {
    SCOPED_TRACE(offset);
    const auto e = test_support::run_extension(wat(reader_ext(0, offset, 16, 200)), in);
    ASSERT_EQ(e.result.trap, wasm::TrapCode::kNone);
    ASSERT_GT(e.trace.steps.size(), 1000u);
    const Bundle b = expect_extension_proves(e, 8);
    EXPECT_GT(b.segments.size(), 2u);
  }
}

// Reads len bytes of Data at `offset` to address 64 and returns the count: the forgeries change
// the count and the I/O rows, and the returned value follows from memory.
std::string read_and_return_ext(uint32_t offset, uint32_t len) {
  return R"((module
  (import "efaas" "input_read" (func $ird (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "efaas_main") (result i32)
    (call $ird (i32.const 0) (i32.const )" +
         std::to_string(int32_t(offset)) + R"() (i32.const 64) (i32.const )" +
         std::to_string(len) + R"())))
)";
}

// The trace with input_read's count replaced by `count` (the step's result, the I/O records
// of `count` bytes from the input, the gas and the result).
wasm::Trace with_count(const wasm::Trace& t, const wasm::ExtensionInput& in, uint32_t offset,
                       uint32_t count) {
  wasm::Trace u = t;
  size_t at = SIZE_MAX;
  for (size_t i = 0; i < u.steps.size(); ++i)
    if (u.steps[i].op == uint16_t(Op::kCallHost)) at = i;
  EXPECT_NE(at, SIZE_MAX);
  std::vector<wasm::StepRecord> steps(u.steps.begin(), u.steps.begin() + at + 1);
  size_t rest = at + 1;
  while (rest < u.steps.size() && u.steps[rest].op == uint16_t(Op::kHostWrite)) ++rest;
  const uint64_t old_rows = rest - at - 1;
  steps[at].r = count;
  uint64_t rows = 0;
  for (uint32_t done = 0; done < count; done += 8, ++rows) {
    wasm::StepRecord io = u.steps[at + 1 < rest ? at + 1 : at];
    io.op = uint16_t(Op::kHostWrite);
    const uint32_t cnt = std::min<uint32_t>(8, count - done);
    io.b = cnt;
    io.aux = 64 + done;
    io.a = 0;
    for (uint32_t j = 0; j < cnt; ++j) {
      const size_t idx = size_t(offset) + done + j;
      const uint8_t byte = idx < in.data.size() ? in.data[idx] : 0;
      io.a |= uint64_t(byte) << (8 * j);
    }
    steps.push_back(io);
  }
  steps.insert(steps.end(), u.steps.begin() + rest, u.steps.end());
  u.steps = std::move(steps);
  u.end.gas_used = u.end.gas_used - old_rows + rows;
  u.end.results = {count};
  return u;
}

TEST(ZkIoTraps, ShortReadWithAWrongCountIsRejected) {
  const wasm::ExtensionInput in = input_of(10);
  struct Case {
    uint32_t offset, len, forged;
    const char* what;
  };
  // The honest counts: 6 (short), 0 (offset at the size), 3 (full).
  const Case cases[] = {
      {4, 16, 5, "short read of 6 claimed as 5"},
      {4, 16, 7, "short read of 6 claimed as 7"},
      {4, 16, 0, "short read of 6 claimed as nothing"},
      {4, 16, 16, "short read of 6 claimed as the full 16"},
      {10, 5, 1, "nothing copied (offset = size) claimed as 1"},
      {9, 5, 0, "short read of 1 claimed as nothing"},
      {2, 3, 2, "full read of 3 claimed as a short 2"},
      {2, 3, 0, "full read of 3 claimed as nothing"},
      {4, 3, 6, "full read of 3 claimed as a short 6 (more than len)"},
  };
  for (const Case& c : cases) {
    const auto e = test_support::run_extension(wat(read_and_return_ext(c.offset, c.len)), in);
    ASSERT_EQ(e.result.trap, wasm::TrapCode::kNone);
    ASSERT_NE(uint32_t(e.result.exit_code), c.forged);
    const wasm::Trace u = with_count(e.trace, in, c.offset, c.forged);
    expect_forgery_rejected(c.what, *e.program, u, in);
  }
  // The control: the same rewriting with the honest count proves.
  const auto e = test_support::run_extension(wat(read_and_return_ext(4, 16)), in);
  const wasm::Trace same = with_count(e.trace, in, 4, 6);
  auto b = prove(*e.program, same, extension_opts(in));
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  EXPECT_TRUE(verify(*e.program, *b).is_ok());
}

// Below the trace: the honest witness of a read with one of the three short-read bits flipped
// (layout.hpp, kRdShort / kRdNone / kRdFar), every other column as it was, so that only the
// constraints of the flipped mechanism can object.
TEST(ZkIoTraps, ShortReadBitsAreBound) {
  using E = L::Exec;
  const wasm::ExtensionInput in = input_of(10);
  struct Case {
    uint32_t offset, len;
    uint32_t from, to;  // the bit column set honestly (0: none) and the one claimed (0: none)
    const char* what;
  };
  const Case cases[] = {
      {100, 5, E::kRdNone, E::kRdFar, "nothing copied (offset 100) claimed as from 2^28"},
      {100, 5, E::kRdNone, 0, "nothing copied (offset 100) claimed as a full copy"},
      {2, 3, 0, E::kRdShort, "full copy of 3 claimed as a short copy"},
      {2, 3, 0, E::kRdNone, "full copy of 3 claimed as nothing copied"},
      {4, 16, E::kRdShort, 0, "short copy of 6 claimed as a full copy"},
      {4, 16, E::kRdShort, E::kRdNone, "short copy of 6 claimed as nothing copied"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const auto e = test_support::run_extension(wat(read_and_return_ext(c.offset, c.len)), in);
    ASSERT_EQ(e.result.trap, wasm::TrapCode::kNone);
    WitnessOptions wo;
    wo.public_input = wasm::encode_public_inputs(in);
    PublicValues pv;
    auto w = build_witness(*e.program, e.trace, wo, pv);
    ASSERT_TRUE(w.is_ok()) << w.status().to_string();
    auto pk = e.program->proving_key(fri_test_preset());
    ASSERT_TRUE(pk.is_ok());
    std::vector<Fp>& ex = w->main[L::kExec];
    const size_t rows = ex.size() / E::kWidth;
    const uint32_t hrd = E::kHrd;
    size_t row = SIZE_MAX;
    for (size_t r = 0; r < rows; ++r)
      if (ex[size_t(hrd) * rows + r] == Fp::one()) row = r;
    ASSERT_NE(row, SIZE_MAX);
    for (uint32_t col : {E::kRdShort, E::kRdNone, E::kRdFar}) {
      EXPECT_EQ(ex[size_t(col) * rows + row], col == c.from ? Fp::one() : Fp::zero()) << col;
    }
    ASSERT_TRUE(test_support::prove_and_verify(*e.program, **pk, *w, pv, true).is_ok());
    MachineWitness forged = *w;
    std::vector<Fp>& fx = forged.main[L::kExec];
    if (c.from != 0) fx[size_t(c.from) * rows + row] = Fp::zero();
    if (c.to != 0) fx[size_t(c.to) * rows + row] = Fp::one();
    const Status st = test_support::prove_and_verify(*e.program, **pk, forged, pv, false);
    EXPECT_FALSE(st.is_ok()) << "forged proof verified";
    std::printf("  forged %-52s -> %s\n", c.what, st.message().c_str());
  }
}

// input_size(kind) or input_read(kind, 0, 0, 4) after 12 bytes of output.
std::string kind_ext(bool read, uint32_t kind) {
  const std::string k = std::to_string(int32_t(kind));
  return R"((module
  (import "efaas" "input_size" (func $isz (param i32) (result i32)))
  (import "efaas" "input_read" (func $ird (param i32 i32 i32 i32) (result i32)))
  (import "efaas" "output_write" (func $out (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "before error")
  (func (export "efaas_main") (result i32)
    (call $out (i32.const 16) (i32.const 12))
    )" + (read ? "(call $ird (i32.const " + k + ") (i32.const 0) (i32.const 0) (i32.const 4))"
               : "(call $isz (i32.const " + k + "))") +
         R"()
)
)";
}

TEST(ZkIoTraps, UnknownInputKindHostErrorProves) {
  const wasm::ExtensionInput in = input_of(5);
  for (bool read : {false, true}) {
    for (uint32_t kind : {5u, 65536u, 0x80000005u, 0xFFFFFFFFu}) {
      SCOPED_TRACE(std::string(read ? "input_read" : "input_size") + " kind " +
                   std::to_string(kind));
      const auto e = test_support::run_extension(wat(kind_ext(read, kind)), in);
      ASSERT_EQ(e.result.trap, wasm::TrapCode::kHostError);
      ASSERT_EQ(e.trace.end.trap_code, kHostError);
      const Bundle b = expect_extension_proves(e);
      if (b.segments.empty()) continue;
      EXPECT_EQ(b.publics.trap_code, kHostError);
      for (uint32_t other : {1u, 8u, 11u}) {
        Bundle t = b;
        t.publics.trap_code = other;
        EXPECT_FALSE(verify(*e.program, t).is_ok()) << "verified with trap code " << other;
      }
      Bundle ret = b;
      ret.publics.status = 0, ret.publics.trap_code = 0, ret.publics.results = {0};
      EXPECT_FALSE(verify(*e.program, ret).is_ok()) << "a host error verified as a return";
      Bundle g = b;
      g.publics.gas_used += 1;
      EXPECT_FALSE(verify(*e.program, g).is_ok()) << "verified with other gas";
      Bundle o = b;
      o.publics.output.pop_back();
      EXPECT_FALSE(verify(*e.program, o).is_ok()) << "verified with other output";
    }
  }
}

TEST(ZkIoTraps, UnknownInputKindProvesAsTheLastSegmentOfASplitRun) {
  const auto bytes = wat(reader_ext(7, 0, 4, 200));
  const wasm::ExtensionInput in = input_of(5);
  const auto e = test_support::run_extension(bytes, in);
  ASSERT_EQ(e.result.trap, wasm::TrapCode::kHostError);
  const Bundle b = expect_extension_proves(e, 8);
  EXPECT_GT(b.segments.size(), 2u);
}

size_t last_host_call(const wasm::Trace& t) {
  size_t at = SIZE_MAX;
  for (size_t i = 0; i < t.steps.size(); ++i)
    if (t.steps[i].op == uint16_t(Op::kCallHost)) at = i;
  EXPECT_NE(at, SIZE_MAX);
  return at;
}

TEST(ZkIoTraps, KnownInputKindClaimedAsAHostErrorIsRejected) {
  const wasm::ExtensionInput in = input_of(5);
  for (bool read : {false, true}) {
    for (uint32_t kind : {4u, 0u, 3u}) {
      const auto e = test_support::run_extension(wat(kind_ext(read, kind)), in);
      ASSERT_EQ(e.result.trap, wasm::TrapCode::kNone);
      const wasm::Trace u = claim_trap_at(*e.program, e.trace, last_host_call(e.trace), kHostError);
      expect_forgery_rejected(std::string(read ? "input_read" : "input_size") + " of kind " +
                                  std::to_string(kind) + " claimed as a host error",
                              *e.program, u, in);
    }
  }
  // An output_write claimed as an input host error (the program row names another function).
  const auto e = test_support::run_extension(wat(kind_ext(false, 9)), in);
  size_t first_call = SIZE_MAX;
  for (size_t i = 0; i < e.trace.steps.size() && first_call == SIZE_MAX; ++i)
    if (e.trace.steps[i].op == uint16_t(Op::kCallHost)) first_call = i;
  expect_forgery_rejected("output_write claimed as a host error", *e.program,
                          claim_trap_at(*e.program, e.trace, first_call, kHostError), in);
}

// 12 bytes of output, then output_write(16, len): with len > 2^20 - 12 a host error (the
// runtime's default ExtensionConfig::max_output_bytes = 2^20), before anything is read.
std::string output_ext(uint32_t len) {
  return R"((module
  (import "efaas" "output_write" (func $out (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "before error")
  (func (export "efaas_main") (result i32)
    (call $out (i32.const 16) (i32.const 12))
    (call $out (i32.const 16) (i32.const )" +
         std::to_string(int32_t(len)) + R"())
    (i32.const 0)))
)";
}

TEST(ZkIoTraps, OutputBeyondTheLimitHostErrorProves) {
  const wasm::ExtensionInput in = input_of(5);
  // Near (len_hi <= 16: out + len - 2^20 - 1 as d0 + 2^6 d2) at and beyond the boundary, far
  // (len_hi >= 17).
  for (uint32_t len : {(1u << 20) - 11, (1u << 20) + 1, 17u << 16, 0xFFFFFFFFu}) {
    SCOPED_TRACE(len);
    const auto e = test_support::run_extension(wat(output_ext(len)), in);
    ASSERT_EQ(e.result.trap, wasm::TrapCode::kHostError);
    const Bundle b = expect_extension_proves(e);
    if (b.segments.empty()) continue;
    EXPECT_EQ(b.publics.trap_code, kHostError);
    EXPECT_EQ(b.publics.output.size(), 12u);
    Bundle t = b;
    t.publics.trap_code = 2;  // the out-of-bounds read that the runtime never reached
    EXPECT_FALSE(verify(*e.program, t).is_ok()) << "verified with trap code 2";
    Bundle o = b;  // a shorter output so far makes the sum smaller
    o.publics.output.resize(11);
    EXPECT_FALSE(verify(*e.program, o).is_ok()) << "verified with other output";
  }
}

TEST(ZkIoTraps, OutputWithinTheLimitClaimedAsAHostErrorIsRejected) {
  const wasm::ExtensionInput in = input_of(5);
  // out + len = 2^20 exactly: the runtime's limit check passes and the read of 2^20 - 12 bytes
  // from a one-page memory traps out of bounds (code 2, not provable); a 5-byte write goes on.
  for (uint32_t len : {(1u << 20) - 12, 5u}) {
    const auto e = test_support::run_extension(wat(output_ext(len)), in);
    ASSERT_NE(e.result.trap, wasm::TrapCode::kHostError);
    const size_t at = last_host_call(e.trace);
    expect_forgery_rejected("output_write of " + std::to_string(len) +
                                " bytes after 12 claimed as a host error",
                            *e.program, claim_trap_at(*e.program, e.trace, at, kHostError), in);
  }
  // Recorded under a smaller limit (100 bytes): not a run under the limit a proof fixes, so
  // the prover refuses it as a bad trace (INVALID_ARGUMENT), naming the limit.
  const auto bytes = wat(output_ext(200));
  auto p = Program::load(bytes);
  ASSERT_TRUE(p.is_ok());
  wasm::MemorySink sink;
  wasm::TraceWriter tw(sink, 1024);
  wasm::ExtensionConfig cfg;
  cfg.trace = &tw;
  cfg.max_output_bytes = 100;
  auto r = wasm::run_extension((*p)->module_ptr(), in, cfg);
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(r->trap, wasm::TrapCode::kHostError);
  auto t = wasm::read_trace(sink.data);
  ASSERT_TRUE(t.is_ok());
  auto refused = prove(**p, *t, extension_opts(in));
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("max_output_bytes"), std::string::npos)
      << refused.status().message();
  expect_forgery_rejected("output limit 100 instead of 2^20", **p, *t, in);
}

TEST(ZkIoTraps, WrongTrapCodeAtAHostErrorIsRejected) {
  const wasm::ExtensionInput in = input_of(5);
  const auto e = test_support::run_extension(wat(kind_ext(true, 5)), in);
  ASSERT_EQ(e.result.trap, wasm::TrapCode::kHostError);
  for (uint32_t code : {1u, 8u, 11u}) {
    wasm::Trace u = e.trace;
    u.end.trap_code = code;
    expect_forgery_rejected("host error with trap code " + std::to_string(code), *e.program, u, in);
  }
}

}  // namespace
}  // namespace efaas::zkwasm
