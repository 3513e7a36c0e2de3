// C ABI: the image store (appc_store_*) over lib/store.
#include <appc/appc.h>

#include "aci/aci.hpp"
#include "guard.hpp"
#include "options.hpp"
#include "handles.hpp"
#include "spec/manifest.hpp"
#include "store/store.hpp"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

struct appc_store {
  std::unique_ptr<appc::store::Store> impl;
  std::string root;
};

struct appc_store_image {
  appc::store::ImageRecord rec;
  appc_image_manifest manifest;   // rec.manifest_json, parsed
};

struct appc_store_image_list {
  std::vector<std::unique_ptr<appc_store_image>> items;
};

struct appc_tree {
  appc::store::TreeRecord rec;
};

struct appc_store_gc_result {
  appc::store::GcResult r;
};

struct appc_store_check_report {
  appc::store::CheckReport r;
};

using namespace appc;
using namespace appc::capi;

namespace {






// An optional string field of an options struct: NULL is "not given", "" is refused.
Result<std::string> opt_field(const char *type, const char *field, const char *value) {
  if (value == nullptr) return std::string();
  if (*value == '\0')
    return Error::make(Code::invalid, std::string(type) + ": " + field + " is empty (NULL means none)", field);
  return std::string(value);
}

Result<store::OpenOptions> open_options(const appc_store_options *opts) {
  store::OpenOptions o;
  if (opts == nullptr) return o;
  APPC_TRY_VOID(check_version("appc_store_options", opts->version, APPC_STORE_OPTIONS_VERSION));
  if (opts->busy_timeout_ms < 0)
    return Error::make(Code::invalid,
                       "appc_store_options: busy_timeout_ms " + std::to_string(opts->busy_timeout_ms) +
                           " is negative (0 means the default)",
                       "busy_timeout_ms");
  o.create = opts->create;
  o.durable = opts->durable;
  if (opts->busy_timeout_ms != 0) o.busy_timeout_ms = opts->busy_timeout_ms;
  return o;
}

Result<store::ImportOptions> import_options(const appc_import_options *opts) {
  store::ImportOptions o;
  if (opts == nullptr) return o;
  APPC_TRY_VOID(check_version("appc_import_options", opts->version, APPC_IMPORT_OPTIONS_VERSION));
  o.origin = APPC_TRY(opt_field("appc_import_options", "origin", opts->origin));
  o.expect_id = APPC_TRY(opt_field("appc_import_options", "expect_id", opts->expect_id));
  o.limits = limits_of(opts->max_bytes, opts->max_entries, opts->max_manifest_bytes);
  o.progress = progress_of(opts->progress_cb, opts->progress_payload);
  return o;
}

Result<store::TreeOptions> tree_options(const appc_tree_options *opts) {
  store::TreeOptions o;
  if (opts == nullptr) return o;
  APPC_TRY_VOID(check_version("appc_tree_options", opts->version, APPC_TREE_OPTIONS_VERSION));
  o.holder = APPC_TRY(opt_field("appc_tree_options", "holder", opts->holder));
  o.preserve_owners = opts->preserve_owners;
  o.progress = progress_of(opts->progress_cb, opts->progress_payload);
  o.prepare_only = opts->prepare_only;
  return o;
}

Result<store::GcOptions> gc_options(const appc_store_gc_options *opts) {
  store::GcOptions o;
  if (opts == nullptr) return o;
  APPC_TRY_VOID(check_version("appc_store_gc_options", opts->version, APPC_STORE_GC_OPTIONS_VERSION));
  if (opts->image_grace_s < 0 || opts->tree_grace_s < 0)
    return Error::make(Code::invalid, "appc_store_gc_options: a grace period is negative",
                       opts->image_grace_s < 0 ? "image_grace_s" : "tree_grace_s");
  o.image_grace_s = opts->image_grace_s;
  o.tree_grace_s = opts->tree_grace_s;
  o.dry_run = opts->dry_run;
  return o;
}

Result<aci::RenderOptions> render_options(const appc_render_options *opts) {
  aci::RenderOptions r;
  if (opts == nullptr) return r;
  APPC_TRY_VOID(check_version("appc_render_options", opts->version, APPC_RENDER_OPTIONS_VERSION));
  r.preserve_owners = opts->preserve_owners;
  r.limits = limits_of(opts->max_bytes, opts->max_entries, opts->max_manifest_bytes);
  r.progress = progress_of(opts->progress_cb, opts->progress_payload);
  return r;
}

// The C handle of an index row: the manifest parsed once, here, so that every
// accessor is a plain read. The store validated it on import; a row whose
// manifest no longer parses is a damaged index and says so.
Result<std::unique_ptr<appc_store_image>> image_handle(store::ImageRecord rec) {
  auto h = std::make_unique<appc_store_image>();
  spec::ParseOptions po;
  if (rec.manifest_json.size() >= po.max_bytes) po.max_bytes = rec.manifest_json.size() + 1;
  auto m = spec::parse_image_manifest(rec.manifest_json, po);
  if (!m)
    return Error::make(Code::invalid,
                       "store index: the manifest of " + rec.id + " does not parse: " + m.error().message, rec.id);
  h->manifest.impl = std::move(m).value();
  h->rec = std::move(rec);
  return h;
}

Status give_image(appc_store_image **out, store::ImageRecord rec) {
  auto h = APPC_TRY(image_handle(std::move(rec)));
  if (out != nullptr) *out = h.release();
  return {};
}


} // namespace

extern "C" {

int appc_store_options_init(appc_store_options *opts, unsigned int version) {
  return APPC_GUARD({
    APPC_ARG(opts);
    APPC_TRY_VOID(check_version("appc_store_options", version, APPC_STORE_OPTIONS_VERSION));
    store::OpenOptions d;
    *opts = appc_store_options{version, d.create, d.durable, d.busy_timeout_ms};
    return {};
  });
}

int appc_import_options_init(appc_import_options *opts, unsigned int version) {
  return APPC_GUARD({
    APPC_ARG(opts);
    APPC_TRY_VOID(check_version("appc_import_options", version, APPC_IMPORT_OPTIONS_VERSION));
    aci::Limits d;
    *opts = appc_import_options{version, nullptr, nullptr, d.max_bytes, d.max_entries, d.max_manifest_bytes,
                                nullptr, nullptr};
    return {};
  });
}

int appc_tree_options_init(appc_tree_options *opts, unsigned int version) {
  return APPC_GUARD({
    APPC_ARG(opts);
    APPC_TRY_VOID(check_version("appc_tree_options", version, APPC_TREE_OPTIONS_VERSION));
    store::TreeOptions d;
    *opts = appc_tree_options{version, nullptr, d.preserve_owners, nullptr, nullptr, d.prepare_only};
    return {};
  });
}

int appc_store_gc_options_init(appc_store_gc_options *opts, unsigned int version) {
  return APPC_GUARD({
    APPC_ARG(opts);
    APPC_TRY_VOID(check_version("appc_store_gc_options", version, APPC_STORE_GC_OPTIONS_VERSION));
    store::GcOptions d;
    *opts = appc_store_gc_options{version, d.image_grace_s, d.tree_grace_s, d.dry_run};
    return {};
  });
}

int appc_store_open(appc_store **out, const char *root, const appc_store_options *opts) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = nullptr;
    auto oo = APPC_TRY(open_options(opts));
    std::string r = root != nullptr ? std::string(root) : default_root();
    if (r.empty())
      return Error::make(Code::invalid, "appc_store_open: root is empty (NULL means $APPC_ROOT or " +
                                            std::string(kDefaultRoot) + ")",
                         "root");
    auto impl = APPC_TRY(store::Store::open(r, oo));
    auto s = std::make_unique<appc_store>();
    s->impl = std::move(impl);
    s->root = std::move(r);
    *out = s.release();
    return {};
  });
}

void appc_store_free(appc_store *store) { delete store; }

const char *appc_store_root(const appc_store *store) { return store ? store->root.c_str() : nullptr; }

int appc_store_import(appc_store_image **out, appc_store *store, const char *path, const appc_import_options *opts,
                      bool *already_present) {
  return APPC_GUARD({
    if (out) *out = nullptr;
    if (already_present) *already_present = false;
    APPC_ARG(store);
    APPC_ARG(path);
    auto io = APPC_TRY(import_options(opts));
    auto r = APPC_TRY(store->impl->import_file(path, io));
    if (already_present) *already_present = r.already_present;
    if (out) APPC_TRY_VOID(give_image(out, std::move(r.image)));
    return {};
  });
}

int appc_store_import_fd(appc_store_image **out, appc_store *store, int fd, const appc_import_options *opts,
                         bool *already_present) {
  return APPC_GUARD({
    if (out) *out = nullptr;
    if (already_present) *already_present = false;
    APPC_ARG(store);
    if (fd < 0)
      return Error::make(Code::invalid, "appc_store_import_fd: fd " + std::to_string(fd) + " is not a descriptor",
                         "fd");
    auto io = APPC_TRY(import_options(opts));
    auto r = APPC_TRY(store->impl->import_fd(fd, io));
    if (already_present) *already_present = r.already_present;
    if (out) APPC_TRY_VOID(give_image(out, std::move(r.image)));
    return {};
  });
}

int appc_store_get(appc_store_image **out, appc_store *store, const char *id_or_prefix) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = nullptr;
    APPC_ARG(store);
    APPC_ARG(id_or_prefix);
    auto rec = APPC_TRY(store->impl->get(id_or_prefix));
    return give_image(out, std::move(rec));
  });
}

int appc_store_find(appc_store_image **out, appc_store *store, const char *name, const char *const *label_names,
                    const char *const *label_values, size_t label_count) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = nullptr;
    APPC_ARG(store);
    APPC_ARG(name);
    spec::Labels labels;
    if (label_count > 0) {
      APPC_ARG(label_names);
      APPC_ARG(label_values);
    }
    for (size_t i = 0; i < label_count; ++i) {
      if (label_names[i] == nullptr || label_values[i] == nullptr)
        return Error::make(Code::invalid,
                           "appc_store_find: label " + std::to_string(i) + " has a NULL name or value",
                           "labels[" + std::to_string(i) + "]");
      labels.push_back(spec::Label{label_names[i], label_values[i]});
    }
    auto rec = APPC_TRY(store->impl->find(name, labels));
    return give_image(out, std::move(rec));
  });
}

int appc_store_resolve(appc_store_image **out, appc_store *store, const char *image) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = nullptr;
    APPC_ARG(store);
    APPC_ARG(image);
    auto rec = APPC_TRY(store->impl->resolve(image));
    return give_image(out, std::move(rec));
  });
}

int appc_store_list(appc_store_image_list **out, appc_store *store) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = nullptr;
    APPC_ARG(store);
    auto recs = APPC_TRY(store->impl->list());
    auto list = std::make_unique<appc_store_image_list>();
    list->items.reserve(recs.size());
    for (auto &rec : recs) list->items.push_back(APPC_TRY(image_handle(std::move(rec))));
    *out = list.release();
    return {};
  });
}

size_t appc_store_image_list_count(const appc_store_image_list *list) { return list ? list->items.size() : 0; }

const appc_store_image *appc_store_image_list_at(const appc_store_image_list *list, size_t i) {
  if (list == nullptr || i >= list->items.size()) return nullptr;
  return list->items[i].get();
}

void appc_store_image_list_free(appc_store_image_list *list) { delete list; }

void appc_store_image_free(appc_store_image *img) { delete img; }

int appc_store_image_clone(appc_store_image **out, const appc_store_image *img) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = nullptr;
    APPC_ARG(img);
    auto h = std::make_unique<appc_store_image>();
    h->rec = img->rec;
    h->manifest.impl = img->manifest.impl;
    *out = h.release();
    return {};
  });
}

const char *appc_store_image_id(const appc_store_image *img) { return img ? img->rec.id.c_str() : nullptr; }
const char *appc_store_image_name(const appc_store_image *img) { return img ? img->rec.name.c_str() : nullptr; }
size_t appc_store_image_label_count(const appc_store_image *img) { return img ? img->rec.labels.size() : 0; }
const char *appc_store_image_label_name(const appc_store_image *img, size_t i) {
  return img ? kv_name(img->rec.labels, i) : nullptr;
}
const char *appc_store_image_label_value(const appc_store_image *img, size_t i) {
  return img ? kv_value(img->rec.labels, i) : nullptr;
}
const char *appc_store_image_label(const appc_store_image *img, const char *name) {
  return img ? lookup(img->rec.labels, name) : nullptr;
}
const appc_image_manifest *appc_store_image_manifest(const appc_store_image *img) {
  return img ? &img->manifest : nullptr;
}
const char *appc_store_image_raw_manifest(const appc_store_image *img, size_t *len) {
  if (img == nullptr) {
    if (len) *len = 0;
    return nullptr;
  }
  if (len) *len = img->rec.manifest_json.size();
  return img->rec.manifest_json.c_str();
}
uint64_t appc_store_image_size(const appc_store_image *img) { return img ? img->rec.size : 0; }
uint64_t appc_store_image_tar_size(const appc_store_image *img) { return img ? img->rec.tar_size : 0; }
appc_compression appc_store_image_compression(const appc_store_image *img) {
  return img ? static_cast<appc_compression>(img->rec.compression) : APPC_COMPRESSION_NONE;
}
int64_t appc_store_image_imported_ns(const appc_store_image *img) { return img ? img->rec.imported_ns : 0; }
int64_t appc_store_image_last_used_ns(const appc_store_image *img) { return img ? img->rec.last_used_ns : 0; }
const char *appc_store_image_origin(const appc_store_image *img) { return img ? img->rec.origin.c_str() : nullptr; }
const char *appc_store_image_blob_path(const appc_store_image *img) {
  return img ? img->rec.blob_path.c_str() : nullptr;
}

int appc_store_export(appc_store *store, const char *image, const char *out_path, bool overwrite) {
  return APPC_GUARD({
    APPC_ARG(store);
    APPC_ARG(image);
    APPC_ARG(out_path);
    auto rec = APPC_TRY(store->impl->resolve(image));
    return store->impl->export_image(rec.id, out_path, overwrite);
  });
}

int appc_store_tree(appc_tree **out, appc_store *store, const char *image, const appc_tree_options *opts) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = nullptr;
    APPC_ARG(store);
    APPC_ARG(image);
    auto to = APPC_TRY(tree_options(opts));
    auto rec = APPC_TRY(store->impl->resolve(image));
    auto tree = APPC_TRY(store->impl->tree(rec.id, to));
    auto h = std::make_unique<appc_tree>();
    h->rec = std::move(tree);
    *out = h.release();
    return {};
  });
}

void appc_tree_free(appc_tree *tree) { delete tree; }
const char *appc_tree_key(const appc_tree *t) { return t ? t->rec.key.c_str() : nullptr; }
const char *appc_tree_image_id(const appc_tree *t) { return t ? t->rec.image_id.c_str() : nullptr; }
const char *appc_tree_path(const appc_tree *t) { return t ? t->rec.path.c_str() : nullptr; }
const char *appc_tree_rootfs(const appc_tree *t) { return t ? t->rec.rootfs.c_str() : nullptr; }
size_t appc_tree_layer_count(const appc_tree *t) { return t ? t->rec.layers.size() : 0; }
const char *appc_tree_layer(const appc_tree *t, size_t i) {
  if (t == nullptr || i >= t->rec.layers.size()) return nullptr;
  return t->rec.layers[i].c_str();
}
uint64_t appc_tree_size(const appc_tree *t) { return t ? t->rec.size : 0; }
uint64_t appc_tree_files(const appc_tree *t) { return t ? t->rec.files : 0; }
const char *appc_tree_digest(const appc_tree *t) { return t ? t->rec.digest.c_str() : nullptr; }
bool appc_tree_verified(const appc_tree *t) { return t ? t->rec.verified : false; }
int64_t appc_tree_created_ns(const appc_tree *t) { return t ? t->rec.created_ns : 0; }
int64_t appc_tree_last_used_ns(const appc_tree *t) { return t ? t->rec.last_used_ns : 0; }

int appc_store_render(appc_store *store, const char *image, const char *dir, const appc_render_options *opts) {
  return APPC_GUARD({
    APPC_ARG(store);
    APPC_ARG(image);
    APPC_ARG(dir);
    auto ro = APPC_TRY(render_options(opts));
    auto rec = APPC_TRY(store->impl->resolve(image));
    auto resolver = store->impl->resolver();
    APPC_TRY_VOID(aci::render_image(rec.blob_path, *resolver, dir, ro));
    return {};
  });
}

int appc_store_add_ref(appc_store *store, const char *holder, const char *image_id, const char *tree_key) {
  return APPC_GUARD({
    APPC_ARG(store);
    APPC_ARG(holder);
    APPC_ARG(image_id);
    if (*holder == '\0') return Error::make(Code::invalid, "appc_store_add_ref: holder is empty", "holder");
    std::string key = APPC_TRY(opt_field("appc_store_add_ref", "tree_key", tree_key));
    return store->impl->add_ref(holder, image_id, key);
  });
}

int appc_store_drop_refs(appc_store *store, const char *holder) {
  return APPC_GUARD({
    APPC_ARG(store);
    APPC_ARG(holder);
    if (*holder == '\0') return Error::make(Code::invalid, "appc_store_drop_refs: holder is empty", "holder");
    return store->impl->drop_refs(holder);
  });
}

int appc_store_rm(appc_store *store, const char *image, bool force, appc_buf *id_out, uint64_t *bytes_freed) {
  return APPC_GUARD({
    if (id_out) *id_out = appc_buf{nullptr, 0};
    if (bytes_freed) *bytes_freed = 0;
    APPC_ARG(store);
    APPC_ARG(image);
    auto rec = APPC_TRY(store->impl->resolve(image));
    store::RemoveOptions ro;
    ro.force = force;
    auto r = APPC_TRY(store->impl->remove(rec.id, ro));
    if (bytes_freed) *bytes_freed = r.bytes_freed;
    if (id_out) fill_buf(id_out, r.id);
    return {};
  });
}

int appc_store_gc(appc_store_gc_result **out, appc_store *store, const appc_store_gc_options *opts) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = nullptr;
    APPC_ARG(store);
    auto go = APPC_TRY(gc_options(opts));
    auto r = APPC_TRY(store->impl->gc(go));
    auto h = std::make_unique<appc_store_gc_result>();
    h->r = std::move(r);
    *out = h.release();
    return {};
  });
}

void appc_store_gc_result_free(appc_store_gc_result *r) { delete r; }
size_t appc_store_gc_result_image_count(const appc_store_gc_result *r) { return r ? r->r.images_removed.size() : 0; }
const char *appc_store_gc_result_image(const appc_store_gc_result *r, size_t i) {
  if (r == nullptr || i >= r->r.images_removed.size()) return nullptr;
  return r->r.images_removed[i].c_str();
}
size_t appc_store_gc_result_tree_count(const appc_store_gc_result *r) { return r ? r->r.trees_removed.size() : 0; }
const char *appc_store_gc_result_tree(const appc_store_gc_result *r, size_t i) {
  if (r == nullptr || i >= r->r.trees_removed.size()) return nullptr;
  return r->r.trees_removed[i].c_str();
}
uint64_t appc_store_gc_result_debris(const appc_store_gc_result *r) { return r ? r->r.debris_removed : 0; }
uint64_t appc_store_gc_result_bytes_freed(const appc_store_gc_result *r) { return r ? r->r.bytes_freed : 0; }

int appc_store_check(appc_store_check_report **out, appc_store *store, bool verify_hashes) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = nullptr;
    APPC_ARG(store);
    auto r = APPC_TRY(store->impl->check(verify_hashes));
    auto h = std::make_unique<appc_store_check_report>();
    h->r = std::move(r);
    *out = h.release();
    return {};
  });
}

void appc_store_check_report_free(appc_store_check_report *r) { delete r; }
size_t appc_store_check_report_problem_count(const appc_store_check_report *r) {
  return r ? r->r.problems.size() : 0;
}
const char *appc_store_check_report_problem(const appc_store_check_report *r, size_t i) {
  if (r == nullptr || i >= r->r.problems.size()) return nullptr;
  return r->r.problems[i].c_str();
}
uint64_t appc_store_check_report_images(const appc_store_check_report *r) { return r ? r->r.images : 0; }
uint64_t appc_store_check_report_trees(const appc_store_check_report *r) { return r ? r->r.trees : 0; }
uint64_t appc_store_check_report_blobs(const appc_store_check_report *r) { return r ? r->r.blobs : 0; }

} // extern "C"
