// `efaas wasm run` and `efaas wasm validate`: the deterministic WebAssembly runtime from the
// command line (Extension entry point or any exported function, optional execution trace).
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "prover/hash/keccak.hpp"
#include "prover/wasm/extension.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/wasm/module.hpp"
#include "prover/wasm/trace.hpp"
#include "tools/efaas/cli.hpp"

namespace efaas::cli {

namespace {

using namespace efaas::wasm;

struct RunOptions {
  std::string module;
  std::string input;
  std::string private_input;
  std::string to;
  std::string sender;
  std::string block_hash;
  uint64_t gas = 10'000'000'000ull;
  std::string trace;
  std::string invoke;
  std::vector<std::string> args;
};

Result<std::vector<uint8_t>> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalid_argument("cannot read " + path + ": " + std::strerror(errno));
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

Result<std::vector<uint8_t>> parse_hex(const std::string& what, std::string s) {
  if (s.rfind("0x", 0) == 0 || s.rfind("0X", 0) == 0) s = s.substr(2);
  if (s.size() % 2 != 0) return invalid_argument(what + ": odd number of hex digits");
  std::vector<uint8_t> out;
  for (size_t i = 0; i < s.size(); i += 2) {
    auto nib = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = nib(s[i]), lo = nib(s[i + 1]);
    if (hi < 0 || lo < 0) {
      return invalid_argument(what + ": not a file and not hex (bad digit at position " +
                              std::to_string(i) + ")");
    }
    out.push_back(uint8_t(hi * 16 + lo));
  }
  return out;
}

// FILE or HEX: an existing file is read, anything else must be hex.
Result<std::vector<uint8_t>> file_or_hex(const std::string& what, const std::string& v) {
  if (v.empty()) return std::vector<uint8_t>{};
  std::ifstream probe(v, std::ios::binary);
  if (probe.good()) return read_file(v);
  return parse_hex(what, v);
}

template <size_t N>
Status fixed_hex(const std::string& what, const std::string& v, std::array<uint8_t, N>& out) {
  if (v.empty()) return Status::ok();
  Result<std::vector<uint8_t>> b = parse_hex(what, v);
  if (!b) return b.status();
  if (b->size() != N) {
    return invalid_argument(what + " must be " + std::to_string(N) + " bytes, got " +
                            std::to_string(b->size()));
  }
  std::copy(b->begin(), b->end(), out.begin());
  return Status::ok();
}

Result<uint64_t> parse_arg(const std::string& s, ValType t, size_t index) {
  errno = 0;
  char* end = nullptr;
  const bool neg = !s.empty() && s[0] == '-';
  uint64_t v = 0;
  if (neg) {
    const long long x = std::strtoll(s.c_str(), &end, 0);
    v = uint64_t(x);
    if (t == ValType::kI32 && (x < INT32_MIN)) errno = ERANGE;
  } else {
    v = std::strtoull(s.c_str(), &end, 0);
    if (t == ValType::kI32 && v > UINT32_MAX) errno = ERANGE;
  }
  if (s.empty() || *end != '\0' || errno != 0) {
    return invalid_argument("argument " + std::to_string(index + 1) + " (\"" + s +
                            "\") is not a valid " + val_type_name(t));
  }
  return t == ValType::kI32 ? uint64_t(uint32_t(v)) : v;
}

std::string result_string(uint64_t v, ValType t) {
  return t == ValType::kI32 ? std::to_string(int32_t(uint32_t(v))) : std::to_string(int64_t(v));
}

struct Report {
  std::string status;  // ok, exit, trap
  std::string trap;
  int32_t exit_code = 0;
  std::vector<uint8_t> output;
  bool has_output = false;
  std::vector<std::string> results;
  uint64_t gas_used = 0;
  uint64_t instructions = 0;
};

int print_report(const Output& out, const Report& r) {
  if (out.json) {
    nlohmann::json j{{"status", r.status},
                     {"gas_used", r.gas_used},
                     {"instructions", r.instructions},
                     {"trap", r.trap.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.trap)},
                     {"results", r.results},
                     {"output", to_hex(r.output)}};
    if (r.has_output && r.status != "trap") j["exit_code"] = r.exit_code;
    out.emit_json(j);
  } else {
    std::cout << "status: " << r.status;
    if (r.status == "trap") std::cout << " (" << r.trap << ")";
    if (r.has_output && r.status != "trap") std::cout << " (exit code " << r.exit_code << ")";
    std::cout << "\n";
    if (r.has_output)
      std::cout << "output: " << to_hex(r.output) << " (" << r.output.size() << " bytes)\n";
    if (!r.results.empty()) {
      std::cout << "results:";
      for (const auto& s : r.results) std::cout << " " << s;
      std::cout << "\n";
    }
    std::cout << "gas used: " << r.gas_used << "\ninstructions: " << r.instructions << std::endl;
  }
  return r.status == "ok" ? kExitOk : kExitCheckFailed;
}

int run_wasm(const Output& out, const RunOptions& o) {
  Result<std::vector<uint8_t>> bytes = read_file(o.module);
  if (!bytes) return out.error(bytes.status());
  Result<std::shared_ptr<const Module>> m = load_module(*bytes);
  if (!m) return out.error(Status(m.status().code(), o.module + ": " + m.status().message()));

  std::unique_ptr<FileSink> sink;
  std::unique_ptr<TraceWriter> writer;
  if (!o.trace.empty()) {
    Result<std::unique_ptr<FileSink>> s = FileSink::open(o.trace);
    if (!s) return out.error(s.status());
    sink = std::move(*s);
    writer = std::make_unique<TraceWriter>(*sink);
  }
  Report rep;
  if (o.invoke.empty()) {
    if (!o.args.empty()) return out.error_usage("arguments given without --invoke NAME");
    ExtensionInput in;
    Result<std::vector<uint8_t>> data = file_or_hex("--input", o.input);
    if (!data) return out.error(data.status());
    in.data = std::move(*data);
    Result<std::vector<uint8_t>> priv = file_or_hex("--private", o.private_input);
    if (!priv) return out.error(priv.status());
    in.private_input = std::move(*priv);
    if (Status s = fixed_hex("--to", o.to, in.to); !s) return out.error(s);
    if (Status s = fixed_hex("--sender", o.sender, in.sender); !s) return out.error(s);
    if (Status s = fixed_hex("--block-hash", o.block_hash, in.block_hash); !s) return out.error(s);
    ExtensionConfig cfg;
    cfg.gas_limit = o.gas;
    cfg.trace = writer.get();
    Result<ExtensionResult> r = run_extension(*m, in, cfg);
    if (!r) return out.error(r.status());
    rep.status = extension_status_name(r->status);
    rep.trap = r->trap_message;
    rep.exit_code = r->exit_code;
    rep.output = r->output;
    rep.has_output = true;
    rep.gas_used = r->gas_used;
    rep.instructions = r->instructions;
  } else {
    const Export* e = (*m)->find_export(o.invoke);
    if (!e || e->kind != ExternKind::kFunc) {
      return out.error_usage(o.module + " exports no function \"" + o.invoke + "\"");
    }
    const FuncType& t = (*m)->func_type(e->index);
    if (o.args.size() != t.params.size()) {
      return out.error_usage(o.invoke + " takes " + std::to_string(t.params.size()) +
                             " argument(s) " + func_type_string(t) + ", got " +
                             std::to_string(o.args.size()));
    }
    std::vector<uint64_t> args;
    for (size_t i = 0; i < o.args.size(); ++i) {
      Result<uint64_t> v = parse_arg(o.args[i], t.params[i], i);
      if (!v) return out.error(v.status());
      args.push_back(*v);
    }
    // Imports from "efaas" get the Extension host with empty inputs; others cannot link.
    ExtensionInput none;
    std::vector<uint8_t> output;
    Linker linker;
    define_extension_host(linker, none, output, 1u << 20);
    Result<std::unique_ptr<Instance>> inst = Instance::instantiate(*m, linker);
    if (!inst) return out.error(inst.status());
    if (writer) {
      TraceHeader h;
      h.gas_limit = o.gas;
      h.entry_function = e->index;
      if (Status s = writer->begin(h); !s) return out.error(s);
    }
    ExecOptions eo;
    eo.gas_limit = o.gas;
    eo.trace = writer.get();
    Result<ExecResult> r = (*inst)->invoke(e->index, args, eo);
    if (!r) return out.error(r.status());
    rep.status = r->trap == TrapCode::kNone ? "ok" : "trap";
    rep.trap = r->trap_message;
    for (size_t i = 0; i < r->results.size(); ++i)
      rep.results.push_back(result_string(r->results[i], t.results[i]));
    rep.gas_used = r->gas_used;
    rep.instructions = r->instructions;
    if (writer) {
      if (Status s = writer->finish(trace_end(*r, writer->records())); !s) return out.error(s);
    }
  }
  if (sink) {
    if (Status s = sink->close(); !s) return out.error(s);
  }
  return print_report(out, rep);
}

int validate_wasm(const Output& out, const std::string& path) {
  Result<std::vector<uint8_t>> bytes = read_file(path);
  if (!bytes) return out.error(bytes.status());
  Result<std::shared_ptr<const Module>> m = load_module(*bytes);
  if (!m) {
    if (out.json) {
      out.emit_json({{"valid", false},
                     {"error", m.status().message()},
                     {"status", status_code_name(m.status().code())}});
    } else {
      std::cout << path << ": INVALID: " << m.status().message() << std::endl;
    }
    return kExitCheckFailed;
  }
  const Module& mod = **m;
  nlohmann::json exports = nlohmann::json::array();
  for (const Export& e : mod.exports)
    exports.push_back({{"name", e.name}, {"kind", extern_kind_name(e.kind)}});
  const Export* entry = mod.find_export(kExtensionEntry);
  const bool extension = entry && entry->kind == ExternKind::kFunc;
  if (out.json) {
    out.emit_json({{"valid", true},
                   {"functions", mod.func_type_index.size()},
                   {"imports", mod.imports.size()},
                   {"compiled_instructions", mod.code.size()},
                   {"extension_entry", extension},
                   {"exports", exports}});
  } else {
    std::cout << path << ": valid (" << mod.func_type_index.size() << " functions, "
              << mod.imports.size() << " imports, " << mod.code.size() << " compiled instructions"
              << (extension ? ", Extension entry efaas_main" : "") << ")" << std::endl;
  }
  return kExitOk;
}

// Reads and checks a whole trace file (every chunk's checksum and sequence) and summarizes it.
int trace_info(const Output& out, const std::string& path) {
  Result<Trace> t = read_trace_file(path);
  if (!t) return out.error(Status(t.status().code(), path + ": " + t.status().message()));
  uint64_t io_rows = 0;
  for (const StepRecord& s : t->steps) {
    io_rows += s.op == uint16_t(Op::kHostRead) || s.op == uint16_t(Op::kHostWrite);
  }
  const TraceEnd& e = t->end;
  const std::string status = e.status == 0 ? "returned" : "trapped";
  if (out.json) {
    out.emit_json({{"version", t->header.version},
                   {"records", t->steps.size()},
                   {"host_io_records", io_rows},
                   {"instructions", e.instructions},
                   {"gas_limit", t->header.gas_limit},
                   {"gas_used", e.gas_used},
                   {"entry_function", t->header.entry_function},
                   {"status", status},
                   {"trap_code", e.trap_code},
                   {"output", to_hex(e.output)}});
  } else {
    std::cout << path << ": trace version " << t->header.version << ", " << t->steps.size()
              << " records (" << io_rows << " host I/O), " << e.instructions
              << " instructions, gas " << e.gas_used << " of " << t->header.gas_limit << ", "
              << status;
    if (e.status != 0) std::cout << " (" << trap_reason(TrapCode(e.trap_code)) << ")";
    std::cout << ", output " << to_hex(e.output) << std::endl;
  }
  return kExitOk;
}

}  // namespace

void register_wasm_commands(CLI::App& app) {
  CLI::App* group = app.add_subcommand("wasm", "The deterministic WebAssembly runtime");
  group->require_subcommand(1);

  static Output run_out;
  static RunOptions ro;
  CLI::App* run = add_command(*group, "run",
                              "Run an Extension's efaas_main (or, with --invoke, any exported "
                              "function) and print output, gas used, instructions and status",
                              run_out, [] { return run_wasm(run_out, ro); });
  run->add_option("module", ro.module, "MODULE.wasm")->required();
  run->add_option("args", ro.args, "i32/i64 arguments for --invoke (decimal or 0x hex)");
  run->add_option("--input", ro.input, "Operation.Data: a file or hex bytes");
  run->add_option("--private", ro.private_input, "private input (witness): a file or hex bytes");
  run->add_option("--to", ro.to, "Operation.To, 20 bytes hex");
  run->add_option("--sender", ro.sender, "the Operation's sender, 20 bytes hex");
  run->add_option("--block-hash", ro.block_hash, "ProcessedBlockHash, 32 bytes hex");
  run->add_option("--gas", ro.gas, "gas limit");
  run->add_option("--trace", ro.trace, "write the execution trace to this file");
  run->add_option("--invoke", ro.invoke, "call this exported function instead of efaas_main");

  static Output val_out;
  static std::string val_module;
  CLI::App* val = add_command(*group, "validate", "Decode and validate a module (integer subset)",
                              val_out, [] { return validate_wasm(val_out, val_module); });
  val->add_option("module", val_module, "MODULE.wasm")->required();

  static Output trace_out;
  static std::string trace_file;
  CLI::App* tr = add_command(*group, "trace",
                             "Check an execution trace (checksums, sequence, end record) and "
                             "summarize it",
                             trace_out, [] { return trace_info(trace_out, trace_file); });
  tr->add_option("file", trace_file, "trace file written by `efaas wasm run --trace`")->required();
}

}  // namespace efaas::cli
