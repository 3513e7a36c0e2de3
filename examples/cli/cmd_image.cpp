// appc image build|validate|id|extract|render|cat-manifest: ACI files.
//
// Long operations report progress on stderr (one line, rewritten in place)
// when stderr is a terminal or with --debug, and stop cleanly on SIGINT or
// SIGTERM: the signal handler only sets a flag, the progress callback returns
// non-zero at its next call, and the library removes what it had written.
// A second signal is not caught (SA_RESETHAND): it ends the process at once.
#include "cli.hpp"
#include "common.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace cli {
namespace {

void help() {
  std::printf(
      "usage: appc image build DIR OUT.aci [--compression=none|gzip|bzip2|xz|zstd] [--overwrite]\n"
      "                        [--owner-root] [--mtime=EPOCH]\n"
      "       appc image validate FILE.aci...\n"
      "       appc image id FILE.aci\n"
      "       appc image extract FILE.aci DIR [--rootfs-only] [--no-same-owner]\n"
      "       appc image render FILE.aci DIR [--deps DIR] [--no-same-owner]\n"
      "       appc image cat-manifest FILE.aci [--pretty]\n"
      "\n"
      "build         make an ACI from DIR (a `manifest` and `rootfs/`); prints the image ID.\n"
      "              Reproducible: the same tree gives the same ID. --owner-root stores every\n"
      "              entry as 0:0, --mtime=EPOCH stores that modification time everywhere,\n"
      "              --overwrite replaces an existing OUT.aci. Default compression: none.\n"
      "validate      check each archive's layout and manifest; prints \"FILE: valid (ID)\" or one\n"
      "              line per violation \"FILE: entry: message (spec N)\". Exit 0 when every file\n"
      "              is valid, 1 otherwise. With --format=json: {\"files\": [{\"file\", \"valid\",\n"
      "              \"id\", \"name\", \"errors\": [{\"path\", \"message\", \"rule\"}]}]}.\n"
      "id            print the image ID (sha512-...: SHA-512 of the uncompressed tar).\n"
      "extract       unpack safely into DIR (absent or empty); nothing stays behind on an error.\n"
      "              --rootfs-only: the contents of rootfs/ only; --no-same-owner: do not chown.\n"
      "render        unpack an ACI file with its dependencies, found in the ACI files of\n"
      "              --deps DIR, layer by layer into DIR (absent or empty).\n"
      "cat-manifest  print the image's manifest as stored; --pretty: canonical, indented.\n"
      "\n"
      "Progress is shown on stderr when it is a terminal, or with --debug. Ctrl-C cancels\n"
      "cleanly: partial output is removed.\n");
  store_help();
}

// ---------------------------------------------------------------------------
// build

int build(const Globals &g, const Args &args) {
  Parsed p;
  int rc = kExitOk;
  if (!parse_args("build", args, {"--overwrite", "--owner-root"}, {"--compression", "--mtime"}, p, rc)) return rc;
  if (p.operands.size() != 2) return usage_error("image build: expected DIR and OUT.aci");
  appc_build_options opts = APPC_BUILD_OPTIONS_INIT;
  if (const std::string *c = p.value("--compression")) {
    if (appc_compression_from_name(c->c_str(), &opts.compression) != APPC_OK)
      return usage_error("image build: --compression: " + std::string(appc_error_last()->message));
  }
  if (const std::string *m = p.value("--mtime")) {
    errno = 0;
    char *end = nullptr;
    long long v = std::strtoll(m->c_str(), &end, 10);
    if (m->empty() || *end != '\0' || errno == ERANGE)
      return usage_error("image build: --mtime: '" + *m + "' is not a number of seconds since the epoch");
    opts.has_mtime = true;
    opts.mtime = v;
  }
  opts.overwrite = p.has("--overwrite");
  opts.owner_root = p.has("--owner-root");

  Progress progress(g, 0);
  SignalGuard signals;
  opts.progress_cb = &Progress::callback;
  opts.progress_payload = &progress;
  appc_buf id = APPC_BUF_INIT;
  int st = appc_image_build(p.operands[0].c_str(), p.operands[1].c_str(), &opts, &id);
  progress.finish();
  if (st != APPC_OK) return fail_about(g, "build", p.operands[1], p.operands[0]);
  if (g.format == Format::json)
    std::printf("{\"file\":%s,\"id\":%s}\n", json_quote(p.operands[1]).c_str(), json_quote(id.ptr).c_str());
  else
    std::printf("%s\n", id.ptr);
  appc_buf_dispose(&id);
  return kExitOk;
}

// ---------------------------------------------------------------------------
// validate, id, cat-manifest

struct Finding {
  std::string path, message;
  int rule = 0;
};

std::vector<Finding> last_findings(const std::string &file) {
  std::vector<Finding> out;
  for (size_t i = 0; i < appc_error_diagnostic_count(); ++i) {
    const char *path = "", *message = "";
    int rule = 0;
    appc_error_diagnostic(i, &path, &message, &rule);
    out.push_back({path, message, rule});
  }
  // Not a list of findings (a missing file, a limit, a corrupt stream): the error itself.
  if (out.empty()) {
    std::string msg = appc_error_last()->message;
    if (msg.compare(0, file.size() + 2, file + ": ") == 0) msg.erase(0, file.size() + 2);
    out.push_back({"", msg, 0});
  }
  return out;
}

int validate(const Globals &g, const Args &args) {
  Parsed p;
  int rc = kExitOk;
  if (!parse_args("validate", args, {}, {}, p, rc)) return rc;
  if (p.operands.empty()) return usage_error("image validate: no FILE given");

  struct Report {
    std::string file, id, name;
    bool valid = false;
    std::vector<Finding> errors;
  };
  std::vector<Report> reports;
  size_t invalid = 0;
  SignalGuard signals;
  for (const std::string &file : p.operands) {
    Report r;
    r.file = file;
    Progress progress(g, file_size(file));
    appc_image_read_options opts = APPC_IMAGE_READ_OPTIONS_INIT;
    opts.progress_cb = &Progress::callback;
    opts.progress_payload = &progress;
    appc_image *img = nullptr;
    int st = appc_image_open(&img, file.c_str(), &opts);
    progress.finish();
    if (st == APPC_OK) {
      r.valid = true;
      r.id = appc_image_id(img);
      r.name = appc_image_manifest_name(appc_image_get_manifest(img));
    } else if (st == APPC_ECANCELLED) {
      return fail_about(g, "", file);
    } else {
      r.errors = last_findings(file);
      ++invalid;
    }
    appc_image_free(img);
    reports.push_back(std::move(r));
  }

  if (g.format == Format::json) {
    std::string out = "{\"files\":[";
    for (size_t i = 0; i < reports.size(); ++i) {
      const Report &r = reports[i];
      if (i) out += ',';
      out += "{\"file\":" + json_quote(r.file) + ",\"valid\":" + (r.valid ? "true" : "false") +
             ",\"id\":" + (r.valid ? json_quote(r.id) : "null") +
             ",\"name\":" + (r.valid ? json_quote(r.name) : "null") + ",\"errors\":[";
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
        std::printf("%s: valid (%s)\n", r.file.c_str(), r.id.c_str());
        continue;
      }
      for (const Finding &e : r.errors)
        std::printf("%s: %s\n", r.file.c_str(), format_finding(e.path.c_str(), e.message.c_str(), e.rule).c_str());
    }
  }
  std::fflush(stdout);
  if (invalid == 0) return kExitOk;
  return fail(std::to_string(invalid) + " of " + std::to_string(reports.size()) +
              (reports.size() == 1 ? " file is" : " files are") + " not valid");
}

// Opens one ACI for `id` and `cat-manifest`; on failure reports and returns null.
appc_image *open_one(const Globals &g, const std::string &file, int &rc) {
  Progress progress(g, file_size(file));
  SignalGuard signals;
  appc_image_read_options opts = APPC_IMAGE_READ_OPTIONS_INIT;
  opts.progress_cb = &Progress::callback;
  opts.progress_payload = &progress;
  appc_image *img = nullptr;
  int st = appc_image_open(&img, file.c_str(), &opts);
  progress.finish();
  if (st != APPC_OK) {
    rc = fail_about(g, "", file);
    return nullptr;
  }
  return img;
}

int id(const Globals &g, const Args &args) {
  Parsed p;
  int rc = kExitOk;
  if (!parse_args("id", args, {}, {}, p, rc)) return rc;
  if (p.operands.size() != 1) return usage_error("image id: exactly one FILE.aci expected");
  appc_image *img = open_one(g, p.operands[0], rc);
  if (img == nullptr) return rc;
  if (g.format == Format::json)
    std::printf("{\"file\":%s,\"id\":%s,\"compression\":%s,\"archive_size\":%llu,\"tar_size\":%llu,"
                "\"entries\":%llu}\n",
                json_quote(p.operands[0]).c_str(), json_quote(appc_image_id(img)).c_str(),
                json_quote(appc_compression_name(appc_image_compression(img))).c_str(),
                static_cast<unsigned long long>(appc_image_archive_size(img)),
                static_cast<unsigned long long>(appc_image_tar_size(img)),
                static_cast<unsigned long long>(appc_image_entry_count(img)));
  else
    std::printf("%s\n", appc_image_id(img));
  appc_image_free(img);
  return kExitOk;
}

int cat_manifest(const Globals &g, const Args &args) {
  Parsed p;
  int rc = kExitOk;
  if (!parse_args("cat-manifest", args, {"--pretty"}, {}, p, rc)) return rc;
  if (p.operands.size() != 1) return usage_error("image cat-manifest: exactly one IMAGE or FILE.aci expected");
  if (!is_existing_path(p.operands[0])) return store_cat_manifest(g, p.operands[0], p.has("--pretty"));
  appc_image *img = open_one(g, p.operands[0], rc);
  if (img == nullptr) return rc;
  std::string text;
  if (p.has("--pretty")) {
    appc_serialize_options so = APPC_SERIALIZE_OPTIONS_INIT;
    so.pretty = true;
    appc_buf buf = APPC_BUF_INIT;
    if (appc_image_manifest_serialize(appc_image_get_manifest(img), &so, &buf) != APPC_OK) {
      appc_image_free(img);
      return fail_about(g, "", p.operands[0]);
    }
    text.assign(buf.ptr, buf.size);
    appc_buf_dispose(&buf);
  } else {
    size_t len = 0;
    const char *raw = appc_image_raw_manifest(img, &len);
    text.assign(raw, len);
  }
  appc_image_free(img);
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (text.empty() || text.back() != '\n') std::fputc('\n', stdout);
  return kExitOk;
}

// ---------------------------------------------------------------------------
// extract, render

int extract(const Globals &g, const Args &args) {
  Parsed p;
  int rc = kExitOk;
  if (!parse_args("extract", args, {"--rootfs-only", "--no-same-owner"}, {}, p, rc)) return rc;
  if (p.operands.size() != 2) return usage_error("image extract: expected FILE.aci and DIR");
  const std::string &file = p.operands[0], &dir = p.operands[1];
  appc_extract_options opts = APPC_EXTRACT_OPTIONS_INIT;
  opts.rootfs_only = p.has("--rootfs-only");
  opts.preserve_owners = !p.has("--no-same-owner");
  Progress progress(g, file_size(file));
  SignalGuard signals;
  opts.progress_cb = &Progress::callback;
  opts.progress_payload = &progress;
  appc_extract_stats stats = APPC_EXTRACT_STATS_INIT;
  int st = appc_image_extract(file.c_str(), dir.c_str(), &opts, &stats);
  progress.finish();
  if (st != APPC_OK) return fail_about(g, "extract", file, dir);
  if (g.format == Format::json) {
    std::printf("{\"file\":%s,\"dir\":%s,\"id\":%s,\"entries\":%llu,\"files\":%llu,\"dirs\":%llu,"
                "\"symlinks\":%llu,\"hardlinks\":%llu,\"devices\":%llu,\"fifos\":%llu,\"skipped_devices\":%llu}\n",
                json_quote(file).c_str(), json_quote(dir).c_str(), json_quote(stats.id).c_str(),
                static_cast<unsigned long long>(stats.entries), static_cast<unsigned long long>(stats.files),
                static_cast<unsigned long long>(stats.dirs), static_cast<unsigned long long>(stats.symlinks),
                static_cast<unsigned long long>(stats.hardlinks), static_cast<unsigned long long>(stats.devices),
                static_cast<unsigned long long>(stats.fifos),
                static_cast<unsigned long long>(stats.skipped_devices));
  } else if (g.debug) {
    std::fprintf(stderr, "appc: debug: %s: %llu entries (%llu files, %llu directories, %llu symlinks)\n",
                 stats.id, static_cast<unsigned long long>(stats.entries),
                 static_cast<unsigned long long>(stats.files), static_cast<unsigned long long>(stats.dirs),
                 static_cast<unsigned long long>(stats.symlinks));
  }
  if (stats.skipped_devices > 0)
    std::fprintf(stderr, "appc: note: %llu device nodes were not created (no CAP_MKNOD)\n",
                 static_cast<unsigned long long>(stats.skipped_devices));
  return kExitOk;
}

int render(const Globals &g, const Args &args) {
  Parsed p;
  int rc = kExitOk;
  if (!parse_args("render", args, {"--no-same-owner"}, {"--deps"}, p, rc)) return rc;
  if (p.operands.size() != 2) return usage_error("image render: expected IMAGE and DIR");
  const std::string *deps = p.value("--deps");
  if (deps != nullptr && deps->empty()) return usage_error("image render: --deps needs a directory");
  if (!is_existing_path(p.operands[0])) {
    if (deps != nullptr)
      return usage_error("image render: --deps is for an ACI file; '" + p.operands[0] +
                         "' is not a file, so it is looked up in the store (with its dependencies)");
    return store_render(g, p.operands[0], p.operands[1], !p.has("--no-same-owner"));
  }
  appc_render_options opts = APPC_RENDER_OPTIONS_INIT;
  opts.preserve_owners = !p.has("--no-same-owner");
  Progress progress(g, 0);
  SignalGuard signals;
  opts.progress_cb = &Progress::callback;
  opts.progress_payload = &progress;
  int st = appc_image_render(p.operands[0].c_str(), deps ? deps->c_str() : nullptr, p.operands[1].c_str(), &opts);
  progress.finish();
  if (st != APPC_OK) return fail_about(g, "render", p.operands[0], p.operands[1]);
  return kExitOk;
}

int run(const Globals &g, const Args &args) {
  static const struct {
    const char *name;
    int (*fn)(const Globals &, const Args &);
  } kSub[] = {{"build", build},     {"validate", validate}, {"id", id},
              {"extract", extract}, {"render", render},     {"cat-manifest", cat_manifest}};
  const char *names = "build, validate, id, extract, render, cat-manifest, import, list, export, tree, rm, gc "
                      "or check";
  if (args.empty()) return usage_error(std::string("image: missing subcommand (") + names + ")");
  Args rest(args.begin() + 1, args.end());
  for (const auto &s : kSub)
    if (args.front() == s.name) return s.fn(g, rest);
  bool handled = false;
  int rc = store_subcommand(g, args.front(), rest, handled);
  if (handled) return rc;
  return usage_error("image: unknown subcommand '" + args.front() + "' (" + names + ")");
}

} // namespace

const Command kImageCommand = {"image", "build, validate, hash, extract and render ACI images; the image store",
                                run, help};

} // namespace cli
