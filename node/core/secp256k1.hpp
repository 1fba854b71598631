#pragma once
// secp256k1 keys and Ethereum signatures (libsecp256k1 with its recovery module): 65-byte
// r || s || v, v in {27, 28} (0/1 accepted on input), low s only, signer recovered from the
// signature as an Ethereum address.
#include <string>

#include "node/core/bytes.hpp"

namespace efaas::node {

using Signature = std::array<uint8_t, 65>;

class PrivateKey {
 public:
  // Refuses zero and values >= the group order.
  static Result<PrivateKey> from_bytes(const Hash32& secret);
  static Result<PrivateKey> from_hex(std::string_view hex);
  // A fresh key from the OS random source.
  static Result<PrivateKey> generate();
  // Reads a hex key from `path`; creates the file (mode 0600) with a fresh key if it is absent.
  static Result<PrivateKey> load_or_create(const std::string& path);

  const Address& address() const { return address_; }
  const Hash32& secret() const { return secret_; }
  // Deterministic (RFC 6979) signature over a 32-byte digest, low s, v = 27 + recovery id.
  Signature sign(const Hash32& digest) const;

 private:
  Hash32 secret_{};
  Address address_{};
};

// The Ethereum address that signed `digest`; errors say what is wrong with the signature
// (length, v, high s, r/s out of range, no recoverable key).
Result<Address> recover_signer(const Hash32& digest, std::span<const uint8_t> signature);

}  // namespace efaas::node
