#include "prover/common/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <memory>

#include "prover/common/thread_pool_stats.hpp"
#include "prover/common/topology.hpp"

namespace efaas {

namespace {
thread_local bool tls_inside_pool = false;
std::atomic<bool> g_dispatch_accounting{false};
std::atomic<uint64_t> g_dispatched_caller_ns{0};  // see thread_pool_stats.hpp
}

ThreadPool::ThreadPool(size_t threads, bool pin) {
  const Topology& topo = topology();
  size_ = threads == 0 ? std::max<size_t>(1, topo.cores) : threads;
  for (size_t i = 1; i < size_; ++i) {
    workers_.emplace_back([this, i, pin, &topo] {
      if (pin && !topo.allowed_cores.empty()) {
        const CoreInfo& core = topo.allowed_cores[i % topo.allowed_cores.size()];
        pin_current_thread_to_pu(core.pus.front());
      }
      worker_loop(i);
    });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_work_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::run_chunks() {
  for (;;) {
    size_t b, e;
    const std::function<void(size_t, size_t)>* body;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (next_chunk_ >= chunks_) return;
      size_t c = next_chunk_++;
      b = c * chunk_;
      e = std::min(n_, b + chunk_);
      body = body_;
    }
    (*body)(b, e);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (++done_chunks_ == chunks_) cv_done_.notify_all();
    }
  }
}

void ThreadPool::worker_loop(size_t) {
  tls_inside_pool = true;
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_work_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    run_chunks();
  }
}

void ThreadPool::parallel_for(size_t n, size_t grain,
                              const std::function<void(size_t, size_t)>& body) {
  if (n == 0) return;
  grain = std::max<size_t>(grain, 1);
  if (size_ == 1 || n <= grain || tls_inside_pool) {
    body(0, n);
    return;
  }
  // Two thread-CPU clock reads (system calls) per dispatch, only when a benchmark asked.
  struct CallerCpu {
    bool on = g_dispatch_accounting.load(std::memory_order_relaxed);
    double t0 = on ? thread_cpu_seconds() : 0.0;
    ~CallerCpu() {
      if (on) g_dispatched_caller_ns += uint64_t((thread_cpu_seconds() - t0) * 1e9);
    }
  } caller_cpu;
  std::lock_guard<std::mutex> submit(submit_mu_);
  // A few chunks per thread balance uneven cores without much locking.
  size_t chunks = std::min((n + grain - 1) / grain, size_ * 4);
  {
    std::lock_guard<std::mutex> lock(mu_);
    body_ = &body;
    n_ = n;
    chunk_ = (n + chunks - 1) / chunks;
    chunks_ = (n + chunk_ - 1) / chunk_;
    next_chunk_ = 0;
    done_chunks_ = 0;
    ++generation_;
  }
  cv_work_.notify_all();
  tls_inside_pool = true;
  run_chunks();
  tls_inside_pool = false;
  std::unique_lock<std::mutex> lock(mu_);
  cv_done_.wait(lock, [&] { return done_chunks_ == chunks_; });
  body_ = nullptr;
}

void enable_dispatch_accounting() { g_dispatch_accounting = true; }

double dispatched_caller_cpu_seconds() {
  return 1e-9 * double(g_dispatched_caller_ns.load(std::memory_order_relaxed));
}

ThreadPool& ThreadPool::global() {
  static ThreadPool pool(0, true);
  return pool;
}

ThreadPool& ThreadPool::with_threads(size_t threads) {
  if (threads == 0) return global();
  static std::mutex mu;
  static std::vector<std::unique_ptr<ThreadPool>> pools;
  std::lock_guard<std::mutex> lock(mu);
  for (auto& p : pools) {
    if (p->size() == threads) return *p;
  }
  pools.push_back(std::make_unique<ThreadPool>(threads, true));
  return *pools.back();
}

size_t effective_threads(size_t requested) {
  return requested != 0 ? requested : ThreadPool::global().size();
}

}  // namespace efaas
