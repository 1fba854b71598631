// WASM runtime throughput: SHA-256 of 1 MiB (examples/extensions/sha256.c compiled to wasm32)
// run as an Extension, without a trace, with a trace into memory (a discarding sink: the
// runtime's cost of producing it) and with a trace written to a file. Prints instructions/s.
// Usage: wasm_bench [MODULE.wasm] [MiB] [repetitions] [trace file] [records per chunk]
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "prover/common/rng.hpp"
#include "prover/common/timer.hpp"
#include "prover/wasm/extension.hpp"
#include "prover/wasm/trace.hpp"

using namespace efaas;
using namespace efaas::wasm;

namespace {

// Counts bytes and drops them.
class CountingSink : public TraceSink {
 public:
  Status write(std::span<const uint8_t> bytes) override {
    bytes_ += bytes.size();
    return Status::ok();
  }
  uint64_t bytes_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : EFAAS_WASM_DIR "/sha256.wasm";
  const size_t mib = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1;
  const int reps = argc > 3 ? std::atoi(argv[3]) : 3;
  const std::string trace_path = argc > 4 ? argv[4] : "/tmp/efaas-wasm-bench.trace";
  const uint32_t chunk_records = argc > 5 ? uint32_t(std::strtoul(argv[5], nullptr, 10)) : 1u << 16;
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  auto m = load_module(bytes);
  if (!m) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), m.status().to_string().c_str());
    return 2;
  }
  ExtensionInput input;
  input.data.resize(mib << 20);
  Rng rng(1);
  for (auto& b : input.data) b = uint8_t(rng.next_u32());

  auto measure = [&](const char* label, int mode) {
    double best = 1e30;
    ExtensionResult last;
    uint64_t trace_bytes = 0;
    for (int i = 0; i < reps; ++i) {
      CountingSink counting;
      std::unique_ptr<FileSink> file;
      std::unique_ptr<TraceWriter> writer;
      ExtensionConfig cfg;
      if (mode == 1) {
        writer = std::make_unique<TraceWriter>(counting, chunk_records);
      } else if (mode == 2) {
        file = std::move(*FileSink::open(trace_path));
        writer = std::make_unique<TraceWriter>(*file, chunk_records);
      }
      cfg.trace = writer.get();
      Stopwatch sw;
      auto r = run_extension(*m, input, cfg);
      if (file) (void)file->close();
      const double s = sw.seconds();
      if (!r || r->status != ExtensionResult::Status::kOk) {
        std::fprintf(stderr, "%s: run failed\n", label);
        std::exit(1);
      }
      last = *r;
      if (mode == 1) trace_bytes = counting.bytes_;
      best = std::min(best, s);
    }
    std::printf("%-26s %8.1f ms  %12llu instructions  %7.1f M instructions/s", label, best * 1e3,
                static_cast<unsigned long long>(last.instructions),
                double(last.instructions) / best / 1e6);
    if (trace_bytes) std::printf("  trace %.1f MB", double(trace_bytes) / 1e6);
    std::printf("\n");
    return last;
  };
  std::printf("SHA-256 of %zu MiB in the WASM runtime (best of %d)\n", mib, reps);
  ExtensionResult r = measure("no trace", 0);
  measure("trace to memory sink", 1);
  measure("trace to file", 2);
  std::printf("digest %02x%02x%02x%02x..., gas used %llu\n", r.output[0], r.output[1], r.output[2],
              r.output[3], static_cast<unsigned long long>(r.gas_used));
  std::remove(trace_path.c_str());
  return 0;
}
