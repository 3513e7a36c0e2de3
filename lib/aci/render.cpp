// Rendering an image with its dependencies (spec 48-56).
//
// 1. Plan: resolve the dependency graph depth-first from the image, each
//    dependency in its listed order, before anything is written. A layer is
//    one visit of an image: a dependency reached along two paths is applied
//    twice, each time under the whitelists of its own parent chain (spec 52:
//    A->[B,C], B->[D], C->[D] gives D, B, D, C, A). Cycles, missing
//    dependencies and size/ID/name mismatches are found here.
// 2. Apply: every layer's rootfs, in order, into a fresh directory beside the
//    target (later wins, spec 53), the image ID of each checked while it
//    streams (spec 56); then one rename puts the tree in place. On any error
//    the temporary tree is removed: the target is left as it was.
//
// pathWhitelist (spec 20, 51, 53): a layer's entry is kept iff every
// non-empty whitelist of its chain (the layer's own image and every image
// above it on the path that reached it) keeps it. A whitelist keeps a
// non-directory only when it lists its path; it keeps a directory when it
// lists it or lists something below it. Entries are compared after lexical
// cleaning ("/etc/systemd/system/" and "/etc//systemd/./system" both mean the
// directory /etc/systemd/system, which keeps that directory, not its contents:
// the list is the complete set of paths). An empty or absent whitelist keeps
// everything.
#include "aci/aci.hpp"
#include "util/fs.hpp"

#include <cerrno>
#include <fcntl.h>
#include <map>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_set>

namespace appc::aci {
namespace {

// Bounds on the plan: a lattice of diamonds doubles the layers at each level.
constexpr size_t kMaxLayers = 4096;
constexpr size_t kMaxDepth = 256;

// "/a/./b//c/" -> "/a/b/c"; ".." drops a component (never above "/"); a
// relative entry is taken from the root, as the reference renderer does.
std::string clean_abs(std::string_view p) {
  std::string out;
  out.reserve(p.size() + 1);
  size_t i = 0;
  while (i < p.size()) {
    while (i < p.size() && p[i] == '/') ++i;
    size_t j = i;
    while (j < p.size() && p[j] != '/') ++j;
    std::string_view comp = p.substr(i, j - i);
    i = j;
    if (comp.empty() || comp == ".") continue;
    if (comp == "..") {
      size_t slash = out.rfind('/');
      out.resize(slash == std::string::npos ? 0 : slash);
      continue;
    }
    out += '/';
    out.append(comp);
  }
  if (out.empty()) out = "/";
  return out;
}

class Whitelist {
public:
  explicit Whitelist(const std::vector<std::string> &entries) {
    for (const auto &e : entries) {
      std::string c = clean_abs(e);
      for (size_t slash = c.find('/', 1); slash != std::string::npos; slash = c.find('/', slash + 1))
        dirs_.insert(c.substr(0, slash));
      paths_.insert(std::move(c));
    }
  }
  bool keeps(const std::string &path, bool is_dir) const {
    if (path == "/") return true;
    if (paths_.count(path)) return true;
    return is_dir && dirs_.count(path);
  }

private:
  std::unordered_set<std::string> paths_;  // listed
  std::unordered_set<std::string> dirs_;   // ancestors of listed paths
};

struct Node {
  std::string path;
  ImageId id;
  spec::ImageManifest manifest;
  uint64_t size = 0;
  std::unique_ptr<Whitelist> whitelist;  // null: keeps everything
};

struct Layer {
  const Node *node;
  std::vector<const Node *> chain;  // the node, then every image above it on this path
};

std::string chain_text(const std::vector<const Node *> &stack) {
  std::string s;
  for (const Node *n : stack) {
    if (!s.empty()) s += " -> ";
    s += n->manifest.name;
  }
  return s;
}

std::string label_text(const spec::Labels &labels) {
  std::string s;
  for (const auto &l : labels) {
    if (!s.empty()) s += ",";
    s += l.name + "=" + l.value;
  }
  return s;
}

class Planner {
public:
  Planner(Resolver &resolver, const RenderOptions &opts) : resolver_(resolver), opts_(opts) {}

  Status plan(const std::string &aci_path) {
    ReadOptions ro;
    ro.limits = opts_.limits;
    auto info = read_image(aci_path, ro);
    if (!info) return std::move(info).error().wrap(aci_path);
    struct stat st;
    if (::stat(aci_path.c_str(), &st) < 0) return Error::from_errno(errno, "stat " + aci_path);
    auto node = std::make_unique<Node>();
    node->path = aci_path;
    node->id = info->id;
    node->manifest = std::move(info->manifest);
    node->size = static_cast<uint64_t>(st.st_size);
    if (!node->manifest.path_whitelist.empty()) node->whitelist = std::make_unique<Whitelist>(node->manifest.path_whitelist);
    const Node *top = node.get();
    nodes_.push_back(std::move(node));
    std::vector<const Node *> stack;
    return visit(top, stack);
  }

  std::vector<Layer> take_layers() { return std::move(layers_); }

private:
  Status visit(const Node *n, std::vector<const Node *> &stack) {
    if (stack.size() >= kMaxDepth)
      return Error::make(Code::limit, chain_text(stack) + ": dependencies nested deeper than " +
                                          std::to_string(kMaxDepth) + " levels");
    stack.push_back(n);
    for (const spec::Dependency &dep : n->manifest.dependencies) {
      const Node *d = APPC_TRY(load(dep, stack));
      for (size_t i = 0; i < stack.size(); ++i)
        if (stack[i]->id == d->id) {
          std::vector<const Node *> cycle(stack.begin() + static_cast<std::ptrdiff_t>(i), stack.end());
          cycle.push_back(d);
          return Error::make(Code::invalid, "dependency cycle: " + chain_text(cycle) + " (spec 51)", d->path);
        }
      APPC_TRY_VOID(visit(d, stack));
    }
    if (layers_.size() >= kMaxLayers)
      return Error::make(Code::limit, chain_text(stack) + ": more than " + std::to_string(kMaxLayers) +
                                          " layers to apply");
    Layer layer;
    layer.node = n;
    layer.chain.assign(stack.rbegin(), stack.rend());
    layers_.push_back(std::move(layer));
    stack.pop_back();
    return {};
  }

  // Resolve a dependency and check it against what the manifest asks for.
  Result<const Node *> load(const spec::Dependency &dep, const std::vector<const Node *> &stack) {
    std::string where = chain_text(stack);
    std::string what = "dependency \"" + dep.image_name + "\"";
    if (!dep.labels.empty()) what += " (" + label_text(dep.labels) + ")";
    auto res = resolver_.resolve(dep);
    if (!res) {
      Error e = std::move(res).error();
      if (e.code == Code::not_found) {
        e.message = where + ": " + what + " not found: " + e.message;
        return e;
      }
      return std::move(e).wrap(where + ": " + what);
    }
    ResolvedImage r = std::move(res).value();

    struct stat st;
    if (::stat(r.aci_path.c_str(), &st) < 0) return Error::from_errno(errno, where + ": " + what + ": stat " + r.aci_path);
    if (!S_ISREG(st.st_mode))
      return Error::make(Code::invalid, where + ": " + what + ": " + r.aci_path + " is not a regular file", r.aci_path);
    // spec 19: `size` is the size of the ACI as retrieved, in bytes (the file, compressed or not).
    if (dep.size && *dep.size != static_cast<uint64_t>(st.st_size))
      return Error::make(Code::verify,
                         where + ": " + what + ": size mismatch: the dependency declares " + std::to_string(*dep.size) +
                             " bytes, " + r.aci_path + " has " + std::to_string(st.st_size) + " (spec 19)",
                         r.aci_path);
    if (!dep.image_id.empty() && !r.id.empty() && r.id != dep.image_id)
      return Error::make(Code::verify,
                         where + ": " + what + ": image ID mismatch: the dependency asks for " + dep.image_id + ", " +
                             r.aci_path + " is " + r.id + " (spec 49)",
                         r.aci_path);

    std::string key = r.aci_path + "\n" + (r.id.empty() ? dep.image_id : r.id);
    if (auto it = by_key_.find(key); it != by_key_.end()) return it->second;

    auto node = std::make_unique<Node>();
    node->path = r.aci_path;
    node->size = static_cast<uint64_t>(st.st_size);
    if (r.manifest && !r.id.empty()) {
      node->id = r.id;
      node->manifest = std::move(*r.manifest);
    } else {
      ReadOptions ro;
      ro.limits = opts_.limits;
      auto info = read_image(r.aci_path, ro);
      if (!info) return std::move(info).error().wrap(where + ": " + what + ": " + r.aci_path);
      if (!r.id.empty() && info->id != r.id)
        return Error::make(Code::verify,
                           where + ": " + what + ": " + r.aci_path + " hashes to " + info->id +
                               ", the resolver expected " + r.id + " (spec 56)",
                           r.aci_path);
      node->id = info->id;
      node->manifest = std::move(info->manifest);
    }
    if (!dep.image_id.empty() && node->id != dep.image_id)
      return Error::make(Code::verify,
                         where + ": " + what + ": image ID mismatch: the dependency asks for " + dep.image_id + ", " +
                             r.aci_path + " is " + node->id + " (spec 49)",
                         r.aci_path);
    if (node->manifest.name != dep.image_name)
      return Error::make(Code::invalid,
                         where + ": " + what + ": " + r.aci_path + " holds an image named \"" + node->manifest.name +
                             "\" (spec 49)",
                         r.aci_path);
    for (const auto &want : dep.labels) {
      bool ok = false;
      for (const auto &have : node->manifest.labels)
        if (have.name == want.name) ok = have.value == want.value;
      if (!ok)
        return Error::make(Code::invalid,
                           where + ": " + what + ": " + r.aci_path + " does not carry the label " + want.name + "=" +
                               want.value + " (spec 49)",
                           r.aci_path);
    }
    if (!node->manifest.path_whitelist.empty())
      node->whitelist = std::make_unique<Whitelist>(node->manifest.path_whitelist);
    const Node *out = node.get();
    nodes_.push_back(std::move(node));
    by_key_.emplace(std::move(key), out);
    return out;
  }

  Resolver &resolver_;
  const RenderOptions &opts_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::map<std::string, const Node *> by_key_;
  std::vector<Layer> layers_;
};

// The target may be absent or an empty directory.
Status check_target(const std::string &dir) {
  struct stat st;
  if (::lstat(dir.c_str(), &st) < 0) {
    if (errno == ENOENT) return {};
    return Error::from_errno(errno, "stat " + dir);
  }
  if (!S_ISDIR(st.st_mode)) return Error::make(Code::exists, dir + ": exists and is not a directory", dir);
  bool empty = APPC_TRY(is_empty_dir(dir));
  if (!empty) return Error::make(Code::exists, dir + ": exists and is not empty", dir);
  return {};
}

class TempTree {
public:
  ~TempTree() {
    if (!path_.empty()) (void)remove_tree(path_);
  }
  std::string path_;
};

} // namespace

Result<RenderResult> render_image(const std::string &aci_path, Resolver &resolver, const std::string &dir,
                                  const RenderOptions &opts) {
  APPC_TRY_VOID(check_target(dir));

  Planner planner(resolver, opts);
  APPC_TRY_VOID(planner.plan(aci_path));
  std::vector<Layer> layers = planner.take_layers();

  TempTree tmp;
  tmp.path_ = APPC_TRY(make_sibling_tempdir(dir));
  // mkdtemp makes 0700; a rendered root is 0755 unless a layer's rootfs/ says otherwise.
  if (::chmod(tmp.path_.c_str(), 0755) < 0) return Error::from_errno(errno, "chmod " + tmp.path_);

  RenderResult result;
  uint64_t base_in = 0, base_out = 0, base_entries = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    const Layer &layer = layers[i];
    std::vector<const Whitelist *> lists;
    RenderedLayer rl;
    rl.id = layer.node->id;
    rl.name = layer.node->manifest.name;
    for (const Node *n : layer.chain)
      if (n->whitelist) {
        lists.push_back(n->whitelist.get());
        rl.whitelist_chain_owners.push_back(n->manifest.name);
      }

    ExtractOptions eo;
    eo.limits = opts.limits;
    eo.rootfs_only = true;
    eo.preserve_owners = opts.preserve_owners;
    eo.overlay_onto_existing = true;
    eo.expect_id = layer.node->id;
    if (!lists.empty()) {
      eo.filter = [lists](std::string_view path, bool is_dir) {
        std::string p = clean_abs(path);
        for (const Whitelist *w : lists)
          if (!w->keeps(p, is_dir)) return false;
        return true;
      };
    }
    if (opts.progress) {
      eo.progress = [&](const Progress &p) {
        Progress q = p;
        q.bytes_in = base_in + p.bytes_in;
        q.bytes_out = base_out + p.bytes_out;
        q.entries = base_entries + p.entries;
        q.phase = "render";
        return opts.progress(q);
      };
    }
    auto r = extract_image(layer.node->path, tmp.path_, eo);
    if (!r) {
      // The extractor's message names the file; the chain says why this layer is here.
      std::vector<const Node *> path(layer.chain.rbegin(), layer.chain.rend());
      std::string ctx = "layer " + std::to_string(i + 1) + "/" + std::to_string(layers.size()) + " (" +
                        chain_text(path) + ")";
      return std::move(r).error().wrap(ctx);
    }
    base_in += r->info.archive_size;
    base_out += r->info.tar_size;
    base_entries += r->info.entries;
    result.layers.push_back(std::move(rl));
  }

  if (::rename(tmp.path_.c_str(), dir.c_str()) < 0) {
    int err = errno;
    if (err == ENOTEMPTY || err == EEXIST)
      return Error::make(Code::exists, dir + ": was filled while rendering", dir);
    return Error::from_errno(err, "renaming the rendered tree to " + dir);
  }
  tmp.path_.clear();
  return result;
}

} // namespace appc::aci
