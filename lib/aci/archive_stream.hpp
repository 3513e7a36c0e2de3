// Private to lib/aci: the one-pass ACI reader shared by reading, validating,
// extracting and rendering, plus RAII holders for libarchive objects.
//
// One pass: an outer libarchive reader (the filter matching the magic bytes +
// the "raw" format) decompresses; every block it yields is hashed (SHA-512:
// the image ID covers the whole uncompressed stream, end-of-archive blocks and
// padding included) and handed, without a copy where possible, through a read
// callback to an inner libarchive reader that knows only the tar format. An
// uncompressed ACI skips the outer reader: the file is read in 1 MiB blocks.
// For large inputs the decompress + hash stage runs on a second thread,
// connected to the parsing thread by a small bounded queue of blocks.
#pragma once

#include "aci/aci.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/hash.hpp"

#include "aci/libarchive.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace appc::aci::detail {

struct ArchiveReadFree {
  void operator()(struct archive *a) const noexcept { la().archive_read_free(a); }
};
struct ArchiveWriteFree {
  void operator()(struct archive *a) const noexcept { la().archive_write_free(a); }
};
struct ArchiveEntryFree {
  void operator()(struct archive_entry *e) const noexcept { la().archive_entry_free(e); }
};
using ReadArchive = std::unique_ptr<struct archive, ArchiveReadFree>;
using WriteArchive = std::unique_ptr<struct archive, ArchiveWriteFree>;
using EntryPtr = std::unique_ptr<struct archive_entry, ArchiveEntryFree>;

// A libarchive status that lets the caller go on. Not `r >= ARCHIVE_WARN`:
// ARCHIVE_RETRY (-10) sorts above ARCHIVE_WARN (-20) and means failure.
inline bool la_ok(int r) noexcept { return r == ARCHIVE_OK || r == ARCHIVE_WARN; }

// libarchive's last error text, never null.
std::string archive_message(struct archive *a);

constexpr size_t kBlockSize = 1u << 20;

struct StreamOptions {
  Limits limits;
  ProgressFn progress;
  const char *phase = "hash";
  // 0: decide (a second thread for inputs over a few MiB), 1: one thread, 2: two threads.
  int threads = 0;
  // With two threads, which one hashes: the parsing thread (reading only:
  // parsing is nearly free, reading and decompressing are not), the reading
  // thread, or whichever is lighter when the parser also writes files
  // (balanced: the reading thread for uncompressed input, where it only
  // copies, the parsing thread when it has to decompress).
  enum class HashSide { parser, reader, balanced };
  HashSide hash_side = HashSide::parser;
  // ReadOptions::raw_sink: every block read from the descriptor, in order.
  std::function<Status(const void *data, size_t len)> raw_sink;
};

class Pipeline;   // reader.cpp

// Reads an ACI from `fd` once: see the top of this file.
class TarStream {
public:
  static Result<std::unique_ptr<TarStream>> open(int fd, StreamOptions opts);
  ~TarStream();
  TarStream(const TarStream &) = delete;
  TarStream &operator=(const TarStream &) = delete;

  // The next entry's header, nullptr after the last one. Unread data of the
  // previous entry is read (and hashed) on the way. Errors: Code::invalid for a
  // corrupt or truncated archive, Code::limit, Code::cancelled.
  Result<struct archive_entry *> next();
  // The inner tar reader, for archive_read_data_block() on the current entry.
  struct archive *tar() const noexcept { return tar_.get(); }
  // Turns a failed archive_read_data*() on the current entry into an Error
  // (the decompressor's or the limit's error when that was the cause).
  Error data_error(std::string_view entry);
  // Reads the current entry's data blocks without keeping them; each must lie
  // within the entry's size (a sparse map could say otherwise).
  Status check_data(struct archive_entry *e, std::string_view entry);
  // The current entry's data, at most `max` bytes (Code::limit naming `limit_name` beyond).
  Result<std::string> read_data(std::string_view entry, uint64_t max, const char *limit_name);
  // After next() returned nullptr: read the rest of the stream (the tar's
  // trailing blocks, anything after them) through the hash; the image ID.
  Result<ImageId> finish();

  Compression compression() const noexcept { return compression_; }
  uint64_t bytes_in() const noexcept;
  uint64_t bytes_out() const noexcept { return bytes_out_; }
  uint64_t entries() const noexcept { return entries_; }
  // Reports progress now (also done per block and per entry); false if cancelled.
  bool report();

private:
  TarStream() = default;
  static la_ssize_t read_cb(struct archive *, void *self, const void **buf);
  Error pending_or(Error fallback);

  StreamOptions opts_;
  Compression compression_ = Compression::none;
  std::unique_ptr<Pipeline> pipe_;
  ReadArchive tar_;
  Sha512 hash_;
  bool hash_here_ = true;     // hash on the parsing side (this thread)
  uint64_t bytes_out_ = 0;    // delivered to the tar reader (+ drained)
  uint64_t entries_ = 0;
  uint64_t file_bytes_ = 0;   // sum of the regular files' sizes (sparse files at their full size)
  bool eof_ = false;
  bool have_pending_ = false;
  Error pending_;             // why the read callback failed
};

// Code::invalid naming `entry` unless [off, off + n) lies within [0, size].
Status check_extent(int64_t off, size_t n, int64_t size, std::string_view entry);

// A 128-bit keyed digest of a cleaned name (SipHash-2-4-128 under a random
// per-process key, util/hash.hpp). The sets of names that the layout check,
// the rootfs model and the extractor keep hold these, 16 bytes an entry
// whatever the names' lengths: an entry-count bomb of long names would
// otherwise hold gigabytes of them. Without the key nobody can aim at a
// collision, and a chance one (2^-128 a pair) could at worst make validation
// and extraction disagree; extraction still resolves every path beneath the
// target, so nothing is ever written outside it.
struct NameKey {
  uint64_t a = 0, b = 0;
  bool operator==(const NameKey &) const = default;
};
struct NameKeyHash {
  size_t operator()(const NameKey &k) const noexcept { return size_t(k.a); }
};
NameKey name_key(std::string_view clean_name);

// At most this many findings are listed; the check stops after them.
constexpr size_t kMaxDiagnostics = 1000;

// Layout rules of an ACI (spec 37-40): each entry is classified and checked
// as it arrives; violations are appended to a list in archive order.
enum class Top { root, manifest, rootfs, other };

struct EntryInfo {
  std::string raw;        // the name as stored
  std::string clean;      // cleaned: "./rootfs//a/" -> "rootfs/a"; "" for the archive root "."
  Top top = Top::other;
  unsigned type = 0;      // AE_IFREG, AE_IFDIR, ... (0 when unknown)
  bool hardlink = false;
  std::string link_clean; // hardlink target, cleaned
  bool ok = false;        // no violation: safe to extract
};

class LayoutChecker {
public:
  // Classifies `e` into `out` and appends its violations to `diags`.
  void check(struct archive_entry *e, EntryInfo &out, std::vector<Diagnostic> &diags);
  // Whole-archive rules (manifest and rootfs present), appended to `diags`.
  void finish(std::vector<Diagnostic> &diags) const;

private:
  std::unordered_map<NameKey, bool, NameKeyHash> seen_;   // clean name -> is a directory
  bool have_manifest_ = false, have_rootfs_ = false;
};

// ---------------------------------------------------------------- limits of Linux
// Checked by the layout check (so validation and extraction refuse alike),
// not left to the kernel's ENAMETOOLONG halfway through an extraction.
constexpr size_t kMaxPathBytes = 4095;    // PATH_MAX - 1: a path handed to the kernel
constexpr size_t kMaxNameBytes = 255;     // NAME_MAX: one component
constexpr int kMaxSymlinkHops = 40;       // MAXSYMLINKS: symlinks followed in one lookup
// Symlink targets validation keeps to resolve later paths (all of them: any
// may be followed later); extraction counts them against the same bound.
constexpr uint64_t kMaxSymlinkTargetBytes = 256ull << 20;

// An owner chown cannot set (spec 41): beyond uid_t, or (uid_t)-1, which
// chown reads as "unchanged". The message, or "" when the owner is fine.
std::string owner_problem(struct archive_entry *e);

// What extraction makes of the rootfs/ namespace, modelled in memory while
// validating (nothing touches the disk): directories, files and symlinks
// (their targets), names kept as 16-byte digests of (parent, component).
// Paths of later entries are resolved through it the way extraction's
// openat2(RESOLVE_BENEATH) walk resolves them — symlinks followed, ".."
// physical, absolute targets and climbing out of rootfs/ refused, at most 40
// symlinks a lookup, missing parents created, a parent that is a symlink to
// nothing refused — and each entry is applied the way extraction applies it
// (a non-directory in the way is replaced, a directory never is). So
// validation refuses what extraction would refuse, with the same words.
class RootfsModel {
public:
  explicit RootfsModel(const Limits &limits);
  ~RootfsModel();
  // An entry below rootfs/ (not rootfs itself) that passed the layout check.
  // Findings are appended to `diags`; an Error only for a limit.
  Status apply(struct archive_entry *e, const EntryInfo &ei, std::vector<Diagnostic> &diags);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Appends the manifest parser's findings, paths prefixed with "manifest: ".
void merge_manifest_findings(const Error &e, std::vector<Diagnostic> &diags);

// Read + check the manifest entry that `stream` is positioned on: parses it
// into `info` (raw bytes and manifest) or appends findings to `diags`.
// Returns an Error only for limits, cancellation or a broken archive.
Status take_manifest(TarStream &stream, const EntryInfo &ei, const Limits &limits, ImageInfo &info,
                     std::vector<Diagnostic> &diags, bool &parsed);

} // namespace appc::aci::detail
