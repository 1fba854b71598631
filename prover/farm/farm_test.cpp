// Unit tests of the farm below its network edge: the SQLite store (charge once, append-only
// ledger), the config parser, and the scheduler (weighted fair share, priorities) on real
// Groth16 jobs.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "prover/farm/config.hpp"
#include "prover/farm/farm.hpp"
#include "prover/farm/store.hpp"

namespace efaas::farm {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string temp_dir(const std::string& tag) {
  auto d =
      fs::temp_directory_path() / ("efaas-farm-unit-" + tag + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

TEST(FarmStore, ChargesAJobOnceAndTheLedgerIsAppendOnly) {
  const std::string dir = temp_dir("store");
  auto store = SqliteStore::open(dir + "/s.sqlite");
  ASSERT_TRUE(store) << store.error().to_string();
  Tenant t{"alice", "hash-a", 0, {1, 2, 3, 4}, 1, now_unix_ms()};
  ASSERT_TRUE((*store)->create_tenant(t));
  EXPECT_EQ((*store)->create_tenant(t).error().code, Code::kAlreadyExists);
  ASSERT_TRUE((*store)->top_up("alice", 1000));
  EXPECT_EQ((*store)->top_up("nobody", 5).error().code, Code::kNotFound);
  Job j;
  j.id = "job_1";
  j.tenant = "alice";
  j.units = 7;
  j.cost = 70;
  j.created_ms = now_unix_ms();
  ASSERT_TRUE((*store)->insert_job(j));
  j.proof_hash = "p";
  j.finished_ms = now_unix_ms();
  ASSERT_TRUE((*store)->finish_and_charge(j));
  // A second charge of the same job (a retry after a crash) is refused and changes nothing.
  auto again = (*store)->finish_and_charge(j);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Code::kAlreadyExists);
  EXPECT_EQ((*store)->tenant("alice")->balance, 930);
  EXPECT_EQ(*(*store)->units_since("alice", 0), 7u);
  auto led = (*store)->ledger("alice", 0);
  ASSERT_TRUE(led);
  ASSERT_EQ(led->size(), 2u);
  EXPECT_EQ((*led)[1].amount, -70);
  EXPECT_EQ((*store)->job("job_1")->state, JobState::kSucceeded);
  EXPECT_EQ((*store)->tenant_by_key_hash("hash-a")->name, "alice");
  EXPECT_EQ((*store)->tenant_by_key_hash("nope").error().code, Code::kUnauthenticated);
  store->reset();
  // The ledger refuses edits even from a direct SQL connection.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/s.sqlite").c_str(), &db), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "UPDATE ledger SET amount = 0", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "DELETE FROM ledger", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  fs::remove_all(dir);
}

// A trace job's private input (JobSpec::private_input) is kept with its row, absent, empty and
// binary bytes apart; a store created before the column gets it when opened, its old rows
// without one.
TEST(FarmStore, KeepsATraceJobsPrivateInputAndAddsTheColumnToAnOldStore) {
  const std::string dir = temp_dir("private");
  {
    // The jobs table as it was before the column, with one job in it.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir + "/s.sqlite").c_str(), &db), SQLITE_OK);
    const char* old = R"(CREATE TABLE tenants (name TEXT PRIMARY KEY, key_hash TEXT NOT NULL UNIQUE,
  balance INTEGER NOT NULL, max_concurrent INTEGER NOT NULL, max_queued_bytes INTEGER NOT NULL,
  max_input_bytes INTEGER NOT NULL, max_units_per_hour INTEGER NOT NULL, weight INTEGER NOT NULL,
  created_ms INTEGER NOT NULL);
CREATE TABLE jobs (id TEXT PRIMARY KEY, tenant TEXT NOT NULL REFERENCES tenants(name),
  kind INTEGER NOT NULL, artifact TEXT NOT NULL, params TEXT NOT NULL,
  deadline_ms INTEGER NOT NULL, priority INTEGER NOT NULL, input_size INTEGER NOT NULL,
  state INTEGER NOT NULL, stage TEXT NOT NULL, fraction REAL NOT NULL, input_hash TEXT NOT NULL,
  request_hash TEXT NOT NULL, units INTEGER NOT NULL, cost INTEGER NOT NULL,
  error_code TEXT NOT NULL, error TEXT NOT NULL, proof_hash TEXT NOT NULL,
  cached INTEGER NOT NULL, attempts INTEGER NOT NULL, created_ms INTEGER NOT NULL,
  started_ms INTEGER NOT NULL, finished_ms INTEGER NOT NULL);
INSERT INTO tenants VALUES ('alice', 'h', 0, 1, 2, 3, 4, 1, 0);
INSERT INTO jobs VALUES ('job_old', 'alice', 1, 'a', '{}', 0, 0, 5, 0, 'queued', 0, 'i', 'r', 4,
  40, '', '', '', 0, 0, 0, 0, 0);)";
    char* msg = nullptr;
    ASSERT_EQ(sqlite3_exec(db, old, nullptr, nullptr, &msg), SQLITE_OK) << (msg ? msg : "");
    sqlite3_close(db);
  }
  auto store = SqliteStore::open(dir + "/s.sqlite");
  ASSERT_TRUE(store) << store.error().to_string();
  auto old_job = (*store)->job("job_old");
  ASSERT_TRUE(old_job) << old_job.error().to_string();
  EXPECT_FALSE(old_job->spec.private_input.has_value());
  EXPECT_EQ(old_job->units, 4u);
  const std::string secret("\x00\x01\xffsecret\x00", 10);
  for (const auto& [id, priv] : std::vector<std::pair<std::string, std::optional<std::string>>>{
           {"job_none", std::nullopt}, {"job_empty", std::string()}, {"job_bytes", secret}}) {
    Job j;
    j.id = id;
    j.tenant = "alice";
    j.spec.kind = JobKind::kZkwasmTrace;
    j.spec.private_input = priv;
    ASSERT_TRUE((*store)->insert_job(j)) << id;
    auto back = (*store)->job(id);
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(back->spec.private_input, priv) << id;
  }
  store->reset();
  auto again = SqliteStore::open(dir + "/s.sqlite");  // the column is there already
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ((*again)->job("job_bytes")->spec.private_input, secret);
  fs::remove_all(dir);
}

TEST(FarmConfig, ParsesKnownKeysAndNamesBadOnes) {
  auto c = parse_config(R"({"listen": "0.0.0.0:7300", "workers": 2, "prices": {"groth16": 3},
                            "tenant_defaults": {"max_concurrent_jobs": 5}, "allow_insecure": true})",
                        "farm.json");
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(c->listen, "0.0.0.0:7300");
  EXPECT_EQ(c->workers, 2u);
  EXPECT_EQ(c->prices[JobKind::kGroth16], 3u);
  EXPECT_EQ(c->default_quota.max_concurrent_jobs, 5u);
  EXPECT_TRUE(c->allow_insecure);
  EXPECT_EQ(c->segment_log, 20u);  // the prover's default segment size
  auto seg = parse_config(R"({"segment_log": 12, "devices": ["cpu", "opencl:0"]})", "farm.json");
  ASSERT_TRUE(seg) << seg.error().to_string();
  EXPECT_EQ(seg->segment_log, 12u);
  EXPECT_EQ(seg->devices, (std::vector<std::string>{"cpu", "opencl:0"}));
  struct Bad {
    const char* text;
    const char* needle;
  } bad[] = {
      {R"({"listne": "x"})", "unknown key 'listne'"},
      {R"({"workers": -1})", "workers"},
      {R"({"workers": 0})", "workers must be at least 1"},
      {R"({"prices": {"plonk": 1}})", "plonk"},
      {R"({"tenant_defaults": {"max_jobs": 1}})", "max_jobs"},
      {R"({"devices": ["tpu"]})", "tpu"},
      {R"({"devices": ["opencl:x"]})", "opencl:x"},
      {R"({"devices": ["cpu", "cpu"]})", "listed twice"},
      {R"({"devices": []})", "devices is empty"},
      {R"({"segment_log": 3})", "segment_log"},
      {R"({"segment_log": 21})", "segment_log"},
      {R"({"max_chunk_bytes": 1048576, "inflight_budget_bytes": 10})", "inflight_budget_bytes"},
      {"[1,2", "not a JSON object"},
  };
  for (const auto& b : bad) {
    auto r = parse_config(b.text, "farm.json");
    ASSERT_FALSE(r) << b.text;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
    EXPECT_NE(r.error().message.find(b.needle), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("farm.json"), std::string::npos);
  }
  EXPECT_TRUE(is_loopback_address("127.0.0.1:0"));
  EXPECT_TRUE(is_loopback_address("localhost:7300"));
  EXPECT_TRUE(is_loopback_address("[::1]:7300"));
  EXPECT_FALSE(is_loopback_address("0.0.0.0:7300"));
  EXPECT_FALSE(is_loopback_address("[::]:7300"));
  EXPECT_FALSE(is_loopback_address("10.0.0.1:7300"));
}

std::string shared_dir() {
  const char* d = std::getenv("EFAAS_SHARED_DIR");
  return d ? d : "../shared";
}

// Real jobs on one worker: a tenant that arrives late with one job runs before the earlier
// tenant's backlog (fair share), and priorities order a tenant's own jobs.
TEST(FarmScheduler, WeightedFairShareAndPriorities) {
  const std::string dir = temp_dir("sched");
  const std::string fx = shared_dir() + "/fixtures/groth16/poseidon_chain40/";
  FarmConfig cfg;
  cfg.store_dir = dir;
  cfg.workers = 1;
  cfg.stage_delay_ms = 150;
  auto farm = Farm::open(cfg);
  ASSERT_TRUE(farm) << farm.error().to_string();
  Farm& f = **farm;
  ASSERT_TRUE(f.create_tenant("alice", 1'000'000, {}, 1));
  ASSERT_TRUE(f.create_tenant("bob", 1'000'000, {}, 1));
  const std::string ztmp = f.tmp_path("zkey");
  fs::copy_file(fx + "circuit.zkey", ztmp);
  auto zh = hash_file(ztmp);
  ASSERT_TRUE(zh);
  ASSERT_TRUE(f.put_artifact(ArtifactKind::kZkey, ztmp, *zh, fs::file_size(fx + "circuit.zkey")));
  auto wh = hash_file(fx + "witness.wtns");
  f.start();

  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> started;  // job ids in the order they started running
  std::vector<uint64_t> tokens;
  auto submit = [&](const std::string& tenant, int priority, const std::string& tag) {
    auto t = f.authenticate("x");  // wrong key: UNAUTHENTICATED
    EXPECT_FALSE(t);
    Tenant ten;
    ten.name = tenant;
    ten.quota = cfg.default_quota;
    JobSpec spec;
    spec.kind = JobKind::kGroth16;
    spec.artifact = *zh;
    spec.params_json = "{\"tag\":\"" + tag + "\"}";
    spec.priority = priority;
    spec.input_size = fs::file_size(fx + "witness.wtns");
    auto a = f.admit(ten, spec);
    EXPECT_TRUE(a) << a.error().to_string();
    const std::string in = f.tmp_path("in");
    fs::copy_file(fx + "witness.wtns", in);
    auto snap = f.commit(*a, in, *wh);
    EXPECT_TRUE(snap) << snap.error().to_string();
    const std::string id = snap->job.id;
    tokens.push_back(f.subscribe(id, [&, id](const JobSnapshot& s) {
      if (s.job.state != JobState::kRunning) return;
      std::lock_guard lock(mu);
      if (std::find(started.begin(), started.end(), id) == started.end()) started.push_back(id);
      cv.notify_all();
    }));
    return id;
  };
  auto wait_started = [&](size_t n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 60s, [&] { return started.size() >= n; });
  };
  const std::string a1 = submit("alice", 0, "a1");
  ASSERT_TRUE(wait_started(1));
  const std::string a2 = submit("alice", 0, "a2");
  const std::string a3 = submit("alice", 5, "a3");  // higher priority than a2
  const std::string b1 = submit("bob", 0, "b1");
  ASSERT_TRUE(wait_started(2));
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(started[0], a1);
    EXPECT_EQ(started[1], b1) << "bob waited behind alice's backlog";
  }
  ASSERT_TRUE(f.cancel("bob", b1));
  ASSERT_TRUE(wait_started(3));
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(started[2], a3) << "priority 5 did not go before priority 0";
  }
  // Another tenant cannot cancel alice's job; alice can.
  EXPECT_EQ(f.cancel("bob", a2).error().code, Code::kNotFound);
  ASSERT_TRUE(f.cancel("alice", a2));
  ASSERT_TRUE(f.cancel("alice", a3));
  for (auto t : tokens) f.unsubscribe(t);
  f.stop(30);
  auto j1 = f.job("alice", a1);
  ASSERT_TRUE(j1);
  EXPECT_EQ(j1->job.state, JobState::kSucceeded);
  EXPECT_EQ(f.job("alice", a2)->job.state, JobState::kCancelled);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace efaas::farm
