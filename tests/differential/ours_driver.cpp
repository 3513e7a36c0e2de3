// ours_driver: libappc's verdict on many manifests in one process, for the
// differential test (run_differential.py) and the corpus self-check.
//
// Usage:
//   ours_driver -stream   reads records "<decimal length>\n<bytes>" from stdin and
//                         writes one JSON object per record and line
//   ours_driver FILE...   the same JSON line per file, with "file" set
//
// Output: {"v":"valid"} or {"v":"invalid","code":"invalid","diags":[{"path":..,
// "msg":..,"rule":N},...]} or {"v":"roundtrip","msg":...} when a manifest that
// parsed as valid breaks a round-trip invariant (serialize -> parse is valid,
// serialize is a fixed point, the model survives it unchanged). The verdict
// follows `appc manifest validate`: the kind comes from detect_kind(), an
// unknown kind is invalid.
#include "spec/manifest.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>

namespace {

using namespace appc;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void put(Writer &w, const char *key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void write_error(Writer &w, const Error &e) {
  put(w, "v", "invalid");
  put(w, "code", code_name(e.code));
  put(w, "message", e.message);
  w.Key("diags");
  w.StartArray();
  for (const Diagnostic &d : e.diagnostics) {
    w.StartObject();
    put(w, "path", d.path);
    put(w, "msg", d.message);
    w.Key("rule");
    w.Int(d.rule);
    w.EndObject();
  }
  w.EndArray();
}

// Round-trip invariants of a manifest that parsed as valid. Returns an empty
// string when they hold, else what broke.
template <class M, class Parse>
std::string check_roundtrip(const M &m, Parse parse) {
  if (auto diags = spec::validate(m); !diags.empty())
    return "parsed as valid but validate() reports: " + diags.front().format();
  const std::string s1 = spec::serialize(m);
  auto m2 = parse(s1);
  if (!m2) return "serialize() output does not parse: " + m2.error().message + " in " + s1;
  const std::string s2 = spec::serialize(*m2);
  if (s1 != s2) return "serialize() is not a fixed point: " + s1 + " vs " + s2;
  if (!(*m2 == m)) return "parse(serialize(m)) != m for " + s1;
  spec::SerializeOptions pretty;
  pretty.pretty = true;
  auto m3 = parse(spec::serialize(m, pretty));
  if (!m3) return "pretty serialize() output does not parse: " + m3.error().message;
  if (!(*m3 == m)) return "parse(serialize(m, pretty)) != m for " + s1;
  return {};
}

std::string verdict_line(std::string_view doc, const char *file) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  if (file) put(w, "file", file);
  std::string broken;
  bool valid = false;
  switch (spec::detect_kind(doc)) {
  case spec::ManifestKind::image: {
    auto r = spec::parse_image_manifest(doc);
    if (r) {
      valid = true;
      broken = check_roundtrip(*r, [](std::string_view s) { return spec::parse_image_manifest(s); });
    } else {
      write_error(w, r.error());
    }
    break;
  }
  case spec::ManifestKind::pod: {
    auto r = spec::parse_pod_manifest(doc);
    if (r) {
      valid = true;
      broken = check_roundtrip(*r, [](std::string_view s) { return spec::parse_pod_manifest(s); });
    } else {
      write_error(w, r.error());
    }
    break;
  }
  case spec::ManifestKind::unknown: {
    // No known acKind: what `appc manifest validate` reports is the image
    // parser's verdict (acKind is required), which also names JSON errors.
    auto r = spec::parse_image_manifest(doc);
    if (r) {
      valid = true;
      broken = "detect_kind() says unknown, yet parse_image_manifest() accepts the document";
    } else {
      write_error(w, r.error());
    }
    break;
  }
  }
  if (valid) {
    if (broken.empty()) {
      put(w, "v", "valid");
    } else {
      put(w, "v", "roundtrip");
      put(w, "msg", broken);
    }
  }
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

int stream() {
  std::string header, doc;
  while (std::getline(std::cin, header)) {
    char *end = nullptr;
    unsigned long n = std::strtoul(header.c_str(), &end, 10);
    if (header.empty() || *end != '\0') {
      std::fprintf(stderr, "ours_driver: bad record header '%s'\n", header.c_str());
      return 2;
    }
    doc.resize(n);
    if (n && !std::cin.read(doc.data(), static_cast<std::streamsize>(n))) {
      std::fprintf(stderr, "ours_driver: short record\n");
      return 2;
    }
    std::string line = verdict_line(doc, nullptr);
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
    // Flushed per record: when a document crashes the driver, the lines
    // before it are out and the caller knows which one it was.
    std::fflush(stdout);
  }
  std::fflush(stdout);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  std::ios::sync_with_stdio(false);
  if (argc == 2 && std::string_view(argv[1]) == "-stream") return stream();
  if (argc < 2) {
    std::fprintf(stderr, "usage: ours_driver -stream | ours_driver FILE...\n");
    return 2;
  }
  int rc = 0;
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "ours_driver: cannot open %s\n", argv[i]);
      rc = 2;
      continue;
    }
    std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::printf("%s\n", verdict_line(doc, argv[i]).c_str());
  }
  return rc;
}
