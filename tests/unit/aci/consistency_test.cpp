// Validation and extraction must agree: read_image (`appc image validate`,
// and store import, which reads through the same validating reader) accepts
// an archive exactly when extract_image can extract it. One case per reason
// extraction refuses an entry the layout check alone would pass, each with a
// near miss both accept; then seeded random archives mixing directories,
// files, symlinks (relative, absolute, "..") and hardlinks on colliding
// paths, where any disagreement fails the test with the archive's listing.
// Extraction-safety findings have no spec item (they are Linux's rules and
// libappc's, not the spec's), except owners (spec 41).
#include "aci_test_util.hpp"

#include "aci/archive_stream.hpp"

#include <doctest/doctest.h>

#include <random>

using namespace appc;
using namespace appc::aci;
using namespace appc::aci::test;

namespace {

struct Verdict {
  bool valid = false, extracted = false;
  std::string validate_msg, extract_msg;
};

Verdict verdicts(const std::string &aci, const std::string &out) {
  Verdict v;
  auto r = read_image(aci);
  v.valid = r.ok();
  if (!r.ok()) v.validate_msg = dump(r.error());
  auto x = extract_image(aci, out);
  v.extracted = x.ok();
  if (!x.ok()) v.extract_msg = dump(x.error());
  if (x.ok()) REQUIRE(remove_tree(out).ok());
  REQUIRE_FALSE(exists(out));
  return v;
}

// Both refuse; validation's finding names `entry` and says `text`, and
// extraction's message says it too.
void both_refuse(Scratch &s, const TarBuilder &b, const std::string &entry, const std::string &text,
                 const std::string &extract_text = "") {
  std::string aci = s / "t.aci";
  b.write(aci);
  Verdict v = verdicts(aci, s / "out");
  INFO("validate: " << v.validate_msg);
  INFO("extract: " << v.extract_msg);
  CHECK_FALSE(v.valid);
  CHECK_FALSE(v.extracted);
  auto r = read_image(aci);
  REQUIRE_FALSE(r.ok());
  CHECK_MESSAGE(find_diag(r.error(), entry, text) != nullptr, "no finding for " << entry << ": " << text);
  CHECK(v.extract_msg.find(entry + ": ") != std::string::npos);
  CHECK(v.extract_msg.find(extract_text.empty() ? text : extract_text) != std::string::npos);
}

void both_accept(Scratch &s, const TarBuilder &b) {
  std::string aci = s / "t.aci";
  b.write(aci);
  Verdict v = verdicts(aci, s / "out");
  INFO("validate: " << v.validate_msg);
  INFO("extract: " << v.extract_msg);
  CHECK(v.valid);
  CHECK(v.extracted);
}

} // namespace

TEST_CASE("consistency: a parent through an absolute symlink (validate, extract refuse; inside is fine)") {
  Scratch s;
  both_refuse(s, TarBuilder().aci_base().symlink("rootfs/a", "/etc").file("rootfs/a/b", "x"), "rootfs/a/b",
              "parent goes through a symlink that leads outside the target (rootfs/a -> /etc: absolute)",
              "parent goes through a symlink that leads outside the target");
  // Near miss: the same symlink, nothing written through it.
  both_accept(s, TarBuilder().aci_base().symlink("rootfs/a", "/etc").file("rootfs/b", "x"));
}

TEST_CASE("consistency: a parent through \"..\" climbing out of rootfs/") {
  Scratch s;
  both_refuse(s, TarBuilder().aci_base().dir("rootfs/d").symlink("rootfs/d/up", "../..").file("rootfs/d/up/x", "x"),
              "rootfs/d/up/x", "(rootfs/d/up -> ../.. climbs out of rootfs/)",
              "parent goes through a symlink that leads outside the target");
  // Near miss: "../.." from two levels down stays inside; so does lib -> usr/lib.
  both_accept(s, TarBuilder().aci_base().dir("rootfs/d").dir("rootfs/d/e").symlink("rootfs/d/e/up", "../..")
                     .file("rootfs/d/e/up/x", "x"));
  both_accept(s, TarBuilder().aci_base().dir("rootfs/usr").dir("rootfs/usr/lib").symlink("rootfs/lib", "usr/lib")
                     .file("rootfs/lib/x", "x").dir("rootfs/lib/sub").symlink("rootfs/lib/sub/s", "../../../etc"));
}

TEST_CASE("consistency: \"..\" is physical: after a symlink it climbs from where the symlink led") {
  Scratch s;
  // rootfs/l -> d/e; rootfs/l/../x is rootfs/d/x (the kernel's way), not rootfs/x.
  both_accept(s, TarBuilder().aci_base().dir("rootfs/d").dir("rootfs/d/e").symlink("rootfs/l", "d/e")
                     .symlink("rootfs/up", "l/..").file("rootfs/up/x", "x"));
  both_refuse(s, TarBuilder().aci_base().dir("rootfs/d").symlink("rootfs/l", "d").symlink("rootfs/up", "l/../..")
                     .file("rootfs/up/x", "x"),
              "rootfs/up/x", "climbs out of rootfs/", "parent goes through a symlink that leads outside the target");
}

TEST_CASE("consistency: symlink loops and more than 40 symlinks in one lookup") {
  Scratch s;
  both_refuse(s, TarBuilder().aci_base().symlink("rootfs/a", "b").symlink("rootfs/b", "a").file("rootfs/a/x", "x"),
              "rootfs/a/x", "parent goes through a symlink loop");
  auto chain = [](int n) {
    TarBuilder b;
    b.aci_base().dir("rootfs/d");
    for (int i = 0; i < n; ++i)
      b.symlink("rootfs/l" + std::to_string(i), i + 1 < n ? "l" + std::to_string(i + 1) : "d");
    b.file("rootfs/l0/x", "x");
    return b;
  };
  both_accept(s, chain(40));   // the kernel follows 40
  both_refuse(s, chain(41), "rootfs/l0/x", "parent goes through a symlink loop");
}

TEST_CASE("consistency: a parent that is a file, or a symlink to nothing") {
  Scratch s;
  both_refuse(s, TarBuilder().aci_base().file("rootfs/f", "x").symlink("rootfs/a", "./f").file("rootfs/a/x", "x"),
              "rootfs/a/x", "a parent is not a directory");
  both_refuse(s, TarBuilder().aci_base().symlink("rootfs/a", "b/c").file("rootfs/a/x", "x"), "rootfs/a/x",
              "the parent a is a symlink to something that does not exist");
  // Near miss: the symlink's target arrives before the entry written through it.
  both_accept(s, TarBuilder().aci_base().symlink("rootfs/a", "b/c").dir("rootfs/b").dir("rootfs/b/c")
                     .file("rootfs/a/x", "x"));
  // Missing parents named in the entry are created; below a symlink too.
  both_accept(s, TarBuilder().aci_base().dir("rootfs/b").symlink("rootfs/a", "b").file("rootfs/a/m/n/x", "x"));
}

TEST_CASE("consistency: replacing a directory through an alias; replacing anything else is fine") {
  Scratch s;
  both_refuse(s, TarBuilder().aci_base().dir("rootfs/d").symlink("rootfs/al", ".").symlink("rootfs/al/d", "x"),
              "rootfs/al/d", "refusing to replace a directory with a symlink");
  both_refuse(s, TarBuilder().aci_base().dir("rootfs/d").symlink("rootfs/al", ".").file("rootfs/f", "f")
                     .hardlink("rootfs/al/d", "rootfs/f"),
              "rootfs/al/d", "refusing to replace a directory with a hardlink");
  both_accept(s, TarBuilder().aci_base().file("rootfs/d", "x").symlink("rootfs/al", ".").dir("rootfs/al/d")
                     .file("rootfs/d/x", "x"));
}

TEST_CASE("consistency: hardlinks whose target moved away, became a directory, or is the entry itself") {
  Scratch s;
  // rootfs/l/f is written into rootfs/d; then rootfs/l is replaced (through an alias) by a file.
  both_refuse(s, TarBuilder().aci_base().dir("rootfs/d").symlink("rootfs/l", "d").file("rootfs/l/f", "x")
                     .symlink("rootfs/al", ".").file("rootfs/al/l", "y").hardlink("rootfs/h", "rootfs/l/f"),
              "rootfs/h", "hardlink target \"rootfs/l/f\"");
  // ... or by a symlink to an empty directory: the target is no longer there.
  both_refuse(s, TarBuilder().aci_base().dir("rootfs/d").dir("rootfs/e").symlink("rootfs/l", "d")
                     .file("rootfs/l/f", "x").symlink("rootfs/al", ".").symlink("rootfs/al/l", "e")
                     .hardlink("rootfs/h", "rootfs/l/f"),
              "rootfs/h", "hardlink target \"rootfs/l/f\" is no longer there");
  // A file replaced by a directory (through an alias), then linked to.
  both_refuse(s, TarBuilder().aci_base().file("rootfs/f", "x").symlink("rootfs/al", ".").dir("rootfs/al/f")
                     .hardlink("rootfs/h", "rootfs/f"),
              "rootfs/h", "hardlink target \"rootfs/f\" is now a directory");
  both_refuse(s, TarBuilder().aci_base().file("rootfs/f", "x").symlink("rootfs/al", ".")
                     .hardlink("rootfs/al/f", "rootfs/f"),
              "rootfs/al/f", "hardlink target \"rootfs/f\" is this entry itself");
  // Near miss: a second name for a file replaced through an alias is fine.
  both_accept(s, TarBuilder().aci_base().file("rootfs/f", "x").hardlink("rootfs/g", "rootfs/f")
                     .symlink("rootfs/al", ".").hardlink("rootfs/al/g", "rootfs/f"));
}

TEST_CASE("consistency: Linux's length limits: components over 255 bytes, paths over 4095, long symlink targets") {
  Scratch s;
  std::string c255(255, 'n'), c256(256, 'n');
  both_accept(s, TarBuilder().aci_base().file("rootfs/" + c255, "x"));
  both_refuse(s, TarBuilder().aci_base().file("rootfs/" + c256, "x"), "rootfs/" + c256, "(NAME_MAX)");
  std::string deep;   // 16 components of 255 bytes: 4095 bytes with the slashes
  for (int i = 0; i < 16; ++i) deep += (deep.empty() ? "" : "/") + std::string(255, char('a' + i));
  REQUIRE(deep.size() == 4095);
  both_accept(s, TarBuilder().aci_base().file("rootfs/" + deep + "/x", "x"));
  // A directory whose own path is over the limit: its parent's is not.
  both_accept(s, TarBuilder().aci_base().dir("rootfs/" + deep + "/x", 0700));
  both_refuse(s, TarBuilder().aci_base().file("rootfs/" + deep + "b/x", "x"), "rootfs/" + deep + "b/x", "(PATH_MAX)");
  both_accept(s, TarBuilder().aci_base().symlink("rootfs/l", std::string(4095, 'x')));
  both_refuse(s, TarBuilder().aci_base().symlink("rootfs/l", std::string(4096, 'x')), "rootfs/l", "(PATH_MAX)");
}

TEST_CASE("consistency: an empty symlink target") {
  Scratch s;
  TarBuilder::Spec e;
  e.name = "rootfs/l";
  e.type = AE_IFLNK;
  e.mode = 0777;
  both_refuse(s, TarBuilder().aci_base().add(e), "rootfs/l", "a symlink with an empty or unreadable target");
}

TEST_CASE("spec 41: consistency: an owner that cannot be preserved is refused by validation too") {
  Scratch s;
  TarBuilder::Spec f;
  f.name = "rootfs/f";
  f.data = "x";
  f.uid = int64_t(1) << 32;
  std::string aci = s / "t.aci";
  TarBuilder().aci_base().add(f).write(aci);
  auto r = read_image(aci);
  REQUIRE_FALSE(r.ok());
  CHECK(find_diag(r.error(), "rootfs/f", "owner 4294967296:0 is out of range") != nullptr);
  CHECK(r.error().diagnostics[0].rule == 41);
  // Extraction refuses whoever runs it (it preserves owners by default).
  auto x = extract_image(aci, s / "out");
  REQUIRE_FALSE(x.ok());
  CHECK(x.error().message.find("rootfs/f: owner 4294967296:0 is out of range") != std::string::npos);
  f.uid = 4294967294;
  TarBuilder().aci_base().add(f).write(aci);
  if (::geteuid() == 0) both_accept(s, TarBuilder().aci_base().add(f));
  else CHECK(read_image(aci).ok());
}

TEST_CASE("consistency: a directory reached again after its path changed gets its own mode and times") {
  Scratch s;
  // rootfs/l/x is made in rootfs/d; then rootfs/l becomes a symlink to rootfs/e
  // (through an alias): at the end "l/x" is rootfs/e/x, a different directory.
  std::string aci = s / "t.aci";
  TarBuilder().aci_base().dir("rootfs/d").dir("rootfs/e").dir("rootfs/e/x", 0751).symlink("rootfs/l", "d")
      .dir("rootfs/l/x", 0700).symlink("rootfs/al", ".").symlink("rootfs/al/l", "e").write(aci);
  REQUIRE(read_image(aci).ok());
  auto x = extract_image(aci, s / "out");
  REQUIRE_MESSAGE(x.ok(), dump(x.error()));
  CHECK((lstat_of(s / "out/rootfs/d/x").st_mode & 07777) == 0700);
  CHECK((lstat_of(s / "out/rootfs/e/x").st_mode & 07777) == 0751);
}

// ---------------------------------------------------------------- random archives

namespace {

// A random archive over a few names, so that paths collide, alias one
// another through symlinks and climb with "..": the listing, for messages.
std::string random_archive(std::mt19937_64 &rng, TarBuilder &b, size_t seed_size) {
  static const char *comps[] = {"a", "b", "c", "d"};
  static const char *targets[] = {".", "..", "../..", "a", "b", "a/b", "../a", "./c/d", "/", "/a", "/etc",
                                  "b/..", "d/../..", "c/c", "nowhere", "a/../b", "../../../x", "a/.", "../b/c",
                                  "c/../..", "d/", "b/a/..", "../c/.."};
  auto pick = [&](size_t n) { return size_t(rng() % n); };
  auto rand_path = [&] {
    std::string p = "rootfs";
    size_t depth = 1 + pick(3);
    for (size_t i = 0; i < depth; ++i) p += std::string("/") + comps[pick(4)];
    return p;
  };
  std::string listing;
  std::vector<std::string> used, nondirs;
  b.aci_base();
  size_t n = 3 + pick(5 + seed_size);
  for (size_t i = 0; i < n; ++i) {
    std::string p = rand_path();
    if (std::find(used.begin(), used.end(), p) != used.end()) continue;   // duplicates: a layout matter
    used.push_back(p);
    switch (pick(5)) {
    case 0:
    case 1:
      b.dir(p);
      listing += p + "/\n";
      break;
    case 2:
      b.file(p, "x");
      nondirs.push_back(p);
      listing += p + "\n";
      break;
    case 3: {
      std::string t = targets[pick(sizeof targets / sizeof *targets)];
      b.symlink(p, t);
      nondirs.push_back(p);
      listing += p + " -> " + t + "\n";
      break;
    }
    default: {
      std::string t = nondirs.empty() || pick(8) == 0 ? rand_path() : nondirs[pick(nondirs.size())];
      b.hardlink(p, t);
      nondirs.push_back(p);
      listing += p + " => " + t + "\n";
      break;
    }
    }
  }
  return listing;
}

} // namespace

TEST_CASE("consistency: validate ok <=> extract ok, on 1000 seeded random archives") {
  Scratch s;
  std::string aci = s / "t.aci";
  int valid = 0, refused = 0;
  for (uint64_t seed = 1; seed <= 1000; ++seed) {
    std::mt19937_64 rng(seed);
    TarBuilder b;
    std::string listing = random_archive(rng, b, seed % 4 == 0 ? 25 : 10);
    b.write(aci);
    Verdict v = verdicts(aci, s / "out");
    (v.valid ? valid : refused)++;
    if (v.valid != v.extracted) {
      FAIL_CHECK("seed " << seed << ": validate " << (v.valid ? "accepts" : "refuses") << ", extract "
                         << (v.extracted ? "accepts" : "refuses") << "\n" << listing << "validate: "
                         << v.validate_msg << "\nextract: " << v.extract_msg);
    }
  }
  // Both outcomes occur, or the generator tests nothing.
  CHECK(valid > 50);
  CHECK(refused > 50);
}
