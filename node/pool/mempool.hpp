#pragma once
// The two mempools, bounded and deduplicated by hash, written through to the Store.
//
// Operation pool eviction (documented policy): at most `per_sender` Operations per sender; when
// the pool holds `capacity` Operations, a newcomer evicts the Operation with the lowest maxFee
// (first word of gasManagementData; the oldest among equal fees) only if it offers a strictly
// higher maxFee, otherwise it is refused with "mempool full". Settled Operations leave the pool.
//
// PostOp pool: at most `capacity` PostOps; when full the oldest is evicted. PostOps are indexed by
// the Operation they answer (two or more answers trigger a re-run, issue 8) and by their
// ProcessedBlockHash, so a re-org that orphans that block drops them.
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "node/pool/store.hpp"

namespace efaas::node {

struct OperationPoolConfig {
  size_t capacity = 10000;
  size_t per_sender = 64;
};

enum class InsertResult { kAdded, kDuplicate, kFull, kSenderLimit };

class OperationPool {
 public:
  OperationPool(Store& store, OperationPoolConfig config) : store_(store), config_(config) {}
  Status load();  // from the store, after a restart

  // On kAdded with an eviction, `evicted` names the Operation that left.
  Result<InsertResult> insert(const OperationRecord& r, std::optional<Hash32>* evicted = nullptr);
  std::optional<OperationRecord> get(const Hash32& hash) const;
  Status set_status(const Hash32& hash, const std::string& status, const std::string& detail);
  Status remove(const Hash32& hash);
  size_t size() const;
  std::vector<Hash32> pending() const;
  std::vector<Hash32> with_status(const std::string& status) const;

 private:
  using FeeKey = std::tuple<U256, int64_t, Hash32>;  // maxFee, received_ms, hash
  FeeKey fee_key(const OperationRecord& r) const { return {max_fee_of(r.op), r.received_ms, r.hash}; }
  void index(const OperationRecord& r);
  void unindex(const OperationRecord& r);

  Store& store_;
  OperationPoolConfig config_;
  mutable std::mutex mu_;
  std::map<Hash32, OperationRecord> by_hash_;
  std::set<FeeKey> by_fee_;
  std::map<Address, size_t> per_sender_;
};

struct PostOpPoolConfig {
  size_t capacity = 10000;
};

class PostOpPool {
 public:
  PostOpPool(Store& store, PostOpPoolConfig config) : store_(store), config_(config) {}
  Status load();
  Result<InsertResult> insert(const PostOpRecord& r, std::optional<Hash32>* evicted = nullptr);
  std::optional<PostOpRecord> get(const Hash32& hash) const;
  std::vector<PostOpRecord> for_operation(const Hash32& operation_hash) const;
  // Drops every PostOp whose ProcessedBlockHash is `block`; returns their hashes.
  Result<std::vector<Hash32>> drop_processed_block(const Hash32& block);
  std::vector<Hash32> processed_blocks() const;
  Status remove(const Hash32& hash);
  size_t size() const;

 private:
  void unindex(const PostOpRecord& r);
  Store& store_;
  PostOpPoolConfig config_;
  mutable std::mutex mu_;
  std::map<Hash32, PostOpRecord> by_hash_;
  std::set<std::pair<int64_t, Hash32>> by_age_;
  std::multimap<Hash32, Hash32> by_operation_;
  std::multimap<Hash32, Hash32> by_block_;
};

}  // namespace efaas::node
