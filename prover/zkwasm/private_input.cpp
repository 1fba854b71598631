// The private input's tables, the sponge's native reference and the witness (private_input.hpp
// states the construction; docs/zkwasm.md "Private input" argues its soundness).
#include "prover/zkwasm/private_input.hpp"

#include <algorithm>

#include "prover/zkwasm/air_internal.hpp"
#include "prover/zkwasm/io.hpp"

namespace efaas::zkwasm::priv {

namespace L = layout;
using air::Expr;
using air::TableAir;

static_assert(kPrivateKind == zkwasm::kPrivateKind);

namespace {

size_t perm_count(size_t n) { return n / 24 + 1; }
constexpr uint32_t kLogSharedHeight = 17;  // the sponge's height rule (private_tables)
uint32_t element(std::span<const uint8_t> b, size_t r) {
  uint32_t e = 0;
  for (size_t j = 0; j < 3; ++j)
    if (3 * r + j < b.size()) e |= uint32_t(b[3 * r + j]) << (8 * j);
  return e;
}
Poseidon2State initial_state(size_t n) {
  Poseidon2State s{};
  s[8] = Fp::from_u64(n);
  s[9] = Fp::from_u32(kDomainTag);
  return s;
}

}  // namespace

Digest private_input_digest(std::span<const uint8_t> bytes) {
  Poseidon2State s = initial_state(bytes.size());
  for (size_t p = 0; p < perm_count(bytes.size()); ++p) {
    for (size_t j = 0; j < 8; ++j) s[j] = Fp::from_u32(element(bytes, 8 * p + j));
    poseidon2_permute(s);
  }
  Digest d;
  std::copy_n(s.begin(), kDigestSize, d.begin());
  return d;
}

TableAir private_table() {
  using P = Priv;
  TableAir t("private_input", P::kWidth);
  auto c = [&](uint32_t col) { return t.main(col); };
  auto n = [&](uint32_t col) { return t.main_next(col); };
  const Fp one = Fp::one();
  const Expr idx = c(P::kIdx), erow = c(P::kErow), cnt = c(P::kCnt), last = c(P::kLastRow);
  Expr b[3], m[3], v[3];
  for (uint32_t j = 0; j < 3; ++j) b[j] = c(P::kB + j), m[j] = c(P::kM + j), v[j] = c(P::kV + j);
  // Element indices 0, 1, 2, ... (distinct, so the sponge's tuples match one by one).
  t.assert_first(idx);
  t.assert_transition(n(P::kIdx) - idx - one);
  // Valid bytes: the first n in byte order (v0 >= v1 >= v2 >= next v0), only on element rows,
  // which come first. Invalid bytes are zero and nobody reads them.
  for (const Expr& bit : {v[0], v[1], v[2], erow, last}) t.assert_bool(bit);
  t.assert_zero(v[1] * (one - v[0]));
  t.assert_zero(v[2] * (one - v[1]));
  t.assert_transition(n(P::kV) * (one - v[2]));
  t.assert_zero(v[0] * (one - erow));
  t.assert_first(erow - one);
  t.assert_transition(n(P::kErow) * (one - erow));
  for (uint32_t j = 0; j < 3; ++j) {
    t.assert_zero((one - v[j]) * b[j]);
    t.assert_zero((one - v[j]) * m[j]);
  }
  // The byte count n: the running count's value on the table's last row (its only size tuple).
  t.assert_first(cnt - v[0] - v[1] - v[2]);
  t.assert_transition(n(P::kCnt) - cnt - n(P::kV) - n(P::kV + 1) - n(P::kV + 2));
  t.assert_transition(last);
  t.assert_last(last - one);
  t.assert_transition(c(P::kMsz));
  const Expr kind = t.constant(kPrivateKind);
  for (uint32_t j = 0; j < 3; ++j) {
    t.interact(L::kBusInput, -m[j], {kind, idx * Fp::from_u32(3) + Fp::from_u32(j), b[j]});
  }
  t.interact(L::kBusInput, -c(P::kMsz), {kind, t.constant(L::kSizeIndex), cnt});
  // Bytes: (b0, b1) and (b2, 0) are rows of the range table's byte pairs.
  t.interact(L::kBusBytes, t.constant(1), {b[0], b[1]});
  t.interact(L::kBusBytes, t.constant(1), {b[2], t.constant(0)});
  // To the sponge: every element (below 2^24 < p, so distinct bytes give distinct elements),
  // and the length.
  t.interact(L::kBusPrivate, erow,
             {idx, b[0] + b[1] * Fp::from_u32(1u << 8) + b[2] * Fp::from_u32(1u << 16)});
  t.interact(L::kBusPrivate, last, {t.constant(L::kSizeIndex), cnt});
  (void)t.finalize(3);
  return t;
}

TableAir sponge_table() {
  using S = Sponge;
  using R = p2::Rows;
  TableAir t("private_sponge", S::kWidth);
  auto c = [&](uint32_t col) { return t.main(col); };
  auto n = [&](uint32_t col) { return t.main_next(col); };
  const Fp one = Fp::one();
  const p2::RowsExprs pe = p2::add_rows_constraints(t, 0);
  const Expr ph0 = c(R::kPhase), ph4 = c(R::kPhase + R::kPerPerm - 1);
  const Expr real = c(S::kReal), first = c(S::kFirst), last = c(S::kLast), pno = c(S::kPno);
  for (const Expr& bit : {real, first, last}) t.assert_bool(bit);
  t.assert_first(first - one);
  t.assert_transition(n(S::kFirst));
  // Real permutations first (at least one, whole: real changes only after a permutation's last
  // row, and the table's last row, when real, is one), `last` on the last one's last row.
  t.assert_first(real - one);
  t.assert_transition(n(S::kReal) * (one - real));
  t.assert_transition((one - ph4) * (n(S::kReal) - real));
  t.assert_transition(last - ph4 * (real - n(S::kReal)));
  t.assert_last(last - ph4 * real);
  t.assert_last(real * (one - ph4));
  t.assert_first(pno);
  t.assert_transition(n(S::kPno) - pno - ph4);
  // The initial state: lane 8 the length (from the private table), lane 9 the tag, the other
  // capacity lanes zero; then each permutation's capacity is the previous one's output.
  const Expr len = c(S::kLen);
  t.interact(L::kBusPrivate, -first, {t.constant(L::kSizeIndex), len});
  t.assert_first(pe.input[8] - len);
  t.assert_first(pe.input[9] - t.constant(kDomainTag));
  for (uint32_t i = 10; i < 16; ++i) t.assert_first(pe.input[i]);
  for (uint32_t i = 8; i < 16; ++i) t.assert_transition(ph4 * (pe.next_input[i] - pe.output[i]));
  t.assert_transition(n(S::kLen) - len);
  // The rate: elements 8 pno .. 8 pno + 7, on each real permutation's first row.
  for (uint32_t j = 0; j < 8; ++j) {
    t.interact(L::kBusPrivate, -(ph0 * real), {pno * Fp::from_u32(8) + Fp::from_u32(j), pe.input[j]});
  }
  // The padding is canonical: P = floor(n / 24) + 1, i.e. d = n - 24 (P - 1) is in [0, 24) on
  // the last real permutation: d < 2^16 and 2^11 (d + 8) < 2^16 (then d + 8 < 32).
  const Expr d = len - pno * Fp::from_u32(24);
  t.interact(L::kBusRange, last, {d});
  t.interact(L::kBusRange, last, {(d + Fp::from_u32(8)) * Fp::from_u32(1u << 11)});
  for (uint32_t j = 0; j < 8; ++j) t.assert_zero(last * (pe.output[j] - t.pub(kPubDigest + j)));
  (void)t.finalize(4);
  return t;
}

void add_private_tables(air::MachineAir& m) {
  m.name += "+private";
  m.tables.push_back(private_table());
  m.tables.push_back(sponge_table());
  m.num_publics += kDigestSize;
}

PrivateTables private_tables(std::span<const uint8_t> bytes, std::span<const uint64_t> byte_lookups,
                             uint64_t size_lookups, std::vector<uint64_t>& byte_mult,
                             std::vector<uint64_t>& range_mult) {
  using P = Priv;
  using S = Sponge;
  PrivateTables out;
  const size_t n = bytes.size(), perms = perm_count(n), elems = 8 * perms;
  {
    const size_t rows = size_t(1) << table_log_rows(elems);
    std::vector<Fp>& col = out.priv_columns;
    col.assign(size_t(P::kWidth) * rows, Fp::zero());
    auto set = [&](uint32_t cc, size_t r, uint64_t v) { col[size_t(cc) * rows + r] = Fp::from_u64(v); };
    uint64_t cnt = 0;
    for (size_t r = 0; r < rows; ++r) {
      set(P::kIdx, r, r);
      set(P::kErow, r, r < elems);
      uint32_t bb[3] = {0, 0, 0};
      for (uint32_t j = 0; j < 3; ++j) {
        const size_t at = 3 * r + j;
        if (at >= n) continue;
        bb[j] = bytes[at];
        set(P::kB + j, r, bb[j]);
        set(P::kM + j, r, at < byte_lookups.size() ? byte_lookups[at] : 0);
        set(P::kV + j, r, 1);
        ++cnt;
      }
      set(P::kCnt, r, cnt);
      ++byte_mult[256 * bb[0] + bb[1]];
      ++byte_mult[256 * bb[2]];
    }
    set(P::kLastRow, rows - 1, 1);
    set(P::kMsz, rows - 1, size_lookups);
  }
  {
    using R = p2::Rows;
    // Up to 2^17 private rows (about 384 KiB) the sponge takes the private table's height (5 P
    // <= 8 P): each distinct table height can cost the proof a FRI layer (a fold stops at every
    // input height), about 15 KB at 42 queries, for at most 2^16 more sponge rows (~7 M cells,
    // ~3% of a 2^20 segment); above it the extra rows would cost more than the layer saves.
    const uint32_t own_log = table_log_rows(size_t(R::kPerPerm) * perms);
    const uint32_t priv_log = table_log_rows(elems);
    const size_t rows = size_t(1) << (priv_log <= kLogSharedHeight ? priv_log : own_log);
    std::vector<Fp>& col = out.sponge_columns;
    col.assign(size_t(S::kWidth) * rows, Fp::zero());
    std::vector<Fp> block(size_t(R::kPerPerm) * R::kWidth);
    Poseidon2State s = initial_state(n);
    const size_t d = n - 24 * (perms - 1);  // the last permutation's length check
    ++range_mult[d];
    ++range_mult[(d + 8) << 11];
    auto set = [&](uint32_t cc, size_t r, Fp v) { col[size_t(cc) * rows + r] = v; };
    // Padding permutations (and a last one cut by the table's end) continue the chain on zero
    // elements: the constraints hold on them, the bus and the digest ignore them.
    for (size_t p = 0; R::kPerPerm * p < rows; ++p) {
      const bool real = p < perms;
      for (size_t j = 0; j < 8; ++j) s[j] = real ? Fp::from_u32(element(bytes, 8 * p + j)) : Fp::zero();
      const Poseidon2State o = p2::permutation_rows(s, block);
      for (uint32_t k = 0; k < R::kPerPerm && R::kPerPerm * p + k < rows; ++k) {
        const size_t r = R::kPerPerm * p + k;
        for (uint32_t cc = 0; cc < R::kWidth; ++cc) set(cc, r, block[size_t(k) * R::kWidth + cc]);
        set(S::kFirst, r, Fp::from_u32(r == 0));
        set(S::kReal, r, Fp::from_u32(real));
        set(S::kLast, r, Fp::from_u32(k + 1 == R::kPerPerm && p + 1 == perms));
        set(S::kPno, r, Fp::from_u64(p));
        set(S::kLen, r, Fp::from_u64(n));
      }
      s = o;
      if (p + 1 == perms) std::copy_n(s.begin(), kDigestSize, out.digest.begin());
    }
  }
  return out;
}

void append_digest_publics(std::vector<Fp>& publics, const Digest& d) {
  publics.insert(publics.end(), d.begin(), d.end());
}

void append_private(MachineWitness& w, PrivateTables&& t) {
  w.main.push_back(std::move(t.priv_columns));
  w.main.push_back(std::move(t.sponge_columns));
  append_digest_publics(w.publics, t.digest);
}

}  // namespace efaas::zkwasm::priv
