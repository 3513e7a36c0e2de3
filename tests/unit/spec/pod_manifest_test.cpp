// Pod manifest fields (spec/pods.md; checklist items 69-80): each rule valid
// and invalid, with the path, message and checklist item of the finding.
#include "spec/manifest.hpp"

#include "manifest_test_util.hpp"

#include <doctest/doctest.h>

using namespace appc;
using namespace appc::spec;
using namespace appc::spec::test;

TEST_CASE("spec 71: a minimal pod manifest decodes") {
  auto r = parse_pod_manifest(pod_json());
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->ac_kind == "PodManifest");
  REQUIRE(r->apps.size() == 1);
  CHECK(r->apps[0].name == "web");
  CHECK(r->apps[0].image.id == image_id());
}

TEST_CASE("spec 71, 72: acVersion, acKind and apps are required") {
  CHECK_ONLY_FINDING(pod_findings(R"({"acKind":"PodManifest","apps":[]})"), "acVersion", "is required", 71);
  CHECK_ONLY_FINDING(pod_findings(R"({"acVersion":"0.8.11","apps":[]})"), "acKind", "is required", 71);
  CHECK_ONLY_FINDING(pod_findings(R"({"acVersion":"0.8.11","acKind":"PodManifest"})"), "apps", "is required", 72);
  CHECK_ONLY_FINDING(pod_findings(R"({"acVersion":"0.8.11","acKind":"PodManifest","apps":null})"), "apps",
                     "is required", 72);
  CHECK(pod_findings(R"({"acVersion":"0.8.11","acKind":"PodManifest","apps":[]})").empty());
  CHECK_ONLY_FINDING(pod_findings(R"({"acVersion":"0.8.11","acKind":"ImageManifest","apps":[]})"), "acKind",
                     "expected \"PodManifest\", got \"ImageManifest\"", 3);
  CHECK_ONLY_FINDING(pod_findings(R"({"acVersion":"0.8","acKind":"PodManifest","apps":[]})"), "acVersion",
                     "is not a SemVer 2.0.0 version", 4);
  CHECK_ONLY_FINDING(pod_findings(R"({"acVersion":"0.8.11","acKind":"PodManifest","apps":{}})"), "apps",
                     "expected an array, got object", 72);
}

TEST_CASE("spec 72: app names: required AC Names, unique in the pod; apps may share an image") {
  std::string id = image_id();
  auto apps = [&](const std::string &list) {
    return pod_findings(R"({"acVersion":"0.8.11","acKind":"PodManifest","apps":[)" + list + "]}");
  };
  CHECK(apps(R"({"name":"a","image":{"id":")" + id + R"("}},{"name":"b","image":{"id":")" + id + R"("}})").empty());
  CHECK_ONLY_FINDING(apps(R"({"name":"a","image":{}},{"name":"a","image":{}})"), "apps[1].name",
                     "duplicate app name \"a\"", 72);
  CHECK_ONLY_FINDING(apps(R"({"image":{}})"), "apps[0].name", "is required", 72);
  CHECK_ONLY_FINDING(apps(R"({"name":"example.com","image":{}})"), "apps[0].name", "is not an AC Name", 2);
  CHECK_ONLY_FINDING(apps(R"({"name":"app_1","image":{}})"), "apps[0].name", "character '_' at position 3", 2);
  CHECK_ONLY_FINDING(apps(R"({"name":"a"})"), "apps[0].image", "is required", 73);
  CHECK_ONLY_FINDING(apps(R"("a")"), "apps[0]", "expected an object, got string", 72);
}

TEST_CASE("spec 70, 73: image: id an image ID (absent in a template), name an AC Identifier, labels") {
  auto pod_with_image = [](const std::string &img) {
    return pod_findings(R"({"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"name":"a","image":)" + img + "}]}");
  };
  CHECK(pod_with_image(R"({"name":"example.com/app","labels":[{"name":"version","value":"latest"}]})").empty());
  CHECK(pod_with_image("{}").empty());
  CHECK_ONLY_FINDING(pod_with_image(R"({"id":"sha512-..."})"), "apps[0].image.id", "has 3 characters, expected 128", 5);
  CHECK_ONLY_FINDING(pod_with_image(R"({"id":"sha1-abc"})"), "apps[0].image.id", "unknown hash type", 5);
  CHECK_ONLY_FINDING(pod_with_image(R"({"id":"sha512-"})"), "apps[0].image.id", "empty hash value", 5);
  CHECK_ONLY_FINDING(pod_with_image(R"({"name":"Example.com/app"})"), "apps[0].image.name", "is not an AC Identifier",
                     1);
  CHECK_ONLY_FINDING(pod_with_image(R"({"name":""})"), "apps[0].image.name", "must not be empty", 1);
  CHECK_ONLY_FINDING(pod_with_image(R"({"labels":[{"name":"os","value":"linux"},{"name":"arch","value":"arm64"}]})"),
                     "apps[0].image.labels[1].value", "unknown arch", 8);
  CHECK_ONLY_FINDING(pod_with_image(R"("x")"), "apps[0].image", "expected an object, got string", 73);
}

TEST_CASE("spec 74: the app override is a whole app object") {
  auto r = parse_pod_manifest(pod_app_json(R"("app":{"exec":["/bin/x"],"user":"0","group":"0"})"));
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  REQUIRE(r->apps[0].app.has_value());
  CHECK(r->apps[0].app->exec == std::vector<std::string>{"/bin/x"});
  CHECK_ONLY_FINDING(pod_findings(pod_app_json(R"("app":{"group":"0"})")), "apps[0].app.user", "is required", 13);
  CHECK_ONLY_FINDING(pod_findings(pod_app_json(R"("app":[])")), "apps[0].app", "expected an object, got array", 74);
  // Unknown isolators are accepted in an override too (spec 22).
  CHECK(pod_findings(pod_app_json(R"("app":{"user":"0","group":"0","isolators":[{"name":"example.com/x","value":0}]})"))
            .empty());
}

TEST_CASE("spec 75: readOnlyRootFS is a boolean") {
  auto r = parse_pod_manifest(pod_app_json(R"("readOnlyRootFS":true)"));
  REQUIRE(r.ok());
  CHECK(r->apps[0].read_only_root_fs);
  CHECK_ONLY_FINDING(pod_findings(pod_app_json(R"("readOnlyRootFS":"true")")), "apps[0].readOnlyRootFS",
                     "expected a boolean, got string", 75);
}

TEST_CASE("spec 76: mounts: volume (AC Name) and path required; appVolume is a volume") {
  auto r = parse_pod_manifest(pod_app_json(
      R"("mounts":[{"volume":"db","path":"/var/lib/db"},{"volume":"x","path":"/x","appVolume":{"name":"x","kind":"empty"}}])"));
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  REQUIRE(r->apps[0].mounts.size() == 2);
  CHECK(r->apps[0].mounts[1].app_volume->kind == "empty");
  // A mount may name a volume the pod does not define (a template; spec 70).
  CHECK(pod_findings(pod_app_json(R"("mounts":[{"volume":"undefined","path":"/x"}])")).empty());
  CHECK_ONLY_FINDING(pod_findings(pod_app_json(R"("mounts":[{"path":"/x"}])")), "apps[0].mounts[0].volume",
                     "is required", 76);
  CHECK_ONLY_FINDING(pod_findings(pod_app_json(R"("mounts":[{"volume":"db"}])")), "apps[0].mounts[0].path",
                     "is required", 76);
  CHECK_ONLY_FINDING(pod_findings(pod_app_json(R"("mounts":[{"volume":"db","mountPoint":"db"}])")),
                     "apps[0].mounts[0].path", "replaced by {volume, path} in 0.7.0", 76);
  CHECK_ONLY_FINDING(pod_findings(pod_app_json(R"("mounts":[{"volume":"db","path":""}])")), "apps[0].mounts[0].path",
                     "must not be empty", 76);
  CHECK_ONLY_FINDING(pod_findings(pod_app_json(R"("mounts":[{"volume":"d.b","path":"/x"}])")),
                     "apps[0].mounts[0].volume", "is not an AC Name", 2);
  CHECK_ONLY_FINDING(
      pod_findings(pod_app_json(R"("mounts":[{"volume":"x","path":"/x","appVolume":{"name":"x","kind":"host","source":"rel"}}])")),
      "apps[0].mounts[0].appVolume.source", "\"rel\" is not an absolute path", 78);
}

TEST_CASE("spec 77: app annotations: unique AC Names, recognized values checked") {
  CHECK(pod_findings(pod_app_json(R"("annotations":[{"name":"foo","value":"baz"}])")).empty());
  CHECK_ONLY_FINDING(pod_findings(pod_app_json(R"("annotations":[{"name":"foo","value":"1"},{"name":"foo","value":"2"}])")),
                     "apps[0].annotations[1].name", "duplicate annotation name", 77);
  CHECK_ONLY_FINDING(pod_findings(pod_app_json(R"("annotations":[{"name":"example.com/x","value":"1"}])")),
                     "apps[0].annotations[0].name", "is not an AC Name", 2);
  CHECK_ONLY_FINDING(pod_findings(pod_app_json(R"("annotations":[{"name":"created","value":"yesterday"}])")),
                     "apps[0].annotations[0].value", "is not an RFC 3339 date-time", 7);
  CHECK_ONLY_FINDING(pod_findings(pod_app_json(R"("annotations":[{"name":"homepage","value":"ftp://x"}])")),
                     "apps[0].annotations[0].value", "http or https", 9);
}

TEST_CASE("spec 78: volumes: name and kind required; host needs an absolute source; empty takes mode/uid/gid") {
  auto vols = [](const std::string &v) { return pod_findings(pod_json("\"volumes\":[" + v + "]")); };
  auto r = parse_pod_manifest(pod_json(
      R"("volumes":[{"name":"db","kind":"host","source":"/opt/db","readOnly":true,"recursive":false},)"
      R"({"name":"out","kind":"empty","mode":"0777","uid":-1,"gid":4294967295,"recursive":true}])"));
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->volumes[0].read_only == true);
  CHECK(r->volumes[0].recursive == false);
  CHECK(r->volumes[1].mode == "0777");
  CHECK(r->volumes[1].uid == -1);
  CHECK_FALSE(r->volumes[1].read_only.has_value());
  CHECK_ONLY_FINDING(vols(R"({"kind":"empty"})"), "volumes[0].name", "is required", 78);
  CHECK_ONLY_FINDING(vols(R"({"name":"a"})"), "volumes[0].kind", "is required", 78);
  CHECK_ONLY_FINDING(vols(R"({"name":"a","kind":"tmpfs"})"), "volumes[0].kind", "\"tmpfs\" is not a volume kind", 78);
  CHECK_ONLY_FINDING(vols(R"({"name":"a","kind":"host"})"), "volumes[0].source", "a host volume needs a source", 78);
  CHECK_ONLY_FINDING(vols(R"({"name":"a","kind":"host","source":""})"), "volumes[0].source",
                     "a host volume needs a source", 78);
  CHECK_ONLY_FINDING(vols(R"({"name":"a","kind":"host","source":"tmp"})"), "volumes[0].source",
                     "\"tmp\" is not an absolute path", 78);
  CHECK_ONLY_FINDING(vols(R"({"name":"a","kind":"host","source":"/x","mode":"0755"})"), "volumes[0].mode",
                     "mode is only allowed for empty volumes", 78);
  CHECK_ONLY_FINDING(vols(R"({"name":"a","kind":"host","source":"/x","uid":0})"), "volumes[0].uid",
                     "uid is only allowed for empty volumes", 78);
  CHECK_ONLY_FINDING(vols(R"({"name":"a","kind":"host","source":"/x","gid":0})"), "volumes[0].gid",
                     "gid is only allowed for empty volumes", 78);
  CHECK_ONLY_FINDING(vols(R"({"name":"a","kind":"empty","source":"/x"})"), "volumes[0].source",
                     "source is only allowed for host volumes", 78);
  CHECK_ONLY_FINDING(vols(R"({"name":"a","kind":"empty","mode":"rwx"})"), "volumes[0].mode",
                     "\"rwx\" is not an octal permission string", 78);
  CHECK_ONLY_FINDING(vols(R"({"name":"a","kind":"empty","mode":"07777"})"), "volumes[0].mode",
                     "is not an octal permission string", 78);
  CHECK_ONLY_FINDING(vols(R"({"name":"a","kind":"empty","uid":4294967296})"), "volumes[0].uid",
                     "4294967296 is outside -2147483648..4294967295", 78);
  CHECK_ONLY_FINDING(vols(R"({"name":"a","kind":"empty","gid":1.5})"), "volumes[0].gid", "expected an integer, got 1.5",
                     78);
  CHECK_ONLY_FINDING(vols(R"({"name":"a","kind":"empty","readOnly":"no"})"), "volumes[0].readOnly",
                     "expected a boolean, got string", 78);
  CHECK_ONLY_FINDING(vols(R"({"name":"a","kind":"empty"},{"name":"a","kind":"empty"})"), "volumes[1].name",
                     "duplicate volume name \"a\"", 78);
  CHECK_ONLY_FINDING(vols(R"({"name":"a.b","kind":"empty"})"), "volumes[0].name", "is not an AC Name", 2);
}

TEST_CASE("spec 79: pod isolators: unknown names accepted, known values checked") {
  CHECK(pod_findings(pod_json(R"("isolators":[{"name":"resource/memory","value":{"limit":"4G"}},)"
                              R"({"name":"os/unix/sysctl","value":{"net.ipv4.tcp_fin_timeout":"6"}},)"
                              R"({"name":"example.com/x","value":[1]}])"))
            .empty());
  CHECK_ONLY_FINDING(pod_findings(pod_json(R"("isolators":[{"name":"resource/memory"}])")), "isolators[0].value",
                     "is required", 6);
  CHECK_ONLY_FINDING(pod_findings(pod_json(R"("isolators":{})")), "isolators", "expected an array, got object", 79);
}

TEST_CASE("spec 79: pod annotations: unique AC Names") {
  CHECK(pod_findings(pod_json(R"("annotations":[{"name":"ip-address","value":"10.1.2.3"}])")).empty());
  CHECK_ONLY_FINDING(pod_findings(pod_json(R"("annotations":[{"name":"coreos.com/rkt/stage1/mutable","value":"false"}])")),
                     "annotations[0].name", "is not an AC Name", 2);
  CHECK_ONLY_FINDING(pod_findings(pod_json(R"("annotations":[{"name":"a","value":"1"},{"name":"a","value":"2"}])")),
                     "annotations[1].name", "duplicate annotation name \"a\"", 79);
}

TEST_CASE("spec 79: pod ports: unique AC Name, hostPort 1..65535, hostIP dotted quad, podPort a port") {
  auto ports = [](const std::string &p) { return pod_findings(pod_json("\"ports\":[" + p + "]")); };
  auto r = parse_pod_manifest(pod_json(R"("ports":[{"name":"ftp","hostPort":2121,"hostIP":"203.0.113.23",)"
                                       R"("podPort":{"name":"ftp","protocol":"tcp","port":21}}])"));
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->ports[0].host_port == 2121);
  CHECK(r->ports[0].pod_port->port == 21);
  CHECK_ONLY_FINDING(ports(R"({"hostPort":80})"), "ports[0].name", "is required", 79);
  CHECK_ONLY_FINDING(ports(R"({"name":"a"})"), "ports[0].hostPort", "is required", 79);
  CHECK_ONLY_FINDING(ports(R"({"name":"a","hostPort":70000})"), "ports[0].hostPort", "70000 is outside 1..65535", 79);
  CHECK_ONLY_FINDING(ports(R"({"name":"a","hostPort":-1})"), "ports[0].hostPort", "-1 is outside 1..65535", 79);
  CHECK_ONLY_FINDING(ports(R"({"name":"a","hostPort":0})"), "ports[0].hostPort", "0 is outside 1..65535", 79);
  CHECK_ONLY_FINDING(ports(R"({"name":"a","hostPort":80},{"name":"a","hostPort":81})"), "ports[1].name",
                     "duplicate port name \"a\"", 79);
  CHECK_ONLY_FINDING(ports(R"({"name":"FTP","hostPort":80})"), "ports[0].name", "is not an AC Name", 2);
  CHECK_ONLY_FINDING(ports(R"({"name":"a","hostPort":80,"hostIP":"::1"})"), "ports[0].hostIP",
                     "\"::1\" is not an IPv4 address in dotted-quad notation", 79);
  CHECK_ONLY_FINDING(ports(R"({"name":"a","hostPort":80,"podPort":{"name":"a","protocol":"tcp","port":0}})"),
                     "ports[0].podPort.port", "0 is outside 1..65535", 17);
}

TEST_CASE("spec 80: pod userAnnotations and userLabels are string maps") {
  auto r = parse_pod_manifest(pod_json(R"("userAnnotations":{"k":"v"},"userLabels":{"Any Thing":"x"})"));
  REQUIRE(r.ok());
  CHECK(r->user_labels[0].first == "Any Thing");
  CHECK_ONLY_FINDING(pod_findings(pod_json(R"("userLabels":{"k":1})")), "userLabels.k", "expected a string, got number",
                     80);
  CHECK_ONLY_FINDING(pod_findings(pod_json(R"("userAnnotations":"x")")), "userAnnotations",
                     "expected an object, got string", 80);
}

TEST_CASE("spec 72: every finding of a pod is reported, in document order") {
  std::string json = R"({
    "acVersion": "0.8.11",
    "acKind": "PodManifest",
    "apps": [
      {"name": "a", "image": {"id": "sha1-x"}, "mounts": [{"volume": "v"}]},
      {"name": "a", "image": {}, "readOnlyRootFS": 1}
    ],
    "volumes": [{"name": "v", "kind": "host"}],
    "ports": [{"name": "p", "hostPort": 0}]
  })";
  auto d = pod_findings(json);
  INFO(dump(d));
  const char *paths[] = {"apps[0].image.id", "apps[0].mounts[0].path", "apps[1].readOnlyRootFS", "apps[1].name",
                         "volumes[0].source", "ports[0].hostPort"};
  REQUIRE(d.size() == std::size(paths));
  for (size_t i = 0; i < d.size(); ++i) CHECK(d[i].path == paths[i]);
}

TEST_CASE("spec 70: a pod manifest built in code is judged by the same rules") {
  PodManifest p;
  RuntimeApp a;
  a.name = "web";
  a.image.name = "example.com/web";
  p.apps.push_back(a);
  CHECK(validate(p).empty());   // a template: no image ID yet
  p.apps.push_back(a);
  Volume v;
  v.name = "data";
  v.kind = "host";
  p.volumes.push_back(v);
  auto d = validate(p);
  INFO(dump(d));
  REQUIRE(d.size() == 2);
  CHECK(d[0].path == "apps[1].name");
  CHECK(d[1].path == "volumes[0].source");
}

TEST_CASE("spec 71: the spec's runtime and template examples decode") {
  for (const char *f : {"valid-spec-example-pod-runtime.json", "valid-spec-example-pod-template.json"}) {
    INFO(f);
    auto r = parse_pod_manifest(read_file(corpus_dir() + "/" + f));
    REQUIRE_MESSAGE(r.ok(), r.error().message);
    CHECK(r->apps.size() == 3);
  }
}
