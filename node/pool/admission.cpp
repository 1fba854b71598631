#include "node/pool/admission.hpp"

namespace efaas::node {

Status ExtensionCatalog::refresh() {
  auto list = registry_.list();
  if (!list) return list.status();
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
  for (const auto& e : *list) entries_[e.id] = e;
  return Status::ok();
}

std::optional<ExtensionEntry> ExtensionCatalog::find(const Hash32& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

std::vector<ExtensionEntry> ExtensionCatalog::all() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ExtensionEntry> out;
  for (const auto& [id, e] : entries_) out.push_back(e);
  return out;
}

void ExtensionCatalog::set_served(std::set<Hash32> ids) {
  std::lock_guard<std::mutex> lock(mu_);
  serve_all_ = ids.empty();
  served_ = std::move(ids);
}

bool ExtensionCatalog::served(const Hash32& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.count(id) && (serve_all_ || served_.count(id));
}

const char* admit_code_name(AdmitCode c) {
  switch (c) {
    case AdmitCode::kAccepted: return "accepted";
    case AdmitCode::kDuplicate: return "duplicate";
    case AdmitCode::kBadSignature: return "bad_signature";
    case AdmitCode::kUnknownExtension: return "unknown_extension";
    case AdmitCode::kDeprecatedExtension: return "deprecated_extension";
    case AdmitCode::kExtensionSuspended: return "extension_suspended";
    case AdmitCode::kGasLimit: return "gas_limit";
    case AdmitCode::kInsufficientDeposit: return "insufficient_deposit";
    case AdmitCode::kBadBlock: return "bad_block_hash";
    case AdmitCode::kSenderRateLimited: return "sender_rate_limited";
    case AdmitCode::kPeerRateLimited: return "peer_rate_limited";
    case AdmitCode::kPeerBanned: return "peer_banned";
    case AdmitCode::kPeerDisconnected: return "peer_disconnected";
    case AdmitCode::kPoolFull: return "mempool_full";
    case AdmitCode::kInternal: return "internal";
  }
  return "?";
}

AdmitOutcome Admission::refuse(const Source& source, AdmitCode code, std::string message, int64_t now_ms,
                               const Hash32& hash) {
  if (source.is_peer() && code != AdmitCode::kPeerBanned && code != AdmitCode::kInternal) {
    (void)reputation_.record("peer", source.peer, ReputationEvent::kRejected, now_ms);
  }
  AdmitOutcome o;
  o.code = code;
  o.message = std::move(message);
  o.hash = hash;
  return o;
}

AdmitOutcome Admission::admit(const Operation& op, const Source& source, int64_t now_ms) {
  if (source.is_peer()) {
    Scores s = reputation_.scores("peer", source.peer, now_ms);
    if (s.standing == Standing::kBanned) {
      return refuse(source, AdmitCode::kPeerBanned, "peer " + source.peer + " is banned until " +
                    std::to_string(s.blacklisted_until_ms) + " ms", now_ms);
    }
    if (s.disconnect) {
      // Acceptance below 0.6: the connection is closed; messages are refused until the counters
      // decay (they are not counted again, or the peer could never recover).
      AdmitOutcome o;
      o.code = AdmitCode::kPeerDisconnected;
      o.message = "peer " + source.peer + " acceptance rate " + std::to_string(s.acceptance) + " is below " +
                  std::to_string(reputation_.config().acceptance_min);
      return o;
    }
    double scale = s.standing == Standing::kThrottled ? reputation_.config().throttle_scale : 1.0;
    if (!peer_limiter_.allow(source.peer, now_ms, scale)) {
      return refuse(source, AdmitCode::kPeerRateLimited,
                    "peer " + source.peer + " exceeded its rate limit" +
                        (scale < 1.0 ? std::string(" (throttled: low reputation)") : std::string()),
                    now_ms);
    }
  }
  if (op.gas.is_zero() || config_.max_gas < op.gas) {
    return refuse(source, AdmitCode::kGasLimit,
                  "gas " + op.gas.to_decimal() + " outside 1.." + config_.max_gas.to_decimal(), now_ms);
  }
  auto ext = catalog_.find(op.extension_id);
  if (!ext) {
    return refuse(source, AdmitCode::kUnknownExtension,
                  "extension " + hex0x(op.extension_id) + " is not registered in the ExtensionRegistry", now_ms);
  }
  if (ext->deprecated) {
    return refuse(source, AdmitCode::kDeprecatedExtension, "extension " + hex0x(op.extension_id) + " is deprecated",
                  now_ms);
  }
  Scores es = reputation_.scores("extension", hex0x(op.extension_id), now_ms);
  if (es.validity < reputation_.config().validity_min) {
    return refuse(source, AdmitCode::kExtensionSuspended,
                  "extension " + hex0x(op.extension_id) + " proof validity " + std::to_string(es.validity) +
                      " is below " + std::to_string(reputation_.config().validity_min),
                  now_ms);
  }
  Hash32 hash = operation_hash(domain_, op);
  auto sender = recover_signer(hash, op.sig);
  if (!sender) return refuse(source, AdmitCode::kBadSignature, sender.status().message(), now_ms, hash);
  if (!sender_limiter_.allow(hex0x(*sender), now_ms)) {
    return refuse(source, AdmitCode::kSenderRateLimited,
                  "sender " + address_to_string(*sender) + " exceeded its rate limit", now_ms, hash);
  }
  if (auto existing = pool_.get(hash)) {
    if (existing->sender != *sender) {
      return refuse(source, AdmitCode::kBadSignature,
                    "operation " + hex0x(hash) + " is already in the mempool, signed by " +
                        address_to_string(existing->sender) + ", not " + address_to_string(*sender),
                    now_ms, hash);
    }
    AdmitOutcome o{AdmitCode::kDuplicate, "operation already in the mempool", hash, *sender};
    return o;
  }
  if (config_.require_deposit) {
    auto deposit = consensus_.deposit_of(*sender);
    if (!deposit) return refuse(source, AdmitCode::kInternal, deposit.status().message(), now_ms, hash);
    if (*deposit < max_fee_of(op)) {
      return refuse(source, AdmitCode::kInsufficientDeposit,
                    "payer " + address_to_string(*sender) + " has a deposit of " + deposit->to_decimal() +
                        " wei, below the operation's maxFee " + max_fee_of(op).to_decimal(),
                    now_ms, hash);
    }
  }
  BlockVerdict bv = chain_.check_operation_block(op.block_hash);
  if (bv.check == BlockCheck::kChainError) return refuse(source, AdmitCode::kInternal, bv.message, now_ms, hash);
  if (!bv.ok()) {
    return refuse(source, AdmitCode::kBadBlock, std::string(block_check_name(bv.check)) + ": " + bv.message, now_ms,
                  hash);
  }
  OperationRecord rec{hash, op, *sender, now_ms, source.name(), "pending", ""};
  std::optional<Hash32> evicted;
  auto ins = pool_.insert(rec, &evicted);
  if (!ins) return refuse(source, AdmitCode::kInternal, ins.status().message(), now_ms, hash);
  switch (*ins) {
    case InsertResult::kDuplicate:
      return {AdmitCode::kDuplicate, "operation already in the mempool", hash, *sender};
    case InsertResult::kFull:
      return refuse(source, AdmitCode::kPoolFull, "mempool full: maxFee not above the lowest pending maxFee", now_ms,
                    hash);
    case InsertResult::kSenderLimit:
      return refuse(source, AdmitCode::kPoolFull,
                    "sender " + address_to_string(*sender) + " has too many pending operations", now_ms, hash);
    case InsertResult::kAdded: break;
  }
  if (source.is_peer()) (void)reputation_.record("peer", source.peer, ReputationEvent::kAccepted, now_ms);
  AdmitOutcome o{AdmitCode::kAccepted, evicted ? "accepted (evicted " + hex0x(*evicted) + ")" : "accepted", hash,
                 *sender};
  return o;
}

}  // namespace efaas::node
