// The appc CLI: messages, files, JSON text.
#include "cli.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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
  const bool is_stdin = path == "-";
  const int fd = is_stdin ? 0 : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    err = std::strerror(errno);
    out.clear();
    return false;
  }
  // Straight into `out`, whose buffer the caller may reuse across files. A
  // regular file is asked for one byte more than its size, so one read(2)
  // returns it all and its short count marks the end; anything else is read
  // until read(2) returns 0. Never more than limit + 1 bytes.
  struct stat st;
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  // A short read ends the file only past its stat size, and only when there
  // is one: /proc and /sys files say 0 and are read page by page.
  const bool sized = regular && st.st_size > 0;
  const size_t cap = limit == SIZE_MAX ? limit : limit + 1;
  // resize() zero-fills beyond the size `out` already has (the previous
  // file's): a buffer reused for files of similar sizes is barely filled.
  const size_t want = std::min(regular ? static_cast<size_t>(st.st_size) + 1 : size_t{65536}, cap);
  if (out.size() < want) out.resize(want);
  size_t got = 0;
  bool ok = true;
  for (;;) {
    if (got == out.size()) {
      if (got >= cap) break;
      out.resize(std::min(std::max(got * 2, size_t{65536}), cap));
    }
    const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = std::strerror(errno);
      ok = false;
      break;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
    if (sized && got < out.size() && got >= static_cast<size_t>(st.st_size)) break;   // the short read at the end
  }
  if (!is_stdin) ::close(fd);
  out.resize(ok ? got : 0);
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
