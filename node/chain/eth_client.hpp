#pragma once
// Ethereum JSON-RPC over HTTP (cpp-httplib): the calls the node makes to an execution node.
// Thread-safe; every failure names the method and what went wrong (transport, JSON-RPC error,
// malformed result).
#include <memory>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

#include "node/chain/transaction.hpp"

namespace httplib {
class Client;
}

namespace efaas::node {

struct BlockHeader {
  uint64_t number = 0;
  Hash32 hash{};
  Hash32 parent_hash{};
  uint64_t timestamp = 0;
};

struct TxReceipt {
  Hash32 tx_hash{};
  uint64_t block_number = 0;
  bool success = false;
  uint64_t gas_used = 0;
};

class EthClient {
 public:
  // url: "http://host:port" (path allowed: "http://host:port/rpc").
  static Result<std::unique_ptr<EthClient>> connect(const std::string& url, int timeout_ms = 10000);
  ~EthClient();

  // One JSON-RPC call; the result member or an error naming `method`.
  Result<nlohmann::json> call(const std::string& method, const nlohmann::json& params);

  Result<uint64_t> chain_id();
  Result<uint64_t> block_number();
  // tag: "latest", "finalized", "safe", "earliest" or a number. Absent block: NOT_FOUND-like
  // error (INVALID_ARGUMENT naming the tag).
  Result<BlockHeader> block_by_tag(const std::string& tag);
  Result<BlockHeader> block_by_number(uint64_t number);
  // std::nullopt when the node does not know the hash.
  Result<std::optional<BlockHeader>> block_by_hash(const Hash32& hash);
  Result<Bytes> eth_call(const Address& to, std::span<const uint8_t> data, const std::string& block = "latest");
  // eth_estimateGas of a call from `from`; a call that would revert is an error naming why.
  Result<uint64_t> estimate_gas(const Address& from, const Address& to, std::span<const uint8_t> data);
  Result<Bytes> get_code(const Address& a, const std::string& block = "latest");
  Result<uint64_t> transaction_count(const Address& a, const std::string& block = "pending");
  Result<U256> gas_price();
  Result<U256> balance(const Address& a);
  Result<Hash32> send_raw_transaction(std::span<const uint8_t> raw);
  Result<std::optional<TxReceipt>> receipt(const Hash32& tx);
  // Polls for the receipt until timeout_ms.
  Result<TxReceipt> wait_receipt(const Hash32& tx, int timeout_ms);

  // Signs a transaction from `key` (EIP-1559 unless legacy) with the pending nonce, the chain's
  // gas price, sends it and waits for the receipt.
  Result<TxReceipt> transact(const PrivateKey& key, const Address& to, std::span<const uint8_t> data,
                             uint64_t gas_limit, const U256& value = {}, bool legacy = false);

 private:
  EthClient() = default;
  std::mutex mu_;
  std::unique_ptr<httplib::Client> http_;
  std::string path_;
  uint64_t next_id_ = 1;
};

Result<uint64_t> parse_quantity_u64(const nlohmann::json& j, std::string_view what);

}  // namespace efaas::node
