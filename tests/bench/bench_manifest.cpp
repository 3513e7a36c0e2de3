// bench_manifest: the cost of libappc's manifest parse + validate + serialize.
//
//   bench_manifest [--seconds S] FILE...
//
// For each distinct content among the FILEs (kind detected from acKind) it measures, in memory,
// the time per manifest of (a) parse_*_manifest (which validates) and (b)
// parse + serialize, each repeated for about S seconds (default 1). Then it
// reads every FILE from disk, in the order given, and parses + serializes it
// (c), best of three passes: with many copies of one file on the command line
// this is the work `actool validate --type=manifest f1 ... fN` does, per file
// (plus the serialization, which actool does not do). Files are read with
// appc::read_file_into into one reused buffer, as the CLI reads them.
// One JSON object per line on stdout; no timing assertions anywhere.
#include "spec/manifest.hpp"
#include "util/fs.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace appc;
using Clock = std::chrono::steady_clock;

volatile long g_sink;

// The whole file, read by the library's reader into a buffer reused from
// file to file (as `appc manifest validate f1 ... fN` reuses its buffer):
// open, fstat, one read, close per file.
bool read_file(const char *path, std::string &out) {
  return static_cast<bool>(appc::read_file_into(path, spec::ParseOptions{}.max_bytes, out));
}

// Parse (+ validate, part of parsing) and optionally serialize; returns the
// size of the output so the work cannot be optimised away, or -1 if invalid.
long run_once(std::string_view doc, bool serialize) {
  switch (spec::detect_kind(doc)) {
  case spec::ManifestKind::image: {
    auto r = spec::parse_image_manifest(doc);
    if (!r) return -1;
    return serialize ? static_cast<long>(spec::serialize(*r).size()) : static_cast<long>(r->name.size());
  }
  case spec::ManifestKind::pod: {
    auto r = spec::parse_pod_manifest(doc);
    if (!r) return -1;
    return serialize ? static_cast<long>(spec::serialize(*r).size()) : static_cast<long>(r->apps.size());
  }
  case spec::ManifestKind::unknown: break;
  }
  return -1;
}

struct Measure {
  long iterations = 0;
  double ns_per_op = 0;
};

Measure measure(std::string_view doc, bool serialize, double seconds, long &sink) {
  Measure m;
  // Warm up, then run batches until the time budget is spent.
  for (int i = 0; i < 3; ++i) sink += run_once(doc, serialize);
  long batch = 1;
  const auto start = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (long i = 0; i < batch; ++i) sink += run_once(doc, serialize);
    m.iterations += batch;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (elapsed < seconds / 10) batch *= 2;
  }
  m.ns_per_op = elapsed * 1e9 / static_cast<double>(m.iterations);
  return m;
}

} // namespace

int main(int argc, char **argv) {
  double seconds = 1.0;
  std::vector<const char *> files;
  for (int i = 1; i < argc; ++i) {
    std::string_view a(argv[i]);
    if (a == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else {
      files.push_back(argv[i]);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: bench_manifest [--seconds S] FILE...\n");
    return 2;
  }
  long sink = 0;
  std::set<std::string> done;   // contents measured in memory (copies count once)
  for (const char *f : files) {
    std::string doc;
    if (!read_file(f, doc)) {
      std::fprintf(stderr, "bench_manifest: cannot read %s\n", f);
      return 2;
    }
    if (!done.insert(doc).second) continue;
    if (run_once(doc, true) < 0) {
      std::fprintf(stderr, "bench_manifest: %s is not a valid manifest for libappc\n", f);
      return 1;
    }
    Measure p = measure(doc, false, seconds, sink);
    Measure ps = measure(doc, true, seconds, sink);
#ifdef NDEBUG
    const bool assertions = false;
#else
    const bool assertions = true;   // e.g. meson's debugoptimized: RapidJSON's asserts are on
#endif
    std::printf("{\"mode\":\"memory\",\"file\":\"%s\",\"bytes\":%zu,\"parse_validate_ns\":%.1f,"
                "\"parse_validate_serialize_ns\":%.1f,\"iterations\":%ld,\"assertions\":%s}\n",
                f, doc.size(), p.ns_per_op, ps.ns_per_op, p.iterations + ps.iterations,
                assertions ? "true" : "false");
  }
  // From files, in the order given (each file read, parsed, serialized);
  // the best of three passes, like the reference's best of three runs.
  std::string doc;
  double best = 0;
  for (int pass = 0; pass < 3; ++pass) {
    const auto start = Clock::now();
    for (const char *f : files) {
      if (!read_file(f, doc)) return 2;
      sink += run_once(doc, true);
    }
    const double ns = std::chrono::duration<double>(Clock::now() - start).count() * 1e9;
    best = pass == 0 ? ns : std::min(best, ns);
  }
  // Where the file mode's time goes: the reads alone, and the parse +
  // serialize alone over the same files' contents read beforehand (each its
  // own buffer, as in file mode; no system calls between the parses).
  double best_io = 0, best_cpu = 0;
  std::vector<std::string> docs(files.size());
  for (size_t i = 0; i < files.size(); ++i)
    if (!read_file(files[i], docs[i])) return 2;
  for (int pass = 0; pass < 3; ++pass) {
    auto start = Clock::now();
    for (const char *f : files) {
      if (!read_file(f, doc)) return 2;
      sink += static_cast<long>(doc.size());
    }
    double ns = std::chrono::duration<double>(Clock::now() - start).count() * 1e9;
    best_io = pass == 0 ? ns : std::min(best_io, ns);
    start = Clock::now();
    for (const auto &d : docs) sink += run_once(d, true);
    ns = std::chrono::duration<double>(Clock::now() - start).count() * 1e9;
    best_cpu = pass == 0 ? ns : std::min(best_cpu, ns);
  }
  const double n = static_cast<double>(files.size());
  std::printf("{\"mode\":\"files\",\"files\":%zu,\"read_parse_validate_serialize_ns\":%.1f,"
              "\"read_only_ns\":%.1f,\"parse_validate_serialize_only_ns\":%.1f}\n",
              files.size(), best / n, best_io / n, best_cpu / n);
  g_sink = sink;  // keeps the work observable
  return 0;
}
