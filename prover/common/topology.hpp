#pragma once
// The machine as hwloc sees it, restricted to the CPUs this process may run on.
#include <string>
#include <vector>

namespace efaas {

struct CoreInfo {
  int os_index = -1;       // hwloc logical core index
  int numa_node = -1;
  int package = -1;
  std::vector<int> pus;    // OS indices of the hardware threads of this core that we may use
};

struct Topology {
  int packages = 0;
  int numa_nodes = 0;
  int cores = 0;           // cores with at least one allowed PU
  int pus = 0;             // allowed hardware threads
  std::vector<CoreInfo> allowed_cores;
  std::vector<std::string> pci_gpus;  // "vendor:device name" of GPUs/accelerators hwloc found
  std::string cpu_model;
};

// Loaded once; thread-safe.
const Topology& topology();

// Pins the calling thread to the given OS PU index. Returns false (and leaves the thread
// unpinned) when the OS refuses.
bool pin_current_thread_to_pu(int pu_os_index);

}  // namespace efaas
