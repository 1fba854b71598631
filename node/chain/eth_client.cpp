#include "node/chain/eth_client.hpp"

#include <httplib.h>

#include <chrono>
#include <thread>

namespace efaas::node {
namespace {

Result<BlockHeader> parse_block(const nlohmann::json& j, std::string_view what) {
  if (!j.is_object()) return invalid_argument(std::string(what) + ": block is not an object");
  BlockHeader b;
  auto n = parse_quantity_u64(j.value("number", nlohmann::json()), std::string(what) + ".number");
  if (!n) return n.status();
  b.number = *n;
  auto t = parse_quantity_u64(j.value("timestamp", nlohmann::json()), std::string(what) + ".timestamp");
  if (!t) return t.status();
  b.timestamp = *t;
  for (auto [key, field] : {std::pair{"hash", &b.hash}, std::pair{"parentHash", &b.parent_hash}}) {
    if (!j.contains(key) || !j[key].is_string()) return invalid_argument(std::string(what) + "." + key + " missing");
    auto h = parse_hash32(j[key].get<std::string>(), std::string(what) + "." + key);
    if (!h) return h.status();
    *field = *h;
  }
  return b;
}

}  // namespace

Result<uint64_t> parse_quantity_u64(const nlohmann::json& j, std::string_view what) {
  if (!j.is_string()) return invalid_argument(std::string(what) + ": expected a hex quantity string");
  auto v = U256::parse(j.get<std::string>(), what);
  if (!v) return v.status();
  if (!v->fits_u64()) return out_of_range(std::string(what) + ": exceeds 64 bits");
  return v->low_u64();
}

Result<std::unique_ptr<EthClient>> EthClient::connect(const std::string& url, int timeout_ms) {
  // scheme://host:port[/path]
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos || url.substr(0, scheme_end) != "http") {
    return invalid_argument("eth rpc url '" + url + "': expected http://host:port");
  }
  auto path_start = url.find('/', scheme_end + 3);
  std::unique_ptr<EthClient> c(new EthClient());
  std::string base = path_start == std::string::npos ? url : url.substr(0, path_start);
  c->path_ = path_start == std::string::npos ? "/" : url.substr(path_start);
  c->http_ = std::make_unique<httplib::Client>(base);
  if (!c->http_->is_valid()) return invalid_argument("eth rpc url '" + url + "': not a valid address");
  c->http_->set_connection_timeout(std::chrono::milliseconds(timeout_ms));
  c->http_->set_read_timeout(std::chrono::milliseconds(timeout_ms));
  c->http_->set_write_timeout(std::chrono::milliseconds(timeout_ms));
  return c;
}

EthClient::~EthClient() = default;

Result<nlohmann::json> EthClient::call(const std::string& method, const nlohmann::json& params) {
  std::string body;
  httplib::Result res{nullptr, httplib::Error::Unknown};
  {
    std::lock_guard<std::mutex> lock(mu_);
    body = nlohmann::json{{"jsonrpc", "2.0"}, {"id", next_id_++}, {"method", method}, {"params", params}}.dump();
    res = http_->Post(path_, body, "application/json");
  }
  if (!res) return unavailable(method + ": HTTP transport error: " + httplib::to_string(res.error()));
  if (res->status != 200) return unavailable(method + ": HTTP status " + std::to_string(res->status));
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return internal_error(method + ": response is not a JSON object");
  if (j.contains("error")) {
    const auto& e = j["error"];
    std::string msg = e.is_object() ? e.value("message", e.dump()) : e.dump();
    // A revert's data (the custom error's selector and arguments) names why: keep it.
    if (e.is_object() && e.contains("data")) {
      const auto& d = e["data"];
      if (d.is_string()) msg += " (data " + d.get<std::string>() + ")";
      else if (d.is_object() && d.contains("result") && d["result"].is_string()) msg += " (data " + d["result"].get<std::string>() + ")";
    }
    return invalid_argument(method + ": JSON-RPC error: " + msg);
  }
  if (!j.contains("result")) return internal_error(method + ": response has neither result nor error");
  return j["result"];
}

Result<uint64_t> EthClient::chain_id() {
  auto r = call("eth_chainId", nlohmann::json::array());
  if (!r) return r.status();
  return parse_quantity_u64(*r, "eth_chainId");
}

Result<uint64_t> EthClient::block_number() {
  auto r = call("eth_blockNumber", nlohmann::json::array());
  if (!r) return r.status();
  return parse_quantity_u64(*r, "eth_blockNumber");
}

Result<BlockHeader> EthClient::block_by_tag(const std::string& tag) {
  auto r = call("eth_getBlockByNumber", {tag, false});
  if (!r) return r.status();
  if (r->is_null()) return invalid_argument("eth_getBlockByNumber(" + tag + "): no such block");
  return parse_block(*r, "eth_getBlockByNumber(" + tag + ")");
}

Result<BlockHeader> EthClient::block_by_number(uint64_t number) {
  return block_by_tag(U256::from_u64(number).to_quantity());
}

Result<std::optional<BlockHeader>> EthClient::block_by_hash(const Hash32& hash) {
  auto r = call("eth_getBlockByHash", {hex0x(hash), false});
  if (!r) return r.status();
  if (r->is_null()) return std::optional<BlockHeader>();
  auto b = parse_block(*r, "eth_getBlockByHash");
  if (!b) return b.status();
  return std::optional<BlockHeader>(*b);
}

Result<Bytes> EthClient::eth_call(const Address& to, std::span<const uint8_t> data, const std::string& block) {
  auto r = call("eth_call", {{{"to", hex0x(to)}, {"data", hex0x(data)}}, block});
  if (!r) return r.status();
  if (!r->is_string()) return internal_error("eth_call: result is not a hex string");
  return parse_hex(r->get<std::string>(), "eth_call result");
}

Result<uint64_t> EthClient::estimate_gas(const Address& from, const Address& to, std::span<const uint8_t> data) {
  auto r = call("eth_estimateGas", {{{"from", hex0x(from)}, {"to", hex0x(to)}, {"data", hex0x(data)}}});
  if (!r) return r.status();
  return parse_quantity_u64(*r, "eth_estimateGas");
}

Result<Bytes> EthClient::get_code(const Address& a, const std::string& block) {
  auto r = call("eth_getCode", {hex0x(a), block});
  if (!r) return r.status();
  if (!r->is_string()) return internal_error("eth_getCode: result is not a hex string");
  return parse_hex(r->get<std::string>(), "eth_getCode result");
}

Result<uint64_t> EthClient::transaction_count(const Address& a, const std::string& block) {
  auto r = call("eth_getTransactionCount", {hex0x(a), block});
  if (!r) return r.status();
  return parse_quantity_u64(*r, "eth_getTransactionCount");
}

Result<U256> EthClient::gas_price() {
  auto r = call("eth_gasPrice", nlohmann::json::array());
  if (!r) return r.status();
  if (!r->is_string()) return internal_error("eth_gasPrice: result is not a quantity");
  return U256::parse(r->get<std::string>(), "eth_gasPrice");
}

Result<U256> EthClient::balance(const Address& a) {
  auto r = call("eth_getBalance", {hex0x(a), "latest"});
  if (!r) return r.status();
  if (!r->is_string()) return internal_error("eth_getBalance: result is not a quantity");
  return U256::parse(r->get<std::string>(), "eth_getBalance");
}

Result<Hash32> EthClient::send_raw_transaction(std::span<const uint8_t> raw) {
  auto r = call("eth_sendRawTransaction", {hex0x(raw)});
  if (!r) return r.status();
  if (!r->is_string()) return internal_error("eth_sendRawTransaction: result is not a hash");
  return parse_hash32(r->get<std::string>(), "eth_sendRawTransaction result");
}

Result<std::optional<TxReceipt>> EthClient::receipt(const Hash32& tx) {
  auto r = call("eth_getTransactionReceipt", {hex0x(tx)});
  if (!r) return r.status();
  if (r->is_null()) return std::optional<TxReceipt>();
  TxReceipt out;
  out.tx_hash = tx;
  auto n = parse_quantity_u64(r->value("blockNumber", nlohmann::json()), "receipt.blockNumber");
  if (!n) return n.status();
  out.block_number = *n;
  auto st = parse_quantity_u64(r->value("status", nlohmann::json()), "receipt.status");
  if (!st) return st.status();
  out.success = *st == 1;
  auto g = parse_quantity_u64(r->value("gasUsed", nlohmann::json()), "receipt.gasUsed");
  if (!g) return g.status();
  out.gas_used = *g;
  return std::optional<TxReceipt>(out);
}

Result<TxReceipt> EthClient::wait_receipt(const Hash32& tx, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto r = receipt(tx);
    if (!r) return r.status();
    if (r->has_value()) return **r;
    if (std::chrono::steady_clock::now() > deadline) {
      return unavailable("transaction " + hex0x(tx) + ": no receipt after " + std::to_string(timeout_ms) + " ms");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Result<TxReceipt> EthClient::transact(const PrivateKey& key, const Address& to, std::span<const uint8_t> data,
                                      uint64_t gas_limit, const U256& value, bool legacy) {
  auto cid = chain_id();
  if (!cid) return cid.status();
  auto nonce = transaction_count(key.address(), "pending");
  if (!nonce) return nonce.status();
  auto price = gas_price();
  if (!price) return price.status();
  TxRequest tx;
  tx.chain_id = *cid;
  tx.nonce = *nonce;
  // Twice the current price covers a base-fee rise over the next blocks; unused fee is refunded.
  tx.max_fee_per_gas = U256::from_u64(price->low_u64() * 2);
  tx.max_priority_fee_per_gas = U256::from_u64(1);
  tx.gas_limit = gas_limit;
  tx.to = to;
  tx.value = value;
  tx.data.assign(data.begin(), data.end());
  Bytes raw = legacy ? sign_legacy_eip155(tx, key) : sign_eip1559(tx, key);
  auto hash = send_raw_transaction(raw);
  if (!hash) return hash.status();
  if (keccak(raw) != *hash) return internal_error("eth_sendRawTransaction: returned hash differs from keccak(raw)");
  return wait_receipt(*hash, 30000);
}

}  // namespace efaas::node
