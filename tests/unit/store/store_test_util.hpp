// Helpers for the store tests: scratch roots under /dev/shm (removed even when
// a test fails), small ACIs built with aci::build_image, directory listings.
#pragma once

#include "aci/aci.hpp"
#include "store/store.hpp"
#include "util/fs.hpp"

#include <doctest/doctest.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace appc::store::test {

class Scratch {
public:
  Scratch() {
    char tmpl[] = "/dev/shm/appc-store-test-XXXXXX";
    char *p = ::mkdtemp(tmpl);
    REQUIRE_MESSAGE(p != nullptr, "mkdtemp under /dev/shm failed");
    path_ = p;
  }
  ~Scratch() { (void)remove_tree(path_); }
  Scratch(const Scratch &) = delete;
  Scratch &operator=(const Scratch &) = delete;
  const std::string &path() const { return path_; }
  std::string operator/(const std::string &rel) const { return path_ + "/" + rel; }

private:
  std::string path_;
};

inline void put_file(const std::string &path, const std::string &data, mode_t mode = 0644) {
  std::string parent = path.substr(0, path.rfind('/'));
  std::string cmd;
  for (size_t i = 1; i <= parent.size(); ++i)
    if (i == parent.size() || parent[i] == '/') ::mkdir(parent.substr(0, i).c_str(), 0755);
  FILE *f = std::fopen(path.c_str(), "wb");
  REQUIRE_MESSAGE(f != nullptr, "cannot create " << path);
  REQUIRE(std::fwrite(data.data(), 1, data.size(), f) == data.size());
  std::fclose(f);
  ::chmod(path.c_str(), mode);
}

inline std::string slurp(const std::string &path) {
  auto r = read_file(path, 1u << 30);
  REQUIRE_MESSAGE(r.ok(), (r ? std::string() : r.error().message));
  return *r;
}

inline bool exists(const std::string &path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

inline std::vector<std::string> ls(const std::string &dir) {
  std::vector<std::string> out;
  DIR *d = ::opendir(dir.c_str());
  if (!d) return out;
  while (struct dirent *de = ::readdir(d))
    if (std::strcmp(de->d_name, ".") && std::strcmp(de->d_name, "..")) out.emplace_back(de->d_name);
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// Every blob file of a store.
inline std::vector<std::string> blobs(const std::string &store_dir) {
  std::vector<std::string> out;
  for (const auto &sub : ls(store_dir + "/blobs/sha512"))
    for (const auto &b : ls(store_dir + "/blobs/sha512/" + sub)) out.push_back(b);
  return out;
}

struct AciSpec {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  std::string deps_json;                         // the "dependencies" array, "" for none
  std::map<std::string, std::string> files;      // rootfs-relative path -> content
  std::vector<std::pair<std::string, std::string>> copies;   // rootfs-relative path <- host file
  aci::Compression compression = aci::Compression::none;
};

inline std::string manifest_json(const AciSpec &s) {
  std::string m = R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":")" + s.name + "\"";
  if (!s.labels.empty()) {
    m += ",\"labels\":[";
    for (size_t i = 0; i < s.labels.size(); ++i)
      m += std::string(i ? "," : "") + "{\"name\":\"" + s.labels[i].first + "\",\"value\":\"" + s.labels[i].second + "\"}";
    m += "]";
  }
  if (!s.deps_json.empty()) m += ",\"dependencies\":" + s.deps_json;
  return m + "}";
}

// Builds an ACI at `out` from `s` (a build directory beside it is removed afterwards).
inline aci::ImageInfo make_aci(const std::string &out, const AciSpec &s) {
  std::string dir = out + ".d";
  (void)remove_tree(dir);
  put_file(dir + "/manifest", manifest_json(s));
  ::mkdir((dir + "/rootfs").c_str(), 0755);
  for (const auto &[rel, data] : s.files) put_file(dir + "/rootfs/" + rel, data);
  for (const auto &[rel, host] : s.copies) put_file(dir + "/rootfs/" + rel, slurp(host), 0755);
  aci::BuildOptions bo;
  bo.compression = s.compression;
  bo.owner_root = true;
  bo.mtime = 1500000000;
  bo.overwrite = true;
  auto r = aci::build_image(dir, out, bo);
  REQUIRE_MESSAGE(r.ok(), (r ? std::string() : r.error().message));
  (void)remove_tree(dir);
  return *r;
}

inline std::unique_ptr<Store> open_store(const std::string &root, OpenOptions o = {}) {
  o.durable = false;   // tmpfs: fsync is a no-op anyway; keep the tests quick
  auto s = Store::open(root, o);
  REQUIRE_MESSAGE(s.ok(), (s ? std::string() : s.error().message));
  return std::move(s).value();
}

inline void require_clean(Store &s, bool verify = true) {
  auto rep = s.check(verify);
  REQUIRE_MESSAGE(rep.ok(), (rep ? std::string() : rep.error().message));
  std::string all;
  for (const auto &p : rep->problems) all += p + "\n";
  CHECK_MESSAGE(rep->problems.empty(), all);
}

#define REQUIRE_OK(expr)                                                                             \
  do {                                                                                               \
    auto _r = (expr);                                                                                \
    REQUIRE_MESSAGE(_r.ok(), #expr << ": " << (_r ? std::string() : _r.error().message));            \
  } while (0)

template <class T> T must(Result<T> r) {
  REQUIRE_MESSAGE(r.ok(), (r ? std::string() : r.error().message));
  return std::move(r).value();
}

} // namespace appc::store::test
