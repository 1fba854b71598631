#include "node/testing/devchain.hpp"

namespace efaas::node::testing {

Result<std::unique_ptr<DevChain>> DevChain::start(const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv = {"node", source_dir() + "/node/scripts/devchain.mjs", "--port",
                                   std::to_string(free_port())};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  auto p = Subprocess::start(argv, {"EFAAS_CONTRACTS_DIR=" + build_dir() + "/contracts", "EFAAS_SHARED_DIR=" + source_dir() + "/../shared"});
  if (!p) return p.status();
  auto chain = std::make_unique<DevChain>();
  chain->process_.reset(*p);
  auto line = chain->process_->read_line(std::chrono::seconds(90));
  if (!line) return unavailable("devchain.mjs did not start: " + line.status().message());
  chain->info_ = nlohmann::json::parse(*line, nullptr, false);
  if (chain->info_.is_discarded()) return internal_error("devchain.mjs printed non-JSON: " + *line);
  return chain;
}

}  // namespace efaas::node::testing
