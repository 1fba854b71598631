// efaas-farm: the prover farm daemon. Reads a JSON config (docs/farm.md), flags override it;
// serves until SIGTERM/SIGINT, then drains gracefully (running jobs finish, queued ones stay
// in the store for the next start).
#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "prover/farm/farm.hpp"
#include "prover/farm/server.hpp"

using namespace efaas::farm;

int main(int argc, char** argv) {
  CLI::App app{"efaas-farm: the eFaaS prover farm (gRPC)"};
  std::string config_path, ports_file, log_level = "info";
  std::optional<std::string> listen, admin_listen, metrics_listen, store, tls_cert, tls_key,
      admin_token_file, calibration_file;
  std::optional<size_t> workers, prover_threads;
  std::optional<int64_t> stage_delay_ms;
  std::optional<uint32_t> segment_log;
  std::vector<std::string> devices;
  bool allow_insecure = false;
  app.add_option("-c,--config", config_path, "JSON config file (see docs/farm.md)");
  app.add_option("--listen", listen, "Farm service address, host:port (port 0: any free port)");
  app.add_option("--admin-listen", admin_listen, "FarmAdmin service address");
  app.add_option("--metrics-listen", metrics_listen, "Prometheus /metrics address (HTTP)");
  app.add_option("--store", store, "store directory (SQLite database, artifacts, proofs)");
  app.add_option("--tls-cert", tls_cert, "PEM certificate for the gRPC ports");
  app.add_option("--tls-key", tls_key, "PEM private key for the gRPC ports");
  app.add_option("--admin-token-file", admin_token_file, "file holding the admin token");
  app.add_option("--calibration", calibration_file,
                 "efaas bench --json output to predict job times");
  app.add_option("--workers", workers, "jobs proved at once");
  app.add_option("--prover-threads", prover_threads, "threads per proof (0: all cores)");
  app.add_option("--devices", devices, "device slots: cpu, opencl:N (comma-separated)")
      ->delimiter(',');
  app.add_option("--segment-log", segment_log,
                 "zkWASM jobs' default segment size, log2 of rows (4..20)");
  app.add_option("--stage-delay-ms", stage_delay_ms,
                 "testing aid: pause before each proving stage");
  app.add_flag("--allow-insecure", allow_insecure,
               "allow plaintext gRPC on non-loopback addresses");
  app.add_option("--ports-file", ports_file, "write the bound ports as JSON here once serving");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  CLI11_PARSE(app, argc, argv);

  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z level=%l %v");

  FarmConfig cfg;
  if (!config_path.empty()) {
    auto c = load_config(config_path);
    if (!c) {
      std::fprintf(stderr, "efaas-farm: error: %s\n", c.error().to_string().c_str());
      return 2;
    }
    cfg = *c;
  }
  if (listen) cfg.listen = *listen;
  if (admin_listen) cfg.admin_listen = *admin_listen;
  if (metrics_listen) cfg.metrics_listen = *metrics_listen;
  if (store) cfg.store_dir = *store;
  if (tls_cert) cfg.tls_cert = *tls_cert;
  if (tls_key) cfg.tls_key = *tls_key;
  if (admin_token_file) cfg.admin_token_file = *admin_token_file;
  if (calibration_file) cfg.calibration_file = *calibration_file;
  if (workers) cfg.workers = *workers;
  if (prover_threads) cfg.prover_threads = *prover_threads;
  if (stage_delay_ms) cfg.stage_delay_ms = *stage_delay_ms;
  if (segment_log) {
    if (*segment_log < kMinSegmentLog || *segment_log > kMaxSegmentLog) {
      std::fprintf(stderr, "efaas-farm: error: --segment-log %u is outside %u..%u\n", *segment_log,
                   kMinSegmentLog, kMaxSegmentLog);
      return 2;
    }
    cfg.segment_log = *segment_log;
  }
  if (!devices.empty()) {
    for (const auto& d : devices) {
      if (auto o = check_device_name(d); !o) {
        std::fprintf(stderr, "efaas-farm: error: --devices: %s\n", o.error().message.c_str());
        return 2;
      }
    }
    cfg.devices = devices;
  }
  if (allow_insecure) cfg.allow_insecure = true;
  if (cfg.workers == 0) {
    std::fprintf(stderr, "efaas-farm: error: --workers must be at least 1\n");
    return 2;
  }

  // Signals go to one thread that starts the drain; block them before any thread exists.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  auto farm = Farm::open(cfg);
  if (!farm) {
    std::fprintf(stderr, "efaas-farm: error: %s\n", farm.error().to_string().c_str());
    return 2;
  }
  (*farm)->start();
  auto server = FarmServer::start(**farm);
  if (!server) {
    std::fprintf(stderr, "efaas-farm: error: %s\n", server.error().to_string().c_str());
    (*farm)->stop(0);
    return 2;
  }
  const ServerPorts p = (*server)->ports();
  spdlog::info("event=serving farm_port={} admin_port={} metrics_port={} store={} tls={}", p.farm,
               p.admin, p.metrics, cfg.store_dir, cfg.tls_cert.empty() ? "off" : "on");
  if (!ports_file.empty()) {
    const std::string tmp = ports_file + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << nlohmann::json{{"farm", p.farm},
                            {"admin", p.admin},
                            {"metrics", p.metrics},
                            {"pid", ::getpid()}}
                 .dump()
          << "\n";
    }
    std::rename(tmp.c_str(), ports_file.c_str());
  }
  FarmServer* srv = server->get();
  std::thread sig_thread([srv, &sigs] {
    int sig = 0;
    sigwait(&sigs, &sig);
    spdlog::info("event=signal sig={}", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    srv->drain(5);
  });
  srv->wait();
  sig_thread.join();
  server->reset();
  return 0;
}
