// Farm load generator: streams N Groth16 witnesses or zkWASM traces through a real efaas-farm
// on loopback from C concurrent clients and reports proofs/s, p50/p99 latency and the farm's
// overhead against proving the same inputs in-process, back to back, with the same thread
// count.
//
//   build/bin/farm_load --jobs 8 --concurrency 8 [--rounds 3] [--farm-bin build/bin/efaas-farm]
//                       [--fixture ../shared/fixtures/groth16/poseidon_chain40] [--json]
//   build/bin/farm_load --kind zkwasm --zkwasm-log 12 --preset production --jobs 6 ...
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "prover/common/timer.hpp"
#include "prover/farm/client.hpp"
#include "prover/farm/zkwasm_workload.hpp"
#include "prover/fri/fri_params.hpp"
#include "prover/groth16/groth16.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace fs = std::filesystem;
namespace pb = efaas::farm::v1;
namespace fc = efaas::farm::client;
using namespace efaas;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double cpu_seconds(int who) {
  rusage ru{};
  getrusage(who, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5));
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"farm_load: the farm's throughput and overhead against in-process proving"};
  int jobs = 8, concurrency = 8, rounds = 1;
  size_t threads = 0;
  std::string farm_bin = fs::path(argv[0]).parent_path().string() + "/efaas-farm";
  std::string fixture = "../shared/fixtures/groth16/poseidon_chain40";
  bool json_out = false, skip_inprocess = false;
  std::string kind = "groth16", preset = "production";
  uint32_t zkwasm_log = 12, segment_log = 0;
  app.add_option("--kind", kind, "groth16 or zkwasm (sum(n) traces, zkwasm-trace jobs)");
  app.add_option("--zkwasm-log", zkwasm_log, "zkwasm: about 2^K instructions per trace");
  app.add_option("--preset", preset, "zkwasm: FRI preset, production, production-poseidon2 or test");
  app.add_option("--segment-log", segment_log,
                 "zkwasm: segments of 2^N rows on both sides (0: the prover's default, 2^20)");
  app.add_option("--jobs", jobs, "proofs in total");
  app.add_option("--concurrency", concurrency, "clients streaming at once");
  app.add_option("--threads", threads, "prover threads (0: all cores), same for both sides");
  app.add_option("--farm-bin", farm_bin, "the efaas-farm binary");
  app.add_option("--fixture", fixture, "directory with circuit.zkey and witness.wtns");
  app.add_option("--rounds", rounds,
                 "alternate in-process and farm runs this often; the best of each is kept");
  app.add_flag("--skip-inprocess", skip_inprocess, "only the farm side");
  app.add_flag("--json", json_out, "print JSON");
  CLI11_PARSE(app, argc, argv);

  const bool zk = kind == "zkwasm";
  if (!zk && kind != "groth16") {
    std::fprintf(stderr, "farm_load: --kind groth16 or zkwasm\n");
    return 2;
  }
  // The artifact and one input per job. zkWASM jobs get distinct traces (sum(n + i)), so the
  // proof cache never answers; Groth16 jobs distinct parameters.
  std::string artifact_bytes, wtns_bytes;
  std::vector<std::string> traces;
  std::vector<uint64_t> trace_args;
  if (zk) {
    artifact_bytes.assign(std::begin(farm::kSumModuleWasm), std::end(farm::kSumModuleWasm));
    const uint64_t n = (uint64_t(1) << zkwasm_log) / farm::kSumInstructionsPerStep;
    for (int i = 0; i < jobs; ++i) {
      auto t = farm::record_sum_trace(n + uint64_t(i));
      if (!t) return 2;
      traces.emplace_back(t->begin(), t->end());
      trace_args.push_back(n + uint64_t(i));
    }
    if (!fri_preset(preset)) {
      std::fprintf(stderr, "farm_load: --preset %s\n", fri_preset_names());
      return 2;
    }
  } else {
    artifact_bytes = slurp(fixture + "/circuit.zkey");
    wtns_bytes = slurp(fixture + "/witness.wtns");
    if (artifact_bytes.empty() || wtns_bytes.empty()) {
      std::fprintf(stderr, "farm_load: cannot read the fixture in %s\n", fixture.c_str());
      return 2;
    }
  }

  struct Round {
    double inproc_s, inproc_cpu, farm_s, farm_cpu;
    std::vector<double> latencies;
  };
  std::vector<Round> rounds_done;
  int failures_total = 0;
  for (int round = 0; round < rounds; ++round) {
    // In-process: parse the key once, then prove each input back to back (witness parsing
    // included, as the farm does it per job).
    double inproc_s = 0, inproc_cpu = 0;
    if (!skip_inprocess && zk) {
      // What the farm's engine does per job: parse the trace, prove, self-check, serialize;
      // the module's key derived once (the farm caches it per module too).
      const double cpu0 = cpu_seconds(RUSAGE_SELF);
      Stopwatch sw;
      auto program = zkwasm::Program::load(farm::kSumModuleWasm);
      if (!program) return 2;
      for (int i = 0; i < jobs; ++i) {
        const auto& t = traces[size_t(i)];
        auto tr = wasm::read_trace(
            std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(t.data()), t.size()));
        if (!tr) return 1;
        zkwasm::ProveOptions po;
        po.params = *fri_preset(preset);
        po.args = {trace_args[size_t(i)]};
        po.stark.threads = threads;
        // As the farm's one CPU slot proves them: one segment at a time, all threads.
        po.segment_workers = 1;
        if (segment_log != 0) po.segment_log = segment_log;
        auto b = zkwasm::prove(**program, *tr, po);
        if (!b || !zkwasm::verify(**program, *b).is_ok()) return 1;
        (void)zkwasm::serialize_bundle(*b);
      }
      inproc_s = sw.seconds();
      inproc_cpu = cpu_seconds(RUSAGE_SELF) - cpu0;
    } else if (!skip_inprocess) {
      const double cpu0 = cpu_seconds(RUSAGE_SELF);
      auto zkey = groth16::read_zkey(fixture + "/circuit.zkey");
      if (!zkey) {
        std::fprintf(stderr, "farm_load: %s\n", zkey.status().to_string().c_str());
        return 2;
      }
      Stopwatch sw;
      for (int i = 0; i < jobs; ++i) {
        auto w = groth16::read_wtns(fixture + "/witness.wtns");
        groth16::ProveConfig cfg;
        cfg.msm.threads = threads;
        auto out = groth16::prove(*zkey, *w, cfg);
        if (!out) return 1;
      }
      inproc_s = sw.seconds();
      inproc_cpu = cpu_seconds(RUSAGE_SELF) - cpu0;
    }

    // The farm: its own process, store and loopback ports.
    const std::string store =
        (fs::temp_directory_path() / ("farm-load-" + std::to_string(::getpid()))).string();
    fs::remove_all(store);
    fs::create_directories(store);
    const std::string ports = store + "/ports.json";
    pid_t pid = ::fork();
    if (pid == 0) {
      int fd = ::open((store + "/farm.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      const std::string t = std::to_string(threads);
      ::execl(farm_bin.c_str(), farm_bin.c_str(), "--store", store.c_str(), "--ports-file",
              ports.c_str(), "--prover-threads", t.c_str(), "--log-level", "warn", nullptr);
      ::_exit(127);
    }
    for (int i = 0; i < 400 && !fs::exists(ports); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    if (!fs::exists(ports)) {
      std::fprintf(stderr, "farm_load: the farm did not start (%s)\n",
                   slurp(store + "/farm.log").c_str());
      ::kill(pid, SIGKILL);
      return 2;
    }
    auto pj = nlohmann::json::parse(slurp(ports));
    const std::string farm_addr = "127.0.0.1:" + std::to_string(int(pj["farm"]));
    const std::string admin_addr = "127.0.0.1:" + std::to_string(int(pj["admin"]));
    std::string token = slurp(store + "/admin.token");
    token = token.substr(0, token.find('\n'));
    auto admin = pb::FarmAdmin::NewStub(fc::make_channel(admin_addr, {}, nullptr));
    pb::CreateTenantRequest ct;
    ct.set_name("load");
    ct.set_balance(int64_t(1) << 50);
    ct.mutable_quota()->set_max_concurrent_jobs(uint32_t(jobs + concurrency));
    pb::TenantKey key;
    auto actx = fc::admin_context(token, 30);
    if (!admin->CreateTenant(actx.get(), ct, &key).ok()) return 1;
    auto stub = pb::Farm::NewStub(fc::make_channel(farm_addr, {}, nullptr));
    pb::ArtifactRef ref;
    if (!fc::upload_artifact(*stub, key.api_key(),
                             zk ? pb::ARTIFACT_KIND_WASM : pb::ARTIFACT_KIND_ZKEY, artifact_bytes,
                             &ref)
             .ok())
      return 1;

    std::vector<double> latencies(size_t(jobs), 0);
    std::atomic<int> next{0}, failures{0};
    Stopwatch sw;
    std::vector<std::thread> clients;
    for (int c = 0; c < concurrency; ++c) {
      clients.emplace_back([&] {
        auto s = pb::Farm::NewStub(fc::make_channel(farm_addr, {}, nullptr));
        for (int i; (i = next++) < jobs;) {
          pb::JobHeader h;
          h.set_artifact(ref.content_hash());
          const std::string& input = zk ? traces[size_t(i)] : wtns_bytes;
          if (zk) {
            h.set_kind(pb::JOB_KIND_ZKWASM_TRACE);
            h.set_params_json("{\"entry\":\"sum\",\"args\":[" +
                              std::to_string(trace_args[size_t(i)]) + "],\"preset\":\"" + preset +
                              "\"" +
                              (segment_log != 0 ? ",\"segment_log\":" + std::to_string(segment_log)
                                                : std::string()) +
                              "}");
          } else {
            h.set_kind(pb::JOB_KIND_GROTH16);
            h.set_params_json("{\"load\":" + std::to_string(i) + "}");  // distinct: no cache hits
          }
          h.set_input_size(input.size());
          Stopwatch one;
          auto r = fc::prove(*s, key.api_key(), h, input);
          latencies[size_t(i)] = one.seconds();
          if (!r.status.ok() || r.failure || r.proof.empty()) failures++;
        }
      });
    }
    for (auto& t : clients) t.join();
    const double farm_s = sw.seconds();
    ::kill(pid, SIGTERM);
    const double child_cpu0 = cpu_seconds(RUSAGE_CHILDREN);
    ::waitpid(pid, nullptr, 0);
    const double farm_cpu = cpu_seconds(RUSAGE_CHILDREN) - child_cpu0;
    fs::remove_all(store);

    failures_total += int(failures);
    rounds_done.push_back({inproc_s, inproc_cpu, farm_s, farm_cpu, latencies});
  }
  // The least disturbed round of each side (the machine is shared): minimum wall and CPU.
  double inproc_s = 1e300, inproc_cpu = 1e300, farm_s = 1e300, farm_cpu = 1e300;
  std::vector<double> latencies;
  for (const auto& r : rounds_done) {
    inproc_s = std::min(inproc_s, r.inproc_s);
    inproc_cpu = std::min(inproc_cpu, r.inproc_cpu);
    if (r.farm_s < farm_s) latencies = r.latencies;
    farm_s = std::min(farm_s, r.farm_s);
    farm_cpu = std::min(farm_cpu, r.farm_cpu);
  }
  const int failures = failures_total;
  const double overhead = inproc_s > 0 ? (farm_s - inproc_s) / inproc_s : 0;
  const double cpu_overhead = inproc_cpu > 0 ? (farm_cpu - inproc_cpu) / inproc_cpu : 0;
  nlohmann::json j{{"kind", kind},
                   {"segment_log", segment_log},
                   {"jobs", jobs},
                   {"concurrency", concurrency},
                   {"threads", threads},
                   {"failures", int(failures)},
                   {"farm_seconds", farm_s},
                   {"inprocess_seconds", inproc_s},
                   {"proofs_per_second", double(jobs) / farm_s},
                   {"latency_p50_s", percentile(latencies, 0.5)},
                   {"latency_p99_s", percentile(latencies, 0.99)},
                   {"overhead_fraction", overhead},
                   {"rounds", rounds},
                   {"farm_cpu_seconds", farm_cpu},
                   {"inprocess_cpu_seconds", inproc_cpu},
                   {"cpu_overhead_fraction", cpu_overhead}};
  if (json_out) {
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf(
        "farm: %d proofs from %d clients in %.2f s: %.3f proofs/s, latency p50 %.2f s, p99 %.2f "
        "s\n",
        jobs, concurrency, farm_s, double(jobs) / farm_s, percentile(latencies, 0.5),
        percentile(latencies, 0.99));
    if (inproc_s > 0) {
      std::printf("in-process: %.2f s for the same proofs; farm overhead %.2f%% wall\n", inproc_s,
                  overhead * 100);
      std::printf("CPU: farm process %.2f s, in-process %.2f s; overhead %.2f%% CPU\n", farm_cpu,
                  inproc_cpu, cpu_overhead * 100);
    }
    if (failures) std::printf("FAILURES: %d\n", int(failures));
  }
  return failures ? 1 : 0;
}
