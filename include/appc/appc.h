/**
 * @file appc/appc.h
 * @brief libappc: the App Container (appc 0.8.11) library, stable C ABI.
 *
 * Conventions (docs/c-api.md has the long form):
 *
 * - Every symbol starts with `appc_` (types, functions) or `APPC_` (macros, enumerators).
 * - Functions returning `int` return an ::appc_status: `APPC_OK` (0) or a negative code. On failure
 *   they set the calling thread's last error (appc_error_last()); on entry they reset it, so after a
 *   successful call appc_error_last()->code is `APPC_OK`. No C++ exception crosses this boundary.
 * - Functions returning `bool`, `size_t`, numbers or pointers are accessors: they never fail, never
 *   allocate, never touch the last error. An out-of-range index or a NULL handle gives NULL, 0 or false.
 * - Ownership: an object returned through a pointer-to-pointer (`appc_x **out`) is owned by the caller
 *   and released with the matching `appc_x_free()` (NULL is a no-op). A pointer returned directly is
 *   borrowed from its parent and valid until the parent is freed or modified by a builder call
 *   (any `_set_`, `_add_`, `_clear_` function on that parent). Bytes come back in an ::appc_buf
 *   released with appc_buf_dispose(), never free(). Every input is copied; the library keeps no
 *   caller pointer after a call returns.
 * - Options structs begin with `version`; initialise them with the `_INIT` macro or
 *   `appc_X_options_init()`. A NULL options pointer means defaults; a version of 0 or newer than this
 *   library knows is rejected with `APPC_EINVALID`.
 * - Thread-safety, stated on every declaration as one of:
 *   - "Thread-safety: any" — callable from any thread at any time;
 *   - "Thread-safety: read" — may run concurrently with other "read" calls on the same object, not with
 *     a "write" call on it;
 *   - "Thread-safety: write" — needs exclusive access to the object it modifies;
 *   - "Thread-safety: thread-local" — works on the calling thread's own state.
 *   Manifests are immutable unless a builder call modifies them: share parsed manifests freely.
 */
#ifndef APPC_APPC_H
#define APPC_APPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <appc/version.h>

#if defined(_WIN32) || defined(__CYGWIN__)
#define APPC_EXTERN
#elif defined(__GNUC__) && __GNUC__ >= 4
#define APPC_EXTERN __attribute__((visibility("default")))
#else
#define APPC_EXTERN
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------------ */
/** @name Status codes and the last error */
/**@{*/

/**
 * Status codes. Stable: the numbers never change; new codes are only appended.
 * They mirror the library's internal error categories one to one.
 */
typedef enum appc_status {
  APPC_OK = 0,               /**< success */
  APPC_ERROR = -1,           /**< generic failure (no better category) */
  APPC_EINVALID = -2,        /**< bad input: a manifest, an archive, an argument; see the diagnostics */
  APPC_ENOTFOUND = -3,       /**< a file, image, key, pod or list entry does not exist */
  APPC_EEXISTS = -4,         /**< the object already exists */
  APPC_EVERIFY = -5,         /**< a hash or signature did not verify */
  APPC_ENETWORK = -6,        /**< a network operation failed */
  APPC_ECANCELLED = -7,      /**< a callback asked to stop */
  APPC_ENOTSUPPORTED = -8,   /**< valid but not supported by this build or system */
  APPC_EOS = -9,             /**< a system call failed; appc_error::sys_errno says which error */
  APPC_ITEROVER = -10,       /**< an iteration is over (not an error for iterators) */
  APPC_EPERM = -11,          /**< permission denied */
  APPC_ECONFLICT = -12,      /**< busy, locked or in use */
  APPC_ELIMIT = -13,         /**< a configured bound was exceeded (size, depth, count) */
  APPC_EINTERNAL = -14,      /**< a bug in libappc */
  APPC_ENOMEM = -15          /**< out of memory */
} appc_status;

/**
 * A short lower-case name for a status code ("ok", "invalid", "not found", ...).
 * @param status an ::appc_status value; unknown values give "unknown status".
 * @return a static string (never NULL, never freed).
 * Thread-safety: any.
 */
APPC_EXTERN const char *appc_status_name(int status);

/**
 * The last error of the calling thread.
 * Every member is valid; strings are never NULL (empty when there is nothing to say).
 */
typedef struct appc_error {
  int code;              /**< an ::appc_status; APPC_OK when the last call succeeded */
  int sys_errno;         /**< the errno value for APPC_EOS/APPC_EPERM/... from a system call, else 0 */
  const char *message;   /**< one line: what failed, where and why; "" when code is APPC_OK */
  const char *where;     /**< the JSON path, file or archive entry the error is about, or "" */
} appc_error;

/**
 * The last error set on the calling thread.
 * @return never NULL. Borrowed: valid until the next status-returning appc_ call on this thread.
 * Thread-safety: thread-local.
 */
APPC_EXTERN const appc_error *appc_error_last(void);

/**
 * Reset the calling thread's last error to APPC_OK (and drop its diagnostics).
 * Thread-safety: thread-local.
 */
APPC_EXTERN void appc_error_clear(void);

/**
 * Number of validation findings attached to the last error (APPC_EINVALID errors of parse, validate,
 * serialize and the isolator setters). 0 for other errors.
 * Thread-safety: thread-local.
 */
APPC_EXTERN size_t appc_error_diagnostic_count(void);

/**
 * One validation finding of the last error.
 * @param index   0 .. appc_error_diagnostic_count()-1.
 * @param[out] path    the JSON path, e.g. "app.ports[1].port" ("" for the whole document); may be NULL.
 * @param[out] message what is wrong, e.g. "70000 is outside 1..65535"; may be NULL.
 * @param[out] rule    the item of the spec checklist the finding enforces, 0 when none; may be NULL.
 * @return true when `index` exists (outputs filled), false otherwise (outputs untouched).
 * Strings are borrowed: valid until the next status-returning appc_ call on this thread.
 * Thread-safety: thread-local.
 */
APPC_EXTERN bool appc_error_diagnostic(size_t index, const char **path, const char **message,
                                       int *rule);

/**@}*/
/* ------------------------------------------------------------------------------------------------ */
/** @name Versions */
/**@{*/

/**
 * The version of the library that is running ("0.1.0"); compare with APPC_VERSION from
 * <appc/version.h> for the version the caller was compiled against.
 * @return a static string. Thread-safety: any.
 */
APPC_EXTERN const char *appc_version(void);

/**
 * The running library's version as numbers. Each pointer may be NULL.
 * Thread-safety: any.
 */
APPC_EXTERN void appc_version_numbers(int *major, int *minor, int *patch);

/**
 * The appc specification version this library implements ("0.8.11").
 * @return a static string. Thread-safety: any.
 */
APPC_EXTERN const char *appc_spec_version(void);

/**@}*/
/* ------------------------------------------------------------------------------------------------ */
/** @name Owned byte buffers */
/**@{*/

/**
 * Bytes produced by the library. `ptr` is NUL-terminated (the NUL is not counted in `size`), so
 * text can be used as a C string. Owned by the caller; release with appc_buf_dispose().
 */
typedef struct appc_buf {
  char *ptr;     /**< the bytes, or NULL when empty/disposed */
  size_t size;   /**< number of bytes, without the terminating NUL */
} appc_buf;

/** An empty buffer. */
#define APPC_BUF_INIT { NULL, 0 }

/**
 * Release the bytes of `buf` and reset it to {NULL, 0}. NULL or an empty buffer is a no-op.
 * Thread-safety: write (on `buf`).
 */
APPC_EXTERN void appc_buf_dispose(appc_buf *buf);

/**@}*/
/* ------------------------------------------------------------------------------------------------ */
/** @name Options */
/**@{*/

/** Options for parsing manifests. */
typedef struct appc_parse_options {
  unsigned int version;    /**< APPC_PARSE_OPTIONS_VERSION */
  size_t max_bytes;        /**< larger documents are refused with APPC_ELIMIT; 0: default (16 MiB) */
  unsigned int max_depth;  /**< JSON nesting bound, APPC_ELIMIT beyond it; 0: default (64) */
} appc_parse_options;

#define APPC_PARSE_OPTIONS_VERSION 1
#define APPC_PARSE_OPTIONS_INIT { APPC_PARSE_OPTIONS_VERSION, 0, 0 }

/**
 * Fill `opts` with the defaults for structure version `version` (the defaults spelled out:
 * max_bytes 16 MiB, max_depth 64).
 * @return APPC_OK; APPC_EINVALID when `opts` is NULL or `version` is 0 or unknown.
 * Thread-safety: write (on `opts`).
 */
APPC_EXTERN int appc_parse_options_init(appc_parse_options *opts, unsigned int version);

/** Options for serializing manifests. */
typedef struct appc_serialize_options {
  unsigned int version;    /**< APPC_SERIALIZE_OPTIONS_VERSION */
  bool pretty;             /**< false: canonical compact form; true: 4-space indentation */
} appc_serialize_options;

#define APPC_SERIALIZE_OPTIONS_VERSION 1
#define APPC_SERIALIZE_OPTIONS_INIT { APPC_SERIALIZE_OPTIONS_VERSION, false }

/**
 * Fill `opts` with the defaults for structure version `version` (compact canonical form).
 * @return APPC_OK; APPC_EINVALID when `opts` is NULL or `version` is 0 or unknown.
 * Thread-safety: write (on `opts`).
 */
APPC_EXTERN int appc_serialize_options_init(appc_serialize_options *opts, unsigned int version);

/**@}*/
/* ------------------------------------------------------------------------------------------------ */
/** @name Opaque types */
/**@{*/

/**
 * An image manifest (ImageManifest). Owned handles come from appc_image_manifest_parse(),
 * appc_image_manifest_new() and appc_image_manifest_clone() and are released with
 * appc_image_manifest_free(). Thread-safety: immutable unless a builder call modifies it; concurrent
 * readers are safe, a builder call needs exclusive access.
 */
typedef struct appc_image_manifest appc_image_manifest;

/**
 * A pod manifest (PodManifest). Same ownership and thread-safety rules as ::appc_image_manifest.
 */
typedef struct appc_pod_manifest appc_pod_manifest;

/**
 * An app (the `app` object of an image manifest, or a pod app's override). A `const appc_app *`
 * returned by appc_image_manifest_app() or appc_pod_app_override() is borrowed from the manifest.
 * An `appc_app *` from appc_app_new(), appc_app_clone() or appc_app_parse() is owned by the caller
 * (appc_app_free()) and is what the appc_app_set_/add_ builders modify; manifests copy it in.
 * Thread-safety: as ::appc_image_manifest.
 */
typedef struct appc_app appc_app;

/**
 * A volume (pod `volumes[]` entry or a mount's `appVolume`). Borrowed when returned by a manifest
 * accessor; owned when made by appc_volume_new()/appc_volume_clone() (appc_volume_free()).
 * Thread-safety: as ::appc_image_manifest.
 */
typedef struct appc_volume appc_volume;

/**
 * A port (app `ports[]` entry or an exposed port's `podPort`). Always borrowed from its manifest.
 * Thread-safety: read.
 */
typedef struct appc_port appc_port;

/**
 * An isolator {name, value} of an app or a pod. Always borrowed from its manifest or app.
 * Thread-safety: read.
 */
typedef struct appc_isolator appc_isolator;

/**@}*/
/* ------------------------------------------------------------------------------------------------ */
/** @name Manifest kind */
/**@{*/

typedef enum appc_manifest_kind {
  APPC_KIND_UNKNOWN = 0,   /**< not JSON, no acKind, or an acKind other than the two below */
  APPC_KIND_IMAGE = 1,     /**< "acKind": "ImageManifest" */
  APPC_KIND_POD = 2        /**< "acKind": "PodManifest" */
} appc_manifest_kind;

/**
 * Which manifest `json` claims to be, from its top-level "acKind" alone (nothing is validated).
 * @param json the document (need not be NUL-terminated); NULL gives APPC_KIND_UNKNOWN.
 * @param len  its length in bytes.
 * Thread-safety: any.
 */
APPC_EXTERN appc_manifest_kind appc_detect_kind(const char *json, size_t len);

/**@}*/
/* ------------------------------------------------------------------------------------------------ */
/** @name Image manifests: parse, validate, serialize, free */
/**@{*/

/**
 * Parse and validate an image manifest.
 * @param[out] out  the manifest, owned by the caller (appc_image_manifest_free()); NULL on failure.
 * @param json      the document (need not be NUL-terminated).
 * @param len       its length in bytes.
 * @param opts      parse options or NULL for defaults.
 * @return APPC_OK; APPC_EINVALID with every finding as diagnostics (JSON syntax, types, spec rules);
 *         APPC_ELIMIT when the document exceeds max_bytes or max_depth.
 * Thread-safety: any.
 */
APPC_EXTERN int appc_image_manifest_parse(appc_image_manifest **out, const char *json, size_t len,
                                          const appc_parse_options *opts);

/**
 * Start building an image manifest: acKind "ImageManifest", acVersion = appc_spec_version(),
 * the given name, nothing else. Nothing is validated until appc_image_manifest_validate() or
 * appc_image_manifest_serialize().
 * @param[out] out  owned by the caller (appc_image_manifest_free()).
 * @param name      the image name (copied); must not be NULL.
 * Thread-safety: any.
 */
APPC_EXTERN int appc_image_manifest_new(appc_image_manifest **out, const char *name);

/**
 * Deep copy of a manifest (e.g. to modify a parsed one without touching the original).
 * @param[out] out  owned by the caller. Thread-safety: read (on `m`).
 */
APPC_EXTERN int appc_image_manifest_clone(appc_image_manifest **out, const appc_image_manifest *m);

/**
 * Check a manifest against every rule parse applies.
 * @return APPC_OK when valid; APPC_EINVALID with every finding as diagnostics.
 * Thread-safety: read.
 */
APPC_EXTERN int appc_image_manifest_validate(const appc_image_manifest *m);

/**
 * Validate, then write the canonical JSON form (fixed key order, optional fields omitted when
 * absent; with pretty, 4-space indentation).
 * @param opts  serialize options or NULL for defaults.
 * @param[out] out  receives the text, owned by the caller (appc_buf_dispose()); its previous content
 *                  is not released. Left {NULL, 0} on failure.
 * @return APPC_OK; APPC_EINVALID (with diagnostics) when the manifest is not valid.
 * Thread-safety: read.
 */
APPC_EXTERN int appc_image_manifest_serialize(const appc_image_manifest *m,
                                              const appc_serialize_options *opts, appc_buf *out);

/**
 * Release a manifest and everything borrowed from it. NULL is a no-op.
 * Thread-safety: write.
 */
APPC_EXTERN void appc_image_manifest_free(appc_image_manifest *m);

/**@}*/
/* ------------------------------------------------------------------------------------------------ */
/** @name Image manifests: read accessors
 * Strings are borrowed from `m`: valid until `m` is freed or modified. NULL `m` or an index out of
 * range gives NULL / 0 / false. Thread-safety: read (all of them).
 */
/**@{*/

/** "acKind" ("ImageManifest"). Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_image_manifest_ac_kind(const appc_image_manifest *m);
/** "acVersion". Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_image_manifest_ac_version(const appc_image_manifest *m);
/** "name". Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_image_manifest_name(const appc_image_manifest *m);

/** Number of "labels". Thread-safety: read. */
APPC_EXTERN size_t appc_image_manifest_label_count(const appc_image_manifest *m);
/** Name of label `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_image_manifest_label_name(const appc_image_manifest *m, size_t i);
/** Value of label `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_image_manifest_label_value(const appc_image_manifest *m, size_t i);
/** Value of the (first) label called `name`, NULL when absent. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_image_manifest_label(const appc_image_manifest *m, const char *name);

/** Number of "annotations". Thread-safety: read. */
APPC_EXTERN size_t appc_image_manifest_annotation_count(const appc_image_manifest *m);
/** Name of annotation `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_image_manifest_annotation_name(const appc_image_manifest *m, size_t i);
/** Value of annotation `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_image_manifest_annotation_value(const appc_image_manifest *m, size_t i);
/** Value of the (first) annotation called `name`, NULL when absent. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_image_manifest_annotation(const appc_image_manifest *m, const char *name);

/** Number of "dependencies" (order is significant). Thread-safety: read. */
APPC_EXTERN size_t appc_image_manifest_dependency_count(const appc_image_manifest *m);
/** "imageName" of dependency `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_image_manifest_dependency_image_name(const appc_image_manifest *m, size_t i);
/** "imageID" of dependency `i`, NULL when absent. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_image_manifest_dependency_image_id(const appc_image_manifest *m, size_t i);
/** Number of labels of dependency `i`. Thread-safety: read. */
APPC_EXTERN size_t appc_image_manifest_dependency_label_count(const appc_image_manifest *m, size_t i);
/** Name of label `j` of dependency `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_image_manifest_dependency_label_name(const appc_image_manifest *m, size_t i,
                                                                  size_t j);
/** Value of label `j` of dependency `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_image_manifest_dependency_label_value(const appc_image_manifest *m, size_t i,
                                                                   size_t j);
/** Whether dependency `i` has a "size". Thread-safety: read. */
APPC_EXTERN bool appc_image_manifest_dependency_has_size(const appc_image_manifest *m, size_t i);
/** "size" of dependency `i` in bytes, 0 when absent. Thread-safety: read. */
APPC_EXTERN uint64_t appc_image_manifest_dependency_size(const appc_image_manifest *m, size_t i);

/** Number of "pathWhitelist" entries (0: absent, everything kept). Thread-safety: read. */
APPC_EXTERN size_t appc_image_manifest_path_whitelist_count(const appc_image_manifest *m);
/** Path whitelist entry `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_image_manifest_path_whitelist(const appc_image_manifest *m, size_t i);

/**
 * The "app" object, NULL when the image has none. Borrowed from `m` (read with the appc_app_
 * accessors; to change it, appc_app_clone() it and appc_image_manifest_set_app() the copy).
 * Thread-safety: read.
 */
APPC_EXTERN const appc_app *appc_image_manifest_app(const appc_image_manifest *m);

/**@}*/
/* ------------------------------------------------------------------------------------------------ */
/** @name Image manifests: builders
 * Each copies its inputs and rejects NULL for a required argument with APPC_EINVALID. Values are not
 * checked here (except isolator values, which must decode): appc_image_manifest_validate() and
 * appc_image_manifest_serialize() report every finding. Any builder call invalidates pointers
 * borrowed from `m`. Thread-safety: write (all of them).
 */
/**@{*/

/** Set "name". Thread-safety: write. */
APPC_EXTERN int appc_image_manifest_set_name(appc_image_manifest *m, const char *name);
/** Set "acVersion". Thread-safety: write. */
APPC_EXTERN int appc_image_manifest_set_ac_version(appc_image_manifest *m, const char *version);
/** Append a label (duplicates are reported by validation). Thread-safety: write. */
APPC_EXTERN int appc_image_manifest_add_label(appc_image_manifest *m, const char *name, const char *value);
/** Remove every label. Thread-safety: write. */
APPC_EXTERN int appc_image_manifest_clear_labels(appc_image_manifest *m);
/** Append an annotation (duplicates are reported by validation). Thread-safety: write. */
APPC_EXTERN int appc_image_manifest_add_annotation(appc_image_manifest *m, const char *name,
                                                   const char *value);
/** Remove every annotation. Thread-safety: write. */
APPC_EXTERN int appc_image_manifest_clear_annotations(appc_image_manifest *m);

/**
 * Set the "app" object to a copy of `app`, or remove it when `app` is NULL.
 * Thread-safety: write (on `m`), read (on `app`).
 */
APPC_EXTERN int appc_image_manifest_set_app(appc_image_manifest *m, const appc_app *app);

/**
 * Append a dependency.
 * @param image_name  "imageName"; required.
 * @param image_id    "imageID" or NULL for none.
 * @param[out] index  the new dependency's index; may be NULL.
 * Thread-safety: write.
 */
APPC_EXTERN int appc_image_manifest_add_dependency(appc_image_manifest *m, const char *image_name,
                                                   const char *image_id, size_t *index);
/** Append a label to dependency `i` (APPC_ENOTFOUND when `i` is out of range). Thread-safety: write. */
APPC_EXTERN int appc_image_manifest_dependency_add_label(appc_image_manifest *m, size_t i,
                                                         const char *name, const char *value);
/** Set the "size" of dependency `i` (APPC_ENOTFOUND when out of range). Thread-safety: write. */
APPC_EXTERN int appc_image_manifest_dependency_set_size(appc_image_manifest *m, size_t i, uint64_t size);
/** Remove every dependency. Thread-safety: write. */
APPC_EXTERN int appc_image_manifest_clear_dependencies(appc_image_manifest *m);

/** Append a "pathWhitelist" entry. Thread-safety: write. */
APPC_EXTERN int appc_image_manifest_add_path_whitelist(appc_image_manifest *m, const char *path);
/** Remove every "pathWhitelist" entry. Thread-safety: write. */
APPC_EXTERN int appc_image_manifest_clear_path_whitelist(appc_image_manifest *m);

/**@}*/
/* ------------------------------------------------------------------------------------------------ */
/** @name Apps: read accessors (image app, pod app override, or an owned builder app)
 * Strings are borrowed from the app (and so from its manifest). NULL `app` or an index out of range
 * gives NULL / 0 / false. Thread-safety: read (all of them).
 */
/**@{*/

/** Number of "exec" arguments (0: absent). Thread-safety: read. */
APPC_EXTERN size_t appc_app_exec_count(const appc_app *app);
/** "exec" argument `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_app_exec(const appc_app *app, size_t i);
/** "user". Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_app_user(const appc_app *app);
/** "group". Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_app_group(const appc_app *app);
/** Number of "supplementaryGIDs". Thread-safety: read. */
APPC_EXTERN size_t appc_app_supplementary_gid_count(const appc_app *app);
/** "supplementaryGIDs" entry `i` (0 when out of range). Thread-safety: read. */
APPC_EXTERN int64_t appc_app_supplementary_gid(const appc_app *app, size_t i);
/** "workingDirectory", NULL when absent (the executor uses "/"). Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_app_working_directory(const appc_app *app);

/** Number of "environment" entries. Thread-safety: read. */
APPC_EXTERN size_t appc_app_env_count(const appc_app *app);
/** Name of environment entry `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_app_env_name(const appc_app *app, size_t i);
/** Value of environment entry `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_app_env_value(const appc_app *app, size_t i);
/** Value of the (first) environment entry called `name`, NULL when absent. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_app_env(const appc_app *app, const char *name);

/** Number of "eventHandlers". Thread-safety: read. */
APPC_EXTERN size_t appc_app_event_handler_count(const appc_app *app);
/** Name ("pre-start" / "post-stop") of event handler `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_app_event_handler_name(const appc_app *app, size_t i);
/** Number of "exec" arguments of event handler `i`. Thread-safety: read. */
APPC_EXTERN size_t appc_app_event_handler_exec_count(const appc_app *app, size_t i);
/** "exec" argument `j` of event handler `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_app_event_handler_exec(const appc_app *app, size_t i, size_t j);

/** Number of "mountPoints". Thread-safety: read. */
APPC_EXTERN size_t appc_app_mount_point_count(const appc_app *app);
/** "name" of mount point `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_app_mount_point_name(const appc_app *app, size_t i);
/** "path" of mount point `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_app_mount_point_path(const appc_app *app, size_t i);
/** "readOnly" of mount point `i` (default false). Thread-safety: read. */
APPC_EXTERN bool appc_app_mount_point_read_only(const appc_app *app, size_t i);

/** Number of "ports". Thread-safety: read. */
APPC_EXTERN size_t appc_app_port_count(const appc_app *app);
/** Port `i`, read with the appc_port_ accessors. Borrowed. Thread-safety: read. */
APPC_EXTERN const appc_port *appc_app_port(const appc_app *app, size_t i);

/** Number of "isolators". Thread-safety: read. */
APPC_EXTERN size_t appc_app_isolator_count(const appc_app *app);
/** Isolator `i`, read with the appc_isolator_ accessors. Borrowed. Thread-safety: read. */
APPC_EXTERN const appc_isolator *appc_app_isolator(const appc_app *app, size_t i);
/** The first isolator called `name`, NULL when none. Borrowed. Thread-safety: read. */
APPC_EXTERN const appc_isolator *appc_app_find_isolator(const appc_app *app, const char *name);

/** Number of "userAnnotations" (document order kept). Thread-safety: read. */
APPC_EXTERN size_t appc_app_user_annotation_count(const appc_app *app);
/** Key of user annotation `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_app_user_annotation_name(const appc_app *app, size_t i);
/** Value of user annotation `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_app_user_annotation_value(const appc_app *app, size_t i);
/** Value of the user annotation `name`, NULL when absent. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_app_user_annotation(const appc_app *app, const char *name);

/** Number of "userLabels" (document order kept). Thread-safety: read. */
APPC_EXTERN size_t appc_app_user_label_count(const appc_app *app);
/** Key of user label `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_app_user_label_name(const appc_app *app, size_t i);
/** Value of user label `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_app_user_label_value(const appc_app *app, size_t i);
/** Value of the user label `name`, NULL when absent. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_app_user_label(const appc_app *app, const char *name);

/**@}*/
/* ------------------------------------------------------------------------------------------------ */
/** @name Apps: owned builders
 * appc_app_new/clone/parse return an app owned by the caller; the setters below modify only such an
 * owned app (never pass one borrowed from a manifest); a manifest copies it in
 * (appc_image_manifest_set_app(), appc_pod_app_set_override()). Setters copy their inputs and reject
 * NULL for required arguments; values are checked when the manifest holding a copy is validated.
 * Any setter invalidates strings borrowed from that app. Thread-safety: write (on `app`).
 */
/**@{*/

/**
 * A new empty app (no exec, empty user and group: set them before validating).
 * @param[out] out  owned by the caller (appc_app_free()). Thread-safety: any.
 */
APPC_EXTERN int appc_app_new(appc_app **out);

/**
 * Deep copy of `src` (which may be borrowed from a manifest).
 * @param[out] out  owned by the caller (appc_app_free()). Thread-safety: read (on `src`).
 */
APPC_EXTERN int appc_app_clone(appc_app **out, const appc_app *src);

/**
 * Parse and validate an app object (the JSON that appears as an image manifest's "app").
 * @param[out] out  owned by the caller (appc_app_free()); NULL on failure.
 * @param json, len the JSON object text; @param opts parse options or NULL.
 * @return APPC_OK; APPC_EINVALID with diagnostics whose paths start with "app".
 * Thread-safety: any.
 */
APPC_EXTERN int appc_app_parse(appc_app **out, const char *json, size_t len,
                               const appc_parse_options *opts);

/** Release an owned app. NULL is a no-op. Never pass a borrowed app. Thread-safety: write. */
APPC_EXTERN void appc_app_free(appc_app *app);

/**
 * Set "exec" to a copy of `argv[0..argc-1]` (argc 0 removes it; argv may then be NULL).
 * Every argv[i] must be non-NULL. Thread-safety: write.
 */
APPC_EXTERN int appc_app_set_exec(appc_app *app, const char *const *argv, size_t argc);
/** Set "user". Thread-safety: write. */
APPC_EXTERN int appc_app_set_user(appc_app *app, const char *user);
/** Set "group". Thread-safety: write. */
APPC_EXTERN int appc_app_set_group(appc_app *app, const char *group);
/** Set "supplementaryGIDs" to a copy of `gids[0..n-1]` (n 0 removes them). Thread-safety: write. */
APPC_EXTERN int appc_app_set_supplementary_gids(appc_app *app, const int64_t *gids, size_t n);
/** Set "workingDirectory"; "" removes it. Thread-safety: write. */
APPC_EXTERN int appc_app_set_working_directory(appc_app *app, const char *dir);
/** Append an "environment" entry. Thread-safety: write. */
APPC_EXTERN int appc_app_add_env(appc_app *app, const char *name, const char *value);
/** Remove every "environment" entry. Thread-safety: write. */
APPC_EXTERN int appc_app_clear_env(appc_app *app);
/**
 * Append an event handler {name, exec}.
 * @param name "pre-start" or "post-stop" (checked by validation); @param argv, argc its exec (argc 0:
 * no exec). Thread-safety: write.
 */
APPC_EXTERN int appc_app_add_event_handler(appc_app *app, const char *name, const char *const *argv,
                                           size_t argc);
/** Remove every event handler. Thread-safety: write. */
APPC_EXTERN int appc_app_clear_event_handlers(appc_app *app);
/** Append a mount point {name, path, readOnly}. Thread-safety: write. */
APPC_EXTERN int appc_app_add_mount_point(appc_app *app, const char *name, const char *path,
                                         bool read_only);
/** Remove every mount point. Thread-safety: write. */
APPC_EXTERN int appc_app_clear_mount_points(appc_app *app);
/**
 * Append a port {name, protocol, port, count, socketActivated}; `count` 0 means the default 1.
 * Thread-safety: write.
 */
APPC_EXTERN int appc_app_add_port(appc_app *app, const char *name, const char *protocol, int64_t port,
                                  int64_t count, bool socket_activated);
/** Remove every port. Thread-safety: write. */
APPC_EXTERN int appc_app_clear_ports(appc_app *app);
/**
 * Append an isolator. The value is JSON text decoded right away by the isolator's rules (so its
 * typed accessors work): a value that does not decode gives APPC_EINVALID with diagnostics (paths
 * start with "value") and nothing is added. Rules over the whole list (one of a kind, unknown names
 * inside an app) are reported by validation.
 * @param name   the isolator name, e.g. "resource/memory".
 * @param value_json, len  the value, e.g. {"limit": "1G"}.
 * Thread-safety: write.
 */
APPC_EXTERN int appc_app_add_isolator(appc_app *app, const char *name, const char *value_json, size_t len);
/** Remove every isolator. Thread-safety: write. */
APPC_EXTERN int appc_app_clear_isolators(appc_app *app);
/** Append a "userAnnotations" entry. Thread-safety: write. */
APPC_EXTERN int appc_app_add_user_annotation(appc_app *app, const char *name, const char *value);
/** Remove every "userAnnotations" entry. Thread-safety: write. */
APPC_EXTERN int appc_app_clear_user_annotations(appc_app *app);
/** Append a "userLabels" entry. Thread-safety: write. */
APPC_EXTERN int appc_app_add_user_label(appc_app *app, const char *name, const char *value);
/** Remove every "userLabels" entry. Thread-safety: write. */
APPC_EXTERN int appc_app_clear_user_labels(appc_app *app);

/**@}*/
/* ------------------------------------------------------------------------------------------------ */
/** @name Ports (borrowed) */
/**@{*/

/** "name". Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_port_name(const appc_port *port);
/** "protocol" ("tcp", "udp", ...). Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_port_protocol(const appc_port *port);
/** "port" (1..65535 when valid). Thread-safety: read. */
APPC_EXTERN int64_t appc_port_number(const appc_port *port);
/** "count" (default 1): the range is port .. port+count-1. Thread-safety: read. */
APPC_EXTERN int64_t appc_port_count(const appc_port *port);
/** "socketActivated" (default false). Thread-safety: read. */
APPC_EXTERN bool appc_port_socket_activated(const appc_port *port);

/**@}*/
/* ------------------------------------------------------------------------------------------------ */
/** @name Isolators (borrowed) */
/**@{*/

/** Isolators libappc knows (checklist section 2); the kind follows from the name. */
typedef enum appc_isolator_kind {
  APPC_ISOLATOR_UNKNOWN = 0,                     /**< any other name: value kept as JSON */
  APPC_ISOLATOR_RESOURCE_CPU = 1,                /**< resource/cpu */
  APPC_ISOLATOR_RESOURCE_MEMORY = 2,             /**< resource/memory */
  APPC_ISOLATOR_RESOURCE_BLOCK_BANDWIDTH = 3,    /**< resource/block-bandwidth */
  APPC_ISOLATOR_RESOURCE_BLOCK_IOPS = 4,         /**< resource/block-iops */
  APPC_ISOLATOR_RESOURCE_NETWORK_BANDWIDTH = 5,  /**< resource/network-bandwidth */
  APPC_ISOLATOR_CAPABILITIES_RETAIN_SET = 6,     /**< os/linux/capabilities-retain-set */
  APPC_ISOLATOR_CAPABILITIES_REMOVE_SET = 7,     /**< os/linux/capabilities-remove-set */
  APPC_ISOLATOR_NO_NEW_PRIVILEGES = 8,           /**< os/linux/no-new-privileges */
  APPC_ISOLATOR_SECCOMP_REMOVE_SET = 9,          /**< os/linux/seccomp-remove-set */
  APPC_ISOLATOR_SECCOMP_RETAIN_SET = 10,         /**< os/linux/seccomp-retain-set */
  APPC_ISOLATOR_SELINUX_CONTEXT = 11,            /**< os/linux/selinux-context */
  APPC_ISOLATOR_SYSCTL = 12,                     /**< os/unix/sysctl */
  APPC_ISOLATOR_CPU_SHARES = 13,                 /**< os/linux/cpu-shares */
  APPC_ISOLATOR_OOM_SCORE_ADJ = 14               /**< os/linux/oom-score-adj */
} appc_isolator_kind;

/** "name". Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_isolator_name(const appc_isolator *iso);
/** The kind, from the name. Thread-safety: read. */
APPC_EXTERN appc_isolator_kind appc_isolator_kind_of(const appc_isolator *iso);
/**
 * The canonical JSON text of "value".
 * @param[out] out  owned by the caller (appc_buf_dispose()); previous content not released.
 * Thread-safety: read.
 */
APPC_EXTERN int appc_isolator_value_json(const appc_isolator *iso, appc_buf *out);

/**
 * A resource quantity: `text` as written ("500m", "1G", ...; borrowed), `milli` in thousandths of
 * the base unit (cores, bytes, bytes/s, IO/s), `value` in base units rounded up.
 */
typedef struct appc_quantity {
  const char *text;
  int64_t milli;
  int64_t value;
} appc_quantity;

/**
 * "request" of resource/cpu or resource/memory.
 * @return true and fills `out` when present; false when absent or another kind. Thread-safety: read.
 */
APPC_EXTERN bool appc_isolator_request(const appc_isolator *iso, appc_quantity *out);
/**
 * "limit" of the resource/ isolators.
 * @return true and fills `out` when present; false when absent or another kind. Thread-safety: read.
 */
APPC_EXTERN bool appc_isolator_limit(const appc_isolator *iso, appc_quantity *out);
/** "default" of the bandwidth/iops isolators; false for other kinds. Thread-safety: read. */
APPC_EXTERN bool appc_isolator_is_default(const appc_isolator *iso);
/** Number of entries of "set" (capabilities and seccomp sets); 0 for other kinds. Thread-safety: read. */
APPC_EXTERN size_t appc_isolator_set_count(const appc_isolator *iso);
/** "set" entry `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_isolator_set_item(const appc_isolator *iso, size_t i);
/** "errno" of a seccomp set, NULL when absent (kill with SIGSYS) or another kind. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_isolator_errno(const appc_isolator *iso);
/** The boolean value of os/linux/no-new-privileges; false for other kinds. Thread-safety: read. */
APPC_EXTERN bool appc_isolator_bool(const appc_isolator *iso);
/**
 * The integer value of os/linux/cpu-shares or os/linux/oom-score-adj.
 * @return true and fills `out` for those kinds, false otherwise. Thread-safety: read.
 */
APPC_EXTERN bool appc_isolator_int(const appc_isolator *iso, int64_t *out);
/**
 * The fields of os/linux/selinux-context (borrowed; each pointer may be NULL).
 * @return true for that kind, false otherwise. Thread-safety: read.
 */
APPC_EXTERN bool appc_isolator_selinux_context(const appc_isolator *iso, const char **user,
                                               const char **role, const char **type,
                                               const char **level);
/** Number of os/unix/sysctl entries (document order); 0 for other kinds. Thread-safety: read. */
APPC_EXTERN size_t appc_isolator_sysctl_count(const appc_isolator *iso);
/** Key of sysctl entry `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_isolator_sysctl_name(const appc_isolator *iso, size_t i);
/** Value of sysctl entry `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_isolator_sysctl_value(const appc_isolator *iso, size_t i);

/**@}*/
/* ------------------------------------------------------------------------------------------------ */
/** @name Volumes: read accessors and owned builders */
/**@{*/

/** "name". Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_volume_name(const appc_volume *v);
/** "kind" ("host" or "empty"). Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_volume_kind(const appc_volume *v);
/** "source" (host volumes), NULL when absent. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_volume_source(const appc_volume *v);
/** Whether "readOnly" is present. Thread-safety: read. */
APPC_EXTERN bool appc_volume_has_read_only(const appc_volume *v);
/** "readOnly" (false when absent). Thread-safety: read. */
APPC_EXTERN bool appc_volume_read_only(const appc_volume *v);
/** Whether "recursive" is present (host volumes). Thread-safety: read. */
APPC_EXTERN bool appc_volume_has_recursive(const appc_volume *v);
/** "recursive" (false when absent). Thread-safety: read. */
APPC_EXTERN bool appc_volume_recursive(const appc_volume *v);
/** "mode" (empty volumes, e.g. "0755"), NULL when absent. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_volume_mode(const appc_volume *v);
/** Whether "uid" is present (empty volumes). Thread-safety: read. */
APPC_EXTERN bool appc_volume_has_uid(const appc_volume *v);
/** "uid" (0 when absent). Thread-safety: read. */
APPC_EXTERN int64_t appc_volume_uid(const appc_volume *v);
/** Whether "gid" is present (empty volumes). Thread-safety: read. */
APPC_EXTERN bool appc_volume_has_gid(const appc_volume *v);
/** "gid" (0 when absent). Thread-safety: read. */
APPC_EXTERN int64_t appc_volume_gid(const appc_volume *v);

/**
 * A new volume {name, kind}; the optional fields start absent.
 * @param[out] out  owned by the caller (appc_volume_free()). Thread-safety: any.
 */
APPC_EXTERN int appc_volume_new(appc_volume **out, const char *name, const char *kind);
/** Deep copy of `src` (may be borrowed). @param[out] out owned. Thread-safety: read (on `src`). */
APPC_EXTERN int appc_volume_clone(appc_volume **out, const appc_volume *src);
/** Release an owned volume. NULL is a no-op. Never pass a borrowed volume. Thread-safety: write. */
APPC_EXTERN void appc_volume_free(appc_volume *v);
/** Set "source"; "" removes it. Owned volumes only. Thread-safety: write. */
APPC_EXTERN int appc_volume_set_source(appc_volume *v, const char *source);
/** Set "readOnly". Owned volumes only. Thread-safety: write. */
APPC_EXTERN int appc_volume_set_read_only(appc_volume *v, bool read_only);
/** Set "recursive". Owned volumes only. Thread-safety: write. */
APPC_EXTERN int appc_volume_set_recursive(appc_volume *v, bool recursive);
/** Set "mode". Owned volumes only. Thread-safety: write. */
APPC_EXTERN int appc_volume_set_mode(appc_volume *v, const char *mode);
/** Set "uid". Owned volumes only. Thread-safety: write. */
APPC_EXTERN int appc_volume_set_uid(appc_volume *v, int64_t uid);
/** Set "gid". Owned volumes only. Thread-safety: write. */
APPC_EXTERN int appc_volume_set_gid(appc_volume *v, int64_t gid);

/**@}*/
/* ------------------------------------------------------------------------------------------------ */
/** @name Pod manifests: parse, validate, serialize, free */
/**@{*/

/**
 * Parse and validate a pod manifest.
 * @param[out] out  owned by the caller (appc_pod_manifest_free()); NULL on failure.
 * @return APPC_OK; APPC_EINVALID with every finding as diagnostics; APPC_ELIMIT.
 * Thread-safety: any.
 */
APPC_EXTERN int appc_pod_manifest_parse(appc_pod_manifest **out, const char *json, size_t len,
                                        const appc_parse_options *opts);

/**
 * Start building a pod manifest: acKind "PodManifest", acVersion = appc_spec_version(), no apps.
 * @param[out] out  owned by the caller (appc_pod_manifest_free()). Thread-safety: any.
 */
APPC_EXTERN int appc_pod_manifest_new(appc_pod_manifest **out);

/** Deep copy. @param[out] out owned by the caller. Thread-safety: read (on `pod`). */
APPC_EXTERN int appc_pod_manifest_clone(appc_pod_manifest **out, const appc_pod_manifest *pod);

/**
 * Check a pod manifest against every rule parse applies.
 * @return APPC_OK; APPC_EINVALID with every finding as diagnostics. Thread-safety: read.
 */
APPC_EXTERN int appc_pod_manifest_validate(const appc_pod_manifest *pod);

/**
 * Validate, then write the canonical JSON form.
 * @param opts  serialize options or NULL. @param[out] out owned by the caller (appc_buf_dispose()).
 * @return APPC_OK; APPC_EINVALID with diagnostics. Thread-safety: read.
 */
APPC_EXTERN int appc_pod_manifest_serialize(const appc_pod_manifest *pod,
                                            const appc_serialize_options *opts, appc_buf *out);

/** Release a pod manifest. NULL is a no-op. Thread-safety: write. */
APPC_EXTERN void appc_pod_manifest_free(appc_pod_manifest *pod);

/**@}*/
/* ------------------------------------------------------------------------------------------------ */
/** @name Pod manifests: read accessors
 * Borrowed from `pod`; NULL `pod` or an index out of range gives NULL / 0 / false.
 * Thread-safety: read (all of them).
 */
/**@{*/

/** "acKind" ("PodManifest"). Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_manifest_ac_kind(const appc_pod_manifest *pod);
/** "acVersion". Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_manifest_ac_version(const appc_pod_manifest *pod);

/** Number of "apps". Thread-safety: read. */
APPC_EXTERN size_t appc_pod_manifest_app_count(const appc_pod_manifest *pod);
/**
 * Index of the app called `name`.
 * @param[out] index  set when found; may be NULL. @return true when found. Thread-safety: read.
 */
APPC_EXTERN bool appc_pod_manifest_find_app(const appc_pod_manifest *pod, const char *name, size_t *index);

/** "name" of app `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_app_name(const appc_pod_manifest *pod, size_t i);
/** "image.name" of app `i`, NULL when absent. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_app_image_name(const appc_pod_manifest *pod, size_t i);
/** "image.id" of app `i`, NULL when absent (a pod template). Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_app_image_id(const appc_pod_manifest *pod, size_t i);
/** Number of "image.labels" of app `i`. Thread-safety: read. */
APPC_EXTERN size_t appc_pod_app_image_label_count(const appc_pod_manifest *pod, size_t i);
/** Name of image label `j` of app `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_app_image_label_name(const appc_pod_manifest *pod, size_t i, size_t j);
/** Value of image label `j` of app `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_app_image_label_value(const appc_pod_manifest *pod, size_t i, size_t j);
/** Value of the image label `name` of app `i`, NULL when absent. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_app_image_label(const appc_pod_manifest *pod, size_t i, const char *name);
/**
 * The "app" override of app `i` (replaces the image's app wholesale), NULL when absent.
 * Borrowed. Thread-safety: read.
 */
APPC_EXTERN const appc_app *appc_pod_app_override(const appc_pod_manifest *pod, size_t i);
/** "readOnlyRootFS" of app `i` (default false). Thread-safety: read. */
APPC_EXTERN bool appc_pod_app_read_only_root_fs(const appc_pod_manifest *pod, size_t i);
/** Number of "mounts" of app `i`. Thread-safety: read. */
APPC_EXTERN size_t appc_pod_app_mount_count(const appc_pod_manifest *pod, size_t i);
/** "volume" of mount `j` of app `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_app_mount_volume(const appc_pod_manifest *pod, size_t i, size_t j);
/** "path" of mount `j` of app `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_app_mount_path(const appc_pod_manifest *pod, size_t i, size_t j);
/** "appVolume" of mount `j` of app `i`, NULL when absent. Borrowed. Thread-safety: read. */
APPC_EXTERN const appc_volume *appc_pod_app_mount_app_volume(const appc_pod_manifest *pod, size_t i,
                                                             size_t j);
/** Number of "annotations" of app `i`. Thread-safety: read. */
APPC_EXTERN size_t appc_pod_app_annotation_count(const appc_pod_manifest *pod, size_t i);
/** Name of annotation `j` of app `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_app_annotation_name(const appc_pod_manifest *pod, size_t i, size_t j);
/** Value of annotation `j` of app `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_app_annotation_value(const appc_pod_manifest *pod, size_t i, size_t j);
/** Value of the annotation `name` of app `i`, NULL when absent. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_app_annotation(const appc_pod_manifest *pod, size_t i, const char *name);

/** Number of "volumes". Thread-safety: read. */
APPC_EXTERN size_t appc_pod_manifest_volume_count(const appc_pod_manifest *pod);
/** Volume `i`, read with the appc_volume_ accessors. Borrowed. Thread-safety: read. */
APPC_EXTERN const appc_volume *appc_pod_manifest_volume(const appc_pod_manifest *pod, size_t i);

/** Number of exposed "ports". Thread-safety: read. */
APPC_EXTERN size_t appc_pod_manifest_port_count(const appc_pod_manifest *pod);
/** "name" of exposed port `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_manifest_port_name(const appc_pod_manifest *pod, size_t i);
/** "hostPort" of exposed port `i`. Thread-safety: read. */
APPC_EXTERN int64_t appc_pod_manifest_port_host_port(const appc_pod_manifest *pod, size_t i);
/** "hostIP" of exposed port `i`, NULL when absent (all addresses). Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_manifest_port_host_ip(const appc_pod_manifest *pod, size_t i);
/** "podPort" of exposed port `i`, NULL when absent. Borrowed. Thread-safety: read. */
APPC_EXTERN const appc_port *appc_pod_manifest_port_pod_port(const appc_pod_manifest *pod, size_t i);

/** Number of pod-level "isolators". Thread-safety: read. */
APPC_EXTERN size_t appc_pod_manifest_isolator_count(const appc_pod_manifest *pod);
/** Pod isolator `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const appc_isolator *appc_pod_manifest_isolator(const appc_pod_manifest *pod, size_t i);

/** Number of pod "annotations". Thread-safety: read. */
APPC_EXTERN size_t appc_pod_manifest_annotation_count(const appc_pod_manifest *pod);
/** Name of pod annotation `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_manifest_annotation_name(const appc_pod_manifest *pod, size_t i);
/** Value of pod annotation `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_manifest_annotation_value(const appc_pod_manifest *pod, size_t i);
/** Value of the pod annotation `name`, NULL when absent. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_manifest_annotation(const appc_pod_manifest *pod, const char *name);

/** Number of pod "userAnnotations". Thread-safety: read. */
APPC_EXTERN size_t appc_pod_manifest_user_annotation_count(const appc_pod_manifest *pod);
/** Key of pod user annotation `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_manifest_user_annotation_name(const appc_pod_manifest *pod, size_t i);
/** Value of pod user annotation `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_manifest_user_annotation_value(const appc_pod_manifest *pod, size_t i);
/** Value of the pod user annotation `name`, NULL when absent. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_manifest_user_annotation(const appc_pod_manifest *pod, const char *name);

/** Number of pod "userLabels". Thread-safety: read. */
APPC_EXTERN size_t appc_pod_manifest_user_label_count(const appc_pod_manifest *pod);
/** Key of pod user label `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_manifest_user_label_name(const appc_pod_manifest *pod, size_t i);
/** Value of pod user label `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_manifest_user_label_value(const appc_pod_manifest *pod, size_t i);
/** Value of the pod user label `name`, NULL when absent. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_manifest_user_label(const appc_pod_manifest *pod, const char *name);

/**@}*/
/* ------------------------------------------------------------------------------------------------ */
/** @name Pod manifests: builders
 * Copy their inputs, reject NULL for required arguments (APPC_EINVALID) and an app/port index out of
 * range (APPC_ENOTFOUND). Values are checked by appc_pod_manifest_validate()/_serialize(), except
 * isolator values, which must decode. Any builder call invalidates pointers borrowed from `pod`.
 * Thread-safety: write (all of them).
 */
/**@{*/

/** Set "acVersion". Thread-safety: write. */
APPC_EXTERN int appc_pod_manifest_set_ac_version(appc_pod_manifest *pod, const char *version);

/**
 * Append an app {name, image: {name, id}}.
 * @param name        the app name; required.
 * @param image_name  "image.name"; required.
 * @param image_id    "image.id" or NULL (a template, reified later).
 * @param[out] index  the new app's index; may be NULL.
 * Thread-safety: write.
 */
APPC_EXTERN int appc_pod_manifest_add_app(appc_pod_manifest *pod, const char *name, const char *image_name,
                                          const char *image_id, size_t *index);
/** Remove every app. Thread-safety: write. */
APPC_EXTERN int appc_pod_manifest_clear_apps(appc_pod_manifest *pod);
/** Set "image.id" of app `i`; "" removes it. Thread-safety: write. */
APPC_EXTERN int appc_pod_app_set_image_id(appc_pod_manifest *pod, size_t i, const char *image_id);
/** Append an image label to app `i`. Thread-safety: write. */
APPC_EXTERN int appc_pod_app_add_image_label(appc_pod_manifest *pod, size_t i, const char *name,
                                             const char *value);
/**
 * Set the "app" override of app `i` to a copy of `app` (e.g. appc_image_manifest_app() of an image,
 * or an appc_app_parse() result), or remove it when `app` is NULL.
 * Thread-safety: write (on `pod`), read (on `app`).
 */
APPC_EXTERN int appc_pod_app_set_override(appc_pod_manifest *pod, size_t i, const appc_app *app);
/** Set "readOnlyRootFS" of app `i`. Thread-safety: write. */
APPC_EXTERN int appc_pod_app_set_read_only_root_fs(appc_pod_manifest *pod, size_t i, bool read_only);
/**
 * Append a mount {volume, path, appVolume} to app `i`.
 * @param app_volume  a copy becomes "appVolume"; NULL for none.
 * Thread-safety: write (on `pod`), read (on `app_volume`).
 */
APPC_EXTERN int appc_pod_app_add_mount(appc_pod_manifest *pod, size_t i, const char *volume,
                                       const char *path, const appc_volume *app_volume);
/** Append an annotation to app `i`. Thread-safety: write. */
APPC_EXTERN int appc_pod_app_add_annotation(appc_pod_manifest *pod, size_t i, const char *name,
                                            const char *value);

/** Append a copy of `volume` to "volumes". Thread-safety: write (on `pod`), read (on `volume`). */
APPC_EXTERN int appc_pod_manifest_add_volume(appc_pod_manifest *pod, const appc_volume *volume);
/** Remove every volume. Thread-safety: write. */
APPC_EXTERN int appc_pod_manifest_clear_volumes(appc_pod_manifest *pod);

/**
 * Append an exposed port {name, hostPort, hostIP}.
 * @param host_ip  "hostIP" or NULL for all addresses. @param[out] index may be NULL.
 * Thread-safety: write.
 */
APPC_EXTERN int appc_pod_manifest_add_port(appc_pod_manifest *pod, const char *name, int64_t host_port,
                                           const char *host_ip, size_t *index);
/**
 * Set the "podPort" of exposed port `i` (fields as appc_app_add_port(); count 0 means 1).
 * Thread-safety: write.
 */
APPC_EXTERN int appc_pod_manifest_port_set_pod_port(appc_pod_manifest *pod, size_t i, const char *name,
                                                    const char *protocol, int64_t port, int64_t count,
                                                    bool socket_activated);
/** Remove every exposed port. Thread-safety: write. */
APPC_EXTERN int appc_pod_manifest_clear_ports(appc_pod_manifest *pod);

/**
 * Append a pod-level isolator; as appc_app_add_isolator() (unknown names are allowed at pod level).
 * Thread-safety: write.
 */
APPC_EXTERN int appc_pod_manifest_add_isolator(appc_pod_manifest *pod, const char *name,
                                               const char *value_json, size_t len);
/** Remove every pod-level isolator. Thread-safety: write. */
APPC_EXTERN int appc_pod_manifest_clear_isolators(appc_pod_manifest *pod);

/** Append a pod annotation. Thread-safety: write. */
APPC_EXTERN int appc_pod_manifest_add_annotation(appc_pod_manifest *pod, const char *name,
                                                 const char *value);
/** Remove every pod annotation. Thread-safety: write. */
APPC_EXTERN int appc_pod_manifest_clear_annotations(appc_pod_manifest *pod);
/** Append a pod "userAnnotations" entry. Thread-safety: write. */
APPC_EXTERN int appc_pod_manifest_add_user_annotation(appc_pod_manifest *pod, const char *name,
                                                      const char *value);
/** Remove every pod "userAnnotations" entry. Thread-safety: write. */
APPC_EXTERN int appc_pod_manifest_clear_user_annotations(appc_pod_manifest *pod);
/** Append a pod "userLabels" entry. Thread-safety: write. */
APPC_EXTERN int appc_pod_manifest_add_user_label(appc_pod_manifest *pod, const char *name,
                                                 const char *value);
/** Remove every pod "userLabels" entry. Thread-safety: write. */
APPC_EXTERN int appc_pod_manifest_clear_user_labels(appc_pod_manifest *pod);

/**@}*/

/* ------------------------------------------------------------------------------------------------ */
/** @name ACI images: compression, progress, options
 * App Container Images (spec sections 4-5: the archive layout, the image ID, dependencies). Every
 * function here reads or writes files; docs/images-api.md has the long form.
 */
/**@{*/

/**
 * How an ACI file is compressed. Reading detects it from the first bytes (never from the file
 * name); building takes it as an option. Stable numbers; new values are only appended.
 */
typedef enum appc_compression {
  APPC_COMPRESSION_NONE = 0,    /**< a plain tar stream */
  APPC_COMPRESSION_GZIP = 1,    /**< gzip (RFC 1952) */
  APPC_COMPRESSION_BZIP2 = 2,   /**< bzip2 */
  APPC_COMPRESSION_XZ = 3,      /**< xz */
  APPC_COMPRESSION_ZSTD = 4     /**< zstd (RFC 8878); beyond the spec, read and written by libappc */
} appc_compression;

/**
 * The name of a compression: "none", "gzip", "bzip2", "xz" or "zstd".
 * @return a static string; NULL for a value that is not an ::appc_compression.
 * Thread-safety: any.
 */
APPC_EXTERN const char *appc_compression_name(appc_compression compression);

/**
 * The compression named `name` (the inverse of appc_compression_name(); exact, lower case).
 * @param[out] out the value; untouched on failure.
 * @return APPC_OK; APPC_EINVALID for NULL arguments or an unknown name (the message lists the
 *         known ones).
 * Thread-safety: thread-local (the last error).
 */
APPC_EXTERN int appc_compression_from_name(const char *name, appc_compression *out);

/** Length of an image ID, "sha512-" followed by 128 lower-case hex digits, without the NUL. */
#define APPC_IMAGE_ID_LEN 135

/**
 * Where a long operation stands, handed to an ::appc_progress_cb. Filled by the library; `version`
 * says which fields exist (fields are only appended), so a callback compiled against an older
 * header reads the ones it knows.
 */
typedef struct appc_progress {
  unsigned int version;   /**< APPC_PROGRESS_VERSION of the library that filled it */
  uint64_t bytes_in;      /**< archive bytes consumed so far (compressed); build: tree bytes read */
  uint64_t bytes_out;     /**< uncompressed tar bytes processed so far (read or written) */
  uint64_t entries;       /**< archive entries processed so far */
  const char *phase;      /**< "hash" (open, validate), "extract", "build" or "render"; never NULL */
} appc_progress;

#define APPC_PROGRESS_VERSION 1

/**
 * Progress callback of a long operation. It runs on the thread that made the call, about every MiB
 * of data and every few hundred entries, never after the call has returned. It may call appc_
 * functions that do not touch the files or objects of the running operation.
 * @param p        the progress; borrowed for the duration of the callback.
 * @param payload  the options' `progress_payload`, passed through untouched.
 * @return 0 to continue; any other value cancels the operation, which then returns
 *         APPC_ECANCELLED after removing what it had written.
 */
typedef int (*appc_progress_cb)(const appc_progress *p, void *payload);

/**
 * Options for reading an ACI: appc_image_open() and appc_image_validate_file().
 * The limits bound what a hostile archive can make the library do; 0 means the default.
 */
typedef struct appc_image_read_options {
  unsigned int version;         /**< APPC_IMAGE_READ_OPTIONS_VERSION */
  uint64_t max_bytes;           /**< uncompressed tar bytes; APPC_ELIMIT beyond. 0: 64 GiB */
  uint64_t max_entries;         /**< archive entries; APPC_ELIMIT beyond. 0: 4,000,000 */
  uint64_t max_manifest_bytes;  /**< size of the `manifest` entry; APPC_ELIMIT beyond. 0: 16 MiB */
  appc_progress_cb progress_cb; /**< NULL: no progress reports */
  void *progress_payload;       /**< passed to progress_cb */
} appc_image_read_options;

#define APPC_IMAGE_READ_OPTIONS_VERSION 1
#define APPC_IMAGE_READ_OPTIONS_INIT { APPC_IMAGE_READ_OPTIONS_VERSION, 0, 0, 0, NULL, NULL }

/**
 * Fill `opts` with the defaults of structure version `version`, limits spelled out.
 * @return APPC_OK; APPC_EINVALID when `opts` is NULL or `version` is 0 or unknown.
 * Thread-safety: write (on `opts`).
 */
APPC_EXTERN int appc_image_read_options_init(appc_image_read_options *opts, unsigned int version);

/** Options for appc_image_extract(). */
typedef struct appc_extract_options {
  unsigned int version;         /**< APPC_EXTRACT_OPTIONS_VERSION */
  bool rootfs_only;             /**< extract the contents of rootfs/ into the directory (no manifest) */
  bool preserve_owners;         /**< chown entries to the archive's uid/gid (default true; skipped
                                     without CAP_CHOWN) */
  uint64_t max_bytes;           /**< as appc_image_read_options */
  uint64_t max_entries;         /**< as appc_image_read_options */
  uint64_t max_manifest_bytes;  /**< as appc_image_read_options */
  const char *expect_id;        /**< NULL, or the image ID the archive must have: checked while
                                     streaming; on a mismatch APPC_EVERIFY and nothing stays */
  appc_progress_cb progress_cb; /**< NULL: no progress reports (phase "extract") */
  void *progress_payload;       /**< passed to progress_cb */
} appc_extract_options;

#define APPC_EXTRACT_OPTIONS_VERSION 1
#define APPC_EXTRACT_OPTIONS_INIT { APPC_EXTRACT_OPTIONS_VERSION, false, true, 0, 0, 0, NULL, NULL, NULL }

/**
 * Fill `opts` with the defaults of structure version `version` (preserve_owners true, limits
 * spelled out).
 * @return APPC_OK; APPC_EINVALID when `opts` is NULL or `version` is 0 or unknown.
 * Thread-safety: write (on `opts`).
 */
APPC_EXTERN int appc_extract_options_init(appc_extract_options *opts, unsigned int version);

/**
 * What appc_image_extract() did. The caller sets `version` (APPC_EXTRACT_STATS_INIT); the library
 * fills the fields of that version and leaves the rest alone.
 */
typedef struct appc_extract_stats {
  unsigned int version;                /**< APPC_EXTRACT_STATS_VERSION, set by the caller */
  char id[APPC_IMAGE_ID_LEN + 1];      /**< the image ID, NUL-terminated */
  appc_compression compression;        /**< detected compression */
  uint64_t archive_size;               /**< bytes of the file */
  uint64_t tar_size;                   /**< bytes of the uncompressed tar stream */
  uint64_t entries;                    /**< archive entries read */
  uint64_t files, dirs, symlinks, hardlinks, devices, fifos; /**< what was created, by type */
  uint64_t skipped_devices;            /**< device nodes not created for lack of CAP_MKNOD */
} appc_extract_stats;

#define APPC_EXTRACT_STATS_VERSION 1
#define APPC_EXTRACT_STATS_INIT { APPC_EXTRACT_STATS_VERSION, { 0 }, APPC_COMPRESSION_NONE, 0, 0, 0, \
                                  0, 0, 0, 0, 0, 0, 0 }

/** Options for appc_image_build(). */
typedef struct appc_build_options {
  unsigned int version;          /**< APPC_BUILD_OPTIONS_VERSION */
  appc_compression compression;  /**< default APPC_COMPRESSION_NONE */
  bool overwrite;                /**< replace an existing output file (default: APPC_EEXISTS) */
  bool owner_root;               /**< store every entry as owned by 0:0 */
  bool has_mtime;                /**< store `mtime` as every entry's modification time */
  int64_t mtime;                 /**< seconds since the epoch, used when has_mtime */
  appc_progress_cb progress_cb;  /**< NULL: no progress reports (phase "build") */
  void *progress_payload;        /**< passed to progress_cb */
} appc_build_options;

#define APPC_BUILD_OPTIONS_VERSION 1
#define APPC_BUILD_OPTIONS_INIT { APPC_BUILD_OPTIONS_VERSION, APPC_COMPRESSION_NONE, false, false, false, \
                                  0, NULL, NULL }

/**
 * Fill `opts` with the defaults of structure version `version`.
 * @return APPC_OK; APPC_EINVALID when `opts` is NULL or `version` is 0 or unknown.
 * Thread-safety: write (on `opts`).
 */
APPC_EXTERN int appc_build_options_init(appc_build_options *opts, unsigned int version);

/** Options for appc_image_render(). The limits apply to each archive read. */
typedef struct appc_render_options {
  unsigned int version;         /**< APPC_RENDER_OPTIONS_VERSION */
  bool preserve_owners;         /**< as appc_extract_options (default true) */
  uint64_t max_bytes;           /**< as appc_image_read_options */
  uint64_t max_entries;         /**< as appc_image_read_options */
  uint64_t max_manifest_bytes;  /**< as appc_image_read_options */
  appc_progress_cb progress_cb; /**< NULL: no progress reports (phase "render") */
  void *progress_payload;       /**< passed to progress_cb */
} appc_render_options;

#define APPC_RENDER_OPTIONS_VERSION 1
#define APPC_RENDER_OPTIONS_INIT { APPC_RENDER_OPTIONS_VERSION, true, 0, 0, 0, NULL, NULL }

/**
 * Fill `opts` with the defaults of structure version `version` (preserve_owners true, limits
 * spelled out).
 * @return APPC_OK; APPC_EINVALID when `opts` is NULL or `version` is 0 or unknown.
 * Thread-safety: write (on `opts`).
 */
APPC_EXTERN int appc_render_options_init(appc_render_options *opts, unsigned int version);

/**@}*/
/* ------------------------------------------------------------------------------------------------ */
/** @name ACI images: open, validate, extract, build, render */
/**@{*/

/**
 * An ACI that has been read once from start to end: its image ID, compression, sizes and parsed
 * manifest. Owned by the caller (appc_image_free()). It holds no open file: the values are those of
 * the file when it was read. Thread-safety: immutable; share freely.
 */
typedef struct appc_image appc_image;

/**
 * Read the ACI at `path` once (decompressing, hashing and checking the layout and the manifest in
 * the same pass) and keep what it found.
 * @param[out] out  the image, owned by the caller (appc_image_free()); NULL on failure.
 * @param path      the ACI file; its compression is detected from its first bytes.
 * @param opts      read options or NULL for defaults.
 * @return APPC_OK; APPC_EINVALID for an archive that is not a valid ACI, with every violation as a
 *         diagnostic (its path is the archive entry, e.g. "rootfs/../x", or "manifest: app.exec"
 *         for a manifest finding); APPC_EINVALID without diagnostics for a file that is not a tar
 *         archive or a corrupt compressed stream; APPC_ELIMIT past a limit; APPC_ECANCELLED;
 *         APPC_ENOTFOUND (sys_errno ENOENT) for a missing file; APPC_EOS or APPC_EPERM (with
 *         sys_errno) when it cannot be read.
 * Thread-safety: any.
 */
APPC_EXTERN int appc_image_open(appc_image **out, const char *path, const appc_image_read_options *opts);

/** Release an image. NULL is a no-op. Thread-safety: write. */
APPC_EXTERN void appc_image_free(appc_image *img);

/**
 * The image ID: "sha512-" + the SHA-512 (128 lower-case hex digits) of the uncompressed tar stream.
 * @return borrowed from `img`; NULL when `img` is NULL. Thread-safety: read.
 */
APPC_EXTERN const char *appc_image_id(const appc_image *img);

/**
 * The image's manifest, parsed and valid.
 * (Not `appc_image_manifest()`: that name is the manifest type's.)
 * @return borrowed from `img` (appc_image_manifest_clone() makes an owned copy); NULL when `img` is
 *         NULL. Thread-safety: read.
 */
APPC_EXTERN const appc_image_manifest *appc_image_get_manifest(const appc_image *img);

/**
 * The `manifest` entry's bytes exactly as stored in the archive.
 * @param[out] len  its length in bytes; may be NULL.
 * @return borrowed from `img`, NUL-terminated; NULL when `img` is NULL. Thread-safety: read.
 */
APPC_EXTERN const char *appc_image_raw_manifest(const appc_image *img, size_t *len);

/** The compression detected from the file's first bytes. Thread-safety: read. */
APPC_EXTERN appc_compression appc_image_compression(const appc_image *img);
/** Bytes of the uncompressed tar stream (what the image ID hashes). Thread-safety: read. */
APPC_EXTERN uint64_t appc_image_tar_size(const appc_image *img);
/** Bytes of the file as read (compressed). Thread-safety: read. */
APPC_EXTERN uint64_t appc_image_archive_size(const appc_image *img);
/** Number of archive entries. Thread-safety: read. */
APPC_EXTERN uint64_t appc_image_entry_count(const appc_image *img);
/**
 * The path the image was opened from, as given.
 * @return borrowed from `img`; NULL when `img` is NULL. Thread-safety: read.
 */
APPC_EXTERN const char *appc_image_path(const appc_image *img);

/**
 * Validate the ACI at `path`: layout (manifest and rootfs/ only at the top level, entry names,
 * no duplicates) and manifest, in one pass. Keeps nothing.
 * @param opts  read options or NULL for defaults.
 * @return APPC_OK when the image is valid; otherwise as appc_image_open(), APPC_EINVALID listing
 *         every violation as a diagnostic.
 * Thread-safety: any.
 */
APPC_EXTERN int appc_image_validate_file(const char *path, const appc_image_read_options *opts);

/**
 * Extract the ACI at `aci_path` into `dir`, safely: nothing is ever written outside `dir` (an entry
 * with an absolute name, "..", a path through a symlink leading out, a hardlink to anything
 * outside, or a symlink replacing a directory is refused, naming the entry). The tree is built
 * next to `dir` and renamed into place at the end: on any error, or a cancellation, nothing of it
 * remains. The image ID is computed in the same pass.
 * @param dir        must not exist, or be an empty directory.
 * @param opts       extract options or NULL for defaults.
 * @param[out] stats what was done (its `version` set by the caller), or NULL.
 * @return APPC_OK; APPC_EINVALID for an invalid or unsafe archive (diagnostics name the entries);
 *         APPC_EVERIFY when `expect_id` does not match; APPC_EEXISTS when `dir` is not empty;
 *         APPC_ELIMIT; APPC_ECANCELLED; APPC_EOS / APPC_EPERM from the file system.
 * Thread-safety: any (distinct `dir`s).
 */
APPC_EXTERN int appc_image_extract(const char *aci_path, const char *dir, const appc_extract_options *opts,
                                   appc_extract_stats *stats);

/**
 * Build an ACI from `dir`, which holds `manifest` (a valid image manifest) and `rootfs/`.
 * Reproducible: the same tree gives the same bytes, so the same image ID, every time (entries in
 * byte order of their paths, no build timestamp, no user or group names). Owners, modes (setuid,
 * setgid, sticky), symlinks, hardlinks, device nodes, FIFOs, extended attributes and sparse files
 * are kept. Written to a temporary file renamed into place: on any error or a cancellation nothing
 * stays behind.
 * @param out_path  the ACI to write; an existing file is an error unless `overwrite`.
 * @param opts      build options or NULL for defaults.
 * @param[out] id_out the new image's ID (owned by the caller, appc_buf_dispose()), or NULL.
 * @return APPC_OK; APPC_EINVALID for a bad layout or manifest (diagnostics); APPC_ENOTFOUND when
 *         `manifest` or `rootfs/` is missing; APPC_EEXISTS; APPC_ECANCELLED; APPC_EOS.
 * Thread-safety: any (distinct outputs).
 */
APPC_EXTERN int appc_image_build(const char *dir, const char *out_path, const appc_build_options *opts,
                                 appc_buf *id_out);

/**
 * Render the ACI at `aci_path` with all its dependencies into `dir`: the dependency graph is
 * walked depth first and each image's rootfs applied in the order of the spec (later wins),
 * honouring every pathWhitelist along each parent chain. Dependencies are found in `deps_dir`, a
 * directory of ACI files (by imageID when the dependency gives one, else by name and labels);
 * another resolver (the image store) will get its own entry point. Atomic as appc_image_extract().
 * @param deps_dir  the directory of dependency ACIs, or NULL when the image has no dependencies.
 * @param dir       must not exist, or be an empty directory.
 * @param opts      render options or NULL for defaults.
 * @return APPC_OK; APPC_ENOTFOUND for a missing dependency; APPC_EVERIFY when a dependency's ID or
 *         size does not match; APPC_EINVALID for a dependency cycle or an invalid image (the
 *         message names the dependency chain); otherwise as appc_image_extract().
 * Thread-safety: any (distinct `dir`s).
 */
APPC_EXTERN int appc_image_render(const char *aci_path, const char *deps_dir, const char *dir,
                                  const appc_render_options *opts);

/**@}*/

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* APPC_APPC_H */
/* APPC_HEADER_READY */
