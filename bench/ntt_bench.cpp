// NTT benchmark: forward transforms at 2^16, 2^20, 2^22 for 1 and 64 columns on each backend,
// 1 and 2 threads. Reports the median and minimum of several runs, ns and TSC cycles per
// butterfly, and elements/s; writes JSON (--json FILE) and a Markdown table to stdout.
//
//   build/bin/ntt_bench [--sizes 16,20,22] [--cols 1,64] [--backends scalar,avx2,opencl]
//                       [--threads 1,2] [--reps 7] [--order bitrev|natural] [--json out.json]

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "prover/common/rng.hpp"
#include "prover/common/timer.hpp"
#include "prover/common/topology.hpp"
#include "prover/device/backend.hpp"
#include "prover/ntt/ntt.hpp"

using namespace efaas;

int main(int argc, char** argv) {
  CLI::App app{"NTT benchmark (forward, BabyBear)"};
  std::vector<uint32_t> sizes = {16, 20, 22};
  std::vector<size_t> col_counts = {1, 64};
  std::vector<std::string> backends = {"scalar", "avx2", "opencl"};
  std::vector<size_t> thread_counts = {1, 2};
  int reps = 7;
  std::string order = "bitrev";
  std::string json_path;
  size_t max_elements = size_t(1) << 28;  // 1 GiB of data at most
  app.add_option("--sizes", sizes, "log2 sizes")->delimiter(',');
  app.add_option("--cols", col_counts, "column counts")->delimiter(',');
  app.add_option("--backends", backends, "backends")->delimiter(',');
  app.add_option("--threads", thread_counts, "thread counts")->delimiter(',');
  app.add_option("--reps", reps, "repetitions per configuration (median reported)");
  app.add_option("--order", order, "output order: bitrev (no permutation) or natural");
  app.add_option("--json", json_path, "write results as JSON to this file");
  app.add_option("--max-elements", max_elements, "skip configurations larger than this");
  CLI11_PARSE(app, argc, argv);

  const double hz = tsc_hz();
  nlohmann::json results = nlohmann::json::array();
  std::printf("| backend | log n | cols | threads | median ms | min ms | CPU ms | ns/butterfly | "
              "cycles/butterfly (TSC, wall x threads) | cycles/butterfly (CPU time) | "
              "M elements/s |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (uint32_t log_n : sizes) {
    for (size_t cols : col_counts) {
      const size_t n = size_t(1) << log_n;
      if (n * cols > max_elements) continue;
      std::vector<Fp> data(n * cols);
      Rng rng(1);
      for (auto& x : data) x = Fp::from_canonical(uint32_t(rng.uniform(Fp::kP)));
      for (const std::string& bname : backends) {
        auto backend = parse_backend(bname);
        if (!backend || !resolve_backend(*backend)) {
          std::fprintf(stderr, "skipping %s: unavailable\n", bname.c_str());
          continue;
        }
        for (size_t threads : thread_counts) {
          if (*backend == Backend::kOpenCl && threads != thread_counts.front()) continue;
          NttConfig cfg;
          cfg.backend = *backend;
          cfg.threads = threads;
          cfg.output_order = order == "natural" ? Order::kNatural : Order::kBitReversed;
          // Warm-up: twiddle tables, thread pool, OpenCL program build.
          Status s = ntt(data, cols, cfg);
          if (!s) {
            std::fprintf(stderr, "%s: %s\n", bname.c_str(), s.to_string().c_str());
            break;
          }
          std::vector<double> secs, cpu;
          std::vector<uint64_t> cycles;
          for (int r = 0; r < reps; ++r) {
            Stopwatch sw;
            const double c0 = process_cpu_seconds();
            uint64_t t0 = read_tsc();
            (void)ntt(data, cols, cfg);
            cycles.push_back(read_tsc() - t0);
            cpu.push_back(process_cpu_seconds() - c0);
            secs.push_back(sw.seconds());
          }
          std::sort(cpu.begin(), cpu.end());
          const double cpu_median = cpu[cpu.size() / 2];
          std::vector<double> sorted = secs;
          std::sort(sorted.begin(), sorted.end());
          std::sort(cycles.begin(), cycles.end());
          const double median = sorted[sorted.size() / 2], best = sorted.front();
          const double butterflies = double(n / 2) * log_n * cols;
          const double ns_bf = median * 1e9 / butterflies;
          // Cycles per butterfly per core used: total TSC cycles x threads / butterflies.
          const double cyc_bf = double(cycles[cycles.size() / 2]) * threads / butterflies;
          const double eps = double(n * cols) / median / 1e6;
          const double cpu_cyc_bf = cpu_median * hz / butterflies;
          std::printf("| %s | %u | %zu | %zu | %.3f | %.3f | %.3f | %.3f | %.2f | %.2f | %.1f |\n",
                      bname.c_str(), log_n, cols, threads, median * 1e3, best * 1e3,
                      cpu_median * 1e3, ns_bf, cyc_bf, cpu_cyc_bf, eps);
          std::fflush(stdout);
          results.push_back({{"backend", bname},
                             {"log_n", log_n},
                             {"cols", cols},
                             {"threads", threads},
                             {"median_ms", median * 1e3},
                             {"min_ms", best * 1e3},
                             {"ns_per_butterfly", ns_bf},
                             {"cycles_per_butterfly_per_core", cyc_bf},
                             {"cpu_ms", cpu_median * 1e3},
                             {"cycles_per_butterfly_cpu_time", cpu_cyc_bf},
                             {"melements_per_s", eps},
                             {"reps", reps}});
        }
      }
    }
  }
  nlohmann::json doc{{"benchmark", "ntt_forward"},
                     {"order", order},
                     {"tsc_ghz", hz / 1e9},
                     {"cpu", topology().cpu_model},
                     {"cores", topology().cores},
                     {"results", results}};
  if (!json_path.empty()) {
    std::ofstream(json_path) << doc.dump(2) << "\n";
  }
  std::printf("\nTSC %.3f GHz, %s, %d cores\n", hz / 1e9, topology().cpu_model.c_str(),
              topology().cores);
  return 0;
}
