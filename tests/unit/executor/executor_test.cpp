// Real pods: a busybox (static) ACI built in the test, imported into a
// scratch store under /dev/shm, run by the executor with the supervisor from
// the build tree ($APPC_SUPERVISOR). Needs root (namespaces, mounts,
// cgroups): without it the whole program exits 77 (skip).
#include "aci/aci.hpp"
#include "executor/detail.hpp"
#include "executor/executor.hpp"
#include "spec/manifest.hpp"
#include "store/store.hpp"
#include "util/fs.hpp"

#include <doctest/doctest.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace ex = appc::executor;
using appc::spec::EnvVar;

namespace {

const bool kRootOrSkip = [] {
  if (::geteuid() != 0) {
    std::fprintf(stderr, "unit_executor: skipped: running pods needs root (namespaces, mounts, cgroups)\n");
    std::_Exit(77);
  }
  return true;
}();

void nap_ms(long ms) {
  struct timespec ts{ms / 1000, (ms % 1000) * 1000000L};
  ::nanosleep(&ts, nullptr);
}

void put(const std::string &path, const std::string &data, unsigned mode = 0644) {
  FILE *f = std::fopen(path.c_str(), "wb");
  REQUIRE_MESSAGE(f != nullptr, "cannot create " << path);
  REQUIRE(std::fwrite(data.data(), 1, data.size(), f) == data.size());
  std::fclose(f);
  ::chmod(path.c_str(), mode);
}

std::string slurp(const std::string &path) {
  auto r = appc::read_file(path, 1u << 24);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
  return *r;
}

bool exists(const std::string &p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0;
}

std::vector<std::string> lines(const std::string &s) {
  std::vector<std::string> out;
  size_t b = 0;
  while (b < s.size()) {
    size_t e = s.find('\n', b);
    if (e == std::string::npos) e = s.size();
    out.push_back(s.substr(b, e - b));
    b = e + 1;
  }
  return out;
}

std::vector<std::string> dir_entries(const std::string &dir) {
  std::vector<std::string> out;
  if (DIR *d = ::opendir(dir.c_str())) {
    while (struct dirent *de = ::readdir(d))
      if (std::strcmp(de->d_name, ".") && std::strcmp(de->d_name, "..")) out.push_back(de->d_name);
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The scratch world shared by every test: a busybox ACI in a store under
// /dev/shm. Removed at exit.
// Removed with everything in it, also when the World's constructor fails.
struct ScratchDir {
  std::string path;
  ScratchDir() {
    char tmpl[] = "/dev/shm/appc-exec-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
    ::chmod(path.c_str(), 0755);
  }
  ~ScratchDir() { (void)appc::remove_tree(path); }
};

struct World {
  ScratchDir scratch;
  std::string dir = scratch.path, root, aci, image_id;
  std::unique_ptr<appc::store::Store> store;
  std::unique_ptr<ex::Executor> exec;

  World() {
    root = dir + "/root";
    build_busybox();
    auto st = appc::store::Store::open(root);
    REQUIRE_MESSAGE(st.ok(), (st.ok() ? std::string() : st.error().message));
    store = std::move(st).value();
    auto imp = store->import_file(aci);
    REQUIRE_MESSAGE(imp.ok(), (imp.ok() ? std::string() : imp.error().message));
    image_id = imp->image.id;
    ex::ExecutorOptions eo;
    eo.root = root;
    eo.store = store.get();
    auto e = ex::Executor::open(eo);
    REQUIRE_MESSAGE(e.ok(), (e.ok() ? std::string() : e.error().message));
    exec = std::move(e).value();
    // Detached supervisors are re-parented to us, not to the host's init,
    // which may reap late: their exit is then visible at once.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  }
  ~World() {
    if (exec) {
      auto l = exec->list();
      if (l)
        for (const auto &p : *l) {
          (void)exec->stop(p.uuid, {.grace_ms = 0});
          (void)exec->rm(p.uuid);
        }
    }
    exec.reset();
    store.reset();
  }

  void build_busybox() {
    std::string img = dir + "/busybox-image";
    std::string rf = img + "/rootfs";
    for (const char *d : {"", "/rootfs", "/rootfs/bin", "/rootfs/etc", "/rootfs/home", "/rootfs/home/web", "/rootfs/tmp",
                          "/rootfs/usr", "/rootfs/usr/bin", "/rootfs/opt", "/rootfs/opt/tools"})
      REQUIRE(::mkdir((img + d).c_str(), 0755) == 0);
    ::chmod((rf + "/tmp").c_str(), 01777);
    REQUIRE(::chown((rf + "/home/web").c_str(), 1234, 2345) == 0);
    int st = std::system(("cp /bin/busybox " + rf + "/bin/busybox").c_str());
    REQUIRE(st == 0);
    for (const char *t : {"sh", "true", "false", "sleep", "cat", "echo", "id", "ls", "env", "pwd", "touch", "mkdir",
                          "stat", "hostname", "kill", "ps", "wc", "test", "grep", "tr", "sort", "head", "mount", "readlink", "printf",
                          "tty"})
      REQUIRE(::symlink("busybox", (rf + "/bin/" + t).c_str()) == 0);
    // A tool only on the image's own PATH (spec 12).
    put(rf + "/opt/tools/hello", "#!/bin/sh\necho hello from PATH\n", 0755);
    put(rf + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nweb:x:1234:2345:web:/home/web:/bin/sh\n");
    put(rf + "/etc/group", "root:x:0:\nwebg:x:2345:web\nextra:x:777:\n");
    put(img + "/manifest", R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/busybox",
      "labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],
      "app":{"exec":["/bin/true"],"user":"0","group":"0",
             "environment":[{"name":"IMAGE_VAR","value":"from-image"},{"name":"SHARED","value":"image"}]}})");
    aci = dir + "/busybox.aci";
    auto r = appc::aci::build_image(img, aci);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
  }

  // A scratch host directory for a test to collect what its pod writes.
  std::string host_dir(const std::string &name, unsigned mode = 0777) {
    std::string p = dir + "/host-" + name;
    (void)appc::remove_tree(p);
    REQUIRE(::mkdir(p.c_str(), mode) == 0);
    ::chmod(p.c_str(), mode);
    return p;
  }
};

World &world() {
  static World w;
  return w;
}

appc::spec::Volume host_volume(const std::string &name, const std::string &source, bool ro = false) {
  appc::spec::Volume v;
  v.name = name;
  v.kind = "host";
  v.source = source;
  if (ro) v.read_only = true;
  return v;
}

ex::AppOptions app(std::vector<std::string> exec, const std::string &name = "") {
  ex::AppOptions a;
  a.image = world().image_id;
  a.exec = std::move(exec);
  a.name = name;
  return a;
}

ex::AppOptions sh(const std::string &script, const std::string &name = "") {
  return app({"/bin/sh", "-c", script}, name);
}

ex::PodOptions pods(std::vector<ex::AppOptions> apps) {
  ex::PodOptions p;
  p.apps = std::move(apps);
  return p;
}

ex::PodOptions pods(const appc::spec::PodManifest &m) {
  ex::PodOptions p;
  p.manifest = m;
  return p;
}

// A pod of one app with /out bound to a fresh host directory.
struct Out {
  std::string dir;
  explicit Out(const std::string &name) : dir(world().host_dir(name)) {}
  std::string file(const std::string &f) const { return slurp(dir + "/" + f); }
};

ex::PodOptions pod_with_out(std::vector<ex::AppOptions> apps, const Out &out) {
  ex::PodOptions p;
  p.volumes.push_back(host_volume("out", out.dir));
  for (auto &a : apps) a.mounts.push_back({"out", "/out", std::nullopt});
  p.apps = std::move(apps);
  return p;
}

ex::RunResult run_ok(const ex::PodOptions &p, ex::RunOptions ro = {}) {
  auto r = world().exec->run(p, ro);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
  return std::move(r).value();
}

void rm_ok(const std::string &uuid) {
  auto r = world().exec->rm(uuid);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
}

ex::PodStatus status_of(const std::string &uuid) {
  auto s = world().exec->status(uuid);
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? std::string() : s.error().message));
  return std::move(s).value();
}

// Our processes still alive: supervisors (by name) and anything in a pod cgroup.
int live_supervisors() {
  int n = 0;
  for (const auto &e : dir_entries("/proc")) {
    if (e.find_first_not_of("0123456789") != std::string::npos) continue;
    auto comm = appc::read_file("/proc/" + e + "/comm", 256);
    auto stat = appc::read_file("/proc/" + e + "/stat", 4096);
    if (!comm || *comm != "appc-supervisor\n" || !stat) continue;
    size_t p = stat->rfind(')');
    if (p != std::string::npos && p + 2 < stat->size() && (*stat)[p + 2] == 'Z') continue;
    ++n;
  }
  return n;
}

std::string cgroup_parent() {
  auto base = ex::detail::cgroup_base();
  REQUIRE_MESSAGE(base.ok(), (base.ok() ? std::string() : base.error().message));
  return *base + "/appc";
}

size_t count_lines(const std::string &path) { return lines(slurp(path)).size(); }

// Reap re-parented supervisors (we are a subreaper).
void reap() {
  int ws;
  while (::waitpid(-1, &ws, WNOHANG) > 0) {}
}

struct Snapshot {
  size_t mounts_self, mounts_init;
  int supervisors;
  std::vector<std::string> pods, cgroups;
  size_t fds;
  static Snapshot take() {
    reap();
    Snapshot s;
    s.mounts_self = count_lines("/proc/self/mountinfo");
    s.mounts_init = count_lines("/proc/1/mountinfo");
    s.supervisors = live_supervisors();
    s.pods = dir_entries(world().root + "/pods");
    for (const auto &e : dir_entries(cgroup_parent())) {
      struct stat st;
      if (::stat((cgroup_parent() + "/" + e).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) s.cgroups.push_back(e);
    }
    s.fds = dir_entries("/proc/self/fd").size();
    return s;
  }
};

void same(const Snapshot &a, const Snapshot &b) {
  CHECK(a.mounts_self == b.mounts_self);
  CHECK(a.mounts_init == b.mounts_init);
  CHECK(a.supervisors == b.supervisors);
  CHECK(a.pods == b.pods);
  auto join = [](const std::vector<std::string> &v) {
    std::string out;
    for (const auto &x : v) out += x + " ";
    return out;
  };
  const std::string cgroups_seen = "pod cgroups before: " + join(a.cgroups) + "; after: " + join(b.cgroups);
  CHECK_MESSAGE(a.cgroups == b.cgroups, cgroups_seen);
  CHECK(a.fds == b.fds);
}

} // namespace

TEST_CASE("spec 81, 89: /bin/true runs in a pod; the pod's status is 0; rm leaves nothing") {
  auto before = Snapshot::take();
  auto r = run_ok(pods({app({"/bin/true"})}));
  REQUIRE(r.exit_code.has_value());
  CHECK(*r.exit_code == 0);
  CHECK(r.uuid.size() == 36);
  CHECK(r.uuid[14] == '4');   // RFC 4122 version 4
  auto s = status_of(r.uuid);
  CHECK(s.state == ex::PodState::exited);
  CHECK_FALSE(s.stale);
  REQUIRE(s.apps.size() == 1);
  CHECK(s.apps[0].name == "busybox");
  CHECK(s.apps[0].finished);
  CHECK(s.apps[0].exit_code == 0);
  CHECK(s.apps[0].image_id == world().image_id);
  auto m = world().exec->manifest(r.uuid);
  REQUIRE(m.ok());
  auto pm = appc::spec::parse_pod_manifest(*m);
  REQUIRE_MESSAGE(pm.ok(), (pm.ok() ? std::string() : pm.error().message));
  CHECK(pm->apps[0].image.id == world().image_id);   // reified (spec 70)
  rm_ok(r.uuid);
  CHECK_FALSE(exists(world().root + "/pods/" + r.uuid));
  auto after = Snapshot::take();
  same(before, after);
  auto again = world().exec->status(r.uuid);
  CHECK(again.error().code == appc::Code::not_found);
}

TEST_CASE("spec 89: an app exiting 3 gives the pod status 3; a signal-killed app counts as 128+signo") {
  auto r = run_ok(pods({sh("exit 3")}));
  CHECK(r.exit_code == 3);
  auto s = status_of(r.uuid);
  CHECK(s.exit_code == 3);
  CHECK(s.apps[0].exit_code == 3);
  CHECK(s.apps[0].signal == 0);
  rm_ok(r.uuid);

  auto k = run_ok(pods({sh("kill -9 $$")}));
  CHECK(k.exit_code == 137);
  auto ks = status_of(k.uuid);
  CHECK(ks.apps[0].signal == 9);
  CHECK(ks.apps[0].exit_code == 137);
  rm_ok(k.uuid);
}

TEST_CASE("spec 86, 11: the app's environment is exactly PATH, AC_APP_NAME, container + image env + set-env") {
  Out out("env");
  auto a = sh("env > /out/env", "envapp");
  a.env = {{"APP_VAR", "per-app"}};
  auto p = pod_with_out({a}, out);
  p.env = {{"SHARED", "set-env"}, {"POD_VAR", "x y=z"}};
  auto r = run_ok(p);
  CHECK(r.exit_code == 0);
  auto got = lines(out.file("env"));
  std::sort(got.begin(), got.end());
  std::vector<std::string> want = {"AC_APP_NAME=envapp",
                                   "APP_VAR=per-app",
                                   "IMAGE_VAR=from-image",
                                   "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                   "POD_VAR=x y=z",
                                   "PWD=/",
                                   "SHARED=set-env",
                                   "SHLVL=1",   // busybox sh adds PWD and SHLVL itself
                                   "container=appc"};
  CHECK(got == want);
  rm_ok(r.uuid);
}

TEST_CASE("spec 12: a bare exec name is searched in the app's PATH inside the image; a missing one fails clearly") {
  Out out("path");
  auto a = app({"hello"});
  a.env = {{"PATH", "/opt/tools:/bin"}};
  auto p = pod_with_out({a}, out);
  auto r = run_ok(p);
  CHECK(r.exit_code == 0);
  std::vector<std::string> seen;
  auto lr = world().exec->logs(r.uuid, {}, [&](const ex::LogEntry &e) {
    seen.push_back(e.line);
    return true;
  });
  REQUIRE(lr.ok());
  CHECK(seen == std::vector<std::string>{"hello from PATH"});
  rm_ok(r.uuid);

  auto before = Snapshot::take();
  auto bad = world().exec->run(pods({app({"no-such-tool"})}));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("no-such-tool") != std::string::npos);
  CHECK(bad.error().message.find("spec 12") != std::string::npos);
  same(before, Snapshot::take());
}

TEST_CASE("spec 13: user and group by name from the image's /etc/passwd and /etc/group, by number, by path owner") {
  Out out("user");
  auto a = sh("id -u > /out/id; id -g >> /out/id; id -G >> /out/id");
  a.user = "web";
  a.group = "webg";
  auto p = pod_with_out({a}, out);
  auto r = run_ok(p);
  CHECK(r.exit_code == 0);
  CHECK(out.file("id") == "1234\n2345\n2345\n");
  rm_ok(r.uuid);

  // Numbers, and supplementary GIDs through a pod manifest.
  appc::spec::PodManifest pm;
  appc::spec::RuntimeApp ra;
  ra.name = "numeric";
  ra.image.id = world().image_id;
  appc::spec::App ap;
  ap.exec = {"/bin/sh", "-c", "id -u > /out/id2; id -g >> /out/id2; id -G >> /out/id2"};
  ap.user = "4321";
  ap.group = "/home/web";   // the owner group of a path in the image: 2345
  ap.supplementary_gids = {777, 5};
  ra.app = ap;
  ra.mounts = {{"out", "/out", std::nullopt}};
  pm.apps.push_back(ra);
  pm.volumes.push_back(host_volume("out", out.dir));
  auto r2 = run_ok(pods(pm));
  CHECK(r2.exit_code == 0);
  auto ids = lines(out.file("id2"));
  REQUIRE(ids.size() == 3);
  CHECK(ids[0] == "4321");
  CHECK(ids[1] == "2345");
  CHECK(ids[2].find("777") != std::string::npos);
  CHECK(ids[2].find("5") != std::string::npos);
  rm_ok(r2.uuid);

  auto bad = sh("true");
  bad.user = "nobody-here";
  auto e = world().exec->run(pods({bad}));
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().message.find("nobody-here") != std::string::npos);
  CHECK(e.error().message.find("spec 13") != std::string::npos);
}

TEST_CASE("spec 14, 87: the working directory is used; a missing one fails clearly") {
  Out out("cwd");
  appc::spec::PodManifest pm;
  appc::spec::RuntimeApp ra;
  ra.name = "cwd";
  ra.image.id = world().image_id;
  appc::spec::App ap;
  ap.exec = {"/bin/sh", "-c", "pwd > /out/pwd"};
  ap.user = "0";
  ap.group = "0";
  ap.working_directory = "/home/web";
  ra.app = ap;
  ra.mounts = {{"out", "/out", std::nullopt}};
  pm.apps.push_back(ra);
  pm.volumes.push_back(host_volume("out", out.dir));
  auto r = run_ok(pods(pm));
  CHECK(r.exit_code == 0);
  CHECK(out.file("pwd") == "/home/web\n");
  rm_ok(r.uuid);

  pm.apps[0].app->working_directory = "/no/such/dir";
  auto before = Snapshot::take();
  auto e = world().exec->run(pods(pm));
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().message.find("/no/such/dir") != std::string::npos);
  CHECK(e.error().message.find("spec 14") != std::string::npos);
  same(before, Snapshot::take());
}

TEST_CASE("spec 75: readOnlyRootFS makes writes to the rootfs fail, volumes stay writable") {
  Out out("ro");
  auto a = sh("touch /tmp/x 2>/dev/null && echo wrote > /out/r || echo refused > /out/r");
  a.read_only_rootfs = true;
  auto r = run_ok(pod_with_out({a}, out));
  CHECK(r.exit_code == 0);
  CHECK(out.file("r") == "refused\n");
  rm_ok(r.uuid);

  auto w = sh("touch /tmp/x && echo wrote > /out/r");
  auto r2 = run_ok(pod_with_out({w}, out));
  CHECK(out.file("r") == "wrote\n");
  // The write went to the pod's upper dir, never to the store's tree.
  auto tree = world().store->tree(world().image_id);
  REQUIRE(tree.ok());
  CHECK_FALSE(exists(tree->rootfs + "/tmp/x"));
  rm_ok(r2.uuid);
}

TEST_CASE("spec 78, 82: an empty volume has its mode, uid, gid and is shared by the pod's apps; host volumes honour readOnly") {
  Out out("vols");
  std::string ro_src = world().host_dir("ro-src", 0755);
  put(ro_src + "/data", "host data\n");
  appc::spec::Volume empty;
  empty.name = "scratch";
  empty.kind = "empty";
  empty.mode = "0750";
  empty.uid = 1234;
  empty.gid = 2345;
  auto writer = sh("stat -c '%a %u %g' /scratch > /out/stat; echo shared > /scratch/f", "writer");
  writer.mounts = {{"scratch", "/scratch", std::nullopt}};
  auto reader = sh("i=0; while [ ! -f /data/f ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done; "
                   "cat /data/f > /out/shared; cat /host/data > /out/host; "
                   "echo x > /host/new 2>/dev/null && echo writable > /out/hostro || echo readonly > /out/hostro",
                   "reader");
  reader.mounts = {{"scratch", "/data", std::nullopt}, {"hostro", "/host", std::nullopt}};
  auto p = pod_with_out({writer, reader}, out);
  p.volumes.push_back(empty);
  p.volumes.push_back(host_volume("hostro", ro_src, true));
  auto r = run_ok(p);
  CHECK(r.exit_code == 0);
  CHECK(out.file("stat") == "750 1234 2345\n");
  CHECK(out.file("shared") == "shared\n");
  CHECK(out.file("host") == "host data\n");
  CHECK(out.file("hostro") == "readonly\n");
  CHECK_FALSE(exists(ro_src + "/new"));
  std::string vol = world().root + "/pods/" + r.uuid + "/volumes/scratch";
  CHECK(exists(vol + "/f"));
  rm_ok(r.uuid);
  CHECK_FALSE(exists(vol));   // removed with the pod
}

TEST_CASE("spec 83: a missing or symlinked host volume source is an error and nothing is left") {
  auto before = Snapshot::take();
  auto p = pods({app({"/bin/true"})});
  p.apps[0].mounts = {{"v", "/v", std::nullopt}};
  p.volumes = {host_volume("v", world().dir + "/does-not-exist")};
  auto e = world().exec->prepare(p);
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().message.find("does not exist (spec 83)") != std::string::npos);

  std::string real = world().host_dir("real");
  std::string link = world().dir + "/link-to-real";
  ::unlink(link.c_str());
  REQUIRE(::symlink(real.c_str(), link.c_str()) == 0);
  p.volumes = {host_volume("v", link + "/")};
  e = world().exec->prepare(p);
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().message.find("symlink") != std::string::npos);
  CHECK(e.error().message.find("spec 83") != std::string::npos);
  same(before, Snapshot::take());
}

TEST_CASE("spec 88: pre-start runs to completion before the app, post-stop after it, with the app's environment") {
  Out out("handlers");
  appc::spec::PodManifest pm;
  appc::spec::RuntimeApp ra;
  ra.name = "handled";
  ra.image.id = world().image_id;
  appc::spec::App ap;
  ap.exec = {"/bin/sh", "-c", "echo main >> /out/order"};
  ap.user = "0";
  ap.group = "0";
  ap.event_handlers = {{"pre-start", {"/bin/sh", "-c", "sleep 0.2; echo pre $AC_APP_NAME >> /out/order"}},
                       {"post-stop", {"sh", "-c", "echo post $AC_APP_NAME >> /out/order"}}};
  ra.app = ap;
  ra.mounts = {{"out", "/out", std::nullopt}};
  pm.apps.push_back(ra);
  pm.volumes.push_back(host_volume("out", out.dir));
  auto r = run_ok(pods(pm));
  CHECK(r.exit_code == 0);
  CHECK(out.file("order") == "pre handled\nmain\npost handled\n");
  rm_ok(r.uuid);

  // A failing pre-start: the app does not run, its status is the handler's.
  pm.apps[0].app->event_handlers = {{"pre-start", {"/bin/sh", "-c", "exit 9"}}};
  put(out.dir + "/order", "");
  auto r2 = run_ok(pods(pm));
  CHECK(r2.exit_code == 9);
  auto s = status_of(r2.uuid);
  CHECK(s.apps[0].pre_start_failed);
  CHECK(out.file("order") == "");
  rm_ok(r2.uuid);
}

TEST_CASE("spec 69, 89: a multi-app pod shares pid/uts/ipc namespaces, ends with its last app, status = first non-zero") {
  Out out("multi");
  auto a = sh("hostname > /out/a; ps -o pid,args > /out/ps-a; sleep 0.3; exit 2", "first");
  auto b = sh("hostname > /out/b; exit 5", "second");
  auto r = run_ok(pod_with_out({a, b}, out));
  CHECK(r.exit_code == 2);
  CHECK(out.file("a") == "appc-" + r.uuid + "\n");
  CHECK(out.file("a") == out.file("b"));
  // One pid namespace: the supervisor is PID 1.
  auto ps = out.file("ps-a");
  CHECK(ps.find("    1 appc-supervisor") != std::string::npos);
  auto s = status_of(r.uuid);
  REQUIRE(s.apps.size() == 2);
  CHECK(s.apps[0].exit_code == 2);
  CHECK(s.apps[1].exit_code == 5);
  rm_ok(r.uuid);

  auto c = sh("exit 0", "ok");
  auto d = sh("exit 4", "bad");
  auto r2 = run_ok(pod_with_out({c, d}, out));
  CHECK(r2.exit_code == 4);
  rm_ok(r2.uuid);
}

TEST_CASE("spec 90: /proc, read-only /sys, exactly the listed /dev nodes, devpts, ptmx, shm, /etc/hosts, hostname") {
  Out out("dev");
  auto a = sh("ls /dev | sort > /out/dev; cat /etc/hosts > /out/hosts; hostname > /out/hostname; "
              "test -d /proc/self && echo ok > /out/proc; "
              "touch /sys/x 2>/dev/null && echo rw > /out/sys || echo ro > /out/sys; "
              "echo hi > /dev/shm/f && cat /dev/shm/f > /out/shm; "
              "readlink /dev/ptmx > /out/ptmx; grep -c '^devpts /dev/pts devpts' /proc/mounts > /out/devpts; test -c /dev/console && echo c > /out/console");
  a.image = world().image_id;
  auto p = pod_with_out({a}, out);
  p.hostname = "podhost";
  auto r = run_ok(p);
  CHECK(r.exit_code == 0);
  CHECK(lines(out.file("dev")) == std::vector<std::string>{"console", "fd", "full", "null", "ptmx", "pts", "random",
                                                           "shm", "stderr", "stdin", "stdout", "tty", "urandom",
                                                           "zero"});
  CHECK(out.file("hosts").find("127.0.0.1\tlocalhost podhost") != std::string::npos);
  CHECK(out.file("hostname") == "podhost\n");
  CHECK(out.file("proc") == "ok\n");
  CHECK(out.file("sys") == "ro\n");
  CHECK(out.file("shm") == "hi\n");
  CHECK(out.file("ptmx") == "pts/ptmx\n");
  CHECK(out.file("devpts") == "1\n");
  CHECK(out.file("console") == "c\n");   // a character device: the caller's terminal, or a null device
  rm_ok(r.uuid);
}

TEST_CASE("spec 85: logs per app with stream tags and timestamps") {
  auto a = sh("echo out1; echo err1 >&2; printf 'no newline'", "logger");
  auto r = run_ok(pods({a}));
  std::vector<ex::LogEntry> all;
  auto lr = world().exec->logs(r.uuid, {}, [&](const ex::LogEntry &e) {
    all.push_back(e);
    return true;
  });
  REQUIRE(lr.ok());
  std::multiset<std::string> got;
  for (const auto &e : all) {
    got.insert((e.stream == ex::LogStream::stderr_ ? "E:" : "O:") + e.line);
    CHECK(e.app == "logger");
    CHECK(e.time_ns > 1600000000LL * 1000000000LL);
    CHECK(e.timestamp.back() == 'Z');
  }
  CHECK(got == std::multiset<std::string>{"O:out1", "E:err1", "O:no newline"});
  std::vector<std::string> only_err;
  ex::LogOptions lo;
  lo.stdout_ = false;
  REQUIRE(world().exec->logs(r.uuid, lo, [&](const ex::LogEntry &e) {
    only_err.push_back(e.line);
    return true;
  }).ok());
  CHECK(only_err == std::vector<std::string>{"err1"});
  rm_ok(r.uuid);
}

TEST_CASE("lifecycle: detached run, status and list from another process, stop with SIGTERM, rm") {
  auto before = Snapshot::take();
  auto r = run_ok(pods({sh("echo started; exec sleep 1000", "sleeper")}), {.detach = true});
  CHECK_FALSE(r.exit_code.has_value());
  auto s = status_of(r.uuid);
  CHECK(s.state == ex::PodState::running);
  CHECK(s.pid == r.pid);
  CHECK(ex::detail::proc_starttime(s.pid) != 0);
  // Another process (a fresh executor in a child) sees it running.
  pid_t child = ::fork();
  if (child == 0) {
    ex::ExecutorOptions eo;
    eo.root = world().root;
    auto e2 = ex::Executor::open(eo);
    if (!e2) ::_exit(2);
    auto s2 = (*e2)->status(r.uuid);
    ::_exit(s2 && s2->state == ex::PodState::running ? 0 : 1);
  }
  int ws = 0;
  ::waitpid(child, &ws, 0);
  CHECK((WIFEXITED(ws) && WEXITSTATUS(ws) == 0));
  auto l = world().exec->list();
  REQUIRE(l.ok());
  bool listed = false;
  for (const auto &p : *l) listed = listed || (p.uuid == r.uuid && p.state == ex::PodState::running);
  CHECK(listed);
  // rm refuses a running pod.
  auto busy = world().exec->rm(r.uuid);
  REQUIRE_FALSE(busy.ok());
  CHECK(busy.error().code == appc::Code::conflict);
  // Follow the log until the first line arrives, then stop reading.
  ex::LogOptions lo;
  lo.follow = true;
  std::string first;
  REQUIRE(world().exec->logs(r.uuid, lo, [&](const ex::LogEntry &e) {
    first = e.line;
    return false;
  }).ok());
  CHECK(first == "started");

  auto st = world().exec->stop(r.uuid, {.grace_ms = 10000});
  REQUIRE_MESSAGE(st.ok(), (st.ok() ? std::string() : st.error().message));
  auto s3 = status_of(r.uuid);
  CHECK(s3.state == ex::PodState::exited);
  CHECK_FALSE(s3.stale);
  CHECK(s3.exit_code == 128 + SIGTERM);
  CHECK(s3.apps[0].signal == SIGTERM);
  rm_ok(r.uuid);
  same(before, Snapshot::take());
}

TEST_CASE("lifecycle: stop kills an app ignoring SIGTERM and its double-forked daemon after the grace period") {
  auto before = Snapshot::take();
  auto r = run_ok(pods({sh("trap '' TERM; (sh -c 'trap \"\" TERM; sleep 1000' &) ; sleep 1000")}), {.detach = true});
  // Wait until the daemon is in the cgroup.
  std::string cg = cgroup_parent() + "/" + r.uuid;
  for (int i = 0; i < 500 && ex::detail::cgroup_pids(cg).size() < 3; ++i) nap_ms(10);
  CHECK(ex::detail::cgroup_pids(cg).size() >= 3);   // supervisor, the app, the daemon (sh execs its last command)
  auto st = world().exec->stop(r.uuid, {.grace_ms = 300});
  REQUIRE_MESSAGE(st.ok(), (st.ok() ? std::string() : st.error().message));
  auto s = status_of(r.uuid);
  CHECK(s.state == ex::PodState::exited);
  CHECK(ex::detail::cgroup_pids(cg).empty());
  rm_ok(r.uuid);
  CHECK_FALSE(exists(cg));
  same(before, Snapshot::take());
}

TEST_CASE("lifecycle: a SIGKILLed supervisor makes the pod exited (stale); rm cleans everything") {
  auto before = Snapshot::take();
  auto r = run_ok(pods({sh("sleep 1000")}), {.detach = true});
  REQUIRE(status_of(r.uuid).state == ex::PodState::running);
  REQUIRE(::kill(r.pid, SIGKILL) == 0);
  auto w = world().exec->wait(r.uuid, 10000);
  REQUIRE_MESSAGE(w.ok(), (w.ok() ? std::string() : w.error().message));
  CHECK(w->state == ex::PodState::exited);
  CHECK(w->stale);
  CHECK_FALSE(w->exit_code.has_value());
  CHECK_FALSE(w->apps[0].finished);
  // The pid namespace died with its PID 1: nothing of the pod runs.
  CHECK(ex::detail::cgroup_pids(cgroup_parent() + "/" + r.uuid).empty());
  rm_ok(r.uuid);
  same(before, Snapshot::take());
}

TEST_CASE("enter runs a command in a running pod's namespaces, chrooted in the app, with its environment") {
  Out out("enter");
  auto r = run_ok(pod_with_out({sh("exec sleep 1000", "target")}, out), {.detach = true});
  ex::EnterOptions eo;
  eo.argv = {"sh", "-c", "echo $AC_APP_NAME $(hostname) > /out/enter; ps -o args | grep -c '^sleep 1000$' >> /out/enter; exit 7"};
  auto e = world().exec->enter(r.uuid, eo);
  REQUIRE_MESSAGE(e.ok(), (e.ok() ? std::string() : e.error().message));
  CHECK(*e == 7);
  CHECK(out.file("enter") == "target appc-" + r.uuid + "\n1\n");
  eo.app = "nope";
  CHECK_FALSE(world().exec->enter(r.uuid, eo).ok());
  REQUIRE(world().exec->stop(r.uuid, {.grace_ms = 5000}).ok());
  CHECK_FALSE(world().exec->enter(r.uuid, {}).ok());   // not running
  rm_ok(r.uuid);
}

TEST_CASE("prepare, run-prepared once, gc: exited pods after their grace, prepared ones after a longer one") {
  auto uuid = world().exec->prepare(pods({app({"/bin/true"})}));
  REQUIRE_MESSAGE(uuid.ok(), (uuid.ok() ? std::string() : uuid.error().message));
  CHECK(status_of(*uuid).state == ex::PodState::prepared);
  auto pre = world().exec->resolve_uuid(uuid->substr(0, 8));
  REQUIRE(pre.ok());
  CHECK(*pre == *uuid);
  // stop of a prepared pod is an error; gc with a long grace keeps it.
  CHECK_FALSE(world().exec->stop(*uuid).ok());
  auto g0 = world().exec->gc({.exited_grace_s = 0, .prepared_grace_s = 3600});
  REQUIRE(g0.ok());
  CHECK(std::find(g0->removed.begin(), g0->removed.end(), *uuid) == g0->removed.end());

  auto run = world().exec->run_prepared(*uuid);
  REQUIRE_MESSAGE(run.ok(), (run.ok() ? std::string() : run.error().message));
  CHECK(run->exit_code == 0);
  auto twice = world().exec->run_prepared(*uuid);
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().code == appc::Code::conflict);

  auto keep = world().exec->gc({.exited_grace_s = 3600, .prepared_grace_s = 3600});
  REQUIRE(keep.ok());
  CHECK(exists(world().root + "/pods/" + *uuid));
  auto g = world().exec->gc({.exited_grace_s = 0, .prepared_grace_s = 3600});
  REQUIRE(g.ok());
  CHECK(std::find(g->removed.begin(), g->removed.end(), *uuid) != g->removed.end());
  CHECK_FALSE(exists(world().root + "/pods/" + *uuid));

  auto prepared = world().exec->prepare(pods({app({"/bin/true"})}));
  REQUIRE(prepared.ok());
  auto g2 = world().exec->gc({.exited_grace_s = 0, .prepared_grace_s = 0});
  REQUIRE(g2.ok());
  CHECK(std::find(g2->removed.begin(), g2->removed.end(), *prepared) != g2->removed.end());
  // The store's references went with the pods.
  auto refs = world().store->refs();
  REQUIRE(refs.ok());
  for (const auto &ref : *refs) {
    CHECK(ref.holder != *uuid);
    CHECK(ref.holder != *prepared);
  }
}

TEST_CASE("nothing leaks: 50 lifecycles with crashing apps, SIGKILLed pods and SIGKILLed supervisors") {
  auto before = Snapshot::take();
  auto refs_before = world().store->refs();
  REQUIRE(refs_before.ok());
  for (int i = 0; i < 50; ++i) {
    CAPTURE(i);
    switch (i % 5) {
    case 0: {   // attached, clean exit
      auto r = run_ok(pods({app({"/bin/true"})}));
      CHECK(r.exit_code == 0);
      rm_ok(r.uuid);
      break;
    }
    case 1: {   // a crashing app
      auto r = run_ok(pods({sh("kill -SEGV $$")}));
      CHECK(r.exit_code == 128 + SIGSEGV);
      rm_ok(r.uuid);
      break;
    }
    case 2: {   // a SIGKILLed pod: every process of its cgroup
      auto r = run_ok(pods({sh("sleep 1000")}), {.detach = true});
      std::string cg = cgroup_parent() + "/" + r.uuid;
      for (int t = 0; t < 500 && ex::detail::cgroup_pids(cg).size() < 2; ++t) nap_ms(10);
      ex::detail::cgroup_kill(cg);
      auto w = world().exec->wait(r.uuid, 10000);
      REQUIRE(w.ok());
      CHECK(w->state == ex::PodState::exited);
      rm_ok(r.uuid);
      break;
    }
    case 3: {   // a SIGKILLed supervisor
      auto r = run_ok(pods({sh("sleep 1000")}), {.detach = true});
      ::kill(r.pid, SIGKILL);
      auto w = world().exec->wait(r.uuid, 10000);
      REQUIRE(w.ok());
      CHECK(w->stale);
      rm_ok(r.uuid);
      break;
    }
    case 4: {   // detached, stopped, with volumes
      Out out("leak");
      auto p = pod_with_out({sh("echo hi > /out/x; exec sleep 1000")}, out);
      appc::spec::Volume e;
      e.name = "e";
      e.kind = "empty";
      p.apps[0].mounts.push_back({"e", "/e", std::nullopt});
      p.volumes.push_back(e);
      auto r = run_ok(p, {.detach = true});
      REQUIRE(world().exec->stop(r.uuid, {.grace_ms = 5000}).ok());
      rm_ok(r.uuid);
      break;
    }
    }
  }
  auto after = Snapshot::take();
  same(before, after);
  auto refs_after = world().store->refs();
  REQUIRE(refs_after.ok());
  CHECK(refs_after->size() == refs_before->size());
}

TEST_CASE("the supervisor is what stays on the host for a running pod, and it is small (issue target <= 1.5 MB RSS)") {
  auto r = run_ok(pods({sh("echo ready; exec sleep 1000")}), {.detach = true});
  // Measured once the apps run (the supervisor wrote their first log line).
  ex::LogOptions lo;
  lo.follow = true;
  REQUIRE(world().exec->logs(r.uuid, lo, [](const ex::LogEntry &) { return false; }).ok());
  auto status = slurp("/proc/" + std::to_string(r.pid) + "/status");
  auto pos = status.find("VmRSS:");
  REQUIRE(pos != std::string::npos);
  long kb = std::strtol(status.c_str() + pos + 6, nullptr, 10);
  MESSAGE("appc-supervisor VmRSS: " << kb << " kB");
  CHECK(kb > 100);
  CHECK(kb <= 1536);
  // Nothing else of ours stays: the caller's side has no process for the pod.
  auto ppid_line = status.find("PPid:");
  REQUIRE(ppid_line != std::string::npos);
  CHECK(std::strtol(status.c_str() + ppid_line + 5, nullptr, 10) != 0);
  REQUIRE(world().exec->stop(r.uuid, {.grace_ms = 5000}).ok());
  rm_ok(r.uuid);
}

TEST_CASE("spec 84: --net=none gives a network namespace with only loopback, up; --net=host shares the host's") {
  Out out("net");
  auto a = sh("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort > /out/ifs; cat /sys/class/net/lo/flags > /out/lo");
  auto p = pod_with_out({a}, out);
  p.net = ex::NetMode::none;
  auto r = run_ok(p);
  CHECK(r.exit_code == 0);
  CHECK(out.file("ifs") == "lo\n");
  CHECK((std::strtol(out.file("lo").c_str(), nullptr, 16) & 1) == 1);   // IFF_UP
  CHECK(status_of(r.uuid).net == ex::NetMode::none);
  rm_ok(r.uuid);

  p.net = ex::NetMode::host;
  auto h = run_ok(p);
  CHECK(h.exit_code == 0);
  std::vector<std::string> host_ifs;
  auto dev = lines(slurp("/proc/net/dev"));
  for (size_t i = 2; i < dev.size(); ++i) {
    std::string n = dev[i].substr(0, dev[i].find(':'));
    n.erase(0, n.find_first_not_of(' '));
    host_ifs.push_back(n);
  }
  std::sort(host_ifs.begin(), host_ifs.end());
  CHECK(lines(out.file("ifs")) == host_ifs);
  CHECK(status_of(h.uuid).net == ex::NetMode::host);
  rm_ok(h.uuid);
}

TEST_CASE("spec 70, 73: a pod manifest template naming its image is reified with the image ID; an ACI file is imported") {
  appc::spec::PodManifest pm;
  appc::spec::RuntimeApp ra;
  ra.name = "templ";
  ra.image.name = "example.com/busybox";
  ra.image.labels = {{"arch", "amd64"}};
  pm.apps.push_back(ra);
  auto r = run_ok(pods(pm));
  CHECK(r.exit_code == 0);   // the image's own app: /bin/true
  auto m = world().exec->manifest(r.uuid);
  REQUIRE(m.ok());
  auto got = appc::spec::parse_pod_manifest(*m);
  REQUIRE(got.ok());
  CHECK(got->apps[0].image.id == world().image_id);
  rm_ok(r.uuid);

  ex::AppOptions f;
  f.image = world().aci;   // a file: imported on the way (already present: a no-op)
  auto r2 = run_ok(pods({f}));
  CHECK(r2.exit_code == 0);
  CHECK(status_of(r2.uuid).apps[0].image_id == world().image_id);
  rm_ok(r2.uuid);

  ex::AppOptions missing;
  missing.image = "example.com/not-stored";
  auto e = world().exec->prepare(pods({missing}));
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().message.find("example.com/not-stored") != std::string::npos);
}

TEST_CASE("spec 70, 76, 82: an image mount point without a volume gets an empty one; a single-file host volume") {
  Out out("mp");
  std::string file = world().dir + "/single-file";
  put(file, "one file\n");
  appc::spec::PodManifest pm;
  appc::spec::RuntimeApp ra;
  ra.name = "mp";
  ra.image.id = world().image_id;
  appc::spec::App ap;
  ap.exec = {"/bin/sh", "-c", "test -d /var/data && echo dir > /out/mp; cat /etc/single > /out/single"};
  ap.user = "0";
  ap.group = "0";
  ap.mount_points = {{"data", "/var/data", false}};
  ra.app = ap;
  ra.mounts = {{"out", "/out", std::nullopt}, {"single", "/etc/single", std::nullopt}};
  pm.apps.push_back(ra);
  pm.volumes.push_back(host_volume("out", out.dir));
  pm.volumes.push_back(host_volume("single", file, true));
  auto r = run_ok(pods(pm));
  CHECK(r.exit_code == 0);
  CHECK(out.file("mp") == "dir\n");
  CHECK(out.file("single") == "one file\n");
  auto m = appc::spec::parse_pod_manifest(*world().exec->manifest(r.uuid));
  REQUIRE(m.ok());
  bool has_empty = false;
  for (const auto &v : m->volumes) has_empty = has_empty || (v.name == "data" && v.kind == "empty");
  CHECK(has_empty);
  rm_ok(r.uuid);

  // A mount naming a volume the pod does not have.
  pm.apps[0].mounts.push_back({"ghost", "/ghost", std::nullopt});
  auto e = world().exec->prepare(pods(pm));
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().message.find("ghost") != std::string::npos);
}

TEST_CASE("spec 88: stop sends SIGTERM, then the post-stop handler runs") {
  Out out("poststop");
  appc::spec::PodManifest pm;
  appc::spec::RuntimeApp ra;
  ra.name = "svc";
  ra.image.id = world().image_id;
  appc::spec::App ap;
  ap.exec = {"/bin/sh", "-c", "echo up > /out/up; exec sleep 1000"};
  ap.user = "0";
  ap.group = "0";
  ap.event_handlers = {{"post-stop", {"/bin/sh", "-c", "echo post > /out/post"}}};
  ra.app = ap;
  ra.mounts = {{"out", "/out", std::nullopt}};
  pm.apps.push_back(ra);
  pm.volumes.push_back(host_volume("out", out.dir));
  auto r = run_ok(pods(pm), {.detach = true});
  for (int i = 0; i < 500 && !exists(out.dir + "/up"); ++i) nap_ms(10);
  REQUIRE(world().exec->stop(r.uuid, {.grace_ms = 10000}).ok());
  CHECK(out.file("post") == "post\n");
  CHECK(status_of(r.uuid).exit_code == 128 + SIGTERM);
  rm_ok(r.uuid);
}

TEST_CASE("cgroup v1 (pids hierarchy, no cgroup.kill): stop and rm still find every process") {
  struct statfs_guard {
    ~statfs_guard() { ::unsetenv("APPC_CGROUP_ROOT"); }
  } guard;
  if (!exists("/sys/fs/cgroup/pids/cgroup.procs") || exists("/sys/fs/cgroup/pids/cgroup.kill")) {
    MESSAGE("this host has no cgroup v1 pids hierarchy: the v1 path is not exercised here");
    CHECK(ex::detail::cgroup_base().ok());
    return;
  }
  ::setenv("APPC_CGROUP_ROOT", "/sys/fs/cgroup/pids", 1);
  auto before = Snapshot::take();
  auto r = run_ok(pods({sh("trap '' TERM; (sh -c 'trap \"\" TERM; sleep 1000' &) ; sleep 1000")}), {.detach = true});
  std::string cg = "/sys/fs/cgroup/pids/appc/" + r.uuid;
  for (int i = 0; i < 500 && ex::detail::cgroup_pids(cg).size() < 3; ++i) nap_ms(10);
  CHECK(ex::detail::cgroup_pids(cg).size() >= 3);
  REQUIRE(world().exec->stop(r.uuid, {.grace_ms = 200}).ok());
  CHECK(ex::detail::cgroup_pids(cg).empty());
  rm_ok(r.uuid);
  CHECK_FALSE(exists(cg));
  same(before, Snapshot::take());
}

TEST_CASE("spec 76: a mount's appVolume is used instead of a pod volume") {
  Out out("appvol");
  appc::spec::Volume inline_empty;
  inline_empty.name = "inline";
  inline_empty.kind = "empty";
  inline_empty.mode = "0700";
  auto a = sh("stat -c '%a' /inl > /out/mode; echo x > /inl/f");
  a.mounts = {{"inline", "/inl", inline_empty}};
  auto r = run_ok(pod_with_out({a}, out));
  CHECK(r.exit_code == 0);
  CHECK(out.file("mode") == "700\n");
  rm_ok(r.uuid);
}

namespace {

// An image like the busybox one, with its own /etc/resolv.conf.
std::string busybox_with_resolv_conf() {
  std::string img = world().dir + "/busybox-resolv";
  (void)appc::remove_tree(img);
  for (const char *d : {"", "/rootfs", "/rootfs/bin", "/rootfs/etc"}) REQUIRE(::mkdir((img + d).c_str(), 0755) == 0);
  REQUIRE(std::system(("cp /bin/busybox " + img + "/rootfs/bin/busybox").c_str()) == 0);
  for (const char *t : {"sh", "cat"}) REQUIRE(::symlink("busybox", (img + "/rootfs/bin/" + t).c_str()) == 0);
  put(img + "/rootfs/etc/resolv.conf", "nameserver 192.0.2.53\n");
  put(img + "/manifest", R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/busybox-resolv",
    "app":{"exec":["/bin/sh"],"user":"0","group":"0"}})");
  std::string aci = world().dir + "/busybox-resolv.aci";
  auto b = appc::aci::build_image(img, aci);
  REQUIRE_MESSAGE(b.ok(), (b.ok() ? std::string() : b.error().message));
  auto imp = world().store->import_file(aci);
  REQUIRE_MESSAGE(imp.ok(), (imp.ok() ? std::string() : imp.error().message));
  return imp->image.id;
}

// fd `fd` of this process replaced by `path` for the guard's lifetime.
struct Redirect {
  int fd, saved;
  Redirect(int fd_, const std::string &path, int flags) : fd(fd_), saved(::dup(fd_)) {
    int f = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
    REQUIRE(f >= 0);
    REQUIRE(::dup2(f, fd) == fd);
    ::close(f);
  }
  ~Redirect() {
    ::dup2(saved, fd);
    ::close(saved);
  }
};

} // namespace

TEST_CASE("net=host: the host's /etc/resolv.conf in the app's upper dir when the image has none; "
          "never over the image's own; none without host networking") {
  auto host = appc::read_file("/etc/resolv.conf", 1u << 20);
  Out out("resolv");
  auto a = sh("cat /etc/resolv.conf > /out/resolv 2>/dev/null || echo absent > /out/resolv");
  auto p = pod_with_out({a}, out);
  p.net = ex::NetMode::host;
  auto r = run_ok(p);
  CHECK(r.exit_code == 0);
  if (host) {
    CHECK(out.file("resolv") == *host);
    // A copy in the pod's upper dir; the image's tree is untouched.
    CHECK(slurp(world().root + "/pods/" + r.uuid + "/apps/busybox/upper/etc/resolv.conf") == *host);
    std::string lower = slurp(world().root + "/pods/" + r.uuid + "/apps/busybox/lower");
    CHECK_FALSE(exists(lower.substr(0, lower.size() - 1) + "/etc/resolv.conf"));
  } else {
    CHECK(out.file("resolv") == "absent\n");
  }
  rm_ok(r.uuid);

  p.net = ex::NetMode::none;
  r = run_ok(p);
  CHECK(out.file("resolv") == "absent\n");
  rm_ok(r.uuid);

  std::string own = busybox_with_resolv_conf();
  auto b = sh("cat /etc/resolv.conf > /out/resolv");
  b.image = own;
  auto q = pod_with_out({b}, out);
  q.net = ex::NetMode::host;
  r = run_ok(q);
  CHECK(r.exit_code == 0);
  CHECK(out.file("resolv") == "nameserver 192.0.2.53\n");
  CHECK_FALSE(exists(world().root + "/pods/" + r.uuid + "/apps/busybox-resolv/upper/etc/resolv.conf"));
  rm_ok(r.uuid);
}

TEST_CASE("enter with a terminal: a pty of the pod's own /dev/pts, the controlling terminal, output relayed; "
          "without one, plain stdio") {
  Out out("enter-tty");
  auto r = run_ok(pod_with_out({sh("exec sleep 1000")}, out), {.detach = true});
  std::string captured = out.dir + "/captured";
  ex::EnterOptions eo;
  eo.argv = {"sh", "-c", "tty; test -t 0 && test -t 1 && test -t 2 && echo ctty > /dev/tty; exit 6"};
  {
    // No terminal on our side (stdin /dev/null, stdout a file): tty=always gives one all the same.
    Redirect in(0, "/dev/null", O_RDONLY), o(1, captured, O_WRONLY | O_CREAT | O_TRUNC);
    eo.tty = ex::EnterTty::always;
    auto e = world().exec->enter(r.uuid, eo);
    REQUIRE_MESSAGE(e.ok(), (e.ok() ? std::string() : e.error().message));
    CHECK(*e == 6);
  }
  CHECK(slurp(captured) == "/dev/pts/0\r\nctty\r\n");
  {
    // auto without a terminal, and never: our stdio as it is.
    Redirect in(0, "/dev/null", O_RDONLY), o(1, captured, O_WRONLY | O_CREAT | O_TRUNC);
    eo.argv = {"sh", "-c", "test -t 0 || test -t 1 || echo plain"};
    for (auto mode : {ex::EnterTty::auto_, ex::EnterTty::never}) {
      eo.tty = mode;
      auto e = world().exec->enter(r.uuid, eo);
      REQUIRE_MESSAGE(e.ok(), (e.ok() ? std::string() : e.error().message));
      CHECK(*e == 0);
    }
  }
  CHECK(slurp(captured) == "plain\nplain\n");
  // What the app did to its /dev/pts is checked: only a devpts ptmx is used.
  eo.tty = ex::EnterTty::never;
  eo.argv = {"sh", "-c", "mount -t tmpfs none /dev/pts && echo x > /dev/pts/ptmx"};
  REQUIRE(*world().exec->enter(r.uuid, eo) == 0);
  eo.tty = ex::EnterTty::always;
  eo.argv = {"true"};
  auto bad = world().exec->enter(r.uuid, eo);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("not the pty multiplexer") != std::string::npos);
  REQUIRE(world().exec->stop(r.uuid, {.grace_ms = 5000}).ok());
  rm_ok(r.uuid);
}

// The pod's first process is created in its cgroup (cgroup2: clone3
// CLONE_INTO_CGROUP) or moved there by the host while it mounts, behind a
// gate: either way no app may start outside the pod's cgroup.
TEST_CASE("cgroup: the first app already runs in the pod's cgroup, created into it or moved there behind the gate") {
  struct Env {
    ~Env() {
      ::unsetenv("APPC_NO_CLONE_INTO_CGROUP");
      ::unsetenv("APPC_CGROUP_ROOT");
    }
  } guard;
  struct Mode { const char *name, *no_clone3, *root; };
  std::vector<Mode> modes = {{"default", nullptr, nullptr}, {"attach + gate", "1", nullptr}};
  if (exists("/sys/fs/cgroup/pids/cgroup.procs")) modes.push_back({"v1 pids: attach + gate", nullptr, "/sys/fs/cgroup/pids"});
  int n = 0;
  for (const Mode &m : modes) {
    CAPTURE(m.name);
    ++n;
    if (m.no_clone3) ::setenv("APPC_NO_CLONE_INTO_CGROUP", m.no_clone3, 1);
    else ::unsetenv("APPC_NO_CLONE_INTO_CGROUP");
    if (m.root) ::setenv("APPC_CGROUP_ROOT", m.root, 1);
    else ::unsetenv("APPC_CGROUP_ROOT");
    auto before = Snapshot::take();
    Out out("cg" + std::to_string(n));
    auto p = pod_with_out({sh("cat /proc/self/cgroup > /out/cg; cat /proc/1/cgroup >> /out/cg")}, out);
    auto r = run_ok(p);
    CHECK(r.exit_code == 0);
    auto got = lines(out.file("cg"));
    // The app and PID 1 (the supervisor) both name the pod's cgroup in the
    // hierarchy in use (cgroup namespaces are not used: the full path shows).
    int in_pod = 0;
    for (const auto &l : got)
      if (l.size() > r.uuid.size() && l.compare(l.size() - r.uuid.size() - 6, std::string::npos, "/appc/" + r.uuid) == 0)
        ++in_pod;
    const std::string seen = "/proc/self/cgroup and /proc/1/cgroup in the pod:\n" + out.file("cg");
    CHECK_MESSAGE(in_pod >= 2, seen);
    rm_ok(r.uuid);
    same(before, Snapshot::take());
  }
}
