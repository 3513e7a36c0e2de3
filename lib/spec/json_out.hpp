// JSON output for the canonical form: a compact writer into a growable
// buffer (JsonOut), and an adapter with the subset of RapidJSON's Writer
// interface the isolator encoders use (JsonWriter), so that isolator values
// are written straight into the manifest's output. Private to lib/spec.
#pragma once

#include <rapidjson/rapidjson.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace appc::spec::detail {

// A compact JSON writer straight into a std::string: the canonical form is
// fixed, so commas and keys are written by the code below, and strings are
// escaped as RapidJSON's Writer escapes them (\b \t \n \f \r, other control
// characters as \u00XX, '"' and '\\'; everything else verbatim).
class JsonOut {
public:
  JsonOut() = default;
  JsonOut(const JsonOut &) = delete;
  JsonOut &operator=(const JsonOut &) = delete;
  ~JsonOut() {
    if (data_ != inline_) std::free(data_);
  }

  void put(char c) { *room(1) = c, ++len_; }
  void raw(std::string_view v) {
    std::memcpy(room(v.size()), v.data(), v.size());
    len_ += v.size();
  }

  void str(std::string_view v) {
    static constexpr char hex[] = "0123456789ABCDEF";
    char *w = room(v.size() * 6 + 2), *start = w;   // worst case: every byte as \u00XX
    *w++ = '"';
    const char *p = v.data(), *const end = p + v.size();
    while (true) {
      const char *plain = plain_end(p, end);   // a run with nothing to escape: copied at once
      std::memcpy(w, p, static_cast<size_t>(plain - p));
      w += plain - p;
      if (plain == end) break;
      const unsigned char c = static_cast<unsigned char>(*plain);
      const char e = kEscape[c];
      if (e == 'u') {
        w[0] = '\\', w[1] = 'u', w[2] = '0', w[3] = '0', w[4] = hex[c >> 4], w[5] = hex[c & 15];
        w += 6;
      } else {
        w[0] = '\\', w[1] = e;
        w += 2;
      }
      p = plain + 1;
    }
    *w++ = '"';
    len_ += static_cast<size_t>(w - start);
  }

  template <class T> void num(T v) {
    char *w = room(24);
    len_ += static_cast<size_t>(std::to_chars(w, w + 24, v).ptr - w);
  }
  void boolean(bool b) { raw(b ? "true" : "false"); }

  std::string take() && { return std::string(data_, len_); }

private:
  // What each byte is written as: 0 verbatim, else the letter after the backslash ('u': \u00XX).
  static constexpr auto kEscape = [] {
    std::array<char, 256> t{};
    for (int c = 0; c < 0x20; ++c) t[c] = 'u';
    t['\b'] = 'b';
    t['\t'] = 't';
    t['\n'] = 'n';
    t['\f'] = 'f';
    t['\r'] = 'r';
    t['"'] = '"';
    t['\\'] = '\\';
    return t;
  }();

  // The first byte in [p, end) that needs an escape, or end.
  static const char *plain_end(const char *p, const char *end) noexcept {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), control = _mm_set1_epi8(0x1f);
    for (; end - p >= 16; p += 16) {
      const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
      const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(c, quote), _mm_cmpeq_epi8(c, backslash)),
                                       _mm_cmpeq_epi8(_mm_max_epu8(c, control), control));   // c < 0x20
      if (const unsigned bits = static_cast<unsigned>(_mm_movemask_epi8(hit))) return p + __builtin_ctz(bits);
    }
#endif
    while (p != end && !kEscape[static_cast<unsigned char>(*p)]) ++p;
    return p;
  }

  // Space for n more bytes at the end of the output.
  // The check is inlined into every write; growing is not.
  char *room(size_t n) {
    if (size_ - len_ < n) [[unlikely]]
      grow(n);
    return data_ + len_;
  }
  // A plain buffer, not a std::string: growing a string zero-fills the new
  // room, which the writes then overwrite; realloc may move a large buffer
  // without copying. take() copies the output once. A manifest of a few KB
  // stays in the inline buffer (on the caller's stack): no heap but the result.
  [[gnu::noinline]] void grow(size_t n) {
    const size_t size = std::max(size_ * 2, len_ + n + 4096);
    char *p;
    if (data_ == inline_) {
      p = static_cast<char *>(std::malloc(size));
      if (p != nullptr) std::memcpy(p, data_, len_);
    } else {
      p = static_cast<char *>(std::realloc(data_, size));
    }
    if (p == nullptr) throw std::bad_alloc();
    data_ = p;
    size_ = size;
  }
  char inline_[8192];
  char *data_ = inline_;
  size_t size_ = sizeof inline_;
  size_t len_ = 0;
};

// RapidJSON's Writer interface over a JsonOut: separators by nesting level
// (up to 63 levels), strings escaped as RapidJSON escapes them. No checks of
// the sequence of calls: the encoders are ours.
class JsonWriter {
public:
  explicit JsonWriter(JsonOut &o) noexcept : o_(o) {}

  bool StartObject() { return open('{'); }
  bool EndObject(size_t = 0) { return close('}'); }
  bool StartArray() { return open('['); }
  bool EndArray(size_t = 0) { return close(']'); }
  bool Key(const char *s, size_t n, bool = false) {
    value();
    o_.str(std::string_view(s, n));
    o_.put(':');
    after_key_ = true;
    return true;
  }
  bool Key(const char *s) { return Key(s, std::strlen(s)); }
  bool String(const char *s, size_t n, bool = false) {
    value();
    o_.str(std::string_view(s, n));
    return true;
  }
  bool Bool(bool b) {
    value();
    o_.boolean(b);
    return true;
  }
  bool Null() {
    value();
    o_.raw("null");
    return true;
  }
  bool Int64(int64_t v) {
    value();
    o_.num(v);
    return true;
  }
  bool Uint64(uint64_t v) {
    value();
    o_.num(v);
    return true;
  }
  // `json` is one compact JSON value, written as it is.
  bool RawValue(const char *json, size_t n, rapidjson::Type) {
    value();
    o_.raw(std::string_view(json, n));
    return true;
  }

private:
  // Before a value or key: the comma after a previous sibling.
  void value() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    const uint64_t bit = uint64_t{1} << depth_;
    if (has_items_ & bit) o_.put(',');
    has_items_ |= bit;
  }
  bool open(char c) {
    value();
    o_.put(c);
    ++depth_;
    has_items_ &= ~(uint64_t{1} << depth_);
    return true;
  }
  bool close(char c) {
    --depth_;
    o_.put(c);
    return true;
  }

  JsonOut &o_;
  uint64_t has_items_ = 0;   // bit d: level d has an item already
  unsigned depth_ = 0;
  bool after_key_ = false;
};

} // namespace appc::spec::detail
