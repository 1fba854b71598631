#include "prover/farm/farm.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "prover/common/topology.hpp"
#include "prover/device/opencl.hpp"
#include "prover/hash/keccak.hpp"
#include "prover/wasm/module.hpp"

namespace efaas::farm {

namespace fs = std::filesystem;

namespace {

std::string random_hex(size_t bytes) {
  std::vector<uint8_t> b(bytes);
  size_t got = 0;
  while (got < bytes) {
    ssize_t n = getrandom(b.data() + got, bytes - got, 0);
    if (n > 0) got += size_t(n);
  }
  return to_hex(b);
}

std::string key_hash(const std::string& api_key) {
  return to_hex(keccak256(api_key));
}

bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

bool valid_hash(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Outcome fsync_path(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return err(Code::kInternal, "open " + path + " for fsync failed");
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return err(Code::kInternal, "fsync " + path + " failed");
  return ok();
}

// Moves a finished temp file into place durably.
Outcome install_file(const std::string& tmp, const std::string& dst) {
  if (Outcome o = fsync_path(tmp, false); !o) return o;
  std::error_code ec;
  fs::rename(tmp, dst, ec);
  if (ec) return err(Code::kInternal, "rename " + tmp + " -> " + dst + ": " + ec.message());
  return fsync_path(fs::path(dst).parent_path().string(), true);
}

}  // namespace

Expected<std::string> hash_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return err(Code::kInternal, "cannot read " + path);
  Keccak256 h;
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), std::streamsize(buf.size()));
    std::streamsize n = in.gcount();
    if (n > 0)
      h.update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(buf.data()), size_t(n)));
  }
  return to_hex(h.final());
}

Outcome write_file_durably(const std::string& path, std::span<const uint8_t> bytes) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return err(Code::kInternal, "cannot write " + tmp);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    if (!out) return err(Code::kInternal, "write " + tmp + " failed");
  }
  return install_file(tmp, path);
}

Expected<std::vector<uint8_t>> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return err(Code::kDataLoss, "cannot read " + path);
  std::vector<uint8_t> out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return out;
}

void Farm::Histogram::observe(double v) {
  if (counts.empty()) counts.assign(bounds.size() + 1, 0);
  size_t i = size_t(std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin());
  counts[i]++;
  sum += v;
  n++;
}

Farm::Farm(FarmConfig config, std::unique_ptr<Store> store)
    : config_(std::move(config)), store_(std::move(store)), budget_(config_.inflight_budget_bytes) {
  EngineOptions eo;
  eo.threads = config_.prover_threads;
  eo.stage_delay_ms = config_.stage_delay_ms;
  eo.segment_log = config_.segment_log;
  eo.memory_budget = config_.inflight_budget_bytes;
  for (JobKind k : {JobKind::kGroth16, JobKind::kZkwasmTrace, JobKind::kZkwasmModule}) {
    engines_[k] = make_engine(k, eo);
  }
  started_ms_ = now_unix_ms();
}

Expected<std::unique_ptr<Farm>> Farm::open(const FarmConfig& config) {
  std::error_code ec;
  for (const char* sub : {"", "/artifacts", "/inputs", "/proofs", "/segments", "/tmp"}) {
    fs::create_directories(config.store_dir + sub, ec);
    if (ec)
      return err(Code::kUnavailable,
                 "cannot create " + config.store_dir + sub + ": " + ec.message());
  }
  // Leftovers of uploads interrupted by a crash.
  for (const auto& e : fs::directory_iterator(config.store_dir + "/tmp", ec))
    fs::remove(e.path(), ec);
  // Device slots: `workers` on the CPU, one per OpenCL device (docs/farm.md, "Devices and
  // placement"). An OpenCL device must exist: a configured device that cannot run is an error
  // at start, not a queue that never moves.
  std::vector<Slot> slots;
  for (const std::string& d : config.devices) {
    if (Outcome o = check_device_name(d); !o)
      return err(Code::kInvalidArgument, "devices: " + o.error().message);
    if (d == "cpu") {
      for (size_t i = 0; i < config.workers; ++i)
        slots.push_back({d, "cpu", Backend::kAuto, 0, "", false, 0});
      continue;
    }
    const int idx = std::atoi(d.c_str() + 7);
    auto devs = list_opencl_devices();
    if (!devs) return err(Code::kUnavailable, "devices: " + d + ": " + devs.status().message());
    if (idx >= int(devs->size())) {
      std::string have;
      for (const auto& info : *devs) {
        have += (have.empty() ? ": " : ", ") + std::string("opencl:") + std::to_string(info.index) +
                " " + info.name;
      }
      return err(Code::kInvalidArgument, "devices: " + d + ": no such OpenCL device; this machine has " +
                                             std::to_string(devs->size()) + " OpenCL device(s)" + have);
    }
    // One slot per configured device, proving with StarkConfig::opencl_device = N.
    slots.push_back({d, "opencl", Backend::kOpenCl, idx, "", false, 0});
  }
  auto store = SqliteStore::open(config.store_dir + "/farm.sqlite");
  if (!store) return store.error();
  std::unique_ptr<Farm> farm(new Farm(config, std::move(*store)));
  farm->slots_ = std::move(slots);
  farm->load_calibration();
  if (Outcome o = farm->recover(); !o) return o.error();
  return farm;
}

Farm::~Farm() {
  stop(0);
}

void Farm::load_calibration() {
  if (config_.calibration_file.empty()) return;
  auto bytes = read_whole_file(config_.calibration_file);
  if (!bytes) return;
  auto j = nlohmann::json::parse(bytes->begin(), bytes->end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return;
  // `efaas bench --json`: "kinds" measured on the CPU, and "device_kinds": {"opencl": {kind:
  // {"units_per_second": x}}} (bench --zkwasm-backend opencl).
  auto read_kinds = [&](const nlohmann::json& kinds, const std::string& dev) {
    if (!kinds.is_object()) return;
    for (auto it = kinds.begin(); it != kinds.end(); ++it) {
      auto kind = parse_job_kind(it.key());
      if (kind && it->is_object() && it->contains("units_per_second") &&
          (*it)["units_per_second"].is_number() && (*it)["units_per_second"].get<double>() > 0) {
        calibrated_ups_[{dev, *kind}] = (*it)["units_per_second"].get<double>();
      }
    }
  };
  if (j.contains("kinds")) read_kinds(j["kinds"], "cpu");
  if (j.contains("device_kinds") && j["device_kinds"].is_object()) {
    for (auto it = j["device_kinds"].begin(); it != j["device_kinds"].end(); ++it) {
      if (it.key() == "cpu" || it.key() == "opencl") read_kinds(*it, it.key());
    }
  }
}

Outcome Farm::recover() {
  // Jobs that were running when the process died run again; queued ones stay queued. Nothing
  // was charged for them: charging commits together with the success.
  for (JobState st : {JobState::kRunning, JobState::kQueued}) {
    auto jobs = store_->jobs_in_state(st);
    if (!jobs) return jobs.error();
    for (Job& j : *jobs) {
      if (!fs::exists(input_path(j.id))) {
        j.state = JobState::kFailed;
        j.error_code = "DATA_LOSS";
        j.error = "the job's input is missing from the store";
        j.finished_ms = now_unix_ms();
        if (Outcome o = store_->update_job(j); !o) return o;
        drop_pieces(j.id);
        continue;
      }
      if (st == JobState::kRunning) {
        spdlog::info("event=job_requeued job={} tenant={} reason=\"interrupted by a restart\"",
                     j.id, j.tenant);
        j.state = JobState::kQueued;
        j.stage = "requeued after restart";
        j.fraction = 0;
        if (Outcome o = store_->update_job(j); !o) return o;
      }
      auto a = std::make_unique<Active>();
      a->job = j;
      active_[j.id] = std::move(a);
    }
  }
  return ok();
}

void Farm::start() {
  std::lock_guard lock(mu_);
  stopping_ = false;
  accepting_ = true;
  for (size_t i = 0; i < slots_.size(); ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

void Farm::stop(int timeout_s) {
  accepting_ = false;
  {
    std::unique_lock lock(mu_);
    if (workers_.empty()) return;
    // Drain: wait for running jobs (queued ones stay queued in the store for the next start).
    cv_.wait_for(lock, std::chrono::seconds(timeout_s), [&] {
      return std::none_of(active_.begin(), active_.end(), [](const auto& kv) {
        return kv.second->job.state == JobState::kRunning;
      });
    });
    stopping_ = true;
    // Whatever still runs is stopped at its next stage and left queued for the next start.
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

// ---------------------------------------------------------------- tenants

Expected<Tenant> Farm::authenticate(const std::string& api_key) {
  if (api_key.empty()) return err(Code::kUnauthenticated, "missing API key (metadata x-api-key)");
  return store_->tenant_by_key_hash(key_hash(api_key));
}

Expected<std::string> Farm::create_tenant(const std::string& name, int64_t balance, Quota quota,
                                          uint32_t weight) {
  if (!valid_name(name)) {
    return err(Code::kInvalidArgument, "tenant name '" + name + "': want 1-64 of [A-Za-z0-9._-]");
  }
  const Quota& d = config_.default_quota;
  if (quota.max_concurrent_jobs == 0) quota.max_concurrent_jobs = d.max_concurrent_jobs;
  if (quota.max_queued_bytes == 0) quota.max_queued_bytes = d.max_queued_bytes;
  if (quota.max_input_bytes == 0) quota.max_input_bytes = d.max_input_bytes;
  if (quota.max_units_per_hour == 0) quota.max_units_per_hour = d.max_units_per_hour;
  std::string key = "efk_" + random_hex(24);
  Tenant t{name, key_hash(key), 0, quota, weight == 0 ? 1 : weight, now_unix_ms()};
  if (Outcome o = store_->create_tenant(t); !o) return o.error();
  int64_t opening = balance != 0 ? balance : config_.default_balance;
  if (opening != 0) {
    if (Outcome o = store_->top_up(name, opening); !o) return o.error();
  }
  return key;
}

Expected<std::string> Farm::rotate_key(const std::string& name) {
  std::string key = "efk_" + random_hex(24);
  if (Outcome o = store_->set_key_hash(name, key_hash(key)); !o) return o.error();
  return key;
}

Outcome Farm::top_up(const std::string& name, int64_t amount) {
  if (amount == 0) return err(Code::kInvalidArgument, "top-up amount is zero");
  return store_->top_up(name, amount);
}

Outcome Farm::set_quota(const std::string& name, const Quota& q, uint32_t weight) {
  auto t = store_->tenant(name);
  if (!t) return t.error();
  return store_->set_quota(name, q, weight == 0 ? t->weight : weight);
}

Outcome Farm::set_price(JobKind kind, uint64_t price) {
  return store_->set_price(kind, price);
}

uint64_t Farm::price_of(JobKind kind) {
  if (auto p = store_->prices(); p) {
    for (auto& [k, v] : *p) {
      if (k == kind) return v;
    }
  }
  auto it = config_.prices.find(kind);
  return it == config_.prices.end() ? 0 : it->second;
}

Expected<Usage> Farm::usage(const std::string& tenant) {
  auto t = store_->tenant(tenant);
  if (!t) return t.error();
  Usage u;
  u.tenant = *t;
  auto total = store_->units_since(tenant, 0);
  if (!total) return total.error();
  auto hour = store_->units_since(tenant, now_unix_ms() - 3600 * 1000);
  if (!hour) return hour.error();
  u.units_total = *total;
  u.units_last_hour = *hour;
  auto all = store_->jobs_of(tenant, 1u << 30, 0);
  if (!all) return all.error();
  u.jobs_total = all->size();
  std::lock_guard lock(mu_);
  for (const auto& [id, a] : active_) {
    if (a->job.tenant != tenant) continue;
    u.jobs_active++;
    if (a->job.state == JobState::kQueued) u.queued_bytes += a->job.spec.input_size;
  }
  return u;
}

Expected<std::vector<Usage>> Farm::all_usage() {
  auto ts = store_->tenants();
  if (!ts) return ts.error();
  std::vector<Usage> out;
  for (const auto& t : *ts) {
    auto u = usage(t.name);
    if (!u) return u.error();
    out.push_back(*u);
  }
  return out;
}

Expected<std::vector<LedgerEntry>> Farm::ledger(const std::string& tenant, uint32_t limit) {
  return store_->ledger(tenant, limit);
}

// ---------------------------------------------------------------- artifacts

std::string Farm::artifact_path(const std::string& hash) const {
  return config_.store_dir + "/artifacts/" + hash;
}
std::string Farm::input_path(const std::string& id) const {
  return config_.store_dir + "/inputs/" + id;
}
std::string Farm::tmp_path(const std::string& tag) {
  return config_.store_dir + "/tmp/" + tag + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(tmp_counter_++);
}

bool Farm::has_artifact(const std::string& hash) {
  return valid_hash(hash) && store_->artifact(hash).is_ok() && fs::exists(artifact_path(hash));
}

Expected<ArtifactRecord> Farm::put_artifact(ArtifactKind kind, const std::string& tmp,
                                            const std::string& hash, uint64_t size) {
  std::error_code ec;
  if (has_artifact(hash)) {
    fs::remove(tmp, ec);
    return store_->artifact(hash);
  }
  if (Outcome o = install_file(tmp, artifact_path(hash)); !o) return o.error();
  if (kind == ArtifactKind::kWasm) {
    // Decoded and validated by the runtime that will execute it: a module the farm cannot run
    // is refused at upload.
    auto bytes = read_whole_file(artifact_path(hash));
    if (!bytes) return bytes.error();
    auto mod = wasm::load_module(*bytes);
    if (!mod) {
      fs::remove(artifact_path(hash), ec);
      return err(Code::kInvalidArgument, "WASM module: " + mod.status().message());
    }
  }
  if (kind == ArtifactKind::kZkey) {
    // Parse now (at its final path, so the parsed key stays cached for the jobs) so that a
    // broken key is refused at upload, not at every job.
    if (Outcome o = engines_[JobKind::kGroth16]->check_artifact(artifact_path(hash)); !o) {
      fs::remove(artifact_path(hash), ec);
      return o.error();
    }
  }
  ArtifactRecord rec{hash, kind, size, now_unix_ms()};
  if (Outcome o = store_->put_artifact(rec); !o) return o.error();
  return rec;
}

// ---------------------------------------------------------------- jobs

Engine* Farm::engine(JobKind kind) {
  auto it = engines_.find(kind);
  return it == engines_.end() ? nullptr : it->second.get();
}

EngineJob Farm::engine_job(const Job& j) const {
  EngineJob e;
  e.id = j.id;
  e.spec = j.spec;
  e.input_hash = j.input_hash;
  e.artifact_path = j.spec.artifact.empty() ? "" : artifact_path(j.spec.artifact);
  e.input_path = input_path(j.id);
  return e;
}

double Farm::device_rate_locked(JobKind kind, const std::string& dev_kind) const {
  if (auto it = observed_ups_.find({dev_kind, kind}); it != observed_ups_.end()) return it->second;
  if (auto it = calibrated_ups_.find({dev_kind, kind}); it != calibrated_ups_.end())
    return it->second;
  return 0;
}

// The best rate among the farm's devices that run the kind (estimates before placement).
double Farm::units_per_second(JobKind kind) const {
  double best = 0;
  auto it = engines_.find(kind);
  for (const Slot& s : slots_) {
    if (it != engines_.end() && !it->second->runs_on(s.backend)) continue;
    best = std::max(best, device_rate_locked(kind, s.kind));
  }
  return best;
}

double Farm::slot_rate_locked(JobKind kind, size_t slot) const {
  const double r = device_rate_locked(kind, slots_[slot].kind);
  if (r > 0) return r;
  const double best = units_per_second(kind);
  return best > 0 ? best : 1.0;
}

double Farm::seconds_left_locked(const Active& a) const {
  const Job& j = a.job;
  if (a.time_left >= 0) {
    return std::max(0.0, a.time_left - double(now_unix_ms() - a.time_left_ms) / 1000.0);
  }
  double rate = 0;
  if (!a.slots.empty()) {
    const double r = device_rate_locked(j.spec.kind, slots_[a.slots[0]].kind);
    rate = r > 0 ? r : units_per_second(j.spec.kind);
  } else {
    rate = units_per_second(j.spec.kind);
  }
  return rate > 0 ? double(j.units) * (1.0 - j.fraction) / rate : 0;
}

Expected<Admission> Farm::admit(const Tenant& tenant, const JobSpec& spec) {
  if (!accepting_)
    return err(Code::kUnavailable, "the farm is draining; try another farm or later");
  Engine* eng = engine(spec.kind);
  if (eng == nullptr) return err(Code::kInvalidArgument, "unknown job kind");
  if (Outcome o = eng->available(); !o) return o.error();
  if (std::none_of(slots_.begin(), slots_.end(),
                   [&](const Slot& sl) { return eng->runs_on(sl.backend); })) {
    std::string devices;
    for (const auto& d : config_.devices) devices += (devices.empty() ? "" : ", ") + d;
    return err(Code::kUnimplemented, std::string("no device of this farm runs ") +
                                         job_kind_name(spec.kind) + " jobs (devices: " + devices +
                                         ")");
  }
  if (spec.priority < 0 || spec.priority > 9) {
    return err(Code::kInvalidArgument,
               "priority " + std::to_string(spec.priority) + " is outside 0..9");
  }
  if (spec.input_size == 0)
    return err(Code::kInvalidArgument, "header.input_size is 0: a job needs an input");
  if (spec.private_input && spec.kind != JobKind::kZkwasmTrace) {
    return err(Code::kInvalidArgument,
               std::string("header.private_input: only zkwasm-trace jobs take it (") +
                   (spec.kind == JobKind::kZkwasmModule
                        ? "a module job's private input is in its Extension input)"
                        : "a groth16 witness has none)"));
  }
  if (spec.private_input && spec.private_input->size() > kMaxPrivateInputBytes) {
    return err(Code::kInvalidArgument,
               "header.private_input: " + std::to_string(spec.private_input->size()) +
                   " bytes, at most " + std::to_string(kMaxPrivateInputBytes));
  }
  if (spec.deadline_ms != 0 && spec.deadline_ms <= now_unix_ms()) {
    return err(Code::kInvalidArgument, "the deadline has already passed");
  }
  {
    // Every kind names its artifact by content hash: the .zkey, or the WASM module.
    const bool g16 = spec.kind == JobKind::kGroth16;
    const char* what = g16 ? ".zkey" : "WASM module";
    if (!valid_hash(spec.artifact)) {
      return err(Code::kInvalidArgument, std::string(job_kind_name(spec.kind)) +
                                             " jobs name their " + what +
                                             " by content hash (64 hex digits); got '" +
                                             spec.artifact + "'");
    }
    auto rec = store_->artifact(spec.artifact);
    if (!rec) return rec.error();
    if (rec->kind != (g16 ? ArtifactKind::kZkey : ArtifactKind::kWasm)) {
      return err(Code::kInvalidArgument,
                 "artifact " + spec.artifact + " is not a " + what);
    }
  }
  const Quota& q = tenant.quota;
  if (q.max_input_bytes != 0 && spec.input_size > q.max_input_bytes) {
    return err(Code::kResourceExhausted, "input of " + std::to_string(spec.input_size) +
                                             " bytes exceeds the tenant's max_input_bytes quota (" +
                                             std::to_string(q.max_input_bytes) + ")");
  }
  EngineJob probe;
  probe.spec = spec;
  probe.artifact_path = spec.artifact.empty() ? "" : artifact_path(spec.artifact);
  auto units = eng->units(probe);
  if (!units) return units.error();
  const uint64_t price = price_of(spec.kind);
  const uint64_t cost = *units * price;
  auto hour = store_->units_since(tenant.name, now_unix_ms() - 3600 * 1000);
  if (!hour) return hour.error();
  auto fresh = store_->tenant(tenant.name);  // the balance as of now
  if (!fresh) return fresh.error();

  std::lock_guard lock(mu_);
  uint64_t jobs = 0, bytes = 0, pending_cost = 0, pending_units = 0;
  for (const auto& [id, a] : active_) {
    if (a->job.tenant != tenant.name) continue;
    jobs++;
    if (a->job.state == JobState::kQueued) bytes += a->job.spec.input_size;
    pending_cost += a->job.cost;
    pending_units += a->job.units;
  }
  for (const auto& [id, r] : reserved_) {
    if (r.tenant != tenant.name) continue;
    jobs++;
    bytes += r.bytes;
    pending_cost += r.cost;
    pending_units += r.units;
  }
  auto refuse = [&](const std::string& m) -> Error {
    refused_++;
    return err(Code::kResourceExhausted, m);
  };
  if (q.max_concurrent_jobs != 0 && jobs + 1 > q.max_concurrent_jobs) {
    return refuse("max_concurrent_jobs quota reached (" + std::to_string(q.max_concurrent_jobs) +
                  " queued or running)");
  }
  if (q.max_queued_bytes != 0 && bytes + spec.input_size > q.max_queued_bytes) {
    return refuse("max_queued_bytes quota: " + std::to_string(bytes) + " bytes queued + " +
                  std::to_string(spec.input_size) + " exceeds " +
                  std::to_string(q.max_queued_bytes));
  }
  if (q.max_units_per_hour != 0 && *hour + pending_units + *units > q.max_units_per_hour) {
    return refuse("max_units_per_hour quota: " + std::to_string(*hour) + " used + " +
                  std::to_string(pending_units) + " pending + " + std::to_string(*units) +
                  " exceeds " + std::to_string(q.max_units_per_hour));
  }
  if (fresh->balance < 0 || uint64_t(fresh->balance) < pending_cost + cost) {
    return refuse("insufficient balance: job costs " + std::to_string(cost) + " (" +
                  std::to_string(*units) + " units at " + std::to_string(price) + "), balance " +
                  std::to_string(fresh->balance) + " with " + std::to_string(pending_cost) +
                  " reserved by pending jobs");
  }
  Admission adm;
  adm.id = next_reservation_++;
  adm.tenant = tenant.name;
  adm.spec = spec;
  adm.units = *units;
  adm.cost = cost;
  const double ups = units_per_second(spec.kind);
  adm.est_seconds = ups > 0 ? double(*units) / ups : 0;
  reserved_[adm.id] = {tenant.name, spec.input_size, cost, *units};
  return adm;
}

Expected<std::unique_ptr<InputCheck>> Farm::input_check(const Admission& a) {
  Engine* eng = engine(a.spec.kind);
  if (eng == nullptr) return err(Code::kInvalidArgument, "unknown job kind");
  EngineJob probe;
  probe.spec = a.spec;
  probe.artifact_path = artifact_path(a.spec.artifact);
  return eng->input_check(probe);
}

void Farm::abandon(const Admission& a) {
  std::lock_guard lock(mu_);
  reserved_.erase(a.id);
}

Expected<JobSnapshot> Farm::commit(const Admission& a, const std::string& tmp,
                                   const std::string& input_hash, uint64_t exact_units) {
  struct Release {
    Farm* f;
    uint64_t id;
    ~Release() {
      std::lock_guard lock(f->mu_);
      f->reserved_.erase(id);
    }
  } release{this, a.id};
  Job j;
  j.id = "job_" + random_hex(12);
  j.tenant = a.tenant;
  j.spec = a.spec;
  j.input_hash = input_hash;
  {
    Keccak256 h;
    h.update(std::string(job_kind_name(a.spec.kind)) + "\n" + a.spec.artifact + "\n" +
             a.spec.params_json + "\n" + input_hash);
    // A trace job's private input: another one is another request (its proof commits to it).
    if (a.spec.private_input) {
      h.update("\nprivate " + to_hex(keccak256(std::string_view(*a.spec.private_input))));
    }
    j.request_hash = to_hex(h.final());
  }
  j.units = a.units;
  j.cost = a.cost;
  if (exact_units != 0 && exact_units < a.units) {  // at the admission's price
    j.cost = a.cost / a.units * exact_units;
    j.units = exact_units;
  }
  j.created_ms = now_unix_ms();
  std::error_code ec;
  // Proof cache: an identical request already proved is answered from the store, not proved
  // (and not charged) again.
  if (auto prior = store_->succeeded_with_request(j.request_hash); prior && !prior->empty()) {
    const Job& p = (*prior)[0];
    if (fs::exists(config_.store_dir + "/proofs/" + p.proof_hash)) {
      fs::remove(tmp, ec);
      j.state = JobState::kSucceeded;
      j.stage = "done (cached)";
      j.fraction = 1;
      j.cached = true;
      j.units = 0;
      j.cost = 0;
      j.proof_hash = p.proof_hash;
      j.finished_ms = j.created_ms;
      if (Outcome o = store_->insert_job(j); !o) return o.error();
      std::lock_guard lock(mu_);
      cache_hits_++;
      finished_by_state_["succeeded"]++;
      return snapshot_locked(j);
    }
  }
  // The input is durable before the job row exists, and the job row before "accepted" is sent.
  if (Outcome o = install_file(tmp, input_path(j.id)); !o) return o.error();
  j.state = JobState::kQueued;
  j.stage = "queued";
  if (Outcome o = store_->insert_job(j); !o) {
    fs::remove(input_path(j.id), ec);
    return o.error();
  }
  JobSnapshot snap;
  {
    std::lock_guard lock(mu_);
    auto act = std::make_unique<Active>();
    act->job = j;
    active_[j.id] = std::move(act);
    snap = snapshot_locked(j);
  }
  cv_.notify_all();  // placement: the slot where it runs best takes it
  return snap;
}

JobSnapshot Farm::snapshot_locked(const Job& j) const {
  JobSnapshot s;
  s.job = j;
  const double ups = units_per_second(j.spec.kind);
  double ahead_units = 0;
  if (j.state == JobState::kQueued) {
    for (const auto& [id, a] : active_) {
      if (a->job.state == JobState::kQueued && a->job.created_ms <= j.created_ms && id != j.id) {
        s.queue_position++;
        ahead_units += double(a->job.units);
      }
    }
    s.queue_position++;  // 1 = next to run
  }
  if (!is_terminal(j.state)) {
    auto it = active_.find(j.id);
    const double own = it != active_.end() ? seconds_left_locked(*it->second)
                       : ups > 0           ? double(j.units) * (1.0 - j.fraction) / ups
                                           : 0;
    s.seconds_left =
        own + (ups > 0 ? ahead_units / double(std::max<size_t>(1, slots_.size())) / ups : 0);
  }
  return s;
}

Expected<JobSnapshot> Farm::job(const std::string& tenant, const std::string& id) {
  {
    std::lock_guard lock(mu_);
    if (auto it = active_.find(id); it != active_.end()) {
      if (it->second->job.tenant != tenant) return err(Code::kNotFound, "no job '" + id + "'");
      return snapshot_locked(it->second->job);
    }
  }
  auto j = store_->job(id);
  if (!j) return j.error();
  if (j->tenant != tenant)
    return err(Code::kNotFound, "no job '" + id + "'");  // not "forbidden": no leak
  std::lock_guard lock(mu_);
  return snapshot_locked(*j);
}

Expected<std::vector<Job>> Farm::jobs(const std::string& tenant, uint32_t limit, int state) {
  auto js = store_->jobs_of(tenant, limit, state);
  if (!js) return js;
  std::lock_guard lock(mu_);
  for (Job& j : *js) {
    if (auto it = active_.find(j.id); it != active_.end()) j = it->second->job;
  }
  return js;
}

Expected<JobState> Farm::cancel(const std::string& tenant, const std::string& id) {
  std::unique_lock lock(mu_);
  auto it = active_.find(id);
  if (it == active_.end()) {
    lock.unlock();
    auto j = store_->job(id);
    if (!j || j->tenant != tenant) return err(Code::kNotFound, "no job '" + id + "'");
    return j->state;  // already finished: nothing to cancel
  }
  Active& a = *it->second;
  if (a.job.tenant != tenant) return err(Code::kNotFound, "no job '" + id + "'");
  if (a.job.state == JobState::kQueued) {
    a.job.state = JobState::kCancelled;
    a.job.error_code = "CANCELLED";
    a.job.error = "cancelled by the tenant";
    a.job.finished_ms = now_unix_ms();
    Job done = a.job;
    active_.erase(it);
    finished_by_state_["cancelled"]++;
    lock.unlock();
    (void)store_->update_job(done);
    std::error_code ec;
    fs::remove(input_path(id), ec);
    drop_pieces(id);  // a job requeued after a crash may have checkpoints
    publish(done);
    return JobState::kCancelled;
  }
  a.cancel = true;  // the worker stops at the next stage boundary
  return a.job.state;
}

Expected<std::string> Farm::proof_path(const Job& j) const {
  if (j.state != JobState::kSucceeded || j.proof_hash.empty()) {
    return err(Code::kFailedPrecondition,
               "job " + j.id + " has no proof (state " + job_state_name(j.state) + ")");
  }
  std::string p = config_.store_dir + "/proofs/" + j.proof_hash;
  if (!fs::exists(p))
    return err(Code::kDataLoss, "the proof of job " + j.id + " is missing from the store");
  return p;
}

Expected<bool> Farm::verify_proof(const Job& j, std::span<const uint8_t> proof) {
  Engine* e = engine(j.spec.kind);
  if (!e) return err(Code::kInvalidArgument, "unknown job kind");
  return e->verify(engine_job(j), proof);
}

// ---------------------------------------------------------------- events

uint64_t Farm::subscribe(const std::string& job_id, std::function<void(const JobSnapshot&)> fn) {
  std::lock_guard lock(sub_mu_);
  uint64_t token = next_token_++;
  subs_.emplace(job_id, std::make_pair(token, std::move(fn)));
  return token;
}

void Farm::unsubscribe(uint64_t token) {
  std::lock_guard lock(sub_mu_);
  for (auto it = subs_.begin(); it != subs_.end(); ++it) {
    if (it->second.first == token) {
      subs_.erase(it);
      return;
    }
  }
}

void Farm::publish(const Job& j) {
  JobSnapshot s;
  {
    std::lock_guard lock(mu_);
    s = snapshot_locked(j);
  }
  std::lock_guard lock(sub_mu_);
  auto [b, e] = subs_.equal_range(j.id);
  for (auto it = b; it != e; ++it) it->second.second(s);
}

// ---------------------------------------------------------------- scheduling

bool Farm::placed_here_locked(const Job& j, size_t slot) const {
  Engine* eng = engines_.at(j.spec.kind).get();
  if (!eng->runs_on(slots_[slot].backend)) return false;
  // Earliest estimated finish: an idle slot now, a busy one after the work left on it.
  const double units = double(std::max<uint64_t>(1, j.units));
  const double here = units / slot_rate_locked(j.spec.kind, slot);
  for (size_t k = 0; k < slots_.size(); ++k) {
    if (k == slot || !eng->runs_on(slots_[k].backend)) continue;
    double wait = 0;
    if (!slots_[k].job.empty()) {
      auto it = active_.find(slots_[k].job);
      wait = it == active_.end() ? 0 : seconds_left_locked(*it->second);
    }
    const double there = wait + units / slot_rate_locked(j.spec.kind, k);
    // Strictly better elsewhere (ties go to whichever idle slot asks first).
    if (there < here * (1 - 1e-9)) return false;
  }
  return true;
}

Farm::Active* Farm::pick_locked(size_t slot) {
  // Weighted fair share (start-time fair queueing): each tenant has a virtual time, the units
  // it has been given divided by its weight; the tenant with the least goes next. A tenant that
  // was idle restarts at the farm's virtual time (that of the last job dispatched), so idling
  // banks no credit. Within a tenant, higher priority first, then the oldest job.
  std::map<std::string, Active*> best;  // per tenant
  for (auto& [id, a] : active_) {
    if (a->job.state != JobState::kQueued || !placed_here_locked(a->job, slot)) continue;
    Active*& b = best[a->job.tenant];
    if (b == nullptr || a->job.spec.priority > b->job.spec.priority ||
        (a->job.spec.priority == b->job.spec.priority && a->job.created_ms < b->job.created_ms)) {
      b = a.get();
    }
  }
  Active* pick = nullptr;
  double pick_vt = INFINITY;
  for (auto& [t, a] : best) {
    auto it = vtime_.find(t);
    const double vt = std::max(it == vtime_.end() ? 0.0 : it->second, global_vtime_);
    if (vt < pick_vt || (vt == pick_vt && a->job.created_ms < pick->job.created_ms)) {
      pick_vt = vt;
      pick = a;
    }
  }
  if (pick != nullptr) pick_vtime_ = pick_vt;
  return pick;
}

void Farm::worker_loop(size_t slot) {
  std::unique_lock lock(mu_);
  while (true) {
    Active* a = nullptr;
    cv_.wait(lock, [&] {
      return stopping_ || (slots_[slot].job.empty() && (a = pick_locked(slot)) != nullptr);
    });
    if (stopping_) return;
    auto t = store_->tenant(a->job.tenant);
    global_vtime_ = pick_vtime_;
    vtime_[a->job.tenant] = pick_vtime_ + double(std::max<uint64_t>(1, a->job.units)) /
                                              double(t ? std::max<uint32_t>(1, t->weight) : 1);
    a->job.state = JobState::kRunning;
    a->job.stage = "starting";
    a->job.attempts++;
    a->job.started_ms = now_unix_ms();
    a->time_left = -1;
    a->slots = {slot};
    slots_[slot].job = a->job.id;
    slots_[slot].lent = false;
    // Segments across devices: a job that splits takes idle slots too when nothing else is
    // queued for them, each only if one of its pieces there ends no later than the whole job
    // on its own slot (a slow device must not become the tail).
    lend_idle_slots_locked(*a, engine(a->job.spec.kind)->parallel_pieces(a->job.spec, a->job.units));
    lock.unlock();
    run_job(*a);  // releases the job's slots
    lock.lock();
    cv_.notify_all();  // a drain may be waiting; freed slots pick again
  }
}

std::vector<size_t> Farm::lend_idle_slots_locked(Active& a, uint32_t pieces) {
  std::vector<size_t> lent;
  if (pieces < 2 || a.slots.empty()) return lent;
  Engine* eng = engine(a.job.spec.kind);
  const double own = slot_rate_locked(a.job.spec.kind, a.slots[0]);
  for (size_t k = 0; k < slots_.size() && a.slots.size() < pieces; ++k) {
    if (!slots_[k].job.empty() || !eng->runs_on(slots_[k].backend)) continue;
    if (slot_rate_locked(a.job.spec.kind, k) * double(pieces) < own) continue;
    const bool wanted = std::any_of(active_.begin(), active_.end(), [&](const auto& kv) {
      return kv.second.get() != &a && kv.second->job.state == JobState::kQueued &&
             placed_here_locked(kv.second->job, k);
    });
    if (wanted) continue;
    slots_[k].job = a.job.id;
    slots_[k].lent = true;
    a.slots.push_back(k);
    lent.push_back(k);
  }
  return lent;
}

std::string Farm::pieces_dir(const std::string& job_id) const {
  return config_.store_dir + "/segments/" + job_id;
}

void Farm::drop_pieces(const std::string& job_id) {
  // The row first: a file without a row is never read, and goes with the directory.
  (void)store_->delete_pieces(job_id);
  std::error_code ec;
  fs::remove_all(pieces_dir(job_id), ec);
}

void Farm::finish_terminal(Active& a, JobState state, const Error& e) {
  Job done;
  {
    std::lock_guard lock(mu_);
    a.job.state = state;
    a.job.error_code = code_name(e.code);
    a.job.error = e.message;
    a.job.finished_ms = now_unix_ms();
    done = a.job;
  }
  (void)store_->update_job(done);
  spdlog::info("event=job_finished job={} tenant={} state={} code={} reason=\"{}\"", done.id,
               done.tenant, job_state_name(state), done.error_code, done.error);
  std::error_code ec;
  fs::remove(input_path(done.id), ec);
  drop_pieces(done.id);
  {
    std::lock_guard lock(mu_);
    finished_by_state_[job_state_name(state)]++;
    active_.erase(done.id);
  }
  publish(done);
}

void Farm::run_job(Active& a) {
  std::vector<size_t> slots;
  const Job start = [&] {
    std::lock_guard lock(mu_);
    slots = a.slots;
    return a.job;
  }();
  EngineJob ej = engine_job(start);
  std::string on;
  for (size_t k : slots) {
    ej.devices.push_back(slots_[k].backend);
    ej.opencl_devices.push_back(slots_[k].opencl_device);
    on += (on.empty() ? "" : ",") + slots_[k].device;
  }
  (void)store_->update_job(start);
  spdlog::info("event=job_started job={} tenant={} kind={} units={} attempt={} devices={}",
               start.id, start.tenant, job_kind_name(start.spec.kind), start.units, start.attempts,
               on);
  publish(start);
  Engine* eng = engine(start.spec.kind);
  // The rate on the job's own device (0: unknown, then only the measured time left or the
  // deadline itself stop it).
  const double ups = [&] {
    std::lock_guard lock(mu_);
    const double r = device_rate_locked(start.spec.kind, slots_[slots[0]].kind);
    return r > 0 ? r : units_per_second(start.spec.kind);
  }();
  // A job that cannot finish in time fails as expired now rather than wasting the device
  // (judged on its exact units: at once, or when the engine reports them).
  auto needs_ms = [&](uint64_t units) { return ups > 0 ? 1000.0 * double(units) / ups : 0.0; };
  auto too_late = [&](uint64_t units) {
    return start.spec.deadline_ms != 0 &&
           double(now_unix_ms()) + needs_ms(units) > double(start.spec.deadline_ms);
  };
  auto late_error = [&](uint64_t units) {
    return err(Code::kDeadlineExceeded, "cannot finish before the deadline (needs about " +
                                            std::to_string(int64_t(needs_ms(units))) + " ms)");
  };
  // The job's device slots go back once the engine is done with them.
  auto free_slots = [&](double secs) {
    std::lock_guard lock(mu_);
    slots = a.slots;  // with any lent while it ran (borrow_slots)
    for (size_t k : slots) {
      slots_[k].job.clear();
      slots_[k].lent = false;
      slots_[k].busy_seconds += secs;
    }
    a.slots.clear();
  };
  // The job's share of the memory budget (its parsed trace), released when it ends.
  uint64_t held = 0;
  struct Held {
    InflightBudget& b;
    uint64_t& n;
    ~Held() { b.release(n); }
  } held_guard{budget_, held};
  if (!eng->units_are_bounds() && too_late(start.units)) {
    free_slots(0);
    finish_terminal(a, JobState::kExpired, late_error(start.units));
    return;
  }
  bool late = false;         // the exact units or the measured time left cannot make it
  std::string late_why;      // why, when the measured time left said so
  bool interrupted = false;  // stopped by a shutdown: leave it queued for the next start
  EngineHooks hooks;
  hooks.progress = [&](const std::string& stage, double fraction) {
    Job snap;
    {
      std::lock_guard lock(mu_);
      a.job.stage = stage;
      a.job.fraction = fraction;
      snap = a.job;
    }
    // Stage changes stay in memory: a crash requeues a running job anyway, and an fsync per
    // stage would be pure overhead.
    publish(snap);
  };
  hooks.exact_units = [&](uint64_t units) {
    std::lock_guard lock(mu_);
    if (too_late(std::min(units, a.job.units))) late = true;
    // Never above the reservation, at the price the job was admitted with.
    if (units == 0 || units >= a.job.units || a.job.units == 0) return;
    const uint64_t price = a.job.cost / a.job.units;
    a.job.units = units;
    a.job.cost = units * price;
  };
  hooks.should_stop = [&] {
    std::lock_guard lock(mu_);
    if (stopping_) interrupted = true;
    return a.cancel || stopping_ || late ||
           (a.job.spec.deadline_ms != 0 && now_unix_ms() > a.job.spec.deadline_ms);
  };
  hooks.time_left = [&](double seconds) {
    std::lock_guard lock(mu_);
    a.time_left = seconds;
    a.time_left_ms = now_unix_ms();
    // Measured, so the deadline is judged on it (between segments).
    if (!late && start.spec.deadline_ms != 0 &&
        double(now_unix_ms()) + 1000.0 * seconds > double(start.spec.deadline_ms)) {
      late = true;
      late_why = "cannot finish before the deadline (about " +
                 std::to_string(int64_t(1000 * seconds)) + " ms of proving left, measured)";
    }
  };
  hooks.hold_memory = [&](uint64_t bytes) -> Outcome {
    if (bytes > budget_.total()) {
      return err(Code::kResourceExhausted,
                 "the job's trace needs " + std::to_string(bytes) +
                     " bytes in memory, more than the farm's inflight_budget_bytes (" +
                     std::to_string(budget_.total()) + ")");
    }
    if (bytes <= held) {
      budget_.release(held - bytes);
      held = bytes;
      return ok();
    }
    // All or nothing: give back what is held, then wait for the whole amount (two jobs that
    // each hold part and wait for more would wait forever).
    budget_.release(held);
    held = 0;
    bool told = false;
    while (!budget_.try_acquire(bytes)) {
      if (hooks.should_stop()) return err(Code::kCancelled, "stopped while waiting for memory");
      if (!told) {
        told = true;
        spdlog::info("event=job_waits_for_memory job={} bytes={}", start.id, bytes);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    held = bytes;
    return ok();
  };
  hooks.saved_pieces = [&] {
    std::vector<std::pair<uint32_t, std::vector<uint8_t>>> out;
    auto rows = store_->pieces(start.id);
    if (!rows) {
      spdlog::warn("event=segment_discarded job={} reason=\"{}\"", start.id, rows.error().message);
      return out;
    }
    for (auto& [index, path] : *rows) {
      auto bytes = read_whole_file(path);
      if (!bytes) {
        spdlog::warn("event=segment_discarded job={} segment={} reason=\"{}\"", start.id, index,
                     bytes.error().message);
        continue;
      }
      out.emplace_back(index, std::move(*bytes));
    }
    return out;
  };
  hooks.save_piece = [&](uint32_t index, std::span<const uint8_t> bytes) {
    // File durable first, then its row: a crash in between leaves a file nothing points to.
    std::error_code ec;
    fs::create_directories(pieces_dir(start.id), ec);
    const std::string path = pieces_dir(start.id) + "/" + std::to_string(index);
    Outcome o = write_file_durably(path, bytes);
    if (o) o = store_->put_piece(start.id, index, path);
    if (!o) {  // proving goes on; only a restart would miss it
      spdlog::warn("event=segment_not_saved job={} segment={} reason=\"{}\"", start.id, index,
                   o.error().message);
      return;
    }
    std::lock_guard lock(mu_);
    segments_saved_++;
  };
  hooks.pieces_reused = [&](uint32_t n) {
    std::lock_guard lock(mu_);
    segments_reused_ += n;
  };
  hooks.borrow_slots = [&](uint32_t pieces) {
    std::vector<std::pair<Backend, int>> out;
    std::string on;
    {
      std::lock_guard lock(mu_);
      for (size_t k : lend_idle_slots_locked(a, pieces)) {
        out.emplace_back(slots_[k].backend, slots_[k].opencl_device);
        on += (on.empty() ? "" : ",") + slots_[k].device;
      }
    }
    if (!out.empty()) spdlog::info("event=slots_lent job={} devices={}", start.id, on);
    return out;
  };
  const auto t0 = std::chrono::steady_clock::now();
  auto proof = eng->prove(ej, hooks);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  free_slots(secs);
  budget_.release(held);
  held = 0;
  // Stopping wins over a late success only when the proof was not produced.
  if (!proof) {
    bool cancelled, expired, was_late;
    uint64_t units;
    {
      std::lock_guard lock(mu_);
      cancelled = a.cancel;
      expired = a.job.spec.deadline_ms != 0 && now_unix_ms() > a.job.spec.deadline_ms;
      was_late = late;
      units = a.job.units;
    }
    if (proof.error().code == Code::kCancelled) {
      if (cancelled) {
        finish_terminal(a, JobState::kCancelled, err(Code::kCancelled, "cancelled by the tenant"));
      } else if (was_late && !expired) {
        finish_terminal(
            a, JobState::kExpired,
            late_why.empty() ? late_error(units) : err(Code::kDeadlineExceeded, late_why));
      } else if (expired) {
        finish_terminal(a, JobState::kExpired,
                        err(Code::kDeadlineExceeded, "the deadline passed while proving"));
      } else if (interrupted) {
        Job q;
        {
          std::lock_guard lock(mu_);
          a.job.state = JobState::kQueued;
          a.job.stage = "interrupted by shutdown";
          a.job.fraction = 0;
          q = a.job;
        }
        (void)store_->update_job(q);
      }
      return;
    }
    finish_terminal(a, JobState::kFailed, proof.error());
    return;
  }
  // Content-addressed proof file, durable before the success (and the charge) is recorded.
  const std::string proof_hash = to_hex(keccak256(*proof));
  const std::string path = config_.store_dir + "/proofs/" + proof_hash;
  if (!fs::exists(path)) {
    if (Outcome o = write_file_durably(path, *proof); !o) {
      finish_terminal(a, JobState::kFailed, o.error());
      return;
    }
  }
  Job done;
  {
    std::lock_guard lock(mu_);
    a.job.state = JobState::kSucceeded;
    a.job.stage = "done";
    a.job.fraction = 1;
    a.job.proof_hash = proof_hash;
    a.job.finished_ms = now_unix_ms();
    done = a.job;
  }
  if (Outcome o = store_->finish_and_charge(done); !o && o.error().code != Code::kAlreadyExists) {
    finish_terminal(a, JobState::kFailed, o.error());
    return;
  }
  spdlog::info(
      "event=job_finished job={} tenant={} state=succeeded units={} cost={} prove_s={:.3f}",
      done.id, done.tenant, done.units, done.cost, secs);
  std::error_code ec;
  fs::remove(input_path(done.id), ec);
  drop_pieces(done.id);  // the job's proof is stored: its segments are no longer needed
  {
    std::lock_guard lock(mu_);
    finished_by_state_["succeeded"]++;
    units_proved_ += done.units;
    latency_.observe(double(done.finished_ms - done.created_ms) / 1000.0);
    prove_time_.observe(secs);
    if (secs > 0 && done.units > 0 && slots.size() == 1) {
      // Per device kind, from jobs that ran on one slot (a split job's time is shared).
      const double ups_now = double(done.units) / secs;
      double& o = observed_ups_[{slots_[slots[0]].kind, done.spec.kind}];
      o = o == 0 ? ups_now : 0.7 * o + 0.3 * ups_now;
    }
    active_.erase(done.id);
  }
  publish(done);
}

// ---------------------------------------------------------------- capacity and metrics

CapacityReport Farm::capacity() {
  CapacityReport r;
  const Topology& topo = topology();
  std::lock_guard lock(mu_);
  for (const auto& [id, a] : active_) {
    if (a->job.state == JobState::kQueued) r.queue_depth++;
    if (a->job.state == JobState::kRunning) r.running++;
  }
  const double uptime = std::max(1e-3, double(now_unix_ms() - started_ms_) / 1000.0);
  auto rate_of = [&](JobKind kind, const std::string& dev_kind, KindCapacity& k) {
    if (auto it = observed_ups_.find({dev_kind, kind}); it != observed_ups_.end()) {
      k.units_per_second = it->second;
      k.source = "observed";
    } else if (auto c = calibrated_ups_.find({dev_kind, kind}); c != calibrated_ups_.end()) {
      k.units_per_second = c->second;
      k.source = "calibrated";
    } else {
      k.source = "none yet";
    }
  };
  for (const std::string& d : config_.devices) {
    DeviceLoad dl;
    dl.name = d;
    double busy = 0;
    std::set<std::string> jobs;
    for (const Slot& sl : slots_) {
      if (sl.device != d) continue;
      dl.kind = sl.kind;
      dl.slots++;
      busy += sl.busy_seconds;
      if (!sl.job.empty()) jobs.insert(sl.job);
    }
    dl.running = uint32_t(jobs.size());
    dl.busy_fraction = std::min(1.0, busy / (uptime * double(std::max<uint32_t>(1, dl.slots))));
    if (d == "cpu") {
      dl.name =
          "cpu: " + topo.cpu_model + " (" + std::to_string(topo.numa_nodes) + " NUMA node(s))";
      dl.cores = uint32_t(topo.cores);
    } else if (auto devs = list_opencl_devices(); devs) {
      const int idx = std::atoi(d.c_str() + 7);
      for (const auto& od : *devs) {
        if (od.index == idx) {
          dl.name = d + ": " + od.name;
          dl.cores = od.compute_units;
        }
      }
    }
    for (auto& [kind, eng] : engines_) {
      if (!eng->available().is_ok() || dl.slots == 0 ||
          !eng->runs_on(dl.kind == "opencl" ? Backend::kOpenCl : Backend::kAuto)) {
        continue;
      }
      KindCapacity k;
      k.kind = kind;
      k.available = true;
      k.unit = eng->unit_name();
      rate_of(kind, dl.kind, k);
      dl.throughput.push_back(k);
    }
    r.devices.push_back(dl);
  }
  for (auto& [kind, eng] : engines_) {
    // The farm's best device for the kind (what a lone job gets).
    KindCapacity k;
    k.kind = kind;
    k.available = eng->available().is_ok();
    k.unit = eng->unit_name();
    k.source = "none yet";
    for (const auto& dl : r.devices) {
      for (const auto& t : dl.throughput) {
        if (t.kind == kind && t.units_per_second > k.units_per_second) {
          k.units_per_second = t.units_per_second;
          k.source = t.source;
        }
      }
    }
    r.kinds.push_back(k);
  }
  // Prices need the store; read them without holding mu_ would be nicer but they are tiny.
  for (auto& k : r.kinds) {
    auto it = config_.prices.find(k.kind);
    k.price = it == config_.prices.end() ? 0 : it->second;
  }
  if (auto p = store_->prices(); p) {
    for (auto& [kind, price] : *p) {
      for (auto& k : r.kinds) {
        if (k.kind == kind) k.price = price;
      }
    }
  }
  return r;
}

std::string Farm::metrics_text() {
  std::ostringstream o;
  std::lock_guard lock(mu_);
  uint64_t queued = 0, running = 0;
  for (const auto& [id, a] : active_) {
    if (a->job.state == JobState::kQueued) queued++;
    if (a->job.state == JobState::kRunning) running++;
  }
  o << "# HELP efaas_farm_jobs Jobs by state (finished since start, active now).\n"
    << "# TYPE efaas_farm_jobs gauge\n";
  o << "efaas_farm_jobs{state=\"queued\"} " << queued << "\n";
  o << "efaas_farm_jobs{state=\"running\"} " << running << "\n";
  for (const char* s : {"succeeded", "failed", "cancelled", "expired"}) {
    auto it = finished_by_state_.find(s);
    o << "efaas_farm_jobs{state=\"" << s << "\"} "
      << (it == finished_by_state_.end() ? 0 : it->second) << "\n";
  }
  o << "# HELP efaas_farm_queue_depth Jobs waiting for a worker.\n# TYPE efaas_farm_queue_depth "
       "gauge\n"
    << "efaas_farm_queue_depth " << queued << "\n";
  auto counter = [&](const char* name, const char* help, uint64_t v) {
    o << "# HELP " << name << " " << help << "\n# TYPE " << name << " counter\n"
      << name << " " << v << "\n";
  };
  counter("efaas_farm_units_proved_total", "Proving units charged.", units_proved_);
  counter("efaas_farm_cache_hits_total", "Requests answered from the proof cache.", cache_hits_);
  counter("efaas_farm_refused_total", "Jobs refused at admission (quota or balance).", refused_);
  counter("efaas_farm_segments_saved_total", "Finished segments checkpointed to the store.",
          segments_saved_);
  counter("efaas_farm_segments_reused_total",
          "Checkpointed segments reused instead of proved again (after a restart).",
          segments_reused_);
  o << "# HELP efaas_farm_device_busy_seconds_total Seconds device slots spent proving.\n# TYPE "
       "efaas_farm_device_busy_seconds_total counter\n";
  {
    std::map<std::string, double> busy;
    for (const Slot& sl : slots_) busy[sl.device] += sl.busy_seconds;
    for (const auto& [d, b] : busy) {
      o << "efaas_farm_device_busy_seconds_total{device=\"" << d << "\"} " << b << "\n";
    }
  }
  o << "# HELP efaas_farm_memory_held_bytes In-flight budget in use (stream reads, job traces).\n"
    << "# TYPE efaas_farm_memory_held_bytes gauge\nefaas_farm_memory_held_bytes "
    << budget_.in_use() << "\n";
  auto hist = [&](const char* name, const char* help, const Histogram& h) {
    o << "# HELP " << name << " " << help << "\n# TYPE " << name << " histogram\n";
    uint64_t cum = 0;
    for (size_t i = 0; i < h.bounds.size(); ++i) {
      cum += h.counts.empty() ? 0 : h.counts[i];
      o << name << "_bucket{le=\"" << h.bounds[i] << "\"} " << cum << "\n";
    }
    o << name << "_bucket{le=\"+Inf\"} " << h.n << "\n";
    o << name << "_sum " << h.sum << "\n" << name << "_count " << h.n << "\n";
  };
  hist("efaas_farm_job_latency_seconds", "From acceptance to proof, succeeded jobs.", latency_);
  hist("efaas_farm_prove_seconds", "Time on the device per succeeded job.", prove_time_);
  return o.str();
}

}  // namespace efaas::farm
