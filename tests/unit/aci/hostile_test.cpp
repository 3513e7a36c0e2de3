// Hostile archives, built in the tests with libarchive's writer: each must
// fail with an error naming the entry, write nothing outside the target (a
// sentinel directory beside it stays as it was), and leave neither the target
// nor a temporary directory behind.
#include "aci_test_util.hpp"

#include "aci/archive_stream.hpp"

#include <doctest/doctest.h>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <cstddef>

using namespace appc;
using namespace appc::aci;
using namespace appc::aci::test;

namespace {

// scratch/
//   sentinel/keep      must survive every test unchanged
//   h.aci              the hostile archive
//   out                the extraction target: must not exist afterwards
struct Arena {
  Scratch s;
  std::string sentinel = s / "sentinel";
  std::string out = s / "out";
  std::string aci = s / "h.aci";
  Arena() {
    REQUIRE(::mkdir(sentinel.c_str(), 0755) == 0);
    write_file(sentinel + "/keep", "keep");
  }

  // Extracts, expects failure with `code` and `text` in the message; checks the aftermath.
  Error refuse(Code code, const std::string &text, const ExtractOptions &opts = {}) {
    auto r = extract_image(aci, out, opts);
    REQUIRE_MESSAGE(!r.ok(), "the hostile archive was extracted");
    Error e = std::move(r).error();
    INFO(dump(e));
    CHECK(e.code == code);
    CHECK(e.message.find(text) != std::string::npos);
    check_untouched();
    // Validation (and so import) refuses the same archive, with the same words
    // (consistency_test.cpp checks random archives the same way).
    if (!opts.filter && !opts.overlay_onto_existing && opts.preserve_owners && opts.expect_id.empty() &&
        !opts.progress) {
      ReadOptions ro;
      ro.limits = opts.limits;
      auto v = read_image(aci, ro);
      CHECK_MESSAGE(!v.ok(), "validation accepts what extraction refuses: " << e.message);
      if (!v.ok()) {
        INFO("validation: " << dump(v.error()));
        CHECK(v.error().code == code);
        bool said = v.error().message.find(text) != std::string::npos;
        for (const auto &d : v.error().diagnostics) said = said || d.format().find(text) != std::string::npos;
        CHECK_MESSAGE(said, "validation refuses, in other words");
      }
    }
    return e;
  }

  void check_untouched() {
    CHECK_FALSE(exists(out));
    CHECK_MESSAGE(list_tree(s.path()) == std::vector<std::string>({"h.aci", "sentinel", "sentinel/keep"}),
                  join(list_tree(s.path())));
    CHECK(slurp(sentinel + "/keep") == "keep");
  }
};

} // namespace

TEST_CASE("hostile: absolute names are refused, naming the entry") {
  Arena a;
  TarBuilder().aci_base().file("rootfs/ok", "1").file(a.sentinel + "/pwned", "x").write(a.aci);
  a.refuse(Code::invalid, a.sentinel + "/pwned: name is absolute");
  TarBuilder().aci_base().file("/rootfs/x", "x").write(a.aci);
  a.refuse(Code::invalid, "/rootfs/x: name is absolute");
}

TEST_CASE("hostile: \"..\" components are refused, wherever they are") {
  Arena a;
  for (std::string bad : {"../sentinel/pwned", "rootfs/../../sentinel/pwned", "rootfs/a/../../../sentinel/pwned",
                          "rootfs/a/../b", "rootfs/.."}) {
    CAPTURE(bad);
    TarBuilder().aci_base().dir("rootfs/a").file(bad, "x").write(a.aci);
    a.refuse(Code::invalid, bad + ": name has a \"..\" component");
  }
}

TEST_CASE("hostile: writing through a planted symlink that leads out is refused") {
  Arena a;
  struct Case {
    std::string what, link_target;
  };
  for (const Case &c : {Case{"relative", "../../sentinel"}, Case{"absolute", a.sentinel},
                        Case{"absolute to /", "/"}, Case{"relative deep", "../../../../../../../../tmp"}}) {
    CAPTURE(c.what);
    SUBCASE("a file through it") {
      TarBuilder().aci_base().symlink("rootfs/link", c.link_target).file("rootfs/link/pwned", "x").write(a.aci);
      a.refuse(Code::invalid, "rootfs/link/pwned: parent goes through a symlink that leads outside the target");
    }
    SUBCASE("a directory through it") {
      TarBuilder().aci_base().symlink("rootfs/link", c.link_target).dir("rootfs/link/sub").write(a.aci);
      a.refuse(Code::invalid, "rootfs/link/sub/: parent goes through a symlink");
    }
    SUBCASE("a symlink through it") {
      TarBuilder().aci_base().symlink("rootfs/link", c.link_target).symlink("rootfs/link/s", "x").write(a.aci);
      a.refuse(Code::invalid, "rootfs/link/s: parent goes through a symlink");
    }
    SUBCASE("a hardlink through it") {
      TarBuilder().aci_base().file("rootfs/f", "f").symlink("rootfs/link", c.link_target)
          .hardlink("rootfs/link/h", "rootfs/f").write(a.aci);
      a.refuse(Code::invalid, "rootfs/link/h: parent goes through a symlink");
    }
    SUBCASE("deeper, through a chain of symlinks") {
      TarBuilder().aci_base().dir("rootfs/d").symlink("rootfs/d/one", "../two").symlink("rootfs/two", c.link_target)
          .file("rootfs/d/one/pwned", "x").write(a.aci);
      a.refuse(Code::invalid, "rootfs/d/one/pwned: parent goes through a symlink");
    }
  }
}

TEST_CASE("hostile: a symlink out of rootfs/ is \"outside\" too (rootfs entries resolve beneath rootfs)") {
  Arena a;
  TarBuilder().aci_base().symlink("rootfs/up", "..").file("rootfs/up/manifest2", "x").write(a.aci);
  a.refuse(Code::invalid, "rootfs/up/manifest2: parent goes through a symlink that leads outside the target");
}

TEST_CASE("hostile: symlink loops in the parent chain") {
  Arena a;
  TarBuilder().aci_base().symlink("rootfs/loop", "loop").file("rootfs/loop/x", "x").write(a.aci);
  a.refuse(Code::invalid, "rootfs/loop/x: parent goes through a symlink loop");
}

TEST_CASE("hostile: hardlinks to anything outside are refused") {
  Arena a;
  for (std::string target : {std::string("/etc/passwd"), a.sentinel + "/keep", std::string("../sentinel/keep"),
                             std::string("rootfs/../../sentinel/keep"), std::string("manifest"),
                             std::string("rootfs/missing")}) {
    CAPTURE(target);
    TarBuilder().aci_base().hardlink("rootfs/h", target).write(a.aci);
    a.refuse(Code::invalid, "rootfs/h: hardlink target");
  }
  SUBCASE("a target reached through a symlink is not an entry of the archive") {
    TarBuilder().aci_base().symlink("rootfs/link", a.sentinel).hardlink("rootfs/h", "rootfs/link/keep").write(a.aci);
    a.refuse(Code::invalid, "is not an earlier entry of this archive");
  }
  CHECK(lstat_of(a.sentinel + "/keep").st_nlink == 1);
}

TEST_CASE("hostile: a hardlink to a symlink links the symlink, never what it points to") {
  Arena a;
  TarBuilder().aci_base().symlink("rootfs/s", a.sentinel + "/keep").hardlink("rootfs/h", "rootfs/s").write(a.aci);
  auto r = extract_image(a.aci, a.out);
  REQUIRE_MESSAGE(r.ok(), dump(r.error()));
  CHECK(S_ISLNK(lstat_of(a.out + "/rootfs/h").st_mode));
  CHECK(lstat_of(a.sentinel + "/keep").st_nlink == 1);
  CHECK(slurp(a.sentinel + "/keep") == "keep");
}

TEST_CASE("hostile: an entry that would replace a directory with a symlink (or a file) is refused") {
  Arena a;
  SUBCASE("same name: a duplicate (spec 39)") {
    TarBuilder().aci_base().dir("rootfs/d").symlink("rootfs/d", a.sentinel).file("rootfs/d/pwned", "x")
        .write(a.aci);
    a.refuse(Code::invalid, "rootfs/d: duplicate entry");
  }
  SUBCASE("the same directory reached through an alias") {
    TarBuilder().aci_base().dir("rootfs/d").file("rootfs/d/f", "f").symlink("rootfs/alias", ".")
        .symlink("rootfs/alias/d", a.sentinel).file("rootfs/d/pwned", "x").write(a.aci);
    a.refuse(Code::invalid, "rootfs/alias/d: refusing to replace a directory with a symlink");
  }
  SUBCASE("a file over a directory, through an alias") {
    TarBuilder().aci_base().dir("rootfs/d").symlink("rootfs/alias", ".").file("rootfs/alias/d", "x").write(a.aci);
    a.refuse(Code::invalid, "rootfs/alias/d: refusing to replace a directory with a file");
  }
}

TEST_CASE("hostile: an existing symlink at the final path is replaced, never written through") {
  Arena a;
  // rootfs/alias/s names the same place as rootfs/s: the second entry replaces
  // the planted symlink instead of opening it.
  TarBuilder().aci_base().symlink("rootfs/s", a.sentinel + "/keep").symlink("rootfs/alias", ".")
      .file("rootfs/alias/s", "replaced").write(a.aci);
  auto r = extract_image(a.aci, a.out);
  REQUIRE_MESSAGE(r.ok(), dump(r.error()));
  CHECK(slurp(a.out + "/rootfs/s") == "replaced");
  CHECK(S_ISREG(lstat_of(a.out + "/rootfs/s").st_mode));
  CHECK(slurp(a.sentinel + "/keep") == "keep");
}

TEST_CASE("hostile: top-level escapes of the layout") {
  Arena a;
  SUBCASE("rootfs itself a symlink") {
    TarBuilder().file("manifest", kManifest).symlink("rootfs", a.sentinel).file("rootfs/pwned", "x").write(a.aci);
    a.refuse(Code::invalid, "rootfs: rootfs must be a directory, found a symlink");
  }
  SUBCASE("the archive root a symlink") {
    TarBuilder().symlink(".", a.sentinel).aci_base().write(a.aci);
    a.refuse(Code::invalid, "archive root must be a directory");
  }
  SUBCASE("something beside manifest and rootfs") {
    TarBuilder().aci_base().file("sentinel/keep", "overwritten").write(a.aci);
    a.refuse(Code::invalid, "sentinel/keep: not allowed at the top level");
  }
}

TEST_CASE("hostile: a decompression bomb stops at limits.max_bytes") {
  Arena a;
  TarBuilder().aci_base().file("rootfs/zeros", std::string(64u << 20, '\0')).write(a.s / "bomb.tar");
  sh("xz -0 -c " + quote(a.s / "bomb.tar") + " > " + quote(a.aci) + " && rm " + quote(a.s / "bomb.tar"));
  CHECK(lstat_of(a.aci).st_size < (1 << 20));
  ExtractOptions o;
  o.limits.max_bytes = 4u << 20;
  uint64_t max_seen = 0;
  o.progress = [&](const Progress &p) {
    max_seen = std::max(max_seen, p.bytes_out);
    return true;
  };
  a.refuse(Code::limit, "limits.max_bytes", o);
  CHECK(max_seen <= o.limits.max_bytes);
  ReadOptions ro;
  ro.limits.max_bytes = 4u << 20;
  auto r = read_image(a.aci, ro);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Code::limit);
}

TEST_CASE("hostile: too many entries stop at limits.max_entries") {
  Arena a;
  TarBuilder t;
  t.aci_base();
  for (int i = 0; i < 300; ++i) t.file("rootfs/f" + std::to_string(i), "");
  t.write(a.aci);
  ExtractOptions o;
  o.limits.max_entries = 100;
  a.refuse(Code::limit, "limits.max_entries", o);
}

TEST_CASE("hostile: a manifest over limits.max_manifest_bytes") {
  Arena a;
  TarBuilder().aci_base(std::string(100000, ' ') + kManifest).write(a.aci);
  ExtractOptions o;
  o.limits.max_manifest_bytes = 65536;
  a.refuse(Code::limit, "limits.max_manifest_bytes", o);
}

TEST_CASE("hostile: truncated and garbage archives leave nothing, even after files were written") {
  Arena a;
  TarBuilder t;
  t.aci_base();
  for (int i = 0; i < 50; ++i) t.file("rootfs/f" + std::to_string(i), std::string(20000, char('a' + i % 26)));
  std::string tar = t.bytes();
  SUBCASE("a tar cut in the middle") {
    write_file(a.aci, tar.substr(0, tar.size() * 3 / 4));
    a.refuse(Code::invalid, "truncated");
  }
  SUBCASE("a gzip stream cut in the middle") {
    write_file(a.s / "t.tar", tar);
    sh("gzip -1 -c " + quote(a.s / "t.tar") + " > " + quote(a.s / "t.gz") + " && rm " + quote(a.s / "t.tar"));
    std::string gz = slurp(a.s / "t.gz");
    write_file(a.aci, gz.substr(0, gz.size() / 2));
    REQUIRE(::unlink((a.s / "t.gz").c_str()) == 0);
    a.refuse(Code::invalid, "gzip");
  }
  SUBCASE("garbage in the middle") {
    std::string bad = tar;
    for (size_t i = tar.size() / 2; i < tar.size() / 2 + 4096; ++i) bad[i] = char(i * 7);
    write_file(a.aci, bad);
    auto r = extract_image(a.aci, a.out);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::invalid);
    a.check_untouched();
  }
  SUBCASE("pure garbage") {
    std::string g(10000, '\0');
    for (size_t i = 0; i < g.size(); ++i) g[i] = char((i * 2654435761u) >> 13);
    write_file(a.aci, g);
    a.refuse(Code::invalid, "tar");
  }
}

TEST_CASE("hostile: a violation after many entries removes everything already written") {
  Arena a;
  TarBuilder t;
  t.aci_base();
  for (int i = 0; i < 100; ++i) t.file("rootfs/f" + std::to_string(i), "data");
  SUBCASE("a late duplicate") {
    t.file("rootfs/f5", "again").write(a.aci);
    a.refuse(Code::invalid, "rootfs/f5: duplicate entry");
  }
  SUBCASE("an invalid manifest at the end (actool puts the manifest last)") {
    TarBuilder u;
    u.dir("rootfs");
    for (int i = 0; i < 100; ++i) u.file("rootfs/f" + std::to_string(i), "data");
    u.file("manifest", R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"UPPER"})").write(a.aci);
    a.refuse(Code::invalid, "manifest: name");
  }
  SUBCASE("no manifest at all") {
    TarBuilder u;
    u.dir("rootfs");
    for (int i = 0; i < 100; ++i) u.file("rootfs/f" + std::to_string(i), "data");
    u.write(a.aci);
    a.refuse(Code::invalid, "manifest: missing");
  }
}

TEST_CASE("hostile: the target path is a symlink to the sentinel") {
  Arena a;
  TarBuilder().aci_base().file("rootfs/x", "x").write(a.aci);
  Scratch other;
  REQUIRE(::symlink(a.sentinel.c_str(), (other / "out").c_str()) == 0);
  auto r = extract_image(a.aci, other / "out");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Code::exists);
  CHECK(list_tree(a.sentinel) == std::vector<std::string>{"keep"});
  CHECK(list_tree(other.path()) == std::vector<std::string>{"out"});
}

TEST_CASE("hostile: read_image names the same entries without extracting") {
  Arena a;
  TarBuilder().aci_base().file("/etc/shadow", "x").file("rootfs/../../x", "y").hardlink("rootfs/h", "/etc/passwd")
      .write(a.aci);
  auto r = read_image(a.aci);
  REQUIRE_FALSE(r.ok());
  INFO(dump(r.error()));
  REQUIRE(r.error().diagnostics.size() == 3);
  CHECK(r.error().diagnostics[0].path == "/etc/shadow");
  CHECK(r.error().diagnostics[1].path == "rootfs/../../x");
  CHECK(r.error().diagnostics[2].path == "rootfs/h");
  a.check_untouched();
}

// ---------------------------------------------------------------- the primitives underneath

TEST_CASE("open_beneath: \"..\", absolute paths and symlinks out are refused (EXDEV)") {
  Arena a;
  REQUIRE(::mkdir((a.s / "root").c_str(), 0755) == 0);
  REQUIRE(::mkdir((a.s / "root/d").c_str(), 0755) == 0);
  REQUIRE(::symlink("../../sentinel", (a.s / "root/out").c_str()) == 0);
  REQUIRE(::symlink(a.sentinel.c_str(), (a.s / "root/abs").c_str()) == 0);
  REQUIRE(::symlink("d", (a.s / "root/in").c_str()) == 0);
  UniqueFd root(::open((a.s / "root").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(root);
  for (std::string bad : {"..", "../sentinel", "d/../..", "out", "out/keep", "abs/keep", "/etc"}) {
    CAPTURE(bad);
    auto r = open_beneath(root.get(), bad, O_PATH);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().sys_errno == EXDEV);
    CHECK(r.error().message.find(bad) != std::string::npos);
  }
  CHECK(open_beneath(root.get(), "in", O_PATH | O_DIRECTORY).ok());
  CHECK(open_beneath(root.get(), "d/../in", O_PATH | O_DIRECTORY).ok());
  CHECK(open_beneath(root.get(), "", O_PATH | O_DIRECTORY).ok());
}

TEST_CASE("clean_relative_path: components, and what is refused") {
  auto ok = clean_relative_path("./a//b/./c/");
  REQUIRE(ok.ok());
  CHECK(*ok == std::vector<std::string>{"a", "b", "c"});
  auto dot = clean_relative_path("./");
  REQUIRE(dot.ok());
  CHECK(dot->empty());
  for (std::string_view bad : {std::string_view(""), std::string_view("/a"), std::string_view("a/../b"),
                               std::string_view(".."), std::string_view("a\0b", 3)}) {
    auto r = clean_relative_path(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::invalid);
  }
}

TEST_CASE("remove_tree: deep trees, without following symlinks") {
  Arena a;
  std::string p = a.s / "deep";
  REQUIRE(::mkdir(p.c_str(), 0755) == 0);
  UniqueFd cur(::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  for (int i = 0; i < 300; ++i) {   // deeper than the fds remove_tree keeps open, deeper than PATH_MAX
    REQUIRE(::mkdirat(cur.get(), "level-with-a-long-name", 0755) == 0);
    REQUIRE(::symlinkat(a.sentinel.c_str(), cur.get(), "to-sentinel") == 0);
    REQUIRE(::mkdirat(cur.get(), "sibling", 0500) == 0);
    cur.reset(::openat(cur.get(), "level-with-a-long-name", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(cur);
  }
  cur.reset();
  REQUIRE(remove_tree(p).ok());
  CHECK_FALSE(exists(p));
  CHECK(list_tree(a.sentinel) == std::vector<std::string>{"keep"});
}

TEST_CASE("make_sibling_tempdir: a hidden directory beside the target") {
  Scratch s;
  auto t = make_sibling_tempdir(s / "target/");
  REQUIRE(t.ok());
  CHECK(t->rfind(s / ".target.tmp-", 0) == 0);
  CHECK(S_ISDIR(lstat_of(*t).st_mode));
  CHECK_FALSE(make_sibling_tempdir(s / "no/such/parent/x").ok());
}

namespace {

// Runs `body` in a child process where openat2 fails with ENOSYS (as under old
// kernels or seccomp profiles that do not know it); the child's exit status.
int without_openat2(const std::function<int()> &body) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat2, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {static_cast<unsigned short>(sizeof f / sizeof f[0]), f};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
      ::_exit(99);
    ::_exit(body());
  }
  int st = 0;
  REQUIRE(::waitpid(pid, &st, 0) == pid);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

} // namespace

TEST_CASE("without openat2: a component-by-component O_NOFOLLOW walk, refusing every symlink on the way") {
  Arena a;
  TarBuilder().aci_base().dir("rootfs/d").file("rootfs/d/f", "ok").file("rootfs/a/b/c", "implicit parents")
      .write(a.s / "good.aci");
  TarBuilder().aci_base().dir("rootfs/d").symlink("rootfs/in", "d").file("rootfs/in/f", "x").write(a.s / "inner.aci");
  TarBuilder().aci_base().symlink("rootfs/link", a.sentinel).file("rootfs/link/pwned", "x").write(a.aci);
  int rc = without_openat2([&] {
    if (::syscall(__NR_openat2, AT_FDCWD, ".", nullptr, 0) != -1 || errno != ENOSYS) return 10;
    auto good = extract_image(a.s / "good.aci", a.s / "good");
    if (!good.ok() || slurp(a.s / "good/rootfs/d/f") != "ok") return 11;
    auto inner = extract_image(a.s / "inner.aci", a.s / "inner");   // stricter: even symlinks that stay inside
    if (inner.ok()) return 12;
    if (inner.error().message.find("rootfs/in/f: parent goes through a symlink") == std::string::npos) return 14;
    auto bad = extract_image(a.aci, a.out);
    if (bad.ok() || bad.error().message.find("rootfs/link/pwned") == std::string::npos) return 13;
    return 0;
  });
  CHECK(rc == 0);
  CHECK(exists(a.s / "good/rootfs/a/b/c"));
  CHECK_FALSE(exists(a.s / "inner"));
  CHECK_FALSE(exists(a.out));
  CHECK(list_tree(a.sentinel) == std::vector<std::string>{"keep"});
}

// A sparse file stores only its data, so the stream bound alone would let a
// few KiB of archive unpack to terabytes of holes, which every later reader
// of the tree (the store's digest walk, a copy) goes through byte by byte.
// Its full size counts against limits.max_bytes, in every reader.
TEST_CASE("hostile: a sparse file claiming a huge size is refused by limits.max_bytes (read, extract)") {
  Arena a;
  std::string img = a.s / "img";
  for (const char *format : {"pax", "gnu"}) {
    CAPTURE(format);
    sh("mkdir -p " + quote(img + "/rootfs") + " && printf '%s' " + quote(kManifest) + " > " + quote(img + "/manifest") +
       " && truncate -s 1T " + quote(img + "/rootfs/huge") + " && printf data | dd of=" + quote(img + "/rootfs/huge") +
       " bs=1 seek=4096 conv=notrunc 2>/dev/null" + " && tar --sparse --format=" + format + " -C " + quote(img) +
       " -cf " + quote(a.aci) + " manifest rootfs && rm -r " + quote(img));
    CHECK(lstat_of(a.aci).st_size < (1 << 20));
    Error e = a.refuse(Code::limit, "rootfs/huge: the archive's files add up to more than");
    CHECK(e.message.find("limits.max_bytes") != std::string::npos);
    auto r = read_image(a.aci);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::limit);
    CHECK(r.error().message.find("rootfs/huge") != std::string::npos);
  }
}

TEST_CASE("hostile: file sizes add up against limits.max_bytes; a sparse file within it keeps its holes") {
  Arena a;
  std::string img = a.s / "img";
  sh("mkdir -p " + quote(img + "/rootfs") + " && printf '%s' " + quote(kManifest) + " > " + quote(img + "/manifest") +
     " && truncate -s 8M " + quote(img + "/rootfs/sparse") + " && printf data | dd of=" + quote(img + "/rootfs/sparse") +
     " bs=1 seek=4096 conv=notrunc 2>/dev/null" + " && tar --sparse --format=pax -C " + quote(img) + " -cf " +
     quote(a.aci) + " manifest rootfs && rm -r " + quote(img));
  ExtractOptions o;
  o.limits.max_bytes = 4u << 20;   // far more than the archive, less than the file
  a.refuse(Code::limit, "rootfs/sparse: the archive's files add up to more than 4194304 bytes", o);
  auto r = extract_image(a.aci, a.out);   // the default bound
  REQUIRE_MESSAGE(r.ok(), dump(r.error()));
  struct stat st = lstat_of(a.out + "/rootfs/sparse");
  CHECK(st.st_size == (8 << 20));
  CHECK(uint64_t(st.st_blocks) * 512 < (1u << 20));
}

// chown(2) takes a uid_t: 2^32 + 0 would be truncated to root, and (uid_t)-1
// means "leave unchanged" (the file silently stays the extracting user's).
TEST_CASE("spec 41: an owner chown cannot set is refused when owners are preserved") {
  if (::geteuid() != 0) return;   // only root chowns; nothing to check otherwise
  Arena a;
  for (int64_t bad : {int64_t(1) << 32, int64_t(1) << 40, int64_t(4294967295)}) {
    CAPTURE(bad);
    TarBuilder::Spec s;
    s.name = "rootfs/f";
    s.data = "x";
    s.uid = bad;
    TarBuilder().aci_base().add(s).write(a.aci);
    a.refuse(Code::invalid, "rootfs/f: owner " + std::to_string(bad) + ":0 is out of range");
    s.uid = 0;
    s.gid = bad;
    TarBuilder().aci_base().add(s).write(a.aci);
    a.refuse(Code::invalid, "rootfs/f: owner 0:" + std::to_string(bad) + " is out of range");
    ExtractOptions keep_mine;
    keep_mine.preserve_owners = false;   // the owner is not used: nothing to refuse
    auto r = extract_image(a.aci, a.out, keep_mine);
    REQUIRE_MESSAGE(r.ok(), dump(r.error()));
    REQUIRE(remove_tree(a.out).ok());
  }
  TarBuilder::Spec top;
  top.name = "rootfs/f";
  top.data = "x";
  top.uid = 4294967294;   // the highest settable one
  top.gid = 4294967294;
  TarBuilder().aci_base().add(top).write(a.aci);
  auto r = extract_image(a.aci, a.out);
  REQUIRE_MESSAGE(r.ok(), dump(r.error()));
  CHECK(lstat_of(a.out + "/rootfs/f").st_uid == 4294967294u);
}

TEST_CASE("hostile: a symlink with an empty target is named") {
  Arena a;
  TarBuilder::Spec s;
  s.name = "rootfs/l";
  s.type = AE_IFLNK;
  s.mode = 0777;
  TarBuilder().aci_base().add(s).write(a.aci);
  a.refuse(Code::invalid, "rootfs/l: a symlink with an empty or unreadable target");
}

TEST_CASE("hostile: a gzip stream cut inside its trailer is named, with a reason") {
  Arena a;
  TarBuilder().aci_base().file("rootfs/f", std::string(5000, 'x')).write(a.s / "t.tar");
  sh("gzip -c " + quote(a.s / "t.tar") + " > " + quote(a.s / "t.gz") + " && head -c -4 " + quote(a.s / "t.gz") +
     " > " + quote(a.aci) + " && rm " + quote(a.s / "t.tar") + " " + quote(a.s / "t.gz"));
  Error e = a.refuse(Code::invalid, "corrupt or truncated gzip stream: ");
  CHECK(e.message.find("unknown libarchive error") == std::string::npos);
}

namespace {

// One ustar header block (512 bytes) with its checksum.
std::string ustar_header(const std::string &name, char type, uint64_t size) {
  std::string h(512, '\0');
  h.replace(0, name.size(), name);
  auto octal = [&](size_t at, size_t width, uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%0*llo", int(width - 1), static_cast<unsigned long long>(v));
    h.replace(at, width - 1, buf);
  };
  octal(100, 8, 0644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, 1000000000);
  h[156] = type;
  h.replace(257, 6, std::string("ustar\0", 6));
  h.replace(263, 2, "00");
  h.replace(148, 8, "        ");
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  char buf[8];
  std::snprintf(buf, sizeof buf, "%06o", sum);
  h.replace(148, 7, std::string(buf, 6) + '\0');
  return h;
}

std::string pad512(std::string s) {
  s.resize((s.size() + 511) / 512 * 512, '\0');
  return s;
}

std::string pax_record(const std::string &key, const std::string &value) {
  std::string body = " " + key + "=" + value + "\n";
  size_t len = body.size() + 1;
  while (std::to_string(len).size() + body.size() != len) ++len;
  return std::to_string(len) + body;
}

// manifest + rootfs/ + a GNU sparse 1.0 file (pax) whose map puts `len` bytes at
// `off`, with the given real size.
std::string sparse10_aci(uint64_t realsize, uint64_t off, uint64_t len) {
  std::string tar = TarBuilder().aci_base().bytes();
  tar.resize(tar.size() - 1024);   // drop the end-of-archive blocks
  std::string pax = pax_record("GNU.sparse.major", "1") + pax_record("GNU.sparse.minor", "0") +
                    pax_record("GNU.sparse.name", "rootfs/huge") +
                    pax_record("GNU.sparse.realsize", std::to_string(realsize));
  tar += ustar_header("rootfs/PaxHeaders/huge", 'x', pax.size()) + pad512(pax);
  std::string data = pad512("1\n" + std::to_string(off) + "\n" + std::to_string(len) + "\n") + std::string(len, 'D');
  tar += ustar_header("rootfs/GNUSparseFile.0/huge", '0', data.size()) + pad512(data);
  return tar + std::string(1024, '\0');
}

} // namespace

// The sparse map says where each stored block goes. One beyond the file's
// size would make the file as long as that offset (a petabyte of holes from a
// few blocks), past the bound limits.max_bytes puts on the declared size.
TEST_CASE("hostile: a sparse map placing data beyond the file's size is refused (read, extract, import)") {
  Arena a;
  write_file(a.aci, sparse10_aci(8192, 4096, 512));
  auto ok = extract_image(a.aci, a.out);
  REQUIRE_MESSAGE(ok.ok(), dump(ok.error()));
  CHECK(lstat_of(a.out + "/rootfs/huge").st_size == 8192);
  CHECK(slurp(a.out + "/rootfs/huge").substr(4096, 512) == std::string(512, 'D'));
  REQUIRE(remove_tree(a.out).ok());

  for (uint64_t off : {uint64_t(1) << 50, uint64_t(8192 - 511)}) {
    CAPTURE(off);
    write_file(a.aci, sparse10_aci(8192, off, 512));
    a.refuse(Code::invalid, "rootfs/huge: data at offset " + std::to_string(off) + " lies beyond the file's size of 8192");
    auto r = read_image(a.aci);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::invalid);
    CHECK(r.error().message.find("rootfs/huge: data at offset") != std::string::npos);
  }
}

TEST_CASE("hostile: validation lists at most 1000 findings, then stops saying so") {
  Arena a;
  TarBuilder t;
  t.aci_base();
  for (int i = 0; i < 1500; ++i) t.file("/abs" + std::to_string(i), "");
  t.write(a.aci);
  auto r = read_image(a.aci);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Code::invalid);
  REQUIRE(r.error().diagnostics.size() == 1001);
  CHECK(r.error().diagnostics.back().message.find("more than 1000 findings") != std::string::npos);
  CHECK(r.error().diagnostics.back().path == "/abs999");
}

TEST_CASE("name_key: equal names give equal keys, different names different ones") {
  using detail::name_key;
  CHECK(name_key("rootfs/a") == name_key(std::string("rootfs/") + "a"));
  CHECK_FALSE(name_key("rootfs/a") == name_key("rootfs/b"));
  CHECK_FALSE(name_key("") == name_key("rootfs"));
  CHECK_FALSE(name_key(std::string(5000, 'x')) == name_key(std::string(5001, 'x')));
}

TEST_CASE("hostile: a parent that is a symlink to nothing is named as such") {
  Arena a;
  TarBuilder().aci_base().symlink("rootfs/s", "nowhere").file("rootfs/s/f", "x").write(a.aci);
  a.refuse(Code::invalid, "rootfs/s/f: the parent s is a symlink to something that does not exist");
  TarBuilder().aci_base().dir("rootfs/d").symlink("rootfs/d/a", "../b").file("rootfs/d/a/f", "x").write(a.aci);
  a.refuse(Code::invalid, "rootfs/d/a/f: the parent d/a is a symlink to something that does not exist");
}
