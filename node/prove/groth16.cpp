#include "node/prove/groth16.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "prover/hash/keccak.hpp"

extern char** environ;

namespace efaas::node {
namespace fs = std::filesystem;
namespace {

Bytes read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Status write_file(const fs::path& p, std::span<const uint8_t> b) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
  return out ? Status::ok() : internal_error("cannot write " + p.string());
}

// A scratch directory removed on scope exit.
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::string t = (fs::temp_directory_path() / "efaas-wtns-XXXXXX").string();
    if (mkdtemp(t.data())) path = t;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

}  // namespace

Result<CircuitManifest> parse_circuit_manifest(std::span<const uint8_t> module) {
  auto j = nlohmann::json::parse(module.begin(), module.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid_argument("circuit manifest: not a JSON object");
  if (!j.contains("efaas") || !j["efaas"].is_string() || j["efaas"].get<std::string>() != kCircuitManifestFormat) {
    return invalid_argument(std::string("circuit manifest: \"efaas\" must be \"") + kCircuitManifestFormat + "\"");
  }
  CircuitManifest m;
  for (auto [key, out] : {std::pair<const char*, Hash32*>{"wasm", &m.wasm}, {"zkey", &m.zkey}}) {
    if (!j.contains(key) || !j[key].is_string()) {
      return invalid_argument(std::string("circuit manifest.") + key + ": expected a 0x-prefixed keccak256");
    }
    auto h = parse_hash32(j[key].get<std::string>(), std::string("circuit manifest.") + key);
    if (!h) return h.status();
    *out = *h;
  }
  return m;
}

Bytes circuit_manifest_bytes(const CircuitManifest& m) {
  std::string s = nlohmann::json{{"efaas", kCircuitManifestFormat}, {"wasm", hex0x(m.wasm)}, {"zkey", hex0x(m.zkey)}}
                      .dump();
  return Bytes(s.begin(), s.end());
}

Result<Bytes> find_artifact(const std::string& dir, const Hash32& hash, const std::string& ext) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file() || e.path().extension() != ext) continue;
    Bytes b = read_file(e.path());
    if (keccak(b) == hash) return b;
  }
  if (ec) return unavailable("circuit artifacts directory " + dir + ": " + ec.message());
  return invalid_argument("no " + ext + " file with keccak256 " + hex0x(hash) + " in " + dir);
}

Result<Bytes> calculate_witness(const std::string& snarkjs, std::span<const uint8_t> circuit_wasm,
                                std::string_view input_json, double timeout_s) {
  auto input = nlohmann::json::parse(input_json, nullptr, false);
  if (input.is_discarded() || !input.is_object()) {
    return invalid_argument("the Operation's Data is not a JSON object of circuit inputs");
  }
  ScratchDir dir;
  if (dir.path.empty()) return internal_error("cannot create a scratch directory for the witness");
  EFAAS_RETURN_IF_ERROR(write_file(dir.path / "circuit.wasm", circuit_wasm));
  const std::string in_text = input.dump();
  EFAAS_RETURN_IF_ERROR(write_file(dir.path / "input.json",
                                   std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(in_text.data()),
                                                            in_text.size())));
  const std::string log = (dir.path / "snarkjs.log").string();
  std::vector<std::string> args = {snarkjs, "wtns", "calculate", (dir.path / "circuit.wasm").string(),
                                   (dir.path / "input.json").string(), (dir.path / "out.wtns").string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, snarkjs.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return unavailable("cannot start " + snarkjs + ": " + std::strerror(rc));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return unavailable("snarkjs wtns calculate ran past " + std::to_string(int(timeout_s)) + " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Bytes out = read_file(dir.path / "out.wtns");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || out.empty()) {
    Bytes msg = read_file(log);
    std::string text(msg.begin(), msg.begin() + std::min<size_t>(msg.size(), 600));
    return invalid_argument("snarkjs wtns calculate failed (the input does not satisfy the circuit?): " + text);
  }
  return out;
}

Result<ContractGroth16> contract_encoding(const std::string& farm_proof_json) {
  auto j = nlohmann::json::parse(farm_proof_json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("proof") || !j.contains("public")) {
    return invalid_argument("farm groth16 proof: expected {\"proof\":..., \"public\":[...]}");
  }
  const auto& p = j["proof"];
  auto num = [](const nlohmann::json& v, const char* what) -> Result<U256> {
    if (!v.is_string()) return invalid_argument(std::string("farm groth16 proof.") + what + ": expected a decimal string");
    return U256::parse(v.get<std::string>(), what);
  };
  // snarkjs point order; b's Fp2 coordinates swapped ([c1, c0]) as the EVM precompile takes them.
  const std::vector<std::pair<std::vector<std::string>, const char*>> path = {
      {{"pi_a", "0"}, "pi_a[0]"},          {{"pi_a", "1"}, "pi_a[1]"},
      {{"pi_b", "0", "1"}, "pi_b[0][1]"}, {{"pi_b", "0", "0"}, "pi_b[0][0]"},
      {{"pi_b", "1", "1"}, "pi_b[1][1]"}, {{"pi_b", "1", "0"}, "pi_b[1][0]"},
      {{"pi_c", "0"}, "pi_c[0]"},          {{"pi_c", "1"}, "pi_c[1]"}};
  ContractGroth16 out;
  for (const auto& [keys, what] : path) {
    const nlohmann::json* v = &p;
    for (const auto& k : keys) {
      if (v->is_object() && v->contains(k)) v = &(*v)[k];
      else if (v->is_array() && v->size() > std::stoul(k)) v = &(*v)[std::stoul(k)];
      else return invalid_argument(std::string("farm groth16 proof.") + what + ": missing");
    }
    auto n = num(*v, what);
    if (!n) return n.status();
    out.proof.insert(out.proof.end(), n->be.begin(), n->be.end());
  }
  const auto& pub = j["public"];
  if (!pub.is_array() || pub.empty()) return invalid_argument("farm groth16 proof.public: expected a non-empty array");
  auto word = [&](const U256& w) { out.data.insert(out.data.end(), w.be.begin(), w.be.end()); };
  word(U256::from_u64(32));
  word(U256::from_u64(pub.size()));
  for (const auto& v : pub) {
    auto n = num(v, "public");
    if (!n) return n.status();
    word(*n);
  }
  return out;
}

}  // namespace efaas::node
