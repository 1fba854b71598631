// libFuzzer target for the zkWASM proof bundle parser (and the STARK proof parser under it):
// any input must parse or fail with a Status, and anything that parses must verify against the
// module or be rejected, never crash. -DEFAAS_FUZZ=ON with clang. Two modules: sum (no host
// I/O) and an Extension whose split runs have every kind of exit cursor and a private digest;
// a parsed bundle is verified against the one its module hash names (else against sum). What
// the verifier accepts must state what the interpreter computes (check_statement): a mutation
// may change how a proof is encoded, never what it proves.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "prover/wasm/extension.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/zkwasm/private_input.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace {

using namespace efaas;

// testdata/sum.wat: sum(n) = n + (n - 1) + ... + 1.
const uint8_t kSumWasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f,
    0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 0x73, 0x75, 0x6d, 0x00,
    0x00, 0x0a, 0x23, 0x01, 0x21, 0x01, 0x01, 0x7f, 0x02, 0x40, 0x03, 0x40, 0x20, 0x00,
    0x45, 0x0d, 0x01, 0x20, 0x01, 0x20, 0x00, 0x6a, 0x21, 0x01, 0x20, 0x00, 0x41, 0x01,
    0x6b, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x01, 0x0b};

// testdata/fuzz_io.wat (wat2wasm): a private read, a call of a function with 20 locals, output
// writes, a public read, and abort(3) when Data is empty.
const uint8_t kIoWasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x1b, 0x05, 0x60, 0x01, 0x7f, 0x01,
    0x7f, 0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x00, 0x60,
    0x01, 0x7f, 0x00, 0x60, 0x00, 0x01, 0x7f, 0x02, 0x4a, 0x04, 0x05, 0x65, 0x66, 0x61, 0x61,
    0x73, 0x0a, 0x69, 0x6e, 0x70, 0x75, 0x74, 0x5f, 0x73, 0x69, 0x7a, 0x65, 0x00, 0x00, 0x05,
    0x65, 0x66, 0x61, 0x61, 0x73, 0x0a, 0x69, 0x6e, 0x70, 0x75, 0x74, 0x5f, 0x72, 0x65, 0x61,
    0x64, 0x00, 0x01, 0x05, 0x65, 0x66, 0x61, 0x61, 0x73, 0x0c, 0x6f, 0x75, 0x74, 0x70, 0x75,
    0x74, 0x5f, 0x77, 0x72, 0x69, 0x74, 0x65, 0x00, 0x02, 0x05, 0x65, 0x66, 0x61, 0x61, 0x73,
    0x05, 0x61, 0x62, 0x6f, 0x72, 0x74, 0x00, 0x03, 0x03, 0x03, 0x02, 0x00, 0x04, 0x05, 0x03,
    0x01, 0x00, 0x01, 0x07, 0x17, 0x02, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00,
    0x0a, 0x65, 0x66, 0x61, 0x61, 0x73, 0x5f, 0x6d, 0x61, 0x69, 0x6e, 0x00, 0x05, 0x0a, 0x49,
    0x02, 0x09, 0x01, 0x14, 0x7f, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x0b, 0x3d, 0x01, 0x01, 0x7f,
    0x41, 0x04, 0x41, 0x00, 0x41, 0x00, 0x41, 0x80, 0x02, 0x10, 0x01, 0x21, 0x00, 0x20, 0x00,
    0x10, 0x04, 0x1a, 0x41, 0x00, 0x41, 0x14, 0x10, 0x02, 0x41, 0x00, 0x41, 0x00, 0x41, 0xc0,
    0x00, 0x41, 0x14, 0x10, 0x01, 0x1a, 0x41, 0xc0, 0x00, 0x41, 0x14, 0x10, 0x02, 0x41, 0x00,
    0x10, 0x00, 0x45, 0x04, 0x40, 0x41, 0x03, 0x10, 0x03, 0x0b, 0x20, 0x00, 0x0b
};

const zkwasm::Program& sum_program() {
  static const auto p = *zkwasm::Program::load(kSumWasm);
  return *p;
}
const zkwasm::Program& io_program() {
  static const auto p = *zkwasm::Program::load(kIoWasm);
  return *p;
}

// sum(3) traced under `gas_limit` (an out-of-gas trap when it is too small).
wasm::Trace sum_trace(uint64_t gas_limit) {
  wasm::Linker linker;
  auto inst = wasm::Instance::instantiate(sum_program().module_ptr(), linker);
  wasm::MemorySink sink;
  wasm::TraceWriter tw(sink);
  wasm::TraceHeader h;
  h.gas_limit = gas_limit;
  (void)tw.begin(h);
  wasm::ExecOptions eo;
  eo.gas_limit = h.gas_limit;
  eo.trace = &tw;
  const uint64_t args[1] = {3};
  auto r = (*inst)->invoke(0, args, eo);
  (void)tw.finish(wasm::trace_end(*r, tw.records()));
  return *wasm::read_trace(sink.data);
}

// The Extension run on `in`, traced.
wasm::Trace io_trace(const wasm::ExtensionInput& in) {
  wasm::MemorySink sink;
  wasm::TraceWriter tw(sink);
  wasm::ExtensionConfig cfg;
  cfg.trace = &tw;
  (void)wasm::run_extension(io_program().module_ptr(), in, cfg);
  return *wasm::read_trace(sink.data);
}

// Proves `t` split into segments of 2^segment_log rows and writes the bundle to `path`; prints
// its segment count and how many exit cursors of each kind it has (I/O, zero-local).
void write_seed(const std::string& path, const zkwasm::Program& p, const wasm::Trace& t,
                zkwasm::ProveOptions po, uint32_t segment_log) {
  po.segment_log = segment_log;
  auto b = zkwasm::prove(p, t, po);
  if (!b) {  // a seed that does not prove is a broken setup, not a finding
    std::fprintf(stderr, "%s: %s\n", path.c_str(), b.status().to_string().c_str());
    std::abort();
  }
  size_t io = 0, zl = 0;
  for (const auto& s : b->segments) io += s.exit.io.active, zl += s.exit.zl.active;
  std::fprintf(stderr, "seed %s: %zu segments, %zu I/O and %zu zero-local exit cursors\n",
               path.c_str(), b->segments.size(), io, zl);
  const auto bytes = zkwasm::serialize_bundle(*b);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              std::streamsize(bytes.size()));
}

// The Extension's private input in every seed (kind 4; the verifier sees only its digest).
std::vector<uint8_t> io_private_input() { return std::vector<uint8_t>(140, 0x5A); }

// Gas for re-running a returned run: every seed needs far less, and a statement no seed makes
// (a larger sum) runs out of it and so fails the comparison, as it should.
constexpr uint64_t kOracleGas = uint64_t(1) << 24;

[[noreturn]] void forged(const char* what) {
  std::fprintf(stderr, "the verifier accepted a bundle whose %s differs from the interpreter's\n",
               what);
  std::abort();
}

// The independent oracle: re-run the statement an accepted bundle makes (entry, arguments, public
// and private input, gas limit when it ran out) on the interpreter and compare every outcome.
void check_statement(const zkwasm::PublicValues& pv, bool io) {
  using wasm::TrapCode;
  const bool oog = pv.status == 1 && pv.trap_code == uint32_t(TrapCode::kOutOfGas);
  const uint64_t gas = oog ? pv.gas_limit : kOracleGas;
  uint32_t status = 0, trap = 0;
  std::vector<uint64_t> results;
  std::vector<uint8_t> output;
  uint64_t gas_used = 0, instructions = 0;
  if (!io) {
    if (pv.entry_function != 0 || pv.args.size() != 1) forged("entry function or arguments");
    if (!pv.public_input.empty() || pv.private_digest) forged("input");
    wasm::Linker linker;
    auto inst = wasm::Instance::instantiate(sum_program().module_ptr(), linker);
    wasm::ExecOptions eo;
    eo.gas_limit = gas;
    auto r = (*inst)->invoke(0, pv.args, eo);
    if (!r) forged("arguments (the interpreter refused them)");
    status = r->trap == TrapCode::kNone ? 0 : 1;
    trap = uint32_t(r->trap);
    if (status == 0) results = r->results;
    gas_used = r->gas_used, instructions = r->instructions;
  } else {
    if (!pv.private_digest ||
        *pv.private_digest != zkwasm::priv::private_input_digest(io_private_input())) {
      forged("private input digest");
    }
    // The public input is encode_public_inputs(); with the private part appended it decodes.
    std::vector<uint8_t> whole = pv.public_input;
    const std::vector<uint8_t> priv = io_private_input();
    for (int i = 0; i < 4; ++i) whole.push_back(uint8_t(priv.size() >> (8 * i)));
    whole.insert(whole.end(), priv.begin(), priv.end());
    auto in = wasm::decode_extension_input(whole);
    if (!in) forged("public input (it does not decode)");
    wasm::ExtensionConfig cfg;
    cfg.gas_limit = gas;
    auto r = wasm::run_extension(io_program().module_ptr(), *in, cfg);
    if (!r) forged("module run (the interpreter refused it)");
    status = r->status == wasm::ExtensionResult::Status::kTrap ? 1 : 0;
    trap = uint32_t(r->trap);
    if (status == 0) results = {uint64_t(uint32_t(r->exit_code))};
    // The runtime reports abort's argument in its message: "... with code N (pc P)".
    if (r->trap == TrapCode::kHostAbort &&
        r->trap_message.find(" code " + std::to_string(int32_t(pv.abort_code)) + " (") ==
            std::string::npos) {
      forged("abort code");
    }
    output = r->output;
    gas_used = r->gas_used, instructions = r->instructions;
  }
  if (pv.status != status || pv.trap_code != trap) forged("exit status or trap");
  if (pv.results != results) forged("results");
  if (pv.output != output) forged("output");
  if (pv.gas_used != gas_used) forged("gas used");
  if (pv.instructions != instructions) forged("instruction count");
}

}  // namespace

// With EFAAS_FUZZ_SEED=<file> in the environment, writes valid split bundles first (corpus
// seeds that get past the header into the segment fields): <file> sum(3); <file>.oog sum(3) out
// of gas; <file>.io the Extension returning, <file>.abort the Extension aborting (exit cursors
// inside I/O and zero-local rows, the private digest); <file>.blake3 sum(3) with BLAKE3 Merkle
// trees.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* path = std::getenv("EFAAS_FUZZ_SEED");
  if (path == nullptr) return 0;
  const std::string base = path;
  // Two FRI queries instead of the test preset's 8: seeds of a few segments stay small (the
  // fuzzer's speed falls with input size); the verifier takes any valid parameters here.
  FriParams params = fri_test_preset();
  params.num_queries = 2;
  zkwasm::ProveOptions po;
  po.params = params;
  po.args = {3};
  write_seed(base, sum_program(), sum_trace(1u << 20), po, zkwasm::kMinSegmentLog);
  write_seed(base + ".oog", sum_program(), sum_trace(30), po, zkwasm::kMinSegmentLog);
  zkwasm::ProveOptions bo = po;
  bo.params.merkle_hash = MerkleHash::kBlake3;
  write_seed(base + ".blake3", sum_program(), sum_trace(1u << 20), bo, zkwasm::kMinSegmentLog);
  wasm::ExtensionInput in;
  for (uint8_t i = 0; i < 20; ++i) in.data.push_back(uint8_t(7 * i + 1));
  in.private_input = io_private_input();  // 18 I/O rows
  zkwasm::ProveOptions eo;
  eo.params = params;
  eo.public_input = wasm::encode_public_inputs(in);
  eo.private_input = in.private_input;
  write_seed(base + ".io", io_program(), io_trace(in), eo, zkwasm::kMinSegmentLog);
  in.data.clear();
  eo.public_input = wasm::encode_public_inputs(in);
  write_seed(base + ".abort", io_program(), io_trace(in), eo, zkwasm::kMinSegmentLog);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto b = zkwasm::deserialize_bundle(std::span<const uint8_t>(data, size));
  if (!b.is_ok()) return 0;
  const bool io = b->publics.module_hash == io_program().module_hash();
  auto pv = zkwasm::verify(io ? io_program() : sum_program(), *b);
  if (pv) check_statement(*pv, io);
  return 0;
}
