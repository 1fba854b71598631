/* The example Extension of the node's tests and demo (docs/node.md, "What a zkWASM PostOp
 * proves"), built to wasm32 at build time (node/CMakeLists.txt):
 *   PostOp.Data = Data with its ASCII letters upper-cased, then the FNV-1a 32-bit digest
 *                 (4 bytes, little-endian) of Data || To || sender.
 * Returns 1 (no PostOp) when Data is longer than its buffer. */
#include "efaas.h"

enum { kMaxData = 4096 };
static uint8_t buf[kMaxData + 40];

static uint32_t fnv1a(uint32_t h, const uint8_t* p, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
  return h;
}

EFAAS_EXPORT("efaas_main") int32_t efaas_main(void) {
  const uint32_t n = efaas_input_size(EFAAS_INPUT_DATA);
  if (n > kMaxData) return 1;
  efaas_input_read(EFAAS_INPUT_DATA, 0, buf, n);
  efaas_input_read(EFAAS_INPUT_TO, 0, buf + n, 20);
  efaas_input_read(EFAAS_INPUT_SENDER, 0, buf + n + 20, 20);
  const uint32_t h = fnv1a(2166136261u, buf, n + 40);
  for (uint32_t i = 0; i < n; ++i) {
    if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] = (uint8_t)(buf[i] - 'a' + 'A');
  }
  efaas_output_write(buf, n);
  const uint8_t digest[4] = {(uint8_t)h, (uint8_t)(h >> 8), (uint8_t)(h >> 16), (uint8_t)(h >> 24)};
  efaas_output_write(digest, sizeof digest);
  return 0;
}
