// The image store through the C ABI: open, import, lookup, list, export, trees,
// render, references, rm, gc, check, with images built by appc_image_build in
// scratch roots under /dev/shm (removed even when a check fails).
#include "helpers.hpp"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace capi_test;
namespace fs = std::filesystem;

namespace {

struct Scratch {
  std::string path;
  Scratch() {
    char tmpl[] = "/dev/shm/appc-capi-store-XXXXXX";
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

struct Label {
  std::string name, value;
};

// An image manifest (JSON) with labels and dependencies given as JSON text.
std::string manifest_json(const std::string &name, const std::vector<Label> &labels, const std::string &deps = "") {
  std::string s = "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"" + name + "\"";
  if (!labels.empty()) {
    s += ",\"labels\":[";
    for (size_t i = 0; i < labels.size(); ++i)
      s += std::string(i ? "," : "") + "{\"name\":\"" + labels[i].name + "\",\"value\":\"" + labels[i].value + "\"}";
    s += "]";
  }
  if (!deps.empty()) s += ",\"dependencies\":" + deps;
  return s + "}";
}

// Builds an ACI under `dir`/<tag>.aci: a rootfs with /etc/<tag> holding `content`
// and, when `busybox`, /bin/busybox. Returns {path, id}.
std::pair<std::string, std::string> build(const Scratch &dir, const std::string &tag, const std::string &manifest,
                                          const std::string &content, bool busybox = false) {
  const std::string layout = dir / ("layout-" + tag);
  write_file(layout + "/manifest", manifest);
  write_file(layout + "/rootfs/etc/" + tag, content);
  if (busybox) {
    fs::create_directories(layout + "/rootfs/bin");
    fs::copy_file("/bin/busybox", layout + "/rootfs/bin/busybox");
  }
  const std::string aci = dir / (tag + ".aci");
  Buf id;
  APPC_OK_OR_FAIL(appc_image_build(layout.c_str(), aci.c_str(), nullptr, &id.b));
  fs::remove_all(layout);
  return {aci, id.str()};
}

struct Store {
  appc_store *s = nullptr;
  ~Store() { appc_store_free(s); }
};
struct StoredImage {
  appc_store_image *p = nullptr;
  ~StoredImage() { appc_store_image_free(p); }
};
struct List {
  appc_store_image_list *p = nullptr;
  ~List() { appc_store_image_list_free(p); }
};
struct Tree {
  appc_tree *p = nullptr;
  ~Tree() { appc_tree_free(p); }
};
struct Gc {
  appc_store_gc_result *p = nullptr;
  ~Gc() { appc_store_gc_result_free(p); }
};
struct Check {
  appc_store_check_report *p = nullptr;
  ~Check() { appc_store_check_report_free(p); }
};

void open_store(Store &st, const Scratch &dir) {
  APPC_OK_OR_FAIL(appc_store_open(&st.s, (dir / "root").c_str(), nullptr));
  REQUIRE(st.s != nullptr);
}

std::string import(appc_store *s, const std::string &path, bool *already = nullptr) {
  StoredImage img;
  APPC_OK_OR_FAIL(appc_store_import(&img.p, s, path.c_str(), nullptr, already));
  return appc_store_image_id(img.p);
}

size_t count(appc_store *s) {
  List l;
  APPC_OK_OR_FAIL(appc_store_list(&l.p, s));
  return appc_store_image_list_count(l.p);
}

std::vector<std::string> problems(appc_store *s, bool hashes) {
  Check c;
  APPC_OK_OR_FAIL(appc_store_check(&c.p, s, hashes));
  std::vector<std::string> out;
  for (size_t i = 0; i < appc_store_check_report_problem_count(c.p); ++i)
    out.push_back(appc_store_check_report_problem(c.p, i));
  return out;
}

std::string joined(const std::vector<std::string> &v) {
  std::string s;
  for (const auto &x : v) s += "\n  " + x;
  return s;
}

bool has(const std::string &haystack, const std::string &needle) { return haystack.find(needle) != std::string::npos; }

} // namespace

TEST_CASE("store capi: options _init fill the defaults; version 0 or newer is refused") {
  appc_store_options so;
  REQUIRE(appc_store_options_init(&so, APPC_STORE_OPTIONS_VERSION) == APPC_OK);
  CHECK(so.create);
  CHECK(so.durable);
  CHECK(so.busy_timeout_ms == 120000);
  appc_import_options io;
  REQUIRE(appc_import_options_init(&io, APPC_IMPORT_OPTIONS_VERSION) == APPC_OK);
  CHECK(io.origin == nullptr);
  CHECK(io.expect_id == nullptr);
  CHECK(io.max_bytes == (64ull << 30));
  appc_tree_options to;
  REQUIRE(appc_tree_options_init(&to, APPC_TREE_OPTIONS_VERSION) == APPC_OK);
  CHECK(to.preserve_owners);
  CHECK(to.holder == nullptr);
  appc_store_gc_options go;
  REQUIRE(appc_store_gc_options_init(&go, APPC_STORE_GC_OPTIONS_VERSION) == APPC_OK);
  CHECK(go.image_grace_s == 86400);
  CHECK(go.tree_grace_s == 0);
  CHECK_FALSE(go.dry_run);

  for (unsigned v : {0u, 2u, 99u}) {
    CHECK(appc_store_options_init(&so, v) == APPC_EINVALID);
    CHECK(appc_import_options_init(&io, v) == APPC_EINVALID);
    CHECK(appc_tree_options_init(&to, v) == APPC_EINVALID);
    CHECK(appc_store_gc_options_init(&go, v) == APPC_EINVALID);
  }
  CHECK(appc_store_options_init(nullptr, 1) == APPC_EINVALID);
  CHECK(appc_import_options_init(nullptr, 1) == APPC_EINVALID);
  CHECK(appc_tree_options_init(nullptr, 1) == APPC_EINVALID);
  CHECK(appc_store_gc_options_init(nullptr, 1) == APPC_EINVALID);
}

TEST_CASE("store capi: bad arguments: NULLs, wrong option versions, NULL handles in accessors") {
  Scratch dir;
  Store st;
  open_store(st, dir);
  auto [aci, id] = build(dir, "a", manifest_json("example.com/a", {}), "a");

  appc_store *s = nullptr;
  CHECK(appc_store_open(nullptr, (dir / "root").c_str(), nullptr) == APPC_EINVALID);
  CHECK(has(appc_error_last()->message, "appc_store_open"));
  appc_store_options bad = APPC_STORE_OPTIONS_INIT;
  bad.version = 7;
  CHECK(appc_store_open(&s, (dir / "root").c_str(), &bad) == APPC_EINVALID);
  CHECK(s == nullptr);
  CHECK(has(appc_error_last()->message, "version 7"));
  bad = APPC_STORE_OPTIONS_INIT;
  bad.busy_timeout_ms = -1;
  CHECK(appc_store_open(&s, (dir / "root").c_str(), &bad) == APPC_EINVALID);
  CHECK(appc_store_open(&s, "", nullptr) == APPC_EINVALID);

  StoredImage img;
  CHECK(appc_store_import(&img.p, nullptr, aci.c_str(), nullptr, nullptr) == APPC_EINVALID);
  CHECK(appc_store_import(&img.p, st.s, nullptr, nullptr, nullptr) == APPC_EINVALID);
  CHECK(has(appc_error_last()->message, "'path' is NULL"));
  appc_import_options io = APPC_IMPORT_OPTIONS_INIT;
  io.version = 0;
  CHECK(appc_store_import(&img.p, st.s, aci.c_str(), &io, nullptr) == APPC_EINVALID);
  io = APPC_IMPORT_OPTIONS_INIT;
  io.expect_id = "";
  CHECK(appc_store_import(&img.p, st.s, aci.c_str(), &io, nullptr) == APPC_EINVALID);
  CHECK(appc_store_import_fd(&img.p, st.s, -1, nullptr, nullptr) == APPC_EINVALID);
  CHECK(img.p == nullptr);
  CHECK(count(st.s) == 0);

  CHECK(appc_store_get(nullptr, st.s, "sha512-0") == APPC_EINVALID);
  CHECK(appc_store_get(&img.p, st.s, nullptr) == APPC_EINVALID);
  CHECK(appc_store_find(&img.p, st.s, nullptr, nullptr, nullptr, 0) == APPC_EINVALID);
  CHECK(appc_store_find(&img.p, st.s, "example.com/a", nullptr, nullptr, 1) == APPC_EINVALID);
  const char *names[] = {"version"};
  const char *values[] = {nullptr};
  CHECK(appc_store_find(&img.p, st.s, "example.com/a", names, values, 1) == APPC_EINVALID);
  CHECK(appc_store_resolve(&img.p, nullptr, "x") == APPC_EINVALID);
  CHECK(appc_store_list(nullptr, st.s) == APPC_EINVALID);
  CHECK(appc_store_export(st.s, nullptr, "/dev/shm/x", false) == APPC_EINVALID);
  CHECK(appc_store_export(st.s, "x", nullptr, false) == APPC_EINVALID);
  appc_tree *t = nullptr;
  CHECK(appc_store_tree(&t, st.s, nullptr, nullptr) == APPC_EINVALID);
  appc_tree_options to = APPC_TREE_OPTIONS_INIT;
  to.version = 5;
  CHECK(appc_store_tree(&t, st.s, "x", &to) == APPC_EINVALID);
  CHECK(appc_store_render(st.s, "x", nullptr, nullptr) == APPC_EINVALID);
  appc_render_options ro = APPC_RENDER_OPTIONS_INIT;
  ro.version = 0;
  CHECK(appc_store_render(st.s, "x", (dir / "r").c_str(), &ro) == APPC_EINVALID);
  CHECK(appc_store_add_ref(st.s, nullptr, id.c_str(), nullptr) == APPC_EINVALID);
  CHECK(appc_store_add_ref(st.s, "", id.c_str(), nullptr) == APPC_EINVALID);
  CHECK(appc_store_drop_refs(st.s, nullptr) == APPC_EINVALID);
  CHECK(appc_store_rm(st.s, nullptr, false, nullptr, nullptr) == APPC_EINVALID);
  appc_store_gc_result *g = nullptr;
  appc_store_gc_options go = APPC_STORE_GC_OPTIONS_INIT;
  go.version = 2;
  CHECK(appc_store_gc(&g, st.s, &go) == APPC_EINVALID);
  go = APPC_STORE_GC_OPTIONS_INIT;
  go.image_grace_s = -5;
  CHECK(appc_store_gc(&g, st.s, &go) == APPC_EINVALID);
  CHECK(g == nullptr);
  CHECK(appc_store_check(nullptr, st.s, false) == APPC_EINVALID);

  // Accessors of NULL handles: NULL / 0 / false, never a crash.
  CHECK(appc_store_root(nullptr) == nullptr);
  CHECK(appc_store_image_id(nullptr) == nullptr);
  CHECK(appc_store_image_name(nullptr) == nullptr);
  CHECK(appc_store_image_label_count(nullptr) == 0);
  CHECK(appc_store_image_label(nullptr, "version") == nullptr);
  CHECK(appc_store_image_manifest(nullptr) == nullptr);
  size_t len = 99;
  CHECK(appc_store_image_raw_manifest(nullptr, &len) == nullptr);
  CHECK(len == 0);
  CHECK(appc_store_image_size(nullptr) == 0);
  CHECK(appc_store_image_blob_path(nullptr) == nullptr);
  CHECK(appc_store_image_list_count(nullptr) == 0);
  CHECK(appc_store_image_list_at(nullptr, 0) == nullptr);
  CHECK(appc_tree_rootfs(nullptr) == nullptr);
  CHECK(appc_tree_layer(nullptr, 0) == nullptr);
  CHECK_FALSE(appc_tree_verified(nullptr));
  CHECK(appc_store_gc_result_image(nullptr, 0) == nullptr);
  CHECK(appc_store_gc_result_bytes_freed(nullptr) == 0);
  CHECK(appc_store_check_report_problem(nullptr, 0) == nullptr);
  appc_store_free(nullptr);
  appc_store_image_free(nullptr);
  appc_store_image_list_free(nullptr);
  appc_tree_free(nullptr);
  appc_store_gc_result_free(nullptr);
  appc_store_check_report_free(nullptr);
}

TEST_CASE("store capi: open: NULL root is $APPC_ROOT; create=false on a missing store; a newer format is refused untouched") {
  Scratch dir;
  const std::string root = dir / "env-root";
  REQUIRE(::setenv("APPC_ROOT", root.c_str(), 1) == 0);
  Store st;
  APPC_OK_OR_FAIL(appc_store_open(&st.s, nullptr, nullptr));
  ::unsetenv("APPC_ROOT");
  CHECK(str(appc_store_root(st.s)) == root);
  CHECK(fs::is_directory(root + "/store"));

  appc_store *s = nullptr;
  appc_store_options no_create = APPC_STORE_OPTIONS_INIT;
  no_create.create = false;
  CHECK(appc_store_open(&s, (dir / "missing").c_str(), &no_create) == APPC_ENOTFOUND);
  CHECK(s == nullptr);
  CHECK_FALSE(fs::exists(dir / "missing/store"));

  // A store written by a future version: refused with APPC_ENOTSUPPORTED, nothing touched.
  const std::string future = dir / "future";
  write_file(future + "/store/FORMAT", "appc-store 99\n");
  CHECK(appc_store_open(&s, future.c_str(), nullptr) == APPC_ENOTSUPPORTED);
  CHECK(s == nullptr);
  CHECK(has(appc_error_last()->message, "99"));
  CHECK(read_file(future + "/store/FORMAT") == "appc-store 99\n");
  std::set<std::string> entries;
  for (const auto &e : fs::directory_iterator(future + "/store")) entries.insert(e.path().filename());
  CHECK(entries == std::set<std::string>{"FORMAT"});
}

TEST_CASE("store capi: import a file: accessors, a second import is a no-op, import_fd, expect_id") {
  Scratch dir;
  Store st;
  open_store(st, dir);
  auto [aci, id] = build(dir, "app", manifest_json("example.com/app", {{"version", "1.0.0"}, {"os", "linux"}}),
                         "hello", true);

  appc_import_options io = APPC_IMPORT_OPTIONS_INIT;
  io.origin = "https://example.com/app.aci";
  StoredImage img;
  bool already = true;
  APPC_OK_OR_FAIL(appc_store_import(&img.p, st.s, aci.c_str(), &io, &already));
  CHECK_FALSE(already);
  CHECK(str(appc_store_image_id(img.p)) == id);
  CHECK(str(appc_store_image_name(img.p)) == "example.com/app");
  REQUIRE(appc_store_image_label_count(img.p) == 2);
  CHECK(str(appc_store_image_label_name(img.p, 0)) == "version");
  CHECK(str(appc_store_image_label_value(img.p, 0)) == "1.0.0");
  CHECK(str(appc_store_image_label(img.p, "os")) == "linux");
  CHECK(appc_store_image_label(img.p, "arch") == nullptr);
  CHECK(appc_store_image_label_name(img.p, 2) == nullptr);
  CHECK(str(appc_image_manifest_name(appc_store_image_manifest(img.p))) == "example.com/app");
  size_t len = 0;
  const char *raw = appc_store_image_raw_manifest(img.p, &len);
  CHECK(std::string(raw, len) == manifest_json("example.com/app", {{"version", "1.0.0"}, {"os", "linux"}}));
  CHECK(appc_store_image_size(img.p) == fs::file_size(aci));
  CHECK(appc_store_image_tar_size(img.p) >= fs::file_size("/bin/busybox"));
  CHECK(appc_store_image_compression(img.p) == APPC_COMPRESSION_NONE);
  CHECK(appc_store_image_imported_ns(img.p) > 0);
  CHECK(appc_store_image_last_used_ns(img.p) >= appc_store_image_imported_ns(img.p));
  CHECK(str(appc_store_image_origin(img.p)) == "https://example.com/app.aci");
  const std::string blob = appc_store_image_blob_path(img.p);
  CHECK(blob.rfind(dir / "root/store/blobs/", 0) == 0);
  CHECK(read_file(blob) == read_file(aci));

  StoredImage copy;
  APPC_OK_OR_FAIL(appc_store_image_clone(&copy.p, img.p));
  appc_store_image_free(img.p);
  img.p = nullptr;
  CHECK(str(appc_store_image_id(copy.p)) == id);
  CHECK(str(appc_image_manifest_name(appc_store_image_manifest(copy.p))) == "example.com/app");

  // Again: a no-op, the same image.
  StoredImage again;
  APPC_OK_OR_FAIL(appc_store_import(&again.p, st.s, aci.c_str(), nullptr, &already));
  CHECK(already);
  CHECK(str(appc_store_image_id(again.p)) == id);
  CHECK(count(st.s) == 1);

  // From a descriptor (a pipe), with the ID expected.
  auto [aci2, id2] = build(dir, "two", manifest_json("example.com/two", {}), "two");
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::string bytes = read_file(aci2);
  std::thread writer([&] {
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::write(fds[1], bytes.data() + off, bytes.size() - off);
      if (n <= 0) break;
      off += size_t(n);
    }
    ::close(fds[1]);
  });
  io = APPC_IMPORT_OPTIONS_INIT;
  io.expect_id = id2.c_str();
  StoredImage piped;
  int rc = appc_store_import_fd(&piped.p, st.s, fds[0], &io, &already);
  std::string err = last_error_text();
  writer.join();
  ::close(fds[0]);
  REQUIRE_MESSAGE(rc == APPC_OK, err);
  CHECK_FALSE(already);
  CHECK(str(appc_store_image_id(piped.p)) == id2);
  CHECK(str(appc_store_image_origin(piped.p)) == "");

  // out may be NULL.
  APPC_OK_OR_FAIL(appc_store_import(nullptr, st.s, aci2.c_str(), nullptr, &already));
  CHECK(already);
  CHECK(problems(st.s, true).empty());
}

TEST_CASE("store capi: failed imports leave nothing: bad archive, missing file, wrong ID, cancellation") {
  Scratch dir;
  Store st;
  open_store(st, dir);
  auto [aci, id] = build(dir, "app", manifest_json("example.com/app", {}), "x", true);

  write_file(dir / "garbage.aci", std::string(4096, 'x'));
  StoredImage img;
  CHECK(appc_store_import(&img.p, st.s, (dir / "garbage.aci").c_str(), nullptr, nullptr) == APPC_EINVALID);
  CHECK(appc_store_import(&img.p, st.s, (dir / "absent.aci").c_str(), nullptr, nullptr) == APPC_ENOTFOUND);

  appc_import_options io = APPC_IMPORT_OPTIONS_INIT;
  const std::string wrong = "sha512-" + std::string(128, '0');
  io.expect_id = wrong.c_str();
  CHECK(appc_store_import(&img.p, st.s, aci.c_str(), &io, nullptr) == APPC_EVERIFY);

  io = APPC_IMPORT_OPTIONS_INIT;
  int calls = 0;
  io.progress_cb = [](const appc_progress *p, void *payload) -> int {
    CHECK(p->version >= 1);
    CHECK(p->phase != nullptr);
    return ++*static_cast<int *>(payload) >= 1 ? 1 : 0;
  };
  io.progress_payload = &calls;
  CHECK(appc_store_import(&img.p, st.s, aci.c_str(), &io, nullptr) == APPC_ECANCELLED);
  CHECK(calls >= 1);

  io = APPC_IMPORT_OPTIONS_INIT;
  io.max_bytes = 1024;
  CHECK(appc_store_import(&img.p, st.s, aci.c_str(), &io, nullptr) == APPC_ELIMIT);

  CHECK(img.p == nullptr);
  CHECK(count(st.s) == 0);
  CHECK(problems(st.s, true).empty());
  // Nothing stays in blobs/ or tmp/.
  size_t files = 0;
  for (const auto &e : fs::recursive_directory_iterator(dir / "root/store"))
    if (e.is_regular_file() && (has(e.path().string(), "/blobs/") || has(e.path().string(), "/tmp/"))) ++files;
  CHECK(files == 0);
}

TEST_CASE("store capi: lookup by ID, prefix, name and labels; SemVer order; ambiguous prefixes list the candidates") {
  Scratch dir;
  Store st;
  open_store(st, dir);
  std::map<std::string, std::string> by_version;
  for (const char *v : {"1.2.0", "1.10.0", "1.9.0", "latest", "1.10.0-rc.1"}) {
    auto [aci, id] = build(dir, std::string("v") + v,
                           manifest_json("example.com/app", {{"version", v}, {"os", "linux"}}), v);
    by_version[v] = import(st.s, aci);
  }
  auto [other_aci, other_id] = build(dir, "other", manifest_json("example.com/other", {{"os", "freebsd"}}), "o");
  import(st.s, other_aci);

  StoredImage img;
  const std::string id = by_version["1.9.0"];
  APPC_OK_OR_FAIL(appc_store_get(&img.p, st.s, id.c_str()));
  CHECK(str(appc_store_image_id(img.p)) == id);
  appc_store_image_free(img.p);
  img.p = nullptr;

  // Find a prefix shared by no other image (the full ID minus its tail).
  APPC_OK_OR_FAIL(appc_store_get(&img.p, st.s, id.substr(0, 7 + 30).c_str()));
  CHECK(str(appc_store_image_id(img.p)) == id);
  appc_store_image_free(img.p);
  img.p = nullptr;
  APPC_OK_OR_FAIL(appc_store_get(&img.p, st.s, id.substr(7, 30).c_str()));   // bare hex
  CHECK(str(appc_store_image_id(img.p)) == id);
  appc_store_image_free(img.p);
  img.p = nullptr;

  const std::string none = "sha512-" + std::string(128, 'f');
  bool collision = false;
  for (const auto &[v, i] : by_version) collision |= i == none;
  REQUIRE_FALSE(collision);
  CHECK(appc_store_get(&img.p, st.s, none.c_str()) == APPC_ENOTFOUND);

  // "sha512-" + one hex digit: ambiguous for the digit of two images that share it.
  // Six images, sixteen digits: build more until two IDs share their first digit.
  std::map<char, std::vector<std::string>> first;
  for (const auto &[v, i] : by_version) first[i[7]].push_back(i);
  first[other_id[7]].push_back(other_id);
  for (int n = 0; n < 20; ++n) {
    bool shared = false;
    for (const auto &[c, ids] : first) shared |= ids.size() >= 2;
    if (shared) break;
    auto [aci, extra] = build(dir, "extra" + std::to_string(n), manifest_json("example.com/extra", {}),
                              "extra " + std::to_string(n));
    import(st.s, aci);
    first[extra[7]].push_back(extra);
  }
  for (const auto &[c, ids] : first) {
    if (ids.size() < 2) continue;
    const std::string prefix = std::string("sha512-") + c;
    CHECK(appc_store_get(&img.p, st.s, prefix.c_str()) == APPC_ECONFLICT);
    const std::string msg = appc_error_last()->message;
    for (const auto &i : ids) CHECK_MESSAGE(has(msg, i.substr(0, 19)), msg);
    CHECK(appc_store_resolve(&img.p, st.s, prefix.c_str()) == APPC_ECONFLICT);
    break;
  }
  CHECK(img.p == nullptr);

  // Name + labels: the highest SemVer version; "latest" (not SemVer) ranks lowest;
  // 1.10.0 > 1.10.0-rc.1 > 1.9.0 > 1.2.0.
  APPC_OK_OR_FAIL(appc_store_find(&img.p, st.s, "example.com/app", nullptr, nullptr, 0));
  CHECK(str(appc_store_image_label(img.p, "version")) == "1.10.0");
  appc_store_image_free(img.p);
  img.p = nullptr;
  const char *names[] = {"version", "os"};
  const char *values[] = {"1.2.0", "linux"};
  APPC_OK_OR_FAIL(appc_store_find(&img.p, st.s, "example.com/app", names, values, 2));
  CHECK(str(appc_store_image_id(img.p)) == by_version["1.2.0"]);
  appc_store_image_free(img.p);
  img.p = nullptr;
  const char *bad_values[] = {"1.2.0", "freebsd"};
  CHECK(appc_store_find(&img.p, st.s, "example.com/app", names, bad_values, 2) == APPC_ENOTFOUND);
  CHECK(has(appc_error_last()->message, "example.com/app"));
  CHECK(appc_store_find(&img.p, st.s, "example.com/nothing", nullptr, nullptr, 0) == APPC_ENOTFOUND);

  APPC_OK_OR_FAIL(appc_store_resolve(&img.p, st.s, "example.com/app,version=latest"));
  CHECK(str(appc_store_image_id(img.p)) == by_version["latest"]);
  appc_store_image_free(img.p);
  img.p = nullptr;
  APPC_OK_OR_FAIL(appc_store_resolve(&img.p, st.s, "example.com/app,os=linux"));
  CHECK(str(appc_store_image_label(img.p, "version")) == "1.10.0");
  appc_store_image_free(img.p);
  img.p = nullptr;
  APPC_OK_OR_FAIL(appc_store_resolve(&img.p, st.s, id.c_str()));
  CHECK(str(appc_store_image_id(img.p)) == id);
}

TEST_CASE("store capi: without a version label the newest import wins") {
  Scratch dir;
  Store st;
  open_store(st, dir);
  auto [a, ida] = build(dir, "old", manifest_json("example.com/nv", {}), "old");
  auto [b, idb] = build(dir, "new", manifest_json("example.com/nv", {}), "new");
  import(st.s, a);
  import(st.s, b);
  StoredImage img;
  APPC_OK_OR_FAIL(appc_store_find(&img.p, st.s, "example.com/nv", nullptr, nullptr, 0));
  CHECK(str(appc_store_image_id(img.p)) == idb);

  // list: by name, newest import first.
  List l;
  APPC_OK_OR_FAIL(appc_store_list(&l.p, st.s));
  REQUIRE(appc_store_image_list_count(l.p) == 2);
  CHECK(str(appc_store_image_id(appc_store_image_list_at(l.p, 0))) == idb);
  CHECK(str(appc_store_image_id(appc_store_image_list_at(l.p, 1))) == ida);
  CHECK(appc_store_image_list_at(l.p, 2) == nullptr);
}

TEST_CASE("store capi: export gives a file with the same image ID; existing files need overwrite") {
  Scratch dir;
  Store st;
  open_store(st, dir);
  auto [aci, id] = build(dir, "app", manifest_json("example.com/app", {}), "x", true);
  import(st.s, aci);
  const std::string out = dir / "out.aci";
  APPC_OK_OR_FAIL(appc_store_export(st.s, "example.com/app", out.c_str(), false));
  appc_image *opened = nullptr;
  APPC_OK_OR_FAIL(appc_image_open(&opened, out.c_str(), nullptr));
  CHECK(str(appc_image_id(opened)) == id);
  appc_image_free(opened);
  CHECK(appc_store_export(st.s, id.c_str(), out.c_str(), false) == APPC_EEXISTS);
  APPC_OK_OR_FAIL(appc_store_export(st.s, id.substr(0, 20).c_str(), out.c_str(), true));
  CHECK(read_file(out) == read_file(aci));
  CHECK(appc_store_export(st.s, "example.com/none", (dir / "none.aci").c_str(), false) == APPC_ENOTFOUND);
  CHECK_FALSE(fs::exists(dir / "none.aci"));
}

TEST_CASE("store capi: trees are rendered once with their dependencies; render into a directory") {
  Scratch dir;
  Store st;
  open_store(st, dir);
  auto [base, base_id] = build(dir, "base", manifest_json("example.com/base", {{"version", "1"}}), "base", true);
  const std::string deps = "[{\"imageName\":\"example.com/base\",\"imageID\":\"" + base_id +
                           "\",\"labels\":[{\"name\":\"version\",\"value\":\"1\"}]}]";
  auto [app, app_id] = build(dir, "app", manifest_json("example.com/app", {}, deps), "app");
  import(st.s, base);
  import(st.s, app);

  Tree t;
  int calls = 0;
  appc_tree_options to = APPC_TREE_OPTIONS_INIT;
  to.progress_cb = [](const appc_progress *, void *payload) -> int {
    ++*static_cast<int *>(payload);
    return 0;
  };
  to.progress_payload = &calls;
  APPC_OK_OR_FAIL(appc_store_tree(&t.p, st.s, "example.com/app", &to));
  const std::string rootfs = appc_tree_rootfs(t.p);
  CHECK(str(appc_tree_image_id(t.p)) == app_id);
  CHECK(str(appc_tree_key(t.p)).size() == 64);
  CHECK(rootfs == std::string(appc_tree_path(t.p)) + "/rootfs");
  CHECK(rootfs.rfind(dir / "root/store/trees/", 0) == 0);
  REQUIRE(appc_tree_layer_count(t.p) == 2);
  CHECK(str(appc_tree_layer(t.p, 0)) == base_id);
  CHECK(str(appc_tree_layer(t.p, 1)) == app_id);
  CHECK(appc_tree_layer(t.p, 2) == nullptr);
  CHECK(appc_tree_verified(t.p));
  CHECK(appc_tree_size(t.p) >= fs::file_size("/bin/busybox"));
  CHECK(appc_tree_files(t.p) >= 4);
  CHECK_FALSE(str(appc_tree_digest(t.p)).empty());
  CHECK(appc_tree_created_ns(t.p) > 0);
  CHECK(read_file(rootfs + "/etc/base") == "base");
  CHECK(read_file(rootfs + "/etc/app") == "app");
  CHECK(fs::file_size(rootfs + "/bin/busybox") == fs::file_size("/bin/busybox"));

  // The second time: the same tree, not rendered again.
  Tree again;
  APPC_OK_OR_FAIL(appc_store_tree(&again.p, st.s, app_id.c_str(), nullptr));
  CHECK(str(appc_tree_key(again.p)) == str(appc_tree_key(t.p)));
  CHECK(str(appc_tree_rootfs(again.p)) == rootfs);
  CHECK(appc_tree_created_ns(again.p) == appc_tree_created_ns(t.p));

  // Render into a directory, dependencies from the store.
  const std::string out = dir / "rendered";
  APPC_OK_OR_FAIL(appc_store_render(st.s, "example.com/app", out.c_str(), nullptr));
  CHECK(read_file(out + "/etc/base") == "base");
  CHECK(read_file(out + "/etc/app") == "app");
  CHECK(appc_store_render(st.s, "example.com/none", (dir / "r2").c_str(), nullptr) == APPC_ENOTFOUND);
  CHECK_FALSE(fs::exists(dir / "r2"));

  // A missing dependency: the tree fails and nothing appears.
  auto [orphan, orphan_id] =
      build(dir, "orphan", manifest_json("example.com/orphan", {}, "[{\"imageName\":\"example.com/missing\"}]"), "o");
  import(st.s, orphan);
  Tree bad;
  CHECK(appc_store_tree(&bad.p, st.s, orphan_id.c_str(), nullptr) == APPC_ENOTFOUND);
  CHECK(has(appc_error_last()->message, "example.com/missing"));
  CHECK(bad.p == nullptr);
  CHECK(problems(st.s, true).empty());
}

TEST_CASE("store capi: references keep images from rm and gc; rm --force; rm reports what it freed") {
  Scratch dir;
  Store st;
  open_store(st, dir);
  auto [aci, id] = build(dir, "app", manifest_json("example.com/app", {}), "x", true);
  import(st.s, aci);
  Tree t;
  appc_tree_options to = APPC_TREE_OPTIONS_INIT;
  to.holder = "pod-1";
  APPC_OK_OR_FAIL(appc_store_tree(&t.p, st.s, id.c_str(), &to));

  Buf removed;
  uint64_t freed = 0;
  CHECK(appc_store_rm(st.s, id.c_str(), false, &removed.b, &freed) == APPC_ECONFLICT);
  CHECK(has(appc_error_last()->message, "pod-1"));
  CHECK(freed == 0);
  CHECK(count(st.s) == 1);

  // gc keeps referenced images and trees even with no grace at all.
  Gc g;
  appc_store_gc_options go = APPC_STORE_GC_OPTIONS_INIT;
  go.image_grace_s = 0;
  go.tree_grace_s = 0;
  APPC_OK_OR_FAIL(appc_store_gc(&g.p, st.s, &go));
  CHECK(appc_store_gc_result_image_count(g.p) == 0);
  CHECK(appc_store_gc_result_tree_count(g.p) == 0);
  CHECK(fs::exists(appc_tree_rootfs(t.p)));

  APPC_OK_OR_FAIL(appc_store_drop_refs(st.s, "pod-1"));
  APPC_OK_OR_FAIL(appc_store_drop_refs(st.s, "pod-never-seen"));
  APPC_OK_OR_FAIL(appc_store_add_ref(st.s, "pod-2", id.c_str(), nullptr));
  CHECK(appc_store_add_ref(st.s, "pod-2", ("sha512-" + std::string(128, 'e')).c_str(), nullptr) == APPC_ENOTFOUND);
  CHECK(appc_store_rm(st.s, id.c_str(), false, nullptr, nullptr) == APPC_ECONFLICT);
  APPC_OK_OR_FAIL(appc_store_rm(st.s, "example.com/app", true, &removed.b, &freed));
  CHECK(removed.str() == id);
  CHECK(freed >= fs::file_size(aci));
  CHECK(count(st.s) == 0);
  CHECK_FALSE(fs::exists(appc_tree_path(t.p)));
  StoredImage img;
  CHECK(appc_store_get(&img.p, st.s, id.c_str()) == APPC_ENOTFOUND);
  CHECK(appc_store_rm(st.s, id.c_str(), false, nullptr, nullptr) == APPC_ENOTFOUND);
  CHECK(problems(st.s, true).empty());
}

TEST_CASE("store capi: gc: dry run, tree grace, image grace, bytes freed") {
  Scratch dir;
  Store st;
  open_store(st, dir);
  auto [a, ida] = build(dir, "a", manifest_json("example.com/a", {}), "a", true);
  auto [b, idb] = build(dir, "b", manifest_json("example.com/b", {}), "b");
  import(st.s, a);
  import(st.s, b);
  Tree t;
  APPC_OK_OR_FAIL(appc_store_tree(&t.p, st.s, ida.c_str(), nullptr));
  const std::string key = appc_tree_key(t.p);

  // Defaults: trees go at once, images only after a day.
  Gc dry;
  appc_store_gc_options go = APPC_STORE_GC_OPTIONS_INIT;
  go.dry_run = true;
  go.image_grace_s = 0;
  APPC_OK_OR_FAIL(appc_store_gc(&dry.p, st.s, &go));
  CHECK(appc_store_gc_result_image_count(dry.p) == 2);
  CHECK(appc_store_gc_result_tree_count(dry.p) == 1);
  CHECK(appc_store_gc_result_bytes_freed(dry.p) > 0);
  CHECK(count(st.s) == 2);
  CHECK(fs::exists(appc_tree_rootfs(t.p)));

  Gc trees;
  APPC_OK_OR_FAIL(appc_store_gc(&trees.p, st.s, nullptr));
  CHECK(appc_store_gc_result_image_count(trees.p) == 0);
  REQUIRE(appc_store_gc_result_tree_count(trees.p) == 1);
  CHECK(str(appc_store_gc_result_tree(trees.p, 0)) == key);
  CHECK(appc_store_gc_result_bytes_freed(trees.p) >= fs::file_size("/bin/busybox"));
  CHECK_FALSE(fs::exists(appc_tree_path(t.p)));
  CHECK(count(st.s) == 2);

  Gc images;
  go = APPC_STORE_GC_OPTIONS_INIT;
  go.image_grace_s = 0;
  APPC_OK_OR_FAIL(appc_store_gc(&images.p, st.s, &go));
  std::set<std::string> gone;
  for (size_t i = 0; i < appc_store_gc_result_image_count(images.p); ++i)
    gone.insert(appc_store_gc_result_image(images.p, i));
  CHECK(gone == std::set<std::string>{ida, idb});
  CHECK(appc_store_gc_result_bytes_freed(images.p) >= fs::file_size(a) + fs::file_size(b));
  CHECK(count(st.s) == 0);
  CHECK(problems(st.s, true).empty());
}

TEST_CASE("store capi: check finds a missing blob, a corrupted blob (with hashes) and foreign files") {
  Scratch dir;
  Store st;
  open_store(st, dir);
  auto [a, ida] = build(dir, "a", manifest_json("example.com/a", {}), "a", true);
  auto [b, idb] = build(dir, "b", manifest_json("example.com/b", {}), "b");
  StoredImage ia, ib;
  APPC_OK_OR_FAIL(appc_store_import(&ia.p, st.s, a.c_str(), nullptr, nullptr));
  APPC_OK_OR_FAIL(appc_store_import(&ib.p, st.s, b.c_str(), nullptr, nullptr));
  Check ok;
  APPC_OK_OR_FAIL(appc_store_check(&ok.p, st.s, true));
  CHECK(appc_store_check_report_problem_count(ok.p) == 0);
  CHECK(appc_store_check_report_images(ok.p) == 2);
  CHECK(appc_store_check_report_blobs(ok.p) == 2);

  // Flip one byte in the middle of a's blob: only a hash check sees it.
  const std::string blob_a = appc_store_image_blob_path(ia.p);
  ::chmod(blob_a.c_str(), 0644);
  {
    std::fstream f(blob_a, std::ios::in | std::ios::out | std::ios::binary);
    REQUIRE(f.good());
    f.seekg(std::streamoff(fs::file_size(blob_a) / 2));
    char c = 0;
    f.read(&c, 1);
    f.seekp(std::streamoff(fs::file_size(blob_a) / 2));
    c = char(c ^ 0x55);
    f.write(&c, 1);
  }
  auto found = problems(st.s, true);
  CHECK_MESSAGE(found.size() == 1, joined(found));
  CHECK_MESSAGE((!found.empty() && has(found[0], ida.substr(7, 12))), joined(found));

  // Remove b's blob: seen without hashes.
  const std::string blob_b = appc_store_image_blob_path(ib.p);
  fs::remove(blob_b);
  found = problems(st.s, false);
  bool named = false;
  for (const auto &p : found) named |= has(p, idb.substr(7, 12));
  CHECK_MESSAGE(named, joined(found));
}

TEST_CASE("store capi: threads importing the same image: one writes it, the others find it present") {
  Scratch dir;
  Store st;
  open_store(st, dir);
  auto [aci, id] = build(dir, "app", manifest_json("example.com/app", {}), "x", true);
  std::atomic<int> fresh{0}, present{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, path = aci] {
      bool already = false;
      if (appc_store_import(nullptr, st.s, path.c_str(), nullptr, &already) != APPC_OK) ++failed;
      else if (already) ++present;
      else ++fresh;
    });
  for (auto &t : threads) t.join();
  CHECK(failed == 0);
  CHECK(fresh == 1);
  CHECK(present == 3);
  CHECK(count(st.s) == 1);
  CHECK(problems(st.s, true).empty());
}
