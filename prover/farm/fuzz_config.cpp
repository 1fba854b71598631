// libFuzzer target: the farm's config parser must turn any bytes into a config or an error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "prover/farm/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto c =
      efaas::farm::parse_config(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
  if (c) (void)efaas::farm::is_loopback_address(c->listen);
  return 0;
}
