// Apps (parse + builders), isolator typed accessors, volumes.
#include "helpers.hpp"

#include <string>

using namespace capi_test;

namespace {

// An app holding one isolator, added from JSON text.
struct IsoApp {
  App app;
  const appc_isolator *iso = nullptr;
  IsoApp(const char *name, const std::string &value) {
    APPC_OK_OR_FAIL(appc_app_new(&app.a));
    APPC_OK_OR_FAIL(appc_app_add_isolator(app.a, name, value.data(), value.size()));
    iso = appc_app_isolator(app.a, 0);
    REQUIRE(iso != nullptr);
  }
};

std::string value_json(const appc_isolator *iso) {
  Buf b;
  APPC_OK_OR_FAIL(appc_isolator_value_json(iso, &b.b));
  return b.str();
}

} // namespace

TEST_CASE("capi: appc_app_parse reads an app object") {
  std::string json = R"({"exec":["/bin/sh","-c","true"],"user":"0","group":"0",
                         "environment":[{"name":"A","value":"1"}],"workingDirectory":"/tmp"})";
  App app;
  APPC_OK_OR_FAIL(appc_app_parse(&app.a, json.data(), json.size(), nullptr));
  REQUIRE(appc_app_exec_count(app.a) == 3);
  CHECK(str(appc_app_exec(app.a, 2)) == "true");
  CHECK(str(appc_app_env(app.a, "A")) == "1");
  CHECK(str(appc_app_working_directory(app.a)) == "/tmp");
  CHECK(appc_app_port_count(app.a) == 0);
}

TEST_CASE("spec 13: appc_app_parse reports findings under \"app\"") {
  std::string json = R"({"exec":["/bin/sh"],"user":"0"})";
  App app;
  app.a = reinterpret_cast<appc_app *>(0x1);
  CHECK(appc_app_parse(&app.a, json.data(), json.size(), nullptr) == APPC_EINVALID);
  CHECK(app.a == nullptr);
  CHECK_MESSAGE(has_diag("app.group", 13), last_error_text());
  for (const auto &d : diagnostics()) CHECK(d.path.rfind("app", 0) == 0);
}

TEST_CASE("capi: appc_app_parse refuses non-objects, bad JSON and smuggled fields") {
  App app;
  std::string arr = "[1,2]";
  CHECK(appc_app_parse(&app.a, arr.data(), arr.size(), nullptr) == APPC_EINVALID);
  CHECK(appc_error_diagnostic_count() >= 1);
  std::string null = "null";
  CHECK(appc_app_parse(&app.a, null.data(), null.size(), nullptr) == APPC_EINVALID);
  CHECK(has_diag("app", 0));
  std::string broken = R"({"user":"0",})";
  CHECK(appc_app_parse(&app.a, broken.data(), broken.size(), nullptr) == APPC_EINVALID);
  REQUIRE(appc_error_diagnostic_count() == 1);
  CHECK(diagnostics()[0].path == "app");
  CHECK(diagnostics()[0].message.find("JSON syntax error") == 0);
  // Text after the object is not spliced into anything.
  std::string smuggle = R"({"user":"0","group":"0"}, "name": "x")";
  CHECK(appc_app_parse(&app.a, smuggle.data(), smuggle.size(), nullptr) == APPC_EINVALID);
  CHECK(app.a == nullptr);
  appc_parse_options po = APPC_PARSE_OPTIONS_INIT;
  std::string ok = R"({"user":"0","group":"0"})";
  po.max_bytes = ok.size() - 1;
  CHECK(appc_app_parse(&app.a, ok.data(), ok.size(), &po) == APPC_ELIMIT);
  po.max_bytes = ok.size();
  APPC_OK_OR_FAIL(appc_app_parse(&app.a, ok.data(), ok.size(), &po));
}

TEST_CASE("capi: app setters copy, reject NULL, and clear") {
  App app;
  APPC_OK_OR_FAIL(appc_app_new(&app.a));
  CHECK(str(appc_app_user(app.a)).empty());
  CHECK(appc_app_working_directory(app.a) == nullptr);
  CHECK(appc_app_new(nullptr) == APPC_EINVALID);
  CHECK(appc_app_set_user(app.a, nullptr) == APPC_EINVALID);
  CHECK(appc_app_set_group(nullptr, "0") == APPC_EINVALID);
  CHECK(appc_app_set_working_directory(app.a, nullptr) == APPC_EINVALID);
  CHECK(appc_app_add_env(app.a, "A", nullptr) == APPC_EINVALID);
  CHECK(appc_app_add_mount_point(app.a, "m", nullptr, false) == APPC_EINVALID);
  CHECK(appc_app_add_port(app.a, "p", nullptr, 80, 1, false) == APPC_EINVALID);
  CHECK(appc_app_add_event_handler(app.a, nullptr, nullptr, 0) == APPC_EINVALID);
  CHECK(appc_app_add_user_annotation(app.a, nullptr, "v") == APPC_EINVALID);
  CHECK(appc_app_add_user_label(app.a, "k", nullptr) == APPC_EINVALID);
  CHECK(appc_app_set_supplementary_gids(app.a, nullptr, 2) == APPC_EINVALID);
  CHECK(appc_app_set_exec(app.a, nullptr, 1) == APPC_EINVALID);

  // argv is copied; a NULL entry is refused and nothing changes.
  char arg0[] = "/bin/true";
  const char *argv[] = {arg0, "x"};
  APPC_OK_OR_FAIL(appc_app_set_exec(app.a, argv, 2));
  arg0[1] = 'X';
  CHECK(str(appc_app_exec(app.a, 0)) == "/bin/true");
  const char *bad[] = {"/bin/sh", nullptr};
  CHECK(appc_app_set_exec(app.a, bad, 2) == APPC_EINVALID);
  CHECK(std::string(appc_error_last()->message) == "appc_app_set_exec: argv[1] is NULL");
  CHECK(appc_app_exec_count(app.a) == 2);
  APPC_OK_OR_FAIL(appc_app_set_exec(app.a, nullptr, 0));
  CHECK(appc_app_exec_count(app.a) == 0);

  APPC_OK_OR_FAIL(appc_app_set_working_directory(app.a, "/w"));
  CHECK(str(appc_app_working_directory(app.a)) == "/w");
  APPC_OK_OR_FAIL(appc_app_set_working_directory(app.a, ""));
  CHECK(appc_app_working_directory(app.a) == nullptr);
  const int64_t gids[] = {1, -2};
  APPC_OK_OR_FAIL(appc_app_set_supplementary_gids(app.a, gids, 2));
  CHECK(appc_app_supplementary_gid(app.a, 1) == -2);
  APPC_OK_OR_FAIL(appc_app_set_supplementary_gids(app.a, nullptr, 0));
  CHECK(appc_app_supplementary_gid_count(app.a) == 0);

  // count 0 means the default 1
  APPC_OK_OR_FAIL(appc_app_add_port(app.a, "web", "tcp", 80, 0, false));
  CHECK(appc_port_count(appc_app_port(app.a, 0)) == 1);
  CHECK_FALSE(appc_port_socket_activated(appc_app_port(app.a, 0)));

  APPC_OK_OR_FAIL(appc_app_add_env(app.a, "A", "1"));
  APPC_OK_OR_FAIL(appc_app_add_event_handler(app.a, "pre-start", nullptr, 0));
  CHECK(appc_app_event_handler_exec_count(app.a, 0) == 0);
  APPC_OK_OR_FAIL(appc_app_add_mount_point(app.a, "data", "/data", false));
  CHECK_FALSE(appc_app_mount_point_read_only(app.a, 0));
  std::string nnp = "true";
  APPC_OK_OR_FAIL(appc_app_add_isolator(app.a, "os/linux/no-new-privileges", nnp.data(), nnp.size()));
  APPC_OK_OR_FAIL(appc_app_add_user_annotation(app.a, "k", "v"));
  APPC_OK_OR_FAIL(appc_app_add_user_label(app.a, "k", "v"));
  APPC_OK_OR_FAIL(appc_app_clear_env(app.a));
  APPC_OK_OR_FAIL(appc_app_clear_event_handlers(app.a));
  APPC_OK_OR_FAIL(appc_app_clear_mount_points(app.a));
  APPC_OK_OR_FAIL(appc_app_clear_ports(app.a));
  APPC_OK_OR_FAIL(appc_app_clear_isolators(app.a));
  APPC_OK_OR_FAIL(appc_app_clear_user_annotations(app.a));
  APPC_OK_OR_FAIL(appc_app_clear_user_labels(app.a));
  CHECK(appc_app_env_count(app.a) == 0);
  CHECK(appc_app_event_handler_count(app.a) == 0);
  CHECK(appc_app_mount_point_count(app.a) == 0);
  CHECK(appc_app_port_count(app.a) == 0);
  CHECK(appc_app_isolator_count(app.a) == 0);
  CHECK(appc_app_user_annotation_count(app.a) == 0);
  CHECK(appc_app_user_label_count(app.a) == 0);
  appc_app_free(nullptr);
}

TEST_CASE("spec 23: resource/cpu request and limit as quantities") {
  IsoApp t("resource/cpu", R"({"request":"250m","limit":"2"})");
  CHECK(appc_isolator_kind_of(t.iso) == APPC_ISOLATOR_RESOURCE_CPU);
  appc_quantity q{};
  REQUIRE(appc_isolator_request(t.iso, &q));
  CHECK(str(q.text) == "250m");
  CHECK(q.milli == 250);
  CHECK(q.value == 1); // rounded up to whole cores
  REQUIRE(appc_isolator_limit(t.iso, &q));
  CHECK(str(q.text) == "2");
  CHECK(q.milli == 2000);
  CHECK(q.value == 2);
  CHECK_FALSE(appc_isolator_is_default(t.iso));
  CHECK(appc_isolator_set_count(t.iso) == 0);
  int64_t n = 7;
  CHECK_FALSE(appc_isolator_int(t.iso, &n));
  CHECK(n == 7);
}

TEST_CASE("spec 24, 27: resource/memory quantities in bytes") {
  IsoApp t("resource/memory", R"({"limit":"1G"})");
  CHECK(appc_isolator_kind_of(t.iso) == APPC_ISOLATOR_RESOURCE_MEMORY);
  appc_quantity q{};
  CHECK_FALSE(appc_isolator_request(t.iso, &q));
  REQUIRE(appc_isolator_limit(t.iso, &q));
  CHECK(q.value == 1000000000);
  CHECK(appc_isolator_limit(t.iso, nullptr)); // output optional

  IsoApp mi("resource/memory", R"({"limit":"123Mi"})");
  REQUIRE(appc_isolator_limit(mi.iso, &q));
  CHECK(q.value == 128974848);
}

TEST_CASE("spec 25, 26: bandwidth and iops isolators") {
  IsoApp bw("resource/block-bandwidth", R"({"default":true,"limit":"1M"})");
  CHECK(appc_isolator_kind_of(bw.iso) == APPC_ISOLATOR_RESOURCE_BLOCK_BANDWIDTH);
  CHECK(appc_isolator_is_default(bw.iso));
  appc_quantity q{};
  REQUIRE(appc_isolator_limit(bw.iso, &q));
  CHECK(q.value == 1000000);
  CHECK_FALSE(appc_isolator_request(bw.iso, &q));
  IsoApp iops("resource/block-iops", R"({"default":true,"limit":"1000"})");
  CHECK(appc_isolator_kind_of(iops.iso) == APPC_ISOLATOR_RESOURCE_BLOCK_IOPS);
  IsoApp net("resource/network-bandwidth", R"({"default":true,"limit":"10M"})");
  CHECK(appc_isolator_kind_of(net.iso) == APPC_ISOLATOR_RESOURCE_NETWORK_BANDWIDTH);
  REQUIRE(appc_isolator_limit(net.iso, &q));
  CHECK(q.value == 10000000);
}

TEST_CASE("spec 29: capability sets") {
  IsoApp r("os/linux/capabilities-retain-set", R"({"set":["CAP_NET_ADMIN","CAP_CHOWN"]})");
  CHECK(appc_isolator_kind_of(r.iso) == APPC_ISOLATOR_CAPABILITIES_RETAIN_SET);
  REQUIRE(appc_isolator_set_count(r.iso) == 2);
  CHECK(str(appc_isolator_set_item(r.iso, 0)) == "CAP_NET_ADMIN");
  CHECK(str(appc_isolator_set_item(r.iso, 1)) == "CAP_CHOWN");
  CHECK(appc_isolator_set_item(r.iso, 2) == nullptr);
  CHECK(appc_isolator_errno(r.iso) == nullptr);
  IsoApp d("os/linux/capabilities-remove-set", R"({"set":["CAP_MKNOD"]})");
  CHECK(appc_isolator_kind_of(d.iso) == APPC_ISOLATOR_CAPABILITIES_REMOVE_SET);
  CHECK(appc_isolator_set_count(d.iso) == 1);
}

TEST_CASE("spec 30: no-new-privileges") {
  IsoApp t("os/linux/no-new-privileges", "true");
  CHECK(appc_isolator_kind_of(t.iso) == APPC_ISOLATOR_NO_NEW_PRIVILEGES);
  CHECK(appc_isolator_bool(t.iso));
  IsoApp f("os/linux/no-new-privileges", "false");
  CHECK_FALSE(appc_isolator_bool(f.iso));
}

TEST_CASE("spec 31-33: seccomp sets and errno") {
  IsoApp t("os/linux/seccomp-remove-set", R"({"set":["reboot","@appc.io/empty"],"errno":"EPERM"})");
  CHECK(appc_isolator_kind_of(t.iso) == APPC_ISOLATOR_SECCOMP_REMOVE_SET);
  REQUIRE(appc_isolator_set_count(t.iso) == 2);
  CHECK(str(appc_isolator_set_item(t.iso, 1)) == "@appc.io/empty");
  CHECK(str(appc_isolator_errno(t.iso)) == "EPERM");
  IsoApp k("os/linux/seccomp-retain-set", R"({"set":["@appc.io/all"]})");
  CHECK(appc_isolator_kind_of(k.iso) == APPC_ISOLATOR_SECCOMP_RETAIN_SET);
  CHECK(appc_isolator_errno(k.iso) == nullptr); // absent: kill with SIGSYS
}

TEST_CASE("spec 34: selinux-context") {
  IsoApp t("os/linux/selinux-context",
           R"({"user":"system_u","role":"system_r","type":"svirt_lxc_net_t","level":"s0:c1,c2"})");
  CHECK(appc_isolator_kind_of(t.iso) == APPC_ISOLATOR_SELINUX_CONTEXT);
  const char *u = nullptr, *r = nullptr, *ty = nullptr, *l = nullptr;
  REQUIRE(appc_isolator_selinux_context(t.iso, &u, &r, &ty, &l));
  CHECK(str(u) == "system_u");
  CHECK(str(r) == "system_r");
  CHECK(str(ty) == "svirt_lxc_net_t");
  CHECK(str(l) == "s0:c1,c2");
  CHECK(appc_isolator_selinux_context(t.iso, nullptr, nullptr, nullptr, nullptr));
  IsoApp other("os/linux/no-new-privileges", "true");
  CHECK_FALSE(appc_isolator_selinux_context(other.iso, &u, &r, &ty, &l));
}

TEST_CASE("spec 36: cpu-shares and oom-score-adj") {
  IsoApp s("os/linux/cpu-shares", "512");
  CHECK(appc_isolator_kind_of(s.iso) == APPC_ISOLATOR_CPU_SHARES);
  int64_t n = 0;
  REQUIRE(appc_isolator_int(s.iso, &n));
  CHECK(n == 512);
  IsoApp o("os/linux/oom-score-adj", "-500");
  CHECK(appc_isolator_kind_of(o.iso) == APPC_ISOLATOR_OOM_SCORE_ADJ);
  REQUIRE(appc_isolator_int(o.iso, &n));
  CHECK(n == -500);
}

TEST_CASE("spec 35: sysctl entries in document order") {
  Pod pod;
  APPC_OK_OR_FAIL(appc_pod_manifest_new(&pod.m));
  std::string v = R"({"net.ipv4.tcp_fin_timeout":"6","kernel.msgmax":"65536"})";
  APPC_OK_OR_FAIL(appc_pod_manifest_add_isolator(pod.m, "os/unix/sysctl", v.data(), v.size()));
  const appc_isolator *iso = appc_pod_manifest_isolator(pod.m, 0);
  CHECK(appc_isolator_kind_of(iso) == APPC_ISOLATOR_SYSCTL);
  REQUIRE(appc_isolator_sysctl_count(iso) == 2);
  CHECK(str(appc_isolator_sysctl_name(iso, 0)) == "net.ipv4.tcp_fin_timeout");
  CHECK(str(appc_isolator_sysctl_value(iso, 0)) == "6");
  CHECK(str(appc_isolator_sysctl_name(iso, 1)) == "kernel.msgmax");
  CHECK(appc_isolator_sysctl_name(iso, 2) == nullptr);
}

TEST_CASE("spec 22: unknown isolators keep their value as canonical JSON") {
  IsoApp t("example.com/custom", R"({ "b" : [1, 2], "a" : "x" })");
  CHECK(appc_isolator_kind_of(t.iso) == APPC_ISOLATOR_UNKNOWN);
  std::string text = value_json(t.iso);
  CHECK(text.find(' ') == std::string::npos);
  CHECK(text.find("\"b\":[1,2]") != std::string::npos);
  CHECK(text.find("\"a\":\"x\"") != std::string::npos);
}

TEST_CASE("capi: an isolator's value JSON decodes back to the same typed value") {
  const char *names[] = {"resource/cpu", "resource/memory", "os/linux/capabilities-retain-set",
                         "os/linux/seccomp-retain-set", "os/linux/cpu-shares"};
  const char *values[] = {R"({"request":"100m","limit":"1500m"})", R"({"request":"1Gi","limit":"2G"})",
                          R"({"set":["CAP_KILL"]})", R"({"set":["read","write"],"errno":"EACCES"})", "1024"};
  for (size_t i = 0; i < 5; ++i) {
    CAPTURE(names[i]);
    IsoApp a(names[i], values[i]);
    std::string text = value_json(a.iso);
    IsoApp b(names[i], text);
    CHECK(value_json(b.iso) == text);
    appc_quantity qa{}, qb{};
    CHECK(appc_isolator_limit(a.iso, &qa) == appc_isolator_limit(b.iso, &qb));
    CHECK(qa.milli == qb.milli);
    CHECK(appc_isolator_set_count(a.iso) == appc_isolator_set_count(b.iso));
  }
  Buf buf;
  CHECK(appc_isolator_value_json(nullptr, &buf.b) == APPC_EINVALID);
  CHECK(buf.b.ptr == nullptr);
}

TEST_CASE("spec 36: an isolator value that does not decode is refused at add time") {
  App app;
  APPC_OK_OR_FAIL(appc_app_new(&app.a));
  std::string bad = "1";
  CHECK(appc_app_add_isolator(app.a, "os/linux/cpu-shares", bad.data(), bad.size()) == APPC_EINVALID);
  REQUIRE(appc_error_diagnostic_count() >= 1);
  auto d = diagnostics()[0];
  CHECK(d.path.rfind("value", 0) == 0);
  CHECK(d.rule == 36);
  CHECK(appc_app_isolator_count(app.a) == 0);

  std::string syntax = "{\"limit\":";
  CHECK(appc_app_add_isolator(app.a, "resource/memory", syntax.data(), syntax.size()) == APPC_EINVALID);
  REQUIRE(appc_error_diagnostic_count() == 1);
  CHECK(diagnostics()[0].path == "value");
  CHECK(diagnostics()[0].message.find("JSON syntax error") == 0);
  CHECK(appc_app_add_isolator(app.a, nullptr, "1", 1) == APPC_EINVALID);
  CHECK(appc_app_add_isolator(app.a, "os/linux/cpu-shares", nullptr, 0) == APPC_EINVALID);
  CHECK(appc_app_isolator_count(app.a) == 0);
}

TEST_CASE("spec 22: unknown isolator names are accepted in an app (executors may ignore them)") {
  Image img;
  APPC_OK_OR_FAIL(appc_image_manifest_new(&img.m, "example.com/x"));
  App app;
  APPC_OK_OR_FAIL(appc_app_new(&app.a));
  APPC_OK_OR_FAIL(appc_app_set_user(app.a, "0"));
  APPC_OK_OR_FAIL(appc_app_set_group(app.a, "0"));
  std::string v = "{}";
  APPC_OK_OR_FAIL(appc_app_add_isolator(app.a, "example.com/unknown", v.data(), v.size()));
  APPC_OK_OR_FAIL(appc_image_manifest_set_app(img.m, app.a));
  APPC_OK_OR_FAIL(appc_image_manifest_validate(img.m));
  CHECK(appc_isolator_kind_of(appc_app_isolator(appc_image_manifest_app(img.m), 0)) == APPC_ISOLATOR_UNKNOWN);
}

TEST_CASE("spec 36: a one-per-app isolator twice is reported at validation, not at add time") {
  Image img;
  APPC_OK_OR_FAIL(appc_image_manifest_new(&img.m, "example.com/x"));
  App app;
  APPC_OK_OR_FAIL(appc_app_new(&app.a));
  APPC_OK_OR_FAIL(appc_app_set_user(app.a, "0"));
  APPC_OK_OR_FAIL(appc_app_set_group(app.a, "0"));
  std::string v = "512";
  APPC_OK_OR_FAIL(appc_app_add_isolator(app.a, "os/linux/cpu-shares", v.data(), v.size()));
  APPC_OK_OR_FAIL(appc_app_add_isolator(app.a, "os/linux/cpu-shares", v.data(), v.size()));
  APPC_OK_OR_FAIL(appc_image_manifest_set_app(img.m, app.a));
  CHECK(appc_image_manifest_validate(img.m) == APPC_EINVALID);
  CHECK_MESSAGE(has_diag("app.isolators[1]", 36), last_error_text());
}

TEST_CASE("spec 30: an app-only isolator at pod level is reported at validation") {
  Pod pod;
  APPC_OK_OR_FAIL(appc_pod_manifest_new(&pod.m));
  APPC_OK_OR_FAIL(appc_pod_manifest_add_app(pod.m, "a", "example.com/a", nullptr, nullptr));
  std::string v = "true";
  APPC_OK_OR_FAIL(appc_pod_manifest_add_isolator(pod.m, "os/linux/no-new-privileges", v.data(), v.size()));
  CHECK(appc_pod_manifest_validate(pod.m) == APPC_EINVALID);
  CHECK_MESSAGE(has_diag("isolators[0].name", 30), last_error_text());
}

TEST_CASE("capi: volumes: builder, has_ flags, clone") {
  Volume v;
  APPC_OK_OR_FAIL(appc_volume_new(&v.v, "data", "host"));
  CHECK(str(appc_volume_name(v.v)) == "data");
  CHECK(str(appc_volume_kind(v.v)) == "host");
  CHECK(appc_volume_source(v.v) == nullptr);
  CHECK_FALSE(appc_volume_has_read_only(v.v));
  CHECK_FALSE(appc_volume_has_recursive(v.v));
  CHECK(appc_volume_mode(v.v) == nullptr);
  CHECK_FALSE(appc_volume_has_uid(v.v));
  CHECK_FALSE(appc_volume_has_gid(v.v));
  APPC_OK_OR_FAIL(appc_volume_set_source(v.v, "/srv/data"));
  APPC_OK_OR_FAIL(appc_volume_set_read_only(v.v, false));
  APPC_OK_OR_FAIL(appc_volume_set_recursive(v.v, true));
  CHECK(str(appc_volume_source(v.v)) == "/srv/data");
  CHECK(appc_volume_has_read_only(v.v));
  CHECK_FALSE(appc_volume_read_only(v.v));
  CHECK(appc_volume_has_recursive(v.v));
  CHECK(appc_volume_recursive(v.v));

  Volume e;
  APPC_OK_OR_FAIL(appc_volume_new(&e.v, "scratch", "empty"));
  APPC_OK_OR_FAIL(appc_volume_set_mode(e.v, "0700"));
  APPC_OK_OR_FAIL(appc_volume_set_uid(e.v, 1000));
  APPC_OK_OR_FAIL(appc_volume_set_gid(e.v, -1));
  CHECK(str(appc_volume_mode(e.v)) == "0700");
  CHECK(appc_volume_has_uid(e.v));
  CHECK(appc_volume_uid(e.v) == 1000);
  CHECK(appc_volume_has_gid(e.v));
  CHECK(appc_volume_gid(e.v) == -1);

  Volume c;
  APPC_OK_OR_FAIL(appc_volume_clone(&c.v, e.v));
  APPC_OK_OR_FAIL(appc_volume_set_mode(c.v, "0755"));
  CHECK(str(appc_volume_mode(e.v)) == "0700");
  CHECK(str(appc_volume_mode(c.v)) == "0755");

  Volume none;
  CHECK(appc_volume_new(&none.v, nullptr, "empty") == APPC_EINVALID);
  CHECK(none.v == nullptr);
  CHECK(appc_volume_new(&none.v, "x", nullptr) == APPC_EINVALID);
  CHECK(appc_volume_set_source(v.v, nullptr) == APPC_EINVALID);
  CHECK(appc_volume_set_mode(v.v, nullptr) == APPC_EINVALID);
  CHECK(appc_volume_set_uid(nullptr, 1) == APPC_EINVALID);
  CHECK(appc_volume_clone(&none.v, nullptr) == APPC_EINVALID);
  CHECK(appc_volume_name(nullptr) == nullptr);
  CHECK_FALSE(appc_volume_read_only(nullptr));
  CHECK(appc_volume_uid(nullptr) == 0);
  appc_volume_free(nullptr);
}
