// Helpers for the ACI tests: scratch directories under /dev/shm, archives
// built in the test with libarchive's writer, the command-line compressors,
// and the reference toolkit.
#pragma once

#include "aci/aci.hpp"
#include "util/fs.hpp"

#include <doctest/doctest.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace appc::aci::test {

// A fresh directory under /dev/shm (tmpfs: fast to create and delete), removed
// with everything in it when the test ends, passed or failed.
class Scratch {
public:
  Scratch() {
    char tmpl[] = "/dev/shm/appc-aci-test-XXXXXX";
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

inline std::string quote(const std::string &s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q += "'\\''";
    else q += c;
  }
  return q + "'";
}

// Runs a shell command; its stdout. *status gets the exit status.
inline std::string sh(const std::string &cmd, int *status = nullptr) {
  std::string out;
  FILE *f = ::popen(cmd.c_str(), "r");
  REQUIRE_MESSAGE(f != nullptr, "popen failed: " << cmd);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  int st = ::pclose(f);
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
  if (status) *status = code;
  else REQUIRE_MESSAGE(code == 0, "command failed (" << code << "): " << cmd);
  return out;
}

inline bool have_tool(const std::string &tool) {
  int st = 0;
  sh("command -v " + tool + " >/dev/null 2>&1", &st);
  return st == 0;
}

inline void write_file(const std::string &path, const std::string &data) {
  FILE *f = std::fopen(path.c_str(), "wb");
  REQUIRE_MESSAGE(f != nullptr, "cannot create " << path);
  REQUIRE(std::fwrite(data.data(), 1, data.size(), f) == data.size());
  std::fclose(f);
}

inline std::string slurp(const std::string &path) {
  auto r = read_file(path, size_t(1) << 31);
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  return *r;
}

inline bool exists(const std::string &path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

inline struct stat lstat_of(const std::string &path) {
  struct stat st;
  REQUIRE_MESSAGE(::lstat(path.c_str(), &st) == 0, "lstat " << path << ": " << std::strerror(errno));
  return st;
}

// Every path below `dir` (relative, sorted), without following symlinks.
inline std::vector<std::string> list_tree(const std::string &dir) {
  std::vector<std::string> out;
  std::function<void(const std::string &)> walk = [&](const std::string &rel) {
    std::string full = rel.empty() ? dir : dir + "/" + rel;
    DIR *d = ::opendir(full.c_str());
    if (!d) return;
    while (struct dirent *de = ::readdir(d)) {
      std::string n = de->d_name;
      if (n == "." || n == "..") continue;
      std::string r = rel.empty() ? n : rel + "/" + n;
      out.push_back(r);
      struct stat st;
      if (::lstat((dir + "/" + r).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) walk(r);
    }
    ::closedir(d);
  };
  walk("");
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string join(const std::vector<std::string> &v) {
  std::string s;
  for (const auto &x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

inline const char *kManifest = R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/test"})";

// Builds a tar stream in memory with libarchive's writer (pax format by
// default). Names are written exactly as given: hostile ones included.
class TarBuilder {
public:
  explicit TarBuilder(int format = ARCHIVE_FORMAT_TAR_PAX_RESTRICTED) : format_(format) {}

  struct Spec {
    std::string name;
    unsigned type = AE_IFREG;
    unsigned mode = 0644;
    std::string data;
    std::string link;        // symlink target
    std::string hardlink;    // hardlink target
    int64_t uid = 0, gid = 0;
    int64_t mtime = 1000000000;
    long mtime_nsec = 0;
    unsigned rdev_major = 0, rdev_minor = 0;
    std::vector<std::pair<std::string, std::string>> xattrs;
    std::vector<std::pair<int64_t, int64_t>> sparse;   // data regions (offset, length)
    int64_t size = -1;       // -1: data.size()
  };

  TarBuilder &add(Spec s) {
    specs_.push_back(std::move(s));
    return *this;
  }
  TarBuilder &file(const std::string &name, const std::string &data, unsigned mode = 0644) {
    Spec s;
    s.name = name;
    s.data = data;
    s.mode = mode;
    return add(std::move(s));
  }
  TarBuilder &dir(const std::string &name, unsigned mode = 0755) {
    Spec s;
    s.name = name;
    s.type = AE_IFDIR;
    s.mode = mode;
    return add(std::move(s));
  }
  TarBuilder &symlink(const std::string &name, const std::string &target) {
    Spec s;
    s.name = name;
    s.type = AE_IFLNK;
    s.mode = 0777;
    s.link = target;
    return add(std::move(s));
  }
  TarBuilder &hardlink(const std::string &name, const std::string &target) {
    Spec s;
    s.name = name;
    s.hardlink = target;
    return add(std::move(s));
  }
  // manifest + rootfs/: the smallest valid ACI, to which a test adds entries.
  TarBuilder &aci_base(const std::string &manifest = kManifest) {
    file("manifest", manifest);
    return dir("rootfs");
  }

  std::string bytes() const {
    std::string out;
    struct archive *a = archive_write_new();
    REQUIRE(a != nullptr);
    archive_write_set_format(a, format_);
    archive_write_set_bytes_in_last_block(a, 1);   // no padding beyond the two end blocks
    REQUIRE(archive_write_open(a, &out, nullptr, &TarBuilder::write_cb, nullptr) == ARCHIVE_OK);
    for (const Spec &s : specs_) {
      struct archive_entry *e = archive_entry_new();
      archive_entry_copy_pathname(e, s.name.c_str());
      if (!s.hardlink.empty()) {
        archive_entry_copy_hardlink(e, s.hardlink.c_str());
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, 0);
      } else {
        archive_entry_set_filetype(e, s.type);
        int64_t size = s.size >= 0 ? s.size : int64_t(s.data.size());
        archive_entry_set_size(e, s.type == AE_IFREG ? size : 0);
      }
      archive_entry_set_perm(e, s.mode);
      archive_entry_set_uid(e, s.uid);
      archive_entry_set_gid(e, s.gid);
      archive_entry_set_mtime(e, s.mtime, s.mtime_nsec);
      if (!s.link.empty()) archive_entry_copy_symlink(e, s.link.c_str());
      if (s.type == AE_IFCHR || s.type == AE_IFBLK) {
        archive_entry_set_rdevmajor(e, s.rdev_major);
        archive_entry_set_rdevminor(e, s.rdev_minor);
      }
      for (const auto &[k, v] : s.xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
      for (const auto &[off, len] : s.sparse) archive_entry_sparse_add_entry(e, off, len);
      int r = archive_write_header(a, e);
      REQUIRE_MESSAGE(r >= ARCHIVE_WARN, "write header " << s.name << ": " << archive_error_string(a));
      if (!s.data.empty() && s.hardlink.empty() && s.type == AE_IFREG)
        REQUIRE(archive_write_data(a, s.data.data(), s.data.size()) >= 0);
      archive_entry_free(e);
    }
    REQUIRE(archive_write_close(a) == ARCHIVE_OK);
    archive_write_free(a);
    return out;
  }

  void write(const std::string &path) const { write_file(path, bytes()); }

private:
  static la_ssize_t write_cb(struct archive *, void *p, const void *buf, size_t n) {
    static_cast<std::string *>(p)->append(static_cast<const char *>(buf), n);
    return la_ssize_t(n);
  }
  int format_;
  std::vector<Spec> specs_;
};

inline const char *tool_of(Compression c) {
  switch (c) {
  case Compression::gzip: return "gzip";
  case Compression::bzip2: return "bzip2";
  case Compression::xz: return "xz";
  case Compression::zstd: return "zstd";
  case Compression::none: break;
  }
  return "cat";
}

// Compresses `tar` with the command-line tool into tar + "." + tool; the path.
inline std::string compress_cli(const std::string &tar, Compression c) {
  if (c == Compression::none) return tar;
  std::string out = tar + "." + tool_of(c);
  // Fast levels: the tests need the formats, not the ratios.
  const char *level = c == Compression::xz ? "-0 " : c == Compression::zstd ? "-1 -q " : "-1 ";
  sh(std::string(tool_of(c)) + " -c " + level + quote(tar) + " > " + quote(out));
  return out;
}

// "sha512-" + sha512sum of what the command-line tool decompresses.
inline std::string id_cli(const std::string &file, Compression c) {
  std::string cmd = c == Compression::none ? "cat " + quote(file)
                                           : std::string(tool_of(c)) + " -dc " + quote(file);
  std::string out = sh(cmd + " | sha512sum");
  return "sha512-" + out.substr(0, 128);
}

// The reference toolkit: $APPC_REFKIT first, then /tmp/refkit; "" when neither exists.
inline std::string refkit_dir() {
  const char *env = std::getenv("APPC_REFKIT");
  if (env && *env && exists(std::string(env) + "/bin/actool")) return env;
  if (exists("/tmp/refkit/bin/actool")) return "/tmp/refkit";
  return "";
}
inline bool no_refkit() { return refkit_dir().empty(); }

inline const Diagnostic *find_diag(const Error &e, std::string_view path, std::string_view text) {
  for (const auto &d : e.diagnostics)
    if (d.path == path && d.message.find(text) != std::string::npos) return &d;
  return nullptr;
}

inline std::string dump(const Error &e) {
  std::string s = std::string(code_name(e.code)) + ": " + e.message;
  for (const auto &d : e.diagnostics) s += "\n  " + d.format();
  return s;
}

} // namespace appc::aci::test
