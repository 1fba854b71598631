/* Sorts the input as little-endian signed 32-bit integers (recursive quicksort with
 * insertion sort for short ranges) and outputs them plus a 64-bit checksum. */
#include "program.h"

static int32_t* items;

static void insertion(int32_t* a, int n) {
  for (int i = 1; i < n; ++i) {
    int32_t v = a[i];
    int j = i - 1;
    while (j >= 0 && a[j] > v) {
      a[j + 1] = a[j];
      --j;
    }
    a[j + 1] = v;
  }
}

static void quicksort(int32_t* a, int n) {
  while (n > 16) {
    int32_t pivot = a[n / 2];
    int i = 0, j = n - 1;
    while (i <= j) {
      while (a[i] < pivot) ++i;
      while (a[j] > pivot) --j;
      if (i <= j) {
        int32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
        ++i;
        --j;
      }
    }
    if (j + 1 < n - i) {
      quicksort(a, j + 1);
      a += i;
      n -= i;
    } else {
      quicksort(a + i, n - i);
      n = j + 1;
    }
  }
  insertion(a, n);
}

static uint32_t program(const uint8_t* in, uint32_t len, uint8_t* out) {
  uint32_t n = len / 4;
  if (n * 4 + 8 > OUT_BUFFER_BYTES) __builtin_trap();
  items = (int32_t*)(out + 8);
  for (uint32_t i = 0; i < n; ++i) {
    items[i] = (int32_t)((uint32_t)in[4 * i] | (uint32_t)in[4 * i + 1] << 8 |
                         (uint32_t)in[4 * i + 2] << 16 | (uint32_t)in[4 * i + 3] << 24);
  }
  quicksort(items, (int)n);
  uint64_t sum = 0;
  for (uint32_t i = 0; i < n; ++i) sum = sum * 1000003u + (uint32_t)items[i];
  for (int k = 0; k < 8; ++k) out[k] = (uint8_t)(sum >> (8 * k));
  return 8 + 4 * n;
}
