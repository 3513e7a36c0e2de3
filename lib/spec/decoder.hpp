// The manifest decoder: JSON tree (json_dom.hpp) -> spec types, collecting every finding
// (wrong JSON types and spec rules alike) as a Diagnostic with its JSON path
// and checklist item, in document order. Private to lib/spec: decode.cpp has
// the shared schema pieces and the image manifest, decode_pod.cpp the pod.
#pragma once

#include "spec/isolator.hpp"
#include "spec/json_dom.hpp"
#include "spec/manifest.hpp"
#include "spec/types.hpp"
#include "util/error.hpp"
#include "util/json_path.hpp"


#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace appc::spec::detail {

using JValue = json::Value;

inline std::string_view sv(const JValue &v) noexcept { return {v.GetString(), v.GetStringLength()}; }

// "null", "boolean", "number", "string", "array", "object".
const char *json_type_name(const JValue &v) noexcept;

// A key of a schema object. `name` is a string literal: JsonPath keeps the pointer.
struct Key {
  const char *name;
  uint32_t len;
  template <size_t N> constexpr Key(const char (&s)[N]) noexcept : name(s), len(N - 1) {}
  // Inline, with the first byte compared before memcmp: most keys of a
  // schema object differ in length or in their first byte.
  bool matches(const JValue &k) const noexcept {
    return k.GetStringLength() == len && (len == 0 || (k.GetString()[0] == name[0] &&
                                                       std::memcmp(k.GetString(), name, len) == 0));
  }
};

// Names seen so far in a list or object, for uniqueness rules. Views point
// into the DOM, which outlives the decoder. Small sets are scanned linearly;
// past 16 names an open-addressing hash table (one array, at most half full,
// no allocation per name) takes over, so thousands of labels stay linear.
class NameSet {
public:
  NameSet() = default;
  // Room for `expected` names without rehashing (the size of the list).
  explicit NameSet(size_t expected) {
    if (expected > small_.size()) grow(expected);
  }
  // False when `s` was already present.
  bool insert(std::string_view s);

private:
  bool insert_big(std::string_view s);
  void grow(size_t expected = 0);

  std::array<std::string_view, 16> small_{};
  size_t n_ = 0;                                // names in small_, then in table_
  std::unique_ptr<std::string_view[]> table_;   // empty slots have data() == nullptr
  size_t mask_ = 0;                             // table size - 1 (a power of two)
};

// Annotation names: AC Identifier (image) or AC Name (pod and pod apps, spec text).
enum class AnnotationNames { identifier, name };

class Decoder {
public:
  explicit Decoder(std::vector<Diagnostic> &out) noexcept : diags_(out) {}
  // The text had no backslash (the pre-scan tells): no string can hold a
  // \u0000 escape, so the NUL checks on strings are skipped.
  void no_escapes() noexcept { may_hold_nul_ = false; }

  void image_manifest(const JValue &root, ImageManifest &out);
  void pod_manifest(const JValue &root, PodManifest &out);

  // ---- findings (the only places that build path strings)
  void report(const JsonPath &p, int rule, std::string message);
  void type_error(const JsonPath &p, int rule, const char *expected, const JValue &got);
  void missing(const JsonPath &p, int rule) { report(p, rule, "is required"); }

  // ---- typed readers: false (after a finding) when `v` has the wrong type
  bool object(const JValue &v, const JsonPath &p, int rule);
  bool array(const JValue &v, const JsonPath &p, int rule);
  bool string(const JValue &v, const JsonPath &p, int rule, std::string &out);
  // A string that must not be empty.
  bool nonempty_string(const JValue &v, const JsonPath &p, int rule, std::string &out);
  bool boolean(const JValue &v, const JsonPath &p, int rule, bool &out);
  bool integer(const JValue &v, const JsonPath &p, int rule, int64_t lo, int64_t hi, int64_t &out);
  bool unsigned64(const JValue &v, const JsonPath &p, int rule, uint64_t &out);
  void string_list(const JValue &v, const JsonPath &p, int rule, std::vector<std::string> &out);

  // Walk the members of object `obj` at `p`: each known key is handed to
  // f(index into keys, value, path) once; a repeated key (known or not) is a
  // finding; unknown keys are otherwise ignored. A null value of a key not in
  // `required` counts as absent (as the reference decoder treats null).
  // Returns the bit mask of the keys present; required keys missing are reported.
  template <size_t N, class F>
  uint32_t members(const JValue &obj, const JsonPath &p, int rule, const Key (&keys)[N], uint32_t required,
                   F &&f);

  // ---- schema pieces shared by image and pod manifests
  void labels(const JValue &v, const JsonPath &p, Labels &out);
  void annotations(const JValue &v, const JsonPath &p, int rule, AnnotationNames names, Annotations &out);
  void app(const JValue &v, const JsonPath &p, int rule, App &out);
  void port(const JValue &v, const JsonPath &p, Port &out, std::string_view *name_view);
  void isolators(const JValue &v, const JsonPath &p, int rule, IsolatorScope scope, std::vector<Isolator> &out);
  void string_map(const JValue &v, const JsonPath &p, int rule,
                  std::vector<std::pair<std::string, std::string>> &out);
  void ac_identifier(const JValue &v, const JsonPath &p, std::string &out);
  void ac_name(const JValue &v, const JsonPath &p, std::string &out);
  void image_id(const JValue &v, const JsonPath &p, std::string &out);
  void ac_version(const JValue &v, const JsonPath &p, std::string &out);
  void ac_kind(const JValue &v, const JsonPath &p, const char *expected, std::string &out);

  // ---- pod pieces (decode_pod.cpp)
  void volume(const JValue &v, const JsonPath &p, Volume &out, std::string_view *name_view);

private:
  void report_unknown_duplicate(const JsonPath &p, int rule, const JValue &key);
  void environment(const JValue &v, const JsonPath &p, std::vector<EnvVar> &out);
  void event_handlers(const JValue &v, const JsonPath &p, std::vector<EventHandler> &out);
  void mount_points(const JValue &v, const JsonPath &p, std::vector<MountPoint> &out);
  void ports(const JValue &v, const JsonPath &p, std::vector<Port> &out);
  void path_whitelist(const JValue &v, const JsonPath &p, std::vector<std::string> &out);
  void dependencies(const JValue &v, const JsonPath &p, std::vector<Dependency> &out);
  void supplementary_gids(const JValue &v, const JsonPath &p, std::vector<int64_t> &out);
  void runtime_app(const JValue &v, const JsonPath &p, RuntimeApp &out, std::string_view *name_view);
  void runtime_image(const JValue &v, const JsonPath &p, RuntimeImage &out);
  void mounts(const JValue &v, const JsonPath &p, std::vector<Mount> &out);
  void exposed_port(const JValue &v, const JsonPath &p, ExposedPort &out, std::string_view *name_view);

  std::vector<Diagnostic> &diags_;
  bool may_hold_nul_ = true;   // raw NUL bytes are refused before parsing; only \u0000 makes one
};

template <size_t N, class F>
uint32_t Decoder::members(const JValue &obj, const JsonPath &p, int rule, const Key (&keys)[N], uint32_t required,
                          F &&f) {
  static_assert(N <= 32, "a key table fits a 32-bit mask");
  uint32_t encountered = 0, present = 0;
  std::optional<NameSet> unknown;   // only objects with unknown keys pay for the set
  for (auto it = obj.MemberBegin(), end = obj.MemberEnd(); it != end; ++it) {
    size_t k = 0;
    while (k < N && !keys[k].matches(it->name)) ++k;
    if (k == N) {
      if (!unknown) unknown.emplace();
      if (!unknown->insert(sv(it->name))) report_unknown_duplicate(p, rule, it->name);
      continue;
    }
    uint32_t bit = uint32_t{1} << k;
    if (encountered & bit) {
      report(p.field(keys[k].name), 0, std::string("duplicate key \"") + keys[k].name + "\"");
      continue;
    }
    encountered |= bit;
    if (it->value.IsNull() && !(required & bit)) continue;   // null: absent
    present |= bit;
    f(k, it->value, p.field(keys[k].name));
  }
  for (size_t k = 0; k < N; ++k)
    if ((required >> k & 1) && !(encountered >> k & 1)) missing(p.field(keys[k].name), rule);
  return present;
}

} // namespace appc::spec::detail
