// `efaas groth16 prove|verify`: snarkjs-compatible Groth16 over BN254.
#include <cstdio>
#include <iostream>

#include "prover/common/timer.hpp"
#include "prover/groth16/groth16.hpp"
#include "tools/efaas/cli.hpp"

namespace efaas::cli {

namespace {

struct ProveOptions {
  std::string zkey, wtns, proof, pub;
  std::string backend = "auto";
  size_t threads = 0;
};

struct VerifyOptions {
  std::string vk, pub, proof;
};

int run_prove(const ProveOptions& o, const Output& out) {
  Result<Backend> backend = parse_backend(o.backend);
  if (!backend) return out.error(backend.status());
  Stopwatch sw;
  Result<groth16::Zkey> zkey = groth16::read_zkey(o.zkey);
  if (!zkey) return out.error(zkey.status());
  Result<std::vector<bn254::Limbs>> wtns = groth16::read_wtns(o.wtns);
  if (!wtns) return out.error(wtns.status());
  const double load_s = sw.seconds();
  groth16::ProveConfig cfg;
  cfg.msm.backend = *backend;
  cfg.msm.threads = o.threads;
  Result<groth16::ProveOutput> res = groth16::prove(*zkey, *wtns, cfg);
  if (!res) return out.error(res.status());
  if (Status s = groth16::write_file_text(o.proof, groth16::proof_to_json(res->proof)); !s) {
    return out.error(s);
  }
  if (Status s = groth16::write_file_text(o.pub, groth16::public_to_json(res->public_signals));
      !s) {
    return out.error(s);
  }
  const auto& t = res->timings;
  if (out.json) {
    out.emit_json({{"proof", o.proof},
                   {"public", o.pub},
                   {"constraints_domain", zkey->domain_size},
                   {"n_vars", zkey->n_vars},
                   {"n_public", zkey->n_public},
                   {"threads", effective_threads_label(o.threads)},
                   {"load_ms", load_s * 1e3},
                   {"qap_ms", t.qap_s * 1e3},
                   {"ntt_ms", t.ntt_s * 1e3},
                   {"msm_ms", t.msm_s * 1e3},
                   {"prove_ms", t.total_s * 1e3}});
  } else {
    std::printf("wrote %s and %s (%u variables, %u public, domain %u)\n", o.proof.c_str(),
                o.pub.c_str(), zkey->n_vars, zkey->n_public, zkey->domain_size);
    std::printf("load %.1f ms, prove %.1f ms (QAP %.1f, NTT %.1f, MSM %.1f)\n", load_s * 1e3,
                t.total_s * 1e3, t.qap_s * 1e3, t.ntt_s * 1e3, t.msm_s * 1e3);
  }
  return kExitOk;
}

int run_verify(const VerifyOptions& o, const Output& out) {
  Result<std::string> vk_text = groth16::read_file_text(o.vk);
  if (!vk_text) return out.error(vk_text.status());
  Result<groth16::VerifyingKey> vk = groth16::verifying_key_from_json(*vk_text, o.vk);
  if (!vk) return out.error(vk.status());
  Result<std::string> pub_text = groth16::read_file_text(o.pub);
  if (!pub_text) return out.error(pub_text.status());
  Result<std::vector<bn254::Limbs>> pub = groth16::public_from_json(*pub_text, o.pub);
  if (!pub) return out.error(pub.status());
  Result<std::string> proof_text = groth16::read_file_text(o.proof);
  if (!proof_text) return out.error(proof_text.status());
  Result<groth16::Proof> proof = groth16::proof_from_json(*proof_text, o.proof);
  if (!proof) return out.error(proof.status());
  Result<groth16::Verdict> v = groth16::verify(*vk, *pub, *proof);
  if (!v) return out.error(v.status());
  if (out.json) {
    nlohmann::json j{{"accepted", v->accepted}};
    if (!v->accepted) j["reason"] = v->reason;
    out.emit_json(j);
  } else if (v->accepted) {
    std::cout << "OK: proof accepted" << std::endl;
  } else {
    std::cout << "REJECTED: " << v->reason << std::endl;
  }
  return v->accepted ? kExitOk : kExitCheckFailed;
}

}  // namespace

void register_groth16_commands(CLI::App& app) {
  CLI::App* group = app.add_subcommand("groth16", "Groth16 on BN254, compatible with snarkjs");
  group->require_subcommand(1);

  static Output prove_out;
  static ProveOptions po;
  CLI::App* prove = add_command(*group, "prove",
                                "Prove from a snarkjs .zkey and .wtns; writes proof.json and "
                                "public.json in snarkjs's format",
                                prove_out, [] { return run_prove(po, prove_out); });
  prove->add_option("zkey", po.zkey, "proving key (snarkjs .zkey, Groth16)")->required();
  prove->add_option("wtns", po.wtns, "witness (.wtns)")->required();
  prove->add_option("proof", po.proof, "output proof.json")->required();
  prove->add_option("public", po.pub, "output public.json")->required();
  prove->add_option("--backend", po.backend,
                    "MSM backend: auto, scalar or opencl (G1 MSMs on the device)");
  prove->add_option("--threads", po.threads, "CPU threads (0: one per core)");

  static Output verify_out;
  static VerifyOptions vo;
  CLI::App* verify = add_command(*group, "verify",
                                 "Verify a proof against snarkjs's verification_key.json; exit "
                                 "0 accepted, 1 rejected, 2 bad input",
                                 verify_out, [] { return run_verify(vo, verify_out); });
  verify->add_option("verification_key", vo.vk, "verification_key.json")->required();
  verify->add_option("public", vo.pub, "public.json")->required();
  verify->add_option("proof", vo.proof, "proof.json")->required();
}

}  // namespace efaas::cli
