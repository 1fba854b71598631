// `efaas devices`: what this machine offers the prover (topology, SIMD, OpenCL devices).
#include <iostream>

#include "prover/common/cpu_features.hpp"
#include "prover/common/topology.hpp"
#include "prover/device/backend.hpp"
#include "prover/device/opencl.hpp"
#include "tools/efaas/cli.hpp"
#include "tools/efaas/devices_report.hpp"

namespace efaas::cli {

nlohmann::json devices_json() {
  const Topology& t = topology();
  const CpuFeatures& f = cpu_features();
  nlohmann::json j;
  j["topology"] = {{"cpu_model", t.cpu_model},  {"packages", t.packages},
                   {"numa_nodes", t.numa_nodes}, {"cores", t.cores},
                   {"pus", t.pus},               {"pci_gpus", t.pci_gpus}};
  nlohmann::json cores = nlohmann::json::array();
  for (const auto& c : t.allowed_cores) {
    cores.push_back({{"core", c.os_index}, {"package", c.package}, {"numa", c.numa_node},
                     {"pus", c.pus}});
  }
  j["topology"]["allowed_cores"] = cores;
  j["cpu_features"] = {{"avx2", f.avx2},       {"bmi2", f.bmi2}, {"adx", f.adx},
                       {"avx512f", f.avx512f}, {"avx512ifma", f.avx512ifma},
                       {"avx2_used", avx2_usable()}};
  nlohmann::json cl = nlohmann::json::array();
  auto devices = list_opencl_devices();
  if (devices) {
    for (const auto& d : *devices) {
      cl.push_back({{"index", d.index},
                    {"platform", d.platform},
                    {"name", d.name},
                    {"vendor", d.vendor},
                    {"version", d.version},
                    {"type", d.type},
                    {"compute_units", d.compute_units},
                    {"global_mem_bytes", d.global_mem_bytes},
                    {"local_mem_bytes", d.local_mem_bytes},
                    {"max_work_group_size", d.max_work_group_size}});
    }
  } else {
    j["opencl_error"] = devices.status().message();
  }
  j["opencl_devices"] = cl;
  nlohmann::json backends = nlohmann::json::array();
  for (Backend b : {Backend::kScalar, Backend::kAvx2, Backend::kOpenCl}) {
    auto r = resolve_backend(b);
    backends.push_back({{"backend", backend_name(b)},
                        {"available", r.is_ok()},
                        {"reason", r.is_ok() ? "" : r.status().message()}});
  }
  j["backends"] = backends;
  return j;
}

void print_devices_text(const nlohmann::json& j) {
  const auto& t = j["topology"];
  std::cout << "CPU: " << t["cpu_model"].get<std::string>() << "\n"
            << "  packages " << t["packages"] << ", NUMA nodes " << t["numa_nodes"]
            << ", cores (allowed) " << t["cores"] << ", hardware threads (allowed) " << t["pus"]
            << "\n";
  for (const auto& c : t["allowed_cores"]) {
    std::cout << "  core " << c["core"] << ": package " << c["package"] << ", NUMA "
              << c["numa"] << ", PUs " << c["pus"].dump() << "\n";
  }
  for (const auto& g : t["pci_gpus"]) std::cout << "  PCI GPU " << g.get<std::string>() << "\n";
  const auto& f = j["cpu_features"];
  std::cout << "SIMD: AVX2 " << (f["avx2"].get<bool>() ? "yes" : "no") << ", AVX-512F "
            << (f["avx512f"].get<bool>() ? "yes" : "no") << ", AVX-512 IFMA "
            << (f["avx512ifma"].get<bool>() ? "yes" : "no") << ", BMI2 "
            << (f["bmi2"].get<bool>() ? "yes" : "no") << ", ADX "
            << (f["adx"].get<bool>() ? "yes" : "no") << "; AVX2 paths "
            << (f["avx2_used"].get<bool>() ? "enabled" : "disabled") << "\n";
  std::cout << "OpenCL devices:";
  if (j["opencl_devices"].empty()) std::cout << " none";
  std::cout << "\n";
  if (j.contains("opencl_error")) {
    std::cout << "  (error: " << j["opencl_error"].get<std::string>() << ")\n";
  }
  for (const auto& d : j["opencl_devices"]) {
    std::cout << "  [" << d["index"] << "] " << d["name"].get<std::string>() << " ("
              << d["type"].get<std::string>() << ", " << d["platform"].get<std::string>() << ", "
              << d["version"].get<std::string>() << "), " << d["compute_units"]
              << " compute units, " << (d["global_mem_bytes"].get<uint64_t>() >> 20)
              << " MiB global memory\n";
  }
  std::cout << "Backends:";
  for (const auto& b : j["backends"]) {
    std::cout << " " << b["backend"].get<std::string>()
              << (b["available"].get<bool>() ? "" : " (unavailable)");
  }
  std::cout << std::endl;
}

void register_device_commands(CLI::App& app) {
  static Output out;
  add_command(app, "devices", "Show CPU topology (hwloc), SIMD support and OpenCL devices", out,
              []() -> int {
                nlohmann::json j = devices_json();
                if (out.json) {
                  out.emit_json(j);
                } else {
                  print_devices_text(j);
                }
                return kExitOk;
              });
}

}  // namespace efaas::cli
