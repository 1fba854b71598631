#include "node/chain/abi.hpp"

#include <algorithm>

namespace efaas::node {

std::array<uint8_t, 4> selector(std::string_view signature) {
  Hash32 h = keccak(signature);
  return {h[0], h[1], h[2], h[3]};
}

AbiEncoder::AbiEncoder(std::string_view signature) : selector_(selector(signature)) {}

AbiEncoder& AbiEncoder::word(const Hash32& w) {
  head_.push_back(w);
  return *this;
}
AbiEncoder& AbiEncoder::uint(const U256& v) { return word(v.be); }
AbiEncoder& AbiEncoder::address(const Address& a) {
  Hash32 w{};
  std::copy(a.begin(), a.end(), w.begin() + 12);
  return word(w);
}
AbiEncoder& AbiEncoder::bytes(std::span<const uint8_t> b) {
  tails_.emplace_back(head_.size(), Bytes(b.begin(), b.end()));
  head_.push_back(Hash32{});
  return *this;
}

Bytes AbiEncoder::finish() const {
  std::vector<Hash32> head = head_;
  Bytes tail;
  for (const auto& [index, b] : tails_) {
    head[index] = U256::from_u64(head_.size() * 32 + tail.size()).be;
    Hash32 len = U256::from_u64(b.size()).be;
    tail.insert(tail.end(), len.begin(), len.end());
    tail.insert(tail.end(), b.begin(), b.end());
    tail.insert(tail.end(), (32 - b.size() % 32) % 32, 0);
  }
  Bytes out(selector_.begin(), selector_.end());
  for (const auto& w : head) out.insert(out.end(), w.begin(), w.end());
  out.insert(out.end(), tail.begin(), tail.end());
  return out;
}

Result<Hash32> AbiDecoder::word(size_t index) const {
  size_t pos = index * 32;
  if (pos + 32 > data_.size()) {
    return invalid_argument("ABI return data: word " + std::to_string(index) + " past the end (" +
                            std::to_string(data_.size()) + " bytes)");
  }
  Hash32 w;
  std::copy_n(data_.begin() + pos, 32, w.begin());
  return w;
}

Result<U256> AbiDecoder::uint(size_t index) const {
  auto w = word(index);
  if (!w) return w.status();
  return U256{*w};
}

Result<uint64_t> AbiDecoder::uint64(size_t index) const {
  auto v = uint(index);
  if (!v) return v.status();
  if (!v->fits_u64()) return out_of_range("ABI return data: word " + std::to_string(index) + " exceeds 64 bits");
  return v->low_u64();
}

Result<bool> AbiDecoder::boolean(size_t index) const {
  auto v = uint64(index);
  if (!v) return v.status();
  if (*v > 1) return invalid_argument("ABI return data: word " + std::to_string(index) + " is not a bool");
  return *v == 1;
}

Result<Address> AbiDecoder::address(size_t index) const {
  auto w = word(index);
  if (!w) return w.status();
  if (!std::all_of(w->begin(), w->begin() + 12, [](uint8_t b) { return b == 0; })) {
    return invalid_argument("ABI return data: word " + std::to_string(index) + " is not an address");
  }
  Address a;
  std::copy(w->begin() + 12, w->end(), a.begin());
  return a;
}

Result<uint64_t> AbiDecoder::offset_at(size_t byte_pos, std::string_view what) const {
  if (byte_pos % 32 != 0) return invalid_argument(std::string(what) + ": unaligned offset");
  auto v = uint64(byte_pos / 32);
  if (!v) return v.status();
  return *v;
}

Result<Bytes> AbiDecoder::bytes(size_t index, size_t max) const {
  auto off = offset_at(index * 32, "ABI bytes offset");
  if (!off) return off.status();
  if (*off % 32 != 0 || *off >= data_.size()) return invalid_argument("ABI bytes: offset out of range");
  auto len = offset_at(*off, "ABI bytes length");
  if (!len) return len.status();
  if (*len > max) return out_of_range("ABI bytes: length " + std::to_string(*len) + " above " + std::to_string(max));
  if (*off + 32 + *len > data_.size()) return invalid_argument("ABI bytes: data past the end");
  auto begin = data_.begin() + ptrdiff_t(*off + 32);
  return Bytes(begin, begin + ptrdiff_t(*len));
}

Result<std::vector<Address>> AbiDecoder::address_array(size_t index, size_t max) const {
  auto off = offset_at(index * 32, "ABI array offset");
  if (!off) return off.status();
  if (*off % 32 != 0 || *off >= data_.size()) return invalid_argument("ABI array: offset out of range");
  auto len = offset_at(*off, "ABI array length");
  if (!len) return len.status();
  if (*len > max) return out_of_range("ABI array: length " + std::to_string(*len) + " above " + std::to_string(max));
  std::vector<Address> out;
  for (uint64_t i = 0; i < *len; ++i) {
    auto a = address(*off / 32 + 1 + i);
    if (!a) return a.status();
    out.push_back(*a);
  }
  return out;
}

}  // namespace efaas::node

namespace efaas::node {
namespace {

void encode_value(const AbiValue& v, Bytes& out);

void append_word(Bytes& out, const Hash32& w) { out.insert(out.end(), w.begin(), w.end()); }

}  // namespace

AbiValue AbiValue::addr(const Address& a) {
  Hash32 w{};
  std::copy(a.begin(), a.end(), w.begin() + 12);
  return AbiValue::w(w);
}

bool AbiValue::is_dynamic() const {
  switch (kind) {
    case Kind::kWord: return false;
    case Kind::kBytes:
    case Kind::kArray: return true;
    case Kind::kTuple:
      return std::any_of(items.begin(), items.end(), [](const AbiValue& i) { return i.is_dynamic(); });
  }
  return false;
}

Bytes abi_encode(const std::vector<AbiValue>& items) {
  size_t head_size = 0;
  std::vector<Bytes> encoded;
  for (const auto& i : items) {
    Bytes e;
    encode_value(i, e);
    head_size += i.is_dynamic() ? 32 : e.size();
    encoded.push_back(std::move(e));
  }
  Bytes head, tail;
  for (size_t k = 0; k < items.size(); ++k) {
    if (items[k].is_dynamic()) {
      append_word(head, U256::from_u64(head_size + tail.size()).be);
      tail.insert(tail.end(), encoded[k].begin(), encoded[k].end());
    } else {
      head.insert(head.end(), encoded[k].begin(), encoded[k].end());
    }
  }
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

namespace {

void encode_value(const AbiValue& v, Bytes& out) {
  switch (v.kind) {
    case AbiValue::Kind::kWord: append_word(out, v.word); break;
    case AbiValue::Kind::kBytes:
      append_word(out, U256::from_u64(v.bytes.size()).be);
      out.insert(out.end(), v.bytes.begin(), v.bytes.end());
      out.insert(out.end(), (32 - v.bytes.size() % 32) % 32, 0);
      break;
    case AbiValue::Kind::kTuple: {
      Bytes e = abi_encode(v.items);
      out.insert(out.end(), e.begin(), e.end());
      break;
    }
    case AbiValue::Kind::kArray: {
      append_word(out, U256::from_u64(v.items.size()).be);
      Bytes e = abi_encode(v.items);
      out.insert(out.end(), e.begin(), e.end());
      break;
    }
  }
}

}  // namespace

Bytes abi_call(std::string_view signature, const std::vector<AbiValue>& args) {
  auto sel = selector(signature);
  Bytes out(sel.begin(), sel.end());
  Bytes body = abi_encode(args);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

}  // namespace efaas::node
