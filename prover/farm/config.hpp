#pragma once
// The farm's configuration: a JSON file (docs/farm.md lists every key), flags override it.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "prover/farm/types.hpp"

namespace efaas::farm {

// zkWASM segment sizes the farm accepts (log2 of execution-table rows): the prover's minimum,
// and its default of 2^20 rows, the size issue 5 bounds to 4 GiB of proving memory (the
// prover's memory grows about linearly with the rows: a larger segment would not fit a device
// slot's share of a 24 GiB machine next to the budget and other slots).
inline constexpr uint32_t kMinSegmentLog = 4;
inline constexpr uint32_t kMaxSegmentLog = 20;
inline constexpr uint32_t kDefaultSegmentLog = 20;

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
  // Devices: "cpu" (`workers` worker slots on the cores hwloc reports) and "opencl:N" (one
  // slot proving zkWASM on OpenCL device N). Jobs and zkWASM segments are placed on slots by
  // estimated cost (docs/farm.md, "Devices and placement").
  std::vector<std::string> devices = {"cpu"};
  size_t workers = 1;         // CPU jobs proved at once
  size_t prover_threads = 0;  // threads per proof (0: all allowed cores)
  // Defaults for new tenants (0 in a quota field = unlimited).
  Quota default_quota{8, 256ull << 20, 64ull << 20, 0};
  int64_t default_balance = 0;
  // Price per proving unit by kind; the admin API can override (stored).
  std::map<JobKind, uint64_t> prices = {
      {JobKind::kGroth16, 10}, {JobKind::kZkwasmTrace, 10}, {JobKind::kZkwasmModule, 10}};
  // Calibrated throughput (units/s) by kind, from `efaas bench --json` (optional file).
  std::string calibration_file;
  // zkWASM continuations: the default segment size of a job (2^segment_log execution rows; a
  // job's params_json.segment_log overrides it), in kMinSegmentLog..kMaxSegmentLog.
  uint32_t segment_log = kDefaultSegmentLog;
  // Bytes held in memory before reads pause and jobs wait: client input between a stream's
  // read and disk, and the parsed traces of running zkWASM jobs (40 bytes per record).
  uint64_t inflight_budget_bytes = 2ull << 30;
  uint64_t max_chunk_bytes = 1ull << 20;
  // Testing aid: a pause before each proving stage (keeps cancel/kill tests deterministic).
  int64_t stage_delay_ms = 0;
  // Seconds a SIGTERM drain waits for running jobs before stopping.
  int drain_timeout_s = 60;
};

// Reads a JSON config; unknown keys are errors (a typo must not silently fall back).
Expected<FarmConfig> load_config(const std::string& path);
Expected<FarmConfig> parse_config(const std::string& text, const std::string& what);

// "cpu" or "opencl:N" (N: 0..99), else INVALID_ARGUMENT naming it.
Outcome check_device_name(const std::string& name);

// True for 127.0.0.0/8, [::1], localhost, unix: addresses.
bool is_loopback_address(const std::string& addr);

}  // namespace efaas::farm
