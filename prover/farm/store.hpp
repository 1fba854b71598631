#pragma once
// The farm's durable state: tenants, jobs, the append-only ledger, the artifact index and the
// price table, in an embedded SQLite database (WAL, synchronous=FULL, so a committed
// transaction survives SIGKILL). Artifacts, inputs and proofs live on disk next to it, named by
// content hash or job id. The Store interface is what a shared (PostgreSQL) store would
// implement too.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "prover/farm/types.hpp"

struct sqlite3;

namespace efaas::farm {

struct ArtifactRecord {
  std::string hash;
  ArtifactKind kind = ArtifactKind::kZkey;
  uint64_t size = 0;
  int64_t created_ms = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual Outcome create_tenant(const Tenant& t) = 0;
  virtual Expected<Tenant> tenant(const std::string& name) = 0;
  virtual Expected<Tenant> tenant_by_key_hash(const std::string& key_hash) = 0;
  virtual Expected<std::vector<Tenant>> tenants() = 0;
  virtual Outcome set_key_hash(const std::string& name, const std::string& key_hash) = 0;
  virtual Outcome set_quota(const std::string& name, const Quota& q, uint32_t weight) = 0;
  // Adds `amount` to the balance and records it in the ledger, in one transaction.
  virtual Outcome top_up(const std::string& name, int64_t amount) = 0;

  virtual Outcome insert_job(const Job& j) = 0;
  virtual Expected<Job> job(const std::string& id) = 0;
  // Newest first; state 0 = any.
  virtual Expected<std::vector<Job>> jobs_of(const std::string& tenant, uint32_t limit,
                                             int state) = 0;
  virtual Expected<std::vector<Job>> jobs_in_state(JobState s) = 0;
  // Stage/progress/state changes that involve no money.
  virtual Outcome update_job(const Job& j) = 0;
  // Marks the job succeeded and charges it, once: the ledger has a UNIQUE (job, reason) row,
  // the balance update and the job update commit together.
  virtual Outcome finish_and_charge(const Job& j) = 0;
  // A succeeded, non-cached job with this request hash whose proof is stored, if any.
  virtual Expected<std::vector<Job>> succeeded_with_request(const std::string& request_hash) = 0;
  virtual Expected<uint64_t> units_since(const std::string& tenant, int64_t since_ms) = 0;
  virtual Expected<std::vector<LedgerEntry>> ledger(const std::string& tenant, uint32_t limit) = 0;

  virtual Outcome put_artifact(const ArtifactRecord& a) = 0;
  virtual Expected<ArtifactRecord> artifact(const std::string& hash) = 0;

  virtual Outcome set_price(JobKind kind, uint64_t price) = 0;
  // Stored overrides only; kinds without a row use the config's price table.
  virtual Expected<std::vector<std::pair<JobKind, uint64_t>>> prices() = 0;

  // Checkpoints of split jobs (finished zkWASM segments kept across restarts): a row per (job,
  // piece index) naming its file, recorded once the file is durable (replacing an older one).
  virtual Outcome put_piece(const std::string& job_id, uint32_t index, const std::string& path) = 0;
  virtual Expected<std::vector<std::pair<uint32_t, std::string>>> pieces(
      const std::string& job_id) = 0;
  virtual Outcome delete_pieces(const std::string& job_id) = 0;
};

class SqliteStore final : public Store {
 public:
  static Expected<std::unique_ptr<SqliteStore>> open(const std::string& path);
  ~SqliteStore() override;

  Outcome create_tenant(const Tenant& t) override;
  Expected<Tenant> tenant(const std::string& name) override;
  Expected<Tenant> tenant_by_key_hash(const std::string& key_hash) override;
  Expected<std::vector<Tenant>> tenants() override;
  Outcome set_key_hash(const std::string& name, const std::string& key_hash) override;
  Outcome set_quota(const std::string& name, const Quota& q, uint32_t weight) override;
  Outcome top_up(const std::string& name, int64_t amount) override;
  Outcome insert_job(const Job& j) override;
  Expected<Job> job(const std::string& id) override;
  Expected<std::vector<Job>> jobs_of(const std::string& tenant, uint32_t limit, int state) override;
  Expected<std::vector<Job>> jobs_in_state(JobState s) override;
  Outcome update_job(const Job& j) override;
  Outcome finish_and_charge(const Job& j) override;
  Expected<std::vector<Job>> succeeded_with_request(const std::string& request_hash) override;
  Expected<uint64_t> units_since(const std::string& tenant, int64_t since_ms) override;
  Expected<std::vector<LedgerEntry>> ledger(const std::string& tenant, uint32_t limit) override;
  Outcome put_artifact(const ArtifactRecord& a) override;
  Expected<ArtifactRecord> artifact(const std::string& hash) override;
  Outcome set_price(JobKind kind, uint64_t price) override;
  Expected<std::vector<std::pair<JobKind, uint64_t>>> prices() override;
  Outcome put_piece(const std::string& job_id, uint32_t index, const std::string& path) override;
  Expected<std::vector<std::pair<uint32_t, std::string>>> pieces(
      const std::string& job_id) override;
  Outcome delete_pieces(const std::string& job_id) override;

 private:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  Outcome exec(const char* sql);
  Expected<std::vector<Job>> query_jobs(const std::string& where,
                                        const std::vector<std::string>& args);

  std::mutex mu_;  // one connection, serialized
  sqlite3* db_;
};

}  // namespace efaas::farm
