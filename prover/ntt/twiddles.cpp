#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "prover/ntt/ntt_backend.hpp"

namespace efaas {

namespace {

struct Layer {
  std::vector<Fp> w;
  std::vector<uint32_t> mu;
};

struct Table {
  std::array<std::atomic<const Layer*>, Fp::kTwoAdicity> layers{};
  std::mutex mu;
  std::vector<std::unique_ptr<Layer>> owned;
};

Table& table(bool inverse) {
  static Table forward_table, inverse_table;
  return inverse ? inverse_table : forward_table;
}

}  // namespace

TwiddleLayer twiddle_layer(bool inverse, uint32_t k) {
  Table& t = table(inverse);
  const Layer* layer = t.layers[k].load(std::memory_order_acquire);
  if (layer == nullptr) {
    std::lock_guard<std::mutex> lock(t.mu);
    layer = t.layers[k].load(std::memory_order_relaxed);
    if (layer == nullptr) {
      auto fresh = std::make_unique<Layer>();
      const size_t h = size_t(1) << k;
      Fp root = Fp::two_adic_generator(k + 1);
      if (inverse) root = root.inverse();
      fresh->w.resize(h);
      fresh->mu.resize(h);
      Fp x = Fp::one();
      for (size_t j = 0; j < h; ++j) {
        fresh->w[j] = x;
        fresh->mu[j] = x.montgomery() * Fp::kMu;
        x *= root;
      }
      layer = fresh.get();
      t.owned.push_back(std::move(fresh));
      t.layers[k].store(layer, std::memory_order_release);
    }
  }
  return {layer->w.data(), layer->mu.data()};
}

}  // namespace efaas
