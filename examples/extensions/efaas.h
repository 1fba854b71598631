/* The eFaaS Extension ABI for C (docs/wasm-abi.md). Build with Debian's clang and lld:
 *   clang --target=wasm32 -O2 -nostdlib -ffreestanding -Wl,--no-entry -o ext.wasm ext.c runtime.c
 * No libc, no floating point (modules using f32/f64 are rejected at load time). */
#ifndef EFAAS_H
#define EFAAS_H

typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef int int32_t;
typedef signed char int8_t;
typedef unsigned long long uint64_t;
typedef long long int64_t;
typedef unsigned long size_t;

#define EFAAS_IMPORT(name) __attribute__((import_module("efaas"), import_name(name)))
#define EFAAS_EXPORT(name) __attribute__((export_name(name)))

/* Input kinds: public inputs of the Operation, then the private witness. */
enum {
  EFAAS_INPUT_DATA = 0,       /* Operation.Data */
  EFAAS_INPUT_TO = 1,         /* Operation.To, 20 bytes */
  EFAAS_INPUT_SENDER = 2,     /* the Operation's signer, 20 bytes */
  EFAAS_INPUT_BLOCK_HASH = 3, /* ProcessedBlockHash, 32 bytes */
  EFAAS_INPUT_PRIVATE = 4,    /* witness bytes: readable here, never published */
};

/* Size in bytes of an input. */
EFAAS_IMPORT("input_size") uint32_t efaas_input_size(uint32_t kind);
/* Copies up to `len` bytes of input `kind` starting at `offset` to `dst`; returns the count. */
EFAAS_IMPORT("input_read") uint32_t efaas_input_read(uint32_t kind, uint32_t offset, void* dst, uint32_t len);
/* Appends `len` bytes to the output (PostOp.Data). */
EFAAS_IMPORT("output_write") void efaas_output_write(const void* src, uint32_t len);
/* Stops the Extension with a trap carrying `code`. */
EFAAS_IMPORT("abort") __attribute__((noreturn)) void efaas_abort(int32_t code);

/* The runtime's replacements for the libc functions the compiler may call (runtime.c). */
void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);

#endif
