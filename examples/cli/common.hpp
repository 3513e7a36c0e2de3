// The appc CLI: what the `image` subcommands share (cmd_image.cpp, cmd_store.cpp):
// cancellation on SIGINT/SIGTERM, the progress line, flag parsing, error context.
#pragma once

#include "cli.hpp"

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace cli {

// ---------------------------------------------------------------------------
// Cancellation and progress

inline volatile std::sig_atomic_t g_signal = 0;

inline void on_signal(int sig) { g_signal = sig; }

// Catches SIGINT and SIGTERM for the life of a long operation.
class SignalGuard {
public:
  SignalGuard() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND | SA_RESTART;
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~SignalGuard() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  SignalGuard(const SignalGuard &) = delete;
  SignalGuard &operator=(const SignalGuard &) = delete;

private:
  struct sigaction old_int_ {}, old_term_ {};
};

inline double now_seconds() {
  struct timespec ts {};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

inline std::string human_bytes(uint64_t n) {
  static const char *const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = double(n);
  size_t u = 0;
  while (v >= 1024.0 && u + 1 < sizeof kUnits / sizeof kUnits[0]) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(n));
  else std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[u]);
  return buf;
}

// The progress line. On a terminal it is rewritten in place (at most ten
// times a second) and erased at the end; with --debug on anything else, one
// line at most every second and a last one at the end.
class Progress {
public:
  Progress(const Globals &g, uint64_t total_in) : total_in_(total_in) {
    tty_ = isatty(STDERR_FILENO) == 1;
    show_ = tty_ || g.debug;
    interval_ = tty_ ? 0.1 : 1.0;
  }
  ~Progress() { finish(); }
  Progress(const Progress &) = delete;
  Progress &operator=(const Progress &) = delete;

  // The callback for every options struct: cancels once a signal came.
  static int callback(const appc_progress *p, void *payload) {
    auto *self = static_cast<Progress *>(payload);
    if (g_signal != 0) return 1;
    self->update(*p);
    return 0;
  }

  void finish() {
    if (!show_ || !shown_) return;
    if (tty_) {
      std::fputs("\r\033[K", stderr);
    } else if (!last_line_.empty() && last_line_ != printed_) {
      std::fprintf(stderr, "%s\n", last_line_.c_str());
    }
    std::fflush(stderr);
    shown_ = false;
  }

private:
  void update(const appc_progress &p) {
    if (!show_) return;
    last_line_ = format(p);
    double t = now_seconds();
    if (shown_ && t - last_ < interval_) return;
    last_ = t;
    shown_ = true;
    printed_ = last_line_;
    if (tty_) std::fprintf(stderr, "\r\033[K%s", last_line_.c_str());
    else std::fprintf(stderr, "%s\n", last_line_.c_str());
    std::fflush(stderr);
  }

  std::string format(const appc_progress &p) const {
    std::string s = std::string(p.phase) + ": " + human_bytes(p.bytes_in);
    if (total_in_ > 0) {
      char pct[16];
      std::snprintf(pct, sizeof pct, " (%d%%)",
                    int(double(std::min(p.bytes_in, total_in_)) * 100.0 / double(total_in_)));
      s += " of " + human_bytes(total_in_) + pct;
    }
    s += ", " + human_bytes(p.bytes_out) + " tar, " + std::to_string(p.entries) + " entries";
    return s;
  }

  uint64_t total_in_ = 0;
  bool tty_ = false, show_ = false, shown_ = false;
  double interval_ = 1.0, last_ = 0.0;
  std::string last_line_, printed_;
};

inline uint64_t file_size(const std::string &path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return uint64_t(st.st_size);
  return 0;
}

// ---------------------------------------------------------------------------
// Command lines

// Splits `args` into operands and flags; flags in `with_value` take a value
// ("--flag=V" or "--flag V"), the others none. Unknown flags are usage errors.
struct Parsed {
  std::vector<std::string> operands;
  std::vector<std::pair<std::string, std::string>> flags;  // {name, value}
  bool has(const std::string &name) const {
    for (const auto &f : flags)
      if (f.first == name) return true;
    return false;
  }
  const std::string *value(const std::string &name) const {
    const std::string *v = nullptr;
    for (const auto &f : flags)
      if (f.first == name) v = &f.second;   // the last one wins
    return v;
  }
};

inline bool parse_args(const std::string &cmd, const Args &args, const std::vector<std::string> &plain,
                const std::vector<std::string> &with_value, Parsed &out, int &rc) {
  bool literal = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    if (literal || !is_flag(a)) {
      out.operands.push_back(a);
      continue;
    }
    if (a == "--") {
      literal = true;
      continue;
    }
    std::string name = a, value;
    bool has_eq = false;
    if (size_t eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_eq = true;
    }
    bool known_plain = false, known_value = false;
    for (const auto &p : plain) known_plain |= p == name;
    for (const auto &v : with_value) known_value |= v == name;
    if (known_plain && !has_eq) {
      out.flags.push_back({name, ""});
    } else if (known_plain) {
      rc = usage_error("image " + cmd + ": " + name + " takes no value");
      return false;
    } else if (known_value) {
      if (!has_eq) {
        if (i + 1 >= args.size()) {
          rc = usage_error("image " + cmd + ": " + name + " needs a value");
          return false;
        }
        value = args[++i];
      }
      out.flags.push_back({name, value});
    } else {
      rc = usage_error("image " + cmd + ": unknown flag '" + a + "'");
      return false;
    }
  }
  return true;
}

// The last error of an operation on `file`, with `verb` ("extract") as context.
// The library's messages usually name the file (or `other`, the second path
// of the operation); when one does, the context does not repeat it.
inline int fail_about(const Globals &g, const std::string &verb, const std::string &file, const std::string &other = {}) {
  const char *msg = appc_error_last()->message;
  bool named = std::strstr(msg, file.c_str()) != nullptr || (!other.empty() && std::strstr(msg, other.c_str()));
  std::string context = verb;
  if (!named) context += (context.empty() ? "" : " ") + file;
  return fail_last_error(g, context);
}

} // namespace cli
