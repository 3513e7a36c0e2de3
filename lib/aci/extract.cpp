// Safe extraction of an ACI (spec 37-41, 53): every path is resolved relative
// to a directory file descriptor with openat2(RESOLVE_BENEATH |
// RESOLVE_NO_MAGICLINKS) and every final component is created with an *at()
// call that does not follow symlinks. The tree is built in a temporary sibling
// of the target and renamed into place when everything, the image ID
// included, checked out.
#include "aci/archive_stream.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <unordered_map>
#include <unordered_set>

namespace appc::aci {
namespace {

using namespace detail;

// Entries of the rootfs are resolved beneath the rootfs directory, the
// manifest and the archive root beneath the target.
enum Base { kRoot = 0, kRootfs = 1 };

struct DirMeta {
  Base base;
  std::string rel;         // relative to the base, "" for the base itself
  mode_t mode;
  struct timespec times[2];
  size_t depth;
  dev_t dev = 0;           // the directory made or merged: its path may lead elsewhere by
  ino_t ino = 0;           // the end (a later entry replaced a symlink on it), its inode does not
};

struct DevIno {
  dev_t dev;
  ino_t ino;
  bool operator==(const DevIno &) const = default;
};
struct DevInoHash {
  size_t operator()(const DevIno &d) const noexcept { return std::hash<uint64_t>()(uint64_t(d.ino) * 31 + d.dev); }
};

struct Xattr {
  const char *name;
  const void *value;
  size_t size;
};

bool xattr_skippable(int err) {
  return err == ENOTSUP || err == EOPNOTSUPP || err == EPERM || err == EACCES;
}

Status pwrite_all(int fd, const void *p, size_t n, uint64_t off, const std::string &entry) {
  const char *c = static_cast<const char *>(p);
  while (n) {
    ssize_t w = ::pwrite(fd, c, n, off_t(off));
    if (w < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(errno, entry + ": write");
    }
    c += w;
    n -= size_t(w);
    off += uint64_t(w);
  }
  return {};
}

class Extractor {
public:
  Extractor(const ExtractOptions &opts, int root_fd, ExtractResult &res)
      : opts_(opts), root_fd_(root_fd), res_(res) {
    can_chown_ = opts.preserve_owners && ::geteuid() == 0;
    // The renderer applies layers onto a tree: resolve like a chroot would
    // (absolute symlinks stay inside, as with the reference renderer); a
    // single extraction refuses any symlink that leads out.
    resolve_ = opts.overlay_onto_existing ? RESOLVE_IN_ROOT : 0;
  }

  Status run(TarStream &stream) {
    LayoutChecker layout;
    std::vector<Diagnostic> diags;
    EntryInfo ei;
    for (;;) {
      struct archive_entry *e = APPC_TRY(stream.next());
      if (!e) break;
      layout.check(e, ei, diags);
      if (!ei.ok) return Error::invalid(std::move(diags));
      // Whenever owners are to be preserved, not only when this process can:
      // the verdict must not depend on who extracts (validation says the same).
      if (opts_.preserve_owners) APPC_TRY_VOID(check_owner(e, ei));
      if (ei.top == Top::manifest) {
        bool parsed = false;
        APPC_TRY_VOID(take_manifest(stream, ei, opts_.limits, res_.info, diags, parsed));
        if (!parsed) return Error::invalid(std::move(diags));
        if (!opts_.rootfs_only) APPC_TRY_VOID(write_manifest(e, ei));
        continue;
      }
      Status st = entry(stream, e, ei);
      if (cache_stale_) {   // pfd (the cache) was in use until now
        cache_fd_.reset();
        cache_stale_ = false;
      }
      if (!st) return st;
    }
    res_.info.id = APPC_TRY(stream.finish());
    layout.finish(diags);
    if (!diags.empty()) return Error::invalid(std::move(diags));
    res_.info.compression = stream.compression();
    res_.info.archive_size = stream.bytes_in();
    res_.info.tar_size = stream.bytes_out();
    res_.info.entries = stream.entries();
    if (!opts_.expect_id.empty() && opts_.expect_id != res_.info.id)
      return Error::make(Code::verify, "image ID mismatch: expected " + opts_.expect_id + ", the archive is " +
                                           res_.info.id + " (spec 56)");
    return {};
  }

  bool root_meta_set() const noexcept { return root_meta_; }

  // Directory modes and times last, deepest first: creating entries inside a
  // directory changes its mtime, and a read-only mode could stop the writes.
  Status apply_dir_meta() {
    std::stable_sort(dirs_.begin(), dirs_.end(), [](const DirMeta &a, const DirMeta &b) { return a.depth > b.depth; });
    std::unordered_map<DevIno, const DirMeta *, DevInoHash> lost;
    for (const DirMeta &d : dirs_) {
      int base = d.base == kRootfs ? rootfs_fd_.get() : root_fd_;
      // A path too long for the kernel (the parent fit, parent + name need not)
      // or one that now leads elsewhere: found by its inode below instead.
      auto fd = d.rel.size() <= kMaxPathBytes
                    ? open_beneath(base, d.rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, resolve_)
                    : Result<UniqueFd>(Error::from_errno(ENAMETOOLONG, "open"));
      struct stat st;
      if (fd && ::fstat(fd->get(), &st) == 0 && st.st_dev == d.dev && st.st_ino == d.ino) {
        APPC_TRY_VOID(set_dir_meta(fd->get(), d));
        continue;
      }
      if (!fd && opts_.overlay_onto_existing) continue;   // replaced by a later layer's entry
      lost.emplace(DevIno{d.dev, d.ino}, &d);
    }
    if (!lost.empty() && rootfs_fd_) APPC_TRY_VOID(apply_lost_dir_meta(lost));
    dirs_.clear();
    return {};
  }

private:
  Status set_dir_meta(int fd, const DirMeta &d) {
    std::string shown = (d.base == kRootfs ? "rootfs/" : "") + d.rel;
    if (::fchmod(fd, d.mode) < 0) return Error::from_errno(errno, shown + ": chmod");
    if (::futimens(fd, d.times) < 0) return Error::from_errno(errno, shown + ": set times");
    return {};
  }

  // Directories whose path no longer leads to them (rare: only archives that
  // reach one path by two names do this): one walk of rootfs/, never through
  // a symlink, setting each when leaving it (deepest first, as above).
  Status apply_lost_dir_meta(const std::unordered_map<DevIno, const DirMeta *, DevInoHash> &lost) {
    struct Frame {
      UniqueFd fd;
      std::vector<std::string> subdirs;
      size_t next = 0;
      const DirMeta *meta = nullptr;
    };
    auto enter = [&](int fd, Frame &f) -> Status {
      f.fd.reset(fd);
      struct stat st;
      if (::fstat(fd, &st) < 0) return Error::from_errno(errno, "setting directory metadata: stat");
      if (auto it = lost.find(DevIno{st.st_dev, st.st_ino}); it != lost.end()) f.meta = it->second;
      int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
      DIR *dir = dup < 0 ? nullptr : ::fdopendir(dup);
      if (!dir) {
        if (dup >= 0) ::close(dup);
        return Error::from_errno(errno, "setting directory metadata: list");
      }
      while (struct dirent *de = ::readdir(dir)) {
        if (!std::strcmp(de->d_name, ".") || !std::strcmp(de->d_name, "..")) continue;
        struct stat cst;
        if (de->d_type == DT_DIR ||
            (de->d_type == DT_UNKNOWN && ::fstatat(fd, de->d_name, &cst, AT_SYMLINK_NOFOLLOW) == 0 &&
             S_ISDIR(cst.st_mode)))
          f.subdirs.emplace_back(de->d_name);
      }
      ::closedir(dir);
      return {};
    };
    std::vector<Frame> stack(1);
    int fd0 = ::fcntl(rootfs_fd_.get(), F_DUPFD_CLOEXEC, 0);
    if (fd0 < 0) return Error::from_errno(errno, "dup");
    APPC_TRY_VOID(enter(fd0, stack.back()));
    while (!stack.empty()) {
      Frame &f = stack.back();
      if (f.next < f.subdirs.size()) {
        const std::string &n = f.subdirs[f.next++];
        int fd = ::openat(f.fd.get(), n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) return Error::from_errno(errno, "setting directory metadata: open " + n);
        Frame c;
        APPC_TRY_VOID(enter(fd, c));
        stack.push_back(std::move(c));
        continue;
      }
      if (f.meta) APPC_TRY_VOID(set_dir_meta(f.fd.get(), *f.meta));
      stack.pop_back();
    }
    return {};
  }

  // ------------------------------------------------------------ entries

  Status entry(TarStream &stream, struct archive_entry *e, const EntryInfo &ei) {
    if (ei.top == Top::root) {   // "." or "./": the target itself
      if (opts_.rootfs_only) return {};
      APPC_TRY_VOID(own_and_xattrs_fd(root_fd_, e, ei.raw));
      dirs_.push_back(DirMeta{kRoot, "", mode_of(e), {}, 0});
      APPC_TRY_VOID(note_inode(root_fd_, dirs_.back()));
      times_of(e, dirs_.back().times);
      root_meta_ = true;
      ++res_.dirs;
      return {};
    }
    // rootfs or rootfs/...
    APPC_TRY_VOID(ensure_rootfs());
    std::string_view rel = std::string_view(ei.clean).substr(6);
    if (!rel.empty()) rel.remove_prefix(1);
    if (rel.empty()) {
      APPC_TRY_VOID(own_and_xattrs_fd(rootfs_fd_.get(), e, ei.raw));
      dirs_.push_back(DirMeta{kRootfs, "", mode_of(e), {}, 0});
      APPC_TRY_VOID(note_inode(rootfs_fd_.get(), dirs_.back()));
      times_of(e, dirs_.back().times);
      if (opts_.rootfs_only) root_meta_ = true;
      ++res_.dirs;
      return {};
    }
    bool is_dir = !ei.hardlink && ei.type == AE_IFDIR;
    if (opts_.filter) {
      std::string abs = "/" + std::string(rel);
      if (!opts_.filter(abs, is_dir)) return {};
    }
    size_t slash = rel.rfind('/');
    std::string prel(slash == std::string_view::npos ? std::string_view() : rel.substr(0, slash));
    std::string name(slash == std::string_view::npos ? rel : rel.substr(slash + 1));
    int pfd = APPC_TRY(parent(kRootfs, prel, ei));
    if (pfd < 0) return {};   // overlay: the parent is not a directory here, the entry is dropped

    if (ei.hardlink) return make_hardlink(pfd, name, ei);
    switch (ei.type) {
    case AE_IFDIR: return make_dir(pfd, name, std::string(rel), e, ei);
    case AE_IFREG: return make_file(stream, pfd, name, e, ei);
    case AE_IFLNK: return make_symlink(pfd, name, e, ei);
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO: return make_node(pfd, name, e, ei);
    }
    return Error::make(Code::invalid, ei.raw + ": unsupported entry type", ei.raw);
  }

  static Status note_inode(int fd, DirMeta &d) {
    struct stat st;
    if (::fstat(fd, &st) < 0) return Error::from_errno(errno, "stat");
    d.dev = st.st_dev;
    d.ino = st.st_ino;
    return {};
  }

  Status ensure_rootfs() {
    if (rootfs_fd_) return {};
    if (opts_.rootfs_only) {
      int fd = ::fcntl(root_fd_, F_DUPFD_CLOEXEC, 0);
      if (fd < 0) return Error::from_errno(errno, "dup");
      rootfs_fd_.reset(fd);
      return {};
    }
    if (::mkdirat(root_fd_, "rootfs", 0755) < 0 && errno != EEXIST) return Error::from_errno(errno, "mkdir rootfs");
    auto fd = open_beneath(root_fd_, "rootfs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!fd) return std::move(fd).error();
    rootfs_fd_ = std::move(fd).value();
    return {};
  }

  int base_fd(Base b) const { return b == kRootfs ? rootfs_fd_.get() : root_fd_; }

  // The directory that will hold the entry, opened beneath the base; missing
  // directories on the way are created (0755, as tar does). -1: drop the entry.
  Result<int> parent(Base b, const std::string &prel, const EntryInfo &ei) {
    if (prel.empty()) return base_fd(b);
    if (cache_fd_ && cache_base_ == b && cache_rel_ == prel) return cache_fd_.get();
    auto r = open_beneath(base_fd(b), prel, O_PATH | O_DIRECTORY, 0, resolve_);
    if (!r && r.error().sys_errno == ENOENT) r = make_parents(b, prel);
    if (!r) {
      int err = r.error().sys_errno;
      if (err == EXDEV)
        return Error::make(Code::invalid, ei.raw + ": parent goes through a symlink that leads outside the target",
                           ei.raw);
      if (err == ELOOP)
        return Error::make(Code::invalid, ei.raw + ": parent goes through a symlink loop or a magic link", ei.raw);
      if (err == ENOTDIR) {
        if (opts_.overlay_onto_existing) return -1;
        return Error::make(Code::invalid, ei.raw + ": a parent is not a directory", ei.raw);
      }
      Error e = std::move(r).error();
      e.where = ei.raw;
      return std::move(e).wrap(ei.raw);
    }
    cache_fd_ = std::move(r).value();
    cache_base_ = b;
    cache_rel_ = prel;
    return cache_fd_.get();
  }

  Result<UniqueFd> make_parents(Base b, const std::string &prel) {
    int base = base_fd(b);
    UniqueFd prev;
    size_t pos = 0;
    for (;;) {
      size_t slash = prel.find('/', pos);
      std::string prefix = prel.substr(0, slash);
      std::string comp = prel.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
      auto r = open_beneath(base, prefix, O_PATH | O_DIRECTORY, 0, resolve_);
      if (!r && r.error().sys_errno == ENOENT) {
        int at = prev ? prev.get() : base;
        bool existed = false;
        if (::mkdirat(at, comp.c_str(), 0755) < 0) {
          if (errno != EEXIST) return Error::from_errno(errno, "mkdir " + prefix);
          existed = true;   // there, yet not found: a symlink to nothing (or a race)
        } else if (++implicit_dirs_ > opts_.limits.max_entries) {
          // Validation models every directory in memory: the same bound here.
          return Error::make(Code::limit, "more than " + std::to_string(opts_.limits.max_entries) +
                                              " missing parent directories to create (limits.max_entries)");
        }
        APPC_TRY_VOID(note_ours(at, comp, prefix));
        r = open_beneath(base, prefix, O_PATH | O_DIRECTORY, 0, resolve_);
        if (!r && existed && r.error().sys_errno == ENOENT)
          return Error::make(Code::invalid, "the parent " + prefix + " is a symlink to something that does not exist");
      }
      if (!r) return r;
      prev = std::move(r).value();
      if (slash == std::string::npos) return prev;
      pos = slash + 1;
    }
  }

  // Something is in the way at pfd/name (EEXIST): a directory stays when a
  // directory arrives and is never replaced by anything else; anything else
  // (a symlink included: never followed) is removed. true: reuse the directory.
  Result<bool> clear_way(int pfd, const std::string &name, bool want_dir, const EntryInfo &ei, const char *kind) {
    struct stat st;
    if (::fstatat(pfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT) return false;
      return Error::from_errno(errno, ei.raw + ": stat");
    }
    if (S_ISDIR(st.st_mode)) {
      if (want_dir) return true;
      // Overlay: a directory of an earlier layer gives way, contents and all
      // (later wins, spec 53); one this archive made or merged never does.
      if (!opts_.overlay_onto_existing || ours_.count(DevIno{st.st_dev, st.st_ino}))
        return Error::make(Code::invalid, ei.raw + ": refusing to replace a directory with a " + kind, ei.raw);
      if (Status rm = remove_tree_at(pfd, name); !rm)
        return std::move(rm).error().wrap(ei.raw + ": remove the earlier layer's directory");
      cache_stale_ = true;
      return false;
    }
    if (::unlinkat(pfd, name.c_str(), 0) < 0) return Error::from_errno(errno, ei.raw + ": remove the existing entry");
    cache_stale_ = true;   // the cached parent may have been resolved through what was just removed
    return false;
  }

  template <class Create>
  Result<bool> create(int pfd, const std::string &name, bool want_dir, const EntryInfo &ei, const char *kind,
                      Create &&make) {
    for (int attempt = 0;; ++attempt) {
      if (make() == 0) return false;
      if (errno != EEXIST || attempt == 3) return Error::from_errno(errno, ei.raw + ": create " + kind);
      bool reuse = APPC_TRY(clear_way(pfd, name, want_dir, ei, kind));
      if (reuse) return true;
    }
  }

  // Overlay: remember a directory this archive made or merged (never replaced by a later entry of it).
  Status note_ours(int pfd, const std::string &name, const std::string &entry) {
    if (!opts_.overlay_onto_existing) return {};
    struct stat st;
    if (::fstatat(pfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return Error::from_errno(errno, entry + ": stat");
    ours_.insert(DevIno{st.st_dev, st.st_ino});
    return {};
  }

  Status make_dir(int pfd, const std::string &name, std::string rel, struct archive_entry *e, const EntryInfo &ei) {
    APPC_TRY(create(pfd, name, true, ei, "directory", [&] { return ::mkdirat(pfd, name.c_str(), 0700); }));
    APPC_TRY_VOID(note_ours(pfd, name, ei.raw));
    if (can_chown_ && ::fchownat(pfd, name.c_str(), la().archive_entry_uid(e), la().archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) < 0)
      return owner_error(e, ei);
    if (has_xattrs(e)) {
      UniqueFd fd(::openat(pfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd) return Error::from_errno(errno, ei.raw + ": open");
      APPC_TRY_VOID(set_xattrs_fd(fd.get(), e, ei.raw));
    }
    size_t depth = size_t(std::count(rel.begin(), rel.end(), '/')) + 1;
    struct stat st;
    if (::fstatat(pfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return Error::from_errno(errno, ei.raw + ": stat");
    dirs_.push_back(DirMeta{kRootfs, std::move(rel), mode_of(e), {}, depth, st.st_dev, st.st_ino});
    times_of(e, dirs_.back().times);
    ++res_.dirs;
    return {};
  }

  Status make_file(TarStream &stream, int pfd, const std::string &name, struct archive_entry *e, const EntryInfo &ei) {
    int fd = -1;
    APPC_TRY(create(pfd, name, false, ei, "file", [&] {
      fd = ::openat(pfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      return fd < 0 ? -1 : 0;
    }));
    UniqueFd guard(fd);
    uint64_t end = 0;
    int64_t limit = la().archive_entry_size_is_set(e) ? std::max<int64_t>(la().archive_entry_size(e), 0) : INT64_MAX;
    for (;;) {
      const void *buf = nullptr;
      size_t size = 0;
      la_int64_t off = 0;
      int r = la().archive_read_data_block(stream.tar(), &buf, &size, &off);
      if (r == ARCHIVE_EOF) break;
      if (!la_ok(r)) return stream.data_error(ei.raw);
      // Data beyond the declared size (a hostile sparse map) would make the
      // file as large as its offset says, past what limits.max_bytes counted.
      APPC_TRY_VOID(check_extent(off, size, limit, ei.raw));
      if (size) APPC_TRY_VOID(pwrite_all(fd, buf, size, uint64_t(off), ei.raw));
      end = std::max(end, uint64_t(off) + size);
    }
    // A sparse file ends in a hole: give it its full length (pwrite at block
    // offsets left the holes in between as holes).
    int64_t want = la().archive_entry_size(e);
    if (la().archive_entry_size_is_set(e) && want > 0 && end < uint64_t(want) && ::ftruncate(fd, want) < 0)
      return Error::from_errno(errno, ei.raw + ": truncate");
    APPC_TRY_VOID(finish_fd(fd, e, ei.raw));
    extracted_.insert(name_key(ei.clean));
    ++res_.files;
    return {};
  }

  Status write_manifest(struct archive_entry *e, const EntryInfo &ei) {
    const std::string &data = res_.info.manifest_json;
    int fd = -1;
    APPC_TRY(create(root_fd_, "manifest", false, ei, "file", [&] {
      fd = ::openat(root_fd_, "manifest", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      return fd < 0 ? -1 : 0;
    }));
    UniqueFd guard(fd);
    APPC_TRY_VOID(pwrite_all(fd, data.data(), data.size(), 0, ei.raw));
    APPC_TRY_VOID(finish_fd(fd, e, ei.raw));
    ++res_.files;
    return {};
  }

  Status make_symlink(int pfd, const std::string &name, struct archive_entry *e, const EntryInfo &ei) {
    const char *target = la().archive_entry_symlink(e);
    if (!target) target = la().archive_entry_symlink_utf8(e);
    if (!target || !*target)   // libarchive leaves an empty target unset
      return Error::make(Code::invalid, ei.raw + ": a symlink with an empty or unreadable target (Linux has no empty symlinks)",
                         ei.raw);
    size_t len = std::strlen(target);
    if (len > kMaxSymlinkTargetBytes - std::min<uint64_t>(symlink_bytes_, kMaxSymlinkTargetBytes))
      return Error::make(Code::limit, ei.raw + ": the archive's symlink targets add up to more than " +
                                          std::to_string(kMaxSymlinkTargetBytes) + " bytes",
                         ei.raw);
    symlink_bytes_ += len;
    // The target text is kept verbatim: a symlink may point anywhere, it is only never followed here.
    APPC_TRY(create(pfd, name, false, ei, "symlink", [&] { return ::symlinkat(target, pfd, name.c_str()); }));
    APPC_TRY_VOID(finish_at(pfd, name, e, ei, false));
    extracted_.insert(name_key(ei.clean));
    ++res_.symlinks;
    return {};
  }

  Status make_node(int pfd, const std::string &name, struct archive_entry *e, const EntryInfo &ei) {
    bool fifo = ei.type == AE_IFIFO;
    mode_t type = fifo ? S_IFIFO : ei.type == AE_IFCHR ? S_IFCHR : S_IFBLK;
    dev_t dev = fifo ? 0 : makedev(la().archive_entry_rdevmajor(e), la().archive_entry_rdevminor(e));
    const char *kind = fifo ? "FIFO" : "device node";
    bool skipped = false;
    APPC_TRY(create(pfd, name, false, ei, kind, [&] {
      int rc = ::mknodat(pfd, name.c_str(), type | 0600, dev);
      if (rc < 0 && errno == EPERM && !fifo) {   // no CAP_MKNOD (e.g. in a user namespace)
        skipped = true;
        return 0;
      }
      return rc;
    }));
    if (skipped) {
      skipped_.insert(name_key(ei.clean));
      ++res_.skipped_devices;
      return {};
    }
    APPC_TRY_VOID(finish_at(pfd, name, e, ei, true));
    extracted_.insert(name_key(ei.clean));
    ++(fifo ? res_.fifos : res_.devices);
    return {};
  }

  Status make_hardlink(int pfd, const std::string &name, const EntryInfo &ei) {
    // The layout check made sure the target is an earlier non-directory entry
    // under rootfs/; it must also have been extracted (not filtered out). A
    // link to a device skipped for lack of CAP_MKNOD is that device: skipped too.
    NameKey tkey = name_key(ei.link_clean);
    if (skipped_.count(tkey)) {
      skipped_.insert(name_key(ei.clean));
      ++res_.skipped_devices;
      return {};
    }
    if (!extracted_.count(tkey))
      return Error::make(Code::invalid, ei.raw + ": hardlink target \"" + ei.link_clean + "\" was not extracted",
                         ei.raw);
    std::string_view trel = std::string_view(ei.link_clean).substr(7);   // below "rootfs/"
    size_t slash = trel.rfind('/');
    std::string tparent(slash == std::string_view::npos ? std::string_view() : trel.substr(0, slash));
    std::string tname(slash == std::string_view::npos ? trel : trel.substr(slash + 1));
    auto tfd = open_beneath(rootfs_fd_.get(), tparent, O_PATH | O_DIRECTORY, 0, resolve_);
    if (!tfd) {
      if (tfd.error().sys_errno == EXDEV)
        return Error::make(Code::invalid,
                           ei.raw + ": hardlink target's parent goes through a symlink that leads outside the target",
                           ei.raw);
      return std::move(tfd).error().wrap(ei.raw + ": hardlink target \"" + ei.link_clean + "\"");
    }
    // What linkat would fail on, named (validation finds the same): the
    // target gone or now a directory (a later entry replaced a symlink on its
    // path), or the target being this very entry (reached through a symlink:
    // clearing the way would remove the target itself).
    struct stat tst;
    if (::fstatat(tfd->get(), tname.c_str(), &tst, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT)
        return Error::make(Code::invalid, ei.raw + ": hardlink target \"" + ei.link_clean +
                                              "\" is no longer there (a later entry replaced something on its path)",
                           ei.raw);
      return Error::from_errno(errno, ei.raw + ": hardlink target");
    }
    if (S_ISDIR(tst.st_mode))
      return Error::make(Code::invalid, ei.raw + ": hardlink target \"" + ei.link_clean +
                                            "\" is now a directory (a later entry replaced it)",
                         ei.raw);
    if (tname == name) {
      struct stat a, b;
      if (::fstat(tfd->get(), &a) == 0 && ::fstat(pfd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return Error::make(Code::invalid, ei.raw + ": hardlink target \"" + ei.link_clean +
                                              "\" is this entry itself (reached through a symlink)",
                           ei.raw);
    }
    // linkat without AT_SYMLINK_FOLLOW: a symlink target is linked itself, never followed.
    APPC_TRY(create(pfd, name, false, ei, "hardlink",
                    [&] { return ::linkat(tfd->get(), tname.c_str(), pfd, name.c_str(), 0); }));
    extracted_.insert(name_key(ei.clean));
    ++res_.hardlinks;
    return {};
  }

  // ------------------------------------------------------------ metadata

  static mode_t mode_of(struct archive_entry *e) { return mode_t(la().archive_entry_perm(e) & 07777); }

  static void times_of(struct archive_entry *e, struct timespec t[2]) {
    t[0].tv_sec = 0;
    t[0].tv_nsec = UTIME_OMIT;
    if (la().archive_entry_atime_is_set(e)) {
      t[0].tv_sec = la().archive_entry_atime(e);
      t[0].tv_nsec = la().archive_entry_atime_nsec(e);
    }
    t[1].tv_sec = 0;
    t[1].tv_nsec = UTIME_OMIT;
    if (la().archive_entry_mtime_is_set(e)) {
      t[1].tv_sec = la().archive_entry_mtime(e);
      t[1].tv_nsec = la().archive_entry_mtime_nsec(e);
    }
  }

  // A uid or gid chown cannot set: beyond uid_t (it would be truncated, 2^32
  // becoming root) or (uid_t)-1, which chown reads as "leave unchanged" (the
  // file would silently stay the extracting user's).
  static Status check_owner(struct archive_entry *e, const EntryInfo &ei) {
    std::string why = owner_problem(e);
    if (why.empty()) return {};
    return Error::make(Code::invalid, ei.raw + ": " + why + " (spec 41)", ei.raw);
  }

  Error owner_error(struct archive_entry *e, const EntryInfo &ei) {
    return Error::from_errno(errno, ei.raw + ": chown to " + std::to_string(la().archive_entry_uid(e)) + ":" +
                                        std::to_string(la().archive_entry_gid(e)));
  }

  static bool has_xattrs(struct archive_entry *e) { return la().archive_entry_xattr_count(e) > 0; }

  // security.capability last: chown clears it, so it comes after chown, and
  // nothing after it may drop it again.
  static std::vector<Xattr> xattrs_of(struct archive_entry *e) {
    std::vector<Xattr> out;
    if (la().archive_entry_xattr_reset(e) <= 0) return out;
    const char *n;
    const void *v;
    size_t s;
    while (la().archive_entry_xattr_next(e, &n, &v, &s) == ARCHIVE_OK) out.push_back(Xattr{n, v, s});
    std::stable_partition(out.begin(), out.end(),
                          [](const Xattr &x) { return std::strcmp(x.name, "security.capability") != 0; });
    return out;
  }

  Status set_xattrs_fd(int fd, struct archive_entry *e, const std::string &entry) {
    for (const Xattr &x : xattrs_of(e)) {
      if (::fsetxattr(fd, x.name, x.value, x.size, 0) == 0) continue;
      if (xattr_skippable(errno)) {
        ++res_.skipped_xattrs;
        continue;
      }
      return Error::from_errno(errno, entry + ": set xattr " + x.name);
    }
    return {};
  }

  // For entries that cannot be opened (symlinks, devices, FIFOs): the path goes
  // through the parent's descriptor and the final component is not followed.
  Status set_xattrs_at(int pfd, const std::string &name, struct archive_entry *e, const std::string &entry) {
    std::vector<Xattr> xs = xattrs_of(e);
    if (xs.empty()) return {};
    std::string path = "/proc/self/fd/" + std::to_string(pfd) + "/" + name;
    for (const Xattr &x : xs) {
      if (::lsetxattr(path.c_str(), x.name, x.value, x.size, 0) == 0) continue;
      if (xattr_skippable(errno) || errno == ENOENT) {   // ENOENT: no /proc
        ++res_.skipped_xattrs;
        continue;
      }
      return Error::from_errno(errno, entry + ": set xattr " + x.name);
    }
    return {};
  }

  Status own_and_xattrs_fd(int fd, struct archive_entry *e, const std::string &entry) {
    if (can_chown_ && ::fchown(fd, la().archive_entry_uid(e), la().archive_entry_gid(e)) < 0)
      return Error::from_errno(errno, entry + ": chown");
    return set_xattrs_fd(fd, e, entry);
  }

  // Owner, then mode (chown clears setuid/setgid), then xattrs, then times.
  Status finish_fd(int fd, struct archive_entry *e, const std::string &entry) {
    if (can_chown_ && ::fchown(fd, la().archive_entry_uid(e), la().archive_entry_gid(e)) < 0)
      return Error::from_errno(errno, entry + ": chown to " + std::to_string(la().archive_entry_uid(e)) + ":" +
                                          std::to_string(la().archive_entry_gid(e)));
    if (::fchmod(fd, mode_of(e)) < 0) return Error::from_errno(errno, entry + ": chmod");
    APPC_TRY_VOID(set_xattrs_fd(fd, e, entry));
    struct timespec t[2];
    times_of(e, t);
    if (::futimens(fd, t) < 0) return Error::from_errno(errno, entry + ": set times");
    return {};
  }

  Status finish_at(int pfd, const std::string &name, struct archive_entry *e, const EntryInfo &ei, bool chmod) {
    if (can_chown_ && ::fchownat(pfd, name.c_str(), la().archive_entry_uid(e), la().archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) < 0)
      return owner_error(e, ei);
    // Only for devices and FIFOs this code just created (Linux has no mode on symlinks).
    if (chmod && ::fchmodat(pfd, name.c_str(), mode_of(e), 0) < 0) return Error::from_errno(errno, ei.raw + ": chmod");
    APPC_TRY_VOID(set_xattrs_at(pfd, name, e, ei.raw));
    struct timespec t[2];
    times_of(e, t);
    if (::utimensat(pfd, name.c_str(), t, AT_SYMLINK_NOFOLLOW) < 0)
      return Error::from_errno(errno, ei.raw + ": set times");
    return {};
  }

  const ExtractOptions &opts_;
  int root_fd_;
  ExtractResult &res_;
  UniqueFd rootfs_fd_;
  bool can_chown_ = false;
  unsigned long long resolve_ = 0;
  bool root_meta_ = false;
  std::vector<DirMeta> dirs_;
  std::unordered_set<NameKey, NameKeyHash> extracted_;   // clean names of non-directories created
  std::unordered_set<NameKey, NameKeyHash> skipped_;     // clean names of devices not created (no CAP_MKNOD)
  uint64_t implicit_dirs_ = 0;                           // directories make_parents created
  uint64_t symlink_bytes_ = 0;                           // symlink targets so far
  UniqueFd cache_fd_;                           // the last parent directory opened
  bool cache_stale_ = false;
  std::unordered_set<DevIno, DevInoHash> ours_;  // overlay: directories this archive made or merged
  Base cache_base_ = kRoot;
  std::string cache_rel_;
};

// Removes the temporary tree unless committed.
class TempTree {
public:
  explicit TempTree(std::string path) : path_(std::move(path)) {}
  ~TempTree() {
    if (!path_.empty()) (void)remove_tree(path_);
  }
  void commit() { path_.clear(); }

private:
  std::string path_;
};

Result<ExtractResult> extract_into(int aci_fd, int root_fd, const ExtractOptions &opts,
                                   const std::function<Status(Extractor &)> &before_commit) {
  StreamOptions so;
  so.limits = opts.limits;
  so.progress = opts.progress;
  so.phase = "extract";
  so.hash_side = StreamOptions::HashSide::balanced;
  auto stream = APPC_TRY(TarStream::open(aci_fd, std::move(so)));
  ExtractResult res;
  Extractor x(opts, root_fd, res);
  APPC_TRY_VOID(x.run(*stream));
  APPC_TRY_VOID(x.apply_dir_meta());
  if (before_commit) APPC_TRY_VOID(before_commit(x));
  return res;
}

} // namespace

Result<ExtractResult> extract_image(const std::string &aci_path, const std::string &dir, const ExtractOptions &opts) {
  UniqueFd afd(::open(aci_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!afd) return Error::from_errno(errno, "open " + aci_path);

  if (opts.overlay_onto_existing) {
    // The renderer owns the temporary directory and the final rename.
    UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root) return Error::from_errno(errno, "open " + dir);
    auto r = extract_into(afd.get(), root.get(), opts, nullptr);
    if (!r) return std::move(r).error().wrap(aci_path);
    return r;
  }

  struct stat st;
  bool existed = ::lstat(dir.c_str(), &st) == 0;
  if (!existed && errno != ENOENT) return Error::from_errno(errno, "stat " + dir);
  if (existed) {
    if (!S_ISDIR(st.st_mode)) return Error::make(Code::exists, dir + ": exists and is not a directory", dir);
    bool empty = APPC_TRY(is_empty_dir(dir));
    if (!empty) return Error::make(Code::exists, dir + ": exists and is not empty", dir);
  }
  std::string tmp = APPC_TRY(make_sibling_tempdir(dir));
  TempTree guard(tmp);
  UniqueFd root(::open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root) return Error::from_errno(errno, "open " + tmp);

  auto r = extract_into(afd.get(), root.get(), opts, [&](Extractor &x) -> Status {
    if (!x.root_meta_set() && ::fchmod(root.get(), existed ? (st.st_mode & 07777) : 0755) < 0)
      return Error::from_errno(errno, "chmod " + tmp);
    // Onto an empty directory, rename() replaces it atomically; onto nothing,
    // RENAME_NOREPLACE keeps whatever appeared meanwhile.
    int rc = existed ? ::renameat(AT_FDCWD, tmp.c_str(), AT_FDCWD, dir.c_str())
                     : ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, dir.c_str(), RENAME_NOREPLACE);
    if (rc < 0) {
      if (errno == EEXIST || errno == ENOTEMPTY || errno == ENOTDIR)
        return Error::make(Code::exists, dir + ": changed during the extraction (no longer absent or empty)", dir);
      return Error::from_errno(errno, "rename " + tmp + " to " + dir);
    }
    return {};
  });
  if (!r) return std::move(r).error().wrap(aci_path);
  guard.commit();
  return r;
}

} // namespace appc::aci
