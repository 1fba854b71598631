#include "node/prove/universal.hpp"

#include "node/core/encoding.hpp"
#include "prover/fri/fri_params.hpp"
#include "prover/wasm/extension.hpp"

namespace efaas::node {

Bytes encode_values(std::span<const uint64_t> values) {
  Bytes out;
  out.reserve(values.size() * 8);
  for (uint64_t v : values) {
    for (int i = 0; i < 8; ++i) out.push_back(uint8_t(v >> (8 * i)));
  }
  return out;
}

Result<PostOp> make_universal_post_op(const Hash32& operation_hash, const Hash32& extension_id,
                                      std::span<const uint8_t> bundle, const Hash32& processed_block,
                                      const std::string& metadata_json) {
  auto b = zkwasm::deserialize_bundle(bundle);
  if (!b) return Status(b.status().code(), "the farm's bundle: " + b.status().message());
  Proof proof;
  proof.extension_id = extension_id;
  proof.inputs = encode_values(b->publics.args);
  proof.output = encode_values(b->publics.results);
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

UniversalCheck check_universal(const zkwasm::Program& program, const PostOp& p, double min_security_bits) {
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
  zkwasm::VerifyOptions vo;
  vo.min_security_bits = min_security_bits;
  auto pv = zkwasm::verify(program, *bundle, vo);
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
  if (proof->inputs != encode_values(pv->args)) return invalid("Proof.inputs differ from the proof's arguments");
  if (proof->output != encode_values(pv->results)) return invalid("Proof.output differs from the proof's results");
  if (p.data != proof->output) return invalid("PostOp.data differs from Proof.output");
  out.verdict = Verdict::kValid;
  out.diagnostics = "zkwasm ok: " + std::to_string(pv->instructions) + " instructions, " +
                    std::to_string(int(conjectured_security_bits(bundle->proof.params))) + " bits";
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
