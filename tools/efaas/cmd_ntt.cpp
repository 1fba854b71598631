// `efaas ntt roundtrip` and `efaas demo`: NTT forward + inverse on each backend, checked
// against the scalar reference, with throughput.
#include <iostream>
#include <vector>

#include "prover/common/rng.hpp"
#include "prover/common/timer.hpp"
#include "prover/device/backend.hpp"
#include "prover/ntt/ntt.hpp"
#include "tools/efaas/cli.hpp"
#include "tools/efaas/devices_report.hpp"

namespace efaas::cli {

namespace {

struct RoundTripOptions {
  uint32_t log_n = 20;
  size_t cols = 1;
  std::string backend = "all";
  size_t threads = 0;
  uint64_t seed = 1;
};

// Runs the round trip on each requested backend; returns the JSON report and whether every
// backend agreed with the reference and returned the input.
nlohmann::json run_roundtrip(const RoundTripOptions& o, bool& all_ok, Status& error) {
  all_ok = true;
  const size_t n = size_t(1) << o.log_n;
  std::vector<Fp> input(n * o.cols);
  Rng rng(o.seed);
  for (auto& x : input) x = Fp::from_canonical(uint32_t(rng.uniform(Fp::kP)));

  std::vector<Backend> backends;
  if (o.backend == "all") {
    backends = {Backend::kScalar, Backend::kAvx2, Backend::kOpenCl};
  } else {
    auto b = parse_backend(o.backend);
    if (!b) {
      error = b.status();
      return {};
    }
    backends = {*b};
  }
  std::vector<Fp> reference = input;
  NttConfig ref_cfg;
  ref_cfg.backend = Backend::kScalar;
  ref_cfg.threads = o.threads;
  if (Status s = ntt(reference, o.cols, ref_cfg); !s) {
    error = s;
    return {};
  }
  nlohmann::json rows = nlohmann::json::array();
  for (Backend b : backends) {
    nlohmann::json row{{"backend", backend_name(b)}};
    NttConfig cfg;
    cfg.backend = b;
    cfg.threads = o.threads;
    std::vector<Fp> data = input;
    // Untimed warm-up: twiddle tables, thread pools, OpenCL program builds and uploads.
    Status s = ntt(data, o.cols, cfg);
    if (s) s = intt(data, o.cols, cfg);
    Stopwatch sw;
    if (s) s = ntt(data, o.cols, cfg);
    double fwd = sw.seconds();
    if (!s) {
      row["status"] = s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kUnimplemented
                          ? "unavailable"
                          : "error";
      row["reason"] = s.message();
      if (row["status"] == "error") all_ok = false;
      rows.push_back(row);
      continue;
    }
    bool matches = data == reference;
    sw.reset();
    s = intt(data, o.cols, cfg);
    double inv = sw.seconds();
    bool round_trip = s.is_ok() && data == input;
    row["status"] = (matches && round_trip) ? "ok" : "mismatch";
    row["matches_scalar"] = matches;
    row["round_trip"] = round_trip;
    row["forward_ms"] = fwd * 1e3;
    row["inverse_ms"] = inv * 1e3;
    row["forward_melem_per_s"] = double(n * o.cols) / fwd / 1e6;
    all_ok = all_ok && matches && round_trip;
    rows.push_back(row);
  }
  return nlohmann::json{{"log_n", o.log_n}, {"cols", o.cols}, {"seed", o.seed},
                        {"threads", effective_threads_label(o.threads)}, {"results", rows}};
}

void print_roundtrip_text(const nlohmann::json& j) {
  std::cout << "NTT round trip: 2^" << j["log_n"] << " x " << j["cols"] << " column(s), threads "
            << j["threads"].get<std::string>() << ", seed " << j["seed"] << "\n";
  for (const auto& r : j["results"]) {
    std::cout << "  " << r["backend"].get<std::string>() << ": ";
    if (r["status"] == "unavailable" || r["status"] == "error") {
      std::cout << r["status"].get<std::string>() << " (" << r["reason"].get<std::string>()
                << ")\n";
      continue;
    }
    std::printf("%s  forward %.2f ms (%.1f M elements/s), inverse %.2f ms%s\n",
                r["status"].get<std::string>().c_str(), r["forward_ms"].get<double>(),
                r["forward_melem_per_s"].get<double>(), r["inverse_ms"].get<double>(),
                r["matches_scalar"].get<bool>() ? ", matches scalar" : ", DIFFERS FROM SCALAR");
  }
  std::cout.flush();
}

void add_roundtrip_options(CLI::App* cmd, RoundTripOptions& o) {
  cmd->add_option("--log-n", o.log_n, "log2 of the column length")->check(CLI::Range(0, 27));
  cmd->add_option("--cols", o.cols, "number of columns")->check(CLI::Range(1, 4096));
  cmd->add_option("--backend", o.backend, "scalar, avx2, opencl or all");
  cmd->add_option("--threads", o.threads, "CPU threads (0: one per core)");
  cmd->add_option("--seed", o.seed, "seed of the random input");
}

}  // namespace

std::string effective_threads_label(size_t threads) {
  return threads == 0 ? "all cores" : std::to_string(threads);
}

void register_ntt_commands(CLI::App& app) {
  CLI::App* group = app.add_subcommand("ntt", "Number-theoretic transforms over BabyBear");
  group->require_subcommand(1);
  static Output out;
  static RoundTripOptions rt;
  CLI::App* cmd = add_command(*group, "roundtrip",
                              "Forward + inverse NTT on random data per backend, checked against "
                              "the scalar reference, with throughput",
                              out, []() -> int {
                                bool ok = false;
                                Status err;
                                nlohmann::json j = run_roundtrip(rt, ok, err);
                                if (!err) return out.error(err);
                                if (out.json) {
                                  out.emit_json(j);
                                } else {
                                  print_roundtrip_text(j);
                                }
                                return ok ? kExitOk : kExitCheckFailed;
                              });
  add_roundtrip_options(cmd, rt);

  static Output demo_out;
  static RoundTripOptions demo;
  CLI::App* demo_cmd = add_command(app, "demo",
                                   "The eFaaS demo: this machine's devices, then an NTT round "
                                   "trip on every backend",
                                   demo_out, []() -> int {
                                     nlohmann::json devices = devices_json();
                                     bool ok = false;
                                     Status err;
                                     nlohmann::json j = run_roundtrip(demo, ok, err);
                                     if (!err) return demo_out.error(err);
                                     if (demo_out.json) {
                                       demo_out.emit_json({{"devices", devices}, {"ntt", j}});
                                     } else {
                                       print_devices_text(devices);
                                       std::cout << "\n";
                                       print_roundtrip_text(j);
                                     }
                                     return ok ? kExitOk : kExitCheckFailed;
                                   });
  add_roundtrip_options(demo_cmd, demo);
}

}  // namespace efaas::cli
