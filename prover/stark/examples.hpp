#pragma once
// Example AIRs that exercise the STARK engine: Fibonacci (one table, boundary and transition
// constraints, public inputs), a range check (a lookup into a fixed table through a LogUp bus)
// and a permutation (two tables of different heights joined by a bus).
#include <cstdint>
#include <vector>

#include "prover/air/air.hpp"
#include "prover/stark/stark.hpp"

namespace efaas::examples {

// Columns a, b; a' = b, b' = a + b; publics: a[0], b[0], b[n-1].
air::MachineAir fibonacci_air();
MachineWitness fibonacci_witness(uint32_t log_n, Fp a0 = Fp::one(), Fp b0 = Fp::one());

// Table "values" (2^log_n rows) sends each value on bus 1; table "range" (fixed column
// 0..2^range_bits-1, main column: multiplicities) receives them.
air::MachineAir range_check_air();
std::vector<std::vector<Fp>> range_check_fixed(uint32_t range_bits);
// Random values below 2^range_bits (seeded), with the matching multiplicities.
MachineWitness range_check_witness(uint32_t log_n, uint32_t range_bits, uint64_t seed);

// Table "left" (2^log_left rows, columns key, value) sends (key, value^2 + key) on bus 2;
// table "right" (2^log_right rows: key, value, count) receives them with multiplicity count.
air::MachineAir permutation_air();
MachineWitness permutation_witness(uint32_t log_left, uint32_t log_right, uint64_t seed);

}  // namespace efaas::examples
