#pragma once
// The network edge of the farm: the Farm and FarmAdmin gRPC services (callback API), the
// standard gRPC health service, and Prometheus /metrics over HTTP. Protobuf types stay in
// server.cpp; everything below it speaks prover/farm's domain types.
#include <memory>
#include <string>

#include "prover/farm/farm.hpp"

namespace efaas::farm {

struct ServerPorts {
  int farm = 0, admin = 0, metrics = 0;
};

class FarmServer {
 public:
  // Binds every listener (port 0 picks a free one) and starts serving `farm`.
  static Expected<std::unique_ptr<FarmServer>> start(Farm& farm);
  virtual ~FarmServer() = default;
  virtual ServerPorts ports() const = 0;
  // Graceful: stops accepting jobs, lets running ones finish (config drain_timeout_s), then
  // closes the listeners (streams still open after `grace_s` are cancelled).
  virtual void drain(int grace_s) = 0;
  // Blocks until drain() has finished.
  virtual void wait() = 0;
};

}  // namespace efaas::farm
