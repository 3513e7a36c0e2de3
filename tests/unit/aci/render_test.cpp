// render_image and DirectoryResolver (spec 48-56): layer order, later wins,
// pathWhitelist along parent chains, label matching and version choice, and
// the errors (cycle, missing, ID, size), each leaving the target untouched.
#include "aci/aci.hpp"
#include "util/fs.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace appc;
using namespace appc::aci;

namespace {

struct Scratch {
  std::string path;
  Scratch() {
    char t[] = "/dev/shm/appc-render-XXXXXX";
    REQUIRE(::mkdtemp(t) != nullptr);
    path = t;
  }
  ~Scratch() { (void)remove_tree(path); }
  std::string operator/(const std::string &n) const { return path + "/" + n; }
};

void mkdirs(const std::string &p) {
  size_t pos = 1;
  for (;;) {
    size_t slash = p.find('/', pos);
    std::string prefix = p.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0755) < 0) REQUIRE_MESSAGE(errno == EEXIST, "mkdir " << prefix);
    if (slash == std::string::npos) break;
    pos = slash + 1;
  }
}

void put(const std::string &p, std::string_view data, mode_t mode = 0644) {
  mkdirs(p.substr(0, p.rfind('/')));
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  REQUIRE_MESSAGE(fd >= 0, "create " << p);
  REQUIRE(::write(fd, data.data(), data.size()) == ssize_t(data.size()));
  ::close(fd);
}

std::string slurp(const std::string &p) {
  auto r = read_file(p, 1u << 24);
  REQUIRE_MESSAGE(r.ok(), "read " << p);
  return *r;
}

bool exists(const std::string &p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0;
}

bool is_dir(const std::string &p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_symlink(const std::string &p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

std::vector<std::string> list(const std::string &dir) {
  std::vector<std::string> out;
  DIR *d = ::opendir(dir.c_str());
  REQUIRE(d != nullptr);
  while (dirent *de = ::readdir(d))
    if (std::strcmp(de->d_name, ".") && std::strcmp(de->d_name, "..")) out.emplace_back(de->d_name);
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

struct Dep {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels = {};
  std::string id = {};
  std::optional<uint64_t> size = {};
};

struct Image {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels = {};
  std::vector<Dep> deps = {};
  std::vector<std::string> whitelist = {};
  std::vector<std::pair<std::string, std::string>> files = {};     // rootfs path -> content
  std::vector<std::pair<std::string, std::string>> symlinks = {};  // rootfs path -> target
  std::vector<std::string> dirs = {};
};

std::string json_str(const std::string &s) { return "\"" + s + "\""; }

std::string labels_json(const std::vector<std::pair<std::string, std::string>> &labels) {
  std::string s = "[";
  for (size_t i = 0; i < labels.size(); ++i)
    s += (i ? "," : "") + std::string("{\"name\":") + json_str(labels[i].first) + ",\"value\":" +
         json_str(labels[i].second) + "}";
  return s + "]";
}

std::string manifest_json(const Image &img) {
  std::string s = R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":)" + json_str(img.name);
  if (!img.labels.empty()) s += ",\"labels\":" + labels_json(img.labels);
  if (!img.deps.empty()) {
    s += ",\"dependencies\":[";
    for (size_t i = 0; i < img.deps.size(); ++i) {
      const Dep &d = img.deps[i];
      s += (i ? "," : "") + std::string("{\"imageName\":") + json_str(d.name);
      if (!d.id.empty()) s += ",\"imageID\":" + json_str(d.id);
      if (!d.labels.empty()) s += ",\"labels\":" + labels_json(d.labels);
      if (d.size) s += ",\"size\":" + std::to_string(*d.size);
      s += "}";
    }
    s += "]";
  }
  if (!img.whitelist.empty()) {
    s += ",\"pathWhitelist\":[";
    for (size_t i = 0; i < img.whitelist.size(); ++i) s += (i ? "," : "") + json_str(img.whitelist[i]);
    s += "]";
  }
  return s + "}";
}

// Lay `img` out under <scratch>/layouts/<file> and build <repo>/<file>.aci.
ImageInfo make(const Scratch &s, const std::string &repo, const std::string &file, const Image &img,
               Compression c = Compression::none) {
  std::string l = s / ("layouts/" + file);
  (void)remove_tree(l);
  put(l + "/manifest", manifest_json(img));
  mkdirs(l + "/rootfs");
  for (const auto &d : img.dirs) mkdirs(l + "/rootfs" + d);
  for (const auto &[p, content] : img.files) put(l + "/rootfs" + p, content);
  for (const auto &[p, target] : img.symlinks) {
    mkdirs((l + "/rootfs" + p).substr(0, (l + "/rootfs" + p).rfind('/')));
    REQUIRE(::symlink(target.c_str(), (l + "/rootfs" + p).c_str()) == 0);
  }
  mkdirs(repo);
  BuildOptions o;
  o.compression = c;
  o.overwrite = true;
  auto r = build_image(l, repo + "/" + file + ".aci", o);
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  return std::move(r).value();
}

std::unique_ptr<DirectoryResolver> open_repo(const std::string &repo) {
  auto r = DirectoryResolver::open(repo);
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  return std::move(r).value();
}

std::vector<std::string> layer_names(const RenderResult &r) {
  std::vector<std::string> out;
  for (const auto &l : r.layers) out.push_back(l.name.substr(l.name.rfind('/') + 1));
  return out;
}

void expect_no_temp(const Scratch &s, const std::string &target_name) {
  for (const auto &n : list(s.path)) CHECK_MESSAGE(n.rfind("." + target_name + ".tmp-", 0) != 0, n);
}

// After a failed render: no target, and no temporary sibling left over.
void expect_clean(const Scratch &s, const std::string &target_name) {
  CHECK_FALSE(exists(s / target_name));
  expect_no_temp(s, target_name);
}

std::string N(const std::string &short_name) { return "example.com/" + short_name; }

// A resolver that knows only where files are (like a store that has not read
// the manifests): the renderer reads each image itself.
class PathResolver final : public Resolver {
public:
  std::map<std::string, ResolvedImage> by_name;
  std::vector<std::string> asked;
  Result<ResolvedImage> resolve(const spec::Dependency &dep) override {
    asked.push_back(dep.image_name);
    auto it = by_name.find(dep.image_name);
    if (it == by_name.end()) return Error::make(Code::not_found, "nothing named " + dep.image_name);
    return it->second;
  }
};

} // namespace

TEST_CASE("spec 52: A->[B,C], C->[D] renders B, D, C, A; later layers win") {
  Scratch s;
  std::string repo = s / "repo";
  make(s, repo, "d", {N("d"), {}, {}, {}, {{"/who", "D"}, {"/d", "d"}}});
  make(s, repo, "b", {N("b"), {}, {}, {}, {{"/who", "B"}, {"/b", "b"}, {"/shared/by-b", "1"}}});
  make(s, repo, "c", {N("c"), {}, {{N("d")}}, {}, {{"/who", "C"}, {"/c", "c"}, {"/shared/by-c", "2"}}});
  make(s, repo, "a", {N("a"), {}, {{N("b")}, {N("c")}}, {}, {{"/a", "a"}}});
  auto res = open_repo(repo);
  auto r = render_image(repo + "/a.aci", *res, s / "out");
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(layer_names(*r) == std::vector<std::string>{"b", "d", "c", "a"});
  // A has no /who: C, the last layer that has one, wins over D and B.
  CHECK(slurp(s / "out/who") == "C");
  CHECK(list(s / "out") == std::vector<std::string>{"a", "b", "c", "d", "shared", "who"});
  CHECK(list(s / "out/shared") == std::vector<std::string>{"by-b", "by-c"});
  CHECK_FALSE(exists(s / "out/manifest"));  // the rendered tree is the app's root filesystem
  for (const auto &l : r->layers) CHECK(l.whitelist_chain_owners.empty());
  expect_no_temp(s, "out");
}

TEST_CASE("spec 52: A->[B,C], B->[D], C->[D] renders D, B, D, C, A, each D under its own parent chain") {
  Scratch s;
  std::string repo = s / "repo";
  auto d = make(s, repo, "d", {N("d"), {}, {}, {}, {{"/d1", "d"}, {"/d2", "d"}, {"/d3", "d"}}});
  make(s, repo, "b", {N("b"), {}, {{N("d")}}, {"/b", "/d1"}, {{"/b", "b"}, {"/b-unlisted", "x"}}});
  make(s, repo, "c", {N("c"), {}, {{N("d"), {}, d.id}}, {"/c", "/d2"}, {{"/c", "c"}}});
  make(s, repo, "a", {N("a"), {}, {{N("b")}, {N("c")}}, {}, {{"/a", "a"}}});
  auto res = open_repo(repo);
  auto r = render_image(repo + "/a.aci", *res, s / "out");
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(layer_names(*r) == std::vector<std::string>{"d", "b", "d", "c", "a"});
  // D via B keeps only what B lists, D via C only what C lists: /d3 is in neither.
  CHECK(list(s / "out") == std::vector<std::string>{"a", "b", "c", "d1", "d2"});
  CHECK(r->layers[0].whitelist_chain_owners == std::vector<std::string>{N("b")});
  CHECK(r->layers[1].whitelist_chain_owners == std::vector<std::string>{N("b")});
  CHECK(r->layers[2].whitelist_chain_owners == std::vector<std::string>{N("c")});
  CHECK(r->layers[4].whitelist_chain_owners.empty());
  CHECK(r->layers[0].id == d.id);
  CHECK(r->layers[2].id == d.id);
}

TEST_CASE("spec 51, 53: pathWhitelist of the image and of every image above it; directories by prefix") {
  Scratch s;
  std::string repo = s / "repo";
  make(s, repo, "base",
       {N("base"),
        {},
        {},
        {},
        {{"/etc/keep", "k"},
         {"/etc/drop", "d"},
         {"/etc/systemd/system/unit.service", "u"},
         {"/usr/bin/tool", "t"},
         {"/usr/bin/other", "o"},
         {"/usr/lib/libx.so", "l"},
         {"/opt/x", "x"}},
        {},
        {"/empty-dir", "/var/cache"}});
  SUBCASE("the top image's whitelist filters its dependencies and itself") {
    make(s, repo, "app",
         {N("app"),
          {},
          {{N("base")}},
          {"/etc/keep", "/etc/systemd/system/", "/usr//bin/./tool", "/app", "/var/cache"},
          {{"/app", "a"}, {"/app-unlisted", "x"}}});
    auto res = open_repo(repo);
    auto r = render_image(repo + "/app.aci", *res, s / "out");
    REQUIRE_MESSAGE(r.ok(), r.error().message);
    CHECK(list(s / "out") == std::vector<std::string>{"app", "etc", "usr", "var"});
    CHECK(list(s / "out/etc") == std::vector<std::string>{"keep", "systemd"});
    // "/etc/systemd/system/" lists the directory itself, not what is in it.
    CHECK(is_dir(s / "out/etc/systemd/system"));
    CHECK(list(s / "out/etc/systemd/system").empty());
    CHECK(list(s / "out/usr") == std::vector<std::string>{"bin"});
    CHECK(list(s / "out/usr/bin") == std::vector<std::string>{"tool"});
    CHECK(is_dir(s / "out/var/cache"));
    CHECK(r->layers[0].whitelist_chain_owners == std::vector<std::string>{N("app")});
  }
  SUBCASE("an intermediate image's whitelist applies to what is below it, not to what is above") {
    make(s, repo, "mid", {N("mid"), {}, {{N("base")}}, {"/usr/bin/tool", "/usr/bin/other", "/mid"}, {{"/mid", "m"}}});
    make(s, repo, "top", {N("top"), {}, {{N("mid")}}, {}, {{"/top/file", "t"}}});
    auto res = open_repo(repo);
    auto r = render_image(repo + "/top.aci", *res, s / "out");
    REQUIRE_MESSAGE(r.ok(), r.error().message);
    CHECK(list(s / "out") == std::vector<std::string>{"mid", "top", "usr"});
    CHECK(list(s / "out/usr/bin") == std::vector<std::string>{"other", "tool"});
    CHECK(slurp(s / "out/top/file") == "t");
  }
  SUBCASE("two whitelists on one chain: only what both list") {
    make(s, repo, "mid", {N("mid"), {}, {{N("base")}}, {"/usr/bin/tool", "/usr/bin/other", "/mid"}, {{"/mid", "m"}}});
    make(s, repo, "top", {N("top"), {}, {{N("mid")}}, {"/usr/bin/other", "/etc/keep", "/top"}, {{"/top", "t"}}});
    auto res = open_repo(repo);
    auto r = render_image(repo + "/top.aci", *res, s / "out");
    REQUIRE_MESSAGE(r.ok(), r.error().message);
    // /mid is not listed by top; /etc/keep is not listed by mid.
    CHECK(list(s / "out") == std::vector<std::string>{"top", "usr"});
    CHECK(list(s / "out/usr/bin") == std::vector<std::string>{"other"});
    CHECK(r->layers[0].whitelist_chain_owners == std::vector<std::string>{N("mid"), N("top")});
  }
}

TEST_CASE("spec 53: a later layer replaces a symlink to a directory instead of following it") {
  Scratch s;
  std::string repo = s / "repo";
  make(s, repo, "base",
       {N("base"),
        {},
        {},
        {},
        {{"/usr/lib/x", "x"}, {"/usr/share/doc", "d"}},
        {{"/lib", "usr/lib"}, {"/etc/alt", "/usr/share"}, {"/abs", "/usr/lib"}}});
  make(s, repo, "top",
       {N("top"), {}, {{N("base")}}, {}, {{"/lib/own", "mine"}, {"/etc/alt", "a file now"}, {"/abs/f", "f"}}, {}, {}});
  auto res = open_repo(repo);
  auto r = render_image(repo + "/top.aci", *res, s / "out");
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(is_dir(s / "out/lib"));
  CHECK_FALSE(is_symlink(s / "out/lib"));
  CHECK(list(s / "out/lib") == std::vector<std::string>{"own"});
  CHECK(list(s / "out/usr/lib") == std::vector<std::string>{"x"});
  CHECK(slurp(s / "out/etc/alt") == "a file now");
  CHECK(list(s / "out/usr/share") == std::vector<std::string>{"doc"});
  CHECK(is_dir(s / "out/abs"));
  CHECK(list(s / "out/usr/lib") == std::vector<std::string>{"x"});
}

TEST_CASE("spec 53: a later layer overwrites files, modes and symlinks of earlier ones") {
  Scratch s;
  std::string repo = s / "repo";
  make(s, repo, "base", {N("base"), {}, {}, {}, {{"/etc/conf", "old"}, {"/bin/sh", "base shell"}}, {{"/etc/l", "conf"}}});
  make(s, repo, "top",
       {N("top"), {}, {{N("base")}}, {}, {{"/etc/conf", "new"}, {"/etc/l", "a file replacing a symlink"}}, {{"/bin/sh", "busybox"}}});
  auto res = open_repo(repo);
  auto r = render_image(repo + "/top.aci", *res, s / "out");
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(slurp(s / "out/etc/conf") == "new");
  CHECK(slurp(s / "out/etc/l") == "a file replacing a symlink");
  CHECK(is_symlink(s / "out/bin/sh"));
}

TEST_CASE("spec 51: dependency cycles are errors naming the cycle, and nothing is rendered") {
  Scratch s;
  std::string repo = s / "repo";
  SUBCASE("a -> b -> a") {
    make(s, repo, "a", {N("a"), {}, {{N("b")}}, {}, {{"/a", "a"}}});
    make(s, repo, "b", {N("b"), {}, {{N("a")}}, {}, {{"/b", "b"}}});
    auto res = open_repo(repo);
    auto r = render_image(repo + "/a.aci", *res, s / "out");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::invalid);
    CHECK(r.error().message.find("example.com/a -> example.com/b -> example.com/a") != std::string::npos);
  }
  SUBCASE("a -> a") {
    make(s, repo, "a", {N("a"), {}, {{N("a")}}, {}, {{"/a", "a"}}});
    auto res = open_repo(repo);
    auto r = render_image(repo + "/a.aci", *res, s / "out");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("cycle: example.com/a -> example.com/a") != std::string::npos);
  }
  SUBCASE("a -> b -> c -> b") {
    make(s, repo, "a", {N("a"), {}, {{N("b")}}, {}, {}});
    make(s, repo, "b", {N("b"), {}, {{N("c")}}, {}, {}});
    make(s, repo, "c", {N("c"), {}, {{N("b")}}, {}, {}});
    auto res = open_repo(repo);
    auto r = render_image(repo + "/a.aci", *res, s / "out");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("cycle: example.com/b -> example.com/c -> example.com/b") != std::string::npos);
  }
  expect_clean(s, "out");
}

TEST_CASE("spec 51: a missing dependency names the chain and what was looked for") {
  Scratch s;
  std::string repo = s / "repo";
  make(s, repo, "a", {N("a"), {}, {{N("b")}}, {}, {}});
  make(s, repo, "b", {N("b"), {}, {{N("c"), {{"version", "1.0.0"}}}}, {}, {}});
  make(s, repo, "c", {N("c"), {{"version", "2.0.0"}}, {}, {}, {}});
  auto res = open_repo(repo);
  auto r = render_image(repo + "/a.aci", *res, s / "out");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Code::not_found);
  const std::string &m = r.error().message;
  CAPTURE(m);
  CHECK(m.find("example.com/a -> example.com/b") != std::string::npos);
  CHECK(m.find("\"example.com/c\" with labels version=1.0.0") != std::string::npos);
  CHECK(m.find("c.aci: version=2.0.0") != std::string::npos);  // what there is under that name
  expect_clean(s, "out");
}

TEST_CASE("spec 49, 56: a dependency whose image ID does not match is refused, the target left clean") {
  Scratch s;
  std::string repo = s / "repo";
  auto b = make(s, repo, "b", {N("b"), {}, {}, {}, {{"/b", "original"}}});
  make(s, repo, "a", {N("a"), {}, {{N("b"), {}, b.id}}, {}, {{"/a", "a"}}});
  SUBCASE("the file changed after the resolver indexed it: caught while streaming") {
    auto res = open_repo(repo);
    make(s, repo, "b", {N("b"), {}, {}, {}, {{"/b", "tampered"}}});
    auto r = render_image(repo + "/a.aci", *res, s / "out");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::verify);
    CHECK(r.error().message.find(b.id) != std::string::npos);
    CHECK(r.error().message.find("mismatch") != std::string::npos);
  }
  SUBCASE("no image has the ID asked for") {
    make(s, repo, "b", {N("b"), {}, {}, {}, {{"/b", "tampered"}}});
    auto res = open_repo(repo);
    auto r = render_image(repo + "/a.aci", *res, s / "out");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::not_found);
    CHECK(r.error().message.find(b.id) != std::string::npos);
  }
  SUBCASE("a resolver that returns another image is caught before anything is written") {
    auto other = make(s, repo, "b2", {N("b"), {}, {}, {}, {{"/b", "other"}}});
    PathResolver pr;
    pr.by_name[N("b")] = ResolvedImage{repo + "/b2.aci", "", std::nullopt};
    mkdirs(s / "out");  // an empty target directory may exist
    auto r = render_image(repo + "/a.aci", pr, s / "out");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::verify);
    CHECK(r.error().message.find(other.id) != std::string::npos);
    CHECK(list(s / "out").empty());
    REQUIRE(::rmdir((s / "out").c_str()) == 0);
  }
  expect_clean(s, "out");
}

TEST_CASE("spec 19: a dependency's size is the ACI file's size in bytes; a mismatch is refused") {
  Scratch s;
  std::string repo = s / "repo";
  // gzip: the file size differs from the tar size, which is not what `size` means.
  auto b = make(s, repo, "b", {N("b"), {}, {}, {}, {{"/b", std::string(5000, 'b')}}}, Compression::gzip);
  REQUIRE(b.archive_size != b.tar_size);
  SUBCASE("matching") {
    make(s, repo, "a", {N("a"), {}, {{N("b"), {}, "", b.archive_size}}, {}, {}});
    auto res = open_repo(repo);
    auto r = render_image(repo + "/a.aci", *res, s / "out");
    REQUIRE_MESSAGE(r.ok(), r.error().message);
    CHECK(slurp(s / "out/b") == std::string(5000, 'b'));
  }
  SUBCASE("the tar size is not the size") {
    make(s, repo, "a", {N("a"), {}, {{N("b"), {}, "", b.tar_size}}, {}, {}});
    auto res = open_repo(repo);
    auto r = render_image(repo + "/a.aci", *res, s / "out");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::verify);
    CHECK(r.error().message.find("size mismatch") != std::string::npos);
    CHECK(r.error().message.find(std::to_string(b.archive_size)) != std::string::npos);
    expect_clean(s, "out");
  }
}

TEST_CASE("spec 49: labels select among images of one name; the highest SemVer version wins") {
  Scratch s;
  std::string repo = s / "repo";
  make(s, repo, "lib-1.2.0", {N("lib"), {{"version", "1.2.0"}, {"os", "linux"}}, {}, {}, {{"/v", "1.2.0"}}});
  make(s, repo, "lib-1.10.0", {N("lib"), {{"version", "1.10.0"}, {"os", "linux"}}, {}, {}, {{"/v", "1.10.0"}}});
  make(s, repo, "lib-1.9.0-fbsd", {N("lib"), {{"version", "1.9.0"}, {"os", "freebsd"}}, {}, {}, {{"/v", "1.9.0"}}});
  make(s, repo, "lib-latest", {N("lib"), {{"version", "latest"}, {"os", "linux"}}, {}, {}, {{"/v", "latest"}}});
  make(s, repo, "lib-nolabel", {N("lib"), {}, {}, {}, {{"/v", "none"}}});
  make(s, repo, "other", {N("other"), {{"version", "9.9.9"}}, {}, {}, {}});
  auto res = open_repo(repo);
  CHECK(res->entries().size() == 6);
  auto pick = [&](std::vector<std::pair<std::string, std::string>> labels) -> std::string {
    spec::Dependency d;
    d.image_name = N("lib");
    for (auto &[k, v] : labels) d.labels.push_back({k, v});
    auto r = res->resolve(d);
    if (!r) return "error: " + r.error().message;
    CHECK(r->manifest.has_value());
    return r->aci_path.substr(r->aci_path.rfind('/') + 1);
  };
  // 1.10.0 > 1.9.0 > 1.2.0 numerically (not as strings); "latest" is not SemVer and ranks below.
  CHECK(pick({}) == "lib-1.10.0.aci");
  CHECK(pick({{"os", "linux"}}) == "lib-1.10.0.aci");
  CHECK(pick({{"os", "freebsd"}}) == "lib-1.9.0-fbsd.aci");
  CHECK(pick({{"version", "1.2.0"}}) == "lib-1.2.0.aci");
  CHECK(pick({{"version", "latest"}}) == "lib-latest.aci");
  std::string none = pick({{"os", "darwin"}});
  CHECK(none.rfind("error: no image \"example.com/lib\" with labels os=darwin", 0) == 0);
  CHECK(none.find("lib-1.2.0.aci: version=1.2.0,os=linux") != std::string::npos);
  CHECK(pick({{"arch", "amd64"}}).rfind("error:", 0) == 0);  // a label the images lack does not match

  SUBCASE("through render: the dependency's labels choose the layer") {
    make(s, repo, "app", {N("app"), {}, {{N("lib"), {{"os", "freebsd"}}}}, {}, {{"/app", "x"}}});
    auto res2 = open_repo(repo);
    auto r = render_image(repo + "/app.aci", *res2, s / "out");
    REQUIRE_MESSAGE(r.ok(), r.error().message);
    CHECK(slurp(s / "out/v") == "1.9.0");
  }
}

TEST_CASE("spec 49: SemVer 2.0.0 precedence decides between candidates, the file name breaks ties") {
  Scratch s;
  std::string repo = s / "repo";
  // The chain of SemVer 2.0.0 section 11, lowest first. Image i carries the
  // labels p<i> and p<i+1>, so asking for p<i+1> offers exactly images i and i+1.
  const std::vector<std::string> chain = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                                          "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0",
                                          "1.0.1", "1.1.0", "2.0.0", "10.0.0"};
  // File names sort the other way (the lower version first), so the name
  // cannot be what decides: on equal precedence the first name would win.
  for (size_t i = 0; i < chain.size(); ++i) {
    std::string file = "v" + std::to_string(100 + i);
    make(s, repo, file,
         {N("lib"),
          {{"version", chain[i]}, {"p" + std::to_string(i), "y"}, {"p" + std::to_string(i + 1), "y"}},
          {},
          {},
          {}});
  }
  make(s, repo, "t-a", {N("tie"), {{"version", "1.0.0+build.2"}}, {}, {}, {{"/f", "a"}}});
  make(s, repo, "t-b", {N("tie"), {{"version", "1.0.0+build.1"}}, {}, {}, {{"/f", "b"}}});
  auto res = open_repo(repo);
  for (size_t i = 1; i < chain.size(); ++i) {
    CAPTURE(chain[i]);
    spec::Dependency d;
    d.image_name = N("lib");
    d.labels.push_back({"p" + std::to_string(i), "y"});
    auto r = res->resolve(d);
    REQUIRE(r.ok());
    CHECK(r->aci_path == repo + "/v" + std::to_string(100 + i) + ".aci");
  }
  spec::Dependency all;
  all.image_name = N("lib");
  auto top = res->resolve(all);
  REQUIRE(top.ok());
  CHECK(top->aci_path == repo + "/v" + std::to_string(100 + chain.size() - 1) + ".aci");
  // Build metadata does not count: equal precedence, the first file name wins.
  spec::Dependency tie;
  tie.image_name = N("tie");
  auto t = res->resolve(tie);
  REQUIRE(t.ok());
  CHECK(t->aci_path == repo + "/t-a.aci");
}

TEST_CASE("DirectoryResolver: by image ID, the name (and labels) must match too") {
  Scratch s;
  std::string repo = s / "repo";
  auto b = make(s, repo, "b", {N("b"), {{"version", "1.0.0"}}, {}, {}, {{"/b", "b"}}});
  make(s, repo, "b-newer", {N("b"), {{"version", "2.0.0"}}, {}, {}, {{"/b", "newer"}}});
  auto res = open_repo(repo);
  spec::Dependency d;
  d.image_name = N("b");
  d.image_id = b.id;
  auto r = res->resolve(d);
  REQUIRE(r.ok());
  CHECK(r->aci_path == repo + "/b.aci");  // the ID decides, not the highest version
  CHECK(r->id == b.id);
  d.image_name = N("not-b");
  auto wrong = res->resolve(d);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().code == Code::invalid);
  CHECK(wrong.error().message.find("is named \"example.com/b\"") != std::string::npos);
  d.image_name = N("b");
  d.labels.push_back({"version", "2.0.0"});
  auto labels = res->resolve(d);
  REQUIRE_FALSE(labels.ok());
  CHECK(labels.error().message.find("version=2.0.0") != std::string::npos);
}

TEST_CASE("DirectoryResolver: only *.aci files of the directory itself; a broken one is reported") {
  Scratch s;
  std::string repo = s / "repo";
  make(s, repo, "b", {N("b"), {}, {}, {}, {}});
  put(repo + "/notes.txt", "not an image");
  mkdirs(repo + "/sub");
  make(s, repo + "/sub", "hidden", {N("hidden"), {}, {}, {}, {}});
  auto res = open_repo(repo);
  REQUIRE(res->entries().size() == 1);
  CHECK(res->entries()[0].manifest.name == N("b"));
  struct stat st;
  REQUIRE(::stat((repo + "/b.aci").c_str(), &st) == 0);
  CHECK(res->entries()[0].size == uint64_t(st.st_size));
  put(repo + "/broken.aci", "this is not a tar");
  auto bad = DirectoryResolver::open(repo);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find(repo + "/broken.aci") != std::string::npos);
  auto missing = DirectoryResolver::open(s / "no-such-dir");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == Code::not_found);
}

TEST_CASE("render: a resolver that knows only file paths works too; the renderer reads the manifests") {
  Scratch s;
  std::string repo = s / "repo";
  make(s, repo, "d", {N("d"), {}, {}, {}, {{"/d", "d"}}});
  make(s, repo, "b", {N("b"), {}, {{N("d")}}, {}, {{"/b", "b"}}});
  make(s, repo, "c", {N("c"), {}, {{N("d")}}, {}, {{"/c", "c"}}});
  make(s, repo, "a", {N("a"), {}, {{N("b")}, {N("c")}}, {}, {{"/a", "a"}}});
  PathResolver pr;
  for (const char *n : {"b", "c", "d"}) pr.by_name[N(n)] = ResolvedImage{repo + "/" + n + ".aci", "", std::nullopt};
  auto r = render_image(repo + "/a.aci", pr, s / "out");
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(layer_names(*r) == std::vector<std::string>{"d", "b", "d", "c", "a"});
  CHECK(list(s / "out") == std::vector<std::string>{"a", "b", "c", "d"});
  CHECK(pr.asked == std::vector<std::string>{N("b"), N("d"), N("c"), N("d")});
}

TEST_CASE("render: the target must be absent or empty; an empty one is replaced") {
  Scratch s;
  std::string repo = s / "repo";
  make(s, repo, "a", {N("a"), {}, {}, {}, {{"/a", "a"}}});
  auto res = open_repo(repo);
  SUBCASE("not empty") {
    put(s / "out/keep", "mine");
    auto r = render_image(repo + "/a.aci", *res, s / "out");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::exists);
    CHECK(list(s / "out") == std::vector<std::string>{"keep"});
  }
  SUBCASE("empty") {
    mkdirs(s / "out");
    auto r = render_image(repo + "/a.aci", *res, s / "out");
    REQUIRE(r.ok());
    CHECK(list(s / "out") == std::vector<std::string>{"a"});
    struct stat st;
    REQUIRE(::stat((s / "out").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0755);
  }
}

TEST_CASE("render: progress is reported as \"render\"; cancelling leaves nothing behind") {
  Scratch s;
  std::string repo = s / "repo";
  make(s, repo, "b", {N("b"), {}, {}, {}, {{"/b", std::string(300000, 'b')}}});
  make(s, repo, "a", {N("a"), {}, {{N("b")}}, {}, {{"/a", std::string(300000, 'a')}}});
  auto res = open_repo(repo);
  SUBCASE("progress") {
    RenderOptions o;
    std::vector<Progress> seen;
    o.progress = [&](const Progress &p) {
      seen.push_back(p);
      return true;
    };
    auto r = render_image(repo + "/a.aci", *res, s / "out", o);
    REQUIRE(r.ok());
    REQUIRE(!seen.empty());
    for (const auto &p : seen) CHECK(std::string(p.phase) == "render");
    for (size_t i = 1; i < seen.size(); ++i) CHECK(seen[i].bytes_out >= seen[i - 1].bytes_out);
    CHECK(seen.back().bytes_out > 600000);
  }
  SUBCASE("cancel in the second layer") {
    RenderOptions o;
    o.progress = [&](const Progress &p) { return p.bytes_out < 400000; };
    auto r = render_image(repo + "/a.aci", *res, s / "out", o);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::cancelled);
    expect_clean(s, "out");
  }
}

TEST_CASE("spec 53: a later layer's symlink or file replaces an earlier layer's directory, contents and all") {
  Scratch s;
  std::string repo = s / "repo";
  // Debian turned /var/run into a symlink: an upper image must be able to do the same.
  make(s, repo, "base", {N("base"), {}, {}, {}, {{"/var/run/pid", "1"}, {"/opt/tool/bin/x", "x"}}, {}, {"/run"}});
  make(s, repo, "top", {N("top"), {}, {{N("base")}}, {}, {{"/opt/tool", "a file now"}}, {{"/var/run", "../run"}}});
  auto res = open_repo(repo);
  auto r = render_image(repo + "/top.aci", *res, s / "out");
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(is_symlink(s / "out/var/run"));
  CHECK(list(s / "out/run").empty());
  CHECK(slurp(s / "out/opt/tool") == "a file now");
}

TEST_CASE("spec 20: a whitelisted hardlink whose first name is filtered out is a clear error, nothing rendered") {
  Scratch s;
  std::string repo = s / "repo";
  std::string l = s / "layouts/links";
  put(l + "/manifest", manifest_json({N("links"), {}, {}, {"/bin/b"}}));
  put(l + "/rootfs/bin/a", "shared");
  REQUIRE(::link((l + "/rootfs/bin/a").c_str(), (l + "/rootfs/bin/b").c_str()) == 0);
  mkdirs(repo);
  auto built = build_image(l, repo + "/links.aci");
  REQUIRE(built.ok());
  auto res = open_repo(repo);
  auto r = render_image(repo + "/links.aci", *res, s / "out");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("rootfs/bin/b") != std::string::npos);
  CHECK(r.error().message.find("rootfs/bin/a") != std::string::npos);
  expect_clean(s, "out");
}
