// Helpers for the C ABI tests: they see <appc/appc.h> only, like any consumer.
#pragma once

#include <appc/appc.h>

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace capi_test {

// A corpus file under $APPC_TEST_DATA/conformance/manifests.
inline std::string corpus(const std::string &name) {
  const char *root = std::getenv("APPC_TEST_DATA");
  REQUIRE_MESSAGE(root != nullptr, "APPC_TEST_DATA is not set (run through meson test)");
  std::ifstream in(std::string(root) + "/conformance/manifests/" + name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open corpus file " << name);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The last error as text, for failure messages.
inline std::string last_error_text() {
  const appc_error *e = appc_error_last();
  std::string s = std::string(appc_status_name(e->code)) + ": " + e->message;
  for (size_t i = 0; i < appc_error_diagnostic_count(); ++i) {
    const char *path = nullptr, *msg = nullptr;
    int rule = 0;
    appc_error_diagnostic(i, &path, &msg, &rule);
    s += "\n  " + std::string(path) + ": " + msg + " (spec " + std::to_string(rule) + ")";
  }
  return s;
}

struct Diag {
  std::string path, message;
  int rule;
};
inline std::vector<Diag> diagnostics() {
  std::vector<Diag> v;
  for (size_t i = 0; i < appc_error_diagnostic_count(); ++i) {
    const char *path = nullptr, *msg = nullptr;
    int rule = -1;
    REQUIRE(appc_error_diagnostic(i, &path, &msg, &rule));
    v.push_back({path, msg, rule});
  }
  return v;
}
inline bool has_diag(const std::string &path, int rule) {
  for (const auto &d : diagnostics())
    if (d.path == path && d.rule == rule) return true;
  return false;
}

#define APPC_OK_OR_FAIL(call)                                                                      \
  do {                                                                                             \
    int rc_ = (call);                                                                              \
    REQUIRE_MESSAGE(rc_ == APPC_OK, #call " failed: " << capi_test::last_error_text());            \
  } while (0)

// RAII owners, so a failed REQUIRE does not leak.
struct Buf {
  appc_buf b = APPC_BUF_INIT;
  ~Buf() { appc_buf_dispose(&b); }
  std::string str() const { return b.ptr ? std::string(b.ptr, b.size) : std::string(); }
};
struct Image {
  appc_image_manifest *m = nullptr;
  ~Image() { appc_image_manifest_free(m); }
};
struct Pod {
  appc_pod_manifest *m = nullptr;
  ~Pod() { appc_pod_manifest_free(m); }
};
struct App {
  appc_app *a = nullptr;
  ~App() { appc_app_free(a); }
};
struct Volume {
  appc_volume *v = nullptr;
  ~Volume() { appc_volume_free(v); }
};

inline std::string str(const char *s) { return s ? std::string(s) : std::string("<NULL>"); }

inline std::string serialize(const appc_image_manifest *m, bool pretty = false) {
  appc_serialize_options o = APPC_SERIALIZE_OPTIONS_INIT;
  o.pretty = pretty;
  Buf b;
  APPC_OK_OR_FAIL(appc_image_manifest_serialize(m, &o, &b.b));
  return b.str();
}
inline std::string serialize(const appc_pod_manifest *m, bool pretty = false) {
  appc_serialize_options o = APPC_SERIALIZE_OPTIONS_INIT;
  o.pretty = pretty;
  Buf b;
  APPC_OK_OR_FAIL(appc_pod_manifest_serialize(m, &o, &b.b));
  return b.str();
}

} // namespace capi_test
