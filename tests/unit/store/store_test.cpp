// The image store, one process: import, lookup, export, trees, rm, gc,
// format versioning and recovery of leftovers.
#include "store_test_util.hpp"

#include "spec/manifest.hpp"

#include <sys/file.h>
#include <sys/resource.h>

namespace appc::store::test {
namespace {

AciSpec simple(const std::string &name, const std::string &version, const std::string &tag = "") {
  AciSpec s;
  s.name = name;
  if (!version.empty()) s.labels.push_back({"version", version});
  s.labels.push_back({"os", "linux"});
  s.files["etc/hello"] = "hello from " + name + " " + version + " " + tag + "\n";
  return s;
}

TEST_CASE("store: import, get by ID, a second import is a no-op, check is clean") {
  Scratch sc;
  auto info = make_aci(sc / "a.aci", simple("example.com/a", "1.0.0"));
  auto st = open_store(sc / "root");
  ImportOptions io;
  io.origin = "file:///a.aci";
  auto r = must(st->import_file(sc / "a.aci", io));
  CHECK_FALSE(r.already_present);
  CHECK(r.image.id == info.id);
  CHECK(r.image.name == "example.com/a");
  CHECK(r.image.origin == "file:///a.aci");
  CHECK(r.image.size == info.archive_size);
  CHECK(r.image.tar_size == info.tar_size);
  REQUIRE(r.image.labels.size() == 2);
  CHECK(r.image.labels[0].name == "version");
  CHECK(r.image.manifest_json == info.manifest_json);
  CHECK(slurp(r.image.blob_path) == slurp(sc / "a.aci"));
  CHECK(r.image.blob_path == st->store_dir() + "/blobs/sha512/" + info.id.substr(7, 2) + "/" + info.id.substr(7));

  auto again = must(st->import_file(sc / "a.aci"));
  CHECK(again.already_present);
  CHECK(again.image.id == info.id);
  CHECK(again.image.imported_ns == r.image.imported_ns);
  CHECK(again.image.last_used_ns >= r.image.last_used_ns);
  CHECK(blobs(st->store_dir()).size() == 1);
  CHECK(ls(st->store_dir() + "/tmp").empty());

  auto g = must(st->get(info.id));
  CHECK(g.id == info.id);
  auto lst = must(st->list());
  REQUIRE(lst.size() == 1);
  CHECK(lst[0].id == info.id);
  require_clean(*st);
}

TEST_CASE("store: a compressed ACI is stored as imported, its ID is that of the tar (spec 56)") {
  Scratch sc;
  AciSpec s = simple("example.com/gz", "1.0.0");
  s.compression = aci::Compression::gzip;
  auto info = make_aci(sc / "gz.aci", s);
  auto st = open_store(sc / "root");
  // From a pipe: import_fd reads a stream once.
  int p[2];
  REQUIRE(::pipe(p) == 0);
  std::string data = slurp(sc / "gz.aci");
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(p[0]);
    size_t off = 0;
    while (off < data.size()) {
      ssize_t w = ::write(p[1], data.data() + off, data.size() - off);
      if (w <= 0) ::_exit(1);
      off += size_t(w);
    }
    ::_exit(0);
  }
  ::close(p[1]);
  auto r = st->import_fd(p[0]);
  ::close(p[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE_MESSAGE(r.ok(), (r ? std::string() : r.error().message));
  CHECK(r->image.id == info.id);
  CHECK(r->image.compression == aci::Compression::gzip);
  CHECK(slurp(r->image.blob_path) == data);
  require_clean(*st);
}

TEST_CASE("aci: ReadOptions::raw_sink sees every input byte in order; its error ends the read") {
  Scratch sc;
  for (auto c : {aci::Compression::none, aci::Compression::gzip, aci::Compression::zstd}) {
    CAPTURE(aci::compression_name(c));
    AciSpec s = simple("example.com/raw", "1.0.0");
    s.files["big"] = std::string(5 << 20, 'r');   // several blocks, two threads
    s.compression = c;
    auto info = make_aci(sc / "raw.aci", s);
    std::string want = slurp(sc / "raw.aci");
    std::string got;
    aci::ReadOptions ro;
    ro.raw_sink = [&](const void *p, size_t n) -> Status {
      got.append(static_cast<const char *>(p), n);
      return {};
    };
    UniqueFd fd(::open((sc / "raw.aci").c_str(), O_RDONLY | O_CLOEXEC));
    auto r = aci::read_image_fd(fd.get(), ro);
    REQUIRE_MESSAGE(r.ok(), (r ? std::string() : r.error().message));
    CHECK(r->id == info.id);
    CHECK(got.size() == want.size());
    CHECK(got == want);

    size_t seen = 0;
    ro.raw_sink = [&](const void *, size_t n) -> Status {
      seen += n;
      if (seen > (1u << 20)) return Error::make(Code::os, "disk full (simulated)");
      return {};
    };
    UniqueFd fd2(::open((sc / "raw.aci").c_str(), O_RDONLY | O_CLOEXEC));
    auto r2 = aci::read_image_fd(fd2.get(), ro);
    if (want.size() > (1u << 20)) {
      REQUIRE_FALSE(r2.ok());
      CHECK(r2.error().message.find("disk full (simulated)") != std::string::npos);
    }
  }
}

TEST_CASE("store: lookup by ID prefix, bare hex, ambiguous prefix lists candidates, unknown is not_found") {
  Scratch sc;
  auto st = open_store(sc / "root");
  // 17 images: two of them share their first hex digit (pigeonhole).
  std::map<char, std::vector<std::string>> by_first;
  std::vector<std::string> ids;
  for (int i = 0; i < 17; ++i) {
    std::string p = sc / ("i" + std::to_string(i) + ".aci");
    make_aci(p, simple("example.com/p" + std::to_string(i), "1.0.0"));
    auto r = must(st->import_file(p));
    ids.push_back(r.image.id);
    by_first[r.image.id[7]].push_back(r.image.id);
  }
  const std::string &id0 = ids[0];
  CHECK(must(st->get(id0.substr(0, 7 + 20))).id == id0);
  CHECK(must(st->get(id0.substr(7, 20))).id == id0);   // bare hex
  CHECK(must(st->resolve(id0.substr(0, 7 + 30))).id == id0);

  auto shared = std::find_if(by_first.begin(), by_first.end(), [](auto &kv) { return kv.second.size() > 1; });
  REQUIRE(shared != by_first.end());
  auto amb = st->get(std::string("sha512-") + shared->first);
  REQUIRE_FALSE(amb.ok());
  CHECK(amb.error().code == Code::conflict);
  CHECK(amb.error().message.find("ambiguous") != std::string::npos);
  for (const auto &id : shared->second) CHECK(amb.error().message.find(id) != std::string::npos);

  std::string unknown = "sha512-" + std::string(128, 'f');
  if (std::find(ids.begin(), ids.end(), unknown) == ids.end()) {
    auto nf = st->get(unknown);
    REQUIRE_FALSE(nf.ok());
    CHECK(nf.error().code == Code::not_found);
  }
  auto bad = st->get("sha512-xyz");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == Code::invalid);
  auto empty = st->get("sha512-");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().code == Code::invalid);
}

TEST_CASE("spec 49: name + labels lookup: every label matches; highest SemVer version, then newest import") {
  Scratch sc;
  auto st = open_store(sc / "root");
  auto imp = [&](const AciSpec &s, const std::string &file) {
    make_aci(sc / file, s);
    return must(st->import_file(sc / file)).image.id;
  };
  std::string v1 = imp(simple("example.com/app", "1.0.0"), "v1.aci");
  std::string v10 = imp(simple("example.com/app", "10.0.0-rc.1"), "v10rc.aci");
  std::string v2 = imp(simple("example.com/app", "2.0.0"), "v2.aci");
  std::string junk = imp(simple("example.com/app", "latest"), "latest.aci");   // not SemVer: ranks lowest
  AciSpec other_os = simple("example.com/app", "99.0.0");
  other_os.labels[1].second = "freebsd";
  std::string bsd = imp(other_os, "bsd.aci");

  CHECK(must(st->find("example.com/app", {{"os", "linux"}})).id == v10);   // 10.0.0-rc.1 > 2.0.0
  CHECK(must(st->find("example.com/app")).id == bsd);
  CHECK(must(st->find("example.com/app", {{"version", "2.0.0"}})).id == v2);
  CHECK(must(st->find("example.com/app", {{"version", "latest"}})).id == junk);
  CHECK(must(st->resolve("example.com/app,version=1.0.0,os=linux")).id == v1);
  CHECK(must(st->resolve("example.com/app,os=freebsd")).id == bsd);

  // Same version: the newest import wins.
  std::string v2b = imp(simple("example.com/app", "2.0.0", "rebuilt"), "v2b.aci");
  CHECK(v2b != v2);
  CHECK(must(st->find("example.com/app", {{"version", "2.0.0"}})).id == v2b);

  auto nf = st->find("example.com/app", {{"os", "darwin"}});
  REQUIRE_FALSE(nf.ok());
  CHECK(nf.error().code == Code::not_found);
  CHECK(nf.error().message.find("os=darwin") != std::string::npos);
  auto none = st->resolve("example.com/none");
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().code == Code::not_found);
}

TEST_CASE("spec 1, 2: resolve() rejects a malformed image reference with the reason") {
  Scratch sc;
  auto st = open_store(sc / "root");
  struct Case {
    const char *ref, *why;
  } cases[] = {
      {"Example.com/UPPER", "AC Identifier"},
      {"example.com/a,version", "label=value"},
      {"example.com/a,Bad Label=1", "AC Name"},
      {"example.com/a,os=linux,os=linux", "twice"},
      {"example.com/a,os=", "empty value"},
      {"", "AC Identifier"},
  };
  for (const auto &c : cases) {
    CAPTURE(c.ref);
    auto r = st->resolve(c.ref);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::invalid);
    CHECK(r.error().message.find(c.why) != std::string::npos);
  }
}

void require_nothing_stored(Store &st) {
  CHECK(must(st.list()).empty());
  CHECK(blobs(st.store_dir()).empty());
  CHECK(ls(st.store_dir() + "/tmp").empty());
  require_clean(st);
}

TEST_CASE("spec 37, 46: an invalid or corrupt ACI leaves nothing behind") {
  Scratch sc;
  auto st = open_store(sc / "root");
  put_file(sc / "junk.aci", std::string(5000, 'x'));
  auto r1 = st->import_file(sc / "junk.aci");
  REQUIRE_FALSE(r1.ok());
  CHECK(r1.error().code == Code::invalid);

  // A truncated gzip stream.
  AciSpec s = simple("example.com/t", "1.0.0");
  s.files["big"] = std::string(200000, 'q');
  s.compression = aci::Compression::gzip;
  make_aci(sc / "t.aci", s);
  std::string data = slurp(sc / "t.aci");
  put_file(sc / "trunc.aci", data.substr(0, data.size() / 2));
  auto r2 = st->import_file(sc / "trunc.aci");
  REQUIRE_FALSE(r2.ok());
  CHECK(r2.error().code == Code::invalid);

  // A valid archive with an invalid manifest (spec 46: the name must be an AC Identifier).
  AciSpec bad = simple("example.com/ok", "1.0.0");
  make_aci(sc / "ok.aci", bad);
  std::string dir = sc / "bad.d";
  put_file(dir + "/manifest", R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"NOT VALID"})");
  ::mkdir((dir + "/rootfs").c_str(), 0755);
  // build_image validates; write the archive with the system tar instead.
  REQUIRE(std::system(("tar -C " + dir + " -cf " + (sc / "bad.aci") + " manifest rootfs").c_str()) == 0);
  auto r3 = st->import_file(sc / "bad.aci");
  REQUIRE_FALSE(r3.ok());
  CHECK(r3.error().code == Code::invalid);
  require_nothing_stored(*st);
}

TEST_CASE("store: cancelling an import through the progress callback leaves nothing") {
  Scratch sc;
  AciSpec s = simple("example.com/c", "1.0.0");
  s.files["big"] = std::string(3 << 20, 'c');
  make_aci(sc / "c.aci", s);
  auto st = open_store(sc / "root");
  ImportOptions io;
  int calls = 0;
  io.progress = [&](const aci::Progress &) { return ++calls < 2; };
  auto r = st->import_file(sc / "c.aci", io);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Code::cancelled);
  require_nothing_stored(*st);
}

TEST_CASE("spec 56: expect_id mismatch is Code::verify and stores nothing") {
  Scratch sc;
  auto info = make_aci(sc / "e.aci", simple("example.com/e", "1.0.0"));
  auto st = open_store(sc / "root");
  ImportOptions io;
  io.expect_id = "sha512-" + std::string(128, '0');
  auto r = st->import_file(sc / "e.aci", io);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Code::verify);
  CHECK(r.error().message.find(info.id) != std::string::npos);
  require_nothing_stored(*st);
  io.expect_id = info.id;
  CHECK(must(st->import_file(sc / "e.aci", io)).image.id == info.id);
}

TEST_CASE("store: export gives a file with the same image ID; no silent overwrite") {
  Scratch sc;
  AciSpec s = simple("example.com/x", "1.0.0");
  s.compression = aci::Compression::xz;
  auto info = make_aci(sc / "x.aci", s);
  auto st = open_store(sc / "root");
  must(st->import_file(sc / "x.aci"));
  REQUIRE_OK(st->export_image(info.id.substr(0, 20), sc / "out.aci"));
  auto back = aci::read_image(sc / "out.aci");
  REQUIRE(back.ok());
  CHECK(back->id == info.id);
  auto again = st->export_image(info.id, sc / "out.aci");
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == Code::exists);
  REQUIRE_OK(st->export_image(info.id, sc / "out.aci", true));
  CHECK(ls(sc.path()) == std::vector<std::string>{"out.aci", "root", "x.aci"});
}

TEST_CASE("store: a tree is rendered once and reused (same key, path and creation time)") {
  Scratch sc;
  AciSpec s = simple("example.com/bb", "1.0.0");
  s.copies.push_back({"bin/busybox", "/bin/busybox"});
  auto info = make_aci(sc / "bb.aci", s);
  auto st = open_store(sc / "root");
  must(st->import_file(sc / "bb.aci"));
  int renders = 0;
  TreeOptions to;
  to.progress = [&](const aci::Progress &p) {
    if (std::string(p.phase) == "render") ++renders;
    return true;
  };
  auto t1 = must(st->tree(info.id, to));
  CHECK(renders > 0);
  CHECK(t1.verified);
  CHECK(t1.layers == std::vector<std::string>{info.id});
  CHECK(slurp(t1.rootfs + "/bin/busybox") == slurp("/bin/busybox"));
  CHECK(slurp(t1.path + "/manifest") == info.manifest_json);
  CHECK(t1.key.size() == 64);
  CHECK(t1.files >= 3);
  renders = 0;
  auto t2 = must(st->tree(info.id.substr(0, 12), to));
  CHECK(renders == 0);
  CHECK(t2.key == t1.key);
  CHECK(t2.path == t1.path);
  CHECK(t2.created_ns == t1.created_ns);
  CHECK(t2.last_used_ns >= t1.last_used_ns);
  CHECK(t2.digest == t1.digest);
  // preserve_owners is part of the key: another tree.
  TreeOptions no_owners;
  no_owners.preserve_owners = false;
  auto t3 = must(st->tree(info.id, no_owners));
  CHECK(t3.key != t1.key);
  CHECK(must(st->trees()).size() == 2);
  require_clean(*st);
}

TEST_CASE("spec 52, 53: a tree holds the image's dependencies, applied first; a missing one is reported") {
  Scratch sc;
  AciSpec base = simple("example.com/base", "1.0.0");
  base.files["etc/base"] = "base\n";
  base.files["etc/shared"] = "from base\n";
  AciSpec app = simple("example.com/app", "1.0.0");
  app.files["etc/shared"] = "from app\n";
  app.deps_json = R"([{"imageName":"example.com/base","labels":[{"name":"version","value":"1.0.0"}]}])";
  auto binfo = make_aci(sc / "base.aci", base);
  auto ainfo = make_aci(sc / "app.aci", app);
  auto st = open_store(sc / "root");
  must(st->import_file(sc / "app.aci"));
  auto missing = st->tree(ainfo.id);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == Code::not_found);
  CHECK(missing.error().message.find("example.com/base") != std::string::npos);
  CHECK(must(st->trees()).empty());

  must(st->import_file(sc / "base.aci"));
  auto t = must(st->tree(ainfo.id));
  CHECK(t.layers == std::vector<std::string>{binfo.id, ainfo.id});
  CHECK(t.image_id == ainfo.id);
  CHECK(slurp(t.rootfs + "/etc/base") == "base\n");
  CHECK(slurp(t.rootfs + "/etc/shared") == "from app\n");   // later layer wins (spec 53)

  // The store's resolver serves aci::render_image directly.
  auto res = st->resolver();
  auto rr = aci::render_image(must(st->get(ainfo.id)).blob_path, *res, sc / "out");
  REQUIRE_MESSAGE(rr.ok(), (rr ? std::string() : rr.error().message));
  CHECK(slurp(sc / "out/etc/base") == "base\n");
  require_clean(*st);
}

// The digest walk keeps a descriptor only for the deepest levels it is in:
// an image whose tree is far deeper than the descriptor limit is still
// rendered, verified and checked (it used to fail with EMFILE).
TEST_CASE("store: a tree deeper than the descriptor limit is rendered and verified") {
  Scratch sc;
  AciSpec s = simple("example.com/deep", "1.0.0");
  std::string deep;
  for (int i = 0; i < 1500; ++i) deep += "a/";
  s.files[deep + "f"] = "bottom\n";
  s.files["z"] = "after the deep subtree\n";
  auto info = make_aci(sc / "deep.aci", s);
  auto st = open_store(sc / "root");
  must(st->import_file(sc / "deep.aci"));
  struct rlimit old;
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &old) == 0);
  struct rlimit low = old;
  low.rlim_cur = 256;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  auto t = st->tree(info.id);
  auto rep = st->check(true);
  ::setrlimit(RLIMIT_NOFILE, &old);
  REQUIRE_MESSAGE(t.ok(), (t ? std::string() : t.error().message.substr(0, 300)));
  CHECK(t->verified);
  CHECK(slurp(t->rootfs + "/" + deep + "f") == "bottom\n");
  CHECK(slurp(t->rootfs + "/z") == "after the deep subtree\n");
  REQUIRE(rep.ok());
  CHECK(rep->problems.empty());
}

TEST_CASE("store: a tree modified before its first use is detected, removed and rendered again") {
  Scratch sc;
  auto info = make_aci(sc / "t.aci", simple("example.com/t", "1.0.0"));
  auto st = open_store(sc / "root");
  must(st->import_file(sc / "t.aci"));
  TreeOptions prep;
  prep.prepare_only = true;
  auto t = must(st->tree(info.id, prep));
  CHECK_FALSE(t.verified);
  put_file(t.rootfs + "/etc/hello", "tampered\n");
  auto r = st->tree(info.id);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Code::verify);
  CHECK(r.error().message.find(t.key) != std::string::npos);
  CHECK_FALSE(exists(t.path));
  CHECK(must(st->trees()).empty());
  auto t2 = must(st->tree(info.id));
  CHECK(t2.verified);
  CHECK(slurp(t2.rootfs + "/etc/hello") != "tampered\n");
  // A verified tree whose directory vanished is rendered again.
  REQUIRE_OK(remove_tree(t2.path));
  auto t3 = must(st->tree(info.id));
  CHECK(t3.created_ns != t2.created_ns);
  CHECK(slurp(t3.rootfs + "/etc/hello") == slurp(t2.rootfs + "/etc/hello"));
  require_clean(*st);
}

TEST_CASE("store: rm refuses an image a holder references, unless forced; removes its trees") {
  Scratch sc;
  AciSpec base = simple("example.com/base", "1.0.0");
  AciSpec app = simple("example.com/app", "1.0.0");
  app.deps_json = R"([{"imageName":"example.com/base"}])";
  auto binfo = make_aci(sc / "base.aci", base);
  auto ainfo = make_aci(sc / "app.aci", app);
  auto st = open_store(sc / "root");
  must(st->import_file(sc / "base.aci"));
  must(st->import_file(sc / "app.aci"));
  TreeOptions to;
  to.holder = "pod-1234";
  auto t = must(st->tree(ainfo.id, to));
  auto refs = must(st->refs());
  CHECK(refs.size() == 3);   // the tree, and each of its two images
  // The dependency is in use through the tree.
  auto r = st->remove(binfo.id);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Code::conflict);
  CHECK(r.error().message.find("pod-1234") != std::string::npos);
  CHECK(exists(t.path));

  REQUIRE_OK(st->drop_refs("pod-1234"));
  REQUIRE_OK(st->add_ref("pod-5678", ainfo.id));
  auto r2 = st->remove(ainfo.id);
  REQUIRE_FALSE(r2.ok());
  CHECK(r2.error().message.find("pod-5678") != std::string::npos);
  RemoveOptions force;
  force.force = true;
  auto rm = must(st->remove(ainfo.id, force));
  CHECK(rm.id == ainfo.id);
  CHECK(rm.trees_removed == std::vector<std::string>{t.key});
  CHECK(rm.bytes_freed >= t.size);
  CHECK_FALSE(exists(t.path));
  CHECK(must(st->refs()).empty());
  CHECK(must(st->list()).size() == 1);
  CHECK(blobs(st->store_dir()).size() == 1);
  auto nf = st->remove(ainfo.id);
  REQUIRE_FALSE(nf.ok());
  CHECK(nf.error().code == Code::not_found);
  CHECK(ls(st->store_dir() + "/tmp").empty());
  require_clean(*st);
}

TEST_CASE("store: gc drops unreferenced trees, and images only after the grace period") {
  Scratch sc;
  auto a = make_aci(sc / "a.aci", simple("example.com/a", "1.0.0"));
  auto b = make_aci(sc / "b.aci", simple("example.com/b", "1.0.0"));
  auto st = open_store(sc / "root");
  must(st->import_file(sc / "a.aci"));
  must(st->import_file(sc / "b.aci"));
  TreeOptions held;
  held.holder = "pod-a";
  auto ta = must(st->tree(a.id, held));
  auto tb = must(st->tree(b.id));

  GcOptions keep;   // default grace: a day for images; trees have none
  keep.tree_grace_s = 3600;
  auto g0 = must(st->gc(keep));
  CHECK(g0.images_removed.empty());
  CHECK(g0.trees_removed.empty());

  GcOptions dry;
  dry.image_grace_s = 0;
  dry.dry_run = true;
  auto g1 = must(st->gc(dry));
  CHECK(g1.images_removed == std::vector<std::string>{b.id});
  CHECK(g1.trees_removed == std::vector<std::string>{tb.key});
  CHECK(exists(tb.path));
  CHECK(must(st->list()).size() == 2);

  auto g2 = must(st->gc(GcOptions{}));   // trees: no grace; images: within their grace
  CHECK(g2.images_removed.empty());
  CHECK(g2.trees_removed == std::vector<std::string>{tb.key});
  CHECK(g2.bytes_freed == tb.size);
  CHECK_FALSE(exists(tb.path));
  CHECK(exists(ta.path));

  GcOptions all;
  all.image_grace_s = 0;
  auto g3 = must(st->gc(all));
  CHECK(g3.images_removed == std::vector<std::string>{b.id});
  CHECK(g3.bytes_freed == b.archive_size);
  CHECK(exists(ta.path));
  CHECK(must(st->list()).size() == 1);
  REQUIRE_OK(st->drop_refs("pod-a"));
  auto g4 = must(st->gc(all));
  CHECK(g4.images_removed == std::vector<std::string>{a.id});
  CHECK(g4.trees_removed == std::vector<std::string>{ta.key});
  CHECK(blobs(st->store_dir()).empty());
  CHECK(ls(st->store_dir() + "/trees").empty());
  require_clean(*st);
}

TEST_CASE("store: a store of a newer or unknown format is refused and left untouched") {
  Scratch sc;
  for (const char *format : {"appc-store 2\n", "appc-store 999\n", "something else\n"}) {
    CAPTURE(format);
    std::string root = sc / "r";
    (void)remove_tree(root);
    auto st = open_store(root);
    st.reset();
    put_file(root + "/store/FORMAT", format);
    std::vector<std::string> before = ls(root + "/store");
    struct stat db_before, db_after;
    REQUIRE(::stat((root + "/store/index.db").c_str(), &db_before) == 0);
    auto r = Store::open(root);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::not_supported);
    CHECK(r.error().message.find(root + "/store/FORMAT") != std::string::npos);
    CHECK(r.error().message.find("supports version 1") != std::string::npos);
    if (std::string(format) == "appc-store 2\n") CHECK(r.error().message.find("version 2") != std::string::npos);
    CHECK(ls(root + "/store") == before);
    REQUIRE(::stat((root + "/store/index.db").c_str(), &db_after) == 0);
    CHECK(db_after.st_mtim.tv_nsec == db_before.st_mtim.tv_nsec);
    CHECK(db_after.st_size == db_before.st_size);
    CHECK(slurp(root + "/store/FORMAT") == format);
  }
  // A fresh directory holding only a newer FORMAT: nothing is created.
  std::string fresh = sc / "fresh";
  put_file(fresh + "/store/FORMAT", "appc-store 7\n");
  auto r = Store::open(fresh);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Code::not_supported);
  CHECK(ls(fresh + "/store") == std::vector<std::string>{"FORMAT"});

  OpenOptions no_create;
  no_create.create = false;
  auto nf = Store::open(sc / "nothing", no_create);
  REQUIRE_FALSE(nf.ok());
  CHECK(nf.error().code == Code::not_found);
  CHECK_FALSE(exists(sc / "nothing"));
}

TEST_CASE("store: open removes what dead processes left in tmp/ (uncommitted blob, trash, tree debris)") {
  Scratch sc;
  auto a = make_aci(sc / "a.aci", simple("example.com/a", "1.0.0"));
  auto orphan = make_aci(sc / "o.aci", simple("example.com/o", "1.0.0"));
  std::string sd;
  {
    auto st = open_store(sc / "root");
    sd = st->store_dir();
    must(st->import_file(sc / "a.aci"));
  }
  std::string ohex = orphan.id.substr(7);
  // A commit killed between linking the blob and COMMIT.
  put_file(sd + "/tmp/commit-" + ohex, slurp(sc / "o.aci"));
  ::mkdir((sd + "/blobs/sha512/" + ohex.substr(0, 2)).c_str(), 0755);
  REQUIRE(::link((sd + "/tmp/commit-" + ohex).c_str(), (sd + "/blobs/sha512/" + ohex.substr(0, 2) + "/" + ohex).c_str()) == 0);
  // A commit killed after COMMIT: the marker of a stored image.
  put_file(sd + "/tmp/commit-" + a.id.substr(7), "x");
  // An import killed while copying, a rm killed while deleting, a renderer killed.
  put_file(sd + "/tmp/import-0123456789abcdef", "partial");
  put_file(sd + "/tmp/trash-0123456789abcdef/x/y", "old");
  std::string key(64, 'a');
  put_file(sd + "/tmp/tree-" + key + ".lock", "");
  put_file(sd + "/trees/." + key + ".staging-abcdef/rootfs/f", "half");
  put_file(sd + "/trees/" + key + "/rootfs/f", "renamed but not committed");
  // A live process's entry: locked, so it stays.
  put_file(sd + "/tmp/import-live", "in progress");
  UniqueFd live(::open((sd + "/tmp/import-live").c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(::flock(live.get(), LOCK_EX) == 0);

  auto st = open_store(sc / "root");
  CHECK(ls(sd + "/tmp") == std::vector<std::string>{"import-live"});
  CHECK(blobs(sd) == std::vector<std::string>{a.id.substr(7)});
  CHECK(ls(sd + "/trees").empty());
  CHECK(must(st->list()).size() == 1);
  require_clean(*st);
  live.reset();
  auto rep = must(st->check(false));
  REQUIRE(rep.problems.size() == 1);   // now unlocked: debris
  CHECK(rep.problems[0].find("import-live") != std::string::npos);
  auto g = must(st->gc(GcOptions{}));
  CHECK(g.debris_removed == 1);
  require_clean(*st);
}

TEST_CASE("store: gc and check find blobs and trees without rows outside tmp/") {
  Scratch sc;
  auto st = open_store(sc / "root");
  std::string sd = st->store_dir();
  put_file(sd + "/blobs/sha512/ab/ab" + std::string(126, '1'), "stray");
  put_file(sd + "/trees/" + std::string(64, 'b') + "/rootfs/x", "stray");
  auto rep = must(st->check(true));
  CHECK(rep.problems.size() == 2);
  auto g = must(st->gc(GcOptions{}));
  CHECK(g.debris_removed == 2);
  CHECK(blobs(sd).empty());
  require_clean(*st);
}

} // namespace
} // namespace appc::store::test
