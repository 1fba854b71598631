// The WebAssembly core spec tests (../shared/wasm-spec/*.wast), converted with wabt's wast2json
// at test time and run against this runtime. One test per file; each prints its row of the
// pass/skip/fail table. Skipped: assertions that need floating point (modules rejected for
// floats, f32/f64 arguments or results) and text-format-only assertions (the runtime reads the
// binary format; wast2json keeps those as .wat files).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "prover/wasm/instance.hpp"
#include "prover/wasm/module.hpp"

namespace efaas::wasm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string shared_dir() {
  if (const char* d = std::getenv("EFAAS_SHARED_DIR")) return d;
  return EFAAS_DEFAULT_SHARED_DIR;
}

std::vector<std::string> spec_files() {
  std::vector<std::string> out;
  const fs::path dir = fs::path(shared_dir()) / "wasm-spec";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".wast") out.push_back(e.path().stem().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct Row {
  int passed = 0;
  int skipped_float = 0;
  int skipped_text = 0;
  int failed = 0;
  std::vector<std::string> failures;
};

std::map<std::string, Row>& table() {
  static std::map<std::string, Row> t;
  return t;
}

void print_table() {
  if (table().empty()) return;
  std::printf("\n%-28s %7s %9s %9s %7s\n", "spec file", "passed", "skip-fp", "skip-text", "failed");
  Row total;
  for (const auto& [file, r] : table()) {
    std::printf("%-28s %7d %9d %9d %7d\n", file.c_str(), r.passed, r.skipped_float, r.skipped_text,
                r.failed);
    total.passed += r.passed;
    total.skipped_float += r.skipped_float;
    total.skipped_text += r.skipped_text;
    total.failed += r.failed;
  }
  std::printf("%-28s %7d %9d %9d %7d\n", "TOTAL", total.passed, total.skipped_float,
              total.skipped_text, total.failed);
}

class TableEnv : public ::testing::Environment {
 public:
  void TearDown() override { print_table(); }
};
const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new TableEnv);

bool is_float_type(const json& v) {
  const std::string t = v.value("type", "");
  return t == "f32" || t == "f64";
}

std::vector<uint8_t> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

// The "spectest" host module every spec file may import.
void define_spectest(Linker& linker) {
  auto nop = [](Instance&, const uint64_t*, uint64_t*) { return TrapCode::kNone; };
  linker.define("spectest", "print", ExternFunc{FuncType{}, nop, {}});
  linker.define("spectest", "print_i32", ExternFunc{FuncType{{ValType::kI32}, {}}, nop, {}});
  linker.define("spectest", "print_i64", ExternFunc{FuncType{{ValType::kI64}, {}}, nop, {}});
  linker.define("spectest", "print_i32_i32",
                ExternFunc{FuncType{{ValType::kI32, ValType::kI32}, {}}, nop, {}});
  auto g32 = std::make_shared<GlobalCell>();
  g32->value = 666;
  g32->type = {ValType::kI32, false};
  linker.define("spectest", "global_i32", g32);
  auto g64 = std::make_shared<GlobalCell>();
  g64->value = 666;
  g64->type = {ValType::kI64, false};
  linker.define("spectest", "global_i64", g64);
  auto table = std::make_shared<Table>();
  table->elems.resize(10);
  table->has_max = true;
  table->max = 20;
  linker.define("spectest", "table", table);
  auto mem = std::make_shared<Memory>();
  mem->pages = 1;
  mem->max_pages = 2;
  mem->bytes.assign(65536, 0);
  linker.define("spectest", "memory", mem);
}

class SpecRunner {
 public:
  SpecRunner(const std::string& file, const fs::path& dir, Row& row)
      : file_(file), dir_(dir), row_(row) {
    define_spectest(linker_);
  }

  void run(const json& commands) {
    for (const json& c : commands) command(c);
  }

 private:
  struct Loaded {
    std::unique_ptr<Instance> instance;
    bool float_skipped = false;
  };

  void fail(const json& c, const std::string& why) {
    ++row_.failed;
    std::ostringstream s;
    s << file_ << ".wast:" << c.value("line", 0) << " " << c.value("type", "") << ": " << why;
    row_.failures.push_back(s.str());
  }

  // Loads (decode + validate) a module file; `float_reject` set when rejected for floating point.
  Result<std::shared_ptr<const Module>> load(const std::string& filename, bool& float_reject) {
    float_reject = false;
    std::vector<uint8_t> bytes = read_file(dir_ / filename);
    Result<std::shared_ptr<const Module>> m = load_module(bytes);
    if (!m && is_float_rejection(m.status())) float_reject = true;
    return m;
  }

  Loaded* target(const json& action) {
    if (action.contains("module")) {
      auto it = named_.find(action["module"].get<std::string>());
      return it == named_.end() ? nullptr : it->second;
    }
    return current_;
  }

  // Runs a command's action for an assertion; false (counted as skipped or failed) when there
  // is no result to check.
  bool run_action(const json& c, Result<ExecResult>& r) {
    bool skip = false;
    if (!act(c, c["action"], r, skip)) {
      if (skip) {
        ++row_.skipped_float;
      } else {
        fail(c, "action failed: " + r.status().to_string());
      }
      return false;
    }
    if (!r) {
      fail(c, "action failed: " + r.status().to_string());
      return false;
    }
    return true;
  }

  // Runs an action; returns false when it must be skipped (floating point).
  bool act(const json& c, const json& action, Result<ExecResult>& out, bool& skip) {
    skip = false;
    Loaded* l = target(action);
    if (!l || l->float_skipped) {
      skip = l != nullptr;
      if (!l) out = invalid_argument("no module for action");
      return false;
    }
    for (const json& a : action.value("args", json::array())) {
      if (is_float_type(a)) {
        skip = true;
        return false;
      }
    }
    if (!l->instance) {
      out = invalid_argument("module failed to instantiate");
      return false;
    }
    const std::string field = action["field"].get<std::string>();
    if (action["type"] == "get") {
      Result<Extern> x = l->instance->export_extern(field);
      if (!x) {
        out = x.status();
        return false;
      }
      const auto* g = std::get_if<std::shared_ptr<GlobalCell>>(&*x);
      if (!g) {
        out = invalid_argument("export is not a global");
        return false;
      }
      ExecResult r;
      r.results.push_back((*g)->value);
      out = r;
      return true;
    }
    std::vector<uint64_t> args;
    for (const json& a : action.value("args", json::array())) {
      args.push_back(std::stoull(a["value"].get<std::string>()));
    }
    out = l->instance->invoke_export(field, args);
    return true;
  }

  void command(const json& c) {
    const std::string type = c["type"];
    if (type == "module") {
      auto holder = std::make_unique<Loaded>();
      Loaded* l = holder.get();
      bool fr = false;
      Result<std::shared_ptr<const Module>> m = load(c["filename"], fr);
      if (!m) {
        if (fr) {
          l->float_skipped = true;
          ++row_.skipped_float;
        } else {
          fail(c, "module rejected: " + m.status().to_string());
        }
      } else {
        Result<std::unique_ptr<Instance>> inst = instantiate(*m);
        if (!inst && imports_float_module(**m)) {
          l->float_skipped = true;
          ++row_.skipped_float;
        } else if (!inst) {
          fail(c, "instantiation failed: " + inst.status().to_string());
        } else {
          l->instance = std::move(*inst);
          ++row_.passed;
        }
      }
      current_ = l;
      if (c.contains("name")) named_[c["name"]] = l;
      owned_.push_back(std::move(holder));
      return;
    }
    if (type == "register") {
      Loaded* l = c.contains("name") ? named_[c["name"]] : current_;
      if (l && l->instance) linker_.define_instance(c["as"], *l->instance);
      if (l && l->float_skipped) float_modules_.insert(c["as"]);
      return;
    }
    if (type == "action") {
      Result<ExecResult> r = invalid_argument("");
      bool skip = false;
      act(c, c["action"], r, skip);
      return;
    }
    if (type == "assert_return") {
      for (const json& e : c["expected"]) {
        if (is_float_type(e)) {
          ++row_.skipped_float;
          return;
        }
      }
      Result<ExecResult> r = invalid_argument("");
      if (!run_action(c, r)) return;
      if (r->trap != TrapCode::kNone) return fail(c, "unexpected trap: " + r->trap_message);
      const json& exp = c["expected"];
      if (r->results.size() != exp.size()) return fail(c, "wrong number of results");
      for (size_t i = 0; i < exp.size(); ++i) {
        uint64_t want = std::stoull(exp[i]["value"].get<std::string>());
        uint64_t got = r->results[i];
        if (exp[i]["type"] == "i32") {
          want = uint32_t(want);
          got = uint32_t(got);
        }
        if (want != got) {
          return fail(c, c["action"].value("field", "") + ": expected " + std::to_string(want) +
                             ", got " + std::to_string(got));
        }
      }
      ++row_.passed;
      return;
    }
    if (type == "assert_trap" || type == "assert_exhaustion") {
      Result<ExecResult> r = invalid_argument("");
      if (!run_action(c, r)) return;
      const std::string text = c.value("text", "");
      if (r->trap == TrapCode::kNone) return fail(c, "expected trap \"" + text + "\", returned");
      const std::string reason = trap_reason(r->trap);
      const bool ok = type == "assert_exhaustion"
                          ? r->trap == TrapCode::kCallStackExhausted
                          : text.rfind(reason, 0) == 0 || reason.rfind(text, 0) == 0;
      if (!ok) return fail(c, "expected trap \"" + text + "\", got \"" + r->trap_message + "\"");
      ++row_.passed;
      return;
    }
    if (type == "assert_malformed" || type == "assert_invalid") {
      if (c.value("module_type", "binary") != "binary") {
        ++row_.skipped_text;
        return;
      }
      bool fr = false;
      Result<std::shared_ptr<const Module>> m = load(c["filename"], fr);
      if (m) return fail(c, "module accepted, expected \"" + c.value("text", "") + "\"");
      if (fr) {
        ++row_.skipped_float;
        return;
      }
      ++row_.passed;
      return;
    }
    if (type == "assert_unlinkable" || type == "assert_uninstantiable") {
      bool fr = false;
      Result<std::shared_ptr<const Module>> m = load(c["filename"], fr);
      if (!m) {
        if (fr) {
          ++row_.skipped_float;
          return;
        }
        return fail(c, "module rejected at load: " + m.status().to_string());
      }
      Result<std::unique_ptr<Instance>> inst = instantiate(*m);
      if (!inst && imports_float_module(**m)) {
        ++row_.skipped_float;
        return;
      }
      if (inst) return fail(c, "module instantiated, expected \"" + c.value("text", "") + "\"");
      const bool is_trap = inst.status().message().rfind("instantiation trap", 0) == 0;
      if ((type == "assert_uninstantiable") != is_trap) {
        return fail(c, "wrong failure: " + inst.status().to_string());
      }
      ++row_.passed;
      return;
    }
    fail(c, "unknown command type " + type);
  }

  // True when `m` imports from a registered module that was skipped for floating point.
  bool imports_float_module(const Module& m) const {
    for (const Import& im : m.imports) {
      if (float_modules_.count(im.module)) return true;
    }
    return false;
  }

  // Instantiates and runs the start function; an instance whose start trapped stays alive
  // (tables elsewhere may point into it).
  Result<std::unique_ptr<Instance>> instantiate(const std::shared_ptr<const Module>& m) {
    Result<std::unique_ptr<Instance>> inst = Instance::instantiate(m, linker_, {}, false);
    if (!inst) return inst;
    Status s = (*inst)->run_start();
    if (!s) {
      auto holder = std::make_unique<Loaded>();
      holder->instance = std::move(*inst);
      owned_.push_back(std::move(holder));
      return s;
    }
    return inst;
  }

  std::set<std::string> float_modules_;
  std::string file_;
  fs::path dir_;
  Row& row_;
  Linker linker_;
  Loaded* current_ = nullptr;
  std::map<std::string, Loaded*> named_;
  std::vector<std::unique_ptr<Loaded>> owned_;
};

class WasmSpecTest : public ::testing::TestWithParam<std::string> {};

TEST_P(WasmSpecTest, File) {
  const std::string name = GetParam();
  const fs::path wast = fs::path(shared_dir()) / "wasm-spec" / (name + ".wast");
  char tmpl[] = "/tmp/efaas-spec-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const fs::path dir = tmpl;
  const fs::path out = dir / (name + ".json");
  // MVP semantics: the suite predates reference types and bulk memory.
  const std::string cmd = "wast2json --disable-reference-types --disable-bulk-memory '" +
                          wast.string() + "' -o '" + out.string() + "' 2>&1";
  const int rc = std::system(cmd.c_str());
  ASSERT_EQ(rc, 0) << "wast2json failed on " << wast << " (install Debian wabt)";
  std::ifstream in(out);
  const json j = json::parse(in);
  Row& row = table()[name];
  row = Row{};
  SpecRunner runner(name, dir, row);
  runner.run(j["commands"]);
  std::error_code ec;
  fs::remove_all(dir, ec);
  std::printf("%s: %d passed, %d skipped (floating point), %d skipped (text format), %d failed\n",
              name.c_str(), row.passed, row.skipped_float, row.skipped_text, row.failed);
  for (const std::string& f : row.failures) ADD_FAILURE() << f;
  EXPECT_GT(row.passed + row.skipped_float + row.skipped_text, 0);
}

INSTANTIATE_TEST_SUITE_P(Wast, WasmSpecTest, ::testing::ValuesIn(spec_files()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string s = info.param;
                           for (char& ch : s) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return s;
                         });

}  // namespace
}  // namespace efaas::wasm
