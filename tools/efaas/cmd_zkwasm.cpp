// `efaas prove` and `efaas verify`: zkWASM proofs of WebAssembly executions.
//   efaas prove MODULE.wasm --invoke NAME [ARG ...] -o proof.bin   run with a trace, prove it
//   efaas prove MODULE.wasm --trace FILE [ARG ...] -o proof.bin    prove a recorded trace
//   efaas prove MODULE.wasm --input FILE|HEX -o proof.bin          an Extension's efaas_main
//   efaas verify MODULE.wasm proof.bin                             0 valid, 1 rejected, 2 malformed
//   --link NAME=FILE (prove and verify, repeatable): modules the entry module imports from,
//   linked statically (docs/zkwasm.md, "Linked modules")
#include <cerrno>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "prover/common/timer.hpp"
#include "prover/fri/fri_params.hpp"
#include "prover/wasm/extension.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/zkwasm/zkwasm.hpp"
#include "tools/efaas/cli.hpp"

namespace efaas::cli {

namespace {

struct ProveCli {
  std::string module, input, trace, invoke, output, preset = "production", backend = "auto";
  std::string private_input;  // with --input: the Extension's private input (kind 4)
  std::vector<std::string> args;
  uint64_t gas = 1'000'000'000ull;
  uint32_t segment_log = zkwasm::kDefaultSegmentLog;
  uint32_t segment_workers = 0;
  std::vector<std::string> links;  // --link NAME=FILE: modules the entry module imports from
};

struct VerifyCli {
  std::string module, proof;
  double min_bits = 100;
  std::string merkle_hash = "any";  // any, poseidon2 or blake3: the hash proofs must use
  std::vector<std::string> links;
};

// The weakest segment's conjectured security.
double min_security_bits(const zkwasm::Bundle& b) {
  double bits = 1e9;
  for (const auto& seg : b.segments) bits = std::min(bits, conjectured_security_bits(seg.proof.params));
  return b.segments.empty() ? 0 : bits;
}

// The Merkle hashes of the bundle's segments, each named once, in order ("blake3").
std::string merkle_hashes(const zkwasm::Bundle& b) {
  std::string names;
  for (const auto& seg : b.segments) {
    const std::string name = merkle_hash_name(seg.proof.params.merkle_hash);
    if (names.find(name) == std::string::npos) names += (names.empty() ? "" : ",") + name;
  }
  return names;
}

Result<std::vector<uint8_t>> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalid_argument("cannot read " + path + ": " + std::strerror(errno));
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Result<uint64_t> parse_value(const std::string& s, wasm::ValType t, size_t index) {
  errno = 0;
  char* end = nullptr;
  uint64_t v = 0;
  if (!s.empty() && s[0] == '-') {
    const long long x = std::strtoll(s.c_str(), &end, 0);
    v = uint64_t(x);
    if (t == wasm::ValType::kI32 && x < INT32_MIN) errno = ERANGE;
  } else {
    v = std::strtoull(s.c_str(), &end, 0);
    if (t == wasm::ValType::kI32 && v > UINT32_MAX) errno = ERANGE;
  }
  if (s.empty() || *end != '\0' || errno != 0) {
    return invalid_argument("argument " + std::to_string(index + 1) + " (\"" + s +
                            "\") is not a valid " + wasm::val_type_name(t));
  }
  return t == wasm::ValType::kI32 ? uint64_t(uint32_t(v)) : v;
}

Result<std::vector<uint8_t>> hex_or_file(const std::string& v) {
  std::ifstream probe(v, std::ios::binary);
  if (probe.good()) return read_bytes(v);
  std::string s = v.rfind("0x", 0) == 0 ? v.substr(2) : v;
  if (s.size() % 2) return invalid_argument("--input: not a file and not hex (odd length)");
  std::vector<uint8_t> out;
  for (size_t i = 0; i < s.size(); i += 2) {
    unsigned x = 0;
    if (std::sscanf(s.substr(i, 2).c_str(), "%2x", &x) != 1) {
      return invalid_argument("--input: not a file and not hex (position " + std::to_string(i) + ")");
    }
    out.push_back(uint8_t(x));
  }
  return out;
}

std::string hex(std::span<const uint8_t> b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t x : b) s += {d[x >> 4], d[x & 15]};
  return s;
}

// The private input's Poseidon2 digest: 8 canonical field elements, 8 hex digits each.
std::string digest_hex(const Digest& d) {
  std::string s;
  char buf[9];
  for (const Fp& x : d) {
    std::snprintf(buf, sizeof buf, "%08x", x.to_canonical());
    s += buf;
  }
  return s;
}

// An Extension's exit status: efaas_main's result (0 ok, otherwise the exit code).
nlohmann::json io_json(const zkwasm::PublicValues& pv) {
  nlohmann::json j;
  j["public_input_keccak256"] = to_hex(keccak256(pv.public_input));
  j["public_input_bytes"] = pv.public_input.size();
  j["output"] = hex(pv.output);
  if (pv.private_digest) j["private_input_digest"] = digest_hex(*pv.private_digest);
  return j;
}

bool aborted(const zkwasm::PublicValues& pv) {
  return pv.status == 1 && pv.trap_code == uint32_t(wasm::TrapCode::kHostAbort);
}

bool out_of_gas(const zkwasm::PublicValues& pv) {
  return pv.status == 1 && pv.trap_code == uint32_t(wasm::TrapCode::kOutOfGas);
}

nlohmann::json publics_json(const zkwasm::PublicValues& pv) {
  nlohmann::json j = {{"module_keccak256", to_hex(pv.module_hash)},
          {"io", io_json(pv)},
          {"entry_function", pv.entry_function},
          {"args", pv.args},
          {"status", pv.status == 0 ? "returned" : "trapped"},
          {"trap_code", pv.trap_code},
          {"results", pv.results},
          {"gas_used", pv.gas_used},
          {"instructions", pv.instructions}};
  if (aborted(pv)) j["abort_code"] = int32_t(pv.abort_code);  // efaas.abort's i32 argument
  if (out_of_gas(pv)) j["gas_limit"] = pv.gas_limit;  // claimed with out of gas only
  return j;
}

void print_publics(const zkwasm::PublicValues& pv) {
  std::cout << "module keccak256: " << to_hex(pv.module_hash) << "\n"
            << "entry function: " << pv.entry_function << "\nargs:";
  for (uint64_t a : pv.args) std::cout << " " << a;
  std::cout << "\nstatus: "
            << (pv.status == 0 ? std::string("returned")
                               : "trapped: " + std::string(wasm::trap_reason(wasm::TrapCode(pv.trap_code))))
            << (aborted(pv) ? " (aborted with code " + std::to_string(int32_t(pv.abort_code)) + ")"
                            : std::string())
            << "\nresults:";
  for (uint64_t r : pv.results) std::cout << " " << r;
  std::cout << "\ngas used: " << pv.gas_used << "\ninstructions: " << pv.instructions << "\n";
  if (out_of_gas(pv)) std::cout << "gas limit: " << pv.gas_limit << "\n";
  std::cout << "public input keccak256: " << to_hex(keccak256(pv.public_input)) << " ("
            << pv.public_input.size() << " bytes)\noutput: " << hex(pv.output) << " ("
            << pv.output.size() << " bytes)\n";
  if (pv.private_digest) {
    std::cout << "private input digest (Poseidon2): " << digest_hex(*pv.private_digest) << "\n";
  }
}

// Runs `func` with a trace into memory.
Result<wasm::Trace> traced_run(const zkwasm::Program& p, uint32_t func,
                               const std::vector<uint64_t>& args, uint64_t gas) {
  wasm::Linker linker;
  wasm::ExtensionInput none;
  std::vector<uint8_t> output;
  wasm::define_extension_host(linker, none, output, 1u << 20);
  auto inst = wasm::Instance::instantiate(p.module_ptr(), linker);
  if (!inst) return inst.status();
  wasm::MemorySink sink;
  wasm::TraceWriter tw(sink);
  wasm::TraceHeader h;
  h.gas_limit = gas;
  h.entry_function = func;
  EFAAS_RETURN_IF_ERROR(tw.begin(h));
  wasm::ExecOptions eo;
  eo.gas_limit = gas;
  eo.trace = &tw;
  auto r = (*inst)->invoke(func, args, eo);
  if (!r) return r.status();
  EFAAS_RETURN_IF_ERROR(tw.finish(wasm::trace_end(*r, tw.records())));
  return wasm::read_trace(sink.data);
}

// The module alone, or with --link NAME=FILE (in instantiation order) the static link set it
// ends (docs/zkwasm.md, "Linked modules").
Result<std::shared_ptr<zkwasm::Program>> load_program(const std::vector<uint8_t>& bytes,
                                                      const std::vector<std::string>& links) {
  if (links.empty()) return zkwasm::Program::load(bytes);
  zkwasm::LinkSpec spec;
  for (const std::string& l : links) {
    const size_t eq = l.find('=');
    if (eq == std::string::npos || eq == 0) {
      return invalid_argument("--link " + l + ": expected NAME=FILE.wasm");
    }
    auto b = read_bytes(l.substr(eq + 1));
    if (!b) return b.status();
    spec.modules.push_back({l.substr(0, eq), std::move(*b)});
  }
  spec.modules.push_back({"", bytes});
  return zkwasm::Program::load_linked(spec);
}

int run_prove(const Output& out, const ProveCli& o) {
  auto bytes = read_bytes(o.module);
  if (!bytes) return out.error(bytes.status());
  auto program = load_program(*bytes, o.links);
  if (!program) return out.error(Status(program.status().code(), o.module + ": " + program.status().message()));
  const wasm::Module& m = (*program)->module();
  auto params = fri_preset(o.preset);
  if (!params) return out.error(params.status());
  auto backend = parse_backend(o.backend);
  if (!backend) return out.error(backend.status());
  if (o.output.empty()) return out.error_usage("-o proof.bin is required");
  const int modes = int(!o.invoke.empty()) + int(!o.trace.empty()) + int(!o.input.empty());
  if (modes != 1) return out.error_usage("give exactly one of --invoke NAME, --trace FILE, --input FILE|HEX");

  wasm::Trace trace;
  std::unique_ptr<wasm::TraceSource> source;  // --trace
  uint32_t func = 0;
  std::vector<uint8_t> public_input;
  std::optional<std::vector<uint8_t>> private_input;
  if (!o.private_input.empty() && o.input.empty()) {
    return out.error_usage("--private goes with --input (an Extension run)");
  }
  if (!o.input.empty()) {
    // An Extension run: its public input (Data; To, sender and block hash zero) is bound to
    // the proof; the output is what it wrote.
    auto data = hex_or_file(o.input);
    if (!data) return out.error(data.status());
    wasm::ExtensionInput in;
    in.data = std::move(*data);
    if (!o.private_input.empty()) {
      auto priv = hex_or_file(o.private_input);
      if (!priv) return out.error(priv.status());
      in.private_input = std::move(*priv);
    }
    private_input = in.private_input;
    wasm::MemorySink sink;
    wasm::TraceWriter tw(sink);
    wasm::ExtensionConfig cfg;
    cfg.gas_limit = o.gas;
    cfg.trace = &tw;
    auto r = wasm::run_extension((*program)->module_ptr(), in, cfg);
    if (!r) return out.error(r.status());
    auto t = wasm::read_trace(sink.data);
    if (!t) return out.error(t.status());
    trace = std::move(*t);
    func = trace.header.entry_function;
    public_input = wasm::encode_public_inputs(in);
  } else if (!o.trace.empty()) {
    // Read per segment while proving (a split run never holds the whole trace); the first
    // pass inside prove() checks every chunk.
    auto src = wasm::TraceSource::open_file(o.trace);
    if (!src) return out.error(src.status());
    source = std::move(*src);
    func = source->header().entry_function;
  } else {
    const wasm::Export* e = m.find_export(o.invoke);
    if (!e || e->kind != wasm::ExternKind::kFunc) {
      return out.error_usage(o.module + " exports no function \"" + o.invoke + "\"");
    }
    func = e->index;
  }
  if (func >= m.func_type_index.size()) return out.error_usage("trace names an unknown entry function");
  const wasm::FuncType& type = m.func_type(func);
  std::vector<uint64_t> args;
  if (o.input.empty()) {
    if (o.args.size() != type.params.size()) {
      return out.error_usage("function " + std::to_string(func) + " takes " +
                             std::to_string(type.params.size()) + " argument(s) " +
                             wasm::func_type_string(type) + ", got " + std::to_string(o.args.size()));
    }
    for (size_t i = 0; i < o.args.size(); ++i) {
      auto v = parse_value(o.args[i], type.params[i], i);
      if (!v) return out.error(v.status());
      args.push_back(*v);
    }
  }
  if (!o.invoke.empty()) {
    auto t = traced_run(**program, func, args, o.gas);
    if (!t) return out.error(t.status());
    trace = std::move(*t);
  }
  zkwasm::ProveOptions po;
  po.params = *params;
  po.stark.backend = *backend;
  po.args = args;
  po.public_input = public_input;
  po.private_input = private_input;
  if (o.segment_log < zkwasm::kMinSegmentLog || o.segment_log > zkwasm::kMaxSegmentLog) {
    return out.error_usage("--segment-log: between " + std::to_string(zkwasm::kMinSegmentLog) +
                           " and " + std::to_string(zkwasm::kMaxSegmentLog));
  }
  po.segment_log = o.segment_log;
  po.segment_workers = o.segment_workers;
  if (!out.json) {
    po.on_segment = [](uint32_t index, uint32_t count, double seconds) {
      if (count > 1) std::cerr << "segment " << index + 1 << "/" << count << " proved in " << seconds << " s\n";
    };
  }
  Stopwatch sw;
  auto bundle = source ? zkwasm::prove(**program, *source, po) : zkwasm::prove(**program, trace, po);
  if (!bundle) return out.error(bundle.status());
  const double secs = sw.seconds();
  const std::vector<uint8_t> blob = zkwasm::serialize_bundle(*bundle);
  std::ofstream f(o.output, std::ios::binary);
  f.write(reinterpret_cast<const char*>(blob.data()), std::streamsize(blob.size()));
  if (!f) return out.error(invalid_argument("cannot write " + o.output));
  if (out.json) {
    nlohmann::json j = publics_json(bundle->publics);
    j["proof"] = o.output;
    j["proof_bytes"] = blob.size();
    j["segments"] = bundle->segments.size();
    j["prove_seconds"] = secs;
    j["security_bits"] = conjectured_security_bits(*params);
    j["merkle_hash"] = merkle_hash_name(params->merkle_hash);
    out.emit_json(j);
  } else {
    print_publics(bundle->publics);
    std::cout << "proof: " << o.output << " (" << blob.size() << " bytes, "
              << bundle->segments.size() << " segment(s), " << secs << " s, "
              << conjectured_security_bits(*params) << " conjectured bits, Merkle hash "
              << merkle_hash_name(params->merkle_hash) << ")" << std::endl;
  }
  return kExitOk;
}

int run_verify(const Output& out, const VerifyCli& o) {
  auto bytes = read_bytes(o.module);
  if (!bytes) return out.error(bytes.status());
  auto program = load_program(*bytes, o.links);
  if (!program) return out.error(Status(program.status().code(), o.module + ": " + program.status().message()));
  auto blob = read_bytes(o.proof);
  if (!blob) return out.error(blob.status());
  auto bundle = zkwasm::deserialize_bundle(*blob);
  if (!bundle) {
    return out.error(invalid_argument(o.proof + ": malformed proof bundle: " + bundle.status().message()));
  }
  zkwasm::VerifyOptions vo;
  vo.min_security_bits = o.min_bits;
  auto accepted = parse_accepted_merkle_hash(o.merkle_hash);
  if (!accepted) return out.error_usage("--merkle-hash: " + accepted.status().message());
  vo.merkle_hash = *accepted;
  Stopwatch sw;
  auto pv = zkwasm::verify(**program, *bundle, vo);
  const double secs = sw.seconds();
  if (!pv) {
    if (out.json) {
      out.emit_json({{"valid", false}, {"error", pv.status().message()}});
    } else {
      std::cout << "INVALID: " << pv.status().message() << std::endl;
    }
    return kExitCheckFailed;
  }
  if (out.json) {
    nlohmann::json j = publics_json(*pv);
    j["valid"] = true;
    j["verify_seconds"] = secs;
    j["security_bits"] = min_security_bits(*bundle);
    j["merkle_hash"] = merkle_hashes(*bundle);
    j["segments"] = bundle->segments.size();
    nlohmann::json segs = nlohmann::json::array();
    for (const auto& seg : bundle->segments) {
      segs.push_back({{"keys", seg.keys.size()}, {"instructions_after", seg.exit.instructions}});
    }
    j["segment_list"] = segs;
    out.emit_json(j);
  } else {
    std::cout << "VALID proof for:\n";
    print_publics(*pv);
    std::cout << "segments: " << bundle->segments.size();
    if (bundle->segments.size() > 1) {
      size_t keys = 0;
      for (const auto& seg : bundle->segments) keys += seg.keys.size();
      std::cout << " (chained by " << keys << " boundary memory records)";
    }
    std::cout << "\nverified in " << secs * 1e3 << " ms (" << min_security_bits(*bundle)
              << " conjectured bits, Merkle hash " << merkle_hashes(*bundle) << ")" << std::endl;
  }
  return kExitOk;
}

}  // namespace

void register_zkwasm_commands(CLI::App& app) {
  static Output prove_out;
  static ProveCli po;
  CLI::App* prove = add_command(app, "prove",
                                "Prove a WebAssembly execution with zkWASM (split into "
                                "segments when long)",
                                prove_out, [] { return run_prove(prove_out, po); });
  prove->add_option("module", po.module, "MODULE.wasm")->required();
  prove->add_option("args", po.args, "arguments of the invoked function (decimal or 0x hex)");
  prove->add_option("--invoke", po.invoke, "run and prove this exported function");
  prove->add_option("--trace", po.trace, "prove this recorded trace (efaas wasm run --trace)");
  prove->add_option("--input", po.input, "run and prove efaas_main on this input (FILE or HEX)");
  prove->add_option("--private", po.private_input,
                    "with --input: the Extension's private input (FILE or HEX); reading it "
                    "makes its Poseidon2 digest public");
  prove->add_option("-o,--output", po.output, "write the proof bundle here")->required();
  prove->add_option("--preset", po.preset,
                    "FRI parameters: production (>= 100 bits, BLAKE3 Merkle trees), "
                    "production-poseidon2 (the same with Poseidon2 trees, for recursion) or test");
  prove->add_option("--backend", po.backend, "auto, scalar, avx2 or opencl");
  prove->add_option("--gas", po.gas, "gas limit of the run");
  prove->add_option("--link", po.links,
                    "NAME=FILE.wasm: a module the entry module imports from (repeat, in "
                    "instantiation order; the proof binds every one)");
  prove->add_option("--segment-log", po.segment_log,
                    "split runs longer than 2^N execution rows into segments (default 20)");
  prove->add_option("--segment-workers", po.segment_workers,
                    "segments proved at once (0: one per hardware thread)");

  static Output verify_out;
  static VerifyCli vo;
  CLI::App* verify = add_command(app, "verify",
                                 "Verify a zkWASM proof bundle against a module: exit 0 valid, "
                                 "1 rejected, 2 malformed",
                                 verify_out, [] { return run_verify(verify_out, vo); });
  verify->add_option("module", vo.module, "MODULE.wasm")->required();
  verify->add_option("proof", vo.proof, "proof.bin")->required();
  verify->add_option("--min-bits", vo.min_bits, "reject proofs below this conjectured security");
  verify->add_option("--merkle-hash", vo.merkle_hash,
                     "reject proofs committed with another Merkle hash: any (default), "
                     "poseidon2 or blake3");
  verify->add_option("--link", vo.links,
                     "NAME=FILE.wasm: a module the entry module imports from (repeat, in "
                     "instantiation order; the proof binds every one)");
}

}  // namespace efaas::cli
