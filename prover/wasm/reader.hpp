#pragma once
// Bounds-checked reading of the WebAssembly binary format (LEB128 as the spec restricts it,
// names as UTF-8). Every error names what was being read and the byte offset.
#include <cstdint>
#include <string>

#include "prover/common/status.hpp"

namespace efaas::wasm {

class Reader {
 public:
  Reader(const uint8_t* data, size_t pos, size_t end) : data_(data), pos_(pos), end_(end) {}

  size_t pos() const { return pos_; }
  size_t end() const { return end_; }
  bool at_end() const { return pos_ >= end_; }
  size_t remaining() const { return end_ - pos_; }

  Status u8(uint8_t& out, const char* what);
  Status u32(uint32_t& out, const char* what);
  Status s32(int32_t& out, const char* what);
  Status s64(int64_t& out, const char* what);
  Status skip(size_t n, const char* what);
  Status name(std::string& out, const char* what);
  // A sub-reader over the next n bytes (which must exist); advances past them.
  Status sub(size_t n, Reader& out, const char* what);

  Status malformed(const std::string& message) const { return malformed_at(message, pos_); }
  static Status malformed_at(const std::string& message, size_t offset);
  const uint8_t* data() const { return data_; }

 private:
  Status leb(uint64_t& out, int bits, bool is_signed, const char* what);

  const uint8_t* data_;
  size_t pos_;
  size_t end_;
};

}  // namespace efaas::wasm
