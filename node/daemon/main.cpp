// efaas-node: the eFaaS middle node daemon. Config file (JSON) + flags (flags win); prints one
// JSON line {"ready":true,...} on stdout once it serves, logs JSON lines on stderr, and stops
// cleanly on SIGTERM/SIGINT. See docs/node.md.
#include <CLI/CLI.hpp>
#include <signal.h>

#include <fstream>
#include <iostream>

#include "node/server/node.hpp"
#include "prover/fri/fri_params.hpp"

namespace {

int fail_usage(const std::string& message) {
  std::cerr << "efaas-node: " << message << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using efaas::node::NodeConfig;
  CLI::App app{"efaas-node: the eFaaS middle node (Operations, PostOps, verdicts, reputation)"};
  std::string config_file;
  bool print_config = false;
  std::optional<std::string> listen_host, eth_rpc, registry, consensus, data_dir, key_file, log_level;
  std::optional<int> listen_port, poll_ms, peer_listen_port;
  std::vector<std::string> peers;
  std::optional<uint64_t> process_window, finality_depth;
  std::optional<std::string> farm, farm_api_key_file, zkwasm_preset;
  std::optional<double> min_security_bits;
  std::optional<std::string> merkle_hash;
  app.add_option("-c,--config", config_file, "JSON config file (keys: see docs/node.md)");
  app.add_option("--listen-host", listen_host, "JSON-RPC listen address");
  app.add_option("--listen-port", listen_port, "JSON-RPC port (0: any free port)");
  app.add_option("--eth-rpc", eth_rpc, "Ethereum JSON-RPC endpoint (http://host:port)");
  app.add_option("--registry", registry, "ExtensionRegistry address");
  app.add_option("--consensus", consensus, "ConsensusContract address");
  app.add_option("--data-dir", data_dir, "state directory (SQLite, node key, modules)");
  app.add_option("--key-file", key_file, "node key file (hex; created if absent)");
  app.add_option("--process-window", process_window, "PROCESS_WINDOW in blocks");
  app.add_option("--finality-depth", finality_depth, "0: the chain's finalized tag; N: head - N");
  app.add_option("--poll-ms", poll_ms, "background loop period");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error");
  app.add_option("--peer-listen-port", peer_listen_port, "gRPC peer API port (-1 off, 0 any free port)");
  app.add_option("--peer", peers, "a peer's gRPC host:port (repeatable; replaces the config's list)");
  app.add_option("--farm", farm, "efaas-farm gRPC address host:port (proving served Extensions)");
  app.add_option("--farm-api-key-file", farm_api_key_file, "file holding the farm tenant's API key");
  app.add_option("--zkwasm-preset", zkwasm_preset, "FRI preset the farm proves at: production | production-poseidon2 | test");
  app.add_option("--min-security-bits", min_security_bits, "zkWASM PostOps below this are INVALID");
  app.add_option("--merkle-hash", merkle_hash, "any | poseidon2 | blake3: zkWASM PostOps committed with another are INVALID");
  app.add_flag("--print-config", print_config, "print the effective config as JSON and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  NodeConfig config;
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) return fail_usage("cannot read config file " + config_file);
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded()) return fail_usage("config file " + config_file + " is not valid JSON");
    auto c = efaas::node::parse_config(j);
    if (!c) return fail_usage(config_file + ": " + c.status().message());
    config = *c;
  }
  if (listen_host) config.listen_host = *listen_host;
  if (listen_port) config.listen_port = *listen_port;
  if (eth_rpc) config.eth_rpc = *eth_rpc;
  if (registry) config.registry = *registry;
  if (consensus) config.consensus = *consensus;
  if (data_dir) config.data_dir = *data_dir;
  if (key_file) config.key_file = *key_file;
  if (process_window) config.chain.process_window = *process_window;
  if (finality_depth) config.chain.finality_depth = *finality_depth;
  if (poll_ms) config.poll_ms = *poll_ms;
  if (log_level) config.log_level = *log_level;
  if (peer_listen_port) config.peer_listen_port = *peer_listen_port;
  if (!peers.empty()) config.peers = peers;
  if (farm) config.farm.target = *farm;
  if (farm_api_key_file) {
    std::ifstream in(*farm_api_key_file);
    if (!in || !std::getline(in, config.farm.api_key) || config.farm.api_key.empty()) {
      return fail_usage("--farm-api-key-file: cannot read a key from " + *farm_api_key_file);
    }
  }
  if (zkwasm_preset) {
    if (!efaas::fri_preset(*zkwasm_preset).is_ok()) {
      return fail_usage(std::string("--zkwasm-preset: one of ") + efaas::fri_preset_names() +
                        ", got " + *zkwasm_preset);
    }
    config.farm.preset = *zkwasm_preset;
  }
  if (min_security_bits) config.min_security_bits = *min_security_bits;
  if (merkle_hash) {
    auto accepted = efaas::parse_accepted_merkle_hash(*merkle_hash);
    if (!accepted) return fail_usage("--merkle-hash: " + accepted.status().message());
    config.merkle_hash = *accepted;
  }
  if (auto s = efaas::node::validate_config(config); !s) return fail_usage(s.message());
  if (print_config) {
    std::cout << efaas::node::config_to_json(config).dump(2) << "\n";
    return 0;
  }
  if (config.registry.empty() || config.consensus.empty()) {
    return fail_usage("--registry and --consensus (or the config keys) are required");
  }

  // Signals are taken synchronously by this thread; the node's threads never see them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  auto node = efaas::node::Node::create(config);
  if (!node) {
    std::cerr << "efaas-node: " << node.status().to_string() << "\n";
    return node.status().code() == efaas::StatusCode::kInvalidArgument ? 2 : 1;
  }
  if (auto s = (*node)->start(); !s.is_ok()) {
    std::cerr << "efaas-node: " << s.to_string() << "\n";
    return 1;
  }
  std::cout << nlohmann::json{{"ready", true},
                              {"port", (*node)->port()},
                              {"peerPort", (*node)->peer_port()},
                              {"address", efaas::node::address_to_string((*node)->address())}}
                   .dump()
            << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  (*node)->stop();
  return 0;
}
