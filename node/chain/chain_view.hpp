#pragma once
// The node's view of the chain: which block hashes an Operation may reference (finalized) and
// the freshness rule for PostOps: ProcessedBlockHash must be on the canonical chain and within
// PROCESS_WINDOW blocks of the head. Unknown, stale and re-orged hashes are refused with a
// message that says which.
#include "node/chain/eth_client.hpp"

namespace efaas::node {

enum class BlockCheck { kOk, kUnknown, kNotCanonical, kStale, kNotFinalized, kChainError };
const char* block_check_name(BlockCheck c);

struct BlockVerdict {
  BlockCheck check = BlockCheck::kOk;
  std::string message;  // empty when kOk
  uint64_t number = 0;
  bool ok() const { return check == BlockCheck::kOk; }
};

struct ChainViewConfig {
  uint64_t process_window = 64;  // PROCESS_WINDOW, blocks
  // 0: "finalized" is the execution node's finalized tag; N > 0: head - N (for chains such as
  // ganache whose finalized tag is the head itself).
  uint64_t finality_depth = 0;
  // Operations must reference a block at most this many blocks below the head (0: no limit).
  uint64_t max_operation_age = 0;
};

class ChainView {
 public:
  ChainView(EthClient& eth, ChainViewConfig config) : eth_(eth), config_(config) {}
  const ChainViewConfig& config() const { return config_; }

  Result<BlockHeader> head();
  Result<BlockHeader> finalized();
  // Operation.BlockHash: known, canonical, at or below the finalized block.
  BlockVerdict check_operation_block(const Hash32& hash);
  // PostOp.ProcessedBlockHash: known, canonical, head - number <= process_window.
  BlockVerdict check_processed_block(const Hash32& hash);
  // Whether `hash` is still on the canonical chain (for dropping PostOps after a re-org).
  BlockVerdict check_canonical(const Hash32& hash);

 private:
  EthClient& eth_;
  ChainViewConfig config_;
};

}  // namespace efaas::node
