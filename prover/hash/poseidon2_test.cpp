// Poseidon2 tests: constants and the known-answer vector from shared/vectors, an independent
// naive permutation (plain integers mod p, straight from the JSON description) on random inputs,
// the sponge and compression against their definitions, and every backend against scalar.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "prover/common/cpu_features.hpp"
#include "prover/common/rng.hpp"
#include "prover/hash/blake3.hpp"
#include "prover/hash/hash_backend.hpp"
#include "prover/hash/poseidon2.hpp"
#include "prover/hash/poseidon2_opencl.hpp"

namespace efaas {
namespace {

constexpr uint64_t kP = Fp::kP;

nlohmann::json load_vectors() {
  const char* dir = std::getenv("EFAAS_SHARED_DIR");
  std::string path = std::string(dir ? dir : "../shared") + "/vectors/poseidon2_babybear16.json";
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path << " (set EFAAS_SHARED_DIR)";
    return {};
  }
  return nlohmann::json::parse(in);
}

// The oracle: the permutation as the JSON file describes it, on canonical integers.
struct NaivePoseidon2 {
  std::vector<std::vector<uint64_t>> ext_init, ext_final;
  std::vector<uint64_t> internal, diag;

  explicit NaivePoseidon2(const nlohmann::json& j)
      : ext_init(j["external_initial"].get<std::vector<std::vector<uint64_t>>>()),
        ext_final(j["external_final"].get<std::vector<std::vector<uint64_t>>>()),
        internal(j["internal"].get<std::vector<uint64_t>>()),
        diag(j["internal_diag"].get<std::vector<uint64_t>>()) {}

  static uint64_t pow7(uint64_t x) {
    uint64_t r = 1;
    for (int i = 0; i < 7; ++i) r = r * x % kP;
    return r;
  }
  static void me(std::vector<uint64_t>& s) {
    static const int m4[4][4] = {{2, 3, 1, 1}, {1, 2, 3, 1}, {1, 1, 2, 3}, {3, 1, 1, 2}};
    std::vector<uint64_t> t(16);
    for (int b = 0; b < 4; ++b) {
      for (int i = 0; i < 4; ++i) {
        uint64_t acc = 0;
        for (int j = 0; j < 4; ++j) acc += m4[i][j] * s[4 * b + j];
        t[4 * b + i] = acc % kP;
      }
    }
    for (int i = 0; i < 16; ++i) {
      uint64_t acc = t[i];
      for (int j = 0; j < 4; ++j) acc += t[4 * j + i % 4];
      s[i] = acc % kP;
    }
  }
  void mi(std::vector<uint64_t>& s) const {
    uint64_t sum = 0;
    for (uint64_t x : s) sum += x;
    for (int i = 0; i < 16; ++i) s[i] = (sum + diag[i] * s[i]) % kP;
  }
  std::vector<uint64_t> permute(std::vector<uint64_t> s) const {
    me(s);
    for (const auto& rc : ext_init) {
      for (int i = 0; i < 16; ++i) s[i] = pow7((s[i] + rc[i]) % kP);
      me(s);
    }
    for (uint64_t rc : internal) {
      s[0] = pow7((s[0] + rc) % kP);
      mi(s);
    }
    for (const auto& rc : ext_final) {
      for (int i = 0; i < 16; ++i) s[i] = pow7((s[i] + rc[i]) % kP);
      me(s);
    }
    return s;
  }
};

Poseidon2State to_state(const std::vector<uint64_t>& v) {
  Poseidon2State s;
  for (size_t i = 0; i < 16; ++i) s[i] = Fp::from_canonical(uint32_t(v[i]));
  return s;
}

std::vector<uint64_t> to_canon(const Poseidon2State& s) {
  std::vector<uint64_t> v(16);
  for (size_t i = 0; i < 16; ++i) v[i] = s[i].to_canonical();
  return v;
}

Fp random_fp(Rng& rng) {
  return Fp::from_canonical(uint32_t(rng.uniform(kP)));
}

std::vector<Fp> random_vec(Rng& rng, size_t n) {
  std::vector<Fp> v(n);
  for (auto& x : v) x = random_fp(rng);
  return v;
}

std::vector<Backend> backends() {
  std::vector<Backend> out{Backend::kScalar};
  if (avx2_usable()) {
    out.push_back(Backend::kAvx2);
  } else {
    std::fprintf(stderr, "AVX2 not usable here: AVX2 comparisons skipped\n");
  }
  if (auto cl = resolve_backend(Backend::kOpenCl); cl.is_ok()) {
    out.push_back(Backend::kOpenCl);
  } else {
    std::fprintf(stderr, "OpenCL comparisons skipped: %s\n", cl.status().message().c_str());
  }
  return out;
}

TEST(Poseidon2, ConstantsMatchVectorFile) {
  nlohmann::json j = load_vectors();
  ASSERT_FALSE(j.is_null());
  ASSERT_EQ(j["p"].get<uint64_t>(), kP);
  ASSERT_EQ(j["width"].get<size_t>(), kPoseidon2Width);
  ASSERT_EQ(j["full_rounds"].get<size_t>(), kPoseidon2FullRounds);
  ASSERT_EQ(j["partial_rounds"].get<size_t>(), kPoseidon2PartialRounds);
  ASSERT_EQ(j["sbox_degree"].get<int>(), 7);
  const Poseidon2Constants& c = poseidon2_constants();
  for (size_t r = 0; r < 4; ++r) {
    for (size_t i = 0; i < 16; ++i) {
      EXPECT_EQ(c.external_initial[r][i].to_canonical(),
                j["external_initial"][r][i].get<uint32_t>());
      EXPECT_EQ(c.external_final[r][i].to_canonical(), j["external_final"][r][i].get<uint32_t>());
    }
  }
  for (size_t r = 0; r < 13; ++r)
    EXPECT_EQ(c.internal[r].to_canonical(), j["internal"][r].get<uint32_t>());
  for (size_t i = 0; i < 16; ++i) {
    EXPECT_EQ(c.internal_diag[i].to_canonical(), j["internal_diag"][i].get<uint32_t>());
  }
}

TEST(Poseidon2, KnownAnswerVector) {
  nlohmann::json j = load_vectors();
  ASSERT_FALSE(j.is_null());
  ASSERT_FALSE(j["test_vectors"].empty());
  for (const auto& tv : j["test_vectors"]) {
    Poseidon2State s = to_state(tv["input"].get<std::vector<uint64_t>>());
    poseidon2_permute(s);
    EXPECT_EQ(to_canon(s), tv["output"].get<std::vector<uint64_t>>());
    // The same vector through every batch backend, in a batch of 16 + 8 + 3 (the AVX-512
    // kernel, its AVX2 tail and the scalar tail).
    for (Backend b : backends()) {
      std::vector<Poseidon2State> batch(27, to_state(tv["input"].get<std::vector<uint64_t>>()));
      HashConfig cfg;
      cfg.backend = b;
      ASSERT_TRUE(poseidon2_permute_batch(batch, cfg).is_ok());
      for (const auto& st : batch)
        EXPECT_EQ(to_canon(st), tv["output"].get<std::vector<uint64_t>>());
    }
  }
}

TEST(Poseidon2, MatchesNaiveOracleOnRandomInputs) {
  nlohmann::json j = load_vectors();
  ASSERT_FALSE(j.is_null());
  NaivePoseidon2 naive(j);
  Rng rng(test_seed("Poseidon2.MatchesNaiveOracleOnRandomInputs"));
  for (int t = 0; t < 50; ++t) {
    std::vector<uint64_t> in(16);
    for (auto& x : in) x = rng.uniform(kP);
    if (t == 0) in.assign(16, 0);
    if (t == 1) in.assign(16, kP - 1);
    Poseidon2State s = to_state(in);
    poseidon2_permute(s);
    ASSERT_EQ(to_canon(s), naive.permute(in)) << "input #" << t;
  }
}

TEST(Poseidon2, SpongeMatchesDefinition) {
  Rng rng(test_seed("Poseidon2.SpongeMatchesDefinition"));
  for (size_t len = 0; len <= 40; ++len) {
    std::vector<Fp> in = random_vec(rng, len);
    // Definition: zero state; each chunk of <= 8 overwrites the first lanes, then permute.
    Poseidon2State s{};
    for (size_t k = 0; k < len; k += 8) {
      for (size_t i = 0; i < 8 && k + i < len; ++i) s[i] = in[k + i];
      poseidon2_permute(s);
    }
    Digest want;
    std::copy_n(s.begin(), 8, want.begin());
    EXPECT_EQ(hash_row(in), want) << "length " << len;
  }
  EXPECT_EQ(hash_row({}), Digest{});
  // One changed element changes the digest.
  std::vector<Fp> a = random_vec(rng, 20), b = a;
  b[13] += Fp::one();
  EXPECT_NE(hash_row(a), hash_row(b));
}

TEST(Poseidon2, CompressIsTruncatedPermutation) {
  Rng rng(test_seed("Poseidon2.CompressIsTruncatedPermutation"));
  Digest l, r;
  for (auto& x : l) x = random_fp(rng);
  for (auto& x : r) x = random_fp(rng);
  Poseidon2State s;
  std::copy(l.begin(), l.end(), s.begin());
  std::copy(r.begin(), r.end(), s.begin() + 8);
  poseidon2_permute(s);
  Digest want;
  std::copy_n(s.begin(), 8, want.begin());
  EXPECT_EQ(compress(l, r), want);
  EXPECT_NE(compress(l, r), compress(r, l));
}

TEST(Poseidon2, HashRowsConcatMatchesHashOfConcatenation) {
  Rng rng(test_seed("Poseidon2.HashRowsConcatMatchesHashOfConcatenation"));
  const size_t rows = 5;
  Matrix a(random_vec(rng, rows * 3), rows, 3, Layout::kRowMajor);
  Matrix b(random_vec(rng, rows * 10), rows, 10, Layout::kColMajor);
  std::vector<MatrixView> mats{a.view(), b.view()};
  for (size_t r = 0; r < rows; ++r) {
    std::vector<Fp> concat;
    for (size_t c = 0; c < 3; ++c) concat.push_back(a.data[r * 3 + c]);
    for (size_t c = 0; c < 10; ++c) concat.push_back(b.data[c * rows + r]);
    EXPECT_EQ(hash_rows_concat(mats, r), hash_row(concat)) << "row " << r;
  }
}

TEST(Poseidon2, BatchPermuteBackendsAndThreadsAgree) {
  Rng rng(test_seed("Poseidon2.BatchPermuteBackendsAndThreadsAgree"));
  for (size_t n : {1, 7, 8, 9, 64, 1000}) {
    std::vector<Poseidon2State> in(n);
    for (auto& s : in)
      for (auto& x : s) x = random_fp(rng);
    std::vector<Poseidon2State> want = in;
    for (auto& s : want) poseidon2_permute(s);
    for (Backend b : backends()) {
      for (size_t threads : {1, 2}) {
        std::vector<Poseidon2State> got = in;
        HashConfig cfg;
        cfg.backend = b;
        cfg.threads = threads;
        ASSERT_TRUE(poseidon2_permute_batch(got, cfg).is_ok());
        ASSERT_EQ(got, want) << backend_name(b) << " n=" << n << " threads=" << threads;
      }
    }
  }
}

TEST(Poseidon2, HashMatrixRowsBackendsAgree) {
  Rng rng(test_seed("Poseidon2.HashMatrixRowsBackendsAgree"));
  const size_t rows = 37;  // not a multiple of 8: exercises the AVX2 remainder path
  for (size_t w : {1, 2, 7, 8, 9, 16, 17, 33, 64}) {
    for (Layout layout : {Layout::kRowMajor, Layout::kColMajor}) {
      Matrix m(random_vec(rng, rows * w), rows, w, layout);
      // A second matrix of the other layout concatenated to the first, for multi-matrix leaves.
      Matrix extra(random_vec(rng, rows * 5), rows, 5,
                   layout == Layout::kRowMajor ? Layout::kColMajor : Layout::kRowMajor);
      for (int combo = 0; combo < 2; ++combo) {
        std::vector<MatrixView> mats{m.view()};
        if (combo == 1) mats.push_back(extra.view());
        std::vector<Digest> want(rows);
        for (size_t r = 0; r < rows; ++r) want[r] = hash_rows_concat(mats, r);
        for (Backend b : backends()) {
          for (size_t threads : {1, 2}) {
            std::vector<Digest> got(rows);
            HashConfig cfg;
            cfg.backend = b;
            cfg.threads = threads;
            ASSERT_TRUE(hash_matrix_rows(mats, got, cfg).is_ok());
            ASSERT_EQ(got, want) << backend_name(b) << " width " << w << " layout " << int(layout)
                                 << " combo " << combo;
          }
        }
      }
    }
  }
}

TEST(Poseidon2, CompressPairsBackendsAgree) {
  Rng rng(test_seed("Poseidon2.CompressPairsBackendsAgree"));
  for (size_t n : {1, 8, 13, 300}) {
    std::vector<Digest> in(2 * n);
    for (auto& d : in)
      for (auto& x : d) x = random_fp(rng);
    std::vector<Digest> want(n);
    for (size_t i = 0; i < n; ++i) want[i] = compress(in[2 * i], in[2 * i + 1]);
    for (Backend b : backends()) {
      std::vector<Digest> got(n);
      HashConfig cfg;
      cfg.backend = b;
      ASSERT_TRUE(compress_pairs(in, got, cfg).is_ok());
      ASSERT_EQ(got, want) << backend_name(b) << " n=" << n;
    }
  }
}

// hash_matrix_rows and compress_pairs hash with HashConfig::merkle_hash on every backend:
// BLAKE3's scalar leaf and compress under kBlake3 (Poseidon2's: the tests above), and a value
// naming neither hash is an error.
TEST(Poseidon2, BatchHashingFollowsTheMerkleHash) {
  Rng rng(test_seed("Poseidon2.BatchHashingFollowsTheMerkleHash"));
  const size_t rows = 37;
  Matrix m(random_vec(rng, rows * 19), rows, 19, Layout::kColMajor);
  Matrix extra(random_vec(rng, rows * 5), rows, 5, Layout::kRowMajor);
  const std::vector<MatrixView> mats{m.view(), extra.view()};
  std::vector<Digest> want_rows(rows), poseidon2_rows(rows);
  for (size_t r = 0; r < rows; ++r) {
    want_rows[r] = blake3_hash_rows_concat(mats, r);
    poseidon2_rows[r] = hash_rows_concat(mats, r);
  }
  std::vector<Digest> in(2 * 13), want_nodes(13);
  for (auto& d : in)
    for (auto& x : d) x = random_fp(rng);
  for (size_t i = 0; i < want_nodes.size(); ++i) {
    want_nodes[i] = blake3_compress(in[2 * i], in[2 * i + 1]);
  }
  for (Backend b : backends()) {
    HashConfig cfg;
    cfg.backend = b;
    cfg.merkle_hash = MerkleHash::kBlake3;
    std::vector<Digest> got(rows), nodes(want_nodes.size());
    Status s = hash_matrix_rows(mats, got, cfg);
    if (b == Backend::kOpenCl && s.code() == StatusCode::kUnimplemented) {
      std::fprintf(stderr, "BLAKE3 on OpenCL skipped: %s\n", s.message().c_str());
      continue;
    }
    ASSERT_TRUE(s.is_ok()) << backend_name(b) << ": " << s.to_string();
    EXPECT_EQ(got, want_rows) << backend_name(b);
    EXPECT_NE(got, poseidon2_rows) << backend_name(b);
    ASSERT_TRUE(compress_pairs(in, nodes, cfg).is_ok()) << backend_name(b);
    EXPECT_EQ(nodes, want_nodes) << backend_name(b);
    cfg.merkle_hash = MerkleHash(2);
    EXPECT_EQ(hash_matrix_rows(mats, got, cfg).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(compress_pairs(in, nodes, cfg).code(), StatusCode::kInvalidArgument);
  }
}

// The gate of the AVX-512 kernels against an independent source: Linux lists in /proc/cpuinfo
// only the AVX-512 flags the CPU has and the kernel enabled the ZMM state for.
TEST(Poseidon2, Avx512GateMatchesProcCpuinfo) {
  std::ifstream in("/proc/cpuinfo");
  std::string line, flags;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0) {
      flags = line.substr(line.find(':') + 1) + " ";
      break;
    }
  }
  if (flags.empty()) GTEST_SKIP() << "no /proc/cpuinfo flags line";
  auto has = [&](const char* f) { return flags.find(" " + std::string(f) + " ") != std::string::npos; };
  const CpuFeatures& f = cpu_features();
  EXPECT_EQ(f.avx512f, has("avx512f"));
  EXPECT_EQ(f.avx512bw, has("avx512bw"));
  EXPECT_EQ(f.avx512dq, has("avx512dq"));
  EXPECT_EQ(f.avx512vl, has("avx512vl"));
  const bool all = has("avx2") && has("avx512f") && has("avx512bw") && has("avx512dq") &&
                   has("avx512vl");
  if (all) {
    EXPECT_TRUE(f.os_zmm) << "the kernel lists AVX-512 but XCR0 has no ZMM state";
  }
  const char* off = std::getenv("EFAAS_DISABLE_AVX512");
  const bool disabled = off != nullptr && off[0] != '\0' && std::string(off) != "0";
  EXPECT_EQ(avx512_usable(), all && !disabled && avx2_usable());
}

// Each SIMD kernel table on its own (the backend picks only one of AVX2 and AVX-512 on a given
// CPU): permutations, sponge rows of both layouts and compression against the scalar code, with
// counts around the 8- and 16-wide block sizes, row offsets, strides and in-place output.
std::vector<std::pair<const char*, const Poseidon2Kernels*>> simd_kernel_tables() {
  std::vector<std::pair<const char*, const Poseidon2Kernels*>> out;
  if (avx2_usable()) out.emplace_back("avx2", &avx2::poseidon2_kernels());
  if (avx512_usable()) {
    out.emplace_back("avx512", &avx512::poseidon2_kernels());
  } else {
    std::fprintf(stderr, "AVX-512 not usable here (or EFAAS_DISABLE_AVX512): skipped\n");
  }
  return out;
}

// poseidon2_permute (the one-register AVX-512 permutation where usable) against the reference.
TEST(Poseidon2, SinglePermutationMatchesReference) {
  nlohmann::json j = load_vectors();
  ASSERT_FALSE(j.is_null());
  for (const auto& tv : j["test_vectors"]) {
    Poseidon2State s = to_state(tv["input"].get<std::vector<uint64_t>>());
    poseidon2_permute_reference(s);
    EXPECT_EQ(to_canon(s), tv["output"].get<std::vector<uint64_t>>());
  }
  if (!avx512_usable()) std::fprintf(stderr, "AVX-512 not usable: poseidon2_permute is scalar\n");
  Rng rng(test_seed("Poseidon2.SinglePermutationMatchesReference"));
  for (int t = 0; t < 300; ++t) {
    Poseidon2State in;
    for (auto& x : in) x = random_fp(rng);
    if (t == 0) in.fill(Fp::zero());
    if (t == 1) in.fill(Fp::from_canonical(uint32_t(kP - 1)));
    if (t == 2) in[0] = Fp::from_canonical(uint32_t(kP - 1));
    Poseidon2State want = in, got = in;
    poseidon2_permute_reference(want);
    poseidon2_permute(got);
    ASSERT_EQ(got, want) << "state #" << t;
  }
}

TEST(Poseidon2, SimdKernelsMatchScalar) {
  Rng rng(test_seed("Poseidon2.SimdKernelsMatchScalar"));
  const Poseidon2Kernels& ref = scalar_poseidon2_kernels();
  for (auto [name, k] : simd_kernel_tables()) {
    for (size_t n : {1, 7, 8, 15, 16, 17, 24, 31, 32, 33, 71}) {
      std::vector<Poseidon2State> in(n);
      for (auto& st : in)
        for (auto& x : st) x = random_fp(rng);
      // Extreme values in some lanes: the reductions' boundary cases.
      in[0].fill(Fp::from_canonical(uint32_t(kP - 1)));
      if (n > 2) in[n / 2].fill(Fp::zero());
      std::vector<Poseidon2State> want = in, got = in;
      ref.permute(want.data(), n);
      k->permute(got.data(), n);
      ASSERT_EQ(got, want) << name << " permute n=" << n;
    }
    const size_t rows = 53;
    for (size_t w : {1, 3, 8, 9, 16, 23, 40}) {
      for (Layout layout : {Layout::kRowMajor, Layout::kColMajor}) {
        Matrix m(random_vec(rng, rows * w), rows, w, layout);
        Matrix extra(random_vec(rng, rows * 6), rows, 6,
                     layout == Layout::kRowMajor ? Layout::kColMajor : Layout::kRowMajor);
        for (int combo = 0; combo < 2; ++combo) {
          std::vector<MatrixView> mats{m.view()};
          if (combo == 1) mats.push_back(extra.view());
          for (auto [begin, count] : {std::pair<size_t, size_t>{0, 53}, {3, 16}, {5, 41}, {1, 9}}) {
            std::vector<Digest> want(count), got(count);
            ref.hash_rows(mats, begin, count, want.data());
            k->hash_rows(mats, begin, count, got.data());
            ASSERT_EQ(got, want) << name << " hash_rows width " << w << " layout "
                                 << int(layout) << " combo " << combo << " rows [" << begin
                                 << ", +" << count << ")";
          }
        }
      }
    }
    for (size_t n : {1, 9, 16, 25, 48, 70}) {
      std::vector<Digest> in(2 * n);
      for (auto& d : in)
        for (auto& x : d) x = random_fp(rng);
      std::vector<Digest> want(n), got(n);
      ref.compress(in.data(), in.data() + 1, 2, want.data(), n);
      k->compress(in.data(), in.data() + 1, 2, got.data(), n);
      ASSERT_EQ(got, want) << name << " compress pairs n=" << n;
      // Stride 1, written over the first input (the Merkle injection step does this).
      ref.compress(in.data(), in.data() + n, 1, want.data(), n);
      std::vector<Digest> inplace(in.begin(), in.begin() + n);
      k->compress(inplace.data(), in.data() + n, 1, inplace.data(), n);
      ASSERT_EQ(inplace, want) << name << " compress in place n=" << n;
    }
  }
}

TEST(Poseidon2, BadArgumentsAreErrors) {
  std::vector<Fp> data(12);
  Matrix a(data, 4, 3), b(std::vector<Fp>(10), 5, 2);
  std::vector<MatrixView> mats{a.view(), b.view()};
  std::vector<Digest> out(4);
  Status s = hash_matrix_rows(mats, out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("matrix 1"), std::string::npos) << s.message();
  std::vector<MatrixView> one{a.view()};
  std::vector<Digest> wrong(3);
  EXPECT_EQ(hash_matrix_rows(one, wrong).code(), StatusCode::kInvalidArgument);
  std::vector<Digest> in(5);
  EXPECT_EQ(compress_pairs(in, wrong).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(hash_matrix_rows({}, wrong).code(), StatusCode::kInvalidArgument);
  // An OpenCL device that does not exist (or no OpenCL at all): an error, never a silent success.
  HashConfig cl;
  cl.backend = Backend::kOpenCl;
  cl.opencl_device = 99;
  std::vector<Poseidon2State> states(3);
  EXPECT_FALSE(poseidon2_permute_batch(states, cl).is_ok());
  EXPECT_FALSE(hash_matrix_rows(one, out, cl).is_ok());
}

TEST(Poseidon2OpenCl, DeviceResidentPipelineAndBoundsChecks) {
  if (!resolve_backend(Backend::kOpenCl).is_ok()) GTEST_SKIP() << "no OpenCL device";
  Rng rng(test_seed("Poseidon2OpenCl.DeviceResidentPipeline"));
  auto dev = OpenClDevice::get(0);
  ASSERT_TRUE(dev.is_ok()) << dev.status().to_string();
  // Two matrices packed in one buffer at different offsets; leaves hashed and compressed
  // without leaving the device.
  const size_t rows = 16;
  std::vector<Fp> packed = random_vec(rng, 3 + rows * 5 + rows * 11);
  MatrixView a{packed.data() + 3, rows, 5, Layout::kColMajor};
  MatrixView b{packed.data() + 3 + rows * 5, rows, 11, Layout::kRowMajor};
  auto buf = (*dev)->upload(std::span<const Fp>(packed));
  ASSERT_TRUE(buf.is_ok());
  std::vector<OpenClMatrix> mats{{&*buf, 3, rows, 5, Layout::kColMajor},
                                 {&*buf, 3 + rows * 5, rows, 11, Layout::kRowMajor}};
  auto leaves = (*dev)->alloc(rows * sizeof(Digest));
  auto parents = (*dev)->alloc((rows / 2 + 1) * sizeof(Digest));
  ASSERT_TRUE(leaves.is_ok() && parents.is_ok());
  ASSERT_TRUE(opencl_hash_rows_device(mats, *leaves).is_ok());
  ASSERT_TRUE(opencl_compress_pairs_device(*leaves, 0, *parents, 1, rows / 2).is_ok());
  std::vector<Digest> got(rows / 2 + 1);
  ASSERT_TRUE(parents->read(std::span<Digest>(got)).is_ok());
  std::vector<MatrixView> host{a, b};
  for (size_t i = 0; i < rows / 2; ++i) {
    EXPECT_EQ(got[1 + i],
              compress(hash_rows_concat(host, 2 * i), hash_rows_concat(host, 2 * i + 1)))
        << i;
  }
  // Ranges past the end of a buffer are errors naming the buffer, not out-of-bounds kernels.
  Status s = opencl_compress_pairs_device(*leaves, 1, *parents, 0, rows / 2);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("input"), std::string::npos) << s.message();
  EXPECT_EQ(opencl_compress_pairs_device(*leaves, 0, *parents, 2, rows / 2).code(),
            StatusCode::kInvalidArgument);
  std::vector<OpenClMatrix> too_tall{{&*buf, 3, rows * 10, 5, Layout::kColMajor}};
  EXPECT_EQ(opencl_hash_rows_device(too_tall, *leaves).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(opencl_compress_inject_device(*parents, 0, *leaves, rows + 1).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(opencl_permute_device(*leaves, rows).code(), StatusCode::kInvalidArgument);
  // Host wrappers: a matrix without columns among the inputs (uploaded as a stand-in word, not
  // a zero-byte buffer), and a pair count that does not match the outputs.
  const std::vector<MatrixView> with_empty{a, {nullptr, rows, 0, Layout::kColMajor}, b};
  std::vector<Digest> host_leaves(rows);
  Status hs = opencl_hash_matrix_rows(with_empty, host_leaves, 0);
  ASSERT_TRUE(hs.is_ok()) << hs.to_string();
  for (size_t i = 0; i < rows; ++i) EXPECT_EQ(host_leaves[i], hash_rows_concat(host, i)) << i;
  std::vector<Digest> host_parents(rows / 2);
  ASSERT_TRUE(opencl_compress_pairs(host_leaves, host_parents, 0).is_ok());
  EXPECT_EQ(host_parents[3], compress(host_leaves[6], host_leaves[7]));
  Status pairs = opencl_compress_pairs(host_leaves, std::span<Digest>(host_parents).first(3), 0);
  EXPECT_EQ(pairs.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(pairs.message().find("16 input digests for 3 outputs"), std::string::npos)
      << pairs.message();
}

}  // namespace
}  // namespace efaas
