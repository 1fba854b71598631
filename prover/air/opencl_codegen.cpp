#include "prover/air/opencl_codegen.hpp"

#include <cctype>
#include <cstdio>
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

std::string opencl_quotient_kernel(const TableAir& table) {
  const auto& nodes = table.graph().nodes();
  // Nodes the constraints depend on (ids are topologically ordered).
  std::vector<uint8_t> need(nodes.size(), 0);
  for (const Expr& e : table.constraints()) need[e.id()] = 1;
  for (size_t id = nodes.size(); id-- > 0;) {
    if (!need[id]) continue;
    const Node& n = nodes[id];
    if (n.op == Op::kAdd || n.op == Op::kSub || n.op == Op::kMul) {
      need[n.index] = need[n.rhs] = 1;
    } else if (n.op == Op::kNeg) {
      need[n.index] = 1;
    }
  }
  std::string s;
  s.reserve(128 + 64 * nodes.size());
  // The name only labels the source; anything but plain characters could break the comment.
  std::string label = table.name();
  for (char& c : label) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '_';
  }
  s += "// Generated from table " + label + " (prover/air/opencl_codegen.cpp).\n";
  s += "__kernel void quotient_eval(__global const uint* main, __global const uint* pre,\n"
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
  // Horner folding in constraint order, as air::eval_folded.
  s += "  fp4 acc = (fp4)(0u);\n";
  for (const Expr& c : table.constraints()) {
    const Node& n = nodes[c.id()];
    s += n.ext ? "  acc = fp4_add(fp4_mul(acc, alpha), " + var(n, c.id()) + ");\n"
               : "  acc = fp4_add_base(fp4_mul(acc, alpha), " + var(n, c.id()) + ");\n";
  }
  s += "  acc = fp4_mul_base(acc, zh_inv[ri & (d - 1u)]);\n"
       "  out[i] = acc.x;\n"
       "  out[qn + i] = acc.y;\n"
       "  out[2u * qn + i] = acc.z;\n"
       "  out[3u * qn + i] = acc.w;\n"
       "}\n";
  return s;
}

}  // namespace efaas::air
