#include "util/hash.hpp"

// OpenSSL's libcrypto is loaded on first use (dlopen), like libarchive
// (lib/aci/libarchive.hpp): it is large (thousands of relocations) and most
// processes using libappc (`appc run` of a stored image, status, list) never
// hash a byte stream. Its SHA-512 is the fastest on this class of CPU (~1.4x
// libsodium's), so the streaming digests of images and trees use it. The
// one-shot digest of short inputs (tree keys) is computed here (FIPS 180-4),
// without libcrypto.
#include <openssl/evp.h>

#include <dlfcn.h>
#include <sys/random.h>

#include <array>
#include <cerrno>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

namespace appc {

namespace {

#define APPC_CRYPTO_FUNCTIONS(X) \
  X(EVP_MD_fetch)                \
  X(EVP_sha512)                  \
  X(EVP_MD_CTX_new)              \
  X(EVP_MD_CTX_free)             \
  X(EVP_DigestInit_ex)           \
  X(EVP_DigestUpdate)            \
  X(EVP_DigestFinal_ex)

struct LibCrypto {
#define APPC_CRYPTO_MEMBER(name) decltype(&::name) name = nullptr;
  APPC_CRYPTO_FUNCTIONS(APPC_CRYPTO_MEMBER)
#undef APPC_CRYPTO_MEMBER
};

// Loaded once; a failure (libssl3 not installed) is fatal, as it would have
// been at process start had libcrypto been linked.
const LibCrypto &crypto() {
  static const LibCrypto c = [] {
    LibCrypto r;
    const char *soname = "libcrypto.so.3";
    void *h = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char *e = ::dlerror();
      std::fprintf(stderr, "libappc: cannot load %s (Debian package libssl3): %s\n", soname, e ? e : "?");
      std::abort();
    }
#define APPC_CRYPTO_LOAD(name)                                                        \
  r.name = reinterpret_cast<decltype(&::name)>(::dlsym(h, #name));                    \
  if (!r.name) {                                                                      \
    std::fprintf(stderr, "libappc: %s has no " #name "\n", soname);                  \
    std::abort();                                                                     \
  }
    APPC_CRYPTO_FUNCTIONS(APPC_CRYPTO_LOAD)
#undef APPC_CRYPTO_LOAD
    return r;
  }();
  return c;
}

EVP_MD_CTX *ctx_of(void *p) { return static_cast<EVP_MD_CTX *>(p); }

// EVP_sha512() looks the algorithm up on every init in OpenSSL 3; fetch it once.
const EVP_MD *sha512_md() {
  static const EVP_MD *md = [] {
    EVP_MD *fetched = crypto().EVP_MD_fetch(nullptr, "SHA512", nullptr);
    return fetched ? static_cast<const EVP_MD *>(fetched) : crypto().EVP_sha512();
  }();
  return md;
}

void init(void *ctx) {
  if (crypto().EVP_DigestInit_ex(ctx_of(ctx), sha512_md(), nullptr) != 1)
    throw std::bad_alloc();   // only fails for lack of memory (or a broken libcrypto)
}

// ---- SHA-512 of short inputs (FIPS 180-4), without libcrypto ----

constexpr uint64_t kK[80] = {
    0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL, 0x3956c25bf348b538ULL,
    0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL, 0xd807aa98a3030242ULL, 0x12835b0145706fbeULL,
    0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL, 0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL,
    0xc19bf174cf692694ULL, 0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
    0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL, 0x983e5152ee66dfabULL,
    0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL, 0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL,
    0x06ca6351e003826fULL, 0x142929670a0e6e70ULL, 0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL,
    0x53380d139d95b3dfULL, 0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
    0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL, 0xd192e819d6ef5218ULL,
    0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL, 0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL,
    0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL, 0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL,
    0x682e6ff3d6b2b8a3ULL, 0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
    0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL, 0xca273eceea26619cULL,
    0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL, 0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL,
    0x113f9804bef90daeULL, 0x1b710b35131c471bULL, 0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL,
    0x431d67c49c100d4cULL, 0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL};

inline uint64_t rotr(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

void sha512_block(uint64_t h[8], const unsigned char *p) {
  uint64_t w[80];
  for (int i = 0; i < 16; ++i) {
    uint64_t v = 0;
    for (int j = 0; j < 8; ++j) v = (v << 8) | p[8 * i + j];
    w[i] = v;
  }
  for (int i = 16; i < 80; ++i) {
    uint64_t s0 = rotr(w[i - 15], 1) ^ rotr(w[i - 15], 8) ^ (w[i - 15] >> 7);
    uint64_t s1 = rotr(w[i - 2], 19) ^ rotr(w[i - 2], 61) ^ (w[i - 2] >> 6);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint64_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (int i = 0; i < 80; ++i) {
    uint64_t t1 = k + (rotr(e, 14) ^ rotr(e, 18) ^ rotr(e, 41)) + ((e & f) ^ (~e & g)) + kK[i] + w[i];
    uint64_t t2 = (rotr(a, 28) ^ rotr(a, 34) ^ rotr(a, 39)) + ((a & b) ^ (a & c) ^ (b & c));
    k = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

} // namespace

Sha512::Sha512() : ctx_(crypto().EVP_MD_CTX_new()) {
  if (!ctx_) throw std::bad_alloc();
  init(ctx_);
}

Sha512::~Sha512() { crypto().EVP_MD_CTX_free(ctx_of(ctx_)); }

void Sha512::update(const void *data, size_t len) noexcept {
  if (len) crypto().EVP_DigestUpdate(ctx_of(ctx_), data, len);
}

std::string Sha512::hex_digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  crypto().EVP_DigestFinal_ex(ctx_of(ctx_), md, &n);
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
  uint64_t h[8] = {0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
                   0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};
  const auto *p = static_cast<const unsigned char *>(data);
  size_t n = len;
  for (; n >= 128; n -= 128, p += 128) sha512_block(h, p);
  unsigned char last[256] = {};
  std::memcpy(last, p, n);
  last[n] = 0x80;
  size_t blocks = n + 1 + 16 <= 128 ? 1 : 2;
  uint64_t bits = static_cast<uint64_t>(len) * 8;   // inputs below 2^61 bytes
  for (int i = 0; i < 8; ++i) last[blocks * 128 - 1 - i] = static_cast<unsigned char>(bits >> (8 * i));
  for (size_t b = 0; b < blocks; ++b) sha512_block(h, last + 128 * b);
  static const char hexd[] = "0123456789abcdef";
  std::string out(128, '0');
  for (int i = 0; i < 64; ++i) {
    unsigned char byte = static_cast<unsigned char>(h[i / 8] >> (56 - 8 * (i % 8)));
    out[2 * i] = hexd[byte >> 4];
    out[2 * i + 1] = hexd[byte & 15];
  }
  return out;
}

} // namespace appc

namespace appc {
namespace {

inline uint64_t rotl(uint64_t x, int b) noexcept { return (x << b) | (x >> (64 - b)); }

inline uint64_t load_le64(const unsigned char *p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

inline void store_le64(unsigned char *p, uint64_t v) noexcept {
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  std::memcpy(p, &v, 8);
}

struct SipState {
  uint64_t v0, v1, v2, v3;
  void round() noexcept {
    v0 += v1, v1 = rotl(v1, 13), v1 ^= v0, v0 = rotl(v0, 32);
    v2 += v3, v3 = rotl(v3, 16), v3 ^= v2;
    v0 += v3, v3 = rotl(v3, 21), v3 ^= v0;
    v2 += v1, v1 = rotl(v1, 17), v1 ^= v2, v2 = rotl(v2, 32);
  }
  void block(uint64_t m) noexcept {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

} // namespace

void siphash128(const unsigned char key[16], const void *data, size_t len, unsigned char out[16]) noexcept {
  const uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
  SipState s{0x736f6d6570736575ull ^ k0, 0x646f72616e646f6dull ^ k1 ^ 0xee, 0x6c7967656e657261ull ^ k0,
             0x7465646279746573ull ^ k1};
  const auto *p = static_cast<const unsigned char *>(data);
  const size_t whole = len & ~size_t{7};
  for (size_t i = 0; i < whole; i += 8) s.block(load_le64(p + i));
  uint64_t last = uint64_t(len & 0xff) << 56;
  for (size_t i = 0; i < (len & 7); ++i) last |= uint64_t(p[whole + i]) << (8 * i);
  s.block(last);
  s.v2 ^= 0xee;
  for (int i = 0; i < 4; ++i) s.round();
  store_le64(out, s.v0 ^ s.v1 ^ s.v2 ^ s.v3);
  s.v1 ^= 0xdd;
  for (int i = 0; i < 4; ++i) s.round();
  store_le64(out + 8, s.v0 ^ s.v1 ^ s.v2 ^ s.v3);
}

void keyed_hash128(const void *data, size_t len, unsigned char out[16]) noexcept {
  static const std::array<unsigned char, 16> key = [] {
    std::array<unsigned char, 16> k{};
    size_t got = 0;
    while (got < k.size()) {
      ssize_t n = ::getrandom(k.data() + got, k.size() - got, 0);
      if (n > 0) got += static_cast<size_t>(n);
      else if (n < 0 && errno != EINTR) std::abort();   // no randomness: nothing safe to fall back to
    }
    return k;
  }();
  siphash128(key.data(), data, len, out);
}

} // namespace appc
