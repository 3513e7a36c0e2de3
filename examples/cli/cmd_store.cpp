// appc image import|list|export|rm|gc|tree|check, and the stored-image forms of
// cat-manifest and render: the image store under --root (docs/store.md).
//
// IMAGE is an image ID, a unique prefix of one ("sha512-" + at least one hex
// digit), or name[,label=value...]; the store's lookup rule picks among
// several matches. Commands that only read open the store without creating it.
#include "cli.hpp"
#include "common.hpp"

#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <unistd.h>
#include <vector>

namespace cli {

void store_help() {
  std::printf(
      "\n"
      "The image store (under --root DIR, $APPC_ROOT or /var/lib/appc):\n"
      "       appc image import FILE.aci|- [--origin URL]\n"
      "       appc image list\n"
      "       appc image cat-manifest IMAGE [--pretty]\n"
      "       appc image export IMAGE OUT.aci [--overwrite]\n"
      "       appc image render IMAGE DIR [--no-same-owner]\n"
      "       appc image tree IMAGE\n"
      "       appc image rm IMAGE... [--force]\n"
      "       appc image gc [--grace DURATION] [--tree-grace DURATION] [--dry-run]\n"
      "       appc image check [--hashes]\n"
      "\n"
      "IMAGE is an image ID, a unique prefix of one (sha512-1a2b...), or\n"
      "name[,label=value...]; among several images of that name the highest `version`\n"
      "label (SemVer order) wins, then the newest import. For cat-manifest and render, an\n"
      "existing file is read as an ACI file instead.\n"
      "\n"
      "import        store the ACI (- reads standard input); prints the image ID. An image\n"
      "              already in the store is a no-op (\"already present\" on stderr).\n"
      "              --origin records where it came from (default: the file's real path).\n"
      "list          ID, NAME, LABELS, SIZE, IMPORTED, LAST USED; --format=json: full values.\n"
      "cat-manifest  the stored image's manifest in canonical form (--pretty: indented).\n"
      "export        write the stored ACI to OUT.aci (same image ID as imported).\n"
      "render        the stored image with its dependencies (from the store) into DIR.\n"
      "tree          render the image into the store once (reused afterwards) and print the\n"
      "              path of its read-only rootfs.\n"
      "rm            remove each image; one line per image. An image a pod uses is refused\n"
      "              unless --force. Exit 1 when any removal failed.\n"
      "gc            remove unreferenced trees unused for longer than --tree-grace (default 0)\n"
      "              and unreferenced images unused for longer than --grace (default 24h), and\n"
      "              leftovers of killed processes; reports what was freed. DURATION: 90s, 15m,\n"
      "              2h, 7d, 1h30m or plain seconds. --dry-run: report only.\n"
      "check         verify the store's consistency (--hashes: every blob's image ID and every\n"
      "              tree's digest too); prints every problem, exit 1 when there is any.\n");
}

namespace {

// The store at g.root. `create`: make it when missing (import, tree); the
// commands that only read refuse a missing store instead of creating one.
appc_store *open_store(const Globals &g, bool create, int &rc) {
  appc_store_options opts = APPC_STORE_OPTIONS_INIT;
  opts.create = create;
  appc_store *s = nullptr;
  if (appc_store_open(&s, g.root.c_str(), &opts) != APPC_OK) {
    rc = fail_last_error(g, "");
    return nullptr;
  }
  return s;
}

// RAII owners.
struct StoreRef {
  appc_store *p = nullptr;
  ~StoreRef() { appc_store_free(p); }
};
struct ImageRef {
  appc_store_image *p = nullptr;
  ~ImageRef() { appc_store_image_free(p); }
};

std::string short_id(const char *id) {
  std::string s = id ? id : "";
  const size_t keep = 7 + 12;   // "sha512-" + 12 hex
  return s.size() > keep ? s.substr(0, keep) : s;
}

// "2026-11-28T18:20:31Z" (UTC); "-" for 0.
std::string iso_time(int64_t ns) {
  if (ns <= 0) return "-";
  time_t t = static_cast<time_t>(ns / 1000000000);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string labels_text(const appc_store_image *img) {
  std::string s;
  for (size_t i = 0, n = appc_store_image_label_count(img); i < n; ++i) {
    if (!s.empty()) s += ',';
    s += std::string(appc_store_image_label_name(img, i)) + "=" + appc_store_image_label_value(img, i);
  }
  return s.empty() ? "-" : s;
}

std::string labels_json(const appc_store_image *img) {
  std::string s = "{";
  for (size_t i = 0, n = appc_store_image_label_count(img); i < n; ++i) {
    if (i) s += ',';
    s += json_quote(appc_store_image_label_name(img, i)) + ":" + json_quote(appc_store_image_label_value(img, i));
  }
  return s + "}";
}

std::string u64(uint64_t v) { return std::to_string(v); }

// Every field of a stored image, as one JSON object.
std::string image_json(const appc_store_image *img) {
  const char *comp = appc_compression_name(appc_store_image_compression(img));
  return "{\"id\":" + json_quote(appc_store_image_id(img)) + ",\"name\":" + json_quote(appc_store_image_name(img)) +
         ",\"labels\":" + labels_json(img) + ",\"size\":" + u64(appc_store_image_size(img)) +
         ",\"tar_size\":" + u64(appc_store_image_tar_size(img)) +
         ",\"compression\":" + json_quote(comp ? comp : "") +
         ",\"imported\":" + json_quote(iso_time(appc_store_image_imported_ns(img))) +
         ",\"imported_ns\":" + std::to_string(appc_store_image_imported_ns(img)) +
         ",\"last_used\":" + json_quote(iso_time(appc_store_image_last_used_ns(img))) +
         ",\"last_used_ns\":" + std::to_string(appc_store_image_last_used_ns(img)) +
         ",\"origin\":" + json_quote(appc_store_image_origin(img)) +
         ",\"blob\":" + json_quote(appc_store_image_blob_path(img)) + "}";
}

// "90s", "15m", "2h", "7d", "1h30m", "3600" -> seconds; false when malformed.
bool parse_duration(const std::string &text, int64_t &out) {
  if (text.empty()) return false;
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') return false;
    int64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (n > (INT64_MAX - 9) / 10) return false;
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    int64_t unit = 1;
    if (i < text.size()) {
      switch (text[i]) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      default: return false;
      }
      ++i;
    } else if (total != 0) {
      return false;   // "1h30" is ambiguous
    }
    if (n > (INT64_MAX - total) / unit) return false;
    total += n * unit;
  }
  out = total;
  return true;
}

// ---------------------------------------------------------------------------

int import_cmd(const Globals &g, const Args &args) {
  Parsed p;
  int rc = kExitOk;
  if (!parse_args("import", args, {}, {"--origin"}, p, rc)) return rc;
  if (p.operands.size() != 1) return usage_error("image import: exactly one FILE.aci (or -) expected");
  const std::string &file = p.operands[0];
  const std::string *origin = p.value("--origin");
  if (origin != nullptr && origin->empty()) return usage_error("image import: --origin needs a value");
  // Without --origin the library records the file's real path (nothing for standard input).
  std::string origin_text = origin ? *origin : std::string();

  StoreRef s;
  if ((s.p = open_store(g, true, rc)) == nullptr) return rc;
  appc_import_options opts = APPC_IMPORT_OPTIONS_INIT;
  opts.origin = origin_text.empty() ? nullptr : origin_text.c_str();
  Progress progress(g, file == "-" ? 0 : file_size(file));
  SignalGuard signals;
  opts.progress_cb = &Progress::callback;
  opts.progress_payload = &progress;
  ImageRef img;
  bool already = false;
  int st = file == "-" ? appc_store_import_fd(&img.p, s.p, STDIN_FILENO, &opts, &already)
                       : appc_store_import(&img.p, s.p, file.c_str(), &opts, &already);
  progress.finish();
  if (st != APPC_OK) return fail_about(g, "import", file == "-" ? "standard input" : file);
  if (already) std::fprintf(stderr, "appc: %s already present\n", appc_store_image_id(img.p));
  if (g.format == Format::json) {
    std::string j = image_json(img.p);
    j.insert(j.size() - 1, ",\"already_present\":" + std::string(already ? "true" : "false"));
    std::printf("%s\n", j.c_str());
  } else {
    std::printf("%s\n", appc_store_image_id(img.p));
  }
  return kExitOk;
}

int list_cmd(const Globals &g, const Args &args) {
  Parsed p;
  int rc = kExitOk;
  if (!parse_args("list", args, {}, {}, p, rc)) return rc;
  if (!p.operands.empty()) return usage_error("image list: no arguments expected");
  StoreRef s;
  if ((s.p = open_store(g, false, rc)) == nullptr) return rc;
  appc_store_image_list *list = nullptr;
  if (appc_store_list(&list, s.p) != APPC_OK) return fail_last_error(g, "list");
  const size_t n = appc_store_image_list_count(list);
  if (g.format == Format::json) {
    std::string out = "{\"images\":[";
    for (size_t i = 0; i < n; ++i) out += (i ? "," : "") + image_json(appc_store_image_list_at(list, i));
    out += "]}\n";
    std::fputs(out.c_str(), stdout);
  } else {
    struct Row {
      std::string c[6];
    };
    std::vector<Row> rows;
    rows.push_back({{"ID", "NAME", "LABELS", "SIZE", "IMPORTED", "LAST USED"}});
    for (size_t i = 0; i < n; ++i) {
      const appc_store_image *img = appc_store_image_list_at(list, i);
      rows.push_back({{short_id(appc_store_image_id(img)), appc_store_image_name(img), labels_text(img),
                       human_bytes(appc_store_image_size(img)), iso_time(appc_store_image_imported_ns(img)),
                       iso_time(appc_store_image_last_used_ns(img))}});
    }
    size_t w[6] = {0, 0, 0, 0, 0, 0};
    for (const Row &r : rows)
      for (int c = 0; c < 6; ++c) w[c] = std::max(w[c], r.c[c].size());
    for (const Row &r : rows) {
      std::string line;
      for (int c = 0; c < 6; ++c) {
        line += r.c[c];
        if (c < 5) line += std::string(w[c] - r.c[c].size() + 2, ' ');
      }
      std::printf("%s\n", line.c_str());
    }
  }
  appc_store_image_list_free(list);
  return kExitOk;
}

int export_cmd(const Globals &g, const Args &args) {
  Parsed p;
  int rc = kExitOk;
  if (!parse_args("export", args, {"--overwrite"}, {}, p, rc)) return rc;
  if (p.operands.size() != 2) return usage_error("image export: expected IMAGE and OUT.aci");
  StoreRef s;
  if ((s.p = open_store(g, false, rc)) == nullptr) return rc;
  const std::string &image = p.operands[0], &out = p.operands[1];
  if (appc_store_export(s.p, image.c_str(), out.c_str(), p.has("--overwrite")) != APPC_OK)
    return fail_about(g, "export", image, out);
  if (g.format == Format::json) {
    ImageRef img;
    if (appc_store_resolve(&img.p, s.p, image.c_str()) == APPC_OK)
      std::printf("{\"id\":%s,\"file\":%s}\n", json_quote(appc_store_image_id(img.p)).c_str(),
                  json_quote(out).c_str());
  }
  return kExitOk;
}

int tree_cmd(const Globals &g, const Args &args) {
  Parsed p;
  int rc = kExitOk;
  if (!parse_args("tree", args, {"--no-same-owner"}, {}, p, rc)) return rc;
  if (p.operands.size() != 1) return usage_error("image tree: exactly one IMAGE expected");
  StoreRef s;
  if ((s.p = open_store(g, true, rc)) == nullptr) return rc;
  appc_tree_options opts = APPC_TREE_OPTIONS_INIT;
  opts.preserve_owners = !p.has("--no-same-owner");
  Progress progress(g, 0);
  SignalGuard signals;
  opts.progress_cb = &Progress::callback;
  opts.progress_payload = &progress;
  appc_tree *t = nullptr;
  int st = appc_store_tree(&t, s.p, p.operands[0].c_str(), &opts);
  progress.finish();
  if (st != APPC_OK) return fail_about(g, "tree", p.operands[0]);
  if (g.format == Format::json) {
    std::string layers;
    for (size_t i = 0, n = appc_tree_layer_count(t); i < n; ++i)
      layers += (i ? "," : "") + json_quote(appc_tree_layer(t, i));
    std::printf("{\"key\":%s,\"image_id\":%s,\"path\":%s,\"rootfs\":%s,\"layers\":[%s],\"size\":%" PRIu64
                ",\"files\":%" PRIu64 ",\"digest\":%s,\"verified\":%s}\n",
                json_quote(appc_tree_key(t)).c_str(), json_quote(appc_tree_image_id(t)).c_str(),
                json_quote(appc_tree_path(t)).c_str(), json_quote(appc_tree_rootfs(t)).c_str(), layers.c_str(),
                appc_tree_size(t), appc_tree_files(t), json_quote(appc_tree_digest(t)).c_str(),
                appc_tree_verified(t) ? "true" : "false");
  } else {
    std::printf("%s\n", appc_tree_rootfs(t));
  }
  appc_tree_free(t);
  return kExitOk;
}

int rm_cmd(const Globals &g, const Args &args) {
  Parsed p;
  int rc = kExitOk;
  if (!parse_args("rm", args, {"--force"}, {}, p, rc)) return rc;
  if (p.operands.empty()) return usage_error("image rm: no IMAGE given");
  StoreRef s;
  if ((s.p = open_store(g, false, rc)) == nullptr) return rc;
  size_t failed = 0;
  std::string json = "{\"results\":[";
  for (size_t i = 0; i < p.operands.size(); ++i) {
    const std::string &image = p.operands[i];
    appc_buf id = APPC_BUF_INIT;
    uint64_t freed = 0;
    int st = appc_store_rm(s.p, image.c_str(), p.has("--force"), &id, &freed);
    if (i) json += ',';
    if (st == APPC_OK) {
      json += "{\"image\":" + json_quote(image) + ",\"removed\":true,\"id\":" + json_quote(id.ptr) +
              ",\"bytes_freed\":" + u64(freed) + ",\"error\":null}";
      if (g.format == Format::text) std::printf("removed %s (%s freed)\n", id.ptr, human_bytes(freed).c_str());
    } else {
      ++failed;
      const appc_error *e = appc_error_last();
      json += "{\"image\":" + json_quote(image) + ",\"removed\":false,\"id\":null,\"bytes_freed\":0,\"error\":" +
              json_quote(e->message) + ",\"status\":" + json_quote(appc_status_name(e->code)) + "}";
      fail_about(g, "rm", image);
    }
    appc_buf_dispose(&id);
  }
  json += "]}\n";
  if (g.format == Format::json) std::fputs(json.c_str(), stdout);
  std::fflush(stdout);
  if (failed == 0) return kExitOk;
  if (p.operands.size() > 1)
    fail(std::to_string(failed) + " of " + std::to_string(p.operands.size()) + " images were not removed");
  return kExitError;
}

int gc_cmd(const Globals &g, const Args &args) {
  Parsed p;
  int rc = kExitOk;
  if (!parse_args("gc", args, {"--dry-run"}, {"--grace", "--tree-grace"}, p, rc)) return rc;
  if (!p.operands.empty()) return usage_error("image gc: no arguments expected");
  appc_store_gc_options opts = APPC_STORE_GC_OPTIONS_INIT;
  if (const std::string *v = p.value("--grace"); v && !parse_duration(*v, opts.image_grace_s))
    return usage_error("image gc: --grace: '" + *v + "' is not a duration (90s, 15m, 2h, 7d, 1h30m, seconds)");
  if (const std::string *v = p.value("--tree-grace"); v && !parse_duration(*v, opts.tree_grace_s))
    return usage_error("image gc: --tree-grace: '" + *v + "' is not a duration (90s, 15m, 2h, 7d, 1h30m, seconds)");
  opts.dry_run = p.has("--dry-run");
  StoreRef s;
  if ((s.p = open_store(g, false, rc)) == nullptr) return rc;
  appc_store_gc_result *r = nullptr;
  if (appc_store_gc(&r, s.p, &opts) != APPC_OK) return fail_last_error(g, "gc");
  const size_t ni = appc_store_gc_result_image_count(r), nt = appc_store_gc_result_tree_count(r);
  if (g.format == Format::json) {
    std::string out = "{\"dry_run\":" + std::string(opts.dry_run ? "true" : "false") + ",\"images\":[";
    for (size_t i = 0; i < ni; ++i) out += (i ? "," : "") + json_quote(appc_store_gc_result_image(r, i));
    out += "],\"trees\":[";
    for (size_t i = 0; i < nt; ++i) out += (i ? "," : "") + json_quote(appc_store_gc_result_tree(r, i));
    out += "],\"debris\":" + u64(appc_store_gc_result_debris(r)) +
           ",\"bytes_freed\":" + u64(appc_store_gc_result_bytes_freed(r)) + "}\n";
    std::fputs(out.c_str(), stdout);
  } else {
    const char *verb = opts.dry_run ? "would remove" : "removed";
    for (size_t i = 0; i < ni; ++i) std::printf("%s image %s\n", verb, appc_store_gc_result_image(r, i));
    for (size_t i = 0; i < nt; ++i) std::printf("%s tree %s\n", verb, appc_store_gc_result_tree(r, i));
    std::printf("%s %zu image%s, %zu tree%s, %" PRIu64 " leftover%s: %s (%" PRIu64 " bytes)%s\n", verb, ni,
                ni == 1 ? "" : "s", nt, nt == 1 ? "" : "s", appc_store_gc_result_debris(r),
                appc_store_gc_result_debris(r) == 1 ? "" : "s", human_bytes(appc_store_gc_result_bytes_freed(r)).c_str(),
                appc_store_gc_result_bytes_freed(r), opts.dry_run ? " would be freed" : " freed");
  }
  appc_store_gc_result_free(r);
  return kExitOk;
}

int check_cmd(const Globals &g, const Args &args) {
  Parsed p;
  int rc = kExitOk;
  if (!parse_args("check", args, {"--hashes"}, {}, p, rc)) return rc;
  if (!p.operands.empty()) return usage_error("image check: no arguments expected");
  StoreRef s;
  if ((s.p = open_store(g, false, rc)) == nullptr) return rc;
  appc_store_check_report *r = nullptr;
  if (appc_store_check(&r, s.p, p.has("--hashes")) != APPC_OK) return fail_last_error(g, "check");
  const size_t n = appc_store_check_report_problem_count(r);
  if (g.format == Format::json) {
    std::string out = "{\"ok\":" + std::string(n == 0 ? "true" : "false") +
                      ",\"hashes\":" + (p.has("--hashes") ? "true" : "false") +
                      ",\"images\":" + u64(appc_store_check_report_images(r)) +
                      ",\"trees\":" + u64(appc_store_check_report_trees(r)) +
                      ",\"blobs\":" + u64(appc_store_check_report_blobs(r)) + ",\"problems\":[";
    for (size_t i = 0; i < n; ++i) out += (i ? "," : "") + json_quote(appc_store_check_report_problem(r, i));
    out += "]}\n";
    std::fputs(out.c_str(), stdout);
  } else {
    for (size_t i = 0; i < n; ++i) std::printf("%s\n", appc_store_check_report_problem(r, i));
    auto count = [](uint64_t v, const char *what) {
      return std::to_string(v) + " " + what + (v == 1 ? "" : "s");
    };
    if (n == 0)
      std::printf("ok: %s, %s, %s%s\n", count(appc_store_check_report_images(r), "image").c_str(),
                  count(appc_store_check_report_trees(r), "tree").c_str(),
                  count(appc_store_check_report_blobs(r), "blob").c_str(), p.has("--hashes") ? ", hashes verified" : "");
  }
  appc_store_check_report_free(r);
  std::fflush(stdout);
  if (n == 0) return kExitOk;
  return fail("store check found " + std::to_string(n) + (n == 1 ? " problem" : " problems"));
}

} // namespace

bool is_existing_path(const std::string &arg) { return ::access(arg.c_str(), F_OK) == 0; }

int store_cat_manifest(const Globals &g, const std::string &image, bool pretty) {
  int rc = kExitOk;
  StoreRef s;
  if ((s.p = open_store(g, false, rc)) == nullptr) return rc;
  ImageRef img;
  if (appc_store_resolve(&img.p, s.p, image.c_str()) != APPC_OK) return fail_about(g, "cat-manifest", image);
  appc_serialize_options so = APPC_SERIALIZE_OPTIONS_INIT;
  so.pretty = pretty;
  appc_buf buf = APPC_BUF_INIT;
  if (appc_image_manifest_serialize(appc_store_image_manifest(img.p), &so, &buf) != APPC_OK)
    return fail_about(g, "cat-manifest", image);
  std::fwrite(buf.ptr, 1, buf.size, stdout);
  if (buf.size == 0 || buf.ptr[buf.size - 1] != '\n') std::fputc('\n', stdout);
  appc_buf_dispose(&buf);
  return kExitOk;
}

int store_render(const Globals &g, const std::string &image, const std::string &dir, bool preserve_owners) {
  int rc = kExitOk;
  StoreRef s;
  if ((s.p = open_store(g, false, rc)) == nullptr) return rc;
  appc_render_options opts = APPC_RENDER_OPTIONS_INIT;
  opts.preserve_owners = preserve_owners;
  Progress progress(g, 0);
  SignalGuard signals;
  opts.progress_cb = &Progress::callback;
  opts.progress_payload = &progress;
  int st = appc_store_render(s.p, image.c_str(), dir.c_str(), &opts);
  progress.finish();
  if (st != APPC_OK) return fail_about(g, "render", image, dir);
  return kExitOk;
}

int store_subcommand(const Globals &g, const std::string &sub, const Args &args, bool &handled) {
  static const struct {
    const char *name;
    int (*fn)(const Globals &, const Args &);
  } kSub[] = {{"import", import_cmd}, {"list", list_cmd}, {"export", export_cmd}, {"tree", tree_cmd},
              {"rm", rm_cmd},         {"gc", gc_cmd},     {"check", check_cmd}};
  for (const auto &s : kSub)
    if (sub == s.name) {
      handled = true;
      return s.fn(g, args);
    }
  handled = false;
  return kExitUsage;
}

} // namespace cli
