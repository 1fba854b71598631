#include <sys/random.h>

#include <bit>
#include <string>

#include "prover/common/thread_pool.hpp"
#include "prover/common/timer.hpp"
#include "prover/ec/fr_ntt.hpp"
#include "prover/groth16/groth16.hpp"

namespace efaas::groth16 {

namespace {

using bn254::G1Jacobian;
using bn254::G2Jacobian;

Result<Fr> random_fr() {
  for (;;) {
    Limbs l;
    if (getrandom(l.data(), sizeof(l), 0) != ssize_t(sizeof(l))) {
      return internal_error("getrandom failed: no randomness for the proof's blinding");
    }
    l[3] &= (uint64_t(1) << 62) - 1;
    if (Fr::is_canonical(l)) return Fr::from_canonical_unchecked(l);
  }
}

}  // namespace

VerifyingKey verifying_key(const Zkey& z) {
  return VerifyingKey{z.alpha1, z.beta2, z.gamma2, z.delta2, z.ic};
}

Result<ProveOutput> prove(const Zkey& z, std::span<const Limbs> witness, const ProveConfig& cfg) {
  Stopwatch total;
  if (witness.size() != z.n_vars) {
    return invalid_argument("witness has " + std::to_string(witness.size()) +
                            " values but the circuit (zkey nVars) has " +
                            std::to_string(z.n_vars) + ": the witness is for another circuit");
  }
  for (size_t i = 0; i < witness.size(); ++i) {
    if (!Fr::is_canonical(witness[i])) {
      return out_of_range("witness value " + std::to_string(i) + " is not below r");
    }
  }
  ThreadPool& pool = ThreadPool::with_threads(cfg.msm.threads);
  const size_t n = z.domain_size;
  const uint32_t log_n = uint32_t(std::countr_zero(n));
  ProveOutput out;

  // A and B evaluated on the domain: sum of coefficient * witness per constraint; C = A * B.
  Stopwatch sw;
  std::vector<Fr> w(witness.size());
  pool.parallel_for(w.size(), 4096, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) w[i] = Fr::from_canonical_unchecked(witness[i]);
  });
  std::vector<Fr> abc[3] = {std::vector<Fr>(n), std::vector<Fr>(n), std::vector<Fr>(n)};
  for (const QapCoef& c : z.coeffs) abc[c.matrix][c.constraint] += c.value * w[c.signal];
  pool.parallel_for(n, 4096, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) abc[2][i] = abc[0][i] * abc[1][i];
  });
  out.timings.qap_s = sw.seconds();

  // To the odd coset g * H, g a primitive 2n-th root of unity, where Z(x) = x^n - 1 = -2 is
  // constant; the zkey's H points absorb the 1/Z, so the H scalars are A*B - C there.
  sw.reset();
  const Fr shift = bn254::fr_root_of_unity(log_n + 1);
  bn254::FrNttConfig ncfg{cfg.msm.threads};
  for (auto& v : abc) {
    EFAAS_RETURN_IF_ERROR(bn254::fr_intt(v, ncfg));
    EFAAS_RETURN_IF_ERROR(bn254::fr_coset_ntt(v, shift, ncfg));
  }
  std::vector<Limbs> h(n);
  pool.parallel_for(n, 4096, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) h[i] = (abc[0][i] * abc[1][i] - abc[2][i]).to_canonical();
  });
  out.timings.ntt_s = sw.seconds();

  sw.reset();
  const std::span<const Limbs> priv = witness.subspan(z.n_public + 1);
  Result<G1Jacobian> pa = msm::msm_g1(z.a, witness, cfg.msm);
  if (!pa) return pa.status();
  Result<G1Jacobian> pb1 = msm::msm_g1(z.b1, witness, cfg.msm);
  if (!pb1) return pb1.status();
  msm::MsmConfig g2cfg = cfg.msm;  // the OpenCL backend covers G1: B2 stays on the CPU
  if (g2cfg.backend == Backend::kOpenCl) g2cfg.backend = Backend::kAuto;
  Result<G2Jacobian> pb = msm::msm_g2(z.b2, witness, g2cfg);
  if (!pb) return pb.status();
  Result<G1Jacobian> pc = msm::msm_g1(z.c, priv, cfg.msm);
  if (!pc) return pc.status();
  Result<G1Jacobian> ph = msm::msm_g1(z.h, h, cfg.msm);
  if (!ph) return ph.status();
  out.timings.msm_s = sw.seconds();

  Fr r, s;
  if (cfg.fixed_r) {
    r = *cfg.fixed_r;
  } else {
    Result<Fr> x = random_fr();
    if (!x) return x.status();
    r = *x;
  }
  if (cfg.fixed_s) {
    s = *cfg.fixed_s;
  } else {
    Result<Fr> x = random_fr();
    if (!x) return x.status();
    s = *x;
  }
  const Limbs rl = r.to_canonical(), sl = s.to_canonical();
  const G1Jacobian delta1 = G1Jacobian::from_affine(z.delta1);
  G1Jacobian a = pa->add_affine(z.alpha1) + delta1.mul(rl);
  G2Jacobian b = pb->add_affine(z.beta2) + G2Jacobian::from_affine(z.delta2).mul(sl);
  G1Jacobian b1 = pb1->add_affine(z.beta1) + delta1.mul(sl);
  G1Jacobian c = *pc + *ph + a.mul(sl) + b1.mul(rl) + delta1.mul((-(r * s)).to_canonical());
  out.proof = {a.to_affine(), b.to_affine(), c.to_affine()};
  out.public_signals.assign(witness.begin() + 1, witness.begin() + 1 + z.n_public);
  out.timings.total_s = total.seconds();
  return out;
}

}  // namespace efaas::groth16
