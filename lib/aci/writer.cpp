// Reproducible ACI builds (spec 37-46): a directory holding `manifest` and
// `rootfs/` becomes a tar (restricted pax) stream, hashed as it is produced
// and optionally compressed, written to a temporary file renamed into place.
//
// What makes the image ID reproducible:
//  - the walk is ours: `manifest`, then `rootfs/` and its tree depth-first,
//    the names of each directory sorted by their bytes (GNU tar --sort=name);
//  - entries carry no build time, no atime/ctime/birthtime and no user or
//    group names, only numeric owners; mtimes are the files' own (or forced);
//  - restricted pax: a plain ustar header unless an entry needs more (long or
//    non-ASCII names, xattrs, sparse maps, big numbers); libarchive's pax
//    writer names its extended headers "<dir>/PaxHeader/<name>" (no pid);
//  - names are converted under a fixed C.UTF-8 locale for the duration of the
//    build, so the calling process's locale cannot change the bytes;
//  - xattrs are sorted by name; sparse maps come from SEEK_DATA/SEEK_HOLE;
//    hardlinks resolve to the first name in walk order;
//  - gzip is written without a timestamp (libarchive's gzip filter stores no
//    file name); bzip2, xz and zstd are single-threaded and deterministic.
// The ID hashes the uncompressed tar bytes on their way to the compressor:
// nothing is read back.
#include "aci/aci.hpp"
#include "spec/manifest.hpp"
#include "util/fs.hpp"
#include "util/hash.hpp"

#include "aci/libarchive.hpp"

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <exception>
#include <pthread.h>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>
#include <tuple>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <locale.h>
#include <memory>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace appc::aci {
namespace {

// GNU tar's record size: the stream is padded to a multiple of it, as GNU tar
// and actool do (we pad it: the tar writer is unbuffered). The compressor
// hands its output over in batches of 128 records.
constexpr size_t kRecord = 10240;
constexpr size_t kOutBlock = kRecord * 128;
constexpr size_t kSlot = 2u << 20;          // a pipeline slot: a huge page
constexpr size_t kZeros = 1u << 20;         // holes of sparse files are passed as zeros, this many at a time
constexpr int64_t kMinRead = 256u << 10;    // a read of file data into a slot with less room takes a fresh slot
constexpr size_t kMaxManifest = 16u << 20;
constexpr uint64_t kProgressEvery = 8u << 20;

struct ArchiveWriteFree {
  void operator()(archive *a) const noexcept { la().archive_write_free(a); }
};
using ArchiveWriter = std::unique_ptr<archive, ArchiveWriteFree>;

// A libarchive status to go on with. Not `r >= ARCHIVE_WARN`: ARCHIVE_RETRY
// (-10) sorts above ARCHIVE_WARN (-20) and is a failure.
bool la_ok(int r) noexcept { return r == ARCHIVE_OK || r == ARCHIVE_WARN; }
struct EntryFree {
  void operator()(archive_entry *e) const noexcept { la().archive_entry_free(e); }
};
using Entry = std::unique_ptr<archive_entry, EntryFree>;
struct LinkResolverFree {
  void operator()(archive_entry_linkresolver *r) const noexcept { la().archive_entry_linkresolver_free(r); }
};
struct DirClose {
  void operator()(DIR *d) const noexcept { closedir(d); }
};

std::string join(const std::string &dir, const std::string &name) {
  if (dir.empty()) return name;
  if (dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

Status write_all(int fd, const void *data, size_t len, const std::string &what) {
  const char *p = static_cast<const char *>(data);
  while (len > 0) {
    ssize_t n = ::write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(errno, "writing " + what);
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
  return {};
}

// Holds the thread's locale at C.UTF-8 while libarchive converts names.
class Utf8Locale {
public:
  Utf8Locale() : loc_(newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr))) {
    if (loc_ != static_cast<locale_t>(nullptr)) old_ = uselocale(loc_);
  }
  ~Utf8Locale() {
    if (loc_ != static_cast<locale_t>(nullptr)) {
      uselocale(old_);
      freelocale(loc_);
    }
  }
  Utf8Locale(const Utf8Locale &) = delete;
  Utf8Locale &operator=(const Utf8Locale &) = delete;
  bool ok() const { return loc_ != static_cast<locale_t>(nullptr); }

private:
  locale_t loc_;
  locale_t old_ = static_cast<locale_t>(nullptr);
};

// Two stages share the tar bytes: hashing and writing the file (or
// compressing and writing it). Hashing costs about as much as reading and
// writing together, so one stage runs on a worker thread while the walk goes
// on: without compression the worker hashes and this thread writes; with it
// this thread hashes and the worker compresses. The tar bytes are gathered in
// a ring of slots: this thread fills one (file data is read straight
// into it, headers and padding are copied), writes or hashes it when full and
// hands it to the worker, which gives it back when its stage is done. Each
// byte of file data is copied twice, as by tar: read() into a slot, write()
// out of it; the worker reads the slot in place.
class Pipeline {
public:
  using Stage = std::function<Status(const char *, size_t)>;

  // The slots are one anonymous mapping, aligned to and asking for huge
  // pages: its memory is touched only as slots come into use (a small build
  // uses one), and a slot costs one page fault, not hundreds.
  Pipeline(Stage stage, size_t slot_size, size_t slots) : stage_(std::move(stage)), slot_size_(slot_size) {
    map_len_ = slot_size * slots + kHugePage;
    void *m = ::mmap(nullptr, map_len_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
      map_ = nullptr;
      return;   // acquire() fails
    }
    map_ = static_cast<char *>(m);
    uintptr_t at = (reinterpret_cast<uintptr_t>(map_) + kHugePage - 1) & ~(uintptr_t{kHugePage} - 1);
    base_ = reinterpret_cast<char *>(at);
    (void)::madvise(base_, slot_size * slots, MADV_HUGEPAGE);   // a hint; without it, small pages
    for (size_t i = slots; i-- > 0;) free_.push_back(i);   // slot 0 first
    try {
      worker_ = std::thread([this] { run(); });
    } catch (const std::system_error &) {
      // No thread to be had: run the stage inline.
    }
  }
  ~Pipeline() {
    {
      std::lock_guard<std::mutex> lk(m_);
      closing_ = true;
      abandon_ = true;
    }
    work_.notify_all();
    if (worker_.joinable()) worker_.join();
    if (map_) ::munmap(map_, map_len_);
  }
  Pipeline(const Pipeline &) = delete;
  Pipeline &operator=(const Pipeline &) = delete;

  // A free slot to fill (waits for one); its bytes go to the stage through
  // submit(). Without a worker thread there is one slot, run inline.
  Result<size_t> acquire() {
    if (!map_) return Error::oom();
    if (!worker_.joinable()) return size_t{0};
    std::unique_lock<std::mutex> lk(m_);
    freed_.wait(lk, [&] { return !free_.empty() || err_; });
    if (err_) return *err_;
    size_t idx = free_.back();
    free_.pop_back();
    return idx;
  }
  char *slot(size_t idx) { return base_ + idx * slot_size_; }
  size_t slot_size() const { return slot_size_; }

  // Hand the first `n` bytes of an acquired slot to the stage; the slot is
  // the pipeline's again.
  Status submit(size_t idx, size_t n) {
    if (!worker_.joinable()) return n > 0 ? stage_(slot(idx), n) : Status{};
    {
      std::lock_guard<std::mutex> lk(m_);
      if (err_) return *err_;
      if (n == 0) {
        free_.push_back(idx);
        return {};
      }
      queue_.push_back({idx, n});
    }
    work_.notify_one();
    return {};
  }

  // Wait until every pushed block went through the stage.
  Status finish() {
    {
      std::lock_guard<std::mutex> lk(m_);
      closing_ = true;
    }
    work_.notify_all();
    if (worker_.joinable()) worker_.join();
    if (err_) return *err_;
    return {};
  }

private:
  void run() {
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      work_.wait(lk, [&] { return !queue_.empty() || closing_; });
      if (queue_.empty() || abandon_) return;
      auto [idx, len] = queue_.front();
      queue_.pop_front();
      bool skip = err_.has_value();
      lk.unlock();
      Status st;
      if (!skip) {
        try {
          st = stage_(slot(idx), len);
        } catch (...) {
          st = Error::oom();
        }
      }
      lk.lock();
      if (!st && !err_) err_ = std::move(st).error();
      free_.push_back(idx);
      freed_.notify_one();
    }
  }

  Stage stage_;
  size_t slot_size_;
  static constexpr size_t kHugePage = 2u << 20;
  char *map_ = nullptr, *base_ = nullptr;
  size_t map_len_ = 0;
  std::vector<size_t> free_;
  std::deque<std::pair<size_t, size_t>> queue_;
  std::mutex m_;
  std::condition_variable work_, freed_;
  std::optional<Error> err_;
  bool closing_ = false, abandon_ = false;
  std::thread worker_;
};

// Where the tar bytes go: counted, gathered in pipeline slots, hashed, written
// to the output file or fed into the compressing writer (raw format + filter)
// that writes the file. libarchive's tar writer is unbuffered
// (bytes_per_block 0): each header, data run and padding reaches tar_write()
// as it is made, and data read into the free end of the current slot (see
// tail()) is recognized there and not copied.
struct Sink {
  int fd = -1;
  std::string out_name;
  archive *compressor = nullptr;
  Pipeline *pipe = nullptr;
  Sha512 sha;
  uint64_t tar_bytes = 0;         // this thread
  uint64_t file_bytes = 0;        // the thread that writes the file; read after Pipeline::finish
  std::optional<Error> out_err;   // likewise: the first failure writing the file
  std::optional<Error> err;       // this thread: the first failure of the tar callback
  // The slot being filled.
  bool have_slot = false;
  size_t slot = 0;
  char *buf = nullptr;
  size_t len = 0, cap = 0;
  size_t taken = 0;   // slots taken so far

  void fail(Error e) {
    if (!err) err = std::move(e);
  }
  Status take_slot() {
    slot = APPC_TRY(pipe->acquire());
    buf = pipe->slot(slot);
    // The first slots go out early: the worker starts on the stream sooner.
    cap = std::min(pipe->slot_size(), size_t{256} << (10 + 2 * std::min<size_t>(taken++, 2)));
    len = 0;
    have_slot = true;
    return {};
  }
  // The filled part of the slot goes out: written here and hashed by the
  // worker, or hashed here and compressed by the worker.
  Status flush();
  // Room at the end of the current slot for at least `want` bytes (or a
  // fresh slot): where file data is read before it goes through libarchive.
  Result<std::pair<char *, size_t>> tail(size_t want) {
    if (!have_slot) APPC_TRY_VOID(take_slot());
    if (cap - len < want) {
      APPC_TRY_VOID(flush());
      APPC_TRY_VOID(take_slot());
    }
    return std::pair<char *, size_t>{buf + len, cap - len};
  }
  Status append(const char *p, size_t n) {
    tar_bytes += n;
    if (have_slot && p == buf + len && n <= cap - len) {   // read in place by tail()
      len += n;
      return {};
    }
    while (n > 0) {
      if (!have_slot) APPC_TRY_VOID(take_slot());
      size_t k = std::min(n, cap - len);
      std::memmove(buf + len, p, k);
      len += k;
      p += k;
      n -= k;
      if (len == cap) APPC_TRY_VOID(flush());
    }
    return {};
  }
};

la_ssize_t output_write(archive *, void *client, const void *buf, size_t n) {
  auto *s = static_cast<Sink *>(client);
  try {
    if (Status st = write_all(s->fd, buf, n, s->out_name); !st) {
      if (!s->out_err) s->out_err = std::move(st).error();
      return -1;
    }
    s->file_bytes += n;
    return static_cast<la_ssize_t>(n);
  } catch (...) {
    if (!s->out_err) s->out_err = Error::oom();
    return -1;
  }
}

Status Sink::flush() {
  if (!have_slot) return {};
  have_slot = false;
  if (compressor == nullptr) {
    if (output_write(nullptr, this, buf, len) < 0) {
      (void)pipe->submit(slot, 0);
      return *out_err;
    }
  } else {
    sha.update(buf, len);
  }
  return pipe->submit(slot, len);
}

// The worker's stage with compression: feed the compressor.
Status compress_stage(Sink &s, const char *p, size_t n) {
  la_ssize_t w = la().archive_write_data(s.compressor, p, n);
  if (w < 0 || static_cast<size_t>(w) != n) {
    if (s.out_err) return *s.out_err;
    const char *msg = la().archive_error_string(s.compressor);
    return Error::make(Code::os, "compressing " + s.out_name + ": " + (msg ? msg : "write failed"));
  }
  return {};
}

la_ssize_t tar_write(archive *, void *client, const void *buf, size_t n) {
  auto *s = static_cast<Sink *>(client);
  try {
    if (Status st = s->append(static_cast<const char *>(buf), n); !st) {
      s->fail(std::move(st).error());
      return -1;
    }
    return static_cast<la_ssize_t>(n);
  } catch (...) {
    s->fail(Error::oom());
    return -1;
  }
}

struct Xattr {
  std::string name;
  std::string value;
};

// Every extended attribute of a file, sorted by name. `fd` when open, else
// the path without following a final symlink.
Result<std::vector<Xattr>> read_xattrs(int fd, const std::string &path) {
  std::vector<Xattr> out;
  std::string names;
  for (int attempt = 0;; ++attempt) {
    ssize_t n = fd >= 0 ? ::flistxattr(fd, nullptr, 0) : ::llistxattr(path.c_str(), nullptr, 0);
    if (n < 0) {
      if (errno == ENOTSUP || errno == ENOSYS) return out;
      return Error::from_errno(errno, "listing extended attributes of " + path);
    }
    if (n == 0) return out;
    names.resize(static_cast<size_t>(n));
    n = fd >= 0 ? ::flistxattr(fd, names.data(), names.size())
                : ::llistxattr(path.c_str(), names.data(), names.size());
    if (n < 0) {
      if (errno == ERANGE && attempt < 8) continue;  // grew in between
      return Error::from_errno(errno, "listing extended attributes of " + path);
    }
    names.resize(static_cast<size_t>(n));
    break;
  }
  size_t pos = 0;
  while (pos < names.size()) {
    size_t end = names.find('\0', pos);
    if (end == std::string::npos) end = names.size();
    std::string name = names.substr(pos, end - pos);
    pos = end + 1;
    if (name.empty()) continue;
    std::string value;
    for (int attempt = 0;; ++attempt) {
      ssize_t n = fd >= 0 ? ::fgetxattr(fd, name.c_str(), nullptr, 0)
                          : ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
      if (n < 0) {
        if (errno == ENODATA) break;  // removed in between
        return Error::from_errno(errno, "reading extended attribute " + name + " of " + path);
      }
      value.resize(static_cast<size_t>(n));
      if (n > 0) {
        n = fd >= 0 ? ::fgetxattr(fd, name.c_str(), value.data(), value.size())
                    : ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
        if (n < 0) {
          if (errno == ERANGE && attempt < 8) continue;
          if (errno == ENODATA) break;
          return Error::from_errno(errno, "reading extended attribute " + name + " of " + path);
        }
        value.resize(static_cast<size_t>(n));
      }
      out.push_back({std::move(name), std::move(value)});
      break;
    }
  }
  std::sort(out.begin(), out.end(), [](const Xattr &a, const Xattr &b) { return a.name < b.name; });
  return out;
}

struct Region {
  int64_t offset, length;
};

// The data regions of a file that may have holes (fewer blocks than its size
// needs). nullopt: read it whole (no holes, or the filesystem cannot tell).
Result<std::optional<std::vector<Region>>> sparse_map(int fd, const struct stat &st, const std::string &path) {
  if (st.st_size <= 0 || static_cast<uint64_t>(st.st_blocks) * 512 >= static_cast<uint64_t>(st.st_size))
    return std::optional<std::vector<Region>>{};
  std::vector<Region> regions;
  off_t pos = 0;
  while (pos < st.st_size) {
    off_t data = ::lseek(fd, pos, SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) break;  // only a hole remains
      if (errno == EINVAL || errno == ENOTSUP || errno == EOPNOTSUPP)
        return std::optional<std::vector<Region>>{};
      return Error::from_errno(errno, "looking for data in " + path);
    }
    if (data >= st.st_size) break;
    off_t hole = ::lseek(fd, data, SEEK_HOLE);
    if (hole < 0) return Error::from_errno(errno, "looking for holes in " + path);
    if (hole > st.st_size) hole = st.st_size;
    regions.push_back({data, hole - data});
    pos = hole;
  }
  if (::lseek(fd, 0, SEEK_SET) < 0) return Error::from_errno(errno, "seeking in " + path);
  if (regions.size() == 1 && regions[0].offset == 0 && regions[0].length == st.st_size)
    return std::optional<std::vector<Region>>{};
  return std::optional<std::vector<Region>>{std::move(regions)};
}

Result<UniqueFd> open_file(int dirfd, const std::string &name, const std::string &path) {
  // O_NOATIME keeps the walk from touching atimes where the kernel lets us.
  int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NOATIME);
  if (fd < 0 && errno == EPERM)
    fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return Error::from_errno(errno, "opening " + path);
  return UniqueFd(fd);
}

bool same_file(const struct stat &a, const struct stat &b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && (a.st_mode & S_IFMT) == (b.st_mode & S_IFMT);
}

Error changed(const std::string &path) {
  return Error::make(Code::conflict, path + ": changed while the image was being built", path);
}

class Builder {
public:
  Builder(const BuildOptions &opts, Sink &sink, archive *tar, const std::string &root)
      : opts_(opts), sink_(sink), tar_(tar), root_(root) {}

  void skip_inode(dev_t dev, ino_t ino) {
    skip_dev_ = dev;
    skip_ino_ = ino;
    skip_set_ = true;
  }
  Status init() {
    links_.reset(la().archive_entry_linkresolver_new());
    if (!links_) return Error::oom();
    la().archive_entry_linkresolver_set_strategy(links_.get(), ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
    return {};
  }

  Status add_manifest(const struct stat &st, const std::string &bytes);
  Status add_rootfs(int rootfd, const struct stat &st);

  uint64_t entries() const { return entries_; }
  std::vector<std::string> take_notes() { return std::move(notes_); }

private:
  Status walk(UniqueFd &dir, const std::string &arch_dir, const std::string &fs_dir, size_t depth);
  Status add_one(UniqueFd &parent, const std::string &name, const std::string &arch, const std::string &fs,
                 size_t depth);
  Entry make_entry(const std::string &arch, const struct stat &st);
  archive_entry *linkify(archive_entry *e, const struct stat &st);
  Status put_xattrs(archive_entry *e, int fd, const std::string &fs);
  Status write_header(archive_entry *e, const std::string &arch);
  Status write_data(const void *p, size_t n, const std::string &arch);
  Status copy_data(int fd, const struct stat &st, const std::optional<std::vector<Region>> &map,
                   const std::string &arch, const std::string &fs);
  Status tick();
  Error archive_failure(const std::string &what);

  static constexpr size_t kKeepOpen = 64;   // directory levels that keep their descriptor during a walk

  const BuildOptions &opts_;
  Sink &sink_;
  int rootfs_fd_ = -1;   // borrowed, during add_rootfs
  archive *tar_;
  std::string root_;
  std::unique_ptr<archive_entry_linkresolver, LinkResolverFree> links_;
  std::vector<char> zeros_;
  std::vector<char> scratch_;   // a sparse file's data runs
  std::vector<std::string> notes_;
  uint64_t entries_ = 0;
  uint64_t bytes_read_ = 0;
  uint64_t last_progress_ = 0;
  bool skip_set_ = false;
  dev_t skip_dev_ = 0;
  ino_t skip_ino_ = 0;
};

Error Builder::archive_failure(const std::string &what) {
  if (sink_.err) {
    Error e = std::move(*sink_.err);
    sink_.err.reset();
    return e;
  }
  const char *msg = la().archive_error_string(tar_);
  int err = la().archive_errno(tar_);
  Error e = Error::make(err == ENOMEM ? Code::nomem : Code::os, what + ": " + (msg ? msg : "archive write failed"));
  return e;
}

Status Builder::tick() {
  if (!opts_.progress) return {};
  Progress p;
  p.bytes_in = bytes_read_;
  p.bytes_out = sink_.tar_bytes;
  p.entries = entries_;
  p.phase = "build";
  if (!opts_.progress(p)) return Error::make(Code::cancelled, "build cancelled");
  return {};
}

Entry Builder::make_entry(const std::string &arch, const struct stat &st) {
  Entry e(la().archive_entry_new());
  if (!e) return e;
  la().archive_entry_copy_pathname(e.get(), arch.c_str());
  la().archive_entry_set_mode(e.get(), st.st_mode);  // type + permission bits incl. setuid/setgid/sticky
  if (opts_.owner_root) {
    la().archive_entry_set_uid(e.get(), 0);
    la().archive_entry_set_gid(e.get(), 0);
  } else {
    la().archive_entry_set_uid(e.get(), st.st_uid);
    la().archive_entry_set_gid(e.get(), st.st_gid);
  }
  if (opts_.mtime)
    la().archive_entry_set_mtime(e.get(), static_cast<time_t>(*opts_.mtime), 0);
  else
    la().archive_entry_set_mtime(e.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  if (S_ISREG(st.st_mode)) la().archive_entry_set_size(e.get(), st.st_size);
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    la().archive_entry_set_rdevmajor(e.get(), major(st.st_rdev));
    la().archive_entry_set_rdevminor(e.get(), minor(st.st_rdev));
  }
  return e;
}

// A name of a file with several links: the first one met keeps the entry (and
// the data), later ones become hardlinks to it. The tar strategy hands back
// the same entry; device and inode numbers are used here, never stored.
archive_entry *Builder::linkify(archive_entry *e, const struct stat &st) {
  if (st.st_nlink <= 1) return e;
  la().archive_entry_set_dev(e, st.st_dev);
  la().archive_entry_set_ino64(e, static_cast<int64_t>(st.st_ino));
  la().archive_entry_set_nlink(e, static_cast<unsigned>(st.st_nlink));
  archive_entry *linked = e;
  archive_entry *spare = nullptr;
  la().archive_entry_linkify(links_.get(), &linked, &spare);
  if (linked == nullptr) linked = e;
  la().archive_entry_set_dev(linked, 0);
  la().archive_entry_set_ino64(linked, 0);
  return linked;
}

Status Builder::put_xattrs(archive_entry *e, int fd, const std::string &fs) {
  auto xs = APPC_TRY(read_xattrs(fd, fs));
  for (const Xattr &x : xs) la().archive_entry_xattr_add_entry(e, x.name.c_str(), x.value.data(), x.value.size());
  return {};
}

Status Builder::write_header(archive_entry *e, const std::string &arch) {
  int r = la().archive_write_header(tar_, e);
  // ARCHIVE_WARN: a name that is not valid UTF-8 was stored as raw bytes (hdrcharset=BINARY).
  if (!la_ok(r)) return archive_failure("writing " + arch);
  ++entries_;
  return {};
}

Status Builder::write_data(const void *p, size_t n, const std::string &arch) {
  la_ssize_t w = la().archive_write_data(tar_, p, n);
  if (w < 0) return archive_failure("writing " + arch);
  return {};
}

Status Builder::copy_data(int fd, const struct stat &st, const std::optional<std::vector<Region>> &map,
                          const std::string &arch, const std::string &fs) {
  auto read_span = [&](int64_t off, int64_t len) -> Status {
    while (len > 0) {
      // Straight into the output slot: a small file where the last one ended,
      // a big one in runs of (nearly) a whole slot. Not a sparse file's data:
      // libarchive writes its sparse map ahead of the first run, over the
      // free end of the slot.
      char *dst;
      size_t room;
      if (map) {
        if (scratch_.empty()) scratch_.resize(kZeros);
        dst = scratch_.data();
        room = scratch_.size();
      } else {
        std::tie(dst, room) = APPC_TRY(sink_.tail(static_cast<size_t>(std::min<int64_t>(len, kMinRead))));
      }
      size_t want = static_cast<size_t>(std::min<int64_t>(len, static_cast<int64_t>(room)));
      ssize_t n = ::pread(fd, dst, want, off);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Error::from_errno(errno, "reading " + fs);
      }
      if (n == 0) return changed(fs);  // shrank
      APPC_TRY_VOID(write_data(dst, static_cast<size_t>(n), arch));
      off += n;
      len -= n;
      bytes_read_ += static_cast<uint64_t>(n);
      if (bytes_read_ - last_progress_ >= kProgressEvery) {
        last_progress_ = bytes_read_;
        APPC_TRY_VOID(tick());
      }
    }
    return {};
  };
  // Holes are passed as zeros: libarchive's pax writer skips the bytes the
  // sparse map marks as holes without storing them.
  auto zeros = [&](int64_t len) -> Status {
    if (zeros_.empty()) zeros_.assign(kZeros, '\0');
    while (len > 0) {
      size_t n = static_cast<size_t>(std::min<int64_t>(len, static_cast<int64_t>(zeros_.size())));
      APPC_TRY_VOID(write_data(zeros_.data(), n, arch));
      len -= static_cast<int64_t>(n);
    }
    return {};
  };
  if (!map) {
    APPC_TRY_VOID(read_span(0, st.st_size));
  } else {
    int64_t pos = 0;
    for (const Region &r : *map) {
      APPC_TRY_VOID(zeros(r.offset - pos));
      APPC_TRY_VOID(read_span(r.offset, r.length));
      pos = r.offset + r.length;
    }
    APPC_TRY_VOID(zeros(st.st_size - pos));
  }
  struct stat after;
  if (::fstat(fd, &after) < 0) return Error::from_errno(errno, "stat " + fs);
  if (after.st_size != st.st_size || after.st_mtim.tv_sec != st.st_mtim.tv_sec ||
      after.st_mtim.tv_nsec != st.st_mtim.tv_nsec)
    return changed(fs);
  return {};
}

Status Builder::add_manifest(const struct stat &st, const std::string &bytes) {
  Entry e = make_entry("manifest", st);
  if (!e) return Error::oom();
  la().archive_entry_set_size(e.get(), static_cast<int64_t>(bytes.size()));
  APPC_TRY_VOID(write_header(e.get(), "manifest"));
  if (!bytes.empty()) APPC_TRY_VOID(write_data(bytes.data(), bytes.size(), "manifest"));
  return tick();
}

namespace {

// The walk recurses once per directory level, and a tree may be thousands of
// levels deep (each level costs a few hundred bytes of stack, several KB with
// AddressSanitizer's redzones). It runs on a thread with a 512 MB stack: an
// address-space reservation, touched only as deep as the tree goes. Where no
// such thread can be made, on the caller's stack.
template <class F> Status on_large_stack(F &&f) {
  struct Ctx {
    F *f;
    Status result;
    std::exception_ptr ex;
  } ctx{&f, {}, nullptr};
  pthread_attr_t attr;
  if (::pthread_attr_init(&attr) != 0) return f();
  pthread_t t;
  bool made = ::pthread_attr_setstacksize(&attr, size_t(512) << 20) == 0 &&
              ::pthread_create(&t, &attr, [](void *p) -> void * {
                auto *c = static_cast<Ctx *>(p);
                try {
                  c->result = (*c->f)();
                } catch (...) {
                  c->ex = std::current_exception();
                }
                return nullptr;
              }, &ctx) == 0;
  ::pthread_attr_destroy(&attr);
  if (!made) return f();
  ::pthread_join(t, nullptr);
  if (ctx.ex) std::rethrow_exception(ctx.ex);
  return std::move(ctx.result);
}

} // namespace

Status Builder::add_rootfs(int rootfd, const struct stat &st) {
  Entry e = make_entry("rootfs", st);
  if (!e) return Error::oom();
  APPC_TRY_VOID(put_xattrs(e.get(), rootfd, join(root_, "rootfs")));
  APPC_TRY_VOID(write_header(e.get(), "rootfs/"));
  rootfs_fd_ = rootfd;
  int dup = ::fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return Error::from_errno(errno, "dup");
  UniqueFd dir(dup);
  return on_large_stack([&] { return walk(dir, "rootfs", join(root_, "rootfs"), 0); });
}

// `dir` is the open directory at `arch_dir`. Only the deepest kKeepOpen levels
// keep their descriptor while a subtree is walked: a shallower one is closed
// and reopened afterwards from rootfs/ by its path (no symlink followed, and it
// must still be the same directory), so a tree thousands of levels deep needs
// no more descriptors than that.
Status Builder::walk(UniqueFd &dir, const std::string &arch_dir, const std::string &fs_dir, size_t depth) {
  struct stat self;
  if (::fstat(dir.get(), &self) < 0) return Error::from_errno(errno, "stat " + fs_dir);
  std::vector<std::string> names;
  {
    int dup = ::fcntl(dir.get(), F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return Error::from_errno(errno, "reading directory " + fs_dir);
    std::unique_ptr<DIR, DirClose> d(::fdopendir(dup));
    if (!d) {
      int err = errno;
      ::close(dup);
      return Error::from_errno(err, "reading directory " + fs_dir);
    }
    ::rewinddir(d.get());
    for (;;) {
      errno = 0;
      dirent *de = ::readdir(d.get());
      if (de == nullptr) {
        if (errno != 0) return Error::from_errno(errno, "reading directory " + fs_dir);
        break;
      }
      if (std::strcmp(de->d_name, ".") == 0 || std::strcmp(de->d_name, "..") == 0) continue;
      names.emplace_back(de->d_name);
    }
  }
  std::sort(names.begin(), names.end());  // byte order: std::string compares as unsigned char
  for (const std::string &name : names) {
    if (!dir) {
      std::string_view rel = std::string_view(arch_dir).substr(std::min<size_t>(arch_dir.size(), 7));   // below "rootfs/"
      auto r = open_beneath(rootfs_fd_, rel, O_RDONLY | O_DIRECTORY, 0, RESOLVE_NO_SYMLINKS);
      if (!r) {
        if (r.error().sys_errno == ENOENT || r.error().sys_errno == ELOOP || r.error().sys_errno == ENOTDIR)
          return changed(fs_dir);
        return Error::from_errno(r.error().sys_errno, "opening directory " + fs_dir);
      }
      struct stat now;
      if (::fstat(r->get(), &now) < 0) return Error::from_errno(errno, "stat " + fs_dir);
      if (now.st_dev != self.st_dev || now.st_ino != self.st_ino) return changed(fs_dir);
      dir = std::move(r).value();
    }
    APPC_TRY_VOID(add_one(dir, name, arch_dir + "/" + name, join(fs_dir, name), depth));
  }
  return {};
}

Status Builder::add_one(UniqueFd &parent, const std::string &name, const std::string &arch, const std::string &fs,
                        size_t depth) {
  int dirfd = parent.get();
  struct stat st;
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return changed(fs);
    return Error::from_errno(errno, "stat " + fs);
  }
  if (skip_set_ && st.st_dev == skip_dev_ && st.st_ino == skip_ino_) {
    notes_.push_back(fs + ": skipped (it is the image being written)");
    return {};
  }
  switch (st.st_mode & S_IFMT) {
  case S_IFDIR: {
    int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return Error::from_errno(errno, "opening directory " + fs);
    UniqueFd dfd(fd);
    struct stat now;
    if (::fstat(dfd.get(), &now) < 0) return Error::from_errno(errno, "stat " + fs);
    if (!same_file(st, now)) return changed(fs);
    Entry e = make_entry(arch, now);
    if (!e) return Error::oom();
    APPC_TRY_VOID(put_xattrs(e.get(), dfd.get(), fs));
    APPC_TRY_VOID(write_header(e.get(), arch + "/"));
    APPC_TRY_VOID(tick());
    if (depth >= kKeepOpen) parent.reset();   // walk() reopens it when it needs it again
    return walk(dfd, arch, fs, depth + 1);
  }
  case S_IFREG: {
    UniqueFd fd = APPC_TRY(open_file(dirfd, name, fs));
    struct stat now;
    if (::fstat(fd.get(), &now) < 0) return Error::from_errno(errno, "stat " + fs);
    if (!same_file(st, now)) return changed(fs);
    Entry e = make_entry(arch, now);
    if (!e) return Error::oom();
    APPC_TRY_VOID(put_xattrs(e.get(), fd.get(), fs));
    archive_entry *linked = linkify(e.get(), now);
    bool is_link = la().archive_entry_hardlink(linked) != nullptr;
    std::optional<std::vector<Region>> map;
    if (!is_link) {
      map = APPC_TRY(sparse_map(fd.get(), now, fs));
      if (map) {
        for (const Region &r : *map) la().archive_entry_sparse_add_entry(linked, r.offset, r.length);
        // A file that is one hole still needs a map, or its zeros would be stored.
        if (map->empty()) la().archive_entry_sparse_add_entry(linked, now.st_size, 0);
      }
    }
    APPC_TRY_VOID(write_header(linked, arch));
    if (!is_link && now.st_size > 0) APPC_TRY_VOID(copy_data(fd.get(), now, map, arch, fs));
    return tick();
  }
  case S_IFLNK: {
    std::string target(static_cast<size_t>(st.st_size > 0 ? st.st_size : 255) + 1, '\0');
    for (;;) {
      ssize_t n = ::readlinkat(dirfd, name.c_str(), target.data(), target.size());
      if (n < 0) return Error::from_errno(errno, "reading symlink " + fs);
      if (static_cast<size_t>(n) < target.size()) {
        target.resize(static_cast<size_t>(n));
        break;
      }
      target.resize(target.size() * 2);
    }
    Entry e = make_entry(arch, st);
    if (!e) return Error::oom();
    la().archive_entry_copy_symlink(e.get(), target.c_str());
    APPC_TRY_VOID(put_xattrs(e.get(), -1, fs));
    archive_entry *linked = linkify(e.get(), st);
    APPC_TRY_VOID(write_header(linked, arch));
    return tick();
  }
  case S_IFCHR:
  case S_IFBLK:
  case S_IFIFO: {
    Entry e = make_entry(arch, st);
    if (!e) return Error::oom();
    APPC_TRY_VOID(put_xattrs(e.get(), -1, fs));
    archive_entry *linked = linkify(e.get(), st);
    APPC_TRY_VOID(write_header(linked, arch));
    return tick();
  }
  case S_IFSOCK:
    notes_.push_back(fs + ": socket skipped (tar cannot hold sockets)");
    return {};
  default:
    notes_.push_back(fs + ": skipped (unknown file type)");
    return {};
  }
}

// The output goes to "<dir>/.<name>.tmp-XXXXXX", renamed over the target at the end.
class TempOutput {
public:
  ~TempOutput() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  Status create(const std::string &target) {
    size_t slash = target.rfind('/');
    dir_ = slash == std::string::npos ? "." : (slash == 0 ? "/" : target.substr(0, slash));
    std::string base = slash == std::string::npos ? target : target.substr(slash + 1);
    std::string tmpl = join(dir_, "." + base + ".tmp-XXXXXX");
    int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
    if (fd < 0) return Error::from_errno(errno, "creating a temporary file beside " + target);
    fd_.reset(fd);
    path_ = tmpl;
    if (::fchmod(fd, 0644) < 0) return Error::from_errno(errno, "chmod " + path_);
    return {};
  }
  int fd() const { return fd_.get(); }
  const std::string &path() const { return path_; }
  Status commit(const std::string &target, bool overwrite) {
    if (::fsync(fd_.get()) < 0) return Error::from_errno(errno, "fsync " + path_);
    fd_.reset();
    if (overwrite) {
      if (::rename(path_.c_str(), target.c_str()) < 0) return Error::from_errno(errno, "renaming to " + target);
    } else if (::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) < 0) {
      int err = errno;
      if (err == EEXIST)
        return Error::make(Code::exists, target + ": already exists (overwrite not requested)", target);
      if (err != EINVAL && err != ENOSYS) return Error::from_errno(err, "renaming to " + target);
      // No RENAME_NOREPLACE here: link() fails the same way on an existing name.
      if (::link(path_.c_str(), target.c_str()) < 0) {
        err = errno;
        if (err == EEXIST)
          return Error::make(Code::exists, target + ": already exists (overwrite not requested)", target);
        return Error::from_errno(err, "linking " + target);
      }
      ::unlink(path_.c_str());
    }
    path_.clear();
    int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
    return {};
  }

private:
  UniqueFd fd_;
  std::string path_;
  std::string dir_;
};

Result<ArchiveWriter> open_compressor(Compression c, Sink &sink) {
  ArchiveWriter a(la().archive_write_new());
  if (!a) return Error::oom();
  int r = la().archive_write_set_format_raw(a.get());
  const char *filter = nullptr;
  if (r == ARCHIVE_OK) switch (c) {
    case Compression::gzip:
      r = la().archive_write_add_filter_gzip(a.get());
      filter = "gzip";
      // No timestamp in the gzip header: compressed builds are reproducible too.
      if (la_ok(r)) r = la().archive_write_set_filter_option(a.get(), "gzip", "timestamp", nullptr);
      break;
    case Compression::bzip2:
      r = la().archive_write_add_filter_bzip2(a.get());
      filter = "bzip2";
      break;
    case Compression::xz:
      r = la().archive_write_add_filter_xz(a.get());
      filter = "xz";
      break;
    case Compression::zstd:
      r = la().archive_write_add_filter_zstd(a.get());
      filter = "zstd";
      break;
    case Compression::none:
      return Error::make(Code::internal, "no compressor for compression none");
    }
  if (!la_ok(r)) {
    const char *msg = la().archive_error_string(a.get());
    return Error::make(Code::not_supported,
                       std::string(filter ? filter : "compression") + ": " + (msg ? msg : "unavailable"));
  }
  la().archive_write_set_bytes_per_block(a.get(), static_cast<int>(kOutBlock));
  la().archive_write_set_bytes_in_last_block(a.get(), 1);  // compressed output is not padded
  if (la().archive_write_open(a.get(), &sink, nullptr, output_write, nullptr) != ARCHIVE_OK) {
    if (sink.out_err) return std::move(*sink.out_err);
    const char *msg = la().archive_error_string(a.get());
    return Error::make(Code::os, std::string("starting ") + filter + ": " + (msg ? msg : "failed"));
  }
  Entry e(la().archive_entry_new());
  if (!e) return Error::oom();
  la().archive_entry_set_pathname(e.get(), "tar");
  la().archive_entry_set_filetype(e.get(), AE_IFREG);
  la().archive_entry_set_perm(e.get(), 0644);
  if (!la_ok(la().archive_write_header(a.get(), e.get()))) {
    const char *msg = la().archive_error_string(a.get());
    return Error::make(Code::os, std::string("starting ") + filter + ": " + (msg ? msg : "failed"));
  }
  return a;
}

// Validate the manifest of a layout: every finding, prefixed "manifest: ".
Result<spec::ImageManifest> check_manifest(const std::string &bytes) {
  auto m = spec::parse_image_manifest(bytes);
  if (m) return std::move(m).value();
  Error e = std::move(m).error();
  if (e.diagnostics.empty()) return std::move(e).wrap("manifest");
  std::vector<Diagnostic> diags;
  diags.reserve(e.diagnostics.size());
  for (Diagnostic &d : e.diagnostics) {
    d.path = d.path.empty() ? "manifest" : "manifest: " + d.path;
    diags.push_back(std::move(d));
  }
  Error out = Error::invalid(std::move(diags));
  out.code = e.code;
  return out;
}

} // namespace

Result<ImageInfo> build_image(const std::string &dir, const std::string &out_path, const BuildOptions &opts) {
  APPC_TRY_VOID(load_libarchive());
  if (dir.empty()) return Error::make(Code::invalid, "build: no layout directory given");
  if (out_path.empty()) return Error::make(Code::invalid, "build: no output file given");

  int rawfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rawfd < 0) return Error::from_errno(errno, "opening layout " + dir);
  UniqueFd dirfd(rawfd);

  // 1. The manifest: a regular file, valid, kept byte for byte.
  const std::string manifest_path = join(dir, "manifest");
  int mfd = ::openat(dirfd.get(), "manifest", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (mfd < 0) {
    int err = errno;
    if (err == ENOENT)
      return Error::make(Code::not_found, manifest_path + ": no manifest in the layout (spec 37)", manifest_path);
    if (err == ELOOP)
      return Error::make(Code::invalid, manifest_path + ": is a symlink; the manifest must be a regular file (spec 40)",
                         manifest_path);
    return Error::from_errno(err, "opening " + manifest_path);
  }
  UniqueFd manifest_fd(mfd);
  struct stat mst;
  if (::fstat(manifest_fd.get(), &mst) < 0) return Error::from_errno(errno, "stat " + manifest_path);
  if (!S_ISREG(mst.st_mode))
    return Error::make(Code::invalid, manifest_path + ": not a regular file (spec 40)", manifest_path);
  if (static_cast<uint64_t>(mst.st_size) > kMaxManifest)
    return Error::make(Code::limit, manifest_path + ": larger than " + std::to_string(kMaxManifest) + " bytes",
                       manifest_path);
  std::string manifest_bytes(static_cast<size_t>(mst.st_size), '\0');
  {
    size_t got = 0;
    while (got < manifest_bytes.size()) {
      ssize_t n = ::pread(manifest_fd.get(), manifest_bytes.data() + got, manifest_bytes.size() - got,
                          static_cast<off_t>(got));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Error::from_errno(errno, "reading " + manifest_path);
      }
      if (n == 0) return changed(manifest_path);
      got += static_cast<size_t>(n);
    }
  }
  spec::ImageManifest manifest = APPC_TRY(check_manifest(manifest_bytes));

  // 2. rootfs/: a directory (not a symlink to one).
  const std::string rootfs_path = join(dir, "rootfs");
  int rfd = ::openat(dirfd.get(), "rootfs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (rfd < 0) {
    int err = errno;
    if (err == ENOENT)
      return Error::make(Code::not_found, rootfs_path + ": no rootfs directory in the layout (spec 37)", rootfs_path);
    if (err == ENOTDIR || err == ELOOP)
      return Error::make(Code::invalid, rootfs_path + ": not a directory (spec 40)", rootfs_path);
    return Error::from_errno(err, "opening " + rootfs_path);
  }
  UniqueFd rootfs_fd(rfd);
  struct stat rst;
  if (::fstat(rootfs_fd.get(), &rst) < 0) return Error::from_errno(errno, "stat " + rootfs_path);

  // Anything else in the layout stays out of the image (spec 40); say so.
  std::vector<std::string> notes;
  {
    int dup = ::fcntl(dirfd.get(), F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return Error::from_errno(errno, "reading " + dir);
    std::unique_ptr<DIR, DirClose> d(::fdopendir(dup));
    if (!d) {
      ::close(dup);
      return Error::from_errno(errno, "reading " + dir);
    }
    std::vector<std::string> extra;
    while (dirent *de = ::readdir(d.get())) {
      std::string n = de->d_name;
      if (n != "." && n != ".." && n != "manifest" && n != "rootfs") extra.push_back(n);
    }
    std::sort(extra.begin(), extra.end());
    for (const auto &n : extra)
      notes.push_back(join(dir, n) + ": not archived (an ACI holds only manifest and rootfs/, spec 40)");
  }

  // 3. The output: refuse an existing file early unless overwriting.
  if (!opts.overwrite) {
    struct stat ost;
    if (::lstat(out_path.c_str(), &ost) == 0)
      return Error::make(Code::exists, out_path + ": already exists (overwrite not requested)", out_path);
  }

  Utf8Locale locale;
  if (!locale.ok())
    return Error::make(Code::not_supported, "build: the C.UTF-8 locale is not available; it fixes how names are stored");

  TempOutput out;
  APPC_TRY_VOID(out.create(out_path));
  struct stat tmpst;
  if (::fstat(out.fd(), &tmpst) < 0) return Error::from_errno(errno, "stat " + out.path());

  Sink sink;
  sink.fd = out.fd();
  sink.out_name = out_path;
  ArchiveWriter compressor;
  if (opts.compression != Compression::none) {
    compressor = APPC_TRY(open_compressor(opts.compression, sink));
    sink.compressor = compressor.get();
  }
  // Declared after the compressor and before the tar writer: it stops (and
  // joins its thread) before the compressor is freed, and outlives the tar
  // writer, whose final flush may still push blocks. Sixteen slots (32 MiB,
  // touched only as far as the walk gets ahead): the walk outruns the hash
  // in big files and falls behind it in directories of small ones, and with
  // four slots each stage waited for the other for tens of milliseconds.
  Pipeline pipe(sink.compressor ? Pipeline::Stage([&sink](const char *p, size_t n) { return compress_stage(sink, p, n); })
                                : Pipeline::Stage([&sink](const char *p, size_t n) -> Status {
                                    sink.sha.update(p, n);
                                    return {};
                                  }),
                kSlot, 16);
  sink.pipe = &pipe;

  ArchiveWriter tar(la().archive_write_new());
  if (!tar) return Error::oom();
  if (la().archive_write_set_format_pax_restricted(tar.get()) != ARCHIVE_OK)
    return Error::make(Code::internal, std::string("pax writer: ") + la().archive_error_string(tar.get()));
  la().archive_write_add_filter_none(tar.get());
  // Unbuffered: tar_write() gathers the bytes in the pipeline's slots, and
  // pads the stream to a whole record at the end.
  la().archive_write_set_bytes_per_block(tar.get(), 0);
  if (la().archive_write_open(tar.get(), &sink, nullptr, tar_write, nullptr) != ARCHIVE_OK) {
    if (sink.err) return std::move(*sink.err);
    return Error::make(Code::os, std::string("starting the tar writer: ") + la().archive_error_string(tar.get()));
  }

  Builder b(opts, sink, tar.get(), dir);
  b.skip_inode(tmpst.st_dev, tmpst.st_ino);
  APPC_TRY_VOID(b.init());
  APPC_TRY_VOID(b.add_manifest(mst, manifest_bytes));
  APPC_TRY_VOID(b.add_rootfs(rootfs_fd.get(), rst));

  if (la().archive_write_close(tar.get()) != ARCHIVE_OK) {
    if (sink.err) return std::move(*sink.err);
    return Error::make(Code::os, "finishing " + out_path + ": " + la().archive_error_string(tar.get()));
  }
  if (sink.err) return std::move(*sink.err);
  // The stream ends on a whole 10240-byte record, zeros after the
  // end-of-archive blocks, as GNU tar and actool write it.
  if (uint64_t rest = sink.tar_bytes % kRecord; rest != 0) {
    static const char kNulls[kRecord] = {};
    APPC_TRY_VOID(sink.append(kNulls, kRecord - rest));
  }
  APPC_TRY_VOID(sink.flush());
  APPC_TRY_VOID(pipe.finish());
  if (compressor) {
    if (!la_ok(la().archive_write_finish_entry(compressor.get())) ||
        la().archive_write_close(compressor.get()) != ARCHIVE_OK) {
      if (sink.out_err) return std::move(*sink.out_err);
      return Error::make(Code::os, "finishing " + out_path + ": " + la().archive_error_string(compressor.get()));
    }
  }
  if (sink.out_err) return std::move(*sink.out_err);

  ImageInfo info;
  info.id = sink.sha.image_id();
  info.compression = opts.compression;
  info.archive_size = sink.file_bytes;
  info.tar_size = sink.tar_bytes;
  info.entries = b.entries();
  info.manifest_json = std::move(manifest_bytes);
  info.manifest = std::move(manifest);
  for (auto &n : b.take_notes()) notes.push_back(std::move(n));
  info.notes = std::move(notes);

  if (opts.progress) {
    Progress p;
    p.bytes_out = info.tar_size;
    p.entries = info.entries;
    p.phase = "build";
    if (!opts.progress(p)) return Error::make(Code::cancelled, "build cancelled");
  }
  APPC_TRY_VOID(out.commit(out_path, opts.overwrite));
  return info;
}

} // namespace appc::aci
