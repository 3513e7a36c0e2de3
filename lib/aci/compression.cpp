#include "aci/aci.hpp"

#include <cstring>

namespace appc::aci {

const char *compression_name(Compression c) noexcept {
  switch (c) {
  case Compression::none: return "none";
  case Compression::gzip: return "gzip";
  case Compression::bzip2: return "bzip2";
  case Compression::xz: return "xz";
  case Compression::zstd: return "zstd";
  }
  return "none";
}

std::optional<Compression> compression_from_name(std::string_view s) noexcept {
  for (Compression c : {Compression::none, Compression::gzip, Compression::bzip2, Compression::xz, Compression::zstd})
    if (s == compression_name(c)) return c;
  return std::nullopt;
}

Compression detect_compression(const void *head, size_t len) noexcept {
  static constexpr struct { unsigned char magic[6]; size_t n; Compression c; } kMagic[] = {
      {{0x1f, 0x8b}, 2, Compression::gzip},                       // RFC 1952
      {{0x42, 0x5a, 0x68}, 3, Compression::bzip2},                // "BZh"
      {{0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00}, 6, Compression::xz}, // "\xfd7zXZ\0"
      {{0x28, 0xb5, 0x2f, 0xfd}, 4, Compression::zstd},           // RFC 8878 frame magic
  };
  if (!head) return Compression::none;
  for (const auto &m : kMagic)
    if (len >= m.n && std::memcmp(head, m.magic, m.n) == 0) return m.c;
  return Compression::none;
}

} // namespace appc::aci
