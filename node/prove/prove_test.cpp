// Universal-mode PostOps: a real zkWASM bundle of the example Extension wrapped into a PostOp,
// checked against its module, and every binding tampered with; the Program cache; the farm
// client's refusals that need no farm (the farm itself: tests/node_e2e_test.cpp).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <unistd.h>
#include <fstream>

#include "node/core/encoding.hpp"
#include "node/prove/farm_prover.hpp"
#include "node/prove/universal.hpp"
#include "prover/fri/fri_params.hpp"
#include "prover/hash/keccak.hpp"

namespace efaas::node {
namespace {
namespace fs = std::filesystem;

Bytes wat(const std::string& text) {
  const fs::path dir = fs::temp_directory_path() / ("node_prove_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "m.wat") << text;
  const std::string cmd = "wat2wasm '" + (dir / "m.wat").string() + "' -o '" + (dir / "m.wasm").string() + "'";
  if (std::system(cmd.c_str()) != 0) return {};
  std::ifstream in(dir / "m.wasm", std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Bytes example_module() {
  std::ifstream in(std::string(EFAAS_SOURCE_DIR) + "/node/examples/example_extension.wat");
  std::stringstream ss;
  ss << in.rdbuf();
  return wat(ss.str());
}

// Runs `func` (efaas_main when empty) with a trace and proves it at the test preset.
Bytes prove_bundle(const zkwasm::Program& p, const std::string& func, std::vector<uint64_t> args = {}) {
  wasm::MemorySink sink;
  wasm::TraceWriter tw(sink);
  if (func.empty()) {
    wasm::ExtensionConfig ec;
    ec.trace = &tw;
    auto r = wasm::run_extension(p.module_ptr(), wasm::ExtensionInput{}, ec);
    EXPECT_TRUE(r.is_ok()) << r.status().message();
  } else {
    wasm::Linker linker;
    auto inst = wasm::Instance::instantiate(p.module_ptr(), linker);
    EXPECT_TRUE(inst.is_ok());
    const wasm::Export* e = p.module().find_export(func);
    wasm::TraceHeader h;
    h.gas_limit = 1'000'000;
    h.entry_function = e->index;
    EXPECT_TRUE(tw.begin(h).is_ok());
    wasm::ExecOptions eo;
    eo.gas_limit = h.gas_limit;
    eo.trace = &tw;
    auto r = (*inst)->invoke(e->index, args, eo);
    EXPECT_TRUE(r.is_ok());
    wasm::TraceEnd end;
    end.gas_used = r->gas_used;
    end.instructions = r->instructions;
    end.records = tw.records();
    end.results = r->results;
    EXPECT_TRUE(tw.finish(end).is_ok());
  }
  auto trace = wasm::read_trace(sink.data);
  EXPECT_TRUE(trace.is_ok()) << trace.status().message();
  zkwasm::ProveOptions po;
  po.params = fri_test_preset();
  po.args = args;
  auto b = zkwasm::prove(p, *trace, po);
  EXPECT_TRUE(b.is_ok()) << b.status().message();
  return b ? zkwasm::serialize_bundle(*b) : Bytes{};
}

Hash32 h32(uint8_t v) {
  Hash32 h;
  h.fill(v);
  return h;
}

class UniversalTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    bytes_ = new Bytes(example_module());
    ASSERT_FALSE(bytes_->empty()) << "wat2wasm (Debian wabt) is needed";
    auto p = zkwasm::Program::load(*bytes_);
    ASSERT_TRUE(p.is_ok()) << p.status().message();
    program_ = new std::shared_ptr<zkwasm::Program>(*p);
    bundle_ = new Bytes(prove_bundle(**program_, ""));
  }
  static void TearDownTestSuite() {
    delete bytes_;
    delete program_;
    delete bundle_;
  }
  const zkwasm::Program& program() { return **program_; }
  Hash32 id() { return program().module_hash(); }
  PostOp post_op(const Bytes& bundle) {
    auto p = make_universal_post_op(h32(1), id(), bundle, h32(2), R"({"proofSystem":"zkwasm-stark"})");
    EXPECT_TRUE(p.is_ok()) << p.status().message();
    return *p;
  }
  static Bytes* bytes_;
  static std::shared_ptr<zkwasm::Program>* program_;
  static Bytes* bundle_;
};
Bytes* UniversalTest::bytes_ = nullptr;
std::shared_ptr<zkwasm::Program>* UniversalTest::program_ = nullptr;
Bytes* UniversalTest::bundle_ = nullptr;

TEST(EncodeValues, LittleEndianU64) {
  const std::vector<uint64_t> v = {338350, 0x0102030405060708ull};
  Bytes want = {0xAE, 0x29, 0x05, 0, 0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1};
  EXPECT_EQ(encode_values(v), want);
  EXPECT_TRUE(encode_values({}).empty());
}

TEST_F(UniversalTest, HonestPostOpIsValidAndCarriesTheResult) {
  PostOp p = post_op(*bundle_);
  // sum_{i=1}^{100} i^2, computed independently of the runtime.
  uint64_t want = 0;
  for (uint64_t i = 1; i <= 100; ++i) want += i * i;
  EXPECT_EQ(p.data, encode_values(std::vector<uint64_t>{want}));
  auto proof = decode_proof(p.proof);
  ASSERT_TRUE(proof.is_ok());
  EXPECT_EQ(proof->extension_id, id());
  EXPECT_TRUE(proof->inputs.empty());
  EXPECT_EQ(proof->output, p.data);
  EXPECT_EQ(proof->proof_data, *bundle_);
  UniversalCheck c = check_universal(program(), p, 0);
  EXPECT_EQ(c.verdict, Verdict::kValid) << c.diagnostics;
  EXPECT_EQ(c.publics.results, std::vector<uint64_t>{want});
}

TEST_F(UniversalTest, TamperedPostOpsAreInvalid) {
  const PostOp good = post_op(*bundle_);
  auto expect_invalid = [&](const PostOp& p, const std::string& needle) {
    UniversalCheck c = check_universal(program(), p, 0);
    EXPECT_EQ(c.verdict, Verdict::kInvalid) << needle;
    EXPECT_NE(c.diagnostics.find(needle), std::string::npos) << c.diagnostics;
  };
  {  // PostOp.data claims another result
    PostOp p = good;
    p.data[0] ^= 1;
    expect_invalid(p, "PostOp.data");
  }
  auto with_proof = [&](auto edit) {
    Proof pr = *decode_proof(good.proof);
    edit(pr);
    PostOp p = good;
    p.proof = encode(pr);
    p.data = pr.output;
    return p;
  };
  expect_invalid(with_proof([](Proof& pr) { pr.output[0] ^= 1; }), "Proof.output");
  expect_invalid(with_proof([](Proof& pr) { pr.inputs = encode_values(std::vector<uint64_t>{7}); }), "Proof.inputs");
  expect_invalid(with_proof([](Proof& pr) { pr.extension_id[0] ^= 1; }), "extensionId");
  expect_invalid(with_proof([](Proof& pr) { pr.proof_data.resize(pr.proof_data.size() - 1); }), "proofData");
  {  // the claimed result inside the bundle changed: the STARK no longer matches
    auto b = zkwasm::deserialize_bundle(*bundle_);
    ASSERT_TRUE(b.is_ok());
    b->publics.results[0] += 1;
    PostOp p = post_op(zkwasm::serialize_bundle(*b));
    expect_invalid(p, "rejected");
  }
  {  // one byte of the STARK proof flipped (late in the bundle: FRI data)
    Bytes bad = *bundle_;
    bad[bad.size() - 40] ^= 0x10;
    PostOp p = good;
    Proof pr = *decode_proof(good.proof);
    pr.proof_data = bad;
    p.proof = encode(pr);
    UniversalCheck c = check_universal(program(), p, 0);
    EXPECT_EQ(c.verdict, Verdict::kInvalid) << c.diagnostics;
  }
  {  // not even a Proof
    PostOp p = good;
    p.proof = {1, 2, 3};
    expect_invalid(p, "PostOp.proof");
  }
}

TEST_F(UniversalTest, WeakParametersAreInvalidAboveTheConfiguredBits) {
  PostOp p = post_op(*bundle_);
  const double bits = conjectured_security_bits(fri_test_preset());
  EXPECT_EQ(check_universal(program(), p, bits).verdict, Verdict::kValid);
  UniversalCheck c = check_universal(program(), p, 100);
  ASSERT_LT(bits, 100);
  EXPECT_EQ(c.verdict, Verdict::kInvalid);
  EXPECT_NE(c.diagnostics.find("conjectured bits"), std::string::npos) << c.diagnostics;
}

TEST_F(UniversalTest, AProofOfAnotherFunctionIsInvalid) {
  // A genuine proof of square(12) from the same module is not a run of efaas_main.
  PostOp p = post_op(prove_bundle(program(), "square", {12}));
  UniversalCheck c = check_universal(program(), p, 0);
  EXPECT_EQ(c.verdict, Verdict::kInvalid);
  EXPECT_NE(c.diagnostics.find("not efaas_main"), std::string::npos) << c.diagnostics;
}

TEST_F(UniversalTest, AProofForAnotherModuleIsInvalid) {
  Bytes other_bytes = wat(R"((module (func (export "efaas_main") (result i32) (i32.add (i32.const 2) (i32.const 3)))))");
  auto other = zkwasm::Program::load(other_bytes);
  ASSERT_TRUE(other.is_ok());
  PostOp p = post_op(prove_bundle(**other, ""));  // claims the example's Extension id
  UniversalCheck c = check_universal(program(), p, 0);
  EXPECT_EQ(c.verdict, Verdict::kInvalid) << c.diagnostics;
  // And a Program that is not the Extension's module gives no verdict on it.
  EXPECT_EQ(check_universal(**other, post_op(*bundle_), 0).verdict, Verdict::kError);
}

TEST_F(UniversalTest, ProgramCacheLoadsOnceChecksTheHashAndEvicts) {
  ProgramCache cache(2);
  int fetches = 0;
  auto fetch = [&] {
    ++fetches;
    return Result<Bytes>(*bytes_);
  };
  auto a = cache.get(id(), fetch);
  ASSERT_TRUE(a.is_ok()) << a.status().message();
  auto b = cache.get(id(), fetch);
  ASSERT_TRUE(b.is_ok());
  EXPECT_EQ(a->get(), b->get());
  EXPECT_EQ(fetches, 1);
  // Bytes that do not hash to the id are refused and not cached.
  auto wrong = cache.get(h32(9), [&] { return Result<Bytes>(*bytes_); });
  ASSERT_FALSE(wrong.is_ok());
  EXPECT_NE(wrong.status().message().find("not the Extension id"), std::string::npos);
  EXPECT_EQ(cache.size(), 1u);
  auto failing = cache.get(h32(8), [] { return Result<Bytes>(unavailable("registry down")); });
  EXPECT_EQ(failing.status().code(), StatusCode::kUnavailable);
  // Capacity 2: a third module evicts the least recently used.
  Bytes m2 = wat(R"((module (func (export "efaas_main") (result i32) (i32.const 1))))");
  Bytes m3 = wat(R"((module (func (export "efaas_main") (result i32) (i32.const 2))))");
  ASSERT_TRUE(cache.get(keccak256(m2), [&] { return Result<Bytes>(m2); }).is_ok());
  ASSERT_TRUE(cache.get(id(), fetch).is_ok());  // the example is now the most recent
  ASSERT_TRUE(cache.get(keccak256(m3), [&] { return Result<Bytes>(m3); }).is_ok());
  EXPECT_EQ(cache.size(), 2u);
  ASSERT_TRUE(cache.get(id(), fetch).is_ok());
  EXPECT_EQ(fetches, 1);  // still cached: m2 went
}

TEST_F(UniversalTest, FarmProverRefusesWithoutAFarmAndNamesTheStage) {
  wasm::ExtensionInput in;
  {
    FarmProver none(FarmConfig{});
    auto r = none.prove(*bytes_, program().module_ptr(), in);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
    EXPECT_NE(r.status().message().find("config.farm"), std::string::npos);
  }
  {  // nothing listens on port 1: the upload fails as UNAVAILABLE, naming the farm
    FarmConfig fc;
    fc.target = "127.0.0.1:1";
    fc.timeout_s = 5;
    FarmProver down(fc);
    auto r = down.prove(*bytes_, program().module_ptr(), in);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().message();
    EXPECT_NE(r.status().message().find("127.0.0.1:1"), std::string::npos) << r.status().message();
  }
  {  // an Extension that traps is refused before any farm is contacted
    Bytes trap = wat(R"((module (func (export "efaas_main") (result i32) unreachable)))");
    auto m = zkwasm::Program::load(trap);
    ASSERT_TRUE(m.is_ok());
    FarmConfig fc;
    fc.target = "127.0.0.1:1";
    FarmProver down(fc);
    auto r = down.prove(trap, (*m)->module_ptr(), in);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("trapped"), std::string::npos) << r.status().message();
  }
}

}  // namespace
}  // namespace efaas::node
