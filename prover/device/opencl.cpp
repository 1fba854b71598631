#include "prover/device/opencl.hpp"

#include <CL/cl.h>

namespace efaas {

const char* opencl_error_name(int code) {
  switch (code) {
#define E(x) case x: return #x;
    E(CL_SUCCESS) E(CL_DEVICE_NOT_FOUND) E(CL_DEVICE_NOT_AVAILABLE) E(CL_COMPILER_NOT_AVAILABLE)
    E(CL_MEM_OBJECT_ALLOCATION_FAILURE) E(CL_OUT_OF_RESOURCES) E(CL_OUT_OF_HOST_MEMORY)
    E(CL_PROFILING_INFO_NOT_AVAILABLE) E(CL_MEM_COPY_OVERLAP) E(CL_IMAGE_FORMAT_MISMATCH)
    E(CL_IMAGE_FORMAT_NOT_SUPPORTED) E(CL_BUILD_PROGRAM_FAILURE) E(CL_MAP_FAILURE)
    E(CL_MISALIGNED_SUB_BUFFER_OFFSET) E(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
    E(CL_COMPILE_PROGRAM_FAILURE) E(CL_LINKER_NOT_AVAILABLE) E(CL_LINK_PROGRAM_FAILURE)
    E(CL_DEVICE_PARTITION_FAILED) E(CL_KERNEL_ARG_INFO_NOT_AVAILABLE) E(CL_INVALID_VALUE)
    E(CL_INVALID_DEVICE_TYPE) E(CL_INVALID_PLATFORM) E(CL_INVALID_DEVICE) E(CL_INVALID_CONTEXT)
    E(CL_INVALID_QUEUE_PROPERTIES) E(CL_INVALID_COMMAND_QUEUE) E(CL_INVALID_HOST_PTR)
    E(CL_INVALID_MEM_OBJECT) E(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR) E(CL_INVALID_IMAGE_SIZE)
    E(CL_INVALID_SAMPLER) E(CL_INVALID_BINARY) E(CL_INVALID_BUILD_OPTIONS) E(CL_INVALID_PROGRAM)
    E(CL_INVALID_PROGRAM_EXECUTABLE) E(CL_INVALID_KERNEL_NAME) E(CL_INVALID_KERNEL_DEFINITION)
    E(CL_INVALID_KERNEL) E(CL_INVALID_ARG_INDEX) E(CL_INVALID_ARG_VALUE) E(CL_INVALID_ARG_SIZE)
    E(CL_INVALID_KERNEL_ARGS) E(CL_INVALID_WORK_DIMENSION) E(CL_INVALID_WORK_GROUP_SIZE)
    E(CL_INVALID_WORK_ITEM_SIZE) E(CL_INVALID_GLOBAL_OFFSET) E(CL_INVALID_EVENT_WAIT_LIST)
    E(CL_INVALID_EVENT) E(CL_INVALID_OPERATION) E(CL_INVALID_GL_OBJECT)
    E(CL_INVALID_BUFFER_SIZE) E(CL_INVALID_MIP_LEVEL) E(CL_INVALID_GLOBAL_WORK_SIZE)
    E(CL_INVALID_PROPERTY)
#undef E
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    default: return "CL_UNKNOWN_ERROR";
  }
}

namespace {

std::string device_string(cl_device_id d, cl_device_info what) {
  size_t size = 0;
  if (clGetDeviceInfo(d, what, 0, nullptr, &size) != CL_SUCCESS || size == 0) return "";
  std::string s(size, '\0');
  clGetDeviceInfo(d, what, size, s.data(), nullptr);
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

std::string platform_string(cl_platform_id p, cl_platform_info what) {
  size_t size = 0;
  if (clGetPlatformInfo(p, what, 0, nullptr, &size) != CL_SUCCESS || size == 0) return "";
  std::string s(size, '\0');
  clGetPlatformInfo(p, what, size, s.data(), nullptr);
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

template <typename T>
T device_value(cl_device_id d, cl_device_info what) {
  T v{};
  clGetDeviceInfo(d, what, sizeof v, &v, nullptr);
  return v;
}

}  // namespace

Result<std::vector<OpenClDeviceInfo>> list_opencl_devices() {
  std::vector<OpenClDeviceInfo> out;
  cl_uint nplatforms = 0;
  cl_int rc = clGetPlatformIDs(0, nullptr, &nplatforms);
  if (rc == -1001 || nplatforms == 0) return out;  // no ICD installed: no devices
  if (rc != CL_SUCCESS) {
    return internal_error(std::string("clGetPlatformIDs failed: ") + opencl_error_name(rc));
  }
  std::vector<cl_platform_id> platforms(nplatforms);
  rc = clGetPlatformIDs(nplatforms, platforms.data(), nullptr);
  if (rc != CL_SUCCESS) {
    return internal_error(std::string("clGetPlatformIDs failed: ") + opencl_error_name(rc));
  }
  for (cl_platform_id p : platforms) {
    cl_uint ndevices = 0;
    rc = clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, nullptr, &ndevices);
    if (rc == CL_DEVICE_NOT_FOUND || ndevices == 0) continue;
    if (rc != CL_SUCCESS) {
      return internal_error(std::string("clGetDeviceIDs failed: ") + opencl_error_name(rc));
    }
    std::vector<cl_device_id> devices(ndevices);
    rc = clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, ndevices, devices.data(), nullptr);
    if (rc != CL_SUCCESS) {
      return internal_error(std::string("clGetDeviceIDs failed: ") + opencl_error_name(rc));
    }
    for (cl_device_id d : devices) {
      OpenClDeviceInfo info;
      info.index = int(out.size());
      info.platform = platform_string(p, CL_PLATFORM_NAME);
      info.name = device_string(d, CL_DEVICE_NAME);
      info.vendor = device_string(d, CL_DEVICE_VENDOR);
      info.version = device_string(d, CL_DEVICE_VERSION);
      auto type = device_value<cl_device_type>(d, CL_DEVICE_TYPE);
      info.type = (type & CL_DEVICE_TYPE_GPU)           ? "GPU"
                  : (type & CL_DEVICE_TYPE_CPU)         ? "CPU"
                  : (type & CL_DEVICE_TYPE_ACCELERATOR) ? "ACCELERATOR"
                                                        : "OTHER";
      info.compute_units = device_value<cl_uint>(d, CL_DEVICE_MAX_COMPUTE_UNITS);
      info.global_mem_bytes = device_value<cl_ulong>(d, CL_DEVICE_GLOBAL_MEM_SIZE);
      info.local_mem_bytes = device_value<cl_ulong>(d, CL_DEVICE_LOCAL_MEM_SIZE);
      info.max_work_group_size = device_value<size_t>(d, CL_DEVICE_MAX_WORK_GROUP_SIZE);
      out.push_back(std::move(info));
    }
  }
  return out;
}

}  // namespace efaas
