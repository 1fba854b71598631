#include "prover/common/topology.hpp"

#include <hwloc.h>

#include <mutex>

namespace efaas {

namespace {

struct HwlocHandle {
  hwloc_topology_t topo = nullptr;
  HwlocHandle() {
    hwloc_topology_init(&topo);
    // PCI devices too, so GPUs show with their locality.
    hwloc_topology_set_io_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
    hwloc_topology_load(topo);
  }
  ~HwlocHandle() { hwloc_topology_destroy(topo); }
};

HwlocHandle& handle() {
  static HwlocHandle h;
  return h;
}

int ancestor_index(hwloc_obj_t obj, hwloc_obj_type_t type) {
  hwloc_obj_t a = hwloc_get_ancestor_obj_by_type(handle().topo, type, obj);
  return a ? int(a->logical_index) : -1;
}

}  // namespace

const Topology& topology() {
  static const Topology t = [] {
    Topology t;
    hwloc_topology_t topo = handle().topo;
    hwloc_cpuset_t allowed = hwloc_bitmap_alloc();
    // The process's affinity, not the machine's size: containers and taskset shrink it.
    if (hwloc_get_cpubind(topo, allowed, HWLOC_CPUBIND_PROCESS) != 0) {
      hwloc_bitmap_copy(allowed, hwloc_topology_get_allowed_cpuset(topo));
    }
    t.packages = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
    t.numa_nodes = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
    int ncores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
    for (int i = 0; i < ncores; ++i) {
      hwloc_obj_t core = hwloc_get_obj_by_type(topo, HWLOC_OBJ_CORE, i);
      CoreInfo info;
      info.os_index = int(core->logical_index);
      info.package = ancestor_index(core, HWLOC_OBJ_PACKAGE);
      hwloc_obj_t numa = nullptr;
      if (core->cpuset) {
        numa = hwloc_get_next_obj_covering_cpuset_by_type(topo, core->cpuset, HWLOC_OBJ_NUMANODE,
                                                          nullptr);
      }
      info.numa_node = numa ? int(numa->logical_index) : 0;
      unsigned pu;
      hwloc_bitmap_foreach_begin(pu, core->cpuset) {
        if (hwloc_bitmap_isset(allowed, pu)) info.pus.push_back(int(pu));
      }
      hwloc_bitmap_foreach_end();
      if (!info.pus.empty()) {
        t.pus += int(info.pus.size());
        t.allowed_cores.push_back(std::move(info));
      }
    }
    t.cores = int(t.allowed_cores.size());
    if (t.cores == 0) {  // hwloc saw no cores (unusual VMs): treat each allowed PU as a core.
      unsigned pu;
      hwloc_bitmap_foreach_begin(pu, allowed) {
        CoreInfo info;
        info.os_index = int(pu);
        info.numa_node = 0;
        info.package = 0;
        info.pus.push_back(int(pu));
        t.allowed_cores.push_back(info);
      }
      hwloc_bitmap_foreach_end();
      t.cores = t.pus = int(t.allowed_cores.size());
    }
    hwloc_obj_t root = hwloc_get_root_obj(topo);
    if (const char* model = hwloc_obj_get_info_by_name(root, "CPUModel")) t.cpu_model = model;
    if (t.cpu_model.empty()) {
      if (hwloc_obj_t pkg = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, 0)) {
        if (const char* model = hwloc_obj_get_info_by_name(pkg, "CPUModel")) t.cpu_model = model;
      }
    }
    for (hwloc_obj_t pci = hwloc_get_next_pcidev(topo, nullptr); pci;
         pci = hwloc_get_next_pcidev(topo, pci)) {
      unsigned cls = pci->attr->pcidev.class_id >> 8;
      if (cls == 0x03 || cls == 0x12) {  // display controller or processing accelerator
        char buf[64];
        std::snprintf(buf, sizeof buf, "%04x:%04x", pci->attr->pcidev.vendor_id,
                      pci->attr->pcidev.device_id);
        std::string desc = buf;
        if (pci->name) desc += std::string(" ") + pci->name;
        t.pci_gpus.push_back(desc);
      }
    }
    hwloc_bitmap_free(allowed);
    return t;
  }();
  return t;
}

bool pin_current_thread_to_pu(int pu_os_index) {
  static std::mutex mu;  // hwloc topology queries are not documented thread-safe for set calls
  std::lock_guard<std::mutex> lock(mu);
  hwloc_cpuset_t set = hwloc_bitmap_alloc();
  hwloc_bitmap_only(set, unsigned(pu_os_index));
  int rc = hwloc_set_cpubind(handle().topo, set, HWLOC_CPUBIND_THREAD);
  hwloc_bitmap_free(set);
  return rc == 0;
}

}  // namespace efaas
