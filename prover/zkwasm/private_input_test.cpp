// The private input (kind 4) in the zkWASM AIR (docs/zkwasm.md "Private input"): the
// Poseidon2 permutation table against prover/hash's reference permutation (tampered round
// values rejected); the sponge's native reference against the construction written out here;
// Extensions reading their private input (input_size(4), chunks, short reads past the end) in
// one segment and split; forgeries with the prover's checks off (a changed byte in the private
// table, a byte read that is not in it, another length, padding tricks, the digest of other
// bytes) and honest proofs against tampered public digests.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "prover/common/rng.hpp"
#include "prover/fri/fri_params.hpp"
#include "prover/stark/stark.hpp"
#include "prover/wasm/extension.hpp"
#include "prover/zkwasm/air_internal.hpp"
#include "prover/zkwasm/layout.hpp"
#include "prover/zkwasm/poseidon2_table.hpp"
#include "prover/zkwasm/private_input.hpp"
#include "prover/zkwasm/test_support.hpp"

namespace efaas::zkwasm {
namespace {

namespace L = layout;
using p2::Perm;
using priv::Priv;
using priv::Sponge;
using test_support::expect_forgery_rejected;
using test_support::extension_opts;
using test_support::wat;
using wasm::Op;

Fp random_fp(Rng& rng) { return Fp::from_canonical(uint32_t(rng.uniform(Fp::kP))); }

// A machine of one permutation table and its witness: 2^log_rows random input states.
struct PermRun {
  air::MachineAir machine;
  MachineWitness witness;
  std::vector<Poseidon2State> inputs;
};

PermRun perm_run(Rng& rng, uint32_t log_rows) {
  PermRun r;
  r.machine.name = "poseidon2-test";
  r.machine.tables.push_back(p2::permutation_table());
  const size_t rows = size_t(1) << log_rows;
  std::vector<Fp> col(size_t(Perm::kWidth) * rows);
  std::vector<Fp> row(Perm::kWidth);
  for (size_t i = 0; i < rows; ++i) {
    Poseidon2State s;
    for (auto& x : s) x = random_fp(rng);
    r.inputs.push_back(s);
    p2::permutation_row(s, row);
    for (uint32_t c = 0; c < Perm::kWidth; ++c) col[size_t(c) * rows + i] = row[c];
  }
  r.witness.main.push_back(std::move(col));
  return r;
}

TEST(Poseidon2Table, RowsMatchTheReferencePermutation) {
  Rng rng(test_seed("Poseidon2Table.RowsMatchTheReferencePermutation"));
  std::vector<Fp> row(Perm::kWidth);
  for (int it = 0; it < 200; ++it) {
    Poseidon2State s;
    for (auto& x : s) x = random_fp(rng);
    if (it == 0) s.fill(Fp::zero());
    p2::permutation_row(s, row);
    Poseidon2State want = s;
    poseidon2_permute_reference(want);
    for (uint32_t i = 0; i < 16; ++i) {
      ASSERT_EQ(row[Perm::kOut + i], want[i]) << "lane " << i << " of input " << it;
      ASSERT_EQ(row[Perm::kIn + i], s[i]);
    }
  }
  EXPECT_EQ(p2::permutation_table().max_degree(), 3u);
}

// `r`'s proving key (test preset), once its honest witness has proved and verified; a failure
// on the way is reported and returned.
Result<ProvingKey> checked_setup(const PermRun& r) {
  auto pk = stark_setup(r.machine, std::vector<std::vector<Fp>>(1), fri_test_preset());
  if (!pk.is_ok()) return pk.status();
  auto proof = stark_prove(r.machine, *pk, r.witness);
  EXPECT_TRUE(proof.is_ok()) << proof.status().to_string();
  if (!proof.is_ok()) return proof.status();
  const Status v = stark_verify(r.machine, pk->vk, *proof);
  EXPECT_TRUE(v.is_ok()) << v.to_string();
  return pk;
}

// A tampered witness of `r`'s machine: the prover's own check must refuse it; proved with the
// check off (which must succeed), the verifier's verdict.
Status prove_tampered(const PermRun& r, const ProvingKey& pk, const MachineWitness& w) {
  EXPECT_FALSE(stark_prove(r.machine, pk, w).is_ok()) << "the prover's check missed it";
  StarkConfig cfg;
  cfg.check_witness = false;
  auto forged = stark_prove(r.machine, pk, w, cfg);
  EXPECT_TRUE(forged.is_ok()) << forged.status().to_string();
  if (!forged.is_ok()) return forged.status();
  return stark_verify(r.machine, pk.vk, *forged);
}

TEST(Poseidon2Table, ProvesAndRejectsTamperedRounds) {
  Rng rng(test_seed("Poseidon2Table.ProvesAndRejectsTamperedRounds"));
  PermRun r = perm_run(rng, 4);
  auto pk = checked_setup(r);
  ASSERT_TRUE(pk.is_ok()) << pk.status().to_string();

  // One changed value in each kind of column: input, full-round cube and output, partial-round
  // cube and S-box output, the final output. The prover's check finds it; unchecked, the
  // verifier rejects the proof.
  const size_t rows = size_t(1) << 4;
  const uint32_t cols[] = {Perm::kIn + 3,       Perm::kFull0 + 5,      Perm::kFull0 + 32 + 16 + 2,
                           Perm::kPartial + 6,  Perm::kPartial + 13,   Perm::kFull1 + 64 + 9,
                           Perm::kOut + 0,      Perm::kOut + 15};
  for (uint32_t c : cols) {
    SCOPED_TRACE("column " + std::to_string(c));
    MachineWitness w = r.witness;
    const size_t row = rng.uniform(rows);
    w.main[0][size_t(c) * rows + row] += Fp::one();
    const Status v = prove_tampered(r, *pk, w);
    EXPECT_FALSE(v.is_ok()) << "tampered row " << row << " verified";
    std::printf("  column %3u row %2zu tampered -> %s\n", c, row, v.message().c_str());
  }
}

// The permutation over 5 rows (p2::Rows, the sponge's layout): 2^log_rows rows of independent
// random permutations, the last one cut by the table's end.
PermRun rows_run(Rng& rng, uint32_t log_rows) {
  using R = p2::Rows;
  PermRun r;
  r.machine.name = "poseidon2-rows-test";
  air::TableAir t("poseidon2_rows", R::kWidth);
  (void)p2::add_rows_constraints(t, 0);
  EXPECT_TRUE(t.finalize(4).is_ok());
  r.machine.tables.push_back(std::move(t));
  const size_t rows = size_t(1) << log_rows;
  std::vector<Fp> col(size_t(R::kWidth) * rows);
  std::vector<Fp> block(size_t(R::kPerPerm) * R::kWidth);
  for (size_t p = 0; R::kPerPerm * p < rows; ++p) {
    Poseidon2State s;
    for (auto& x : s) x = random_fp(rng);
    r.inputs.push_back(s);
    (void)p2::permutation_rows(s, block);
    for (size_t k = 0; k < R::kPerPerm && R::kPerPerm * p + k < rows; ++k)
      for (uint32_t c = 0; c < R::kWidth; ++c)
        col[size_t(c) * rows + R::kPerPerm * p + k] = block[k * R::kWidth + c];
  }
  r.witness.main.push_back(std::move(col));
  return r;
}

TEST(Poseidon2Rows, MatchTheReferencePermutation) {
  using R = p2::Rows;
  Rng rng(test_seed("Poseidon2Rows.MatchTheReferencePermutation"));
  std::vector<Fp> block(size_t(R::kPerPerm) * R::kWidth);
  std::vector<Fp> row(Perm::kWidth);
  for (int it = 0; it < 200; ++it) {
    Poseidon2State s;
    for (auto& x : s) x = random_fp(rng);
    if (it == 0) s.fill(Fp::zero());
    const Poseidon2State out = p2::permutation_rows(s, block);
    Poseidon2State want = s;
    poseidon2_permute_reference(want);
    ASSERT_EQ(out, want) << "input " << it;
    // The state between rows is the one-row table's: after the 4 initial full rounds (row 2's
    // start) it equals the one-row layout's 4th full-round output.
    p2::permutation_row(s, row);
    for (uint32_t i = 0; i < 16; ++i) {
      ASSERT_EQ(block[R::kPartialRow * R::kWidth + R::kState + i], row[Perm::kFull0 + 3 * 32 + 16 + i]);
    }
  }
  EXPECT_EQ(p2::permutation_table().max_degree(), 3u);
}

TEST(Poseidon2Rows, ProvesAndRejectsTamperedRounds) {
  using R = p2::Rows;
  Rng rng(test_seed("Poseidon2Rows.ProvesAndRejectsTamperedRounds"));
  PermRun r = rows_run(rng, 5);  // 6 whole permutations and 2 rows of a seventh
  EXPECT_EQ(r.machine.tables[0].max_degree(), 4u);
  auto pk = checked_setup(r);
  ASSERT_TRUE(pk.is_ok()) << pk.status().to_string();
  // One changed value of each kind, on a row that uses it: a state (rows 1 and 2 of a
  // permutation: after full rounds, after partial rounds), a cube and the middle state of a
  // full row, a partial cube and x^7, a phase selector (another row's constants).
  const size_t rows = size_t(1) << 5;
  struct Cell {
    uint32_t col;
    size_t row;
  };
  const Cell cells[] = {{R::kState + 3, 5 + 1},  {R::kState + 12, 10 + 3}, {R::kCube1 + 5, 0},
                        {R::kMid + 9, 15 + 4},   {R::kCube2 + 15, 20 + 1}, {R::kPartial + 6, 2},
                        {R::kPartial + 25, 7},   {R::kPhase + 1, 11}};
  for (const Cell& c : cells) {
    SCOPED_TRACE("column " + std::to_string(c.col) + " row " + std::to_string(c.row));
    MachineWitness w = r.witness;
    w.main[0][size_t(c.col) * rows + c.row] += Fp::one();
    const Status v = prove_tampered(r, *pk, w);
    EXPECT_FALSE(v.is_ok()) << "tampered cell verified";
    std::printf("  column %3u row %2zu tampered -> %s\n", c.col, c.row, v.message().c_str());
  }
}

// ---------------------------------------------------------------- the sponge

// The construction of private_input.hpp written out on bytes and the reference permutation.
Digest oracle_digest(const std::vector<uint8_t>& b) {
  std::vector<uint32_t> e;
  for (size_t i = 0; i < b.size(); i += 3) {
    uint32_t v = 0;
    for (size_t j = 0; j < 3 && i + j < b.size(); ++j) v += uint32_t(b[i + j]) << (8 * j);
    e.push_back(v);
  }
  e.resize(8 * (b.size() / 24 + 1), 0);  // zero elements: floor(n / 24) + 1 permutations
  Poseidon2State s{};
  s[8] = Fp::from_u64(b.size());
  s[9] = Fp::from_u32(0x4b494e34);
  for (size_t k = 0; k < e.size(); k += 8) {
    for (size_t j = 0; j < 8; ++j) s[j] = Fp::from_u32(e[k + j]);
    poseidon2_permute_reference(s);
  }
  Digest d;
  for (size_t j = 0; j < 8; ++j) d[j] = s[j];
  return d;
}

TEST(PrivateInput, DigestMatchesTheConstructionAndSeparatesLengths) {
  Rng rng(test_seed("PrivateInput.DigestMatchesTheConstructionAndSeparatesLengths"));
  for (size_t n : {0, 1, 2, 3, 4, 23, 24, 25, 47, 48, 49, 100, 1000}) {
    std::vector<uint8_t> b(n);
    for (auto& x : b) x = uint8_t(rng.next_u32());
    EXPECT_EQ(priv::private_input_digest(b), oracle_digest(b)) << n << " bytes";
    // Trailing zeros change the digest (the length is in the initial state).
    std::vector<uint8_t> z = b;
    z.push_back(0);
    EXPECT_NE(priv::private_input_digest(b), priv::private_input_digest(z)) << n << " bytes";
    if (n > 0) {
      std::vector<uint8_t> c = b;
      c[rng.uniform(n)] ^= uint8_t(1 + rng.uniform(255));
      EXPECT_NE(priv::private_input_digest(b), priv::private_input_digest(c)) << n << " bytes";
    }
  }
}

// ---------------------------------------------------------------- Extensions

// input_size(4) as 4 output bytes, then the private input read in chunks of `chunk` bytes
// until a read copies fewer (the last short, or nothing when the size is a multiple), each
// chunk written out when `echo`, and the total read returned. Without echo the bytes stay in
// memory unused (forgeries of the read bytes then touch only the input lookup).
std::string private_reader(uint32_t chunk, bool echo = true, uint32_t spins = 0) {
  return R"((module
  (import "efaas" "input_size" (func $isz (param i32) (result i32)))
  (import "efaas" "input_read" (func $ird (param i32 i32 i32 i32) (result i32)))
  (import "efaas" "output_write" (func $out (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "efaas_main") (result i32) (local $off i32) (local $n i32) (local $i i32)
    (i32.store (i32.const 0) (call $isz (i32.const 4)))
    (call $out (i32.const 0) (i32.const 4))
    (block $done (loop $next
      (local.set $i (i32.const )" + std::to_string(spins) + R"())
      (block $s (loop $spin
        (br_if $s (i32.eqz (local.get $i)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br $spin)))
      (local.set $n (call $ird (i32.const 4) (local.get $off) (i32.const 256) (i32.const )" +
         std::to_string(chunk) + R"()))
      )" + (echo ? "(call $out (i32.const 256) (local.get $n))" : "") + R"(
      (local.set $off (i32.add (local.get $off) (local.get $n)))
      (br_if $next (i32.eq (local.get $n) (i32.const )" + std::to_string(chunk) + R"()))))
    (local.get $off)))
)";
}

// Reads nothing private: Data's size only.
const char* kPublicOnly = R"((module
  (import "efaas" "input_size" (func $isz (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "efaas_main") (result i32) (call $isz (i32.const 0))))
)";

wasm::ExtensionInput input_with(std::vector<uint8_t> private_bytes) {
  wasm::ExtensionInput in;
  in.data = {1, 2, 3};
  in.private_input = std::move(private_bytes);
  return in;
}

std::vector<uint8_t> bytes_of(Rng& rng, size_t n) {
  std::vector<uint8_t> b(n);
  for (auto& x : b) x = uint8_t(rng.next_u32());
  return b;
}

size_t private_segments(const Bundle& b) {
  size_t n = 0;
  for (const Segment& s : b.segments)
    n += s.proof.log_heights.size() == L::kNumTables + priv::kNumPrivateTables;
  return n;
}

Bundle expect_proves(const test_support::ExtensionRun& e, uint32_t segment_log = kDefaultSegmentLog) {
  auto b = prove(*e.program, e.trace, extension_opts(e.input, true, segment_log));
  EXPECT_TRUE(b.is_ok()) << b.status().to_string();
  if (!b.is_ok()) return {};
  auto back = deserialize_bundle(serialize_bundle(*b));
  EXPECT_TRUE(back.is_ok()) << back.status().to_string();
  if (!back.is_ok()) return {};
  EXPECT_EQ(back->publics, b->publics);
  auto pv = verify(*e.program, *back);
  EXPECT_TRUE(pv.is_ok()) << pv.status().to_string();
  if (!pv.is_ok()) return {};
  EXPECT_EQ(pv->output, e.result.output);
  return *back;
}

// Honest proofs checked against tampered public digests: another lane, another input's
// digest, the digest removed.
void expect_digest_bound(const Program& p, const Bundle& b, const std::vector<uint8_t>& bytes) {
  ASSERT_TRUE(b.publics.private_digest.has_value());
  Bundle t = b;
  (*t.publics.private_digest)[3] += Fp::one();
  EXPECT_FALSE(verify(p, t).is_ok()) << "verified with a changed digest lane";
  std::vector<uint8_t> other = bytes;
  other.push_back(0);
  t.publics.private_digest = priv::private_input_digest(other);
  auto v = verify(p, t);
  EXPECT_FALSE(v.is_ok()) << "verified with the digest of the input and a trailing zero";
  t.publics.private_digest.reset();
  auto w = verify(p, t);
  EXPECT_FALSE(w.is_ok()) << "verified without the digest";
  std::printf("  tampered digest -> %s\n  no digest -> %s\n", v.status().message().c_str(),
              w.status().message().c_str());
}

TEST(ZkPrivateInput, ReadsInChunksProveWithThePublicDigest) {
  Rng rng(test_seed("ZkPrivateInput.ReadsInChunksProveWithThePublicDigest"));
  struct Case {
    size_t n;
    uint32_t chunk;
  };
  // Empty, shorter than a chunk, a multiple of the chunk (the last read copies nothing), a
  // short last read, several permutations (24 bytes each).
  const Case cases[] = {{0, 8}, {5, 8}, {21, 7}, {23, 8}, {24, 5}, {100, 16}, {200, 64}};
  for (const Case& c : cases) {
    SCOPED_TRACE(std::to_string(c.n) + " bytes in chunks of " + std::to_string(c.chunk));
    const std::vector<uint8_t> bytes = bytes_of(rng, c.n);
    const auto e = test_support::run_extension(wat(private_reader(c.chunk)), input_with(bytes));
    ASSERT_EQ(e.result.trap, wasm::TrapCode::kNone);
    ASSERT_EQ(e.result.exit_code, int32_t(c.n));
    std::vector<uint8_t> want = {uint8_t(c.n), uint8_t(c.n >> 8), 0, 0};
    want.insert(want.end(), bytes.begin(), bytes.end());
    ASSERT_EQ(e.result.output, want);
    const Bundle b = expect_proves(e);
    if (b.segments.empty()) continue;
    EXPECT_EQ(private_segments(b), 1u);
    ASSERT_TRUE(b.publics.private_digest.has_value());
    EXPECT_EQ(*b.publics.private_digest, oracle_digest(bytes));
    expect_digest_bound(*e.program, b, bytes);
  }
}

TEST(ZkPrivateInput, RunsThatDoNotReadItHaveNoTablesAndNoDigest) {
  const auto e = test_support::run_extension(wat(kPublicOnly), input_with({9, 9, 9}));
  ASSERT_EQ(e.result.exit_code, 3);
  const Bundle b = expect_proves(e);
  ASSERT_EQ(b.segments.size(), 1u);
  EXPECT_FALSE(b.publics.private_digest.has_value());
  EXPECT_EQ(b.segments[0].proof.log_heights.size(), size_t(L::kNumTables));
  // A digest claimed for it is bound by nothing: rejected.
  Bundle t = b;
  t.publics.private_digest = priv::private_input_digest(std::vector<uint8_t>{9, 9, 9});
  auto v = verify(*e.program, t);
  EXPECT_FALSE(v.is_ok());
  std::printf("  unread digest claimed -> %s\n", v.status().message().c_str());
  // Reading kind 4 without a private input given to the prover: a clear error.
  const auto r = test_support::run_extension(wat(private_reader(8)), input_with({1, 2}));
  ProveOptions o = extension_opts(r.input);
  o.private_input.reset();
  auto p = prove(*r.program, r.trace, o);
  ASSERT_FALSE(p.is_ok());
  EXPECT_NE(p.status().message().find("no private input"), std::string::npos) << p.status().to_string();
}

TEST(ZkPrivateInput, SplitRunsBindTheDigestInTheSegmentsThatReadIt) {
  Rng rng(test_seed("ZkPrivateInput.SplitRunsBindTheDigestInTheSegmentsThatReadIt"));
  const std::vector<uint8_t> bytes = bytes_of(rng, 60);
  // Spins between the reads spread them over segments of 2^6 rows; some segments read none.
  const auto e = test_support::run_extension(wat(private_reader(16, true, 40)), input_with(bytes));
  ASSERT_EQ(e.result.exit_code, 60);
  const Bundle b = expect_proves(e, 6);
  ASSERT_GT(b.segments.size(), 4u);
  const size_t with = private_segments(b);
  std::printf("  %zu segments, %zu with the private tables\n", b.segments.size(), with);
  EXPECT_GE(with, 2u);
  EXPECT_LT(with, b.segments.size());
  ASSERT_TRUE(b.publics.private_digest.has_value());
  EXPECT_EQ(*b.publics.private_digest, oracle_digest(bytes));
  expect_digest_bound(*e.program, b, bytes);
}

// ---------------------------------------------------------------- forgeries

// Bytes swapped between segments: the run read in segments over input X, one segment replaced
// by the same segment of the run over Y (X with two bytes read in different segments swapped),
// an honest proof of Y's bytes. Every segment's table hashes the whole input to the one digest
// of the bundle, so Y's segment carries Y's digest and is rejected.
TEST(ZkPrivateInput, ASegmentProvedWithOtherBytesIsRejected) {
  Rng rng(test_seed("ZkPrivateInput.ASegmentProvedWithOtherBytesIsRejected"));
  std::vector<uint8_t> x = bytes_of(rng, 60);
  x[50] = uint8_t(x[3] ^ 0x81);
  std::vector<uint8_t> y = x;
  std::swap(y[3], y[50]);
  const std::vector<uint8_t> reader = wat(private_reader(16, true, 40));
  const auto ex = test_support::run_extension(reader, input_with(x));
  const auto ey = test_support::run_extension(reader, input_with(y));
  const Bundle bx = expect_proves(ex, 6), by = expect_proves(ey, 6);
  ASSERT_EQ(bx.segments.size(), by.segments.size());
  ASSERT_NE(*bx.publics.private_digest, *by.publics.private_digest);
  size_t tried = 0;
  for (size_t k = 0; k < bx.segments.size(); ++k) {
    if (by.segments[k].proof.log_heights.size() != L::kNumTables + priv::kNumPrivateTables) continue;
    Bundle t = bx;
    t.segments[k] = by.segments[k];
    const auto v = verify(*ex.program, t);
    EXPECT_FALSE(v.is_ok()) << "segment " << k << " of the swapped run verified";
    std::printf("  segment %zu of the swapped run -> %s\n", k, v.status().message().c_str());
    ++tried;
  }
  EXPECT_GE(tried, 2u);
}

// The trace's `which`-th input_read byte of kind 4 (in the I/O records) replaced by `v`.
wasm::Trace forge_read_byte(const wasm::Trace& t, size_t which, uint8_t v) {
  wasm::Trace u = t;
  size_t seen = 0;
  for (auto& s : u.steps) {
    if (s.op != uint16_t(Op::kHostWrite)) continue;
    for (uint32_t j = 0; j < uint32_t(s.b); ++j, ++seen) {
      if (seen != which) continue;
      s.a = (s.a & ~(uint64_t(0xFF) << (8 * j))) | (uint64_t(v) << (8 * j));
      return u;
    }
  }
  ADD_FAILURE() << "no read byte " << which;
  return u;
}

TEST(ZkPrivateInput, ForgedReadsAreRejected) {
  Rng rng(test_seed("ZkPrivateInput.ForgedReadsAreRejected"));
  const std::vector<uint8_t> bytes = bytes_of(rng, 30);
  const auto in = input_with(bytes);
  const auto e = test_support::run_extension(wat(private_reader(8, false)), in);
  ASSERT_EQ(e.result.exit_code, 30);
  // A byte read that is not the private input's (the private table holds the true bytes).
  for (size_t at : {size_t(0), size_t(13), size_t(29)}) {
    expect_forgery_rejected("read byte " + std::to_string(at) + " changed", *e.program,
                            forge_read_byte(e.trace, at, uint8_t(bytes[at] ^ 0x5A)), in);
  }
  // The prover given other bytes than the run read: the digest is of what it was given, but
  // the reads do not match its table.
  {
    wasm::ExtensionInput other = in;
    other.private_input[7] ^= 1;
    SCOPED_TRACE("other private bytes");
    auto b = prove(*e.program, e.trace, extension_opts(other, false));
    if (b.is_ok()) {
      EXPECT_FALSE(verify(*e.program, *b).is_ok());
    }
    EXPECT_FALSE(prove(*e.program, e.trace, extension_opts(other)).is_ok());
  }
  // Another length: one trailing byte more or less than the run's input_size(4) saw.
  for (int delta : {-1, 1}) {
    wasm::ExtensionInput other = in;
    if (delta < 0) {
      other.private_input.pop_back();
    } else {
      other.private_input.push_back(0);
    }
    SCOPED_TRACE("length " + std::to_string(other.private_input.size()));
    auto b = prove(*e.program, e.trace, extension_opts(other, false));
    if (b.is_ok()) {
      auto v = verify(*e.program, *b);
      EXPECT_FALSE(v.is_ok());
      std::printf("  length %zu -> %s\n", other.private_input.size(), v.status().message().c_str());
    }
  }
}

// Witness-level forgeries: the honest witness's private tables edited, proved unchecked.
struct PrivateWitness {
  std::shared_ptr<Program> program;
  MachineWitness w;
  PublicValues pv;
  std::vector<uint8_t> bytes;
};

PrivateWitness private_witness(const std::vector<uint8_t>& bytes, uint32_t chunk) {
  PrivateWitness r;
  r.bytes = bytes;
  const auto in = input_with(bytes);
  const auto e = test_support::run_extension(wat(private_reader(chunk, false)), in);
  r.program = e.program;
  WitnessOptions wo;
  wo.check_trace = false;
  wo.public_input = wasm::encode_public_inputs(in);
  wo.private_input = bytes;
  auto w = build_witness(*e.program, e.trace, wo, r.pv);
  EXPECT_TRUE(w.is_ok()) << w.status().to_string();
  if (w.is_ok()) r.w = std::move(*w);
  return r;
}

Status prove_and_verify(const PrivateWitness& f, const MachineWitness& w, const PublicValues& pv,
                        bool checked) {
  const bool with_private = w.main.size() > L::kNumTables;
  auto pk = f.program->proving_key(fri_test_preset(), with_private);
  EXPECT_TRUE(pk.is_ok());
  StarkConfig cfg;
  cfg.check_witness = checked;
  auto proof = stark_prove(machine_air(with_private), **pk, w, cfg);
  if (!checked) {
    EXPECT_TRUE(proof.is_ok()) << proof.status().to_string();
  }
  if (!proof.is_ok()) return proof.status();
  Bundle b;
  b.publics = pv;
  b.segments.emplace_back();
  b.segments[0].proof = std::move(*proof);
  return verify(*f.program, b).status();
}

Fp& cell(MachineWitness& w, uint32_t table, uint32_t width, uint32_t col, size_t row) {
  const size_t rows = w.main[table].size() / width;
  return w.main[table][size_t(col) * rows + row];
}

// The sponge made to stop after its first permutation (rows 0..4): the second permutation's
// rows flagged padding, the first flagged last and its output claimed as the digest.
void stop_early(MachineWitness& w, PublicValues& pv, const std::vector<uint8_t>& bytes) {
  using R = p2::Rows;
  const uint32_t ST = priv::kSpongeTable;
  for (size_t r = R::kPerPerm; r < 2 * R::kPerPerm; ++r) {
    cell(w, ST, Sponge::kWidth, Sponge::kReal, r) = Fp::zero();
    cell(w, ST, Sponge::kWidth, Sponge::kLast, r) = Fp::zero();
  }
  cell(w, ST, Sponge::kWidth, Sponge::kLast, R::kPerPerm - 1) = Fp::one();
  Poseidon2State s{};
  for (size_t j = 0; j < 8; ++j) {
    uint32_t e = 0;
    for (size_t k = 0; k < 3 && 3 * j + k < bytes.size(); ++k) e |= uint32_t(bytes[3 * j + k]) << (8 * k);
    s[j] = Fp::from_u32(e);
  }
  s[8] = Fp::from_u64(bytes.size());
  s[9] = Fp::from_u32(priv::kDomainTag);
  poseidon2_permute_reference(s);
  Digest d;
  for (uint32_t j = 0; j < 8; ++j) d[j] = s[j];
  pv.private_digest = d;
  for (uint32_t j = 0; j < 8; ++j) w.publics[priv::kPubDigest + j] = d[j];
}

TEST(ZkPrivateInput, ForgedPrivateTablesAreRejected) {
  Rng rng(test_seed("ZkPrivateInput.ForgedPrivateTablesAreRejected"));
  // 28 bytes: elements 0..9 (the last holds one byte), two permutations, 16 element rows.
  const std::vector<uint8_t> bytes = bytes_of(rng, 28);
  PrivateWitness f = private_witness(bytes, 8);
  ASSERT_EQ(f.w.main.size(), size_t(L::kNumTables + priv::kNumPrivateTables));
  ASSERT_TRUE(prove_and_verify(f, f.w, f.pv, true).is_ok());
  const uint32_t PT = priv::kPrivateTable, ST = priv::kSpongeTable;
  auto pcell = [&](MachineWitness& w, uint32_t col, size_t row) -> Fp& {
    return cell(w, PT, Priv::kWidth, col, row);
  };
  // The honest sponge table of other bytes in place of the true one, with its digest.
  std::vector<uint8_t> longer = bytes, changed = bytes;
  longer.push_back(0);
  changed[17] ^= 0x40;
  auto swap_sponge = [&](MachineWitness& w, PublicValues& pv, const std::vector<uint8_t>& other) {
    std::vector<uint64_t> bm(1 << 16), rm(1 << 16);
    priv::PrivateTables t = priv::private_tables(other, {}, 0, bm, rm);
    ASSERT_EQ(t.sponge_columns.size(), w.main[ST].size());
    w.main[ST] = std::move(t.sponge_columns);
    pv.private_digest = t.digest;
    for (uint32_t j = 0; j < 8; ++j) w.publics[priv::kPubDigest + j] = t.digest[j];
  };
  struct Forgery {
    std::string what;
    std::function<void(MachineWitness&, PublicValues&)> edit;
  };
  const std::vector<Forgery> forgeries = {
      {"a read byte changed in the private table",
       [&](MachineWitness& w, PublicValues&) { pcell(w, Priv::kB + 1, 2) += Fp::one(); }},
      {"the last byte's validity dropped (length 27)",
       [&](MachineWitness& w, PublicValues&) {
         pcell(w, Priv::kV, 9) = Fp::zero();
         pcell(w, Priv::kM, 9) = Fp::zero();
         for (size_t r = 9; r < 16; ++r) pcell(w, Priv::kCnt, r) -= Fp::one();
       }},
      {"a zero byte appended as valid (length 29)",
       [&](MachineWitness& w, PublicValues&) {
         pcell(w, Priv::kV + 1, 9) = Fp::one();
         for (size_t r = 9; r < 16; ++r) pcell(w, Priv::kCnt, r) += Fp::one();
       }},
      {"a nonzero padding byte after the end",
       [&](MachineWitness& w, PublicValues&) { pcell(w, Priv::kB + 2, 9) = Fp::from_u32(7); }},
      {"the last absorbed element's row dropped",
       [&](MachineWitness& w, PublicValues&) { pcell(w, Priv::kErow, 15) = Fp::zero(); }},
      {"a non-byte value (256) in the private table",
       [&](MachineWitness& w, PublicValues&) {
         pcell(w, Priv::kB, 3) += Fp::from_u32(256);
         pcell(w, Priv::kB + 1, 3) -= Fp::one();
       }},
      {"the sponge absorbing another element (its input state changed)",
       [&](MachineWitness& w, PublicValues&) {
         cell(w, ST, Sponge::kWidth, p2::Rows::kState + 2, p2::Rows::kPerPerm) += Fp::one();
       }},
      {"the sponge of the bytes and a trailing zero (length 29, same elements)",
       [&](MachineWitness& w, PublicValues& pv) { swap_sponge(w, pv, longer); }},
      {"the sponge of other bytes, its digest claimed",
       [&](MachineWitness& w, PublicValues& pv) { swap_sponge(w, pv, changed); }},
      {"the sponge stopping one permutation early",
       [&](MachineWitness& w, PublicValues& pv) { stop_early(w, pv, f.bytes); }},
      {"the digest of other bytes claimed (publics edited)",
       [&](MachineWitness& w, PublicValues& pv) {
         std::vector<uint8_t> other = f.bytes;
         other[0] ^= 1;
         pv.private_digest = priv::private_input_digest(other);
         for (uint32_t j = 0; j < 8; ++j) w.publics[priv::kPubDigest + j] = (*pv.private_digest)[j];
       }},
  };
  for (const Forgery& g : forgeries) {
    SCOPED_TRACE(g.what);
    MachineWitness w = f.w;
    PublicValues pv = f.pv;
    g.edit(w, pv);
    EXPECT_FALSE(prove_and_verify(f, w, pv, true).is_ok()) << "the prover's check missed it";
    const Status v = prove_and_verify(f, w, pv, false);
    EXPECT_FALSE(v.is_ok()) << "forged proof verified";
    std::printf("  forged %-60s -> %s\n", g.what.c_str(), v.message().c_str());
  }
}

// The padding is canonical: 24 bytes take two permutations (the second all zero elements);
// dropping it (one permutation, its digest claimed) balances every bus but the length check.
TEST(ZkPrivateInput, NonCanonicalPaddingIsRejected) {
  Rng rng(test_seed("ZkPrivateInput.NonCanonicalPaddingIsRejected"));
  PrivateWitness f = private_witness(bytes_of(rng, 24), 8);
  ASSERT_EQ(f.w.main.size(), size_t(L::kNumTables + priv::kNumPrivateTables));
  MachineWitness w = f.w;
  PublicValues pv = f.pv;
  const uint32_t PT = priv::kPrivateTable;
  for (size_t r = 8; r < 16; ++r) cell(w, PT, Priv::kWidth, Priv::kErow, r) = Fp::zero();
  stop_early(w, pv, f.bytes);
  // The range table counts the forged row's lookups: d = 24 (below 2^16) instead of 0, and
  // 2^11 (24 + 8) = 2^16, which no row holds, instead of 2^11 * 8.
  auto range = [&](uint32_t v) -> Fp& { return cell(w, L::kRange, L::Range::kWidth, L::Range::kRangeMult, v); };
  range(0) -= Fp::one();
  range(8u << 11) -= Fp::one();
  range(24) += Fp::one();
  EXPECT_FALSE(prove_and_verify(f, w, pv, true).is_ok());
  const Status v = prove_and_verify(f, w, pv, false);
  EXPECT_FALSE(v.is_ok()) << "one permutation for 24 bytes verified";
  std::printf("  24 bytes in one permutation -> %s\n", v.message().c_str());
}

TEST(ZkPrivateInput, BundleCarriesTheDigest) {
  const auto e = test_support::run_extension(wat(private_reader(8)), input_with({1, 2, 3, 4, 5}));
  const Bundle b = expect_proves(e);
  ASSERT_FALSE(b.segments.empty());
  std::vector<uint8_t> bytes = serialize_bundle(b);
  // The digest sits after the output and the gas limit: its flag byte, then 8 u32.
  const size_t at = 8 + 4 + 4 + 32 + 4 + 4 + 4 + 4 + 4 + 8 * b.publics.results.size() + 8 + 8 + 4 +
                    b.publics.public_input.size() + 4 + b.publics.output.size() + 8;
  ASSERT_EQ(bytes[at], 1);
  std::vector<uint8_t> bad = bytes;
  bad[at] = 2;
  auto r = deserialize_bundle(bad);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("private digest flag"), std::string::npos) << r.status().to_string();
  bad = bytes;
  for (size_t j = 1; j <= 4; ++j) bad[at + j] = 0xFF;  // element 0 = 2^32 - 1 >= p
  r = deserialize_bundle(bad);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("not below p"), std::string::npos) << r.status().to_string();
  // Cut anywhere in the digest: truncation named.
  for (size_t cut = at; cut <= at + 33; ++cut) {
    bad.assign(bytes.begin(), bytes.begin() + cut);
    r = deserialize_bundle(bad);
    EXPECT_FALSE(r.is_ok()) << "cut at " << cut;
  }
  // Without the digest the bundle parses (flag 0) and is rejected by the verifier.
  Bundle none = b;
  none.publics.private_digest.reset();
  auto back = deserialize_bundle(serialize_bundle(none));
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_FALSE(back->publics.private_digest.has_value());
  EXPECT_FALSE(verify(*e.program, *back).is_ok());
  // Corrupted digest bytes never verify.
  Rng rng(test_seed("ZkPrivateInput.BundleCarriesTheDigest"));
  for (int k = 0; k < 8; ++k) {
    bad = bytes;
    bad[at + 1 + rng.uniform(32)] ^= uint8_t(1 + rng.uniform(255));
    auto p = deserialize_bundle(bad);
    if (p.is_ok()) {
      EXPECT_FALSE(verify(*e.program, *p).is_ok());
    }
  }
}

}  // namespace
}  // namespace efaas::zkwasm
