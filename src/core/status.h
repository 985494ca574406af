// Status and Result<T>: the two kinds of failure samq distinguishes.
//
// A *user* error is anything a file, image, prompt or flag can cause (exit code 2); an *internal*
// error is a broken invariant of samq itself (exit code 1). Input never aborts the process: every
// parser and kernel returns one of these instead.
#pragma once

#include <fmt/format.h>

#include <string>
#include <utility>
#include <variant>

namespace samq {

enum class ErrorKind { kOk = 0, kUser = 2, kInternal = 1 };

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return {}; }
  static Status User(std::string message) { return Status(ErrorKind::kUser, std::move(message)); }
  static Status Internal(std::string message) {
    return Status(ErrorKind::kInternal, std::move(message));
  }
  template <typename... Args>
  static Status UserF(fmt::format_string<Args...> f, Args&&... args) {
    return User(fmt::format(f, std::forward<Args>(args)...));
  }
  template <typename... Args>
  static Status InternalF(fmt::format_string<Args...> f, Args&&... args) {
    return Internal(fmt::format(f, std::forward<Args>(args)...));
  }

  bool ok() const { return kind_ == ErrorKind::kOk; }
  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  // The process exit code this status maps to (0, 1 or 2; see docs/CLI.md).
  int exit_code() const { return static_cast<int>(kind_); }

  // Prefix the message with where it happened: "node 'x' (Conv): " + message.
  Status WithContext(const std::string& where) const {
    if (ok()) return *this;
    return Status(kind_, where + ": " + message_);
  }

 private:
  Status(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}
  ErrorKind kind_ = ErrorKind::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}             // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}      // NOLINT: implicit by design
  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace samq

#define SAMQ_CONCAT_INNER(a, b) a##b
#define SAMQ_CONCAT(a, b) SAMQ_CONCAT_INNER(a, b)

// Return the status if it is an error.
#define SAMQ_RETURN_IF_ERROR(expr)            \
  do {                                        \
    ::samq::Status samq_status_ = (expr);     \
    if (!samq_status_.ok()) return samq_status_; \
  } while (0)

// `SAMQ_ASSIGN_OR_RETURN(auto x, MakeX());`
#define SAMQ_ASSIGN_OR_RETURN(lhs, expr) \
  SAMQ_ASSIGN_OR_RETURN_IMPL(SAMQ_CONCAT(samq_result_, __LINE__), lhs, expr)
#define SAMQ_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
