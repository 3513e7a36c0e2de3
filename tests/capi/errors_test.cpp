// Status codes, the thread-local last error, diagnostics, versions, buffers, options.
#include "helpers.hpp"

#include <barrier>
#include <cstring>
#include <string>
#include <thread>

using namespace capi_test;

TEST_CASE("capi: status names mirror the codes") {
  CHECK(str(appc_status_name(APPC_OK)) == "ok");
  CHECK(str(appc_status_name(APPC_ERROR)) == "error");
  CHECK(str(appc_status_name(APPC_EINVALID)) == "invalid");
  CHECK(str(appc_status_name(APPC_ENOTFOUND)) == "not found");
  CHECK(str(appc_status_name(APPC_EEXISTS)) == "exists");
  CHECK(str(appc_status_name(APPC_EVERIFY)) == "verification failed");
  CHECK(str(appc_status_name(APPC_ENETWORK)) == "network");
  CHECK(str(appc_status_name(APPC_ECANCELLED)) == "cancelled");
  CHECK(str(appc_status_name(APPC_ENOTSUPPORTED)) == "not supported");
  CHECK(str(appc_status_name(APPC_EOS)) == "system error");
  CHECK(str(appc_status_name(APPC_ITEROVER)) == "iteration over");
  CHECK(str(appc_status_name(APPC_EPERM)) == "permission denied");
  CHECK(str(appc_status_name(APPC_ECONFLICT)) == "conflict");
  CHECK(str(appc_status_name(APPC_ELIMIT)) == "limit exceeded");
  CHECK(str(appc_status_name(APPC_EINTERNAL)) == "internal error");
  CHECK(str(appc_status_name(APPC_ENOMEM)) == "out of memory");
  CHECK(str(appc_status_name(1)) == "unknown status");
  CHECK(str(appc_status_name(-16)) == "unknown status");
  // Numbers are part of the ABI.
  CHECK(APPC_EINVALID == -2);
  CHECK(APPC_ITEROVER == -10);
  CHECK(APPC_ENOMEM == -15);
}

TEST_CASE("capi: the last error of a fresh thread is APPC_OK with empty strings") {
  std::string message = "unset", where = "unset";
  int code = 99, sys = 99;
  size_t ndiag = 99;
  std::thread t([&] {
    const appc_error *e = appc_error_last();
    REQUIRE(e != nullptr);
    code = e->code;
    sys = e->sys_errno;
    message = e->message;
    where = e->where;
    ndiag = appc_error_diagnostic_count();
  });
  t.join();
  CHECK(code == APPC_OK);
  CHECK(sys == 0);
  CHECK(message.empty());
  CHECK(where.empty());
  CHECK(ndiag == 0);
}

TEST_CASE("capi: a NULL required argument is APPC_EINVALID naming function and argument") {
  appc_image_manifest *m = reinterpret_cast<appc_image_manifest *>(0x1);
  CHECK(appc_image_manifest_new(&m, nullptr) == APPC_EINVALID);
  CHECK(m == nullptr); // out is cleared before anything can fail
  const appc_error *e = appc_error_last();
  CHECK(e->code == APPC_EINVALID);
  CHECK(std::string(e->message) == "appc_image_manifest_new: argument 'name' is NULL");
  CHECK(std::string(e->where) == "name");
  CHECK(appc_error_diagnostic_count() == 0);

  CHECK(appc_image_manifest_new(nullptr, "example.com/x") == APPC_EINVALID);
  CHECK(std::string(appc_error_last()->message) == "appc_image_manifest_new: argument 'out' is NULL");
  CHECK(appc_image_manifest_validate(nullptr) == APPC_EINVALID);
  CHECK(appc_pod_manifest_validate(nullptr) == APPC_EINVALID);
  appc_buf b = APPC_BUF_INIT;
  CHECK(appc_image_manifest_serialize(nullptr, nullptr, &b) == APPC_EINVALID);
  CHECK(b.ptr == nullptr);
  CHECK(appc_image_manifest_parse(&m, nullptr, 0, nullptr) == APPC_EINVALID);
  CHECK(std::string(appc_error_last()->message) == "appc_image_manifest_parse: argument 'json' is NULL");
}

TEST_CASE("capi: a successful call resets the last error; appc_error_clear too") {
  Image img;
  CHECK(appc_image_manifest_new(&img.m, nullptr) == APPC_EINVALID);
  CHECK(appc_error_last()->code == APPC_EINVALID);
  APPC_OK_OR_FAIL(appc_image_manifest_new(&img.m, "example.com/x"));
  CHECK(appc_error_last()->code == APPC_OK);
  CHECK(std::string(appc_error_last()->message).empty());

  Image other;
  CHECK(appc_image_manifest_new(&other.m, nullptr) == APPC_EINVALID);
  appc_error_clear();
  CHECK(appc_error_last()->code == APPC_OK);
  CHECK(std::string(appc_error_last()->message).empty());
}

TEST_CASE("capi: accessors never touch the last error") {
  Image img;
  CHECK(appc_image_manifest_new(&img.m, nullptr) == APPC_EINVALID);
  CHECK(appc_image_manifest_name(nullptr) == nullptr);
  CHECK(appc_image_manifest_label_count(nullptr) == 0);
  CHECK(appc_detect_kind(nullptr, 0) == APPC_KIND_UNKNOWN);
  CHECK(appc_error_last()->code == APPC_EINVALID);
}

TEST_CASE("spec 17: diagnostics of an invalid manifest carry path, message and rule") {
  std::string json = corpus("invalid-image-app-port-zero.json");
  Image img;
  img.m = reinterpret_cast<appc_image_manifest *>(0x1);
  REQUIRE(appc_image_manifest_parse(&img.m, json.data(), json.size(), nullptr) == APPC_EINVALID);
  CHECK(img.m == nullptr);
  const appc_error *e = appc_error_last();
  CHECK(e->code == APPC_EINVALID);
  REQUIRE(appc_error_diagnostic_count() >= 1);
  CHECK_MESSAGE(has_diag("app.ports[0].port", 17), last_error_text());
  auto diags = diagnostics();
  // The error's message is the first finding, its `where` that finding's path.
  CHECK(std::string(e->where) == diags[0].path);
  CHECK(std::string(e->message).rfind(diags[0].path + ": " + diags[0].message, 0) == 0);
  for (const auto &d : diags) CHECK(!d.message.empty());

  // Out of range: false, outputs untouched; every output is optional.
  const char *path = "untouched";
  CHECK_FALSE(appc_error_diagnostic(appc_error_diagnostic_count(), &path, nullptr, nullptr));
  CHECK(std::string(path) == "untouched");
  CHECK(appc_error_diagnostic(0, nullptr, nullptr, nullptr));

  // The next status call drops them.
  APPC_OK_OR_FAIL(appc_image_manifest_new(&img.m, "example.com/x"));
  CHECK(appc_error_diagnostic_count() == 0);
}

TEST_CASE("capi: the last error is thread-local") {
  // Both threads fail, then (after a barrier) each reads its own error.
  std::barrier sync(2);
  std::string msg_a, msg_b;
  size_t diags_a = 0, diags_b = 0;
  int code_a = 0, code_b = 0;
  std::string json = corpus("invalid-image-app-port-zero.json");
  std::thread a([&] {
    appc_image_manifest *m = nullptr;
    appc_image_manifest_parse(&m, json.data(), json.size(), nullptr);
    sync.arrive_and_wait();
    sync.arrive_and_wait();
    code_a = appc_error_last()->code;
    msg_a = appc_error_last()->message;
    diags_a = appc_error_diagnostic_count();
  });
  std::thread b([&] {
    sync.arrive_and_wait();
    appc_pod_manifest_new(nullptr);
    sync.arrive_and_wait();
    code_b = appc_error_last()->code;
    msg_b = appc_error_last()->message;
    diags_b = appc_error_diagnostic_count();
  });
  a.join();
  b.join();
  CHECK(code_a == APPC_EINVALID);
  CHECK(diags_a >= 1);
  CHECK(msg_a.find("app.ports[0].port") != std::string::npos);
  CHECK(code_b == APPC_EINVALID);
  CHECK(diags_b == 0);
  CHECK(msg_b == "appc_pod_manifest_new: argument 'out' is NULL");
}

TEST_CASE("capi: versions") {
  CHECK(std::string(appc_version()) == APPC_VERSION);
  int major = -1, minor = -1, patch = -1;
  appc_version_numbers(&major, &minor, &patch);
  CHECK(major == APPC_VERSION_MAJOR);
  CHECK(minor == APPC_VERSION_MINOR);
  CHECK(patch == APPC_VERSION_PATCH);
  CHECK(std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch) == appc_version());
  appc_version_numbers(nullptr, nullptr, nullptr); // every output optional
  CHECK(std::string(appc_spec_version()) == "0.8.11");
  CHECK(std::string(appc_spec_version()) == APPC_SPEC_VERSION);
}

TEST_CASE("capi: appc_buf_dispose resets and accepts NULL and empty buffers") {
  Image img;
  APPC_OK_OR_FAIL(appc_image_manifest_new(&img.m, "example.com/x"));
  appc_buf b = APPC_BUF_INIT;
  APPC_OK_OR_FAIL(appc_image_manifest_serialize(img.m, nullptr, &b));
  REQUIRE(b.ptr != nullptr);
  CHECK(b.size == std::strlen(b.ptr)); // NUL-terminated, NUL not counted
  appc_buf_dispose(&b);
  CHECK(b.ptr == nullptr);
  CHECK(b.size == 0);
  appc_buf_dispose(&b);
  appc_buf_dispose(nullptr);
}

TEST_CASE("capi: options init fills defaults and rejects version 0, future versions and NULL") {
  appc_parse_options po;
  std::memset(&po, 0xff, sizeof po);
  APPC_OK_OR_FAIL(appc_parse_options_init(&po, APPC_PARSE_OPTIONS_VERSION));
  CHECK(po.version == APPC_PARSE_OPTIONS_VERSION);
  CHECK(po.max_bytes == 16u << 20);
  CHECK(po.max_depth == 64);
  CHECK(appc_parse_options_init(&po, 0) == APPC_EINVALID);
  CHECK(std::string(appc_error_last()->message).find("version 0 is not supported") != std::string::npos);
  CHECK(appc_parse_options_init(&po, APPC_PARSE_OPTIONS_VERSION + 1) == APPC_EINVALID);
  CHECK(appc_parse_options_init(nullptr, APPC_PARSE_OPTIONS_VERSION) == APPC_EINVALID);

  appc_serialize_options so;
  std::memset(&so, 0xff, sizeof so);
  APPC_OK_OR_FAIL(appc_serialize_options_init(&so, APPC_SERIALIZE_OPTIONS_VERSION));
  CHECK(so.version == APPC_SERIALIZE_OPTIONS_VERSION);
  CHECK_FALSE(so.pretty);
  CHECK(appc_serialize_options_init(&so, 0) == APPC_EINVALID);
  CHECK(appc_serialize_options_init(&so, 7) == APPC_EINVALID);
  CHECK(appc_serialize_options_init(nullptr, 1) == APPC_EINVALID);
}

TEST_CASE("capi: a bad options version is rejected by the call that takes it") {
  std::string json = R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/x"})";
  Image img;
  appc_parse_options po = APPC_PARSE_OPTIONS_INIT;
  po.version = 0;
  CHECK(appc_image_manifest_parse(&img.m, json.data(), json.size(), &po) == APPC_EINVALID);
  CHECK(std::string(appc_error_last()->where) == "version");
  po.version = 2;
  CHECK(appc_image_manifest_parse(&img.m, json.data(), json.size(), &po) == APPC_EINVALID);
  Pod pod;
  CHECK(appc_pod_manifest_parse(&pod.m, json.data(), json.size(), &po) == APPC_EINVALID);
  App app;
  CHECK(appc_app_parse(&app.a, "{}", 2, &po) == APPC_EINVALID);
  po.version = APPC_PARSE_OPTIONS_VERSION;
  APPC_OK_OR_FAIL(appc_image_manifest_parse(&img.m, json.data(), json.size(), &po));

  appc_serialize_options so = APPC_SERIALIZE_OPTIONS_INIT;
  so.version = 0;
  Buf b;
  CHECK(appc_image_manifest_serialize(img.m, &so, &b.b) == APPC_EINVALID);
  CHECK(b.b.ptr == nullptr);
  so.version = 3;
  CHECK(appc_image_manifest_serialize(img.m, &so, &b.b) == APPC_EINVALID);
}

TEST_CASE("capi: max_bytes and max_depth give APPC_ELIMIT") {
  std::string json = R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/x"})";
  Image img;
  appc_parse_options po = APPC_PARSE_OPTIONS_INIT;
  po.max_bytes = json.size() - 1;
  CHECK(appc_image_manifest_parse(&img.m, json.data(), json.size(), &po) == APPC_ELIMIT);
  CHECK(img.m == nullptr);
  po.max_bytes = json.size();
  APPC_OK_OR_FAIL(appc_image_manifest_parse(&img.m, json.data(), json.size(), &po));
  appc_image_manifest_free(img.m);
  img.m = nullptr;

  std::string deep = R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/x","x":)";
  deep += std::string(100, '[') + std::string(100, ']') + "}";
  po = APPC_PARSE_OPTIONS_INIT;
  po.max_depth = 10;
  CHECK(appc_image_manifest_parse(&img.m, deep.data(), deep.size(), &po) == APPC_ELIMIT);
  Pod pod;
  CHECK(appc_pod_manifest_parse(&pod.m, deep.data(), deep.size(), &po) == APPC_ELIMIT);
}

TEST_CASE("spec 3: appc_detect_kind reads only the top-level acKind") {
  auto kind = [](const std::string &s) { return appc_detect_kind(s.data(), s.size()); };
  CHECK(kind(R"({"acKind":"ImageManifest"})") == APPC_KIND_IMAGE);
  CHECK(kind(R"({"acVersion":"0.8.11","acKind":"PodManifest","apps":[]})") == APPC_KIND_POD);
  CHECK(kind(R"({"acKind":"imagemanifest"})") == APPC_KIND_UNKNOWN);
  CHECK(kind(R"({"acKind":"Other"})") == APPC_KIND_UNKNOWN);
  CHECK(kind(R"({"app":{"acKind":"ImageManifest"}})") == APPC_KIND_UNKNOWN);
  CHECK(kind("garbage") == APPC_KIND_UNKNOWN);
  CHECK(kind("") == APPC_KIND_UNKNOWN);
  CHECK(appc_detect_kind(nullptr, 10) == APPC_KIND_UNKNOWN);
  // The length is honoured: the text need not be NUL-terminated.
  std::string s = R"({"acKind":"PodManifest"}garbage)";
  CHECK(appc_detect_kind(s.data(), s.size() - 7) == APPC_KIND_POD);
}
