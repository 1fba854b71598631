#include "node/core/secp256k1.hpp"

#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace efaas::node {
namespace {

// n / 2 for secp256k1, big-endian: signatures with s above it are refused (EIP-2).
constexpr std::array<uint8_t, 32> kHalfOrder = {
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

// One context for the process; libsecp256k1 contexts are safe for concurrent const use.
const secp256k1_context* context() {
  static secp256k1_context* ctx = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
    std::array<uint8_t, 32> seed{};
    if (getrandom(seed.data(), seed.size(), 0) == ssize_t(seed.size())) {
      if (!secp256k1_context_randomize(c, seed.data())) {
        // Blinding is a side-channel hardening only; signing stays correct without it.
      }
    }
    return c;
  }();
  return ctx;
}

Address address_of(const secp256k1_pubkey& pub) {
  std::array<uint8_t, 65> raw;
  size_t len = raw.size();
  secp256k1_ec_pubkey_serialize(context(), raw.data(), &len, &pub, SECP256K1_EC_UNCOMPRESSED);
  Hash32 h = keccak(std::span<const uint8_t>(raw.data() + 1, 64));
  Address a;
  std::copy(h.begin() + 12, h.end(), a.begin());
  return a;
}

}  // namespace

Result<PrivateKey> PrivateKey::from_bytes(const Hash32& secret) {
  if (!secp256k1_ec_seckey_verify(context(), secret.data())) {
    return invalid_argument("private key: zero or not below the secp256k1 group order");
  }
  secp256k1_pubkey pub;
  if (!secp256k1_ec_pubkey_create(context(), &pub, secret.data())) {
    return internal_error("secp256k1_ec_pubkey_create failed");
  }
  PrivateKey k;
  k.secret_ = secret;
  k.address_ = address_of(pub);
  return k;
}

Result<PrivateKey> PrivateKey::from_hex(std::string_view hex) {
  auto h = parse_hash32(hex, "private key");
  if (!h) return h.status();
  return from_bytes(*h);
}

Result<PrivateKey> PrivateKey::generate() {
  for (int attempt = 0; attempt < 16; ++attempt) {
    Hash32 secret;
    if (getrandom(secret.data(), secret.size(), 0) != ssize_t(secret.size())) {
      return internal_error("getrandom failed while generating a node key");
    }
    auto k = from_bytes(secret);
    if (k) return k;
  }
  return internal_error("could not draw a valid secp256k1 key");
}

Result<PrivateKey> PrivateKey::load_or_create(const std::string& path) {
  std::ifstream in(path);
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    text.erase(std::remove_if(text.begin(), text.end(), [](char c) { return std::isspace(uint8_t(c)); }), text.end());
    auto k = from_hex(text);
    if (!k) return invalid_argument("key file " + path + ": " + k.status().message());
    return k;
  }
  auto k = generate();
  if (!k) return k.status();
  std::ofstream out(path, std::ios::trunc);
  if (!out) return internal_error("cannot create key file " + path);
  out << hex0x(k->secret()) << "\n";
  out.close();
  if (chmod(path.c_str(), 0600) != 0) return internal_error("cannot chmod 0600 key file " + path);
  return k;
}

Signature PrivateKey::sign(const Hash32& digest) const {
  secp256k1_ecdsa_recoverable_signature sig;
  // Cannot fail for a verified key and the default RFC 6979 nonce.
  if (!secp256k1_ecdsa_sign_recoverable(context(), &sig, digest.data(), secret_.data(), nullptr, nullptr)) {
    std::abort();
  }
  Signature out;
  int recid = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), out.data(), &recid, &sig);
  out[64] = uint8_t(27 + recid);
  return out;
}

Result<Address> recover_signer(const Hash32& digest, std::span<const uint8_t> signature) {
  if (signature.size() != 65) {
    return invalid_argument("signature: expected 65 bytes (r || s || v), got " + std::to_string(signature.size()));
  }
  int v = signature[64];
  if (v >= 27) v -= 27;
  if (v != 0 && v != 1) {
    return invalid_argument("signature: v must be 27 or 28 (or 0/1), got " + std::to_string(signature[64]));
  }
  if (std::lexicographical_compare(kHalfOrder.begin(), kHalfOrder.end(), signature.begin() + 32,
                                   signature.begin() + 64)) {
    return invalid_argument("signature: high s (s > n/2) is not accepted");
  }
  secp256k1_ecdsa_recoverable_signature sig;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &sig, signature.data(), v)) {
    return invalid_argument("signature: r or s out of range");
  }
  secp256k1_pubkey pub;
  if (!secp256k1_ecdsa_recover(context(), &pub, &sig, digest.data())) {
    return invalid_argument("signature: no public key recovers from it");
  }
  return address_of(pub);
}

}  // namespace efaas::node
