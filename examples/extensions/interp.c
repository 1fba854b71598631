/* A small stack-machine interpreter: the input is its bytecode. Interpreter-heavy loop for
 * the differential tests; division by zero and overflow trap in WebAssembly itself
 * (i32.div_s), an unknown opcode traps via unreachable, and runs stop after 20000 steps.
 * Output: the final stack (up to 16 values, little-endian) and the step count. */
#include "program.h"

static uint32_t program(const uint8_t* code, uint32_t len, uint8_t* out) {
  int32_t stack[64];
  int sp = 0;
  uint32_t pc = 0, steps = 0;
  int64_t acc = 0;
  while (pc < len && steps < 20000) {
    ++steps;
    uint8_t op = code[pc++];
    switch (op % 16) {
      case 0: /* push imm8 */
        if (sp < 64) stack[sp++] = pc < len ? (int8_t)code[pc] : 0;
        ++pc;
        break;
      case 1: if (sp >= 2) { stack[sp - 2] += stack[sp - 1]; --sp; } break;
      case 2: if (sp >= 2) { stack[sp - 2] -= stack[sp - 1]; --sp; } break;
      case 3: if (sp >= 2) { stack[sp - 2] = (int32_t)((uint32_t)stack[sp - 2] * (uint32_t)stack[sp - 1]); --sp; } break;
      case 4: if (sp >= 2) { stack[sp - 2] = stack[sp - 2] / stack[sp - 1]; --sp; } break; /* may trap */
      case 5: if (sp >= 2) { stack[sp - 2] = stack[sp - 2] % stack[sp - 1]; --sp; } break; /* may trap */
      case 6: if (sp >= 1 && sp < 64) { stack[sp] = stack[sp - 1]; ++sp; } break;
      case 7: if (sp >= 2) { int32_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; } break;
      case 8: /* jump back by imm8 if top != 0 */
        if (sp >= 1 && stack[sp - 1] != 0 && pc < len) {
          uint32_t back = code[pc];
          stack[sp - 1] -= stack[sp - 1] > 0 ? 1 : -1;
          pc = back > pc ? 0 : pc - back;
        } else {
          ++pc;
        }
        break;
      case 9: if (sp >= 1) acc = acc * 31 + stack[sp - 1]; break;
      case 10: if (sp >= 1) --sp; break;
      case 11: if (sp >= 2) { stack[sp - 2] = (int32_t)((uint32_t)stack[sp - 2] << (stack[sp - 1] & 31)); --sp; } break;
      case 12: if (sp >= 2) { stack[sp - 2] = stack[sp - 2] >> (stack[sp - 1] & 31); --sp; } break;
      case 13: if (sp >= 1) stack[sp - 1] = (int32_t)((int64_t)stack[sp - 1] * 1103515245 % 2147483647); break;
      case 14: if (sp >= 1 && sp < 64) stack[sp++] = (int32_t)(acc >> 7); break;
      default:
        if (op == 0xFF) __builtin_trap(); /* unknown opcode */
        break;
    }
  }
  uint32_t n = 0;
  for (int i = 0; i < sp && i < 16; ++i) {
    uint32_t v = (uint32_t)stack[sp - 1 - i];
    for (int k = 0; k < 4; ++k) out[n++] = (uint8_t)(v >> (8 * k));
  }
  for (int k = 0; k < 4; ++k) out[n++] = (uint8_t)(steps >> (8 * k));
  for (int k = 0; k < 8; ++k) out[n++] = (uint8_t)((uint64_t)acc >> (8 * k));
  return n;
}
