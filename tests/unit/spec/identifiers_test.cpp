// The single-value types of spec/types.md (checklist section 1).
#include "spec/identifiers_detail.hpp"
#include "spec/manifest.hpp"

#include "manifest_test_util.hpp"

#include <doctest/doctest.h>

using namespace appc::spec;
using namespace appc::spec::detail;

TEST_CASE("spec 1: AC Identifier accepts the spec regex ^[a-z0-9]+([-._~/][a-z0-9]+)*$") {
  for (const char *s : {"a", "0", "asdf", "zab_rab_oof", "my~database", "example.com/reduce-worker",
                        "coreos.com/rkt/stage1/mutable", "a-b.c_d~e/f", "1.2.3", "a0"}) {
    INFO(s);
    CHECK(is_ac_identifier(s));
    CHECK(ac_identifier_problem(s).empty());
  }
}

TEST_CASE("spec 1: AC Identifier rejects bad characters, edges and consecutive separators") {
  for (const char *s : {"", "foo.com/BAR", "foo#", "/app", "-app", "app-", ".app", "app.", "app_", "exa mple",
                        "example..com", "a//b", "a-_b", "a~~b", "é", "a\tb", "A"}) {
    INFO(s);
    CHECK_FALSE(is_ac_identifier(s));
    CHECK_FALSE(ac_identifier_problem(s).empty());
  }
  CHECK(ac_identifier_problem("") == "an AC Identifier must not be empty");
  CHECK(ac_identifier_problem("foo#").find("character '#' at position 3") != std::string::npos);
  CHECK(ac_identifier_problem("-app").find("must begin and end with a lowercase letter or digit") !=
        std::string::npos);
  CHECK(ac_identifier_problem("example..com").find("consecutive separators at position 8") != std::string::npos);
  CHECK(ac_identifier_problem("a\x01").find("byte 0x01") != std::string::npos);
}

TEST_CASE("spec 2: AC Name accepts ^[a-z0-9]+([-][a-z0-9]+)*$ only") {
  for (const char *s : {"a", "web", "reduce-worker", "a-b-c", "0-9"}) {
    INFO(s);
    CHECK(is_ac_name(s));
    CHECK(ac_name_problem(s).empty());
  }
  for (const char *s : {"", "example.com", "example/database", "app_1", "-app", "app-", "foo#", "a--b", "Web"}) {
    INFO(s);
    CHECK_FALSE(is_ac_name(s));
    CHECK_FALSE(ac_name_problem(s).empty());
  }
  CHECK(ac_name_problem("a--b").find("consecutive separators") != std::string::npos);
  CHECK(ac_name_problem("a.b").find("is not one of a-z 0-9 -") != std::string::npos);
}

TEST_CASE("spec 4: SemVer 2.0.0, strictly") {
  for (const char *s : {"0.8.11", "1.0.0", "0.0.0", "1.2.3-alpha", "1.2.3-alpha.1", "1.2.3-0.3.7", "1.2.3+build.5",
                        "1.0.0-x.7.z.92+001", "1.2.3-a-b", "10.20.30"}) {
    INFO(s);
    CHECK(is_semver(s));
  }
  for (const char *s : {"", "1", "1.2", "1.2.3.4", "v1.2.3", "01.2.3", "1.02.3", "1.2.03", "1.2.3-", "1.2.3-01",
                        "1.2.3+", "1.2.3-a..b", "1.2.3+a..b", "1.2.3-a$", " 1.2.3", "1.2.3 ", "-1.2.3",
                        "99999999999999999999.0.0"}) {
    INFO(s);
    CHECK_FALSE(is_semver(s));
  }
}

TEST_CASE("spec 4: SemVer precedence") {
  auto cmp = [](const char *a, const char *b) {
    SemVer x, y;
    REQUIRE(parse_semver(a, x));
    REQUIRE(parse_semver(b, y));
    return compare_semver(x, y);
  };
  CHECK(cmp("0.8.11", "0.8.11") == 0);
  CHECK(cmp("0.8.11+build", "0.8.11") == 0);
  CHECK(cmp("0.8.10", "0.8.11") < 0);
  CHECK(cmp("0.9.0", "0.8.11") > 0);
  CHECK(cmp("1.0.0", "0.8.11") > 0);
  CHECK(cmp("0.8.11-rc1", "0.8.11") < 0);
  // semver.org 11.4: 1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta < 1.0.0-beta < 1.0.0-beta.2 < 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0
  const char *order[] = {"1.0.0-alpha",  "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                         "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",       "1.0.0"};
  for (size_t i = 0; i + 1 < std::size(order); ++i) {
    INFO(order[i] << " < " << order[i + 1]);
    CHECK(cmp(order[i], order[i + 1]) < 0);
    CHECK(cmp(order[i + 1], order[i]) > 0);
  }
}

TEST_CASE("spec 5: image IDs are sha512- and 128 lowercase hex digits") {
  std::string good = "sha512-" + std::string(64, 'a') + std::string(64, '9');
  CHECK(is_image_id(good));
  CHECK(image_id_problem(good).empty());
  CHECK_FALSE(is_image_id("sha512-..."));
  CHECK_FALSE(is_image_id("sha512-" + std::string(127, 'a')));
  CHECK_FALSE(is_image_id("sha512-" + std::string(129, 'a')));
  CHECK_FALSE(is_image_id("sha512-" + std::string(127, 'a') + "A"));
  CHECK_FALSE(is_image_id("sha256-" + std::string(128, 'a')));
  CHECK_FALSE(is_image_id("SHA512-" + std::string(128, 'a')));
  CHECK_FALSE(is_image_id(""));
}

TEST_CASE("spec 5: image ID messages tell the problems apart") {
  CHECK(image_id_problem("abc").find("expected sha512-<128 lowercase hex digits>") != std::string::npos);
  CHECK(image_id_problem("sha1-abc").find("unknown hash type \"sha1\"") != std::string::npos);
  CHECK(image_id_problem("sha512-").find("empty hash value") != std::string::npos);
  CHECK(image_id_problem("sha512-...").find("has 3 characters, expected 128") != std::string::npos);
  CHECK(image_id_problem("sha512-" + std::string(127, 'a') + "G").find("character 134") != std::string::npos);
  CHECK(image_id_problem("sha512-" + std::string(127, 'a') + "G").find("not a lowercase hex digit") !=
        std::string::npos);
}

TEST_CASE("spec 7: RFC 3339 date-time timestamps") {
  for (const char *s : {"2014-10-27T19:32:27.67021798Z", "2015-05-18T13:49:28.351729952-04:00",
                        "2014-11-14T17:36:54Z", "2016-02-29T00:00:00+00:00", "2000-02-29T23:59:60Z",
                        "1999-12-31T23:59:59.1+14:00"}) {
    INFO(s);
    CHECK(is_timestamp(s));
  }
  for (const char *s : {"", "1416015188", "Fri Nov 14 17:53:02 PST 2014", "2014-11-1417:36:54",
                        "2014-11-14 17:36:54-08:00", "2014-11-14t17:36:54Z", "2014-13-01T00:00:00Z",
                        "2014-00-01T00:00:00Z", "2015-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2014-04-31T00:00:00Z",
                        "2014-01-01T24:00:00Z", "2014-01-01T00:60:00Z", "2014-01-01T00:00:61Z",
                        "2014-01-01T00:00:00", "2014-01-01T00:00:00.Z", "2014-01-01T00:00:00+2400",
                        "2014-01-01T00:00:00+24:00", "2014-01-01T00:00:00+01:60", "2014-01-01T00:00:00Zx",
                        "2014-01-01T00:00:00+01:00x", "2014-1-01T00:00:00Z"}) {
    INFO(s);
    CHECK_FALSE(is_timestamp(s));
  }
  CHECK(timestamp_problem("2014-11-14 17:36:54Z").find("separated by 'T'") != std::string::npos);
  CHECK(timestamp_problem("2014-02-30T00:00:00Z").find("day out of range") != std::string::npos);
}

TEST_CASE("spec 11: environment variable names") {
  for (const char *s : {"DEBUG", "_0_DEBUG_0_", "DEBUG.0", "a-b", "_"}) {
    INFO(s);
    CHECK(is_env_name(s));
  }
  for (const char *s : {"", "0DEBUG", "VERBOSE|DEBUG", "A B", "A=B", ".A", "-A"}) {
    INFO(s);
    CHECK_FALSE(is_env_name(s));
  }
}

TEST_CASE("spec 9: homepage and documentation URLs are http or https") {
  for (const char *s : {"https://example.com", "http://example.com/docs?x=1#y", "HTTPS://EXAMPLE.COM",
                        "http://user@host:80/"}) {
    INFO(s);
    CHECK(is_http_url(s));
  }
  for (const char *s : {"", "ftp://isnotallowed.com", "unix://file.net", "not-A$@#URL", "https://", "https:///x",
                        "http://exa mple.com", "https:example.com", "http://:80"}) {
    INFO(s);
    CHECK_FALSE(is_http_url(s));
  }
}

TEST_CASE("spec 9: a '%' in a homepage or documentation URL starts a percent-encoding (RFC 3986)") {
  for (const char *s : {"http://example.com/a%20b", "http://example.com/%2F%2f", "http://example.com/?q=%C3%A9#x%41",
                        "http://us%65r@example.com/", "http://%C3%A4.example/"}) {
    INFO(std::string(s));
    CHECK(is_http_url(s));
    CHECK(http_url_problem(s).empty());
  }
  // Anywhere in the URL: path, query (which Go's url.Parse does not check), fragment, user, host; at the end.
  for (const char *s : {"http://example.com/%zz", "http://example.com/?q=%zz", "http://example.com/#%g0",
                        "http://u%x@example.com/", "http://ex%ample.com", "http://example.com/%", "http://example.com/%4",
                        "http://example.com/a%%20"}) {
    INFO(std::string(s));
    CHECK_FALSE(is_http_url(s));
    CHECK(http_url_problem(s).find("is not a percent-encoding ('%' and two hex digits, RFC 3986)") !=
          std::string::npos);
  }
  CHECK(http_url_problem("http://example.com/%zz") ==
        R"("http://example.com/%zz" is not a URL: "%zz" at position 19 is not a percent-encoding ('%' and two hex )"
        R"(digits, RFC 3986))");
  CHECK(http_url_problem("http://example.com/%4") ==
        R"("http://example.com/%4" is not a URL: "%4" at position 19 is not a percent-encoding ('%' and two hex )"
        R"(digits, RFC 3986))");
  // The quoted escape keeps whole UTF-8 characters.
  CHECK(http_url_problem("http://example.com/%2\xc3\xa4x").find("\"%2\xc3\xa4\" at position 19") != std::string::npos);
  // The other reasons.
  CHECK(http_url_problem("ftp://x.org") == R"("ftp://x.org" is not a URL with scheme http or https)");
  CHECK(http_url_problem("http://") == R"("http://" is not a URL: it has no host)");
  CHECK(http_url_problem("http://a b") == R"("http://a b" is not a URL: it contains a space or a control character)");
}

TEST_CASE("spec 9: the authority of a homepage or documentation URL follows RFC 3986") {
  for (const char *s : {"http://example.com:8080/", "http://example.com:/", "http://u:p@example.com", "http://a.b-c_d~e/",
                        "http://a!$&'()*+,;=b/", "http://[::1]/", "http://[::1]:80", "http://[fe80::1%25eth0]/",
                        "http://[::ffff:192.0.2.1]/", "https://\xc3\xa4.example/", "http://%C3%A4.example/",
                        "http://example.com/{}|^`\"<>[]@:", "http://example.com?q=@:/?", "http://192.0.2.1/"}) {
    INFO(std::string(s));
    CHECK(is_http_url(s));
    CHECK(http_url_problem(s).empty());
  }
  struct Bad {
    const char *url, *why;
  };
  for (const Bad &b : {
           Bad{"http://exa{mple.com/", R"("{" at position 10 is not allowed in a host name)"},
           Bad{"http://example.com\\x/", R"("\\" at position 18 is not allowed in a host name)"},
           Bad{"http://a\"b/", R"("\"" at position 8 is not allowed in a host name)"},
           Bad{"http://a<b>/", R"("<" at position 8 is not allowed in a host name)"},
           Bad{"http://exa%41mple.com/", R"("%41" at position 10: a host name percent-encodes only bytes of non-ASCII)"},
           Bad{"http://ex%25ample.com/", R"("%25" at position 9: a host name percent-encodes only)"},
           Bad{"http://example.com:http/", R"(the port ":http" at position 18 is not ':' and digits)"},
           Bad{"http://a:b:80/", R"(the port ":b:80" at position 8 is not ':' and digits)"},
           Bad{"http://[::1]x/", R"(the port "x" at position 12 is not ':' and digits)"},
           Bad{"http://[::1/", R"("[::1" at position 7 is not an IPv6 address in brackets)"},
           Bad{"http://[example.com]/", R"("[example.com]" at position 7 is not an IPv6 address in brackets)"},
           Bad{"http://[fe80::1%25]/", "is not an IPv6 address in brackets"},
           Bad{"http://[fe80::1%25e%20]/", "is not an IPv6 address in brackets"},
           Bad{"http://u{@example.com/", R"("{" at position 8 is not allowed in the user information)"},
           Bad{"http://a@b@example.com/", R"("@" at position 8 is not allowed in the user information)"},
           Bad{"http://\xc3\xa4@example.com/", "\"\xc3\xa4\" at position 7 is not allowed in the user information"},
           Bad{"http://u@/", "it has no host"},
           Bad{"http:///x", "it has no host"},
       }) {
    INFO(std::string(b.url));
    CHECK_FALSE(is_http_url(b.url));
    std::string why = http_url_problem(b.url);
    INFO(why);
    CHECK(why.rfind(quote(b.url) + " is not a URL: ", 0) == 0);
    CHECK(why.find(b.why) != std::string::npos);
  }
}

TEST_CASE("spec 78, 79: octal modes and dotted quads") {
  for (const char *s : {"0755", "0777", "755", "0", "1777"}) CHECK(is_octal_mode(s));
  for (const char *s : {"", "rwx", "0855", "07555", "-755", "0x1ff"}) CHECK_FALSE(is_octal_mode(s));
  for (const char *s : {"203.0.113.23", "0.0.0.0", "255.255.255.255", "10.1.2.3"}) CHECK(is_ipv4_dotted_quad(s));
  for (const char *s : {"", "256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "::1", "1.2.3.x", "1..2.3"})
    CHECK_FALSE(is_ipv4_dotted_quad(s));
}

TEST_CASE("spec 8: the os/arch table") {
  CHECK(is_known_os("linux"));
  CHECK(is_known_os("freebsd"));
  CHECK(is_known_os("darwin"));
  CHECK_FALSE(is_known_os("plan9"));
  CHECK_FALSE(is_known_os("Linux"));
  for (const char *a : {"amd64", "i386", "aarch64", "aarch64_be", "armv6l", "armv7l", "armv7b", "ppc64", "ppc64le",
                        "s390x"})
    CHECK(is_known_arch("linux", a));
  CHECK(is_known_arch("freebsd", "arm"));
  CHECK(is_known_arch("darwin", "x86_64"));
  CHECK_FALSE(is_known_arch("linux", "arm64"));
  CHECK_FALSE(is_known_arch("freebsd", "armv7b"));
  CHECK_FALSE(is_known_arch("darwin", "amd64"));
  CHECK_FALSE(is_known_arch("plan9", "amd64"));
}

TEST_CASE("spec 3: detect_kind reads only the top-level acKind") {
  CHECK(detect_kind(R"({"acKind":"ImageManifest"})") == ManifestKind::image);
  CHECK(detect_kind(R"({"acVersion":"0.8.11","acKind":"PodManifest","apps":[]})") == ManifestKind::pod);
  CHECK(detect_kind(R"({"x":{"acKind":"PodManifest"},"acKind":"ImageManifest"})") == ManifestKind::image);
  CHECK(detect_kind(R"({"x":{"acKind":"PodManifest"}})") == ManifestKind::unknown);
  CHECK(detect_kind(R"({"acKind":"imagemanifest"})") == ManifestKind::unknown);
  CHECK(detect_kind(R"({"acKind":5})") == ManifestKind::unknown);
  // The leading-acKind shortcut and the parser agree.
  CHECK(detect_kind(" {\n  \"acKind\" :\t\"ImageManifest\"") == ManifestKind::image);
  CHECK(detect_kind(R"({"acKind":"PodManifest"})") == ManifestKind::pod);
  CHECK(detect_kind(R"({"acKind":"ImageManifestX"})") == ManifestKind::unknown);
  CHECK(detect_kind(R"({"acKind":"Image\u004danifest"})") == ManifestKind::image);
  CHECK(detect_kind(R"({"acKind":"PodManifest","acKind":"ImageManifest"})") == ManifestKind::pod);
  CHECK(detect_kind("\xef\xbb\xbf{\"acKind\":\"ImageManifest\"}") == ManifestKind::unknown);
  CHECK(detect_kind(R"({"acKind":{"a":"PodManifest"}})") == ManifestKind::unknown);
  CHECK(detect_kind(R"(["acKind","PodManifest"])") == ManifestKind::unknown);
  CHECK(detect_kind("") == ManifestKind::unknown);
  CHECK(detect_kind("garbage") == ManifestKind::unknown);
  // Stops at acKind: what follows is not looked at.
  CHECK(detect_kind(R"({"acKind":"PodManifest", garbage)") == ManifestKind::pod);
  std::string deep(100000, '[');
  CHECK(detect_kind(deep) == ManifestKind::unknown);
  CHECK(detect_kind("{\"x\":" + deep) == ManifestKind::unknown);
}

TEST_CASE("spec 1: messages quote values JSON-escaped, cut at 64 bytes") {
  CHECK(quote("abc") == "\"abc\"");
  CHECK(quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(quote(std::string_view("a\0b", 3)) == "\"a\\u0000b\"");
  std::string longv(100, 'x');
  CHECK(quote(longv) == "\"" + std::string(64, 'x') + "\"...");
  // A cut never splits a UTF-8 sequence: 63 ASCII bytes, then a 2-byte "é".
  std::string utf = std::string(63, 'x') + "\xc3\xa9" + "yyyy";
  CHECK(quote(utf) == "\"" + std::string(63, 'x') + "\"...");
}
