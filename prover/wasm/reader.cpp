#include "prover/wasm/reader.hpp"

namespace efaas::wasm {

Status Reader::malformed_at(const std::string& message, size_t offset) {
  return invalid_argument("malformed: " + message + " at byte offset " + std::to_string(offset));
}

Status Reader::u8(uint8_t& out, const char* what) {
  if (pos_ >= end_) return malformed(std::string("unexpected end while reading ") + what);
  out = data_[pos_++];
  return Status::ok();
}

Status Reader::leb(uint64_t& out, int bits, bool is_signed, const char* what) {
  const size_t start = pos_;
  const int max_bytes = (bits + 6) / 7;
  uint64_t result = 0;
  for (int i = 0; i < max_bytes; ++i) {
    if (pos_ >= end_) {
      return malformed_at(std::string("unexpected end of LEB128 ") + what, start);
    }
    const uint8_t byte = data_[pos_++];
    const int shift = 7 * i;
    result |= uint64_t(byte & 0x7F) << shift;
    if (i == max_bytes - 1) {
      if (byte & 0x80) {
        return malformed_at(std::string("integer representation too long (") + what + ")", start);
      }
      // Bits of the last byte beyond `bits` must be zero (unsigned) or copies of the sign bit.
      const int used = bits - shift;  // value bits carried by this byte
      const uint8_t unused_mask = uint8_t((0x7F >> used) << used);
      const uint8_t unused = byte & unused_mask;
      if (!is_signed) {
        if (unused != 0)
          return malformed_at(std::string("integer too large (") + what + ")", start);
      } else {
        const bool sign = (byte >> (used - 1)) & 1;
        if (unused != (sign ? unused_mask : 0)) {
          return malformed_at(std::string("integer too large (") + what + ")", start);
        }
      }
    }
    if (!(byte & 0x80)) {
      if (is_signed && shift + 7 < 64 && (byte & 0x40)) result |= ~uint64_t(0) << (shift + 7);
      out = result;
      return Status::ok();
    }
  }
  out = result;
  return Status::ok();
}

Status Reader::u32(uint32_t& out, const char* what) {
  uint64_t v = 0;
  EFAAS_RETURN_IF_ERROR(leb(v, 32, false, what));
  out = uint32_t(v);
  return Status::ok();
}

Status Reader::s32(int32_t& out, const char* what) {
  uint64_t v = 0;
  EFAAS_RETURN_IF_ERROR(leb(v, 32, true, what));
  out = int32_t(uint32_t(v));
  return Status::ok();
}

Status Reader::s64(int64_t& out, const char* what) {
  uint64_t v = 0;
  EFAAS_RETURN_IF_ERROR(leb(v, 64, true, what));
  out = int64_t(v);
  return Status::ok();
}

Status Reader::skip(size_t n, const char* what) {
  if (n > end_ - pos_)
    return malformed(std::string("unexpected end: ") + what + " runs past its end");
  pos_ += n;
  return Status::ok();
}

Status Reader::sub(size_t n, Reader& out, const char* what) {
  const size_t start = pos_;
  EFAAS_RETURN_IF_ERROR(skip(n, what));
  out = Reader(data_, start, start + n);
  return Status::ok();
}

namespace {
// Strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool valid_utf8(const uint8_t* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    const uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}
}  // namespace

Status Reader::name(std::string& out, const char* what) {
  uint32_t n = 0;
  EFAAS_RETURN_IF_ERROR(u32(n, what));
  const size_t start = pos_;
  EFAAS_RETURN_IF_ERROR(skip(n, what));
  if (!valid_utf8(data_ + start, n)) {
    return malformed_at(std::string("invalid UTF-8 encoding in ") + what, start);
  }
  out.assign(reinterpret_cast<const char*>(data_ + start), n);
  return Status::ok();
}

}  // namespace efaas::wasm
