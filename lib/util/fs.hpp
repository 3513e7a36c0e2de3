// File descriptors and path handling relative to directory descriptors.
// Path work in libappc is done with openat2/openat + O_NOFOLLOW, never by
// string checks alone.
#pragma once

#include "util/error.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace appc {

class UniqueFd {
public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd &&o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd &operator=(UniqueFd &&o) noexcept {
    if (this != &o) { reset(); fd_ = std::exchange(o.fd_, -1); }
    return *this;
  }
  ~UniqueFd() { reset(); }
  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept;

private:
  int fd_ = -1;
};

// openat2(dirfd, rel, flags, mode) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS
// (plus `extra_resolve`): `rel` may not escape dirfd, through ".." or any symlink.
// Errors name `rel`.
Result<UniqueFd> open_beneath(int dirfd, std::string_view rel, int flags, unsigned mode = 0,
                              unsigned long long extra_resolve = 0);

// Split a relative archive path into clean components: "./a//b/" -> {"a","b"}.
// Fails (Code::invalid, naming the path) for absolute paths, ".." components,
// empty names and NUL bytes.
Result<std::vector<std::string>> clean_relative_path(std::string_view path);

// The allocation-light core of clean_relative_path, for hot loops: writes the
// cleaned path joined with '/' to `out` ("./a//b/" -> "a/b"; "." and "./" -> "")
// and returns what is wrong with it, PathProblem::none when nothing is.
enum class PathProblem { none, empty, absolute, dotdot, nul };
PathProblem clean_path_into(std::string_view path, std::string &out);
// "is absolute", "has a \"..\" component", ...
const char *path_problem_text(PathProblem p) noexcept;

// Read a whole (small) file, at most max_bytes (Code::limit beyond).
Result<std::string> read_file(const std::string &path, size_t max_bytes);
// The same into `out`, whose buffer is reused: reading many files through one
// string allocates (and zero-fills) only when a file is larger than any
// before. A regular file takes open, fstat, one read and close. `out` is
// empty on failure.
Status read_file_into(const std::string &path, size_t max_bytes, std::string &out);

// Write `data` to `path` via a temporary file in the same directory, fsync, rename.
Status write_file_atomic(const std::string &path, std::string_view data, unsigned mode = 0644);
// The same without the fsyncs: readers see the old or the new content, never
// a mix, but after a power loss the file may be empty or older. For state that
// is re-derived after a reboot anyway (a pod's state, its plan).
Status write_file_replace(const std::string &path, std::string_view data, unsigned mode = 0644);
// Create `path` (it must not exist) and write `data`, without fsync: for files
// in a staging directory that is renamed into place as a whole.
Status write_file_new(const std::string &path, std::string_view data, unsigned mode = 0644);

// Remove a tree below dirfd/name without following symlinks (used to clean up
// half-done work). Best effort: returns the first error.
Status remove_tree_at(int dirfd, const std::string &name);
Status remove_tree(const std::string &path);

// True when `path` is a directory without entries (not following a final symlink).
Result<bool> is_empty_dir(const std::string &path);

// A fresh, uniquely named directory beside `target` (same filesystem, for a
// final rename): "<parent>/.<basename>.tmp-XXXXXX".
Result<std::string> make_sibling_tempdir(const std::string &target);

} // namespace appc
