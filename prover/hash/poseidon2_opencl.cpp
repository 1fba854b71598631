// Host side of kernels/opencl/poseidon2.cl: argument checks, constants on the device, launches.
#include "prover/hash/poseidon2_opencl.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kernels/opencl/opencl_sources.hpp"
#include "prover/hash/opencl_launch.hpp"

namespace efaas {

namespace {

static_assert(Fp::kMu == 0x88000001u && Fp::kP == 0x78000001u, "BB_P / BB_MU in poseidon2.cl");
static_assert(Fp::kR2 == 0x45dddde3u, "R^2 mod p in p2_grind");
static_assert(sizeof(Poseidon2State) == 16 * sizeof(uint32_t) &&
                  sizeof(Digest) == 8 * sizeof(uint32_t),
              "states and digests are plain arrays of Montgomery words");

Result<const OpenClProgram*> p2_program(OpenClDevice& dev) {
  static const std::string source = with_babybear(poseidon2_source);  // built once
  return dev.program("kernels/opencl/poseidon2.cl", source, "-cl-std=CL1.2");
}

// Round constants in the layout poseidon2.cl expects, uploaded once per device.
Result<std::shared_ptr<const OpenClBuffer>> round_constants(OpenClDevice& dev) {
  static std::mutex mu;
  static auto* cache = new std::map<OpenClDevice*, std::shared_ptr<const OpenClBuffer>>();
  std::lock_guard<std::mutex> lock(mu);
  auto& entry = (*cache)[&dev];
  if (entry) return entry;
  const Poseidon2Constants& c = poseidon2_constants();
  std::vector<Fp> rc;
  for (const auto& round : c.external_initial) rc.insert(rc.end(), round.begin(), round.end());
  for (const auto& round : c.external_final) rc.insert(rc.end(), round.begin(), round.end());
  rc.insert(rc.end(), c.internal.begin(), c.internal.end());
  Result<OpenClBuffer> buf = dev.upload(std::span<const Fp>(rc));
  if (!buf) return buf.status();
  entry = std::make_shared<const OpenClBuffer>(std::move(*buf));
  return entry;
}

// A kernel of the Poseidon2 program with the round constants bound to argument `rc_index`.
struct Launch {
  OpenClDevice* dev = nullptr;
  OpenClKernel kernel;
  std::shared_ptr<const OpenClBuffer> rc;
};

Result<Launch> make_launch(OpenClDevice& dev, const char* name, uint32_t rc_index) {
  Result<const OpenClProgram*> prog = p2_program(dev);
  if (!prog) return prog.status();
  Result<OpenClKernel> k = (*prog)->kernel(name);
  if (!k) return k.status();
  Result<std::shared_ptr<const OpenClBuffer>> rc = round_constants(dev);
  if (!rc) return rc.status();
  Launch l{&dev, std::move(*k), *rc};
  EFAAS_RETURN_IF_ERROR(l.kernel.set_arg(rc_index, *l.rc));
  return l;
}


using hash_opencl::check_range;
using hash_opencl::check_row_matrices;
using hash_opencl::launch1d;

constexpr size_t kDigestBytes = sizeof(Digest);
constexpr size_t kStateBytes = sizeof(Poseidon2State);

}  // namespace

Status opencl_hash_rows_device(std::span<const OpenClMatrix> matrices, OpenClBuffer& digests,
                               size_t digest_offset) {
  const char* op = "opencl hash rows";
  if (Result<size_t> cols = check_row_matrices(op, matrices, digests); !cols) return cols.status();
  const size_t rows = matrices[0].rows;
  EFAAS_RETURN_IF_ERROR(check_range(op, "digests", digests, digest_offset, rows, kDigestBytes));
  if (rows == 0) return Status::ok();
  OpenClDevice& dev = *digests.device();
  if (matrices.size() == 1) {
    const OpenClMatrix& m = matrices[0];
    Result<Launch> l = make_launch(dev, "p2_hash_matrix", 7);
    if (!l) return l.status();
    OpenClKernel& k = l->kernel;
    EFAAS_RETURN_IF_ERROR(k.set_arg(0, *m.buffer));
    EFAAS_RETURN_IF_ERROR(k.set_arg(1, uint64_t(m.offset)));
    EFAAS_RETURN_IF_ERROR(k.set_arg(2, uint64_t(m.rows)));
    EFAAS_RETURN_IF_ERROR(k.set_arg(3, uint32_t(m.cols)));
    EFAAS_RETURN_IF_ERROR(k.set_arg(4, uint32_t(m.layout == Layout::kColMajor)));
    EFAAS_RETURN_IF_ERROR(k.set_arg(5, digests));
    EFAAS_RETURN_IF_ERROR(k.set_arg(6, uint64_t(digest_offset)));
    return launch1d(dev, k, rows);
  }
  // Several matrices: per-row sponge states absorb each matrix in turn.
  Result<OpenClBuffer> states = dev.alloc(rows * kStateBytes);
  if (!states) return states.status();
  EFAAS_RETURN_IF_ERROR(states->fill_zero(0, rows * kStateBytes));
  Result<Launch> absorb = make_launch(dev, "p2_absorb", 7);
  if (!absorb) return absorb.status();
  uint32_t pos = 0;
  for (const OpenClMatrix& m : matrices) {
    OpenClKernel& k = absorb->kernel;
    EFAAS_RETURN_IF_ERROR(k.set_arg(0, *states));
    EFAAS_RETURN_IF_ERROR(k.set_arg(1, *m.buffer));
    EFAAS_RETURN_IF_ERROR(k.set_arg(2, uint64_t(m.offset)));
    EFAAS_RETURN_IF_ERROR(k.set_arg(3, uint64_t(m.rows)));
    EFAAS_RETURN_IF_ERROR(k.set_arg(4, uint32_t(m.cols)));
    EFAAS_RETURN_IF_ERROR(k.set_arg(5, uint32_t(m.layout == Layout::kColMajor)));
    EFAAS_RETURN_IF_ERROR(k.set_arg(6, pos));
    EFAAS_RETURN_IF_ERROR(launch1d(dev, k, rows));
    pos = uint32_t((pos + m.cols) % kPoseidon2Rate);
  }
  Result<Launch> finish = make_launch(dev, "p2_finish", 5);
  if (!finish) return finish.status();
  OpenClKernel& k = finish->kernel;
  EFAAS_RETURN_IF_ERROR(k.set_arg(0, *states));
  EFAAS_RETURN_IF_ERROR(k.set_arg(1, uint64_t(rows)));
  EFAAS_RETURN_IF_ERROR(k.set_arg(2, pos));
  EFAAS_RETURN_IF_ERROR(k.set_arg(3, digests));
  EFAAS_RETURN_IF_ERROR(k.set_arg(4, uint64_t(digest_offset)));
  EFAAS_RETURN_IF_ERROR(launch1d(dev, k, rows));
  // `states` is released when this returns; the in-order queue has the kernels that use it
  // enqueued, and clReleaseMemObject defers the free until they are done.
  return Status::ok();
}

Status opencl_compress_pairs_device(const OpenClBuffer& in, size_t in_offset, OpenClBuffer& out,
                                    size_t out_offset, size_t n) {
  const char* op = "opencl compress pairs";
  EFAAS_RETURN_IF_ERROR(check_range(op, "input", in, in_offset, 2 * n, kDigestBytes));
  EFAAS_RETURN_IF_ERROR(check_range(op, "output", out, out_offset, n, kDigestBytes));
  if (in.device() != out.device()) {
    return invalid_argument(std::string(op) + ": input and output on different devices");
  }
  if (n == 0) return Status::ok();
  Result<Launch> l = make_launch(*out.device(), "p2_compress_pairs", 5);
  if (!l) return l.status();
  OpenClKernel& k = l->kernel;
  EFAAS_RETURN_IF_ERROR(k.set_arg(0, in));
  EFAAS_RETURN_IF_ERROR(k.set_arg(1, uint64_t(in_offset)));
  EFAAS_RETURN_IF_ERROR(k.set_arg(2, out));
  EFAAS_RETURN_IF_ERROR(k.set_arg(3, uint64_t(out_offset)));
  EFAAS_RETURN_IF_ERROR(k.set_arg(4, uint64_t(n)));
  return launch1d(*out.device(), k, n);
}

Status opencl_compress_inject_device(OpenClBuffer& nodes, size_t offset, const OpenClBuffer& inject,
                                     size_t n) {
  const char* op = "opencl compress inject";
  EFAAS_RETURN_IF_ERROR(check_range(op, "nodes", nodes, offset, n, kDigestBytes));
  EFAAS_RETURN_IF_ERROR(check_range(op, "injected digests", inject, 0, n, kDigestBytes));
  if (nodes.device() != inject.device()) {
    return invalid_argument(std::string(op) + ": buffers on different devices");
  }
  if (n == 0) return Status::ok();
  Result<Launch> l = make_launch(*nodes.device(), "p2_compress_inject", 4);
  if (!l) return l.status();
  OpenClKernel& k = l->kernel;
  EFAAS_RETURN_IF_ERROR(k.set_arg(0, nodes));
  EFAAS_RETURN_IF_ERROR(k.set_arg(1, uint64_t(offset)));
  EFAAS_RETURN_IF_ERROR(k.set_arg(2, inject));
  EFAAS_RETURN_IF_ERROR(k.set_arg(3, uint64_t(n)));
  return launch1d(*nodes.device(), k, n);
}

Status opencl_permute_device(OpenClBuffer& states, size_t n) {
  EFAAS_RETURN_IF_ERROR(check_range("opencl permute", "states", states, 0, n, kStateBytes));
  if (n == 0) return Status::ok();
  Result<Launch> l = make_launch(*states.device(), "p2_permute", 2);
  if (!l) return l.status();
  EFAAS_RETURN_IF_ERROR(l->kernel.set_arg(0, states));
  EFAAS_RETURN_IF_ERROR(l->kernel.set_arg(1, uint64_t(n)));
  return launch1d(*states.device(), l->kernel, n);
}

Status opencl_permute_batch(std::span<Poseidon2State> states, int device) {
  if (states.empty()) return Status::ok();
  Result<OpenClDevice*> dev = OpenClDevice::get(device);
  if (!dev) return dev.status();
  Result<OpenClBuffer> buf = (*dev)->upload(std::span<const Poseidon2State>(states));
  if (!buf) return buf.status();
  EFAAS_RETURN_IF_ERROR(opencl_permute_device(*buf, states.size()));
  return buf->read(states);
}

Status opencl_hash_matrix_rows(std::span<const MatrixView> matrices, std::span<Digest> out,
                               int device) {
  return hash_opencl::hash_matrix_rows_via(
      matrices, out, device, [](std::span<const OpenClMatrix> mats, OpenClBuffer& digests) {
        return opencl_hash_rows_device(mats, digests);
      });
}

Status opencl_compress_pairs(std::span<const Digest> in, std::span<Digest> out, int device) {
  return hash_opencl::compress_pairs_via("opencl compress pairs", in, out, device,
                                         opencl_compress_pairs_device);
}

Result<uint32_t> opencl_grind(const Poseidon2State& base, size_t lane, uint32_t bits, int device) {
  if (lane >= kPoseidon2Rate) return invalid_argument("opencl grind: lane out of the rate");
  if (bits > 31) return out_of_range("opencl grind: too many bits");
  Result<OpenClDevice*> dev = OpenClDevice::get(device);
  if (!dev) return dev.status();
  Result<OpenClBuffer> dbase = (*dev)->upload(std::span<const Fp>(base));
  if (!dbase) return dbase.status();
  const uint32_t kNone = 0xffffffffu;
  Result<OpenClBuffer> best = (*dev)->upload(std::span<const uint32_t>(&kNone, 1));
  if (!best) return best.status();
  Result<Launch> l = make_launch(**dev, "p2_grind", 6);
  if (!l) return l.status();
  OpenClKernel& k = l->kernel;
  const uint32_t mask = bits == 0 ? 0 : uint32_t((uint64_t(1) << bits) - 1);
  EFAAS_RETURN_IF_ERROR(k.set_arg(0, *dbase));
  EFAAS_RETURN_IF_ERROR(k.set_arg(1, uint32_t(lane)));
  EFAAS_RETURN_IF_ERROR(k.set_arg(4, mask));
  EFAAS_RETURN_IF_ERROR(k.set_arg(5, *best));
  // Rounds of 2^20 candidates: the first round with a hit holds the smallest witness.
  constexpr uint32_t kRound = 1u << 20;
  for (uint64_t start = 0; start < Fp::kP; start += kRound) {
    const uint32_t count = uint32_t(std::min<uint64_t>(kRound, Fp::kP - start));
    EFAAS_RETURN_IF_ERROR(k.set_arg(2, uint32_t(start)));
    EFAAS_RETURN_IF_ERROR(k.set_arg(3, count));
    EFAAS_RETURN_IF_ERROR(launch1d(**dev, k, count));
    uint32_t found = kNone;
    EFAAS_RETURN_IF_ERROR(best->read(std::span<uint32_t>(&found, 1)));
    if (found != kNone) return found;
  }
  return out_of_range("opencl grind: no witness for " + std::to_string(bits) + " bits");
}

}  // namespace efaas
