#pragma once
// A recorded trace read on demand, for provers that must not hold every record of a long run
// (40 bytes per StepRecord: 2.5 GiB at 2^26 records): one checked pass over the chunks (each
// handed to a visitor, nothing kept but where each chunk starts), then records read by range,
// each chunk read and checked again from its offset. Over a file or over encoded bytes in
// memory (10-11 bytes per record).
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "prover/common/status.hpp"
#include "prover/wasm/trace.hpp"

namespace efaas::wasm {

class TraceSource {
 public:
  // `len` bytes at `offset` of the encoded trace into `out`; returns how many were there (fewer
  // only at the end).
  using ReadAt = std::function<Result<size_t>(uint64_t offset, std::span<uint8_t> out)>;

  // Both read and check the file header (header() is valid from here on).
  static Result<std::unique_ptr<TraceSource>> open_file(const std::string& path);
  // `bytes` must outlive the source.
  static Result<std::unique_ptr<TraceSource>> over_bytes(std::span<const uint8_t> bytes);
  TraceSource(std::string name, ReadAt read_at);
  Status read_header();

  // The first pass: reads every chunk in order, checked as TraceReader does (header, sequence,
  // checksums, the end chunk), and hands each to `visit` (steps chunks, then the end chunk); a
  // truncated or corrupt trace fails with DATA_LOSS naming the chunk and byte offset. Before
  // read(); a second scan reads the trace again.
  Status scan(const std::function<Status(const TraceChunk&)>& visit);

  const TraceHeader& header() const { return header_; }
  const TraceEnd& end() const { return end_; }
  uint64_t records() const { return records_; }

  // Records [first, first + count) (after scan), reading only the chunks that hold them. Safe
  // to call from several threads (one read at a time).
  Result<std::vector<StepRecord>> read(uint64_t first, uint64_t count);

 private:
  struct ChunkAt {
    uint64_t offset = 0, bytes = 0;
    uint64_t first_record = 0;
    uint32_t count = 0;
  };
  std::string name_;
  ReadAt read_at_;
  bool scanned_ = false;
  TraceHeader header_;
  TraceEnd end_;
  uint64_t records_ = 0;
  std::vector<ChunkAt> chunks_;  // steps chunks, in order
  std::mutex mu_;                // read(): the chunk reader and the source's position
  TraceReader reader_;           // has the header after scan(); seeks to each chunk read
  std::shared_ptr<void> handle_;  // the open file, if any
};

}  // namespace efaas::wasm
