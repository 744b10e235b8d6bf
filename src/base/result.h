// Error values and Result<T>: how every layer reports failures that come from outside (files,
// requests, child processes). No exception crosses a layer boundary.
#pragma once

#include <fmt/format.h>

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace corral {

// A failure: what went wrong, plus the chain of what was being done when it happened
// ("reading model.gguf: tensor 'x': offset past the end").
class Error {
 public:
  explicit Error(std::string message) : message_(std::move(message)) {}

  template <typename... Args>
  static Error format(fmt::format_string<Args...> f, Args&&... args) {
    return Error(fmt::format(f, std::forward<Args>(args)...));
  }

  // Adds an outer context ("while doing X"); the outermost context is printed first.
  // Returns by value so that `e = std::move(e).with_context(...)` is not a self-move.
  Error with_context(std::string context) && {
    contexts_.push_back(std::move(context));
    return std::move(*this);
  }

  const std::string& message() const { return message_; }
  const std::vector<std::string>& contexts() const { return contexts_; }

  // "outer: inner: message".
  std::string to_string() const {
    std::string out;
    for (auto it = contexts_.rbegin(); it != contexts_.rend(); ++it) {
      out += *it;
      out += ": ";
    }
    out += message_;
    return out;
  }

 private:
  std::string message_;
  std::vector<std::string> contexts_;  // innermost first
};

// Either a value or an Error. Cheap to move; check ok() before value().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(state_); }
  Error&& error() && { return std::get<1>(std::move(state_)); }

  Result with_context(std::string context) && {
    if (!ok()) return std::move(std::get<1>(state_)).with_context(std::move(context));
    return std::move(*this);
  }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }

  const Error& error() const& { return *error_; }
  Error&& error() && { return std::move(*error_); }

  Result with_context(std::string context) && {
    if (error_) return std::move(*error_).with_context(std::move(context));
    return std::move(*this);
  }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

}  // namespace corral

#define CORRAL_CONCAT_INNER_(a, b) a##b
#define CORRAL_CONCAT_(a, b) CORRAL_CONCAT_INNER_(a, b)

// Returns the error of `expr` (a Result or Status) from the enclosing function.
#define CORRAL_TRY(expr)                                                                                          \
  do {                                                                                                            \
    if (auto corral_try_result_ = (expr); !corral_try_result_.ok()) return std::move(corral_try_result_).error(); \
  } while (0)

// `lhs = value of expr`, or returns its error from the enclosing function.
#define CORRAL_ASSIGN_OR_RETURN(lhs, expr) \
  CORRAL_ASSIGN_OR_RETURN_IMPL_(CORRAL_CONCAT_(corral_result_, __LINE__), lhs, expr)
#define CORRAL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).error();       \
  lhs = std::move(tmp).value()
