#pragma once
// The OpenCL runtime for any OpenCL 1.2 device (PoCL on CPU-only machines, GPUs in production).
//
//   OpenClDevice   one per device index: context + in-order queue, created once and cached for
//                  the life of the process (thread-safe); builds and caches programs.
//   OpenClProgram  a program built once per device from source (key: source hash + options).
//   OpenClKernel   one kernel object; arguments set here, launched on its device's queue.
//   OpenClBuffer   RAII device memory with typed upload / download / copy / zero-fill.
//
// Buffers and launches are exposed (not only whole-operation helpers) so that pipelines keep
// data on the device between stages. Commands go to one in-order queue per device, so work
// enqueued by one thread runs in the order it was enqueued; reads are blocking.
// Every OpenCL call is checked: a failure is a Status naming the call, the error code
// (opencl_error_name) and the device; build failures carry the build log.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "prover/common/status.hpp"
#include "prover/device/opencl.hpp"

// Opaque OpenCL handle types, so that users of this header need not include CL/cl.h.
struct _cl_context;
struct _cl_command_queue;
struct _cl_device_id;
struct _cl_program;
struct _cl_kernel;
struct _cl_mem;

namespace efaas {

class OpenClDevice;

// The work-group size of launches that name none: the largest power of two up to
// kDefaultLocalSize that divides the first global dimension and fits the kernel's limit (other
// dimensions get 1). Fixed per shape so that PoCL builds few work-group functions per kernel.
inline constexpr size_t kDefaultLocalSize = 64;
size_t default_local_size(size_t global0, size_t max_work_group_size);

class OpenClBuffer {
 public:
  OpenClBuffer() = default;
  ~OpenClBuffer();
  OpenClBuffer(OpenClBuffer&& o) noexcept { *this = std::move(o); }
  OpenClBuffer& operator=(OpenClBuffer&& o) noexcept;
  OpenClBuffer(const OpenClBuffer&) = delete;
  OpenClBuffer& operator=(const OpenClBuffer&) = delete;

  size_t size_bytes() const { return bytes_; }
  bool valid() const { return mem_ != nullptr; }
  OpenClDevice* device() const { return device_; }
  _cl_mem* raw() const { return mem_; }

  // Byte-level transfers; offsets and sizes are checked against the buffer's size.
  Status write_bytes(size_t offset, const void* src, size_t bytes);
  Status read_bytes(size_t offset, void* dst, size_t bytes) const;  // blocking
  Status fill_zero(size_t offset, size_t bytes);
  Status copy_from(const OpenClBuffer& src, size_t src_offset, size_t dst_offset, size_t bytes);

  // Typed transfers; offsets count elements of T.
  template <typename T>
  Status write(std::span<const T> src, size_t offset = 0) {
    static_assert(std::is_trivially_copyable_v<T>);
    return write_bytes(offset * sizeof(T), src.data(), src.size_bytes());
  }
  template <typename T>
  Status read(std::span<T> dst, size_t offset = 0) const {
    static_assert(std::is_trivially_copyable_v<T>);
    return read_bytes(offset * sizeof(T), dst.data(), dst.size_bytes());
  }

 private:
  friend class OpenClDevice;
  OpenClDevice* device_ = nullptr;
  _cl_mem* mem_ = nullptr;
  size_t bytes_ = 0;
};

class OpenClKernel {
 public:
  OpenClKernel() = default;
  ~OpenClKernel();
  OpenClKernel(OpenClKernel&& o) noexcept { *this = std::move(o); }
  OpenClKernel& operator=(OpenClKernel&& o) noexcept;
  OpenClKernel(const OpenClKernel&) = delete;
  OpenClKernel& operator=(const OpenClKernel&) = delete;

  const std::string& name() const { return name_; }
  _cl_kernel* raw() const { return kernel_; }

  Status set_arg(uint32_t index, const OpenClBuffer& buffer);
  // Scalars and PODs; the size must match the kernel's parameter (uint = uint32_t, ...).
  template <typename T>
  requires std::is_trivially_copyable_v<T> Status set_arg(uint32_t index, const T& value) {
    return set_arg_bytes(index, sizeof(T), &value);
  }
  Status set_arg_bytes(uint32_t index, size_t size, const void* value);
  // A __local memory argument of `bytes` bytes.
  Status set_local(uint32_t index, size_t bytes);

  // CL_KERNEL_WORK_GROUP_SIZE for this kernel on its device.
  size_t max_work_group_size() const { return max_work_group_size_; }

 private:
  friend class OpenClProgram;
  OpenClDevice* device_ = nullptr;
  _cl_kernel* kernel_ = nullptr;
  std::string name_;
  size_t max_work_group_size_ = 0;
};

class OpenClProgram {
 public:
  ~OpenClProgram();
  OpenClProgram(const OpenClProgram&) = delete;
  OpenClProgram& operator=(const OpenClProgram&) = delete;

  const std::string& name() const { return name_; }
  // A fresh kernel object (kernel arguments are per object, so each user takes its own).
  Result<OpenClKernel> kernel(const std::string& kernel_name) const;

 private:
  friend class OpenClDevice;
  OpenClProgram(OpenClDevice* device, _cl_program* program, std::string name)
      : device_(device), program_(program), name_(std::move(name)) {}
  OpenClDevice* device_;
  _cl_program* program_;
  std::string name_;
};

class OpenClDevice {
 public:
  // The device at `index` in list_opencl_devices(), created on first use and kept for the life
  // of the process. A bad index is an error that lists the devices there are.
  static Result<OpenClDevice*> get(int index);

  OpenClDevice(const OpenClDevice&) = delete;
  OpenClDevice& operator=(const OpenClDevice&) = delete;

  const OpenClDeviceInfo& info() const { return info_; }
  // "device 0 (pthread-skylake ..., Portable Computing Language)", for error messages.
  std::string label() const;
  uint64_t max_alloc_bytes() const { return max_alloc_bytes_; }

  // The program built from `source` with `options`, built once and cached. `name` only labels
  // errors. A build failure names CL_BUILD_PROGRAM_FAILURE and carries the build log; failures
  // are not cached.
  Result<const OpenClProgram*> program(std::string_view name, std::string_view source,
                                       std::string_view options = "");
  // How many times clBuildProgram has run on this device (to check the cache).
  uint64_t build_count() const { return build_count_.load(); }

  Result<OpenClBuffer> alloc(size_t bytes);
  template <typename T>
  Result<OpenClBuffer> upload(std::span<const T> src) {
    Result<OpenClBuffer> buf = alloc(src.size_bytes());
    if (!buf) return buf;
    EFAAS_RETURN_IF_ERROR(buf->write(src));
    return buf;
  }

  // Enqueues `kernel` over a 1-, 2- or 3-dimensional range; `local` empty takes
  // default_local_size() (the driver never chooses).
  Status launch(const OpenClKernel& kernel, std::span<const size_t> global,
                std::span<const size_t> local = {});
  Status launch(const OpenClKernel& kernel, std::initializer_list<size_t> global,
                std::initializer_list<size_t> local = {}) {
    return launch(kernel, std::span<const size_t>(global.begin(), global.size()),
                  std::span<const size_t>(local.begin(), local.size()));
  }
  // Waits for everything enqueued so far; reports errors of asynchronous commands.
  Status finish();

  _cl_context* raw_context() const { return context_; }
  _cl_command_queue* raw_queue() const { return queue_; }
  _cl_device_id* raw_device() const { return device_; }

  // "clFoo failed: CL_BAR (device 0 (...))"
  Status call_error(std::string_view call, int code) const;

 private:
  OpenClDevice() = default;
  static Result<OpenClDevice*> create(int index, const OpenClDeviceInfo& info);

  OpenClDeviceInfo info_;
  _cl_device_id* device_ = nullptr;
  _cl_context* context_ = nullptr;
  _cl_command_queue* queue_ = nullptr;
  uint64_t max_alloc_bytes_ = 0;
  std::mutex programs_mu_;
  std::map<std::pair<uint64_t, std::string>, std::unique_ptr<OpenClProgram>> programs_;
  std::atomic<uint64_t> build_count_{0};
};

}  // namespace efaas
