#pragma once
// Little-endian binary encoding for proofs and other wire formats. The reader never reads past
// its buffer: every failure is a DATA_LOSS/INVALID_ARGUMENT Status naming the field and offset.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "prover/common/status.hpp"

namespace efaas {

class ByteWriter {
 public:
  void u8(uint8_t v) { out_.push_back(v); }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(uint8_t(v >> (8 * i)));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(uint8_t(v >> (8 * i)));
  }
  void bytes(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void raw(std::string_view s) { out_.insert(out_.end(), s.begin(), s.end()); }
  std::vector<uint8_t>& buffer() { return out_; }
  std::vector<uint8_t> take() { return std::move(out_); }

 private:
  std::vector<uint8_t> out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> in) : in_(in) {}

  Status u8(uint8_t& v, std::string_view what);
  Status u32(uint32_t& v, std::string_view what);
  Status u64(uint64_t& v, std::string_view what);
  // A count that must not exceed `max` (guards allocations against hostile lengths).
  Status count(uint32_t& v, uint32_t max, std::string_view what);
  Status expect(std::string_view magic, std::string_view what);
  Status bytes(std::span<uint8_t> out, std::string_view what);
  size_t offset() const { return pos_; }
  size_t remaining() const { return in_.size() - pos_; }
  // OK only if every byte was consumed.
  Status finish(std::string_view what) const;

 private:
  Status need(size_t n, std::string_view what) const;
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
};

}  // namespace efaas
