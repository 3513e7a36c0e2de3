// Extraction: full fidelity of everything a root filesystem needs (spec 41),
// the target's rules (absent or empty, atomic rename, nothing left on error),
// rootfs_only, expect_id (spec 56), progress, and the renderer's overlay mode
// (spec 53).
#include "aci/archive_stream.hpp"
#include "aci_test_util.hpp"

#include <doctest/doctest.h>

#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <linux/capability.h>

using namespace appc;
using namespace appc::aci;
using namespace appc::aci::test;

namespace {

using Spec = TarBuilder::Spec;

Spec make(const std::string &name, unsigned type, unsigned mode, int64_t uid = 0, int64_t gid = 0) {
  Spec s;
  s.name = name;
  s.type = type;
  s.mode = mode;
  s.uid = uid;
  s.gid = gid;
  return s;
}

// security.capability, revision 2, effective, permitted = CAP_NET_BIND_SERVICE.
std::string cap_net_bind_service() {
  struct vfs_cap_data c;
  std::memset(&c, 0, sizeof c);
  c.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE;
  c.data[0].permitted = 1u << CAP_NET_BIND_SERVICE;
  return std::string(reinterpret_cast<const char *>(&c), XATTR_CAPS_SZ_2);
}

std::string getx(const std::string &path, const char *name) {
  char buf[256];
  ssize_t n = ::lgetxattr(path.c_str(), name, buf, sizeof buf);
  return n < 0 ? std::string("<") + std::strerror(errno) + ">" : std::string(buf, size_t(n));
}

std::vector<std::string> leftovers(const Scratch &s) {
  std::vector<std::string> out;
  for (const auto &p : list_tree(s.path()))
    if (p.find(".tmp-") != std::string::npos) out.push_back(p);
  return out;
}

} // namespace

TEST_CASE("spec 41: extraction keeps owners, modes, links, devices, FIFOs, xattrs, sparse files and times") {
  Scratch s;
  const bool root = ::geteuid() == 0;
  const std::string cap = cap_net_bind_service();
  std::string sparse(4u << 20, '\0');
  sparse.replace(0, 5, "start");
  sparse.replace(2u << 20, 6, "middle");

  TarBuilder t(ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE);   // full pax: sub-second times
  t.file("manifest", kManifest);
  t.add(make("rootfs", AE_IFDIR, 0755));
  t.add(make("rootfs/bin", AE_IFDIR, 0755));
  {
    Spec f = make("rootfs/bin/su", AE_IFREG, 04755);
    f.data = "su binary";
    t.add(f);
    Spec g = make("rootfs/bin/sg", AE_IFREG, 02751, 1234, 5678);
    g.data = "sg binary";
    t.add(g);
  }
  t.add(make("rootfs/tmp", AE_IFDIR, 01777));
  t.add(make("rootfs/shared", AE_IFDIR, 02775, 0, 50));
  {
    Spec d = make("rootfs/etc", AE_IFDIR, 0555);   // read-only: its mode comes after its contents
    d.mtime = 1500000000;
    d.mtime_nsec = 250000000;
    d.xattrs = {{"user.dir", "d"}};
    t.add(d);
    Spec p = make("rootfs/etc/passwd", AE_IFREG, 0444);
    p.data = "root:x:0:0::/root:/bin/sh\n";
    p.mtime = 1234567890;
    p.mtime_nsec = 123456789;
    t.add(p);
  }
  {
    Spec o = make("rootfs/owned", AE_IFREG, 0640, 1000, 1001);
    o.data = "mine";
    t.add(o);
    Spec l = make("rootfs/abs-link", AE_IFLNK, 0777, 1000, 1001);
    l.link = "/etc/passwd";
    l.mtime = 1111111111;
    t.add(l);
    Spec r = make("rootfs/rel-link", AE_IFLNK, 0777);
    r.link = "bin/su";
    t.add(r);
    t.hardlink("rootfs/hard", "rootfs/bin/su");
    t.add(make("rootfs/dev", AE_IFDIR, 0755));
    Spec c = make("rootfs/dev/null", AE_IFCHR, 0666);
    c.rdev_major = 1;
    c.rdev_minor = 3;
    t.add(c);
    Spec b = make("rootfs/dev/loop0", AE_IFBLK, 0660, 0, 6);
    b.rdev_major = 7;
    b.rdev_minor = 0;
    t.add(b);
    t.add(make("rootfs/fifo", AE_IFIFO, 0620));
    Spec x = make("rootfs/ping", AE_IFREG, 0755, 1000, 1000);
    x.data = "ping binary";
    x.xattrs = {{"user.comment", "hello"}, {"security.capability", cap}};
    t.add(x);
    Spec sp = make("rootfs/sparse", AE_IFREG, 0600);
    sp.data = sparse;
    sp.sparse = {{0, 4096}, {2 << 20, 4096}};
    t.add(sp);
  }
  t.write(s / "a.aci");
  auto info = read_image(s / "a.aci");
  REQUIRE_MESSAGE(info.ok(), dump(info.error()));

  auto r = extract_image(s / "a.aci", s / "out");
  REQUIRE_MESSAGE(r.ok(), dump(r.error()));
  const std::string R = s / "out/rootfs";
  CHECK(r->info.id == info->id);
  CHECK(r->info.manifest.name == "example.com/test");
  CHECK(slurp(s / "out/manifest") == kManifest);
  CHECK(r->hardlinks == 1);
  CHECK(r->symlinks == 2);
  CHECK(r->fifos == 1);
  CHECK(r->dirs == 6);
  CHECK(r->files == 7);   // manifest, su, sg, passwd, owned, ping, sparse
  CHECK(r->devices + r->skipped_devices == 2);

  CHECK((lstat_of(R + "/bin/su").st_mode & 07777) == 04755);
  CHECK((lstat_of(R + "/tmp").st_mode & 07777) == 01777);
  CHECK((lstat_of(R + "/shared").st_mode & 07777) == 02775);
  CHECK((lstat_of(R + "/etc").st_mode & 07777) == 0555);
  CHECK((lstat_of(R + "/etc/passwd").st_mode & 07777) == 0444);
  CHECK((lstat_of(R + "/fifo").st_mode & 07777) == 0620);
  CHECK(S_ISFIFO(lstat_of(R + "/fifo").st_mode));
  CHECK(slurp(R + "/etc/passwd") == "root:x:0:0::/root:/bin/sh\n");

  SUBCASE("symlinks keep their target text, hardlinks share the inode") {
    char buf[64];
    ssize_t n = ::readlink((R + "/abs-link").c_str(), buf, sizeof buf);
    CHECK(std::string(buf, size_t(std::max<ssize_t>(n, 0))) == "/etc/passwd");
    n = ::readlink((R + "/rel-link").c_str(), buf, sizeof buf);
    CHECK(std::string(buf, size_t(std::max<ssize_t>(n, 0))) == "bin/su");
    CHECK(lstat_of(R + "/hard").st_ino == lstat_of(R + "/bin/su").st_ino);
    CHECK(lstat_of(R + "/hard").st_nlink == 2);
  }
  SUBCASE("times, nanoseconds included; directory times after their contents") {
    struct stat p = lstat_of(R + "/etc/passwd");
    CHECK(p.st_mtim.tv_sec == 1234567890);
    CHECK(p.st_mtim.tv_nsec == 123456789);
    struct stat e = lstat_of(R + "/etc");
    CHECK(e.st_mtim.tv_sec == 1500000000);
    CHECK(e.st_mtim.tv_nsec == 250000000);
    CHECK(lstat_of(R + "/abs-link").st_mtim.tv_sec == 1111111111);
    CHECK(lstat_of(R).st_mtim.tv_sec == 1000000000);
  }
  SUBCASE("sparse files keep their holes") {
    struct stat sp = lstat_of(R + "/sparse");
    CHECK(sp.st_size == off_t(4u << 20));
    CHECK(uint64_t(sp.st_blocks) * 512 < (1u << 20));
    CHECK(slurp(R + "/sparse") == sparse);
  }
  SUBCASE("xattrs: user.* on files and directories") {
    CHECK(getx(R + "/ping", "user.comment") == "hello");
    CHECK(getx(R + "/etc", "user.dir") == "d");
  }
  SUBCASE("owners, and what chown would clear survives (needs root)") {
    if (!root) {
      MESSAGE("not root: owners are not restored; only the modes were checked");
      CHECK(r->skipped_devices == 2);
      return;
    }
    CHECK(r->devices == 2);
    CHECK(r->skipped_xattrs == 0);
    struct stat sg = lstat_of(R + "/bin/sg");
    CHECK(sg.st_uid == 1234);
    CHECK(sg.st_gid == 5678);
    CHECK((sg.st_mode & 07777) == 02751);
    CHECK(lstat_of(R + "/shared").st_gid == 50);
    CHECK(lstat_of(R + "/owned").st_uid == 1000);
    CHECK(lstat_of(R + "/owned").st_gid == 1001);
    CHECK(lstat_of(R + "/abs-link").st_uid == 1000);   // lchown: the link, not its target
    CHECK(lstat_of("/etc/passwd").st_uid == 0);
    struct stat ping = lstat_of(R + "/ping");
    CHECK(ping.st_uid == 1000);
    CHECK(getx(R + "/ping", "security.capability") == cap);
    struct stat dn = lstat_of(R + "/dev/null");
    CHECK(S_ISCHR(dn.st_mode));
    CHECK(major(dn.st_rdev) == 1);
    CHECK(minor(dn.st_rdev) == 3);
    CHECK((dn.st_mode & 07777) == 0666);
    struct stat lo = lstat_of(R + "/dev/loop0");
    CHECK(S_ISBLK(lo.st_mode));
    CHECK(major(lo.st_rdev) == 7);
    CHECK(lo.st_gid == 6);
  }
  CHECK(leftovers(s).empty());
}

TEST_CASE("extract: preserve_owners=false leaves the extracting user as owner") {
  Scratch s;
  TarBuilder t;
  t.aci_base();
  Spec f = make("rootfs/f", AE_IFREG, 0644, 4321, 4321);
  f.data = "x";
  t.add(f).write(s / "a.aci");
  ExtractOptions o;
  o.preserve_owners = false;
  auto r = extract_image(s / "a.aci", s / "out", o);
  REQUIRE_MESSAGE(r.ok(), dump(r.error()));
  CHECK(lstat_of(s / "out/rootfs/f").st_uid == ::geteuid());
}

TEST_CASE("extract: rootfs_only puts rootfs/ contents into the target, with rootfs's own metadata") {
  Scratch s;
  TarBuilder t;
  t.file("manifest", kManifest);
  Spec rf = make("rootfs", AE_IFDIR, 0711);
  rf.mtime = 1400000000;
  t.add(rf).file("rootfs/hello", "hi").dir("rootfs/sub").file("rootfs/sub/x", "x").write(s / "a.aci");
  ExtractOptions o;
  o.rootfs_only = true;
  auto r = extract_image(s / "a.aci", s / "out", o);
  REQUIRE_MESSAGE(r.ok(), dump(r.error()));
  CHECK(list_tree(s / "out") == std::vector<std::string>{"hello", "sub", "sub/x"});
  CHECK((lstat_of(s / "out").st_mode & 07777) == 0711);
  CHECK(lstat_of(s / "out").st_mtim.tv_sec == 1400000000);
  CHECK(r->info.manifest_json == kManifest);
}

TEST_CASE("extract: the target must be absent or an empty directory; the result appears atomically") {
  Scratch s;
  TarBuilder().aci_base().file("rootfs/a", "1").write(s / "a.aci");
  SUBCASE("absent: created with mode 0755") {
    auto r = extract_image(s / "a.aci", s / "out");
    REQUIRE_MESSAGE(r.ok(), dump(r.error()));
    CHECK(list_tree(s / "out") == std::vector<std::string>{"manifest", "rootfs", "rootfs/a"});
    CHECK((lstat_of(s / "out").st_mode & 07777) == 0755);
  }
  SUBCASE("an empty directory is replaced, keeping its mode") {
    REQUIRE(::mkdir((s / "out").c_str(), 0750) == 0);
    REQUIRE(::chmod((s / "out").c_str(), 0750) == 0);
    auto r = extract_image(s / "a.aci", s / "out/");
    REQUIRE_MESSAGE(r.ok(), dump(r.error()));
    CHECK(exists(s / "out/rootfs/a"));
    CHECK((lstat_of(s / "out").st_mode & 07777) == 0750);
  }
  SUBCASE("a non-empty directory is refused and left alone") {
    REQUIRE(::mkdir((s / "out").c_str(), 0755) == 0);
    write_file(s / "out/keep", "k");
    auto r = extract_image(s / "a.aci", s / "out");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::exists);
    CHECK(r.error().message.find("not empty") != std::string::npos);
    CHECK(list_tree(s / "out") == std::vector<std::string>{"keep"});
  }
  SUBCASE("a file, or a symlink to an empty directory, is refused") {
    write_file(s / "file", "f");
    REQUIRE(::mkdir((s / "empty").c_str(), 0755) == 0);
    REQUIRE(::symlink((s / "empty").c_str(), (s / "link").c_str()) == 0);
    for (std::string target : {s / "file", s / "link"}) {
      auto r = extract_image(s / "a.aci", target);
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == Code::exists);
    }
    CHECK(list_tree(s / "empty").empty());
  }
  SUBCASE("a missing archive") {
    auto r = extract_image(s / "missing.aci", s / "out");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::not_found);
    CHECK_FALSE(exists(s / "out"));
  }
  CHECK(leftovers(s).empty());
}

TEST_CASE("spec 56: expect_id is checked at the end; a mismatch leaves nothing") {
  Scratch s;
  TarBuilder().aci_base().file("rootfs/a", "1").write(s / "a.aci");
  auto id = read_image(s / "a.aci");
  REQUIRE(id.ok());
  ExtractOptions o;
  o.expect_id = id->id;
  auto ok = extract_image(s / "a.aci", s / "good", o);
  REQUIRE_MESSAGE(ok.ok(), dump(ok.error()));
  o.expect_id = "sha512-" + std::string(128, 'a');
  auto bad = extract_image(s / "a.aci", s / "bad", o);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == Code::verify);
  CHECK(bad.error().message.find(id->id) != std::string::npos);
  CHECK_FALSE(exists(s / "bad"));
  CHECK(leftovers(s).empty());
}

TEST_CASE("extract: progress reports phase \"extract\"; cancelling leaves nothing") {
  Scratch s;
  TarBuilder t;
  t.aci_base();
  for (int i = 0; i < 600; ++i) t.file("rootfs/f" + std::to_string(i), std::string(3000, char('a' + i % 26)));
  t.write(s / "a.aci");
  std::string last_phase;
  uint64_t last_entries = 0;
  ExtractOptions o;
  o.progress = [&](const Progress &p) {
    last_phase = p.phase;
    last_entries = p.entries;
    return true;
  };
  auto r = extract_image(s / "a.aci", s / "out", o);
  REQUIRE_MESSAGE(r.ok(), dump(r.error()));
  CHECK(last_phase == "extract");
  CHECK(last_entries == 602);
  int calls = 0;
  o.progress = [&](const Progress &) { return ++calls < 2; };
  auto c = extract_image(s / "a.aci", s / "cancelled", o);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code == Code::cancelled);
  CHECK_FALSE(exists(s / "cancelled"));
  CHECK(leftovers(s).empty());
}

TEST_CASE("extract: large compressed archives (two threads) come out byte for byte") {
  Scratch s;
  std::string big(5u << 20, '\0');
  uint64_t x = 88172645463325252ull;
  for (auto &ch : big) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    ch = char(x & 0x0f);
  }
  TarBuilder().aci_base().file("rootfs/big", big).file("rootfs/small", "s").write(s / "a.tar");
  for (Compression c : {Compression::none, Compression::gzip, Compression::zstd}) {
    CAPTURE(compression_name(c));
    std::string f = compress_cli(s / "a.tar", c);
    std::string out = s / (std::string("out-") + compression_name(c));
    auto r = extract_image(f, out);
    REQUIRE_MESSAGE(r.ok(), dump(r.error()));
    CHECK(r->info.id == id_cli(f, c));
    CHECK(slurp(out + "/rootfs/big") == big);
    CHECK(slurp(out + "/rootfs/small") == "s");
  }
}

TEST_CASE("extract: symlinks inside the target may be parents (resolved beneath the target)") {
  Scratch s;
  TarBuilder().aci_base().dir("rootfs/real").symlink("rootfs/alias", "real").symlink("rootfs/dot", ".")
      .file("rootfs/alias/f", "through alias").file("rootfs/dot/real/g", "through dot").write(s / "a.aci");
  auto r = extract_image(s / "a.aci", s / "out");
  REQUIRE_MESSAGE(r.ok(), dump(r.error()));
  CHECK(slurp(s / "out/rootfs/real/f") == "through alias");
  CHECK(slurp(s / "out/rootfs/real/g") == "through dot");
  CHECK(S_ISLNK(lstat_of(s / "out/rootfs/alias").st_mode));
}

TEST_CASE("extract: entry names are kept byte for byte (UTF-8 and not)") {
  Scratch s;
  const std::string utf8 = "rootfs/caf\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac";
  const std::string latin1 = "rootfs/na\xefve";
  TarBuilder().aci_base().file(utf8, "u").file(latin1, "l").write(s / "a.aci");
  auto r = extract_image(s / "a.aci", s / "out");
  REQUIRE_MESSAGE(r.ok(), dump(r.error()));
  CHECK(slurp(s / "out/" + utf8) == "u");
  CHECK(slurp(s / "out/" + latin1) == "l");
}

TEST_CASE("extract: missing parent directories are created") {
  Scratch s;
  TarBuilder().aci_base().file("rootfs/a/b/c/file", "deep").write(s / "a.aci");
  auto r = extract_image(s / "a.aci", s / "out");
  REQUIRE_MESSAGE(r.ok(), dump(r.error()));
  CHECK(slurp(s / "out/rootfs/a/b/c/file") == "deep");
  CHECK(S_ISDIR(lstat_of(s / "out/rootfs/a/b").st_mode));
}

TEST_CASE("spec 53: overlay mode applies a layer onto an existing tree") {
  Scratch s;
  REQUIRE(::mkdir((s / "tree").c_str(), 0755) == 0);
  REQUIRE(::mkdir((s / "elsewhere").c_str(), 0755) == 0);
  ExtractOptions o;
  o.overlay_onto_existing = true;
  o.rootfs_only = true;

  TarBuilder()
      .aci_base()
      .file("rootfs/a", "layer 1")
      .dir("rootfs/real")
      .file("rootfs/real/x", "x")
      .symlink("rootfs/d", "real")
      .symlink("rootfs/out", s / "elsewhere")
      .file("rootfs/f", "a file")
      .dir("rootfs/var")
      .symlink("rootfs/var/xrun", "/xrun")
      .dir("rootfs/xrun")
      .write(s / "l1.aci");
  auto r1 = extract_image(s / "l1.aci", s / "tree", o);
  REQUIRE_MESSAGE(r1.ok(), dump(r1.error()));

  o.filter = [](std::string_view path, bool) { return path != "/filtered"; };
  TarBuilder()
      .aci_base()
      .file("rootfs/a", "layer 2")
      .dir("rootfs/d")
      .file("rootfs/d/y", "y")
      .dir("rootfs/out")
      .file("rootfs/out/z", "z")
      .file("rootfs/f/under-a-file", "dropped")
      .file("rootfs/var/xrun/pid", "42")
      .file("rootfs/filtered", "no")
      .write(s / "l2.aci");
  auto r2 = extract_image(s / "l2.aci", s / "tree", o);
  REQUIRE_MESSAGE(r2.ok(), dump(r2.error()));

  CHECK(slurp(s / "tree/a") == "layer 2");                 // later wins
  CHECK(S_ISDIR(lstat_of(s / "tree/d").st_mode));          // symlink to a directory replaced, not followed
  CHECK(slurp(s / "tree/d/y") == "y");
  CHECK(list_tree(s / "tree/real") == std::vector<std::string>{"x"});
  CHECK(S_ISDIR(lstat_of(s / "tree/out").st_mode));
  CHECK(list_tree(s / "elsewhere").empty());
  CHECK(slurp(s / "tree/f") == "a file");                  // entry under a non-directory dropped
  CHECK_FALSE(exists(s / "tree/f/under-a-file"));
  CHECK(slurp(s / "tree/xrun/pid") == "42");               // absolute symlink resolved inside the tree
  CHECK_FALSE(exists("/xrun"));
  CHECK_FALSE(exists(s / "tree/filtered"));

  SUBCASE("an earlier layer's directory gives way to a file or symlink, contents and all") {
    write_file(s / "elsewhere/keep", "keep");
    TarBuilder().aci_base().file("rootfs/real", "file over dir").symlink("rootfs/d", s / "elsewhere")
        .write(s / "l3.aci");
    auto r3 = extract_image(s / "l3.aci", s / "tree", o);
    REQUIRE_MESSAGE(r3.ok(), dump(r3.error()));
    CHECK(slurp(s / "tree/real") == "file over dir");
    CHECK(S_ISLNK(lstat_of(s / "tree/d").st_mode));
    CHECK(list_tree(s / "elsewhere") == std::vector<std::string>{"keep"});
  }
  SUBCASE("a directory of the same layer is never replaced by a non-directory") {
    TarBuilder().aci_base().dir("rootfs/real").symlink("rootfs/alias", ".").file("rootfs/alias/real", "x")
        .write(s / "l3.aci");
    auto r3 = extract_image(s / "l3.aci", s / "tree", o);
    REQUIRE_FALSE(r3.ok());
    CHECK(r3.error().message.find("rootfs/alias/real: refusing to replace a directory with a file") !=
          std::string::npos);
    CHECK(S_ISDIR(lstat_of(s / "tree/real").st_mode));
  }
}
