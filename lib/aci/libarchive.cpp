#include "aci/libarchive.hpp"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace appc::aci {

namespace {

constexpr const char *kSoname = "libarchive.so.13";

struct Loaded {
  LibArchive api;
  std::string error;   // empty: loaded
};

const Loaded &loaded() {
  static const Loaded l = [] {
    Loaded r;
    void *h = ::dlopen(kSoname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char *e = ::dlerror();
      r.error = std::string("cannot load ") + kSoname + " (Debian package libarchive13): " + (e ? e : "unknown error");
      return r;
    }
#define APPC_LA_LOAD(name)                                                                   \
  if (r.error.empty()) {                                                                     \
    r.api.name = reinterpret_cast<decltype(&::name)>(::dlsym(h, #name));                     \
    if (!r.api.name) r.error = std::string(kSoname) + " has no " #name ": too old a libarchive"; \
  }
    APPC_LIBARCHIVE_FUNCTIONS(APPC_LA_LOAD)
#undef APPC_LA_LOAD
    return r;   // the handle stays open for the life of the process
  }();
  return l;
}

} // namespace

Status load_libarchive() {
  const Loaded &l = loaded();
  if (!l.error.empty()) return Error::make(Code::not_supported, l.error);
  return {};
}

const LibArchive &la() {
  const Loaded &l = loaded();
  if (!l.error.empty()) {
    std::fprintf(stderr, "libappc: %s\n", l.error.c_str());
    std::abort();
  }
  return l.api;
}

} // namespace appc::aci
