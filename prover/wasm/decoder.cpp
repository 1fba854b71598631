// The module-level decoder: sections in order, each checked against its declared size, then
// module-level validation and compilation of every function body.
#include <cstring>
#include <set>

#include "prover/wasm/compiler.hpp"
#include "prover/wasm/module.hpp"
#include "prover/wasm/reader.hpp"

namespace efaas::wasm {

const char* val_type_name(ValType t) {
  switch (t) {
    case ValType::kI32:
      return "i32";
    case ValType::kI64:
      return "i64";
  }
  return "?";
}

std::string func_type_string(const FuncType& t) {
  std::string s = "(";
  for (size_t i = 0; i < t.params.size(); ++i)
    s += (i ? " " : "") + std::string(val_type_name(t.params[i]));
  s += ") -> (";
  for (size_t i = 0; i < t.results.size(); ++i)
    s += (i ? " " : "") + std::string(val_type_name(t.results[i]));
  return s + ")";
}

const char* extern_kind_name(ExternKind k) {
  switch (k) {
    case ExternKind::kFunc:
      return "func";
    case ExternKind::kTable:
      return "table";
    case ExternKind::kMemory:
      return "memory";
    case ExternKind::kGlobal:
      return "global";
  }
  return "?";
}

const Export* Module::find_export(std::string_view name) const {
  for (const Export& e : exports) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

namespace {

constexpr uint32_t kMaxPages = 65536;

Status invalid_at(const std::string& msg, size_t offset) {
  return invalid_argument("invalid: " + msg + " at byte offset " + std::to_string(offset));
}

Status float_type_at(uint8_t b, size_t offset) {
  return out_of_range(std::string("floating point is not supported: value type ") +
                      (b == 0x7D ? "f32" : "f64") + " at byte offset " + std::to_string(offset));
}

Status read_val_type(Reader& r, ValType& out) {
  const size_t at = r.pos();
  uint8_t b = 0;
  EFAAS_RETURN_IF_ERROR(r.u8(b, "value type"));
  if (b == 0x7F || b == 0x7E) {
    out = ValType(b);
    return Status::ok();
  }
  if (b == 0x7D || b == 0x7C) return float_type_at(b, at);
  return Reader::malformed_at("invalid value type " + std::to_string(b), at);
}

Status read_limits(Reader& r, Limits& out, bool is_memory) {
  const size_t at = r.pos();
  uint8_t flag = 0;
  EFAAS_RETURN_IF_ERROR(r.u8(flag, "limits flag"));
  if (flag > 1) return Reader::malformed_at("integer too large (limits flag)", at);
  EFAAS_RETURN_IF_ERROR(r.u32(out.min, "limits minimum"));
  out.has_max = flag == 1;
  if (out.has_max) EFAAS_RETURN_IF_ERROR(r.u32(out.max, "limits maximum"));
  if (is_memory) {
    if (out.min > kMaxPages)
      return invalid_at("memory size must be at most 65536 pages (4GiB)", at);
    if (out.has_max && out.max > kMaxPages) {
      return invalid_at("memory size must be at most 65536 pages (4GiB)", at);
    }
  }
  if (out.has_max && out.max < out.min) {
    return invalid_at("size minimum must not be greater than maximum", at);
  }
  return Status::ok();
}

Status read_table_type(Reader& r, Limits& out) {
  const size_t at = r.pos();
  uint8_t elem = 0;
  EFAAS_RETURN_IF_ERROR(r.u8(elem, "table element type"));
  if (elem != 0x70) return Reader::malformed_at("malformed element type (expected funcref)", at);
  return read_limits(r, out, false);
}

Status read_global_type(Reader& r, GlobalType& out) {
  EFAAS_RETURN_IF_ERROR(read_val_type(r, out.type));
  const size_t at = r.pos();
  uint8_t mut = 0;
  EFAAS_RETURN_IF_ERROR(r.u8(mut, "global mutability"));
  if (mut > 1) return Reader::malformed_at("malformed mutability", at);
  out.is_mutable = mut == 1;
  return Status::ok();
}

// A constant expression of type `type`: one i32.const / i64.const / global.get (of an immutable
// imported global), then end.
Status read_const_expr(Reader& r, const Module& m, ValType type, ConstExpr& out) {
  const size_t start = r.pos();
  int count = 0;
  ValType got = ValType::kI32;
  for (;;) {
    const size_t at = r.pos();
    uint8_t op = 0;
    EFAAS_RETURN_IF_ERROR(r.u8(op, "constant expression"));
    if (op == 0x0B) break;
    ++count;
    if (op == 0x41) {
      int32_t v = 0;
      EFAAS_RETURN_IF_ERROR(r.s32(v, "i32 constant"));
      out = {ConstExpr::Kind::kConst, uint64_t(uint32_t(v)), 0};
      got = ValType::kI32;
    } else if (op == 0x42) {
      int64_t v = 0;
      EFAAS_RETURN_IF_ERROR(r.s64(v, "i64 constant"));
      out = {ConstExpr::Kind::kConst, uint64_t(v), 0};
      got = ValType::kI64;
    } else if (op == 0x23) {
      uint32_t gi = 0;
      EFAAS_RETURN_IF_ERROR(r.u32(gi, "global index"));
      if (gi >= m.num_imported_globals) {
        return invalid_at("unknown global " + std::to_string(gi) +
                              " (constant expressions may read imported globals only)",
                          at);
      }
      if (m.global_types[gi].is_mutable) {
        return invalid_at("constant expression required (global.get of a mutable global)", at);
      }
      out = {ConstExpr::Kind::kGlobal, 0, gi};
      got = m.global_types[gi].type;
    } else if (op == 0x43 || op == 0x44) {
      return out_of_range(std::string("floating point is not supported: opcode ") +
                          (op == 0x43 ? "f32.const" : "f64.const") + " at byte offset " +
                          std::to_string(at));
    } else {
      return invalid_at("constant expression required", at);
    }
  }
  if (count != 1 || got != type) {
    return invalid_at("type mismatch in constant expression (expected one " +
                          std::string(val_type_name(type)) + ")",
                      start);
  }
  return Status::ok();
}

class Decoder {
 public:
  Decoder(std::span<const uint8_t> bytes, const LoadOptions& o) : bytes_(bytes), opts_(o) {}
  Result<std::shared_ptr<const Module>> run();

 private:
  Status section(uint8_t id, Reader& r);
  Status type_section(Reader& r);
  Status import_section(Reader& r);
  Status function_section(Reader& r);
  Status table_section(Reader& r);
  Status memory_section(Reader& r);
  Status global_section(Reader& r);
  Status export_section(Reader& r);
  Status start_section(Reader& r);
  Status elem_section(Reader& r);
  Status code_section(Reader& r);
  Status data_section(Reader& r);
  Status count(Reader& r, uint32_t& n, const char* what) {
    EFAAS_RETURN_IF_ERROR(r.u32(n, what));
    // Every entry takes at least one byte: a larger count is a truncated section.
    if (n > r.remaining())
      return r.malformed(std::string("unexpected end: ") + what + " too large");
    return Status::ok();
  }

  std::span<const uint8_t> bytes_;
  const LoadOptions& opts_;
  std::shared_ptr<Module> m_ = std::make_shared<Module>();
  uint32_t declared_funcs_ = 0;
  bool saw_function_section_ = false;
  bool saw_code_section_ = false;
};

Status Decoder::type_section(Reader& r) {
  uint32_t n = 0;
  EFAAS_RETURN_IF_ERROR(count(r, n, "type count"));
  for (uint32_t i = 0; i < n; ++i) {
    const size_t at = r.pos();
    uint8_t form = 0;
    EFAAS_RETURN_IF_ERROR(r.u8(form, "function type"));
    if (form != 0x60) return Reader::malformed_at("malformed function type (expected 0x60)", at);
    FuncType t;
    uint32_t np = 0, nr = 0;
    EFAAS_RETURN_IF_ERROR(count(r, np, "parameter count"));
    t.params.resize(np);
    for (auto& p : t.params) EFAAS_RETURN_IF_ERROR(read_val_type(r, p));
    EFAAS_RETURN_IF_ERROR(count(r, nr, "result count"));
    t.results.resize(nr);
    for (auto& p : t.results) EFAAS_RETURN_IF_ERROR(read_val_type(r, p));
    if (nr > 1)
      return invalid_at("invalid result arity: multiple return values are not supported", at);
    m_->types.push_back(std::move(t));
  }
  return Status::ok();
}

Status Decoder::import_section(Reader& r) {
  uint32_t n = 0;
  EFAAS_RETURN_IF_ERROR(count(r, n, "import count"));
  for (uint32_t i = 0; i < n; ++i) {
    Import im;
    EFAAS_RETURN_IF_ERROR(r.name(im.module, "import module name"));
    EFAAS_RETURN_IF_ERROR(r.name(im.name, "import field name"));
    const size_t at = r.pos();
    uint8_t kind = 0;
    EFAAS_RETURN_IF_ERROR(r.u8(kind, "import kind"));
    switch (kind) {
      case 0:
        EFAAS_RETURN_IF_ERROR(r.u32(im.type_index, "import type index"));
        if (im.type_index >= m_->types.size()) {
          return invalid_at("unknown type " + std::to_string(im.type_index), at);
        }
        m_->func_type_index.push_back(im.type_index);
        ++m_->num_imported_funcs;
        break;
      case 1:
        EFAAS_RETURN_IF_ERROR(read_table_type(r, im.limits));
        m_->tables.push_back(im.limits);
        m_->table_imported = true;
        if (m_->tables.size() > 1) return invalid_at("multiple tables", at);
        break;
      case 2:
        EFAAS_RETURN_IF_ERROR(read_limits(r, im.limits, true));
        m_->memories.push_back(im.limits);
        m_->memory_imported = true;
        if (m_->memories.size() > 1) return invalid_at("multiple memories", at);
        break;
      case 3:
        EFAAS_RETURN_IF_ERROR(read_global_type(r, im.global));
        m_->global_types.push_back(im.global);
        ++m_->num_imported_globals;
        break;
      default:
        return Reader::malformed_at("malformed import kind " + std::to_string(kind), at);
    }
    im.kind = ExternKind(kind);
    m_->imports.push_back(std::move(im));
  }
  return Status::ok();
}

Status Decoder::function_section(Reader& r) {
  uint32_t n = 0;
  EFAAS_RETURN_IF_ERROR(count(r, n, "function count"));
  if (n > opts_.max_functions) return out_of_range("too many functions: " + std::to_string(n));
  saw_function_section_ = true;
  declared_funcs_ = n;
  for (uint32_t i = 0; i < n; ++i) {
    const size_t at = r.pos();
    uint32_t ti = 0;
    EFAAS_RETURN_IF_ERROR(r.u32(ti, "function type index"));
    if (ti >= m_->types.size()) return invalid_at("unknown type " + std::to_string(ti), at);
    m_->func_type_index.push_back(ti);
    Function f;
    f.type_index = ti;
    m_->funcs.push_back(std::move(f));
  }
  return Status::ok();
}

Status Decoder::table_section(Reader& r) {
  uint32_t n = 0;
  EFAAS_RETURN_IF_ERROR(count(r, n, "table count"));
  for (uint32_t i = 0; i < n; ++i) {
    const size_t at = r.pos();
    Limits l;
    EFAAS_RETURN_IF_ERROR(read_table_type(r, l));
    m_->tables.push_back(l);
    if (m_->tables.size() > 1) return invalid_at("multiple tables", at);
  }
  return Status::ok();
}

Status Decoder::memory_section(Reader& r) {
  uint32_t n = 0;
  EFAAS_RETURN_IF_ERROR(count(r, n, "memory count"));
  for (uint32_t i = 0; i < n; ++i) {
    const size_t at = r.pos();
    Limits l;
    EFAAS_RETURN_IF_ERROR(read_limits(r, l, true));
    m_->memories.push_back(l);
    if (m_->memories.size() > 1) return invalid_at("multiple memories", at);
  }
  return Status::ok();
}

Status Decoder::global_section(Reader& r) {
  uint32_t n = 0;
  EFAAS_RETURN_IF_ERROR(count(r, n, "global count"));
  for (uint32_t i = 0; i < n; ++i) {
    GlobalType g;
    EFAAS_RETURN_IF_ERROR(read_global_type(r, g));
    ConstExpr init;
    EFAAS_RETURN_IF_ERROR(read_const_expr(r, *m_, g.type, init));
    m_->global_types.push_back(g);
    m_->global_inits.push_back(init);
  }
  return Status::ok();
}

Status Decoder::export_section(Reader& r) {
  uint32_t n = 0;
  EFAAS_RETURN_IF_ERROR(count(r, n, "export count"));
  std::set<std::string> names;
  for (uint32_t i = 0; i < n; ++i) {
    const size_t at = r.pos();
    Export e;
    EFAAS_RETURN_IF_ERROR(r.name(e.name, "export name"));
    const size_t kat = r.pos();
    uint8_t kind = 0;
    EFAAS_RETURN_IF_ERROR(r.u8(kind, "export kind"));
    if (kind > 3) return Reader::malformed_at("malformed export kind " + std::to_string(kind), kat);
    e.kind = ExternKind(kind);
    EFAAS_RETURN_IF_ERROR(r.u32(e.index, "export index"));
    size_t limit = 0;
    switch (e.kind) {
      case ExternKind::kFunc:
        limit = m_->func_type_index.size();
        break;
      case ExternKind::kTable:
        limit = m_->tables.size();
        break;
      case ExternKind::kMemory:
        limit = m_->memories.size();
        break;
      case ExternKind::kGlobal:
        limit = m_->global_types.size();
        break;
    }
    if (e.index >= limit) {
      return invalid_at(std::string("unknown ") + extern_kind_name(e.kind) + " " +
                            std::to_string(e.index) + " (export \"" + e.name + "\")",
                        at);
    }
    if (!names.insert(e.name).second)
      return invalid_at("duplicate export name \"" + e.name + "\"", at);
    m_->exports.push_back(std::move(e));
  }
  return Status::ok();
}

Status Decoder::start_section(Reader& r) {
  const size_t at = r.pos();
  uint32_t fi = 0;
  EFAAS_RETURN_IF_ERROR(r.u32(fi, "start function"));
  if (fi >= m_->func_type_index.size())
    return invalid_at("unknown function " + std::to_string(fi), at);
  const FuncType& t = m_->func_type(fi);
  if (!t.params.empty() || !t.results.empty()) {
    return invalid_at("start function must have type () -> ()", at);
  }
  m_->start = fi;
  return Status::ok();
}

Status Decoder::elem_section(Reader& r) {
  uint32_t n = 0;
  EFAAS_RETURN_IF_ERROR(count(r, n, "element segment count"));
  for (uint32_t i = 0; i < n; ++i) {
    const size_t at = r.pos();
    uint32_t table = 0;
    EFAAS_RETURN_IF_ERROR(r.u32(table, "table index"));
    if (table != 0 || m_->tables.empty())
      return invalid_at("unknown table " + std::to_string(table), at);
    ElemSegment seg;
    EFAAS_RETURN_IF_ERROR(read_const_expr(r, *m_, ValType::kI32, seg.offset));
    uint32_t k = 0;
    EFAAS_RETURN_IF_ERROR(count(r, k, "element count"));
    seg.funcs.resize(k);
    for (auto& f : seg.funcs) {
      const size_t fat = r.pos();
      EFAAS_RETURN_IF_ERROR(r.u32(f, "element function index"));
      if (f >= m_->func_type_index.size())
        return invalid_at("unknown function " + std::to_string(f), fat);
    }
    m_->elems.push_back(std::move(seg));
  }
  return Status::ok();
}

Status Decoder::code_section(Reader& r) {
  uint32_t n = 0;
  EFAAS_RETURN_IF_ERROR(count(r, n, "code count"));
  saw_code_section_ = true;
  if (n != declared_funcs_) {
    return r.malformed("function and code section have inconsistent lengths (" +
                       std::to_string(declared_funcs_) + " functions, " + std::to_string(n) +
                       " bodies)");
  }
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t size = 0;
    EFAAS_RETURN_IF_ERROR(r.u32(size, "function body size"));
    Reader body(nullptr, 0, 0);
    EFAAS_RETURN_IF_ERROR(r.sub(size, body, "function body"));
    Function& f = m_->funcs[i];
    f.body_offset = uint32_t(body.pos());
    uint32_t groups = 0;
    EFAAS_RETURN_IF_ERROR(body.u32(groups, "local declaration count"));
    uint64_t total = m_->types[f.type_index].params.size();
    for (uint32_t g = 0; g < groups; ++g) {
      const size_t at = body.pos();
      uint32_t cnt = 0;
      EFAAS_RETURN_IF_ERROR(body.u32(cnt, "local count"));
      ValType t;
      EFAAS_RETURN_IF_ERROR(read_val_type(body, t));
      total += cnt;
      if (total > opts_.max_locals_per_function) {
        return Reader::malformed_at(
            "too many locals (limit " + std::to_string(opts_.max_locals_per_function) + ")", at);
      }
      f.locals.insert(f.locals.end(), cnt, t);
    }
    f.num_locals = uint32_t(total);
    EFAAS_RETURN_IF_ERROR(compile_function(*m_, i, body, opts_, *m_));
  }
  return Status::ok();
}

Status Decoder::data_section(Reader& r) {
  uint32_t n = 0;
  EFAAS_RETURN_IF_ERROR(count(r, n, "data segment count"));
  for (uint32_t i = 0; i < n; ++i) {
    const size_t at = r.pos();
    uint32_t mem = 0;
    EFAAS_RETURN_IF_ERROR(r.u32(mem, "memory index"));
    if (mem != 0 || m_->memories.empty())
      return invalid_at("unknown memory " + std::to_string(mem), at);
    DataSegment seg;
    EFAAS_RETURN_IF_ERROR(read_const_expr(r, *m_, ValType::kI32, seg.offset));
    uint32_t len = 0;
    EFAAS_RETURN_IF_ERROR(r.u32(len, "data segment size"));
    const size_t start = r.pos();
    EFAAS_RETURN_IF_ERROR(r.skip(len, "data segment"));
    seg.bytes.assign(bytes_.data() + start, bytes_.data() + start + len);
    m_->datas.push_back(std::move(seg));
  }
  return Status::ok();
}

Status Decoder::section(uint8_t id, Reader& r) {
  switch (id) {
    case 1:
      return type_section(r);
    case 2:
      return import_section(r);
    case 3:
      return function_section(r);
    case 4:
      return table_section(r);
    case 5:
      return memory_section(r);
    case 6:
      return global_section(r);
    case 7:
      return export_section(r);
    case 8:
      return start_section(r);
    case 9:
      return elem_section(r);
    case 10:
      return code_section(r);
    case 11:
      return data_section(r);
  }
  return Status::ok();
}

Result<std::shared_ptr<const Module>> Decoder::run() {
  Reader r(bytes_.data(), 0, bytes_.size());
  static const uint8_t kMagic[4] = {0x00, 0x61, 0x73, 0x6D};
  static const uint8_t kVersion[4] = {0x01, 0x00, 0x00, 0x00};
  if (bytes_.size() < 4 || std::memcmp(bytes_.data(), kMagic, 4) != 0) {
    return Reader::malformed_at("magic header not detected (expected \\0asm)", 0);
  }
  if (bytes_.size() < 8 || std::memcmp(bytes_.data() + 4, kVersion, 4) != 0) {
    return Reader::malformed_at("unknown binary version (expected 1)", 4);
  }
  EFAAS_RETURN_IF_ERROR(r.skip(8, "header"));
  uint8_t last_id = 0;
  while (!r.at_end()) {
    const size_t at = r.pos();
    uint8_t id = 0;
    EFAAS_RETURN_IF_ERROR(r.u8(id, "section id"));
    if (id > 11) return Reader::malformed_at("malformed section id " + std::to_string(id), at);
    uint32_t size = 0;
    EFAAS_RETURN_IF_ERROR(r.u32(size, "section size"));
    Reader body(nullptr, 0, 0);
    if (size > r.remaining()) {
      return r.malformed("unexpected end: section " + std::to_string(id) + " declares " +
                         std::to_string(size) + " bytes, " + std::to_string(r.remaining()) +
                         " remain");
    }
    EFAAS_RETURN_IF_ERROR(r.sub(size, body, "section"));
    if (id == 0) {
      std::string name;
      EFAAS_RETURN_IF_ERROR(body.name(name, "custom section name"));
      continue;
    }
    if (id <= last_id) {
      return Reader::malformed_at(
          "junk after last section or section out of order (id " + std::to_string(id) + ")", at);
    }
    last_id = id;
    EFAAS_RETURN_IF_ERROR(section(id, body));
    if (!body.at_end()) {
      return body.malformed("section size mismatch (section " + std::to_string(id) + ")");
    }
  }
  if (declared_funcs_ > 0 && !saw_code_section_) {
    return Reader::malformed_at("function and code section have inconsistent lengths",
                                bytes_.size());
  }
  (void)saw_function_section_;
  // Canonical type ids, so call_indirect compares types by one integer.
  for (size_t i = 0; i < m_->types.size(); ++i) {
    size_t c = i;
    for (size_t j = 0; j < i; ++j) {
      if (m_->types[j] == m_->types[i]) {
        c = j;
        break;
      }
    }
    m_->canonical_type.push_back(uint32_t(c));
  }
  return std::shared_ptr<const Module>(std::move(m_));
}

}  // namespace

Result<std::shared_ptr<const Module>> load_module(std::span<const uint8_t> bytes,
                                                  const LoadOptions& options) {
  Decoder d(bytes, options);
  return d.run();
}

}  // namespace efaas::wasm
