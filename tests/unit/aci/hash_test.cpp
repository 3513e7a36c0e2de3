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
