// Binary STARK proof format, version 3 (little-endian):
//   "EFSTARK1" magic, u32 version, FRI parameters (6 x u32: log blowup, queries, PoW bits, log
//   final polynomial length, log arity, and new in version 3 the Merkle hash: 0 Poseidon2,
//   1 BLAKE3), tables (u32 count, u32 log
//   heights), publics (u32 count, Fp...), main root, optional aux root (u8 flag), aux sums,
//   quotient root, per-table openings (7 Fp4 vectors), Merkle batch openings (fixed: flagged,
//   main, aux: flagged, quotient), FRI (commitments, layer openings, final polynomial, PoW).
// A batch opening: u32 queries, u8 1 then its shape once (u32 matrices, u32 width each) and
// the values alone (version 1 framed every row), or u8 0 then each query's rows framed; then
// the siblings. FRI layer rows leave out the value the verifier folds itself (fri.hpp).
// Field elements are canonical u32 (non-canonical values are rejected); every count is bounded
// before anything is allocated.
#include "prover/common/bytes.hpp"
#include "prover/stark/stark.hpp"

namespace efaas {

namespace {

constexpr std::string_view kMagic = "EFSTARK1";
constexpr uint32_t kVersion = 3;
constexpr uint32_t kMaxTables = 256;
constexpr uint32_t kMaxVector = 1u << 20;
constexpr uint32_t kMaxQueries = 4096;
constexpr uint32_t kMaxSiblings = 1u << 22;
constexpr uint32_t kMaxLayers = 32;

void put(ByteWriter& w, Fp x) { w.u32(x.to_canonical()); }
void put(ByteWriter& w, const Fp4& x) {
  for (Fp c : x.coeffs()) put(w, c);
}
void put(ByteWriter& w, const Digest& d) {
  for (Fp c : d) put(w, c);
}
template <typename T>
void put_vec(ByteWriter& w, const std::vector<T>& v) {
  w.u32(uint32_t(v.size()));
  for (const T& x : v) put(w, x);
}
// Every query opens rows of the same widths (one per committed matrix): the shape is written
// once, then the values alone. An opening whose queries differ in shape (only a hand-made one)
// is written query by query, flagged.
bool uniform_shape(const MerkleBatchOpening& o) {
  for (const auto& q : o.rows) {
    if (q.size() != o.rows[0].size()) return false;
    for (size_t m = 0; m < q.size(); ++m) {
      if (q[m].size() != o.rows[0][m].size()) return false;
    }
  }
  return true;
}
void put(ByteWriter& w, const MerkleBatchOpening& o) {
  w.u32(uint32_t(o.rows.size()));
  const bool uniform = uniform_shape(o);
  w.u8(uniform ? 1 : 0);
  if (uniform && !o.rows.empty()) {
    w.u32(uint32_t(o.rows[0].size()));
    for (const auto& row : o.rows[0]) w.u32(uint32_t(row.size()));
    for (const auto& q : o.rows) {
      for (const auto& row : q) {
        for (Fp x : row) put(w, x);
      }
    }
  } else if (!uniform) {
    for (const auto& q : o.rows) {
      w.u32(uint32_t(q.size()));
      for (const auto& row : q) put_vec(w, row);
    }
  }
  put_vec(w, o.siblings);
}

Status get(ByteReader& r, Fp& x, std::string_view what) {
  const size_t at = r.offset();
  uint32_t v;
  EFAAS_RETURN_IF_ERROR(r.u32(v, what));
  if (v >= Fp::kP) {
    return invalid_argument(std::string(what) + " at byte " + std::to_string(at) +
                            ": field element " + std::to_string(v) + " is not canonical");
  }
  x = Fp::from_canonical(v);
  return Status::ok();
}
Status get(ByteReader& r, Fp4& x, std::string_view what) {
  Fp c[4];
  for (auto& e : c) EFAAS_RETURN_IF_ERROR(get(r, e, what));
  x = Fp4(c[0], c[1], c[2], c[3]);
  return Status::ok();
}
Status get(ByteReader& r, Digest& d, std::string_view what) {
  for (auto& e : d) EFAAS_RETURN_IF_ERROR(get(r, e, what));
  return Status::ok();
}
template <typename T>
Status get_vec(ByteReader& r, std::vector<T>& v, uint32_t max, std::string_view what) {
  uint32_t n;
  EFAAS_RETURN_IF_ERROR(r.count(n, max, what));
  // Each element takes at least 4 bytes: a count beyond the input is truncation, not a reason
  // to allocate.
  if (size_t(n) * 4 > r.remaining()) {
    return data_loss(std::string(what) + ": " + std::to_string(n) + " elements announced, only " +
                     std::to_string(r.remaining()) + " bytes left");
  }
  v.resize(n);
  for (auto& x : v) EFAAS_RETURN_IF_ERROR(get(r, x, what));
  return Status::ok();
}
Status get(ByteReader& r, MerkleBatchOpening& o, std::string_view what) {
  uint32_t nq;
  EFAAS_RETURN_IF_ERROR(r.count(nq, kMaxQueries, what));
  uint8_t uniform;
  EFAAS_RETURN_IF_ERROR(r.u8(uniform, what));
  if (uniform > 1) return invalid_argument(std::string(what) + ": shape flag is not 0 or 1");
  o.rows.resize(nq);
  if (uniform && nq > 0) {
    uint32_t nm;
    EFAAS_RETURN_IF_ERROR(r.count(nm, kMaxTables, what));
    std::vector<uint32_t> widths(nm);
    size_t per_query = 0;
    for (auto& width : widths) {
      EFAAS_RETURN_IF_ERROR(r.count(width, kMaxVector, what));
      per_query += width;
    }
    // The values take 4 bytes each: more than the input holds is truncation, not a reason to
    // allocate.
    if (per_query * nq * 4 > r.remaining()) {
      return data_loss(std::string(what) + ": " + std::to_string(per_query * nq) +
                       " values announced, only " + std::to_string(r.remaining()) +
                       " bytes left");
    }
    for (auto& q : o.rows) {
      q.resize(nm);
      for (size_t m = 0; m < nm; ++m) {
        q[m].resize(widths[m]);
        for (Fp& x : q[m]) EFAAS_RETURN_IF_ERROR(get(r, x, what));
      }
    }
  } else if (!uniform) {
    for (auto& q : o.rows) {
      uint32_t nm;
      EFAAS_RETURN_IF_ERROR(r.count(nm, kMaxTables, what));
      q.resize(nm);
      for (auto& row : q) EFAAS_RETURN_IF_ERROR(get_vec(r, row, kMaxVector, what));
    }
  }
  return get_vec(r, o.siblings, kMaxSiblings, what);
}

}  // namespace

std::vector<uint8_t> serialize_proof(const StarkProof& p) {
  ByteWriter w;
  w.raw(kMagic);
  w.u32(kVersion);
  w.u32(p.params.log_blowup);
  w.u32(p.params.num_queries);
  w.u32(p.params.pow_bits);
  w.u32(p.params.log_final_poly_len);
  w.u32(p.params.log_arity);
  w.u32(uint32_t(p.params.merkle_hash));
  w.u32(uint32_t(p.log_heights.size()));
  for (uint32_t h : p.log_heights) w.u32(h);
  put_vec(w, p.publics);
  put(w, p.main_root);
  w.u8(p.aux_root ? 1 : 0);
  if (p.aux_root) put(w, *p.aux_root);
  put_vec(w, p.aux_sums);
  put(w, p.quotient_root);
  w.u32(uint32_t(p.openings.size()));
  for (const TableOpenings& o : p.openings) {
    for (auto* v : {&o.main, &o.main_next, &o.pre, &o.pre_next, &o.aux, &o.aux_next, &o.quotient}) {
      put_vec(w, *v);
    }
  }
  w.u8(p.pre_queries ? 1 : 0);
  if (p.pre_queries) put(w, *p.pre_queries);
  put(w, p.main_queries);
  w.u8(p.aux_queries ? 1 : 0);
  if (p.aux_queries) put(w, *p.aux_queries);
  put(w, p.quotient_queries);
  put_vec(w, p.fri.commitments);
  w.u32(uint32_t(p.fri.layer_openings.size()));
  for (const auto& o : p.fri.layer_openings) put(w, o);
  put_vec(w, p.fri.final_poly);
  put(w, p.fri.pow_witness);
  return w.take();
}

Result<StarkProof> deserialize_proof(std::span<const uint8_t> bytes) {
  ByteReader r(bytes);
  StarkProof p;
  EFAAS_RETURN_IF_ERROR(r.expect(kMagic, "proof header"));
  uint32_t version;
  EFAAS_RETURN_IF_ERROR(r.u32(version, "proof version"));
  if (version != kVersion) {
    return invalid_argument("proof version " + std::to_string(version) + " is not supported (this build reads " +
                            std::to_string(kVersion) + ")");
  }
  EFAAS_RETURN_IF_ERROR(r.u32(p.params.log_blowup, "FRI log_blowup"));
  EFAAS_RETURN_IF_ERROR(r.u32(p.params.num_queries, "FRI num_queries"));
  EFAAS_RETURN_IF_ERROR(r.u32(p.params.pow_bits, "FRI pow_bits"));
  EFAAS_RETURN_IF_ERROR(r.u32(p.params.log_final_poly_len, "FRI log_final_poly_len"));
  EFAAS_RETURN_IF_ERROR(r.u32(p.params.log_arity, "FRI log_arity"));
  uint32_t hash = 0;
  EFAAS_RETURN_IF_ERROR(r.u32(hash, "Merkle hash"));
  if (hash > kMaxMerkleHash) {
    return invalid_argument("Merkle hash " + std::to_string(hash) + " at byte " +
                            std::to_string(r.offset() - 4) + " is not 0 (poseidon2) or 1 (blake3)");
  }
  p.params.merkle_hash = MerkleHash(hash);
  EFAAS_RETURN_IF_ERROR(validate(p.params));
  uint32_t tables;
  EFAAS_RETURN_IF_ERROR(r.count(tables, kMaxTables, "table count"));
  p.log_heights.resize(tables);
  for (auto& h : p.log_heights) {
    EFAAS_RETURN_IF_ERROR(r.count(h, 27, "table log height"));
  }
  EFAAS_RETURN_IF_ERROR(get_vec(r, p.publics, kMaxVector, "public inputs"));
  EFAAS_RETURN_IF_ERROR(get(r, p.main_root, "main root"));
  uint8_t flag;
  EFAAS_RETURN_IF_ERROR(r.u8(flag, "aux flag"));
  if (flag > 1) return invalid_argument("aux flag is not 0 or 1");
  if (flag) {
    p.aux_root.emplace();
    EFAAS_RETURN_IF_ERROR(get(r, *p.aux_root, "aux root"));
  }
  EFAAS_RETURN_IF_ERROR(get_vec(r, p.aux_sums, kMaxTables, "LogUp sums"));
  EFAAS_RETURN_IF_ERROR(get(r, p.quotient_root, "quotient root"));
  uint32_t nopen;
  EFAAS_RETURN_IF_ERROR(r.count(nopen, kMaxTables, "opening count"));
  p.openings.resize(nopen);
  for (TableOpenings& o : p.openings) {
    for (auto* v : {&o.main, &o.main_next, &o.pre, &o.pre_next, &o.aux, &o.aux_next, &o.quotient}) {
      EFAAS_RETURN_IF_ERROR(get_vec(r, *v, kMaxVector, "out-of-domain openings"));
    }
  }
  EFAAS_RETURN_IF_ERROR(r.u8(flag, "fixed openings flag"));
  if (flag > 1) return invalid_argument("fixed openings flag is not 0 or 1");
  if (flag) {
    p.pre_queries.emplace();
    EFAAS_RETURN_IF_ERROR(get(r, *p.pre_queries, "fixed-column query openings"));
  }
  EFAAS_RETURN_IF_ERROR(get(r, p.main_queries, "main query openings"));
  EFAAS_RETURN_IF_ERROR(r.u8(flag, "aux openings flag"));
  if (flag > 1) return invalid_argument("aux openings flag is not 0 or 1");
  if (flag) {
    p.aux_queries.emplace();
    EFAAS_RETURN_IF_ERROR(get(r, *p.aux_queries, "aux query openings"));
  }
  EFAAS_RETURN_IF_ERROR(get(r, p.quotient_queries, "quotient query openings"));
  EFAAS_RETURN_IF_ERROR(get_vec(r, p.fri.commitments, kMaxLayers, "FRI commitments"));
  uint32_t layers;
  EFAAS_RETURN_IF_ERROR(r.count(layers, kMaxLayers, "FRI layer count"));
  p.fri.layer_openings.resize(layers);
  for (auto& o : p.fri.layer_openings) EFAAS_RETURN_IF_ERROR(get(r, o, "FRI layer openings"));
  EFAAS_RETURN_IF_ERROR(get_vec(r, p.fri.final_poly, 1u << 16, "FRI final polynomial"));
  EFAAS_RETURN_IF_ERROR(get(r, p.fri.pow_witness, "proof-of-work witness"));
  EFAAS_RETURN_IF_ERROR(r.finish("proof"));
  return p;
}

std::vector<ProofSizePart> proof_size_breakdown(const StarkProof& p, const air::MachineAir* machine) {
  std::vector<ProofSizePart> parts;
  size_t listed = 0;
  auto add = [&](std::string name, int table, size_t bytes) {
    listed += bytes;
    parts.push_back({std::move(name), table, bytes});
  };
  auto opening_bytes = [](const MerkleBatchOpening& o) {
    ByteWriter w;
    put(w, o);
    return w.buffer().size();
  };
  // One tree's openings: values per matrix (the table it belongs to), siblings, framing.
  auto tree = [&](const std::string& name, const MerkleBatchOpening& o,
                  const std::vector<int>& matrix_table) {
    size_t values = 0;
    std::vector<size_t> per_matrix;
    for (const auto& q : o.rows) {
      if (per_matrix.size() < q.size()) per_matrix.resize(q.size());
      for (size_t m = 0; m < q.size(); ++m) per_matrix[m] += 4 * q[m].size();
    }
    for (size_t m = 0; m < per_matrix.size(); ++m) {
      values += per_matrix[m];
      const int t = m < matrix_table.size() ? matrix_table[m] : -1;
      add(name + " query values", t, per_matrix[m]);
    }
    const size_t sib = 4 + sizeof(Digest) * o.siblings.size();
    add(name + " siblings", -1, sib);
    add(name + " framing", -1, opening_bytes(o) - values - sib);
  };
  std::vector<int> all, pre, aux;
  for (size_t t = 0; t < p.log_heights.size(); ++t) all.push_back(int(t));
  if (machine != nullptr) {
    for (size_t t = 0; t < machine->tables.size(); ++t) {
      if (machine->tables[t].pre_width() > 0) pre.push_back(int(t));
      if (machine->tables[t].uses_logup()) aux.push_back(int(t));
    }
  }
  for (size_t t = 0; t < p.openings.size(); ++t) {
    const TableOpenings& o = p.openings[t];
    auto vec = [](const std::vector<Fp4>& v) { return 4 + sizeof(uint32_t) * 4 * v.size(); };
    add("ood main", int(t), vec(o.main) + vec(o.main_next));
    add("ood fixed", int(t), vec(o.pre) + vec(o.pre_next));
    add("ood aux", int(t), vec(o.aux) + vec(o.aux_next));
    add("ood quotient", int(t), vec(o.quotient));
  }
  if (p.pre_queries) tree("fixed", *p.pre_queries, pre);
  tree("main", p.main_queries, all);
  if (p.aux_queries) tree("aux", *p.aux_queries, aux);
  tree("quotient", p.quotient_queries, all);
  add("fri commitments", -1, 4 + sizeof(Digest) * p.fri.commitments.size());
  for (size_t r = 0; r < p.fri.layer_openings.size(); ++r) {
    tree("fri layer " + std::to_string(r), p.fri.layer_openings[r], {});
  }
  add("fri final polynomial", -1, 4 + 16 * p.fri.final_poly.size());
  const size_t total = serialize_proof(p).size();
  // Magic, version, parameters, heights, publics, roots, LogUp sums, counts and flags.
  parts.insert(parts.begin(), ProofSizePart{"header, publics, roots, sums, PoW", -1, total - listed});
  return parts;
}

}  // namespace efaas
