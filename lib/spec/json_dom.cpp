// Two-stage JSON parser for manifests; see json_dom.hpp for the design.
#include "spec/json_dom.hpp"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

namespace appc::spec::detail::json {

size_t utf8_sequence(const unsigned char *p, size_t avail) noexcept {
  unsigned char c = p[0];
  size_t len;
  unsigned char lo = 0x80, hi = 0xbf;   // bounds of the second byte
  if (c >= 0xc2 && c <= 0xdf) len = 2;
  else if (c == 0xe0) len = 3, lo = 0xa0;
  else if (c == 0xed) len = 3, hi = 0x9f;
  else if (c >= 0xe1 && c <= 0xef) len = 3;
  else if (c == 0xf0) len = 4, lo = 0x90;
  else if (c == 0xf4) len = 4, hi = 0x8f;
  else if (c >= 0xf1 && c <= 0xf3) len = 4;
  else return 0;
  if (avail < len || p[1] < lo || p[1] > hi) return 0;
  for (size_t k = 2; k < len; ++k)
    if (p[k] < 0x80 || p[k] > 0xbf) return 0;
  return len;
}


void *Document::allocate(size_t bytes) {
  bytes = (bytes + 15) & ~size_t{15};
  if (static_cast<size_t>(end_ - cur_) < bytes)
    reserve_chunk(std::max<size_t>(bytes, size_t{64} << 10 << std::min<size_t>(chunks_.size(), 8)));
  void *r = cur_;
  cur_ += bytes;
  return r;
}

namespace {

// A growable array of trivially copyable T with its first N elements inline.
template <class T, size_t N> class SmallVec {
public:
  SmallVec() = default;
  SmallVec(const SmallVec &) = delete;
  SmallVec &operator=(const SmallVec &) = delete;
  T *data() noexcept { return p_; }
  size_t size() const noexcept { return n_; }
  size_t capacity() const noexcept { return cap_; }
  T &operator[](size_t i) noexcept { return p_[i]; }
  T &back() noexcept { return p_[n_ - 1]; }
  const T &back() const noexcept { return p_[n_ - 1]; }
  void push_back(const T &v) {
    if (n_ == cap_) grow(n_ + 1);
    p_[n_++] = v;
  }
  void poback() noexcept { --n_; }
  // A new last element, left uninitialized.
  T &emplace() {
    if (n_ == cap_) grow(n_ + 1);
    return p_[n_++];
  }
  void resize_down(size_t n) noexcept { n_ = n; }
  void set_size(size_t n) noexcept { n_ = n; }
  void reserve(size_t n) {
    if (n > cap_) grow(n);
  }
  // Takes `heap` (room for `cap`) as the storage of an empty vector.
  void adopt(std::unique_ptr<T[]> heap, size_t cap) noexcept {
    heap_ = std::move(heap);
    p_ = heap_.get();
    cap_ = cap;
    n_ = 0;
  }
  // Gives the heap storage away (null when the elements are inline).
  std::unique_ptr<T[]> release(size_t &cap) noexcept {
    cap = cap_;
    p_ = inline_;
    cap_ = N;
    n_ = 0;
    return std::move(heap_);
  }

private:
  void grow(size_t need) {
    size_t cap = std::max(cap_ * 2, need);
    auto heap = std::make_unique_for_overwrite<T[]>(cap);
    std::memcpy(heap.get(), p_, n_ * sizeof(T));
    heap_ = std::move(heap);
    p_ = heap_.get();
    cap_ = cap;
  }
  T inline_[N];
  T *p_ = inline_;
  size_t n_ = 0, cap_ = N;
  std::unique_ptr<T[]> heap_;
};

// Memory a thread keeps between parses, up to kKeep bytes per buffer: big
// texts parsed one after another then reuse warm pages, where the allocator
// would hand blocks this large back to the kernel at every free and the next
// parse would fault them in again (a third of the time of a 1.4 MB manifest
// read from many buffers). The offsets, the tree's largest chunk, and the
// in-situ copy of parse_manifest() (thread_text_buffer).
constexpr size_t kKeep = size_t{4} << 20;
struct Spare {
  std::unique_ptr<char[]> mem;
  size_t size = 0;
};
thread_local Spare t_chunk, t_text;
thread_local std::unique_ptr<uint32_t[]> t_offsets;
thread_local size_t t_offsets_cap = 0;

// Bit i of each mask describes byte i of a 64-byte block. `space`: bytes
// <= 0x20 (the whitespace, as far as structure goes); `control`: bytes
// < 0x20; `odd`: control bytes other than '\n', which stage 1 looks at one
// by one (tab and CR are whitespace, anything else is an error).
struct Masks {
  uint64_t quote, backslash, op, space, control, odd, high;
};

inline Masks classify(const unsigned char *p) noexcept {
  Masks m{};
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), lower = _mm_set1_epi8(0x20),
                lbrace = _mm_set1_epi8('{'), rbrace = _mm_set1_epi8('}'), colon = _mm_set1_epi8(':'),
                comma = _mm_set1_epi8(','), nl = _mm_set1_epi8('\n'), c1f = _mm_set1_epi8(0x1f);
  auto bits = [](__m128i v) { return static_cast<uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(v))); };
  for (int k = 0; k < 4; ++k) {
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p + 16 * k));
    const int sh = 16 * k;
    m.quote |= bits(_mm_cmpeq_epi8(c, quote)) << sh;
    m.backslash |= bits(_mm_cmpeq_epi8(c, backslash)) << sh;
    // '[' 0x5b / '{' 0x7b and ']' 0x5d / '}' 0x7d differ from their pair in bit 0x20 only
    const __m128i folded = _mm_or_si128(c, lower);
    const __m128i op = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(folded, lbrace), _mm_cmpeq_epi8(folded, rbrace)),
                                    _mm_or_si128(_mm_cmpeq_epi8(c, colon), _mm_cmpeq_epi8(c, comma)));
    m.op |= bits(op) << sh;
    m.space |= bits(_mm_cmpeq_epi8(_mm_max_epu8(c, lower), lower)) << sh;   // c <= 0x20
    const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(c, c1f), c1f);     // c <= 0x1f
    m.control |= bits(control) << sh;
    m.odd |= bits(_mm_andnot_si128(_mm_cmpeq_epi8(c, nl), control)) << sh;
    m.high |= bits(c) << sh;
  }
#else
  for (int i = 0; i < 64; ++i) {
    const uint64_t b = uint64_t{1} << i;
    const unsigned char c = p[i];
    if (c == '"') m.quote |= b;
    if (c == '\\') m.backslash |= b;
    if (c == '{' || c == '}' || c == '[' || c == ']' || c == ':' || c == ',') m.op |= b;
    if (c <= 0x20) m.space |= b;
    if (c < 0x20) m.control |= b;
    if (c < 0x20 && c != '\n') m.odd |= b;
    if (c >= 0x80) m.high |= b;
  }
#endif
  return m;
}

inline unsigned hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
  return 16;
}

inline bool is_digit(char c) noexcept { return static_cast<unsigned char>(c - '0') < 10; }

// Room for the structural offsets of a 4 KB text in place (a manifest
// rarely has more than one per 4 bytes).
using Indices = SmallVec<uint32_t, 1024>;

#define STAGE1_NAME stage1_baseline
#define STAGE1_AVX2 0
#include "spec/json_stage1.inc"
#undef STAGE1_NAME
#undef STAGE1_AVX2

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_STAGE1_AVX2 1
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,bmi,bmi2,popcnt,lzcnt"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,bmi,bmi2,popcnt,lzcnt")
#endif
#define STAGE1_NAME stage1_avx2
#define STAGE1_AVX2 1
#include "spec/json_stage1.inc"
#undef STAGE1_NAME
#undef STAGE1_AVX2
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif

std::atomic<Stage1> g_stage1{Stage1::automatic};

bool cpu_has_avx2() noexcept {
#if HAVE_STAGE1_AVX2
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2") &&
                           __builtin_cpu_supports("popcnt");
  return avx2;
#else
  return false;
#endif
}

// The stage 1 this CPU runs best, chosen once (unless a test forces one).
void stage1(const char *text, size_t n, Indices &out, ParseError &err, bool &any_backslash) {
#if HAVE_STAGE1_AVX2
  const Stage1 forced = g_stage1.load(std::memory_order_relaxed);
  if (forced != Stage1::baseline && cpu_has_avx2()) return stage1_avx2(text, n, out, err, any_backslash);
#endif
  stage1_baseline(text, n, out, err, any_backslash);
}

} // namespace

// Stage 2: the grammar over the structural offsets, building the tree.
class Parser {
public:
  Parser(Document &doc, char *text, size_t n, const uint32_t *idx, unsigned max_depth, const ParseError &stage1,
         bool any_backslash) noexcept
      : doc_(doc), text_(text), n_(n), idx_(idx), max_depth_(max_depth), stage1_(stage1),
        any_backslash_(any_backslash) {}

  ParseError run(Value &root);
  void reserve_values(size_t n) { values_.reserve(n); }
  // The string value of the first top-level member named `key` of an object
  // text, looking no further than that member; false when there is none
  // before the end of the object or the first problem, or it is not a string.
  bool top_level_string(std::string_view key, std::string &out);

private:
  struct Frame {
    uint32_t base;   // first child's place on the value stack
    bool object;
  };

  ParseError fail(rapidjson::ParseErrorCode code, size_t at) const noexcept {
    // At the sentinel of a stage 1 problem, that problem is the answer.
    if (stage1_.what != ParseError::none && at >= stage1_.offset) return stage1_;
    ParseError e;
    e.what = ParseError::syntax;
    e.code = code;
    e.offset = std::min(at, n_);
    return e;
  }
  ParseError too_deep(size_t at) const noexcept {
    ParseError e;
    e.what = ParseError::too_deep;
    e.offset = at;
    return e;
  }
  // What a byte where a ',' or a closing bracket belongs gets.
  ParseError unexpected_after_value(size_t at) const noexcept {
    if (frames_.size() == 0) return fail(rapidjson::kParseErrorDocumentRootNotSingular, at);
    return fail(frames_.back().object ? rapidjson::kParseErrorObjectMissCommaOrCurlyBracket
                                        : rapidjson::kParseErrorArrayMissCommaOrSquareBracket,
                at);
  }
  bool string(uint32_t open, Value &out, ParseError &e);
  bool number(uint32_t at, Value &out, ParseError &e);
  void close(bool object);
  static bool is_delimiter(char c) noexcept {
    switch (c) {
    case ' ': case '\t': case '\n': case '\r': case ',': case ']': case '}': case ':': case '"': case '[':
    case '{': case '\0': return true;
    default: return false;
    }
  }

  Document &doc_;
  char *text_;
  size_t n_;
  const uint32_t *idx_;
  size_t k_ = 0;
  unsigned max_depth_;
  ParseError stage1_;
  bool any_backslash_;
  SmallVec<Frame, 64> frames_;
  SmallVec<Value, 512> values_;
};

void Parser::close(bool object) {
  const Frame f = frames_.back();
  frames_.poback();
  const size_t count = values_.size() - f.base;
  Value v;
  v.type_ = object ? Type::object : Type::array;
  v.flags_ = 0;
  v.n_ = static_cast<uint32_t>(object ? count / 2 : count);
  if (count) {
    auto *mem = static_cast<Value *>(doc_.allocate(count * sizeof(Value)));
    std::memcpy(static_cast<void *>(mem), values_.data() + f.base, count * sizeof(Value));
    v.u_.a = mem;
  } else {
    v.u_.a = nullptr;
  }
  values_.resize_down(f.base);
  values_.emplace() = v;
}

bool Parser::string(uint32_t open, Value &out, ParseError &e) {
  const uint32_t close = idx_[k_++];
  if (text_[close] != '"' || close <= open) {
    e = fail(rapidjson::kParseErrorStringMissQuotationMark, close);
    return false;
  }
  char *const begin = text_ + open + 1, *const end = text_ + close;
  char *dst = end;
  if (any_backslash_) {
    char *bs = static_cast<char *>(std::memchr(begin, '\\', static_cast<size_t>(end - begin)));
    if (bs) {
      dst = bs;
      const char *src = bs;
      while (src < end) {
        if (*src != '\\') {
          *dst++ = *src++;
          continue;
        }
        const size_t esc_at = static_cast<size_t>(src - text_);
        switch (src[1]) {
        case '"': *dst++ = '"'; src += 2; continue;
        case '\\': *dst++ = '\\'; src += 2; continue;
        case '/': *dst++ = '/'; src += 2; continue;
        case 'b': *dst++ = '\b'; src += 2; continue;
        case 'f': *dst++ = '\f'; src += 2; continue;
        case 'n': *dst++ = '\n'; src += 2; continue;
        case 'r': *dst++ = '\r'; src += 2; continue;
        case 't': *dst++ = '\t'; src += 2; continue;
        case 'u': break;
        default:
          e = fail(rapidjson::kParseErrorStringEscapeInvalid, esc_at);
          return false;
        }
        auto hex4 = [&](const char *p, unsigned &cp) {
          cp = 0;
          for (int i = 0; i < 4; ++i) {   // stops at the closing quote: not a hex digit
            const unsigned d = hex_value(p[i]);
            if (d > 15) return false;
            cp = cp << 4 | d;
          }
          return true;
        };
        unsigned cp;
        if (!hex4(src + 2, cp)) {
          e = fail(rapidjson::kParseErrorStringUnicodeEscapeInvalidHex, esc_at);
          return false;
        }
        src += 6;
        if (cp >= 0xdc00 && cp <= 0xdfff) {
          e.what = ParseError::lone_low_surrogate;
          e.offset = esc_at;
          if (stage1_.what != ParseError::none && esc_at >= stage1_.offset) e = stage1_;
          return false;
        }
        if (cp >= 0xd800 && cp <= 0xdbff) {
          unsigned low;
          if (src[0] != '\\' || src[1] != 'u' || !hex4(src + 2, low) || low < 0xdc00 || low > 0xdfff) {
            e = fail(rapidjson::kParseErrorStringUnicodeSurrogateInvalid, esc_at);
            return false;
          }
          src += 6;
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        }
        if (cp < 0x80) {
          *dst++ = static_cast<char>(cp);
        } else if (cp < 0x800) {
          *dst++ = static_cast<char>(0xc0 | cp >> 6);
          *dst++ = static_cast<char>(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
          *dst++ = static_cast<char>(0xe0 | cp >> 12);
          *dst++ = static_cast<char>(0x80 | (cp >> 6 & 0x3f));
          *dst++ = static_cast<char>(0x80 | (cp & 0x3f));
        } else {
          *dst++ = static_cast<char>(0xf0 | cp >> 18);
          *dst++ = static_cast<char>(0x80 | (cp >> 12 & 0x3f));
          *dst++ = static_cast<char>(0x80 | (cp >> 6 & 0x3f));
          *dst++ = static_cast<char>(0x80 | (cp & 0x3f));
        }
      }
    }
  }
  *dst = '\0';
  out.type_ = Type::string;
  out.flags_ = 0;
  out.n_ = static_cast<uint32_t>(dst - begin);
  out.u_.s = begin;
  return true;
}

bool Parser::number(uint32_t at, Value &out, ParseError &e) {
  const char *const start = text_ + at;
  const char *s = start;
  const bool neg = *s == '-';
  if (neg) ++s;
  uint64_t v = 0;
  bool is_double = false, overflow = false;
  const char *const int_begin = s;
  if (*s == '0') {
    ++s;
  } else if (*s >= '1' && *s <= '9') {
    while (is_digit(*s)) {
      const unsigned d = static_cast<unsigned>(*s - '0');
      if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) overflow = true;
      else v = v * 10 + d;
      ++s;
    }
  } else {
    e = fail(rapidjson::kParseErrorValueInvalid, at);
    return false;
  }
  const char *const int_end = s;
  int64_t frac_zeros = -1;   // leading zeros of the fraction when the integer part is 0
  if (*s == '.') {
    ++s;
    if (!is_digit(*s)) {
      e = fail(rapidjson::kParseErrorNumberMissFraction, static_cast<size_t>(s - text_));
      return false;
    }
    const char *f = s;
    while (is_digit(*s)) ++s;
    is_double = true;
    frac_zeros = 0;
    while (f < s && *f == '0') ++f, ++frac_zeros;
  }
  int64_t exp10 = 0;
  if (*s == 'e' || *s == 'E') {
    ++s;
    bool eneg = false;
    if (*s == '+' || *s == '-') eneg = *s++ == '-';
    if (!is_digit(*s)) {
      e = fail(rapidjson::kParseErrorNumberMissExponent, static_cast<size_t>(s - text_));
      return false;
    }
    while (is_digit(*s)) {
      if (exp10 < 100000000) exp10 = exp10 * 10 + (*s - '0');
      ++s;
    }
    if (eneg) exp10 = -exp10;
    is_double = true;
  }
  if (!is_delimiter(*s)) {
    e = unexpected_after_value(static_cast<size_t>(s - text_));
    return false;
  }
  out.type_ = Type::number;
  out.n_ = 0;
  if (!is_double && !overflow) {
    if (!neg) {
      out.u_.u = v;
      out.flags_ = v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ? (Value::kInt64 | Value::kUint64)
                                                                                   : Value::kUint64;
      return true;
    }
    if (v <= uint64_t{1} << 63) {
      out.u_.i = v == uint64_t{1} << 63 ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(v);
      out.flags_ = v == 0 ? (Value::kInt64 | Value::kUint64) : Value::kInt64;   // "-0" is the integer 0
      return true;
    }
  }
  double d = 0;
  auto r = std::from_chars(start, s, d);
  if (r.ec == std::errc::result_out_of_range) {
    // Overflow or underflow: the decimal exponent of the leading digit tells.
    const char *p = int_begin;
    while (p < int_end && *p == '0') ++p;
    const int64_t lead = p < int_end ? (int_end - p) - 1 : -(frac_zeros < 0 ? 0 : frac_zeros) - 1;
    if (lead + exp10 > 0) {
      e = fail(rapidjson::kParseErrorNumberTooBig, at);
      return false;
    }
    d = neg ? -0.0 : 0.0;
  } else if (r.ec != std::errc() || r.ptr != s) {
    e = fail(rapidjson::kParseErrorValueInvalid, at);
    return false;
  }
  out.u_.d = d;
  out.flags_ = Value::kDouble;
  return true;
}

ParseError Parser::run(Value &root) {
  ParseError e;
  uint32_t at;
value:
  at = idx_[k_++];
  switch (text_[at]) {
  case '{':
    if (frames_.size() >= max_depth_) return too_deep(at);
    frames_.push_back({static_cast<uint32_t>(values_.size()), true});
    at = idx_[k_++];
    if (text_[at] == '}') {
      close(true);
      goto after_value;
    }
    if (text_[at] != '"') return fail(rapidjson::kParseErrorObjectMissName, at);
    goto key;
  case '[':
    if (frames_.size() >= max_depth_) return too_deep(at);
    frames_.push_back({static_cast<uint32_t>(values_.size()), false});
    if (text_[idx_[k_]] == ']') {
      ++k_;
      close(false);
      goto after_value;
    }
    goto value;
  case '"':
    if (!string(at, values_.emplace(), e)) return e;
    goto after_value;
  case 't':
  case 'f':
  case 'n': {
    const char c = text_[at];
    const char *word = c == 't' ? "true" : c == 'f' ? "false" : "null";
    const size_t len = c == 'f' ? 5 : 4;
    if (std::memcmp(text_ + at, word, len) != 0) return fail(rapidjson::kParseErrorValueInvalid, at);
    if (!is_delimiter(text_[at + len])) return unexpected_after_value(at + len);
    Value &v = values_.emplace();
    v.type_ = c == 't' ? Type::true_value : c == 'f' ? Type::false_value : Type::null_value;
    v.flags_ = 0;
    v.n_ = 0;
    v.u_.u = 0;
    goto after_value;
  }
  case '-':
  case '0':
  case '1':
  case '2':
  case '3':
  case '4':
  case '5':
  case '6':
  case '7':
  case '8':
  case '9':
    if (!number(at, values_.emplace(), e)) return e;
    goto after_value;
  default:
    if (at >= n_ && frames_.size() == 0 && values_.size() == 0)
      return fail(rapidjson::kParseErrorDocumentEmpty, at);
    return fail(rapidjson::kParseErrorValueInvalid, at);
  }

key:   // `at` is a key's opening quote
  if (!string(at, values_.emplace(), e)) return e;
  at = idx_[k_++];
  if (text_[at] != ':') return fail(rapidjson::kParseErrorObjectMissColon, at);
  goto value;

after_value:
  if (frames_.size() == 0) {
    at = idx_[k_];
    if (at != n_) return fail(rapidjson::kParseErrorDocumentRootNotSingular, at);
    root = values_[0];
    return {};
  }
  at = idx_[k_++];
  if (frames_.back().object) {
    if (text_[at] == ',') {
      at = idx_[k_++];
      if (text_[at] != '"') return fail(rapidjson::kParseErrorObjectMissName, at);
      goto key;
    }
    if (text_[at] == '}') {
      close(true);
      goto after_value;
    }
    return fail(rapidjson::kParseErrorObjectMissCommaOrCurlyBracket, at);
  }
  if (text_[at] == ',') goto value;
  if (text_[at] == ']') {
    close(false);
    goto after_value;
  }
  return fail(rapidjson::kParseErrorArrayMissCommaOrSquareBracket, at);
}

bool Parser::top_level_string(std::string_view key, std::string &out) {
  const size_t end = stage1_.what != ParseError::none ? stage1_.offset : n_;
  ParseError e;
  Value v;
  if (text_[idx_[k_++]] != '{') return false;
  size_t depth = 1;
  bool expect_key = true;
  while (true) {
    const uint32_t at = idx_[k_++];
    if (at >= end) return false;
    switch (text_[at]) {
    case '{':
    case '[': ++depth; break;
    case '}':
    case ']':
      if (--depth == 0) return false;
      break;
    case ',':
      if (depth == 1) expect_key = true;
      break;
    case '"':
      if (depth == 1 && expect_key) {
        expect_key = false;
        if (!string(at, v, e)) return false;
        const uint32_t colon = idx_[k_++];
        if (colon >= end || text_[colon] != ':') return false;
        if (std::string_view(v.GetString(), v.GetStringLength()) != key) break;
        const uint32_t value = idx_[k_++];
        if (value >= end || text_[value] != '"' || !string(value, v, e)) return false;
        out.assign(v.GetString(), v.GetStringLength());
        return true;
      }
      if (idx_[k_++] >= end) return false;   // its closing quote
      break;
    default: break;   // numbers and literals
    }
  }
}

bool top_level_string(std::string_view text, std::string_view key, std::string &out) {
  if (text.size() > std::numeric_limits<uint32_t>::max() - kPadding) return false;
  auto copy = std::make_unique_for_overwrite<char[]>(text.size() + kPadding);
  std::memcpy(copy.get(), text.data(), text.size());
  std::memset(copy.get() + text.size(), 0, kPadding);
  Indices idx;
  ParseError err;
  bool backslash = false;
  stage1(copy.get(), text.size(), idx, err, backslash);
  Document unused;
  Parser p(unused, copy.get(), text.size(), idx.data(), 0, err, backslash);
  return p.top_level_string(key, out);
}

ParseError Document::parse(char *text, size_t size, unsigned max_depth, bool *any_backslash) {
  ParseError err;
  if (size > std::numeric_limits<uint32_t>::max() - kPadding) {
    err.what = ParseError::too_big;   // offsets are 32-bit
    err.offset = 0;
    return err;
  }
  std::memset(text + size, 0, kPadding);
  // Manifests have about one structural byte in five: room for one in four
  // up front (in place up to 4 KB of text), so big texts do not grow the
  // offsets through a series of copies; denser texts still grow as needed.
  Indices idx;
  const size_t want = size / 4 + 72;
  if (want > idx.capacity()) {
    if (t_offsets && t_offsets_cap >= want) idx.adopt(std::move(t_offsets), t_offsets_cap);
    else idx.reserve(want);
  }
  bool backslash = false;
  stage1(text, size, idx, err, backslash);
  if (any_backslash) *any_backslash = backslash;
  Parser p(*this, text, size, idx.data(), max_depth, err, backslash);
  const ParseError result = p.run(root_);
  size_t cap = 0;
  if (std::unique_ptr<uint32_t[]> heap = idx.release(cap);
      heap && cap * sizeof(uint32_t) <= kKeep && cap > t_offsets_cap) {
    t_offsets = std::move(heap);
    t_offsets_cap = cap;
  }
  return result;
}

} // namespace appc::spec::detail::json

namespace appc::spec::detail::json {

void Document::reserve_chunk(size_t bytes) {
  if (t_chunk.mem && t_chunk.size >= bytes + 15) {
    bytes = t_chunk.size - 15;
    chunks_.push_back({std::move(t_chunk.mem), t_chunk.size});
    t_chunk.size = 0;
  } else {
    chunks_.push_back({std::make_unique_for_overwrite<char[]>(bytes + 15), bytes + 15});
  }
  char *p = chunks_.back().first.get();
  cur_ = reinterpret_cast<char *>((reinterpret_cast<uintptr_t>(p) + 15) & ~uintptr_t{15});
  end_ = cur_ + bytes;
}

Document::~Document() {
  // The largest chunk goes back to the thread for the next document.
  Chunk *best = nullptr;
  for (Chunk &c : chunks_)
    if (c.second <= kKeep && (!best || c.second > best->second)) best = &c;
  if (best && best->second > t_chunk.size) {
    t_chunk.mem = std::move(best->first);
    t_chunk.size = best->second;
  }
}

char *thread_text_buffer(size_t bytes) {
  if (bytes > kKeep) return nullptr;
  if (t_text.size < bytes) {
    t_text.mem = std::make_unique_for_overwrite<char[]>(bytes);
    t_text.size = bytes;
  }
  return t_text.mem.get();
}

bool force_stage1(Stage1 which) noexcept {
  if (which == Stage1::avx2 && !cpu_has_avx2()) return false;
  g_stage1.store(which, std::memory_order_relaxed);
  return true;
}

ParseError Document::parse(std::string_view text, unsigned max_depth) {
  text_ = std::make_unique_for_overwrite<char[]>(text.size() + kPadding);
  std::memcpy(text_.get(), text.data(), text.size());
  return parse(text_.get(), text.size(), max_depth, nullptr);
}

const char *error_text(const ParseError &e) noexcept {
  switch (e.what) {
  case ParseError::none: return "no error";
  case ParseError::syntax: return rapidjson::GetParseError_En(e.code);
  case ParseError::too_deep: return "nesting deeper than the limit";
  case ParseError::too_big: return "text too large to address";
  case ParseError::bad_utf8: return "invalid UTF-8";
  case ParseError::nul: return "a NUL byte";
  case ParseError::lone_low_surrogate: return "a lone UTF-16 low surrogate escape";
  }
  return "unknown error";
}

} // namespace appc::spec::detail::json
