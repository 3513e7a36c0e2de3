// C ABI: pods (appc_executor_*, appc_pod_*) over lib/executor.
#include <appc/appc.h>

#include "executor/executor.hpp"
#include "guard.hpp"
#include "options.hpp"
#include "handles.hpp"
#include "spec/manifest.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct appc_executor {
  std::unique_ptr<appc::executor::Executor> impl;
};

struct appc_pod_options {
  appc::executor::PodOptions impl;
};

struct appc_pod_status {
  appc::executor::PodStatus impl;
};

struct appc_pod_list {
  std::vector<appc_pod_status> items;
};

struct appc_pod_gc_result {
  std::vector<std::string> uuids;
};

using namespace appc;
using namespace appc::capi;
namespace ex = appc::executor;

namespace {




// A required, non-empty string argument.
Result<std::string> text_arg(const char *fn, const char *name, const char *value) {
  if (value == nullptr) return null_argument(name);
  if (*value == '\0') return Error::make(Code::invalid, std::string(fn) + ": argument '" + name + "' is empty");
  return std::string(value);
}

Result<ex::AppOptions *> app_at(appc_pod_options *o, size_t app) {
  if (o == nullptr) return null_argument("opts");
  if (app >= o->impl.apps.size()) return index_out_of_range("app", app, o->impl.apps.size());
  return &o->impl.apps[app];
}

// The full UUID of a pod given as a UUID or a unique prefix.
Result<std::string> pod_uuid(appc_executor *exec, const char *uuid) {
  if (exec == nullptr) return null_argument("exec");
  if (uuid == nullptr) return null_argument("uuid");
  return exec->impl->resolve_uuid(uuid);
}

Result<ex::RunOptions> run_options(const appc_pod_run_options *opts) {
  ex::RunOptions r;
  if (opts == nullptr) return r;
  APPC_TRY_VOID(check_version("appc_pod_run_options", opts->version, APPC_POD_RUN_OPTIONS_VERSION));
  r.detach = opts->detach;
  return r;
}

Status check_result(appc_pod_run_result *result) {
  if (result == nullptr) return {};
  return check_version("appc_pod_run_result", result->version, APPC_POD_RUN_RESULT_VERSION);
}

void fill_result(appc_pod_run_result *result, const ex::RunResult &r) {
  if (result == nullptr) return;
  std::memset(result->uuid, 0, sizeof result->uuid);
  std::memcpy(result->uuid, r.uuid.data(), std::min(r.uuid.size(), sizeof result->uuid - 1));
  result->has_exit_code = r.exit_code.has_value();
  result->exit_code = r.exit_code.value_or(-1);
  result->pid = static_cast<int64_t>(r.pid);
}

Status give_status(appc_pod_status **out, ex::PodStatus st) {
  if (out == nullptr) return {};
  auto h = std::make_unique<appc_pod_status>();
  h->impl = std::move(st);
  *out = h.release();
  return {};
}

const ex::AppStatus *app_of(const appc_pod_status *s, size_t i) noexcept {
  return s != nullptr ? at(s->impl.apps, i) : nullptr;
}

Result<bool> parse_bool(const std::string &key, const std::string &v) {
  if (v == "true") return true;
  if (v == "false") return false;
  return Error::make(Code::invalid, "volume: " + key + "=" + v + ": expected true or false", key);
}

Result<int64_t> parse_id(const std::string &key, const std::string &v) {
  if (v.empty() || v.size() > 10 || v.find_first_not_of("0123456789") != std::string::npos)
    return Error::make(Code::invalid, "volume: " + key + "=" + v + ": expected a number 0..4294967295", key);
  int64_t n = std::strtoll(v.c_str(), nullptr, 10);
  if (n > 4294967295LL)
    return Error::make(Code::invalid, "volume: " + key + "=" + v + ": expected a number 0..4294967295", key);
  return n;
}

// NAME,kind=host|empty[,source=PATH][,readOnly=BOOL][,recursive=BOOL][,mode=M][,uid=N][,gid=N]
Result<spec::Volume> parse_volume_flag(std::string_view text) {
  spec::Volume v;
  std::vector<std::string> parts;
  size_t b = 0;
  while (true) {
    size_t c = text.find(',', b);
    parts.emplace_back(text.substr(b, c == std::string_view::npos ? std::string_view::npos : c - b));
    if (c == std::string_view::npos) break;
    b = c + 1;
  }
  if (parts[0].empty() || parts[0].find('=') != std::string::npos)
    return Error::make(Code::invalid,
                       "volume '" + std::string(text) + "': it must start with the volume's name (NAME,kind=...)");
  v.name = parts[0];
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string &p = parts[i];
    size_t eq = p.find('=');
    if (eq == std::string::npos)
      return Error::make(Code::invalid, "volume " + v.name + ": '" + p + "' is not KEY=VALUE");
    std::string key = p.substr(0, eq), val = p.substr(eq + 1);
    if (key == "kind") {
      if (val != "host" && val != "empty")
        return Error::make(Code::invalid, "volume " + v.name + ": kind=" + val + ": expected host or empty", key);
      v.kind = val;
    } else if (key == "source") {
      v.source = val;
    } else if (key == "readOnly") {
      v.read_only = APPC_TRY(parse_bool(key, val));
    } else if (key == "recursive") {
      v.recursive = APPC_TRY(parse_bool(key, val));
    } else if (key == "mode") {
      if (val.empty() || val.size() > 4 || val.find_first_not_of("01234567") != std::string::npos)
        return Error::make(Code::invalid, "volume " + v.name + ": mode=" + val + ": expected octal digits like 0755",
                           key);
      v.mode = val;
    } else if (key == "uid") {
      v.uid = APPC_TRY(parse_id(key, val));
    } else if (key == "gid") {
      v.gid = APPC_TRY(parse_id(key, val));
    } else {
      return Error::make(Code::invalid,
                         "volume " + v.name + ": unknown key '" + key +
                             "' (kind, source, readOnly, recursive, mode, uid, gid)",
                         key);
    }
  }
  if (v.kind.empty()) return Error::make(Code::invalid, "volume " + v.name + ": kind=host or kind=empty is missing");
  return v;
}

// Kind-specific fields; the executor checks names and sources (spec 83) at prepare.
Status check_volume(const spec::Volume &v) {
  if (v.name.empty()) return Error::make(Code::invalid, "volume: the name is empty");
  if (v.kind == "host") {
    if (v.source.empty()) return Error::make(Code::invalid, "volume " + v.name + ": a host volume needs source=PATH");
    if (v.source[0] != '/')
      return Error::make(Code::invalid, "volume " + v.name + ": source " + v.source + " is not an absolute path");
    if (v.mode || v.uid || v.gid)
      return Error::make(Code::invalid, "volume " + v.name + ": mode, uid and gid are for empty volumes");
  } else if (v.kind == "empty") {
    if (!v.source.empty() || v.recursive)
      return Error::make(Code::invalid, "volume " + v.name + ": source and recursive are for host volumes");
  } else {
    return Error::make(Code::invalid, "volume " + v.name + ": kind '" + v.kind + "' is not host or empty");
  }
  return {};
}

} // namespace

extern "C" {

const char *appc_net_mode_name(int mode) {
  switch (mode) {
  case APPC_NET_NONE: return "none";
  case APPC_NET_HOST: return "host";
  default: return nullptr;
  }
}

const char *appc_pod_state_name(int state) {
  switch (state) {
  case APPC_POD_PREPARED: return "prepared";
  case APPC_POD_RUNNING: return "running";
  case APPC_POD_EXITED: return "exited";
  default: return nullptr;
  }
}

int appc_executor_options_init(appc_executor_options *opts, unsigned int version) {
  return APPC_GUARD({
    APPC_ARG(opts);
    APPC_TRY_VOID(check_version("appc_executor_options", version, APPC_EXECUTOR_OPTIONS_VERSION));
    *opts = appc_executor_options{version, nullptr};
    return {};
  });
}

int appc_executor_open(appc_executor **out, const char *root, const appc_executor_options *opts) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = nullptr;
    ex::ExecutorOptions eo;
    eo.root = root != nullptr ? std::string(root) : default_root();
    if (eo.root.empty()) return Error::make(Code::invalid, "appc_executor_open: root is empty (NULL means the default)");
    if (opts != nullptr) {
      APPC_TRY_VOID(check_version("appc_executor_options", opts->version, APPC_EXECUTOR_OPTIONS_VERSION));
      if (opts->supervisor != nullptr) eo.supervisor = opts->supervisor;
    }
    auto h = std::make_unique<appc_executor>();
    h->impl = APPC_TRY(ex::Executor::open(eo));
    *out = h.release();
    return {};
  });
}

void appc_executor_free(appc_executor *exec) { delete exec; }

const char *appc_executor_root(const appc_executor *exec) {
  return exec != nullptr ? exec->impl->root().c_str() : nullptr;
}

const char *appc_executor_supervisor(const appc_executor *exec) {
  return exec != nullptr ? exec->impl->supervisor_path().c_str() : nullptr;
}

int appc_pod_options_new(appc_pod_options **out) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = new appc_pod_options();
    return {};
  });
}

void appc_pod_options_free(appc_pod_options *opts) { delete opts; }

int appc_pod_options_add_app(appc_pod_options *opts, const char *image, size_t *index) {
  return APPC_GUARD({
    APPC_ARG(opts);
    std::string img = APPC_TRY(text_arg("appc_pod_options_add_app", "image", image));
    if (opts->impl.manifest)
      return Error::make(Code::invalid, "appc_pod_options_add_app: the pod comes from a pod manifest, not from images");
    ex::AppOptions a;
    a.image = std::move(img);
    opts->impl.apps.push_back(std::move(a));
    if (index != nullptr) *index = opts->impl.apps.size() - 1;
    return {};
  });
}

size_t appc_pod_options_app_count(const appc_pod_options *opts) {
  return opts != nullptr ? opts->impl.apps.size() : 0;
}

int appc_pod_options_app_set_name(appc_pod_options *opts, size_t app, const char *name) {
  return APPC_GUARD({
    ex::AppOptions *a = APPC_TRY(app_at(opts, app));
    a->name = APPC_TRY(text_arg("appc_pod_options_app_set_name", "name", name));
    return {};
  });
}

int appc_pod_options_app_set_exec(appc_pod_options *opts, size_t app, const char *const *argv, size_t argc) {
  return APPC_GUARD({
    ex::AppOptions *a = APPC_TRY(app_at(opts, app));
    if (argc == 0) return Error::make(Code::invalid, "appc_pod_options_app_set_exec: argc is 0 (the exec needs a program)");
    auto v = APPC_TRY(copy_argv(argv, argc));
    if (v[0].empty()) return Error::make(Code::invalid, "appc_pod_options_app_set_exec: argv[0] is empty");
    a->exec = std::move(v);
    return {};
  });
}

int appc_pod_options_app_set_user(appc_pod_options *opts, size_t app, const char *user) {
  return APPC_GUARD({
    ex::AppOptions *a = APPC_TRY(app_at(opts, app));
    a->user = APPC_TRY(text_arg("appc_pod_options_app_set_user", "user", user));
    return {};
  });
}

int appc_pod_options_app_set_group(appc_pod_options *opts, size_t app, const char *group) {
  return APPC_GUARD({
    ex::AppOptions *a = APPC_TRY(app_at(opts, app));
    a->group = APPC_TRY(text_arg("appc_pod_options_app_set_group", "group", group));
    return {};
  });
}

int appc_pod_options_app_add_env(appc_pod_options *opts, size_t app, const char *name, const char *value) {
  return APPC_GUARD({
    ex::AppOptions *a = APPC_TRY(app_at(opts, app));
    std::string n = APPC_TRY(text_arg("appc_pod_options_app_add_env", "name", name));
    APPC_ARG(value);
    a->env.push_back(spec::EnvVar{std::move(n), value});
    return {};
  });
}

int appc_pod_options_app_add_mount(appc_pod_options *opts, size_t app, const char *volume, const char *path) {
  return APPC_GUARD({
    ex::AppOptions *a = APPC_TRY(app_at(opts, app));
    spec::Mount m;
    m.volume = APPC_TRY(text_arg("appc_pod_options_app_add_mount", "volume", volume));
    m.path = APPC_TRY(text_arg("appc_pod_options_app_add_mount", "path", path));
    a->mounts.push_back(std::move(m));
    return {};
  });
}

int appc_pod_options_app_set_read_only_rootfs(appc_pod_options *opts, size_t app, bool read_only) {
  return APPC_GUARD({
    ex::AppOptions *a = APPC_TRY(app_at(opts, app));
    a->read_only_rootfs = read_only;
    return {};
  });
}

int appc_pod_options_add_volume(appc_pod_options *opts, const appc_volume *volume) {
  return APPC_GUARD({
    APPC_ARG(opts);
    APPC_ARG(volume);
    const spec::Volume &v = *cpp(volume);
    APPC_TRY_VOID(check_volume(v));
    opts->impl.volumes.push_back(v);
    return {};
  });
}

int appc_volume_parse_flag(appc_volume **out, const char *text) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = nullptr;
    APPC_ARG(text);
    spec::Volume v = APPC_TRY(parse_volume_flag(text));
    APPC_TRY_VOID(check_volume(v));
    *out = c_of(new spec::Volume(std::move(v)));
    return {};
  });
}

int appc_pod_options_add_env(appc_pod_options *opts, const char *name, const char *value) {
  return APPC_GUARD({
    APPC_ARG(opts);
    std::string n = APPC_TRY(text_arg("appc_pod_options_add_env", "name", name));
    APPC_ARG(value);
    opts->impl.env.push_back(spec::EnvVar{std::move(n), value});
    return {};
  });
}

int appc_pod_options_set_net(appc_pod_options *opts, appc_net_mode net) {
  return APPC_GUARD({
    APPC_ARG(opts);
    // Read as its representation: a value outside the enum is refused, not undefined.
    const int v = raw_enum(net);
    if (v == APPC_NET_NONE) opts->impl.net = ex::NetMode::none;
    else if (v == APPC_NET_HOST) opts->impl.net = ex::NetMode::host;
    else return Error::make(Code::invalid, "appc_pod_options_set_net: unknown network mode " + std::to_string(v));
    return {};
  });
}

int appc_pod_options_set_hostname(appc_pod_options *opts, const char *hostname) {
  return APPC_GUARD({
    APPC_ARG(opts);
    opts->impl.hostname.clear();
    if (hostname != nullptr) opts->impl.hostname = APPC_TRY(text_arg("appc_pod_options_set_hostname", "hostname", hostname));
    return {};
  });
}

int appc_pod_options_set_uuid(appc_pod_options *opts, const char *uuid) {
  return APPC_GUARD({
    APPC_ARG(opts);
    opts->impl.uuid.clear();
    if (uuid != nullptr) opts->impl.uuid = APPC_TRY(text_arg("appc_pod_options_set_uuid", "uuid", uuid));
    return {};
  });
}

int appc_pod_options_set_pod_manifest(appc_pod_options *opts, const char *json, size_t len) {
  return APPC_GUARD({
    APPC_ARG(opts);
    APPC_ARG(json);
    if (!opts->impl.apps.empty())
      return Error::make(Code::invalid,
                         "appc_pod_options_set_pod_manifest: the pod already has apps from images (one or the other)");
    opts->impl.manifest = APPC_TRY(spec::parse_pod_manifest(std::string_view(json, len)));
    return {};
  });
}

int appc_pod_prepare(appc_executor *exec, const appc_pod_options *opts, appc_buf *uuid_out) {
  return APPC_GUARD({
    APPC_ARG(exec);
    APPC_ARG(opts);
    std::string uuid = APPC_TRY(exec->impl->prepare(opts->impl));
    if (uuid_out != nullptr) fill_buf(uuid_out, uuid);
    return {};
  });
}

int appc_pod_run_options_init(appc_pod_run_options *opts, unsigned int version) {
  return APPC_GUARD({
    APPC_ARG(opts);
    APPC_TRY_VOID(check_version("appc_pod_run_options", version, APPC_POD_RUN_OPTIONS_VERSION));
    *opts = appc_pod_run_options{version, false};
    return {};
  });
}

int appc_pod_run(appc_executor *exec, const appc_pod_options *opts, const appc_pod_run_options *run_opts,
                 appc_pod_run_result *result) {
  return APPC_GUARD({
    APPC_ARG(exec);
    APPC_ARG(opts);
    ex::RunOptions ro = APPC_TRY(run_options(run_opts));
    APPC_TRY_VOID(check_result(result));
    ex::RunResult r = APPC_TRY(exec->impl->run(opts->impl, ro));
    fill_result(result, r);
    return {};
  });
}

int appc_pod_run_prepared(appc_executor *exec, const char *uuid, const appc_pod_run_options *run_opts,
                          appc_pod_run_result *result) {
  return APPC_GUARD({
    std::string u = APPC_TRY(pod_uuid(exec, uuid));
    ex::RunOptions ro = APPC_TRY(run_options(run_opts));
    APPC_TRY_VOID(check_result(result));
    ex::RunResult r = APPC_TRY(exec->impl->run_prepared(u, ro));
    fill_result(result, r);
    return {};
  });
}

int appc_pod_resolve_uuid(appc_executor *exec, const char *prefix, appc_buf *uuid_out) {
  return APPC_GUARD({
    APPC_ARG(uuid_out);
    std::string u = APPC_TRY(pod_uuid(exec, prefix));
    fill_buf(uuid_out, u);
    return {};
  });
}

int appc_pod_status_get(appc_pod_status **out, appc_executor *exec, const char *uuid) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = nullptr;
    std::string u = APPC_TRY(pod_uuid(exec, uuid));
    return give_status(out, APPC_TRY(exec->impl->status(u)));
  });
}

int appc_pod_wait(appc_pod_status **out, appc_executor *exec, const char *uuid, int timeout_ms) {
  return APPC_GUARD({
    if (out != nullptr) *out = nullptr;
    std::string u = APPC_TRY(pod_uuid(exec, uuid));
    return give_status(out, APPC_TRY(exec->impl->wait(u, timeout_ms < 0 ? -1 : timeout_ms)));
  });
}

void appc_pod_status_free(appc_pod_status *s) { delete s; }

const char *appc_pod_status_uuid(const appc_pod_status *s) { return s != nullptr ? s->impl.uuid.c_str() : nullptr; }

appc_pod_state appc_pod_status_state(const appc_pod_status *s) {
  if (s == nullptr) return APPC_POD_PREPARED;
  switch (s->impl.state) {
  case ex::PodState::prepared: return APPC_POD_PREPARED;
  case ex::PodState::running: return APPC_POD_RUNNING;
  case ex::PodState::exited: return APPC_POD_EXITED;
  }
  return APPC_POD_EXITED;
}

bool appc_pod_status_stale(const appc_pod_status *s) { return s != nullptr && s->impl.stale; }
bool appc_pod_status_has_exit_code(const appc_pod_status *s) { return s != nullptr && s->impl.exit_code.has_value(); }
int appc_pod_status_exit_code(const appc_pod_status *s) { return s != nullptr ? s->impl.exit_code.value_or(-1) : -1; }
int64_t appc_pod_status_pid(const appc_pod_status *s) { return s != nullptr ? static_cast<int64_t>(s->impl.pid) : 0; }
int64_t appc_pod_status_created_ns(const appc_pod_status *s) { return s != nullptr ? s->impl.created_ns : 0; }
int64_t appc_pod_status_started_ns(const appc_pod_status *s) { return s != nullptr ? s->impl.started_ns : 0; }
int64_t appc_pod_status_exited_ns(const appc_pod_status *s) { return s != nullptr ? s->impl.exited_ns : 0; }

appc_net_mode appc_pod_status_net(const appc_pod_status *s) {
  return s != nullptr && s->impl.net == ex::NetMode::host ? APPC_NET_HOST : APPC_NET_NONE;
}

const char *appc_pod_status_error(const appc_pod_status *s) { return s != nullptr ? s->impl.error.c_str() : nullptr; }
size_t appc_pod_status_app_count(const appc_pod_status *s) { return s != nullptr ? s->impl.apps.size() : 0; }

const char *appc_pod_status_app_name(const appc_pod_status *s, size_t i) {
  const ex::AppStatus *a = app_of(s, i);
  return a != nullptr ? a->name.c_str() : nullptr;
}
const char *appc_pod_status_app_image_id(const appc_pod_status *s, size_t i) {
  const ex::AppStatus *a = app_of(s, i);
  return a != nullptr ? a->image_id.c_str() : nullptr;
}
bool appc_pod_status_app_finished(const appc_pod_status *s, size_t i) {
  const ex::AppStatus *a = app_of(s, i);
  return a != nullptr && a->finished;
}
bool appc_pod_status_app_skipped(const appc_pod_status *s, size_t i) {
  const ex::AppStatus *a = app_of(s, i);
  return a != nullptr && a->skipped;
}
bool appc_pod_status_app_pre_start_failed(const appc_pod_status *s, size_t i) {
  const ex::AppStatus *a = app_of(s, i);
  return a != nullptr && a->pre_start_failed;
}
int appc_pod_status_app_exit_code(const appc_pod_status *s, size_t i) {
  const ex::AppStatus *a = app_of(s, i);
  return a != nullptr && a->finished ? a->exit_code : -1;
}
int appc_pod_status_app_signal(const appc_pod_status *s, size_t i) {
  const ex::AppStatus *a = app_of(s, i);
  return a != nullptr ? a->signal : 0;
}

int appc_pod_list_get(appc_pod_list **out, appc_executor *exec) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = nullptr;
    APPC_ARG(exec);
    auto pods = APPC_TRY(exec->impl->list());
    auto l = std::make_unique<appc_pod_list>();
    l->items.reserve(pods.size());
    for (auto &p : pods) l->items.push_back(appc_pod_status{std::move(p)});
    *out = l.release();
    return {};
  });
}

size_t appc_pod_list_count(const appc_pod_list *list) { return list != nullptr ? list->items.size() : 0; }
const appc_pod_status *appc_pod_list_at(const appc_pod_list *list, size_t i) {
  return list != nullptr ? at(list->items, i) : nullptr;
}
void appc_pod_list_free(appc_pod_list *list) { delete list; }

int appc_pod_read_manifest(appc_executor *exec, const char *uuid, appc_buf *out) {
  return APPC_GUARD({
    APPC_ARG(out);
    std::string u = APPC_TRY(pod_uuid(exec, uuid));
    fill_buf(out, APPC_TRY(exec->impl->manifest(u)));
    return {};
  });
}

int appc_pod_stop(appc_executor *exec, const char *uuid, int grace_ms) {
  return APPC_GUARD({
    std::string u = APPC_TRY(pod_uuid(exec, uuid));
    ex::StopOptions so;
    if (grace_ms >= 0) so.grace_ms = grace_ms;
    return exec->impl->stop(u, so);
  });
}

int appc_pod_rm(appc_executor *exec, const char *uuid) {
  return APPC_GUARD({
    std::string u = APPC_TRY(pod_uuid(exec, uuid));
    return exec->impl->rm(u);
  });
}

int appc_pod_gc_options_init(appc_pod_gc_options *opts, unsigned int version) {
  return APPC_GUARD({
    APPC_ARG(opts);
    APPC_TRY_VOID(check_version("appc_pod_gc_options", version, APPC_POD_GC_OPTIONS_VERSION));
    ex::GcOptions d;
    *opts = appc_pod_gc_options{version, d.exited_grace_s, d.prepared_grace_s};
    return {};
  });
}

int appc_pod_gc(appc_pod_gc_result **out, appc_executor *exec, const appc_pod_gc_options *opts) {
  return APPC_GUARD({
    if (out != nullptr) *out = nullptr;
    APPC_ARG(exec);
    ex::GcOptions go;
    if (opts != nullptr) {
      APPC_TRY_VOID(check_version("appc_pod_gc_options", opts->version, APPC_POD_GC_OPTIONS_VERSION));
      if (opts->exited_grace_s < 0 || opts->prepared_grace_s < 0)
        return Error::make(Code::invalid, "appc_pod_gc_options: a grace period is negative",
                           opts->exited_grace_s < 0 ? "exited_grace_s" : "prepared_grace_s");
      go.exited_grace_s = opts->exited_grace_s;
      go.prepared_grace_s = opts->prepared_grace_s;
    }
    ex::GcResult r = APPC_TRY(exec->impl->gc(go));
    if (out != nullptr) *out = new appc_pod_gc_result{std::move(r.removed)};
    return {};
  });
}

size_t appc_pod_gc_result_count(const appc_pod_gc_result *r) { return r != nullptr ? r->uuids.size() : 0; }
const char *appc_pod_gc_result_uuid(const appc_pod_gc_result *r, size_t i) {
  return r != nullptr && i < r->uuids.size() ? r->uuids[i].c_str() : nullptr;
}
void appc_pod_gc_result_free(appc_pod_gc_result *r) { delete r; }

int appc_pod_enter(appc_executor *exec, const char *uuid, const char *app, const char *const *argv, size_t argc,
                   int *status) {
  return APPC_GUARD({
    std::string u = APPC_TRY(pod_uuid(exec, uuid));
    ex::EnterOptions eo;
    if (app != nullptr) eo.app = APPC_TRY(text_arg("appc_pod_enter", "app", app));
    eo.argv = APPC_TRY(copy_argv(argv, argc));
    int st = APPC_TRY(exec->impl->enter(u, eo));
    if (status != nullptr) *status = st;
    return {};
  });
}

int appc_pod_enter_options_init(appc_pod_enter_options *opts, unsigned int version) {
  return APPC_GUARD({
    APPC_ARG(opts);
    APPC_TRY_VOID(check_version("appc_pod_enter_options", version, APPC_POD_ENTER_OPTIONS_VERSION));
    *opts = appc_pod_enter_options{version, nullptr, APPC_ENTER_TTY_AUTO};
    return {};
  });
}

int appc_pod_enter_ext(appc_executor *exec, const char *uuid, const char *const *argv, size_t argc,
                       const appc_pod_enter_options *opts, int *status) {
  return APPC_GUARD({
    std::string u = APPC_TRY(pod_uuid(exec, uuid));
    ex::EnterOptions eo;
    if (opts != nullptr) {
      APPC_TRY_VOID(check_version("appc_pod_enter_options", opts->version, APPC_POD_ENTER_OPTIONS_VERSION));
      if (opts->app != nullptr) eo.app = APPC_TRY(text_arg("appc_pod_enter_ext", "app", opts->app));
      switch (raw_enum(opts->tty)) {
      case APPC_ENTER_TTY_AUTO: eo.tty = ex::EnterTty::auto_; break;
      case APPC_ENTER_TTY_ALWAYS: eo.tty = ex::EnterTty::always; break;
      case APPC_ENTER_TTY_NEVER: eo.tty = ex::EnterTty::never; break;
      default:
        return Error::make(Code::invalid,
                           "appc_pod_enter_options: tty " + std::to_string(raw_enum(opts->tty)) +
                               " is not an appc_enter_tty (0 auto, 1 always, 2 never)",
                           "tty");
      }
    }
    eo.argv = APPC_TRY(copy_argv(argv, argc));
    int st = APPC_TRY(exec->impl->enter(u, eo));
    if (status != nullptr) *status = st;
    return {};
  });
}

int appc_pod_log_options_init(appc_pod_log_options *opts, unsigned int version) {
  return APPC_GUARD({
    APPC_ARG(opts);
    APPC_TRY_VOID(check_version("appc_pod_log_options", version, APPC_POD_LOG_OPTIONS_VERSION));
    *opts = appc_pod_log_options{version, nullptr, true, true, false};
    return {};
  });
}

int appc_pod_logs(appc_executor *exec, const char *uuid, const appc_pod_log_options *opts, appc_pod_log_cb cb,
                  void *payload) {
  return APPC_GUARD({
    APPC_ARG(cb);
    std::string u = APPC_TRY(pod_uuid(exec, uuid));
    ex::LogOptions lo;
    if (opts != nullptr) {
      APPC_TRY_VOID(check_version("appc_pod_log_options", opts->version, APPC_POD_LOG_OPTIONS_VERSION));
      if (opts->app != nullptr) lo.app = APPC_TRY(text_arg("appc_pod_logs", "app", opts->app));
      lo.stdout_ = opts->want_stdout;
      lo.stderr_ = opts->want_stderr;
      lo.follow = opts->follow;
    }
    bool stopped = false;
    APPC_TRY_VOID(exec->impl->logs(u, lo, [&](const ex::LogEntry &e) {
      appc_log_stream s = e.stream == ex::LogStream::stdout_ ? APPC_LOG_STDOUT : APPC_LOG_STDERR;
      if (cb(e.app.c_str(), s, e.timestamp.c_str(), e.time_ns, e.line.c_str(), e.line.size(), payload) != 0) {
        stopped = true;
        return false;
      }
      return true;
    }));
    if (stopped) return Error::make(Code::cancelled, "appc_pod_logs: the callback stopped the reading");
    return {};
  });
}

} // extern "C"
