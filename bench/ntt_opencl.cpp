// OpenCL NTT throughput: forward transforms on one OpenCL device, warm (program built, twiddles
// uploaded), for 2^log_n x cols. Two figures per case:
//   device   the transform on data already on the device (enqueue + clFinish): the kernels
//   host     ntt() with backend opencl from host memory: upload + kernels + download
// with wall time (best of R) and the process's CPU time per run (all driver threads together;
// on a busy machine wall time is inflated, CPU time much less so).
// Usage: ntt_opencl [--device N] [--reps R] [--json] [LOG_N:COLS ...]  (default 16:1 16:64
// 20:1 20:64). Output: a table, or one JSON object with --json.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "prover/common/rng.hpp"
#include "prover/common/timer.hpp"
#include "prover/ntt/ntt.hpp"
#include "prover/ntt/ntt_opencl.hpp"

using namespace efaas;

namespace {

struct Case {
  uint32_t log_n;
  size_t cols;
};

int usage(const char* msg) {
  std::fprintf(stderr,
               "ntt_opencl: %s\nusage: ntt_opencl [--device N] [--reps R] [--json] "
               "[LOG_N:COLS ...]\n",
               msg);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int device = 0, reps = 5;
  bool json = false;
  std::vector<Case> cases;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--json") {
      json = true;
    } else if ((a == "--device" || a == "--reps") && i + 1 < argc) {
      (a == "--device" ? device : reps) = std::atoi(argv[++i]);
    } else if (auto colon = a.find(':'); colon != std::string::npos) {
      Case c{uint32_t(std::atoi(a.substr(0, colon).c_str())),
             size_t(std::atoll(a.substr(colon + 1).c_str()))};
      if (c.log_n > kMaxLogNtt || c.cols == 0) return usage(("bad case " + a).c_str());
      cases.push_back(c);
    } else {
      return usage(("unknown argument " + a).c_str());
    }
  }
  if (reps < 1) return usage("--reps must be at least 1");
  if (cases.empty()) cases = {{16, 1}, {16, 64}, {20, 1}, {20, 64}};

  Result<OpenClDevice*> dev = OpenClDevice::get(device);
  if (!dev) {
    std::fprintf(stderr, "ntt_opencl: %s\n", dev.status().to_string().c_str());
    return 2;
  }
  nlohmann::json rows = nlohmann::json::array();
  Rng rng(1);
  for (const Case& c : cases) {
    const size_t n = size_t(1) << c.log_n, total = n * c.cols;
    std::vector<Fp> data(total);
    for (auto& x : data) x = Fp::from_canonical(uint32_t(rng.uniform(Fp::kP)));
    TransformSpec spec{c.log_n, false, Order::kNatural, Order::kNatural, Fp::one()};
    Result<OpenClBuffer> buf = (*dev)->upload(std::span<const Fp>(data));
    if (!buf) {
      std::fprintf(stderr, "ntt_opencl: %s\n", buf.status().to_string().c_str());
      return 1;
    }
    double device_s = 1e30, host_s = 1e30, device_cpu = 1e30, host_cpu = 1e30;
    for (int r = 0; r <= reps; ++r) {  // the first round warms up and is not counted
      Stopwatch sw;
      const std::clock_t cpu0 = std::clock();
      Status s = opencl_transform_device(*buf, c.cols, spec);
      if (s) s = (*dev)->finish();
      const double t = sw.seconds();
      const double cpu = double(std::clock() - cpu0) / CLOCKS_PER_SEC;
      if (!s) {
        std::fprintf(stderr, "ntt_opencl: %s\n", s.to_string().c_str());
        return 1;
      }
      if (r > 0) device_s = std::min(device_s, t);
      if (r > 0) device_cpu = std::min(device_cpu, cpu);
    }
    NttConfig cfg;
    cfg.backend = Backend::kOpenCl;
    cfg.opencl_device = device;
    for (int r = 0; r <= reps; ++r) {
      Stopwatch sw;
      const std::clock_t cpu0 = std::clock();
      Status s = ntt(data, c.cols, cfg);
      const double t = sw.seconds();
      const double cpu = double(std::clock() - cpu0) / CLOCKS_PER_SEC;
      if (!s) {
        std::fprintf(stderr, "ntt_opencl: %s\n", s.to_string().c_str());
        return 1;
      }
      if (r > 0) host_s = std::min(host_s, t);
      if (r > 0) host_cpu = std::min(host_cpu, cpu);
    }
    const double butterflies = double(n / 2) * c.log_n * double(c.cols);
    auto row = [&](const char* what, double s, double cpu) {
      return nlohmann::json{{"log_n", c.log_n},
                            {"cols", c.cols},
                            {"mode", what},
                            {"ms", s * 1e3},
                            {"cpu_ms", cpu * 1e3},
                            {"ns_per_butterfly", butterflies > 0 ? s * 1e9 / butterflies : 0.0},
                            {"melem_per_s", double(total) / s / 1e6}};
    };
    rows.push_back(row("device", device_s, device_cpu));
    rows.push_back(row("host", host_s, host_cpu));
  }
  nlohmann::json out{{"device", (*dev)->label()},
                     {"transform", "forward, natural -> natural"},
                     {"reps", reps},
                     {"results", rows}};
  if (json) {
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("OpenCL NTT, forward natural->natural, best of %d, on %s\n", reps,
              (*dev)->label().c_str());
  std::printf("%8s %6s %7s %11s %11s %10s %12s\n", "size", "cols", "mode", "ms", "cpu ms",
              "ns/bfly", "Melem/s");
  for (const auto& r : rows) {
    std::printf("%8s %6zu %7s %11.2f %11.2f %10.2f %12.1f\n",
                ("2^" + std::to_string(r["log_n"].get<uint32_t>())).c_str(),
                r["cols"].get<size_t>(), r["mode"].get<std::string>().c_str(),
                r["ms"].get<double>(), r["cpu_ms"].get<double>(),
                r["ns_per_butterfly"].get<double>(), r["melem_per_s"].get<double>());
  }
  return 0;
}
