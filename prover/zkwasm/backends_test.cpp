// The C Extensions (clang wasm32, examples/extensions) proved on every backend this machine has
// (scalar, AVX2/AVX-512, OpenCL), in one segment and split: each backend gives the scalar
// bundle byte for byte, and the bundle verifies with the runtime's outcome. Backends that are
// missing here (no AVX2, no OpenCL device) are named in the output and skipped. Every case
// prints its time (wall and process CPU seconds: the CI machine is shared).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "prover/common/cpu_features.hpp"
#include "prover/common/rng.hpp"
#include "prover/common/timer.hpp"
#include "prover/device/backend.hpp"
#include "prover/hash/keccak.hpp"
#include "prover/zkwasm/test_support.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::zkwasm {
namespace {

using test_support::read_wasm;

std::vector<Backend> backends_here() {
  std::vector<Backend> b = {Backend::kScalar};
  if (avx2_usable()) {
    b.push_back(Backend::kAvx2);
  } else {
    std::printf("  no AVX2 here: the vector backend is not tested\n");
  }
  if (resolve_backend(Backend::kOpenCl)) {
    b.push_back(Backend::kOpenCl);
  } else {
    std::printf("  no OpenCL device here: the OpenCL backend is not tested\n");
  }
  return b;
}

TEST(ZkWasmBackends, CExtensionsGiveTheSameBundleOnEveryBackend) {
  struct Case {
    const char* name;
    uint32_t split_log;  // several segments
  };
  const std::vector<Backend> backends = backends_here();
  const double start_cpu = process_cpu_seconds();
  Stopwatch total;
  for (const Case c : {Case{"sha256", 12}, Case{"sort", 8}}) {
    Rng rng(7);
    wasm::ExtensionInput in;
    if (c.name == std::string("sha256")) {
      in.data = {'a', 'b', 'c'};
    } else {
      for (int i = 0; i < 24; ++i) in.data.push_back(uint8_t(rng.next_u32()));
    }
    test_support::ExtensionRun r = test_support::run_extension(read_wasm(c.name), in);
    ASSERT_EQ(r.result.status, wasm::ExtensionResult::Status::kOk) << c.name << ": " << r.result.trap_message;
    if (c.name == std::string("sha256")) {
      ASSERT_EQ(to_hex(std::span<const uint8_t>(r.result.output)),
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
    for (uint32_t log : {uint32_t(20), c.split_log}) {
      std::vector<uint8_t> reference;
      for (Backend be : backends) {
        SCOPED_TRACE(std::string(c.name) + " segments of 2^" + std::to_string(log) + " on " +
                     backend_name(be));
        ProveOptions o = test_support::extension_opts(in, true, log);
        o.stark.backend = be;
        Stopwatch clock;
        const double cpu0 = process_cpu_seconds();
        auto b = prove(*r.program, r.trace, o);
        ASSERT_TRUE(b.is_ok()) << b.status().to_string();
        const double secs = clock.seconds(), cpu = process_cpu_seconds() - cpu0;
        if (log == c.split_log) {
          EXPECT_GE(b->segments.size(), 2u);
        }
        const std::vector<uint8_t> bytes = serialize_bundle(*b);
        if (reference.empty()) {
          reference = bytes;
        } else {
          EXPECT_EQ(bytes, reference) << "the bundle differs from the scalar backend's";
        }
        // Each backend's own bundle verifies with the runtime's outcome.
        auto pv = verify(*r.program, *b);
        ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
        EXPECT_EQ(pv->output, r.result.output);
        EXPECT_EQ(pv->gas_used, r.result.gas_used);
        EXPECT_EQ(pv->results, std::vector<uint64_t>{0});
        std::printf("  %s: %zu steps, %zu segment(s) of 2^%u rows on %s: %.1f s wall, %.1f CPU-s, "
                    "%zu bytes\n",
                    c.name, r.trace.steps.size(), b->segments.size(), log, backend_name(be), secs,
                    cpu, bytes.size());
        std::fflush(stdout);
      }
    }
  }
  std::printf("  all cases: %.1f s wall, %.1f CPU-s\n", total.seconds(),
              process_cpu_seconds() - start_cpu);
}

}  // namespace
}  // namespace efaas::zkwasm
