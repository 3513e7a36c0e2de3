// Image manifests through the C ABI: parse, every accessor, builders, round trips.
#include "helpers.hpp"

#include <cstring>
#include <string>

using namespace capi_test;

namespace {

const char *kId =
    "sha512-cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd"
    "47417a81a538327af927da3e";

// Every field of an image manifest, all valid.
std::string full_image_json() {
  return std::string(R"({
  "acKind": "ImageManifest", "acVersion": "0.8.11", "name": "example.com/reduce-worker",
  "labels": [{"name": "version", "value": "1.0.0"}, {"name": "arch", "value": "amd64"},
             {"name": "os", "value": "linux"}],
  "app": {
    "exec": ["/usr/bin/reduce-worker", "--quiet"],
    "user": "100", "group": "300",
    "supplementaryGIDs": [400, 500],
    "workingDirectory": "/srv",
    "eventHandlers": [{"name": "pre-start", "exec": ["/usr/bin/data-downloader"]},
                      {"name": "post-stop", "exec": ["/usr/bin/deregister-worker", "--verbose"]}],
    "environment": [{"name": "REDUCE_WORKER_DEBUG", "value": "true"}, {"name": "PATH", "value": "/usr/bin"}],
    "isolators": [{"name": "resource/cpu", "value": {"request": "250m", "limit": "500m"}},
                  {"name": "resource/memory", "value": {"limit": "1G"}}],
    "mountPoints": [{"name": "database", "path": "/var/lib/db", "readOnly": true}],
    "ports": [{"name": "health", "protocol": "tcp", "port": 4000, "count": 2, "socketActivated": true}],
    "userAnnotations": {"team": "infra", "ticket": "OPS-1"},
    "userLabels": {"tier": "backend"}
  },
  "dependencies": [
    {"imageName": "example.com/reduce-worker-base", "imageID": ")") +
         kId + R"(",
     "labels": [{"name": "os", "value": "linux"}, {"name": "env", "value": "canary"}], "size": 22017258},
    {"imageName": "example.com/tools"}
  ],
  "pathWhitelist": ["/etc/ca/example.com/crt", "/usr/bin/map-reduce-worker"],
  "annotations": [{"name": "authors", "value": "Carly Container"},
                  {"name": "created", "value": "2014-10-27T19:32:27.67021798Z"},
                  {"name": "homepage", "value": "https://example.com"}]
})";
}

// The same manifest, built through the builder calls.
void build_full_image(Image &img) {
  APPC_OK_OR_FAIL(appc_image_manifest_new(&img.m, "example.com/reduce-worker"));
  appc_image_manifest *m = img.m;
  APPC_OK_OR_FAIL(appc_image_manifest_add_label(m, "version", "1.0.0"));
  APPC_OK_OR_FAIL(appc_image_manifest_add_label(m, "arch", "amd64"));
  APPC_OK_OR_FAIL(appc_image_manifest_add_label(m, "os", "linux"));

  App app;
  APPC_OK_OR_FAIL(appc_app_new(&app.a));
  const char *argv[] = {"/usr/bin/reduce-worker", "--quiet"};
  APPC_OK_OR_FAIL(appc_app_set_exec(app.a, argv, 2));
  APPC_OK_OR_FAIL(appc_app_set_user(app.a, "100"));
  APPC_OK_OR_FAIL(appc_app_set_group(app.a, "300"));
  const int64_t gids[] = {400, 500};
  APPC_OK_OR_FAIL(appc_app_set_supplementary_gids(app.a, gids, 2));
  APPC_OK_OR_FAIL(appc_app_set_working_directory(app.a, "/srv"));
  const char *pre[] = {"/usr/bin/data-downloader"};
  const char *post[] = {"/usr/bin/deregister-worker", "--verbose"};
  APPC_OK_OR_FAIL(appc_app_add_event_handler(app.a, "pre-start", pre, 1));
  APPC_OK_OR_FAIL(appc_app_add_event_handler(app.a, "post-stop", post, 2));
  APPC_OK_OR_FAIL(appc_app_add_env(app.a, "REDUCE_WORKER_DEBUG", "true"));
  APPC_OK_OR_FAIL(appc_app_add_env(app.a, "PATH", "/usr/bin"));
  std::string cpu = R"({"request": "250m", "limit": "500m"})", mem = R"({"limit": "1G"})";
  APPC_OK_OR_FAIL(appc_app_add_isolator(app.a, "resource/cpu", cpu.data(), cpu.size()));
  APPC_OK_OR_FAIL(appc_app_add_isolator(app.a, "resource/memory", mem.data(), mem.size()));
  APPC_OK_OR_FAIL(appc_app_add_mount_point(app.a, "database", "/var/lib/db", true));
  APPC_OK_OR_FAIL(appc_app_add_port(app.a, "health", "tcp", 4000, 2, true));
  APPC_OK_OR_FAIL(appc_app_add_user_annotation(app.a, "team", "infra"));
  APPC_OK_OR_FAIL(appc_app_add_user_annotation(app.a, "ticket", "OPS-1"));
  APPC_OK_OR_FAIL(appc_app_add_user_label(app.a, "tier", "backend"));
  APPC_OK_OR_FAIL(appc_image_manifest_set_app(m, app.a));

  size_t d0 = 99, d1 = 99;
  APPC_OK_OR_FAIL(appc_image_manifest_add_dependency(m, "example.com/reduce-worker-base", kId, &d0));
  APPC_OK_OR_FAIL(appc_image_manifest_dependency_add_label(m, d0, "os", "linux"));
  APPC_OK_OR_FAIL(appc_image_manifest_dependency_add_label(m, d0, "env", "canary"));
  APPC_OK_OR_FAIL(appc_image_manifest_dependency_set_size(m, d0, 22017258));
  APPC_OK_OR_FAIL(appc_image_manifest_add_dependency(m, "example.com/tools", nullptr, &d1));
  CHECK(d0 == 0);
  CHECK(d1 == 1);
  APPC_OK_OR_FAIL(appc_image_manifest_add_path_whitelist(m, "/etc/ca/example.com/crt"));
  APPC_OK_OR_FAIL(appc_image_manifest_add_path_whitelist(m, "/usr/bin/map-reduce-worker"));
  APPC_OK_OR_FAIL(appc_image_manifest_add_annotation(m, "authors", "Carly Container"));
  APPC_OK_OR_FAIL(appc_image_manifest_add_annotation(m, "created", "2014-10-27T19:32:27.67021798Z"));
  APPC_OK_OR_FAIL(appc_image_manifest_add_annotation(m, "homepage", "https://example.com"));
}

// Every accessor against the content of full_image_json().
void check_full_image(const appc_image_manifest *m) {
  CHECK(str(appc_image_manifest_ac_kind(m)) == "ImageManifest");
  CHECK(str(appc_image_manifest_ac_version(m)) == "0.8.11");
  CHECK(str(appc_image_manifest_name(m)) == "example.com/reduce-worker");

  REQUIRE(appc_image_manifest_label_count(m) == 3);
  CHECK(str(appc_image_manifest_label_name(m, 0)) == "version");
  CHECK(str(appc_image_manifest_label_value(m, 0)) == "1.0.0");
  CHECK(str(appc_image_manifest_label_name(m, 2)) == "os");
  CHECK(str(appc_image_manifest_label(m, "arch")) == "amd64");
  CHECK(appc_image_manifest_label(m, "nope") == nullptr);
  CHECK(appc_image_manifest_label(m, nullptr) == nullptr);

  REQUIRE(appc_image_manifest_annotation_count(m) == 3);
  CHECK(str(appc_image_manifest_annotation_name(m, 1)) == "created");
  CHECK(str(appc_image_manifest_annotation_value(m, 1)) == "2014-10-27T19:32:27.67021798Z");
  CHECK(str(appc_image_manifest_annotation(m, "homepage")) == "https://example.com");
  CHECK(appc_image_manifest_annotation(m, "documentation") == nullptr);

  REQUIRE(appc_image_manifest_dependency_count(m) == 2);
  CHECK(str(appc_image_manifest_dependency_image_name(m, 0)) == "example.com/reduce-worker-base");
  CHECK(str(appc_image_manifest_dependency_image_id(m, 0)) == kId);
  REQUIRE(appc_image_manifest_dependency_label_count(m, 0) == 2);
  CHECK(str(appc_image_manifest_dependency_label_name(m, 0, 1)) == "env");
  CHECK(str(appc_image_manifest_dependency_label_value(m, 0, 1)) == "canary");
  CHECK(appc_image_manifest_dependency_has_size(m, 0));
  CHECK(appc_image_manifest_dependency_size(m, 0) == 22017258u);
  CHECK(str(appc_image_manifest_dependency_image_name(m, 1)) == "example.com/tools");
  CHECK(appc_image_manifest_dependency_image_id(m, 1) == nullptr);
  CHECK(appc_image_manifest_dependency_label_count(m, 1) == 0);
  CHECK_FALSE(appc_image_manifest_dependency_has_size(m, 1));
  CHECK(appc_image_manifest_dependency_size(m, 1) == 0);

  REQUIRE(appc_image_manifest_path_whitelist_count(m) == 2);
  CHECK(str(appc_image_manifest_path_whitelist(m, 1)) == "/usr/bin/map-reduce-worker");

  const appc_app *app = appc_image_manifest_app(m);
  REQUIRE(app != nullptr);
  REQUIRE(appc_app_exec_count(app) == 2);
  CHECK(str(appc_app_exec(app, 0)) == "/usr/bin/reduce-worker");
  CHECK(str(appc_app_exec(app, 1)) == "--quiet");
  CHECK(str(appc_app_user(app)) == "100");
  CHECK(str(appc_app_group(app)) == "300");
  REQUIRE(appc_app_supplementary_gid_count(app) == 2);
  CHECK(appc_app_supplementary_gid(app, 0) == 400);
  CHECK(appc_app_supplementary_gid(app, 1) == 500);
  CHECK(str(appc_app_working_directory(app)) == "/srv");

  REQUIRE(appc_app_event_handler_count(app) == 2);
  CHECK(str(appc_app_event_handler_name(app, 0)) == "pre-start");
  REQUIRE(appc_app_event_handler_exec_count(app, 0) == 1);
  CHECK(str(appc_app_event_handler_exec(app, 0, 0)) == "/usr/bin/data-downloader");
  CHECK(str(appc_app_event_handler_name(app, 1)) == "post-stop");
  REQUIRE(appc_app_event_handler_exec_count(app, 1) == 2);
  CHECK(str(appc_app_event_handler_exec(app, 1, 1)) == "--verbose");

  REQUIRE(appc_app_env_count(app) == 2);
  CHECK(str(appc_app_env_name(app, 0)) == "REDUCE_WORKER_DEBUG");
  CHECK(str(appc_app_env_value(app, 0)) == "true");
  CHECK(str(appc_app_env(app, "PATH")) == "/usr/bin");
  CHECK(appc_app_env(app, "HOME") == nullptr);

  REQUIRE(appc_app_isolator_count(app) == 2);
  CHECK(str(appc_isolator_name(appc_app_isolator(app, 0))) == "resource/cpu");
  CHECK(appc_isolator_kind_of(appc_app_isolator(app, 1)) == APPC_ISOLATOR_RESOURCE_MEMORY);
  CHECK(appc_app_find_isolator(app, "resource/memory") == appc_app_isolator(app, 1));
  CHECK(appc_app_find_isolator(app, "os/linux/no-new-privileges") == nullptr);

  REQUIRE(appc_app_mount_point_count(app) == 1);
  CHECK(str(appc_app_mount_point_name(app, 0)) == "database");
  CHECK(str(appc_app_mount_point_path(app, 0)) == "/var/lib/db");
  CHECK(appc_app_mount_point_read_only(app, 0));

  REQUIRE(appc_app_port_count(app) == 1);
  const appc_port *p = appc_app_port(app, 0);
  REQUIRE(p != nullptr);
  CHECK(str(appc_port_name(p)) == "health");
  CHECK(str(appc_port_protocol(p)) == "tcp");
  CHECK(appc_port_number(p) == 4000);
  CHECK(appc_port_count(p) == 2);
  CHECK(appc_port_socket_activated(p));

  REQUIRE(appc_app_user_annotation_count(app) == 2);
  CHECK(str(appc_app_user_annotation_name(app, 0)) == "team");
  CHECK(str(appc_app_user_annotation_value(app, 0)) == "infra");
  CHECK(str(appc_app_user_annotation(app, "ticket")) == "OPS-1");
  REQUIRE(appc_app_user_label_count(app) == 1);
  CHECK(str(appc_app_user_label_name(app, 0)) == "tier");
  CHECK(str(appc_app_user_label_value(app, 0)) == "backend");
  CHECK(str(appc_app_user_label(app, "tier")) == "backend");
  CHECK(appc_app_user_label(app, "team") == nullptr);
}

} // namespace

TEST_CASE("capi: image manifest parse exposes every field") {
  std::string json = full_image_json();
  Image img;
  APPC_OK_OR_FAIL(appc_image_manifest_parse(&img.m, json.data(), json.size(), nullptr));
  check_full_image(img.m);
  APPC_OK_OR_FAIL(appc_image_manifest_validate(img.m));
}

TEST_CASE("capi: image accessors give NULL/0/false out of range and for a NULL handle") {
  std::string json = full_image_json();
  Image img;
  APPC_OK_OR_FAIL(appc_image_manifest_parse(&img.m, json.data(), json.size(), nullptr));
  const appc_image_manifest *m = img.m;
  CHECK(appc_image_manifest_label_name(m, 3) == nullptr);
  CHECK(appc_image_manifest_label_value(m, 99) == nullptr);
  CHECK(appc_image_manifest_annotation_name(m, 3) == nullptr);
  CHECK(appc_image_manifest_dependency_image_name(m, 2) == nullptr);
  CHECK(appc_image_manifest_dependency_label_name(m, 0, 2) == nullptr);
  CHECK(appc_image_manifest_dependency_label_value(m, 5, 0) == nullptr);
  CHECK_FALSE(appc_image_manifest_dependency_has_size(m, 2));
  CHECK(appc_image_manifest_path_whitelist(m, 2) == nullptr);
  const appc_app *app = appc_image_manifest_app(m);
  CHECK(appc_app_exec(app, 2) == nullptr);
  CHECK(appc_app_supplementary_gid(app, 2) == 0);
  CHECK(appc_app_event_handler_exec(app, 0, 1) == nullptr);
  CHECK(appc_app_event_handler_exec_count(app, 2) == 0);
  CHECK(appc_app_port(app, 1) == nullptr);
  CHECK(appc_app_isolator(app, 2) == nullptr);
  CHECK_FALSE(appc_app_mount_point_read_only(app, 1));
  CHECK(appc_image_manifest_name(nullptr) == nullptr);
  CHECK(appc_image_manifest_app(nullptr) == nullptr);
  CHECK(appc_app_user(nullptr) == nullptr);
  CHECK(appc_app_exec_count(nullptr) == 0);
  CHECK(appc_port_number(nullptr) == 0);
  CHECK(appc_isolator_name(nullptr) == nullptr);
}

TEST_CASE("capi: built image manifest == parsed one, byte for byte") {
  Image built;
  build_full_image(built);
  check_full_image(built.m);
  APPC_OK_OR_FAIL(appc_image_manifest_validate(built.m));

  std::string json = full_image_json();
  Image parsed;
  APPC_OK_OR_FAIL(appc_image_manifest_parse(&parsed.m, json.data(), json.size(), nullptr));
  CHECK(serialize(built.m) == serialize(parsed.m));
}

TEST_CASE("capi: image builder -> serialize -> parse round trip is stable") {
  Image built;
  build_full_image(built);
  std::string text = serialize(built.m);
  Image again;
  APPC_OK_OR_FAIL(appc_image_manifest_parse(&again.m, text.data(), text.size(), nullptr));
  check_full_image(again.m);
  CHECK(serialize(again.m) == text);

  // Pretty output is the same document.
  std::string pretty = serialize(built.m, true);
  CHECK(pretty.find('\n') != std::string::npos);
  CHECK(pretty != text);
  Image from_pretty;
  APPC_OK_OR_FAIL(appc_image_manifest_parse(&from_pretty.m, pretty.data(), pretty.size(), nullptr));
  CHECK(serialize(from_pretty.m) == text);
  CHECK(text.find('\n') == std::string::npos);
}

TEST_CASE("capi: a new image manifest has kind, spec version, name and nothing else") {
  Image img;
  APPC_OK_OR_FAIL(appc_image_manifest_new(&img.m, "example.com/minimal"));
  CHECK(str(appc_image_manifest_ac_kind(img.m)) == "ImageManifest");
  CHECK(str(appc_image_manifest_ac_version(img.m)) == appc_spec_version());
  CHECK(appc_image_manifest_app(img.m) == nullptr);
  CHECK(appc_image_manifest_label_count(img.m) == 0);
  APPC_OK_OR_FAIL(appc_image_manifest_validate(img.m));
  std::string text = serialize(img.m);
  CHECK(text.find("example.com/minimal") != std::string::npos);
  CHECK(text.find("\"app\"") == std::string::npos);
}

TEST_CASE("spec 1, 13: an invalid built manifest is reported by validate and serialize") {
  Image img;
  APPC_OK_OR_FAIL(appc_image_manifest_new(&img.m, "Example.com/Bad Name"));
  App app;
  APPC_OK_OR_FAIL(appc_app_new(&app.a));
  APPC_OK_OR_FAIL(appc_image_manifest_set_app(img.m, app.a)); // user and group left empty
  CHECK(appc_image_manifest_validate(img.m) == APPC_EINVALID);
  CHECK_MESSAGE(has_diag("name", 1), last_error_text());
  CHECK_MESSAGE(has_diag("app.user", 13), last_error_text());
  CHECK_MESSAGE(has_diag("app.group", 13), last_error_text());

  Buf b;
  CHECK(appc_image_manifest_serialize(img.m, nullptr, &b.b) == APPC_EINVALID);
  CHECK(b.b.ptr == nullptr);
  CHECK(b.b.size == 0);
  CHECK(appc_error_diagnostic_count() >= 3);

  APPC_OK_OR_FAIL(appc_image_manifest_set_name(img.m, "example.com/good-name"));
  APPC_OK_OR_FAIL(appc_app_set_user(app.a, "0"));
  APPC_OK_OR_FAIL(appc_app_set_group(app.a, "0"));
  // The manifest holds a copy: changing the builder app changes nothing yet.
  CHECK(appc_image_manifest_validate(img.m) == APPC_EINVALID);
  APPC_OK_OR_FAIL(appc_image_manifest_set_app(img.m, app.a));
  APPC_OK_OR_FAIL(appc_image_manifest_validate(img.m));
}

TEST_CASE("spec 8: duplicate labels added by the builder are reported at validation") {
  Image img;
  APPC_OK_OR_FAIL(appc_image_manifest_new(&img.m, "example.com/x"));
  APPC_OK_OR_FAIL(appc_image_manifest_add_label(img.m, "version", "1"));
  APPC_OK_OR_FAIL(appc_image_manifest_add_label(img.m, "version", "2"));
  CHECK(appc_image_manifest_validate(img.m) == APPC_EINVALID);
  bool found = false;
  for (const auto &d : diagnostics()) found = found || (d.path.rfind("labels", 0) == 0 && d.rule == 8);
  CHECK_MESSAGE(found, last_error_text());
  APPC_OK_OR_FAIL(appc_image_manifest_clear_labels(img.m));
  CHECK(appc_image_manifest_label_count(img.m) == 0);
  APPC_OK_OR_FAIL(appc_image_manifest_validate(img.m));
}

TEST_CASE("capi: image builder setters reject NULL and bad indexes, clear functions clear") {
  Image img;
  APPC_OK_OR_FAIL(appc_image_manifest_new(&img.m, "example.com/x"));
  appc_image_manifest *m = img.m;
  CHECK(appc_image_manifest_set_name(m, nullptr) == APPC_EINVALID);
  CHECK(appc_image_manifest_set_name(nullptr, "x") == APPC_EINVALID);
  CHECK(appc_image_manifest_set_ac_version(m, nullptr) == APPC_EINVALID);
  CHECK(appc_image_manifest_add_label(m, "a", nullptr) == APPC_EINVALID);
  CHECK(appc_image_manifest_add_label(m, nullptr, "a") == APPC_EINVALID);
  CHECK(appc_image_manifest_add_annotation(m, nullptr, "a") == APPC_EINVALID);
  CHECK(appc_image_manifest_add_dependency(m, nullptr, nullptr, nullptr) == APPC_EINVALID);
  CHECK(appc_image_manifest_add_path_whitelist(m, nullptr) == APPC_EINVALID);
  CHECK(appc_image_manifest_label_count(m) == 0);

  CHECK(appc_image_manifest_dependency_add_label(m, 0, "os", "linux") == APPC_ENOTFOUND);
  CHECK(std::string(appc_error_last()->message) ==
        "appc_image_manifest_dependency_add_label: dependency index 0 is out of range (0 present)");
  CHECK(appc_image_manifest_dependency_set_size(m, 3, 1) == APPC_ENOTFOUND);

  APPC_OK_OR_FAIL(appc_image_manifest_set_ac_version(m, "0.8.10"));
  CHECK(str(appc_image_manifest_ac_version(m)) == "0.8.10");
  APPC_OK_OR_FAIL(appc_image_manifest_add_annotation(m, "authors", "me"));
  APPC_OK_OR_FAIL(appc_image_manifest_add_dependency(m, "example.com/base", nullptr, nullptr));
  APPC_OK_OR_FAIL(appc_image_manifest_add_path_whitelist(m, "/etc"));
  CHECK(appc_image_manifest_annotation_count(m) == 1);
  CHECK(appc_image_manifest_dependency_count(m) == 1);
  CHECK(appc_image_manifest_path_whitelist_count(m) == 1);
  APPC_OK_OR_FAIL(appc_image_manifest_clear_annotations(m));
  APPC_OK_OR_FAIL(appc_image_manifest_clear_dependencies(m));
  APPC_OK_OR_FAIL(appc_image_manifest_clear_path_whitelist(m));
  CHECK(appc_image_manifest_annotation_count(m) == 0);
  CHECK(appc_image_manifest_dependency_count(m) == 0);
  CHECK(appc_image_manifest_path_whitelist_count(m) == 0);
  CHECK(appc_image_manifest_clear_labels(nullptr) == APPC_EINVALID);
}

TEST_CASE("capi: set_app copies, NULL removes, and a manifest's own app can be set back") {
  std::string json = full_image_json();
  Image img;
  APPC_OK_OR_FAIL(appc_image_manifest_parse(&img.m, json.data(), json.size(), nullptr));
  // Aliasing: the argument is borrowed from the manifest being modified.
  APPC_OK_OR_FAIL(appc_image_manifest_set_app(img.m, appc_image_manifest_app(img.m)));
  check_full_image(img.m);

  App copy;
  APPC_OK_OR_FAIL(appc_app_clone(&copy.a, appc_image_manifest_app(img.m)));
  APPC_OK_OR_FAIL(appc_image_manifest_set_app(img.m, nullptr));
  CHECK(appc_image_manifest_app(img.m) == nullptr);
  // The clone outlives the app it was copied from.
  CHECK(str(appc_app_user(copy.a)) == "100");
  CHECK(appc_app_isolator_count(copy.a) == 2);
  APPC_OK_OR_FAIL(appc_image_manifest_validate(img.m));
}

TEST_CASE("capi: clone is deep") {
  std::string json = full_image_json();
  Image img, copy;
  APPC_OK_OR_FAIL(appc_image_manifest_parse(&img.m, json.data(), json.size(), nullptr));
  APPC_OK_OR_FAIL(appc_image_manifest_clone(&copy.m, img.m));
  APPC_OK_OR_FAIL(appc_image_manifest_set_name(copy.m, "example.com/other"));
  APPC_OK_OR_FAIL(appc_image_manifest_clear_labels(copy.m));
  CHECK(str(appc_image_manifest_name(img.m)) == "example.com/reduce-worker");
  CHECK(appc_image_manifest_label_count(img.m) == 3);
  Image none;
  CHECK(appc_image_manifest_clone(&none.m, nullptr) == APPC_EINVALID);
  CHECK(none.m == nullptr);
}

TEST_CASE("capi: every finding of a parse, in document order, and no handle") {
  std::string json = R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"UPPER",
    "labels":[{"name":"os","value":"plan9"}],
    "app":{"user":"0","group":"0","ports":[{"name":"p","protocol":"tcp","port":70000}]}})";
  Image img;
  CHECK(appc_image_manifest_parse(&img.m, json.data(), json.size(), nullptr) == APPC_EINVALID);
  CHECK(img.m == nullptr);
  auto diags = diagnostics();
  REQUIRE_MESSAGE(diags.size() >= 3, last_error_text());
  CHECK(has_diag("name", 1));
  CHECK(has_diag("app.ports[0].port", 17));
  // The message of the error counts the rest.
  CHECK(std::string(appc_error_last()->message).find("more)") != std::string::npos);
}

TEST_CASE("capi: a pod manifest is not an image manifest") {
  std::string json = corpus("valid-spec-example-pod-runtime.json");
  Image img;
  CHECK(appc_image_manifest_parse(&img.m, json.data(), json.size(), nullptr) == APPC_EINVALID);
  CHECK(has_diag("acKind", 3));
}
