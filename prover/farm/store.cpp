#include "prover/farm/store.hpp"

#include <sqlite3.h>

#include <variant>

namespace efaas::farm {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tenants (
  name TEXT PRIMARY KEY,
  key_hash TEXT NOT NULL UNIQUE,
  balance INTEGER NOT NULL,
  max_concurrent INTEGER NOT NULL,
  max_queued_bytes INTEGER NOT NULL,
  max_input_bytes INTEGER NOT NULL,
  max_units_per_hour INTEGER NOT NULL,
  weight INTEGER NOT NULL,
  created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL REFERENCES tenants(name),
  kind INTEGER NOT NULL,
  artifact TEXT NOT NULL,
  params TEXT NOT NULL,
  deadline_ms INTEGER NOT NULL,
  priority INTEGER NOT NULL,
  input_size INTEGER NOT NULL,
  state INTEGER NOT NULL,
  stage TEXT NOT NULL,
  fraction REAL NOT NULL,
  input_hash TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  units INTEGER NOT NULL,
  cost INTEGER NOT NULL,
  error_code TEXT NOT NULL,
  error TEXT NOT NULL,
  proof_hash TEXT NOT NULL,
  cached INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  started_ms INTEGER NOT NULL,
  finished_ms INTEGER NOT NULL,
  private_input BLOB);
CREATE INDEX IF NOT EXISTS jobs_by_tenant ON jobs(tenant, created_ms);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs(state);
CREATE INDEX IF NOT EXISTS jobs_by_request ON jobs(request_hash, state);
CREATE TABLE IF NOT EXISTS ledger (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant TEXT NOT NULL,
  job_id TEXT NOT NULL,
  amount INTEGER NOT NULL,
  units INTEGER NOT NULL,
  reason TEXT NOT NULL,
  unix_ms INTEGER NOT NULL);
-- A job is charged at most once, whatever happens to the process.
CREATE UNIQUE INDEX IF NOT EXISTS ledger_one_charge ON ledger(job_id) WHERE reason = 'charge';
-- The ledger is append-only.
CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON ledger
  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON ledger
  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TABLE IF NOT EXISTS artifacts (
  hash TEXT PRIMARY KEY,
  kind INTEGER NOT NULL,
  size INTEGER NOT NULL,
  created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS prices (
  kind INTEGER PRIMARY KEY,
  price INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS job_pieces (
  job_id TEXT NOT NULL REFERENCES jobs(id),
  idx INTEGER NOT NULL,
  path TEXT NOT NULL,
  PRIMARY KEY (job_id, idx));
)sql";

Error db_error(sqlite3* db, const std::string& what) {
  return err(Code::kInternal, "sqlite: " + what + ": " + sqlite3_errmsg(db));
}

// A prepared statement with positional binding; finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(s_); }
  bool ok() const { return rc_ == SQLITE_OK; }
  Stmt& bind(const std::string& v) {
    sqlite3_bind_text(s_, ++n_, v.data(), int(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int64_t v) {
    sqlite3_bind_int64(s_, ++n_, v);
    return *this;
  }
  Stmt& bind_blob(const std::optional<std::string>& v) {
    if (v) {
      sqlite3_bind_blob(s_, ++n_, v->data(), int(v->size()), SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_null(s_, ++n_);
    }
    return *this;
  }
  std::optional<std::string> blob(int c) const {
    if (sqlite3_column_type(s_, c) == SQLITE_NULL) return std::nullopt;
    const void* b = sqlite3_column_blob(s_, c);
    const int n = sqlite3_column_bytes(s_, c);
    return b ? std::string(static_cast<const char*>(b), size_t(n)) : std::string();
  }
  Stmt& bind(double v) {
    sqlite3_bind_double(s_, ++n_, v);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(s_); }
  int64_t i64(int c) const { return sqlite3_column_int64(s_, c); }
  double f64(int c) const { return sqlite3_column_double(s_, c); }
  std::string text(int c) const {
    const unsigned char* t = sqlite3_column_text(s_, c);
    return t ? std::string(reinterpret_cast<const char*>(t), size_t(sqlite3_column_bytes(s_, c)))
             : std::string();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
  int rc_;
  int n_ = 0;
};

constexpr const char* kTenantCols =
    "name, key_hash, balance, max_concurrent, max_queued_bytes, max_input_bytes, "
    "max_units_per_hour, weight, created_ms";
constexpr const char* kJobCols =
    "id, tenant, kind, artifact, params, deadline_ms, priority, input_size, state, stage, "
    "fraction, input_hash, request_hash, units, cost, error_code, error, proof_hash, cached, "
    "attempts, created_ms, started_ms, finished_ms, private_input";

Tenant read_tenant(const Stmt& s) {
  Tenant t;
  t.name = s.text(0);
  t.key_hash = s.text(1);
  t.balance = s.i64(2);
  t.quota.max_concurrent_jobs = uint32_t(s.i64(3));
  t.quota.max_queued_bytes = uint64_t(s.i64(4));
  t.quota.max_input_bytes = uint64_t(s.i64(5));
  t.quota.max_units_per_hour = uint64_t(s.i64(6));
  t.weight = uint32_t(s.i64(7));
  t.created_ms = s.i64(8);
  return t;
}

Job read_job(const Stmt& s) {
  Job j;
  j.id = s.text(0);
  j.tenant = s.text(1);
  j.spec.kind = JobKind(s.i64(2));
  j.spec.artifact = s.text(3);
  j.spec.params_json = s.text(4);
  j.spec.deadline_ms = s.i64(5);
  j.spec.priority = int32_t(s.i64(6));
  j.spec.input_size = uint64_t(s.i64(7));
  j.state = JobState(s.i64(8));
  j.stage = s.text(9);
  j.fraction = s.f64(10);
  j.input_hash = s.text(11);
  j.request_hash = s.text(12);
  j.units = uint64_t(s.i64(13));
  j.cost = uint64_t(s.i64(14));
  j.error_code = s.text(15);
  j.error = s.text(16);
  j.proof_hash = s.text(17);
  j.cached = s.i64(18) != 0;
  j.attempts = int(s.i64(19));
  j.created_ms = s.i64(20);
  j.started_ms = s.i64(21);
  j.finished_ms = s.i64(22);
  j.spec.private_input = s.blob(23);
  return j;
}

void bind_job(Stmt& s, const Job& j) {
  s.bind(j.id)
      .bind(j.tenant)
      .bind(int64_t(j.spec.kind))
      .bind(j.spec.artifact)
      .bind(j.spec.params_json)
      .bind(j.spec.deadline_ms)
      .bind(int64_t(j.spec.priority))
      .bind(int64_t(j.spec.input_size))
      .bind(int64_t(j.state))
      .bind(j.stage)
      .bind(j.fraction)
      .bind(j.input_hash)
      .bind(j.request_hash)
      .bind(int64_t(j.units))
      .bind(int64_t(j.cost))
      .bind(j.error_code)
      .bind(j.error)
      .bind(j.proof_hash)
      .bind(int64_t(j.cached ? 1 : 0))
      .bind(int64_t(j.attempts))
      .bind(j.created_ms)
      .bind(j.started_ms)
      .bind(j.finished_ms)
      .bind_blob(j.spec.private_input);
}

}  // namespace

Expected<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return err(Code::kUnavailable, "cannot open the store " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db, 5000);
  std::unique_ptr<SqliteStore> store(new SqliteStore(db));
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL;", "PRAGMA synchronous=FULL;", "PRAGMA foreign_keys=ON;"}) {
    if (Outcome o = store->exec(pragma); !o) return o.error();
  }
  if (Outcome o = store->exec(kSchema); !o) return o.error();
  // A store from before trace jobs carried a private input gets the column (NULL: none).
  if (!Stmt(db, "SELECT private_input FROM jobs LIMIT 0").ok()) {
    if (Outcome o = store->exec("ALTER TABLE jobs ADD COLUMN private_input BLOB;"); !o) {
      return o.error();
    }
  }
  return store;
}

SqliteStore::~SqliteStore() {
  sqlite3_close(db_);
}

Outcome SqliteStore::exec(const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string m = msg ? msg : "unknown error";
    sqlite3_free(msg);
    return err(Code::kInternal, std::string("sqlite: ") + m);
  }
  return ok();
}

Outcome SqliteStore::create_tenant(const Tenant& t) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "INSERT INTO tenants VALUES (?,?,?,?,?,?,?,?,?)");
  s.bind(t.name)
      .bind(t.key_hash)
      .bind(t.balance)
      .bind(int64_t(t.quota.max_concurrent_jobs))
      .bind(int64_t(t.quota.max_queued_bytes))
      .bind(int64_t(t.quota.max_input_bytes))
      .bind(int64_t(t.quota.max_units_per_hour))
      .bind(int64_t(t.weight))
      .bind(t.created_ms);
  int rc = s.step();
  if (rc == SQLITE_CONSTRAINT) return err(Code::kAlreadyExists, "tenant '" + t.name + "' exists");
  if (rc != SQLITE_DONE) return db_error(db_, "create tenant");
  return ok();
}

Expected<Tenant> SqliteStore::tenant(const std::string& name) {
  std::lock_guard lock(mu_);
  Stmt s(db_, (std::string("SELECT ") + kTenantCols + " FROM tenants WHERE name = ?").c_str());
  s.bind(name);
  int rc = s.step();
  if (rc == SQLITE_ROW) return read_tenant(s);
  if (rc == SQLITE_DONE) return err(Code::kNotFound, "no tenant '" + name + "'");
  return db_error(db_, "read tenant");
}

Expected<Tenant> SqliteStore::tenant_by_key_hash(const std::string& key_hash) {
  std::lock_guard lock(mu_);
  Stmt s(db_, (std::string("SELECT ") + kTenantCols + " FROM tenants WHERE key_hash = ?").c_str());
  s.bind(key_hash);
  int rc = s.step();
  if (rc == SQLITE_ROW) return read_tenant(s);
  if (rc == SQLITE_DONE) return err(Code::kUnauthenticated, "unknown API key");
  return db_error(db_, "read tenant");
}

Expected<std::vector<Tenant>> SqliteStore::tenants() {
  std::lock_guard lock(mu_);
  Stmt s(db_, (std::string("SELECT ") + kTenantCols + " FROM tenants ORDER BY name").c_str());
  std::vector<Tenant> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_tenant(s));
  if (rc != SQLITE_DONE) return db_error(db_, "list tenants");
  return out;
}

Outcome SqliteStore::set_key_hash(const std::string& name, const std::string& key_hash) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "UPDATE tenants SET key_hash = ? WHERE name = ?");
  s.bind(key_hash).bind(name);
  if (s.step() != SQLITE_DONE) return db_error(db_, "rotate key");
  if (sqlite3_changes(db_) == 0) return err(Code::kNotFound, "no tenant '" + name + "'");
  return ok();
}

Outcome SqliteStore::set_quota(const std::string& name, const Quota& q, uint32_t weight) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "UPDATE tenants SET max_concurrent = ?, max_queued_bytes = ?, max_input_bytes = ?, "
         "max_units_per_hour = ?, weight = ? WHERE name = ?");
  s.bind(int64_t(q.max_concurrent_jobs))
      .bind(int64_t(q.max_queued_bytes))
      .bind(int64_t(q.max_input_bytes))
      .bind(int64_t(q.max_units_per_hour))
      .bind(int64_t(weight))
      .bind(name);
  if (s.step() != SQLITE_DONE) return db_error(db_, "set quota");
  if (sqlite3_changes(db_) == 0) return err(Code::kNotFound, "no tenant '" + name + "'");
  return ok();
}

Outcome SqliteStore::top_up(const std::string& name, int64_t amount) {
  std::lock_guard lock(mu_);
  if (Outcome o = exec("BEGIN IMMEDIATE"); !o) return o;
  auto fail = [&](Error e) -> Outcome {
    (void)exec("ROLLBACK");
    return e;
  };
  Stmt u(db_, "UPDATE tenants SET balance = balance + ? WHERE name = ?");
  u.bind(amount).bind(name);
  if (u.step() != SQLITE_DONE) return fail(db_error(db_, "top up"));
  if (sqlite3_changes(db_) == 0) return fail(err(Code::kNotFound, "no tenant '" + name + "'"));
  Stmt l(db_,
         "INSERT INTO ledger (tenant, job_id, amount, units, reason, unix_ms) "
         "VALUES (?, '', ?, 0, 'topup', ?)");
  l.bind(name).bind(amount).bind(now_unix_ms());
  if (l.step() != SQLITE_DONE) return fail(db_error(db_, "ledger top-up"));
  return exec("COMMIT");
}

Outcome SqliteStore::insert_job(const Job& j) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "INSERT INTO jobs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  bind_job(s, j);
  if (s.step() != SQLITE_DONE) return db_error(db_, "insert job");
  return ok();
}

Expected<std::vector<Job>> SqliteStore::query_jobs(const std::string& where,
                                                   const std::vector<std::string>& args) {
  Stmt s(db_, (std::string("SELECT ") + kJobCols + " FROM jobs " + where).c_str());
  if (!s.ok()) return db_error(db_, "prepare job query");
  for (const auto& a : args) s.bind(a);
  std::vector<Job> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_job(s));
  if (rc != SQLITE_DONE) return db_error(db_, "read jobs");
  return out;
}

Expected<Job> SqliteStore::job(const std::string& id) {
  std::lock_guard lock(mu_);
  auto r = query_jobs("WHERE id = ?", {id});
  if (!r) return r.error();
  if (r->empty()) return err(Code::kNotFound, "no job '" + id + "'");
  return (*r)[0];
}

Expected<std::vector<Job>> SqliteStore::jobs_of(const std::string& tenant, uint32_t limit,
                                                int state) {
  std::lock_guard lock(mu_);
  std::string where = "WHERE tenant = ?";
  std::vector<std::string> args{tenant};
  if (state != 0) {
    where += " AND state = ?";
    args.push_back(std::to_string(state));
  }
  where += " ORDER BY created_ms DESC, id DESC LIMIT " + std::to_string(limit == 0 ? 100 : limit);
  return query_jobs(where, args);
}

Expected<std::vector<Job>> SqliteStore::jobs_in_state(JobState st) {
  std::lock_guard lock(mu_);
  return query_jobs("WHERE state = ? ORDER BY created_ms, id", {std::to_string(int(st))});
}

Outcome SqliteStore::update_job(const Job& j) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "UPDATE jobs SET state = ?, stage = ?, fraction = ?, units = ?, cost = ?, "
         "error_code = ?, error = ?, proof_hash = ?, attempts = ?, started_ms = ?, "
         "finished_ms = ? WHERE id = ?");
  s.bind(int64_t(j.state))
      .bind(j.stage)
      .bind(j.fraction)
      .bind(int64_t(j.units))
      .bind(int64_t(j.cost))
      .bind(j.error_code)
      .bind(j.error)
      .bind(j.proof_hash)
      .bind(int64_t(j.attempts))
      .bind(j.started_ms)
      .bind(j.finished_ms)
      .bind(j.id);
  if (s.step() != SQLITE_DONE) return db_error(db_, "update job");
  return ok();
}

Outcome SqliteStore::finish_and_charge(const Job& j) {
  std::lock_guard lock(mu_);
  if (Outcome o = exec("BEGIN IMMEDIATE"); !o) return o;
  auto fail = [&](Error e) -> Outcome {
    (void)exec("ROLLBACK");
    return e;
  };
  Stmt u(db_,
         "UPDATE jobs SET state = ?, stage = ?, fraction = 1, units = ?, cost = ?, "
         "proof_hash = ?, finished_ms = ?, error_code = '', error = '' WHERE id = ?");
  u.bind(int64_t(JobState::kSucceeded))
      .bind(j.stage)
      .bind(int64_t(j.units))
      .bind(int64_t(j.cost))
      .bind(j.proof_hash)
      .bind(j.finished_ms)
      .bind(j.id);
  if (u.step() != SQLITE_DONE) return fail(db_error(db_, "finish job"));
  if (j.cost > 0) {
    Stmt l(db_,
           "INSERT INTO ledger (tenant, job_id, amount, units, reason, unix_ms) "
           "VALUES (?, ?, ?, ?, 'charge', ?)");
    l.bind(j.tenant).bind(j.id).bind(-int64_t(j.cost)).bind(int64_t(j.units)).bind(j.finished_ms);
    int rc = l.step();
    if (rc == SQLITE_CONSTRAINT)
      return fail(err(Code::kAlreadyExists, "job " + j.id + " was already charged"));
    if (rc != SQLITE_DONE) return fail(db_error(db_, "ledger charge"));
    Stmt b(db_, "UPDATE tenants SET balance = balance - ? WHERE name = ?");
    b.bind(int64_t(j.cost)).bind(j.tenant);
    if (b.step() != SQLITE_DONE) return fail(db_error(db_, "charge balance"));
  }
  return exec("COMMIT");
}

Expected<std::vector<Job>> SqliteStore::succeeded_with_request(const std::string& request_hash) {
  std::lock_guard lock(mu_);
  return query_jobs("WHERE request_hash = ? AND state = ? AND proof_hash != '' LIMIT 1",
                    {request_hash, std::to_string(int(JobState::kSucceeded))});
}

Expected<uint64_t> SqliteStore::units_since(const std::string& tenant, int64_t since_ms) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT COALESCE(SUM(units), 0) FROM ledger WHERE tenant = ? AND reason = 'charge' "
         "AND unix_ms >= ?");
  s.bind(tenant).bind(since_ms);
  if (s.step() != SQLITE_ROW) return db_error(db_, "sum units");
  return uint64_t(s.i64(0));
}

Expected<std::vector<LedgerEntry>> SqliteStore::ledger(const std::string& tenant, uint32_t limit) {
  std::lock_guard lock(mu_);
  std::string sql = "SELECT seq, tenant, job_id, amount, units, reason, unix_ms FROM ledger";
  if (!tenant.empty()) sql += " WHERE tenant = ?";
  sql += " ORDER BY seq LIMIT " + std::to_string(limit == 0 ? 1000 : limit);
  Stmt s(db_, sql.c_str());
  if (!tenant.empty()) s.bind(tenant);
  std::vector<LedgerEntry> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    out.push_back(
        {s.i64(0), s.text(1), s.text(2), s.i64(3), uint64_t(s.i64(4)), s.text(5), s.i64(6)});
  }
  if (rc != SQLITE_DONE) return db_error(db_, "read ledger");
  return out;
}

Outcome SqliteStore::put_artifact(const ArtifactRecord& a) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "INSERT OR IGNORE INTO artifacts VALUES (?,?,?,?)");
  s.bind(a.hash).bind(int64_t(a.kind)).bind(int64_t(a.size)).bind(a.created_ms);
  if (s.step() != SQLITE_DONE) return db_error(db_, "index artifact");
  return ok();
}

Expected<ArtifactRecord> SqliteStore::artifact(const std::string& hash) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT hash, kind, size, created_ms FROM artifacts WHERE hash = ?");
  s.bind(hash);
  int rc = s.step();
  if (rc == SQLITE_DONE) return err(Code::kNotFound, "no artifact " + hash + " (upload it first)");
  if (rc != SQLITE_ROW) return db_error(db_, "read artifact");
  return ArtifactRecord{s.text(0), ArtifactKind(s.i64(1)), uint64_t(s.i64(2)), s.i64(3)};
}

Outcome SqliteStore::set_price(JobKind kind, uint64_t price) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "INSERT INTO prices VALUES (?, ?) ON CONFLICT(kind) DO UPDATE SET price = excluded.price");
  s.bind(int64_t(kind)).bind(int64_t(price));
  if (s.step() != SQLITE_DONE) return db_error(db_, "set price");
  return ok();
}

Expected<std::vector<std::pair<JobKind, uint64_t>>> SqliteStore::prices() {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT kind, price FROM prices");
  std::vector<std::pair<JobKind, uint64_t>> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.emplace_back(JobKind(s.i64(0)), uint64_t(s.i64(1)));
  if (rc != SQLITE_DONE) return db_error(db_, "read prices");
  return out;
}

Outcome SqliteStore::put_piece(const std::string& job_id, uint32_t index,
                               const std::string& path) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "INSERT INTO job_pieces VALUES (?, ?, ?) "
         "ON CONFLICT(job_id, idx) DO UPDATE SET path = excluded.path");
  s.bind(job_id).bind(int64_t(index)).bind(path);
  if (s.step() != SQLITE_DONE) return db_error(db_, "record a checkpoint");
  return ok();
}

Expected<std::vector<std::pair<uint32_t, std::string>>> SqliteStore::pieces(
    const std::string& job_id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT idx, path FROM job_pieces WHERE job_id = ? ORDER BY idx");
  s.bind(job_id);
  std::vector<std::pair<uint32_t, std::string>> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.emplace_back(uint32_t(s.i64(0)), s.text(1));
  if (rc != SQLITE_DONE) return db_error(db_, "read checkpoints");
  return out;
}

Outcome SqliteStore::delete_pieces(const std::string& job_id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "DELETE FROM job_pieces WHERE job_id = ?");
  s.bind(job_id);
  if (s.step() != SQLITE_DONE) return db_error(db_, "delete checkpoints");
  return ok();
}

}  // namespace efaas::farm
