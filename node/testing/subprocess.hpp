#pragma once
// Test support: a child process with its stdin/stdout as pipes, killed (SIGTERM, then SIGKILL)
// and reaped by the destructor so tests never leave processes behind.
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "prover/common/status.hpp"

namespace efaas::node::testing {

class Subprocess {
 public:
  // argv[0] is looked up in PATH; env entries "K=V" are added to the current environment.
  static Result<Subprocess*> start(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                                   bool capture_stdout = true);
  ~Subprocess();
  // One line of stdout (without '\n'), or an error on EOF / timeout.
  Result<std::string> read_line(std::chrono::milliseconds timeout);
  pid_t pid() const { return pid_; }
  // SIGTERM, wait up to `grace`, then SIGKILL; returns the exit status (or -signal).
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));
  int kill_hard();  // SIGKILL, as a crash would
  bool running();

 private:
  Subprocess() = default;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
  int status_ = 0;
  bool reaped_ = false;
};

// The repository root (compiled in) and build directory (from the test binary's location).
std::string source_dir();
std::string build_dir();
// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();
// A fresh directory under /tmp removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace efaas::node::testing
