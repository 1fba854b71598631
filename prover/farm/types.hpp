#pragma once
// Domain types of the prover farm. The gRPC edge (service.cpp) converts to and from these;
// nothing below the edge sees generated protobuf types.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "prover/common/status.hpp"

namespace efaas::farm {

// Values match efaas.farm.v1.JobKind / JobState so the edge converts by cast.
enum class JobKind : int { kZkwasmTrace = 1, kZkwasmModule = 2, kGroth16 = 3 };
enum class JobState : int {
  kQueued = 1,
  kRunning = 2,
  kSucceeded = 3,
  kFailed = 4,
  kCancelled = 5,
  kExpired = 6
};
enum class ArtifactKind : int { kZkey = 1, kWasm = 2 };

const char* job_kind_name(JobKind k);  // "groth16", "zkwasm-trace", "zkwasm-module"
Result<JobKind> parse_job_kind(std::string_view name);
const char* job_state_name(JobState s);  // "queued", "running", ...
bool is_terminal(JobState s);

// The farm's errors carry gRPC's codes (prover/common's Status lacks UNAUTHENTICATED,
// NOT_FOUND, RESOURCE_EXHAUSTED ...); the edge maps them one to one.
enum class Code : int {
  kOk = 0,
  kCancelled = 1,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16
};
const char* code_name(Code c);

struct Error {
  Code code = Code::kInternal;
  std::string message;
  std::string to_string() const { return std::string(code_name(code)) + ": " + message; }
};
Error from_status(const Status& s);

// A value or the Error that explains why there is none.
template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T v) : v_(std::move(v)) {}                // NOLINT: implicit by design
  Expected(Error e) : v_(std::move(e)) {}            // NOLINT
  Expected(const Status& s) : v_(from_status(s)) {}  // NOLINT
  bool is_ok() const { return v_.index() == 0; }
  explicit operator bool() const { return is_ok(); }
  const Error& error() const { return std::get<1>(v_); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }

 private:
  std::variant<T, Error> v_;
};
struct Unit {};
using Outcome = Expected<Unit>;  // success without a value
inline Outcome ok() {
  return Unit{};
}
inline Error err(Code c, std::string m) {
  return Error{c, std::move(m)};
}

struct Quota {
  uint32_t max_concurrent_jobs = 0;  // queued + running
  uint64_t max_queued_bytes = 0;
  uint64_t max_input_bytes = 0;
  uint64_t max_units_per_hour = 0;
};

struct Tenant {
  std::string name;
  std::string key_hash;  // hex keccak256 of the API key
  int64_t balance = 0;
  Quota quota;
  uint32_t weight = 1;
  int64_t created_ms = 0;
};

// The longest private input a zkwasm trace job takes (zkwasm::kMaxPrivateBytes); the header
// carrying it must also fit the farm's gRPC message limit (max_chunk_bytes, at least 4 MiB).
inline constexpr size_t kMaxPrivateInputBytes = size_t(3) << 21;

struct JobSpec {
  JobKind kind = JobKind::kGroth16;
  std::string artifact;     // hex content hash
  std::string params_json;  // canonicalised JSON object text ("{}" when empty)
  int64_t deadline_ms = 0;  // Unix ms, 0 = none
  int32_t priority = 0;
  uint64_t input_size = 0;
  // zkwasm trace jobs only: the Extension's private input (input kind 4), which a trace does
  // not hold (JobHeader.private_input); a module job's is in its Extension input.
  std::optional<std::string> private_input;
};

struct Job {
  std::string id;
  std::string tenant;
  JobSpec spec;
  JobState state = JobState::kQueued;
  std::string stage;
  double fraction = 0;
  std::string input_hash;    // hex keccak256 of the input bytes
  std::string request_hash;  // the proof-cache key
  uint64_t units = 0;        // estimated at admission, exact when charged
  uint64_t cost = 0;
  std::string error_code;  // e.g. "INVALID_ARGUMENT"
  std::string error;
  std::string proof_hash;
  bool cached = false;
  int attempts = 0;  // runs started (a restart after a crash makes it 2)
  int64_t created_ms = 0, started_ms = 0, finished_ms = 0;
};

struct LedgerEntry {
  int64_t seq = 0;
  std::string tenant;
  std::string job_id;
  int64_t amount = 0;  // negative = charge
  uint64_t units = 0;
  std::string reason;  // "charge", "topup", "create"
  int64_t unix_ms = 0;
};

int64_t now_unix_ms();

}  // namespace efaas::farm
