// The farm's zkWASM engine below the network edge: the job parameters, the streaming input
// checks (every split of a stream, traces of another module, truncation), the canonical
// Extension input, and both job kinds proved in-process with the bundle checked by
// zkwasm::verify (the independent verifier), tampered bundles rejected, cancellation.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>

#include "prover/common/rng.hpp"
#include "prover/device/backend.hpp"
#include "prover/farm/farm.hpp"
#include "prover/farm/zkwasm_engine.hpp"
#include "prover/farm/zkwasm_testing.hpp"
#include "prover/wasm/extension.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::farm {
namespace {

namespace fs = std::filesystem;

std::string temp_dir(const std::string& tag) {
  auto d =
      fs::temp_directory_path() / ("efaas-farm-zk-" + tag + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

void write(const std::string& path, std::span<const uint8_t> b) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

// Feeds `bytes` to a check in pieces of `piece` bytes.
Outcome feed_all(InputCheck& c, std::span<const uint8_t> bytes, size_t piece) {
  for (size_t at = 0; at < bytes.size(); at += piece) {
    if (Outcome o = c.feed(bytes.subspan(at, std::min(piece, bytes.size() - at))); !o) return o;
  }
  return c.finish();
}

TEST(ZkwasmParams, ContractKeysTypesAndDefaults) {
  auto p = parse_zkwasm_params("{}", JobKind::kZkwasmTrace);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->preset, "production");
  EXPECT_TRUE(p->args.empty());
  EXPECT_EQ(p->entry.index(), 0u);
  p = parse_zkwasm_params(
      R"({"entry":"sum","args":[5,18446744073709551615],"preset":"test","gas_limit":1000})",
      JobKind::kZkwasmModule);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(std::get<std::string>(p->entry), "sum");
  EXPECT_EQ(p->args, (std::vector<uint64_t>{5, UINT64_MAX}));
  EXPECT_EQ(p->preset, "test");
  EXPECT_EQ(*p->gas_limit, 1000u);
  p = parse_zkwasm_params(R"({"preset":"production-poseidon2"})", JobKind::kZkwasmTrace);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->preset, "production-poseidon2");
  p = parse_zkwasm_params(R"({"entry":3})", JobKind::kZkwasmTrace);
  ASSERT_TRUE(p);
  EXPECT_EQ(std::get<uint32_t>(p->entry), 3u);
  EXPECT_FALSE(p->segment_log);  // unset: the farm's default
  p = parse_zkwasm_params(R"({"segment_log":4})", JobKind::kZkwasmTrace);
  ASSERT_TRUE(p);
  EXPECT_EQ(*p->segment_log, 4u);
  // Each refusal names the key.
  const std::pair<const char*, const char*> bad[] = {
      {R"({"entyr":"x"})", "entyr"},
      {R"({"entry":-1})", "entry"},
      {R"({"entry":1.5})", "entry"},
      {R"({"args":5})", "args"},
      {R"({"args":[1,-2]})", "args[1]"},
      {R"({"args":["1"]})", "args[0]"},
      {R"({"preset":"fast"})", "preset"},
      {R"({"gas_limit":0})", "gas_limit"},
      {R"({"args":[1,2,3,4,5,6,7,8,9]})", "args"},
      {R"([1])", "JSON object"},
      {R"({"segment_log":3})", "params_json.segment_log"},
      {R"({"segment_log":21})", "params_json.segment_log"},
      {R"({"segment_log":"20"})", "params_json.segment_log"}};
  for (auto [json, key] : bad) {
    auto r = parse_zkwasm_params(json, JobKind::kZkwasmModule);
    ASSERT_FALSE(r) << json;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
    EXPECT_NE(r.error().message.find(key), std::string::npos) << r.error().message;
  }
  // A trace carries its own gas limit.
  auto r = parse_zkwasm_params(R"({"gas_limit":5})", JobKind::kZkwasmTrace);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("gas_limit"), std::string::npos);
}

TEST(ZkwasmParams, PublicInputIsAnEncodedExtensionInputInHex) {
  wasm::ExtensionInput in;
  in.data = {0xde, 0xad};
  in.sender[0] = 0xAB;
  in.block_hash[31] = 7;
  const std::vector<uint8_t> pub = wasm::encode_public_inputs(in);
  const std::string hex = to_hex(std::span<const uint8_t>(pub));
  for (const std::string& spelled : {hex, "0x" + hex}) {
    auto p = parse_zkwasm_params(R"({"public_input":")" + spelled + "\"}", JobKind::kZkwasmTrace);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->public_input, pub);
  }
  std::string upper = hex;
  for (char& c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
  auto u = parse_zkwasm_params(R"({"public_input":")" + upper + "\"}", JobKind::kZkwasmTrace);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->public_input, pub);
  EXPECT_TRUE(parse_zkwasm_params("{}", JobKind::kZkwasmTrace)->public_input.empty());
  auto refused = [](const std::string& json, JobKind kind, const std::string& want) {
    auto r = parse_zkwasm_params(json, kind);
    ASSERT_FALSE(r) << json;
    EXPECT_NE(r.error().message.find(want), std::string::npos) << r.error().message;
  };
  // A Data length that disagrees with the byte count, too short, odd digits, a non-hex digit.
  std::string longer = hex;
  longer[1] = '3';
  refused(R"({"public_input":")" + longer + "\"}", JobKind::kZkwasmTrace, "Data length 3");
  refused(R"({"public_input":"00000000"})", JobKind::kZkwasmTrace, "want 76 bytes");
  refused(R"({"public_input":"0x0"})", JobKind::kZkwasmTrace, "1 hex digits");
  refused(R"({"public_input":"zz"})", JobKind::kZkwasmTrace, "not a hex digit at character 0");
  refused(R"({"public_input":")" + hex + "\"}", JobKind::kZkwasmModule, "only zkwasm-trace jobs");
  // Bounded: one byte over an Operation's largest Data.
  refused(R"({"public_input":")" + std::string(2 * (kZkwasmMaxPublicInputBytes + 1), '0') + "\"}",
          JobKind::kZkwasmTrace, "at most");
}

TEST(ZkwasmParams, EntryIsResolvedAgainstTheModule) {
  auto wasm = testing::wat2wasm(testing::kSumWat);
  ASSERT_TRUE(wasm) << wasm.status().to_string();
  auto m = wasm::load_module(*wasm);
  ASSERT_TRUE(m);
  ZkwasmParams p;
  auto e = resolve_zkwasm_entry(**m, p, std::nullopt);  // default: efaas_main, no args
  ASSERT_TRUE(e) << e.error().to_string();
  EXPECT_EQ(*e, 1u);
  p.entry = std::string("sum");
  e = resolve_zkwasm_entry(**m, p, std::nullopt);
  ASSERT_FALSE(e);  // sum takes one argument
  EXPECT_NE(e.error().message.find("takes 1 argument"), std::string::npos) << e.error().message;
  p.args = {4};
  EXPECT_EQ(*resolve_zkwasm_entry(**m, p, std::nullopt), 0u);
  EXPECT_EQ(*resolve_zkwasm_entry(**m, p, 0u), 0u);
  e = resolve_zkwasm_entry(**m, p, 1u);  // the trace ran another function
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("the trace runs function 1"), std::string::npos);
  p.entry = std::string("nope");
  EXPECT_NE(resolve_zkwasm_entry(**m, p, std::nullopt).error().message.find("no function"),
            std::string::npos);
  p.entry = uint32_t(7);
  EXPECT_NE(resolve_zkwasm_entry(**m, p, std::nullopt).error().message.find("not a function"),
            std::string::npos);
}

TEST(ZkwasmInput, ExtensionInputRoundTripAndStreamingFraming) {
  Rng rng(test_seed("ZkwasmInput.ExtensionInputRoundTripAndStreamingFraming"));
  wasm::ExtensionInput in;
  in.data.resize(37);
  for (auto& b : in.data) b = uint8_t(rng.next_u64());
  in.to[3] = 7;
  in.sender[19] = 9;
  in.block_hash[0] = 0xAB;
  in.private_input = {1, 2, 3, 4, 5};
  const auto enc = wasm::encode_extension_input(in);
  ASSERT_EQ(enc.size(), 4 + 37 + 72 + 4 + 5u);
  auto back = wasm::decode_extension_input(enc);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->data, in.data);
  EXPECT_EQ(back->to, in.to);
  EXPECT_EQ(back->sender, in.sender);
  EXPECT_EQ(back->block_hash, in.block_hash);
  EXPECT_EQ(back->private_input, in.private_input);
  // The public part is encode_public_inputs() exactly.
  const auto pub = wasm::encode_public_inputs(in);
  EXPECT_TRUE(std::equal(pub.begin(), pub.end(), enc.begin()));
  // Every split of the stream passes the streaming check; every truncation and a trailing
  // byte fail both the decoder and the check.
  for (size_t piece : {size_t(1), size_t(3), size_t(50), enc.size()}) {
    auto c = make_extension_input_check();
    EXPECT_TRUE(feed_all(*c, enc, piece)) << piece;
  }
  for (size_t cut = 0; cut < enc.size(); ++cut) {
    std::span<const uint8_t> part(enc.data(), cut);
    EXPECT_FALSE(wasm::decode_extension_input(part).is_ok()) << cut;
    auto c = make_extension_input_check();
    auto o = feed_all(*c, part, 7);
    ASSERT_FALSE(o) << cut;
    EXPECT_NE(o.error().message.find("truncated"), std::string::npos) << o.error().message;
  }
  auto longer = enc;
  longer.push_back(0);
  auto d = wasm::decode_extension_input(longer);
  ASSERT_FALSE(d.is_ok());
  EXPECT_NE(d.status().message().find("trailing"), std::string::npos);
  auto c = make_extension_input_check();
  auto o = feed_all(*c, longer, 5);
  ASSERT_FALSE(o);
  EXPECT_NE(o.error().message.find("trailing bytes at byte offset 122"), std::string::npos)
      << o.error().message;
  // A data length past the end names the field.
  std::vector<uint8_t> huge = {0xFF, 0xFF, 0xFF, 0x7F, 1, 2};
  d = wasm::decode_extension_input(huge);
  ASSERT_FALSE(d.is_ok());
  EXPECT_NE(d.status().message().find("data length"), std::string::npos);
}

TEST(ZkwasmInput, TraceCheckStreamsAndRefusesTracesOfAnotherModule) {
  auto sum = testing::wat2wasm(testing::kSumWat);
  ASSERT_TRUE(sum);
  auto other = testing::wat2wasm(R"((module
    (func (export "sum") (param $n i32) (result i32)
      (i32.sub (i32.add (local.get $n) (i32.const 1)) (i32.const 2)))))");
  ASSERT_TRUE(other);
  auto trace = testing::record_trace(*sum, "sum", {6}, 8);
  ASSERT_TRUE(trace) << trace.status().to_string();
  auto m = wasm::load_module(*sum);
  auto om = wasm::load_module(*other);
  ASSERT_TRUE(m && om);
  ZkwasmParams p;
  p.entry = std::string("sum");
  p.args = {6};
  for (size_t piece : {size_t(1), size_t(13), size_t(100), trace->size()}) {
    auto c = make_trace_check(*m, p);
    auto o = feed_all(*c, *trace, piece);
    EXPECT_TRUE(o) << piece << ": " << o.error().to_string();
  }
  // The same trace against another module: refused at its first differing step.
  auto c = make_trace_check(*om, p);
  auto o = feed_all(*c, *trace, 64);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code, Code::kInvalidArgument);
  EXPECT_NE(o.error().message.find("does not match the module: step "), std::string::npos)
      << o.error().message;
  // Truncated anywhere: refused when the stream ends.
  for (size_t cut : {size_t(0), size_t(20), size_t(48), trace->size() / 2, trace->size() - 1}) {
    auto t = make_trace_check(*m, p);
    auto r = feed_all(*t, std::span<const uint8_t>(trace->data(), cut), 16);
    ASSERT_FALSE(r) << cut;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
    EXPECT_NE(r.error().message.find("trace"), std::string::npos) << r.error().message;
  }
  // A flipped byte breaks a checksum (or the magic).
  Rng rng(test_seed("ZkwasmInput.TraceCheckFlippedByte"));
  for (int i = 0; i < 20; ++i) {
    auto bad = *trace;
    bad[rng.next_u64() % bad.size()] ^= uint8_t(1 + rng.next_u64() % 255);
    auto t = make_trace_check(*m, p);
    EXPECT_FALSE(feed_all(*t, bad, 32)) << "a corrupted trace passed the check";
  }
  // A trace of another entry than the job's.
  ZkwasmParams q = p;
  q.entry = std::string("efaas_main");
  q.args = {};
  auto e = make_trace_check(*m, q);
  o = feed_all(*e, *trace, 4096);
  ASSERT_FALSE(o);
  EXPECT_NE(o.error().message.find("the trace runs function 0"), std::string::npos)
      << o.error().message;
}

TEST(ZkwasmInput, TraceCheckHoldsAtMostOneBoundedChunk) {
  auto sum = testing::wat2wasm(testing::kSumWat);
  ASSERT_TRUE(sum);
  auto m = wasm::load_module(*sum);
  ASSERT_TRUE(m);
  // A real file header allowing chunks of 2^20 records, then a chunk header announcing a
  // 20 MiB payload that never completes: the check must refuse it before holding all of it.
  auto trace = testing::record_trace(*sum, "sum", {3}, 1u << 20);
  ASSERT_TRUE(trace);
  std::vector<uint8_t> head(trace->begin(), trace->begin() + 48);
  std::vector<uint8_t> chunk(48, 0);
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) chunk[at + size_t(i)] = uint8_t(v >> (8 * i));
  };
  put32(0, 0x4B4E4843);  // "CHNK"
  chunk[4] = 1;          // steps
  put32(12, 1u << 20);   // records
  put32(32, 20u << 20);  // payload bytes
  ZkwasmParams p;
  p.entry = std::string("sum");
  p.args = {3};
  auto c = make_trace_check(*m, p);
  ASSERT_TRUE(c->feed(head));
  ASSERT_TRUE(c->feed(chunk));
  const std::vector<uint8_t> mib(1u << 20, 0);
  Outcome o = ok();
  int fed = 0;
  while (o && fed < 20) {
    o = c->feed(mib);
    ++fed;
  }
  ASSERT_FALSE(o) << "20 MiB of one chunk were buffered";
  EXPECT_LE(fed, 9);
  EXPECT_NE(o.error().message.find("without a complete chunk"), std::string::npos)
      << o.error().message;
}

// One proving attempt with checkpoints: the pieces it saves, and how many of the pieces it
// was given back it reused (-1: never told).
using Pieces = std::vector<std::pair<uint32_t, std::vector<uint8_t>>>;
struct Attempt {
  std::map<uint32_t, std::vector<uint8_t>> saved;
  int64_t reused = -1;
  std::vector<uint8_t> proof;
};
template <typename Engine>
Attempt prove_with_pieces(Engine& eng, const EngineJob& ej, const Pieces& given) {
  Attempt a;
  EngineHooks hooks;
  hooks.saved_pieces = [&] { return given; };
  hooks.save_piece = [&](uint32_t i, std::span<const uint8_t> b) {
    a.saved[i].assign(b.begin(), b.end());
  };
  hooks.pieces_reused = [&](uint32_t n) { a.reused = n; };
  auto p = eng.prove(ej, hooks);
  EXPECT_TRUE(p) << p.error().to_string();
  if (p) a.proof = *p;
  return a;
}

class ZkwasmEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    auto sum = testing::wat2wasm(testing::kSumWat);
    ASSERT_TRUE(sum) << sum.status().to_string();
    module_ = *sum;
    module_path_ = dir_ + "/module.wasm";
    write(module_path_, module_);
    auto p = zkwasm::Program::load(module_);
    ASSERT_TRUE(p.is_ok());
    program_ = *p;
  }
  void TearDown() override { fs::remove_all(dir_); }
  EngineJob job(JobKind kind, const std::string& params, std::span<const uint8_t> input) {
    EngineJob j;
    j.spec.kind = kind;
    j.spec.params_json = params;
    j.spec.input_size = input.size();
    j.artifact_path = module_path_;
    j.input_path = dir_ + "/input-" + std::to_string(n_++);
    write(j.input_path, input);
    return j;
  }
  std::string dir_, module_path_;
  std::vector<uint8_t> module_;
  std::shared_ptr<zkwasm::Program> program_;
  int n_ = 0;
};

TEST_F(ZkwasmEngineTest, TraceJobProvesAndTheBundleVerifies) {
  auto eng = make_engine(JobKind::kZkwasmTrace, {});
  ASSERT_TRUE(eng->available());
  auto trace = testing::record_trace(module_, "sum", {10});
  ASSERT_TRUE(trace);
  EngineJob j = job(JobKind::kZkwasmTrace, R"({"entry":"sum","args":[10],"preset":"test"})",
                    *trace);
  auto reserved = eng->units(j);
  ASSERT_TRUE(reserved) << reserved.error().to_string();
  std::vector<std::string> stages;
  uint64_t exact = 0;
  EngineHooks hooks;
  hooks.progress = [&](const std::string& s, double) { stages.push_back(s); };
  hooks.exact_units = [&](uint64_t u) { exact = u; };
  auto proof = eng->prove(j, hooks);
  ASSERT_TRUE(proof) << proof.error().to_string();
  EXPECT_EQ(exact, kZkwasmMinUnits);  // well under 1024 instructions: the floor
  EXPECT_GE(*reserved, exact);
  EXPECT_NE(std::find(stages.begin(), stages.end(), "prove: quotient"), stages.end());
  // The independent check: the bundle under zkwasm::verify against the module's bytes.
  auto b = zkwasm::deserialize_bundle(*proof);
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  auto pv = zkwasm::verify(*program_, *b);
  ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
  EXPECT_EQ(pv->results, std::vector<uint64_t>{55});
  EXPECT_EQ(pv->args, std::vector<uint64_t>{10});
  auto v = eng->verify(j, *proof);
  ASSERT_TRUE(v);
  EXPECT_TRUE(*v);
  // Tampered: a flipped byte in the proof body, or another job's arguments.
  auto bad = *proof;
  bad[bad.size() / 2] ^= 1;
  auto vb = eng->verify(j, bad);
  EXPECT_TRUE(!vb || !*vb) << "a tampered bundle verified";
  EngineJob other = job(JobKind::kZkwasmTrace, R"({"entry":"sum","args":[11],"preset":"test"})",
                        *trace);
  auto vo = eng->verify(other, *proof);
  ASSERT_TRUE(vo);
  EXPECT_FALSE(*vo);
}

TEST_F(ZkwasmEngineTest, ModuleJobExecutesThenProves) {
  auto eng = make_engine(JobKind::kZkwasmModule, {});
  wasm::ExtensionInput in;
  in.data = {1, 2, 3};
  const auto enc = wasm::encode_extension_input(in);
  EngineJob j = job(JobKind::kZkwasmModule, R"({"entry":"sum","args":[7],"preset":"test"})", enc);
  auto reserved = eng->units(j);
  ASSERT_TRUE(reserved);
  // The reservation is bounded by the execution cap, the default gas limit being far larger.
  EXPECT_EQ(*reserved, kZkwasmMaxModuleInstructions / kZkwasmInstructionsPerUnit);
  EngineJob small = job(JobKind::kZkwasmModule, R"({"entry":"sum","args":[7],"gas_limit":20000})",
                        enc);
  EXPECT_EQ(*eng->units(small), 20u);  // ceil(20000 / 1024)
  EXPECT_EQ(zkwasm_units(0), kZkwasmMinUnits);
  EXPECT_EQ(zkwasm_units(100 * 1024 + 1), 101u);
  std::vector<std::string> stages;
  EngineHooks hooks;
  hooks.progress = [&](const std::string& s, double) { stages.push_back(s); };
  auto proof = eng->prove(j, hooks);
  ASSERT_TRUE(proof) << proof.error().to_string();
  EXPECT_EQ(stages.at(1), "execute");
  auto b = zkwasm::deserialize_bundle(*proof);
  ASSERT_TRUE(b.is_ok());
  auto pv = zkwasm::verify(*program_, *b);
  ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
  EXPECT_EQ(pv->results, std::vector<uint64_t>{28});
  // A broken input is the client's error, named.
  EngineJob broken =
      job(JobKind::kZkwasmModule, R"({"entry":"sum","args":[7],"preset":"test"})",
          std::span<const uint8_t>(enc.data(), enc.size() - 1));
  auto e = eng->prove(broken, {});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, Code::kInvalidArgument);
  EXPECT_NE(e.error().message.find("extension input"), std::string::npos) << e.error().message;
  // A start function's effect is part of the module's initial state, which the verifier
  // recomputes from the module bytes (Program::load): the job proves the call after it.
  auto started = testing::wat2wasm(R"((module (global $g (mut i32) (i32.const 0))
    (func $init (global.set $g (i32.const 5))) (start $init)
    (func (export "efaas_main") (result i32) (global.get $g))))");
  ASSERT_TRUE(started);
  write(module_path_ + ".start", *started);
  EngineJob sj = job(JobKind::kZkwasmModule, R"({"preset":"test"})", enc);
  sj.artifact_path = module_path_ + ".start";
  auto sproof = eng->prove(sj, {});
  ASSERT_TRUE(sproof) << sproof.error().to_string();
  auto sprog = zkwasm::Program::load(*started);
  ASSERT_TRUE(sprog.is_ok()) << sprog.status().to_string();
  auto sbundle = zkwasm::deserialize_bundle(*sproof);
  ASSERT_TRUE(sbundle.is_ok()) << sbundle.status().to_string();
  auto spv0 = zkwasm::verify(**sprog, *sbundle);
  ASSERT_TRUE(spv0.is_ok()) << spv0.status().to_string();
  EXPECT_EQ(spv0->results, std::vector<uint64_t>{5});
  // An execution past its gas limit traps out of gas: proved, with the limit in the claim.
  EngineJob starved = job(JobKind::kZkwasmModule,
                          R"({"entry":"sum","args":[7],"gas_limit":20,"preset":"test"})", enc);
  auto s = eng->prove(starved, {});
  ASSERT_TRUE(s) << s.error().to_string();
  auto sb = zkwasm::deserialize_bundle(*s);
  ASSERT_TRUE(sb.is_ok()) << sb.status().to_string();
  auto spv = zkwasm::verify(*program_, *sb);
  ASSERT_TRUE(spv.is_ok()) << spv.status().to_string();
  EXPECT_EQ(spv->status, 1u);
  EXPECT_EQ(spv->trap_code, uint32_t(wasm::TrapCode::kOutOfGas));
  EXPECT_EQ(spv->gas_limit, 20u);
  EXPECT_LE(spv->gas_used, 20u);
}

TEST_F(ZkwasmEngineTest, ProverErrorsPassThroughWithTheirCodes) {
  auto eng = make_engine(JobKind::kZkwasmTrace, {});
  auto trace = testing::record_trace(module_, "sum", {5});
  ASSERT_TRUE(trace);
  // A value changed in a re-encoded trace (valid framing): INVALID_ARGUMENT naming the step.
  auto t = wasm::read_trace(*trace);
  ASSERT_TRUE(t.is_ok());
  size_t k = 0;
  while (t->steps[k].op != uint16_t(wasm::Op::kI32Add)) ++k;
  t->steps[k].r += 1;
  auto forged = testing::encode_trace(*t);
  ASSERT_TRUE(forged);
  EngineJob j = job(JobKind::kZkwasmTrace, R"({"entry":"sum","args":[5],"preset":"test"})",
                    *forged);
  auto r = eng->prove(j, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument) << r.error().to_string();
  EXPECT_NE(r.error().message.find("step " + std::to_string(k)), std::string::npos)
      << r.error().message;
  // A run the prover cannot prove yet: UNIMPLEMENTED with its message.
  auto oob = testing::wat2wasm(testing::kUnprovableWat);
  ASSERT_TRUE(oob);
  write(module_path_ + ".oob", *oob);
  auto mt = testing::record_trace(*oob, "f", {4}, 64, testing::kUnprovableGasLimit);
  ASSERT_TRUE(mt);
  EngineJob mj = job(JobKind::kZkwasmTrace, R"({"args":[4],"preset":"test"})", *mt);
  mj.artifact_path = module_path_ + ".oob";
  auto u = eng->prove(mj, {});
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().code, Code::kUnimplemented) << u.error().to_string();
  EXPECT_NE(u.error().message.find(testing::kUnprovableReason), std::string::npos)
      << u.error().message;
}

TEST_F(ZkwasmEngineTest, CancellationStopsTheProofInsideTheStark) {
  auto eng = make_engine(JobKind::kZkwasmTrace, {});
  auto trace = testing::record_trace(module_, "sum", {9});
  ASSERT_TRUE(trace);
  EngineJob j = job(JobKind::kZkwasmTrace, R"({"entry":"sum","args":[9],"preset":"test"})",
                    *trace);
  std::atomic<bool> stop{false};
  std::vector<std::string> stages;
  EngineHooks hooks;
  hooks.progress = [&](const std::string& s, double) {
    stages.push_back(s);
    if (s == "prove: logup") stop = true;  // mid-proof
  };
  hooks.should_stop = [&] { return stop.load(); };
  auto r = eng->prove(j, hooks);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kCancelled);
  EXPECT_EQ(std::find(stages.begin(), stages.end(), "self-check"), stages.end());
  EXPECT_EQ(std::find(stages.begin(), stages.end(), "prove: fri"), stages.end());
}

// Segments: progress once per proved segment with the time left measured so far, the trace's
// memory held while it is loaded (40 bytes per record) and given back, and a bundle of several
// segments that zkwasm::verify accepts. Two device slots prove segments at once.
TEST_F(ZkwasmEngineTest, SegmentedProofReportsEachSegmentAndHoldsTheTraceMemory) {
  EngineOptions eo;
  eo.segment_log = 5;  // the farm's default here; sum(10) runs about 110 rows
  auto eng = make_engine(JobKind::kZkwasmTrace, eo);
  auto trace = testing::record_trace(module_, "sum", {10});
  ASSERT_TRUE(trace);
  auto parsed = wasm::read_trace(*trace);
  ASSERT_TRUE(parsed.is_ok());
  EngineJob j =
      job(JobKind::kZkwasmTrace, R"({"entry":"sum","args":[10],"preset":"test"})", *trace);
  j.devices = {Backend::kAuto, Backend::kAuto};
  EXPECT_GE(eng->parallel_pieces(j.spec, 4), 2u);
  std::vector<std::string> stages;
  std::vector<double> left;
  std::vector<uint64_t> held;
  EngineHooks hooks;
  hooks.progress = [&](const std::string& s, double) { stages.push_back(s); };
  hooks.time_left = [&](double s) { left.push_back(s); };
  hooks.hold_memory = [&](uint64_t b) {
    held.push_back(b);
    return ok();
  };
  auto proof = eng->prove(j, hooks);
  ASSERT_TRUE(proof) << proof.error().to_string();
  auto b = zkwasm::deserialize_bundle(*proof);
  ASSERT_TRUE(b.is_ok());
  const size_t n = b->segments.size();
  ASSERT_GE(n, 3u);
  auto pv = zkwasm::verify(*program_, *b);
  ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
  EXPECT_EQ(pv->results, std::vector<uint64_t>{55});
  size_t proved = 0;
  for (const auto& s : stages) {
    if (s.find(" proved") != std::string::npos && s.find(',') == std::string::npos) {
      EXPECT_EQ(s,
                "prove: segment " + std::to_string(++proved) + "/" + std::to_string(n) + " proved");
    }
  }
  EXPECT_EQ(proved, n);
  ASSERT_EQ(left.size(), n);
  EXPECT_EQ(left.back(), 0);
  EXPECT_GT(left.front(), 0);
  ASSERT_EQ(held.size(), 2u);
  // The trace is read per segment (zkwasm::prove over a TraceSource): the budget holds one
  // segment's records and the one after them, not the run's.
  ASSERT_GT(parsed->steps.size(), (size_t(1) << 5) + 1);
  EXPECT_EQ(held[0], ((uint64_t(1) << 5) + 1) * kZkwasmTraceRecordBytes);
  EXPECT_EQ(held[1], 0u);
  // Refused memory stops the job before the trace is loaded.
  hooks.hold_memory = [](uint64_t) -> Outcome { return err(Code::kResourceExhausted, "budget"); };
  auto r = eng->prove(j, hooks);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kResourceExhausted);
}

// Checkpoints (finished segments kept across restarts): a segmented job saves each segment it
// proves; an attempt given some back proves only the others, and its bundle is the same and
// verifies. Checkpoints that do not parse, belong to another run or do not fit are discarded
// and their segments proved again; one that claims the run but holds another run's segment is
// never trusted either (the prover's boundary check or the self-check catches it).
TEST_F(ZkwasmEngineTest, SavedSegmentsAreReusedOnlyWhenTheyBelongToTheRun) {
  EngineOptions eo;
  eo.segment_log = 5;  // sum(10): about 110 rows, 4+ segments
  auto eng = make_engine(JobKind::kZkwasmTrace, eo);
  auto trace = testing::record_trace(module_, "sum", {10});
  ASSERT_TRUE(trace);
  EngineJob j =
      job(JobKind::kZkwasmTrace, R"({"entry":"sum","args":[10],"preset":"test"})", *trace);
  j.input_hash = "0a";
  auto attempt = [&](const EngineJob& ej, const Pieces& given) {
    return prove_with_pieces(*eng, ej, given);
  };
  const Attempt first = attempt(j, {});
  ASSERT_FALSE(first.proof.empty());
  auto b = zkwasm::deserialize_bundle(first.proof);
  ASSERT_TRUE(b.is_ok());
  const uint32_t n = uint32_t(b->segments.size());
  ASSERT_GE(n, 3u);
  ASSERT_EQ(first.saved.size(), n);
  EXPECT_EQ(first.reused, -1) << "nothing was given back";
  const Hash256 run = zkwasm_run_digest(j, 5);
  for (const auto& [i, bytes] : first.saved) {
    auto c = parse_zkwasm_checkpoint(bytes);
    ASSERT_TRUE(c) << c.error().to_string();
    EXPECT_EQ(c->run, run);
    EXPECT_EQ(c->index, i);
    EXPECT_EQ(c->count, n);
    EXPECT_EQ(serialize_proof(c->segment.proof), serialize_proof(b->segments[i].proof));
  }

  // The parser names what is wrong and never crashes on cut or altered bytes.
  const std::vector<uint8_t>& good = first.saved.at(1);
  for (size_t cut : {size_t(0), size_t(7), size_t(40), size_t(47), size_t(60), size_t(100),
                     good.size() / 2, good.size() - 1}) {
    EXPECT_FALSE(parse_zkwasm_checkpoint(std::span<const uint8_t>(good.data(), cut))) << cut;
  }
  auto expect_refused = [](std::vector<uint8_t> bytes, const std::string& names) {
    auto r = parse_zkwasm_checkpoint(bytes);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find(names), std::string::npos) << r.error().message;
  };
  auto altered = good;
  altered[0] ^= 1;
  expect_refused(altered, "magic");
  altered = good;
  altered[8 + 32] = uint8_t(n + 2);  // segment n+2 of n
  expect_refused(altered, "segment " + std::to_string(n + 2) + " of " + std::to_string(n));
  altered = good;
  altered.push_back(0);
  expect_refused(altered, "proof length");

  // Restarted after two segments: only the others are proved, the bundle is the same.
  const Attempt resumed = attempt(j, {{0, first.saved.at(0)}, {1, first.saved.at(1)}});
  EXPECT_EQ(resumed.reused, 2);
  EXPECT_EQ(resumed.saved.size(), n - 2);
  EXPECT_EQ(resumed.saved.count(0) + resumed.saved.count(1), 0u);
  EXPECT_EQ(resumed.proof, first.proof);
  auto rb = zkwasm::deserialize_bundle(resumed.proof);
  ASSERT_TRUE(rb.is_ok());
  ASSERT_TRUE(zkwasm::verify(*program_, *rb).is_ok());

  // Another run's segments: a job of sum(11) with its own digest, and one re-labelled with
  // this run's digest (the forgery a corrupted store could hold).
  auto trace11 = testing::record_trace(module_, "sum", {11});
  ASSERT_TRUE(trace11);
  EngineJob other =
      job(JobKind::kZkwasmTrace, R"({"entry":"sum","args":[11],"preset":"test"})", *trace11);
  other.input_hash = "0b";
  const Attempt theirs = attempt(other, {});
  ASSERT_GE(theirs.saved.size(), 3u);
  auto forged = parse_zkwasm_checkpoint(theirs.saved.at(2));
  ASSERT_TRUE(forged);
  forged->run = run;
  std::vector<uint8_t> truncated = first.saved.at(0);
  truncated.resize(truncated.size() / 2);
  std::vector<uint8_t> misplaced = first.saved.at(1);  // segment 1 offered as segment 3
  const Attempt bad = attempt(j, {{0, truncated},
                                  {1, theirs.saved.at(1)},
                                  {2, serialize_zkwasm_checkpoint(*forged)},
                                  {3, misplaced}});
  EXPECT_EQ(bad.reused, 0);
  EXPECT_EQ(bad.saved.size(), n);
  EXPECT_EQ(bad.proof, first.proof);
}

// Checkpoints of segments that end inside a call's rows carry the exit cursor (format v2): an
// output_write of 1 KiB at segment_log 5 ends most segments inside its I/O rows; a resumed job
// reuses every such checkpoint it is given. One with its cursor edited (still parsing) is not
// reused (its boundary differs from the run's), a cut or altered cursor is refused by name, and
// a v1 checkpoint (no cursor) is refused as such; their segments are proved again.
TEST_F(ZkwasmEngineTest, CheckpointsInsideACallsRowsKeepTheCursorAndAreReused) {
  auto wasm = testing::wat2wasm(R"((module
  (import "efaas" "output_write" (func $write (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "efaas_main") (result i32)
    (call $write (i32.const 0) (i32.const 1024))
    (i32.const 0))))");
  ASSERT_TRUE(wasm) << wasm.status().to_string();
  EngineOptions eo;
  eo.segment_log = 5;
  auto eng = make_engine(JobKind::kZkwasmTrace, eo);
  auto trace = testing::record_trace(*wasm, "efaas_main", {});
  ASSERT_TRUE(trace);
  EngineJob j = job(JobKind::kZkwasmTrace, R"({"preset":"test"})", *trace);
  j.artifact_path = dir_ + "/write.wasm";
  write(j.artifact_path, *wasm);
  j.input_hash = "0c";
  auto attempt = [&](const Pieces& given) { return prove_with_pieces(*eng, j, given); };
  const Attempt first = attempt({});
  ASSERT_FALSE(first.proof.empty());
  auto b = zkwasm::deserialize_bundle(first.proof);
  ASSERT_TRUE(b.is_ok());
  auto program = zkwasm::Program::load(*wasm);
  ASSERT_TRUE(program.is_ok());
  ASSERT_TRUE(zkwasm::verify(**program, *b).is_ok());
  const uint32_t n = uint32_t(b->segments.size());
  std::vector<std::pair<uint32_t, std::vector<uint8_t>>> inside;  // checkpoints with a cursor
  for (const auto& [i, bytes] : first.saved) {
    auto c = parse_zkwasm_checkpoint(bytes);
    ASSERT_TRUE(c) << c.error().to_string();
    if (i + 1 < n) {
      EXPECT_EQ(c->segment.exit, b->segments[i].exit) << "segment " << i;
    }
    if (c->segment.exit.io.active) inside.emplace_back(i, bytes);
  }
  std::printf("  %u segments, %zu end inside the output_write's rows\n", n, inside.size());
  ASSERT_GE(inside.size(), 3u);

  // Resumed with those: each reused, only the others proved, the same bundle.
  const Attempt resumed = attempt(inside);
  EXPECT_EQ(resumed.reused, int64_t(inside.size()));
  EXPECT_EQ(resumed.saved.size(), n - inside.size());
  EXPECT_EQ(resumed.proof, first.proof);

  // The cursor's bytes: flag at 88 (after magic, run, index, count and the exit state), then
  // direction, kind, address, index, bytes left.
  const auto [at, good] = inside[1];
  ASSERT_EQ(good[88], 1);
  auto refused = [](std::vector<uint8_t> bytes, const std::string& names) {
    auto r = parse_zkwasm_checkpoint(bytes);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find(names), std::string::npos) << r.error().message;
  };
  auto altered = good;
  altered[88] = 3;
  refused(altered, "exit cursor flag 3");
  altered = good;
  altered[89] = 2;
  refused(altered, "exit I/O cursor direction 2");
  altered = good;
  altered.erase(altered.begin() + 89);  // one byte short: the lengths no longer add up
  EXPECT_FALSE(parse_zkwasm_checkpoint(altered));
  altered = good;
  std::copy_n("EFZKSEG1", 8, altered.begin());
  refused(altered, "format v1");
  // Bytes left - 8 and address + 8: parses, but is not this run's boundary.
  altered = good;
  altered[99] -= 8;
  altered[91] += 8;
  auto moved = parse_zkwasm_checkpoint(altered);
  ASSERT_TRUE(moved) << moved.error().to_string();
  const Attempt bad = attempt({{at, altered}, {inside[0].first, inside[0].second}});
  EXPECT_EQ(bad.reused, 1);
  EXPECT_EQ(bad.saved.size(), n - 1);
  EXPECT_EQ(bad.saved.count(at), 1u);
  EXPECT_EQ(bad.proof, first.proof);
}

// A trace job's private input (EngineJob spec.private_input, from JobHeader.private_input): the
// run that read it proves with it, its digest public; without it, or with another one, the job
// fails with INVALID_ARGUMENT naming the read; the run digest (checkpoints) covers it.
TEST_F(ZkwasmEngineTest, TraceJobWithPrivateInputProves) {
  auto wasm = testing::wat2wasm(testing::kPrivateWat);
  ASSERT_TRUE(wasm) << wasm.status().to_string();
  wasm::ExtensionInput in;
  in.private_input = {0x41, 0x42, 0x43, 0x44, 0x45};
  auto trace = testing::record_trace_with_input(*wasm, "efaas_main", {}, in);
  ASSERT_TRUE(trace) << trace.status().to_string();
  auto eng = make_engine(JobKind::kZkwasmTrace, {});
  auto with = [&](std::optional<std::string> priv) {
    EngineJob j = job(JobKind::kZkwasmTrace, R"({"preset":"test"})", *trace);
    j.artifact_path = dir_ + "/private.wasm";
    write(j.artifact_path, *wasm);
    j.spec.private_input = std::move(priv);
    return j;
  };
  const EngineJob j = with(std::string("ABCDE"));
  auto proof = eng->prove(j, {});
  ASSERT_TRUE(proof) << proof.error().to_string();
  auto b = zkwasm::deserialize_bundle(*proof);
  ASSERT_TRUE(b.is_ok());
  auto program = zkwasm::Program::load(*wasm);
  ASSERT_TRUE(program.is_ok());
  auto pv = zkwasm::verify(**program, *b);
  ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
  EXPECT_TRUE(pv->private_digest.has_value());
  EXPECT_EQ(pv->output, std::vector<uint8_t>{0x42});
  auto v = eng->verify(j, *proof);
  ASSERT_TRUE(v);
  EXPECT_TRUE(*v);
  for (const auto& [priv, names] :
       {std::pair<std::optional<std::string>, std::string>{std::string("ABCDF"), "step"},
        {std::string("ABC"), "step"},
        {std::nullopt, "no private input"}}) {
    auto r = eng->prove(with(priv), {});
    ASSERT_FALSE(r) << "proved with private input " << priv.value_or("(none)");
    EXPECT_EQ(r.error().code, Code::kInvalidArgument) << r.error().to_string();
    EXPECT_NE(r.error().message.find(names), std::string::npos) << r.error().message;
    std::printf("  private input %-8s -> %s\n", priv.value_or("(none)").c_str(),
                r.error().message.c_str());
  }
  EXPECT_NE(zkwasm_run_digest(with(std::string("ABCDE")), 20),
            zkwasm_run_digest(with(std::string("ABCDF")), 20));
  EXPECT_NE(zkwasm_run_digest(with(std::string("")), 20),
            zkwasm_run_digest(with(std::nullopt), 20));
}

// The OpenCL device index reaches the STARK prover: an index the machine does not have fails
// the job with INVALID_ARGUMENT naming it (never a silent fall-back to device 0).
TEST_F(ZkwasmEngineTest, OpenClDeviceIndexReachesTheProver) {
  if (!resolve_backend(Backend::kOpenCl)) GTEST_SKIP() << "no OpenCL device here";
  auto eng = make_engine(JobKind::kZkwasmTrace, {});
  auto trace = testing::record_trace(module_, "sum", {3});
  ASSERT_TRUE(trace);
  EngineJob j = job(JobKind::kZkwasmTrace, R"({"entry":"sum","args":[3],"preset":"test"})", *trace);
  j.devices = {Backend::kOpenCl};
  j.opencl_devices = {40};
  auto r = eng->prove(j, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_NE(r.error().message.find("OpenCL device index 40"), std::string::npos)
      << r.error().message;
}

}  // namespace
}  // namespace efaas::farm
