#include "node/pool/reputation.hpp"

#include <algorithm>
#include <cmath>

namespace efaas::node {

const char* standing_name(Standing s) {
  switch (s) {
    case Standing::kGood: return "good";
    case Standing::kThrottled: return "throttled";
    case Standing::kBanned: return "banned";
  }
  return "?";
}

Status Reputation::load() {
  auto rows = store_.load_reputation();
  if (!rows) return rows.status();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [kind, key, c] : *rows) counters_[{kind, key}] = c;
  return Status::ok();
}

void Reputation::decay(ReputationCounters& c, int64_t now_ms) const {
  if (c.updated_ms != 0 && now_ms > c.updated_ms && config_.half_life_ms > 0) {
    double f = std::exp2(-double(now_ms - c.updated_ms) / double(config_.half_life_ms));
    for (double* v : {&c.valid, &c.invalid, &c.accepted, &c.rejected, &c.available, &c.unavailable, &c.disputes_won,
                      &c.disputes_lost}) {
      *v *= f;
    }
  }
  c.updated_ms = std::max(c.updated_ms, now_ms);
}

Scores Reputation::compute(const ReputationCounters& c, int64_t now_ms) const {
  auto ratio = [&](double good, double bad) {
    return (good + config_.prior_good) / (good + bad + config_.prior_good + config_.prior_bad);
  };
  Scores s;
  s.validity = ratio(c.valid, c.invalid);
  s.acceptance = ratio(c.accepted, c.rejected);
  s.availability = ratio(c.available, c.unavailable);
  s.dispute = ratio(c.disputes_won, c.disputes_lost);
  s.disconnect = s.acceptance < config_.acceptance_min;
  s.blacklisted_until_ms = c.blacklisted_until_ms;
  double low = std::min({s.validity, s.availability, s.dispute});
  if (c.blacklisted_until_ms > now_ms || low < config_.ban_below) {
    s.standing = Standing::kBanned;
  } else if (low < config_.throttle_below || s.validity < config_.validity_min) {
    s.standing = Standing::kThrottled;
  }
  return s;
}

Status Reputation::record(const std::string& kind, const std::string& key, ReputationEvent e, int64_t now_ms) {
  ReputationCounters copy;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ReputationCounters& c = counters_[{kind, key}];
    decay(c, now_ms);
    switch (e) {
      case ReputationEvent::kValidProof: c.valid += 1; break;
      case ReputationEvent::kInvalidProof: c.invalid += 1; break;
      case ReputationEvent::kAccepted: c.accepted += 1; break;
      case ReputationEvent::kRejected: c.rejected += 1; break;
      case ReputationEvent::kAvailable: c.available += 1; break;
      case ReputationEvent::kUnavailable: c.unavailable += 1; break;
      case ReputationEvent::kDisputeWon: c.disputes_won += 1; break;
      case ReputationEvent::kDisputeLost: c.disputes_lost += 1; break;
    }
    Scores s = compute(c, now_ms);
    if (s.standing == Standing::kBanned && c.blacklisted_until_ms <= now_ms) {
      c.blacklisted_until_ms = now_ms + config_.ban_ms;
    }
    copy = c;
  }
  return store_.put_reputation(kind, key, copy);
}

Scores Reputation::scores(const std::string& kind, const std::string& key, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = counters_.find({kind, key});
  if (it == counters_.end()) return compute(ReputationCounters{}, now_ms);
  ReputationCounters c = it->second;
  decay(c, now_ms);
  return compute(c, now_ms);
}

Status Reputation::blacklist(const std::string& kind, const std::string& key, int64_t until_ms, int64_t now_ms) {
  ReputationCounters copy;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ReputationCounters& c = counters_[{kind, key}];
    decay(c, now_ms);
    c.blacklisted_until_ms = until_ms;
    copy = c;
  }
  return store_.put_reputation(kind, key, copy);
}

std::vector<std::pair<std::string, std::string>> Reputation::keys() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [k, c] : counters_) out.push_back(k);
  return out;
}

}  // namespace efaas::node
