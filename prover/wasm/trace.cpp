#include "prover/wasm/trace.hpp"

#include <bit>
#include <cerrno>
#include <cstring>
#include <utility>

#include "prover/wasm/instance.hpp"

namespace efaas::wasm {

static_assert(std::endian::native == std::endian::little,
              "trace records are written with memcpy: little-endian hosts only");

namespace {

constexpr char kFileMagic[8] = {'E', 'F', 'W', 'T', 'R', 'A', 'C', 'E'};
constexpr uint32_t kChunkMagic = 0x4B4E4843;  // "CHNK"
constexpr size_t kFileHeaderBytes = 48;
constexpr size_t kChunkHeaderBytes = 48;
constexpr uint16_t kKindSteps = 1;
constexpr uint16_t kKindEnd = 2;
constexpr uint32_t kMaxChunkRecords = 1u << 22;
constexpr uint32_t kMaxEndPayload = 64u << 20;

constexpr uint64_t kP1 = 0x9E3779B185EBCA87ULL;
constexpr uint64_t kP2 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t kP3 = 0x165667B19E3779F9ULL;
constexpr uint64_t kP4 = 0x85EBCA77C2B2AE63ULL;
constexpr uint64_t kP5 = 0x27D4EB2F165667C5ULL;

uint64_t rd64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
uint32_t rd32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint16_t rd16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
void wr64(uint8_t* p, uint64_t v) {
  std::memcpy(p, &v, 8);
}
void wr32(uint8_t* p, uint32_t v) {
  std::memcpy(p, &v, 4);
}
void wr16(uint8_t* p, uint16_t v) {
  std::memcpy(p, &v, 2);
}

uint64_t round(uint64_t acc, uint64_t input) {
  acc += input * kP2;
  acc = std::rotl(acc, 31);
  return acc * kP1;
}
uint64_t merge(uint64_t acc, uint64_t val) {
  acc ^= round(0, val);
  return acc * kP1 + kP4;
}

// Streaming XXH64 over two spans (chunk header prefix and payload) without copying.
class Xxh64 {
 public:
  explicit Xxh64(uint64_t seed) : v_{seed + kP1 + kP2, seed + kP2, seed, seed - kP1}, seed_(seed) {}
  void update(const uint8_t* p, size_t len) {
    total_ += len;
    if (fill_ + len < 32) {
      std::memcpy(mem_ + fill_, p, len);
      fill_ += len;
      return;
    }
    if (fill_) {
      const size_t take = 32 - fill_;
      std::memcpy(mem_ + fill_, p, take);
      stripe(mem_);
      p += take;
      len -= take;
      fill_ = 0;
    }
    while (len >= 32) {
      stripe(p);
      p += 32;
      len -= 32;
    }
    std::memcpy(mem_, p, len);
    fill_ = len;
  }
  uint64_t digest() const {
    uint64_t h;
    if (total_ >= 32) {
      h = std::rotl(v_[0], 1) + std::rotl(v_[1], 7) + std::rotl(v_[2], 12) + std::rotl(v_[3], 18);
      for (uint64_t v : v_) h = merge(h, v);
    } else {
      h = seed_ + kP5;
    }
    h += total_;
    const uint8_t* p = mem_;
    size_t len = fill_;
    while (len >= 8) {
      h ^= round(0, rd64(p));
      h = std::rotl(h, 27) * kP1 + kP4;
      p += 8;
      len -= 8;
    }
    if (len >= 4) {
      h ^= uint64_t(rd32(p)) * kP1;
      h = std::rotl(h, 23) * kP2 + kP3;
      p += 4;
      len -= 4;
    }
    while (len > 0) {
      h ^= (*p) * kP5;
      h = std::rotl(h, 11) * kP1;
      ++p;
      --len;
    }
    h ^= h >> 33;
    h *= kP2;
    h ^= h >> 29;
    h *= kP3;
    h ^= h >> 32;
    return h;
  }

 private:
  void stripe(const uint8_t* p) {
    v_[0] = round(v_[0], rd64(p));
    v_[1] = round(v_[1], rd64(p + 8));
    v_[2] = round(v_[2], rd64(p + 16));
    v_[3] = round(v_[3], rd64(p + 24));
  }
  uint64_t v_[4];
  uint64_t seed_;
  uint64_t total_ = 0;
  uint8_t mem_[32];
  size_t fill_ = 0;
};

uint64_t chunk_hash(const uint8_t* header40, const uint8_t* payload, size_t len) {
  Xxh64 h(0);
  h.update(header40, 40);
  h.update(payload, len);
  return h.digest();
}

std::vector<uint8_t> encode_end(const TraceEnd& e) {
  std::vector<uint8_t> out(40 + 8 * e.results.size() + e.output.size());
  uint8_t* p = out.data();
  wr32(p, e.status);
  wr32(p + 4, e.trap_code);
  wr64(p + 8, e.gas_used);
  wr64(p + 16, e.instructions);
  wr64(p + 24, e.records);
  wr32(p + 32, uint32_t(e.results.size()));
  wr32(p + 36, uint32_t(e.output.size()));
  for (size_t i = 0; i < e.results.size(); ++i) wr64(p + 40 + 8 * i, e.results[i]);
  if (!e.output.empty())
    std::memcpy(p + 40 + 8 * e.results.size(), e.output.data(), e.output.size());
  return out;
}

Status decode_end(const uint8_t* p, size_t len, TraceEnd& e, uint64_t offset) {
  auto bad = [&](const std::string& what) {
    return data_loss("trace end record at byte offset " + std::to_string(offset) + ": " + what);
  };
  if (len < 40) return bad("shorter than 40 bytes");
  e.status = rd32(p);
  e.trap_code = rd32(p + 4);
  e.gas_used = rd64(p + 8);
  e.instructions = rd64(p + 16);
  e.records = rd64(p + 24);
  const uint32_t nres = rd32(p + 32);
  const uint32_t nout = rd32(p + 36);
  if (e.status > 1) return bad("unknown status " + std::to_string(e.status));
  if (uint64_t(40) + 8ull * nres + nout != len)
    return bad("result/output sizes disagree with the payload size");
  e.results.resize(nres);
  for (uint32_t i = 0; i < nres; ++i) e.results[i] = rd64(p + 40 + 8 * i);
  e.output.assign(p + 40 + 8 * nres, p + len);
  return Status::ok();
}

// Packed records (encoding 1). Per record, relative to the previous record of the same chunk
// (the first one relative to all zeros, so every chunk decodes on its own):
//   op u8, flags u8, then LEB128 fields present per flag:
//   bit 0 pc (when not previous pc + 1), bit 1 depth (when changed), bit 2 sp delta (zigzag,
//   when changed), bits 3..6 aux, a, b, r (when non-zero).
constexpr size_t kMaxPackedRecord = 2 + 5 + 3 + 5 + 5 + 10 + 10 + 10;

inline uint8_t* put_leb(uint8_t* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = uint8_t(v) | 0x80;
    v >>= 7;
  }
  *p++ = uint8_t(v);
  return p;
}

inline bool get_leb(const uint8_t*& p, const uint8_t* end, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p == end) return false;
    const uint8_t b = *p++;
    v |= uint64_t(b & 0x7F) << shift;
    if (!(b & 0x80)) return shift < 63 || b <= 1;
  }
  return false;
}

size_t pack_records(const StepRecord* recs, uint32_t n, uint8_t* out) {
  uint8_t* p = out;
  StepRecord prev{};
  prev.pc = UINT32_MAX;  // so a first record at pc 0 needs no pc field
  for (uint32_t i = 0; i < n; ++i) {
    const StepRecord& r = recs[i];
    uint8_t* head = p;
    p += 2;
    uint8_t flags = 0;
    if (r.pc != uint32_t(prev.pc + 1)) {
      flags |= 1;
      p = put_leb(p, r.pc);
    }
    if (r.depth != prev.depth) {
      flags |= 2;
      p = put_leb(p, r.depth);
    }
    if (r.sp != prev.sp) {
      flags |= 4;
      const int64_t d = int64_t(r.sp) - int64_t(prev.sp);
      p = put_leb(p, (uint64_t(d) << 1) ^ uint64_t(d >> 63));
    }
    if (r.aux) {
      flags |= 8;
      p = put_leb(p, r.aux);
    }
    if (r.a) {
      flags |= 16;
      p = put_leb(p, r.a);
    }
    if (r.b) {
      flags |= 32;
      p = put_leb(p, r.b);
    }
    if (r.r) {
      flags |= 64;
      p = put_leb(p, r.r);
    }
    head[0] = uint8_t(r.op);
    head[1] = flags;
    prev = r;
  }
  return size_t(p - out);
}

// Decodes exactly `count` records from exactly `len` bytes; the error names the record.
std::string unpack_records(const uint8_t* p, size_t len, uint32_t count, uint64_t first_record,
                           StepRecord* out) {
  const uint8_t* end = p + len;
  StepRecord prev{};
  prev.pc = UINT32_MAX;
  for (uint32_t i = 0; i < count; ++i) {
    const std::string where = "record " + std::to_string(first_record + i);
    if (end - p < 2) return where + ": payload ends early";
    StepRecord r{};
    r.op = p[0];
    const uint8_t flags = p[1];
    p += 2;
    if (r.op >= kOpCount) return where + ": unknown opcode " + std::to_string(r.op);
    if (flags & 0x80) return where + ": unknown flag bits";
    uint64_t v = 0;
    r.pc = prev.pc + 1;
    if (flags & 1) {
      if (!get_leb(p, end, v) || v > UINT32_MAX) return where + ": bad pc";
      r.pc = uint32_t(v);
    }
    r.depth = prev.depth;
    if (flags & 2) {
      if (!get_leb(p, end, v) || v > UINT16_MAX) return where + ": bad depth";
      r.depth = uint16_t(v);
    }
    r.sp = prev.sp;
    if (flags & 4) {
      if (!get_leb(p, end, v)) return where + ": bad stack pointer";
      const int64_t d = int64_t(v >> 1) ^ -int64_t(v & 1);
      const int64_t sp = int64_t(prev.sp) + d;
      if (sp < 0 || sp > int64_t(UINT32_MAX)) return where + ": stack pointer out of range";
      r.sp = uint32_t(sp);
    }
    if (flags & 8) {
      if (!get_leb(p, end, v) || v > UINT32_MAX) return where + ": bad aux";
      r.aux = uint32_t(v);
    }
    if ((flags & 16) && !get_leb(p, end, r.a)) return where + ": bad operand a";
    if ((flags & 32) && !get_leb(p, end, r.b)) return where + ": bad operand b";
    if ((flags & 64) && !get_leb(p, end, r.r)) return where + ": bad result";
    out[i] = r;
    prev = r;
  }
  if (p != end) return "payload has " + std::to_string(end - p) + " byte(s) after the last record";
  return {};
}

}  // namespace

TraceEnd trace_end(const ExecResult& r, uint64_t records, std::vector<uint8_t> output) {
  TraceEnd end;
  end.status = r.trap == TrapCode::kNone ? 0 : 1;
  end.trap_code = uint32_t(r.trap);
  end.gas_used = r.gas_used;
  end.instructions = r.instructions;
  end.records = records;
  end.results = r.results;
  end.output = std::move(output);
  return end;
}

uint64_t xxh64(const void* data, size_t len, uint64_t seed) {
  Xxh64 h(seed);
  h.update(static_cast<const uint8_t*>(data), len);
  return h.digest();
}

// --- sinks ---------------------------------------------------------------------------------

Result<std::unique_ptr<FileSink>> FileSink::open(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return invalid_argument("cannot open trace file " + path + ": " + std::strerror(errno));
  return std::unique_ptr<FileSink>(new FileSink(f, path));
}

FileSink::~FileSink() {
  if (f_) std::fclose(f_);
}

Status FileSink::write(std::span<const uint8_t> bytes) {
  if (!f_) return internal_error("trace file " + path_ + " is closed");
  if (std::fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size()) {
    return internal_error("writing trace file " + path_ + ": " + std::strerror(errno));
  }
  return Status::ok();
}

Status FileSink::close() {
  if (!f_) return Status::ok();
  const int rc = std::fclose(f_);
  f_ = nullptr;
  if (rc != 0) return internal_error("closing trace file " + path_ + ": " + std::strerror(errno));
  return Status::ok();
}

// --- writer --------------------------------------------------------------------------------

TraceWriter::TraceWriter(TraceSink& sink, uint32_t chunk_records)
    : sink_(sink),
      cap_(chunk_records == 0 ? 1 : std::min(chunk_records, kMaxChunkRecords)),
      buf_(new StepRecord[cap_]),
      packed_(new uint8_t[size_t(cap_) * kMaxPackedRecord]) {}

Status TraceWriter::begin(const TraceHeader& h) {
  uint8_t out[kFileHeaderBytes] = {};
  std::memcpy(out, kFileMagic, 8);
  wr32(out + 8, h.version);
  wr32(out + 12, kRecordEncoding);
  wr32(out + 16, cap_);
  wr32(out + 20, h.opcode_count);
  wr64(out + 24, h.gas_limit);
  wr32(out + 32, h.entry_function);
  wr32(out + 36, 0);
  wr64(out + 40, xxh64(out, 40));
  status_ = sink_.write(out);
  return status_;
}

void TraceWriter::write_chunk(uint16_t kind, uint32_t count, std::span<const uint8_t> payload) {
  uint8_t h[kChunkHeaderBytes] = {};
  wr32(h, kChunkMagic);
  wr16(h + 4, kind);
  wr32(h + 8, chunk_index_++);
  wr32(h + 12, count);
  wr64(h + 16, first_record_);
  wr64(h + 24, first_record_ - io_chunk_start_);
  wr32(h + 32, uint32_t(payload.size()));
  wr64(h + 40, chunk_hash(h, payload.data(), payload.size()));
  if (!status_) return;
  status_ = sink_.write(h);
  if (status_) status_ = sink_.write(payload);
}

void TraceWriter::flush_chunk() {
  if (n_ == 0) return;
  const size_t len = pack_records(buf_.get(), n_, packed_.get());
  write_chunk(kKindSteps, n_, {packed_.get(), len});
  first_record_ += n_;
  io_chunk_start_ = io_;
  n_ = 0;
}

Status TraceWriter::finish(const TraceEnd& end) {
  flush_chunk();
  std::vector<uint8_t> payload = encode_end(end);
  write_chunk(kKindEnd, 0, payload);
  return status_;
}

// --- reader --------------------------------------------------------------------------------

Status TraceReader::feed(std::span<const uint8_t> bytes) {
  if (ended_ && !bytes.empty()) {
    return data_loss("trace: " + std::to_string(bytes.size()) + " byte(s) after the end chunk");
  }
  // Drop what was consumed before growing the buffer.
  if (pos_ > 0 && pos_ * 2 >= buf_.size()) {
    buf_.erase(buf_.begin(), buf_.begin() + ptrdiff_t(pos_));
    consumed_ += pos_;
    pos_ = 0;
  }
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
  return Status::ok();
}

Status TraceReader::parse_header() {
  const uint8_t* p = buf_.data() + pos_;
  if (std::memcmp(p, kFileMagic, 8) != 0)
    return data_loss("trace: bad magic (not an eFaaS WASM trace)");
  if (xxh64(p, 40) != rd64(p + 40)) return data_loss("trace: file header checksum mismatch");
  header_.version = rd32(p + 8);
  if (header_.version != kTraceVersion) {
    return data_loss("trace: unsupported version " + std::to_string(header_.version) +
                     " (this reader reads version " + std::to_string(kTraceVersion) + ")");
  }
  if (rd32(p + 12) != kRecordEncoding) {
    return data_loss("trace: record encoding " + std::to_string(rd32(p + 12)) + ", expected " +
                     std::to_string(kRecordEncoding));
  }
  header_.chunk_records = rd32(p + 16);
  if (header_.chunk_records == 0 || header_.chunk_records > kMaxChunkRecords) {
    return data_loss("trace: records per chunk out of range: " +
                     std::to_string(header_.chunk_records));
  }
  header_.opcode_count = rd32(p + 20);
  if (header_.opcode_count != kOpCount) {
    return data_loss("trace: written with an opcode table of " +
                     std::to_string(header_.opcode_count) + " ops, this build has " +
                     std::to_string(kOpCount));
  }
  header_.gas_limit = rd64(p + 24);
  header_.entry_function = rd32(p + 32);
  pos_ += kFileHeaderBytes;
  has_header_ = true;
  return Status::ok();
}

Result<bool> TraceReader::next(TraceChunk& out) {
  if (!error_.is_ok()) return error_;
  auto fail = [&](Status s) -> Result<bool> {
    error_ = s;
    return s;
  };
  if (!has_header_) {
    if (available() < kFileHeaderBytes) return false;
    if (Status s = parse_header(); !s) return fail(s);
  }
  if (ended_ || available() < kChunkHeaderBytes) return false;
  const uint64_t offset = consumed_ + pos_;
  const uint8_t* h = buf_.data() + pos_;
  auto bad = [&](const std::string& what) {
    return data_loss("trace chunk " + std::to_string(next_index_) + " at byte offset " +
                     std::to_string(offset) + ": " + what);
  };
  if (rd32(h) != kChunkMagic) return fail(bad("bad chunk magic"));
  const uint16_t kind = rd16(h + 4);
  const uint32_t index = rd32(h + 8);
  const uint32_t count = rd32(h + 12);
  const uint64_t first_record = rd64(h + 16);
  const uint32_t payload = rd32(h + 32);
  if (kind != kKindSteps && kind != kKindEnd)
    return fail(bad("unknown chunk kind " + std::to_string(kind)));
  if (index != next_index_) {
    return fail(
        bad("out of sequence: index " + std::to_string(index) + " (chunk missing or reordered)"));
  }
  if (first_record != next_record_) {
    return fail(bad("first record " + std::to_string(first_record) + ", expected " +
                    std::to_string(next_record_)));
  }
  if (kind == kKindSteps) {
    if (count == 0 || count > header_.chunk_records)
      return fail(bad("record count " + std::to_string(count) + " out of range"));
    if (uint64_t(payload) > uint64_t(count) * kMaxPackedRecord || payload < 2ull * count) {
      return fail(bad("payload size disagrees with the record count"));
    }
  } else if (count != 0 || payload > kMaxEndPayload) {
    return fail(bad("malformed end chunk header"));
  }
  if (available() < kChunkHeaderBytes + payload) return false;
  const uint8_t* body = h + kChunkHeaderBytes;
  if (chunk_hash(h, body, payload) != rd64(h + 40))
    return fail(bad("checksum mismatch (corrupt chunk)"));
  out.kind = kind;
  out.index = index;
  out.first_record = first_record;
  out.first_instruction = rd64(h + 24);
  out.steps.clear();
  if (kind == kKindSteps) {
    out.steps.resize(count);
    if (std::string e = unpack_records(body, payload, count, first_record, out.steps.data());
        !e.empty()) {
      return fail(bad(e));
    }
    next_record_ += count;
  } else {
    if (Status s = decode_end(body, payload, out.end, offset); !s) return fail(s);
    if (out.end.records != next_record_) {
      return fail(bad("end record counts " + std::to_string(out.end.records) +
                      " records, stream had " + std::to_string(next_record_)));
    }
    ended_ = true;
  }
  ++next_index_;
  pos_ += kChunkHeaderBytes + payload;
  return true;
}

void TraceReader::seek(uint32_t index, uint64_t first_record, uint64_t offset) {
  buf_.clear();
  pos_ = 0;
  consumed_ = offset;
  ended_ = false;
  next_index_ = index;
  next_record_ = first_record;
  error_ = Status::ok();
}

Status TraceReader::finish() const {
  if (!error_.is_ok()) return error_;
  if (!has_header_) return data_loss("trace truncated: no complete file header");
  if (!ended_) {
    return data_loss("trace truncated after chunk " + std::to_string(next_index_) + " (" +
                     std::to_string(next_record_) + " records): no end chunk");
  }
  if (available() != 0) return data_loss("trace: trailing bytes after the end chunk");
  return Status::ok();
}

Result<Trace> read_trace(std::span<const uint8_t> bytes) {
  TraceReader r;
  EFAAS_RETURN_IF_ERROR(r.feed(bytes));
  Trace t;
  TraceChunk c;
  for (;;) {
    Result<bool> got = r.next(c);
    if (!got) return got.status();
    if (!*got) break;
    if (c.kind == kKindSteps) {
      t.steps.insert(t.steps.end(), c.steps.begin(), c.steps.end());
    } else {
      t.end = c.end;
    }
  }
  EFAAS_RETURN_IF_ERROR(r.finish());
  t.header = r.header();
  return t;
}

namespace {
Result<std::vector<uint8_t>> slurp(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return invalid_argument("cannot open trace file " + path + ": " + std::strerror(errno));
  std::vector<uint8_t> data;
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.insert(data.end(), buf, buf + n);
  std::fclose(f);
  return data;
}
}  // namespace

Result<Trace> read_trace_file(const std::string& path) {
  Result<std::vector<uint8_t>> data = slurp(path);
  if (!data) return data.status();
  return read_trace(*data);
}

Result<std::vector<StepRecord>> read_trace_segment(const std::string& path, uint64_t first,
                                                   uint64_t count) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return invalid_argument("cannot open trace file " + path + ": " + std::strerror(errno));
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(f, &std::fclose);
  uint8_t fh[kFileHeaderBytes];
  if (std::fread(fh, 1, sizeof fh, f) != sizeof fh)
    return data_loss("trace truncated: no file header");
  TraceReader header_check;
  EFAAS_RETURN_IF_ERROR(header_check.feed(fh));
  TraceChunk unused;
  if (Result<bool> r = header_check.next(unused); !r) return r.status();
  std::vector<StepRecord> out;
  uint64_t offset = kFileHeaderBytes;
  uint32_t expect_index = 0;
  while (out.size() < count) {
    uint8_t h[kChunkHeaderBytes];
    if (std::fread(h, 1, sizeof h, f) != sizeof h) {
      return data_loss("trace truncated at byte offset " + std::to_string(offset) +
                       " before record " + std::to_string(first + out.size()));
    }
    if (rd32(h) != kChunkMagic || rd32(h + 8) != expect_index) {
      return data_loss("trace chunk at byte offset " + std::to_string(offset) +
                       ": bad magic or sequence");
    }
    ++expect_index;
    const uint16_t kind = rd16(h + 4);
    const uint32_t n = rd32(h + 12);
    const uint64_t first_record = rd64(h + 16);
    const uint32_t payload = rd32(h + 32);
    if (kind == kKindEnd) {
      return out_of_range("trace has " + std::to_string(first_record) + " records; asked for " +
                          std::to_string(first) + ".." + std::to_string(first + count));
    }
    if (kind != kKindSteps || uint64_t(payload) > uint64_t(n) * kMaxPackedRecord) {
      return data_loss("trace chunk at byte offset " + std::to_string(offset) +
                       ": malformed header");
    }
    offset += kChunkHeaderBytes + payload;
    if (first_record + n <= first) {  // wholly before the segment: skip its payload
      if (std::fseek(f, long(payload), SEEK_CUR) != 0) return data_loss("trace: seek failed");
      continue;
    }
    std::vector<uint8_t> body(payload);
    if (std::fread(body.data(), 1, payload, f) != payload) {
      return data_loss("trace truncated inside chunk " + std::to_string(expect_index - 1));
    }
    if (chunk_hash(h, body.data(), payload) != rd64(h + 40)) {
      return data_loss("trace chunk " + std::to_string(expect_index - 1) +
                       ": checksum mismatch (corrupt chunk)");
    }
    std::vector<StepRecord> recs(n);
    if (std::string e = unpack_records(body.data(), payload, n, first_record, recs.data());
        !e.empty()) {
      return data_loss("trace chunk " + std::to_string(expect_index - 1) + ": " + e);
    }
    for (uint32_t i = 0; i < n && out.size() < count; ++i) {
      if (first_record + i >= first) out.push_back(recs[i]);
    }
  }
  return out;
}

}  // namespace efaas::wasm
