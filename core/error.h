// Error types and exit codes. Every user-facing failure is one of these, thrown with a one-line message
// that says what went wrong, where, and how to fix it; cli/ maps them to exit codes.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace hezar {

enum ExitCode : int { kExitOk = 0, kExitRuntime = 1, kExitBadInput = 2 };

class Error : public std::runtime_error {
 public:
  Error(const std::string& message, int exit_code) : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// Bad input from the user: config, files, arguments. Exit code 2.
class BadInput : public Error {
 public:
  explicit BadInput(const std::string& message) : Error(message, kExitBadInput) {}
};

// Something failed while doing valid work (I/O, out of memory, a bug). Exit code 1.
class RuntimeFailure : public Error {
 public:
  explicit RuntimeFailure(const std::string& message) : Error(message, kExitRuntime) {}
};

namespace detail {
template <class... Args>
std::string concat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}
}  // namespace detail

}  // namespace hezar

// TORCH_CHECK-style guards: the message parts are streamed, so any printable value can be passed.
#define HEZAR_CHECK_INPUT(cond, ...) \
  do {                               \
    if (!(cond)) throw ::hezar::BadInput(::hezar::detail::concat(__VA_ARGS__)); \
  } while (0)

#define HEZAR_CHECK(cond, ...) \
  do {                         \
    if (!(cond)) throw ::hezar::RuntimeFailure(::hezar::detail::concat(__VA_ARGS__)); \
  } while (0)
