#pragma once
// Test support for the end-to-end tests (tests/node_e2e_test.cpp, tests/node_farm_e2e_test.cpp):
// an efaas-node child process driven over its JSON-RPC API, its config on the dev chain, and the
// checks both suites make (signed verdicts, on-chain settlement).
#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "node/chain/eth_client.hpp"
#include "node/core/eip712.hpp"
#include "node/testing/devchain.hpp"

namespace efaas::node::testing {

template <typename T>
T ok(Result<T> r) {
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return std::move(r).value();
}

std::string slurp(const std::string& path);

struct NodeProc {
  std::unique_ptr<Subprocess> proc;
  int port = 0;
  std::string address;
  std::string dir;
  nlohmann::json config;
  std::unique_ptr<httplib::Client> http;
  int next_id = 1;

  // A node of the dev chain: its data directory `dir` with staked node key `i`, and the config keys
  // every test node shares (loopback ports, a 100 ms loop, a gRPC peer port).
  static std::unique_ptr<NodeProc> make(const DevChain& chain, int i, const std::string& dir, int peer_port);
  // Writes dir/config.json and starts efaas-node with it and `extra_args`, stderr to dir/node.log;
  // returns when the node printed its ready line.
  void start(const std::vector<std::string>& extra_args = {});
  std::string log() const { return slurp(dir + "/node.log"); }

  nlohmann::json call(const std::string& method, nlohmann::json params = nlohmann::json::array());
  nlohmann::json result(const std::string& method, nlohmann::json params = nlohmann::json::array());
  // The error object of a call that must fail.
  nlohmann::json error(const std::string& method, nlohmann::json params = nlohmann::json::array());
  // Polls efaas_getPostOps until the PostOp answering `op_hash` carries verdicts from every address
  // of `responders`; returns those it has (or the time is up).
  std::set<std::string> wait_verdicts(const nlohmann::json& op_hash, const std::set<std::string>& responders,
                                      int seconds);
  // Polls efaas_getOperation until the status is one of `want` (or the time is up).
  nlohmann::json wait_status(const nlohmann::json& op_hash, const std::set<std::string>& want, int seconds);
};

// `v` (a verdict's JSON) is `verdict`, by `responder`, for `post_op`, and its EIP-712 signature
// recovers `responder`; the same verdict with the other outcome does not.
void expect_signed_verdict(const Eip712Domain& domain, const nlohmann::json& v, const std::string& responder,
                           const std::string& verdict, const nlohmann::json& post_op);
void mine(EthClient& eth, int blocks);
// Mines blocks until `node` is the elected leader of the next block's slot. Nothing else mines in
// these tests, so the chain then stays there until a transaction: `node` is the one to settle.
void mine_until_leader_of_next_block(EthClient& eth, const Address& consensus, const Address& node);
// The ConsensusContract's settled(opHash).
bool settled_on_chain(EthClient& eth, const Address& consensus, const Hash32& operation_hash);

}  // namespace efaas::node::testing
