#pragma once
// Reputation of peers and Extensions (issue 8), persisted in the Store and decaying over time.
//
//   proof validity = (valid + 10) / (valid + invalid + 10 + 1)      must stay above 0.8
//   acceptance     = (accepted + 10) / (accepted + rejected + 11)   below 0.6: close the connection
//   availability   = (available + 10) / (available + unavailable + 11)
//   dispute        = (won + 10) / (won + lost + 11)
//
// Standing: the lowest of validity, availability and dispute decides: >= 0.8 good, below 0.8
// throttled (rate limits scaled by `throttle_scale`), below 0.5 banned: blacklisted for
// `ban_ms`, and every message refused until the blacklisting expires. Counters decay by half every
// `half_life_ms`, so old behaviour fades and a peer can recover after a ban.
#include <map>
#include <mutex>

#include "node/pool/store.hpp"

namespace efaas::node {

struct ReputationConfig {
  double prior_good = 10;
  double prior_bad = 1;
  double validity_min = 0.8;
  double acceptance_min = 0.6;
  double throttle_below = 0.8;
  double ban_below = 0.5;
  double throttle_scale = 0.25;
  int64_t ban_ms = 3600 * 1000;
  int64_t half_life_ms = 24 * 3600 * 1000;
};

enum class ReputationEvent {
  kValidProof, kInvalidProof, kAccepted, kRejected, kAvailable, kUnavailable, kDisputeWon, kDisputeLost
};
enum class Standing { kGood, kThrottled, kBanned };
const char* standing_name(Standing s);

struct Scores {
  double validity = 1, acceptance = 1, availability = 1, dispute = 1;
  Standing standing = Standing::kGood;
  bool disconnect = false;  // acceptance below acceptance_min
  int64_t blacklisted_until_ms = 0;
};

class Reputation {
 public:
  Reputation(Store& store, ReputationConfig config) : store_(store), config_(config) {}
  Status load();
  const ReputationConfig& config() const { return config_; }

  // kind: "peer" or "extension"; key: address or Extension id (hex). Persists, and blacklists when
  // the standing falls to banned.
  Status record(const std::string& kind, const std::string& key, ReputationEvent e, int64_t now_ms);
  Scores scores(const std::string& kind, const std::string& key, int64_t now_ms);
  Status blacklist(const std::string& kind, const std::string& key, int64_t until_ms, int64_t now_ms);
  std::vector<std::pair<std::string, std::string>> keys() const;

 private:
  void decay(ReputationCounters& c, int64_t now_ms) const;
  Scores compute(const ReputationCounters& c, int64_t now_ms) const;
  Store& store_;
  ReputationConfig config_;
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, ReputationCounters> counters_;
};

}  // namespace efaas::node
