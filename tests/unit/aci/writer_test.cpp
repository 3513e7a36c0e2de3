// build_image: reproducible ACIs that keep everything a root filesystem needs
// (spec 37-46), checked against the reader, the extractor and, when it is
// available, the reference actool.
#include "aci/aci.hpp"
#include "util/fs.hpp"
#include "util/hash.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <clocale>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <vector>

using namespace appc;
using namespace appc::aci;

namespace {

const char kManifest[] = R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/writer-test"})";

// A scratch directory under /dev/shm, removed even when a check fails.
struct Scratch {
  std::string path;
  Scratch() {
    char t[] = "/dev/shm/appc-writer-XXXXXX";
    REQUIRE(::mkdtemp(t) != nullptr);
    path = t;
  }
  ~Scratch() { (void)remove_tree(path); }
  std::string operator/(const std::string &n) const { return path + "/" + n; }
};

void mkdirs(const std::string &p, mode_t mode = 0755) {
  size_t pos = 1;
  for (;;) {
    size_t slash = p.find('/', pos);
    std::string prefix = p.substr(0, slash);
    if (::mkdir(prefix.c_str(), mode) < 0) REQUIRE_MESSAGE(errno == EEXIST, "mkdir " << prefix);
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
  REQUIRE(::chmod(p.c_str(), mode) == 0);
}

std::string slurp(const std::string &p) {
  auto r = read_file(p, 1u << 30);
  REQUIRE_MESSAGE(r.ok(), "read " << p);
  return *r;
}

void set_mtime(const std::string &p, time_t sec, long nsec = 0) {
  struct timespec t[2] = {{0, UTIME_OMIT}, {sec, nsec}};
  REQUIRE(::utimensat(AT_FDCWD, p.c_str(), t, AT_SYMLINK_NOFOLLOW) == 0);
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

std::string file_id(const std::string &p) { return "sha512-" + sha512_hex(slurp(p).data(), slurp(p).size()); }

bool is_root() { return ::geteuid() == 0; }

// Every path below `root` (relative, "" for root itself), in walk order.
void walk(const std::string &root, const std::string &rel, std::vector<std::string> &out) {
  out.push_back(rel);
  struct stat st;
  std::string p = rel.empty() ? root : root + "/" + rel;
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  if (!S_ISDIR(st.st_mode)) return;
  for (const auto &n : list(p)) walk(root, rel.empty() ? n : rel + "/" + n, out);
}

std::map<std::string, std::string> xattrs(const std::string &p) {
  std::map<std::string, std::string> out;
  char names[4096];
  ssize_t n = ::llistxattr(p.c_str(), names, sizeof names);
  if (n <= 0) return out;
  for (ssize_t i = 0; i < n; i += ssize_t(std::strlen(names + i)) + 1) {
    char value[4096];
    ssize_t v = ::lgetxattr(p.c_str(), names + i, value, sizeof value);
    if (v >= 0) out[names + i] = std::string(value, size_t(v));
  }
  return out;
}

// The reference actool: $APPC_REFKIT/bin/actool, else /tmp/refkit/bin/actool.
std::optional<std::string> actool() {
  if (const char *k = std::getenv("APPC_REFKIT")) {
    std::string p = std::string(k) + "/bin/actool";
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  if (::access("/tmp/refkit/bin/actool", X_OK) == 0) return std::string("/tmp/refkit/bin/actool");
  return std::nullopt;
}

// Run argv; exit status and combined output.
int run(const std::vector<std::string> &argv, std::string &output) {
  int pipefd[2];
  REQUIRE(::pipe2(pipefd, O_CLOEXEC) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    ::dup2(pipefd[1], 2);
    std::vector<char *> args;
    for (const auto &a : argv) args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) output.append(buf, size_t(n));
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// A version 2 file capability: cap_net_bind_service (bit 10) permitted + effective.
std::string capability_blob() {
  unsigned char b[20] = {};
  uint32_t magic = 0x02000000u | 1u;  // VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE
  std::memcpy(b, &magic, 4);
  uint32_t permitted = 1u << 10;
  std::memcpy(b + 4, &permitted, 4);
  return std::string(reinterpret_cast<char *>(b), sizeof b);
}

// A layout with every kind of thing a root filesystem holds. Everything gets
// fixed metadata, so two calls make trees that must give the same image ID.
// `reverse` creates the entries in the opposite order (other inode numbers,
// other readdir order).
void make_rich_layout(const std::string &dir, bool reverse = false) {
  put(dir + "/manifest", kManifest);
  std::string r = dir + "/rootfs";
  mkdirs(r);
  std::vector<std::function<void()>> steps = {
      [&] {
        put(r + "/bin/tool", "#!/bin/sh\necho tool\n", 04755);
        REQUIRE(::link((r + "/bin/tool").c_str(), (r + "/bin/tool-hardlink").c_str()) == 0);
        put(r + "/bin/sgid", "sgid\n", 02755);
        REQUIRE(::setxattr((r + "/bin/tool").c_str(), "user.note", "hello", 5, 0) == 0);
        if (is_root()) {
          std::string cap = capability_blob();
          REQUIRE(::setxattr((r + "/bin/tool").c_str(), "security.capability", cap.data(), cap.size(), 0) == 0);
        }
      },
      [&] {
        mkdirs(r + "/tmp");
        REQUIRE(::chmod((r + "/tmp").c_str(), 01777) == 0);
      },
      [&] {
        put(r + "/etc/conf", "a=b\n", 0640);
        REQUIRE(::symlink("../bin/tool", (r + "/etc/link").c_str()) == 0);
        REQUIRE(::symlink("/nonexistent/dangling", (r + "/etc/dangling").c_str()) == 0);
        if (is_root()) {
          REQUIRE(::chown((r + "/etc/conf").c_str(), 1234, 5678) == 0);
          REQUIRE(::lchown((r + "/etc/link").c_str(), 4321, 8765) == 0);
        }
      },
      [&] {
        mkdirs(r + "/dev");
        REQUIRE(::mkfifo((r + "/dev/fifo").c_str(), 0620) == 0);
        if (is_root()) {
          REQUIRE(::mknod((r + "/dev/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0);
          REQUIRE(::mknod((r + "/dev/loop9").c_str(), S_IFBLK | 0660, makedev(7, 9)) == 0);
        }
      },
      [&] {
        // 64 MiB with 8 KiB of data in two places; and a file that is one hole.
        std::string p = r + "/var/sparse";
        put(p, "");
        int fd = ::open(p.c_str(), O_WRONLY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        std::string block(4096, 'x');
        REQUIRE(::pwrite(fd, block.data(), block.size(), 1 << 20) == 4096);
        REQUIRE(::pwrite(fd, block.data(), block.size(), 40 << 20) == 4096);
        REQUIRE(::ftruncate(fd, 64 << 20) == 0);
        ::close(fd);
        put(r + "/var/holes-only", "");
        REQUIRE(::truncate((r + "/var/holes-only").c_str(), 8 << 20) == 0);
      },
      [&] {
        std::string longdir = r + "/long/" + std::string(90, 'd') + "/" + std::string(80, 'e');
        put(longdir + "/" + std::string(120, 'f'), "deep\n");
        put(r + "/gr\xc3\xbc\xc3\x9f" "e", "utf-8 name\n");
        put(r + "/empty", "");
      },
  };
  if (reverse) std::reverse(steps.begin(), steps.end());
  for (auto &s : steps) s();
  // Fixed times, children before their directories (creating entries moves a directory's mtime).
  std::vector<std::string> paths;
  walk(r, "", paths);
  time_t t = 1600000000;
  for (auto it = paths.rbegin(); it != paths.rend(); ++it)
    set_mtime(it->empty() ? r : r + "/" + *it, t + time_t(std::hash<std::string>{}(*it) % 100000), 250000000);
  set_mtime(dir + "/manifest", t);
}

// A minimal reader of uncompressed tar streams (ustar + pax), to look at the
// bytes build_image writes.
struct TarEntry {
  std::string header_name;  // as in the ustar header
  std::string name;         // after pax path / GNU.sparse.name
  char type = 0;
  std::string uname, gname, linkname;
  std::vector<std::pair<std::string, std::string>> pax;  // of the 'x' header before it
};

uint64_t octal(const char *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n && p[i]; ++i)
    if (p[i] >= '0' && p[i] <= '7') v = v * 8 + uint64_t(p[i] - '0');
  return v;
}

std::string field(const char *p, size_t n) { return std::string(p, strnlen(p, n)); }

std::vector<TarEntry> parse_tar(const std::string &tar, std::vector<std::string> *pax_header_names = nullptr) {
  std::vector<TarEntry> out;
  std::vector<std::pair<std::string, std::string>> pending;
  size_t off = 0;
  while (off + 512 <= tar.size()) {
    const char *h = tar.data() + off;
    if (std::all_of(h, h + 512, [](char c) { return c == 0; })) break;
    REQUIRE(std::memcmp(h + 257, "ustar", 5) == 0);
    std::string name = field(h, 100);
    std::string prefix = field(h + 345, 155);
    if (!prefix.empty()) name = prefix + "/" + name;
    uint64_t size = octal(h + 124, 12);
    char type = h[156];
    std::string data = tar.substr(off + 512, size);
    off += 512 + (size + 511) / 512 * 512;
    if (type == 'x') {
      if (pax_header_names) pax_header_names->push_back(name);
      size_t p = 0;
      while (p < data.size()) {
        size_t sp = data.find(' ', p);
        size_t len = std::stoul(data.substr(p, sp - p));
        std::string rec = data.substr(sp + 1, len - (sp + 1 - p) - 1);
        size_t eq = rec.find('=');
        pending.emplace_back(rec.substr(0, eq), rec.substr(eq + 1));
        p += len;
      }
      continue;
    }
    TarEntry e;
    e.header_name = name;
    e.name = name;
    e.type = type;
    e.uname = field(h + 265, 32);
    e.gname = field(h + 297, 32);
    e.linkname = field(h + 157, 100);
    for (auto &[k, v] : pending) {
      if (k == "path" || k == "GNU.sparse.name") e.name = v;
      if (k == "linkpath") e.linkname = v;
    }
    e.pax = std::move(pending);
    pending.clear();
    out.push_back(std::move(e));
  }
  return out;
}

BuildOptions with(Compression c) {
  BuildOptions o;
  o.compression = c;
  return o;
}

} // namespace

TEST_CASE("spec 45: building the same tree twice gives the same image ID and the same bytes") {
  Scratch s;
  make_rich_layout(s / "layout");
  auto a = build_image(s / "layout", s / "a.aci");
  REQUIRE_MESSAGE(a.ok(), a.error().message);
  auto b = build_image(s / "layout", s / "b.aci");
  REQUIRE_MESSAGE(b.ok(), b.error().message);
  CHECK(a->id == b->id);
  CHECK(slurp(s / "a.aci") == slurp(s / "b.aci"));
  // Uncompressed, the image ID is the hash of the file itself, trailing blocks included.
  CHECK(a->id == file_id(s / "a.aci"));
  CHECK(a->tar_size == a->archive_size);
  CHECK(a->tar_size % 10240 == 0);
  CHECK(a->compression == Compression::none);

  SUBCASE("touching atimes and ctimes changes nothing") {
    std::vector<std::string> paths;
    walk(s / "layout/rootfs", "", paths);
    for (const auto &p : paths) {
      std::string full = p.empty() ? s / "layout/rootfs" : s / "layout/rootfs/" + p;
      struct timespec t[2] = {{12345, 0}, {0, UTIME_OMIT}};
      REQUIRE(::utimensat(AT_FDCWD, full.c_str(), t, AT_SYMLINK_NOFOLLOW) == 0);
      struct stat st;
      REQUIRE(::lstat(full.c_str(), &st) == 0);
      if (!S_ISLNK(st.st_mode)) REQUIRE(::chmod(full.c_str(), st.st_mode & 07777) == 0);  // new ctime
    }
    auto c = build_image(s / "layout", s / "c.aci");
    REQUIRE(c.ok());
    CHECK(c->id == a->id);
  }
  SUBCASE("an identical tree made elsewhere, in the opposite order, gives the same ID") {
    make_rich_layout(s / "other-place", true);
    auto c = build_image(s / "other-place", s / "c.aci");
    REQUIRE(c.ok());
    CHECK(c->id == a->id);
  }
  SUBCASE("one byte, one mode bit or one mtime more changes the ID") {
    put(s / "layout/rootfs/etc/conf", "a=c\n", 0640);
    set_mtime(s / "layout/rootfs/etc/conf", 1600000000 + time_t(std::hash<std::string>{}("etc/conf") % 100000),
              250000000);
    if (is_root()) REQUIRE(::chown((s / "layout/rootfs/etc/conf").c_str(), 1234, 5678) == 0);
    auto c = build_image(s / "layout", s / "c.aci");
    REQUIRE(c.ok());
    CHECK(c->id != a->id);
    REQUIRE(::chmod((s / "layout/rootfs/bin/sgid").c_str(), 0755) == 0);
    auto d = build_image(s / "layout", s / "d.aci");
    REQUIRE(d.ok());
    CHECK(d->id != c->id);
    set_mtime(s / "layout/rootfs/empty", 1);
    auto e = build_image(s / "layout", s / "e.aci");
    REQUIRE(e.ok());
    CHECK(e->id != d->id);
  }
}

TEST_CASE("spec 45: every compression holds the same tar; compressed builds are reproducible too") {
  Scratch s;
  make_rich_layout(s / "layout");
  auto plain = build_image(s / "layout", s / "plain.aci");
  REQUIRE(plain.ok());
  const std::pair<Compression, std::string> kinds[] = {
      {Compression::gzip, "gzip"}, {Compression::bzip2, "bzip2"}, {Compression::xz, "xz"}, {Compression::zstd, "zstd"}};
  for (const auto &[c, name] : kinds) {
    CAPTURE(name);
    auto one = build_image(s / "layout", s / (name + "-1.aci"), with(c));
    REQUIRE_MESSAGE(one.ok(), one.error().message);
    auto two = build_image(s / "layout", s / (name + "-2.aci"), with(c));
    REQUIRE(two.ok());
    CHECK(one->id == plain->id);
    CHECK(one->tar_size == plain->tar_size);
    CHECK(one->compression == c);
    std::string bytes = slurp(s / (name + "-1.aci"));
    CHECK(bytes == slurp(s / (name + "-2.aci")));
    CHECK(one->archive_size == bytes.size());
    CHECK(bytes.size() < plain->tar_size);
    CHECK(detect_compression(bytes.data(), bytes.size()) == c);
    if (c == Compression::gzip) {
      // RFC 1952: MTIME (bytes 4-7) zero, no FNAME flag (bit 3 of FLG).
      CHECK(std::all_of(bytes.begin() + 4, bytes.begin() + 8, [](char x) { return x == 0; }));
      CHECK((static_cast<unsigned char>(bytes[3]) & 0x08) == 0);
    }
    // The reader, decompressing in its own single pass, finds the same ID.
    auto info = read_image(s / (name + "-1.aci"));
    REQUIRE_MESSAGE(info.ok(), info.error().message);
    CHECK(info->id == plain->id);
    CHECK(info->compression == c);
    CHECK(info->tar_size == plain->tar_size);
    CHECK(info->entries == plain->entries);
    CHECK(info->archive_size == bytes.size());
  }
}

TEST_CASE("spec 39-40: entries in byte order, depth first, manifest first; stable headers without names or times") {
  Scratch s;
  put(s / "l/manifest", kManifest);
  put(s / "l/rootfs/a-b", "1");
  put(s / "l/rootfs/a/b", "2");
  put(s / "l/rootfs/a/c/d", "3");
  put(s / "l/rootfs/B", "4");
  put(s / "l/rootfs/_", "5");
  REQUIRE(::setxattr((s / "l/rootfs/a/b").c_str(), "user.z", "1", 1, 0) == 0);
  REQUIRE(::setxattr((s / "l/rootfs/a/b").c_str(), "user.a", "2", 1, 0) == 0);
  put(s / "l/rootfs/" + std::string(150, 'n'), "long name");
  auto r = build_image(s / "l", s / "o.aci");
  REQUIRE(r.ok());
  std::vector<std::string> pax_names;
  auto entries = parse_tar(slurp(s / "o.aci"), &pax_names);
  std::vector<std::string> names;
  for (const auto &e : entries) names.push_back(e.name);
  // '-' (0x2d) sorts before '/' (0x2f) in a full path, but the walk is per
  // directory: everything below a/ comes before its sibling a-b.
  std::vector<std::string> want = {"manifest", "rootfs/", "rootfs/B", "rootfs/_", "rootfs/a/", "rootfs/a/b",
                                   "rootfs/a/c/", "rootfs/a/c/d", "rootfs/a-b", "rootfs/" + std::string(150, 'n')};
  CHECK(names == want);
  CHECK(r->entries == want.size());
  for (const auto &e : entries) {
    CAPTURE(e.name);
    CHECK(e.uname.empty());
    CHECK(e.gname.empty());
    for (const auto &[k, v] : e.pax) {
      CHECK(k != "atime");
      CHECK(k != "ctime");
      CHECK(k != "LIBARCHIVE.creationtime");
      CHECK(k.rfind("SCHILY.dev", 0) != 0);
      CHECK(k != "SCHILY.ino");
      CHECK(k != "SCHILY.nlink");
      CHECK(k != "uname");
      CHECK(k != "gname");
    }
  }
  // Plain ustar headers where they suffice; a pax header only for the xattrs and the long name.
  CHECK(entries[0].pax.empty());
  CHECK(entries[2].pax.empty());
  CHECK(entries[5].pax.size() >= 2);
  std::vector<std::string> keys;
  for (const auto &kv : entries[5].pax) keys.push_back(kv.first);
  CHECK(std::find(keys.begin(), keys.end(), "SCHILY.xattr.user.a") != keys.end());
  CHECK(std::find(keys.begin(), keys.end(), "SCHILY.xattr.user.z") != keys.end());
  // Extended headers are named "<dir>/PaxHeader/<name>": no process ID in them.
  std::set<std::string> pax_set(pax_names.begin(), pax_names.end());
  CHECK(pax_set == std::set<std::string>{"rootfs/a/PaxHeader/b", "rootfs/PaxHeader/" + std::string(87, 'n')});
  // The manifest is the file's bytes, not a re-serialisation.
  CHECK(r->manifest_json == kManifest);
}

TEST_CASE("spec 46: the manifest is stored byte for byte, odd spacing and key order included") {
  Scratch s;
  const std::string odd = "{\n  \"name\" : \"example.com/odd\",\n\t\"acVersion\":\"0.8.11\" ,\"acKind\":\"ImageManifest\"\n}\n\n";
  put(s / "l/manifest", odd);
  mkdirs(s / "l/rootfs");
  auto r = build_image(s / "l", s / "o.aci", with(Compression::gzip));
  REQUIRE(r.ok());
  CHECK(r->manifest_json == odd);
  CHECK(r->manifest.name == "example.com/odd");
  auto info = read_image(s / "o.aci");
  REQUIRE(info.ok());
  CHECK(info->manifest_json == odd);
}

TEST_CASE("spec 41: build -> extract keeps owners, modes, links, devices, FIFOs, xattrs, sparse files, mtimes" *
          doctest::skip(!is_root())) {
  Scratch s;
  make_rich_layout(s / "layout");
  auto built = build_image(s / "layout", s / "img.aci", with(Compression::gzip));
  REQUIRE_MESSAGE(built.ok(), built.error().message);
  auto x = extract_image(s / "img.aci", s / "out");
  REQUIRE_MESSAGE(x.ok(), x.error().message);
  CHECK(x->info.id == built->id);
  CHECK(x->hardlinks == 1);
  CHECK(x->devices == 2);
  CHECK(x->fifos == 1);
  CHECK(slurp(s / "out/manifest") == kManifest);

  std::vector<std::string> src, dst;
  walk(s / "layout/rootfs", "", src);
  walk(s / "out/rootfs", "", dst);
  CHECK(src == dst);
  for (const auto &rel : src) {
    CAPTURE(rel);
    std::string a = rel.empty() ? s / "layout/rootfs" : s / "layout/rootfs/" + rel;
    std::string b = rel.empty() ? s / "out/rootfs" : s / "out/rootfs/" + rel;
    struct stat sa, sb;
    REQUIRE(::lstat(a.c_str(), &sa) == 0);
    REQUIRE(::lstat(b.c_str(), &sb) == 0);
    CHECK((sa.st_mode & S_IFMT) == (sb.st_mode & S_IFMT));
    if (!S_ISLNK(sa.st_mode)) CHECK((sa.st_mode & 07777) == (sb.st_mode & 07777));
    CHECK(sa.st_uid == sb.st_uid);
    CHECK(sa.st_gid == sb.st_gid);
    CHECK(sa.st_mtim.tv_sec == sb.st_mtim.tv_sec);
    CHECK(xattrs(a) == xattrs(b));
    if (S_ISREG(sa.st_mode)) {
      CHECK(sa.st_size == sb.st_size);
      CHECK(slurp(a) == slurp(b));
    }
    if (S_ISLNK(sa.st_mode)) {
      char ta[256] = {}, tb[256] = {};
      REQUIRE(::readlink(a.c_str(), ta, sizeof ta - 1) > 0);
      REQUIRE(::readlink(b.c_str(), tb, sizeof tb - 1) > 0);
      CHECK(std::string(ta) == std::string(tb));
    }
    if (S_ISCHR(sa.st_mode) || S_ISBLK(sa.st_mode)) CHECK(sa.st_rdev == sb.st_rdev);
  }
  struct stat tool, hard, sparse, holes;
  REQUIRE(::stat((s / "out/rootfs/bin/tool").c_str(), &tool) == 0);
  REQUIRE(::stat((s / "out/rootfs/bin/tool-hardlink").c_str(), &hard) == 0);
  CHECK(tool.st_ino == hard.st_ino);
  CHECK(tool.st_nlink == 2);
  CHECK((tool.st_mode & 07777) == 04755);
  CHECK(xattrs(s / "out/rootfs/bin/tool").at("security.capability") == capability_blob());
  // Holes stay holes: 64 MiB with 8 KiB of data takes a few blocks, not 131072.
  REQUIRE(::stat((s / "out/rootfs/var/sparse").c_str(), &sparse) == 0);
  CHECK(sparse.st_size == 64 << 20);
  CHECK(sparse.st_blocks * 512 <= 64 * 1024);
  REQUIRE(::stat((s / "out/rootfs/var/holes-only").c_str(), &holes) == 0);
  CHECK(holes.st_size == 8 << 20);
  CHECK(holes.st_blocks * 512 <= 16 * 1024);
  // And they are not stored as data: the whole tar is far smaller than 72 MiB.
  CHECK(built->tar_size < (1u << 20));
  // Sub-second mtimes survive where an entry carries a pax header (xattrs).
  struct stat src_tool;
  REQUIRE(::stat((s / "layout/rootfs/bin/tool").c_str(), &src_tool) == 0);
  CHECK(tool.st_mtim.tv_nsec == src_tool.st_mtim.tv_nsec);
}

TEST_CASE("spec 42: the reference actool validates every ACI built, in each compression it reads" *
          doctest::skip(!actool().has_value())) {
  Scratch s;
  make_rich_layout(s / "layout");
  // zstd is beyond the spec: actool 0.8.11 cannot read it, so it is not asked.
  const std::pair<Compression, std::string> kinds[] = {{Compression::none, "none"},
                                                       {Compression::gzip, "gzip"},
                                                       {Compression::bzip2, "bzip2"},
                                                       {Compression::xz, "xz"}};
  for (const auto &[c, name] : kinds) {
    CAPTURE(name);
    std::string out = s / (name + ".aci");
    auto r = build_image(s / "layout", out, with(c));
    REQUIRE(r.ok());
    std::string output;
    int rc = run({*actool(), "validate", out}, output);
    CHECK_MESSAGE(rc == 0, output);
  }
  // A tiny image too: manifest + empty rootfs.
  put(s / "tiny/manifest", kManifest);
  mkdirs(s / "tiny/rootfs");
  auto r = build_image(s / "tiny", s / "tiny.aci");
  REQUIRE(r.ok());
  std::string output;
  CHECK_MESSAGE(run({*actool(), "validate", s / "tiny.aci"}, output) == 0, output);
}

TEST_CASE("build: a bad manifest is reported, every finding prefixed \"manifest\", and nothing is written") {
  Scratch s;
  mkdirs(s / "l/rootfs");
  mkdirs(s / "out");
  SUBCASE("schema findings") {
    put(s / "l/manifest", R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"Not An Identifier!",)"
                          R"("labels":[{"name":"os","value":"plan9"}]})");
    auto r = build_image(s / "l", s / "out/x.aci");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::invalid);
    REQUIRE(r.error().diagnostics.size() >= 2);
    for (const auto &d : r.error().diagnostics) {
      CAPTURE(d.format());
      CHECK(d.format().rfind("manifest: ", 0) == 0);
    }
    CHECK(r.error().message.rfind("manifest: ", 0) == 0);
  }
  SUBCASE("not JSON") {
    put(s / "l/manifest", "{not json");
    auto r = build_image(s / "l", s / "out/x.aci");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::invalid);
    CHECK(r.error().message.rfind("manifest", 0) == 0);
  }
  SUBCASE("a pod manifest") {
    put(s / "l/manifest", R"({"acKind":"PodManifest","acVersion":"0.8.11","apps":[]})");
    auto r = build_image(s / "l", s / "out/x.aci");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::invalid);
  }
  CHECK(list(s / "out").empty());  // neither the image nor a temporary file
}

TEST_CASE("build: a layout without manifest or rootfs/ is refused with the path") {
  Scratch s;
  mkdirs(s / "out");
  SUBCASE("no manifest") {
    mkdirs(s / "l/rootfs");
    auto r = build_image(s / "l", s / "out/x.aci");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::not_found);
    CHECK(r.error().message.find(s / "l/manifest") != std::string::npos);
  }
  SUBCASE("no rootfs") {
    put(s / "l/manifest", kManifest);
    auto r = build_image(s / "l", s / "out/x.aci");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::not_found);
    CHECK(r.error().message.find(s / "l/rootfs") != std::string::npos);
  }
  SUBCASE("rootfs is a file") {
    put(s / "l/manifest", kManifest);
    put(s / "l/rootfs", "x");
    auto r = build_image(s / "l", s / "out/x.aci");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::invalid);
    CHECK(r.error().message.find("not a directory") != std::string::npos);
  }
  SUBCASE("rootfs is a symlink to a directory") {
    put(s / "l/manifest", kManifest);
    mkdirs(s / "elsewhere");
    REQUIRE(::symlink((s / "elsewhere").c_str(), (s / "l/rootfs").c_str()) == 0);
    auto r = build_image(s / "l", s / "out/x.aci");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::invalid);
  }
  SUBCASE("the manifest is a symlink") {
    put(s / "real-manifest", kManifest);
    mkdirs(s / "l/rootfs");
    REQUIRE(::symlink((s / "real-manifest").c_str(), (s / "l/manifest").c_str()) == 0);
    auto r = build_image(s / "l", s / "out/x.aci");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::invalid);
  }
  SUBCASE("no layout at all") {
    auto r = build_image(s / "missing", s / "out/x.aci");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::not_found);
  }
  CHECK(list(s / "out").empty());
}

TEST_CASE("build: an existing output is kept unless overwrite is asked for") {
  Scratch s;
  put(s / "l/manifest", kManifest);
  put(s / "l/rootfs/f", "data");
  put(s / "out/x.aci", "precious");
  auto r = build_image(s / "l", s / "out/x.aci");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Code::exists);
  CHECK(r.error().message.find(s / "out/x.aci") != std::string::npos);
  CHECK(slurp(s / "out/x.aci") == "precious");
  CHECK(list(s / "out") == std::vector<std::string>{"x.aci"});

  BuildOptions o;
  o.overwrite = true;
  auto w = build_image(s / "l", s / "out/x.aci", o);
  REQUIRE(w.ok());
  CHECK(file_id(s / "out/x.aci") == w->id);
  CHECK(list(s / "out") == std::vector<std::string>{"x.aci"});
  struct stat st;
  REQUIRE(::stat((s / "out/x.aci").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
}

TEST_CASE("build: owner_root and a forced mtime make trees that differ only in those give one ID") {
  Scratch s;
  for (const char *name : {"one", "two"}) {
    std::string l = s / name;
    put(l + "/manifest", kManifest);
    put(l + "/rootfs/etc/f", "same");
    set_mtime(l + "/rootfs/etc/f", std::string(name) == "one" ? 1000 : 2000000, 5);
    set_mtime(l + "/rootfs/etc", std::string(name) == "one" ? 77 : 88);
    if (is_root() && std::string(name) == "two") REQUIRE(::chown((l + "/rootfs/etc/f").c_str(), 42, 43) == 0);
  }
  auto a1 = build_image(s / "one", s / "a1.aci");
  auto b1 = build_image(s / "two", s / "b1.aci");
  REQUIRE(a1.ok());
  REQUIRE(b1.ok());
  CHECK(a1->id != b1->id);
  BuildOptions o;
  o.owner_root = true;
  o.mtime = 1500000000;
  auto a2 = build_image(s / "one", s / "a2.aci", o);
  auto b2 = build_image(s / "two", s / "b2.aci", o);
  REQUIRE(a2.ok());
  REQUIRE(b2.ok());
  CHECK(a2->id == b2->id);
  for (const auto &e : parse_tar(slurp(s / "a2.aci"))) {
    CAPTURE(e.name);
    for (const auto &[k, v] : e.pax) CHECK(k != "mtime");
  }
  auto x = extract_image(s / "b2.aci", s / "x");
  REQUIRE(x.ok());
  struct stat st;
  REQUIRE(::stat((s / "x/rootfs/etc/f").c_str(), &st) == 0);
  CHECK(st.st_mtime == 1500000000);
  if (is_root()) {
    CHECK(st.st_uid == 0);
    CHECK(st.st_gid == 0);
  }
}

TEST_CASE("build: sockets and files beside manifest and rootfs/ are left out, with a note") {
  Scratch s;
  put(s / "l/manifest", kManifest);
  put(s / "l/rootfs/f", "x");
  put(s / "l/README", "not part of the image");
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string sock = s / "l/rootfs/sock";
  REQUIRE(sock.size() < sizeof addr.sun_path);
  std::memcpy(addr.sun_path, sock.c_str(), sock.size() + 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0);
  ::close(fd);
  auto r = build_image(s / "l", s / "o.aci");
  REQUIRE(r.ok());
  REQUIRE(r->notes.size() == 2);
  CHECK(r->notes[0].find(s / "l/README") != std::string::npos);
  CHECK(r->notes[1].find(sock) != std::string::npos);
  CHECK(r->notes[1].find("socket") != std::string::npos);
  std::vector<std::string> names;
  for (const auto &e : parse_tar(slurp(s / "o.aci"))) names.push_back(e.name);
  CHECK(names == std::vector<std::string>{"manifest", "rootfs/", "rootfs/f"});
}

TEST_CASE("build: an output inside rootfs/ does not archive itself") {
  Scratch s;
  put(s / "l/manifest", kManifest);
  put(s / "l/rootfs/f", "x");
  auto r = build_image(s / "l", s / "l/rootfs/self.aci");
  REQUIRE(r.ok());
  std::vector<std::string> names;
  for (const auto &e : parse_tar(slurp(s / "l/rootfs/self.aci"))) names.push_back(e.name);
  CHECK(names == std::vector<std::string>{"manifest", "rootfs/", "rootfs/f"});
  REQUIRE(r->notes.size() == 1);
  CHECK(r->notes[0].find("self") != std::string::npos);
}

TEST_CASE("build: progress reports the build and cancelling it leaves no file") {
  Scratch s;
  put(s / "l/manifest", kManifest);
  for (int i = 0; i < 20; ++i) put(s / ("l/rootfs/f" + std::to_string(i)), std::string(size_t(100000 + i), 'p'));
  mkdirs(s / "out");
  SUBCASE("progress") {
    BuildOptions o;
    std::vector<Progress> seen;
    o.progress = [&](const Progress &p) {
      seen.push_back(p);
      return true;
    };
    auto r = build_image(s / "l", s / "out/x.aci", o);
    REQUIRE(r.ok());
    REQUIRE(!seen.empty());
    for (size_t i = 1; i < seen.size(); ++i) {
      CHECK(seen[i].bytes_out >= seen[i - 1].bytes_out);
      CHECK(seen[i].entries >= seen[i - 1].entries);
    }
    for (const auto &p : seen) CHECK(std::string(p.phase) == "build");
    CHECK(seen.back().bytes_out == r->tar_size);
    CHECK(seen.back().entries == r->entries);
    CHECK(r->entries == 22);  // manifest, rootfs/ and 20 files
  }
  SUBCASE("cancel") {
    BuildOptions o;
    int calls = 0;
    o.progress = [&](const Progress &) { return ++calls < 5; };
    auto r = build_image(s / "l", s / "out/x.aci", o);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::cancelled);
    CHECK(list(s / "out").empty());
  }
}

TEST_CASE("build: a tree with long, deep and UTF-8 names reads back with the same names") {
  Scratch s;
  put(s / "l/manifest", kManifest);
  std::string deep = std::string(60, 'a') + "/" + std::string(60, 'b') + "/" + std::string(60, 'c');
  put(s / "l/rootfs/" + deep + "/file", "x");
  put(s / "l/rootfs/\xe6\x97\xa5\xe6\x9c\xac", "nihon");
  REQUIRE(::symlink(std::string(200, 't').c_str(), (s / "l/rootfs/longlink").c_str()) == 0);
  auto r = build_image(s / "l", s / "o.aci");
  REQUIRE(r.ok());
  auto entries = parse_tar(slurp(s / "o.aci"));
  std::set<std::string> names;
  for (const auto &e : entries) names.insert(e.name);
  CHECK(names.count("rootfs/" + deep + "/file"));
  CHECK(names.count("rootfs/\xe6\x97\xa5\xe6\x9c\xac"));
  for (const auto &e : entries)
    if (e.name == "rootfs/longlink") CHECK(e.linkname == std::string(200, 't'));
  auto x = extract_image(s / "o.aci", s / "x");
  REQUIRE_MESSAGE(x.ok(), x.error().message);
  CHECK(slurp(s / "x/rootfs/" + deep + "/file") == "x");
  CHECK(slurp(s / "x/rootfs/\xe6\x97\xa5\xe6\x9c\xac") == "nihon");
}

// The walk keeps a descriptor only for the deepest levels it is in (it used
// to keep one per level and failed with EMFILE on a tree deeper than the
// descriptor limit); entries after a deep subtree still come out, in order.
TEST_CASE("build: a tree deeper than the descriptor limit builds, extracts and renders") {
  Scratch s;
  put(s / "l/manifest", kManifest);
  std::string deep;
  for (int i = 0; i < 1500; ++i) deep += "a/";
  put(s / "l/rootfs/" + deep + "f", "bottom");
  put(s / "l/rootfs/z", "after");
  struct rlimit old;
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &old) == 0);
  struct rlimit low = old;
  low.rlim_cur = 256;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  auto r = build_image(s / "l", s / "o.aci");
  auto x = r.ok() ? extract_image(s / "o.aci", s / "x") : Result<ExtractResult>(r.error());
  ::setrlimit(RLIMIT_NOFILE, &old);
  REQUIRE_MESSAGE(r.ok(), r.error().message.substr(0, 200));
  REQUIRE_MESSAGE(x.ok(), x.error().message.substr(0, 200));
  CHECK(x->dirs == 1501);   // rootfs and the 1500 levels
  CHECK(slurp(s / "x/rootfs/" + deep + "f") == "bottom");
  CHECK(slurp(s / "x/rootfs/z") == "after");
  auto entries = parse_tar(slurp(s / "o.aci"));
  REQUIRE(!entries.empty());
  CHECK(entries.back().name == "rootfs/z");
}

TEST_CASE("build: the process locale does not change the bytes of names (UTF-8 or not)") {
  Scratch s;
  put(s / "l/manifest", kManifest);
  put(s / "l/rootfs/caf\xc3\xa9", "utf-8");
  put(s / "l/rootfs/raw\xff\xfe", "not utf-8");
  std::string before = setlocale(LC_CTYPE, nullptr);
  std::vector<std::string> ids;
  for (const char *loc : {"C", "C.UTF-8", "POSIX"}) {
    if (!setlocale(LC_CTYPE, loc)) continue;
    auto r = build_image(s / "l", s / (std::string("o-") + loc + ".aci"));
    REQUIRE_MESSAGE(r.ok(), r.error().message);
    ids.push_back(r->id);
  }
  setlocale(LC_CTYPE, before.c_str());
  REQUIRE(ids.size() >= 2);
  for (const auto &id : ids) CHECK(id == ids.front());
  std::set<std::string> names;
  for (const auto &e : parse_tar(slurp(s / "o-C.aci"))) names.insert(e.name);
  CHECK(names.count("rootfs/caf\xc3\xa9"));
  CHECK(names.count("rootfs/raw\xff\xfe"));
}
