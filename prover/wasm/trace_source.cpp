#include "prover/wasm/trace_source.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace efaas::wasm {

namespace {
constexpr size_t kScanBlock = size_t(1) << 20;  // bytes fed to the reader at a time
constexpr uint64_t kFileHeaderBytes = 48;       // trace.hpp: the file header, then chunks
}  // namespace

TraceSource::TraceSource(std::string name, ReadAt read_at)
    : name_(std::move(name)), read_at_(std::move(read_at)) {}

Result<std::unique_ptr<TraceSource>> TraceSource::open_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return invalid_argument("cannot open trace file " + path + ": " + std::strerror(errno));
  std::shared_ptr<std::FILE> file(f, &std::fclose);
  // Called under the source's mutex (scan runs before any read), so one position suffices.
  ReadAt read_at = [file, path](uint64_t offset, std::span<uint8_t> out) -> Result<size_t> {
    if (fseeko(file.get(), off_t(offset), SEEK_SET) != 0) {
      return data_loss("trace file " + path + ": seek to byte " + std::to_string(offset) +
                       " failed: " + std::strerror(errno));
    }
    const size_t n = std::fread(out.data(), 1, out.size(), file.get());
    if (n < out.size() && std::ferror(file.get())) {
      return data_loss("trace file " + path + ": read error at byte " + std::to_string(offset));
    }
    return n;
  };
  auto src = std::make_unique<TraceSource>(path, std::move(read_at));
  src->handle_ = file;
  EFAAS_RETURN_IF_ERROR(src->read_header());
  return src;
}

Status TraceSource::read_header() {
  std::lock_guard<std::mutex> lock(mu_);
  uint8_t h[kFileHeaderBytes];
  auto n = read_at_(0, h);
  if (!n) return n.status();
  if (*n != sizeof h) return data_loss(name_ + ": trace truncated: no complete file header");
  TraceReader r;
  EFAAS_RETURN_IF_ERROR(r.feed(h));
  TraceChunk unused;
  if (Result<bool> got = r.next(unused); !got) return got.status();
  header_ = r.header();
  return Status::ok();
}

Result<std::unique_ptr<TraceSource>> TraceSource::over_bytes(std::span<const uint8_t> bytes) {
  ReadAt read_at = [bytes](uint64_t offset, std::span<uint8_t> out) -> Result<size_t> {
    if (offset >= bytes.size()) return size_t(0);
    const size_t n = std::min<uint64_t>(out.size(), bytes.size() - offset);
    std::memcpy(out.data(), bytes.data() + offset, n);
    return n;
  };
  auto src = std::make_unique<TraceSource>("trace in memory", std::move(read_at));
  EFAAS_RETURN_IF_ERROR(src->read_header());
  return src;
}

Status TraceSource::scan(const std::function<Status(const TraceChunk&)>& visit) {
  std::lock_guard<std::mutex> lock(mu_);
  // The reader's errors (truncation, checksums) name the chunk and offset; add the source.
  auto named = [&](const Status& s) { return Status(s.code(), name_ + ": " + s.message()); };
  // Again: the same pass (e.g. a caller counting before prove() plans).
  scanned_ = false;
  chunks_.clear();
  records_ = 0;
  TraceReader r;
  TraceChunk c;
  std::vector<uint8_t> block(kScanBlock);
  uint64_t at = 0;
  uint64_t chunk_start = kFileHeaderBytes;
  for (bool eof = false; !eof;) {
    auto n = read_at_(at, block);
    if (!n) return n.status();
    eof = *n == 0;
    at += *n;
    if (Status s = r.feed(std::span<const uint8_t>(block.data(), *n)); !s) return named(s);
    for (;;) {
      Result<bool> got = r.next(c);
      if (!got) return named(got.status());
      if (!*got) break;
      // Chunk c spans [chunk_start, r.offset()).
      if (c.kind == 1) {
        chunks_.push_back(ChunkAt{chunk_start, r.offset() - chunk_start, c.first_record,
                                  uint32_t(c.steps.size())});
        records_ = c.first_record + c.steps.size();
      } else {
        end_ = c.end;
      }
      chunk_start = r.offset();
      EFAAS_RETURN_IF_ERROR(visit(c));
    }
  }
  if (Status s = r.finish(); !s) return named(s);
  header_ = r.header();
  reader_ = std::move(r);
  scanned_ = true;
  return Status::ok();
}

Result<std::vector<StepRecord>> TraceSource::read(uint64_t first, uint64_t count) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!scanned_) return internal_error("trace source: read before scan");
  if (first > records_ || count > records_ - first) {
    return out_of_range(name_ + " has " + std::to_string(records_) + " records; asked for " +
                        std::to_string(first) + ".." + std::to_string(first + count));
  }
  std::vector<StepRecord> out;
  out.reserve(count);
  // The first chunk that ends after `first`.
  auto it = std::upper_bound(chunks_.begin(), chunks_.end(), first,
                             [](uint64_t rec, const ChunkAt& c) { return rec < c.first_record + c.count; });
  std::vector<uint8_t> bytes;
  TraceChunk c;
  for (; out.size() < count && it != chunks_.end(); ++it) {
    bytes.resize(it->bytes);
    auto n = read_at_(it->offset, bytes);
    if (!n) return n.status();
    const uint32_t index = uint32_t(it - chunks_.begin());
    if (*n != it->bytes) {
      return data_loss(name_ + ": truncated at chunk " + std::to_string(index) + " (byte offset " +
                       std::to_string(it->offset) + "), read after the first pass");
    }
    reader_.seek(index, it->first_record, it->offset);
    EFAAS_RETURN_IF_ERROR(reader_.feed(bytes));
    Result<bool> got = reader_.next(c);
    if (!got) return got.status();
    if (!*got || c.kind != 1) {
      return data_loss(name_ + ": chunk " + std::to_string(index) + " changed after the first pass");
    }
    const uint64_t skip = first > c.first_record ? first - c.first_record : 0;
    const uint64_t take = std::min<uint64_t>(c.steps.size() - skip, count - out.size());
    out.insert(out.end(), c.steps.begin() + ptrdiff_t(skip),
               c.steps.begin() + ptrdiff_t(skip + take));
  }
  return out;
}

}  // namespace efaas::wasm
