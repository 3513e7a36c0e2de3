// The in-memory model of the rootfs/ namespace that validation keeps, so that
// it refuses exactly what extraction refuses (archive_stream.hpp, RootfsModel).
// Every rule here mirrors a line of extract.cpp; tests/unit/aci/consistency_test.cpp
// checks the two agree on hostile and random archives.
#include "aci/archive_stream.hpp"

#include <cstring>
#include <unordered_map>

namespace appc::aci::detail {

std::string owner_problem(struct archive_entry *e) {
  constexpr int64_t kMax = int64_t(uid_t(-1)) - 1;
  int64_t uid = la().archive_entry_uid(e), gid = la().archive_entry_gid(e);
  if (uid >= 0 && uid <= kMax && gid >= 0 && gid <= kMax) return {};
  return "owner " + std::to_string(uid) + ":" + std::to_string(gid) + " is out of range (0.." + std::to_string(kMax) +
         "); it cannot be preserved";
}

namespace {

enum : uint8_t { kDir, kFile, kLink, kNode };

struct Node {
  uint32_t parent = 0;     // directories: the physical parent (rootfs is its own)
  uint8_t type = kDir;
  uint32_t link = 0;       // symlinks: index into the targets
};

const char *node_kind(uint8_t t) {
  switch (t) {
  case kDir: return "directory";
  case kFile: return "regular file";
  case kLink: return "symlink";
  }
  return "device node or FIFO";
}

} // namespace

struct RootfsModel::Impl {
  Limits limits;
  std::vector<Node> nodes{Node{}};                                // 0: rootfs/
  std::unordered_map<NameKey, uint32_t, NameKeyHash> children;   // digest(parent id, name) -> node
  std::string link_bytes;                                         // every symlink target, end to end
  std::vector<std::pair<uint64_t, uint32_t>> links;               // offset, length in link_bytes
  uint64_t implicit_dirs = 0;
  // The parent of the previous entry, valid until something is replaced.
  std::string cache_rel;
  uint32_t cache_node = 0;
  bool cache_valid = false;

  // Called for every component of every lookup: the (parent, name) bytes go
  // through a stack buffer (a component of an entry's name is at most
  // NAME_MAX); only a longer one, from a symlink target, takes the heap.
  static NameKey key(uint32_t parent, std::string_view name) {
    char small[4 + kMaxNameBytes + 1];
    std::string big;
    char *buf = small;
    if (name.size() > kMaxNameBytes + 1) {
      big.resize(4 + name.size());
      buf = big.data();
    }
    std::memcpy(buf, &parent, 4);
    std::memcpy(buf + 4, name.data(), name.size());
    return name_key(std::string_view(buf, 4 + name.size()));
  }

  // 0 when absent (rootfs/ is never anyone's child).
  uint32_t lookup(uint32_t parent, std::string_view name) const {
    auto it = children.find(key(parent, name));
    return it == children.end() ? 0 : it->second;
  }

  std::string_view target(const Node &n) const {
    auto [off, len] = links[n.link];
    return std::string_view(link_bytes).substr(off, len);
  }

  struct Walk {
    uint32_t node = 0;
    bool ok = true;
    std::string why;   // the finding, without the entry's name
    int err = 0;       // the errno extraction's openat2 would see (EXDEV, ELOOP, ENOTDIR, ENOENT)
  };

  static std::string shown(const std::string &phys) { return phys.empty() ? "rootfs" : "rootfs/" + phys; }

  // Resolves `rel` (rootfs-relative, cleaned: no "..", no ".") as a
  // directory, following every symlink as openat2(RESOLVE_BENEATH) does.
  // With `create`, missing literal components are created as directories
  // (extraction's make_parents); a missing component inside a symlink's
  // target is a symlink to nothing either way.
  Result<Walk> walk(std::string_view rel, bool create) {
    Walk w;
    struct Pending {
      std::string text;
      size_t pos = 0;
      bool literal = false;
      std::string link;   // "rootfs/a -> /etc": the symlink this text came from
    };
    std::vector<Pending> stack;
    stack.push_back(Pending{std::string(rel), 0, true, {}});
    uint32_t cur = 0;
    std::string phys;        // cur's path below rootfs/, for messages
    size_t lit_end = 0;      // end of the literal component being resolved
    int hops = 0;
    auto fail = [&](int err, std::string why) {
      w.ok = false;
      w.err = err;
      w.why = std::move(why);
      return w;
    };
    while (!stack.empty()) {
      Pending &p = stack.back();
      if (p.pos >= p.text.size()) {
        stack.pop_back();
        continue;
      }
      size_t j = p.text.find('/', p.pos);
      if (j == std::string::npos) j = p.text.size();
      std::string comp = p.text.substr(p.pos, j - p.pos);
      bool literal = p.literal;
      std::string via = p.link;
      p.pos = j + 1;
      if (literal) lit_end = j;
      if (comp.empty() || comp == ".") continue;
      if (comp == "..") {   // only in symlink targets: the layout check refuses it in names
        if (cur == 0)
          return fail(EXDEV, "parent goes through a symlink that leads outside the target (" + via +
                                 " climbs out of rootfs/)");
        cur = nodes[cur].parent;
        size_t s = phys.rfind('/');
        phys.erase(s == std::string::npos ? 0 : s);
        continue;
      }
      std::string next_phys = phys.empty() ? comp : phys + "/" + comp;
      uint32_t child = lookup(cur, comp);
      if (!child) {
        if (literal && create) {
          if (++implicit_dirs > limits.max_entries)
            return Error::make(Code::limit, "more than " + std::to_string(limits.max_entries) +
                                                " missing parent directories to create (limits.max_entries)");
          child = uint32_t(nodes.size());
          nodes.push_back(Node{cur, kDir, 0});
          children.emplace(key(cur, comp), child);
        } else if (literal) {
          return fail(ENOENT, shown(next_phys) + " does not exist");
        } else {
          return fail(ENOENT, "the parent " + std::string(rel.substr(0, lit_end)) +
                                  " is a symlink to something that does not exist (" + via + ")");
        }
      }
      const Node &n = nodes[child];
      if (n.type == kDir) {
        cur = child;
        phys = std::move(next_phys);
        continue;
      }
      if (n.type == kLink) {
        std::string_view t = target(n);
        std::string link = shown(next_phys) + " -> " + std::string(t);
        if (++hops > kMaxSymlinkHops)
          return fail(ELOOP, "parent goes through a symlink loop or a magic link (more than " +
                                 std::to_string(kMaxSymlinkHops) + " symlinks to follow; the last: " + link + ")");
        if (!t.empty() && t.front() == '/')
          return fail(EXDEV, "parent goes through a symlink that leads outside the target (" + link +
                                 ": absolute)");
        stack.push_back(Pending{std::string(t), 0, false, std::move(link)});
        continue;
      }
      return fail(ENOTDIR, "a parent is not a directory (" + shown(next_phys) + " is a " + node_kind(n.type) +
                               (via.empty() ? std::string() : ", reached through " + via) + ")");
    }
    w.node = cur;
    return w;
  }

  void drop_cache() { cache_valid = false; }

  Status apply(struct archive_entry *e, const EntryInfo &ei, std::vector<Diagnostic> &diags) {
    std::string_view rel = std::string_view(ei.clean).substr(7);   // below "rootfs/"
    size_t slash = rel.rfind('/');
    std::string_view prel = slash == std::string_view::npos ? std::string_view() : rel.substr(0, slash);
    std::string_view name = slash == std::string_view::npos ? rel : rel.substr(slash + 1);
    auto add = [&](std::string msg) {
      diags.push_back(Diagnostic{ei.raw, std::move(msg), 0});
      return Status{};
    };

    // The parent, as extraction's parent() (which caches the last one too).
    uint32_t pnode = 0;
    if (!prel.empty()) {
      if (cache_valid && cache_rel == prel) {
        pnode = cache_node;
      } else {
        Walk w = APPC_TRY(walk(prel, true));
        if (!w.ok) return add(std::move(w.why));
        pnode = w.node;
        cache_rel.assign(prel);
        cache_node = pnode;
        cache_valid = true;
      }
    }

    uint8_t type = kFile;
    const char *kind = "file";
    uint32_t link = 0;
    if (ei.hardlink) {
      kind = "hardlink";
      std::string_view trel = std::string_view(ei.link_clean).substr(7);
      size_t ts = trel.rfind('/');
      std::string_view tprel = ts == std::string_view::npos ? std::string_view() : trel.substr(0, ts);
      std::string_view tname = ts == std::string_view::npos ? trel : trel.substr(ts + 1);
      uint32_t tp = 0;
      if (!tprel.empty()) {
        Walk w = APPC_TRY(walk(tprel, false));
        if (!w.ok) {
          if (w.err == EXDEV)
            return add("hardlink target's parent goes through a symlink that leads outside the target (" +
                       w.why.substr(w.why.find('(') + 1));
          return add("hardlink target \"" + ei.link_clean + "\": " + w.why);
        }
        tp = w.node;
      }
      uint32_t t = lookup(tp, tname);
      if (!t)
        return add("hardlink target \"" + ei.link_clean +
                   "\" is no longer there (a later entry replaced something on its path)");
      if (nodes[t].type == kDir)
        return add("hardlink target \"" + ei.link_clean + "\" is now a directory (a later entry replaced it)");
      if (tp == pnode && tname == name)
        return add("hardlink target \"" + ei.link_clean + "\" is this entry itself (reached through a symlink)");
      type = nodes[t].type;
      link = nodes[t].link;
    } else {
      switch (ei.type) {
      case AE_IFDIR: type = kDir; kind = "directory"; break;
      case AE_IFREG: type = kFile; kind = "file"; break;
      case AE_IFLNK: type = kLink; kind = "symlink"; break;
      case AE_IFIFO: type = kNode; kind = "FIFO"; break;
      default: type = kNode; kind = "device node"; break;
      }
      if (type == kLink) {
        const char *t = la().archive_entry_symlink(e);
        if (!t) t = la().archive_entry_symlink_utf8(e);
        size_t len = t ? std::strlen(t) : 0;
        if (link_bytes.size() + len > kMaxSymlinkTargetBytes)
          return Error::make(Code::limit, ei.raw + ": the archive's symlink targets add up to more than " +
                                              std::to_string(kMaxSymlinkTargetBytes) + " bytes",
                             ei.raw);
        link = uint32_t(links.size());
        links.emplace_back(link_bytes.size(), uint32_t(len));
        link_bytes.append(t ? t : "", len);
      }
    }

    NameKey k = key(pnode, name);
    auto it = children.find(k);
    if (it != children.end()) {
      const Node &old = nodes[it->second];
      if (old.type == kDir) {
        if (type == kDir) return {};   // merged
        return add(std::string("refusing to replace a directory with a ") + kind);
      }
      drop_cache();   // a symlink on some cached path may be what goes
    }
    uint32_t id = uint32_t(nodes.size());
    nodes.push_back(Node{pnode, type, link});
    if (it != children.end()) it->second = id;
    else children.emplace(k, id);
    return {};
  }
};

RootfsModel::RootfsModel(const Limits &limits) : impl_(std::make_unique<Impl>()) { impl_->limits = limits; }
RootfsModel::~RootfsModel() = default;

Status RootfsModel::apply(struct archive_entry *e, const EntryInfo &ei, std::vector<Diagnostic> &diags) {
  return impl_->apply(e, ei, diags);
}

} // namespace appc::aci::detail
