// Resource quantities (checklist item 27): syntax, exact values, rounding,
// saturation. Expected values were cross-checked against the reference's
// resource.ParseQuantity (MilliValue / Value) where the reference does not
// overflow.
#include "spec/isolator.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>

using appc::spec::parse_quantity;
using appc::spec::Quantity;

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

struct Row {
  const char *text;
  int64_t milli;
  int64_t value;
};

Quantity parsed(const char *text) {
  Quantity q;
  REQUIRE_MESSAGE(parse_quantity(text, q), text);
  return q;
}

} // namespace

TEST_CASE("spec 27: quantity values in milli and base units") {
  const Row rows[] = {
      {"0", 0, 0},
      {"1", 1000, 1},
      {"2", 2000, 2},
      {"0.5", 500, 1},           // value rounds up
      {"0.3", 300, 1},
      {"250m", 250, 1},
      {"300m", 300, 1},
      {"1m", 1, 1},
      {"20m", 20, 1},
      {"1000m", 1000, 1},
      {"1500m", 1500, 2},
      {"1k", 1000000, 1000},
      {"1K", 1000000, 1000},     // spec text's 'K' (the reference only knows 'k')
      {"1M", 1000000000, 1000000},
      {"1G", 1000000000000, 1000000000},
      {"2G", 2000000000000, 2000000000},
      {"1T", 1000000000000000, 1000000000000},
      {"1P", 1000000000000000000, 1000000000000000},
      {"1E", kMax, 1000000000000000000},
      {"1Ki", 1024000, 1024},
      {"512Mi", 536870912000, 536870912},
      {"1Gi", 1073741824000, 1073741824},
      {"2Gi", 2147483648000, 2147483648},
      {"1.5Gi", 1610612736000, 1610612736},
      {"3.14159Mi", 3294195876, 3294196},
      {"1Ti", 1099511627776000, 1099511627776},
      {"1Pi", 1125899906842624000, 1125899906842624},
      {"1Ei", kMax, 1152921504606846976},
      {"7Ei", kMax, 8070450532247928832},
      {"1e3", 1000000, 1000},
      {"1E3", 1000000, 1000},
      {"1E+3", 1000000, 1000},
      {"1e-3", 1, 1},
      {"1.5e3", 1500000, 1500},
      {"1n", 1, 1},              // below a thousandth: rounds up
      {"100n", 1, 1},
      {"1000000000n", 1000, 1},
      {"1u", 1, 1},
      {"0.0005", 1, 1},
      {"0.0001m", 1, 1},
      {".5", 500, 1},
      {"5.", 5000, 5},
      {"+1", 1000, 1},
      {"00012", 12000, 12},
      {"0.000000000001", 1, 1},
      {"1073741824", 1073741824000, 1073741824},
      {"0e999", 0, 0},
      {"1e-20", 1, 1},
      {"0.999999999999999999999999", 1000, 1},
      {"2.0000000000000000000000000000000000001", 2001, 3},
      {"1.0000000000000000000001m", 2, 1},
  };
  for (const Row &r : rows) {
    CAPTURE(r.text);
    const Quantity q = parsed(r.text);
    CHECK(q.text == r.text);
    CHECK(q.milli == r.milli);
    CHECK(q.value == r.value);
  }
}

TEST_CASE("spec 27: \"128974848\" == \"125952Ki\" == \"123Mi\"") {
  const Quantity a = parsed("128974848"), b = parsed("125952Ki"), c = parsed("123Mi");
  CHECK(a.value == 128974848);
  CHECK(b.value == a.value);
  CHECK(c.value == a.value);
  CHECK(b.milli == a.milli);
  CHECK(c.milli == a.milli);
  CHECK(a.text != c.text);  // the text is kept as written
}

TEST_CASE("spec 27: quantities saturate at INT64_MAX instead of overflowing") {
  const Row rows[] = {
      {"9223372036854775807", kMax, kMax},
      {"9223372036854775808", kMax, kMax},
      {"8Ei", kMax, kMax},
      {"1e19", kMax, kMax},
      {"1e18", kMax, 1000000000000000000},
      {"123456789012345678901234567890", kMax, kMax},
      {"9223372036854775.807", kMax, 9223372036854776},
      {"1e99999999999999999999", kMax, kMax},
      {"9223372036854775807Ei", kMax, kMax},
  };
  for (const Row &r : rows) {
    CAPTURE(r.text);
    const Quantity q = parsed(r.text);
    CHECK(q.milli == r.milli);
    CHECK(q.value == r.value);
  }
}

TEST_CASE("spec 27: negative quantities parse with a negative value") {
  // The syntax allows a sign; the isolators reject negative values
  // (isolator_test.cpp), parse_quantity only reports syntax.
  Quantity q = parsed("-1.5Gi");
  CHECK(q.value == -1610612736);
  CHECK(q.milli == -1610612736000);
  q = parsed("-250m");
  CHECK(q.milli == -250);
  CHECK(q.value == -1);
  q = parsed("-1e30");
  CHECK(q.value == -kMax);
}

TEST_CASE("spec 27: garbage is not a quantity") {
  const char *bad[] = {
      "",     "12Q",  "1GG",   "1Gb",  " 1",   "1 ",   "1e",   "1e+",  "1e-",   "e3",   "Gi",   ".",
      "-",    "+",    "1.2.3", "--1",  "+-1",  "1i",   "1ki",  "1KI",  "1Ki1",  "1e3Ki", "0x10", "1,5",
      "1.5 Gi", "∞",  "1e3.5", "1E3i", "Mi1", "1mi",  "1Kb",  "1.5.Gi", "NaN",  "inf",  "1_000", "1\n",
  };
  for (const char *text : bad) {
    CAPTURE(text);
    Quantity q;
    q.text = "untouched";
    CHECK_FALSE(parse_quantity(text, q));
    CHECK(q.text == "untouched");
  }
}

TEST_CASE("spec 27: a NUL byte inside the text is not a quantity") {
  Quantity q;
  CHECK_FALSE(parse_quantity(std::string_view("1\0", 2), q));
  CHECK_FALSE(parse_quantity(std::string_view("1G\0i", 4), q));
}

TEST_CASE("spec 27: very long mantissas are exact") {
  // 1 followed by 5000 fraction digits that are all zero but the last:
  // slightly more than one, so one unit after rounding up is 2.
  std::string t = "1." + std::string(4999, '0') + "1";
  Quantity q = parsed(t.c_str());
  CHECK(q.value == 2);
  CHECK(q.milli == 1001);
  // 5000 integer digits saturate.
  t = std::string(5000, '9');
  q = parsed(t.c_str());
  CHECK(q.value == kMax);
  // Leading zeros do not count.
  t = std::string(5000, '0') + "42";
  q = parsed(t.c_str());
  CHECK(q.value == 42);
  CHECK(q.milli == 42000);
}
