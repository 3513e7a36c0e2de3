// ACI images through the C ABI: open, validate, extract, build, render, with
// real archives (built by appc_image_build or by tar and the compressors) in
// scratch directories under /dev/shm. Image IDs are checked against
// `sha512sum` of the uncompressed tar, decompressed by the command-line tools.
#include "helpers.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <vector>

using namespace capi_test;
namespace fs = std::filesystem;

namespace {

// A scratch directory under /dev/shm, removed with everything in it.
struct Scratch {
  std::string path;
  Scratch() {
    char tmpl[] = "/dev/shm/appc-capi-image-XXXXXX";
    REQUIRE_MESSAGE(::mkdtemp(tmpl) != nullptr, "mkdtemp: " << std::strerror(errno));
    path = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string &rel) const { return path + "/" + rel; }
};

void write_file(const std::string &path, const std::string &content, mode_t mode = 0644) {
  fs::create_directories(fs::path(path).parent_path());
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    REQUIRE_MESSAGE(out.good(), "cannot write " << path);
    out << content;
  }
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

std::string read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs a shell command; its standard output. The command must succeed.
std::string sh(const std::string &cmd) {
  std::FILE *p = ::popen(cmd.c_str(), "r");
  REQUIRE_MESSAGE(p != nullptr, "popen " << cmd);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  REQUIRE_MESSAGE(status == 0, "command failed (" << status << "): " << cmd);
  return out;
}

const char *decompressor(appc_compression c) {
  switch (c) {
  case APPC_COMPRESSION_NONE: return "cat";
  case APPC_COMPRESSION_GZIP: return "gzip -dc";
  case APPC_COMPRESSION_BZIP2: return "bzip2 -dc";
  case APPC_COMPRESSION_XZ: return "xz -dc";
  case APPC_COMPRESSION_ZSTD: return "zstd -qdc";
  }
  return "false";
}

// "sha512-" + sha512sum of the archive's uncompressed tar stream.
std::string reference_id(const std::string &aci, appc_compression c) {
  std::string out = sh(std::string(decompressor(c)) + " < '" + aci + "' | sha512sum");
  REQUIRE(out.size() >= 128);
  return "sha512-" + out.substr(0, 128);
}

uint64_t tar_size_of(const std::string &aci, appc_compression c) {
  return std::stoull(sh(std::string(decompressor(c)) + " < '" + aci + "' | wc -c"));
}

std::string manifest_json(const std::string &name, const std::string &extra = "") {
  return R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":")" + name + "\"" + extra + "}";
}

// A layout: manifest + rootfs with a regular file, an executable in a
// subdirectory, a symlink, a hardlink and a FIFO.
void make_layout(const std::string &dir, const std::string &name = "example.com/capi") {
  write_file(dir + "/manifest", manifest_json(name));
  write_file(dir + "/rootfs/etc/motd", "hello from the capi test\n");
  write_file(dir + "/rootfs/bin/tool", "#!/bin/sh\necho tool\n", 0755);
  REQUIRE(::symlink("bin/tool", (dir + "/rootfs/tool-link").c_str()) == 0);
  REQUIRE(::link((dir + "/rootfs/bin/tool").c_str(), (dir + "/rootfs/bin/tool2").c_str()) == 0);
  REQUIRE(::mkfifo((dir + "/rootfs/fifo").c_str(), 0600) == 0);
}

std::string build(const std::string &dir, const std::string &out, appc_compression c = APPC_COMPRESSION_NONE) {
  appc_build_options o = APPC_BUILD_OPTIONS_INIT;
  o.compression = c;
  Buf id;
  APPC_OK_OR_FAIL(appc_image_build(dir.c_str(), out.c_str(), &o, &id.b));
  return id.str();
}

struct OwnedImage {
  appc_image *p = nullptr;
  ~OwnedImage() { appc_image_free(p); }
};

// The names in a directory (to see that nothing was left behind).
std::set<std::string> listing(const std::string &dir) {
  std::set<std::string> out;
  for (const auto &e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

bool exists(const std::string &path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// Progress callbacks.
struct Recorder {
  std::vector<appc_progress> seen;
  std::vector<std::string> phases;
  size_t cancel_at = SIZE_MAX;   // return non-zero on this call (0-based)
  static int cb(const appc_progress *p, void *payload) {
    auto *r = static_cast<Recorder *>(payload);
    r->seen.push_back(*p);
    r->phases.push_back(p->phase);
    return r->seen.size() - 1 >= r->cancel_at ? 1 : 0;
  }
};

// Random bytes, so that compression does not shrink a test image to one block.
std::string random_bytes(size_t n) {
  std::ifstream in("/dev/urandom", std::ios::binary);
  std::string s(n, '\0');
  in.read(s.data(), std::streamsize(n));
  REQUIRE(in.good());
  return s;
}

// A layout with a few MiB of incompressible data: several progress reports.
void make_big_layout(const std::string &dir) {
  write_file(dir + "/manifest", manifest_json("example.com/big"));
  for (int i = 0; i < 4; ++i) write_file(dir + "/rootfs/data/f" + std::to_string(i), random_bytes(1536 * 1024));
  for (int i = 0; i < 600; ++i) write_file(dir + "/rootfs/many/" + std::to_string(i), std::to_string(i));
}

const char *const kTinyManifest = R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/tiny"})"
                                  "\n";

} // namespace

TEST_CASE("aci capi: compression names round-trip; unknown names and values are refused") {
  const char *names[] = {"none", "gzip", "bzip2", "xz", "zstd"};
  for (int c = APPC_COMPRESSION_NONE; c <= APPC_COMPRESSION_ZSTD; ++c) {
    CAPTURE(c);
    REQUIRE(appc_compression_name(static_cast<appc_compression>(c)) != nullptr);
    CHECK(std::string(appc_compression_name(static_cast<appc_compression>(c))) == names[c]);
    appc_compression back = APPC_COMPRESSION_NONE;
    APPC_OK_OR_FAIL(appc_compression_from_name(names[c], &back));
    CHECK(back == c);
  }
  CHECK(appc_compression_name(static_cast<appc_compression>(5)) == nullptr);
  CHECK(appc_compression_name(static_cast<appc_compression>(-1)) == nullptr);
  appc_compression out = APPC_COMPRESSION_XZ;
  CHECK(appc_compression_from_name("GZIP", &out) == APPC_EINVALID);
  CHECK(std::string(appc_error_last()->message).find("none, gzip, bzip2, xz, zstd") != std::string::npos);
  CHECK(out == APPC_COMPRESSION_XZ);
  CHECK(appc_compression_from_name(nullptr, &out) == APPC_EINVALID);
  CHECK(appc_compression_from_name("gzip", nullptr) == APPC_EINVALID);
}

TEST_CASE("aci capi: options _init fill the defaults; version 0 or newer is refused everywhere") {
  appc_image_read_options ro;
  std::memset(&ro, 0xff, sizeof ro);
  APPC_OK_OR_FAIL(appc_image_read_options_init(&ro, APPC_IMAGE_READ_OPTIONS_VERSION));
  CHECK(ro.version == APPC_IMAGE_READ_OPTIONS_VERSION);
  CHECK(ro.max_bytes == (64ull << 30));
  CHECK(ro.max_entries == 4000000u);
  CHECK(ro.max_manifest_bytes == (16u << 20));
  CHECK((ro.progress_cb == nullptr));
  CHECK(ro.progress_payload == nullptr);

  appc_extract_options eo;
  std::memset(&eo, 0xff, sizeof eo);
  APPC_OK_OR_FAIL(appc_extract_options_init(&eo, APPC_EXTRACT_OPTIONS_VERSION));
  CHECK(eo.preserve_owners);
  CHECK_FALSE(eo.rootfs_only);
  CHECK(eo.expect_id == nullptr);
  CHECK(eo.max_entries == 4000000u);
  appc_extract_options eo_macro = APPC_EXTRACT_OPTIONS_INIT;
  CHECK(eo_macro.preserve_owners);

  appc_build_options bo;
  std::memset(&bo, 0xff, sizeof bo);
  APPC_OK_OR_FAIL(appc_build_options_init(&bo, APPC_BUILD_OPTIONS_VERSION));
  CHECK(bo.compression == APPC_COMPRESSION_NONE);
  CHECK_FALSE(bo.overwrite);
  CHECK_FALSE(bo.owner_root);
  CHECK_FALSE(bo.has_mtime);

  appc_render_options rno;
  std::memset(&rno, 0xff, sizeof rno);
  APPC_OK_OR_FAIL(appc_render_options_init(&rno, APPC_RENDER_OPTIONS_VERSION));
  CHECK(rno.preserve_owners);
  CHECK(rno.max_bytes == (64ull << 30));

  CHECK(appc_image_read_options_init(&ro, 0) == APPC_EINVALID);
  CHECK(appc_extract_options_init(&eo, APPC_EXTRACT_OPTIONS_VERSION + 1) == APPC_EINVALID);
  CHECK(appc_build_options_init(nullptr, APPC_BUILD_OPTIONS_VERSION) == APPC_EINVALID);
  CHECK(appc_render_options_init(&rno, 99) == APPC_EINVALID);

  // The operations refuse a bad version before touching any file.
  Scratch s;
  appc_image_read_options bad_ro = APPC_IMAGE_READ_OPTIONS_INIT;
  bad_ro.version = 0;
  appc_image *img = reinterpret_cast<appc_image *>(&s);  // must be reset to NULL
  CHECK(appc_image_open(&img, "/nonexistent.aci", &bad_ro) == APPC_EINVALID);
  CHECK(img == nullptr);
  CHECK(std::string(appc_error_last()->where) == "version");
  CHECK(appc_image_validate_file("/nonexistent.aci", &bad_ro) == APPC_EINVALID);
  appc_extract_options bad_eo = APPC_EXTRACT_OPTIONS_INIT;
  bad_eo.version = APPC_EXTRACT_OPTIONS_VERSION + 1;
  CHECK(appc_image_extract("/nonexistent.aci", (s / "x").c_str(), &bad_eo, nullptr) == APPC_EINVALID);
  appc_extract_stats bad_stats = APPC_EXTRACT_STATS_INIT;
  bad_stats.version = 0;
  CHECK(appc_image_extract("/nonexistent.aci", (s / "x").c_str(), nullptr, &bad_stats) == APPC_EINVALID);
  appc_build_options bad_bo = APPC_BUILD_OPTIONS_INIT;
  bad_bo.compression = static_cast<appc_compression>(9);
  CHECK(appc_image_build(s.path.c_str(), (s / "o.aci").c_str(), &bad_bo, nullptr) == APPC_EINVALID);
  CHECK(std::string(appc_error_last()->where) == "compression");
  appc_render_options bad_rno = APPC_RENDER_OPTIONS_INIT;
  bad_rno.version = 0;
  CHECK(appc_image_render("/nonexistent.aci", nullptr, (s / "x").c_str(), &bad_rno) == APPC_EINVALID);
  CHECK(listing(s.path).empty());
}

TEST_CASE("aci capi: NULL arguments are refused by name; accessors of NULL give NULL/0") {
  appc_image *img = nullptr;
  CHECK(appc_image_open(nullptr, "x", nullptr) == APPC_EINVALID);
  CHECK(appc_image_open(&img, nullptr, nullptr) == APPC_EINVALID);
  CHECK(std::string(appc_error_last()->message).find("appc_image_open: argument 'path' is NULL") !=
        std::string::npos);
  CHECK(appc_image_validate_file(nullptr, nullptr) == APPC_EINVALID);
  CHECK(appc_image_extract(nullptr, "d", nullptr, nullptr) == APPC_EINVALID);
  CHECK(appc_image_extract("a", nullptr, nullptr, nullptr) == APPC_EINVALID);
  appc_buf id = {reinterpret_cast<char *>(&img), 7};
  CHECK(appc_image_build(nullptr, "o", nullptr, &id) == APPC_EINVALID);
  CHECK(id.ptr == nullptr);
  CHECK(id.size == 0);
  CHECK(appc_image_build("d", nullptr, nullptr, nullptr) == APPC_EINVALID);
  CHECK(appc_image_render(nullptr, nullptr, "d", nullptr) == APPC_EINVALID);
  CHECK(appc_image_render("a", nullptr, nullptr, nullptr) == APPC_EINVALID);

  CHECK(appc_image_id(nullptr) == nullptr);
  CHECK(appc_image_get_manifest(nullptr) == nullptr);
  size_t len = 5;
  CHECK(appc_image_raw_manifest(nullptr, &len) == nullptr);
  CHECK(len == 0);
  CHECK(appc_image_compression(nullptr) == APPC_COMPRESSION_NONE);
  CHECK(appc_image_tar_size(nullptr) == 0);
  CHECK(appc_image_archive_size(nullptr) == 0);
  CHECK(appc_image_entry_count(nullptr) == 0);
  CHECK(appc_image_path(nullptr) == nullptr);
  appc_image_free(nullptr);
}

TEST_CASE("spec 45: built images have the ID of their uncompressed tar under every compression, reproducibly") {
  Scratch s;
  make_layout(s / "layout");
  std::string first_tar_id;
  for (int ci = APPC_COMPRESSION_NONE; ci <= APPC_COMPRESSION_ZSTD; ++ci) {
    auto c = static_cast<appc_compression>(ci);
    CAPTURE(appc_compression_name(c));
    std::string a = s / (std::string("a-") + appc_compression_name(c) + ".aci");
    std::string b = s / (std::string("b-") + appc_compression_name(c) + ".aci");
    std::string id_a = build(s / "layout", a, c);
    std::string id_b = build(s / "layout", b, c);
    CHECK(id_a == id_b);                              // reproducible
    CHECK(read_file(a) == read_file(b));              // byte for byte
    CHECK(id_a.size() == APPC_IMAGE_ID_LEN);
    CHECK(id_a == reference_id(a, c));                // = sha512sum of the decompressed tar
    // The tar stream does not depend on the compression: one ID for all five.
    if (first_tar_id.empty()) first_tar_id = id_a;
    CHECK(id_a == first_tar_id);

    OwnedImage img;
    APPC_OK_OR_FAIL(appc_image_open(&img.p, a.c_str(), nullptr));
    CHECK(std::string(appc_image_id(img.p)) == id_a);
    CHECK(appc_image_compression(img.p) == c);
    CHECK(appc_image_archive_size(img.p) == fs::file_size(a));
    CHECK(appc_image_tar_size(img.p) == tar_size_of(a, c));
    // manifest, rootfs/, bin/, bin/tool, bin/tool2, etc/, etc/motd, fifo, tool-link
    CHECK(appc_image_entry_count(img.p) == 9);
    CHECK(std::string(appc_image_path(img.p)) == a);
    CHECK(std::string(appc_image_manifest_name(appc_image_get_manifest(img.p))) == "example.com/capi");
    size_t len = 0;
    const char *raw = appc_image_raw_manifest(img.p, &len);
    REQUIRE(raw != nullptr);
    CHECK(std::string(raw, len) == read_file(s / "layout/manifest"));
    CHECK(raw[len] == '\0');
    APPC_OK_OR_FAIL(appc_image_validate_file(a.c_str(), nullptr));
  }
  // Same tree, other place, same ID: nothing of the build's time or location goes in
  // (cp -a keeps modes, owners, times, hardlinks and the FIFO).
  sh("cp -a '" + s / "layout" + "' '" + s / "copy" + "'");
  CHECK(build(s / "copy", s / "copy.aci") == first_tar_id);
}

TEST_CASE("aci capi: build options: overwrite, owner_root and mtime reach the archive") {
  Scratch s;
  make_layout(s / "layout");
  std::string out = s / "out.aci";
  std::string id = build(s / "layout", out);
  appc_build_options o = APPC_BUILD_OPTIONS_INIT;
  CHECK(appc_image_build((s / "layout").c_str(), out.c_str(), &o, nullptr) == APPC_EEXISTS);
  o.overwrite = true;
  APPC_OK_OR_FAIL(appc_image_build((s / "layout").c_str(), out.c_str(), &o, nullptr));

  // Owners as stored in the tar headers (independent of who runs the test).
  const bool root = geteuid() == 0;
  if (root) REQUIRE(::lchown((s / "layout/rootfs/etc/motd").c_str(), 4321, 8765) == 0);
  o.owner_root = true;
  o.has_mtime = true;
  o.mtime = 1234567890;
  Buf id2;
  APPC_OK_OR_FAIL(appc_image_build((s / "layout").c_str(), out.c_str(), &o, &id2.b));
  CHECK(id2.str() != id);
  std::string l = sh("TZ=UTC tar --numeric-owner --full-time -tvf '" + out + "'");
  size_t lines = 0;
  for (size_t pos = 0; pos < l.size();) {
    size_t end = l.find('\n', pos);
    std::string line = l.substr(pos, end - pos);
    pos = end == std::string::npos ? l.size() : end + 1;
    if (line.empty()) continue;
    ++lines;
    CAPTURE(line);
    CHECK(line.find(" 0/0 ") != std::string::npos);
    CHECK(line.find("2009-02-13 23:31:30") != std::string::npos);
  }
  CHECK(lines == 9);
  if (root) {
    // Without owner_root, the owner of the file as it is on disk.
    APPC_OK_OR_FAIL(appc_image_build((s / "layout").c_str(), (s / "owners.aci").c_str(), nullptr, nullptr));
    CHECK(sh("tar --numeric-owner -tvf '" + s / "owners.aci" + "' rootfs/etc/motd").find(" 4321/8765 ") !=
          std::string::npos);
  }
  // The build leaves no temporary file next to its output.
  if (root) CHECK(listing(s.path) == std::set<std::string>{"layout", "out.aci", "owners.aci"});
  else CHECK(listing(s.path) == std::set<std::string>{"layout", "out.aci"});
}

TEST_CASE("spec 45: an ACI made by GNU tar has the ID of its tar, compressed by every tool") {
  Scratch s;
  // The worked example of tests/refkit/build.sh step 6, pinned header fields.
  write_file(s / "tiny/manifest", kTinyManifest);
  write_file(s / "tiny/rootfs/hello", "hello\n");
  REQUIRE(::chmod((s / "tiny/rootfs").c_str(), 0755) == 0);
  sh("tar --format=ustar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C '" + s / "tiny" +
     "' -cf '" + s / "tiny.tar" + "' manifest rootfs");
  std::string tar_id = "sha512-" + sh("sha512sum < '" + s / "tiny.tar" + "'").substr(0, 128);
  struct {
    const char *cmd;
    appc_compression c;
  } tools[] = {{"cat", APPC_COMPRESSION_NONE},
               {"gzip -9 -n -c", APPC_COMPRESSION_GZIP},
               {"bzip2 -c", APPC_COMPRESSION_BZIP2},
               {"xz -c", APPC_COMPRESSION_XZ},
               {"zstd -q -c", APPC_COMPRESSION_ZSTD}};
  for (const auto &t : tools) {
    CAPTURE(t.cmd);
    // A misleading suffix: the compression comes from the bytes, not the name.
    std::string aci = s / (std::string("tiny-") + appc_compression_name(t.c) + ".tar.gz.aci");
    sh(std::string(t.cmd) + " < '" + s / "tiny.tar" + "' > '" + aci + "'");
    OwnedImage img;
    APPC_OK_OR_FAIL(appc_image_open(&img.p, aci.c_str(), nullptr));
    CHECK(std::string(appc_image_id(img.p)) == tar_id);
    CHECK(appc_image_compression(img.p) == t.c);
    CHECK(appc_image_tar_size(img.p) == fs::file_size(s / "tiny.tar"));
    CHECK(appc_image_entry_count(img.p) == 3);
  }
}

TEST_CASE("spec 37, 40: invalid archives are APPC_EINVALID, every violation a diagnostic naming the entry") {
  Scratch s;
  write_file(s / "l/manifest", manifest_json("Not An Identifier"));
  write_file(s / "l/rootfs/a", "a\n");
  write_file(s / "l/extra", "x\n");
  sh("tar -C '" + s / "l" + "' -cf '" + s / "bad.aci" + "' manifest rootfs extra");

  for (int pass = 0; pass < 2; ++pass) {
    CAPTURE(pass);
    if (pass == 0) {
      appc_image *img = nullptr;
      CHECK(appc_image_open(&img, (s / "bad.aci").c_str(), nullptr) == APPC_EINVALID);
      CHECK(img == nullptr);
    } else {
      CHECK(appc_image_validate_file((s / "bad.aci").c_str(), nullptr) == APPC_EINVALID);
    }
    INFO(last_error_text());
    CHECK(appc_error_diagnostic_count() == 2);
    CHECK(has_diag("extra", 40));
    CHECK(has_diag("manifest: name", 1));
  }

  // ".." and an absolute name (tar -P keeps the leading "/").
  sh("tar -C '" + s / "l" + "' -cf '" + s / "dotdot.aci" + "' --transform 's,^rootfs/a,rootfs/../../evil,' manifest rootfs");
  sh("tar -C '" + s / "l" + "' -cPf '" + s / "abs.aci" + "' --transform 's,^rootfs/a,/etc/evil,' manifest rootfs");
  write_file(s / "l/manifest", manifest_json("example.com/ok"));
  sh("tar -C '" + s / "l" + "' -cf '" + s / "dotdot2.aci" + "' --transform 's,^rootfs/a,rootfs/../../evil,' manifest rootfs");
  sh("tar -C '" + s / "l" + "' -cPf '" + s / "abs2.aci" + "' --transform 's,^rootfs/a,/etc/evil,' manifest rootfs");
  sh("tar -C '" + s / "l" + "' -cf '" + s / "norootfs.aci" + "' manifest");
  for (const char *f : {"dotdot2.aci", "abs2.aci"}) {
    CAPTURE(f);
    CHECK(appc_image_validate_file((s / f).c_str(), nullptr) == APPC_EINVALID);
    INFO(last_error_text());
    CHECK(appc_error_diagnostic_count() == 1);
    CHECK(has_diag(std::string(f) == "abs2.aci" ? "/etc/evil" : "rootfs/../../evil", 40));
    // Extraction refuses the same archive, and leaves nothing.
    CHECK(appc_image_extract((s / f).c_str(), (s / "out").c_str(), nullptr, nullptr) == APPC_EINVALID);
    CHECK_FALSE(exists(s / "out"));
    CHECK_FALSE(exists(s / "evil"));
  }
  CHECK(appc_image_validate_file((s / "norootfs.aci").c_str(), nullptr) == APPC_EINVALID);
  CHECK(has_diag("rootfs", 37));

  // Not an archive; a truncated compressed stream.
  write_file(s / "garbage.aci", "this is not a tar archive at all\n");
  CHECK(appc_image_validate_file((s / "garbage.aci").c_str(), nullptr) == APPC_EINVALID);
  CHECK(std::string(appc_error_last()->message).find("not a tar archive") != std::string::npos);
  write_file(s / "big/manifest", manifest_json("example.com/big"));
  write_file(s / "big/rootfs/blob", random_bytes(256 * 1024));
  std::string gz = s / "big.aci";
  build(s / "big", gz, APPC_COMPRESSION_GZIP);
  std::string whole = read_file(gz);
  write_file(s / "trunc.aci", whole.substr(0, whole.size() / 2));
  CHECK(appc_image_validate_file((s / "trunc.aci").c_str(), nullptr) == APPC_EINVALID);
  CHECK(std::string(appc_error_last()->message).find("truncated") != std::string::npos);

  // A missing file: not found, with the errno.
  CHECK(appc_image_validate_file((s / "missing.aci").c_str(), nullptr) == APPC_ENOTFOUND);
  CHECK(appc_error_last()->sys_errno == ENOENT);
}

TEST_CASE("spec 41: extract recreates the tree and reports what it made; rootfs_only; expect_id (spec 56)") {
  Scratch s;
  make_layout(s / "layout");
  std::string aci = s / "img.aci";
  std::string id = build(s / "layout", aci, APPC_COMPRESSION_GZIP);

  appc_extract_stats st = APPC_EXTRACT_STATS_INIT;
  APPC_OK_OR_FAIL(appc_image_extract(aci.c_str(), (s / "out").c_str(), nullptr, &st));
  CHECK(std::string(st.id) == id);
  CHECK(st.compression == APPC_COMPRESSION_GZIP);
  CHECK(st.archive_size == fs::file_size(aci));
  CHECK(st.tar_size == tar_size_of(aci, APPC_COMPRESSION_GZIP));
  CHECK(st.entries == 9);
  CHECK(st.files == 3);      // manifest, etc/motd, bin/tool
  CHECK(st.hardlinks == 1);  // bin/tool2
  CHECK(st.symlinks == 1);
  CHECK(st.fifos == 1);
  CHECK(st.dirs == 3);       // rootfs, rootfs/bin, rootfs/etc
  CHECK(st.devices == 0);
  CHECK(read_file(s / "out/manifest") == read_file(s / "layout/manifest"));
  CHECK(read_file(s / "out/rootfs/etc/motd") == "hello from the capi test\n");
  struct stat a, b;
  REQUIRE(::stat((s / "out/rootfs/bin/tool").c_str(), &a) == 0);
  REQUIRE(::stat((s / "out/rootfs/bin/tool2").c_str(), &b) == 0);
  CHECK((a.st_mode & 07777) == 0755);
  CHECK(a.st_ino == b.st_ino);
  CHECK(fs::read_symlink(s / "out/rootfs/tool-link") == "bin/tool");
  REQUIRE(::lstat((s / "out/rootfs/fifo").c_str(), &a) == 0);
  CHECK(S_ISFIFO(a.st_mode));

  // rootfs_only: the root filesystem's contents directly in the target; an existing empty directory is fine.
  REQUIRE(::mkdir((s / "rootfs-only").c_str(), 0755) == 0);
  appc_extract_options o = APPC_EXTRACT_OPTIONS_INIT;
  o.rootfs_only = true;
  o.expect_id = id.c_str();
  APPC_OK_OR_FAIL(appc_image_extract(aci.c_str(), (s / "rootfs-only").c_str(), &o, nullptr));
  CHECK(listing(s / "rootfs-only") == std::set<std::string>{"bin", "etc", "fifo", "tool-link"});

  // A non-empty target is refused and left as it was.
  CHECK(appc_image_extract(aci.c_str(), (s / "out").c_str(), nullptr, nullptr) == APPC_EEXISTS);
  CHECK(read_file(s / "out/rootfs/etc/motd") == "hello from the capi test\n");

  // expect_id: a mismatch is APPC_EVERIFY and nothing of the extraction stays.
  auto before = listing(s.path);
  std::string wrong = "sha512-" + std::string(128, '0');
  o.rootfs_only = false;
  o.expect_id = wrong.c_str();
  CHECK(appc_image_extract(aci.c_str(), (s / "verify").c_str(), &o, nullptr) == APPC_EVERIFY);
  CHECK(std::string(appc_error_last()->message).find(id) != std::string::npos);
  CHECK(listing(s.path) == before);
  o.expect_id = "";
  CHECK(appc_image_extract(aci.c_str(), (s / "verify").c_str(), &o, nullptr) == APPC_EINVALID);
  CHECK(std::string(appc_error_last()->where) == "expect_id");
  CHECK(listing(s.path) == before);
}

TEST_CASE("aci capi: extract refuses a write through a symlink planted by an earlier entry; nothing stays") {
  Scratch s;
  REQUIRE(::mkdir((s / "outside").c_str(), 0755) == 0);
  write_file(s / "l1/manifest", manifest_json("example.com/escape"));
  REQUIRE(::mkdir((s / "l1/rootfs").c_str(), 0755) == 0);
  REQUIRE(::symlink((s / "outside").c_str(), (s / "l1/rootfs/esc").c_str()) == 0);
  write_file(s / "l2/rootfs/esc/pwned", "pwned\n");
  sh("tar -C '" + s / "l1" + "' -cf '" + s / "esc.aci" + "' manifest rootfs");
  sh("tar -C '" + s / "l2" + "' -rf '" + s / "esc.aci" + "' rootfs/esc/pwned");
  CHECK(appc_image_extract((s / "esc.aci").c_str(), (s / "target").c_str(), nullptr, nullptr) == APPC_EINVALID);
  CHECK(std::string(appc_error_last()->message).find("rootfs/esc/pwned") != std::string::npos);
  CHECK(std::string(appc_error_last()->where) == "rootfs/esc/pwned");
  CHECK(listing(s / "outside").empty());
  CHECK_FALSE(exists(s / "target"));
  CHECK(listing(s.path) == std::set<std::string>{"esc.aci", "l1", "l2", "outside"});
}

TEST_CASE("aci capi: validate and store import refuse what extract refuses (a write through a symlink leading out)") {
  Scratch s;
  REQUIRE(::mkdir((s / "outside").c_str(), 0755) == 0);
  write_file(s / "l1/manifest", manifest_json("example.com/escape"));
  REQUIRE(::mkdir((s / "l1/rootfs").c_str(), 0755) == 0);
  REQUIRE(::symlink("../..", (s / "l1/rootfs/up").c_str()) == 0);
  write_file(s / "l2/rootfs/up/pwned", "pwned\n");
  sh("tar -C '" + s / "l1" + "' -cf '" + s / "esc.aci" + "' manifest rootfs");
  sh("tar -C '" + s / "l2" + "' -rf '" + s / "esc.aci" + "' rootfs/up/pwned");
  CHECK(appc_image_validate_file((s / "esc.aci").c_str(), nullptr) == APPC_EINVALID);
  const appc_error *e = appc_error_last();
  REQUIRE(e != nullptr);
  CHECK(std::string(e->where) == "rootfs/up/pwned");
  CHECK(std::string(e->message).find("rootfs/up/pwned: parent goes through a symlink that leads outside the target "
                                     "(rootfs/up -> ../.. climbs out of rootfs/)") != std::string::npos);
  CHECK(appc_image_extract((s / "esc.aci").c_str(), (s / "target").c_str(), nullptr, nullptr) == APPC_EINVALID);
  CHECK(std::string(appc_error_last()->message).find("rootfs/up/pwned: parent goes through a symlink") !=
        std::string::npos);
  appc_store *st = nullptr;
  APPC_OK_OR_FAIL(appc_store_open(&st, (s / "store").c_str(), nullptr));
  appc_store_image *img = nullptr;
  CHECK(appc_store_import(&img, st, (s / "esc.aci").c_str(), nullptr, nullptr) == APPC_EINVALID);
  CHECK(img == nullptr);
  CHECK(std::string(appc_error_last()->message).find("rootfs/up/pwned: parent goes through a symlink") !=
        std::string::npos);
  appc_store_image_list *list = nullptr;
  APPC_OK_OR_FAIL(appc_store_list(&list, st));
  CHECK(appc_store_image_list_count(list) == 0);
  appc_store_image_list_free(list);
  appc_store_free(st);
  CHECK(listing(s / "outside").empty());
  CHECK_FALSE(exists(s / "target"));
  // The near miss: the symlink stays inside (rootfs/lib -> usr/lib): all three accept it.
  write_file(s / "ok/manifest", manifest_json("example.com/ok"));
  REQUIRE(std::filesystem::create_directories(s / "ok/rootfs/usr/lib"));
  REQUIRE(::symlink("usr/lib", (s / "ok/rootfs/lib").c_str()) == 0);
  write_file(s / "ok2/rootfs/lib/x", "x\n");
  sh("tar -C '" + s / "ok" + "' -cf '" + s / "ok.aci" + "' manifest rootfs");
  sh("tar -C '" + s / "ok2" + "' -rf '" + s / "ok.aci" + "' rootfs/lib/x");
  APPC_OK_OR_FAIL(appc_image_validate_file((s / "ok.aci").c_str(), nullptr));
  APPC_OK_OR_FAIL(appc_image_extract((s / "ok.aci").c_str(), (s / "okx").c_str(), nullptr, nullptr));
  CHECK(exists(s / "okx/rootfs/usr/lib/x"));
}

TEST_CASE("aci capi: progress reports every phase; cancelling leaves nothing behind") {
  Scratch s;
  make_big_layout(s / "layout");
  std::string aci = s / "big.aci";

  // build: phase "build"; a cancelled build leaves no output and no temporary file.
  {
    Recorder r;
    r.cancel_at = 1;
    appc_build_options o = APPC_BUILD_OPTIONS_INIT;
    o.compression = APPC_COMPRESSION_GZIP;
    o.progress_cb = &Recorder::cb;
    o.progress_payload = &r;
    CHECK(appc_image_build((s / "layout").c_str(), aci.c_str(), &o, nullptr) == APPC_ECANCELLED);
    CHECK(r.seen.size() == 2);
    CHECK(listing(s.path) == std::set<std::string>{"layout"});
    Recorder all;
    o.progress_payload = &all;
    APPC_OK_OR_FAIL(appc_image_build((s / "layout").c_str(), aci.c_str(), &o, nullptr));
    REQUIRE(all.seen.size() >= 2);
    for (const auto &p : all.phases) CHECK(p == "build");
  }
  const uint64_t tar_size = tar_size_of(aci, APPC_COMPRESSION_GZIP);

  // open: phase "hash", monotonic counters ending at the whole archive.
  {
    Recorder r;
    appc_image_read_options o = APPC_IMAGE_READ_OPTIONS_INIT;
    o.progress_cb = &Recorder::cb;
    o.progress_payload = &r;
    OwnedImage img;
    APPC_OK_OR_FAIL(appc_image_open(&img.p, aci.c_str(), &o));
    REQUIRE(r.seen.size() >= 3);
    for (size_t i = 0; i < r.seen.size(); ++i) {
      CAPTURE(i);
      CHECK(r.seen[i].version == APPC_PROGRESS_VERSION);
      CHECK(r.phases[i] == "hash");
      if (i > 0) {
        CHECK(r.seen[i].bytes_in >= r.seen[i - 1].bytes_in);
        CHECK(r.seen[i].bytes_out >= r.seen[i - 1].bytes_out);
        CHECK(r.seen[i].entries >= r.seen[i - 1].entries);
      }
    }
    CHECK(r.seen.back().bytes_out == tar_size);
    CHECK(r.seen.back().bytes_in == fs::file_size(aci));
    CHECK(r.seen.back().entries == appc_image_entry_count(img.p));

    Recorder c;
    c.cancel_at = 0;
    o.progress_payload = &c;
    appc_image *none = nullptr;
    CHECK(appc_image_open(&none, aci.c_str(), &o) == APPC_ECANCELLED);
    CHECK(none == nullptr);
    CHECK(c.seen.size() == 1);
    CHECK(appc_image_validate_file(aci.c_str(), &o) == APPC_ECANCELLED);
  }

  // extract: cancelled at the first report, midway and at the last one: nothing stays.
  {
    Recorder all;
    appc_extract_options o = APPC_EXTRACT_OPTIONS_INIT;
    o.progress_cb = &Recorder::cb;
    o.progress_payload = &all;
    APPC_OK_OR_FAIL(appc_image_extract(aci.c_str(), (s / "full").c_str(), &o, nullptr));
    REQUIRE(all.seen.size() >= 3);
    for (const auto &p : all.phases) CHECK(p == "extract");
    CHECK(all.seen.back().bytes_out == tar_size);
    REQUIRE(fs::remove_all(s / "full") > 0);

    for (size_t at : {size_t(0), all.seen.size() / 2, all.seen.size() - 1}) {
      CAPTURE(at);
      Recorder r;
      r.cancel_at = at;
      o.progress_payload = &r;
      CHECK(appc_image_extract(aci.c_str(), (s / "out").c_str(), &o, nullptr) == APPC_ECANCELLED);
      CHECK(r.seen.size() == at + 1);
      CHECK(listing(s.path) == std::set<std::string>{"layout", "big.aci"});
      // Into an existing empty directory: it stays, empty.
      REQUIRE(::mkdir((s / "empty").c_str(), 0755) == 0);
      r.seen.clear();
      r.phases.clear();
      CHECK(appc_image_extract(aci.c_str(), (s / "empty").c_str(), &o, nullptr) == APPC_ECANCELLED);
      CHECK(listing(s / "empty").empty());
      CHECK(listing(s.path) == std::set<std::string>{"layout", "big.aci", "empty"});
      REQUIRE(::rmdir((s / "empty").c_str()) == 0);
    }
  }

  // render: phase "render"; cancelled, nothing stays.
  {
    Recorder r;
    r.cancel_at = 1;
    appc_render_options o = APPC_RENDER_OPTIONS_INIT;
    o.progress_cb = &Recorder::cb;
    o.progress_payload = &r;
    CHECK(appc_image_render(aci.c_str(), nullptr, (s / "r").c_str(), &o) == APPC_ECANCELLED);
    CHECK(r.seen.size() == 2);
    for (const auto &p : r.phases) CHECK(p == "render");
    CHECK(listing(s.path) == std::set<std::string>{"layout", "big.aci"});
  }
}

TEST_CASE("aci capi: limits are passed through: max_entries and max_bytes give APPC_ELIMIT") {
  Scratch s;
  make_big_layout(s / "layout");
  std::string aci = s / "big.aci";
  build(s / "layout", aci);
  appc_image_read_options ro = APPC_IMAGE_READ_OPTIONS_INIT;
  ro.max_entries = 100;
  CHECK(appc_image_validate_file(aci.c_str(), &ro) == APPC_ELIMIT);
  ro.max_entries = 0;
  ro.max_bytes = 1 << 20;
  CHECK(appc_image_validate_file(aci.c_str(), &ro) == APPC_ELIMIT);
  appc_extract_options eo = APPC_EXTRACT_OPTIONS_INIT;
  eo.max_bytes = 1 << 20;
  CHECK(appc_image_extract(aci.c_str(), (s / "out").c_str(), &eo, nullptr) == APPC_ELIMIT);
  CHECK_FALSE(exists(s / "out"));
  appc_render_options rno = APPC_RENDER_OPTIONS_INIT;
  rno.max_entries = 10;
  CHECK(appc_image_render(aci.c_str(), nullptr, (s / "out").c_str(), &rno) == APPC_ELIMIT);
  CHECK_FALSE(exists(s / "out"));
  write_file(s / "huge/manifest", manifest_json("example.com/huge", R"(,"annotations":[{"name":"pad","value":")" +
                                                                        std::string(4096, 'x') + "\"}]"));
  REQUIRE(::mkdir((s / "huge/rootfs").c_str(), 0755) == 0);
  build(s / "huge", s / "huge.aci");
  ro = APPC_IMAGE_READ_OPTIONS_INIT;
  ro.max_manifest_bytes = 1024;
  CHECK(appc_image_validate_file((s / "huge.aci").c_str(), &ro) == APPC_ELIMIT);
  ro.max_manifest_bytes = 8192;
  APPC_OK_OR_FAIL(appc_image_validate_file((s / "huge.aci").c_str(), &ro));
}

TEST_CASE("spec 49, 51, 52: render applies a dependency found in a directory of ACIs, later layers win") {
  Scratch s;
  write_file(s / "base/manifest",
             manifest_json("example.com/base", R"(,"labels":[{"name":"version","value":"1.0.0"}])"));
  write_file(s / "base/rootfs/base.txt", "base\n");
  write_file(s / "base/rootfs/shared", "from base\n");
  write_file(s / "base/rootfs/unlisted", "not whitelisted\n");
  REQUIRE(::mkdir((s / "deps").c_str(), 0755) == 0);
  std::string base_id = build(s / "base", s / "deps/base.aci", APPC_COMPRESSION_XZ);

  auto app = [&](const std::string &dir, const std::string &dep) {
    write_file(dir + "/manifest",
               manifest_json("example.com/app", R"(,"dependencies":[)" + dep +
                                                    R"(],"pathWhitelist":["/base.txt","/shared","/app.txt"])"));
    write_file(dir + "/rootfs/shared", "from app\n");
    write_file(dir + "/rootfs/app.txt", "app\n");
  };
  // By image ID (and name).
  app(s / "app-id", R"({"imageName":"example.com/base","imageID":")" + base_id + "\"}");
  build(s / "app-id", s / "app-id.aci");
  APPC_OK_OR_FAIL(appc_image_render((s / "app-id.aci").c_str(), (s / "deps").c_str(), (s / "r1").c_str(), nullptr));
  CHECK(listing(s / "r1") == std::set<std::string>{"app.txt", "base.txt", "shared"});
  CHECK(read_file(s / "r1/shared") == "from app\n");
  CHECK(read_file(s / "r1/base.txt") == "base\n");

  // By name and labels.
  app(s / "app-label", R"({"imageName":"example.com/base","labels":[{"name":"version","value":"1.0.0"}]})");
  build(s / "app-label", s / "app-label.aci");
  APPC_OK_OR_FAIL(
      appc_image_render((s / "app-label.aci").c_str(), (s / "deps").c_str(), (s / "r2").c_str(), nullptr));
  CHECK(listing(s / "r2") == std::set<std::string>{"app.txt", "base.txt", "shared"});

  auto before = listing(s.path);
  // No dependency directory: the dependency is missing.
  CHECK(appc_image_render((s / "app-id.aci").c_str(), nullptr, (s / "r3").c_str(), nullptr) == APPC_ENOTFOUND);
  CHECK(std::string(appc_error_last()->message).find("example.com/base") != std::string::npos);
  // A label nothing has.
  app(s / "app-missing", R"({"imageName":"example.com/base","labels":[{"name":"version","value":"9.9.9"}]})");
  build(s / "app-missing", s / "app-missing.aci");
  before = listing(s.path);
  CHECK(appc_image_render((s / "app-missing.aci").c_str(), (s / "deps").c_str(), (s / "r3").c_str(), nullptr) ==
        APPC_ENOTFOUND);
  CHECK(std::string(appc_error_last()->message).find("example.com/base") != std::string::npos);
  CHECK(listing(s.path) == before);
  // A declared size that is not the file's.
  app(s / "app-size", R"({"imageName":"example.com/base","imageID":")" + base_id + R"(","size":1})");
  build(s / "app-size", s / "app-size.aci");
  before = listing(s.path);
  CHECK(appc_image_render((s / "app-size.aci").c_str(), (s / "deps").c_str(), (s / "r3").c_str(), nullptr) ==
        APPC_EVERIFY);
  CHECK(std::string(appc_error_last()->message).find("size") != std::string::npos);
  CHECK(listing(s.path) == before);
}
