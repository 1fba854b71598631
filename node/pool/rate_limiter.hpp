#pragma once
// Token buckets keyed by sender or peer: `rate` tokens per second up to `burst`. A scale below 1
// (a throttled peer) slows refilling and shrinks the bucket. Idle full buckets are pruned so the
// table stays bounded under many distinct keys.
#include <map>
#include <mutex>
#include <string>

namespace efaas::node {

struct RateLimit {
  double rate = 10;   // tokens per second
  double burst = 20;  // bucket size
};

class RateLimiter {
 public:
  explicit RateLimiter(RateLimit limit, size_t max_keys = 100000) : limit_(limit), max_keys_(max_keys) {}
  // Takes one token for `key` at `now_ms`; false when the bucket is empty.
  bool allow(const std::string& key, int64_t now_ms, double scale = 1.0);
  const RateLimit& limit() const { return limit_; }

 private:
  struct Bucket {
    double tokens;
    int64_t last_ms;
  };
  RateLimit limit_;
  size_t max_keys_;
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace efaas::node
