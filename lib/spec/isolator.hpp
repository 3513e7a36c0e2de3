// Isolators (checklist section 2): decoding a value by isolator name into its
// typed form, encoding it back canonically, and the per-list rules (one of a
// kind per app, retain/remove exclusivity, ...).
#pragma once

#include "spec/types.hpp"
#include "util/error.hpp"
#include "util/json_path.hpp"
#include "spec/json_dom.hpp"
#include "spec/json_out.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>
#include <vector>

namespace appc::spec {

enum class IsolatorScope { app, pod };

// True for the names of checklist section 2 (and item 36).
bool is_known_isolator(std::string_view name) noexcept;

// Decode `value` for isolator `name`. Findings go to `diags` with paths under
// `path` (e.g. "app.isolators[2].value.limit"). Unknown names give
// UnknownIsolator holding the value's canonical JSON; whether an unknown name
// is an error depends on the scope and is decided by check_isolators().
IsolatorValue decode_isolator_value(std::string_view name, const detail::json::Value &value,
                                    const JsonPath &path, std::vector<Diagnostic> &diags);

// Write the value of `iso` (not the {name, value} wrapper) canonically,
// through a RapidJSON Writer or straight into the canonical form's output.
void encode_isolator_value(const Isolator &iso, rapidjson::Writer<rapidjson::StringBuffer> &w);
void encode_isolator_value(const Isolator &iso, detail::JsonWriter &w);

// Rules over a whole list at `path` (e.g. "app.isolators"): unknown names in
// app scope, at most one instance where the spec says so, ...
void check_isolators(const std::vector<Isolator> &list, IsolatorScope scope, const JsonPath &path,
                     std::vector<Diagnostic> &diags);

// Quantity text to value (spec 27). Returns false on bad syntax.
bool parse_quantity(std::string_view text, Quantity &out) noexcept;

} // namespace appc::spec
