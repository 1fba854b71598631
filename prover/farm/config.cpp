#include "prover/farm/config.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace efaas::farm {

namespace {
using nlohmann::json;

Expected<Quota> parse_quota(const json& j, Quota q, const std::string& where) {
  if (!j.is_object()) return err(Code::kInvalidArgument, where + ": want an object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it->is_number_unsigned()) {
      return err(Code::kInvalidArgument, where + "." + it.key() + ": want a non-negative integer");
    }
    uint64_t v = it->get<uint64_t>();
    if (it.key() == "max_concurrent_jobs")
      q.max_concurrent_jobs = uint32_t(v);
    else if (it.key() == "max_queued_bytes")
      q.max_queued_bytes = v;
    else if (it.key() == "max_input_bytes")
      q.max_input_bytes = v;
    else if (it.key() == "max_units_per_hour")
      q.max_units_per_hour = v;
    else
      return err(Code::kInvalidArgument, where + ": unknown key '" + it.key() + "'");
  }
  return q;
}
}  // namespace

Expected<FarmConfig> parse_config(const std::string& text, const std::string& what) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return err(Code::kInvalidArgument, what + ": not a JSON object");
  }
  FarmConfig c;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const json& v = *it;
    const std::string where = what + ": " + k;
    auto want_string = [&](std::string& out) -> Outcome {
      if (!v.is_string()) return err(Code::kInvalidArgument, where + ": want a string");
      out = v.get<std::string>();
      return ok();
    };
    auto want_uint = [&](auto& out) -> Outcome {
      if (!v.is_number_unsigned())
        return err(Code::kInvalidArgument, where + ": want a non-negative integer");
      out = static_cast<std::remove_reference_t<decltype(out)>>(v.get<uint64_t>());
      return ok();
    };
    Outcome o = ok();
    if (k == "listen")
      o = want_string(c.listen);
    else if (k == "admin_listen")
      o = want_string(c.admin_listen);
    else if (k == "metrics_listen")
      o = want_string(c.metrics_listen);
    else if (k == "store")
      o = want_string(c.store_dir);
    else if (k == "tls_cert")
      o = want_string(c.tls_cert);
    else if (k == "tls_key")
      o = want_string(c.tls_key);
    else if (k == "admin_token_file")
      o = want_string(c.admin_token_file);
    else if (k == "calibration_file")
      o = want_string(c.calibration_file);
    else if (k == "allow_insecure") {
      if (!v.is_boolean()) return err(Code::kInvalidArgument, where + ": want true or false");
      c.allow_insecure = v.get<bool>();
    } else if (k == "workers")
      o = want_uint(c.workers);
    else if (k == "prover_threads")
      o = want_uint(c.prover_threads);
    else if (k == "default_balance") {
      if (!v.is_number_integer()) return err(Code::kInvalidArgument, where + ": want an integer");
      c.default_balance = v.get<int64_t>();
    } else if (k == "inflight_budget_bytes")
      o = want_uint(c.inflight_budget_bytes);
    else if (k == "segment_log") {
      o = want_uint(c.segment_log);
      if (o && (v.get<uint64_t>() < kMinSegmentLog || v.get<uint64_t>() > kMaxSegmentLog)) {
        return err(Code::kInvalidArgument, where + ": " + v.dump() + " is outside " +
                                               std::to_string(kMinSegmentLog) + ".." +
                                               std::to_string(kMaxSegmentLog));
      }
    } else if (k == "max_chunk_bytes")
      o = want_uint(c.max_chunk_bytes);
    else if (k == "stage_delay_ms")
      o = want_uint(c.stage_delay_ms);
    else if (k == "drain_timeout_s")
      o = want_uint(c.drain_timeout_s);
    else if (k == "devices") {
      if (!v.is_array()) return err(Code::kInvalidArgument, where + ": want an array of strings");
      c.devices.clear();
      for (const auto& d : v) {
        if (!d.is_string()) return err(Code::kInvalidArgument, where + ": want strings");
        std::string name = d.get<std::string>();
        if (Outcome d = check_device_name(name); !d) {
          return err(Code::kInvalidArgument, where + ": " + d.error().message);
        }
        if (std::find(c.devices.begin(), c.devices.end(), name) != c.devices.end()) {
          return err(Code::kInvalidArgument, where + ": '" + name + "' is listed twice");
        }
        c.devices.push_back(name);
      }
    } else if (k == "tenant_defaults") {
      auto q = parse_quota(v, c.default_quota, where);
      if (!q) return q.error();
      c.default_quota = *q;
    } else if (k == "prices") {
      if (!v.is_object()) return err(Code::kInvalidArgument, where + ": want {kind: price}");
      for (auto p = v.begin(); p != v.end(); ++p) {
        auto kind = parse_job_kind(p.key());
        if (!kind) return err(Code::kInvalidArgument, where + ": " + kind.status().message());
        if (!p->is_number_unsigned())
          return err(Code::kInvalidArgument,
                     where + "." + p.key() + ": want a non-negative integer");
        c.prices[*kind] = p->get<uint64_t>();
      }
    } else {
      return err(Code::kInvalidArgument, what + ": unknown key '" + k + "'");
    }
    if (!o) return o.error();
  }
  if (c.workers == 0) return err(Code::kInvalidArgument, what + ": workers must be at least 1");
  if (c.devices.empty()) return err(Code::kInvalidArgument, what + ": devices is empty");
  if (c.max_chunk_bytes == 0 || c.max_chunk_bytes > (16u << 20)) {
    return err(Code::kInvalidArgument, what + ": max_chunk_bytes must be in 1..16 MiB");
  }
  if (c.inflight_budget_bytes < c.max_chunk_bytes) {
    return err(Code::kInvalidArgument, what + ": inflight_budget_bytes is below max_chunk_bytes");
  }
  return c;
}

Outcome check_device_name(const std::string& name) {
  if (name == "cpu") return ok();
  if (name.rfind("opencl:", 0) == 0 && name.size() > 7 && name.size() <= 9 &&
      std::all_of(name.begin() + 7, name.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    return ok();
  }
  return err(Code::kInvalidArgument, "unknown device '" + name + "' (cpu, opencl:N)");
}

Expected<FarmConfig> load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return err(Code::kInvalidArgument, "cannot read the config file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path);
}

bool is_loopback_address(const std::string& addr) {
  if (addr.rfind("unix:", 0) == 0) return true;
  std::string host = addr;
  if (!host.empty() && host[0] == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace efaas::farm
