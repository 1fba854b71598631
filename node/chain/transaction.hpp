#pragma once
// Ethereum transactions signed by the node key: RLP, EIP-1559 (type 2) and legacy EIP-155.
#include <optional>

#include "node/core/secp256k1.hpp"

namespace efaas::node {

// RLP of a byte string / of an already-encoded list of items.
Bytes rlp_bytes(std::span<const uint8_t> b);
Bytes rlp_uint(const U256& v);  // big-endian without leading zeros
Bytes rlp_list(const std::vector<Bytes>& encoded_items);

struct TxRequest {
  uint64_t chain_id = 0;
  uint64_t nonce = 0;
  U256 max_priority_fee_per_gas;  // EIP-1559; legacy: unused
  U256 max_fee_per_gas;           // EIP-1559; legacy: the gas price
  uint64_t gas_limit = 0;
  std::optional<Address> to;      // none: contract creation
  U256 value;
  Bytes data;
};

// 0x02 || rlp([chainId, nonce, maxPriorityFee, maxFee, gas, to, value, data, [], yParity, r, s]).
Bytes sign_eip1559(const TxRequest& tx, const PrivateKey& key);
// rlp([nonce, gasPrice, gas, to, value, data, v, r, s]) with v = chainId * 2 + 35 + recid.
Bytes sign_legacy_eip155(const TxRequest& tx, const PrivateKey& key);

}  // namespace efaas::node
