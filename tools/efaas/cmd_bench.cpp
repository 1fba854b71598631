// `efaas bench`: calibrates a machine the way a capacity provider needs it: proving throughput
// per job kind (Groth16 constraints/s and proving units/s; zkWASM once it lands) and the kernel
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
#include "prover/groth16/groth16.hpp"
#include "prover/msm/msm.hpp"
#include "prover/ntt/ntt.hpp"
#include "tools/efaas/cli.hpp"

namespace efaas::cli {

namespace {

using nlohmann::json;
using namespace efaas::bn254;

struct BenchOptions {
  std::vector<uint32_t> ntt_logs = {12, 14, 16, 18, 20};
  std::vector<uint32_t> msm_logs = {10, 12, 14, 16};
  std::vector<std::string> circuits;
  std::string ntt_backend = "auto";
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

Limbs random_scalar(Rng& rng) {
  for (;;) {
    Limbs l{rng.next_u64(), rng.next_u64(), rng.next_u64(), rng.next_u64() >> 2};
    if (Fr::is_canonical(l)) return l;
  }
}

std::vector<G1Affine> random_points(size_t n, Rng& rng) {
  using J = Jacobian<decltype(g1_generator().x)>;
  J g = J::from_affine(g1_generator());
  J p = g.mul(random_scalar(rng)), step = g.mul(random_scalar(rng));
  std::vector<J> js(n);
  for (size_t i = 0; i < n; ++i) {
    js[i] = p;
    p += step;
  }
  std::vector<G1Affine> out(n);
  batch_to_affine(js.data(), out.data(), n);
  return out;
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
    << "'>job size (elements, points, constraints)</text>\n";
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
  // zkWASM: no engine yet, so no figure (never an invented one).
  for (const char* k : {"zkwasm-trace", "zkwasm-module"}) {
    report["unavailable"][k] = "prover/zkwasm has not landed in this build";
    if (!out.json) std::printf("%-10s %-34s %14s %18s\n", "zkwasm", k, "-", "unavailable");
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
  for (auto* s : {&g16, &ntt_s, &msm_s}) {
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
  b->add_option("--ntt-backend", o.ntt_backend, "auto, scalar, avx2 or opencl");
  b->add_option("--threads", o.threads, "CPU threads (0: one per core)");
  b->add_option("--reps", o.reps, "repetitions (best is kept)");
  b->add_option("-o,--out", o.out_json, "write the calibration JSON here");
  b->add_option("--plot", o.plot, "write an SVG plot of throughput against size here");
}

}  // namespace efaas::cli
