// The appc CLI: messages, files, JSON text.
#include "cli.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace cli {

int fail(const std::string &message) {
  std::fprintf(stderr, "appc: %s\n", message.c_str());
  return kExitError;
}

int fail_last_error(const Globals &g, const std::string &context) {
  const appc_error *e = appc_error_last();
  std::string msg = context.empty() ? std::string(e->message) : context + ": " + e->message;
  std::fprintf(stderr, "appc: %s\n", msg.c_str());
  if (g.debug) {
    std::fprintf(stderr, "appc: debug: status %s (%d), errno %d, where \"%s\"\n", appc_status_name(e->code),
                 e->code, e->sys_errno, e->where);
    for (size_t i = 0; i < appc_error_diagnostic_count(); ++i) {
      const char *path = "", *message = "";
      int rule = 0;
      appc_error_diagnostic(i, &path, &message, &rule);
      std::fprintf(stderr, "appc: debug: %s\n", format_finding(path, message, rule).c_str());
    }
  }
  return kExitError;
}

int usage_error(const std::string &message) {
  std::fprintf(stderr, "appc: %s\nTry 'appc --help'.\n", message.c_str());
  return kExitUsage;
}

bool is_flag(std::string_view s) { return s.size() > 1 && s[0] == '-'; }

bool read_file(const std::string &path, size_t limit, std::string &out, std::string &err) {
  std::FILE *f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    err = std::strerror(errno);
    return false;
  }
  out.clear();
  char chunk[65536];
  bool ok = true;
  while (out.size() <= limit) {
    size_t want = std::min(sizeof chunk, limit + 1 - out.size());
    size_t got = std::fread(chunk, 1, want, f);
    out.append(chunk, got);
    if (got < want) {
      if (std::ferror(f)) {
        err = std::strerror(errno ? errno : EIO);
        ok = false;
      }
      break;
    }
  }
  if (f != stdin) std::fclose(f);
  return ok;
}

std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default:
      if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
  }
  out += '"';
  return out;
}

std::string format_finding(const char *path, const char *message, int rule) {
  std::string s;
  if (path != nullptr && *path != '\0') {
    s += path;
    s += ": ";
  }
  s += message ? message : "";
  if (rule > 0) s += " (spec " + std::to_string(rule) + ")";
  return s;
}

} // namespace cli
