// C ABI: pod manifests (parse, validate, serialize, accessors, builders).
#include <appc/appc.h>

#include "guard.hpp"
#include "handles.hpp"

using namespace appc;
using namespace appc::capi;

namespace {

const spec::RuntimeApp *rapp(const appc_pod_manifest *pod, size_t i) noexcept {
  return pod ? at(pod->impl.apps, i) : nullptr;
}
const spec::Mount *mount(const appc_pod_manifest *pod, size_t i, size_t j) noexcept {
  const auto *a = rapp(pod, i);
  return a ? at(a->mounts, j) : nullptr;
}
const spec::ExposedPort *xport(const appc_pod_manifest *pod, size_t i) noexcept {
  return pod ? at(pod->impl.ports, i) : nullptr;
}

Result<spec::RuntimeApp *> app_at(appc_pod_manifest *pod, size_t i) {
  if (i >= pod->impl.apps.size()) return index_out_of_range("app", i, pod->impl.apps.size());
  return &pod->impl.apps[i];
}

} // namespace

extern "C" {

int appc_pod_manifest_parse(appc_pod_manifest **out, const char *json, size_t len,
                            const appc_parse_options *opts) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = nullptr;
    APPC_ARG(json);
    auto po = APPC_TRY(parse_options(opts));
    auto m = APPC_TRY(spec::parse_pod_manifest(std::string_view(json, len), po));
    *out = new appc_pod_manifest{std::move(m)};
    return {};
  });
}

int appc_pod_manifest_new(appc_pod_manifest **out) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = new appc_pod_manifest{};
    return {};
  });
}

int appc_pod_manifest_clone(appc_pod_manifest **out, const appc_pod_manifest *pod) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = nullptr;
    APPC_ARG(pod);
    *out = new appc_pod_manifest{pod->impl};
    return {};
  });
}

int appc_pod_manifest_validate(const appc_pod_manifest *pod) {
  return APPC_GUARD({
    APPC_ARG(pod);
    return findings(spec::validate(pod->impl));
  });
}

int appc_pod_manifest_serialize(const appc_pod_manifest *pod, const appc_serialize_options *opts,
                                appc_buf *out) {
  return APPC_GUARD({
    APPC_ARG(out);
    out->ptr = nullptr;
    out->size = 0;
    APPC_ARG(pod);
    auto so = APPC_TRY(serialize_options(opts));
    APPC_TRY_VOID(findings(spec::validate(pod->impl)));
    fill_buf(out, spec::serialize(pod->impl, so));
    return {};
  });
}

void appc_pod_manifest_free(appc_pod_manifest *pod) { delete pod; }

/* ---- accessors ---- */

const char *appc_pod_manifest_ac_kind(const appc_pod_manifest *pod) {
  return pod ? pod->impl.ac_kind.c_str() : nullptr;
}
const char *appc_pod_manifest_ac_version(const appc_pod_manifest *pod) {
  return pod ? pod->impl.ac_version.c_str() : nullptr;
}

size_t appc_pod_manifest_app_count(const appc_pod_manifest *pod) { return pod ? pod->impl.apps.size() : 0; }

bool appc_pod_manifest_find_app(const appc_pod_manifest *pod, const char *name, size_t *index) {
  if (!pod || !name) return false;
  for (size_t i = 0; i < pod->impl.apps.size(); ++i) {
    if (pod->impl.apps[i].name == name) {
      if (index) *index = i;
      return true;
    }
  }
  return false;
}

const char *appc_pod_app_name(const appc_pod_manifest *pod, size_t i) {
  const auto *a = rapp(pod, i);
  return a ? a->name.c_str() : nullptr;
}
const char *appc_pod_app_image_name(const appc_pod_manifest *pod, size_t i) {
  const auto *a = rapp(pod, i);
  return a ? opt_str(a->image.name) : nullptr;
}
const char *appc_pod_app_image_id(const appc_pod_manifest *pod, size_t i) {
  const auto *a = rapp(pod, i);
  return a ? opt_str(a->image.id) : nullptr;
}
size_t appc_pod_app_image_label_count(const appc_pod_manifest *pod, size_t i) {
  const auto *a = rapp(pod, i);
  return a ? a->image.labels.size() : 0;
}
const char *appc_pod_app_image_label_name(const appc_pod_manifest *pod, size_t i, size_t j) {
  const auto *a = rapp(pod, i);
  return a ? kv_name(a->image.labels, j) : nullptr;
}
const char *appc_pod_app_image_label_value(const appc_pod_manifest *pod, size_t i, size_t j) {
  const auto *a = rapp(pod, i);
  return a ? kv_value(a->image.labels, j) : nullptr;
}
const char *appc_pod_app_image_label(const appc_pod_manifest *pod, size_t i, const char *name) {
  const auto *a = rapp(pod, i);
  return a ? lookup(a->image.labels, name) : nullptr;
}
const appc_app *appc_pod_app_override(const appc_pod_manifest *pod, size_t i) {
  const auto *a = rapp(pod, i);
  return a && a->app ? c_of(&*a->app) : nullptr;
}
bool appc_pod_app_read_only_root_fs(const appc_pod_manifest *pod, size_t i) {
  const auto *a = rapp(pod, i);
  return a && a->read_only_root_fs;
}
size_t appc_pod_app_mount_count(const appc_pod_manifest *pod, size_t i) {
  const auto *a = rapp(pod, i);
  return a ? a->mounts.size() : 0;
}
const char *appc_pod_app_mount_volume(const appc_pod_manifest *pod, size_t i, size_t j) {
  const auto *m = mount(pod, i, j);
  return m ? m->volume.c_str() : nullptr;
}
const char *appc_pod_app_mount_path(const appc_pod_manifest *pod, size_t i, size_t j) {
  const auto *m = mount(pod, i, j);
  return m ? m->path.c_str() : nullptr;
}
const appc_volume *appc_pod_app_mount_app_volume(const appc_pod_manifest *pod, size_t i, size_t j) {
  const auto *m = mount(pod, i, j);
  return m && m->app_volume ? c_of(&*m->app_volume) : nullptr;
}
size_t appc_pod_app_annotation_count(const appc_pod_manifest *pod, size_t i) {
  const auto *a = rapp(pod, i);
  return a ? a->annotations.size() : 0;
}
const char *appc_pod_app_annotation_name(const appc_pod_manifest *pod, size_t i, size_t j) {
  const auto *a = rapp(pod, i);
  return a ? kv_name(a->annotations, j) : nullptr;
}
const char *appc_pod_app_annotation_value(const appc_pod_manifest *pod, size_t i, size_t j) {
  const auto *a = rapp(pod, i);
  return a ? kv_value(a->annotations, j) : nullptr;
}
const char *appc_pod_app_annotation(const appc_pod_manifest *pod, size_t i, const char *name) {
  const auto *a = rapp(pod, i);
  return a ? lookup(a->annotations, name) : nullptr;
}

size_t appc_pod_manifest_volume_count(const appc_pod_manifest *pod) { return pod ? pod->impl.volumes.size() : 0; }
const appc_volume *appc_pod_manifest_volume(const appc_pod_manifest *pod, size_t i) {
  const spec::Volume *v = pod ? at(pod->impl.volumes, i) : nullptr;
  return v ? c_of(v) : nullptr;
}

size_t appc_pod_manifest_port_count(const appc_pod_manifest *pod) { return pod ? pod->impl.ports.size() : 0; }
const char *appc_pod_manifest_port_name(const appc_pod_manifest *pod, size_t i) {
  const auto *p = xport(pod, i);
  return p ? p->name.c_str() : nullptr;
}
int64_t appc_pod_manifest_port_host_port(const appc_pod_manifest *pod, size_t i) {
  const auto *p = xport(pod, i);
  return p ? p->host_port : 0;
}
const char *appc_pod_manifest_port_host_ip(const appc_pod_manifest *pod, size_t i) {
  const auto *p = xport(pod, i);
  return p ? opt_str(p->host_ip) : nullptr;
}
const appc_port *appc_pod_manifest_port_pod_port(const appc_pod_manifest *pod, size_t i) {
  const auto *p = xport(pod, i);
  return p && p->pod_port ? c_of(&*p->pod_port) : nullptr;
}

size_t appc_pod_manifest_isolator_count(const appc_pod_manifest *pod) {
  return pod ? pod->impl.isolators.size() : 0;
}
const appc_isolator *appc_pod_manifest_isolator(const appc_pod_manifest *pod, size_t i) {
  const spec::Isolator *iso = pod ? at(pod->impl.isolators, i) : nullptr;
  return iso ? c_of(iso) : nullptr;
}

size_t appc_pod_manifest_annotation_count(const appc_pod_manifest *pod) {
  return pod ? pod->impl.annotations.size() : 0;
}
const char *appc_pod_manifest_annotation_name(const appc_pod_manifest *pod, size_t i) {
  return pod ? kv_name(pod->impl.annotations, i) : nullptr;
}
const char *appc_pod_manifest_annotation_value(const appc_pod_manifest *pod, size_t i) {
  return pod ? kv_value(pod->impl.annotations, i) : nullptr;
}
const char *appc_pod_manifest_annotation(const appc_pod_manifest *pod, const char *name) {
  return pod ? lookup(pod->impl.annotations, name) : nullptr;
}

size_t appc_pod_manifest_user_annotation_count(const appc_pod_manifest *pod) {
  return pod ? pod->impl.user_annotations.size() : 0;
}
const char *appc_pod_manifest_user_annotation_name(const appc_pod_manifest *pod, size_t i) {
  return pod ? kv_name(pod->impl.user_annotations, i) : nullptr;
}
const char *appc_pod_manifest_user_annotation_value(const appc_pod_manifest *pod, size_t i) {
  return pod ? kv_value(pod->impl.user_annotations, i) : nullptr;
}
const char *appc_pod_manifest_user_annotation(const appc_pod_manifest *pod, const char *name) {
  return pod ? lookup(pod->impl.user_annotations, name) : nullptr;
}

size_t appc_pod_manifest_user_label_count(const appc_pod_manifest *pod) {
  return pod ? pod->impl.user_labels.size() : 0;
}
const char *appc_pod_manifest_user_label_name(const appc_pod_manifest *pod, size_t i) {
  return pod ? kv_name(pod->impl.user_labels, i) : nullptr;
}
const char *appc_pod_manifest_user_label_value(const appc_pod_manifest *pod, size_t i) {
  return pod ? kv_value(pod->impl.user_labels, i) : nullptr;
}
const char *appc_pod_manifest_user_label(const appc_pod_manifest *pod, const char *name) {
  return pod ? lookup(pod->impl.user_labels, name) : nullptr;
}

/* ---- builders ---- */

int appc_pod_manifest_set_ac_version(appc_pod_manifest *pod, const char *version) {
  return APPC_GUARD({
    APPC_ARG(pod);
    APPC_ARG(version);
    pod->impl.ac_version = version;
    return {};
  });
}

int appc_pod_manifest_add_app(appc_pod_manifest *pod, const char *name, const char *image_name,
                              const char *image_id, size_t *index) {
  return APPC_GUARD({
    APPC_ARG(pod);
    APPC_ARG(name);
    APPC_ARG(image_name);
    spec::RuntimeApp a;
    a.name = name;
    a.image.name = image_name;
    if (image_id) a.image.id = image_id;
    pod->impl.apps.push_back(std::move(a));
    if (index) *index = pod->impl.apps.size() - 1;
    return {};
  });
}

int appc_pod_manifest_clear_apps(appc_pod_manifest *pod) {
  return APPC_GUARD({
    APPC_ARG(pod);
    pod->impl.apps.clear();
    return {};
  });
}

int appc_pod_app_set_image_id(appc_pod_manifest *pod, size_t i, const char *image_id) {
  return APPC_GUARD({
    APPC_ARG(pod);
    APPC_ARG(image_id);
    spec::RuntimeApp *a = APPC_TRY(app_at(pod, i));
    a->image.id = image_id;
    return {};
  });
}

int appc_pod_app_add_image_label(appc_pod_manifest *pod, size_t i, const char *name, const char *value) {
  return APPC_GUARD({
    APPC_ARG(pod);
    APPC_ARG(name);
    APPC_ARG(value);
    spec::RuntimeApp *a = APPC_TRY(app_at(pod, i));
    a->image.labels.push_back({name, value});
    return {};
  });
}

int appc_pod_app_set_override(appc_pod_manifest *pod, size_t i, const appc_app *app) {
  return APPC_GUARD({
    APPC_ARG(pod);
    spec::RuntimeApp *a = APPC_TRY(app_at(pod, i));
    if (app == nullptr) {
      a->app.reset();
    } else {
      // Copy first: `app` may be borrowed from this very pod.
      spec::App copy = *cpp(app);
      a->app = std::move(copy);
    }
    return {};
  });
}

int appc_pod_app_set_read_only_root_fs(appc_pod_manifest *pod, size_t i, bool read_only) {
  return APPC_GUARD({
    APPC_ARG(pod);
    spec::RuntimeApp *a = APPC_TRY(app_at(pod, i));
    a->read_only_root_fs = read_only;
    return {};
  });
}

int appc_pod_app_add_mount(appc_pod_manifest *pod, size_t i, const char *volume, const char *path,
                           const appc_volume *app_volume) {
  return APPC_GUARD({
    APPC_ARG(pod);
    APPC_ARG(volume);
    APPC_ARG(path);
    spec::RuntimeApp *a = APPC_TRY(app_at(pod, i));
    spec::Mount m;
    m.volume = volume;
    m.path = path;
    if (app_volume) m.app_volume = *cpp(app_volume);
    a->mounts.push_back(std::move(m));
    return {};
  });
}

int appc_pod_app_add_annotation(appc_pod_manifest *pod, size_t i, const char *name, const char *value) {
  return APPC_GUARD({
    APPC_ARG(pod);
    APPC_ARG(name);
    APPC_ARG(value);
    spec::RuntimeApp *a = APPC_TRY(app_at(pod, i));
    a->annotations.push_back({name, value});
    return {};
  });
}

int appc_pod_manifest_add_volume(appc_pod_manifest *pod, const appc_volume *volume) {
  return APPC_GUARD({
    APPC_ARG(pod);
    APPC_ARG(volume);
    spec::Volume copy = *cpp(volume);
    pod->impl.volumes.push_back(std::move(copy));
    return {};
  });
}

int appc_pod_manifest_clear_volumes(appc_pod_manifest *pod) {
  return APPC_GUARD({
    APPC_ARG(pod);
    pod->impl.volumes.clear();
    return {};
  });
}

int appc_pod_manifest_add_port(appc_pod_manifest *pod, const char *name, int64_t host_port,
                               const char *host_ip, size_t *index) {
  return APPC_GUARD({
    APPC_ARG(pod);
    APPC_ARG(name);
    spec::ExposedPort p;
    p.name = name;
    p.host_port = host_port;
    if (host_ip) p.host_ip = host_ip;
    pod->impl.ports.push_back(std::move(p));
    if (index) *index = pod->impl.ports.size() - 1;
    return {};
  });
}

int appc_pod_manifest_port_set_pod_port(appc_pod_manifest *pod, size_t i, const char *name,
                                        const char *protocol, int64_t port, int64_t count,
                                        bool socket_activated) {
  return APPC_GUARD({
    APPC_ARG(pod);
    APPC_ARG(name);
    APPC_ARG(protocol);
    if (i >= pod->impl.ports.size()) return index_out_of_range("port", i, pod->impl.ports.size());
    spec::Port p;
    p.name = name;
    p.protocol = protocol;
    p.port = port;
    p.count = count == 0 ? 1 : count;
    p.socket_activated = socket_activated;
    pod->impl.ports[i].pod_port = std::move(p);
    return {};
  });
}

int appc_pod_manifest_clear_ports(appc_pod_manifest *pod) {
  return APPC_GUARD({
    APPC_ARG(pod);
    pod->impl.ports.clear();
    return {};
  });
}

int appc_pod_manifest_add_isolator(appc_pod_manifest *pod, const char *name, const char *value_json,
                                   size_t len) {
  return APPC_GUARD({
    APPC_ARG(pod);
    spec::Isolator iso = APPC_TRY(make_isolator(name, value_json, len));
    pod->impl.isolators.push_back(std::move(iso));
    return {};
  });
}

int appc_pod_manifest_clear_isolators(appc_pod_manifest *pod) {
  return APPC_GUARD({
    APPC_ARG(pod);
    pod->impl.isolators.clear();
    return {};
  });
}

int appc_pod_manifest_add_annotation(appc_pod_manifest *pod, const char *name, const char *value) {
  return APPC_GUARD({
    APPC_ARG(pod);
    APPC_ARG(name);
    APPC_ARG(value);
    pod->impl.annotations.push_back({name, value});
    return {};
  });
}

int appc_pod_manifest_clear_annotations(appc_pod_manifest *pod) {
  return APPC_GUARD({
    APPC_ARG(pod);
    pod->impl.annotations.clear();
    return {};
  });
}

int appc_pod_manifest_add_user_annotation(appc_pod_manifest *pod, const char *name, const char *value) {
  return APPC_GUARD({
    APPC_ARG(pod);
    APPC_ARG(name);
    APPC_ARG(value);
    pod->impl.user_annotations.emplace_back(name, value);
    return {};
  });
}

int appc_pod_manifest_clear_user_annotations(appc_pod_manifest *pod) {
  return APPC_GUARD({
    APPC_ARG(pod);
    pod->impl.user_annotations.clear();
    return {};
  });
}

int appc_pod_manifest_add_user_label(appc_pod_manifest *pod, const char *name, const char *value) {
  return APPC_GUARD({
    APPC_ARG(pod);
    APPC_ARG(name);
    APPC_ARG(value);
    pod->impl.user_labels.emplace_back(name, value);
    return {};
  });
}

int appc_pod_manifest_clear_user_labels(appc_pod_manifest *pod) {
  return APPC_GUARD({
    APPC_ARG(pod);
    pod->impl.user_labels.clear();
    return {};
  });
}

} // extern "C"
