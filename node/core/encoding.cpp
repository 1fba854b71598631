#include "node/core/encoding.hpp"

#include <set>

#include "prover/common/bytes.hpp"

namespace efaas::node {
namespace {

constexpr std::string_view kOperationTag = "eOP1";
constexpr std::string_view kPostOpTag = "ePO1";
constexpr std::string_view kProofTag = "ePF1";
constexpr std::string_view kRequestTag = "eRQ1";
constexpr std::string_view kResponseTag = "eRS1";

class Writer {
 public:
  explicit Writer(std::string_view tag) { w_.raw(tag); }
  template <size_t N>
  void fixed(const std::array<uint8_t, N>& a) { w_.bytes(a); }
  void u256(const U256& v) { w_.bytes(v.be); }
  void u64(uint64_t v) { w_.u64(v); }
  void u8(uint8_t v) { w_.u8(v); }
  void var(std::span<const uint8_t> b) {
    w_.u32(uint32_t(b.size()));
    w_.bytes(b);
  }
  void text(std::string_view s) {
    w_.u32(uint32_t(s.size()));
    w_.raw(s);
  }
  Bytes take() { return w_.take(); }

 private:
  ByteWriter w_;
};

class Reader {
 public:
  Reader(std::span<const uint8_t> in, std::string_view tag, std::string_view type) : r_(in), type_(type) {
    status_ = r_.expect(tag, std::string(type) + " tag");
  }
  template <size_t N>
  void fixed(std::array<uint8_t, N>& a, std::string_view what) {
    if (status_.is_ok()) status_ = r_.bytes(a, name(what));
  }
  void u256(U256& v, std::string_view what) { fixed(v.be, what); }
  void u64(uint64_t& v, std::string_view what) {
    if (status_.is_ok()) status_ = r_.u64(v, name(what));
  }
  void u8(uint8_t& v, std::string_view what) {
    if (status_.is_ok()) status_ = r_.u8(v, name(what));
  }
  void var(Bytes& b, size_t max, std::string_view what) {
    uint32_t n = 0;
    if (status_.is_ok()) status_ = r_.count(n, uint32_t(max), name(what) + " length");
    if (!status_.is_ok()) return;
    b.resize(n);
    status_ = r_.bytes(b, name(what));
  }
  void text(std::string& s, size_t max, std::string_view what) {
    Bytes b;
    var(b, max, what);
    s.assign(b.begin(), b.end());
  }
  Status finish() {
    if (status_.is_ok()) status_ = r_.finish(type_);
    return status_;
  }

 private:
  std::string name(std::string_view what) const { return std::string(type_) + "." + std::string(what); }
  ByteReader r_;
  std::string_view type_;
  Status status_;
};

void write_post_op_fields(Writer& w, const PostOp& v) {
  w.fixed(v.operation_hash);
  w.fixed(v.extension_id);
  w.var(v.proof);
  w.var(v.data);
  w.fixed(v.processed_block_hash);
}

void read_post_op_fields(Reader& r, PostOp& v) {
  r.fixed(v.operation_hash, "operationHash");
  r.fixed(v.extension_id, "extensionId");
  r.var(v.proof, kMaxProofBytes, "proof");
  r.var(v.data, kMaxDataBytes, "data");
  r.fixed(v.processed_block_hash, "processedBlockHash");
}

Bytes encode_request(const ProofVerificationRequest& v, bool with_hash) {
  Writer w(kRequestTag);
  w.fixed(v.request_id);
  w.fixed(v.sender_node_id);
  w.fixed(v.operation_id);
  write_post_op_fields(w, v.post_op);
  w.u64(v.timestamp);
  w.text(v.metadata);
  if (with_hash) w.fixed(v.request_hash);
  return w.take();
}

// --- JSON helpers: every error names the field.
Status check_keys(const nlohmann::json& j, std::string_view type, std::initializer_list<std::string_view> keys) {
  if (!j.is_object()) return invalid_argument(std::string(type) + ": expected a JSON object");
  std::set<std::string_view> allowed(keys);
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!allowed.count(it.key())) return invalid_argument(std::string(type) + ": unknown field '" + it.key() + "'");
  }
  for (auto k : keys) {
    if (!j.contains(std::string(k))) return invalid_argument(std::string(type) + ": missing field '" + std::string(k) + "'");
  }
  return Status::ok();
}

Result<std::string> str_field(const nlohmann::json& j, std::string_view type, std::string_view key) {
  const auto& v = j.at(std::string(key));
  if (!v.is_string()) return invalid_argument(std::string(type) + "." + std::string(key) + ": expected a string");
  return v.get<std::string>();
}

#define EFAAS_JSON_FIELD(var, parser, type, key)                      \
  do {                                                                      \
    auto s_ = str_field(j, type, key);                                      \
    if (!s_) return s_.status();                                            \
    auto p_ = parser(*s_, std::string(type) + "." + key);       \
    if (!p_) return p_.status();                                            \
    var = std::move(*p_);                                                   \
  } while (0)

Result<Bytes> parse_bounded_hex(std::string_view s, const std::string& what, size_t max) {
  if (s.size() > 2 + 2 * max) return out_of_range(what + ": longer than " + std::to_string(max) + " bytes");
  return parse_hex(s, what);
}

}  // namespace

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kValid: return "VALID";
    case Verdict::kInvalid: return "INVALID";
    case Verdict::kError: return "ERROR";
  }
  return "UNKNOWN";
}

U256 max_fee_of(const Operation& op) {
  U256 v;
  if (op.gas_management_data.size() >= 32) std::copy_n(op.gas_management_data.begin(), 32, v.be.begin());
  return v;
}

Bytes encode(const Operation& v) {
  Writer w(kOperationTag);
  w.fixed(v.extension_id);
  w.fixed(v.to);
  w.u256(v.gas);
  w.var(v.gas_management_data);
  w.var(v.data);
  w.var(v.sig);
  w.fixed(v.block_hash);
  return w.take();
}

Bytes encode(const PostOp& v) {
  Writer w(kPostOpTag);
  write_post_op_fields(w, v);
  return w.take();
}

Bytes encode(const Proof& v) {
  Writer w(kProofTag);
  w.fixed(v.extension_id);
  w.var(v.inputs);
  w.var(v.output);
  w.var(v.proof_data);
  w.text(v.metadata);
  return w.take();
}

Bytes encode(const ProofVerificationRequest& v) { return encode_request(v, true); }

Bytes encode(const ProofVerificationResponse& v) {
  Writer w(kResponseTag);
  w.fixed(v.request_id);
  w.fixed(v.responder_node_id);
  w.u8(uint8_t(v.verdict));
  w.var(v.signature);
  w.text(v.diagnostics);
  w.u64(v.timestamp);
  return w.take();
}

Hash32 compute_request_hash(const ProofVerificationRequest& r) { return keccak(encode_request(r, false)); }

Result<Operation> decode_operation(std::span<const uint8_t> in) {
  Operation v;
  Reader r(in, kOperationTag, "Operation");
  r.fixed(v.extension_id, "extensionId");
  r.fixed(v.to, "to");
  r.u256(v.gas, "gas");
  r.var(v.gas_management_data, kMaxDataBytes, "gasManagementData");
  r.var(v.data, kMaxDataBytes, "data");
  r.var(v.sig, 65, "sig");
  r.fixed(v.block_hash, "blockHash");
  EFAAS_RETURN_IF_ERROR(r.finish());
  return v;
}

Result<PostOp> decode_post_op(std::span<const uint8_t> in) {
  PostOp v;
  Reader r(in, kPostOpTag, "PostOp");
  read_post_op_fields(r, v);
  EFAAS_RETURN_IF_ERROR(r.finish());
  return v;
}

Result<Proof> decode_proof(std::span<const uint8_t> in) {
  Proof v;
  Reader r(in, kProofTag, "Proof");
  r.fixed(v.extension_id, "extensionId");
  r.var(v.inputs, kMaxDataBytes, "inputs");
  r.var(v.output, kMaxDataBytes, "output");
  r.var(v.proof_data, kMaxProofBytes, "proofData");
  r.text(v.metadata, kMaxTextBytes, "metadata");
  EFAAS_RETURN_IF_ERROR(r.finish());
  return v;
}

Result<ProofVerificationRequest> decode_request(std::span<const uint8_t> in) {
  ProofVerificationRequest v;
  Reader r(in, kRequestTag, "ProofVerificationRequest");
  r.fixed(v.request_id, "requestId");
  r.fixed(v.sender_node_id, "senderNodeId");
  r.fixed(v.operation_id, "operationId");
  read_post_op_fields(r, v.post_op);
  r.u64(v.timestamp, "timestamp");
  r.text(v.metadata, kMaxTextBytes, "metadata");
  r.fixed(v.request_hash, "requestHash");
  EFAAS_RETURN_IF_ERROR(r.finish());
  if (compute_request_hash(v) != v.request_hash) {
    return invalid_argument("ProofVerificationRequest.requestHash does not match its contents");
  }
  return v;
}

Result<ProofVerificationResponse> decode_response(std::span<const uint8_t> in) {
  ProofVerificationResponse v;
  Reader r(in, kResponseTag, "ProofVerificationResponse");
  uint8_t verdict = 0;
  r.fixed(v.request_id, "requestId");
  r.fixed(v.responder_node_id, "responderNodeId");
  r.u8(verdict, "verdict");
  r.var(v.signature, 65, "signature");
  r.text(v.diagnostics, kMaxTextBytes, "diagnostics");
  r.u64(v.timestamp, "timestamp");
  EFAAS_RETURN_IF_ERROR(r.finish());
  if (verdict < 1 || verdict > 3) {
    return invalid_argument("ProofVerificationResponse.verdict: " + std::to_string(verdict) +
                            " is not 1 (VALID), 2 (INVALID) or 3 (ERROR)");
  }
  v.verdict = Verdict(verdict);
  return v;
}

nlohmann::json to_json(const Operation& v) {
  return {{"extensionId", hex0x(v.extension_id)},
          {"to", address_to_string(v.to)},
          {"gas", v.gas.to_quantity()},
          {"gasManagementData", hex0x(v.gas_management_data)},
          {"data", hex0x(v.data)},
          {"blockHash", hex0x(v.block_hash)},
          {"sig", hex0x(v.sig)}};
}

nlohmann::json to_json(const PostOp& v) {
  return {{"operationHash", hex0x(v.operation_hash)},
          {"extensionId", hex0x(v.extension_id)},
          {"proof", hex0x(v.proof)},
          {"data", hex0x(v.data)},
          {"processedBlockHash", hex0x(v.processed_block_hash)}};
}

nlohmann::json to_json(const ProofVerificationResponse& v) {
  return {{"requestId", hex0x(v.request_id)},
          {"responderNodeId", address_to_string(v.responder_node_id)},
          {"verdict", int(v.verdict)},
          {"verdictName", verdict_name(v.verdict)},
          {"signature", hex0x(v.signature)},
          {"diagnostics", v.diagnostics},
          {"timestamp", v.timestamp}};
}

Result<Operation> operation_from_json(const nlohmann::json& j) {
  constexpr std::string_view t = "operation";
  EFAAS_RETURN_IF_ERROR(check_keys(j, t, {"extensionId", "to", "gas", "gasManagementData", "data", "blockHash", "sig"}));
  Operation op;
  auto data_parser = [](std::string_view s, const std::string& what) { return parse_bounded_hex(s, what, kMaxDataBytes); };
  EFAAS_JSON_FIELD(op.extension_id, parse_hash32, t, "extensionId");
  EFAAS_JSON_FIELD(op.to, parse_address, t, "to");
  EFAAS_JSON_FIELD(op.gas, U256::parse, t, "gas");
  EFAAS_JSON_FIELD(op.gas_management_data, data_parser, t, "gasManagementData");
  EFAAS_JSON_FIELD(op.data, data_parser, t, "data");
  EFAAS_JSON_FIELD(op.block_hash, parse_hash32, t, "blockHash");
  EFAAS_JSON_FIELD(op.sig, data_parser, t, "sig");
  if (op.sig.size() != 65) {
    return invalid_argument("operation.sig: expected 65 bytes (r || s || v), got " + std::to_string(op.sig.size()));
  }
  return op;
}

Result<PostOp> post_op_from_json(const nlohmann::json& j) {
  constexpr std::string_view t = "postOp";
  EFAAS_RETURN_IF_ERROR(check_keys(j, t, {"operationHash", "extensionId", "proof", "data", "processedBlockHash"}));
  PostOp p;
  auto data_parser = [](std::string_view s, const std::string& what) { return parse_bounded_hex(s, what, kMaxDataBytes); };
  auto proof_parser = [](std::string_view s, const std::string& what) { return parse_bounded_hex(s, what, kMaxProofBytes); };
  EFAAS_JSON_FIELD(p.operation_hash, parse_hash32, t, "operationHash");
  EFAAS_JSON_FIELD(p.extension_id, parse_hash32, t, "extensionId");
  EFAAS_JSON_FIELD(p.proof, proof_parser, t, "proof");
  EFAAS_JSON_FIELD(p.data, data_parser, t, "data");
  EFAAS_JSON_FIELD(p.processed_block_hash, parse_hash32, t, "processedBlockHash");
  return p;
}

}  // namespace efaas::node
