// Users, groups and executables inside an app's rootfs (spec 12, 13). Never
// the host's user database: the image's own /etc/passwd and /etc/group,
// read with every symlink resolved inside the rootfs.
#include "executor/detail.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace appc::executor::detail {

namespace {

Result<UniqueFd> open_in_root(const std::string &rootfs, const std::string &abs_path, int flags) {
  UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return Error::from_errno(errno, "open rootfs " + rootfs);
  size_t skip = abs_path.find_first_not_of('/');
  std::string rel = skip == std::string::npos ? std::string(".") : abs_path.substr(skip);
  struct open_how how;
  std::memset(&how, 0, sizeof how);
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd = static_cast<int>(::syscall(SYS_openat2, root.get(), rel.c_str(), &how, sizeof how));
  if (fd < 0) return Error::from_errno(errno, abs_path);
  return UniqueFd(fd);
}

bool all_digits(const std::string &s) {
  if (s.empty() || s.size() > 10) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return std::stoull(s) <= 0xffffffffull;
}

// The numeric field `field` (2 = uid in passwd, gid in group) of the entry named `name`.
std::optional<uint32_t> lookup(const std::string &db, const std::string &name, int field) {
  size_t pos = 0;
  while (pos < db.size()) {
    size_t nl = db.find('\n', pos);
    if (nl == std::string::npos) nl = db.size();
    std::string line = db.substr(pos, nl - pos);
    pos = nl + 1;
    std::vector<std::string> f;
    size_t s = 0;
    for (;;) {
      size_t c = line.find(':', s);
      f.push_back(line.substr(s, c == std::string::npos ? std::string::npos : c - s));
      if (c == std::string::npos) break;
      s = c + 1;
    }
    if (f.size() > static_cast<size_t>(field) && f[0] == name && all_digits(f[static_cast<size_t>(field)]))
      return static_cast<uint32_t>(std::stoul(f[static_cast<size_t>(field)]));
  }
  return std::nullopt;
}

Result<uint32_t> resolve_id(const std::string &rootfs, const std::string &value, const char *db_path,
                            const char *what) {
  if (value.empty()) return Error::make(Code::invalid, std::string("app ") + what + " is empty (spec 13)");
  auto db = read_in_root(rootfs, db_path, 16u << 20);
  if (db) {
    if (auto id = lookup(*db, value, 2)) return *id;
  } else if (db.error().code != Code::not_found) {
    return std::move(db).error();
  }
  if (all_digits(value)) return static_cast<uint32_t>(std::stoul(value));
  if (value.front() == '/') {
    auto fd = open_in_root(rootfs, value, O_PATH);
    if (!fd)
      return Error::make(Code::not_found, std::string(what) + " \"" + value +
                                              "\": no such path in the image to take the owner of (spec 13)");
    struct stat st;
    if (::fstat(fd->get(), &st) < 0) return Error::from_errno(errno, value);
    return static_cast<uint32_t>(std::strcmp(what, "user") == 0 ? st.st_uid : st.st_gid);
  }
  return Error::make(Code::not_found, std::string(what) + " \"" + value + "\" is not in the image's " + db_path +
                                          " and is neither a number nor a path (spec 13)");
}

bool executable_in_root(const std::string &rootfs, const std::string &path) {
  auto fd = open_in_root(rootfs, path, O_PATH);
  if (!fd) return false;
  struct stat st;
  return ::fstat(fd->get(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
}

} // namespace

Result<std::string> read_in_root(const std::string &rootfs, const std::string &abs_path, size_t max) {
  auto fd = open_in_root(rootfs, abs_path, O_RDONLY);
  if (!fd) {
    if (fd.error().sys_errno == ENOENT) return Error::make(Code::not_found, abs_path + " not found in the image");
    return std::move(fd).error();
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t r = ::read(fd->get(), buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Error::from_errno(errno, "read " + abs_path);
    if (r == 0) break;
    out.append(buf, static_cast<size_t>(r));
    if (out.size() > max) return Error::make(Code::limit, abs_path + " is too large");
  }
  return out;
}

Result<uint32_t> resolve_user(const std::string &rootfs, const std::string &user) {
  return resolve_id(rootfs, user, "/etc/passwd", "user");
}

Result<uint32_t> resolve_group(const std::string &rootfs, const std::string &group) {
  return resolve_id(rootfs, group, "/etc/group", "group");
}

bool dir_in_root(const std::string &rootfs, const std::string &abs_path) {
  auto fd = open_in_root(rootfs, abs_path, O_PATH | O_DIRECTORY);
  return fd.ok();
}

Result<std::string> resolve_exec(const std::string &rootfs, const std::string &name, const std::string &path_env,
                                 const std::string &cwd) {
  if (name.empty()) return Error::make(Code::invalid, "exec[0] is empty (spec 12)");
  if (name.front() == '/') return name;
  if (name.find('/') != std::string::npos) {
    // execvp(3): relative to the working directory.
    std::string out = cwd.empty() ? std::string("/") : cwd;
    if (out.back() != '/') out.push_back('/');
    out.append(name);
    return out;
  }
  // A bare name: PATH (execvp uses confstr(_CS_PATH) when PATH is unset; an
  // app always has PATH here, spec 86).
  size_t s = 0;
  for (;;) {
    size_t c = path_env.find(':', s);
    std::string dir = path_env.substr(s, c == std::string::npos ? std::string::npos : c - s);
    if (dir.empty()) dir = cwd.empty() ? "/" : cwd;
    if (dir.front() == '/') {
      std::string cand = dir;
      if (cand.back() != '/') cand.push_back('/');
      cand.append(name);
      if (executable_in_root(rootfs, cand)) return cand;
    }
    if (c == std::string::npos) break;
    s = c + 1;
  }
  return Error::make(Code::not_found,
                     "exec \"" + name + "\" not found in PATH=" + path_env + " inside the image (spec 12)");
}

} // namespace appc::executor::detail
