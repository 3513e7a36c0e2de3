// The ACI image format (spec/checklist.md sections 3-4): reading, hashing,
// validating, building, extracting and rendering App Container Images.
// The only code in libappc that touches libarchive lives under lib/aci.
#pragma once

#include "spec/types.hpp"
#include "util/error.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace appc::aci {

enum class Compression { none, gzip, bzip2, xz, zstd };
const char *compression_name(Compression c) noexcept;
// "none"|"gzip"|"bzip2"|"xz"|"zstd" -> value; nullopt for anything else.
std::optional<Compression> compression_from_name(std::string_view s) noexcept;
// By magic bytes (never by file name): 1f8b, 425a68, fd377a585a00, 28b52ffd; else none.
Compression detect_compression(const void *head, size_t len) noexcept;

// Progress of a long operation. Returning false from the callback cancels it
// (Code::cancelled); nothing half-done stays behind.
struct Progress {
  uint64_t bytes_in = 0;        // archive bytes consumed (compressed)
  uint64_t bytes_out = 0;       // uncompressed tar bytes processed
  uint64_t entries = 0;         // archive entries processed
  const char *phase = "";       // "hash", "extract", "build", "render"
};
using ProgressFn = std::function<bool(const Progress &)>;

struct Limits {
  uint64_t max_bytes = 64ull << 30;       // uncompressed tar bytes (decompression-bomb bound)
  uint64_t max_entries = 4'000'000;       // archive entries
  uint64_t max_manifest_bytes = 16u << 20;
};

// "sha512-" + 128 lowercase hex.
using ImageId = std::string;

// The result of reading an ACI once from start to end.
struct ImageInfo {
  ImageId id;                       // sha512 of the uncompressed tar stream, trailing blocks included
  Compression compression = Compression::none;
  uint64_t archive_size = 0;        // bytes of the file as given (compressed)
  uint64_t tar_size = 0;            // bytes of the uncompressed tar stream
  uint64_t entries = 0;
  std::string manifest_json;        // the raw `manifest` bytes
  spec::ImageManifest manifest;     // parsed + validated
  std::vector<std::string> notes;   // build: what was left out and why (sockets, extra layout files)
};

struct ReadOptions {
  Limits limits;
  ProgressFn progress;
  // When set, called with every block of the INPUT bytes exactly as read from
  // the descriptor (compressed or not), in order, all of them (bytes after the
  // end of the compressed stream included), so a caller can copy the archive
  // in the same pass that hashes and validates it. An error it returns ends
  // the read with that error.
  std::function<Status(const void *data, size_t len)> raw_sink;
};

// Read the archive at `path` in ONE pass: decompress, hash the tar stream,
// check the layout (spec 37-40, 46: manifest regular file + rootfs/ dir only at
// the top, no duplicate entries, no absolute or ".." names), parse and
// validate the manifest. Every violation is reported (Error::diagnostics with
// the entry name as path). This is `appc image validate` and `appc image id`.
Result<ImageInfo> read_image(const std::string &path, const ReadOptions &opts = {});
// Same from an open file descriptor (not closed; read from its current offset).
Result<ImageInfo> read_image_fd(int fd, const ReadOptions &opts = {});

struct ExtractOptions {
  Limits limits;
  ProgressFn progress;
  bool rootfs_only = false;         // extract rootfs/ contents into DIR (no manifest)
  bool preserve_owners = true;      // chown to the archive's uid/gid (needs CAP_CHOWN; else skipped)
  // Only with the executor's renderer: apply on top of an existing tree (later layer wins, spec 53).
  bool overlay_onto_existing = false;
  // Path filter for rendering: called with the rootfs-relative path ("/usr/bin/x"); false = skip entry.
  std::function<bool(std::string_view path, bool is_dir)> filter;
  // When set, the image ID must equal this (spec 56); checked at the end, and on mismatch
  // nothing of the extraction remains.
  std::string expect_id;
};

struct ExtractResult {
  ImageInfo info;
  uint64_t files = 0, dirs = 0, symlinks = 0, hardlinks = 0, devices = 0, fifos = 0;
  uint64_t skipped_devices = 0;     // device nodes not created for lack of CAP_MKNOD
  uint64_t skipped_xattrs = 0;      // xattrs the filesystem or our privileges refused (ENOTSUP, EPERM, EACCES)
};

// Extract safely into `dir`, which must not exist or be an empty directory.
// Everything is created relative to directory file descriptors with openat2
// (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS); an entry that would write outside
// the target (absolute name, "..", through a symlink leading out, a hardlink to
// anything outside, a symlink replacing a directory) is refused with an error
// naming the entry. The tree is built in a temporary sibling directory and
// renamed into place at the end: on any error nothing stays behind.
// The image ID is computed in the same pass.
Result<ExtractResult> extract_image(const std::string &aci_path, const std::string &dir,
                                    const ExtractOptions &opts = {});

struct BuildOptions {
  Compression compression = Compression::none;
  bool overwrite = false;
  bool owner_root = false;          // store every entry as 0:0
  std::optional<int64_t> mtime;     // force every entry's mtime (reproducible builds from any checkout)
  ProgressFn progress;
};

// Build an ACI from `dir` holding `manifest` and `rootfs/` (validated first).
// Reproducible: entries in byte order of their paths, manifest first, no
// build timestamp, no atime/ctime, no user/group names; the same tree gives
// the same image ID every time. Preserves owners, modes (setuid/setgid/
// sticky), symlinks, hardlinks, device nodes, FIFOs, xattrs (security.capability
// included) and sparse files. Written to a temporary file renamed into place.
Result<ImageInfo> build_image(const std::string &dir, const std::string &out_path,
                              const BuildOptions &opts = {});

// Rendering with dependencies (spec 48-56).
struct ResolvedImage {
  std::string aci_path;             // an ACI file to read
  ImageId id;                       // if known up front (checked while streaming), else empty
  // The image's manifest when the resolver already has it (saves reading the
  // archive once more just to plan the layers); else the renderer reads it.
  std::optional<spec::ImageManifest> manifest;
};

// Finds the ACI for a dependency (by imageID when given, otherwise by name +
// labels with the spec's label matching, spec 49). The store implements this
// later; DirectoryResolver serves until then.
class Resolver {
public:
  virtual ~Resolver() = default;
  virtual Result<ResolvedImage> resolve(const spec::Dependency &dep) = 0;
};

// Every *.aci file of a directory (not recursive), indexed by ID and manifest.
class DirectoryResolver final : public Resolver {
public:
  static Result<std::unique_ptr<DirectoryResolver>> open(const std::string &dir, const Limits &limits = {});
  Result<ResolvedImage> resolve(const spec::Dependency &dep) override;
  struct Entry { std::string path; ImageId id; spec::ImageManifest manifest; uint64_t size; };
  const std::vector<Entry> &entries() const { return entries_; }

private:
  std::string dir_;
  std::vector<Entry> entries_;
};

struct RenderOptions {
  Limits limits;
  ProgressFn progress;
  bool preserve_owners = true;
};

struct RenderedLayer {
  ImageId id;
  std::string name;
  std::vector<std::string> whitelist_chain_owners; // names of the images whose whitelists applied
};
struct RenderResult {
  std::vector<RenderedLayer> layers;   // in application order, e.g. B, D, C, A (spec 52)
};

// Render `aci_path` with all its dependencies into `dir` (must not exist or be
// empty; atomically as extract_image): the dependency DAG depth-first, each
// image's rootfs in order, later wins, pathWhitelists applied along each
// parent chain. Cycles, missing dependencies and ID/size mismatches are
// errors naming the dependency chain.
Result<RenderResult> render_image(const std::string &aci_path, Resolver &resolver, const std::string &dir,
                                  const RenderOptions &opts = {});

} // namespace appc::aci
