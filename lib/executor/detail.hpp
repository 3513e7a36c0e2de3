// Internals of the executor shared by its source files.
#pragma once

#include <thread>

#include "executor/executor.hpp"
#include "util/fs.hpp"

#include <sys/types.h>

#include <string>
#include <vector>

namespace appc::executor::detail {

// ---- launch.cpp: the forked side of run(). ----

// One step of the pod's setup, executed in order by the pod's first process
// (in its new namespaces) before it executes the supervisor. Everything is
// computed by the parent: the child only makes system calls.
struct Op {
  enum Kind {
    mount,        // mount(src, dst, fstype, flags, data); src "@source": the fd of open_source
    open_source,  // open src (a host volume's source) O_PATH without following any symlink
                  // (spec 83), in the pod's mount namespace, for the next mount's source
    mkdir,        // mkdir(dst, mode); exists is fine
    in_root,      // resolve/create dst (relative) inside the directory src, symlinks
                  // resolved inside it (RESOLVE_IN_ROOT); the result is the "current" fd;
                  // flags & 1: the last component is a file; flags & 2: do not create
    mknod,        // mknodat(current, dst, mode, dev); EPERM, or flags & 1: bind src instead
    symlink,      // symlinkat(src, current, dst)
    ro,           // make the mount at the current fd read-only (flags & 1: recursively)
    ro_path,      // make the mount at dst read-only (not its submounts)
    hosts,        // create src/etc/<dst> (default "hosts") with `data` unless it exists
                  // (spec 90; dst "resolv.conf": the host's, with host networking)
    hostname,     // sethostname(dst)
    lo_up,        // bring up loopback
    pivot,        // pivot_root into dst
  };
  Kind kind;
  std::string src, dst, fstype, data;
  unsigned long flags = 0;
  unsigned mode = 0;
  dev_t dev = 0;
  bool at = false;          // dst is relative to the current fd
  std::string what;         // for the error message: "mounting proc for app web"
};

struct LaunchSpec {
  bool detach = false;
  int clone_flags = 0;      // CLONE_NEW*
  int lock_fd = -1;         // the pod lock (held): inherited by the supervisor
  int supervisor_fd = -1;   // O_PATH of the supervisor binary
  int cgroup_procs_fd = -1; // the pod cgroup's cgroup.procs, -1: none
  // The gate (a pipe): the supervisor waits for one byte on gate_rd before it
  // starts any app; launch() writes it once the pod's first process is in the
  // pod's cgroup. The caller (the host side) moves that process into the
  // cgroup while it sets up its mounts, so the cgroup attach (a write to
  // cgroup.procs, which waits for an RCU grace period on many kernels) runs
  // beside the setup instead of before it. -1: no gate. launch() closes
  // gate_wr (it owns it); gate_rd stays the caller's.
  int gate_rd = -1, gate_wr = -1;
  // cgroup2: the pod's cgroup directory. The first process is then created
  // in it (clone3 CLONE_INTO_CGROUP, Linux 5.7), which needs no attach at
  // all; the gate opens at once. -1, or a kernel without it: the attach above.
  int cgroup_dir_fd = -1;
  int devnull_fd = -1;      // detached: the supervisor's stdio
  std::vector<Op> ops;
  std::vector<std::string> supervisor_argv;
};

// Start the pod; returns the supervisor's host pid once it executed the
// supervisor, or the failed step's error. Attached: the caller must reap it.
Result<pid_t> launch(const LaunchSpec &spec);

// ---- resolve.cpp: users, groups, exec (spec 12, 13). ----

// Read a file inside `rootfs`, symlinks resolved inside it. not_found when absent.
Result<std::string> read_in_root(const std::string &rootfs, const std::string &abs_path, size_t max);
// Item 13: the image's /etc/passwd (/etc/group), else all digits, else the owner of a path.
Result<uint32_t> resolve_user(const std::string &rootfs, const std::string &user);
Result<uint32_t> resolve_group(const std::string &rootfs, const std::string &group);
// Item 12: absolute (or containing '/': relative to cwd) as is; a bare name
// searched in PATH (of the app's environment) inside the rootfs.
Result<std::string> resolve_exec(const std::string &rootfs, const std::string &name,
                                 const std::string &path_env, const std::string &cwd);
// Does `abs_path` exist as a directory inside rootfs?
bool dir_in_root(const std::string &rootfs, const std::string &abs_path);

// ---- cgroup.cpp ----

struct Cgroup {
  std::string path;         // the pod's cgroup directory, "" when none
  bool v2 = false;
};
// The hierarchy used to track a pod's processes on this host: cgroup2 at
// /sys/fs/cgroup or /sys/fs/cgroup/unified, else v1 pids or freezer.
Result<std::string> cgroup_base();
std::string cgroup_dir_for(const std::string &base, const std::string &uuid);
Result<Cgroup> cgroup_create(const std::string &uuid);
// The pids in the pod's cgroup (empty when it does not exist).
std::vector<pid_t> cgroup_pids(const std::string &dir);
// SIGKILL every process of the cgroup (cgroup.kill when there is one).
void cgroup_kill(const std::string &dir);
// Kill what is left and remove the directory.
Status cgroup_remove(const std::string &dir);

// Will a pod started now be attached to its cgroup by a write to
// cgroup.procs (v1, or cgroup2 without CLONE_INTO_CGROUP), rather than
// created in it?
bool cgroup_attach_needed();
// The first write to any cgroup.procs after a quiet spell waits for an RCU
// grace period (the kernel's rcu_sync for the cgroup threadgroup lock); one
// within a grace period of the previous does not. CgroupPrewarm starts, on a
// thread of its own, a write that moves this process into the cgroup it is
// already in (no move at all), so that the grace period passes while the pod
// is being prepared instead of after. Joined by the destructor; every error
// ignored (it only saves time).
class CgroupPrewarm {
public:
  CgroupPrewarm();
  ~CgroupPrewarm();
  CgroupPrewarm(const CgroupPrewarm &) = delete;
  CgroupPrewarm &operator=(const CgroupPrewarm &) = delete;
private:
  std::thread thread_;
};

// ---- tty.cpp: enter with a terminal. ----

// Does enter give the command a terminal (EnterTty::auto_: our stdin and
// stdout are terminals)?
bool enter_wants_tty(EnterTty mode);
struct PodPty {
  UniqueFd master;          // non-blocking, close-on-exec
  UniqueFd slave;           // close-on-exec; the command's stdio and controlling terminal
};
// A new pseudo-terminal of the devpts instance mounted at the app's /dev/pts
// (`app_root`: the app's rootfs as seen from here, /proc/<pid>/root/...),
// with the caller's terminal settings and window size.
Result<PodPty> open_pod_pty(const std::string &app_root);
// Relay between our stdio and the pty's master until `child` (our child,
// which holds the slave) has exited: our terminal in raw mode, the window
// size following ours; our terminal restored on every way out. Returns the
// child's status (128+S when killed by signal S).
Result<int> relay_tty(UniqueFd master, pid_t child);

// ---- misc ----
int64_t now_ns();
// Field 22 of /proc/<pid>/stat; 0 when the process does not exist.
uint64_t proc_starttime(pid_t pid);

} // namespace appc::executor::detail
