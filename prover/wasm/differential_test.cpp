// Differential tests: the C programs in examples/extensions (compiled to wasm32 by clang) run
// on random inputs in this runtime and in Node.js's WebAssembly engine (node_oracle.cjs); the
// outputs and traps must agree. Both the raw `run` export and the Extension ABI (efaas_main
// with the input as Operation.Data, host functions implemented independently in JS) are
// compared.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "prover/common/rng.hpp"
#include "prover/wasm/extension.hpp"
#include "prover/wasm/instance.hpp"

namespace efaas::wasm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string to_hex(std::span<const uint8_t> b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t x : b) {
    s += d[x >> 4];
    s += d[x & 15];
  }
  return s;
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

// A trap class both engines can name.
std::string trap_class_of_node(const std::string& m) {
  if (m.find("unreachable") != std::string::npos) return "unreachable";
  if (m.find("by zero") != std::string::npos) return "divide by zero";
  if (m.find("unrepresentable") != std::string::npos) return "integer overflow";
  if (m.find("out of bounds") != std::string::npos) return "out of bounds";
  if (m.find("call stack") != std::string::npos) return "stack";
  if (m.find("abort") != std::string::npos) return "abort";
  return "other: " + m;
}
std::string trap_class(TrapCode t) {
  switch (t) {
    case TrapCode::kUnreachable:
      return "unreachable";
    case TrapCode::kIntegerDivideByZero:
      return "divide by zero";
    case TrapCode::kIntegerOverflow:
      return "integer overflow";
    case TrapCode::kMemoryOutOfBounds:
      return "out of bounds";
    case TrapCode::kCallStackExhausted:
      return "stack";
    case TrapCode::kHostAbort:
      return "abort";
    default:
      return std::string("other: ") + trap_reason(t);
  }
}

struct Outcome {
  std::string trap;  // empty when it returned
  std::string output;
  int32_t exit = 0;
  bool operator==(const Outcome&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  if (!o.trap.empty()) return os << "trap(" << o.trap << ")";
  return os << "exit " << o.exit << " output " << o.output;
}

// Runs `input` through the module's `run` export in this runtime.
Outcome run_ours(const std::shared_ptr<const Module>& m, const std::vector<uint8_t>& input) {
  Outcome o;
  ExtensionInput none;
  std::vector<uint8_t> sink;
  Linker linker;
  define_extension_host(linker, none, sink, 1u << 20);
  auto inst = Instance::instantiate(m, linker);
  EXPECT_TRUE(inst.is_ok()) << inst.status().to_string();
  if (!inst) return o;
  Instance& I = **inst;
  auto ptr = I.invoke_export("io_buffer", {});
  EXPECT_TRUE(ptr.is_ok() && ptr->trap == TrapCode::kNone);
  const uint32_t at = uint32_t(ptr->results[0]);
  std::copy(input.begin(), input.end(), I.memory()->bytes.begin() + at);
  const uint64_t len = input.size();
  auto r = I.invoke_export("run", std::span<const uint64_t>(&len, 1));
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  if (!r) return o;
  if (r->trap != TrapCode::kNone) {
    o.trap = trap_class(r->trap);
    return o;
  }
  const uint32_t n = uint32_t(r->results[0]);
  auto out = I.invoke_export("out_buffer", {});
  const uint32_t op = uint32_t(out->results[0]);
  o.output = to_hex(std::span<const uint8_t>(I.memory()->bytes.data() + op, n));
  return o;
}

Outcome main_ours(const std::shared_ptr<const Module>& m, const std::vector<uint8_t>& input) {
  Outcome o;
  ExtensionInput in;
  in.data = input;
  auto r = run_extension(m, in);
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  if (!r) return o;
  if (r->status == ExtensionResult::Status::kTrap) {
    o.trap = trap_class(r->trap);
    return o;
  }
  o.exit = r->exit_code;
  o.output = to_hex(r->output);
  return o;
}

std::vector<Outcome> run_node(const std::string& wasm, const json& jobs) {
  char tmpl[] = "/tmp/efaas-diff-XXXXXX";
  EXPECT_NE(mkdtemp(tmpl), nullptr);
  const fs::path dir = tmpl;
  { std::ofstream(dir / "jobs.json") << jobs.dump(); }
  const std::string cmd = "node '" EFAAS_NODE_ORACLE "' '" + wasm + "' < '" +
                          (dir / "jobs.json").string() + "' > '" + (dir / "out.json").string() +
                          "'";
  const int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << "node failed: " << cmd;
  std::vector<Outcome> out;
  std::ifstream in(dir / "out.json");
  json j = json::parse(in, nullptr, false);
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (j.is_discarded()) {
    ADD_FAILURE() << "node printed no JSON";
    return out;
  }
  for (const json& r : j) {
    Outcome o;
    if (r.contains("trap")) {
      o.trap = trap_class_of_node(r["trap"].get<std::string>());
    } else {
      o.output = r["output"].get<std::string>();
      o.exit = r["exit"].get<int32_t>();
    }
    out.push_back(o);
  }
  return out;
}

std::vector<uint8_t> random_bytes(Rng& rng, size_t n) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = uint8_t(rng.next_u32());
  return v;
}

// Inputs per program: random, plus the edge cases that must trap.
std::vector<std::vector<uint8_t>> inputs_for(const std::string& program, Rng& rng) {
  std::vector<std::vector<uint8_t>> v;
  if (program == "sha256" || program == "keccak256") {
    for (size_t n : {0, 1, 55, 56, 63, 64, 135, 136, 137}) v.push_back(random_bytes(rng, n));
    for (int i = 0; i < 12; ++i) v.push_back(random_bytes(rng, rng.uniform(3000)));
  } else if (program == "modexp") {
    for (int i = 0; i < 10; ++i) v.push_back(random_bytes(rng, 96));
    std::vector<uint8_t> small = random_bytes(rng, 96);  // small modulus, short exponent
    for (int k = 64; k < 95; ++k) small[size_t(k)] = 0;
    v.push_back(small);
    std::vector<uint8_t> zero_mod = random_bytes(rng, 96);
    for (int k = 64; k < 96; ++k) zero_mod[size_t(k)] = 0;
    v.push_back(zero_mod);               // traps: zero modulus
    v.push_back(random_bytes(rng, 95));  // traps: wrong length
  } else if (program == "sort") {
    for (int i = 0; i < 15; ++i) v.push_back(random_bytes(rng, 4 * rng.uniform(2000)));
  } else if (program == "interp") {
    v.push_back({0x00, 0x05, 0x00, 0x00, 0x04});                    // 5 / 0: divide by zero
    v.push_back({0x00, 0x80, 0x0b, 0x00, 0x1f});                    // builds INT_MIN ...
    v.push_back({0x00, 0x01, 0x00, 0x1f, 0x0b, 0x00, 0xff, 0x04});  // INT_MIN / -1: overflow
    v.push_back({0x00, 0x30, 0x06, 0x0d, 0x09, 0x08, 0x03});        // a loop
    for (int i = 0; i < 40; ++i) {
      std::vector<uint8_t> p = random_bytes(rng, 1 + rng.uniform(200));
      for (auto& b : p) {
        if (b == 0xFF && rng.uniform(4) != 0) b = 0x0E;  // keep most runs going
      }
      v.push_back(p);
    }
  }
  return v;
}

class WasmDifferential : public ::testing::TestWithParam<std::string> {};

TEST_P(WasmDifferential, MatchesNode) {
  const std::string name = GetParam();
  const std::string wasm = std::string(EFAAS_WASM_DIR) + "/" + name + ".wasm";
  const std::vector<uint8_t> bytes = read_bytes(wasm);
  ASSERT_FALSE(bytes.empty()) << "missing " << wasm << " (built by examples/extensions)";
  auto m = load_module(bytes);
  ASSERT_TRUE(m.is_ok()) << m.status().to_string();
  Rng rng(test_seed("Differential." + name));
  const std::vector<std::vector<uint8_t>> inputs = inputs_for(name, rng);
  json jobs = json::array();
  for (const auto& in : inputs) jobs.push_back({{"mode", "run"}, {"input", to_hex(in)}});
  for (size_t i = 0; i < 3 && i < inputs.size(); ++i) {
    jobs.push_back({{"mode", "main"}, {"input", to_hex(inputs[i])}});
  }
  const std::vector<Outcome> node = run_node(wasm, jobs);
  ASSERT_EQ(node.size(), jobs.size());
  int traps = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Outcome ours = run_ours(*m, inputs[i]);
    EXPECT_EQ(ours, node[i]) << name << " input " << i << " (" << inputs[i].size() << " bytes)";
    traps += !ours.trap.empty();
  }
  for (size_t i = 0; i + inputs.size() < jobs.size(); ++i) {
    const Outcome ours = main_ours(*m, inputs[i]);
    EXPECT_EQ(ours, node[inputs.size() + i]) << name << " efaas_main, input " << i;
  }
  if (name == "modexp" || name == "interp") {
    EXPECT_GE(traps, 2) << "the trap cases must trap in both engines";
  }
}

INSTANTIATE_TEST_SUITE_P(Programs, WasmDifferential,
                         ::testing::Values("sha256", "keccak256", "modexp", "sort", "interp"));

}  // namespace
}  // namespace efaas::wasm
