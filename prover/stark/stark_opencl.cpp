#include "prover/stark/stark_opencl.hpp"

#include <algorithm>
#include <string>

#include "kernels/opencl/opencl_sources.hpp"
#include "prover/air/opencl_codegen.hpp"
#include "prover/fri/fri.hpp"
#include "prover/ntt/ntt_opencl.hpp"

namespace efaas::stark_internal {

namespace {

constexpr const char* kOptions = "-cl-std=CL1.2";

Result<const OpenClProgram*> stark_program(OpenClDevice& dev) {
  static const std::string source = with_babybear(field4_source, stark_source);  // built once
  return dev.program("kernels/opencl/stark.cl", source,
                     kOptions);
}

// Kernel arguments must be buffers even when a table has no such data: a one-element stand-in.
template <typename T>
Result<OpenClBuffer> upload_or_dummy(OpenClDevice& dev, std::span<const T> data) {
  if (!data.empty()) return dev.upload(data);
  const T zero{};
  return dev.upload(std::span<const T>(&zero, 1));
}

}  // namespace

Result<DeviceMatrix> opencl_trace_lde(OpenClDevice& dev, std::span<const Fp> trace, size_t cols,
                                      uint32_t log_n, uint32_t log_blowup) {
  const size_t n = size_t(1) << log_n;
  if (cols == 0 || trace.size() != cols * n) {
    return invalid_argument("opencl trace lde: " + std::to_string(trace.size()) +
                            " elements are not " + std::to_string(cols) + " columns of 2^" +
                            std::to_string(log_n));
  }
  Result<OpenClBuffer> in = dev.upload(trace);
  if (!in) return in.status();
  DeviceMatrix m;
  m.rows = n << log_blowup;
  m.cols = cols;
  Result<OpenClBuffer> out = dev.alloc(m.rows * cols * sizeof(Fp));
  if (!out) return out.status();
  m.buffer = std::move(*out);
  LdeSpec spec;
  spec.log_n = log_n;
  spec.log_blowup = log_blowup;
  spec.output_order = Order::kBitReversed;
  spec.output_shift = fri_domain_shift();
  EFAAS_RETURN_IF_ERROR(opencl_lde_device(*in, m.buffer, cols, spec));
  return m;
}

Result<QuotientProgram> quotient_program(OpenClDevice& dev, const air::TableAir& table,
                                         size_t max_nodes_per_kernel) {
  air::QuotientKernels k = air::opencl_quotient_kernels(table, max_nodes_per_kernel);
  std::string src = with_babybear(field4_source, stark_source);
  src += "\n";
  src += k.source;
  // Built with the optimizer on every device: split into parts, PoCL optimizes the zkWASM exec
  // table's kernels in about 43 CPU-s (one unsplit kernel: minutes), and the optimized code
  // evaluates it 5.5x faster than -cl-opt-disable (bench/RESULTS.md, session 9).
  Result<const OpenClProgram*> prog =
      dev.program("quotient of table " + table.name(), src, kOptions);
  if (!prog) return prog.status();
  return QuotientProgram{*prog, k.parts};
}

Result<OpenClBuffer> opencl_quotient_values(OpenClDevice& dev, const air::TableAir& table,
                                            const QuotientEvalArgs& a) {
  const size_t qn = size_t(1) << a.log_qn;
  const char* op = "opencl quotient";
  if (a.main == nullptr) return invalid_argument(std::string(op) + ": no main trace");
  for (const DeviceMatrix* m : {a.main, a.pre, a.aux}) {
    if (m != nullptr && (m->rows < qn || m->buffer.device() != &dev)) {
      return invalid_argument(std::string(op) + ": table " + table.name() + ": an LDE of " +
                              std::to_string(m->rows) +
                              " rows on another device or shorter "
                              "than the quotient domain (" +
                              std::to_string(qn) + ")");
    }
  }
  if (a.main->cols < table.main_width() || (a.pre ? a.pre->cols : 0) < table.pre_width() ||
      (a.aux ? a.aux->cols : 0) < 4 * size_t(table.aux_width()) || a.is_first.size() != qn ||
      a.is_last.size() != qn || a.is_transition.size() != qn ||
      a.zh_inv.size() != (size_t(1) << a.log_d) || a.challenges.size() < air::kNumChallenges ||
      a.publics.size() < table.num_publics()) {
    return invalid_argument(std::string(op) + ": table " + table.name() +
                            ": inputs do not match the table's shape");
  }
  if ((a.pre && a.pre->rows != a.main->rows) || (a.aux && a.aux->rows != a.main->rows)) {
    return invalid_argument(std::string(op) + ": table " + table.name() +
                            ": LDE matrices of different heights");
  }
  Result<QuotientProgram> prog = quotient_program(dev, table, a.max_nodes_per_kernel);
  if (!prog) return prog.status();
  Result<OpenClBuffer> dummy = upload_or_dummy<Fp>(dev, {});
  if (!dummy) return dummy.status();
  Result<OpenClBuffer> first = dev.upload(a.is_first);
  if (!first) return first.status();
  Result<OpenClBuffer> last = dev.upload(a.is_last);
  if (!last) return last.status();
  Result<OpenClBuffer> trans = dev.upload(a.is_transition);
  if (!trans) return trans.status();
  Result<OpenClBuffer> zh = dev.upload(a.zh_inv);
  if (!zh) return zh.status();
  Result<OpenClBuffer> ch = upload_or_dummy(dev, a.challenges);
  if (!ch) return ch.status();
  Result<OpenClBuffer> pubs = upload_or_dummy(dev, a.publics);
  if (!pubs) return pubs.status();
  Result<OpenClBuffer> aux_pubs = upload_or_dummy(dev, a.aux_publics);
  if (!aux_pubs) return aux_pubs.status();
  Result<OpenClBuffer> out = dev.alloc(4 * qn * sizeof(Fp));
  if (!out) return out.status();
  const uint64_t stride = a.main->rows;
  // The parts fold their constraints into `out` one after another (the queue is in order).
  for (uint32_t part = 0; part < prog->parts; ++part) {
    Result<OpenClKernel> k = prog->program->kernel(air::quotient_kernel_name(part));
    if (!k) return k.status();
    EFAAS_RETURN_IF_ERROR(k->set_arg(0, a.main->buffer));
    EFAAS_RETURN_IF_ERROR(k->set_arg(1, a.pre ? a.pre->buffer : *dummy));
    EFAAS_RETURN_IF_ERROR(k->set_arg(2, a.aux ? a.aux->buffer : *dummy));
    EFAAS_RETURN_IF_ERROR(k->set_arg(3, stride));
    EFAAS_RETURN_IF_ERROR(k->set_arg(4, a.log_qn));
    EFAAS_RETURN_IF_ERROR(k->set_arg(5, a.log_d));
    EFAAS_RETURN_IF_ERROR(k->set_arg(6, *first));
    EFAAS_RETURN_IF_ERROR(k->set_arg(7, *last));
    EFAAS_RETURN_IF_ERROR(k->set_arg(8, *trans));
    EFAAS_RETURN_IF_ERROR(k->set_arg(9, *zh));
    EFAAS_RETURN_IF_ERROR(k->set_arg(10, *ch));
    EFAAS_RETURN_IF_ERROR(k->set_arg(11, *pubs));
    EFAAS_RETURN_IF_ERROR(k->set_arg(12, *aux_pubs));
    EFAAS_RETURN_IF_ERROR(k->set_arg(13, a.alpha));
    EFAAS_RETURN_IF_ERROR(k->set_arg(14, *out));
    EFAAS_RETURN_IF_ERROR(dev.launch(*k, {qn}));
  }
  // The uploads above are released on return: wait for the kernel that reads them.
  EFAAS_RETURN_IF_ERROR(dev.finish());
  return out;
}

Status opencl_quotient_chunks(OpenClDevice& dev, OpenClBuffer& values, uint32_t log_n,
                              uint32_t log_d, uint32_t log_blowup,
                              std::vector<std::vector<Fp4>>& chunk_coeffs, DeviceMatrix& lde) {
  const uint32_t log_qn = log_n + log_d;
  const size_t n = size_t(1) << log_n, qn = size_t(1) << log_qn, D = size_t(1) << log_d;
  if (log_d > log_blowup || values.size_bytes() != 4 * qn * sizeof(Fp)) {
    return invalid_argument("opencl quotient chunks: " + std::to_string(values.size_bytes()) +
                            " bytes of values for 2^" + std::to_string(log_qn) + " points, " +
                            std::to_string(D) + " chunks, blowup 2^" + std::to_string(log_blowup));
  }
  TransformSpec spec;
  spec.log_n = log_qn;
  spec.inverse = true;
  spec.input_order = Order::kBitReversed;
  spec.output_order = Order::kNatural;
  spec.shift = fri_domain_shift();
  EFAAS_RETURN_IF_ERROR(opencl_transform_device(values, 4, spec));
  std::vector<Fp> coords(4 * qn);
  EFAAS_RETURN_IF_ERROR(values.read(std::span<Fp>(coords)));
  chunk_coeffs.assign(D, std::vector<Fp4>(n));
  for (size_t j = 0; j < D; ++j) {
    for (size_t i = 0; i < n; ++i) {
      chunk_coeffs[j][i] = Fp4(coords[j * n + i], coords[qn + j * n + i],
                               coords[2 * qn + j * n + i], coords[3 * qn + j * n + i]);
    }
  }
  lde.rows = n << log_blowup;
  lde.cols = 4 * D;
  Result<OpenClBuffer> out = dev.alloc(lde.rows * lde.cols * sizeof(Fp));
  if (!out) return out.status();
  lde.buffer = std::move(*out);
  EFAAS_RETURN_IF_ERROR(lde.buffer.fill_zero(0, lde.buffer.size_bytes()));
  Result<const OpenClProgram*> prog = stark_program(dev);
  if (!prog) return prog.status();
  Result<OpenClKernel> k = (*prog)->kernel("quotient_split");
  if (!k) return k.status();
  EFAAS_RETURN_IF_ERROR(k->set_arg(0, values));
  EFAAS_RETURN_IF_ERROR(k->set_arg(1, lde.buffer));
  EFAAS_RETURN_IF_ERROR(k->set_arg(2, uint32_t(n)));
  EFAAS_RETURN_IF_ERROR(k->set_arg(3, uint64_t(lde.rows)));
  EFAAS_RETURN_IF_ERROR(k->set_arg(4, uint32_t(D)));
  EFAAS_RETURN_IF_ERROR(dev.launch(*k, {n, 4 * D}));
  TransformSpec ext;
  ext.log_n = log_n + log_blowup;
  ext.input_order = Order::kNatural;
  ext.output_order = Order::kBitReversed;
  ext.shift = fri_domain_shift();
  return opencl_transform_device(lde.buffer, lde.cols, ext);
}

Result<OpenClBuffer> opencl_deep_quotient(OpenClDevice& dev, std::span<const DeepMatrixTerms> terms,
                                          uint32_t log_h, Fp4 z, Fp4 gz, Fp4 const_z,
                                          Fp4 const_zg) {
  const size_t h = size_t(1) << log_h;
  if (terms.empty()) return invalid_argument("opencl deep: no matrices");
  for (const DeepMatrixTerms& t : terms) {
    if (t.matrix == nullptr || t.matrix->rows != h || t.coeff_z.size() != t.matrix->cols ||
        t.coeff_zg.size() != t.matrix->cols || t.matrix->buffer.device() != &dev) {
      return invalid_argument("opencl deep: a matrix is not 2^" + std::to_string(log_h) +
                              " rows with one pair of coefficients per column on this device");
    }
  }
  Result<const OpenClProgram*> prog = stark_program(dev);
  if (!prog) return prog.status();
  Result<OpenClBuffer> acc = dev.alloc(2 * h * sizeof(Fp4));
  if (!acc) return acc.status();
  Result<OpenClKernel> ka = (*prog)->kernel("deep_accumulate");
  if (!ka) return ka.status();
  std::vector<OpenClBuffer> coeff_bufs;  // alive until finish()
  for (size_t m = 0; m < terms.size(); ++m) {
    const DeepMatrixTerms& t = terms[m];
    std::vector<Fp4> coeffs(2 * t.matrix->cols);
    for (size_t c = 0; c < t.matrix->cols; ++c) {
      coeffs[2 * c] = t.coeff_z[c];
      coeffs[2 * c + 1] = t.coeff_zg[c];
    }
    Result<OpenClBuffer> cb = dev.upload(std::span<const Fp4>(coeffs));
    if (!cb) return cb.status();
    coeff_bufs.push_back(std::move(*cb));
    EFAAS_RETURN_IF_ERROR(ka->set_arg(0, t.matrix->buffer));
    EFAAS_RETURN_IF_ERROR(ka->set_arg(1, uint32_t(t.matrix->cols)));
    EFAAS_RETURN_IF_ERROR(ka->set_arg(2, uint64_t(t.matrix->rows)));
    EFAAS_RETURN_IF_ERROR(ka->set_arg(3, coeff_bufs.back()));
    EFAAS_RETURN_IF_ERROR(ka->set_arg(4, *acc));
    EFAAS_RETURN_IF_ERROR(ka->set_arg(5, uint64_t(h)));
    EFAAS_RETURN_IF_ERROR(ka->set_arg(6, uint32_t(m == 0)));
    EFAAS_RETURN_IF_ERROR(dev.launch(*ka, {h}));
  }
  Result<OpenClBuffer> out = dev.alloc(h * sizeof(Fp4));
  if (!out) return out.status();
  Result<OpenClKernel> kf = (*prog)->kernel("deep_finish");
  if (!kf) return kf.status();
  EFAAS_RETURN_IF_ERROR(kf->set_arg(0, *acc));
  EFAAS_RETURN_IF_ERROR(kf->set_arg(1, *out));
  EFAAS_RETURN_IF_ERROR(kf->set_arg(2, log_h));
  EFAAS_RETURN_IF_ERROR(kf->set_arg(3, fri_domain_shift().montgomery()));
  EFAAS_RETURN_IF_ERROR(kf->set_arg(4, Fp::two_adic_generator(log_h).montgomery()));
  EFAAS_RETURN_IF_ERROR(kf->set_arg(5, z));
  EFAAS_RETURN_IF_ERROR(kf->set_arg(6, gz));
  EFAAS_RETURN_IF_ERROR(kf->set_arg(7, const_z));
  EFAAS_RETURN_IF_ERROR(kf->set_arg(8, const_zg));
  EFAAS_RETURN_IF_ERROR(dev.launch(*kf, {h}));
  // The coefficient uploads are released on return: wait for the kernels that read them.
  EFAAS_RETURN_IF_ERROR(dev.finish());
  return out;
}

Status fetch_rows(const DeviceMatrix& m, std::span<const size_t> rows, uint32_t log_block,
                  std::span<Fp> host) {
  if (host.size() != m.rows * m.cols) {
    return invalid_argument("opencl fetch rows: host matrix of " + std::to_string(host.size()) +
                            " elements for " + std::to_string(m.rows) + " x " +
                            std::to_string(m.cols));
  }
  const size_t block = std::min(size_t(1) << log_block, m.rows);
  std::vector<uint32_t> starts;
  for (size_t r : rows) {
    if (r >= m.rows) {
      return out_of_range("opencl fetch rows: row " + std::to_string(r) + " of " +
                          std::to_string(m.rows));
    }
    starts.push_back(uint32_t(r / block * block));
  }
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  if (starts.empty()) return Status::ok();
  OpenClDevice& dev = *m.buffer.device();
  Result<const OpenClProgram*> prog = stark_program(dev);
  if (!prog) return prog.status();
  Result<OpenClKernel> k = (*prog)->kernel("gather_rows");
  if (!k) return k.status();
  Result<OpenClBuffer> sb = dev.upload(std::span<const uint32_t>(starts));
  if (!sb) return sb.status();
  const size_t total = starts.size() * block;
  Result<OpenClBuffer> out = dev.alloc(total * m.cols * sizeof(Fp));
  if (!out) return out.status();
  EFAAS_RETURN_IF_ERROR(k->set_arg(0, m.buffer));
  EFAAS_RETURN_IF_ERROR(k->set_arg(1, uint64_t(m.rows)));
  EFAAS_RETURN_IF_ERROR(k->set_arg(2, *sb));
  EFAAS_RETURN_IF_ERROR(k->set_arg(3, uint32_t(block)));
  EFAAS_RETURN_IF_ERROR(k->set_arg(4, *out));
  EFAAS_RETURN_IF_ERROR(dev.launch(*k, {total, m.cols}));
  std::vector<Fp> got(total * m.cols);
  EFAAS_RETURN_IF_ERROR(out->read(std::span<Fp>(got)));
  for (size_t c = 0; c < m.cols; ++c) {
    for (size_t s = 0; s < starts.size(); ++s) {
      std::copy_n(got.data() + c * total + s * block, block, host.data() + c * m.rows + starts[s]);
    }
  }
  return Status::ok();
}

}  // namespace efaas::stark_internal
