/* SHA-256 of the private input (kind 4), for the private-input benchmark (bench/zkwasm_bench
 * --private): the whole private input is committed by the proof, but only its first `count`
 * bytes are read and hashed, count = Data's first 4 bytes (little endian) when Data has them,
 * otherwise the whole private input. PostOp.Data = SHA-256 of those bytes. */
#define PROGRAM_INPUT_PRIVATE 1
#include "sha256.c"
