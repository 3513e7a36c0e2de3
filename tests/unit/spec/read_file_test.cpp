// appc::read_file_into, the reader manifest files go through (the benchmark
// and the executor's pod files): exact contents with a buffer reused across
// files of different sizes, the size limit, files whose stat size is 0
// (/proc), errors.
#include "util/fs.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

using namespace appc;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/appc-read-file-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { (void)remove_tree(path); }
  std::string write(const std::string &name, const std::string &data) const {
    std::string p = path + "/" + name;
    std::FILE *f = std::fopen(p.c_str(), "wb");
    REQUIRE(f != nullptr);
    REQUIRE(std::fwrite(data.data(), 1, data.size(), f) == data.size());
    std::fclose(f);
    return p;
  }
};

std::string pattern(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + static_cast<char>(i % 61));
  return s;
}

} // namespace

TEST_CASE("read_file_into: one buffer reused across larger, smaller and empty files") {
  TempDir d;
  const std::string big = pattern(200000, 'a'), small = pattern(3000, 'A'), mid = pattern(70000, '0');
  const std::string pb = d.write("big", big), ps = d.write("small", small), pm = d.write("mid", mid),
                    pe = d.write("empty", "");
  std::string buf;
  for (int round = 0; round < 2; ++round) {
    REQUIRE(read_file_into(ps, 1 << 20, buf));
    CHECK(buf == small);
    REQUIRE(read_file_into(pb, 1 << 20, buf));
    CHECK(buf == big);
    REQUIRE(read_file_into(pm, 1 << 20, buf));
    CHECK(buf == mid);
    REQUIRE(read_file_into(pe, 1 << 20, buf));
    CHECK(buf.empty());
  }
  auto whole = read_file(pb, 1 << 20);
  REQUIRE(whole);
  CHECK(*whole == big);
}

TEST_CASE("read_file_into: the limit is inclusive; one byte over is Code::limit and leaves the buffer empty") {
  TempDir d;
  const std::string p = d.write("f", pattern(5000, 'x'));
  std::string buf = "previous";
  REQUIRE(read_file_into(p, 5000, buf));
  CHECK(buf.size() == 5000);
  auto r = read_file_into(p, 4999, buf);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Code::limit);
  CHECK(buf.empty());
}

TEST_CASE("read_file_into: a /proc file (stat size 0) is read to its end, past one page") {
  std::string buf(100000, 'z');   // a large, dirty buffer: the short first read must not end the file
  REQUIRE(read_file_into("/proc/self/maps", 1 << 24, buf));
  REQUIRE_FALSE(buf.empty());
  CHECK(buf.back() == '\n');
  CHECK(buf.find('z' + std::string(20, 'z')) == std::string::npos);
  CHECK(buf.find("[stack]") != std::string::npos);
}

TEST_CASE("read_file_into: a missing file is an error naming it, and leaves the buffer empty") {
  std::string buf = "previous";
  auto r = read_file_into("/nonexistent/appc-read-file", 1 << 20, buf);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("/nonexistent/appc-read-file") != std::string::npos);
  CHECK(buf.empty());
}
