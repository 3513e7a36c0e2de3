// Single-value rules of the appc types (checklist section 1) with the reason
// for a rejection, for the decoder's findings. Private to lib/spec.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace appc::spec::detail {

// Each *_problem() returns an empty string when `s` is acceptable, else a
// one-line reason that quotes the value ("\"a..b\" is not an AC Identifier: ...").
std::string ac_identifier_problem(std::string_view s);  // spec 1
std::string ac_name_problem(std::string_view s);        // spec 2
std::string image_id_problem(std::string_view s);       // spec 5
std::string timestamp_problem(std::string_view s);      // spec 7
const char *timestamp_reason(std::string_view s) noexcept;   // nullptr when valid

// SemVer 2.0.0 (https://semver.org/spec/v2.0.0.html).
struct SemVer {
  uint64_t major = 0, minor = 0, patch = 0;
  std::string_view prerelease, build;   // views into the parsed text
};
bool parse_semver(std::string_view s, SemVer &out) noexcept;
// <0, 0, >0 by SemVer precedence (build metadata ignored).
int compare_semver(const SemVer &a, const SemVer &b) noexcept;

// POSIX-style environment name extended with '.' and '-' (spec 11, 0.8.11).
bool is_env_name(std::string_view s) noexcept;
// "http://host..." or "https://host..." (spec 9, homepage/documentation): no
// space or control character, and every '%' starts a percent-encoding
// ("%" HEXDIG HEXDIG, RFC 3986).
bool is_http_url(std::string_view s) noexcept;
std::string http_url_problem(std::string_view s);   // empty when is_http_url(s)
// An IPv4 address in dotted-quad notation, "203.0.113.23" (spec 79).
bool is_ipv4_dotted_quad(std::string_view s) noexcept;
// An octal permission string of 1 to 4 digits, "0755" (spec 78).
bool is_octal_mode(std::string_view s) noexcept;
// An absolute path: begins with '/' (spec 14, 20, 78).
inline bool is_absolute_path(std::string_view s) noexcept { return !s.empty() && s.front() == '/'; }

// The os/arch table of checklist item 8 (types.ValidOSArch of the reference).
bool is_known_os(std::string_view os) noexcept;
bool is_known_arch(std::string_view os, std::string_view arch) noexcept;
const char *known_os_list() noexcept;                          // "darwin, freebsd, linux"
const char *known_arch_list(std::string_view os) noexcept;     // for a known os

// `s` quoted for a message, JSON-style escapes, cut at 64 bytes.
std::string quote(std::string_view s);

} // namespace appc::spec::detail
