// `enter` with a terminal: a pseudo-terminal of the app's own devpts instance
// (so that inside the pod `tty` names /dev/pts/N of the pod and the command
// can make it its controlling terminal), the caller's terminal in raw mode,
// bytes relayed both ways, the window size forwarded on SIGWINCH, and the
// caller's terminal restored on every way out (docs/executor.md "enter").
#include "executor/detail.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>

namespace appc::executor::detail {

namespace {

// The caller's terminal: fd 0 when it is one (raw mode, input), the window
// size from fd 0 or else fd 1.
int winsize_source() {
  if (::isatty(0)) return 0;
  if (::isatty(1)) return 1;
  return -1;
}

void copy_winsize(int from, int to) {
  struct winsize ws;
  if (from >= 0 && ::ioctl(from, TIOCGWINSZ, &ws) == 0) (void)::ioctl(to, TIOCSWINSZ, &ws);
}

// ---- signals while relaying ----
// SIGWINCH, and the terminating signals nobody handles (their disposition is
// SIG_DFL), are turned into bytes on a pipe (the signal number). A
// terminating signal ends the relay: the terminal is restored, then the
// signal is raised again with its default action.

std::atomic<int> g_sig_fd{-1};

extern "C" void on_relay_signal(int sig) {
  int saved = errno;
  int fd = g_sig_fd.load(std::memory_order_relaxed);
  if (fd >= 0) {
    unsigned char b = static_cast<unsigned char>(sig);
    (void)!::write(fd, &b, 1);
  }
  errno = saved;
}

constexpr int kTermSignals[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM};

// One relay at a time installs the handlers (they are process-wide).
std::mutex g_relay_mu;

class SignalGuard {
public:
  explicit SignalGuard(int write_fd) {
    g_sig_fd.store(write_fd);
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_relay_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    installed_[0] = ::sigaction(SIGWINCH, &sa, &old_[0]) == 0;
    for (size_t i = 0; i < std::size(kTermSignals); ++i) {
      struct sigaction cur;
      if (::sigaction(kTermSignals[i], nullptr, &cur) == 0 && cur.sa_handler == SIG_DFL)
        installed_[i + 1] = ::sigaction(kTermSignals[i], &sa, &old_[i + 1]) == 0;
    }
  }
  ~SignalGuard() {
    if (installed_[0]) ::sigaction(SIGWINCH, &old_[0], nullptr);
    for (size_t i = 0; i < std::size(kTermSignals); ++i)
      if (installed_[i + 1]) ::sigaction(kTermSignals[i], &old_[i + 1], nullptr);
    g_sig_fd.store(-1);
  }
  SignalGuard(const SignalGuard &) = delete;
  SignalGuard &operator=(const SignalGuard &) = delete;

private:
  struct sigaction old_[1 + std::size(kTermSignals)];
  bool installed_[1 + std::size(kTermSignals)] = {};
};

// The caller's terminal in raw mode for the guard's lifetime.
class RawMode {
public:
  RawMode() {
    if (!::isatty(0) || ::tcgetattr(0, &saved_) < 0) return;
    struct termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(0, TCSADRAIN, &raw) == 0;
  }
  ~RawMode() { restore(); }
  void restore() {
    if (active_) (void)::tcsetattr(0, TCSADRAIN, &saved_);
    active_ = false;
  }
  RawMode(const RawMode &) = delete;
  RawMode &operator=(const RawMode &) = delete;

private:
  struct termios saved_{};
  bool active_ = false;
};

bool write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      struct pollfd pf{fd, POLLOUT, 0};
      (void)::poll(&pf, 1, -1);
      continue;
    }
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// What the master has now (the pod's output; at most `max_reads` reads, so
// that a chatty command does not starve our input), to our stdout; false on
// EIO (every slave side closed) or EOF.
bool drain_master(int master, int max_reads = 1 << 30) {
  char buf[8192];
  for (int i = 0; i < max_reads; ++i) {
    ssize_t r = ::read(master, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EAGAIN) return true;
    if (r <= 0) return false;
    (void)write_all(1, buf, static_cast<size_t>(r));
  }
  return true;
}

int exit_status(int ws) { return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws); }

} // namespace

bool enter_wants_tty(EnterTty mode) {
  switch (mode) {
  case EnterTty::always: return true;
  case EnterTty::never: return false;
  case EnterTty::auto_: return ::isatty(0) && ::isatty(1);
  }
  return false;
}

Result<PodPty> open_pod_pty(const std::string &app_root) {
  UniqueFd root(::open(app_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return Error::from_errno(errno, "open " + app_root);
  // The app's /dev/pts/ptmx, symlinks resolved inside the app's rootfs: never
  // a file outside it, whatever the app did to its /dev.
  struct open_how how;
  std::memset(&how, 0, sizeof how);
  how.flags = O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  UniqueFd master(static_cast<int>(::syscall(SYS_openat2, root.get(), "dev/pts/ptmx", &how, sizeof how)));
  if (!master) return Error::from_errno(errno, "open the pod's /dev/pts/ptmx (" + app_root + "/dev/pts/ptmx)");
  struct stat st;
  struct statfs sf;
  if (::fstat(master.get(), &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2 ||
      ::fstatfs(master.get(), &sf) < 0 || static_cast<long>(sf.f_type) != DEVPTS_SUPER_MAGIC)
    return Error::make(Code::invalid, app_root + "/dev/pts/ptmx is not the pty multiplexer of a devpts file system");
  int unlock = 0;
  if (::ioctl(master.get(), TIOCSPTLCK, &unlock) < 0) return Error::from_errno(errno, "unlock the pod's pty");
  // The slave through the master (no path lookup in the pod's /dev/pts).
  UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) return Error::from_errno(errno, "open the slave side of the pod's pty");
  // The caller's line settings (erase character and the like) and window size.
  struct termios t;
  if (::isatty(0) && ::tcgetattr(0, &t) == 0) (void)::tcsetattr(slave.get(), TCSANOW, &t);
  copy_winsize(winsize_source(), master.get());
  // Clear of 0..2, which the command's side dup2()s the slave over.
  for (UniqueFd *fd : {&master, &slave})
    if (fd->get() < 3) {
      int hi = ::fcntl(fd->get(), F_DUPFD_CLOEXEC, 3);
      if (hi < 0) return Error::from_errno(errno, "dup the pod's pty");
      fd->reset(hi);
    }
  return PodPty{std::move(master), std::move(slave)};
}

Result<int> relay_tty(UniqueFd master_fd, pid_t child) {
  std::lock_guard<std::mutex> one(g_relay_mu);
  int master = master_fd.get();
  int sp[2];
  if (::pipe2(sp, O_CLOEXEC | O_NONBLOCK) < 0) {
    int e = errno;
    master_fd.reset();   // the command gets SIGHUP
    int ws;
    while (::waitpid(child, &ws, 0) < 0 && errno == EINTR) {}
    return Error::from_errno(e, "pipe");
  }
  UniqueFd sig_rd(sp[0]), sig_wr(sp[1]);
  // Without pidfd_open (kernels before 5.3), the child is polled every 100 ms.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, child, 0)));
  int term_sig = 0;
  std::optional<int> done;   // the child's wait status once reaped
  {
    SignalGuard signals(sig_wr.get());
    RawMode raw;
    int wsrc = winsize_source();
    copy_winsize(wsrc, master);   // a resize before the handler was installed
    bool in_open = true, master_open = true, child_exited = false;
    std::string pending;          // stdin bytes not yet taken by the pty
    char buf[8192];
    while (!child_exited && term_sig == 0) {
      struct pollfd fds[4];
      int n = 0;
      fds[n++] = {sig_rd.get(), POLLIN, 0};
      int i_in = -1, i_master = -1, i_pid = -1;
      if (in_open && pending.size() < sizeof buf) fds[i_in = n++] = {0, POLLIN, 0};
      if (master_open) fds[i_master = n++] = {master, static_cast<short>(POLLIN | (pending.empty() ? 0 : POLLOUT)), 0};
      if (pidfd) fds[i_pid = n++] = {pidfd.get(), POLLIN, 0};
      int r = ::poll(fds, static_cast<nfds_t>(n), pidfd ? -1 : 100);
      if (r < 0 && errno != EINTR) break;
      // Signals first, whatever poll reported: a resize that happened before
      // some input is applied before that input reaches the pod.
      unsigned char sigs[64];
      for (ssize_t k; (k = ::read(sig_rd.get(), sigs, sizeof sigs)) > 0;)
        for (ssize_t j = 0; j < k; ++j) {
          if (sigs[j] == SIGWINCH) copy_winsize(wsrc, master);
          else term_sig = sigs[j];
        }
      if (term_sig != 0) break;
      if (r > 0) {
        if (i_in >= 0 && (fds[i_in].revents & (POLLIN | POLLHUP | POLLERR))) {
          ssize_t k = ::read(0, buf, sizeof buf - pending.size());
          if (k > 0) {
            pending.append(buf, static_cast<size_t>(k));
          } else if (k == 0 || (errno != EINTR && errno != EAGAIN)) {
            // End of our input: the pod's end-of-file character, as typing ^D.
            in_open = false;
            struct termios t;
            pending += static_cast<char>(::tcgetattr(master, &t) == 0 ? t.c_cc[VEOF] : 4);
          }
        }
        if (i_master >= 0 && !pending.empty() && (fds[i_master].revents & POLLOUT)) {
          ssize_t w = ::write(master, pending.data(), pending.size());
          if (w > 0) pending.erase(0, static_cast<size_t>(w));
        }
        if (i_master >= 0 && (fds[i_master].revents & (POLLIN | POLLHUP | POLLERR)))
          master_open = drain_master(master, 16);
        if (i_pid >= 0 && (fds[i_pid].revents & POLLIN)) child_exited = true;
      }
      if (!pidfd) {
        int ws = 0;
        if (::waitpid(child, &ws, WNOHANG) == child) {
          done = ws;
          child_exited = true;
        }
      }
    }
    // What the command wrote before it exited.
    if (child_exited && master_open) (void)drain_master(master);
  }   // the caller's terminal and signal handlers are restored here
  if (term_sig != 0) {
    // Killed while relaying: hang up the pod's terminal (the command gets
    // SIGHUP), then die of the signal as if nothing had caught it.
    master_fd.reset();
    ::raise(term_sig);
  }
  if (done) return exit_status(*done);
  int ws = 0;
  while (::waitpid(child, &ws, 0) < 0 && errno == EINTR) {}
  return exit_status(ws);
}

} // namespace appc::executor::detail
