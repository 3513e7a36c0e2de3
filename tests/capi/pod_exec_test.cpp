// Pods through the C ABI (appc_executor_*, appc_pod_*): the options builder and
// its errors, then real pods of a busybox ACI built here (run attached and
// detached, status, wait, list, logs, enter, stop, rm, gc). Needs root: without
// it the program exits 77 (skip). Scratch roots under /dev/shm, removed at exit;
// every pod is stopped and removed even when a check fails.
#include "helpers.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace capi_test;

namespace {

const bool kRootOrSkip = [] {
  if (::geteuid() != 0) {
    std::fprintf(stderr, "capi_pod: skipped: running pods needs root (namespaces, mounts, cgroups)\n");
    std::_Exit(77);
  }
  return true;
}();

struct Opts {
  appc_pod_options *p = nullptr;
  Opts() { APPC_OK_OR_FAIL(appc_pod_options_new(&p)); }
  ~Opts() { appc_pod_options_free(p); }
};
struct Status {
  appc_pod_status *p = nullptr;
  ~Status() { appc_pod_status_free(p); }
};

void remove_tree(const std::string &dir) {
  std::string cmd = "rm -rf '" + dir + "'";
  if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "cannot remove %s\n", dir.c_str());
}

// One scratch root with a busybox ACI, shared by the pod tests; every pod is
// stopped and removed, and the tree deleted, at exit.
struct World {
  std::string dir, root, aci;
  appc_executor *exec = nullptr;
  World() {
    // Checked before anything is created: a failed REQUIRE here leaves nothing behind.
    const char *src = std::getenv("APPC_SOURCE_ROOT");
    REQUIRE_MESSAGE(src != nullptr, "APPC_SOURCE_ROOT is not set (run through meson test)");
    char tmpl[] = "/dev/shm/appc-capi-pod-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    root = dir + "/root";
    aci = dir + "/busybox.aci";
    try {   // a failed REQUIRE throws past the destructor: remove the directory here
      std::string cmd = std::string("/usr/bin/python3 ") + src + "/tests/workloads/make_image_dir.py " + dir +
                        "/bb --preset busybox > /dev/null";
      REQUIRE(std::system(cmd.c_str()) == 0);
      APPC_OK_OR_FAIL(appc_image_build((dir + "/bb").c_str(), aci.c_str(), nullptr, nullptr));
      APPC_OK_OR_FAIL(appc_executor_open(&exec, root.c_str(), nullptr));
    } catch (...) {
      appc_executor_free(exec);
      remove_tree(dir);
      throw;
    }
  }
  ~World() {
    appc_pod_list *l = nullptr;
    if (exec != nullptr && appc_pod_list_get(&l, exec) == APPC_OK) {
      for (size_t i = 0; i < appc_pod_list_count(l); ++i) {
        const appc_pod_status *s = appc_pod_list_at(l, i);
        if (appc_pod_status_state(s) == APPC_POD_RUNNING) appc_pod_stop(exec, appc_pod_status_uuid(s), 0);
        appc_pod_rm(exec, appc_pod_status_uuid(s));
      }
      appc_pod_list_free(l);
    }
    appc_executor_free(exec);
    remove_tree(dir);
  }
};

// Made on first use; released when the test run ends (a doctest listener), not
// at exit: after main returns the library's thread-local state is gone.
World *g_world = nullptr;
World &world() {
  if (g_world == nullptr) g_world = new World();
  return *g_world;
}

struct Cleanup : doctest::IReporter {
  explicit Cleanup(const doctest::ContextOptions &) {}
  void report_query(const doctest::QueryData &) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats &) override {
    delete g_world;
    g_world = nullptr;
  }
  void test_case_start(const doctest::TestCaseData &) override {}
  void test_case_reenter(const doctest::TestCaseData &) override {}
  void test_case_end(const doctest::CurrentTestCaseStats &) override {}
  void test_case_exception(const doctest::TestCaseException &) override {}
  void subcase_start(const doctest::SubcaseSignature &) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData &) override {}
  void log_message(const doctest::MessageData &) override {}
  void test_case_skipped(const doctest::TestCaseData &) override {}
};
REGISTER_LISTENER("pod_cleanup", 1, Cleanup);

// A pod of the busybox ACI running `sh -c script`.
void shell_pod(Opts &o, const std::string &script) {
  size_t app = 99;
  APPC_OK_OR_FAIL(appc_pod_options_add_app(o.p, world().aci.c_str(), &app));
  CHECK(app == 0);
  const char *argv[] = {"/bin/sh", "-c", script.c_str()};
  APPC_OK_OR_FAIL(appc_pod_options_app_set_exec(o.p, app, argv, 3));
}

struct Lines {
  std::vector<std::string> out, err, apps, stamps;
  int stop_after = -1;
  static int cb(const char *app, appc_log_stream stream, const char *ts, int64_t time_ns, const char *line, size_t len,
                void *payload) {
    auto *self = static_cast<Lines *>(payload);
    (stream == APPC_LOG_STDOUT ? self->out : self->err).emplace_back(line, len);
    CHECK(std::strlen(line) == len);
    CHECK(time_ns > 0);
    self->apps.emplace_back(app);
    self->stamps.emplace_back(ts);
    return self->stop_after >= 0 && int(self->out.size() + self->err.size()) >= self->stop_after ? 1 : 0;
  }
};

} // namespace

TEST_CASE("pod options: builder errors are specific") {
  Opts o;
  CHECK(appc_pod_options_add_app(o.p, "", nullptr) == APPC_EINVALID);
  CHECK(std::string(appc_error_last()->message).find("image") != std::string::npos);
  CHECK(appc_pod_options_add_app(o.p, nullptr, nullptr) == APPC_EINVALID);
  CHECK(appc_pod_options_app_set_user(o.p, 0, "1") == APPC_ENOTFOUND);
  CHECK(std::string(appc_error_last()->message).find("out of range") != std::string::npos);
  size_t i = 7;
  APPC_OK_OR_FAIL(appc_pod_options_add_app(o.p, "example.com/x", &i));
  CHECK(i == 0);
  CHECK(appc_pod_options_app_count(o.p) == 1);
  CHECK(appc_pod_options_app_set_exec(o.p, 0, nullptr, 0) == APPC_EINVALID);
  const char *bad[] = {"/bin/true", nullptr};
  CHECK(appc_pod_options_app_set_exec(o.p, 0, bad, 2) == APPC_EINVALID);
  CHECK(appc_pod_options_app_add_env(o.p, 0, "", "v") == APPC_EINVALID);
  CHECK(appc_pod_options_app_add_mount(o.p, 0, "v", "") == APPC_EINVALID);
  APPC_OK_OR_FAIL(appc_pod_options_app_add_env(o.p, 0, "EMPTY", ""));
  APPC_OK_OR_FAIL(appc_pod_options_app_set_read_only_rootfs(o.p, 0, true));
  CHECK(appc_pod_options_set_net(o.p, static_cast<appc_net_mode>(9)) == APPC_EINVALID);
  APPC_OK_OR_FAIL(appc_pod_options_set_net(o.p, APPC_NET_HOST));
  APPC_OK_OR_FAIL(appc_pod_options_set_hostname(o.p, nullptr));
  CHECK(appc_pod_options_set_uuid(o.p, "") == APPC_EINVALID);
  const char pm[] = R"({"acKind":"PodManifest","acVersion":"0.8.11","apps":[]})";
  CHECK(appc_pod_options_set_pod_manifest(o.p, pm, sizeof pm - 1) == APPC_EINVALID);
  CHECK(std::string(appc_error_last()->message).find("already has apps") != std::string::npos);

  Opts m;
  CHECK(appc_pod_options_set_pod_manifest(m.p, "{", 1) == APPC_EINVALID);
  APPC_OK_OR_FAIL(appc_pod_options_set_pod_manifest(m.p, pm, sizeof pm - 1));
  CHECK(appc_pod_options_add_app(m.p, "example.com/x", nullptr) == APPC_EINVALID);

  CHECK(std::string(appc_net_mode_name(APPC_NET_HOST)) == "host");
  CHECK(appc_net_mode_name(5) == nullptr);
  CHECK(std::string(appc_pod_state_name(APPC_POD_EXITED)) == "exited");
  CHECK(appc_pod_state_name(-1) == nullptr);

  appc_pod_run_options ro;
  CHECK(appc_pod_run_options_init(&ro, 0) == APPC_EINVALID);
  APPC_OK_OR_FAIL(appc_pod_run_options_init(&ro, APPC_POD_RUN_OPTIONS_VERSION));
  CHECK(ro.detach == false);
  appc_pod_gc_options go;
  APPC_OK_OR_FAIL(appc_pod_gc_options_init(&go, 1));
  CHECK(go.exited_grace_s == 1800);
  CHECK(go.prepared_grace_s == 86400);
  appc_pod_log_options lo;
  CHECK(appc_pod_log_options_init(&lo, 2) == APPC_EINVALID);
  APPC_OK_OR_FAIL(appc_pod_log_options_init(&lo, 1));
  CHECK((lo.want_stdout && lo.want_stderr && !lo.follow && lo.app == nullptr));
  appc_executor_options eo;
  APPC_OK_OR_FAIL(appc_executor_options_init(&eo, 1));
  CHECK(eo.supervisor == nullptr);
  appc_pod_enter_options en;
  CHECK(appc_pod_enter_options_init(&en, 0) == APPC_EINVALID);
  CHECK(appc_pod_enter_options_init(&en, APPC_POD_ENTER_OPTIONS_VERSION + 1) == APPC_EINVALID);
  CHECK(appc_pod_enter_options_init(nullptr, 1) == APPC_EINVALID);
  APPC_OK_OR_FAIL(appc_pod_enter_options_init(&en, APPC_POD_ENTER_OPTIONS_VERSION));
  CHECK((en.app == nullptr && en.tty == APPC_ENTER_TTY_AUTO));
}

TEST_CASE("pod options: --volume flags parse into volumes") {
  appc_volume *v = nullptr;
  APPC_OK_OR_FAIL(appc_volume_parse_flag(&v, "data,kind=host,source=/srv/data,readOnly=true,recursive=false"));
  CHECK(std::string(appc_volume_name(v)) == "data");
  CHECK(std::string(appc_volume_kind(v)) == "host");
  CHECK(std::string(appc_volume_source(v)) == "/srv/data");
  CHECK((appc_volume_has_read_only(v) && appc_volume_read_only(v)));
  CHECK((appc_volume_has_recursive(v) && !appc_volume_recursive(v)));
  Opts o;
  APPC_OK_OR_FAIL(appc_pod_options_add_volume(o.p, v));
  appc_volume_free(v);
  v = nullptr;
  APPC_OK_OR_FAIL(appc_volume_parse_flag(&v, "scratch,kind=empty,mode=0700,uid=7,gid=8"));
  CHECK(std::string(appc_volume_mode(v)) == "0700");
  CHECK(appc_volume_uid(v) == 7);
  CHECK(appc_volume_gid(v) == 8);
  appc_volume_free(v);

  struct Bad {
    const char *text, *needle;
  } bad[] = {
      {"", "name"},
      {"kind=host", "name"},
      {"d", "kind"},
      {"d,kind=nfs", "host or empty"},
      {"d,kind=host", "source"},
      {"d,kind=host,source=rel/path", "absolute"},
      {"d,kind=host,source=/x,readOnly=yes", "true or false"},
      {"d,kind=empty,mode=999", "octal"},
      {"d,kind=empty,uid=-1", "number"},
      {"d,kind=empty,source=/x", "host volumes"},
      {"d,kind=host,source=/x,uid=1", "empty volumes"},
      {"d,kind=empty,colour=red", "unknown key 'colour'"},
      {"d,kind=empty,novalue", "KEY=VALUE"},
  };
  for (const Bad &b : bad) {
    CAPTURE(b.text);
    v = nullptr;
    CHECK(appc_volume_parse_flag(&v, b.text) == APPC_EINVALID);
    CHECK(v == nullptr);
    CHECK(std::string(appc_error_last()->message).find(b.needle) != std::string::npos);
  }
  appc_volume *hv = nullptr;
  APPC_OK_OR_FAIL(appc_volume_new(&hv, "h", "host"));
  CHECK(appc_pod_options_add_volume(o.p, hv) == APPC_EINVALID);   // no source
  appc_volume_free(hv);
}

TEST_CASE("executor: open, root, supervisor, bad options") {
  appc_executor *e = nullptr;
  appc_executor_options eo = APPC_EXECUTOR_OPTIONS_INIT;
  eo.version = 0;
  CHECK(appc_executor_open(&e, world().root.c_str(), &eo) == APPC_EINVALID);
  CHECK(e == nullptr);
  CHECK(appc_executor_open(&e, "", nullptr) == APPC_EINVALID);
  CHECK(std::string(appc_executor_root(world().exec)) == world().root);
  CHECK(std::string(appc_executor_supervisor(world().exec)).find("appc-supervisor") != std::string::npos);
  CHECK(appc_executor_root(nullptr) == nullptr);
}

TEST_CASE("pod: attached run, status, manifest, logs, rm") {
  appc_executor *e = world().exec;
  Opts o;
  shell_pod(o, "echo \"out $GREETING\"; echo err >&2; echo again; exit 3");
  APPC_OK_OR_FAIL(appc_pod_options_add_env(o.p, "GREETING", "hello"));
  appc_pod_run_result r = APPC_POD_RUN_RESULT_INIT;
  APPC_OK_OR_FAIL(appc_pod_run(e, o.p, nullptr, &r));
  CHECK(r.has_exit_code);
  CHECK(r.exit_code == 3);
  CHECK(r.pid > 0);
  std::string uuid = r.uuid;
  REQUIRE(uuid.size() == 36);

  Status s;
  APPC_OK_OR_FAIL(appc_pod_status_get(&s.p, e, uuid.substr(0, 8).c_str()));   // a prefix
  CHECK(std::string(appc_pod_status_uuid(s.p)) == uuid);
  CHECK(appc_pod_status_state(s.p) == APPC_POD_EXITED);
  CHECK_FALSE(appc_pod_status_stale(s.p));
  CHECK(appc_pod_status_has_exit_code(s.p));
  CHECK(appc_pod_status_exit_code(s.p) == 3);
  CHECK(appc_pod_status_pid(s.p) == 0);
  CHECK(appc_pod_status_created_ns(s.p) > 0);
  CHECK(appc_pod_status_started_ns(s.p) >= appc_pod_status_created_ns(s.p));
  CHECK(appc_pod_status_exited_ns(s.p) >= appc_pod_status_started_ns(s.p));
  CHECK(appc_pod_status_net(s.p) == APPC_NET_NONE);
  CHECK(std::string(appc_pod_status_error(s.p)).empty());
  REQUIRE(appc_pod_status_app_count(s.p) == 1);
  CHECK(std::string(appc_pod_status_app_name(s.p, 0)) == "busybox");
  CHECK(std::string(appc_pod_status_app_image_id(s.p, 0)).rfind("sha512-", 0) == 0);
  CHECK(appc_pod_status_app_finished(s.p, 0));
  CHECK_FALSE(appc_pod_status_app_skipped(s.p, 0));
  CHECK_FALSE(appc_pod_status_app_pre_start_failed(s.p, 0));
  CHECK(appc_pod_status_app_exit_code(s.p, 0) == 3);
  CHECK(appc_pod_status_app_signal(s.p, 0) == 0);
  CHECK(appc_pod_status_app_name(s.p, 1) == nullptr);
  CHECK(appc_pod_status_app_exit_code(s.p, 1) == -1);

  Buf m;
  APPC_OK_OR_FAIL(appc_pod_read_manifest(e, uuid.c_str(), &m.b));
  CHECK(m.str().find("\"acKind\":\"PodManifest\"") != std::string::npos);
  CHECK(m.str().find(appc_pod_status_app_image_id(s.p, 0)) != std::string::npos);

  Lines all;
  APPC_OK_OR_FAIL(appc_pod_logs(e, uuid.c_str(), nullptr, &Lines::cb, &all));
  CHECK(all.out == std::vector<std::string>{"out hello", "again"});
  CHECK(all.err == std::vector<std::string>{"err"});
  CHECK(all.apps.at(0) == "busybox");
  CHECK(all.stamps.at(0).back() == 'Z');
  appc_pod_log_options lo = APPC_POD_LOG_OPTIONS_INIT;
  lo.want_stdout = false;
  lo.app = "busybox";
  Lines errs;
  APPC_OK_OR_FAIL(appc_pod_logs(e, uuid.c_str(), &lo, &Lines::cb, &errs));
  CHECK(errs.out.empty());
  CHECK(errs.err == std::vector<std::string>{"err"});
  Lines one;
  one.stop_after = 1;
  CHECK(appc_pod_logs(e, uuid.c_str(), nullptr, &Lines::cb, &one) == APPC_ECANCELLED);
  CHECK(one.out.size() + one.err.size() == 1);
  lo.app = "nosuchapp";
  CHECK(appc_pod_logs(e, uuid.c_str(), &lo, &Lines::cb, &errs) == APPC_ENOTFOUND);

  APPC_OK_OR_FAIL(appc_pod_rm(e, uuid.c_str()));
  Status gone;
  CHECK(appc_pod_status_get(&gone.p, e, uuid.c_str()) == APPC_ENOTFOUND);
  CHECK(gone.p == nullptr);
  CHECK(std::string(appc_error_last()->message).find(uuid) != std::string::npos);
  struct stat st;
  CHECK(::stat((world().root + "/pods/" + uuid).c_str(), &st) != 0);
}

TEST_CASE("pod: prepare, run detached, wait, enter, list, stop, gc") {
  appc_executor *e = world().exec;
  Opts o;
  shell_pod(o, "exec sleep 1000");
  APPC_OK_OR_FAIL(appc_pod_options_set_hostname(o.p, "capi-host"));
  Buf uuid;
  APPC_OK_OR_FAIL(appc_pod_prepare(e, o.p, &uuid.b));
  REQUIRE(uuid.b.size == 36);
  Status s;
  APPC_OK_OR_FAIL(appc_pod_status_get(&s.p, e, uuid.b.ptr));
  CHECK(appc_pod_status_state(s.p) == APPC_POD_PREPARED);
  CHECK_FALSE(appc_pod_status_has_exit_code(s.p));
  CHECK(appc_pod_stop(e, uuid.b.ptr, 0) == APPC_ECONFLICT);   // never ran

  appc_pod_run_options ro = APPC_POD_RUN_OPTIONS_INIT;
  ro.detach = true;
  appc_pod_run_result bad = APPC_POD_RUN_RESULT_INIT;
  bad.version = 99;
  CHECK(appc_pod_run_prepared(e, uuid.b.ptr, &ro, &bad) == APPC_EINVALID);
  appc_pod_run_result r = APPC_POD_RUN_RESULT_INIT;
  APPC_OK_OR_FAIL(appc_pod_run_prepared(e, uuid.b.ptr, &ro, &r));
  CHECK(std::string(r.uuid) == uuid.str());
  CHECK_FALSE(r.has_exit_code);
  CHECK(r.pid > 0);
  CHECK(appc_pod_run_prepared(e, uuid.b.ptr, &ro, &r) == APPC_ECONFLICT);   // only once

  Buf full;
  APPC_OK_OR_FAIL(appc_pod_resolve_uuid(e, uuid.str().substr(0, 5).c_str(), &full.b));
  CHECK(full.str() == uuid.str());
  CHECK(appc_pod_resolve_uuid(e, "", &full.b) == APPC_EINVALID);

  Status w;
  CHECK(appc_pod_wait(&w.p, e, uuid.b.ptr, 100) == APPC_ECONFLICT);
  Status running;
  APPC_OK_OR_FAIL(appc_pod_status_get(&running.p, e, uuid.b.ptr));
  CHECK(appc_pod_status_state(running.p) == APPC_POD_RUNNING);
  CHECK(appc_pod_status_pid(running.p) == r.pid);
  CHECK(appc_pod_rm(e, uuid.b.ptr) == APPC_ECONFLICT);

  const char *argv[] = {"/bin/sh", "-c", "test \"$(hostname)\" = capi-host && exit 42"};
  int status = -1;
  APPC_OK_OR_FAIL(appc_pod_enter(e, uuid.b.ptr, nullptr, argv, 3, &status));
  CHECK(status == 42);
  CHECK(appc_pod_enter(e, uuid.b.ptr, "nosuchapp", argv, 3, &status) == APPC_ENOTFOUND);
  {
    // With options: a terminal forced (stdin /dev/null, stdout a file: none on our side); the
    // command's own pty of the pod; its output relayed with the pty's \r\n.
    std::string captured = world().root + "/enter-captured";
    int saved_in = ::dup(0), saved_out = ::dup(1);
    int devnull = ::open("/dev/null", O_RDONLY), f = ::open(captured.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE((devnull >= 0 && f >= 0));
    ::dup2(devnull, 0);
    ::dup2(f, 1);
    const char *tty_argv[] = {"sh", "-c", "tty; exit 8"};
    appc_pod_enter_options en = APPC_POD_ENTER_OPTIONS_INIT;
    en.tty = APPC_ENTER_TTY_ALWAYS;
    int tty_status = -1;
    int rc = appc_pod_enter_ext(e, uuid.b.ptr, tty_argv, 3, &en, &tty_status);
    en.tty = APPC_ENTER_TTY_NEVER;
    const char *plain_argv[] = {"sh", "-c", "test -t 1 || echo plain"};
    int plain_rc = appc_pod_enter_ext(e, uuid.b.ptr, plain_argv, 3, &en, nullptr);
    ::dup2(saved_in, 0);
    ::dup2(saved_out, 1);
    for (int fd : {saved_in, saved_out, devnull, f}) ::close(fd);
    CHECK(rc == APPC_OK);
    CHECK(tty_status == 8);
    CHECK(plain_rc == APPC_OK);
    char buf[256] = {0};
    int rf = ::open(captured.c_str(), O_RDONLY);
    ssize_t n = ::read(rf, buf, sizeof buf - 1);
    ::close(rf);
    CHECK(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0) == "/dev/pts/0\r\nplain\n");
    en.app = "nosuchapp";
    CHECK(appc_pod_enter_ext(e, uuid.b.ptr, argv, 3, &en, &status) == APPC_ENOTFOUND);
    en.app = nullptr;
    std::memset(&en.tty, 0xff, sizeof en.tty);   // not an appc_enter_tty
    CHECK(appc_pod_enter_ext(e, uuid.b.ptr, argv, 3, &en, &status) == APPC_EINVALID);
    CHECK(std::string(appc_error_last()->message).find("tty") != std::string::npos);
    en = APPC_POD_ENTER_OPTIONS_INIT;
    en.version = 2;
    CHECK(appc_pod_enter_ext(e, uuid.b.ptr, argv, 3, &en, &status) == APPC_EINVALID);
    APPC_OK_OR_FAIL(appc_pod_enter_ext(e, uuid.b.ptr, argv, 3, nullptr, &status));   // NULL: defaults
    CHECK(status == 42);
  }

  appc_pod_list *l = nullptr;
  APPC_OK_OR_FAIL(appc_pod_list_get(&l, e));
  bool found = false;
  for (size_t i = 0; i < appc_pod_list_count(l); ++i)
    found |= std::string(appc_pod_status_uuid(appc_pod_list_at(l, i))) == uuid.str();
  CHECK(found);
  CHECK(appc_pod_list_at(l, appc_pod_list_count(l)) == nullptr);
  appc_pod_list_free(l);

  APPC_OK_OR_FAIL(appc_pod_stop(e, uuid.b.ptr, 1000));
  Status done;
  APPC_OK_OR_FAIL(appc_pod_wait(&done.p, e, uuid.b.ptr, -1));
  CHECK(appc_pod_status_state(done.p) == APPC_POD_EXITED);
  CHECK(appc_pod_status_exit_code(done.p) == 128 + 15);
  CHECK(appc_pod_status_app_signal(done.p, 0) == 15);
  CHECK(appc_pod_enter(e, uuid.b.ptr, nullptr, argv, 3, &status) == APPC_ECONFLICT);

  // gc: a long grace keeps it, 0 removes it; a negative grace is refused.
  appc_pod_gc_options go = APPC_POD_GC_OPTIONS_INIT;
  go.exited_grace_s = -1;
  CHECK(appc_pod_gc(nullptr, e, &go) == APPC_EINVALID);
  appc_pod_gc_result *g = nullptr;
  APPC_OK_OR_FAIL(appc_pod_gc(&g, e, nullptr));
  for (size_t i = 0; i < appc_pod_gc_result_count(g); ++i) CHECK(std::string(appc_pod_gc_result_uuid(g, i)) != uuid.str());
  appc_pod_gc_result_free(g);
  go.exited_grace_s = 0;
  g = nullptr;
  APPC_OK_OR_FAIL(appc_pod_gc(&g, e, &go));
  bool removed = false;
  for (size_t i = 0; i < appc_pod_gc_result_count(g); ++i) removed |= std::string(appc_pod_gc_result_uuid(g, i)) == uuid.str();
  CHECK(removed);
  CHECK(appc_pod_gc_result_uuid(g, appc_pod_gc_result_count(g)) == nullptr);
  appc_pod_gc_result_free(g);
  Status gone;
  CHECK(appc_pod_status_get(&gone.p, e, uuid.b.ptr) == APPC_ENOTFOUND);
}

TEST_CASE("pod: volumes, per-app overrides, bad images") {
  appc_executor *e = world().exec;
  std::string host = world().dir + "/hostvol";
  REQUIRE(::mkdir(host.c_str(), 0755) == 0);
  Opts o;
  shell_pod(o, "echo $(id -u):$(id -g) > /h/ids; stat -c %a /e > /h/mode; test -w /");
  APPC_OK_OR_FAIL(appc_pod_options_app_set_user(o.p, 0, "4321"));
  APPC_OK_OR_FAIL(appc_pod_options_app_set_group(o.p, 0, "0"));
  APPC_OK_OR_FAIL(appc_pod_options_app_set_name(o.p, 0, "vols"));
  APPC_OK_OR_FAIL(appc_pod_options_app_add_mount(o.p, 0, "hv", "/h"));
  APPC_OK_OR_FAIL(appc_pod_options_app_add_mount(o.p, 0, "ev", "/e"));
  appc_volume *v = nullptr;
  APPC_OK_OR_FAIL(appc_volume_parse_flag(&v, ("hv,kind=host,source=" + host).c_str()));
  APPC_OK_OR_FAIL(appc_pod_options_add_volume(o.p, v));
  appc_volume_free(v);
  APPC_OK_OR_FAIL(appc_volume_parse_flag(&v, "ev,kind=empty,mode=0750"));
  APPC_OK_OR_FAIL(appc_pod_options_add_volume(o.p, v));
  appc_volume_free(v);
  ::chmod(host.c_str(), 0777);
  appc_pod_run_result r = APPC_POD_RUN_RESULT_INIT;
  APPC_OK_OR_FAIL(appc_pod_run(e, o.p, nullptr, &r));
  CHECK(r.exit_code == 1);   // user 4321 cannot write the rootfs' /
  char buf[64] = {0};
  FILE *f = std::fopen((host + "/ids").c_str(), "r");
  REQUIRE(f != nullptr);
  CHECK(std::fgets(buf, sizeof buf, f) != nullptr);
  std::fclose(f);
  CHECK(std::string(buf) == "4321:0\n");
  f = std::fopen((host + "/mode").c_str(), "r");
  REQUIRE(f != nullptr);
  CHECK(std::fgets(buf, sizeof buf, f) != nullptr);
  std::fclose(f);
  CHECK(std::string(buf) == "750\n");
  Status s;
  APPC_OK_OR_FAIL(appc_pod_status_get(&s.p, e, r.uuid));
  CHECK(std::string(appc_pod_status_app_name(s.p, 0)) == "vols");
  APPC_OK_OR_FAIL(appc_pod_rm(e, r.uuid));

  Opts missing;
  APPC_OK_OR_FAIL(appc_pod_options_add_app(missing.p, "example.com/not-stored", nullptr));
  CHECK(appc_pod_run(e, missing.p, nullptr, &r) == APPC_ENOTFOUND);
  CHECK(std::string(appc_error_last()->message).find("example.com/not-stored") != std::string::npos);
  appc_pod_list *l = nullptr;
  APPC_OK_OR_FAIL(appc_pod_list_get(&l, e));
  CHECK(appc_pod_list_count(l) == 0);   // a failed run leaves no pod
  appc_pod_list_free(l);
}
