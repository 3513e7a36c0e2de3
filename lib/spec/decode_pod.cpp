// JSON -> PodManifest (spec/pods.md, checklist section 7). The pieces a pod
// shares with an image (labels, annotations, the app object, ports,
// isolators) are in decode.cpp.
//
// A pod manifest may be a template (spec 70): image IDs may be absent and
// mounts may name volumes the pod does not define; reifying is the
// executor's job. Everything the spec text requires of every pod manifest is
// checked here, also where the reference validator is looser (docs/conformance.md).
#include "spec/decoder.hpp"
#include "spec/identifiers_detail.hpp"
#include "spec/manifest_detail.hpp"

namespace appc::spec::detail {
namespace {

constexpr uint32_t bit(int k) noexcept { return uint32_t{1} << k; }

} // namespace

void Decoder::volume(const JValue &v, const JsonPath &p, Volume &out, std::string_view *name_view) {
  if (!object(v, p, 78)) return;
  static constexpr Key keys[] = {"name", "readOnly", "kind", "source", "recursive", "mode", "uid", "gid"};
  enum { kName, kReadOnly, kKind, kSource, kRecursive, kMode, kUid, kGid };
  bool source_ok = false;   // a string, possibly empty
  uint32_t present = members(v, p, 78, keys, bit(kName) | bit(kKind), [&](size_t k, const JValue &x, const JsonPath &fp) {
    bool b;
    int64_t id;
    switch (k) {
    case kName:
      ac_name(x, fp, out.name);
      if (name_view && x.IsString()) *name_view = sv(x);
      break;
    case kReadOnly:
      if (boolean(x, fp, 78, b)) out.read_only = b;
      break;
    case kKind:
      if (string(x, fp, 78, out.kind) && out.kind != "host" && out.kind != "empty")
        report(fp, 78, quote(out.kind) + " is not a volume kind (expected \"empty\" or \"host\")");
      break;
    case kSource: source_ok = string(x, fp, 78, out.source); break;
    case kRecursive:
      if (boolean(x, fp, 78, b)) out.recursive = b;
      break;
    case kMode:
      if (string(x, fp, 78, out.mode.emplace()) && !is_octal_mode(*out.mode))
        report(fp, 78, quote(*out.mode) + " is not an octal permission string of up to 4 digits, such as \"0755\"");
      break;
    case kUid:
    case kGid:
      if (integer(x, fp, 78, kMinVolumeId, kMaxId, id)) (k == kUid ? out.uid : out.gid) = id;
      break;
    }
  });
  // Fields that belong to the other kind (spec 78; the reference rejects them too).
  if (out.kind == "host") {
    if (!(present & bit(kSource)) || (source_ok && out.source.empty()))
      report(p.field("source"), 78, "a host volume needs a source (an absolute path on the host)");
    else if (source_ok && !is_absolute_path(out.source))
      report(p.field("source"), 78, quote(out.source) + " is not an absolute path");
    for (int k : {kMode, kUid, kGid})
      if (present & bit(k)) report(p.field(keys[k].name), 78, std::string(keys[k].name) + " is only allowed for empty volumes");
  } else if (out.kind == "empty") {
    if (!out.source.empty()) report(p.field("source"), 78, "source is only allowed for host volumes");
  }
}

void Decoder::runtime_image(const JValue &v, const JsonPath &p, RuntimeImage &out) {
  if (!object(v, p, 73)) return;
  static constexpr Key keys[] = {"id", "name", "labels"};
  members(v, p, 73, keys, 0, [&](size_t k, const JValue &x, const JsonPath &fp) {
    switch (k) {
    case 0: image_id(x, fp, out.id); break;   // absent in a template (spec 70)
    case 1: ac_identifier(x, fp, out.name); break;
    case 2: labels(x, fp, out.labels); break;
    }
  });
}

void Decoder::mounts(const JValue &v, const JsonPath &p, std::vector<Mount> &out) {
  if (!array(v, p, 76)) return;
  static constexpr Key keys[] = {"volume", "path", "appVolume"};
  out.resize(v.Size());
  for (uint32_t i = 0; i < v.Size(); ++i) {
    const JValue &el = v[i];
    JsonPath ep = p.index(i);
    if (!object(el, ep, 76)) continue;
    Mount &m = out[i];
    uint32_t present = members(el, ep, 76, keys, bit(0), [&](size_t k, const JValue &x, const JsonPath &fp) {
      switch (k) {
      case 0: ac_name(x, fp, m.volume); break;
      case 1: nonempty_string(x, fp, 76, m.path); break;
      case 2: volume(x, fp, m.app_volume.emplace(), nullptr); break;
      }
    });
    if (!(present & bit(1))) {
      if (el.HasMember("mountPoint"))
        report(ep.field("path"), 76,
               "is required (the 0.5.2 form {volume, mountPoint} was replaced by {volume, path} in 0.7.0)");
      else
        missing(ep.field("path"), 76);
    }
  }
}

void Decoder::runtime_app(const JValue &v, const JsonPath &p, RuntimeApp &out, std::string_view *name_view) {
  if (!object(v, p, 72)) return;
  static constexpr Key keys[] = {"name", "image", "app", "readOnlyRootFS", "mounts", "annotations"};
  uint32_t present = members(v, p, 72, keys, bit(0), [&](size_t k, const JValue &x, const JsonPath &fp) {
    switch (k) {
    case 0:
      ac_name(x, fp, out.name);
      if (name_view && x.IsString()) *name_view = sv(x);
      break;
    case 1: runtime_image(x, fp, out.image); break;
    case 2: app(x, fp, 74, out.app.emplace()); break;
    case 3: boolean(x, fp, 75, out.read_only_root_fs); break;
    case 4: mounts(x, fp, out.mounts); break;
    case 5: annotations(x, fp, 77, AnnotationNames::name, out.annotations); break;
    }
  });
  if (!(present & bit(1))) missing(p.field("image"), 73);
}

void Decoder::exposed_port(const JValue &v, const JsonPath &p, ExposedPort &out, std::string_view *name_view) {
  if (!object(v, p, 79)) return;
  static constexpr Key keys[] = {"name", "hostPort", "hostIP", "podPort"};
  members(v, p, 79, keys, bit(0) | bit(1), [&](size_t k, const JValue &x, const JsonPath &fp) {
    switch (k) {
    case 0:
      ac_name(x, fp, out.name);
      if (name_view && x.IsString()) *name_view = sv(x);
      break;
    case 1: integer(x, fp, 79, 1, 65535, out.host_port); break;
    case 2:
      if (string(x, fp, 79, out.host_ip) && !is_ipv4_dotted_quad(out.host_ip))
        report(fp, 79, quote(out.host_ip) + " is not an IPv4 address in dotted-quad notation");
      break;
    case 3: port(x, fp, out.pod_port.emplace(), nullptr); break;
    }
  });
}

void Decoder::pod_manifest(const JValue &root, PodManifest &out) {
  static constexpr Key keys[] = {"acVersion",   "acKind", "apps",  "volumes",        "isolators",
                                 "annotations", "ports",  "userAnnotations", "userLabels"};
  enum { kVersion, kKind, kApps, kVolumes, kIsolators, kAnnotations, kPorts, kUserAnnotations, kUserLabels };
  uint32_t present = members(root, JsonPath::root(), 71, keys, bit(kVersion) | bit(kKind),
          [&](size_t k, const JValue &x, const JsonPath &fp) {
            switch (k) {
            case kVersion: ac_version(x, fp, out.ac_version); break;
            case kKind: ac_kind(x, fp, "PodManifest", out.ac_kind); break;
            case kApps: {
              if (!array(x, fp, 72)) break;
              out.apps.resize(x.Size());
              NameSet names(x.Size());
              for (uint32_t i = 0; i < x.Size(); ++i) {
                std::string_view name;
                runtime_app(x[i], fp.index(i), out.apps[i], &name);
                if (!name.empty() && !names.insert(name))
                  report(fp.index(i).field("name"), 72, "duplicate app name " + quote(name));
              }
              break;
            }
            case kVolumes: {
              if (!array(x, fp, 78)) break;
              out.volumes.resize(x.Size());
              NameSet names(x.Size());
              for (uint32_t i = 0; i < x.Size(); ++i) {
                std::string_view name;
                volume(x[i], fp.index(i), out.volumes[i], &name);
                if (!name.empty() && !names.insert(name))
                  report(fp.index(i).field("name"), 78, "duplicate volume name " + quote(name));
              }
              break;
            }
            case kIsolators: isolators(x, fp, 79, IsolatorScope::pod, out.isolators); break;
            case kAnnotations: annotations(x, fp, 79, AnnotationNames::name, out.annotations); break;
            case kPorts: {
              if (!array(x, fp, 79)) break;
              out.ports.resize(x.Size());
              NameSet names(x.Size());
              for (uint32_t i = 0; i < x.Size(); ++i) {
                std::string_view name;
                exposed_port(x[i], fp.index(i), out.ports[i], &name);
                if (!name.empty() && !names.insert(name))
                  report(fp.index(i).field("name"), 79, "duplicate port name " + quote(name));
              }
              break;
            }
            case kUserAnnotations: string_map(x, fp, 80, out.user_annotations); break;
            case kUserLabels: string_map(x, fp, 80, out.user_labels); break;
            }
          });
  if (!(present & bit(kApps))) missing(JsonPath::root().field("apps"), 72);
}

} // namespace appc::spec::detail
