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

std::string sha512_hex(const void *data, size_t len);

} // namespace appc
