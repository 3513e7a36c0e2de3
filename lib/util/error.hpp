// Errors inside libappc are values: Result<T> holds a T or an Error.
// Exceptions are reserved for out-of-memory and programming errors.
#pragma once

#include <cerrno>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace appc {

// Stable codes; the C ABI's appc_status mirrors these numerically.
enum class Code : int {
  ok = 0,
  generic = -1,
  invalid = -2,       // bad input: manifest, archive, argument
  not_found = -3,
  exists = -4,
  verify = -5,        // hash or signature mismatch
  network = -6,
  cancelled = -7,
  not_supported = -8,
  os = -9,            // a system call failed; sys_errno says which error
  iter_over = -10,
  permission = -11,
  conflict = -12,     // busy, locked, in use
  limit = -13,        // a configured bound was exceeded (size, depth, count)
  internal = -14,     // a bug in libappc
  nomem = -15,
};

const char *code_name(Code c) noexcept;

// One finding of a validation: where (a JSON path such as "app.ports[1].port"),
// what, and the checklist item (spec/checklist.md) it enforces, 0 when none.
struct Diagnostic {
  std::string path;
  std::string message;
  int rule = 0;
  // "app.ports[1].port: 70000 is outside 1..65535 (spec 17)"
  std::string format() const;
};

struct Error {
  Code code = Code::generic;
  int sys_errno = 0;
  std::string message;                 // one line, already including the path where one exists
  std::string where;                   // a path (file, JSON path, archive entry) or empty
  std::vector<Diagnostic> diagnostics; // every finding, for validation errors

  static Error make(Code c, std::string msg, std::string where = {});
  static Error from_errno(int err, std::string what);
  static Error invalid(std::vector<Diagnostic> diags);
  static Error oom();
  // Prefix the message with context: "reading manifest: ..."
  Error wrap(std::string_view ctx) &&;
};

template <class T> class [[nodiscard]] Result {
public:
  Result(T v) : v_(std::in_place_index<0>, std::move(v)) {}
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}
  explicit operator bool() const noexcept { return v_.index() == 0; }
  bool ok() const noexcept { return v_.index() == 0; }
  T &value() & { return std::get<0>(v_); }
  const T &value() const & { return std::get<0>(v_); }
  T &&value() && { return std::get<0>(std::move(v_)); }
  T *operator->() { return &std::get<0>(v_); }
  const T *operator->() const { return &std::get<0>(v_); }
  T &operator*() & { return std::get<0>(v_); }
  const T &operator*() const & { return std::get<0>(v_); }
  Error &error() & { return std::get<1>(v_); }
  const Error &error() const & { return std::get<1>(v_); }
  Error &&error() && { return std::get<1>(std::move(v_)); }

private:
  std::variant<T, Error> v_;
};

template <> class [[nodiscard]] Result<void> {
public:
  Result() = default;
  Result(Error e) : err_(std::move(e)), has_err_(true) {}
  explicit operator bool() const noexcept { return !has_err_; }
  bool ok() const noexcept { return !has_err_; }
  Error &error() & { return err_; }
  const Error &error() const & { return err_; }
  Error &&error() && { return std::move(err_); }

private:
  Error err_;
  bool has_err_ = false;
};

using Status = Result<void>;

} // namespace appc

// TRY(expr): evaluate a Result; on error return it from the enclosing function,
// otherwise yield the value. GNU statement expression (g++ and clang).
#define APPC_TRY(expr)                                                         \
  ({                                                                           \
    auto _appc_r = (expr);                                                     \
    if (!_appc_r) return std::move(_appc_r).error();                           \
    std::move(_appc_r).value();                                                \
  })
#define APPC_TRY_VOID(expr)                                                    \
  do {                                                                         \
    auto _appc_r = (expr);                                                     \
    if (!_appc_r) return std::move(_appc_r).error();                           \
  } while (0)
