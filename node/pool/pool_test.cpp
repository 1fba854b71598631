// Store, mempools, rate limits and reputation (exact formula values, decay, bans, persistence
// across a reopen), and admission against a real ganache chain (node/scripts/devchain.mjs).
#include <gtest/gtest.h>

#include <cmath>

#include "node/core/encoding.hpp"
#include "node/pool/admission.hpp"
#include "node/testing/devchain.hpp"

namespace efaas::node {
namespace {

template <typename T>
T ok(Result<T> r) {
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return std::move(r).value();
}

Hash32 h32(uint8_t tag, uint8_t i = 0) {
  Hash32 h{};
  h[0] = tag;
  h[1] = i;
  return h;
}

OperationRecord record(uint8_t i, uint64_t max_fee, uint8_t sender, int64_t t) {
  OperationRecord r;
  r.hash = h32(1, i);
  r.op.extension_id = h32(9);
  r.op.gas = U256::from_u64(1000);
  Hash32 fee = U256::from_u64(max_fee).be;
  r.op.gas_management_data.assign(fee.begin(), fee.end());
  r.op.sig = Bytes(65, i);
  r.sender[0] = sender;
  r.received_ms = t;
  r.source = "user";
  r.status = "pending";
  return r;
}

TEST(NodePool, OperationPoolEvictsLowestFeeAndSurvivesRestart) {
  testing::TempDir dir;
  std::string db = dir.path() + "/node.db";
  {
    auto store = ok(Store::open(db));
    OperationPool pool(*store, {.capacity = 3, .per_sender = 2});
    EXPECT_EQ(ok(pool.insert(record(1, 50, 1, 10))), InsertResult::kAdded);
    EXPECT_EQ(ok(pool.insert(record(1, 50, 1, 10))), InsertResult::kDuplicate);
    EXPECT_EQ(ok(pool.insert(record(2, 10, 1, 11))), InsertResult::kAdded);
    EXPECT_EQ(ok(pool.insert(record(3, 99, 1, 12))), InsertResult::kSenderLimit);
    EXPECT_EQ(ok(pool.insert(record(4, 20, 2, 13))), InsertResult::kAdded);
    // Full: a newcomer paying no more than the lowest (10) is refused ...
    EXPECT_EQ(ok(pool.insert(record(5, 10, 3, 14))), InsertResult::kFull);
    // ... one paying more evicts it.
    std::optional<Hash32> evicted;
    EXPECT_EQ(ok(pool.insert(record(6, 11, 3, 15), &evicted)), InsertResult::kAdded);
    ASSERT_TRUE(evicted.has_value());
    EXPECT_EQ(*evicted, h32(1, 2));
    EXPECT_TRUE(pool.set_status(h32(1, 4), "proving_unavailable", "UNIMPLEMENTED: farm").is_ok());
    EXPECT_EQ(pool.size(), 3u);
  }
  // Restart: same Operations, same statuses, same eviction order.
  auto store = ok(Store::open(db));
  OperationPool pool(*store, {.capacity = 3, .per_sender = 2});
  ASSERT_TRUE(pool.load().is_ok());
  EXPECT_EQ(pool.size(), 3u);
  EXPECT_FALSE(pool.get(h32(1, 2)).has_value());
  auto r4 = pool.get(h32(1, 4));
  ASSERT_TRUE(r4.has_value());
  EXPECT_EQ(r4->status, "proving_unavailable");
  EXPECT_EQ(r4->detail, "UNIMPLEMENTED: farm");
  EXPECT_TRUE(r4->op == record(4, 20, 2, 13).op);
  std::optional<Hash32> evicted;
  EXPECT_EQ(ok(pool.insert(record(7, 1000, 4, 20), &evicted)), InsertResult::kAdded);
  EXPECT_EQ(*evicted, h32(1, 6));  // fee 11 was the lowest left
}

TEST(NodePool, PostOpPoolEvictsOldestAndDropsReorgedBlocks) {
  testing::TempDir dir;
  auto store = ok(Store::open(dir.path() + "/node.db"));
  PostOpPool pool(*store, {.capacity = 3});
  auto rec = [](uint8_t i, uint8_t op, uint8_t block, int64_t t) {
    PostOpRecord r;
    r.hash = h32(2, i);
    r.post_op.operation_hash = h32(3, op);
    r.post_op.processed_block_hash = h32(4, block);
    r.post_op.proof = Bytes{1, 2, i};
    r.received_ms = t;
    r.source = "self";
    return r;
  };
  EXPECT_EQ(ok(pool.insert(rec(1, 1, 1, 1))), InsertResult::kAdded);
  EXPECT_EQ(ok(pool.insert(rec(2, 1, 2, 2))), InsertResult::kAdded);
  EXPECT_EQ(ok(pool.insert(rec(2, 1, 2, 2))), InsertResult::kDuplicate);
  EXPECT_EQ(ok(pool.insert(rec(3, 2, 2, 3))), InsertResult::kAdded);
  EXPECT_EQ(pool.for_operation(h32(3, 1)).size(), 2u);  // two answers: the re-run trigger
  std::optional<Hash32> evicted;
  EXPECT_EQ(ok(pool.insert(rec(4, 3, 3, 4), &evicted)), InsertResult::kAdded);
  EXPECT_EQ(*evicted, h32(2, 1));
  auto dropped = ok(pool.drop_processed_block(h32(4, 2)));
  EXPECT_EQ(dropped.size(), 2u);
  EXPECT_EQ(pool.size(), 1u);
  PostOpPool reloaded(*store, {.capacity = 3});
  ASSERT_TRUE(reloaded.load().is_ok());
  EXPECT_EQ(reloaded.size(), 1u);
  EXPECT_TRUE(reloaded.get(h32(2, 4)).has_value());
}

TEST(NodePool, RateLimiterBurstRefillAndScale) {
  RateLimiter rl({.rate = 10, .burst = 5});
  int allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += rl.allow("a", 1000);
  EXPECT_EQ(allowed, 5);
  EXPECT_FALSE(rl.allow("a", 1050));  // half a token
  EXPECT_TRUE(rl.allow("a", 1100));   // one token after 100 ms
  EXPECT_TRUE(rl.allow("b", 1100));   // keys are independent
  // A throttled key (scale 0.25): bucket of 1.25 tokens, refilling at 2.5 per second.
  RateLimiter slow({.rate = 10, .burst = 5});
  allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += slow.allow("p", 0, 0.25);
  EXPECT_EQ(allowed, 1);
  EXPECT_FALSE(slow.allow("p", 200, 0.25));
  EXPECT_TRUE(slow.allow("p", 400, 0.25));
}

TEST(NodePool, ReputationFormulasStandingDecayAndPersistence) {
  testing::TempDir dir;
  std::string db = dir.path() + "/node.db";
  ReputationConfig cfg;
  cfg.ban_ms = 10'000;
  cfg.half_life_ms = 1'000'000;
  {
    auto store = ok(Store::open(db));
    Reputation rep(*store, cfg);
    Scores fresh = rep.scores("peer", "p", 0);
    EXPECT_DOUBLE_EQ(fresh.validity, 10.0 / 11.0);
    EXPECT_EQ(fresh.standing, Standing::kGood);
    ASSERT_TRUE(rep.record("peer", "p", ReputationEvent::kInvalidProof, 1).is_ok());
    EXPECT_DOUBLE_EQ(rep.scores("peer", "p", 1).validity, 10.0 / 12.0);
    EXPECT_EQ(rep.scores("peer", "p", 1).standing, Standing::kGood);
    ASSERT_TRUE(rep.record("peer", "p", ReputationEvent::kInvalidProof, 1).is_ok());
    EXPECT_DOUBLE_EQ(rep.scores("peer", "p", 1).validity, 10.0 / 13.0);  // below 0.8
    EXPECT_EQ(rep.scores("peer", "p", 1).standing, Standing::kThrottled);
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(rep.record("peer", "p", ReputationEvent::kInvalidProof, 1).is_ok());
    Scores banned = rep.scores("peer", "p", 1);
    EXPECT_DOUBLE_EQ(banned.validity, 10.0 / 21.0);  // below 0.5
    EXPECT_EQ(banned.standing, Standing::kBanned);
    EXPECT_EQ(banned.blacklisted_until_ms, 1 + cfg.ban_ms);
    // Acceptance: 10 rejected -> (0 + 10) / (10 + 11) < 0.6 -> disconnect.
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(rep.record("peer", "q", ReputationEvent::kRejected, 1).is_ok());
    EXPECT_TRUE(rep.scores("peer", "q", 1).disconnect);
    EXPECT_FALSE(rep.scores("peer", "p", 1).disconnect);
  }
  auto store = ok(Store::open(db));
  Reputation rep(*store, cfg);
  ASSERT_TRUE(rep.load().is_ok());
  EXPECT_EQ(rep.scores("peer", "p", 2).standing, Standing::kBanned);  // kept across the restart
  EXPECT_TRUE(rep.scores("peer", "q", 2).disconnect);
  // After one half-life the 10 invalid proofs count as 5: validity 10/16, still below 0.8 but
  // above 0.5, and the blacklisting has expired: throttled, no longer banned.
  Scores later = rep.scores("peer", "p", 1 + cfg.half_life_ms);
  EXPECT_NEAR(later.validity, 10.0 / 16.0, 1e-9);
  EXPECT_EQ(later.standing, Standing::kThrottled);
  // After ten half-lives the peer is back to good.
  EXPECT_EQ(rep.scores("peer", "p", 1 + 10 * cfg.half_life_ms).standing, Standing::kGood);
}

class NodeAdmissionLive : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = testing::DevChain::start();
    ASSERT_TRUE(c.is_ok()) << c.status().to_string();
    chain_ = std::move(*c);
    eth_ = ok(EthClient::connect(chain_->rpc()));
    registry_ = std::make_unique<RegistryClient>(*eth_, addr("registry"));
    consensus_ = std::make_unique<ConsensusClient>(*eth_, addr("consensus"));
    catalog_ = std::make_unique<ExtensionCatalog>(*registry_);
    ASSERT_TRUE(catalog_->refresh().is_ok());
    view_ = std::make_unique<ChainView>(*eth_, ChainViewConfig{.process_window = 8, .finality_depth = 1});
    store_ = ok(Store::open(dir_.path() + "/node.db"));
    pool_ = std::make_unique<OperationPool>(*store_, OperationPoolConfig{});
    reputation_ = std::make_unique<Reputation>(*store_, ReputationConfig{});
    domain_ = {1337, addr("consensus")};
    AdmissionConfig cfg;
    cfg.per_sender = {.rate = 0.001, .burst = 6};
    cfg.per_peer = {.rate = 0.001, .burst = 8};
    admission_ = std::make_unique<Admission>(cfg, domain_, *catalog_, *view_, *consensus_, *pool_, *reputation_);
    user_ = std::make_unique<PrivateKey>(ok(PrivateKey::from_hex(chain_->info()["userKey"].get<std::string>())));
    ASSERT_TRUE(eth_->call("evm_mine", nlohmann::json::array()).is_ok());  // finalize the Operation's block
  }
  Address addr(const char* key) { return ok(parse_address(chain_->info()[key].get<std::string>(), key)); }
  Operation ethers_operation() { return ok(operation_from_json(chain_->info()["operation"])); }
  Operation signed_op(uint8_t tag) {
    Operation op = ethers_operation();
    op.data = Bytes{'o', 'p', tag};
    sign_operation(domain_, *user_, op);
    return op;
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::DevChain> chain_;
  std::unique_ptr<EthClient> eth_;
  std::unique_ptr<RegistryClient> registry_;
  std::unique_ptr<ConsensusClient> consensus_;
  std::unique_ptr<ExtensionCatalog> catalog_;
  std::unique_ptr<ChainView> view_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<OperationPool> pool_;
  std::unique_ptr<Reputation> reputation_;
  std::unique_ptr<Admission> admission_;
  std::unique_ptr<PrivateKey> user_;
  Eip712Domain domain_;
};

TEST_F(NodeAdmissionLive, AcceptsAndRefusesWithReasons) {
  const Source user{};
  // The ethers-signed Operation (independent signer) is accepted; its hash is ethers'.
  Operation op = ethers_operation();
  AdmitOutcome a = admission_->admit(op, user, 1000);
  ASSERT_EQ(a.code, AdmitCode::kAccepted) << a.message;
  EXPECT_EQ(hex0x(a.hash), chain_->info()["operationHash"]);
  EXPECT_EQ(address_to_string(a.sender), chain_->info()["user"]);
  EXPECT_EQ(admission_->admit(op, user, 1000).code, AdmitCode::kDuplicate);

  auto refused = [&](Operation o, AdmitCode want, const std::string& words, bool resign = true) {
    if (resign) sign_operation(domain_, *user_, o);
    AdmitOutcome r = admission_->admit(o, user, 1000);
    EXPECT_EQ(r.code, want) << admit_code_name(r.code) << ": " << r.message;
    EXPECT_NE(r.message.find(words), std::string::npos) << r.message;
  };
  Operation o = signed_op(1);
  o.sig[64] = 30;
  refused(o, AdmitCode::kBadSignature, "v must be", false);
  // Tampered after signing: recovers a stranger with no deposit.
  o = signed_op(2);
  o.data.push_back(1);
  refused(o, AdmitCode::kInsufficientDeposit, "deposit of 0 wei", false);
  o = signed_op(3);
  o.extension_id[0] ^= 1;
  refused(o, AdmitCode::kUnknownExtension, "not registered");
  o = signed_op(4);
  o.gas = U256::from_u64(30'000'001);
  refused(o, AdmitCode::kGasLimit, "outside 1..30000000");
  o = signed_op(5);
  o.block_hash[0] ^= 1;
  refused(o, AdmitCode::kBadBlock, "unknown");
  // The head block is not finalized (finality depth 1).
  o = signed_op(6);
  o.block_hash = ok(view_->head()).hash;
  refused(o, AdmitCode::kBadBlock, "not finalized");
  // Per-sender flood: 4 of the bucket's 6 tokens went to the accepted, duplicate and two
  // bad-block attempts (refusals before the signature check cost nothing): 2 more pass.
  int limited = 0;
  for (uint8_t i = 10; i < 20; ++i) limited += admission_->admit(signed_op(i), user, 1000).code == AdmitCode::kSenderRateLimited;
  EXPECT_EQ(limited, 8);
  EXPECT_EQ(pool_->size(), 3u);
}

TEST_F(NodeAdmissionLive, PeerFloodThrottleAndBanAreEnforced) {
  const Source peer{"0xpeer"};
  // Flood: 8 tokens (6 accepted, 2 over the sender's limit), then refusals that lower the peer's
  // acceptance (6 + 10) / (6 + 2 + k + 11) until it drops below 0.6 at k = 8: disconnected.
  int accepted = 0, limited = 0, disconnected = 0;
  for (uint8_t i = 0; i < 30; ++i) {
    AdmitOutcome r = admission_->admit(signed_op(i), peer, 5000 + i);
    accepted += r.accepted() || r.code == AdmitCode::kSenderRateLimited;
    limited += r.code == AdmitCode::kPeerRateLimited;
    disconnected += r.code == AdmitCode::kPeerDisconnected;
  }
  EXPECT_EQ(accepted, 8);
  EXPECT_EQ(limited, 8);
  EXPECT_EQ(disconnected, 14);
  EXPECT_TRUE(reputation_->scores("peer", peer.peer, 6000).disconnect);
  // Invalid proofs from a second peer: throttled (rate x 0.25), then banned (everything refused).
  const Source bad{"0xbad"};
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(reputation_->record("peer", bad.peer, ReputationEvent::kInvalidProof, 7000).is_ok());
  ASSERT_EQ(reputation_->scores("peer", bad.peer, 7000).standing, Standing::kThrottled);
  int passed = 0;
  for (uint8_t i = 40; i < 50; ++i) {
    AdmitCode c = admission_->admit(signed_op(i), bad, 7000).code;
    passed += c != AdmitCode::kPeerRateLimited && c != AdmitCode::kPeerDisconnected;
  }
  EXPECT_EQ(passed, 2);  // burst 8 x 0.25
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(reputation_->record("peer", bad.peer, ReputationEvent::kInvalidProof, 7000).is_ok());
  AdmitOutcome r = admission_->admit(signed_op(60), bad, 900000);
  EXPECT_EQ(r.code, AdmitCode::kPeerBanned) << r.message;
  // An Extension whose proofs keep failing is suspended.
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(reputation_->record("extension", chain_->info()["extensionId"], ReputationEvent::kInvalidProof, 7000).is_ok());
  }
  EXPECT_EQ(admission_->admit(signed_op(61), Source{}, 7000).code, AdmitCode::kExtensionSuspended);
}

}  // namespace
}  // namespace efaas::node
