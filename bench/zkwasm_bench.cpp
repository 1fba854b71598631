// zkWASM proving benchmark: WASM instructions per second proved, per-stage breakdown, proof
// size, verification time (key cached, as a node caches it per module), conjectured security
// and peak RSS. One configuration per process (peak RSS is the process's own):
//
//   build/bin/zkwasm_bench --log 16 --backend avx2 --preset production [--verify-reps 5]
//   build/bin/zkwasm_bench --log 16 --segment-log 12 [--workers N]   continuations
//
// With --segment-log the run is split into segments of 2^N rows (continuations); a second
// line reports the segment count, boundary keys and the bytes of boundary data in the bundle.
//
// Workload "mixed": a loop over locals, globals, i32/i64 arithmetic, comparisons, bitwise
// operations, select and branches, run until the trace has about 2^log steps. "alu": the ALU
// chip's opcodes. "sha256", "keccak256", "sort": the example Extensions (examples/extensions,
// compiled C: calls, linear memory, host I/O), run as Extensions on a Data of the length that
// gives about 2^log steps, with their public input and output bound by the proof.
// --private-bytes N (sha256 only): sha256_private.wasm hashes the first bytes of a private input
// (kind 4) of max(N, hashed) bytes, Data holding the hashed count; the proof commits to all of it
// (docs/zkwasm.md "Private input"). Compare with the same --log without it (the input public).
#include <sys/resource.h>
#if defined(__GLIBC__)
#include <malloc.h>  // malloc_trim
#endif

#include <CLI/CLI.hpp>
#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include "prover/common/thread_pool.hpp"
#include "prover/common/thread_pool_stats.hpp"
#include "prover/common/timer.hpp"
#include "prover/fri/fri_params.hpp"
#include "prover/wasm/extension.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/wasm/trace_source.hpp"
#include "prover/zkwasm/air_internal.hpp"  // build_witness, for --witness-reps
#include "prover/zkwasm/alu_chip.hpp"  // which table proves an ALU-bus step
#include "prover/zkwasm/layout.hpp"  // kNumTables: which machine a proof is of
#include "prover/zkwasm/segments_internal.hpp"  // run_rows: the table height of a run
#include "prover/zkwasm/zkwasm.hpp"

using namespace efaas;

namespace {

// VmRSS and VmHWM of this process in MB (0 where /proc is unavailable): the peak so far tells
// which stage set it.
std::pair<double, double> rss_mb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  double rss = 0, hwm = 0;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) rss = std::atof(line.c_str() + 6) / 1024.0;
    if (line.rfind("VmHWM:", 0) == 0) hwm = std::atof(line.c_str() + 6) / 1024.0;
  }
  return {rss, hwm};
}

const char* kMixed = R"((module
  (global $g (mut i64) (i64.const 1))
  (func (export "mixed") (param $n i32) (result i64) (local $i i32) (local $x i64) (local $y i32)
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $x (i64.add (local.get $x) (i64.xor (global.get $g) (i64.extend_i32_u (local.get $i)))))
      (local.set $y (i32.add (local.get $y) (select (i32.const 3) (i32.const 5) (i32.lt_s (local.get $y) (i32.const 1000)))))
      (global.set $g (i64.sub (i64.or (local.get $x) (i64.const 0x100)) (i64.and (global.get $g) (i64.const 0xff))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $top)))
    (i64.add (local.get $x) (i64.extend_i32_u (local.get $y)))))
)";

// Workload "alu": the ALU chip's operations (i64.mul, shifts, rotates, bit counts, div/rem)
// in a hash-like loop, with the locals and branches around them.
const char* kAlu = R"((module
  (func (export "alu") (param $n i32) (result i64) (local $i i32) (local $x i64) (local $y i32)
    (local.set $x (i64.const 0x0123456789abcdef))
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $x (i64.mul (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 29)))
                             (i64.const 0x9e3779b97f4a7c15)))
      (local.set $y (i32.add (i32.rotl (local.get $y) (i32.const 7))
                             (i32.popcnt (i32.wrap_i64 (i64.rotr (local.get $x) (i64.const 17))))))
      (local.set $y (i32.xor (local.get $y) (i32.shl (i32.clz (local.get $y)) (i32.const 3))))
      (local.set $x (i64.add (local.get $x)
                             (i64.rem_u (local.get $x) (i64.extend_i32_u (i32.or (local.get $y) (i32.const 1))))))
      (local.set $y (i32.add (local.get $y) (i32.div_s (local.get $y) (i32.const -7))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $top)))
    (i64.add (local.get $x) (i64.extend_i32_u (local.get $y)))))
)";

std::vector<uint8_t> assemble(const char* text) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "efaas-zkwasm-bench";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "m.wat") << text;
  const std::string cmd = "wat2wasm '" + (dir / "m.wat").string() + "' -o '" + (dir / "m.wasm").string() + "'";
  if (std::system(cmd.c_str()) != 0) return {};
  std::ifstream in(dir / "m.wasm", std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string g_workload = "mixed";
size_t g_private_bytes = 0;  // --private-bytes: the private input's size (0: a public input)
size_t g_trace_file_bytes = 0;  // the encoded trace (the format a trace file holds)

Result<wasm::Trace> traced(const zkwasm::Program& p, uint32_t iterations) {
  wasm::Linker linker;
  auto inst = wasm::Instance::instantiate(p.module_ptr(), linker);
  if (!inst) return inst.status();
  wasm::MemorySink sink;
  wasm::TraceWriter tw(sink);
  const wasm::Export* e = p.module().find_export(g_workload);
  wasm::TraceHeader h;
  h.gas_limit = 1ull << 40;
  h.entry_function = e->index;
  EFAAS_RETURN_IF_ERROR(tw.begin(h));
  wasm::ExecOptions eo;
  eo.gas_limit = h.gas_limit;
  eo.trace = &tw;
  const uint64_t args[1] = {iterations};
  auto r = (*inst)->invoke(e->index, args, eo);
  if (!r) return r.status();
  EFAAS_RETURN_IF_ERROR(tw.finish(wasm::trace_end(*r, tw.records())));
  g_trace_file_bytes = sink.data.size();
  return wasm::read_trace(sink.data);
}

bool is_extension_workload() {
  return g_workload == "sha256" || g_workload == "keccak256" || g_workload == "sort";
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The example Extension run on `data_len` bytes of Data (a fixed pseudo-random pattern).
struct ExtensionRun {
  wasm::ExtensionInput input;
  wasm::Trace trace;
};
// Segment 0's proof bytes by part: the parts summed over tables, then per table.
void print_proof_breakdown(const StarkProof& proof, const air::MachineAir& m) {
  const std::vector<ProofSizePart> parts = proof_size_breakdown(proof, &m);
  std::vector<std::pair<std::string, size_t>> by_name;
  std::vector<std::vector<std::pair<std::string, size_t>>> by_table(m.tables.size());
  size_t total = 0, fri_values = 0, fri_siblings = 0, fri_framing = 0;
  for (const ProofSizePart& p : parts) {
    total += p.bytes;
    std::string name = p.name;
    if (name.rfind("fri layer ", 0) == 0) {
      const std::string layer = name.substr(10, name.find(' ', 10) - 10);
      std::fprintf(stderr, "proof part %-28s %8zu bytes\n", name.c_str(), p.bytes);
      const std::string kind = name.substr(name.find(' ', 10) + 1);
      (kind == "query values" ? fri_values : kind == "siblings" ? fri_siblings : fri_framing) +=
          p.bytes;
      continue;
    }
    auto it = std::find_if(by_name.begin(), by_name.end(),
                           [&](const auto& e) { return e.first == name; });
    if (it == by_name.end()) {
      by_name.push_back({name, 0});
      it = by_name.end() - 1;
    }
    it->second += p.bytes;
    if (p.table >= 0 && size_t(p.table) < by_table.size()) {
      by_table[p.table].push_back({name, p.bytes});
    }
  }
  by_name.push_back({"fri layers: query values", fri_values});
  by_name.push_back({"fri layers: siblings", fri_siblings});
  by_name.push_back({"fri layers: framing", fri_framing});
  for (const auto& [name, bytes] : by_name) {
    std::fprintf(stderr, "proof part %-28s %8zu bytes (%4.1f%%)\n", name.c_str(), bytes,
                 100.0 * double(bytes) / double(total));
  }
  for (size_t t = 0; t < by_table.size(); ++t) {
    size_t sum = 0;
    std::string line;
    for (const auto& [name, bytes] : by_table[t]) {
      if (bytes == 0) continue;
      sum += bytes;
      line += ", " + name + " " + std::to_string(bytes);
    }
    std::fprintf(stderr, "proof bytes of table %-10s %7zu%s\n", m.tables[t].name().c_str(), sum,
                 line.c_str());
  }
  std::fprintf(stderr, "proof bytes total %zu\n", total);
}

// Base cells a proof hashes over the trace domain, from its tables' heights: per table 2^k rows
// of main + 4 * (LogUp aux + quotient chunks) base columns; `print`: one line per table.
size_t hashed_cells(const std::vector<uint32_t>& heights, bool print) {
  const air::MachineAir& m = zkwasm::machine_air(heights.size() > zkwasm::layout::kNumTables);
  size_t hashed = 0;
  for (size_t t = 0; t < m.tables.size() && t < heights.size(); ++t) {
    const air::TableAir& tab = m.tables[t];
    const uint32_t d = tab.max_degree();
    const uint32_t chunks = std::bit_ceil(d <= 2 ? 1u : d - 1);
    const size_t per_row = tab.main_width() + 4 * (tab.aux_width() + chunks);
    hashed += per_row << heights[t];
    if (!print) continue;
    std::fprintf(stderr, "table %-10s rows 2^%-2u main %3u fixed %2u aux %2u (Fp4, %3u "
                 "interactions) constraints %3zu degree %u quotient chunks %u: %zu base "
                 "columns per row\n",
                 tab.name().c_str(), heights[t], tab.main_width(), tab.pre_width(),
                 tab.aux_width(), uint32_t(tab.interactions().size()),
                 tab.constraints().size(), d, chunks, per_row);
  }
  return hashed;
}

Result<ExtensionRun> traced_extension(const zkwasm::Program& p, size_t data_len) {
  ExtensionRun run;
  uint32_t x = 0x9e3779b9;
  std::vector<uint8_t>& bytes = g_private_bytes > 0 ? run.input.private_input : run.input.data;
  for (size_t i = 0; i < std::max(data_len, g_private_bytes); ++i) {
    x = x * 1664525u + 1013904223u;
    bytes.push_back(uint8_t(x >> 24));
  }
  if (g_private_bytes > 0) {  // the count of private bytes hashed (sha256_private.c)
    for (int k = 0; k < 4; ++k) run.input.data.push_back(uint8_t(data_len >> (8 * k)));
  }
  wasm::MemorySink sink;
  wasm::TraceWriter tw(sink);
  wasm::ExtensionConfig cfg;
  cfg.trace = &tw;
  cfg.gas_limit = uint64_t(1) << 40;
  auto r = wasm::run_extension(p.module_ptr(), run.input, cfg);
  if (!r) return r.status();
  if (r->status != wasm::ExtensionResult::Status::kOk) {
    return internal_error("the " + g_workload + " Extension did not finish: " + r->trap_message);
  }
  g_trace_file_bytes = sink.data.size();
  auto t = wasm::read_trace(sink.data);
  if (!t) return t.status();
  run.trace = std::move(*t);
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"zkWASM proving benchmark"};
  uint32_t log = 16;
  std::string backend_name_arg = "avx2", preset = "production";
  int verify_reps = 5;
  uint32_t segment_log = 0, workers = 0;
  app.add_option("--log", log, "about 2^log WASM instructions (the table holds 2^log rows)");
  app.add_option("--backend", backend_name_arg, "scalar, avx2, opencl or auto");
  app.add_option("--preset", preset, "FRI preset: production, production-poseidon2 or test");
  app.add_option("--verify-reps", verify_reps, "verification repetitions (median)");
  std::string wasm_dir = EFAAS_WASM_DIR;
  app.add_option("--workload", g_workload,
                 "mixed, alu (shifts, mul, div, bit counts), or an example Extension: sha256, "
                 "keccak256, sort")
      ->check(CLI::IsMember({"mixed", "alu", "sha256", "keccak256", "sort"}));
  app.add_option("--wasm-dir", wasm_dir, "where the example Extensions' .wasm files are");
  app.add_option("--private-bytes", g_private_bytes,
                 "sha256 over the first bytes of a private input (kind 4) of this many bytes");
  app.add_option("--segment-log", segment_log, "split into segments of 2^N rows (0: one segment)");
  app.add_option("--workers", workers, "segments proved at once (0: one per hardware thread)");
  double max_lde_mb = -1;
  app.add_option("--max-lde-mb", max_lde_mb,
                 "StarkConfig::max_lde_bytes in MiB (default: the prover's; 0 streams every LDE)");
  std::string proof_out;
  int witness_reps = 0;
  app.add_option("--witness-reps", witness_reps,
                 "only build the one-segment witness this many times, on one thread and on the "
                 "pool alternately, and print wall and process CPU seconds");
  app.add_option("--proof-out", proof_out, "write the serialized bundle here (to compare proofs)");
  std::string stream_file;
  app.add_option("--stream", stream_file,
                 "write the trace to this file, free it, and prove by reading each segment's "
                 "records from the file (wasm::TraceSource, as `efaas prove --trace`)");
  int fri_log_arity = -1, fri_log_final = -1;
  std::string merkle_hash;
  app.add_option("--merkle-hash", merkle_hash, "override the preset's Merkle hash: poseidon2 or blake3");
  app.add_option("--fri-log-arity", fri_log_arity, "override the preset's FRI folding arity 2^k");
  app.add_option("--fri-log-final", fri_log_final,
                 "override the preset's final polynomial length 2^k");
  CLI11_PARSE(app, argc, argv);
  auto params = fri_preset(preset);
  auto backend = parse_backend(backend_name_arg);
  if (!params || !backend) return 2;
  if (fri_log_arity >= 0) params->log_arity = uint32_t(fri_log_arity);
  if (fri_log_final >= 0) params->log_final_poly_len = uint32_t(fri_log_final);
  if (!merkle_hash.empty()) {
    auto h = parse_merkle_hash(merkle_hash);
    if (!h) return std::fprintf(stderr, "%s\n", h.status().to_string().c_str()), 2;
    params->merkle_hash = *h;
  }
  if (Status s = validate(*params); !s) {
    std::fprintf(stderr, "%s\n", s.to_string().c_str());
    return 2;
  }
  std::fprintf(stderr, "FRI: %s\n", to_string(*params).c_str());
  const bool extension = is_extension_workload();
  if (g_private_bytes > 0 && g_workload != "sha256") {
    std::fprintf(stderr, "--private-bytes needs --workload sha256\n");
    return 2;
  }
  const std::string wasm_name = g_private_bytes > 0 ? "sha256_private" : g_workload;
  auto program = zkwasm::Program::load(
      extension ? read_file(wasm_dir + "/" + wasm_name + ".wasm")
                : assemble(g_workload == "alu" ? kAlu : kMixed));
  if (!program) {
    std::fprintf(stderr, "%s\n", program.status().to_string().c_str());
    return 1;
  }
  // Steps grow linearly with the iteration count (the loop workloads) or the Data length (the
  // Extensions): two probes give the slope; leave room for the padding row.
  const uint64_t target = (uint64_t(1) << log) - 16;
  const uint64_t unit = g_workload == "sha256" ? 64 : g_workload == "keccak256" ? 136 : g_workload == "sort" ? 64 : 1;
  auto steps_for = [&](uint64_t k) -> Result<size_t> {
    if (extension) {
      auto r = traced_extension(**program, k * unit);
      if (!r) return r.status();
      return r->trace.steps.size();
    }
    auto r = traced(**program, uint32_t(k));
    if (!r) return r.status();
    return r->steps.size();
  };
  auto probe = steps_for(1);
  auto probe2 = steps_for(2);
  if (!probe || !probe2 || *probe >= target) {
    std::fprintf(stderr, "--log %u is too small for the workload%s\n", log,
                 probe ? "" : (": " + probe.status().to_string()).c_str());
    return 1;
  }
  // Sorting is not linear in the length; step down until the trace fits.
  uint64_t iters = (target - *probe) / (*probe2 - *probe) + 1;
  wasm::Trace trace_storage;
  wasm::ExtensionInput ext_input;
  for (;; iters = iters * 15 / 16) {
    if (extension) {
      auto r = traced_extension(**program, iters * unit);
      if (!r) return std::fprintf(stderr, "%s\n", r.status().to_string().c_str()), 1;
      trace_storage = std::move(r->trace);
      ext_input = std::move(r->input);
    } else {
      auto r = traced(**program, uint32_t(iters));
      if (!r) return 1;
      trace_storage = std::move(*r);
    }
    // Rows, not steps, size the table: calls add zero-local rows and host I/O adds I/O rows.
    if (zkwasm::run_rows((*program)->module(), trace_storage) <= target || iters <= 1) break;
  }
  const wasm::Trace* trace = &trace_storage;
  {
    size_t shifts = 0, bitwise = 0, chip = 0;
    for (const auto& s : trace->steps) {
      const auto op = wasm::Op(s.op);
      if (!zkwasm::alu::is_alu(op)) continue;
      if (zkwasm::shift::is_shift(op)) ++shifts;
      else if (zkwasm::alu::is_bitwise(op)) ++bitwise;
      else ++chip;
    }
    std::fprintf(stderr, "ALU-bus steps: shift table %zu, bitwise table %zu, ALU chip %zu\n",
                 shifts, bitwise, chip);
  }
  zkwasm::ProveOptions po;
  po.params = *params;
  po.stark.backend = *backend;
  if (max_lde_mb >= 0) po.stark.max_lde_bytes = size_t(max_lde_mb * 1024 * 1024);
  if (extension) {
    po.public_input = wasm::encode_public_inputs(ext_input);
    if (g_private_bytes > 0) po.private_input = ext_input.private_input;
  } else {
    po.args = {iters};
  }
  po.segment_log = segment_log != 0 ? segment_log : zkwasm::kMaxSegmentLog;
  po.segment_workers = workers;
  for (int rep = 0; rep < witness_reps; ++rep) {
    for (const size_t threads : {size_t(1), size_t(0)}) {
      zkwasm::WitnessOptions wo;
      wo.args = po.args;
      wo.public_input = po.public_input;
      wo.threads = threads;
      zkwasm::PublicValues pv;
      const double cpu0 = process_cpu_seconds();
      Stopwatch sw;
      auto w = zkwasm::build_witness(**program, *trace, wo, pv);
      const double wall = sw.seconds(), cpu = process_cpu_seconds() - cpu0;
      if (!w) return std::fprintf(stderr, "%s\n", w.status().to_string().c_str()), 1;
      std::printf("witness %s threads %zu: %.3f s wall, %.3f s process CPU\n", g_workload.c_str(),
                  threads == 0 ? ThreadPool::global().size() : threads, wall, cpu);
    }
  }
  if (witness_reps > 0) return 0;
  Stopwatch setup_sw;
  if (!(*program)->proving_key(*params)) return 1;
  const double setup_s = setup_sw.seconds();
  StarkTimings tm;
  // Process CPU seconds per prover stage, from the progress callback's stage boundaries
  // (the stage times in StarkTimings are wall time; "logup" here includes the witness check).
  std::vector<std::pair<std::string, double>> stage_cpu;
  std::vector<std::pair<double, double>> stage_rss;  // at each stage's start
  // CPU seconds this (the proving) thread worked alone, the other cores idle: serial code and
  // parallel_for calls too small to split. Unlike wall time it can be compared on a busy machine;
  // on an idle one the wall time is about (prove CPU + alone) / threads, plus the imbalance.
  enable_dispatch_accounting();
  auto alone_cpu = [] { return thread_cpu_seconds() - dispatched_caller_cpu_seconds(); };
  std::vector<double> stage_alone;
  // Split runs: the peak RSS reached by the end of each segment's proof.
  po.on_segment = [](uint32_t index, uint32_t count, double seconds) {
    if (count < 2) return;
    const auto rss = rss_mb();
    std::fprintf(stderr, "segment %u/%u proved in %.1f s: RSS %.0f MiB, peak so far %.0f MiB\n",
                 index + 1, count, seconds, rss.first, rss.second);
  };
  po.stark.progress = [&](std::string_view stage, double) {
    stage_cpu.emplace_back(std::string(stage), process_cpu_seconds());
    stage_alone.push_back(alone_cpu());
    stage_rss.push_back(rss_mb());
  };
  auto cpu_now = [] {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
  };
  // --stream: the trace leaves memory; prove() reads it back per segment from the file.
  std::unique_ptr<wasm::TraceSource> source;
  const size_t trace_records = trace->steps.size();
  if (!stream_file.empty()) {
    {
      auto sink = wasm::FileSink::open(stream_file);
      if (!sink) return std::fprintf(stderr, "%s\n", sink.status().to_string().c_str()), 1;
      wasm::TraceWriter tw(**sink);
      if (!tw.begin(trace->header)) return 1;
      for (const auto& st : trace->steps) {
        const bool io = st.op == uint16_t(wasm::Op::kHostRead) || st.op == uint16_t(wasm::Op::kHostWrite);
        *(io ? tw.slot_io() : tw.slot()) = st;
      }
      if (!tw.finish(trace->end) || !(*sink)->close()) return 1;
    }
    wasm::Trace().steps.swap(trace_storage.steps);  // freed
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
    auto src = wasm::TraceSource::open_file(stream_file);
    if (!src) return std::fprintf(stderr, "%s\n", src.status().to_string().c_str()), 1;
    source = std::move(*src);
  }
  const auto rss_before = rss_mb();
  zkwasm::reset_witness_census();
  const double cpu0 = cpu_now();
  const double alone0 = alone_cpu();
  Stopwatch sw;
  auto bundle = source ? zkwasm::prove(**program, *source, po, &tm)
                       : zkwasm::prove(**program, *trace, po, &tm);
  const double prove_s = sw.seconds();
  const double prove_cpu = cpu_now() - cpu0;
  const double prove_alone = alone_cpu() - alone0;
  if (!bundle) {
    std::fprintf(stderr, "%s\n", bundle.status().to_string().c_str());
    return 1;
  }
  // Split runs: the stage times are summed over segments (each worker's wall time), so they can
  // exceed the wall time and the witness time cannot be derived from them: printed as -1.
  const double witness_s = bundle->segments.size() > 1 ? -1.0 : prove_s - tm.total;
  const auto bytes = zkwasm::serialize_bundle(*bundle);
  if (!proof_out.empty()) {
    std::FILE* f = std::fopen(proof_out.c_str(), "wb");
    if (f == nullptr || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) {
      std::fprintf(stderr, "cannot write %s\n", proof_out.c_str());
      if (f != nullptr) std::fclose(f);
      return 2;
    }
    std::fclose(f);
  }
  std::vector<double> vt, vcpu;  // wall, and process CPU (a loaded machine inflates the wall)
  for (int i = 0; i < verify_reps; ++i) {
    Stopwatch v;
    const double c0 = process_cpu_seconds();
    auto b = zkwasm::deserialize_bundle(bytes);
    if (!b || !zkwasm::verify(**program, *b).is_ok()) {
      std::fprintf(stderr, "verification failed\n");
      return 1;
    }
    vt.push_back(v.seconds());
    vcpu.push_back(process_cpu_seconds() - c0);
  }
  std::sort(vt.begin(), vt.end());
  std::sort(vcpu.begin(), vcpu.end());
  if (!vcpu.empty()) {
    std::fprintf(stderr, "verify ms (median of %zu): wall %.1f, process CPU %.1f\n", vcpu.size(),
                 vt[vt.size() / 2] * 1e3, vcpu[vcpu.size() / 2] * 1e3);
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  const size_t n = trace_records;
  if (bundle->segments.size() > 1) {
    // Bundle header: magic, version, count, hash, entry, args, status, trap, results, gas, inst.
    const auto& pv = bundle->publics;
    const size_t header = 8 + 4 + 4 + 32 + 4 + 4 + 8 * pv.args.size() + 4 + 4 + 4 +
                          8 * pv.results.size() + 8 + 8;
    size_t keys = 0, proof_bytes = 0;
    for (const auto& seg : bundle->segments) {
      keys += seg.keys.size();
      proof_bytes += serialize_proof(seg.proof).size();
    }
    // Memory of a split run: what is held across segments (the trace, at sizeof(StepRecord) per
    // record; the proving key) and the segment witnesses alive at once.
    const zkwasm::WitnessCensus census = zkwasm::witness_census();
    // --stream: only the records read for one segment's witness are held (peak below).
    const size_t held = source ? census.peak_records : n;
    std::fprintf(stderr, "trace %zu records: %.1f MiB held%s (%zu B/record), %.1f MiB encoded "
                 "(%.2f B/record); RSS before prove %.0f MiB; segment witnesses alive at most %zu "
                 "(%.1f MiB)\n",
                 n, double(held * sizeof(wasm::StepRecord)) / 1048576.0,
                 source ? (" at most (" + std::to_string(held) + " records read per segment, streamed)").c_str() : "",
                 sizeof(wasm::StepRecord), double(g_trace_file_bytes) / 1048576.0,
                 double(g_trace_file_bytes) / double(n), rss_before.first,
                 census.peak, double(census.peak_bytes) / 1048576.0);
    std::fprintf(stderr, "segments %zu (2^%u rows), boundary keys %zu (%.1f per segment), "
                 "boundary data %zu bytes, proofs %zu bytes, bundle %zu bytes\n",
                 bundle->segments.size(), segment_log, keys,
                 double(keys) / double(bundle->segments.size()),
                 bytes.size() - proof_bytes - header - 8 * bundle->segments.size(), proof_bytes,
                 bytes.size());
  }
  // Columns: workload, instructions, backend, instr/s (wall), instr/s per CPU-second, prove
  // wall s, prove CPU s, witness, LDE, commit, LogUp, quotient, OOD+DEEP, FRI (s), key setup s,
  // verify ms, proof KB, bits, peak RSS MB.
  std::printf("| %s | %zu | %s | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | "
              "%.2f | %.2f | %.2f | %.1f | %.0f | %.0f | %.0f |\n",
              g_workload.c_str(), n, backend_name(*backend), double(n) / prove_s, double(n) / prove_cpu, prove_s,
              prove_cpu, witness_s, tm.trace_lde, tm.trace_commit, tm.aux, tm.quotient,
              tm.ood + tm.deep, tm.fri, setup_s, vt[vt.size() / 2] * 1e3, bytes.size() / 1024.0,
              conjectured_security_bits(*params), double(ru.ru_maxrss) / 1024.0);
  // Per table: rows (2^k), main, fixed and LogUp auxiliary columns (Fp4, each 4 base columns in
  // the hashed rows), max constraint degree and quotient chunks (Fp4 columns over the trace
  // domain). Hashing cost per row is about main + 4 * (aux + chunks) base columns.
  {
    const auto& heights = bundle->segments[0].proof.log_heights;
    const air::MachineAir& m = zkwasm::machine_air(heights.size() > zkwasm::layout::kNumTables);
    const size_t hashed = hashed_cells(heights, true);
    std::fprintf(stderr, "hashed base cells (trace domain, all tables): %.1f M\n", hashed / 1e6);
    if (bundle->segments.size() > 1) {
      // Split runs: every segment's, and how many carry the private tables (each of those
      // hashes the whole private input).
      size_t all = 0, with_private = 0;
      for (const auto& seg : bundle->segments) {
        all += hashed_cells(seg.proof.log_heights, false);
        with_private += seg.proof.log_heights.size() > zkwasm::layout::kNumTables;
      }
      std::fprintf(stderr, "hashed base cells, all %zu segments: %.1f M (%zu with the private "
                   "tables)\n", bundle->segments.size(), all / 1e6, with_private);
    }
    print_proof_breakdown(bundle->segments[0].proof, m);
  }
  // Split runs prove segments on other threads: their serial parts are not this thread's.
  if (bundle->segments.size() == 1 && !stage_alone.empty()) {
    std::fprintf(stderr, "CPU s alone (serial) of %.3f: before trace_lde %.3f", prove_alone,
                 stage_alone[0] - alone0);
    for (size_t i = 0; i + 1 < stage_alone.size(); ++i) {
      std::fprintf(stderr, ", %s %.3f", stage_cpu[i].first.c_str(), stage_alone[i + 1] - stage_alone[i]);
    }
    std::fprintf(stderr, ", after done %.3f\n", prove_alone - (stage_alone.back() - alone0));
  }
  std::fprintf(stderr, "CPU s per stage:");
  for (size_t i = 0; i + 1 < stage_cpu.size(); ++i) {
    std::fprintf(stderr, " %s %.2f", stage_cpu[i].first.c_str(),
                 stage_cpu[i + 1].second - stage_cpu[i].second);
  }
  // RSS when each stage starts and the peak reached by then: the first stage whose start
  // shows a higher peak than the one before it holds the peak's cause.
  std::fprintf(stderr, "\nLDE budget %.0f MiB: %zu LDEs streamed, %zu blocks recomputed, %zu at the opened rows",
               double(po.stark.max_lde_bytes) / (1024.0 * 1024.0), tm.streamed_ldes,
               tm.recomputed_blocks, tm.partly_recomputed_blocks);
  std::fprintf(stderr, "\nRSS MB (now/peak) at stage start:");
  for (size_t i = 0; i < stage_cpu.size(); ++i) {
    std::fprintf(stderr, " %s %.0f/%.0f", stage_cpu[i].first.c_str(), stage_rss[i].first,
                 stage_rss[i].second);
  }
  std::fprintf(stderr, "\n");
  return 0;
}
