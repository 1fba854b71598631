#include "node/server/metrics.hpp"

#include <sstream>

namespace efaas::node {

void Metrics::inc(const std::string& name, const std::string& label, double by) {
  std::lock_guard<std::mutex> lock(mu_);
  values_[name][label] += by;
}

void Metrics::set(const std::string& name, double value) {
  std::lock_guard<std::mutex> lock(mu_);
  values_[name][""] = value;
}

double Metrics::get(const std::string& name, const std::string& label) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = values_.find(name);
  if (it == values_.end()) return 0;
  auto jt = it->second.find(label);
  return jt == it->second.end() ? 0 : jt->second;
}

void Metrics::describe(const std::string& name, const std::string& type, const std::string& help) {
  std::lock_guard<std::mutex> lock(mu_);
  help_[name] = {type, help};
  values_[name];
}

std::string Metrics::render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::ostringstream out;
  for (const auto& [name, series] : values_) {
    auto h = help_.find(name);
    if (h != help_.end()) {
      out << "# HELP " << name << " " << h->second.second << "\n# TYPE " << name << " " << h->second.first << "\n";
    }
    for (const auto& [label, v] : series) {
      out << name;
      if (!label.empty()) out << "{reason=\"" << label << "\"}";
      out << " " << v << "\n";
    }
  }
  return out.str();
}

}  // namespace efaas::node
