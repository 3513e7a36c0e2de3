// Helpers shared by the C ABI's translation units for reading versioned
// option structs: their version check, enum fields, limits, progress
// callbacks and the default appc root.
#pragma once

#include <appc/appc.h>

#include "aci/aci.hpp"
#include "util/error.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

namespace appc::capi {

// A struct's `version` must be 1..current (0 is an uninitialised struct).
inline Status check_version(const char *type, unsigned version, unsigned current) {
  if (version == 0 || version > current)
    return Error::make(Code::invalid,
                       std::string(type) + ": version " + std::to_string(version) +
                           " is not supported (this library knows 1.." + std::to_string(current) + ")",
                       "version");
  return {};
}

// A C caller may store any int in an enum field; reading it as the C++ enum
// type would be undefined for values outside the enumerators, so read the
// object representation instead.
template <typename E> int raw_enum(const E &value) noexcept {
  static_assert(sizeof(E) == sizeof(int));
  int raw;
  std::memcpy(&raw, &value, sizeof raw);
  return raw;
}

// 0 in a limit field means the default.
inline aci::Limits limits_of(uint64_t max_bytes, uint64_t max_entries, uint64_t max_manifest_bytes) {
  aci::Limits l;
  if (max_bytes != 0) l.max_bytes = max_bytes;
  if (max_entries != 0) l.max_entries = max_entries;
  if (max_manifest_bytes != 0) l.max_manifest_bytes = max_manifest_bytes;
  return l;
}

// The C callback behind the C++ one. The library reads `phase` only for the
// duration of the call; the appc_progress lives on this frame.
inline aci::ProgressFn progress_of(appc_progress_cb cb, void *payload) {
  if (cb == nullptr) return {};
  return [cb, payload](const aci::Progress &p) {
    appc_progress cp{APPC_PROGRESS_VERSION, p.bytes_in, p.bytes_out, p.entries,
                     p.phase != nullptr ? p.phase : ""};
    return cb(&cp, payload) == 0;
  };
}

inline constexpr const char *kDefaultRoot = "/var/lib/appc";

// The appc root when the caller passes NULL: $APPC_ROOT, else /var/lib/appc.
inline std::string default_root() {
  const char *env = std::getenv("APPC_ROOT");
  if (env != nullptr && *env != '\0') return env;
  return kDefaultRoot;
}

} // namespace appc::capi
