#pragma once
// The prover farm without its network edge: tenants and API keys, admission (quotas, balance,
// prices), the proof cache, the scheduler (pinned worker pools, weighted fair sharing between
// tenants with priorities, deadlines, cancellation), metering into the ledger, recovery after a
// crash, and the figures behind /metrics and the capacity API.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "prover/farm/budget.hpp"
#include "prover/farm/config.hpp"
#include "prover/farm/engine.hpp"
#include "prover/farm/store.hpp"
#include "prover/farm/types.hpp"

namespace efaas::farm {

struct Admission {
  uint64_t id = 0;  // the reservation, released by commit() or abandon()
  std::string tenant;
  JobSpec spec;
  uint64_t units = 0;
  uint64_t cost = 0;
  double est_seconds = 0;
};

struct Usage {
  Tenant tenant;
  uint64_t units_total = 0, units_last_hour = 0, jobs_total = 0, jobs_active = 0;
  uint64_t queued_bytes = 0;
};

struct KindCapacity {
  JobKind kind;
  bool available = false;
  std::string unit;
  double units_per_second = 0;
  uint64_t price = 0;
  std::string source;
};

struct DeviceLoad {
  std::string name, kind;  // kind: "cpu" or "opencl"
  uint32_t cores = 0;
  uint32_t slots = 0;  // jobs (or lent segments) it proves at once
  double busy_fraction = 0;
  uint32_t running = 0;
  std::vector<KindCapacity> throughput;  // per job kind it runs: units/s on this device
};

struct CapacityReport {
  std::vector<DeviceLoad> devices;
  uint32_t queue_depth = 0, running = 0;
  std::vector<KindCapacity> kinds;
};

// A job snapshot as events deliver it, with where it stands in the queue.
struct JobSnapshot {
  Job job;
  uint32_t queue_position = 0;
  double seconds_left = 0;
};

class Farm {
 public:
  // Opens (or creates) the store under config.store_dir and recovers unfinished jobs.
  static Expected<std::unique_ptr<Farm>> open(const FarmConfig& config);
  ~Farm();

  // Starts the workers. stop(): no new jobs; running ones finish (up to the timeout) or are
  // left for the next start, which runs them again.
  void start();
  void stop(int timeout_s);
  bool accepting() const { return accepting_; }

  // ---- tenants and admin ----
  Expected<Tenant> authenticate(const std::string& api_key);
  // Returns the API key (shown once; only its hash is stored).
  Expected<std::string> create_tenant(const std::string& name, int64_t balance, Quota quota,
                                      uint32_t weight);
  Expected<std::string> rotate_key(const std::string& name);
  Outcome top_up(const std::string& name, int64_t amount);
  Outcome set_quota(const std::string& name, const Quota& q, uint32_t weight);
  Outcome set_price(JobKind kind, uint64_t price);
  Expected<Usage> usage(const std::string& tenant);
  Expected<std::vector<Usage>> all_usage();
  Expected<std::vector<LedgerEntry>> ledger(const std::string& tenant, uint32_t limit);

  // ---- artifacts ----
  // Whether an artifact is stored (an upload of it can stop at once).
  bool has_artifact(const std::string& hash);
  // Moves a fully received upload (tmp_path, hash checked by the caller) into the store.
  Expected<ArtifactRecord> put_artifact(ArtifactKind kind, const std::string& tmp_path,
                                        const std::string& hash, uint64_t size);

  // ---- jobs ----
  // Checks a header against the engine, the tenant's quotas and balance and reserves room for
  // it; refusals come back up front (UNIMPLEMENTED, RESOURCE_EXHAUSTED naming the limit ...).
  Expected<Admission> admit(const Tenant& tenant, const JobSpec& spec);
  // The input is complete: moves it into the store, records the job (or answers it from the
  // proof cache) and queues it. Releases the reservation either way. `exact_units` (from the
  // input check; 0: none) replaces the admission's units when it is smaller.
  Expected<JobSnapshot> commit(const Admission& a, const std::string& input_tmp_path,
                               const std::string& input_hash, uint64_t exact_units = 0);
  void abandon(const Admission& a);
  // The engine's streaming check of an admitted job's input (nullptr: none for its kind).
  Expected<std::unique_ptr<InputCheck>> input_check(const Admission& a);

  Expected<JobSnapshot> job(const std::string& tenant, const std::string& id);
  Expected<std::vector<Job>> jobs(const std::string& tenant, uint32_t limit, int state);
  Expected<JobState> cancel(const std::string& tenant, const std::string& id);
  // The stored proof of a succeeded job.
  Expected<std::string> proof_path(const Job& j) const;
  Expected<bool> verify_proof(const Job& j, std::span<const uint8_t> proof);

  // Events: `fn` gets every change of the job (from worker threads); keep it short and
  // non-blocking. Returns a token for unsubscribe().
  uint64_t subscribe(const std::string& job_id, std::function<void(const JobSnapshot&)> fn);
  void unsubscribe(uint64_t token);

  CapacityReport capacity();
  std::string metrics_text();
  const FarmConfig& config() const { return config_; }
  // The in-flight memory budget: stream reads (the server) and running jobs' traces.
  InflightBudget& budget() { return budget_; }
  std::string tmp_path(const std::string& tag);  // a fresh file name under the store's tmp/

 private:
  struct Active {
    Job job;
    bool cancel = false;
    std::vector<size_t> slots;  // while running: its own slot first, then lent ones
    double time_left = -1;      // the engine's measure (EngineHooks::time_left), if any
    int64_t time_left_ms = 0;   // when it was reported
  };
  // One device slot: a worker thread proving one job (or lent to another job's segments).
  struct Slot {
    std::string device;  // "cpu" or "opencl:N"
    std::string kind;    // "cpu" or "opencl"
    Backend backend = Backend::kAuto;
    int opencl_device = 0;  // opencl:N: N
    std::string job;  // the job it proves or is lent to; empty when idle
    bool lent = false;
    double busy_seconds = 0;
  };
  struct Reserved {
    std::string tenant;
    uint64_t bytes = 0, cost = 0, units = 0;
  };
  struct Histogram {
    std::vector<double> bounds;
    std::vector<uint64_t> counts;  // bounds.size() + 1
    double sum = 0;
    uint64_t n = 0;
    void observe(double v);
  };

  Farm(FarmConfig config, std::unique_ptr<Store> store);
  Outcome recover();
  void worker_loop(size_t slot);
  void run_job(Active& a);
  // Picks the next queued job for `slot` by weighted fair share among the jobs that run best
  // there (caller holds mu_).
  Active* pick_locked(size_t slot);
  // Placement: whether `slot` is where `j` would finish first, counting the work left on the
  // busy slots (caller holds mu_).
  bool placed_here_locked(const Job& j, size_t slot) const;
  // Units/s of `kind` on a device kind: observed there, else calibrated, else 0 (unknown).
  double device_rate_locked(JobKind kind, const std::string& dev_kind) const;
  // The rate placement assumes for a slot: its own, else the best known, else 1 (all equal).
  double slot_rate_locked(JobKind kind, size_t slot) const;
  double seconds_left_locked(const Active& a) const;
  void publish(const Job& j);
  JobSnapshot snapshot_locked(const Job& j) const;
  uint64_t price_of(JobKind kind);
  double units_per_second(JobKind kind) const;
  Engine* engine(JobKind kind);
  std::string artifact_path(const std::string& hash) const;
  std::string input_path(const std::string& job_id) const;
  EngineJob engine_job(const Job& j) const;
  void finish_terminal(Active& a, JobState state, const Error& e);
  // Lends idle slots that no queued job would go to, for a job of `pieces` parallel pieces,
  // each only where one piece ends no later than the whole job on its own slot (caller holds
  // mu_); returns the slots lent (also appended to a.slots).
  std::vector<size_t> lend_idle_slots_locked(Active& a, uint32_t pieces);
  // Checkpoints of split jobs: <store>/segments/<job>/<index>, with their rows in the store.
  std::string pieces_dir(const std::string& job_id) const;
  void drop_pieces(const std::string& job_id);
  void load_calibration();

  FarmConfig config_;
  std::unique_ptr<Store> store_;
  std::map<JobKind, std::unique_ptr<Engine>> engines_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::unique_ptr<Active>> active_;  // queued and running
  std::map<uint64_t, Reserved> reserved_;
  uint64_t next_reservation_ = 1;
  std::map<std::string, double> vtime_;  // fair-share virtual time per tenant
  double global_vtime_ = 0, pick_vtime_ = 0;
  // Throughput by (device kind, job kind): observed on single-slot jobs, and calibrated.
  std::map<std::pair<std::string, JobKind>, double> observed_ups_, calibrated_ups_;
  std::vector<Slot> slots_;
  InflightBudget budget_;
  bool stopping_ = false;
  std::atomic<bool> accepting_{false};
  std::vector<std::thread> workers_;

  std::mutex sub_mu_;  // subscribers; callbacks run under it
  std::multimap<std::string, std::pair<uint64_t, std::function<void(const JobSnapshot&)>>> subs_;
  uint64_t next_token_ = 1;

  // Metrics.
  std::map<std::string, uint64_t> finished_by_state_;
  uint64_t units_proved_ = 0, cache_hits_ = 0, refused_ = 0;
  uint64_t segments_saved_ = 0, segments_reused_ = 0;
  int64_t started_ms_ = 0;
  Histogram latency_{{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}, {}, 0, 0};
  Histogram prove_time_{{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}, {}, 0, 0};
  std::atomic<uint64_t> tmp_counter_{0};
};

// Lower-case hex keccak256 of a file (streamed).
Expected<std::string> hash_file(const std::string& path);
// Writes `bytes` to `path` durably (write to a temp name, fsync, rename, fsync the directory).
Outcome write_file_durably(const std::string& path, std::span<const uint8_t> bytes);
Expected<std::vector<uint8_t>> read_whole_file(const std::string& path);

}  // namespace efaas::farm
