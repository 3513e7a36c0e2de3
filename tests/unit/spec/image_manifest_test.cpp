// Image manifest fields (spec/aci.md; checklist items 1-21, 46, 47): each rule
// valid and invalid, with the path, message and checklist item of the finding.
#include "spec/manifest.hpp"

#include "manifest_test_util.hpp"

#include <doctest/doctest.h>

using namespace appc;
using namespace appc::spec;
using namespace appc::spec::test;

TEST_CASE("spec 47: a minimal image manifest decodes") {
  auto r = parse_image_manifest(image_json());
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->ac_kind == "ImageManifest");
  CHECK(r->ac_version == "0.8.11");
  CHECK(r->name == "example.com/app");
  CHECK_FALSE(r->app.has_value());
  CHECK(r->labels.empty());
}

TEST_CASE("spec 47: acKind, acVersion and name are required") {
  CHECK_ONLY_FINDING(image_findings(R"({"acVersion":"0.8.11","name":"a"})"), "acKind", "is required", 47);
  CHECK_ONLY_FINDING(image_findings(R"({"acKind":"ImageManifest","name":"a"})"), "acVersion", "is required", 47);
  CHECK_ONLY_FINDING(image_findings(R"({"acKind":"ImageManifest","acVersion":"0.8.11"})"), "name", "is required", 47);
  auto all = image_findings("{}");
  INFO(dump(all));
  REQUIRE(all.size() == 3);
  CHECK(all[0].path == "acKind");
  CHECK(all[1].path == "acVersion");
  CHECK(all[2].path == "name");
}

TEST_CASE("spec 3: acKind must be exactly ImageManifest") {
  CHECK_ONLY_FINDING(image_findings(R"({"acKind":"","acVersion":"0.8.11","name":"a"})"), "acKind",
                     "must not be empty", 3);
  CHECK_ONLY_FINDING(image_findings(R"({"acKind":"imagemanifest","acVersion":"0.8.11","name":"a"})"), "acKind",
                     "expected \"ImageManifest\", got \"imagemanifest\"", 3);
  CHECK_ONLY_FINDING(image_findings(R"({"acKind":"PodManifest","acVersion":"0.8.11","name":"a"})"), "acKind",
                     "expected \"ImageManifest\", got \"PodManifest\"", 3);
  CHECK_ONLY_FINDING(image_findings(R"({"acKind":1,"acVersion":"0.8.11","name":"a"})"), "acKind",
                     "expected a string, got number", 3);
}

TEST_CASE("spec 4: acVersion is SemVer, not 0.0.0 and not newer than 0.8.11") {
  auto with_version = [](const char *v) {
    return image_findings(std::string(R"({"acKind":"ImageManifest","acVersion":")") + v + R"(","name":"a"})");
  };
  for (const char *ok : {"0.8.11", "0.1.0", "0.8.11-rc.1", "0.8.11+build.7", "0.3.0", "0.8.10"}) {
    INFO(ok);
    CHECK(with_version(ok).empty());
  }
  CHECK_ONLY_FINDING(with_version("1"), "acVersion", "\"1\" is not a SemVer 2.0.0 version", 4);
  CHECK_ONLY_FINDING(with_version("1.2.3.4"), "acVersion", "is not a SemVer 2.0.0 version", 4);
  CHECK_ONLY_FINDING(with_version("v0.8.11"), "acVersion", "is not a SemVer 2.0.0 version", 4);
  CHECK_ONLY_FINDING(with_version("00.8.11"), "acVersion", "no leading zeros", 4);
  CHECK_ONLY_FINDING(with_version("0.0.0"), "acVersion", "0.0.0 is not allowed", 4);
  CHECK_ONLY_FINDING(with_version("0.8.12"), "acVersion", "is newer than 0.8.11", 4);
  CHECK_ONLY_FINDING(with_version("0.9.0-alpha"), "acVersion", "is newer than 0.8.11", 4);
  CHECK_ONLY_FINDING(with_version("9.9.9"), "acVersion", "is newer than 0.8.11", 4);
}

TEST_CASE("spec 1, 47: name is an AC Identifier") {
  auto with_name = [](const char *n) {
    return image_findings(std::string(R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":")") + n + "\"}");
  };
  CHECK(with_name("example.com/reduce-worker").empty());
  CHECK(with_name("my~database").empty());
  CHECK_ONLY_FINDING(with_name("example..com//x"), "name", "consecutive separators", 1);
  CHECK_ONLY_FINDING(with_name("foo.com/BAR"), "name", "character 'B' at position 8", 1);
  CHECK_ONLY_FINDING(with_name(""), "name", "must not be empty", 1);
  CHECK_ONLY_FINDING(image_findings(R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":5})"), "name",
                     "expected a string, got number", 1);
}

TEST_CASE("spec 8: labels: unique AC Identifier names, not \"name\", os/arch table") {
  auto labels = [](const char *list) { return image_findings(image_json(std::string("\"labels\":") + list)); };
  CHECK(labels(R"([{"name":"version","value":"1.0.0"},{"name":"os","value":"linux"},{"name":"arch","value":"s390x"}])")
            .empty());
  CHECK(labels(R"([{"name":"arch","value":"anything"}])").empty());   // arch without os: not checked
  CHECK(labels(R"([{"name":"os","value":"freebsd"},{"name":"arch","value":"arm"}])").empty());
  CHECK(labels("[]").empty());
  CHECK_ONLY_FINDING(labels(R"([{"name":"name","value":"x"}])"), "labels[0].name", "\"name\" cannot be a label name",
                     8);
  CHECK_ONLY_FINDING(labels(R"([{"name":"os","value":"linux"},{"name":"os","value":"linux"}])"), "labels[1].name",
                     "duplicate label name \"os\"", 8);
  CHECK_ONLY_FINDING(labels(R"([{"name":"Version","value":"1"}])"), "labels[0].name", "is not an AC Identifier", 1);
  CHECK_ONLY_FINDING(labels(R"([{"name":"os","value":"plan9"}])"), "labels[0].value", "unknown os \"plan9\"", 8);
  CHECK_ONLY_FINDING(labels(R"([{"name":"arch","value":"arm64"},{"name":"os","value":"linux"}])"), "labels[0].value",
                     "unknown arch \"arm64\" for os \"linux\"", 8);
  CHECK_ONLY_FINDING(labels(R"([{"name":"os","value":"darwin"},{"name":"arch","value":"amd64"}])"), "labels[1].value",
                     "expected one of: x86_64, i386", 8);
  CHECK_ONLY_FINDING(labels(R"([{"name":"version"}])"), "labels[0].value", "is required", 8);
  CHECK_ONLY_FINDING(labels(R"([{"value":"1"}])"), "labels[0].name", "is required", 8);
  CHECK_ONLY_FINDING(labels(R"([{"name":"version","value":1}])"), "labels[0].value", "expected a string, got number",
                     8);
  CHECK_ONLY_FINDING(labels(R"(["version"])"), "labels[0]", "expected an object, got string", 8);
  CHECK_ONLY_FINDING(labels(R"({"version":"1"})"), "labels", "expected an array, got object", 8);
}

TEST_CASE("spec 12: exec is an optional list of strings, never evaluated") {
  auto r = parse_image_manifest(image_app_json(R"("exec":["sh","-c","echo $HOME"])"));
  REQUIRE(r.ok());
  CHECK(r->app->exec == std::vector<std::string>{"sh", "-c", "echo $HOME"});
  CHECK(image_findings(image_app_json(R"("exec":[])")).empty());
  CHECK(image_findings(image_app_json(R"("exec":null)")).empty());
  CHECK(image_findings(image_app_json()).empty());
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("exec":"/bin/sh")")), "app.exec", "expected an array, got string",
                     12);
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("exec":["/bin/sh",1])")), "app.exec[1]",
                     "expected a string, got number", 12);
}

TEST_CASE("spec 13: user and group are required non-empty strings") {
  CHECK(image_findings(image_json(R"("app":{"user":"/usr/bin/ping","group":"1000"})")).empty());
  auto none = image_findings(image_json(R"("app":{})"));
  INFO(dump(none));
  REQUIRE(none.size() == 2);
  CHECK(none[0].path == "app.user");
  CHECK(none[0].message == "is required");
  CHECK(none[0].rule == 13);
  CHECK(none[1].path == "app.group");
  CHECK_ONLY_FINDING(image_findings(image_json(R"("app":{"user":"","group":"0"})")), "app.user", "must not be empty",
                     13);
  CHECK_ONLY_FINDING(image_findings(image_json(R"("app":{"user":"0","group":null})")), "app.group",
                     "expected a string, got null", 13);
  CHECK_ONLY_FINDING(image_findings(image_json(R"("app":{"user":0,"group":"0"})")), "app.user",
                     "expected a string, got number", 13);
}

TEST_CASE("spec 13: supplementaryGIDs are unsigned 32-bit integers") {
  auto r = parse_image_manifest(image_app_json(R"("supplementaryGIDs":[0,400,4294967295])"));
  REQUIRE(r.ok());
  CHECK(r->app->supplementary_gids == std::vector<int64_t>{0, 400, 4294967295});
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("supplementaryGIDs":[-1])")), "app.supplementaryGIDs[0]",
                     "-1 is outside 0..4294967295", 13);
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("supplementaryGIDs":[1,4294967296])")),
                     "app.supplementaryGIDs[1]", "4294967296 is outside 0..4294967295", 13);
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("supplementaryGIDs":["400"])")), "app.supplementaryGIDs[0]",
                     "expected an integer, got string", 13);
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("supplementaryGIDs":[400.5])")), "app.supplementaryGIDs[0]",
                     "expected an integer, got 400.5", 13);
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("supplementaryGIDs":[4e2])")), "app.supplementaryGIDs[0]",
                     "expected an integer without fraction or exponent, got 400", 13);
}

TEST_CASE("spec 14: workingDirectory is an absolute path") {
  CHECK(image_findings(image_app_json(R"("workingDirectory":"/opt/work")")).empty());
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("workingDirectory":"stuff")")), "app.workingDirectory",
                     "\"stuff\" is not an absolute path", 14);
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("workingDirectory":"")")), "app.workingDirectory",
                     "is not an absolute path", 14);
}

TEST_CASE("spec 15: eventHandlers: pre-start and post-stop, at most one each") {
  auto r = parse_image_manifest(image_app_json(
      R"("eventHandlers":[{"exec":["/usr/bin/data-downloader"],"name":"pre-start"},{"name":"post-stop"}])"));
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  REQUIRE(r->app->event_handlers.size() == 2);
  CHECK(r->app->event_handlers[0].exec == std::vector<std::string>{"/usr/bin/data-downloader"});
  CHECK(r->app->event_handlers[1].exec.empty());
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("eventHandlers":[{"name":"post-start"}])")),
                     "app.eventHandlers[0].name", "\"post-start\" is not an event handler name", 15);
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("eventHandlers":[{"name":""}])")), "app.eventHandlers[0].name",
                     "is not an event handler name", 15);
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("eventHandlers":[{"exec":["x"]}])")),
                     "app.eventHandlers[0].name", "is required", 15);
  CHECK_ONLY_FINDING(
      image_findings(image_app_json(R"("eventHandlers":[{"name":"post-stop"},{"name":"pre-start"},{"name":"post-stop"}])")),
      "app.eventHandlers[2].name", "only one \"post-stop\" event handler is allowed", 15);
}

TEST_CASE("spec 11: environment: valid unique names, any value") {
  auto r = parse_image_manifest(
      image_app_json(R"("environment":[{"name":"DEBUG.0","value":""},{"name":"_X-Y","value":"$HOME"}])"));
  REQUIRE(r.ok());
  CHECK(r->app->environment[1].value == "$HOME");
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("environment":[{"name":"VERBOSE|DEBUG","value":"1"}])")),
                     "app.environment[0].name", "is not an environment variable name", 11);
  CHECK_ONLY_FINDING(
      image_findings(image_app_json(R"("environment":[{"name":"DEBUG","value":"1"},{"name":"DEBUG","value":"2"}])")),
      "app.environment[1].name", "duplicate environment variable \"DEBUG\"", 11);
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("environment":[{"name":"","value":"1"}])")),
                     "app.environment[0].name", "is not an environment variable name", 11);
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("environment":[{"name":"A"}])")), "app.environment[0].value",
                     "is required", 11);
}

TEST_CASE("spec 16: mountPoints: name (AC Name) and path required, readOnly boolean") {
  auto r = parse_image_manifest(
      image_app_json(R"("mountPoints":[{"name":"db","path":"/var/lib/db","readOnly":true},{"name":"w","path":"/w"}])"));
  REQUIRE(r.ok());
  CHECK(r->app->mount_points[0].read_only);
  CHECK_FALSE(r->app->mount_points[1].read_only);
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("mountPoints":[{"path":"/x"}])")), "app.mountPoints[0].name",
                     "is required", 16);
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("mountPoints":[{"name":"x"}])")), "app.mountPoints[0].path",
                     "is required", 16);
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("mountPoints":[{"name":"x","path":""}])")),
                     "app.mountPoints[0].path", "must not be empty", 16);
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("mountPoints":[{"name":"work.dir","path":"/x"}])")),
                     "app.mountPoints[0].name", "is not an AC Name", 2);
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("mountPoints":[{"name":"x","path":"/x","readOnly":"true"}])")),
                     "app.mountPoints[0].readOnly", "expected a boolean, got string", 16);
}

TEST_CASE("spec 17: ports: name, protocol and port required; 1..65535; count >= 1; range end <= 65535") {
  auto r = parse_image_manifest(image_app_json(
      R"("ports":[{"name":"health","port":4000,"protocol":"tcp","socketActivated":true},)"
      R"({"name":"ftp-data","port":20000,"count":1000,"protocol":"tcp"},{"name":"max","port":65535,"protocol":"udp"}])"));
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->app->ports[0].socket_activated);
  CHECK(r->app->ports[0].count == 1);
  CHECK(r->app->ports[1].count == 1000);
  auto ports = [](const char *p) { return image_findings(image_app_json(std::string("\"ports\":[") + p + "]")); };
  CHECK(ports(R"({"name":"a","port":65000,"count":536,"protocol":"tcp"})").empty());
  CHECK_ONLY_FINDING(ports(R"({"port":80,"protocol":"tcp"})"), "app.ports[0].name", "is required", 17);
  CHECK_ONLY_FINDING(ports(R"({"name":"a","port":80})"), "app.ports[0].protocol", "is required", 17);
  CHECK_ONLY_FINDING(ports(R"({"name":"a","protocol":"tcp"})"), "app.ports[0].port", "is required", 17);
  CHECK_ONLY_FINDING(ports(R"({"name":"a","port":0,"protocol":"tcp"})"), "app.ports[0].port", "0 is outside 1..65535",
                     17);
  CHECK_ONLY_FINDING(ports(R"({"name":"a","port":70000,"protocol":"tcp"})"), "app.ports[0].port",
                     "70000 is outside 1..65535", 17);
  CHECK_ONLY_FINDING(ports(R"({"name":"a","port":80.5,"protocol":"tcp"})"), "app.ports[0].port",
                     "expected an integer, got 80.5", 17);
  CHECK_ONLY_FINDING(ports(R"({"name":"a","port":80,"count":0,"protocol":"tcp"})"), "app.ports[0].count",
                     "0 is outside 1..65535", 17);
  CHECK_ONLY_FINDING(ports(R"({"name":"a","port":65000,"count":537,"protocol":"tcp"})"), "app.ports[0].count",
                     "the port range 65000..65536 ends past 65535", 17);
  CHECK_ONLY_FINDING(ports(R"({"name":"HTTP","port":80,"protocol":"tcp"})"), "app.ports[0].name", "is not an AC Name",
                     2);
  CHECK_ONLY_FINDING(ports(R"({"name":"a","port":80,"protocol":""})"), "app.ports[0].protocol", "must not be empty",
                     17);
  CHECK_ONLY_FINDING(ports(R"({"name":"a","port":80,"protocol":"tcp","socketActivated":1})"),
                     "app.ports[0].socketActivated", "expected a boolean, got number", 17);
}

TEST_CASE("spec 10: userAnnotations and userLabels are string maps") {
  auto r = parse_image_manifest(
      image_app_json(R"("userAnnotations":{"Any Key!":"v","b":""},"userLabels":{"tier":"web"})"));
  REQUIRE(r.ok());
  REQUIRE(r->app->user_annotations.size() == 2);
  CHECK(r->app->user_annotations[0] == std::pair<std::string, std::string>{"Any Key!", "v"});
  CHECK(r->app->user_labels[0].second == "web");
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("userAnnotations":{"a":1})")), "app.userAnnotations.a",
                     "expected a string, got number", 10);
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("userLabels":["a"])")), "app.userLabels",
                     "expected an object, got array", 10);
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("userLabels":{"a":"1","a":"2"})")), "app.userLabels.a",
                     "duplicate key \"a\"", 0);
}

TEST_CASE("spec 6: isolators: name is an AC Identifier, value is required") {
  CHECK(image_findings(image_app_json(R"("isolators":[{"name":"resource/memory","value":{"limit":"1G"}}])")).empty());
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("isolators":[{"name":"resource/memory"}])")),
                     "app.isolators[0].value", "is required", 6);
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("isolators":[{"value":1}])")), "app.isolators[0].name",
                     "is required", 6);
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("isolators":[{"name":"Resource/CPU","value":1}])")),
                     "app.isolators[0].name", "is not an AC Identifier", 1);
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("isolators":{"name":"x"})")), "app.isolators",
                     "expected an array, got object", 6);
}

TEST_CASE("spec 22: unknown isolator names are accepted inside an app (executors may ignore them)") {
  auto r = parse_image_manifest(image_app_json(
      R"("isolators":[{"name":"example.com/ponies","value":{"n":[1,2.5,"x",null,true]}},{"name":"os/linux/apparmor-profile","value":{"profile":"x"}}])"));
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  REQUIRE(r->app->isolators.size() == 2);
  CHECK(std::holds_alternative<UnknownIsolator>(r->app->isolators[0].value));
}

TEST_CASE("spec 29: capabilities retain and remove sets cannot be combined in one app") {
  auto d = image_findings(image_app_json(
      R"("isolators":[{"name":"os/linux/capabilities-retain-set","value":{"set":["CAP_CHOWN"]}},)"
      R"({"name":"os/linux/capabilities-remove-set","value":{"set":["CAP_KILL"]}}])"));
  INFO(dump(d));
  REQUIRE(d.size() == 1);
  CHECK(d[0].path.rfind("app.isolators[1]", 0) == 0);
  CHECK(d[0].rule == 29);
}

TEST_CASE("spec 19: dependencies: imageName required, imageID an image ID, labels, unsigned size") {
  std::string id = image_id('b');
  auto deps = [](const std::string &d) { return image_findings(image_json("\"dependencies\":[" + d + "]")); };
  auto r = parse_image_manifest(image_json(R"("dependencies":[{"imageName":"example.com/base","imageID":")" + id +
                                           R"(","labels":[{"name":"os","value":"linux"}],"size":22017258}])"));
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->dependencies[0].image_id == id);
  CHECK(r->dependencies[0].size == 22017258u);
  CHECK(deps(R"({"imageName":"a","size":18446744073709551615})").empty());
  CHECK_ONLY_FINDING(deps(R"({"imageID":")" + id + "\"}"), "dependencies[0].imageName", "is required", 19);
  CHECK_ONLY_FINDING(deps(R"({"app":"example.com/base"})"), "dependencies[0].imageName", "is required", 19);
  CHECK_ONLY_FINDING(deps(R"({"imageName":"Example.com"})"), "dependencies[0].imageName", "is not an AC Identifier",
                     1);
  CHECK_ONLY_FINDING(deps(R"({"imageName":"a","imageID":"sha512-..."})"), "dependencies[0].imageID",
                     "has 3 characters, expected 128", 5);
  CHECK_ONLY_FINDING(deps(R"({"imageName":"a","imageID":"sha1-abc"})"), "dependencies[0].imageID",
                     "unknown hash type \"sha1\"", 5);
  CHECK_ONLY_FINDING(deps(R"({"imageName":"a","imageID":"sha512-"})"), "dependencies[0].imageID", "empty hash value",
                     5);
  CHECK_ONLY_FINDING(deps(R"({"imageName":"a","imageID":"sha512-)" + std::string(128, 'A') + "\"}"),
                     "dependencies[0].imageID", "not a lowercase hex digit", 5);
  CHECK_ONLY_FINDING(deps(R"({"imageName":"a","size":-1})"), "dependencies[0].size",
                     "-1 is outside 0..18446744073709551615", 19);
  CHECK_ONLY_FINDING(deps(R"({"imageName":"a","size":18446744073709551616})"), "dependencies[0].size",
                     "is outside 0..18446744073709551615", 19);
  CHECK_ONLY_FINDING(deps(R"({"imageName":"a","size":"1"})"), "dependencies[0].size", "expected an integer, got string",
                     19);
  CHECK_ONLY_FINDING(deps(R"({"imageName":"a","labels":[{"name":"os","value":"linux"},{"name":"os","value":"x"}]})"),
                     "dependencies[0].labels[1].name", "duplicate label name", 8);
}

TEST_CASE("spec 20: pathWhitelist is a list of absolute paths; empty equals absent") {
  auto r = parse_image_manifest(image_json(R"("pathWhitelist":["/etc/ca","/usr/bin/x"])"));
  REQUIRE(r.ok());
  CHECK(r->path_whitelist.size() == 2);
  CHECK(image_findings(image_json(R"("pathWhitelist":[])")).empty());
  CHECK_ONLY_FINDING(image_findings(image_json(R"("pathWhitelist":["etc/ca"])")), "pathWhitelist[0]",
                     "\"etc/ca\" is not an absolute path", 20);
  CHECK_ONLY_FINDING(image_findings(image_json(R"("pathWhitelist":[1])")), "pathWhitelist[0]",
                     "expected a string, got number", 20);
}

TEST_CASE("spec 9: annotations: unique AC Identifier names; created, homepage, documentation checked") {
  auto ann = [](const char *list) { return image_findings(image_json(std::string("\"annotations\":") + list)); };
  CHECK(ann(R"([{"name":"authors","value":"anyone"},{"name":"created","value":"2014-10-27T19:32:27.67021798Z"},)"
            R"({"name":"homepage","value":"https://example.com"},{"name":"documentation","value":"http://x.org/d"},)"
            R"({"name":"appc.io/executor/supports-systemd-notify","value":"true"},{"name":"example.com/k","value":""}])")
            .empty());
  CHECK_ONLY_FINDING(ann(R"([{"name":"created","value":"1416015188"}])"), "annotations[0].value",
                     "is not an RFC 3339 date-time", 7);
  CHECK_ONLY_FINDING(ann(R"([{"name":"created","value":"2014-11-14 17:36:54-08:00"}])"), "annotations[0].value",
                     "separated by 'T'", 7);
  CHECK_ONLY_FINDING(ann(R"([{"name":"homepage","value":"unix://file.net"}])"), "annotations[0].value",
                     "is not a URL with scheme http or https", 9);
  CHECK_ONLY_FINDING(ann(R"([{"name":"documentation","value":"ftp://x.org"}])"), "annotations[0].value",
                     "is not a URL with scheme http or https", 9);
  CHECK_ONLY_FINDING(ann(R"([{"name":"homepage","value":"http://example.com/%zz"}])"), "annotations[0].value",
                     R"(homepage: "http://example.com/%zz" is not a URL: "%zz" at position 19 is not a percent-encoding)",
                     9);
  CHECK_ONLY_FINDING(ann(R"([{"name":"appc.io/executor/supports-systemd-notify","value":"yes"}])"),
                     "annotations[0].value", "expected \"true\" or \"false\", got \"yes\"", 9);
  CHECK_ONLY_FINDING(ann(R"([{"name":"foo","value":"1"},{"name":"foo","value":"2"}])"), "annotations[1].name",
                     "duplicate annotation name \"foo\"", 9);
  CHECK_ONLY_FINDING(ann(R"([{"name":"Foo","value":"1"}])"), "annotations[0].name", "is not an AC Identifier", 1);
  CHECK_ONLY_FINDING(ann(R"([{"name":"foo","value":1}])"), "annotations[0].value", "expected a string, got number", 9);
}

TEST_CASE("spec 47: unknown members are ignored, keys match case-sensitively") {
  auto r = parse_image_manifest(image_json(R"("foo":{"bar":1},"Labels":[1],"APP":"x")"));
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->labels.empty());
  CHECK_FALSE(r->app.has_value());
  // The 0.8.11 spec's aci.md example spells "supplementaryGids": not the schema key, so ignored.
  auto g = parse_image_manifest(image_app_json(R"("supplementaryGids":[400])"));
  REQUIRE(g.ok());
  CHECK(g->app->supplementary_gids.empty());
}

TEST_CASE("spec 46: the manifest is a JSON object") {
  CHECK_ONLY_FINDING(image_findings("[]"), "", "expected an object at the top level, got array", 46);
  CHECK_ONLY_FINDING(image_findings("\"x\""), "", "expected an object at the top level, got string", 46);
  CHECK_ONLY_FINDING(image_findings("garbage"), "", "invalid JSON at line 1, column 1 (byte offset 0)", 46);
  CHECK_ONLY_FINDING(image_findings("{\n  \"acKind\": \"ImageManifest\",\n}"), "",
                     "invalid JSON at line 3, column 1 (byte offset 31)", 46);
  CHECK_ONLY_FINDING(image_findings(image_json() + " x"), "", "invalid JSON at", 46);
  CHECK_ONLY_FINDING(image_findings(""), "", "invalid JSON at line 1, column 1", 46);
  auto r = parse_image_manifest("{]");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Code::invalid);
}

TEST_CASE("spec 47: every finding is reported, in document order") {
  std::string json = R"({
    "acKind": "ImageManifest",
    "acVersion": "1",
    "name": "Bad Name",
    "labels": [{"name": "os", "value": "linux"}, {"name": "os", "value": "linux"}],
    "app": {
      "exec": "/bin/sh",
      "user": "",
      "workingDirectory": "relative",
      "ports": [{"name": "p", "protocol": "tcp", "port": 0}]
    },
    "annotations": [{"name": "created", "value": "yesterday"}]
  })";
  auto d = image_findings(json);
  INFO(dump(d));
  REQUIRE(d.size() == 9);
  const char *paths[] = {"acVersion",         "name",         "labels[1].name",       "app.exec",
                         "app.user",          "app.workingDirectory", "app.ports[0].port", "app.group",
                         "annotations[0].value"};
  for (size_t i = 0; i < d.size(); ++i) CHECK(d[i].path == paths[i]);
  auto r = parse_image_manifest(json);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Code::invalid);
  CHECK(r.error().message == d[0].format() + " (and 8 more)");
  CHECK(r.error().where == "acVersion");
}

TEST_CASE("spec 47: findings format as path: message (spec N)") {
  auto d = image_findings(image_app_json(R"("ports":[{"name":"p","protocol":"tcp","port":70000}])"));
  REQUIRE(d.size() == 1);
  CHECK(d[0].format() == "app.ports[0].port: 70000 is outside 1..65535 (spec 17)");
}

TEST_CASE("spec 47: a manifest built in code is judged by the same rules") {
  ImageManifest m;
  m.name = "example.com/app";
  CHECK(validate(m).empty());
  App app;
  app.user = "0";
  app.group = "0";
  Port p;
  p.name = "http";
  p.protocol = "tcp";
  p.port = 0;
  app.ports.push_back(p);
  app.working_directory = "relative";
  m.app = app;
  m.labels.push_back({"os", "plan9"});
  m.dependencies.push_back({"example.com/base", "sha512-abc", {}, std::nullopt});
  auto d = validate(m);
  INFO(dump(d));
  REQUIRE(d.size() == 4);
  CHECK(d[0].path == "labels[0].value");
  CHECK(d[1].path == "app.workingDirectory");
  CHECK(d[2].path == "app.ports[0].port");
  CHECK(d[3].path == "dependencies[0].imageID");
  m.ac_kind = "PodManifest";
  CHECK_HAS_FINDING(validate(m), "acKind", "expected \"ImageManifest\"", 3);
}

TEST_CASE("spec 5, 47: the spec's examples/image.json is valid once its placeholder imageID is a real digest") {
  std::string json = read_file(corpus_dir() + "/valid-spec-example-image.json");
  CHECK_ONLY_FINDING(image_findings(json), "dependencies[0].imageID", "the hash value has 3 characters", 5);
  size_t at = json.find("sha512-...");
  REQUIRE(at != std::string::npos);
  json.replace(at, 10, image_id('c'));
  auto r = parse_image_manifest(json);
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->name == "example.com/reduce-worker");
  REQUIRE(r->app.has_value());
  CHECK(r->app->isolators.size() == 5);
  CHECK(r->annotations.size() == 5);
}
