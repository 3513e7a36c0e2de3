/*
 * validate_manifest: check appc image or pod manifests with libappc.
 *
 *   validate_manifest FILE...
 *
 * Prints "FILE: valid (ImageManifest)" or one line per finding
 * ("FILE: app.ports[0].port: 0 is outside 1..65535 (spec 17)").
 * Exit status: 0 all valid, 1 some invalid or unreadable, 2 usage.
 */
#include <appc/appc.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Read a whole file into a malloc'd buffer; NULL with errno set on failure. */
static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *data = NULL;
  size_t cap = 0, n = 0;
  if (f == NULL) return NULL;
  for (;;) {
    size_t got;
    if (n == cap) {
      char *bigger;
      cap = cap ? cap * 2 : 4096;
      bigger = realloc(data, cap);
      if (bigger == NULL) {
        free(data);
        fclose(f);
        errno = ENOMEM;
        return NULL;
      }
      data = bigger;
    }
    got = fread(data + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    free(data);
    fclose(f);
    errno = EIO;
    return NULL;
  }
  fclose(f);
  *len = n;
  return data;
}

static void print_findings(const char *file) {
  size_t i, n = appc_error_diagnostic_count();
  if (n == 0) {
    /* Not a validation finding (for example a size limit): the error itself. */
    printf("%s: %s\n", file, appc_error_last()->message);
    return;
  }
  for (i = 0; i < n; ++i) {
    const char *path = "", *message = "";
    int rule = 0;
    appc_error_diagnostic(i, &path, &message, &rule);
    printf("%s: ", file);
    if (path[0] != '\0') printf("%s: ", path);
    printf("%s", message);
    if (rule > 0) printf(" (spec %d)", rule);
    printf("\n");
  }
}

/* 0 valid, 1 invalid or unreadable. */
static int validate(const char *file) {
  size_t len = 0;
  int rc;
  const char *kind_name;
  char *json = read_file(file, &len);
  if (json == NULL) {
    printf("%s: cannot read: %s\n", file, strerror(errno));
    return 1;
  }
  if (appc_detect_kind(json, len) == APPC_KIND_POD) {
    appc_pod_manifest *pod = NULL;
    kind_name = "PodManifest";
    rc = appc_pod_manifest_parse(&pod, json, len, NULL);
    appc_pod_manifest_free(pod);
  } else {
    /* Image manifests, and anything else: the image parser says what is wrong. */
    appc_image_manifest *image = NULL;
    kind_name = "ImageManifest";
    rc = appc_image_manifest_parse(&image, json, len, NULL);
    appc_image_manifest_free(image);
  }
  free(json);
  if (rc == APPC_OK) {
    printf("%s: valid (%s)\n", file, kind_name);
    return 0;
  }
  print_findings(file);
  return 1;
}

int main(int argc, char **argv) {
  int i, failed = 0;
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE...\n", argv[0]);
    return 2;
  }
  for (i = 1; i < argc; ++i) failed |= validate(argv[i]);
  return failed;
}
