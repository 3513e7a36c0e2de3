// Internals shared by decode.cpp, decode_pod.cpp and encode.cpp. Private to lib/spec.
#pragma once

#include "spec/manifest.hpp"

#include <cstdint>
#include <string_view>

namespace appc::spec::detail {

// Numeric user and group IDs (supplementaryGIDs, volume uid/gid): Linux IDs
// are 32-bit. Volume uid/gid may be negative as in the reference (an int);
// supplementaryGIDs are unsigned (spec text).
inline constexpr int64_t kMaxId = 4294967295;
inline constexpr int64_t kMinVolumeId = -2147483648;

// The checks on the raw text before parsing: nesting depth (brackets inside
// strings do not count), well-formed UTF-8, no NUL byte. `offset` is where
// the first problem is. When the text is ok, *any_backslash (if given) tells
// whether it holds a backslash at all (no backslash: no escape to look at).
struct Prescan {
  enum What { ok, too_deep, bad_utf8, nul } what;
  size_t offset;
};
Prescan prescan(std::string_view json, unsigned max_depth, bool *any_backslash = nullptr) noexcept;

// Size check, depth pre-scan, parse, decode; every finding in the Error.
template <class M> Result<M> parse_manifest(std::string_view json, const ParseOptions &opts);

} // namespace appc::spec::detail
