// libFuzzer target over the ACI reader and the safe extractor: every input is
// an archive (plain tar, or gzip/bzip2/xz/zstd of one). It is read once with
// read_image_fd() and extracted once with extract_image() into a fresh
// directory under /dev/shm, and checked:
//
// - either success with a well-formed image ID ("sha512-" + 128 lowercase
//   hex; for an uncompressed input, the SHA-512 of the input itself), sizes
//   and counts that fit the input, a manifest that parses back to the same
//   model; or an error of an expected code with a non-empty message;
// - an extraction succeeds only when reading succeeded, with the same ID,
//   sizes and entry count, and its tree holds `manifest` (the archive's very
//   bytes) and `rootfs/`;
// - nothing exists outside the target afterwards: a sentinel directory beside
//   it (the natural destination of "../" escapes, and of absolute ones in the
//   seeds, see make_aci_seeds.py) stays empty, the sandbox holds nothing else;
//   after a failure the target does not exist at all;
// - a wrong expected ID (spec 56) or a cancelling progress callback never
//   lets an extraction succeed.
//
// Input variants are chosen by a hash of the input (deterministic, so a
// reproducer reproduces): read from a memfd or a pipe (a pipe takes the
// two-thread pipeline), rootfs-only or whole-image extraction, owners kept or
// not, an expected ID (right or wrong), a cancel after some progress calls.
//
// A custom mutator keeps mutated tar headers' checksums valid (otherwise
// nearly every mutation dies at the first checksum) and mutates gzip inputs
// inside the compression half of the time.
//
// Built by build_fuzzer.sh with clang++ -fsanitize=fuzzer,address,undefined;
// run by run_fuzz_aci.sh (meson test --suite fuzz).
#include "aci/aci.hpp"
#include "spec/manifest.hpp"
#include "util/fs.hpp"
#include "util/hash.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

namespace {

using namespace appc;

// Small bounds keep every input fast (the defaults are for real images).
constexpr uint64_t kMaxBytes = 4u << 20;
constexpr uint64_t kMaxEntries = 4096;
constexpr uint64_t kMaxManifest = 64u << 10;

struct Sandbox {
  std::string base;      // $APPC_FUZZ_SCRATCH or a fresh /dev/shm/appc-fuzz-aci-XXXXXX
  std::string box;       // base/sandbox: holds only sentinel/ (+ out/ after a success)
  std::string sentinel;  // box/sentinel: must stay empty
  std::string target;    // box/out: the extraction target
  bool owned_base = false;
  int memfd = -1;
};
Sandbox *g_box = nullptr;
bool g_verbose = false;   // APPC_FUZZ_VERBOSE=1: print each input's outcome (for reproducers)

[[noreturn]] void fail(const char *what, std::string_view detail = {}) {
  std::fprintf(stderr, "\nINVARIANT BROKEN: %s\n%.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

[[noreturn]] void setup_fail(const std::string &what) {
  std::fprintf(stderr, "fuzz_aci: setup: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(2);
}

std::vector<std::string> list_dir(const std::string &path) {
  std::vector<std::string> out;
  DIR *d = ::opendir(path.c_str());
  if (!d) fail("a sandbox directory cannot be listed", path + ": " + std::strerror(errno));
  while (struct dirent *e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  ::closedir(d);
  return out;
}

std::string join(const std::vector<std::string> &v) {
  std::string s;
  for (const auto &x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

void fresh_dir(const std::string &path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0 && !remove_tree(path)) setup_fail("remove " + path);
  if (::mkdir(path.c_str(), 0755) < 0) setup_fail("mkdir " + path);
}

void cleanup_sandbox() {
  if (!g_box) return;
  if (g_box->owned_base) (void)remove_tree(g_box->base);
  else (void)remove_tree(g_box->box);
}

uint64_t fnv1a(const uint8_t *p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

bool well_formed_id(const std::string &id) {
  if (id.size() != 7 + 128 || id.compare(0, 7, "sha512-") != 0) return false;
  for (size_t i = 7; i < id.size(); ++i)
    if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f'))) return false;
  return true;
}

void check_error(const Error &e, const char *op, std::initializer_list<Code> allowed) {
  bool ok = false;
  for (Code c : allowed) ok = ok || e.code == c;
  std::string what = std::string(op) + ": " + code_name(e.code) + ": " + e.message;
  if (!ok) fail("an error of an unexpected code", what);
  if (e.message.empty()) fail("an error with an empty message", what);
  for (const Diagnostic &d : e.diagnostics)
    if (d.message.empty()) fail("a diagnostic with an empty message", d.path);
}

// Feeds `data` into a pipe from a thread; the reader gets the read end.
class PipeFeed {
public:
  PipeFeed(const uint8_t *data, size_t size) {
    if (::pipe2(fds_, O_CLOEXEC) < 0) setup_fail("pipe2");
    int wfd = fds_[1];
    writer_ = std::thread([wfd, data, size] {
      size_t off = 0;
      while (off < size) {
        ssize_t w = ::write(wfd, data + off, size - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;   // EPIPE: the reader stopped early
        off += size_t(w);
      }
      ::close(wfd);
    });
  }
  ~PipeFeed() {
    // Closing the read end first unblocks a writer the reader abandoned.
    ::close(fds_[0]);
    writer_.join();
  }
  int fd() const { return fds_[0]; }

private:
  int fds_[2] = {-1, -1};
  std::thread writer_;
};

// ------------------------------------------------------------------ mutator

uint64_t tar_number(const uint8_t *f, size_t n, bool &ok) {
  ok = true;
  if (f[0] & 0x80) {   // base-256
    uint64_t v = f[0] & 0x3f;
    for (size_t i = 1; i < n; ++i) {
      if (v >> 55) {
        ok = false;
        return 0;
      }
      v = (v << 8) | f[i];
    }
    return v;
  }
  uint64_t v = 0;
  size_t i = 0;
  while (i < n && (f[i] == ' ' || f[i] == 0)) ++i;
  for (; i < n && f[i] >= '0' && f[i] <= '7'; ++i) v = (v << 3) | uint64_t(f[i] - '0');
  return v;
}

// Rewrites the checksum of every header met walking the archive.
void fix_tar_checksums(uint8_t *d, size_t n) {
  size_t off = 0;
  while (off + 512 <= n) {
    uint8_t *h = d + off;
    bool zero = true;
    for (size_t i = 0; i < 512 && zero; ++i) zero = h[i] == 0;
    if (zero) return;
    unsigned sum = 0;
    for (size_t i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? unsigned(' ') : h[i];
    char field[9];
    std::snprintf(field, sizeof field, "%06o", sum & 0777777);
    std::memcpy(h + 148, field, 6);
    h[154] = 0;
    h[155] = ' ';
    bool ok = false;
    uint64_t size = tar_number(h + 124, 12, ok);
    if (!ok || size > n) return;
    switch (h[156]) {   // entries whose size libarchive does not take as data
    case '2': case '3': case '4': case '5': case '6': size = 0; break;
    }
    off += 512 + size_t((size + 511) & ~uint64_t(511));
  }
}

// Decompresses into out[0, cap); the uncompressed size, or false.
bool gunzip(const uint8_t *p, size_t n, uint8_t *out, size_t cap, size_t &len) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return false;
  z.next_in = const_cast<Bytef *>(p);
  z.avail_in = uInt(n);
  z.next_out = out;
  z.avail_out = uInt(cap);
  int r = inflate(&z, Z_FINISH);
  len = cap - z.avail_out;
  inflateEnd(&z);
  return r == Z_STREAM_END;
}

bool gzip(const uint8_t *p, size_t n, uint8_t *dst, size_t cap, size_t &len) {
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) return false;
  z.next_in = const_cast<Bytef *>(p);
  z.avail_in = uInt(n);
  z.next_out = dst;
  z.avail_out = uInt(cap);
  int r = deflate(&z, Z_FINISH);
  len = cap - z.avail_out;
  deflateEnd(&z);
  return r == Z_STREAM_END;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  ::signal(SIGPIPE, SIG_IGN);
  ::umask(022);
  static Sandbox box;
  if (const char *s = std::getenv("APPC_FUZZ_SCRATCH"); s && *s) {
    // One fuzzer process at a time per scratch directory (fork mode runs one).
    box.base = s;
    if (::mkdir(box.base.c_str(), 0755) < 0 && errno != EEXIST) setup_fail("mkdir " + box.base);
  } else {
    char tmpl[] = "/dev/shm/appc-fuzz-aci-XXXXXX";
    if (!::mkdtemp(tmpl)) setup_fail("mkdtemp /dev/shm/appc-fuzz-aci-XXXXXX");
    box.base = tmpl;
    box.owned_base = true;
  }
  box.box = box.base + "/sandbox";
  box.sentinel = box.box + "/sentinel";
  box.target = box.box + "/out";
  fresh_dir(box.box);
  fresh_dir(box.sentinel);
  box.memfd = ::memfd_create("fuzz-aci", MFD_CLOEXEC);
  if (box.memfd < 0) setup_fail("memfd_create");
  g_box = &box;
  const char *v = std::getenv("APPC_FUZZ_VERBOSE");
  g_verbose = v && *v && std::strcmp(v, "0") != 0;
  std::atexit(cleanup_sandbox);
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
  aci::Compression c = aci::detect_compression(data, size);
  if (c == aci::Compression::gzip && (seed & 1)) {
    // One buffer for the life of the process (allocating and clearing 4 MiB
    // per mutation would cost more than running the input).
    static uint8_t *tar = new uint8_t[kMaxBytes];
    size_t orig = 0;
    if (gunzip(data, size, tar, kMaxBytes, orig)) {
      const size_t cap = std::min<size_t>(kMaxBytes, std::max<size_t>(orig * 2, 4096));
      size_t n = LLVMFuzzerMutate(tar, orig, cap);
      fix_tar_checksums(tar, n);
      size_t len = 0;
      if (gzip(tar, n, data, max_size, len)) return len;
    }
  }
  size_t n = LLVMFuzzerMutate(data, size, max_size);
  // One time in four, a broken checksum stays: that path must be safe too.
  if (aci::detect_compression(data, n) == aci::Compression::none && (seed & 6) != 0) fix_tar_checksums(data, n);
  return n;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Sandbox &box = *g_box;
  const uint64_t h = fnv1a(data, size);
  const bool pipe_read = h & 1, pipe_extract = h & 2, rootfs_only = (h >> 2) & 1, owners = (h >> 3) & 1;
  const unsigned expect = (h >> 4) & 3;                              // 1: the right ID, 2: a wrong one
  const uint64_t cancel_at = ((h >> 6) & 7) == 0 ? 1 + ((h >> 9) & 15) : 0;

  aci::Limits limits;
  limits.max_bytes = kMaxBytes;
  limits.max_entries = kMaxEntries;
  limits.max_manifest_bytes = kMaxManifest;
  const aci::Compression magic = aci::detect_compression(data, size);

  // --- read
  if (::ftruncate(box.memfd, 0) < 0 || (size && ::pwrite(box.memfd, data, size, 0) != ssize_t(size)) ||
      ::lseek(box.memfd, 0, SEEK_SET) != 0)
    setup_fail("writing the memfd");
  aci::ReadOptions ro;
  ro.limits = limits;
  Result<aci::ImageInfo> read = Error::make(Code::internal, "not run");
  if (pipe_read) {
    PipeFeed feed(data, size);
    read = aci::read_image_fd(feed.fd(), ro);
  } else {
    read = aci::read_image_fd(box.memfd, ro);
  }
  if (read) {
    const aci::ImageInfo &info = *read;
    if (!well_formed_id(info.id)) fail("a malformed image ID", info.id);
    if (info.compression != magic) fail("the compression differs from the magic bytes", aci::compression_name(info.compression));
    if (info.archive_size != size)
      fail("archive_size is not the input's size", std::to_string(info.archive_size) + " != " + std::to_string(size));
    if (info.tar_size > kMaxBytes) fail("tar_size over limits.max_bytes", std::to_string(info.tar_size));
    if (info.entries < 2 || info.entries > kMaxEntries) fail("an entry count out of range", std::to_string(info.entries));
    if (magic == aci::Compression::none) {
      if (info.tar_size != size) fail("an uncompressed input's tar_size is not its size");
      if (info.id != "sha512-" + sha512_hex(data, size)) fail("an uncompressed input's ID is not its SHA-512", info.id);
    }
    auto m = spec::parse_image_manifest(info.manifest_json);
    if (!m) fail("the accepted manifest does not parse", m.error().message);
    if (!(*m == info.manifest)) fail("the parsed manifest differs from the raw manifest's", info.manifest_json);
  } else {
    check_error(read.error(), "read_image_fd", {Code::invalid, Code::limit, Code::not_supported});
  }

  // --- extract
  aci::ExtractOptions xo;
  xo.limits = limits;
  xo.rootfs_only = rootfs_only;
  xo.preserve_owners = owners;
  const std::string wrong_id = "sha512-" + std::string(128, '0');
  if (expect == 1 && read) xo.expect_id = read->id;
  if (expect == 2) xo.expect_id = wrong_id;
  uint64_t calls = 0;
  bool cancelled = false;
  if (cancel_at) {
    xo.progress = [&](const aci::Progress &) {
      if (++calls < cancel_at) return true;
      cancelled = true;
      return false;
    };
  }
  Result<aci::ExtractResult> ex = Error::make(Code::internal, "not run");
  if (pipe_extract) {
    PipeFeed feed(data, size);
    ex = aci::extract_image("/proc/self/fd/" + std::to_string(feed.fd()), box.target, xo);
  } else {
    ex = aci::extract_image("/proc/self/fd/" + std::to_string(box.memfd), box.target, xo);
  }

  if (g_verbose)
    std::fprintf(stderr, "fuzz_aci: %s%s%s%s%s%s\n  read: %s\n  extract: %s\n", pipe_read ? "read from a pipe, " : "",
                 pipe_extract ? "extract from a pipe, " : "", rootfs_only ? "rootfs only, " : "",
                 owners ? "owners, " : "", expect == 1 ? "expect the ID, " : expect == 2 ? "expect a wrong ID, " : "",
                 cancel_at ? ("cancel at progress call " + std::to_string(cancel_at)).c_str() : "",
                 read ? read->id.c_str() : (std::string(code_name(read.error().code)) + ": " + read.error().message).c_str(),
                 ex ? ex->info.id.c_str() : (std::string(code_name(ex.error().code)) + ": " + ex.error().message).c_str());

  // --- nothing outside the target
  std::vector<std::string> in_sentinel = list_dir(box.sentinel);
  if (!in_sentinel.empty()) fail("the extraction wrote beside its target (into the sentinel)", join(in_sentinel));
  std::vector<std::string> in_base = list_dir(box.base);
  if (in_base.size() != 1 || in_base[0] != "sandbox")
    fail("the extraction wrote beside its target (into the scratch directory)", join(in_base));
  std::set<std::string> in_box;
  for (auto &n : list_dir(box.box)) in_box.insert(n);
  in_box.erase("sentinel");
  struct stat st;
  bool target_exists = ::lstat(box.target.c_str(), &st) == 0;

  // Reading validates exactly what extraction refuses (docs/images.md,
  // "Validation"): the verdicts must agree both ways. The one allowed
  // difference: owners that cannot be preserved, when extraction does not
  // preserve them.
  const bool only_owner_findings = !read && read.error().code == Code::invalid &&
                                   !read.error().diagnostics.empty() &&
                                   std::all_of(read.error().diagnostics.begin(), read.error().diagnostics.end(),
                                               [](const Diagnostic &d) {
                                                 return d.message.find("it cannot be preserved") != std::string::npos;
                                               });
  if (read && !ex && ex.error().code == Code::invalid)
    fail("reading accepted what extraction refused as invalid", ex.error().message);

  if (ex) {
    const aci::ExtractResult &x = *ex;
    if (!read && !(only_owner_findings && !owners))
      fail("an extraction succeeded where reading failed", read.error().message);
    if (!read) {   // owners only: nothing more to compare
      if (Status rm = remove_tree(box.target); !rm) fail("cannot remove the extracted tree", rm.error().message);
      return 0;
    }
    if (x.info.id != read->id) fail("extraction and reading disagree on the image ID", x.info.id + " != " + read->id);
    if (x.info.tar_size != read->tar_size || x.info.entries != read->entries ||
        x.info.compression != read->compression || x.info.archive_size != read->archive_size)
      fail("extraction and reading disagree on sizes, entries or compression");
    if (xo.expect_id == wrong_id) fail("an extraction succeeded with a wrong expected ID");
    if (cancelled) fail("an extraction succeeded although the progress callback cancelled it");
    if (!target_exists || !S_ISDIR(st.st_mode)) fail("a successful extraction left no target directory");
    in_box.erase("out");
    if (!rootfs_only) {
      std::string mpath = box.target + "/manifest";
      auto bytes = read_file(mpath, kMaxManifest + 1);
      if (!bytes) fail("a successful extraction has no readable manifest", bytes.error().message);
      if (*bytes != read->manifest_json) fail("the extracted manifest differs from the archive's");
      struct stat rs;
      if (::lstat((box.target + "/rootfs").c_str(), &rs) < 0 || !S_ISDIR(rs.st_mode))
        fail("a successful extraction has no rootfs directory");
    }
    if (Status rm = remove_tree(box.target); !rm) fail("cannot remove the extracted tree", rm.error().message);
  } else {
    check_error(ex.error(), "extract_image",
                {Code::invalid, Code::limit, Code::not_supported, Code::cancelled, Code::verify, Code::os});
    if (cancelled && ex.error().code != Code::cancelled)
      fail("a cancelled extraction failed with another code", ex.error().message);
    if (target_exists) fail("a failed extraction left its target behind", ex.error().message);
  }
  if (!in_box.empty()) fail("the extraction left something beside its target",
                             join(std::vector<std::string>(in_box.begin(), in_box.end())));
  return 0;
}
