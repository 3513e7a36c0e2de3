/*
 * image_info: read an ACI once with libappc and print what it is; with a
 * directory, also extract it there safely.
 *
 *   image_info FILE.aci [DIR]
 *
 * Prints "id: sha512-...", "name: ...", the labels, the compression, the
 * sizes; after an extraction "extracted: N files, N dirs, N symlinks".
 * An invalid archive prints one line per finding ("rootfs/../x: ...").
 * Exit status: 0 ok, 1 error, 2 usage.
 */
#include <appc/appc.h>

#include <inttypes.h>
#include <stdio.h>

static int report_error(const char *what) {
  const appc_error *e = appc_error_last();
  size_t i, n = appc_error_diagnostic_count();
  fprintf(stderr, "%s: %s: %s\n", what, appc_status_name(e->code), e->message);
  for (i = 0; i < n; i++) {
    const char *path = NULL, *message = NULL;
    if (appc_error_diagnostic(i, &path, &message, NULL))
      fprintf(stderr, "  %s: %s\n", path, message);
  }
  return 1;
}

int main(int argc, char **argv) {
  appc_image *img = NULL;
  const appc_image_manifest *m;
  size_t i;

  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: image_info FILE.aci [DIR]\n");
    return 2;
  }
  /* One pass: decompress, hash, check the layout, parse the manifest. */
  if (appc_image_open(&img, argv[1], NULL) != APPC_OK) return report_error(argv[1]);
  m = appc_image_get_manifest(img);
  printf("id: %s\n", appc_image_id(img));
  printf("name: %s\n", appc_image_manifest_name(m));
  for (i = 0; i < appc_image_manifest_label_count(m); i++)
    printf("label: %s=%s\n", appc_image_manifest_label_name(m, i), appc_image_manifest_label_value(m, i));
  printf("compression: %s\n", appc_compression_name(appc_image_compression(img)));
  printf("archive bytes: %" PRIu64 "\n", appc_image_archive_size(img));
  printf("tar bytes: %" PRIu64 "\n", appc_image_tar_size(img));
  printf("entries: %" PRIu64 "\n", appc_image_entry_count(img));

  if (argc == 3) {
    appc_extract_options opts = APPC_EXTRACT_OPTIONS_INIT;
    appc_extract_stats stats = APPC_EXTRACT_STATS_INIT;
    int rc;
    opts.rootfs_only = true;     /* DIR gets the root filesystem, not the manifest */
    opts.expect_id = appc_image_id(img);   /* the archive must not change in between */
    rc = appc_image_extract(argv[1], argv[2], &opts, &stats);
    if (rc != APPC_OK) {
      appc_image_free(img);
      return report_error(argv[2]);
    }
    printf("extracted: %" PRIu64 " files, %" PRIu64 " dirs, %" PRIu64 " symlinks\n", stats.files, stats.dirs,
           stats.symlinks);
  }
  appc_image_free(img);
  return 0;
}
