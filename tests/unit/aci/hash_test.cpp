// The one-shot SHA-512 (computed without libcrypto, for tree keys) against
// FIPS 180-4's examples and against libcrypto's streaming digest, at every
// length around the block and padding boundaries.
#include "util/hash.hpp"

#include <doctest/doctest.h>

#include <string>

TEST_CASE("sha512_hex: FIPS 180-4 examples") {
  CHECK(appc::sha512_hex("abc", 3) ==
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  CHECK(appc::sha512_hex("", 0) ==
        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
  const std::string two_blocks = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
  CHECK(appc::sha512_hex(two_blocks.data(), two_blocks.size()) ==
        "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
}

TEST_CASE("sha512_hex equals libcrypto's SHA-512 at every length from 0 to 400 bytes") {
  std::string data;
  for (size_t n = 0; n <= 400; ++n) {
    CAPTURE(n);
    appc::Sha512 h;
    h.update(data.data(), data.size());
    CHECK(appc::sha512_hex(data.data(), data.size()) == h.hex_digest());
    data.push_back(static_cast<char>('a' + n % 26 + (n % 7 == 0 ? 100 : 0)));
  }
}

namespace {
std::string hex16(const unsigned char *p) {
  static const char d[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 16; ++i) s += d[p[i] >> 4], s += d[p[i] & 15];
  return s;
}
} // namespace

TEST_CASE("siphash128: SipHash-2-4-128 reference vectors (key 00..0f, message 00..n-1; libsodium's siphashx24)") {
  unsigned char key[16], msg[64], out[16];
  for (int i = 0; i < 16; ++i) key[i] = static_cast<unsigned char>(i);
  for (int i = 0; i < 64; ++i) msg[i] = static_cast<unsigned char>(i);
  const std::pair<size_t, const char *> vectors[] = {
      {0, "a3817f04ba25a8e66df67214c7550293"},  {1, "da87c1d86b99af44347659119b22fc45"},
      {7, "a1f1ebbed8dbc153c0b84aa61ff08239"},  {8, "3b62a9ba6258f5610f83e264f31497b4"},
      {15, "5493e99933b0a8117e08ec0f97cfc3d9"}, {16, "6ee2a4ca67b054bbfd3315bf85230577"},
      {63, "5150d1772f50834a503e069a973fbd7c"},
  };
  for (const auto &[n, want] : vectors) {
    appc::siphash128(key, msg, n, out);
    CHECK_MESSAGE(hex16(out) == want, "length " << n);
  }
}

TEST_CASE("keyed_hash128: stable within a process, different for different inputs") {
  unsigned char a[16], b[16], c[16];
  appc::keyed_hash128("rootfs/etc/passwd", 17, a);
  appc::keyed_hash128("rootfs/etc/passwd", 17, b);
  appc::keyed_hash128("rootfs/etc/passwe", 17, c);
  CHECK(hex16(a) == hex16(b));
  CHECK(hex16(a) != hex16(c));
}
