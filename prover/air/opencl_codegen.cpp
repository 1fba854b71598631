#include "prover/air/opencl_codegen.hpp"

#include <cctype>
#include <cstdio>
#include <span>
#include <vector>

namespace efaas::air {

namespace {

std::string var(const Node& n, uint32_t id) {
  return (n.ext ? "e" : "b") + std::to_string(id);
}

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08xu", v);
  return buf;
}

// An operand as the type the consumer needs: extension operands of a base value are lifted.
std::string as_ext(const Node& n, uint32_t id) {
  return n.ext ? var(n, id) : "fp4_base(" + var(n, id) + ")";
}

}  // namespace

std::vector<std::vector<uint32_t>> split_constraints(const TableAir& table,
                                                     size_t max_nodes_per_kernel) {
  const auto& nodes = table.graph().nodes();
  const auto& constraints = table.constraints();
  std::vector<std::vector<uint32_t>> parts;
  // Which part last emitted each node: a node counts once per part that needs it.
  std::vector<uint32_t> emitted_in(nodes.size(), UINT32_MAX);
  std::vector<uint32_t> stack, added;
  // The nodes constraint c adds to part p (marked as emitted there).
  auto collect = [&](uint32_t c, uint32_t p) {
    added.clear();
    stack.assign(1, constraints[c].id());
    while (!stack.empty()) {
      const uint32_t id = stack.back();
      stack.pop_back();
      if (emitted_in[id] == p) continue;
      emitted_in[id] = p;
      added.push_back(id);
      const Node& n = nodes[id];
      if (n.op == Op::kAdd || n.op == Op::kSub || n.op == Op::kMul) {
        stack.push_back(n.index);
        stack.push_back(n.rhs);
      } else if (n.op == Op::kNeg) {
        stack.push_back(n.index);
      }
    }
  };
  size_t part_nodes = 0;
  for (uint32_t c = 0; c < constraints.size(); ++c) {
    if (parts.empty()) parts.emplace_back();
    collect(c, uint32_t(parts.size() - 1));
    if (!parts.back().empty() && part_nodes + added.size() > max_nodes_per_kernel) {
      // Over budget: the constraint opens the next part, which evaluates its nodes afresh.
      parts.emplace_back();
      part_nodes = 0;
      collect(c, uint32_t(parts.size() - 1));
    }
    part_nodes += added.size();
    parts.back().push_back(c);
  }
  if (parts.empty()) parts.emplace_back();  // no constraints: one kernel writes zeros
  return parts;
}

namespace {

// One kernel: Horner-folds `part` (constraint indices, in order) into the accumulator, which
// starts at zero in the first part and is read back from `out` in the others; the last part
// multiplies by Z_H^-1.
void emit_part(const TableAir& table, std::span<const uint32_t> part, uint32_t index,
               bool first, bool last, std::string& s) {
  const auto& nodes = table.graph().nodes();
  const auto& constraints = table.constraints();
  // Nodes these constraints depend on (ids are topologically ordered).
  std::vector<uint8_t> need(nodes.size(), 0);
  for (uint32_t c : part) need[constraints[c].id()] = 1;
  for (size_t id = nodes.size(); id-- > 0;) {
    if (!need[id]) continue;
    const Node& n = nodes[id];
    if (n.op == Op::kAdd || n.op == Op::kSub || n.op == Op::kMul) {
      need[n.index] = need[n.rhs] = 1;
    } else if (n.op == Op::kNeg) {
      need[n.index] = 1;
    }
  }
  s += "__kernel void " + quotient_kernel_name(index) +
       "(__global const uint* main, __global const uint* pre,\n"
       "    __global const uint* aux, ulong stride, uint log_qn, uint log_d,\n"
       "    __global const uint* is_first, __global const uint* is_last,\n"
       "    __global const uint* is_transition, __global const uint* zh_inv,\n"
       "    __global const uint4* challenges, __global const uint* publics,\n"
       "    __global const uint4* aux_publics, uint4 alpha, __global uint* out) {\n"
       "  const uint i = get_global_id(0);\n"
       "  const uint qn = 1u << log_qn;\n"
       "  const uint d = 1u << log_d;\n"
       "  const uint ri = bit_rev(i, log_qn);\n"
       "  const uint nx = bit_rev((ri + d) & (qn - 1u), log_qn);\n";
  for (size_t id = 0; id < nodes.size(); ++id) {
    if (!need[id]) continue;
    const Node& n = nodes[id];
    const std::string v = var(n, uint32_t(id));
    const std::string decl = (n.ext ? "  const fp4 " : "  const uint ") + v + " = ";
    const std::string row = n.next ? "nx" : "i";
    auto col = [&](const char* m, uint32_t c) {
      return std::string(m) + "[(ulong)" + std::to_string(c) + " * stride + " + row + "]";
    };
    switch (n.op) {
      case Op::kConst:
        s += decl + hex(n.value.montgomery()) + ";\n";
        break;
      case Op::kMain:
        s += decl + col("main", n.index) + ";\n";
        break;
      case Op::kPre:
        s += decl + col("pre", n.index) + ";\n";
        break;
      case Op::kAux:
        s += decl + "(fp4)(" + col("aux", 4 * n.index) + ", " + col("aux", 4 * n.index + 1) + ", " +
             col("aux", 4 * n.index + 2) + ", " + col("aux", 4 * n.index + 3) + ");\n";
        break;
      case Op::kChallenge:
        s += decl + "challenges[" + std::to_string(n.index) + "];\n";
        break;
      case Op::kPublic:
        s += decl + "publics[" + std::to_string(n.index) + "];\n";
        break;
      case Op::kAuxPublic:
        s += decl + "aux_publics[" + std::to_string(n.index) + "];\n";
        break;
      case Op::kIsFirstRow:
        s += decl + "is_first[i];\n";
        break;
      case Op::kIsLastRow:
        s += decl + "is_last[i];\n";
        break;
      case Op::kIsTransition:
        s += decl + "is_transition[i];\n";
        break;
      case Op::kNeg:
        s += decl + (n.ext ? "fp4_neg(" : "bb_neg(") + var(nodes[n.index], n.index) + ");\n";
        break;
      case Op::kAdd:
      case Op::kSub:
      case Op::kMul: {
        const Node& L = nodes[n.index];
        const Node& R = nodes[n.rhs];
        const char* name = n.op == Op::kAdd ? "add" : n.op == Op::kSub ? "sub" : "mul";
        if (!n.ext) {
          s += decl + "bb_" + name + "(" + var(L, n.index) + ", " + var(R, n.rhs) + ");\n";
        } else if (n.op == Op::kMul && !L.ext) {
          s += decl + "fp4_mul_base(" + var(R, n.rhs) + ", " + var(L, n.index) + ");\n";
        } else if (n.op == Op::kMul && !R.ext) {
          s += decl + "fp4_mul_base(" + var(L, n.index) + ", " + var(R, n.rhs) + ");\n";
        } else {
          s += decl + "fp4_" + name + "(" + as_ext(L, n.index) + ", " + as_ext(R, n.rhs) + ");\n";
        }
        break;
      }
    }
  }
  // Horner folding in constraint order, as air::eval_folded, continued from the previous part.
  s += first ? "  fp4 acc = (fp4)(0u);\n"
             : "  fp4 acc = (fp4)(out[i], out[qn + i], out[2u * qn + i], out[3u * qn + i]);\n";
  for (uint32_t c : part) {
    const Node& n = nodes[constraints[c].id()];
    const std::string v = var(n, constraints[c].id());
    s += n.ext ? "  acc = fp4_add(fp4_mul(acc, alpha), " + v + ");\n"
               : "  acc = fp4_add_base(fp4_mul(acc, alpha), " + v + ");\n";
  }
  if (last) s += "  acc = fp4_mul_base(acc, zh_inv[ri & (d - 1u)]);\n";
  s += "  out[i] = acc.x;\n"
       "  out[qn + i] = acc.y;\n"
       "  out[2u * qn + i] = acc.z;\n"
       "  out[3u * qn + i] = acc.w;\n"
       "}\n";
}

}  // namespace

std::string quotient_kernel_name(uint32_t part) {
  return std::string(kQuotientKernelName) + "_" + std::to_string(part);
}

QuotientKernels opencl_quotient_kernels(const TableAir& table, size_t max_nodes_per_kernel) {
  const std::vector<std::vector<uint32_t>> parts = split_constraints(table, max_nodes_per_kernel);
  QuotientKernels k;
  k.parts = uint32_t(parts.size());
  k.source.reserve(128 + 64 * table.graph().nodes().size());
  // The name only labels the source; anything but plain characters could break the comment.
  std::string label = table.name();
  for (char& c : label) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '_';
  }
  k.source += "// Generated from table " + label + " (prover/air/opencl_codegen.cpp), " +
              std::to_string(k.parts) + " kernel(s).\n";
  for (uint32_t p = 0; p < k.parts; ++p) {
    emit_part(table, parts[p], p, p == 0, p + 1 == k.parts, k.source);
  }
  return k;
}

}  // namespace efaas::air
