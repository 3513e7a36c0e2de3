// Resource quantities (checklist item 27): the Kubernetes resource.Quantity
// syntax the reference code uses, turned into exact integers.
//
//   quantity := sign? mantissa suffix?
//   sign     := '+' | '-'
//   mantissa := digit+ ('.' digit*)? | '.' digit+
//   suffix   := 'n' | 'u' | 'm' | 'k' | 'K' | 'M' | 'G' | 'T' | 'P' | 'E'      (10^-9 .. 10^18)
//             | 'Ki' | 'Mi' | 'Gi' | 'Ti' | 'Pi' | 'Ei'                       (2^10 .. 2^60)
//             | ('e' | 'E') sign? digit+                                      (10^n)
//
// 'K' is not in the reference (Kubernetes only knows 'k') but the spec text
// lists it among the decimal suffixes, so both are accepted. docs/isolators.md
// has the full list of decisions.
//
// The value is D * 10^e10 * 2^e2 where D is the digit string. It is computed
// exactly, without floating point: the integer part digit by digit with
// saturation, the fractional part by a right-to-left long multiplication
// (Horner) that yields floor(M * fraction) and whether anything was left
// over, so rounding up is exact for any number of digits.
#include "spec/isolator.hpp"

#include <cstdint>
#include <limits>

namespace appc::spec {

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
// Exponents beyond this saturate any non-zero value (or round it up to one
// unit) just like the exact value would; clamping keeps the arithmetic small.
constexpr int64_t kExpClamp = 100000;

using u128 = unsigned __int128;

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// The mantissa digits: the integer part (leading zeros dropped) followed by
// the fraction, read in place from the two ranges of the text.
struct Digits {
  std::string_view ip, fp;
  int64_t size() const noexcept { return static_cast<int64_t>(ip.size() + fp.size()); }
  unsigned operator[](int64_t i) const noexcept {
    const size_t k = static_cast<size_t>(i);
    return static_cast<unsigned>((k < ip.size() ? ip[k] : fp[k - ip.size()]) - '0');
  }
};

// ceil(digits * 10^(exp10 - |fp|) * mult), saturating at INT64_MAX. `mult`
// is a power of two <= 2^60.
int64_t scaled_ceil(const Digits &digits, int64_t exp10, uint64_t mult) noexcept {
  const int64_t len = digits.size();
  const int64_t p = static_cast<int64_t>(digits.ip.size()) + exp10;  // digits[0, p): integer part

  // Integer part, saturating: digits up to p, then zeros when p > len.
  u128 ip = 0;
  bool saturated = false;
  const int64_t int_end = p < len ? p : len;
  for (int64_t i = 0; i < int_end && !saturated; ++i) {
    ip = ip * 10 + digits[i];
    if (ip > static_cast<u128>(kMax)) saturated = true;
  }
  for (int64_t i = len; i < p && !saturated && ip != 0; ++i) {
    ip *= 10;
    if (ip > static_cast<u128>(kMax)) saturated = true;
  }
  if (saturated) return kMax;
  u128 total = ip * mult;  // < 2^63 * 2^60, fits
  if (total > static_cast<u128>(kMax)) return kMax;

  // Fractional part: digits[max(p, 0), len) preceded by -p zeros when p < 0.
  u128 carry = 0;
  bool sticky = false;
  const int64_t frac_begin = p > 0 ? p : 0;
  for (int64_t i = len - 1; i >= frac_begin; --i) {
    const u128 t = static_cast<u128>(digits[i]) * mult + carry;
    carry = t / 10;
    if (t % 10 != 0) sticky = true;
  }
  for (int64_t z = p < 0 ? -p : 0; z > 0 && carry != 0; --z) {
    if (carry % 10 != 0) sticky = true;
    carry /= 10;
  }
  total += carry + (sticky ? 1 : 0);
  return total > static_cast<u128>(kMax) ? kMax : static_cast<int64_t>(total);
}

} // namespace

bool parse_quantity(std::string_view text, Quantity &out) noexcept {
  size_t i = 0;
  const size_t n = text.size();
  bool negative = false;
  if (i < n && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';

  // Mantissa.
  const size_t int_begin = i;
  while (i < n && is_digit(text[i])) ++i;
  const size_t int_end = i;
  size_t frac_begin = i, frac_end = i;
  if (i < n && text[i] == '.') {
    frac_begin = ++i;
    while (i < n && is_digit(text[i])) ++i;
    frac_end = i;
  }
  if (int_end == int_begin && frac_end == frac_begin) return false;  // no digit at all

  // Suffix.
  int64_t exp10 = 0;
  unsigned exp2 = 0;
  const std::string_view suf = text.substr(i);
  if (suf.empty()) {
  } else if (suf.size() == 1) {
    switch (suf[0]) {
    case 'n': exp10 = -9; break;
    case 'u': exp10 = -6; break;
    case 'm': exp10 = -3; break;
    case 'k': case 'K': exp10 = 3; break;
    case 'M': exp10 = 6; break;
    case 'G': exp10 = 9; break;
    case 'T': exp10 = 12; break;
    case 'P': exp10 = 15; break;
    case 'E': exp10 = 18; break;
    default: return false;
    }
  } else if (suf.size() == 2 && suf[1] == 'i') {
    switch (suf[0]) {
    case 'K': exp2 = 10; break;
    case 'M': exp2 = 20; break;
    case 'G': exp2 = 30; break;
    case 'T': exp2 = 40; break;
    case 'P': exp2 = 50; break;
    case 'E': exp2 = 60; break;
    default: return false;
    }
  } else if (suf[0] == 'e' || suf[0] == 'E') {
    size_t j = 1;
    bool exp_negative = false;
    if (suf[j] == '+' || suf[j] == '-') exp_negative = suf[j++] == '-';
    if (j == suf.size()) return false;
    for (; j < suf.size(); ++j) {
      if (!is_digit(suf[j])) return false;
      if (exp10 < kExpClamp) exp10 = exp10 * 10 + (suf[j] - '0');
    }
    if (exp10 > kExpClamp) exp10 = kExpClamp;
    if (exp_negative) exp10 = -exp10;
  } else {
    return false;
  }

  // Leading zeros of the integer part do not change the value; dropping
  // them keeps the integer arithmetic short.
  size_t lead = int_begin;
  while (lead < int_end && text[lead] == '0') ++lead;
  const Digits digits{text.substr(lead, int_end - lead), text.substr(frac_begin, frac_end - frac_begin)};
  const uint64_t mult = uint64_t{1} << exp2;
  const int64_t value = scaled_ceil(digits, exp10, mult);
  const int64_t milli = scaled_ceil(digits, exp10 + 3, mult);

  // The only allocation (none for texts that fit the string's inline
  // buffer). Out of memory here ends the process: the API is noexcept.
  out.text.assign(text);
  out.milli = negative ? -milli : milli;
  out.value = negative ? -value : value;
  return true;
}

} // namespace appc::spec
