// libarchive, loaded on first use.
//
// Only the image format code (lib/aci) uses libarchive, and libarchive brings
// about ten more shared libraries with it (libxml2 and ICU among them). Linked
// normally, every process using libappc would load and relocate all of them at
// start, also the ones that never touch an archive (`appc run` of a stored
// image, status, list): about a millisecond of every CLI command. So lib/aci
// calls libarchive through this table, filled by dlopen("libarchive.so.13") the
// first time an archive is opened. Every libarchive function lib/aci uses is
// listed here; calling one not listed fails to compile (the names are
// qualified: la().archive_read_new()).
#pragma once

#include "util/error.hpp"

#include <archive.h>
#include <archive_entry.h>

namespace appc::aci {

// clang-format off
#define APPC_LIBARCHIVE_FUNCTIONS(X) \
  X(archive_entry_atime) \
  X(archive_entry_atime_is_set) \
  X(archive_entry_atime_nsec) \
  X(archive_entry_copy_pathname) \
  X(archive_entry_copy_symlink) \
  X(archive_entry_filetype) \
  X(archive_entry_free) \
  X(archive_entry_gid) \
  X(archive_entry_hardlink) \
  X(archive_entry_hardlink_utf8) \
  X(archive_entry_linkify) \
  X(archive_entry_linkresolver_free) \
  X(archive_entry_linkresolver_new) \
  X(archive_entry_linkresolver_set_strategy) \
  X(archive_entry_mtime) \
  X(archive_entry_mtime_is_set) \
  X(archive_entry_mtime_nsec) \
  X(archive_entry_new) \
  X(archive_entry_pathname) \
  X(archive_entry_pathname_utf8) \
  X(archive_entry_perm) \
  X(archive_entry_rdevmajor) \
  X(archive_entry_rdevminor) \
  X(archive_entry_set_dev) \
  X(archive_entry_set_filetype) \
  X(archive_entry_set_gid) \
  X(archive_entry_set_ino64) \
  X(archive_entry_set_mode) \
  X(archive_entry_set_mtime) \
  X(archive_entry_set_nlink) \
  X(archive_entry_set_pathname) \
  X(archive_entry_set_perm) \
  X(archive_entry_set_rdevmajor) \
  X(archive_entry_set_rdevminor) \
  X(archive_entry_set_size) \
  X(archive_entry_set_uid) \
  X(archive_entry_size) \
  X(archive_entry_size_is_set) \
  X(archive_entry_sparse_add_entry) \
  X(archive_entry_symlink) \
  X(archive_entry_symlink_utf8) \
  X(archive_entry_uid) \
  X(archive_entry_xattr_add_entry) \
  X(archive_entry_xattr_count) \
  X(archive_entry_xattr_next) \
  X(archive_entry_xattr_reset) \
  X(archive_errno) \
  X(archive_error_string) \
  X(archive_filter_code) \
  X(archive_read_data) \
  X(archive_read_data_block) \
  X(archive_read_free) \
  X(archive_read_new) \
  X(archive_read_next_header) \
  X(archive_read_open) \
  X(archive_read_support_filter_bzip2) \
  X(archive_read_support_filter_gzip) \
  X(archive_read_support_filter_xz) \
  X(archive_read_support_filter_zstd) \
  X(archive_read_support_format_raw) \
  X(archive_read_support_format_tar) \
  X(archive_set_error) \
  X(archive_write_add_filter_bzip2) \
  X(archive_write_add_filter_gzip) \
  X(archive_write_add_filter_none) \
  X(archive_write_add_filter_xz) \
  X(archive_write_add_filter_zstd) \
  X(archive_write_close) \
  X(archive_write_data) \
  X(archive_write_finish_entry) \
  X(archive_write_free) \
  X(archive_write_header) \
  X(archive_write_new) \
  X(archive_write_open) \
  X(archive_write_set_bytes_in_last_block) \
  X(archive_write_set_bytes_per_block) \
  X(archive_write_set_filter_option) \
  X(archive_write_set_format_pax_restricted) \
  X(archive_write_set_format_raw) \

// clang-format on

struct LibArchive {
#define APPC_LA_MEMBER(name) decltype(&::name) name = nullptr;
  APPC_LIBARCHIVE_FUNCTIONS(APPC_LA_MEMBER)
#undef APPC_LA_MEMBER
};

// Load libarchive (once; thread-safe). The error names the library and why.
Status load_libarchive();
// The table; loads it if needed. Only after load_libarchive() succeeded (or
// where an archive was already opened): a failure here is reported on stderr
// and aborts, as a missing library at start would have.
const LibArchive &la();

} // namespace appc::aci
