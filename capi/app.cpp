// C ABI: apps (accessors + owned builders), ports, isolators, volumes.
#include <appc/appc.h>

#include "guard.hpp"
#include "handles.hpp"
#include "spec/isolator.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <limits>
#include <variant>

using namespace appc;
using namespace appc::capi;

namespace {

const spec::EventHandler *handler(const appc_app *app, size_t i) noexcept {
  return app ? at(cpp(app)->event_handlers, i) : nullptr;
}
const spec::MountPoint *mount_point(const appc_app *app, size_t i) noexcept {
  return app ? at(cpp(app)->mount_points, i) : nullptr;
}

template <class T> const T *value_as(const appc_isolator *iso) noexcept {
  return iso ? std::get_if<T>(&cpp(iso)->value) : nullptr;
}

bool fill_quantity(const std::optional<spec::Quantity> &q, appc_quantity *out) noexcept {
  if (!q) return false;
  if (out) {
    out->text = q->text.c_str();
    out->milli = q->milli;
    out->value = q->value;
  }
  return true;
}

// A JSON app object -> spec::App, judged by the image manifest rules: it is
// wrapped as the "app" of a minimal image manifest, so every finding has the
// same text and checklist item as in a manifest, with paths under "app".
Result<spec::App> parse_app(const char *json, size_t len, const appc_parse_options *opts) {
  spec::ParseOptions po = APPC_TRY(parse_options(opts));
  if (len > po.max_bytes)
    return Error::make(Code::limit,
                       "app JSON of " + std::to_string(len) + " bytes exceeds the limit of " +
                           std::to_string(po.max_bytes));
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json, len);
  if (doc.HasParseError()) {
    Diagnostic d;
    d.path = "app";
    d.message = "JSON syntax error at offset " + std::to_string(doc.GetErrorOffset()) + ": " +
                rapidjson::GetParseError_En(doc.GetParseError());
    return Error::invalid({std::move(d)});
  }
  // Re-serialized, the text is exactly one JSON value: nothing can be smuggled
  // into the wrapper beside it.
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  doc.Accept(w);
  std::string wrapped = R"({"acKind":"ImageManifest","acVersion":")";
  wrapped += spec::kSpecVersion;
  wrapped += R"(","name":"app","app":)";
  wrapped.append(sb.GetString(), sb.GetSize());
  wrapped += '}';
  po.max_bytes = std::max(po.max_bytes, wrapped.size());
  if (po.max_depth < std::numeric_limits<unsigned>::max()) po.max_depth += 1;
  spec::ImageManifest m = APPC_TRY(spec::parse_image_manifest(wrapped, po));
  if (!m.app) {
    Diagnostic d;
    d.path = "app";
    d.message = "must be a JSON object";
    return Error::invalid({std::move(d)});
  }
  return std::move(*m.app);
}

} // namespace

extern "C" {

/* ---- app accessors ---- */

size_t appc_app_exec_count(const appc_app *app) { return app ? cpp(app)->exec.size() : 0; }
const char *appc_app_exec(const appc_app *app, size_t i) {
  const std::string *s = app ? at(cpp(app)->exec, i) : nullptr;
  return s ? s->c_str() : nullptr;
}
const char *appc_app_user(const appc_app *app) { return app ? cpp(app)->user.c_str() : nullptr; }
const char *appc_app_group(const appc_app *app) { return app ? cpp(app)->group.c_str() : nullptr; }
size_t appc_app_supplementary_gid_count(const appc_app *app) {
  return app ? cpp(app)->supplementary_gids.size() : 0;
}
int64_t appc_app_supplementary_gid(const appc_app *app, size_t i) {
  const int64_t *g = app ? at(cpp(app)->supplementary_gids, i) : nullptr;
  return g ? *g : 0;
}
const char *appc_app_working_directory(const appc_app *app) {
  return app ? opt_str(cpp(app)->working_directory) : nullptr;
}

size_t appc_app_env_count(const appc_app *app) { return app ? cpp(app)->environment.size() : 0; }
const char *appc_app_env_name(const appc_app *app, size_t i) {
  return app ? kv_name(cpp(app)->environment, i) : nullptr;
}
const char *appc_app_env_value(const appc_app *app, size_t i) {
  return app ? kv_value(cpp(app)->environment, i) : nullptr;
}
const char *appc_app_env(const appc_app *app, const char *name) {
  return app ? lookup(cpp(app)->environment, name) : nullptr;
}

size_t appc_app_event_handler_count(const appc_app *app) { return app ? cpp(app)->event_handlers.size() : 0; }
const char *appc_app_event_handler_name(const appc_app *app, size_t i) {
  const auto *h = handler(app, i);
  return h ? h->name.c_str() : nullptr;
}
size_t appc_app_event_handler_exec_count(const appc_app *app, size_t i) {
  const auto *h = handler(app, i);
  return h ? h->exec.size() : 0;
}
const char *appc_app_event_handler_exec(const appc_app *app, size_t i, size_t j) {
  const auto *h = handler(app, i);
  const std::string *s = h ? at(h->exec, j) : nullptr;
  return s ? s->c_str() : nullptr;
}

size_t appc_app_mount_point_count(const appc_app *app) { return app ? cpp(app)->mount_points.size() : 0; }
const char *appc_app_mount_point_name(const appc_app *app, size_t i) {
  const auto *mp = mount_point(app, i);
  return mp ? mp->name.c_str() : nullptr;
}
const char *appc_app_mount_point_path(const appc_app *app, size_t i) {
  const auto *mp = mount_point(app, i);
  return mp ? mp->path.c_str() : nullptr;
}
bool appc_app_mount_point_read_only(const appc_app *app, size_t i) {
  const auto *mp = mount_point(app, i);
  return mp && mp->read_only;
}

size_t appc_app_port_count(const appc_app *app) { return app ? cpp(app)->ports.size() : 0; }
const appc_port *appc_app_port(const appc_app *app, size_t i) {
  const spec::Port *p = app ? at(cpp(app)->ports, i) : nullptr;
  return p ? c_of(p) : nullptr;
}

size_t appc_app_isolator_count(const appc_app *app) { return app ? cpp(app)->isolators.size() : 0; }
const appc_isolator *appc_app_isolator(const appc_app *app, size_t i) {
  const spec::Isolator *iso = app ? at(cpp(app)->isolators, i) : nullptr;
  return iso ? c_of(iso) : nullptr;
}
const appc_isolator *appc_app_find_isolator(const appc_app *app, const char *name) {
  if (!app || !name) return nullptr;
  for (const auto &iso : cpp(app)->isolators)
    if (iso.name == name) return c_of(&iso);
  return nullptr;
}

size_t appc_app_user_annotation_count(const appc_app *app) {
  return app ? cpp(app)->user_annotations.size() : 0;
}
const char *appc_app_user_annotation_name(const appc_app *app, size_t i) {
  return app ? kv_name(cpp(app)->user_annotations, i) : nullptr;
}
const char *appc_app_user_annotation_value(const appc_app *app, size_t i) {
  return app ? kv_value(cpp(app)->user_annotations, i) : nullptr;
}
const char *appc_app_user_annotation(const appc_app *app, const char *name) {
  return app ? lookup(cpp(app)->user_annotations, name) : nullptr;
}

size_t appc_app_user_label_count(const appc_app *app) { return app ? cpp(app)->user_labels.size() : 0; }
const char *appc_app_user_label_name(const appc_app *app, size_t i) {
  return app ? kv_name(cpp(app)->user_labels, i) : nullptr;
}
const char *appc_app_user_label_value(const appc_app *app, size_t i) {
  return app ? kv_value(cpp(app)->user_labels, i) : nullptr;
}
const char *appc_app_user_label(const appc_app *app, const char *name) {
  return app ? lookup(cpp(app)->user_labels, name) : nullptr;
}

/* ---- app builders ---- */

int appc_app_new(appc_app **out) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = c_of(new spec::App{});
    return {};
  });
}

int appc_app_clone(appc_app **out, const appc_app *src) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = nullptr;
    APPC_ARG(src);
    *out = c_of(new spec::App(*cpp(src)));
    return {};
  });
}

int appc_app_parse(appc_app **out, const char *json, size_t len, const appc_parse_options *opts) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = nullptr;
    APPC_ARG(json);
    spec::App app = APPC_TRY(parse_app(json, len, opts));
    *out = c_of(new spec::App(std::move(app)));
    return {};
  });
}

void appc_app_free(appc_app *app) { delete cpp(app); }

int appc_app_set_exec(appc_app *app, const char *const *argv, size_t argc) {
  return APPC_GUARD({
    APPC_ARG(app);
    cpp(app)->exec = APPC_TRY(copy_argv(argv, argc));
    return {};
  });
}

int appc_app_set_user(appc_app *app, const char *user) {
  return APPC_GUARD({
    APPC_ARG(app);
    APPC_ARG(user);
    cpp(app)->user = user;
    return {};
  });
}

int appc_app_set_group(appc_app *app, const char *group) {
  return APPC_GUARD({
    APPC_ARG(app);
    APPC_ARG(group);
    cpp(app)->group = group;
    return {};
  });
}

int appc_app_set_supplementary_gids(appc_app *app, const int64_t *gids, size_t n) {
  return APPC_GUARD({
    APPC_ARG(app);
    if (n > 0) APPC_ARG(gids);
    cpp(app)->supplementary_gids.assign(gids, gids + n);
    return {};
  });
}

int appc_app_set_working_directory(appc_app *app, const char *dir) {
  return APPC_GUARD({
    APPC_ARG(app);
    APPC_ARG(dir);
    cpp(app)->working_directory = dir;
    return {};
  });
}

int appc_app_add_env(appc_app *app, const char *name, const char *value) {
  return APPC_GUARD({
    APPC_ARG(app);
    APPC_ARG(name);
    APPC_ARG(value);
    cpp(app)->environment.push_back({name, value});
    return {};
  });
}

int appc_app_clear_env(appc_app *app) {
  return APPC_GUARD({
    APPC_ARG(app);
    cpp(app)->environment.clear();
    return {};
  });
}

int appc_app_add_event_handler(appc_app *app, const char *name, const char *const *argv, size_t argc) {
  return APPC_GUARD({
    APPC_ARG(app);
    APPC_ARG(name);
    spec::EventHandler h;
    h.name = name;
    h.exec = APPC_TRY(copy_argv(argv, argc));
    cpp(app)->event_handlers.push_back(std::move(h));
    return {};
  });
}

int appc_app_clear_event_handlers(appc_app *app) {
  return APPC_GUARD({
    APPC_ARG(app);
    cpp(app)->event_handlers.clear();
    return {};
  });
}

int appc_app_add_mount_point(appc_app *app, const char *name, const char *path, bool read_only) {
  return APPC_GUARD({
    APPC_ARG(app);
    APPC_ARG(name);
    APPC_ARG(path);
    cpp(app)->mount_points.push_back({name, path, read_only});
    return {};
  });
}

int appc_app_clear_mount_points(appc_app *app) {
  return APPC_GUARD({
    APPC_ARG(app);
    cpp(app)->mount_points.clear();
    return {};
  });
}

int appc_app_add_port(appc_app *app, const char *name, const char *protocol, int64_t port, int64_t count,
                      bool socket_activated) {
  return APPC_GUARD({
    APPC_ARG(app);
    APPC_ARG(name);
    APPC_ARG(protocol);
    spec::Port p;
    p.name = name;
    p.protocol = protocol;
    p.port = port;
    p.count = count == 0 ? 1 : count;
    p.socket_activated = socket_activated;
    cpp(app)->ports.push_back(std::move(p));
    return {};
  });
}

int appc_app_clear_ports(appc_app *app) {
  return APPC_GUARD({
    APPC_ARG(app);
    cpp(app)->ports.clear();
    return {};
  });
}

int appc_app_add_isolator(appc_app *app, const char *name, const char *value_json, size_t len) {
  return APPC_GUARD({
    APPC_ARG(app);
    spec::Isolator iso = APPC_TRY(make_isolator(name, value_json, len));
    cpp(app)->isolators.push_back(std::move(iso));
    return {};
  });
}

int appc_app_clear_isolators(appc_app *app) {
  return APPC_GUARD({
    APPC_ARG(app);
    cpp(app)->isolators.clear();
    return {};
  });
}

int appc_app_add_user_annotation(appc_app *app, const char *name, const char *value) {
  return APPC_GUARD({
    APPC_ARG(app);
    APPC_ARG(name);
    APPC_ARG(value);
    cpp(app)->user_annotations.emplace_back(name, value);
    return {};
  });
}

int appc_app_clear_user_annotations(appc_app *app) {
  return APPC_GUARD({
    APPC_ARG(app);
    cpp(app)->user_annotations.clear();
    return {};
  });
}

int appc_app_add_user_label(appc_app *app, const char *name, const char *value) {
  return APPC_GUARD({
    APPC_ARG(app);
    APPC_ARG(name);
    APPC_ARG(value);
    cpp(app)->user_labels.emplace_back(name, value);
    return {};
  });
}

int appc_app_clear_user_labels(appc_app *app) {
  return APPC_GUARD({
    APPC_ARG(app);
    cpp(app)->user_labels.clear();
    return {};
  });
}

/* ---- ports ---- */

const char *appc_port_name(const appc_port *port) { return port ? cpp(port)->name.c_str() : nullptr; }
const char *appc_port_protocol(const appc_port *port) { return port ? cpp(port)->protocol.c_str() : nullptr; }
int64_t appc_port_number(const appc_port *port) { return port ? cpp(port)->port : 0; }
int64_t appc_port_count(const appc_port *port) { return port ? cpp(port)->count : 0; }
bool appc_port_socket_activated(const appc_port *port) { return port && cpp(port)->socket_activated; }

/* ---- isolators ---- */

const char *appc_isolator_name(const appc_isolator *iso) { return iso ? cpp(iso)->name.c_str() : nullptr; }

appc_isolator_kind appc_isolator_kind_of(const appc_isolator *iso) {
  if (!iso) return APPC_ISOLATOR_UNKNOWN;
  static constexpr struct {
    std::string_view name;
    appc_isolator_kind kind;
  } kinds[] = {
      {"resource/cpu", APPC_ISOLATOR_RESOURCE_CPU},
      {"resource/memory", APPC_ISOLATOR_RESOURCE_MEMORY},
      {"resource/block-bandwidth", APPC_ISOLATOR_RESOURCE_BLOCK_BANDWIDTH},
      {"resource/block-iops", APPC_ISOLATOR_RESOURCE_BLOCK_IOPS},
      {"resource/network-bandwidth", APPC_ISOLATOR_RESOURCE_NETWORK_BANDWIDTH},
      {"os/linux/capabilities-retain-set", APPC_ISOLATOR_CAPABILITIES_RETAIN_SET},
      {"os/linux/capabilities-remove-set", APPC_ISOLATOR_CAPABILITIES_REMOVE_SET},
      {"os/linux/no-new-privileges", APPC_ISOLATOR_NO_NEW_PRIVILEGES},
      {"os/linux/seccomp-remove-set", APPC_ISOLATOR_SECCOMP_REMOVE_SET},
      {"os/linux/seccomp-retain-set", APPC_ISOLATOR_SECCOMP_RETAIN_SET},
      {"os/linux/selinux-context", APPC_ISOLATOR_SELINUX_CONTEXT},
      {"os/unix/sysctl", APPC_ISOLATOR_SYSCTL},
      {"os/linux/cpu-shares", APPC_ISOLATOR_CPU_SHARES},
      {"os/linux/oom-score-adj", APPC_ISOLATOR_OOM_SCORE_ADJ},
  };
  // A known name whose value did not decode (only possible if the core
  // changes) still reports by name; the typed accessors then return nothing.
  for (const auto &k : kinds)
    if (k.name == cpp(iso)->name) return k.kind;
  return APPC_ISOLATOR_UNKNOWN;
}

int appc_isolator_value_json(const appc_isolator *iso, appc_buf *out) {
  return APPC_GUARD({
    APPC_ARG(out);
    out->ptr = nullptr;
    out->size = 0;
    APPC_ARG(iso);
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    spec::encode_isolator_value(*cpp(iso), w);
    fill_buf(out, std::string_view(sb.GetString(), sb.GetSize()));
    return {};
  });
}

bool appc_isolator_request(const appc_isolator *iso, appc_quantity *out) {
  if (const auto *c = value_as<spec::ResourceCpu>(iso)) return fill_quantity(c->request, out);
  if (const auto *m = value_as<spec::ResourceMemory>(iso)) return fill_quantity(m->request, out);
  return false;
}

bool appc_isolator_limit(const appc_isolator *iso, appc_quantity *out) {
  if (const auto *c = value_as<spec::ResourceCpu>(iso)) return fill_quantity(c->limit, out);
  if (const auto *m = value_as<spec::ResourceMemory>(iso)) return fill_quantity(m->limit, out);
  if (const auto *b = value_as<spec::ResourceBandwidth>(iso)) return fill_quantity(b->limit, out);
  return false;
}

bool appc_isolator_is_default(const appc_isolator *iso) {
  const auto *b = value_as<spec::ResourceBandwidth>(iso);
  return b && b->is_default;
}

size_t appc_isolator_set_count(const appc_isolator *iso) {
  if (const auto *c = value_as<spec::CapabilitySet>(iso)) return c->set.size();
  if (const auto *s = value_as<spec::SeccompSet>(iso)) return s->set.size();
  return 0;
}

const char *appc_isolator_set_item(const appc_isolator *iso, size_t i) {
  const std::string *s = nullptr;
  if (const auto *c = value_as<spec::CapabilitySet>(iso)) s = at(c->set, i);
  else if (const auto *sc = value_as<spec::SeccompSet>(iso)) s = at(sc->set, i);
  return s ? s->c_str() : nullptr;
}

const char *appc_isolator_errno(const appc_isolator *iso) {
  const auto *s = value_as<spec::SeccompSet>(iso);
  return s ? opt_str(s->errno_name) : nullptr;
}

bool appc_isolator_bool(const appc_isolator *iso) {
  const auto *n = value_as<spec::NoNewPrivileges>(iso);
  return n && n->enabled;
}

bool appc_isolator_int(const appc_isolator *iso, int64_t *out) {
  if (const auto *c = value_as<spec::CpuShares>(iso)) {
    if (out) *out = c->shares;
    return true;
  }
  if (const auto *o = value_as<spec::OomScoreAdj>(iso)) {
    if (out) *out = o->adj;
    return true;
  }
  return false;
}

bool appc_isolator_selinux_context(const appc_isolator *iso, const char **user, const char **role,
                                   const char **type, const char **level) {
  const auto *s = value_as<spec::SelinuxContext>(iso);
  if (!s) return false;
  if (user) *user = s->user.c_str();
  if (role) *role = s->role.c_str();
  if (type) *type = s->type.c_str();
  if (level) *level = s->level.c_str();
  return true;
}

size_t appc_isolator_sysctl_count(const appc_isolator *iso) {
  const auto *s = value_as<spec::Sysctl>(iso);
  return s ? s->entries.size() : 0;
}
const char *appc_isolator_sysctl_name(const appc_isolator *iso, size_t i) {
  const auto *s = value_as<spec::Sysctl>(iso);
  return s ? kv_name(s->entries, i) : nullptr;
}
const char *appc_isolator_sysctl_value(const appc_isolator *iso, size_t i) {
  const auto *s = value_as<spec::Sysctl>(iso);
  return s ? kv_value(s->entries, i) : nullptr;
}

/* ---- volumes ---- */

const char *appc_volume_name(const appc_volume *v) { return v ? cpp(v)->name.c_str() : nullptr; }
const char *appc_volume_kind(const appc_volume *v) { return v ? cpp(v)->kind.c_str() : nullptr; }
const char *appc_volume_source(const appc_volume *v) { return v ? opt_str(cpp(v)->source) : nullptr; }
bool appc_volume_has_read_only(const appc_volume *v) { return v && cpp(v)->read_only.has_value(); }
bool appc_volume_read_only(const appc_volume *v) { return v && cpp(v)->read_only.value_or(false); }
bool appc_volume_has_recursive(const appc_volume *v) { return v && cpp(v)->recursive.has_value(); }
bool appc_volume_recursive(const appc_volume *v) { return v && cpp(v)->recursive.value_or(false); }
const char *appc_volume_mode(const appc_volume *v) {
  return v && cpp(v)->mode ? cpp(v)->mode->c_str() : nullptr;
}
bool appc_volume_has_uid(const appc_volume *v) { return v && cpp(v)->uid.has_value(); }
int64_t appc_volume_uid(const appc_volume *v) { return v ? cpp(v)->uid.value_or(0) : 0; }
bool appc_volume_has_gid(const appc_volume *v) { return v && cpp(v)->gid.has_value(); }
int64_t appc_volume_gid(const appc_volume *v) { return v ? cpp(v)->gid.value_or(0) : 0; }

int appc_volume_new(appc_volume **out, const char *name, const char *kind) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = nullptr;
    APPC_ARG(name);
    APPC_ARG(kind);
    auto *v = new spec::Volume{};
    v->name = name;
    v->kind = kind;
    *out = c_of(v);
    return {};
  });
}

int appc_volume_clone(appc_volume **out, const appc_volume *src) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = nullptr;
    APPC_ARG(src);
    *out = c_of(new spec::Volume(*cpp(src)));
    return {};
  });
}

void appc_volume_free(appc_volume *v) { delete cpp(v); }

int appc_volume_set_source(appc_volume *v, const char *source) {
  return APPC_GUARD({
    APPC_ARG(v);
    APPC_ARG(source);
    cpp(v)->source = source;
    return {};
  });
}

int appc_volume_set_read_only(appc_volume *v, bool read_only) {
  return APPC_GUARD({
    APPC_ARG(v);
    cpp(v)->read_only = read_only;
    return {};
  });
}

int appc_volume_set_recursive(appc_volume *v, bool recursive) {
  return APPC_GUARD({
    APPC_ARG(v);
    cpp(v)->recursive = recursive;
    return {};
  });
}

int appc_volume_set_mode(appc_volume *v, const char *mode) {
  return APPC_GUARD({
    APPC_ARG(v);
    APPC_ARG(mode);
    cpp(v)->mode = std::string(mode);
    return {};
  });
}

int appc_volume_set_uid(appc_volume *v, int64_t uid) {
  return APPC_GUARD({
    APPC_ARG(v);
    cpp(v)->uid = uid;
    return {};
  });
}

int appc_volume_set_gid(appc_volume *v, int64_t gid) {
  return APPC_GUARD({
    APPC_ARG(v);
    cpp(v)->gid = gid;
    return {};
  });
}

} // extern "C"
