#pragma once
// The slice of the Solidity ABI the node needs: selectors, static words, dynamic bytes in call
// data; bounds-checked decoding of return data (uint, address, bool, bytes32, bytes, address[]).
#include <string_view>

#include "node/core/bytes.hpp"

namespace efaas::node {

std::array<uint8_t, 4> selector(std::string_view signature);

class AbiEncoder {
 public:
  explicit AbiEncoder(std::string_view signature);
  AbiEncoder& word(const Hash32& w);
  AbiEncoder& uint(const U256& v);
  AbiEncoder& uint(uint64_t v) { return uint(U256::from_u64(v)); }
  AbiEncoder& address(const Address& a);
  // A dynamic `bytes` argument: an offset word in the head, length and padded data in the tail.
  AbiEncoder& bytes(std::span<const uint8_t> b);
  Bytes finish() const;

 private:
  std::array<uint8_t, 4> selector_;
  std::vector<Hash32> head_;
  std::vector<std::pair<size_t, Bytes>> tails_;  // head index of the offset word, tail bytes
};

class AbiDecoder {
 public:
  explicit AbiDecoder(std::span<const uint8_t> data) : data_(data) {}
  Result<Hash32> word(size_t index) const;
  Result<U256> uint(size_t index) const;
  Result<uint64_t> uint64(size_t index) const;  // refuses values above 2^64 - 1
  Result<bool> boolean(size_t index) const;
  Result<Address> address(size_t index) const;
  Result<Bytes> bytes(size_t index, size_t max) const;
  Result<std::vector<Address>> address_array(size_t index, size_t max) const;

 private:
  Result<uint64_t> offset_at(size_t byte_pos, std::string_view what) const;
  std::span<const uint8_t> data_;
};

}  // namespace efaas::node

namespace efaas::node {

// A value for the general (nested, dynamic) ABI encoder used for struct arguments such as
// ConsensusContract.submitBatch's Settlement[].
struct AbiValue {
  enum class Kind { kWord, kBytes, kTuple, kArray } kind = Kind::kWord;
  Hash32 word{};
  Bytes bytes;
  std::vector<AbiValue> items;

  static AbiValue w(const Hash32& v) { return {Kind::kWord, v, {}, {}}; }
  static AbiValue u(const U256& v) { return w(v.be); }
  static AbiValue u(uint64_t v) { return w(U256::from_u64(v).be); }
  static AbiValue addr(const Address& a);
  static AbiValue b(std::span<const uint8_t> v) { return {Kind::kBytes, {}, Bytes(v.begin(), v.end()), {}}; }
  static AbiValue tuple(std::vector<AbiValue> v) { return {Kind::kTuple, {}, {}, std::move(v)}; }
  static AbiValue array(std::vector<AbiValue> v) { return {Kind::kArray, {}, {}, std::move(v)}; }
  bool is_dynamic() const;
};

// abi.encode(items...) (head/tail layout).
Bytes abi_encode(const std::vector<AbiValue>& items);
// selector(signature) || abi.encode(args...).
Bytes abi_call(std::string_view signature, const std::vector<AbiValue>& args);

}  // namespace efaas::node
