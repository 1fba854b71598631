#pragma once
// The WebAssembly spec tests (../shared/wasm-spec) as JSON commands for the zkWASM tests that
// prove their cases; the including test target defines EFAAS_DEFAULT_SHARED_DIR.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::zkwasm::spec_testing {

namespace fs = std::filesystem;

inline std::string shared_dir() {
  if (const char* d = std::getenv("EFAAS_SHARED_DIR")) return d;
  return EFAAS_DEFAULT_SHARED_DIR;
}

inline std::vector<uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// wasm-spec/<name>.wast converted by wast2json into `dir` (its modules land there too, named by
// the commands' "filename"), with wast2json's `flags`; a null value (and a test failure) when
// that fails.
inline nlohmann::json wast_commands(const fs::path& dir, const std::string& name,
                                    const std::string& flags = "") {
  const fs::path wast = fs::path(shared_dir()) / "wasm-spec" / (name + ".wast");
  EXPECT_TRUE(fs::exists(wast)) << wast;
  const std::string cmd = "cd '" + dir.string() + "' && wast2json " + flags + " '" +
                          wast.string() + "' -o " + name + ".json > /dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(dir / (name + ".json"));
  if (!in) return nullptr;
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
}

// The module of a spec "module" command (its file in `dir`), read into `bytes`: its program, or
// null when Program::load refuses it or it imports something (these tests run it standalone).
inline std::shared_ptr<Program> load_standalone_module(const fs::path& dir,
                                                       const nlohmann::json& command,
                                                       std::vector<uint8_t>& bytes) {
  bytes = read_bytes(dir / command["filename"].get<std::string>());
  auto p = Program::load(bytes);
  return p.is_ok() && (*p)->module().imports.empty() ? *p : nullptr;
}

}  // namespace efaas::zkwasm::spec_testing
