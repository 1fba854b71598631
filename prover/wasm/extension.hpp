#pragma once
// The Extension host interface (docs/wasm-abi.md): an Extension is a module that exports
// `efaas_main: () -> i32` and its memory, and imports from module "efaas":
//   input_size(kind i32) -> i32
//   input_read(kind i32, offset i32, dst i32, len i32) -> i32   bytes copied
//   output_write(src i32, len i32)
//   abort(code i32)                                             traps
// Input kinds: 0 Data, 1 To, 2 sender, 3 block hash (public), 4 private input (witness, never
// published). The bytes written with output_write become PostOp.Data.
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "prover/common/status.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/wasm/module.hpp"
#include "prover/wasm/trace.hpp"

namespace efaas::wasm {

enum class InputKind : uint32_t {
  kData = 0,
  kTo = 1,
  kSender = 2,
  kBlockHash = 3,
  kPrivate = 4,
};
inline constexpr uint32_t kInputKinds = 5;
inline bool is_public_input(InputKind k) {
  return k != InputKind::kPrivate;
}

struct ExtensionInput {
  std::vector<uint8_t> data;             // Operation.Data
  std::array<uint8_t, 20> to{};          // Operation.To
  std::array<uint8_t, 20> sender{};      // the Operation's signer
  std::array<uint8_t, 32> block_hash{};  // ProcessedBlockHash
  std::vector<uint8_t> private_input;    // witness: read by the module, not published

  std::span<const uint8_t> bytes(InputKind k) const;
};

// The public inputs in one canonical byte string (what the zkWASM layer commits to):
// u32 little-endian length of Data, Data, To, sender, block hash.
std::vector<uint8_t> encode_public_inputs(const ExtensionInput& in);
// The whole input (what a prover farm is sent to execute a module): the public inputs as above,
// then u32 little-endian length of the private input and its bytes. The decoder refuses
// truncation and trailing bytes, naming the field and its byte offset.
std::vector<uint8_t> encode_extension_input(const ExtensionInput& in);
Result<ExtensionInput> decode_extension_input(std::span<const uint8_t> bytes);

struct ExtensionConfig {
  uint64_t gas_limit = 10'000'000'000ull;
  uint32_t max_output_bytes = 1u << 20;
  RuntimeLimits limits;
  TraceWriter* trace = nullptr;  // begin() and finish() are called by run_extension
};

struct ExtensionResult {
  enum class Status { kOk, kExit, kTrap } status = Status::kOk;  // kExit: non-zero return
  int32_t exit_code = 0;
  TrapCode trap = TrapCode::kNone;
  std::string trap_message;
  std::vector<uint8_t> output;
  uint64_t gas_used = 0;
  uint64_t instructions = 0;
};
const char* extension_status_name(ExtensionResult::Status s);

// The "efaas" host functions over `input`, appending to `output`; for embedders that
// instantiate modules themselves.
void define_extension_host(Linker& linker, const ExtensionInput& input,
                           std::vector<uint8_t>& output, uint32_t max_output_bytes);

// Instantiates `module` with the host interface and runs efaas_main. Errors (bad module,
// missing entry point, unknown import) are Status; traps are results.
Result<ExtensionResult> run_extension(std::shared_ptr<const Module> module,
                                      const ExtensionInput& input,
                                      const ExtensionConfig& config = {});

inline constexpr const char* kExtensionEntry = "efaas_main";
inline constexpr const char* kHostModule = "efaas";

}  // namespace efaas::wasm
