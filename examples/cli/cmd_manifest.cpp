// appc manifest validate FILE... | appc manifest cat FILE [--pretty]
#include "cli.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace cli {
namespace {

void help() {
  std::printf(
      "usage: appc manifest validate FILE...\n"
      "       appc manifest cat FILE [--pretty]\n"
      "\n"
      "validate  check image and pod manifests (the kind is read from acKind); prints\n"
      "          \"FILE: valid (ImageManifest)\" or one line per finding\n"
      "          \"FILE: path: message (spec N)\". Exit 0 when every file is valid, 1 otherwise.\n"
      "          With --format=json: {\"files\": [{\"file\", \"kind\", \"valid\",\n"
      "          \"errors\": [{\"path\", \"message\", \"rule\"}]}]}.\n"
      "cat       print the manifest in canonical form (--pretty: indented).\n"
      "\n"
      "FILE may be - for standard input.\n");
}

struct Finding {
  std::string path, message;
  int rule = 0;
};

struct Report {
  std::string file;
  const char *kind = "unknown";
  bool valid = false;
  std::vector<Finding> errors;
};

const char *kind_name(appc_manifest_kind k) {
  switch (k) {
  case APPC_KIND_IMAGE: return "ImageManifest";
  case APPC_KIND_POD: return "PodManifest";
  case APPC_KIND_UNKNOWN: break;
  }
  return "unknown";
}

// The library's default limit; a larger file is read one byte past it so the
// parser reports the limit (APPC_ELIMIT) rather than the CLI reading forever.
size_t max_manifest_bytes() {
  appc_parse_options o;
  if (appc_parse_options_init(&o, APPC_PARSE_OPTIONS_VERSION) != APPC_OK) return 16u << 20;
  return o.max_bytes;
}

// read_file stops one byte past the limit, so the real size is unknown.
std::string too_large(size_t limit) {
  return "larger than the limit of " + std::to_string(limit) + " bytes";
}

// The findings of the last error: its diagnostics, or the error itself.
std::vector<Finding> last_findings() {
  std::vector<Finding> out;
  size_t n = appc_error_diagnostic_count();
  for (size_t i = 0; i < n; ++i) {
    const char *path = "", *message = "";
    int rule = 0;
    appc_error_diagnostic(i, &path, &message, &rule);
    out.push_back({path, message, rule});
  }
  if (out.empty()) out.push_back({appc_error_last()->where, appc_error_last()->message, 0});
  return out;
}

// Parse `json` by its detected kind (unknown: as an image manifest, whose
// parser explains what is wrong). Returns the status; on success `canonical`
// holds the serialized form when `serialize` is set.
int parse_any(const std::string &json, appc_manifest_kind kind, const appc_serialize_options *sopts,
              std::string *canonical) {
  appc_buf buf = APPC_BUF_INIT;
  int rc;
  if (kind == APPC_KIND_POD) {
    appc_pod_manifest *pod = nullptr;
    rc = appc_pod_manifest_parse(&pod, json.data(), json.size(), nullptr);
    if (rc == APPC_OK && canonical) rc = appc_pod_manifest_serialize(pod, sopts, &buf);
    appc_pod_manifest_free(pod);
  } else {
    appc_image_manifest *img = nullptr;
    rc = appc_image_manifest_parse(&img, json.data(), json.size(), nullptr);
    if (rc == APPC_OK && canonical) rc = appc_image_manifest_serialize(img, sopts, &buf);
    appc_image_manifest_free(img);
  }
  if (rc == APPC_OK && canonical) canonical->assign(buf.ptr, buf.size);
  appc_buf_dispose(&buf);
  return rc;
}

// `json` is a buffer reused from file to file.
Report validate_one(const std::string &file, size_t limit, std::string &json) {
  Report r;
  r.file = file;
  std::string err;
  if (!read_file(file, limit, json, err)) {
    r.errors.push_back({"", "cannot read: " + err, 0});
    return r;
  }
  if (json.size() > limit) {
    r.errors.push_back({"", too_large(limit), 0});
    return r;
  }
  appc_manifest_kind kind = appc_detect_kind(json.data(), json.size());
  r.kind = kind_name(kind);
  if (parse_any(json, kind, nullptr, nullptr) == APPC_OK) {
    r.valid = true;
  } else {
    r.errors = last_findings();
  }
  return r;
}

int validate(const Globals &g, const Args &args) {
  std::vector<std::string> files;
  bool literal = false;
  for (const auto &a : args) {
    if (!literal && a == "--") {
      literal = true;
    } else if (!literal && is_flag(a)) {
      return usage_error("manifest validate: unknown flag '" + a + "'");
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) return usage_error("manifest validate: no FILE given");

  size_t limit = max_manifest_bytes();
  std::vector<Report> reports;
  size_t invalid = 0;
  std::string buffer;
  for (const auto &f : files) {
    reports.push_back(validate_one(f, limit, buffer));
    if (!reports.back().valid) ++invalid;
  }

  if (g.format == Format::json) {
    std::string out = "{\"files\":[";
    for (size_t i = 0; i < reports.size(); ++i) {
      const Report &r = reports[i];
      if (i) out += ',';
      out += "{\"file\":" + json_quote(r.file) + ",\"kind\":" + json_quote(r.kind) +
             ",\"valid\":" + (r.valid ? "true" : "false") + ",\"errors\":[";
      for (size_t j = 0; j < r.errors.size(); ++j) {
        const Finding &e = r.errors[j];
        if (j) out += ',';
        out += "{\"path\":" + json_quote(e.path) + ",\"message\":" + json_quote(e.message) +
               ",\"rule\":" + std::to_string(e.rule) + "}";
      }
      out += "]}";
    }
    out += "]}\n";
    std::fputs(out.c_str(), stdout);
  } else {
    for (const Report &r : reports) {
      if (r.valid) {
        std::printf("%s: valid (%s)\n", r.file.c_str(), r.kind);
        continue;
      }
      for (const Finding &e : r.errors)
        std::printf("%s: %s\n", r.file.c_str(),
                    format_finding(e.path.c_str(), e.message.c_str(), e.rule).c_str());
    }
  }
  std::fflush(stdout);
  if (invalid == 0) return kExitOk;
  return fail(std::to_string(invalid) + " of " + std::to_string(reports.size()) +
              (reports.size() == 1 ? " file is" : " files are") + " not valid");
}

int cat(const Globals &g, const Args &args) {
  std::vector<std::string> files;
  bool pretty = false, literal = false;
  for (const auto &a : args) {
    if (!literal && a == "--") literal = true;
    else if (!literal && a == "--pretty") pretty = true;
    else if (!literal && is_flag(a)) return usage_error("manifest cat: unknown flag '" + a + "'");
    else files.push_back(a);
  }
  if (files.size() != 1) return usage_error("manifest cat: exactly one FILE expected");
  const std::string &file = files.front();

  std::string json, err;
  const size_t limit = max_manifest_bytes();
  if (!read_file(file, limit, json, err)) return fail(file + ": cannot read: " + err);
  if (json.size() > limit) return fail(file + ": " + too_large(limit));
  appc_serialize_options sopts = APPC_SERIALIZE_OPTIONS_INIT;
  sopts.pretty = pretty;
  std::string canonical;
  if (parse_any(json, appc_detect_kind(json.data(), json.size()), &sopts, &canonical) != APPC_OK)
    return fail_last_error(g, file);
  std::fwrite(canonical.data(), 1, canonical.size(), stdout);
  std::fputc('\n', stdout);
  return kExitOk;
}

int run(const Globals &g, const Args &args) {
  if (args.empty()) return usage_error("manifest: missing subcommand (validate or cat)");
  Args rest(args.begin() + 1, args.end());
  if (args.front() == "validate") return validate(g, rest);
  if (args.front() == "cat") return cat(g, rest);
  return usage_error("manifest: unknown subcommand '" + args.front() + "' (validate or cat)");
}

} // namespace

const Command kManifestCommand = {"manifest", "validate and print image and pod manifests", run, help};

} // namespace cli
