#pragma once
// Number-theoretic transforms over BabyBear on every backend (scalar, AVX2, OpenCL), chosen by
// NttConfig::backend. Data is a batch of `cols` columns, each a contiguous run of n = 2^k
// elements (column-major), transformed in place.
//
//   ntt:        coefficients c -> evaluations y_k = sum_i c_i w^(ik),  w = two_adic_generator(k)
//   intt:       the inverse (scaled by 1/n)
//   coset_ntt:  evaluations on the coset shift * H: y_k = sum_i c_i (shift w^k)^i
//   coset_intt: the inverse of coset_ntt
//   lde:        evaluations on H (or a coset) -> evaluations on a coset of a 2^b times larger
//               domain: the low-degree extension used to commit to traces
//
// Orders: input and output each natural or bit-reversed (index i holds the value for bitrev(i)).
#include <cstddef>
#include <span>

#include "prover/common/status.hpp"
#include "prover/device/backend.hpp"
#include "prover/field/babybear.hpp"

namespace efaas {

enum class Order { kNatural, kBitReversed };

struct NttConfig {
  Backend backend = Backend::kAuto;
  Order input_order = Order::kNatural;
  Order output_order = Order::kNatural;
  size_t threads = 0;     // CPU threads; 0 = one per allowed core
  int opencl_device = 0;  // index into list_opencl_devices()
};

// Largest supported transform: the field's two-adicity.
constexpr uint32_t kMaxLogNtt = Fp::kTwoAdicity;

Status ntt(std::span<Fp> data, size_t cols, const NttConfig& cfg = {});
Status intt(std::span<Fp> data, size_t cols, const NttConfig& cfg = {});
Status coset_ntt(std::span<Fp> data, size_t cols, Fp shift, const NttConfig& cfg = {});
Status coset_intt(std::span<Fp> data, size_t cols, Fp shift, const NttConfig& cfg = {});

// dst = src, then coset_ntt from natural-order coefficients to bit-reversed evaluations (cfg's
// orders are not read); src and dst must not overlap. The AVX-512 kernels fold the copy into
// the transform's first pass (one pass less over the data).
Status coset_ntt_from(std::span<const Fp> src, std::span<Fp> dst, size_t cols, Fp shift,
                      const NttConfig& cfg = {});

// coset_ntt from natural-order coefficients to bit-reversed evaluations (cfg's orders are not
// read), computed only at the output positions `rows` (ascending, distinct, each < n); the
// other positions hold unspecified values afterwards. The DIF's butterflies are pruned to the
// blocks that lead to a requested position: about 2^s n / 2 per top layer s while every block
// is needed, then |rows| blocks per layer (the STARK prover's query openings of streamed LDE
// blocks read ~10 groups of 16 rows of 2^20: ~30% of a full transform's butterflies).
Status coset_ntt_rows(std::span<Fp> data, size_t cols, Fp shift, std::span<const size_t> rows,
                      const NttConfig& cfg = {});

struct LdeParams {
  uint32_t log_blowup = 1;       // 1..4 are the usual 2/4/8/16; up to the two-adicity in total
  Fp input_shift = Fp::one();    // the input lies on input_shift * H (one(): H itself)
  Fp output_shift = Fp::from_canonical(Fp::kGenerator);  // evaluate on output_shift * H'
};

// `in`: cols columns of n evaluations (cfg.input_order); `out`: cols columns of n * 2^b
// evaluations (cfg.output_order). `in` and `out` must not overlap.
Status lde(std::span<const Fp> in, std::span<Fp> out, size_t cols, const LdeParams& params = {},
           const NttConfig& cfg = {});

// In-place bit-reversal permutation of one column of 2^log_n elements.
void bit_reverse_permute(Fp* data, uint32_t log_n);

// Reference transforms for tests: the O(n^2) DFT y_k = sum_i c_i (shift w^k)^i, natural order.
void naive_dft(std::span<const Fp> coeffs, std::span<Fp> out, Fp shift = Fp::one());

}  // namespace efaas
