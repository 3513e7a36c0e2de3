// rm, gc, check, and the recovery of what killed processes left behind.
//
// Removal is crash-safe: under the store lock a locked tmp/trash-* directory
// is created holding an "intent" file that lists the blobs and trees to go;
// the index rows are deleted and committed; the blobs and tree directories are
// moved into the trash directory; the intent is removed and the store lock
// released; the trash is deleted outside the lock. Recovery (on open and in
// gc) finishes an unlocked trash directory: every listed object that has no
// row (again) is moved in, then the whole directory is deleted.
#include "store/store_impl.hpp"

#include "util/hash.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

namespace appc::store {
namespace {

Result<std::vector<std::string>> list_names(int dirfd, const std::string &what) {
  std::vector<std::string> out;
  int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return Error::from_errno(errno, "reading " + what);
  DIR *d = ::fdopendir(dup);
  if (!d) {
    ::close(dup);
    return Error::from_errno(errno, "reading " + what);
  }
  ::rewinddir(d);
  while (struct dirent *de = ::readdir(d))
    if (std::strcmp(de->d_name, ".") && std::strcmp(de->d_name, "..")) out.emplace_back(de->d_name);
  ::closedir(d);
  return out;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

bool is_tree_key(std::string_view s) { return s.size() == 64 && is_hex(s); }

Status write_intent(int dirfd, const std::string &text, bool durable) {
  UniqueFd fd(::openat(dirfd, "intent", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) return Error::from_errno(errno, "creating the removal intent");
  const char *p = text.data();
  size_t n = text.size();
  while (n) {
    ssize_t w = ::write(fd.get(), p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(errno, "writing the removal intent");
    }
    p += w;
    n -= size_t(w);
  }
  if (durable && (::fsync(fd.get()) < 0 || ::fsync(dirfd) < 0)) return Error::from_errno(errno, "fsync the removal intent");
  return {};
}

Result<bool> tree_row_exists(Store::Impl &I, const std::string &key) {
  auto st = APPC_TRY(I.prep("SELECT 1 FROM trees WHERE key = ?1"));
  st.bind(1, key);
  return st.step();
}

} // namespace

// ---------------------------------------------------------------- recovery

Result<uint64_t> Store::Impl::recover_tmp_locked(bool count_only, std::vector<std::string> *findings) {
  uint64_t n = 0;
  auto names = APPC_TRY(list_names(tmpfd.get(), dir + "/tmp"));
  for (const auto &name : names) {
    UniqueFd fd = try_lock_entry(tmpfd.get(), name);
    if (!fd) continue;   // owned by a live process (or gone)
    ++n;
    if (count_only) {
      if (findings) findings->push_back(dir + "/tmp/" + name + ": left behind by a process that died");
      continue;
    }
    if (starts_with(name, "commit-")) {
      std::string id = "sha512-" + name.substr(7);
      if (is_full_image_id(id) && !APPC_TRY(image_exists(id))) {
        if (::unlinkat(dirfd.get(), blob_rel(id).c_str(), 0) < 0 && errno != ENOENT)
          return Error::from_errno(errno, "removing the uncommitted blob " + blob_path(id));
      }
    } else if (starts_with(name, "tree-") && ends_with(name, ".lock")) {
      std::string key = name.substr(5, name.size() - 10);
      if (is_tree_key(key)) {
        auto entries = APPC_TRY(list_names(treesfd.get(), dir + "/trees"));
        std::string staging = "." + key + ".staging-";
        for (const auto &e : entries)
          if (starts_with(e, staging)) APPC_TRY_VOID(remove_tree_at(treesfd.get(), e));
        if (!APPC_TRY(tree_row_exists(*this, key))) APPC_TRY_VOID(remove_tree_at(treesfd.get(), key));
      }
    } else if (starts_with(name, "trash-")) {
      auto intent = read_file(dir + "/tmp/" + name + "/intent", 1 << 24);
      if (intent) {
        std::string_view text = *intent;
        while (!text.empty()) {
          size_t nl = text.find('\n');
          std::string line(text.substr(0, nl));
          text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
          if (starts_with(line, "blob ") && is_full_image_id(line.substr(5))) {
            std::string id = line.substr(5);
            if (!APPC_TRY(image_exists(id)))
              ::renameat(dirfd.get(), blob_rel(id).c_str(), fd.get(), id.substr(7).c_str());
          } else if (starts_with(line, "tree ") && is_tree_key(line.substr(5))) {
            std::string key = line.substr(5);
            if (!APPC_TRY(tree_row_exists(*this, key))) ::renameat(treesfd.get(), key.c_str(), fd.get(), key.c_str());
          }
        }
      }
      APPC_TRY_VOID(remove_tree_at(tmpfd.get(), name));
      continue;
    }
    APPC_TRY_VOID(remove_tree_at(tmpfd.get(), name));   // import-*, markers, anything else: debris
  }
  return n;
}

// Objects outside tmp/ that no row accounts for: blobs, tree directories,
// staging directories of dead renderers. A full scan (gc and check only).
Result<uint64_t> Store::Impl::sweep_debris_locked(bool dry_run, std::vector<std::string> *findings) {
  uint64_t n = 0;
  auto note = [&](const std::string &what) {
    ++n;
    if (findings) findings->push_back(what);
  };
  UniqueFd blobs(::openat(dirfd.get(), "blobs/sha512", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!blobs) return Error::from_errno(errno, "open " + dir + "/blobs/sha512");
  for (const auto &sub : APPC_TRY(list_names(blobs.get(), dir + "/blobs/sha512"))) {
    UniqueFd sfd(::openat(blobs.get(), sub.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sfd) {
      note(dir + "/blobs/sha512/" + sub + ": not a blob directory");
      if (!dry_run) APPC_TRY_VOID(remove_tree_at(blobs.get(), sub));
      continue;
    }
    for (const auto &b : APPC_TRY(list_names(sfd.get(), dir + "/blobs/sha512/" + sub))) {
      std::string path = dir + "/blobs/sha512/" + sub + "/" + b;
      bool ok = b.size() == 128 && is_hex(b) && b.substr(0, 2) == sub;
      if (ok && APPC_TRY(image_exists("sha512-" + b))) continue;
      note(path + (ok ? ": a blob without an index row" : ": not a blob name"));
      if (!dry_run) APPC_TRY_VOID(remove_tree_at(sfd.get(), b));
    }
  }
  for (const auto &e : APPC_TRY(list_names(treesfd.get(), dir + "/trees"))) {
    std::string path = dir + "/trees/" + e;
    if (is_tree_key(e)) {
      if (APPC_TRY(tree_row_exists(*this, e))) continue;
      note(path + ": a tree without an index row");
    } else if (e.size() > 65 && e[0] == '.' && is_tree_key(e.substr(1, 64)) && starts_with(e.substr(65), ".staging-")) {
      std::string lock = "tree-" + e.substr(1, 64) + ".lock";
      if (::faccessat(tmpfd.get(), lock.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
        UniqueFd l = try_lock_entry(tmpfd.get(), lock);
        if (!l) continue;   // a live renderer
      }
      // The renderer may have finished (renamed its staging directory into
      // place and let go of its lock) since the listing: only a staging
      // directory that is still there once no renderer holds the lock is debris.
      struct stat sst;
      if (::fstatat(treesfd.get(), e.c_str(), &sst, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT) continue;
      note(path + ": the staging directory of a renderer that died");
    } else {
      note(path + ": not a tree name");
    }
    if (!dry_run) APPC_TRY_VOID(remove_tree_at(treesfd.get(), e));
  }
  return n;
}

// ---------------------------------------------------------------- rm

namespace {

struct Doomed {
  std::vector<std::string> images;   // IDs
  std::vector<std::string> trees;    // keys
  uint64_t bytes = 0;
};

// Deletes the rows (in the open transaction), then (after `commit`) moves the
// files into `trash`.
Status delete_rows(Store::Impl &I, const Doomed &d) {
  for (const auto &k : d.trees) {
    auto st = APPC_TRY(I.prep("DELETE FROM refs WHERE tree_key = ?1"));
    st.bind(1, k);
    APPC_TRY_VOID(st.run());
    auto t = APPC_TRY(I.prep("DELETE FROM trees WHERE key = ?1"));
    t.bind(1, k);
    APPC_TRY_VOID(t.run());
  }
  for (const auto &id : d.images) {
    auto st = APPC_TRY(I.prep("DELETE FROM refs WHERE image_id = ?1"));
    st.bind(1, id);
    APPC_TRY_VOID(st.run());
    auto t = APPC_TRY(I.prep("DELETE FROM images WHERE id = ?1"));
    t.bind(1, id);
    APPC_TRY_VOID(t.run());
  }
  return {};
}

std::string intent_text(const Doomed &d) {
  std::string s;
  for (const auto &id : d.images) s += "blob " + id + "\n";
  for (const auto &k : d.trees) s += "tree " + k + "\n";
  return s;
}

// Under the store lock with `txn` open and the rows of `d` still present:
// record the intent, delete the rows, commit, move the files aside. The
// returned trash entry is deleted by the caller after releasing the lock.
Result<TmpEntry> remove_locked(Store::Impl &I, Txn &txn, const Doomed &d) {
  TmpEntry trash = APPC_TRY(TmpEntry::create(I.tmpfd.get(), "trash-", true));
  APPC_TRY_VOID(write_intent(trash.fd(), intent_text(d), I.opts.durable));
  APPC_TRY_VOID(delete_rows(I, d));
  APPC_TRY_VOID(txn.commit());
  for (const auto &k : d.trees)
    if (::renameat(I.treesfd.get(), k.c_str(), trash.fd(), k.c_str()) < 0 && errno != ENOENT)
      return Error::from_errno(errno, "moving " + I.tree_path(k) + " to the trash");
  for (const auto &id : d.images)
    if (::renameat(I.dirfd.get(), I.blob_rel(id).c_str(), trash.fd(), id.substr(7).c_str()) < 0 && errno != ENOENT)
      return Error::from_errno(errno, "moving " + I.blob_path(id) + " to the trash");
  ::unlinkat(trash.fd(), "intent", 0);
  return trash;
}

Result<std::vector<std::pair<std::string, uint64_t>>> trees_of(Store::Impl &I, const std::string &id) {
  auto st = APPC_TRY(I.prep("SELECT DISTINCT t.key, t.size FROM tree_layers l JOIN trees t ON t.key = l.tree_key "
                            "WHERE l.image_id = ?1 ORDER BY t.key"));
  st.bind(1, id);
  std::vector<std::pair<std::string, uint64_t>> out;
  while (APPC_TRY(st.step())) out.emplace_back(st.text(0), uint64_t(st.i64(1)));
  return out;
}

} // namespace

Result<RemoveResult> Store::remove(std::string_view id_or_prefix, const RemoveOptions &opts) {
  Impl &I = *impl_;
  std::lock_guard<std::mutex> g(I.mu);
  ImageRecord rec = APPC_TRY(I.get(id_or_prefix));
  StoreLock lk(I);
  APPC_TRY_VOID(lk.acquire());
  Txn txn(I);
  APPC_TRY_VOID(txn.begin());
  if (!APPC_TRY(I.image_exists(rec.id))) return Error::make(Code::not_found, "no image " + rec.id + " in the store");
  Doomed d;
  d.images.push_back(rec.id);
  d.bytes = rec.size;
  RemoveResult res;
  res.id = rec.id;
  for (auto &[k, size] : APPC_TRY(trees_of(I, rec.id))) {
    d.trees.push_back(k);
    d.bytes += size;
  }
  std::set<std::string> holders;
  {
    auto st = APPC_TRY(I.prep("SELECT DISTINCT holder FROM refs WHERE image_id = ?1"));
    st.bind(1, rec.id);
    while (APPC_TRY(st.step())) holders.insert(st.text(0));
    auto t = APPC_TRY(I.prep("SELECT DISTINCT holder FROM refs WHERE tree_key = ?1"));
    for (const auto &k : d.trees) {
      t.reset();
      t.bind(1, k);
      while (APPC_TRY(t.step())) holders.insert(t.text(0));
    }
  }
  if (!holders.empty() && !opts.force) {
    std::string list;
    for (const auto &h : holders) list += (list.empty() ? "" : ", ") + h;
    return Error::make(Code::conflict, "image " + rec.id + " (" + rec.name + ") is in use by " + list +
                                           "; remove it anyway with force");
  }
  TmpEntry trash = APPC_TRY(remove_locked(I, txn, d));
  lk.release();
  trash.discard();
  res.bytes_freed = d.bytes;
  res.trees_removed = d.trees;
  return res;
}

// ---------------------------------------------------------------- gc

Result<GcResult> Store::gc(const GcOptions &opts) {
  Impl &I = *impl_;
  std::lock_guard<std::mutex> g(I.mu);
  GcResult res;
  StoreLock lk(I);
  APPC_TRY_VOID(lk.acquire());
  res.debris_removed += APPC_TRY(I.recover_tmp_locked(opts.dry_run, nullptr));
  Txn txn(I);
  APPC_TRY_VOID(txn.begin());
  int64_t t = now_ns();
  Doomed d;
  std::set<std::string> tree_set;
  {
    auto st = APPC_TRY(I.prep("SELECT key, size FROM trees WHERE last_used_ns < ?1 "
                              "AND key NOT IN (SELECT tree_key FROM refs) ORDER BY key"));
    st.bind(1, t - opts.tree_grace_s * 1'000'000'000);
    while (APPC_TRY(st.step()))
      if (tree_set.insert(st.text(0)).second) {
        d.trees.push_back(st.text(0));
        d.bytes += uint64_t(st.i64(1));
      }
  }
  {
    auto st = APPC_TRY(I.prep(
        "SELECT id, size FROM images WHERE last_used_ns < ?1 AND id NOT IN (SELECT image_id FROM refs) "
        "AND NOT EXISTS (SELECT 1 FROM tree_layers l JOIN refs r ON r.tree_key = l.tree_key WHERE l.image_id = images.id) "
        "ORDER BY id"));
    st.bind(1, t - opts.image_grace_s * 1'000'000'000);
    while (APPC_TRY(st.step())) {
      d.images.push_back(st.text(0));
      d.bytes += uint64_t(st.i64(1));
    }
  }
  for (const auto &id : d.images)
    for (auto &[k, size] : APPC_TRY(trees_of(I, id)))
      if (tree_set.insert(k).second) {
        d.trees.push_back(k);
        d.bytes += size;
      }
  res.images_removed = d.images;
  res.trees_removed = d.trees;
  res.bytes_freed = d.bytes;
  if (opts.dry_run) {
    res.debris_removed += APPC_TRY(I.sweep_debris_locked(true, nullptr));
    return res;
  }
  TmpEntry trash;
  if (!d.images.empty() || !d.trees.empty()) trash = APPC_TRY(remove_locked(I, txn, d));
  else APPC_TRY_VOID(txn.commit());
  res.debris_removed += APPC_TRY(I.sweep_debris_locked(false, nullptr));
  lk.release();
  trash.discard();
  return res;
}

// ---------------------------------------------------------------- check

Result<CheckReport> Store::check(bool verify_hashes) {
  Impl &I = *impl_;
  std::lock_guard<std::mutex> g(I.mu);
  CheckReport rep;
  StoreLock lk(I);
  APPC_TRY_VOID(lk.acquire());
  auto &P = rep.problems;

  {
    auto st = APPC_TRY(I.prep("PRAGMA quick_check"));
    while (APPC_TRY(st.step()))
      if (st.text(0) != "ok") P.push_back(I.dir + "/index.db: " + st.text(0));
  }
  {
    auto st = APPC_TRY(I.prep("PRAGMA foreign_key_check"));
    while (APPC_TRY(st.step()))
      P.push_back(I.dir + "/index.db: row " + std::to_string(st.i64(1)) + " of table " + st.text(0) +
                  " refers to a missing row of " + st.text(2));
  }

  std::vector<std::string> ids;
  {
    auto st = APPC_TRY(I.prep("SELECT id FROM images ORDER BY id"));
    while (APPC_TRY(st.step())) ids.push_back(st.text(0));
  }
  rep.images = ids.size();
  for (const auto &id : ids) {
    ImageRecord rec = APPC_TRY(I.load_image(id));
    struct stat st;
    if (!is_full_image_id(id)) {
      P.push_back("image row \"" + id + "\": not an image ID");
      continue;
    }
    if (::stat(rec.blob_path.c_str(), &st) < 0) {
      P.push_back("image " + id + " (" + rec.name + "): its blob " + rec.blob_path + " is missing");
      continue;
    }
    if (uint64_t(st.st_size) != rec.size)
      P.push_back("image " + id + ": the blob has " + std::to_string(st.st_size) + " bytes, the index says " +
                  std::to_string(rec.size));
    if (verify_hashes) {
      auto info = aci::read_image(rec.blob_path);
      if (!info) P.push_back("image " + id + ": the blob does not read back: " + info.error().message);
      else if (info->id != id) P.push_back("image " + id + ": the blob hashes to " + info->id);
      else if (info->manifest_json != rec.manifest_json)
        P.push_back("image " + id + ": the stored manifest differs from the blob's");
    }
  }

  std::vector<std::string> keys;
  {
    auto st = APPC_TRY(I.prep("SELECT key FROM trees ORDER BY key"));
    while (APPC_TRY(st.step())) keys.push_back(st.text(0));
  }
  rep.trees = keys.size();
  for (const auto &k : keys) {
    TreeRecord t;
    if (!APPC_TRY(I.load_tree(k, t))) continue;
    struct stat st;
    if (::lstat(t.rootfs.c_str(), &st) < 0 || !S_ISDIR(st.st_mode)) {
      P.push_back("tree " + k + " (image " + t.image_id + "): " + t.rootfs + " is missing");
      continue;
    }
    if (t.layers.empty() || t.layers.back() != t.image_id)
      P.push_back("tree " + k + ": its layers do not end with its image " + t.image_id);
    if (verify_hashes) {
      auto d = digest_tree(t.rootfs, {});
      if (!d) P.push_back("tree " + k + ": cannot be walked: " + d.error().message);
      else if (d->digest != t.digest) P.push_back("tree " + k + ": digest " + d->digest + ", the index says " + t.digest);
    }
  }
  {
    auto st = APPC_TRY(I.prep("SELECT holder, tree_key FROM refs WHERE tree_key <> '' "
                              "AND tree_key NOT IN (SELECT key FROM trees)"));
    while (APPC_TRY(st.step()))
      P.push_back("reference of " + st.text(0) + " to tree " + st.text(1) + ", which does not exist");
  }
  {
    UniqueFd blobs(::openat(I.dirfd.get(), "blobs/sha512", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (blobs)
      for (const auto &sub : APPC_TRY(list_names(blobs.get(), I.dir + "/blobs/sha512"))) {
        UniqueFd sfd(::openat(blobs.get(), sub.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (sfd) rep.blobs += APPC_TRY(list_names(sfd.get(), sub)).size();
      }
  }
  (void)APPC_TRY(I.sweep_debris_locked(true, &P));
  (void)APPC_TRY(I.recover_tmp_locked(true, &P));
  return rep;
}

} // namespace appc::store
