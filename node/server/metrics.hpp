#pragma once
// Prometheus counters and gauges (text exposition format 0.0.4), labelled by a reason string.
#include <atomic>
#include <map>
#include <mutex>
#include <string>

namespace efaas::node {

class Metrics {
 public:
  void inc(const std::string& name, const std::string& label = "", double by = 1);
  void set(const std::string& name, double value);
  double get(const std::string& name, const std::string& label = "") const;
  // help: name -> (type, help text), registered once.
  void describe(const std::string& name, const std::string& type, const std::string& help);
  std::string render() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::pair<std::string, std::string>> help_;
  std::map<std::string, std::map<std::string, double>> values_;  // name -> label -> value
};

}  // namespace efaas::node
