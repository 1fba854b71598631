// `efaas farm ...`: the prover farm's client (submit, watch, get, cancel, jobs, usage,
// capacity, upload) and admin (`efaas farm admin ...`) commands, over gRPC.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <tuple>
#include <fstream>
#include <iostream>
#include <sstream>

#include "prover/farm/client.hpp"
#include "prover/wasm/extension.hpp"
#include "tools/efaas/cli.hpp"

namespace efaas::cli {

namespace {

namespace pb = efaas::farm::v1;
namespace fc = efaas::farm::client;
using nlohmann::json;

struct Conn {
  std::string farm = "127.0.0.1:7300";
  std::string admin = "127.0.0.1:7301";
  std::string api_key, admin_token, admin_token_file, tls_ca, tls_name;
};
Conn g_conn;

void add_conn_options(CLI::App* app, bool admin) {
  if (admin) {
    app->add_option("--admin", g_conn.admin, "farm admin address host:port")
        ->envname("EFAAS_FARM_ADMIN");
    app->add_option("--admin-token", g_conn.admin_token, "admin token")
        ->envname("EFAAS_ADMIN_TOKEN");
    app->add_option("--admin-token-file", g_conn.admin_token_file, "file holding the admin token");
  } else {
    app->add_option("--farm", g_conn.farm, "farm address host:port")->envname("EFAAS_FARM");
    app->add_option("--api-key", g_conn.api_key, "tenant API key")->envname("EFAAS_API_KEY");
  }
  app->add_option("--tls-ca", g_conn.tls_ca,
                  "PEM roots to verify the farm (TLS); plaintext without");
  app->add_option("--tls-server-name", g_conn.tls_name, "name to check in the farm's certificate");
}

std::shared_ptr<grpc::Channel> channel(const std::string& target, std::string* error) {
  return fc::make_channel(target, {g_conn.tls_ca, g_conn.tls_name}, error);
}

int rpc_error(const Output& out, const grpc::Status& st) {
  const bool usage = st.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
                     st.error_code() == grpc::StatusCode::NOT_FOUND ||
                     st.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
                     st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ||
                     st.error_code() == grpc::StatusCode::UNIMPLEMENTED;
  static const char* kNames[] = {"OK",
                                 "CANCELLED",
                                 "UNKNOWN",
                                 "INVALID_ARGUMENT",
                                 "DEADLINE_EXCEEDED",
                                 "NOT_FOUND",
                                 "ALREADY_EXISTS",
                                 "PERMISSION_DENIED",
                                 "RESOURCE_EXHAUSTED",
                                 "FAILED_PRECONDITION",
                                 "ABORTED",
                                 "OUT_OF_RANGE",
                                 "UNIMPLEMENTED",
                                 "INTERNAL",
                                 "UNAVAILABLE",
                                 "DATA_LOSS",
                                 "UNAUTHENTICATED"};
  const int c = int(st.error_code());
  const char* name = c >= 0 && c <= 16 ? kNames[c] : "UNKNOWN";
  if (out.json) {
    std::cout << json{{"error", st.error_message()}, {"status", name}}.dump(2) << std::endl;
  } else {
    std::cerr << "efaas: error: " << name << ": " << st.error_message() << std::endl;
  }
  return usage ? kExitUsage : kExitCheckFailed;
}

// Hex bytes ("0x" optional), or nothing when `s` is not hex.
std::optional<std::vector<uint8_t>> from_hex(std::string s) {
  if (s.rfind("0x", 0) == 0) s = s.substr(2);
  if (s.size() % 2 != 0) return std::nullopt;
  std::vector<uint8_t> out;
  for (size_t i = 0; i < s.size(); i += 2) {
    auto nib = [](char c) {
      return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                            : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    };
    const int hi = nib(s[i]), lo = nib(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(uint8_t(hi * 16 + lo));
  }
  return out;
}

bool read_file(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

bool write_file(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  return bool(out);
}

json job_json(const pb::JobInfo& j) {
  return {{"job_id", j.job_id()},
          {"kind", fc::kind_name(j.kind())},
          {"state", fc::state_name(j.state())},
          {"stage", j.stage()},
          {"fraction", j.fraction()},
          {"units", j.units()},
          {"cost", j.cost()},
          {"created_unix_ms", j.created_unix_ms()},
          {"finished_unix_ms", j.finished_unix_ms()},
          {"error", j.error()},
          {"proof_hash", j.proof_hash()},
          {"cached", j.cached()},
          {"priority", j.priority()},
          {"input_size", j.input_size()}};
}

json usage_json(const pb::Usage& u) {
  return {{"tenant", u.tenant()},
          {"balance", u.balance()},
          {"units_total", u.units_total()},
          {"units_last_hour", u.units_last_hour()},
          {"jobs_total", u.jobs_total()},
          {"jobs_active", u.jobs_active()},
          {"queued_bytes", u.queued_bytes()},
          {"quota",
           {{"max_concurrent_jobs", u.quota().max_concurrent_jobs()},
            {"max_queued_bytes", u.quota().max_queued_bytes()},
            {"max_input_bytes", u.quota().max_input_bytes()},
            {"max_units_per_hour", u.quota().max_units_per_hour()}}}};
}

// A one-line progress bar on stderr (only on a terminal and without --json).
struct ProgressBar {
  bool enabled;
  explicit ProgressBar(bool on) : enabled(on && ::isatty(2)) {}
  void show(const pb::Progress& p) {
    if (!enabled) return;
    const int width = 30;
    const int filled = int(std::lround(std::clamp(p.fraction(), 0.0, 1.0) * width));
    std::string bar(size_t(filled), '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r[%s] %3.0f%% %-10s %-20s", bar.c_str(), p.fraction() * 100,
                 fc::state_name(p.state()), p.stage().c_str());
    if (p.state() == pb::JOB_STATE_QUEUED) std::fprintf(stderr, " queue #%u", p.queue_position());
    if (p.seconds_left() > 0) std::fprintf(stderr, " ~%.1fs left", p.seconds_left());
    std::fflush(stderr);
  }
  void done() {
    if (enabled) std::fprintf(stderr, "\n");
  }
};

// Writes a groth16 bundle as snarkjs proof.json/public.json, or the raw proof.
bool write_proof(const std::string& bundle, const std::string& out, const std::string& proof_json,
                 const std::string& public_json) {
  if (!out.empty() && !write_file(out, bundle)) return false;
  if (!proof_json.empty() || !public_json.empty()) {
    json j = json::parse(bundle, nullptr, false);
    if (j.is_discarded() || !j.contains("proof")) return false;
    if (!proof_json.empty() && !write_file(proof_json, j["proof"].dump(1) + "\n")) return false;
    if (!public_json.empty() && !write_file(public_json, j["public"].dump(1) + "\n")) return false;
  }
  return true;
}

// The outcome of a followed job (Prove or Watch stream).
int report_stream(const fc::StreamResult& r, const Output& out, const std::string& o,
                  const std::string& pj, const std::string& pub) {
  if (!r.status.ok()) return rpc_error(out, r.status);
  if (r.failure) {
    if (out.json) {
      out.emit_json({{"job_id", r.job_id},
                     {"state", fc::state_name(r.failure->state())},
                     {"code", r.failure->code()},
                     {"reason", r.failure->reason()}});
    } else {
      std::cerr << "job " << r.job_id << " " << fc::state_name(r.failure->state()) << ": "
                << r.failure->code() << ": " << r.failure->reason() << std::endl;
    }
    return kExitCheckFailed;
  }
  if (!r.proof.empty() && !write_proof(r.proof, o, pj, pub)) {
    return out.error(internal_error("cannot write the proof files"));
  }
  json j{{"job_id", r.job_id},
         {"state", "succeeded"},
         {"proof_hash", r.proof_hash},
         {"proof_bytes", r.proof.size()}};
  if (r.accepted) {
    j["cached"] = r.accepted->cached();
    j["units"] = r.accepted->estimated_units();
    j["cost"] = r.accepted->estimated_cost();
  }
  if (out.json) {
    out.emit_json(j);
  } else {
    std::cout << "job " << r.job_id << " succeeded; proof " << r.proof_hash << " ("
              << r.proof.size() << " bytes)";
    if (!o.empty()) std::cout << " -> " << o;
    std::cout << std::endl;
  }
  return kExitOk;
}

struct SubmitOptions {
  std::string kind = "groth16", artifact, input, params, out, proof_json, public_json;
  // zkWASM: the parameters as flags, and a module job's input from its parts.
  std::string entry, preset, data, private_input;
  std::vector<uint64_t> args;
  uint64_t gas_limit = 0;
  double deadline_s = 0;
  int priority = 0;
  bool wait = false;
  size_t chunk = 256 * 1024;
};

int run_upload(const std::string& path, const std::string& kind, const Output& out) {
  std::string bytes;
  if (!read_file(path, &bytes)) return out.error_usage("cannot read " + path);
  if (kind != "zkey" && kind != "wasm") return out.error_usage("--kind: zkey or wasm");
  std::string e;
  auto ch = channel(g_conn.farm, &e);
  if (!ch) return out.error_usage(e);
  auto stub = pb::Farm::NewStub(ch);
  pb::ArtifactRef ref;
  grpc::Status st = fc::upload_artifact(
      *stub, g_conn.api_key, kind == "zkey" ? pb::ARTIFACT_KIND_ZKEY : pb::ARTIFACT_KIND_WASM,
      bytes, &ref);
  if (!st.ok()) return rpc_error(out, st);
  if (out.json) {
    out.emit_json({{"content_hash", ref.content_hash()},
                   {"size", ref.size()},
                   {"already_stored", ref.already_stored()}});
  } else {
    std::cout << ref.content_hash() << (ref.already_stored() ? " (already stored)" : " (stored)")
              << std::endl;
  }
  return kExitOk;
}

int run_submit(const SubmitOptions& o, const Output& out) {
  pb::JobHeader h;
  if (o.kind == "groth16")
    h.set_kind(pb::JOB_KIND_GROTH16);
  else if (o.kind == "zkwasm-trace" || o.kind == "zkwasm")
    h.set_kind(pb::JOB_KIND_ZKWASM_TRACE);
  else if (o.kind == "zkwasm-module")
    h.set_kind(pb::JOB_KIND_ZKWASM_MODULE);
  else
    return out.error_usage("--kind: groth16, zkwasm-trace or zkwasm-module");
  std::string input;
  if (!o.input.empty()) {
    if (!read_file(o.input, &input)) return out.error_usage("cannot read the input " + o.input);
  } else if (h.kind() == pb::JOB_KIND_ZKWASM_MODULE) {
    // The canonical Extension input (wasm::encode_extension_input) from --data and --private.
    wasm::ExtensionInput in;
    for (auto [flag, value, dst] : {std::tuple{"--data", &o.data, &in.data},
                                    std::tuple{"--private", &o.private_input, &in.private_input}}) {
      if (value->empty()) continue;
      std::string bytes;
      if (read_file(*value, &bytes)) {
        dst->assign(bytes.begin(), bytes.end());
      } else {
        auto hex = from_hex(*value);
        if (!hex) return out.error_usage(std::string(flag) + ": neither a file nor hex bytes");
        *dst = std::move(*hex);
      }
    }
    auto enc = wasm::encode_extension_input(in);
    input.assign(enc.begin(), enc.end());
  } else {
    return out.error_usage("--input is required (zkwasm-module jobs may give --data instead)");
  }
  std::string params = o.params;
  if (!o.entry.empty() || !o.args.empty() || !o.preset.empty() || o.gas_limit != 0) {
    json p = params.empty() ? json::object() : json::parse(params, nullptr, false);
    if (p.is_discarded() || !p.is_object()) return out.error_usage("--params is not a JSON object");
    if (!o.entry.empty()) {
      const bool index = std::all_of(o.entry.begin(), o.entry.end(), ::isdigit);
      p["entry"] = index ? json(std::stoull(o.entry)) : json(o.entry);
    }
    if (!o.args.empty()) p["args"] = o.args;
    if (!o.preset.empty()) p["preset"] = o.preset;
    if (o.gas_limit != 0) p["gas_limit"] = o.gas_limit;
    params = p.dump();
  }
  std::string e;
  auto ch = channel(g_conn.farm, &e);
  if (!ch) return out.error_usage(e);
  auto stub = pb::Farm::NewStub(ch);
  // --artifact takes a content hash or a file, which is uploaded first (at once if stored).
  std::string artifact = o.artifact;
  if (!artifact.empty() && access(artifact.c_str(), R_OK) == 0) {
    std::string bytes;
    read_file(artifact, &bytes);
    pb::ArtifactRef ref;
    grpc::Status st = fc::upload_artifact(
        *stub, g_conn.api_key,
        h.kind() == pb::JOB_KIND_GROTH16 ? pb::ARTIFACT_KIND_ZKEY : pb::ARTIFACT_KIND_WASM, bytes,
        &ref);
    if (!st.ok()) return rpc_error(out, st);
    artifact = ref.content_hash();
  }
  h.set_artifact(artifact);
  h.set_params_json(params);
  if (h.kind() == pb::JOB_KIND_ZKWASM_TRACE && !o.private_input.empty()) {
    // The trace's private input (kind 4) travels in the header (docs/farm.md, zkWASM jobs).
    std::string bytes;
    if (!read_file(o.private_input, &bytes)) {
      auto hex = from_hex(o.private_input);
      if (!hex) return out.error_usage("--private: neither a file nor hex bytes");
      bytes.assign(hex->begin(), hex->end());
    }
    h.set_private_input(bytes);
  }
  h.set_priority(o.priority);
  h.set_input_size(input.size());
  if (o.deadline_s > 0) {
    h.set_deadline_unix_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count() +
                           int64_t(o.deadline_s * 1000));
  }
  if (o.wait) {
    ProgressBar bar(!out.json);
    auto r = fc::prove(*stub, g_conn.api_key, h, input, o.chunk, [&](const pb::JobEvent& ev) {
      if (ev.has_accepted() && !out.json && bar.enabled) {
        std::fprintf(stderr, "accepted %s: %lu units, cost %lu%s\n", ev.job_id().c_str(),
                     (unsigned long)ev.accepted().estimated_units(),
                     (unsigned long)ev.accepted().estimated_cost(),
                     ev.accepted().cached() ? " (cached)" : "");
      }
      if (ev.has_progress()) bar.show(ev.progress());
    });
    bar.done();
    return report_stream(r, out, o.out, o.proof_json, o.public_json);
  }
  pb::Accepted acc;
  grpc::Status st = fc::submit(*stub, g_conn.api_key, h, input, &acc, o.chunk);
  if (!st.ok()) return rpc_error(out, st);
  if (out.json) {
    out.emit_json({{"job_id", acc.job_id()},
                   {"queue_position", acc.queue_position()},
                   {"cached", acc.cached()},
                   {"estimated_units", acc.estimated_units()},
                   {"estimated_cost", acc.estimated_cost()},
                   {"estimated_seconds", acc.estimated_seconds()}});
  } else {
    std::cout << acc.job_id() << std::endl;
  }
  return kExitOk;
}

struct GetOptions {
  std::string job, out, proof_json, public_json;
  bool no_proof = false;
};

int run_watch(const GetOptions& o, const Output& out) {
  std::string e;
  auto ch = channel(g_conn.farm, &e);
  if (!ch) return out.error_usage(e);
  auto stub = pb::Farm::NewStub(ch);
  ProgressBar bar(!out.json);
  auto r = fc::watch(*stub, g_conn.api_key, o.job, !o.no_proof, [&](const pb::JobEvent& ev) {
    if (ev.has_progress()) bar.show(ev.progress());
  });
  bar.done();
  return report_stream(r, out, o.out, o.proof_json, o.public_json);
}

int run_get(const GetOptions& o, const Output& out) {
  std::string e;
  auto ch = channel(g_conn.farm, &e);
  if (!ch) return out.error_usage(e);
  auto stub = pb::Farm::NewStub(ch);
  pb::JobRef ref;
  ref.set_job_id(o.job);
  pb::JobInfo info;
  auto ctx = fc::context(g_conn.api_key, 30);
  grpc::Status st = stub->GetJob(ctx.get(), ref, &info);
  if (!st.ok()) return rpc_error(out, st);
  json j = job_json(info);
  if (info.state() == pb::JOB_STATE_SUCCEEDED &&
      (!o.out.empty() || !o.proof_json.empty() || !o.public_json.empty())) {
    std::string proof, hash;
    st = fc::fetch_proof(*stub, g_conn.api_key, o.job, &proof, &hash);
    if (!st.ok()) return rpc_error(out, st);
    if (!write_proof(proof, o.out, o.proof_json, o.public_json)) {
      return out.error(internal_error("cannot write the proof files"));
    }
    j["written"] = true;
  }
  if (out.json) {
    out.emit_json(j);
  } else {
    std::cout << info.job_id() << "  " << fc::kind_name(info.kind()) << "  "
              << fc::state_name(info.state()) << "  " << info.stage() << "  units " << info.units()
              << "  cost " << info.cost();
    if (!info.error().empty()) std::cout << "  error: " << info.error();
    std::cout << std::endl;
  }
  return kExitOk;
}

int run_cancel(const std::string& job, const Output& out) {
  std::string e;
  auto ch = channel(g_conn.farm, &e);
  if (!ch) return out.error_usage(e);
  auto stub = pb::Farm::NewStub(ch);
  pb::JobRef ref;
  ref.set_job_id(job);
  pb::CancelReply rep;
  auto ctx = fc::context(g_conn.api_key, 30);
  grpc::Status st = stub->Cancel(ctx.get(), ref, &rep);
  if (!st.ok()) return rpc_error(out, st);
  if (out.json)
    out.emit_json({{"job_id", job}, {"state", fc::state_name(rep.state())}});
  else
    std::cout << job << ": " << fc::state_name(rep.state())
              << (rep.state() == pb::JOB_STATE_RUNNING ? " (stops at the next stage)" : "")
              << std::endl;
  return kExitOk;
}

int run_jobs(uint32_t limit, const Output& out) {
  std::string e;
  auto ch = channel(g_conn.farm, &e);
  if (!ch) return out.error_usage(e);
  auto stub = pb::Farm::NewStub(ch);
  pb::ListJobsRequest req;
  req.set_limit(limit);
  pb::ListJobsReply rep;
  auto ctx = fc::context(g_conn.api_key, 30);
  grpc::Status st = stub->ListJobs(ctx.get(), req, &rep);
  if (!st.ok()) return rpc_error(out, st);
  if (out.json) {
    json a = json::array();
    for (const auto& j : rep.jobs()) a.push_back(job_json(j));
    out.emit_json({{"jobs", a}});
  } else {
    std::printf("%-28s %-14s %-10s %8s %8s  %s\n", "JOB", "KIND", "STATE", "UNITS", "COST",
                "STAGE");
    for (const auto& j : rep.jobs()) {
      std::printf("%-28s %-14s %-10s %8lu %8lu  %s\n", j.job_id().c_str(), fc::kind_name(j.kind()),
                  fc::state_name(j.state()), (unsigned long)j.units(), (unsigned long)j.cost(),
                  j.stage().c_str());
    }
  }
  return kExitOk;
}

void print_usage(const pb::Usage& u) {
  std::cout << "tenant " << u.tenant() << ": balance " << u.balance() << ", units "
            << u.units_total() << " (" << u.units_last_hour() << " in the last hour), jobs "
            << u.jobs_total() << " (" << u.jobs_active() << " active)\n  quota: concurrent "
            << u.quota().max_concurrent_jobs() << ", queued bytes " << u.quota().max_queued_bytes()
            << ", input bytes " << u.quota().max_input_bytes() << ", units/hour "
            << u.quota().max_units_per_hour() << " (0 = unlimited)" << std::endl;
}

int run_usage(const Output& out) {
  std::string e;
  auto ch = channel(g_conn.farm, &e);
  if (!ch) return out.error_usage(e);
  auto stub = pb::Farm::NewStub(ch);
  pb::Usage u;
  auto ctx = fc::context(g_conn.api_key, 30);
  grpc::Status st = stub->GetUsage(ctx.get(), {}, &u);
  if (!st.ok()) return rpc_error(out, st);
  if (out.json)
    out.emit_json(usage_json(u));
  else
    print_usage(u);
  return kExitOk;
}

int run_capacity(double units, const Output& out) {
  std::string e;
  auto ch = channel(g_conn.farm, &e);
  if (!ch) return out.error_usage(e);
  auto stub = pb::Farm::NewStub(ch);
  pb::Capacity c;
  auto ctx = fc::context(g_conn.api_key, 30);
  grpc::Status st = stub->GetCapacity(ctx.get(), {}, &c);
  if (!st.ok()) return rpc_error(out, st);
  json j{{"queue_depth", c.queue_depth()},
         {"running", c.running()},
         {"devices", json::array()},
         {"kinds", json::array()}};
  for (const auto& d : c.devices()) {
    j["devices"].push_back({{"name", d.name()},
                            {"kind", d.kind()},
                            {"cores", d.cores()},
                            {"busy_fraction", d.busy_fraction()},
                            {"running_jobs", d.running_jobs()},
                            {"slots", d.slots()},
                            {"throughput", json::array()}});
    for (const auto& t : d.throughput()) {
      j["devices"].back()["throughput"].push_back({{"kind", fc::kind_name(t.kind())},
                                                   {"units_per_second", t.units_per_second()},
                                                   {"source", t.source()}});
    }
  }
  for (const auto& k : c.kinds()) {
    json kj{{"kind", fc::kind_name(k.kind())},
            {"available", k.available()},
            {"unit", k.unit()},
            {"units_per_second", k.units_per_second()},
            {"price_per_unit", k.price_per_unit()},
            {"source", k.source()}};
    if (units > 0) {
      kj["predicted_cost"] = uint64_t(units) * k.price_per_unit();
      if (k.units_per_second() > 0) kj["predicted_seconds"] = units / k.units_per_second();
    }
    j["kinds"].push_back(kj);
  }
  if (out.json) {
    out.emit_json(j);
    return kExitOk;
  }
  std::printf("queue depth %u, running %u\n", c.queue_depth(), c.running());
  for (const auto& d : c.devices()) {
    std::printf("device %-50s %3u cores  %u slot(s)  busy %4.1f%%  running %u\n", d.name().c_str(),
                d.cores(), d.slots(), d.busy_fraction() * 100, d.running_jobs());
    for (const auto& t : d.throughput()) {
      std::printf("  %-14s %12.2f units/s (%s)\n", fc::kind_name(t.kind()), t.units_per_second(),
                  t.source().c_str());
    }
  }
  std::printf("%-14s %-10s %12s %8s  %-9s %s\n", "KIND", "AVAILABLE", "UNITS/S", "PRICE", "SOURCE",
              "UNIT");
  for (const auto& k : c.kinds()) {
    std::printf("%-14s %-10s %12.2f %8lu  %-9s %s\n", fc::kind_name(k.kind()),
                k.available() ? "yes" : "no", k.units_per_second(),
                (unsigned long)k.price_per_unit(), k.source().c_str(), k.unit().c_str());
    if (units > 0 && k.available()) {
      std::printf("  a job of %.0f units: cost %lu", units,
                  (unsigned long)(uint64_t(units) * k.price_per_unit()));
      if (k.units_per_second() > 0)
        std::printf(", about %.1f s of proving", units / k.units_per_second());
      std::printf("\n");
    }
  }
  return kExitOk;
}

// ---- admin

bool admin_token(std::string* tok) {
  if (!g_conn.admin_token.empty()) {
    *tok = g_conn.admin_token;
    return true;
  }
  if (g_conn.admin_token_file.empty() || !read_file(g_conn.admin_token_file, tok)) return false;
  *tok = tok->substr(0, tok->find('\n'));
  return true;
}

struct AdminOptions {
  std::string tenant, kind;
  int64_t amount = 0;
  uint64_t price = 0;
  uint32_t limit = 0, weight = 0;
  pb::Quota quota;
  uint32_t max_concurrent = 0;
  uint64_t max_queued = 0, max_input = 0, max_units_hour = 0;
};

template <typename F>
int with_admin(const Output& out, F&& body) {
  std::string tok;
  if (!admin_token(&tok))
    return out.error_usage(
        "no admin token: --admin-token, --admin-token-file or EFAAS_ADMIN_TOKEN");
  std::string e;
  auto ch = channel(g_conn.admin, &e);
  if (!ch) return out.error_usage(e);
  auto stub = pb::FarmAdmin::NewStub(ch);
  return body(*stub, tok);
}

pb::Quota quota_of(const AdminOptions& o) {
  pb::Quota q;
  q.set_max_concurrent_jobs(o.max_concurrent);
  q.set_max_queued_bytes(o.max_queued);
  q.set_max_input_bytes(o.max_input);
  q.set_max_units_per_hour(o.max_units_hour);
  return q;
}

void add_quota_options(CLI::App* c, AdminOptions& o) {
  c->add_option("--max-concurrent", o.max_concurrent, "queued + running jobs");
  c->add_option("--max-queued-bytes", o.max_queued, "input bytes of queued jobs");
  c->add_option("--max-input-bytes", o.max_input, "one job's input");
  c->add_option("--max-units-per-hour", o.max_units_hour, "proving units per hour");
  c->add_option("--weight", o.weight, "fair-share weight");
}

}  // namespace

void register_farm_commands(CLI::App& app) {
  CLI::App* farm =
      app.add_subcommand("farm", "Prover farm client: rent proving capacity over gRPC");
  farm->require_subcommand(1);

  static Output upload_out;
  static std::string upload_path, upload_kind = "zkey";
  auto* up =
      add_command(*farm, "upload", "Upload a .zkey or WASM module (content addressed)", upload_out,
                  [] { return run_upload(upload_path, upload_kind, upload_out); });
  up->add_option("file", upload_path, "the artifact")->required();
  up->add_option("--kind", upload_kind, "zkey or wasm");
  add_conn_options(up, false);

  static Output submit_out;
  static SubmitOptions so;
  auto* sub =
      add_command(*farm, "submit",
                  "Submit a job; with --wait, stream it and show progress until the proof arrives",
                  submit_out, [] { return run_submit(so, submit_out); });
  sub->add_option("--kind", so.kind, "groth16, zkwasm-trace or zkwasm-module");
  sub->add_option("--artifact,--zkey", so.artifact,
                  "the .zkey / module: a file (uploaded first) or a content hash");
  sub->add_option("--input,--wtns", so.input,
                  "the witness (.wtns), the trace (zkwasm-trace) or the encoded Extension input "
                  "(zkwasm-module)");
  sub->add_option("--params", so.params, "job parameters as a JSON object");
  sub->add_option("--entry", so.entry, "zkWASM: the export name or function index to prove");
  sub->add_option("--args", so.args, "zkWASM: the entry function's arguments");
  sub->add_option("--preset", so.preset, "zkWASM: FRI preset, production (default), production-poseidon2 or test");
  sub->add_option("--gas-limit", so.gas_limit, "zkwasm-module: the execution's gas limit");
  sub->add_option("--data", so.data, "zkwasm-module without --input: Operation.Data (FILE or HEX)");
  sub->add_option("--private", so.private_input,
                  "the private input (FILE or HEX): zkwasm-module without --input, or "
                  "zkwasm-trace (sent in the job header)");
  sub->add_option("--deadline-s", so.deadline_s,
                  "fail as expired if not done within this many seconds");
  sub->add_option("--priority", so.priority, "0..9, higher first within your share");
  sub->add_flag("--wait", so.wait, "stay on the stream until the proof arrives");
  sub->add_option("-o,--out", so.out, "write the proof here (with --wait)");
  sub->add_option("--proof-json", so.proof_json, "groth16: write snarkjs proof.json here");
  sub->add_option("--public-json", so.public_json, "groth16: write snarkjs public.json here");
  sub->add_option("--chunk", so.chunk, "input chunk size in bytes");
  add_conn_options(sub, false);

  static Output watch_out;
  static GetOptions wo;
  auto* watch = add_command(*farm, "watch", "Follow a job (progress bar) and fetch its proof",
                            watch_out, [] { return run_watch(wo, watch_out); });
  watch->add_option("job", wo.job, "job id")->required();
  watch->add_option("-o,--out", wo.out, "write the proof here");
  watch->add_option("--proof-json", wo.proof_json, "groth16: write snarkjs proof.json here");
  watch->add_option("--public-json", wo.public_json, "groth16: write snarkjs public.json here");
  watch->add_flag("--no-proof", wo.no_proof, "only follow the state");
  add_conn_options(watch, false);

  static Output get_out;
  static GetOptions go;
  auto* get = add_command(*farm, "get", "Show a job; with -o, download its proof", get_out,
                          [] { return run_get(go, get_out); });
  get->add_option("job", go.job, "job id")->required();
  get->add_option("-o,--out", go.out, "write the proof here");
  get->add_option("--proof-json", go.proof_json, "groth16: write snarkjs proof.json here");
  get->add_option("--public-json", go.public_json, "groth16: write snarkjs public.json here");
  add_conn_options(get, false);

  static Output cancel_out;
  static std::string cancel_job;
  auto* cancel =
      add_command(*farm, "cancel", "Cancel a job (a running one stops at its next stage)",
                  cancel_out, [] { return run_cancel(cancel_job, cancel_out); });
  cancel->add_option("job", cancel_job, "job id")->required();
  add_conn_options(cancel, false);

  static Output jobs_out;
  static uint32_t jobs_limit = 50;
  auto* jobs = add_command(*farm, "jobs", "List my jobs, newest first", jobs_out,
                           [] { return run_jobs(jobs_limit, jobs_out); });
  jobs->add_option("--limit", jobs_limit, "how many");
  add_conn_options(jobs, false);

  static Output usage_out;
  auto* usage = add_command(*farm, "usage", "My balance, units used and quotas", usage_out,
                            [] { return run_usage(usage_out); });
  add_conn_options(usage, false);

  static Output cap_out;
  static double cap_units = 0;
  auto* cap =
      add_command(*farm, "capacity", "Devices, load, queue, throughput and prices per job kind",
                  cap_out, [] { return run_capacity(cap_units, cap_out); });
  cap->add_option("--units", cap_units, "predict the time and cost of a job of this many units");
  add_conn_options(cap, false);

  // ---- admin
  CLI::App* admin = farm->add_subcommand("admin", "Farm administration (needs the admin token)");
  admin->require_subcommand(1);
  static AdminOptions ao;

  static Output create_out;
  auto* create = add_command(
      *admin, "create-tenant", "Create a tenant; prints its API key (shown once)", create_out, [] {
        return with_admin(create_out, [](pb::FarmAdmin::Stub& s, const std::string& tok) {
          pb::CreateTenantRequest r;
          r.set_name(ao.tenant);
          r.set_balance(ao.amount);
          *r.mutable_quota() = quota_of(ao);
          r.set_weight(ao.weight);
          pb::TenantKey k;
          auto ctx = fc::admin_context(tok, 30);
          grpc::Status st = s.CreateTenant(ctx.get(), r, &k);
          if (!st.ok()) return rpc_error(create_out, st);
          if (create_out.json)
            create_out.emit_json({{"tenant", k.tenant()}, {"api_key", k.api_key()}});
          else
            std::cout << k.api_key() << std::endl;
          return int(kExitOk);
        });
      });
  create->add_option("tenant", ao.tenant, "name")->required();
  create->add_option("--balance", ao.amount, "opening balance");
  add_quota_options(create, ao);
  add_conn_options(create, true);

  static Output rotate_out;
  auto* rotate = add_command(
      *admin, "rotate-key", "Replace a tenant's API key; prints the new one", rotate_out, [] {
        return with_admin(rotate_out, [](pb::FarmAdmin::Stub& s, const std::string& tok) {
          pb::TenantRef r;
          r.set_tenant(ao.tenant);
          pb::TenantKey k;
          auto ctx = fc::admin_context(tok, 30);
          grpc::Status st = s.RotateKey(ctx.get(), r, &k);
          if (!st.ok()) return rpc_error(rotate_out, st);
          if (rotate_out.json)
            rotate_out.emit_json({{"tenant", k.tenant()}, {"api_key", k.api_key()}});
          else
            std::cout << k.api_key() << std::endl;
          return int(kExitOk);
        });
      });
  rotate->add_option("tenant", ao.tenant, "name")->required();
  add_conn_options(rotate, true);

  static Output topup_out;
  auto* topup = add_command(*admin, "top-up", "Add to a tenant's prepaid balance", topup_out, [] {
    return with_admin(topup_out, [](pb::FarmAdmin::Stub& s, const std::string& tok) {
      pb::TopUpRequest r;
      r.set_tenant(ao.tenant);
      r.set_amount(ao.amount);
      pb::Usage u;
      auto ctx = fc::admin_context(tok, 30);
      grpc::Status st = s.TopUp(ctx.get(), r, &u);
      if (!st.ok()) return rpc_error(topup_out, st);
      if (topup_out.json)
        topup_out.emit_json(usage_json(u));
      else
        print_usage(u);
      return int(kExitOk);
    });
  });
  topup->add_option("tenant", ao.tenant, "name")->required();
  topup->add_option("amount", ao.amount, "amount (negative to debit)")->required();
  add_conn_options(topup, true);

  static Output quota_out;
  auto* quota = add_command(
      *admin, "set-quota", "Set a tenant's quotas (0 = unlimited) and weight", quota_out, [] {
        return with_admin(quota_out, [](pb::FarmAdmin::Stub& s, const std::string& tok) {
          pb::SetQuotaRequest r;
          r.set_tenant(ao.tenant);
          *r.mutable_quota() = quota_of(ao);
          r.set_weight(ao.weight);
          pb::Usage u;
          auto ctx = fc::admin_context(tok, 30);
          grpc::Status st = s.SetQuota(ctx.get(), r, &u);
          if (!st.ok()) return rpc_error(quota_out, st);
          if (quota_out.json)
            quota_out.emit_json(usage_json(u));
          else
            print_usage(u);
          return int(kExitOk);
        });
      });
  quota->add_option("tenant", ao.tenant, "name")->required();
  add_quota_options(quota, ao);
  add_conn_options(quota, true);

  static Output price_out;
  auto* price = add_command(
      *admin, "set-price", "Set the price per proving unit of a job kind", price_out, [] {
        return with_admin(price_out, [](pb::FarmAdmin::Stub& s, const std::string& tok) {
          pb::SetPriceRequest r;
          if (ao.kind == "groth16")
            r.set_kind(pb::JOB_KIND_GROTH16);
          else if (ao.kind == "zkwasm-trace")
            r.set_kind(pb::JOB_KIND_ZKWASM_TRACE);
          else if (ao.kind == "zkwasm-module")
            r.set_kind(pb::JOB_KIND_ZKWASM_MODULE);
          else
            return price_out.error_usage("kind: groth16, zkwasm-trace or zkwasm-module");
          r.set_price_per_unit(ao.price);
          pb::Empty e;
          auto ctx = fc::admin_context(tok, 30);
          grpc::Status st = s.SetPrice(ctx.get(), r, &e);
          if (!st.ok()) return rpc_error(price_out, st);
          if (price_out.json)
            price_out.emit_json({{"kind", ao.kind}, {"price_per_unit", ao.price}});
          else
            std::cout << ao.kind << ": " << ao.price << " per unit" << std::endl;
          return int(kExitOk);
        });
      });
  price->add_option("kind", ao.kind, "groth16, zkwasm-trace, zkwasm-module")->required();
  price->add_option("price", ao.price, "price per proving unit")->required();
  add_conn_options(price, true);

  static Output ausage_out;
  auto* ausage = add_command(*admin, "usage", "Usage of one tenant, or of all", ausage_out, [] {
    return with_admin(ausage_out, [](pb::FarmAdmin::Stub& s, const std::string& tok) {
      std::vector<pb::Usage> all;
      auto ctx = fc::admin_context(tok, 30);
      if (ao.tenant.empty()) {
        pb::ListTenantsReply rep;
        grpc::Status st = s.ListTenants(ctx.get(), {}, &rep);
        if (!st.ok()) return rpc_error(ausage_out, st);
        all.assign(rep.tenants().begin(), rep.tenants().end());
      } else {
        pb::TenantRef r;
        r.set_tenant(ao.tenant);
        pb::Usage u;
        grpc::Status st = s.GetTenantUsage(ctx.get(), r, &u);
        if (!st.ok()) return rpc_error(ausage_out, st);
        all.push_back(u);
      }
      if (ausage_out.json) {
        json a = json::array();
        for (const auto& u : all) a.push_back(usage_json(u));
        ausage_out.emit_json({{"tenants", a}});
      } else {
        for (const auto& u : all) print_usage(u);
      }
      return int(kExitOk);
    });
  });
  ausage->add_option("tenant", ao.tenant, "name (all tenants when left out)");
  add_conn_options(ausage, true);

  static Output ledger_out;
  auto* ledger =
      add_command(*admin, "ledger", "The append-only ledger (charges and top-ups)", ledger_out, [] {
        return with_admin(ledger_out, [](pb::FarmAdmin::Stub& s, const std::string& tok) {
          pb::LedgerRequest r;
          r.set_tenant(ao.tenant);
          r.set_limit(ao.limit);
          pb::LedgerReply rep;
          auto ctx = fc::admin_context(tok, 30);
          grpc::Status st = s.GetLedger(ctx.get(), r, &rep);
          if (!st.ok()) return rpc_error(ledger_out, st);
          if (ledger_out.json) {
            json a = json::array();
            for (const auto& e : rep.entries()) {
              a.push_back({{"seq", e.seq()},
                           {"tenant", e.tenant()},
                           {"job_id", e.job_id()},
                           {"amount", e.amount()},
                           {"units", e.units()},
                           {"reason", e.reason()},
                           {"unix_ms", e.unix_ms()}});
            }
            ledger_out.emit_json({{"entries", a}});
          } else {
            for (const auto& e : rep.entries()) {
              std::printf("%6ld %-16s %-8s %10ld %8lu %s\n", (long)e.seq(), e.tenant().c_str(),
                          e.reason().c_str(), (long)e.amount(), (unsigned long)e.units(),
                          e.job_id().c_str());
            }
          }
          return int(kExitOk);
        });
      });
  ledger->add_option("tenant", ao.tenant, "name (all when left out)");
  ledger->add_option("--limit", ao.limit, "entries");
  add_conn_options(ledger, true);
}

}  // namespace efaas::cli
