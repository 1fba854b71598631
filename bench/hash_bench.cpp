// Hashing benchmark: Poseidon2 permutations per second (scalar vs AVX2, 1 and 2 threads) and
// Merkle tree building for 2^20 x 8 and 2^18 x 64 matrices (row- and column-major) per backend
// and thread count. Prints a Markdown table; `--quick` runs smaller sizes.
//   build/bin/hash_bench [--quick] [--reps N]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "prover/common/cpu_features.hpp"
#include "prover/common/rng.hpp"
#include "prover/common/timer.hpp"
#include "prover/hash/transcript.hpp"
#include "prover/merkle/merkle.hpp"

using namespace efaas;

namespace {

std::vector<Backend> bench_backends() {
  std::vector<Backend> out{Backend::kScalar};
  if (avx2_usable()) out.push_back(Backend::kAvx2);
  if (resolve_backend(Backend::kOpenCl).is_ok()) out.push_back(Backend::kOpenCl);
  return out;
}

// OpenCL rows run on the device's own threads (PoCL: one per core); the pool size is moot there.
std::string threads_label(Backend b, size_t threads) {
  return b == Backend::kOpenCl ? "device" : std::to_string(threads);
}

// CPU seconds of the fastest of the last run, for the table: on a shared machine the wall time
// includes other processes' time slices, the process CPU time does not.
double g_cpu = 0;

// Best of `reps` runs (wall seconds); g_cpu gets the process CPU seconds of that run.
template <typename F>
double best_of(int reps, F f) {
  double best = 1e100;
  for (int i = 0; i < reps; ++i) {
    const double c0 = process_cpu_seconds();
    Stopwatch sw;
    f();
    const double t = sw.seconds();
    if (t < best) {
      best = t;
      g_cpu = process_cpu_seconds() - c0;
    }
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  int reps = 3;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) {
      quick = true;
    } else if (!std::strcmp(argv[i], "--reps") && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--quick] [--reps N]\n", argv[0]);
      return 2;
    }
  }
  Rng rng(1);
  auto rand_fp = [&] { return Fp::from_canonical(uint32_t(rng.uniform(Fp::kP))); };

  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) < 0) load[0] = -1;
  std::printf("load average at start: %.2f\n\n", load[0]);
  std::printf(
      "| operation | backend | threads | wall | CPU | rate (per CPU second) |\n"
      "|---|---|---|---|---|---|\n");
  const size_t perms = quick ? (1 << 14) : (1 << 18);
  std::vector<Poseidon2State> states(perms);
  for (auto& s : states) {
    for (auto& x : s) x = rand_fp();
  }
  for (Backend b : bench_backends()) {
    for (size_t threads : {1, 2}) {
      if (b == Backend::kOpenCl && threads != 1) continue;  // the device's own parallelism
      HashConfig cfg;
      cfg.backend = b;
      cfg.threads = threads;
      double t = best_of(reps, [&] {
        if (!poseidon2_permute_batch(states, cfg).is_ok()) std::abort();
      });
      std::printf(
          "| Poseidon2 x %zu permutations | %s | %s | %.1f ms | %.1f ms | %.2f M perm/s |\n", perms,
          backend_name(b), threads_label(b, threads).c_str(), t * 1e3, g_cpu * 1e3,
          perms / g_cpu / 1e6);
    }
  }

  struct Shape {
    uint32_t log_rows;
    size_t cols;
  };
  const std::vector<Shape> shapes =
      quick ? std::vector<Shape>{{14, 8}, {12, 64}} : std::vector<Shape>{{20, 8}, {18, 64}};
  for (const Shape& sh : shapes) {
    const size_t rows = size_t(1) << sh.log_rows;
    std::vector<Fp> data(rows * sh.cols);
    for (auto& x : data) x = rand_fp();
    for (Layout layout : {Layout::kRowMajor, Layout::kColMajor}) {
      MatrixView m{data.data(), rows, sh.cols, layout};
      Digest first{};
      bool have = false;
      for (Backend b : bench_backends()) {
        for (size_t threads : {1, 2}) {
          if (b == Backend::kOpenCl && threads != 1) continue;
          HashConfig cfg;
          cfg.backend = b;
          cfg.threads = threads;
          Digest root{};
          double t = best_of(reps, [&] {
            auto tree = MerkleTree::build(std::vector<MatrixView>{m}, cfg);
            if (!tree) std::abort();
            root = tree->root();
          });
          if (have && root != first) {
            std::fprintf(stderr, "root mismatch on %s\n", backend_name(b));
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
              backend_name(b), threads_label(b, threads).c_str(), t * 1e3, g_cpu * 1e3,
              hashes / g_cpu / 1e6, double(rows * sh.cols * sizeof(Fp)) / g_cpu / 1e6);
        }
      }
    }
  }

  // Grinding: time to find a 16-bit proof-of-work witness (expected 2^16 permutations).
  for (Backend b : bench_backends()) {
    for (size_t threads : {1, 2}) {
      if (b == Backend::kOpenCl && threads != 1) continue;
      GrindConfig cfg;
      cfg.backend = b;
      cfg.threads = threads;
      Transcript base("bench");
      uint32_t witness = 0;
      double t = best_of(reps, [&] {
        Transcript tr = base;
        auto w = tr.grind(16, cfg);
        if (!w) std::abort();
        witness = w->to_canonical();
      });
      std::printf("| grind 16 bits (witness %u) | %s | %s | %.1f ms | %.1f ms | |\n", witness,
                  backend_name(b), threads_label(b, threads).c_str(), t * 1e3, g_cpu * 1e3);
    }
  }
  return 0;
}
