// SHA-512 (OpenSSL's implementation: on this class of CPU it is ~1.4x faster
// than libsodium's, and libcurl brings libcrypto in anyway).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace appc {

class Sha512 {
public:
  Sha512();
  ~Sha512();
  Sha512(const Sha512 &) = delete;
  Sha512 &operator=(const Sha512 &) = delete;
  void update(const void *data, size_t len) noexcept;
  // 128 lowercase hex digits; the object is reset afterwards.
  std::string hex_digest();
  // "sha512-" + hex_digest()
  std::string image_id() { return "sha512-" + hex_digest(); }

private:
  void *ctx_;   // EVP_MD_CTX
};

// SHA-512 of a short input in hex, computed without libcrypto (tree keys).
std::string sha512_hex(const void *data, size_t len);
// SipHash-2-4 with a 128-bit output (Aumasson and Bernstein; libsodium's
// crypto_shorthash_siphashx24) of `data` under `key`, into out[16].
void siphash128(const unsigned char key[16], const void *data, size_t len, unsigned char out[16]) noexcept;
// The same under a key drawn at random once per process: in-memory keys of
// names from untrusted input (an archive's paths), whose collisions nobody
// can aim at without the key. Never stored: the key dies with the process.
void keyed_hash128(const void *data, size_t len, unsigned char out[16]) noexcept;

} // namespace appc
