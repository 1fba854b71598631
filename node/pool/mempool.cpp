#include "node/pool/mempool.hpp"

namespace efaas::node {
namespace {

template <typename K, typename V>
void erase_pair(std::multimap<K, V>& m, const K& k, const V& v) {
  auto [b, e] = m.equal_range(k);
  for (auto it = b; it != e; ++it) {
    if (it->second == v) {
      m.erase(it);
      return;
    }
  }
}

}  // namespace

void OperationPool::index(const OperationRecord& r) {
  by_fee_.insert(fee_key(r));
  per_sender_[r.sender]++;
  by_hash_[r.hash] = r;
}

void OperationPool::unindex(const OperationRecord& r) {
  by_fee_.erase(fee_key(r));
  if (--per_sender_[r.sender] == 0) per_sender_.erase(r.sender);
  by_hash_.erase(r.hash);
}

Status OperationPool::load() {
  auto rows = store_.load_operations();
  if (!rows) return rows.status();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& r : *rows) index(r);
  return Status::ok();
}

Result<InsertResult> OperationPool::insert(const OperationRecord& r, std::optional<Hash32>* evicted) {
  std::lock_guard<std::mutex> lock(mu_);
  if (by_hash_.count(r.hash)) return InsertResult::kDuplicate;
  auto ps = per_sender_.find(r.sender);
  if (ps != per_sender_.end() && ps->second >= config_.per_sender) return InsertResult::kSenderLimit;
  if (by_hash_.size() >= config_.capacity) {
    if (by_fee_.empty() || !(std::get<0>(*by_fee_.begin()) < max_fee_of(r.op))) return InsertResult::kFull;
    Hash32 victim = std::get<2>(*by_fee_.begin());
    EFAAS_RETURN_IF_ERROR(store_.delete_operation(victim));
    unindex(by_hash_.at(victim));
    if (evicted) *evicted = victim;
  }
  EFAAS_RETURN_IF_ERROR(store_.put_operation(r));
  index(r);
  return InsertResult::kAdded;
}

std::optional<OperationRecord> OperationPool::get(const Hash32& hash) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return std::nullopt;
  return it->second;
}

Status OperationPool::set_status(const Hash32& hash, const std::string& status, const std::string& detail) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return invalid_argument("operation " + hex0x(hash) + " is not in the mempool");
  EFAAS_RETURN_IF_ERROR(store_.set_operation_status(hash, status, detail));
  it->second.status = status;
  it->second.detail = detail;
  return Status::ok();
}

Status OperationPool::remove(const Hash32& hash) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return Status::ok();
  EFAAS_RETURN_IF_ERROR(store_.delete_operation(hash));
  unindex(it->second);
  return Status::ok();
}

size_t OperationPool::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_hash_.size();
}

std::vector<Hash32> OperationPool::pending() const { return with_status("pending"); }

std::vector<Hash32> OperationPool::with_status(const std::string& status) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Hash32> out;
  for (const auto& [h, r] : by_hash_) {
    if (r.status == status) out.push_back(h);
  }
  return out;
}

Status PostOpPool::load() {
  auto rows = store_.load_post_ops();
  if (!rows) return rows.status();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& r : *rows) {
    by_age_.insert({r.received_ms, r.hash});
    by_operation_.emplace(r.post_op.operation_hash, r.hash);
    by_block_.emplace(r.post_op.processed_block_hash, r.hash);
    by_hash_[r.hash] = std::move(r);
  }
  return Status::ok();
}

void PostOpPool::unindex(const PostOpRecord& r) {
  by_age_.erase({r.received_ms, r.hash});
  erase_pair(by_operation_, r.post_op.operation_hash, r.hash);
  erase_pair(by_block_, r.post_op.processed_block_hash, r.hash);
  by_hash_.erase(r.hash);
}

Result<InsertResult> PostOpPool::insert(const PostOpRecord& r, std::optional<Hash32>* evicted) {
  std::lock_guard<std::mutex> lock(mu_);
  if (by_hash_.count(r.hash)) return InsertResult::kDuplicate;
  if (by_hash_.size() >= config_.capacity) {
    if (by_age_.empty()) return InsertResult::kFull;
    Hash32 victim = by_age_.begin()->second;
    EFAAS_RETURN_IF_ERROR(store_.delete_post_op(victim));
    unindex(by_hash_.at(victim));
    if (evicted) *evicted = victim;
  }
  EFAAS_RETURN_IF_ERROR(store_.put_post_op(r));
  by_age_.insert({r.received_ms, r.hash});
  by_operation_.emplace(r.post_op.operation_hash, r.hash);
  by_block_.emplace(r.post_op.processed_block_hash, r.hash);
  by_hash_[r.hash] = r;
  return InsertResult::kAdded;
}

std::optional<PostOpRecord> PostOpPool::get(const Hash32& hash) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return std::nullopt;
  return it->second;
}

std::vector<PostOpRecord> PostOpPool::for_operation(const Hash32& operation_hash) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<PostOpRecord> out;
  auto [b, e] = by_operation_.equal_range(operation_hash);
  for (auto it = b; it != e; ++it) out.push_back(by_hash_.at(it->second));
  return out;
}

Result<std::vector<Hash32>> PostOpPool::drop_processed_block(const Hash32& block) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Hash32> dropped;
  auto [b, e] = by_block_.equal_range(block);
  for (auto it = b; it != e; ++it) dropped.push_back(it->second);
  for (const auto& h : dropped) {
    EFAAS_RETURN_IF_ERROR(store_.delete_post_op(h));
    unindex(by_hash_.at(h));
  }
  return dropped;
}

std::vector<Hash32> PostOpPool::processed_blocks() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Hash32> out;
  for (auto it = by_block_.begin(); it != by_block_.end(); it = by_block_.upper_bound(it->first)) {
    out.push_back(it->first);
  }
  return out;
}

Status PostOpPool::remove(const Hash32& hash) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return Status::ok();
  EFAAS_RETURN_IF_ERROR(store_.delete_post_op(hash));
  unindex(it->second);
  return Status::ok();
}

size_t PostOpPool::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_hash_.size();
}

}  // namespace efaas::node
