// The prover farm end to end: a real efaas-farm process on loopback ports, driven over gRPC.
// Groth16 proofs come back and are checked by the native verifier against snarkjs's
// verification key; refusals, malformed streams, cancellation, deadlines, 64 concurrent
// clients, TLS, SIGTERM drain and SIGKILL + restart are exercised against the same binary.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "prover/common/rng.hpp"
#include "prover/device/backend.hpp"
#include "prover/device/opencl.hpp"
#include "prover/farm/client.hpp"
#include "prover/farm/zkwasm_testing.hpp"
#include "prover/groth16/groth16.hpp"
#include "prover/wasm/extension.hpp"
#include "prover/zkwasm/zkwasm.hpp"
#include "rpc/health.grpc.pb.h"

namespace efaas::farm {
namespace {

namespace fs = std::filesystem;
namespace pb = efaas::farm::v1;
using namespace std::chrono_literals;

std::string shared_dir() {
  const char* d = std::getenv("EFAAS_SHARED_DIR");
  return d ? d : "../shared";
}
std::string fixture(const std::string& name) {
  return shared_dir() + "/fixtures/groth16/poseidon_chain40/" + name;
}
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One efaas-farm process with its own store; ports are chosen by the OS (port 0).
class FarmProc {
 public:
  explicit FarmProc(std::string store) : store_(std::move(store)) {}
  ~FarmProc() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // Starts the farm and waits until it serves. False (with the log in `why`) if it exited.
  bool start(std::vector<std::string> extra = {}, std::string* why = nullptr,
             int* exit_code = nullptr) {
    fs::create_directories(store_);
    const std::string ports = store_ + "/ports.json";
    fs::remove(ports);
    std::vector<std::string> args = {EFAAS_FARM_BIN, "--store",          store_, "--ports-file",
                                     ports,          "--prover-threads", "2",    "--log-level",
                                     "info"};
    args.insert(args.end(), extra.begin(), extra.end());
    const std::string log = store_ + "/farm.log";
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    for (int i = 0; i < 600; ++i) {
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        if (why) *why = slurp(log);
        if (exit_code) *exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        return false;
      }
      if (fs::exists(ports)) {
        auto j = nlohmann::json::parse(slurp(ports));
        farm_port = j["farm"];
        admin_port = j["admin"];
        metrics_port = j["metrics"];
        admin_token = slurp(store_ + "/admin.token");
        admin_token = admin_token.substr(0, admin_token.find('\n'));
        return true;
      }
      std::this_thread::sleep_for(50ms);
    }
    if (why) *why = "timed out waiting for " + ports;
    return false;
  }
  void signal(int sig) { ::kill(pid_, sig); }
  // Exit status after a signal or a drain.
  int wait_exit() {
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
    return st;
  }
  std::string log() const { return slurp(store_ + "/farm.log"); }

  std::unique_ptr<pb::Farm::Stub> farm() {
    return pb::Farm::NewStub(
        client::make_channel(host + ":" + std::to_string(farm_port), tls, nullptr));
  }
  std::unique_ptr<pb::FarmAdmin::Stub> admin() {
    return pb::FarmAdmin::NewStub(
        client::make_channel(host + ":" + std::to_string(admin_port), tls, nullptr));
  }
  std::string create_tenant(const std::string& name, int64_t balance, pb::Quota quota = {}) {
    auto a = admin();
    pb::CreateTenantRequest req;
    req.set_name(name);
    req.set_balance(balance);
    *req.mutable_quota() = quota;
    pb::TenantKey key;
    auto ctx = client::admin_context(admin_token, 10);
    grpc::Status st = a->CreateTenant(ctx.get(), req, &key);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return key.api_key();
  }
  pb::Usage usage(const std::string& tenant) {
    auto a = admin();
    pb::TenantRef r;
    r.set_tenant(tenant);
    pb::Usage u;
    auto ctx = client::admin_context(admin_token, 10);
    EXPECT_TRUE(a->GetTenantUsage(ctx.get(), r, &u).ok());
    return u;
  }
  std::vector<pb::LedgerEntry> ledger(const std::string& tenant) {
    auto a = admin();
    pb::LedgerRequest r;
    r.set_tenant(tenant);
    pb::LedgerReply rep;
    auto ctx = client::admin_context(admin_token, 10);
    EXPECT_TRUE(a->GetLedger(ctx.get(), r, &rep).ok());
    return {rep.entries().begin(), rep.entries().end()};
  }
  std::string metrics() {
    // A minimal HTTP/1.0 GET, enough for /metrics.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(uint16_t(metrics_port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      return "";
    }
    const std::string req = "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
    (void)!::write(fd, req.data(), req.size());
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, size_t(n));
    ::close(fd);
    return out;
  }

  int farm_port = 0, admin_port = 0, metrics_port = 0;
  std::string admin_token;
  client::ChannelOptions tls;  // TLS roots for the clients (empty: plaintext)
  std::string host = "127.0.0.1";

 private:
  std::string store_;
  pid_t pid_ = -1;
};

// Value of a metric line "name value" (or "name{labels} value").
double metric(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return -1;
}

class FarmE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = (fs::temp_directory_path() /
            ("efaas-farm-" + std::string(info->name()) + "-" + std::to_string(::getpid())))
               .string();
    fs::remove_all(dir_);
    zkey_ = slurp(fixture("circuit.zkey"));
    wtns_ = slurp(fixture("witness.wtns"));
    ASSERT_GT(zkey_.size(), 1000u) << "fixture missing: " << fixture("circuit.zkey");
    ASSERT_GT(wtns_.size(), 100u);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  std::string store() const { return dir_ + "/store"; }

  // Uploads the fixture's .zkey; returns its content hash.
  std::string upload_zkey(pb::Farm::Stub& stub, const std::string& key, bool* already = nullptr) {
    pb::ArtifactRef ref;
    grpc::Status st = client::upload_artifact(stub, key, pb::ARTIFACT_KIND_ZKEY, zkey_, &ref);
    EXPECT_TRUE(st.ok()) << st.error_message();
    if (already) *already = ref.already_stored();
    return ref.content_hash();
  }
  pb::JobHeader groth16_header(const std::string& zkey_hash, int64_t deadline_ms = 0) {
    pb::JobHeader h;
    h.set_kind(pb::JOB_KIND_GROTH16);
    h.set_artifact(zkey_hash);
    h.set_input_size(wtns_.size());
    h.set_deadline_unix_ms(deadline_ms);
    return h;
  }
  // The proof bundle checked by the native verifier against snarkjs's verification key; a
  // tampered public signal must be rejected.
  void expect_valid_proof(const std::string& bundle) {
    auto j = nlohmann::json::parse(bundle);
    ASSERT_EQ(j["protocol"], "groth16");
    auto vk = groth16::verifying_key_from_json(slurp(fixture("verification_key.json")), "vk");
    ASSERT_TRUE(vk) << vk.status().to_string();
    auto proof = groth16::proof_from_json(j["proof"].dump(), "proof");
    ASSERT_TRUE(proof) << proof.status().to_string();
    auto pub = groth16::public_from_json(j["public"].dump(), "public");
    ASSERT_TRUE(pub) << pub.status().to_string();
    auto expected_pub =
        groth16::public_from_json(slurp(fixture("snarkjs_public.json")), "snarkjs_public");
    ASSERT_TRUE(expected_pub);
    EXPECT_EQ(*pub, *expected_pub) << "public signals differ from snarkjs's for the same witness";
    auto v = groth16::verify(*vk, *pub, *proof);
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->accepted) << v->reason;
    auto bad = *pub;
    bad[0][0] ^= 1;
    auto rej = groth16::verify(*vk, bad, *proof);
    ASSERT_TRUE(rej);
    EXPECT_FALSE(rej->accepted) << "the verifier accepted a tampered public signal";
  }
  pb::JobInfo get_job(pb::Farm::Stub& stub, const std::string& key, const std::string& id,
                      grpc::Status* st = nullptr) {
    pb::JobRef r;
    r.set_job_id(id);
    pb::JobInfo info;
    auto ctx = client::context(key, 10);
    grpc::Status s = stub.GetJob(ctx.get(), r, &info);
    if (st) *st = s;
    return info;
  }
  // Polls until `pred(job)` or the timeout.
  pb::JobInfo wait_job(pb::Farm::Stub& stub, const std::string& key, const std::string& id,
                       const std::function<bool(const pb::JobInfo&)>& pred, double timeout_s = 60) {
    const auto end =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(int64_t(timeout_s * 1000));
    pb::JobInfo j;
    while (std::chrono::steady_clock::now() < end) {
      j = get_job(stub, key, id);
      if (pred(j)) return j;
      std::this_thread::sleep_for(20ms);
    }
    ADD_FAILURE() << "timed out waiting for job " << id << " (state "
                  << client::state_name(j.state()) << ", stage " << j.stage() << ")";
    return j;
  }
  static bool terminal(const pb::JobInfo& j) { return j.state() >= pb::JOB_STATE_SUCCEEDED; }
  static grpc::Status cancel(pb::Farm::Stub& stub, const std::string& key, const std::string& id) {
    pb::JobRef ref;
    ref.set_job_id(id);
    pb::CancelReply cr;
    auto ctx = client::context(key, 10);
    return stub.Cancel(ctx.get(), ref, &cr);
  }
  // Cancels a running job: it stops as cancelled, with no proof to fetch.
  void expect_cancelled(pb::Farm::Stub& stub, const std::string& key, const std::string& id) {
    ASSERT_TRUE(cancel(stub, key, id).ok());
    auto j = wait_job(stub, key, id, terminal);
    EXPECT_EQ(j.state(), pb::JOB_STATE_CANCELLED) << j.stage() << " " << j.error();
    std::string proof;
    EXPECT_EQ(client::fetch_proof(stub, key, id, &proof).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }

  // What most Groth16 tests start with: a farm started with `flags`, tenant "alice" with
  // `balance`, and the fixture's .zkey uploaded (zh: its hash). Bind it with
  // `auto& [f, key, stub, zh] = *g16_;`.
  struct Groth16Farm {
    explicit Groth16Farm(std::string store) : f(std::move(store)) {}
    FarmProc f;
    std::string key;
    std::unique_ptr<pb::Farm::Stub> stub;
    std::string zh;
  };
  void start_groth16(std::vector<std::string> flags = {}, int64_t balance = 1'000'000) {
    g16_ = std::make_unique<Groth16Farm>(store());
    std::string why;
    ASSERT_TRUE(g16_->f.start(std::move(flags), &why)) << why;
    g16_->key = g16_->f.create_tenant("alice", balance);
    g16_->stub = g16_->f.farm();
    g16_->zh = upload_zkey(*g16_->stub, g16_->key);
  }
  // After crashes: alice's ledger charges `jobs` jobs, each once, and her balance is the
  // ledger's sum and `balance`.
  static void expect_charged_once(FarmProc& f, size_t jobs, int64_t balance) {
    std::map<std::string, int> charges;
    int64_t sum = 0;
    for (const auto& e : f.ledger("alice")) {
      if (e.reason() == "charge") charges[e.job_id()]++;
      sum += e.amount();
    }
    EXPECT_EQ(charges.size(), jobs);
    for (const auto& [id, n] : charges) EXPECT_EQ(n, 1) << id;
    EXPECT_EQ(f.usage("alice").balance(), sum);
    EXPECT_EQ(sum, balance);
  }
  // Submits the fixture's job to that farm and waits until it is running.
  void submit_until_running(pb::Accepted* acc) {
    auto& [f, key, stub, zh] = *g16_;
    ASSERT_TRUE(client::submit(*stub, key, groth16_header(zh), wtns_, acc).ok());
    wait_job(*stub, key, acc->job_id(),
             [](const pb::JobInfo& j) { return j.state() == pb::JOB_STATE_RUNNING; });
  }

  std::string dir_, zkey_, wtns_;
  std::unique_ptr<Groth16Farm> g16_;
};

TEST_F(FarmE2E, Groth16ProveStreamEndToEndWithCacheAndMetering) {
  FarmProc f(store());
  std::string why;
  ASSERT_TRUE(f.start({}, &why)) << why;
  const std::string key = f.create_tenant("alice", 1'000'000);
  auto stub = f.farm();
  bool already = true;
  const std::string zh = upload_zkey(*stub, key, &already);
  EXPECT_FALSE(already);
  EXPECT_EQ(zh, client::content_hash(zkey_));
  // Content addressed: the second upload stops at the header.
  upload_zkey(*stub, key, &already);
  EXPECT_TRUE(already);

  int accepted_events = 0, proof_chunks = 0;
  auto r =
      client::prove(*stub, key, groth16_header(zh), wtns_, 64 * 1024, [&](const pb::JobEvent& ev) {
        accepted_events += ev.has_accepted();
        proof_chunks += ev.has_proof();
      });
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_FALSE(r.failure) << r.failure->reason();
  EXPECT_EQ(accepted_events, 1);
  ASSERT_TRUE(r.accepted);
  EXPECT_FALSE(r.accepted->cached());
  EXPECT_GT(r.accepted->estimated_units(), 0u);
  EXPECT_GE(proof_chunks, 1);
  // Stages were reported in order, ending succeeded.
  ASSERT_FALSE(r.progress.empty());
  EXPECT_EQ(r.progress.back().state(), pb::JOB_STATE_SUCCEEDED);
  bool saw_prove_stage = false;
  for (const auto& p : r.progress) saw_prove_stage |= p.stage() == "prove";
  EXPECT_TRUE(saw_prove_stage);
  EXPECT_EQ(client::content_hash(r.proof), r.proof_hash);
  expect_valid_proof(r.proof);

  // Metering: one charge of units * price (default price 10), in the ledger and the balance.
  const uint64_t units = r.accepted->estimated_units();
  auto u = f.usage("alice");
  EXPECT_EQ(u.balance(), 1'000'000 - int64_t(units * 10));
  EXPECT_EQ(u.units_total(), units);
  auto led = f.ledger("alice");
  int charges = 0;
  for (const auto& e : led) charges += e.reason() == "charge";
  EXPECT_EQ(charges, 1);

  // The proof cache: an identical request is answered without proving or charging again.
  auto again = client::prove(*stub, key, groth16_header(zh), wtns_);
  ASSERT_TRUE(again.status.ok()) << again.status.error_message();
  ASSERT_TRUE(again.accepted);
  EXPECT_TRUE(again.accepted->cached());
  EXPECT_EQ(again.proof_hash, r.proof_hash);
  EXPECT_EQ(f.usage("alice").balance(), u.balance());

  const std::string m = f.metrics();
  EXPECT_NE(m.find("# TYPE efaas_farm_job_latency_seconds histogram"), std::string::npos);
  EXPECT_EQ(metric(m, "efaas_farm_units_proved_total"), double(units));
  EXPECT_EQ(metric(m, "efaas_farm_cache_hits_total"), 1.0);
  EXPECT_EQ(metric(m, "efaas_farm_job_latency_seconds_count"), 1.0);

  // Capacity reflects the observed throughput and the price.
  pb::Capacity cap;
  auto ctx = client::context(key, 10);
  ASSERT_TRUE(stub->GetCapacity(ctx.get(), {}, &cap).ok());
  bool groth16_listed = false;
  for (const auto& k : cap.kinds()) {
    if (k.kind() == pb::JOB_KIND_GROTH16) {
      groth16_listed = true;
      EXPECT_TRUE(k.available());
      EXPECT_GT(k.units_per_second(), 0);
      EXPECT_EQ(k.price_per_unit(), 10u);
    } else {
      EXPECT_TRUE(k.available());  // both zkWASM kinds
      EXPECT_EQ(k.units_per_second(), 0) << "no zkWASM job was observed or calibrated";
    }
  }
  EXPECT_TRUE(groth16_listed);
  EXPECT_GE(cap.devices_size(), 1);

  // The standard gRPC health service answers on the Farm port.
  auto health = grpc::health::v1::Health::NewStub(
      client::make_channel("127.0.0.1:" + std::to_string(f.farm_port), {}, nullptr));
  grpc::health::v1::HealthCheckRequest hreq;
  grpc::health::v1::HealthCheckResponse hres;
  grpc::ClientContext hctx;
  ASSERT_TRUE(health->Check(&hctx, hreq, &hres).ok());
  EXPECT_EQ(hres.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(FarmE2E, AsyncSubmitWatchFetchAndTenantIsolation) {
  ASSERT_NO_FATAL_FAILURE(start_groth16());
  auto& [f, alice, stub, zh] = *g16_;
  const std::string bob = f.create_tenant("bob", 1'000'000);
  pb::Accepted acc;
  grpc::Status st = client::submit(*stub, alice, groth16_header(zh), wtns_, &acc);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_FALSE(acc.job_id().empty());

  // Another tenant cannot see, watch, fetch or cancel it.
  grpc::Status gs;
  get_job(*stub, bob, acc.job_id(), &gs);
  EXPECT_EQ(gs.error_code(), grpc::StatusCode::NOT_FOUND);
  auto bw = client::watch(*stub, bob, acc.job_id(), true);
  EXPECT_EQ(bw.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(cancel(*stub, bob, acc.job_id()).error_code(), grpc::StatusCode::NOT_FOUND);

  auto w = client::watch(*stub, alice, acc.job_id(), true);
  ASSERT_TRUE(w.status.ok()) << w.status.error_message();
  ASSERT_FALSE(w.failure);
  expect_valid_proof(w.proof);
  // Watch is resumable: watching a finished job gives its final state (and proof) again.
  auto w2 = client::watch(*stub, alice, acc.job_id(), false);
  ASSERT_TRUE(w2.status.ok());
  ASSERT_FALSE(w2.progress.empty());
  EXPECT_EQ(w2.progress.back().state(), pb::JOB_STATE_SUCCEEDED);
  EXPECT_TRUE(w2.proof.empty());

  std::string proof, hash;
  ASSERT_TRUE(client::fetch_proof(*stub, alice, acc.job_id(), &proof, &hash).ok());
  EXPECT_EQ(proof, w.proof);
  std::string other;
  EXPECT_EQ(client::fetch_proof(*stub, bob, acc.job_id(), &other).error_code(),
            grpc::StatusCode::NOT_FOUND);

  pb::ListJobsRequest lr;
  pb::ListJobsReply jobs;
  auto lctx = client::context(alice, 10);
  ASSERT_TRUE(stub->ListJobs(lctx.get(), lr, &jobs).ok());
  ASSERT_EQ(jobs.jobs_size(), 1);
  EXPECT_EQ(jobs.jobs(0).job_id(), acc.job_id());
  pb::ListJobsReply bob_jobs;
  auto bctx = client::context(bob, 10);
  ASSERT_TRUE(stub->ListJobs(bctx.get(), lr, &bob_jobs).ok());
  EXPECT_EQ(bob_jobs.jobs_size(), 0);
}

TEST_F(FarmE2E, RefusalsAuthQuotaBalanceAndUnimplementedKinds) {
  FarmProc f(store());
  std::string why;
  ASSERT_TRUE(f.start({}, &why)) << why;
  const std::string rich = f.create_tenant("rich", 1'000'000);
  const std::string poor = f.create_tenant("poor", 5);
  pb::Quota small;
  small.set_max_input_bytes(1000);
  const std::string tiny = f.create_tenant("tiny", 1'000'000, small);
  auto stub = f.farm();
  const std::string zh = upload_zkey(*stub, rich);

  // Authentication.
  auto r = client::prove(*stub, "efk_not-a-key", groth16_header(zh), wtns_);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  r = client::prove(*stub, "", groth16_header(zh), wtns_);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  pb::Usage u;
  auto uctx = client::context("wrong", 10);
  EXPECT_EQ(stub->GetUsage(uctx.get(), {}, &u).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // The admin API wants its own credential, not a tenant key.
  pb::TopUpRequest top;
  top.set_tenant("poor");
  top.set_amount(100);
  auto actx = client::admin_context(rich, 10);
  EXPECT_EQ(f.admin()->TopUp(actx.get(), top, &u).error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // Balance: refused up front, naming the limit.
  r = client::prove(*stub, poor, groth16_header(zh), wtns_);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(r.status.error_message().find("balance"), std::string::npos)
      << r.status.error_message();
  EXPECT_FALSE(r.accepted);
  // Input size quota.
  r = client::prove(*stub, tiny, groth16_header(zh), wtns_);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(r.status.error_message().find("max_input_bytes"), std::string::npos)
      << r.status.error_message();
  // Units per hour and queued bytes.
  pb::Quota hourly;
  hourly.set_max_units_per_hour(10);  // the fixture is 32 units
  const std::string capped = f.create_tenant("capped", 1'000'000, hourly);
  r = client::prove(*stub, capped, groth16_header(zh), wtns_);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(r.status.error_message().find("max_units_per_hour"), std::string::npos)
      << r.status.error_message();
  pb::Quota queued_cap;
  queued_cap.set_max_queued_bytes(wtns_.size() - 1);
  const std::string narrow = f.create_tenant("narrow", 1'000'000, queued_cap);
  r = client::prove(*stub, narrow, groth16_header(zh), wtns_);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(r.status.error_message().find("max_queued_bytes"), std::string::npos)
      << r.status.error_message();
  // Concurrency quota: with a limit of 1 and one job queued behind a slow stage, a second is
  // refused.
  pb::Quota one;
  one.set_max_concurrent_jobs(1);
  const std::string single = f.create_tenant("single", 1'000'000, one);
  pb::Accepted acc;
  ASSERT_TRUE(client::submit(*stub, single, groth16_header(zh), wtns_, &acc).ok());
  pb::Accepted acc2;
  pb::JobHeader h2 = groth16_header(zh);
  h2.set_params_json("{\"different\":1}");
  grpc::Status s2 = client::submit(*stub, single, h2, wtns_, &acc2);
  if (get_job(*stub, single, acc.job_id()).state() < pb::JOB_STATE_SUCCEEDED) {
    EXPECT_EQ(s2.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s2.error_message();
    EXPECT_NE(s2.error_message().find("max_concurrent_jobs"), std::string::npos);
  }
  // Unknown artifact.
  pb::JobHeader missing = groth16_header(std::string(64, 'a'));
  r = client::prove(*stub, rich, missing, wtns_);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::NOT_FOUND) << r.status.error_message();

  // WASM modules are validated at upload by the runtime; garbage is refused with the reason.
  pb::ArtifactRef wref;
  grpc::Status ws =
      client::upload_artifact(*stub, rich, pb::ARTIFACT_KIND_WASM, "not wasm at all", &wref);
  EXPECT_EQ(ws.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(ws.error_message().find("WASM module"), std::string::npos) << ws.error_message();
  const std::string empty_module("\0asm\1\0\0\0", 8);
  ws = client::upload_artifact(*stub, rich, pb::ARTIFACT_KIND_WASM, empty_module, &wref);
  EXPECT_TRUE(ws.ok()) << ws.error_message();
  EXPECT_EQ(wref.content_hash(), client::content_hash(empty_module));
  // A .zkey that does not parse is refused at upload too.
  ws = client::upload_artifact(*stub, rich, pb::ARTIFACT_KIND_ZKEY, zkey_.substr(0, 5000), &wref);
  EXPECT_EQ(ws.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << ws.error_message();
  // A declared hash that does not match the bytes is refused.
  {
    auto ctx = client::context(rich, 10);
    pb::ArtifactRef ref2;
    auto up = stub->UploadArtifact(ctx.get(), &ref2);
    pb::ArtifactUpload h;
    h.mutable_header()->set_kind(pb::ARTIFACT_KIND_WASM);
    h.mutable_header()->set_size(empty_module.size());
    h.mutable_header()->set_content_hash(std::string(64, 'b'));
    up->Write(h);
    pb::ArtifactUpload c;
    c.mutable_chunk()->set_offset(0);
    c.mutable_chunk()->set_data(empty_module);
    up->Write(c);
    up->WritesDone();
    grpc::Status hs = up->Finish();
    EXPECT_EQ(hs.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(hs.error_message().find("does not match"), std::string::npos) << hs.error_message();
  }

  // zkWASM jobs name a stored WASM module: none, or a .zkey, is refused at the header.
  for (pb::JobKind k : {pb::JOB_KIND_ZKWASM_TRACE, pb::JOB_KIND_ZKWASM_MODULE}) {
    pb::JobHeader h;
    h.set_kind(k);
    h.set_input_size(16);
    r = client::prove(*stub, rich, h, std::string(16, 'x'));
    EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << r.status.error_message();
    EXPECT_NE(r.status.error_message().find("WASM module by content hash"), std::string::npos)
        << r.status.error_message();
    h.set_artifact(zh);
    r = client::prove(*stub, rich, h, std::string(16, 'x'));
    EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(r.status.error_message().find("is not a WASM module"), std::string::npos)
        << r.status.error_message();
  }
  // Top-up through the admin API lets the poor tenant prove.
  auto good = client::admin_context(f.admin_token, 10);
  top.set_amount(1'000'000);
  ASSERT_TRUE(f.admin()->TopUp(good.get(), top, &u).ok());
  EXPECT_EQ(u.balance(), 1'000'005);
  // A rotated key replaces the old one.
  pb::TenantRef tr;
  tr.set_tenant("poor");
  pb::TenantKey nk;
  auto rctx = client::admin_context(f.admin_token, 10);
  ASSERT_TRUE(f.admin()->RotateKey(rctx.get(), tr, &nk).ok());
  auto old_ctx = client::context(poor, 10);
  EXPECT_EQ(stub->GetUsage(old_ctx.get(), {}, &u).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  auto new_ctx = client::context(nk.api_key(), 10);
  EXPECT_TRUE(stub->GetUsage(new_ctx.get(), {}, &u).ok());
  EXPECT_GT(metric(f.metrics(), "efaas_farm_refused_total"), 0);
}

// Sends raw messages on a Prove stream and returns the status.
grpc::Status raw_stream(pb::Farm::Stub& stub, const std::string& key,
                        const std::vector<pb::ProveRequest>& msgs, bool writes_done = true) {
  auto ctx = client::context(key, 30);
  auto s = stub.Prove(ctx.get());
  for (const auto& m : msgs) {
    if (!s->Write(m)) break;
  }
  if (writes_done) s->WritesDone();
  pb::JobEvent ev;
  while (s->Read(&ev)) {
  }
  return s->Finish();
}

TEST_F(FarmE2E, MalformedStreamsGetClearErrorsAndTheFarmKeepsServing) {
  ASSERT_NO_FATAL_FAILURE(start_groth16());
  auto& [f, key, stub, zh] = *g16_;
  auto header = [&](pb::JobHeader h) {
    pb::ProveRequest m;
    *m.mutable_header() = h;
    return m;
  };
  auto chunk = [&](uint64_t off, const std::string& data) {
    pb::ProveRequest m;
    m.mutable_chunk()->set_offset(off);
    m.mutable_chunk()->set_data(data);
    return m;
  };
  struct Case {
    const char* name;
    std::vector<pb::ProveRequest> msgs;
    grpc::StatusCode code;
    const char* needle;
  };
  pb::JobHeader wrong_kind = groth16_header(zh);
  wrong_kind.set_kind(pb::JobKind(42));
  pb::JobHeader bad_params = groth16_header(zh);
  bad_params.set_params_json("[1,2");
  const std::string w = wtns_;
  std::vector<Case> cases = {
      {"missing header",
       {chunk(0, w.substr(0, 100))},
       grpc::StatusCode::INVALID_ARGUMENT,
       "before the header"},
      {"out of order",
       {header(groth16_header(zh)), chunk(0, w.substr(0, 100)), chunk(500, w.substr(500, 100))},
       grpc::StatusCode::INVALID_ARGUMENT,
       "out of order"},
      {"oversize",
       {header(groth16_header(zh)), chunk(0, w), chunk(w.size(), "extra")},
       grpc::StatusCode::INVALID_ARGUMENT,
       "overruns"},
      {"truncated",
       {header(groth16_header(zh)), chunk(0, w.substr(0, 1000))},
       grpc::StatusCode::INVALID_ARGUMENT,
       "truncated"},
      {"wrong kind", {header(wrong_kind)}, grpc::StatusCode::INVALID_ARGUMENT, "not a job kind"},
      {"two headers",
       {header(groth16_header(zh)), header(groth16_header(zh))},
       grpc::StatusCode::INVALID_ARGUMENT,
       "second header"},
      {"bad params", {header(bad_params)}, grpc::StatusCode::INVALID_ARGUMENT, "params_json"},
      {"empty stream", {}, grpc::StatusCode::INVALID_ARGUMENT, "without a job header"},
  };
  // "oversize" sends the witness in one message: larger than the default 1 MiB chunk limit?
  // No: it is 531 KB; the per-chunk limit is covered below.
  for (const auto& c : cases) {
    grpc::Status st = raw_stream(*stub, key, c.msgs);
    EXPECT_EQ(st.error_code(), c.code) << c.name << ": " << st.error_message();
    EXPECT_NE(st.error_message().find(c.needle), std::string::npos)
        << c.name << ": " << st.error_message();
  }
  // A corrupt witness of the right size is accepted as input, then fails cleanly as a job.
  std::string corrupt = wtns_;
  corrupt[0] ^= 0xff;
  auto bad = client::prove(*stub, key, groth16_header(zh), corrupt);
  ASSERT_TRUE(bad.status.ok()) << bad.status.error_message();
  ASSERT_TRUE(bad.failure);
  EXPECT_EQ(bad.failure->state(), pb::JOB_STATE_FAILED);
  EXPECT_EQ(bad.failure->code(), "INVALID_ARGUMENT");
  EXPECT_NE(bad.failure->reason().find("witness"), std::string::npos) << bad.failure->reason();
  // Failed jobs are not charged.
  EXPECT_EQ(f.usage("alice").balance(), 1'000'000);
  // The farm still serves a good job after all that.
  auto good = client::prove(*stub, key, groth16_header(zh), wtns_);
  ASSERT_TRUE(good.status.ok()) << good.status.error_message();
  ASSERT_FALSE(good.failure);
  expect_valid_proof(good.proof);
}

TEST_F(FarmE2E, ChunkLargerThanTheFarmLimitIsRefused) {
  // A config file with a small chunk limit (flags override, the config sets the rest).
  fs::create_directories(dir_);
  const std::string cfg = dir_ + "/farm.json";
  std::ofstream(cfg) << R"({"max_chunk_bytes": 65536, "inflight_budget_bytes": 262144})";
  ASSERT_NO_FATAL_FAILURE(start_groth16({"--config", cfg}));
  auto& [f, key, stub, zh] = *g16_;
  pb::ProveRequest h, c;
  *h.mutable_header() = groth16_header(zh);
  c.mutable_chunk()->set_offset(0);
  c.mutable_chunk()->set_data(wtns_.substr(0, 65536 + 1000));
  grpc::Status st = raw_stream(*stub, key, {h, c});
  EXPECT_NE(st.error_code(), grpc::StatusCode::OK);
  EXPECT_TRUE(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
              st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED)
      << st.error_message();
  // Within the limit it proves.
  auto good = client::prove(*stub, key, groth16_header(zh), wtns_, 65536);
  ASSERT_TRUE(good.status.ok()) << good.status.error_message();
  expect_valid_proof(good.proof);
}

TEST_F(FarmE2E, CancellationMidProofAndDeadlineExpiry) {
  // A pause before each stage makes "mid-proof" a window of seconds, not milliseconds.
  ASSERT_NO_FATAL_FAILURE(start_groth16({"--stage-delay-ms", "400"}));
  auto& [f, key, stub, zh] = *g16_;

  pb::Accepted acc;
  ASSERT_NO_FATAL_FAILURE(submit_until_running(&acc));
  expect_cancelled(*stub, key, acc.job_id());

  // A deadline shorter than the job: expired, cleanly, and the stream says so.
  pb::JobHeader h = groth16_header(zh, std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                               .count() +
                                           900);
  h.set_params_json("{\"run\":2}");  // not a cache hit
  auto r = client::prove(*stub, key, h, wtns_);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->state(), pb::JOB_STATE_EXPIRED);
  EXPECT_EQ(r.failure->code(), "DEADLINE_EXCEEDED");
  // A deadline already in the past is refused at the header.
  h.set_deadline_unix_ms(1000);
  r = client::prove(*stub, key, h, wtns_);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // Neither cancelled nor expired jobs are charged.
  EXPECT_EQ(f.usage("alice").balance(), 1'000'000);
  EXPECT_TRUE(f.ledger("alice").size() == 1);  // the opening top-up only
}

TEST_F(FarmE2E, SixtyFourClientsStreamAtOnceUnderAMemoryBudget) {
  const std::string cfg = dir_ + "/farm.json";
  fs::create_directories(dir_);
  // Room for 4 chunks in flight across all streams: the other 60 wait on flow control.
  std::ofstream(cfg) << R"({"max_chunk_bytes": 65536, "inflight_budget_bytes": 262144,
                           "tenant_defaults": {"max_concurrent_jobs": 100}})";
  ASSERT_NO_FATAL_FAILURE(
      start_groth16({"--config", cfg, "--stage-delay-ms", "200"}, 100'000'000));
  auto& [f, key, stub, zh] = *g16_;
  constexpr int kClients = 64;
  std::vector<std::string> ids(kClients);
  std::vector<grpc::Status> sts(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto s = f.farm();  // each client on its own channel
      pb::JobHeader h = groth16_header(zh);
      h.set_params_json("{\"client\":" + std::to_string(i) + "}");
      pb::Accepted acc;
      sts[i] = client::submit(*s, key, h, wtns_, &acc, 65536);
      ids[i] = acc.job_id();
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kClients; ++i)
    ASSERT_TRUE(sts[i].ok()) << i << ": " << sts[i].error_message();
  const std::string m = f.metrics();
  EXPECT_GT(metric(m, "efaas_farm_throttled_reads_total"), 0)
      << "the budget never throttled a stream";
  // Prove two of them; cancel the rest (queued ones stop at once).
  for (int i = 2; i < kClients; ++i) ASSERT_TRUE(cancel(*stub, key, ids[i]).ok());
  for (int i = 0; i < 2; ++i) {
    auto w = client::watch(*stub, key, ids[i], true);
    ASSERT_TRUE(w.status.ok()) << w.status.error_message();
    ASSERT_FALSE(w.failure) << w.failure->reason();
    expect_valid_proof(w.proof);
  }
  for (int i = 2; i < kClients; ++i) {
    auto j = wait_job(*stub, key, ids[i], terminal);
    EXPECT_TRUE(j.state() == pb::JOB_STATE_CANCELLED || j.state() == pb::JOB_STATE_SUCCEEDED);
  }
}

TEST_F(FarmE2E, SigkillDuringProvingThenRestartLosesNothingAndChargesOnce) {
  ASSERT_NO_FATAL_FAILURE(start_groth16({"--stage-delay-ms", "300"}));
  auto& [f, key, stub, zh] = *g16_;
  // A job that finishes before the crash.
  auto done = client::prove(*stub, key, groth16_header(zh), wtns_);
  ASSERT_TRUE(done.status.ok() && !done.failure);
  // One running, one queued behind it.
  pb::Accepted running, queued;
  pb::JobHeader h1 = groth16_header(zh), h2 = groth16_header(zh);
  h1.set_params_json("{\"n\":1}");
  h2.set_params_json("{\"n\":2}");
  ASSERT_TRUE(client::submit(*stub, key, h1, wtns_, &running).ok());
  ASSERT_TRUE(client::submit(*stub, key, h2, wtns_, &queued).ok());
  wait_job(*stub, key, running.job_id(), [](const pb::JobInfo& j) {
    return j.state() == pb::JOB_STATE_RUNNING && j.stage() == "prove";
  });
  f.signal(SIGKILL);
  f.wait_exit();

  std::string why;
  ASSERT_TRUE(f.start({"--stage-delay-ms", "50"}, &why)) << why;
  stub = f.farm();
  for (const std::string& id : {running.job_id(), queued.job_id()}) {
    auto w = client::watch(*stub, key, id, true);
    ASSERT_TRUE(w.status.ok()) << w.status.error_message();
    ASSERT_FALSE(w.failure) << w.failure->reason();
    expect_valid_proof(w.proof);
  }
  EXPECT_GE(get_job(*stub, key, running.job_id()).state(), pb::JOB_STATE_SUCCEEDED);
  // The proof finished before the crash is still downloadable.
  std::string proof;
  ASSERT_TRUE(client::fetch_proof(*stub, key, done.job_id, &proof).ok());
  EXPECT_EQ(proof, done.proof);
  // Three jobs, three charges, each once; the balance matches the ledger.
  expect_charged_once(f, 3, 1'000'000 - 3 * int64_t(done.accepted->estimated_cost()));
}

TEST_F(FarmE2E, SigtermDrainsRunningJobsAndExitsCleanly) {
  ASSERT_NO_FATAL_FAILURE(start_groth16({"--stage-delay-ms", "200"}));
  auto& [f, key, stub, zh] = *g16_;
  pb::Accepted acc;
  ASSERT_NO_FATAL_FAILURE(submit_until_running(&acc));
  f.signal(SIGTERM);
  const int st = f.wait_exit();
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << f.log();
  EXPECT_NE(f.log().find("event=drain_done"), std::string::npos);
  std::string why;
  ASSERT_TRUE(f.start({}, &why)) << why;
  stub = f.farm();
  auto j = get_job(*stub, key, acc.job_id());
  EXPECT_EQ(j.state(), pb::JOB_STATE_SUCCEEDED) << "the running job was not finished by the drain";
}

TEST_F(FarmE2E, CalibratedCapacityPredictsTimeAndCost) {
  fs::create_directories(dir_);
  // What `efaas bench -o` writes, reduced to the part the farm reads.
  const std::string calib = dir_ + "/calibration.json";
  std::ofstream(calib) << R"({"kinds": {"groth16": {"units_per_second": 8.0}}})";
  FarmProc f(store());
  std::string why;
  ASSERT_TRUE(f.start({"--calibration", calib, "--stage-delay-ms", "300"}, &why)) << why;
  const std::string key = f.create_tenant("alice", 1'000'000);
  auto stub = f.farm();
  pb::Capacity cap;
  auto ctx = client::context(key, 10);
  ASSERT_TRUE(stub->GetCapacity(ctx.get(), {}, &cap).ok());
  bool found = false;
  for (const auto& k : cap.kinds()) {
    if (k.kind() != pb::JOB_KIND_GROTH16) continue;
    found = true;
    EXPECT_EQ(k.source(), "calibrated");
    EXPECT_DOUBLE_EQ(k.units_per_second(), 8.0);
  }
  EXPECT_TRUE(found);
  const std::string zh = upload_zkey(*stub, key);
  pb::Accepted acc;
  ASSERT_TRUE(client::submit(*stub, key, groth16_header(zh), wtns_, &acc).ok());
  // The fixture's domain is 2^15: 32 units, 4 s at 8 units/s, 320 at the default price.
  EXPECT_EQ(acc.estimated_units(), 32u);
  EXPECT_EQ(acc.estimated_cost(), 320u);
  EXPECT_NEAR(acc.estimated_seconds(), 4.0, 1e-9);
  ASSERT_TRUE(cancel(*stub, key, acc.job_id()).ok());

  // A price set through the admin API is what capacity shows and what the next job costs.
  pb::SetPriceRequest sp;
  sp.set_kind(pb::JOB_KIND_GROTH16);
  sp.set_price_per_unit(20);
  pb::Empty empty;
  auto actx = client::admin_context(f.admin_token, 10);
  ASSERT_TRUE(f.admin()->SetPrice(actx.get(), sp, &empty).ok());
  pb::Capacity cap2;
  auto ctx2 = client::context(key, 10);
  ASSERT_TRUE(stub->GetCapacity(ctx2.get(), {}, &cap2).ok());
  for (const auto& k : cap2.kinds()) {
    if (k.kind() == pb::JOB_KIND_GROTH16) {
      EXPECT_EQ(k.price_per_unit(), 20u);
    }
  }
  pb::JobHeader h = groth16_header(zh);
  h.set_params_json("{\"second\":true}");
  pb::Accepted acc2;
  ASSERT_TRUE(client::submit(*stub, key, h, wtns_, &acc2).ok());
  EXPECT_EQ(acc2.estimated_cost(), 640u);
  ASSERT_TRUE(cancel(*stub, key, acc2.job_id()).ok());
}

// The `efaas farm` client and admin commands against the same server, the proof checked by
// `efaas groth16 verify`.
TEST_F(FarmE2E, EfaasFarmCliSubmitsAndTheProofVerifies) {
  FarmProc f(store());
  std::string why;
  ASSERT_TRUE(f.start({}, &why)) << why;
  const std::string cli = EFAAS_CLI_BIN;
  auto run = [&](const std::string& args, std::string* out) {
    const std::string cmd = cli + " " + args + " > " + dir_ + "/cli.out 2>&1";
    int st = std::system(cmd.c_str());
    *out = slurp(dir_ + "/cli.out");
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  };
  const std::string admin = " --admin 127.0.0.1:" + std::to_string(f.admin_port) +
                            " --admin-token-file " + store() + "/admin.token";
  std::string out;
  ASSERT_EQ(run("farm admin create-tenant carol --balance 100000 --json" + admin, &out), 0) << out;
  const std::string key = nlohmann::json::parse(out)["api_key"];
  const std::string conn = " --farm 127.0.0.1:" + std::to_string(f.farm_port) + " --api-key " + key;
  ASSERT_EQ(run("farm submit --wait --zkey " + fixture("circuit.zkey") + " --wtns " +
                    fixture("witness.wtns") + " --proof-json " + dir_ +
                    "/proof.json --public-json " + dir_ + "/public.json --json" + conn,
                &out),
            0)
      << out;
  EXPECT_EQ(nlohmann::json::parse(out)["state"], "succeeded");
  ASSERT_EQ(run("groth16 verify " + fixture("verification_key.json") + " " + dir_ +
                    "/public.json " + dir_ + "/proof.json",
                &out),
            0)
      << out;
  ASSERT_EQ(run("farm usage --json" + conn, &out), 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out)["balance"], 100000 - 320);
  EXPECT_EQ(run("farm get job_does_not_exist" + conn, &out), 2);
  EXPECT_NE(out.find("NOT_FOUND"), std::string::npos) << out;
  EXPECT_EQ(run("farm usage --api-key wrong --farm 127.0.0.1:" + std::to_string(f.farm_port), &out),
            2);
  EXPECT_NE(out.find("UNAUTHENTICATED"), std::string::npos) << out;
  EXPECT_EQ(run("farm admin usage --admin-token wrong-token-wrong-token --admin 127.0.0.1:" +
                    std::to_string(f.admin_port),
                &out),
            2);
  ASSERT_EQ(run("farm admin ledger carol --json" + admin, &out), 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out)["entries"].size(), 2u);  // top-up and one charge
}

bool have_openssl() {
  return std::system("openssl version > /dev/null 2>&1") == 0;
}

TEST_F(FarmE2E, TlsIsRequiredOffLoopbackAndWorks) {
  FarmProc f(store());
  std::string why;
  int code = 0;
  // Plaintext on a non-loopback address is refused (API keys travel in the metadata).
  ASSERT_FALSE(f.start({"--listen", "0.0.0.0:0"}, &why, &code));
  EXPECT_EQ(code, 2);
  EXPECT_NE(why.find("refusing plaintext"), std::string::npos) << why;
  ASSERT_TRUE(have_openssl()) << "openssl is needed to make test certificates (tools/setup.sh)";
  fs::create_directories(dir_);
  const std::string cert = dir_ + "/cert.pem", keyf = dir_ + "/key.pem";
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
      keyf + " -out " + cert + " > /dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  ASSERT_TRUE(f.start({"--tls-cert", cert, "--tls-key", keyf}, &why)) << why;
  f.tls.tls_ca_file = cert;
  f.host = "localhost";
  const std::string key = f.create_tenant("alice", 1000);
  ASSERT_FALSE(key.empty());
  auto stub = f.farm();
  pb::Usage u;
  auto ctx = client::context(key, 10);
  grpc::Status st = stub->GetUsage(ctx.get(), {}, &u);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(u.balance(), 1000);
  // A plaintext client cannot talk to the TLS port.
  auto plain = pb::Farm::NewStub(
      client::make_channel("127.0.0.1:" + std::to_string(f.farm_port), {}, nullptr));
  auto pctx = client::context(key, 5);
  EXPECT_FALSE(plain->GetUsage(pctx.get(), {}, &u).ok());
}


// ---------------------------------------------------------------- zkWASM jobs

// A farm with a tenant, the sum module uploaded and its trace of sum(10) recorded.
class ZkwasmE2E : public FarmE2E {
 protected:
  void start_farm(std::vector<std::string> extra = {}) {
    farm_ = std::make_unique<FarmProc>(store());
    std::string why;
    ASSERT_TRUE(farm_->start(std::move(extra), &why)) << why;
    key_ = farm_->create_tenant("alice", 1'000'000);
    stub_ = farm_->farm();
    auto wasm = testing::wat2wasm(testing::kSumWat);
    ASSERT_TRUE(wasm) << wasm.status().to_string();
    module_.assign(wasm->begin(), wasm->end());
    module_hash_ = upload_wasm(module_);
    auto p = zkwasm::Program::load(*wasm);
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    program_ = *p;
    trace_ = record("sum", {10});
  }
  // A farm of one CPU slot and an OpenCL device, calibrated at these zkwasm-trace rates.
  void start_farm_with_opencl(double cpu_units_per_s, double opencl_units_per_s,
                              const std::string& device = "opencl:0") {
    fs::create_directories(dir_);
    const std::string calib = dir_ + "/calibration.json";
    auto rate = [](double r) {
      return nlohmann::json{{"zkwasm-trace", {{"units_per_second", r}}}};
    };
    std::ofstream(calib) << nlohmann::json{
        {"kinds", rate(cpu_units_per_s)}, {"device_kinds", {{"opencl", rate(opencl_units_per_s)}}}};
    start_farm({"--devices", "cpu," + device, "--calibration", calib});
  }
  std::string upload_wasm(const std::string& bytes) {
    pb::ArtifactRef ref;
    grpc::Status st = client::upload_artifact(*stub_, key_, pb::ARTIFACT_KIND_WASM, bytes, &ref);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return ref.content_hash();
  }
  std::string record(const std::string& fn, std::vector<uint64_t> args) {
    std::vector<uint8_t> m(module_.begin(), module_.end());
    auto t = testing::record_trace(m, fn, args);
    EXPECT_TRUE(t) << t.status().to_string();
    return t ? std::string(t->begin(), t->end()) : std::string();
  }
  pb::JobHeader header(pb::JobKind kind, const std::string& params, const std::string& input,
                       const std::string& module_hash = "") {
    pb::JobHeader h;
    h.set_kind(kind);
    h.set_artifact(module_hash.empty() ? module_hash_ : module_hash);
    h.set_params_json(params);
    h.set_input_size(input.size());
    return h;
  }
  // The bundle checked by zkwasm::verify against the module's bytes; a flipped byte anywhere in
  // the proof must not verify. Returns the proved public values.
  zkwasm::PublicValues expect_valid_bundle(const std::string& proof) {
    std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(proof.data()), proof.size());
    auto b = zkwasm::deserialize_bundle(bytes);
    EXPECT_TRUE(b.is_ok()) << b.status().to_string();
    if (!b.is_ok()) return {};
    auto pv = zkwasm::verify(*program_, *b);
    EXPECT_TRUE(pv.is_ok()) << pv.status().to_string();
    std::vector<uint8_t> bad(bytes.begin(), bytes.end());
    bad[bad.size() * 2 / 3] ^= 0x10;
    auto tb = zkwasm::deserialize_bundle(bad);
    EXPECT_TRUE(!tb.is_ok() || !zkwasm::verify(*program_, *tb).is_ok())
        << "a tampered bundle verified";
    return pv.is_ok() ? *pv : zkwasm::PublicValues{};
  }

  // Proves the sum(10) trace in one segment at the test preset: the bundle verifies and the
  // job ran on `device` alone.
  void prove_sum10_on(const std::string& device) {
    const std::string params = R"({"entry":"sum","args":[10],"preset":"test"})";
    auto r =
        client::prove(*stub_, key_, header(pb::JOB_KIND_ZKWASM_TRACE, params, trace_), trace_);
    ASSERT_TRUE(r.status.ok()) << r.status.error_message();
    ASSERT_FALSE(r.failure) << r.failure->code() << ": " << r.failure->reason();
    EXPECT_EQ(expect_valid_bundle(r.proof).results, std::vector<uint64_t>{55});
    EXPECT_NE(farm_->log().find("job=" + r.job_id +
                                " tenant=alice kind=zkwasm-trace units=4 attempt=1 devices=" +
                                device + "\n"),
              std::string::npos)
        << farm_->log();
  }
  // The segment count of a bundle (0 when it does not parse).
  static size_t segments_of(const std::string& proof) {
    auto b = zkwasm::deserialize_bundle(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(proof.data()), proof.size()));
    return b.is_ok() ? b->segments.size() : 0;
  }

  std::unique_ptr<FarmProc> farm_;
  std::unique_ptr<pb::Farm::Stub> stub_;
  std::string key_, module_, module_hash_, trace_;
  std::shared_ptr<zkwasm::Program> program_;
};

std::string extension_input(std::vector<uint8_t> data) {
  wasm::ExtensionInput in;
  in.data = std::move(data);
  in.private_input = {42};
  auto e = wasm::encode_extension_input(in);
  return {e.begin(), e.end()};
}

TEST_F(ZkwasmE2E, TraceAndModuleJobsEndToEndWithCacheAndExactMetering) {
  start_farm();
  // zkwasm-trace on the Prove stream.
  const std::string params = R"({"entry":"sum","args":[10],"preset":"test"})";
  auto r = client::prove(*stub_, key_, header(pb::JOB_KIND_ZKWASM_TRACE, params, trace_), trace_,
                         1000);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_FALSE(r.failure) << r.failure->code() << ": " << r.failure->reason();
  ASSERT_TRUE(r.accepted);
  EXPECT_FALSE(r.accepted->cached());
  std::vector<std::string> stages;
  for (const auto& p : r.progress) stages.push_back(p.stage());
  EXPECT_NE(std::find(stages.begin(), stages.end(), "prove: quotient"), stages.end());
  EXPECT_EQ(r.progress.back().state(), pb::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(client::content_hash(r.proof), r.proof_hash);
  auto pv = expect_valid_bundle(r.proof);
  EXPECT_EQ(pv.results, std::vector<uint64_t>{55});
  EXPECT_EQ(pv.args, std::vector<uint64_t>{10});
  EXPECT_EQ(to_hex(pv.module_hash), module_hash_);
  // Reserved from the trace's size, then exact once the streamed trace was parsed: under 1024
  // instructions, so the floor of 4 units, at the default price of 10.
  EXPECT_EQ(r.accepted->estimated_units(), 4u);
  EXPECT_EQ(r.accepted->estimated_cost(), 40u);
  auto info = get_job(*stub_, key_, r.job_id);
  EXPECT_EQ(info.units(), 4u);
  EXPECT_EQ(info.cost(), 40u);
  EXPECT_EQ(farm_->usage("alice").balance(), 1'000'000 - 40);

  // The proof cache: same kind, module, trace and parameters.
  auto again = client::prove(*stub_, key_, header(pb::JOB_KIND_ZKWASM_TRACE, params, trace_),
                             trace_);
  ASSERT_TRUE(again.status.ok()) << again.status.error_message();
  ASSERT_TRUE(again.accepted);
  EXPECT_TRUE(again.accepted->cached());
  EXPECT_EQ(again.proof_hash, r.proof_hash);
  EXPECT_EQ(farm_->usage("alice").balance(), 1'000'000 - 40);

  // zkwasm-module, asynchronously: submit, watch, fetch. The farm runs sum(7) itself.
  const std::string input = extension_input({1, 2, 3});
  pb::Accepted acc;
  ASSERT_TRUE(client::submit(*stub_, key_,
                             header(pb::JOB_KIND_ZKWASM_MODULE,
                                    R"({"entry":"sum","args":[7],"preset":"test"})", input),
                             input, &acc)
                  .ok());
  auto w = client::watch(*stub_, key_, acc.job_id(), true);
  ASSERT_TRUE(w.status.ok()) << w.status.error_message();
  ASSERT_FALSE(w.failure) << w.failure->code() << ": " << w.failure->reason();
  pv = expect_valid_bundle(w.proof);
  EXPECT_EQ(pv.results, std::vector<uint64_t>{28});
  std::string fetched;
  ASSERT_TRUE(client::fetch_proof(*stub_, key_, acc.job_id(), &fetched).ok());
  EXPECT_EQ(fetched, w.proof);
  // The default entry of module jobs is the Extension's efaas_main.
  pb::Accepted acc2;
  ASSERT_TRUE(client::submit(*stub_, key_,
                             header(pb::JOB_KIND_ZKWASM_MODULE, R"({"preset":"test"})", input),
                             input, &acc2)
                  .ok());
  auto w2 = client::watch(*stub_, key_, acc2.job_id(), true);
  ASSERT_TRUE(w2.status.ok());
  ASSERT_FALSE(w2.failure) << w2.failure->reason();
  pv = expect_valid_bundle(w2.proof);
  EXPECT_EQ(pv.entry_function, 1u);
  EXPECT_EQ(pv.results, std::vector<uint64_t>{0});

  // Capacity lists both kinds as available, with the throughput observed.
  pb::Capacity cap;
  auto ctx = client::context(key_, 10);
  ASSERT_TRUE(stub_->GetCapacity(ctx.get(), {}, &cap).ok());
  int zk = 0;
  for (const auto& k : cap.kinds()) {
    if (k.kind() == pb::JOB_KIND_GROTH16) continue;
    zk++;
    EXPECT_TRUE(k.available());
    EXPECT_NE(k.unit().find("WASM instructions"), std::string::npos) << k.unit();
    EXPECT_GT(k.units_per_second(), 0);
  }
  EXPECT_EQ(zk, 2);
}

// An Extension that reads its input and writes output: PostOp.Data = (Data XOR 0x5a) || sender.
const char* kEchoExtensionWat = R"((module
  (import "efaas" "input_size" (func $size (param i32) (result i32)))
  (import "efaas" "input_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "efaas" "output_write" (func $write (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "efaas_main") (result i32) (local $n i32) (local $i i32)
    (local.set $n (call $size (i32.const 0)))
    (drop (call $read (i32.const 0) (i32.const 0) (i32.const 64) (local.get $n)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store8 offset=64 (local.get $i)
        (i32.xor (i32.load8_u offset=64 (local.get $i)) (i32.const 0x5a)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (call $write (i32.const 64) (local.get $n))
    (drop (call $read (i32.const 2) (i32.const 0) (i32.const 0) (i32.const 20)))
    (call $write (i32.const 0) (i32.const 20))
    (i32.const 0)))
)";

std::string hex_of(const std::vector<uint8_t>& b) {
  return to_hex(std::span<const uint8_t>(b));
}

// The public input a trace job names and the one a module job executes are bound into the
// bundle, with the output the Extension wrote; a trace job given another public input fails.
TEST_F(ZkwasmE2E, ExtensionPublicInputAndOutputAreBoundForBothKinds) {
  start_farm();
  auto wasm = testing::wat2wasm(kEchoExtensionWat);
  ASSERT_TRUE(wasm) << wasm.status().to_string();
  const std::string echo_hash = upload_wasm(std::string(wasm->begin(), wasm->end()));
  auto program = zkwasm::Program::load(*wasm);
  ASSERT_TRUE(program.is_ok()) << program.status().to_string();

  Rng rng(test_seed("ZkwasmE2E.ExtensionPublicInputAndOutputAreBoundForBothKinds"));
  wasm::ExtensionInput in;
  for (int i = 0; i < 11; ++i) in.data.push_back(uint8_t(rng.next_u32()));
  for (auto& b : in.to) b = uint8_t(rng.next_u32());
  for (auto& b : in.sender) b = uint8_t(rng.next_u32());
  for (auto& b : in.block_hash) b = uint8_t(rng.next_u32());
  in.private_input = {7, 7};
  std::vector<uint8_t> want_output;
  for (uint8_t b : in.data) want_output.push_back(b ^ 0x5a);
  want_output.insert(want_output.end(), in.sender.begin(), in.sender.end());
  const std::vector<uint8_t> pub = wasm::encode_public_inputs(in);

  // The node's path: run the Extension recording the trace, send it with its public input.
  wasm::MemorySink sink;
  wasm::TraceWriter tw(sink, 256);
  wasm::ExtensionConfig cfg;
  cfg.trace = &tw;
  auto run = wasm::run_extension((*program)->module_ptr(), in, cfg);
  ASSERT_TRUE(run.is_ok()) << run.status().to_string();
  ASSERT_EQ(run->output, want_output);
  const std::string trace(sink.data.begin(), sink.data.end());

  auto check = [&](const std::string& proof, const char* what) {
    auto b = zkwasm::deserialize_bundle(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(proof.data()), proof.size()));
    ASSERT_TRUE(b.is_ok()) << what << ": " << b.status().to_string();
    auto pv = zkwasm::verify(**program, *b);
    ASSERT_TRUE(pv.is_ok()) << what << ": " << pv.status().to_string();
    EXPECT_EQ(pv->public_input, pub) << what;
    EXPECT_EQ(pv->output, want_output) << what;
    EXPECT_EQ(pv->results, std::vector<uint64_t>{0}) << what;
    // The claim of another Data byte or another output does not verify.
    zkwasm::Bundle x = *b;
    x.publics.public_input[4] ^= 1;
    EXPECT_FALSE(zkwasm::verify(**program, x).is_ok()) << what;
    x = *b;
    x.publics.output.back() ^= 1;
    EXPECT_FALSE(zkwasm::verify(**program, x).is_ok()) << what;
  };
  const std::string params = R"({"preset":"test","public_input":")" + hex_of(pub) + "\"}";
  auto r = client::prove(*stub_, key_,
                         header(pb::JOB_KIND_ZKWASM_TRACE, params, trace, echo_hash), trace);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_FALSE(r.failure) << r.failure->code() << ": " << r.failure->reason();
  check(r.proof, "trace job");

  // Module job: the farm executes the Extension input; the public input is its public part.
  const std::vector<uint8_t> enc = wasm::encode_extension_input(in);
  const std::string input(enc.begin(), enc.end());
  auto m = client::prove(*stub_, key_,
                         header(pb::JOB_KIND_ZKWASM_MODULE, R"({"preset":"test"})", input,
                                echo_hash),
                         input);
  ASSERT_TRUE(m.status.ok()) << m.status.error_message();
  ASSERT_FALSE(m.failure) << m.failure->code() << ": " << m.failure->reason();
  check(m.proof, "module job");

  // The same trace with another Data byte, another sender, or no public input: the prover
  // refuses (the trace's host reads do not match it), so the job fails; no proof is handed out.
  using Edit = std::function<void(std::vector<uint8_t>&)>;
  for (auto [what, edit] : std::vector<std::pair<const char*, Edit>>{
           {"data", [](std::vector<uint8_t>& p) { p[4 + 3] ^= 1; }},
           {"sender", [](std::vector<uint8_t>& p) { p[4 + 11 + 20 + 2] ^= 1; }},
           {"none", [](std::vector<uint8_t>& p) { p.clear(); }}}) {
    SCOPED_TRACE(what);
    std::vector<uint8_t> wrong = pub;
    edit(wrong);
    const std::string wp = wrong.empty()
                               ? std::string(R"({"preset":"test"})")
                               : R"({"preset":"test","public_input":")" + hex_of(wrong) + "\"}";
    auto w = client::prove(*stub_, key_,
                           header(pb::JOB_KIND_ZKWASM_TRACE, wp, trace, echo_hash), trace);
    ASSERT_TRUE(w.status.ok()) << w.status.error_message();
    ASSERT_TRUE(w.failure);
    EXPECT_EQ(w.failure->state(), pb::JOB_STATE_FAILED);
    EXPECT_TRUE(w.proof.empty());
    std::printf("  trace with a wrong public input (%s) -> %s: %s\n", what,
                w.failure->code().c_str(), w.failure->reason().c_str());
  }

  // Malformed values are refused at the header, naming the key.
  auto refused = [&](const std::string& p, pb::JobKind kind, const std::string& in_bytes,
                     const std::string& want) {
    auto x = client::prove(*stub_, key_, header(kind, p, in_bytes, echo_hash), in_bytes, 512);
    EXPECT_EQ(x.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << want;
    EXPECT_NE(x.status.error_message().find(want), std::string::npos)
        << x.status.error_message();
  };
  refused(R"({"public_input":"0g"})", pb::JOB_KIND_ZKWASM_TRACE, trace,
          "public_input: not a hex digit at character 1");
  refused(R"({"public_input":"abc"})", pb::JOB_KIND_ZKWASM_TRACE, trace, "public_input: 3 hex");
  refused(R"({"public_input":")" + hex_of(pub).substr(2) + "00\"}", pb::JOB_KIND_ZKWASM_TRACE,
          trace, "is not an encode_public_inputs() encoding");
  refused(R"({"public_input":7})", pb::JOB_KIND_ZKWASM_TRACE, trace, "want a hex string");
  refused(R"({"public_input":")" + hex_of(pub) + "\"}", pb::JOB_KIND_ZKWASM_MODULE, input,
          "only zkwasm-trace jobs take it");
}

// A trace job whose run read its private input (kind 4): the input travels in
// JobHeader.private_input, the proof commits to it by its digest; another private input fails
// the job with INVALID_ARGUMENT naming the read, and is another request for the proof cache.
// A module job refuses the field (its private input is in its Extension input).
TEST_F(ZkwasmE2E, TraceJobWithPrivateInputProvesAndAWrongOneIsRejected) {
  start_farm();
  auto wasm = testing::wat2wasm(testing::kPrivateWat);
  ASSERT_TRUE(wasm) << wasm.status().to_string();
  const std::string hash = upload_wasm(std::string(wasm->begin(), wasm->end()));
  auto program = zkwasm::Program::load(*wasm);
  ASSERT_TRUE(program.is_ok()) << program.status().to_string();
  wasm::ExtensionInput in;
  in.private_input = {9, 8, 7, 6, 5, 4, 3};
  auto t = testing::record_trace_with_input(*wasm, "efaas_main", {}, in);
  ASSERT_TRUE(t) << t.status().to_string();
  const std::string trace(t->begin(), t->end());
  const std::string params = R"({"preset":"test"})";
  auto with = [&](const std::optional<std::string>& priv) {
    pb::JobHeader h = header(pb::JOB_KIND_ZKWASM_TRACE, params, trace, hash);
    if (priv) h.set_private_input(*priv);
    return client::prove(*stub_, key_, h, trace);
  };
  const std::string right(in.private_input.begin(), in.private_input.end());
  auto r = with(right);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_FALSE(r.failure) << r.failure->code() << ": " << r.failure->reason();
  auto b = zkwasm::deserialize_bundle(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(r.proof.data()), r.proof.size()));
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  auto pv = zkwasm::verify(**program, *b);
  ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
  EXPECT_TRUE(pv->private_digest.has_value());
  EXPECT_EQ(pv->output, std::vector<uint8_t>{10});
  // Another private digest claimed for the same proof does not verify.
  zkwasm::Bundle x = *b;
  (*x.publics.private_digest)[0] += Fp::one();
  EXPECT_FALSE(zkwasm::verify(**program, x).is_ok());

  std::string wrong = right;
  wrong[6] ^= 1;
  for (const auto& [what, priv] : std::vector<std::pair<const char*, std::optional<std::string>>>{
           {"one byte changed", wrong}, {"none", std::nullopt}}) {
    auto w = with(priv);
    ASSERT_TRUE(w.status.ok()) << w.status.error_message();
    ASSERT_TRUE(w.failure) << what << ": proved";
    ASSERT_TRUE(w.accepted);
    EXPECT_FALSE(w.accepted->cached()) << what << ": answered from the cache";
    EXPECT_EQ(w.failure->code(), "INVALID_ARGUMENT") << what;
    EXPECT_NE(w.failure->reason().find(priv ? "step" : "no private input"), std::string::npos)
        << w.failure->reason();
    EXPECT_TRUE(w.proof.empty());
    std::printf("  trace with a wrong private input (%s) -> %s: %s\n", what,
                w.failure->code().c_str(), w.failure->reason().c_str());
  }
  // A module job carries its private input in its Extension input.
  const std::vector<uint8_t> enc = wasm::encode_extension_input(in);
  const std::string input(enc.begin(), enc.end());
  pb::JobHeader h = header(pb::JOB_KIND_ZKWASM_MODULE, params, input, hash);
  h.set_private_input(right);
  auto m = client::prove(*stub_, key_, h, input, 512);
  EXPECT_EQ(m.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(m.status.error_message().find("only zkwasm-trace jobs take it"), std::string::npos)
      << m.status.error_message();
}

TEST_F(ZkwasmE2E, BadTracesAndParametersAreRefusedAndTheFarmKeepsServing) {
  start_farm();
  const std::string params = R"({"entry":"sum","args":[10],"preset":"test"})";
  auto refused = [&](const pb::JobHeader& h, const std::string& input, const std::string& want,
                     grpc::StatusCode code = grpc::StatusCode::INVALID_ARGUMENT) {
    auto r = client::prove(*stub_, key_, h, input, 512);
    EXPECT_EQ(r.status.error_code(), code) << want << ": " << r.status.error_message();
    EXPECT_NE(r.status.error_message().find(want), std::string::npos) << r.status.error_message();
    EXPECT_FALSE(r.accepted) << want;
  };
  // Parameters, checked at the header.
  refused(header(pb::JOB_KIND_ZKWASM_TRACE, R"({"entri":"sum"})", trace_), trace_, "entri");
  refused(header(pb::JOB_KIND_ZKWASM_TRACE, R"({"args":"10"})", trace_), trace_, "args");
  refused(header(pb::JOB_KIND_ZKWASM_TRACE, R"({"entry":"nope"})", trace_), trace_,
          "exports no function \"nope\"");
  refused(header(pb::JOB_KIND_ZKWASM_TRACE, R"({"entry":"sum"})", trace_), trace_,
          "takes 1 argument");
  // A trace of this module offered as another module's: its first step differs.
  const std::string other = upload_wasm(std::string(
      [] {
        auto w = testing::wat2wasm(R"((module (func (export "sum") (param i32) (result i32)
          (i32.sub (i32.add (local.get 0) (i32.const 1)) (i32.const 2)))))");
        return w ? std::string(w->begin(), w->end()) : std::string();
      }()));
  refused(header(pb::JOB_KIND_ZKWASM_TRACE, params, trace_, other), trace_,
          "does not match the module: step ");
  // Corrupted bytes (a checksum), a stream cut short of the header's size, and a trace that
  // is whole by the header's size but stops before its end chunk.
  std::string flipped = trace_;
  flipped[trace_.size() / 2] ^= 0x40;
  refused(header(pb::JOB_KIND_ZKWASM_TRACE, params, flipped), flipped, "trace");
  {
    pb::JobHeader h = header(pb::JOB_KIND_ZKWASM_TRACE, params, trace_);
    std::vector<pb::ProveRequest> msgs(2);
    *msgs[0].mutable_header() = h;
    msgs[1].mutable_chunk()->set_offset(0);
    msgs[1].mutable_chunk()->set_data(trace_.substr(0, trace_.size() - 10));
    grpc::Status st = raw_stream(*stub_, key_, msgs);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(st.error_message().find("truncated input"), std::string::npos)
        << st.error_message();
  }
  const std::string cut = trace_.substr(0, trace_.size() - 60);
  refused(header(pb::JOB_KIND_ZKWASM_TRACE, params, cut), cut, "trace truncated");
  const std::string bad_input = extension_input({1}).substr(1);
  refused(header(pb::JOB_KIND_ZKWASM_MODULE, R"({"entry":"sum","args":[1]})", bad_input),
          bad_input, "extension input");

  // Framing intact, one value forged: accepted, then failed by the prover naming the step.
  auto t = wasm::read_trace(std::span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(trace_.data()), trace_.size()));
  ASSERT_TRUE(t.is_ok());
  size_t k = 0;
  while (t->steps[k].op != uint16_t(wasm::Op::kI32Add)) ++k;
  t->steps[k].r ^= 4;
  auto forged_bytes = testing::encode_trace(*t);
  ASSERT_TRUE(forged_bytes);
  const std::string forged(forged_bytes->begin(), forged_bytes->end());
  auto r = client::prove(*stub_, key_, header(pb::JOB_KIND_ZKWASM_TRACE, params, forged), forged);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->state(), pb::JOB_STATE_FAILED);
  EXPECT_EQ(r.failure->code(), "INVALID_ARGUMENT");
  EXPECT_NE(r.failure->reason().find("step " + std::to_string(k)), std::string::npos)
      << r.failure->reason();

  // A run the prover cannot prove yet: UNIMPLEMENTED with the prover's message.
  {
    auto w = testing::wat2wasm(testing::kUnprovableWat);
    ASSERT_TRUE(w);
    const std::string mh = upload_wasm(std::string(w->begin(), w->end()));
    auto mt = testing::record_trace(*w, "f", {4}, 64, testing::kUnprovableGasLimit);
    ASSERT_TRUE(mt);
    const std::string mtrace(mt->begin(), mt->end());
    auto u = client::prove(*stub_, key_,
                           header(pb::JOB_KIND_ZKWASM_TRACE, R"({"args":[4],"preset":"test"})",
                                  mtrace, mh),
                           mtrace);
    ASSERT_TRUE(u.status.ok()) << u.status.error_message();
    ASSERT_TRUE(u.failure);
    EXPECT_EQ(u.failure->code(), "UNIMPLEMENTED") << u.failure->reason();
    EXPECT_NE(u.failure->reason().find(testing::kUnprovableReason), std::string::npos)
        << u.failure->reason();
  }
  // Nothing was charged for any of it, and a good job still proves.
  EXPECT_EQ(farm_->usage("alice").balance(), 1'000'000);
  auto good = client::prove(*stub_, key_, header(pb::JOB_KIND_ZKWASM_TRACE, params, trace_),
                            trace_);
  ASSERT_TRUE(good.status.ok()) << good.status.error_message();
  ASSERT_FALSE(good.failure) << good.failure->reason();
  expect_valid_bundle(good.proof);
}

TEST_F(ZkwasmE2E, CalibratedEstimateCancellationMidProofAndDeadlineExpiry) {
  // What `efaas bench -o` writes for zkWASM, reduced to the part the farm reads.
  fs::create_directories(dir_);
  const std::string calib = dir_ + "/calibration.json";
  std::ofstream(calib) << R"({"kinds": {"zkwasm-trace": {"units_per_second": 0.5},
                                         "zkwasm-module": {"units_per_second": 0.5}}})";
  // A pause before each stage (STARK stages included) widens "mid-proof" to seconds.
  start_farm({"--stage-delay-ms", "300", "--calibration", calib});
  const std::string params = R"({"entry":"sum","args":[10],"preset":"test"})";
  pb::Accepted acc;
  ASSERT_TRUE(client::submit(*stub_, key_, header(pb::JOB_KIND_ZKWASM_TRACE, params, trace_),
                             trace_, &acc)
                  .ok());
  // 4 units (the floor) at the calibrated 0.5 units/s, at the default price of 10.
  EXPECT_EQ(acc.estimated_units(), 4u);
  EXPECT_EQ(acc.estimated_cost(), 40u);
  EXPECT_NEAR(acc.estimated_seconds(), 8.0, 1e-9);
  wait_job(*stub_, key_, acc.job_id(), [](const pb::JobInfo& j) {
    return j.state() == pb::JOB_STATE_RUNNING && j.stage().rfind("prove: ", 0) == 0;
  });
  expect_cancelled(*stub_, key_, acc.job_id());

  // A deadline the job cannot meet (8 s estimated, 0.9 s given): expired, cleanly.
  pb::JobHeader h = header(pb::JOB_KIND_ZKWASM_TRACE, params, trace_);
  h.set_deadline_unix_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count() +
                         900);
  auto r = client::prove(*stub_, key_, h, trace_);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->state(), pb::JOB_STATE_EXPIRED);
  EXPECT_EQ(r.failure->code(), "DEADLINE_EXCEEDED");
  // Neither the cancelled nor the expired job is charged.
  EXPECT_EQ(farm_->usage("alice").balance(), 1'000'000);

  // Module jobs reserve for their gas limit (2^22 instructions here: hours at 0.5 units/s), but
  // deadlines are judged on the executed instructions: 8 s needed, so 60 s is enough and 3 s
  // is not.
  const std::string input = extension_input({1});
  auto module_job = [&](int64_t deadline_in_ms) {
    pb::JobHeader mh = header(pb::JOB_KIND_ZKWASM_MODULE,
                              R"({"entry":"sum","args":[4],"preset":"test"})", input);
    mh.set_deadline_unix_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count() +
                            deadline_in_ms);
    return client::prove(*stub_, key_, mh, input);
  };
  auto late = module_job(3000);
  ASSERT_TRUE(late.status.ok()) << late.status.error_message();
  ASSERT_TRUE(late.failure);
  EXPECT_EQ(late.failure->state(), pb::JOB_STATE_EXPIRED);
  EXPECT_NE(late.failure->reason().find("needs about 8000 ms"), std::string::npos)
      << late.failure->reason();
  auto in_time = module_job(60000);
  ASSERT_TRUE(in_time.status.ok()) << in_time.status.error_message();
  ASSERT_FALSE(in_time.failure) << in_time.failure->reason();
  EXPECT_EQ(expect_valid_bundle(in_time.proof).results, std::vector<uint64_t>{10});
  EXPECT_EQ(farm_->usage("alice").balance(), 1'000'000 - 40);
}

// ---------------------------------------------------------------- zkWASM segments and devices

// Segments of at most 2^5 rows: sum(10) runs about 110 rows, so the job splits into several.
const char* kSegmentedParams = R"({"entry":"sum","args":[10],"preset":"test","segment_log":5})";

int64_t unix_ms_in(int64_t ms) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() +
         ms;
}

// A job split into segments end to end over gRPC: progress per proved segment with the time
// left, a bundle of several segments that zkwasm::verify accepts, the same charge as one
// segment, and the second CPU slot lent to the job's segments; bad segment sizes are refused
// at the header, naming the key.
TEST_F(ZkwasmE2E, SegmentedJobEndToEndWithProgressPerSegment) {
  start_farm({"--workers", "2"});
  auto r = client::prove(*stub_, key_, header(pb::JOB_KIND_ZKWASM_TRACE, kSegmentedParams, trace_),
                         trace_, 1000);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_FALSE(r.failure) << r.failure->code() << ": " << r.failure->reason();
  auto b = zkwasm::deserialize_bundle(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(r.proof.data()), r.proof.size()));
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  const size_t n = b->segments.size();
  EXPECT_GE(n, 3u) << "sum(10) in segments of 32 rows";
  auto pv = expect_valid_bundle(r.proof);
  EXPECT_EQ(pv.results, std::vector<uint64_t>{55});
  // One progress event per proved segment, in order, each with its fraction and time left.
  std::vector<std::string> seen;
  double last_fraction = 0;
  for (const auto& p : r.progress) {
    EXPECT_GE(p.fraction(), last_fraction) << p.stage();
    last_fraction = p.fraction();
    if (p.stage().find(" proved") == std::string::npos ||
        p.stage().find("segment ") == std::string::npos ||
        p.stage().find(',') != std::string::npos) {
      continue;
    }
    seen.push_back(p.stage());
    if (seen.size() < n) {
      EXPECT_GT(p.seconds_left(), 0) << p.stage();
    }
  }
  ASSERT_EQ(seen.size(), n);
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(seen[i],
              "prove: segment " + std::to_string(i + 1) + "/" + std::to_string(n) + " proved");
  }
  EXPECT_EQ(get_job(*stub_, key_, r.job_id).units(), 4u);  // per instruction, as one segment
  // Both CPU slots proved its segments (the second was idle and lent).
  EXPECT_NE(farm_->log().find("job=" + r.job_id +
                              " tenant=alice kind=zkwasm-trace units=4 "
                              "attempt=1 devices=cpu,cpu"),
            std::string::npos)
      << farm_->log();

  // Bad segment sizes: refused at the header with INVALID_ARGUMENT naming the key.
  for (const char* bad : {R"({"entry":"sum","args":[10],"segment_log":3})",
                          R"({"entry":"sum","args":[10],"segment_log":21})",
                          R"({"entry":"sum","args":[10],"segment_log":"5"})"}) {
    auto e = client::prove(*stub_, key_, header(pb::JOB_KIND_ZKWASM_TRACE, bad, trace_), trace_);
    EXPECT_EQ(e.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_NE(e.status.error_message().find("params_json.segment_log"), std::string::npos)
        << e.status.error_message();
  }
}

// Cancellation and deadlines between segments: a cancel after the first proved segment stops
// the job (cancelled, not charged); a deadline the measured segments cannot make expires the
// job mid-way, after its first segment, not before it starts.
TEST_F(ZkwasmE2E, SegmentedJobCancelAndDeadlineBetweenSegments) {
  start_farm({"--stage-delay-ms", "150"});
  pb::Accepted acc;
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(client::submit(*stub_, key_,
                             header(pb::JOB_KIND_ZKWASM_TRACE, kSegmentedParams, trace_), trace_,
                             &acc)
                  .ok());
  wait_job(*stub_, key_, acc.job_id(), [](const pb::JobInfo& j) {
    return j.stage().rfind("prove: segment 1/", 0) == 0 || terminal(j);
  });
  // Until the first segment was proved (the machine is shared: measured, not assumed).
  const int64_t first_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  expect_cancelled(*stub_, key_, acc.job_id());

  // Twice the time to the first segment: past the first, short of all of them (at least 3).
  pb::JobHeader h = header(pb::JOB_KIND_ZKWASM_TRACE, kSegmentedParams, trace_);
  h.set_deadline_unix_ms(unix_ms_in(2 * first_ms));
  auto r = client::prove(*stub_, key_, h, trace_);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_TRUE(r.failure) << "the job made a deadline it should not have";
  EXPECT_EQ(r.failure->state(), pb::JOB_STATE_EXPIRED);
  EXPECT_EQ(r.failure->code(), "DEADLINE_EXCEEDED");
  bool segment_proved = false;
  for (const auto& p : r.progress) {
    segment_proved |= p.stage().rfind("prove: segment 1/", 0) == 0;
  }
  EXPECT_TRUE(segment_proved) << "expired before its first segment: " << r.failure->reason();
  EXPECT_EQ(farm_->usage("alice").balance(), 1'000'000);  // neither is charged
}

// An OpenCL device slot proves zkWASM with Backend::kOpenCl (PoCL here): with a calibration
// that rates it above the CPU, the job is placed there; capacity then reports the device's own
// observed throughput and load. The job is the sum(10) trace in one segment at the test preset,
// whose quotient kernel zkwasm_test's OpenClBundleIsIdenticalToScalar already compiled into
// PoCL's disk cache (a cold cache compiles it first: about 2.5 minutes on 2 cores).
TEST_F(ZkwasmE2E, JobIsPlacedOnTheOpenClDeviceByEstimatedCost) {
  if (!resolve_backend(Backend::kOpenCl)) GTEST_SKIP() << "no OpenCL device here";
  start_farm_with_opencl(1, 1000);
  ASSERT_NO_FATAL_FAILURE(prove_sum10_on("opencl:0"));
  pb::Capacity cap;
  auto ctx = client::context(key_, 10);
  ASSERT_TRUE(stub_->GetCapacity(ctx.get(), {}, &cap).ok());
  ASSERT_EQ(cap.devices_size(), 2);
  const auto& cpu = cap.devices(0);
  const auto& cl = cap.devices(1);
  EXPECT_EQ(cpu.kind(), "cpu");
  EXPECT_EQ(cl.kind(), "opencl");
  EXPECT_EQ(cl.slots(), 1u);
  EXPECT_GT(cl.busy_fraction(), 0);
  EXPECT_EQ(cpu.busy_fraction(), 0);
  auto rate = [](const pb::DeviceInfo& d, pb::JobKind k) -> const pb::KindThroughput* {
    for (const auto& t : d.throughput()) {
      if (t.kind() == k) return &t;
    }
    return nullptr;
  };
  ASSERT_TRUE(rate(cl, pb::JOB_KIND_ZKWASM_TRACE));
  EXPECT_EQ(rate(cl, pb::JOB_KIND_ZKWASM_TRACE)->source(), "observed");
  EXPECT_EQ(rate(cl, pb::JOB_KIND_GROTH16), nullptr) << "Groth16 runs on the CPU only";
  ASSERT_TRUE(rate(cpu, pb::JOB_KIND_ZKWASM_TRACE));
  EXPECT_EQ(rate(cpu, pb::JOB_KIND_ZKWASM_TRACE)->source(), "calibrated");
  EXPECT_EQ(rate(cpu, pb::JOB_KIND_ZKWASM_TRACE)->units_per_second(), 1);

  // A device the machine does not have is refused at start, naming it.
  FarmProc other(dir_ + "/store2");
  std::string why;
  int code = 0;
  EXPECT_FALSE(other.start({"--devices", "cpu,opencl:7"}, &why, &code));
  EXPECT_EQ(code, 2);
  EXPECT_NE(why.find("opencl:7"), std::string::npos) << why;
  // A farm of one OpenCL device takes no Groth16 job (CPU only): refused at the header.
  FarmProc gpu_only(dir_ + "/store3");
  ASSERT_TRUE(gpu_only.start({"--devices", "opencl:0"}, &why)) << why;
  const std::string key = gpu_only.create_tenant("bob", 1'000'000);
  auto stub = gpu_only.farm();
  auto g = client::prove(*stub, key, groth16_header(upload_zkey(*stub, key)), wtns_);
  EXPECT_EQ(g.status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_NE(g.status.error_message().find("no device of this farm runs groth16"), std::string::npos)
      << g.status.error_message();
}

// Placement the other way: with the OpenCL device calibrated far slower, jobs wait for the busy
// CPU slot instead (a queued job and a segmented one alike: one of its segments on the slow
// device would outlast the whole job on the CPU), and the OpenCL slot stays idle.
// opencl:N proves on OpenCL device N (StarkConfig::opencl_device): an index the machine does
// not have stops the farm at start-up, naming it; with PoCL made to expose two devices
// (POCL_DEVICES="pthread pthread": two contexts and queues), a job placed on opencl:1 proves
// there and its bundle verifies.
TEST_F(ZkwasmE2E, OpenClDeviceIndexGivesOneSlotPerDevice) {
  if (!resolve_backend(Backend::kOpenCl)) GTEST_SKIP() << "no OpenCL device here";
  auto devs = list_opencl_devices();
  ASSERT_TRUE(devs.is_ok());
  {
    FarmProc f(store() + "-absent");
    std::string why;
    int code = 0;
    const std::string absent = "opencl:" + std::to_string(devs->size() + 3);
    ASSERT_FALSE(f.start({"--devices", "cpu," + absent}, &why, &code));
    EXPECT_EQ(code, 2);
    EXPECT_NE(why.find("devices: " + absent + ": no such OpenCL device"), std::string::npos)
        << why;
  }
  ::setenv("POCL_DEVICES", "pthread pthread", 1);  // inherited by the farm process
  start_farm_with_opencl(1, 1000, "opencl:1");
  ::unsetenv("POCL_DEVICES");
  ASSERT_TRUE(farm_);
  ASSERT_NO_FATAL_FAILURE(prove_sum10_on("opencl:1"));
  pb::Capacity cap;
  auto ctx = client::context(key_, 10);
  ASSERT_TRUE(stub_->GetCapacity(ctx.get(), {}, &cap).ok());
  ASSERT_EQ(cap.devices_size(), 2);
  EXPECT_EQ(cap.devices(1).name().rfind("opencl:1: ", 0), 0u) << cap.devices(1).name();
  EXPECT_GT(cap.devices(1).busy_fraction(), 0);
}

TEST_F(ZkwasmE2E, SlowDeviceIsLeftIdleWhileTheFasterOneIsBusy) {
  if (!resolve_backend(Backend::kOpenCl)) GTEST_SKIP() << "no OpenCL device here";
  start_farm_with_opencl(100, 0.01);
  pb::Accepted a, b;
  ASSERT_TRUE(client::submit(*stub_, key_,
                             header(pb::JOB_KIND_ZKWASM_TRACE, kSegmentedParams, trace_), trace_,
                             &a)
                  .ok());
  ASSERT_TRUE(client::submit(*stub_, key_,
                             header(pb::JOB_KIND_ZKWASM_TRACE,
                                    R"({"entry":"sum","args":[10],"preset":"test"})", trace_),
                             trace_, &b)
                  .ok());
  for (const auto* acc : {&a, &b}) {
    auto w = client::watch(*stub_, key_, acc->job_id(), true);
    ASSERT_TRUE(w.status.ok()) << w.status.error_message();
    ASSERT_FALSE(w.failure) << w.failure->reason();
    expect_valid_bundle(w.proof);
    EXPECT_NE(farm_->log().find("job=" + acc->job_id() +
                                " tenant=alice kind=zkwasm-trace units=4 attempt=1 devices=cpu\n"),
              std::string::npos)
        << farm_->log();
  }
  pb::Capacity cap;
  auto ctx = client::context(key_, 10);
  ASSERT_TRUE(stub_->GetCapacity(ctx.get(), {}, &cap).ok());
  ASSERT_EQ(cap.devices_size(), 2);
  EXPECT_EQ(cap.devices(1).busy_fraction(), 0);
  EXPECT_GT(cap.devices(0).busy_fraction(), 0);
}

// The in-flight budget covers parsed traces: a job whose trace needs more memory than the whole
// budget fails with RESOURCE_EXHAUSTED naming the budget (never loaded), and a module job whose
// execution bound could not fit is refused at the header.
TEST_F(ZkwasmE2E, MemoryBudgetCoversParsedTraces) {
  fs::create_directories(dir_);
  const std::string cfg = dir_ + "/farm.json";
  std::ofstream(cfg) << R"({"inflight_budget_bytes": 2097152})";  // 2 MiB
  start_farm({"--config", cfg});
  const std::string big = record("sum", {6000});  // ~66 000 records: 2.6 MB parsed
  const std::string params = R"({"entry":"sum","args":[6000],"preset":"test"})";
  auto r = client::prove(*stub_, key_, header(pb::JOB_KIND_ZKWASM_TRACE, params, big), big);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->code(), "RESOURCE_EXHAUSTED");
  EXPECT_NE(r.failure->reason().find("inflight_budget_bytes"), std::string::npos)
      << r.failure->reason();
  // The small trace fits, and the budget is whole again afterwards.
  auto ok = client::prove(
      *stub_, key_,
      header(pb::JOB_KIND_ZKWASM_TRACE, R"({"entry":"sum","args":[10],"preset":"test"})", trace_),
      trace_);
  ASSERT_FALSE(ok.failure) << ok.failure->reason();
  EXPECT_EQ(metric(farm_->metrics(), "efaas_farm_memory_held_bytes"), 0);
  const std::string input = extension_input({1});
  auto m = client::prove(
      *stub_, key_,
      header(pb::JOB_KIND_ZKWASM_MODULE, R"({"entry":"sum","args":[4],"preset":"test"})", input),
      input);
  EXPECT_EQ(m.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(m.status.error_message().find("inflight_budget_bytes"), std::string::npos)
      << m.status.error_message();
  auto small = client::prove(
      *stub_, key_,
      header(pb::JOB_KIND_ZKWASM_MODULE,
             R"({"entry":"sum","args":[4],"preset":"test","gas_limit":20000})", input),
      input);
  ASSERT_TRUE(small.status.ok()) << small.status.error_message();
  ASSERT_FALSE(small.failure) << small.failure->reason();
}

// The running job is split into segments and killed after its first one: it runs again whole.
// SIGKILL during a segmented job after two of its segments: the restarted farm proves only
// the segments that were not saved (one saved segment is corrupted before the restart: it is
// discarded with a log line and proved again), the bundle verifies, the checkpoints are
// deleted once the proof is stored, and each job is charged once.
TEST_F(ZkwasmE2E, SigkillDuringProvingThenRestartLosesNothingAndChargesOnce) {
  start_farm({"--stage-delay-ms", "300"});
  pb::Accepted running, queued;
  ASSERT_TRUE(client::submit(*stub_, key_,
                             header(pb::JOB_KIND_ZKWASM_TRACE, kSegmentedParams, trace_), trace_,
                             &running)
                  .ok());
  const std::string input = extension_input({9});
  ASSERT_TRUE(client::submit(*stub_, key_,
                             header(pb::JOB_KIND_ZKWASM_MODULE,
                                    R"({"entry":"sum","args":[3],"preset":"test"})", input),
                             input, &queued)
                  .ok());
  wait_job(*stub_, key_, running.job_id(), [](const pb::JobInfo& j) {
    return j.state() == pb::JOB_STATE_RUNNING && j.stage().rfind("prove: segment 2/", 0) == 0;
  });
  farm_->signal(SIGKILL);
  farm_->wait_exit();
  // Segments are saved before their progress is reported: at least 0 and 1 are on disk.
  const fs::path saved = fs::path(store()) / "segments" / running.job_id();
  ASSERT_TRUE(fs::exists(saved / "0") && fs::exists(saved / "1"));
  size_t on_disk = 0;
  for (const auto& e : fs::directory_iterator(saved)) on_disk += e.is_regular_file();
  fs::resize_file(saved / "0", fs::file_size(saved / "0") / 2);  // a torn or corrupted file
  std::string why;
  ASSERT_TRUE(farm_->start({"--stage-delay-ms", "20"}, &why)) << why;
  stub_ = farm_->farm();
  size_t segments = 0;
  for (const std::string& id : {running.job_id(), queued.job_id()}) {
    auto w = client::watch(*stub_, key_, id, true);
    ASSERT_TRUE(w.status.ok()) << w.status.error_message();
    ASSERT_FALSE(w.failure) << w.failure->reason();
    expect_valid_bundle(w.proof);
    if (id == running.job_id()) segments = segments_of(w.proof);
  }
  ASSERT_GE(segments, 3u);
  const std::string log = farm_->log();
  EXPECT_NE(log.find("event=segment_discarded job=" + running.job_id() + " segment=0"),
            std::string::npos)
      << log;
  // Only the segments not reused were proved after the restart.
  const size_t reused = on_disk - 1;
  EXPECT_NE(log.find("event=segments_resumed job=" + running.job_id() + " segments=" +
                     std::to_string(segments) + " reused=" + std::to_string(reused) +
                     " proved=" + std::to_string(segments - reused)),
            std::string::npos)
      << log;
  const std::string m = farm_->metrics();
  EXPECT_EQ(metric(m, "efaas_farm_segments_reused_total"), double(reused));
  EXPECT_EQ(metric(m, "efaas_farm_segments_saved_total"), double(segments - reused));
  EXPECT_FALSE(fs::exists(saved)) << "checkpoints are deleted once the proof is stored";
  expect_charged_once(*farm_, 2, 1'000'000 - 2 * 40);  // 4 units each (the floor) at price 10
}

// A module job's size is known only once the farm executed it: then it borrows the idle CPU
// slot for its segments, as a trace job gets it when placed.
TEST_F(ZkwasmE2E, ModuleJobBorrowsIdleSlotsForItsSegments) {
  start_farm({"--workers", "2"});
  const std::string input = extension_input({1});
  auto r = client::prove(
      *stub_, key_,
      header(pb::JOB_KIND_ZKWASM_MODULE,
             R"({"entry":"sum","args":[10],"preset":"test","segment_log":5})", input),
      input);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_FALSE(r.failure) << r.failure->code() << ": " << r.failure->reason();
  auto pv = expect_valid_bundle(r.proof);
  EXPECT_EQ(pv.results, std::vector<uint64_t>{55});
  EXPECT_GE(segments_of(r.proof), 3u);
  const std::string log = farm_->log();
  EXPECT_NE(log.find("kind=zkwasm-module units="), std::string::npos) << log;
  EXPECT_NE(log.find("event=slots_lent job=" + r.job_id + " devices=cpu"), std::string::npos)
      << log;
  EXPECT_EQ(get_job(*stub_, key_, r.job_id).units(), 4u);
}

// `efaas farm submit` with a module file and a trace file; the proof checked by
// `efaas verify` (--min-bits 0: the test preset has 20 conjectured bits).
TEST_F(ZkwasmE2E, EfaasFarmCliSubmitsZkwasmJobs) {
  start_farm();
  const std::string cli = EFAAS_CLI_BIN;
  auto run = [&](const std::string& args, std::string* out) {
    const std::string cmd = cli + " " + args + " > " + dir_ + "/cli.out 2>&1";
    int st = std::system(cmd.c_str());
    *out = slurp(dir_ + "/cli.out");
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  };
  std::ofstream(dir_ + "/sum.wasm", std::ios::binary) << module_;
  std::ofstream(dir_ + "/sum.trace", std::ios::binary) << trace_;
  std::ofstream(dir_ + "/input.bin", std::ios::binary) << extension_input({5});
  const std::string conn =
      " --farm 127.0.0.1:" + std::to_string(farm_->farm_port) + " --api-key " + key_;
  std::string out;
  ASSERT_EQ(run("farm submit --wait --kind zkwasm-trace --artifact " + dir_ +
                    "/sum.wasm --input " + dir_ +
                    "/sum.trace --entry sum --args 10 --preset test -o " + dir_ +
                    "/proof.bin --json" + conn,
                &out),
            0)
      << out;
  EXPECT_EQ(nlohmann::json::parse(out)["state"], "succeeded");
  ASSERT_EQ(run("verify --min-bits 0 " + dir_ + "/sum.wasm " + dir_ + "/proof.bin", &out), 0) << out;
  ASSERT_EQ(run("farm submit --wait --kind zkwasm-module --artifact " + module_hash_ +
                    " --input " + dir_ + "/input.bin --params '{\"preset\":\"test\"}' -o " +
                    dir_ + "/proof2.bin --json" + conn,
                &out),
            0)
      << out;
  // The same module job with the input given as parts: the CLI encodes it identically, so the
  // proof cache answers.
  ASSERT_EQ(run("farm submit --wait --kind zkwasm-module --artifact " + module_hash_ +
                    " --data 05 --private 2a --preset test --json" + conn,
                &out),
            0)
      << out;
  EXPECT_EQ(nlohmann::json::parse(out)["cached"], true) << out;
  ASSERT_EQ(run("verify --min-bits 0 " + dir_ + "/sum.wasm " + dir_ + "/proof2.bin", &out), 0) << out;
  // A proof checked against another module fails verification (exit 1).
  std::ofstream(dir_ + "/other.wasm", std::ios::binary) << [] {
    auto w = testing::wat2wasm("(module (func (export \"sum\") (param i32) (result i32) (local.get 0)))");
    return w ? std::string(w->begin(), w->end()) : std::string();
  }();
  EXPECT_EQ(run("verify --min-bits 0 " + dir_ + "/other.wasm " + dir_ + "/proof.bin", &out), 1) << out;
  // Bad parameters are a usage error naming the key.
  EXPECT_EQ(run("farm submit --kind zkwasm-trace --artifact " + module_hash_ + " --input " + dir_ +
                    "/sum.trace --params '{\"bogus\":1}'" + conn,
                &out),
            2);
  EXPECT_NE(out.find("bogus"), std::string::npos) << out;
}

}  // namespace
}  // namespace efaas::farm
