#include "util/hash.hpp"

// The one-shot digest of short inputs uses the low-level SHA-512 functions:
// the first EVP call of a process initialises OpenSSL (configuration,
// providers, every cipher), which costs about a millisecond, and `appc run`
// needs a digest only for a tree key. Deprecated in OpenSSL 3, not removed;
// the same assembly as EVP's.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <new>

namespace appc {

namespace {

EVP_MD_CTX *ctx_of(void *p) { return static_cast<EVP_MD_CTX *>(p); }

// EVP_sha512() looks the algorithm up on every init in OpenSSL 3; fetch it once.
const EVP_MD *sha512_md() {
  static const EVP_MD *md = [] {
    EVP_MD *fetched = EVP_MD_fetch(nullptr, "SHA512", nullptr);
    return fetched ? static_cast<const EVP_MD *>(fetched) : EVP_sha512();
  }();
  return md;
}

void init(void *ctx) {
  if (EVP_DigestInit_ex(ctx_of(ctx), sha512_md(), nullptr) != 1)
    throw std::bad_alloc();   // only fails for lack of memory (or a broken libcrypto)
}

} // namespace

Sha512::Sha512() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) throw std::bad_alloc();
  init(ctx_);
}

Sha512::~Sha512() { EVP_MD_CTX_free(ctx_of(ctx_)); }

void Sha512::update(const void *data, size_t len) noexcept {
  if (len) EVP_DigestUpdate(ctx_of(ctx_), data, len);
}

std::string Sha512::hex_digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx_of(ctx_), md, &n);
  static const char digits[] = "0123456789abcdef";
  std::string out(size_t(n) * 2, '0');
  for (unsigned i = 0; i < n; ++i) {
    out[2 * i] = digits[md[i] >> 4];
    out[2 * i + 1] = digits[md[i] & 15];
  }
  init(ctx_);
  return out;
}

std::string sha512_hex(const void *data, size_t len) {
  SHA512_CTX c;
  unsigned char md[SHA512_DIGEST_LENGTH];
  SHA512_Init(&c);
  SHA512_Update(&c, data, len);
  SHA512_Final(md, &c);
  static const char hexd[] = "0123456789abcdef";
  std::string out(2 * sizeof md, '0');
  for (size_t i = 0; i < sizeof md; ++i) {
    out[2 * i] = hexd[md[i] >> 4];
    out[2 * i + 1] = hexd[md[i] & 15];
  }
  return out;
}

} // namespace appc
