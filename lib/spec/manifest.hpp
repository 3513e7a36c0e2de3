// Parse, validate and serialize appc manifests.
//
// One set of rules: validation lives in the decoder, which collects every
// finding in document order (type errors and semantic rules alike) with its
// JSON path and checklist item. validate() of a programmatically built
// manifest serializes it and decodes the result, so a built manifest and a
// parsed one are judged by exactly the same code.
#pragma once

#include "spec/types.hpp"
#include "util/error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace appc::spec {

struct ParseOptions {
  size_t max_bytes = 16u << 20;   // a larger document is refused before parsing (Code::limit)
  unsigned max_depth = 64;        // JSON nesting bound (arrays + objects), checked before the DOM is built
};

enum class ManifestKind { unknown, image, pod };

// Looks only at the top-level "acKind" string. Never fails; unknown when absent or not one of the two kinds.
ManifestKind detect_kind(std::string_view json) noexcept;

struct SerializeOptions {
  bool pretty = false;            // canonical form is compact; pretty uses 4-space indentation
};

// Parse + validate. On failure the Error has code invalid (or limit) and a
// Diagnostic for every finding.
Result<ImageManifest> parse_image_manifest(std::string_view json, const ParseOptions &opts = {});
Result<PodManifest> parse_pod_manifest(std::string_view json, const ParseOptions &opts = {});

// Every finding for a manifest built in code; empty when valid.
std::vector<Diagnostic> validate(const ImageManifest &m);
std::vector<Diagnostic> validate(const PodManifest &m);

// Canonical JSON: fixed key order (the order of the spec's schema text), no
// insignificant whitespace, optional fields omitted when absent or empty,
// serialize(parse(serialize(x))) == serialize(x) byte for byte.
std::string serialize(const ImageManifest &m, const SerializeOptions &opts = {});
std::string serialize(const PodManifest &m, const SerializeOptions &opts = {});

// Single-value checks, usable on their own (CLI flags, builders).
bool is_ac_identifier(std::string_view s) noexcept;   // spec 1 (strict regex)
bool is_ac_name(std::string_view s) noexcept;         // spec 2 (strict regex)
bool is_semver(std::string_view s) noexcept;          // spec 4 (SemVer 2.0.0)
bool is_image_id(std::string_view s) noexcept;        // spec 5 (sha512-<128 lowercase hex>)
bool is_timestamp(std::string_view s) noexcept;       // spec 7 (RFC 3339 date-time)

} // namespace appc::spec
