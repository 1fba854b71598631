#pragma once
// Operation admission (issue 8): a peer that is banned or over its rate limit is refused first
// (throttled peers get a quarter of the rate), then gas limits, the Extension (registered, not
// deprecated, reputation not below the validity threshold), the signature (sender recovered),
// the per-sender rate limit, deduplication, the payer's deposit, BlockHash (known, canonical, finalized), and finally
// the bounded mempool. Each refusal has a code and a message that says what is wrong.
#include <optional>
#include <set>

#include "node/chain/chain_view.hpp"
#include "node/chain/contracts.hpp"
#include "node/core/eip712.hpp"
#include "node/pool/mempool.hpp"
#include "node/pool/rate_limiter.hpp"
#include "node/pool/reputation.hpp"

namespace efaas::node {

// The Extensions the registry knows, refreshed from the chain; `served` are those this node runs.
class ExtensionCatalog {
 public:
  explicit ExtensionCatalog(RegistryClient& registry) : registry_(registry) {}
  Status refresh();
  std::optional<ExtensionEntry> find(const Hash32& id) const;
  std::vector<ExtensionEntry> all() const;
  void set_served(std::set<Hash32> ids);
  bool served(const Hash32& id) const;

 private:
  RegistryClient& registry_;
  mutable std::mutex mu_;
  std::map<Hash32, ExtensionEntry> entries_;
  std::set<Hash32> served_;
  bool serve_all_ = true;
};

struct AdmissionConfig {
  U256 max_gas = U256::from_u64(30'000'000);
  RateLimit per_sender{5, 20};
  RateLimit per_peer{50, 200};
  // Refuse Operations whose payer's ConsensusContract deposit does not cover their maxFee.
  bool require_deposit = true;
};

struct Source {
  std::string peer;  // empty: a user over the JSON-RPC API
  bool is_peer() const { return !peer.empty(); }
  std::string name() const { return is_peer() ? peer : "user"; }
};

enum class AdmitCode {
  kAccepted, kDuplicate, kBadSignature, kUnknownExtension, kDeprecatedExtension, kExtensionSuspended,
  kGasLimit, kInsufficientDeposit, kBadBlock, kSenderRateLimited, kPeerRateLimited, kPeerBanned, kPeerDisconnected, kPoolFull, kInternal
};
const char* admit_code_name(AdmitCode c);

struct AdmitOutcome {
  AdmitCode code = AdmitCode::kInternal;
  std::string message;
  Hash32 hash{};
  Address sender{};
  bool accepted() const { return code == AdmitCode::kAccepted || code == AdmitCode::kDuplicate; }
};

class Admission {
 public:
  Admission(AdmissionConfig config, Eip712Domain domain, ExtensionCatalog& catalog, ChainView& chain,
            ConsensusClient& consensus, OperationPool& pool, Reputation& reputation)
      : config_(config), domain_(domain), catalog_(catalog), chain_(chain), consensus_(consensus), pool_(pool),
        reputation_(reputation),
        sender_limiter_(config.per_sender), peer_limiter_(config.per_peer) {}

  AdmitOutcome admit(const Operation& op, const Source& source, int64_t now_ms);
  const Eip712Domain& domain() const { return domain_; }

 private:
  AdmitOutcome refuse(const Source& source, AdmitCode code, std::string message, int64_t now_ms,
                      const Hash32& hash = {});
  AdmissionConfig config_;
  Eip712Domain domain_;
  ExtensionCatalog& catalog_;
  ChainView& chain_;
  ConsensusClient& consensus_;
  OperationPool& pool_;
  Reputation& reputation_;
  RateLimiter sender_limiter_;
  RateLimiter peer_limiter_;
};

}  // namespace efaas::node
