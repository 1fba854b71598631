#include "node/chain/chain_view.hpp"

namespace efaas::node {

const char* block_check_name(BlockCheck c) {
  switch (c) {
    case BlockCheck::kOk: return "ok";
    case BlockCheck::kUnknown: return "unknown_block";
    case BlockCheck::kNotCanonical: return "reorged_block";
    case BlockCheck::kStale: return "stale_block";
    case BlockCheck::kNotFinalized: return "block_not_finalized";
    case BlockCheck::kChainError: return "chain_unavailable";
  }
  return "?";
}

Result<BlockHeader> ChainView::head() { return eth_.block_by_tag("latest"); }

Result<BlockHeader> ChainView::finalized() {
  if (config_.finality_depth == 0) return eth_.block_by_tag("finalized");
  auto h = head();
  if (!h) return h.status();
  return eth_.block_by_number(h->number > config_.finality_depth ? h->number - config_.finality_depth : 0);
}

BlockVerdict ChainView::check_canonical(const Hash32& hash) {
  auto b = eth_.block_by_hash(hash);
  if (!b) return {BlockCheck::kChainError, b.status().message()};
  if (!b->has_value()) return {BlockCheck::kUnknown, "block " + hex0x(hash) + " is unknown to the chain"};
  uint64_t number = (*b)->number;
  auto canonical = eth_.block_by_number(number);
  if (!canonical) return {BlockCheck::kChainError, canonical.status().message()};
  if (canonical->hash != hash) {
    return {BlockCheck::kNotCanonical,
            "block " + hex0x(hash) + " at height " + std::to_string(number) + " is not on the canonical chain (re-orged)",
            number};
  }
  return {BlockCheck::kOk, "", number};
}

BlockVerdict ChainView::check_operation_block(const Hash32& hash) {
  BlockVerdict v = check_canonical(hash);
  if (!v.ok()) return v;
  auto fin = finalized();
  if (!fin) return {BlockCheck::kChainError, fin.status().message()};
  if (v.number > fin->number) {
    return {BlockCheck::kNotFinalized,
            "block " + hex0x(hash) + " (height " + std::to_string(v.number) + ") is not finalized (finalized height " +
                std::to_string(fin->number) + ")",
            v.number};
  }
  if (config_.max_operation_age > 0) {
    auto h = head();
    if (!h) return {BlockCheck::kChainError, h.status().message()};
    if (h->number > v.number && h->number - v.number > config_.max_operation_age) {
      return {BlockCheck::kStale,
              "block " + hex0x(hash) + " is " + std::to_string(h->number - v.number) + " blocks old (limit " +
                  std::to_string(config_.max_operation_age) + ")",
              v.number};
    }
  }
  return v;
}

BlockVerdict ChainView::check_processed_block(const Hash32& hash) {
  BlockVerdict v = check_canonical(hash);
  if (!v.ok()) return v;
  auto h = head();
  if (!h) return {BlockCheck::kChainError, h.status().message()};
  if (h->number > v.number && h->number - v.number > config_.process_window) {
    return {BlockCheck::kStale,
            "processed block " + hex0x(hash) + " is " + std::to_string(h->number - v.number) +
                " blocks behind the head (PROCESS_WINDOW " + std::to_string(config_.process_window) + ")",
            v.number};
  }
  return v;
}

}  // namespace efaas::node
