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

/* ------------------------------------------------------------------------------------------------ */
/** @name Image store: opening, options
 * The image store under `<root>/store` (docs/store.md has the on-disk format and the lookup rule):
 * content-addressed ACI blobs, an SQLite index, rendered trees and garbage collection. Any number of
 * threads and processes may use one store at once; a killed import leaves nothing visible.
 *
 * IMAGE arguments (named `image` below) are resolved by the store's rule: "sha512-<hex>" is an image
 * ID or a unique prefix of one (at least one hex digit); anything else is "name[,label=value...]",
 * matched by the spec's label rule (spec 49) and, among several matches, the highest `version`
 * label (SemVer order), then the newest import. An ambiguous prefix is APPC_ECONFLICT (the message
 * lists the candidates); no match is APPC_ENOTFOUND.
 */
/**@{*/

/**
 * An open image store. Owned by the caller (appc_store_open(), appc_store_free()).
 * Thread-safety: any (calls on one store are serialised inside; other processes are kept out by
 * file locks), except appc_store_free(), which needs exclusive access.
 */
typedef struct appc_store appc_store;

/**
 * One image of the store's index: its ID, name, labels, manifest, sizes, times and origin, as they
 * were when the handle was made. Owned by the caller when returned through `appc_store_image **out`
 * (appc_store_image_free()); borrowed when returned by appc_store_image_list_at().
 * Thread-safety: immutable; share freely.
 */
typedef struct appc_store_image appc_store_image;

/**
 * A snapshot of every image of the store (appc_store_list()). Owned by the caller
 * (appc_store_image_list_free()). Thread-safety: immutable; share freely.
 */
typedef struct appc_store_image_list appc_store_image_list;

/**
 * A rendered tree: an image with its dependencies, read-only, shared by every user
 * (appc_store_tree()). Owned by the caller (appc_tree_free()); freeing it does not remove the
 * tree. Thread-safety: immutable; share freely.
 */
typedef struct appc_tree appc_tree;

/**
 * What appc_store_gc() removed (or, with dry_run, would remove). Owned by the caller
 * (appc_store_gc_result_free()). Thread-safety: immutable; share freely.
 */
typedef struct appc_store_gc_result appc_store_gc_result;

/**
 * The findings of appc_store_check(). Owned by the caller (appc_store_check_report_free()).
 * Thread-safety: immutable; share freely.
 */
typedef struct appc_store_check_report appc_store_check_report;

/** The store format this library reads and writes (`<root>/store/FORMAT`). */
#define APPC_STORE_FORMAT_VERSION 1

/** Options for appc_store_open(). */
typedef struct appc_store_options {
  unsigned int version;   /**< APPC_STORE_OPTIONS_VERSION */
  bool create;            /**< create `<root>/store` when missing (default true); false: APPC_ENOTFOUND */
  bool durable;           /**< fsync blobs and the index, sync trees before they appear (default true) */
  int busy_timeout_ms;    /**< how long to wait for another process's lock before APPC_ECONFLICT;
                               0: default (120000) */
} appc_store_options;

#define APPC_STORE_OPTIONS_VERSION 1
#define APPC_STORE_OPTIONS_INIT { APPC_STORE_OPTIONS_VERSION, true, true, 0 }

/**
 * Fill `opts` with the defaults of structure version `version` (create and durable true,
 * busy_timeout_ms 120000).
 * @return APPC_OK; APPC_EINVALID when `opts` is NULL or `version` is 0 or unknown.
 * Thread-safety: write (on `opts`).
 */
APPC_EXTERN int appc_store_options_init(appc_store_options *opts, unsigned int version);

/** Options for appc_store_import() and appc_store_import_fd(). */
typedef struct appc_import_options {
  unsigned int version;         /**< APPC_IMPORT_OPTIONS_VERSION */
  const char *origin;           /**< where the image came from (a path or URL, recorded); NULL: none */
  const char *expect_id;        /**< NULL, or the image ID the stream must have: APPC_EVERIFY otherwise,
                                     and nothing is stored */
  uint64_t max_bytes;           /**< as appc_image_read_options (0: default) */
  uint64_t max_entries;         /**< as appc_image_read_options (0: default) */
  uint64_t max_manifest_bytes;  /**< as appc_image_read_options (0: default) */
  appc_progress_cb progress_cb; /**< NULL: no progress reports (phase "hash") */
  void *progress_payload;       /**< passed to progress_cb */
} appc_import_options;

#define APPC_IMPORT_OPTIONS_VERSION 1
#define APPC_IMPORT_OPTIONS_INIT { APPC_IMPORT_OPTIONS_VERSION, NULL, NULL, 0, 0, 0, NULL, NULL }

/**
 * Fill `opts` with the defaults of structure version `version` (limits spelled out).
 * @return APPC_OK; APPC_EINVALID when `opts` is NULL or `version` is 0 or unknown.
 * Thread-safety: write (on `opts`).
 */
APPC_EXTERN int appc_import_options_init(appc_import_options *opts, unsigned int version);

/** Options for appc_store_tree(). */
typedef struct appc_tree_options {
  unsigned int version;         /**< APPC_TREE_OPTIONS_VERSION */
  const char *holder;           /**< NULL, or a holder (a pod UUID) whose reference to the tree and its
                                     images is recorded with it (appc_store_drop_refs() releases it) */
  bool preserve_owners;         /**< as appc_extract_options (default true) */
  appc_progress_cb progress_cb; /**< NULL: no progress reports (phases "render", "verify") */
  void *progress_payload;       /**< passed to progress_cb */
  bool prepare_only;            /**< render the tree when missing but do not hand it out: no
                                     verification, no reference, last use unchanged (pre-rendering) */
} appc_tree_options;

#define APPC_TREE_OPTIONS_VERSION 1
#define APPC_TREE_OPTIONS_INIT { APPC_TREE_OPTIONS_VERSION, NULL, true, NULL, NULL, false }

/**
 * Fill `opts` with the defaults of structure version `version` (preserve_owners true).
 * @return APPC_OK; APPC_EINVALID when `opts` is NULL or `version` is 0 or unknown.
 * Thread-safety: write (on `opts`).
 */
APPC_EXTERN int appc_tree_options_init(appc_tree_options *opts, unsigned int version);

/** Options for appc_store_gc(). */
typedef struct appc_store_gc_options {
  unsigned int version;   /**< APPC_STORE_GC_OPTIONS_VERSION */
  int64_t image_grace_s;  /**< images unreferenced and unused for longer are removed (default 86400);
                               0: every unreferenced image */
  int64_t tree_grace_s;   /**< unreferenced trees unused for longer are removed (default 0) */
  bool dry_run;           /**< report what would be removed, remove nothing */
} appc_store_gc_options;

#define APPC_STORE_GC_OPTIONS_VERSION 1
#define APPC_STORE_GC_OPTIONS_INIT { APPC_STORE_GC_OPTIONS_VERSION, 86400, 0, false }

/**
 * Fill `opts` with the defaults of structure version `version` (image grace one day, tree grace 0).
 * @return APPC_OK; APPC_EINVALID when `opts` is NULL or `version` is 0 or unknown.
 * Thread-safety: write (on `opts`).
 */
APPC_EXTERN int appc_store_gc_options_init(appc_store_gc_options *opts, unsigned int version);

/**
 * Open the image store under `<root>/store`, creating it when missing (unless opts->create is
 * false). The store's FORMAT is checked first: a store written by a newer format than
 * APPC_STORE_FORMAT_VERSION is refused untouched. The debris of killed processes is removed.
 * @param[out] out  the store, owned by the caller (appc_store_free()); NULL on failure.
 * @param root      the root directory; NULL: $APPC_ROOT when set and not empty, else /var/lib/appc.
 * @param opts      store options or NULL for defaults.
 * @return APPC_OK; APPC_ENOTSUPPORTED for a newer store format (the message names both versions);
 *         APPC_ENOTFOUND when the store is missing and create is false; APPC_EINVALID for a
 *         damaged FORMAT file; APPC_ECONFLICT when another process holds the lock too long;
 *         APPC_EPERM / APPC_EOS (with sys_errno) from the file system or the index.
 * Thread-safety: any.
 */
APPC_EXTERN int appc_store_open(appc_store **out, const char *root, const appc_store_options *opts);

/** Close a store. NULL is a no-op. Handles made from it stay valid. Thread-safety: write. */
APPC_EXTERN void appc_store_free(appc_store *store);

/**
 * The root directory of the store, as given (or as found in $APPC_ROOT / the default).
 * @return borrowed from `store`; NULL when `store` is NULL. Thread-safety: any.
 */
APPC_EXTERN const char *appc_store_root(const appc_store *store);

/**@}*/
/* ------------------------------------------------------------------------------------------------ */
/** @name Image store: import and lookup */
/**@{*/

/**
 * Import the ACI at `path`: read once (copied into the store while it is hashed and validated)
 * and committed atomically. When the store already holds the image ID, nothing is written (the
 * copy is discarded, the last-use time updated). A failure, a cancellation or a kill at any point
 * leaves nothing visible.
 * @param[out] out  the stored image, owned by the caller (appc_store_image_free()); may be NULL
 *                  when the caller does not want it.
 * @param path      the ACI file (any supported compression, detected from its first bytes).
 * @param opts      import options or NULL for defaults.
 * @param[out] already_present  set to whether the image was in the store before; may be NULL.
 * @return APPC_OK; APPC_EINVALID for an archive that is not a valid ACI (diagnostics as
 *         appc_image_open()); APPC_EVERIFY when expect_id does not match; APPC_ELIMIT;
 *         APPC_ECANCELLED; APPC_ENOTFOUND for a missing file; APPC_EOS / APPC_EPERM.
 * Thread-safety: any.
 */
APPC_EXTERN int appc_store_import(appc_store_image **out, appc_store *store, const char *path,
                                  const appc_import_options *opts, bool *already_present);

/**
 * Import an ACI read from `fd` (a pipe, a socket, or a file at its current offset) until its end;
 * otherwise as appc_store_import(). `fd` is not closed.
 * Thread-safety: any (one reader per descriptor).
 */
APPC_EXTERN int appc_store_import_fd(appc_store_image **out, appc_store *store, int fd,
                                     const appc_import_options *opts, bool *already_present);

/**
 * The image with ID `id_or_prefix`: a full image ID, "sha512-" followed by at least one hex digit,
 * or the hex digits alone.
 * @param[out] out  owned by the caller (appc_store_image_free()).
 * @return APPC_OK; APPC_ENOTFOUND; APPC_ECONFLICT for a prefix of several IDs (the message lists
 *         them); APPC_EINVALID for text that is not an ID prefix.
 * Thread-safety: any.
 */
APPC_EXTERN int appc_store_get(appc_store_image **out, appc_store *store, const char *id_or_prefix);

/**
 * The image called `name` whose labels include every requested label with the same value
 * (spec 49); among several, the highest `version` label by SemVer precedence (absent or
 * non-SemVer versions rank lowest), then the newest import, then the ID.
 * @param[out] out  owned by the caller (appc_store_image_free()).
 * @param label_names, label_values  `label_count` requested labels (both may be NULL when 0).
 * @return APPC_OK; APPC_ENOTFOUND (the message names the image and the labels); APPC_EINVALID
 *         for NULL arguments.
 * Thread-safety: any.
 */
APPC_EXTERN int appc_store_find(appc_store_image **out, appc_store *store, const char *name,
                                const char *const *label_names, const char *const *label_values,
                                size_t label_count);

/**
 * An IMAGE as the CLI takes it: an ID or prefix when it starts with "sha512-", otherwise
 * "name[,label=value...]"; then as appc_store_get() or appc_store_find().
 * @param[out] out  owned by the caller (appc_store_image_free()).
 * Thread-safety: any.
 */
APPC_EXTERN int appc_store_resolve(appc_store_image **out, appc_store *store, const char *image);

/**
 * Every image of the store, ordered by name, then by import time (newest first).
 * @param[out] out  owned by the caller (appc_store_image_list_free()).
 * Thread-safety: any.
 */
APPC_EXTERN int appc_store_list(appc_store_image_list **out, appc_store *store);

/** Number of images in `list` (0 for NULL). Thread-safety: read. */
APPC_EXTERN size_t appc_store_image_list_count(const appc_store_image_list *list);
/** Image `i` of `list`; NULL when out of range. Borrowed from `list`. Thread-safety: read. */
APPC_EXTERN const appc_store_image *appc_store_image_list_at(const appc_store_image_list *list, size_t i);
/** Release a list and every image borrowed from it. NULL is a no-op. Thread-safety: write. */
APPC_EXTERN void appc_store_image_list_free(appc_store_image_list *list);

/** Release an owned image handle. NULL is a no-op. Never pass a borrowed one. Thread-safety: write. */
APPC_EXTERN void appc_store_image_free(appc_store_image *img);
/**
 * Deep copy of a stored image handle (e.g. to keep one of a list).
 * @param[out] out  owned by the caller (appc_store_image_free()). Thread-safety: read (on `img`).
 */
APPC_EXTERN int appc_store_image_clone(appc_store_image **out, const appc_store_image *img);

/**@}*/
/* ------------------------------------------------------------------------------------------------ */
/** @name Image store: stored image accessors
 * Strings are borrowed from the image handle. A NULL handle or an index out of range gives NULL / 0.
 * Thread-safety: read (all of them).
 */
/**@{*/

/** The image ID ("sha512-" + 128 hex). Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_store_image_id(const appc_store_image *img);
/** The image name (the manifest's "name"). Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_store_image_name(const appc_store_image *img);
/** Number of labels. Thread-safety: read. */
APPC_EXTERN size_t appc_store_image_label_count(const appc_store_image *img);
/** Name of label `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_store_image_label_name(const appc_store_image *img, size_t i);
/** Value of label `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_store_image_label_value(const appc_store_image *img, size_t i);
/** Value of the label `name`, NULL when absent. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_store_image_label(const appc_store_image *img, const char *name);
/**
 * The parsed manifest. Borrowed from `img` (appc_image_manifest_clone() makes an owned copy).
 * Thread-safety: read.
 */
APPC_EXTERN const appc_image_manifest *appc_store_image_manifest(const appc_store_image *img);
/**
 * The manifest's bytes exactly as found in the archive.
 * @param[out] len  its length in bytes; may be NULL.
 * @return borrowed, NUL-terminated. Thread-safety: read.
 */
APPC_EXTERN const char *appc_store_image_raw_manifest(const appc_store_image *img, size_t *len);
/** Bytes of the stored blob (the ACI as imported, compressed or not). Thread-safety: read. */
APPC_EXTERN uint64_t appc_store_image_size(const appc_store_image *img);
/** Bytes of the uncompressed tar stream. Thread-safety: read. */
APPC_EXTERN uint64_t appc_store_image_tar_size(const appc_store_image *img);
/** The blob's compression. Thread-safety: read. */
APPC_EXTERN appc_compression appc_store_image_compression(const appc_store_image *img);
/** Import time, nanoseconds since the epoch. Thread-safety: read. */
APPC_EXTERN int64_t appc_store_image_imported_ns(const appc_store_image *img);
/** Last use (import, tree hand-out, export), nanoseconds since the epoch. Thread-safety: read. */
APPC_EXTERN int64_t appc_store_image_last_used_ns(const appc_store_image *img);
/** Where the image came from ("" when unknown). Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_store_image_origin(const appc_store_image *img);
/**
 * The absolute path of the blob. Read it, never write to it: the store owns it, and it goes away
 * when the image is removed. Borrowed. Thread-safety: read.
 */
APPC_EXTERN const char *appc_store_image_blob_path(const appc_store_image *img);

/**@}*/
/* ------------------------------------------------------------------------------------------------ */
/** @name Image store: export, trees, render, references, removal, gc, check */
/**@{*/

/**
 * Copy the blob of `image` to `out_path` (through a temporary file renamed into place): the file
 * has the image's ID.
 * @param overwrite  replace an existing file (default: APPC_EEXISTS).
 * @return APPC_OK; lookup errors as appc_store_resolve(); APPC_EEXISTS; APPC_EOS / APPC_EPERM.
 * Thread-safety: any.
 */
APPC_EXTERN int appc_store_export(appc_store *store, const char *image, const char *out_path,
                                  bool overwrite);

/**
 * The tree of `image` rendered with its dependencies (resolved in this store): the existing tree
 * when there is one, else rendered once (another thread or process asking for the same tree waits
 * instead of racing), verified before its first use.
 * @param[out] out  owned by the caller (appc_tree_free()).
 * @param opts      tree options or NULL for defaults.
 * @return APPC_OK; lookup errors as appc_store_resolve(); APPC_ENOTFOUND for a missing dependency;
 *         APPC_EVERIFY when a dependency's ID or size, or a tree's digest, does not match;
 *         APPC_EINVALID for a dependency cycle; APPC_ECANCELLED; APPC_EOS / APPC_EPERM.
 * Thread-safety: any.
 */
APPC_EXTERN int appc_store_tree(appc_tree **out, appc_store *store, const char *image,
                                const appc_tree_options *opts);

/** Release a tree handle (the tree stays in the store). NULL is a no-op. Thread-safety: write. */
APPC_EXTERN void appc_tree_free(appc_tree *tree);
/** The tree's key (64 hex digits). Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_tree_key(const appc_tree *tree);
/** The ID of the image rendered (the top layer). Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_tree_image_id(const appc_tree *tree);
/** The tree's directory (`<root>/store/trees/<key>`). Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_tree_path(const appc_tree *tree);
/** The rendered root filesystem (read-only: use it as an overlay lower dir). Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_tree_rootfs(const appc_tree *tree);
/** Number of layers (the image and its dependencies). Thread-safety: read. */
APPC_EXTERN size_t appc_tree_layer_count(const appc_tree *tree);
/** Image ID of layer `i`, in application order (spec 52; the top image last). Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_tree_layer(const appc_tree *tree, size_t i);
/** Bytes of regular file data in the tree. Thread-safety: read. */
APPC_EXTERN uint64_t appc_tree_size(const appc_tree *tree);
/** Number of entries in the tree. Thread-safety: read. */
APPC_EXTERN uint64_t appc_tree_files(const appc_tree *tree);
/** The tree's digest ("sha512-..." over paths, metadata and contents). Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_tree_digest(const appc_tree *tree);
/** Whether the digest was checked since rendering. Thread-safety: read. */
APPC_EXTERN bool appc_tree_verified(const appc_tree *tree);
/** When the tree was rendered, nanoseconds since the epoch. Thread-safety: read. */
APPC_EXTERN int64_t appc_tree_created_ns(const appc_tree *tree);
/** Last use of the tree, nanoseconds since the epoch. Thread-safety: read. */
APPC_EXTERN int64_t appc_tree_last_used_ns(const appc_tree *tree);

/**
 * Render `image` (an IMAGE of this store, resolved as appc_store_resolve()) with its dependencies,
 * found in the store, into `dir`, as appc_image_render() does with a dependency directory.
 * @param dir   must not exist, or be an empty directory.
 * @param opts  render options or NULL for defaults.
 * @return as appc_image_render(), and the lookup errors of appc_store_resolve().
 * Thread-safety: any (distinct `dir`s).
 */
APPC_EXTERN int appc_store_render(appc_store *store, const char *image, const char *dir,
                                  const appc_render_options *opts);

/**
 * Record that `holder` (a pod UUID) uses the image `image_id` and, when `tree_key` is not NULL,
 * the tree `tree_key`: appc_store_rm() refuses the image unless forced, appc_store_gc() keeps both.
 * @return APPC_OK; APPC_ENOTFOUND for an unknown image or tree; APPC_EINVALID for NULL or empty
 *         arguments.
 * Thread-safety: any.
 */
APPC_EXTERN int appc_store_add_ref(appc_store *store, const char *holder, const char *image_id,
                                   const char *tree_key);

/**
 * Drop every reference of `holder` (none is not an error).
 * Thread-safety: any.
 */
APPC_EXTERN int appc_store_drop_refs(appc_store *store, const char *holder);

/**
 * Remove `image` (its blob, its index row and the trees rendered from it).
 * @param force  remove it even when a holder references it.
 * @param[out] id_out       the removed image's ID (owned by the caller, appc_buf_dispose()); may be
 *                          NULL.
 * @param[out] bytes_freed  bytes of blob and trees removed; may be NULL.
 * @return APPC_OK; lookup errors as appc_store_resolve(); APPC_ECONFLICT when the image is in use
 *         (the message names a holder) and `force` is false; APPC_EOS / APPC_EPERM.
 * Thread-safety: any.
 */
APPC_EXTERN int appc_store_rm(appc_store *store, const char *image, bool force, appc_buf *id_out,
                              uint64_t *bytes_freed);

/**
 * Garbage collection: unreferenced trees unused for longer than tree_grace_s, unreferenced images
 * unused for longer than image_grace_s (with their trees), and the debris of killed processes.
 * @param[out] out  what was removed, owned by the caller (appc_store_gc_result_free()).
 * @param opts      gc options or NULL for defaults.
 * Thread-safety: any.
 */
APPC_EXTERN int appc_store_gc(appc_store_gc_result **out, appc_store *store,
                              const appc_store_gc_options *opts);

/** Release a gc result. NULL is a no-op. Thread-safety: write. */
APPC_EXTERN void appc_store_gc_result_free(appc_store_gc_result *r);
/** Number of images removed. Thread-safety: read. */
APPC_EXTERN size_t appc_store_gc_result_image_count(const appc_store_gc_result *r);
/** ID of removed image `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_store_gc_result_image(const appc_store_gc_result *r, size_t i);
/** Number of trees removed. Thread-safety: read. */
APPC_EXTERN size_t appc_store_gc_result_tree_count(const appc_store_gc_result *r);
/** Key of removed tree `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_store_gc_result_tree(const appc_store_gc_result *r, size_t i);
/** Number of leftovers of killed processes removed. Thread-safety: read. */
APPC_EXTERN uint64_t appc_store_gc_result_debris(const appc_store_gc_result *r);
/** Bytes freed (with dry_run: that would be freed). Thread-safety: read. */
APPC_EXTERN uint64_t appc_store_gc_result_bytes_freed(const appc_store_gc_result *r);

/**
 * Check the store's consistency: every index row has its blob, every blob and tree has its row,
 * nothing is left in tmp/ by a dead process; with `verify_hashes`, every blob's image ID and every
 * tree's digest are recomputed too. Problems are findings of the report, not errors.
 * @param[out] out  owned by the caller (appc_store_check_report_free()).
 * @return APPC_OK when the check ran (see appc_store_check_report_problem_count()); APPC_EOS /
 *         APPC_EPERM when it could not.
 * Thread-safety: any.
 */
APPC_EXTERN int appc_store_check(appc_store_check_report **out, appc_store *store, bool verify_hashes);

/** Release a check report. NULL is a no-op. Thread-safety: write. */
APPC_EXTERN void appc_store_check_report_free(appc_store_check_report *r);
/** Number of problems found (0: consistent). Thread-safety: read. */
APPC_EXTERN size_t appc_store_check_report_problem_count(const appc_store_check_report *r);
/** Problem `i`: one line naming the object and what is wrong. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_store_check_report_problem(const appc_store_check_report *r, size_t i);
/** Number of images checked. Thread-safety: read. */
APPC_EXTERN uint64_t appc_store_check_report_images(const appc_store_check_report *r);
/** Number of trees checked. Thread-safety: read. */
APPC_EXTERN uint64_t appc_store_check_report_trees(const appc_store_check_report *r);
/** Number of blobs found. Thread-safety: read. */
APPC_EXTERN uint64_t appc_store_check_report_blobs(const appc_store_check_report *r);

/**@}*/

/* ------------------------------------------------------------------------------------------------ */
/** @name Pods: the executor (docs/executor.md)
 * A pod runs under a root directory (`<root>/pods/<uuid>/`, images from `<root>/store`). Running
 * pods needs root (namespaces, mounts, cgroups). Every function taking `uuid` accepts a unique
 * prefix of a pod's UUID as well (APPC_ECONFLICT when ambiguous, APPC_ENOTFOUND when none).
 */
/**@{*/

/**
 * The executor of a root directory. Owned (appc_executor_open(), appc_executor_free()).
 * Thread-safety: any (pods are serialised by file locks, also across processes).
 */
typedef struct appc_executor appc_executor;

/**
 * What a pod is made of: apps from images (or a pod manifest), volumes, environment, network.
 * Owned (appc_pod_options_new(), appc_pod_options_free()). Thread-safety: write for the builder
 * calls, read while a prepare or run uses it.
 */
typedef struct appc_pod_options appc_pod_options;

/**
 * A snapshot of a pod's state. Owned when returned through `appc_pod_status **out`
 * (appc_pod_status_free()); borrowed when returned by appc_pod_list_at(). Thread-safety: read.
 */
typedef struct appc_pod_status appc_pod_status;

/** Every pod of a root, oldest first. Owned (appc_pod_list_free()). Thread-safety: read. */
typedef struct appc_pod_list appc_pod_list;

/** The UUIDs a pod gc removed. Owned (appc_pod_gc_result_free()). Thread-safety: read. */
typedef struct appc_pod_gc_result appc_pod_gc_result;

/** Network of a pod. Stable values. */
typedef enum appc_net_mode {
  APPC_NET_NONE = 0,   /**< a network namespace of its own with only loopback, up */
  APPC_NET_HOST = 1    /**< the host's network namespace */
} appc_net_mode;

/** Lifecycle state of a pod. Stable values. */
typedef enum appc_pod_state {
  APPC_POD_PREPARED = 0,   /**< reified, never run */
  APPC_POD_RUNNING = 1,    /**< its supervisor runs */
  APPC_POD_EXITED = 2      /**< ended (also when its supervisor was killed: see appc_pod_status_stale()) */
} appc_pod_state;

/** "none", "host"; NULL for an unknown value. Static. Thread-safety: any. */
APPC_EXTERN const char *appc_net_mode_name(int mode);
/** "prepared", "running", "exited"; NULL for an unknown value. Static. Thread-safety: any. */
APPC_EXTERN const char *appc_pod_state_name(int state);

/** Options of appc_executor_open(). */
typedef struct appc_executor_options {
  unsigned int version;     /**< APPC_EXECUTOR_OPTIONS_VERSION */
  const char *supervisor;   /**< the appc-supervisor program; NULL: $APPC_SUPERVISOR, else the installed one */
} appc_executor_options;

#define APPC_EXECUTOR_OPTIONS_VERSION 1
#define APPC_EXECUTOR_OPTIONS_INIT { APPC_EXECUTOR_OPTIONS_VERSION, NULL }

/**
 * Fill `opts` with the defaults for structure version `version` (supervisor NULL).
 * @return APPC_OK; APPC_EINVALID when `opts` is NULL or `version` is 0 or unknown.
 * Thread-safety: write (on `opts`).
 */
APPC_EXTERN int appc_executor_options_init(appc_executor_options *opts, unsigned int version);

/**
 * Open the executor of `root` (created when missing, with its store).
 * @param[out] out  owned by the caller (appc_executor_free()).
 * @param root      the root directory; NULL: $APPC_ROOT, else /var/lib/appc.
 * @param opts      executor options or NULL for defaults.
 * @return APPC_OK; APPC_EINVALID for bad options; APPC_EOS / APPC_EPERM when the root or its store
 *         cannot be opened.
 * Thread-safety: any.
 */
APPC_EXTERN int appc_executor_open(appc_executor **out, const char *root, const appc_executor_options *opts);

/** Release an executor (running pods keep running). NULL is a no-op. Thread-safety: write. */
APPC_EXTERN void appc_executor_free(appc_executor *exec);
/** The root directory. Borrowed from `exec`. Thread-safety: read. */
APPC_EXTERN const char *appc_executor_root(const appc_executor *exec);
/** The supervisor program pods run. Borrowed from `exec`. Thread-safety: read. */
APPC_EXTERN const char *appc_executor_supervisor(const appc_executor *exec);

/**
 * An empty pod: no app, no volume, network APPC_NET_NONE, hostname and UUID chosen at prepare.
 * @param[out] out  owned by the caller (appc_pod_options_free()).
 * Thread-safety: any.
 */
APPC_EXTERN int appc_pod_options_new(appc_pod_options **out);
/** Release pod options. NULL is a no-op. Thread-safety: write. */
APPC_EXTERN void appc_pod_options_free(appc_pod_options *opts);

/**
 * Append an app made from `image`: a stored image's ID or unique ID prefix ("sha512-..."), a
 * name with optional labels ("example.com/app,version=1.0"), or the path of an ACI file (imported
 * into the store at prepare).
 * @param[out] index  the app's index for the appc_pod_options_app_ calls; may be NULL.
 * @return APPC_OK; APPC_EINVALID for a NULL or empty image, or when a pod manifest was set.
 * Thread-safety: write.
 */
APPC_EXTERN int appc_pod_options_add_app(appc_pod_options *opts, const char *image, size_t *index);
/** Number of apps added. Thread-safety: read. */
APPC_EXTERN size_t appc_pod_options_app_count(const appc_pod_options *opts);

/**
 * The name of app `app` in the pod (an AC Name; default: derived from the image's name).
 * The appc_pod_options_app_ calls return APPC_ENOTFOUND for an `app` index out of range and
 * APPC_EINVALID for NULL or empty strings. Thread-safety: write (all of them).
 */
APPC_EXTERN int appc_pod_options_app_set_name(appc_pod_options *opts, size_t app, const char *name);
/** Replace the app's exec with `argc` strings of `argv` (argc > 0). Thread-safety: write. */
APPC_EXTERN int appc_pod_options_app_set_exec(appc_pod_options *opts, size_t app, const char *const *argv,
                                              size_t argc);
/** Override the app's user (a name of the image's /etc/passwd, a number, or a path). Thread-safety: write. */
APPC_EXTERN int appc_pod_options_app_set_user(appc_pod_options *opts, size_t app, const char *user);
/** Override the app's group (a name of the image's /etc/group, a number, or a path). Thread-safety: write. */
APPC_EXTERN int appc_pod_options_app_set_group(appc_pod_options *opts, size_t app, const char *group);
/** Set NAME=VALUE in this app's environment, over the image's (`value` may be ""). Thread-safety: write. */
APPC_EXTERN int appc_pod_options_app_add_env(appc_pod_options *opts, size_t app, const char *name,
                                             const char *value);
/** Mount the pod volume `volume` at `path` in this app (satisfies the image's mount point there). Thread-safety: write. */
APPC_EXTERN int appc_pod_options_app_add_mount(appc_pod_options *opts, size_t app, const char *volume,
                                               const char *path);
/** Mount the app's root filesystem read-only. Thread-safety: write. */
APPC_EXTERN int appc_pod_options_app_set_read_only_rootfs(appc_pod_options *opts, size_t app, bool read_only);

/**
 * Add a pod volume (copied). Host volumes need an absolute `source`; empty volumes take mode,
 * uid and gid (defaults "0755", 0, 0).
 * @return APPC_OK; APPC_EINVALID for a kind other than "host" or "empty", or a host volume without
 *         source. Thread-safety: write.
 */
APPC_EXTERN int appc_pod_options_add_volume(appc_pod_options *opts, const appc_volume *volume);

/**
 * Parse a volume as the CLI's --volume flag writes it:
 * `NAME,kind=host|empty[,source=PATH][,readOnly=true|false][,recursive=true|false][,mode=0755][,uid=N][,gid=N]`.
 * @param[out] out  owned by the caller (appc_volume_free()).
 * @return APPC_OK; APPC_EINVALID naming the bad part (unknown key, bad value, missing kind or source).
 * Thread-safety: any.
 */
APPC_EXTERN int appc_volume_parse_flag(appc_volume **out, const char *text);

/** Set NAME=VALUE for every app of the pod, after the image's and the app's. Thread-safety: write. */
APPC_EXTERN int appc_pod_options_add_env(appc_pod_options *opts, const char *name, const char *value);
/** The pod's network. APPC_EINVALID for an unknown mode. Thread-safety: write. */
APPC_EXTERN int appc_pod_options_set_net(appc_pod_options *opts, appc_net_mode net);
/** The pod's hostname (default "appc-<uuid>"); NULL restores the default. Thread-safety: write. */
APPC_EXTERN int appc_pod_options_set_hostname(appc_pod_options *opts, const char *hostname);
/** The pod's UUID (default: a random RFC 4122 version 4 UUID); NULL restores the default. Thread-safety: write. */
APPC_EXTERN int appc_pod_options_set_uuid(appc_pod_options *opts, const char *uuid);

/**
 * Make the pod from a pod manifest, template or reified, instead of images: its images are
 * resolved through the store (by ID, else by name and labels). Volumes, environment, network and
 * hostname of `opts` still apply.
 * @param json  the document (need not be NUL-terminated); @param len its length.
 * @return APPC_OK; APPC_EINVALID with diagnostics when it does not parse or validate, or when
 *         apps were added. Thread-safety: write.
 */
APPC_EXTERN int appc_pod_options_set_pod_manifest(appc_pod_options *opts, const char *json, size_t len);

/**
 * Reify a pod: resolve (and import) every image, give every mount point a volume, check host
 * volume sources, write the pod's directory. Nothing stays behind on failure.
 * @param[out] uuid_out  the new pod's UUID, owned by the caller (appc_buf_dispose()); may be NULL.
 * @return APPC_OK; APPC_EINVALID (bad options, a mount point without volume, ...); APPC_ENOTFOUND
 *         (an image, a host volume's source); APPC_EEXISTS (the UUID is taken); APPC_EOS / APPC_EPERM.
 * Thread-safety: any (distinct or read-only `opts`).
 */
APPC_EXTERN int appc_pod_prepare(appc_executor *exec, const appc_pod_options *opts, appc_buf *uuid_out);

/** Options of appc_pod_run() and appc_pod_run_prepared(). */
typedef struct appc_pod_run_options {
  unsigned int version;   /**< APPC_POD_RUN_OPTIONS_VERSION */
  /**
   * true: return once the pod started; its supervisor outlives the caller. false (attached): the
   * apps' output also goes to the caller's stdout/stderr, their stdin is the caller's, and the call
   * returns when the pod has ended.
   */
  bool detach;
} appc_pod_run_options;

#define APPC_POD_RUN_OPTIONS_VERSION 1
#define APPC_POD_RUN_OPTIONS_INIT { APPC_POD_RUN_OPTIONS_VERSION, false }

/**
 * Fill `opts` with the defaults for structure version `version` (attached).
 * @return APPC_OK; APPC_EINVALID when `opts` is NULL or `version` is 0 or unknown.
 * Thread-safety: write (on `opts`).
 */
APPC_EXTERN int appc_pod_run_options_init(appc_pod_run_options *opts, unsigned int version);

/** What appc_pod_run() reports. Filled by the library; `version` is set by the caller. */
typedef struct appc_pod_run_result {
  unsigned int version;   /**< APPC_POD_RUN_RESULT_VERSION */
  char uuid[37];          /**< the pod's UUID, NUL-terminated */
  bool has_exit_code;     /**< attached runs: the pod's exit status is known */
  int exit_code;          /**< the pod's exit status (docs/executor.md has the rule); -1 when unknown */
  int64_t pid;            /**< the supervisor's host pid */
} appc_pod_run_result;

#define APPC_POD_RUN_RESULT_VERSION 1
#define APPC_POD_RUN_RESULT_INIT { APPC_POD_RUN_RESULT_VERSION, { 0 }, false, -1, 0 }

/**
 * Prepare and run a pod (appc_pod_prepare(), then appc_pod_run_prepared()). When the run cannot
 * start, the prepared pod is removed.
 * @param run_opts  run options or NULL for defaults (attached).
 * @param[out] result  filled on success; may be NULL. Its version must be set.
 * @return APPC_OK (whatever the pod's own status); the errors of appc_pod_prepare(); APPC_EOS /
 *         APPC_EPERM when the pod cannot start (the message names the failed step).
 * Thread-safety: any.
 */
APPC_EXTERN int appc_pod_run(appc_executor *exec, const appc_pod_options *opts,
                             const appc_pod_run_options *run_opts, appc_pod_run_result *result);

/**
 * Run a prepared pod (only once).
 * @return as appc_pod_run(); APPC_ECONFLICT for a pod that is not prepared (running or exited).
 * Thread-safety: any.
 */
APPC_EXTERN int appc_pod_run_prepared(appc_executor *exec, const char *uuid,
                                      const appc_pod_run_options *run_opts, appc_pod_run_result *result);

/**
 * The full UUID of the pod `prefix` names.
 * @param[out] uuid_out  owned by the caller (appc_buf_dispose()).
 * @return APPC_OK; APPC_ENOTFOUND; APPC_ECONFLICT for an ambiguous prefix; APPC_EINVALID for "".
 * Thread-safety: any.
 */
APPC_EXTERN int appc_pod_resolve_uuid(appc_executor *exec, const char *prefix, appc_buf *uuid_out);

/**
 * The pod's state now. A pod whose supervisor died without recording the end (SIGKILL, reboot) is
 * reported exited and stale.
 * @param[out] out  owned by the caller (appc_pod_status_free()).
 * @return APPC_OK; APPC_ENOTFOUND; APPC_ECONFLICT for an ambiguous prefix; APPC_EOS.
 * Thread-safety: any.
 */
APPC_EXTERN int appc_pod_status_get(appc_pod_status **out, appc_executor *exec, const char *uuid);

/**
 * Wait until the pod is no longer running.
 * @param[out] out  its final status, owned by the caller (appc_pod_status_free()); may be NULL.
 * @param timeout_ms  negative: no limit.
 * @return APPC_OK; APPC_ECONFLICT when the pod still runs after `timeout_ms`; as appc_pod_status_get().
 * Thread-safety: any.
 */
APPC_EXTERN int appc_pod_wait(appc_pod_status **out, appc_executor *exec, const char *uuid, int timeout_ms);

/** Release a status. NULL is a no-op; never pass a borrowed one. Thread-safety: write. */
APPC_EXTERN void appc_pod_status_free(appc_pod_status *s);

/** The pod's UUID. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_status_uuid(const appc_pod_status *s);
/** The pod's state. Thread-safety: read. */
APPC_EXTERN appc_pod_state appc_pod_status_state(const appc_pod_status *s);
/** The supervisor ended without recording the pod's end: the state is exited, the exit code unknown. Thread-safety: read. */
APPC_EXTERN bool appc_pod_status_stale(const appc_pod_status *s);
/** The pod's exit status is known (an exited pod that is not stale). Thread-safety: read. */
APPC_EXTERN bool appc_pod_status_has_exit_code(const appc_pod_status *s);
/**
 * The pod's exit status: the first non-zero app status in app order, else 0; an app killed by
 * signal S counts as 128+S. -1 when unknown. Thread-safety: read.
 */
APPC_EXTERN int appc_pod_status_exit_code(const appc_pod_status *s);
/** The supervisor's host pid while the pod runs, else 0. Thread-safety: read. */
APPC_EXTERN int64_t appc_pod_status_pid(const appc_pod_status *s);
/** When the pod was prepared, nanoseconds since the epoch (0: unknown). Thread-safety: read. */
APPC_EXTERN int64_t appc_pod_status_created_ns(const appc_pod_status *s);
/** When the pod started, nanoseconds since the epoch (0: not started or unknown). Thread-safety: read. */
APPC_EXTERN int64_t appc_pod_status_started_ns(const appc_pod_status *s);
/** When the pod ended, nanoseconds since the epoch (0: running, or unknown). Thread-safety: read. */
APPC_EXTERN int64_t appc_pod_status_exited_ns(const appc_pod_status *s);
/** The pod's network. Thread-safety: read. */
APPC_EXTERN appc_net_mode appc_pod_status_net(const appc_pod_status *s);
/** A supervisor failure ("" when none). Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_status_error(const appc_pod_status *s);
/** Number of apps. Thread-safety: read. */
APPC_EXTERN size_t appc_pod_status_app_count(const appc_pod_status *s);
/** Name of app `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_status_app_name(const appc_pod_status *s, size_t i);
/** Image ID of app `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_status_app_image_id(const appc_pod_status *s, size_t i);
/** App `i` has exited and its status was recorded. Thread-safety: read. */
APPC_EXTERN bool appc_pod_status_app_finished(const appc_pod_status *s, size_t i);
/** App `i` never started: the pod was stopped before. Thread-safety: read. */
APPC_EXTERN bool appc_pod_status_app_skipped(const appc_pod_status *s, size_t i);
/** App `i`'s pre-start handler failed (the exit code and signal are the handler's). Thread-safety: read. */
APPC_EXTERN bool appc_pod_status_app_pre_start_failed(const appc_pod_status *s, size_t i);
/** Exit status of app `i` (0..255; 128+S when killed by signal S); -1 when not finished. Thread-safety: read. */
APPC_EXTERN int appc_pod_status_app_exit_code(const appc_pod_status *s, size_t i);
/** The signal that killed app `i`, else 0. Thread-safety: read. */
APPC_EXTERN int appc_pod_status_app_signal(const appc_pod_status *s, size_t i);

/**
 * Every pod of the root, oldest first.
 * @param[out] out  owned by the caller (appc_pod_list_free()).
 * Thread-safety: any.
 */
APPC_EXTERN int appc_pod_list_get(appc_pod_list **out, appc_executor *exec);
/** Number of pods in `list`. Thread-safety: read. */
APPC_EXTERN size_t appc_pod_list_count(const appc_pod_list *list);
/** Pod `i` of `list`; NULL when out of range. Borrowed from `list`. Thread-safety: read. */
APPC_EXTERN const appc_pod_status *appc_pod_list_at(const appc_pod_list *list, size_t i);
/** Release a list and every status borrowed from it. NULL is a no-op. Thread-safety: write. */
APPC_EXTERN void appc_pod_list_free(appc_pod_list *list);

/**
 * The pod's reified pod manifest (canonical JSON).
 * @param[out] out  owned by the caller (appc_buf_dispose()).
 * Thread-safety: any.
 */
APPC_EXTERN int appc_pod_read_manifest(appc_executor *exec, const char *uuid, appc_buf *out);

/**
 * Stop a running pod: SIGTERM to its apps (post-stop handlers run), then SIGKILL to every process
 * of the pod's cgroup after `grace_ms`. Returns when the pod has ended. A pod that already ended:
 * nothing to do.
 * @param grace_ms  negative: the default (10000).
 * @return APPC_OK; APPC_ECONFLICT for a prepared pod; as appc_pod_status_get().
 * Thread-safety: any.
 */
APPC_EXTERN int appc_pod_stop(appc_executor *exec, const char *uuid, int grace_ms);

/**
 * Remove a pod that does not run (a stale one included): its mounts, cgroup, overlay dirs, empty
 * volumes, logs, directory and store references.
 * @return APPC_OK; APPC_ECONFLICT for a running pod; as appc_pod_status_get().
 * Thread-safety: any.
 */
APPC_EXTERN int appc_pod_rm(appc_executor *exec, const char *uuid);

/** Options of appc_pod_gc(). */
typedef struct appc_pod_gc_options {
  unsigned int version;       /**< APPC_POD_GC_OPTIONS_VERSION */
  int64_t exited_grace_s;     /**< exited pods that ended longer ago than this are removed (default 1800) */
  int64_t prepared_grace_s;   /**< prepared pods never run, older than this, are removed (default 86400) */
} appc_pod_gc_options;

#define APPC_POD_GC_OPTIONS_VERSION 1
#define APPC_POD_GC_OPTIONS_INIT { APPC_POD_GC_OPTIONS_VERSION, 1800, 86400 }

/**
 * Fill `opts` with the defaults for structure version `version` (1800 s, 86400 s).
 * @return APPC_OK; APPC_EINVALID when `opts` is NULL or `version` is 0 or unknown.
 * Thread-safety: write (on `opts`).
 */
APPC_EXTERN int appc_pod_gc_options_init(appc_pod_gc_options *opts, unsigned int version);

/**
 * Remove exited pods after their grace period and prepared pods never run after theirs.
 * @param[out] out  the removed UUIDs, owned by the caller (appc_pod_gc_result_free()); may be NULL.
 * @param opts      gc options or NULL for defaults.
 * @return APPC_OK; APPC_EINVALID for a negative grace period; APPC_EOS.
 * Thread-safety: any.
 */
APPC_EXTERN int appc_pod_gc(appc_pod_gc_result **out, appc_executor *exec, const appc_pod_gc_options *opts);
/** Number of pods removed. Thread-safety: read. */
APPC_EXTERN size_t appc_pod_gc_result_count(const appc_pod_gc_result *r);
/** UUID of removed pod `i`. Borrowed. Thread-safety: read. */
APPC_EXTERN const char *appc_pod_gc_result_uuid(const appc_pod_gc_result *r, size_t i);
/** Release a gc result. NULL is a no-op. Thread-safety: write. */
APPC_EXTERN void appc_pod_gc_result_free(appc_pod_gc_result *r);

/**
 * Run a command in a running pod: its namespaces and cgroup, chrooted into an app's rootfs, with
 * the app's environment, as root. As appc_pod_enter_ext() with APPC_ENTER_TTY_AUTO: a terminal of
 * the pod's when the caller's stdin and stdout are terminals, else the caller's stdio.
 * @param app   the app's name; NULL: the pod's only app (APPC_EINVALID when there are several).
 * @param argv, argc  the command; argc 0: /bin/sh. A bare name is searched in the app's PATH.
 * @param[out] status  the command's exit status (128+S when killed by signal S); may be NULL.
 * @return APPC_OK (whatever the command's status); APPC_ECONFLICT for a pod that does not run;
 *         APPC_ENOTFOUND for an unknown app or command; APPC_EOS / APPC_EPERM.
 * Thread-safety: any.
 */
APPC_EXTERN int appc_pod_enter(appc_executor *exec, const char *uuid, const char *app, const char *const *argv,
                               size_t argc, int *status);

/** Whether appc_pod_enter_ext() gives the command a terminal. Stable values. */
typedef enum appc_enter_tty {
  /** a terminal when the caller's stdin and stdout are both terminals */
  APPC_ENTER_TTY_AUTO = 0,
  /** always a terminal (the caller's stdio is relayed through it) */
  APPC_ENTER_TTY_ALWAYS = 1,
  /** never: the command's stdio is the caller's (pipes stay pipes) */
  APPC_ENTER_TTY_NEVER = 2
} appc_enter_tty;

/** Options of appc_pod_enter_ext(). */
typedef struct appc_pod_enter_options {
  unsigned int version;   /**< APPC_POD_ENTER_OPTIONS_VERSION */
  const char *app;        /**< the app's name; NULL: the pod's only app */
  appc_enter_tty tty;     /**< a terminal for the command (default APPC_ENTER_TTY_AUTO) */
} appc_pod_enter_options;

#define APPC_POD_ENTER_OPTIONS_VERSION 1
#define APPC_POD_ENTER_OPTIONS_INIT { APPC_POD_ENTER_OPTIONS_VERSION, NULL, APPC_ENTER_TTY_AUTO }

/**
 * Fill `opts` with the defaults for structure version `version` (the only app, APPC_ENTER_TTY_AUTO).
 * @return APPC_OK; APPC_EINVALID when `opts` is NULL or `version` is 0 or unknown.
 * Thread-safety: write (on `opts`).
 */
APPC_EXTERN int appc_pod_enter_options_init(appc_pod_enter_options *opts, unsigned int version);

/**
 * appc_pod_enter() with options. With a terminal, the command gets a new pseudo-terminal of the
 * app's own /dev/pts as its stdio and controlling terminal (a session of its own: job control
 * works); the caller's terminal (its stdin, when a terminal) is put in raw mode while the bytes
 * are relayed both ways, the window size follows the caller's (SIGWINCH), and the caller's
 * terminal is restored on every way out. SIGWINCH, and SIGHUP, SIGINT, SIGQUIT and SIGTERM when
 * their disposition is SIG_DFL, are caught during the call (one such call at a time per process);
 * a terminating one restores the terminal, hangs up the command's terminal and then kills the
 * caller as it would have.
 * @param opts  enter options or NULL for defaults.
 * @return as appc_pod_enter(); APPC_EINVALID for an unknown `tty` value.
 * Thread-safety: any.
 */
APPC_EXTERN int appc_pod_enter_ext(appc_executor *exec, const char *uuid, const char *const *argv, size_t argc,
                                   const appc_pod_enter_options *opts, int *status);

/** Which output of an app a log line came from. Stable values. */
typedef enum appc_log_stream {
  APPC_LOG_STDOUT = 1,
  APPC_LOG_STDERR = 2
} appc_log_stream;

/**
 * One log line, handed to the callback of appc_pod_logs(). Strings are borrowed for the duration
 * of the call; `line` has `len` bytes, without the newline, NUL-terminated.
 * @param timestamp  RFC 3339 UTC with nanoseconds, as the supervisor wrote it.
 * @param time_ns    the same as nanoseconds since the epoch.
 * @return 0 to go on; non-zero to stop (appc_pod_logs() then returns APPC_ECANCELLED).
 */
typedef int (*appc_pod_log_cb)(const char *app, appc_log_stream stream, const char *timestamp, int64_t time_ns,
                               const char *line, size_t len, void *payload);

/** Options of appc_pod_logs(). */
typedef struct appc_pod_log_options {
  unsigned int version;   /**< APPC_POD_LOG_OPTIONS_VERSION */
  const char *app;        /**< one app's lines; NULL: every app, in app order */
  bool want_stdout;       /**< the apps' standard output */
  bool want_stderr;       /**< the apps' standard error */
  bool follow;            /**< keep reading until the pod no longer runs and everything is read */
} appc_pod_log_options;

#define APPC_POD_LOG_OPTIONS_VERSION 1
#define APPC_POD_LOG_OPTIONS_INIT { APPC_POD_LOG_OPTIONS_VERSION, NULL, true, true, false }

/**
 * Fill `opts` with the defaults for structure version `version` (every app, both streams, no follow).
 * @return APPC_OK; APPC_EINVALID when `opts` is NULL or `version` is 0 or unknown.
 * Thread-safety: write (on `opts`).
 */
APPC_EXTERN int appc_pod_log_options_init(appc_pod_log_options *opts, unsigned int version);

/**
 * Read the pod's logs, line by line, calling `cb` on the calling thread.
 * @param opts  log options or NULL for defaults.
 * @return APPC_OK; APPC_ECANCELLED when the callback stopped it; APPC_ENOTFOUND for an unknown pod
 *         or app; APPC_EOS.
 * Thread-safety: any.
 */
APPC_EXTERN int appc_pod_logs(appc_executor *exec, const char *uuid, const appc_pod_log_options *opts,
                              appc_pod_log_cb cb, void *payload);

/**@}*/

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* APPC_APPC_H */
/* APPC_HEADER_READY */
