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
  const HashConfig hcfg{cfg.backend, cfg.threads, cfg.opencl_device, params.merkle_hash};
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

  std::vector<uint32_t> heights;
  for (const FriDeviceInput& in : inputs) heights.push_back(in.log_height);
  const std::vector<fri_internal::FoldLayer> schedule = fri_internal::fold_schedule(params, heights);
  const uint32_t log_max = inputs[0].log_height;
  uint32_t log_h = log_max;
  OpenClBuffer cur = std::move(inputs[0].evals);
  size_t next_input = 1;
  Fp shift = fri_domain_shift();
  const Fp inv_two = Fp::from_canonical(2).inverse();
  FriProof proof;
  std::vector<MerkleTree> trees;
  std::vector<Layer> layers;
  layers.reserve(schedule.size());
  for (const fri_internal::FoldLayer& fl : schedule) {
    const size_t h = size_t(1) << log_h;
    // The layer's Fp4 values are its Merkle matrix: h / 2^k rows of 2^k adjacent values.
    const size_t rows = h >> fl.log_arity, width = size_t(4) << fl.log_arity;
    Layer layer;
    auto mirror = HostMirror<Fp>::allocate(4 * h);
    if (!mirror) return mirror.status();
    layer.host = std::move(*mirror);
    std::vector<MatrixView> views = {{layer.host.data(), rows, width, Layout::kRowMajor}};
    std::vector<OpenClMatrix> copies = {{&cur, 0, rows, width, Layout::kRowMajor}};
    auto tree = MerkleTree::build_with_device_copies(std::move(views), std::move(copies), hcfg);
    if (!tree) return tree.status();
    transcript.observe(tree->root());
    proof.commitments.push_back(tree->root());
    trees.push_back(std::move(*tree));
    // k folds by 2 with beta, beta^2, ...; an input joins at the last, times beta^(2^k).
    Fp4 beta = transcript.sample_ext();
    for (uint32_t j = 0; j < fl.log_arity; ++j) {
      const size_t hj = size_t(1) << log_h;
      Result<OpenClBuffer> out = dev.alloc(hj / 2 * sizeof(Fp4));
      if (!out) return out.status();
      const bool joins = j + 1 == fl.log_arity && next_input < inputs.size() &&
                         inputs[next_input].log_height == log_h - 1;
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
      EFAAS_RETURN_IF_ERROR(dev.launch(*fold, {hj / 2}));
      if (joins) ++next_input;
      // The committed layer keeps its buffer for the openings; the folds in between do not.
      if (j == 0) layer.dev = std::move(cur);
      cur = std::move(*out);
      shift = shift.square();
      --log_h;
      beta = beta.square();
    }
    layers.push_back(std::move(layer));
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
    const size_t width = size_t(4) << schedule[r].log_arity;
    const size_t rows = l.host.size() / width, n = std::min(block, rows);
    for (size_t s : starts) {
      EFAAS_RETURN_IF_ERROR(l.dev.read_bytes(s * width * sizeof(Fp), l.host.data() + s * width,
                                             n * width * sizeof(Fp)));
    }
    return Status::ok();
  };
  return fri_internal::finish(params, log_max, schedule, std::move(trees), final_evals, shift,
                              transcript, cfg, open_inputs, check_degree, fetch, std::move(proof));
}

}  // namespace efaas
