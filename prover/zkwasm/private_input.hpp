#pragma once
// The private input (input kind 4) in the zkWASM AIR (docs/zkwasm.md "Private input").
//
// The private bytes B (n = |B|) are committed by a Poseidon2 sponge whose digest is public:
//   elements  e_r = B[3r] + 2^8 B[3r+1] + 2^16 B[3r+2] (missing bytes 0), r < ceil(n / 3),
//             padded with zero elements to 8 P, P = floor(n / 24) + 1 permutations (always
//             some padding, so P is a function of n the AIR checks: 0 <= n - 24 (P - 1) < 24);
//   state     s[8] = n, s[9] = kDomainTag, every other lane 0;
//   absorb    overwrite s[0..8) with the next 8 elements, permute; digest s[0..8) at the end.
// n in the initial state separates inputs that differ only by trailing zero bytes.
//
// Two tables appended to the machine (private_machine_air(), only for runs that read kind 4):
//   private: one row per element index r: its 3 bytes with the input-bus multiplicities of
//     (4, 3r + j, byte) and validity bits (the first n bytes, in order, then zeros), a running
//     byte count whose last value is sent as (4, kSizeIndex, n); it sends (r, e_r) and
//     (kSizeIndex, n) to the sponge on kBusPrivate. Bytes are range-checked on kBusBytes.
//   sponge: one permutation per 5 rows (p2::Rows, poseidon2_table.hpp) plus first/real/last
//     flags, the permutation index and n; the first permutation starts from the initial state
//     (receiving n), every real permutation receives its 8 elements on its first row, capacity
//     lanes chain from permutation to permutation, the last real one has 0 <= n - 24 pno < 24
//     (two range lookups) and its output s[0..8) equals the digest, public inputs
//     kNumPublics .. + 7 of the private machine.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "prover/air/air.hpp"
#include "prover/hash/poseidon2.hpp"
#include "prover/stark/stark.hpp"
#include "prover/zkwasm/layout.hpp"
#include "prover/zkwasm/poseidon2_table.hpp"

namespace efaas::zkwasm::priv {

inline constexpr uint32_t kPrivateKind = 4;  // wasm::InputKind::kPrivate
inline constexpr uint32_t kDomainTag = 0x4b494e34;  // "KIN4"
// The most private bytes a proof takes: 3 * 2^21 (the private table stays below 2^22 rows).
inline constexpr size_t kMaxPrivateBytes = size_t(3) << 21;
// The tables after the base machine's and the digest's public inputs after its publics.
inline constexpr uint32_t kPrivateTable = layout::kNumTables, kSpongeTable = kPrivateTable + 1;
inline constexpr uint32_t kNumPrivateTables = 2;
inline constexpr uint32_t kPubDigest = layout::kNumPublics;

// The native reference of the sponge (the prover's digest).
Digest private_input_digest(std::span<const uint8_t> bytes);

struct Priv {
  static constexpr uint32_t kIdx = 0, kB = 1, kM = 4, kV = 7;  // 3 each: bytes, mults, valid
  static constexpr uint32_t kErow = 10, kCnt = 11, kMsz = 12, kLastRow = 13, kWidth = 14;
};
// The sponge: p2::Rows (5 rows per permutation), then its flags, permutation index and n.
struct Sponge {
  static constexpr uint32_t kFirst = p2::Rows::kWidth, kReal = kFirst + 1, kLast = kFirst + 2;
  static constexpr uint32_t kPno = kFirst + 3, kLen = kFirst + 4, kWidth = kFirst + 5;
};

air::TableAir private_table();
air::TableAir sponge_table();
// Appends both tables and the digest's public inputs to `m` (the base machine).
void add_private_tables(air::MachineAir& m);

// The witness of both tables from the private bytes, the input-bus lookups into them (per
// byte, and of the size), adding the bytes' range lookups to `byte_mult` (the range table's
// kBusBytes multiplicities, row 256 x + y) and the length check's to `range_mult`.
struct PrivateTables {
  std::vector<Fp> priv_columns, sponge_columns;
  Digest digest{};
};
PrivateTables private_tables(std::span<const uint8_t> bytes, std::span<const uint64_t> byte_lookups,
                             uint64_t size_lookups, std::vector<uint64_t>& byte_mult,
                             std::vector<uint64_t>& range_mult);
// Appends the tables to a witness of the base machine and the digest to its public inputs.
void append_private(MachineWitness& w, PrivateTables&& t);
// The digest's public inputs after the base publics.
void append_digest_publics(std::vector<Fp>& publics, const Digest& d);

}  // namespace efaas::zkwasm::priv
