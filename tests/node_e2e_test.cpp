// efaas-node end to end: a ganache chain with the contracts (node/scripts/devchain.mjs) and three
// efaas-node processes with the three staked node keys, driven over their JSON-RPC API.
// Covered: Operation admission and its refusals, the honest status of a node without a farm,
// groth16 PostOps verified by every node with signed verdicts (checked against the node keys),
// tampered PostOps (INVALID, the peer throttled then banned), a peer flood (rate-limited), stale
// and re-orged ProcessedBlockHash, and a crash-restart that loses nothing.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "node/chain/abi.hpp"
#include "node/chain/eth_client.hpp"
#include "node/core/eip712.hpp"
#include "node/core/encoding.hpp"
#include "node/peer/peer.hpp"
#include "node/testing/node_proc.hpp"

namespace efaas::node {
namespace {

using nlohmann::json;
using testing::Subprocess;

using testing::mine;
using testing::NodeProc;
using testing::ok;

class NodeE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto c = testing::DevChain::start({"--slot-blocks", "5"});
    ASSERT_TRUE(c.is_ok()) << c.status().to_string();
    chain_ = std::move(*c).release();
    eth_ = ok(EthClient::connect(chain_->rpc())).release();
    dir_ = new testing::TempDir();
    int peer_ports[3] = {testing::free_port(), testing::free_port(), testing::free_port()};
    for (int i = 0; i < 3; ++i) {
      nodes_[i] = NodeProc::make(*chain_, i, dir_->path() + "/node" + std::to_string(i), peer_ports[i]).release();
      NodeProc& n = *nodes_[i];
      n.config["process_window"] = 4;
      n.config["log_level"] = "info";
      // Node 0 asks nodes 1 and 2 for verdicts over gRPC, and forwards verdicts to them.
      n.config["peers"] = i == 0 ? json{"127.0.0.1:" + std::to_string(peer_ports[1]),
                                        "127.0.0.1:" + std::to_string(peer_ports[2])}
                                 : json::array();
      // Node 2 takes few verification requests per peer (the flood test).
      n.config["peer_rate"] = i == 2 ? json{{"rate", 0.01}, {"burst", 5}} : json{{"rate", 1000}, {"burst", 100}};
      n.start();
    }
    domain_ = {1337, ok(parse_address(chain_->info()["consensus"].get<std::string>(), "consensus"))};
  }
  static void TearDownTestSuite() {
    for (auto*& n : nodes_) {
      if (n && ::testing::Test::HasFailure()) std::cerr << "--- " << n->dir << "/node.log\n" << n->log();
      delete n;
      n = nullptr;
    }
    delete eth_;
    delete chain_;
    delete dir_;
  }
  static void mine(int n) { testing::mine(*eth_, n); }
  static json groth16_post_op(const Hash32& processed_block) {
    const json& g = chain_->info()["groth16"];
    return {{"operationHash", hex0x(keccak(std::string_view("some operation")))},
            {"extensionId", g["extensionId"]},
            {"proof", g["proof"]},
            {"data", g["data"]},
            {"processedBlockHash", hex0x(processed_block)}};
  }
  static Hash32 head_hash() { return ok(eth_->block_by_tag("latest")).hash; }
  // Checks a verdict returned by node `i`: signed by that node's key over the EIP-712 response.
  static void expect_signed_verdict(const json& v, int i, const std::string& verdict, const json& post_op) {
    testing::expect_signed_verdict(domain_, v, chain_->info()["nodes"][i], verdict, post_op);
  }

  static inline testing::DevChain* chain_ = nullptr;
  static inline EthClient* eth_ = nullptr;
  static inline testing::TempDir* dir_ = nullptr;
  static inline NodeProc* nodes_[3] = {};
  static inline Eip712Domain domain_;
};

TEST_F(NodeE2E, NodesAdvertiseIdentityChainAndLeader) {
  std::set<std::string> leaders;
  int is_leader = 0;
  for (int i = 0; i < 3; ++i) {
    NodeProc& n = *nodes_[i];
    EXPECT_EQ(n.address, chain_->info()["nodes"][i]);
    json info = n.result("efaas_nodeInfo");
    EXPECT_EQ(info["address"], n.address);
    EXPECT_EQ(info["capabilities"]["extensions"].size(), 3u);  // all registered: no `serve` list
    json ch = n.result("efaas_chain");
    EXPECT_EQ(ch["chainId"], 1337);
    EXPECT_EQ(ch["activeNodes"], 3);
    leaders.insert(ch["leader"].get<std::string>());
    is_leader += ch["isLeader"].get<bool>();
    json ext = n.result("efaas_listExtensions");
    ASSERT_EQ(ext.size(), 3u);
  }
  EXPECT_EQ(leaders.size(), 1u);  // all agree (no block mined in between)
  EXPECT_EQ(is_leader, 1);
}

TEST_F(NodeE2E, OperationAdmissionAndRefusals) {
  NodeProc& a = *nodes_[0];
  json op = chain_->info()["operation"];
  json sent = a.result("efaas_sendOperation", {op});
  EXPECT_EQ(sent["operationHash"], chain_->info()["operationHash"]);
  EXPECT_EQ(sent["sender"], chain_->info()["user"]);
  EXPECT_TRUE(a.result("efaas_sendOperation", {op})["duplicate"].get<bool>());
  // This node has no farm (tests/node_farm_e2e_test.cpp has one): the status says so; no PostOp.
  json status;
  for (int i = 0; i < 50; ++i) {
    status = a.result("efaas_getOperation", {sent["operationHash"]});
    if (status["status"] == "proving_unavailable") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(status["status"], "proving_unavailable");
  EXPECT_NE(status["detail"].get<std::string>().find("config.farm"), std::string::npos) << status.dump();
  EXPECT_TRUE(a.result("efaas_getPostOps", {sent["operationHash"]}).empty());
  // A provable groth16 circuit Extension, but this node has no circuit prover configured: it says so.
  {
    PrivateKey u = ok(PrivateKey::from_hex(chain_->info()["userKey"].get<std::string>()));
    json j = op;
    j["extensionId"] = chain_->info()["groth16"]["circuit"]["extensionId"];
    Operation c = ok(operation_from_json(j));
    sign_operation(domain_, u, c);
    json csent = a.result("efaas_sendOperation", {to_json(c)});
    json cs = a.wait_status(csent["operationHash"], {"proving_unavailable"}, 5);
    EXPECT_EQ(cs["status"], "proving_unavailable") << cs.dump();
    EXPECT_NE(cs["detail"].get<std::string>().find("config.snarkjs"), std::string::npos) << cs.dump();
  }

  auto refused = [&](json bad, const std::string& reason) {
    json e = a.error("efaas_sendOperation", {bad});
    EXPECT_EQ(e["code"], -32000);
    EXPECT_EQ(e["data"]["reason"], reason) << e.dump();
  };
  // Re-signed by the user after a change (so only that change is wrong).
  PrivateKey user = ok(PrivateKey::from_hex(chain_->info()["userKey"].get<std::string>()));
  auto resigned = [&](const char* key, json value) {
    json j = op;
    j[key] = value;
    Operation o = ok(operation_from_json(j));
    sign_operation(domain_, user, o);
    return to_json(o);
  };
  json bad = resigned("data", "0x0102");
  std::string sig = bad["sig"];
  bad["sig"] = sig.substr(0, sig.size() - 2) + "1d";  // v = 29
  refused(bad, "bad_signature");
  // The accepted Operation with another valid signature: the same hash, another signer.
  PrivateKey other = ok(PrivateKey::from_hex(chain_->info()["nodeKeys"][1].get<std::string>()));
  Operation o = ok(operation_from_json(op));
  sign_operation(domain_, other, o);
  refused(to_json(o), "bad_signature");
  refused(resigned("extensionId", hex0x(keccak(std::string_view("nope")))), "unknown_extension");
  refused(resigned("blockHash", hex0x(keccak(std::string_view("no such block")))), "bad_block_hash");
  refused(resigned("gas", "0x0"), "gas_limit");
  bad = op;
  bad["data"] = "0x00";  // tampered after signing: a different signer, who has no deposit
  refused(bad, "insufficient_deposit");
  // Malformed requests: JSON-RPC errors that name the problem.
  json e = a.error("efaas_sendOperation", {json{{"extensionId", "0x12"}}});
  EXPECT_EQ(e["code"], -32602);
  e = a.error("efaas_getOperation", json::array());
  EXPECT_EQ(e["code"], -32602);
  EXPECT_NE(e["message"].get<std::string>().find("operationHash"), std::string::npos);
  e = a.error("efaas_noSuchMethod");
  EXPECT_EQ(e["code"], -32601);
  auto raw = a.http->Post("/", "{not json", "application/json");
  ASSERT_TRUE(raw);
  EXPECT_EQ(json::parse(raw->body)["error"]["code"], -32700);
  EXPECT_TRUE(a.result("efaas_getOperation", {hex0x(keccak(std::string_view("x")))}).is_null());
  // Batches: one answer per request that has an id; notifications get none.
  raw = a.http->Post("/", R"([{"jsonrpc":"2.0","id":1,"method":"web3_clientVersion"},
      {"jsonrpc":"2.0","method":"web3_clientVersion"}, {"jsonrpc":"1.0","id":2,"method":"eth_chainId"}])",
                     "application/json");
  ASSERT_TRUE(raw);
  json batch = json::parse(raw->body);
  ASSERT_EQ(batch.size(), 2u) << raw->body;
  EXPECT_EQ(batch[0]["result"], "efaas-node/0.1");
  EXPECT_EQ(batch[1]["error"]["code"], -32600);
  raw = a.http->Post("/", R"({"jsonrpc":"2.0","method":"eth_chainId"})", "application/json");
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->status, 204);
}

// Before the tampered-PostOp tests: they suspend the groth16 Extension on node 1 (its proofs
// keep failing there), after which node 1 refuses that Extension's Operations.
TEST_F(NodeE2E, VerdictsReachTheSlotLeaderWhichSettlesOnChain) {
  NodeProc& a = *nodes_[0];
  NodeProc& leader = *nodes_[1];
  // Node 0 must have greeted its peers (it forwards verdicts to greeted peers only).
  for (int i = 0; i < 100 && a.result("efaas_nodeInfo")["peers"].size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Blocks go by until node 1 leads the slot of the next block. Nothing else mines, so the chain
  // stays there until node 1's own submitBatch: node 0, which vouches for the PostOp and holds the
  // first verdicts, never leads meanwhile, and node 1 can settle only with verdicts it was sent.
  Address consensus = ok(parse_address(chain_->info()["consensus"].get<std::string>(), "consensus"));
  testing::mine_until_leader_of_next_block(
      *eth_, consensus, ok(parse_address(chain_->info()["nodes"][1].get<std::string>(), "node 1")));

  // A user Operation for the groth16 Extension and the PostOp answering it, submitted to node 0:
  // nodes 1 and 2 verify it over gRPC (Verify); node 0 forwards its own verdict and node 2's to
  // node 1 (node 2 has no peers of its own, so node 2's reaches node 1 only through node 0).
  PrivateKey user = ok(PrivateKey::from_hex(chain_->info()["userKey"].get<std::string>()));
  json op_json = chain_->info()["operation"];
  op_json["extensionId"] = chain_->info()["groth16"]["extensionId"];
  op_json["data"] = "0x0107";
  op_json["blockHash"] = hex0x(head_hash());
  Operation op = ok(operation_from_json(op_json));
  sign_operation(domain_, user, op);
  const json op_hash_json = hex0x(operation_hash(domain_, op));
  json post_op = groth16_post_op(head_hash());
  post_op["operationHash"] = op_hash_json;
  json v = a.result("efaas_submitPostOp", {post_op});
  ASSERT_EQ(v["verdictName"], "VALID");
  int counted = 0;
  for (const auto& pv : v["peerVerdicts"]) counted += pv.value("counted", false);
  ASSERT_EQ(counted, 2) << v.dump();
  std::set<std::string> all;
  for (int i = 0; i < 3; ++i) all.insert(chain_->info()["nodes"][i].get<std::string>());
  EXPECT_EQ(leader.wait_verdicts(op_hash_json, all, 20), all);
  // Only now does the leader get the Operation (it settles only the Operations it holds), so the
  // batch carries all three verdicts rather than the first quorum that arrived.
  json sent = leader.result("efaas_sendOperation", {to_json(op)});
  ASSERT_EQ(sent["operationHash"], op_hash_json) << sent.dump();

  Address payer = ok(parse_address(chain_->info()["user"].get<std::string>(), "user"));
  Hash32 op_hash = ok(parse_hash32(sent["operationHash"].get<std::string>(), "op"));
  auto deposit = [&] {
    Bytes r = ok(eth_->eth_call(consensus, AbiEncoder("deposits(address)").address(payer).finish()));
    return ok(AbiDecoder(r).uint(0));
  };
  U256 before = deposit();
  const uint64_t head_before = ok(eth_->block_number());
  json status = leader.wait_status(sent["operationHash"], {"settled"}, 20);
  ASSERT_EQ(status["status"], "settled") << status.dump() << "\n" << leader.log();
  EXPECT_TRUE(testing::settled_on_chain(*eth_, consensus, op_hash));
  EXPECT_EQ(ok(eth_->block_number()), head_before + 1);  // node 1's transaction, nothing else
  // Node 1 settled with the verdicts of nodes 0 and 2, which it got by gossip, and its own.
  const std::string detail = status["detail"];
  EXPECT_NE(detail.find("by this node"), std::string::npos) << detail;
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(detail.find(chain_->info()["nodes"][i].get<std::string>()), std::string::npos) << i << ": " << detail;
  }
  U256 after = deposit();
  EXPECT_EQ(before.low_u64() - after.low_u64(), max_fee_of(op).low_u64());  // the fee was charged
  EXPECT_TRUE(a.result("efaas_getOperation", {sent["operationHash"]}).is_null());  // node 0 never held it
}

TEST_F(NodeE2E, Groth16PostOpVerifiedBySignedVerdicts) {
  json post_op = groth16_post_op(head_hash());
  const std::string peer = chain_->info()["nodes"][0];
  for (int i = 1; i < 3; ++i) {
    json v = nodes_[i]->result("efaas_submitPostOp", {post_op, peer});
    expect_signed_verdict(v, i, "VALID", post_op);
    EXPECT_TRUE(v["stored"].get<bool>());
    json stored = nodes_[i]->result("efaas_getPostOps", {post_op["operationHash"]});
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0]["postOp"], post_op);
  }
  // Universal mode: this chain's example module is a stub the decoder refuses, so the node cannot
  // check the proof: ERROR (no opinion), never VALID. Real zkWASM PostOps: node_farm_e2e_test.
  json universal = post_op;
  universal["extensionId"] = chain_->info()["extensionId"];
  json v = nodes_[1]->result("efaas_submitPostOp", {universal});
  expect_signed_verdict(v, 1, "ERROR", universal);
  EXPECT_NE(v["diagnostics"].get<std::string>().find("cannot load the Extension's module"), std::string::npos)
      << v.dump();
  EXPECT_FALSE(v["stored"].get<bool>());
}

TEST_F(NodeE2E, TamperedPostOpsThrottleThenBanThePeer) {
  NodeProc& b = *nodes_[1];
  const std::string peer = "0x00000000000000000000000000000000000000aa";
  json post_op = groth16_post_op(head_hash());
  std::string proof = post_op["proof"];
  proof[10] = proof[10] == '0' ? '1' : '0';
  post_op["proof"] = proof;
  json v = b.result("efaas_submitPostOp", {post_op, peer});
  expect_signed_verdict(v, 1, "INVALID", post_op);
  EXPECT_FALSE(v["stored"].get<bool>());
  json rep = b.result("efaas_reputation", {"peer", peer});
  EXPECT_NEAR(rep["validity"].get<double>(), 10.0 / 12.0, 1e-5);  // decay: a day's half-life
  EXPECT_EQ(rep["standing"], "good");
  b.result("efaas_submitPostOp", {post_op, peer});
  rep = b.result("efaas_reputation", {"peer", peer});
  EXPECT_NEAR(rep["validity"].get<double>(), 10.0 / 13.0, 1e-5);
  EXPECT_EQ(rep["standing"], "throttled");
  // Keep sending tampered proofs: banned after the 10th, then refused outright.
  bool banned = false;
  for (int i = 0; i < 20 && !banned; ++i) {
    json r = b.call("efaas_submitPostOp", {post_op, peer});
    banned = r.contains("error") && r["error"]["data"]["reason"] == "peer_banned";
  }
  EXPECT_TRUE(banned);
  EXPECT_EQ(b.result("efaas_reputation", {"peer", peer})["standing"], "banned");
  // Banned means refused, even with a valid proof.
  json e = b.error("efaas_submitPostOp", {groth16_post_op(head_hash()), peer});
  EXPECT_EQ(e["data"]["reason"], "peer_banned");
}

TEST_F(NodeE2E, PeerFloodIsRateLimited) {
  NodeProc& c = *nodes_[2];  // burst 5 per peer
  const std::string peer = "0x00000000000000000000000000000000000000bb";
  // A Universal-mode PostOp on this chain's stub module: answered (ERROR) without an on-chain check.
  json post_op = groth16_post_op(head_hash());
  post_op["extensionId"] = chain_->info()["extensionId"];
  int ok_count = 0, limited = 0;
  for (int i = 0; i < 12; ++i) {
    json r = c.call("efaas_submitPostOp", {post_op, peer});
    if (r.contains("result")) ++ok_count;
    if (r.contains("error") && r["error"]["data"]["reason"] == "peer_rate_limited") ++limited;
  }
  EXPECT_EQ(ok_count, 5);
  EXPECT_EQ(limited, 7);
  // Another peer is unaffected.
  EXPECT_TRUE(c.call("efaas_submitPostOp", {post_op, chain_->info()["nodes"][0]}).contains("result"));
}

TEST_F(NodeE2E, GossipFloodFromOnePeerIsRateLimited) {
  // Node 2 takes 5 messages per peer in a burst. Operations gossiped over gRPC are admitted like a
  // user's, with the peer as the source: the peer's bucket runs out, whatever the Operation. The
  // peer is the key that signs each message (PeerAuth), not a name it gives.
  const std::string target = "127.0.0.1:" + std::to_string(nodes_[2]->config["peer_listen_port"].get<int>());
  PrivateKey flooder = ok(PrivateKey::generate());
  PrivateKey honest = ok(PrivateKey::generate());
  PeerClient client(target, flooder);
  Operation op = ok(operation_from_json(chain_->info()["operation"]));
  int admitted = 0, limited = 0;
  for (int i = 0; i < 9; ++i) {
    Status s = client.gossip(op, 1);
    if (s.is_ok()) ++admitted;
    if (s.message().find("peer_rate_limited") != std::string::npos) ++limited;
  }
  EXPECT_EQ(admitted, 5);
  EXPECT_EQ(limited, 4);
  // The flooder cannot spend another peer's budget by naming it: the signature gives it away.
  PeerClient forger(target, flooder, honest.address());
  for (int i = 0; i < 6; ++i) {
    Status s = forger.gossip(op, 1);
    EXPECT_NE(s.message().find("peer_auth"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("signed by " + address_to_string(flooder.address())), std::string::npos)
        << s.message();
  }
  // So the honest peer still has its whole burst, and the flooder is still limited.
  PeerClient good(target, honest);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(good.gossip(op, 1).is_ok()) << i;
  EXPECT_NE(client.gossip(op, 1).message().find("peer_rate_limited"), std::string::npos);
  // Node 0's Verify requests name node 0 and are signed by it; a forged one is refused.
  ProofVerificationRequest rq;
  rq.post_op = ok(post_op_from_json(groth16_post_op(head_hash())));
  rq.request_id = post_op_hash(domain_, rq.post_op);
  rq.operation_id = rq.post_op.operation_hash;
  rq.sender_node_id = ok(parse_address(chain_->info()["nodes"][0].get<std::string>(), "node 0"));
  rq.metadata = "{}";
  rq.request_hash = compute_request_hash(rq);
  auto forged = PeerClient(target, flooder, rq.sender_node_id).verify(rq);
  ASSERT_FALSE(forged.is_ok());
  EXPECT_NE(forged.status().message().find("peer_auth"), std::string::npos) << forged.status().message();
  // Malformed gossip is refused with the reason: too many hops.
  Status s = good.gossip(op, kMaxGossipHops + 1);
  EXPECT_NE(s.message().find("hops"), std::string::npos) << s.message();
}

TEST_F(NodeE2E, StaleUnknownAndReorgedProcessedBlocks) {
  NodeProc& b = *nodes_[1];
  Hash32 old = head_hash();
  mine(5);  // PROCESS_WINDOW is 4
  json e = b.error("efaas_submitPostOp", {groth16_post_op(old)});
  EXPECT_EQ(e["data"]["reason"], "stale_block") << e.dump();
  e = b.error("efaas_submitPostOp", {groth16_post_op(keccak(std::string_view("unknown block")))});
  EXPECT_EQ(e["data"]["reason"], "unknown_block") << e.dump();

  // A real re-org: the PostOp's processed block is orphaned; the node drops the PostOp.
  json snap = ok(eth_->call("evm_snapshot", json::array()));
  PrivateKey k = ok(PrivateKey::from_hex(chain_->info()["nodeKeys"][2].get<std::string>()));
  Address consensus = ok(parse_address(chain_->info()["consensus"].get<std::string>(), "c"));
  ok(eth_->transact(k, consensus, AbiEncoder("deposit()").finish(), 200000, U256::from_u64(7)));
  Hash32 doomed = head_hash();
  json post_op = groth16_post_op(doomed);
  post_op["operationHash"] = hex0x(keccak(std::string_view("reorg operation")));
  json v = b.result("efaas_submitPostOp", {post_op});
  EXPECT_EQ(v["verdictName"], "VALID");
  ASSERT_EQ(b.result("efaas_getPostOps", {post_op["operationHash"]}).size(), 1u);
  ASSERT_TRUE(ok(eth_->call("evm_revert", json::array({snap}))).get<bool>());
  mine(2);
  json left;
  for (int i = 0; i < 50; ++i) {
    left = b.result("efaas_getPostOps", {post_op["operationHash"]});
    if (left.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(left.empty()) << "PostOp on an orphaned block was kept";
  e = b.error("efaas_submitPostOp", {post_op});
  EXPECT_TRUE(e["data"]["reason"] == "reorged_block" || e["data"]["reason"] == "unknown_block") << e.dump();
  auto metrics = b.http->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("efaas_node_postops_dropped_total 1"), std::string::npos) << metrics->body;
}

TEST_F(NodeE2E, PeersExchangeCapabilitiesAndSignVerdictsOverGrpc) {
  NodeProc& a = *nodes_[0];
  json peers;
  for (int i = 0; i < 100; ++i) {
    peers = a.result("efaas_nodeInfo")["peers"];
    if (peers.size() == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(peers.size(), 2u) << peers.dump();
  std::set<std::string> addresses;
  for (const auto& p : peers) {
    addresses.insert(p["address"]);
    EXPECT_EQ(p["extensions"].size(), 3u);
  }
  EXPECT_EQ(addresses, (std::set<std::string>{chain_->info()["nodes"][1], chain_->info()["nodes"][2]}));

  json post_op = groth16_post_op(head_hash());
  post_op["operationHash"] = hex0x(keccak(std::string_view("peer operation")));
  json v = a.result("efaas_submitPostOp", {post_op});
  expect_signed_verdict(v, 0, "VALID", post_op);
  ASSERT_EQ(v["peerVerdicts"].size(), 2u) << v.dump();
  std::set<std::string> responders;
  for (const auto& pv : v["peerVerdicts"]) {
    ASSERT_TRUE(pv.contains("verdict")) << pv.dump();
    EXPECT_TRUE(pv["counted"].get<bool>()) << pv.dump();
    int i = pv["verdict"]["responderNodeId"] == chain_->info()["nodes"][1] ? 1 : 2;
    expect_signed_verdict(pv["verdict"], i, "VALID", post_op);
    responders.insert(pv["verdict"]["responderNodeId"]);
  }
  EXPECT_EQ(responders.size(), 2u);
  // The peers verified and kept the PostOp, crediting node 0's reputation.
  for (int i = 1; i < 3; ++i) {
    EXPECT_EQ(nodes_[i]->result("efaas_getPostOps", {post_op["operationHash"]}).size(), 1u);
    json rep = nodes_[i]->result("efaas_reputation", {"peer", chain_->info()["nodes"][0]});
    EXPECT_GT(rep["validity"].get<double>(), 10.0 / 11.0);
  }
  // A stale processed block is refused by the peers too, with the reason.
  Hash32 old = head_hash();
  mine(5);
  json stale = groth16_post_op(old);
  json e = a.error("efaas_submitPostOp", {stale});
  EXPECT_EQ(e["data"]["reason"], "stale_block");
}

TEST_F(NodeE2E, CrashRestartLosesNothing) {
  NodeProc& a = *nodes_[0];
  NodeProc& b = *nodes_[1];
  json op_hash = chain_->info()["operationHash"];
  a.result("efaas_sendOperation", {chain_->info()["operation"]});
  json post_op = groth16_post_op(head_hash());
  post_op["operationHash"] = hex0x(keccak(std::string_view("restart operation")));
  ASSERT_EQ(b.result("efaas_submitPostOp", {post_op})["verdictName"], "VALID");
  // A peer throttled for two tampered proofs.
  const std::string peer = "0x00000000000000000000000000000000000000cc";
  json tampered = post_op;
  tampered["data"] = std::string(post_op["data"]).substr(0, 130) + "ff";
  for (int i = 0; i < 2; ++i) EXPECT_EQ(b.result("efaas_submitPostOp", {tampered, peer})["verdictName"], "INVALID");
  ASSERT_EQ(b.result("efaas_reputation", {"peer", peer})["standing"], "throttled");
  // SIGKILL: no clean shutdown.
  a.proc->kill_hard();
  b.proc->kill_hard();
  a.start();
  b.start();
  json status = a.result("efaas_getOperation", {op_hash});
  ASSERT_FALSE(status.is_null());
  EXPECT_TRUE(ok(operation_from_json(status["operation"])) == ok(operation_from_json(chain_->info()["operation"])));
  json kept = b.result("efaas_getPostOps", {post_op["operationHash"]});
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0]["postOp"], post_op);
  // Reputation survives too.
  json rep = b.result("efaas_reputation", {"peer", peer});
  EXPECT_EQ(rep["standing"], "throttled");
  EXPECT_NEAR(rep["validity"].get<double>(), 10.0 / 13.0, 1e-5);
}

// Last: it slashes node 2, which leaves the active set.
TEST_F(NodeE2E, SlashingEvidenceIsRecordedAndReportedOnChain) {
  NodeProc& b = *nodes_[1];
  const std::string target = "127.0.0.1:" + std::to_string(b.config["peer_listen_port"].get<int>());
  PrivateKey k0 = ok(PrivateKey::from_hex(chain_->info()["nodeKeys"][0].get<std::string>()));
  PrivateKey k2 = ok(PrivateKey::from_hex(chain_->info()["nodeKeys"][2].get<std::string>()));
  Address consensus = ok(parse_address(chain_->info()["consensus"].get<std::string>(), "consensus"));
  auto word = [&](const Bytes& call) { return ok(AbiDecoder(ok(eth_->eth_call(consensus, call))).uint(0)); };
  auto stake = [&](const Address& n) { return word(AbiEncoder("nodeInfo(address)").address(n).finish()); };
  auto reward = [&](const Address& n) { return word(AbiEncoder("rewards(address)").address(n).finish()); };
  const Address node1 = ok(parse_address(chain_->info()["nodes"][1].get<std::string>(), "node 1"));
  auto wait_evidence = [&](size_t n) {
    json list;
    for (int i = 0; i < 100; ++i) {
      list = b.result("efaas_slashingEvidence");
      if (list.size() >= n && list[n - 1]["status"] != "pending") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return list;
  };
  auto signed_verdict = [&](const PrivateKey& k, const Hash32& request, Verdict verdict) {
    ProofVerificationResponse r;
    r.request_id = request;
    r.verdict = verdict;
    r.diagnostics = verdict == Verdict::kValid ? "ok" : "bad";
    r.timestamp = 1'700'000'000;
    sign_response(domain_, k, r);  // sets the responder: k's address
    return r;
  };
  const U256 stake0 = stake(k2.address());
  ASSERT_GT(stake0.low_u64(), 0u);

  // 1. Node 2 signs VALID and INVALID on one PostOp; it gossips both to node 1 itself.
  const Hash32 request = keccak(std::string_view("a PostOp node 2 answered both ways"));
  PeerClient as2(target, k2);
  ASSERT_TRUE(as2.gossip_verdicts({signed_verdict(k2, request, Verdict::kValid)}, 1).is_ok());
  ASSERT_TRUE(as2.gossip_verdicts({signed_verdict(k2, request, Verdict::kInvalid)}, 1).is_ok());
  json list = wait_evidence(1);
  ASSERT_EQ(list.size(), 1u) << list.dump();
  EXPECT_EQ(list[0]["kind"], "conflicting_verdicts");
  EXPECT_EQ(list[0]["offender"], chain_->info()["nodes"][2]);
  EXPECT_EQ(list[0]["postOpHash"], hex0x(request));
  EXPECT_EQ(list[0]["verdicts"].size(), 2u);
  ASSERT_EQ(list[0]["status"], "submitted") << list.dump() << "\n" << b.log();
  const U256 stake1 = stake(k2.address());
  EXPECT_EQ(stake1.low_u64(), stake0.low_u64() / 2);  // slashBps 5000
  EXPECT_GT(reward(node1).low_u64(), 0u);             // node 1 reported it
  json rep = b.result("efaas_reputation", {"peer", chain_->info()["nodes"][2]});
  EXPECT_LT(rep["dispute"].get<double>(), 10.0 / 11.0 - 1e-6) << rep.dump();

  // 2. A VALID verdict by node 2 on a groth16 PostOp whose proof the verifier rejects (node 1 found
  // it INVALID), relayed to node 1 by node 0: evidence against node 2, not against the relay.
  json tampered = groth16_post_op(head_hash());
  tampered["operationHash"] = hex0x(keccak(std::string_view("slashing operation")));
  std::string proof = tampered["proof"];
  proof[20] = proof[20] == '0' ? '1' : '0';
  tampered["proof"] = proof;
  ASSERT_EQ(b.result("efaas_submitPostOp", {tampered})["verdictName"], "INVALID");
  const Hash32 bad_request = post_op_hash(domain_, ok(post_op_from_json(tampered)));
  PeerClient as0(target, k0);
  ASSERT_TRUE(as0.gossip_verdicts({signed_verdict(k2, bad_request, Verdict::kValid)}, 1).is_ok());
  list = wait_evidence(2);
  ASSERT_EQ(list.size(), 2u) << list.dump();
  EXPECT_EQ(list[1]["kind"], "invalid_proof_verdict");
  EXPECT_EQ(list[1]["offender"], chain_->info()["nodes"][2]);
  EXPECT_EQ(list[1]["postOp"], tampered);
  ASSERT_EQ(list[1]["status"], "submitted") << list.dump() << "\n" << b.log();
  EXPECT_EQ(stake(k2.address()).low_u64(), stake1.low_u64() / 2);
  // The relay is not blamed.
  EXPECT_NEAR(b.result("efaas_reputation", {"peer", chain_->info()["nodes"][0]})["dispute"].get<double>(),
              10.0 / 11.0, 1e-6);
  // A VALID verdict by node 2 on a PostOp that is fine is no evidence.
  json honest = groth16_post_op(head_hash());
  honest["operationHash"] = hex0x(keccak(std::string_view("honest slashing operation")));
  ASSERT_EQ(b.result("efaas_submitPostOp", {honest})["verdictName"], "VALID");
  const Hash32 good_request = post_op_hash(domain_, ok(post_op_from_json(honest)));
  ASSERT_TRUE(as0.gossip_verdicts({signed_verdict(k2, good_request, Verdict::kValid)}, 1).is_ok());

  // 3. Evidence survives a crash; reported evidence is not reported twice.
  b.proc->kill_hard();
  b.start();
  json kept = b.result("efaas_slashingEvidence");
  ASSERT_EQ(kept.size(), 2u) << kept.dump();
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(kept[i]["id"], list[i]["id"]);
    EXPECT_EQ(kept[i]["status"], "submitted");
  }
}

}  // namespace
}  // namespace efaas::node
