// The forked side of run(): the pod's first process sets up its namespaces'
// mounts and executes the supervisor. The parent computed every step (Op);
// between clone() and execveat() only system calls are made (no allocation,
// no locks), so a multithreaded caller is safe. A failed step is reported up a
// pipe as {op index, errno} (crun: send_error_to_sync_socket) and formatted by
// the parent.
#include "executor/detail.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace appc::executor::detail {

namespace {

struct Msg {
  int32_t kind;   // 1: pid of the pod's first process (detached), 2: error
  int32_t op;     // failed op index; -1 before the ops, -2 exec
  int32_t err;
  int32_t pid;
};

// ---- async-signal-safe helpers (child side) ----

void put_msg(int fd, const Msg &m) {
  ssize_t r;
  do r = ::write(fd, &m, sizeof m);
  while (r < 0 && errno == EINTR);
}

[[noreturn]] void fail(int fd, int op, int err) {
  put_msg(fd, Msg{2, op, err, 0});
  ::_exit(125);
}

// "/proc/self/fd/<fd>[/<rel>]" into buf.
const char *fd_path(char *buf, size_t cap, int fd, const char *rel) {
  static const char prefix[] = "/proc/self/fd/";
  size_t n = 0;
  for (const char *p = prefix; *p && n + 1 < cap; ++p) buf[n++] = *p;
  char digits[16];
  int d = 0;
  unsigned v = static_cast<unsigned>(fd);
  do {
    digits[d++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v && d < 16);
  while (d > 0 && n + 1 < cap) buf[n++] = digits[--d];
  if (rel && *rel) {
    if (n + 1 < cap) buf[n++] = '/';
    for (const char *p = rel; *p && n + 1 < cap; ++p) buf[n++] = *p;
  }
  buf[n] = '\0';
  return buf;
}

int openat2_in_root(int rootfd, const char *rel, int flags) {
  struct open_how how;
  std::memset(&how, 0, sizeof how);
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, rootfd, rel, &how, sizeof how));
}

// Resolve `rel` inside the directory `root` (symlinks resolved inside it),
// creating missing directories (mode 0755, spec 82) and, when `file`, an
// empty file as the last component. Returns an O_PATH fd or -errno.
int resolve_in_root(const char *root, const char *rel, bool file, bool create) {
  int rootfd = ::open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) return -errno;
  char prefix[4096];
  size_t len = std::strlen(rel);
  if (len >= sizeof prefix) {
    ::close(rootfd);
    return -ENAMETOOLONG;
  }
  std::memcpy(prefix, rel, len + 1);
  if (len == 0) return rootfd;
  int fd = openat2_in_root(rootfd, prefix, O_PATH);
  if (fd >= 0 || errno != ENOENT || !create) {
    int e = errno;
    ::close(rootfd);
    return fd >= 0 ? fd : -e;
  }
  // Walk component by component, creating what is missing.
  int cur = ::dup(rootfd);
  size_t start = 0;
  while (start < len) {
    size_t end = start;
    while (end < len && prefix[end] != '/') ++end;
    bool last = end >= len;
    char saved = prefix[end];
    prefix[end] = '\0';
    if (end > start) {
      int next = openat2_in_root(rootfd, prefix, O_PATH);
      if (next < 0 && errno == ENOENT) {
        const char *name = prefix + start;
        if (last && file) {
          int f = ::openat(cur, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
          if (f >= 0) ::close(f);
        } else {
          (void)::mkdirat(cur, name, 0755);
        }
        next = openat2_in_root(rootfd, prefix, O_PATH);
      }
      if (next < 0) {
        int e = errno;
        ::close(cur);
        ::close(rootfd);
        return -e;
      }
      ::close(cur);
      cur = next;
    }
    prefix[end] = saved;
    start = end + 1;
  }
  ::close(rootfd);
  return cur;
}

int make_ro(int fd, bool recursive) {
  struct mount_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.attr_set = MOUNT_ATTR_RDONLY;
  unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  if (::syscall(SYS_mount_setattr, fd, "", flags, &attr, sizeof attr) == 0) return 0;
  if (errno != ENOSYS) return -1;
  char buf[64];
  return ::mount(nullptr, fd_path(buf, sizeof buf, fd, nullptr), nullptr,
                 MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr);
}

int lo_up() {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  std::memcpy(ifr.ifr_name, "lo", 3);
  int r = ::ioctl(s, SIOCGIFFLAGS, &ifr);
  if (r == 0) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    r = ::ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  int e = errno;
  ::close(s);
  errno = e;
  return r;
}

// Create <root>/etc/<name> holding `content` unless the image has one (spec 90
// for /etc/hosts; the same rule for /etc/resolv.conf with host networking).
int write_etc_file(const char *root, const char *name, const std::string &content) {
  char rel[256] = "etc/";
  std::strncat(rel, name, sizeof rel - 5);
  int fd = resolve_in_root(root, rel, false, false);
  if (fd >= 0) {                       // present: never modified (spec 90)
    ::close(fd);
    return 0;
  }
  int etc = resolve_in_root(root, "etc", false, true);
  if (etc < 0) {
    errno = -etc;
    return -1;
  }
  // O_PATH fds cannot be used with openat(O_CREAT): reopen the directory.
  char buf[64];
  int dir = ::open(fd_path(buf, sizeof buf, etc, nullptr), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  ::close(etc);
  if (dir < 0) return -1;
  int f = ::openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  int e = errno;
  ::close(dir);
  if (f < 0) {
    if (e == EEXIST) return 0;         // a dangling symlink: left alone
    errno = e;
    return -1;
  }
  const char *p = content.c_str();
  size_t n = content.size();
  while (n > 0) {
    ssize_t w = ::write(f, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      e = errno;
      ::close(f);
      errno = e;
      return -1;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  ::close(f);
  return 0;
}

int run_op(const Op &op, int &cur, int &srcfd) {
  char buf[4200];
  char sbuf[64];
  auto dst = [&]() -> const char * {
    return op.at ? fd_path(buf, sizeof buf, cur, op.dst.c_str()) : op.dst.c_str();
  };
  switch (op.kind) {
  case Op::mount:
    return ::mount(op.src.empty() ? nullptr
                   : op.src == "@source" ? fd_path(sbuf, sizeof sbuf, srcfd, nullptr)
                                         : op.src.c_str(),
                   dst(),
                   op.fstype.empty() ? nullptr : op.fstype.c_str(), op.flags,
                   op.data.empty() ? nullptr : op.data.c_str());
  case Op::open_source: {
    // Opened here, not by the parent: a bind mount's source must be in the
    // caller's mount namespace.
    if (srcfd >= 0) ::close(srcfd);
    struct open_how how;
    std::memset(&how, 0, sizeof how);
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_NO_SYMLINKS;
    srcfd = static_cast<int>(::syscall(SYS_openat2, AT_FDCWD, op.src.c_str(), &how, sizeof how));
    return srcfd < 0 ? -1 : 0;
  }
  case Op::mkdir: {
    int r = op.at ? ::mkdirat(cur, op.dst.c_str(), op.mode) : ::mkdir(op.dst.c_str(), op.mode);
    if (r < 0 && errno == EEXIST) return 0;
    if (r == 0 && op.at) (void)::fchmodat(cur, op.dst.c_str(), op.mode, 0);   // past the umask
    return r;
  }
  case Op::in_root: {
    if (cur >= 0) ::close(cur);
    cur = resolve_in_root(op.src.c_str(), op.dst.c_str(), (op.flags & 1) != 0, (op.flags & 2) == 0);
    if (cur < 0) {
      errno = -cur;
      cur = -1;
      return -1;
    }
    return 0;
  }
  case Op::mknod: {
    // The current fd is O_PATH: go through its /proc path.
    char dir[64];
    int dfd = ::open(fd_path(dir, sizeof dir, cur, nullptr), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (dfd < 0) return -1;
    int r = (op.flags & 1) ? -1 : ::mknodat(dfd, op.dst.c_str(), op.mode, op.dev);
    if ((op.flags & 1) || (r < 0 && (errno == EPERM || errno == EACCES))) {
      // Not allowed to create device nodes here: bind the host's.
      int f = ::openat(dfd, op.dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (f >= 0) ::close(f);
      r = f < 0 ? -1 : ::mount(op.src.c_str(), dst(), nullptr, MS_BIND, nullptr);
    } else if (r == 0) {
      r = ::fchmodat(dfd, op.dst.c_str(), op.mode & 07777, 0);
    }
    int e = errno;
    ::close(dfd);
    errno = e;
    return r;
  }
  case Op::symlink:
    return ::symlink(op.src.c_str(), dst());
  case Op::ro:
    return make_ro(cur, (op.flags & 1) != 0);
  case Op::ro_path:
    return ::mount(nullptr, op.dst.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr);
  case Op::hosts:
    return write_etc_file(op.src.c_str(), op.dst.empty() ? "hosts" : op.dst.c_str(), op.data);
  case Op::hostname:
    return ::sethostname(op.dst.c_str(), op.dst.size());
  case Op::lo_up:
    return lo_up();
  case Op::pivot:
    if (::chdir(op.dst.c_str()) < 0) return -1;
    if (::syscall(SYS_pivot_root, ".", ".") < 0) return -1;
    if (::umount2(".", MNT_DETACH) < 0) return -1;
    return ::chdir("/");
  }
  errno = EINVAL;
  return -1;
}

// The pod's first process: PID 1 of the new namespaces.
[[noreturn]] void pod_init(const LaunchSpec &spec, int errfd, char *const *argv, bool in_cgroup) {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Without a gate the process joins its cgroup itself, before anything else.
  if (!in_cgroup && spec.gate_rd < 0 && spec.cgroup_procs_fd >= 0 && ::write(spec.cgroup_procs_fd, "0", 1) < 0)
    fail(errfd, -3, errno);
  if (spec.detach) {
    for (int fd = 0; fd < 3; ++fd)
      if (::dup2(spec.devnull_fd, fd) < 0) fail(errfd, -1, errno);
  }
  // Only stdio and the lock reach the supervisor.
  if (::syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC) < 0) fail(errfd, -1, errno);
  if (::fcntl(spec.lock_fd, F_SETFD, 0) < 0) fail(errfd, -1, errno);
  if (spec.gate_rd >= 0 && ::fcntl(spec.gate_rd, F_SETFD, 0) < 0) fail(errfd, -1, errno);
  // Nothing mounted here may propagate to the host.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) fail(errfd, -1, errno);
  int cur = -1, srcfd = -1;
  for (size_t i = 0; i < spec.ops.size(); ++i)
    if (run_op(spec.ops[i], cur, srcfd) < 0) fail(errfd, static_cast<int>(i), errno);
  if (cur >= 0) ::close(cur);
  if (srcfd >= 0) ::close(srcfd);
  static char *const envp[] = {const_cast<char *>("PATH=/usr/sbin:/usr/bin:/sbin:/bin"), nullptr};
  ::syscall(SYS_execveat, spec.supervisor_fd, "", argv, envp, AT_EMPTY_PATH);
  fail(errfd, -2, errno);
}

pid_t raw_clone(unsigned long flags) {
  return static_cast<pid_t>(::syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

struct CloneArgs {   // struct clone_args of Linux 5.7 (CLONE_ARGS_SIZE_VER2)
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size,
      cgroup;
};

// The pod's first process, created inside the pod's cgroup when cgroup_fd is
// a cgroup2 directory and the kernel can (sets *in_cgroup); else a plain
// clone. Only system calls: safe between fork and exec.
pid_t clone_pod(unsigned long flags, int cgroup_fd, bool *in_cgroup) {
  *in_cgroup = false;
#ifdef SYS_clone3
  if (cgroup_fd >= 0) {
    CloneArgs ca;
    std::memset(&ca, 0, sizeof ca);
    ca.flags = flags | CLONE_INTO_CGROUP;
    ca.exit_signal = SIGCHLD;
    ca.cgroup = static_cast<uint64_t>(cgroup_fd);
    long r = ::syscall(SYS_clone3, &ca, sizeof ca);
    if (r >= 0) {
      *in_cgroup = true;
      return static_cast<pid_t>(r);
    }
    // ENOSYS, E2BIG, EINVAL (older kernels), EOPNOTSUPP...: the attach way.
  }
#endif
  return raw_clone(flags);
}

std::string step_name(const LaunchSpec &spec, int op) {
  if (op >= 0 && static_cast<size_t>(op) < spec.ops.size()) return spec.ops[static_cast<size_t>(op)].what;
  if (op == -2) return "executing the supervisor";
  if (op == -3) return "joining the pod's cgroup";
  return "setting up the pod's first process";
}

} // namespace

Result<pid_t> launch(const LaunchSpec &spec) {
  UniqueFd gate(spec.gate_wr);   // ours: closed on every way out
  std::vector<char *> argv;
  for (const auto &a : spec.supervisor_argv) argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);

  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) return Error::from_errno(errno, "pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  unsigned long flags = static_cast<unsigned long>(spec.clone_flags);

  // Move the pod's first process into the pod's cgroup from here, while it
  // sets up its mounts (see LaunchSpec::gate_rd).
  int join_err = 0;
  auto join = [&](pid_t pid) {
    if (spec.gate_rd < 0 || spec.cgroup_procs_fd < 0 || pid <= 0) return;
    // The host side (not the forked child): allocating is fine here.
    const std::string text = std::to_string(pid);
    ssize_t w;
    do w = ::write(spec.cgroup_procs_fd, text.data(), text.size());
    while (w < 0 && errno == EINTR);
    if (w != static_cast<ssize_t>(text.size())) {
      join_err = w < 0 ? errno : EIO;
      ::kill(pid, SIGKILL);   // it waits at the gate: it never ran anything
    }
  };

  pid_t first = -1;
  if (spec.detach) {
    // Double fork: the supervisor is nobody's child of ours, in a session of its own.
    pid_t mid = raw_clone(0);
    if (mid < 0) return Error::from_errno(errno, "fork");
    if (mid == 0) {
      ::setsid();
      bool inside = false;
      pid_t pod = clone_pod(flags, spec.cgroup_dir_fd, &inside);
      if (pod == 0) pod_init(spec, wr.get(), argv.data(), inside);
      if (pod < 0) fail(wr.get(), -1, errno);
      put_msg(wr.get(), Msg{1, inside ? 1 : 0, 0, pod});
      ::_exit(0);
    }
    wr.reset();
    int ws = 0;
    while (::waitpid(mid, &ws, 0) < 0 && errno == EINTR) {}
  } else {
    bool inside = false;
    first = clone_pod(flags, spec.cgroup_dir_fd, &inside);
    if (first < 0) return Error::from_errno(errno, "clone (new pid, mount, uts, ipc, net namespaces)");
    if (first == 0) pod_init(spec, wr.get(), argv.data(), inside);
    wr.reset();
    if (!inside) join(first);
  }

  Msg m{};
  std::optional<Msg> err;
  for (;;) {
    ssize_t r = ::read(rd.get(), &m, sizeof m);
    if (r < 0 && errno == EINTR) continue;
    if (r != static_cast<ssize_t>(sizeof m)) break;
    if (m.kind == 1) {
      first = m.pid;
      if (m.op != 1) join(first);   // op 1: created inside its cgroup
    } else if (m.kind == 2) {
      err = m;
    }
  }
  if (!err && join_err) err = Msg{2, -3, join_err, 0};
  if (gate) {
    // Open the gate (or, on an error, close it unopened: the supervisor then
    // exits without starting anything).
    if (!err) {
      ssize_t w;
      do w = ::write(gate.get(), "g", 1);
      while (w < 0 && errno == EINTR);
    }
    gate.reset();
  }
  if (err) {
    if (!spec.detach && first > 0) {
      int ws;
      while (::waitpid(first, &ws, 0) < 0 && errno == EINTR) {}
    }
    return Error::from_errno(err->err, step_name(spec, err->op));
  }
  if (first <= 0) return Error::make(Code::os, "the pod's first process did not start");
  return first;
}

} // namespace appc::executor::detail
