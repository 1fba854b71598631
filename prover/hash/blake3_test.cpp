// BLAKE3 against b3sum (Debian's package, an independent implementation; tools/setup.sh
// installs it) on the specification's test-vector inputs, the Merkle wrappers against their
// definition in blake3.hpp, and every kernel table (AVX2, AVX-512, OpenCL) against the scalar one.
#include "prover/hash/blake3.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "prover/common/cpu_features.hpp"
#include "prover/common/rng.hpp"
#include "prover/hash/blake3_opencl.hpp"
#include "prover/hash/hash_backend.hpp"
#include "prover/hash/keccak.hpp"

namespace efaas {
namespace {

std::string hex(std::span<const uint8_t> b) { return to_hex(b); }

// b3sum's hex digest of `data`, or "" when b3sum cannot be run.
std::string b3sum(const std::vector<uint8_t>& data) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("efaas_b3_" + std::to_string(::getpid()));
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
  std::string out;
  if (FILE* p = ::popen(("b3sum --no-names '" + path.string() + "' 2>/dev/null").c_str(), "r")) {
    char buf[128];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    ::pclose(p);
  }
  std::filesystem::remove(path);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

TEST(Blake3, KnownAnswers) {
  EXPECT_EQ(hex(blake3::hash({})),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
  const uint8_t zero = 0;
  EXPECT_EQ(hex(blake3::hash({&zero, 1})),
            "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213");
}

// The official test vectors' inputs (byte i is i mod 251) at every length they list: one
// block, chunk boundaries, and trees of up to 100 chunks.
TEST(Blake3, MatchesB3sumOnTheSpecificationsInputs) {
  ASSERT_FALSE(b3sum({}).empty()) << "b3sum is not installed (tools/setup.sh installs it)";
  for (size_t len : {0, 1, 63, 64, 65, 127, 128, 1023, 1024, 1025, 2048, 2049, 3072, 3073, 4096,
                     4097, 5120, 5121, 6144, 6145, 7168, 7169, 8192, 8193, 16384, 31744, 102400}) {
    std::vector<uint8_t> data(len);
    for (size_t i = 0; i < len; ++i) data[i] = uint8_t(i % 251);
    EXPECT_EQ(hex(blake3::hash(data)), b3sum(data)) << "length " << len;
  }
}

TEST(Blake3, MatchesB3sumOnRandomInputs) {
  const uint32_t seed = std::random_device{}();
  std::printf("seed %u\n", seed);
  std::mt19937 rng(seed);
  for (int t = 0; t < 20; ++t) {
    std::vector<uint8_t> data(rng() % 5000);
    for (uint8_t& b : data) b = uint8_t(rng());
    EXPECT_EQ(hex(blake3::hash(data)), b3sum(data)) << "seed " << seed << " length " << data.size();
  }
}

TEST(Blake3, MerkleLeavesHashMontgomeryWordsOfTheConcatenatedRows) {
  std::mt19937 rng(7);
  std::vector<Fp> a(8 * 3), b(8 * 300);  // a row-major 8x3, b column-major 8x300 (> one chunk)
  for (Fp& x : a) x = Fp::from_u32(rng());
  for (Fp& x : b) x = Fp::from_u32(rng());
  const std::vector<MatrixView> mats = {{a.data(), 8, 3, Layout::kRowMajor},
                                        {b.data(), 8, 300, Layout::kColMajor}};
  for (size_t r = 0; r < 8; ++r) {
    std::vector<uint8_t> bytes;
    for (const MatrixView& m : mats)
      for (size_t c = 0; c < m.cols; ++c)
        for (int k = 0; k < 4; ++k) bytes.push_back(uint8_t(m.at(r, c).montgomery() >> (8 * k)));
    const blake3::Bytes32 h = blake3::hash(bytes);
    const Digest d = blake3_hash_rows_concat(mats, r);
    for (size_t i = 0; i < kDigestSize; ++i) {
      const uint32_t w = uint32_t(h[4 * i]) | uint32_t(h[4 * i + 1]) << 8 |
                         uint32_t(h[4 * i + 2]) << 16 | uint32_t(h[4 * i + 3]) << 24;
      EXPECT_EQ(d[i].montgomery(), w % Fp::kP) << "row " << r << " word " << i;
    }
    std::vector<Digest> out(1);
    scalar_blake3_kernels().hash_rows(mats, r, 1, out.data());
    EXPECT_EQ(out[0], d);
  }
  // Compression is the hash of the two digests' 16 Montgomery words.
  Digest l, rr;
  for (size_t i = 0; i < kDigestSize; ++i) {
    l[i] = Fp::from_u32(rng());
    rr[i] = Fp::from_u32(rng());
  }
  std::vector<uint32_t> words;
  for (const Fp& x : l) words.push_back(x.montgomery());
  for (const Fp& x : rr) words.push_back(x.montgomery());
  EXPECT_EQ(blake3_compress(l, rr), digest_from_blake3(blake3::hash_words(words)));
  EXPECT_NE(blake3_compress(l, rr), blake3_compress(rr, l));
}

// The SIMD tables this machine can run, by name.
std::vector<std::pair<std::string, const Blake3Kernels*>> simd_tables() {
  std::vector<std::pair<std::string, const Blake3Kernels*>> out;
  if (avx2_usable()) out.push_back({"avx2", &avx2::blake3_kernels()});
  if (avx512_usable()) out.push_back({"avx512", &avx512::blake3_kernels()});
  return out;
}

Fp random_fp(Rng& rng) {
  return Fp::from_canonical(uint32_t(rng.uniform(Fp::kP)));
}

// `width` columns split over 1-3 matrices of random layouts, `rows` rows each.
struct RandomMatrices {
  std::vector<std::vector<Fp>> data;
  std::vector<MatrixView> views;

  RandomMatrices(Rng& rng, size_t rows, size_t width) {
    size_t count = std::min<size_t>(1 + rng.uniform(3), width);
    std::vector<size_t> widths;
    size_t left = width;
    for (size_t i = 0; i + 1 < count; ++i) {
      const size_t w = 1 + rng.uniform(left - (count - 1 - i));
      widths.push_back(w);
      left -= w;
    }
    widths.push_back(left);
    for (size_t w : widths) {
      data.emplace_back(rows * w);
      for (Fp& x : data.back()) x = random_fp(rng);
      views.push_back({data.back().data(), rows, w,
                       rng.uniform(2) == 0 ? Layout::kColMajor : Layout::kRowMajor});
    }
  }
  std::string describe() const {
    std::string s;
    for (const MatrixView& m : views)
      s += std::to_string(m.cols) + (m.layout == Layout::kColMajor ? "c " : "r ");
    return s;
  }
};

// Widths on both sides of the block (16 words) and chunk (256 words) boundaries, several chunks
// (parent merging), and > 4 chunks (two merge levels, a stack of two); batches of every size
// 1..40 from odd begins (full SIMD batches plus every tail length).
TEST(Blake3Kernels, SimdHashRowsMatchScalarOnRandomShapes) {
  const auto tables = simd_tables();
  if (tables.empty()) GTEST_SKIP() << "no AVX2 here";
  const uint64_t seed = test_seed("Blake3Kernels.SimdHashRows");
  Rng rng(seed);
  for (size_t width : {1, 7, 15, 16, 17, 255, 256, 257, 300, 600, 1100, 2100}) {
    for (int trial = 0; trial < 6; ++trial) {
      const size_t rows = 48 + rng.uniform(40);
      RandomMatrices m(rng, rows, width);
      const size_t count = 1 + rng.uniform(40);
      const size_t begin = (rng.uniform(rows - count + 1)) | 1;
      const size_t n = std::min(count, rows - begin);
      std::vector<Digest> want(n);
      scalar_blake3_kernels().hash_rows(m.views, begin, n, want.data());
      for (const auto& [name, k] : tables) {
        std::vector<Digest> got(n);
        k->hash_rows(m.views, begin, n, got.data());
        for (size_t i = 0; i < n; ++i) {
          ASSERT_EQ(got[i], want[i]) << name << " width " << width << " matrices "
                                     << m.describe() << "begin " << begin << " count " << n
                                     << " row " << i << " seed " << seed;
        }
      }
    }
  }
  // Every batch size 1..40 on one two-matrix shape (a row-major and a column-major part).
  std::vector<Fp> a(90 * 5), b(90 * 20);
  for (Fp& x : a) x = random_fp(rng);
  for (Fp& x : b) x = random_fp(rng);
  const std::vector<MatrixView> mats = {{a.data(), 90, 5, Layout::kRowMajor},
                                        {b.data(), 90, 20, Layout::kColMajor}};
  for (size_t count = 1; count <= 40; ++count) {
    const size_t begin = 2 * (count % 20) + 1;  // begin + count <= 79 < 90 rows
    std::vector<Digest> want(count);
    scalar_blake3_kernels().hash_rows(mats, begin, count, want.data());
    for (const auto& [name, k] : tables) {
      std::vector<Digest> got(count);
      k->hash_rows(mats, begin, count, got.data());
      for (size_t i = 0; i < count; ++i) {
        ASSERT_EQ(got[i], want[i]) << name << " begin " << begin << " count " << count << " row "
                                   << i;
      }
    }
  }
}

// Empty rows hash as the empty input, in every lane.
TEST(Blake3Kernels, SimdHashRowsOfNoColumns) {
  std::vector<Fp> none;
  const std::vector<MatrixView> mats = {{none.data(), 20, 0, Layout::kColMajor}};
  std::vector<Digest> want(20);
  scalar_blake3_kernels().hash_rows(mats, 0, 20, want.data());
  EXPECT_EQ(want[3], digest_from_blake3(blake3::hash_words({})));
  for (const auto& [name, k] : simd_tables()) {
    std::vector<Digest> got(20);
    k->hash_rows(mats, 0, 20, got.data());
    EXPECT_EQ(got, want) << name;
  }
}

TEST(Blake3Kernels, SimdCompressMatchesScalarWithStrides) {
  const auto tables = simd_tables();
  if (tables.empty()) GTEST_SKIP() << "no AVX2 here";
  const uint64_t seed = test_seed("Blake3Kernels.SimdCompress");
  Rng rng(seed);
  std::vector<Digest> in(2 * 2 * 40 + 2);
  for (Digest& d : in)
    for (Fp& x : d) x = random_fp(rng);
  for (size_t stride : {1, 2}) {
    for (size_t n = 1; n <= 40; ++n) {
      // Pairs as the Merkle layers lay them out: left at 2i (stride 2) or two separate arrays.
      const Digest* a = in.data() + 1;
      const Digest* b = stride == 2 ? a + 1 : a + 80;
      std::vector<Digest> want(n);
      scalar_blake3_kernels().compress(a, b, stride, want.data(), n);
      EXPECT_EQ(want[n - 1], blake3_compress(a[(n - 1) * stride], b[(n - 1) * stride]));
      for (const auto& [name, k] : tables) {
        std::vector<Digest> got(n);
        k->compress(a, b, stride, got.data(), n);
        EXPECT_EQ(got, want) << name << " stride " << stride << " n " << n << " seed " << seed;
      }
    }
  }
}

TEST(Blake3Kernels, BackendTablesFollowTheAvx512Switch) {
  auto scalar = blake3_kernels_for(Backend::kScalar);
  ASSERT_TRUE(scalar.is_ok());
  EXPECT_EQ(*scalar, &scalar_blake3_kernels());
  EXPECT_EQ(blake3_kernels_for(Backend::kOpenCl).status().code(), StatusCode::kUnimplemented);
  if (!avx2_usable()) GTEST_SKIP() << "no AVX2 here";
  set_avx512_hashing(false);
  auto narrow = blake3_kernels_for(Backend::kAvx2);
  set_avx512_hashing(true);
  auto wide = blake3_kernels_for(Backend::kAvx2);
  ASSERT_TRUE(narrow.is_ok() && wide.is_ok());
  EXPECT_EQ(*narrow, &avx2::blake3_kernels());
  EXPECT_EQ(*wide, avx512_usable() ? &avx512::blake3_kernels() : &avx2::blake3_kernels());
}

// The OpenCL kernels against the scalar reference on small shapes (PoCL is slow): every row
// width class above, 1-3 matrices packed in one buffer at odd offsets (so inputs cross matrix
// boundaries mid-block and mid-chunk), both layouts; then compressions and the host wrappers.
TEST(Blake3OpenCl, DeviceKernelsMatchScalar) {
  if (!resolve_backend(Backend::kOpenCl).is_ok()) GTEST_SKIP() << "no OpenCL device";
  const uint64_t seed = test_seed("Blake3OpenCl.DeviceKernels");
  Rng rng(seed);
  auto dev = OpenClDevice::get(0);
  ASSERT_TRUE(dev.is_ok()) << dev.status().to_string();
  for (size_t width : {1, 7, 16, 17, 256, 257, 600, 1100}) {
    const size_t rows = 5 + rng.uniform(12);
    RandomMatrices m(rng, rows, width);
    std::vector<Fp> packed(3);
    std::vector<size_t> offsets;
    for (const auto& d : m.data) {
      offsets.push_back(packed.size());
      packed.insert(packed.end(), d.begin(), d.end());
    }
    auto buf = (*dev)->upload(std::span<const Fp>(packed));
    ASSERT_TRUE(buf.is_ok());
    std::vector<OpenClMatrix> mats;
    for (size_t i = 0; i < m.views.size(); ++i)
      mats.push_back({&*buf, offsets[i], rows, m.views[i].cols, m.views[i].layout});
    auto digests = (*dev)->alloc((rows + 2) * sizeof(Digest));
    ASSERT_TRUE(digests.is_ok());
    Status s = opencl_blake3_hash_rows_device(mats, *digests, 2);
    ASSERT_TRUE(s.is_ok()) << s.to_string();
    std::vector<Digest> got(rows + 2), want(rows);
    ASSERT_TRUE(digests->read(std::span<Digest>(got)).is_ok());
    scalar_blake3_kernels().hash_rows(m.views, 0, rows, want.data());
    for (size_t r = 0; r < rows; ++r) {
      EXPECT_EQ(got[2 + r], want[r]) << "width " << width << " matrices " << m.describe()
                                     << "row " << r << " seed " << seed;
    }
  }
  // Compress pairs (output at an offset) and compress-inject, on the device.
  const size_t n = 13;
  std::vector<Digest> nodes(2 * n + 1), inject(n);
  for (auto* v : {&nodes, &inject})
    for (Digest& d : *v)
      for (Fp& x : d) x = random_fp(rng);
  auto din = (*dev)->upload(std::span<const Digest>(nodes));
  auto dinj = (*dev)->upload(std::span<const Digest>(inject));
  auto dout = (*dev)->alloc((n + 1) * sizeof(Digest));
  ASSERT_TRUE(din.is_ok() && dinj.is_ok() && dout.is_ok());
  ASSERT_TRUE(opencl_blake3_compress_pairs_device(*din, 1, *dout, 1, n).is_ok());
  std::vector<Digest> got(n + 1);
  ASSERT_TRUE(dout->read(std::span<Digest>(got)).is_ok());
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(got[1 + i], blake3_compress(nodes[1 + 2 * i], nodes[2 + 2 * i])) << i;
  }
  ASSERT_TRUE(opencl_blake3_compress_inject_device(*dout, 1, *dinj, n).is_ok());
  ASSERT_TRUE(dout->read(std::span<Digest>(got)).is_ok());
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(got[1 + i],
              blake3_compress(blake3_compress(nodes[1 + 2 * i], nodes[2 + 2 * i]), inject[i]))
        << i;
  }
  // Host wrappers, an empty matrix among the inputs included; the matrix boundary falls in the
  // second chunk, so the first chunk's value waits on the device's stack between launches.
  std::vector<Fp> a(9 * 300), b(9 * 400);
  for (Fp& x : a) x = random_fp(rng);
  for (Fp& x : b) x = random_fp(rng);
  const std::vector<MatrixView> host = {{a.data(), 9, 300, Layout::kRowMajor},
                                        {nullptr, 9, 0, Layout::kColMajor},
                                        {b.data(), 9, 400, Layout::kColMajor}};
  std::vector<Digest> leaves(9), want(9);
  Status hs = opencl_blake3_hash_matrix_rows(host, leaves, 0);
  ASSERT_TRUE(hs.is_ok()) << hs.to_string();
  scalar_blake3_kernels().hash_rows(host, 0, 9, want.data());
  EXPECT_EQ(leaves, want);
  const std::vector<MatrixView> none = {{nullptr, 4, 0, Layout::kColMajor}};
  std::vector<Digest> empty(4), empty_want(4);
  ASSERT_TRUE(opencl_blake3_hash_matrix_rows(none, empty, 0).is_ok());
  scalar_blake3_kernels().hash_rows(none, 0, 4, empty_want.data());
  EXPECT_EQ(empty, empty_want);
  std::vector<Digest> parents(4), parents_want(4);
  ASSERT_TRUE(opencl_blake3_compress_pairs(std::span<const Digest>(leaves).first(8), parents, 0)
                  .is_ok());
  scalar_blake3_kernels().compress(leaves.data(), leaves.data() + 1, 2, parents_want.data(), 4);
  EXPECT_EQ(parents, parents_want);
}

TEST(Blake3OpenCl, ArgumentChecksNameTheProblem) {
  if (!resolve_backend(Backend::kOpenCl).is_ok()) GTEST_SKIP() << "no OpenCL device";
  auto dev = OpenClDevice::get(0);
  ASSERT_TRUE(dev.is_ok()) << dev.status().to_string();
  const size_t rows = 8;
  std::vector<Fp> data(rows * 5);
  auto buf = (*dev)->upload(std::span<const Fp>(data));
  auto leaves = (*dev)->alloc(rows * sizeof(Digest));
  auto parents = (*dev)->alloc(rows / 2 * sizeof(Digest));
  ASSERT_TRUE(buf.is_ok() && leaves.is_ok() && parents.is_ok());
  std::vector<OpenClMatrix> too_tall{{&*buf, 0, rows * 10, 5, Layout::kColMajor}};
  Status s = opencl_blake3_hash_rows_device(too_tall, *leaves);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("matrix"), std::string::npos) << s.message();
  std::vector<OpenClMatrix> uneven{{&*buf, 0, rows, 2, Layout::kColMajor},
                                   {&*buf, 0, rows / 2, 2, Layout::kColMajor}};
  s = opencl_blake3_hash_rows_device(uneven, *leaves);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("matrix 1"), std::string::npos) << s.message();
  EXPECT_EQ(opencl_blake3_hash_rows_device({}, *leaves).code(), StatusCode::kInvalidArgument);
  std::vector<OpenClMatrix> ok{{&*buf, 0, rows, 5, Layout::kColMajor}};
  EXPECT_EQ(opencl_blake3_hash_rows_device(ok, *leaves, 1).code(), StatusCode::kInvalidArgument);
  // Wider rows than the kernel's chunk stack holds: said so, not computed wrongly.
  std::vector<OpenClMatrix> wide{{&*buf, 0, 0, size_t(1) << 25, Layout::kColMajor}};
  s = opencl_blake3_hash_rows_device(wide, *leaves);
  EXPECT_EQ(s.code(), StatusCode::kUnimplemented) << s.to_string();
  s = opencl_blake3_compress_pairs_device(*leaves, 1, *parents, 0, rows / 2);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("input"), std::string::npos) << s.message();
  EXPECT_EQ(opencl_blake3_compress_pairs_device(*leaves, 0, *parents, 1, rows / 2).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(opencl_blake3_compress_inject_device(*parents, 0, *leaves, rows / 2 + 1).code(),
            StatusCode::kInvalidArgument);
  std::vector<Digest> in(5), out(2);
  EXPECT_EQ(opencl_blake3_compress_pairs(in, out, 0).code(), StatusCode::kInvalidArgument);
  // A device that does not exist.
  std::vector<MatrixView> host{{data.data(), rows, 5, Layout::kColMajor}};
  std::vector<Digest> digests(rows);
  EXPECT_FALSE(opencl_blake3_hash_matrix_rows(host, digests, 99).is_ok());
}

TEST(Blake3, MerkleHashNamesRoundTrip) {
  for (MerkleHash h : {MerkleHash::kPoseidon2, MerkleHash::kBlake3}) {
    auto parsed = parse_merkle_hash(merkle_hash_name(h));
    ASSERT_TRUE(bool(parsed));
    EXPECT_EQ(*parsed, h);
  }
  EXPECT_FALSE(bool(parse_merkle_hash("sha256")));
}

}  // namespace
}  // namespace efaas
