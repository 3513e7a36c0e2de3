// A cgroup per pod, to find every process of the pod (a daemon that
// double-forked included) for stop, rm and gc. Only process tracking: no
// controller is needed. Which hierarchy (docs/executor.md):
//   - /sys/fs/cgroup is cgroup2 (pure v2): there;
//   - /sys/fs/cgroup/unified is cgroup2 (hybrid, often without controllers): there;
//   - else the v1 `pids` (or `freezer`) hierarchy (pure v1).
// The pod's cgroup is <hierarchy>/appc/<uuid>.
#include "executor/detail.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

namespace appc::executor::detail {

namespace {

bool is_fs(const char *path, long magic) {
  struct statfs sf;
  return ::statfs(path, &sf) == 0 && static_cast<long>(sf.f_type) == magic;
}

void nap_ms(long ms) {
  struct timespec ts{ms / 1000, (ms % 1000) * 1000000L};
  ::nanosleep(&ts, nullptr);
}

} // namespace

Result<std::string> cgroup_base() {
  if (const char *env = ::getenv("APPC_CGROUP_ROOT"); env && *env) return std::string(env);
  if (is_fs("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC)) return std::string("/sys/fs/cgroup");
  if (is_fs("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC)) return std::string("/sys/fs/cgroup/unified");
  for (const char *v1 : {"/sys/fs/cgroup/pids", "/sys/fs/cgroup/freezer"})
    if (is_fs(v1, CGROUP_SUPER_MAGIC)) return std::string(v1);
  return Error::make(Code::not_supported,
                     "no cgroup hierarchy to track the pod's processes: neither cgroup2 at /sys/fs/cgroup or "
                     "/sys/fs/cgroup/unified, nor the v1 pids or freezer hierarchy is mounted");
}

std::string cgroup_dir_for(const std::string &base, const std::string &uuid) {
  return base + "/appc/" + uuid;
}

Result<Cgroup> cgroup_create(const std::string &uuid) {
  std::string base = APPC_TRY(cgroup_base());
  Cgroup cg;
  cg.v2 = is_fs(base.c_str(), CGROUP2_SUPER_MAGIC);
  std::string parent = base + "/appc";
  if (::mkdir(parent.c_str(), 0755) < 0 && errno != EEXIST) return Error::from_errno(errno, "mkdir " + parent);
  cg.path = cgroup_dir_for(base, uuid);
  if (::mkdir(cg.path.c_str(), 0755) < 0 && errno != EEXIST) return Error::from_errno(errno, "mkdir " + cg.path);
  return cg;
}

std::vector<pid_t> cgroup_pids(const std::string &dir) {
  std::vector<pid_t> out;
  auto data = read_file(dir + "/cgroup.procs", 1u << 20);
  if (!data) return out;
  size_t s = 0;
  while (s < data->size()) {
    size_t nl = data->find('\n', s);
    if (nl == std::string::npos) nl = data->size();
    if (nl > s) out.push_back(static_cast<pid_t>(std::stol(data->substr(s, nl - s))));
    s = nl + 1;
  }
  return out;
}

void cgroup_kill(const std::string &dir) {
  if (dir.empty()) return;
  std::string kill_file = dir + "/cgroup.kill";
  int fd = ::open(kill_file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    bool ok = ::write(fd, "1", 1) == 1;
    ::close(fd);
    if (ok) return;
  }
  // No cgroup.kill (v1, kernels before 5.14): kill what is listed until
  // nothing is left; a process forking meanwhile shows up in the next round.
  for (int round = 0; round < 200; ++round) {
    auto pids = cgroup_pids(dir);
    if (pids.empty()) return;
    for (pid_t p : pids) ::kill(p, SIGKILL);
    nap_ms(5);
  }
}

Status cgroup_remove(const std::string &dir) {
  if (dir.empty()) return {};
  struct stat st;
  if (::stat(dir.c_str(), &st) < 0) return {};
  // Killed processes leave the cgroup when they have exited; give them a moment.
  for (int i = 0; i < 400; ++i) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return {};
    if (errno != EBUSY) return Error::from_errno(errno, "rmdir " + dir);
    cgroup_kill(dir);
    nap_ms(5);
  }
  return Error::make(Code::conflict, "cgroup " + dir + " still has processes after SIGKILL");
}

bool cgroup_attach_needed() {
  if (::getenv("APPC_NO_CLONE_INTO_CGROUP")) return true;
  auto base = cgroup_base();
  return !base || !is_fs(base->c_str(), CGROUP2_SUPER_MAGIC);
}

namespace {

// This process's cgroup.procs in the hierarchy mounted at `base`, from
// /proc/self/cgroup ("0::/path" for cgroup2, "N:ctrl,ctrl:/path" for v1).
std::string own_procs_file(const std::string &base) {
  auto data = read_file("/proc/self/cgroup", 1u << 16);
  if (!data) return {};
  const bool v2 = is_fs(base.c_str(), CGROUP2_SUPER_MAGIC);
  std::string ctrl = base.substr(base.rfind('/') + 1);   // "pids", "freezer"
  size_t s = 0;
  while (s < data->size()) {
    size_t nl = data->find('\n', s);
    if (nl == std::string::npos) nl = data->size();
    std::string line = data->substr(s, nl - s);
    s = nl + 1;
    size_t c1 = line.find(':'), c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string::npos) continue;
    std::string ctrls = line.substr(c1 + 1, c2 - c1 - 1), path = line.substr(c2 + 1);
    bool match = v2 ? line.compare(0, 3, "0::") == 0 : ("," + ctrls + ",").find("," + ctrl + ",") != std::string::npos;
    if (!match || path.empty() || path.front() != '/' || path.find("/..") != std::string::npos) continue;
    return base + (path == "/" ? "" : path) + "/cgroup.procs";
  }
  return {};
}

} // namespace

CgroupPrewarm::CgroupPrewarm() {
  if (!cgroup_attach_needed()) return;
  auto base = cgroup_base();
  if (!base) return;
  std::string file = own_procs_file(*base);
  if (file.empty()) return;
  try {
    thread_ = std::thread([file] {
      int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0) return;
      std::string pid = std::to_string(::getpid());
      (void)!::write(fd, pid.data(), pid.size());
      ::close(fd);
    });
  } catch (...) {
    // no thread: no prewarm
  }
}

CgroupPrewarm::~CgroupPrewarm() {
  if (thread_.joinable()) thread_.join();
}

int64_t now_ns() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

uint64_t proc_starttime(pid_t pid) {
  auto data = read_file("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!data) return 0;
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  size_t p = data->rfind(')');
  if (p == std::string::npos) return 0;
  size_t field = 2;
  size_t i = p + 1;
  while (i < data->size() && field < 22) {
    if ((*data)[i] == ' ') ++field;
    ++i;
  }
  if (field != 22) return 0;
  return std::stoull(data->substr(i, data->find(' ', i) - i));
}

} // namespace appc::executor::detail
