// Pod manifests through the C ABI: parse, every accessor, builders, round trips.
#include "helpers.hpp"

#include <string>

using namespace capi_test;

namespace {

const char *kId =
    "sha512-cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd"
    "47417a81a538327af927da3e";

// Every field of a pod manifest, all valid.
std::string full_pod_json() {
  std::string id = kId;
  return R"({"acKind":"PodManifest","acVersion":"0.8.11",
  "apps":[
    {"name":"web","image":{"name":"example.com/web","id":")" + id + R"(",
       "labels":[{"name":"version","value":"1.2.0"},{"name":"os","value":"linux"}]},
     "app":{"exec":["/bin/httpd","-f"],"user":"0","group":"0",
            "mountPoints":[{"name":"html","path":"/srv/html","readOnly":true}],
            "ports":[{"name":"http","protocol":"tcp","port":80}]},
     "readOnlyRootFS":true,
     "mounts":[{"volume":"html","path":"/srv/html"},
               {"volume":"scratch","path":"/tmp/scratch","appVolume":{"name":"scratch","kind":"empty","mode":"0700","uid":1,"gid":2}}],
     "annotations":[{"name":"role","value":"frontend"}]},
    {"name":"worker","image":{"name":"example.com/worker"}}
  ],
  "volumes":[
    {"name":"html","kind":"host","source":"/srv/www","readOnly":true,"recursive":false},
    {"name":"cache","kind":"empty","mode":"0755","uid":0,"gid":0}
  ],
  "isolators":[{"name":"resource/memory","value":{"limit":"4G"}},
               {"name":"os/unix/sysctl","value":{"net.ipv4.tcp_fin_timeout":"6"}}],
  "annotations":[{"name":"ip-address","value":"10.1.2.3"}],
  "ports":[{"name":"http","hostPort":8080,"hostIP":"127.0.0.1",
            "podPort":{"name":"http","protocol":"tcp","port":80,"count":1,"socketActivated":true}},
           {"name":"admin","hostPort":9090}],
  "userAnnotations":{"owner":"ops"},
  "userLabels":{"env":"prod","zone":"b"}
})";
}

void build_full_pod(Pod &pod) {
  APPC_OK_OR_FAIL(appc_pod_manifest_new(&pod.m));
  appc_pod_manifest *p = pod.m;
  size_t web = 99, worker = 99;
  APPC_OK_OR_FAIL(appc_pod_manifest_add_app(p, "web", "example.com/web", kId, &web));
  APPC_OK_OR_FAIL(appc_pod_manifest_add_app(p, "worker", "example.com/worker", nullptr, &worker));
  CHECK(web == 0);
  CHECK(worker == 1);
  APPC_OK_OR_FAIL(appc_pod_app_add_image_label(p, web, "version", "1.2.0"));
  APPC_OK_OR_FAIL(appc_pod_app_add_image_label(p, web, "os", "linux"));

  // The override comes from an image manifest's app.
  Image img;
  APPC_OK_OR_FAIL(appc_image_manifest_new(&img.m, "example.com/web"));
  App app;
  APPC_OK_OR_FAIL(appc_app_new(&app.a));
  const char *argv[] = {"/bin/httpd", "-f"};
  APPC_OK_OR_FAIL(appc_app_set_exec(app.a, argv, 2));
  APPC_OK_OR_FAIL(appc_app_set_user(app.a, "0"));
  APPC_OK_OR_FAIL(appc_app_set_group(app.a, "0"));
  APPC_OK_OR_FAIL(appc_app_add_mount_point(app.a, "html", "/srv/html", true));
  APPC_OK_OR_FAIL(appc_app_add_port(app.a, "http", "tcp", 80, 1, false));
  APPC_OK_OR_FAIL(appc_image_manifest_set_app(img.m, app.a));
  APPC_OK_OR_FAIL(appc_pod_app_set_override(p, web, appc_image_manifest_app(img.m)));

  APPC_OK_OR_FAIL(appc_pod_app_set_read_only_root_fs(p, web, true));
  APPC_OK_OR_FAIL(appc_pod_app_add_mount(p, web, "html", "/srv/html", nullptr));
  Volume scratch;
  APPC_OK_OR_FAIL(appc_volume_new(&scratch.v, "scratch", "empty"));
  APPC_OK_OR_FAIL(appc_volume_set_mode(scratch.v, "0700"));
  APPC_OK_OR_FAIL(appc_volume_set_uid(scratch.v, 1));
  APPC_OK_OR_FAIL(appc_volume_set_gid(scratch.v, 2));
  APPC_OK_OR_FAIL(appc_pod_app_add_mount(p, web, "scratch", "/tmp/scratch", scratch.v));
  APPC_OK_OR_FAIL(appc_pod_app_add_annotation(p, web, "role", "frontend"));

  Volume html, cache;
  APPC_OK_OR_FAIL(appc_volume_new(&html.v, "html", "host"));
  APPC_OK_OR_FAIL(appc_volume_set_source(html.v, "/srv/www"));
  APPC_OK_OR_FAIL(appc_volume_set_read_only(html.v, true));
  APPC_OK_OR_FAIL(appc_volume_set_recursive(html.v, false));
  APPC_OK_OR_FAIL(appc_pod_manifest_add_volume(p, html.v));
  APPC_OK_OR_FAIL(appc_volume_new(&cache.v, "cache", "empty"));
  APPC_OK_OR_FAIL(appc_volume_set_mode(cache.v, "0755"));
  APPC_OK_OR_FAIL(appc_volume_set_uid(cache.v, 0));
  APPC_OK_OR_FAIL(appc_volume_set_gid(cache.v, 0));
  APPC_OK_OR_FAIL(appc_pod_manifest_add_volume(p, cache.v));

  std::string mem = R"({"limit":"4G"})", sysctl = R"({"net.ipv4.tcp_fin_timeout":"6"})";
  APPC_OK_OR_FAIL(appc_pod_manifest_add_isolator(p, "resource/memory", mem.data(), mem.size()));
  APPC_OK_OR_FAIL(appc_pod_manifest_add_isolator(p, "os/unix/sysctl", sysctl.data(), sysctl.size()));
  APPC_OK_OR_FAIL(appc_pod_manifest_add_annotation(p, "ip-address", "10.1.2.3"));
  size_t http = 99;
  APPC_OK_OR_FAIL(appc_pod_manifest_add_port(p, "http", 8080, "127.0.0.1", &http));
  APPC_OK_OR_FAIL(appc_pod_manifest_port_set_pod_port(p, http, "http", "tcp", 80, 1, true));
  APPC_OK_OR_FAIL(appc_pod_manifest_add_port(p, "admin", 9090, nullptr, nullptr));
  APPC_OK_OR_FAIL(appc_pod_manifest_add_user_annotation(p, "owner", "ops"));
  APPC_OK_OR_FAIL(appc_pod_manifest_add_user_label(p, "env", "prod"));
  APPC_OK_OR_FAIL(appc_pod_manifest_add_user_label(p, "zone", "b"));
}

void check_full_pod(const appc_pod_manifest *p) {
  CHECK(str(appc_pod_manifest_ac_kind(p)) == "PodManifest");
  CHECK(str(appc_pod_manifest_ac_version(p)) == "0.8.11");
  REQUIRE(appc_pod_manifest_app_count(p) == 2);
  size_t idx = 99;
  REQUIRE(appc_pod_manifest_find_app(p, "worker", &idx));
  CHECK(idx == 1);
  CHECK_FALSE(appc_pod_manifest_find_app(p, "nope", &idx));
  CHECK(appc_pod_manifest_find_app(p, "web", nullptr));

  CHECK(str(appc_pod_app_name(p, 0)) == "web");
  CHECK(str(appc_pod_app_image_name(p, 0)) == "example.com/web");
  CHECK(str(appc_pod_app_image_id(p, 0)) == kId);
  REQUIRE(appc_pod_app_image_label_count(p, 0) == 2);
  CHECK(str(appc_pod_app_image_label_name(p, 0, 0)) == "version");
  CHECK(str(appc_pod_app_image_label_value(p, 0, 0)) == "1.2.0");
  CHECK(str(appc_pod_app_image_label(p, 0, "os")) == "linux");
  CHECK(appc_pod_app_image_label(p, 0, "arch") == nullptr);

  const appc_app *app = appc_pod_app_override(p, 0);
  REQUIRE(app != nullptr);
  CHECK(str(appc_app_exec(app, 0)) == "/bin/httpd");
  CHECK(str(appc_app_user(app)) == "0");
  CHECK(str(appc_app_mount_point_name(app, 0)) == "html");
  CHECK(appc_app_mount_point_read_only(app, 0));
  CHECK(appc_port_number(appc_app_port(app, 0)) == 80);
  CHECK(appc_pod_app_read_only_root_fs(p, 0));

  REQUIRE(appc_pod_app_mount_count(p, 0) == 2);
  CHECK(str(appc_pod_app_mount_volume(p, 0, 0)) == "html");
  CHECK(str(appc_pod_app_mount_path(p, 0, 0)) == "/srv/html");
  CHECK(appc_pod_app_mount_app_volume(p, 0, 0) == nullptr);
  const appc_volume *av = appc_pod_app_mount_app_volume(p, 0, 1);
  REQUIRE(av != nullptr);
  CHECK(str(appc_volume_name(av)) == "scratch");
  CHECK(str(appc_volume_kind(av)) == "empty");
  CHECK(str(appc_volume_mode(av)) == "0700");
  CHECK(appc_volume_uid(av) == 1);
  CHECK(appc_volume_gid(av) == 2);
  REQUIRE(appc_pod_app_annotation_count(p, 0) == 1);
  CHECK(str(appc_pod_app_annotation_name(p, 0, 0)) == "role");
  CHECK(str(appc_pod_app_annotation_value(p, 0, 0)) == "frontend");
  CHECK(str(appc_pod_app_annotation(p, 0, "role")) == "frontend");

  CHECK(str(appc_pod_app_name(p, 1)) == "worker");
  CHECK(appc_pod_app_image_id(p, 1) == nullptr);
  CHECK(appc_pod_app_override(p, 1) == nullptr);
  CHECK_FALSE(appc_pod_app_read_only_root_fs(p, 1));
  CHECK(appc_pod_app_mount_count(p, 1) == 0);
  CHECK(appc_pod_app_annotation_count(p, 1) == 0);

  REQUIRE(appc_pod_manifest_volume_count(p) == 2);
  const appc_volume *html = appc_pod_manifest_volume(p, 0);
  CHECK(str(appc_volume_name(html)) == "html");
  CHECK(str(appc_volume_kind(html)) == "host");
  CHECK(str(appc_volume_source(html)) == "/srv/www");
  CHECK(appc_volume_has_read_only(html));
  CHECK(appc_volume_read_only(html));
  CHECK(appc_volume_has_recursive(html));
  CHECK_FALSE(appc_volume_recursive(html));
  CHECK(appc_volume_mode(html) == nullptr);
  CHECK_FALSE(appc_volume_has_uid(html));
  const appc_volume *cache = appc_pod_manifest_volume(p, 1);
  CHECK(appc_volume_source(cache) == nullptr);
  CHECK_FALSE(appc_volume_has_read_only(cache));
  CHECK(str(appc_volume_mode(cache)) == "0755");
  CHECK(appc_volume_has_uid(cache));
  CHECK(appc_volume_has_gid(cache));
  CHECK(appc_volume_gid(cache) == 0);

  REQUIRE(appc_pod_manifest_isolator_count(p) == 2);
  CHECK(appc_isolator_kind_of(appc_pod_manifest_isolator(p, 0)) == APPC_ISOLATOR_RESOURCE_MEMORY);
  CHECK(str(appc_isolator_sysctl_value(appc_pod_manifest_isolator(p, 1), 0)) == "6");

  REQUIRE(appc_pod_manifest_annotation_count(p) == 1);
  CHECK(str(appc_pod_manifest_annotation_name(p, 0)) == "ip-address");
  CHECK(str(appc_pod_manifest_annotation_value(p, 0)) == "10.1.2.3");
  CHECK(str(appc_pod_manifest_annotation(p, "ip-address")) == "10.1.2.3");

  REQUIRE(appc_pod_manifest_port_count(p) == 2);
  CHECK(str(appc_pod_manifest_port_name(p, 0)) == "http");
  CHECK(appc_pod_manifest_port_host_port(p, 0) == 8080);
  CHECK(str(appc_pod_manifest_port_host_ip(p, 0)) == "127.0.0.1");
  const appc_port *pp = appc_pod_manifest_port_pod_port(p, 0);
  REQUIRE(pp != nullptr);
  CHECK(str(appc_port_name(pp)) == "http");
  CHECK(str(appc_port_protocol(pp)) == "tcp");
  CHECK(appc_port_number(pp) == 80);
  CHECK(appc_port_count(pp) == 1);
  CHECK(appc_port_socket_activated(pp));
  CHECK(appc_pod_manifest_port_host_ip(p, 1) == nullptr);
  CHECK(appc_pod_manifest_port_pod_port(p, 1) == nullptr);

  REQUIRE(appc_pod_manifest_user_annotation_count(p) == 1);
  CHECK(str(appc_pod_manifest_user_annotation_name(p, 0)) == "owner");
  CHECK(str(appc_pod_manifest_user_annotation_value(p, 0)) == "ops");
  CHECK(str(appc_pod_manifest_user_annotation(p, "owner")) == "ops");
  REQUIRE(appc_pod_manifest_user_label_count(p) == 2);
  CHECK(str(appc_pod_manifest_user_label_name(p, 1)) == "zone");
  CHECK(str(appc_pod_manifest_user_label_value(p, 1)) == "b");
  CHECK(str(appc_pod_manifest_user_label(p, "env")) == "prod");
  CHECK(appc_pod_manifest_user_label(p, "owner") == nullptr);
}

} // namespace

TEST_CASE("capi: pod manifest parse exposes every field") {
  std::string json = full_pod_json();
  Pod pod;
  APPC_OK_OR_FAIL(appc_pod_manifest_parse(&pod.m, json.data(), json.size(), nullptr));
  check_full_pod(pod.m);
  APPC_OK_OR_FAIL(appc_pod_manifest_validate(pod.m));
}

TEST_CASE("capi: the spec's pod example through the accessors") {
  std::string json = corpus("valid-spec-example-pod-runtime.json");
  Pod pod;
  APPC_OK_OR_FAIL(appc_pod_manifest_parse(&pod.m, json.data(), json.size(), nullptr));
  const appc_pod_manifest *p = pod.m;
  REQUIRE(appc_pod_manifest_app_count(p) == 3);
  CHECK(str(appc_pod_app_name(p, 2)) == "register");
  CHECK(str(appc_pod_app_image_label(p, 2, "version")) == "3.0.0");
  CHECK(appc_pod_app_mount_count(p, 1) == 2);
  CHECK(str(appc_pod_app_mount_path(p, 1, 1)) == "/mnt/out");
  const appc_app *app = appc_pod_app_override(p, 0);
  REQUIRE(app != nullptr);
  CHECK(appc_app_exec_count(app) == 3);
  REQUIRE(appc_pod_manifest_volume_count(p) == 2);
  CHECK(str(appc_volume_mode(appc_pod_manifest_volume(p, 1))) == "0777");
  CHECK(appc_isolator_kind_of(appc_pod_manifest_isolator(p, 1)) == APPC_ISOLATOR_SYSCTL);
}

TEST_CASE("capi: pod accessors give NULL/0/false out of range and for a NULL handle") {
  std::string json = full_pod_json();
  Pod pod;
  APPC_OK_OR_FAIL(appc_pod_manifest_parse(&pod.m, json.data(), json.size(), nullptr));
  const appc_pod_manifest *p = pod.m;
  CHECK(appc_pod_app_name(p, 2) == nullptr);
  CHECK(appc_pod_app_image_label_name(p, 0, 2) == nullptr);
  CHECK(appc_pod_app_override(p, 5) == nullptr);
  CHECK(appc_pod_app_mount_volume(p, 0, 2) == nullptr);
  CHECK(appc_pod_app_mount_path(p, 9, 0) == nullptr);
  CHECK(appc_pod_app_annotation_value(p, 0, 1) == nullptr);
  CHECK(appc_pod_manifest_volume(p, 2) == nullptr);
  CHECK(appc_pod_manifest_port_name(p, 2) == nullptr);
  CHECK(appc_pod_manifest_port_host_port(p, 2) == 0);
  CHECK(appc_pod_manifest_isolator(p, 2) == nullptr);
  CHECK(appc_pod_manifest_annotation_name(p, 1) == nullptr);
  CHECK(appc_pod_manifest_user_label_value(p, 2) == nullptr);
  CHECK(appc_pod_manifest_app_count(nullptr) == 0);
  CHECK(appc_pod_manifest_ac_kind(nullptr) == nullptr);
  CHECK_FALSE(appc_pod_manifest_find_app(nullptr, "web", nullptr));
  CHECK_FALSE(appc_pod_manifest_find_app(p, nullptr, nullptr));
}

TEST_CASE("capi: built pod manifest == parsed one, and the round trip is stable") {
  Pod built;
  build_full_pod(built);
  check_full_pod(built.m);
  APPC_OK_OR_FAIL(appc_pod_manifest_validate(built.m));
  std::string text = serialize(built.m);

  std::string json = full_pod_json();
  Pod parsed;
  APPC_OK_OR_FAIL(appc_pod_manifest_parse(&parsed.m, json.data(), json.size(), nullptr));
  CHECK(serialize(parsed.m) == text);

  Pod again;
  APPC_OK_OR_FAIL(appc_pod_manifest_parse(&again.m, text.data(), text.size(), nullptr));
  check_full_pod(again.m);
  CHECK(serialize(again.m) == text);

  std::string pretty = serialize(built.m, true);
  CHECK(pretty.find('\n') != std::string::npos);
  Pod from_pretty;
  APPC_OK_OR_FAIL(appc_pod_manifest_parse(&from_pretty.m, pretty.data(), pretty.size(), nullptr));
  CHECK(serialize(from_pretty.m) == text);
}

TEST_CASE("capi: pod override from JSON, removal, clone") {
  Pod pod;
  APPC_OK_OR_FAIL(appc_pod_manifest_new(&pod.m));
  CHECK(str(appc_pod_manifest_ac_kind(pod.m)) == "PodManifest");
  CHECK(str(appc_pod_manifest_ac_version(pod.m)) == appc_spec_version());
  size_t i = 0;
  APPC_OK_OR_FAIL(appc_pod_manifest_add_app(pod.m, "a", "example.com/a", kId, &i));
  App app;
  std::string json = R"({"exec":["/a"],"user":"1","group":"1"})";
  APPC_OK_OR_FAIL(appc_app_parse(&app.a, json.data(), json.size(), nullptr));
  APPC_OK_OR_FAIL(appc_pod_app_set_override(pod.m, i, app.a));
  CHECK(str(appc_app_user(appc_pod_app_override(pod.m, i))) == "1");
  // Aliasing: set the pod's own override back.
  APPC_OK_OR_FAIL(appc_pod_app_set_override(pod.m, i, appc_pod_app_override(pod.m, i)));
  CHECK(str(appc_app_exec(appc_pod_app_override(pod.m, i), 0)) == "/a");

  Pod copy;
  APPC_OK_OR_FAIL(appc_pod_manifest_clone(&copy.m, pod.m));
  APPC_OK_OR_FAIL(appc_pod_app_set_override(pod.m, i, nullptr));
  CHECK(appc_pod_app_override(pod.m, i) == nullptr);
  CHECK(appc_pod_app_override(copy.m, i) != nullptr);
  APPC_OK_OR_FAIL(appc_pod_app_set_image_id(pod.m, i, ""));
  CHECK(appc_pod_app_image_id(pod.m, i) == nullptr);
  CHECK(str(appc_pod_app_image_id(copy.m, i)) == kId);
  APPC_OK_OR_FAIL(appc_pod_manifest_validate(copy.m));
}

TEST_CASE("capi: pod builders reject NULL and out-of-range indexes; clear functions clear") {
  Pod pod;
  APPC_OK_OR_FAIL(appc_pod_manifest_new(&pod.m));
  appc_pod_manifest *p = pod.m;
  CHECK(appc_pod_manifest_new(nullptr) == APPC_EINVALID);
  CHECK(appc_pod_manifest_add_app(p, nullptr, "example.com/a", nullptr, nullptr) == APPC_EINVALID);
  CHECK(appc_pod_manifest_add_app(p, "a", nullptr, nullptr, nullptr) == APPC_EINVALID);
  CHECK(appc_pod_manifest_app_count(p) == 0);
  CHECK(appc_pod_app_add_image_label(p, 0, "os", "linux") == APPC_ENOTFOUND);
  CHECK(std::string(appc_error_last()->message) ==
        "appc_pod_app_add_image_label: app index 0 is out of range (0 present)");
  CHECK(appc_pod_app_set_override(p, 0, nullptr) == APPC_ENOTFOUND);
  CHECK(appc_pod_app_set_read_only_root_fs(p, 0, true) == APPC_ENOTFOUND);
  CHECK(appc_pod_app_add_mount(p, 0, "v", "/v", nullptr) == APPC_ENOTFOUND);
  CHECK(appc_pod_app_add_annotation(p, 0, "a", "b") == APPC_ENOTFOUND);
  CHECK(appc_pod_app_set_image_id(p, 0, kId) == APPC_ENOTFOUND);
  CHECK(appc_pod_manifest_port_set_pod_port(p, 0, "x", "tcp", 1, 1, false) == APPC_ENOTFOUND);
  CHECK(appc_pod_manifest_add_volume(p, nullptr) == APPC_EINVALID);
  CHECK(appc_pod_manifest_add_port(p, nullptr, 1, nullptr, nullptr) == APPC_EINVALID);
  CHECK(appc_pod_manifest_set_ac_version(p, nullptr) == APPC_EINVALID);
  CHECK(appc_pod_manifest_add_annotation(p, "a", nullptr) == APPC_EINVALID);
  CHECK(appc_pod_manifest_add_user_annotation(p, nullptr, "b") == APPC_EINVALID);
  CHECK(appc_pod_manifest_add_user_label(p, "a", nullptr) == APPC_EINVALID);
  CHECK(appc_pod_manifest_add_isolator(p, "resource/memory", nullptr, 0) == APPC_EINVALID);

  APPC_OK_OR_FAIL(appc_pod_manifest_add_app(p, "a", "example.com/a", nullptr, nullptr));
  CHECK(appc_pod_app_add_mount(p, 0, nullptr, "/v", nullptr) == APPC_EINVALID);
  CHECK(appc_pod_app_add_mount(p, 0, "v", nullptr, nullptr) == APPC_EINVALID);
  CHECK(appc_pod_app_set_image_id(p, 0, nullptr) == APPC_EINVALID);
  Volume v;
  APPC_OK_OR_FAIL(appc_volume_new(&v.v, "v", "empty"));
  APPC_OK_OR_FAIL(appc_pod_manifest_add_volume(p, v.v));
  APPC_OK_OR_FAIL(appc_pod_manifest_add_port(p, "x", 1, nullptr, nullptr));
  std::string mem = R"({"limit":"1G"})";
  APPC_OK_OR_FAIL(appc_pod_manifest_add_isolator(p, "resource/memory", mem.data(), mem.size()));
  APPC_OK_OR_FAIL(appc_pod_manifest_add_annotation(p, "a", "b"));
  APPC_OK_OR_FAIL(appc_pod_manifest_add_user_annotation(p, "a", "b"));
  APPC_OK_OR_FAIL(appc_pod_manifest_add_user_label(p, "a", "b"));
  APPC_OK_OR_FAIL(appc_pod_manifest_set_ac_version(p, "0.8.10"));
  CHECK(str(appc_pod_manifest_ac_version(p)) == "0.8.10");

  APPC_OK_OR_FAIL(appc_pod_manifest_clear_apps(p));
  APPC_OK_OR_FAIL(appc_pod_manifest_clear_volumes(p));
  APPC_OK_OR_FAIL(appc_pod_manifest_clear_ports(p));
  APPC_OK_OR_FAIL(appc_pod_manifest_clear_isolators(p));
  APPC_OK_OR_FAIL(appc_pod_manifest_clear_annotations(p));
  APPC_OK_OR_FAIL(appc_pod_manifest_clear_user_annotations(p));
  APPC_OK_OR_FAIL(appc_pod_manifest_clear_user_labels(p));
  CHECK(appc_pod_manifest_app_count(p) == 0);
  CHECK(appc_pod_manifest_volume_count(p) == 0);
  CHECK(appc_pod_manifest_port_count(p) == 0);
  CHECK(appc_pod_manifest_isolator_count(p) == 0);
  CHECK(appc_pod_manifest_annotation_count(p) == 0);
  CHECK(appc_pod_manifest_user_annotation_count(p) == 0);
  CHECK(appc_pod_manifest_user_label_count(p) == 0);
  CHECK(appc_pod_manifest_clear_apps(nullptr) == APPC_EINVALID);
}

TEST_CASE("spec 22: unknown isolators are accepted at pod level") {
  Pod pod;
  APPC_OK_OR_FAIL(appc_pod_manifest_new(&pod.m));
  APPC_OK_OR_FAIL(appc_pod_manifest_add_app(pod.m, "a", "example.com/a", kId, nullptr));
  std::string v = R"({"x":1})";
  APPC_OK_OR_FAIL(appc_pod_manifest_add_isolator(pod.m, "example.com/vendor", v.data(), v.size()));
  APPC_OK_OR_FAIL(appc_pod_manifest_validate(pod.m));
  CHECK(appc_isolator_kind_of(appc_pod_manifest_isolator(pod.m, 0)) == APPC_ISOLATOR_UNKNOWN);
}

TEST_CASE("capi: an invalid built pod is reported with paths into the pod") {
  Pod pod;
  APPC_OK_OR_FAIL(appc_pod_manifest_new(&pod.m));
  APPC_OK_OR_FAIL(appc_pod_manifest_add_app(pod.m, "Bad_Name", "example.com/a", kId, nullptr));
  Volume v;
  APPC_OK_OR_FAIL(appc_volume_new(&v.v, "data", "host")); // host without source
  APPC_OK_OR_FAIL(appc_pod_manifest_add_volume(pod.m, v.v));
  CHECK(appc_pod_manifest_validate(pod.m) == APPC_EINVALID);
  bool app_name = false, volume = false;
  for (const auto &d : diagnostics()) {
    app_name = app_name || (d.path == "apps[0].name" && d.rule == 2);
    volume = volume || d.path.rfind("volumes[0]", 0) == 0;
  }
  CHECK_MESSAGE(app_name, last_error_text());
  CHECK_MESSAGE(volume, last_error_text());
  Buf b;
  CHECK(appc_pod_manifest_serialize(pod.m, nullptr, &b.b) == APPC_EINVALID);
  CHECK(b.b.ptr == nullptr);
}
