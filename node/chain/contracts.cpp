#include "node/chain/contracts.hpp"

#include "node/chain/abi.hpp"

namespace efaas::node {
namespace {

constexpr size_t kMaxActiveNodes = 100000;

}  // namespace

Result<uint64_t> RegistryClient::count() {
  auto r = eth_.eth_call(registry_, AbiEncoder("extensionCount()").finish());
  if (!r) return r.status();
  return AbiDecoder(*r).uint64(0);
}

Result<Hash32> RegistryClient::id_at(uint64_t index) {
  auto r = eth_.eth_call(registry_, AbiEncoder("extensionIdAt(uint256)").uint(index).finish());
  if (!r) return r.status();
  return AbiDecoder(*r).word(0);
}

Result<std::pair<bool, ExtensionEntry>> RegistryClient::info(const Hash32& id) {
  auto r = eth_.eth_call(registry_, AbiEncoder("verifierInfo(bytes32)").word(id).finish());
  if (!r) return r.status();
  AbiDecoder d(*r);
  auto registered = d.boolean(0);
  auto deprecated = d.boolean(1);
  auto mode = d.uint64(2);
  auto verifier = d.address(3);
  if (!registered) return registered.status();
  if (!deprecated) return deprecated.status();
  if (!mode) return mode.status();
  if (!verifier) return verifier.status();
  if (*mode > 1) return invalid_argument("verifierInfo: unknown mode " + std::to_string(*mode));
  ExtensionEntry e{id, *deprecated, VerificationMode(*mode), *verifier};
  return std::pair{*registered, e};
}

Result<std::vector<ExtensionEntry>> RegistryClient::list() {
  auto n = count();
  if (!n) return n.status();
  std::vector<ExtensionEntry> out;
  for (uint64_t i = 0; i < *n; ++i) {
    auto id = id_at(i);
    if (!id) return id.status();
    auto e = info(*id);
    if (!e) return e.status();
    out.push_back(e->second);
  }
  return out;
}

Result<Bytes> RegistryClient::fetch_wasm(const Hash32& id, size_t max_bytes) {
  auto r = eth_.eth_call(registry_, AbiEncoder("getWasm(bytes32)").word(id).finish());
  if (!r) return r.status();
  auto wasm = AbiDecoder(*r).bytes(0, max_bytes);
  if (!wasm) return wasm.status();
  Hash32 h = keccak(*wasm);
  if (h != id) {
    return data_loss("Extension " + hex0x(id) + ": registry returned a module whose keccak256 is " + hex0x(h));
  }
  return wasm;
}

Result<std::vector<Address>> ConsensusClient::active_nodes(const std::string& block) {
  auto r = eth_.eth_call(consensus_, AbiEncoder("activeNodes()").finish(), block);
  if (!r) return r.status();
  return AbiDecoder(*r).address_array(0, kMaxActiveNodes);
}

Result<SlotParams> ConsensusClient::slot_params() {
  auto g = eth_.eth_call(consensus_, AbiEncoder("genesisBlock()").finish());
  if (!g) return g.status();
  auto s = eth_.eth_call(consensus_, AbiEncoder("slotBlocks()").finish());
  if (!s) return s.status();
  auto gv = AbiDecoder(*g).uint64(0);
  auto sv = AbiDecoder(*s).uint64(0);
  if (!gv) return gv.status();
  if (!sv) return sv.status();
  if (*sv == 0) return invalid_argument("ConsensusContract.slotBlocks() is zero");
  return SlotParams{*gv, *sv};
}

Result<Address> ConsensusClient::leader_of(uint64_t slot) {
  auto r = eth_.eth_call(consensus_, AbiEncoder("leaderOf(uint256)").uint(slot).finish());
  if (!r) return r.status();
  return AbiDecoder(*r).address(0);
}

Result<bool> ConsensusClient::is_active(const Address& node) {
  auto r = eth_.eth_call(consensus_, AbiEncoder("isActive(address)").address(node).finish());
  if (!r) return r.status();
  return AbiDecoder(*r).boolean(0);
}

Result<U256> ConsensusClient::deposit_of(const Address& user) {
  auto r = eth_.eth_call(consensus_, AbiEncoder("deposits(address)").address(user).finish());
  if (!r) return r.status();
  return AbiDecoder(*r).uint(0);
}

Result<bool> ConsensusClient::check_proof(const Hash32& extension_id, std::span<const uint8_t> proof,
                                          std::span<const uint8_t> data) {
  auto r = eth_.eth_call(consensus_,
                         AbiEncoder("checkProof(bytes32,bytes,bytes)").word(extension_id).bytes(proof).bytes(data).finish());
  if (!r) return r.status();
  return AbiDecoder(*r).boolean(0);
}

Result<uint64_t> ConsensusClient::quorum() {
  auto r = eth_.eth_call(consensus_, AbiEncoder("quorum()").finish());
  if (!r) return r.status();
  return AbiDecoder(*r).uint64(0);
}

Result<bool> ConsensusClient::settled(const Hash32& operation_hash) {
  auto r = eth_.eth_call(consensus_, AbiEncoder("settled(bytes32)").word(operation_hash).finish());
  if (!r) return r.status();
  return AbiDecoder(*r).boolean(0);
}

namespace {
constexpr const char* kVerdictTuple = "(bytes32,address,uint8,bytes32,uint64,bytes)";
constexpr const char* kPostOpTuple = "(bytes32,bytes32,bytes,bytes,bytes32)";

AbiValue verdict_tuple(const ProofVerificationResponse& v) {
  return AbiValue::tuple({AbiValue::w(v.request_id), AbiValue::addr(v.responder_node_id),
                          AbiValue::u(uint64_t(v.verdict)), AbiValue::w(keccak(v.diagnostics)),
                          AbiValue::u(v.timestamp), AbiValue::b(v.signature)});
}

AbiValue post_op_tuple(const PostOp& p) {
  return AbiValue::tuple({AbiValue::w(p.operation_hash), AbiValue::w(p.extension_id), AbiValue::b(p.proof),
                          AbiValue::b(p.data), AbiValue::w(p.processed_block_hash)});
}
}  // namespace

Bytes encode_slash_conflicting(const ProofVerificationResponse& a, const ProofVerificationResponse& b) {
  return abi_call(std::string("slashConflictingVerdicts(") + kVerdictTuple + "," + kVerdictTuple + ")",
                  {verdict_tuple(a), verdict_tuple(b)});
}

Bytes encode_slash_invalid_proof(const PostOp& p, const ProofVerificationResponse& v) {
  return abi_call(std::string("slashInvalidProofVerdict(") + kPostOpTuple + "," + kVerdictTuple + ")",
                  {post_op_tuple(p), verdict_tuple(v)});
}

Bytes encode_submit_batch(uint64_t slot, const std::vector<SettlementEntry>& batch) {
  std::vector<AbiValue> entries;
  for (const auto& e : batch) {
    AbiValue op = AbiValue::tuple({AbiValue::w(e.op.extension_id), AbiValue::addr(e.op.to), AbiValue::u(e.op.gas),
                                   AbiValue::b(e.op.gas_management_data), AbiValue::b(e.op.data),
                                   AbiValue::w(e.op.block_hash), AbiValue::b(e.op.sig)});
    AbiValue post = post_op_tuple(e.post_op);
    std::vector<AbiValue> verdicts;
    for (const auto& v : e.verdicts) verdicts.push_back(verdict_tuple(v));
    entries.push_back(AbiValue::tuple({op, post, AbiValue::w(keccak(e.post_op.proof)), AbiValue::u(e.fee),
                                       AbiValue::array(std::move(verdicts))}));
  }
  return abi_call(
      "submitBatch(uint256,((bytes32,address,uint256,bytes,bytes,bytes32,bytes),(bytes32,bytes32,bytes,bytes,bytes32),"
      "bytes32,uint256,(bytes32,address,uint8,bytes32,uint64,bytes)[])[])",
      {AbiValue::u(slot), AbiValue::array(std::move(entries))});
}

Hash32 slot_seed(uint64_t chain_id, const Address& consensus, uint64_t slot) {
  Bytes buf(96, 0);
  Hash32 c = U256::from_u64(chain_id).be;
  std::copy(c.begin(), c.end(), buf.begin());
  std::copy(consensus.begin(), consensus.end(), buf.begin() + 44);
  Hash32 s = U256::from_u64(slot).be;
  std::copy(s.begin(), s.end(), buf.begin() + 64);
  return keccak(buf);
}

Hash32 node_id(const Address& node) { return keccak(node); }

Result<Address> elect_leader(uint64_t chain_id, const Address& consensus, uint64_t slot,
                             std::span<const Address> active) {
  if (active.empty()) return invalid_argument("slot " + std::to_string(slot) + ": no active staked node");
  Hash32 seed = slot_seed(chain_id, consensus, slot);
  const Address* best = nullptr;
  Hash32 best_distance{};
  for (const Address& a : active) {
    Hash32 id = node_id(a);
    Hash32 d;
    for (size_t i = 0; i < 32; ++i) d[i] = id[i] ^ seed[i];
    if (best == nullptr || d < best_distance) {
      best = &a;
      best_distance = d;
    }
  }
  return *best;
}

uint64_t slot_of(const SlotParams& p, uint64_t block_number) {
  return block_number < p.genesis_block ? 0 : (block_number - p.genesis_block) / p.slot_blocks;
}

}  // namespace efaas::node
