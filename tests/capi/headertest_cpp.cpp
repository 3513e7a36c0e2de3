// appc.h as C++ (-std=c++11 -pedantic): the extern "C" block, bool, the _INIT macros.
#include <appc/appc.h>

#include <cstring>

int main() {
  appc_parse_options popts = APPC_PARSE_OPTIONS_INIT;
  appc_serialize_options sopts = APPC_SERIALIZE_OPTIONS_INIT;
  appc_buf buf = APPC_BUF_INIT;
  appc_pod_manifest *pod = nullptr;
  if (appc_pod_manifest_new(&pod) != APPC_OK) return 1;
  if (appc_pod_manifest_add_app(pod, "a", "example.com/a", nullptr, nullptr) != APPC_OK) return 1;
  if (appc_pod_manifest_serialize(pod, &sopts, &buf) != APPC_OK) return 1;
  appc_pod_manifest *back = nullptr;
  int rc = appc_pod_manifest_parse(&back, buf.ptr, buf.size, &popts);
  appc_buf_dispose(&buf);
  bool ok = rc == APPC_OK && std::strcmp(appc_pod_app_name(back, 0), "a") == 0;
  appc_pod_manifest_free(back);
  appc_pod_manifest_free(pod);
  return ok ? 0 : 1;
}
