// The pod executor (ARCHITECTURE.md "A pod's life"; spec/checklist.md
// sections 7-8; docs/executor.md).
//
// A pod is a set of Linux namespaces (pid, mount, uts, ipc, and net unless
// host networking) whose PID 1 is the small appc-supervisor program, inside a
// cgroup of its own. Each app runs chrooted into its own overlay (lower: the
// store's rendered tree of its image; upper: per pod). Everything the pod
// mounts lives in the pod's mount namespace, so it disappears with the pod's
// last process; the pod directory holds the rest:
//
//   <root>/pods/<uuid>/
//     pod                  the reified pod manifest (canonical JSON)
//     config               runtime options: net, hostname, creation time
//     state                "prepared" | "running <pid> <starttime> <started_ns>"
//                          (starttime: /proc/<pid>/stat field 22, to tell a reused pid)
//     cgroup               the pod's cgroup directory (written when it starts)
//     lock                 flock'ed by the supervisor while the pod runs
//     apps/<app>/          lower (path of the tree rootfs), image (manifest),
//                          upper/, work/ (the app's overlay)
//     volumes/<name>/      empty volumes (removed with the pod)
//     rootfs/              mount point of the pod root (a tmpfs, in the pod's
//                          mount namespace only)
//     shared/              bound at /pod inside the pod: plan, status/<app>,
//                          logs/<app>, result, error
//
// "Running" is decided by trying the lock, so status() and list() from any
// process are right even after the supervisor was SIGKILLed or the machine
// rebooted (such a pod is reported exited, `stale`).
//
// Thread-safety: an Executor may be used from several threads; pods are
// serialised by file locks across processes. run() forks; the forked children
// only make system calls (everything is computed before), so the caller may
// be multithreaded.
#pragma once

#include "spec/types.hpp"
#include "util/error.hpp"

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace appc::store {
class Store;
}

namespace appc::executor {

enum class NetMode {
  none,   // a new network namespace with only loopback, up
  host,   // the host's network namespace
};
const char *net_mode_name(NetMode m) noexcept;

// One app of a pod made from an image (`appc prepare IMAGE...`).
struct AppOptions {
  // IMAGE: a stored image's ID or unique ID prefix ("sha512-..."), a name with
  // optional labels ("example.com/app,version=1.0"), or the path of an ACI
  // file (imported into the store first).
  std::string image;
  std::string name;                    // AC Name in the pod; "" = from the image name
  std::vector<std::string> exec;       // non-empty: replaces the app's exec (--exec)
  std::string user, group;             // non-empty: override (--user, --group)
  std::vector<spec::EnvVar> env;       // set for this app, over the image's (--set-env)
  std::vector<spec::Mount> mounts;     // {volume, path}: mount a pod volume at path (--mount)
  bool read_only_rootfs = false;
};

struct PodOptions {
  std::vector<AppOptions> apps;        // the apps, in order; or:
  // a pod manifest, template or reified (`--pod-manifest`): its images are
  // resolved through the store (by ID, else by name + labels).
  std::optional<spec::PodManifest> manifest;
  std::vector<spec::Volume> volumes;   // added to the pod's (--volume)
  std::vector<spec::EnvVar> env;       // for every app, after the image's and the app's (--set-env)
  NetMode net = NetMode::none;
  std::string hostname;                // "" = "appc-<uuid>"
  std::string uuid;                    // "" = a random RFC 4122 version 4 UUID (spec 81)
};

enum class PodState { prepared, running, exited };
const char *pod_state_name(PodState s) noexcept;

struct AppStatus {
  std::string name;
  std::string image_id;
  // finished: the main process (or its failed pre-start handler) has exited
  // and the supervisor recorded it. Not finished in an exited pod = the pod
  // ended without recording it (stopped before it started, or killed).
  bool finished = false;
  bool skipped = false;                // the pod was stopped before the app started
  bool pre_start_failed = false;       // exit_code/signal are the pre-start handler's
  int exit_code = -1;                  // 0..255; killed by signal S: 128+S
  int signal = 0;                      // the signal that killed it, else 0
};

struct PodStatus {
  std::string uuid;
  PodState state = PodState::prepared;
  // The supervisor ended without recording the pod's end (SIGKILLed, reboot):
  // state is exited and exit_code absent.
  bool stale = false;
  // The pod's status (when known): the first non-zero app status in app order,
  // else 0; an app killed by signal S counts as 128+S.
  std::optional<int> exit_code;
  pid_t pid = 0;                       // the supervisor (host pid) while running
  int64_t created_ns = 0, started_ns = 0, exited_ns = 0;   // Unix time; 0 unknown
  NetMode net = NetMode::none;
  std::string error;                   // a supervisor failure, when there was one
  std::vector<AppStatus> apps;
};

struct RunOptions {
  // Detached: the supervisor outlives the caller (own session, not a child of
  // the caller); run returns once it started. Attached: the apps' output also
  // goes to the caller's stdout/stderr, their stdin is the caller's, and run
  // returns when the pod has ended.
  bool detach = false;
};

struct RunResult {
  std::string uuid;
  std::optional<int> exit_code;        // attached: the pod's status
  pid_t pid = 0;                       // the supervisor's host pid
};

struct StopOptions {
  int grace_ms = 10000;                // after SIGTERM, before SIGKILL to every process of the pod
};

struct GcOptions {
  int64_t exited_grace_s = 30 * 60;    // exited pods older than this are removed
  int64_t prepared_grace_s = 24 * 3600;   // prepared pods never run, older than this
};
struct GcResult {
  std::vector<std::string> removed;    // UUIDs
};

// Whether enter gives the command a terminal of its own.
enum class EnterTty {
  auto_,    // when the caller's stdin and stdout are both terminals
  always,   // a terminal even without one on the caller's side (stdio relayed through it)
  never,    // the caller's stdio as it is (pipes stay pipes)
};

struct EnterOptions {
  std::string app;                     // "" = the pod's only app (an error when there are several)
  std::vector<std::string> argv;       // empty = {"/bin/sh"}; a bare name is searched in the app's PATH
  // With a terminal: a pseudo-terminal of the app's own /dev/pts is the
  // command's stdio and controlling terminal (it leads a session of its own,
  // so job control works); the caller's terminal is put in raw mode, bytes are
  // relayed both ways, the window size follows the caller's (SIGWINCH), and the
  // caller's terminal is restored on every way out.
  EnterTty tty = EnterTty::auto_;
};

enum class LogStream { stdout_, stderr_ };
struct LogEntry {
  std::string app;
  LogStream stream = LogStream::stdout_;
  std::string timestamp;               // RFC 3339 UTC with nanoseconds, as the supervisor wrote it
  int64_t time_ns = 0;                 // the same as Unix time
  std::string line;                    // without the newline
};
struct LogOptions {
  std::string app;                     // "" = every app, in app order (follow: what is new, app by app, every 100 ms)
  bool stdout_ = true, stderr_ = true;
  // Keep reading until the pod is no longer running (and everything is read)
  // or the callback returns false.
  bool follow = false;
};
// Return false to stop reading.
using LogFn = std::function<bool(const LogEntry &)>;

struct ExecutorOptions {
  std::string root = "/var/lib/appc";
  // The supervisor program; "" = $APPC_SUPERVISOR, else the installed one.
  std::string supervisor;
  // A store to use instead of opening <root>/store (borrowed; must outlive the executor).
  store::Store *store = nullptr;
};

class Executor {
public:
  static Result<std::unique_ptr<Executor>> open(const ExecutorOptions &opts = {});
  ~Executor();
  Executor(const Executor &) = delete;
  Executor &operator=(const Executor &) = delete;

  const std::string &root() const noexcept;
  const std::string &supervisor_path() const noexcept;

  // Reify the pod (spec 70, 81): resolve (and import) every image, take a
  // reference to its rendered tree for the pod, give every mount point a
  // volume, check host volume sources (spec 83), and write the pod directory
  // atomically. Returns the UUID. Nothing stays behind on failure.
  Result<std::string> prepare(const PodOptions &opts);

  // Run a prepared pod (only once). Attached: returns the pod's status.
  Result<RunResult> run_prepared(const std::string &uuid, const RunOptions &opts = {});
  // prepare + run_prepared. When the run cannot start, the prepared pod is removed.
  Result<RunResult> run(const PodOptions &pod, const RunOptions &opts = {});

  // A UUID from a unique prefix of one (as given when it is a full UUID).
  Result<std::string> resolve_uuid(const std::string &prefix);
  Result<PodStatus> status(const std::string &uuid);
  // Until the pod is no longer running and no process of it is left (what
  // survives its supervisor is killed); timeout_ms < 0: no limit (else
  // Code::conflict on timeout).
  Result<PodStatus> wait(const std::string &uuid, int timeout_ms = -1);
  // Every pod, oldest first.
  Result<std::vector<PodStatus>> list();
  // The pod's reified manifest (canonical JSON).
  Result<std::string> manifest(const std::string &uuid);

  // SIGTERM to the apps (through the supervisor, which runs post-stop
  // handlers), then SIGKILL to every process of the pod's cgroup after the
  // grace period. Returns when no process of the pod is left. A pod that is
  // not running: nothing to do (prepared: Code::conflict).
  Status stop(const std::string &uuid, const StopOptions &opts = {});
  // Remove a pod that is not running (a stale one included): mounts, cgroup,
  // overlay dirs, empty volumes, logs, the directory, the store references.
  Status rm(const std::string &uuid);
  Result<GcResult> gc(const GcOptions &opts = {});

  // Run a command in a running pod: its namespaces and cgroup, chrooted into
  // the app's rootfs, with the app's environment, as root. Stdio is the
  // caller's, or a terminal of the pod's (EnterOptions::tty). Returns the
  // command's status (128+S when killed by signal S).
  Result<int> enter(const std::string &uuid, const EnterOptions &opts = {});

  // The pod's logs (spec 85).
  Status logs(const std::string &uuid, const LogOptions &opts, const LogFn &fn);

  struct Impl;

private:
  explicit Executor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace appc::executor
