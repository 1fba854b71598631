#pragma once
// The farm's configuration: a JSON file (docs/farm.md lists every key), flags override it.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "prover/farm/types.hpp"

namespace efaas::farm {

struct FarmConfig {
  std::string listen = "127.0.0.1:0";          // the Farm service
  std::string admin_listen = "127.0.0.1:0";    // the FarmAdmin service
  std::string metrics_listen = "127.0.0.1:0";  // Prometheus /metrics over HTTP ("" = off)
  std::string store_dir = "farm-store";
  // TLS for the gRPC ports (PEM files). Without them only loopback addresses are allowed,
  // unless allow_insecure is set: API keys travel in the metadata.
  std::string tls_cert, tls_key;
  bool allow_insecure = false;
  // The admin credential: a file holding the token (first line), compared in constant time.
  std::string admin_token_file;
  // Devices: "cpu" (worker pools on the cores hwloc reports) and "opencl:N" (listed for
  // capacity; no engine runs on OpenCL yet).
  std::vector<std::string> devices = {"cpu"};
  size_t workers = 1;         // jobs proved at once
  size_t prover_threads = 0;  // threads per proof (0: all allowed cores)
  // Defaults for new tenants (0 in a quota field = unlimited).
  Quota default_quota{8, 256ull << 20, 64ull << 20, 0};
  int64_t default_balance = 0;
  // Price per proving unit by kind; the admin API can override (stored).
  std::map<JobKind, uint64_t> prices = {
      {JobKind::kGroth16, 10}, {JobKind::kZkwasmTrace, 10}, {JobKind::kZkwasmModule, 10}};
  // Calibrated throughput (units/s) by kind, from `efaas bench --json` (optional file).
  std::string calibration_file;
  // Bytes of client input held in memory across all streams before reads are paused.
  uint64_t inflight_budget_bytes = 64ull << 20;
  uint64_t max_chunk_bytes = 1ull << 20;
  // Testing aid: a pause before each proving stage (keeps cancel/kill tests deterministic).
  int64_t stage_delay_ms = 0;
  // Seconds a SIGTERM drain waits for running jobs before stopping.
  int drain_timeout_s = 60;
};

// Reads a JSON config; unknown keys are errors (a typo must not silently fall back).
Expected<FarmConfig> load_config(const std::string& path);
Expected<FarmConfig> parse_config(const std::string& text, const std::string& what);

// True for 127.0.0.0/8, [::1], localhost, unix: addresses.
bool is_loopback_address(const std::string& addr);

}  // namespace efaas::farm
