// The manifest parser (lib/spec/json_dom.*): its verdicts and trees against
// RapidJSON's on seeded mutations of the corpus, with both stage 1 variants
// (baseline SSE2 and AVX2, where the CPU has it), and the cases each rule of
// the grammar, the escapes and the numbers need. Spec 46: a manifest is JSON.
#include "spec/json_dom.hpp"
#include "spec/manifest.hpp"

#include <doctest/doctest.h>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace appc::spec::detail;

namespace {

struct Parsed {
  std::unique_ptr<json::Document> doc = std::make_unique<json::Document>();
  json::ParseError error;
};

Parsed parse(std::string_view text, unsigned max_depth = 1u << 20) {
  Parsed p;
  p.error = p.doc->parse(text, max_depth);
  return p;
}

bool ok(const Parsed &p) { return p.error.what == json::ParseError::none; }

// Restores automatic stage 1 selection when a test ends, even a failed one.
struct Stage1Scope {
  explicit Stage1Scope(json::Stage1 s) { active = json::force_stage1(s); }
  ~Stage1Scope() { json::force_stage1(json::Stage1::automatic); }
  bool active;
};

std::vector<json::Stage1> variants() {
  std::vector<json::Stage1> v{json::Stage1::baseline};
  if (json::force_stage1(json::Stage1::avx2)) v.push_back(json::Stage1::avx2);
  json::force_stage1(json::Stage1::automatic);
  return v;
}

const char *name(json::Stage1 s) { return s == json::Stage1::avx2 ? "avx2" : "baseline"; }

// The same value in both trees? RapidJSON's default number parsing may be a
// few units in the last place off (2.18446744073709551616122e23: 1.5);
// ours is correctly rounded (checked against strtod below).
bool same(const json::Value &a, const rapidjson::Value &b, std::string &why) {
  using json::Type;
  switch (a.GetType()) {
  case Type::null_value: if (b.IsNull()) return true; break;
  case Type::false_value: if (b.IsFalse()) return true; break;
  case Type::true_value: if (b.IsTrue()) return true; break;
  case Type::string:
    if (b.IsString() && std::string_view(a.GetString(), a.GetStringLength()) ==
                            std::string_view(b.GetString(), b.GetStringLength()))
      return true;
    break;
  case Type::number:
    if (!b.IsNumber()) break;
    if (a.IsInt64() != b.IsInt64() || a.IsUint64() != b.IsUint64()) {
      why = "integer kinds differ";
      return false;
    }
    if (a.IsInt64()) return a.GetInt64() == b.GetInt64() || (why = "int64 differs", false);
    if (a.IsUint64()) return a.GetUint64() == b.GetUint64() || (why = "uint64 differs", false);
    {
      const double x = a.GetDouble(), y = b.GetDouble();
      const double ulp = std::nextafter(std::fabs(y), std::numeric_limits<double>::infinity()) - std::fabs(y);
      if (x == y || std::fabs(x - y) <= 4 * ulp) return true;
      why = "double differs: " + std::to_string(x) + " vs " + std::to_string(y);
      return false;
    }
  case Type::array:
    if (!b.IsArray() || a.Size() != b.Size()) break;
    for (uint32_t i = 0; i < a.Size(); ++i)
      if (!same(a[i], b[i], why)) return false;
    return true;
  case Type::object: {
    if (!b.IsObject() || a.MemberCount() != b.MemberCount()) break;
    auto bm = b.MemberBegin();
    for (const json::Member *m = a.MemberBegin(); m != a.MemberEnd(); ++m, ++bm) {
      if (std::string_view(m->name.GetString(), m->name.GetStringLength()) !=
          std::string_view(bm->name.GetString(), bm->name.GetStringLength())) {
        why = "member names differ";
        return false;
      }
      if (!same(m->value, bm->value, why)) return false;
    }
    return true;
  }
  }
  why = "types or contents differ";
  return false;
}

// RapidJSON 1.1 reads some literals past DBL_MAX (-11.5e308) as infinity
// instead of refusing them; we refuse them all.
bool has_infinity(const rapidjson::Value &v) {
  if (v.IsNumber()) return std::isinf(v.GetDouble());
  if (v.IsArray())
    for (const auto &e : v.GetArray())
      if (has_infinity(e)) return true;
  if (v.IsObject())
    for (const auto &m : v.GetObject())
      if (has_infinity(m.value)) return true;
  return false;
}

std::vector<std::string> corpus() {
  const char *data = std::getenv("APPC_TEST_DATA");
  REQUIRE_MESSAGE(data, "APPC_TEST_DATA must point at tests/data");
  std::vector<std::string> out;
  for (const auto &e : std::filesystem::directory_iterator(std::filesystem::path(data) / "conformance" / "manifests")) {
    if (e.path().extension() != ".json") continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    out.push_back(ss.str());
  }
  std::sort(out.begin(), out.end());
  REQUIRE(out.size() > 100);
  return out;
}

// One random edit of `s`: bytes chosen to hit the grammar, the escapes and
// UTF-8, often at 64-byte block boundaries.
std::string mutate(std::string s, std::mt19937_64 &rng) {
  static const std::vector<std::string> pieces = {
      "\"", "\\", "{", "}", "[", "]", ",", ":", "0", "-", "1e", ".", "e+", "\\u", "\\ud800", "\\udc00",
      "\\u00e9", "\\n", "\n", "\t", "\r", " ", std::string(1, '\0'), "\x01", "\x7f", "\xff", "\xc3", "\xc3\xa9",
      "\xed\xa0\x80", "\xf0\x9f\x8e\x89", "\xe2\x82", "true", "fals", "null", "nul", "-0", "1.5e308", "1e400",
      "2e-400", "18446744073709551616", "-9223372036854775808", "9223372036854775808", "01", "1.", "\"\"",
      "[]", "{}", "\\\"", "\\\\", "\\/", "\\x", "\\u12", "\\uZZZZ"};
  auto pos = [&] {
    if (s.empty()) return size_t{0};
    if (rng() % 3 == 0) {   // near a block boundary
      const size_t b = (rng() % (s.size() / 64 + 1)) * 64;
      const size_t p = b + (rng() % 5) - 2;
      return std::min(p, s.size());
    }
    return static_cast<size_t>(rng() % (s.size() + 1));
  };
  switch (rng() % 6) {
  case 0:
  case 1: s.insert(pos(), pieces[rng() % pieces.size()]); break;
  case 2:
    if (!s.empty()) s.erase(std::min(pos(), s.size() - 1), 1 + rng() % 3);
    break;
  case 3:
    if (!s.empty()) s[std::min(pos(), s.size() - 1)] = pieces[rng() % pieces.size()][0];
    break;
  case 4: s.resize(pos()); break;
  case 5: {   // a slice copied elsewhere
    const size_t a = pos(), b = pos();
    const size_t lo = std::min(a, b), hi = std::max(a, b);
    s.insert(pos(), s.substr(lo, std::min<size_t>(hi - lo, 40)));
    break;
  }
  }
  return s;
}

} // namespace

TEST_CASE("spec 46: json parser: same verdict and tree as RapidJSON on 20,000 mutations, both stage 1 variants") {
  const std::vector<std::string> docs = corpus();
  const char *seed_env = std::getenv("APPC_JSON_SEED");
  const uint64_t seed = seed_env ? std::strtoull(seed_env, nullptr, 10) : std::random_device{}();
  INFO("seed " << seed << " (rerun with APPC_JSON_SEED=" << seed << ")");
  for (json::Stage1 variant : variants()) {
    Stage1Scope scope(variant);
    REQUIRE(scope.active);
    INFO("stage 1: " << std::string(name(variant)));
    std::mt19937_64 rng(seed);
    size_t accepted = 0, refused = 0, lone_low = 0;
    for (int i = 0; i < 20000; ++i) {
      std::string text = docs[rng() % docs.size()];
      for (unsigned k = 1 + rng() % 3; k > 0; --k) text = mutate(std::move(text), rng);
      Parsed ours = parse(text);
      rapidjson::Document theirs;
      theirs.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(text.data(), text.size());
      if (ours.error.what == json::ParseError::lone_low_surrogate) {
        ++lone_low;   // RapidJSON takes it and stores bytes that are not UTF-8 (documented)
        continue;
      }
      if (text.find('\0') != std::string::npos) {
        // RapidJSON takes a NUL byte after the root for the end of the text;
        // a NUL byte is never JSON, and we refuse it.
        CHECK_FALSE(ok(ours));
        ++refused;
        continue;
      }
      INFO("document " << i << ": " << text << " (" << text.size() << " bytes, last " << int(text.empty() ? -1 : (unsigned char)text.back()) << ")");
      INFO("ours: " << std::string(json::error_text(ours.error)) << " at " << ours.error.offset);
      INFO("RapidJSON: " << std::string(rapidjson::GetParseError_En(theirs.GetParseError())) << " at "
                         << theirs.GetErrorOffset());
      if (!ok(ours) && ours.error.code == rapidjson::kParseErrorNumberTooBig && !theirs.HasParseError()) {
        CHECK(has_infinity(theirs));
        ++refused;
        continue;
      }
      if (ok(ours) && theirs.GetParseError() == rapidjson::kParseErrorNumberTooBig) {
        // RapidJSON refuses a large exponent even on a zero (0e91001); the
        // literal it names must be finite.
        size_t start = std::min(theirs.GetErrorOffset(), text.size());
        while (start > 0 && std::strchr("0123456789.eE+-", text[start - 1])) --start;
        errno = 0;
        const double d = std::strtod(text.c_str() + start, nullptr);
        CHECK_FALSE((errno == ERANGE && std::isinf(d)));
        ++accepted;
        continue;
      }
      REQUIRE(ok(ours) == !theirs.HasParseError());
      if (!ok(ours)) {
        ++refused;
        CHECK(ours.error.offset <= text.size());
        continue;
      }
      ++accepted;
      std::string why;
      REQUIRE_MESSAGE(same(ours.doc->root(), theirs, why), why);
    }
    MESSAGE(std::string(name(variant)) << ": " << accepted << " accepted, " << refused << " refused, " << lone_low
                          << " lone low surrogates");
    CHECK(accepted > 1000);
    CHECK(refused > 1000);
  }
}

TEST_CASE("spec 46: json parser: both stage 1 variants find the same structure at every block offset") {
  // A string, an escape, a number and a literal slid across the 64-byte boundaries.
  for (json::Stage1 variant : variants()) {
    Stage1Scope scope(variant);
    INFO("stage 1: " << std::string(name(variant)));
    for (size_t pad = 0; pad < 140; ++pad) {
      const std::string text =
          "{" + std::string(pad, ' ') + R"("a\"b\\":[12345,true,"x\u00e9y",-0.5e1,null,{"k":"v"}],"z":false})";
      INFO("pad " << pad);
      Parsed p = parse(text);
      REQUIRE(ok(p));
      const json::Value &root = p.doc->root();
      REQUIRE(root.IsObject());
      REQUIRE(root.MemberCount() == 2);
      const json::Member &m = root.MemberBegin()[0];
      CHECK(std::string_view(m.name.GetString(), m.name.GetStringLength()) == "a\"b\\");
      REQUIRE(m.value.Size() == 6);
      CHECK(m.value[0].GetInt64() == 12345);
      CHECK(m.value[1].GetBool());
      CHECK(std::string(m.value[2].GetString()) == "x\xc3\xa9y");
      CHECK(m.value[3].GetDouble() == -5.0);
      CHECK(m.value[4].IsNull());
      CHECK(m.value[5].Find("k") != nullptr);
      CHECK(root.Find("z")->IsBool());
    }
  }
}

TEST_CASE("spec 46: json parser: numbers as RapidJSON types them, correctly rounded, too large ones refused") {
  auto number = [](const char *text) {
    Parsed p = parse(text);
    REQUIRE_MESSAGE(ok(p), text);
    return p;
  };
  {
    Parsed p = number("-0");
    CHECK(p.doc->root().IsInt64());
    CHECK(p.doc->root().IsUint64());
    CHECK(p.doc->root().GetInt64() == 0);
  }
  {
    Parsed p = number("-9223372036854775808");
    CHECK(p.doc->root().IsInt64());
    CHECK_FALSE(p.doc->root().IsUint64());
    CHECK(p.doc->root().GetInt64() == std::numeric_limits<int64_t>::min());
  }
  {
    Parsed p = number("9223372036854775808");
    CHECK_FALSE(p.doc->root().IsInt64());
    CHECK(p.doc->root().GetUint64() == uint64_t{1} << 63);
  }
  {
    Parsed p = number("18446744073709551615");
    CHECK(p.doc->root().GetUint64() == std::numeric_limits<uint64_t>::max());
  }
  {
    Parsed p = number("18446744073709551616");   // past uint64: a double
    CHECK_FALSE(p.doc->root().IsUint64());
    CHECK(p.doc->root().GetDouble() == 18446744073709551616.0);
  }
  {
    Parsed p = number("-9223372036854775809");
    CHECK_FALSE(p.doc->root().IsInt64());
    CHECK(p.doc->root().GetDouble() == -9223372036854775809.0);
  }
  CHECK(number("1.0").doc->root().GetDouble() == 1.0);
  CHECK_FALSE(number("1.0").doc->root().IsInt64());
  for (const char *literal : {"22222222222222222222224e1", "218446744073709551616122", "0.1", "2.2250738585072011e-308",
                              "4.9406564584124654e-324", "1.00000000000000011102230246251565404236316680908203125",
                              "9007199254740993", "-123.456e-7"}) {
    INFO(literal);
    CHECK(number(literal).doc->root().GetDouble() == std::strtod(literal, nullptr));
  }
  CHECK(number("2e-400").doc->root().GetDouble() == 0.0);
  CHECK(number("0.0000000000000000000000000000001e-400").doc->root().GetDouble() == 0.0);
  CHECK(number("1.7976931348623157e308").doc->root().GetDouble() == std::numeric_limits<double>::max());
  for (const char *bad : {"1e400", "-1e400", "123456789012345678901234567890e300"}) {
    INFO(bad);
    Parsed p = parse(bad);
    CHECK(p.error.what == json::ParseError::syntax);
    CHECK(p.error.code == rapidjson::kParseErrorNumberTooBig);
  }
  for (const char *bad : {"01", "1.", ".5", "1e", "1e+", "-", "+1", "0x10", "1.5.5", "--1", "NaN", "Infinity"}) {
    INFO(bad);
    CHECK_FALSE(ok(parse(bad)));
  }
}

TEST_CASE("spec 46: json parser: escapes decode in place; broken ones are refused where they start") {
  {
    Parsed p = parse(R"(["\"\\\/\b\f\n\r\t", "\u0041\u00e9\u20ac\ud83c\udf89", "a\u0000b"])");
    REQUIRE(ok(p));
    const json::Value &a = p.doc->root();
    CHECK(std::string(a[0].GetString()) == "\"\\/\b\f\n\r\t");
    CHECK(std::string(a[1].GetString()) == "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x8e\x89");
    CHECK(a[2].GetStringLength() == 3);   // the NUL is kept, the length tells
    CHECK(std::string_view(a[2].GetString(), 3) == std::string_view("a\0b", 3));
  }
  struct Case {
    const char *text;
    json::ParseError::What what;
    size_t offset;
  };
  const Case cases[] = {
      {R"(["ab\x"])", json::ParseError::syntax, 4},
      {R"(["ab\u12"])", json::ParseError::syntax, 4},
      {R"(["ab\udc00"])", json::ParseError::lone_low_surrogate, 4},
      {R"(["ab\ud800"])", json::ParseError::syntax, 4},
      {R"(["ab\ud800\u0041"])", json::ParseError::syntax, 4},
      {"[\"a\nb\"]", json::ParseError::syntax, 3},
      {"[\"a\x01\"]", json::ParseError::syntax, 3},
      {"[1,\x01]", json::ParseError::syntax, 3},
      {"[\"\xc3\"]", json::ParseError::bad_utf8, 2},
      {"[\"\xed\xa0\x80\"]", json::ParseError::bad_utf8, 2},
      {"[\"\xc0\xaf\"]", json::ParseError::bad_utf8, 2},
      {"[\"unterminated]", json::ParseError::syntax, 15},
      // The earliest problem wins, whichever stage finds it.
      {"[1 2, \"\xff\"]", json::ParseError::syntax, 3},
      {"[\"\xff\", 1 2]", json::ParseError::bad_utf8, 2},
  };
  for (json::Stage1 variant : variants()) {
    Stage1Scope scope(variant);
    for (const Case &c : cases) {
      const std::string text(c.text);
      INFO(name(variant) << ": " << text);
      Parsed p = parse(text);
      CHECK(p.error.what == c.what);
      CHECK(p.error.offset == c.offset);
    }
    // A NUL byte needs the explicit length.
    const std::string nul("[\"a\0b\"]", 7);
    Parsed p = parse(nul);
    CHECK(p.error.what == json::ParseError::nul);
    CHECK(p.error.offset == 3);
  }
}

TEST_CASE("spec 46: json parser: grammar errors carry RapidJSON's codes and the offending offset") {
  struct Case {
    const char *text;
    rapidjson::ParseErrorCode code;
    size_t offset;
  };
  const Case cases[] = {
      {"", rapidjson::kParseErrorDocumentEmpty, 0},
      {"  \n ", rapidjson::kParseErrorDocumentEmpty, 4},
      {"garbage", rapidjson::kParseErrorValueInvalid, 0},
      {"{} x", rapidjson::kParseErrorDocumentRootNotSingular, 3},
      {"{\"a\" 1}", rapidjson::kParseErrorObjectMissColon, 5},
      {"{\"a\":1 \"b\":2}", rapidjson::kParseErrorObjectMissCommaOrCurlyBracket, 7},
      {"{1:2}", rapidjson::kParseErrorObjectMissName, 1},
      {"{\"a\":1,}", rapidjson::kParseErrorObjectMissName, 7},
      {"[1 2]", rapidjson::kParseErrorArrayMissCommaOrSquareBracket, 3},
      {"[1,]", rapidjson::kParseErrorValueInvalid, 3},
      {"[1}", rapidjson::kParseErrorArrayMissCommaOrSquareBracket, 2},
      {"{\"a\":1]", rapidjson::kParseErrorObjectMissCommaOrCurlyBracket, 6},
      {"[12x]", rapidjson::kParseErrorArrayMissCommaOrSquareBracket, 3},
      {"[truex]", rapidjson::kParseErrorArrayMissCommaOrSquareBracket, 5},
      {"[tru]", rapidjson::kParseErrorValueInvalid, 1},
      {"[", rapidjson::kParseErrorValueInvalid, 1},
      {"{\"a\":", rapidjson::kParseErrorValueInvalid, 5},
  };
  for (const Case &c : cases) {
    INFO(c.text);
    Parsed p = parse(c.text);
    REQUIRE(p.error.what == json::ParseError::syntax);
    CHECK(std::string(rapidjson::GetParseError_En(p.error.code)) == rapidjson::GetParseError_En(c.code));
    CHECK(p.error.offset == c.offset);
  }
}

TEST_CASE("spec 46: json parser: the depth bound counts arrays and objects and needs no recursion") {
  auto nested = [](size_t n) { return std::string(n, '[') + std::string(n, ']'); };
  CHECK(ok(parse(nested(64), 64)));
  Parsed p = parse(nested(65), 64);
  CHECK(p.error.what == json::ParseError::too_deep);
  CHECK(p.error.offset == 64);
  CHECK(ok(parse("[\"[[[[[[[[[[\"]", 1)));   // brackets in strings do not count
  // A million levels within the bound: an explicit stack, no recursion.
  Parsed deep = parse(nested(1000000), 1u << 21);
  CHECK(ok(deep));
}

TEST_CASE("spec 3, 46: top_level_string finds acKind without parsing past it") {
  std::string v;
  CHECK(json::top_level_string(R"({"a":{"acKind":"x"},"acKind":"PodManifest",)", "acKind", v));
  CHECK(v == "PodManifest");
  CHECK(json::top_level_string(R"({"ac\u004bind":"Image\u004danifest"})", "acKind", v));
  CHECK(v == "ImageManifest");
  CHECK_FALSE(json::top_level_string(R"({"acKind":1})", "acKind", v));
  CHECK_FALSE(json::top_level_string(R"({"a":["acKind","x"]})", "acKind", v));
  CHECK_FALSE(json::top_level_string(R"(["acKind","x"])", "acKind", v));
  CHECK_FALSE(json::top_level_string("{\"acKind\":\"\xff\"}", "acKind", v));
  CHECK_FALSE(json::top_level_string("", "acKind", v));
}

TEST_CASE("spec 46: manifests over 8 KB parsed one after another (the thread's reused buffers) keep their own values") {
  auto manifest = [](const std::string &tag, size_t labels) {
    std::string s = R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/)" + tag + R"(","labels":[)";
    for (size_t i = 0; i < labels; ++i)
      s += (i ? "," : "") + std::string(R"({"name":"example.com/)") + tag + "-" + std::to_string(i) +
           R"(","value":")" + tag + std::to_string(i) + "\"}";
    return s + "]}";
  };
  // d is past the 4 MiB a thread keeps: its copy is its own.
  const std::string a = manifest("alpha", 3000), b = manifest("beta", 200), c = manifest("gamma", 20000),
                    d = manifest("delta", 90000);
  REQUIRE(b.size() > 8192);
  REQUIRE(d.size() > (4u << 20));
  for (int round = 0; round < 2; ++round) {
    for (const std::string *text : {&a, &b, &c, &d, &b, &a}) {
      auto r = appc::spec::parse_image_manifest(*text);
      REQUIRE_MESSAGE(r.ok(), r.error().message);
      const std::string tag = text == &a ? "alpha" : text == &b ? "beta" : text == &c ? "gamma" : "delta";
      CHECK(r->name == "example.com/" + tag);
      REQUIRE(r->labels.size() == (text == &a ? 3000u : text == &b ? 200u : text == &c ? 20000u : 90000u));
      CHECK(r->labels.back().value == tag + std::to_string(r->labels.size() - 1));
      CHECK(appc::spec::serialize(*r) == *text);
    }
  }
}
