/* appc.h as strict C99 (-std=c99 -pedantic -Werror): every type, macro and a few calls. */
#include <appc/appc.h>

#include <stdio.h>
#include <string.h>

static int failures = 0;

#define EXPECT(cond)                                                                               \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond);                          \
      ++failures;                                                                                  \
    }                                                                                              \
  } while (0)

int main(void) {
  appc_parse_options popts = APPC_PARSE_OPTIONS_INIT;
  appc_serialize_options sopts = APPC_SERIALIZE_OPTIONS_INIT;
  appc_buf buf = APPC_BUF_INIT;
  appc_quantity q;
  appc_image_manifest *m = NULL;
  const appc_app *app;
  const appc_isolator *iso;
  const appc_error *err;
  appc_manifest_kind kind;
  appc_status st = APPC_OK;
  const char json[] = "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"example.com/c99\","
                      "\"app\":{\"exec\":[\"/bin/true\"],\"user\":\"0\",\"group\":\"0\","
                      "\"isolators\":[{\"name\":\"resource/memory\",\"value\":{\"limit\":\"1G\"}}]}}";
  int major = -1, minor = -1, patch = -1;

  EXPECT(strcmp(appc_version(), APPC_VERSION) == 0);
  appc_version_numbers(&major, &minor, &patch);
  EXPECT(major == APPC_VERSION_MAJOR && minor == APPC_VERSION_MINOR && patch == APPC_VERSION_PATCH);
  EXPECT(strcmp(appc_spec_version(), "0.8.11") == 0);
  EXPECT(strcmp(appc_status_name(st), "ok") == 0);

  kind = appc_detect_kind(json, sizeof json - 1);
  EXPECT(kind == APPC_KIND_IMAGE);

  EXPECT(appc_parse_options_init(&popts, APPC_PARSE_OPTIONS_VERSION) == APPC_OK);
  EXPECT(appc_image_manifest_parse(&m, json, sizeof json - 1, &popts) == APPC_OK);
  EXPECT(m != NULL);
  EXPECT(strcmp(appc_image_manifest_name(m), "example.com/c99") == 0);
  app = appc_image_manifest_app(m);
  EXPECT(app != NULL);
  EXPECT(appc_app_exec_count(app) == 1);
  iso = appc_app_isolator(app, 0);
  EXPECT(appc_isolator_kind_of(iso) == APPC_ISOLATOR_RESOURCE_MEMORY);
  EXPECT(appc_isolator_limit(iso, &q) && q.value == 1000000000);

  sopts.pretty = true;
  EXPECT(appc_image_manifest_serialize(m, &sopts, &buf) == APPC_OK);
  EXPECT(buf.ptr != NULL && buf.size == strlen(buf.ptr));
  appc_buf_dispose(&buf);
  EXPECT(buf.ptr == NULL);
  appc_image_manifest_free(m);

  m = NULL;
  EXPECT(appc_image_manifest_parse(&m, "{", 1, NULL) == APPC_EINVALID);
  err = appc_error_last();
  EXPECT(err->code == APPC_EINVALID && err->message[0] != '\0');
  EXPECT(appc_error_diagnostic_count() >= 1);
  {
    const char *path = NULL, *message = NULL;
    int rule = -1;
    EXPECT(appc_error_diagnostic(0, &path, &message, &rule));
    EXPECT(path != NULL && message != NULL && rule >= 0);
  }
  EXPECT(m == NULL);
  return failures == 0 ? 0 : 1;
}
