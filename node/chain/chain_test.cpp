// The chain client against a real ganache (node/scripts/devchain.mjs): registry and consensus
// views, the election rule against vectors.json and the deployed contract, signed transactions,
// the freshness rule with a real re-org (evm_snapshot / evm_revert). Offline: RLP and EIP-155
// against the EIP's published vector.
#include <gtest/gtest.h>

#include <set>

#include <fstream>

#include "node/chain/abi.hpp"
#include "node/chain/chain_view.hpp"
#include "node/chain/contracts.hpp"
#include "node/testing/devchain.hpp"

namespace efaas::node {
namespace {

template <typename T>
T ok(Result<T> r) {
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return std::move(r).value();
}

Address addr(const nlohmann::json& j) { return ok(parse_address(j.get<std::string>(), "address")); }

TEST(NodeTransaction, RlpAndEip155MatchPublishedVectors) {
  EXPECT_EQ(hex0x(rlp_bytes(Bytes{'d', 'o', 'g'})), "0x83646f67");
  EXPECT_EQ(hex0x(rlp_uint(U256{})), "0x80");
  EXPECT_EQ(hex0x(rlp_uint(U256::from_u64(1024))), "0x820400");
  EXPECT_EQ(hex0x(rlp_list({rlp_bytes(Bytes{'c', 'a', 't'}), rlp_bytes(Bytes{'d', 'o', 'g'})})), "0xc88363617483646f67");
  Bytes lorem(56, 'a');
  EXPECT_EQ(hex0x(rlp_bytes(lorem)).substr(0, 6), "0xb838");
  // EIP-155's example transaction.
  PrivateKey key = ok(PrivateKey::from_hex("0x4646464646464646464646464646464646464646464646464646464646464646"));
  TxRequest tx;
  tx.chain_id = 1;
  tx.nonce = 9;
  tx.max_fee_per_gas = U256::from_u64(20000000000);
  tx.gas_limit = 21000;
  tx.to = ok(parse_address("0x3535353535353535353535353535353535353535", "to"));
  tx.value = ok(U256::parse("1000000000000000000", "value"));
  EXPECT_EQ(hex0x(sign_legacy_eip155(tx, key)),
            "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc"
            "2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb19"
            "66a3b6d83");
}

TEST(NodeElection, MatchesVectors) {
  std::ifstream in(std::string(EFAAS_SOURCE_DIR) + "/contracts/vectors.json");
  auto v = nlohmann::json::parse(in);
  Address consensus = addr(v["verifyingContract"]);
  std::vector<Address> nodes;
  for (const auto& n : v["election"]["nodes"]) {
    nodes.push_back(addr(n["address"]));
    EXPECT_EQ(hex0x(node_id(nodes.back())), n["nodeId"]);
  }
  for (const auto& s : v["election"]["slots"]) {
    uint64_t slot = std::stoull(s["slot"].get<std::string>());
    EXPECT_EQ(hex0x(slot_seed(v["chainId"], consensus, slot)), s["seed"]);
    EXPECT_EQ(ok(elect_leader(v["chainId"], consensus, slot, nodes)), addr(s["leader"])) << "slot " << slot;
  }
  EXPECT_FALSE(elect_leader(1, consensus, 0, {}).is_ok());
}

TEST(NodeAbi, DecoderRefusesMalformedReturnData) {
  Bytes data(64, 0);
  data[31] = 0x20;  // offset of a bytes value
  data[63] = 0x40;  // claims 64 bytes, none present
  AbiDecoder d(data);
  EXPECT_FALSE(d.bytes(0, 1000).is_ok());
  EXPECT_FALSE(d.word(2).is_ok());
  Bytes not_address(32, 0xff);
  EXPECT_FALSE(AbiDecoder(not_address).address(0).is_ok());
  EXPECT_FALSE(AbiDecoder(not_address).boolean(0).is_ok());
  EXPECT_FALSE(AbiDecoder(not_address).uint64(0).is_ok());
}

class NodeChainLive : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto c = testing::DevChain::start({"--slot-blocks", "3"});
    ASSERT_TRUE(c.is_ok()) << c.status().to_string();
    chain_ = std::move(*c).release();
    eth_ = ok(EthClient::connect(chain_->rpc())).release();
  }
  static void TearDownTestSuite() {
    delete eth_;
    delete chain_;
  }
  static const nlohmann::json& info() { return chain_->info(); }
  static inline testing::DevChain* chain_ = nullptr;
  static inline EthClient* eth_ = nullptr;
};

TEST_F(NodeChainLive, RegistryListsAndFetchesTheExtension) {
  EXPECT_EQ(ok(eth_->chain_id()), 1337u);
  RegistryClient reg(*eth_, addr(info()["registry"]));
  Hash32 id = ok(parse_hash32(info()["extensionId"].get<std::string>(), "id"));
  auto list = ok(reg.list());
  // The example, the groth16 Extension and the same circuit as a provable one, in registration order.
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(hex0x(list[2].id), info()["groth16"]["circuit"]["extensionId"]);
  EXPECT_EQ(list[2].mode, VerificationMode::kCustom);
  EXPECT_EQ(list[0].id, id);
  EXPECT_FALSE(list[0].deprecated);
  EXPECT_EQ(list[0].mode, VerificationMode::kUniversal);
  EXPECT_EQ(hex0x(list[1].id), info()["groth16"]["extensionId"]);
  EXPECT_EQ(list[1].mode, VerificationMode::kCustom);
  EXPECT_NE(list[1].verifier_contract, Address{});
  Bytes wasm = ok(reg.fetch_wasm(id));
  EXPECT_EQ(wasm.size(), info()["wasmSize"].get<size_t>());
  EXPECT_EQ(keccak(wasm), id);
  Hash32 unknown = id;
  unknown[0] ^= 1;
  EXPECT_FALSE(ok(reg.info(unknown)).first);
  auto missing = reg.fetch_wasm(unknown);  // the contract reverts UnknownExtension
  EXPECT_FALSE(missing.is_ok());
  // A JSON-RPC endpoint that is not there: a transport error naming the method.
  auto dead = ok(EthClient::connect("http://127.0.0.1:" + std::to_string(testing::free_port()), 500));
  auto r = dead->block_number();
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("eth_blockNumber"), std::string::npos);
}

TEST_F(NodeChainLive, ElectionMatchesTheDeployedContract) {
  ConsensusClient cc(*eth_, addr(info()["consensus"]));
  auto active = ok(cc.active_nodes());
  ASSERT_EQ(active.size(), 3u);
  std::set<Address> expected;
  for (const auto& n : info()["nodes"]) expected.insert(addr(n));
  EXPECT_EQ(std::set<Address>(active.begin(), active.end()), expected);
  SlotParams sp = ok(cc.slot_params());
  EXPECT_EQ(sp.slot_blocks, 3u);
  EXPECT_EQ(std::to_string(sp.genesis_block), info()["genesisBlock"].get<std::string>());
  for (uint64_t slot : {0ull, 1ull, 2ull, 7ull, 1000ull, 123456789ull}) {
    EXPECT_EQ(ok(elect_leader(1337, cc.address(), slot, active)), ok(cc.leader_of(slot))) << "slot " << slot;
  }
}

TEST_F(NodeChainLive, SignedTransactionsFromTheNodeKey) {
  PrivateKey node = ok(PrivateKey::from_hex(info()["nodeKeys"][0].get<std::string>()));
  Address consensus = addr(info()["consensus"]);
  // deposit() with value, EIP-1559 then legacy EIP-155; the contract credits the sender we signed as.
  auto deposits = [&] {
    Bytes r = ok(eth_->eth_call(consensus, AbiEncoder("deposits(address)").address(node.address()).finish()));
    return ok(AbiDecoder(r).uint(0));
  };
  U256 before = deposits();
  TxReceipt r1 = ok(eth_->transact(node, consensus, AbiEncoder("deposit()").finish(), 200000, U256::from_u64(1000)));
  EXPECT_TRUE(r1.success);
  TxReceipt r2 = ok(eth_->transact(node, consensus, AbiEncoder("deposit()").finish(), 200000, U256::from_u64(24), true));
  EXPECT_TRUE(r2.success);
  EXPECT_EQ(deposits().low_u64() - before.low_u64(), 1024u);
  // A reverting call is reported as such (the node is already staked: stake() with 0 value is fine,
  // but withdrawDeposit above the balance reverts).
  TxReceipt r3 = ok(eth_->transact(node, consensus, AbiEncoder("withdrawDeposit(uint256)").uint(U256::from_u64(1) ).finish(), 200000));
  EXPECT_TRUE(r3.success);
  auto r4 = eth_->transact(node, consensus, AbiEncoder("withdrawDeposit(uint256)").uint(ok(U256::parse("0xffffffffffffffffffff", "x"))).finish(), 200000);
  EXPECT_TRUE(!r4.is_ok() || !r4->success);
}

TEST_F(NodeChainLive, FreshnessRuleAndReorgs) {
  ChainView view(*eth_, {.process_window = 3, .finality_depth = 2, .max_operation_age = 0});
  auto mine = [&](int n) {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(eth_->call("evm_mine", nlohmann::json::array()).is_ok());
  };
  mine(3);
  BlockHeader head = ok(view.head());
  EXPECT_TRUE(view.check_processed_block(head.hash).ok());
  // Not finalized yet: within finality_depth of the head.
  BlockVerdict nf = view.check_operation_block(head.hash);
  EXPECT_EQ(nf.check, BlockCheck::kNotFinalized) << nf.message;
  mine(2);
  EXPECT_TRUE(view.check_operation_block(head.hash).ok());
  EXPECT_TRUE(view.check_processed_block(head.hash).ok());  // 2 behind, window 3
  mine(2);
  BlockVerdict stale = view.check_processed_block(head.hash);
  EXPECT_EQ(stale.check, BlockCheck::kStale) << stale.message;
  EXPECT_NE(stale.message.find("PROCESS_WINDOW"), std::string::npos);

  Hash32 unknown{};
  unknown[5] = 7;
  EXPECT_EQ(view.check_processed_block(unknown).check, BlockCheck::kUnknown);
  EXPECT_EQ(view.check_operation_block(unknown).check, BlockCheck::kUnknown);

  // Re-org: snapshot, a block with a transaction, revert, a different block at the same height.
  auto snap = ok(eth_->call("evm_snapshot", nlohmann::json::array()));
  PrivateKey node = ok(PrivateKey::from_hex(info()["nodeKeys"][1].get<std::string>()));
  ok(eth_->transact(node, addr(info()["consensus"]), AbiEncoder("deposit()").finish(), 200000, U256::from_u64(5)));
  BlockHeader orphan = ok(view.head());
  EXPECT_TRUE(view.check_processed_block(orphan.hash).ok());
  ASSERT_TRUE(ok(eth_->call("evm_revert", nlohmann::json::array({snap}))).get<bool>());
  mine(1);
  BlockHeader replacement = ok(view.head());
  ASSERT_EQ(replacement.number, orphan.number);
  ASSERT_NE(replacement.hash, orphan.hash);
  BlockVerdict re = view.check_processed_block(orphan.hash);
  EXPECT_TRUE(re.check == BlockCheck::kNotCanonical || re.check == BlockCheck::kUnknown) << re.message;
  EXPECT_TRUE(view.check_processed_block(replacement.hash).ok());
}

}  // namespace
}  // namespace efaas::node
