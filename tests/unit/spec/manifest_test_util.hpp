// Helpers shared by the manifest tests (identifiers, image, pod, hostile,
// conformance, round trip).
#pragma once

#include "spec/manifest.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace appc::spec::test {

inline std::string data_dir() {
  const char *d = std::getenv("APPC_TEST_DATA");
  REQUIRE_MESSAGE(d != nullptr, "APPC_TEST_DATA is not set (meson test sets it)");
  return d;
}

inline std::string corpus_dir() { return data_dir() + "/conformance/manifests"; }

inline std::string read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every finding of parsing `json` as an image (or pod) manifest; empty when valid.
inline std::vector<Diagnostic> image_findings(std::string_view json, const ParseOptions &opts = {}) {
  auto r = parse_image_manifest(json, opts);
  if (r) return {};
  return r.error().diagnostics;
}
inline std::vector<Diagnostic> pod_findings(std::string_view json, const ParseOptions &opts = {}) {
  auto r = parse_pod_manifest(json, opts);
  if (r) return {};
  return r.error().diagnostics;
}

inline std::string dump(const std::vector<Diagnostic> &diags) {
  std::string s;
  for (const auto &d : diags) s += "\n  " + d.format();
  return s.empty() ? "\n  (no findings)" : s;
}

// The finding at `path` whose message contains `text`, or nullptr.
inline const Diagnostic *find(const std::vector<Diagnostic> &diags, std::string_view path, std::string_view text = {}) {
  for (const auto &d : diags)
    if (d.path == path && d.message.find(text) != std::string::npos) return &d;
  return nullptr;
}

// Asserts a single finding with this path, message fragment and rule.
#define CHECK_ONLY_FINDING(diags, p, text, r)                                                                      \
  do {                                                                                                             \
    const auto &d_ = (diags);                                                                                      \
    INFO("findings:" << ::appc::spec::test::dump(d_));                                                            \
    REQUIRE(d_.size() == 1);                                                                                       \
    CHECK(d_[0].path == (p));                                                                                      \
    CHECK(d_[0].message.find(text) != std::string::npos);                                                         \
    CHECK(d_[0].rule == (r));                                                                                      \
  } while (0)

// Asserts that one of the findings has this path, message fragment and rule.
#define CHECK_HAS_FINDING(diags, p, text, r)                                                                       \
  do {                                                                                                             \
    const auto &d_ = (diags);                                                                                      \
    INFO("findings:" << ::appc::spec::test::dump(d_));                                                            \
    const ::appc::Diagnostic *f_ = ::appc::spec::test::find(d_, (p), (text));                                     \
    REQUIRE(f_ != nullptr);                                                                                        \
    CHECK(f_->rule == (r));                                                                                        \
  } while (0)

// A sha512 image ID made of one repeated hex digit.
inline std::string image_id(char digit = 'a') { return "sha512-" + std::string(128, digit); }

// A minimal valid image manifest with `extra` members appended to the top level.
inline std::string image_json(std::string_view extra = {}) {
  std::string s = R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/app")";
  if (!extra.empty()) {
    s += ',';
    s += extra;
  }
  s += '}';
  return s;
}

// A minimal valid image manifest whose app object has `extra` members besides user and group.
inline std::string image_app_json(std::string_view extra = {}) {
  std::string app = R"("app":{"user":"0","group":"0")";
  if (!extra.empty()) {
    app += ',';
    app += extra;
  }
  app += '}';
  return image_json(app);
}

// A minimal valid pod manifest (one app) with `extra` top-level members.
inline std::string pod_json(std::string_view extra = {}) {
  std::string s = R"({"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"name":"web","image":{"id":")" +
                  image_id() + R"("}}])";
  if (!extra.empty()) {
    s += ',';
    s += extra;
  }
  s += '}';
  return s;
}

// A pod manifest whose single app has `extra` members besides name and image.
inline std::string pod_app_json(std::string_view extra) {
  return R"({"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"name":"web","image":{"id":")" + image_id() +
         R"("},)" + std::string(extra) + "}]}";
}

} // namespace appc::spec::test
