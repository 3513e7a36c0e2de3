/*
 * build_manifest: build an image manifest and a pod manifest that runs it with
 * the libappc builder calls, then print both in canonical form (one per line).
 * Exit status: 0 on success, 1 with the library's message on stderr.
 */
#include <appc/appc.h>

#include <stdio.h>
#include <string.h>

#define CHECK(call)                                                                                \
  do {                                                                                             \
    if ((call) != APPC_OK) {                                                                       \
      fprintf(stderr, "build_manifest: %s: %s\n", #call, appc_error_last()->message);              \
      goto out;                                                                                    \
    }                                                                                              \
  } while (0)

static const char image_id[] =
    "sha512-cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd"
    "47417a81a538327af927da3e";

int main(void) {
  int status = 1;
  appc_image_manifest *image = NULL;
  appc_pod_manifest *pod = NULL;
  appc_app *app = NULL;
  appc_volume *data = NULL;
  appc_buf text = APPC_BUF_INIT;
  const char *exec[] = {"/usr/bin/webserver", "--port", "8080"};
  const char memory[] = "{\"limit\": \"512Mi\"}";
  const char nnp[] = "true";
  size_t web = 0, port = 0;

  /* The image: name, labels, an app with a port, a mount point and isolators. */
  CHECK(appc_image_manifest_new(&image, "example.com/webserver"));
  CHECK(appc_image_manifest_add_label(image, "version", "1.0.0"));
  CHECK(appc_image_manifest_add_label(image, "os", "linux"));
  CHECK(appc_image_manifest_add_label(image, "arch", "amd64"));
  CHECK(appc_image_manifest_add_annotation(image, "authors", "Example Author <author@example.com>"));
  CHECK(appc_app_new(&app));
  CHECK(appc_app_set_exec(app, exec, sizeof exec / sizeof exec[0]));
  CHECK(appc_app_set_user(app, "1000"));
  CHECK(appc_app_set_group(app, "1000"));
  CHECK(appc_app_set_working_directory(app, "/srv"));
  CHECK(appc_app_add_env(app, "LANG", "C.UTF-8"));
  CHECK(appc_app_add_port(app, "http", "tcp", 8080, 1, false));
  CHECK(appc_app_add_mount_point(app, "content", "/srv/content", true));
  CHECK(appc_app_add_isolator(app, "resource/memory", memory, strlen(memory)));
  CHECK(appc_app_add_isolator(app, "os/linux/no-new-privileges", nnp, strlen(nnp)));
  CHECK(appc_image_manifest_set_app(image, app));
  CHECK(appc_image_manifest_serialize(image, NULL, &text));
  printf("%s\n", text.ptr);
  appc_buf_dispose(&text);

  /* The pod: one app from that image, a host volume, the port exposed on the host. */
  CHECK(appc_pod_manifest_new(&pod));
  CHECK(appc_pod_manifest_add_app(pod, "web", appc_image_manifest_name(image), image_id, &web));
  CHECK(appc_pod_app_add_image_label(pod, web, "version", "1.0.0"));
  CHECK(appc_pod_app_set_override(pod, web, appc_image_manifest_app(image)));
  CHECK(appc_pod_app_add_mount(pod, web, "content", "/srv/content", NULL));
  CHECK(appc_volume_new(&data, "content", "host"));
  CHECK(appc_volume_set_source(data, "/var/www"));
  CHECK(appc_volume_set_read_only(data, true));
  CHECK(appc_pod_manifest_add_volume(pod, data));
  CHECK(appc_pod_manifest_add_port(pod, "http", 80, NULL, &port));
  CHECK(appc_pod_manifest_validate(pod));
  CHECK(appc_pod_manifest_serialize(pod, NULL, &text));
  printf("%s\n", text.ptr);
  status = 0;

out:
  appc_buf_dispose(&text);
  appc_volume_free(data);
  appc_app_free(app);
  appc_pod_manifest_free(pod);
  appc_image_manifest_free(image);
  return status;
}
