#include "util/fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace appc {

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

// ---------------------------------------------------------------- paths

PathProblem clean_path_into(std::string_view path, std::string &out) {
  out.clear();
  if (path.empty()) return PathProblem::empty;
  if (path.find('\0') != std::string_view::npos) return PathProblem::nul;
  if (path.front() == '/') return PathProblem::absolute;
  out.reserve(path.size());
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view c = path.substr(i, j - i);
    i = j + 1;
    if (c.empty() || c == ".") continue;
    if (c == "..") return PathProblem::dotdot;
    if (!out.empty()) out += '/';
    out.append(c);
  }
  return PathProblem::none;
}

const char *path_problem_text(PathProblem p) noexcept {
  switch (p) {
  case PathProblem::none: return "is fine";
  case PathProblem::empty: return "is empty";
  case PathProblem::absolute: return "is absolute";
  case PathProblem::dotdot: return "has a \"..\" component";
  case PathProblem::nul: return "contains a NUL byte";
  }
  return "is invalid";
}

Result<std::vector<std::string>> clean_relative_path(std::string_view path) {
  std::string joined;
  PathProblem p = clean_path_into(path, joined);
  if (p != PathProblem::none) {
    std::string shown(path.substr(0, path.find('\0')));
    return Error::make(Code::invalid, "\"" + shown + "\": path " + path_problem_text(p), shown);
  }
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < joined.size()) {
    size_t j = joined.find('/', i);
    if (j == std::string::npos) j = joined.size();
    parts.emplace_back(joined, i, j - i);
    i = j + 1;
  }
  return parts;
}

// ---------------------------------------------------------------- open_beneath

namespace {

// Without openat2 (kernels before 5.6, or a seccomp filter that hides it):
// walk one component at a time with O_NOFOLLOW. Stricter than openat2: every
// symlink in the parent chain is refused (EXDEV), even one that stays inside.
int open_walk(int dirfd, std::string_view rel, int flags, unsigned mode) {
  std::string clean;
  if (rel.empty() || rel == ".") clean.clear();
  else if (clean_path_into(rel, clean) != PathProblem::none) { errno = EXDEV; return -1; }
  if (clean.empty()) return ::openat(dirfd, ".", flags | O_CLOEXEC, mode);
  size_t last = clean.rfind('/');
  UniqueFd cur;
  int at = dirfd;
  if (last != std::string::npos) {
    size_t i = 0;
    while (i < last) {
      size_t j = clean.find('/', i);
      std::string comp = clean.substr(i, j - i);
      i = j + 1;
      int fd = ::openat(at, comp.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) {
        int e = errno;
        struct stat st;
        if (e == ENOTDIR && ::fstatat(at, comp.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
          e = EXDEV;
        errno = e;
        return -1;
      }
      cur.reset(fd);
      at = fd;
    }
  }
  std::string base = last == std::string::npos ? clean : clean.substr(last + 1);
  int fd = ::openat(at, base.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
  if (flags & O_NOFOLLOW) return fd;   // the caller's own O_NOFOLLOW semantics
  // The caller would have followed a final symlink (beneath): refused here.
  struct stat st;
  if (fd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
    int e = errno;
    errno = ::fstatat(at, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) ? EXDEV : e;
  } else if (fd >= 0 && (flags & O_PATH) && ::fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
    ::close(fd);   // O_PATH | O_NOFOLLOW opened the link itself
    fd = -1;
    errno = EXDEV;
  }
  return fd;
}

} // namespace

Result<UniqueFd> open_beneath(int dirfd, std::string_view rel, int flags, unsigned mode,
                              unsigned long long extra_resolve) {
  std::string path(rel.empty() ? std::string_view(".") : rel);
  if (path.find('\0') != std::string::npos)
    return Error::make(Code::invalid, "path contains a NUL byte", std::string(rel.substr(0, rel.find('\0'))));
  struct open_how how;
  std::memset(&how, 0, sizeof how);
  how.flags = unsigned(flags | O_CLOEXEC);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_NO_MAGICLINKS | extra_resolve;
  if (!(extra_resolve & RESOLVE_IN_ROOT)) how.resolve |= RESOLVE_BENEATH;   // the two exclude each other
  int fd = -1;
  for (int attempt = 0; attempt < 8; ++attempt) {
    fd = int(::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how));
    if (fd >= 0 || errno != EAGAIN) break;   // EAGAIN: a concurrent rename; the kernel asks to retry
  }
  // No openat2 (before Linux 5.6, or hidden by a seccomp filter): one failed
  // system call per open is cheaper than remembering it in global state.
  if (fd < 0 && errno == ENOSYS) fd = open_walk(dirfd, path, flags, mode);
  if (fd < 0) {
    Error e = Error::from_errno(errno, "open " + path);
    e.where = path;
    return e;
  }
  return UniqueFd(fd);
}

// ---------------------------------------------------------------- files

Status read_file_into(const std::string &path, size_t max_bytes, std::string &out) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    const int err = errno;
    out.clear();
    return Error::from_errno(err, "open " + path);
  }
  struct stat st;
  const bool regular = ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode);
  // A short read ends the file only past its stat size, and only when there
  // is one: /proc and /sys files say 0 and are read page by page.
  const bool sized = regular && st.st_size > 0;
  // Read straight into `out` (no bounce buffer). A regular file is asked for
  // one byte more than its size: the short read that answers is its end, so
  // a whole file takes one read(2). Other files are read until read(2) says 0.
  const size_t cap = max_bytes == SIZE_MAX ? max_bytes : max_bytes + 1;   // one past the limit: over it
  const size_t want = regular ? std::min(static_cast<size_t>(st.st_size) + 1, cap) : std::min<size_t>(65536, cap);
  size_t got = 0;
  // resize() zero-fills beyond the size `out` already has (the previous
  // file's): a buffer reused for files of similar sizes is barely filled.
  if (out.size() < want) out.resize(want);
  for (;;) {
    if (got == out.size()) {
      if (out.size() >= cap) break;
      out.resize(std::min(std::max(out.size() * 2, size_t{65536}), cap));
    }
    const ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      out.clear();
      return Error::from_errno(err, "read " + path);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
    if (sized && got < out.size() && got >= static_cast<size_t>(st.st_size)) break;   // the short read at the end
  }
  out.resize(got);
  if (got > max_bytes) {
    out.clear();
    return Error::make(Code::limit, path + ": larger than " + std::to_string(max_bytes) + " bytes", path);
  }
  return {};
}

Result<std::string> read_file(const std::string &path, size_t max_bytes) {
  std::string out;
  APPC_TRY_VOID(read_file_into(path, max_bytes, out));
  return out;
}

namespace {

std::pair<std::string, std::string> split_parent(const std::string &target) {
  std::string t = target;
  while (t.size() > 1 && t.back() == '/') t.pop_back();
  size_t slash = t.rfind('/');
  if (slash == std::string::npos) return {".", t};
  if (slash == 0) return {"/", t.substr(1)};
  return {t.substr(0, slash), t.substr(slash + 1)};
}

bool write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= size_t(w);
  }
  return true;
}

} // namespace

namespace {

Status write_via_temp(const std::string &path, std::string_view data, unsigned mode, bool durable) {
  auto [parent, base] = split_parent(path);
  std::string tmp = parent + "/." + base + ".tmp-XXXXXX";
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return Error::from_errno(errno, "create a temporary file beside " + path);
  UniqueFd guard(fd);
  auto fail = [&](const char *what) {
    Error e = Error::from_errno(errno, std::string(what) + " " + tmp);
    ::unlink(tmp.c_str());
    return e;
  };
  if (!write_all(fd, data.data(), data.size())) return fail("write");
  if (::fchmod(fd, mode) < 0) return fail("chmod");
  if (durable && ::fsync(fd) < 0) return fail("fsync");
  guard.reset();
  if (::rename(tmp.c_str(), path.c_str()) < 0) {
    Error e = Error::from_errno(errno, "rename " + tmp + " to " + path);
    ::unlink(tmp.c_str());
    return e;
  }
  if (durable) {
    UniqueFd dir(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir) ::fsync(dir.get());   // best effort: the rename is durable with the directory
  }
  return {};
}

} // namespace

Status write_file_atomic(const std::string &path, std::string_view data, unsigned mode) {
  return write_via_temp(path, data, mode, true);
}

Status write_file_replace(const std::string &path, std::string_view data, unsigned mode) {
  return write_via_temp(path, data, mode, false);
}

Status write_file_new(const std::string &path, std::string_view data, unsigned mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode & 07777));
  if (!fd) return Error::from_errno(errno, "create " + path);
  if (!write_all(fd.get(), data.data(), data.size())) {
    Error e = Error::from_errno(errno, "write " + path);
    fd.reset();
    ::unlink(path.c_str());
    return e;
  }
  // open() applied the umask; the mode asked for is the mode wanted.
  if (::fchmod(fd.get(), mode & 07777) < 0) return Error::from_errno(errno, "chmod " + path);
  return {};
}

// ---------------------------------------------------------------- remove_tree

namespace {

// Iterative, so that depth costs neither stack nor file descriptors: only
// the deepest kKeepOpen directories keep an fd; shallower ones are reopened
// through ".." of their child on the way back up (never through a symlink:
// every descent uses O_NOFOLLOW).
constexpr size_t kKeepOpen = 64;

struct Frame {
  UniqueFd fd;
  std::string name;                                  // name in the parent
  std::vector<std::pair<std::string, bool>> entries; // name, is a directory
  size_t next = 0;
};

int open_dir_nofollow(int at, const char *name) {
  int fd = ::openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == EACCES && ::fchmodat(at, name, 0700, 0) == 0)
    fd = ::openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  return fd;
}

bool list_dir(int fd, std::vector<std::pair<std::string, bool>> &out) {
  int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return false;
  DIR *d = ::fdopendir(dup);
  if (!d) {
    ::close(dup);
    return false;
  }
  while (struct dirent *de = ::readdir(d)) {
    if (!std::strcmp(de->d_name, ".") || !std::strcmp(de->d_name, "..")) continue;
    bool is_dir = de->d_type == DT_DIR;
    if (de->d_type == DT_UNKNOWN) {
      struct stat st;
      is_dir = ::fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    }
    out.emplace_back(de->d_name, is_dir);
  }
  ::closedir(d);
  return true;
}

int unlink_retry(int dirfd, const char *name, int flags) {
  int rc = ::unlinkat(dirfd, name, flags);
  if (rc < 0 && (errno == EACCES || errno == EPERM) && ::fchmod(dirfd, 0700) == 0)
    rc = ::unlinkat(dirfd, name, flags);
  return rc;
}

} // namespace

Status remove_tree_at(int dirfd, const std::string &name) {
  if (::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) return {};
  if (errno != EISDIR) return Error::from_errno(errno, "remove " + name);
  Status first;
  auto note = [&](Error e) { if (first) first = std::move(e); };

  std::vector<Frame> stack;
  {
    int fd = open_dir_nofollow(dirfd, name.c_str());
    if (fd < 0) return Error::from_errno(errno, "open " + name);
    stack.emplace_back();
    stack.back().fd.reset(fd);
    stack.back().name = name;
    if (!list_dir(fd, stack.back().entries)) note(Error::from_errno(errno, "list " + name));
  }
  while (!stack.empty()) {
    Frame &f = stack.back();
    if (f.next < f.entries.size()) {
      auto &[child, is_dir] = f.entries[f.next++];
      if (!is_dir) {
        if (unlink_retry(f.fd.get(), child.c_str(), 0) == 0 || errno == ENOENT) continue;
        if (errno != EISDIR) {
          note(Error::from_errno(errno, "remove " + child));
          continue;
        }
      }
      int fd = open_dir_nofollow(f.fd.get(), child.c_str());
      if (fd < 0) {
        if (errno != ENOENT) note(Error::from_errno(errno, "open " + child));
        continue;
      }
      Frame c;
      c.fd.reset(fd);
      c.name = child;
      if (!list_dir(fd, c.entries)) note(Error::from_errno(errno, "list " + child));
      stack.push_back(std::move(c));
      if (stack.size() > kKeepOpen) stack[stack.size() - 1 - kKeepOpen].fd.reset();
      continue;
    }
    // All entries handled: remove this directory from its parent.
    Frame done = std::move(stack.back());
    stack.pop_back();
    int parent = dirfd;
    if (!stack.empty()) {
      Frame &p = stack.back();
      if (!p.fd) {
        int fd = ::openat(done.fd.get(), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return Error::from_errno(errno, "reopen the parent of " + done.name);
        p.fd.reset(fd);
      }
      parent = p.fd.get();
    }
    done.fd.reset();
    if (unlink_retry(parent, done.name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
      note(Error::from_errno(errno, "remove directory " + done.name));
  }
  return first;
}

Status remove_tree(const std::string &path) { return remove_tree_at(AT_FDCWD, path); }

Result<bool> is_empty_dir(const std::string &path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOTDIR || errno == ELOOP) return false;
    return Error::from_errno(errno, "open " + path);
  }
  std::vector<std::pair<std::string, bool>> entries;
  if (!list_dir(fd.get(), entries)) return Error::from_errno(errno, "list " + path);
  return entries.empty();
}

Result<std::string> make_sibling_tempdir(const std::string &target) {
  auto [parent, base] = split_parent(target);
  if (base.empty() || base == "." || base == "..")
    return Error::make(Code::invalid, "\"" + target + "\" does not name a directory to create", target);
  std::string tmpl = (parent == "/" ? "" : parent) + "/." + base + ".tmp-XXXXXX";
  if (!::mkdtemp(tmpl.data())) return Error::from_errno(errno, "create a temporary directory beside " + target);
  return tmpl;
}

} // namespace appc
