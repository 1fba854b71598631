// OpenCL runtime: device selection errors, the program cache, build failures with their log,
// buffer transfers, kernel launches, and the OpenCL C BabyBear arithmetic against Fp.
#include "prover/device/opencl_runtime.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "kernels/opencl/opencl_sources.hpp"
#include "prover/common/rng.hpp"
#include "prover/device/opencl_testing.hpp"
#include "prover/field/babybear.hpp"

namespace efaas {
namespace {

OpenClDevice& device0() {
  Result<OpenClDevice*> d = OpenClDevice::get(0);
  EXPECT_TRUE(d.is_ok()) << d.status().to_string();
  return **d;
}

bool contains(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

// Launches without a local size get one that depends only on the first global dimension:
// PoCL compiles a work-group function per local size, so the driver's per-shape choice cost a
// code generation per table shape. Device-free: the rule itself.
TEST(OpenClRuntime, DefaultLocalSizeDependsOnlyOnTheFirstDimension) {
  EXPECT_EQ(default_local_size(1u << 20, 4096), kDefaultLocalSize);
  EXPECT_EQ(default_local_size(64, 4096), 64u);
  EXPECT_EQ(default_local_size(32, 4096), 32u);
  EXPECT_EQ(default_local_size(96, 4096), 32u);   // the largest power of two dividing 96
  EXPECT_EQ(default_local_size(7, 4096), 1u);     // odd: one work-item per group
  EXPECT_EQ(default_local_size(1u << 20, 16), 16u);  // the kernel's limit
  EXPECT_EQ(default_local_size(1u << 20, 48), 32u);  // a non-power-of-two limit rounds down
  EXPECT_EQ(default_local_size(1u << 20, 0), kDefaultLocalSize);  // limit unknown
  for (size_t g = 1; g < 300; ++g) {
    const size_t l = default_local_size(g, 256);
    EXPECT_EQ(g % l, 0u) << g;
    EXPECT_LE(l, kDefaultLocalSize);
  }
}

TEST(OpenClRuntime, BadDeviceIndexListsTheDevices) {
  Result<OpenClDevice*> d = OpenClDevice::get(99);
  ASSERT_FALSE(d.is_ok());
  if (!resolve_backend(Backend::kOpenCl).is_ok()) {
    EXPECT_EQ(d.status().code(), StatusCode::kUnavailable) << d.status().to_string();
    return;
  }
  const std::string& msg = d.status().message();
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(contains(msg, "index 99 is out of range")) << msg;
  EXPECT_TRUE(contains(msg, "[0] " + list_opencl_devices()->front().name)) << msg;
  Result<OpenClDevice*> neg = OpenClDevice::get(-1);
  ASSERT_FALSE(neg.is_ok());
  EXPECT_TRUE(contains(neg.status().message(), "index -1 is out of range"))
      << neg.status().message();
}

TEST(OpenClRuntime, SameDeviceObjectEveryTime) {
  EFAAS_REQUIRE_OPENCL();
  Result<OpenClDevice*> a = OpenClDevice::get(0);
  Result<OpenClDevice*> b = OpenClDevice::get(0);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ((*a)->info().index, 0);
  EXPECT_GT((*a)->max_alloc_bytes(), 0u);
}

TEST(OpenClRuntime, ProgramIsBuiltOnceAndCached) {
  EFAAS_REQUIRE_OPENCL();
  OpenClDevice& dev = device0();
  const std::string src =
      "__kernel void cache_probe(__global uint* x) { x[get_global_id(0)] += 1u; }";
  const uint64_t before = dev.build_count();
  auto p1 = dev.program("cache_probe", src);
  ASSERT_TRUE(p1.is_ok()) << p1.status().to_string();
  auto p2 = dev.program("cache_probe", src);
  ASSERT_TRUE(p2.is_ok());
  EXPECT_EQ(*p1, *p2);
  EXPECT_EQ(dev.build_count(), before + 1);
  // Other options are another program.
  auto p3 = dev.program("cache_probe", src, "-cl-fast-relaxed-math");
  ASSERT_TRUE(p3.is_ok()) << p3.status().to_string();
  EXPECT_NE(*p1, *p3);
  EXPECT_EQ(dev.build_count(), before + 2);

  // Concurrent first users of a new source wait for a single build.
  const std::string src2 = "__kernel void cache_probe2(__global uint* x) { x[0] = 2u; }";
  std::vector<const OpenClProgram*> got(4, nullptr);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < got.size(); ++i) {
    threads.emplace_back([&, i] {
      auto p = dev.program("cache_probe2", src2);
      if (p) got[i] = *p;
    });
  }
  for (auto& t : threads) t.join();
  for (const OpenClProgram* p : got) EXPECT_EQ(p, got[0]);
  EXPECT_NE(got[0], nullptr);
  EXPECT_EQ(dev.build_count(), before + 3);
}

TEST(OpenClRuntime, BuildFailureNamesTheErrorAndCarriesTheLog) {
  EFAAS_REQUIRE_OPENCL();
  OpenClDevice& dev = device0();
  const std::string broken =
      "__kernel void broken(__global uint* x) { x[0] = efaas_undefined_identifier; }";
  const uint64_t before = dev.build_count();
  auto p = dev.program("broken.cl", broken);
  ASSERT_FALSE(p.is_ok());
  const std::string& msg = p.status().message();
  EXPECT_TRUE(contains(msg, "clBuildProgram(broken.cl)")) << msg;
  EXPECT_TRUE(contains(msg, "CL_BUILD_PROGRAM_FAILURE")) << msg;
  EXPECT_TRUE(contains(msg, "build log")) << msg;
  EXPECT_TRUE(contains(msg, "efaas_undefined_identifier")) << msg;  // from the compiler's log
  // Failures are not cached: a second attempt builds (and fails) again.
  EXPECT_FALSE(dev.program("broken.cl", broken).is_ok());
  EXPECT_EQ(dev.build_count(), before + 2);
}

TEST(OpenClRuntime, UnknownKernelAndBadArgumentsAreNamed) {
  EFAAS_REQUIRE_OPENCL();
  OpenClDevice& dev = device0();
  auto p = dev.program("args", "__kernel void takes_uint(__global uint* x, uint v) { x[0] = v; }");
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  auto missing = (*p)->kernel("no_such_kernel");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_TRUE(contains(missing.status().message(), "clCreateKernel(no_such_kernel)"))
      << missing.status().message();
  EXPECT_TRUE(contains(missing.status().message(), "CL_INVALID_KERNEL_NAME"))
      << missing.status().message();

  auto k = (*p)->kernel("takes_uint");
  ASSERT_TRUE(k.is_ok()) << k.status().to_string();
  Status wrong = k->set_arg(1, uint64_t(5));  // a ulong for a uint parameter
  ASSERT_FALSE(wrong.is_ok());
  EXPECT_TRUE(contains(wrong.message(), "clSetKernelArg(takes_uint, arg 1, 8 bytes)"))
      << wrong.message();
  EXPECT_TRUE(contains(wrong.message(), "CL_INVALID_ARG_SIZE")) << wrong.message();
  OpenClBuffer unallocated;
  EXPECT_EQ(k->set_arg(0, unallocated).code(), StatusCode::kInvalidArgument);
  Status dims = dev.launch(*k, {1, 1, 1, 1});
  EXPECT_EQ(dims.code(), StatusCode::kInvalidArgument) << dims.to_string();

  // And a correct launch does what the kernel says.
  auto buf = dev.alloc(sizeof(uint32_t));
  ASSERT_TRUE(buf.is_ok());
  ASSERT_TRUE(k->set_arg(0, *buf).is_ok());
  ASSERT_TRUE(k->set_arg(1, uint32_t(0xdeadbeef)).is_ok());
  ASSERT_TRUE(dev.launch(*k, {1}).is_ok());
  uint32_t v = 0;
  ASSERT_TRUE(buf->read(std::span<uint32_t>(&v, 1)).is_ok());
  EXPECT_EQ(v, 0xdeadbeefu);
}

TEST(OpenClRuntime, BufferRoundTrips) {
  EFAAS_REQUIRE_OPENCL();
  OpenClDevice& dev = device0();
  Rng rng(test_seed("OpenClRuntime.BufferRoundTrips"));
  std::vector<uint32_t> data(10007);
  for (auto& x : data) x = rng.next_u32();
  auto buf = dev.upload(std::span<const uint32_t>(data));
  ASSERT_TRUE(buf.is_ok()) << buf.status().to_string();
  EXPECT_EQ(buf->size_bytes(), data.size() * 4);
  std::vector<uint32_t> back(data.size());
  ASSERT_TRUE(buf->read(std::span<uint32_t>(back)).is_ok());
  EXPECT_EQ(back, data);

  // Partial write and read at element offsets.
  std::vector<uint32_t> patch(100);
  for (auto& x : patch) x = rng.next_u32();
  ASSERT_TRUE(buf->write(std::span<const uint32_t>(patch), 5000).is_ok());
  std::copy(patch.begin(), patch.end(), data.begin() + 5000);
  std::vector<uint32_t> part(300);
  ASSERT_TRUE(buf->read(std::span<uint32_t>(part), 4900).is_ok());
  EXPECT_TRUE(std::equal(part.begin(), part.end(), data.begin() + 4900));

  // Zero-fill of a range (word-aligned and odd-byte paths).
  ASSERT_TRUE(buf->fill_zero(400, 800).is_ok());
  std::fill(data.begin() + 100, data.begin() + 300, 0u);
  ASSERT_TRUE(buf->fill_zero(4001, 3).is_ok());
  reinterpret_cast<uint8_t*>(data.data())[4001] = 0;
  reinterpret_cast<uint8_t*>(data.data())[4002] = 0;
  reinterpret_cast<uint8_t*>(data.data())[4003] = 0;
  // Device-to-device copy.
  auto other = dev.alloc(data.size() * 4);
  ASSERT_TRUE(other.is_ok());
  ASSERT_TRUE(other->fill_zero(0, other->size_bytes()).is_ok());
  ASSERT_TRUE(other->copy_from(*buf, 0, 0, buf->size_bytes()).is_ok());
  ASSERT_TRUE(other->read(std::span<uint32_t>(back)).is_ok());
  EXPECT_EQ(back, data);

  // Out-of-range transfers are errors, before any OpenCL call.
  Status s = buf->read(std::span<uint32_t>(part), data.size() - 10);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(contains(s.message(), "outside the buffer of 40028 bytes")) << s.message();
  EXPECT_EQ(buf->write(std::span<const uint32_t>(patch), data.size()).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(other->copy_from(*buf, 4, 0, buf->size_bytes()).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(dev.alloc(0).status().code(), StatusCode::kInvalidArgument);
  auto huge = dev.alloc(size_t(dev.max_alloc_bytes()) + 1);
  EXPECT_EQ(huge.status().code(), StatusCode::kOutOfRange);
  EXPECT_TRUE(contains(huge.status().message(), "CL_DEVICE_MAX_MEM_ALLOC_SIZE"))
      << huge.status().message();

  // Moves transfer ownership.
  OpenClBuffer moved = std::move(*other);
  EXPECT_FALSE(other->valid());
  EXPECT_TRUE(moved.valid());
}

// The OpenCL C field arithmetic of ntt.cl against Fp, element by element.
TEST(OpenClRuntime, KernelFieldArithmeticMatchesFp) {
  EFAAS_REQUIRE_OPENCL();
  OpenClDevice& dev = device0();
  const std::string src = with_babybear(ntt_source) + R"(
__kernel void field_ops(__global const uint* a, __global const uint* b, __global uint* out,
                        uint count) {
  const uint i = get_global_id(0);
  if (i >= count) return;
  out[4 * i + 0] = bb_add(a[i], b[i]);
  out[4 * i + 1] = bb_sub(a[i], b[i]);
  out[4 * i + 2] = bb_mul(a[i], b[i]);
  out[4 * i + 3] = bb_pow(a[i], b[i] & 0xffffu);
})";
  auto prog = dev.program("field_ops", src);
  ASSERT_TRUE(prog.is_ok()) << prog.status().to_string();
  auto k = (*prog)->kernel("field_ops");
  ASSERT_TRUE(k.is_ok()) << k.status().to_string();

  Rng rng(test_seed("OpenClRuntime.KernelFieldArithmetic"));
  const uint32_t edges[] = {
      0, 1, 2, Fp::kP - 1, Fp::kP - 2, Fp::kP / 2, Fp::kP / 2 + 1, Fp::one().montgomery()};
  std::vector<Fp> a, b;
  for (uint32_t x : edges) {
    for (uint32_t y : edges) {
      a.push_back(Fp::from_montgomery(x));
      b.push_back(Fp::from_montgomery(y));
    }
  }
  while (a.size() < 4096) {
    a.push_back(Fp::from_montgomery(uint32_t(rng.uniform(Fp::kP))));
    b.push_back(Fp::from_montgomery(uint32_t(rng.uniform(Fp::kP))));
  }
  const uint32_t count = uint32_t(a.size());
  auto da = dev.upload(std::span<const Fp>(a));
  auto db = dev.upload(std::span<const Fp>(b));
  auto dout = dev.alloc(count * 16);
  ASSERT_TRUE(da.is_ok() && db.is_ok() && dout.is_ok());
  ASSERT_TRUE(k->set_arg(0, *da).is_ok());
  ASSERT_TRUE(k->set_arg(1, *db).is_ok());
  ASSERT_TRUE(k->set_arg(2, *dout).is_ok());
  ASSERT_TRUE(k->set_arg(3, count).is_ok());
  ASSERT_TRUE(dev.launch(*k, {count}).is_ok());
  std::vector<uint32_t> out(count * 4);
  ASSERT_TRUE(dout->read(std::span<uint32_t>(out)).is_ok());
  for (uint32_t i = 0; i < count; ++i) {
    ASSERT_EQ(out[4 * i + 0], (a[i] + b[i]).montgomery()) << "add " << i;
    ASSERT_EQ(out[4 * i + 1], (a[i] - b[i]).montgomery()) << "sub " << i;
    ASSERT_EQ(out[4 * i + 2], (a[i] * b[i]).montgomery()) << "mul " << i;
    ASSERT_EQ(out[4 * i + 3], a[i].pow(b[i].montgomery() & 0xffff).montgomery()) << "pow " << i;
  }
}

}  // namespace
}  // namespace efaas
