// Isolators (checklist section 2, items 22-36): the value of each known
// isolator decoded into its typed form, the canonical encoding, and the rules
// over a whole list. docs/isolators.md explains every decision taken here.
//
// Speed: manifests are decoded often, so the happy path builds no strings
// besides the decoded values themselves; paths and messages are made only
// when a finding is reported.
#include "spec/isolator.hpp"


#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <unordered_set>

namespace appc::spec {

namespace {

using detail::json::Value;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

enum class Kind : uint8_t {
  unknown,
  cpu,
  memory,
  block_bandwidth,
  block_iops,
  network_bandwidth,
  caps_retain,
  caps_remove,
  no_new_privileges,
  seccomp_remove,
  seccomp_retain,
  selinux_context,
  sysctl,
  cpu_shares,
  oom_score_adj,
  count,
};

struct KindInfo {
  std::string_view name;
  Kind kind;
  int rule;        // checklist item
  bool app_only;   // not allowed in a pod's own isolators
  bool once;       // at most one per list
};

// Scopes from spec/ace.md: resources and selinux-context are app/pod,
// sysctl is pod but also accepted in apps (the spec's own example wraps it in
// an image), everything else is app only. `once`: the spec's "one per app/pod"
// rules plus the reference's multipleAllowed() == false; no-new-privileges and
// the resources may repeat (the reference and the corpus allow it).
constexpr std::array<KindInfo, 14> kKinds{{
    {"resource/cpu", Kind::cpu, 23, false, false},
    {"resource/memory", Kind::memory, 24, false, false},
    {"resource/block-bandwidth", Kind::block_bandwidth, 25, false, false},
    {"resource/block-iops", Kind::block_iops, 25, false, false},
    {"resource/network-bandwidth", Kind::network_bandwidth, 26, false, false},
    {"os/linux/capabilities-retain-set", Kind::caps_retain, 29, true, true},
    {"os/linux/capabilities-remove-set", Kind::caps_remove, 29, true, true},
    {"os/linux/no-new-privileges", Kind::no_new_privileges, 30, true, false},
    {"os/linux/seccomp-remove-set", Kind::seccomp_remove, 31, true, true},
    {"os/linux/seccomp-retain-set", Kind::seccomp_retain, 32, true, true},
    {"os/linux/selinux-context", Kind::selinux_context, 34, false, true},
    {"os/unix/sysctl", Kind::sysctl, 35, false, true},
    {"os/linux/cpu-shares", Kind::cpu_shares, 36, true, true},
    {"os/linux/oom-score-adj", Kind::oom_score_adj, 36, true, true},
}};

const KindInfo *find_kind(std::string_view name) noexcept {
  for (const KindInfo &k : kKinds)
    if (k.name == name) return &k;
  return nullptr;
}

const KindInfo &info(Kind kind) noexcept {
  for (const KindInfo &k : kKinds)
    if (k.kind == kind) return k;
  return kKinds[0];  // unreachable for kinds of the table
}

// ---------------------------------------------------------------- reporting

const char *type_name(const Value &v) noexcept {
  switch (v.GetType()) {
  case detail::json::Type::null_value: return "null";
  case detail::json::Type::false_value:
  case detail::json::Type::true_value: return "a boolean";
  case detail::json::Type::object: return "an object";
  case detail::json::Type::array: return "an array";
  case detail::json::Type::string: return "a string";
  case detail::json::Type::number: return "a number";
  }
  return "a value";
}

// `s` as a JSON string literal for a message, cut after 64 bytes (at a
// character boundary) so hostile input cannot make messages huge.
std::string quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() < 64 ? s.size() + 2 : 72);
  out += '"';
  size_t n = 0;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (n >= 64 && (c & 0xC0) != 0x80) {
      out += "...";
      break;
    }
    ++n;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      static const char hex[] = "0123456789abcdef";
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += ch;
    }
  }
  out += '"';
  return out;
}

void report(std::vector<Diagnostic> &diags, const JsonPath &path, std::string message, int rule) {
  diags.push_back(Diagnostic{path.str(), std::move(message), rule});
}

std::string_view sv(const Value &s) noexcept { return {s.GetString(), s.GetStringLength()}; }

// The value as compact JSON. The parser holds no NaN or infinity (a literal
// too large for a double is a syntax error), so every value can be written.
std::string compact(const Value &value) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  value.Accept(w);
  return std::string(sb.GetString(), sb.GetSize());
}

// ---------------------------------------------------------------- members

// The members a value object may have, found in one pass over the object.
// Unknown members are ignored (as the reference does); a member given twice
// is reported, because which one counts would otherwise depend on the parser.
// JSON null counts as absent, as for the reference's pointer members.
// `names` are string literals, so their data() also serves as a path key.
template <size_t N> struct Members {
  std::array<std::string_view, N> names;
  std::array<const Value *, N> found{};
  std::array<bool, N> seen{};

  void collect(const Value &obj, const JsonPath &path, int rule, std::vector<Diagnostic> &diags) {
    for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m) {
      const std::string_view key = sv(m->name);
      for (size_t i = 0; i < N; ++i) {
        if (key != names[i]) continue;
        if (seen[i])
          report(diags, path.field(names[i].data()), "member " + quote(key) + " appears more than once", rule);
        seen[i] = true;
        if (!found[i] && !m->value.IsNull()) found[i] = &m->value;
        break;
      }
    }
  }
  const Value *operator[](size_t i) const noexcept { return found[i]; }
};

// ---------------------------------------------------------------- quantities

// Textual form of a JSON number, as the reference keeps it.
std::string number_text(const Value &v) {
  char buf[32];
  if (v.IsUint64()) {
    auto r = std::to_chars(buf, buf + sizeof buf, v.GetUint64());
    return std::string(buf, r.ptr);
  }
  if (v.IsInt64()) {
    auto r = std::to_chars(buf, buf + sizeof buf, v.GetInt64());
    return std::string(buf, r.ptr);
  }
  return compact(v);
}

std::optional<Quantity> decode_quantity(const Value &v, const JsonPath &path, std::vector<Diagnostic> &diags) {
  Quantity q;
  bool ok;
  if (v.IsString()) {
    ok = parse_quantity(sv(v), q);
    if (!ok) report(diags, path, quote(sv(v)) + " is not a quantity", 27);
  } else if (v.IsNumber()) {
    const std::string text = number_text(v);
    ok = parse_quantity(text, q);
    if (!ok) report(diags, path, text + " is not a quantity", 27);
  } else {
    report(diags, path,
           std::string("must be a quantity (a string such as \"512Mi\" or a number), got ") + type_name(v), 27);
    return std::nullopt;
  }
  if (!ok) return std::nullopt;
  if (!q.text.empty() && q.text[0] == '-') {
    report(diags, path, quote(q.text) + " is negative; resource quantities must not be negative", 27);
    return std::nullopt;
  }
  return q;
}

// ---------------------------------------------------------------- per isolator

template <class R>
R decode_request_limit(const KindInfo &k, const Value &value, const JsonPath &path, std::vector<Diagnostic> &diags) {
  R out;
  if (!value.IsObject()) {
    report(diags, path,
           std::string("must be an object such as {\"request\": ..., \"limit\": ...}, got ") + type_name(value),
           k.rule);
    return out;
  }
  Members<3> m{{"request", "limit", "default"}};
  m.collect(value, path, k.rule, diags);
  if (const Value *d = m[2]) {
    if (!d->IsBool())
      report(diags, path.field("default"), std::string("must be a boolean, got ") + type_name(*d), k.rule);
    else if (d->GetBool())
      report(diags, path.field("default"), "must be false for " + std::string(k.name), k.rule);
  }
  if (m[0]) out.request = decode_quantity(*m[0], path.field("request"), diags);
  if (m[1]) out.limit = decode_quantity(*m[1], path.field("limit"), diags);
  return out;
}

ResourceBandwidth decode_bandwidth(const KindInfo &k, const Value &value, const JsonPath &path,
                                   std::vector<Diagnostic> &diags) {
  ResourceBandwidth out;
  if (!value.IsObject()) {
    report(diags, path,
           std::string("must be an object such as {\"default\": true, \"limit\": \"1G\"}, got ") + type_name(value),
           k.rule);
    return out;
  }
  Members<3> m{{"default", "limit", "request"}};
  m.collect(value, path, k.rule, diags);
  if (const Value *d = m[0]) {
    if (!d->IsBool()) {
      report(diags, path.field("default"), std::string("must be a boolean, got ") + type_name(*d), k.rule);
    } else if (!d->GetBool()) {
      out.is_default = false;
      report(diags, path.field("default"), "must be true for " + std::string(k.name), k.rule);
    }
  } else {
    report(diags, path, "\"default\": true is required for " + std::string(k.name), k.rule);
  }
  if (m[2]) report(diags, path.field("request"), "request not supported by this resource, must be empty", k.rule);
  if (m[1])
    out.limit = decode_quantity(*m[1], path.field("limit"), diags);
  else
    report(diags, path, "\"limit\" is required for " + std::string(k.name), k.rule);
  return out;
}

// CAP_ followed by upper-case letters, digits and '_' (names are not checked
// against the kernel's list: the reference does not, and a kernel newer than
// libappc may know more).
bool is_capability_name(std::string_view s) noexcept {
  if (s.size() <= 4 || s.substr(0, 4) != "CAP_") return false;
  for (char c : s.substr(4))
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

// A syscall name: lower-case letters, digits and '_', not starting with a digit.
bool is_syscall_name(std::string_view s) noexcept {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

// "@scope/name": after '@', lower-case letters, digits and "-._~" in
// '/'-separated non-empty parts, at least two of them.
bool is_wildcard(std::string_view s) noexcept {
  if (s.size() < 4 || s[0] != '@') return false;
  bool slash = false;
  char prev = '/';
  for (char c : s.substr(1)) {
    if (c == '/') {
      if (prev == '/') return false;
      slash = true;
    } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                 c == '~')) {
      return false;
    }
    prev = c;
  }
  return slash && prev != '/';
}

// E followed by upper-case letters and digits (EPERM, EACCES, E2BIG). Names
// are not checked against a list: the spec's own example uses "EACCESS".
bool is_errno_name(std::string_view s) noexcept {
  if (s.size() < 2 || s[0] != 'E') return false;
  for (char c : s.substr(1))
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

// A list of strings under "set", non-empty; `check` validates one entry and
// returns an empty string or the reason it is bad.
template <class Check>
std::vector<std::string> decode_set(const KindInfo &k, const Value *set, const JsonPath &path, const char *what,
                                    Check check, std::vector<Diagnostic> &diags) {
  std::vector<std::string> out;
  if (!set) {
    report(diags, path, "\"set\" is required", k.rule);
    return out;
  }
  const JsonPath sp = path.field("set");
  if (!set->IsArray()) {
    report(diags, sp, std::string("must be a list of ") + what + ", got " + type_name(*set), k.rule);
    return out;
  }
  if (set->Empty()) {
    report(diags, sp, "must be non-empty", k.rule);
    return out;
  }
  out.reserve(set->Size());
  for (uint32_t i = 0; i < set->Size(); ++i) {
    const Value &e = (*set)[i];
    if (!e.IsString()) {
      report(diags, sp.index(i), std::string("must be a string, got ") + type_name(e), k.rule);
      continue;
    }
    const std::string_view s = sv(e);
    if (auto [why, rule] = check(s); why) report(diags, sp.index(i), quote(s) + why, rule);
    out.emplace_back(s);
  }
  return out;
}

struct Finding {
  const char *why;  // nullptr: fine
  int rule;
};

CapabilitySet decode_caps(const KindInfo &k, const Value &value, const JsonPath &path,
                          std::vector<Diagnostic> &diags) {
  CapabilitySet out;
  if (!value.IsObject()) {
    report(diags, path,
           std::string("must be an object such as {\"set\": [\"CAP_NET_BIND_SERVICE\"]}, got ") + type_name(value),
           k.rule);
    return out;
  }
  Members<1> m{{"set"}};
  m.collect(value, path, k.rule, diags);
  out.set = decode_set(
      k, m[0], path, "capability names",
      [&](std::string_view s) {
        return is_capability_name(s)
                   ? Finding{nullptr, 0}
                   : Finding{" is not a capability name (CAP_ followed by upper-case letters, digits or '_')", k.rule};
      },
      diags);
  return out;
}

SeccompSet decode_seccomp(const KindInfo &k, const Value &value, const JsonPath &path,
                          std::vector<Diagnostic> &diags) {
  SeccompSet out;
  if (!value.IsObject()) {
    report(diags, path,
           std::string("must be an object such as {\"set\": [\"reboot\"], \"errno\": \"EPERM\"}, got ") +
               type_name(value),
           k.rule);
    return out;
  }
  Members<2> m{{"set", "errno"}};
  m.collect(value, path, k.rule, diags);
  out.set = decode_set(
      k, m[0], path, "syscall names or @-wildcards",
      [&](std::string_view s) {
        if (s.empty() || s[0] != '@')
          return is_syscall_name(s)
                     ? Finding{nullptr, 0}
                     : Finding{" is not a syscall name (lower-case letters, digits and '_') or an @-wildcard", k.rule};
        if (!is_wildcard(s)) return Finding{" is not a wildcard of the form @scope/name", 33};
        if (s.substr(0, 9) == "@appc.io/" && s != "@appc.io/all" && s != "@appc.io/empty")
          return Finding{" is not defined: the reserved @appc.io/ scope has only @appc.io/all and @appc.io/empty", 33};
        return Finding{nullptr, 0};
      },
      diags);
  if (const Value *e = m[1]) {
    if (!e->IsString()) {
      report(diags, path.field("errno"), std::string("must be a string, got ") + type_name(*e), 33);
    } else if (e->GetStringLength() != 0) {
      const std::string_view s = sv(*e);
      if (!is_errno_name(s))
        report(diags, path.field("errno"),
               quote(s) + " is not an errno name (E followed by upper-case letters or digits, e.g. EPERM)", 33);
      out.errno_name.assign(s);
    }
  }
  return out;
}

bool has_control_char(std::string_view s) noexcept {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

SelinuxContext decode_selinux(const KindInfo &k, const Value &value, const JsonPath &path,
                              std::vector<Diagnostic> &diags) {
  SelinuxContext out;
  if (!value.IsObject()) {
    report(diags, path,
           std::string("must be an object {\"user\", \"role\", \"type\", \"level\"}, got ") + type_name(value),
           k.rule);
    return out;
  }
  Members<4> m{{"user", "role", "type", "level"}};
  m.collect(value, path, k.rule, diags);
  std::string *fields[4] = {&out.user, &out.role, &out.type, &out.level};
  for (size_t i = 0; i < 4; ++i) {
    const Value *f = m[i];
    if (!f) {
      report(diags, path, "\"" + std::string(m.names[i]) + "\" is required", k.rule);
      continue;
    }
    const JsonPath fp = path.field(m.names[i].data());
    if (!f->IsString()) {
      report(diags, fp, std::string("must be a string, got ") + type_name(*f), k.rule);
      continue;
    }
    const std::string_view s = sv(*f);
    if (s.empty())
      report(diags, fp, "must be non-empty", k.rule);
    else if (i < 3 && s.find(':') != std::string_view::npos)
      report(diags, fp, quote(s) + " must not contain ':'", k.rule);
    else if (has_control_char(s))
      report(diags, fp, quote(s) + " must not contain control characters", k.rule);
    fields[i]->assign(s);
  }
  return out;
}

// Sysctl names: letters, digits and "_-" in parts separated by '.' or '/'
// (both forms exist: "net.ipv4.ip_forward", "net/ipv4/conf/eth0.100/forwarding").
// No empty part, so no "..", no leading or trailing separator: the executor
// maps a name to a file under /proc/sys.
bool is_sysctl_name(std::string_view s) noexcept {
  if (s.empty()) return false;
  bool at_sep = true;  // a part must start here
  for (char c : s) {
    if (c == '.' || c == '/') {
      if (at_sep) return false;
      at_sep = true;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
               c == '-') {
      at_sep = false;
    } else {
      return false;
    }
  }
  return !at_sep;
}

Sysctl decode_sysctl(const KindInfo &k, const Value &value, const JsonPath &path, std::vector<Diagnostic> &diags) {
  Sysctl out;
  if (!value.IsObject()) {
    report(diags, path,
           std::string("must be an object of sysctl names to string values, got ") + type_name(value), k.rule);
    return out;
  }
  const size_t n = value.MemberCount();
  out.entries.reserve(n);
  // Duplicates: a linear scan for the usual handful of keys, a hash set for
  // large (hostile) objects.
  std::unordered_set<std::string_view> seen;
  const bool use_set = n > 16;
  for (auto m = value.MemberBegin(); m != value.MemberEnd(); ++m) {
    const std::string_view key = sv(m->name);
    const JsonPath kp = path.field(m->name.GetString());
    bool dup;
    if (use_set) {
      dup = !seen.insert(key).second;
    } else {
      dup = false;
      for (auto p = value.MemberBegin(); p != m && !dup; ++p) dup = sv(p->name) == key;
    }
    if (dup) {
      report(diags, kp, "sysctl " + quote(key) + " is given more than once", k.rule);
      continue;
    }
    if (!is_sysctl_name(key))
      report(diags, kp,
             quote(key) + " is not a sysctl name (letters, digits, '_' and '-' in parts separated by '.' or '/')",
             k.rule);
    if (!m->value.IsString()) {
      report(diags, kp, std::string("must be a string, got ") + type_name(m->value), k.rule);
      continue;
    }
    const std::string_view v = sv(m->value);
    if (v.find('\0') != std::string_view::npos) report(diags, kp, "must not contain a NUL character", k.rule);
    out.entries.emplace_back(key, v);
  }
  return out;
}

// A JSON integer within [lo, hi]; quoted numbers and fractions are rejected.
int64_t decode_int(const KindInfo &k, const Value &value, int64_t lo, int64_t hi, const JsonPath &path,
                   std::vector<Diagnostic> &diags) {
  if (value.IsInt64()) {
    const int64_t v = value.GetInt64();
    if (v < lo || v > hi)
      report(diags, path, std::to_string(v) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi), k.rule);
    return v;
  }
  if (value.IsUint64()) {
    report(diags, path, std::to_string(value.GetUint64()) + " is outside " + std::to_string(lo) + ".." +
                            std::to_string(hi), k.rule);
  } else if (value.IsNumber()) {
    report(diags, path, number_text(value) + " is not an integer", k.rule);
  } else if (value.IsString()) {
    report(diags, path, "must be a JSON integer, got the string " + quote(sv(value)), k.rule);
  } else {
    report(diags, path, std::string("must be a JSON integer, got ") + type_name(value), k.rule);
  }
  return 0;
}

// An unknown isolator's value keeps its compact JSON, members in document
// order. Integers, strings and literals come back exactly; a double is read
// correctly rounded (std::from_chars) and written by RapidJSON's Grisu2,
// which round-trips, so decode -> encode -> decode is stable.
// docs/isolators.md.
std::string canonical_json(const Value &value) { return compact(value); }

// ---------------------------------------------------------------- encoding

template <class W> void write_string(W &w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

template <class W> void write_quantity(W &w, const Quantity &q) {
  if (!q.text.empty()) {
    write_string(w, q.text);
    return;
  }
  // Built in code without a text: the shortest exact form of `milli`.
  std::string t = q.milli % 1000 == 0 ? std::to_string(q.milli / 1000) : std::to_string(q.milli) + "m";
  write_string(w, t);
}

template <class W, class R> void write_request_limit(W &w, const R &r) {
  w.StartObject();
  if (r.request) {
    w.Key("request");
    write_quantity(w, *r.request);
  }
  if (r.limit) {
    w.Key("limit");
    write_quantity(w, *r.limit);
  }
  w.EndObject();
}

template <class W> void write_list(W &w, const std::vector<std::string> &list) {
  w.StartArray();
  for (const std::string &s : list) write_string(w, s);
  w.EndArray();
}

// True if `json` is exactly one JSON value, at any depth (the parser keeps
// no recursion): a value too deep is written as it is, and validating the
// manifest names the problem.
bool is_json_value(const std::string &json) {
  detail::json::Document doc;
  return doc.parse(json, std::numeric_limits<unsigned>::max()).what == detail::json::ParseError::none;
}

// `json` (valid JSON) without the whitespace between tokens. Numbers are
// copied, not re-read, so they come out exactly as stored.
std::string strip_whitespace(const std::string &json) {
  std::string out;
  out.reserve(json.size());
  bool in_string = false, escaped = false;
  for (char c : json) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      continue;
    } else if (c == '"') {
      in_string = true;
    }
    out += c;
  }
  return out;
}

rapidjson::Type raw_type(char c) noexcept {
  switch (c) {
  case '{': return rapidjson::kObjectType;
  case '[': return rapidjson::kArrayType;
  case '"': return rapidjson::kStringType;
  case 't': return rapidjson::kTrueType;
  case 'f': return rapidjson::kFalseType;
  case 'n': return rapidjson::kNullType;
  default: return rapidjson::kNumberType;
  }
}

template <class... F> struct Overload : F... { using F::operator()...; };
template <class... F> Overload(F...) -> Overload<F...>;

// The variant alternative each kind decodes to.
bool value_matches(Kind kind, const IsolatorValue &v) noexcept {
  switch (kind) {
  case Kind::cpu: return std::holds_alternative<ResourceCpu>(v);
  case Kind::memory: return std::holds_alternative<ResourceMemory>(v);
  case Kind::block_bandwidth:
  case Kind::block_iops:
  case Kind::network_bandwidth: return std::holds_alternative<ResourceBandwidth>(v);
  case Kind::caps_retain:
  case Kind::caps_remove: return std::holds_alternative<CapabilitySet>(v);
  case Kind::no_new_privileges: return std::holds_alternative<NoNewPrivileges>(v);
  case Kind::seccomp_remove:
  case Kind::seccomp_retain: return std::holds_alternative<SeccompSet>(v);
  case Kind::selinux_context: return std::holds_alternative<SelinuxContext>(v);
  case Kind::sysctl: return std::holds_alternative<Sysctl>(v);
  case Kind::cpu_shares: return std::holds_alternative<CpuShares>(v);
  case Kind::oom_score_adj: return std::holds_alternative<OomScoreAdj>(v);
  case Kind::unknown:
  case Kind::count: break;
  }
  return std::holds_alternative<UnknownIsolator>(v);
}

} // namespace

bool is_known_isolator(std::string_view name) noexcept { return find_kind(name) != nullptr; }

IsolatorValue decode_isolator_value(std::string_view name, const Value &value, const JsonPath &path,
                                    std::vector<Diagnostic> &diags) {
  const KindInfo *k = find_kind(name);
  if (!k) return UnknownIsolator{canonical_json(value)};
  switch (k->kind) {
  case Kind::cpu: return decode_request_limit<ResourceCpu>(*k, value, path, diags);
  case Kind::memory: return decode_request_limit<ResourceMemory>(*k, value, path, diags);
  case Kind::block_bandwidth:
  case Kind::block_iops:
  case Kind::network_bandwidth: return decode_bandwidth(*k, value, path, diags);
  case Kind::caps_retain:
  case Kind::caps_remove: return decode_caps(*k, value, path, diags);
  case Kind::no_new_privileges:
    if (!value.IsBool()) {
      report(diags, path, std::string("must be a boolean (true or false), got ") + type_name(value), k->rule);
      return NoNewPrivileges{};
    }
    return NoNewPrivileges{value.GetBool()};
  case Kind::seccomp_remove:
  case Kind::seccomp_retain: return decode_seccomp(*k, value, path, diags);
  case Kind::selinux_context: return decode_selinux(*k, value, path, diags);
  case Kind::sysctl: return decode_sysctl(*k, value, path, diags);
  case Kind::cpu_shares: return CpuShares{decode_int(*k, value, 2, 262144, path, diags)};
  case Kind::oom_score_adj: return OomScoreAdj{decode_int(*k, value, -1000, 1000, path, diags)};
  case Kind::unknown:
  case Kind::count: break;
  }
  return UnknownIsolator{canonical_json(value)};
}

namespace {

template <class W> void encode_value(const Isolator &iso, W &w) {
  std::visit(Overload{
                 [&](const UnknownIsolator &u) {
                   // Decoding stores compact, well-formed JSON, written out
                   // as it is. A value built in code is checked first (and
                   // written as null if it is not JSON) and its spacing
                   // dropped.
                   if (u.json.empty() || !is_json_value(u.json)) {
                     w.Null();
                     return;
                   }
                   const std::string text = strip_whitespace(u.json);
                   w.RawValue(text.data(), text.size(), raw_type(text[0]));
                 },
                 [&](const ResourceCpu &r) { write_request_limit(w, r); },
                 [&](const ResourceMemory &r) { write_request_limit(w, r); },
                 [&](const ResourceBandwidth &r) {
                   w.StartObject();
                   w.Key("default");
                   w.Bool(r.is_default);
                   if (r.limit) {
                     w.Key("limit");
                     write_quantity(w, *r.limit);
                   }
                   w.EndObject();
                 },
                 [&](const CapabilitySet &c) {
                   w.StartObject();
                   w.Key("set");
                   write_list(w, c.set);
                   w.EndObject();
                 },
                 [&](const NoNewPrivileges &n) { w.Bool(n.enabled); },
                 [&](const SeccompSet &s) {
                   w.StartObject();
                   w.Key("set");
                   write_list(w, s.set);
                   if (!s.errno_name.empty()) {
                     w.Key("errno");
                     write_string(w, s.errno_name);
                   }
                   w.EndObject();
                 },
                 [&](const SelinuxContext &s) {
                   w.StartObject();
                   w.Key("user");
                   write_string(w, s.user);
                   w.Key("role");
                   write_string(w, s.role);
                   w.Key("type");
                   write_string(w, s.type);
                   w.Key("level");
                   write_string(w, s.level);
                   w.EndObject();
                 },
                 [&](const Sysctl &s) {
                   w.StartObject();
                   for (const auto &[key, val] : s.entries) {
                     w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
                     write_string(w, val);
                   }
                   w.EndObject();
                 },
                 [&](const CpuShares &c) { w.Int64(c.shares); },
                 [&](const OomScoreAdj &o) { w.Int64(o.adj); },
             },
             iso.value);
}

} // namespace

void encode_isolator_value(const Isolator &iso, rapidjson::Writer<rapidjson::StringBuffer> &w) { encode_value(iso, w); }

void encode_isolator_value(const Isolator &iso, detail::JsonWriter &w) { encode_value(iso, w); }

void check_isolators(const std::vector<Isolator> &list, IsolatorScope scope, const JsonPath &path,
                     std::vector<Diagnostic> &diags) {
  constexpr size_t kNone = SIZE_MAX;
  std::array<size_t, static_cast<size_t>(Kind::count)> first;
  first.fill(kNone);
  const char *per = scope == IsolatorScope::app ? "app" : "pod";

  for (size_t i = 0; i < list.size(); ++i) {
    const Isolator &iso = list[i];
    const KindInfo *k = find_kind(iso.name);
    // Unknown names are not an error in either scope: executors may ignore
    // isolators they do not understand (spec 22) and report them.
    if (!k) continue;
    if (!value_matches(k->kind, iso.value)) {
      report(diags, path.index(i).field("value"), "the value is not of the form " + std::string(k->name) + " takes",
             22);
      continue;
    }
    if (scope == IsolatorScope::pod && k->app_only) {
      report(diags, path.index(i).field("name"),
             std::string(k->name) + " is app scope only: set it in an app's isolators, not the pod's", k->rule);
      continue;
    }
    size_t &f = first[static_cast<size_t>(k->kind)];
    if (f != kNone && k->once) {
      report(diags, path.index(i),
             std::string(k->name) + " may appear only once per " + per + " (first at " + path.index(f).str() + ")",
             k->kind == Kind::seccomp_remove || k->kind == Kind::seccomp_retain ? 33 : k->rule);
      continue;
    }
    if (f == kNone) f = i;
  }

  // Pairs that exclude each other: reported at the later of the two.
  const auto exclusive = [&](Kind a, Kind b, int rule) {
    const size_t ia = first[static_cast<size_t>(a)], ib = first[static_cast<size_t>(b)];
    if (ia == kNone || ib == kNone) return;
    const size_t later = ia > ib ? ia : ib, earlier = ia > ib ? ib : ia;
    report(diags, path.index(later),
           std::string(info(later == ia ? a : b).name) + " cannot be combined with " +
               std::string(info(later == ia ? b : a).name) + " (at " + path.index(earlier).str() + ")",
           rule);
  };
  exclusive(Kind::caps_retain, Kind::caps_remove, 29);
  exclusive(Kind::seccomp_retain, Kind::seccomp_remove, 33);
}

} // namespace appc::spec
