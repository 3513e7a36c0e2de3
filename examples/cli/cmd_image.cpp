// appc image build|validate|id|extract|render|cat-manifest: ACI files.
//
// Long operations report progress on stderr (one line, rewritten in place)
// when stderr is a terminal or with --debug, and stop cleanly on SIGINT or
// SIGTERM: the signal handler only sets a flag, the progress callback returns
// non-zero at its next call, and the library removes what it had written.
// A second signal is not caught (SA_RESETHAND): it ends the process at once.
#include "cli.hpp"

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
      "       appc image render IMAGE DIR [--deps DIR] [--no-same-owner]\n"
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
      "render        unpack IMAGE (an ACI file) with its dependencies, found in the ACI files of\n"
      "              --deps DIR, layer by layer into DIR (absent or empty).\n"
      "cat-manifest  print the image's manifest as stored; --pretty: canonical, indented.\n"
      "\n"
      "Progress is shown on stderr when it is a terminal, or with --debug. Ctrl-C cancels\n"
      "cleanly: partial output is removed.\n");
}

// ---------------------------------------------------------------------------
// Cancellation and progress

volatile std::sig_atomic_t g_signal = 0;

void on_signal(int sig) { g_signal = sig; }

// Catches SIGINT and SIGTERM for the life of a long operation.
class SignalGuard {
public:
  SignalGuard() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND | SA_RESTART;
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~SignalGuard() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  SignalGuard(const SignalGuard &) = delete;
  SignalGuard &operator=(const SignalGuard &) = delete;

private:
  struct sigaction old_int_ {}, old_term_ {};
};

double now_seconds() {
  struct timespec ts {};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

std::string human_bytes(uint64_t n) {
  static const char *const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = double(n);
  size_t u = 0;
  while (v >= 1024.0 && u + 1 < sizeof kUnits / sizeof kUnits[0]) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(n));
  else std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[u]);
  return buf;
}

// The progress line. On a terminal it is rewritten in place (at most ten
// times a second) and erased at the end; with --debug on anything else, one
// line at most every second and a last one at the end.
class Progress {
public:
  Progress(const Globals &g, uint64_t total_in) : total_in_(total_in) {
    tty_ = isatty(STDERR_FILENO) == 1;
    show_ = tty_ || g.debug;
    interval_ = tty_ ? 0.1 : 1.0;
  }
  ~Progress() { finish(); }
  Progress(const Progress &) = delete;
  Progress &operator=(const Progress &) = delete;

  // The callback for every options struct: cancels once a signal came.
  static int callback(const appc_progress *p, void *payload) {
    auto *self = static_cast<Progress *>(payload);
    if (g_signal != 0) return 1;
    self->update(*p);
    return 0;
  }

  void finish() {
    if (!show_ || !shown_) return;
    if (tty_) {
      std::fputs("\r\033[K", stderr);
    } else if (!last_line_.empty() && last_line_ != printed_) {
      std::fprintf(stderr, "%s\n", last_line_.c_str());
    }
    std::fflush(stderr);
    shown_ = false;
  }

private:
  void update(const appc_progress &p) {
    if (!show_) return;
    last_line_ = format(p);
    double t = now_seconds();
    if (shown_ && t - last_ < interval_) return;
    last_ = t;
    shown_ = true;
    printed_ = last_line_;
    if (tty_) std::fprintf(stderr, "\r\033[K%s", last_line_.c_str());
    else std::fprintf(stderr, "%s\n", last_line_.c_str());
    std::fflush(stderr);
  }

  std::string format(const appc_progress &p) const {
    std::string s = std::string(p.phase) + ": " + human_bytes(p.bytes_in);
    if (total_in_ > 0) {
      char pct[16];
      std::snprintf(pct, sizeof pct, " (%d%%)",
                    int(double(std::min(p.bytes_in, total_in_)) * 100.0 / double(total_in_)));
      s += " of " + human_bytes(total_in_) + pct;
    }
    s += ", " + human_bytes(p.bytes_out) + " tar, " + std::to_string(p.entries) + " entries";
    return s;
  }

  uint64_t total_in_ = 0;
  bool tty_ = false, show_ = false, shown_ = false;
  double interval_ = 1.0, last_ = 0.0;
  std::string last_line_, printed_;
};

uint64_t file_size(const std::string &path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return uint64_t(st.st_size);
  return 0;
}

// ---------------------------------------------------------------------------
// Command lines

// Splits `args` into operands and flags; flags in `with_value` take a value
// ("--flag=V" or "--flag V"), the others none. Unknown flags are usage errors.
struct Parsed {
  std::vector<std::string> operands;
  std::vector<std::pair<std::string, std::string>> flags;  // {name, value}
  bool has(const std::string &name) const {
    for (const auto &f : flags)
      if (f.first == name) return true;
    return false;
  }
  const std::string *value(const std::string &name) const {
    const std::string *v = nullptr;
    for (const auto &f : flags)
      if (f.first == name) v = &f.second;   // the last one wins
    return v;
  }
};

bool parse_args(const std::string &cmd, const Args &args, const std::vector<std::string> &plain,
                const std::vector<std::string> &with_value, Parsed &out, int &rc) {
  bool literal = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    if (literal || !is_flag(a)) {
      out.operands.push_back(a);
      continue;
    }
    if (a == "--") {
      literal = true;
      continue;
    }
    std::string name = a, value;
    bool has_eq = false;
    if (size_t eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_eq = true;
    }
    bool known_plain = false, known_value = false;
    for (const auto &p : plain) known_plain |= p == name;
    for (const auto &v : with_value) known_value |= v == name;
    if (known_plain && !has_eq) {
      out.flags.push_back({name, ""});
    } else if (known_plain) {
      rc = usage_error("image " + cmd + ": " + name + " takes no value");
      return false;
    } else if (known_value) {
      if (!has_eq) {
        if (i + 1 >= args.size()) {
          rc = usage_error("image " + cmd + ": " + name + " needs a value");
          return false;
        }
        value = args[++i];
      }
      out.flags.push_back({name, value});
    } else {
      rc = usage_error("image " + cmd + ": unknown flag '" + a + "'");
      return false;
    }
  }
  return true;
}

// The last error of an operation on `file`, with `verb` ("extract") as context.
// The library's messages usually name the file (or `other`, the second path
// of the operation); when one does, the context does not repeat it.
int fail_about(const Globals &g, const std::string &verb, const std::string &file, const std::string &other = {}) {
  const char *msg = appc_error_last()->message;
  bool named = std::strstr(msg, file.c_str()) != nullptr || (!other.empty() && std::strstr(msg, other.c_str()));
  std::string context = verb;
  if (!named) context += (context.empty() ? "" : " ") + file;
  return fail_last_error(g, context);
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
  if (p.operands.size() != 1) return usage_error("image cat-manifest: exactly one FILE.aci expected");
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
  const char *names = "build, validate, id, extract, render or cat-manifest";
  if (args.empty()) return usage_error(std::string("image: missing subcommand (") + names + ")");
  Args rest(args.begin() + 1, args.end());
  for (const auto &s : kSub)
    if (args.front() == s.name) return s.fn(g, rest);
  return usage_error("image: unknown subcommand '" + args.front() + "' (" + names + ")");
}

} // namespace

const Command kImageCommand = {"image", "build, validate, hash, extract and render ACI images", run, help};

} // namespace cli
