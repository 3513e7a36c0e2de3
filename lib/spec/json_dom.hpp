// The manifest parser's DOM: a read-only JSON tree built in two stages over an
// in-situ copy of the text (the simdjson design, sized for manifests).
//
// Stage 1 classifies 64 bytes at a time with SSE2 into bit masks (quotes,
// backslashes, brackets, whitespace, ...), computes which bytes are inside
// strings from a prefix XOR of the unescaped quotes, checks UTF-8, NUL bytes
// and control characters in strings, and writes the offsets of the structural
// bytes: { } [ ] : , both quotes of each string, and the first byte of each
// number or literal. Stage 2 walks those offsets with an explicit stack (no
// recursion, so nesting only costs the configured bound), checks the grammar
// and builds the tree. Whitespace and string contents are never looked at
// byte by byte. Strings stay in the copy, NUL-terminated in place; escaped
// ones are decoded in place.
//
// Errors name RapidJSON's parse error codes and texts (docs and tests quote
// them) and the byte offset of the first problem in the text. Private to
// lib/spec.
#pragma once

#include <rapidjson/error/error.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace appc::spec::detail::json {

enum class Type : uint8_t { null_value, false_value, true_value, object, array, string, number };

struct Member;

// 16 bytes, as RapidJSON's. The accessors carry RapidJSON's names, so the
// decoder reads like the RapidJSON code it replaced.
class Value {
public:
  Type GetType() const noexcept { return type_; }
  bool IsNull() const noexcept { return type_ == Type::null_value; }
  bool IsBool() const noexcept { return type_ == Type::false_value || type_ == Type::true_value; }
  bool IsObject() const noexcept { return type_ == Type::object; }
  bool IsArray() const noexcept { return type_ == Type::array; }
  bool IsString() const noexcept { return type_ == Type::string; }
  bool IsNumber() const noexcept { return type_ == Type::number; }
  // Integers (no fraction, no exponent) within int64_t / uint64_t.
  bool IsInt64() const noexcept { return type_ == Type::number && (flags_ & kInt64); }
  bool IsUint64() const noexcept { return type_ == Type::number && (flags_ & kUint64); }

  bool GetBool() const noexcept { return type_ == Type::true_value; }
  int64_t GetInt64() const noexcept { return u_.i; }
  uint64_t GetUint64() const noexcept { return u_.u; }
  double GetDouble() const noexcept {
    if (flags_ & kDouble) return u_.d;
    return (flags_ & kInt64) ? static_cast<double>(u_.i) : static_cast<double>(u_.u);
  }
  // NUL-terminated; may hold NULs from \u0000 escapes (GetStringLength counts them).
  const char *GetString() const noexcept { return u_.s; }
  uint32_t GetStringLength() const noexcept { return n_; }

  uint32_t Size() const noexcept { return n_; }
  const Value &operator[](size_t i) const noexcept { return u_.a[i]; }
  const Value *Begin() const noexcept { return u_.a; }
  const Value *End() const noexcept { return u_.a + n_; }

  uint32_t MemberCount() const noexcept { return n_; }
  const Member *MemberBegin() const noexcept { return u_.m; }
  const Member *MemberEnd() const noexcept;
  bool HasMember(const char *name) const noexcept;
  bool Empty() const noexcept { return n_ == 0; }
  // The value of the first member named `name`, or nullptr.
  const Value *Find(std::string_view name) const noexcept;

  // Replays the value as SAX events to a RapidJSON-style handler (a Writer).
  template <class H> bool Accept(H &h) const;

private:
  friend class Parser;
  enum : uint8_t { kInt64 = 1, kUint64 = 2, kDouble = 4 };
  union U {
    const char *s;
    const Value *a;
    const Member *m;
    int64_t i;
    uint64_t u;
    double d;
  } u_;
  uint32_t n_;
  Type type_;
  uint8_t flags_;
};
static_assert(sizeof(Value) == 16);

struct Member {
  Value name;
  Value value;
};

inline const Member *Value::MemberEnd() const noexcept { return u_.m + n_; }

inline bool Value::HasMember(const char *name) const noexcept {
  const size_t len = std::strlen(name);
  for (const Member *m = MemberBegin(), *e = MemberEnd(); m != e; ++m)
    if (m->name.n_ == len && std::memcmp(m->name.u_.s, name, len) == 0) return true;
  return false;
}

inline const Value *Value::Find(std::string_view name) const noexcept {
  for (const Member *m = MemberBegin(), *e = MemberEnd(); m != e; ++m)
    if (m->name.n_ == name.size() && std::memcmp(m->name.u_.s, name.data(), name.size()) == 0) return &m->value;
  return nullptr;
}

template <class H> bool Value::Accept(H &h) const {
  switch (type_) {
  case Type::null_value: return h.Null();
  case Type::false_value: return h.Bool(false);
  case Type::true_value: return h.Bool(true);
  case Type::string: return h.String(u_.s, n_, false);
  case Type::number:
    if (flags_ & kDouble) return h.Double(u_.d);
    if (flags_ & kInt64) return h.Int64(u_.i);
    return h.Uint64(u_.u);
  case Type::array:
    if (!h.StartArray()) return false;
    for (const Value *v = Begin(); v != End(); ++v)
      if (!v->Accept(h)) return false;
    return h.EndArray(n_);
  case Type::object:
    if (!h.StartObject()) return false;
    for (const Member *m = MemberBegin(); m != MemberEnd(); ++m) {
      if (!h.Key(m->name.u_.s, m->name.n_, false)) return false;
      if (!m->value.Accept(h)) return false;
    }
    return h.EndObject(n_);
  }
  return false;
}

// What went wrong, where (a byte offset into the text).
struct ParseError {
  enum What { none, syntax, too_deep, too_big, bad_utf8, nul, lone_low_surrogate } what = none;
  rapidjson::ParseErrorCode code = rapidjson::kParseErrorNone;   // for `syntax`
  size_t offset = 0;
};

// Length of the well-formed UTF-8 sequence at p[0] (a byte >= 0x80), or 0
// (Unicode 15, table 3-7: no overlong forms, no surrogates, <= U+10FFFF).
size_t utf8_sequence(const unsigned char *p, size_t avail) noexcept;

// Bit i set: bits 0..i of x have an odd number of ones (with x the quotes
// of a block: the bytes inside strings). Shared with decode.cpp's prescan().
inline uint64_t prefix_xor(uint64_t x) noexcept {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

// The index of the lowest set bit of x (x != 0).
inline unsigned lowest(uint64_t x) noexcept { return static_cast<unsigned>(__builtin_ctzll(x)); }

// Bytes of NUL padding the parser needs after the text in its buffer.
inline constexpr size_t kPadding = 64;

// A parsed document: the root value and the memory behind the tree. Small
// documents (the first chunks) live in the object itself, so parsing one of a
// few KB touches the heap only for the decoder's own results.
class Document {
public:
  Document() = default;
  ~Document();
  Document(const Document &) = delete;
  Document &operator=(const Document &) = delete;

  // Parses `text` (text.size() bytes followed by at least kPadding writable
  // bytes, all of which are overwritten) in place. `max_depth` bounds the
  // nesting of arrays and objects. On failure the error says what and where;
  // on success *any_backslash tells whether the text held a backslash.
  ParseError parse(char *text, size_t size, unsigned max_depth, bool *any_backslash);

  // Parses a copy of `text`, held by the document.
  ParseError parse(std::string_view text, unsigned max_depth);

  const Value &root() const noexcept { return root_; }

  // Bump allocation of tree nodes (16-byte aligned).
  void *allocate(size_t bytes);

private:
  void reserve_chunk(size_t bytes);

  Value root_{};
  alignas(16) char first_chunk_[16384];
  char *cur_ = first_chunk_;
  char *end_ = first_chunk_ + sizeof first_chunk_;
  using Chunk = std::pair<std::unique_ptr<char[]>, size_t>;
  std::vector<Chunk> chunks_;
  std::unique_ptr<char[]> text_;   // the copy parse(string_view) works in
};

// A buffer of at least `bytes` for the in-situ copy of a manifest, kept by
// the calling thread for its next parse (null past 4 MiB: the caller then
// allocates its own). Valid until the next call on the same thread.
char *thread_text_buffer(size_t bytes);

// The string value of the first top-level member named `key` of the object
// `text`, without parsing past it (a syntax error after it does not matter).
// False when there is none, it is not a string, or the text breaks before it.
bool top_level_string(std::string_view text, std::string_view key, std::string &out);

// Which stage 1 runs: the best the CPU has (the default), or one forced by
// tests so that both are checked on any machine. False (and no change) when
// the CPU lacks the one asked for. Process-wide.
enum class Stage1 { automatic, baseline, avx2 };
bool force_stage1(Stage1 which) noexcept;

// The reason of a failed parse, for messages (RapidJSON's text for syntax errors).
const char *error_text(const ParseError &e) noexcept;

} // namespace appc::spec::detail::json
