// The C ABI's common parts: status names, the thread-local last error,
// versions, buffers, options structs, manifest kind detection.
#include <appc/appc.h>
#include <appc/version.h>

#include "guard.hpp"
#include "options.hpp"
#include "handles.hpp"
#include "spec/isolator.hpp"
#include "util/json_path.hpp"


#include <cstdio>

namespace appc::capi {
namespace {

// The calling thread's last error: the C view points into `err`.
struct LastError {
  Error err;
  appc_error view{APPC_OK, 0, "", ""};
  const char *function = "";

  void publish() noexcept {
    view.code = static_cast<int>(err.code);
    view.sys_errno = err.sys_errno;
    view.message = err.message.c_str();
    view.where = err.where.c_str();
  }
};

LastError &last() noexcept {
  thread_local LastError le;
  return le;
}

} // namespace

void reset_last_error() noexcept {
  LastError &le = last();
  le.err.code = Code::ok;
  le.err.sys_errno = 0;
  le.err.message.clear();
  le.err.where.clear();
  le.err.diagnostics.clear();
  le.publish();
}

int set_last_error(Error &&e) noexcept {
  LastError &le = last();
  le.err = std::move(e);
  // A failure must never read as success.
  if (le.err.code == Code::ok) le.err.code = Code::generic;
  le.publish();
  return static_cast<int>(le.err.code);
}

void set_current_function(const char *fn) noexcept { last().function = fn; }

Error null_argument(const char *arg) {
  return Error::make(Code::invalid,
                     std::string(last().function) + ": argument '" + arg + "' is NULL", arg);
}

Error index_out_of_range(const char *what, size_t index, size_t size) {
  return Error::make(Code::not_found, std::string(last().function) + ": " + what + " index " +
                                          std::to_string(index) + " is out of range (" +
                                          std::to_string(size) + " present)");
}


Result<spec::ParseOptions> parse_options(const appc_parse_options *opts) {
  spec::ParseOptions p;
  if (opts == nullptr) return p;
  APPC_TRY_VOID(check_version("appc_parse_options", opts->version, APPC_PARSE_OPTIONS_VERSION));
  if (opts->max_bytes != 0) p.max_bytes = opts->max_bytes;
  if (opts->max_depth != 0) p.max_depth = opts->max_depth;
  return p;
}

Result<spec::SerializeOptions> serialize_options(const appc_serialize_options *opts) {
  spec::SerializeOptions s;
  if (opts == nullptr) return s;
  APPC_TRY_VOID(check_version("appc_serialize_options", opts->version, APPC_SERIALIZE_OPTIONS_VERSION));
  s.pretty = opts->pretty;
  return s;
}

void fill_buf(appc_buf *out, std::string_view text) {
  char *p = static_cast<char *>(std::malloc(text.size() + 1));
  if (p == nullptr) throw std::bad_alloc();
  if (!text.empty()) std::memcpy(p, text.data(), text.size());
  p[text.size()] = '\0';
  out->ptr = p;
  out->size = text.size();
}

Result<std::vector<std::string>> copy_argv(const char *const *argv, size_t argc) {
  std::vector<std::string> v;
  if (argc == 0) return v;
  if (argv == nullptr) return null_argument("argv");
  v.reserve(argc);
  for (size_t i = 0; i < argc; ++i) {
    if (argv[i] == nullptr)
      return Error::make(Code::invalid, std::string(last().function) + ": argv[" + std::to_string(i) +
                                            "] is NULL",
                         "argv[" + std::to_string(i) + "]");
    v.emplace_back(argv[i]);
  }
  return v;
}

Result<spec::Isolator> make_isolator(const char *name, const char *json, size_t len) {
  if (name == nullptr) return null_argument("name");
  if (json == nullptr) return null_argument("value_json");
  // The manifest's own nesting bound (the parser keeps no recursion).
  auto doc = std::make_unique<spec::detail::json::Document>();
  const spec::detail::json::ParseError pe = doc->parse(std::string_view(json, len), spec::ParseOptions{}.max_depth);
  if (pe.what != spec::detail::json::ParseError::none) {
    Diagnostic d;
    d.path = "value";
    d.message = std::string("JSON syntax error at offset ") + std::to_string(pe.offset) + ": " +
                spec::detail::json::error_text(pe);
    return Error::invalid({std::move(d)});
  }
  std::vector<Diagnostic> diags;
  spec::Isolator iso;
  iso.name = name;
  iso.value = spec::decode_isolator_value(iso.name, doc->root(), JsonPath::root().field("value"), diags);
  if (!diags.empty()) return Error::invalid(std::move(diags));
  return iso;
}

} // namespace appc::capi

using namespace appc;
using namespace appc::capi;

extern "C" {

const char *appc_status_name(int status) {
  if (status > 0 || status < static_cast<int>(Code::nomem)) return "unknown status";
  return code_name(static_cast<Code>(status));
}

const appc_error *appc_error_last(void) { return &last().view; }

void appc_error_clear(void) { reset_last_error(); }

size_t appc_error_diagnostic_count(void) { return last().err.diagnostics.size(); }

bool appc_error_diagnostic(size_t index, const char **path, const char **message, int *rule) {
  const auto &diags = last().err.diagnostics;
  if (index >= diags.size()) return false;
  const Diagnostic &d = diags[index];
  if (path) *path = d.path.c_str();
  if (message) *message = d.message.c_str();
  if (rule) *rule = d.rule;
  return true;
}

const char *appc_version(void) { return APPC_VERSION; }

void appc_version_numbers(int *major, int *minor, int *patch) {
  if (major) *major = APPC_VERSION_MAJOR;
  if (minor) *minor = APPC_VERSION_MINOR;
  if (patch) *patch = APPC_VERSION_PATCH;
}

const char *appc_spec_version(void) { return spec::kSpecVersion; }

void appc_buf_dispose(appc_buf *buf) {
  if (buf == nullptr) return;
  std::free(buf->ptr);
  buf->ptr = nullptr;
  buf->size = 0;
}

int appc_parse_options_init(appc_parse_options *opts, unsigned int version) {
  return APPC_GUARD({
    APPC_ARG(opts);
    APPC_TRY_VOID(check_version("appc_parse_options", version, APPC_PARSE_OPTIONS_VERSION));
    spec::ParseOptions defaults;
    opts->version = version;
    opts->max_bytes = defaults.max_bytes;
    opts->max_depth = defaults.max_depth;
    return {};
  });
}

int appc_serialize_options_init(appc_serialize_options *opts, unsigned int version) {
  return APPC_GUARD({
    APPC_ARG(opts);
    APPC_TRY_VOID(check_version("appc_serialize_options", version, APPC_SERIALIZE_OPTIONS_VERSION));
    spec::SerializeOptions defaults;
    opts->version = version;
    opts->pretty = defaults.pretty;
    return {};
  });
}

appc_manifest_kind appc_detect_kind(const char *json, size_t len) {
  if (json == nullptr) return APPC_KIND_UNKNOWN;
  switch (spec::detect_kind(std::string_view(json, len))) {
  case spec::ManifestKind::image: return APPC_KIND_IMAGE;
  case spec::ManifestKind::pod: return APPC_KIND_POD;
  case spec::ManifestKind::unknown: break;
  }
  return APPC_KIND_UNKNOWN;
}

} // extern "C"

// appc_status mirrors appc::Code numerically; the ABI depends on it.
static_assert(APPC_OK == static_cast<int>(appc::Code::ok));
static_assert(APPC_ERROR == static_cast<int>(appc::Code::generic));
static_assert(APPC_EINVALID == static_cast<int>(appc::Code::invalid));
static_assert(APPC_ENOTFOUND == static_cast<int>(appc::Code::not_found));
static_assert(APPC_EEXISTS == static_cast<int>(appc::Code::exists));
static_assert(APPC_EVERIFY == static_cast<int>(appc::Code::verify));
static_assert(APPC_ENETWORK == static_cast<int>(appc::Code::network));
static_assert(APPC_ECANCELLED == static_cast<int>(appc::Code::cancelled));
static_assert(APPC_ENOTSUPPORTED == static_cast<int>(appc::Code::not_supported));
static_assert(APPC_EOS == static_cast<int>(appc::Code::os));
static_assert(APPC_ITEROVER == static_cast<int>(appc::Code::iter_over));
static_assert(APPC_EPERM == static_cast<int>(appc::Code::permission));
static_assert(APPC_ECONFLICT == static_cast<int>(appc::Code::conflict));
static_assert(APPC_ELIMIT == static_cast<int>(appc::Code::limit));
static_assert(APPC_EINTERNAL == static_cast<int>(appc::Code::internal));
static_assert(APPC_ENOMEM == static_cast<int>(appc::Code::nomem));
