#include "node/testing/node_proc.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "node/chain/abi.hpp"
#include "node/chain/contracts.hpp"
#include "node/core/encoding.hpp"

namespace efaas::node::testing {

using nlohmann::json;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::unique_ptr<NodeProc> NodeProc::make(const DevChain& chain, int i, const std::string& dir, int peer_port) {
  auto n = std::make_unique<NodeProc>();
  n->dir = dir;
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/node.key") << chain.info()["nodeKeys"][i].get<std::string>() << "\n";
  n->config = {{"eth_rpc", chain.rpc()},
               {"registry", chain.info()["registry"]},
               {"consensus", chain.info()["consensus"]},
               {"data_dir", dir},
               {"listen_port", free_port()},
               {"poll_ms", 100},
               {"peer_listen_port", peer_port}};
  return n;
}

void NodeProc::start(const std::vector<std::string>& extra_args) {
  std::ofstream(dir + "/config.json") << config.dump(2);
  std::string cmd = "exec '" + build_dir() + "/bin/efaas-node' --config '" + dir + "/config.json'";
  for (const auto& a : extra_args) cmd += " '" + a + "'";
  cmd += " 2>>'" + dir + "/node.log'";
  auto p = Subprocess::start({"sh", "-c", cmd});
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  proc.reset(*p);
  auto line = proc->read_line(std::chrono::seconds(30));
  ASSERT_TRUE(line.is_ok()) << line.status().to_string() << log();
  json ready = json::parse(*line);
  ASSERT_TRUE(ready.value("ready", false)) << *line;
  port = ready["port"];
  address = ready["address"];
  http = std::make_unique<httplib::Client>("127.0.0.1", port);
  http->set_read_timeout(std::chrono::seconds(60));
}

json NodeProc::call(const std::string& method, json params) {
  json req = {{"jsonrpc", "2.0"}, {"id", next_id++}, {"method", method}, {"params", params}};
  auto res = http->Post("/", req.dump(), "application/json");
  EXPECT_TRUE(res) << method << ": no HTTP response";
  if (!res) return json();
  return json::parse(res->body);
}

json NodeProc::result(const std::string& method, json params) {
  json r = call(method, params);
  EXPECT_TRUE(r.contains("result")) << method << ": " << r.dump();
  return r.value("result", json());
}

json NodeProc::error(const std::string& method, json params) {
  json r = call(method, params);
  EXPECT_TRUE(r.contains("error")) << method << " succeeded: " << r.dump();
  return r.value("error", json::object());
}

json NodeProc::wait_status(const json& op_hash, const std::set<std::string>& want, int seconds) {
  json s;
  for (int i = 0; i < seconds * 10; ++i) {
    s = result("efaas_getOperation", {op_hash});
    if (s.is_object() && want.count(s["status"].get<std::string>())) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return s;
}

std::set<std::string> NodeProc::wait_verdicts(const json& op_hash, const std::set<std::string>& responders,
                                              int seconds) {
  std::set<std::string> have;
  for (int i = 0; i < seconds * 10; ++i) {
    have.clear();
    for (const auto& p : result("efaas_getPostOps", {op_hash})) {
      for (const auto& v : p["verdicts"]) {
        if (v["verdictName"] == "VALID") have.insert(v["responderNodeId"].get<std::string>());
      }
    }
    if (std::includes(have.begin(), have.end(), responders.begin(), responders.end())) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return have;
}

void expect_signed_verdict(const Eip712Domain& domain, const json& v, const std::string& responder,
                           const std::string& verdict, const json& post_op) {
  ASSERT_TRUE(v.is_object()) << v.dump();
  EXPECT_EQ(v["verdictName"], verdict) << v.dump();
  EXPECT_EQ(v["responderNodeId"], responder);
  ProofVerificationResponse r;
  r.request_id = ok(parse_hash32(v["requestId"].get<std::string>(), "requestId"));
  r.responder_node_id = ok(parse_address(v["responderNodeId"].get<std::string>(), "responder"));
  r.verdict = Verdict(v["verdict"].get<int>());
  r.signature = ok(parse_hex(v["signature"].get<std::string>(), "signature"));
  r.diagnostics = v["diagnostics"];
  r.timestamp = v["timestamp"];
  EXPECT_TRUE(verify_response(domain, r).is_ok());
  EXPECT_EQ(r.request_id, post_op_hash(domain, ok(post_op_from_json(post_op))));
  r.verdict = r.verdict == Verdict::kValid ? Verdict::kInvalid : Verdict::kValid;
  EXPECT_FALSE(verify_response(domain, r).is_ok());  // the signature binds the verdict
}

void mine(EthClient& eth, int blocks) {
  for (int i = 0; i < blocks; ++i) ASSERT_TRUE(eth.call("evm_mine", json::array()).is_ok());
}

void mine_until_leader_of_next_block(EthClient& eth, const Address& consensus, const Address& node) {
  ConsensusClient cc(eth, consensus);
  const SlotParams sp = ok(cc.slot_params());
  const uint64_t chain_id = ok(eth.chain_id());
  for (int i = 0; i < 500; ++i) {
    const uint64_t next = ok(eth.block_number()) + 1;
    if (ok(elect_leader(chain_id, consensus, slot_of(sp, next), ok(cc.active_nodes()))) == node) return;
    mine(eth, 1);
  }
  FAIL() << address_to_string(node) << " never led a slot";
}

bool settled_on_chain(EthClient& eth, const Address& consensus, const Hash32& operation_hash) {
  Bytes r = ok(eth.eth_call(consensus, AbiEncoder("settled(bytes32)").word(operation_hash).finish()));
  return ok(AbiDecoder(r).boolean(0));
}

}  // namespace efaas::node::testing
