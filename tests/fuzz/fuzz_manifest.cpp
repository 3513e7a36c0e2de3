// libFuzzer target: every input is parsed as both manifest kinds; whatever
// parses as valid must survive canonical serialization unchanged, and every
// rejection must be a well-formed error. Any broken invariant aborts (a
// "crash" for libFuzzer), as do the sanitizers (ASan, UBSan).
//
// Built by build_fuzzer.sh with clang++ -fsanitize=fuzzer,address,undefined;
// run by run_fuzz.sh (meson test --suite fuzz). See docs/testing.md.
#include "spec/manifest.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace appc;

[[noreturn]] void fail(const char *what, std::string_view detail) {
  std::fprintf(stderr, "\nINVARIANT BROKEN: %s\n%.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

void check_error(const Error &e, std::string_view doc) {
  if (e.code != Code::invalid && e.code != Code::limit)
    fail("a rejection has a code other than invalid/limit", std::string(code_name(e.code)) + ": " + e.message);
  if (e.message.empty()) fail("a rejection has an empty message", doc);
  if (e.code == Code::invalid) {
    if (e.diagnostics.empty()) fail("an invalid document has no diagnostic", e.message);
    for (const Diagnostic &d : e.diagnostics)
      if (d.message.empty()) fail("a diagnostic has an empty message", d.path);
  }
}

template <class M, class Parse>
void check_valid(const M &m, Parse parse, spec::ManifestKind kind, std::string_view doc) {
  if (spec::detect_kind(doc) != kind) fail("a valid manifest of one kind is detected as another", doc);
  if (auto diags = spec::validate(m); !diags.empty())
    fail("parsed as valid, but validate() disagrees", diags.front().format());

  const std::string s1 = spec::serialize(m);
  auto m2 = parse(s1);
  if (!m2) fail("serialize() output of a valid manifest is invalid", m2.error().message + "\n" + s1);
  if (!(*m2 == m)) fail("parse(serialize(m)) != m", s1);
  const std::string s2 = spec::serialize(*m2);
  if (s1 != s2) fail("serialize() is not a fixed point", s1 + "\n" + s2);
  if (spec::detect_kind(s1) != kind) fail("the canonical form is detected as another kind", s1);

  spec::SerializeOptions pretty;
  pretty.pretty = true;
  const std::string p = spec::serialize(m, pretty);
  auto m3 = parse(p);
  if (!m3) fail("pretty serialize() output is invalid", m3.error().message + "\n" + p);
  if (!(*m3 == m)) fail("parse(serialize(m, pretty)) != m", p);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view doc(reinterpret_cast<const char *>(data), size);
  const spec::ManifestKind kind = spec::detect_kind(doc);

  auto image = spec::parse_image_manifest(doc);
  auto pod = spec::parse_pod_manifest(doc);
  if (image && pod) fail("a document is valid as both kinds", doc);

  if (image) {
    if (kind != spec::ManifestKind::image) fail("valid image manifest not detected as an image", doc);
    check_valid(*image, [](std::string_view s) { return spec::parse_image_manifest(s); },
                spec::ManifestKind::image, doc);
  } else {
    check_error(image.error(), doc);
  }
  if (pod) {
    if (kind != spec::ManifestKind::pod) fail("valid pod manifest not detected as a pod", doc);
    check_valid(*pod, [](std::string_view s) { return spec::parse_pod_manifest(s); },
                spec::ManifestKind::pod, doc);
  } else {
    check_error(pod.error(), doc);
  }

  // The size bound refuses before parsing, whatever the content.
  if (size > 0) {
    spec::ParseOptions small;
    small.max_bytes = size - 1;
    auto r = spec::parse_image_manifest(doc, small);
    if (r || r.error().code != Code::limit) fail("a document over max_bytes is not refused with Code::limit", doc);
  }
  return 0;
}
