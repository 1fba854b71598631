#include "node/server/node.hpp"

#include <httplib.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "node/core/encoding.hpp"
#include "node/prove/groth16.hpp"
#include "prover/common/bytes.hpp"
#include "prover/common/timer.hpp"
#include "prover/fri/fri_params.hpp"

namespace efaas::node {
namespace {

constexpr const char* kVersion = "efaas-node/0.1";
constexpr int kGossipPasses = 100;  // loop passes an Operation waits for peers not greeted yet

// A JSON-RPC error travelling out of a handler.
struct RpcError {
  int code;
  std::string message;
  nlohmann::json data;
};

[[noreturn]] void fail(int code, std::string message, nlohmann::json data = nullptr) {
  throw RpcError{code, std::move(message), std::move(data)};
}

const nlohmann::json& param(const nlohmann::json& params, size_t i, const char* name) {
  if (!params.is_array() || params.size() <= i) {
    fail(kInvalidParams, std::string("missing parameter ") + std::to_string(i) + " (" + name + ")");
  }
  return params[i];
}

Hash32 hash_param(const nlohmann::json& params, size_t i, const char* name) {
  const auto& p = param(params, i, name);
  if (!p.is_string()) fail(kInvalidParams, std::string(name) + ": expected a 0x-prefixed 32-byte hex string");
  auto h = parse_hash32(p.get<std::string>(), name);
  if (!h) fail(kInvalidParams, h.status().message());
  return *h;
}

std::string op_status_json_name(const std::string& s) { return s; }

// --- config
template <typename T>
Status read_key(const nlohmann::json& j, const char* key, T& out) {
  if (!j.contains(key)) return Status::ok();
  try {
    out = j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    return invalid_argument(std::string("config.") + key + ": wrong type");
  }
  return Status::ok();
}

Status read_rate(const nlohmann::json& j, const char* key, RateLimit& out) {
  if (!j.contains(key)) return Status::ok();
  const auto& v = j[key];
  if (!v.is_object() || !v.contains("rate") || !v.contains("burst") || !v["rate"].is_number() ||
      !v["burst"].is_number()) {
    return invalid_argument(std::string("config.") + key + ": expected {\"rate\": <per second>, \"burst\": <n>}");
  }
  out.rate = v["rate"].get<double>();
  out.burst = v["burst"].get<double>();
  if (out.rate <= 0 || out.burst < 1) return invalid_argument(std::string("config.") + key + ": rate > 0, burst >= 1");
  return Status::ok();
}

}  // namespace

Result<NodeConfig> parse_config(const nlohmann::json& j, NodeConfig c) {
  if (!j.is_object()) return invalid_argument("config: expected a JSON object");
  static const std::set<std::string> kKeys = {
      "listen_host", "listen_port", "eth_rpc", "registry", "consensus", "data_dir", "key_file", "poll_ms", "serve",
      "max_proof_bytes", "log_level", "process_window", "finality_depth", "max_operation_age", "max_gas",
      "require_deposit", "sender_rate", "peer_rate", "mempool_capacity", "mempool_per_sender", "postop_capacity",
      "reputation_half_life_s", "ban_s", "peer_listen_port", "peers", "farm", "farm_api_key", "farm_tls_ca",
      "zkwasm_preset", "prove_timeout_s", "prove_retry_s", "min_security_bits", "merkle_hash", "verdict_rate", "snarkjs", "groth16_artifacts_dir"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!kKeys.count(it.key())) return invalid_argument("config: unknown key '" + it.key() + "'");
  }
  EFAAS_RETURN_IF_ERROR(read_key(j, "listen_host", c.listen_host));
  EFAAS_RETURN_IF_ERROR(read_key(j, "listen_port", c.listen_port));
  EFAAS_RETURN_IF_ERROR(read_key(j, "eth_rpc", c.eth_rpc));
  EFAAS_RETURN_IF_ERROR(read_key(j, "registry", c.registry));
  EFAAS_RETURN_IF_ERROR(read_key(j, "consensus", c.consensus));
  EFAAS_RETURN_IF_ERROR(read_key(j, "data_dir", c.data_dir));
  EFAAS_RETURN_IF_ERROR(read_key(j, "key_file", c.key_file));
  EFAAS_RETURN_IF_ERROR(read_key(j, "poll_ms", c.poll_ms));
  EFAAS_RETURN_IF_ERROR(read_key(j, "serve", c.serve));
  EFAAS_RETURN_IF_ERROR(read_key(j, "max_proof_bytes", c.max_proof_bytes));
  EFAAS_RETURN_IF_ERROR(read_key(j, "log_level", c.log_level));
  EFAAS_RETURN_IF_ERROR(read_key(j, "peer_listen_port", c.peer_listen_port));
  EFAAS_RETURN_IF_ERROR(read_key(j, "peers", c.peers));
  EFAAS_RETURN_IF_ERROR(read_key(j, "farm", c.farm.target));
  EFAAS_RETURN_IF_ERROR(read_key(j, "farm_api_key", c.farm.api_key));
  EFAAS_RETURN_IF_ERROR(read_key(j, "farm_tls_ca", c.farm.tls_ca_file));
  EFAAS_RETURN_IF_ERROR(read_key(j, "zkwasm_preset", c.farm.preset));
  EFAAS_RETURN_IF_ERROR(read_key(j, "prove_timeout_s", c.farm.timeout_s));
  EFAAS_RETURN_IF_ERROR(read_key(j, "prove_retry_s", c.prove_retry_s));
  EFAAS_RETURN_IF_ERROR(read_key(j, "min_security_bits", c.min_security_bits));
  if (j.contains("merkle_hash")) {  // "any" (the default), or the one hash accepted
    const auto& v = j["merkle_hash"];
    auto accepted = parse_accepted_merkle_hash(v.is_string() ? v.get<std::string>() : v.dump());
    if (!accepted) return invalid_argument("config.merkle_hash: " + accepted.status().message());
    c.merkle_hash = *accepted;
  }
  EFAAS_RETURN_IF_ERROR(read_key(j, "process_window", c.chain.process_window));
  EFAAS_RETURN_IF_ERROR(read_key(j, "finality_depth", c.chain.finality_depth));
  EFAAS_RETURN_IF_ERROR(read_key(j, "max_operation_age", c.chain.max_operation_age));
  EFAAS_RETURN_IF_ERROR(read_key(j, "require_deposit", c.admission.require_deposit));
  EFAAS_RETURN_IF_ERROR(read_key(j, "mempool_capacity", c.operation_pool.capacity));
  EFAAS_RETURN_IF_ERROR(read_key(j, "mempool_per_sender", c.operation_pool.per_sender));
  EFAAS_RETURN_IF_ERROR(read_key(j, "postop_capacity", c.post_op_pool.capacity));
  EFAAS_RETURN_IF_ERROR(read_rate(j, "sender_rate", c.admission.per_sender));
  EFAAS_RETURN_IF_ERROR(read_rate(j, "peer_rate", c.admission.per_peer));
  EFAAS_RETURN_IF_ERROR(read_rate(j, "verdict_rate", c.verdict_rate));
  EFAAS_RETURN_IF_ERROR(read_key(j, "snarkjs", c.snarkjs));
  EFAAS_RETURN_IF_ERROR(read_key(j, "groth16_artifacts_dir", c.groth16_artifacts_dir));
  if (j.contains("max_gas")) {
    if (!j["max_gas"].is_string() && !j["max_gas"].is_number_unsigned()) {
      return invalid_argument("config.max_gas: expected a number or a decimal/0x string");
    }
    auto g = U256::parse(j["max_gas"].is_string() ? j["max_gas"].get<std::string>()
                                                  : std::to_string(j["max_gas"].get<uint64_t>()),
                         "config.max_gas");
    if (!g) return g.status();
    c.admission.max_gas = *g;
  }
  double half_life_s = double(c.reputation.half_life_ms) / 1000, ban_s = double(c.reputation.ban_ms) / 1000;
  EFAAS_RETURN_IF_ERROR(read_key(j, "reputation_half_life_s", half_life_s));
  EFAAS_RETURN_IF_ERROR(read_key(j, "ban_s", ban_s));
  c.reputation.half_life_ms = int64_t(half_life_s * 1000);
  c.reputation.ban_ms = int64_t(ban_s * 1000);
  EFAAS_RETURN_IF_ERROR(validate_config(c));
  return c;
}

Status validate_config(const NodeConfig& c) {
  if (c.poll_ms < 10) return invalid_argument("config.poll_ms: at least 10");
  if (c.chain.process_window == 0) return invalid_argument("config.process_window: at least 1");
  auto preset = fri_preset(c.farm.preset);
  if (!preset) {
    return invalid_argument(std::string("config.zkwasm_preset: one of ") + fri_preset_names() +
                            ", got \"" + c.farm.preset + "\"");
  }
  if (c.farm.timeout_s <= 0) return invalid_argument("config.prove_timeout_s: above 0");
  if (c.min_security_bits < 0) return invalid_argument("config.min_security_bits: at least 0");
  // The PostOps our farm proves must pass our own check (peers pinned like us would reject them).
  if (!c.farm.target.empty() && c.merkle_hash && preset->merkle_hash != *c.merkle_hash) {
    return invalid_argument(std::string("config.merkle_hash: ") + merkle_hash_name(*c.merkle_hash) +
                            ", but zkwasm_preset \"" + c.farm.preset + "\" proves with " +
                            merkle_hash_name(preset->merkle_hash));
  }
  return Status::ok();
}

nlohmann::json config_to_json(const NodeConfig& c) {
  return {{"listen_host", c.listen_host},
          {"listen_port", c.listen_port},
          {"eth_rpc", c.eth_rpc},
          {"registry", c.registry},
          {"consensus", c.consensus},
          {"data_dir", c.data_dir},
          {"key_file", c.key_file},
          {"poll_ms", c.poll_ms},
          {"serve", c.serve},
          {"max_proof_bytes", c.max_proof_bytes},
          {"log_level", c.log_level},
          {"peer_listen_port", c.peer_listen_port},
          {"peers", c.peers},
          {"farm", c.farm.target},
          {"farm_api_key", c.farm.api_key.empty() ? "" : "(set)"},  // never printed
          {"farm_tls_ca", c.farm.tls_ca_file},
          {"zkwasm_preset", c.farm.preset},
          {"prove_timeout_s", c.farm.timeout_s},
          {"prove_retry_s", c.prove_retry_s},
          {"min_security_bits", c.min_security_bits},
          {"merkle_hash", c.merkle_hash ? merkle_hash_name(*c.merkle_hash) : "any"},
          {"process_window", c.chain.process_window},
          {"finality_depth", c.chain.finality_depth},
          {"max_operation_age", c.chain.max_operation_age},
          {"max_gas", c.admission.max_gas.to_decimal()},
          {"require_deposit", c.admission.require_deposit},
          {"sender_rate", {{"rate", c.admission.per_sender.rate}, {"burst", c.admission.per_sender.burst}}},
          {"peer_rate", {{"rate", c.admission.per_peer.rate}, {"burst", c.admission.per_peer.burst}}},
          {"verdict_rate", {{"rate", c.verdict_rate.rate}, {"burst", c.verdict_rate.burst}}},
          {"snarkjs", c.snarkjs},
          {"groth16_artifacts_dir", c.groth16_artifacts_dir},
          {"mempool_capacity", c.operation_pool.capacity},
          {"mempool_per_sender", c.operation_pool.per_sender},
          {"postop_capacity", c.post_op_pool.capacity},
          {"reputation_half_life_s", double(c.reputation.half_life_ms) / 1000},
          {"ban_s", double(c.reputation.ban_ms) / 1000}};
}

int64_t Node::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Node::log(const std::string& level, const std::string& event, nlohmann::json fields) {
  fields["event"] = event;
  fields["node"] = address_to_string(key_->address());
  std::string line = fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  spdlog::log(spdlog::level::from_str(level), "{}", line);
}

Result<std::unique_ptr<Node>> Node::create(NodeConfig config) {
  std::unique_ptr<Node> n(new Node());
  n->config_ = std::move(config);
  NodeConfig& c = n->config_;
  static std::once_flag once;
  std::call_once(once, [] {
    auto logger = spdlog::stderr_logger_mt("efaas-node");
    // One JSON object per line: {"ts":..., "level":..., <fields>}.
    logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","fields":%v})", spdlog::pattern_time_type::utc);
    spdlog::set_default_logger(logger);
  });
  spdlog::set_level(spdlog::level::from_str(c.log_level));

  auto registry = parse_address(c.registry, "config.registry");
  if (!registry) return registry.status();
  auto consensus = parse_address(c.consensus, "config.consensus");
  if (!consensus) return consensus.status();
  std::error_code ec;
  std::filesystem::create_directories(c.data_dir + "/modules", ec);
  if (ec) return internal_error("data_dir " + c.data_dir + ": " + ec.message());
  if (c.key_file.empty()) c.key_file = c.data_dir + "/node.key";
  auto key = PrivateKey::load_or_create(c.key_file);
  if (!key) return key.status();
  n->key_ = std::make_unique<PrivateKey>(*key);

  auto eth = EthClient::connect(c.eth_rpc);
  if (!eth) return eth.status();
  n->eth_ = std::move(*eth);
  auto chain_id = n->eth_->chain_id();
  if (!chain_id) return unavailable("cannot reach the Ethereum node at " + c.eth_rpc + ": " + chain_id.status().message());
  n->chain_id_ = *chain_id;
  auto code = n->eth_->get_code(*consensus);
  if (!code) return code.status();
  if (code->empty()) return invalid_argument("config.consensus: no contract at " + c.consensus);
  n->domain_ = {*chain_id, *consensus};
  n->registry_ = std::make_unique<RegistryClient>(*n->eth_, *registry);
  n->consensus_ = std::make_unique<ConsensusClient>(*n->eth_, *consensus);
  n->catalog_ = std::make_unique<ExtensionCatalog>(*n->registry_);
  std::set<Hash32> served;
  for (const auto& s : c.serve) {
    auto id = parse_hash32(s, "config.serve");
    if (!id) return id.status();
    served.insert(*id);
  }
  n->catalog_->set_served(served);
  EFAAS_RETURN_IF_ERROR(n->catalog_->refresh());
  n->chain_ = std::make_unique<ChainView>(*n->eth_, c.chain);

  auto store = Store::open(c.data_dir + "/node.db");
  if (!store) return store.status();
  n->store_ = std::move(*store);
  n->operations_ = std::make_unique<OperationPool>(*n->store_, c.operation_pool);
  n->post_ops_ = std::make_unique<PostOpPool>(*n->store_, c.post_op_pool);
  n->reputation_ = std::make_unique<Reputation>(*n->store_, c.reputation);
  EFAAS_RETURN_IF_ERROR(n->operations_->load());
  EFAAS_RETURN_IF_ERROR(n->post_ops_->load());
  EFAAS_RETURN_IF_ERROR(n->reputation_->load());
  // A proof interrupted by a restart starts again.
  for (const Hash32& h : n->operations_->with_status("proving")) {
    EFAAS_RETURN_IF_ERROR(n->operations_->set_status(h, "pending", "proving restarted after a node restart"));
  }
  auto verdicts = n->store_->load_verdicts();
  if (!verdicts) return verdicts.status();
  for (const auto& [id, body] : *verdicts) {
    auto v = decode_response(body);
    if (!v) return data_loss("stored verdict for " + hex0x(id) + ": " + v.status().message());
    n->verdicts_[id][v->responder_node_id] = *v;
  }
  auto evidence = n->store_->load_evidence();
  if (!evidence) return evidence.status();
  for (auto& e : *evidence) n->evidence_[e.id] = std::move(e);
  n->admission_ = std::make_unique<Admission>(c.admission, n->domain_, *n->catalog_, *n->chain_, *n->consensus_,
                                              *n->operations_, *n->reputation_);
  n->verify_limiter_ = std::make_unique<RateLimiter>(c.admission.per_peer);
  n->verdict_limiter_ = std::make_unique<RateLimiter>(c.verdict_rate);
  n->prover_ = std::make_unique<FarmProver>(c.farm);

  Metrics& m = n->metrics_;
  m.describe("efaas_node_operations_received_total", "counter", "Operations submitted, by admission outcome");
  m.describe("efaas_node_postops_received_total", "counter", "PostOps submitted, by verification outcome");
  m.describe("efaas_node_postops_dropped_total", "counter", "PostOps dropped because a re-org orphaned their block");
  m.describe("efaas_node_operation_pool_size", "gauge", "Operations in the mempool");
  m.describe("efaas_node_postop_pool_size", "gauge", "PostOps in the PostOp pool");
  m.describe("efaas_node_chain_head", "gauge", "Latest block number seen");
  m.describe("efaas_node_extensions", "gauge", "Extensions registered on-chain");
  m.describe("efaas_node_modules_fetched_total", "counter", "Extension modules fetched and checked, by result");
  m.describe("efaas_node_settlements_total", "counter", "submitBatch transactions sent as slot leader, by result");
  m.describe("efaas_node_rpc_requests_total", "counter", "JSON-RPC requests, by method");
  m.describe("efaas_node_proofs_total", "counter", "Served Operations proved through the farm, by result");
  m.describe("efaas_node_gossip_total", "counter", "Operations gossiped to peers, by result");
  m.describe("efaas_node_verdicts_gossiped_total", "counter", "Verdict batches sent to peers, by result");
  m.describe("efaas_node_slashing_evidence_total", "counter", "Slashing evidence found, by kind");
  m.describe("efaas_node_slashing_reports_total", "counter", "Slashing evidence reported on-chain, by result");
  m.describe("efaas_node_reruns_total", "counter", "Local re-runs of Operations answered by several PostOps, by result");
  n->log("info", "node_created",
         {{"chainId", *chain_id}, {"consensus", c.consensus}, {"operations", n->operations_->size()},
          {"postOps", n->post_ops_->size()}, {"extensions", n->catalog_->all().size()}});
  return n;
}

Node::~Node() { stop(); }

Status Node::start() {
  http_ = std::make_unique<httplib::Server>();
  http_->set_payload_max_length(config_.max_proof_bytes * 2 + (1 << 20));
  http_->Post("/", [this](const httplib::Request& req, httplib::Response& res) {
    auto j = nlohmann::json::parse(req.body, nullptr, false);
    nlohmann::json out;
    if (j.is_discarded()) {
      out = {{"jsonrpc", "2.0"}, {"id", nullptr}, {"error", {{"code", kParseError}, {"message", "parse error: body is not JSON"}}}};
    } else {
      out = handle(j);
    }
    if (out.is_null()) {
      res.status = 204;
      return;
    }
    res.set_content(out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
  });
  http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    metrics_.set("efaas_node_operation_pool_size", double(operations_->size()));
    metrics_.set("efaas_node_postop_pool_size", double(post_ops_->size()));
    res.set_content(metrics_.render(), "text/plain; version=0.0.4");
  });
  http_->Get("/health", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  if (config_.listen_port == 0) {
    port_ = http_->bind_to_any_port(config_.listen_host);
    if (port_ <= 0) return unavailable("cannot bind " + config_.listen_host);
  } else {
    if (!http_->bind_to_port(config_.listen_host, config_.listen_port)) {
      return unavailable("cannot bind " + config_.listen_host + ":" + std::to_string(config_.listen_port));
    }
    port_ = config_.listen_port;
  }
  if (config_.peer_listen_port >= 0) {
    PeerHandlers handlers;
    handlers.hello = [this] { return capability(); };
    // `from` is the authenticated peer (PeerAuth); the server checked it is rq.sender_node_id.
    handlers.verify = [this](const ProofVerificationRequest& rq,
                             const std::string& from) -> Result<ProofVerificationResponse> {
      if (rq.request_id != post_op_hash(domain_, rq.post_op)) {
        return invalid_argument("requestId is not the EIP-712 hash of the PostOp");
      }
      VerifyOutcome o = verify_post_op(rq.post_op, from, now_ms());
      if (!o.refused.empty()) {
        if (o.refused == "internal") return internal_error(o.message);
        Status st(o.refused == "peer_rate_limited" || o.refused == "peer_banned" ? StatusCode::kUnavailable
                                                                                 : StatusCode::kInvalidArgument,
                  o.refused + ": " + o.message);
        return st;
      }
      return o.response;
    };
    handlers.gossip_operation = [this](const Operation& op, const std::string& from,
                                       uint32_t hops) -> Result<Hash32> {
      AdmitOutcome o = admission_->admit(op, Source{from}, now_ms());
      metrics_.inc("efaas_node_operations_received_total", admit_code_name(o.code));
      log(o.accepted() ? "info" : "warn", "gossip_operation_" + std::string(admit_code_name(o.code)),
          {{"operation", hex0x(o.hash)}, {"peer", from}, {"hops", hops}, {"reason", o.message}});
      if (o.code == AdmitCode::kInternal) return internal_error(o.message);
      if (!o.accepted()) {
        const bool later = o.code == AdmitCode::kPeerRateLimited || o.code == AdmitCode::kSenderRateLimited ||
                           o.code == AdmitCode::kPoolFull;
        return Status(later ? StatusCode::kUnavailable : StatusCode::kInvalidArgument,
                      std::string(admit_code_name(o.code)) + ": " + o.message);
      }
      if (o.code != AdmitCode::kDuplicate && hops < kMaxGossipHops) {
        std::lock_guard<std::mutex> lock(peers_mu_);
        gossip_queue_.push_back({op, hops + 1, from, {}, 0});
      }
      if (o.code != AdmitCode::kDuplicate) prover_cv_.notify_all();
      return o.hash;
    };
    handlers.gossip_verdict = [this](const ProofVerificationResponse& v, const std::string& from, uint32_t hops) {
      return on_gossip_verdict(v, from, hops);
    };
    auto ps = PeerServer::start(config_.listen_host, config_.peer_listen_port, std::move(handlers));
    if (!ps) return ps.status();
    peer_server_ = std::move(*ps);
  }
  for (const auto& target : config_.peers) peers_.push_back(std::make_unique<PeerClient>(target, *key_));
  http_thread_ = std::thread([this] { http_->listen_after_bind(); });
  loop_thread_ = std::thread([this] {
    while (!stopping_) {
      tick();
      std::unique_lock<std::mutex> lock(loop_mu_);
      loop_cv_.wait_for(lock, std::chrono::milliseconds(config_.poll_ms), [this] { return stopping_.load(); });
    }
  });
  prover_thread_ = std::thread([this] {
    while (!stopping_) {
      prove_pending();
      std::unique_lock<std::mutex> lock(prover_mu_);
      prover_cv_.wait_for(lock, std::chrono::milliseconds(config_.poll_ms), [this] { return stopping_.load(); });
    }
  });
  log("info", "listening", {{"host", config_.listen_host}, {"port", port_}, {"peerPort", peer_port()}});
  return Status::ok();
}

void Node::stop() {
  if (stopping_.exchange(true)) return;
  loop_cv_.notify_all();
  prover_cv_.notify_all();
  if (http_) http_->stop();
  if (peer_server_) peer_server_->stop();
  if (http_thread_.joinable()) http_thread_.join();
  if (loop_thread_.joinable()) loop_thread_.join();
  if (prover_thread_.joinable()) prover_thread_.join();
}

void Node::tick() {
  // Registry: new Extensions, deprecations.
  if (Status s = catalog_->refresh(); !s.is_ok()) {
    log("warn", "registry_refresh_failed", {{"error", s.message()}});
    return;
  }
  auto extensions = catalog_->all();
  metrics_.set("efaas_node_extensions", double(extensions.size()));
  // Modules of served Extensions: fetched once, keccak256(wasm) checked against the id.
  for (const auto& e : extensions) {
    if (!catalog_->served(e.id) || e.mode != VerificationMode::kUniversal) continue;
    {
      std::lock_guard<std::mutex> lock(modules_mu_);
      if (modules_.count(e.id)) continue;
    }
    auto wasm = registry_->fetch_wasm(e.id);
    if (!wasm) {
      metrics_.inc("efaas_node_modules_fetched_total", "error");
      log("error", "module_fetch_failed", {{"extension", hex0x(e.id)}, {"error", wasm.status().message()}});
      continue;
    }
    std::ofstream(config_.data_dir + "/modules/" + hex0x(e.id).substr(2) + ".wasm", std::ios::binary)
        .write(reinterpret_cast<const char*>(wasm->data()), std::streamsize(wasm->size()));
    metrics_.inc("efaas_node_modules_fetched_total", "ok");
    std::lock_guard<std::mutex> lock(modules_mu_);
    modules_.insert(e.id);
    log("info", "module_fetched", {{"extension", hex0x(e.id)}, {"bytes", wasm->size()}});
  }
  // Processing runs on the prover thread (a proof takes long); wake it for new Operations.
  prover_cv_.notify_all();
  // Peers: capability exchange with those not yet greeted.
  for (const auto& peer : peers_) {
    {
      std::lock_guard<std::mutex> lock(peers_mu_);
      if (peer_capabilities_.count(peer->target())) continue;
    }
    auto cap = peer->hello(capability(), 2000);
    if (!cap) continue;  // not up yet: retried next pass
    log("info", "peer_hello", {{"peer", peer->target()}, {"address", address_to_string(cap->node)},
                               {"extensions", cap->extensions.size()}});
    std::lock_guard<std::mutex> lock(peers_mu_);
    peer_capabilities_[peer->target()] = *cap;
  }
  flush_gossip();
  settle_as_leader();
  submit_evidence();
  // Head, and the re-org sweep: PostOps whose ProcessedBlockHash left the canonical chain go.
  auto head = chain_->head();
  if (head) metrics_.set("efaas_node_chain_head", double(head->number));
  for (const Hash32& block : post_ops_->processed_blocks()) {
    BlockVerdict v = chain_->check_canonical(block);
    if (v.check != BlockCheck::kNotCanonical && v.check != BlockCheck::kUnknown) continue;
    auto dropped = post_ops_->drop_processed_block(block);
    if (!dropped) continue;
    metrics_.inc("efaas_node_postops_dropped_total", "", double(dropped->size()));
    for (const auto& d : *dropped) log("warn", "postop_dropped_reorg", {{"postOp", hex0x(d)}, {"block", hex0x(block)}});
  }
}

nlohmann::json Node::handle(const nlohmann::json& request) {
  if (request.is_array()) {
    if (request.empty()) {
      return {{"jsonrpc", "2.0"}, {"id", nullptr}, {"error", {{"code", kInvalidRequest}, {"message", "empty batch"}}}};
    }
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : request) {
      nlohmann::json one = handle(r);
      if (!one.is_null()) out.push_back(std::move(one));
    }
    return out.empty() ? nlohmann::json() : out;
  }
  nlohmann::json id = nullptr;
  try {
    if (!request.is_object()) fail(kInvalidRequest, "invalid request: expected a JSON object");
    if (request.contains("id")) {
      id = request["id"];
      if (!id.is_null() && !id.is_string() && !id.is_number()) {
        id = nullptr;
        fail(kInvalidRequest, "invalid request: id must be a string, number or null");
      }
    }
    if (request.value("jsonrpc", "") != "2.0") fail(kInvalidRequest, "invalid request: jsonrpc must be \"2.0\"");
    if (!request.contains("method") || !request["method"].is_string()) {
      fail(kInvalidRequest, "invalid request: method must be a string");
    }
    nlohmann::json params = request.value("params", nlohmann::json::array());
    if (!params.is_array()) fail(kInvalidParams, "params must be an array (positional, Ethereum style)");
    std::string method = request["method"];
    nlohmann::json result = dispatch(method, params);
    if (!request.contains("id")) return nullptr;  // notification
    return {{"jsonrpc", "2.0"}, {"id", id}, {"result", result}};
  } catch (const RpcError& e) {
    if (request.is_object() && !request.contains("id") && e.code != kInvalidRequest) return nullptr;
    nlohmann::json err = {{"code", e.code}, {"message", e.message}};
    if (!e.data.is_null()) err["data"] = e.data;
    return {{"jsonrpc", "2.0"}, {"id", id}, {"error", err}};
  } catch (const std::exception& e) {
    return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", kInternalError}, {"message", e.what()}}}};
  }
}

nlohmann::json Node::dispatch(const std::string& method, const nlohmann::json& params) {
  metrics_.inc("efaas_node_rpc_requests_total", method);
  if (method == "efaas_sendOperation") return send_operation(params);
  if (method == "efaas_getOperation") return get_operation(params);
  if (method == "efaas_getPostOps") return get_post_ops(params);
  if (method == "efaas_submitPostOp") return submit_post_op(params);
  if (method == "efaas_listExtensions") return list_extensions();
  if (method == "efaas_chain") return chain_info();
  if (method == "efaas_nodeInfo") return node_info();
  if (method == "efaas_reputation") return reputation_info(params);
  if (method == "efaas_slashingEvidence") return evidence_info();
  if (method == "web3_clientVersion") return kVersion;
  if (method == "eth_chainId") return U256::from_u64(chain_id_).to_quantity();
  fail(kMethodNotFound, "method '" + method + "' not found");
}

nlohmann::json Node::send_operation(const nlohmann::json& params) {
  auto op = operation_from_json(param(params, 0, "operation"));
  if (!op) fail(kInvalidParams, op.status().message());
  AdmitOutcome o = admission_->admit(*op, Source{}, now_ms());
  metrics_.inc("efaas_node_operations_received_total", admit_code_name(o.code));
  log(o.accepted() ? "info" : "warn", "operation_" + std::string(admit_code_name(o.code)),
      {{"operation", hex0x(o.hash)}, {"reason", o.message}});
  if (o.code == AdmitCode::kInternal) fail(kInternalError, o.message);
  if (!o.accepted()) fail(kRefused, std::string(admit_code_name(o.code)) + ": " + o.message,
                          {{"reason", admit_code_name(o.code)}, {"operationHash", hex0x(o.hash)}});
  if (o.code != AdmitCode::kDuplicate) {
    {
      std::lock_guard<std::mutex> lock(peers_mu_);
      gossip_queue_.push_back({*op, 1, "", {}, 0});
    }
    loop_cv_.notify_all();
    prover_cv_.notify_all();
  }
  return {{"operationHash", hex0x(o.hash)}, {"sender", address_to_string(o.sender)},
          {"duplicate", o.code == AdmitCode::kDuplicate}};
}

nlohmann::json Node::get_operation(const nlohmann::json& params) {
  Hash32 h = hash_param(params, 0, "operationHash");
  auto r = operations_->get(h);
  if (!r) return nullptr;
  nlohmann::json post_ops = nlohmann::json::array();
  for (const auto& p : post_ops_->for_operation(h)) post_ops.push_back(hex0x(p.hash));
  nlohmann::json out = {{"operationHash", hex0x(h)}, {"status", op_status_json_name(r->status)},
                        {"detail", r->detail}, {"sender", address_to_string(r->sender)},
                        {"receivedAt", r->received_ms}, {"source", r->source}, {"operation", to_json(r->op)},
                        {"postOps", post_ops}};
  std::lock_guard<std::mutex> lock(prover_mu_);
  if (auto it = prove_timings_.find(h); it != prove_timings_.end()) out["timings"] = it->second;
  return out;
}

nlohmann::json Node::get_post_ops(const nlohmann::json& params) {
  Hash32 h = hash_param(params, 0, "operationHash");
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : post_ops_->for_operation(h)) {
    nlohmann::json verdicts = nlohmann::json::array();
    {
      std::lock_guard<std::mutex> lock(verdicts_mu_);
      if (auto it = verdicts_.find(p.hash); it != verdicts_.end()) {
        for (const auto& [responder, v] : it->second) verdicts.push_back(to_json(v));
      }
    }
    out.push_back({{"postOpHash", hex0x(p.hash)}, {"postOp", to_json(p.post_op)}, {"receivedAt", p.received_ms},
                   {"source", p.source}, {"processedBlockNumber", p.processed_block_number}, {"verdicts", verdicts}});
  }
  return out;
}

Node::VerifyOutcome Node::verify_post_op(const PostOp& p, const std::string& peer, int64_t now) {
  VerifyOutcome out;
  auto refuse = [&](const std::string& reason, const std::string& message) {
    metrics_.inc("efaas_node_postops_received_total", reason);
    if (!peer.empty() && reason != "peer_banned" && reason != "peer_disconnected" && reason != "internal") {
      (void)reputation_->record("peer", peer, ReputationEvent::kRejected, now);
    }
    log("warn", "postop_refused", {{"reason", reason}, {"message", message}, {"peer", peer}});
    out.refused = reason;
    out.message = message;
    return out;
  };
  if (!peer.empty()) {
    Scores s = reputation_->scores("peer", peer, now);
    if (s.standing == Standing::kBanned) return refuse("peer_banned", "peer " + peer + " is banned");
    if (s.disconnect) {
      return refuse("peer_disconnected", "peer " + peer + " acceptance rate " + std::to_string(s.acceptance) +
                                             " is below " + std::to_string(config_.reputation.acceptance_min));
    }
    double scale = s.standing == Standing::kThrottled ? config_.reputation.throttle_scale : 1.0;
    if (!verify_limiter_->allow(peer, now, scale)) {
      return refuse("peer_rate_limited", "peer " + peer + " exceeded its verification-request rate limit" +
                                             (scale < 1 ? " (throttled: low reputation)" : ""));
    }
  }
  if (p.proof.size() > config_.max_proof_bytes) return refuse("proof_too_large", "proof above max_proof_bytes");
  auto ext = catalog_->find(p.extension_id);
  if (!ext) return refuse("unknown_extension", "extension " + hex0x(p.extension_id) + " is not registered");
  if (auto op = operations_->get(p.operation_hash); op && op->op.extension_id != p.extension_id) {
    return refuse("extension_mismatch", "the Operation it answers is for another Extension");
  }
  BlockVerdict bv = chain_->check_processed_block(p.processed_block_hash);
  if (bv.check == BlockCheck::kChainError) return refuse("internal", bv.message);
  if (!bv.ok()) return refuse(block_check_name(bv.check), bv.message);
  out.processed_block_number = bv.number;

  Hash32 request_id = post_op_hash(domain_, p);
  ProofVerificationResponse& resp = out.response;
  resp.request_id = request_id;
  resp.timestamp = uint64_t(now / 1000);
  if (ext->mode == VerificationMode::kCustom) {
    auto accepted = consensus_->check_proof(p.extension_id, p.proof, p.data);
    if (!accepted) {
      resp.verdict = Verdict::kError;
      resp.diagnostics = "checkProof failed: " + accepted.status().message();
    } else {
      resp.verdict = *accepted ? Verdict::kValid : Verdict::kInvalid;
      resp.diagnostics = *accepted ? "groth16 ok" : "groth16 proof rejected by the registered verifier";
    }
  } else {
    // Universal mode: the zkWASM bundle against the module whose keccak256 is the Extension id.
    auto program = program_for(p.extension_id);
    if (!program) {
      resp.verdict = Verdict::kError;
      resp.diagnostics = "zkwasm: cannot load the Extension's module: " + program.status().message();
    } else {
      // The proof must be of the Operation it answers: its public input is rebuilt from the
      // Operation (Data, To, the recovered sender) and the PostOp's ProcessedBlockHash.
      auto op = operations_->get(p.operation_hash);
      if (!op) {
        resp.verdict = Verdict::kError;
        resp.diagnostics = "zkwasm: the Operation " + hex0x(p.operation_hash) +
                           " is not known to this node, so the proof's public input cannot be checked";
      } else {
        const Bytes pub = wasm::encode_public_inputs(extension_input(op->op, op->sender, p.processed_block_hash));
        zkwasm::VerifyOptions vo;
        vo.min_security_bits = config_.min_security_bits;
        vo.merkle_hash = config_.merkle_hash;
        UniversalCheck c = check_universal(**program, p, vo, pub);
        resp.verdict = c.verdict;
        resp.diagnostics = c.diagnostics;
      }
    }
  }
  if (resp.verdict != Verdict::kError) {
    // Signing the opposite of a verdict we signed before is slashable (conflicting_verdicts): if our
    // check changed (e.g. min_security_bits after a restart), say so without an opinion.
    std::lock_guard<std::mutex> lock(verdicts_mu_);
    auto it = verdicts_.find(request_id);
    if (it != verdicts_.end()) {
      auto mine = it->second.find(key_->address());
      if (mine != it->second.end() && mine->second.verdict != resp.verdict) {
        resp.diagnostics = std::string("this node signed ") + verdict_name(mine->second.verdict) +
                           " on this PostOp before and its check now says " + verdict_name(resp.verdict) + " (" +
                           resp.diagnostics + "): no opinion";
        resp.verdict = Verdict::kError;
      }
    }
  }
  sign_response(domain_, *key_, resp);
  if (resp.verdict == Verdict::kInvalid) note_invalid_post_op(request_id, p);
  add_verdict(resp, "", 0);  // ours: kept, and gossiped so that the slot leader holds it
  if (resp.verdict != Verdict::kError) {
    ReputationEvent e = resp.verdict == Verdict::kValid ? ReputationEvent::kValidProof : ReputationEvent::kInvalidProof;
    if (!peer.empty()) (void)reputation_->record("peer", peer, e, now);
    (void)reputation_->record("extension", hex0x(p.extension_id), e, now);
  }
  // The request itself was well-formed and fresh: accepted. Proof quality counts in validity.
  if (!peer.empty()) (void)reputation_->record("peer", peer, ReputationEvent::kAccepted, now);
  if (resp.verdict == Verdict::kValid) {
    PostOpRecord rec{request_id, p, now, peer.empty() ? "user" : peer, bv.number};
    auto ins = post_ops_->insert(rec);
    if (!ins) return refuse("internal", ins.status().message());
    out.stored = *ins == InsertResult::kAdded || *ins == InsertResult::kDuplicate;
    if (*ins == InsertResult::kAdded && post_ops_->for_operation(p.operation_hash).size() >= 2) {
      rerun_and_compare(p.operation_hash);
    }
  }
  metrics_.inc("efaas_node_postops_received_total", verdict_name(resp.verdict));
  log("info", "postop_verified", {{"postOp", hex0x(request_id)}, {"verdict", verdict_name(resp.verdict)},
                                  {"peer", peer}, {"diagnostics", resp.diagnostics}});
  return out;
}

Result<Bytes> Node::module_bytes(const Hash32& id) {
  const std::string path = config_.data_dir + "/modules/" + hex0x(id).substr(2) + ".wasm";
  if (std::ifstream in(path, std::ios::binary); in) {
    Bytes b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (keccak(b) == id) return b;
    log("warn", "module_file_mismatch", {{"extension", hex0x(id)}, {"path", path}});
  }
  auto wasm = registry_->fetch_wasm(id);  // keccak256(wasm) == id enforced
  if (!wasm) return wasm.status();
  // Written aside and renamed: threads verifying concurrently never read a partial file.
  const std::string tmp = path + ".tmp" + std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
  std::ofstream(tmp, std::ios::binary).write(reinterpret_cast<const char*>(wasm->data()), std::streamsize(wasm->size()));
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return wasm;
}

Result<std::shared_ptr<zkwasm::Program>> Node::program_for(const Hash32& id) {
  return programs_.get(id, [&] { return module_bytes(id); });
}

void Node::prove_pending() {
  std::vector<Hash32> todo = operations_->pending();
  for (const Hash32& h : operations_->with_status("proving_retry")) todo.push_back(h);
  for (const Hash32& h : todo) {
    if (stopping_) return;
    auto r = operations_->get(h);
    if (!r || !catalog_->served(r->op.extension_id)) continue;
    {
      std::lock_guard<std::mutex> lock(prover_mu_);
      auto it = retry_at_ms_.find(h);
      if (it != retry_at_ms_.end() && now_ms() < it->second) continue;
    }
    auto ext = catalog_->find(r->op.extension_id);
    if (!ext) continue;
    std::string unavailable_why;
    if (ext->mode == VerificationMode::kCustom && (config_.snarkjs.empty() || config_.groth16_artifacts_dir.empty())) {
      unavailable_why = "Custom-mode (groth16) Extensions are proved with their circuit's witness generator and "
                        "zkey; this node has no circuit prover configured (config.snarkjs, "
                        "config.groth16_artifacts_dir)";
    } else if (config_.farm.target.empty()) {
      unavailable_why = "no farm configured (config.farm): this node cannot prove; the Operation stays queued";
    }
    if (!unavailable_why.empty()) {
      if (r->status != "proving_unavailable" && operations_->set_status(h, "proving_unavailable", unavailable_why).is_ok()) {
        log("warn", "proving_unavailable", {{"operation", hex0x(h)}, {"reason", unavailable_why}});
      }
      continue;
    }
    prove_operation(h);
  }
}

void Node::prove_operation(const Hash32& h) {
  auto r = operations_->get(h);
  if (!r) return;
  const Hash32 ext_id = r->op.extension_id;
  nlohmann::json timings = nlohmann::json::object();
  auto fail_with = [&](const Status& st, const std::string& stage) {
    // The farm down or the chain unreachable: try again later. Anything else is final.
    const bool retry = st.code() == StatusCode::kUnavailable;
    const std::string detail = stage + ": " + status_code_name(st.code()) + ": " + st.message();
    metrics_.inc("efaas_node_proofs_total", retry ? "retry" : "failed");
    if (retry) {
      std::lock_guard<std::mutex> lock(prover_mu_);
      retry_at_ms_[h] = now_ms() + int64_t(config_.prove_retry_s * 1000);
    }
    (void)operations_->set_status(
        h, retry ? "proving_retry" : "proving_failed",
        retry ? detail + " (retried in " + std::to_string(int(config_.prove_retry_s)) + " s)" : detail);
    log("warn", "proving_failed", {{"operation", hex0x(h)}, {"stage", stage}, {"error", st.message()},
                                   {"code", status_code_name(st.code())}, {"retry", retry}});
  };
  auto ext = catalog_->find(ext_id);
  if (!ext) return fail_with(invalid_argument("the Extension is no longer registered"), "registry");
  const bool custom = ext->mode == VerificationMode::kCustom;
  (void)operations_->set_status(h, "proving",
                                (custom ? "computing the circuit witness and proving it (groth16) on farm "
                                        : "running the Extension and streaming its trace to farm ") +
                                    config_.farm.target);
  // A recent block every node can check: the finalized one (freshness: within PROCESS_WINDOW).
  auto block = chain_->finalized();
  if (!block) return fail_with(unavailable(block.status().message()), "chain");
  auto bytes = module_bytes(ext_id);
  if (!bytes) return fail_with(bytes.status(), "module");
  Result<PostOp> p = invalid_argument("not proved");
  nlohmann::json log_fields;
  if (custom) {
    // Custom mode: the module is the circuit manifest; the PostOp is what the contract verifies.
    auto manifest = parse_circuit_manifest(*bytes);
    if (!manifest) return fail_with(manifest.status(), "circuit");
    auto wasm_bytes = find_artifact(config_.groth16_artifacts_dir, manifest->wasm, ".wasm");
    if (!wasm_bytes) return fail_with(wasm_bytes.status(), "circuit");
    auto zkey = find_artifact(config_.groth16_artifacts_dir, manifest->zkey, ".zkey");
    if (!zkey) return fail_with(zkey.status(), "circuit");
    Stopwatch wsw;
    auto wtns = calculate_witness(config_.snarkjs, *wasm_bytes,
                                  std::string_view(reinterpret_cast<const char*>(r->op.data.data()), r->op.data.size()));
    if (!wtns) return fail_with(wtns.status(), "witness");
    timings["witness"] = wsw.seconds();
    auto gp = prover_->prove_groth16(*zkey, *wtns);
    if (!gp) return fail_with(gp.status(), "farm");
    timings["farmProve"] = gp->prove_s;
    auto enc = contract_encoding(gp->proof_json);
    if (!enc) return fail_with(enc.status(), "proof");
    p = PostOp{h, ext_id, enc->proof, enc->data, block->hash};
    log_fields = {{"farmJob", gp->job_id}, {"witnessBytes", wtns->size()}, {"cached", gp->cached}};
  } else {
    auto program = program_for(ext_id);
    if (!program) return fail_with(program.status(), "module");
    auto fp = prover_->prove(*bytes, (*program)->module_ptr(), extension_input(r->op, r->sender, block->hash));
    if (!fp) return fail_with(fp.status(), "farm");
    timings["execute"] = fp->execute_s;
    timings["stream"] = fp->stream_s;
    timings["farmProve"] = fp->prove_s;
    nlohmann::json meta = {{"proofSystem", "zkwasm-stark"}, {"bundleVersion", zkwasm::kBundleVersion},
                           {"preset", config_.farm.preset}, {"farmJob", fp->job_id}, {"cached", fp->cached},
                           {"traceBytes", fp->trace_bytes}, {"instructions", fp->instructions}};
    p = make_universal_post_op(h, ext_id, fp->bundle, block->hash, meta.dump());
    if (!p) return fail_with(p.status(), "bundle");
    log_fields = {{"farmJob", fp->job_id}, {"instructions", fp->instructions}, {"traceBytes", fp->trace_bytes},
                  {"bundleBytes", fp->bundle.size()}};
  }
  // Self-check before anyone else sees it: the same verification every peer runs.
  Stopwatch sw;
  VerifyOutcome o = verify_post_op(*p, "", now_ms());
  timings["verify"] = sw.seconds();
  if (!o.refused.empty()) {
    return fail_with(Status(o.refused == "internal" ? StatusCode::kUnavailable : StatusCode::kInvalidArgument,
                            o.refused + ": " + o.message),
                     "local verification");
  }
  if (o.response.verdict != Verdict::kValid) {
    return fail_with(Status(o.response.verdict == Verdict::kError ? StatusCode::kInternal : StatusCode::kInvalidArgument,
                            std::string(verdict_name(o.response.verdict)) + ": " + o.response.diagnostics),
                     "local verification");
  }
  // The PostOp goes to the peers as verification requests: they verify, keep it, sign a verdict.
  sw.reset();
  nlohmann::json peers = collect_peer_verdicts(*p, o.response.request_id, now_ms());
  timings["peers"] = sw.seconds();
  size_t counted = 0;
  for (const auto& e : peers) counted += e.value("counted", false) ? 1 : 0;
  {
    std::lock_guard<std::mutex> lock(prover_mu_);
    prove_timings_[h] = timings;
    retry_at_ms_.erase(h);
  }
  metrics_.inc("efaas_node_proofs_total", "ok");
  (void)operations_->set_status(h, "proved",
                                "PostOp " + hex0x(o.response.request_id) + " (farm job " +
                                    log_fields["farmJob"].get<std::string>() + "), " +
                                    std::to_string(counted) + " of " + std::to_string(peers.size()) +
                                    " peers VALID");
  log_fields.update({{"operation", hex0x(h)}, {"postOp", hex0x(o.response.request_id)}, {"peerVerdicts", counted},
                     {"timings", timings}});
  log("info", "operation_proved", log_fields);
}

void Node::rerun_and_compare(const Hash32& operation_hash) {
  // Two PostOps answer one Operation: run it here and keep only the answers that match.
  auto op = operations_->get(operation_hash);
  auto posts = post_ops_->for_operation(operation_hash);
  if (!op || posts.empty()) {
    metrics_.inc("efaas_node_reruns_total", "operation_unknown");
    log("warn", "rerun_skipped", {{"operation", hex0x(operation_hash)}, {"reason", "the Operation is not here"}});
    return;
  }
  auto program = program_for(op->op.extension_id);
  if (!program) {
    metrics_.inc("efaas_node_reruns_total", "error");
    log("warn", "rerun_failed", {{"operation", hex0x(operation_hash)}, {"error", program.status().message()}});
    return;
  }
  const int64_t now = now_ms();
  for (const auto& rec : posts) {
    wasm::ExtensionConfig ec;
    ec.gas_limit = config_.farm.gas_limit;
    auto run = wasm::run_extension((*program)->module_ptr(),
                                   extension_input(op->op, op->sender, rec.post_op.processed_block_hash), ec);
    if (!run) {
      metrics_.inc("efaas_node_reruns_total", "error");
      log("warn", "rerun_failed", {{"operation", hex0x(operation_hash)}, {"error", run.status().message()}});
      return;
    }
    const bool agree = run->status == wasm::ExtensionResult::Status::kOk && rec.post_op.data == run->output;
    metrics_.inc("efaas_node_reruns_total", agree ? "agree" : "mismatch");
    if (agree) continue;
    (void)post_ops_->remove(rec.hash);
    if (rec.source != "user") (void)reputation_->record("peer", rec.source, ReputationEvent::kDisputeLost, now);
    log("warn", "rerun_mismatch", {{"operation", hex0x(operation_hash)}, {"postOp", hex0x(rec.hash)},
                                   {"source", rec.source}});
  }
}

nlohmann::json Node::collect_peer_verdicts(const PostOp& p, const Hash32& request_id, int64_t now) {
  nlohmann::json out = nlohmann::json::array();
  if (peers_.empty()) return out;
  ProofVerificationRequest rq;
  rq.request_id = request_id;
  rq.sender_node_id = key_->address();
  rq.operation_id = p.operation_hash;
  rq.post_op = p;
  rq.timestamp = uint64_t(now / 1000);
  rq.metadata = "{}";
  rq.request_hash = compute_request_hash(rq);
  for (const auto& peer : peers_) {
    nlohmann::json entry = {{"peer", peer->target()}};
    auto v = peer->verify(rq);
    if (!v) {
      entry["error"] = v.status().message();
      out.push_back(entry);
      continue;
    }
    entry["verdict"] = to_json(*v);
    Status sig = verify_response(domain_, *v);
    auto active = consensus_->is_active(v->responder_node_id);
    bool counted = sig.is_ok() && active && *active && v->verdict == Verdict::kValid;
    entry["counted"] = counted;
    if (sig.is_ok()) add_verdict(*v, address_to_string(v->responder_node_id), 0);
    if (!sig.is_ok()) entry["error"] = sig.message();
    else if (!active || !*active) entry["error"] = "responder " + address_to_string(v->responder_node_id) + " is not an active staked node";
    (void)reputation_->record("peer", address_to_string(v->responder_node_id),
                              counted ? ReputationEvent::kAvailable : ReputationEvent::kUnavailable, now);
    out.push_back(entry);
  }
  return out;
}

Capability Node::capability() {
  Capability c;
  c.chain_id = chain_id_;
  c.consensus = domain_.verifying_contract;
  for (const auto& e : catalog_->all()) {
    if (catalog_->served(e.id)) c.extensions.push_back(e.id);
  }
  c.proof_types = {"zkwasm-stark", "groth16"};
  c.max_proof_bytes = config_.max_proof_bytes;
  c.fee_schedule_json = nlohmann::json{{"maxGas", config_.admission.max_gas.to_decimal()}}.dump();
  c.timestamp = uint64_t(now_ms() / 1000);
  sign_capability(*key_, c);
  return c;
}

bool Node::add_verdict(const ProofVerificationResponse& v, const std::string& from, uint32_t hops) {
  if (v.verdict == Verdict::kError) return false;  // no opinion
  std::optional<EvidenceRecord> evidence;
  bool added = false;
  {
    std::lock_guard<std::mutex> lock(verdicts_mu_);
    auto& by = verdicts_[v.request_id];
    auto it = by.find(v.responder_node_id);
    if (it != by.end()) {
      if (it->second.verdict != v.verdict && v.responder_node_id == key_->address()) {
        // Our own view changed (e.g. min_security_bits after a restart): keep the first, never
        // report ourselves.
        log("warn", "own_verdict_changed", {{"postOp", hex0x(v.request_id)}, {"kept", verdict_name(it->second.verdict)}});
      } else if (it->second.verdict != v.verdict) {  // one node, one PostOp, VALID and INVALID: both signed
        evidence = EvidenceRecord{};
        evidence->kind = "conflicting_verdicts";
        evidence->verdicts = {encode(it->second), encode(v)};
      }
    } else {
      by[v.responder_node_id] = v;
      added = true;
      auto bad = invalid_post_ops_.find(v.request_id);
      if (v.verdict == Verdict::kValid && v.responder_node_id != key_->address() && bad != invalid_post_ops_.end()) {
        evidence = EvidenceRecord{};
        evidence->kind = "invalid_proof_verdict";
        evidence->verdicts = {encode(v)};
        evidence->post_op = encode(bad->second);
      }
    }
  }
  if (evidence) {
    evidence->offender = v.responder_node_id;
    evidence->request_id = v.request_id;
    record_evidence(std::move(*evidence));
  }
  if (!added) return false;
  if (Status s = store_->put_verdict(v.request_id, v.responder_node_id, encode(v)); !s.is_ok()) {
    log("error", "verdict_store_failed", {{"error", s.message()}});
  }
  if (hops < kMaxGossipHops && !peers_.empty()) {
    std::lock_guard<std::mutex> lock(peers_mu_);
    verdict_queue_.push_back({v, hops + 1, from});
  }
  return true;
}

void Node::flush_gossip() {
  std::vector<GossipItem> items;
  std::map<std::string, Capability> caps;
  {
    std::lock_guard<std::mutex> lock(peers_mu_);
    items.swap(gossip_queue_);
    caps = peer_capabilities_;
  }
  std::vector<GossipItem> later;
  for (auto& item : items) {
    bool waiting = false;
    for (const auto& peer : peers_) {
      if (item.done.count(peer->target())) continue;
      auto cap = caps.find(peer->target());
      if (cap == caps.end()) {  // not greeted yet: its interests are unknown, ask again next pass
        waiting = true;
        continue;
      }
      item.done.insert(peer->target());
      if (address_to_string(cap->second.node) == item.from) continue;
      const auto& exts = cap->second.extensions;
      if (std::find(exts.begin(), exts.end(), item.op.extension_id) == exts.end()) continue;
      Status s = peer->gossip(item.op, item.hops);
      metrics_.inc("efaas_node_gossip_total", s.is_ok() ? "ok" : "refused");
      log(s.is_ok() ? "info" : "warn", "operation_gossiped",
          {{"peer", peer->target()}, {"extension", hex0x(item.op.extension_id)}, {"hops", item.hops},
           {"error", s.is_ok() ? "" : s.message()}});
    }
    if (waiting && ++item.passes < kGossipPasses) later.push_back(std::move(item));
  }
  if (!later.empty()) {
    std::lock_guard<std::mutex> lock(peers_mu_);
    for (auto& item : later) gossip_queue_.push_back(std::move(item));
  }
  // Verdicts go to every greeted peer (not back to the one they came from, nor to their signer),
  // so whichever node leads the slot holds them; receivers deduplicate by (request, responder).
  std::vector<VerdictItem> verdicts;
  {
    std::lock_guard<std::mutex> lock(peers_mu_);
    verdicts.swap(verdict_queue_);
  }
  if (verdicts.empty()) return;
  for (const auto& peer : peers_) {
    auto cap = caps.find(peer->target());
    if (cap == caps.end()) continue;  // not greeted: it asks us for verdicts it lacks by Verify
    std::map<uint32_t, std::vector<ProofVerificationResponse>> by_hops;
    for (const auto& item : verdicts) {
      if (address_to_string(cap->second.node) == item.from || cap->second.node == item.verdict.responder_node_id) continue;
      by_hops[item.hops].push_back(item.verdict);
    }
    for (const auto& [hops, batch] : by_hops) {
      Status s = peer->gossip_verdicts(batch, hops);
      metrics_.inc("efaas_node_verdicts_gossiped_total", s.is_ok() ? "ok" : "refused");
      log(s.is_ok() ? "info" : "warn", "verdicts_gossiped",
          {{"peer", peer->target()}, {"verdicts", batch.size()}, {"hops", hops}, {"error", s.is_ok() ? "" : s.message()}});
    }
  }
}

Result<Hash32> Node::on_gossip_verdict(const ProofVerificationResponse& v, const std::string& from, uint32_t hops) {
  const int64_t now = now_ms();
  Scores sc = reputation_->scores("peer", from, now);
  if (sc.standing == Standing::kBanned) return unavailable("peer_banned: peer " + from + " is banned");
  if (sc.disconnect) return unavailable("peer_disconnected: peer " + from + " acceptance rate is too low");
  const double scale = sc.standing == Standing::kThrottled ? config_.reputation.throttle_scale : 1.0;
  if (!verdict_limiter_->allow(from, now, scale)) {
    (void)reputation_->record("peer", from, ReputationEvent::kRejected, now);
    return unavailable("peer_rate_limited: peer " + from + " exceeded its verdict gossip rate limit" +
                       (scale < 1 ? " (throttled: low reputation)" : ""));
  }
  if (Status sig = verify_response(domain_, v); !sig.is_ok()) {
    (void)reputation_->record("peer", from, ReputationEvent::kRejected, now);
    return invalid_argument("bad_verdict_signature: " + sig.message());
  }
  (void)reputation_->record("peer", from, ReputationEvent::kAccepted, now);
  // ERROR is no opinion: acknowledged, not kept.
  if (v.verdict != Verdict::kError && add_verdict(v, from, hops)) {
    log("info", "verdict_received", {{"peer", from}, {"postOp", hex0x(v.request_id)},
                                     {"responder", address_to_string(v.responder_node_id)},
                                     {"verdict", verdict_name(v.verdict)}, {"hops", hops}});
  }
  return response_hash(domain_, v);
}

void Node::note_invalid_post_op(const Hash32& request_id, const PostOp& p) {
  constexpr size_t kKeep = 1024;
  std::vector<EvidenceRecord> found;
  {
    std::lock_guard<std::mutex> lock(verdicts_mu_);
    if (invalid_post_ops_.emplace(request_id, p).second) invalid_order_.push_back(request_id);
    while (invalid_order_.size() > kKeep) {
      invalid_post_ops_.erase(invalid_order_.front());
      invalid_order_.pop_front();
    }
    // VALID verdicts others signed on it before we saw it.
    if (auto it = verdicts_.find(request_id); it != verdicts_.end()) {
      for (const auto& [responder, v] : it->second) {
        if (v.verdict != Verdict::kValid || responder == key_->address()) continue;
        EvidenceRecord e;
        e.kind = "invalid_proof_verdict";
        e.offender = responder;
        e.request_id = request_id;
        e.verdicts = {encode(v)};
        e.post_op = encode(p);
        found.push_back(std::move(e));
      }
    }
  }
  for (auto& e : found) record_evidence(std::move(e));
}

void Node::record_evidence(EvidenceRecord e) {
  const int64_t now = now_ms();
  ByteWriter w;
  w.raw(e.kind);
  w.bytes(e.offender);
  w.bytes(e.request_id);
  e.id = keccak(w.buffer());
  e.status = "pending";
  e.detail = "";
  e.created_ms = now;
  {
    std::lock_guard<std::mutex> lock(evidence_mu_);
    if (evidence_.count(e.id)) return;
    if (Status s = store_->put_evidence(e); !s.is_ok()) {
      log("error", "evidence_store_failed", {{"error", s.message()}});
      return;
    }
    evidence_[e.id] = e;
  }
  (void)reputation_->record("peer", address_to_string(e.offender), ReputationEvent::kDisputeLost, now);
  metrics_.inc("efaas_node_slashing_evidence_total", e.kind);
  log("warn", "slashing_evidence", {{"kind", e.kind}, {"offender", address_to_string(e.offender)},
                                    {"postOp", hex0x(e.request_id)}, {"evidence", hex0x(e.id)}});
  loop_cv_.notify_all();
}

namespace {
// The ConsensusContract's slashing errors by selector, to say why a report was refused.
std::string slash_error_name(const std::string& message) {
  static const std::vector<std::string> kErrors = {
      "EvidenceAlreadyUsed(bytes32)", "NothingToSlash(address)", "NotConflicting()", "BadSignature()",
      "ProofIsValid()", "NotValidVerdict()", "NotOnChainVerifiable(bytes32)", "WrongRequestId(bytes32,bytes32)"};
  for (const auto& e : kErrors) {
    Hash32 h = keccak(std::string_view(e));
    if (message.find(hex0x(std::span<const uint8_t>(h.data(), 4))) != std::string::npos) return e.substr(0, e.find('('));
  }
  return "";
}
}  // namespace

void Node::submit_evidence() {
  std::vector<EvidenceRecord> todo;
  {
    std::lock_guard<std::mutex> lock(evidence_mu_);
    for (const auto& [id, e] : evidence_) {
      if (e.status == "pending") todo.push_back(e);
    }
  }
  auto set = [&](const EvidenceRecord& e, const std::string& status, const std::string& detail) {
    (void)store_->set_evidence_status(e.id, status, detail);
    {
      std::lock_guard<std::mutex> lock(evidence_mu_);
      evidence_[e.id].status = status;
      evidence_[e.id].detail = detail;
    }
    metrics_.inc("efaas_node_slashing_reports_total", status);
    log(status == "submitted" ? "info" : "warn", "slashing_report",
        {{"evidence", hex0x(e.id)}, {"kind", e.kind}, {"status", status}, {"detail", detail}});
  };
  for (const auto& e : todo) {
    std::vector<ProofVerificationResponse> vs;
    for (const auto& b : e.verdicts) {
      auto v = decode_response(b);
      if (v) vs.push_back(*v);
    }
    Bytes data;
    if (e.kind == "conflicting_verdicts" && vs.size() == 2) {
      data = encode_slash_conflicting(vs[0], vs[1]);
    } else if (e.kind == "invalid_proof_verdict" && vs.size() == 1) {
      auto p = decode_post_op(e.post_op);
      if (!p) {
        set(e, "recorded", "stored PostOp does not decode: " + p.status().message());
        continue;
      }
      auto ext = catalog_->find(p->extension_id);
      if (!ext || ext->mode != VerificationMode::kCustom) {
        set(e, "recorded",
            "zkWASM PostOps are verified off-chain: the ConsensusContract has no entry point for this evidence "
            "(slashInvalidProofVerdict checks groth16 proofs only); kept here and served by efaas_slashingEvidence");
        continue;
      }
      data = encode_slash_invalid_proof(*p, vs[0]);
    } else {
      set(e, "recorded", "malformed evidence record");
      continue;
    }
    // Estimated first: a report someone else already made (EvidenceAlreadyUsed) costs no gas. The
    // estimate matters: a failing pairing precompile burns the gas it is given, so the contract
    // needs far more than the report's nominal cost to survive a rejected groth16 proof.
    auto gas = eth_->estimate_gas(key_->address(), domain_.verifying_contract, data);
    if (!gas) {
      if (gas.status().code() == StatusCode::kUnavailable) return;  // the chain is down: next pass
      std::string name = slash_error_name(gas.status().message());
      set(e, "refused_on_chain", (name.empty() ? "" : name + ": ") + gas.status().message());
      continue;
    }
    auto receipt = eth_->transact(*key_, domain_.verifying_contract, data, *gas + *gas / 4);
    if (!receipt) {
      log("warn", "slashing_report_retry", {{"evidence", hex0x(e.id)}, {"error", receipt.status().message()}});
      return;
    }
    if (!receipt->success) {
      set(e, "refused_on_chain", "reverted in block " + std::to_string(receipt->block_number));
      continue;
    }
    set(e, "submitted", "tx " + hex0x(receipt->tx_hash) + " in block " + std::to_string(receipt->block_number));
  }
}

nlohmann::json Node::evidence_info() {
  nlohmann::json out = nlohmann::json::array();
  std::lock_guard<std::mutex> lock(evidence_mu_);
  std::vector<const EvidenceRecord*> all;
  for (const auto& [id, e] : evidence_) all.push_back(&e);
  std::sort(all.begin(), all.end(), [](auto* a, auto* b) { return a->created_ms < b->created_ms; });
  for (const auto* e : all) {
    nlohmann::json verdicts = nlohmann::json::array();
    for (const auto& b : e->verdicts) {
      if (auto v = decode_response(b); v) verdicts.push_back(to_json(*v));
    }
    nlohmann::json j = {{"id", hex0x(e->id)}, {"kind", e->kind}, {"offender", address_to_string(e->offender)},
                        {"postOpHash", hex0x(e->request_id)}, {"verdicts", verdicts}, {"status", e->status},
                        {"detail", e->detail}, {"createdAt", e->created_ms}};
    if (auto p = decode_post_op(e->post_op); !e->post_op.empty() && p) j["postOp"] = to_json(*p);
    out.push_back(std::move(j));
  }
  return out;
}

void Node::settle_as_leader() {
  auto head = chain_->head();
  auto sp = consensus_->slot_params();
  auto active = consensus_->active_nodes();
  auto quorum = consensus_->quorum();
  if (!head || !sp || !active || !quorum) return;
  // The batch lands in the next block (the one our transaction is mined in).
  uint64_t slot = slot_of(*sp, head->number + 1);
  auto leader = elect_leader(chain_id_, domain_.verifying_contract, slot, *active);
  if (!leader || *leader != key_->address()) return;
  std::set<Address> active_set(active->begin(), active->end());
  std::vector<SettlementEntry> batch;
  std::vector<Hash32> ops;
  {
    std::lock_guard<std::mutex> lock(verdicts_mu_);
    for (const auto& [request_id, by_responder] : verdicts_) {
      auto rec = post_ops_->get(request_id);
      if (!rec) continue;
      auto op = operations_->get(rec->post_op.operation_hash);
      if (!op || settled_.count(op->hash) || op->op.extension_id != rec->post_op.extension_id) continue;
      // Several PostOps may answer one Operation (re-run above): one settlement per Operation.
      if (std::find(ops.begin(), ops.end(), op->hash) != ops.end()) continue;
      SettlementEntry e;
      for (const auto& [responder, v] : by_responder) {  // std::map: ascending addresses
        if (active_set.count(responder) && v.verdict == Verdict::kValid) e.verdicts.push_back(v);
      }
      if (e.verdicts.size() < *quorum) continue;
      auto done = consensus_->settled(op->hash);
      if (!done || *done) {
        if (done && *done) settled_.insert(op->hash);
        continue;
      }
      e.op = op->op;
      e.post_op = rec->post_op;
      e.fee = max_fee_of(op->op);  // the node charges the user's maximum
      batch.push_back(std::move(e));
      ops.push_back(op->hash);
    }
  }
  if (batch.empty()) return;
  auto receipt = eth_->transact(*key_, domain_.verifying_contract, encode_submit_batch(slot, batch), 5'000'000);
  bool ok = receipt && receipt->success;
  metrics_.inc("efaas_node_settlements_total", ok ? "ok" : "failed");
  if (!ok) {
    log("warn", "settlement_failed", {{"slot", slot}, {"entries", batch.size()},
                                      {"error", receipt ? std::string("reverted") : receipt.status().message()}});
    return;
  }
  for (size_t i = 0; i < ops.size(); ++i) {
    settled_.insert(ops[i]);
    std::string signers;
    for (const auto& v : batch[i].verdicts) signers += (signers.empty() ? "" : ", ") + address_to_string(v.responder_node_id);
    (void)operations_->set_status(ops[i], "settled",
                                  "settled in block " + std::to_string(receipt->block_number) + " by this node (slot " +
                                      std::to_string(slot) + " leader) with VALID verdicts from " + signers);
  }
  log("info", "batch_settled", {{"slot", slot}, {"entries", batch.size()}, {"block", receipt->block_number},
                                {"tx", hex0x(receipt->tx_hash)}});
}

nlohmann::json Node::submit_post_op(const nlohmann::json& params) {
  const int64_t now = now_ms();
  auto p = post_op_from_json(param(params, 0, "postOp"));
  if (!p) fail(kInvalidParams, p.status().message());
  std::string peer;
  if (params.size() > 1) {
    if (!params[1].is_string()) fail(kInvalidParams, "peer: expected the sending node's address");
    auto a = parse_address(params[1].get<std::string>(), "peer");
    if (!a) fail(kInvalidParams, a.status().message());
    peer = address_to_string(*a);
  }
  VerifyOutcome o = verify_post_op(*p, peer, now);
  if (o.refused == "internal") fail(kInternalError, o.message);
  if (!o.refused.empty()) fail(kRefused, o.refused + ": " + o.message, {{"reason", o.refused}});
  nlohmann::json out = to_json(o.response);
  out["stored"] = o.stored;
  out["processedBlockNumber"] = o.processed_block_number;
  // A PostOp this node vouches for (from a user, not relayed by a peer): ask the peers.
  if (peer.empty() && o.response.verdict == Verdict::kValid) {
    out["peerVerdicts"] = collect_peer_verdicts(*p, o.response.request_id, now);
  }
  return out;
}

nlohmann::json Node::list_extensions() {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : catalog_->all()) {
    out.push_back({{"id", hex0x(e.id)},
                   {"mode", e.mode == VerificationMode::kUniversal ? "universal" : "custom"},
                   {"deprecated", e.deprecated},
                   {"verifierContract", address_to_string(e.verifier_contract)},
                   {"served", catalog_->served(e.id)}});
  }
  return out;
}

nlohmann::json Node::chain_info() {
  auto head = chain_->head();
  if (!head) fail(kInternalError, head.status().message());
  auto fin = chain_->finalized();
  if (!fin) fail(kInternalError, fin.status().message());
  nlohmann::json out = {{"chainId", chain_id_},
                        {"head", {{"number", head->number}, {"hash", hex0x(head->hash)}}},
                        {"finalized", {{"number", fin->number}, {"hash", hex0x(fin->hash)}}},
                        {"processWindow", config_.chain.process_window},
                        {"consensus", address_to_string(domain_.verifying_contract)}};
  auto sp = consensus_->slot_params();
  auto active = consensus_->active_nodes();
  if (sp && active) {
    uint64_t slot = slot_of(*sp, head->number);
    out["slot"] = slot;
    out["activeNodes"] = active->size();
    auto leader = elect_leader(chain_id_, domain_.verifying_contract, slot, *active);
    out["leader"] = leader ? nlohmann::json(address_to_string(*leader)) : nlohmann::json(nullptr);
    out["isLeader"] = leader && *leader == key_->address();
  }
  return out;
}

nlohmann::json Node::node_info() {
  nlohmann::json served = nlohmann::json::array();
  for (const auto& e : catalog_->all()) {
    if (catalog_->served(e.id)) served.push_back(hex0x(e.id));
  }
  // The capability advertisement peers exchange on connect (issue 8).
  return {{"address", address_to_string(key_->address())},
          {"version", kVersion},
          {"chainId", chain_id_},
          {"capabilities",
           {{"extensions", served},
            {"proofTypes", {"zkwasm-stark", "groth16"}},
            {"maxProofSize", config_.max_proof_bytes},
            {"feeSchedule", {{"maxGas", config_.admission.max_gas.to_decimal()}}}}},
          {"peerPort", peer_port()},
          {"peers", [this] {
             std::lock_guard<std::mutex> lock(peers_mu_);
             nlohmann::json ps = nlohmann::json::array();
             for (const auto& [target, cap] : peer_capabilities_) {
               nlohmann::json exts = nlohmann::json::array();
               for (const auto& e : cap.extensions) exts.push_back(hex0x(e));
               ps.push_back({{"target", target}, {"address", address_to_string(cap.node)}, {"extensions", exts},
                             {"proofTypes", cap.proof_types}, {"maxProofSize", cap.max_proof_bytes}});
             }
             return ps;
           }()},
          {"unimplemented", {"peer discovery", "fetching groth16 circuit files (they are found locally by hash)"}}};
}

nlohmann::json Node::reputation_info(const nlohmann::json& params) {
  const auto& kind = param(params, 0, "kind");
  const auto& key = param(params, 1, "key");
  if (!kind.is_string() || (kind != "peer" && kind != "extension")) fail(kInvalidParams, "kind: \"peer\" or \"extension\"");
  if (!key.is_string()) fail(kInvalidParams, "key: expected a string");
  std::string k = key.get<std::string>();
  if (kind == "peer") {
    auto a = parse_address(k, "key");
    if (!a) fail(kInvalidParams, a.status().message());
    k = address_to_string(*a);
  } else {
    auto h = parse_hash32(k, "key");
    if (!h) fail(kInvalidParams, h.status().message());
    k = hex0x(*h);
  }
  Scores s = reputation_->scores(kind, k, now_ms());
  return {{"validity", s.validity}, {"acceptance", s.acceptance}, {"availability", s.availability},
          {"dispute", s.dispute}, {"standing", standing_name(s.standing)}, {"disconnect", s.disconnect},
          {"blacklistedUntil", s.blacklisted_until_ms}};
}

}  // namespace efaas::node
