#include "node/chain/transaction.hpp"

#include <algorithm>

namespace efaas::node {
namespace {

Bytes length_prefix(size_t len, uint8_t short_base, uint8_t long_base) {
  if (len < 56) return {uint8_t(short_base + len)};
  Bytes be;
  for (size_t v = len; v > 0; v >>= 8) be.insert(be.begin(), uint8_t(v));
  Bytes out = {uint8_t(long_base + be.size())};
  out.insert(out.end(), be.begin(), be.end());
  return out;
}

Bytes rlp_address(const std::optional<Address>& a) {
  if (!a) return rlp_bytes({});
  return rlp_bytes(*a);
}

std::vector<Bytes> unsigned_1559(const TxRequest& tx) {
  return {rlp_uint(U256::from_u64(tx.chain_id)), rlp_uint(U256::from_u64(tx.nonce)), rlp_uint(tx.max_priority_fee_per_gas),
          rlp_uint(tx.max_fee_per_gas), rlp_uint(U256::from_u64(tx.gas_limit)), rlp_address(tx.to), rlp_uint(tx.value),
          rlp_bytes(tx.data), rlp_list({})};
}

}  // namespace

Bytes rlp_bytes(std::span<const uint8_t> b) {
  if (b.size() == 1 && b[0] < 0x80) return {b[0]};
  Bytes out = length_prefix(b.size(), 0x80, 0xb7);
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

Bytes rlp_uint(const U256& v) {
  size_t first = 0;
  while (first < 32 && v.be[first] == 0) ++first;
  return rlp_bytes(std::span<const uint8_t>(v.be.data() + first, 32 - first));
}

Bytes rlp_list(const std::vector<Bytes>& items) {
  size_t total = 0;
  for (const auto& i : items) total += i.size();
  Bytes out = length_prefix(total, 0xc0, 0xf7);
  for (const auto& i : items) out.insert(out.end(), i.begin(), i.end());
  return out;
}

Bytes sign_eip1559(const TxRequest& tx, const PrivateKey& key) {
  std::vector<Bytes> items = unsigned_1559(tx);
  Bytes payload = {0x02};
  Bytes body = rlp_list(items);
  payload.insert(payload.end(), body.begin(), body.end());
  Signature sig = key.sign(keccak(payload));
  U256 r, s;
  std::copy_n(sig.begin(), 32, r.be.begin());
  std::copy_n(sig.begin() + 32, 32, s.be.begin());
  items.push_back(rlp_uint(U256::from_u64(sig[64] - 27)));
  items.push_back(rlp_uint(r));
  items.push_back(rlp_uint(s));
  Bytes out = {0x02};
  Bytes signed_body = rlp_list(items);
  out.insert(out.end(), signed_body.begin(), signed_body.end());
  return out;
}

Bytes sign_legacy_eip155(const TxRequest& tx, const PrivateKey& key) {
  std::vector<Bytes> items = {rlp_uint(U256::from_u64(tx.nonce)), rlp_uint(tx.max_fee_per_gas),
                              rlp_uint(U256::from_u64(tx.gas_limit)), rlp_address(tx.to), rlp_uint(tx.value),
                              rlp_bytes(tx.data)};
  std::vector<Bytes> for_hash = items;
  for_hash.push_back(rlp_uint(U256::from_u64(tx.chain_id)));
  for_hash.push_back(rlp_uint(U256{}));
  for_hash.push_back(rlp_uint(U256{}));
  Signature sig = key.sign(keccak(rlp_list(for_hash)));
  U256 r, s;
  std::copy_n(sig.begin(), 32, r.be.begin());
  std::copy_n(sig.begin() + 32, 32, s.be.begin());
  items.push_back(rlp_uint(U256::from_u64(tx.chain_id * 2 + 35 + (sig[64] - 27))));
  items.push_back(rlp_uint(r));
  items.push_back(rlp_uint(s));
  return rlp_list(items);
}

}  // namespace efaas::node
