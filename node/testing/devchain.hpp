#pragma once
// Test support: node/scripts/devchain.mjs as a child process (ganache on a free loopback port,
// contracts deployed, three staked nodes, an example Extension); stopped by the destructor.
#include <memory>

#include <nlohmann/json.hpp>

#include "node/testing/subprocess.hpp"

namespace efaas::node::testing {

class DevChain {
 public:
  // extra_args: e.g. {"--slot-blocks", "5"}.
  static Result<std::unique_ptr<DevChain>> start(const std::vector<std::string>& extra_args = {});
  const nlohmann::json& info() const { return info_; }
  std::string rpc() const { return info_["rpc"]; }

 private:
  std::unique_ptr<Subprocess> process_;
  nlohmann::json info_;
};

}  // namespace efaas::node::testing
