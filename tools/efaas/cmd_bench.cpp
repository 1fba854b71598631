// `efaas bench`: calibrates a machine the way a capacity provider needs it: proving throughput
// per job kind (Groth16 constraints/s, zkWASM instructions/s, both as proving units/s) and the kernel
// rates behind them (BabyBear NTT elements/s, BN254 G1 MSM points/s) at several sizes, as a
// table, as JSON (which efaas-farm reads as its calibration_file) and as an SVG plot of
// throughput against job size.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "prover/common/rng.hpp"
#include "prover/common/timer.hpp"
#include "prover/common/topology.hpp"
#include "prover/farm/zkwasm_engine.hpp"
#include "prover/farm/zkwasm_workload.hpp"
#include "prover/fri/fri_params.hpp"
#include "prover/groth16/groth16.hpp"
#include "prover/msm/msm.hpp"
#include "prover/msm/msm_inputs.hpp"
#include "prover/ntt/ntt.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/zkwasm/zkwasm.hpp"
#include "tools/efaas/cli.hpp"

namespace efaas::cli {

namespace {

using nlohmann::json;
using namespace efaas::bn254;

struct BenchOptions {
  std::vector<uint32_t> ntt_logs = {12, 14, 16, 18, 20};
  std::vector<uint32_t> msm_logs = {10, 12, 14, 16};
  std::vector<uint32_t> zkwasm_logs = {10, 12, 14};
  std::string zkwasm_preset = "production";
  std::vector<std::string> circuits;
  std::string ntt_backend = "auto";
  std::string zkwasm_backend = "auto";  // the STARK backend of the zkWASM runs
  size_t threads = 0;
  int reps = 2;
  std::string out_json, plot;
};

template <typename F>
double best_of(int reps, F&& f) {
  double best = 1e300;
  for (int i = 0; i < std::max(1, reps); ++i) {
    Stopwatch sw;
    if (!f()) return -1;
    best = std::min(best, sw.seconds());
  }
  return best;
}

using msm::random_scalar;

std::vector<G1Affine> random_points(size_t n, Rng& rng) {
  return msm::random_points(g1_generator(), n, rng);
}

struct Series {
  std::string name, unit;
  std::vector<std::pair<double, double>> points;  // (job size, throughput)
};

// Throughput against size on log-log axes, one line per series, each normalized to its own
// peak so kernels with different units share one plot (the legend gives the peak).
std::string svg_plot(const std::vector<Series>& series, const std::string& title) {
  const double w = 720, h = 420, l = 70, r = 220, t = 40, b = 50;
  double xmin = 1e300, xmax = 0;
  for (const auto& s : series) {
    for (auto [x, y] : s.points) {
      xmin = std::min(xmin, x);
      xmax = std::max(xmax, x);
    }
  }
  if (xmax <= xmin) xmax = xmin * 2;
  const double lx0 = std::log2(xmin), lx1 = std::log2(xmax);
  auto X = [&](double x) { return l + (std::log2(x) - lx0) / (lx1 - lx0) * (w - l - r); };
  auto Y = [&](double frac) { return t + (1 - frac) * (h - t - b); };
  const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"};
  std::ostringstream o;
  o << "<svg xmlns='http://www.w3.org/2000/svg' width='" << w << "' height='" << h
    << "' font-family='sans-serif' font-size='12'>\n<rect width='100%' height='100%' "
       "fill='white'/>\n";
  o << "<text x='" << l << "' y='22' font-size='14'>" << title << "</text>\n";
  o << "<line x1='" << l << "' y1='" << Y(0) << "' x2='" << w - r << "' y2='" << Y(0)
    << "' stroke='black'/>\n";
  o << "<line x1='" << l << "' y1='" << Y(0) << "' x2='" << l << "' y2='" << Y(1)
    << "' stroke='black'/>\n";
  for (int e = int(std::ceil(lx0)); e <= int(std::floor(lx1)); ++e) {
    o << "<text x='" << X(std::ldexp(1.0, e)) - 10 << "' y='" << Y(0) + 18 << "'>2^" << e
      << "</text>\n";
  }
  for (double f : {0.25, 0.5, 0.75, 1.0}) {
    o << "<text x='" << l - 40 << "' y='" << Y(f) + 4 << "'>" << int(f * 100) << "%</text>\n";
    o << "<line x1='" << l << "' y1='" << Y(f) << "' x2='" << w - r << "' y2='" << Y(f)
      << "' stroke='#ddd'/>\n";
  }
  o << "<text x='" << (l + w - r) / 2 - 60 << "' y='" << h - 10
    << "'>job size (elements, points, constraints, instructions)</text>\n";
  o << "<text x='12' y='" << (t + h - b) / 2 << "' transform='rotate(-90 12 " << (t + h - b) / 2
    << ")'>throughput, % of the series' peak</text>\n";
  for (size_t i = 0; i < series.size(); ++i) {
    const auto& s = series[i];
    double peak = 0;
    for (auto [x, y] : s.points) peak = std::max(peak, y);
    if (peak <= 0) continue;
    const char* c = colors[i % 5];
    o << "<polyline fill='none' stroke='" << c << "' stroke-width='2' points='";
    for (auto [x, y] : s.points) o << X(x) << "," << Y(y / peak) << " ";
    o << "'/>\n";
    for (auto [x, y] : s.points)
      o << "<circle cx='" << X(x) << "' cy='" << Y(y / peak) << "' r='3' fill='" << c << "'/>\n";
    char peak_text[64];
    std::snprintf(peak_text, sizeof peak_text, "%.3g", peak);
    o << "<text x='" << w - r + 10 << "' y='" << t + 20 + 34 * double(i) << "' fill='" << c << "'>"
      << s.name << "</text>\n";
    o << "<text x='" << w - r + 10 << "' y='" << t + 34 + 34 * double(i) << "' fill='" << c
      << "'>peak " << peak_text << " " << s.unit << "</text>\n";
  }
  o << "</svg>\n";
  return o.str();
}

std::string default_circuit() {
  const char* d = std::getenv("EFAAS_SHARED_DIR");
  std::string base = d ? d : "../shared";
  return base + "/fixtures/groth16/poseidon_chain40";
}

int run_bench(BenchOptions o, const Output& out) {
  auto backend = parse_backend(o.ntt_backend);
  if (!backend) return out.error(backend.status());
  if (o.circuits.empty() && std::filesystem::exists(default_circuit() + "/circuit.zkey")) {
    o.circuits.push_back(default_circuit());
  }
  const Topology& topo = topology();
  json report{{"machine",
               {{"cpu", topo.cpu_model}, {"cores", topo.cores}, {"numa_nodes", topo.numa_nodes}}},
              {"threads", effective_threads_label(o.threads)},
              {"kinds", json::object()},
              {"unavailable", json::object()},
              {"groth16", json::array()},
              {"ntt", json::array()},
              {"msm", json::array()}};
  std::vector<Series> plot;
  if (!out.json) std::printf("%-10s %-34s %14s %18s\n", "KIND", "JOB", "TIME", "THROUGHPUT");

  // Groth16: the proof systems as the farm runs them (witness parsing included).
  Series g16{"Groth16 prove", "constraints/s", {}};
  double best_units_per_s = 0;
  for (const auto& dir : o.circuits) {
    auto zkey = groth16::read_zkey(dir + "/circuit.zkey");
    if (!zkey) return out.error(zkey.status());
    groth16::ProveConfig cfg;
    cfg.msm.threads = o.threads;
    double s = best_of(o.reps, [&] {
      auto w = groth16::read_wtns(dir + "/witness.wtns");
      return w && groth16::prove(*zkey, *w, cfg).is_ok();
    });
    if (s <= 0) return out.error(internal_error("groth16 proving failed on " + dir));
    const double domain = zkey->domain_size;
    const double units = std::max(1.0, std::ceil(domain / 1024));
    best_units_per_s = std::max(best_units_per_s, units / s);
    g16.points.push_back({domain, domain / s});
    report["groth16"].push_back({{"circuit", dir},
                                 {"domain", zkey->domain_size},
                                 {"n_vars", zkey->n_vars},
                                 {"seconds", s},
                                 {"constraints_per_second", domain / s},
                                 {"units", units},
                                 {"units_per_second", units / s}});
    if (!out.json) {
      std::printf("%-10s %-34s %11.1f ms %12.0f constr/s (%.2f units/s)\n", "groth16",
                  std::filesystem::path(dir).filename().c_str(), s * 1e3, domain / s, units / s);
    }
  }
  if (best_units_per_s > 0) {
    report["kinds"]["groth16"] = {{"units_per_second", best_units_per_s},
                                  {"unit", "1024 constraints (QAP domain)"}};
  }
  // zkWASM as the farm runs a job once the module's key is cached: witness from the trace,
  // STARK proof, self-check. Process CPU time too: the machine may be shared.
  Series zk_s{"zkWASM prove (" + o.zkwasm_preset + ")", "instructions/s", {}};
  report["zkwasm"] = json::array();
  if (!o.zkwasm_logs.empty()) {
    auto fri = fri_preset(o.zkwasm_preset);
    if (!fri) return out.error_usage("--zkwasm-preset: " + fri.status().message());
    auto zk_backend = parse_backend(o.zkwasm_backend);
    if (!zk_backend) return out.error_usage("--zkwasm-backend: " + zk_backend.status().message());
    if (auto r = resolve_backend(*zk_backend); !r) return out.error(r.status());
    auto program = zkwasm::Program::load(farm::kSumModuleWasm);
    if (!program) return out.error(program.status());
    Stopwatch key_sw;
    if (auto pk = (*program)->proving_key(*fri); !pk) return out.error(pk.status());
    const double key_s = key_sw.seconds();
    // The farm's rate is the largest job's: marginal cost dominates there, and the floor of
    // kZkwasmMinUnits prices the fixed cost of small proofs.
    double zk_units_per_s = 0, zk_largest = 0;
    for (uint32_t lg : o.zkwasm_logs) {
      if (lg < 6 || lg > 20) return out.error_usage("zkWASM sizes are log2 in 6..20");
      const uint64_t n = std::max<uint64_t>(1, (uint64_t(1) << lg) / farm::kSumInstructionsPerStep);
      auto bytes = farm::record_sum_trace(n);
      if (!bytes) return out.error(bytes.status());
      auto trace = wasm::read_trace(*bytes);
      if (!trace) return out.error(trace.status());
      const uint64_t instr = trace->end.instructions;
      zkwasm::ProveOptions po;
      po.params = *fri;
      po.args = {n};
      po.stark.threads = o.threads;
      po.stark.backend = *zk_backend;
      double cpu = 1e300;
      double s = best_of(o.reps, [&] {
        const double c0 = process_cpu_seconds();
        auto b = zkwasm::prove(**program, *trace, po);
        bool good = b.is_ok() && zkwasm::verify(**program, *b).is_ok();
        cpu = std::min(cpu, process_cpu_seconds() - c0);
        return good;
      });
      if (s <= 0) return out.error(internal_error("zkWASM proving failed at 2^" + std::to_string(lg)));
      const double units = double(farm::zkwasm_units(instr));
      if (double(instr) > zk_largest) {
        zk_largest = double(instr);
        zk_units_per_s = units / s;
      }
      zk_s.points.push_back({double(instr), double(instr) / s});
      report["zkwasm"].push_back({{"log_instructions", lg},
                                  {"instructions", instr},
                                  {"preset", o.zkwasm_preset},
                                  {"seconds", s},
                                  {"cpu_seconds", cpu},
                                  {"instructions_per_second", double(instr) / s},
                                  {"instructions_per_cpu_second", double(instr) / cpu},
                                  {"units", units},
                                  {"units_per_second", units / s},
                                  {"key_seconds", key_s}});
      if (!out.json) {
        std::printf("%-10s %-34s %11.1f ms %12.0f instr/s (%.0f per CPU-s; %.2f units/s)\n",
                    "zkwasm", ("sum, " + std::to_string(instr) + " instructions").c_str(), s * 1e3,
                    double(instr) / s, double(instr) / cpu, units / s);
      }
    }
    // Module jobs add the execution, which is negligible next to proving. Measured on OpenCL,
    // they are the farm's rates for its OpenCL slots (calibration "device_kinds").
    const bool on_opencl = *zk_backend == Backend::kOpenCl;
    for (const char* k : {"zkwasm-trace", "zkwasm-module"}) {
      (on_opencl ? report["device_kinds"]["opencl"][k] : report["kinds"][k]) = {
          {"units_per_second", zk_units_per_s},
          {"unit", std::to_string(farm::kZkwasmInstructionsPerUnit) + " WASM instructions"},
          {"preset", o.zkwasm_preset}};
    }
  }

  // NTT (BabyBear), one column of 2^k.
  Series ntt_s{std::string("NTT BabyBear (") + backend_name(*backend) + ")", "elements/s", {}};
  Rng rng(7);
  for (uint32_t lg : o.ntt_logs) {
    if (lg < 4 || lg > 24) return out.error_usage("NTT sizes are log2 in 4..24");
    const size_t n = size_t(1) << lg;
    std::vector<Fp> data(n);
    for (auto& x : data) x = Fp::from_u64(rng.next_u64());
    NttConfig cfg;
    cfg.backend = *backend;
    cfg.threads = o.threads;
    double s = best_of(o.reps + 1, [&] { return ntt(data, 1, cfg).is_ok(); });
    if (s <= 0)
      return out.error(
          unavailable(std::string("NTT on backend ") + backend_name(*backend) + " failed"));
    ntt_s.points.push_back({double(n), double(n) / s});
    report["ntt"].push_back({{"log_n", lg},
                             {"backend", backend_name(*backend)},
                             {"seconds", s},
                             {"elements_per_second", double(n) / s}});
    if (!out.json)
      std::printf("%-10s %-34s %11.3f ms %12.3g elem/s\n", "ntt",
                  ("2^" + std::to_string(lg)).c_str(), s * 1e3, double(n) / s);
  }

  // MSM over BN254 G1.
  Series msm_s{"MSM BN254 G1", "points/s", {}};
  for (uint32_t lg : o.msm_logs) {
    if (lg < 2 || lg > 22) return out.error_usage("MSM sizes are log2 in 2..22");
    const size_t n = size_t(1) << lg;
    auto pts = random_points(n, rng);
    std::vector<Limbs> ks(n);
    for (auto& k : ks) k = random_scalar(rng);
    msm::MsmConfig cfg;
    cfg.threads = o.threads;
    double s = best_of(o.reps, [&] { return msm::msm_g1(pts, ks, cfg).is_ok(); });
    if (s <= 0) return out.error(internal_error("MSM failed"));
    msm_s.points.push_back({double(n), double(n) / s});
    report["msm"].push_back({{"log_n", lg}, {"seconds", s}, {"points_per_second", double(n) / s}});
    if (!out.json)
      std::printf("%-10s %-34s %11.3f ms %12.3g points/s\n", "msm-g1",
                  ("2^" + std::to_string(lg)).c_str(), s * 1e3, double(n) / s);
  }
  for (auto* s : {&g16, &zk_s, &ntt_s, &msm_s}) {
    if (!s->points.empty()) plot.push_back(*s);
  }
  if (!o.out_json.empty()) {
    std::ofstream f(o.out_json, std::ios::trunc);
    f << report.dump(2) << "\n";
    if (!f) return out.error(internal_error("cannot write " + o.out_json));
  }
  if (!o.plot.empty()) {
    std::ofstream f(o.plot, std::ios::trunc);
    f << svg_plot(plot, "efaas bench: " + topo.cpu_model + ", " +
                            effective_threads_label(o.threads) + " threads");
    if (!f) return out.error(internal_error("cannot write " + o.plot));
  }
  if (out.json) {
    out.emit_json(report);
  } else if (!o.out_json.empty() || !o.plot.empty()) {
    std::printf("wrote%s%s%s%s\n", o.out_json.empty() ? "" : " ", o.out_json.c_str(),
                o.plot.empty() ? "" : " ", o.plot.c_str());
  }
  return kExitOk;
}

}  // namespace

void register_bench_commands(CLI::App& app) {
  static Output out;
  static BenchOptions o;
  CLI::App* b =
      add_command(app, "bench",
                  "Calibrate this machine: proving throughput per job kind and NTT/MSM rates; "
                  "writes JSON for efaas-farm's calibration_file and an SVG plot",
                  out, [] { return run_bench(o, out); });
  b->add_option("--circuit", o.circuits,
                "directory with circuit.zkey and witness.wtns (repeatable; "
                "default: the shared poseidon_chain40 fixture)");
  b->add_option("--ntt", o.ntt_logs, "log2 NTT sizes")->delimiter(',');
  b->add_option("--msm", o.msm_logs, "log2 MSM sizes")->delimiter(',');
  b->add_option("--zkwasm", o.zkwasm_logs, "log2 zkWASM trace sizes (instructions)")
      ->delimiter(',');
  b->add_option("--zkwasm-preset", o.zkwasm_preset, "FRI preset of the zkWASM runs");
  b->add_option("--ntt-backend", o.ntt_backend, "auto, scalar, avx2 or opencl");
  b->add_option("--zkwasm-backend", o.zkwasm_backend,
                "STARK backend of the zkWASM runs: auto, scalar, avx2 or opencl (opencl: "
                "written as the farm's OpenCL rate)");
  b->add_option("--threads", o.threads, "CPU threads (0: one per core)");
  b->add_option("--reps", o.reps, "repetitions (best is kept)");
  b->add_option("-o,--out", o.out_json, "write the calibration JSON here");
  b->add_option("--plot", o.plot, "write an SVG plot of throughput against size here");
}

}  // namespace efaas::cli
