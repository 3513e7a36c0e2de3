#include "util/error.hpp"

#include <cstring>

namespace appc {

const char *code_name(Code c) noexcept {
  switch (c) {
  case Code::ok: return "ok";
  case Code::generic: return "error";
  case Code::invalid: return "invalid";
  case Code::not_found: return "not found";
  case Code::exists: return "exists";
  case Code::verify: return "verification failed";
  case Code::network: return "network";
  case Code::cancelled: return "cancelled";
  case Code::not_supported: return "not supported";
  case Code::os: return "system error";
  case Code::iter_over: return "iteration over";
  case Code::permission: return "permission denied";
  case Code::conflict: return "conflict";
  case Code::limit: return "limit exceeded";
  case Code::internal: return "internal error";
  case Code::nomem: return "out of memory";
  }
  return "error";
}

std::string Diagnostic::format() const {
  std::string s;
  s.reserve(path.size() + message.size() + 16);
  if (!path.empty()) {
    s += path;
    s += ": ";
  }
  s += message;
  if (rule > 0) {
    s += " (spec ";
    s += std::to_string(rule);
    s += ')';
  }
  return s;
}

Error Error::make(Code c, std::string msg, std::string where) {
  Error e;
  e.code = c;
  e.message = std::move(msg);
  e.where = std::move(where);
  return e;
}

Error Error::from_errno(int err, std::string what) {
  Error e;
  e.code = err == EACCES || err == EPERM ? Code::permission
           : err == ENOENT              ? Code::not_found
           : err == EEXIST              ? Code::exists
           : err == ENOMEM              ? Code::nomem
                                        : Code::os;
  e.sys_errno = err;
  e.message = std::move(what);
  e.message += ": ";
  e.message += std::strerror(err);
  return e;
}

Error Error::invalid(std::vector<Diagnostic> diags) {
  Error e;
  e.code = Code::invalid;
  if (!diags.empty()) {
    e.message = diags.front().format();
    e.where = diags.front().path;
    if (diags.size() > 1)
      e.message += " (and " + std::to_string(diags.size() - 1) + " more)";
  } else {
    e.message = "invalid";
  }
  e.diagnostics = std::move(diags);
  return e;
}

Error Error::oom() { return make(Code::nomem, "out of memory"); }

Error Error::wrap(std::string_view ctx) && {
  std::string m;
  m.reserve(ctx.size() + 2 + message.size());
  m.append(ctx);
  m += ": ";
  m += message;
  message = std::move(m);
  return std::move(*this);
}

} // namespace appc
