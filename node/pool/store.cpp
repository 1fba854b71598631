#include "node/pool/store.hpp"

#include <sqlite3.h>

#include "node/core/encoding.hpp"

namespace efaas::node {
namespace {

// A prepared statement finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return s_; }
  void blob(int i, std::span<const uint8_t> b) { sqlite3_bind_blob(s_, i, b.data(), int(b.size()), SQLITE_TRANSIENT); }
  void text(int i, const std::string& t) { sqlite3_bind_text(s_, i, t.data(), int(t.size()), SQLITE_TRANSIENT); }
  void i64(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void real(int i, double v) { sqlite3_bind_double(s_, i, v); }
  int step() { return sqlite3_step(s_); }
  Bytes col_blob(int i) {
    auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(s_, i));
    return Bytes(p, p + sqlite3_column_bytes(s_, i));
  }
  std::string col_text(int i) {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, i));
    return p ? std::string(p, size_t(sqlite3_column_bytes(s_, i))) : std::string();
  }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

template <size_t N>
Result<std::array<uint8_t, N>> fixed_from(const Bytes& b, const std::string& what) {
  if (b.size() != N) return data_loss(what + ": stored value has " + std::to_string(b.size()) + " bytes");
  std::array<uint8_t, N> out;
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open(const std::string& path) {
  std::unique_ptr<Store> s(new Store());
  s->path_ = path;
  if (sqlite3_open_v2(path.c_str(), &s->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    return internal_error("sqlite: cannot open " + path + ": " + (s->db_ ? sqlite3_errmsg(s->db_) : "out of memory"));
  }
  sqlite3_busy_timeout(s->db_, 5000);
  EFAAS_RETURN_IF_ERROR(s->exec("PRAGMA journal_mode=WAL"));
  EFAAS_RETURN_IF_ERROR(s->exec("PRAGMA synchronous=FULL"));
  EFAAS_RETURN_IF_ERROR(s->exec(
      "CREATE TABLE IF NOT EXISTS operations (hash BLOB PRIMARY KEY, body BLOB NOT NULL, sender BLOB NOT NULL,"
      " received_ms INTEGER NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL, detail TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS post_ops (hash BLOB PRIMARY KEY, body BLOB NOT NULL, received_ms INTEGER NOT NULL,"
      " source TEXT NOT NULL, block_number INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS reputation (kind TEXT NOT NULL, key TEXT NOT NULL, valid REAL, invalid REAL,"
      " accepted REAL, rejected REAL, available REAL, unavailable REAL, disputes_won REAL, disputes_lost REAL,"
      " updated_ms INTEGER, blacklisted_until_ms INTEGER, PRIMARY KEY (kind, key));"
      "CREATE TABLE IF NOT EXISTS verdicts (request_id BLOB NOT NULL, responder BLOB NOT NULL, body BLOB NOT NULL,"
      " PRIMARY KEY (request_id, responder));"
      "CREATE TABLE IF NOT EXISTS evidence (id BLOB PRIMARY KEY, kind TEXT NOT NULL, offender BLOB NOT NULL,"
      " request_id BLOB NOT NULL, verdict_a BLOB NOT NULL, verdict_b BLOB, post_op BLOB,"
      " status TEXT NOT NULL, detail TEXT NOT NULL, created_ms INTEGER NOT NULL);"));
  return s;
}

Store::~Store() {
  if (db_) sqlite3_close_v2(db_);
}

Status Store::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "unknown error";
    sqlite3_free(err);
    return internal_error("sqlite (" + path_ + "): " + m);
  }
  return Status::ok();
}

#define EFAAS_SQL_STEP(stmt, what)                                                                 \
  do {                                                                                             \
    if (!(stmt).ok() || (stmt).step() != SQLITE_DONE) {                                            \
      return internal_error(std::string("sqlite: ") + (what) + ": " + sqlite3_errmsg(db_));        \
    }                                                                                              \
  } while (0)

Status Store::put_operation(const OperationRecord& r) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, "INSERT OR REPLACE INTO operations VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  s.blob(1, r.hash);
  s.blob(2, encode(r.op));
  s.blob(3, r.sender);
  s.i64(4, r.received_ms);
  s.text(5, r.source);
  s.text(6, r.status);
  s.text(7, r.detail);
  EFAAS_SQL_STEP(s, "put operation");
  return Status::ok();
}

Status Store::set_operation_status(const Hash32& hash, const std::string& status, const std::string& detail) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, "UPDATE operations SET status = ?2, detail = ?3 WHERE hash = ?1");
  s.blob(1, hash);
  s.text(2, status);
  s.text(3, detail);
  EFAAS_SQL_STEP(s, "update operation status");
  return Status::ok();
}

Status Store::delete_operation(const Hash32& hash) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, "DELETE FROM operations WHERE hash = ?1");
  s.blob(1, hash);
  EFAAS_SQL_STEP(s, "delete operation");
  return Status::ok();
}

Result<std::vector<OperationRecord>> Store::load_operations() {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, "SELECT hash, body, sender, received_ms, source, status, detail FROM operations ORDER BY received_ms");
  if (!s.ok()) return internal_error(std::string("sqlite: load operations: ") + sqlite3_errmsg(db_));
  std::vector<OperationRecord> out;
  while (s.step() == SQLITE_ROW) {
    OperationRecord r;
    auto h = fixed_from<32>(s.col_blob(0), "operations.hash");
    if (!h) return h.status();
    r.hash = *h;
    auto op = decode_operation(s.col_blob(1));
    if (!op) return data_loss("operations row " + hex0x(r.hash) + ": " + op.status().message());
    r.op = std::move(*op);
    auto sender = fixed_from<20>(s.col_blob(2), "operations.sender");
    if (!sender) return sender.status();
    r.sender = *sender;
    r.received_ms = sqlite3_column_int64(s.get(), 3);
    r.source = s.col_text(4);
    r.status = s.col_text(5);
    r.detail = s.col_text(6);
    out.push_back(std::move(r));
  }
  return out;
}

Status Store::put_post_op(const PostOpRecord& r) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, "INSERT OR REPLACE INTO post_ops VALUES (?1, ?2, ?3, ?4, ?5)");
  s.blob(1, r.hash);
  s.blob(2, encode(r.post_op));
  s.i64(3, r.received_ms);
  s.text(4, r.source);
  s.i64(5, int64_t(r.processed_block_number));
  EFAAS_SQL_STEP(s, "put post_op");
  return Status::ok();
}

Status Store::delete_post_op(const Hash32& hash) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, "DELETE FROM post_ops WHERE hash = ?1");
  s.blob(1, hash);
  EFAAS_SQL_STEP(s, "delete post_op");
  return Status::ok();
}

Result<std::vector<PostOpRecord>> Store::load_post_ops() {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, "SELECT hash, body, received_ms, source, block_number FROM post_ops ORDER BY received_ms");
  if (!s.ok()) return internal_error(std::string("sqlite: load post_ops: ") + sqlite3_errmsg(db_));
  std::vector<PostOpRecord> out;
  while (s.step() == SQLITE_ROW) {
    PostOpRecord r;
    auto h = fixed_from<32>(s.col_blob(0), "post_ops.hash");
    if (!h) return h.status();
    r.hash = *h;
    auto p = decode_post_op(s.col_blob(1));
    if (!p) return data_loss("post_ops row " + hex0x(r.hash) + ": " + p.status().message());
    r.post_op = std::move(*p);
    r.received_ms = sqlite3_column_int64(s.get(), 2);
    r.source = s.col_text(3);
    r.processed_block_number = uint64_t(sqlite3_column_int64(s.get(), 4));
    out.push_back(std::move(r));
  }
  return out;
}

Status Store::put_verdict(const Hash32& request_id, const Address& responder, std::span<const uint8_t> encoded) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, "INSERT OR REPLACE INTO verdicts VALUES (?1, ?2, ?3)");
  s.blob(1, request_id);
  s.blob(2, responder);
  s.blob(3, encoded);
  EFAAS_SQL_STEP(s, "put verdict");
  return Status::ok();
}

Result<std::vector<std::pair<Hash32, Bytes>>> Store::load_verdicts() {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, "SELECT request_id, body FROM verdicts");
  if (!s.ok()) return internal_error(std::string("sqlite: load verdicts: ") + sqlite3_errmsg(db_));
  std::vector<std::pair<Hash32, Bytes>> out;
  while (s.step() == SQLITE_ROW) {
    auto h = fixed_from<32>(s.col_blob(0), "verdicts.request_id");
    if (!h) return h.status();
    out.emplace_back(*h, s.col_blob(1));
  }
  return out;
}

Status Store::put_evidence(const EvidenceRecord& e) {
  if (e.verdicts.empty() || e.verdicts.size() > 2) return invalid_argument("evidence: one or two verdicts");
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, "INSERT OR IGNORE INTO evidence VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  s.blob(1, e.id);
  s.text(2, e.kind);
  s.blob(3, e.offender);
  s.blob(4, e.request_id);
  s.blob(5, e.verdicts[0]);
  s.blob(6, e.verdicts.size() > 1 ? std::span<const uint8_t>(e.verdicts[1]) : std::span<const uint8_t>());
  s.blob(7, e.post_op);
  s.text(8, e.status);
  s.text(9, e.detail);
  s.i64(10, e.created_ms);
  EFAAS_SQL_STEP(s, "put evidence");
  return Status::ok();
}

Status Store::set_evidence_status(const Hash32& id, const std::string& status, const std::string& detail) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, "UPDATE evidence SET status = ?2, detail = ?3 WHERE id = ?1");
  s.blob(1, id);
  s.text(2, status);
  s.text(3, detail);
  EFAAS_SQL_STEP(s, "set evidence status");
  return Status::ok();
}

Result<std::vector<EvidenceRecord>> Store::load_evidence() {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, "SELECT id, kind, offender, request_id, verdict_a, verdict_b, post_op, status, detail, created_ms"
              " FROM evidence ORDER BY created_ms");
  if (!s.ok()) return internal_error(std::string("sqlite: load evidence: ") + sqlite3_errmsg(db_));
  std::vector<EvidenceRecord> out;
  while (s.step() == SQLITE_ROW) {
    EvidenceRecord e;
    auto id = fixed_from<32>(s.col_blob(0), "evidence.id");
    if (!id) return id.status();
    e.id = *id;
    e.kind = s.col_text(1);
    auto offender = fixed_from<20>(s.col_blob(2), "evidence.offender");
    if (!offender) return offender.status();
    e.offender = *offender;
    auto rid = fixed_from<32>(s.col_blob(3), "evidence.request_id");
    if (!rid) return rid.status();
    e.request_id = *rid;
    e.verdicts.resize(sqlite3_column_bytes(s.get(), 5) > 0 ? 2 : 1);
    e.verdicts[0] = s.col_blob(4);
    if (e.verdicts.size() > 1) e.verdicts[1] = s.col_blob(5);
    e.post_op = s.col_blob(6);
    e.status = s.col_text(7);
    e.detail = s.col_text(8);
    e.created_ms = sqlite3_column_int64(s.get(), 9);
    out.push_back(std::move(e));
  }
  return out;
}

Status Store::put_reputation(const std::string& kind, const std::string& key, const ReputationCounters& c) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, "INSERT OR REPLACE INTO reputation VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  s.text(1, kind);
  s.text(2, key);
  s.real(3, c.valid);
  s.real(4, c.invalid);
  s.real(5, c.accepted);
  s.real(6, c.rejected);
  s.real(7, c.available);
  s.real(8, c.unavailable);
  s.real(9, c.disputes_won);
  s.real(10, c.disputes_lost);
  s.i64(11, c.updated_ms);
  s.i64(12, c.blacklisted_until_ms);
  EFAAS_SQL_STEP(s, "put reputation");
  return Status::ok();
}

Result<std::vector<std::tuple<std::string, std::string, ReputationCounters>>> Store::load_reputation() {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, "SELECT * FROM reputation");
  if (!s.ok()) return internal_error(std::string("sqlite: load reputation: ") + sqlite3_errmsg(db_));
  std::vector<std::tuple<std::string, std::string, ReputationCounters>> out;
  while (s.step() == SQLITE_ROW) {
    ReputationCounters c;
    double* fields[] = {&c.valid, &c.invalid, &c.accepted, &c.rejected, &c.available, &c.unavailable,
                        &c.disputes_won, &c.disputes_lost};
    for (int i = 0; i < 8; ++i) *fields[i] = sqlite3_column_double(s.get(), 2 + i);
    c.updated_ms = sqlite3_column_int64(s.get(), 10);
    c.blacklisted_until_ms = sqlite3_column_int64(s.get(), 11);
    out.emplace_back(s.col_text(0), s.col_text(1), c);
  }
  return out;
}

}  // namespace efaas::node
