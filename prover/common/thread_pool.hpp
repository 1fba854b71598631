#pragma once
// A fixed pool of worker threads, each pinned by hwloc to one allowed core, with a
// fork-join parallel_for. Sized from the process's CPU affinity (see topology.hpp).
#include <condition_variable>
#include <cstdint>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace efaas {

class ThreadPool {
 public:
  // threads == 0: one per allowed core. The calling thread takes part in parallel_for, so a
  // pool of n threads starts n - 1 workers.
  explicit ThreadPool(size_t threads = 0, bool pin = true);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t size() const { return size_; }

  // Runs body(begin, end) over [0, n) split into chunks of at least `grain` items, and returns
  // when all chunks are done. Nested calls from inside a body run serially.
  void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& body);

  // The process-wide pool (one thread per allowed core), created on first use.
  static ThreadPool& global();
  // A shared pool of exactly `threads` threads (0: the global pool), for benchmarks and
  // callers that were given a thread count.
  static ThreadPool& with_threads(size_t threads);

 private:
  void worker_loop(size_t index);
  void run_chunks();

  size_t size_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_work_, cv_done_;
  std::mutex submit_mu_;  // one parallel_for at a time
  // Current job.
  const std::function<void(size_t, size_t)>* body_ = nullptr;
  size_t n_ = 0, chunk_ = 0, next_chunk_ = 0, chunks_ = 0, done_chunks_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

// Threads a computation should use: `requested` if non-zero, else the global pool's size.
size_t effective_threads(size_t requested);

}  // namespace efaas
