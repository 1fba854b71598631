#include "prover/air/eval.hpp"

#include <algorithm>

namespace efaas::air {

namespace {

constexpr size_t kBlock = 128;

// Node values for rows [begin, begin + len), len <= kBlock. Base nodes live in `base`, extension
// nodes in `ext`, both indexed node * kBlock + row.
struct BlockValues {
  std::vector<Fp> base;
  std::vector<Fp4> ext;
};

Fp4 aux_at(const DomainSource& s, uint32_t col, size_t row) {
  const Fp* a = s.aux + size_t(4 * col) * s.stride + row;
  return {a[0], a[s.stride], a[2 * s.stride], a[3 * s.stride]};
}

// Marks the nodes that `roots` depend on (node ids are topologically ordered).
std::vector<uint8_t> needed_nodes(const TableAir& table, std::span<const Expr> roots) {
  const auto& nodes = table.graph().nodes();
  std::vector<uint8_t> need(nodes.size(), 0);
  for (const Expr& e : roots) need[e.id()] = 1;
  for (size_t id = nodes.size(); id-- > 0;) {
    if (!need[id]) continue;
    const Node& n = nodes[id];
    if (n.op == Op::kAdd || n.op == Op::kSub || n.op == Op::kMul) {
      need[n.index] = need[n.rhs] = 1;
    } else if (n.op == Op::kNeg) {
      need[n.index] = 1;
    }
  }
  return need;
}

void eval_block(const TableAir& table, const DomainSource& s, size_t begin, size_t len,
                const std::vector<uint8_t>& need, BlockValues& v) {
  const auto& nodes = table.graph().nodes();
  v.base.resize(nodes.size() * kBlock);
  v.ext.resize(nodes.size() * kBlock);
  for (size_t id = 0; id < nodes.size(); ++id) {
    if (!need[id]) continue;
    const Node& n = nodes[id];
    Fp* b = v.base.data() + id * kBlock;
    Fp4* e = v.ext.data() + id * kBlock;
    auto row_of = [&](size_t r) { return n.next ? s.next[begin + r] : begin + r; };
    switch (n.op) {
      case Op::kConst:
        std::fill(b, b + len, n.value);
        break;
      case Op::kMain:
        for (size_t r = 0; r < len; ++r) b[r] = s.main[n.index * s.stride + row_of(r)];
        break;
      case Op::kPre:
        for (size_t r = 0; r < len; ++r) b[r] = s.pre[n.index * s.stride + row_of(r)];
        break;
      case Op::kAux:
        for (size_t r = 0; r < len; ++r) e[r] = aux_at(s, n.index, row_of(r));
        break;
      case Op::kChallenge:
        std::fill(e, e + len, s.challenges[n.index]);
        break;
      case Op::kPublic:
        std::fill(b, b + len, s.publics[n.index]);
        break;
      case Op::kAuxPublic:
        std::fill(e, e + len, s.aux_publics[n.index]);
        break;
      case Op::kIsFirstRow:
        std::copy(s.is_first + begin, s.is_first + begin + len, b);
        break;
      case Op::kIsLastRow:
        std::copy(s.is_last + begin, s.is_last + begin + len, b);
        break;
      case Op::kIsTransition:
        std::copy(s.is_transition + begin, s.is_transition + begin + len, b);
        break;
      case Op::kNeg:
        if (n.ext) {
          const Fp4* x = v.ext.data() + n.index * kBlock;
          for (size_t r = 0; r < len; ++r) e[r] = -x[r];
        } else {
          const Fp* x = v.base.data() + n.index * kBlock;
          for (size_t r = 0; r < len; ++r) b[r] = -x[r];
        }
        break;
      case Op::kAdd:
      case Op::kSub:
      case Op::kMul: {
        const Node& L = nodes[n.index];
        const Node& R = nodes[n.rhs];
        if (!n.ext) {
          const Fp* x = v.base.data() + n.index * kBlock;
          const Fp* y = v.base.data() + n.rhs * kBlock;
          if (n.op == Op::kAdd) {
            for (size_t r = 0; r < len; ++r) b[r] = x[r] + y[r];
          } else if (n.op == Op::kSub) {
            for (size_t r = 0; r < len; ++r) b[r] = x[r] - y[r];
          } else {
            for (size_t r = 0; r < len; ++r) b[r] = x[r] * y[r];
          }
          break;
        }
        // Mixed or extension operands.
        auto get = [&](const Node& m, uint32_t mid, size_t r) -> Fp4 {
          return m.ext ? v.ext[mid * kBlock + r] : Fp4(v.base[mid * kBlock + r]);
        };
        if (n.op == Op::kMul && !L.ext) {
          const Fp* x = v.base.data() + n.index * kBlock;
          const Fp4* y = v.ext.data() + n.rhs * kBlock;
          for (size_t r = 0; r < len; ++r) e[r] = y[r] * x[r];
        } else if (n.op == Op::kMul && !R.ext) {
          const Fp4* x = v.ext.data() + n.index * kBlock;
          const Fp* y = v.base.data() + n.rhs * kBlock;
          for (size_t r = 0; r < len; ++r) e[r] = x[r] * y[r];
        } else {
          for (size_t r = 0; r < len; ++r) {
            Fp4 x = get(L, n.index, r), y = get(R, n.rhs, r);
            e[r] = n.op == Op::kAdd ? x + y : n.op == Op::kSub ? x - y : x * y;
          }
        }
        break;
      }
    }
  }
}

Fp4 value_at(const BlockValues& v, const Node& n, uint32_t id, size_t r) {
  return n.ext ? v.ext[id * kBlock + r] : Fp4(v.base[id * kBlock + r]);
}

}  // namespace

void eval_folded(const TableAir& table, const DomainSource& src, size_t begin, size_t end,
                 Fp4 alpha, Fp4* out) {
  BlockValues v;
  const auto& nodes = table.graph().nodes();
  const std::vector<uint8_t> need = needed_nodes(table, table.constraints());
  for (size_t b = begin; b < end; b += kBlock) {
    const size_t len = std::min(kBlock, end - b);
    eval_block(table, src, b, len, need, v);
    Fp4* o = out + (b - begin);
    std::fill(o, o + len, Fp4::zero());
    for (const Expr& c : table.constraints()) {
      const Node& n = nodes[c.id()];
      if (n.ext) {
        const Fp4* x = v.ext.data() + c.id() * kBlock;
        for (size_t r = 0; r < len; ++r) o[r] = o[r] * alpha + x[r];
      } else {
        const Fp* x = v.base.data() + c.id() * kBlock;
        for (size_t r = 0; r < len; ++r) {
          Fp4 t = o[r] * alpha;
          o[r] = Fp4(t[0] + x[r], t[1], t[2], t[3]);
        }
      }
    }
  }
}

void eval_base_exprs(const TableAir& table, const DomainSource& src, size_t begin, size_t end,
                     std::span<const Expr> exprs, Fp* out) {
  BlockValues v;
  const auto& nodes = table.graph().nodes();
  const size_t total = end - begin;
  const std::vector<uint8_t> need = needed_nodes(table, exprs);
  for (size_t b = begin; b < end; b += kBlock) {
    const size_t len = std::min(kBlock, end - b);
    eval_block(table, src, b, len, need, v);
    for (size_t k = 0; k < exprs.size(); ++k) {
      const uint32_t id = exprs[k].id();
      for (size_t r = 0; r < len; ++r) {
        out[k * total + (b - begin) + r] = nodes[id].ext ? v.ext[id * kBlock + r][0]
                                                         : v.base[id * kBlock + r];
      }
    }
  }
}

std::optional<Violation> first_violation(const TableAir& table, const DomainSource& src,
                                         size_t rows) {
  BlockValues v;
  const auto& nodes = table.graph().nodes();
  const std::vector<uint8_t> need = needed_nodes(table, table.constraints());
  for (size_t b = 0; b < rows; b += kBlock) {
    const size_t len = std::min(kBlock, rows - b);
    eval_block(table, src, b, len, need, v);
    for (size_t r = 0; r < len; ++r) {
      for (size_t k = 0; k < table.constraints().size(); ++k) {
        uint32_t id = table.constraints()[k].id();
        if (!value_at(v, nodes[id], id, r).is_zero()) return Violation{b + r, k};
      }
    }
  }
  return std::nullopt;
}

Fp4 eval_folded_at_point(const TableAir& table, const PointValues& pv, Fp4 alpha) {
  const auto& nodes = table.graph().nodes();
  std::vector<Fp4> val(nodes.size());
  for (size_t id = 0; id < nodes.size(); ++id) {
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
  Fp4 acc = Fp4::zero();
  for (const Expr& c : table.constraints()) acc = acc * alpha + val[c.id()];
  return acc;
}

}  // namespace efaas::air
