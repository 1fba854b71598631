#include "prover/merkle/merkle.hpp"

#include <algorithm>
#include <bit>
#include <string>

#include "prover/common/thread_pool.hpp"
#include "prover/hash/blake3.hpp"
#include "prover/hash/hash_backend.hpp"

namespace efaas {

namespace {

// Checks dims and sorts matrix indices into groups by level (level 0 = the tallest height).
Status group_by_level(const char* op, std::span<const MatrixDims> dims, uint32_t& log_height,
                      std::vector<std::vector<size_t>>& groups) {
  if (dims.empty()) return invalid_argument(std::string(op) + ": no matrices");
  size_t max_height = 0;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i].height == 0 || !std::has_single_bit(dims[i].height)) {
      return invalid_argument(std::string(op) + ": matrix " + std::to_string(i) + " has height " +
                              std::to_string(dims[i].height) + ", not a power of two");
    }
    if (dims[i].width == 0) {
      return invalid_argument(std::string(op) + ": matrix " + std::to_string(i) +
                              " has no columns");
    }
    max_height = std::max(max_height, dims[i].height);
  }
  log_height = uint32_t(std::countr_zero(max_height));
  groups.assign(log_height + 1, {});
  for (size_t i = 0; i < dims.size(); ++i) {
    groups[log_height - std::countr_zero(dims[i].height)].push_back(i);
  }
  return Status::ok();
}

Digest hash_group(MerkleHash hash, std::span<const std::vector<Fp>> rows,
                  const std::vector<size_t>& group) {
  // Rows of a group as one row of their concatenation: the same digest as hashing the matrices'.
  std::vector<Fp> concat;
  for (size_t m : group) concat.insert(concat.end(), rows[m].begin(), rows[m].end());
  const MatrixView one_row{concat.data(), 1, concat.size(), Layout::kRowMajor};
  return merkle_leaf_digest(hash, std::span<const MatrixView>(&one_row, 1), 0);
}

Status check_hash(const char* op, MerkleHash hash) {
  if (uint32_t(hash) <= kMaxMerkleHash) return Status::ok();
  return invalid_argument(std::string(op) + ": Merkle hash " + std::to_string(int(hash)) +
                          " is not one of poseidon2 (0) or blake3 (1)");
}

Status check_rows(const char* op, std::span<const MatrixDims> dims,
                  std::span<const std::vector<Fp>> rows, size_t query) {
  if (rows.size() != dims.size()) {
    return invalid_argument(std::string(op) + ": query " + std::to_string(query) + " opens " +
                            std::to_string(rows.size()) + " rows for " +
                            std::to_string(dims.size()) + " matrices");
  }
  for (size_t m = 0; m < dims.size(); ++m) {
    if (rows[m].size() != dims[m].width) {
      return invalid_argument(std::string(op) + ": query " + std::to_string(query) + ", matrix " +
                              std::to_string(m) + ": row of " + std::to_string(rows[m].size()) +
                              " elements, width is " + std::to_string(dims[m].width));
    }
  }
  return Status::ok();
}

constexpr size_t kLeafBlock = 64;  // rows hashed per block before compressing into level 1
// Nodes a block keeps at its top level at least: the widest kernel (AVX-512) hashes sixteen
// states per call and hands a smaller remainder to the narrower kernels, so a block of 64
// leaves under f = 3 unstored levels (narrow trees: quotients, FRI layers) ran its top
// compression 8-wide and f = 4..6 ran it one state at a time.
constexpr size_t kMinBlockTop = 16;

}  // namespace

Digest merkle_leaf_digest(MerkleHash hash, std::span<const MatrixView> matrices, size_t row) {
  return hash == MerkleHash::kBlake3 ? blake3_hash_rows_concat(matrices, row)
                                     : hash_rows_concat(matrices, row);
}

Digest merkle_compress(MerkleHash hash, const Digest& left, const Digest& right) {
  return hash == MerkleHash::kBlake3 ? blake3_compress(left, right) : compress(left, right);
}

Digest MerkleTree::leaf(std::span<const MatrixView> mats, size_t row) const {
  return merkle_leaf_digest(hash_, mats, row);
}

Digest MerkleTree::join(const Digest& left, const Digest& right) const {
  return merkle_compress(hash_, left, right);
}

Result<MerkleTree> MerkleTree::build(std::vector<MatrixView> matrices, const HashConfig& cfg,
                                     int unstored_levels) {
  MerkleTree t;
  t.matrices_ = std::move(matrices);
  for (size_t i = 0; i < t.matrices_.size(); ++i) {
    const MatrixView& m = t.matrices_[i];
    if (m.data == nullptr) {
      return invalid_argument("merkle build: matrix " + std::to_string(i) + " has no data");
    }
    t.dims_.push_back({m.rows, m.cols});
  }
  EFAAS_RETURN_IF_ERROR(group_by_level("merkle build", t.dims_, t.log_height_, t.groups_));
  EFAAS_RETURN_IF_ERROR(t.build_layers(cfg, unstored_levels));
  return t;
}

Result<MerkleTree> MerkleTree::build(std::vector<Matrix> matrices, const HashConfig& cfg,
                                     int unstored_levels) {
  std::vector<MatrixView> views;
  for (size_t i = 0; i < matrices.size(); ++i) {
    const Matrix& m = matrices[i];
    if (m.data.size() != m.rows * m.cols) {
      return invalid_argument("merkle build: matrix " + std::to_string(i) + " holds " +
                              std::to_string(m.data.size()) + " elements for " +
                              std::to_string(m.rows) + " x " + std::to_string(m.cols));
    }
    views.push_back(m.view());
  }
  Result<MerkleTree> t = build(std::move(views), cfg, unstored_levels);
  if (t) t->owned_ = std::move(matrices);  // moving vectors keeps their buffers: views stay valid
  return t;
}

MerkleTree::MerkleTree(const MerkleTree& other)
    : owned_(other.owned_),
      matrices_(other.matrices_),
      dims_(other.dims_),
      groups_(other.groups_),
      layers_(other.layers_),
      log_height_(other.log_height_),
      first_stored_(other.first_stored_),
      windows_(other.windows_),
      hash_(other.hash_),
      root_(other.root_) {
  // An owning tree views all of its matrices, in order (build(std::vector<Matrix>)).
  for (size_t i = 0; i < owned_.size(); ++i) matrices_[i] = owned_[i].view();
}

MerkleTree& MerkleTree::operator=(const MerkleTree& other) {
  if (this != &other) *this = MerkleTree(other);
  return *this;
}

uint32_t MerkleTree::auto_unstored_levels() const {
  // Keep the stored digests (about 2 * 32 bytes per node of the first stored level) under a
  // quarter of the committed data; each unstored level doubles the rows an opening rehashes.
  size_t data_bytes = 0;
  for (const MatrixDims& d : dims_) data_bytes += d.height * d.width * sizeof(Fp);
  uint32_t f = 1;
  while (f < kMaxUnstoredLevels && (leaf_count() >> f) * 2 * sizeof(Digest) * 4 > data_bytes) {
    ++f;
  }
  return f;
}

Result<MerkleTree> MerkleTree::build_with_device_copies(std::vector<MatrixView> matrices,
                                                        std::vector<OpenClMatrix> device_copies,
                                                        const HashConfig& cfg,
                                                        int unstored_levels) {
  const char* op = "merkle build (device copies)";
  if (cfg.backend != Backend::kOpenCl) {
    return invalid_argument(std::string(op) + ": needs the opencl backend, got " +
                            backend_name(cfg.backend));
  }
  if (device_copies.size() != matrices.size()) {
    return invalid_argument(std::string(op) + ": " + std::to_string(device_copies.size()) +
                            " device copies for " + std::to_string(matrices.size()) + " matrices");
  }
  Result<OpenClDevice*> dev = OpenClDevice::get(cfg.opencl_device);
  if (!dev) return dev.status();
  for (size_t i = 0; i < matrices.size(); ++i) {
    const MatrixView& h = matrices[i];
    const OpenClMatrix& d = device_copies[i];
    if (d.rows != h.rows || d.cols != h.cols || d.layout != h.layout) {
      return invalid_argument(
          std::string(op) + ": device copy " + std::to_string(i) + " is " + std::to_string(d.rows) +
          " x " + std::to_string(d.cols) + (d.layout != h.layout ? " in another layout" : "") +
          ", the host matrix " + std::to_string(h.rows) + " x " + std::to_string(h.cols));
    }
    if (d.buffer == nullptr || d.buffer->device() != *dev) {
      return invalid_argument(std::string(op) + ": device copy " + std::to_string(i) +
                              " is not on OpenCL device " + std::to_string(cfg.opencl_device));
    }
  }
  MerkleTree t;
  t.matrices_ = std::move(matrices);
  for (size_t i = 0; i < t.matrices_.size(); ++i) {
    const MatrixView& m = t.matrices_[i];
    if (m.data == nullptr) {
      return invalid_argument(std::string(op) + ": matrix " + std::to_string(i) + " has no data");
    }
    t.dims_.push_back({m.rows, m.cols});
  }
  EFAAS_RETURN_IF_ERROR(group_by_level(op, t.dims_, t.log_height_, t.groups_));
  EFAAS_RETURN_IF_ERROR(t.build_layers(cfg, unstored_levels, device_copies));
  return t;
}

Result<MerkleTree> MerkleTree::build_windowed(std::vector<MatrixDims> dims, size_t windows,
                                              const WindowSource& fill, const HashConfig& cfg,
                                              int unstored_levels) {
  const char* op = "merkle build (windowed)";
  MerkleTree t;
  t.dims_ = std::move(dims);
  EFAAS_RETURN_IF_ERROR(group_by_level(op, t.dims_, t.log_height_, t.groups_));
  if (windows == 0 || !std::has_single_bit(windows)) {
    return invalid_argument(std::string(op) + ": " + std::to_string(windows) +
                            " windows, not a power of two");
  }
  for (size_t i = 0; i < t.dims_.size(); ++i) {
    if (t.dims_[i].height < windows) {
      return invalid_argument(std::string(op) + ": matrix " + std::to_string(i) + " has " +
                              std::to_string(t.dims_[i].height) + " rows, fewer than the " +
                              std::to_string(windows) + " windows");
    }
  }
  if (t.leaf_count() / windows < 2) {
    return invalid_argument(std::string(op) + ": windows of " +
                            std::to_string(t.leaf_count() / windows) +
                            " leaves; at least 2 are needed");
  }
  if (!fill) return invalid_argument(std::string(op) + ": no window source");
  if (unstored_levels > int(kMaxUnstoredLevels)) {
    return invalid_argument(std::string(op) + ": " + std::to_string(unstored_levels) +
                            " unstored levels, at most " + std::to_string(kMaxUnstoredLevels));
  }
  Result<Backend> backend = resolve_backend(cfg.backend);
  if (!backend) return backend.status();
  if (*backend == Backend::kOpenCl) {
    return invalid_argument(std::string(op) + ": runs on the host backends (scalar, avx2)");
  }
  // A rehashed subtree must lie inside one window: at most log2(leaves per window) levels.
  const uint32_t log_window = uint32_t(std::countr_zero(t.leaf_count() / windows));
  t.first_stored_ = unstored_levels < 0 ? t.auto_unstored_levels() : uint32_t(unstored_levels);
  t.first_stored_ = std::clamp<uint32_t>(t.first_stored_, 1, log_window);
  EFAAS_RETURN_IF_ERROR(check_hash(op, cfg.merkle_hash));
  t.windows_ = windows;
  t.hash_ = cfg.merkle_hash;
  EFAAS_RETURN_IF_ERROR(t.build_layers_host(cfg, windows, fill));
  return t;
}

Status MerkleTree::build_layers(const HashConfig& cfg, int unstored_levels,
                                std::span<const OpenClMatrix> device_copies) {
  if (unstored_levels > int(kMaxUnstoredLevels)) {
    return invalid_argument("merkle build: " + std::to_string(unstored_levels) +
                            " unstored levels, at most " + std::to_string(kMaxUnstoredLevels));
  }
  EFAAS_RETURN_IF_ERROR(check_hash("merkle build", cfg.merkle_hash));
  hash_ = cfg.merkle_hash;
  Result<Backend> backend = resolve_backend(cfg.backend);
  if (!backend) return backend.status();
  if (log_height_ > 0) {
    first_stored_ = unstored_levels < 0 ? auto_unstored_levels() : uint32_t(unstored_levels);
    first_stored_ = std::clamp<uint32_t>(first_stored_, 1, log_height_);
  }
  if (*backend == Backend::kOpenCl) return build_layers_opencl(cfg.opencl_device, device_copies);
  return build_layers_host(cfg, 1, [&](size_t, std::vector<MatrixView>& views) {
    views = matrices_;
    return Status::ok();
  });
}

Status MerkleTree::build_layers_host(const HashConfig& cfg, size_t windows,
                                     const WindowSource& fill) {
  Result<Backend> backend = resolve_backend(cfg.backend);
  if (!backend) return backend.status();
  auto kernels = merkle_kernels_for(hash_, *backend);
  if (!kernels) return kernels.status();
  const MerkleKernels* k = &*kernels;
  ThreadPool& pool = ThreadPool::with_threads(cfg.threads);

  std::vector<MatrixView> views;
  std::vector<std::vector<MatrixView>> group_views(groups_.size());
  // The window's rows, checked against the dimensions, grouped by level.
  auto fetch = [&](size_t w) -> Status {
    views.clear();
    EFAAS_RETURN_IF_ERROR(fill(w, views));
    if (views.size() != dims_.size()) {
      return invalid_argument("merkle build: window " + std::to_string(w) + " has " +
                              std::to_string(views.size()) + " matrices, the tree " +
                              std::to_string(dims_.size()));
    }
    for (size_t m = 0; m < views.size(); ++m) {
      const size_t rows = dims_[m].height / windows;
      if (views[m].data == nullptr || views[m].rows != rows || views[m].cols != dims_[m].width) {
        return invalid_argument("merkle build: window " + std::to_string(w) + ", matrix " +
                                std::to_string(m) + ": view of " + std::to_string(views[m].rows) +
                                " x " + std::to_string(views[m].cols) + ", expected " +
                                std::to_string(rows) + " x " + std::to_string(dims_[m].width));
      }
    }
    for (size_t l = 0; l < groups_.size(); ++l) {
      group_views[l].clear();
      for (size_t m : groups_[l]) group_views[l].push_back(views[m]);
    }
    return Status::ok();
  };
  if (log_height_ == 0) {
    EFAAS_RETURN_IF_ERROR(fetch(0));
    k->hash_rows(group_views[0], 0, 1, &root_);
    return Status::ok();
  }
  const uint32_t f = first_stored_;
  const size_t window_leaves = leaf_count() / windows;
  const uint32_t log_window = uint32_t(std::countr_zero(window_leaves));
  layers_.assign(log_height_ - f + 1, {});
  for (uint32_t level = f; level <= log_height_; ++level) {
    layers_[level - f].resize(leaf_count() >> level);
  }
  for (size_t w = windows; w-- > 0;) {  // window subtrees are independent: any order
    EFAAS_RETURN_IF_ERROR(fetch(w));
    const size_t leaf0 = w * window_leaves;
    // Level f straight from the rows, a block of leaves at a time: the levels below it are
    // computed in per-thread buffers and never stored whole. Row indices are window-local.
    const size_t block =
        std::min(std::max<size_t>(kLeafBlock, kMinBlockTop << f), window_leaves);
    pool.parallel_for(window_leaves / block, 1, [&](size_t b, size_t e) {
      std::vector<Digest> buf0(block), buf1(block / 2), inj(block / 2);
      for (size_t blk = b; blk < e; ++blk) {
        const size_t r0 = blk * block;
        size_t n = block;
        Digest* cur = buf0.data();
        Digest* next = buf1.data();
        k->hash_rows(group_views[0], r0, n, cur);
        for (uint32_t level = 1; level <= f; ++level) {
          n /= 2;
          Digest* out = level == f ? layers_[0].data() + ((leaf0 + r0) >> f) : next;
          k->compress(cur, cur + 1, 2, out, n);
          if (!group_views[level].empty()) {
            k->hash_rows(group_views[level], r0 >> level, n, inj.data());
            k->compress(out, inj.data(), 1, out, n);
          }
          std::swap(cur, next);
        }
      }
    });
    // The window's subtree above level f, with the rows of shorter matrices injected.
    for (uint32_t level = f + 1; level <= log_window; ++level) {
      const size_t base = leaf0 >> level, count = window_leaves >> level;
      const Digest* prev = layers_[level - f - 1].data();
      Digest* cur = layers_[level - f].data();
      pool.parallel_for(count, 256, [&](size_t b, size_t e) {
        k->compress(prev + 2 * (base + b), prev + 2 * (base + b) + 1, 2, cur + base + b, e - b);
      });
      if (!group_views[level].empty()) {
        pool.parallel_for(count, 64, [&](size_t b, size_t e) {
          std::vector<Digest> injected(e - b);
          k->hash_rows(group_views[level], b, e - b, injected.data());
          k->compress(cur + base + b, injected.data(), 1, cur + base + b, e - b);
        });
      }
    }
  }
  // Above the windows only compressions: every matrix has at least one row per window.
  for (uint32_t level = std::max(f, log_window) + 1; level <= log_height_; ++level) {
    const std::vector<Digest>& prev = layers_[level - f - 1];
    std::vector<Digest>& cur = layers_[level - f];
    pool.parallel_for(cur.size(), 256, [&](size_t b, size_t e) {
      k->compress(prev.data() + 2 * b, prev.data() + 2 * b + 1, 2, cur.data() + b, e - b);
    });
  }
  root_ = layers_.back()[0];
  return Status::ok();
}

Digest MerkleTree::node(uint32_t level, size_t index) const {
  return node_in({&matrices_, 0}, leaf_count(), level, index);
}

Digest MerkleTree::node_in(const RowWindow& rw, size_t window_leaves, uint32_t level,
                           size_t index) const {
  if (level >= first_stored_ && log_height_ > 0) return layers_[level - first_stored_][index];
  // Below the stored levels: rehash the 2^level rows under this node (scalar reference code).
  auto rows_digest = [&](uint32_t l, size_t i) {
    std::vector<MatrixView> mats;
    for (size_t m : groups_[l]) mats.push_back((*rw.mats)[m]);
    return leaf(mats, i - rw.window * (window_leaves >> l));
  };
  if (level == 0) return rows_digest(0, index);
  Digest d = join(node_in(rw, window_leaves, level - 1, 2 * index),
                  node_in(rw, window_leaves, level - 1, 2 * index + 1));
  return groups_[level].empty() ? d : join(d, rows_digest(level, index));
}

size_t MerkleTree::stored_digest_bytes() const {
  size_t n = 0;
  for (const auto& l : layers_) n += l.size();
  return n * sizeof(Digest);
}

std::vector<std::vector<Fp>> MerkleTree::rows_at(size_t index) const {
  return rows_in({&matrices_, 0}, leaf_count(), index);
}

std::vector<std::vector<Fp>> MerkleTree::rows_in(const RowWindow& rw, size_t window_leaves,
                                                 size_t index) const {
  const std::vector<MatrixView>& mats = *rw.mats;
  std::vector<std::vector<Fp>> rows(mats.size());
  for (size_t m = 0; m < mats.size(); ++m) {
    const MatrixView& mat = mats[m];
    const uint32_t shift = log_height_ - uint32_t(std::countr_zero(dims_[m].height));
    const size_t r = (index >> shift) - rw.window * (window_leaves >> shift);
    rows[m].resize(mat.cols);
    for (size_t c = 0; c < mat.cols; ++c) rows[m][c] = mat.at(r, c);
  }
  return rows;
}

Result<MerkleOpening> MerkleTree::open(size_t index) const {
  if (windowed()) {
    return invalid_argument("merkle open: a windowed tree opens through open_batch with its source");
  }
  if (index >= leaf_count()) {
    return out_of_range("merkle open: index " + std::to_string(index) + " outside the " +
                        std::to_string(leaf_count()) + " leaves");
  }
  MerkleOpening o;
  o.rows = rows_at(index);
  for (uint32_t level = 0; level < log_height_; ++level) {
    const size_t sib = (index >> level) ^ 1;
    o.siblings.push_back(node(level, sib));
  }
  return o;
}

Result<MerkleBatchOpening> MerkleTree::open_batch(std::span<const size_t> indices) const {
  if (windowed()) {
    return invalid_argument("merkle open: a windowed tree opens through open_batch with its source");
  }
  return open_batch_impl(indices, 1, [&](size_t, std::vector<MatrixView>& views) {
    views = matrices_;
    return Status::ok();
  });
}

Result<MerkleBatchOpening> MerkleTree::open_batch(std::span<const size_t> indices,
                                                  const WindowSource& fill) const {
  if (!windowed()) return open_batch(indices);
  if (!fill) return invalid_argument("merkle open: no window source");
  return open_batch_impl(indices, windows_, fill);
}

Result<MerkleBatchOpening> MerkleTree::open_batch_impl(std::span<const size_t> indices,
                                                       size_t windows,
                                                       const WindowSource& fill) const {
  for (size_t q = 0; q < indices.size(); ++q) {
    if (indices[q] >= leaf_count()) {
      return out_of_range("merkle open: index " + std::to_string(indices[q]) + " outside the " +
                          std::to_string(leaf_count()) + " leaves");
    }
  }
  // The siblings first as (level, node) positions: only the nodes the verifier cannot compute
  // from the opened leaves, level by level.
  std::vector<std::pair<uint32_t, size_t>> sib_pos;
  std::vector<size_t> known(indices.begin(), indices.end());
  std::sort(known.begin(), known.end());
  known.erase(std::unique(known.begin(), known.end()), known.end());
  for (uint32_t level = 0; level < log_height_; ++level) {
    for (size_t i = 0; i < known.size(); ++i) {
      const size_t j = known[i];
      if ((j & 1) == 0 && i + 1 < known.size() && known[i + 1] == j + 1) {
        ++i;  // both children known: the verifier computes the parent itself
        continue;
      }
      sib_pos.emplace_back(level, j ^ 1);
    }
    for (size_t& j : known) j >>= 1;
    known.erase(std::unique(known.begin(), known.end()), known.end());
  }
  MerkleBatchOpening b;
  b.rows.resize(indices.size());
  b.siblings.resize(sib_pos.size());
  for (size_t s = 0; s < sib_pos.size(); ++s) {
    if (sib_pos[s].first >= first_stored_ && log_height_ > 0) {
      b.siblings[s] = layers_[sib_pos[s].first - first_stored_][sib_pos[s].second];
    }
  }
  // Rows and the rehashed digests below the stored levels come from the windows holding them
  // (a rehashed subtree never crosses a window), each fetched once.
  const size_t window_leaves = leaf_count() / windows;
  const uint32_t log_window = uint32_t(std::countr_zero(window_leaves));
  std::vector<size_t> needed;
  for (size_t idx : indices) needed.push_back(idx >> log_window);
  std::sort(needed.begin(), needed.end());
  needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
  std::vector<MatrixView> views;
  for (size_t w : needed) {
    views.clear();
    EFAAS_RETURN_IF_ERROR(fill(w, views));
    if (views.size() != dims_.size()) {
      return invalid_argument("merkle open: window " + std::to_string(w) + " has " +
                              std::to_string(views.size()) + " matrices, the tree " +
                              std::to_string(dims_.size()));
    }
    for (size_t m = 0; m < views.size(); ++m) {
      if (views[m].data == nullptr || views[m].rows != dims_[m].height / windows ||
          views[m].cols != dims_[m].width) {
        return invalid_argument("merkle open: window " + std::to_string(w) + ", matrix " +
                                std::to_string(m) + " does not have the committed shape");
      }
    }
    const RowWindow rw{&views, w};
    for (size_t q = 0; q < indices.size(); ++q) {
      if (indices[q] >> log_window == w) b.rows[q] = rows_in(rw, window_leaves, indices[q]);
    }
    for (size_t s = 0; s < sib_pos.size(); ++s) {
      const auto [level, idx] = sib_pos[s];
      if ((level < first_stored_ || log_height_ == 0) && (idx << level) >> log_window == w) {
        b.siblings[s] = node_in(rw, window_leaves, level, idx);
      }
    }
  }
  return b;
}

Status verify_opening(MerkleHash hash, const Digest& root, std::span<const MatrixDims> dims,
                      size_t index, const MerkleOpening& opening) {
  EFAAS_RETURN_IF_ERROR(check_hash("merkle verify", hash));
  uint32_t log_height;
  std::vector<std::vector<size_t>> groups;
  EFAAS_RETURN_IF_ERROR(group_by_level("merkle verify", dims, log_height, groups));
  if (log_height >= 64 || index >> log_height != 0) {
    return invalid_argument("merkle verify: index " + std::to_string(index) + " outside the 2^" +
                            std::to_string(log_height) + " leaves");
  }
  EFAAS_RETURN_IF_ERROR(check_rows("merkle verify", dims, opening.rows, 0));
  if (opening.siblings.size() != log_height) {
    return invalid_argument("merkle verify: " + std::to_string(opening.siblings.size()) +
                            " siblings, the tree has " + std::to_string(log_height) + " levels");
  }
  Digest cur = hash_group(hash, opening.rows, groups[0]);
  for (uint32_t level = 1; level <= log_height; ++level) {
    const Digest& sib = opening.siblings[level - 1];
    cur = ((index >> (level - 1)) & 1) ? merkle_compress(hash, sib, cur)
                                       : merkle_compress(hash, cur, sib);
    if (!groups[level].empty()) {
      cur = merkle_compress(hash, cur, hash_group(hash, opening.rows, groups[level]));
    }
  }
  if (cur != root) {
    return invalid_argument("merkle verify: opening at index " + std::to_string(index) +
                            " does not match the root");
  }
  return Status::ok();
}

Status verify_batch_opening(MerkleHash hash, const Digest& root, std::span<const MatrixDims> dims,
                            std::span<const size_t> indices, const MerkleBatchOpening& opening) {
  EFAAS_RETURN_IF_ERROR(check_hash("merkle batch verify", hash));
  uint32_t log_height;
  std::vector<std::vector<size_t>> groups;
  EFAAS_RETURN_IF_ERROR(group_by_level("merkle batch verify", dims, log_height, groups));
  if (indices.empty()) return invalid_argument("merkle batch verify: no indices");
  if (opening.rows.size() != indices.size()) {
    return invalid_argument("merkle batch verify: " + std::to_string(opening.rows.size()) +
                            " opened queries for " + std::to_string(indices.size()) + " indices");
  }
  for (size_t q = 0; q < indices.size(); ++q) {
    if (log_height >= 64 || indices[q] >> log_height != 0) {
      return invalid_argument("merkle batch verify: index " + std::to_string(indices[q]) +
                              " (query " + std::to_string(q) + ") outside the 2^" +
                              std::to_string(log_height) + " leaves");
    }
    EFAAS_RETURN_IF_ERROR(check_rows("merkle batch verify", dims, opening.rows[q], q));
  }
  // Queries sorted by index; the node digests of the current level, sorted by node index.
  std::vector<size_t> order(indices.size());
  for (size_t q = 0; q < order.size(); ++q) order[q] = q;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return indices[a] < indices[b]; });

  // Digest of the rows injected at `level` for every distinct node, from the first query that
  // reaches it; every other query reaching the same node must open the same rows.
  auto group_digests = [&](uint32_t level, std::vector<std::pair<size_t, Digest>>& out) -> Status {
    out.clear();
    size_t first = 0;
    for (size_t oi = 0; oi < order.size(); ++oi) {
      const size_t q = order[oi];
      const size_t nodeidx = indices[q] >> level;
      if (!out.empty() && out.back().first == nodeidx) {
        for (size_t m : groups[level]) {
          if (opening.rows[q][m] != opening.rows[first][m]) {
            return invalid_argument("merkle batch verify: queries " + std::to_string(first) +
                                    " and " + std::to_string(q) +
                                    " open different rows of matrix " + std::to_string(m) +
                                    " at the same position");
          }
        }
        continue;
      }
      first = q;
      out.emplace_back(nodeidx, hash_group(hash, opening.rows[q], groups[level]));
    }
    return Status::ok();
  };

  std::vector<std::pair<size_t, Digest>> cur, next, inject;
  EFAAS_RETURN_IF_ERROR(group_digests(0, cur));
  size_t used = 0;
  for (uint32_t level = 0; level < log_height; ++level) {
    next.clear();
    for (size_t i = 0; i < cur.size(); ++i) {
      const size_t j = cur[i].first;
      Digest parent;
      if ((j & 1) == 0 && i + 1 < cur.size() && cur[i + 1].first == j + 1) {
        parent = merkle_compress(hash, cur[i].second, cur[i + 1].second);
        ++i;
      } else {
        if (used == opening.siblings.size()) {
          return invalid_argument("merkle batch verify: too few siblings (" +
                                  std::to_string(opening.siblings.size()) + ")");
        }
        const Digest& sib = opening.siblings[used++];
        parent = (j & 1) ? merkle_compress(hash, sib, cur[i].second)
                         : merkle_compress(hash, cur[i].second, sib);
      }
      next.emplace_back(j >> 1, parent);
    }
    if (!groups[level + 1].empty()) {
      EFAAS_RETURN_IF_ERROR(group_digests(level + 1, inject));
      // Same node set, same order as `next`.
      for (size_t i = 0; i < next.size(); ++i) {
        next[i].second = merkle_compress(hash, next[i].second, inject[i].second);
      }
    }
    std::swap(cur, next);
  }
  if (used != opening.siblings.size()) {
    return invalid_argument("merkle batch verify: " + std::to_string(opening.siblings.size()) +
                            " siblings, " + std::to_string(used) + " expected");
  }
  if (cur.size() != 1 || cur[0].second != root) {
    return invalid_argument("merkle batch verify: opening does not match the root");
  }
  return Status::ok();
}

}  // namespace efaas
