// BN254 benchmarks: G1/G2 MSM at several sizes and thread counts, and Groth16 proving of the
// fixture circuits side by side with `snarkjs groth16 prove` (the CLI) in the same run.
//
//   bn254_bench [--g1 12,16,18,20] [--g2 16] [--threads 1,2] [--opencl 12,16] [--reps 3]
//               [--circuit DIR ...] [--snarkjs PATH] [--json]
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <time.h>

#include "prover/common/rng.hpp"
#include "prover/common/timer.hpp"
#include "prover/groth16/groth16.hpp"
#include "prover/msm/msm.hpp"
#include "prover/msm/msm_inputs.hpp"

using namespace efaas;
using namespace efaas::bn254;

namespace {

using msm::random_points;
using msm::random_scalar;

double children_cpu_seconds() {
  rusage u;
  getrusage(RUSAGE_CHILDREN, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

// CPU time (ns) each thread of this process has run so far, from /proc/self/task/*/schedstat.
std::map<std::string, uint64_t> thread_cpu_ns() {
  std::map<std::string, uint64_t> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream f(e.path() / "schedstat");
    uint64_t ns = 0;
    if (f >> ns) out[e.path().filename().string()] = ns;
  }
  return out;
}

// One measurement: wall time, process CPU time (all threads) and the CPU time of the busiest
// thread. On a machine shared with other load the wall time is inflated; the busiest thread's
// CPU time is what the wall time would be on idle cores (less any waiting), and the ratio of
// process CPU to it shows how well the work split over the pool.
struct Sample {
  double wall = 0, cpu = 0, busiest = 0;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

// Medians over `reps` runs, each column separately.
template <typename F>
Sample median_of(int reps, F&& f) {
  std::vector<double> wall, cpu, busiest;
  for (int i = 0; i < std::max(reps, 1); ++i) {
    const auto t0 = thread_cpu_ns();
    const double c0 = process_cpu_seconds();
    Stopwatch sw;
    f();
    wall.push_back(sw.seconds());
    cpu.push_back(process_cpu_seconds() - c0);
    uint64_t most = 0;
    for (const auto& [tid, ns] : thread_cpu_ns()) {
      auto it = t0.find(tid);
      most = std::max(most, ns - (it == t0.end() ? 0 : it->second));
    }
    busiest.push_back(double(most) * 1e-9);
  }
  return {median(wall), median(cpu), median(busiest)};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"BN254 MSM and Groth16 benchmark"};
  std::vector<uint32_t> g1_logs, g2_logs, opencl_logs;
  std::vector<size_t> threads = {1, 2};
  std::vector<std::string> circuits;
  std::string snarkjs;
  int reps = 3;
  uint32_t window_bits = 0;
  bool json = false;
  std::string g1_arg = "12,16,18,20", g2_arg = "16", opencl_arg;
  app.add_option("--g1", g1_arg, "log2 sizes of G1 MSMs, comma-separated (\"\": none)");
  app.add_option("--g2", g2_arg, "log2 sizes of G2 MSMs (\"\": none)");
  app.add_option("--opencl", opencl_arg, "log2 sizes of G1 MSMs on OpenCL device 0");
  app.add_option("--threads", threads, "thread counts")->delimiter(',');
  app.add_option("--reps", reps, "repetitions (medians are reported)");
  app.add_option("--circuit", circuits,
                 "directory with circuit.zkey and witness.wtns (repeatable)");
  app.add_option("--snarkjs", snarkjs, "snarkjs CLI to time on the same circuits");
  app.add_option("--window", window_bits, "MSM window bits (0: chosen by size)");
  app.add_flag("--json", json, "print JSON");
  CLI11_PARSE(app, argc, argv);
  auto parse_logs = [](const std::string& arg, std::vector<uint32_t>& out) {
    out.clear();
    size_t pos = 0;
    while (pos < arg.size()) {
      size_t end = arg.find(',', pos);
      if (end == std::string::npos) end = arg.size();
      int v = std::atoi(arg.substr(pos, end - pos).c_str());
      if (v < 0 || v > 26) return false;
      out.push_back(uint32_t(v));
      pos = end + 1;
    }
    return true;
  };
  if (!parse_logs(g1_arg, g1_logs) || !parse_logs(g2_arg, g2_logs) ||
      !parse_logs(opencl_arg, opencl_logs)) {
    std::fprintf(stderr, "sizes are log2 values 0..26, comma-separated\n");
    return 2;
  }

  nlohmann::json report = {{"msm", nlohmann::json::array()},
                           {"groth16", nlohmann::json::array()}};
  Rng rng(1);
  auto run_msm = [&](const char* group, uint32_t log_n, auto g, auto msm_fn) {
    const size_t n = size_t(1) << log_n;
    auto pts = random_points(g, n, rng);
    std::vector<Limbs> ks(n);
    for (auto& k : ks) k = random_scalar(rng);
    for (size_t t : threads) {
      msm::MsmConfig cfg;
      cfg.threads = t;
      cfg.window_bits = window_bits;
      const Sample m = median_of(reps, [&] {
        auto r = msm_fn(pts, ks, cfg);
        if (!r.is_ok()) std::abort();
      });
      uint32_t c = window_bits ? window_bits : msm::default_window_bits(n);
      report["msm"].push_back({{"group", group}, {"log_n", log_n}, {"threads", t},
                               {"ms", m.wall * 1e3}, {"cpu_ms", m.cpu * 1e3},
                               {"busiest_thread_ms", m.busiest * 1e3}, {"window_bits", c}});
      if (!json) {
        std::printf("%s MSM 2^%-2u threads %zu: %9.1f ms wall, %9.1f ms CPU, %9.1f ms busiest "
                    "thread (window %u)\n",
                    group, log_n, t, m.wall * 1e3, m.cpu * 1e3, m.busiest * 1e3, c);
        std::fflush(stdout);
      }
    }
  };
  for (uint32_t l : g1_logs) {
    run_msm("G1", l, g1_generator(), [](auto& p, auto& k, auto& c) { return msm::msm_g1(p, k, c); });
  }
  // OpenCL G1 (device 0), one row per size; the first call also builds the program.
  for (uint32_t log_n : opencl_logs) {
    const size_t n = size_t(1) << log_n;
    auto pts = random_points(g1_generator(), n, rng);
    std::vector<Limbs> ks(n);
    for (auto& k : ks) k = random_scalar(rng);
    msm::MsmConfig cfg;
    cfg.backend = Backend::kOpenCl;
    cfg.window_bits = window_bits;
    auto warm = msm::msm_g1(pts, ks, cfg);
    if (!warm.is_ok()) {
      std::fprintf(stderr, "OpenCL MSM: %s\n", warm.status().to_string().c_str());
      break;
    }
    auto cpu_ref = msm::msm_g1(pts, ks);
    const bool same = cpu_ref.is_ok() && *cpu_ref == *warm;
    const Sample m = median_of(reps, [&] {
      if (!msm::msm_g1(pts, ks, cfg).is_ok()) std::abort();
    });
    report["msm"].push_back({{"group", "G1"}, {"log_n", log_n}, {"backend", "opencl"},
                             {"ms", m.wall * 1e3}, {"cpu_ms", m.cpu * 1e3},
                             {"matches_cpu", same}});
    if (!json) {
      std::printf("G1 MSM 2^%-2u OpenCL   : %9.1f ms wall, %9.1f ms host CPU%s\n", log_n,
                  m.wall * 1e3, m.cpu * 1e3, same ? "" : " (DIFFERS FROM CPU)");
      std::fflush(stdout);
    }
  }
  for (uint32_t l : g2_logs) {
    run_msm("G2", l, g2_generator(), [](auto& p, auto& k, auto& c) { return msm::msm_g2(p, k, c); });
  }

  for (const std::string& dir : circuits) {
    const std::string zkey_path = dir + "/circuit.zkey", wtns_path = dir + "/witness.wtns";
    auto zkey = groth16::read_zkey(zkey_path);
    auto wtns = groth16::read_wtns(wtns_path);
    if (!zkey.is_ok() || !wtns.is_ok()) {
      std::fprintf(stderr, "%s\n", (zkey.is_ok() ? wtns.status() : zkey.status()).to_string().c_str());
      return 2;
    }
    std::string name = std::filesystem::path(dir).filename().string();
    if (name.empty()) name = std::filesystem::path(dir).parent_path().filename().string();
    struct Ours {
      size_t threads;
      Sample m;
    };
    std::vector<Ours> ours;
    for (size_t t : threads) {
      groth16::ProveConfig cfg;
      cfg.msm.threads = t;
      std::vector<double> msm_s, ntt_s, qap_s;
      const double load = median_of(1, [&] { auto z = groth16::read_zkey(zkey_path); }).wall;
      const Sample m = median_of(reps, [&] {
        auto r = groth16::prove(*zkey, *wtns, cfg);
        if (!r.is_ok()) std::abort();
        msm_s.push_back(r->timings.msm_s);
        ntt_s.push_back(r->timings.ntt_s);
        qap_s.push_back(r->timings.qap_s);
      });
      ours.push_back({t, m});
      const double msm_ms = median(msm_s) * 1e3, ntt_ms = median(ntt_s) * 1e3,
                   qap_ms = median(qap_s) * 1e3;
      report["groth16"].push_back({{"circuit", name}, {"threads", t}, {"prove_ms", m.wall * 1e3},
                                   {"cpu_ms", m.cpu * 1e3},
                                   {"busiest_thread_ms", m.busiest * 1e3},
                                   {"load_ms", load * 1e3}, {"msm_ms", msm_ms},
                                   {"ntt_ms", ntt_ms}, {"qap_ms", qap_ms}});
      if (!json) {
        std::printf("Groth16 %s threads %zu: prove %.1f ms wall, %.1f ms CPU, %.1f ms busiest "
                    "thread (wall: MSM %.1f, NTT %.1f, QAP %.1f), zkey load %.1f ms\n",
                    name.c_str(), t, m.wall * 1e3, m.cpu * 1e3, m.busiest * 1e3, msm_ms,
                    ntt_ms, qap_ms, load * 1e3);
        std::fflush(stdout);
      }
    }
    if (!snarkjs.empty()) {
      auto tmp = std::filesystem::temp_directory_path() / "efaas-bench-snarkjs";
      std::filesystem::create_directories(tmp);
      std::string cmd = snarkjs + " groth16 prove " + zkey_path + " " + wtns_path + " " +
                        (tmp / "proof.json").string() + " " + (tmp / "public.json").string() +
                        " >/dev/null 2>&1";
      bool ok = true;
      // The child's CPU time (node and its worker threads), from RUSAGE_CHILDREN.
      std::vector<double> child;
      const double s = median_of(reps, [&] {
        double c0 = children_cpu_seconds();
        ok = ok && std::system(cmd.c_str()) == 0;
        child.push_back(children_cpu_seconds() - c0);
      }).wall;
      const double child_cpu = median(child);
      std::filesystem::remove_all(tmp);
      report["groth16"].push_back({{"circuit", name}, {"prover", "snarkjs groth16 prove (CLI)"},
                                   {"prove_ms", s * 1e3}, {"cpu_ms", child_cpu * 1e3},
                                   {"ok", ok}});
      if (!json) {
        std::printf("snarkjs groth16 prove %s: %.1f ms wall, %.1f ms CPU%s\n", name.c_str(),
                    s * 1e3, child_cpu * 1e3, ok ? "" : " (FAILED)");
        for (const Ours& o : ours) {
          std::printf("  snarkjs / efaas (%zu threads): %.2fx wall, %.2fx CPU\n", o.threads,
                      s / o.m.wall, child_cpu / o.m.cpu);
        }
      }
    }
  }
  if (json) std::printf("%s\n", report.dump(2).c_str());
  return 0;
}
