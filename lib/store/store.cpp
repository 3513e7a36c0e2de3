// The image store: opening (FORMAT, index schema, recovery), imports, lookup,
// listing, export and references. Trees are in tree.cpp, rm/gc/check and
// recovery in maintenance.cpp; store_impl.hpp describes the locks.
#include "store/store_impl.hpp"

#include "spec/identifiers_detail.hpp"
#include "spec/manifest.hpp"
#include "util/hash.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <thread>

namespace appc::store {

// ---------------------------------------------------------------- helpers

int64_t now_ns() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string random_hex(size_t bytes) {
  unsigned char buf[32];
  bytes = std::min(bytes, sizeof buf);
  size_t got = 0;
  while (got < bytes) {
    ssize_t r = ::getrandom(buf + got, bytes - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      // Never expected; a time- and pid-based name still works with O_EXCL.
      uint64_t v = uint64_t(now_ns()) ^ (uint64_t(::getpid()) << 32);
      for (; got < bytes; ++got, v = v * 6364136223846793005ull + 1442695040888963407ull)
        buf[got] = static_cast<unsigned char>(v >> 56);
      break;
    }
    got += size_t(r);
  }
  static const char hexd[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < bytes; ++i) {
    s += hexd[buf[i] >> 4];
    s += hexd[buf[i] & 15];
  }
  return s;
}

bool is_hex(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_full_image_id(std::string_view s) noexcept {
  return s.size() == 7 + 128 && s.substr(0, 7) == "sha512-" && is_hex(s.substr(7));
}

namespace {

bool write_all(int fd, const void *data, size_t n) {
  const char *p = static_cast<const char *>(data);
  while (n) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= size_t(w);
  }
  return true;
}

bool same_inode(int fd, int dirfd, const std::string &name) {
  struct stat a, b;
  if (::fstat(fd, &a) < 0 || ::fstatat(dirfd, name.c_str(), &b, AT_SYMLINK_NOFOLLOW) < 0) return false;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

Status mkdir_p(const std::string &path) {
  if (path.empty()) return {};
  if (::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return {};
  if (errno != ENOENT) return Error::from_errno(errno, "mkdir " + path);
  size_t slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) APPC_TRY_VOID(mkdir_p(path.substr(0, slash)));
  if (::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return {};
  return Error::from_errno(errno, "mkdir " + path);
}

std::string describe_labels(const spec::Labels &labels) {
  std::string s;
  for (const auto &l : labels) {
    if (!s.empty()) s += ",";
    s += l.name + "=" + l.value;
  }
  return s;
}

} // namespace

// ---------------------------------------------------------------- locks

Result<TmpEntry> TmpEntry::create(int tmpfd, const std::string &prefix, bool directory) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = prefix + random_hex(8);
    int fd = -1;
    if (directory) {
      if (::mkdirat(tmpfd, name.c_str(), 0700) < 0) {
        if (errno == EEXIST) continue;
        return Error::from_errno(errno, "creating tmp/" + name);
      }
      fd = ::openat(tmpfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    } else {
      fd = ::openat(tmpfd, name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0 && errno == EEXIST) continue;
    }
    if (fd < 0) {
      // Recovery in another process may have removed it already: try another name.
      if (errno == ENOENT) continue;
      return Error::from_errno(errno, "creating tmp/" + name);
    }
    UniqueFd guard(fd);
    // Never wait here: the only other process that can hold it is a recovery
    // that saw the entry a moment ago and will remove it.
    if (::flock(fd, LOCK_EX | LOCK_NB) < 0) {
      if (errno == EWOULDBLOCK) continue;
      return Error::from_errno(errno, "locking tmp/" + name);
    }
    if (!same_inode(fd, tmpfd, name)) continue;
    TmpEntry e;
    e.tmpfd_ = tmpfd;
    e.name_ = std::move(name);
    e.dir_ = directory;
    e.fd_ = std::move(guard);
    return e;
  }
  return Error::make(Code::conflict, "could not create a temporary entry in the store's tmp/ directory");
}

void TmpEntry::discard() {
  if (!name_.empty() && fd_) {
    if (dir_) (void)remove_tree_at(tmpfd_, name_);
    else ::unlinkat(tmpfd_, name_.c_str(), 0);
  }
  name_.clear();
  fd_.reset();
}

UniqueFd try_lock_entry(int dirfd, const std::string &name) {
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd) return {};
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) < 0) return {};
  if (!same_inode(fd.get(), dirfd, name)) return {};
  return fd;
}

Result<UniqueFd> lock_named(int dirfd, const std::string &name) {
  for (;;) {
    UniqueFd fd(::openat(dirfd, name.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) return Error::from_errno(errno, "opening lock tmp/" + name);
    int rc;
    do rc = ::flock(fd.get(), LOCK_EX);
    while (rc < 0 && errno == EINTR);
    if (rc < 0) return Error::from_errno(errno, "locking tmp/" + name);
    if (same_inode(fd.get(), dirfd, name)) return fd;
  }
}

Status StoreLock::acquire() {
  if (held_) return {};
  if (impl_.lock_depth > 0) return Error::make(Code::internal, "the store lock is already held by this Store");
  int64_t deadline = now_ns() + int64_t(impl_.opts.busy_timeout_ms) * 1'000'000;
  int64_t sleep_us = 50;
  for (;;) {
    if (::flock(impl_.lockfd.get(), LOCK_EX | LOCK_NB) == 0) break;
    if (errno != EWOULDBLOCK && errno != EINTR) return Error::from_errno(errno, "locking " + impl_.dir + "/lock");
    if (now_ns() > deadline)
      return Error::make(Code::conflict, "timed out after " + std::to_string(impl_.opts.busy_timeout_ms) +
                                             " ms waiting for the store lock " + impl_.dir + "/lock");
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
    sleep_us = std::min<int64_t>(sleep_us * 2, 5000);
  }
  held_ = true;
  ++impl_.lock_depth;
  return {};
}

void StoreLock::release() {
  if (!held_) return;
  ::flock(impl_.lockfd.get(), LOCK_UN);
  held_ = false;
  --impl_.lock_depth;
}

// ---------------------------------------------------------------- SQLite

Result<bool> Stmt::step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return impl_->db_error_rc(rc, sqlite3_sql(s_));
}

Status Stmt::run() {
  for (;;) {
    bool row = APPC_TRY(step());
    if (!row) return {};
  }
}

Store::Impl::~Impl() {
  for (auto &[sql, s] : stmts) sqlite3_finalize(s);
  if (db) sqlite3_close(db);
}

Error Store::Impl::db_error_rc(int rc, std::string_view what) const {
  Code c = Code::generic;
  int prim = rc & 0xff;
  if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED) c = Code::conflict;
  else if (prim == SQLITE_NOMEM) c = Code::nomem;
  else if (prim == SQLITE_FULL || prim == SQLITE_IOERR || prim == SQLITE_CANTOPEN) c = Code::os;
  else if (prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB) c = Code::invalid;
  std::string msg = dir + "/index.db: " + std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  return Error::make(c, msg, dir + "/index.db");
}

Error Store::Impl::db_error(std::string_view what) const {
  return db_error_rc(db ? sqlite3_extended_errcode(db) : SQLITE_ERROR, what);
}

Result<Stmt> Store::Impl::prep(std::string_view sql) {
  auto it = stmts.find(sql);
  if (it == stmts.end()) {
    sqlite3_stmt *s = nullptr;
    int rc = sqlite3_prepare_v3(db, sql.data(), int(sql.size()), SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) return db_error_rc(rc, "preparing \"" + std::string(sql) + "\"");
    it = stmts.emplace(std::string(sql), s).first;
  }
  return Stmt(it->second, this);
}

Status Store::Impl::exec(const char *sql) {
  char *err = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string m = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    Error e = db_error_rc(rc, sql);
    e.message = dir + "/index.db: " + sql + ": " + m;
    return e;
  }
  return {};
}

Txn::~Txn() {
  if (open_) (void)impl_.exec("ROLLBACK");
}

Status Txn::begin() {
  APPC_TRY_VOID(impl_.exec("BEGIN IMMEDIATE"));
  open_ = true;
  return {};
}

Status Txn::commit() {
  APPC_TRY_VOID(impl_.exec("COMMIT"));
  open_ = false;
  return {};
}

// ---------------------------------------------------------------- rows

std::string Store::Impl::blob_rel(std::string_view id) const {
  std::string_view hex = id.substr(7);
  return "blobs/sha512/" + std::string(hex.substr(0, 2)) + "/" + std::string(hex);
}

std::string Store::Impl::blob_path(std::string_view id) const { return dir + "/" + blob_rel(id); }

namespace {
constexpr const char *kImageCols =
    "id, name, manifest, size, tar_size, compression, imported_ns, last_used_ns, origin, etag, cache_max_age";
} // namespace

Result<spec::Labels> Store::Impl::load_labels(std::string_view id) {
  auto st = APPC_TRY(prep("SELECT name, value FROM labels WHERE image_id = ?1 ORDER BY pos"));
  st.bind(1, id);
  spec::Labels out;
  while (APPC_TRY(st.step())) out.push_back(spec::Label{st.text(0), st.text(1)});
  return out;
}

Result<bool> Store::Impl::image_exists(std::string_view id) {
  auto st = APPC_TRY(prep("SELECT 1 FROM images WHERE id = ?1"));
  st.bind(1, id);
  return st.step();
}

Result<ImageRecord> Store::Impl::load_image(std::string_view id) {
  ImageRecord r;
  {
    auto st = APPC_TRY(prep(std::string("SELECT ") + kImageCols + " FROM images WHERE id = ?1"));
    st.bind(1, id);
    if (!APPC_TRY(st.step())) return Error::make(Code::not_found, "no image " + std::string(id) + " in the store");
    r.id = st.text(0);
    r.name = st.text(1);
    r.manifest_json = st.text(2);
    r.size = uint64_t(st.i64(3));
    r.tar_size = uint64_t(st.i64(4));
    r.compression = aci::compression_from_name(st.text(5)).value_or(aci::Compression::none);
    r.imported_ns = st.i64(6);
    r.last_used_ns = st.i64(7);
    r.origin = st.text(8);
    r.etag = st.text(9);
    r.cache_max_age_s = st.i64(10);
  }
  r.labels = APPC_TRY(load_labels(r.id));
  r.blob_path = blob_path(r.id);
  return r;
}

Status Store::Impl::touch_images(const std::vector<std::string> &ids, int64_t t) {
  auto st = APPC_TRY(prep("UPDATE images SET last_used_ns = max(last_used_ns, ?2) WHERE id = ?1"));
  for (const auto &id : ids) {
    st.bind(1, id).bind(2, t);
    APPC_TRY_VOID(st.run());
    st.reset();
  }
  return {};
}

Result<ImageRecord> Store::Impl::get(std::string_view ref) {
  std::string_view hex = ref;
  if (hex.substr(0, 7) == "sha512-") hex.remove_prefix(7);
  if (hex.empty())
    return Error::make(Code::invalid, "\"" + std::string(ref) + "\": an image ID prefix needs at least one hex digit");
  if (hex.size() > 128 || !is_hex(hex))
    return Error::make(Code::invalid, "\"" + std::string(ref) +
                                          "\" is not an image ID or a prefix of one (sha512- and up to 128 "
                                          "lowercase hex digits, spec 5)");
  std::string lo = "sha512-" + std::string(hex);
  if (hex.size() == 128) return load_image(lo);
  auto st = APPC_TRY(prep("SELECT id FROM images WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT 11"));
  st.bind(1, lo).bind(2, lo + "g");
  std::vector<std::string> ids;
  while (APPC_TRY(st.step())) ids.push_back(st.text(0));
  if (ids.empty()) return Error::make(Code::not_found, "no image matches the ID prefix " + lo);
  if (ids.size() > 1) {
    std::string msg = "the ID prefix " + lo + " is ambiguous; it matches ";
    for (size_t i = 0; i < ids.size() && i < 10; ++i) msg += (i ? ", " : "") + ids[i];
    if (ids.size() > 10) msg += " and more";
    return Error::make(Code::conflict, msg);
  }
  std::string id = ids[0];
  return load_image(id);
}

namespace {

const std::string *label_value(const spec::Labels &labels, std::string_view name) {
  for (const auto &l : labels)
    if (l.name == name) return &l.value;
  return nullptr;
}

} // namespace

Result<ImageRecord> Store::Impl::find(std::string_view name, const spec::Labels &want) {
  struct Cand {
    std::string id;
    int64_t imported_ns;
    spec::Labels labels;
  };
  std::vector<Cand> cands;
  {
    auto st = APPC_TRY(prep("SELECT id, imported_ns FROM images WHERE name = ?1"));
    st.bind(1, name);
    while (APPC_TRY(st.step())) cands.push_back(Cand{st.text(0), st.i64(1), {}});
  }
  const Cand *best = nullptr;
  spec::detail::SemVer best_v;
  bool best_semver = false;
  size_t same_name = cands.size();
  for (auto &c : cands) {
    c.labels = APPC_TRY(load_labels(c.id));
    // spec 49: every requested label present with the same value.
    bool match = true;
    for (const auto &w : want) {
      const std::string *v = label_value(c.labels, w.name);
      if (!v || *v != w.value) match = false;
    }
    if (!match) continue;
    const std::string *ver = label_value(c.labels, "version");
    spec::detail::SemVer sv;
    bool semver = ver && spec::detail::parse_semver(*ver, sv);
    bool better;
    if (!best) better = true;
    else if (semver != best_semver) better = semver;
    else {
      int cmp = semver ? spec::detail::compare_semver(sv, best_v) : 0;
      if (cmp != 0) better = cmp > 0;
      else if (c.imported_ns != best->imported_ns) better = c.imported_ns > best->imported_ns;
      else better = c.id < best->id;
    }
    if (better) {
      best = &c;
      best_v = sv;
      best_semver = semver;
    }
  }
  if (!best) {
    std::string msg = "no image named \"" + std::string(name) + "\"";
    if (!want.empty()) msg += " with labels " + describe_labels(want);
    msg += " in the store";
    if (same_name) msg += " (" + std::to_string(same_name) + " of that name, with other labels)";
    return Error::make(Code::not_found, msg, std::string(name));
  }
  // The SemVer views point into best->labels: copy the ID before loading.
  std::string id = best->id;
  return load_image(id);
}

Result<bool> Store::Impl::load_tree(std::string_view key, TreeRecord &out) {
  {
    auto st = APPC_TRY(prep("SELECT key, image_id, size, files, digest, verified, created_ns, last_used_ns "
                            "FROM trees WHERE key = ?1"));
    st.bind(1, key);
    if (!APPC_TRY(st.step())) return false;
    out.key = st.text(0);
    out.image_id = st.text(1);
    out.size = uint64_t(st.i64(2));
    out.files = uint64_t(st.i64(3));
    out.digest = st.text(4);
    out.verified = st.i64(5) != 0;
    out.created_ns = st.i64(6);
    out.last_used_ns = st.i64(7);
  }
  out.path = tree_path(out.key);
  out.rootfs = out.path + "/rootfs";
  out.layers.clear();
  auto st = APPC_TRY(prep("SELECT image_id FROM tree_layers WHERE tree_key = ?1 ORDER BY pos"));
  st.bind(1, key);
  while (APPC_TRY(st.step())) out.layers.push_back(st.text(0));
  return true;
}

// ---------------------------------------------------------------- open

namespace {

constexpr const char *kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS images(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  manifest TEXT NOT NULL,
  size INTEGER NOT NULL,
  tar_size INTEGER NOT NULL,
  compression TEXT NOT NULL,
  imported_ns INTEGER NOT NULL,
  last_used_ns INTEGER NOT NULL,
  origin TEXT NOT NULL DEFAULT '',
  etag TEXT NOT NULL DEFAULT '',
  cache_max_age INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS images_name ON images(name);
CREATE TABLE IF NOT EXISTS labels(
  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  pos INTEGER NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY(image_id, pos));
CREATE TABLE IF NOT EXISTS trees(
  key TEXT PRIMARY KEY,
  image_id TEXT NOT NULL REFERENCES images(id),
  preserve_owners INTEGER NOT NULL,
  size INTEGER NOT NULL,
  files INTEGER NOT NULL,
  digest TEXT NOT NULL,
  verified INTEGER NOT NULL DEFAULT 0,
  created_ns INTEGER NOT NULL,
  last_used_ns INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tree_layers(
  tree_key TEXT NOT NULL REFERENCES trees(key) ON DELETE CASCADE,
  pos INTEGER NOT NULL,
  image_id TEXT NOT NULL REFERENCES images(id),
  PRIMARY KEY(tree_key, pos));
CREATE INDEX IF NOT EXISTS tree_layers_image ON tree_layers(image_id);
CREATE TABLE IF NOT EXISTS refs(
  holder TEXT NOT NULL,
  image_id TEXT NOT NULL REFERENCES images(id),
  tree_key TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(holder, image_id, tree_key));
CREATE INDEX IF NOT EXISTS refs_image ON refs(image_id);
CREATE INDEX IF NOT EXISTS refs_tree ON refs(tree_key);
)SQL";

// FORMAT: "appc-store <N>\n". 0 when it cannot be parsed.
int parse_format(std::string_view s) {
  constexpr std::string_view magic = "appc-store ";
  if (s.substr(0, magic.size()) != magic) return 0;
  s.remove_prefix(magic.size());
  if (s.empty() || s.back() != '\n') return 0;
  s.remove_suffix(1);
  if (s.empty() || s.size() > 9 || s.front() == '0') return 0;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + (c - '0');
  }
  return v;
}

Result<UniqueFd> open_dir(const std::string &path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return Error::from_errno(errno, "open " + path);
  return fd;
}

} // namespace

Result<std::unique_ptr<Store>> Store::open(const std::string &root, const OpenOptions &opts) {
  if (root.empty()) return Error::make(Code::invalid, "the store root is an empty path");
  auto impl = std::make_unique<Impl>();
  impl->root = root;
  std::string r = root;
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  impl->dir = (r == "/" ? "" : r) + "/store";
  impl->opts = opts;
  const std::string &dir = impl->dir;
  const std::string format_path = dir + "/FORMAT";

  // FORMAT first: a store of another version is refused before anything is touched.
  struct stat st;
  if (::stat(dir.c_str(), &st) < 0) {
    if (errno != ENOENT) return Error::from_errno(errno, "stat " + dir);
    if (!opts.create) return Error::make(Code::not_found, "no store at " + dir, dir);
    APPC_TRY_VOID(mkdir_p(dir));
  } else if (!S_ISDIR(st.st_mode)) {
    return Error::make(Code::invalid, dir + ": exists and is not a directory", dir);
  }
  auto fmt = read_file(format_path, 4096);
  if (!fmt) {
    if (fmt.error().code != Code::not_found) return std::move(fmt).error();
    if (!opts.create) return Error::make(Code::not_found, dir + " is not an appc store (no FORMAT file)", dir);
    APPC_TRY_VOID(write_file_atomic(format_path, "appc-store " + std::to_string(kFormatVersion) + "\n"));
  } else {
    int v = parse_format(*fmt);
    if (v == 0)
      return Error::make(Code::not_supported,
                         format_path + ": unrecognised store format \"" + spec::detail::quote(*fmt).substr(0, 80) +
                             "\"; this libappc supports version " + std::to_string(kFormatVersion) +
                             " (\"appc-store " + std::to_string(kFormatVersion) + "\"); the store was left untouched",
                         format_path);
    if (v != kFormatVersion)
      return Error::make(Code::not_supported,
                         format_path + ": the store has format version " + std::to_string(v) +
                             ", this libappc supports version " + std::to_string(kFormatVersion) +
                             "; the store was left untouched",
                         format_path);
  }

  for (const char *sub : {"blobs", "blobs/sha512", "trees", "tmp"}) {
    std::string p = dir + "/" + sub;
    if (::mkdir(p.c_str(), 0755) < 0 && errno != EEXIST) return Error::from_errno(errno, "mkdir " + p);
  }
  impl->dirfd = APPC_TRY(open_dir(dir));
  impl->tmpfd = APPC_TRY(open_dir(dir + "/tmp"));
  impl->treesfd = APPC_TRY(open_dir(dir + "/trees"));
  impl->lockfd.reset(::openat(impl->dirfd.get(), "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!impl->lockfd) return Error::from_errno(errno, "open " + dir + "/lock");

  std::string db_path = dir + "/index.db";
  int rc = sqlite3_open_v2(db_path.c_str(), &impl->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) return impl->db_error_rc(rc, "opening the index");
  sqlite3_extended_result_codes(impl->db, 1);
  sqlite3_busy_timeout(impl->db, opts.busy_timeout_ms);

  auto user_version = [&]() -> Result<int> {
    auto s = APPC_TRY(impl->prep("PRAGMA user_version"));
    if (!APPC_TRY(s.step())) return impl->db_error("reading PRAGMA user_version");
    return int(s.i64(0));
  };
  int uv = APPC_TRY(user_version());
  if (uv > kFormatVersion)
    return Error::make(Code::not_supported,
                       db_path + ": the index has schema version " + std::to_string(uv) +
                           ", this libappc supports version " + std::to_string(kFormatVersion),
                       db_path);
  if (uv == 0) {
    // Create the schema once, under the store lock (journal_mode can only
    // change outside a transaction).
    StoreLock lk(*impl);
    APPC_TRY_VOID(lk.acquire());
    APPC_TRY_VOID(impl->exec("PRAGMA journal_mode=WAL"));
    Txn txn(*impl);
    APPC_TRY_VOID(txn.begin());
    uv = APPC_TRY(user_version());
    if (uv == 0) {
      APPC_TRY_VOID(impl->exec(kSchema));
      APPC_TRY_VOID(impl->exec(("PRAGMA user_version=" + std::to_string(kFormatVersion)).c_str()));
    }
    APPC_TRY_VOID(txn.commit());
  } else {
    APPC_TRY_VOID(impl->exec("PRAGMA journal_mode=WAL"));
  }
  APPC_TRY_VOID(impl->exec("PRAGMA foreign_keys=ON"));
  APPC_TRY_VOID(impl->exec(opts.durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));

  // Recovery: cheap, it only looks at tmp/.
  {
    bool any = false;
    int dup = ::fcntl(impl->tmpfd.get(), F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return Error::from_errno(errno, "reading " + dir + "/tmp");
    DIR *d = ::fdopendir(dup);
    if (!d) {
      ::close(dup);
      return Error::from_errno(errno, "reading " + dir + "/tmp");
    }
    while (struct dirent *de = ::readdir(d))
      if (std::strcmp(de->d_name, ".") && std::strcmp(de->d_name, "..")) {
        any = true;
        break;
      }
    ::closedir(d);
    if (any) {
      StoreLock lk(*impl);
      APPC_TRY_VOID(lk.acquire());
      APPC_TRY_VOID(impl->recover_tmp_locked(false, nullptr));
    }
  }
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;
const std::string &Store::root() const noexcept { return impl_->root; }
const std::string &Store::store_dir() const noexcept { return impl_->dir; }

// ---------------------------------------------------------------- import

Result<ImportResult> Store::import_file(const std::string &path, const ImportOptions &opts) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno(errno, "open " + path);
  ImportOptions o = opts;
  if (o.origin.empty()) {
    char *abs = ::realpath(path.c_str(), nullptr);
    o.origin = abs ? abs : path;
    std::free(abs);
  }
  auto r = import_fd(fd.get(), o);
  if (!r) return std::move(r).error().wrap(path);
  return r;
}

Result<ImportResult> Store::import_fd(int in_fd, const ImportOptions &opts) {
  Impl &I = *impl_;
  std::lock_guard<std::mutex> g(I.mu);
  if (!opts.expect_id.empty() && !is_full_image_id(opts.expect_id))
    return Error::make(Code::invalid, "expected image ID \"" + opts.expect_id +
                                          "\" is not sha512- followed by 128 lowercase hex digits (spec 5)");

  // 1. Copy into tmp/import-* in the same pass that hashes and validates.
  TmpEntry tmp = APPC_TRY(TmpEntry::create(I.tmpfd.get(), "import-", false));
  aci::ReadOptions ro;
  ro.limits = opts.limits;
  ro.progress = opts.progress;
  int out = tmp.fd();
  std::string tmp_name = tmp.name();
  ro.raw_sink = [out, &I, &tmp_name](const void *p, size_t n) -> Status {
    if (!write_all(out, p, n)) return Error::from_errno(errno, "writing " + I.dir + "/tmp/" + tmp_name);
    return {};
  };
  aci::ImageInfo info = APPC_TRY(aci::read_image_fd(in_fd, ro));
  if (!opts.expect_id.empty() && info.id != opts.expect_id)
    return Error::make(Code::verify, "image ID mismatch: expected " + opts.expect_id + ", the archive is " + info.id +
                                         " (spec 56); nothing was stored");
  struct stat st;
  if (::fstat(out, &st) < 0) return Error::from_errno(errno, "stat " + I.dir + "/tmp/" + tmp.name());
  if (uint64_t(st.st_size) != info.archive_size)
    return Error::make(Code::internal, "the copy of the archive has " + std::to_string(st.st_size) +
                                           " bytes, the reader consumed " + std::to_string(info.archive_size));
  if (::fchmod(out, 0444) < 0) return Error::from_errno(errno, "chmod " + I.dir + "/tmp/" + tmp.name());
  if (I.opts.durable && ::fsync(out) < 0) return Error::from_errno(errno, "fsync " + I.dir + "/tmp/" + tmp.name());

  // 2. Commit under the store lock.
  StoreLock lk(I);
  APPC_TRY_VOID(lk.acquire());
  Txn txn(I);
  APPC_TRY_VOID(txn.begin());
  int64_t t = now_ns();
  ImportResult res;
  if (APPC_TRY(I.image_exists(info.id))) {
    APPC_TRY_VOID(I.touch_images({info.id}, t));
    res.image = APPC_TRY(I.load_image(info.id));   // before anyone can remove it again
    APPC_TRY_VOID(txn.commit());
    lk.release();
    tmp.discard();
    res.already_present = true;
    return res;
  }
  std::string hex = info.id.substr(7);
  std::string marker = "commit-" + hex;
  // Under the store lock a commit marker belongs to nobody alive: the debris
  // of a killed commit of the same ID. Settle it first.
  if (::faccessat(I.tmpfd.get(), marker.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
    UniqueFd old = try_lock_entry(I.tmpfd.get(), marker);
    if (!old) return Error::make(Code::conflict, I.dir + "/tmp/" + marker + " is held by another process");
    if (::unlinkat(I.dirfd.get(), I.blob_rel(info.id).c_str(), 0) < 0 && errno != ENOENT)
      return Error::from_errno(errno, "removing the stale blob " + I.blob_path(info.id));
    ::unlinkat(I.tmpfd.get(), marker.c_str(), 0);
  }
  if (::renameat(I.tmpfd.get(), tmp.name().c_str(), I.tmpfd.get(), marker.c_str()) < 0)
    return Error::from_errno(errno, "renaming " + I.dir + "/tmp/" + tmp.name() + " to " + marker);
  tmp.rename_to(marker);
  std::string rel = I.blob_rel(info.id);
  std::string sub = "blobs/sha512/" + hex.substr(0, 2);
  if (::mkdirat(I.dirfd.get(), sub.c_str(), 0755) < 0 && errno != EEXIST)
    return Error::from_errno(errno, "mkdir " + I.dir + "/" + sub);
  std::string tmp_rel = "tmp/" + marker;
  if (::linkat(I.dirfd.get(), tmp_rel.c_str(), I.dirfd.get(), rel.c_str(), 0) < 0) {
    if (errno != EEXIST) return Error::from_errno(errno, "linking the blob " + I.dir + "/" + rel);
    // A blob without a row: debris of an earlier failure. Replace it.
    if (::unlinkat(I.dirfd.get(), rel.c_str(), 0) < 0 && errno != ENOENT)
      return Error::from_errno(errno, "removing the stale blob " + I.dir + "/" + rel);
    if (::linkat(I.dirfd.get(), tmp_rel.c_str(), I.dirfd.get(), rel.c_str(), 0) < 0)
      return Error::from_errno(errno, "linking the blob " + I.dir + "/" + rel);
  }
  if (I.opts.durable) {
    UniqueFd subfd(::openat(I.dirfd.get(), sub.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!subfd || ::fsync(subfd.get()) < 0) {
      Error e = Error::from_errno(errno, "fsync " + I.dir + "/" + sub);
      ::unlinkat(I.dirfd.get(), rel.c_str(), 0);
      return e;
    }
  }
  auto insert = [&]() -> Status {
    auto s = APPC_TRY(I.prep("INSERT INTO images(id, name, manifest, size, tar_size, compression, imported_ns, "
                             "last_used_ns, origin, etag, cache_max_age) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)"));
    s.bind(1, info.id).bind(2, info.manifest.name).bind(3, info.manifest_json).bind(4, info.archive_size);
    s.bind(5, info.tar_size).bind(6, aci::compression_name(info.compression)).bind(7, t).bind(8, t);
    s.bind(9, opts.origin).bind(10, opts.etag).bind(11, opts.cache_max_age_s);
    APPC_TRY_VOID(s.run());
    auto l = APPC_TRY(I.prep("INSERT INTO labels(image_id, pos, name, value) VALUES(?1,?2,?3,?4)"));
    for (size_t i = 0; i < info.manifest.labels.size(); ++i) {
      l.bind(1, info.id).bind(2, int64_t(i)).bind(3, info.manifest.labels[i].name).bind(4, info.manifest.labels[i].value);
      APPC_TRY_VOID(l.run());
      l.reset();
    }
    res.image = APPC_TRY(I.load_image(info.id));
    return txn.commit();
  };
  if (Status s = insert(); !s) {
    ::unlinkat(I.dirfd.get(), rel.c_str(), 0);
    return std::move(s).error();
  }
  tmp.discard();   // the marker name; the blob keeps the data
  lk.release();
  return res;
}

// ---------------------------------------------------------------- lookup

Result<ImageRecord> Store::get(std::string_view id_or_prefix) {
  std::lock_guard<std::mutex> g(impl_->mu);
  return impl_->get(id_or_prefix);
}

Result<ImageRecord> Store::find(std::string_view name, const spec::Labels &labels) {
  std::lock_guard<std::mutex> g(impl_->mu);
  return impl_->find(name, labels);
}

Result<ImageRecord> Store::resolve(std::string_view ref) {
  if (ref.substr(0, 7) == "sha512-") return get(ref);
  std::string_view rest = ref;
  size_t comma = rest.find(',');
  std::string name(rest.substr(0, comma));
  auto bad = [&](std::string why) {
    return Error::make(Code::invalid, "image reference \"" + std::string(ref) + "\": " + why);
  };
  if (!spec::is_ac_identifier(name)) return bad("\"" + name + "\" is not an image name (an AC Identifier, spec 1)");
  spec::Labels labels;
  while (comma != std::string_view::npos) {
    rest.remove_prefix(comma + 1);
    comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) return bad("\"" + std::string(item) + "\" is not label=value");
    std::string lname(item.substr(0, eq)), value(item.substr(eq + 1));
    if (!spec::is_ac_name(lname)) return bad("label name \"" + lname + "\" is not an AC Name (spec 2)");
    if (value.empty()) return bad("label " + lname + " has an empty value");
    for (const auto &l : labels)
      if (l.name == lname) return bad("label " + lname + " is given twice");
    labels.push_back(spec::Label{lname, value});
  }
  return find(name, labels);
}

Result<std::vector<ImageRecord>> Store::list() {
  Impl &I = *impl_;
  std::lock_guard<std::mutex> g(I.mu);
  std::vector<std::string> ids;
  {
    auto st = APPC_TRY(I.prep("SELECT id FROM images ORDER BY name, imported_ns DESC, id"));
    while (APPC_TRY(st.step())) ids.push_back(st.text(0));
  }
  std::vector<ImageRecord> out;
  out.reserve(ids.size());
  for (const auto &id : ids) {
    auto r = I.load_image(id);
    if (!r) {
      if (r.error().code == Code::not_found) continue;   // removed meanwhile
      return std::move(r).error();
    }
    out.push_back(std::move(r).value());
  }
  return out;
}

// ---------------------------------------------------------------- export

Status Store::export_image(std::string_view id_or_prefix, const std::string &out_path, bool overwrite) {
  Impl &I = *impl_;
  std::lock_guard<std::mutex> g(I.mu);
  ImageRecord rec = APPC_TRY(I.get(id_or_prefix));
  if (!overwrite && ::faccessat(AT_FDCWD, out_path.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return Error::make(Code::exists, out_path + ": exists (pass overwrite to replace it)", out_path);
  UniqueFd in(::open(rec.blob_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) return Error::from_errno(errno, "open " + rec.blob_path);
  size_t slash = out_path.rfind('/');
  std::string parent = slash == std::string::npos ? "." : (slash == 0 ? "/" : out_path.substr(0, slash));
  std::string base = slash == std::string::npos ? out_path : out_path.substr(slash + 1);
  std::string tmp = parent + "/." + base + ".tmp-XXXXXX";
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return Error::from_errno(errno, "create a temporary file beside " + out_path);
  UniqueFd outfd(fd);
  auto fail = [&](Error e) {
    ::unlink(tmp.c_str());
    return e;
  };
  std::unique_ptr<char[]> buf(new char[1 << 20]);
  uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(in.get(), buf.get(), 1 << 20);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(Error::from_errno(errno, "read " + rec.blob_path));
    }
    if (n == 0) break;
    if (!write_all(fd, buf.get(), size_t(n))) return fail(Error::from_errno(errno, "write " + tmp));
    total += uint64_t(n);
  }
  if (total != rec.size)
    return fail(Error::make(Code::verify, rec.blob_path + ": has " + std::to_string(total) + " bytes, the index says " +
                                              std::to_string(rec.size)));
  if (::fchmod(fd, 0644) < 0) return fail(Error::from_errno(errno, "chmod " + tmp));
  if (I.opts.durable && ::fsync(fd) < 0) return fail(Error::from_errno(errno, "fsync " + tmp));
  outfd.reset();
  unsigned flags = overwrite ? 0 : RENAME_NOREPLACE;
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, out_path.c_str(), flags) < 0) {
    if (errno == EEXIST) return fail(Error::make(Code::exists, out_path + ": exists (pass overwrite to replace it)", out_path));
    return fail(Error::from_errno(errno, "rename " + tmp + " to " + out_path));
  }
  (void)I.touch_images({rec.id}, now_ns());
  return {};
}

// ---------------------------------------------------------------- refs

Status Store::add_ref(const std::string &holder, const aci::ImageId &id, const std::string &tree_key) {
  Impl &I = *impl_;
  std::lock_guard<std::mutex> g(I.mu);
  if (holder.empty()) return Error::make(Code::invalid, "a reference needs a holder");
  Txn txn(I);
  APPC_TRY_VOID(txn.begin());
  if (!APPC_TRY(I.image_exists(id))) return Error::make(Code::not_found, "no image " + id + " in the store");
  if (!tree_key.empty()) {
    TreeRecord t;
    if (!APPC_TRY(I.load_tree(tree_key, t))) return Error::make(Code::not_found, "no tree " + tree_key + " in the store");
  }
  auto st = APPC_TRY(I.prep("INSERT OR IGNORE INTO refs(holder, image_id, tree_key) VALUES(?1,?2,?3)"));
  st.bind(1, holder).bind(2, id).bind(3, tree_key);
  APPC_TRY_VOID(st.run());
  return txn.commit();
}

Status Store::drop_refs(const std::string &holder) {
  Impl &I = *impl_;
  std::lock_guard<std::mutex> g(I.mu);
  auto st = APPC_TRY(I.prep("DELETE FROM refs WHERE holder = ?1"));
  st.bind(1, holder);
  return st.run();
}

Result<std::vector<Ref>> Store::refs() {
  Impl &I = *impl_;
  std::lock_guard<std::mutex> g(I.mu);
  auto st = APPC_TRY(I.prep("SELECT holder, image_id, tree_key FROM refs ORDER BY holder, image_id, tree_key"));
  std::vector<Ref> out;
  while (APPC_TRY(st.step())) out.push_back(Ref{st.text(0), st.text(1), st.text(2)});
  return out;
}

// ---------------------------------------------------------------- resolver

namespace {

class StoreResolver final : public aci::Resolver {
public:
  explicit StoreResolver(Store::Impl &impl) : impl_(impl) {}
  Result<aci::ResolvedImage> resolve(const spec::Dependency &dep) override {
    std::lock_guard<std::mutex> g(impl_.mu);
    ImageRecord rec;
    if (!dep.image_id.empty()) {
      if (!is_full_image_id(dep.image_id))
        return Error::make(Code::invalid, "dependency \"" + dep.image_name + "\": \"" + dep.image_id +
                                              "\" is not a full image ID (spec 5)");
      rec = APPC_TRY(impl_.load_image(dep.image_id));
    } else {
      rec = APPC_TRY(impl_.find(dep.image_name, dep.labels));
    }
    aci::ResolvedImage out;
    out.aci_path = rec.blob_path;
    out.id = rec.id;
    auto m = spec::parse_image_manifest(rec.manifest_json);
    if (m) out.manifest = std::move(m).value();
    return out;
  }

private:
  Store::Impl &impl_;
};

} // namespace

std::unique_ptr<aci::Resolver> Store::resolver() { return std::make_unique<StoreResolver>(*impl_); }

} // namespace appc::store
