#pragma once
// A non-owning view of a matrix of field elements, cheap to pass by value, and an owning matrix.
// Merkle leaves are rows; prover/ntt keeps columns contiguous (column-major), so both layouts are
// accepted everywhere a matrix is hashed. Rows are taken in stored order: leaf i is stored row i.
// (The STARK prover stores LDEs in bit-reversed order, NttConfig::output_order = kBitReversed,
// so that the two FRI siblings x and -x are adjacent leaves.)
#include <cstddef>
#include <utility>
#include <vector>

#include "prover/field/babybear.hpp"

namespace efaas {

enum class Layout {
  kRowMajor,  // element (r, c) at data[r * cols + c]
  kColMajor,  // element (r, c) at data[c * rows + r]: each column contiguous (prover/ntt)
};

struct MatrixView {
  const Fp* data = nullptr;
  size_t rows = 0;
  size_t cols = 0;
  Layout layout = Layout::kRowMajor;

  Fp at(size_t r, size_t c) const {
    return layout == Layout::kRowMajor ? data[r * cols + c] : data[c * rows + r];
  }
  size_t size() const { return rows * cols; }
};

// Owning storage with the same shape description; view() is valid while the Matrix lives and
// is not resized (moving a Matrix keeps the data pointer, as std::vector's move does).
struct Matrix {
  std::vector<Fp> data;
  size_t rows = 0;
  size_t cols = 0;
  Layout layout = Layout::kRowMajor;

  Matrix() = default;
  Matrix(std::vector<Fp> d, size_t r, size_t c, Layout l = Layout::kRowMajor)
      : data(std::move(d)), rows(r), cols(c), layout(l) {}
  MatrixView view() const { return {data.data(), rows, cols, layout}; }
};

}  // namespace efaas
