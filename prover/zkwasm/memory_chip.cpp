// The mem_access table: loads, stores, memory.size and memory.grow (docs/zkwasm.md, "Linear
// memory"). The execution row of such an op carries one flag and sends (step, op, store, size,
// base, imm_b, value) on the mem_access bus; a row here receives it and performs the accesses
// in the shared memory argument: the size cell (read, or read-modify-write for memory.grow) and
// the one or two 8-byte words the access touches, with the byte selection, sign extension,
// byte insertion and the bounds check against the current size.
#include "prover/zkwasm/memory_chip.hpp"

#include <algorithm>

#include "prover/zkwasm/layout.hpp"

namespace efaas::zkwasm {

using air::Expr;
using air::TableAir;
using wasm::Op;
namespace L = layout;
using C = L::MemAccess;

MemOpInfo mem_op_info(Op op) {
  MemOpInfo i;
  switch (op) {
    case Op::kI32Load: i.width = 4; break;
    case Op::kI64Load: i.width = 8, i.is64 = true; break;
    case Op::kI32Load8S: i.width = 1, i.is_signed = true; break;
    case Op::kI32Load8U: i.width = 1; break;
    case Op::kI32Load16S: i.width = 2, i.is_signed = true; break;
    case Op::kI32Load16U: i.width = 2; break;
    case Op::kI64Load8S: i.width = 1, i.is_signed = true, i.is64 = true; break;
    case Op::kI64Load8U: i.width = 1, i.is64 = true; break;
    case Op::kI64Load16S: i.width = 2, i.is_signed = true, i.is64 = true; break;
    case Op::kI64Load16U: i.width = 2, i.is64 = true; break;
    case Op::kI64Load32S: i.width = 4, i.is_signed = true, i.is64 = true; break;
    case Op::kI64Load32U: i.width = 4, i.is64 = true; break;
    case Op::kI32Store: i.width = 4, i.store = true; break;
    case Op::kI64Store: i.width = 8, i.store = true, i.is64 = true; break;
    case Op::kI32Store8: case Op::kI64Store8: i.width = 1, i.store = true; break;
    case Op::kI32Store16: case Op::kI64Store16: i.width = 2, i.store = true; break;
    case Op::kI64Store32: i.width = 4, i.store = true; break;
    case Op::kMemorySize: i.size = true; break;
    case Op::kMemoryGrow: i.grow = true; break;
    default: break;
  }
  return i;
}

Result<std::vector<MemoryImage>> memory_images(const wasm::Module& m) {
  std::vector<MemoryImage> imgs(m.memories.size());
  if (m.memories.size() > L::kMaxMemories) {
    return unimplemented("zkwasm: " + std::to_string(m.memories.size()) + " memories (at most " +
                         std::to_string(L::kMaxMemories) + ")");
  }
  if (m.memory_imported) {
    return unimplemented("zkwasm: modules importing their linear memory are not supported");
  }
  for (size_t i = 0; i < imgs.size(); ++i) {
    const wasm::Limits& lim = m.memories[i];
    if (lim.min > L::kMaxPages) {
      return invalid_argument("zkwasm: initial memory of " + std::to_string(lim.min) +
                              " pages exceeds the " + std::to_string(L::kMaxPages) +
                              " pages the prover supports");
    }
    imgs[i].present = true;
    imgs[i].pages = lim.min;
    imgs[i].max_pages = lim.has_max ? std::min(lim.max, L::kMaxPages) : L::kMaxPages;
  }
  for (size_t s = 0; s < m.datas.size(); ++s) {
    const wasm::DataSegment& d = m.datas[s];
    if (d.offset.kind != wasm::ConstExpr::Kind::kConst) {
      return unimplemented("zkwasm: data segment " + std::to_string(s) +
                           " is placed by an imported global");
    }
    if (d.memory >= imgs.size()) {
      return invalid_argument("zkwasm: data segment " + std::to_string(s) + " of memory " +
                              std::to_string(d.memory) + " of " + std::to_string(imgs.size()));
    }
    MemoryImage& img = imgs[d.memory];
    const uint64_t size = uint64_t(img.pages) * 65536;
    const uint64_t off = uint32_t(d.offset.value);
    if (off + d.bytes.size() > size) {
      return invalid_argument("zkwasm: data segment " + std::to_string(s) + " (" +
                              std::to_string(d.bytes.size()) + " bytes at " +
                              std::to_string(off) + ") lies outside the initial memory");
    }
    for (size_t k = 0; k < d.bytes.size(); ++k) {
      const uint64_t a = off + k;
      uint64_t& w = img.words[uint32_t(a >> 3)];
      const uint32_t sh = 8 * uint32_t(a & 7);
      w = (w & ~(uint64_t(0xFF) << sh)) | (uint64_t(d.bytes[k]) << sh);
    }
  }
  for (MemoryImage& img : imgs) {
    for (auto it = img.words.begin(); it != img.words.end();) {
      it = it->second == 0 ? img.words.erase(it) : std::next(it);
    }
  }
  return imgs;
}

namespace {

void range_check(TableAir& t, Expr v) { t.interact(L::kBusRange, t.constant(1), {v}); }

// Every op flag of the chip: the 21 memory ops, then host_read / host_write of 1..8 bytes
// (an output read is an unsigned load whose upper bytes are zero, an input write a store).
struct ChipFlag {
  uint32_t col;
  Op op;
  MemOpInfo info;
  bool host = false;
};
std::vector<ChipFlag> chip_flags() {
  std::vector<ChipFlag> v;
  for (uint32_t i = 0; i < L::kNumMemOps; ++i) {
    v.push_back({C::kFlags + i, L::kMemOps[i], mem_op_info(L::kMemOps[i]), false});
  }
  for (uint32_t w = 1; w <= 8; ++w) {
    MemOpInfo rd, wr;
    rd.width = wr.width = w;
    rd.is64 = true;
    wr.store = true;
    v.push_back({C::kHostRd + w - 1, Op::kHostRead, rd, true});
    v.push_back({C::kHostWr + w - 1, Op::kHostWrite, wr, true});
  }
  return v;
}

}  // namespace

TableAir memory_access_table() {
  TableAir t("mem_access", C::kWidth);
  auto c = [&](uint32_t col) { return t.main(col); };
  auto k = [&](uint64_t v) { return t.constant(v); };
  const Fp one = Fp::one(), k16 = Fp::from_u32(1u << 16), k8 = Fp::from_u32(256);
  const Expr real = c(C::kReal), step = c(C::kStep);
  t.assert_bool(real);

  // One-hot op flags on real rows; the op and its kind as the exec row states them.
  // st: wasm stores (as the exec row says); wr: every write of bytes (stores, input rows).
  Expr sum = k(0), op = k(0), st = k(0), wr = k(0), sgs = k(0), sz = k(0), gr = k(0), hn = k(0);
  const std::vector<ChipFlag> cflags = chip_flags();
  for (const ChipFlag& cf : cflags) {
    const Expr f = c(cf.col);
    t.assert_bool(f);
    sum = sum + f;
    op = op + f * Fp::from_u32(uint32_t(cf.op));
    if (cf.info.store && !cf.host) st = st + f;
    if (cf.info.store) wr = wr + f;
    if (cf.info.is_signed) sgs = sgs + f;
    if (cf.info.size) sz = sz + f;
    if (cf.info.grow) gr = gr + f;
    if (cf.host) hn = hn + f * Fp::from_u32(cf.info.width);
  }
  t.assert_zero(sum - real);
  const Expr acc = real - sz - gr;  // rows that access memory bytes
  Expr base[2], imm[2], val[4], vb[8], win[16], oh[8], wf[8];
  for (uint32_t j = 0; j < 2; ++j) base[j] = c(C::kBase + j), imm[j] = c(C::kImm + j);
  for (uint32_t j = 0; j < 4; ++j) val[j] = c(C::kVal + j);
  for (uint32_t j = 0; j < 8; ++j) vb[j] = c(C::kVb + j), oh[j] = c(C::kOh + j), wf[j] = c(C::kWf + j);
  for (uint32_t j = 0; j < 16; ++j) win[j] = c(C::kWin + j);
  const Expr kind = c(C::kKind), idx = c(C::kIdx);
  // An out-of-bounds trap row: a wasm load or store (the exec row's memory trap flag travels
  // with the store bit as st + 2 oob) that touches no word.
  const Expr oob = c(C::kOob);
  Expr wasm_acc = k(0);
  for (const ChipFlag& cf : cflags)
    if (cf.info.width && !cf.host) wasm_acc = wasm_acc + c(cf.col);
  t.assert_bool(oob);
  t.assert_zero(oob * (one - wasm_acc));
  // The memory id as the exec row sends it (its program row's imm_b2; zero on I/O rows):
  // the size cell and word keys below are memory mid's.
  const Expr mid = c(C::kMid);
  t.interact(L::kBusMemAccess, -real,
             {step, op, st + oob * Fp::from_u32(2), sz, base[0], base[1], imm[0], imm[1], val[0],
              val[1], val[2], val[3], hn, kind, idx, mid});

  // Width (one-hot 1..8, pinned per op) and offset in the word (one-hot 0..7).
  Expr wsum = k(0), width = k(0), osum = k(0), ohsum = k(0);
  for (uint32_t j = 0; j < 8; ++j) {
    t.assert_bool(wf[j]);
    t.assert_bool(oh[j]);
    wsum = wsum + wf[j];
    width = width + wf[j] * Fp::from_u32(j + 1);
    ohsum = ohsum + oh[j];
    osum = osum + oh[j] * Fp::from_u32(j);
  }
  t.assert_zero(wsum - acc);
  t.assert_zero(ohsum - acc);
  for (const ChipFlag& cf : cflags) {
    if (cf.info.width) t.assert_zero(c(cf.col) * (wf[cf.info.width - 1] - one));
  }

  // Effective address ea = base + offset = base0 + imm0 + 2^16 (base1 + imm1) with
  // base1 + imm1 < 2^14, so ea < 2^30 + 2^17 is exact; ea = 8 w + o with w < 2^27. In bounds:
  // pages * 2^16 - ea - width = s0 + 2^16 s1 < 2^29; a negative slack would be at least
  // p - 2^30 - 2^17 - 8 > 2^29 as a field element, since pages <= kMaxPages.
  const Expr e1 = c(C::kE1), w0 = c(C::kW0), w1 = c(C::kW1), pages = c(C::kPages);
  const Expr inb = acc - oob;  // in-bounds accesses
  t.assert_zero(inb * (e1 - base[1] - imm[1]));
  range_check(t, e1);
  range_check(t, e1 * Fp::from_u32(4));
  const Expr ea = base[0] + imm[0] + e1 * k16;
  range_check(t, w0);
  range_check(t, w1);
  range_check(t, w1 * Fp::from_u32(32));
  t.assert_zero(inb * (ea - (w0 + w1 * k16) * Fp::from_u32(8) - osum));
  const Expr s0 = c(C::kS0), s1 = c(C::kS1);
  t.assert_zero(inb * (pages * k16 - ea - width - s0 - s1 * k16));
  range_check(t, s0);
  range_check(t, s1);
  range_check(t, s1 * Fp::from_u32(8));
  // Out of bounds: ea + width > pages * 2^16 for ea = base + offset over the integers (below
  // 2^33, no wrap at 2^32). The low sum base0 + imm0 + width - 1 (< 2^17 + 8, exact) is
  // w0 + 2^16 w1 (w0 < 2^16, w1 < 2^11: unique), so ea + width - 1 = w0 + 2^16 (w1 + base1 +
  // imm1) and it reaches pages * 2^16 iff w1 + base1 + imm1 >= pages: that difference is
  // s0 + 2^16 s1 < 2^29, and a negative one (>= -kMaxPages) would be above p - 2^13.
  t.assert_zero(oob * (base[0] + imm[0] + width - one - w0 - w1 * k16));
  t.assert_zero(oob * (w1 + base[1] + imm[1] - pages - s0 - s1 * k16));
  // Two words when o + width > 8.
  Expr two = k(0);
  for (uint32_t wd = 1; wd <= 8; ++wd) {
    Expr late = k(0);
    for (uint32_t i = 9 - wd; i < 8; ++i) late = late + oh[i];
    if (wd > 1) two = two + wf[wd - 1] * late;
  }
  const Expr tw = c(C::kTw);
  t.assert_zero(tw - two);
  t.assert_zero(oob * tw);

  // Bytes: the window and the value split into bytes (the AND table holds byte pairs only).
  for (uint32_t l = 0; l < 8; ++l) {
    t.interact(L::kBusAnd, k(1), {win[2 * l], win[2 * l + 1], c(C::kWinAnd + l)});
  }
  for (uint32_t l = 0; l < 4; ++l) {
    t.interact(L::kBusAnd, k(1), {vb[2 * l], vb[2 * l + 1], c(C::kVbAnd + l)});
    t.assert_zero(val[l] - vb[2 * l] - vb[2 * l + 1] * k8);
  }

  // Loads: value byte j < width is window byte o + j; above, the sign fill (signed loads,
  // within the result type) or zero. The sign bit is bit 7 of the top byte: top AND 128.
  const Expr sgn = c(C::kSign), top = c(C::kTop);
  for (const ChipFlag& cf : cflags) {
    const MemOpInfo info = cf.info;
    if (!info.width || info.store) continue;
    const Expr f = c(cf.col);
    for (uint32_t j = 0; j < 8; ++j) {
      if (j < info.width) {
        Expr sel = k(0);
        for (uint32_t o = 0; o < 8; ++o) sel = sel + oh[o] * win[o + j];
        t.assert_zero(f * (vb[j] - sel));
      } else if (info.is_signed && (j < 4 || info.is64)) {
        t.assert_zero(f * (vb[j] - sgn * Fp::from_u32(255)));
      } else {
        t.assert_zero(f * vb[j]);
      }
    }
    if (info.is_signed) t.assert_zero(f * (top - vb[info.width - 1]));
  }
  t.interact(L::kBusAnd, sgs, {top, k(128), sgn * Fp::from_u32(128)});
  t.assert_zero((real - sgs) * sgn);

  // Stores: window byte b becomes value byte b - o where 0 <= b - o < width; the words' new
  // limbs. Other rows keep the words.
  Expr nwa[4], nwb[4];
  for (uint32_t l = 0; l < 4; ++l) nwa[l] = c(C::kNwa + l), nwb[l] = c(C::kNwb + l);
  for (const ChipFlag& cf : cflags) {
    const MemOpInfo info = cf.info;
    if (!info.store) continue;
    const Expr f = c(cf.col);
    auto new_byte = [&](uint32_t b) {
      Expr e = win[b];
      for (uint32_t j = 0; j < info.width; ++j) {
        if (b >= j && b - j < 8) e = e + oh[b - j] * (vb[j] - win[b]);
      }
      return e;
    };
    for (uint32_t l = 0; l < 4; ++l) {
      t.assert_zero(f * (nwa[l] - new_byte(2 * l) - new_byte(2 * l + 1) * k8));
      t.assert_zero(f * (nwb[l] - new_byte(8 + 2 * l) - new_byte(9 + 2 * l) * k8));
    }
  }
  for (uint32_t l = 0; l < 4; ++l) {
    t.assert_zero((acc - wr) * (nwa[l] - win[2 * l] - win[2 * l + 1] * k8));
    t.assert_zero((acc - wr) * (nwb[l] - win[8 + 2 * l] - win[9 + 2 * l] * k8));
  }
  // Host I/O: byte j of an input row is public input byte (kind, idx + j); byte j of an
  // output row is output byte idx + j, which the verifier receives.
  for (uint32_t j = 0; j < 8; ++j) {
    Expr in_m = k(0), out_m = k(0);
    for (const ChipFlag& cf : cflags) {
      if (!cf.host || cf.info.width <= j) continue;
      if (cf.info.store) {
        in_m = in_m + c(cf.col);
      } else {
        out_m = out_m + c(cf.col);
      }
    }
    t.interact(L::kBusInput, in_m, {kind, idx + Fp::from_u32(j), vb[j]});
    t.interact(L::kBusOutput, out_m, {idx + Fp::from_u32(j), vb[j]});
  }

  // memory.size: the pages. memory.grow by delta = base (i32) against the limit imm0: success
  // (g) needs delta < 2^16 (e = [delta1 = 0]) and pages + delta0 <= limit; failure needs
  // delta1 != 0 or pages + delta0 > limit (h = (1 - g) e). The result is the old size or -1.
  t.assert_zero(sz * (val[0] - pages));
  for (uint32_t j = 1; j < 4; ++j) t.assert_zero(sz * val[j]);
  const Expr g = c(C::kGrowOk), e = c(C::kGrowE), inv = c(C::kGrowInv), h = c(C::kGrowH);
  const Expr dd = c(C::kGrowD), npages = c(C::kNewPages);
  t.assert_bool(g);
  t.assert_zero(gr * (e - one + base[1] * inv));
  t.assert_zero(gr * e * base[1]);
  t.assert_zero(gr * g * (one - e));
  t.assert_zero(gr * g * (dd - (imm[0] - pages - base[0])));
  t.assert_zero(gr * (h - (one - g) * e));
  t.assert_zero(gr * h * (dd - (pages + base[0] - imm[0] - one)));
  range_check(t, dd);
  t.assert_zero(npages - pages - gr * g * base[0]);
  t.assert_zero(gr * (val[0] - g * pages - (one - g) * Fp::from_u32(0xFFFF)));
  t.assert_zero(gr * (val[1] - (one - g) * Fp::from_u32(0xFFFF)));
  t.assert_zero(gr * val[2]);
  t.assert_zero(gr * val[3]);

  // Accesses at timestamp 4 * step + 3 (the exec row's slots use + 0..2): the size cell, word
  // w and word w + 1.
  const Expr ts = step * Fp::from_u32(4) + Fp::from_u32(3);
  const Expr key_a = k(L::word_key(0)) + mid * Fp::from_u32(1u << L::kMemShift) + w0 + w1 * k16;
  auto limbs = [&](uint32_t first) {
    std::vector<Expr> v;
    for (uint32_t l = 0; l < 4; ++l) v.push_back(win[first + 2 * l] + win[first + 2 * l + 1] * k8);
    return v;
  };
  const std::vector<Expr> olda = limbs(0), oldb = limbs(8);
  struct Slot {
    Expr en, key;
    std::vector<Expr> old_v, new_v;
  };
  const Slot slots[C::kSlots] = {
      {real, k(L::kMemSizeKey) + mid, {pages, k(0), k(0), k(0)}, {npages, k(0), k(0), k(0)}},
      {inb, key_a, olda, {nwa[0], nwa[1], nwa[2], nwa[3]}},
      {tw, key_a + one, oldb, {nwb[0], nwb[1], nwb[2], nwb[3]}}};
  for (uint32_t s = 0; s < C::kSlots; ++s) {
    const Slot& sl = slots[s];
    const Expr pts = c(C::kPts + s), dlo = c(C::kDlo + s), dhi = c(C::kDhi + s);
    t.assert_zero(sl.en * (ts - pts - one - dlo - dhi * k16));
    range_check(t, dlo);
    range_check(t, dhi);
    range_check(t, dhi * Fp::from_u32(8));
    std::vector<Expr> rv = {sl.key, pts}, sv = {sl.key, ts};
    rv.insert(rv.end(), sl.old_v.begin(), sl.old_v.end());
    sv.insert(sv.end(), sl.new_v.begin(), sl.new_v.end());
    t.interact(L::kBusMemory, -sl.en, rv);
    t.interact(L::kBusMemory, sl.en, sv);
  }
  (void)t.finalize(3);
  return t;
}

static_assert(C::kWidth <= 192);

std::string MemChipBuilder::add(uint32_t step, Op op, uint32_t base, uint64_t imm_b,
                                uint64_t value, uint32_t ea, uint32_t host_n, uint32_t kind,
                                uint32_t idx, bool trap) {
  const bool host = op == Op::kHostRead || op == Op::kHostWrite;
  MemOpInfo info = mem_op_info(op);
  if (host) {
    info.width = std::clamp<uint32_t>(host_n, 1, 8);
    info.store = op == Op::kHostWrite;
    info.is64 = true;
  }
  const size_t at = rows_.size();
  rows_.resize(at + kW, Fp::zero());
  Fp* row = rows_.data() + at;
  auto set = [&](uint32_t col, uint64_t v) { row[col] = Fp::from_u64(v); };
  auto byte = [](uint64_t v, uint32_t j) { return uint32_t(v >> (8 * j)) & 255; };
  std::string err;
  set(C::kReal, 1);
  set(C::kStep, step);
  if (host) {
    set((info.store ? C::kHostWr : C::kHostRd) + info.width - 1, 1);
    set(C::kKind, kind);
    set(C::kIdx, idx);
  } else {
    set(C::kFlags + uint32_t(L::mem_op_index(op)), 1);
  }
  // Host rows send their address whole as the low "limb" (the chip's ea = 8 w + o pins it).
  set(C::kBase, host ? base : base & 0xFFFF);
  set(C::kBase + 1, host ? 0 : base >> 16);
  set(C::kImm, imm_b & 0xFFFF);
  set(C::kImm + 1, (imm_b >> 16) & 0xFFFF);
  for (uint32_t l = 0; l < 4; ++l) set(C::kVal + l, (value >> (16 * l)) & 0xFFFF);
  for (uint32_t j = 0; j < 8; ++j) set(C::kVb + j, byte(value, j));
  for (uint32_t l = 0; l < 4; ++l) ++and_mult_[byte(value, 2 * l) * 256 + byte(value, 2 * l + 1)];

  // The memory id: imm_b2 (program_imm_b); host I/O rows pass 0 (memory 0).
  const uint32_t mid = uint32_t(imm_b >> 32) & 0xFFFF;
  set(C::kMid, mid);
  MemCell& size_cell = cell(L::mem_size_key(mid));
  const uint32_t pages = uint32_t(size_cell.value);
  uint32_t new_pages = pages;
  set(C::kPages, pages);
  uint64_t e1 = 0, w = 0, slack = 0, grow_d = 0;
  uint64_t win[2] = {0, 0}, nw[2] = {0, 0};
  bool two = false, oob = false;
  const uint32_t ts = 4 * step + 3;
  if (info.width && !host) {
    // The access's end over the integers (base + offset < 2^33): past the memory, it traps.
    const uint64_t ea64 = uint64_t(base) + (imm_b & 0xFFFFFFFF);
    const bool beyond = ea64 + info.width > uint64_t(pages) * 65536;
    if (uint32_t(ea64) != ea) err = "effective address differs from base + offset";
    if (beyond && !trap && err.empty()) err = "an out-of-bounds access that does not trap";
    if (!beyond && trap && err.empty()) err = "the trace traps on an in-bounds access";
    oob = trap;  // trace-driven: a forged trap row fails the chip's range checks
  }
  if (oob) {
    const uint32_t wd = info.width;
    const uint64_t lo = (base & 0xFFFF) + (imm_b & 0xFFFF) + wd - 1;
    w = lo;  // w0 + 2^16 w1
    slack = (lo >> 16) + (base >> 16) + ((imm_b >> 16) & 0xFFFF) - pages;  // wraps if in bounds
    set(C::kOob, 1);
    set(C::kWf + wd - 1, 1);
    set(C::kOh, 1);
    set(C::kW0, w & 0xFFFF);
    set(C::kW1, w >> 16);
    set(C::kS0, slack & 0xFFFF);
    set(C::kS1, (slack >> 16) & 0xFFFF);
    // No word is read: the window is zero, a load's value too (the runtime writes none); a
    // store's new words are its bytes over zeros (unused, but constrained).
    uint8_t bytes[16] = {};
    if (info.store) {
      for (uint32_t j = 0; j < wd; ++j) bytes[j] = uint8_t(byte(value, j));
    } else if (value != 0 && err.empty()) {
      err = "a trapping load with a value";
    }
    if (info.is_signed) ++and_mult_[128];  // (top 0, 128, 0): the sign lookup of signed loads
    for (uint32_t j = 0; j < 16; ++j) nw[j / 8] |= uint64_t(bytes[j]) << (8 * (j % 8));
    nw[1] = 0;
    for (uint32_t l = 0; l < 4; ++l) {
      set(C::kNwa + l, (nw[0] >> (16 * l)) & 0xFFFF);
      set(C::kNwb + l, (nw[1] >> (16 * l)) & 0xFFFF);
    }
  } else if (info.width) {
    const uint32_t wd = info.width, o = ea & 7;
    w = ea >> 3;
    two = o + wd > 8;
    e1 = host ? 0 : (base >> 16) + ((imm_b >> 16) & 0xFFFF);
    slack = uint64_t(pages) * 65536 - uint64_t(ea) - wd;  // wraps when out of bounds
    set(C::kWf + wd - 1, 1);
    set(C::kOh + o, 1);
    set(C::kE1, e1);
    set(C::kW0, w & 0xFFFF);
    set(C::kW1, w >> 16);
    set(C::kS0, slack & 0xFFFF);
    set(C::kS1, (slack >> 16) & 0xFFFF);
    set(C::kTw, two);
    if (host && uint64_t(base) + (imm_b & 0xFFFFFFFF) != ea) {
      err = "effective address differs from base + offset";
    }
    win[0] = cell(L::word_key(uint32_t(w), mid)).value;
    if (two) win[1] = cell(L::word_key(uint32_t(w + 1), mid)).value;
    uint8_t bytes[16];
    for (uint32_t j = 0; j < 16; ++j) bytes[j] = uint8_t(byte(win[j / 8], j % 8));
    if (info.store) {
      for (uint32_t j = 0; j < wd; ++j) bytes[o + j] = uint8_t(byte(value, j));
    } else {
      uint64_t v = 0;
      for (uint32_t j = 0; j < wd; ++j) v |= uint64_t(bytes[o + j]) << (8 * j);
      const uint32_t bits = 8 * wd;
      if (info.is_signed && bits < 64 && (v >> (bits - 1)) & 1) v |= ~uint64_t(0) << bits;
      if (!info.is64) v = uint32_t(v);
      if (v != value && err.empty()) err = "loaded value differs from memory";
      if (info.is_signed) {
        const uint32_t tb = byte(value, wd - 1), sbit = tb >> 7;
        set(C::kTop, tb);
        set(C::kSign, sbit);
        ++and_mult_[tb * 256 + 128];
      }
    }
    for (uint32_t j = 0; j < 16; ++j) nw[j / 8] |= uint64_t(bytes[j]) << (8 * (j % 8));
    if (!two) nw[1] = 0;
    for (uint32_t j = 0; j < 16; ++j) set(C::kWin + j, byte(win[j / 8], j % 8));
    for (uint32_t l = 0; l < 4; ++l) {
      set(C::kNwa + l, (nw[0] >> (16 * l)) & 0xFFFF);
      set(C::kNwb + l, (nw[1] >> (16 * l)) & 0xFFFF);
    }
  } else if (info.size) {
    if (value != pages) err = "memory.size differs from the memory's size";
  } else {  // memory.grow
    const uint32_t limit = uint32_t(imm_b & 0xFFFF), d0 = base & 0xFFFF, d1 = base >> 16;
    const bool ok = uint32_t(value) != 0xFFFFFFFFu;  // trace-driven
    const bool e = d1 == 0, h = !ok && e;
    if (ok) new_pages = pages + d0;
    if (ok) grow_d = uint64_t(limit) - pages - d0;
    if (h) grow_d = uint64_t(pages) + d0 - limit - 1;
    set(C::kGrowOk, ok);
    set(C::kGrowE, e);
    row[C::kGrowInv] = e ? Fp::zero() : Fp::from_u32(d1).inverse();
    set(C::kGrowH, h);
    set(C::kGrowD, grow_d & 0xFFFF);
    const bool fits = uint64_t(pages) + base <= limit;
    const uint64_t want = fits ? pages : 0xFFFFFFFFull;
    if (value != want) err = "memory.grow result differs from the memory's size and limit";
  }
  set(C::kNewPages, new_pages);
  for (uint32_t l = 0; l < 8; ++l) {
    const uint32_t x = byte(win[l / 4], 2 * (l % 4)), y = byte(win[l / 4], 2 * (l % 4) + 1);
    set(C::kWinAnd + l, x & y);
    ++and_mult_[x * 256 + y];
  }
  for (uint32_t l = 0; l < 4; ++l) set(C::kVbAnd + l, byte(value, 2 * l) & byte(value, 2 * l + 1));
  for (uint64_t v : {e1, 4 * e1, w & 0xFFFF, w >> 16, 32 * (w >> 16), slack & 0xFFFF,
                     (slack >> 16) & 0xFFFF, 8 * ((slack >> 16) & 0xFFFF), grow_d & 0xFFFF}) {
    range(v);
  }
  // Accesses: size cell, word w, word w + 1.
  const bool en[C::kSlots] = {true, info.width != 0 && !oob, two};
  const uint32_t keys[C::kSlots] = {L::mem_size_key(mid), L::word_key(uint32_t(w), mid),
                                    L::word_key(uint32_t(w + 1), mid)};
  const uint64_t news[C::kSlots] = {new_pages, nw[0], nw[1]};
  for (uint32_t s = 0; s < C::kSlots; ++s) {
    if (!en[s]) {
      range_mult_[0] += 3;
      continue;
    }
    MemCell& c = cell(keys[s]);
    const uint32_t dd = ts - c.ts - 1;
    set(C::kPts + s, c.ts);
    set(C::kDlo + s, dd & 0xFFFF);
    set(C::kDhi + s, dd >> 16);
    range(dd);
    range(dd >> 16);
    range(8 * (dd >> 16));
    c.ts = ts;
    c.value = news[s];
  }
  return err;
}

std::vector<Fp> MemChipBuilder::take(uint32_t log_rows) {
  const size_t rows = size_t(1) << log_rows, n = this->rows();
  std::vector<Fp> cols(size_t(C::kWidth) * rows, Fp::zero());
  for (size_t r = 0; r < n; ++r)
    for (uint32_t col = 0; col < C::kWidth; ++col) cols[col * rows + r] = rows_[r * kW + col];
  // Padding rows: every lookup of a zero row is 0 or the byte pair (0, 0).
  range_mult_[0] += 18 * (rows - n);
  and_mult_[0] += 12 * (rows - n);
  rows_.clear();
  return cols;
}

}  // namespace efaas::zkwasm
