#include "tools/efaas/cli.hpp"

#include <iostream>
#include <memory>
#include <vector>

namespace efaas::cli {

namespace {
// The command chosen on the command line, set by its parse callback.
std::function<int()>* g_selected = nullptr;
std::vector<std::unique_ptr<std::function<int()>>> g_commands;
}  // namespace

void Output::emit_json(const nlohmann::json& j) const {
  if (json) std::cout << j.dump(2) << std::endl;
}

int Output::error(const Status& s) const {
  bool usage = s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kOutOfRange ||
               s.code() == StatusCode::kDataLoss;
  if (json) {
    std::cout << nlohmann::json{{"error", s.message()}, {"status", status_code_name(s.code())}}
                     .dump(2)
              << std::endl;
  } else {
    std::cerr << "efaas: error: " << s.to_string() << std::endl;
  }
  return usage ? kExitUsage : kExitCheckFailed;
}

int Output::error_usage(const std::string& message) const {
  return error(invalid_argument(message));
}

CLI::App* add_command(CLI::App& parent, const std::string& name, const std::string& description,
                      Output& out, std::function<int()> run) {
  CLI::App* sub = parent.add_subcommand(name, description);
  sub->add_flag("--json", out.json, "Print one JSON object instead of text");
  g_commands.push_back(std::make_unique<std::function<int()>>(std::move(run)));
  std::function<int()>* fn = g_commands.back().get();
  sub->parse_complete_callback([fn] { g_selected = fn; });
  return sub;
}

int run(int argc, char** argv) {
  CLI::App app{"efaas: verifiable off-chain computation for Ethereum (prover, farm, node tools)"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Help for every subcommand");
  register_device_commands(app);
  register_ntt_commands(app);
  register_wasm_commands(app);
  register_groth16_commands(app);
  register_farm_commands(app);
  register_bench_commands(app);
  register_zkwasm_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);  // prints help, returns 0
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message and usage
    return kExitUsage;
  }
  if (g_selected == nullptr) {
    std::cerr << "efaas: no command given; see efaas --help" << std::endl;
    return kExitUsage;
  }
  return (*g_selected)();
}

}  // namespace efaas::cli
