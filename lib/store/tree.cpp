// Rendered trees: an image with its dependencies, rendered once into
// trees/<key>/rootfs and shared by every user after that.
//
// tree(): plan the dependency DAG from the index (stored manifests; no archive
// is read), pinning every dependency to an image ID; the key is derived from
// the layer IDs in render order. An existing, verified tree is handed out at
// the cost of a few index queries (nothing is walked: the cost does not grow
// with the image). Otherwise the caller takes tmp/tree-<key>.lock (others
// asking for the same tree wait there), renders into a staging directory with
// aci::render_image and a resolver pinned to the plan, walks the result for
// its digest, and renames it into place with its index row under the store
// lock. A tree is verified (walked again, digest compared) by the first call
// that hands it out.
#include "store/store_impl.hpp"

#include "spec/manifest.hpp"
#include "util/hash.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

namespace appc::store {

// ---------------------------------------------------------------- digest

namespace {

class Walker {
public:
  explicit Walker(const aci::ProgressFn &progress) : progress_(progress), buf_(new char[kBuf]) {
    hash_.update("appc-tree-digest-1\n", 19);
  }

  // `dir` is the open directory at `rel`. Only the deepest kKeepOpen levels
  // keep their descriptor while a subtree is walked; a shallower one is closed
  // and reopened by its path from the root afterwards (the root fd is kept),
  // so a tree thousands of levels deep needs no more descriptors than that.
  Status walk_dir(UniqueFd &dir, const std::string &rel, size_t depth) {
    std::vector<std::string> names;
    {
      int dup = ::fcntl(dir.get(), F_DUPFD_CLOEXEC, 0);
      if (dup < 0) return Error::from_errno(errno, "reading " + show(rel));
      DIR *d = ::fdopendir(dup);
      if (!d) {
        ::close(dup);
        return Error::from_errno(errno, "reading " + show(rel));
      }
      errno = 0;
      while (struct dirent *de = ::readdir(d)) {
        if (std::strcmp(de->d_name, ".") && std::strcmp(de->d_name, "..")) names.emplace_back(de->d_name);
        errno = 0;
      }
      int err = errno;
      ::closedir(d);
      if (err) return Error::from_errno(err, "reading " + show(rel));
    }
    std::sort(names.begin(), names.end());
    for (const auto &n : names) {
      if (!dir) {
        auto r = open_beneath(root_fd_, std::string_view(rel).substr(1), O_RDONLY | O_DIRECTORY, 0,
                              RESOLVE_NO_SYMLINKS);
        if (!r) return Error::from_errno(r.error().sys_errno, "reopen " + show(rel));
        dir = std::move(r).value();
      }
      std::string path = rel + "/" + n;
      struct stat st;
      if (::fstatat(dir.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return Error::from_errno(errno, "stat " + show(path));
      APPC_TRY_VOID(entry(dir, n, path, st, depth));
    }
    return {};
  }

  Status root(int fd) {
    struct stat st;
    if (::fstat(fd, &st) < 0) return Error::from_errno(errno, "stat /");
    header('d', "/", st, 0);
    root_fd_ = fd;
    int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return Error::from_errno(errno, "dup");
    UniqueFd dir(dup);
    return walk_dir(dir, "", 0);
  }

  std::string base_;
  uint64_t size = 0, files = 0;
  Sha512 hash_;

private:
  static constexpr size_t kBuf = 1 << 20;
  static constexpr uint64_t kReportEvery = 64u << 20;
  static constexpr size_t kKeepOpen = 64;
  int root_fd_ = -1;

  std::string show(const std::string &rel) const { return base_ + (rel.empty() ? "/" : rel); }

  void header(char type, const std::string &path, const struct stat &st, uint64_t size_or_dev) {
    std::string h;
    h += type;
    h += ' ';
    h += std::to_string(st.st_mode & 07777) + ' ' + std::to_string(st.st_uid) + ' ' + std::to_string(st.st_gid) +
         ' ' + std::to_string(size_or_dev) + ' ';
    h += path;
    h += '\0';
    hash_.update(h.data(), h.size());
  }

  Status entry(UniqueFd &parent, const std::string &name, const std::string &path, const struct stat &st,
               size_t depth) {
    int dirfd = parent.get();
    ++files;
    if (progress_ && (files & 1023) == 0) {
      aci::Progress p;
      p.bytes_out = size;
      p.entries = files;
      p.phase = "verify";
      if (!progress_(p)) return Error::make(Code::cancelled, "verify cancelled");
    }
    switch (st.st_mode & S_IFMT) {
    case S_IFDIR: {
      header('d', path, st, 0);
      UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd) return Error::from_errno(errno, "open " + show(path));
      if (depth >= kKeepOpen) parent.reset();   // reopened by walk_dir when needed
      return walk_dir(fd, path, depth + 1);
    }
    case S_IFREG: {
      header('f', path, st, uint64_t(st.st_size));
      UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
      if (!fd) return Error::from_errno(errno, "open " + show(path));
      uint64_t got = 0, next_report = kReportEvery;
      for (;;) {
        ssize_t n = ::read(fd.get(), buf_.get(), kBuf);
        if (n < 0) {
          if (errno == EINTR) continue;
          return Error::from_errno(errno, "read " + show(path));
        }
        if (n == 0) break;
        hash_.update(buf_.get(), size_t(n));
        got += uint64_t(n);
        // Large files (a sparse one may be mostly holes) report as they go, so a cancel is seen.
        if (progress_ && got >= next_report) {
          next_report = got + kReportEvery;
          aci::Progress p;
          p.bytes_out = size + got;
          p.entries = files;
          p.phase = "verify";
          if (!progress_(p)) return Error::make(Code::cancelled, "verify cancelled");
        }
      }
      // A file that changed size while read: its header already said otherwise.
      if (got != uint64_t(st.st_size)) hash_.update("\n!size-changed", 14);
      size += got;
      return {};
    }
    case S_IFLNK: {
      std::string target(size_t(st.st_size) + 1, '\0');
      ssize_t n = ::readlinkat(dirfd, name.c_str(), target.data(), target.size());
      if (n < 0) return Error::from_errno(errno, "readlink " + show(path));
      target.resize(size_t(n));
      header('l', path, st, uint64_t(n));
      hash_.update(target.data(), target.size());
      return {};
    }
    case S_IFCHR: header('c', path, st, uint64_t(st.st_rdev)); return {};
    case S_IFBLK: header('b', path, st, uint64_t(st.st_rdev)); return {};
    case S_IFIFO: header('p', path, st, 0); return {};
    case S_IFSOCK: header('s', path, st, 0); return {};
    }
    header('?', path, st, 0);
    return {};
  }

  const aci::ProgressFn &progress_;
  std::unique_ptr<char[]> buf_;
};

} // namespace

Result<TreeDigest> digest_tree(const std::string &rootfs, const aci::ProgressFn &progress) {
  UniqueFd fd(::open(rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return Error::from_errno(errno, "open " + rootfs);
  Walker w(progress);
  w.base_ = rootfs;
  APPC_TRY_VOID(w.root(fd.get()));
  TreeDigest d;
  d.digest = w.hash_.image_id();
  d.size = w.size;
  d.files = w.files;
  return d;
}

// ---------------------------------------------------------------- plan

namespace {

constexpr size_t kMaxLayers = 4096;
constexpr size_t kMaxDepth = 256;

std::string dep_key(const spec::Dependency &d) {
  std::string k = d.image_name + '\0' + d.image_id + '\0';
  for (const auto &l : d.labels) k += l.name + '=' + l.value + '\0';
  return k;
}

struct PlanNode {
  ImageRecord rec;
  spec::ImageManifest manifest;
};

// The dependency DAG from the index, depth-first in listed order (spec 52),
// every dependency pinned to the image the lookup rule picks now.
class Planner {
public:
  explicit Planner(Store::Impl &impl) : impl_(impl) {}

  Status plan(const ImageRecord &top) {
    const PlanNode *n = APPC_TRY(node(top));
    std::vector<const PlanNode *> stack;
    return visit(n, stack);
  }

  std::vector<const PlanNode *> layers;
  std::map<std::string, const PlanNode *> pinned;   // dep_key -> node

private:
  static std::string chain(const std::vector<const PlanNode *> &stack) {
    std::string s;
    for (const PlanNode *n : stack) s += (s.empty() ? "" : " -> ") + n->manifest.name;
    return s;
  }

  Result<const PlanNode *> node(const ImageRecord &rec) {
    if (auto it = nodes_.find(rec.id); it != nodes_.end()) return static_cast<const PlanNode *>(it->second.get());
    auto m = spec::parse_image_manifest(rec.manifest_json);
    if (!m) return std::move(m).error().wrap("the stored manifest of " + rec.id);
    auto n = std::make_unique<PlanNode>();
    n->rec = rec;
    n->manifest = std::move(m).value();
    const PlanNode *p = n.get();
    nodes_.emplace(rec.id, std::move(n));
    return p;
  }

  Status visit(const PlanNode *n, std::vector<const PlanNode *> &stack) {
    if (stack.size() >= kMaxDepth)
      return Error::make(Code::limit, chain(stack) + ": dependencies nested deeper than " + std::to_string(kMaxDepth) +
                                          " levels");
    stack.push_back(n);
    for (const spec::Dependency &dep : n->manifest.dependencies) {
      std::string what = "dependency \"" + dep.image_name + "\"";
      auto rec = dep.image_id.empty() ? impl_.find(dep.image_name, dep.labels) : impl_.load_image(dep.image_id);
      if (!rec) {
        Error e = std::move(rec).error();
        e.message = chain(stack) + ": " + what + " is not in the store: " + e.message;
        return e;
      }
      if (rec->name != dep.image_name)
        return Error::make(Code::invalid, chain(stack) + ": " + what + ": image " + rec->id + " is named \"" +
                                              rec->name + "\" (spec 49)");
      for (const auto &want : dep.labels) {
        bool ok = false;
        for (const auto &have : rec->labels)
          if (have.name == want.name) ok = have.value == want.value;
        if (!ok)
          return Error::make(Code::invalid, chain(stack) + ": " + what + ": image " + rec->id +
                                                " does not carry the label " + want.name + "=" + want.value +
                                                " (spec 49)");
      }
      if (dep.size && *dep.size != rec->size)
        return Error::make(Code::verify, chain(stack) + ": " + what + ": size mismatch: the dependency declares " +
                                             std::to_string(*dep.size) + " bytes, image " + rec->id + " has " +
                                             std::to_string(rec->size) + " (spec 19)");
      const PlanNode *d = APPC_TRY(node(*rec));
      pinned.emplace(dep_key(dep), d);
      for (size_t i = 0; i < stack.size(); ++i)
        if (stack[i]->rec.id == d->rec.id) {
          std::vector<const PlanNode *> cyc(stack.begin() + std::ptrdiff_t(i), stack.end());
          cyc.push_back(d);
          return Error::make(Code::invalid, "dependency cycle: " + chain(cyc) + " (spec 51)");
        }
      APPC_TRY_VOID(visit(d, stack));
    }
    if (layers.size() >= kMaxLayers)
      return Error::make(Code::limit, chain(stack) + ": more than " + std::to_string(kMaxLayers) + " layers to apply");
    layers.push_back(n);
    stack.pop_back();
    return {};
  }

  Store::Impl &impl_;
  std::map<std::string, std::unique_ptr<PlanNode>> nodes_;
};

class PinnedResolver final : public aci::Resolver {
public:
  explicit PinnedResolver(const Planner &p) : p_(p) {}
  Result<aci::ResolvedImage> resolve(const spec::Dependency &dep) override {
    auto it = p_.pinned.find(dep_key(dep));
    if (it == p_.pinned.end())
      return Error::make(Code::internal, "dependency \"" + dep.image_name + "\" was not in the render plan");
    aci::ResolvedImage r;
    r.aci_path = it->second->rec.blob_path;
    r.id = it->second->rec.id;
    r.manifest = it->second->manifest;
    return r;
  }

private:
  const Planner &p_;
};

std::string tree_key(const std::vector<const PlanNode *> &layers, bool preserve_owners) {
  std::string s = "appc-tree-1\n";
  for (size_t i = 0; i < layers.size(); ++i) s += (i ? "\n" : "") + layers[i]->rec.id;
  s += preserve_owners ? "\npreserve_owners=1" : "\npreserve_owners=0";
  return sha512_hex(s.data(), s.size()).substr(0, 64);
}

Status write_small(int dirfd, const char *name, std::string_view data) {
  UniqueFd fd(::openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
  if (!fd) return Error::from_errno(errno, std::string("create ") + name);
  const char *p = data.data();
  size_t n = data.size();
  while (n) {
    ssize_t w = ::write(fd.get(), p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(errno, std::string("write ") + name);
    }
    p += w;
    n -= size_t(w);
  }
  return {};
}

} // namespace

// ---------------------------------------------------------------- tree()

Status Store::Impl::remove_tree_now_locked(const std::string &key) {
  Txn txn(*this);
  APPC_TRY_VOID(txn.begin());
  {
    auto st = APPC_TRY(prep("DELETE FROM refs WHERE tree_key = ?1"));
    st.bind(1, key);
    APPC_TRY_VOID(st.run());
  }
  {
    auto st = APPC_TRY(prep("DELETE FROM trees WHERE key = ?1"));
    st.bind(1, key);
    APPC_TRY_VOID(st.run());
  }
  // The row goes with the directory: move it aside in the same locked section.
  TmpEntry trash = APPC_TRY(TmpEntry::create(tmpfd.get(), "trash-", true));
  if (::renameat(treesfd.get(), key.c_str(), trash.fd(), key.c_str()) < 0 && errno != ENOENT)
    return Error::from_errno(errno, "moving " + tree_path(key) + " aside");
  APPC_TRY_VOID(txn.commit());
  trash.discard();
  return {};
}

Result<TreeRecord> Store::tree(std::string_view id_or_prefix, const TreeOptions &opts) {
  Impl &I = *impl_;
  std::lock_guard<std::mutex> g(I.mu);
  ImageRecord top = APPC_TRY(I.get(id_or_prefix));
  Planner planner(I);
  APPC_TRY_VOID(planner.plan(top));
  std::string key = tree_key(planner.layers, opts.preserve_owners);
  std::vector<std::string> layer_ids;
  for (const PlanNode *n : planner.layers) layer_ids.push_back(n->rec.id);

  // Hand out an existing tree: verify it first if nobody has yet.
  auto hand_out = [&](TreeRecord &t) -> Result<bool> {
    struct stat rst;
    if (t.verified && (::lstat(t.rootfs.c_str(), &rst) < 0 || !S_ISDIR(rst.st_mode))) {
      // Deleted behind the store's back: drop the row, render again (one stat: still O(1)).
      StoreLock lk(I);
      APPC_TRY_VOID(lk.acquire());
      TreeRecord again;
      if (APPC_TRY(I.load_tree(t.key, again)) && again.created_ns == t.created_ns)
        APPC_TRY_VOID(I.remove_tree_now_locked(t.key));
      return false;
    }
    if (!t.verified) {
      auto d = digest_tree(t.rootfs, opts.progress);
      bool bad = !d || d->digest != t.digest;
      if (!d && d.error().code == Code::cancelled) return std::move(d).error();
      if (bad) {
        std::string why = d ? "its digest is " + d->digest + ", the index recorded " + t.digest
                            : "it cannot be walked: " + d.error().message;
        StoreLock lk(I);
        APPC_TRY_VOID(lk.acquire());
        // Removed by rm/gc while it was walked (or re-rendered): not a verification failure.
        TreeRecord again;
        if (!APPC_TRY(I.load_tree(t.key, again)) || again.created_ns != t.created_ns) return false;
        APPC_TRY_VOID(I.remove_tree_now_locked(t.key));
        return Error::make(Code::verify, "tree " + t.key + " (" + t.path + ") of image " + t.image_id +
                                             " was modified after it was rendered: " + why +
                                             "; it was removed and will be rendered again on the next request",
                           t.path);
      }
    }
    Txn txn(I);
    APPC_TRY_VOID(txn.begin());
    TreeRecord now;
    if (!APPC_TRY(I.load_tree(t.key, now))) return false;   // removed meanwhile: render again
    int64_t ts = now_ns();
    {
      auto st = APPC_TRY(I.prep("UPDATE trees SET last_used_ns = ?2, verified = 1 WHERE key = ?1"));
      st.bind(1, t.key).bind(2, ts);
      APPC_TRY_VOID(st.run());
    }
    APPC_TRY_VOID(I.touch_images(now.layers, ts));
    if (!opts.holder.empty()) {
      auto st = APPC_TRY(I.prep("INSERT OR IGNORE INTO refs(holder, image_id, tree_key) VALUES(?1,?2,?3)"));
      st.bind(1, opts.holder).bind(2, now.image_id).bind(3, t.key);
      APPC_TRY_VOID(st.run());
      for (const auto &id : now.layers) {
        st.reset();
        st.bind(1, opts.holder).bind(2, id).bind(3, "");
        APPC_TRY_VOID(st.run());
      }
    }
    APPC_TRY_VOID(txn.commit());
    t = std::move(now);
    t.verified = true;
    t.last_used_ns = ts;
    return true;
  };

  for (int attempt = 0; attempt < 3; ++attempt) {
    TreeRecord t;
    if (APPC_TRY(I.load_tree(key, t))) {
      if (opts.prepare_only) return t;
      if (APPC_TRY(hand_out(t))) return t;
    }

    // Render, or wait for whoever is rendering it.
    std::string lock_name = "tree-" + key + ".lock";
    UniqueFd tlock = APPC_TRY(lock_named(I.tmpfd.get(), lock_name));
    struct Unlink {
      int dirfd;
      const std::string &name;
      ~Unlink() { ::unlinkat(dirfd, name.c_str(), 0); }   // while still holding the lock
    } unlink_lock{I.tmpfd.get(), lock_name};
    if (APPC_TRY(I.load_tree(key, t))) continue;   // rendered while we waited

    std::string staging = I.dir + "/trees/." + key + ".staging-XXXXXX";
    if (!::mkdtemp(staging.data())) return Error::from_errno(errno, "create a staging directory in " + I.dir + "/trees");
    struct Cleanup {
      std::string path;
      ~Cleanup() {
        if (!path.empty()) (void)remove_tree(path);
      }
    } cleanup{staging};
    if (::chmod(staging.c_str(), 0755) < 0) return Error::from_errno(errno, "chmod " + staging);
    PinnedResolver resolver(planner);
    aci::RenderOptions ro;
    ro.progress = opts.progress;
    ro.preserve_owners = opts.preserve_owners;
    auto rr = aci::render_image(top.blob_path, resolver, staging + "/rootfs", ro);
    if (!rr) return std::move(rr).error().wrap("rendering " + top.id);
    TreeDigest d = APPC_TRY(digest_tree(staging + "/rootfs", opts.progress));
    UniqueFd sfd(::open(staging.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!sfd) return Error::from_errno(errno, "open " + staging);
    APPC_TRY_VOID(write_small(sfd.get(), "manifest", top.manifest_json));
    APPC_TRY_VOID(write_small(sfd.get(), "digest", d.digest + "\n"));
    if (I.opts.durable && ::syncfs(sfd.get()) < 0) return Error::from_errno(errno, "syncfs " + staging);

    StoreLock lk(I);
    APPC_TRY_VOID(lk.acquire());
    Txn txn(I);
    APPC_TRY_VOID(txn.begin());
    for (const auto &id : layer_ids)
      if (!APPC_TRY(I.image_exists(id)))
        return Error::make(Code::not_found, "image " + id + " was removed while the tree of " + top.id +
                                                " was being rendered");
    // A directory without a row is debris (rows and directories change together under this lock).
    struct stat st;
    if (::fstatat(I.treesfd.get(), key.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
      APPC_TRY_VOID(remove_tree_at(I.treesfd.get(), key));
    std::string base = staging.substr(staging.rfind('/') + 1);
    if (::renameat(I.treesfd.get(), base.c_str(), I.treesfd.get(), key.c_str()) < 0)
      return Error::from_errno(errno, "renaming " + staging + " to " + I.tree_path(key));
    cleanup.path = I.tree_path(key);   // until the row is committed
    if (I.opts.durable) ::fsync(I.treesfd.get());
    int64_t ts = now_ns();
    {
      auto s = APPC_TRY(I.prep("INSERT INTO trees(key, image_id, preserve_owners, size, files, digest, verified, "
                               "created_ns, last_used_ns) VALUES(?1,?2,?3,?4,?5,?6,0,?7,?7)"));
      s.bind(1, key).bind(2, top.id).bind(3, opts.preserve_owners).bind(4, d.size).bind(5, d.files).bind(6, d.digest);
      s.bind(7, ts);
      APPC_TRY_VOID(s.run());
    }
    {
      auto s = APPC_TRY(I.prep("INSERT INTO tree_layers(tree_key, pos, image_id) VALUES(?1,?2,?3)"));
      for (size_t i = 0; i < layer_ids.size(); ++i) {
        s.reset();
        s.bind(1, key).bind(2, int64_t(i)).bind(3, layer_ids[i]);
        APPC_TRY_VOID(s.run());
      }
    }
    APPC_TRY_VOID(txn.commit());
    cleanup.path.clear();
    lk.release();
    // Loop: the tree is handed out (and verified) like any existing one.
  }
  return Error::make(Code::conflict, "the tree of " + top.id + " was removed again each time it was rendered");
}

Result<std::vector<TreeRecord>> Store::trees() {
  Impl &I = *impl_;
  std::lock_guard<std::mutex> g(I.mu);
  std::vector<std::string> keys;
  {
    auto st = APPC_TRY(I.prep("SELECT key FROM trees ORDER BY created_ns, key"));
    while (APPC_TRY(st.step())) keys.push_back(st.text(0));
  }
  std::vector<TreeRecord> out;
  for (const auto &k : keys) {
    TreeRecord t;
    if (APPC_TRY(I.load_tree(k, t))) out.push_back(std::move(t));
  }
  return out;
}

} // namespace appc::store
