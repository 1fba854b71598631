#include "prover/stark/examples.hpp"

#include <map>

#include "prover/common/rng.hpp"

namespace efaas::examples {

air::MachineAir fibonacci_air() {
  air::MachineAir m;
  m.name = "fibonacci";
  m.num_publics = 3;
  air::TableAir t("fib", 2);
  air::Expr a = t.main(0), b = t.main(1);
  t.assert_first(a - t.pub(0));
  t.assert_first(b - t.pub(1));
  t.assert_transition(t.main_next(0) - b);
  t.assert_transition(t.main_next(1) - (a + b));
  t.assert_last(b - t.pub(2));
  (void)t.finalize(3);
  m.tables.push_back(std::move(t));
  return m;
}

MachineWitness fibonacci_witness(uint32_t log_n, Fp a0, Fp b0) {
  const size_t n = size_t(1) << log_n;
  MachineWitness w;
  std::vector<Fp> cols(2 * n);
  Fp a = a0, b = b0;
  for (size_t i = 0; i < n; ++i) {
    cols[i] = a;
    cols[n + i] = b;
    Fp next = a + b;
    a = b;
    b = next;
  }
  w.main.push_back(std::move(cols));
  w.publics = {a0, b0, w.main[0][2 * n - 1]};
  return w;
}

air::MachineAir range_check_air() {
  air::MachineAir m;
  m.name = "range_check";
  air::TableAir values("values", 1);
  values.interact(1, values.constant(1), {values.main(0)});
  (void)values.finalize(3);
  air::TableAir range("range", 1, 1);
  range.interact(1, -range.main(0), {range.pre(0)});
  (void)range.finalize(3);
  m.tables.push_back(std::move(values));
  m.tables.push_back(std::move(range));
  return m;
}

std::vector<std::vector<Fp>> range_check_fixed(uint32_t range_bits) {
  std::vector<Fp> r(size_t(1) << range_bits);
  for (size_t i = 0; i < r.size(); ++i) r[i] = Fp::from_u64(i);
  return {{}, r};
}

MachineWitness range_check_witness(uint32_t log_n, uint32_t range_bits, uint64_t seed) {
  Rng rng(seed);
  const size_t n = size_t(1) << log_n, m = size_t(1) << range_bits;
  std::vector<Fp> values(n), counts(m, Fp::zero());
  for (size_t i = 0; i < n; ++i) {
    size_t v = rng.uniform(m);
    values[i] = Fp::from_u64(v);
    counts[v] += Fp::one();
  }
  MachineWitness w;
  w.main = {values, counts};
  return w;
}

air::MachineAir permutation_air() {
  air::MachineAir m;
  m.name = "permutation";
  air::TableAir left("left", 2);
  air::Expr k = left.main(0), v = left.main(1);
  left.interact(2, left.constant(1), {k, v * v + k});
  (void)left.finalize(3);
  air::TableAir right("right", 3);
  right.interact(2, -right.main(2), {right.main(0), right.main(1)});
  (void)right.finalize(3);
  m.tables.push_back(std::move(left));
  m.tables.push_back(std::move(right));
  return m;
}

MachineWitness permutation_witness(uint32_t log_left, uint32_t log_right, uint64_t seed) {
  Rng rng(seed);
  const size_t nl = size_t(1) << log_left, nr = size_t(1) << log_right;
  // Left rows draw keys from at most nr distinct values, so the right table can list each
  // distinct tuple once with its count (padding rows have count 0).
  std::vector<Fp> lk(nl), lv(nl);
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> tuples;
  for (size_t i = 0; i < nl; ++i) {
    uint32_t key = uint32_t(rng.uniform(nr));
    lk[i] = Fp::from_u32(key);
    lv[i] = Fp::from_u32(key * 7 + 3);  // value a function of key: few distinct tuples
    Fp second = lv[i] * lv[i] + lk[i];
    tuples[{lk[i].to_canonical(), second.to_canonical()}]++;
  }
  std::vector<Fp> rk(nr, Fp::zero()), rv(nr, Fp::zero()), rc(nr, Fp::zero());
  size_t row = nr;
  for (const auto& [tuple, count] : tuples) {  // fill from the bottom: order differs from left
    --row;
    rk[row] = Fp::from_u32(tuple.first);
    rv[row] = Fp::from_u32(tuple.second);
    rc[row] = Fp::from_u64(count);
  }
  MachineWitness w;
  std::vector<Fp> left(lk);
  left.insert(left.end(), lv.begin(), lv.end());
  std::vector<Fp> right(rk);
  right.insert(right.end(), rv.begin(), rv.end());
  right.insert(right.end(), rc.begin(), rc.end());
  w.main = {left, right};
  return w;
}

}  // namespace efaas::examples
