// libFuzzer: every canonical decoder and the JSON parsers on arbitrary bytes. Accepted inputs
// must re-encode to exactly the same bytes (the encoding is canonical).
#include <cstdlib>

#include "node/core/encoding.hpp"

using namespace efaas;
using namespace efaas::node;

namespace {

template <typename T>
void round_trip(const Result<T>& r, std::span<const uint8_t> in) {
  if (!r.is_ok()) return;
  Bytes again = encode(*r);
  if (again.size() != in.size() || !std::equal(again.begin(), again.end(), in.begin())) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  round_trip(decode_operation(in), in);
  round_trip(decode_post_op(in), in);
  round_trip(decode_proof(in), in);
  round_trip(decode_request(in), in);
  round_trip(decode_response(in), in);
  auto j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (!j.is_discarded()) {
    if (auto op = operation_from_json(j); op.is_ok() && !(*operation_from_json(to_json(*op)) == *op)) std::abort();
    if (auto p = post_op_from_json(j); p.is_ok() && !(*post_op_from_json(to_json(*p)) == *p)) std::abort();
  }
  return 0;
}
