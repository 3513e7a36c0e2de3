// Private to lib/store: the state behind a Store, the SQLite helpers and the
// file-lock helpers shared by store.cpp, tree.cpp and maintenance.cpp.
//
// Locks (every one an flock, so it dies with its process):
//  - <store>/lock: the store lock, held for the short sections that change
//    what is visible (commit an import, rename a tree into place, rm, gc,
//    recovery). Always taken BEFORE a SQLite write transaction, never while
//    waiting for any other file lock (entry locks below are only tried with
//    LOCK_NB while it is held), so lock order cannot deadlock.
//  - tmp/<entry>: every file or directory in tmp/ is flock'ed by the live
//    process that owns it; an entry whose lock can be taken is debris.
//    Owners create an entry, lock it, then check the name still leads to the
//    locked inode (recovery may have removed it in between); recovery unlinks
//    an entry only while holding its lock.
//  - tmp/tree-<key>.lock: held by the process rendering tree <key>; others
//    asking for the same tree block on it, then find the tree done.
#pragma once

#include "store/store.hpp"
#include "util/fs.hpp"

#include <sqlite3.h>

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace appc::store {

int64_t now_ns();
std::string random_hex(size_t bytes);

// ---------------------------------------------------------------- SQLite

// A cached prepared statement, reset (and its bindings cleared) when the
// holder goes out of scope.
class Stmt {
public:
  Stmt(sqlite3_stmt *s, Store::Impl *impl) : s_(s), impl_(impl) {}
  Stmt(Stmt &&o) noexcept : s_(o.s_), impl_(o.impl_) { o.s_ = nullptr; }
  Stmt(const Stmt &) = delete;
  ~Stmt() {
    if (s_) {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
    }
  }
  Stmt &bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), int(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt &bind(int i, const char *v) { return bind(i, std::string_view(v)); }
  Stmt &bind(int i, const std::string &v) { return bind(i, std::string_view(v)); }
  Stmt &bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt &bind(int i, uint64_t v) { return bind(i, int64_t(v)); }
  Stmt &bind(int i, int v) { return bind(i, int64_t(v)); }
  Stmt &bind(int i, bool v) { return bind(i, int64_t(v ? 1 : 0)); }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  // true: a row is available; false: done.
  Result<bool> step();
  // Runs to completion (for INSERT/UPDATE/DELETE).
  Status run();
  std::string text(int col) const {
    const unsigned char *p = sqlite3_column_text(s_, col);
    return p ? std::string(reinterpret_cast<const char *>(p), size_t(sqlite3_column_bytes(s_, col))) : std::string();
  }
  int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }

private:
  sqlite3_stmt *s_;
  Store::Impl *impl_;
};

struct Store::Impl {
  std::string root, dir;          // <root>, <root>/store
  OpenOptions opts;
  std::mutex mu;                  // serializes calls on one Store
  sqlite3 *db = nullptr;
  UniqueFd dirfd, tmpfd, treesfd, lockfd;
  std::map<std::string, sqlite3_stmt *, std::less<>> stmts;
  int lock_depth = 0;             // store lock held by this object (never nested in practice)

  ~Impl();

  Error db_error(std::string_view what) const;
  Error db_error_rc(int rc, std::string_view what) const;
  Result<Stmt> prep(std::string_view sql);
  Status exec(const char *sql);

  std::string blob_path(std::string_view id) const;        // absolute
  std::string blob_rel(std::string_view id) const;         // relative to dir
  std::string tree_path(std::string_view key) const { return dir + "/trees/" + std::string(key); }

  // Image rows.
  Result<bool> image_exists(std::string_view id);
  Result<ImageRecord> load_image(std::string_view id);      // Code::not_found when absent
  Result<spec::Labels> load_labels(std::string_view id);
  Result<ImageRecord> get(std::string_view id_or_prefix);
  Result<ImageRecord> find(std::string_view name, const spec::Labels &labels);
  Status touch_images(const std::vector<std::string> &ids, int64_t t);

  // Tree rows.
  Result<bool> load_tree(std::string_view key, TreeRecord &out);

  // Maintenance (maintenance.cpp). *_locked: the store lock is held.
  Result<uint64_t> recover_tmp_locked(bool count_only, std::vector<std::string> *findings);
  Result<uint64_t> sweep_debris_locked(bool dry_run, std::vector<std::string> *findings);
  Status remove_tree_now_locked(const std::string &key);    // verify failure: drop row + dir
};

// Holds <store>/lock; waits up to opts.busy_timeout_ms (then Code::conflict).
class StoreLock {
public:
  explicit StoreLock(Store::Impl &impl) : impl_(impl) {}
  ~StoreLock() { release(); }
  StoreLock(const StoreLock &) = delete;
  Status acquire();
  void release();

private:
  Store::Impl &impl_;
  bool held_ = false;
};

// BEGIN IMMEDIATE ... COMMIT; rolled back unless committed.
class Txn {
public:
  explicit Txn(Store::Impl &impl) : impl_(impl) {}
  ~Txn();
  Txn(const Txn &) = delete;
  Status begin();
  Status commit();

private:
  Store::Impl &impl_;
  bool open_ = false;
};

// A tmp/ entry owned by this process: created with a fresh random name,
// flock'ed, and checked to still be linked. Unlinked on destruction unless
// released (keep() = the name now belongs to something else).
class TmpEntry {
public:
  TmpEntry() = default;
  TmpEntry(TmpEntry &&) = default;
  TmpEntry &operator=(TmpEntry &&) = default;
  ~TmpEntry() { discard(); }
  static Result<TmpEntry> create(int tmpfd, const std::string &prefix, bool directory);
  int fd() const { return fd_.get(); }
  const std::string &name() const { return name_; }
  void rename_to(std::string n) { name_ = std::move(n); }
  void discard();      // remove the entry (a directory with its contents), close
  void forget() { name_.clear(); fd_.reset(); }

private:
  int tmpfd_ = -1;
  std::string name_;
  bool dir_ = false;
  UniqueFd fd_;
};

// Takes the flock of an existing entry at dirfd/name with LOCK_NB and checks
// the name still leads to the locked inode: an empty fd when it is held by a
// live process (or vanished).
UniqueFd try_lock_entry(int dirfd, const std::string &name);

// Blocking lock of dirfd/name (created when missing), re-opened until the
// locked inode is the one the name leads to.
Result<UniqueFd> lock_named(int dirfd, const std::string &name);

// Tree digest: a walk of `rootfs` (every entry in sorted order: path, type,
// mode, uid, gid, size or device, symlink target, file contents).
struct TreeDigest {
  std::string digest;   // "sha512-<hex>"
  uint64_t size = 0, files = 0;
};
Result<TreeDigest> digest_tree(const std::string &rootfs, const aci::ProgressFn &progress);

bool is_hex(std::string_view s) noexcept;

} // namespace appc::store
