// The canonical form (docs/manifests.md): key order, omissions, escaping, and
// stability: serialize(parse(serialize(x))) == serialize(x) byte for byte,
// over the valid corpus and over generated manifests.
#include "spec/manifest.hpp"

#include "manifest_test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <random>

using namespace appc;
using namespace appc::spec;
using namespace appc::spec::test;

namespace {

template <class M> Result<M> parse(std::string_view json);
template <> Result<ImageManifest> parse<ImageManifest>(std::string_view json) { return parse_image_manifest(json); }
template <> Result<PodManifest> parse<PodManifest>(std::string_view json) { return parse_pod_manifest(json); }

// parse -> serialize -> parse -> serialize: same value, same bytes; the
// pretty form decodes to the same value too.
template <class M> void check_round_trip(const M &m) {
  std::string once = serialize(m);
  auto again = parse<M>(once);
  REQUIRE_MESSAGE(again.ok(), again.error().message << "\n" << once);
  CHECK(*again == m);
  CHECK(serialize(*again) == once);
  std::string pretty = serialize(m, {.pretty = true});
  auto from_pretty = parse<M>(pretty);
  REQUIRE_MESSAGE(from_pretty.ok(), from_pretty.error().message << "\n" << pretty);
  CHECK(serialize(*from_pretty) == once);
  CHECK(validate(m).empty());
}

// A random generator of valid manifests that are already canonical (every
// value is one the decoder gives back unchanged).
class Gen {
public:
  explicit Gen(unsigned seed) : rng_(seed) {}

  int num(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool coin() { return num(0, 1) == 1; }

  // Arbitrary well-formed UTF-8, with characters the serializer must escape.
  std::string text(int max_len = 12) {
    static const char *pieces[] = {"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f", "\x7f",
                                   "\xc3\xa9", "\xe2\x9c\x93", "\xf0\x9f\x8e\x89", "{", "]", ":", ","};
    std::string s;
    int n = num(0, max_len);
    for (int i = 0; i < n; ++i) s += pieces[num(0, std::size(pieces) - 1)];
    return s;   // never a NUL: an escaped \u0000 is refused (hostile_test.cpp)
  }
  std::string nonempty_text() {
    std::string s = text();
    return s.empty() ? "x" : s;
  }
  std::string path() { return "/" + text(6); }

  Labels labels(bool with_os) {
    Labels l;
    int n = num(0, 4);
    for (int i = 0; i < n; ++i) l.push_back({"example.com/l" + std::to_string(i), text()});
    if (with_os && coin()) {
      l.push_back({"os", "linux"});
      if (coin()) l.push_back({"arch", coin() ? "amd64" : "s390x"});
    }
    return l;
  }

  Annotations annotations(bool ac_name) {
    Annotations a;
    int n = num(0, 3);
    for (int i = 0; i < n; ++i) a.push_back({(ac_name ? "a-" : "example.com/a.") + std::to_string(i), text()});
    if (coin()) a.push_back({"created", "2016-02-29T12:00:00.5+01:00"});
    if (coin()) a.push_back({"homepage", "https://example.com/" + std::to_string(num(0, 9))});
    return a;
  }

  std::vector<std::pair<std::string, std::string>> string_map() {
    std::vector<std::pair<std::string, std::string>> m;
    int n = num(0, 3);
    for (int i = 0; i < n; ++i) m.push_back({text() + "#" + std::to_string(i), text()});
    return m;
  }

  Isolator isolator(bool pod) {
    static const char *app_pool[] = {
        R"({"name":"resource/memory","value":{"limit":"1G"}})",
        R"({"name":"resource/cpu","value":{"request":"250m","limit":"500m"}})",
        R"({"name":"os/linux/no-new-privileges","value":true})",
        R"({"name":"os/linux/capabilities-retain-set","value":{"set":["CAP_NET_BIND_SERVICE"]}})",
        R"({"name":"os/linux/seccomp-remove-set","value":{"set":["reboot","@appc.io/empty"],"errno":"EPERM"}})",
        R"({"name":"os/linux/selinux-context","value":{"user":"u","role":"r","type":"t","level":"s0:c1"}})",
        R"({"name":"os/linux/oom-score-adj","value":-500})",
        R"({"name":"example.com/ponies","value":{"b":[1,"x",null,true,{"c":{}}]}})",
    };
    static const char *pod_pool[] = {
        R"({"name":"resource/memory","value":{"limit":"4G"}})",
        R"({"name":"example.com/pod-thing","value":[1,2,3]})",
    };
    const char *src = pod ? pod_pool[num(0, std::size(pod_pool) - 1)] : app_pool[num(0, std::size(app_pool) - 1)];
    auto r = parse_image_manifest(image_app_json(std::string("\"isolators\":[") + src + "]"));
    REQUIRE_MESSAGE(r.ok(), r.error().message);
    return r->app->isolators.at(0);
  }

  App app() {
    App a;
    int n = num(0, 3);
    for (int i = 0; i < n; ++i) a.exec.push_back(text());
    a.user = nonempty_text();
    a.group = nonempty_text();
    n = num(0, 3);
    for (int i = 0; i < n; ++i) a.supplementary_gids.push_back(coin() ? num(0, 70000) : 4294967295);
    if (coin()) a.event_handlers.push_back({"pre-start", {text(), text()}});
    if (coin()) a.event_handlers.push_back({"post-stop", {}});
    if (coin()) a.working_directory = path();
    n = num(0, 3);
    for (int i = 0; i < n; ++i) a.environment.push_back({"VAR_" + std::to_string(i), text()});
    // One isolator of a kind: several only for the unknown kind.
    if (coin()) a.isolators.push_back(isolator(false));
    n = num(0, 2);
    for (int i = 0; i < n; ++i) a.mount_points.push_back({"mp-" + std::to_string(i), path(), coin()});
    n = num(0, 3);
    for (int i = 0; i < n; ++i) {
      Port p;
      p.name = "port-" + std::to_string(i);
      p.protocol = coin() ? "tcp" : "udp";
      p.port = num(1, 60000);
      p.count = coin() ? 1 : num(1, 100);
      p.socket_activated = coin();
      a.ports.push_back(p);
    }
    a.user_annotations = string_map();
    a.user_labels = string_map();
    return a;
  }

  ImageManifest image() {
    ImageManifest m;
    m.name = "example.com/img-" + std::to_string(num(0, 999));
    m.labels = labels(true);
    if (coin()) m.app = app();
    int n = num(0, 2);
    for (int i = 0; i < n; ++i) {
      Dependency d;
      d.image_name = "example.com/dep" + std::to_string(i);
      if (coin()) d.image_id = image_id("0123456789abcdef"[num(0, 15)]);
      d.labels = labels(true);
      if (coin()) d.size = static_cast<uint64_t>(num(0, 1 << 30)) << num(0, 30);
      m.dependencies.push_back(d);
    }
    n = num(0, 3);
    for (int i = 0; i < n; ++i) m.path_whitelist.push_back(path());
    m.annotations = annotations(false);
    return m;
  }

  Volume volume(const std::string &name) {
    Volume v;
    v.name = name;
    if (coin()) v.read_only = coin();
    if (coin()) v.recursive = coin();
    if (coin()) {
      v.kind = "host";
      v.source = path();
    } else {
      v.kind = "empty";
      if (coin()) v.mode = coin() ? "0755" : "700";
      if (coin()) v.uid = num(-1, 65535);
      if (coin()) v.gid = num(0, 65535);
    }
    return v;
  }

  PodManifest pod() {
    PodManifest p;
    int n = num(0, 3);
    for (int i = 0; i < n; ++i) {
      RuntimeApp a;
      a.name = "app-" + std::to_string(i);
      if (coin()) a.image.id = image_id("0123456789abcdef"[num(0, 15)]);
      if (coin()) a.image.name = "example.com/app";
      a.image.labels = labels(true);
      if (coin()) a.app = app();
      a.read_only_root_fs = coin();
      int m = num(0, 2);
      for (int k = 0; k < m; ++k) {
        Mount mt{"vol-" + std::to_string(k), path(), std::nullopt};
        if (coin()) mt.app_volume = volume("inline");
        a.mounts.push_back(mt);
      }
      a.annotations = annotations(true);
      p.apps.push_back(a);
    }
    n = num(0, 3);
    for (int i = 0; i < n; ++i) p.volumes.push_back(volume("vol-" + std::to_string(i)));
    n = num(0, 2);
    for (int i = 0; i < n; ++i) p.isolators.push_back(isolator(true));
    if (p.isolators.size() == 2 && p.isolators[0].name == p.isolators[1].name &&
        p.isolators[0].name == "resource/memory")
      p.isolators.pop_back();
    p.annotations = annotations(true);
    n = num(0, 3);
    for (int i = 0; i < n; ++i) {
      ExposedPort e;
      e.name = "ep-" + std::to_string(i);
      e.host_port = num(1, 65535);
      if (coin()) e.host_ip = "10.0.0." + std::to_string(num(0, 255));
      if (coin()) e.pod_port = Port{"ep-" + std::to_string(i), "tcp", num(1, 1000), 1, false};
      p.ports.push_back(e);
    }
    p.user_annotations = string_map();
    p.user_labels = string_map();
    return p;
  }

private:
  std::mt19937 rng_;
};

} // namespace

TEST_CASE("spec 47: canonical form: schema key order, compact, defaults omitted") {
  // Members in a scrambled order, with defaults written out.
  std::string in = R"({
    "annotations": [{"value": "https://example.com", "name": "homepage"}],
    "pathWhitelist": [],
    "app": {
      "userLabels": {"b": "2", "a": "1"},
      "ports": [{"socketActivated": false, "count": 1, "port": 80, "protocol": "tcp", "name": "http"}],
      "mountPoints": [{"readOnly": false, "path": "/data", "name": "data"}],
      "isolators": [{"value": true, "name": "os/linux/no-new-privileges"}],
      "environment": [{"value": "1", "name": "A"}],
      "workingDirectory": "/srv",
      "eventHandlers": [{"name": "pre-start", "exec": ["/bin/prep"]}, {"exec": [], "name": "post-stop"}],
      "supplementaryGIDs": [5],
      "group": "0",
      "user": "0",
      "exec": [],
      "userAnnotations": {"k": "v"}
    },
    "dependencies": [{"size": 1, "labels": [{"value": "linux", "name": "os"}], "imageID": ")" +
                   image_id() + R"(", "imageName": "example.com/base"}],
    "labels": [{"value": "1.0.0", "name": "version"}],
    "name": "example.com/app",
    "acVersion": "0.8.11",
    "acKind": "ImageManifest"
  })";
  auto r = parse_image_manifest(in);
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  std::string expected =
      R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/app",)"
      R"("labels":[{"name":"version","value":"1.0.0"}],)"
      R"("app":{"user":"0","group":"0","supplementaryGIDs":[5],)"
      R"("eventHandlers":[{"exec":["/bin/prep"],"name":"pre-start"},{"name":"post-stop"}],)"
      R"("workingDirectory":"/srv","environment":[{"name":"A","value":"1"}],)"
      R"("isolators":[{"name":"os/linux/no-new-privileges","value":true}],)"
      R"("mountPoints":[{"name":"data","path":"/data"}],)"
      R"("ports":[{"name":"http","protocol":"tcp","port":80}],)"
      R"("userAnnotations":{"k":"v"},"userLabels":{"b":"2","a":"1"}},)"
      R"("dependencies":[{"imageName":"example.com/base","imageID":")" +
      image_id() + R"(","labels":[{"name":"os","value":"linux"}],"size":1}],)"
      R"("annotations":[{"name":"homepage","value":"https://example.com"}]})";
  CHECK(serialize(*r) == expected);
}

TEST_CASE("spec 71: canonical form: pod key order; apps always written; volume options kept when set") {
  std::string in = R"({
    "userLabels": {"l": "1"},
    "userAnnotations": {"a": "1"},
    "ports": [{"podPort": {"protocol": "udp", "name": "dns", "port": 53, "count": 2, "socketActivated": true},
               "hostIP": "10.0.0.1", "hostPort": 5353, "name": "dns"}],
    "annotations": [{"value": "v", "name": "a"}],
    "isolators": [{"value": {"limit": "4G"}, "name": "resource/memory"}],
    "volumes": [{"gid": 2, "uid": 1, "mode": "0700", "recursive": false, "kind": "empty", "readOnly": false, "name": "e"},
                {"recursive": true, "source": "/srv", "kind": "host", "name": "h"}],
    "apps": [{"annotations": [{"value": "1", "name": "x"}],
              "mounts": [{"appVolume": {"kind": "empty", "name": "i"}, "path": "/i", "volume": "i"}],
              "readOnlyRootFS": false,
              "app": {"group": "0", "user": "0"},
              "image": {"labels": [{"value": "1", "name": "version"}], "name": "example.com/a", "id": ")" +
                   image_id() + R"("},
              "name": "a"}],
    "acKind": "PodManifest",
    "acVersion": "0.8.11"
  })";
  auto r = parse_pod_manifest(in);
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  std::string expected =
      R"({"acVersion":"0.8.11","acKind":"PodManifest",)"
      R"("apps":[{"name":"a","image":{"id":")" +
      image_id() +
      R"(","name":"example.com/a","labels":[{"name":"version","value":"1"}]},)"
      R"("app":{"user":"0","group":"0"},)"
      R"("mounts":[{"volume":"i","path":"/i","appVolume":{"name":"i","kind":"empty"}}],)"
      R"("annotations":[{"name":"x","value":"1"}]}],)"
      R"("volumes":[{"name":"e","readOnly":false,"kind":"empty","recursive":false,"mode":"0700","uid":1,"gid":2},)"
      R"({"name":"h","kind":"host","source":"/srv","recursive":true}],)"
      R"("isolators":[{"name":"resource/memory","value":{"limit":"4G"}}],)"
      R"("annotations":[{"name":"a","value":"v"}],)"
      R"("ports":[{"name":"dns","hostPort":5353,"hostIP":"10.0.0.1",)"
      R"("podPort":{"name":"dns","protocol":"udp","port":53,"count":2,"socketActivated":true}}],)"
      R"("userAnnotations":{"a":"1"},"userLabels":{"l":"1"}})";
  CHECK(serialize(*r) == expected);
  PodManifest empty;
  CHECK(serialize(empty) == R"({"acVersion":"0.8.11","acKind":"PodManifest","apps":[]})");
}

TEST_CASE("spec 9: canonical form: strings are escaped as JSON requires, UTF-8 kept verbatim") {
  ImageManifest m;
  m.name = "example.com/app";
  m.annotations.push_back({"authors", std::string("q\" b\\ s/ \b\f\n\r\t \x01\x1f\x7f \xc3\xa9", 21)});
  std::string s = serialize(m);
  CHECK(s.find(R"("value":"q\" b\\ s/ \b\f\n\r\t \u0001\u001F)"
               "\x7f"
               " "
               "\xc3\xa9\"") != std::string::npos);
  check_round_trip(m);
}

TEST_CASE("spec 71: canonical form: the pretty form indents by 4 spaces and decodes to the same manifest") {
  auto r = parse_pod_manifest(read_file(corpus_dir() + "/valid-spec-example-pod-runtime.json"));
  REQUIRE(r.ok());
  std::string pretty = serialize(*r, {.pretty = true});
  CHECK(pretty.rfind("{\n    \"acVersion\": \"0.8.11\",\n    \"acKind\": \"PodManifest\",\n    \"apps\": [\n        {",
                     0) == 0);
  auto back = parse_pod_manifest(pretty);
  REQUIRE(back.ok());
  CHECK(*back == *r);
  CHECK(serialize(*back) == serialize(*r));
}

TEST_CASE("spec 47, 71: canonical form: every manifest of the corpus we accept round-trips byte for byte") {
  size_t n = 0;
  for (const auto &e : std::filesystem::directory_iterator(corpus_dir())) {
    if (e.path().extension() != ".json") continue;
    std::string json = read_file(e.path().string());
    INFO(e.path().filename().string());
    if (detect_kind(json) == ManifestKind::pod) {
      auto r = parse_pod_manifest(json);
      if (!r) continue;
      check_round_trip(*r);
    } else {
      auto r = parse_image_manifest(json);
      if (!r) continue;
      check_round_trip(*r);
    }
    ++n;
  }
  CHECK(n >= 80);
}

TEST_CASE("spec 47: canonical form: generated image manifests round-trip byte for byte") {
  Gen g(20150518);
  for (int i = 0; i < 300; ++i) {
    ImageManifest m = g.image();
    INFO("manifest " << i << ": " << serialize(m));
    check_round_trip(m);
  }
}

TEST_CASE("spec 71: canonical form: generated pod manifests round-trip byte for byte") {
  Gen g(81);
  for (int i = 0; i < 300; ++i) {
    PodManifest p = g.pod();
    INFO("manifest " << i << ": " << serialize(p));
    check_round_trip(p);
  }
}

TEST_CASE("spec 20: canonical form: empty lists and defaults decode to the same value as absent ones") {
  auto a = parse_image_manifest(image_app_json(
      R"("exec":[],"eventHandlers":[],"environment":[],"isolators":[],"mountPoints":[],"ports":[],"userAnnotations":{},"userLabels":{})"));
  auto b = parse_image_manifest(image_app_json());
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(*a == *b);
  CHECK(serialize(*a) == serialize(*b));
  auto c = parse_image_manifest(image_json(R"("labels":[],"dependencies":[],"pathWhitelist":[],"annotations":[])"));
  REQUIRE(c.ok());
  CHECK(serialize(*c) == image_json());
}
