#pragma once
// A column-major matrix's low-degree extension on the FRI coset, bit-reversed order, held as
// B = 2^log_blowup blocks of n rows. In bit-reversed order the LDE domain of size B n splits into
// B contiguous blocks, block k being the coset shift * w_{Bn}^bitrev(k) * H_n (bit-reversed
// within): one size-n coset NTT of the coefficients gives a block, and each block is closed under
// the trace generator (the next row of a row lies in its block). So the prover can keep some
// blocks resident and recompute the others on demand, from the coefficients (cached) or from the
// evaluations on H it holds anyway (an inverse NTT more per block). The values are the same as
// those of ntt's lde(): field arithmetic is exact.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>
#include <vector>

#include "prover/common/status.hpp"
#include "prover/field/babybear.hpp"
#include "prover/ntt/ntt.hpp"

namespace efaas::stark_internal {

// A heap array of Fp that allocation leaves untouched (std::vector zero-fills on one thread):
// the LDE buffers are hundreds of MB, so their first touch (page faults) happens in the
// parallel copy that fills them. Fp is trivially copyable, so bytes copied in make the values.
class FpBuffer {
 public:
  FpBuffer() = default;
  explicit FpBuffer(size_t n)
      : p_(n == 0 ? nullptr : static_cast<Fp*>(std::malloc(n * sizeof(Fp)))), n_(n) {
    if (n != 0 && p_ == nullptr) throw std::bad_alloc();
  }
  Fp* data() { return p_.get(); }
  const Fp* data() const { return p_.get(); }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  Fp& operator[](size_t i) { return p_.get()[i]; }
  const Fp& operator[](size_t i) const { return p_.get()[i]; }
  std::span<Fp> span() { return {p_.get(), n_}; }
  std::span<const Fp> span() const { return {p_.get(), n_}; }

 private:
  struct Free {
    void operator()(Fp* p) const { std::free(p); }
  };
  std::unique_ptr<Fp, Free> p_;
  size_t n_ = 0;
};

// dst[0..count) = src[0..count) in parallel chunks on `threads` threads (0: all).
void parallel_copy(Fp* dst, const Fp* src, size_t count, size_t threads);

// How much of an LDE stays in memory.
struct LdeResidency {
  size_t resident_blocks = SIZE_MAX;  // blocks 0 .. r-1 kept (all when >= B)
  bool cache_coeffs = false;          // keep the coefficients (when some block is recomputed)
};

class LdeBlocks {
 public:
  LdeBlocks() = default;
  // `source`: width columns of n = 2^log_n values, natural order: evaluations on H (a trace), or
  // coefficients when `is_coeffs`. Unless every block is resident the source is referenced,
  // not copied, and must outlive this object. `cfg` picks the backend (host backends only).
  static Result<LdeBlocks> create(std::span<const Fp> source, bool is_coeffs, size_t width,
                                  uint32_t log_n, uint32_t log_blowup, LdeResidency residency,
                                  const NttConfig& cfg);

  // Block k (n rows x width, column-major): the resident copy, or computed into `scratch`
  // unless `scratch` still holds it from the last call (a pass that reads the block the
  // previous pass ended on). Call scratch_released() when the scratch is freed or reused.
  Result<const Fp*> block(size_t k, FpBuffer& scratch) const;
  void scratch_released() const { held_ = nullptr; }
  // Block k where only rows `rows` (ascending, distinct, < n) are read: a block that is not
  // resident is computed at those rows alone (coset_ntt_rows; the query openings), its other
  // rows left unspecified.
  Result<const Fp*> block_rows(size_t k, FpBuffer& scratch, std::span<const size_t> rows) const;

  size_t width() const { return width_; }
  size_t rows() const { return n_; }
  size_t blocks() const { return size_t(1) << log_b_; }
  size_t resident_blocks() const { return resident_.size(); }
  bool streamed() const { return resident_.size() < blocks(); }
  // Bytes held now: resident blocks and cached coefficients.
  size_t resident_bytes() const;
  // Blocks computed since creation (resident ones included): the cost of recomputation.
  size_t blocks_computed() const { return computed_; }
  // Blocks computed at some rows only (block_rows).
  size_t blocks_partly_computed() const { return partly_computed_; }

 private:
  // Block k when it is resident or already held whole in `scratch`; otherwise null, with
  // `scratch` sized for a block and no longer held.
  Result<const Fp*> ready_block(size_t k, FpBuffer& scratch) const;
  // out (n x width) = block k; with `rows`, only those rows of it.
  Status compute(size_t k, Fp* out, const std::span<const size_t>* rows = nullptr) const;

  std::span<const Fp> source_;
  bool is_coeffs_ = false;
  FpBuffer coeffs_;                 // cached coefficients (streamed matrices only)
  std::vector<FpBuffer> resident_;  // blocks 0 .. r-1
  size_t width_ = 0, n_ = 0;
  uint32_t log_n_ = 0, log_b_ = 0;
  NttConfig cfg_;
  mutable size_t computed_ = 0, partly_computed_ = 0;
  mutable const Fp* held_ = nullptr;  // the scratch buffer holding block held_block_ whole
  mutable size_t held_block_ = 0;
};

// The coset of block k of a 2^(log_n + log_b)-point LDE on shift * H, bit-reversed order.
Fp lde_block_shift(Fp shift, uint32_t log_n, uint32_t log_b, size_t k);

// What the planner needs of one LDE.
struct LdeShape {
  size_t block_bytes = 0;     // one block (n rows x width)
  bool from_evals = false;    // its source is evaluations: a recomputation without cached
                              // coefficients costs an inverse NTT more
  size_t quotient_reads = 0;  // leading blocks the quotient pass reads (D; 0 for the quotient)
};

// Residencies that keep the resident blocks, cached coefficients and one scratch block per
// streamed LDE within `budget` bytes where possible, with the least recomputation: the largest
// LDEs' options are searched exhaustively (cost: blocks recomputed by the quotient pass and the
// openings, in NTTs times width), the rest stay resident or, if that cannot fit, are streamed
// largest first. Everything resident when it all fits.
std::vector<LdeResidency> plan_residency(std::span<const LdeShape> ldes, size_t blocks,
                                         size_t budget);

}  // namespace efaas::stark_internal
