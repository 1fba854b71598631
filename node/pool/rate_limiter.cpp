#include "node/pool/rate_limiter.hpp"

#include <algorithm>

namespace efaas::node {

bool RateLimiter::allow(const std::string& key, int64_t now_ms, double scale) {
  std::lock_guard<std::mutex> lock(mu_);
  double burst = std::max(1.0, limit_.burst * scale);
  double rate = limit_.rate * scale;
  if (buckets_.size() >= max_keys_ && !buckets_.count(key)) {
    // Full buckets carry no state worth keeping: a fresh bucket starts full anyway.
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      double t = it->second.tokens + double(now_ms - it->second.last_ms) / 1000.0 * limit_.rate;
      it = t >= limit_.burst ? buckets_.erase(it) : std::next(it);
    }
  }
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{burst, now_ms});
  Bucket& b = it->second;
  if (!inserted) {
    b.tokens = std::min(burst, b.tokens + double(std::max<int64_t>(0, now_ms - b.last_ms)) / 1000.0 * rate);
    b.last_ms = std::max(b.last_ms, now_ms);
  }
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

}  // namespace efaas::node
