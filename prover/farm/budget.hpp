#pragma once
// The farm-wide in-flight memory budget (FarmConfig::inflight_budget_bytes): bytes of client
// input held between a stream's read and disk, and the parsed traces of running zkWASM jobs.
// A stream that cannot get room waits without a read posted, so gRPC's flow control pushes back
// on its client; a job waits before it loads its trace. Nothing buffers without bound.
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

namespace efaas::farm {

class InflightBudget {
 public:
  explicit InflightBudget(uint64_t total) : total_(total), free_(total) {}
  uint64_t total() const { return total_; }
  // Takes `n` now (true) or queues `resume` to run once it has been taken (false). Waiters are
  // served in order.
  bool acquire(uint64_t n, void* owner, std::function<void()> resume) {
    std::lock_guard lock(mu_);
    if (waiters_.empty() && free_ >= n) {
      free_ -= n;
      return true;
    }
    waiters_.push_back({n, owner, std::move(resume)});
    throttled_++;
    return false;
  }
  // Takes `n` if it is free now, ahead of queued streams (a job polls; a stream's read is
  // small and released at once, so polling cannot starve it).
  bool try_acquire(uint64_t n) {
    std::lock_guard lock(mu_);
    if (free_ < n) return false;
    free_ -= n;
    return true;
  }
  void release(uint64_t n) {
    std::vector<std::function<void()>> run;
    {
      std::lock_guard lock(mu_);
      free_ += n;
      while (!waiters_.empty() && free_ >= waiters_.front().n) {
        free_ -= waiters_.front().n;
        run.push_back(std::move(waiters_.front().resume));
        waiters_.pop_front();
      }
    }
    for (auto& f : run) f();
  }
  // Removes a waiting owner; true if it was waiting (and so holds nothing).
  bool forget(void* owner) {
    std::lock_guard lock(mu_);
    for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
      if (it->owner == owner) {
        waiters_.erase(it);
        return true;
      }
    }
    return false;
  }
  uint64_t throttled() const {
    std::lock_guard lock(mu_);
    return throttled_;
  }
  uint64_t in_use() const {
    std::lock_guard lock(mu_);
    return total_ - free_;
  }

 private:
  struct Waiter {
    uint64_t n;
    void* owner;
    std::function<void()> resume;
  };
  mutable std::mutex mu_;
  const uint64_t total_;
  uint64_t free_;
  uint64_t throttled_ = 0;
  std::deque<Waiter> waiters_;
};

}  // namespace efaas::farm
