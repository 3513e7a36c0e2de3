// Hostile and huge input: invalid UTF-8, deep nesting, over-size documents,
// duplicate keys, out-of-range numbers, the wrong JSON type at every field,
// and very large legal manifests. Nothing may crash; every problem is a
// finding with a path (or a limit error) that says what and where.
#include "spec/manifest.hpp"
#include "spec/identifiers_detail.hpp"
#include "spec/manifest_detail.hpp"

#include "manifest_test_util.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <functional>
#include <random>

using namespace appc;
using namespace appc::spec;
using namespace appc::spec::test;

namespace {

const char *kFullImage = R"({
  "acKind": "ImageManifest",
  "acVersion": "0.8.11",
  "name": "example.com/reduce-worker",
  "labels": [{"name": "version", "value": "1.0.0"}, {"name": "os", "value": "linux"}, {"name": "arch", "value": "amd64"}],
  "app": {
    "exec": ["/usr/bin/reduce-worker", "--quiet"],
    "user": "100",
    "group": "300",
    "supplementaryGIDs": [400, 500],
    "eventHandlers": [{"exec": ["/usr/bin/data-downloader"], "name": "pre-start"}],
    "workingDirectory": "/opt/work",
    "environment": [{"name": "REDUCE_WORKER_DEBUG", "value": "true"}],
    "isolators": [{"name": "resource/memory", "value": {"limit": "1G"}}, {"name": "os/linux/no-new-privileges", "value": true}],
    "mountPoints": [{"name": "work", "path": "/var/lib/work", "readOnly": true}],
    "ports": [{"name": "ftp", "protocol": "tcp", "port": 20000, "count": 10, "socketActivated": true}],
    "userAnnotations": {"note": "x"},
    "userLabels": {"tier": "web"}
  },
  "dependencies": [{"imageName": "example.com/base", "imageID": "sha512-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                    "labels": [{"name": "os", "value": "linux"}], "size": 22017258}],
  "pathWhitelist": ["/etc/ca", "/usr/bin/reduce-worker"],
  "annotations": [{"name": "created", "value": "2014-10-27T19:32:27.67021798Z"}, {"name": "homepage", "value": "https://example.com"}]
})";

const char *kFullPod = R"({
  "acVersion": "0.8.11",
  "acKind": "PodManifest",
  "apps": [{
    "name": "reduce-worker",
    "image": {"id": "sha512-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
              "name": "example.com/reduce-worker", "labels": [{"name": "version", "value": "1.0.0"}]},
    "app": {"exec": ["/bin/w"], "user": "0", "group": "0", "environment": [{"name": "A", "value": "b"}],
            "mountPoints": [{"name": "work", "path": "/w"}], "ports": [{"name": "http", "protocol": "tcp", "port": 80}]},
    "readOnlyRootFS": true,
    "mounts": [{"volume": "work", "path": "/w"},
               {"volume": "scratch", "path": "/s", "appVolume": {"name": "scratch", "kind": "empty", "mode": "0700", "uid": 1, "gid": 2}}],
    "annotations": [{"name": "foo", "value": "baz"}]
  }],
  "volumes": [{"name": "work", "readOnly": true, "kind": "host", "source": "/opt/work", "recursive": true},
              {"name": "out", "kind": "empty", "mode": "0755", "uid": 0, "gid": 0}],
  "isolators": [{"name": "resource/memory", "value": {"limit": "4G"}}],
  "annotations": [{"name": "ip-address", "value": "10.1.2.3"}],
  "ports": [{"name": "http", "hostPort": 8080, "hostIP": "203.0.113.23", "podPort": {"name": "http", "protocol": "tcp", "port": 80}}],
  "userAnnotations": {"k": "v"},
  "userLabels": {"k": "v"}
})";

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Writes `v`, leaving out the object member whose value is `skip`.
void write(const rapidjson::Value &v, JsonWriter &w, const rapidjson::Value *skip) {
  if (v.IsObject()) {
    w.StartObject();
    for (const auto &m : v.GetObject()) {
      if (&m.value == skip) continue;
      w.Key(m.name.GetString(), m.name.GetStringLength());
      write(m.value, w, skip);
    }
    w.EndObject();
  } else if (v.IsArray()) {
    w.StartArray();
    for (const auto &e : v.GetArray()) write(e, w, skip);
    w.EndArray();
  } else {
    v.Accept(w);
  }
}

std::string to_json(const rapidjson::Value &v, const rapidjson::Value *skip = nullptr) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  write(v, w, skip);
  return std::string(sb.GetString(), sb.GetSize());
}

struct Location {
  rapidjson::Value *value;
  rapidjson::Value *parent;   // the object holding it, for null-as-absent; nullptr for array elements
  std::string key;
  std::string path;
  bool in_isolator_value;
};

void collect(rapidjson::Value &v, rapidjson::Value *parent, const std::string &key, const std::string &path,
             bool in_iso, std::vector<Location> &out) {
  if (!path.empty()) out.push_back({&v, parent, key, path, in_iso});
  if (v.IsObject()) {
    for (auto &m : v.GetObject()) {
      std::string k(m.name.GetString(), m.name.GetStringLength());
      bool iso_value = in_iso || (k == "value" && path.find("isolators[") != std::string::npos &&
                                  path.size() > 0 && path.back() == ']');
      collect(m.value, &v, k, path.empty() ? k : path + "." + k, iso_value, out);
    }
  } else if (v.IsArray()) {
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i)
      collect(v[i], nullptr, {}, path + "[" + std::to_string(i) + "]", in_iso, out);
  }
}

enum class Cat { null, boolean, number, string, array, object };
Cat category(const rapidjson::Value &v) {
  if (v.IsNull()) return Cat::null;
  if (v.IsBool()) return Cat::boolean;
  if (v.IsNumber()) return Cat::number;
  if (v.IsString()) return Cat::string;
  if (v.IsArray()) return Cat::array;
  return Cat::object;
}

// For each field and element of `json`, put each JSON type it does not have
// in its place and decode.
void wrong_type_everywhere(const char *json,
                           const std::function<Result<std::string>(const std::string &)> &parse_and_serialize,
                           const std::function<std::vector<Diagnostic>(const std::string &)> &findings) {
  rapidjson::Document doc;
  doc.Parse(json);
  REQUIRE_FALSE(doc.HasParseError());
  {
    auto base = findings(to_json(doc));
    INFO("the full manifest must be valid:" << dump(base));
    REQUIRE(base.empty());
  }
  std::vector<Location> locs;
  collect(doc, nullptr, {}, {}, false, locs);
  REQUIRE(locs.size() > 60);
  size_t checked = 0;
  for (const Location &loc : locs) {
    for (Cat c : {Cat::null, Cat::boolean, Cat::number, Cat::string, Cat::array, Cat::object}) {
      if (c == category(*loc.value)) continue;
      rapidjson::Value sub;
      switch (c) {
      case Cat::null: break;
      case Cat::boolean: sub.SetBool(false); break;
      case Cat::number: sub.SetInt(7); break;
      case Cat::string: sub.SetString("x"); break;
      case Cat::array: sub.SetArray(); break;
      case Cat::object: sub.SetObject(); break;
      }
      rapidjson::Value saved;
      saved.Swap(*loc.value);
      loc.value->Swap(sub);
      std::string mutated = to_json(doc);
      loc.value->Swap(saved);   // restore (sub's old content is discarded)
      INFO("at " << loc.path << ": " << mutated);
      auto d = findings(mutated);   // must not crash
      if (loc.in_isolator_value) continue;   // isolator values: isolator_test.cpp
      bool at_path = false;
      for (const auto &f : d) at_path = at_path || f.path == loc.path;
      if (c == Cat::null && loc.parent) {
        // null is absent: either a required member (a finding here) or the
        // same result as the member left out.
        if (at_path) continue;
        std::string without = to_json(doc, loc.value);
        auto a = parse_and_serialize(mutated), b = parse_and_serialize(without);
        INFO("null must equal absent; without the member: " << without);
        REQUIRE(a.ok() == b.ok());
        if (a.ok()) CHECK(a.value() == b.value());
        ++checked;
        continue;
      }
      INFO("findings:" << dump(d));
      CHECK(at_path);
      ++checked;
    }
  }
  CHECK(checked > 200);
}

} // namespace

TEST_CASE("spec 1-20, 47: hostile: the wrong JSON type at every field of an image manifest gives a finding there") {
  wrong_type_everywhere(
      kFullImage,
      [](const std::string &j) -> Result<std::string> {
        auto r = parse_image_manifest(j);
        if (!r) return std::move(r).error();
        return serialize(*r);
      },
      [](const std::string &j) { return image_findings(j); });
}

TEST_CASE("spec 71-80: hostile: the wrong JSON type at every field of a pod manifest gives a finding there") {
  wrong_type_everywhere(
      kFullPod,
      [](const std::string &j) -> Result<std::string> {
        auto r = parse_pod_manifest(j);
        if (!r) return std::move(r).error();
        return serialize(*r);
      },
      [](const std::string &j) { return pod_findings(j); });
}

TEST_CASE("spec 46: hostile: invalid UTF-8 is refused with its byte offset") {
  std::string base = image_json(R"("annotations":[{"name":"authors","value":"X"}])");
  size_t at = base.find("\"X\"") + 1;
  auto with = [&](std::string_view bytes) {
    std::string s = base;
    s.replace(at, 1, bytes);
    return s;
  };
  for (std::string_view bad : {std::string_view("\xff"), std::string_view("\xc0\xaf"),    // overlong '/'
                               std::string_view("\xed\xa0\x80"),                          // a UTF-16 surrogate
                               std::string_view("\xf4\x90\x80\x80"),                      // above U+10FFFF
                               std::string_view("\xe2\x82"),                              // truncated
                               std::string_view("\x80"), std::string_view("\xf8\x88\x80\x80\x80")}) {
    INFO("bytes of length " << bad.size());
    auto d = image_findings(with(bad));
    CHECK_ONLY_FINDING(d, "", "invalid UTF-8 at line 1, column " + std::to_string(at + 1) + " (byte offset " +
                                  std::to_string(at) + ")",
                       46);
  }
  // Well-formed multi-byte text is kept as is.
  auto r = parse_image_manifest(with("h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x8e\x89"));
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->annotations[0].value == "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x8e\x89");
  // In a key, and at the very end of the text.
  CHECK_HAS_FINDING(image_findings(R"({"a)" "\xff" R"(":1})"), "", "invalid UTF-8 at line 1, column 4", 46);
  CHECK_HAS_FINDING(image_findings(image_json() + "\xc3"), "", "invalid UTF-8", 46);
  CHECK_HAS_FINDING(pod_findings(pod_json() + "\xc3"), "", "invalid UTF-8", 0);
}

TEST_CASE("spec 46: hostile: lone UTF-16 surrogate escapes are refused with where; pairs are kept") {
  std::string base = image_json(R"("annotations":[{"name":"authors","value":"aX"}])");
  const size_t at = base.find("X\"");
  auto with = [&](std::string_view text) {
    std::string s = base;
    s.replace(at, 1, text);
    return s;
  };
  const std::string where = "line 1, column " + std::to_string(at + 1) + " (byte offset " + std::to_string(at) + ")";
  // A lone low surrogate: RapidJSON would store it as the bytes ED B0 80, which are not UTF-8.
  for (const char *low : {"\\udc00", "\\uDFFF", "\\uDc80"}) {
    INFO(low);
    CHECK_ONLY_FINDING(image_findings(with(low)), "",
                       "invalid JSON at " + where + ": the escape " + low + " is a lone UTF-16 low surrogate", 46);
  }
  CHECK_ONLY_FINDING(image_findings(with("\\u0041\\n\\udc00")), "",
                     "invalid JSON at line 1, column " + std::to_string(at + 9), 46);
  CHECK_ONLY_FINDING(pod_findings(pod_json(R"("annotations":[{"name":"a","value":"\udc00"}])")), "",
                     "is a lone UTF-16 low surrogate", 0);
  // Two lows in a row: the second is not the low half of a pair either.
  CHECK_HAS_FINDING(image_findings(with("\\ud800\\udc00\\udc00")), "",
                    "invalid JSON at line 1, column " + std::to_string(at + 13), 46);
  // A lone high surrogate: refused by the parser (followed by nothing, by another escape, by a high).
  for (const char *high : {"\\ud800", "\\uDBFF\\u0041", "\\ud800\\ud800"}) {
    INFO(high);
    CHECK_ONLY_FINDING(image_findings(with(high)), "", "The surrogate pair in string is invalid", 46);
  }
  // In a key too, where the decoder never looks.
  CHECK_ONLY_FINDING(image_findings(image_json(R"("x-\udc00":1)")), "", "lone UTF-16 low surrogate", 46);
  // An escaped backslash followed by "udc00" is text, not an escape.
  auto r = parse_image_manifest(with(R"(\\udc00 \\\\udc00)"));
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->annotations[0].value == R"(a\udc00 \\udc00)");
  // A well-formed pair is one supplementary character, U+1F389, in UTF-8; it round-trips.
  r = parse_image_manifest(with("\\ud83c\\udf89\\u00e9"));
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->annotations[0].value == "a\xf0\x9f\x8e\x89\xc3\xa9");
  auto again = parse_image_manifest(serialize(*r));
  REQUIRE_MESSAGE(again.ok(), again.error().message);
  CHECK(again->annotations[0].value == r->annotations[0].value);
}

TEST_CASE("spec 46: hostile: NUL bytes and escaped NULs") {
  std::string s = image_json();
  s.insert(s.size() - 1, std::string(" \0", 2));
  CHECK_ONLY_FINDING(image_findings(s), "", "a NUL byte", 46);
  // An escaped NUL survives JSON but no C string (exec, paths, env, the C ABI): refused in values and names.
  CHECK_ONLY_FINDING(image_findings(image_json(R"("annotations":[{"name":"authors","value":"a\u0000b"}])")),
                     "annotations[0].value", "contains a NUL character", 9);
  CHECK_ONLY_FINDING(image_findings(image_json(R"("labels":[{"name":"a\u0000b","value":"x"}])")), "labels[0].name",
                     "contains a NUL character", 1);
}

TEST_CASE("spec 46: hostile: 100,000 nested arrays are refused before parsing, with where") {
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  for (const std::string &doc : {deep, "{\"name\":" + deep + "}", image_json("\"x\":" + deep)}) {
    auto r = parse_image_manifest(doc);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::limit);
    CHECK(r.error().message.find("deeper than the limit of 64 levels") != std::string::npos);
    REQUIRE(r.error().diagnostics.size() == 1);
  }
  auto r = parse_pod_manifest(deep);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Code::limit);
  CHECK(r.error().message.find("line 1, column 65 (byte offset 64)") != std::string::npos);
  // The same through validate() of a built manifest holding a deep unknown isolator value.
  ImageManifest m;
  m.name = "a";
  m.app.emplace();
  m.app->user = m.app->group = "0";
  m.app->isolators.push_back({"example.com/deep", UnknownIsolator{std::string(1000, '[') + std::string(1000, ']')}});
  auto d = validate(m);
  CHECK_FALSE(d.empty());
}

TEST_CASE("spec 46: hostile: nesting depth counts arrays and objects, not brackets inside strings") {
  ParseOptions o;
  o.max_depth = 4;
  // {app{isolators[{value{...}}]}}: depth 5.
  std::string five = image_app_json(R"("isolators":[{"name":"example.com/x","value":{"a":1}}])");
  auto r = parse_image_manifest(five, o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Code::limit);
  CHECK(r.error().message.find("limit of 4 levels") != std::string::npos);
  o.max_depth = 5;
  CHECK(parse_image_manifest(five, o).ok());
  // Brackets and escaped quotes inside strings do not count.
  std::string tricky = image_json(R"("annotations":[{"name":"authors","value":"\"[[[[[[[[{{{{{{{{\\\"[[[["}])");
  o.max_depth = 3;
  auto t = parse_image_manifest(tricky, o);
  REQUIRE_MESSAGE(t.ok(), t.error().message);
  CHECK(t->annotations[0].value == "\"[[[[[[[[{{{{{{{{\\\"[[[[");
  std::string strings(200000, '[');
  CHECK(parse_image_manifest(image_json(R"("annotations":[{"name":"authors","value":")" + strings + "\"}]")).ok());
}

TEST_CASE("spec 46: hostile: over-size manifests are refused up front, with the size and the limit") {
  std::string doc = image_json(R"("annotations":[{"name":"authors","value":")" + std::string(200, 'x') + "\"}]");
  ParseOptions o;
  o.max_bytes = 100;
  auto r = parse_image_manifest(doc, o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Code::limit);
  CHECK(r.error().message ==
        "the manifest is " + std::to_string(doc.size()) + " bytes, over the limit of 100 bytes");
  o.max_bytes = doc.size();
  CHECK(parse_image_manifest(doc, o).ok());
  o.max_bytes = 10;
  auto p = parse_pod_manifest(std::string(200, ' '), o);
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().code == Code::limit);
  // The default limit is 16 MiB: "garbage" of 17 MiB is refused without being parsed.
  auto big = parse_image_manifest(std::string(17u << 20, 'g'));
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().code == Code::limit);
}

TEST_CASE("spec 46: hostile: duplicate keys are findings naming the key and the path") {
  CHECK_ONLY_FINDING(image_findings(R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"a","name":"b"})"), "name",
                     "duplicate key \"name\"", 0);
  CHECK_ONLY_FINDING(image_findings(image_json(R"("x":1,"x":2)")), "x", "duplicate key \"x\"", 0);
  CHECK_ONLY_FINDING(image_findings(image_json(R"("labels":[{"name":"a","value":"1","value":"2"}])")),
                     "labels[0].value", "duplicate key \"value\"", 0);
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("user":"1")")), "app.user", "duplicate key \"user\"", 0);
  CHECK_ONLY_FINDING(image_findings(image_app_json(R"("userAnnotations":{"k":"1","k":"2"})")), "app.userAnnotations.k",
                     "duplicate key \"k\"", 0);
  CHECK_ONLY_FINDING(pod_findings(pod_json(R"("userLabels":{"k":"1","k":"2"})")), "userLabels.k", "duplicate key", 0);
  CHECK_ONLY_FINDING(
      image_findings(image_app_json(R"("isolators":[{"name":"example.com/x","value":1,"name":"example.com/y"}])")),
      "app.isolators[0].name", "duplicate key \"name\"", 0);
  CHECK_ONLY_FINDING(pod_findings(pod_json(R"("volumes":[{"name":"a","kind":"empty","kind":"host"}])")),
                     "volumes[0].kind", "duplicate key \"kind\"", 0);
  // A null member is absent, but a repeated key is still a repeated key.
  CHECK_ONLY_FINDING(image_findings(image_json(R"("labels":null,"labels":[])")), "labels", "duplicate key", 0);
  // Many unknown keys: duplicates found past the small-set threshold too.
  std::string many;
  for (int i = 0; i < 100; ++i) many += "\"k" + std::to_string(i) + "\":1,";
  many += "\"k42\":2";
  CHECK_ONLY_FINDING(image_findings(image_json(many)), "k42", "duplicate key \"k42\"", 0);
}

TEST_CASE("spec 17, 19: hostile: numbers out of range or not integers") {
  auto port = [](const std::string &n) {
    return image_findings(image_app_json(R"("ports":[{"name":"a","protocol":"tcp","port":)" + n + "}]"));
  };
  CHECK_ONLY_FINDING(port("99999999999999999999"), "app.ports[0].port", "1e+20 is outside 1..65535", 17);
  CHECK_ONLY_FINDING(port("18446744073709551615"), "app.ports[0].port", "18446744073709551615 is outside 1..65535",
                     17);
  CHECK_ONLY_FINDING(port("-9223372036854775809"), "app.ports[0].port", "is outside 1..65535", 17);
  CHECK_ONLY_FINDING(port("1e3"), "app.ports[0].port", "expected an integer without fraction or exponent, got 1000",
                     17);
  CHECK_ONLY_FINDING(port("80.0"), "app.ports[0].port", "expected an integer without fraction or exponent, got 80",
                     17);
  CHECK_ONLY_FINDING(port("80.5"), "app.ports[0].port", "expected an integer, got 80.5", 17);
  CHECK_ONLY_FINDING(port("1e400"), "", "invalid JSON", 46);   // not representable at all
  CHECK_ONLY_FINDING(port("NaN"), "", "invalid JSON", 46);
  CHECK(port("-0").size() == 1);
  auto size = [](const std::string &n) {
    return image_findings(image_json(R"("dependencies":[{"imageName":"a","size":)" + n + "}]"));
  };
  CHECK(size("18446744073709551615").empty());
  CHECK_ONLY_FINDING(size("18446744073709551616"), "dependencies[0].size", "is outside 0..18446744073709551615", 19);
  CHECK_ONLY_FINDING(size("1e30"), "dependencies[0].size", "1e+30 is outside", 19);
  CHECK_ONLY_FINDING(size("5e0"), "dependencies[0].size", "without fraction or exponent", 19);
}

TEST_CASE("spec 8, 9, 11, 17: hostile: huge but legal manifests: thousands of labels, environment variables, ports") {
  const int n = 5000;
  std::string labels, env, ports, ann;
  for (int i = 0; i < n; ++i) {
    std::string k = std::to_string(i);
    labels += (i ? "," : "") + std::string(R"({"name":"label-)") + k + R"(","value":")" + k + "\"}";
    env += (i ? "," : "") + std::string(R"({"name":"VAR_)") + k + R"(","value":")" + k + "\"}";
    ports += (i ? "," : "") + std::string(R"({"name":"p)") + k + R"(","protocol":"tcp","port":)" +
             std::to_string(1 + i) + "}";
    ann += (i ? "," : "") + std::string(R"({"name":"example.com/a)") + k + R"(","value":"v"})";
  }
  std::string doc = image_json("\"labels\":[" + labels + "],\"app\":{\"user\":\"0\",\"group\":\"0\",\"environment\":[" +
                               env + "],\"ports\":[" + ports + "]},\"annotations\":[" + ann + "]");
  auto r = parse_image_manifest(doc);
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->labels.size() == size_t(n));
  CHECK(r->app->environment.size() == size_t(n));
  CHECK(r->app->ports.size() == size_t(n));
  CHECK(r->annotations.size() == size_t(n));
  std::string out = serialize(*r);
  auto again = parse_image_manifest(out);
  REQUIRE(again.ok());
  CHECK(*again == *r);
  // One duplicate at the end of a long list is found (the hash-set path of the uniqueness check).
  std::string dup = image_json("\"labels\":[" + labels + R"(,{"name":"label-17","value":"x"}])");
  CHECK_ONLY_FINDING(image_findings(dup), "labels[5000].name", "duplicate label name \"label-17\"", 8);
}

TEST_CASE("spec 8, 72: hostile: a huge pod and thousands of findings") {
  std::string apps;
  for (int i = 0; i < 3000; ++i)
    apps += (i ? "," : "") + std::string(R"({"name":"app-)") + std::to_string(i) + R"(","image":{"id":")" +
            image_id() + "\"}}";
  auto r = parse_pod_manifest(R"({"acVersion":"0.8.11","acKind":"PodManifest","apps":[)" + apps + "]}");
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->apps.size() == 3000u);
  std::string bad;
  for (int i = 0; i < 10000; ++i) bad += (i ? "," : "") + std::string(R"({"name":"Bad","value":"x"})");
  auto d = image_findings(image_json("\"labels\":[" + bad + "]"));
  // Each element: a bad AC Identifier; from the second on also a duplicate.
  CHECK(d.size() == 10000u + 9999u);
  CHECK(d.front().path == "labels[0].name");
  CHECK(d.back().path == "labels[9999].name");
}

namespace {

// A byte-at-a-time model of the pre-scan: the nesting depth of brackets
// outside strings (a backslash escapes the byte after it; in valid JSON
// backslashes only occur inside strings), UTF-8 well-formedness, NUL bytes.
detail::Prescan prescan_model(std::string_view s, unsigned max_depth) {
  auto u = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  bool in_string = false;
  unsigned depth = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = u(i);
    if (c == 0) return {detail::Prescan::nul, i};
    if (c >= 0x80) {
      size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
      if (len == 0 || i + len > s.size()) return {detail::Prescan::bad_utf8, i};
      uint32_t cp = c & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
      for (size_t k = 1; k < len; ++k) {
        if ((u(i + k) & 0xc0) != 0x80) return {detail::Prescan::bad_utf8, i};
        cp = cp << 6 | (u(i + k) & 0x3f);
      }
      const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
      if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return {detail::Prescan::bad_utf8, i};
      i += len - 1;
      continue;
    }
    if (c == '\\') {
      if (i + 1 < s.size() && u(i + 1) == 0) return {detail::Prescan::nul, i + 1};
      if (i + 1 < s.size() && u(i + 1) >= 0x80) continue;   // the escaped byte is checked as UTF-8
      ++i;
      continue;
    }
    if (c == '"') in_string = !in_string;
    else if (!in_string && (c == '[' || c == '{')) {
      if (++depth > max_depth) return {detail::Prescan::too_deep, i};
    } else if (!in_string && (c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return {detail::Prescan::ok, s.size()};
}

} // namespace

TEST_CASE("spec 46: the pre-scan (depth, UTF-8, NUL) agrees with a byte-by-byte model") {
  static const char *pieces[] = {"\"", "\\", "\\\\", "\\\"", "[", "]", "{", "}", "a", " ", ":", ",", "\n",
                                 "\xc3\xa9", "\xe2\x9c\x93", "\xf0\x9f\x8e\x89", "\xff", "\x80", "\xc3", "\xed\xa0\x80",
                                 "\xe0\x80\x80", std::string_view("\0", 1).data()};
  std::mt19937 rng(46);
  size_t checked = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string s;
    int n = std::uniform_int_distribution<int>(0, round % 7 == 0 ? 400 : 90)(rng);
    // Mostly well-formed pieces, so that many texts get past the first problem.
    bool clean = rng() % 3 != 0;
    for (int i = 0; i < n; ++i) {
      size_t k = rng() % (clean ? 16 : std::size(pieces));
      if (k == std::size(pieces) - 1) s += std::string(1, '\0');
      else s += pieces[k];
    }
    unsigned max_depth = 1 + rng() % 12;
    auto want = prescan_model(s, max_depth);
    auto got = detail::prescan(s, max_depth);
    INFO("text of " << s.size() << " bytes, max depth " << max_depth << ": " << detail::quote(s));
    REQUIRE(got.what == want.what);
    if (want.what != detail::Prescan::ok) REQUIRE(got.offset == want.offset);
    ++checked;
  }
  CHECK(checked == 20000u);
}

TEST_CASE("hostile: an escaped NUL (\\u0000) in any string is refused with its path") {
  const std::string doc = R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/x",)"
                          R"("app":{"exec":["/bin/sh","a\u0000b"],"user":"0","group":"0"}})";
  auto r = appc::spec::parse_image_manifest(doc);
  REQUIRE_FALSE(r);
  REQUIRE(r.error().diagnostics.size() == 1);
  CHECK(r.error().diagnostics[0].path == "app.exec[1]");
  CHECK(r.error().diagnostics[0].message.find("NUL") != std::string::npos);
  const std::string pod = R"({"acKind":"PodManifest","acVersion":"0.8.11","apps":[],)"
                          R"("userAnnotations":{"a\u0000b":"x"}})";
  auto p = appc::spec::parse_pod_manifest(pod);
  REQUIRE_FALSE(p);
  CHECK(p.error().diagnostics[0].message.find("NUL") != std::string::npos);
}
