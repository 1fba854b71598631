// Merkle tests, each under both Merkle hashes (Poseidon2 and BLAKE3): roots against a naive
// recursive reference written from the definition, roots identical across backends, thread
// counts and layouts, every opening verifies, and tampered rows, siblings, indices, roots and
// dimensions are rejected; mixed heights; batch openings; an opening verifies only under the
// hash its tree was built with.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "prover/common/cpu_features.hpp"
#include "prover/common/rng.hpp"
#include "prover/hash/blake3.hpp"
#include "prover/hash/blake3_opencl.hpp"
#include "prover/merkle/merkle.hpp"

namespace efaas {
namespace {

Fp random_fp(Rng& rng) {
  return Fp::from_canonical(uint32_t(rng.uniform(Fp::kP)));
}

Matrix random_matrix(Rng& rng, size_t rows, size_t cols, Layout layout) {
  std::vector<Fp> d(rows * cols);
  for (auto& x : d) x = random_fp(rng);
  return Matrix(std::move(d), rows, cols, layout);
}

std::vector<Fp> row_of(const Matrix& m, size_t r) {
  std::vector<Fp> out;
  for (size_t c = 0; c < m.cols; ++c) out.push_back(m.view().at(r, c));
  return out;
}

// The reference: node(level, j) defined recursively, straight from the header's description,
// with the scalar leaf and compress of the hash (poseidon2.hpp's or blake3.hpp's).
struct NaiveMmcs {
  const std::vector<Matrix>& mats;
  MerkleHash hash;
  size_t log_max = 0;

  NaiveMmcs(const std::vector<Matrix>& m, MerkleHash h) : mats(m), hash(h) {
    for (const auto& x : mats) log_max = std::max<size_t>(log_max, std::countr_zero(x.rows));
  }
  // Concatenated rows of the matrices of height 2^(log_max - level) at row j; empty if none.
  std::vector<Fp> group_rows(size_t level, size_t j, bool& any) const {
    std::vector<Fp> out;
    any = false;
    for (const auto& m : mats) {
      if (size_t(std::countr_zero(m.rows)) + level == log_max) {
        any = true;
        auto r = row_of(m, j);
        out.insert(out.end(), r.begin(), r.end());
      }
    }
    return out;
  }
  Digest leaf(const std::vector<Fp>& row) const {
    if (hash == MerkleHash::kPoseidon2) return hash_row(row);
    const MatrixView one{row.data(), 1, row.size(), Layout::kRowMajor};
    return blake3_hash_rows_concat(std::span<const MatrixView>(&one, 1), 0);
  }
  Digest join(const Digest& a, const Digest& b) const {
    return hash == MerkleHash::kPoseidon2 ? compress(a, b) : blake3_compress(a, b);
  }
  Digest node(size_t level, size_t j) const {
    bool any;
    if (level == 0) return leaf(group_rows(0, j, any));
    Digest d = join(node(level - 1, 2 * j), node(level - 1, 2 * j + 1));
    auto inj = group_rows(level, j, any);
    return any ? join(d, leaf(inj)) : d;
  }
  Digest root() const { return node(log_max, 0); }
};

// Whether `hash` runs on the OpenCL device: PoCL here, and BLAKE3's kernels where they are built
// (the probe says so otherwise, and the OpenCL comparisons of that hash are skipped, not failed).
Status opencl_usable(MerkleHash hash) {
  if (auto cl = resolve_backend(Backend::kOpenCl); !cl) return cl.status();
  if (hash == MerkleHash::kPoseidon2) return Status::ok();
  std::vector<Digest> in(2), out(1);
  return opencl_blake3_compress_pairs(in, out, 0);
}

std::vector<Backend> backends(MerkleHash hash) {
  std::vector<Backend> out{Backend::kScalar};
  if (avx2_usable()) {
    out.push_back(Backend::kAvx2);
  } else {
    std::fprintf(stderr, "AVX2 not usable here: AVX2 comparisons skipped\n");
  }
  if (Status cl = opencl_usable(hash); cl.is_ok()) {
    out.push_back(Backend::kOpenCl);
  } else {
    static bool told[2] = {false, false};  // once per hash
    if (!std::exchange(told[size_t(hash) & 1], true)) {
      std::fprintf(stderr, "OpenCL comparisons of %s skipped: %s\n", merkle_hash_name(hash),
                   cl.message().c_str());
    }
  }
  return out;
}

// Every test runs under each Merkle hash: H() names it, hcfg() is a HashConfig using it.
class Merkle : public ::testing::TestWithParam<MerkleHash> {
 protected:
  MerkleHash H() const { return GetParam(); }
  HashConfig hcfg() const {
    HashConfig c;
    c.merkle_hash = GetParam();
    return c;
  }
  std::vector<Backend> backends() const { return efaas::backends(GetParam()); }
};

INSTANTIATE_TEST_SUITE_P(Hashes, Merkle,
                         ::testing::Values(MerkleHash::kPoseidon2, MerkleHash::kBlake3),
                         [](const auto& info) { return std::string(merkle_hash_name(info.param)); });

std::vector<MatrixView> views(const std::vector<Matrix>& m) {
  std::vector<MatrixView> v;
  for (const auto& x : m) v.push_back(x.view());
  return v;
}

// Shapes: (height, width, layout) lists covering one matrix, equal heights and mixed heights.
struct Shape {
  size_t rows, cols;
  Layout layout;
};
const std::vector<std::vector<Shape>> kShapes = {
    {{1, 5, Layout::kRowMajor}},
    {{2, 1, Layout::kColMajor}},
    {{64, 8, Layout::kRowMajor}},
    {{128, 3, Layout::kColMajor}, {128, 20, Layout::kRowMajor}},
    {{16, 4, Layout::kRowMajor},
     {4, 9, Layout::kColMajor},
     {16, 2, Layout::kColMajor},
     {1, 3, Layout::kRowMajor},
     {8, 17, Layout::kRowMajor},
     {4, 1, Layout::kRowMajor}},
    {{2, 7, Layout::kColMajor}, {256, 11, Layout::kColMajor}, {32, 8, Layout::kRowMajor}},
};

std::vector<Matrix> make(Rng& rng, const std::vector<Shape>& shape) {
  std::vector<Matrix> m;
  for (const auto& s : shape) m.push_back(random_matrix(rng, s.rows, s.cols, s.layout));
  return m;
}

TEST_P(Merkle, RootMatchesNaiveReferenceOnEveryBackendAndThreadCount) {
  Rng rng(test_seed("Merkle.RootMatchesNaiveReference"));
  for (size_t si = 0; si < kShapes.size(); ++si) {
    std::vector<Matrix> mats = make(rng, kShapes[si]);
    const Digest want = NaiveMmcs(mats, H()).root();
    for (Backend b : backends()) {
      for (size_t threads : {1, 2}) {
        HashConfig cfg = hcfg();
        cfg.backend = b;
        cfg.threads = threads;
        auto tree = MerkleTree::build(views(mats), cfg);
        ASSERT_TRUE(tree.is_ok()) << tree.status().to_string();
        EXPECT_EQ(tree->root(), want)
            << "shape " << si << " " << backend_name(b) << " " << threads << " threads";
      }
    }
  }
}

TEST_P(Merkle, UnstoredLevelsChangeNeitherRootNorOpenings) {
  Rng rng(test_seed("Merkle.UnstoredLevels"));
  for (size_t si = 0; si < kShapes.size(); ++si) {
    std::vector<Matrix> mats = make(rng, kShapes[si]);
    const Digest want = NaiveMmcs(mats, H()).root();
    auto ref = MerkleTree::build(views(mats), hcfg(), 1);
    ASSERT_TRUE(ref.is_ok());
    for (int unstored : {-1, 1, 2, 3, 6}) {
      for (Backend b : backends()) {
        HashConfig cfg = hcfg();
        cfg.backend = b;
        cfg.threads = 2;
        auto tree = MerkleTree::build(views(mats), cfg, unstored);
        ASSERT_TRUE(tree.is_ok());
        ASSERT_EQ(tree->root(), want) << "shape " << si << " unstored " << unstored;
        if (unstored > 0 && tree->log_height() > 0) {
          EXPECT_EQ(tree->first_stored_level(),
                    std::min<uint32_t>(uint32_t(unstored), tree->log_height()));
        }
        for (size_t i = 0; i < tree->leaf_count(); i += 3) {
          auto o = tree->open(i);
          ASSERT_TRUE(o.is_ok());
          ASSERT_EQ(o->siblings, ref->open(i)->siblings) << "index " << i;
        }
      }
    }
  }
  // Memory: stored digests shrink with each unstored level; the default keeps them under a
  // quarter of the data for a narrow matrix.
  Matrix narrow = random_matrix(rng, 1 << 12, 2, Layout::kColMajor);
  auto t1 = MerkleTree::build(std::vector<MatrixView>{narrow.view()}, hcfg(), 1);
  auto t3 = MerkleTree::build(std::vector<MatrixView>{narrow.view()}, hcfg(), 3);
  auto ta = MerkleTree::build(std::vector<MatrixView>{narrow.view()}, hcfg());
  ASSERT_TRUE(t1.is_ok() && t3.is_ok() && ta.is_ok());
  EXPECT_EQ(t1->stored_digest_bytes(), ((1u << 12) - 1) * sizeof(Digest));
  EXPECT_EQ(t3->stored_digest_bytes(), ((1u << 10) - 1) * sizeof(Digest));
  EXPECT_LE(ta->stored_digest_bytes(), narrow.data.size() * sizeof(Fp) / 4);
  EXPECT_EQ(ta->root(), t1->root());
  EXPECT_EQ(MerkleTree::build(std::vector<MatrixView>{narrow.view()}, hcfg(), 7).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_P(Merkle, LayoutDoesNotChangeTheRoot) {
  Rng rng(test_seed("Merkle.LayoutDoesNotChangeTheRoot"));
  const size_t rows = 1 << 12, cols = 13;
  Matrix rm = random_matrix(rng, rows, cols, Layout::kRowMajor);
  std::vector<Fp> cm_data(rows * cols);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) cm_data[c * rows + r] = rm.data[r * cols + c];
  }
  Matrix cm(cm_data, rows, cols, Layout::kColMajor);
  std::vector<Digest> roots;
  for (Backend b : backends()) {
    for (size_t threads : {1, 2}) {
      HashConfig cfg = hcfg();
      cfg.backend = b;
      cfg.threads = threads;
      for (const Matrix* m : {&rm, &cm}) {
        auto t = MerkleTree::build(std::vector<MatrixView>{m->view()}, cfg);
        ASSERT_TRUE(t.is_ok());
        roots.push_back(t->root());
      }
    }
  }
  for (const auto& r : roots) EXPECT_EQ(r, roots[0]);
}

TEST_P(Merkle, EveryOpeningVerifiesAndTamperingIsRejected) {
  Rng rng(test_seed("Merkle.EveryOpeningVerifies"));
  for (size_t si = 0; si < kShapes.size(); ++si) {
    std::vector<Matrix> mats = make(rng, kShapes[si]);
    auto tree = MerkleTree::build(views(mats), hcfg());
    ASSERT_TRUE(tree.is_ok());
    const auto& dims = tree->dims();
    for (size_t i = 0; i < tree->leaf_count(); ++i) {
      auto o = tree->open(i);
      ASSERT_TRUE(o.is_ok());
      for (size_t m = 0; m < mats.size(); ++m) {
        const size_t r = i >> (tree->log_height() - std::countr_zero(mats[m].rows));
        ASSERT_EQ(o->rows[m], row_of(mats[m], r));
      }
      ASSERT_TRUE(verify_opening(H(), tree->root(), dims, i, *o).is_ok())
          << "shape " << si << " i " << i;
      // Only probe tampering on a few indices per shape: each probe is a full verification.
      if (i % 7 != 0 && i + 1 != tree->leaf_count()) continue;
      for (size_t m = 0; m < mats.size(); ++m) {
        auto bad = *o;
        bad.rows[m][rng.uniform(bad.rows[m].size())] += Fp::one();
        EXPECT_FALSE(verify_opening(H(), tree->root(), dims, i, bad).is_ok()) << "row of matrix " << m;
        auto shorter = *o;
        shorter.rows[m].pop_back();
        EXPECT_EQ(verify_opening(H(), tree->root(), dims, i, shorter).code(),
                  StatusCode::kInvalidArgument);
      }
      for (size_t s = 0; s < o->siblings.size(); ++s) {
        auto bad = *o;
        bad.siblings[s][rng.uniform(kDigestSize)] += Fp::one();
        EXPECT_FALSE(verify_opening(H(), tree->root(), dims, i, bad).is_ok()) << "sibling " << s;
      }
      if (tree->leaf_count() > 1) {
        // The same opening at another index: every other index is rejected.
        for (size_t j = 0; j < tree->leaf_count(); j += 1 + tree->leaf_count() / 8) {
          if (j != i) {
            EXPECT_FALSE(verify_opening(H(), tree->root(), dims, j, *o).is_ok()) << j;
          }
        }
        EXPECT_FALSE(verify_opening(H(), tree->root(), dims, i ^ 1, *o).is_ok());
        auto cut = *o;
        cut.siblings.pop_back();
        EXPECT_FALSE(verify_opening(H(), tree->root(), dims, i, cut).is_ok());
      }
      EXPECT_FALSE(verify_opening(H(), tree->root(), dims, tree->leaf_count(), *o).is_ok());
      Digest bad_root = tree->root();
      bad_root[3] += Fp::one();
      EXPECT_FALSE(verify_opening(H(), bad_root, dims, i, *o).is_ok());
      // Claimed dimensions that differ from the committed ones.
      auto wrong_dims = dims;
      wrong_dims[0].width += 1;
      EXPECT_FALSE(verify_opening(H(), tree->root(), wrong_dims, i, *o).is_ok());
      wrong_dims = dims;
      wrong_dims.pop_back();
      EXPECT_FALSE(verify_opening(H(), tree->root(), wrong_dims, i, *o).is_ok());
    }
  }
}

TEST_P(Merkle, SwappedHeightsAreRejected) {
  // Two matrices of the same width but different heights: claiming the heights the other way
  // round moves the injection level, so the opening no longer matches.
  Rng rng(test_seed("Merkle.SwappedHeightsAreRejected"));
  std::vector<Matrix> mats;
  mats.push_back(random_matrix(rng, 32, 4, Layout::kRowMajor));
  mats.push_back(random_matrix(rng, 8, 4, Layout::kRowMajor));
  auto tree = MerkleTree::build(views(mats), hcfg());
  ASSERT_TRUE(tree.is_ok());
  auto o = tree->open(5);
  ASSERT_TRUE(o.is_ok());
  std::vector<MatrixDims> dims = tree->dims();
  ASSERT_TRUE(verify_opening(H(), tree->root(), dims, 5, *o).is_ok());
  dims[1].height = 16;
  EXPECT_FALSE(verify_opening(H(), tree->root(), dims, 5, *o).is_ok());
  dims[1].height = 12;  // not a power of two
  EXPECT_EQ(verify_opening(H(), tree->root(), dims, 5, *o).code(), StatusCode::kInvalidArgument);
}

TEST_P(Merkle, BatchOpenings) {
  Rng rng(test_seed("Merkle.BatchOpenings"));
  for (size_t si = 0; si < kShapes.size(); ++si) {
    std::vector<Matrix> mats = make(rng, kShapes[si]);
    auto tree = MerkleTree::build(views(mats), hcfg());
    ASSERT_TRUE(tree.is_ok());
    const auto& dims = tree->dims();
    for (int trial = 0; trial < 5; ++trial) {
      std::vector<size_t> idx(1 + rng.uniform(12));
      for (auto& i : idx) i = rng.uniform(tree->leaf_count());
      if (idx.size() > 2) idx[1] = idx[0];  // duplicates are allowed
      auto b = tree->open_batch(idx);
      ASSERT_TRUE(b.is_ok());
      ASSERT_TRUE(verify_batch_opening(H(), tree->root(), dims, idx, *b).is_ok())
          << "shape " << si << " trial " << trial;
      for (size_t q = 0; q < idx.size(); ++q) ASSERT_EQ(b->rows[q], tree->open(idx[q])->rows);
      EXPECT_LE(b->siblings.size(), idx.size() * tree->log_height());
      // Tampering: a row element, a sibling, an index, the root, the sibling count.
      auto bad = *b;
      size_t q = rng.uniform(idx.size()), m = rng.uniform(mats.size());
      bad.rows[q][m][0] += Fp::one();
      EXPECT_FALSE(verify_batch_opening(H(), tree->root(), dims, idx, bad).is_ok());
      if (!b->siblings.empty()) {
        bad = *b;
        bad.siblings[rng.uniform(bad.siblings.size())][0] += Fp::one();
        EXPECT_FALSE(verify_batch_opening(H(), tree->root(), dims, idx, bad).is_ok());
        bad = *b;
        bad.siblings.pop_back();
        EXPECT_FALSE(verify_batch_opening(H(), tree->root(), dims, idx, bad).is_ok());
      }
      bad = *b;
      bad.siblings.push_back(Digest{});
      EXPECT_FALSE(verify_batch_opening(H(), tree->root(), dims, idx, bad).is_ok());
      if (tree->leaf_count() > 1) {
        auto idx2 = idx;
        idx2[q] ^= 1;
        EXPECT_FALSE(verify_batch_opening(H(), tree->root(), dims, idx2, *b).is_ok());
      }
      Digest bad_root = tree->root();
      bad_root[0] += Fp::one();
      EXPECT_FALSE(verify_batch_opening(H(), bad_root, dims, idx, *b).is_ok());
      std::vector<size_t> fewer(idx.begin(), idx.end() - 1);
      EXPECT_FALSE(verify_batch_opening(H(), tree->root(), dims, fewer, *b).is_ok());
    }
  }
}

TEST_P(Merkle, BatchOpeningSharesSiblingsAndChecksDuplicates) {
  Rng rng(test_seed("Merkle.BatchOpeningSharesSiblings"));
  std::vector<Matrix> mats;
  mats.push_back(random_matrix(rng, 64, 3, Layout::kRowMajor));
  mats.push_back(random_matrix(rng, 16, 2, Layout::kColMajor));
  auto tree = MerkleTree::build(views(mats), hcfg());
  ASSERT_TRUE(tree.is_ok());
  // Adjacent leaves 10 and 11 share every sibling above level 0, and need none at level 0.
  std::vector<size_t> idx{10, 11};
  auto b = tree->open_batch(idx);
  ASSERT_TRUE(b.is_ok());
  EXPECT_EQ(b->siblings.size(), tree->log_height() - 1);
  ASSERT_TRUE(verify_batch_opening(H(), tree->root(), tree->dims(), idx, *b).is_ok());
  // 10 and 11 reach the same row of the 16-row matrix; opening two different rows there is
  // rejected even though one of them is genuine.
  auto bad = *b;
  bad.rows[1][1][0] += Fp::one();
  EXPECT_FALSE(verify_batch_opening(H(), tree->root(), tree->dims(), idx, bad).is_ok());
  bad = *b;
  bad.rows[0][1][0] += Fp::one();
  EXPECT_FALSE(verify_batch_opening(H(), tree->root(), tree->dims(), idx, bad).is_ok());
  // A repeated index with different rows.
  std::vector<size_t> dup{7, 7};
  auto d = tree->open_batch(dup);
  ASSERT_TRUE(d.is_ok());
  ASSERT_TRUE(verify_batch_opening(H(), tree->root(), tree->dims(), dup, *d).is_ok());
  d->rows[1][0][2] += Fp::one();
  EXPECT_FALSE(verify_batch_opening(H(), tree->root(), tree->dims(), dup, *d).is_ok());
}

TEST_P(Merkle, OwningBuildKeepsData) {
  Rng rng(test_seed("Merkle.OwningBuildKeepsData"));
  std::vector<Matrix> mats = make(rng, kShapes[4]);
  const Digest want = NaiveMmcs(mats, H()).root();
  std::vector<Matrix> copy = mats;
  auto tree = MerkleTree::build(std::move(copy), hcfg());
  ASSERT_TRUE(tree.is_ok());
  EXPECT_EQ(tree->root(), want);
  MerkleTree moved = std::move(*tree);
  auto o = moved.open(3);
  ASSERT_TRUE(o.is_ok());
  EXPECT_TRUE(verify_opening(H(), moved.root(), moved.dims(), 3, *o).is_ok());
  EXPECT_EQ(o->rows[0], row_of(mats[0], 3));
  // A copy outlives the original and still opens the committed rows.
  std::optional<MerkleTree> original = std::move(moved);
  MerkleTree tree_copy = *original;
  MerkleTree assigned = tree_copy;
  assigned = *original;
  original.reset();
  for (const MerkleTree* t : {&tree_copy, &assigned}) {
    auto oc = t->open(5);
    ASSERT_TRUE(oc.is_ok());
    EXPECT_EQ(oc->rows[1], row_of(mats[1], 5 >> 2));
    EXPECT_TRUE(verify_opening(H(), t->root(), t->dims(), 5, *oc).is_ok());
  }
}

TEST_P(Merkle, DeviceCopiesGiveTheSameTree) {
  if (Status cl = opencl_usable(H()); !cl) GTEST_SKIP() << cl.message();
  Rng rng(test_seed("Merkle.DeviceCopiesGiveTheSameTree"));
  std::vector<Matrix> mats = make(rng, kShapes[4]);
  auto dev = OpenClDevice::get(0);
  ASSERT_TRUE(dev.is_ok());
  // All matrices packed into one device buffer at increasing offsets.
  std::vector<Fp> packed;
  std::vector<OpenClMatrix> copies;
  for (const auto& m : mats) {
    copies.push_back({nullptr, packed.size(), m.rows, m.cols, m.layout});
    packed.insert(packed.end(), m.data.begin(), m.data.end());
  }
  auto buf = (*dev)->upload(std::span<const Fp>(packed));
  ASSERT_TRUE(buf.is_ok());
  for (auto& c : copies) c.buffer = &*buf;
  HashConfig cl = hcfg();
  cl.backend = Backend::kOpenCl;
  auto tree = MerkleTree::build_with_device_copies(views(mats), copies, cl);
  ASSERT_TRUE(tree.is_ok()) << tree.status().to_string();
  EXPECT_EQ(tree->root(), NaiveMmcs(mats, H()).root());
  auto o = tree->open(9);
  ASSERT_TRUE(o.is_ok());
  EXPECT_TRUE(verify_opening(H(), tree->root(), tree->dims(), 9, *o).is_ok());
  // Shape mismatches, a missing copy and a CPU backend are errors.
  auto bad = copies;
  bad[1].cols += 1;
  EXPECT_EQ(MerkleTree::build_with_device_copies(views(mats), bad, cl).status().code(),
            StatusCode::kInvalidArgument);
  bad = copies;
  bad[2].layout = bad[2].layout == Layout::kRowMajor ? Layout::kColMajor : Layout::kRowMajor;
  EXPECT_FALSE(MerkleTree::build_with_device_copies(views(mats), bad, cl).is_ok());
  bad = copies;
  bad.pop_back();
  EXPECT_FALSE(MerkleTree::build_with_device_copies(views(mats), bad, cl).is_ok());
  EXPECT_FALSE(MerkleTree::build_with_device_copies(views(mats), copies, hcfg()).is_ok());
  // A copy that runs past the end of its buffer is caught before any kernel runs.
  bad = copies;
  bad.back().offset = packed.size();
  EXPECT_FALSE(MerkleTree::build_with_device_copies(views(mats), bad, cl).is_ok());
}

// A window source over whole matrices that copies each window's rows into fresh column-major
// buffers (as the STARK prover's recomputed LDE blocks are), counting the windows fetched.
struct CopyingSource {
  const std::vector<Matrix>& mats;
  size_t windows;
  std::vector<std::vector<Fp>> bufs;
  std::vector<size_t> fetched;

  Status operator()(size_t w, std::vector<MatrixView>& out) {
    fetched.push_back(w);
    bufs.assign(mats.size(), {});
    for (size_t m = 0; m < mats.size(); ++m) {
      const size_t rows = mats[m].rows / windows;
      bufs[m].resize(rows * mats[m].cols);
      for (size_t r = 0; r < rows; ++r) {
        for (size_t c = 0; c < mats[m].cols; ++c) {
          bufs[m][c * rows + r] = mats[m].view().at(w * rows + r, c);
        }
      }
      out.push_back({bufs[m].data(), rows, mats[m].cols, Layout::kColMajor});
    }
    return Status::ok();
  }
};

TEST_P(Merkle, WindowedBuildGivesTheSameTreeAndOpenings) {
  Rng rng(test_seed("Merkle.Windowed"));
  const std::vector<std::vector<Shape>> shapes = {
      {{64, 8, Layout::kRowMajor}},
      {{128, 3, Layout::kColMajor}, {128, 20, Layout::kRowMajor}},
      {{16, 4, Layout::kRowMajor}, {4, 9, Layout::kColMajor}, {16, 2, Layout::kColMajor},
       {8, 17, Layout::kRowMajor}, {4, 1, Layout::kRowMajor}},
      {{4, 7, Layout::kColMajor}, {256, 11, Layout::kColMajor}, {32, 8, Layout::kRowMajor}},
  };
  for (size_t si = 0; si < shapes.size(); ++si) {
    std::vector<Matrix> mats = make(rng, shapes[si]);
    const Digest want = NaiveMmcs(mats, H()).root();
    size_t min_h = SIZE_MAX, max_h = 0;
    for (const Matrix& m : mats) {
      min_h = std::min(min_h, m.rows);
      max_h = std::max(max_h, m.rows);
    }
    std::vector<MatrixDims> dims;
    for (const Matrix& m : mats) dims.push_back({m.rows, m.cols});
    std::vector<size_t> idx;
    for (int q = 0; q < 9; ++q) idx.push_back(size_t(rng.uniform(max_h)));
    idx.push_back(idx[0]);  // a duplicate
    for (size_t windows = 1; windows <= min_h && max_h / windows >= 2; windows *= 2) {
      for (int unstored : {-1, 1, 3, 6}) {
        for (Backend b : backends()) {
          if (b == Backend::kOpenCl) continue;
          HashConfig cfg = hcfg();
          cfg.backend = b;
          CopyingSource src{mats, windows, {}, {}};
          auto tree = MerkleTree::build_windowed(dims, windows, std::ref(src), cfg, unstored);
          ASSERT_TRUE(tree.is_ok()) << tree.status().to_string();
          EXPECT_EQ(tree->root(), want) << "shape " << si << ", " << windows << " windows";
          EXPECT_EQ(src.fetched.size(), windows);
          // In decreasing order: the STARK prover's quotient pass reuses the last (window 0).
          for (size_t i = 0; i < src.fetched.size(); ++i) {
            EXPECT_EQ(src.fetched[i], windows - 1 - i);
          }
          EXPECT_TRUE(tree->windowed());
          EXPECT_EQ(tree->dims(), dims);
          // Openings equal those of the tree over the whole matrices with the same stored levels.
          auto ref = MerkleTree::build(views(mats), cfg, int(tree->first_stored_level()));
          ASSERT_TRUE(ref.is_ok());
          EXPECT_EQ(ref->root(), want);
          auto want_o = ref->open_batch(idx);
          ASSERT_TRUE(want_o.is_ok());
          src.fetched.clear();
          auto o = tree->open_batch(idx, std::ref(src));
          ASSERT_TRUE(o.is_ok()) << o.status().to_string();
          EXPECT_EQ(o->rows, want_o->rows) << "shape " << si << ", " << windows << " windows";
          EXPECT_EQ(o->siblings, want_o->siblings);
          EXPECT_TRUE(verify_batch_opening(H(), tree->root(), dims, idx, *o).is_ok());
          // Each window holding a query fetched once, in increasing order.
          std::vector<size_t> ws;
          for (size_t i : idx) ws.push_back(i / (max_h / windows));
          std::sort(ws.begin(), ws.end());
          ws.erase(std::unique(ws.begin(), ws.end()), ws.end());
          EXPECT_EQ(src.fetched, ws);
          // A windowed tree cannot open without its source.
          EXPECT_FALSE(tree->open_batch(idx).is_ok());
          EXPECT_FALSE(tree->open(idx[0]).is_ok());
        }
      }
    }
  }
}

// Leaf blocks keep at least sixteen nodes at the first stored level (full AVX-512 calls): with
// up to six unstored levels a block spans up to 1024 leaves, so check trees several blocks tall,
// with matrices injected at levels inside a block and above it, plain and windowed.
TEST_P(Merkle, TallTreesWithEveryUnstoredLevelMatchNaive) {
  Rng rng(test_seed("Merkle.TallTrees"));
  const std::vector<Shape> shape{{4096, 3, Layout::kColMajor},
                                 {1024, 5, Layout::kColMajor},
                                 {256, 2, Layout::kRowMajor},
                                 {16, 9, Layout::kColMajor}};
  std::vector<Matrix> mats = make(rng, shape);
  const Digest want = NaiveMmcs(mats, H()).root();
  std::vector<MatrixDims> dims;
  for (const Matrix& m : mats) dims.push_back({m.rows, m.cols});
  for (int unstored : {1, 3, 4, 6}) {
    for (Backend b : backends()) {
      if (b == Backend::kOpenCl) continue;
      for (size_t threads : {1, 2}) {
        HashConfig cfg = hcfg();
        cfg.backend = b;
        cfg.threads = threads;
        auto tree = MerkleTree::build(views(mats), cfg, unstored);
        ASSERT_TRUE(tree.is_ok()) << tree.status().to_string();
        EXPECT_EQ(tree->root(), want) << backend_name(b) << " unstored " << unstored;
        CopyingSource src{mats, 4, {}, {}};
        auto windowed = MerkleTree::build_windowed(dims, 4, std::ref(src), cfg, unstored);
        ASSERT_TRUE(windowed.is_ok()) << windowed.status().to_string();
        EXPECT_EQ(windowed->root(), want) << backend_name(b) << " windowed, unstored " << unstored;
      }
    }
  }
}

TEST_P(Merkle, WindowedBadInputIsAnError) {
  Rng rng(test_seed("Merkle.WindowedBadInput"));
  std::vector<Matrix> mats = make(rng, {{16, 3, Layout::kColMajor}, {8, 2, Layout::kRowMajor}});
  std::vector<MatrixDims> dims{{16, 3}, {8, 2}};
  CopyingSource src{mats, 4, {}, {}};
  auto msg = [](const Result<MerkleTree>& r) { return r.status().message(); };
  // Window counts: not a power of two, more windows than a matrix has rows, one-leaf windows.
  EXPECT_NE(msg(MerkleTree::build_windowed(dims, 3, std::ref(src), hcfg())).find("power of two"),
            std::string::npos);
  EXPECT_NE(msg(MerkleTree::build_windowed(dims, 16, std::ref(src), hcfg())).find("matrix 1"),
            std::string::npos);
  std::vector<MatrixDims> one{{8, 2}};
  EXPECT_FALSE(MerkleTree::build_windowed(one, 8, std::ref(src), hcfg()).is_ok());
  EXPECT_FALSE(MerkleTree::build_windowed(dims, 4, WindowSource{}, hcfg()).is_ok());
  // A source giving the wrong shape, or failing: the error names the window and matrix.
  auto wrong = [&](size_t w, std::vector<MatrixView>& v) {
    Status s = src(w, v);
    v[1].rows = 1;
    return s;
  };
  Status s = MerkleTree::build_windowed(dims, 4, wrong, hcfg()).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  // (the build visits windows in decreasing order: the first is window 3)
  EXPECT_NE(s.message().find("window 3, matrix 1"), std::string::npos) << s.message();
  auto failing = [](size_t, std::vector<MatrixView>&) { return data_loss("block lost"); };
  EXPECT_EQ(MerkleTree::build_windowed(dims, 4, failing, hcfg()).status().code(), StatusCode::kDataLoss);
  auto tree = MerkleTree::build_windowed(dims, 4, std::ref(src), hcfg());
  ASSERT_TRUE(tree.is_ok());
  std::vector<size_t> idx{1, 16};
  EXPECT_EQ(tree->open_batch(idx, std::ref(src)).status().code(), StatusCode::kOutOfRange);
  idx = {1, 5};
  EXPECT_EQ(tree->open_batch(idx, failing).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(tree->open_batch(idx, wrong).status().code(), StatusCode::kInvalidArgument);
  HashConfig cl = hcfg();
  cl.backend = Backend::kOpenCl;
  EXPECT_FALSE(MerkleTree::build_windowed(dims, 4, std::ref(src), cl).is_ok());
}

TEST_P(Merkle, BadInputIsAnError) {
  std::vector<Fp> d(24);
  auto err = [](Result<MerkleTree> r) { return r.status(); };
  Status s = err(MerkleTree::build(std::vector<MatrixView>{}, hcfg()));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  s = err(MerkleTree::build(std::vector<MatrixView>{{d.data(), 8, 3}, {d.data(), 6, 4}}, hcfg()));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("matrix 1"), std::string::npos) << s.message();
  s = err(MerkleTree::build(std::vector<MatrixView>{{d.data(), 8, 0}}, hcfg()));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  s = err(MerkleTree::build(std::vector<MatrixView>{{nullptr, 8, 3}}, hcfg()));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  s = err(MerkleTree::build(std::vector<Matrix>{Matrix(d, 8, 4)}, hcfg()));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  HashConfig cl = hcfg();
  cl.backend = Backend::kOpenCl;
  cl.opencl_device = 99;  // no such device (or no OpenCL): an error
  EXPECT_FALSE(MerkleTree::build(std::vector<MatrixView>{{d.data(), 8, 3}}, cl).is_ok());
  auto t = MerkleTree::build(std::vector<MatrixView>{{d.data(), 8, 3}}, hcfg());
  ASSERT_TRUE(t.is_ok());
  EXPECT_EQ(t->open(8).status().code(), StatusCode::kOutOfRange);
  std::vector<size_t> idx{1, 9};
  EXPECT_EQ(t->open_batch(idx).status().code(), StatusCode::kOutOfRange);
  auto o = t->open(1);
  EXPECT_FALSE(verify_opening(H(), t->root(), {}, 1, *o).is_ok());
  EXPECT_FALSE(verify_opening(H(), t->root(), t->dims(), size_t(1) << 63, *o).is_ok());
}

// The hash is part of what a root commits to: openings of a tree built with one hash do not
// verify under the other (a proof relabelled with the other hash fails at its first opening),
// and a hash value that names neither is an error, never a default.
TEST(MerkleHashChoice, AnOpeningVerifiesOnlyUnderItsTreesHash) {
  Rng rng(test_seed("MerkleHashChoice"));
  std::vector<Matrix> mats = make(rng, kShapes[4]);
  std::vector<Digest> roots;
  const std::vector<size_t> idx{2, 3, 9};
  for (MerkleHash h : {MerkleHash::kPoseidon2, MerkleHash::kBlake3}) {
    const MerkleHash other = h == MerkleHash::kBlake3 ? MerkleHash::kPoseidon2 : MerkleHash::kBlake3;
    HashConfig cfg;
    cfg.merkle_hash = h;
    auto tree = MerkleTree::build(views(mats), cfg, 2);
    ASSERT_TRUE(tree.is_ok()) << tree.status().to_string();
    EXPECT_EQ(tree->merkle_hash(), h);
    roots.push_back(tree->root());
    auto o = tree->open(5);
    ASSERT_TRUE(o.is_ok());
    EXPECT_TRUE(verify_opening(h, tree->root(), tree->dims(), 5, *o).is_ok());
    EXPECT_FALSE(verify_opening(other, tree->root(), tree->dims(), 5, *o).is_ok());
    auto b = tree->open_batch(idx);
    ASSERT_TRUE(b.is_ok());
    EXPECT_TRUE(verify_batch_opening(h, tree->root(), tree->dims(), idx, *b).is_ok());
    EXPECT_FALSE(verify_batch_opening(other, tree->root(), tree->dims(), idx, *b).is_ok());
    const MerkleHash bogus = MerkleHash(7);
    Status s = verify_batch_opening(bogus, tree->root(), tree->dims(), idx, *b);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("Merkle hash 7"), std::string::npos) << s.message();
    EXPECT_FALSE(verify_opening(bogus, tree->root(), tree->dims(), 5, *o).is_ok());
    cfg.merkle_hash = bogus;
    EXPECT_EQ(MerkleTree::build(views(mats), cfg).status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_NE(roots[0], roots[1]);
}

}  // namespace
}  // namespace efaas
