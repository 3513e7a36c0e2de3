// appc prepare|run|run-prepared|status|list|stop|rm|gc|enter|logs: pods under
// --root (docs/executor.md, docs/cli.md).
//
// Pod flags (prepare, run) follow the rkt convention: the per-app flags
// (--exec, --user, --group, --name, --mount, --read-only-rootfs and the
// arguments after "--") apply to the IMAGE they follow; the pod-level flags
// (--volume, --net, --set-env, --hostname, --uuid-file-save, --detach,
// --pod-manifest) may appear anywhere. "---" ends an app's arguments, so that
// another IMAGE can follow: appc run IMG1 --exec /bin/sh -- -c 'echo hi' --- IMG2
//
// UUID arguments may be unique prefixes of a pod's UUID.
#include "cli.hpp"
#include "common.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace cli {
namespace {

// ---------------------------------------------------------------------------
// Handles

struct ExecRef {
  appc_executor *p = nullptr;
  ~ExecRef() { appc_executor_free(p); }
};
struct OptsRef {
  appc_pod_options *p = nullptr;
  ~OptsRef() { appc_pod_options_free(p); }
};
struct StatusRef {
  appc_pod_status *p = nullptr;
  ~StatusRef() { appc_pod_status_free(p); }
};
struct BufRef {
  appc_buf b = APPC_BUF_INIT;
  ~BufRef() { appc_buf_dispose(&b); }
};

bool open_exec(const Globals &g, ExecRef &e, int &rc) {
  if (appc_executor_open(&e.p, g.root.c_str(), nullptr) != APPC_OK) {
    rc = fail_last_error(g, "");
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Text

// "2026-11-28T18:20:31Z" (UTC); "-" for 0.
std::string iso_time(int64_t ns) {
  if (ns <= 0) return "-";
  time_t t = static_cast<time_t>(ns / 1000000000);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string json_time(int64_t ns) { return ns > 0 ? json_quote(iso_time(ns)) : "null"; }

// "90s", "500ms", "15m", "2h", "7d", "1h30m", "3600" (seconds) -> milliseconds.
bool parse_duration_ms(const std::string &text, int64_t &out) {
  if (text.empty()) return false;
  int64_t total = 0;
  size_t i = 0;
  bool plain = true;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') return false;
    int64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (n > 100000000000LL) return false;
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    int64_t unit = 1000;
    if (i < text.size()) {
      plain = false;
      if (text.compare(i, 2, "ms") == 0) {
        unit = 1;
        i += 2;
      } else {
        switch (text[i]) {
        case 's': unit = 1000; break;
        case 'm': unit = 60000; break;
        case 'h': unit = 3600000; break;
        case 'd': unit = 86400000; break;
        default: return false;
        }
        ++i;
      }
    } else if (!plain) {
      return false;   // "1h30" is ambiguous
    }
    total += n * unit;
  }
  out = total;
  return true;
}

const char *state_name(const appc_pod_status *s) {
  const char *n = appc_pod_state_name(appc_pod_status_state(s));
  return n ? n : "unknown";
}

std::string exit_text(const appc_pod_status *s) {
  if (appc_pod_status_has_exit_code(s)) return std::to_string(appc_pod_status_exit_code(s));
  return "-";
}

std::string status_json(const appc_pod_status *s) {
  std::string j = "{\"uuid\":" + json_quote(appc_pod_status_uuid(s)) + ",\"state\":" + json_quote(state_name(s)) +
                  ",\"stale\":" + (appc_pod_status_stale(s) ? "true" : "false") + ",\"exit_code\":" +
                  (appc_pod_status_has_exit_code(s) ? std::to_string(appc_pod_status_exit_code(s)) : "null") +
                  ",\"supervisor_pid\":" +
                  (appc_pod_status_pid(s) > 0 ? std::to_string(appc_pod_status_pid(s)) : "null") +
                  ",\"net\":" + json_quote(appc_net_mode_name(appc_pod_status_net(s))) +
                  ",\"created\":" + json_time(appc_pod_status_created_ns(s)) +
                  ",\"started\":" + json_time(appc_pod_status_started_ns(s)) +
                  ",\"exited\":" + json_time(appc_pod_status_exited_ns(s)) +
                  ",\"error\":" + json_quote(appc_pod_status_error(s)) + ",\"apps\":[";
  for (size_t i = 0, n = appc_pod_status_app_count(s); i < n; ++i) {
    bool fin = appc_pod_status_app_finished(s, i);
    j += std::string(i ? "," : "") + "{\"name\":" + json_quote(appc_pod_status_app_name(s, i)) +
         ",\"image_id\":" + json_quote(appc_pod_status_app_image_id(s, i)) +
         ",\"finished\":" + (fin ? "true" : "false") +
         ",\"exit_code\":" + (fin ? std::to_string(appc_pod_status_app_exit_code(s, i)) : "null") +
         ",\"signal\":" + std::to_string(appc_pod_status_app_signal(s, i)) +
         ",\"skipped\":" + (appc_pod_status_app_skipped(s, i) ? "true" : "false") +
         ",\"pre_start_failed\":" + (appc_pod_status_app_pre_start_failed(s, i) ? "true" : "false") + "}";
  }
  return j + "]}";
}

void print_status_text(const appc_pod_status *s) {
  std::printf("uuid      %s\n", appc_pod_status_uuid(s));
  std::printf("state     %s%s\n", state_name(s), appc_pod_status_stale(s) ? " (stale: the supervisor was killed)" : "");
  std::printf("exit      %s\n", exit_text(s).c_str());
  if (appc_pod_status_pid(s) > 0) std::printf("pid       %" PRId64 "\n", appc_pod_status_pid(s));
  std::printf("net       %s\n", appc_net_mode_name(appc_pod_status_net(s)));
  std::printf("created   %s\n", iso_time(appc_pod_status_created_ns(s)).c_str());
  std::printf("started   %s\n", iso_time(appc_pod_status_started_ns(s)).c_str());
  std::printf("exited    %s\n", iso_time(appc_pod_status_exited_ns(s)).c_str());
  if (*appc_pod_status_error(s) != '\0') std::printf("error     %s\n", appc_pod_status_error(s));
  for (size_t i = 0, n = appc_pod_status_app_count(s); i < n; ++i) {
    std::string st;
    if (appc_pod_status_app_finished(s, i)) {
      st = "exited " + std::to_string(appc_pod_status_app_exit_code(s, i));
      if (int sig = appc_pod_status_app_signal(s, i); sig != 0) st += " (signal " + std::to_string(sig) + ")";
      if (appc_pod_status_app_pre_start_failed(s, i)) st += " (pre-start handler)";
    } else if (appc_pod_status_app_skipped(s, i)) {
      st = "not started";
    } else {
      st = appc_pod_status_state(s) == APPC_POD_RUNNING ? "running" : "-";
    }
    std::printf("app       %s  %s  %s\n", appc_pod_status_app_name(s, i), appc_pod_status_app_image_id(s, i), st.c_str());
  }
}

// ---------------------------------------------------------------------------
// Pod flags

struct PodFlags {
  bool detach = false;
  std::string uuid_file;
  std::string pod_manifest;
};

// --flag=V or --flag V. True when args[i] is `flag`; `value` set, `i` advanced.
bool flag_value(const Args &args, size_t &i, const std::string &flag, std::string &value, bool &missing) {
  const std::string &a = args[i];
  if (a == flag) {
    if (i + 1 >= args.size()) {
      missing = true;
      return true;
    }
    value = args[++i];
    return true;
  }
  if (a.size() > flag.size() && a.compare(0, flag.size(), flag) == 0 && a[flag.size()] == '=') {
    value = a.substr(flag.size() + 1);
    return true;
  }
  return false;
}

// "volume=NAME,target=PATH"
bool parse_mount(const std::string &text, std::string &volume, std::string &target) {
  size_t b = 0;
  while (b <= text.size()) {
    size_t c = text.find(',', b);
    std::string part = text.substr(b, c == std::string::npos ? std::string::npos : c - b);
    size_t eq = part.find('=');
    if (eq == std::string::npos) return false;
    std::string k = part.substr(0, eq), v = part.substr(eq + 1);
    if (k == "volume") volume = v;
    else if (k == "target" || k == "path") target = v;
    else return false;
    if (c == std::string::npos) break;
    b = c + 1;
  }
  return !volume.empty() && !target.empty();
}

// Fills `o` from the command line of prepare/run. Returns kExitOk, or the exit
// code of the usage error already reported.
int parse_pod_flags(const Globals &g, const std::string &cmd, const Args &args, bool allow_detach,
                    appc_pod_options *o, PodFlags &pf) {
  (void)g;
  const std::string c = cmd + ": ";
  bool have_app = false;
  size_t app = 0;
  bool exec_set = false;               // the current app has --exec
  std::vector<std::string> exec;       // the current app's --exec and arguments
  auto flush_exec = [&]() -> int {
    if (!have_app || !exec_set) return kExitOk;
    std::vector<const char *> argv;
    for (const auto &s : exec) argv.push_back(s.c_str());
    if (appc_pod_options_app_set_exec(o, app, argv.data(), argv.size()) != APPC_OK)
      return usage_error(c + appc_error_last()->message);
    return kExitOk;
  };
  auto need_app = [&](const std::string &flag) -> int {
    return have_app ? kExitOk : usage_error(c + flag + " must follow the IMAGE it applies to");
  };
  auto lib = [&](int st, const std::string &what) -> int {
    return st == APPC_OK ? kExitOk : usage_error(c + what + ": " + appc_error_last()->message);
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    std::string v;
    bool missing = false;
    int rc = kExitOk;
    if (a == "--") {
      if (!have_app || !exec_set)
        return usage_error(c + "arguments after -- need --exec for the IMAGE they follow");
      for (++i; i < args.size() && args[i] != "---"; ++i) exec.push_back(args[i]);
      continue;
    }
    if (a == "---") continue;
    if (!is_flag(a)) {
      if (!pf.pod_manifest.empty()) return usage_error(c + "IMAGE arguments and --pod-manifest exclude each other");
      if ((rc = flush_exec()) != kExitOk) return rc;
      if (appc_pod_options_add_app(o, a.c_str(), &app) != APPC_OK) return usage_error(c + appc_error_last()->message);
      have_app = true;
      exec_set = false;
      exec.clear();
      continue;
    }
    if (a == "--detach" && allow_detach) {
      pf.detach = true;
    } else if (a == "--read-only-rootfs") {
      if ((rc = need_app(a)) != kExitOk) return rc;
      appc_pod_options_app_set_read_only_rootfs(o, app, true);
    } else if (flag_value(args, i, "--exec", v, missing)) {
      if (missing || v.empty()) return usage_error(c + "--exec needs a program");
      if ((rc = need_app("--exec")) != kExitOk) return rc;
      exec_set = true;
      exec = {v};
    } else if (flag_value(args, i, "--user", v, missing)) {
      if (missing || v.empty()) return usage_error(c + "--user needs a value");
      if ((rc = need_app("--user")) != kExitOk) return rc;
      if ((rc = lib(appc_pod_options_app_set_user(o, app, v.c_str()), "--user")) != kExitOk) return rc;
    } else if (flag_value(args, i, "--group", v, missing)) {
      if (missing || v.empty()) return usage_error(c + "--group needs a value");
      if ((rc = need_app("--group")) != kExitOk) return rc;
      if ((rc = lib(appc_pod_options_app_set_group(o, app, v.c_str()), "--group")) != kExitOk) return rc;
    } else if (flag_value(args, i, "--name", v, missing)) {
      if (missing || v.empty()) return usage_error(c + "--name needs a value");
      if ((rc = need_app("--name")) != kExitOk) return rc;
      if ((rc = lib(appc_pod_options_app_set_name(o, app, v.c_str()), "--name")) != kExitOk) return rc;
    } else if (flag_value(args, i, "--mount", v, missing)) {
      std::string vol, target;
      if (missing || !parse_mount(v, vol, target))
        return usage_error(c + "--mount '" + v + "': expected volume=NAME,target=PATH");
      if ((rc = need_app("--mount")) != kExitOk) return rc;
      if ((rc = lib(appc_pod_options_app_add_mount(o, app, vol.c_str(), target.c_str()), "--mount")) != kExitOk)
        return rc;
    } else if (flag_value(args, i, "--volume", v, missing)) {
      if (missing) return usage_error(c + "--volume needs NAME,kind=host|empty,...");
      appc_volume *vol = nullptr;
      if (appc_volume_parse_flag(&vol, v.c_str()) != APPC_OK)
        return usage_error(c + "--volume: " + appc_error_last()->message);
      int st = appc_pod_options_add_volume(o, vol);
      appc_volume_free(vol);
      if ((rc = lib(st, "--volume")) != kExitOk) return rc;
    } else if (flag_value(args, i, "--set-env", v, missing)) {
      size_t eq = v.find('=');
      if (missing || eq == std::string::npos || eq == 0) return usage_error(c + "--set-env '" + v + "': expected NAME=VALUE");
      std::string name = v.substr(0, eq), value = v.substr(eq + 1);
      if ((rc = lib(appc_pod_options_add_env(o, name.c_str(), value.c_str()), "--set-env")) != kExitOk) return rc;
    } else if (flag_value(args, i, "--net", v, missing)) {
      if (v == "host") appc_pod_options_set_net(o, APPC_NET_HOST);
      else if (v == "none") appc_pod_options_set_net(o, APPC_NET_NONE);
      else return usage_error(c + "--net '" + v + "': expected host or none (other networks are not supported yet)");
    } else if (flag_value(args, i, "--hostname", v, missing)) {
      if (missing || v.empty()) return usage_error(c + "--hostname needs a value");
      if ((rc = lib(appc_pod_options_set_hostname(o, v.c_str()), "--hostname")) != kExitOk) return rc;
    } else if (flag_value(args, i, "--uuid-file-save", v, missing)) {
      if (missing || v.empty()) return usage_error(c + "--uuid-file-save needs a file");
      pf.uuid_file = v;
    } else if (flag_value(args, i, "--pod-manifest", v, missing)) {
      if (missing || v.empty()) return usage_error(c + "--pod-manifest needs a file");
      if (have_app) return usage_error(c + "IMAGE arguments and --pod-manifest exclude each other");
      pf.pod_manifest = v;
    } else {
      return usage_error(c + "unknown flag '" + a + "'");
    }
  }
  if (int rc = flush_exec(); rc != kExitOk) return rc;
  if (!have_app && pf.pod_manifest.empty()) return usage_error(c + "at least one IMAGE (or --pod-manifest FILE) expected");
  return kExitOk;
}

// Reads --pod-manifest into `o`. kExitOk or kExitError (reported).
int load_pod_manifest(const Globals &g, const PodFlags &pf, appc_pod_options *o) {
  if (pf.pod_manifest.empty()) return kExitOk;
  std::string text, err;
  if (!read_file(pf.pod_manifest, 16u << 20, text, err)) return fail(pf.pod_manifest + ": " + err);
  if (appc_pod_options_set_pod_manifest(o, text.data(), text.size()) != APPC_OK)
    return fail_last_error(g, pf.pod_manifest);
  return kExitOk;
}

int save_uuid(const std::string &file, const std::string &uuid) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail("--uuid-file-save " + file + ": " + std::strerror(errno));
  bool ok = ::write(fd, uuid.data(), uuid.size()) == ssize_t(uuid.size());
  ok = ::close(fd) == 0 && ok;
  if (!ok) return fail("--uuid-file-save " + file + ": " + std::strerror(errno));
  return kExitOk;
}

// While an attached pod runs: the terminal's SIGINT and SIGQUIT reach the
// whole foreground process group, the pod's supervisor included, which
// forwards them to the apps. appc itself outlives them, to report the pod's
// status (130 for an app ended by Ctrl-C). A no-op handler rather than
// SIG_IGN, which the supervisor would inherit across exec.
void on_terminal_signal(int) {}

class TerminalSignals {
public:
  explicit TerminalSignals(bool attached) : active_(attached) {
    if (!active_) return;
    struct sigaction sa {};
    sa.sa_handler = on_terminal_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGQUIT, &sa, &old_quit_);
  }
  ~TerminalSignals() {
    if (!active_) return;
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGQUIT, &old_quit_, nullptr);
  }
  TerminalSignals(const TerminalSignals &) = delete;
  TerminalSignals &operator=(const TerminalSignals &) = delete;

private:
  bool active_;
  struct sigaction old_int_ {}, old_quit_ {};
};

// The run's outcome: detached, the UUID (and pid); attached, the pod's status.
int report_run(const Globals &g, const appc_pod_run_result &r, bool detach) {
  if (detach) {
    if (g.format == Format::json) std::printf("{\"uuid\":%s,\"pid\":%" PRId64 "}\n", json_quote(r.uuid).c_str(), r.pid);
    else std::printf("%s\n", r.uuid);
    std::fflush(stdout);
    return kExitOk;
  }
  std::fflush(stdout);
  if (!r.has_exit_code) return fail("pod " + std::string(r.uuid) + " ended without an exit status (see appc status)");
  return r.exit_code;
}

// ---------------------------------------------------------------------------
// Commands

int prepare_cmd(const Globals &g, const Args &args) {
  OptsRef o;
  if (appc_pod_options_new(&o.p) != APPC_OK) return fail_last_error(g, "prepare");
  PodFlags pf;
  if (int rc = parse_pod_flags(g, "prepare", args, false, o.p, pf); rc != kExitOk) return rc;
  if (int rc = load_pod_manifest(g, pf, o.p); rc != kExitOk) return rc;
  ExecRef e;
  int rc = kExitOk;
  if (!open_exec(g, e, rc)) return rc;
  BufRef uuid;
  if (appc_pod_prepare(e.p, o.p, &uuid.b) != APPC_OK) return fail_last_error(g, "prepare");
  if (!pf.uuid_file.empty() && (rc = save_uuid(pf.uuid_file, uuid.b.ptr)) != kExitOk) {
    appc_pod_rm(e.p, uuid.b.ptr);
    return rc;
  }
  if (g.format == Format::json) std::printf("{\"uuid\":%s}\n", json_quote(uuid.b.ptr).c_str());
  else std::printf("%s\n", uuid.b.ptr);
  return kExitOk;
}

int run_cmd(const Globals &g, const Args &args) {
  OptsRef o;
  if (appc_pod_options_new(&o.p) != APPC_OK) return fail_last_error(g, "run");
  PodFlags pf;
  if (int rc = parse_pod_flags(g, "run", args, true, o.p, pf); rc != kExitOk) return rc;
  if (int rc = load_pod_manifest(g, pf, o.p); rc != kExitOk) return rc;
  ExecRef e;
  int rc = kExitOk;
  if (!open_exec(g, e, rc)) return rc;
  appc_pod_run_options ro = APPC_POD_RUN_OPTIONS_INIT;
  ro.detach = pf.detach;
  appc_pod_run_result r = APPC_POD_RUN_RESULT_INIT;
  TerminalSignals signals(!pf.detach);
  if (pf.uuid_file.empty()) {
    if (appc_pod_run(e.p, o.p, &ro, &r) != APPC_OK) return fail_last_error(g, "run");
    return report_run(g, r, pf.detach);
  }
  // The UUID file exists before the pod starts (so that it can be entered).
  BufRef uuid;
  if (appc_pod_prepare(e.p, o.p, &uuid.b) != APPC_OK) return fail_last_error(g, "run");
  if ((rc = save_uuid(pf.uuid_file, uuid.b.ptr)) != kExitOk) {
    appc_pod_rm(e.p, uuid.b.ptr);
    return rc;
  }
  if (appc_pod_run_prepared(e.p, uuid.b.ptr, &ro, &r) != APPC_OK) {
    rc = fail_last_error(g, "run");
    StatusRef s;   // a pod that never started goes, as appc_pod_run() does it
    if (appc_pod_status_get(&s.p, e.p, uuid.b.ptr) == APPC_OK && appc_pod_status_state(s.p) != APPC_POD_RUNNING)
      appc_pod_rm(e.p, uuid.b.ptr);
    return rc;
  }
  return report_run(g, r, pf.detach);
}

int run_prepared_cmd(const Globals &g, const Args &args) {
  Parsed p;
  int rc = kExitOk;
  if (!parse_args("run-prepared", args, {"--detach"}, {}, p, rc)) return rc;
  if (p.operands.size() != 1) return usage_error("run-prepared: exactly one UUID expected");
  ExecRef e;
  if (!open_exec(g, e, rc)) return rc;
  appc_pod_run_options ro = APPC_POD_RUN_OPTIONS_INIT;
  ro.detach = p.has("--detach");
  appc_pod_run_result r = APPC_POD_RUN_RESULT_INIT;
  TerminalSignals signals(!ro.detach);
  if (appc_pod_run_prepared(e.p, p.operands[0].c_str(), &ro, &r) != APPC_OK) return fail_last_error(g, "run-prepared");
  return report_run(g, r, ro.detach);
}

int status_cmd(const Globals &g, const Args &args) {
  Parsed p;
  int rc = kExitOk;
  if (!parse_args("status", args, {"--wait"}, {"--timeout"}, p, rc)) return rc;
  if (p.operands.size() != 1) return usage_error("status: exactly one UUID expected");
  int64_t timeout_ms = -1;
  if (const std::string *t = p.value("--timeout")) {
    if (!p.has("--wait")) return usage_error("status: --timeout goes with --wait");
    if (!parse_duration_ms(*t, timeout_ms) || timeout_ms > INT32_MAX)
      return usage_error("status: --timeout '" + *t + "': expected a duration like 30s, 500ms or 2m");
  }
  ExecRef e;
  if (!open_exec(g, e, rc)) return rc;
  StatusRef s;
  int st = p.has("--wait") ? appc_pod_wait(&s.p, e.p, p.operands[0].c_str(), int(timeout_ms))
                           : appc_pod_status_get(&s.p, e.p, p.operands[0].c_str());
  if (st != APPC_OK) return fail_last_error(g, "status");
  if (g.format == Format::json) std::printf("%s\n", status_json(s.p).c_str());
  else print_status_text(s.p);
  return kExitOk;
}

int list_cmd(const Globals &g, const Args &args) {
  Parsed p;
  int rc = kExitOk;
  if (!parse_args("list", args, {}, {}, p, rc)) return rc;
  if (!p.operands.empty()) return usage_error("list: no arguments expected");
  ExecRef e;
  if (!open_exec(g, e, rc)) return rc;
  appc_pod_list *list = nullptr;
  if (appc_pod_list_get(&list, e.p) != APPC_OK) return fail_last_error(g, "list");
  std::unique_ptr<appc_pod_list, void (*)(appc_pod_list *)> guard(list, appc_pod_list_free);
  const size_t n = appc_pod_list_count(list);
  if (g.format == Format::json) {
    std::string out = "{\"pods\":[";
    for (size_t i = 0; i < n; ++i) out += (i ? "," : "") + status_json(appc_pod_list_at(list, i));
    out += "]}\n";
    std::fputs(out.c_str(), stdout);
    return kExitOk;
  }
  std::vector<std::array<std::string, 5>> rows;
  rows.push_back({"UUID", "STATE", "EXIT", "APPS", "CREATED"});
  for (size_t i = 0; i < n; ++i) {
    const appc_pod_status *s = appc_pod_list_at(list, i);
    std::string apps;
    for (size_t a = 0, m = appc_pod_status_app_count(s); a < m; ++a)
      apps += std::string(a ? "," : "") + appc_pod_status_app_name(s, a);
    std::string state = state_name(s);
    if (appc_pod_status_stale(s)) state += " (stale)";
    rows.push_back({appc_pod_status_uuid(s), state, exit_text(s), apps.empty() ? "-" : apps,
                    iso_time(appc_pod_status_created_ns(s))});
  }
  size_t w[5] = {0, 0, 0, 0, 0};
  for (const auto &r : rows)
    for (int c = 0; c < 5; ++c) w[c] = std::max(w[c], r[c].size());
  for (const auto &r : rows) {
    std::string line;
    for (int c = 0; c < 5; ++c) {
      line += r[c];
      if (c < 4) line += std::string(w[c] - r[c].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
  return kExitOk;
}

int stop_cmd(const Globals &g, const Args &args) {
  Parsed p;
  int rc = kExitOk;
  if (!parse_args("stop", args, {}, {"--grace"}, p, rc)) return rc;
  if (p.operands.empty()) return usage_error("stop: at least one UUID expected");
  int64_t grace_ms = -1;
  if (const std::string *t = p.value("--grace"))
    if (!parse_duration_ms(*t, grace_ms) || grace_ms > INT32_MAX)
      return usage_error("stop: --grace '" + *t + "': expected a duration like 10s, 500ms or 1m");
  ExecRef e;
  if (!open_exec(g, e, rc)) return rc;
  for (const auto &u : p.operands) {
    if (appc_pod_stop(e.p, u.c_str(), int(grace_ms)) != APPC_OK) rc = fail_last_error(g, "stop");
    else std::printf("%s\n", u.c_str());
  }
  return rc;
}

int rm_cmd(const Globals &g, const Args &args) {
  Parsed p;
  int rc = kExitOk;
  if (!parse_args("rm", args, {}, {}, p, rc)) return rc;
  if (p.operands.empty()) return usage_error("rm: at least one UUID expected");
  ExecRef e;
  if (!open_exec(g, e, rc)) return rc;
  for (const auto &u : p.operands) {
    BufRef full;
    if (appc_pod_resolve_uuid(e.p, u.c_str(), &full.b) != APPC_OK || appc_pod_rm(e.p, full.b.ptr) != APPC_OK)
      rc = fail_last_error(g, "rm");
    else std::printf("%s\n", full.b.ptr);
  }
  return rc;
}

int gc_cmd(const Globals &g, const Args &args) {
  Parsed p;
  int rc = kExitOk;
  if (!parse_args("gc", args, {}, {"--grace", "--prepared-grace"}, p, rc)) return rc;
  if (!p.operands.empty()) return usage_error("gc: no arguments expected");
  appc_pod_gc_options go = APPC_POD_GC_OPTIONS_INIT;
  int64_t ms = 0;
  if (const std::string *t = p.value("--grace")) {
    if (!parse_duration_ms(*t, ms)) return usage_error("gc: --grace '" + *t + "': expected a duration like 30m or 0s");
    go.exited_grace_s = ms / 1000;
  }
  if (const std::string *t = p.value("--prepared-grace")) {
    if (!parse_duration_ms(*t, ms))
      return usage_error("gc: --prepared-grace '" + *t + "': expected a duration like 24h or 0s");
    go.prepared_grace_s = ms / 1000;
  }
  ExecRef e;
  if (!open_exec(g, e, rc)) return rc;
  appc_pod_gc_result *r = nullptr;
  if (appc_pod_gc(&r, e.p, &go) != APPC_OK) return fail_last_error(g, "gc");
  std::unique_ptr<appc_pod_gc_result, void (*)(appc_pod_gc_result *)> guard(r, appc_pod_gc_result_free);
  const size_t n = appc_pod_gc_result_count(r);
  if (g.format == Format::json) {
    std::string out = "{\"removed\":[";
    for (size_t i = 0; i < n; ++i) out += (i ? "," : "") + json_quote(appc_pod_gc_result_uuid(r, i));
    std::printf("%s]}\n", out.c_str());
  } else {
    for (size_t i = 0; i < n; ++i) std::printf("%s\n", appc_pod_gc_result_uuid(r, i));
  }
  return kExitOk;
}

int enter_cmd(const Globals &g, const Args &args) {
  std::string uuid, app;
  std::vector<std::string> cmd;
  appc_enter_tty tty = APPC_ENTER_TTY_AUTO;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    std::string v;
    bool missing = false;
    if (!uuid.empty() && !cmd.empty()) {
      cmd.push_back(a);
    } else if (a == "--") {
      if (uuid.empty()) return usage_error("enter: the UUID comes before --");
      cmd.assign(args.begin() + long(i) + 1, args.end());
      if (cmd.empty()) return usage_error("enter: a command expected after --");
      break;
    } else if (flag_value(args, i, "--app", v, missing)) {
      if (missing || v.empty()) return usage_error("enter: --app needs an app name");
      app = v;
    } else if (a == "--tty" || a == "-t") {
      tty = APPC_ENTER_TTY_ALWAYS;
    } else if (a == "--no-tty" || a == "-T") {
      tty = APPC_ENTER_TTY_NEVER;
    } else if (is_flag(a)) {
      return usage_error("enter: unknown flag '" + a + "' (put the command after --)");
    } else if (uuid.empty()) {
      uuid = a;
    } else {
      cmd.push_back(a);
    }
  }
  if (uuid.empty()) return usage_error("enter: a UUID expected");
  ExecRef e;
  int rc = kExitOk;
  if (!open_exec(g, e, rc)) return rc;
  std::vector<const char *> argv;
  for (const auto &s : cmd) argv.push_back(s.c_str());
  appc_pod_enter_options eo = APPC_POD_ENTER_OPTIONS_INIT;
  eo.app = app.empty() ? nullptr : app.c_str();
  eo.tty = tty;
  int status = 0;
  if (appc_pod_enter_ext(e.p, uuid.c_str(), argv.data(), argv.size(), &eo, &status) != APPC_OK)
    return fail_last_error(g, "enter");
  return status;
}

struct LogPrinter {
  const Globals *g;
  bool timestamps = false;
  bool prefix = false;   // several apps: "[app] " before each line
  static int callback(const char *app, appc_log_stream stream, const char *ts, int64_t time_ns, const char *line,
                      size_t len, void *payload) {
    auto *self = static_cast<LogPrinter *>(payload);
    if (g_signal != 0) return 1;
    std::FILE *f = stream == APPC_LOG_STDERR ? stderr : stdout;
    if (self->g->format == Format::json) {
      std::printf("{\"app\":%s,\"stream\":%s,\"time\":%s,\"time_ns\":%" PRId64 ",\"line\":%s}\n",
                  json_quote(app).c_str(), stream == APPC_LOG_STDERR ? "\"stderr\"" : "\"stdout\"",
                  json_quote(ts).c_str(), time_ns, json_quote(std::string_view(line, len)).c_str());
      std::fflush(stdout);
      return 0;
    }
    std::string out;
    if (self->timestamps) out += std::string(ts) + " ";
    if (self->prefix) out += "[" + std::string(app) + "] ";
    out.append(line, len);
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), f);
    std::fflush(f);
    return 0;
  }
};

int logs_cmd(const Globals &g, const Args &args) {
  Parsed p;
  int rc = kExitOk;
  if (!parse_args("logs", args, {"--follow", "-f", "--timestamps", "--stdout", "--stderr"}, {"--app"}, p, rc))
    return rc;
  if (p.operands.size() != 1) return usage_error("logs: exactly one UUID expected");
  ExecRef e;
  if (!open_exec(g, e, rc)) return rc;
  appc_pod_log_options lo = APPC_POD_LOG_OPTIONS_INIT;
  const std::string *app = p.value("--app");
  if (app != nullptr && app->empty()) return usage_error("logs: --app needs an app name");
  lo.app = app ? app->c_str() : nullptr;
  lo.follow = p.has("--follow") || p.has("-f");
  if (p.has("--stdout") || p.has("--stderr")) {
    lo.want_stdout = p.has("--stdout");
    lo.want_stderr = p.has("--stderr");
  }
  LogPrinter printer{&g};
  printer.timestamps = p.has("--timestamps");
  if (app == nullptr) {
    StatusRef s;
    if (appc_pod_status_get(&s.p, e.p, p.operands[0].c_str()) != APPC_OK) return fail_last_error(g, "logs");
    printer.prefix = appc_pod_status_app_count(s.p) > 1;
  }
  SignalGuard signals;   // Ctrl-C ends --follow quietly
  int st = appc_pod_logs(e.p, p.operands[0].c_str(), &lo, &LogPrinter::callback, &printer);
  if (st == APPC_ECANCELLED && g_signal != 0) return kExitOk;
  if (st != APPC_OK) return fail_last_error(g, "logs");
  return kExitOk;
}

// ---------------------------------------------------------------------------
// Help

const char kPodFlagsHelp[] =
    "Pod flags (prepare, run). Per-app flags apply to the IMAGE they follow:\n"
    "  --exec CMD [-- ARG...] [---]  replace the app's exec; arguments after --, up to ---\n"
    "  --user USER, --group GROUP    override (names of the image's /etc/passwd, /etc/group, numbers, paths)\n"
    "  --name NAME                   the app's name in the pod (default: from the image name)\n"
    "  --mount volume=NAME,target=PATH  mount a pod volume at PATH in the app\n"
    "  --read-only-rootfs            mount the app's rootfs read-only\n"
    "Pod-level flags, anywhere:\n"
    "  --volume NAME,kind=host,source=PATH[,readOnly=true][,recursive=true]\n"
    "  --volume NAME,kind=empty[,mode=0755][,uid=N][,gid=N][,readOnly=true]\n"
    "  --net=none|host               network (default none: only loopback)\n"
    "  --set-env NAME=VALUE          for every app (repeatable)\n"
    "  --hostname NAME               default appc-<uuid>\n"
    "  --uuid-file-save FILE         write the pod's UUID to FILE\n"
    "  --pod-manifest FILE           the pod from a pod manifest instead of IMAGEs\n"
    "IMAGE: an image ID or unique prefix, name[,label=value...], or an ACI file (imported).\n";

void prepare_help() {
  std::printf("usage: appc prepare IMAGE [APP FLAGS] [IMAGE [APP FLAGS]...] [POD FLAGS]\n"
              "       appc prepare --pod-manifest FILE [POD FLAGS]\n\n"
              "Reify a pod and print its UUID (--format=json: {\"uuid\":...}); run it with run-prepared.\n\n%s",
              kPodFlagsHelp);
}
void run_help() {
  std::printf("usage: appc run IMAGE [APP FLAGS] [IMAGE [APP FLAGS]...] [POD FLAGS] [--detach]\n"
              "       appc run --pod-manifest FILE [POD FLAGS] [--detach]\n\n"
              "Run a pod. Attached (default): the apps' output on this terminal, exit with the pod's\n"
              "status (the first non-zero app status in app order; 128+S for an app killed by signal S).\n"
              "--detach: print the UUID (--format=json: {\"uuid\":...,\"pid\":SUPERVISOR}) once it runs.\n\n%s",
              kPodFlagsHelp);
}
void run_prepared_help() {
  std::printf("usage: appc run-prepared UUID [--detach]\n\nRun a prepared pod (once), as appc run does.\n");
}
void status_help() {
  std::printf("usage: appc status UUID [--wait [--timeout DURATION]]\n\n"
              "The pod's state, exit status, supervisor pid, times and apps; --wait: once it no longer\n"
              "runs. --format=json: {\"uuid\",\"state\",\"stale\",\"exit_code\",\"supervisor_pid\",\"net\",\n"
              "\"created\",\"started\",\"exited\",\"error\",\"apps\":[{\"name\",\"image_id\",\"finished\",\n"
              "\"exit_code\",\"signal\",\"skipped\",\"pre_start_failed\"}]}.\n");
}
void list_help() {
  std::printf("usage: appc list\n\nEvery pod, oldest first: UUID, STATE, EXIT, APPS, CREATED;\n"
              "--format=json: {\"pods\":[status objects as appc status prints them]}.\n");
}
void stop_help() {
  std::printf("usage: appc stop UUID... [--grace DURATION]\n\n"
              "SIGTERM to the pod's apps, SIGKILL to every process of the pod after the grace period\n"
              "(default 10s; DURATION: 500ms, 10s, 1m, ...). Prints each stopped pod's UUID.\n");
}
void rm_help() {
  std::printf("usage: appc rm UUID...\n\nRemove pods that do not run (mounts, overlay dirs, volumes, logs,\n"
              "directory). Prints each removed UUID; exit 1 when any removal failed.\n");
}
void gc_help() {
  std::printf("usage: appc gc [--grace DURATION] [--prepared-grace DURATION]\n\n"
              "Remove exited pods that ended longer ago than --grace (default 30m) and prepared pods\n"
              "never run, older than --prepared-grace (default 24h). Prints the removed UUIDs.\n");
}
void enter_help() {
  std::printf("usage: appc enter UUID [--app NAME] [--tty|--no-tty] [CMD [ARG...]]\n"
              "       appc enter UUID [--app NAME] [--tty|--no-tty] -- CMD [ARG...]\n\n"
              "Run CMD (default /bin/sh) in a running pod, chrooted into the app's rootfs with its\n"
              "environment; exit with the command's status. --app is needed for a pod of several apps.\n"
              "When stdin and stdout are terminals, CMD gets a terminal of the pod's (its controlling\n"
              "terminal: job control works); ours is in raw mode meanwhile and the window size follows.\n"
              "-t, --tty: a terminal even without one here. -T, --no-tty: never (plain stdio).\n");
}
void logs_help() {
  std::printf("usage: appc logs UUID [--app NAME] [--follow] [--timestamps] [--stdout|--stderr]\n\n"
              "The apps' output lines (stdout lines on stdout, stderr lines on stderr); with several apps\n"
              "each line starts with [APP]. --follow: until the pod ends. --timestamps: RFC 3339 first.\n"
              "--format=json: one object per line {\"app\",\"stream\",\"time\",\"time_ns\",\"line\"}.\n");
}

} // namespace

const Command kPrepareCommand = {"prepare", "reify a pod from images or a pod manifest; print its UUID", prepare_cmd,
                                 prepare_help};
const Command kRunCommand = {"run", "run a pod (attached, or --detach)", run_cmd, run_help};
const Command kRunPreparedCommand = {"run-prepared", "run a prepared pod", run_prepared_cmd, run_prepared_help};
const Command kStatusCommand = {"status", "a pod's state and exit status (--wait)", status_cmd, status_help};
const Command kListCommand = {"list", "every pod", list_cmd, list_help};
const Command kStopCommand = {"stop", "stop running pods", stop_cmd, stop_help};
const Command kRmCommand = {"rm", "remove pods", rm_cmd, rm_help};
const Command kGcCommand = {"gc", "remove exited pods after a grace period", gc_cmd, gc_help};
const Command kEnterCommand = {"enter", "run a command in a running pod", enter_cmd, enter_help};
const Command kLogsCommand = {"logs", "a pod's output (--follow)", logs_cmd, logs_help};

} // namespace cli
