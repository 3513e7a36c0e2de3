// Canonical serialization of manifests, and validate() of built manifests.
//
// The canonical form (docs/manifests.md): keys in the order of the spec's
// schema text, no insignificant whitespace, optional members omitted when
// absent, empty or equal to the default the type cannot tell from absent.
// Decoding the canonical form gives back the same value, so
// serialize(parse(serialize(x))) == serialize(x) byte for byte.
#include "spec/isolator.hpp"
#include "spec/manifest.hpp"
#include "spec/json_out.hpp"
#include "spec/manifest_detail.hpp"

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <optional>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace appc::spec {
namespace {

using Out = detail::JsonOut;

// An object being written: key() writes the separating comma and "key":.
class Obj {
public:
  explicit Obj(Out &o) : o_(o) { o_.put('{'); }
  ~Obj() { o_.put('}'); }
  Obj(const Obj &) = delete;
  Obj &operator=(const Obj &) = delete;

  Out &key(std::string_view k) {
    if (!first_) o_.put(',');
    first_ = false;
    o_.put('"');
    o_.raw(k);   // keys are the schema's own names: nothing to escape
    o_.raw("\":");
    return o_;
  }
  void str(std::string_view k, std::string_view v) { key(k).str(v); }

private:
  Out &o_;
  bool first_ = true;
};

template <class List, class F> void array(Out &o, const List &list, F &&each) {
  o.put('[');
  bool first = true;
  for (const auto &e : list) {
    if (!first) o.put(',');
    first = false;
    each(e);
  }
  o.put(']');
}

void string_list(Out &o, const std::vector<std::string> &v) {
  array(o, v, [&](const std::string &s) { o.str(s); });
}

void name_values(Out &o, const auto &list) {   // labels, annotations, environment
  array(o, list, [&](const auto &e) {
    Obj obj(o);
    obj.str("name", e.name);
    obj.str("value", e.value);
  });
}

void string_map(Out &o, const std::vector<std::pair<std::string, std::string>> &m) {
  o.put('{');
  bool first = true;
  for (const auto &[k, v] : m) {
    if (!first) o.put(',');
    first = false;
    o.str(k);
    o.put(':');
    o.str(v);
  }
  o.put('}');
}

struct Encoder {
  Out o;

  void isolators(const std::vector<Isolator> &list) {
    array(o, list, [&](const Isolator &iso) {
      Obj obj(o);
      obj.str("name", iso.name);
      obj.key("value");
      detail::JsonWriter w(o);
      encode_isolator_value(iso, w);
    });
  }

  void port(const Port &p) {
    Obj obj(o);
    obj.str("name", p.name);
    obj.str("protocol", p.protocol);
    obj.key("port").num(p.port);
    if (p.count != 1) obj.key("count").num(p.count);
    if (p.socket_activated) obj.key("socketActivated").boolean(true);
  }

  void app(const App &a) {
    Obj obj(o);
    if (!a.exec.empty()) string_list(obj.key("exec"), a.exec);
    obj.str("user", a.user);
    obj.str("group", a.group);
    if (!a.supplementary_gids.empty())
      array(obj.key("supplementaryGIDs"), a.supplementary_gids, [&](int64_t g) { o.num(g); });
    if (!a.event_handlers.empty())
      array(obj.key("eventHandlers"), a.event_handlers, [&](const EventHandler &h) {
        Obj ho(o);
        if (!h.exec.empty()) string_list(ho.key("exec"), h.exec);
        ho.str("name", h.name);
      });
    if (!a.working_directory.empty()) obj.str("workingDirectory", a.working_directory);
    if (!a.environment.empty()) name_values(obj.key("environment"), a.environment);
    if (!a.isolators.empty()) {
      obj.key("isolators");
      isolators(a.isolators);
    }
    if (!a.mount_points.empty())
      array(obj.key("mountPoints"), a.mount_points, [&](const MountPoint &m) {
        Obj mo(o);
        mo.str("name", m.name);
        mo.str("path", m.path);
        if (m.read_only) mo.key("readOnly").boolean(true);
      });
    if (!a.ports.empty()) array(obj.key("ports"), a.ports, [&](const Port &p) { port(p); });
    if (!a.user_annotations.empty()) string_map(obj.key("userAnnotations"), a.user_annotations);
    if (!a.user_labels.empty()) string_map(obj.key("userLabels"), a.user_labels);
  }

  void volume(const Volume &v) {
    Obj obj(o);
    obj.str("name", v.name);
    if (v.read_only) obj.key("readOnly").boolean(*v.read_only);
    obj.str("kind", v.kind);
    if (!v.source.empty()) obj.str("source", v.source);
    if (v.recursive) obj.key("recursive").boolean(*v.recursive);
    if (v.mode) obj.str("mode", *v.mode);
    if (v.uid) obj.key("uid").num(*v.uid);
    if (v.gid) obj.key("gid").num(*v.gid);
  }

  void manifest(const ImageManifest &m) {
    Obj obj(o);
    obj.str("acKind", m.ac_kind);
    obj.str("acVersion", m.ac_version);
    obj.str("name", m.name);
    if (!m.labels.empty()) name_values(obj.key("labels"), m.labels);
    if (m.app) {
      obj.key("app");
      app(*m.app);
    }
    if (!m.dependencies.empty())
      array(obj.key("dependencies"), m.dependencies, [&](const Dependency &d) {
        Obj dobj(o);
        dobj.str("imageName", d.image_name);
        if (!d.image_id.empty()) dobj.str("imageID", d.image_id);
        if (!d.labels.empty()) name_values(dobj.key("labels"), d.labels);
        if (d.size) dobj.key("size").num(*d.size);
      });
    if (!m.path_whitelist.empty()) string_list(obj.key("pathWhitelist"), m.path_whitelist);
    if (!m.annotations.empty()) name_values(obj.key("annotations"), m.annotations);
  }

  void manifest(const PodManifest &m) {
    Obj obj(o);
    obj.str("acVersion", m.ac_version);
    obj.str("acKind", m.ac_kind);
    // apps is required, so present even when empty.
    array(obj.key("apps"), m.apps, [&](const RuntimeApp &a) {
      Obj ao(o);
      ao.str("name", a.name);
      {
        ao.key("image");
        Obj io(o);
        if (!a.image.id.empty()) io.str("id", a.image.id);
        if (!a.image.name.empty()) io.str("name", a.image.name);
        if (!a.image.labels.empty()) name_values(io.key("labels"), a.image.labels);
      }
      if (a.app) {
        ao.key("app");
        app(*a.app);
      }
      if (a.read_only_root_fs) ao.key("readOnlyRootFS").boolean(true);
      if (!a.mounts.empty())
        array(ao.key("mounts"), a.mounts, [&](const Mount &mt) {
          Obj mo(o);
          mo.str("volume", mt.volume);
          mo.str("path", mt.path);
          if (mt.app_volume) {
            mo.key("appVolume");
            volume(*mt.app_volume);
          }
        });
      if (!a.annotations.empty()) name_values(ao.key("annotations"), a.annotations);
    });
    if (!m.volumes.empty()) array(obj.key("volumes"), m.volumes, [&](const Volume &v) { volume(v); });
    if (!m.isolators.empty()) {
      obj.key("isolators");
      isolators(m.isolators);
    }
    if (!m.annotations.empty()) name_values(obj.key("annotations"), m.annotations);
    if (!m.ports.empty())
      array(obj.key("ports"), m.ports, [&](const ExposedPort &p) {
        Obj po(o);
        po.str("name", p.name);
        po.key("hostPort").num(p.host_port);
        if (!p.host_ip.empty()) po.str("hostIP", p.host_ip);
        if (p.pod_port) {
          po.key("podPort");
          port(*p.pod_port);
        }
      });
    if (!m.user_annotations.empty()) string_map(obj.key("userAnnotations"), m.user_annotations);
    if (!m.user_labels.empty()) string_map(obj.key("userLabels"), m.user_labels);
  }
};

// The pretty form re-indents the canonical one, so both have the same
// members in the same order (the isolator encoders write to a plain Writer).
std::string prettify(std::string compact) {
  // Document::Accept recurses: keep to a depth the stack surely holds.
  if (detail::prescan(compact, 512).what != detail::Prescan::ok) return compact;
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(compact.data(), compact.size());
  if (doc.HasParseError()) return compact;   // a built manifest holding broken JSON: leave it to validate()
  rapidjson::StringBuffer sb;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> pw(sb);
  pw.SetIndent(' ', 4);
  doc.Accept(pw);
  return std::string(sb.GetString(), sb.GetSize());
}

template <class M> std::string serialize_impl(const M &m, const SerializeOptions &opts) {
  Encoder e;
  e.manifest(m);
  std::string out = std::move(e.o).take();
  return opts.pretty ? prettify(std::move(out)) : out;
}

template <class M> std::vector<Diagnostic> validate_impl(const M &m) {
  ParseOptions opts;
  opts.max_bytes = std::numeric_limits<size_t>::max();   // a built manifest is already in memory
  auto r = detail::parse_manifest<M>(serialize_impl(m, {}), opts);
  if (r) return {};
  return std::move(r).error().diagnostics;
}

} // namespace

std::string serialize(const ImageManifest &m, const SerializeOptions &opts) { return serialize_impl(m, opts); }
std::string serialize(const PodManifest &m, const SerializeOptions &opts) { return serialize_impl(m, opts); }

std::vector<Diagnostic> validate(const ImageManifest &m) { return validate_impl(m); }
std::vector<Diagnostic> validate(const PodManifest &m) { return validate_impl(m); }

} // namespace appc::spec
