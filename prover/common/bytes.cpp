#include "prover/common/bytes.hpp"

#include <cstring>

namespace efaas {

Status ByteReader::need(size_t n, std::string_view what) const {
  if (in_.size() - pos_ < n) {
    return data_loss(std::string(what) + ": truncated at byte " + std::to_string(pos_) + " (" +
                     std::to_string(n) + " bytes needed, " + std::to_string(in_.size() - pos_) +
                     " left)");
  }
  return Status::ok();
}

Status ByteReader::u8(uint8_t& v, std::string_view what) {
  EFAAS_RETURN_IF_ERROR(need(1, what));
  v = in_[pos_++];
  return Status::ok();
}

Status ByteReader::u32(uint32_t& v, std::string_view what) {
  EFAAS_RETURN_IF_ERROR(need(4, what));
  v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t(in_[pos_ + i]) << (8 * i);
  pos_ += 4;
  return Status::ok();
}

Status ByteReader::u64(uint64_t& v, std::string_view what) {
  EFAAS_RETURN_IF_ERROR(need(8, what));
  v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t(in_[pos_ + i]) << (8 * i);
  pos_ += 8;
  return Status::ok();
}

Status ByteReader::count(uint32_t& v, uint32_t max, std::string_view what) {
  size_t at = pos_;
  EFAAS_RETURN_IF_ERROR(u32(v, what));
  if (v > max) {
    return invalid_argument(std::string(what) + " at byte " + std::to_string(at) + ": " +
                            std::to_string(v) + " exceeds the limit " + std::to_string(max));
  }
  return Status::ok();
}

Status ByteReader::expect(std::string_view magic, std::string_view what) {
  EFAAS_RETURN_IF_ERROR(need(magic.size(), what));
  if (std::memcmp(in_.data() + pos_, magic.data(), magic.size()) != 0) {
    return invalid_argument(std::string(what) + ": bad magic at byte " + std::to_string(pos_));
  }
  pos_ += magic.size();
  return Status::ok();
}

Status ByteReader::bytes(std::span<uint8_t> out, std::string_view what) {
  EFAAS_RETURN_IF_ERROR(need(out.size(), what));
  // An empty span may have a null data(): memcpy's pointers must not be null even for 0 bytes.
  if (!out.empty()) std::memcpy(out.data(), in_.data() + pos_, out.size());
  pos_ += out.size();
  return Status::ok();
}

Status ByteReader::finish(std::string_view what) const {
  if (pos_ != in_.size()) {
    return invalid_argument(std::string(what) + ": " + std::to_string(in_.size() - pos_) +
                            " trailing bytes after byte " + std::to_string(pos_));
  }
  return Status::ok();
}

}  // namespace efaas
