// Unit tests of the runtime: load-time rejection, gas and limits, pausing at segment
// boundaries, the Extension ABI, and execution traces (round trip, streaming, tampering).
#include <gtest/gtest.h>

#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "prover/common/rng.hpp"
#include "prover/wasm/extension.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/wasm/module.hpp"
#include "prover/wasm/static_link.hpp"
#include "prover/wasm/trace.hpp"

// testdata/multi_lib.wat, embedded at build time (efaas_embed_text).
extern const char* const multi_lib_source;

namespace efaas::wasm {
namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

// Assembles WebAssembly text with wabt's wat2wasm.
std::vector<uint8_t> wat(const std::string& text, bool check = true) {
  char tmpl[] = "/tmp/efaas-wat-XXXXXX";
  if (!mkdtemp(tmpl)) return {};
  const fs::path dir = tmpl;
  std::ofstream(dir / "m.wat") << text;
  const std::string cmd = std::string("wat2wasm ") + (check ? "" : "--no-check ") + "'" +
                          (dir / "m.wat").string() + "' -o '" + (dir / "m.wasm").string() +
                          "' 2>&1";
  const int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << "wat2wasm failed for:\n" << text;
  std::vector<uint8_t> b = read_bytes((dir / "m.wasm").string());
  std::error_code ec;
  fs::remove_all(dir, ec);
  return b;
}

std::shared_ptr<const Module> load_ok(const std::vector<uint8_t>& bytes) {
  auto m = load_module(bytes);
  EXPECT_TRUE(m.is_ok()) << m.status().to_string();
  return m ? *m : nullptr;
}

std::unique_ptr<Instance> instantiate_ok(const std::shared_ptr<const Module>& m,
                                         const RuntimeLimits& limits = {}) {
  Linker linker;
  auto inst = Instance::instantiate(m, linker, limits);
  EXPECT_TRUE(inst.is_ok()) << inst.status().to_string();
  return inst ? std::move(*inst) : nullptr;
}

std::shared_ptr<const Module> example(const std::string& name) {
  const std::vector<uint8_t> bytes = read_bytes(std::string(EFAAS_WASM_DIR) + "/" + name + ".wasm");
  EXPECT_FALSE(bytes.empty()) << name << ".wasm missing";
  return load_ok(bytes);
}

std::string sha256_hex_abc() {
  return "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
}

std::string hex(std::span<const uint8_t> b) {
  std::string s;
  char buf[3];
  for (uint8_t x : b) {
    std::snprintf(buf, sizeof buf, "%02x", x);
    s += buf;
  }
  return s;
}

// --- XXH64 (the chunk checksum) against the reference xxhsum -----------------------------

TEST(WasmXxh64, ReferenceVectors) {
  EXPECT_EQ(xxh64("", 0), 0xef46db3751d8e999ull);
  EXPECT_EQ(xxh64("a", 1), 0xd24ec4f1a98c6e5bull);
  EXPECT_EQ(xxh64("abc", 3), 0x44bc2cf5ad770999ull);
  const std::string x100(100, 'x');
  EXPECT_EQ(xxh64(x100.data(), x100.size()), 0x92f0de5a88a3c094ull);
  std::string alpha;
  for (int i = 0; i < 1000; ++i) alpha += char('a' + i % 26);
  EXPECT_EQ(xxh64(alpha.data(), alpha.size()), 0x94b86db9a16d86a9ull);
}

// --- loading -------------------------------------------------------------------------------

TEST(WasmLoad, FloatOpcodeRejectedWithNameAndOffset) {
  const std::vector<uint8_t> b =
      wat(R"((module (func (i32.const 1) (drop) (drop (f32.const 1.5)))))");
  ASSERT_FALSE(b.empty());
  size_t offset = 0;
  for (size_t i = b.size(); i-- > 0;) {
    if (b[i] == 0x43) {  // f32.const: the last 0x43 is the opcode (its immediate is 0x3FC00000)
      offset = i;
      break;
    }
  }
  auto m = load_module(b);
  ASSERT_FALSE(m.is_ok());
  EXPECT_TRUE(is_float_rejection(m.status()));
  EXPECT_NE(m.status().message().find("f32.const"), std::string::npos) << m.status().message();
  EXPECT_NE(m.status().message().find("byte offset " + std::to_string(offset)), std::string::npos)
      << m.status().message();
}

TEST(WasmLoad, FloatTypesAndOpsRejected) {
  for (const char* text :
       {"(module (func (param f64)))", "(module (global f32 (f32.const 0)))",
        "(module (func (param i32) (result i32) (i32.trunc_f32_s (f32.convert_i32_s (local.get "
        "0)))))",
        "(module (memory 1) (func (param i32) (drop (f64.load (local.get 0)))))"}) {
    auto m = load_module(wat(text));
    ASSERT_FALSE(m.is_ok()) << text;
    EXPECT_TRUE(is_float_rejection(m.status())) << text << ": " << m.status().to_string();
  }
}

TEST(WasmLoad, EveryTruncationRejectedCleanly) {
  const std::vector<uint8_t> full = read_bytes(std::string(EFAAS_WASM_DIR) + "/sha256.wasm");
  ASSERT_FALSE(full.empty());
  // A prefix that ends exactly after a section is a valid module; every other one is not.
  std::set<size_t> boundaries = {8};
  for (size_t pos = 8; pos < full.size();) {
    size_t p = pos + 1, size = 0;
    for (int shift = 0;; shift += 7) {
      size |= size_t(full[p] & 0x7F) << shift;
      if (!(full[p++] & 0x80)) break;
    }
    pos = p + size;
    boundaries.insert(pos);
  }
  for (size_t n = 0; n < full.size(); ++n) {
    auto m = load_module(std::span<const uint8_t>(full.data(), n));
    const bool is_boundary = boundaries.count(n) > 0;
    if (is_boundary && n > 8 && !m.is_ok()) {
      // A boundary before the code section leaves functions without bodies.
      EXPECT_NE(m.status().message().find("inconsistent lengths"), std::string::npos)
          << m.status().message();
      continue;
    }
    if (is_boundary) continue;
    ASSERT_FALSE(m.is_ok()) << "prefix of " << n << " bytes accepted";
    EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(m.status().message().find("byte offset"), std::string::npos) << m.status().message();
  }
  EXPECT_TRUE(load_module(full).is_ok());
}

TEST(WasmLoad, RandomCorruptionNeverCrashes) {
  const std::vector<uint8_t> full = read_bytes(std::string(EFAAS_WASM_DIR) + "/interp.wasm");
  Rng rng(test_seed("Load.RandomCorruptionNeverCrashes"));
  int rejected = 0;
  for (int iter = 0; iter < 400; ++iter) {
    std::vector<uint8_t> b = full;
    const int flips = 1 + int(rng.uniform(4));
    for (int k = 0; k < flips; ++k)
      b[8 + rng.uniform(b.size() - 8)] ^= uint8_t(1 + rng.uniform(255));
    auto m = load_module(b);
    if (!m) {
      ++rejected;
      continue;
    }
    // Accepted mutants must still run safely (bounded by gas).
    ExtensionInput in;
    in.data = {0x00, 0x05, 0x00, 0x07, 0x01};
    ExtensionConfig cfg;
    cfg.gas_limit = 2'000'000;
    auto r = run_extension(*m, in, cfg);
    (void)r;
  }
  EXPECT_GT(rejected, 0);
}

TEST(WasmLoad, ValidationErrorsNameTheProblem) {
  auto m = load_module(wat("(module (func (result i32) (i64.const 1)))", false));
  ASSERT_FALSE(m.is_ok());
  EXPECT_NE(m.status().message().find("invalid: type mismatch"), std::string::npos)
      << m.status().message();
}

// --- execution: gas, limits, traps ---------------------------------------------------------

TEST(WasmExec, GasIsTheSumOfOpcodeCosts) {
  auto m = load_ok(wat(R"((module (func (export "f") (param i32 i32) (result i32)
      (i32.div_u (i32.mul (local.get 0) (local.get 1)) (i32.const 3)))))"));
  auto inst = instantiate_ok(m);
  const uint64_t args[2] = {7, 9};
  auto r = inst->invoke_export("f", args);
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(r->trap, TrapCode::kNone);
  EXPECT_EQ(r->results[0], 21u);
  const uint64_t expect = op_info(Op::kLocalGet).gas * 2 + op_info(Op::kI32Mul).gas +
                          op_info(Op::kI32Const).gas + op_info(Op::kI32DivU).gas +
                          op_info(Op::kReturn).gas;
  EXPECT_EQ(r->gas_used, expect);
  EXPECT_EQ(r->instructions, 6u);
}

TEST(WasmExec, OutOfGasTrapsWithGasUsed) {
  auto m = load_ok(wat(R"((module (func (export "spin") (loop (br 0)))))"));
  auto inst = instantiate_ok(m);
  ExecOptions o;
  o.gas_limit = 1001;
  auto r = inst->invoke_export("spin", {}, o);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->trap, TrapCode::kOutOfGas);
  EXPECT_EQ(r->gas_used, 1001u);  // br costs 1: every unit is spent
  EXPECT_EQ(r->instructions, 1001u);
  EXPECT_NE(r->trap_message.find("gas used 1001"), std::string::npos) << r->trap_message;
}

TEST(WasmExec, CallDepthAndMemoryLimits) {
  auto m = load_ok(wat(R"((module (memory 1)
      (func $rec (export "rec") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1)))))))
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))))"));
  RuntimeLimits limits;
  limits.max_call_depth = 100;
  limits.max_memory_pages = 4;
  auto inst = instantiate_ok(m, limits);
  uint64_t arg = 50;
  auto ok = inst->invoke_export("rec", std::span<const uint64_t>(&arg, 1));
  ASSERT_TRUE(ok.is_ok());
  EXPECT_EQ(ok->trap, TrapCode::kNone);
  EXPECT_EQ(ok->results[0], 50u);
  arg = 500;
  auto deep = inst->invoke_export("rec", std::span<const uint64_t>(&arg, 1));
  ASSERT_TRUE(deep.is_ok());
  EXPECT_EQ(deep->trap, TrapCode::kCallStackExhausted);
  arg = 3;
  auto g = inst->invoke_export("grow", std::span<const uint64_t>(&arg, 1));
  EXPECT_EQ(g->results[0], 1u);
  arg = 1;
  g = inst->invoke_export("grow", std::span<const uint64_t>(&arg, 1));
  EXPECT_EQ(uint32_t(g->results[0]), 0xFFFFFFFFu) << "growing past the page limit must fail";
  EXPECT_EQ(inst->memory()->bytes.size(), 4u * 65536);
}

TEST(WasmExec, ValueStackLimit) {
  auto m = load_ok(wat(R"((module (func $r (export "r") (param i64) (result i64)
      (local i64 i64 i64 i64 i64 i64 i64 i64)
      (call $r (local.get 0)))))"));
  RuntimeLimits limits;
  limits.max_stack_slots = 4096;
  auto inst = instantiate_ok(m, limits);
  uint64_t arg = 1;
  auto r = inst->invoke_export("r", std::span<const uint64_t>(&arg, 1));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->trap, TrapCode::kCallStackExhausted);
}

TEST(WasmExec, BadInvocationIsAnError) {
  auto m = load_ok(wat(R"((module (func (export "f") (param i32))))"));
  auto inst = instantiate_ok(m);
  auto r = inst->invoke_export("f", {});
  EXPECT_FALSE(r.is_ok());
  EXPECT_FALSE(inst->invoke_export("nope", {}).is_ok());
}

// Pausing every N instructions (segment boundaries) and resuming gives the same run.
TEST(WasmExec, PauseAndResumeMatchesUninterruptedRun) {
  auto m = example("sha256");
  Rng rng(test_seed("Exec.PauseAndResume"));
  std::vector<uint8_t> input(3000);
  for (auto& b : input) b = uint8_t(rng.next_u32());
  auto run = [&](uint64_t pause_every, int& pauses) -> std::string {
    ExtensionInput in;
    in.data = input;
    std::vector<uint8_t> out;
    Linker linker;
    define_extension_host(linker, in, out, 1 << 20);
    auto inst = Instance::instantiate(m, linker);
    EXPECT_TRUE(inst.is_ok());
    ExecOptions o;
    o.pause_after = pause_every;
    auto r = (*inst)->invoke_export("efaas_main", {}, o);
    pauses = 0;
    while (r.is_ok() && r->paused) {
      ++pauses;
      MachineState s = (*inst)->machine_state();
      EXPECT_EQ(s.instructions, pause_every * uint64_t(pauses));
      EXPECT_EQ(s.stack.size(), s.sp);
      o.pause_after = pause_every * uint64_t(pauses + 1);
      r = (*inst)->resume(o);
    }
    EXPECT_TRUE(r.is_ok());
    EXPECT_EQ(r->trap, TrapCode::kNone);
    return hex(out) + "/" + std::to_string(r->instructions) + "/" + std::to_string(r->gas_used);
  };
  int p0 = 0, p1 = 0;
  const std::string whole = run(UINT64_MAX, p0);
  const std::string split = run(10007, p1);
  EXPECT_EQ(p0, 0);
  EXPECT_GT(p1, 5);
  EXPECT_EQ(whole, split);
}

// --- the Extension ABI ---------------------------------------------------------------------

TEST(WasmExtension, Sha256OfData) {
  ExtensionInput in;
  in.data = {'a', 'b', 'c'};
  auto r = run_extension(example("sha256"), in);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->status, ExtensionResult::Status::kOk);
  EXPECT_EQ(hex(r->output), sha256_hex_abc());
  EXPECT_GT(r->instructions, 1000u);
}

TEST(WasmExtension, InputKindsPrivateInputAndAbort) {
  auto m = load_ok(wat(R"((module
      (import "efaas" "input_size" (func $size (param i32) (result i32)))
      (import "efaas" "input_read" (func $read (param i32 i32 i32 i32) (result i32)))
      (import "efaas" "output_write" (func $write (param i32 i32)))
      (import "efaas" "abort" (func $abort (param i32)))
      (memory (export "memory") 1)
      (func (export "efaas_main") (result i32) (local $k i32) (local $n i32)
        ;; output: for each kind 0..4, its size byte followed by its bytes
        (loop $next
          (local.set $n (call $size (local.get $k)))
          (i32.store8 (i32.const 0) (local.get $n))
          (call $write (i32.const 0) (i32.const 1))
          (drop (call $read (local.get $k) (i32.const 0) (i32.const 16) (local.get $n)))
          (call $write (i32.const 16) (local.get $n))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $next (i32.lt_u (local.get $k) (i32.const 5))))
        ;; a private byte of 0xEE aborts with code 7
        (if (i32.eq (i32.load8_u (i32.const 16)) (i32.const 0xEE)) (then (call $abort (i32.const 7))))
        (i32.const 3))))"));
  ExtensionInput in;
  in.data = {1, 2, 3};
  in.to.fill(0x11);
  in.sender.fill(0x22);
  in.block_hash.fill(0x33);
  in.private_input = {9, 8};
  auto r = run_extension(m, in);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->status, ExtensionResult::Status::kExit);
  EXPECT_EQ(r->exit_code, 3);
  std::string want = "03010203" + std::string("14") + std::string(40, '1') + "14" +
                     std::string(40, '2') + "20" + std::string(64, '3') + "020908";
  EXPECT_EQ(hex(r->output), want);
  // The public inputs never include the private bytes.
  const std::vector<uint8_t> pub = encode_public_inputs(in);
  EXPECT_EQ(pub.size(), 4u + 3 + 20 + 20 + 32);
  in.private_input = {0xEE};
  r = run_extension(m, in);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, ExtensionResult::Status::kTrap);
  EXPECT_EQ(r->trap, TrapCode::kHostAbort);
  EXPECT_NE(r->trap_message.find("code 7"), std::string::npos) << r->trap_message;
}

TEST(WasmExtension, RejectsNonExtensions) {
  auto m = load_ok(wat("(module (func (export \"main\")))"));
  EXPECT_FALSE(run_extension(m, {}).is_ok());
  auto m2 = load_ok(wat(
      R"((module (import "env" "x" (func)) (func (export "efaas_main") (result i32) (i32.const 0))))"));
  auto r = run_extension(m2, {});
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("\"env\".\"x\""), std::string::npos);
}

TEST(WasmExtension, OutputLimitTraps) {
  ExtensionInput in;
  in.data = {'a'};
  ExtensionConfig cfg;
  cfg.max_output_bytes = 16;
  auto r = run_extension(example("sha256"), in, cfg);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->trap, TrapCode::kHostError);
  EXPECT_NE(r->trap_message.find("output exceeds 16 bytes"), std::string::npos) << r->trap_message;
}

// --- traces --------------------------------------------------------------------------------

struct TracedRun {
  std::vector<uint8_t> bytes;
  ExtensionResult result;
};

TracedRun traced_sha256(const std::vector<uint8_t>& data, uint32_t chunk_records) {
  ExtensionInput in;
  in.data = data;
  MemorySink sink;
  TraceWriter writer(sink, chunk_records);
  ExtensionConfig cfg;
  cfg.trace = &writer;
  auto r = run_extension(example("sha256"), in, cfg);
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return {std::move(sink.data), r ? *r : ExtensionResult{}};
}

TEST(WasmTrace, RoundTripAndContents) {
  Rng rng(test_seed("Trace.RoundTripAndContents"));
  std::vector<uint8_t> data(200);
  for (auto& b : data) b = uint8_t(rng.next_u32());
  TracedRun run = traced_sha256(data, 1000);
  auto t = read_trace(run.bytes);
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  // One record per instruction plus the host I/O rows.
  uint64_t io_rows = 0;
  for (const StepRecord& s : t->steps) {
    io_rows += s.op == uint16_t(Op::kHostRead) || s.op == uint16_t(Op::kHostWrite);
  }
  EXPECT_EQ(t->steps.size() - io_rows, run.result.instructions);
  EXPECT_EQ(t->end.instructions, run.result.instructions);
  EXPECT_EQ(t->end.gas_used, run.result.gas_used);
  EXPECT_EQ(t->end.output, run.result.output);
  EXPECT_EQ(t->end.records, t->steps.size());
  // The host wrote the input into memory: the host_write rows carry exactly the input bytes.
  std::vector<uint8_t> written;
  for (const StepRecord& s : t->steps) {
    if (s.op != uint16_t(Op::kHostWrite)) continue;
    for (uint64_t k = 0; k < s.b; ++k) written.push_back(uint8_t(s.a >> (8 * k)));
  }
  EXPECT_EQ(written, data);
  // Gas: the sum of the opcode costs of the instruction rows plus the host byte charges.
  uint64_t gas = 0;
  for (const StepRecord& s : t->steps) gas += op_info(Op(s.op)).gas;
  EXPECT_LE(gas, t->end.gas_used);
  EXPECT_GE(gas + 64, t->end.gas_used);
  // Consistency a prover relies on: arithmetic rows hold correct results, and control flows
  // to pc + 1 unless the row is a branch, call or return.
  auto m = example("sha256");
  size_t checked = 0;
  for (size_t i = 0; i + 1 < t->steps.size(); ++i) {
    const StepRecord& s = t->steps[i];
    const Op op = Op(s.op);
    if (op == Op::kHostRead || op == Op::kHostWrite) continue;
    EXPECT_EQ(m->code[s.pc].op, op) << "row " << i;
    if (op == Op::kI32Add) {
      EXPECT_EQ(uint32_t(s.r), uint32_t(s.a + s.b));
      ++checked;
    }
    if (op == Op::kI32Rotl) {
      EXPECT_EQ(uint32_t(s.r), std::rotl(uint32_t(s.a), int(s.b & 31)));
    }
    const TraceShape shape = op_info(op).shape;
    size_t j = i + 1;
    while (j < t->steps.size() && (t->steps[j].op == uint16_t(Op::kHostRead) ||
                                   t->steps[j].op == uint16_t(Op::kHostWrite))) {
      ++j;
    }
    if (j >= t->steps.size()) break;
    if (shape == TraceShape::kBranch || shape == TraceShape::kReturn) {
      EXPECT_EQ(t->steps[j].pc, s.aux) << "row " << i;
    } else if (op == Op::kCall) {
      EXPECT_EQ(t->steps[j].pc, m->funcs[s.aux - m->num_imported_funcs].entry_pc);
      EXPECT_EQ(t->steps[j].depth, s.depth + 1);
    } else {
      EXPECT_EQ(t->steps[j].pc, s.pc + 1) << "row " << i << " " << op_info(op).name;
    }
  }
  EXPECT_GT(checked, 100u);
  // Deterministic: the same run gives the same bytes.
  EXPECT_EQ(traced_sha256(data, 1000).bytes, run.bytes);
}

// Host calls: the call row holds the host's result and is followed by its I/O rows, also when
// every record is a chunk of its own.
TEST(WasmTrace, HostCallRowsWithTinyChunks) {
  std::vector<uint8_t> data(37, 0xAB);
  TracedRun tiny = traced_sha256(data, 1);
  TracedRun big = traced_sha256(data, 1 << 16);
  auto t = read_trace(tiny.bytes);
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  auto t2 = read_trace(big.bytes);
  ASSERT_TRUE(t2.is_ok());
  EXPECT_EQ(t->steps, t2->steps);
  bool saw_size = false;
  for (size_t i = 0; i < t->steps.size(); ++i) {
    const StepRecord& s = t->steps[i];
    if (s.op != uint16_t(Op::kCallHost)) continue;
    if (s.r == data.size()) saw_size = true;  // input_size / input_read return 37
    if (i + 1 < t->steps.size() && t->steps[i + 1].op == uint16_t(Op::kHostWrite)) {
      EXPECT_EQ(t->steps[i + 1].pc, s.pc);
      EXPECT_EQ(t->steps[i + 1].a & 0xFF, 0xABu);
    }
  }
  EXPECT_TRUE(saw_size);
}

// The trace alone is enough to check every memory access: replaying the writes (stores and
// host writes, which carry the bytes they overwrite) over the initial image must reproduce
// every value read.
TEST(WasmTrace, MemoryReplayFromTheTraceAlone) {
  Rng rng(test_seed("Trace.MemoryReplay"));
  std::vector<uint8_t> data(700);
  for (auto& b : data) b = uint8_t(rng.next_u32());
  TracedRun run = traced_sha256(data, 4096);
  auto t = read_trace(run.bytes);
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  auto m = example("sha256");
  std::vector<uint8_t> mem(size_t(m->memories[0].min) * 65536);
  for (const DataSegment& d : m->datas) {
    std::copy(d.bytes.begin(), d.bytes.end(), mem.begin() + ptrdiff_t(d.offset.value));
  }
  auto read = [&](uint64_t addr, unsigned n) {
    uint64_t v = 0;
    if (addr + n <= mem.size()) std::memcpy(&v, mem.data() + addr, n);
    return v;
  };
  uint64_t loads = 0, stores = 0, host_writes = 0, host_reads = 0;
  for (size_t i = 0; i < t->steps.size(); ++i) {
    const StepRecord& s = t->steps[i];
    const Op op = Op(s.op);
    const OpInfo& info = op_info(op);
    if (op == Op::kMemoryGrow && uint32_t(s.r) != 0xFFFFFFFFu) mem.resize(mem.size() + s.a * 65536);
    if (info.shape == TraceShape::kLoad) {
      uint64_t v = read(s.aux, info.access_bytes);
      const unsigned bits = 8 * info.access_bytes;
      if (info.name.ends_with("_s") && bits < 64) v = uint64_t(int64_t(v << (64 - bits)) >> (64 - bits));
      if (info.name.starts_with("i32")) v = uint32_t(v);
      ASSERT_EQ(s.r, v) << "row " << i << " " << info.name << " at " << s.aux;
      ++loads;
    } else if (info.shape == TraceShape::kStore) {
      ASSERT_EQ(s.r, read(s.aux, info.access_bytes)) << "row " << i << ": old value";
      std::memcpy(mem.data() + s.aux, &s.b, info.access_bytes);
      ++stores;
    } else if (op == Op::kHostWrite) {
      ASSERT_EQ(s.r, read(s.aux, unsigned(s.b))) << "row " << i << ": old value";
      std::memcpy(mem.data() + s.aux, &s.a, s.b);
      ++host_writes;
    } else if (op == Op::kHostRead) {
      ASSERT_EQ(s.a, read(s.aux, unsigned(s.b))) << "row " << i;
      ++host_reads;
    }
  }
  EXPECT_GT(loads, 1000u);
  EXPECT_GT(stores, 1000u);
  EXPECT_EQ(host_writes, (data.size() + 7) / 8);
  EXPECT_EQ(host_reads, 4u);  // the 32-byte digest
}

TEST(WasmTrace, StreamingInRandomPiecesGivesTheSameChunks) {
  TracedRun run = traced_sha256(std::vector<uint8_t>(300, 7), 512);
  auto whole = read_trace(run.bytes);
  ASSERT_TRUE(whole.is_ok());
  Rng rng(test_seed("Trace.Streaming"));
  TraceReader reader;
  std::vector<StepRecord> steps;
  TraceEnd end;
  size_t pos = 0, chunks = 0;
  while (pos < run.bytes.size()) {
    const size_t n = std::min<size_t>(run.bytes.size() - pos, 1 + rng.uniform(5000));
    ASSERT_TRUE(reader.feed(std::span<const uint8_t>(run.bytes.data() + pos, n)).is_ok());
    pos += n;
    TraceChunk c;
    for (;;) {
      auto got = reader.next(c);
      ASSERT_TRUE(got.is_ok()) << got.status().to_string();
      if (!*got) break;
      ++chunks;
      if (c.kind == 1) steps.insert(steps.end(), c.steps.begin(), c.steps.end());
      if (c.kind == 2) end = c.end;
    }
  }
  EXPECT_TRUE(reader.finish().is_ok());
  EXPECT_GT(chunks, 5u);
  EXPECT_EQ(steps, whole->steps);
  EXPECT_EQ(end, whole->end);
}

TEST(WasmTrace, CorruptTruncatedAndReorderedTracesRejected) {
  TracedRun run = traced_sha256(std::vector<uint8_t>(100, 1), 256);
  ASSERT_TRUE(read_trace(run.bytes).is_ok());
  Rng rng(test_seed("Trace.Corrupt"));
  for (int i = 0; i < 200; ++i) {
    std::vector<uint8_t> b = run.bytes;
    b[rng.uniform(b.size())] ^= uint8_t(1u << rng.uniform(8));
    auto t = read_trace(b);
    ASSERT_FALSE(t.is_ok()) << "bit flip accepted (iteration " << i << ")";
    EXPECT_EQ(t.status().code(), StatusCode::kDataLoss);
  }
  for (size_t cut : {size_t(0), size_t(10), size_t(48), size_t(100), run.bytes.size() / 2,
                     run.bytes.size() - 1}) {
    auto t = read_trace(std::span<const uint8_t>(run.bytes.data(), cut));
    ASSERT_FALSE(t.is_ok()) << "truncation at " << cut << " accepted";
    EXPECT_NE(t.status().message().find("truncated"), std::string::npos) << t.status().message();
  }
  // Drop the second chunk: chunk = 48-byte header (payload length at offset 32) + payload.
  auto chunk_len = [&](size_t at) {
    uint32_t len = 0;
    std::memcpy(&len, run.bytes.data() + at + 32, 4);
    return 48 + size_t(len);
  };
  const size_t second = 48 + chunk_len(48);
  std::vector<uint8_t> dropped = run.bytes;
  dropped.erase(dropped.begin() + ptrdiff_t(second),
                dropped.begin() + ptrdiff_t(second + chunk_len(second)));
  auto t = read_trace(dropped);
  ASSERT_FALSE(t.is_ok());
  EXPECT_NE(t.status().message().find("out of sequence"), std::string::npos)
      << t.status().message();
  std::vector<uint8_t> extra = run.bytes;
  extra.push_back(0);
  EXPECT_FALSE(read_trace(extra).is_ok());
}

TEST(WasmTrace, SegmentReadSkipsEarlierChunks) {
  TracedRun run = traced_sha256(std::vector<uint8_t>(2000, 3), 1024);
  auto whole = read_trace(run.bytes);
  ASSERT_TRUE(whole.is_ok());
  char tmpl[] = "/tmp/efaas-trace-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string path = std::string(tmpl) + "/t.bin";
  {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(run.bytes.data()), std::streamsize(run.bytes.size()));
  }
  auto seg = read_trace_segment(path, 5000, 3000);
  ASSERT_TRUE(seg.is_ok()) << seg.status().to_string();
  ASSERT_EQ(seg->size(), 3000u);
  EXPECT_TRUE(std::equal(seg->begin(), seg->end(), whole->steps.begin() + 5000));
  EXPECT_FALSE(read_trace_segment(path, whole->steps.size() + 10, 5).is_ok());
  auto file = read_trace_file(path);
  ASSERT_TRUE(file.is_ok());
  EXPECT_EQ(file->steps, whole->steps);
  std::error_code ec;
  fs::remove_all(tmpl, ec);
}

// --- Combined modules of several memories and tables (static_link.hpp) --------------------
// linking.wast's $Mm / $Nm and $Mt / $Nt, extended by stores, memory.size and memory.grow on
// both memories and call_indirect through both tables. The library is testdata/multi_lib.wat
// (shared with prover/zkwasm's linking_test).
const char* const kMultiLib = multi_lib_source;
const char* kMultiApp = R"((module
  (type $v (func))
  (type $r (func (result i32)))
  (func $loadM (import "Mm" "load") (param i32) (result i32))
  (func $storeM (import "Mm" "store") (param i32 i32))
  (func $sizeM (import "Mm" "size") (result i32))
  (func $growM (import "Mm" "grow") (param i32) (result i32))
  (func $f (import "Mm" "call") (param i32) (result i32))
  (func $h (import "Mm" "h") (result i32))
  (memory (export "mem") 2 3)
  (data (i32.const 10) "\f0\f1\f2\f3\f4\f5")
  (table funcref (elem $g $g $g $h $f))
  (func $g (result i32) (i32.const 5))
  (export "Mm.load" (func $loadM))
  (export "Mt.call" (func $f))
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "load64") (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "call") (param i32) (result i32) (call_indirect (type $r) (local.get 0)))
  (func (export "call Mt.call") (param i32) (result i32) (call $f (local.get 0)))
  ;; Both memories in one function: a store to each, then the sum of both reads at 12.
  (func (export "both") (param i32) (result i32)
    (call $storeM (i32.const 12) (local.get 0))
    (i32.store8 (i32.const 12) (i32.add (local.get 0) (i32.const 1)))
    (i32.add (i32.mul (call $loadM (i32.const 12)) (i32.const 1000))
             (i32.load8_u (i32.const 12))))
  ;; Growing one memory leaves the other's size: sizes as 100 * own + other.
  (func (export "sizes") (result i32)
    (i32.add (i32.mul (memory.size) (i32.const 100)) (call $sizeM)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "growM") (param i32) (result i32) (call $growM (local.get 0)))
  ;; Out of bounds in the own memory (2 pages) but not in the library's after its growth.
  (func (export "high") (param i32) (result i32) (i32.load8_u (local.get 0))))
)";

struct MultiRun {
  TrapCode trap = TrapCode::kNone;
  uint64_t value = 0;
};

// Runs `calls` in order on the combined module and on two dynamically linked instances.
void check_multi(const std::vector<std::pair<std::string, std::vector<uint64_t>>>& calls,
                 const std::vector<MultiRun>& want) {
  auto lib = load_ok(wat(kMultiLib));
  auto app = load_ok(wat(kMultiApp));
  ASSERT_TRUE(lib && app);
  const LinkInput in[] = {{"Mm", lib}, {"Nm", app}};
  auto linked = link_modules(in);
  ASSERT_TRUE(linked.is_ok()) << linked.status().to_string();
  ASSERT_EQ((*linked)->memories.size(), 2u);
  ASSERT_EQ((*linked)->tables.size(), 2u);
  auto combined = instantiate_ok(*linked);
  Linker linker;
  auto li = Instance::instantiate(lib, linker);
  ASSERT_TRUE(li.is_ok()) << li.status().to_string();
  linker.define_instance("Mm", **li);
  auto ai = Instance::instantiate(app, linker);
  ASSERT_TRUE(ai.is_ok()) << ai.status().to_string();
  ASSERT_EQ(calls.size(), want.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    const auto& [name, args] = calls[i];
    for (Instance* inst : {combined.get(), ai->get()}) {
      auto r = inst->invoke_export(name, args);
      ASSERT_TRUE(r.is_ok()) << name << ": " << r.status().to_string();
      const char* who = inst == combined.get() ? "combined" : "dynamic";
      EXPECT_EQ(r->trap, want[i].trap)
          << who << " " << name << " call " << i << ": " << r->trap_message;
      if (want[i].trap == TrapCode::kNone) {
        ASSERT_EQ(r->results.size(), 1u) << name;
        EXPECT_EQ(r->results[0], want[i].value) << who << " " << name << " call " << i;
      }
    }
  }
  // The combined module's memory export is the entry's own memory (memory 1).
  auto mem = combined->export_extern("mem");
  ASSERT_TRUE(mem.is_ok());
  EXPECT_EQ(std::get<std::shared_ptr<Memory>>(*mem), combined->memories().at(1));
}

TEST(WasmMultiMemory, LoadsStoresAndSizesStayInTheirMemory) {
  constexpr auto kOob = TrapCode::kMemoryOutOfBounds;
  check_multi({{"Mm.load", {12}}, {"load", {12}}, {"load64", {8}},
               {"both", {7}}, {"Mm.load", {12}}, {"load", {12}},
               {"sizes", {}}, {"grow", {1}}, {"sizes", {}}, {"grow", {1}},
               {"growM", {3}}, {"sizes", {}}, {"growM", {2}},
               {"high", {3 * 65536 + 5}}, {"high", {4 * 65536}}},
              {{{}, 2}, {{}, 0xf2}, {{}, 0xf5f4f3f2f1f00000ull},
               {{}, 7008}, {{}, 7}, {{}, 8},
               {{}, 201}, {{}, 2}, {{}, 301}, {{}, 0xFFFFFFFFu},
               {{}, 1}, {{}, 304}, {{}, 0xFFFFFFFFu},
               {kOob, 0}, {kOob, 0}});
}

TEST(WasmMultiMemory, CallIndirectReadsTheCallersTable) {
  constexpr auto kUninit = TrapCode::kUninitializedElement;
  constexpr auto kUndef = TrapCode::kUndefinedElement;
  check_multi({{"Mt.call", {2}}, {"call", {2}}, {"call Mt.call", {2}}, {"call", {3}},
               {"call", {1}}, {"Mt.call", {1}}, {"call", {7}}, {"Mt.call", {20}},
               {"call", {4}}},
              {{{}, 4}, {{}, 5}, {{}, 4}, {{}, 0xFFFFFFFCu},
               {{}, 5}, {kUninit, 0}, {kUndef, 0}, {kUndef, 0},
               {TrapCode::kIndirectCallTypeMismatch, 0}});
}

TEST(WasmMultiMemory, HostFunctionsNeedMemoryZero) {
  auto lib = load_ok(wat(kMultiLib));
  // A module of the set with a memory of its own (memory 1) that imports a host function.
  auto app = load_ok(wat(R"((module
    (import "efaas" "output_write" (func $o (param i32 i32)))
    (memory 1)
    (func (export "run") (call $o (i32.const 0) (i32.const 1))))
  )"));
  ASSERT_TRUE(lib && app);
  const LinkInput in[] = {{"Mm", lib}, {"Nm", app}};
  auto linked = link_modules(in);
  ASSERT_FALSE(linked.is_ok());
  EXPECT_EQ(linked.status().code(), StatusCode::kUnimplemented) << linked.status().to_string();
  EXPECT_NE(linked.status().message().find("uses memory 1"), std::string::npos)
      << linked.status().to_string();
  // The same module first (its memory is memory 0) links.
  const LinkInput in2[] = {{"Nm", app}, {"Mm", lib}};
  auto ok = link_modules(in2);
  EXPECT_TRUE(ok.is_ok()) << ok.status().to_string();
}

}  // namespace
}  // namespace efaas::wasm
