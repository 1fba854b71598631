#include "prover/hash/poseidon2.hpp"

#include <algorithm>
#include <atomic>
#include <string>

#include "prover/common/cpu_features.hpp"
#include "prover/common/thread_pool.hpp"
#include "prover/hash/blake3.hpp"
#include "prover/hash/blake3_opencl.hpp"
#include "prover/hash/hash_backend.hpp"
#include "prover/hash/poseidon2_opencl.hpp"

namespace efaas {

namespace {

// Canonical values from shared/vectors/poseidon2_babybear16.json (Plonky3's BabyBear
// parameters); poseidon2_test checks them against the file.
constexpr uint32_t kExternalInitial[4][16] = {
    {1774958255u, 1185780729u, 1621102414u, 1796380621u, 588815102u, 1932426223u, 1925334750u,
     747903232u, 89648862u, 360728943u, 977184635u, 1425273457u, 256487465u, 1200041953u,
     572403254u, 448208942u},
    {1215789478u, 944884184u, 953948096u, 547326025u, 646827752u, 889997530u, 1536873262u,
     86189867u, 1065944411u, 32019634u, 333311454u, 456061748u, 1963448500u, 1827584334u,
     1391160226u, 1348741381u},
    {88424255u, 104111868u, 1763866748u, 79691676u, 1988915530u, 1050669594u, 359890076u,
     573163527u, 222820492u, 159256268u, 669703072u, 763177444u, 889367200u, 256335831u, 704371273u,
     25886717u},
    {51754520u, 1833211857u, 454499742u, 1384520381u, 777848065u, 1053320300u, 1851729162u,
     344647910u, 401996362u, 1046925956u, 5351995u, 1212119315u, 754867989u, 36972490u, 751272725u,
     506915399u}};
constexpr uint32_t kExternalFinal[4][16] = {
    {1922082829u, 1870549801u, 1502529704u, 1990744480u, 1700391016u, 1702593455u, 321330495u,
     528965731u, 183414327u, 1886297254u, 1178602734u, 1923111974u, 744004766u, 549271463u,
     1781349648u, 542259047u},
    {1536158148u, 715456982u, 503426110u, 340311124u, 1558555932u, 1226350925u, 742828095u,
     1338992758u, 1641600456u, 1843351545u, 301835475u, 43203215u, 386838401u, 1520185679u,
     1235297680u, 904680097u},
    {1491801617u, 1581784677u, 913384905u, 247083962u, 532844013u, 107190701u, 213827818u,
     1979521776u, 1358282574u, 1681743681u, 1867507480u, 1530706910u, 507181886u, 695185447u,
     1172395131u, 1250800299u},
    {1503161625u, 817684387u, 498481458u, 494676004u, 1404253825u, 108246855u, 59414691u,
     744214112u, 890862029u, 1342765939u, 1417398904u, 1897591937u, 1066647396u, 1682806907u,
     1015795079u, 1619482808u}};
constexpr uint32_t kInternal[13] = {1518359488u, 1765533241u, 945325693u,  422793067u, 311365592u,
                                    1311448267u, 1629555936u, 1009879353u, 190525218u, 786108885u,
                                    557776863u,  212616710u,  605745517u};
constexpr uint32_t kInternalDiag[16] = {2013265919u, 1u,          2u,          1006632961u,
                                        3u,          4u,          1006632960u, 2013265918u,
                                        2013265917u, 2005401601u, 1509949441u, 1761607681u,
                                        2013265906u, 7864320u,    125829120u,  15u};

Poseidon2Constants make_constants() {
  Poseidon2Constants c;
  for (size_t r = 0; r < kPoseidon2FullRounds / 2; ++r) {
    for (size_t i = 0; i < kPoseidon2Width; ++i) {
      c.external_initial[r][i] = Fp::from_canonical(kExternalInitial[r][i]);
      c.external_final[r][i] = Fp::from_canonical(kExternalFinal[r][i]);
    }
  }
  for (size_t r = 0; r < kPoseidon2PartialRounds; ++r)
    c.internal[r] = Fp::from_canonical(kInternal[r]);
  for (size_t i = 0; i < kPoseidon2Width; ++i)
    c.internal_diag[i] = Fp::from_canonical(kInternalDiag[i]);
  return c;
}

inline Fp sbox(Fp x) {
  Fp x2 = x * x;
  Fp x4 = x2 * x2;
  return x4 * x2 * x;
}

// M_E: t = M4 * block for each block of 4 lanes, then out[i] = t[i] + sum_j t[4j + i % 4].
// M4 = circ-like [[2,3,1,1],[1,2,3,1],[1,1,2,3],[3,1,1,2]]: row i is s + x_i + 2 x_{i+1}.
inline void external_linear(Poseidon2State& s) {
  for (size_t b = 0; b < 16; b += 4) {
    Fp x0 = s[b], x1 = s[b + 1], x2 = s[b + 2], x3 = s[b + 3];
    Fp sum = (x0 + x1) + (x2 + x3);
    s[b] = sum + x0 + (x1 + x1);
    s[b + 1] = sum + x1 + (x2 + x2);
    s[b + 2] = sum + x2 + (x3 + x3);
    s[b + 3] = sum + x3 + (x0 + x0);
  }
  Fp col[4];
  for (size_t i = 0; i < 4; ++i) col[i] = (s[i] + s[4 + i]) + (s[8 + i] + s[12 + i]);
  for (size_t i = 0; i < 16; ++i) s[i] += col[i % 4];
}

// The internal diagonal is Plonky3's: [-2, 1, 2, 1/2, 3, 4, -1/2, -3, -4, 2^-8, 1/4, 1/8, 2^-27,
// -2^-8, -1/16, -2^-27]. Both the scalar and the AVX2 partial rounds multiply by these with
// additions and shifts instead of general products, so they rely on this exact table.
constexpr uint32_t kP = Fp::kP;
static_assert(kInternalDiag[0] == kP - 2 && kInternalDiag[1] == 1 && kInternalDiag[2] == 2 &&
                  kInternalDiag[3] == (kP + 1) / 2 && kInternalDiag[4] == 3 &&
                  kInternalDiag[5] == 4 && kInternalDiag[6] == (kP - 1) / 2 &&
                  kInternalDiag[7] == kP - 3 && kInternalDiag[8] == kP - 4 &&
                  kInternalDiag[9] == kP - (kP - 1) / 256 &&
                  kInternalDiag[10] == kP - (kP - 1) / 4 &&
                  kInternalDiag[11] == kP - (kP - 1) / 8 && kInternalDiag[12] == kP - 15 &&
                  kInternalDiag[13] == (kP - 1) / 256 && kInternalDiag[14] == (kP - 1) / 16 &&
                  kInternalDiag[15] == 15,
              "the partial rounds hard-code this internal diagonal");

// x * 2^-k for 1 <= k <= 27, on the Montgomery value (multiplying by a constant commutes with
// the Montgomery factor): with x = hi 2^k + lo, x 2^-k = hi - lo * 15 * 2^(27-k), because
// 2^-k = -(p - 1) / 2^k mod p; lo * 15 * 2^(27-k) < 15 * 2^27 < p.
inline Fp mul_2exp_neg(Fp x, int k) {
  const uint32_t v = x.montgomery();
  const uint32_t lo = v & ((1u << k) - 1);
  const uint32_t t = ((lo << 4) - lo) << (27 - k);
  const uint32_t hi = v >> k;
  return Fp::from_montgomery(hi >= t ? hi - t : hi + kP - t);
}

// One partial round: S-box on lane 0, then M_I (out[i] = sum(state) + diag[i] * state[i]).
// The sum of lanes 1..15 does not depend on the S-box, so it is summed first.
inline void partial_round(Poseidon2State& s, Fp rc) {
  Fp part = ((s[1] + s[2]) + (s[3] + s[4])) + ((s[5] + s[6]) + (s[7] + s[8]));
  part += ((s[9] + s[10]) + (s[11] + s[12])) + ((s[13] + s[14]) + s[15]);
  const Fp x0 = sbox(s[0] + rc);
  const Fp sum = part + x0;
  s[0] = sum - (x0 + x0);
  s[1] = sum + s[1];
  s[2] = sum + (s[2] + s[2]);
  s[3] = sum + mul_2exp_neg(s[3], 1);
  s[4] = sum + (s[4] + s[4] + s[4]);
  const Fp d5 = s[5] + s[5];
  s[5] = sum + (d5 + d5);
  s[6] = sum - mul_2exp_neg(s[6], 1);
  s[7] = sum - (s[7] + s[7] + s[7]);
  const Fp d8 = s[8] + s[8];
  s[8] = sum - (d8 + d8);
  s[9] = sum + mul_2exp_neg(s[9], 8);
  s[10] = sum + mul_2exp_neg(s[10], 2);
  s[11] = sum + mul_2exp_neg(s[11], 3);
  s[12] = sum + mul_2exp_neg(s[12], 27);
  s[13] = sum - mul_2exp_neg(s[13], 8);
  s[14] = sum - mul_2exp_neg(s[14], 4);
  s[15] = sum - mul_2exp_neg(s[15], 27);
}

void permute_one(Poseidon2State& s, const Poseidon2Constants& c) {
  external_linear(s);
  for (size_t r = 0; r < kPoseidon2FullRounds / 2; ++r) {
    for (size_t i = 0; i < 16; ++i) s[i] = sbox(s[i] + c.external_initial[r][i]);
    external_linear(s);
  }
  for (size_t r = 0; r < kPoseidon2PartialRounds; ++r) {
    partial_round(s, c.internal[r]);
  }
  for (size_t r = 0; r < kPoseidon2FullRounds / 2; ++r) {
    for (size_t i = 0; i < 16; ++i) s[i] = sbox(s[i] + c.external_final[r][i]);
    external_linear(s);
  }
}

std::atomic<bool> g_avx512_hashing{true};

// One permutation for the single-state callers (transcript, verifier, openings): the one-register
// AVX-512 version where it is usable, else the scalar reference. The scalar backend's kernels
// below keep the reference (`reference` = true), so they stay an independent oracle.
inline void permute_single(Poseidon2State& s, bool reference) {
  if (!reference && avx512_usable() && g_avx512_hashing.load(std::memory_order_relaxed)) {
    avx512::permute_single(s);
  } else {
    permute_one(s, poseidon2_constants());
  }
}

// Absorbs the elements produced by `next(k)` for k < total in overwrite mode (see header).
template <typename Next>
Digest sponge(size_t total, Next next, bool reference = false) {
  Poseidon2State s{};
  size_t k = 0;
  while (k < total) {
    const size_t n = std::min(kPoseidon2Rate, total - k);
    for (size_t i = 0; i < n; ++i) s[i] = next(k + i);
    permute_single(s, reference);
    k += n;
  }
  Digest d;
  std::copy_n(s.begin(), kDigestSize, d.begin());
  return d;
}

void scalar_permute(Poseidon2State* states, size_t n) {
  const Poseidon2Constants& c = poseidon2_constants();
  for (size_t i = 0; i < n; ++i) permute_one(states[i], c);
}

// Column-major rows are gathered a block at a time so each column is read sequentially.
void scalar_hash_rows(std::span<const MatrixView> mats, size_t begin, size_t count, Digest* out) {
  size_t width = 0;
  bool all_rows = true;
  for (const MatrixView& m : mats) {
    width += m.cols;
    all_rows = all_rows && m.layout == Layout::kRowMajor;
  }
  if (mats.size() == 1 && all_rows) {
    const MatrixView& m = mats[0];
    for (size_t i = 0; i < count; ++i) {
      const Fp* row = m.data + (begin + i) * m.cols;
      out[i] = sponge(m.cols, [&](size_t k) { return row[k]; }, true);
    }
    return;
  }
  constexpr size_t kBlock = 32;
  std::vector<Fp> buf(kBlock * width);
  for (size_t b0 = 0; b0 < count; b0 += kBlock) {
    const size_t nb = std::min(kBlock, count - b0);
    size_t off = 0;
    for (const MatrixView& m : mats) {
      const size_t r0 = begin + b0;
      if (m.layout == Layout::kColMajor) {
        for (size_t c = 0; c < m.cols; ++c) {
          const Fp* col = m.data + c * m.rows + r0;
          for (size_t r = 0; r < nb; ++r) buf[r * width + off + c] = col[r];
        }
      } else {
        for (size_t r = 0; r < nb; ++r) {
          std::copy_n(m.data + (r0 + r) * m.cols, m.cols, buf.data() + r * width + off);
        }
      }
      off += m.cols;
    }
    for (size_t r = 0; r < nb; ++r) {
      const Fp* row = buf.data() + r * width;
      out[b0 + r] = sponge(width, [&](size_t k) { return row[k]; }, true);
    }
  }
}

Digest compress_impl(const Digest& left, const Digest& right, bool reference) {
  Poseidon2State s;
  std::copy(left.begin(), left.end(), s.begin());
  std::copy(right.begin(), right.end(), s.begin() + kDigestSize);
  permute_single(s, reference);
  Digest d;
  std::copy_n(s.begin(), kDigestSize, d.begin());
  return d;
}

void scalar_compress(const Digest* a, const Digest* b, size_t stride, Digest* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = compress_impl(a[i * stride], b[i * stride], true);
}

}  // namespace

const Poseidon2Constants& poseidon2_constants() {
  static const Poseidon2Constants c = make_constants();
  return c;
}

void poseidon2_permute(Poseidon2State& state) {
  permute_single(state, false);
}

void poseidon2_permute_reference(Poseidon2State& state) {
  permute_one(state, poseidon2_constants());
}

Digest hash_row(std::span<const Fp> elements) {
  return sponge(elements.size(), [&](size_t k) { return elements[k]; });
}

Digest hash_rows_concat(std::span<const MatrixView> matrices, size_t row) {
  if (matrices.size() == 1) {
    const MatrixView& m = matrices[0];
    return sponge(m.cols, [&](size_t k) { return m.at(row, k); });
  }
  size_t total = 0;
  for (const MatrixView& m : matrices) total += m.cols;
  // Walk matrices and columns in order; sponge() asks for k = 0, 1, 2, ... sequentially.
  size_t mi = 0, base = 0;
  return sponge(total, [&](size_t k) {
    while (k - base >= matrices[mi].cols) base += matrices[mi++].cols;
    return matrices[mi].at(row, k - base);
  });
}

Digest compress(const Digest& left, const Digest& right) {
  return compress_impl(left, right, false);
}

const Poseidon2Kernels& scalar_poseidon2_kernels() {
  static const Poseidon2Kernels k{scalar_permute, scalar_hash_rows, scalar_compress};
  return k;
}

void set_avx512_hashing(bool enabled) {
  g_avx512_hashing.store(enabled);
}

bool avx512_hashing_enabled() {
  return g_avx512_hashing.load(std::memory_order_relaxed);
}

Result<const Poseidon2Kernels*> poseidon2_kernels_for(Backend backend) {
  Result<Backend> resolved = resolve_backend(backend);
  if (!resolved) return resolved.status();
  switch (*resolved) {
    case Backend::kAvx2:
      if (avx512_usable() && g_avx512_hashing.load(std::memory_order_relaxed))
        return &avx512::poseidon2_kernels();
      return &avx2::poseidon2_kernels();
    case Backend::kOpenCl:
      return unimplemented(
          "Poseidon2 on OpenCL: not implemented yet (waits for the OpenCL "
          "runtime); use the scalar or avx2 backend");
    default:
      return &scalar_poseidon2_kernels();
  }
}

namespace {
Status unknown_hash(MerkleHash hash) {
  return invalid_argument("Merkle hash " + std::to_string(int(hash)) +
                          " is not one of poseidon2 (0) or blake3 (1)");
}
}  // namespace

Result<MerkleKernels> merkle_kernels_for(MerkleHash hash, Backend backend) {
  switch (hash) {
    case MerkleHash::kPoseidon2: {
      auto k = poseidon2_kernels_for(backend);
      if (!k) return k.status();
      return MerkleKernels{(*k)->hash_rows, (*k)->compress};
    }
    case MerkleHash::kBlake3: {
      auto k = blake3_kernels_for(backend);
      if (!k) return k.status();
      return MerkleKernels{(*k)->hash_rows, (*k)->compress};
    }
  }
  return unknown_hash(hash);
}

namespace {
// Work is split in chunks large enough that thread hand-off is negligible next to the hashing.
constexpr size_t kGrainPermutations = 256;
}  // namespace

Status poseidon2_permute_batch(std::span<Poseidon2State> states, const HashConfig& cfg) {
  Result<Backend> backend = resolve_backend(cfg.backend);
  if (!backend) return backend.status();
  if (*backend == Backend::kOpenCl) return opencl_permute_batch(states, cfg.opencl_device);
  auto kernels = poseidon2_kernels_for(cfg.backend);
  if (!kernels) return kernels.status();
  const Poseidon2Kernels* k = *kernels;
  ThreadPool::with_threads(cfg.threads)
      .parallel_for(states.size(), kGrainPermutations,
                    [&](size_t b, size_t e) { k->permute(states.data() + b, e - b); });
  return Status::ok();
}

Status hash_matrix_rows(std::span<const MatrixView> matrices, std::span<Digest> out,
                        const HashConfig& cfg) {
  if (matrices.empty()) return invalid_argument("hash_matrix_rows: no matrices");
  const size_t rows = matrices[0].rows;
  for (size_t i = 0; i < matrices.size(); ++i) {
    const MatrixView& m = matrices[i];
    if (m.rows != rows) {
      return invalid_argument("hash_matrix_rows: matrix " + std::to_string(i) + " has " +
                              std::to_string(m.rows) + " rows, matrix 0 has " +
                              std::to_string(rows));
    }
    if (m.data == nullptr && m.size() != 0) {
      return invalid_argument("hash_matrix_rows: matrix " + std::to_string(i) + " has no data");
    }
  }
  if (out.size() != rows) {
    return invalid_argument("hash_matrix_rows: output holds " + std::to_string(out.size()) +
                            " digests for " + std::to_string(rows) + " rows");
  }
  if (uint32_t(cfg.merkle_hash) > kMaxMerkleHash) return unknown_hash(cfg.merkle_hash);
  Result<Backend> backend = resolve_backend(cfg.backend);
  if (!backend) return backend.status();
  if (*backend == Backend::kOpenCl) {
    return cfg.merkle_hash == MerkleHash::kBlake3
               ? opencl_blake3_hash_matrix_rows(matrices, out, cfg.opencl_device)
               : opencl_hash_matrix_rows(matrices, out, cfg.opencl_device);
  }
  auto kernels = merkle_kernels_for(cfg.merkle_hash, *backend);
  if (!kernels) return kernels.status();
  const MerkleKernels k = *kernels;
  size_t width = 0;
  for (const MatrixView& m : matrices) width += m.cols;
  const size_t grain = std::max<size_t>(8, 4096 / std::max<size_t>(1, width));
  ThreadPool::with_threads(cfg.threads).parallel_for(rows, grain, [&](size_t b, size_t e) {
    k.hash_rows(matrices, b, e - b, out.data() + b);
  });
  return Status::ok();
}

Status compress_pairs(std::span<const Digest> in, std::span<Digest> out, const HashConfig& cfg) {
  if (in.size() != 2 * out.size()) {
    return invalid_argument("compress_pairs: " + std::to_string(in.size()) + " input digests for " +
                            std::to_string(out.size()) + " outputs");
  }
  if (uint32_t(cfg.merkle_hash) > kMaxMerkleHash) return unknown_hash(cfg.merkle_hash);
  Result<Backend> backend = resolve_backend(cfg.backend);
  if (!backend) return backend.status();
  if (*backend == Backend::kOpenCl) {
    return cfg.merkle_hash == MerkleHash::kBlake3
               ? opencl_blake3_compress_pairs(in, out, cfg.opencl_device)
               : opencl_compress_pairs(in, out, cfg.opencl_device);
  }
  auto kernels = merkle_kernels_for(cfg.merkle_hash, *backend);
  if (!kernels) return kernels.status();
  const MerkleKernels k = *kernels;
  ThreadPool::with_threads(cfg.threads)
      .parallel_for(out.size(), kGrainPermutations, [&](size_t b, size_t e) {
        k.compress(in.data() + 2 * b, in.data() + 2 * b + 1, 2, out.data() + b, e - b);
      });
  return Status::ok();
}

}  // namespace efaas
