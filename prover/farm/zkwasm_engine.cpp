// zkWASM jobs (docs/farm.md, "zkWASM jobs"): a WASM module artifact plus either a streamed
// EFWTRACE trace (zkwasm-trace) or the canonical Extension input, which the farm executes with
// the runtime (zkwasm-module); the proof is the EFZKWASM bundle, self-checked by
// zkwasm::verify() before it is handed out. Only the public API of prover/zkwasm is used.
#include "prover/farm/zkwasm_engine.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <list>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include <spdlog/spdlog.h>

#include "prover/common/bytes.hpp"
#include "prover/common/timer.hpp"
#include "prover/farm/farm.hpp"
#include "prover/fri/fri_params.hpp"
#include "prover/wasm/extension.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/wasm/trace.hpp"
#include "prover/wasm/trace_source.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::farm {

namespace {

static_assert(kMinSegmentLog >= zkwasm::kMinSegmentLog);
constexpr size_t kProgramCacheSize = 8;
// A trace chunk is parsed once it is whole; more than this pending is refused (bounded memory).
constexpr uint64_t kMaxPendingTraceBytes = uint64_t(8) << 20;  // the runtime writes ~0.2-3 MiB
// Framing bytes of an EFWTRACE file before the first record (file header + a chunk header).
constexpr uint64_t kTraceFramingBytes = 96;


Error invalid(const std::string& m) {
  return err(Code::kInvalidArgument, m);
}

// Trace parse errors are the client's bad input, whatever code the reader gives them.
Error trace_error(const Status& s) {
  return invalid(s.message().rfind("trace", 0) == 0 ? s.message() : "trace: " + s.message());
}

bool is_io_row(uint16_t op) {
  return op == uint16_t(wasm::Op::kHostRead) || op == uint16_t(wasm::Op::kHostWrite);
}

std::string op_name(uint16_t op) {
  return op < wasm::kOpCount ? std::string(wasm::op_info(wasm::Op(op)).name)
                             : "opcode " + std::to_string(op);
}

// The first step whose opcode is not the module's instruction at its pc, or OK.
Outcome check_steps_against_module(const wasm::Module& m, std::span<const wasm::StepRecord> steps,
                                   uint64_t first_record) {
  for (size_t i = 0; i < steps.size(); ++i) {
    const wasm::StepRecord& s = steps[i];
    if (is_io_row(s.op)) continue;
    const uint64_t step = first_record + i;
    if (s.pc >= m.code.size()) {
      return invalid("the trace does not match the module: step " + std::to_string(step) +
                     " is at pc " + std::to_string(s.pc) + ", past the module's " +
                     std::to_string(m.code.size()) + " instructions");
    }
    if (uint16_t(m.code[s.pc].op) != s.op) {
      return invalid("the trace does not match the module: step " + std::to_string(step) +
                     " (pc " + std::to_string(s.pc) + ") executes " + op_name(s.op) +
                     ", the module has " + op_name(uint16_t(m.code[s.pc].op)) + " there");
    }
  }
  return ok();
}

// ---------------------------------------------------------------- streaming input checks

class TraceCheck final : public InputCheck {
 public:
  TraceCheck(std::shared_ptr<const wasm::Module> m, ZkwasmParams p)
      : module_(std::move(m)), params_(std::move(p)) {}

  Outcome feed(std::span<const uint8_t> bytes) override {
    if (Status s = reader_.feed(bytes); !s) return trace_error(s);
    fed_ += bytes.size();
    wasm::TraceChunk chunk;
    while (true) {
      auto got = reader_.next(chunk);
      if (!got) return trace_error(got.status());
      if (!*got) break;
      parsed_ = fed_;  // everything up to here may still include part of the next chunk
      if (!entry_checked_) {
        auto e = resolve_zkwasm_entry(*module_, params_, reader_.header().entry_function);
        if (!e) return e.error();
        entry_checked_ = true;
      }
      if (chunk.kind == 1) {
        if (Outcome o = check_steps_against_module(*module_, chunk.steps, chunk.first_record); !o)
          return o;
        for (const auto& st : chunk.steps) instructions_ += !is_io_row(st.op);
      }
    }
    if (fed_ - parsed_ > kMaxPendingTraceBytes) {
      return invalid("trace: more than " + std::to_string(kMaxPendingTraceBytes >> 20) +
                     " MiB without a complete chunk (at byte offset " + std::to_string(fed_) +
                     "); write chunks of fewer records");
    }
    return ok();
  }

  Outcome finish() override {
    if (Status s = reader_.finish(); !s) return trace_error(s);
    finished_ = true;
    return ok();
  }
  uint64_t exact_units() const override { return finished_ ? zkwasm_units(instructions_) : 0; }
  uint64_t buffered_bytes() const override { return fed_ - parsed_; }

 private:
  std::shared_ptr<const wasm::Module> module_;
  ZkwasmParams params_;
  wasm::TraceReader reader_;
  uint64_t fed_ = 0, parsed_ = 0, instructions_ = 0;
  bool entry_checked_ = false, finished_ = false;
};

// The framing of encode_extension_input(): u32 data length, data, 72 bytes, u32 private length,
// private bytes; only the two lengths are kept.
class ExtensionInputCheck final : public InputCheck {
 public:
  Outcome feed(std::span<const uint8_t> bytes) override {
    size_t i = 0;
    while (i < bytes.size()) {
      const uint64_t left = bytes.size() - i;
      if (at_ < 4) {
        data_len_ |= uint64_t(bytes[i++]) << (8 * at_++);
        continue;
      }
      const uint64_t priv_at = 4 + data_len_ + 72;  // offset of the private input's length
      if (at_ < priv_at) {
        const uint64_t n = std::min(priv_at - at_, left);
        at_ += n;
        i += n;
      } else if (at_ < priv_at + 4) {
        priv_len_ |= uint64_t(bytes[i++]) << (8 * (at_++ - priv_at));
      } else {
        const uint64_t end = priv_at + 4 + priv_len_;
        if (at_ >= end) {
          return invalid("extension input: trailing bytes at byte offset " + std::to_string(end));
        }
        const uint64_t n = std::min(end - at_, left);
        at_ += n;
        i += n;
      }
    }
    return ok();
  }
  Outcome finish() override {
    const uint64_t priv_at = 4 + data_len_ + 72;
    if (at_ < priv_at + 4) {
      return invalid("extension input truncated: " + std::to_string(at_) +
                     " bytes end inside the public inputs (data length " +
                     (at_ < 4 ? std::string("incomplete") : std::to_string(data_len_)) +
                     "), before the private input's length");
    }
    if (at_ != priv_at + 4 + priv_len_) {
      return invalid("extension input truncated: " + std::to_string(at_) + " of " +
                     std::to_string(priv_at + 4 + priv_len_) + " bytes");
    }
    return ok();
  }

 private:
  uint64_t at_ = 0, data_len_ = 0, priv_len_ = 0;
};

// ---------------------------------------------------------------- the engine

// Parsed modules (with their cached keys, one set per FRI preset) by artifact path, which is
// content addressed; shared by both zkWASM kinds.
class ProgramCache {
 public:
  Expected<std::shared_ptr<zkwasm::Program>> get(const std::string& path) {
    std::lock_guard lock(mu_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->first == path) {
        entries_.splice(entries_.begin(), entries_, it);  // most recent first
        return it->second;
      }
    }
    auto bytes = read_whole_file(path);
    if (!bytes) return err(Code::kNotFound, "the job's WASM module is missing from the store");
    auto p = zkwasm::Program::load(*bytes);
    if (!p) return err(Code::kInvalidArgument, "WASM module: " + p.status().message());
    entries_.emplace_front(path, *p);
    if (entries_.size() > kProgramCacheSize) entries_.pop_back();
    return *p;
  }

 private:
  std::mutex mu_;
  std::list<std::pair<std::string, std::shared_ptr<zkwasm::Program>>> entries_;
};

ProgramCache& program_cache() {
  static ProgramCache cache;
  return cache;
}

// Sets `flag` as soon as should_stop() says so, polled while a proof runs, so the STARK prover
// stops at its next stage boundary.
class StopWatcher {
 public:
  StopWatcher(const EngineHooks& hooks, std::atomic<bool>& flag) {
    if (!hooks.should_stop) return;
    thread_ = std::thread([this, &hooks, &flag] {
      std::unique_lock lock(mu_);
      while (!done_) {
        if (hooks.should_stop()) {
          flag = true;
          return;
        }
        cv_.wait_for(lock, std::chrono::milliseconds(20));
      }
    });
  }
  ~StopWatcher() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

class ZkwasmEngine final : public Engine {
 public:
  ZkwasmEngine(JobKind k, const EngineOptions& o) : kind_(k), opts_(o) {}
  JobKind kind() const override { return kind_; }
  Outcome available() const override { return ok(); }
  std::string unit_name() const override {
    return std::to_string(kZkwasmInstructionsPerUnit) + " WASM instructions (at least " +
           std::to_string(kZkwasmMinUnits) + " per proof)";
  }
  Outcome check_artifact(const std::string& path) override {
    auto p = program_cache().get(path);
    if (!p) return p.error();
    return ok();
  }

  Expected<uint64_t> units(const EngineJob& job) override {
    auto params = parse_zkwasm_params(job.spec.params_json, kind_);
    if (!params) return params.error();
    auto program = program_cache().get(job.artifact_path);
    if (!program) return program.error();
    if (kind_ == JobKind::kZkwasmTrace) {
      // Known only once the trace is read: reserve for the most instructions the declared size
      // can hold (a packed record takes at least 2 bytes); exact_units() charges the real count.
      if (params->entry.index() != 0) {
        if (auto e = resolve_zkwasm_entry((*program)->module(), *params, std::nullopt); !e)
          return e.error();
      }
      const uint64_t body =
          job.spec.input_size > kTraceFramingBytes ? job.spec.input_size - kTraceFramingBytes : 0;
      return zkwasm_units(body / 2);
    }
    if (auto e = resolve_zkwasm_entry((*program)->module(), *params, std::nullopt); !e)
      return e.error();
    // (A start function is folded into the module's initial state by Program::load, which the
    // verifier recomputes from the module bytes: docs/zkwasm.md "Start functions".)
    const uint64_t bound = std::min(gas_limit(*params), kZkwasmMaxModuleInstructions);
    if (opts_.memory_budget != 0 &&
        bound * kZkwasmModuleBytesPerInstruction > opts_.memory_budget) {
      return err(Code::kResourceExhausted,
                 "zkwasm-module job: executing up to " + std::to_string(bound) +
                     " instructions holds " +
                     std::to_string(bound * kZkwasmModuleBytesPerInstruction >> 20) +
                     " MiB, more than the farm's inflight_budget_bytes (" +
                     std::to_string(opts_.memory_budget >> 20) + " MiB); lower gas_limit");
    }
    return zkwasm_units(bound);
  }

  bool runs_on(Backend) const override { return true; }  // CPU (AVX2/scalar) and OpenCL

  uint32_t parallel_pieces(const JobSpec& spec, uint64_t units) const override {
    // A module job's size is known only once executed (its units are a bound): its segments
    // are proved on its own slot.
    if (kind_ == JobKind::kZkwasmModule) return 1;
    auto params = parse_zkwasm_params(spec.params_json, kind_);
    if (!params) return 1;
    const uint64_t rows = uint64_t(1) << params->segment_log.value_or(opts_.segment_log);
    const uint64_t instr = units * kZkwasmInstructionsPerUnit;
    return uint32_t(std::clamp<uint64_t>((instr + rows - 1) / rows, 1, zkwasm::kMaxSegments));
  }

  // Module jobs know their instructions only after executing; trace jobs once the stream is
  // parsed (before they are queued).
  bool units_are_bounds() const override { return kind_ == JobKind::kZkwasmModule; }

  Expected<std::unique_ptr<InputCheck>> input_check(const EngineJob& job) override {
    if (kind_ == JobKind::kZkwasmModule) return make_extension_input_check();
    auto params = parse_zkwasm_params(job.spec.params_json, kind_);
    if (!params) return params.error();
    auto program = program_cache().get(job.artifact_path);
    if (!program) return program.error();
    return make_trace_check((*program)->module_ptr(), *params);
  }

  Expected<std::vector<uint8_t>> prove(const EngineJob& job, const EngineHooks& hooks) override {
    auto stage = [&](const char* name, double fraction) -> bool {
      if (opts_.stage_delay_ms > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(opts_.stage_delay_ms));
      }
      if (hooks.should_stop && hooks.should_stop()) return false;
      if (hooks.progress) hooks.progress(name, fraction);
      return true;
    };
    const Error stopped = err(Code::kCancelled, "stopped between stages");
    if (!stage("load module", 0.0)) return stopped;
    auto params = parse_zkwasm_params(job.spec.params_json, kind_);
    if (!params) return params.error();
    auto fri = fri_preset(params->preset);
    if (!fri) return fri.status();
    auto program = program_cache().get(job.artifact_path);
    if (!program) return program.error();
    const zkwasm::Program& prog = **program;

    // The parsed trace is held in the farm's memory budget (40 bytes per record), taken before
    // it is loaded: a flood of large traces waits instead of exhausting memory.
    auto hold = [&](uint64_t bytes) -> Outcome {
      return hooks.hold_memory ? hooks.hold_memory(bytes) : ok();
    };
    const uint32_t segment_log = params->segment_log.value_or(opts_.segment_log);
    wasm::Trace trace;
    // A trace job's records are read from its file per segment while proving (zkwasm::prove
    // over a TraceSource): the budget holds one segment's records, not the run's.
    std::unique_ptr<wasm::TraceSource> source;
    uint64_t records = 0, instructions = 0;
    std::vector<uint8_t> public_input = params->public_input;
    std::optional<std::vector<uint8_t>> private_input;  // module jobs: the input's kind 4
    if (kind_ == JobKind::kZkwasmTrace) {
      if (!stage("read trace", 0.02)) return stopped;
      auto src = wasm::TraceSource::open_file(job.input_path);
      if (!src) return trace_error(src.status());
      source = std::move(*src);
      // Counting pass (every chunk checked); prove() plans in its own pass.
      if (Status s = source->scan([&](const wasm::TraceChunk& c) {
            for (const auto& st : c.steps) instructions += !is_io_row(st.op);
            return Status::ok();
          });
          !s) {
        return trace_error(s);
      }
      records = source->records();
      // The private input the run read (kind 4), which the trace does not hold.
      if (job.spec.private_input) {
        private_input.emplace(job.spec.private_input->begin(), job.spec.private_input->end());
      }
      const uint64_t window = std::min<uint64_t>(records, (uint64_t(1) << segment_log) + 1);
      if (Outcome o = hold(window * kZkwasmTraceRecordBytes); !o) return o.error();
      auto e = resolve_zkwasm_entry(prog.module(), *params, source->header().entry_function);
      if (!e) return e.error();
    } else {
      if (!stage("execute", 0.02)) return stopped;
      const uint64_t bound = std::min(gas_limit(*params), kZkwasmMaxModuleInstructions);
      if (Outcome o = hold(bound * kZkwasmModuleBytesPerInstruction); !o) return o.error();
      auto t = execute(prog, *params, job.input_path, &public_input, &private_input);
      if (!t) return t.error();
      trace = std::move(*t);
      if (Outcome o = hold(trace.steps.size() * kZkwasmTraceRecordBytes); !o) return o.error();
      records = trace.steps.size();
      for (const auto& s : trace.steps) instructions += !is_io_row(s.op);
    }
    if (hooks.exact_units) hooks.exact_units(zkwasm_units(instructions));

    if (!stage("prove", 0.1)) return stopped;
    // Segments: at least this many (a call's zero-local rows add rows, so maybe more); the
    // exact count comes with the first proved segment.
    const uint32_t min_segments = uint32_t(
        std::min<uint64_t>((records + (uint64_t(1) << segment_log) - 1) >> segment_log,
                           zkwasm::kMaxSegments));
    std::atomic<bool> cancel{false};
    zkwasm::ProveOptions po;
    po.params = *fri;
    po.args = params->args;
    po.public_input = std::move(public_input);
    po.private_input = std::move(private_input);
    po.stark.threads = opts_.threads;
    po.stark.cancel = &cancel;
    po.segment_log = segment_log;
    // A module job's size is known only now: it asks for idle slots as a trace job got them
    // when it was placed (the farm lends only those no queued job would go to).
    std::vector<Backend> devices = job.devices;
    std::vector<int> cl = job.opencl_devices;
    cl.resize(devices.size(), 0);
    if (kind_ == JobKind::kZkwasmModule && min_segments > 1 && hooks.borrow_slots) {
      for (auto [b, index] : hooks.borrow_slots(min_segments)) {
        devices.push_back(b);
        cl.push_back(index);
      }
    }
    // One segment at a time per device slot: each proof already uses all the slot's threads,
    // and each segment in flight holds its witness.
    po.segment_workers = uint32_t(std::max<size_t>(1, devices.size()));
    if (devices.size() > 1) {
      po.devices = devices;
      po.opencl_devices = cl;
    } else if (devices.size() == 1) {
      po.stark.backend = devices[0];
      po.stark.opencl_device = cl[0];
    }
    // Segments an earlier attempt of this job proved (checkpoints), and this attempt's saved.
    const Hash256 run = zkwasm_run_digest(job, segment_log);
    std::vector<std::pair<uint32_t, zkwasm::Segment>> saved;
    uint32_t saved_count = 0;
    if (hooks.saved_pieces) {
      for (auto& [index, bytes] : hooks.saved_pieces()) {
        auto c = parse_zkwasm_checkpoint(bytes);
        std::string why;
        if (!c) {
          why = c.error().message;
        } else if (c->run != run) {
          why = "it belongs to another run (module, input, parameters or segment size differ)";
        } else if (c->index != index || c->index >= c->count ||
                   (saved_count != 0 && c->count != saved_count)) {
          why = "segment " + std::to_string(c->index) + " of " + std::to_string(c->count) +
                " does not fit the job's other segments";
        }
        if (!why.empty()) {
          spdlog::warn("event=segment_discarded job={} segment={} reason=\"{}\"", job.id, index,
                       why);
          continue;
        }
        saved_count = c->count;
        saved.emplace_back(index, std::move(c->segment));
      }
    }
    const bool had_saved = !saved.empty();
    auto use_saved = [&](zkwasm::ProveOptions& o) {
      o.proved_segments.assign(saved.empty() ? 0 : saved_count, std::nullopt);
      for (auto& [index, seg] : saved) o.proved_segments[index] = seg;
    };
    std::mutex progress_mu;
    uint32_t done = 0, count = 0, reused = 0;
    double last_fraction = 0.1;
    Stopwatch clock;
    auto report = [&](const std::string& stage_name, double fraction) {
      // Called from the segment workers: keep the fraction monotone.
      last_fraction = std::max(last_fraction, fraction);
      if (hooks.progress) hooks.progress(stage_name, last_fraction);
    };
    use_saved(po);
    po.on_segment_proof = [&](uint32_t index, uint32_t n, const zkwasm::Segment& seg,
                              bool from_checkpoint) {
      if (from_checkpoint) {
        std::lock_guard lock(progress_mu);
        ++reused;
        count = n;
        return;
      }
      if (hooks.save_piece) {
        hooks.save_piece(index, serialize_zkwasm_checkpoint({run, index, n, seg}));
      }
    };
    po.on_segment = [&](uint32_t, uint32_t n, double) {
      std::lock_guard lock(progress_mu);
      done++;
      count = n;
      if (n < 2) return;
      const double secs = clock.seconds();
      // The segments left, at the wall time per segment proved so far (the slots prove at
      // once; reused checkpoints took none); first, so that the progress event carries it.
      const uint32_t finished = std::min(n, done + reused);
      if (hooks.time_left) hooks.time_left(secs / double(done) * double(n - finished));
      report("prove: segment " + std::to_string(finished) + "/" + std::to_string(n) + " proved",
             0.1 + 0.8 * double(finished) / double(n));
      if (hooks.should_stop && hooks.should_stop()) cancel = true;
    };
    po.stark.progress = [&](std::string_view name, double f) {
      if (opts_.stage_delay_ms > 0) {  // testing aid: a window to cancel inside the STARK
        std::this_thread::sleep_for(std::chrono::milliseconds(opts_.stage_delay_ms));
      }
      {
        std::lock_guard lock(progress_mu);
        if (count > 1 || min_segments > 1) {
          // Several segments prove at once: name the stage, keep the per-segment fraction.
          const uint32_t n = std::max(count, min_segments);
          report("prove: segments " + std::to_string(done) + "/" + std::to_string(n) + " proved, " +
                     std::string(name),
                 last_fraction);
        } else {
          report("prove: " + std::string(name), 0.1 + 0.8 * f);
        }
      }
      if (hooks.should_stop && hooks.should_stop()) cancel = true;  // stops after this stage
    };
    auto prove_all = [&]() -> Result<zkwasm::Bundle> {
      StopWatcher watcher(hooks, cancel);
      return source ? zkwasm::prove(prog, *source, po) : zkwasm::prove(prog, trace, po);
    };
    Result<zkwasm::Bundle> bundle = prove_all();
    if (!bundle) {
      if (bundle.status().code() == StatusCode::kCancelled) return stopped;
      // Mismatches name the first bad step (INVALID_ARGUMENT); opcodes, traps and executions
      // the prover does not support yet are its UNIMPLEMENTED message.
      return bundle.status();
    }
    if (!saved.empty()) {
      // Checkpoints the prover did not take end elsewhere than this run's witness does.
      spdlog::info("event=segments_resumed job={} segments={} reused={} proved={}", job.id, count,
                   reused, done);
      if (reused < saved.size()) {
        spdlog::warn("event=segment_discarded job={} count={} reason=\"its boundary state "
                     "differs from the run's\"",
                     job.id, saved.size() - reused);
      }
    }
    if (!stage("self-check", 0.92)) return stopped;
    // The farm never hands out a proof its own verifier rejects. Checkpoints are never trusted:
    // a bundle that reused some and fails is proved again without them.
    auto pv = zkwasm::verify(prog, *bundle);
    if (!pv && reused > 0) {
      spdlog::warn("event=segment_discarded job={} count={} reason=\"the bundle with reused "
                   "segments failed the self-check: {}\"",
                   job.id, reused, pv.status().message());
      saved.clear();
      use_saved(po);
      reused = 0;
      done = 0;
      bundle = prove_all();
      if (!bundle) {
        if (bundle.status().code() == StatusCode::kCancelled) return stopped;
        return bundle.status();
      }
      pv = zkwasm::verify(prog, *bundle);
    }
    trace = {};  // the witness is gone; free the trace
    if (Outcome o = hold(0); !o) return o.error();
    if (!pv) return err(Code::kInternal, "the fresh proof failed the self-check: " +
                                             pv.status().message());
    if (had_saved && hooks.pieces_reused) hooks.pieces_reused(reused);
    if (!stage("package", 0.98)) return stopped;
    return zkwasm::serialize_bundle(*bundle);
  }

  Expected<bool> verify(const EngineJob& job, std::span<const uint8_t> proof) override {
    auto program = program_cache().get(job.artifact_path);
    if (!program) return program.error();
    auto b = zkwasm::deserialize_bundle(proof);
    if (!b) return err(Code::kInvalidArgument, "zkWASM bundle: " + b.status().message());
    auto pv = zkwasm::verify(**program, *b);
    if (!pv) return false;
    // The proof must also be of this job's invocation and public input.
    auto params = parse_zkwasm_params(job.spec.params_json, kind_);
    if (!params) return params.error();
    if (kind_ == JobKind::kZkwasmModule) {
      auto bytes = read_whole_file(job.input_path);
      if (!bytes) return bytes.error();
      auto input = wasm::decode_extension_input(*bytes);
      if (!input) return err(Code::kInvalidArgument, input.status().message());
      params->public_input = wasm::encode_public_inputs(*input);
    }
    return pv->args == params->args && pv->public_input == params->public_input;
  }

 private:
  uint64_t gas_limit(const ZkwasmParams& p) const {
    return p.gas_limit ? *p.gas_limit : wasm::ExtensionConfig{}.gas_limit;
  }

  // Module jobs: runs the entry with the Extension host over the job's input, recording the
  // trace (at most kZkwasmMaxModuleInstructions instructions).
  // `public_input` receives the input's public part, which the proof binds, and
  // `private_input` its private input (committed by a public digest if the run reads it).
  Expected<wasm::Trace> execute(const zkwasm::Program& prog, const ZkwasmParams& params,
                                const std::string& input_path,
                                std::vector<uint8_t>* public_input,
                                std::optional<std::vector<uint8_t>>* private_input) {
    auto bytes = read_whole_file(input_path);
    if (!bytes) return bytes.error();
    auto input = wasm::decode_extension_input(*bytes);
    if (!input) return input.status();
    bytes->clear();
    *public_input = wasm::encode_public_inputs(*input);
    *private_input = input->private_input;
    auto entry = resolve_zkwasm_entry(prog.module(), params, std::nullopt);
    if (!entry) return entry.error();
    std::vector<uint8_t> output;
    wasm::Linker linker;
    wasm::define_extension_host(linker, *input, output, wasm::ExtensionConfig{}.max_output_bytes);
    auto inst = wasm::Instance::instantiate(prog.module_ptr(), linker);
    if (!inst) return err(Code::kInvalidArgument, "instantiating the module: " +
                                                      inst.status().message());
    wasm::MemorySink sink;
    wasm::TraceWriter writer(sink);
    wasm::TraceHeader h;
    h.gas_limit = gas_limit(params);
    h.entry_function = *entry;
    if (Status s = writer.begin(h); !s) return s;
    wasm::ExecOptions o;
    o.gas_limit = h.gas_limit;
    o.trace = &writer;
    o.pause_after = kZkwasmMaxModuleInstructions;
    auto r = (*inst)->invoke(*entry, params.args, o);
    if (!r) return err(Code::kInvalidArgument, "executing the module: " + r.status().message());
    if (r->paused) {
      return err(Code::kResourceExhausted,
                 "the execution ran past the farm's limit of " +
                     std::to_string(kZkwasmMaxModuleInstructions) +
                     " instructions for module jobs; lower gas_limit or submit a trace");
    }
    if (Status s = writer.finish(wasm::trace_end(*r, writer.records(), output)); !s) return s;
    auto t = wasm::read_trace(sink.data);
    if (!t) return err(Code::kInternal, "re-reading the recorded trace: " + t.status().message());
    return std::move(*t);
  }

  JobKind kind_;
  EngineOptions opts_;
};

}  // namespace

// ---------------------------------------------------------------- parameters

Expected<ZkwasmParams> parse_zkwasm_params(const std::string& text, JobKind kind) {
  auto j = nlohmann::json::parse(text.empty() ? "{}" : text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid("params_json is not a JSON object");
  ZkwasmParams p;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    const auto& v = it.value();
    auto bad = [&](const std::string& want) {
      return invalid("params_json." + key + ": want " + want + ", got " + v.dump());
    };
    if (key == "entry") {
      if (v.is_string()) {
        p.entry = v.get<std::string>();
      } else if (v.is_number_unsigned() && v.get<uint64_t>() <= UINT32_MAX) {
        p.entry = uint32_t(v.get<uint64_t>());
      } else {
        return bad("an export name or a function index");
      }
    } else if (key == "args") {
      if (!v.is_array()) return bad("an array of unsigned 64-bit integers");
      if (v.size() > zkwasm::kMaxArgs) {
        return invalid("params_json.args: " + std::to_string(v.size()) + " arguments, at most " +
                       std::to_string(zkwasm::kMaxArgs));
      }
      for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_number_unsigned()) {
          return invalid("params_json.args[" + std::to_string(i) +
                         "]: want an unsigned 64-bit integer, got " + v[i].dump());
        }
        p.args.push_back(v[i].get<uint64_t>());
      }
    } else if (key == "preset") {
      if (!v.is_string() || !fri_preset(v.get<std::string>()).is_ok()) {
        return bad(std::string("one of ") + fri_preset_names());
      }
      p.preset = v.get<std::string>();
    } else if (key == "gas_limit") {
      if (kind != JobKind::kZkwasmModule) {
        return invalid("params_json.gas_limit: only zkwasm-module jobs take it (a trace carries "
                       "its own gas limit)");
      }
      if (!v.is_number_unsigned() || v.get<uint64_t>() == 0) return bad("a positive integer");
      p.gas_limit = v.get<uint64_t>();
    } else if (key == "segment_log") {
      if (!v.is_number_unsigned() || v.get<uint64_t>() < kMinSegmentLog ||
          v.get<uint64_t>() > kMaxSegmentLog) {
        return bad("an integer in " + std::to_string(kMinSegmentLog) + ".." +
                   std::to_string(kMaxSegmentLog) + " (segments of 2^segment_log rows)");
      }
      p.segment_log = uint32_t(v.get<uint64_t>());
    } else if (key == "public_input") {
      if (kind != JobKind::kZkwasmTrace) {
        return invalid("params_json.public_input: only zkwasm-trace jobs take it (a module job's "
                       "public input is the one in its Extension input)");
      }
      if (!v.is_string()) return bad("a hex string");
      std::string_view h = v.get_ref<const std::string&>();
      if (h.starts_with("0x")) h.remove_prefix(2);
      if (h.size() % 2 != 0 || h.size() / 2 > kZkwasmMaxPublicInputBytes) {
        return invalid("params_json.public_input: " + std::to_string(h.size()) +
                       " hex digits, want an even count of at most " +
                       std::to_string(2 * kZkwasmMaxPublicInputBytes));
      }
      auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      p.public_input.resize(h.size() / 2);
      for (size_t i = 0; i < p.public_input.size(); ++i) {
        const int hi = nibble(h[2 * i]), lo = nibble(h[2 * i + 1]);
        if (hi < 0 || lo < 0) {
          return invalid("params_json.public_input: not a hex digit at character " +
                         std::to_string(2 * i + (hi < 0 ? 0 : 1)));
        }
        p.public_input[i] = uint8_t(hi << 4 | lo);
      }
      // encode_public_inputs(): u32 LE length of Data, Data, To (20), sender (20), block hash (32).
      const size_t n = p.public_input.size();
      const uint64_t data_len =
          n < 4 ? 0
                : uint64_t(p.public_input[0]) | uint64_t(p.public_input[1]) << 8 |
                      uint64_t(p.public_input[2]) << 16 | uint64_t(p.public_input[3]) << 24;
      if (n < 4 + 72 || n != 4 + data_len + 72) {
        return invalid("params_json.public_input: " + std::to_string(n) +
                       " bytes is not an encode_public_inputs() encoding (u32 Data length " +
                       (n < 4 ? std::string("missing") : std::to_string(data_len)) +
                       ", Data, To, sender, block hash: want " +
                       (n < 4 ? std::string("at least 76") : std::to_string(4 + data_len + 72)) +
                       " bytes)");
      }
    } else {
      return invalid("params_json: unknown key \"" + key +
                     "\" (zkWASM jobs take entry, args, preset, segment_log" +
                     (kind == JobKind::kZkwasmModule ? ", gas_limit)" : ", public_input)"));
    }
  }
  return p;
}

Expected<uint32_t> resolve_zkwasm_entry(const wasm::Module& m, const ZkwasmParams& p,
                                        std::optional<uint32_t> trace_entry) {
  const uint32_t total = m.num_imported_funcs + uint32_t(m.funcs.size());
  uint32_t func = 0;
  std::string what;
  if (const auto* name = std::get_if<std::string>(&p.entry)) {
    const wasm::Export* ex = m.find_export(*name);
    if (ex == nullptr || ex->kind != wasm::ExternKind::kFunc) {
      return invalid("params_json.entry: the module exports no function \"" + *name + "\"");
    }
    func = ex->index;
    what = "\"" + *name + "\" (function " + std::to_string(func) + ")";
  } else if (const auto* idx = std::get_if<uint32_t>(&p.entry)) {
    func = *idx;
    what = "function " + std::to_string(func);
  } else if (trace_entry) {
    func = *trace_entry;
    what = "the trace's entry function " + std::to_string(func);
  } else {
    const wasm::Export* ex = m.find_export(wasm::kExtensionEntry);
    if (ex == nullptr || ex->kind != wasm::ExternKind::kFunc) {
      return invalid(std::string("params_json.entry: not given, and the module exports no \"") +
                     wasm::kExtensionEntry + "\"");
    }
    func = ex->index;
    what = std::string("\"") + wasm::kExtensionEntry + "\"";
  }
  if (func >= total) {
    return invalid("params_json.entry: " + what + " is not a function of the module (it has " +
                   std::to_string(total) + ")");
  }
  if (func < m.num_imported_funcs) {
    return invalid("params_json.entry: " + what + " is an imported function");
  }
  if (trace_entry && *trace_entry != func) {
    return invalid("the trace runs function " + std::to_string(*trace_entry) +
                   ", the job's entry is " + what);
  }
  const size_t want = m.func_type(func).params.size();
  if (p.args.size() != want) {
    return invalid("params_json.args: " + what + " takes " + std::to_string(want) +
                   " argument(s), got " + std::to_string(p.args.size()));
  }
  return func;
}

std::unique_ptr<InputCheck> make_trace_check(std::shared_ptr<const wasm::Module> module,
                                             ZkwasmParams params) {
  return std::make_unique<TraceCheck>(std::move(module), std::move(params));
}

std::unique_ptr<InputCheck> make_extension_input_check() {
  return std::make_unique<ExtensionInputCheck>();
}

// ---------------------------------------------------------------- checkpoints

namespace {
// v2 added the exit cursor (a cut inside a call's I/O or zero-local rows); v1 checkpoints are
// refused, so their segments are proved again rather than read without it.
constexpr std::string_view kCheckpointMagic = "EFZKSEG2";
constexpr std::string_view kCheckpointMagicV1 = "EFZKSEG1";
}  // namespace


std::vector<uint8_t> serialize_zkwasm_checkpoint(const ZkwasmCheckpoint& c) {
  ByteWriter w;
  w.raw(kCheckpointMagic);
  w.bytes(c.run);
  w.u32(c.index);
  w.u32(c.count);
  const zkwasm::SegmentState& e = c.segment.exit;
  for (uint32_t v : {e.pc, e.sp, e.fp, e.depth}) w.u32(v);
  w.u64(e.gas);
  w.u64(e.instructions);
  w.u64(e.output);
  zkwasm::write_exit_cursor(w, e);  // as serialize_bundle writes it
  w.u32(uint32_t(c.segment.keys.size()));
  for (uint32_t k : c.segment.keys) w.u32(k);
  for (size_t k = 0; k < c.segment.keys.size(); ++k) {
    w.u64(k < c.segment.exit_values.size() ? c.segment.exit_values[k] : 0);
  }
  const std::vector<uint8_t> proof = serialize_proof(c.segment.proof);
  w.u64(proof.size());
  w.bytes(proof);
  return w.take();
}

Expected<ZkwasmCheckpoint> parse_zkwasm_checkpoint(std::span<const uint8_t> bytes) {
  auto bad = [](const Status& s) { return invalid("segment checkpoint: " + s.message()); };
  ByteReader r(bytes);
  ZkwasmCheckpoint c;
  zkwasm::SegmentState& e = c.segment.exit;
  if (bytes.size() >= kCheckpointMagicV1.size() &&
      std::equal(kCheckpointMagicV1.begin(), kCheckpointMagicV1.end(), bytes.begin())) {
    return invalid("segment checkpoint: magic " + std::string(kCheckpointMagicV1) +
                   " is format v1 (no exit cursor), want " + std::string(kCheckpointMagic));
  }
  for (Status s : {r.expect(kCheckpointMagic, "magic"), r.bytes(c.run, "run digest"),
                   r.u32(c.index, "segment index"), r.u32(c.count, "segment count")}) {
    if (!s) return bad(s);
  }
  if (c.count < 2 || c.count > zkwasm::kMaxSegments || c.index >= c.count) {
    return invalid("segment checkpoint: segment " + std::to_string(c.index) + " of " +
                   std::to_string(c.count) + " is not a segment of a split run");
  }
  for (Status s : {r.u32(e.pc, "exit pc"), r.u32(e.sp, "exit sp"), r.u32(e.fp, "exit fp"),
                   r.u32(e.depth, "exit depth"), r.u64(e.gas, "exit gas"),
                   r.u64(e.instructions, "exit instruction count"),
                   r.u64(e.output, "exit output cursor")}) {
    if (!s) return bad(s);
  }
  if (Status s = zkwasm::read_exit_cursor(r, e, ""); !s) return bad(s);
  uint32_t nkeys = 0;
  if (Status s = r.count(nkeys, uint32_t(r.remaining() / 12), "key count"); !s) return bad(s);
  c.segment.keys.resize(nkeys);
  c.segment.exit_values.resize(nkeys);
  for (auto& k : c.segment.keys) {
    if (Status s = r.u32(k, "key"); !s) return bad(s);
  }
  for (auto& v : c.segment.exit_values) {
    if (Status s = r.u64(v, "exit value"); !s) return bad(s);
  }
  uint64_t len = 0;
  if (Status s = r.u64(len, "proof length"); !s) return bad(s);
  if (len != r.remaining()) {
    return invalid("segment checkpoint: proof length " + std::to_string(len) + " at byte " +
                   std::to_string(r.offset() - 8) + ", but " + std::to_string(r.remaining()) +
                   " bytes follow");
  }
  auto proof = deserialize_proof(bytes.subspan(r.offset()));
  if (!proof) return invalid("segment checkpoint: proof: " + proof.status().message());
  c.segment.proof = std::move(*proof);
  return c;
}

Hash256 zkwasm_run_digest(const EngineJob& job, uint32_t segment_log) {
  ByteWriter w;
  w.raw("efaas-farm zkwasm checkpoint v1");
  w.u32(uint32_t(job.spec.kind));
  for (const std::string* s : {&job.spec.artifact, &job.input_hash, &job.spec.params_json}) {
    w.u64(s->size());
    w.raw(*s);
  }
  w.u32(segment_log);
  if (job.spec.private_input) {  // a trace job's private input (none: as before)
    w.raw("private");
    w.bytes(keccak256(std::string_view(*job.spec.private_input)));
  }
  return keccak256(w.buffer());
}

std::unique_ptr<Engine> make_zkwasm_engine(JobKind kind, const EngineOptions& opts) {
  return std::make_unique<ZkwasmEngine>(kind, opts);
}

}  // namespace efaas::farm
