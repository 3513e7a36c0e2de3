// Isolators (checklist section 2, items 22-36): decoding each known isolator's
// value, the list rules, the canonical encoding, and the verdicts on the
// conformance corpus's isolator files.
#include "spec/isolator.hpp"

#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace appc;
using namespace appc::spec;

namespace {

rapidjson::Document parse_json(const std::string &text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  REQUIRE_MESSAGE(!d.HasParseError(), text);
  return d;
}

// The decoder reads the library's own tree: `v` (a RapidJSON value the
// tests navigate) written out and parsed by it.
std::unique_ptr<detail::json::Document> dom(const rapidjson::Value &v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  v.Accept(w);
  auto d = std::make_unique<detail::json::Document>();
  const detail::json::ParseError e = d->parse(std::string_view(sb.GetString(), sb.GetSize()), 64);
  REQUIRE_MESSAGE(e.what == detail::json::ParseError::none, sb.GetString());
  return d;
}

struct Decoded {
  IsolatorValue value;
  std::vector<Diagnostic> diags;
  std::string messages() const {
    std::string s;
    for (const Diagnostic &d : diags) s += d.format() + "\n";
    return s;
  }
};

// Decodes `json` as the value of app.isolators[0] named `name`.
Decoded decode(const char *name, const std::string &json) {
  const rapidjson::Document d = parse_json(json);
  const JsonPath app = JsonPath::root().field("app");
  const JsonPath list = app.field("isolators");
  const JsonPath item = list.index(0);
  const JsonPath value = item.field("value");
  Decoded out;
  out.value = decode_isolator_value(name, dom(d)->root(), value, out.diags);
  return out;
}

// Expects exactly one finding, with its formatted text.
void expect_one(const Decoded &d, const std::string &formatted) {
  CAPTURE(d.messages());
  REQUIRE(d.diags.size() == 1);
  CHECK(d.diags[0].format() == formatted);
}

void expect_clean(const Decoded &d) {
  CAPTURE(d.messages());
  CHECK(d.diags.empty());
}

// Encodes through both writers (RapidJSON's, used by the C ABI, and the
// canonical form's own) and requires the same bytes from each.
std::string encode(const Isolator &iso) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  encode_isolator_value(iso, w);
  std::string theirs(sb.GetString(), sb.GetSize());
  detail::JsonOut out;
  {
    detail::JsonWriter jw(out);
    encode_isolator_value(iso, jw);
  }
  const std::string ours = std::move(out).take();
  CHECK(ours == theirs);
  return theirs;
}

// A list of isolators decoded from a JSON array of {name, value}; findings of
// the values go to `diags` as well.
std::vector<Isolator> decode_list(const std::string &json, const JsonPath &path, std::vector<Diagnostic> &diags) {
  const rapidjson::Document d = parse_json(json);
  REQUIRE(d.IsArray());
  std::vector<Isolator> out;
  for (rapidjson::SizeType i = 0; i < d.Size(); ++i) {
    const auto &e = d[i];
    REQUIRE(e.IsObject());
    REQUIRE(e.HasMember("name"));
    REQUIRE(e.HasMember("value"));
    const JsonPath item = path.index(i);
    const JsonPath value = item.field("value");
    Isolator iso;
    iso.name = e["name"].GetString();
    iso.value = decode_isolator_value(iso.name, dom(e["value"])->root(), value, diags);
    out.push_back(std::move(iso));
  }
  return out;
}

// Findings of decoding and checking a list of isolators in `scope`.
std::vector<Diagnostic> check_list(const std::string &json, IsolatorScope scope) {
  const JsonPath app = JsonPath::root().field("app");
  const JsonPath pod_list = JsonPath::root().field("isolators");
  const JsonPath app_list = app.field("isolators");
  const JsonPath &path = scope == IsolatorScope::app ? app_list : pod_list;
  std::vector<Diagnostic> diags;
  const std::vector<Isolator> list = decode_list(json, path, diags);
  check_isolators(list, scope, path, diags);
  return diags;
}

std::string formatted(const std::vector<Diagnostic> &diags) {
  std::string s;
  for (const Diagnostic &d : diags) s += d.format() + "\n";
  return s;
}

} // namespace

// ---------------------------------------------------------------- names

TEST_CASE("spec 22: the known isolator names") {
  for (const char *n :
       {"resource/cpu", "resource/memory", "resource/block-bandwidth", "resource/block-iops",
        "resource/network-bandwidth", "os/linux/capabilities-retain-set", "os/linux/capabilities-remove-set",
        "os/linux/no-new-privileges", "os/linux/seccomp-remove-set", "os/linux/seccomp-retain-set",
        "os/linux/selinux-context", "os/unix/sysctl", "os/linux/cpu-shares", "os/linux/oom-score-adj"}) {
    CAPTURE(n);
    CHECK(is_known_isolator(n));
  }
  for (const char *n : {"os/linux/apparmor-profile", "Resource/CPU", "resource/cpu ", "", "resource", "example.com/x"}) {
    CAPTURE(n);
    CHECK_FALSE(is_known_isolator(n));
  }
}

// ---------------------------------------------------------------- resource/cpu, resource/memory

TEST_CASE("spec 23: resource/cpu request and limit") {
  const Decoded d = decode("resource/cpu", R"({"request": "250m", "limit": "500m"})");
  expect_clean(d);
  const auto &cpu = std::get<ResourceCpu>(d.value);
  REQUIRE(cpu.request);
  REQUIRE(cpu.limit);
  CHECK(cpu.request->text == "250m");
  CHECK(cpu.request->milli == 250);
  CHECK(cpu.limit->milli == 500);
  CHECK(cpu.limit->value == 1);
}

TEST_CASE("spec 23: resource/cpu request omitted is kept absent (the executor uses the limit)") {
  const Decoded d = decode("resource/cpu", R"({"limit": "0.5"})");
  expect_clean(d);
  const auto &cpu = std::get<ResourceCpu>(d.value);
  CHECK_FALSE(cpu.request);
  REQUIRE(cpu.limit);
  CHECK(cpu.limit->milli == 500);
}

TEST_CASE("spec 23: resource/cpu empty object, default false, null members and unknown members are accepted") {
  expect_clean(decode("resource/cpu", "{}"));
  expect_clean(decode("resource/cpu", R"({"default": false, "limit": "1"})"));
  expect_clean(decode("resource/cpu", R"({"limit": "1", "burst": "2", "Limit": "garbage"})"));
  const Decoded d = decode("resource/cpu", R"({"request": null, "limit": "2"})");
  expect_clean(d);
  CHECK_FALSE(std::get<ResourceCpu>(d.value).request);
}

TEST_CASE("spec 23: resource/cpu default true is rejected") {
  expect_one(decode("resource/cpu", R"({"default": true, "limit": "1"})"),
             "app.isolators[0].value.default: must be false for resource/cpu (spec 23)");
}

TEST_CASE("spec 23: resource/cpu default must be a boolean") {
  expect_one(decode("resource/cpu", R"({"default": "false", "limit": "1"})"),
             "app.isolators[0].value.default: must be a boolean, got a string (spec 23)");
}

TEST_CASE("spec 23: resource/cpu value must be an object") {
  expect_one(decode("resource/cpu", R"("500m")"),
             "app.isolators[0].value: must be an object such as {\"request\": ..., \"limit\": ...}, got a string "
             "(spec 23)");
}

TEST_CASE("spec 23: resource/cpu member given twice") {
  expect_one(decode("resource/cpu", R"({"limit": "1", "limit": "2"})"),
             "app.isolators[0].value.limit: member \"limit\" appears more than once (spec 23)");
  expect_one(decode("resource/cpu", R"({"limit": null, "limit": "2"})"),
             "app.isolators[0].value.limit: member \"limit\" appears more than once (spec 23)");
  expect_one(decode("os/linux/selinux-context", R"({"user": "u", "role": "r", "type": "t", "level": "s0", "user": "v"})"),
             "app.isolators[0].value.user: member \"user\" appears more than once (spec 34)");
}

TEST_CASE("spec 27: resource/cpu limit that is not a quantity") {
  expect_one(decode("resource/cpu", R"({"limit": "12Q"})"),
             "app.isolators[0].value.limit: \"12Q\" is not a quantity (spec 27)");
}

TEST_CASE("spec 27: resource/cpu request that is negative") {
  expect_one(decode("resource/cpu", R"({"request": "-1", "limit": "1"})"),
             "app.isolators[0].value.request: \"-1\" is negative; resource quantities must not be negative (spec 27)");
}

TEST_CASE("spec 27: quantity of the wrong JSON type") {
  expect_one(decode("resource/memory", R"({"limit": ["1G"]})"),
             "app.isolators[0].value.limit: must be a quantity (a string such as \"512Mi\" or a number), got an "
             "array (spec 27)");
  expect_one(decode("resource/memory", R"({"limit": true})"),
             "app.isolators[0].value.limit: must be a quantity (a string such as \"512Mi\" or a number), got a "
             "boolean (spec 27)");
}

TEST_CASE("spec 24: resource/memory with decimal and binary suffixes") {
  const Decoded d = decode("resource/memory", R"({"request": "1G", "limit": "2Gi"})");
  expect_clean(d);
  const auto &m = std::get<ResourceMemory>(d.value);
  CHECK(m.request->value == 1000000000);
  CHECK(m.limit->value == 2147483648);
}

TEST_CASE("spec 27: resource/memory quantity as a JSON number keeps its textual form") {
  Decoded d = decode("resource/memory", R"({"limit": 1073741824})");
  expect_clean(d);
  CHECK(std::get<ResourceMemory>(d.value).limit->text == "1073741824");
  CHECK(std::get<ResourceMemory>(d.value).limit->value == 1073741824);
  d = decode("resource/cpu", R"({"limit": 0.5})");
  expect_clean(d);
  CHECK(std::get<ResourceCpu>(d.value).limit->text == "0.5");
  CHECK(std::get<ResourceCpu>(d.value).limit->milli == 500);
  d = decode("resource/memory", R"({"limit": 1e21})");
  expect_clean(d);
  CHECK(std::get<ResourceMemory>(d.value).limit->value == INT64_MAX);
  d = decode("resource/memory", R"({"limit": 18446744073709551615})");
  expect_clean(d);
  CHECK(std::get<ResourceMemory>(d.value).limit->text == "18446744073709551615");
  CHECK(std::get<ResourceMemory>(d.value).limit->value == INT64_MAX);
}

TEST_CASE("spec 27: resource/memory negative JSON number") {
  expect_one(decode("resource/memory", R"({"limit": -5})"),
             "app.isolators[0].value.limit: \"-5\" is negative; resource quantities must not be negative (spec 27)");
}

TEST_CASE("spec 27: the spec's three equivalent memory spellings decode to the same bytes") {
  const int64_t a = std::get<ResourceMemory>(decode("resource/memory", R"({"limit": "128974848"})").value).limit->value;
  const int64_t b = std::get<ResourceMemory>(decode("resource/memory", R"({"limit": "125952Ki"})").value).limit->value;
  const int64_t c = std::get<ResourceMemory>(decode("resource/memory", R"({"limit": "123Mi"})").value).limit->value;
  CHECK(a == 128974848);
  CHECK(b == a);
  CHECK(c == a);
}

TEST_CASE("spec 24: resource/memory request greater than limit is not checked") {
  expect_clean(decode("resource/memory", R"({"request": "4G", "limit": "1G"})"));
}

TEST_CASE("spec 24: resource/memory default true is rejected") {
  expect_one(decode("resource/memory", R"({"default": true})"),
             "app.isolators[0].value.default: must be false for resource/memory (spec 24)");
}

// ---------------------------------------------------------------- bandwidth and IOPS

TEST_CASE("spec 25: resource/block-bandwidth, block-iops; spec 26: network-bandwidth") {
  for (const char *name : {"resource/block-bandwidth", "resource/block-iops", "resource/network-bandwidth"}) {
    CAPTURE(name);
    const Decoded d = decode(name, R"({"default": true, "limit": "2M"})");
    expect_clean(d);
    const auto &b = std::get<ResourceBandwidth>(d.value);
    CHECK(b.is_default);
    REQUIRE(b.limit);
    CHECK(b.limit->value == 2000000);
  }
}

TEST_CASE("spec 25: resource/block-bandwidth default false") {
  const Decoded d = decode("resource/block-bandwidth", R"({"default": false, "limit": "1G"})");
  expect_one(d, "app.isolators[0].value.default: must be true for resource/block-bandwidth (spec 25)");
  CHECK_FALSE(std::get<ResourceBandwidth>(d.value).is_default);
}

TEST_CASE("spec 25: resource/block-iops default missing") {
  expect_one(decode("resource/block-iops", R"({"limit": "1000"})"),
             "app.isolators[0].value: \"default\": true is required for resource/block-iops (spec 25)");
}

TEST_CASE("spec 25: resource/block-bandwidth default must be a boolean") {
  expect_one(decode("resource/block-bandwidth", R"({"default": 1, "limit": "1"})"),
             "app.isolators[0].value.default: must be a boolean, got a number (spec 25)");
}

TEST_CASE("spec 25: resource/block-bandwidth request is not supported") {
  expect_one(decode("resource/block-bandwidth", R"({"default": true, "request": "30G", "limit": "1G"})"),
             "app.isolators[0].value.request: request not supported by this resource, must be empty (spec 25)");
}

TEST_CASE("spec 25: request and missing default are both reported") {
  const Decoded d = decode("resource/block-iops", R"({"request": "30G", "limit": "1G"})");
  CAPTURE(d.messages());
  REQUIRE(d.diags.size() == 2);
  CHECK(d.diags[0].format() == "app.isolators[0].value: \"default\": true is required for resource/block-iops (spec 25)");
  CHECK(d.diags[1].format() ==
        "app.isolators[0].value.request: request not supported by this resource, must be empty (spec 25)");
}

TEST_CASE("spec 26: resource/network-bandwidth limit is required") {
  expect_one(decode("resource/network-bandwidth", R"({"default": true})"),
             "app.isolators[0].value: \"limit\" is required for resource/network-bandwidth (spec 26)");
}

TEST_CASE("spec 26: resource/network-bandwidth must be an object") {
  expect_one(decode("resource/network-bandwidth", "[]"),
             "app.isolators[0].value: must be an object such as {\"default\": true, \"limit\": \"1G\"}, got an "
             "array (spec 26)");
}

TEST_CASE("spec 27: resource/block-bandwidth limit garbage") {
  expect_one(decode("resource/block-bandwidth", R"({"default": true, "limit": "fast"})"),
             "app.isolators[0].value.limit: \"fast\" is not a quantity (spec 27)");
}

// ---------------------------------------------------------------- capabilities

TEST_CASE("spec 29: capabilities retain and remove sets") {
  Decoded d = decode("os/linux/capabilities-retain-set", R"({"set": ["CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE"]})");
  expect_clean(d);
  CHECK(std::get<CapabilitySet>(d.value).set == std::vector<std::string>{"CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE"});
  d = decode("os/linux/capabilities-remove-set", R"({"set": ["CAP_SYS_CHROOT", "CAP_MKNOD"]})");
  expect_clean(d);
  CHECK(std::get<CapabilitySet>(d.value).set.size() == 2);
}

TEST_CASE("spec 29: capability names are checked for form, not against the kernel's list") {
  expect_clean(decode("os/linux/capabilities-retain-set", R"({"set": ["CAP_PONIES", "CAP_CHECKPOINT_RESTORE"]})"));
}

TEST_CASE("spec 29: capability set must be non-empty") {
  expect_one(decode("os/linux/capabilities-retain-set", R"({"set": []})"),
             "app.isolators[0].value.set: must be non-empty (spec 29)");
  expect_one(decode("os/linux/capabilities-remove-set", R"({"set": []})"),
             "app.isolators[0].value.set: must be non-empty (spec 29)");
}

TEST_CASE("spec 29: capability set must be a list") {
  expect_one(decode("os/linux/capabilities-retain-set", R"({"set": "CAP_PONIES"})"),
             "app.isolators[0].value.set: must be a list of capability names, got a string (spec 29)");
}

TEST_CASE("spec 29: capability set is required") {
  expect_one(decode("os/linux/capabilities-retain-set", R"({"caps": ["CAP_KILL"]})"),
             "app.isolators[0].value: \"set\" is required (spec 29)");
  expect_one(decode("os/linux/capabilities-retain-set", R"({"set": null})"),
             "app.isolators[0].value: \"set\" is required (spec 29)");
}

TEST_CASE("spec 29: capability value must be an object") {
  expect_one(decode("os/linux/capabilities-remove-set", R"(["CAP_KILL"])"),
             "app.isolators[0].value: must be an object such as {\"set\": [\"CAP_NET_BIND_SERVICE\"]}, got an "
             "array (spec 29)");
}

TEST_CASE("spec 29: capability names must look like CAP_NAME") {
  for (const char *bad : {"cap_kill", "KILL", "CAP_", "CAP_kill", "CAP_NET-ADMIN", " CAP_KILL", "CAP_KILL\n"}) {
    CAPTURE(bad);
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    w.StartObject();
    w.Key("set");
    w.StartArray();
    w.String("CAP_KILL");
    w.String(bad);
    w.EndArray();
    w.EndObject();
    const Decoded d = decode("os/linux/capabilities-retain-set", sb.GetString());
    REQUIRE(d.diags.size() == 1);
    CHECK(d.diags[0].path == "app.isolators[0].value.set[1]");
    CHECK(d.diags[0].rule == 29);
    CHECK(d.diags[0].message.find("is not a capability name") != std::string::npos);
  }
  expect_one(decode("os/linux/capabilities-retain-set", R"({"set": ["CAP_KILL", "cap_chown"]})"),
             "app.isolators[0].value.set[1]: \"cap_chown\" is not a capability name (CAP_ followed by upper-case "
             "letters, digits or '_') (spec 29)");
  expect_one(decode("os/linux/capabilities-retain-set", R"({"set": [7]})"),
             "app.isolators[0].value.set[0]: must be a string, got a number (spec 29)");
}

// ---------------------------------------------------------------- no-new-privileges

TEST_CASE("spec 30: no-new-privileges is a JSON boolean") {
  Decoded d = decode("os/linux/no-new-privileges", "true");
  expect_clean(d);
  CHECK(std::get<NoNewPrivileges>(d.value).enabled);
  d = decode("os/linux/no-new-privileges", "false");
  expect_clean(d);
  CHECK_FALSE(std::get<NoNewPrivileges>(d.value).enabled);
  expect_one(decode("os/linux/no-new-privileges", R"("true")"),
             "app.isolators[0].value: must be a boolean (true or false), got a string (spec 30)");
  expect_one(decode("os/linux/no-new-privileges", R"({"set": ["CAP_KILL"]})"),
             "app.isolators[0].value: must be a boolean (true or false), got an object (spec 30)");
  expect_one(decode("os/linux/no-new-privileges", "1"),
             "app.isolators[0].value: must be a boolean (true or false), got a number (spec 30)");
}

// ---------------------------------------------------------------- seccomp

TEST_CASE("spec 31: seccomp-remove-set with errno") {
  const Decoded d = decode("os/linux/seccomp-remove-set",
                           R"({"errno": "ENOTSUP", "set": ["clock_adjtime", "clock_settime", "reboot"]})");
  expect_clean(d);
  const auto &s = std::get<SeccompSet>(d.value);
  CHECK(s.errno_name == "ENOTSUP");
  CHECK(s.set == std::vector<std::string>{"clock_adjtime", "clock_settime", "reboot"});
}

TEST_CASE("spec 32: seccomp-retain-set with empty errno means kill") {
  const Decoded d = decode("os/linux/seccomp-retain-set",
                           R"({"errno": "", "set": ["accept", "bind", "listen", "read", "socket", "write"]})");
  expect_clean(d);
  CHECK(std::get<SeccompSet>(d.value).errno_name.empty());
  expect_clean(decode("os/linux/seccomp-retain-set", R"({"set": ["read"], "errno": null})"));
}

TEST_CASE("spec 33: errno names are checked for form only (the spec example's EACCESS passes)") {
  for (const char *e : {"EPERM", "EACCES", "EACCESS", "E2BIG", "ENOTSUP"}) {
    CAPTURE(e);
    expect_clean(decode("os/linux/seccomp-remove-set", std::string(R"({"set": ["reboot"], "errno": ")") + e + "\"}"));
  }
}

TEST_CASE("spec 33: errno must be an upper-case E name") {
  expect_one(decode("os/linux/seccomp-remove-set", R"({"set": ["chmod"], "errno": "-EPERM"})"),
             "app.isolators[0].value.errno: \"-EPERM\" is not an errno name (E followed by upper-case letters or "
             "digits, e.g. EPERM) (spec 33)");
  expect_one(decode("os/linux/seccomp-retain-set", R"({"set": ["chmod"], "errno": "eaccess"})"),
             "app.isolators[0].value.errno: \"eaccess\" is not an errno name (E followed by upper-case letters or "
             "digits, e.g. EPERM) (spec 33)");
  for (const char *bad : {"E", "EPERM ", "E_PERM", "PERM", "Eperm"}) {
    CAPTURE(bad);
    const Decoded d =
        decode("os/linux/seccomp-remove-set", std::string(R"({"set": ["reboot"], "errno": ")") + bad + "\"}");
    REQUIRE(d.diags.size() == 1);
    CHECK(d.diags[0].path == "app.isolators[0].value.errno");
    CHECK(d.diags[0].rule == 33);
  }
  expect_one(decode("os/linux/seccomp-remove-set", R"({"set": ["reboot"], "errno": 1})"),
             "app.isolators[0].value.errno: must be a string, got a number (spec 33)");
}

TEST_CASE("spec 31: seccomp set must be non-empty, a list, and present") {
  expect_one(decode("os/linux/seccomp-remove-set", R"({"set": []})"),
             "app.isolators[0].value.set: must be non-empty (spec 31)");
  expect_one(decode("os/linux/seccomp-retain-set", R"({"set": []})"),
             "app.isolators[0].value.set: must be non-empty (spec 32)");
  expect_one(decode("os/linux/seccomp-remove-set", R"({"set": "reboot"})"),
             "app.isolators[0].value.set: must be a list of syscall names or @-wildcards, got a string (spec 31)");
  expect_one(decode("os/linux/seccomp-remove-set", R"({"errno": "EPERM"})"),
             "app.isolators[0].value: \"set\" is required (spec 31)");
  expect_one(decode("os/linux/seccomp-remove-set", R"(["reboot"])"),
             "app.isolators[0].value: must be an object such as {\"set\": [\"reboot\"], \"errno\": \"EPERM\"}, got "
             "an array (spec 31)");
}

TEST_CASE("spec 33: seccomp wildcards") {
  for (const char *w : {"@appc.io/all", "@appc.io/empty", "@docker/default", "@rkt/default-blacklist",
                        "@example.com/group/sub"}) {
    CAPTURE(w);
    expect_clean(decode("os/linux/seccomp-retain-set", std::string(R"({"set": [")") + w + "\"]}"));
  }
  expect_one(decode("os/linux/seccomp-remove-set", R"({"set": ["@appc.io/none"]})"),
             "app.isolators[0].value.set[0]: \"@appc.io/none\" is not defined: the reserved @appc.io/ scope has only "
             "@appc.io/all and @appc.io/empty (spec 33)");
  for (const char *bad : {"@", "@all", "@/all", "@appc.io/", "@appc.io//all", "@Appc.io/all", "@a b/c"}) {
    CAPTURE(bad);
    const Decoded d = decode("os/linux/seccomp-remove-set", std::string(R"({"set": [")") + bad + "\"]}");
    REQUIRE(d.diags.size() == 1);
    CHECK(d.diags[0].format() ==
          "app.isolators[0].value.set[0]: \"" + std::string(bad) + "\" is not a wildcard of the form @scope/name (spec 33)");
  }
}

TEST_CASE("spec 31: seccomp syscall names") {
  expect_clean(decode("os/linux/seccomp-remove-set", R"({"set": ["_llseek", "pread64", "epoll_wait"]})"));
  expect_one(decode("os/linux/seccomp-remove-set", R"({"set": ["reboot", "Reboot"]})"),
             "app.isolators[0].value.set[1]: \"Reboot\" is not a syscall name (lower-case letters, digits and '_') "
             "or an @-wildcard (spec 31)");
  for (const char *bad : {"", "1abc", "clock-settime", "read write", "read\""}) {
    CAPTURE(bad);
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    w.StartObject();
    w.Key("set");
    w.StartArray();
    w.String(bad);
    w.EndArray();
    w.EndObject();
    const Decoded d = decode("os/linux/seccomp-retain-set", sb.GetString());
    REQUIRE(d.diags.size() == 1);
    CHECK(d.diags[0].path == "app.isolators[0].value.set[0]");
    CHECK(d.diags[0].rule == 32);
  }
}

// ---------------------------------------------------------------- selinux

TEST_CASE("spec 34: selinux-context with all four fields") {
  const Decoded d = decode("os/linux/selinux-context",
                           R"({"user": "user_u", "role": "role_r", "type": "type_r", "level": "s0-s0:c0"})");
  expect_clean(d);
  const auto &s = std::get<SelinuxContext>(d.value);
  CHECK(s.user == "user_u");
  CHECK(s.role == "role_r");
  CHECK(s.type == "type_r");
  CHECK(s.level == "s0-s0:c0");
}

TEST_CASE("spec 34: selinux-context fields must be non-empty") {
  expect_one(decode("os/linux/selinux-context", R"({"user": "u", "role": "", "type": "t", "level": "s0"})"),
             "app.isolators[0].value.role: must be non-empty (spec 34)");
  expect_one(decode("os/linux/selinux-context", R"({"user": "u", "role": "r", "type": "t", "level": ""})"),
             "app.isolators[0].value.level: must be non-empty (spec 34)");
}

TEST_CASE("spec 34: selinux-context fields are required") {
  expect_one(decode("os/linux/selinux-context", R"({"user": "u", "role": "r", "level": "s0"})"),
             "app.isolators[0].value: \"type\" is required (spec 34)");
  const Decoded d = decode("os/linux/selinux-context", "{}");
  CHECK(d.diags.size() == 4);
}

TEST_CASE("spec 34: selinux-context user, role and type must not contain ':'") {
  expect_one(decode("os/linux/selinux-context", R"({"user": "a:b", "role": "r", "type": "t", "level": "s0"})"),
             "app.isolators[0].value.user: \"a:b\" must not contain ':' (spec 34)");
  expect_one(decode("os/linux/selinux-context", R"({"user": "u", "role": "r", "type": "t:x", "level": "s0"})"),
             "app.isolators[0].value.type: \"t:x\" must not contain ':' (spec 34)");
}

TEST_CASE("spec 34: selinux-context fields must be strings without control characters") {
  expect_one(decode("os/linux/selinux-context", R"({"user": "u", "role": 1, "type": "t", "level": "s0"})"),
             "app.isolators[0].value.role: must be a string, got a number (spec 34)");
  expect_one(decode("os/linux/selinux-context", R"({"user": "u\n", "role": "r", "type": "t", "level": "s0"})"),
             "app.isolators[0].value.user: \"u\\u000a\" must not contain control characters (spec 34)");
  expect_one(decode("os/linux/selinux-context", R"("system_u:system_r:svirt_lxc_net_t:s0")"),
             "app.isolators[0].value: must be an object {\"user\", \"role\", \"type\", \"level\"}, got a string "
             "(spec 34)");
}

// ---------------------------------------------------------------- sysctl

TEST_CASE("spec 35: sysctl keeps document order") {
  const Decoded d = decode("os/unix/sysctl", R"({"net.ipv4.tcp_mtu_probing": "1", "net.ipv4.tcp_keepalive_time": "300",
    "net/ipv4/conf/eth0.100/forwarding": "1", "net.ipv4.tcp_rmem": "4096 87380 6291456"})");
  expect_clean(d);
  const auto &s = std::get<Sysctl>(d.value);
  REQUIRE(s.entries.size() == 4);
  CHECK(s.entries[0] == std::pair<std::string, std::string>{"net.ipv4.tcp_mtu_probing", "1"});
  CHECK(s.entries[1].first == "net.ipv4.tcp_keepalive_time");
  CHECK(s.entries[2].first == "net/ipv4/conf/eth0.100/forwarding");
  CHECK(s.entries[3].second == "4096 87380 6291456");
  expect_clean(decode("os/unix/sysctl", "{}"));
}

TEST_CASE("spec 35: sysctl values must be strings") {
  expect_one(decode("os/unix/sysctl", R"({"net.ipv4.ip_forward": 1})"),
             "app.isolators[0].value.net.ipv4.ip_forward: must be a string, got a number (spec 35)");
  expect_one(decode("os/unix/sysctl", R"(["net.ipv4.ip_forward=1"])"),
             "app.isolators[0].value: must be an object of sysctl names to string values, got an array (spec 35)");
}

TEST_CASE("spec 35: sysctl names are validated") {
  for (const char *bad : {"", "net..ipv4", ".net", "net.", "/proc/sys/net", "../../etc/passwd", "net.ipv4.ip forward",
                          "net.ipv4.*", "net:ipv4"}) {
    CAPTURE(bad);
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    w.StartObject();
    w.Key(bad);
    w.String("1");
    w.EndObject();
    const Decoded d = decode("os/unix/sysctl", sb.GetString());
    REQUIRE(d.diags.size() == 1);
    CHECK(d.diags[0].rule == 35);
    CHECK(d.diags[0].message.find("is not a sysctl name") != std::string::npos);
  }
  expect_one(decode("os/unix/sysctl", R"({"net..x": "1"})"),
             "app.isolators[0].value.net..x: \"net..x\" is not a sysctl name (letters, digits, '_' and '-' in parts "
             "separated by '.' or '/') (spec 35)");
}

TEST_CASE("spec 35: sysctl names given twice") {
  const Decoded d = decode("os/unix/sysctl", R"({"a.b": "1", "c": "2", "a.b": "3"})");
  expect_one(d, "app.isolators[0].value.a.b: sysctl \"a.b\" is given more than once (spec 35)");
  CHECK(std::get<Sysctl>(d.value).entries.size() == 2);
}

TEST_CASE("spec 35: sysctl duplicates among many keys") {
  std::string json = "{";
  for (int i = 0; i < 5000; ++i) json += "\"k.n" + std::to_string(i) + "\": \"1\",";
  json += "\"k.n4321\": \"2\"}";
  const Decoded d = decode("os/unix/sysctl", json);
  expect_one(d, "app.isolators[0].value.k.n4321: sysctl \"k.n4321\" is given more than once (spec 35)");
  CHECK(std::get<Sysctl>(d.value).entries.size() == 5000);
}

TEST_CASE("spec 35: sysctl values must not contain NUL") {
  expect_one(decode("os/unix/sysctl", R"({"kernel.domainname": "a\u0000b"})"),
             "app.isolators[0].value.kernel.domainname: must not contain a NUL character (spec 35)");
}

// ---------------------------------------------------------------- cpu-shares, oom-score-adj

TEST_CASE("spec 36: cpu-shares range 2..262144") {
  Decoded d = decode("os/linux/cpu-shares", "2");
  expect_clean(d);
  CHECK(std::get<CpuShares>(d.value).shares == 2);
  d = decode("os/linux/cpu-shares", "262144");
  expect_clean(d);
  CHECK(std::get<CpuShares>(d.value).shares == 262144);
  expect_one(decode("os/linux/cpu-shares", "1"), "app.isolators[0].value: 1 is outside 2..262144 (spec 36)");
  expect_one(decode("os/linux/cpu-shares", "262145"), "app.isolators[0].value: 262145 is outside 2..262144 (spec 36)");
  expect_one(decode("os/linux/cpu-shares", "-3"), "app.isolators[0].value: -3 is outside 2..262144 (spec 36)");
  expect_one(decode("os/linux/cpu-shares", "18446744073709551615"),
             "app.isolators[0].value: 18446744073709551615 is outside 2..262144 (spec 36)");
}

TEST_CASE("spec 36: cpu-shares must be a JSON integer (quoted numbers rejected)") {
  expect_one(decode("os/linux/cpu-shares", R"("2048")"),
             "app.isolators[0].value: must be a JSON integer, got the string \"2048\" (spec 36)");
  expect_one(decode("os/linux/cpu-shares", R"("pants")"),
             "app.isolators[0].value: must be a JSON integer, got the string \"pants\" (spec 36)");
  expect_one(decode("os/linux/cpu-shares", "2048.5"), "app.isolators[0].value: 2048.5 is not an integer (spec 36)");
  expect_one(decode("os/linux/cpu-shares", "2048.0"), "app.isolators[0].value: 2048.0 is not an integer (spec 36)");
  expect_one(decode("os/linux/cpu-shares", "null"), "app.isolators[0].value: must be a JSON integer, got null (spec 36)");
}

TEST_CASE("spec 36: oom-score-adj range -1000..1000") {
  for (int v : {-1000, -250, 0, 250, 1000}) {
    const Decoded d = decode("os/linux/oom-score-adj", std::to_string(v));
    expect_clean(d);
    CHECK(std::get<OomScoreAdj>(d.value).adj == v);
  }
  expect_one(decode("os/linux/oom-score-adj", "1001"), "app.isolators[0].value: 1001 is outside -1000..1000 (spec 36)");
  expect_one(decode("os/linux/oom-score-adj", "-1001"),
             "app.isolators[0].value: -1001 is outside -1000..1000 (spec 36)");
  expect_one(decode("os/linux/oom-score-adj", R"("1")"),
             "app.isolators[0].value: must be a JSON integer, got the string \"1\" (spec 36)");
  expect_one(decode("os/linux/oom-score-adj", "true"),
             "app.isolators[0].value: must be a JSON integer, got a boolean (spec 36)");
}

// ---------------------------------------------------------------- unknown isolators

TEST_CASE("spec 22: unknown isolators keep their value as canonical compact JSON") {
  const Decoded d = decode("example.com/ponies", R"({ "b" : [1, 2.50, "x", -0.1e2], "a": {"n": null, "t": true} })");
  expect_clean(d);
  CHECK(std::get<UnknownIsolator>(d.value).json == R"({"b":[1,2.5,"x",-10.0],"a":{"n":null,"t":true}})");
  CHECK(std::get<UnknownIsolator>(decode("os/linux/apparmor-profile", "0").value).json == "0");
  CHECK(std::get<UnknownIsolator>(decode("x/y", R"("s\"\u00e9")").value).json == "\"s\\\"\u00e9\"");
}

TEST_CASE("spec 22: unknown isolators are not an error in an app or a pod") {
  const char *list = R"([{"name": "example.com/ponies", "value": 0}, {"name": "os/linux/apparmor-profile",
                         "value": {"profile": "x"}}, {"name": "example.com/ponies", "value": 1}])";
  CHECK(check_list(list, IsolatorScope::app).empty());
  CHECK(check_list(list, IsolatorScope::pod).empty());
}

// ---------------------------------------------------------------- list rules

TEST_CASE("spec 36: cpu-shares at most once per app") {
  const auto diags = check_list(R"([{"name": "os/linux/cpu-shares", "value": 2048},
                                    {"name": "os/linux/cpu-shares", "value": 1024}])",
                                IsolatorScope::app);
  CAPTURE(formatted(diags));
  REQUIRE(diags.size() == 1);
  CHECK(diags[0].format() ==
        "app.isolators[1]: os/linux/cpu-shares may appear only once per app (first at app.isolators[0]) (spec 36)");
}

TEST_CASE("spec 36, 34, 35, 33, 29: one instance per list") {
  struct Case {
    const char *name, *value;
    int rule;
  } cases[] = {
      {"os/linux/oom-score-adj", "1", 36},
      {"os/linux/selinux-context", R"({"user": "u", "role": "r", "type": "t", "level": "s0"})", 34},
      {"os/unix/sysctl", R"({"a": "1"})", 35},
      {"os/linux/seccomp-remove-set", R"({"set": ["a"]})", 33},
      {"os/linux/seccomp-retain-set", R"({"set": ["a"]})", 33},
      {"os/linux/capabilities-retain-set", R"({"set": ["CAP_KILL"]})", 29},
      {"os/linux/capabilities-remove-set", R"({"set": ["CAP_KILL"]})", 29},
  };
  for (const Case &c : cases) {
    CAPTURE(c.name);
    const std::string item = std::string(R"({"name": ")") + c.name + R"(", "value": )" + c.value + "}";
    const auto diags = check_list("[" + item + ", {\"name\": \"resource/memory\", \"value\": {}}, " + item + "]",
                                  IsolatorScope::app);
    CAPTURE(formatted(diags));
    REQUIRE(diags.size() == 1);
    CHECK(diags[0].path == "app.isolators[2]");
    CHECK(diags[0].message == std::string(c.name) + " may appear only once per app (first at app.isolators[0])");
    CHECK(diags[0].rule == c.rule);
  }
}

TEST_CASE("spec 34, 35: selinux-context and sysctl at most once per pod") {
  const auto diags = check_list(R"([{"name": "os/unix/sysctl", "value": {"a": "1"}},
                                    {"name": "os/unix/sysctl", "value": {"b": "1"}}])",
                                IsolatorScope::pod);
  REQUIRE(diags.size() == 1);
  CHECK(diags[0].format() ==
        "isolators[1]: os/unix/sysctl may appear only once per pod (first at isolators[0]) (spec 35)");
}

TEST_CASE("spec 27, 30: resources and no-new-privileges may repeat") {
  CHECK(check_list(R"([{"name": "resource/memory", "value": {"limit": "1G"}},
                       {"name": "resource/memory", "value": {"limit": "2G"}},
                       {"name": "resource/cpu", "value": {"limit": "1"}},
                       {"name": "resource/cpu", "value": {"limit": "2"}},
                       {"name": "resource/block-iops", "value": {"default": true, "limit": "1"}},
                       {"name": "resource/block-iops", "value": {"default": true, "limit": "2"}},
                       {"name": "os/linux/no-new-privileges", "value": true},
                       {"name": "os/linux/no-new-privileges", "value": false}])",
                   IsolatorScope::app)
            .empty());
}

TEST_CASE("spec 33: seccomp remove and retain sets exclude each other") {
  const auto diags = check_list(R"([{"name": "os/linux/seccomp-retain-set", "value": {"set": ["read"]}},
                                    {"name": "os/linux/no-new-privileges", "value": true},
                                    {"name": "os/linux/seccomp-remove-set", "value": {"set": ["reboot"]}}])",
                                IsolatorScope::app);
  REQUIRE(diags.size() == 1);
  CHECK(diags[0].format() == "app.isolators[2]: os/linux/seccomp-remove-set cannot be combined with "
                             "os/linux/seccomp-retain-set (at app.isolators[0]) (spec 33)");
}

TEST_CASE("spec 29: capabilities retain and remove sets exclude each other") {
  const auto diags = check_list(R"([{"name": "os/linux/capabilities-remove-set", "value": {"set": ["CAP_KILL"]}},
                                    {"name": "os/linux/capabilities-retain-set", "value": {"set": ["CAP_KILL"]}}])",
                                IsolatorScope::app);
  REQUIRE(diags.size() == 1);
  CHECK(diags[0].format() == "app.isolators[1]: os/linux/capabilities-retain-set cannot be combined with "
                             "os/linux/capabilities-remove-set (at app.isolators[0]) (spec 29)");
}

TEST_CASE("spec 29, 30, 31, 32, 36: app-only isolators are rejected in a pod's isolators") {
  struct Case {
    const char *name, *value;
    int rule;
  } cases[] = {
      {"os/linux/capabilities-retain-set", R"({"set": ["CAP_KILL"]})", 29},
      {"os/linux/capabilities-remove-set", R"({"set": ["CAP_KILL"]})", 29},
      {"os/linux/no-new-privileges", "true", 30},
      {"os/linux/seccomp-remove-set", R"({"set": ["reboot"]})", 31},
      {"os/linux/seccomp-retain-set", R"({"set": ["read"]})", 32},
      {"os/linux/cpu-shares", "1024", 36},
      {"os/linux/oom-score-adj", "0", 36},
  };
  for (const Case &c : cases) {
    CAPTURE(c.name);
    const std::string list = std::string(R"([{"name": "resource/memory", "value": {"limit": "1G"}}, {"name": ")") +
                             c.name + R"(", "value": )" + c.value + "}]";
    const auto pod = check_list(list, IsolatorScope::pod);
    REQUIRE(pod.size() == 1);
    CHECK(pod[0].path == "isolators[1].name");
    CHECK(pod[0].message == std::string(c.name) + " is app scope only: set it in an app's isolators, not the pod's");
    CHECK(pod[0].rule == c.rule);
    CHECK(check_list(list, IsolatorScope::app).empty());
  }
}

TEST_CASE("spec 22: an app-only isolator given twice in a pod is reported once per instance, as misplaced") {
  const auto diags = check_list(R"([{"name": "os/linux/cpu-shares", "value": 2},
                                    {"name": "os/linux/cpu-shares", "value": 3}])",
                                IsolatorScope::pod);
  REQUIRE(diags.size() == 2);
  CHECK(diags[0].path == "isolators[0].name");
  CHECK(diags[1].path == "isolators[1].name");
}

TEST_CASE("spec 23, 24, 25, 26, 34, 35: pod scope accepts resources, selinux-context and sysctl") {
  CHECK(check_list(R"([{"name": "resource/memory", "value": {"limit": "4G"}},
                       {"name": "resource/cpu", "value": {"limit": "2"}},
                       {"name": "resource/block-bandwidth", "value": {"default": true, "limit": "1M"}},
                       {"name": "resource/network-bandwidth", "value": {"default": true, "limit": "1M"}},
                       {"name": "os/linux/selinux-context", "value": {"user": "u", "role": "r", "type": "t", "level": "s0"}},
                       {"name": "os/unix/sysctl", "value": {"net.ipv4.tcp_fin_timeout": "6"}}])",
                   IsolatorScope::pod)
            .empty());
}

TEST_CASE("spec 35: sysctl is accepted in an app (the spec's own example does it)") {
  CHECK(check_list(R"([{"name": "os/unix/sysctl", "value": {"net.ipv4.tcp_mtu_probing": "1"}}])", IsolatorScope::app)
            .empty());
}

TEST_CASE("spec 22: a value built in code that does not match its name is reported") {
  std::vector<Isolator> list{{"resource/cpu", CpuShares{1024}}, {"os/linux/cpu-shares", CpuShares{1024}}};
  std::vector<Diagnostic> diags;
  const JsonPath app = JsonPath::root().field("app");
  const JsonPath path = app.field("isolators");
  check_isolators(list, IsolatorScope::app, path, diags);
  REQUIRE(diags.size() == 1);
  CHECK(diags[0].format() == "app.isolators[0].value: the value is not of the form resource/cpu takes (spec 22)");
}

// ---------------------------------------------------------------- encoding

TEST_CASE("spec 22-36: canonical encoding: fixed member order, optional members omitted") {
  struct Case {
    const char *name, *in, *out;
  } cases[] = {
      {"resource/cpu", R"({"limit": "500m", "default": false, "request": "250m"})",
       R"({"request":"250m","limit":"500m"})"},
      {"resource/cpu", R"({"limit": "1"})", R"({"limit":"1"})"},
      {"resource/cpu", "{}", "{}"},
      {"resource/memory", R"({"limit": 1073741824, "extra": 1})", R"({"limit":"1073741824"})"},
      {"resource/memory", R"({"limit": 0.5})", R"({"limit":"0.5"})"},
      {"resource/block-iops", R"({"limit": "1000", "default": true})", R"({"default":true,"limit":"1000"})"},
      {"os/linux/capabilities-retain-set", R"({"set": ["CAP_B", "CAP_A"]})", R"({"set":["CAP_B","CAP_A"]})"},
      {"os/linux/no-new-privileges", "true", "true"},
      {"os/linux/seccomp-remove-set", R"({"errno": "EPERM", "set": ["reboot"]})",
       R"({"set":["reboot"],"errno":"EPERM"})"},
      {"os/linux/seccomp-retain-set", R"({"errno": "", "set": ["read"]})", R"({"set":["read"]})"},
      {"os/linux/selinux-context", R"({"level": "s0:c1", "type": "t", "role": "r", "user": "u"})",
       R"({"user":"u","role":"r","type":"t","level":"s0:c1"})"},
      {"os/unix/sysctl", R"({"z.b": "1", "a.c": "2"})", R"({"z.b":"1","a.c":"2"})"},
      {"os/linux/cpu-shares", "1024", "1024"},
      {"os/linux/oom-score-adj", "-17", "-17"},
      {"example.com/x", R"({ "k" : [ 1 , 2 ] })", R"({"k":[1,2]})"},
  };
  for (const Case &c : cases) {
    CAPTURE(c.name);
    CAPTURE(c.in);
    const Decoded d = decode(c.name, c.in);
    expect_clean(d);
    CHECK(encode(Isolator{c.name, d.value}) == c.out);
  }
}

TEST_CASE("spec 22-36: decode -> encode -> decode gives equal values") {
  const char *list = R"([
    {"name": "resource/cpu", "value": {"request": "250m", "limit": 0.5}},
    {"name": "resource/memory", "value": {"request": "1G", "limit": 1073741824}},
    {"name": "resource/block-bandwidth", "value": {"default": true, "limit": "2M"}},
    {"name": "resource/block-iops", "value": {"default": true, "limit": 1000}},
    {"name": "resource/network-bandwidth", "value": {"default": true, "limit": "1.5Gi"}},
    {"name": "os/linux/capabilities-retain-set", "value": {"set": ["CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE"]}},
    {"name": "os/linux/no-new-privileges", "value": true},
    {"name": "os/linux/seccomp-remove-set", "value": {"errno": "EACCESS", "set": ["@appc.io/empty", "reboot"]}},
    {"name": "os/linux/selinux-context", "value": {"user": "u", "role": "r", "type": "t", "level": "s0-s0:c0"}},
    {"name": "os/unix/sysctl", "value": {"net.ipv4.tcp_keepalive_time": "300", "kernel.msgmax": "65536"}},
    {"name": "os/linux/cpu-shares", "value": 2048},
    {"name": "os/linux/oom-score-adj", "value": -250},
    {"name": "example.com/ponies", "value": {"x": [1.25, null, "é"]}}
  ])";
  std::vector<Diagnostic> diags;
  const JsonPath app = JsonPath::root().field("app");
  const JsonPath path = app.field("isolators");
  const std::vector<Isolator> first = decode_list(list, path, diags);
  CAPTURE(formatted(diags));
  REQUIRE(diags.empty());
  for (const Isolator &iso : first) {
    CAPTURE(iso.name);
    const std::string json = encode(iso);
    const Decoded again = decode(iso.name.c_str(), json);
    expect_clean(again);
    CHECK(again.value == iso.value);
    CHECK(encode(Isolator{iso.name, again.value}) == json);
  }
}

TEST_CASE("spec 27: a quantity built in code without text encodes from milli") {
  ResourceCpu cpu;
  cpu.request = Quantity{"", 250, 1};
  cpu.limit = Quantity{"", 2000, 2};
  CHECK(encode(Isolator{"resource/cpu", cpu}) == R"({"request":"250m","limit":"2"})");
}

TEST_CASE("spec 22: an unknown value built in code that is not JSON encodes as null") {
  CHECK(encode(Isolator{"example.com/x", UnknownIsolator{"{not json"}}) == "null");
  CHECK(encode(Isolator{"example.com/x", UnknownIsolator{""}}) == "null");
  CHECK(encode(Isolator{"example.com/x", UnknownIsolator{"1 2"}}) == "null");
  CHECK(encode(Isolator{"example.com/x", UnknownIsolator{" [ true ] "}}) == "[true]");
}

TEST_CASE("spec 22: long hostile strings are cut in messages") {
  const std::string longname = std::string(10000, 'A');
  const Decoded d = decode("os/linux/capabilities-retain-set", "{\"set\": [\"" + longname + "\"]}");
  REQUIRE(d.diags.size() == 1);
  CHECK(d.diags[0].message.size() < 200);
  CHECK(d.diags[0].message.find("...\"") != std::string::npos);
}

// ---------------------------------------------------------------- conformance corpus

namespace {

std::string read_file(const std::filesystem::path &p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE_MESSAGE(in, p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Decodes and checks every isolator list of a manifest (image: app.isolators;
// pod: isolators and apps[].app.isolators), as the manifest decoder does.
std::vector<Diagnostic> check_manifest_isolators(const rapidjson::Document &doc, bool &known_without_value) {
  std::vector<Diagnostic> diags;
  known_without_value = false;
  const auto run = [&](const rapidjson::Value &list, IsolatorScope scope, const JsonPath &path) {
    if (!list.IsArray()) return;
    std::vector<Isolator> isolators;
    for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
      const auto &e = list[i];
      if (!e.IsObject() || !e.HasMember("name") || !e["name"].IsString()) continue;
      Isolator iso;
      iso.name = e["name"].GetString();
      if (!e.HasMember("value")) {
        known_without_value = known_without_value || is_known_isolator(iso.name);
        continue;
      }
      const JsonPath item = path.index(i);
      const JsonPath value = item.field("value");
      iso.value = decode_isolator_value(iso.name, dom(e["value"])->root(), value, diags);
      isolators.push_back(std::move(iso));
    }
    check_isolators(isolators, scope, path, diags);
  };
  const JsonPath &root = JsonPath::root();
  if (doc.HasMember("app") && doc["app"].IsObject() && doc["app"].HasMember("isolators")) {
    const JsonPath app = root.field("app");
    const JsonPath path = app.field("isolators");
    run(doc["app"]["isolators"], IsolatorScope::app, path);
  }
  if (doc.HasMember("isolators")) {
    const JsonPath path = root.field("isolators");
    run(doc["isolators"], IsolatorScope::pod, path);
  }
  if (doc.HasMember("apps") && doc["apps"].IsArray()) {
    const JsonPath apps = root.field("apps");
    for (rapidjson::SizeType i = 0; i < doc["apps"].Size(); ++i) {
      const auto &a = doc["apps"][i];
      if (!a.IsObject() || !a.HasMember("app") || !a["app"].IsObject() || !a["app"].HasMember("isolators")) continue;
      const JsonPath ai = apps.index(i);
      const JsonPath app = ai.field("app");
      const JsonPath path = app.field("isolators");
      run(a["app"]["isolators"], IsolatorScope::app, path);
    }
  }
  return diags;
}

} // namespace

TEST_CASE("spec 22-36: isolator verdicts on the conformance corpus") {
  const char *data = std::getenv("APPC_TEST_DATA");
  REQUIRE_MESSAGE(data, "APPC_TEST_DATA must point at tests/data");
  const std::filesystem::path dir = std::filesystem::path(data) / "conformance" / "manifests";
  REQUIRE(std::filesystem::is_directory(dir));

  // Files whose verdict is not decided by the isolator values and list
  // rules, with what this layer must do on them instead.
  // - decided elsewhere (the manifest decoder): the isolator name syntax, a
  //   known isolator without "value", malformed JSON;
  // - deliberate differences from the reference (docs/isolators.md):
  //   unknown names are accepted in apps (spec 22: executors may ignore
  //   them), capabilities retain+remove are rejected (spec 29).
  const std::set<std::string> name_syntax = {"invalid-image-isolator-name-uppercase.json"};
  const std::set<std::string> missing_value = {"invalid-image-isolator-missing-value-known.json"};
  const std::set<std::string> malformed = {"invalid-spec-ace-md-isolator-linux-selinux-context.json"};
  const std::set<std::string> unknown_accepted = {"invalid-image-isolator-unknown-name.json",
                                                  "invalid-image-isolator-apparmor-profile.json",
                                                  "invalid-pod-app-override-unknown-isolator.json"};
  const std::set<std::string> stricter = {"valid-image-isolator-caps-retain-and-remove.json"};

  size_t checked = 0;
  for (const auto &entry : std::filesystem::directory_iterator(dir)) {
    const std::string file = entry.path().filename().string();
    if (entry.path().extension() != ".json") continue;
    const std::string text = read_file(entry.path());
    // Every file mentioning isolators, so none is left out by its name.
    if (text.find("\"isolators\"") == std::string::npos) continue;
    CAPTURE(file);
    rapidjson::Document doc;
    doc.Parse(text.c_str(), text.size());
    if (malformed.count(file)) {
      CHECK(doc.HasParseError());
      ++checked;
      continue;
    }
    REQUIRE(!doc.HasParseError());
    bool known_without_value = false;
    const std::vector<Diagnostic> diags = check_manifest_isolators(doc, known_without_value);
    CAPTURE(formatted(diags));
    const bool valid = file.rfind("valid-", 0) == 0;
    if (name_syntax.count(file)) {
      CHECK(diags.empty());  // "Resource/CPU" is an unknown name here; the decoder rejects its syntax
    } else if (missing_value.count(file)) {
      CHECK(known_without_value);
    } else if (unknown_accepted.count(file)) {
      CHECK(diags.empty());
    } else if (stricter.count(file)) {
      REQUIRE(diags.size() == 1);
      CHECK(diags[0].rule == 29);
    } else if (valid) {
      CHECK(diags.empty());
    } else {
      CHECK_FALSE(diags.empty());
    }
    ++checked;
  }
  // 68 files of the corpus hold isolators (the *isolator* files, the pod
  // and spec examples); a smaller count means the corpus moved.
  CHECK(checked >= 68);
}

