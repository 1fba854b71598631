// OpenCL NTT against the scalar reference: every order, coset and direction; multi-pass plans
// forced by small tiles; LDE in every order from a coset; the device-resident API; errors.
// (ntt_test.cpp also compares the OpenCL backend with scalar at 2^0 .. 2^20.)
#include "prover/ntt/ntt_opencl.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "prover/common/rng.hpp"
#include "prover/device/opencl_testing.hpp"
#include "prover/ntt/ntt.hpp"

namespace efaas {
namespace {

std::vector<Fp> random_vec(Rng& rng, size_t n) {
  std::vector<Fp> v(n);
  for (auto& x : v) x = Fp::from_canonical(uint32_t(rng.uniform(Fp::kP)));
  return v;
}

Fp random_shift(Rng& rng) {
  return Fp::from_canonical(1 + uint32_t(rng.uniform(Fp::kP - 1)));
}

// The scalar reference for one TransformSpec.
std::vector<Fp> reference(std::vector<Fp> data, size_t cols, const TransformSpec& s) {
  NttConfig cfg;
  cfg.backend = Backend::kScalar;
  cfg.input_order = s.input_order;
  cfg.output_order = s.output_order;
  Status st =
      s.inverse ? coset_intt(data, cols, s.shift, cfg) : coset_ntt(data, cols, s.shift, cfg);
  EXPECT_TRUE(st.is_ok()) << st.to_string();
  return data;
}

TEST(OpenClNtt, EveryOrderCosetAndDirectionMatchesScalar) {
  EFAAS_REQUIRE_OPENCL();
  Rng rng(test_seed("OpenClNtt.EveryOrder"));
  for (uint32_t log_n : {0u, 1u, 2u, 3u, 5u, 8u, 11u, 12u, 13u, 15u}) {
    const size_t n = size_t(1) << log_n;
    const size_t cols = log_n <= 8 ? 3 : 2;
    std::vector<Fp> data = random_vec(rng, n * cols);
    for (int v = 0; v < 16; ++v) {
      NttConfig cfg;
      cfg.backend = Backend::kOpenCl;
      cfg.input_order = (v & 1) ? Order::kBitReversed : Order::kNatural;
      cfg.output_order = (v & 2) ? Order::kBitReversed : Order::kNatural;
      const bool inverse = v & 4;
      const Fp shift = (v & 8) ? random_shift(rng) : Fp::one();
      TransformSpec spec{log_n, inverse, cfg.input_order, cfg.output_order, shift};
      std::vector<Fp> expect = reference(data, cols, spec);
      std::vector<Fp> got = data;
      Status s = inverse ? coset_intt(got, cols, shift, cfg) : coset_ntt(got, cols, shift, cfg);
      ASSERT_TRUE(s.is_ok()) << s.to_string();
      ASSERT_EQ(got, expect) << "log_n=" << log_n << " variant=" << v;
    }
  }
}

// Small tiles force many passes, every mix of coalesced rows and layer bits, at sizes that
// run quickly.
TEST(OpenClNtt, MultiPassPlansMatchScalar) {
  EFAAS_REQUIRE_OPENCL();
  Rng rng(test_seed("OpenClNtt.MultiPass"));
  Result<OpenClDevice*> dev = OpenClDevice::get(0);
  ASSERT_TRUE(dev.is_ok()) << dev.status().to_string();
  for (uint32_t tile_log : {1u, 2u, 3u, 4u, 6u}) {
    for (uint32_t coalesce_log : {0u, 1u, 2u, 5u}) {
      OpenClNttTuning tuning{tile_log, coalesce_log};
      for (uint32_t log_n : {1u, 4u, 7u, 10u}) {
        const size_t n = size_t(1) << log_n, cols = 2;
        std::vector<Fp> data = random_vec(rng, n * cols);
        for (int v = 0; v < 4; ++v) {
          TransformSpec spec{log_n, bool(v & 1), (v & 2) ? Order::kBitReversed : Order::kNatural,
                             (v & 2) ? Order::kNatural : Order::kBitReversed,
                             (v & 1) ? Fp::from_canonical(7) : Fp::one()};
          std::vector<Fp> expect = reference(data, cols, spec);
          auto buf = (*dev)->upload(std::span<const Fp>(data));
          ASSERT_TRUE(buf.is_ok()) << buf.status().to_string();
          Status s = opencl_transform_device(*buf, cols, spec, tuning);
          ASSERT_TRUE(s.is_ok()) << s.to_string();
          std::vector<Fp> got(data.size());
          ASSERT_TRUE(buf->read(std::span<Fp>(got)).is_ok());
          ASSERT_EQ(got, expect) << "tile_log=" << tile_log << " coalesce_log=" << coalesce_log
                                 << " log_n=" << log_n << " variant=" << v;
        }
      }
    }
  }
}

TEST(OpenClNtt, LdeInEveryOrderFromACosetMatchesScalar) {
  EFAAS_REQUIRE_OPENCL();
  Rng rng(test_seed("OpenClNtt.Lde"));
  for (uint32_t log_n : {0u, 1u, 3u, 6u, 9u, 12u}) {
    for (uint32_t log_blowup : {1u, 2u, 3u, 4u}) {
      const size_t n = size_t(1) << log_n, cols = 2;
      std::vector<Fp> evals = random_vec(rng, n * cols);
      for (int v = 0; v < 4; ++v) {
        NttConfig cfg;
        cfg.backend = Backend::kScalar;
        cfg.input_order = (v & 1) ? Order::kBitReversed : Order::kNatural;
        cfg.output_order = (v & 2) ? Order::kBitReversed : Order::kNatural;
        LdeParams params;
        params.log_blowup = log_blowup;
        params.input_shift = (v & 1) ? random_shift(rng) : Fp::one();
        params.output_shift = random_shift(rng);
        std::vector<Fp> expect(evals.size() << log_blowup), got(expect.size());
        ASSERT_TRUE(lde(evals, expect, cols, params, cfg).is_ok());
        cfg.backend = Backend::kOpenCl;
        Status s = lde(evals, got, cols, params, cfg);
        ASSERT_TRUE(s.is_ok()) << s.to_string();
        ASSERT_EQ(got, expect) << "log_n=" << log_n << " blowup=" << log_blowup << " v=" << v;
      }
    }
  }
}

// Data stays on the device across stages: forward, inverse, LDE, with one upload and one
// download each; the LDE leaves its input buffer as it was.
TEST(OpenClNtt, DeviceResidentPipeline) {
  EFAAS_REQUIRE_OPENCL();
  Rng rng(test_seed("OpenClNtt.DeviceResident"));
  Result<OpenClDevice*> dev = OpenClDevice::get(0);
  ASSERT_TRUE(dev.is_ok());
  const uint32_t log_n = 12, log_blowup = 2;
  const size_t n = size_t(1) << log_n, cols = 4;
  std::vector<Fp> coeffs = random_vec(rng, n * cols);
  auto buf = (*dev)->upload(std::span<const Fp>(coeffs));
  ASSERT_TRUE(buf.is_ok());
  // coefficients -> evaluations on H (bit-reversed) -> coefficients again, on the device.
  TransformSpec fwd{log_n, false, Order::kNatural, Order::kBitReversed, Fp::one()};
  TransformSpec inv{log_n, true, Order::kBitReversed, Order::kNatural, Fp::one()};
  ASSERT_TRUE(opencl_transform_device(*buf, cols, fwd).is_ok());
  std::vector<Fp> evals(coeffs.size());
  ASSERT_TRUE(buf->read(std::span<Fp>(evals)).is_ok());
  EXPECT_EQ(evals, reference(coeffs, cols, fwd));
  auto lde_out = (*dev)->alloc((n * cols << log_blowup) * sizeof(Fp));
  ASSERT_TRUE(lde_out.is_ok());
  LdeSpec ls;
  ls.log_n = log_n;
  ls.log_blowup = log_blowup;
  ls.input_order = Order::kBitReversed;
  ls.output_order = Order::kBitReversed;
  ls.output_shift = Fp::from_canonical(Fp::kGenerator);
  ASSERT_TRUE(opencl_lde_device(*buf, *lde_out, cols, ls).is_ok());
  std::vector<Fp> still(coeffs.size());
  ASSERT_TRUE(buf->read(std::span<Fp>(still)).is_ok());
  EXPECT_EQ(still, evals) << "the LDE input buffer was modified";
  ASSERT_TRUE(opencl_transform_device(*buf, cols, inv).is_ok());
  std::vector<Fp> back(coeffs.size());
  ASSERT_TRUE(buf->read(std::span<Fp>(back)).is_ok());
  EXPECT_EQ(back, coeffs);
  // The device LDE equals the coset evaluation of the coefficients on the large domain.
  std::vector<Fp> got(n * cols << log_blowup);
  ASSERT_TRUE(lde_out->read(std::span<Fp>(got)).is_ok());
  const size_t m = n << log_blowup;
  for (size_t c = 0; c < cols; ++c) {
    std::vector<Fp> padded(m, Fp::zero());
    std::copy(coeffs.begin() + c * n, coeffs.begin() + (c + 1) * n, padded.begin());
    TransformSpec eval{log_n + log_blowup, false, Order::kNatural, Order::kBitReversed,
                       ls.output_shift};
    EXPECT_TRUE(std::equal(got.begin() + c * m, got.begin() + (c + 1) * m,
                           reference(padded, 1, eval).begin()))
        << "column " << c;
  }
}

// Several host threads share the device's queue, program and twiddle cache.
TEST(OpenClNtt, ConcurrentCallersGetTheirOwnResults) {
  EFAAS_REQUIRE_OPENCL();
  Rng rng(test_seed("OpenClNtt.Concurrent"));
  constexpr int kThreads = 3;
  std::vector<std::vector<Fp>> inputs, expects;
  for (int t = 0; t < kThreads; ++t) {
    const uint32_t log_n = 9 + 2 * uint32_t(t);  // different sizes grow the twiddle tables
    inputs.push_back(random_vec(rng, size_t(2) << log_n));
    TransformSpec spec{log_n, t == 1, Order::kNatural, Order::kNatural, Fp::from_canonical(3)};
    expects.push_back(reference(inputs.back(), 2, spec));
  }
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      NttConfig cfg;
      cfg.backend = Backend::kOpenCl;
      for (int iter = 0; iter < 4; ++iter) {
        std::vector<Fp> x = inputs[size_t(t)];
        Status s = t == 1 ? coset_intt(x, 2, Fp::from_canonical(3), cfg)
                          : coset_ntt(x, 2, Fp::from_canonical(3), cfg);
        if (!s.is_ok() || x != expects[size_t(t)]) ++failures[size_t(t)];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[size_t(t)], 0) << "thread " << t;
}

TEST(OpenClNtt, BadArgumentsAreClearErrors) {
  EFAAS_REQUIRE_OPENCL();
  Result<OpenClDevice*> dev = OpenClDevice::get(0);
  ASSERT_TRUE(dev.is_ok());
  auto buf = (*dev)->alloc(100 * sizeof(Fp));
  ASSERT_TRUE(buf.is_ok());
  TransformSpec spec{6, false, Order::kNatural, Order::kNatural, Fp::one()};
  Status s = opencl_transform_device(*buf, 2, spec);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("holds 400 bytes, expected 512"), std::string::npos) << s.message();
  EXPECT_EQ(opencl_transform_device(*buf, 0, spec).code(), StatusCode::kInvalidArgument);
  spec.log_n = 28;
  EXPECT_EQ(opencl_transform_device(*buf, 1, spec).code(), StatusCode::kOutOfRange);
  OpenClBuffer none;
  spec.log_n = 2;
  EXPECT_EQ(opencl_transform_device(none, 1, spec).code(), StatusCode::kInvalidArgument);

  auto in = (*dev)->alloc(64 * sizeof(Fp));
  auto out = (*dev)->alloc(128 * sizeof(Fp));
  ASSERT_TRUE(in.is_ok() && out.is_ok());
  LdeSpec ls;
  ls.log_n = 6;
  ls.log_blowup = 1;
  EXPECT_TRUE(opencl_lde_device(*in, *out, 1, ls).is_ok());
  EXPECT_EQ(opencl_lde_device(*in, *in, 1, ls).code(), StatusCode::kInvalidArgument);
  ls.log_blowup = 2;
  s = opencl_lde_device(*in, *out, 1, ls);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("output buffer holds 512 bytes, expected 1024"), std::string::npos)
      << s.message();
  ls.log_blowup = 0;
  EXPECT_EQ(opencl_lde_device(*in, *out, 1, ls).code(), StatusCode::kOutOfRange);

  // A bad device index through the public API names the problem and the devices.
  std::vector<Fp> v(16, Fp::one());
  NttConfig cfg;
  cfg.backend = Backend::kOpenCl;
  cfg.opencl_device = 42;
  s = ntt(v, 1, cfg);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("OpenCL device index 42 is out of range"), std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace efaas
