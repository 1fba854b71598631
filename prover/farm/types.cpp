#include "prover/farm/types.hpp"

#include <chrono>

namespace efaas::farm {

const char* job_kind_name(JobKind k) {
  switch (k) {
    case JobKind::kZkwasmTrace:
      return "zkwasm-trace";
    case JobKind::kZkwasmModule:
      return "zkwasm-module";
    case JobKind::kGroth16:
      return "groth16";
  }
  return "unknown";
}

Result<JobKind> parse_job_kind(std::string_view name) {
  if (name == "groth16") return JobKind::kGroth16;
  if (name == "zkwasm-trace" || name == "zkwasm") return JobKind::kZkwasmTrace;
  if (name == "zkwasm-module") return JobKind::kZkwasmModule;
  return invalid_argument("unknown job kind '" + std::string(name) +
                          "' (groth16, zkwasm-trace, zkwasm-module)");
}

const char* job_state_name(JobState s) {
  switch (s) {
    case JobState::kQueued:
      return "queued";
    case JobState::kRunning:
      return "running";
    case JobState::kSucceeded:
      return "succeeded";
    case JobState::kFailed:
      return "failed";
    case JobState::kCancelled:
      return "cancelled";
    case JobState::kExpired:
      return "expired";
  }
  return "unknown";
}

bool is_terminal(JobState s) {
  return s == JobState::kSucceeded || s == JobState::kFailed || s == JobState::kCancelled ||
         s == JobState::kExpired;
}

const char* code_name(Code c) {
  switch (c) {
    case Code::kOk:
      return "OK";
    case Code::kCancelled:
      return "CANCELLED";
    case Code::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case Code::kDeadlineExceeded:
      return "DEADLINE_EXCEEDED";
    case Code::kNotFound:
      return "NOT_FOUND";
    case Code::kAlreadyExists:
      return "ALREADY_EXISTS";
    case Code::kPermissionDenied:
      return "PERMISSION_DENIED";
    case Code::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
    case Code::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case Code::kOutOfRange:
      return "OUT_OF_RANGE";
    case Code::kUnimplemented:
      return "UNIMPLEMENTED";
    case Code::kInternal:
      return "INTERNAL";
    case Code::kUnavailable:
      return "UNAVAILABLE";
    case Code::kDataLoss:
      return "DATA_LOSS";
    case Code::kUnauthenticated:
      return "UNAUTHENTICATED";
  }
  return "UNKNOWN";
}

Error from_status(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk:
      return {Code::kOk, ""};
    case StatusCode::kInvalidArgument:
      return {Code::kInvalidArgument, s.message()};
    case StatusCode::kOutOfRange:
      return {Code::kOutOfRange, s.message()};
    case StatusCode::kUnimplemented:
      return {Code::kUnimplemented, s.message()};
    case StatusCode::kUnavailable:
      return {Code::kUnavailable, s.message()};
    case StatusCode::kInternal:
      return {Code::kInternal, s.message()};
    case StatusCode::kCancelled:
      return {Code::kCancelled, s.message()};
    case StatusCode::kDataLoss:
      return {Code::kDataLoss, s.message()};
  }
  return {Code::kInternal, s.message()};
}

int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace efaas::farm
