// appc._appc: the low-level Python face of libappc's C ABI.
//
// Only <appc/appc.h> is used (never lib/ headers): every value crosses the
// ABI through its accessors and builders. This module wraps the opaque
// handles with RAII holders and exposes them nearly one to one; the Pythonic
// classes (appc.ImageManifest, appc.App, ...) live in appc/_manifest.py and
// appc/_model.py and are converted to and from these handles there.
//
// Rules kept throughout (STYLE.md, "Python over the C ABI"):
// - the GIL is released around parse, validate and serialize; accessors and
//   builders are short and run with the GIL held;
// - a failed call's last error (code, errno, message, where, diagnostics) is
//   copied on the calling thread right after the call, before any Python code
//   can run, and raised as one of the appc exception classes;
// - a pointer borrowed from a manifest is wrapped in a view that keeps the
//   manifest alive and refuses to be used after a builder call changed it.
#include <appc/appc.h>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <tuple>
#include <string>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace {

// ---------------------------------------------------------------------------
// Errors

struct DiagCopy {
  std::string path, message;
  int rule = 0;
};

// A copy of the calling thread's last error, taken right after a failed call.
// Only std:: types: it is filled while the GIL may be released.
struct ErrorCopy {
  int code = APPC_OK;
  int sys_errno = 0;
  std::string message, where;
  std::vector<DiagCopy> diags;

  static ErrorCopy last() {
    ErrorCopy e;
    const appc_error *le = appc_error_last();
    e.code = le->code;
    e.sys_errno = le->sys_errno;
    e.message = le->message ? le->message : "";
    e.where = le->where ? le->where : "";
    size_t n = appc_error_diagnostic_count();
    e.diags.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      const char *path = nullptr, *message = nullptr;
      int rule = 0;
      if (appc_error_diagnostic(i, &path, &message, &rule))
        e.diags.push_back({path ? path : "", message ? message : "", rule});
    }
    if (e.code == APPC_OK) {
      // A status-returning call failed without recording why: a library bug, but say something.
      e.code = APPC_EINTERNAL;
      if (e.message.empty()) e.message = "libappc reported a failure without an error";
    }
    return e;
  }
};

// The exception classes, defined in appc/_errors.py and handed over once by
// appc/__init__.py. Strong references kept for the life of the process (never
// released: they must outlive every raise, including during interpreter exit).
struct ErrorClasses {
  PyObject *error = nullptr, *validation = nullptr, *not_found = nullptr, *verification = nullptr,
           *network = nullptr, *cancelled = nullptr, *limit = nullptr;
};
ErrorClasses g_classes;

void set_error_classes(const py::dict &d) {
  auto take = [&](const char *key, PyObject *&slot) {
    if (!d.contains(key)) throw py::key_error(std::string("missing error class ") + key);
    py::object cls = d[key];
    if (!PyType_Check(cls.ptr()) || !PyObject_IsSubclass(cls.ptr(), PyExc_Exception))
      throw py::type_error(std::string(key) + " must be an Exception subclass");
    Py_XDECREF(slot);
    slot = cls.inc_ref().ptr();
  };
  take("Error", g_classes.error);
  take("ValidationError", g_classes.validation);
  take("NotFoundError", g_classes.not_found);
  take("VerificationError", g_classes.verification);
  take("NetworkError", g_classes.network);
  take("CancelledError", g_classes.cancelled);
  take("LimitError", g_classes.limit);
}

[[noreturn]] void raise_with(PyObject *type, const py::object &instance) {
  PyErr_SetObject(type, instance.ptr());
  throw py::error_already_set();
}

// Turn a copied error into a Python exception (and throw it).
[[noreturn]] void raise_error(const ErrorCopy &e) {
  py::str message(e.message);
  switch (e.code) {
  case APPC_EOS:
    if (e.sys_errno != 0) {
      // OSError(errno, msg) picks the matching subclass (FileNotFoundError, ...) itself.
      py::object exc = py::reinterpret_steal<py::object>(
          PyObject_CallFunction(PyExc_OSError, "iO", e.sys_errno, message.ptr()));
      if (!exc) throw py::error_already_set();
      raise_with(reinterpret_cast<PyObject *>(Py_TYPE(exc.ptr())), exc);
    }
    PyErr_SetObject(PyExc_OSError, message.ptr());
    throw py::error_already_set();
  case APPC_EPERM: {
    py::object exc = py::reinterpret_steal<py::object>(PyObject_CallFunction(
        PyExc_PermissionError, "iO", e.sys_errno != 0 ? e.sys_errno : EPERM, message.ptr()));
    if (!exc) throw py::error_already_set();
    raise_with(reinterpret_cast<PyObject *>(Py_TYPE(exc.ptr())), exc);
  }
  case APPC_ENOMEM:
    PyErr_SetObject(PyExc_MemoryError, message.ptr());
    throw py::error_already_set();
  default: break;
  }
  if (!g_classes.error) {  // appc._appc used without the appc package: still say what failed
    PyErr_SetObject(PyExc_RuntimeError, message.ptr());
    throw py::error_already_set();
  }
  PyObject *type = g_classes.error;
  switch (e.code) {
  case APPC_EINVALID: type = g_classes.validation; break;
  case APPC_ENOTFOUND: type = g_classes.not_found; break;
  case APPC_EVERIFY: type = g_classes.verification; break;
  case APPC_ENETWORK: type = g_classes.network; break;
  case APPC_ECANCELLED: type = g_classes.cancelled; break;
  case APPC_ELIMIT: type = g_classes.limit; break;
  default: break;
  }
  py::handle cls(type);
  py::object exc;
  if (type == g_classes.validation) {
    py::list errors;
    for (const DiagCopy &d : e.diags) errors.append(py::make_tuple(d.path, d.message, d.rule));
    exc = cls(message, e.code, e.where, errors);
  } else {
    exc = cls(message, e.code, e.where);
  }
  exc.attr("sys_errno") = e.sys_errno;
  raise_with(type, exc);
}

// Run a status-returning C call; on failure copy the last error at once and raise it.
template <class F> void check(F &&call) {
  int rc = call();
  if (rc < 0) raise_error(ErrorCopy::last());
}

// The same with the GIL released around the call (parse, validate, serialize).
template <class F> void check_nogil(F &&call) {
  int rc;
  ErrorCopy err;
  {
    py::gil_scoped_release nogil;
    rc = call();
    if (rc < 0) err = ErrorCopy::last();
  }
  if (rc < 0) raise_error(err);
}

// ---------------------------------------------------------------------------
// Strings across the ABI

// C strings end at the first NUL: a Python str holding one would be cut short
// without anyone noticing, so refuse it (as os.open() and friends do).
const char *c_str(const std::string &s, const char *what) {
  if (s.find('\0') != std::string::npos)
    throw py::value_error(std::string(what) + ": embedded null character");
  return s.c_str();
}

// Text from the library. Invalid UTF-8 (which JSON text may smuggle in) is
// kept byte for byte with surrogateescape rather than failing the read.
py::str text(const char *s) {
  if (!s) return py::str("");
  PyObject *o = PyUnicode_DecodeUTF8(s, static_cast<Py_ssize_t>(std::char_traits<char>::length(s)),
                                     "surrogateescape");
  if (!o) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(o);
}
py::object opt_text(const char *s) { return s ? py::object(text(s)) : py::object(py::none()); }
py::str text(const char *s, size_t n) {
  PyObject *o = PyUnicode_DecodeUTF8(s ? s : "", static_cast<Py_ssize_t>(s ? n : 0), "surrogateescape");
  if (!o) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(o);
}

// A Python str to the bytes handed to the library (the inverse of text()).
std::string from_py(const py::handle &o, const char *what) {
  if (!PyUnicode_Check(o.ptr())) throw py::type_error(std::string(what) + ": expected str");
  PyObject *b = PyUnicode_AsEncodedString(o.ptr(), "utf-8", "surrogateescape");
  if (!b) throw py::error_already_set();
  py::bytes bytes = py::reinterpret_steal<py::bytes>(b);
  std::string s = bytes;
  c_str(s, what);
  return s;
}

std::vector<std::string> str_list(const py::sequence &seq, const char *what) {
  std::vector<std::string> out;
  out.reserve(seq.size());
  for (py::handle item : seq) out.push_back(from_py(item, what));
  return out;
}

struct Argv {
  std::vector<std::string> store;
  std::vector<const char *> ptrs;
  explicit Argv(std::vector<std::string> v) : store(std::move(v)) {
    ptrs.reserve(store.size());
    for (const std::string &s : store) ptrs.push_back(s.c_str());
  }
  const char *const *data() const { return ptrs.empty() ? nullptr : ptrs.data(); }
  size_t size() const { return ptrs.size(); }
};

// An owned appc_buf, disposed whatever happens.
struct Buf {
  appc_buf b = APPC_BUF_INIT;
  Buf() = default;
  Buf(const Buf &) = delete;
  Buf &operator=(const Buf &) = delete;
  ~Buf() { appc_buf_dispose(&b); }
};

std::string bytes_arg(const py::bytes &data) {
  return std::string(data);
}

appc_parse_options parse_options(size_t max_bytes, unsigned max_depth) {
  appc_parse_options o = APPC_PARSE_OPTIONS_INIT;
  o.max_bytes = max_bytes;
  o.max_depth = max_depth;
  return o;
}

appc_serialize_options serialize_options(bool pretty) {
  appc_serialize_options o = APPC_SERIALIZE_OPTIONS_INIT;
  o.pretty = pretty;
  return o;
}

// Name/value pairs read through a count and two indexed accessors.
template <class Name, class Value> py::list pairs(size_t n, Name name, Value value) {
  py::list out;
  for (size_t i = 0; i < n; ++i) out.append(py::make_tuple(text(name(i)), text(value(i))));
  return out;
}

py::object quantity_tuple(const appc_quantity &q) { return py::make_tuple(text(q.text), q.milli, q.value); }

// An isolator as (name, canonical JSON of its value).
py::tuple isolator_tuple(const appc_isolator *iso) {
  Buf buf;
  check([&] { return appc_isolator_value_json(iso, &buf.b); });
  return py::make_tuple(text(appc_isolator_name(iso)), text(buf.b.ptr, buf.b.size));
}

py::object port_tuple(const appc_port *p) {
  if (!p) return py::none();
  return py::make_tuple(text(appc_port_name(p)), text(appc_port_protocol(p)), appc_port_number(p),
                        appc_port_count(p), appc_port_socket_activated(p));
}

// ---------------------------------------------------------------------------
// Handles

// Everything a borrowed view needs to know about its parent: the parent object
// (kept alive) and its modification counter at the time the view was made.
struct Parent {
  py::object owner;
  const uint64_t *generation = nullptr;
  uint64_t seen = 0;
  void check_fresh() const {
    if (generation && *generation != seen)
      throw py::value_error("this view was taken before its manifest was modified; read it again");
  }
};

class ImageManifest {
public:
  explicit ImageManifest(appc_image_manifest *m) : m_(m) {}
  ImageManifest(const ImageManifest &) = delete;
  ImageManifest &operator=(const ImageManifest &) = delete;
  ~ImageManifest() { appc_image_manifest_free(m_); }

  const appc_image_manifest *get() const { return m_; }
  appc_image_manifest *mut() {
    ++generation_;
    return m_;
  }
  const uint64_t *generation() const { return &generation_; }

private:
  appc_image_manifest *m_;
  uint64_t generation_ = 0;
};

class PodManifest {
public:
  explicit PodManifest(appc_pod_manifest *p) : p_(p) {}
  PodManifest(const PodManifest &) = delete;
  PodManifest &operator=(const PodManifest &) = delete;
  ~PodManifest() { appc_pod_manifest_free(p_); }

  const appc_pod_manifest *get() const { return p_; }
  appc_pod_manifest *mut() {
    ++generation_;
    return p_;
  }
  const uint64_t *generation() const { return &generation_; }

private:
  appc_pod_manifest *p_;
  uint64_t generation_ = 0;
};

// An app: owned (appc_app_new/clone/parse; the setters work) or borrowed from
// a manifest (read-only view).
class App {
public:
  explicit App(appc_app *owned) : owned_(owned), ptr_(owned) {}
  App(const appc_app *borrowed, Parent parent) : ptr_(borrowed), parent_(std::move(parent)) {}
  App(const App &) = delete;
  App &operator=(const App &) = delete;
  ~App() { appc_app_free(owned_); }

  const appc_app *get() const {
    parent_.check_fresh();
    return ptr_;
  }
  appc_app *mut() {
    if (!owned_) throw py::value_error("an app borrowed from a manifest is read-only; clone() it");
    return owned_;
  }
  bool owned() const { return owned_ != nullptr; }

private:
  appc_app *owned_ = nullptr;
  const appc_app *ptr_ = nullptr;
  Parent parent_;
};

class Volume {
public:
  explicit Volume(appc_volume *owned) : owned_(owned), ptr_(owned) {}
  Volume(const appc_volume *borrowed, Parent parent) : ptr_(borrowed), parent_(std::move(parent)) {}
  Volume(const Volume &) = delete;
  Volume &operator=(const Volume &) = delete;
  ~Volume() { appc_volume_free(owned_); }

  const appc_volume *get() const {
    parent_.check_fresh();
    return ptr_;
  }
  appc_volume *mut() {
    if (!owned_) throw py::value_error("a volume borrowed from a manifest is read-only; clone() it");
    return owned_;
  }
  bool owned() const { return owned_ != nullptr; }

private:
  appc_volume *owned_ = nullptr;
  const appc_volume *ptr_ = nullptr;
  Parent parent_;
};

template <class T> Parent parent_of(const py::object &self) {
  const T &t = self.cast<const T &>();
  return Parent{self, t.generation(), *t.generation()};
}

py::object borrowed_app(const appc_app *a, Parent parent) {
  if (!a) return py::none();
  return py::cast(new App(a, std::move(parent)), py::return_value_policy::take_ownership);
}

py::object borrowed_volume(const appc_volume *v, Parent parent) {
  if (!v) return py::none();
  return py::cast(new Volume(v, std::move(parent)), py::return_value_policy::take_ownership);
}

// Read every field of an app into plain Python values.
py::dict app_fields(const App &self) {
  const appc_app *a = self.get();
  py::dict d;
  py::list exec;
  for (size_t i = 0, n = appc_app_exec_count(a); i < n; ++i) exec.append(text(appc_app_exec(a, i)));
  d["exec"] = exec;
  d["user"] = text(appc_app_user(a));
  d["group"] = text(appc_app_group(a));
  py::list gids;
  for (size_t i = 0, n = appc_app_supplementary_gid_count(a); i < n; ++i)
    gids.append(appc_app_supplementary_gid(a, i));
  d["supplementary_gids"] = gids;
  d["working_directory"] = opt_text(appc_app_working_directory(a));
  d["environment"] = pairs(appc_app_env_count(a), [&](size_t i) { return appc_app_env_name(a, i); },
                           [&](size_t i) { return appc_app_env_value(a, i); });
  py::list handlers;
  for (size_t i = 0, n = appc_app_event_handler_count(a); i < n; ++i) {
    py::list hexec;
    for (size_t j = 0, m = appc_app_event_handler_exec_count(a, i); j < m; ++j)
      hexec.append(text(appc_app_event_handler_exec(a, i, j)));
    handlers.append(py::make_tuple(text(appc_app_event_handler_name(a, i)), hexec));
  }
  d["event_handlers"] = handlers;
  py::list mps;
  for (size_t i = 0, n = appc_app_mount_point_count(a); i < n; ++i)
    mps.append(py::make_tuple(text(appc_app_mount_point_name(a, i)), text(appc_app_mount_point_path(a, i)),
                              appc_app_mount_point_read_only(a, i)));
  d["mount_points"] = mps;
  py::list ports;
  for (size_t i = 0, n = appc_app_port_count(a); i < n; ++i) ports.append(port_tuple(appc_app_port(a, i)));
  d["ports"] = ports;
  py::list isos;
  for (size_t i = 0, n = appc_app_isolator_count(a); i < n; ++i)
    isos.append(isolator_tuple(appc_app_isolator(a, i)));
  d["isolators"] = isos;
  d["user_annotations"] =
      pairs(appc_app_user_annotation_count(a), [&](size_t i) { return appc_app_user_annotation_name(a, i); },
            [&](size_t i) { return appc_app_user_annotation_value(a, i); });
  d["user_labels"] =
      pairs(appc_app_user_label_count(a), [&](size_t i) { return appc_app_user_label_name(a, i); },
            [&](size_t i) { return appc_app_user_label_value(a, i); });
  return d;
}

py::dict volume_fields(const Volume &self) {
  const appc_volume *v = self.get();
  py::dict d;
  d["name"] = text(appc_volume_name(v));
  d["kind"] = text(appc_volume_kind(v));
  d["source"] = opt_text(appc_volume_source(v));
  d["read_only"] = appc_volume_has_read_only(v) ? py::object(py::bool_(appc_volume_read_only(v))) : py::none();
  d["recursive"] = appc_volume_has_recursive(v) ? py::object(py::bool_(appc_volume_recursive(v))) : py::none();
  d["mode"] = opt_text(appc_volume_mode(v));
  d["uid"] = appc_volume_has_uid(v) ? py::object(py::int_(appc_volume_uid(v))) : py::none();
  d["gid"] = appc_volume_has_gid(v) ? py::object(py::int_(appc_volume_gid(v))) : py::none();
  return d;
}

// The typed view of an isolator the library decoded (appc_isolator_kind_of and friends).
py::dict isolator_typed(const appc_isolator *iso) {
  py::dict d;
  d["kind"] = static_cast<int>(appc_isolator_kind_of(iso));
  appc_quantity q{};
  if (appc_isolator_request(iso, &q)) d["request"] = quantity_tuple(q);
  if (appc_isolator_limit(iso, &q)) d["limit"] = quantity_tuple(q);
  switch (appc_isolator_kind_of(iso)) {
  case APPC_ISOLATOR_RESOURCE_BLOCK_BANDWIDTH:
  case APPC_ISOLATOR_RESOURCE_BLOCK_IOPS:
  case APPC_ISOLATOR_RESOURCE_NETWORK_BANDWIDTH: d["default"] = appc_isolator_is_default(iso); break;
  case APPC_ISOLATOR_CAPABILITIES_RETAIN_SET:
  case APPC_ISOLATOR_CAPABILITIES_REMOVE_SET:
  case APPC_ISOLATOR_SECCOMP_REMOVE_SET:
  case APPC_ISOLATOR_SECCOMP_RETAIN_SET: {
    py::list set;
    for (size_t i = 0, n = appc_isolator_set_count(iso); i < n; ++i) set.append(text(appc_isolator_set_item(iso, i)));
    d["set"] = set;
    if (appc_isolator_kind_of(iso) == APPC_ISOLATOR_SECCOMP_REMOVE_SET ||
        appc_isolator_kind_of(iso) == APPC_ISOLATOR_SECCOMP_RETAIN_SET)
      d["errno"] = opt_text(appc_isolator_errno(iso));
    break;
  }
  case APPC_ISOLATOR_NO_NEW_PRIVILEGES: d["enabled"] = appc_isolator_bool(iso); break;
  case APPC_ISOLATOR_SELINUX_CONTEXT: {
    const char *user = nullptr, *role = nullptr, *type = nullptr, *level = nullptr;
    if (appc_isolator_selinux_context(iso, &user, &role, &type, &level)) {
      d["user"] = text(user);
      d["role"] = text(role);
      d["type"] = text(type);
      d["level"] = text(level);
    }
    break;
  }
  case APPC_ISOLATOR_SYSCTL:
    d["entries"] = pairs(appc_isolator_sysctl_count(iso), [&](size_t i) { return appc_isolator_sysctl_name(iso, i); },
                         [&](size_t i) { return appc_isolator_sysctl_value(iso, i); });
    break;
  case APPC_ISOLATOR_CPU_SHARES:
  case APPC_ISOLATOR_OOM_SCORE_ADJ: {
    int64_t v = 0;
    if (appc_isolator_int(iso, &v)) d["int"] = v;
    break;
  }
  default: break;
  }
  return d;
}

// Decode a value for isolator `name` the way the library does, by adding it to
// a scratch app: (name, canonical JSON, typed view).
py::tuple decode_isolator(const std::string &name, const std::string &value_json) {
  appc_app *raw = nullptr;
  check([&] { return appc_app_new(&raw); });
  App app(raw);
  check([&] {
    return appc_app_add_isolator(app.mut(), c_str(name, "isolator name"), value_json.data(), value_json.size());
  });
  const appc_isolator *iso = appc_app_isolator(app.get(), 0);
  py::tuple t = isolator_tuple(iso);
  return py::make_tuple(t[0], t[1], isolator_typed(iso));
}

// ---------------------------------------------------------------------------
// ACI images
//
// Every call below reads or writes files: the GIL is released for its whole
// length. Progress reports come back through ProgressBridge, which takes the
// GIL again for each report. It always runs, with or without a Python
// callback, so that Ctrl-C (a signal handler that raises KeyboardInterrupt,
// run by PyErr_CheckSignals on the main thread) cancels the operation; the
// library then removes what it had written, and the exception is raised once
// the call has returned.

// A path from Python (os.fsencode()d by appc/_image.py): bytes without NUL.
std::string path_arg(const py::bytes &b, const char *what) {
  std::string s = b;
  c_str(s, what);
  return s;
}

class ProgressBridge {
public:
  explicit ProgressBridge(py::object fn) : fn_(std::move(fn)) {}
  ProgressBridge(const ProgressBridge &) = delete;
  ProgressBridge &operator=(const ProgressBridge &) = delete;
  // Runs with the GIL held (the binding's frame): drops an exception never raised.
  ~ProgressBridge() {
    Py_XDECREF(type_);
    Py_XDECREF(value_);
    Py_XDECREF(tb_);
  }

  // appc_progress_cb. No C++ exception may leave it: only the C API is used.
  static int callback(const appc_progress *p, void *payload) noexcept {
    auto *self = static_cast<ProgressBridge *>(payload);
    py::gil_scoped_acquire gil;
    if (self->type_ != nullptr) return 1;
    if (PyErr_CheckSignals() != 0) return self->keep_exception();
    if (self->fn_.is_none()) return 0;
    PyObject *r = PyObject_CallFunction(self->fn_.ptr(), "sKKK", p->phase, static_cast<unsigned long long>(p->bytes_in),
                                        static_cast<unsigned long long>(p->bytes_out),
                                        static_cast<unsigned long long>(p->entries));
    if (r == nullptr) return self->keep_exception();
    bool cancel = r == Py_False;   // `return False` cancels; None, True or anything else goes on
    Py_DECREF(r);
    return cancel ? 1 : 0;
  }

  // After the call, with the GIL held: the callback's exception, if any, wins
  // over the library's APPC_ECANCELLED.
  void raise_pending() {
    if (type_ == nullptr) return;
    PyErr_Restore(type_, value_, tb_);
    type_ = value_ = tb_ = nullptr;
    throw py::error_already_set();
  }

private:
  int keep_exception() noexcept {
    PyErr_Fetch(&type_, &value_, &tb_);
    return 1;
  }

  py::object fn_;
  PyObject *type_ = nullptr, *value_ = nullptr, *tb_ = nullptr;
};

// Runs a status-returning image call without the GIL, then raises the
// callback's exception or the library's error.
template <class F> void check_image_call(ProgressBridge &bridge, F &&call) {
  int rc;
  ErrorCopy err;
  {
    py::gil_scoped_release nogil;
    rc = call();
    if (rc < 0) err = ErrorCopy::last();
  }
  bridge.raise_pending();
  if (rc < 0) raise_error(err);
}

struct Limits {
  uint64_t max_bytes = 0, max_entries = 0, max_manifest_bytes = 0;
};

struct OwnedImage {
  appc_image *p = nullptr;
  OwnedImage() = default;
  OwnedImage(const OwnedImage &) = delete;
  OwnedImage &operator=(const OwnedImage &) = delete;
  ~OwnedImage() { appc_image_free(p); }
};

py::object compression_text(appc_compression c) {
  const char *n = appc_compression_name(c);
  return n ? py::object(py::str(n)) : py::object(py::none());
}

// appc_image_open: everything the image holds, as plain values; "manifest" is
// an owned ImageManifestHandle (a clone: the image is freed on return).
py::dict image_open(const py::bytes &path_b, uint64_t max_bytes, uint64_t max_entries, uint64_t max_manifest_bytes,
                    py::object progress) {
  std::string path = path_arg(path_b, "path");
  ProgressBridge bridge(std::move(progress));
  appc_image_read_options opts = APPC_IMAGE_READ_OPTIONS_INIT;
  opts.max_bytes = max_bytes;
  opts.max_entries = max_entries;
  opts.max_manifest_bytes = max_manifest_bytes;
  opts.progress_cb = &ProgressBridge::callback;
  opts.progress_payload = &bridge;
  OwnedImage img;
  check_image_call(bridge, [&] { return appc_image_open(&img.p, path.c_str(), &opts); });
  appc_image_manifest *m = nullptr;
  check([&] { return appc_image_manifest_clone(&m, appc_image_get_manifest(img.p)); });
  py::object handle = py::cast(new ImageManifest(m), py::return_value_policy::take_ownership);
  size_t raw_len = 0;
  const char *raw = appc_image_raw_manifest(img.p, &raw_len);
  py::dict d;
  d["id"] = text(appc_image_id(img.p));
  d["compression"] = compression_text(appc_image_compression(img.p));
  d["tar_size"] = appc_image_tar_size(img.p);
  d["archive_size"] = appc_image_archive_size(img.p);
  d["entries"] = appc_image_entry_count(img.p);
  d["raw_manifest"] = py::bytes(raw ? raw : "", raw_len);
  d["manifest"] = handle;
  return d;
}

void image_validate(const py::bytes &path_b, uint64_t max_bytes, uint64_t max_entries, uint64_t max_manifest_bytes,
                    py::object progress) {
  std::string path = path_arg(path_b, "path");
  ProgressBridge bridge(std::move(progress));
  appc_image_read_options opts = APPC_IMAGE_READ_OPTIONS_INIT;
  opts.max_bytes = max_bytes;
  opts.max_entries = max_entries;
  opts.max_manifest_bytes = max_manifest_bytes;
  opts.progress_cb = &ProgressBridge::callback;
  opts.progress_payload = &bridge;
  check_image_call(bridge, [&] { return appc_image_validate_file(path.c_str(), &opts); });
}

py::dict image_extract(const py::bytes &path_b, const py::bytes &dir_b, bool rootfs_only, bool preserve_owners,
                       uint64_t max_bytes, uint64_t max_entries, uint64_t max_manifest_bytes,
                       const std::optional<std::string> &expect_id, py::object progress) {
  std::string path = path_arg(path_b, "path"), dir = path_arg(dir_b, "dir");
  std::string expect = expect_id ? *expect_id : std::string();
  if (expect_id) c_str(expect, "expect_id");
  ProgressBridge bridge(std::move(progress));
  appc_extract_options opts = APPC_EXTRACT_OPTIONS_INIT;
  opts.rootfs_only = rootfs_only;
  opts.preserve_owners = preserve_owners;
  opts.max_bytes = max_bytes;
  opts.max_entries = max_entries;
  opts.max_manifest_bytes = max_manifest_bytes;
  opts.expect_id = expect_id ? expect.c_str() : nullptr;
  opts.progress_cb = &ProgressBridge::callback;
  opts.progress_payload = &bridge;
  appc_extract_stats st = APPC_EXTRACT_STATS_INIT;
  check_image_call(bridge, [&] { return appc_image_extract(path.c_str(), dir.c_str(), &opts, &st); });
  py::dict d;
  d["id"] = text(st.id);
  d["compression"] = compression_text(st.compression);
  d["archive_size"] = st.archive_size;
  d["tar_size"] = st.tar_size;
  d["entries"] = st.entries;
  d["files"] = st.files;
  d["dirs"] = st.dirs;
  d["symlinks"] = st.symlinks;
  d["hardlinks"] = st.hardlinks;
  d["devices"] = st.devices;
  d["fifos"] = st.fifos;
  d["skipped_devices"] = st.skipped_devices;
  return d;
}

py::str image_build(const py::bytes &dir_b, const py::bytes &out_b, const std::string &compression, bool overwrite,
                    bool owner_root, std::optional<int64_t> mtime, py::object progress) {
  std::string dir = path_arg(dir_b, "dir"), out = path_arg(out_b, "out");
  appc_build_options opts = APPC_BUILD_OPTIONS_INIT;
  check([&] { return appc_compression_from_name(c_str(compression, "compression"), &opts.compression); });
  opts.overwrite = overwrite;
  opts.owner_root = owner_root;
  opts.has_mtime = mtime.has_value();
  opts.mtime = mtime.value_or(0);
  ProgressBridge bridge(std::move(progress));
  opts.progress_cb = &ProgressBridge::callback;
  opts.progress_payload = &bridge;
  Buf id;
  check_image_call(bridge, [&] { return appc_image_build(dir.c_str(), out.c_str(), &opts, &id.b); });
  return text(id.b.ptr, id.b.size);
}

void image_render(const py::bytes &path_b, const std::optional<py::bytes> &deps_b, const py::bytes &dir_b,
                  bool preserve_owners, uint64_t max_bytes, uint64_t max_entries, uint64_t max_manifest_bytes,
                  py::object progress) {
  std::string path = path_arg(path_b, "path"), dir = path_arg(dir_b, "dir");
  std::string deps = deps_b ? path_arg(*deps_b, "deps_dir") : std::string();
  appc_render_options opts = APPC_RENDER_OPTIONS_INIT;
  opts.preserve_owners = preserve_owners;
  opts.max_bytes = max_bytes;
  opts.max_entries = max_entries;
  opts.max_manifest_bytes = max_manifest_bytes;
  ProgressBridge bridge(std::move(progress));
  opts.progress_cb = &ProgressBridge::callback;
  opts.progress_payload = &bridge;
  check_image_call(bridge, [&] {
    return appc_image_render(path.c_str(), deps_b ? deps.c_str() : nullptr, dir.c_str(), &opts);
  });
}

py::list compression_names() {
  py::list out;
  for (int c = 0;; ++c) {
    const char *n = appc_compression_name(static_cast<appc_compression>(c));
    if (!n) break;
    out.append(py::str(n));
  }
  return out;
}

// ---------------------------------------------------------------------------
// The image store
//
// One StoreHandle per appc.Store. Every call runs without the GIL while it
// holds the handle shared; close() takes it exclusively, so a store is never
// freed under a running call of another thread. Results (stored images,
// trees, gc results, check reports) are copied into plain Python values with
// the GIL held, and their C handles freed at once.

struct OwnedStoreImage {
  appc_store_image *p = nullptr;
  OwnedStoreImage() = default;
  OwnedStoreImage(const OwnedStoreImage &) = delete;
  OwnedStoreImage &operator=(const OwnedStoreImage &) = delete;
  ~OwnedStoreImage() { appc_store_image_free(p); }
};

// Every field of a stored image; "manifest" is an owned ImageManifestHandle (a clone).
py::dict stored_image_dict(const appc_store_image *img) {
  appc_image_manifest *m = nullptr;
  check([&] { return appc_image_manifest_clone(&m, appc_store_image_manifest(img)); });
  py::object handle = py::cast(new ImageManifest(m), py::return_value_policy::take_ownership);
  size_t raw_len = 0;
  const char *raw = appc_store_image_raw_manifest(img, &raw_len);
  py::dict d;
  d["id"] = text(appc_store_image_id(img));
  d["name"] = text(appc_store_image_name(img));
  d["labels"] = pairs(appc_store_image_label_count(img), [&](size_t i) { return appc_store_image_label_name(img, i); },
                      [&](size_t i) { return appc_store_image_label_value(img, i); });
  d["size"] = appc_store_image_size(img);
  d["tar_size"] = appc_store_image_tar_size(img);
  d["compression"] = compression_text(appc_store_image_compression(img));
  d["imported_ns"] = appc_store_image_imported_ns(img);
  d["last_used_ns"] = appc_store_image_last_used_ns(img);
  d["origin"] = text(appc_store_image_origin(img));
  d["blob_path"] = py::bytes(appc_store_image_blob_path(img));
  d["raw_manifest"] = py::bytes(raw ? raw : "", raw_len);
  d["manifest"] = handle;
  return d;
}

class StoreHandle {
public:
  explicit StoreHandle(appc_store *p) : p_(p) {}
  StoreHandle(const StoreHandle &) = delete;
  StoreHandle &operator=(const StoreHandle &) = delete;
  ~StoreHandle() { appc_store_free(p_); }

  // Runs `f(store)` (a status-returning C call) without the GIL, then raises
  // the progress callback's exception or the library's error.
  template <class F> void call(ProgressBridge *bridge, F &&f) {
    int rc = 0;
    bool closed = false;
    ErrorCopy err;
    {
      py::gil_scoped_release nogil;
      std::shared_lock<std::shared_mutex> lock(mu_);
      if (p_ == nullptr) {
        closed = true;
      } else {
        rc = f(p_);
        if (rc < 0) err = ErrorCopy::last();
      }
    }
    if (closed) throw py::value_error("I/O operation on a closed appc.Store");
    if (bridge) bridge->raise_pending();
    if (rc < 0) raise_error(err);
  }

  void close() {
    py::gil_scoped_release nogil;
    std::unique_lock<std::shared_mutex> lock(mu_);
    appc_store_free(p_);
    p_ = nullptr;
  }

  bool closed() {
    py::gil_scoped_release nogil;
    std::shared_lock<std::shared_mutex> lock(mu_);
    return p_ == nullptr;
  }

  py::bytes root() {
    std::string r;
    call(nullptr, [&](appc_store *s) {
      r = appc_store_root(s);
      return APPC_OK;
    });
    return py::bytes(r);
  }

private:
  std::shared_mutex mu_;
  appc_store *p_;
};

StoreHandle *store_open(const std::optional<py::bytes> &root_b, bool create, bool durable, int busy_timeout_ms) {
  std::string root = root_b ? path_arg(*root_b, "root") : std::string();
  appc_store_options opts = APPC_STORE_OPTIONS_INIT;
  opts.create = create;
  opts.durable = durable;
  opts.busy_timeout_ms = busy_timeout_ms;
  appc_store *s = nullptr;
  check_nogil([&] { return appc_store_open(&s, root_b ? root.c_str() : nullptr, &opts); });
  return new StoreHandle(s);
}

std::optional<std::string> opt_arg(const std::optional<std::string> &v, const char *what) {
  if (v) c_str(*v, what);
  return v;
}

py::tuple store_import(StoreHandle &h, const std::optional<py::bytes> &path_b, int fd,
                       const std::optional<std::string> &origin_in, const std::optional<std::string> &expect_in,
                       uint64_t max_bytes, uint64_t max_entries, uint64_t max_manifest_bytes, py::object progress) {
  std::string path = path_b ? path_arg(*path_b, "path") : std::string();
  auto origin = opt_arg(origin_in, "origin"), expect = opt_arg(expect_in, "expect_id");
  appc_import_options opts = APPC_IMPORT_OPTIONS_INIT;
  opts.origin = origin ? origin->c_str() : nullptr;
  opts.expect_id = expect ? expect->c_str() : nullptr;
  opts.max_bytes = max_bytes;
  opts.max_entries = max_entries;
  opts.max_manifest_bytes = max_manifest_bytes;
  ProgressBridge bridge(std::move(progress));
  opts.progress_cb = &ProgressBridge::callback;
  opts.progress_payload = &bridge;
  OwnedStoreImage img;
  bool already = false;
  h.call(&bridge, [&](appc_store *s) {
    return path_b ? appc_store_import(&img.p, s, path.c_str(), &opts, &already)
                  : appc_store_import_fd(&img.p, s, fd, &opts, &already);
  });
  return py::make_tuple(stored_image_dict(img.p), already);
}

py::dict store_lookup(StoreHandle &h, const py::str &what, int kind) {
  std::string ref = from_py(what, kind == 0 ? "id" : "image");
  OwnedStoreImage img;
  h.call(nullptr, [&](appc_store *s) {
    return kind == 0 ? appc_store_get(&img.p, s, ref.c_str()) : appc_store_resolve(&img.p, s, ref.c_str());
  });
  return stored_image_dict(img.p);
}

py::dict store_find(StoreHandle &h, const py::str &name_in, const py::list &labels) {
  std::string name = from_py(name_in, "name");
  std::vector<std::string> names, values;
  for (py::handle item : labels) {
    py::tuple t = py::reinterpret_borrow<py::tuple>(item);
    names.push_back(from_py(t[0], "label name"));
    values.push_back(from_py(t[1], "label value"));
  }
  std::vector<const char *> np, vp;
  for (size_t i = 0; i < names.size(); ++i) {
    np.push_back(names[i].c_str());
    vp.push_back(values[i].c_str());
  }
  OwnedStoreImage img;
  h.call(nullptr, [&](appc_store *s) {
    return appc_store_find(&img.p, s, name.c_str(), np.empty() ? nullptr : np.data(),
                           vp.empty() ? nullptr : vp.data(), np.size());
  });
  return stored_image_dict(img.p);
}

py::list store_list(StoreHandle &h) {
  appc_store_image_list *list = nullptr;
  h.call(nullptr, [&](appc_store *s) { return appc_store_list(&list, s); });
  struct Guard {
    appc_store_image_list *l;
    ~Guard() { appc_store_image_list_free(l); }
  } guard{list};
  py::list out;
  for (size_t i = 0, n = appc_store_image_list_count(list); i < n; ++i)
    out.append(stored_image_dict(appc_store_image_list_at(list, i)));
  return out;
}

void store_export(StoreHandle &h, const py::str &image_in, const py::bytes &out_b, bool overwrite) {
  std::string image = from_py(image_in, "image"), out = path_arg(out_b, "path");
  h.call(nullptr, [&](appc_store *s) { return appc_store_export(s, image.c_str(), out.c_str(), overwrite); });
}

py::dict store_tree(StoreHandle &h, const py::str &image_in, const std::optional<std::string> &holder_in,
                    bool preserve_owners, py::object progress) {
  std::string image = from_py(image_in, "image");
  auto holder = opt_arg(holder_in, "holder");
  appc_tree_options opts = APPC_TREE_OPTIONS_INIT;
  opts.holder = holder ? holder->c_str() : nullptr;
  opts.preserve_owners = preserve_owners;
  ProgressBridge bridge(std::move(progress));
  opts.progress_cb = &ProgressBridge::callback;
  opts.progress_payload = &bridge;
  appc_tree *t = nullptr;
  h.call(&bridge, [&](appc_store *s) { return appc_store_tree(&t, s, image.c_str(), &opts); });
  struct Guard {
    appc_tree *t;
    ~Guard() { appc_tree_free(t); }
  } guard{t};
  py::list layers;
  for (size_t i = 0, n = appc_tree_layer_count(t); i < n; ++i) layers.append(text(appc_tree_layer(t, i)));
  py::dict d;
  d["key"] = text(appc_tree_key(t));
  d["image_id"] = text(appc_tree_image_id(t));
  d["path"] = py::bytes(appc_tree_path(t));
  d["rootfs"] = py::bytes(appc_tree_rootfs(t));
  d["layers"] = layers;
  d["size"] = appc_tree_size(t);
  d["files"] = appc_tree_files(t);
  d["digest"] = text(appc_tree_digest(t));
  d["verified"] = appc_tree_verified(t);
  d["created_ns"] = appc_tree_created_ns(t);
  d["last_used_ns"] = appc_tree_last_used_ns(t);
  return d;
}

void store_render(StoreHandle &h, const py::str &image_in, const py::bytes &dir_b, bool preserve_owners,
                  uint64_t max_bytes, uint64_t max_entries, uint64_t max_manifest_bytes, py::object progress) {
  std::string image = from_py(image_in, "image"), dir = path_arg(dir_b, "dir");
  appc_render_options opts = APPC_RENDER_OPTIONS_INIT;
  opts.preserve_owners = preserve_owners;
  opts.max_bytes = max_bytes;
  opts.max_entries = max_entries;
  opts.max_manifest_bytes = max_manifest_bytes;
  ProgressBridge bridge(std::move(progress));
  opts.progress_cb = &ProgressBridge::callback;
  opts.progress_payload = &bridge;
  h.call(&bridge, [&](appc_store *s) { return appc_store_render(s, image.c_str(), dir.c_str(), &opts); });
}

py::tuple store_rm(StoreHandle &h, const py::str &image_in, bool force) {
  std::string image = from_py(image_in, "image");
  Buf id;
  uint64_t freed = 0;
  h.call(nullptr, [&](appc_store *s) { return appc_store_rm(s, image.c_str(), force, &id.b, &freed); });
  return py::make_tuple(text(id.b.ptr, id.b.size), freed);
}

py::dict store_gc(StoreHandle &h, int64_t image_grace_s, int64_t tree_grace_s, bool dry_run) {
  appc_store_gc_options opts = APPC_STORE_GC_OPTIONS_INIT;
  opts.image_grace_s = image_grace_s;
  opts.tree_grace_s = tree_grace_s;
  opts.dry_run = dry_run;
  appc_store_gc_result *r = nullptr;
  h.call(nullptr, [&](appc_store *s) { return appc_store_gc(&r, s, &opts); });
  struct Guard {
    appc_store_gc_result *r;
    ~Guard() { appc_store_gc_result_free(r); }
  } guard{r};
  py::list images, trees;
  for (size_t i = 0, n = appc_store_gc_result_image_count(r); i < n; ++i) images.append(text(appc_store_gc_result_image(r, i)));
  for (size_t i = 0, n = appc_store_gc_result_tree_count(r); i < n; ++i) trees.append(text(appc_store_gc_result_tree(r, i)));
  py::dict d;
  d["images_removed"] = images;
  d["trees_removed"] = trees;
  d["debris_removed"] = appc_store_gc_result_debris(r);
  d["bytes_freed"] = appc_store_gc_result_bytes_freed(r);
  d["dry_run"] = dry_run;
  return d;
}

py::dict store_check(StoreHandle &h, bool hashes) {
  appc_store_check_report *r = nullptr;
  h.call(nullptr, [&](appc_store *s) { return appc_store_check(&r, s, hashes); });
  struct Guard {
    appc_store_check_report *r;
    ~Guard() { appc_store_check_report_free(r); }
  } guard{r};
  py::list problems;
  for (size_t i = 0, n = appc_store_check_report_problem_count(r); i < n; ++i)
    problems.append(text(appc_store_check_report_problem(r, i)));
  py::dict d;
  d["images"] = appc_store_check_report_images(r);
  d["trees"] = appc_store_check_report_trees(r);
  d["blobs"] = appc_store_check_report_blobs(r);
  d["problems"] = problems;
  return d;
}

// ---------------------------------------------------------------------------
// Pods (appc_executor_*, appc_pod_*)
//
// One ExecutorHandle per appc.Executor (appc/_pod.py); like StoreHandle, every
// call runs without the GIL while it holds the handle shared. A pod is
// described by a dict (built by appc/_pod.py) and turned into appc_pod_options
// here; statuses come back as dicts.

struct PodOptionsOwner {
  appc_pod_options *p = nullptr;
  ~PodOptionsOwner() { appc_pod_options_free(p); }
};

// A volume: a --volume flag string, or a dict of the appc.Volume fields.
void add_pod_volume(appc_pod_options *o, const py::handle &v) {
  appc_volume *vol = nullptr;
  struct Guard {
    appc_volume **v;
    ~Guard() { appc_volume_free(*v); }
  } guard{&vol};
  if (PyUnicode_Check(v.ptr())) {
    std::string text = from_py(v, "volume");
    check([&] { return appc_volume_parse_flag(&vol, text.c_str()); });
  } else {
    py::dict d = py::reinterpret_borrow<py::dict>(v);
    std::string name = from_py(d["name"], "volume name"), kind = from_py(d["kind"], "volume kind");
    check([&] { return appc_volume_new(&vol, name.c_str(), kind.c_str()); });
    auto opt = [&](const char *k) -> py::object { return d.contains(k) ? py::object(d[k]) : py::object(py::none()); };
    if (!opt("source").is_none()) {
      std::string s = from_py(opt("source"), "volume source");
      check([&] { return appc_volume_set_source(vol, s.c_str()); });
    }
    if (!opt("read_only").is_none()) check([&] { return appc_volume_set_read_only(vol, opt("read_only").cast<bool>()); });
    if (!opt("recursive").is_none()) check([&] { return appc_volume_set_recursive(vol, opt("recursive").cast<bool>()); });
    if (!opt("mode").is_none()) {
      std::string m = from_py(opt("mode"), "volume mode");
      check([&] { return appc_volume_set_mode(vol, m.c_str()); });
    }
    if (!opt("uid").is_none()) check([&] { return appc_volume_set_uid(vol, opt("uid").cast<int64_t>()); });
    if (!opt("gid").is_none()) check([&] { return appc_volume_set_gid(vol, opt("gid").cast<int64_t>()); });
  }
  check([&] { return appc_pod_options_add_volume(o, vol); });
}

// The dict of appc/_pod.py: apps, volumes, env, net, hostname, uuid, pod_manifest.
void fill_pod_options(appc_pod_options *o, const py::dict &spec) {
  auto get = [&](const char *k) -> py::object { return spec.contains(k) ? py::object(spec[k]) : py::object(py::none()); };
  if (!get("pod_manifest").is_none()) {
    std::string json = py::bytes(get("pod_manifest"));
    check([&] { return appc_pod_options_set_pod_manifest(o, json.data(), json.size()); });
  }
  if (!get("apps").is_none()) {
    for (py::handle a : py::list(get("apps"))) {
      py::dict ad = py::reinterpret_borrow<py::dict>(a);
      auto aget = [&](const char *k) -> py::object { return ad.contains(k) ? py::object(ad[k]) : py::object(py::none()); };
      std::string image = from_py(ad["image"], "image");
      size_t i = 0;
      check([&] { return appc_pod_options_add_app(o, image.c_str(), &i); });
      if (!aget("name").is_none()) {
        std::string s = from_py(aget("name"), "name");
        check([&] { return appc_pod_options_app_set_name(o, i, s.c_str()); });
      }
      if (!aget("exec").is_none()) {
        Argv argv(str_list(aget("exec"), "exec"));
        check([&] { return appc_pod_options_app_set_exec(o, i, argv.data(), argv.size()); });
      }
      if (!aget("user").is_none()) {
        std::string s = from_py(aget("user"), "user");
        check([&] { return appc_pod_options_app_set_user(o, i, s.c_str()); });
      }
      if (!aget("group").is_none()) {
        std::string s = from_py(aget("group"), "group");
        check([&] { return appc_pod_options_app_set_group(o, i, s.c_str()); });
      }
      if (!aget("env").is_none())
        for (py::handle kv : py::list(aget("env"))) {
          py::tuple t = py::reinterpret_borrow<py::tuple>(kv);
          std::string k = from_py(t[0], "env name"), v = from_py(t[1], "env value");
          check([&] { return appc_pod_options_app_add_env(o, i, k.c_str(), v.c_str()); });
        }
      if (!aget("mounts").is_none())
        for (py::handle m : py::list(aget("mounts"))) {
          py::tuple t = py::reinterpret_borrow<py::tuple>(m);
          std::string vol = from_py(t[0], "mount volume"), path = from_py(t[1], "mount path");
          check([&] { return appc_pod_options_app_add_mount(o, i, vol.c_str(), path.c_str()); });
        }
      if (!aget("read_only_rootfs").is_none())
        check([&] { return appc_pod_options_app_set_read_only_rootfs(o, i, aget("read_only_rootfs").cast<bool>()); });
    }
  }
  if (!get("volumes").is_none())
    for (py::handle v : py::list(get("volumes"))) add_pod_volume(o, v);
  if (!get("env").is_none())
    for (py::handle kv : py::list(get("env"))) {
      py::tuple t = py::reinterpret_borrow<py::tuple>(kv);
      std::string k = from_py(t[0], "env name"), v = from_py(t[1], "env value");
      check([&] { return appc_pod_options_add_env(o, k.c_str(), v.c_str()); });
    }
  if (!get("net").is_none()) {
    std::string net = from_py(get("net"), "net");
    if (net == "host") check([&] { return appc_pod_options_set_net(o, APPC_NET_HOST); });
    else if (net == "none") check([&] { return appc_pod_options_set_net(o, APPC_NET_NONE); });
    else throw py::value_error("net: expected \"none\" or \"host\", not " + py::repr(get("net")).cast<std::string>());
  }
  if (!get("hostname").is_none()) {
    std::string s = from_py(get("hostname"), "hostname");
    check([&] { return appc_pod_options_set_hostname(o, s.c_str()); });
  }
  if (!get("uuid").is_none()) {
    std::string s = from_py(get("uuid"), "uuid");
    check([&] { return appc_pod_options_set_uuid(o, s.c_str()); });
  }
}

py::dict pod_status_dict(const appc_pod_status *s) {
  py::dict d;
  d["uuid"] = text(appc_pod_status_uuid(s));
  d["state"] = text(appc_pod_state_name(appc_pod_status_state(s)));
  d["stale"] = appc_pod_status_stale(s);
  d["exit_code"] = appc_pod_status_has_exit_code(s) ? py::object(py::int_(appc_pod_status_exit_code(s))) : py::object(py::none());
  d["pid"] = appc_pod_status_pid(s);
  d["created_ns"] = appc_pod_status_created_ns(s);
  d["started_ns"] = appc_pod_status_started_ns(s);
  d["exited_ns"] = appc_pod_status_exited_ns(s);
  d["net"] = text(appc_net_mode_name(appc_pod_status_net(s)));
  d["error"] = text(appc_pod_status_error(s));
  py::list apps;
  for (size_t i = 0, n = appc_pod_status_app_count(s); i < n; ++i) {
    py::dict a;
    bool fin = appc_pod_status_app_finished(s, i);
    a["name"] = text(appc_pod_status_app_name(s, i));
    a["image_id"] = text(appc_pod_status_app_image_id(s, i));
    a["finished"] = fin;
    a["skipped"] = appc_pod_status_app_skipped(s, i);
    a["pre_start_failed"] = appc_pod_status_app_pre_start_failed(s, i);
    a["exit_code"] = fin ? py::object(py::int_(appc_pod_status_app_exit_code(s, i))) : py::object(py::none());
    a["signal"] = appc_pod_status_app_signal(s, i);
    apps.append(a);
  }
  d["apps"] = apps;
  return d;
}

// appc_pod_log_cb -> a Python callable (app, stream, timestamp, time_ns, line); `False` stops.
class LogBridge {
public:
  explicit LogBridge(py::object fn) : fn_(std::move(fn)) {}
  LogBridge(const LogBridge &) = delete;
  LogBridge &operator=(const LogBridge &) = delete;
  ~LogBridge() {
    Py_XDECREF(type_);
    Py_XDECREF(value_);
    Py_XDECREF(tb_);
  }
  static int callback(const char *app, appc_log_stream stream, const char *ts, int64_t time_ns, const char *line,
                      size_t len, void *payload) noexcept {
    auto *self = static_cast<LogBridge *>(payload);
    py::gil_scoped_acquire gil;
    if (self->type_ != nullptr) return 1;
    if (PyErr_CheckSignals() != 0) return self->keep_exception();
    PyObject *l = PyUnicode_DecodeUTF8(line, static_cast<Py_ssize_t>(len), "surrogateescape");
    if (l == nullptr) return self->keep_exception();
    PyObject *r = PyObject_CallFunction(self->fn_.ptr(), "sssLN", app, stream == APPC_LOG_STDERR ? "stderr" : "stdout",
                                        ts, static_cast<long long>(time_ns), l);
    if (r == nullptr) return self->keep_exception();
    bool stop = r == Py_False;
    Py_DECREF(r);
    if (stop) self->stopped_ = true;
    return stop ? 1 : 0;
  }
  void raise_pending() {
    if (type_ == nullptr) return;
    PyErr_Restore(type_, value_, tb_);
    type_ = value_ = tb_ = nullptr;
    throw py::error_already_set();
  }
  bool stopped() const { return stopped_; }

private:
  int keep_exception() noexcept {
    PyErr_Fetch(&type_, &value_, &tb_);
    return 1;
  }
  py::object fn_;
  PyObject *type_ = nullptr, *value_ = nullptr, *tb_ = nullptr;
  bool stopped_ = false;
};

class ExecutorHandle {
public:
  explicit ExecutorHandle(appc_executor *p) : p_(p) {}
  ExecutorHandle(const ExecutorHandle &) = delete;
  ExecutorHandle &operator=(const ExecutorHandle &) = delete;
  ~ExecutorHandle() { appc_executor_free(p_); }

  // Runs `f(executor)` (a status-returning C call) without the GIL, then raises the library's error.
  template <class F> void call(F &&f, LogBridge *bridge = nullptr) {
    int rc = 0;
    bool closed = false;
    ErrorCopy err;
    {
      py::gil_scoped_release nogil;
      std::shared_lock<std::shared_mutex> lock(mu_);
      if (p_ == nullptr) {
        closed = true;
      } else {
        rc = f(p_);
        if (rc < 0) err = ErrorCopy::last();
      }
    }
    if (closed) throw py::value_error("operation on a closed appc.Executor");
    if (bridge != nullptr) {
      bridge->raise_pending();
      if (rc == APPC_ECANCELLED && bridge->stopped()) return;   // the callback asked to stop: not an error
    }
    if (rc < 0) raise_error(err);
  }

  void close() {
    py::gil_scoped_release nogil;
    std::unique_lock<std::shared_mutex> lock(mu_);
    appc_executor_free(p_);
    p_ = nullptr;
  }

  py::bytes root() {
    std::string r;
    call([&](appc_executor *e) {
      r = appc_executor_root(e);
      return APPC_OK;
    });
    return py::bytes(r);
  }

  std::string prepare(const py::dict &spec) {
    PodOptionsOwner o;
    check([&] { return appc_pod_options_new(&o.p); });
    fill_pod_options(o.p, spec);
    Buf uuid;
    call([&](appc_executor *e) { return appc_pod_prepare(e, o.p, &uuid.b); });
    return std::string(uuid.b.ptr, uuid.b.size);
  }

  static py::tuple result_tuple(const appc_pod_run_result &r) {
    return py::make_tuple(std::string(r.uuid), r.has_exit_code ? py::object(py::int_(r.exit_code)) : py::object(py::none()),
                          r.pid);
  }

  py::tuple run(const py::dict &spec, bool detach) {
    PodOptionsOwner o;
    check([&] { return appc_pod_options_new(&o.p); });
    fill_pod_options(o.p, spec);
    appc_pod_run_options ro = APPC_POD_RUN_OPTIONS_INIT;
    ro.detach = detach;
    appc_pod_run_result r = APPC_POD_RUN_RESULT_INIT;
    call([&](appc_executor *e) { return appc_pod_run(e, o.p, &ro, &r); });
    return result_tuple(r);
  }

  py::tuple run_prepared(const py::str &uuid_in, bool detach) {
    std::string uuid = from_py(uuid_in, "uuid");
    appc_pod_run_options ro = APPC_POD_RUN_OPTIONS_INIT;
    ro.detach = detach;
    appc_pod_run_result r = APPC_POD_RUN_RESULT_INIT;
    call([&](appc_executor *e) { return appc_pod_run_prepared(e, uuid.c_str(), &ro, &r); });
    return result_tuple(r);
  }

  std::string resolve(const py::str &prefix_in) {
    std::string prefix = from_py(prefix_in, "uuid");
    Buf out;
    call([&](appc_executor *e) { return appc_pod_resolve_uuid(e, prefix.c_str(), &out.b); });
    return std::string(out.b.ptr, out.b.size);
  }

  py::dict status(const py::str &uuid_in, bool wait, int timeout_ms) {
    std::string uuid = from_py(uuid_in, "uuid");
    appc_pod_status *s = nullptr;
    call([&](appc_executor *e) {
      return wait ? appc_pod_wait(&s, e, uuid.c_str(), timeout_ms) : appc_pod_status_get(&s, e, uuid.c_str());
    });
    std::unique_ptr<appc_pod_status, void (*)(appc_pod_status *)> guard(s, appc_pod_status_free);
    return pod_status_dict(s);
  }

  py::list list() {
    appc_pod_list *l = nullptr;
    call([&](appc_executor *e) { return appc_pod_list_get(&l, e); });
    std::unique_ptr<appc_pod_list, void (*)(appc_pod_list *)> guard(l, appc_pod_list_free);
    py::list out;
    for (size_t i = 0, n = appc_pod_list_count(l); i < n; ++i) out.append(pod_status_dict(appc_pod_list_at(l, i)));
    return out;
  }

  py::str manifest(const py::str &uuid_in) {
    std::string uuid = from_py(uuid_in, "uuid");
    Buf out;
    call([&](appc_executor *e) { return appc_pod_read_manifest(e, uuid.c_str(), &out.b); });
    return text(out.b.ptr, out.b.size);
  }

  void stop(const py::str &uuid_in, int grace_ms) {
    std::string uuid = from_py(uuid_in, "uuid");
    call([&](appc_executor *e) { return appc_pod_stop(e, uuid.c_str(), grace_ms); });
  }

  void rm(const py::str &uuid_in) {
    std::string uuid = from_py(uuid_in, "uuid");
    call([&](appc_executor *e) { return appc_pod_rm(e, uuid.c_str()); });
  }

  py::list gc(int64_t exited_grace_s, int64_t prepared_grace_s) {
    appc_pod_gc_options go = APPC_POD_GC_OPTIONS_INIT;
    go.exited_grace_s = exited_grace_s;
    go.prepared_grace_s = prepared_grace_s;
    appc_pod_gc_result *r = nullptr;
    call([&](appc_executor *e) { return appc_pod_gc(&r, e, &go); });
    std::unique_ptr<appc_pod_gc_result, void (*)(appc_pod_gc_result *)> guard(r, appc_pod_gc_result_free);
    py::list out;
    for (size_t i = 0, n = appc_pod_gc_result_count(r); i < n; ++i) out.append(text(appc_pod_gc_result_uuid(r, i)));
    return out;
  }

  int enter(const py::str &uuid_in, const std::optional<py::str> &app_in, const py::sequence &argv_in,
            std::optional<bool> tty) {
    std::string uuid = from_py(uuid_in, "uuid");
    std::optional<std::string> app;
    if (app_in) app = from_py(*app_in, "app");
    Argv argv(str_list(argv_in, "argv"));
    appc_pod_enter_options eo = APPC_POD_ENTER_OPTIONS_INIT;
    eo.app = app ? app->c_str() : nullptr;
    eo.tty = !tty ? APPC_ENTER_TTY_AUTO : *tty ? APPC_ENTER_TTY_ALWAYS : APPC_ENTER_TTY_NEVER;
    int status = -1;
    call([&](appc_executor *e) { return appc_pod_enter_ext(e, uuid.c_str(), argv.data(), argv.size(), &eo, &status); });
    return status;
  }

  void logs(const py::str &uuid_in, const std::optional<py::str> &app_in, bool want_stdout, bool want_stderr,
            bool follow, py::object fn) {
    std::string uuid = from_py(uuid_in, "uuid");
    std::optional<std::string> app;
    if (app_in) app = from_py(*app_in, "app");
    appc_pod_log_options lo = APPC_POD_LOG_OPTIONS_INIT;
    lo.app = app ? app->c_str() : nullptr;
    lo.want_stdout = want_stdout;
    lo.want_stderr = want_stderr;
    lo.follow = follow;
    LogBridge bridge(std::move(fn));
    call([&](appc_executor *e) { return appc_pod_logs(e, uuid.c_str(), &lo, &LogBridge::callback, &bridge); },
         &bridge);
  }

private:
  std::shared_mutex mu_;
  appc_executor *p_;
};

ExecutorHandle *executor_open(const std::optional<py::bytes> &root_b, const std::optional<py::bytes> &sup_b) {
  std::string root = root_b ? path_arg(*root_b, "root") : std::string();
  std::string sup = sup_b ? path_arg(*sup_b, "supervisor") : std::string();
  appc_executor_options opts = APPC_EXECUTOR_OPTIONS_INIT;
  opts.supervisor = sup_b ? sup.c_str() : nullptr;
  appc_executor *e = nullptr;
  check_nogil([&] { return appc_executor_open(&e, root_b ? root.c_str() : nullptr, &opts); });
  return new ExecutorHandle(e);
}

void register_pods(py::module_ &mod) {
  py::class_<ExecutorHandle>(mod, "ExecutorHandle")
      .def_static("open", &executor_open, py::arg("root").none(true), py::arg("supervisor").none(true) = py::none(),
                  "appc_executor_open()")
      .def("close", &ExecutorHandle::close, "appc_executor_free(); later calls raise ValueError")
      .def("root", &ExecutorHandle::root, "appc_executor_root() as bytes")
      .def("prepare", &ExecutorHandle::prepare, py::arg("spec"), "appc_pod_prepare(): the UUID")
      .def("run", &ExecutorHandle::run, py::arg("spec"), py::arg("detach"),
           "appc_pod_run(): (uuid, exit_code or None, supervisor pid)")
      .def("run_prepared", &ExecutorHandle::run_prepared, py::arg("uuid"), py::arg("detach"),
           "appc_pod_run_prepared(): (uuid, exit_code or None, supervisor pid)")
      .def("resolve", &ExecutorHandle::resolve, py::arg("prefix"), "appc_pod_resolve_uuid()")
      .def("status", &ExecutorHandle::status, py::arg("uuid"), py::arg("wait") = false, py::arg("timeout_ms") = -1,
           "appc_pod_status_get() or appc_pod_wait(): dict")
      .def("list", &ExecutorHandle::list, "appc_pod_list_get(): [status dict]")
      .def("manifest", &ExecutorHandle::manifest, py::arg("uuid"), "appc_pod_read_manifest()")
      .def("stop", &ExecutorHandle::stop, py::arg("uuid"), py::arg("grace_ms") = -1, "appc_pod_stop()")
      .def("rm", &ExecutorHandle::rm, py::arg("uuid"), "appc_pod_rm()")
      .def("gc", &ExecutorHandle::gc, py::arg("exited_grace_s"), py::arg("prepared_grace_s"),
           "appc_pod_gc(): [uuid]")
      .def("enter", &ExecutorHandle::enter, py::arg("uuid"), py::arg("app").none(true), py::arg("argv"),
           py::arg("tty").none(true) = py::none(),
           "appc_pod_enter_ext(): the command's status; tty None: auto, True: always, False: never")
      .def("logs", &ExecutorHandle::logs, py::arg("uuid"), py::arg("app").none(true), py::arg("stdout"),
           py::arg("stderr"), py::arg("follow"), py::arg("callback"),
           "appc_pod_logs(): callback(app, stream, timestamp, time_ns, line); False stops");
}

} // namespace

PYBIND11_MODULE(_appc, mod) {
  mod.doc() = "Low-level bindings of libappc's C ABI (appc.h). Use the appc package instead.";

  mod.def("version", [] { return std::string(appc_version()); }, "appc_version()");
  mod.def("version_numbers", [] {
    int major = 0, minor = 0, patch = 0;
    appc_version_numbers(&major, &minor, &patch);
    return py::make_tuple(major, minor, patch);
  });
  mod.def("spec_version", [] { return std::string(appc_spec_version()); }, "appc_spec_version()");
  mod.def("compiled_version", [] { return std::string(APPC_VERSION); },
          "APPC_VERSION of the appc.h this module was compiled against");
  mod.def("status_name", [](int status) { return std::string(appc_status_name(status)); });
  mod.def("_set_error_classes", &set_error_classes);
  mod.def(
      "_raise_error",
      [](int code, int sys_errno, const std::string &message, const std::string &where,
         const std::vector<std::tuple<std::string, std::string, int>> &diags) {
        // Raises exactly as a failed C call would: for the tests of the status -> exception mapping.
        ErrorCopy e;
        e.code = code;
        e.sys_errno = sys_errno;
        e.message = message;
        e.where = where;
        for (const auto &[p, m, r] : diags) e.diags.push_back({p, m, r});
        raise_error(e);
      },
      py::arg("code"), py::arg("sys_errno"), py::arg("message"), py::arg("where") = "",
      py::arg("diagnostics") = std::vector<std::tuple<std::string, std::string, int>>{});

  mod.def(
      "detect_kind",
      [](const py::bytes &data) {
        std::string s = bytes_arg(data);
        return static_cast<int>(appc_detect_kind(s.data(), s.size()));
      },
      "appc_detect_kind(): 0 unknown, 1 image, 2 pod");

  mod.def("decode_isolator", &decode_isolator, py::arg("name"), py::arg("value_json"),
          "Decode an isolator value as an app's isolator: (name, canonical value JSON, typed fields)");

  // ---- image manifests ----------------------------------------------------
  py::class_<ImageManifest>(mod, "ImageManifestHandle")
      .def_static(
          "parse",
          [](const py::bytes &data, size_t max_bytes, unsigned max_depth) {
            char *buf = nullptr;
            Py_ssize_t len = 0;
            if (PyBytes_AsStringAndSize(data.ptr(), &buf, &len) < 0) throw py::error_already_set();
            appc_parse_options opts = parse_options(max_bytes, max_depth);
            appc_image_manifest *m = nullptr;
            // `data` stays referenced by the caller's frame: its buffer is safe without the GIL.
            check_nogil([&] { return appc_image_manifest_parse(&m, buf, static_cast<size_t>(len), &opts); });
            return new ImageManifest(m);
          },
          py::arg("data"), py::arg("max_bytes") = 0, py::arg("max_depth") = 0)
      .def_static(
          "new",
          [](const py::str &name) {
            std::string n = from_py(name, "name");
            appc_image_manifest *m = nullptr;
            check([&] { return appc_image_manifest_new(&m, n.c_str()); });
            return new ImageManifest(m);
          },
          py::arg("name"))
      .def("clone",
           [](const ImageManifest &self) {
             appc_image_manifest *m = nullptr;
             check([&] { return appc_image_manifest_clone(&m, self.get()); });
             return new ImageManifest(m);
           })
      .def("validate",
           [](const ImageManifest &self) { check_nogil([&] { return appc_image_manifest_validate(self.get()); }); })
      .def(
          "serialize",
          [](const ImageManifest &self, bool pretty) {
            appc_serialize_options opts = serialize_options(pretty);
            Buf buf;
            check_nogil([&] { return appc_image_manifest_serialize(self.get(), &opts, &buf.b); });
            return text(buf.b.ptr, buf.b.size);
          },
          py::arg("pretty") = false)
      // read accessors
      .def("ac_kind", [](const ImageManifest &s) { return text(appc_image_manifest_ac_kind(s.get())); })
      .def("ac_version", [](const ImageManifest &s) { return text(appc_image_manifest_ac_version(s.get())); })
      .def("name", [](const ImageManifest &s) { return text(appc_image_manifest_name(s.get())); })
      .def("labels",
           [](const ImageManifest &s) {
             const appc_image_manifest *m = s.get();
             return pairs(appc_image_manifest_label_count(m), [&](size_t i) { return appc_image_manifest_label_name(m, i); },
                          [&](size_t i) { return appc_image_manifest_label_value(m, i); });
           })
      .def("label",
           [](const ImageManifest &s, const py::str &name) {
             return opt_text(appc_image_manifest_label(s.get(), c_str(from_py(name, "name"), "name")));
           })
      .def("annotations",
           [](const ImageManifest &s) {
             const appc_image_manifest *m = s.get();
             return pairs(appc_image_manifest_annotation_count(m),
                          [&](size_t i) { return appc_image_manifest_annotation_name(m, i); },
                          [&](size_t i) { return appc_image_manifest_annotation_value(m, i); });
           })
      .def("dependencies",
           [](const ImageManifest &s) {
             const appc_image_manifest *m = s.get();
             py::list out;
             for (size_t i = 0, n = appc_image_manifest_dependency_count(m); i < n; ++i) {
               py::list labels = pairs(appc_image_manifest_dependency_label_count(m, i),
                                       [&](size_t j) { return appc_image_manifest_dependency_label_name(m, i, j); },
                                       [&](size_t j) { return appc_image_manifest_dependency_label_value(m, i, j); });
               py::object size = appc_image_manifest_dependency_has_size(m, i)
                                     ? py::object(py::int_(appc_image_manifest_dependency_size(m, i)))
                                     : py::object(py::none());
               out.append(py::make_tuple(text(appc_image_manifest_dependency_image_name(m, i)),
                                         opt_text(appc_image_manifest_dependency_image_id(m, i)), labels, size));
             }
             return out;
           })
      .def("path_whitelist",
           [](const ImageManifest &s) {
             const appc_image_manifest *m = s.get();
             py::list out;
             for (size_t i = 0, n = appc_image_manifest_path_whitelist_count(m); i < n; ++i)
               out.append(text(appc_image_manifest_path_whitelist(m, i)));
             return out;
           })
      .def("app",
           [](const py::object &self) {
             const ImageManifest &s = self.cast<const ImageManifest &>();
             return borrowed_app(appc_image_manifest_app(s.get()), parent_of<ImageManifest>(self));
           })
      // builders
      .def("set_name",
           [](ImageManifest &s, const py::str &v) {
             std::string n = from_py(v, "name");
             check([&] { return appc_image_manifest_set_name(s.mut(), n.c_str()); });
           })
      .def("set_ac_version",
           [](ImageManifest &s, const py::str &v) {
             std::string n = from_py(v, "acVersion");
             check([&] { return appc_image_manifest_set_ac_version(s.mut(), n.c_str()); });
           })
      .def("add_label",
           [](ImageManifest &s, const py::str &name, const py::str &value) {
             std::string n = from_py(name, "label name"), v = from_py(value, "label value");
             check([&] { return appc_image_manifest_add_label(s.mut(), n.c_str(), v.c_str()); });
           })
      .def("clear_labels", [](ImageManifest &s) { check([&] { return appc_image_manifest_clear_labels(s.mut()); }); })
      .def("add_annotation",
           [](ImageManifest &s, const py::str &name, const py::str &value) {
             std::string n = from_py(name, "annotation name"), v = from_py(value, "annotation value");
             check([&] { return appc_image_manifest_add_annotation(s.mut(), n.c_str(), v.c_str()); });
           })
      .def("clear_annotations",
           [](ImageManifest &s) { check([&] { return appc_image_manifest_clear_annotations(s.mut()); }); })
      .def("set_app",
           [](ImageManifest &s, const App *app) {
             const appc_app *a = app ? app->get() : nullptr;
             check([&] { return appc_image_manifest_set_app(s.mut(), a); });
           },
           py::arg("app").none(true))
      .def("add_dependency",
           [](ImageManifest &s, const py::str &image_name, const py::object &image_id) {
             std::string n = from_py(image_name, "imageName");
             std::optional<std::string> id;
             if (!image_id.is_none()) id = from_py(image_id, "imageID");
             size_t index = 0;
             check([&] { return appc_image_manifest_add_dependency(s.mut(), n.c_str(), id ? id->c_str() : nullptr, &index); });
             return index;
           },
           py::arg("image_name"), py::arg("image_id").none(true))
      .def("dependency_add_label",
           [](ImageManifest &s, size_t i, const py::str &name, const py::str &value) {
             std::string n = from_py(name, "label name"), v = from_py(value, "label value");
             check([&] { return appc_image_manifest_dependency_add_label(s.mut(), i, n.c_str(), v.c_str()); });
           })
      .def("dependency_set_size",
           [](ImageManifest &s, size_t i, uint64_t size) {
             check([&] { return appc_image_manifest_dependency_set_size(s.mut(), i, size); });
           })
      .def("clear_dependencies",
           [](ImageManifest &s) { check([&] { return appc_image_manifest_clear_dependencies(s.mut()); }); })
      .def("add_path_whitelist",
           [](ImageManifest &s, const py::str &path) {
             std::string p = from_py(path, "pathWhitelist entry");
             check([&] { return appc_image_manifest_add_path_whitelist(s.mut(), p.c_str()); });
           })
      .def("clear_path_whitelist",
           [](ImageManifest &s) { check([&] { return appc_image_manifest_clear_path_whitelist(s.mut()); }); });

  // ---- apps -----------------------------------------------------------------
  py::class_<App>(mod, "AppHandle")
      .def_static("new",
                  [] {
                    appc_app *a = nullptr;
                    check([&] { return appc_app_new(&a); });
                    return new App(a);
                  })
      .def_static(
          "parse",
          [](const py::bytes &data, size_t max_bytes, unsigned max_depth) {
            char *buf = nullptr;
            Py_ssize_t len = 0;
            if (PyBytes_AsStringAndSize(data.ptr(), &buf, &len) < 0) throw py::error_already_set();
            appc_parse_options opts = parse_options(max_bytes, max_depth);
            appc_app *a = nullptr;
            check_nogil([&] { return appc_app_parse(&a, buf, static_cast<size_t>(len), &opts); });
            return new App(a);
          },
          py::arg("data"), py::arg("max_bytes") = 0, py::arg("max_depth") = 0)
      .def("clone",
           [](const App &self) {
             appc_app *a = nullptr;
             check([&] { return appc_app_clone(&a, self.get()); });
             return new App(a);
           })
      .def_property_readonly("owned", &App::owned)
      .def("fields", &app_fields, "every field as plain Python values")
      .def("isolator_typed",
           [](const App &self, size_t i) {
             const appc_isolator *iso = appc_app_isolator(self.get(), i);
             if (!iso) throw py::index_error("isolator index out of range");
             return isolator_typed(iso);
           })
      .def("env",
           [](const App &self, const py::str &name) {
             return opt_text(appc_app_env(self.get(), c_str(from_py(name, "name"), "name")));
           })
      .def("set_exec",
           [](App &self, const py::sequence &argv) {
             Argv args(str_list(argv, "exec"));
             check([&] { return appc_app_set_exec(self.mut(), args.data(), args.size()); });
           })
      .def("set_user",
           [](App &self, const py::str &v) {
             std::string s = from_py(v, "user");
             check([&] { return appc_app_set_user(self.mut(), s.c_str()); });
           })
      .def("set_group",
           [](App &self, const py::str &v) {
             std::string s = from_py(v, "group");
             check([&] { return appc_app_set_group(self.mut(), s.c_str()); });
           })
      .def("set_supplementary_gids",
           [](App &self, const std::vector<int64_t> &gids) {
             check([&] { return appc_app_set_supplementary_gids(self.mut(), gids.empty() ? nullptr : gids.data(), gids.size()); });
           })
      .def("set_working_directory",
           [](App &self, const py::str &v) {
             std::string s = from_py(v, "workingDirectory");
             check([&] { return appc_app_set_working_directory(self.mut(), s.c_str()); });
           })
      .def("add_env",
           [](App &self, const py::str &name, const py::str &value) {
             std::string n = from_py(name, "environment name"), v = from_py(value, "environment value");
             check([&] { return appc_app_add_env(self.mut(), n.c_str(), v.c_str()); });
           })
      .def("add_event_handler",
           [](App &self, const py::str &name, const py::sequence &argv) {
             std::string n = from_py(name, "event handler name");
             Argv args(str_list(argv, "event handler exec"));
             check([&] { return appc_app_add_event_handler(self.mut(), n.c_str(), args.data(), args.size()); });
           })
      .def("add_mount_point",
           [](App &self, const py::str &name, const py::str &path, bool read_only) {
             std::string n = from_py(name, "mount point name"), p = from_py(path, "mount point path");
             check([&] { return appc_app_add_mount_point(self.mut(), n.c_str(), p.c_str(), read_only); });
           })
      .def("add_port",
           [](App &self, const py::str &name, const py::str &protocol, int64_t port, int64_t count, bool socket_activated) {
             std::string n = from_py(name, "port name"), p = from_py(protocol, "port protocol");
             check([&] { return appc_app_add_port(self.mut(), n.c_str(), p.c_str(), port, count, socket_activated); });
           })
      .def("add_isolator",
           [](App &self, const py::str &name, const py::str &value_json) {
             std::string n = from_py(name, "isolator name"), v = from_py(value_json, "isolator value");
             check([&] { return appc_app_add_isolator(self.mut(), n.c_str(), v.data(), v.size()); });
           })
      .def("add_user_annotation",
           [](App &self, const py::str &name, const py::str &value) {
             std::string n = from_py(name, "userAnnotations key"), v = from_py(value, "userAnnotations value");
             check([&] { return appc_app_add_user_annotation(self.mut(), n.c_str(), v.c_str()); });
           })
      .def("add_user_label",
           [](App &self, const py::str &name, const py::str &value) {
             std::string n = from_py(name, "userLabels key"), v = from_py(value, "userLabels value");
             check([&] { return appc_app_add_user_label(self.mut(), n.c_str(), v.c_str()); });
           });

  // ---- volumes --------------------------------------------------------------
  py::class_<Volume>(mod, "VolumeHandle")
      .def_static("new",
                  [](const py::str &name, const py::str &kind) {
                    std::string n = from_py(name, "volume name"), k = from_py(kind, "volume kind");
                    appc_volume *v = nullptr;
                    check([&] { return appc_volume_new(&v, n.c_str(), k.c_str()); });
                    return new Volume(v);
                  })
      .def("clone",
           [](const Volume &self) {
             appc_volume *v = nullptr;
             check([&] { return appc_volume_clone(&v, self.get()); });
             return new Volume(v);
           })
      .def_property_readonly("owned", &Volume::owned)
      .def("fields", &volume_fields)
      .def("set_source",
           [](Volume &self, const py::str &v) {
             std::string s = from_py(v, "source");
             check([&] { return appc_volume_set_source(self.mut(), s.c_str()); });
           })
      .def("set_read_only", [](Volume &self, bool v) { check([&] { return appc_volume_set_read_only(self.mut(), v); }); })
      .def("set_recursive", [](Volume &self, bool v) { check([&] { return appc_volume_set_recursive(self.mut(), v); }); })
      .def("set_mode",
           [](Volume &self, const py::str &v) {
             std::string s = from_py(v, "mode");
             check([&] { return appc_volume_set_mode(self.mut(), s.c_str()); });
           })
      .def("set_uid", [](Volume &self, int64_t v) { check([&] { return appc_volume_set_uid(self.mut(), v); }); })
      .def("set_gid", [](Volume &self, int64_t v) { check([&] { return appc_volume_set_gid(self.mut(), v); }); });

  // ---- pod manifests --------------------------------------------------------
  py::class_<PodManifest>(mod, "PodManifestHandle")
      .def_static(
          "parse",
          [](const py::bytes &data, size_t max_bytes, unsigned max_depth) {
            char *buf = nullptr;
            Py_ssize_t len = 0;
            if (PyBytes_AsStringAndSize(data.ptr(), &buf, &len) < 0) throw py::error_already_set();
            appc_parse_options opts = parse_options(max_bytes, max_depth);
            appc_pod_manifest *p = nullptr;
            check_nogil([&] { return appc_pod_manifest_parse(&p, buf, static_cast<size_t>(len), &opts); });
            return new PodManifest(p);
          },
          py::arg("data"), py::arg("max_bytes") = 0, py::arg("max_depth") = 0)
      .def_static("new",
                  [] {
                    appc_pod_manifest *p = nullptr;
                    check([&] { return appc_pod_manifest_new(&p); });
                    return new PodManifest(p);
                  })
      .def("clone",
           [](const PodManifest &self) {
             appc_pod_manifest *p = nullptr;
             check([&] { return appc_pod_manifest_clone(&p, self.get()); });
             return new PodManifest(p);
           })
      .def("validate",
           [](const PodManifest &self) { check_nogil([&] { return appc_pod_manifest_validate(self.get()); }); })
      .def(
          "serialize",
          [](const PodManifest &self, bool pretty) {
            appc_serialize_options opts = serialize_options(pretty);
            Buf buf;
            check_nogil([&] { return appc_pod_manifest_serialize(self.get(), &opts, &buf.b); });
            return text(buf.b.ptr, buf.b.size);
          },
          py::arg("pretty") = false)
      // read accessors
      .def("ac_kind", [](const PodManifest &s) { return text(appc_pod_manifest_ac_kind(s.get())); })
      .def("ac_version", [](const PodManifest &s) { return text(appc_pod_manifest_ac_version(s.get())); })
      .def("apps",
           [](const py::object &self) {
             const PodManifest &s = self.cast<const PodManifest &>();
             const appc_pod_manifest *p = s.get();
             py::list out;
             for (size_t i = 0, n = appc_pod_manifest_app_count(p); i < n; ++i) {
               py::list labels = pairs(appc_pod_app_image_label_count(p, i),
                                       [&](size_t j) { return appc_pod_app_image_label_name(p, i, j); },
                                       [&](size_t j) { return appc_pod_app_image_label_value(p, i, j); });
               py::list mounts;
               for (size_t j = 0, m = appc_pod_app_mount_count(p, i); j < m; ++j)
                 mounts.append(py::make_tuple(text(appc_pod_app_mount_volume(p, i, j)), text(appc_pod_app_mount_path(p, i, j)),
                                              borrowed_volume(appc_pod_app_mount_app_volume(p, i, j), parent_of<PodManifest>(self))));
               py::list annotations = pairs(appc_pod_app_annotation_count(p, i),
                                            [&](size_t j) { return appc_pod_app_annotation_name(p, i, j); },
                                            [&](size_t j) { return appc_pod_app_annotation_value(p, i, j); });
               py::dict app;
               app["name"] = text(appc_pod_app_name(p, i));
               app["image"] = py::make_tuple(opt_text(appc_pod_app_image_name(p, i)), opt_text(appc_pod_app_image_id(p, i)), labels);
               app["app"] = borrowed_app(appc_pod_app_override(p, i), parent_of<PodManifest>(self));
               app["read_only_root_fs"] = appc_pod_app_read_only_root_fs(p, i);
               app["mounts"] = mounts;
               app["annotations"] = annotations;
               out.append(app);
             }
             return out;
           })
      .def("find_app",
           [](const PodManifest &s, const py::str &name) -> py::object {
             size_t index = 0;
             if (!appc_pod_manifest_find_app(s.get(), c_str(from_py(name, "name"), "name"), &index)) return py::none();
             return py::int_(index);
           })
      .def("volumes",
           [](const py::object &self) {
             const PodManifest &s = self.cast<const PodManifest &>();
             py::list out;
             for (size_t i = 0, n = appc_pod_manifest_volume_count(s.get()); i < n; ++i)
               out.append(borrowed_volume(appc_pod_manifest_volume(s.get(), i), parent_of<PodManifest>(self)));
             return out;
           })
      .def("ports",
           [](const PodManifest &s) {
             const appc_pod_manifest *p = s.get();
             py::list out;
             for (size_t i = 0, n = appc_pod_manifest_port_count(p); i < n; ++i)
               out.append(py::make_tuple(text(appc_pod_manifest_port_name(p, i)), appc_pod_manifest_port_host_port(p, i),
                                         opt_text(appc_pod_manifest_port_host_ip(p, i)),
                                         port_tuple(appc_pod_manifest_port_pod_port(p, i))));
             return out;
           })
      .def("isolators",
           [](const PodManifest &s) {
             const appc_pod_manifest *p = s.get();
             py::list out;
             for (size_t i = 0, n = appc_pod_manifest_isolator_count(p); i < n; ++i)
               out.append(isolator_tuple(appc_pod_manifest_isolator(p, i)));
             return out;
           })
      .def("isolator_typed",
           [](const PodManifest &s, size_t i) {
             const appc_isolator *iso = appc_pod_manifest_isolator(s.get(), i);
             if (!iso) throw py::index_error("isolator index out of range");
             return isolator_typed(iso);
           })
      .def("annotations",
           [](const PodManifest &s) {
             const appc_pod_manifest *p = s.get();
             return pairs(appc_pod_manifest_annotation_count(p), [&](size_t i) { return appc_pod_manifest_annotation_name(p, i); },
                          [&](size_t i) { return appc_pod_manifest_annotation_value(p, i); });
           })
      .def("user_annotations",
           [](const PodManifest &s) {
             const appc_pod_manifest *p = s.get();
             return pairs(appc_pod_manifest_user_annotation_count(p),
                          [&](size_t i) { return appc_pod_manifest_user_annotation_name(p, i); },
                          [&](size_t i) { return appc_pod_manifest_user_annotation_value(p, i); });
           })
      .def("user_labels",
           [](const PodManifest &s) {
             const appc_pod_manifest *p = s.get();
             return pairs(appc_pod_manifest_user_label_count(p), [&](size_t i) { return appc_pod_manifest_user_label_name(p, i); },
                          [&](size_t i) { return appc_pod_manifest_user_label_value(p, i); });
           })
      // builders
      .def("set_ac_version",
           [](PodManifest &s, const py::str &v) {
             std::string n = from_py(v, "acVersion");
             check([&] { return appc_pod_manifest_set_ac_version(s.mut(), n.c_str()); });
           })
      .def("add_app",
           [](PodManifest &s, const py::str &name, const py::str &image_name, const py::object &image_id) {
             std::string n = from_py(name, "app name"), in = from_py(image_name, "image name");
             std::optional<std::string> id;
             if (!image_id.is_none()) id = from_py(image_id, "image id");
             size_t index = 0;
             check([&] { return appc_pod_manifest_add_app(s.mut(), n.c_str(), in.c_str(), id ? id->c_str() : nullptr, &index); });
             return index;
           },
           py::arg("name"), py::arg("image_name"), py::arg("image_id").none(true))
      .def("app_set_image_id",
           [](PodManifest &s, size_t i, const py::str &id) {
             std::string v = from_py(id, "image id");
             check([&] { return appc_pod_app_set_image_id(s.mut(), i, v.c_str()); });
           })
      .def("app_add_image_label",
           [](PodManifest &s, size_t i, const py::str &name, const py::str &value) {
             std::string n = from_py(name, "label name"), v = from_py(value, "label value");
             check([&] { return appc_pod_app_add_image_label(s.mut(), i, n.c_str(), v.c_str()); });
           })
      .def("app_set_override",
           [](PodManifest &s, size_t i, const App *app) {
             const appc_app *a = app ? app->get() : nullptr;
             check([&] { return appc_pod_app_set_override(s.mut(), i, a); });
           },
           py::arg("i"), py::arg("app").none(true))
      .def("app_set_read_only_root_fs",
           [](PodManifest &s, size_t i, bool v) { check([&] { return appc_pod_app_set_read_only_root_fs(s.mut(), i, v); }); })
      .def("app_add_mount",
           [](PodManifest &s, size_t i, const py::str &volume, const py::str &path, const Volume *app_volume) {
             std::string v = from_py(volume, "mount volume"), p = from_py(path, "mount path");
             const appc_volume *av = app_volume ? app_volume->get() : nullptr;
             check([&] { return appc_pod_app_add_mount(s.mut(), i, v.c_str(), p.c_str(), av); });
           },
           py::arg("i"), py::arg("volume"), py::arg("path"), py::arg("app_volume").none(true))
      .def("app_add_annotation",
           [](PodManifest &s, size_t i, const py::str &name, const py::str &value) {
             std::string n = from_py(name, "annotation name"), v = from_py(value, "annotation value");
             check([&] { return appc_pod_app_add_annotation(s.mut(), i, n.c_str(), v.c_str()); });
           })
      .def("clear_apps", [](PodManifest &s) { check([&] { return appc_pod_manifest_clear_apps(s.mut()); }); })
      .def("add_volume",
           [](PodManifest &s, const Volume &v) {
             const appc_volume *vp = v.get();
             check([&] { return appc_pod_manifest_add_volume(s.mut(), vp); });
           })
      .def("clear_volumes", [](PodManifest &s) { check([&] { return appc_pod_manifest_clear_volumes(s.mut()); }); })
      .def("add_port",
           [](PodManifest &s, const py::str &name, int64_t host_port, const py::object &host_ip) {
             std::string n = from_py(name, "port name");
             std::optional<std::string> ip;
             if (!host_ip.is_none()) ip = from_py(host_ip, "hostIP");
             size_t index = 0;
             check([&] { return appc_pod_manifest_add_port(s.mut(), n.c_str(), host_port, ip ? ip->c_str() : nullptr, &index); });
             return index;
           },
           py::arg("name"), py::arg("host_port"), py::arg("host_ip").none(true))
      .def("port_set_pod_port",
           [](PodManifest &s, size_t i, const py::str &name, const py::str &protocol, int64_t port, int64_t count,
              bool socket_activated) {
             std::string n = from_py(name, "port name"), p = from_py(protocol, "port protocol");
             check([&] {
               return appc_pod_manifest_port_set_pod_port(s.mut(), i, n.c_str(), p.c_str(), port, count, socket_activated);
             });
           })
      .def("clear_ports", [](PodManifest &s) { check([&] { return appc_pod_manifest_clear_ports(s.mut()); }); })
      .def("add_isolator",
           [](PodManifest &s, const py::str &name, const py::str &value_json) {
             std::string n = from_py(name, "isolator name"), v = from_py(value_json, "isolator value");
             check([&] { return appc_pod_manifest_add_isolator(s.mut(), n.c_str(), v.data(), v.size()); });
           })
      .def("clear_isolators", [](PodManifest &s) { check([&] { return appc_pod_manifest_clear_isolators(s.mut()); }); })
      .def("add_annotation",
           [](PodManifest &s, const py::str &name, const py::str &value) {
             std::string n = from_py(name, "annotation name"), v = from_py(value, "annotation value");
             check([&] { return appc_pod_manifest_add_annotation(s.mut(), n.c_str(), v.c_str()); });
           })
      .def("clear_annotations", [](PodManifest &s) { check([&] { return appc_pod_manifest_clear_annotations(s.mut()); }); })
      .def("add_user_annotation",
           [](PodManifest &s, const py::str &name, const py::str &value) {
             std::string n = from_py(name, "userAnnotations key"), v = from_py(value, "userAnnotations value");
             check([&] { return appc_pod_manifest_add_user_annotation(s.mut(), n.c_str(), v.c_str()); });
           })
      .def("clear_user_annotations",
           [](PodManifest &s) { check([&] { return appc_pod_manifest_clear_user_annotations(s.mut()); }); })
      .def("add_user_label",
           [](PodManifest &s, const py::str &name, const py::str &value) {
             std::string n = from_py(name, "userLabels key"), v = from_py(value, "userLabels value");
             check([&] { return appc_pod_manifest_add_user_label(s.mut(), n.c_str(), v.c_str()); });
           })
      .def("clear_user_labels", [](PodManifest &s) { check([&] { return appc_pod_manifest_clear_user_labels(s.mut()); }); });

  // ---- ACI images ------------------------------------------------------------
  // Paths are bytes (os.fsencode); limits 0 mean the library's defaults;
  // progress is None or callable(phase, bytes_in, bytes_out, entries).
  mod.def("compression_names", &compression_names, "every appc_compression name, in enum order");
  mod.def("image_open", &image_open, py::arg("path"), py::arg("max_bytes") = 0, py::arg("max_entries") = 0,
          py::arg("max_manifest_bytes") = 0, py::arg("progress") = py::none(),
          "appc_image_open(): dict of id, compression, tar_size, archive_size, entries, raw_manifest, manifest");
  mod.def("image_validate", &image_validate, py::arg("path"), py::arg("max_bytes") = 0, py::arg("max_entries") = 0,
          py::arg("max_manifest_bytes") = 0, py::arg("progress") = py::none(), "appc_image_validate_file()");
  mod.def("image_extract", &image_extract, py::arg("path"), py::arg("dir"), py::arg("rootfs_only") = false,
          py::arg("preserve_owners") = true, py::arg("max_bytes") = 0, py::arg("max_entries") = 0,
          py::arg("max_manifest_bytes") = 0, py::arg("expect_id") = py::none(), py::arg("progress") = py::none(),
          "appc_image_extract(): dict of the appc_extract_stats fields");
  mod.def("image_build", &image_build, py::arg("dir"), py::arg("out"), py::arg("compression") = "none",
          py::arg("overwrite") = false, py::arg("owner_root") = false, py::arg("mtime") = py::none(),
          py::arg("progress") = py::none(), "appc_image_build(): the image ID");
  mod.def("image_render", &image_render, py::arg("path"), py::arg("deps_dir"), py::arg("dir"),
          py::arg("preserve_owners") = true, py::arg("max_bytes") = 0, py::arg("max_entries") = 0,
          py::arg("max_manifest_bytes") = 0, py::arg("progress") = py::none(), "appc_image_render()");

  // ---- the image store -------------------------------------------------------
  // Paths are bytes (os.fsencode); IMAGE references and IDs are str. Stored
  // images come back as dicts (appc/_store.py turns them into StoredImage).
  py::class_<StoreHandle>(mod, "StoreHandle")
      .def_static("open", &store_open, py::arg("root").none(true), py::arg("create") = true,
                  py::arg("durable") = true, py::arg("busy_timeout_ms") = 0, "appc_store_open()")
      .def("close", &StoreHandle::close, "appc_store_free(); later calls raise ValueError")
      .def_property_readonly("closed", &StoreHandle::closed)
      .def("root", &StoreHandle::root, "appc_store_root() as bytes")
      .def("import_", &store_import, py::arg("path").none(true), py::arg("fd") = -1,
           py::arg("origin").none(true) = py::none(), py::arg("expect_id").none(true) = py::none(),
           py::arg("max_bytes") = 0, py::arg("max_entries") = 0, py::arg("max_manifest_bytes") = 0,
           py::arg("progress") = py::none(),
           "appc_store_import() (path) or appc_store_import_fd() (path None): (image dict, already_present)")
      .def("get", [](StoreHandle &h, const py::str &id) { return store_lookup(h, id, 0); }, "appc_store_get()")
      .def("resolve", [](StoreHandle &h, const py::str &ref) { return store_lookup(h, ref, 1); },
           "appc_store_resolve()")
      .def("find", &store_find, py::arg("name"), py::arg("labels"), "appc_store_find(); labels: [(name, value)]")
      .def("list", &store_list, "appc_store_list(): [image dict]")
      .def("export", &store_export, py::arg("image"), py::arg("path"), py::arg("overwrite") = false,
           "appc_store_export()")
      .def("tree", &store_tree, py::arg("image"), py::arg("holder").none(true) = py::none(),
           py::arg("preserve_owners") = true, py::arg("progress") = py::none(), "appc_store_tree(): dict")
      .def("render", &store_render, py::arg("image"), py::arg("dir"), py::arg("preserve_owners") = true,
           py::arg("max_bytes") = 0, py::arg("max_entries") = 0, py::arg("max_manifest_bytes") = 0,
           py::arg("progress") = py::none(), "appc_store_render()")
      .def("add_ref",
           [](StoreHandle &h, const py::str &holder_in, const py::str &id_in, const std::optional<std::string> &key_in) {
             std::string holder = from_py(holder_in, "holder"), id = from_py(id_in, "image_id");
             auto key = opt_arg(key_in, "tree_key");
             h.call(nullptr, [&](appc_store *s) {
               return appc_store_add_ref(s, holder.c_str(), id.c_str(), key ? key->c_str() : nullptr);
             });
           },
           py::arg("holder"), py::arg("image_id"), py::arg("tree_key").none(true) = py::none(), "appc_store_add_ref()")
      .def("drop_refs",
           [](StoreHandle &h, const py::str &holder_in) {
             std::string holder = from_py(holder_in, "holder");
             h.call(nullptr, [&](appc_store *s) { return appc_store_drop_refs(s, holder.c_str()); });
           },
           "appc_store_drop_refs()")
      .def("rm", &store_rm, py::arg("image"), py::arg("force") = false, "appc_store_rm(): (id, bytes_freed)")
      .def("gc", &store_gc, py::arg("image_grace_s"), py::arg("tree_grace_s"), py::arg("dry_run"), "appc_store_gc(): dict")
      .def("check", &store_check, py::arg("hashes") = false, "appc_store_check(): dict");

  // ---- pods --------------------------------------------------------------------
  register_pods(mod);
}
