#include "prover/device/opencl_runtime.hpp"

#include <CL/cl.h>

#include <algorithm>
#include <array>
#include <bit>
#include <vector>

namespace efaas {

namespace {

std::string call_message(std::string_view call, cl_int code) {
  return std::string(call) + " failed: " + opencl_error_name(code);
}

// Device ids in the order of list_opencl_devices(): platforms in order, then their devices.
Result<std::vector<cl_device_id>> device_ids() {
  std::vector<cl_device_id> out;
  cl_uint nplatforms = 0;
  cl_int rc = clGetPlatformIDs(0, nullptr, &nplatforms);
  if (rc == -1001 || nplatforms == 0) return out;
  if (rc != CL_SUCCESS) return internal_error(call_message("clGetPlatformIDs", rc));
  std::vector<cl_platform_id> platforms(nplatforms);
  rc = clGetPlatformIDs(nplatforms, platforms.data(), nullptr);
  if (rc != CL_SUCCESS) return internal_error(call_message("clGetPlatformIDs", rc));
  for (cl_platform_id p : platforms) {
    cl_uint ndevices = 0;
    rc = clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, nullptr, &ndevices);
    if (rc == CL_DEVICE_NOT_FOUND || ndevices == 0) continue;
    if (rc != CL_SUCCESS) return internal_error(call_message("clGetDeviceIDs", rc));
    std::vector<cl_device_id> devices(ndevices);
    rc = clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, ndevices, devices.data(), nullptr);
    if (rc != CL_SUCCESS) return internal_error(call_message("clGetDeviceIDs", rc));
    out.insert(out.end(), devices.begin(), devices.end());
  }
  return out;
}

// FNV-1a, 64-bit: the program cache key (with the build options).
uint64_t source_hash(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string build_log(cl_program program, cl_device_id device) {
  size_t size = 0;
  if (clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, nullptr, &size) !=
          CL_SUCCESS ||
      size == 0) {
    return "(no build log)";
  }
  std::string log(size, '\0');
  if (clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, size, log.data(), nullptr) !=
      CL_SUCCESS) {
    return "(no build log)";
  }
  while (!log.empty() && (log.back() == '\0' || log.back() == '\n')) log.pop_back();
  return log.empty() ? "(empty build log)" : log;
}

}  // namespace

size_t default_local_size(size_t global0, size_t max_work_group_size) {
  size_t local = kDefaultLocalSize;
  if (max_work_group_size > 0) local = std::min(local, std::bit_floor(max_work_group_size));
  while (local > 1 && global0 % local != 0) local /= 2;
  return local;
}

// ---- OpenClBuffer ----

OpenClBuffer::~OpenClBuffer() {
  if (mem_ != nullptr) clReleaseMemObject(mem_);
}

OpenClBuffer& OpenClBuffer::operator=(OpenClBuffer&& o) noexcept {
  if (this != &o) {
    if (mem_ != nullptr) clReleaseMemObject(mem_);
    device_ = std::exchange(o.device_, nullptr);
    mem_ = std::exchange(o.mem_, nullptr);
    bytes_ = std::exchange(o.bytes_, 0);
  }
  return *this;
}

namespace {

Status check_range(const char* what, const OpenClBuffer& b, size_t offset, size_t bytes) {
  if (!b.valid()) return invalid_argument(std::string(what) + ": buffer is not allocated");
  if (offset > b.size_bytes() || bytes > b.size_bytes() - offset) {
    return invalid_argument(std::string(what) + ": bytes [" + std::to_string(offset) + ", " +
                            std::to_string(offset + bytes) + ") outside the buffer of " +
                            std::to_string(b.size_bytes()) + " bytes");
  }
  return Status::ok();
}

}  // namespace

Status OpenClBuffer::write_bytes(size_t offset, const void* src, size_t bytes) {
  EFAAS_RETURN_IF_ERROR(check_range("OpenCL buffer write", *this, offset, bytes));
  if (bytes == 0) return Status::ok();
  cl_int rc = clEnqueueWriteBuffer(device_->raw_queue(), mem_, CL_TRUE, offset, bytes, src, 0,
                                   nullptr, nullptr);
  if (rc != CL_SUCCESS) return device_->call_error("clEnqueueWriteBuffer", rc);
  return Status::ok();
}

Status OpenClBuffer::read_bytes(size_t offset, void* dst, size_t bytes) const {
  EFAAS_RETURN_IF_ERROR(check_range("OpenCL buffer read", *this, offset, bytes));
  if (bytes == 0) return Status::ok();
  cl_int rc = clEnqueueReadBuffer(device_->raw_queue(), mem_, CL_TRUE, offset, bytes, dst, 0,
                                  nullptr, nullptr);
  if (rc != CL_SUCCESS) return device_->call_error("clEnqueueReadBuffer", rc);
  return Status::ok();
}

Status OpenClBuffer::fill_zero(size_t offset, size_t bytes) {
  EFAAS_RETURN_IF_ERROR(check_range("OpenCL buffer fill", *this, offset, bytes));
  if (bytes == 0) return Status::ok();
  // The pattern size must divide offset and size; fall back to bytes when they are odd.
  const cl_uint word = 0;
  const cl_uchar byte = 0;
  const bool words = offset % 4 == 0 && bytes % 4 == 0;
  cl_int rc = clEnqueueFillBuffer(device_->raw_queue(), mem_, words ? (const void*)&word : &byte,
                                  words ? 4 : 1, offset, bytes, 0, nullptr, nullptr);
  if (rc != CL_SUCCESS) return device_->call_error("clEnqueueFillBuffer", rc);
  return Status::ok();
}

Status OpenClBuffer::copy_from(const OpenClBuffer& src, size_t src_offset, size_t dst_offset,
                               size_t bytes) {
  EFAAS_RETURN_IF_ERROR(check_range("OpenCL buffer copy (source)", src, src_offset, bytes));
  EFAAS_RETURN_IF_ERROR(check_range("OpenCL buffer copy (destination)", *this, dst_offset, bytes));
  if (src.device_ != device_) {
    return invalid_argument("OpenCL buffer copy: source and destination live on different devices");
  }
  if (bytes == 0) return Status::ok();
  cl_int rc = clEnqueueCopyBuffer(device_->raw_queue(), src.mem_, mem_, src_offset, dst_offset,
                                  bytes, 0, nullptr, nullptr);
  if (rc != CL_SUCCESS) return device_->call_error("clEnqueueCopyBuffer", rc);
  return Status::ok();
}

// ---- OpenClKernel ----

OpenClKernel::~OpenClKernel() {
  if (kernel_ != nullptr) clReleaseKernel(kernel_);
}

OpenClKernel& OpenClKernel::operator=(OpenClKernel&& o) noexcept {
  if (this != &o) {
    if (kernel_ != nullptr) clReleaseKernel(kernel_);
    device_ = std::exchange(o.device_, nullptr);
    kernel_ = std::exchange(o.kernel_, nullptr);
    name_ = std::move(o.name_);
    max_work_group_size_ = std::exchange(o.max_work_group_size_, 0);
  }
  return *this;
}

Status OpenClKernel::set_arg(uint32_t index, const OpenClBuffer& buffer) {
  if (!buffer.valid()) {
    return invalid_argument("kernel " + name_ + " argument " + std::to_string(index) +
                            ": buffer is not allocated");
  }
  if (buffer.device() != device_) {
    return invalid_argument("kernel " + name_ + " argument " + std::to_string(index) +
                            ": buffer lives on another device");
  }
  cl_mem mem = buffer.raw();
  return set_arg_bytes(index, sizeof(cl_mem), &mem);
}

Status OpenClKernel::set_arg_bytes(uint32_t index, size_t size, const void* value) {
  cl_int rc = clSetKernelArg(kernel_, index, size, value);
  if (rc != CL_SUCCESS) {
    return device_->call_error("clSetKernelArg(" + name_ + ", arg " + std::to_string(index) + ", " +
                                   std::to_string(size) + " bytes)",
                               rc);
  }
  return Status::ok();
}

Status OpenClKernel::set_local(uint32_t index, size_t bytes) {
  return set_arg_bytes(index, bytes, nullptr);
}

// ---- OpenClProgram ----

OpenClProgram::~OpenClProgram() {
  if (program_ != nullptr) clReleaseProgram(program_);
}

Result<OpenClKernel> OpenClProgram::kernel(const std::string& kernel_name) const {
  cl_int rc = CL_SUCCESS;
  cl_kernel k = clCreateKernel(program_, kernel_name.c_str(), &rc);
  if (rc != CL_SUCCESS || k == nullptr) {
    return device_->call_error("clCreateKernel(" + kernel_name + ") in program " + name_, rc);
  }
  OpenClKernel out;
  out.device_ = device_;
  out.kernel_ = k;
  out.name_ = kernel_name;
  size_t wg = 0;
  rc = clGetKernelWorkGroupInfo(k, device_->raw_device(), CL_KERNEL_WORK_GROUP_SIZE, sizeof wg, &wg,
                                nullptr);
  if (rc != CL_SUCCESS) {
    return device_->call_error("clGetKernelWorkGroupInfo(" + kernel_name + ")", rc);
  }
  out.max_work_group_size_ = wg;
  return out;
}

// ---- OpenClDevice ----

Result<OpenClDevice*> OpenClDevice::get(int index) {
  // Devices live for the whole process: never destroyed, so no teardown races the driver's own
  // static destructors at exit.
  static std::mutex mu;
  static auto* devices = new std::map<int, OpenClDevice*>();
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = devices->find(index); it != devices->end()) return it->second;

  Result<std::vector<OpenClDeviceInfo>> infos = list_opencl_devices();
  if (!infos) return infos.status();
  if (infos->empty()) return unavailable("OpenCL: no OpenCL device found (no platform or ICD)");
  if (index < 0 || size_t(index) >= infos->size()) {
    std::string list;
    for (const auto& d : *infos) {
      list += "\n  [" + std::to_string(d.index) + "] " + d.name + " (" + d.platform + ", " +
              d.type + ")";
    }
    return invalid_argument("OpenCL device index " + std::to_string(index) + " is out of range: " +
                            std::to_string(infos->size()) + " device(s) available:" + list);
  }
  Result<OpenClDevice*> created = create(index, (*infos)[size_t(index)]);
  if (!created) return created.status();
  devices->emplace(index, *created);
  return *created;
}

Result<OpenClDevice*> OpenClDevice::create(int index, const OpenClDeviceInfo& info) {
  Result<std::vector<cl_device_id>> ids = device_ids();
  if (!ids) return ids.status();
  if (size_t(index) >= ids->size()) {
    return internal_error("OpenCL device " + std::to_string(index) +
                          " disappeared between listing and opening");
  }
  std::unique_ptr<OpenClDevice> d(new OpenClDevice());
  d->info_ = info;
  d->device_ = (*ids)[size_t(index)];
  cl_ulong max_alloc = 0;
  cl_int rc = clGetDeviceInfo(d->device_, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof max_alloc,
                              &max_alloc, nullptr);
  if (rc != CL_SUCCESS) return d->call_error("clGetDeviceInfo(CL_DEVICE_MAX_MEM_ALLOC_SIZE)", rc);
  d->max_alloc_bytes_ = max_alloc;
  d->context_ = clCreateContext(nullptr, 1, &d->device_, nullptr, nullptr, &rc);
  if (rc != CL_SUCCESS || d->context_ == nullptr) return d->call_error("clCreateContext", rc);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  // clCreateCommandQueue is the 1.2 entry point (deprecated in 2.0, still exported everywhere).
  d->queue_ = clCreateCommandQueue(d->context_, d->device_, 0, &rc);
#pragma GCC diagnostic pop
  if (rc != CL_SUCCESS || d->queue_ == nullptr) {
    Status s = d->call_error("clCreateCommandQueue", rc);
    clReleaseContext(d->context_);
    return s;
  }
  return d.release();
}

std::string OpenClDevice::label() const {
  return "device " + std::to_string(info_.index) + " (" + info_.name + ", " + info_.platform + ")";
}

Status OpenClDevice::call_error(std::string_view call, int code) const {
  std::string msg = call_message(call, code) + " on OpenCL " + label();
  // Allocation failures are a resource limit, not a bug: say so in the code.
  if (code == CL_MEM_OBJECT_ALLOCATION_FAILURE || code == CL_OUT_OF_RESOURCES ||
      code == CL_OUT_OF_HOST_MEMORY) {
    return Status(StatusCode::kUnavailable, std::move(msg));
  }
  return internal_error(std::move(msg));
}

Result<const OpenClProgram*> OpenClDevice::program(std::string_view name, std::string_view source,
                                                   std::string_view options) {
  std::pair<uint64_t, std::string> key{source_hash(source), std::string(options)};
  // Held across the build: concurrent first users wait for one build instead of racing.
  std::lock_guard<std::mutex> lock(programs_mu_);
  if (auto it = programs_.find(key); it != programs_.end()) return it->second.get();

  const char* text = source.data();
  const size_t length = source.size();
  cl_int rc = CL_SUCCESS;
  cl_program p = clCreateProgramWithSource(context_, 1, &text, &length, &rc);
  if (rc != CL_SUCCESS || p == nullptr) {
    return call_error("clCreateProgramWithSource(" + std::string(name) + ")", rc);
  }
  std::unique_ptr<OpenClProgram> prog(new OpenClProgram(this, p, std::string(name)));
  build_count_.fetch_add(1);
  const std::string opts(options);
  rc = clBuildProgram(p, 1, &device_, opts.c_str(), nullptr, nullptr);
  if (rc != CL_SUCCESS) {
    Status s = call_error("clBuildProgram(" + std::string(name) + ")", rc);
    return Status(s.code(), s.message() + "; build log:\n" + build_log(p, device_));
  }
  const OpenClProgram* out = prog.get();
  programs_.emplace(std::move(key), std::move(prog));
  return out;
}

Result<OpenClBuffer> OpenClDevice::alloc(size_t bytes) {
  if (bytes == 0) return invalid_argument("OpenCL buffer of zero bytes requested");
  if (bytes > max_alloc_bytes_) {
    return Status(StatusCode::kOutOfRange, "OpenCL buffer of " + std::to_string(bytes) +
                                               " bytes exceeds the largest "
                                               "allocation of " +
                                               label() + " (" + std::to_string(max_alloc_bytes_) +
                                               " bytes, CL_DEVICE_MAX_MEM_ALLOC_SIZE)");
  }
  cl_int rc = CL_SUCCESS;
  cl_mem mem = clCreateBuffer(context_, CL_MEM_READ_WRITE, bytes, nullptr, &rc);
  if (rc != CL_SUCCESS || mem == nullptr) {
    return call_error("clCreateBuffer(" + std::to_string(bytes) + " bytes)", rc);
  }
  OpenClBuffer out;
  out.device_ = this;
  out.mem_ = mem;
  out.bytes_ = bytes;
  return out;
}

Status OpenClDevice::launch(const OpenClKernel& kernel, std::span<const size_t> global,
                            std::span<const size_t> local) {
  if (global.empty() || global.size() > 3) {
    return invalid_argument("launch of " + kernel.name() + ": " + std::to_string(global.size()) +
                            " dimensions (expected 1 to 3)");
  }
  if (!local.empty() && local.size() != global.size()) {
    return invalid_argument("launch of " + kernel.name() + ": local size has " +
                            std::to_string(local.size()) + " dimensions, global has " +
                            std::to_string(global.size()));
  }
  for (size_t g : global) {
    if (g == 0) return Status::ok();  // nothing to do; OpenCL 1.2 rejects empty ranges
  }
  // No local size given: pick one that depends only on the launch's first dimension (a power
  // of two up to kDefaultLocalSize), never on the other dimensions or the driver's heuristics.
  // PoCL compiles one work-group function per (kernel, local size); a driver-chosen size
  // varies with the global size (column counts, table heights), so every new shape cost a
  // full LLVM code generation of the kernel (minutes for a large quotient kernel).
  std::array<size_t, 3> chosen{1, 1, 1};
  if (local.empty()) {
    chosen[0] = default_local_size(global[0], kernel.max_work_group_size());
    local = std::span<const size_t>(chosen.data(), global.size());
  }
  cl_int rc = clEnqueueNDRangeKernel(queue_, kernel.raw(), cl_uint(global.size()), nullptr,
                                     global.data(), local.data(), 0, nullptr, nullptr);
  if (rc != CL_SUCCESS) {
    std::string dims;
    for (size_t i = 0; i < global.size(); ++i) {
      dims += (i ? "x" : "") + std::to_string(global[i]);
    }
    if (!local.empty()) {
      dims += " local ";
      for (size_t i = 0; i < local.size(); ++i) {
        dims += (i ? "x" : "") + std::to_string(local[i]);
      }
    }
    return call_error("clEnqueueNDRangeKernel(" + kernel.name() + ", global " + dims + ")", rc);
  }
  return Status::ok();
}

Status OpenClDevice::finish() {
  cl_int rc = clFinish(queue_);
  if (rc != CL_SUCCESS) return call_error("clFinish", rc);
  return Status::ok();
}

}  // namespace efaas
