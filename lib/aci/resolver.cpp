// DirectoryResolver: the *.aci files of one directory serve as the source of
// dependencies until the store exists (spec 49 label matching).
//
// Choice among several matches (the spec leaves it open): the highest
// `version` label by SemVer 2.0.0 precedence; an image whose version label is
// absent or not SemVer ranks below every SemVer one; equal precedence (same
// version, or build metadata only differing, or no version) goes to the file
// whose name sorts first by bytes. So a resolution is never ambiguous.
#include "aci/aci.hpp"
#include "spec/manifest.hpp"
#include "util/fs.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace appc::aci {
namespace {

struct DirClose {
  void operator()(DIR *d) const noexcept { closedir(d); }
};

const std::string *label_value(const spec::Labels &labels, std::string_view name) {
  for (const auto &l : labels)
    if (l.name == name) return &l.value;
  return nullptr;
}

// spec 49: every label of the request present with the same value; a label
// the request does not name may have any value.
bool labels_match(const spec::Labels &request, const spec::Labels &have) {
  for (const auto &want : request) {
    const std::string *v = label_value(have, want.name);
    if (v == nullptr || *v != want.value) return false;
  }
  return true;
}

std::string describe_labels(const spec::Labels &labels) {
  std::string s;
  for (const auto &l : labels) {
    if (!s.empty()) s += ",";
    s += l.name + "=" + l.value;
  }
  return s;
}

std::string describe_request(const spec::Dependency &dep) {
  std::string s = "\"" + dep.image_name + "\"";
  if (!dep.labels.empty()) s += " with labels " + describe_labels(dep.labels);
  if (!dep.image_id.empty()) s += " and ID " + dep.image_id;
  return s;
}

bool is_numeric(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int compare_numeric(std::string_view a, std::string_view b) {
  // SemVer forbids leading zeros, so a longer number is a larger one.
  while (a.size() > 1 && a.front() == '0') a.remove_prefix(1);
  while (b.size() > 1 && b.front() == '0') b.remove_prefix(1);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  for (;;) {
    size_t end = s.find(sep, pos);
    if (end == std::string_view::npos) {
      out.push_back(s.substr(pos));
      return out;
    }
    out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
}

// SemVer 2.0.0 precedence (section 11) of two valid versions: <0, 0, >0.
int semver_compare(std::string_view a, std::string_view b) {
  auto strip_build = [](std::string_view v) {
    size_t plus = v.find('+');
    return plus == std::string_view::npos ? v : v.substr(0, plus);
  };
  a = strip_build(a);
  b = strip_build(b);
  auto split_pre = [](std::string_view v) -> std::pair<std::string_view, std::string_view> {
    size_t dash = v.find('-');
    if (dash == std::string_view::npos) return {v, {}};
    return {v.substr(0, dash), v.substr(dash + 1)};
  };
  auto [core_a, pre_a] = split_pre(a);
  auto [core_b, pre_b] = split_pre(b);
  auto ca = split(core_a, '.');
  auto cb = split(core_b, '.');
  for (size_t i = 0; i < 3 && i < ca.size() && i < cb.size(); ++i)
    if (int c = compare_numeric(ca[i], cb[i])) return c;
  // A pre-release version has lower precedence than the normal version.
  if (pre_a.empty() != pre_b.empty()) return pre_a.empty() ? 1 : -1;
  if (pre_a.empty()) return 0;
  auto ia = split(pre_a, '.');
  auto ib = split(pre_b, '.');
  for (size_t i = 0; i < ia.size() && i < ib.size(); ++i) {
    bool na = is_numeric(ia[i]), nb = is_numeric(ib[i]);
    if (na && nb) {
      if (int c = compare_numeric(ia[i], ib[i])) return c;
    } else if (na != nb) {
      return na ? -1 : 1;  // numeric identifiers rank below alphanumeric ones
    } else if (int c = ia[i].compare(ib[i])) {
      return c < 0 ? -1 : 1;
    }
  }
  if (ia.size() != ib.size()) return ia.size() < ib.size() ? -1 : 1;
  return 0;
}

} // namespace

Result<std::unique_ptr<DirectoryResolver>> DirectoryResolver::open(const std::string &dir, const Limits &limits) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error::from_errno(errno, "opening image directory " + dir);
  std::unique_ptr<DIR, DirClose> d(::fdopendir(fd));
  if (!d) {
    int err = errno;
    ::close(fd);
    return Error::from_errno(err, "reading image directory " + dir);
  }
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    dirent *de = ::readdir(d.get());
    if (de == nullptr) {
      if (errno != 0) return Error::from_errno(errno, "reading image directory " + dir);
      break;
    }
    std::string_view n = de->d_name;
    if (n.size() <= 4 || n.substr(n.size() - 4) != ".aci") continue;
    if (n.front() == '.') continue;  // temporary files of builds in progress
    names.emplace_back(n);
  }
  std::sort(names.begin(), names.end());

  auto r = std::unique_ptr<DirectoryResolver>(new DirectoryResolver());
  r->dir_ = dir;
  ReadOptions ro;
  ro.limits = limits;
  for (const auto &name : names) {
    std::string path = (!dir.empty() && dir.back() == '/') ? dir + name : dir + "/" + name;
    struct stat st;
    if (::fstatat(::dirfd(d.get()), name.c_str(), &st, 0) < 0) return Error::from_errno(errno, "stat " + path);
    if (!S_ISREG(st.st_mode)) continue;
    auto info = read_image(path, ro);
    if (!info) return std::move(info).error().wrap(path);
    r->entries_.push_back(Entry{path, info->id, std::move(info->manifest), info->archive_size});
  }
  return r;
}

Result<ResolvedImage> DirectoryResolver::resolve(const spec::Dependency &dep) {
  const Entry *best = nullptr;
  if (!dep.image_id.empty()) {
    for (const Entry &e : entries_)
      if (e.id == dep.image_id) {
        best = &e;
        break;
      }
    if (best == nullptr)
      return Error::make(Code::not_found,
                         "no image with ID " + dep.image_id + " (dependency " + describe_request(dep) + ") among the " +
                             std::to_string(entries_.size()) + " ACIs of " + dir_,
                         dep.image_name);
    if (best->manifest.name != dep.image_name)
      return Error::make(Code::invalid,
                         best->path + ": image " + dep.image_id + " is named \"" + best->manifest.name +
                             "\", the dependency asks for \"" + dep.image_name + "\" (spec 49)",
                         best->path);
    if (!labels_match(dep.labels, best->manifest.labels))
      return Error::make(Code::invalid,
                         best->path + ": image " + dep.image_id + " has labels " +
                             (best->manifest.labels.empty() ? "(none)" : describe_labels(best->manifest.labels)) +
                             ", the dependency asks for " + describe_labels(dep.labels) + " (spec 49)",
                         best->path);
  } else {
    const std::string *best_version = nullptr;
    bool best_semver = false;
    for (const Entry &e : entries_) {
      if (e.manifest.name != dep.image_name || !labels_match(dep.labels, e.manifest.labels)) continue;
      const std::string *v = label_value(e.manifest.labels, "version");
      bool semver = v != nullptr && spec::is_semver(*v);
      // Entries are in file-name order: only a strictly higher version replaces the first match.
      bool better = best == nullptr || (semver && !best_semver) ||
                    (semver && best_semver && semver_compare(*v, *best_version) > 0);
      if (better) {
        best = &e;
        best_version = v;
        best_semver = semver;
      }
    }
    if (best == nullptr) {
      std::string msg = "no image " + describe_request(dep) + " among the " + std::to_string(entries_.size()) +
                        " ACIs of " + dir_;
      std::string seen;
      size_t shown = 0, same_name = 0;
      for (const Entry &e : entries_) {
        if (e.manifest.name != dep.image_name) continue;
        ++same_name;
        if (shown++ < 8) {
          if (!seen.empty()) seen += "; ";
          size_t slash = e.path.rfind('/');
          seen += (slash == std::string::npos ? e.path : e.path.substr(slash + 1)) + ": " +
                  (e.manifest.labels.empty() ? "no labels" : describe_labels(e.manifest.labels));
        }
      }
      if (same_name > 0) {
        msg += " (images of that name: " + seen;
        if (same_name > shown) msg += "; and " + std::to_string(same_name - shown) + " more";
        msg += ")";
      }
      return Error::make(Code::not_found, msg, dep.image_name);
    }
  }
  ResolvedImage out;
  out.aci_path = best->path;
  out.id = best->id;
  out.manifest = best->manifest;
  return out;
}

} // namespace appc::aci
