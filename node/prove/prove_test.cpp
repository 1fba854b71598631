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
#include "node/prove/groth16.hpp"
#include "node/prove/universal.hpp"
#include "node/testing/example_extension.hpp"
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

// The example Extension, built from node/examples/example_extension.c (empty without clang).
Bytes example_module() {
  std::ifstream in(EFAAS_NODE_EXAMPLE_WASM, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The Operation the tests answer: Data "hello, eFaaS", To, sender and block hash all distinct.
wasm::ExtensionInput sample_input() {
  wasm::ExtensionInput in;
  const std::string data = "hello, eFaaS";
  in.data.assign(data.begin(), data.end());
  for (size_t i = 0; i < 20; ++i) in.to[i] = uint8_t(0x10 + i);
  for (size_t i = 0; i < 20; ++i) in.sender[i] = uint8_t(0x80 + i);
  for (size_t i = 0; i < 32; ++i) in.block_hash[i] = uint8_t(0xc0 + i);
  return in;
}

// Runs `func` (efaas_main over `in` when empty) with a trace and proves it at the test preset.
Bytes prove_bundle(const zkwasm::Program& p, const std::string& func, std::vector<uint64_t> args = {},
                   const wasm::ExtensionInput& in = {}, MerkleHash hash = MerkleHash::kPoseidon2) {
  wasm::MemorySink sink;
  wasm::TraceWriter tw(sink);
  if (func.empty()) {
    wasm::ExtensionConfig ec;
    ec.trace = &tw;
    auto r = wasm::run_extension(p.module_ptr(), in, ec);
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
    EXPECT_TRUE(tw.finish(wasm::trace_end(*r, tw.records())).is_ok());
  }
  auto trace = wasm::read_trace(sink.data);
  EXPECT_TRUE(trace.is_ok()) << trace.status().message();
  zkwasm::ProveOptions po;
  po.params = fri_test_preset();
  po.params.merkle_hash = hash;
  po.args = args;
  if (func.empty()) po.public_input = wasm::encode_public_inputs(in);
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
    ASSERT_FALSE(bytes_->empty()) << "the example Extension was not built (Debian clang and lld): "
                                  << EFAAS_NODE_EXAMPLE_WASM;
    auto p = zkwasm::Program::load(*bytes_);
    ASSERT_TRUE(p.is_ok()) << p.status().message();
    program_ = new std::shared_ptr<zkwasm::Program>(*p);
    bundle_ = new Bytes(prove_bundle(**program_, "", {}, sample_input()));
  }
  static void TearDownTestSuite() {
    delete bytes_;
    delete program_;
    delete bundle_;
  }
  const zkwasm::Program& program() { return **program_; }
  Hash32 id() { return program().module_hash(); }
  // The public input a verifier rebuilds for the sample Operation.
  static Bytes want_input() { return wasm::encode_public_inputs(sample_input()); }
  UniversalCheck check(const PostOp& p, double bits = 0) {
    zkwasm::VerifyOptions vo;
    vo.min_security_bits = bits;
    return check_universal(program(), p, vo, want_input());
  }
  PostOp post_op(const Bytes& bundle) {
    auto p = make_universal_post_op(h32(1), id(), bundle, sample_input().block_hash, R"({"proofSystem":"zkwasm-stark"})");
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

TEST_F(UniversalTest, HonestPostOpIsValidAndCarriesTheOutput) {
  PostOp p = post_op(*bundle_);
  const Bytes want = testing::example_extension_output(sample_input());
  EXPECT_EQ(std::string(p.data.begin(), p.data.begin() + 12), "HELLO, EFAAS");
  EXPECT_EQ(p.data, want);
  auto proof = decode_proof(p.proof);
  ASSERT_TRUE(proof.is_ok());
  EXPECT_EQ(proof->extension_id, id());
  EXPECT_EQ(proof->inputs, want_input());
  EXPECT_EQ(proof->output, p.data);
  EXPECT_EQ(proof->proof_data, *bundle_);
  UniversalCheck c = check(p);
  EXPECT_EQ(c.verdict, Verdict::kValid) << c.diagnostics;
  EXPECT_EQ(c.publics.output, want);
  EXPECT_EQ(c.publics.results, std::vector<uint64_t>{0});
}

TEST(PublicInputMismatch, NamesTheField) {
  const wasm::ExtensionInput a = sample_input();
  const Bytes want = wasm::encode_public_inputs(a);
  EXPECT_EQ(public_input_mismatch(want, want), "");
  auto diff = [&](auto edit) {
    wasm::ExtensionInput b = a;
    edit(b);
    return public_input_mismatch(wasm::encode_public_inputs(b), want);
  };
  EXPECT_EQ(diff([](wasm::ExtensionInput& b) { b.data[3] ^= 1; }), "Data byte 3");
  EXPECT_EQ(diff([](wasm::ExtensionInput& b) { b.data.push_back(0); }), "Data length 13, the Operation's 12");
  EXPECT_EQ(diff([](wasm::ExtensionInput& b) { b.to[19] ^= 1; }), "To");
  EXPECT_EQ(diff([](wasm::ExtensionInput& b) { b.sender[0] ^= 1; }), "sender");
  EXPECT_EQ(diff([](wasm::ExtensionInput& b) { b.block_hash[31] ^= 1; }), "ProcessedBlockHash");
  EXPECT_EQ(public_input_mismatch({}, want), "Data length missing, the Operation's 12");
}

// Genuine proofs, but of another Operation: the verifier rebuilds the public input from the
// Operation the PostOp answers (Data, To, sender) and its ProcessedBlockHash.
TEST_F(UniversalTest, AProofMadeForAnotherOperationIsInvalid) {
  const PostOp good = post_op(*bundle_);
  auto expect_invalid_for = [&](const char* field, auto edit) {
    wasm::ExtensionInput other = sample_input();
    edit(other);
    UniversalCheck c = check_universal(program(), good, {}, wasm::encode_public_inputs(other));
    EXPECT_EQ(c.verdict, Verdict::kInvalid) << field;
    EXPECT_NE(c.diagnostics.find(std::string(field) + " differs"), std::string::npos) << c.diagnostics;
    std::printf("  checked against another %-18s -> %s\n", field, c.diagnostics.c_str());
  };
  expect_invalid_for("To", [](wasm::ExtensionInput& in) { in.to[5] ^= 1; });
  expect_invalid_for("sender", [](wasm::ExtensionInput& in) { in.sender[19] ^= 0x80; });
  expect_invalid_for("ProcessedBlockHash", [](wasm::ExtensionInput& in) { in.block_hash[0] ^= 1; });
  expect_invalid_for("Data byte 0", [](wasm::ExtensionInput& in) { in.data[0] = 'j'; });
  // A real proof of the Extension over other Data, wrapped consistently (Inputs, Output, data).
  wasm::ExtensionInput other = sample_input();
  other.data[1] = 'a';
  PostOp p = post_op(prove_bundle(program(), "", {}, other));
  EXPECT_EQ(check_universal(program(), p, {}, wasm::encode_public_inputs(other)).verdict, Verdict::kValid);
  UniversalCheck c = check(p);
  EXPECT_EQ(c.verdict, Verdict::kInvalid);
  EXPECT_NE(c.diagnostics.find("Data byte 1 differs"), std::string::npos) << c.diagnostics;
  // The same PostOp at another ProcessedBlockHash than its proof's.
  PostOp moved = good;
  moved.processed_block_hash[7] ^= 1;
  wasm::ExtensionInput at_moved = sample_input();
  at_moved.block_hash = moved.processed_block_hash;
  c = check_universal(program(), moved, {}, wasm::encode_public_inputs(at_moved));
  EXPECT_EQ(c.verdict, Verdict::kInvalid);
  EXPECT_NE(c.diagnostics.find("ProcessedBlockHash differs"), std::string::npos) << c.diagnostics;
}

TEST_F(UniversalTest, ANonZeroExitIsInvalid) {
  // Data over the example's 4096-byte buffer: efaas_main returns 1 (a real, provable run).
  wasm::ExtensionInput big = sample_input();
  big.data.assign(5000, 'x');
  PostOp p = post_op(prove_bundle(program(), "", {}, big));
  UniversalCheck c = check_universal(program(), p, {}, wasm::encode_public_inputs(big));
  EXPECT_EQ(c.verdict, Verdict::kInvalid);
  EXPECT_NE(c.diagnostics.find("exited with code 1"), std::string::npos) << c.diagnostics;
}

TEST_F(UniversalTest, TamperedPostOpsAreInvalid) {
  const PostOp good = post_op(*bundle_);
  auto expect_invalid = [&](const PostOp& p, const std::string& needle) {
    UniversalCheck c = check(p);
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
  expect_invalid(with_proof([](Proof& pr) { pr.inputs[4] ^= 1; }), "Proof.inputs");
  expect_invalid(with_proof([](Proof& pr) { pr.extension_id[0] ^= 1; }), "extensionId");
  expect_invalid(with_proof([](Proof& pr) { pr.proof_data.resize(pr.proof_data.size() - 1); }), "proofData");
  {  // the claimed result inside the bundle changed: the STARK no longer matches
    auto b = zkwasm::deserialize_bundle(*bundle_);
    ASSERT_TRUE(b.is_ok());
    b->publics.output[0] ^= 1;
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
    UniversalCheck c = check(p);
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
  EXPECT_EQ(check(p, bits).verdict, Verdict::kValid);
  UniversalCheck c = check(p, 100);
  ASSERT_LT(bits, 100);
  EXPECT_EQ(c.verdict, Verdict::kInvalid);
  EXPECT_NE(c.diagnostics.find("conjectured bits"), std::string::npos) << c.diagnostics;
}

// A node pinned to one Merkle hash (NodeConfig::merkle_hash) finds genuine proofs committed
// with the other INVALID, and accepts those committed with its own.
TEST_F(UniversalTest, AProofUnderAnotherMerkleHashIsInvalidWhenOneIsPinned) {
  const PostOp poseidon2 = post_op(*bundle_);
  const PostOp blake3 = post_op(prove_bundle(program(), "", {}, sample_input(), MerkleHash::kBlake3));
  auto check_pinned = [&](const PostOp& p, std::optional<MerkleHash> pin) {
    zkwasm::VerifyOptions vo;
    vo.merkle_hash = pin;
    return check_universal(program(), p, vo, want_input());
  };
  for (const PostOp* p : {&poseidon2, &blake3}) {
    UniversalCheck any = check_pinned(*p, std::nullopt);
    EXPECT_EQ(any.verdict, Verdict::kValid) << any.diagnostics;
  }
  EXPECT_EQ(check_pinned(poseidon2, MerkleHash::kPoseidon2).verdict, Verdict::kValid);
  EXPECT_EQ(check_pinned(blake3, MerkleHash::kBlake3).verdict, Verdict::kValid);
  UniversalCheck c = check_pinned(poseidon2, MerkleHash::kBlake3);
  EXPECT_EQ(c.verdict, Verdict::kInvalid);
  EXPECT_NE(c.diagnostics.find("Merkle hash is poseidon2, the verifier accepts only blake3"), std::string::npos)
      << c.diagnostics;
  c = check_pinned(blake3, MerkleHash::kPoseidon2);
  EXPECT_EQ(c.verdict, Verdict::kInvalid);
  EXPECT_NE(c.diagnostics.find("Merkle hash is blake3"), std::string::npos) << c.diagnostics;
}

TEST_F(UniversalTest, AProofOfAnotherFunctionIsInvalid) {
  // A genuine proof of square(12) from a module that also exports efaas_main.
  Bytes m = wat(R"((module (func (export "square") (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
    (func (export "efaas_main") (result i32) (i32.const 0))))");
  auto prog = zkwasm::Program::load(m);
  ASSERT_TRUE(prog.is_ok());
  auto p = make_universal_post_op(h32(1), (*prog)->module_hash(), prove_bundle(**prog, "square", {12}), h32(2), "{}");
  ASSERT_TRUE(p.is_ok());
  UniversalCheck c = check_universal(**prog, *p, {}, {});
  EXPECT_EQ(c.verdict, Verdict::kInvalid);
  EXPECT_NE(c.diagnostics.find("not efaas_main"), std::string::npos) << c.diagnostics;
}

TEST_F(UniversalTest, AProofForAnotherModuleIsInvalid) {
  Bytes other_bytes = wat(R"((module (func (export "efaas_main") (result i32) (i32.add (i32.const 2) (i32.const 3)))))");
  auto other = zkwasm::Program::load(other_bytes);
  ASSERT_TRUE(other.is_ok());
  PostOp p = post_op(prove_bundle(**other, "", {}, sample_input()));  // claims the example's Extension id
  UniversalCheck c = check(p);
  EXPECT_EQ(c.verdict, Verdict::kInvalid) << c.diagnostics;
  // And a Program that is not the Extension's module gives no verdict on it.
  EXPECT_EQ(check_universal(**other, post_op(*bundle_), {}, want_input()).verdict, Verdict::kError);
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
  wasm::ExtensionInput in = sample_input();
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
  {  // so is one whose efaas_main returns non-zero: no PostOp answers a refused Operation
    wasm::ExtensionInput big = in;
    big.data.assign(5000, 'x');
    FarmConfig fc;
    fc.target = "127.0.0.1:1";
    FarmProver down(fc);
    auto r = down.prove(*bytes_, program().module_ptr(), big);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("exited with code 1"), std::string::npos) << r.status().message();
  }
}

TEST(Groth16Circuit, ManifestRoundTripAndRefusals) {
  CircuitManifest m;
  m.wasm[0] = 1;
  m.zkey[31] = 2;
  auto back = parse_circuit_manifest(circuit_manifest_bytes(m));
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->wasm, m.wasm);
  EXPECT_EQ(back->zkey, m.zkey);
  auto refused = [](const std::string& text, const std::string& what) {
    auto r = parse_circuit_manifest(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
    ASSERT_FALSE(r.is_ok()) << text;
    EXPECT_NE(r.status().message().find(what), std::string::npos) << r.status().message();
  };
  refused("efaas devchain: groth16 poseidon_chain40 example", "not a JSON object");
  refused(R"({"efaas":"groth16-circuit/2","wasm":"0x00","zkey":"0x00"})", "\"efaas\"");
  refused(R"({"efaas":"groth16-circuit/1","zkey":"0x00"})", "manifest.wasm");
  refused(R"({"efaas":"groth16-circuit/1","wasm":"0x12","zkey":"0x00"})", "manifest.wasm");
}

TEST(Groth16Circuit, ContractEncodingOfTheFixtureProof) {
  const std::string dir = std::string(EFAAS_SOURCE_DIR) + "/../shared/fixtures/groth16/poseidon_chain40";
  std::ifstream pf(dir + "/snarkjs_proof.json"), uf(dir + "/snarkjs_public.json");
  if (!pf || !uf) GTEST_SKIP() << "no shared groth16 fixture at " << dir;
  std::stringstream ps, us;
  ps << pf.rdbuf();
  us << uf.rdbuf();
  auto proof = nlohmann::json::parse(ps.str());
  auto pub = nlohmann::json::parse(us.str());
  auto enc = contract_encoding(nlohmann::json{{"protocol", "groth16"}, {"proof", proof}, {"public", pub}}.dump());
  ASSERT_TRUE(enc.is_ok()) << enc.status().to_string();
  ASSERT_EQ(enc->proof.size(), 256u);
  auto word = [](const Bytes& b, size_t i) {
    U256 w;
    std::copy(b.begin() + 32 * i, b.begin() + 32 * (i + 1), w.be.begin());
    return w.to_decimal();
  };
  // a, then b with each Fp2 element as (c1, c0), then c (contracts/README.md).
  EXPECT_EQ(word(enc->proof, 0), proof["pi_a"][0]);
  EXPECT_EQ(word(enc->proof, 1), proof["pi_a"][1]);
  EXPECT_EQ(word(enc->proof, 2), proof["pi_b"][0][1]);
  EXPECT_EQ(word(enc->proof, 3), proof["pi_b"][0][0]);
  EXPECT_EQ(word(enc->proof, 4), proof["pi_b"][1][1]);
  EXPECT_EQ(word(enc->proof, 5), proof["pi_b"][1][0]);
  EXPECT_EQ(word(enc->proof, 7), proof["pi_c"][1]);
  ASSERT_EQ(enc->data.size(), 32u * (2 + pub.size()));
  EXPECT_EQ(word(enc->data, 0), "32");
  EXPECT_EQ(word(enc->data, 1), std::to_string(pub.size()));
  EXPECT_EQ(word(enc->data, 2), pub[0]);
  // Missing or malformed parts are named.
  proof.erase("pi_c");
  auto bad = contract_encoding(nlohmann::json{{"proof", proof}, {"public", pub}}.dump());
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("pi_c"), std::string::npos) << bad.status().message();
  EXPECT_FALSE(contract_encoding("{}").is_ok());
  EXPECT_FALSE(contract_encoding(R"({"proof":{},"public":[]})").is_ok());
}

TEST(Groth16Circuit, WitnessRefusals) {
  // Not circuit input, and a snarkjs that cannot be started: clear errors, no witness.
  auto w = calculate_witness("/bin/true", Bytes{0}, "not json");
  ASSERT_FALSE(w.is_ok());
  EXPECT_NE(w.status().message().find("not a JSON object"), std::string::npos);
  w = calculate_witness("/nonexistent/snarkjs", Bytes{0}, R"({"a":"1"})");
  ASSERT_FALSE(w.is_ok());
  EXPECT_EQ(w.status().code(), StatusCode::kUnavailable) << w.status().to_string();
  // A command that runs but writes no witness.
  w = calculate_witness("/bin/true", Bytes{0}, R"({"a":"1"})");
  ASSERT_FALSE(w.is_ok());
  EXPECT_NE(w.status().message().find("wtns calculate failed"), std::string::npos) << w.status().message();
  EXPECT_FALSE(find_artifact("/nonexistent", Hash32{}, ".zkey").is_ok());
}

}  // namespace
}  // namespace efaas::node
