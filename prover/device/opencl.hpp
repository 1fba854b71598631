#pragma once
// OpenCL discovery. Every OpenCL call is checked and a failure names the call and the error.
#include <cstdint>
#include <string>
#include <vector>

#include "prover/common/status.hpp"

namespace efaas {

struct OpenClDeviceInfo {
  int index = 0;  // position in list_opencl_devices(), used by configs to choose a device
  std::string platform;
  std::string name;
  std::string vendor;
  std::string version;      // CL_DEVICE_VERSION
  std::string type;         // "GPU", "CPU", "ACCELERATOR", ...
  uint32_t compute_units = 0;
  uint64_t global_mem_bytes = 0;
  uint64_t local_mem_bytes = 0;
  size_t max_work_group_size = 0;
};

// All devices of all platforms, in a stable order. An absent ICD loader or zero platforms is an
// empty list, not an error; a failing driver call is an error.
Result<std::vector<OpenClDeviceInfo>> list_opencl_devices();

// "CL_OUT_OF_RESOURCES" for -5, etc.
const char* opencl_error_name(int code);

}  // namespace efaas
