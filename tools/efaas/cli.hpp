#pragma once
// The `efaas` command line: one binary, subcommands registered by each area.
// Exit codes: 0 success, 1 a check that ran failed (proof rejected, vector mismatch),
// 2 bad usage or bad input. Every subcommand takes --json.
#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "prover/common/status.hpp"

namespace efaas::cli {

enum ExitCode : int { kExitOk = 0, kExitCheckFailed = 1, kExitUsage = 2 };

// Output helpers shared by the subcommands.
struct Output {
  bool json = false;
  // Prints `j` when --json, else nothing (the command prints its own text).
  void emit_json(const nlohmann::json& j) const;
  // Reports an error: {"error": ..., "status": ...} with --json, else "efaas: error: ..." on
  // stderr. Returns the exit code: 2 for bad input/usage, 1 otherwise.
  int error(const Status& s) const;
  int error_usage(const std::string& message) const;
};

// Adds a subcommand with a --json flag; `run` is called after parsing if it was selected.
CLI::App* add_command(CLI::App& parent, const std::string& name, const std::string& description,
                      Output& out, std::function<int()> run);

// Registration functions, one per area (cmd_*.cpp).
void register_device_commands(CLI::App& app);
void register_ntt_commands(CLI::App& app);
void register_wasm_commands(CLI::App& app);
void register_groth16_commands(CLI::App& app);
void register_farm_commands(CLI::App& app);
void register_bench_commands(CLI::App& app);
void register_zkwasm_commands(CLI::App& app);

// "all cores" for 0, else the number.
std::string effective_threads_label(size_t threads);

int run(int argc, char** argv);

}  // namespace efaas::cli
