// The appc 0.8.11 schema as plain C++ values (spec/checklist.md sections 1-3, 6-7).
// Pure data: no I/O. Parsing, validation and serialization live in manifest.hpp.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace appc::spec {

inline constexpr const char *kSpecVersion = "0.8.11";

struct Label {
  std::string name, value;
  bool operator==(const Label &) const = default;
};
using Labels = std::vector<Label>;

struct Annotation {
  std::string name, value;
  bool operator==(const Annotation &) const = default;
};
using Annotations = std::vector<Annotation>;

struct EnvVar {
  std::string name, value;
  bool operator==(const EnvVar &) const = default;
};

struct EventHandler {
  std::string name;                      // "pre-start" | "post-stop"
  std::vector<std::string> exec;
  bool operator==(const EventHandler &) const = default;
};

struct MountPoint {
  std::string name, path;
  bool read_only = false;
  bool operator==(const MountPoint &) const = default;
};

struct Port {
  std::string name, protocol;
  int64_t port = 0;                      // checked 1..65535 (spec 17)
  int64_t count = 1;                     // >= 1; port+count <= 65536
  bool socket_activated = false;
  bool operator==(const Port &) const = default;
};

// A resource quantity ("250m", "0.5", "1G", "512Mi", or a JSON number).
// `text` is the form it was written in (kept for canonical output);
// `milli` is the value in thousandths of the base unit (saturating),
// `value` the value in base units rounded up (cores, bytes, bytes/s, IO/s).
struct Quantity {
  std::string text;
  int64_t milli = 0;
  int64_t value = 0;
  bool operator==(const Quantity &) const = default;
};

// Typed isolator values, one alternative per isolator of checklist section 2.
struct ResourceCpu {                     // resource/cpu (spec 23)
  std::optional<Quantity> request, limit;
  bool operator==(const ResourceCpu &) const = default;
};
struct ResourceMemory {                  // resource/memory (spec 24)
  std::optional<Quantity> request, limit;
  bool operator==(const ResourceMemory &) const = default;
};
struct ResourceBandwidth {               // block-bandwidth, block-iops, network-bandwidth (25, 26)
  bool is_default = true;
  std::optional<Quantity> limit;
  bool operator==(const ResourceBandwidth &) const = default;
};
struct CapabilitySet {                   // os/linux/capabilities-{retain,remove}-set (29)
  std::vector<std::string> set;
  bool operator==(const CapabilitySet &) const = default;
};
struct NoNewPrivileges {                 // os/linux/no-new-privileges (30)
  bool enabled = false;
  bool operator==(const NoNewPrivileges &) const = default;
};
struct SeccompSet {                      // os/linux/seccomp-{remove,retain}-set (31-33)
  std::vector<std::string> set;
  std::string errno_name;                // empty: kill with SIGSYS
  bool operator==(const SeccompSet &) const = default;
};
struct SelinuxContext {                  // os/linux/selinux-context (34)
  std::string user, role, type, level;
  bool operator==(const SelinuxContext &) const = default;
};
struct Sysctl {                          // os/unix/sysctl (35); document order kept
  std::vector<std::pair<std::string, std::string>> entries;
  bool operator==(const Sysctl &) const = default;
};
struct CpuShares {                       // os/linux/cpu-shares (36), 2..262144
  int64_t shares = 0;
  bool operator==(const CpuShares &) const = default;
};
struct OomScoreAdj {                     // os/linux/oom-score-adj (36), -1000..1000
  int64_t adj = 0;
  bool operator==(const OomScoreAdj &) const = default;
};
struct UnknownIsolator {                 // a name libappc does not know: value kept as canonical JSON text
  std::string json;
  bool operator==(const UnknownIsolator &) const = default;
};

using IsolatorValue =
    std::variant<UnknownIsolator, ResourceCpu, ResourceMemory, ResourceBandwidth, CapabilitySet,
                 NoNewPrivileges, SeccompSet, SelinuxContext, Sysctl, CpuShares, OomScoreAdj>;

struct Isolator {
  std::string name;
  IsolatorValue value;
  bool operator==(const Isolator &) const = default;
};

struct App {
  std::vector<std::string> exec;
  std::string user, group;
  std::vector<int64_t> supplementary_gids;
  std::string working_directory;         // empty: absent (defaults to "/")
  std::vector<EventHandler> event_handlers;
  std::vector<EnvVar> environment;
  std::vector<MountPoint> mount_points;
  std::vector<Port> ports;
  std::vector<Isolator> isolators;
  std::vector<std::pair<std::string, std::string>> user_annotations;
  std::vector<std::pair<std::string, std::string>> user_labels;
  bool operator==(const App &) const = default;
};

struct Dependency {
  std::string image_name;
  std::string image_id;                  // empty: absent
  Labels labels;
  std::optional<uint64_t> size;
  bool operator==(const Dependency &) const = default;
};

struct ImageManifest {
  std::string ac_kind = "ImageManifest";
  std::string ac_version = kSpecVersion;
  std::string name;
  Labels labels;
  std::optional<App> app;
  std::vector<Dependency> dependencies;
  std::vector<std::string> path_whitelist;
  Annotations annotations;
  bool operator==(const ImageManifest &) const = default;
};

struct Volume {
  std::string name;
  std::string kind;                      // "host" | "empty"
  std::string source;                    // host only
  std::optional<bool> read_only;
  std::optional<bool> recursive;         // host only
  std::optional<std::string> mode;       // empty only, default "0755"
  std::optional<int64_t> uid, gid;       // empty only, default 0
  bool operator==(const Volume &) const = default;
};

struct Mount {
  std::string volume;
  std::string path;
  std::optional<Volume> app_volume;
  bool operator==(const Mount &) const = default;
};

struct RuntimeImage {
  std::string name;                      // empty: absent
  std::string id;                        // empty: absent (a template)
  Labels labels;
  bool operator==(const RuntimeImage &) const = default;
};

struct RuntimeApp {
  std::string name;
  RuntimeImage image;
  std::optional<App> app;                // replaces the image's app wholesale
  bool read_only_root_fs = false;
  std::vector<Mount> mounts;
  Annotations annotations;
  bool operator==(const RuntimeApp &) const = default;
};

struct ExposedPort {
  std::string name;
  int64_t host_port = 0;
  std::string host_ip;                   // empty: all addresses
  std::optional<Port> pod_port;
  bool operator==(const ExposedPort &) const = default;
};

struct PodManifest {
  std::string ac_kind = "PodManifest";
  std::string ac_version = kSpecVersion;
  std::vector<RuntimeApp> apps;
  std::vector<Volume> volumes;
  std::vector<Isolator> isolators;
  Annotations annotations;
  std::vector<ExposedPort> ports;
  std::vector<std::pair<std::string, std::string>> user_annotations;
  std::vector<std::pair<std::string, std::string>> user_labels;
  bool operator==(const PodManifest &) const = default;
};

} // namespace appc::spec
