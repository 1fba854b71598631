#pragma once
// Merkle commitments to a batch of matrices of different heights under one root, the way
// Plonky3's MerkleTreeMmcs does it:
//   - heights are powers of two; leaf i of the tree is row i of the tallest matrices
//     (stored order; see matrix.hpp), hashed as the concatenation of the rows of every matrix of
//     that height, in commit order (hash_rows_concat);
//   - inner node: compress(left, right);
//   - at the level whose node count equals the height h of shorter matrices, node j becomes
//     compress(compress(left, right), hash_rows_concat(matrices of height h, row j)).
// So a query at leaf index i opens row i >> (log_max - log_h) of each matrix of height 2^log_h.
// The leaf and compress functions are those of HashConfig::merkle_hash (merkle_hash.hpp:
// Poseidon2's hash_rows_concat / compress, or BLAKE3's blake3_hash_rows_concat /
// blake3_compress), the tree's shape the same under either; the verifier is told which.
// Building runs on every backend of HashConfig (scalar, AVX2, OpenCL) with identical roots;
// OpenCL uploads the matrices and computes every level on the device.
//
// The tree keeps views of the committed matrices (to open rows later) and the inner layers of
// digests from level `unstored_levels` up; the caller keeps the matrix data alive, or hands it
// over with the owning overload. Lower levels (always the leaves) are recomputed on opening
// from the rows: an opening then rehashes 2^unstored_levels rows, and the tree's memory is
// 64 / 2^unstored_levels bytes per leaf. The default (-1) picks the smallest count that keeps the
// stored digests under a quarter of the committed data (1 for wide matrices, up to 6 for
// one-column ones). The root does not depend on it.
#include <cstddef>
#include <functional>
#include <span>
#include <vector>

#include "prover/common/status.hpp"
#include "prover/hash/matrix.hpp"
#include "prover/hash/poseidon2.hpp"
#include "prover/hash/poseidon2_opencl.hpp"

namespace efaas {

struct MatrixDims {
  size_t height = 0;  // a power of two
  size_t width = 0;   // at least 1
  bool operator==(const MatrixDims&) const = default;
};

// One query: the opened row of every matrix, in commit order, and the sibling path from the
// leaf level up (log2 of the tallest height digests).
struct MerkleOpening {
  std::vector<std::vector<Fp>> rows;
  std::vector<Digest> siblings;
};

// Several queries at once: rows[q][m] is matrix m's row for indices[q] (duplicates allowed);
// siblings holds only the nodes the verifier cannot compute from the opened leaves, level by
// level from the leaves up, increasing node index within a level.
struct MerkleBatchOpening {
  std::vector<std::vector<std::vector<Fp>>> rows;
  std::vector<Digest> siblings;
};

// Matrices produced piecewise (the STARK prover's LDEs, computed a coset block at a time): the
// leaves split into `windows` equal consecutive ranges (subtrees); fill(w, views) sets views[m]
// (commit order) to matrix m's rows [w h_m / W, (w + 1) h_m / W), which stay valid until the next
// call. build_windowed visits the windows in decreasing order (the last, window 0, is the
// coset block the STARK prover's quotient pass reads first), openings in increasing order.
using WindowSource = std::function<Status(size_t window, std::vector<MatrixView>& views)>;

class MerkleTree {
 public:
  // Non-owning: the matrices' data must outlive the tree. Fails on an empty list, a height that
  // is not a power of two, a zero width, or a null data pointer, naming the matrix.
  static Result<MerkleTree> build(std::vector<MatrixView> matrices, const HashConfig& cfg = {},
                                  int unstored_levels = -1);
  // Owning: the tree keeps the matrices.
  static Result<MerkleTree> build(std::vector<Matrix> matrices, const HashConfig& cfg = {},
                                  int unstored_levels = -1);
  // OpenCL pipelines whose matrices are already on the device (an LDE computed there): the
  // device copies (same order, shapes, layouts and contents as `matrices`, on device
  // cfg.opencl_device) are hashed without an upload; the host views serve the openings.
  // cfg.backend must be kOpenCl. Shapes are checked; contents cannot be, so copies that differ
  // give a root the host rows do not open to.
  static Result<MerkleTree> build_with_device_copies(std::vector<MatrixView> matrices,
                                                     std::vector<OpenClMatrix> device_copies,
                                                     const HashConfig& cfg,
                                                     int unstored_levels = -1);
  // Windowed: the tree keeps no views; openings take the source again (open_batch below). The
  // window count is a power of two dividing every height, and each window holds at least two
  // leaves (unstored levels are capped so a rehashed subtree stays inside one window). Same
  // root as build() over the whole matrices.
  static Result<MerkleTree> build_windowed(std::vector<MatrixDims> dims, size_t windows,
                                           const WindowSource& fill, const HashConfig& cfg = {},
                                           int unstored_levels = -1);
  static constexpr uint32_t kMaxUnstoredLevels = 6;

  // A copy of an owning tree owns copies of the matrices and views them, not the original's.
  MerkleTree(const MerkleTree& other);
  MerkleTree& operator=(const MerkleTree& other);
  MerkleTree(MerkleTree&&) noexcept = default;
  MerkleTree& operator=(MerkleTree&&) noexcept = default;

  const Digest& root() const { return root_; }
  MerkleHash merkle_hash() const { return hash_; }
  // Dimensions in commit order: what the verifier needs besides the root.
  const std::vector<MatrixDims>& dims() const { return dims_; }
  size_t leaf_count() const { return size_t(1) << log_height_; }
  uint32_t log_height() const { return log_height_; }
  size_t matrix_count() const { return matrices_.size(); }
  const MatrixView& matrix(size_t i) const { return matrices_[i]; }
  // Lowest stored level (>= 1; 0 for a one-leaf tree) and the memory the stored digests take.
  uint32_t first_stored_level() const { return first_stored_; }
  size_t stored_digest_bytes() const;

  // index < leaf_count(), else OUT_OF_RANGE.
  Result<MerkleOpening> open(size_t index) const;
  Result<MerkleBatchOpening> open_batch(std::span<const size_t> indices) const;
  // For windowed trees: fetches only the windows that hold an index, each once. Also accepted
  // by a tree built over views (then `fill` is not called).
  Result<MerkleBatchOpening> open_batch(std::span<const size_t> indices,
                                        const WindowSource& fill) const;
  bool windowed() const { return windows_ > 0; }

 private:
  MerkleTree() = default;
  Status build_layers(const HashConfig& cfg, int unstored_levels,
                      std::span<const OpenClMatrix> device_copies = {});
  // Host hashing of every level from the windows' rows (one window of all leaves: the views).
  Status build_layers_host(const HashConfig& cfg, size_t windows, const WindowSource& fill);
  // Rows and below-stored-level digests read from `mats`, which hold window `w`'s rows.
  struct RowWindow {
    const std::vector<MatrixView>* mats;
    size_t window;
  };
  Result<MerkleBatchOpening> open_batch_impl(std::span<const size_t> indices, size_t windows,
                                             const WindowSource& fill) const;
  Digest node_in(const RowWindow& rw, size_t window_leaves, uint32_t level, size_t index) const;
  std::vector<std::vector<Fp>> rows_in(const RowWindow& rw, size_t window_leaves,
                                       size_t index) const;
  // merkle_opencl.cpp; uploads the matrices unless device copies are given.
  Status build_layers_opencl(int device, std::span<const OpenClMatrix> device_copies = {});
  // A leaf digest of the rows at `row` of `mats`, and a node's, under hash_ (scalar).
  Digest leaf(std::span<const MatrixView> mats, size_t row) const;
  Digest join(const Digest& left, const Digest& right) const;
  uint32_t auto_unstored_levels() const;
  Digest node(uint32_t level, size_t index) const;
  // Row `index >> (log_height_ - log2(rows))` of every matrix, in commit order.
  std::vector<std::vector<Fp>> rows_at(size_t index) const;  // stored, or recomputed below first_stored_

  std::vector<Matrix> owned_;
  std::vector<MatrixView> matrices_;
  std::vector<MatrixDims> dims_;
  // groups_[level]: matrices of height 2^(log_height_ - level), in commit order.
  std::vector<std::vector<size_t>> groups_;
  // layers_[k - first_stored_] holds the 2^(log_height_ - k) nodes of level k >= first_stored_.
  std::vector<std::vector<Digest>> layers_;
  uint32_t log_height_ = 0;
  uint32_t first_stored_ = 0;
  size_t windows_ = 0;  // windowed trees: the window count; 0 when the tree views its matrices
  MerkleHash hash_ = MerkleHash::kPoseidon2;  // HashConfig::merkle_hash of the build
  Digest root_{};
};

// One leaf digest (the rows at `row` of every matrix, concatenated) and one node digest under
// `hash`, scalar: the verifier's and the openings' recomputation.
Digest merkle_leaf_digest(MerkleHash hash, std::span<const MatrixView> matrices, size_t row);
Digest merkle_compress(MerkleHash hash, const Digest& left, const Digest& right);

// Checks one opening against root and dims (commit order) of a tree built with `hash` (no default:
// the hash is the proof's parameter, which the caller has checked). Returns OK, or
// INVALID_ARGUMENT naming the problem: wrong number of rows or siblings, a row of the wrong width,
// an index out of range, an unknown hash, or "does not match the root".
Status verify_opening(MerkleHash hash, const Digest& root, std::span<const MatrixDims> dims,
                      size_t index, const MerkleOpening& opening);
Status verify_batch_opening(MerkleHash hash, const Digest& root, std::span<const MatrixDims> dims,
                            std::span<const size_t> indices, const MerkleBatchOpening& opening);

}  // namespace efaas
