#pragma once
// Execution traces: what the zkWASM prover needs per executed instruction, in a versioned,
// chunked binary format that can be streamed while it is produced.
//
// Layout (all integers little-endian):
//   file header (48 bytes): "EFWTRACE", version u32, record encoding u32, records per chunk u32,
//     opcode count u32, gas limit u64, entry function u32, reserved u32, xxh64 of the 40 bytes
//     before it
//   chunks, each: header (48 bytes): "CHNK", kind u16 (1 steps, 2 end), reserved u16, chunk index
//     u32, record count u32, first record u64, first instruction u64, payload bytes u32,
//     reserved u32, xxh64 of the header's first 40 bytes and the payload; then the payload
//   steps payload: record count packed StepRecords. Each: op u8, flags u8, then LEB128 fields
//     as flagged: bit 0 pc (only when not previous pc + 1), bit 1 depth (when changed), bit 2
//     stack-pointer delta (zigzag, when changed), bits 3-6 aux, a, b, r (when non-zero); the
//     first record of a chunk is relative to pc -1 and zeros, so every chunk decodes alone
//   end payload (the last chunk): TraceEnd
// Segments (2^20 instructions by default) start at chunk boundaries when the chunk size divides
// the segment size, so a reader can seek to a segment by skipping whole chunks.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "prover/common/status.hpp"
#include "prover/wasm/opcodes.hpp"

namespace efaas::wasm {

inline constexpr uint32_t kTraceVersion = 1;
inline constexpr uint32_t kRecordEncoding = 1;  // packed records, see below
static_assert(kOpCount < 256, "packed records store the opcode in one byte");

// One executed instruction (or one host I/O row). Field meanings per opcode: TraceShape in
// opcodes.hpp. `sp` is the value-stack height (slots) before the instruction, `depth` the call
// depth; the gas an instruction costs is op_info(op).gas, so gas before record k is the limit
// minus the costs of records 0..k-1.
struct StepRecord {
  uint32_t pc;
  uint16_t op;
  uint16_t depth;
  uint32_t sp;
  uint32_t aux;
  uint64_t a;
  uint64_t b;
  uint64_t r;
  bool operator==(const StepRecord&) const = default;
};
static_assert(sizeof(StepRecord) == 40);

struct TraceHeader {
  uint32_t version = kTraceVersion;
  uint32_t chunk_records = 1u << 16;
  uint32_t opcode_count = uint32_t(kOpCount);
  uint64_t gas_limit = 0;
  uint32_t entry_function = 0;
  bool operator==(const TraceHeader&) const = default;
};

// How the run ended; the last chunk of every complete trace.
struct TraceEnd {
  uint32_t status = 0;     // 0 returned, 1 trapped
  uint32_t trap_code = 0;  // TrapCode
  uint64_t gas_used = 0;
  uint64_t instructions = 0;
  uint64_t records = 0;
  std::vector<uint64_t> results;
  std::vector<uint8_t> output;
  bool operator==(const TraceEnd&) const = default;
};

struct ExecResult;  // instance.hpp
// The end of the trace of an invocation that returned `r` (status 1 and its trap code after a
// trap), after `records` records (TraceWriter::records()), with an Extension's `output`.
TraceEnd trace_end(const ExecResult& r, uint64_t records, std::vector<uint8_t> output = {});

// 64-bit xxHash (XXH64) of `data` with `seed`: the chunk checksum.
uint64_t xxh64(const void* data, size_t len, uint64_t seed = 0);

class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual Status write(std::span<const uint8_t> bytes) = 0;
};

class MemorySink : public TraceSink {
 public:
  Status write(std::span<const uint8_t> bytes) override {
    data.insert(data.end(), bytes.begin(), bytes.end());
    return Status::ok();
  }
  std::vector<uint8_t> data;
};

class FileSink : public TraceSink {
 public:
  static Result<std::unique_ptr<FileSink>> open(const std::string& path);
  ~FileSink() override;
  Status write(std::span<const uint8_t> bytes) override;
  Status close();

 private:
  explicit FileSink(std::FILE* f, std::string path) : f_(f), path_(std::move(path)) {}
  std::FILE* f_;
  std::string path_;
};

// Fills fixed-size records in a chunk buffer and hands full chunks to the sink. The
// interpreter calls slot() per instruction; sink errors are sticky and reported by finish().
class TraceWriter {
 public:
  TraceWriter(TraceSink& sink, uint32_t chunk_records = 1u << 16);
  Status begin(const TraceHeader& header);
  StepRecord* slot() {
    if (n_ == cap_) flush_chunk();
    return &buf_[n_++];
  }
  // Writes the pending steps and the end chunk.
  Status finish(const TraceEnd& end);
  // A host I/O row (not an instruction).
  StepRecord* slot_io() {
    StepRecord* r = slot();
    ++io_;
    return r;
  }
  uint64_t records() const { return first_record_ + n_; }
  const Status& status() const { return status_; }

 private:
  void flush_chunk();
  void write_chunk(uint16_t kind, uint32_t count, std::span<const uint8_t> payload);

  TraceSink& sink_;
  uint32_t cap_;
  std::unique_ptr<StepRecord[]> buf_;
  std::unique_ptr<uint8_t[]> packed_;  // the chunk being encoded
  uint32_t n_ = 0;
  uint32_t chunk_index_ = 0;
  uint64_t first_record_ = 0;
  uint64_t io_ = 0;              // host I/O rows so far
  uint64_t io_chunk_start_ = 0;  // host I/O rows before the current chunk
  Status status_;
};

struct TraceChunk {
  uint16_t kind = 0;  // 1 steps, 2 end
  uint32_t index = 0;
  uint64_t first_record = 0;
  uint64_t first_instruction = 0;
  std::vector<StepRecord> steps;
  TraceEnd end;  // kind 2
};

// Streaming reader: feed() bytes as they arrive (any split), take chunks with next(). Every
// chunk is checked (magic, sequence, sizes, checksum, opcodes) before it is returned; finish()
// reports a stream that stopped before its end chunk.
class TraceReader {
 public:
  Status feed(std::span<const uint8_t> bytes);
  // True with `out` filled when a whole chunk was available, false when more bytes are needed.
  Result<bool> next(TraceChunk& out);
  Status finish() const;
  bool has_header() const { return has_header_; }
  const TraceHeader& header() const { return header_; }
  bool ended() const { return ended_; }
  // Stream offset of the first byte not yet consumed (after next(): where the chunk it
  // returned ends).
  uint64_t offset() const { return consumed_ + pos_; }
  // Random access after a first pass (TraceSource): drops buffered bytes and continues at a
  // chunk boundary seen before, so the next bytes fed must be chunk `index`, starting at
  // record `first_record` and byte `offset`; every check of next() applies to it. Needs the
  // header (has_header()).
  void seek(uint32_t index, uint64_t first_record, uint64_t offset);

 private:
  Status parse_header();
  size_t available() const { return buf_.size() - pos_; }

  std::vector<uint8_t> buf_;
  size_t pos_ = 0;
  uint64_t consumed_ = 0;  // stream offset of buf_[0]
  bool has_header_ = false;
  bool ended_ = false;
  TraceHeader header_;
  uint32_t next_index_ = 0;
  uint64_t next_record_ = 0;
  Status error_;
};

// Reads a whole trace file: header, every step and the end record.
struct Trace {
  TraceHeader header;
  std::vector<StepRecord> steps;
  TraceEnd end;
};
Result<Trace> read_trace(std::span<const uint8_t> bytes);
Result<Trace> read_trace_file(const std::string& path);

// Steps [first, first + count) of a trace file, skipping earlier chunks without reading their
// payloads: how a prover takes one segment.
Result<std::vector<StepRecord>> read_trace_segment(const std::string& path, uint64_t first,
                                                   uint64_t count);

}  // namespace efaas::wasm
