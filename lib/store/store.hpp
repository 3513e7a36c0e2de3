// The image store (ARCHITECTURE.md "On disk"): content-addressed ACI blobs, a
// SQLite index (WAL), rendered trees keyed by the image IDs involved, and
// garbage collection. Safe for any number of processes at once and against
// kill -9 at any point. docs/store.md describes the on-disk format and the
// lookup rule.
//
// Layout under <root>/store/:
//   FORMAT                 "appc-store <N>\n"; a newer N is refused untouched
//   index.db (+ -wal/-shm) the SQLite index (PRAGMA user_version = N too)
//   lock                   flock'ed exclusively for the short critical
//                          sections that change what is visible (commit an
//                          import, rm, gc sweep, recovery)
//   blobs/sha512/<2 hex>/<128 hex>   the ACI exactly as imported (any compression)
//   trees/<key>/           a rendered image: rootfs/, manifest, digest
//   tmp/                   work in progress; every file/dir here is owned by a
//                          live process holding an flock on it, or is debris
//                          that the next open removes
#pragma once

#include "aci/aci.hpp"
#include "spec/types.hpp"
#include "util/error.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace appc::store {

inline constexpr int kFormatVersion = 1;

struct OpenOptions {
  bool create = true;             // create <root>/store when missing (else Code::not_found)
  bool durable = true;            // fsync blobs and index, syncfs rendered trees before they appear
  int busy_timeout_ms = 120000;   // how long to wait for another process's lock before Code::conflict
};

// One image of the index.
struct ImageRecord {
  aci::ImageId id;                // "sha512-<128 hex>"
  std::string name;
  spec::Labels labels;
  std::string manifest_json;      // the manifest bytes as found in the archive
  uint64_t size = 0;              // bytes of the stored blob (as imported, compressed or not)
  uint64_t tar_size = 0;          // bytes of the uncompressed tar stream
  aci::Compression compression = aci::Compression::none;
  int64_t imported_ns = 0;        // Unix time, nanoseconds
  int64_t last_used_ns = 0;       // last import, render, tree use or export
  std::string origin;             // where it came from (file path, URL; "" unknown)
  std::string etag;               // for fetch (HTTP caching); "" none
  int64_t cache_max_age_s = 0;    // for fetch; 0 none
  std::string blob_path;          // absolute path of the blob (read-only: never write to it)
};

struct ImportOptions {
  aci::Limits limits;
  aci::ProgressFn progress;       // returning false cancels: nothing stays behind
  std::string origin;
  std::string etag;
  int64_t cache_max_age_s = 0;
  std::string expect_id;          // when set, the stream's image ID must equal it (Code::verify)
};

struct ImportResult {
  ImageRecord image;
  bool already_present = false;   // the ID was in the store: nothing was written
};

// A rendered image with its dependencies: a read-only tree shared by every user.
struct TreeRecord {
  std::string key;                // 64 hex: sha512 of the layer IDs in render order (+ render format)
  aci::ImageId image_id;          // the image rendered (the top layer)
  std::vector<aci::ImageId> layers;   // in application order (spec 52), the top image last
  std::string path;               // <root>/store/trees/<key>
  std::string rootfs;             // path + "/rootfs": the overlay lower dir
  uint64_t size = 0;              // bytes of regular file data in the tree
  uint64_t files = 0;             // entries in the tree
  std::string digest;             // sha512 over the walked tree (paths, metadata, contents)
  bool verified = false;          // the digest was re-checked since rendering
  int64_t created_ns = 0;
  int64_t last_used_ns = 0;
};

struct TreeOptions {
  aci::ProgressFn progress;       // while rendering / verifying
  // When set, a reference from `holder` (a pod UUID) to the tree and each of its
  // images is recorded in the same transaction that hands the tree out, so gc
  // and rm see it at once. Released with drop_refs(holder).
  std::string holder;
  bool preserve_owners = true;
  // Render the tree when missing but do not hand it out: no verification, no
  // reference, last use unchanged (pre-rendering; `verified` tells whether a
  // user has had it yet).
  bool prepare_only = false;
};

struct RemoveOptions {
  bool force = false;             // remove even when a holder references the image
};
struct RemoveResult {
  aci::ImageId id;
  uint64_t bytes_freed = 0;       // blob + trees removed with it
  std::vector<std::string> trees_removed;   // keys
};

struct GcOptions {
  int64_t image_grace_s = 24 * 3600;  // images unreferenced and unused for longer are removed
  int64_t tree_grace_s = 0;           // unreferenced trees unused for longer are removed
  bool dry_run = false;               // report only
};
struct GcResult {
  std::vector<aci::ImageId> images_removed;
  std::vector<std::string> trees_removed;   // keys
  uint64_t debris_removed = 0;        // leftovers of killed processes (tmp/, orphan blobs/trees)
  uint64_t bytes_freed = 0;
};

// The result of check(): every finding names the object and what is wrong.
struct CheckReport {
  uint64_t images = 0, trees = 0, blobs = 0;
  std::vector<std::string> problems;  // empty = consistent
};

struct Ref {
  std::string holder;
  aci::ImageId image_id;
  std::string tree_key;               // "" when the reference is to the image only
};

// Thread-safe: calls on one Store are serialized internally. Several Store
// objects (in one or many processes) may share a root.
class Store {
public:
  // Opens (creating when asked) the store under <root>/store: checks FORMAT
  // (a newer version fails with Code::not_supported and touches nothing),
  // opens the index, and removes the debris of killed processes found in tmp/.
  static Result<std::unique_ptr<Store>> open(const std::string &root, const OpenOptions &opts = {});
  ~Store();
  Store(const Store &) = delete;
  Store &operator=(const Store &) = delete;

  const std::string &root() const noexcept;        // as given
  const std::string &store_dir() const noexcept;   // <root>/store

  // Import an ACI (read once: copied into tmp/ while it is hashed and
  // validated), committed atomically. Same ID already present: a cheap no-op
  // (already_present; the new copy is discarded, last-use updated).
  Result<ImportResult> import_file(const std::string &path, const ImportOptions &opts = {});
  // Same from a descriptor (a pipe, a socket, a file at its current offset); not closed.
  Result<ImportResult> import_fd(int fd, const ImportOptions &opts = {});

  // Lookup (docs/store.md):
  //  - "sha512-<hex>" full ID, or a prefix of one ("sha512-" + at least 1 hex
  //    digit, or just the hex); an ambiguous prefix is Code::conflict listing
  //    the candidates; none is Code::not_found.
  Result<ImageRecord> get(std::string_view id_or_prefix);
  //  - name + labels, spec 49 label matching (every requested label present
  //    with the same value); among several: highest `version` label by SemVer
  //    precedence (non-SemVer / absent rank lowest), then the newest import,
  //    then the ID by bytes.
  Result<ImageRecord> find(std::string_view name, const spec::Labels &labels = {});
  //  - IMAGE as the CLI takes it: an ID or prefix when it starts with "sha512-",
  //    otherwise "name[,label=value...]".
  Result<ImageRecord> resolve(std::string_view image_ref);

  // Every image, ordered by name then import time (newest first).
  Result<std::vector<ImageRecord>> list();

  // Copies the blob to out_path (temporary file + rename); the file has the
  // image's ID. Refuses to replace an existing file unless overwrite.
  Status export_image(std::string_view id_or_prefix, const std::string &out_path, bool overwrite = false);

  // The image rendered with its dependencies (resolved in this store): the
  // existing tree when there is one, else rendered once (other processes
  // asking for the same tree wait instead of racing), verified before its
  // first use. Errors: dependency missing/cycle/ID or size mismatch (from the
  // renderer), Code::not_found for an unknown image.
  Result<TreeRecord> tree(std::string_view id_or_prefix, const TreeOptions &opts = {});
  Result<std::vector<TreeRecord>> trees();

  // References held by pods (the executor fills these): rm refuses images
  // with references unless forced; gc never removes referenced images/trees.
  Status add_ref(const std::string &holder, const aci::ImageId &id, const std::string &tree_key = {});
  Status drop_refs(const std::string &holder);
  Result<std::vector<Ref>> refs();

  Result<RemoveResult> remove(std::string_view id_or_prefix, const RemoveOptions &opts = {});
  Result<GcResult> gc(const GcOptions &opts = {});

  // Consistency check: every row has its blob (and, with verify_hashes, its
  // hash verifies), every blob and tree has its row, every tree's digest
  // verifies (with verify_hashes), nothing is left in tmp/ by a dead process.
  Result<CheckReport> check(bool verify_hashes);

  // A dependency resolver over this store (for aci::render_image into any directory).
  std::unique_ptr<aci::Resolver> resolver();

  struct Impl;

private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "sha512-" + 128 lowercase hex?
bool is_full_image_id(std::string_view s) noexcept;

} // namespace appc::store
