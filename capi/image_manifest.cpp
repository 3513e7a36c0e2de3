// C ABI: image manifests (parse, validate, serialize, accessors, builders).
#include <appc/appc.h>

#include "guard.hpp"
#include "handles.hpp"

using namespace appc;
using namespace appc::capi;

namespace {
const spec::Dependency *dep(const appc_image_manifest *m, size_t i) noexcept {
  return m ? at(m->impl.dependencies, i) : nullptr;
}
} // namespace

extern "C" {

int appc_image_manifest_parse(appc_image_manifest **out, const char *json, size_t len,
                              const appc_parse_options *opts) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = nullptr;
    APPC_ARG(json);
    auto po = APPC_TRY(parse_options(opts));
    auto m = APPC_TRY(spec::parse_image_manifest(std::string_view(json, len), po));
    *out = new appc_image_manifest{std::move(m)};
    return {};
  });
}

int appc_image_manifest_new(appc_image_manifest **out, const char *name) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = nullptr;
    APPC_ARG(name);
    auto *h = new appc_image_manifest{};
    h->impl.name = name;
    *out = h;
    return {};
  });
}

int appc_image_manifest_clone(appc_image_manifest **out, const appc_image_manifest *m) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = nullptr;
    APPC_ARG(m);
    *out = new appc_image_manifest{m->impl};
    return {};
  });
}

int appc_image_manifest_validate(const appc_image_manifest *m) {
  return APPC_GUARD({
    APPC_ARG(m);
    return findings(spec::validate(m->impl));
  });
}

int appc_image_manifest_serialize(const appc_image_manifest *m, const appc_serialize_options *opts,
                                  appc_buf *out) {
  return APPC_GUARD({
    APPC_ARG(out);
    out->ptr = nullptr;
    out->size = 0;
    APPC_ARG(m);
    auto so = APPC_TRY(serialize_options(opts));
    APPC_TRY_VOID(findings(spec::validate(m->impl)));
    fill_buf(out, spec::serialize(m->impl, so));
    return {};
  });
}

void appc_image_manifest_free(appc_image_manifest *m) { delete m; }

/* ---- accessors ---- */

const char *appc_image_manifest_ac_kind(const appc_image_manifest *m) {
  return m ? m->impl.ac_kind.c_str() : nullptr;
}
const char *appc_image_manifest_ac_version(const appc_image_manifest *m) {
  return m ? m->impl.ac_version.c_str() : nullptr;
}
const char *appc_image_manifest_name(const appc_image_manifest *m) { return m ? m->impl.name.c_str() : nullptr; }

size_t appc_image_manifest_label_count(const appc_image_manifest *m) { return m ? m->impl.labels.size() : 0; }
const char *appc_image_manifest_label_name(const appc_image_manifest *m, size_t i) {
  return m ? kv_name(m->impl.labels, i) : nullptr;
}
const char *appc_image_manifest_label_value(const appc_image_manifest *m, size_t i) {
  return m ? kv_value(m->impl.labels, i) : nullptr;
}
const char *appc_image_manifest_label(const appc_image_manifest *m, const char *name) {
  return m ? lookup(m->impl.labels, name) : nullptr;
}

size_t appc_image_manifest_annotation_count(const appc_image_manifest *m) {
  return m ? m->impl.annotations.size() : 0;
}
const char *appc_image_manifest_annotation_name(const appc_image_manifest *m, size_t i) {
  return m ? kv_name(m->impl.annotations, i) : nullptr;
}
const char *appc_image_manifest_annotation_value(const appc_image_manifest *m, size_t i) {
  return m ? kv_value(m->impl.annotations, i) : nullptr;
}
const char *appc_image_manifest_annotation(const appc_image_manifest *m, const char *name) {
  return m ? lookup(m->impl.annotations, name) : nullptr;
}

size_t appc_image_manifest_dependency_count(const appc_image_manifest *m) {
  return m ? m->impl.dependencies.size() : 0;
}
const char *appc_image_manifest_dependency_image_name(const appc_image_manifest *m, size_t i) {
  const auto *d = dep(m, i);
  return d ? d->image_name.c_str() : nullptr;
}
const char *appc_image_manifest_dependency_image_id(const appc_image_manifest *m, size_t i) {
  const auto *d = dep(m, i);
  return d ? opt_str(d->image_id) : nullptr;
}
size_t appc_image_manifest_dependency_label_count(const appc_image_manifest *m, size_t i) {
  const auto *d = dep(m, i);
  return d ? d->labels.size() : 0;
}
const char *appc_image_manifest_dependency_label_name(const appc_image_manifest *m, size_t i, size_t j) {
  const auto *d = dep(m, i);
  return d ? kv_name(d->labels, j) : nullptr;
}
const char *appc_image_manifest_dependency_label_value(const appc_image_manifest *m, size_t i, size_t j) {
  const auto *d = dep(m, i);
  return d ? kv_value(d->labels, j) : nullptr;
}
bool appc_image_manifest_dependency_has_size(const appc_image_manifest *m, size_t i) {
  const auto *d = dep(m, i);
  return d && d->size.has_value();
}
uint64_t appc_image_manifest_dependency_size(const appc_image_manifest *m, size_t i) {
  const auto *d = dep(m, i);
  return d && d->size ? *d->size : 0;
}

size_t appc_image_manifest_path_whitelist_count(const appc_image_manifest *m) {
  return m ? m->impl.path_whitelist.size() : 0;
}
const char *appc_image_manifest_path_whitelist(const appc_image_manifest *m, size_t i) {
  const std::string *p = m ? at(m->impl.path_whitelist, i) : nullptr;
  return p ? p->c_str() : nullptr;
}

const appc_app *appc_image_manifest_app(const appc_image_manifest *m) {
  return m && m->impl.app ? c_of(&*m->impl.app) : nullptr;
}

/* ---- builders ---- */

int appc_image_manifest_set_name(appc_image_manifest *m, const char *name) {
  return APPC_GUARD({
    APPC_ARG(m);
    APPC_ARG(name);
    m->impl.name = name;
    return {};
  });
}

int appc_image_manifest_set_ac_version(appc_image_manifest *m, const char *version) {
  return APPC_GUARD({
    APPC_ARG(m);
    APPC_ARG(version);
    m->impl.ac_version = version;
    return {};
  });
}

int appc_image_manifest_add_label(appc_image_manifest *m, const char *name, const char *value) {
  return APPC_GUARD({
    APPC_ARG(m);
    APPC_ARG(name);
    APPC_ARG(value);
    m->impl.labels.push_back({name, value});
    return {};
  });
}

int appc_image_manifest_clear_labels(appc_image_manifest *m) {
  return APPC_GUARD({
    APPC_ARG(m);
    m->impl.labels.clear();
    return {};
  });
}

int appc_image_manifest_add_annotation(appc_image_manifest *m, const char *name, const char *value) {
  return APPC_GUARD({
    APPC_ARG(m);
    APPC_ARG(name);
    APPC_ARG(value);
    m->impl.annotations.push_back({name, value});
    return {};
  });
}

int appc_image_manifest_clear_annotations(appc_image_manifest *m) {
  return APPC_GUARD({
    APPC_ARG(m);
    m->impl.annotations.clear();
    return {};
  });
}

int appc_image_manifest_set_app(appc_image_manifest *m, const appc_app *app) {
  return APPC_GUARD({
    APPC_ARG(m);
    if (app == nullptr) {
      m->impl.app.reset();
    } else {
      // Copy first: `app` may be borrowed from `m` itself.
      spec::App copy = *cpp(app);
      m->impl.app = std::move(copy);
    }
    return {};
  });
}

int appc_image_manifest_add_dependency(appc_image_manifest *m, const char *image_name, const char *image_id,
                                       size_t *index) {
  return APPC_GUARD({
    APPC_ARG(m);
    APPC_ARG(image_name);
    spec::Dependency d;
    d.image_name = image_name;
    if (image_id) d.image_id = image_id;
    m->impl.dependencies.push_back(std::move(d));
    if (index) *index = m->impl.dependencies.size() - 1;
    return {};
  });
}

int appc_image_manifest_dependency_add_label(appc_image_manifest *m, size_t i, const char *name,
                                             const char *value) {
  return APPC_GUARD({
    APPC_ARG(m);
    APPC_ARG(name);
    APPC_ARG(value);
    if (i >= m->impl.dependencies.size())
      return index_out_of_range("dependency", i, m->impl.dependencies.size());
    m->impl.dependencies[i].labels.push_back({name, value});
    return {};
  });
}

int appc_image_manifest_dependency_set_size(appc_image_manifest *m, size_t i, uint64_t size) {
  return APPC_GUARD({
    APPC_ARG(m);
    if (i >= m->impl.dependencies.size())
      return index_out_of_range("dependency", i, m->impl.dependencies.size());
    m->impl.dependencies[i].size = size;
    return {};
  });
}

int appc_image_manifest_clear_dependencies(appc_image_manifest *m) {
  return APPC_GUARD({
    APPC_ARG(m);
    m->impl.dependencies.clear();
    return {};
  });
}

int appc_image_manifest_add_path_whitelist(appc_image_manifest *m, const char *path) {
  return APPC_GUARD({
    APPC_ARG(m);
    APPC_ARG(path);
    m->impl.path_whitelist.emplace_back(path);
    return {};
  });
}

int appc_image_manifest_clear_path_whitelist(appc_image_manifest *m) {
  return APPC_GUARD({
    APPC_ARG(m);
    m->impl.path_whitelist.clear();
    return {};
  });
}

} // extern "C"
