#pragma once
// Host memory for data whose master copy lives on a device (an OpenCL pipeline's LDE): allocated
// without being touched, so its pages become resident only where the host actually writes --
// the few rows the query phase reads back -- instead of doubling the memory of a proof.
// Host views (a Merkle tree's matrices) can point at it before anything is written.
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <type_traits>

#include "prover/common/status.hpp"

namespace efaas {

template <typename T>
class HostMirror {
  // calloc'd storage holds zero-valued T without running constructors: T must be an
  // implicit-lifetime type whose all-zero bytes are a valid value (Fp: zero).
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

 public:
  HostMirror() = default;
  static Result<HostMirror> allocate(size_t elements) {
    HostMirror m;
    if (elements == 0) return m;
    // calloc: large blocks come from fresh anonymous mappings, zero and not yet resident.
    m.data_.reset(static_cast<T*>(std::calloc(elements, sizeof(T))));
    if (!m.data_) {
      return Status(StatusCode::kInternal, "out of host memory for a mirror of " +
                                               std::to_string(elements * sizeof(T)) + " bytes");
    }
    m.size_ = elements;
    return m;
  }
  T* data() const { return data_.get(); }
  size_t size() const { return size_; }
  std::span<T> span() const { return {data_.get(), size_}; }

 private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T, Free> data_;
  size_t size_ = 0;
};

}  // namespace efaas
