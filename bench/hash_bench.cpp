// Hashing benchmark: Poseidon2 permutations per second (scalar, AVX2 8-wide, AVX-512 16-wide,
// OpenCL; 1 and 2 threads), Merkle tree building for 2^20 x 8 and 2^18 x 64 matrices (row-
// and column-major) per kernel and thread count, and Merkle leaf hashing of zkWASM-like
// column-major LDEs (2^16 x 171 and x 250) with Poseidon2 and BLAKE3 side by side: rows per CPU
// second, bytes per CPU cycle (at /proc/cpuinfo's clock) and BLAKE3's speed-up. "avx2" and
// "avx512" are the same kAvx2 backend with the AVX-512 kernels off and on (set_avx512_hashing),
// in the same process and run window. Every figure is the median of --reps runs. Prints a
// Markdown table; `--quick` runs smaller sizes; `--kernels avx2,avx512` picks the rows (default:
// every one this machine has). `--shape LOGxCOLS` (repeatable) replaces the Merkle shapes, e.g.
// 18x134 for the zkWASM execution table's width; `--leaf-shape LOGxCOLS` the leaf shapes;
// `--leaves-only` runs the leaf comparison alone.
//   build/bin/hash_bench [--quick] [--reps N] [--kernels LIST] [--shape LOGxCOLS]...
//                        [--leaf-shape LOGxCOLS]... [--leaves-only]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <algorithm>
#include <utility>
#include <string>
#include <vector>

#include "prover/common/cpu_features.hpp"
#include "prover/common/rng.hpp"
#include "prover/common/thread_pool.hpp"
#include "prover/common/timer.hpp"
#include "prover/hash/blake3.hpp"
#include "prover/hash/blake3_opencl.hpp"
#include "prover/hash/hash_backend.hpp"
#include "prover/hash/poseidon2_opencl.hpp"
#include "prover/hash/transcript.hpp"
#include "prover/merkle/merkle.hpp"

using namespace efaas;

namespace {

// One row kind: a backend, and for kAvx2 whether the AVX-512 kernels are on.
struct Kernel {
  const char* name;
  Backend backend;
  bool avx512;
};

std::vector<Kernel> bench_kernels(const std::string& only) {
  std::vector<Kernel> all{{"scalar", Backend::kScalar, false}};
  if (avx2_usable()) all.push_back({"avx2", Backend::kAvx2, false});
  if (avx2_usable() && avx512_usable()) all.push_back({"avx512", Backend::kAvx2, true});
  if (resolve_backend(Backend::kOpenCl).is_ok()) all.push_back({"opencl", Backend::kOpenCl, false});
  if (only.empty()) return all;
  std::vector<Kernel> out;
  for (const Kernel& k : all) {
    if (("," + only + ",").find("," + std::string(k.name) + ",") != std::string::npos)
      out.push_back(k);
  }
  return out;
}

// Sets the kernel up for the next runs and returns its HashConfig.
HashConfig use(const Kernel& k, size_t threads) {
  set_avx512_hashing(k.avx512);
  HashConfig cfg;
  cfg.backend = k.backend;
  cfg.threads = threads;
  return cfg;
}

// OpenCL rows run on the device's own threads (PoCL: one per core); the pool size is moot there.
std::string threads_label(const Kernel& k, size_t threads) {
  return k.backend == Backend::kOpenCl ? "device" : std::to_string(threads);
}

// Process CPU seconds (median) of the last measurement, for the table: on a shared machine the
// wall time includes other processes' time slices, the process CPU time does not.
double g_cpu = 0;

// Medians of `reps` runs: returns the wall seconds; g_cpu gets the process CPU seconds.
template <typename F>
double median_of(int reps, F f) {
  std::vector<double> wall, cpu;
  for (int i = 0; i < reps; ++i) {
    const double c0 = process_cpu_seconds();
    Stopwatch sw;
    f();
    wall.push_back(sw.seconds());
    cpu.push_back(process_cpu_seconds() - c0);
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  g_cpu = cpu[cpu.size() / 2];
  return wall[wall.size() / 2];
}

// The CPU clock /proc/cpuinfo reports (GHz), to turn CPU seconds into cycles; 0 if unknown.
double cpu_ghz() {
  FILE* f = std::fopen("/proc/cpuinfo", "r");
  if (f == nullptr) return 0;
  char line[256];
  double mhz = 0;
  while (std::fgets(line, sizeof line, f)) {
    if (std::sscanf(line, "cpu MHz : %lf", &mhz) == 1) break;
  }
  std::fclose(f);
  return mhz / 1e3;
}

// BLAKE3 Merkle leaves of `m` on the kernel's backend, split over threads like
// hash_matrix_rows splits Poseidon2's (the same grain).
void blake3_leaves(const MatrixView& m, std::span<Digest> out, const HashConfig& cfg) {
  const std::vector<MatrixView> mats{m};
  if (cfg.backend == Backend::kOpenCl) {
    if (!opencl_blake3_hash_matrix_rows(mats, out, cfg.opencl_device).is_ok()) std::abort();
    return;
  }
  auto k = blake3_kernels_for(cfg.backend);
  if (!k) std::abort();
  const size_t grain = std::max<size_t>(8, 4096 / std::max<size_t>(1, m.cols));
  ThreadPool::with_threads(cfg.threads).parallel_for(m.rows, grain, [&](size_t b, size_t e) {
    (*k)->hash_rows(mats, b, e - b, out.data() + b);
  });
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  int reps = 3;
  std::string only;
  struct Shape {
    uint32_t log_rows;
    size_t cols;
  };
  std::vector<Shape> custom_shapes, leaf_shapes;
  bool leaves_only = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) {
      quick = true;
    } else if (!std::strcmp(argv[i], "--reps") && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--kernels") && i + 1 < argc) {
      only = argv[++i];
    } else if (!std::strcmp(argv[i], "--leaves-only")) {
      leaves_only = true;
    } else if ((!std::strcmp(argv[i], "--shape") || !std::strcmp(argv[i], "--leaf-shape")) &&
               i + 1 < argc) {
      const bool leaf = !std::strcmp(argv[i], "--leaf-shape");
      unsigned log_rows = 0;
      size_t cols = 0;
      if (std::sscanf(argv[++i], "%ux%zu", &log_rows, &cols) != 2 || log_rows > 26 || cols == 0) {
        std::fprintf(stderr, "%s: expected LOGxCOLS (LOG <= 26, COLS >= 1), got %s\n",
                     argv[i - 1], argv[i]);
        return 2;
      }
      (leaf ? leaf_shapes : custom_shapes).push_back({log_rows, cols});
    } else {
      std::fprintf(stderr,
                   "usage: %s [--quick] [--reps N] [--kernels scalar,avx2,avx512,opencl] "
                   "[--shape LOGxCOLS]... [--leaf-shape LOGxCOLS]... [--leaves-only]\n",
                   argv[0]);
      return 2;
    }
  }
  Rng rng(1);
  auto rand_fp = [&] { return Fp::from_canonical(uint32_t(rng.uniform(Fp::kP))); };

  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) < 0) load[0] = -1;
  std::printf("load average at start: %.2f; medians of %d runs; B/cycle at %.2f GHz\n\n", load[0],
              reps, cpu_ghz());
  const std::vector<Kernel> kernels = bench_kernels(only);
  std::printf(
      "| operation | backend | threads | wall | CPU | rate (per CPU second) |\n"
      "|---|---|---|---|---|---|\n");
  // Merkle leaves of column-major LDEs, Poseidon2 then BLAKE3 on each kernel and thread count.
  if (leaf_shapes.empty()) {
    leaf_shapes = quick ? std::vector<Shape>{{12, 171}, {12, 250}}
                        : std::vector<Shape>{{16, 171}, {16, 250}};
  }
  const double ghz = cpu_ghz();
  for (const Shape& sh : leaf_shapes) {
    const size_t rows = size_t(1) << sh.log_rows;
    std::vector<Fp> data(rows * sh.cols);
    for (auto& x : data) x = rand_fp();
    const MatrixView m{data.data(), rows, sh.cols, Layout::kColMajor};
    const double bytes = double(rows * sh.cols * sizeof(Fp));
    std::vector<Digest> p2_ref(rows), b3_ref(rows), out(rows);
    bool have_ref = false;
    for (const Kernel& kn : kernels) {
      for (size_t threads : {1, 2}) {
        if (kn.backend == Backend::kOpenCl && threads != 1) continue;
        const HashConfig cfg = use(kn, threads);
        double cpu[2];
        for (int h = 0; h < 2; ++h) {
          const double t = median_of(reps, [&] {
            if (h == 0) {
              if (!hash_matrix_rows(std::vector<MatrixView>{m}, out, cfg).is_ok()) std::abort();
            } else {
              blake3_leaves(m, out, cfg);
            }
          });
          cpu[h] = g_cpu;
          std::vector<Digest>& ref = h == 0 ? p2_ref : b3_ref;
          if (!have_ref) {
            ref = out;
          } else if (out != ref) {
            std::fprintf(stderr, "leaf mismatch on %s\n", kn.name);
            return 1;
          }
          char speedup[48] = "";
          if (h == 1) std::snprintf(speedup, sizeof speedup, ", %.1fx Poseidon2", cpu[0] / cpu[1]);
          std::printf(
              "| leaves 2^%u x %zu col-major %s | %s | %s | %.1f ms | %.1f ms | %.2f M rows/s, "
              "%.2f B/cycle%s |\n",
              sh.log_rows, sh.cols, h == 0 ? "Poseidon2" : "BLAKE3", kn.name,
              threads_label(kn, threads).c_str(), t * 1e3, g_cpu * 1e3, rows / g_cpu / 1e6,
              ghz > 0 ? bytes / (g_cpu * ghz * 1e9) : 0.0, speedup);
        }
        have_ref = true;
      }
    }
  }
  if (leaves_only) return 0;

  const size_t perms = quick ? (1 << 14) : (1 << 18);
  std::vector<Poseidon2State> states(perms);
  for (auto& s : states) {
    for (auto& x : s) x = rand_fp();
  }
  for (const Kernel& kn : kernels) {
    for (size_t threads : {1, 2}) {
      if (kn.backend == Backend::kOpenCl && threads != 1) continue;  // the device's parallelism
      const HashConfig cfg = use(kn, threads);
      double t = median_of(reps, [&] {
        if (!poseidon2_permute_batch(states, cfg).is_ok()) std::abort();
      });
      std::printf(
          "| Poseidon2 x %zu permutations | %s | %s | %.1f ms | %.1f ms | %.2f M perm/s |\n", perms,
          kn.name, threads_label(kn, threads).c_str(), t * 1e3, g_cpu * 1e3,
          perms / g_cpu / 1e6);
    }
  }

  // Single permutations one after the other (each depends on the last): the latency-bound
  // calls of the transcript and the verifier. "scalar" is the reference, "avx512" the
  // one-register version (poseidon2_permute picks it where AVX-512 is usable).
  for (const Kernel& kn : kernels) {
    if (kn.backend != Backend::kScalar && !kn.avx512) continue;
    set_avx512_hashing(kn.avx512);
    const size_t chain = quick ? (1 << 12) : (1 << 16);
    Poseidon2State st = states[0];
    double t = median_of(reps, [&] {
      for (size_t i = 0; i < chain; ++i) poseidon2_permute(st);
    });
    std::printf("| Poseidon2 x %zu chained single permutations | %s | 1 | %.1f ms | %.1f ms | %.2f M perm/s |\n",
                chain, kn.name, t * 1e3, g_cpu * 1e3, chain / g_cpu / 1e6);
  }

  const std::vector<Shape> shapes = !custom_shapes.empty() ? custom_shapes
                                    : quick ? std::vector<Shape>{{14, 8}, {12, 64}}
                                            : std::vector<Shape>{{20, 8}, {18, 64}};
  for (const Shape& sh : shapes) {
    const size_t rows = size_t(1) << sh.log_rows;
    std::vector<Fp> data(rows * sh.cols);
    for (auto& x : data) x = rand_fp();
    for (Layout layout : {Layout::kRowMajor, Layout::kColMajor}) {
      MatrixView m{data.data(), rows, sh.cols, layout};
      Digest first{};
      bool have = false;
      for (const Kernel& kn : kernels) {
        for (size_t threads : {1, 2}) {
          if (kn.backend == Backend::kOpenCl && threads != 1) continue;
          const HashConfig cfg = use(kn, threads);
          Digest root{};
          double t = median_of(reps, [&] {
            auto tree = MerkleTree::build(std::vector<MatrixView>{m}, cfg);
            if (!tree) std::abort();
            root = tree->root();
          });
          if (have && root != first) {
            std::fprintf(stderr, "root mismatch on %s\n", kn.name);
            return 1;
          }
          first = root;
          have = true;
          // Permutations: ceil(cols / 8) per leaf, one per inner node.
          const double hashes = double(rows) * double((sh.cols + 7) / 8) + double(rows - 1);
          std::printf(
              "| Merkle 2^%u x %zu %s | %s | %s | %.1f ms | %.1f ms | %.2f M perm/s, %.0f MB/s "
              "|\n",
              sh.log_rows, sh.cols, layout == Layout::kRowMajor ? "row-major" : "col-major",
              kn.name, threads_label(kn, threads).c_str(), t * 1e3, g_cpu * 1e3,
              hashes / g_cpu / 1e6, double(rows * sh.cols * sizeof(Fp)) / g_cpu / 1e6);
        }
      }
    }
  }

  // Grinding: time to find a 16-bit proof-of-work witness (expected 2^16 permutations).
  for (const Kernel& kn : kernels) {
    for (size_t threads : {1, 2}) {
      if (kn.backend == Backend::kOpenCl && threads != 1) continue;
      set_avx512_hashing(kn.avx512);
      GrindConfig cfg;
      cfg.backend = kn.backend;
      cfg.threads = threads;
      Transcript base("bench");
      uint32_t witness = 0;
      double t = median_of(reps, [&] {
        Transcript tr = base;
        auto w = tr.grind(16, cfg);
        if (!w) std::abort();
        witness = w->to_canonical();
      });
      std::printf("| grind 16 bits (witness %u) | %s | %s | %.1f ms | %.1f ms | |\n", witness,
                  kn.name, threads_label(kn, threads).c_str(), t * 1e3, g_cpu * 1e3);
    }
  }
  return 0;
}
