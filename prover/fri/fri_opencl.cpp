#include "prover/fri/fri_opencl.hpp"

#include <algorithm>
#include <string>

#include "kernels/opencl/opencl_sources.hpp"
#include "prover/device/host_mirror.hpp"
#include "prover/fri/fri_internal.hpp"

namespace efaas {

namespace {

Result<const OpenClProgram*> fri_program(OpenClDevice& dev) {
  static const std::string source = with_babybear(field4_source, fri_source);  // built once
  return dev.program("kernels/opencl/fri.cl", source,
                     "-cl-std=CL1.2");
}

// A committed layer: its device buffer and the host matrix its tree views (filled with the
// opened rows only, at the query phase).
struct Layer {
  OpenClBuffer dev;
  HostMirror<Fp> host;
};

}  // namespace

Result<FriProof> fri_prove_opencl(const FriParams& params, std::vector<FriDeviceInput> inputs,
                                  Transcript& transcript, const FriProverConfig& cfg,
                                  const std::function<void(std::span<const size_t>)>& open_inputs,
                                  bool check_degree) {
  std::vector<std::pair<uint32_t, size_t>> shapes;
  for (const FriDeviceInput& in : inputs) {
    shapes.push_back({in.log_height, in.evals.size_bytes() / sizeof(Fp4)});
  }
  EFAAS_RETURN_IF_ERROR(fri_internal::check_inputs(params, shapes));
  const HashConfig hcfg{cfg.backend, cfg.threads, cfg.opencl_device};
  if (cfg.backend != Backend::kOpenCl) {
    return invalid_argument(std::string("FRI (device inputs): needs the opencl backend, got ") +
                            backend_name(cfg.backend));
  }
  Result<OpenClDevice*> d = OpenClDevice::get(hcfg.opencl_device);
  if (!d) return d.status();
  OpenClDevice& dev = **d;
  for (const FriDeviceInput& in : inputs) {
    if (in.evals.device() != &dev) {
      return invalid_argument("FRI (device inputs): an input is not on OpenCL device " +
                              std::to_string(hcfg.opencl_device));
    }
  }
  Result<const OpenClProgram*> prog = fri_program(dev);
  if (!prog) return prog.status();
  Result<OpenClKernel> fold = (*prog)->kernel("fri_fold");
  if (!fold) return fold.status();

  const uint32_t final_log = params.log_final_poly_len + params.log_blowup;
  const uint32_t log_max = inputs[0].log_height;
  uint32_t log_h = log_max;
  OpenClBuffer cur = std::move(inputs[0].evals);
  size_t next_input = 1;
  Fp shift = fri_domain_shift();
  const Fp inv_two = Fp::from_canonical(2).inverse();
  FriProof proof;
  std::vector<MerkleTree> trees;
  std::vector<Layer> layers;
  layers.reserve(log_max - final_log);
  while (log_h > final_log) {
    const size_t h = size_t(1) << log_h;
    // The layer's Fp4 values are its Merkle matrix: h / 2 rows of (f(x), f(-x)).
    Layer layer;
    auto mirror = HostMirror<Fp>::allocate(4 * h);
    if (!mirror) return mirror.status();
    layer.host = std::move(*mirror);
    std::vector<MatrixView> views = {{layer.host.data(), h / 2, 8, Layout::kRowMajor}};
    std::vector<OpenClMatrix> copies = {{&cur, 0, h / 2, 8, Layout::kRowMajor}};
    auto tree = MerkleTree::build_with_device_copies(std::move(views), std::move(copies), hcfg);
    if (!tree) return tree.status();
    transcript.observe(tree->root());
    proof.commitments.push_back(tree->root());
    trees.push_back(std::move(*tree));
    const Fp4 beta = transcript.sample_ext();
    Result<OpenClBuffer> out = dev.alloc(h / 2 * sizeof(Fp4));
    if (!out) return out.status();
    const bool joins = next_input < inputs.size() && inputs[next_input].log_height == log_h - 1;
    const OpenClBuffer& in = joins ? inputs[next_input].evals : cur;  // unread unless joins
    EFAAS_RETURN_IF_ERROR(fold->set_arg(0, cur));
    EFAAS_RETURN_IF_ERROR(fold->set_arg(1, *out));
    EFAAS_RETURN_IF_ERROR(fold->set_arg(2, log_h));
    EFAAS_RETURN_IF_ERROR(fold->set_arg(3, beta));
    EFAAS_RETURN_IF_ERROR(fold->set_arg(4, inv_two.montgomery()));
    EFAAS_RETURN_IF_ERROR(fold->set_arg(5, (inv_two * shift.inverse()).montgomery()));
    EFAAS_RETURN_IF_ERROR(fold->set_arg(6, Fp::two_adic_generator(log_h).inverse().montgomery()));
    EFAAS_RETURN_IF_ERROR(fold->set_arg(7, in));
    EFAAS_RETURN_IF_ERROR(fold->set_arg(8, uint32_t(joins)));
    EFAAS_RETURN_IF_ERROR(fold->set_arg(9, beta.square()));
    EFAAS_RETURN_IF_ERROR(dev.launch(*fold, {h / 2}));
    if (joins) ++next_input;
    layer.dev = std::move(cur);
    layers.push_back(std::move(layer));
    cur = std::move(*out);
    shift = shift.square();
    --log_h;
  }
  std::vector<Fp4> final_evals(size_t(1) << log_h);
  EFAAS_RETURN_IF_ERROR(cur.read(std::span<Fp4>(final_evals)));
  // Before layer r is opened: its opened row blocks (rows are contiguous, row-major) come back.
  auto fetch = [&](size_t r, const MerkleTree& tree, std::span<const size_t> leaves) -> Status {
    const size_t block = size_t(1) << tree.first_stored_level();
    std::vector<size_t> starts;
    for (size_t leaf : leaves) starts.push_back(leaf / block * block);
    std::sort(starts.begin(), starts.end());
    starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
    Layer& l = layers[r];
    const size_t rows = l.host.size() / 8, n = std::min(block, rows);
    for (size_t s : starts) {
      EFAAS_RETURN_IF_ERROR(
          l.dev.read_bytes(s * 8 * sizeof(Fp), l.host.data() + s * 8, n * 8 * sizeof(Fp)));
    }
    return Status::ok();
  };
  return fri_internal::finish(params, log_max, std::move(trees), final_evals, shift, transcript,
                              cfg, open_inputs, check_degree, fetch, std::move(proof));
}

}  // namespace efaas
