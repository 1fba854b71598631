/* The shape shared by the differential-test programs: input in io_buffer, `run(len)` writes
 * the output to out_buffer and returns its length; efaas_main does the same through the
 * Extension ABI (input = Operation.Data, output = PostOp.Data). */
#ifndef EFAAS_PROGRAM_H
#define EFAAS_PROGRAM_H
#include "efaas.h"

#define IO_BUFFER_BYTES (1u << 21)
#define OUT_BUFFER_BYTES (1u << 16)

static uint8_t io_buf[IO_BUFFER_BYTES];
static uint8_t out_buf[OUT_BUFFER_BYTES];

/* Implemented by each program. */
static uint32_t program(const uint8_t* in, uint32_t len, uint8_t* out);

EFAAS_EXPORT("io_buffer") uint8_t* io_buffer(void) { return io_buf; }
EFAAS_EXPORT("out_buffer") uint8_t* out_buffer(void) { return out_buf; }
EFAAS_EXPORT("run") uint32_t run(uint32_t len) {
  if (len > IO_BUFFER_BYTES) efaas_abort(1);
  return program(io_buf, len, out_buf);
}
#ifdef PROGRAM_INPUT_PRIVATE
/* The private input's first `count` bytes (sha256_private.c states the encoding of count). */
EFAAS_EXPORT("efaas_main") int32_t efaas_main(void) {
  uint32_t len = efaas_input_size(EFAAS_INPUT_PRIVATE);
  uint8_t count[4];
  if (efaas_input_size(EFAAS_INPUT_DATA) >= 4) {
    efaas_input_read(EFAAS_INPUT_DATA, 0, count, 4);
    uint32_t c = count[0] | (uint32_t)count[1] << 8 | (uint32_t)count[2] << 16 | (uint32_t)count[3] << 24;
    if (c < len) len = c;
  }
  if (len > IO_BUFFER_BYTES) return 2;
  efaas_input_read(EFAAS_INPUT_PRIVATE, 0, io_buf, len);
  uint32_t n = program(io_buf, len, out_buf);
  efaas_output_write(out_buf, n);
  return 0;
}
#else
EFAAS_EXPORT("efaas_main") int32_t efaas_main(void) {
  uint32_t len = efaas_input_size(EFAAS_INPUT_DATA);
  if (len > IO_BUFFER_BYTES) return 2;
  efaas_input_read(EFAAS_INPUT_DATA, 0, io_buf, len);
  uint32_t n = program(io_buf, len, out_buf);
  efaas_output_write(out_buf, n);
  return 0;
}
#endif
#endif
