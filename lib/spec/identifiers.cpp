// The single-value types of spec/types.md (checklist section 1): AC Identifier,
// AC Name, AC Version (SemVer 2.0.0), Image ID, Timestamps, plus the small
// syntaxes the manifests use (environment names, http(s) URLs, dotted quads,
// octal modes, the os/arch table).
//
// Where the reference code is looser than the spec text, these follow the
// text (docs/conformance.md): full regexes for identifiers, strict SemVer,
// 128 lowercase hex digits in image IDs.
#include "spec/identifiers_detail.hpp"
#include "spec/manifest.hpp"

#include <array>
#include <charconv>
#include <cstring>

namespace appc::spec {
namespace detail {
namespace {

constexpr bool is_lower_alnum(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_lower_hex(char c) noexcept { return is_digit(c) || (c >= 'a' && c <= 'f'); }

// Character classes of AC Identifiers and AC Names, by byte.
enum : uint8_t { kOther, kAlnum, kNameSep, kIdentifierSep };
constexpr auto kTokenClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c)
    t[c] = is_lower_alnum(static_cast<char>(c)) ? kAlnum
           : c == '-'                           ? kNameSep
           : (c == '.' || c == '_' || c == '~' || c == '/') ? kIdentifierSep
                                                            : kOther;
  return t;
}();
constexpr auto kLowerHex = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[c] = is_lower_hex(static_cast<char>(c));
  return t;
}();

// ^[a-z0-9]+([<seps>][a-z0-9]+)*$, with the reason when it does not match.
std::string token_problem(std::string_view s, std::string_view seps, const char *what, const char *allowed) {
  if (s.empty()) return std::string(what) + " must not be empty";
  bool prev_sep = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (is_lower_alnum(c)) {
      prev_sep = false;
      continue;
    }
    if (seps.find(c) == std::string_view::npos) {
      std::string m = quote(s) + " is not " + what + ": character ";
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
        m += "byte 0x" + std::string(1, "0123456789abcdef"[(static_cast<unsigned char>(c) >> 4)]) +
             std::string(1, "0123456789abcdef"[static_cast<unsigned char>(c) & 15]);
      else
        m += std::string("'") + c + "'";
      m += " at position " + std::to_string(i) + " is not one of " + allowed;
      return m;
    }
    if (i == 0 || i + 1 == s.size())
      return quote(s) + " is not " + what + ": it must begin and end with a lowercase letter or digit";
    if (prev_sep)
      return quote(s) + " is not " + what + ": consecutive separators at position " + std::to_string(i);
    prev_sep = true;
  }
  return {};
}

bool parse_uint(std::string_view s, uint64_t &out) noexcept {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// A dot-separated SemVer identifier list; numeric identifiers without
// leading zeros when `numeric_no_leading_zero`.
bool semver_identifiers(std::string_view s, bool numeric_no_leading_zero) noexcept {
  if (s.empty()) return false;
  size_t start = 0;
  while (true) {
    size_t end = s.find('.', start);
    std::string_view id = s.substr(start, end == std::string_view::npos ? s.npos : end - start);
    if (id.empty()) return false;
    bool numeric = true;
    for (char c : id) {
      if (is_digit(c)) continue;
      numeric = false;
      if (!is_alpha(c) && c != '-') return false;
    }
    if (numeric_no_leading_zero && numeric && id.size() > 1 && id[0] == '0') return false;
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

bool two_digits(std::string_view s, size_t at, int &out) noexcept {
  if (at + 2 > s.size() || !is_digit(s[at]) || !is_digit(s[at + 1])) return false;
  out = (s[at] - '0') * 10 + (s[at + 1] - '0');
  return true;
}

struct OsArch {
  const char *os;
  std::array<const char *, 10> arches;
  const char *list;
};
constexpr OsArch kOsArch[] = {
    {"darwin", {"x86_64", "i386"}, "x86_64, i386"},
    {"freebsd", {"amd64", "i386", "arm"}, "amd64, i386, arm"},
    {"linux",
     {"amd64", "i386", "aarch64", "aarch64_be", "armv6l", "armv7l", "armv7b", "ppc64", "ppc64le", "s390x"},
     "amd64, i386, aarch64, aarch64_be, armv6l, armv7l, armv7b, ppc64, ppc64le, s390x"},
};

const OsArch *find_os(std::string_view os) noexcept {
  for (const auto &e : kOsArch)
    if (os == e.os) return &e;
  return nullptr;
}

constexpr bool is_hex_digit(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// RFC 3986 section 2: unreserved and sub-delims.
constexpr bool is_unreserved(char c) noexcept {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
constexpr bool is_sub_delim(char c) noexcept {
  switch (c) {
  case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+': case ',': case ';': case '=':
    return true;
  default:
    return false;
  }
}

enum class UrlFault { none, scheme, space, percent, no_host, userinfo_char, host_char, host_ascii_escape,
                      ip_literal, port };

// The first problem of `s` as a homepage/documentation URL (RFC 3986 with
// non-ASCII text allowed in the host and the path, as IRIs do); `at` is the
// offset of the offending character, escape or part.
UrlFault http_url_fault(std::string_view s, size_t &at) noexcept {
  // scheme "http" or "https" (any case), "://".
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  size_t i = 0;
  for (char want : {'h', 't', 't', 'p'}) {
    if (i >= s.size() || lower(s[i]) != want) return UrlFault::scheme;
    ++i;
  }
  if (i < s.size() && lower(s[i]) == 's') ++i;
  if (s.substr(i, 3) != "://") return UrlFault::scheme;
  for (char c : s)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return UrlFault::space;
  // Section 2.1: pct-encoded = "%" HEXDIG HEXDIG, in every part of a URI.
  for (size_t k = s.find('%'); k != std::string_view::npos; k = s.find('%', k + 1))
    if (k + 2 >= s.size() || !is_hex_digit(s[k + 1]) || !is_hex_digit(s[k + 2])) {
      at = k;
      return UrlFault::percent;
    }
  // Section 3.2: authority = [ userinfo "@" ] host [ ":" port ], up to the first '/', '?' or '#'.
  const size_t start = i + 3;
  const size_t end = std::min(s.find_first_of("/?#", start), s.size());
  size_t host = start;
  if (size_t user = s.rfind('@', end - 1); user != std::string_view::npos && user >= start) {
    for (size_t k = start; k < user; ++k)   // userinfo = *( unreserved / pct-encoded / sub-delims / ":" )
      if (!(is_unreserved(s[k]) || is_sub_delim(s[k]) || s[k] == ':' || s[k] == '%')) {
        at = k;
        return UrlFault::userinfo_char;
      }
    host = user + 1;
  }
  size_t port = end;   // the ':' before the port, if any
  if (host < end && s[host] == '[') {
    // IP-literal: an IPv6 address (hex digits, ':' and '.'), with an RFC 6874 zone "%25" ZoneID
    // (an interface name: unreserved characters only).
    size_t close = s.find(']', host);
    at = host;
    if (close == std::string_view::npos || close >= end) return UrlFault::ip_literal;
    std::string_view lit = s.substr(host + 1, close - host - 1);
    size_t zone = lit.find("%25");
    std::string_view addr = lit.substr(0, zone);
    if (addr.find(':') == std::string_view::npos) return UrlFault::ip_literal;
    for (char c : addr)
      if (!(is_hex_digit(c) || c == ':' || c == '.')) return UrlFault::ip_literal;
    if (zone != std::string_view::npos) {
      std::string_view id = lit.substr(zone + 3);
      if (id.empty()) return UrlFault::ip_literal;
      for (char c : id)
        if (!is_unreserved(c)) return UrlFault::ip_literal;
    }
    port = close + 1;
    if (port < end && s[port] != ':') {
      at = port;
      return UrlFault::port;
    }
  } else {
    port = std::min(s.find(':', host), end);
    if (port == host) return UrlFault::no_host;
    for (size_t k = host; k < port; ++k) {
      // reg-name = *( unreserved / pct-encoded / sub-delims ), and non-ASCII text; a
      // percent-encoding stands for a byte of a non-ASCII name (section 3.2.2).
      const char c = s[k];
      if (c == '%' && s[k + 1] < '8') {
        at = k;
        return UrlFault::host_ascii_escape;
      }
      if (!(is_unreserved(c) || is_sub_delim(c) || c == '%' || static_cast<unsigned char>(c) >= 0x80)) {
        at = k;
        return UrlFault::host_char;
      }
    }
  }
  for (size_t k = port + 1; k < end; ++k)   // port = *DIGIT
    if (!is_digit(s[k])) {
      at = port;
      return UrlFault::port;
    }
  return UrlFault::none;
}

} // namespace

std::string quote(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string out;
  out.reserve(std::min(s.size(), kMax) + 8);
  out += '"';
  size_t n = s.size();
  bool cut = false;
  if (n > kMax) {
    n = kMax;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;   // whole UTF-8 sequences
    cut = true;
  }
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      static const char hex[] = "0123456789abcdef";
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  if (cut) out += "...";
  return out;
}

std::string ac_identifier_problem(std::string_view s) {
  return token_problem(s, "-._~/", "an AC Identifier", "a-z 0-9 - . _ ~ /");
}

std::string ac_name_problem(std::string_view s) { return token_problem(s, "-", "an AC Name", "a-z 0-9 -"); }

std::string image_id_problem(std::string_view s) {
  size_t dash = s.find('-');
  if (dash == std::string_view::npos)
    return quote(s) + " is not an image ID: expected sha512-<128 lowercase hex digits>";
  std::string_view type = s.substr(0, dash), value = s.substr(dash + 1);
  if (type != "sha512")
    return quote(s) + " is not an image ID: unknown hash type " + quote(type) + " (only sha512 is allowed)";
  if (value.empty()) return quote(s) + " is not an image ID: empty hash value";
  if (value.size() != 128)
    return quote(s) + " is not an image ID: the hash value has " + std::to_string(value.size()) +
           " characters, expected 128 lowercase hex digits";
  for (size_t i = 0; i < value.size(); ++i)
    if (!is_lower_hex(value[i]))
      return quote(s) + " is not an image ID: character " + std::to_string(dash + 1 + i) +
             " of the hash value is not a lowercase hex digit";
  return {};
}

const char *timestamp_reason(std::string_view s) noexcept {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)
  if (s.size() < 20) return "too short";
  for (size_t i : {0, 1, 2, 3})
    if (!is_digit(s[i])) return "bad year";
  int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  int month, day, hour, minute, second;
  if (s[4] != '-' || !two_digits(s, 5, month) || s[7] != '-' || !two_digits(s, 8, day)) return "bad date";
  if (s[10] != 'T') return "the date and the time must be separated by 'T'";
  if (!two_digits(s, 11, hour) || s[13] != ':' || !two_digits(s, 14, minute) || s[16] != ':' ||
      !two_digits(s, 17, second))
    return "bad time";
  if (month < 1 || month > 12) return "month out of range";
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  int max_day = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  if (day < 1 || day > max_day) return "day out of range";
  if (hour > 23) return "hour out of range";
  if (minute > 59) return "minute out of range";
  if (second > 60) return "second out of range";   // 60: a leap second (RFC 3339 section 5.6)
  size_t i = 19;
  if (s[i] == '.') {
    size_t start = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == start) return "empty fraction of a second";
  }
  if (i >= s.size()) return "missing time zone offset (Z or +hh:mm)";
  if (s[i] == 'Z') return i + 1 == s.size() ? nullptr : "trailing characters";
  if (s[i] != '+' && s[i] != '-') return "missing time zone offset (Z or +hh:mm)";
  int oh, om;
  if (!two_digits(s, i + 1, oh) || i + 3 >= s.size() || s[i + 3] != ':' || !two_digits(s, i + 4, om))
    return "bad time zone offset";
  if (oh > 23 || om > 59) return "time zone offset out of range";
  if (i + 6 != s.size()) return "trailing characters";
  return nullptr;
}

std::string timestamp_problem(std::string_view s) {
  const char *why = timestamp_reason(s);
  if (!why) return {};
  return quote(s) + " is not an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm)): " + why;
}

bool parse_semver(std::string_view s, SemVer &out) noexcept {
  // MAJOR.MINOR.PATCH[-prerelease][+build]
  size_t plus = s.find('+');
  std::string_view core = s.substr(0, plus);
  std::string_view build = plus == std::string_view::npos ? std::string_view() : s.substr(plus + 1);
  if (plus != std::string_view::npos && !semver_identifiers(build, false)) return false;
  size_t dash = core.find('-');
  std::string_view pre = dash == std::string_view::npos ? std::string_view() : core.substr(dash + 1);
  if (dash != std::string_view::npos) {
    if (!semver_identifiers(pre, true)) return false;
    core = core.substr(0, dash);
  }
  uint64_t parts[3];
  size_t start = 0;
  for (int k = 0; k < 3; ++k) {
    size_t end = k < 2 ? core.find('.', start) : core.size();
    if (end == std::string_view::npos) return false;
    std::string_view num = core.substr(start, end - start);
    if (num.empty() || (num.size() > 1 && num[0] == '0')) return false;
    for (char c : num)
      if (!is_digit(c)) return false;
    if (!parse_uint(num, parts[k])) return false;
    start = end + 1;
  }
  out.major = parts[0];
  out.minor = parts[1];
  out.patch = parts[2];
  out.prerelease = pre;
  out.build = build;
  return true;
}

int compare_semver(const SemVer &a, const SemVer &b) noexcept {
  auto cmp = [](uint64_t x, uint64_t y) { return x < y ? -1 : x > y ? 1 : 0; };
  if (int c = cmp(a.major, b.major)) return c;
  if (int c = cmp(a.minor, b.minor)) return c;
  if (int c = cmp(a.patch, b.patch)) return c;
  // A version without a pre-release has the higher precedence.
  if (a.prerelease.empty() || b.prerelease.empty())
    return a.prerelease.empty() == b.prerelease.empty() ? 0 : a.prerelease.empty() ? 1 : -1;
  std::string_view x = a.prerelease, y = b.prerelease;
  while (true) {
    size_t ex = x.find('.'), ey = y.find('.');
    std::string_view ix = x.substr(0, ex), iy = y.substr(0, ey);
    uint64_t nx, ny;
    bool numx = parse_uint(ix, nx), numy = parse_uint(iy, ny);
    int c;
    if (numx && numy) c = cmp(nx, ny);
    else if (numx != numy) c = numx ? -1 : 1;      // numeric identifiers sort first
    else c = ix < iy ? -1 : ix > iy ? 1 : 0;
    if (c) return c;
    bool more_x = ex != std::string_view::npos, more_y = ey != std::string_view::npos;
    if (!more_x || !more_y) return more_x == more_y ? 0 : more_x ? 1 : -1;
    x = x.substr(ex + 1);
    y = y.substr(ey + 1);
  }
}

bool is_env_name(std::string_view s) noexcept {
  if (s.empty() || !(is_alpha(s[0]) || s[0] == '_')) return false;
  for (char c : s.substr(1))
    if (!(is_alpha(c) || is_digit(c) || c == '_' || c == '.' || c == '-')) return false;
  return true;
}

std::string http_url_problem(std::string_view s) {
  size_t at = 0;
  const UrlFault fault = http_url_fault(s, at);
  if (fault == UrlFault::none) return {};
  if (fault == UrlFault::scheme) return quote(s) + " is not a URL with scheme http or https";
  std::string m = quote(s) + " is not a URL: ";
  // The text at `at`: up to `chars` characters (whole UTF-8 sequences).
  auto part = [&](size_t chars) {
    size_t len = 0;
    for (size_t c = 0; c < chars && at + len < s.size(); ++c)
      for (++len; at + len < s.size() && (static_cast<unsigned char>(s[at + len]) & 0xc0) == 0x80;) ++len;
    return quote(s.substr(at, len)) + " at position " + std::to_string(at);
  };
  const size_t authority_end = std::min(s.find_first_of("/?#", s.find("://") + 3), s.size());
  switch (fault) {
  case UrlFault::none:
  case UrlFault::scheme: break;
  case UrlFault::space: return m + "it contains a space or a control character";
  case UrlFault::percent: return m + part(3) + " is not a percent-encoding ('%' and two hex digits, RFC 3986)";
  case UrlFault::no_host: return m + "it has no host";
  case UrlFault::userinfo_char:
    return m + part(1) + " is not allowed in the user information (RFC 3986: letters, digits, -._~!$&'()*+,;=: "
                         "and %XX)";
  case UrlFault::host_char:
    return m + part(1) + " is not allowed in a host name (RFC 3986: letters, digits, -._~!$&'()*+,;= and %XX; "
                         "non-ASCII text)";
  case UrlFault::host_ascii_escape:
    return m + part(3) + ": a host name percent-encodes only bytes of non-ASCII characters (RFC 3986 "
                         "section 3.2.2); write ASCII as itself";
  case UrlFault::ip_literal:
    return m + quote(s.substr(at, authority_end - at)) + " at position " + std::to_string(at) +
           " is not an IPv6 address in brackets (hex digits, ':' and '.', then an optional %25 and interface name)";
  case UrlFault::port:
    return m + "the port " + quote(s.substr(at, authority_end - at)) + " at position " + std::to_string(at) +
           " is not ':' and digits";
  }
  return m;
}

bool is_http_url(std::string_view s) noexcept {
  size_t at = 0;
  return http_url_fault(s, at) == UrlFault::none;
}

bool is_ipv4_dotted_quad(std::string_view s) noexcept {
  size_t start = 0;
  for (int k = 0; k < 4; ++k) {
    size_t end = k < 3 ? s.find('.', start) : s.size();
    if (end == std::string_view::npos) return false;
    std::string_view part = s.substr(start, end - start);
    if (part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0')) return false;
    int v = 0;
    for (char c : part) {
      if (!is_digit(c)) return false;
      v = v * 10 + (c - '0');
    }
    if (v > 255) return false;
    start = end + 1;
  }
  return true;
}

bool is_octal_mode(std::string_view s) noexcept {
  if (s.empty() || s.size() > 4) return false;
  for (char c : s)
    if (c < '0' || c > '7') return false;
  return true;
}

bool is_known_os(std::string_view os) noexcept { return find_os(os) != nullptr; }

bool is_known_arch(std::string_view os, std::string_view arch) noexcept {
  const OsArch *e = find_os(os);
  if (!e) return false;
  for (const char *a : e->arches)
    if (a && arch == a) return true;
  return false;
}

const char *known_os_list() noexcept { return "darwin, freebsd, linux"; }

const char *known_arch_list(std::string_view os) noexcept {
  const OsArch *e = find_os(os);
  return e ? e->list : "";
}

} // namespace detail

bool is_ac_identifier(std::string_view s) noexcept {
  if (s.empty()) return false;
  bool prev_sep = true;   // the first character must be alphanumeric
  for (char c : s) {
    uint8_t k = detail::kTokenClass[static_cast<unsigned char>(c)];
    if (k == detail::kAlnum) {
      prev_sep = false;
    } else if (k == detail::kIdentifierSep || k == detail::kNameSep) {
      if (prev_sep) return false;
      prev_sep = true;
    } else {
      return false;
    }
  }
  return !prev_sep;
}

bool is_ac_name(std::string_view s) noexcept {
  if (s.empty()) return false;
  bool prev_sep = true;
  for (char c : s) {
    uint8_t k = detail::kTokenClass[static_cast<unsigned char>(c)];
    if (k == detail::kAlnum) {
      prev_sep = false;
    } else if (k == detail::kNameSep) {
      if (prev_sep) return false;
      prev_sep = true;
    } else {
      return false;
    }
  }
  return !prev_sep;
}

bool is_semver(std::string_view s) noexcept {
  detail::SemVer v;
  return detail::parse_semver(s, v);
}

bool is_image_id(std::string_view s) noexcept {
  if (s.size() != 7 + 128 || std::memcmp(s.data(), "sha512-", 7) != 0) return false;
  for (char c : s.substr(7))
    if (!detail::kLowerHex[static_cast<unsigned char>(c)]) return false;
  return true;
}

bool is_timestamp(std::string_view s) noexcept { return detail::timestamp_reason(s) == nullptr; }

} // namespace appc::spec
