// A JSON path built on the stack while decoding and turned into text only
// when a finding is reported: "app.ports[1].port". The happy path never
// allocates for paths.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace appc {

class JsonPath {
public:
  static const JsonPath &root() noexcept {
    static const JsonPath r;
    return r;
  }
  JsonPath field(const char *key) const noexcept { return JsonPath(this, key, 0); }
  JsonPath index(size_t i) const noexcept { return JsonPath(this, nullptr, i); }

  std::string str() const {
    std::string out;
    append_to(out);
    return out;
  }
  // "<parent>.key" or "<parent>[i]"; the root is "".
  void append_to(std::string &out) const {
    if (!parent_) return;
    parent_->append_to(out);
    if (key_) {
      if (!out.empty()) out += '.';
      out += key_;
    } else {
      out += '[';
      out += std::to_string(index_);
      out += ']';
    }
  }

private:
  JsonPath() = default;
  JsonPath(const JsonPath *p, const char *k, size_t i) noexcept : parent_(p), key_(k), index_(i) {}
  const JsonPath *parent_ = nullptr;
  const char *key_ = nullptr;   // must outlive the path (string literals or the DOM's key strings)
  size_t index_ = 0;
};

} // namespace appc
