#include "prover/air/eval.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

#include "prover/air/column_kernels.hpp"

namespace efaas::air {

namespace {

// Rows per block: long enough to amortize the per-node dispatch, short enough that the live
// node values stay in the first cache levels.
constexpr size_t kBlock = 256;
constexpr uint32_t kForever = std::numeric_limits<uint32_t>::max();

bool is_leaf(Op op) {
  return op != Op::kAdd && op != Op::kSub && op != Op::kMul && op != Op::kNeg;
}
bool is_uniform_leaf(Op op) {
  return op == Op::kConst || op == Op::kChallenge || op == Op::kPublic || op == Op::kAuxPublic;
}

// How the DAG is evaluated over blocks of rows, built once per call:
// - uniform nodes (constants, challenges, publics and everything built only from them) are
//   computed once in Fp4 and broadcast into a block that never changes;
// - this-row column references and the selectors point straight into the source matrices;
// - next-row references and computed nodes get storage slots, reused once a node's last
//   consumer has run (a node's slot is never its operands');
// - with `pair_group` (a group per node, kNone for none), consecutive computed base-field roots
//   of the same group are paired: the first of a pair keeps its slot until its partner is
//   computed, so a caller can fold both with one kernel call.
// Extension values are stored as four coordinate blocks, so every step is a column kernel.
class Plan {
 public:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

  Plan(const TableAir& table, const DomainSource& s, std::span<const Expr> roots, bool keep_roots)
      : Plan(table, s, ids(roots), keep_roots) {}
  Plan(const TableAir& table, const DomainSource& s, const std::vector<uint32_t>& roots,
       bool keep_roots, const std::vector<uint32_t>* pair_group = nullptr)
      : nodes_(table.graph().nodes()), s_(s), k_(column_kernels(s.simd)) {
    const size_t N = nodes_.size();
    std::vector<uint8_t> need(N, 0);
    for (uint32_t id : roots) need[id] = 1;
    for (size_t id = N; id-- > 0;) {
      if (!need[id]) continue;
      const Node& n = nodes_[id];
      if (!is_leaf(n.op)) need[n.index] = 1;
      if (n.op == Op::kAdd || n.op == Op::kSub || n.op == Op::kMul) need[n.rhs] = 1;
    }
    uniform_.assign(N, 0);
    std::vector<Fp4> uval(N);
    ptr_.assign(N, {nullptr, nullptr, nullptr, nullptr});
    slot_.assign(N, -1);
    // Uniform values, and the order of the row-dependent nodes.
    std::vector<uint32_t> last_use(N, 0);
    for (uint32_t id = 0; id < N; ++id) {
      if (!need[id]) continue;
      const Node& n = nodes_[id];
      if (is_leaf(n.op)) {
        uniform_[id] = is_uniform_leaf(n.op);
      } else {
        uniform_[id] = uniform_[n.index] && (n.op == Op::kNeg || uniform_[n.rhs]);
      }
      if (uniform_[id]) {
        uval[id] = uniform_value(n, uval);
        continue;
      }
      if (!is_leaf(n.op) || n.next) order_.push_back(id);  // computed or gathered
    }
    for (uint32_t p = 0; p < order_.size(); ++p) {
      const Node& n = nodes_[order_[p]];
      last_use[order_[p]] = std::max(last_use[order_[p]], p);
      if (!is_leaf(n.op)) {
        last_use[n.index] = p;
        if (n.op != Op::kNeg) last_use[n.rhs] = p;
      }
    }
    if (keep_roots) {
      for (uint32_t id : roots) last_use[id] = kForever;
    }
    partner_.assign(N, kNone);
    held_.assign(N, 0);
    if (pair_group != nullptr) {
      std::vector<uint32_t> pending;  // per group
      for (uint32_t p = 0; p < order_.size(); ++p) {
        const uint32_t id = order_[p], g = (*pair_group)[id];
        if (g == kNone || nodes_[id].ext) continue;
        if (g >= pending.size()) pending.resize(g + 1, kNone);
        if (pending[g] == kNone) {
          pending[g] = id;
          continue;
        }
        partner_[id] = pending[g];
        held_[pending[g]] = 1;
        last_use[pending[g]] = std::max(last_use[pending[g]], p);
        pending[g] = kNone;
      }
    }
    // Slots: uniform blocks first (filled once), then the row-dependent nodes by liveness.
    size_t base_slots = 0, ext_slots = 0;
    std::vector<std::pair<uint32_t, bool>> uniforms;  // (node, ext)
    for (uint32_t id = 0; id < N; ++id) {
      if (need[id] && uniform_[id]) {
        uniforms.emplace_back(id, nodes_[id].ext);
        slot_[id] = int32_t(nodes_[id].ext ? ext_slots++ : base_slots++);
      }
    }
    std::vector<int32_t> free_base, free_ext;
    std::vector<std::vector<uint32_t>> dies_at(order_.size());
    for (uint32_t p = 0; p < order_.size(); ++p) {
      const uint32_t id = order_[p];
      if (last_use[id] != kForever) dies_at[last_use[id]].push_back(id);
    }
    for (uint32_t p = 0; p < order_.size(); ++p) {
      const uint32_t id = order_[p];
      const bool ext = nodes_[id].ext;
      std::vector<int32_t>& fl = ext ? free_ext : free_base;
      if (!fl.empty()) {
        slot_[id] = fl.back();
        fl.pop_back();
      } else {
        slot_[id] = int32_t(ext ? ext_slots++ : base_slots++);
      }
      for (uint32_t d : dies_at[p]) (nodes_[d].ext ? free_ext : free_base).push_back(slot_[d]);
    }
    base_.assign(base_slots * kBlock, Fp::zero());
    ext_.assign(ext_slots * 4 * kBlock, Fp::zero());
    for (uint32_t id = 0; id < N; ++id) {
      if (slot_[id] < 0) continue;
      if (nodes_[id].ext) {
        for (int c = 0; c < 4; ++c) ptr_[id][c] = ext_.data() + (size_t(slot_[id]) * 4 + c) * kBlock;
      } else {
        ptr_[id][0] = base_.data() + size_t(slot_[id]) * kBlock;
      }
    }
    for (const auto& [id, ext] : uniforms) {
      for (int c = 0; c < (ext ? 4 : 1); ++c) {
        std::fill_n(const_cast<Fp*>(ptr_[id][c]), kBlock, uval[id][c]);
      }
    }
    for (uint32_t id = 0; id < N; ++id) {
      if (need[id] && !uniform_[id] && is_leaf(nodes_[id].op) && !nodes_[id].next) {
        direct_.push_back(id);
      }
    }
    slot_ptr_ = ptr_;
  }

  // Evaluates rows [begin, begin + len), len <= kBlock; `after(id)` runs after each computed
  // node (the folding step).
  template <typename After>
  void run(size_t begin, size_t len, After after) {
    for (uint32_t id : direct_) {
      const Node& n = nodes_[id];
      switch (n.op) {
        case Op::kMain: ptr_[id][0] = s_.main + n.index * s_.stride + begin; break;
        case Op::kPre: ptr_[id][0] = s_.pre + n.index * s_.stride + begin; break;
        case Op::kAux:
          for (int c = 0; c < 4; ++c) ptr_[id][c] = s_.aux + (4 * n.index + c) * s_.stride + begin;
          break;
        case Op::kIsFirstRow: ptr_[id][0] = s_.is_first + begin; break;
        case Op::kIsLastRow: ptr_[id][0] = s_.is_last + begin; break;
        case Op::kIsTransition: ptr_[id][0] = s_.is_transition + begin; break;
        default: break;
      }
    }
    // Next-row references read the source in place when the block's next rows are consecutive
    // (the trace domain but its last row; the first half of a bit-reversed coset block), and
    // are gathered into their slots otherwise.
    const uint32_t* next = s_.next + begin;
    bool consecutive = true;
    for (size_t r = 1; r < len; ++r) consecutive &= next[r] == next[0] + r;
    for (uint32_t id : order_) {
      const Node& n = nodes_[id];
      if (is_leaf(n.op)) {
        if (consecutive) {
          point_next(id, next[0]);
        } else {
          ptr_[id] = slot_ptr_[id];
          eval_node(id, begin, len);
        }
      } else {
        eval_node(id, begin, len);
      }
      after(id);
    }
  }

  bool is_ext(uint32_t id) const { return nodes_[id].ext; }
  const Fp* base(uint32_t id) const { return ptr_[id][0]; }
  ExtCols ext(uint32_t id) const { return {{ptr_[id][0], ptr_[id][1], ptr_[id][2], ptr_[id][3]}}; }
  Fp4 value(uint32_t id, size_t r) const {
    if (!nodes_[id].ext) return Fp4(ptr_[id][0][r]);
    return {ptr_[id][0][r], ptr_[id][1][r], ptr_[id][2][r], ptr_[id][3][r]};
  }
  const ColumnKernels& kernels() const { return k_; }
  const std::vector<uint32_t>& computed() const { return order_; }
  // pair_group: a root held for its partner (folded when the partner is computed), and the
  // root a node is paired with (kNone: none).
  bool held(uint32_t id) const { return held_[id] != 0; }
  uint32_t partner(uint32_t id) const { return partner_[id]; }
  // Roots that are not computed per block (leaves and uniform nodes) are folded by the caller.
  bool computed_node(uint32_t id) const { return !uniform_[id] && (!is_leaf(nodes_[id].op) || nodes_[id].next); }

 private:
  Fp4 uniform_value(const Node& n, const std::vector<Fp4>& v) const {
    switch (n.op) {
      case Op::kConst: return Fp4(n.value);
      case Op::kChallenge: return s_.challenges[n.index];
      case Op::kPublic: return Fp4(s_.publics[n.index]);
      case Op::kAuxPublic: return s_.aux_publics[n.index];
      case Op::kNeg: return -v[n.index];
      case Op::kAdd: return v[n.index] + v[n.rhs];
      case Op::kSub: return v[n.index] - v[n.rhs];
      case Op::kMul: return v[n.index] * v[n.rhs];
      default: return Fp4::zero();
    }
  }

  static std::vector<uint32_t> ids(std::span<const Expr> roots) {
    std::vector<uint32_t> v;
    for (const Expr& e : roots) v.push_back(e.id());
    return v;
  }

  Fp* out(uint32_t id, int c = 0) { return const_cast<Fp*>(ptr_[id][c]); }

  // A next-row reference read in place from row `row` on.
  void point_next(uint32_t id, size_t row) {
    const Node& n = nodes_[id];
    if (n.op == Op::kAux) {
      for (int c = 0; c < 4; ++c) ptr_[id][c] = s_.aux + (4 * n.index + c) * s_.stride + row;
    } else {
      ptr_[id][0] = (n.op == Op::kMain ? s_.main : s_.pre) + n.index * s_.stride + row;
    }
  }
  ExtColsOut out_ext(uint32_t id) { return {{out(id, 0), out(id, 1), out(id, 2), out(id, 3)}}; }

  void eval_node(uint32_t id, size_t begin, size_t len) {
    const Node& n = nodes_[id];
    if (is_leaf(n.op)) {  // a next-row reference: gather
      const uint32_t* next = s_.next + begin;
      if (n.op == Op::kAux) {
        for (int c = 0; c < 4; ++c) {
          const Fp* col = s_.aux + (4 * n.index + c) * s_.stride;
          Fp* o = out(id, c);
          for (size_t r = 0; r < len; ++r) o[r] = col[next[r]];
        }
      } else {
        const Fp* col = (n.op == Op::kMain ? s_.main : s_.pre) + n.index * s_.stride;
        Fp* o = out(id);
        for (size_t r = 0; r < len; ++r) o[r] = col[next[r]];
      }
      return;
    }
    const uint32_t a = n.index, b = n.rhs;
    if (n.op == Op::kNeg) {
      for (int c = 0; c < (n.ext ? 4 : 1); ++c) k_.neg(ptr_[a][c], out(id, c), len);
      return;
    }
    const bool ea = nodes_[a].ext, eb = nodes_[b].ext;
    if (!n.ext) {
      auto f = n.op == Op::kAdd ? k_.add : n.op == Op::kSub ? k_.sub : k_.mul;
      f(ptr_[a][0], ptr_[b][0], out(id), len);
      return;
    }
    if (n.op == Op::kMul) {
      if (ea && eb) {
        k_.ext_mul(ext(a), ext(b), out_ext(id), len);
      } else if (ea) {
        k_.ext_mul_base(ext(a), ptr_[b][0], out_ext(id), len);
      } else {
        k_.ext_mul_base(ext(b), ptr_[a][0], out_ext(id), len);
      }
      return;
    }
    auto f = n.op == Op::kAdd ? k_.add : k_.sub;
    if (ea && eb) {
      for (int c = 0; c < 4; ++c) f(ptr_[a][c], ptr_[b][c], out(id, c), len);
    } else if (ea) {  // ext +- base: only coordinate 0 changes
      f(ptr_[a][0], ptr_[b][0], out(id, 0), len);
      for (int c = 1; c < 4; ++c) std::memcpy(out(id, c), ptr_[a][c], len * sizeof(Fp));
    } else {  // base +- ext
      f(ptr_[a][0], ptr_[b][0], out(id, 0), len);
      for (int c = 1; c < 4; ++c) {
        if (n.op == Op::kAdd) {
          std::memcpy(out(id, c), ptr_[b][c], len * sizeof(Fp));
        } else {
          k_.neg(ptr_[b][c], out(id, c), len);
        }
      }
    }
  }

  const std::vector<Node>& nodes_;
  const DomainSource& s_;
  const ColumnKernels& k_;
  std::vector<uint8_t> uniform_, held_;
  std::vector<uint32_t> partner_;
  std::vector<int32_t> slot_;
  std::vector<std::array<const Fp*, 4>> ptr_, slot_ptr_;  // slot_ptr_: the storage slots
  std::vector<uint32_t> order_, direct_;
  std::vector<Fp> base_, ext_;
};

}  // namespace

// Gated constraints: the exec table gates every constraint of an opcode by its flag column
// (f e_k), and sum_k w_k f e_k = f sum_k w_k e_k, so a flag with at least this many constraints
// gets its own accumulator of the w_k e_k, multiplied by f once per block: the products f e_k are
// never formed (exact arithmetic: the folded values are the same).
constexpr size_t kMinGateGroup = 4;

void eval_folded(const TableAir& table, const DomainSource& src, size_t begin, size_t end,
                 Fp4 alpha, Fp4* out) {
  const auto& cs = table.constraints();
  const auto& nodes = table.graph().nodes();
  const size_t N = nodes.size();
  constexpr uint32_t kNone = Plan::kNone;
  // A constraint f * e with f a this-row main column: f's node (e in `rest`), else kNone.
  auto gate_of = [&](uint32_t r, uint32_t& rest) {
    const Node& n = nodes[r];
    auto is_gate = [&](uint32_t id) { return nodes[id].op == Op::kMain && !nodes[id].next; };
    if (n.op != Op::kMul || n.ext) return kNone;
    if (is_gate(n.index)) return rest = n.rhs, n.index;
    if (is_gate(n.rhs)) return rest = n.index, n.rhs;
    return kNone;
  };
  std::vector<uint32_t> gate_count(N, 0);
  for (const Expr& c : cs) {
    uint32_t rest;
    if (const uint32_t f = gate_of(c.id(), rest); f != kNone) ++gate_count[f];
  }
  // Accumulator 0 is the result; accumulator j > 0 belongs to gate column gates[j - 1].
  std::vector<uint32_t> gates, group_of(N, kNone);
  // Horner's fold in constraint order equals sum_k alpha^(K-1-k) C_k, which lets each
  // constraint be added as soon as it is computed (and its base values scaled in the base field);
  // a node that is several terms of one accumulator is added once with their weights' sum.
  struct Term {
    uint32_t acc;
    Fp4 weight;
  };
  std::vector<std::vector<Term>> terms(N);
  Fp4 w = Fp4::one();
  for (size_t k = cs.size(); k-- > 0;) {
    uint32_t id = cs[k].id(), acc = 0, rest = 0;
    if (const uint32_t f = gate_of(id, rest); f != kNone && gate_count[f] >= kMinGateGroup) {
      if (group_of[f] == kNone) {
        gates.push_back(f);
        group_of[f] = uint32_t(gates.size());
      }
      acc = group_of[f];
      id = rest;
    }
    auto it = std::find_if(terms[id].begin(), terms[id].end(),
                           [&](const Term& t) { return t.acc == acc; });
    if (it == terms[id].end()) {
      terms[id].push_back({acc, w});
    } else {
      it->weight += w;
    }
    w *= alpha;
  }
  // Roots with one term pair up with the next computed root of the same accumulator (base ones:
  // one reduction and one accumulator pass for both).
  std::vector<uint32_t> roots, pair_group(N, kNone);
  for (uint32_t id = 0; id < N; ++id) {
    if (terms[id].empty()) continue;
    roots.push_back(id);
    if (terms[id].size() == 1) pair_group[id] = terms[id][0].acc;
  }
  Plan plan(table, src, roots, /*keep_roots=*/false, &pair_group);
  std::vector<uint32_t> early;  // roots that are leaves or uniform
  for (uint32_t id : roots) {
    if (!plan.computed_node(id)) early.push_back(id);
  }
  const size_t A = gates.size() + 1;
  std::vector<Fp> accs(A * 4 * kBlock);
  std::vector<ExtColsOut> acc(A);
  for (size_t j = 0; j < A; ++j) {
    for (int c = 0; c < 4; ++c) acc[j].c[c] = accs.data() + (4 * j + c) * kBlock;
  }
  const ColumnKernels& kern = plan.kernels();
  for (size_t b = begin; b < end; b += kBlock) {
    const size_t len = std::min(kBlock, end - b);
    std::fill(accs.begin(), accs.end(), Fp::zero());
    auto fold = [&](uint32_t id) {
      for (const Term& t : terms[id]) {
        const ExtColsOut& a = acc[t.acc];
        if (plan.is_ext(id)) {
          kern.ext_mul_acc(plan.ext(id), t.weight, a, len);
        } else if (const uint32_t q = plan.partner(id); q != kNone) {
          kern.mul_acc2(plan.base(q), terms[q][0].weight, plan.base(id), t.weight, a, len);
        } else {
          kern.mul_acc(plan.base(id), t.weight, a, len);
        }
      }
    };
    plan.run(b, len, [&](uint32_t id) {
      if (!terms[id].empty() && !plan.held(id)) fold(id);
    });
    for (uint32_t id : early) fold(id);
    for (size_t j = 1; j < A; ++j) {
      const Fp* f = src.main + nodes[gates[j - 1]].index * src.stride + b;
      const ExtCols g{{acc[j].c[0], acc[j].c[1], acc[j].c[2], acc[j].c[3]}};
      kern.ext_mul_base(g, f, acc[j], len);
      for (int c = 0; c < 4; ++c) kern.add(acc[0].c[c], acc[j].c[c], acc[0].c[c], len);
    }
    Fp4* o = out + (b - begin);
    const ExtColsOut& a = acc[0];
    for (size_t r = 0; r < len; ++r) o[r] = Fp4(a.c[0][r], a.c[1][r], a.c[2][r], a.c[3][r]);
  }
}

void eval_base_exprs(const TableAir& table, const DomainSource& src, size_t begin, size_t end,
                     std::span<const Expr> exprs, Fp* out) {
  Plan plan(table, src, exprs, /*keep_roots=*/true);
  const size_t total = end - begin;
  for (size_t b = begin; b < end; b += kBlock) {
    const size_t len = std::min(kBlock, end - b);
    plan.run(b, len, [](uint32_t) {});
    // Coordinate 0 of each expression's block (the value itself for a base expression).
    for (size_t k = 0; k < exprs.size(); ++k) {
      std::memcpy(out + k * total + (b - begin), plan.base(exprs[k].id()), len * sizeof(Fp));
    }
  }
}

std::optional<Violation> first_violation(const TableAir& table, const DomainSource& src,
                                         size_t rows) {
  return first_violation(table, src, 0, rows);
}

std::optional<Violation> first_violation(const TableAir& table, const DomainSource& src,
                                         size_t begin, size_t end) {
  const auto& cs = table.constraints();
  const auto& nodes = table.graph().nodes();
  const size_t N = nodes.size();
  constexpr uint32_t kNone = Plan::kNone;
  // The scan ORs each constraint's block as soon as it is computed, so the constraint values
  // need no slots of their own (keeping ~740 root blocks alive spilled the exec table's working
  // set out of the caches); only a block with a violation is evaluated again, keeping every
  // root, to name the first one. A constraint f * e gated by a this-row main column f vanishes
  // where f or e does, so e is scanned where f is nonzero and the product is never formed.
  std::vector<std::vector<uint32_t>> scans(N);  // per node: gate columns, kNone for itself
  std::vector<uint32_t> roots;
  for (const Expr& c : cs) {
    uint32_t id = c.id(), gate = kNone;
    const Node& n = nodes[id];
    auto is_gate = [&](uint32_t g) { return nodes[g].op == Op::kMain && !nodes[g].next; };
    if (n.op == Op::kMul && !n.ext) {
      if (is_gate(n.index)) {
        gate = nodes[n.index].index;
        id = n.rhs;
      } else if (is_gate(n.rhs)) {
        gate = nodes[n.rhs].index;
        id = n.index;
      }
    }
    if (scans[id].empty()) roots.push_back(id);
    if (std::find(scans[id].begin(), scans[id].end(), gate) == scans[id].end()) {
      scans[id].push_back(gate);
    }
  }
  Plan plan(table, src, roots, /*keep_roots=*/false);
  std::vector<uint32_t> early;  // roots that are leaves or uniform: read after the run
  for (uint32_t id : roots) {
    if (!plan.computed_node(id)) early.push_back(id);
  }
  std::optional<Plan> keep;
  for (size_t b = begin; b < end; b += kBlock) {
    const size_t len = std::min(kBlock, end - b);
    uint32_t bits = 0;
    auto scan = [&](uint32_t id) {
      for (uint32_t gate : scans[id]) {
        const Fp* f = gate == kNone ? nullptr : src.main + gate * src.stride + b;
        for (int c = 0; c < (plan.is_ext(id) ? 4 : 1); ++c) {
          const Fp* v = plan.ext(id).c[c];
          if (f == nullptr) {
            for (size_t r = 0; r < len; ++r) bits |= v[r].montgomery();
          } else {
            for (size_t r = 0; r < len; ++r) bits |= f[r].montgomery() != 0 ? v[r].montgomery() : 0;
          }
        }
      }
    };
    plan.run(b, len, [&](uint32_t id) {
      if (!scans[id].empty()) scan(id);
    });
    for (uint32_t id : early) scan(id);
    if (bits == 0) continue;
    if (!keep) keep.emplace(table, src, cs, /*keep_roots=*/true);
    keep->run(b, len, [](uint32_t) {});
    for (size_t r = 0; r < len; ++r) {
      for (size_t k = 0; k < cs.size(); ++k) {
        if (!keep->value(cs[k].id(), r).is_zero()) return Violation{b + r, k};
      }
    }
  }
  return std::nullopt;
}

std::vector<Fp4> eval_nodes_at_point(const TableAir& table, const PointValues& pv, uint32_t last) {
  const auto& nodes = table.graph().nodes();
  std::vector<Fp4> val(size_t(last) + 1);
  for (uint32_t id = 0; id <= last; ++id) {
    const Node& n = nodes[id];
    switch (n.op) {
      case Op::kConst: val[id] = Fp4(n.value); break;
      case Op::kMain: val[id] = n.next ? pv.main_next[n.index] : pv.main[n.index]; break;
      case Op::kPre: val[id] = n.next ? pv.pre_next[n.index] : pv.pre[n.index]; break;
      case Op::kAux: val[id] = n.next ? pv.aux_next[n.index] : pv.aux[n.index]; break;
      case Op::kChallenge: val[id] = pv.challenges[n.index]; break;
      case Op::kPublic: val[id] = Fp4(pv.publics[n.index]); break;
      case Op::kAuxPublic: val[id] = pv.aux_publics[n.index]; break;
      case Op::kIsFirstRow: val[id] = pv.is_first; break;
      case Op::kIsLastRow: val[id] = pv.is_last; break;
      case Op::kIsTransition: val[id] = pv.is_transition; break;
      case Op::kNeg: val[id] = -val[n.index]; break;
      case Op::kAdd: val[id] = val[n.index] + val[n.rhs]; break;
      case Op::kSub: val[id] = val[n.index] - val[n.rhs]; break;
      case Op::kMul: val[id] = val[n.index] * val[n.rhs]; break;
    }
  }
  return val;
}

Fp4 eval_folded_at_point(const TableAir& table, const PointValues& pv, Fp4 alpha) {
  const size_t count = table.graph().nodes().size();
  if (count == 0) return Fp4::zero();
  const std::vector<Fp4> val = eval_nodes_at_point(table, pv, uint32_t(count - 1));
  Fp4 acc = Fp4::zero();
  for (const Expr& c : table.constraints()) acc = acc * alpha + val[c.id()];
  return acc;
}

}  // namespace efaas::air
