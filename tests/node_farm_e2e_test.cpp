// efaas-node proving through a real efaas-farm: ganache with the example Extension
// (node/examples/example_extension.c, built to wasm32) registered, one efaas-farm process, three efaas-node
// processes with the staked keys. An Operation sent to node 1 (which does not serve the
// Extension) is gossiped to node 0, which runs it, streams the trace to the farm, gets the zkWASM
// bundle, verifies the PostOp itself and asks nodes 1 and 2 for signed verdicts; the slot leader
// settles it on-chain. Node 2 serves the Extension too but its farm is down: its copy of the
// Operation says so and is retried, never answered with a fake PostOp. A PostOp whose proof was
// made for another Data or sender is INVALID; a tampered zkWASM PostOp is INVALID and its peer is
// throttled, then banned.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "node/chain/abi.hpp"
#include "node/chain/eth_client.hpp"
#include "node/core/eip712.hpp"
#include "node/core/encoding.hpp"
#include "node/prove/universal.hpp"
#include "node/testing/example_extension.hpp"
#include "node/testing/node_proc.hpp"
#include "prover/farm/client.hpp"
#include "prover/fri/fri_params.hpp"
#include "prover/wasm/extension.hpp"

namespace efaas::node {
namespace {

using nlohmann::json;
using testing::Subprocess;
namespace fs = std::filesystem;
namespace fc = efaas::farm::client;
namespace pb = efaas::farm::v1;

using testing::NodeProc;
using testing::ok;
using testing::slurp;

class NodeFarmE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const std::string wasm = EFAAS_NODE_EXAMPLE_WASM;
    ASSERT_TRUE(fs::exists(wasm)) << "the example Extension was not built (Debian clang and lld): " << wasm;
    auto c = testing::DevChain::start({"--slot-blocks", "5", "--wasm", wasm});
    ASSERT_TRUE(c.is_ok()) << c.status().to_string();
    chain_ = std::move(*c).release();
    eth_ = ok(EthClient::connect(chain_->rpc())).release();
    domain_ = {1337, ok(parse_address(chain_->info()["consensus"].get<std::string>(), "consensus"))};

    // The farm, on ports the OS picks; a tenant for the nodes.
    const std::string store = dir_->path() + "/farm";
    fs::create_directories(store);
    auto f = Subprocess::start({"sh", "-c",
                                "exec '" + testing::build_dir() + "/bin/efaas-farm' --store '" + store +
                                    "' --ports-file '" + store + "/ports.json' --prover-threads 2 --log-level info "
                                    "> '" + store + "/farm.log' 2>&1"},
                               {}, false);
    ASSERT_TRUE(f.is_ok()) << f.status().to_string();
    farm_ = *f;
    for (int i = 0; i < 600 && !fs::exists(store + "/ports.json"); ++i) {
      ASSERT_TRUE(farm_->running()) << slurp(store + "/farm.log");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the file is complete
    json ports = json::parse(slurp(store + "/ports.json"));
    farm_target_ = "127.0.0.1:" + std::to_string(ports["farm"].get<int>());
    std::string token = slurp(store + "/admin.token");
    token = token.substr(0, token.find('\n'));
    auto admin = pb::FarmAdmin::NewStub(
        fc::make_channel("127.0.0.1:" + std::to_string(ports["admin"].get<int>()), {}, nullptr));
    pb::CreateTenantRequest req;
    req.set_name("nodes");
    req.set_balance(1'000'000'000);
    pb::TenantKey key;
    auto ctx = fc::admin_context(token, 10);
    grpc::Status st = admin->CreateTenant(ctx.get(), req, &key);
    ASSERT_TRUE(st.ok()) << st.error_message();
    std::ofstream(dir_->path() + "/farm.key") << key.api_key() << "\n";

    const std::string ext = chain_->info()["extensionId"];
    const std::string groth16 = chain_->info()["groth16"]["extensionId"];
    int peer_ports[3] = {testing::free_port(), testing::free_port(), testing::free_port()};
    for (int i = 0; i < 3; ++i) {
      nodes_[i] = NodeProc::make(*chain_, i, dir_->path() + "/node" + std::to_string(i), peer_ports[i]).release();
      NodeProc& n = *nodes_[i];
      json peers = json::array();
      for (int j = 0; j < 3; ++j) {
        if (j != i) peers.push_back("127.0.0.1:" + std::to_string(peer_ports[j]));
      }
      n.config.update({{"process_window", 64},
                       {"log_level", "info"},
                       {"peers", peers},
                       // The test preset keeps the proof fast; the nodes accept exactly what it gives.
                       {"zkwasm_preset", "test"},
                       {"min_security_bits", kTestPresetBits},
                       {"prove_retry_s", 3600},
                       {"peer_rate", {{"rate", 1000}, {"burst", 100}}}});
      if (i == 0) {  // proves through the farm, zkWASM and the groth16 circuit
        const json& circuit = chain_->info()["groth16"]["circuit"];
        n.config["serve"] = {ext, groth16, circuit["extensionId"]};
        n.config["farm"] = farm_target_;
        n.config["snarkjs"] = testing::source_dir() + "/tools/node_modules/.bin/snarkjs";
        n.config["groth16_artifacts_dir"] = circuit["artifactsDir"];
      } else if (i == 1) {  // does not serve the example: gossips it
        n.config["serve"] = {groth16};
      } else {  // serves it, but its farm is down
        n.config["serve"] = {ext, groth16};
        n.config["farm"] = "127.0.0.1:1";
      }
      n.start({"--farm-api-key-file", dir_->path() + "/farm.key"});
    }
  }
  static void TearDownTestSuite() {
    for (auto*& n : nodes_) {
      if (n && ::testing::Test::HasFailure()) std::cerr << "--- " << n->dir << "/node.log\n" << n->log();
      delete n;
      n = nullptr;
    }
    if (farm_ && ::testing::Test::HasFailure()) std::cerr << "--- farm.log\n" << slurp(dir_->path() + "/farm/farm.log");
    delete farm_;
    delete eth_;
    delete chain_;
    delete dir_;
  }
  static void mine(int n) { testing::mine(*eth_, n); }
  static void expect_signed(const json& v, int i, const std::string& verdict, const json& post_op) {
    testing::expect_signed_verdict(domain_, v, chain_->info()["nodes"][i], verdict, post_op);
  }

  // conjectured_security_bits(fri_test_preset()), rounded down (node_prove_test checks the rule).
  static constexpr double kTestPresetBits = 20;
  static inline testing::DevChain* chain_ = nullptr;
  static inline EthClient* eth_ = nullptr;
  static inline testing::TempDir* dir_ = nullptr;
  static inline Subprocess* farm_ = nullptr;
  static inline std::string farm_target_;
  static inline NodeProc* nodes_[3] = {};
  static inline Eip712Domain domain_;
  static inline json post_op_;  // node 0's PostOp, for the tampering test
};

// The example Extension's input for the devchain's Operation (Data, To, the user as sender) at `block`.
wasm::ExtensionInput operation_input(const json& info, const Hash32& block) {
  wasm::ExtensionInput in;
  in.data = ok(parse_hex(info["operation"]["data"].get<std::string>(), "data"));
  in.to = ok(parse_address(info["operation"]["to"].get<std::string>(), "to"));
  in.sender = ok(parse_address(info["user"].get<std::string>(), "user"));
  in.block_hash = block;
  return in;
}

// A zkWASM PostOp made in this process (the runtime and prover/zkwasm, no farm): what a peer sends.
// `in` is what the proof is made for; the PostOp claims `in.block_hash` as its processed block.
json local_post_op(const std::string& wasm_path, const Hash32& operation_hash, const wasm::ExtensionInput& in) {
  std::string bytes = slurp(wasm_path);
  auto program = ok(zkwasm::Program::load(std::span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())));
  wasm::MemorySink sink;
  wasm::TraceWriter tw(sink);
  wasm::ExtensionConfig ec;
  ec.trace = &tw;
  EXPECT_TRUE(wasm::run_extension(program->module_ptr(), in, ec).is_ok());
  zkwasm::ProveOptions po;
  po.params = fri_test_preset();
  po.public_input = wasm::encode_public_inputs(in);
  auto bundle = ok(zkwasm::prove(*program, ok(wasm::read_trace(sink.data)), po));
  PostOp p = ok(make_universal_post_op(operation_hash, program->module_hash(), zkwasm::serialize_bundle(bundle),
                                       in.block_hash, R"({"proofSystem":"zkwasm-stark","preset":"test"})"));
  return to_json(p);
}

TEST_F(NodeFarmE2E, GossipedOperationIsProvedVerifiedAndSettled) {
  const json op = chain_->info()["operation"];  // for the example Extension, signed by ethers
  const json op_hash = chain_->info()["operationHash"];
  // Node 0 must know node 1 is interested before node 1 gossips, and verdicts go to greeted peers
  // only: wait for every greeting.
  for (auto* n : nodes_) {
    for (int i = 0; i < 100 && n->result("efaas_nodeInfo")["peers"].size() < 2; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  // Node 1 leads the next block's slot and nothing mines until it settles: it settles node 0's
  // PostOp with the verdicts of nodes 0 and 2, which reach it by gossip.
  Address consensus = ok(parse_address(chain_->info()["consensus"].get<std::string>(), "consensus"));
  testing::mine_until_leader_of_next_block(
      *eth_, consensus, ok(parse_address(chain_->info()["nodes"][1].get<std::string>(), "node 1")));
  json sent = nodes_[1]->result("efaas_sendOperation", {op});
  ASSERT_EQ(sent["operationHash"], op_hash) << sent.dump();

  json s = nodes_[0]->wait_status(op_hash, {"proved", "proving_failed", "proving_retry"}, 240);
  if (s["status"] == "proving_failed" && s["detail"].get<std::string>().find("zkwasm-trace jobs") != std::string::npos &&
      s["detail"].get<std::string>().find("UNIMPLEMENTED") != std::string::npos) {
    // A farm built without its zkWASM engine: the node says so and makes no PostOp.
    EXPECT_TRUE(nodes_[0]->result("efaas_getPostOps", {op_hash}).empty());
    GTEST_SKIP() << "this efaas-farm has no zkWASM engine: " << s["detail"].get<std::string>();
  }
  ASSERT_EQ(s["status"], "proved") << s.dump();
  EXPECT_EQ(s["source"], chain_->info()["nodes"][1]);  // it came by gossip
  EXPECT_NE(s["detail"].get<std::string>().find("2 of 2 peers VALID"), std::string::npos) << s.dump();
  for (const char* stage : {"execute", "stream", "farmProve", "verify", "peers"}) {
    EXPECT_TRUE(s["timings"].contains(stage)) << s.dump();
  }
  json posts = nodes_[0]->result("efaas_getPostOps", {op_hash});
  ASSERT_EQ(posts.size(), 1u);
  post_op_ = posts[0]["postOp"];
  // The output is the example's, computed here independently from the Operation ("hello").
  const Hash32 processed = ok(parse_hash32(post_op_["processedBlockHash"].get<std::string>(), "block"));
  const wasm::ExtensionInput in = operation_input(chain_->info(), processed);
  const Bytes want = testing::example_extension_output(in);
  EXPECT_EQ(std::string(want.begin(), want.begin() + 5), "HELLO");
  EXPECT_EQ(post_op_["data"], hex0x(want));
  Proof proof = ok(decode_proof(ok(parse_hex(post_op_["proof"].get<std::string>(), "proof"))));
  // Proof.inputs: the Operation's Data, To, recovered sender and the processed block, encoded.
  EXPECT_EQ(proof.inputs, wasm::encode_public_inputs(in));
  EXPECT_EQ(proof.output, want);
  EXPECT_EQ(hex0x(proof.extension_id), chain_->info()["extensionId"]);
  EXPECT_EQ(std::string(proof.proof_data.begin(), proof.proof_data.begin() + 8), "EFZKWASM");
  json meta = json::parse(proof.metadata);
  EXPECT_EQ(meta["proofSystem"], "zkwasm-stark");
  EXPECT_FALSE(meta["farmJob"].get<std::string>().empty());
  // Nodes 1 and 2 verified it (their own zkWASM check) and kept it.
  for (int i = 1; i < 3; ++i) {
    json kept = nodes_[i]->result("efaas_getPostOps", {op_hash});
    ASSERT_EQ(kept.size(), 1u) << i;
    EXPECT_EQ(kept[0]["postOp"], post_op_);
    EXPECT_GT(nodes_[i]->result("efaas_reputation", {"peer", chain_->info()["nodes"][0]})["validity"].get<double>(),
              10.0 / 11.0);
  }
  // And any node answers it with a signed VALID verdict of its own.
  expect_signed(nodes_[2]->result("efaas_submitPostOp", {post_op_}), 2, "VALID", post_op_);
  // Node 2 serves the Extension but its farm is down: a clear status, retried later, no PostOp of its own.
  json s2 = nodes_[2]->wait_status(op_hash, {"proving_retry", "proving_failed", "proved"}, 30);
  EXPECT_EQ(s2["status"], "proving_retry") << s2.dump();
  EXPECT_NE(s2["detail"].get<std::string>().find("127.0.0.1:1"), std::string::npos) << s2.dump();

  // Node 1, the slot leader, submits the batch with the verdicts; the contract marks it settled.
  Hash32 h = ok(parse_hash32(op_hash.get<std::string>(), "op"));
  json settled = nodes_[1]->wait_status(op_hash, {"settled"}, 30);
  ASSERT_EQ(settled["status"], "settled") << settled.dump();
  EXPECT_TRUE(testing::settled_on_chain(*eth_, consensus, h));
  // With a quorum of 2 it settles with its own verdict and the first of node 0's and node 2's to
  // arrive by gossip (Verify requests carry none); then it holds all three.
  const std::string detail = settled["detail"];
  EXPECT_NE(detail.find("by this node"), std::string::npos) << detail;
  EXPECT_NE(detail.find(chain_->info()["nodes"][1].get<std::string>()), std::string::npos) << detail;
  EXPECT_TRUE(detail.find(chain_->info()["nodes"][0].get<std::string>()) != std::string::npos ||
              detail.find(chain_->info()["nodes"][2].get<std::string>()) != std::string::npos)
      << detail;
  std::set<std::string> all;
  for (int i = 0; i < 3; ++i) all.insert(chain_->info()["nodes"][i].get<std::string>());
  EXPECT_EQ(nodes_[1]->wait_verdicts(op_hash, all, 20), all);

  // A second valid PostOp for the same Operation (proved here, on a later block): node 1 keeps it,
  // re-runs the Operation itself and finds both answers right.
  const std::string wasm = EFAAS_NODE_EXAMPLE_WASM;
  json second = local_post_op(wasm, h, operation_input(chain_->info(), ok(eth_->block_by_tag("latest")).hash));
  ASSERT_NE(second, post_op_);
  expect_signed(nodes_[1]->result("efaas_submitPostOp", {second}), 1, "VALID", second);
  EXPECT_EQ(nodes_[1]->result("efaas_getPostOps", {op_hash}).size(), 2u);
  auto metrics = nodes_[1]->http->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("efaas_node_reruns_total{reason=\"agree\"} 2"), std::string::npos) << metrics->body;

  // Genuine proofs of the Extension, but made for another Data or another sender than the
  // Operation's: INVALID, naming what differs; not kept.
  for (auto [field, edit] : std::vector<std::pair<std::string, std::function<void(wasm::ExtensionInput&)>>>{
           {"Data byte 0", [](wasm::ExtensionInput& x) { x.data[0] = 'j'; }},
           {"sender", [](wasm::ExtensionInput& x) { x.sender[3] ^= 1; }}}) {
    wasm::ExtensionInput other = operation_input(chain_->info(), ok(eth_->block_by_tag("latest")).hash);
    edit(other);
    json wrong = local_post_op(wasm, h, other);
    json v = nodes_[1]->result("efaas_submitPostOp", {wrong});
    expect_signed(v, 1, "INVALID", wrong);
    EXPECT_NE(v["diagnostics"].get<std::string>().find(field + " differs"), std::string::npos) << v.dump();
    EXPECT_FALSE(v["stored"].get<bool>());
  }
  EXPECT_EQ(nodes_[1]->result("efaas_getPostOps", {op_hash}).size(), 2u);
  // An Operation this node does not hold: no opinion (ERROR), since its public input is unknown.
  json stray = local_post_op(wasm, keccak(std::string_view("unknown op")),
                             operation_input(chain_->info(), ok(eth_->block_by_tag("latest")).hash));
  json v = nodes_[1]->result("efaas_submitPostOp", {stray});
  EXPECT_EQ(v["verdictName"], "ERROR") << v.dump();
  EXPECT_NE(v["diagnostics"].get<std::string>().find("not known to this node"), std::string::npos) << v.dump();
}

TEST_F(NodeFarmE2E, TamperedZkwasmPostOpIsInvalidAndThePeerIsThrottledThenBanned) {
  NodeProc& b = *nodes_[1];
  const std::string peer = "0x00000000000000000000000000000000000000dd";
  // An honest PostOp from that peer first: VALID (an independent prover's bundle passes the node's check).
  const Hash32 op_hash = ok(parse_hash32(chain_->info()["operationHash"].get<std::string>(), "op"));
  post_op_ = local_post_op(EFAAS_NODE_EXAMPLE_WASM, op_hash,
                           operation_input(chain_->info(), ok(eth_->block_by_tag("latest")).hash));
  expect_signed(b.result("efaas_submitPostOp", {post_op_, peer}), 1, "VALID", post_op_);
  // A real bundle with one byte of its STARK proof flipped.
  Proof proof = ok(decode_proof(ok(parse_hex(post_op_["proof"].get<std::string>(), "proof"))));
  proof.proof_data[proof.proof_data.size() - 40] ^= 0x10;
  json tampered = post_op_;
  tampered["proof"] = hex0x(encode(proof));
  json v = b.result("efaas_submitPostOp", {tampered, peer});
  expect_signed(v, 1, "INVALID", tampered);
  EXPECT_FALSE(v["stored"].get<bool>());
  EXPECT_EQ(b.result("efaas_reputation", {"peer", peer})["standing"], "good");
  // The claimed output changed: the proof does not bind it.
  json lying = post_op_;
  lying["data"] = hex0x(Bytes{'H', 'I'});
  v = b.result("efaas_submitPostOp", {lying, peer});
  expect_signed(v, 1, "INVALID", lying);
  EXPECT_NE(v["diagnostics"].get<std::string>().find("PostOp.data"), std::string::npos) << v.dump();
  EXPECT_EQ(b.result("efaas_reputation", {"peer", peer})["standing"], "throttled");
  bool banned = false;
  for (int i = 0; i < 20 && !banned; ++i) {
    json r = b.call("efaas_submitPostOp", {tampered, peer});
    banned = r.contains("error") && r["error"]["data"]["reason"] == "peer_banned";
  }
  EXPECT_TRUE(banned);
  EXPECT_EQ(b.result("efaas_reputation", {"peer", peer})["standing"], "banned");
  // Banned: even an honest PostOp is refused from that peer.
  EXPECT_EQ(b.call("efaas_submitPostOp", {post_op_, peer})["error"]["data"]["reason"], "peer_banned");
}

TEST_F(NodeFarmE2E, CustomModeGroth16OperationIsProvedThroughTheFarm) {
  // The circuit Extension's module is a manifest binding the witness generator and the zkey by
  // keccak256; node 0 finds both in the fixture directory, computes the witness of the Operation's
  // Data with snarkjs and proves it on the farm (groth16 job); the ConsensusContract's verifier
  // (checkProof) decides, at node 0 and at its peers.
  const json& circuit = chain_->info()["groth16"]["circuit"];
  PrivateKey user = ok(PrivateKey::from_hex(chain_->info()["userKey"].get<std::string>()));
  auto operation = [&](const std::string& data) {
    json j = chain_->info()["operation"];
    j["extensionId"] = circuit["extensionId"];
    j["data"] = hex0x(Bytes(data.begin(), data.end()));
    j["blockHash"] = hex0x(ok(eth_->block_by_tag("latest")).hash);
    Operation op = ok(operation_from_json(j));
    sign_operation(domain_, user, op);
    return to_json(op);
  };
  json sent = nodes_[0]->result("efaas_sendOperation", {operation(circuit["input"])});
  ASSERT_TRUE(sent.contains("operationHash")) << sent.dump();
  json s = nodes_[0]->wait_status(sent["operationHash"], {"proved", "proving_failed", "proving_retry"}, 120);
  ASSERT_EQ(s["status"], "proved") << s.dump() << "\n" << nodes_[0]->log();
  EXPECT_NE(s["detail"].get<std::string>().find("2 of 2 peers VALID"), std::string::npos) << s.dump();
  for (const char* stage : {"witness", "farmProve", "verify", "peers"}) EXPECT_TRUE(s["timings"].contains(stage)) << s.dump();
  std::cout << "groth16 Operation stages (s, wall): " << s["timings"].dump() << "\n";
  json posts = nodes_[0]->result("efaas_getPostOps", {sent["operationHash"]});
  ASSERT_EQ(posts.size(), 1u);
  const json& p = posts[0]["postOp"];
  // The public signals are the fixture's (snarkjs computed them from the same input; ethers encoded them).
  EXPECT_EQ(p["data"], circuit["data"]);
  EXPECT_EQ(p["proof"].get<std::string>().size(), 2u + 2 * 256);
  EXPECT_EQ(p["extensionId"], circuit["extensionId"]);
  // Nodes 1 and 2 checked it with the contract's verifier and kept it; a proof edited is refused.
  for (int i = 1; i < 3; ++i) EXPECT_EQ(nodes_[i]->result("efaas_getPostOps", {sent["operationHash"]}).size(), 1u) << i;
  json tampered = p;
  std::string proof = tampered["proof"];
  proof[100] = proof[100] == '0' ? '1' : '0';
  tampered["proof"] = proof;
  EXPECT_EQ(nodes_[2]->result("efaas_submitPostOp", {tampered})["verdictName"], "INVALID");

  // Data that is not circuit input: no witness, no PostOp, and the status says why.
  json bad = nodes_[0]->result("efaas_sendOperation", {operation("not json")});
  s = nodes_[0]->wait_status(bad["operationHash"], {"proved", "proving_failed", "proving_retry"}, 60);
  EXPECT_EQ(s["status"], "proving_failed") << s.dump();
  EXPECT_NE(s["detail"].get<std::string>().find("witness"), std::string::npos) << s.dump();
  EXPECT_NE(s["detail"].get<std::string>().find("not a JSON object"), std::string::npos) << s.dump();
  // An input the circuit rejects (a field it does not have): snarkjs says so.
  json wrong = nodes_[0]->result("efaas_sendOperation", {operation(R"({"b":"7"})")});
  s = nodes_[0]->wait_status(wrong["operationHash"], {"proved", "proving_failed", "proving_retry"}, 60);
  EXPECT_EQ(s["status"], "proving_failed") << s.dump();
  EXPECT_NE(s["detail"].get<std::string>().find("snarkjs wtns calculate failed"), std::string::npos) << s.dump();
  EXPECT_TRUE(nodes_[0]->result("efaas_getPostOps", {wrong["operationHash"]}).empty());
}

}  // namespace
}  // namespace efaas::node
