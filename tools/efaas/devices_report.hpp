#pragma once
#include <nlohmann/json.hpp>

namespace efaas::cli {
// The machine's devices as JSON, and as text on stdout (used by `devices` and `demo`).
nlohmann::json devices_json();
void print_devices_text(const nlohmann::json& j);
}  // namespace efaas::cli
