// Compression names and detection by magic bytes (spec 42; zstd beyond the spec).
#include "aci/aci.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace appc;
using namespace appc::aci;

TEST_CASE("spec 42: compression names round-trip") {
  for (Compression c : {Compression::none, Compression::gzip, Compression::bzip2, Compression::xz, Compression::zstd}) {
    auto back = compression_from_name(compression_name(c));
    REQUIRE(back.has_value());
    CHECK(*back == c);
  }
  CHECK(std::string(compression_name(Compression::gzip)) == "gzip");
  CHECK(std::string(compression_name(Compression::zstd)) == "zstd");
  CHECK_FALSE(compression_from_name("GZIP").has_value());
  CHECK_FALSE(compression_from_name("gz").has_value());
  CHECK_FALSE(compression_from_name("").has_value());
  CHECK_FALSE(compression_from_name("lz4").has_value());
}

TEST_CASE("spec 42: compression is detected by magic bytes") {
  const unsigned char gz[] = {0x1f, 0x8b, 0x08, 0x00};
  const unsigned char bz[] = {'B', 'Z', 'h', '9', '1'};
  const unsigned char xz[] = {0xfd, '7', 'z', 'X', 'Z', 0x00, 0x00};
  const unsigned char zst[] = {0x28, 0xb5, 0x2f, 0xfd, 0x24};
  CHECK(detect_compression(gz, sizeof gz) == Compression::gzip);
  CHECK(detect_compression(bz, sizeof bz) == Compression::bzip2);
  CHECK(detect_compression(xz, sizeof xz) == Compression::xz);
  CHECK(detect_compression(zst, sizeof zst) == Compression::zstd);

  SUBCASE("a tar header is uncompressed") {
    std::string tar(512, '\0');
    tar.replace(0, 8, "manifest");
    tar.replace(257, 5, "ustar");
    CHECK(detect_compression(tar.data(), tar.size()) == Compression::none);
  }
  SUBCASE("truncated magic is not enough") {
    CHECK(detect_compression(gz, 1) == Compression::none);
    CHECK(detect_compression(xz, 5) == Compression::none);   // "\xfd7zXZ" without the NUL
    CHECK(detect_compression(bz, 2) == Compression::none);
    CHECK(detect_compression(zst, 3) == Compression::none);
  }
  SUBCASE("empty and null input") {
    CHECK(detect_compression(nullptr, 0) == Compression::none);
    CHECK(detect_compression(nullptr, 10) == Compression::none);
    CHECK(detect_compression("", 0) == Compression::none);
  }
  SUBCASE("near misses") {
    const unsigned char gz2[] = {0x1f, 0x8c};
    const unsigned char xz2[] = {0xfd, '7', 'z', 'X', 'Z', 0x01};
    const unsigned char lz4[] = {0x04, 0x22, 0x4d, 0x18};
    CHECK(detect_compression(gz2, sizeof gz2) == Compression::none);
    CHECK(detect_compression(xz2, sizeof xz2) == Compression::none);
    CHECK(detect_compression(lz4, sizeof lz4) == Compression::none);
  }
}
