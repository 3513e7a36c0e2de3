// The exception and error boundary of the C ABI: every exported status-returning
// function is one guard() call; the thread-local last error lives here.
#pragma once

#include <appc/appc.h>

#include "util/error.hpp"

#include <new>
#include <stdexcept>
#include <string>
#include <utility>

namespace appc::capi {

// Resets the calling thread's last error; called on entry of every guarded function.
void reset_last_error() noexcept;
// Stores `e` as the calling thread's last error and returns its status code.
int set_last_error(Error &&e) noexcept;
// The name of the exported function running on this thread (for argument errors).
void set_current_function(const char *fn) noexcept;
// "appc_image_manifest_new: argument 'name' is NULL" (Code::invalid).
Error null_argument(const char *arg);
// "appc_pod_app_add_mount: app index 3 is out of range (2 apps)" (Code::not_found).
Error index_out_of_range(const char *what, size_t index, size_t size);

// Run `body` (returning Status) with the last error reset first; map every
// outcome to an appc_status. bad_alloc comes first so OOM stays APPC_ENOMEM.
template <class F> int guard(const char *fn, F &&body) noexcept {
  reset_last_error();
  set_current_function(fn);
  try {
    Status r = body();
    if (r) return APPC_OK;
    return set_last_error(std::move(r).error());
  } catch (const std::bad_alloc &) {
    return set_last_error(Error::oom());
  } catch (const std::exception &e) {
    try {
      return set_last_error(Error::make(Code::internal, std::string(fn) + ": " + e.what()));
    } catch (...) {
      return set_last_error(Error::oom());
    }
  } catch (...) {
    try {
      return set_last_error(Error::make(Code::internal, std::string(fn) + ": unknown exception"));
    } catch (...) {
      return set_last_error(Error::oom());
    }
  }
}

} // namespace appc::capi

// Reject a NULL required argument with a message naming the function and the argument.
#define APPC_ARG(p)                                                                                \
  do {                                                                                             \
    if ((p) == nullptr) return ::appc::capi::null_argument(#p);                                    \
  } while (0)

// Every exported status function: `return APPC_GUARD({ ...; return {}; });`
#define APPC_GUARD(...) ::appc::capi::guard(__func__, [&]() -> ::appc::Status __VA_ARGS__)
