// JSON -> ImageManifest / PodManifest (checklist sections 1, 3 and 7).
//
// Three steps, each bounded: the size check; a pre-scan of the raw text,
// before any DOM exists, that bounds the nesting depth (string-aware) and
// checks UTF-8; and RapidJSON's iterative (non-recursive) parser, in situ.
// The decoder then walks the DOM once, in document order, and records every
// finding with its JSON path and checklist item. Paths are only turned into
// text for a finding. docs/manifests.md describes the rules and messages.
#include "spec/decoder.hpp"
#include "spec/identifiers_detail.hpp"
#include "spec/manifest_detail.hpp"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <span>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace appc::spec::detail {

// ' ', '\t', '\n', '\r': one compare and one bit test.
inline bool is_json_space(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u <= ' ' && (0x100002600ull >> u & 1);
}

} // namespace appc::spec::detail

namespace appc::spec {
namespace detail {
namespace {

constexpr uint32_t bit(int k) noexcept { return uint32_t{1} << k; }

std::string format_double(double d) {
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

std::string range_text(int64_t lo, int64_t hi) { return std::to_string(lo) + ".." + std::to_string(hi); }

// Byte offset -> "line L, column C (byte offset N)"; lines and columns count from 1, columns in bytes.
std::string position_text(std::string_view json, size_t offset) {
  if (offset > json.size()) offset = json.size();
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < offset; ++i)
    if (json[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  return "line " + std::to_string(line) + ", column " + std::to_string(offset - line_start + 1) +
         " (byte offset " + std::to_string(offset) + ")";
}

// Bit i of each mask describes byte i of a 64-byte block.
struct BlockMasks {
  uint64_t quote = 0, backslash = 0, open = 0, close = 0, high = 0, nul = 0;
};

BlockMasks classify(const unsigned char *p) noexcept {
  BlockMasks m;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), lbracket = _mm_set1_epi8('['),
                rbracket = _mm_set1_epi8(']'), lbrace = _mm_set1_epi8('{'), rbrace = _mm_set1_epi8('}'),
                zero = _mm_setzero_si128();
  auto bits = [](__m128i v) { return static_cast<uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(v))); };
  for (int k = 0; k < 4; ++k) {
    __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p + 16 * k));
    const int sh = 16 * k;
    m.quote |= bits(_mm_cmpeq_epi8(c, quote)) << sh;
    m.backslash |= bits(_mm_cmpeq_epi8(c, backslash)) << sh;
    m.open |= bits(_mm_or_si128(_mm_cmpeq_epi8(c, lbracket), _mm_cmpeq_epi8(c, lbrace))) << sh;
    m.close |= bits(_mm_or_si128(_mm_cmpeq_epi8(c, rbracket), _mm_cmpeq_epi8(c, rbrace))) << sh;
    m.high |= bits(c) << sh;
    m.nul |= bits(_mm_cmpeq_epi8(c, zero)) << sh;
  }
#else
  for (int i = 0; i < 64; ++i) {
    const uint64_t b = uint64_t{1} << i;
    switch (p[i]) {
    case '"': m.quote |= b; break;
    case '\\': m.backslash |= b; break;
    case '[':
    case '{': m.open |= b; break;
    case ']':
    case '}': m.close |= b; break;
    case 0: m.nul |= b; break;
    default:
      if (p[i] >= 0x80) m.high |= b;
      break;
    }
  }
#endif
  return m;
}

using json::lowest;
using json::prefix_xor;

} // namespace

// One pass over the raw text before any DOM exists: the nesting depth
// (brackets inside strings, with their escapes, do not count), UTF-8
// well-formedness of the whole text, and no NUL byte (the in-situ parser
// would stop at one). Malformed JSON is otherwise left to the parser: this
// only has to be right for text the parser would accept.
//
// 64 bytes at a time: SSE2 turns a block into bit masks; the string state
// comes from a prefix XOR of the unescaped quotes, so only the few
// structural brackets and non-ASCII bytes are looked at one by one.
// tests/unit/spec/hostile_test.cpp checks it against a byte-by-byte model.
namespace {

Prescan prescan_full(std::string_view json, unsigned max_depth, bool *any_backslash) noexcept {
  const unsigned char *text = reinterpret_cast<const unsigned char *>(json.data());
  const size_t n = json.size();
  uint64_t escape_carry = 0;    // 1: the block's first byte follows an unescaped backslash
  uint64_t in_string_carry = 0; // all ones: the block starts inside a string
  size_t utf8_end = 0;          // bytes before this offset belong to a checked UTF-8 sequence
  unsigned depth = 0;
  uint64_t backslashes = 0;
  alignas(16) unsigned char tail[64];

  for (size_t base = 0; base < n; base += 64) {
    const unsigned char *p = text + base;
    uint64_t valid = ~uint64_t{0};
    if (n - base < 64) {   // the last, partial block: a zero-padded copy
      std::memset(tail, 0, sizeof tail);
      std::memcpy(tail, p, n - base);
      p = tail;
      valid = (uint64_t{1} << (n - base)) - 1;
    }
    BlockMasks m = classify(p);
    m.nul &= valid;

    // Escaped bytes: each backslash not itself escaped escapes the next byte.
    // Backslashes are rare in manifests, so this walks them one by one.
    backslashes |= m.backslash;
    uint64_t escaped = escape_carry;
    escape_carry = 0;
    for (uint64_t b = m.backslash; b; b &= b - 1) {
      unsigned i = lowest(b);
      if (escaped >> i & 1) continue;
      if (i == 63) escape_carry = 1;
      else escaped |= uint64_t{2} << i;
    }
    uint64_t in_string = prefix_xor(m.quote & ~escaped) ^ in_string_carry;
    in_string_carry = static_cast<uint64_t>(static_cast<int64_t>(in_string) >> 63);

    // The first problem of each kind in this block (64: none); the earliest wins.
    unsigned first_nul = m.nul ? lowest(m.nul) : 64, first_deep = 64, first_utf8 = 64;
    for (uint64_t b = (m.open | m.close) & ~in_string & ~escaped; b; b &= b - 1) {
      unsigned i = lowest(b);
      if (m.open >> i & 1) {
        if (++depth > max_depth) {
          first_deep = i;
          break;
        }
      } else if (depth > 0) {
        --depth;
      }
    }
    for (uint64_t b = m.high; b; b &= b - 1) {
      unsigned i = lowest(b);
      if (base + i < utf8_end) continue;   // a continuation byte already checked
      size_t len = json::utf8_sequence(text + base + i, n - base - i);
      if (!len) {
        first_utf8 = i;
        break;
      }
      utf8_end = base + i + len;
    }
    unsigned first = std::min({first_nul, first_deep, first_utf8});
    if (first < 64) {
      Prescan::What w = first == first_nul ? Prescan::nul : first == first_utf8 ? Prescan::bad_utf8 : Prescan::too_deep;
      return {w, base + first};
    }
  }
  if (any_backslash) *any_backslash = backslashes != 0;
  return {Prescan::ok, n};
}

// The quick pass: the nesting depth can be no more than the number of '['
// and '{' bytes in the whole text, strings included. While that count stays
// within the bound and the text is NUL-free ASCII, nothing else needs to be
// known: no string state, no UTF-8 sequences. Most manifests (the spec's
// examples: 43 brackets, bound 64) end here; at the first non-ASCII or NUL
// byte, or past max_depth brackets, the full pre-scan starts over from the
// beginning and finds the exact answer (at most the bytes read so far are
// read twice).
Prescan prescan_quick(std::string_view json, unsigned max_depth, bool *any_backslash) noexcept {
  const unsigned char *text = reinterpret_cast<const unsigned char *>(json.data());
  const size_t n = json.size();
  size_t opens = 0;
  bool backslash = false;
  alignas(16) unsigned char tail[64];
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128(), bs = _mm_set1_epi8('\\'), open = _mm_set1_epi8('{'),
                lower = _mm_set1_epi8(0x20);
#endif
#if defined(__SSE2__)
  __m128i any_bsl = zero;
#endif
  for (size_t base = 0; base < n; base += 64) {
    const unsigned char *p = text + base;
    size_t len = 64;
    if (n - base < 64) {   // the last, partial block: a copy padded with spaces
      len = n - base;
      std::memset(tail, ' ', sizeof tail);
      std::memcpy(tail, p, len);
      p = tail;
    }
#if defined(__SSE2__)
    (void)len;
    // Per block: the bytes that are >= 0x80 (the sign bit) or NUL, and the
    // count of brackets per byte lane (at most 4), summed by _mm_sad_epu8.
    __m128i bad = zero, count = zero;
    for (int k = 0; k < 4; ++k) {
      const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p + 16 * k));
      bad = _mm_or_si128(bad, _mm_or_si128(c, _mm_cmpeq_epi8(c, zero)));
      any_bsl = _mm_or_si128(any_bsl, _mm_cmpeq_epi8(c, bs));
      // '[' (0x5b) and '{' (0x7b) are the bytes with c | 0x20 == 0x7b; a match is -1
      count = _mm_sub_epi8(count, _mm_cmpeq_epi8(_mm_or_si128(c, lower), open));
    }
    const __m128i sums = _mm_sad_epu8(count, zero);
    opens += static_cast<size_t>(_mm_cvtsi128_si32(sums)) +
             static_cast<size_t>(_mm_cvtsi128_si32(_mm_unpackhi_epi64(sums, sums)));
    if (_mm_movemask_epi8(bad) || opens > max_depth) return prescan_full(json, max_depth, any_backslash);
#else
    bool bad = false;
    for (size_t i = 0; i < len; ++i) {
      bad |= p[i] == 0 || p[i] >= 0x80;
      backslash |= p[i] == '\\';
      opens += p[i] == '[' || p[i] == '{';
    }
    if (bad || opens > max_depth) return prescan_full(json, max_depth, any_backslash);
#endif
  }
#if defined(__SSE2__)
  backslash = _mm_movemask_epi8(any_bsl) != 0;
#endif
  if (any_backslash) *any_backslash = backslash;
  return {Prescan::ok, n};
}

} // namespace

Prescan prescan(std::string_view json, unsigned max_depth, bool *any_backslash) noexcept {
  return prescan_quick(json, max_depth, any_backslash);
}

// ---------------------------------------------------------------- helpers

const char *json_type_name(const JValue &v) noexcept {
  switch (v.GetType()) {
  case json::Type::null_value: return "null";
  case json::Type::false_value:
  case json::Type::true_value: return "boolean";
  case json::Type::object: return "object";
  case json::Type::array: return "array";
  case json::Type::string: return "string";
  case json::Type::number: return "number";
  }
  return "value";
}

namespace {

// FNV-1a over 8-byte words: names are short, and the table needs only a
// well-spread low half.
inline size_t name_hash(std::string_view s) noexcept {
  uint64_t h = 0xcbf29ce484222325u ^ s.size();
  const char *p = s.data();
  size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0x100000001b3u;
    h ^= h >> 29;
  }
  uint64_t w = 0;
  std::memcpy(&w, p, n);
  h = (h ^ w) * 0x100000001b3u;
  h ^= h >> 32;
  return static_cast<size_t>(h * 0x9e3779b97f4a7c15u >> 20);
}

} // namespace

bool NameSet::insert(std::string_view s) {
  if (table_) return insert_big(s);
  for (size_t i = 0; i < n_; ++i)
    if (small_[i] == s) return false;
  if (n_ < small_.size()) {
    small_[n_++] = s;
    return true;
  }
  grow();
  return insert_big(s);
}

bool NameSet::insert_big(std::string_view s) {
  // DOM strings never have a null data(): a null one marks an empty slot.
  if ((n_ + 1) * 2 > mask_ + 1) grow();
  for (size_t i = name_hash(s) & mask_;; i = (i + 1) & mask_) {
    std::string_view &slot = table_[i];
    if (slot.data() == nullptr) {
      slot = s.data() ? s : std::string_view("", 0);
      ++n_;
      return true;
    }
    if (slot == s) return false;
  }
}

void NameSet::grow(size_t expected) {
  size_t size = table_ ? (mask_ + 1) * 2 : 64;
  while (size < 2 * expected + 2) size *= 2;
  auto old = std::move(table_);
  const size_t old_size = old ? mask_ + 1 : 0;
  table_ = std::make_unique<std::string_view[]>(size);
  mask_ = size - 1;
  auto place = [&](std::string_view s) {
    size_t i = name_hash(s) & mask_;
    while (table_[i].data() != nullptr) i = (i + 1) & mask_;
    table_[i] = s;
  };
  if (old) {
    for (size_t i = 0; i < old_size; ++i)
      if (old[i].data() != nullptr) place(old[i]);
  } else {
    for (size_t i = 0; i < n_; ++i) place(small_[i].data() ? small_[i] : std::string_view("", 0));
  }
}

void Decoder::report(const JsonPath &p, int rule, std::string message) {
  Diagnostic d;
  p.append_to(d.path);
  d.message = std::move(message);
  d.rule = rule;
  diags_.push_back(std::move(d));
}

void Decoder::type_error(const JsonPath &p, int rule, const char *expected, const JValue &got) {
  report(p, rule, std::string("expected ") + expected + ", got " + json_type_name(got));
}

void Decoder::report_unknown_duplicate(const JsonPath &p, int /*rule*/, const JValue &key) {
  // DOM strings are NUL-terminated, so the key can name a path component.
  report(p.field(key.GetString()), 0, "duplicate key " + quote(sv(key)));
}

bool Decoder::object(const JValue &v, const JsonPath &p, int rule) {
  if (v.IsObject()) return true;
  type_error(p, rule, "an object", v);
  return false;
}

bool Decoder::array(const JValue &v, const JsonPath &p, int rule) {
  if (v.IsArray()) return true;
  type_error(p, rule, "an array", v);
  return false;
}

bool Decoder::string(const JValue &v, const JsonPath &p, int rule, std::string &out) {
  if (!v.IsString()) {
    type_error(p, rule, "a string", v);
    return false;
  }
  const size_t len = v.GetStringLength();
  // An escaped \u0000 survives JSON but no C string: exec arguments, paths,
  // environment and every string of the C ABI would be cut at it.
  if (may_hold_nul_ && len && std::memchr(v.GetString(), 0, len)) {
    report(p, rule, "contains a NUL character (\\u0000), which no C string can carry");
    return false;
  }
  if (out.empty()) out.append(v.GetString(), len);   // cheaper than assign()
  else out.assign(v.GetString(), len);
  return true;
}

bool Decoder::nonempty_string(const JValue &v, const JsonPath &p, int rule, std::string &out) {
  if (!string(v, p, rule, out)) return false;
  if (!out.empty()) return true;
  report(p, rule, "must not be empty");
  return false;
}

bool Decoder::boolean(const JValue &v, const JsonPath &p, int rule, bool &out) {
  if (!v.IsBool()) {
    type_error(p, rule, "a boolean", v);
    return false;
  }
  out = v.GetBool();
  return true;
}

bool Decoder::integer(const JValue &v, const JsonPath &p, int rule, int64_t lo, int64_t hi, int64_t &out) {
  if (!v.IsNumber()) {
    type_error(p, rule, "an integer", v);
    return false;
  }
  if (v.IsInt64()) {
    int64_t x = v.GetInt64();
    if (x >= lo && x <= hi) {
      out = x;
      return true;
    }
    report(p, rule, std::to_string(x) + " is outside " + range_text(lo, hi));
    return false;
  }
  if (v.IsUint64()) {   // above INT64_MAX
    report(p, rule, std::to_string(v.GetUint64()) + " is outside " + range_text(lo, hi));
    return false;
  }
  double d = v.GetDouble();
  if (d != std::floor(d))
    report(p, rule, "expected an integer, got " + format_double(d));
  else if (d < static_cast<double>(lo) || d > static_cast<double>(hi))
    report(p, rule, format_double(d) + " is outside " + range_text(lo, hi));
  else
    report(p, rule, "expected an integer without fraction or exponent, got " + format_double(d));
  return false;
}

bool Decoder::unsigned64(const JValue &v, const JsonPath &p, int rule, uint64_t &out) {
  if (!v.IsNumber()) {
    type_error(p, rule, "an integer", v);
    return false;
  }
  if (v.IsUint64()) {
    out = v.GetUint64();
    return true;
  }
  static const std::string range = "0.." + std::to_string(std::numeric_limits<uint64_t>::max());
  if (v.IsInt64()) {   // negative
    report(p, rule, std::to_string(v.GetInt64()) + " is outside " + range);
    return false;
  }
  double d = v.GetDouble();
  if (d != std::floor(d))
    report(p, rule, "expected an integer, got " + format_double(d));
  else if (d < 0 || d >= 18446744073709551616.0)
    report(p, rule, format_double(d) + " is outside " + range);
  else
    report(p, rule, "expected an integer without fraction or exponent, got " + format_double(d));
  return false;
}

void Decoder::string_list(const JValue &v, const JsonPath &p, int rule, std::vector<std::string> &out) {
  if (!array(v, p, rule)) return;
  out.resize(v.Size());
  for (uint32_t i = 0; i < v.Size(); ++i) string(v[i], p.index(i), rule, out[i]);
}

void Decoder::ac_identifier(const JValue &v, const JsonPath &p, std::string &out) {
  if (!string(v, p, 1, out)) return;
  if (is_ac_identifier(out)) return;
  report(p, 1, ac_identifier_problem(out));
}

void Decoder::ac_name(const JValue &v, const JsonPath &p, std::string &out) {
  if (!string(v, p, 2, out)) return;
  if (is_ac_name(out)) return;
  report(p, 2, ac_name_problem(out));
}

void Decoder::image_id(const JValue &v, const JsonPath &p, std::string &out) {
  if (!string(v, p, 5, out)) return;
  if (is_image_id(out)) return;
  report(p, 5, image_id_problem(out));
}

void Decoder::ac_version(const JValue &v, const JsonPath &p, std::string &out) {
  if (!string(v, p, 4, out)) return;
  SemVer ver, ours;
  if (!parse_semver(out, ver)) {
    report(p, 4, quote(out) + " is not a SemVer 2.0.0 version (MAJOR.MINOR.PATCH[-pre][+build], no leading zeros)");
    return;
  }
  if (ver.major == 0 && ver.minor == 0 && ver.patch == 0) {
    report(p, 4, quote(out) + " is not an appc version: 0.0.0 is not allowed");
    return;
  }
  parse_semver(kSpecVersion, ours);
  if (compare_semver(ver, ours) > 0)
    report(p, 4, quote(out) + " is newer than " + kSpecVersion + ", the spec version libappc complies with");
}

void Decoder::ac_kind(const JValue &v, const JsonPath &p, const char *expected, std::string &out) {
  if (!string(v, p, 3, out)) return;
  if (out == expected) return;
  if (out.empty()) report(p, 3, "must not be empty");
  else report(p, 3, std::string("expected \"") + expected + "\", got " + quote(out));
}

// ---------------------------------------------------------------- shared schema pieces

void Decoder::labels(const JValue &v, const JsonPath &p, Labels &out) {
  if (!array(v, p, 8)) return;
  static constexpr Key keys[] = {"name", "value"};
  out.resize(v.Size());
  NameSet names(v.Size());
  int os = -1, arch = -1;
  for (uint32_t i = 0; i < v.Size(); ++i) {
    const JValue &el = v[i];
    JsonPath ep = p.index(i);
    if (!object(el, ep, 8)) continue;
    Label &l = out[i];
    const JValue *name = nullptr;
    bool value_ok = false;
    members(el, ep, 8, keys, bit(0) | bit(1), [&](size_t k, const JValue &x, const JsonPath &fp) {
      if (k == 1) {
        value_ok = string(x, fp, 8, l.value);
        return;
      }
      if (!string(x, fp, 1, l.name)) return;
      name = &x;
      if (l.name == "name")
        report(fp, 8, "\"name\" cannot be a label name: it would be confused with the image name");
      else if (!is_ac_identifier(l.name))
        report(fp, 1, ac_identifier_problem(l.name));
    });
    if (!name) continue;
    if (!names.insert(sv(*name))) {
      report(ep.field("name"), 8, "duplicate label name " + quote(l.name));
      continue;
    }
    if (!value_ok) continue;
    if (l.name == "os") os = static_cast<int>(i);
    else if (l.name == "arch") arch = static_cast<int>(i);
  }
  // The os/arch table (spec 8); arch alone is not checked: it is meaningful only with os.
  if (os < 0) return;
  const std::string &osv = out[os].value;
  if (!is_known_os(osv)) {
    report(p.index(os).field("value"), 8,
           "unknown os " + quote(osv) + " (expected one of: " + known_os_list() + ")");
    return;
  }
  if (arch >= 0 && !is_known_arch(osv, out[arch].value))
    report(p.index(arch).field("value"), 8,
           "unknown arch " + quote(out[arch].value) + " for os " + quote(osv) + " (expected one of: " +
               known_arch_list(osv) + ")");
}

void Decoder::annotations(const JValue &v, const JsonPath &p, int rule, AnnotationNames kind, Annotations &out) {
  if (!array(v, p, rule)) return;
  static constexpr Key keys[] = {"name", "value"};
  out.resize(v.Size());
  NameSet names(v.Size());
  for (uint32_t i = 0; i < v.Size(); ++i) {
    const JValue &el = v[i];
    JsonPath ep = p.index(i);
    if (!object(el, ep, rule)) continue;
    Annotation &a = out[i];
    const JValue *name = nullptr, *value = nullptr;
    members(el, ep, rule, keys, bit(0) | bit(1), [&](size_t k, const JValue &x, const JsonPath &fp) {
      if (k == 1) {
        if (string(x, fp, rule, a.value)) value = &x;
        return;
      }
      if (kind == AnnotationNames::identifier) ac_identifier(x, fp, a.name);
      else ac_name(x, fp, a.name);
      if (x.IsString()) name = &x;
    });
    if (!name) continue;
    if (!names.insert(sv(*name))) {
      report(ep.field("name"), rule, "duplicate annotation name " + quote(a.name));
      continue;
    }
    if (!value) continue;
    // Recognized annotations are checked in every list, as the reference does (spec 9).
    if (a.name == "created") {
      if (const char *why = timestamp_reason(a.value))
        report(ep.field("value"), 7,
               "created: " + quote(a.value) + " is not an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm)): " +
                   why);
    } else if (a.name == "homepage" || a.name == "documentation") {
      if (!is_http_url(a.value)) report(ep.field("value"), 9, a.name + ": " + http_url_problem(a.value));
    } else if (a.name == "appc.io/executor/supports-systemd-notify") {
      if (a.value != "true" && a.value != "false")
        report(ep.field("value"), 9, a.name + ": expected \"true\" or \"false\", got " + quote(a.value));
    }
  }
}

void Decoder::string_map(const JValue &v, const JsonPath &p, int rule,
                         std::vector<std::pair<std::string, std::string>> &out) {
  if (!object(v, p, rule)) return;
  out.resize(v.MemberCount());
  NameSet keys(v.MemberCount());
  size_t i = 0;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it, ++i) {
    JsonPath fp = p.field(it->name.GetString());
    if (!keys.insert(sv(it->name))) {
      report(fp, 0, "duplicate key " + quote(sv(it->name)));
      continue;
    }
    if (may_hold_nul_ && std::memchr(it->name.GetString(), 0, it->name.GetStringLength())) {
      report(fp, rule, "the key contains a NUL character (\\u0000), which no C string can carry");
      continue;
    }
    out[i].first.assign(it->name.GetString(), it->name.GetStringLength());
    string(it->value, fp, rule, out[i].second);
  }
}

void Decoder::isolators(const JValue &v, const JsonPath &p, int rule, IsolatorScope scope,
                        std::vector<Isolator> &out) {
  if (!array(v, p, rule)) return;
  static constexpr Key keys[] = {"name", "value"};
  out.resize(v.Size());
  for (uint32_t i = 0; i < v.Size(); ++i) {
    const JValue &el = v[i];
    JsonPath ep = p.index(i);
    if (!object(el, ep, 6)) continue;
    const size_t before = diags_.size();
    const JValue *name = nullptr, *value = nullptr;
    members(el, ep, 6, keys, bit(0) | bit(1), [&](size_t k, const JValue &x, const JsonPath &) {
      (k == 0 ? name : value) = &x;
    });
    Isolator &iso = out[i];
    if (name) ac_identifier(*name, ep.field("name"), iso.name);
    if (name && name->IsString() && value)
      iso.value = decode_isolator_value(iso.name, *value, ep.field("value"), diags_);
    // A broken element already has its finding; unnamed, the list rules skip it.
    if (diags_.size() != before) iso.name.clear();
  }
  check_isolators(out, scope, p, diags_);
}

void Decoder::environment(const JValue &v, const JsonPath &p, std::vector<EnvVar> &out) {
  if (!array(v, p, 11)) return;
  static constexpr Key keys[] = {"name", "value"};
  out.resize(v.Size());
  NameSet names(v.Size());
  for (uint32_t i = 0; i < v.Size(); ++i) {
    const JValue &el = v[i];
    JsonPath ep = p.index(i);
    if (!object(el, ep, 11)) continue;
    EnvVar &e = out[i];
    const JValue *name = nullptr;
    members(el, ep, 11, keys, bit(0) | bit(1), [&](size_t k, const JValue &x, const JsonPath &fp) {
      if (k == 1) {
        string(x, fp, 11, e.value);
        return;
      }
      if (!string(x, fp, 11, e.name)) return;
      name = &x;
      if (!is_env_name(e.name))
        report(fp, 11, quote(e.name) + " is not an environment variable name ([A-Za-z_][A-Za-z0-9_.-]*)");
    });
    if (name && !names.insert(sv(*name))) report(ep.field("name"), 11, "duplicate environment variable " + quote(e.name));
  }
}

void Decoder::event_handlers(const JValue &v, const JsonPath &p, std::vector<EventHandler> &out) {
  if (!array(v, p, 15)) return;
  static constexpr Key keys[] = {"exec", "name"};
  out.resize(v.Size());
  bool seen_pre = false, seen_post = false;
  for (uint32_t i = 0; i < v.Size(); ++i) {
    const JValue &el = v[i];
    JsonPath ep = p.index(i);
    if (!object(el, ep, 15)) continue;
    EventHandler &h = out[i];
    members(el, ep, 15, keys, bit(1), [&](size_t k, const JValue &x, const JsonPath &fp) {
      if (k == 0) {
        string_list(x, fp, 15, h.exec);
        return;
      }
      if (!string(x, fp, 15, h.name)) return;
      bool *seen = h.name == "pre-start" ? &seen_pre : h.name == "post-stop" ? &seen_post : nullptr;
      if (!seen)
        report(fp, 15, quote(h.name) + " is not an event handler name (expected \"pre-start\" or \"post-stop\")");
      else if (*seen)
        report(fp, 15, "only one " + quote(h.name) + " event handler is allowed");
      else
        *seen = true;
    });
  }
}

void Decoder::mount_points(const JValue &v, const JsonPath &p, std::vector<MountPoint> &out) {
  if (!array(v, p, 16)) return;
  static constexpr Key keys[] = {"name", "path", "readOnly"};
  out.resize(v.Size());
  for (uint32_t i = 0; i < v.Size(); ++i) {
    const JValue &el = v[i];
    JsonPath ep = p.index(i);
    if (!object(el, ep, 16)) continue;
    MountPoint &m = out[i];
    members(el, ep, 16, keys, bit(0) | bit(1), [&](size_t k, const JValue &x, const JsonPath &fp) {
      switch (k) {
      case 0: ac_name(x, fp, m.name); break;
      case 1: nonempty_string(x, fp, 16, m.path); break;
      case 2: boolean(x, fp, 16, m.read_only); break;
      }
    });
  }
}

void Decoder::port(const JValue &v, const JsonPath &p, Port &out, std::string_view *name_view) {
  if (!object(v, p, 17)) return;
  static constexpr Key keys[] = {"name", "protocol", "port", "count", "socketActivated"};
  bool port_ok = false, count_ok = false;
  members(v, p, 17, keys, bit(0) | bit(1) | bit(2), [&](size_t k, const JValue &x, const JsonPath &fp) {
    switch (k) {
    case 0:
      ac_name(x, fp, out.name);
      if (name_view && x.IsString()) *name_view = sv(x);
      break;
    case 1: nonempty_string(x, fp, 17, out.protocol); break;
    case 2: port_ok = integer(x, fp, 17, 1, 65535, out.port); break;
    case 3: count_ok = integer(x, fp, 17, 1, 65535, out.count); break;
    case 4: boolean(x, fp, 17, out.socket_activated); break;
    }
  });
  if (port_ok && count_ok && out.port + out.count - 1 > 65535)
    report(p.field("count"), 17,
           "the port range " + std::to_string(out.port) + ".." + std::to_string(out.port + out.count - 1) +
               " ends past 65535");
}

void Decoder::ports(const JValue &v, const JsonPath &p, std::vector<Port> &out) {
  if (!array(v, p, 17)) return;
  out.resize(v.Size());
  for (uint32_t i = 0; i < v.Size(); ++i) port(v[i], p.index(i), out[i], nullptr);
}

void Decoder::supplementary_gids(const JValue &v, const JsonPath &p, std::vector<int64_t> &out) {
  if (!array(v, p, 13)) return;
  out.resize(v.Size());
  for (uint32_t i = 0; i < v.Size(); ++i) integer(v[i], p.index(i), 13, 0, kMaxId, out[i]);
}

void Decoder::app(const JValue &v, const JsonPath &p, int rule, App &out) {
  if (!object(v, p, rule)) return;
  static constexpr Key keys[] = {"exec",        "user",      "group",      "supplementaryGIDs",
                                 "eventHandlers", "workingDirectory", "environment", "isolators",
                                 "mountPoints", "ports",     "userAnnotations", "userLabels"};
  members(v, p, 13, keys, bit(1) | bit(2), [&](size_t k, const JValue &x, const JsonPath &fp) {
    switch (k) {
    case 0: string_list(x, fp, 12, out.exec); break;
    case 1: nonempty_string(x, fp, 13, out.user); break;
    case 2: nonempty_string(x, fp, 13, out.group); break;
    case 3: supplementary_gids(x, fp, out.supplementary_gids); break;
    case 4: event_handlers(x, fp, out.event_handlers); break;
    case 5:
      if (string(x, fp, 14, out.working_directory) && !is_absolute_path(out.working_directory))
        report(fp, 14, quote(out.working_directory) + " is not an absolute path");
      break;
    case 6: environment(x, fp, out.environment); break;
    case 7: isolators(x, fp, 6, IsolatorScope::app, out.isolators); break;
    case 8: mount_points(x, fp, out.mount_points); break;
    case 9: ports(x, fp, out.ports); break;
    case 10: string_map(x, fp, 10, out.user_annotations); break;
    case 11: string_map(x, fp, 10, out.user_labels); break;
    }
  });
}

void Decoder::dependencies(const JValue &v, const JsonPath &p, std::vector<Dependency> &out) {
  if (!array(v, p, 19)) return;
  static constexpr Key keys[] = {"imageName", "imageID", "labels", "size"};
  out.resize(v.Size());
  for (uint32_t i = 0; i < v.Size(); ++i) {
    const JValue &el = v[i];
    JsonPath ep = p.index(i);
    if (!object(el, ep, 19)) continue;
    Dependency &d = out[i];
    members(el, ep, 19, keys, bit(0), [&](size_t k, const JValue &x, const JsonPath &fp) {
      switch (k) {
      case 0: ac_identifier(x, fp, d.image_name); break;
      case 1: image_id(x, fp, d.image_id); break;
      case 2: labels(x, fp, d.labels); break;
      case 3: {
        uint64_t size;
        if (unsigned64(x, fp, 19, size)) d.size = size;
        break;
      }
      }
    });
  }
}

void Decoder::path_whitelist(const JValue &v, const JsonPath &p, std::vector<std::string> &out) {
  if (!array(v, p, 20)) return;
  out.resize(v.Size());
  for (uint32_t i = 0; i < v.Size(); ++i)
    if (string(v[i], p.index(i), 20, out[i]) && !is_absolute_path(out[i]))
      report(p.index(i), 20, quote(out[i]) + " is not an absolute path");
}

void Decoder::image_manifest(const JValue &root, ImageManifest &out) {
  static constexpr Key keys[] = {"acKind", "acVersion", "name", "labels", "app", "dependencies", "pathWhitelist",
                                 "annotations"};
  members(root, JsonPath::root(), 47, keys, bit(0) | bit(1) | bit(2),
          [&](size_t k, const JValue &x, const JsonPath &fp) {
            switch (k) {
            case 0: ac_kind(x, fp, "ImageManifest", out.ac_kind); break;
            case 1: ac_version(x, fp, out.ac_version); break;
            case 2: ac_identifier(x, fp, out.name); break;
            case 3: labels(x, fp, out.labels); break;
            case 4: app(x, fp, 47, out.app.emplace()); break;
            case 5: dependencies(x, fp, out.dependencies); break;
            case 6: path_whitelist(x, fp, out.path_whitelist); break;
            case 7: annotations(x, fp, 9, AnnotationNames::identifier, out.annotations); break;
            }
          });
}

} // namespace detail

// ---------------------------------------------------------------- entry points

namespace detail {
namespace {

Status parse_document(std::string_view json, const ParseOptions &opts, int syntax_rule,
                      std::unique_ptr<char[]> &text, std::span<char> inline_text, json::Document &doc,
                      bool &any_backslash) {
  auto limit = [](std::string msg) {
    Diagnostic d{"", std::move(msg), 0};
    Error e = Error::make(Code::limit, d.message);
    e.diagnostics.push_back(std::move(d));
    return e;
  };
  if (json.size() > opts.max_bytes)
    return limit("the manifest is " + std::to_string(json.size()) + " bytes, over the limit of " +
                 std::to_string(opts.max_bytes) + " bytes");
  // The parser works in place on a copy (padded for its 64-byte loads): a
  // small manifest's on the caller's stack, a larger one's in the thread's
  // buffer (reused from parse to parse), a huge one's on the heap.
  char *copy = inline_text.data();
  if (json.size() + json::kPadding > inline_text.size()) {
    copy = json::thread_text_buffer(json.size() + json::kPadding);
    if (!copy) {
      text = std::make_unique_for_overwrite<char[]>(json.size() + json::kPadding);
      copy = text.get();
    }
  }
  std::memcpy(copy, json.data(), json.size());
  const json::ParseError pe = doc.parse(copy, json.size(), opts.max_depth, &any_backslash);
  switch (pe.what) {
  case json::ParseError::none: break;
  case json::ParseError::too_deep:
    return limit("JSON nesting is deeper than the limit of " + std::to_string(opts.max_depth) + " levels at " +
                 position_text(json, pe.offset));
  case json::ParseError::too_big:
    return limit("the manifest is " + std::to_string(json.size()) + " bytes, more than the parser can address");
  case json::ParseError::bad_utf8:
    return Error::invalid({Diagnostic{"", "invalid UTF-8 at " + position_text(json, pe.offset), syntax_rule}});
  case json::ParseError::nul:
    return Error::invalid(
        {Diagnostic{"", "invalid JSON at " + position_text(json, pe.offset) + ": a NUL byte", syntax_rule}});
  case json::ParseError::lone_low_surrogate:
    return Error::invalid({Diagnostic{"",
                                      "invalid JSON at " + position_text(json, pe.offset) + ": the escape " +
                                          std::string(json.substr(pe.offset, 6)) +
                                          " is a lone UTF-16 low surrogate (no high surrogate escape before it)",
                                      syntax_rule}});
  case json::ParseError::syntax:
    return Error::invalid({Diagnostic{"",
                                      "invalid JSON at " + position_text(json, pe.offset) + ": " +
                                          rapidjson::GetParseError_En(pe.code),
                                      syntax_rule}});
  }
  if (!doc.root().IsObject())
    return Error::invalid({Diagnostic{
        "", std::string("expected an object at the top level, got ") + json_type_name(doc.root()), syntax_rule}});
  return {};
}

// A fixed buffer for the in-situ text: a manifest of a few KB parses
// without touching the heap for it (the Document holds its first nodes).
struct DocumentArena {
  alignas(16) char text[8192];
  json::Document doc;
};

} // namespace

template <class M> Result<M> parse_manifest(std::string_view json, const ParseOptions &opts) {
  constexpr bool image = std::is_same_v<M, ImageManifest>;
  DocumentArena arena;
  std::unique_ptr<char[]> text;   // the in-situ copy the DOM points into
  bool any_backslash = true;
  if (Status s = parse_document(json, opts, image ? 46 : 0, text, arena.text, arena.doc, any_backslash); !s)
    return std::move(s).error();
  const JValue &root = arena.doc.root();
  std::vector<Diagnostic> diags;
  M m;
  Decoder dec(diags);
  if (!any_backslash) dec.no_escapes();
  if constexpr (image) dec.image_manifest(root, m);
  else dec.pod_manifest(root, m);
  if (!diags.empty()) return Error::invalid(std::move(diags));
  return m;
}

template Result<ImageManifest> parse_manifest<ImageManifest>(std::string_view, const ParseOptions &);
template Result<PodManifest> parse_manifest<PodManifest>(std::string_view, const ParseOptions &);

} // namespace detail

Result<ImageManifest> parse_image_manifest(std::string_view json, const ParseOptions &opts) {
  return detail::parse_manifest<ImageManifest>(json, opts);
}

Result<PodManifest> parse_pod_manifest(std::string_view json, const ParseOptions &opts) {
  return detail::parse_manifest<PodManifest>(json, opts);
}

namespace {

// The common layout, `{"acKind":"ImageManifest"` or `"PodManifest"` first
// (JSON whitespace between the tokens, no escapes): the answer the sniffer
// would give, without a parser. Anything else: nullopt.
std::optional<ManifestKind> leading_kind(std::string_view json) noexcept {
  size_t i = 0;
  auto ws = [&] {
    while (i < json.size() && detail::is_json_space(json[i])) ++i;
  };
  auto lit = [&](std::string_view t) {
    if (json.substr(i, t.size()) != t) return false;
    i += t.size();
    return true;
  };
  ws();
  if (!lit("{")) return std::nullopt;
  ws();
  if (!lit("\"acKind\"")) return std::nullopt;
  ws();
  if (!lit(":")) return std::nullopt;
  ws();
  if (lit("\"ImageManifest\"")) return ManifestKind::image;
  if (lit("\"PodManifest\"")) return ManifestKind::pod;
  return std::nullopt;
}

} // namespace

ManifestKind detect_kind(std::string_view json) noexcept {
  if (std::optional<ManifestKind> k = leading_kind(json)) return *k;
  try {
    std::string kind;
    if (!detail::json::top_level_string(json, "acKind", kind)) return ManifestKind::unknown;
    return kind == "ImageManifest" ? ManifestKind::image : kind == "PodManifest" ? ManifestKind::pod : ManifestKind::unknown;
  } catch (...) {
    return ManifestKind::unknown;   // std::bad_alloc of the copy
  }
}

} // namespace appc::spec
