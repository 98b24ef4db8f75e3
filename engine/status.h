// Errors at module boundaries are values: an Error carries one of the contract's reply codes,
// a sentence for a person, and optionally the command field it is about. Result<T> holds either a
// value or an Error; Status is Result without a value. Neither throws when used as documented.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace dispatch {

// The reply codes of shared/CONTRACT.md; to_string gives their wire spelling.
enum class ErrorCode {
  invalid,          // a bad or missing field
  not_found,        // the order, unit or staff named does not exist
  forbidden,        // the actor may not do this
  invalid_state,    // the order's state does not allow it
  conflict,         // a concurrent change; the caller may retry
  unavailable,      // the store or log cannot be used right now
  unauthenticated,  // no, wrong or expired login
};

std::string_view to_string(ErrorCode code);
std::optional<ErrorCode> error_code_from_string(std::string_view text);

struct Error {
  ErrorCode code = ErrorCode::invalid;
  std::string message;  // a whole sentence a person can act on
  std::string field;    // the offending field ("customer.phone"), empty when none

  friend bool operator==(const Error&, const Error&) = default;
};

inline Error make_error(ErrorCode code, std::string message, std::string field = {}) {
  return Error{code, std::move(message), std::move(field)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design, like StatusOr
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Precondition for value(), *, ->: ok(). Precondition for error(): !ok().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  static Status success() { return Status(); }
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

}  // namespace dispatch
