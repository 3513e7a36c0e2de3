// What the opaque C handles are. Owned manifests are structs holding the C++
// value; the borrowed views (appc_app, appc_volume, appc_port, appc_isolator)
// are the C++ objects themselves, reinterpreted, so a view of a manifest's app
// and an owned builder app (new spec::App) are read by the same accessors.
#pragma once

#include <appc/appc.h>

#include "spec/manifest.hpp"
#include "spec/types.hpp"
#include "util/error.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct appc_image_manifest {
  appc::spec::ImageManifest impl;
};

struct appc_pod_manifest {
  appc::spec::PodManifest impl;
};

namespace appc::capi {

inline const spec::App *cpp(const appc_app *a) noexcept { return reinterpret_cast<const spec::App *>(a); }
inline spec::App *cpp(appc_app *a) noexcept { return reinterpret_cast<spec::App *>(a); }
inline const appc_app *c_of(const spec::App *a) noexcept { return reinterpret_cast<const appc_app *>(a); }
inline appc_app *c_of(spec::App *a) noexcept { return reinterpret_cast<appc_app *>(a); }

inline const spec::Volume *cpp(const appc_volume *v) noexcept {
  return reinterpret_cast<const spec::Volume *>(v);
}
inline spec::Volume *cpp(appc_volume *v) noexcept { return reinterpret_cast<spec::Volume *>(v); }
inline const appc_volume *c_of(const spec::Volume *v) noexcept {
  return reinterpret_cast<const appc_volume *>(v);
}
inline appc_volume *c_of(spec::Volume *v) noexcept { return reinterpret_cast<appc_volume *>(v); }

inline const spec::Port *cpp(const appc_port *p) noexcept { return reinterpret_cast<const spec::Port *>(p); }
inline const appc_port *c_of(const spec::Port *p) noexcept { return reinterpret_cast<const appc_port *>(p); }

inline const spec::Isolator *cpp(const appc_isolator *i) noexcept {
  return reinterpret_cast<const spec::Isolator *>(i);
}
inline const appc_isolator *c_of(const spec::Isolator *i) noexcept {
  return reinterpret_cast<const appc_isolator *>(i);
}

// Bounds-checked element access for the accessors: nullptr when out of range.
template <class V> auto at(V &v, size_t i) noexcept -> decltype(&v[0]) {
  return i < v.size() ? &v[i] : nullptr;
}

// Empty string means "absent" for these fields in the C++ model.
inline const char *opt_str(const std::string &s) noexcept { return s.empty() ? nullptr : s.c_str(); }

// Lookup in a {name, value} list (Label, Annotation, EnvVar) or a pair list.
template <class List> const char *lookup(const List &list, const char *name) noexcept {
  if (name == nullptr) return nullptr;
  for (const auto &e : list) {
    if constexpr (requires { e.name; }) {
      if (e.name == name) return e.value.c_str();
    } else {
      if (e.first == name) return e.second.c_str();
    }
  }
  return nullptr;
}
template <class List> const char *kv_name(const List &list, size_t i) noexcept {
  if (i >= list.size()) return nullptr;
  if constexpr (requires { list[i].name; }) return list[i].name.c_str();
  else return list[i].first.c_str();
}
template <class List> const char *kv_value(const List &list, size_t i) noexcept {
  if (i >= list.size()) return nullptr;
  if constexpr (requires { list[i].value; }) return list[i].value.c_str();
  else return list[i].second.c_str();
}

// Options structs: NULL means defaults; version 0 or newer than known is refused.
Result<spec::ParseOptions> parse_options(const appc_parse_options *opts);
Result<spec::SerializeOptions> serialize_options(const appc_serialize_options *opts);

// Copy text into a caller-owned appc_buf (NUL-terminated). Throws bad_alloc.
void fill_buf(appc_buf *out, std::string_view text);

// Decode an isolator value from JSON text by the isolator rules; invalid with
// diagnostics under "value" when it does not decode.
Result<spec::Isolator> make_isolator(const char *name, const char *json, size_t len);

// Diagnostics -> Error (invalid), or success when there are none.
inline Status findings(std::vector<Diagnostic> diags) {
  if (diags.empty()) return {};
  return Error::invalid(std::move(diags));
}

// Strings of an argv array; every entry must be non-NULL.
Result<std::vector<std::string>> copy_argv(const char *const *argv, size_t argc);

} // namespace appc::capi
