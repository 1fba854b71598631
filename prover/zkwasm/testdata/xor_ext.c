/* A small Extension for the zkWASM tests: PostOp.Data = (Data XOR 0x5a) || checksum byte ||
 * To[0..4). Exit code 1 when Data is longer than its buffer. Uses only opcodes that zkWASM
 * constrains without the ALU chip (no shifts, no multiplications by non-constants). */
#include "efaas.h"

static uint8_t buf[300];

EFAAS_EXPORT("efaas_main") int32_t efaas_main(void) {
  uint32_t n = efaas_input_size(EFAAS_INPUT_DATA);
  if (n > sizeof buf) return 1;
  efaas_input_read(EFAAS_INPUT_DATA, 0, buf, n);
  uint8_t sum = 0;
  for (uint32_t i = 0; i < n; ++i) {
    buf[i] ^= 0x5a;
    sum = (uint8_t)(sum + buf[i]);
  }
  efaas_output_write(buf, n);
  efaas_output_write(&sum, 1);
  uint8_t to[4];
  efaas_input_read(EFAAS_INPUT_TO, 0, to, sizeof to);
  efaas_output_write(to, sizeof to);
  return 0;
}
