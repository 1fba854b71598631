#include "prover/wasm/extension.hpp"

#include <algorithm>

namespace efaas::wasm {

namespace {
// Host calls cost the call_host base (opcode table) plus one unit per 8 bytes moved.
uint64_t byte_gas(uint32_t n) {
  return (uint64_t(n) + 7) / 8;
}
}  // namespace

std::span<const uint8_t> ExtensionInput::bytes(InputKind k) const {
  switch (k) {
    case InputKind::kData:
      return data;
    case InputKind::kTo:
      return to;
    case InputKind::kSender:
      return sender;
    case InputKind::kBlockHash:
      return block_hash;
    case InputKind::kPrivate:
      return private_input;
  }
  return {};
}

std::vector<uint8_t> encode_public_inputs(const ExtensionInput& in) {
  const uint32_t n = uint32_t(in.data.size());
  std::vector<uint8_t> out(4 + size_t(n) + 20 + 20 + 32);
  for (int i = 0; i < 4; ++i) out[size_t(i)] = uint8_t(n >> (8 * i));
  size_t at = 4;
  for (uint8_t b : in.data) out[at++] = b;
  for (uint8_t b : in.to) out[at++] = b;
  for (uint8_t b : in.sender) out[at++] = b;
  for (uint8_t b : in.block_hash) out[at++] = b;
  return out;
}

std::vector<uint8_t> encode_extension_input(const ExtensionInput& in) {
  std::vector<uint8_t> out = encode_public_inputs(in);
  const uint32_t n = uint32_t(in.private_input.size());
  for (int i = 0; i < 4; ++i) out.push_back(uint8_t(n >> (8 * i)));
  out.insert(out.end(), in.private_input.begin(), in.private_input.end());
  return out;
}

Result<ExtensionInput> decode_extension_input(std::span<const uint8_t> bytes) {
  size_t at = 0;
  auto take = [&](const char* field, size_t n, uint8_t* dst) -> Status {
    if (bytes.size() - at < n) {
      return invalid_argument("extension input: " + std::string(field) + " at byte offset " +
                              std::to_string(at) + " needs " + std::to_string(n) +
                              " bytes, only " + std::to_string(bytes.size() - at) + " left");
    }
    std::copy_n(bytes.begin() + ptrdiff_t(at), n, dst);
    at += n;
    return Status::ok();
  };
  auto u32 = [&](const char* field, uint32_t& v) -> Status {
    uint8_t b[4];
    EFAAS_RETURN_IF_ERROR(take(field, 4, b));
    v = uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
    return Status::ok();
  };
  ExtensionInput in;
  uint32_t n = 0;
  EFAAS_RETURN_IF_ERROR(u32("data length", n));
  if (n > bytes.size() - at) {
    return invalid_argument("extension input: data length " + std::to_string(n) +
                            " at byte offset 0 exceeds the " + std::to_string(bytes.size() - at) +
                            " bytes that follow");
  }
  in.data.resize(n);
  EFAAS_RETURN_IF_ERROR(take("data", n, in.data.data()));
  EFAAS_RETURN_IF_ERROR(take("to", 20, in.to.data()));
  EFAAS_RETURN_IF_ERROR(take("sender", 20, in.sender.data()));
  EFAAS_RETURN_IF_ERROR(take("block hash", 32, in.block_hash.data()));
  const size_t len_at = at;
  EFAAS_RETURN_IF_ERROR(u32("private input length", n));
  if (n > bytes.size() - at) {
    return invalid_argument("extension input: private input length " + std::to_string(n) +
                            " at byte offset " + std::to_string(len_at) + " exceeds the " +
                            std::to_string(bytes.size() - at) + " bytes that follow");
  }
  in.private_input.resize(n);
  EFAAS_RETURN_IF_ERROR(take("private input", n, in.private_input.data()));
  if (at != bytes.size()) {
    return invalid_argument("extension input: " + std::to_string(bytes.size() - at) +
                            " trailing bytes at byte offset " + std::to_string(at));
  }
  return in;
}

const char* extension_status_name(ExtensionResult::Status s) {
  switch (s) {
    case ExtensionResult::Status::kOk:
      return "ok";
    case ExtensionResult::Status::kExit:
      return "exit";
    case ExtensionResult::Status::kTrap:
      return "trap";
  }
  return "?";
}

void define_extension_host(Linker& linker, const ExtensionInput& input,
                           std::vector<uint8_t>& output, uint32_t max_output_bytes) {
  const ExtensionInput* in = &input;
  std::vector<uint8_t>* out = &output;
  auto kind_of = [](Instance& inst, uint64_t raw, InputKind& k) {
    if (uint32_t(raw) >= kInputKinds) {
      inst.set_host_trap_message("host function error: unknown input kind " +
                                 std::to_string(uint32_t(raw)) + " (0..4)");
      return false;
    }
    k = InputKind(uint32_t(raw));
    return true;
  };
  const FuncType i_i{{ValType::kI32}, {ValType::kI32}};
  linker.define(kHostModule, "input_size",
                ExternFunc{i_i,
                           [in, kind_of](Instance& inst, const uint64_t* a, uint64_t* r) {
                             InputKind k;
                             if (!kind_of(inst, a[0], k)) return TrapCode::kHostError;
                             r[0] = uint32_t(in->bytes(k).size());
                             return TrapCode::kNone;
                           },
                           {}});
  linker.define(
      kHostModule, "input_read",
      ExternFunc{
          FuncType{{ValType::kI32, ValType::kI32, ValType::kI32, ValType::kI32}, {ValType::kI32}},
          [in, kind_of](Instance& inst, const uint64_t* a, uint64_t* r) {
            InputKind k;
            if (!kind_of(inst, a[0], k)) return TrapCode::kHostError;
            const std::span<const uint8_t> src = in->bytes(k);
            const uint32_t offset = uint32_t(a[1]);
            const uint32_t dst = uint32_t(a[2]);
            const uint32_t len = uint32_t(a[3]);
            const uint32_t n =
                offset >= src.size() ? 0 : uint32_t(std::min<uint64_t>(len, src.size() - offset));
            if (TrapCode t = inst.charge_gas(byte_gas(n)); t != TrapCode::kNone) return t;
            if (n > 0) {
              if (TrapCode t = inst.host_write(dst, src.data() + offset, n); t != TrapCode::kNone)
                return t;
            }
            r[0] = n;
            return TrapCode::kNone;
          },
          {}});
  linker.define(kHostModule, "output_write",
                ExternFunc{FuncType{{ValType::kI32, ValType::kI32}, {}},
                           [out, max_output_bytes](Instance& inst, const uint64_t* a, uint64_t*) {
                             const uint32_t src = uint32_t(a[0]);
                             const uint32_t len = uint32_t(a[1]);
                             if (uint64_t(out->size()) + len > max_output_bytes) {
                               inst.set_host_trap_message("host function error: output exceeds " +
                                                          std::to_string(max_output_bytes) +
                                                          " bytes");
                               return TrapCode::kHostError;
                             }
                             if (TrapCode t = inst.charge_gas(byte_gas(len)); t != TrapCode::kNone)
                               return t;
                             const size_t at = out->size();
                             out->resize(at + len);
                             if (TrapCode t = inst.host_read(src, len, out->data() + at);
                                 t != TrapCode::kNone) {
                               out->resize(at);
                               return t;
                             }
                             return TrapCode::kNone;
                           },
                           {}});
  linker.define(kHostModule, "abort",
                ExternFunc{FuncType{{ValType::kI32}, {}},
                           [](Instance& inst, const uint64_t* a, uint64_t*) {
                             inst.set_host_trap_message("aborted by the extension with code " +
                                                        std::to_string(int32_t(uint32_t(a[0]))));
                             return TrapCode::kHostAbort;
                           },
                           {}});
}

Result<ExtensionResult> run_extension(std::shared_ptr<const Module> module,
                                      const ExtensionInput& input, const ExtensionConfig& config) {
  const Export* entry = module->find_export(kExtensionEntry);
  if (!entry || entry->kind != ExternKind::kFunc) {
    return invalid_argument(std::string("not an Extension: no exported function \"") +
                            kExtensionEntry + "\"");
  }
  const FuncType& t = module->func_type(entry->index);
  if (!t.params.empty() || t.results.size() != 1 || t.results[0] != ValType::kI32) {
    return invalid_argument(std::string(kExtensionEntry) + " must have type () -> (i32), has " +
                            func_type_string(t));
  }
  for (const Import& im : module->imports) {
    if (im.module != kHostModule) {
      return invalid_argument("Extension imports \"" + im.module + "\".\"" + im.name +
                              "\": only the \"efaas\" host module is available");
    }
  }
  ExtensionResult res;
  Linker linker;
  define_extension_host(linker, input, res.output, config.max_output_bytes);
  if (module->start) {
    return invalid_argument("Extensions must not have a start function (use efaas_main)");
  }
  Result<std::unique_ptr<Instance>> inst = Instance::instantiate(module, linker, config.limits);
  if (!inst) return inst.status();
  if (config.trace) {
    TraceHeader h;
    h.gas_limit = config.gas_limit;
    h.entry_function = entry->index;
    EFAAS_RETURN_IF_ERROR(config.trace->begin(h));
  }
  ExecOptions o;
  o.gas_limit = config.gas_limit;
  o.trace = config.trace;
  Result<ExecResult> r = (*inst)->invoke(entry->index, {}, o);
  if (!r) return r.status();
  res.gas_used = r->gas_used;
  res.instructions = r->instructions;
  res.trap = r->trap;
  if (r->trap != TrapCode::kNone) {
    res.status = ExtensionResult::Status::kTrap;
    res.trap_message = r->trap_message;
  } else {
    res.exit_code = int32_t(uint32_t(r->results[0]));
    res.status = res.exit_code == 0 ? ExtensionResult::Status::kOk : ExtensionResult::Status::kExit;
  }
  if (config.trace) {
    EFAAS_RETURN_IF_ERROR(config.trace->finish(trace_end(*r, config.trace->records(), res.output)));
  }
  return res;
}

}  // namespace efaas::wasm
