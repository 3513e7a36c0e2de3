// C ABI: ACI images (open, validate, extract, build, render) over lib/aci.
#include <appc/appc.h>

#include "aci/aci.hpp"
#include "guard.hpp"
#include "options.hpp"
#include "handles.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

struct appc_image {
  appc::aci::ImageInfo info;        // info.manifest moved into `manifest`
  appc_image_manifest manifest;
  std::string path;
};

using namespace appc;
using namespace appc::capi;

namespace {

constexpr aci::Compression kCompressions[] = {aci::Compression::none, aci::Compression::gzip,
                                             aci::Compression::bzip2, aci::Compression::xz,
                                             aci::Compression::zstd};

// appc_compression and aci::Compression list the same values in the same order.
static_assert(static_cast<int>(aci::Compression::none) == APPC_COMPRESSION_NONE);
static_assert(static_cast<int>(aci::Compression::gzip) == APPC_COMPRESSION_GZIP);
static_assert(static_cast<int>(aci::Compression::bzip2) == APPC_COMPRESSION_BZIP2);
static_assert(static_cast<int>(aci::Compression::xz) == APPC_COMPRESSION_XZ);
static_assert(static_cast<int>(aci::Compression::zstd) == APPC_COMPRESSION_ZSTD);

bool known_compression(int c) noexcept { return c >= APPC_COMPRESSION_NONE && c <= APPC_COMPRESSION_ZSTD; }


appc_compression to_c(aci::Compression c) noexcept { return static_cast<appc_compression>(c); }




Result<aci::ReadOptions> read_options(const appc_image_read_options *opts) {
  aci::ReadOptions r;
  if (opts == nullptr) return r;
  APPC_TRY_VOID(check_version("appc_image_read_options", opts->version, APPC_IMAGE_READ_OPTIONS_VERSION));
  r.limits = limits_of(opts->max_bytes, opts->max_entries, opts->max_manifest_bytes);
  r.progress = progress_of(opts->progress_cb, opts->progress_payload);
  return r;
}

Result<aci::ExtractOptions> extract_options(const appc_extract_options *opts) {
  aci::ExtractOptions e;
  if (opts == nullptr) return e;
  APPC_TRY_VOID(check_version("appc_extract_options", opts->version, APPC_EXTRACT_OPTIONS_VERSION));
  e.rootfs_only = opts->rootfs_only;
  e.preserve_owners = opts->preserve_owners;
  e.limits = limits_of(opts->max_bytes, opts->max_entries, opts->max_manifest_bytes);
  if (opts->expect_id != nullptr) {
    if (*opts->expect_id == '\0')
      return Error::make(Code::invalid, "appc_extract_options: expect_id is empty (NULL means no check)",
                         "expect_id");
    e.expect_id = opts->expect_id;
  }
  e.progress = progress_of(opts->progress_cb, opts->progress_payload);
  return e;
}

Result<aci::BuildOptions> build_options(const appc_build_options *opts) {
  aci::BuildOptions b;
  if (opts == nullptr) return b;
  APPC_TRY_VOID(check_version("appc_build_options", opts->version, APPC_BUILD_OPTIONS_VERSION));
  const int compression = raw_enum(opts->compression);
  if (!known_compression(compression))
    return Error::make(Code::invalid,
                       "appc_build_options: compression " + std::to_string(compression) +
                           " is not an appc_compression value",
                       "compression");
  b.compression = static_cast<aci::Compression>(compression);
  b.overwrite = opts->overwrite;
  b.owner_root = opts->owner_root;
  if (opts->has_mtime) b.mtime = opts->mtime;
  b.progress = progress_of(opts->progress_cb, opts->progress_payload);
  return b;
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

// Stats are filled only when the whole call succeeded; the caller's version
// says which fields it has room for.
Status check_stats(const appc_extract_stats *stats) {
  if (stats == nullptr) return {};
  return check_version("appc_extract_stats", stats->version, APPC_EXTRACT_STATS_VERSION);
}

void fill_stats(appc_extract_stats *stats, const aci::ExtractResult &r) noexcept {
  if (stats == nullptr) return;
  // Version 1 fields (every version so far).
  std::memset(stats->id, 0, sizeof stats->id);
  std::memcpy(stats->id, r.info.id.data(), std::min(r.info.id.size(), sizeof stats->id - 1));
  stats->compression = to_c(r.info.compression);
  stats->archive_size = r.info.archive_size;
  stats->tar_size = r.info.tar_size;
  stats->entries = r.info.entries;
  stats->files = r.files;
  stats->dirs = r.dirs;
  stats->symlinks = r.symlinks;
  stats->hardlinks = r.hardlinks;
  stats->devices = r.devices;
  stats->fifos = r.fifos;
  stats->skipped_devices = r.skipped_devices;
}

// The resolver when the caller gave no dependency directory: every
// dependency is missing, and the error says why.
class NoResolver final : public aci::Resolver {
public:
  Result<aci::ResolvedImage> resolve(const spec::Dependency &dep) override {
    return Error::make(Code::not_found, "no dependency directory was given to look in", dep.image_name);
  }
};

} // namespace

extern "C" {

const char *appc_compression_name(appc_compression compression) {
  const int raw = raw_enum(compression);
  if (!known_compression(raw)) return nullptr;
  return aci::compression_name(static_cast<aci::Compression>(raw));
}

int appc_compression_from_name(const char *name, appc_compression *out) {
  return APPC_GUARD({
    APPC_ARG(name);
    APPC_ARG(out);
    if (auto c = aci::compression_from_name(name)) {
      *out = to_c(*c);
      return {};
    }
    std::string known;
    for (aci::Compression c : kCompressions) {
      if (!known.empty()) known += ", ";
      known += aci::compression_name(c);
    }
    return Error::make(Code::invalid, std::string("unknown compression \"") + name + "\" (one of " + known + ")",
                       name);
  });
}

int appc_image_read_options_init(appc_image_read_options *opts, unsigned int version) {
  return APPC_GUARD({
    APPC_ARG(opts);
    APPC_TRY_VOID(check_version("appc_image_read_options", version, APPC_IMAGE_READ_OPTIONS_VERSION));
    aci::Limits d;
    *opts = appc_image_read_options{version, d.max_bytes, d.max_entries, d.max_manifest_bytes, nullptr, nullptr};
    return {};
  });
}

int appc_extract_options_init(appc_extract_options *opts, unsigned int version) {
  return APPC_GUARD({
    APPC_ARG(opts);
    APPC_TRY_VOID(check_version("appc_extract_options", version, APPC_EXTRACT_OPTIONS_VERSION));
    aci::Limits d;
    aci::ExtractOptions e;
    *opts = appc_extract_options{version,       e.rootfs_only, e.preserve_owners, d.max_bytes, d.max_entries,
                                 d.max_manifest_bytes, nullptr,       nullptr,           nullptr};
    return {};
  });
}

int appc_build_options_init(appc_build_options *opts, unsigned int version) {
  return APPC_GUARD({
    APPC_ARG(opts);
    APPC_TRY_VOID(check_version("appc_build_options", version, APPC_BUILD_OPTIONS_VERSION));
    aci::BuildOptions b;
    *opts = appc_build_options{version, to_c(b.compression), b.overwrite, b.owner_root, false, 0, nullptr, nullptr};
    return {};
  });
}

int appc_render_options_init(appc_render_options *opts, unsigned int version) {
  return APPC_GUARD({
    APPC_ARG(opts);
    APPC_TRY_VOID(check_version("appc_render_options", version, APPC_RENDER_OPTIONS_VERSION));
    aci::Limits d;
    aci::RenderOptions r;
    *opts = appc_render_options{version, r.preserve_owners, d.max_bytes, d.max_entries, d.max_manifest_bytes,
                                nullptr, nullptr};
    return {};
  });
}

int appc_image_open(appc_image **out, const char *path, const appc_image_read_options *opts) {
  return APPC_GUARD({
    APPC_ARG(out);
    *out = nullptr;
    APPC_ARG(path);
    auto ro = APPC_TRY(read_options(opts));
    auto info = APPC_TRY(aci::read_image(path, ro));
    auto img = std::make_unique<appc_image>();
    img->manifest.impl = std::move(info.manifest);
    img->info = std::move(info);
    img->path = path;
    *out = img.release();
    return {};
  });
}

void appc_image_free(appc_image *img) { delete img; }

const char *appc_image_id(const appc_image *img) { return img ? img->info.id.c_str() : nullptr; }

const appc_image_manifest *appc_image_get_manifest(const appc_image *img) {
  return img ? &img->manifest : nullptr;
}

const char *appc_image_raw_manifest(const appc_image *img, size_t *len) {
  if (img == nullptr) {
    if (len) *len = 0;
    return nullptr;
  }
  if (len) *len = img->info.manifest_json.size();
  return img->info.manifest_json.c_str();
}

appc_compression appc_image_compression(const appc_image *img) {
  return img ? to_c(img->info.compression) : APPC_COMPRESSION_NONE;
}

uint64_t appc_image_tar_size(const appc_image *img) { return img ? img->info.tar_size : 0; }
uint64_t appc_image_archive_size(const appc_image *img) { return img ? img->info.archive_size : 0; }
uint64_t appc_image_entry_count(const appc_image *img) { return img ? img->info.entries : 0; }
const char *appc_image_path(const appc_image *img) { return img ? img->path.c_str() : nullptr; }

int appc_image_validate_file(const char *path, const appc_image_read_options *opts) {
  return APPC_GUARD({
    APPC_ARG(path);
    auto ro = APPC_TRY(read_options(opts));
    APPC_TRY_VOID(aci::read_image(path, ro));
    return {};
  });
}

int appc_image_extract(const char *aci_path, const char *dir, const appc_extract_options *opts,
                       appc_extract_stats *stats) {
  return APPC_GUARD({
    APPC_ARG(aci_path);
    APPC_ARG(dir);
    APPC_TRY_VOID(check_stats(stats));
    auto eo = APPC_TRY(extract_options(opts));
    auto r = APPC_TRY(aci::extract_image(aci_path, dir, eo));
    fill_stats(stats, r);
    return {};
  });
}

int appc_image_build(const char *dir, const char *out_path, const appc_build_options *opts, appc_buf *id_out) {
  return APPC_GUARD({
    if (id_out) *id_out = appc_buf{nullptr, 0};
    APPC_ARG(dir);
    APPC_ARG(out_path);
    auto bo = APPC_TRY(build_options(opts));
    auto info = APPC_TRY(aci::build_image(dir, out_path, bo));
    if (id_out) fill_buf(id_out, info.id);
    return {};
  });
}

int appc_image_render(const char *aci_path, const char *deps_dir, const char *dir,
                      const appc_render_options *opts) {
  return APPC_GUARD({
    APPC_ARG(aci_path);
    APPC_ARG(dir);
    auto ro = APPC_TRY(render_options(opts));
    if (deps_dir == nullptr) {
      NoResolver none;
      APPC_TRY_VOID(aci::render_image(aci_path, none, dir, ro));
      return {};
    }
    auto resolver = APPC_TRY(aci::DirectoryResolver::open(deps_dir, ro.limits));
    APPC_TRY_VOID(aci::render_image(aci_path, *resolver, dir, ro));
    return {};
  });
}

} // extern "C"
