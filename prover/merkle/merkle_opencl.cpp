// Merkle tree building on an OpenCL device: the matrices are uploaded once, every level is
// computed on the device (poseidon2_opencl.hpp or blake3_opencl.hpp, as the tree's hash says),
// and the levels the tree stores are read back.
#include <string>
#include <vector>

#include "prover/hash/blake3_opencl.hpp"
#include "prover/hash/poseidon2_opencl.hpp"
#include "prover/merkle/merkle.hpp"

namespace efaas {

namespace {

// The device entry points of one Merkle hash.
struct DeviceHash {
  Status (*hash_rows)(std::span<const OpenClMatrix>, OpenClBuffer&, size_t);
  Status (*compress_pairs)(const OpenClBuffer&, size_t, OpenClBuffer&, size_t, size_t);
  Status (*compress_inject)(OpenClBuffer&, size_t, const OpenClBuffer&, size_t);
};

DeviceHash device_hash(MerkleHash h) {
  if (h == MerkleHash::kBlake3) {
    return {opencl_blake3_hash_rows_device, opencl_blake3_compress_pairs_device,
            opencl_blake3_compress_inject_device};
  }
  return {opencl_hash_rows_device, opencl_compress_pairs_device, opencl_compress_inject_device};
}

}  // namespace

Status MerkleTree::build_layers_opencl(int device, std::span<const OpenClMatrix> device_copies) {
  Result<OpenClDevice*> dev = OpenClDevice::get(device);
  if (!dev) return dev.status();
  const DeviceHash hash = device_hash(hash_);
  std::vector<OpenClBuffer> bufs;
  std::vector<OpenClMatrix> on_device(device_copies.begin(), device_copies.end());
  if (on_device.empty()) {
    bufs.reserve(matrices_.size());
    for (const MatrixView& m : matrices_) {
      Result<OpenClBuffer> b = (*dev)->upload(std::span<const Fp>(m.data, m.size()));
      if (!b) return b.status();
      bufs.push_back(std::move(*b));
      on_device.push_back({&bufs.back(), 0, m.rows, m.cols, m.layout});
    }
  }
  std::vector<std::vector<OpenClMatrix>> groups(groups_.size());
  for (size_t l = 0; l < groups_.size(); ++l) {
    for (size_t m : groups_[l]) groups[l].push_back(on_device[m]);
  }
  Result<OpenClBuffer> prev = (*dev)->alloc(leaf_count() * sizeof(Digest));
  if (!prev) return prev.status();
  EFAAS_RETURN_IF_ERROR(hash.hash_rows(groups[0], *prev, 0));
  if (log_height_ == 0) return prev->read(std::span<Digest>(&root_, 1));

  layers_.assign(log_height_ - first_stored_ + 1, {});
  for (uint32_t level = 1; level <= log_height_; ++level) {
    const size_t n = leaf_count() >> level;
    Result<OpenClBuffer> cur = (*dev)->alloc(n * sizeof(Digest));
    if (!cur) return cur.status();
    EFAAS_RETURN_IF_ERROR(hash.compress_pairs(*prev, 0, *cur, 0, n));
    if (!groups[level].empty()) {
      Result<OpenClBuffer> inj = (*dev)->alloc(n * sizeof(Digest));
      if (!inj) return inj.status();
      EFAAS_RETURN_IF_ERROR(hash.hash_rows(groups[level], *inj, 0));
      EFAAS_RETURN_IF_ERROR(hash.compress_inject(*cur, 0, *inj, n));
    }
    if (level >= first_stored_) {
      std::vector<Digest>& out = layers_[level - first_stored_];
      out.resize(n);
      EFAAS_RETURN_IF_ERROR(cur->read(std::span<Digest>(out)));
    }
    prev = std::move(cur);
  }
  root_ = layers_.back()[0];
  return Status::ok();
}

}  // namespace efaas
