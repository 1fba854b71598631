#include "prover/zkwasm/columns.hpp"

#include <algorithm>

namespace efaas::zkwasm {

namespace {
constexpr size_t kPage = 4096;
constexpr size_t kMinParallelBytes = size_t(16) << 20;  // below this one thread is as fast
}  // namespace

std::vector<Fp> zeroed_columns(size_t n, ThreadPool& pool) {
  std::vector<Fp> v;
  const size_t len = n * sizeof(Fp);
  if (len < kMinParallelBytes) {
    v.assign(n, Fp::zero());
    return v;
  }
  v.reserve(n);  // a fresh mapping: no page is resident yet
  auto* base = reinterpret_cast<unsigned char*>(v.data());
  // First touch, one byte a page, spread over the pool: the kernel zeroes the pages. Writing
  // bytes into the allocated (not yet constructed) storage is fine for a trivial type.
  const size_t pages = (len + kPage - 1) / kPage;
  pool.parallel_for(pages, 512, [&](size_t begin, size_t end) {
    for (size_t p = begin; p < end; ++p) base[std::min(p * kPage, len - 1)] = 0;
  });
  v.resize(n);  // value-initialization, now over resident pages
  return v;
}

}  // namespace efaas::zkwasm
