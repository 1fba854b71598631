#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "prover/common/bytes.hpp"
#include "prover/common/cpu_features.hpp"
#include "prover/common/rng.hpp"
#include "prover/common/status.hpp"
#include "prover/common/thread_pool.hpp"
#include "prover/common/topology.hpp"

namespace efaas {
namespace {

TEST(Status, CarriesCodeAndMessage) {
  Status s = invalid_argument("length 3 is not a power of two");
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(s.to_string(), "INVALID_ARGUMENT: length 3 is not a power of two");
  EXPECT_EQ(Status::ok().to_string(), "OK");
  Result<int> r = 5;
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(*r, 5);
  Result<int> e = unimplemented("x");
  EXPECT_EQ(e.status().code(), StatusCode::kUnimplemented);
}

// Zero bytes into an empty vector (data() may be null): the zkwasm bundle fuzzer's first
// finding, a null memcpy destination that UBSan reports (only a sanitizer build can fail here).
TEST(ByteReader, ReadsZeroBytesIntoAnEmptySpan) {
  const std::vector<uint8_t> in = {1, 2, 3};
  ByteReader r(in);
  std::vector<uint8_t> none;
  ASSERT_TRUE(r.bytes(none, "nothing").is_ok());
  EXPECT_EQ(r.offset(), 0u);
  ByteReader empty(std::span<const uint8_t>{});
  EXPECT_TRUE(empty.bytes(none, "nothing").is_ok());
  std::vector<uint8_t> two(2);
  ASSERT_TRUE(r.bytes(two, "two").is_ok());
  EXPECT_EQ(two, (std::vector<uint8_t>{1, 2}));
  EXPECT_FALSE(r.bytes(two, "two more").is_ok());
}

TEST(Rng, DeterministicPerSeedAndUniformInRange) {
  Rng a(42), b(42), c(43);
  uint64_t x = a.next_u64();
  EXPECT_EQ(x, b.next_u64());
  EXPECT_NE(x, c.next_u64());
  for (int i = 0; i < 1000; ++i) EXPECT_LT(a.uniform(7), 7u);
}

TEST(Topology, SeesAtLeastOneAllowedCore) {
  const Topology& t = topology();
  EXPECT_GE(t.cores, 1);
  EXPECT_GE(t.pus, t.cores);
  EXPECT_EQ(size_t(t.cores), t.allowed_cores.size());
  for (const auto& c : t.allowed_cores) EXPECT_FALSE(c.pus.empty());
}

TEST(ThreadPool, CoversEveryIndexExactlyOnce) {
  for (size_t threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (size_t n : {0, 1, 5, 1000, 100003}) {
      std::vector<std::atomic<int>> hits(n);
      pool.parallel_for(n, 7, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) hits[i].fetch_add(1);
      });
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
    }
  }
}

TEST(ThreadPool, NestedCallsRunSerially) {
  ThreadPool pool(2);
  std::atomic<size_t> total{0};
  pool.parallel_for(4, 1, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      pool.parallel_for(10, 1, [&](size_t bb, size_t ee) { total += ee - bb; });
    }
  });
  EXPECT_EQ(total.load(), 40u);
}

TEST(CpuFeatures, Avx2UsableImpliesCpuHasIt) {
  if (avx2_usable()) {
    EXPECT_TRUE(cpu_features().avx2);
  }
}

}  // namespace
}  // namespace efaas
