// libFuzzer target for the Merkle verifiers (built with -DEFAAS_FUZZ=ON and clang). The input
// chooses query indices, opened rows, siblings and sometimes the claimed dimensions, against a
// fixed committed tree (Poseidon2 or BLAKE3, as the input's first byte says). The verifiers must never crash, and whenever they accept, the opened
// rows must be the committed ones (anything else would be a forged opening).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <vector>

#include "prover/merkle/merkle.hpp"

namespace {

using namespace efaas;

struct Reader {
  const uint8_t* p;
  size_t n;
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4 && n > 0; ++i, ++p, --n) v |= uint32_t(*p) << (8 * i);
    return v;
  }
  uint8_t u8() { return n > 0 ? (--n, *p++) : 0; }
  Fp fp() { return Fp::from_u32(u32()); }
};

struct Fixture {
  std::vector<Matrix> mats;
  std::optional<MerkleTree> trees[2];  // by MerkleHash
};

const Fixture& fixture() {
  static const Fixture* f = [] {
    auto* fx = new Fixture{};
    const size_t shapes[3][2] = {{16, 3}, {4, 2}, {16, 9}};
    uint32_t x = 12345;
    for (const auto& s : shapes) {
      std::vector<Fp> d(s[0] * s[1]);
      for (auto& e : d) e = Fp::from_u32(x = x * 1103515245u + 12345u);
      fx->mats.emplace_back(std::move(d), s[0], s[1], Layout::kRowMajor);
    }
    std::vector<MatrixView> views;
    for (const auto& m : fx->mats) views.push_back(m.view());
    for (MerkleHash h : {MerkleHash::kPoseidon2, MerkleHash::kBlake3}) {
      auto t = MerkleTree::build(views, {Backend::kScalar, 1, 0, h}, 2);
      if (!t) std::abort();
      fx->trees[size_t(h)] = std::move(*t);
    }
    return fx;
  }();
  return *f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Fixture& fx = fixture();
  Reader r{data, size};
  const uint8_t mode = r.u8();
  const MerkleTree& tree = *fx.trees[(mode >> 2) & 1];
  const MerkleHash hash = tree.merkle_hash();
  std::vector<MatrixDims> dims = tree.dims();
  if (mode & 1) {  // claimed dimensions chosen by the input
    dims.resize(r.u8() % 5);
    for (auto& d : dims) d = {size_t(1) << (r.u8() % 70 % 64), size_t(r.u8() % 12)};
  }
  // Queries: start from genuine openings so that the fuzzer reaches deep into the checks, then
  // let the input overwrite parts of them.
  std::vector<size_t> idx(1 + r.u8() % 6);
  for (auto& i : idx) i = (mode & 2) ? size_t(r.u32()) : r.u8() % tree.leaf_count();
  std::vector<size_t> genuine_idx;
  for (size_t i : idx) genuine_idx.push_back(i % tree.leaf_count());
  auto genuine = tree.open_batch(genuine_idx);
  if (!genuine) std::abort();
  MerkleBatchOpening op = *genuine;
  const size_t edits = r.u8() % 8;
  for (size_t e = 0; e < edits && r.n > 0; ++e) {
    switch (r.u8() % 5) {
      case 0:
        if (!op.siblings.empty()) op.siblings[r.u8() % op.siblings.size()][r.u8() % 8] = r.fp();
        break;
      case 1: {
        auto& q = op.rows[r.u8() % op.rows.size()];
        auto& row = q[r.u8() % q.size()];
        if (!row.empty()) row[r.u8() % row.size()] = r.fp();
        break;
      }
      case 2:
        op.siblings.resize(r.u8() % 12);
        break;
      case 3: {
        auto& q = op.rows[r.u8() % op.rows.size()];
        q[r.u8() % q.size()].resize(r.u8() % 12);
        break;
      }
      default:
        idx[r.u8() % idx.size()] = r.u8() % (tree.leaf_count() + 2);
        break;
    }
  }
  Status s = verify_batch_opening(hash, tree.root(), dims, idx, op);
  if (s.is_ok()) {
    if (dims != tree.dims()) std::abort();
    for (size_t q = 0; q < idx.size(); ++q) {
      auto truth = tree.open(idx[q]);
      if (!truth || truth->rows != op.rows[q]) std::abort();  // forged rows accepted
    }
  }
  // The single-query verifier on the first query.
  MerkleOpening one{op.rows[0], op.siblings};
  if (verify_opening(hash, tree.root(), dims, idx[0], one).is_ok()) {
    auto truth = tree.open(idx[0]);
    if (!truth || truth->rows != one.rows || dims != tree.dims()) std::abort();
  }
  return 0;
}
