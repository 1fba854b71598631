#include "node/prove/universal.hpp"

#include <algorithm>

#include "node/core/encoding.hpp"
#include "prover/fri/fri_params.hpp"
#include "prover/wasm/extension.hpp"

namespace efaas::node {

wasm::ExtensionInput extension_input(const Operation& op, const Address& sender, const Hash32& block) {
  wasm::ExtensionInput in;
  in.data = op.data;
  in.to = op.to;
  in.sender = sender;
  in.block_hash = block;
  return in;
}

std::string public_input_mismatch(std::span<const uint8_t> got, std::span<const uint8_t> want) {
  if (std::equal(got.begin(), got.end(), want.begin(), want.end())) return "";
  auto data_len = [](std::span<const uint8_t> b) -> int64_t {
    return b.size() < 4 ? -1 : int64_t(b[0] | b[1] << 8 | b[2] << 16 | uint32_t(b[3]) << 24);
  };
  const int64_t n = data_len(got), m = data_len(want);
  if (n != m || got.size() != want.size()) {
    return "Data length " + (n < 0 ? std::string("missing") : std::to_string(n)) + ", the Operation's " +
           std::to_string(m);
  }
  for (size_t i = 4; i < got.size(); ++i) {
    if (got[i] == want[i]) continue;
    const size_t at = i - 4 - size_t(n);  // offset past Data
    if (i < 4 + size_t(n)) return "Data byte " + std::to_string(i - 4);
    if (at < 20) return "To";
    if (at < 40) return "sender";
    return "ProcessedBlockHash";
  }
  return "";
}

Result<PostOp> make_universal_post_op(const Hash32& operation_hash, const Hash32& extension_id,
                                      std::span<const uint8_t> bundle, const Hash32& processed_block,
                                      const std::string& metadata_json) {
  auto b = zkwasm::deserialize_bundle(bundle);
  if (!b) return Status(b.status().code(), "the farm's bundle: " + b.status().message());
  Proof proof;
  proof.extension_id = extension_id;
  proof.inputs = b->publics.public_input;
  proof.output = b->publics.output;
  proof.proof_data.assign(bundle.begin(), bundle.end());
  proof.metadata = metadata_json;
  PostOp p;
  p.operation_hash = operation_hash;
  p.extension_id = extension_id;
  p.proof = encode(proof);
  p.data = proof.output;
  p.processed_block_hash = processed_block;
  return p;
}

UniversalCheck check_universal(const zkwasm::Program& program, const PostOp& p,
                               const zkwasm::VerifyOptions& verify, std::span<const uint8_t> public_input) {
  UniversalCheck out;
  auto invalid = [&](std::string why) {
    out.verdict = Verdict::kInvalid;
    out.diagnostics = "zkwasm: " + std::move(why);
    return out;
  };
  if (program.module_hash() != p.extension_id) {
    out.verdict = Verdict::kError;
    out.diagnostics = "zkwasm: the loaded module does not hash to the Extension id";
    return out;
  }
  auto proof = decode_proof(p.proof);
  if (!proof) return invalid("PostOp.proof: " + proof.status().message());
  if (proof->extension_id != p.extension_id) return invalid("Proof.extensionId differs from PostOp.extensionId");
  auto bundle = zkwasm::deserialize_bundle(proof->proof_data);
  if (!bundle) return invalid("Proof.proofData: " + bundle.status().message());
  auto pv = zkwasm::verify(program, *bundle, verify);
  if (!pv) {
    if (pv.status().code() == StatusCode::kInvalidArgument) return invalid(pv.status().message());
    out.verdict = Verdict::kError;
    out.diagnostics = "zkwasm verifier: " + pv.status().message();
    return out;
  }
  const wasm::Export* entry = program.module().find_export(wasm::kExtensionEntry);
  if (!entry || entry->kind != wasm::ExternKind::kFunc) {
    return invalid(std::string("the module exports no function ") + wasm::kExtensionEntry);
  }
  if (pv->entry_function != entry->index) {
    return invalid("the proof is of function " + std::to_string(pv->entry_function) + ", not " +
                   wasm::kExtensionEntry + " (" + std::to_string(entry->index) + ")");
  }
  if (pv->status != 0) return invalid("the proved run did not return normally");
  if (pv->results != std::vector<uint64_t>{0}) {
    return invalid("the proved run of efaas_main exited with code " +
                   (pv->results.empty() ? std::string("none") : std::to_string(int32_t(pv->results[0]))) +
                   ", not 0");
  }
  if (std::string why = public_input_mismatch(pv->public_input, public_input); !why.empty()) {
    return invalid("the proof's public input is not this Operation's (Data, To, sender) at the PostOp's "
                   "ProcessedBlockHash: " + why + " differs");
  }
  if (proof->inputs != pv->public_input) return invalid("Proof.inputs differ from the proof's public input");
  if (proof->output != pv->output) return invalid("Proof.output differs from the proof's output");
  if (p.data != proof->output) return invalid("PostOp.data differs from Proof.output");
  out.verdict = Verdict::kValid;
  double bits = 1e9;  // the weakest segment's
  for (const auto& seg : bundle->segments) bits = std::min(bits, conjectured_security_bits(seg.proof.params));
  out.diagnostics = "zkwasm ok: " + std::to_string(pv->instructions) + " instructions in " +
                    std::to_string(bundle->segments.size()) + " segment(s), " +
                    std::to_string(int(bits)) + " bits";
  out.publics = std::move(*pv);
  return out;
}

Result<std::shared_ptr<zkwasm::Program>> ProgramCache::get(const Hash32& id, const Fetch& fetch) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = programs_.find(id);
    if (it != programs_.end()) {
      it->second.first = ++tick_;
      return it->second.second;
    }
  }
  auto bytes = fetch();
  if (!bytes) return bytes.status();
  auto program = zkwasm::Program::load(*bytes);
  if (!program) return Status(program.status().code(), "module " + hex0x(id) + ": " + program.status().message());
  if ((*program)->module_hash() != id) {
    return invalid_argument("module " + hex0x(id) + ": keccak256 of its bytes is not the Extension id");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (programs_.size() >= capacity_) {
    auto oldest = programs_.begin();
    for (auto it = programs_.begin(); it != programs_.end(); ++it) {
      if (it->second.first < oldest->second.first) oldest = it;
    }
    programs_.erase(oldest);
  }
  programs_[id] = {++tick_, *program};
  return *program;
}

size_t ProgramCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return programs_.size();
}

}  // namespace efaas::node
