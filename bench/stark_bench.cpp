// STARK benchmark: prove and verify times with a per-stage breakdown, proof size, conjectured
// security and peak RSS, for Fibonacci (2 columns) and a wide table (64 columns) per backend.
// Each configuration runs in a forked child so that its peak RSS is its own.
//
//   build/bin/stark_bench [--fib 16,20,22] [--wide 18] [--backends scalar,avx2,opencl]
//                         [--preset production|production-poseidon2|test] [--threads 0] [--verify-reps 5]
//                         [--json out.json]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "prover/common/timer.hpp"
#include "prover/common/topology.hpp"
#include "prover/stark/examples.hpp"
#include "prover/stark/stark.hpp"

using namespace efaas;

namespace {

// c_i' = c_i + c_{(i+1) mod w} on every transition: a wide, low-degree table.
air::MachineAir wide_air(uint32_t width) {
  air::MachineAir m;
  m.name = "wide";
  air::TableAir t("wide", width);
  for (uint32_t i = 0; i < width; ++i) {
    t.assert_transition(t.main_next(i) - (t.main(i) + t.main((i + 1) % width)));
  }
  (void)t.finalize(3);
  m.tables.push_back(std::move(t));
  return m;
}

MachineWitness wide_witness(uint32_t width, uint32_t log_n) {
  const size_t n = size_t(1) << log_n;
  std::vector<Fp> cols(width * n);
  for (uint32_t i = 0; i < width; ++i) cols[i * n] = Fp::from_u32(i + 1);
  for (size_t r = 0; r + 1 < n; ++r) {
    for (uint32_t i = 0; i < width; ++i) {
      cols[i * n + r + 1] = cols[i * n + r] + cols[((i + 1) % width) * n + r];
    }
  }
  MachineWitness w;
  w.main.push_back(std::move(cols));
  return w;
}

nlohmann::json run_one(const std::string& kind, uint32_t log_n, Backend backend,
                       const FriParams& params, size_t threads, int verify_reps) {
  air::MachineAir m = kind == "fibonacci" ? examples::fibonacci_air() : wide_air(64);
  MachineWitness w = kind == "fibonacci" ? examples::fibonacci_witness(log_n) : wide_witness(64, log_n);
  StarkConfig cfg;
  cfg.backend = backend;
  cfg.threads = threads;
  auto pk = stark_setup(m, std::vector<std::vector<Fp>>(m.tables.size()), params, cfg);
  if (!pk) return {{"error", pk.status().to_string()}};
  StarkTimings tm;
  const double cpu0 = process_cpu_seconds();
  auto proof = stark_prove(m, *pk, w, cfg, &tm);
  const double prove_cpu = process_cpu_seconds() - cpu0;
  if (!proof) return {{"error", proof.status().to_string()}};
  const auto bytes = serialize_proof(*proof);
  std::vector<double> vt, vcpu;
  for (int i = 0; i < verify_reps; ++i) {
    Stopwatch sw;
    const double c0 = process_cpu_seconds();
    auto parsed = deserialize_proof(bytes);
    Status s = parsed ? stark_verify(m, pk->vk, *parsed) : parsed.status();
    vt.push_back(sw.seconds());
    vcpu.push_back(process_cpu_seconds() - c0);
    if (!s) return {{"error", "verification failed: " + s.to_string()}};
  }
  std::sort(vt.begin(), vt.end());
  std::sort(vcpu.begin(), vcpu.end());
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  const double width = m.tables[0].main_width();
  const double lde_rows = double(size_t(1) << (log_n + params.log_blowup));
  const double chunks = 4.0 * (1u << 1);  // degree-2/3 constraints: 2 quotient chunks (Fp4)
  const double committed_mb = lde_rows * (width + chunks) * 4 / 1e6;
  return {{"air", kind},
          {"log_n", log_n},
          {"backend", backend_name(backend)},
          {"columns", width},
          {"prove_s", tm.total},
          {"prove_cpu_s", prove_cpu},
          {"verify_cpu_ms_median", vcpu[vcpu.size() / 2] * 1e3},
          {"stages_s",
           {{"trace_lde", tm.trace_lde},
            {"trace_commit", tm.trace_commit},
            {"logup", tm.aux},
            {"quotient", tm.quotient},
            {"ood", tm.ood},
            {"deep", tm.deep},
            {"fri", tm.fri}}},
          {"verify_ms_median", vt[vt.size() / 2] * 1e3},
          {"proof_bytes", bytes.size()},
          {"security_bits", conjectured_security_bits(params)},
          {"peak_rss_mb", double(ru.ru_maxrss) / 1024.0},
          {"committed_lde_mb", committed_mb}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"STARK prover benchmark"};
  std::vector<uint32_t> fib = {16, 20, 22};
  std::vector<uint32_t> wide = {18};
  std::vector<std::string> backends = {"scalar", "avx2", "opencl"};
  std::string preset = "production";
  size_t threads = 0;
  int verify_reps = 5;
  std::string json_path;
  app.add_option("--fib", fib, "Fibonacci log sizes")->delimiter(',');
  app.add_option("--wide", wide, "wide-table (64 columns) log sizes")->delimiter(',');
  app.add_option("--backends", backends, "backends")->delimiter(',');
  app.add_option("--preset", preset, "FRI preset: production, production-poseidon2 or test");
  app.add_option("--threads", threads, "CPU threads (0: all cores)");
  app.add_option("--verify-reps", verify_reps, "verification repetitions (median)");
  app.add_option("--json", json_path, "write results as JSON");
  CLI11_PARSE(app, argc, argv);
  auto params = fri_preset(preset);
  if (!params) {
    std::fprintf(stderr, "%s\n", params.status().to_string().c_str());
    return 2;
  }
  std::vector<std::pair<std::string, uint32_t>> configs;
  for (uint32_t n : fib) configs.push_back({"fibonacci", n});
  for (uint32_t n : wide) {
    if (n > 0) configs.push_back({"wide", n});  // --wide 0: none
  }
  nlohmann::json results = nlohmann::json::array();
  std::printf("| AIR | rows | backend | prove s | prove CPU s | LDE | commit | quotient | DEEP | FRI | "
              "verify ms | verify CPU ms | proof KB | bits | peak RSS MB | committed LDE MB |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& [kind, log_n] : configs) {
    for (const std::string& bname : backends) {
      auto b = parse_backend(bname);
      // Availability is checked in the child: OpenCL initialized before fork() (PoCL's threads)
      // deadlocks the child. An unavailable backend comes back as the child's error.
      if (!b) continue;
      int fds[2];
      if (pipe(fds) != 0) return 1;
      pid_t pid = fork();
      if (pid == 0) {
        close(fds[0]);
        std::string out = run_one(kind, log_n, *b, *params, threads, verify_reps).dump();
        (void)!write(fds[1], out.data(), out.size());
        _exit(0);
      }
      close(fds[1]);
      std::string out;
      char buf[4096];
      ssize_t k;
      while ((k = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, size_t(k));
      close(fds[0]);
      int status = 0;
      waitpid(pid, &status, 0);
      if (out.empty()) {
        std::fprintf(stderr, "%s 2^%u %s: child failed\n", kind.c_str(), log_n, bname.c_str());
        continue;
      }
      nlohmann::json r = nlohmann::json::parse(out);
      if (r.contains("error")) {
        std::fprintf(stderr, "%s 2^%u %s: %s\n", kind.c_str(), log_n, bname.c_str(),
                     r["error"].get<std::string>().c_str());
        continue;
      }
      const auto& s = r["stages_s"];
      std::printf("| %s | 2^%u | %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.2f | %.2f | "
                  "%.1f | %.0f | %.0f | %.0f |\n",
                  kind.c_str(), log_n, bname.c_str(), r["prove_s"].get<double>(),
                  r["prove_cpu_s"].get<double>(),
                  s["trace_lde"].get<double>(), s["trace_commit"].get<double>(),
                  s["quotient"].get<double>(), s["deep"].get<double>(), s["fri"].get<double>(),
                  r["verify_ms_median"].get<double>(), r["verify_cpu_ms_median"].get<double>(),
                  r["proof_bytes"].get<double>() / 1024,
                  r["security_bits"].get<double>(), r["peak_rss_mb"].get<double>(),
                  r["committed_lde_mb"].get<double>());
      std::fflush(stdout);
      results.push_back(r);
    }
  }
  if (!json_path.empty()) {
    std::ofstream(json_path) << nlohmann::json{{"benchmark", "stark"},
                                               {"preset", preset},
                                               {"cpu", topology().cpu_model},
                                               {"results", results}}
                                    .dump(2)
                             << "\n";
  }
  return 0;
}
