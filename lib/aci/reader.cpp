// One-pass reading of an ACI: decompress, hash, parse the tar, check the
// layout and the manifest (archive_stream.hpp describes the pipeline).
#include "aci/archive_stream.hpp"
#include "util/hash.hpp"
#include "spec/manifest.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

namespace appc::aci {
namespace detail {

std::string archive_message(struct archive *a) {
  const char *s = a ? la().archive_error_string(a) : nullptr;
  return s ? s : "unknown libarchive error";
}

namespace {

Status read_some(int fd, char *dst, size_t cap, size_t &n) {
  for (;;) {
    ssize_t r = ::read(fd, dst, cap);
    if (r >= 0) {
      n = size_t(r);
      return {};
    }
    if (errno != EINTR) return Error::from_errno(errno, "reading the archive");
  }
}

// Read until `cap` bytes or end of file.
Status read_full(int fd, char *dst, size_t cap, size_t &n) {
  n = 0;
  while (n < cap) {
    size_t got = 0;
    APPC_TRY_VOID(read_some(fd, dst + n, cap - n, got));
    if (got == 0) break;
    n += got;
  }
  return {};
}

int filter_code(Compression c) {
  switch (c) {
  case Compression::gzip: return ARCHIVE_FILTER_GZIP;
  case Compression::bzip2: return ARCHIVE_FILTER_BZIP2;
  case Compression::xz: return ARCHIVE_FILTER_XZ;
  case Compression::zstd: return ARCHIVE_FILTER_ZSTD;
  case Compression::none: break;
  }
  return ARCHIVE_FILTER_NONE;
}

} // namespace

// ---------------------------------------------------------------- Source
// The decompression stage. Uses one thread at a time (the producer thread,
// or the parsing thread when there is only one).
class Source {
public:
  Source(int fd, Compression c, std::function<Status(const void *, size_t)> sink)
      : fd_(fd), c_(c), inbuf_(new char[kBlockSize]), sink_(std::move(sink)) {}

  // Reads the first block, detects the compression, sets up the decompressor.
  Status open() {
    size_t n = 0;
    // At least the 6 bytes of the longest magic, unless the input is shorter.
    while (head_len_ < 6) {
      APPC_TRY_VOID(read_in(inbuf_.get() + head_len_, kBlockSize - head_len_, n));
      if (n == 0) {
        fd_eof_ = true;
        break;
      }
      head_len_ += n;
    }
    bytes_in_.store(head_len_, std::memory_order_relaxed);
    c_ = detect_compression(inbuf_.get(), head_len_);
    if (c_ == Compression::none) return {};
    outer_.reset(la().archive_read_new());
    if (!outer_) throw std::bad_alloc();
    int r = ARCHIVE_OK;
    switch (c_) {
    case Compression::gzip: r = la().archive_read_support_filter_gzip(outer_.get()); break;
    case Compression::bzip2: r = la().archive_read_support_filter_bzip2(outer_.get()); break;
    case Compression::xz: r = la().archive_read_support_filter_xz(outer_.get()); break;
    case Compression::zstd: r = la().archive_read_support_filter_zstd(outer_.get()); break;
    case Compression::none: break;
    }
    // ARCHIVE_WARN would mean "only through an external program": not used.
    if (r != ARCHIVE_OK)
      return Error::make(Code::not_supported,
                         std::string("this libarchive cannot decompress ") + compression_name(c_) + " by itself");
    la().archive_read_support_format_raw(outer_.get());
    if (la().archive_read_open(outer_.get(), this, nullptr, &Source::outer_read, nullptr) != ARCHIVE_OK)
      return corrupt();
    struct archive_entry *e = nullptr;
    r = la().archive_read_next_header(outer_.get(), &e);
    if (r == ARCHIVE_EOF) {
      outer_eof_ = true;
      return {};
    }
    if (!la_ok(r)) return corrupt();
    if (la().archive_filter_code(outer_.get(), 0) != filter_code(c_))
      return Error::make(Code::invalid, std::string("the ") + compression_name(c_) +
                                            " magic bytes are not followed by a valid " + compression_name(c_) +
                                            " header");
    return {};
  }

  Compression compression() const noexcept { return c_; }
  uint64_t bytes_in() const noexcept { return bytes_in_.load(std::memory_order_relaxed); }

  // The next uncompressed bytes, valid until the next call; n == 0 at the end.
  Status next(const void *&p, size_t &n) {
    if (c_ == Compression::none) {
      if (!head_done_) {
        head_done_ = true;
        if (head_len_) {
          p = inbuf_.get();
          n = head_len_;
          return {};
        }
      }
      n = 0;
      if (fd_eof_) return {};
      APPC_TRY_VOID(read_full_in(inbuf_.get(), kBlockSize, n));
      count_in(n);
      if (n < kBlockSize) fd_eof_ = true;
      p = inbuf_.get();
      return {};
    }
    n = 0;
    while (!outer_eof_) {
      la_int64_t off = 0;
      int r = la().archive_read_data_block(outer_.get(), &p, &n, &off);
      if (r == ARCHIVE_EOF) {
        outer_eof_ = true;
        n = 0;
        return drain_input();
      }
      if (!la_ok(r)) return corrupt();
      if (n) return {};
    }
    return {};
  }

  // Fills `dst` with up to `cap` uncompressed bytes (fewer only at the end).
  Status fill(char *dst, size_t cap, size_t &n) {
    n = 0;
    if (c_ == Compression::none) {
      if (!head_done_) {
        head_done_ = true;
        std::memcpy(dst, inbuf_.get(), head_len_);
        n = head_len_;
      }
      if (fd_eof_ || n == cap) return {};
      size_t got = 0;
      APPC_TRY_VOID(read_full_in(dst + n, cap - n, got));
      count_in(got);
      if (got < cap - n) fd_eof_ = true;
      n += got;
      return {};
    }
    while (n < cap) {
      if (left_ == 0) {
        APPC_TRY_VOID(next(pending_, left_));
        if (left_ == 0) break;
      }
      size_t take = std::min(left_, cap - n);
      std::memcpy(dst + n, pending_, take);
      pending_ = static_cast<const char *>(pending_) + take;
      left_ -= take;
      n += take;
    }
    return {};
  }

private:
  // Every read of the input goes through here: the raw sink sees each block.
  Status read_in(char *dst, size_t cap, size_t &n) {
    APPC_TRY_VOID(read_some(fd_, dst, cap, n));
    if (n && sink_) APPC_TRY_VOID(sink_(dst, n));
    return {};
  }
  Status read_full_in(char *dst, size_t cap, size_t &n) {
    APPC_TRY_VOID(read_full(fd_, dst, cap, n));
    if (n && sink_) APPC_TRY_VOID(sink_(dst, n));
    return {};
  }

  void count_in(size_t n) { bytes_in_.store(bytes_in_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }

  Error corrupt() {
    if (have_io_error_) return io_error_;
    // libarchive gives no text for some failures (a gzip stream cut inside its trailer).
    const char *why = la().archive_error_string(outer_.get());
    return Error::make(Code::invalid, std::string("corrupt or truncated ") + compression_name(c_) + " stream: " +
                                          (why ? why : "it ends early or is damaged"));
  }

  // After the end of the compressed stream: the rest of the file (e.g. data a
  // decompressor ignores) still counts as input bytes.
  Status drain_input() {
    while (!fd_eof_) {
      size_t n = 0;
      APPC_TRY_VOID(read_in(inbuf_.get(), kBlockSize, n));
      if (n == 0) fd_eof_ = true;
      count_in(n);
    }
    return {};
  }

  static la_ssize_t outer_read(struct archive *a, void *p, const void **buf) {
    auto *self = static_cast<Source *>(p);
    if (!self->head_done_) {
      self->head_done_ = true;
      if (self->head_len_) {
        *buf = self->inbuf_.get();
        return la_ssize_t(self->head_len_);
      }
    }
    if (self->fd_eof_) return 0;
    size_t n = 0;
    Status st = self->read_in(self->inbuf_.get(), kBlockSize, n);
    if (!st) {
      self->io_error_ = std::move(st).error();
      self->have_io_error_ = true;
      la().archive_set_error(a, self->io_error_.sys_errno ? self->io_error_.sys_errno : EIO, "%s",
                        self->io_error_.message.c_str());
      return -1;
    }
    if (n == 0) self->fd_eof_ = true;
    self->count_in(n);
    *buf = self->inbuf_.get();
    return la_ssize_t(n);
  }

  int fd_;
  Compression c_;
  std::unique_ptr<char[]> inbuf_;
  std::function<Status(const void *, size_t)> sink_;
  size_t head_len_ = 0;
  bool head_done_ = false;
  bool fd_eof_ = false;
  bool outer_eof_ = false;
  ReadArchive outer_;
  std::atomic<uint64_t> bytes_in_{0};
  const void *pending_ = nullptr;   // fill(): the rest of the last block
  size_t left_ = 0;
  Error io_error_;
  bool have_io_error_ = false;
};

// ---------------------------------------------------------------- Pipeline
// Hands uncompressed blocks to the parsing thread: directly (one thread) or
// through a bounded queue filled by a producer thread (two threads).
class Pipeline {
public:
  static constexpr size_t kBuffers = 4;

  Pipeline(std::unique_ptr<Source> src, bool threaded, bool hash_in_producer)
      : src_(std::move(src)), threaded_(threaded), hash_in_producer_(threaded && hash_in_producer) {
    if (!threaded_) return;
    for (size_t i = 0; i < kBuffers; ++i) {
      bufs_[i].data.reset(new char[kBlockSize]);
      free_.push_back(i);
    }
    thread_ = std::thread([this] { produce(); });
  }

  ~Pipeline() {
    if (!threaded_) return;
    {
      std::lock_guard<std::mutex> lk(m_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  bool hashes() const noexcept { return hash_in_producer_; }
  // With hash_in_producer: the hash of everything produced; valid after get() reported the end.
  Sha512 &producer_hash() noexcept { return hash_; }
  Compression compression() const noexcept { return src_->compression(); }
  uint64_t bytes_in() const noexcept { return src_->bytes_in(); }

  // The next block for the parser (valid until the next call); n == 0 at the end.
  Status get(const void *&p, size_t &n) {
    if (!threaded_) return src_->next(p, n);
    std::unique_lock<std::mutex> lk(m_);
    if (held_ != kNone) {
      free_.push_back(held_);
      held_ = kNone;
      cv_.notify_all();
    }
    cv_.wait(lk, [&] { return !full_.empty() || done_; });
    if (!full_.empty()) {
      held_ = full_.front();
      full_.pop_front();
      p = bufs_[held_].data.get();
      n = bufs_[held_].size;
      return {};
    }
    n = 0;
    if (failed_) return error_;
    return {};
  }

private:
  static constexpr size_t kNone = ~size_t(0);
  struct Buf {
    std::unique_ptr<char[]> data;
    size_t size = 0;
  };

  void produce() noexcept {
    try {
      for (;;) {
        size_t idx;
        {
          std::unique_lock<std::mutex> lk(m_);
          cv_.wait(lk, [&] { return !free_.empty() || stop_; });
          if (stop_) return;
          idx = free_.back();
          free_.pop_back();
        }
        size_t n = 0;
        Status st = src_->fill(bufs_[idx].data.get(), kBlockSize, n);
        if (st && n && hash_in_producer_) hash_.update(bufs_[idx].data.get(), n);
        std::lock_guard<std::mutex> lk(m_);
        if (!st || n == 0) {
          if (!st) {
            error_ = std::move(st).error();
            failed_ = true;
          }
          free_.push_back(idx);
          done_ = true;
          cv_.notify_all();
          return;
        }
        bufs_[idx].size = n;
        full_.push_back(idx);
        cv_.notify_all();
      }
    } catch (...) {
      std::lock_guard<std::mutex> lk(m_);
      error_ = Error::oom();
      failed_ = true;
      done_ = true;
      cv_.notify_all();
    }
  }

  std::unique_ptr<Source> src_;
  bool threaded_;
  bool hash_in_producer_;
  Sha512 hash_;
  Buf bufs_[kBuffers];
  std::thread thread_;
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<size_t> free_;
  std::deque<size_t> full_;
  size_t held_ = kNone;
  bool done_ = false, failed_ = false, stop_ = false;
  Error error_;
};

// ---------------------------------------------------------------- TarStream

Result<std::unique_ptr<TarStream>> TarStream::open(int fd, StreamOptions opts) {
  APPC_TRY_VOID(load_libarchive());
  std::unique_ptr<TarStream> s(new TarStream());
  s->opts_ = std::move(opts);
  auto src = std::make_unique<Source>(fd, Compression::none, s->opts_.raw_sink);
  APPC_TRY_VOID(src->open());
  s->compression_ = src->compression();
  bool threaded = s->opts_.threads == 2;
  if (s->opts_.threads == 0) {
    struct stat st;
    if (::fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
      threaded = true;
    } else {
      off_t pos = ::lseek(fd, 0, SEEK_CUR);
      uint64_t left = pos >= 0 && st.st_size > pos ? uint64_t(st.st_size - pos) : 0;
      // Thread start-up (~50 us) only pays off once there is real work to overlap.
      threaded = left > (s->compression_ == Compression::none ? 8u << 20 : 1u << 20);
    }
  }
  using HashSide = StreamOptions::HashSide;
  bool hash_in_reader = s->opts_.hash_side == HashSide::reader ||
                        (s->opts_.hash_side == HashSide::balanced && s->compression_ == Compression::none);
  s->pipe_ = std::make_unique<Pipeline>(std::move(src), threaded, hash_in_reader);
  s->hash_here_ = !s->pipe_->hashes();

  s->tar_.reset(la().archive_read_new());
  if (!s->tar_) throw std::bad_alloc();
  la().archive_read_support_format_tar(s->tar_.get());
  // No skip callback: skipped entry data is read through read_cb, so it is hashed.
  if (la().archive_read_open(s->tar_.get(), s.get(), nullptr, &TarStream::read_cb, nullptr) != ARCHIVE_OK)
    return s->pending_or(Error::make(Code::invalid, "not a tar archive: " + archive_message(s->tar_.get())));
  return s;
}

TarStream::~TarStream() {
  // Stop the producer before the tar reader goes (it may hold one of its blocks).
  pipe_.reset();
}

uint64_t TarStream::bytes_in() const noexcept { return pipe_ ? pipe_->bytes_in() : 0; }

Error TarStream::pending_or(Error fallback) {
  if (have_pending_) return pending_;
  return fallback;
}

bool TarStream::report() {
  if (!opts_.progress) return true;
  Progress p;
  p.bytes_in = bytes_in();
  p.bytes_out = bytes_out_;
  p.entries = entries_;
  p.phase = opts_.phase;
  return opts_.progress(p);
}

la_ssize_t TarStream::read_cb(struct archive *a, void *p, const void **buf) {
  auto *self = static_cast<TarStream *>(p);
  try {
    const void *data = nullptr;
    size_t n = 0;
    Status st = self->pipe_->get(data, n);
    Error err;
    bool fail = false;
    if (!st) {
      err = std::move(st).error();
      fail = true;
    } else if (n == 0) {
      self->eof_ = true;
      return 0;
    } else if (n > self->opts_.limits.max_bytes - std::min(self->bytes_out_, self->opts_.limits.max_bytes)) {
      err = Error::make(Code::limit, "the uncompressed archive is larger than " +
                                         std::to_string(self->opts_.limits.max_bytes) + " bytes (limits.max_bytes)");
      fail = true;
    } else {
      self->bytes_out_ += n;
      if (self->hash_here_) self->hash_.update(data, n);
      if (!self->report()) {
        err = Error::make(Code::cancelled, std::string(self->opts_.phase) + " cancelled");
        fail = true;
      }
    }
    if (fail) {
      self->pending_ = std::move(err);
      self->have_pending_ = true;
      la().archive_set_error(a, EIO, "%s", self->pending_.message.c_str());
      return -1;
    }
    *buf = data;
    return la_ssize_t(n);
  } catch (...) {
    self->pending_ = Error::oom();
    self->have_pending_ = true;
    la().archive_set_error(a, ENOMEM, "out of memory");
    return -1;
  }
}

Result<struct archive_entry *> TarStream::next() {
  if ((entries_ & 255) == 255 && !report())
    return Error::make(Code::cancelled, std::string(opts_.phase) + " cancelled");
  struct archive_entry *e = nullptr;
  int r = la().archive_read_next_header(tar_.get(), &e);
  if (r == ARCHIVE_EOF) return static_cast<struct archive_entry *>(nullptr);
  if (!la_ok(r)) {   // ARCHIVE_RETRY (a damaged header) included: an ACI must be intact
    std::string where = entries_ ? "after entry " + std::to_string(entries_) : "at the start";
    return pending_or(Error::make(Code::invalid, "corrupt or truncated tar archive (" + where +
                                                     "): " + archive_message(tar_.get())));
  }
  if (++entries_ > opts_.limits.max_entries)
    return Error::make(Code::limit, "the archive has more than " + std::to_string(opts_.limits.max_entries) +
                                        " entries (limits.max_entries)");
  // The files' own sizes count against max_bytes too: a sparse file's size is
  // its full length, which its stored data (all the stream bound sees) need not
  // come near — a few KiB of archive could otherwise unpack to terabytes of
  // holes that every later reader of the tree walks through.
  if (la().archive_entry_filetype(e) == AE_IFREG && !la().archive_entry_hardlink(e) && la().archive_entry_size_is_set(e)) {
    int64_t size = la().archive_entry_size(e);
    uint64_t max = opts_.limits.max_bytes;
    if (size > 0 && uint64_t(size) > max - std::min(file_bytes_, max)) {
      const char *name = la().archive_entry_pathname(e);
      std::string shown = name ? name : "";
      return Error::make(Code::limit,
                         shown + ": the archive's files add up to more than " + std::to_string(max) +
                             " bytes (limits.max_bytes; a sparse file counts at its full size, " +
                             std::to_string(size) + " bytes here)",
                         shown);
    }
    if (size > 0) file_bytes_ += uint64_t(size);
  }
  return e;
}

Error TarStream::data_error(std::string_view entry) {
  return pending_or(Error::make(Code::invalid,
                                std::string(entry) + ": corrupt or truncated archive: " + archive_message(tar_.get()),
                                std::string(entry)));
}

Status TarStream::check_data(struct archive_entry *e, std::string_view entry) {
  int64_t size = la().archive_entry_size_is_set(e) ? std::max<int64_t>(la().archive_entry_size(e), 0) : INT64_MAX;
  for (;;) {
    const void *buf = nullptr;
    size_t n = 0;
    la_int64_t off = 0;
    int r = la().archive_read_data_block(tar_.get(), &buf, &n, &off);
    if (r == ARCHIVE_EOF) return {};
    if (!la_ok(r)) return data_error(entry);
    APPC_TRY_VOID(check_extent(off, n, size, entry));
  }
}

Status check_extent(int64_t off, size_t n, int64_t size, std::string_view entry) {
  if (off >= 0 && uint64_t(off) <= uint64_t(size) && n <= uint64_t(size) - uint64_t(off)) return {};
  return Error::make(Code::invalid,
                     std::string(entry) + ": data at offset " + std::to_string(off) + " lies beyond the file's size of " +
                         std::to_string(size) + " bytes (a damaged or hostile sparse map)",
                     std::string(entry));
}

Result<std::string> TarStream::read_data(std::string_view entry, uint64_t max, const char *limit_name) {
  std::string out;
  char buf[65536];
  for (;;) {
    la_ssize_t n = la().archive_read_data(tar_.get(), buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) return data_error(entry);
    if (out.size() + size_t(n) > max)
      return Error::make(Code::limit, std::string(entry) + ": larger than " + std::to_string(max) + " bytes (" +
                                          limit_name + ")",
                         std::string(entry));
    out.append(buf, size_t(n));
  }
  return out;
}

Result<ImageId> TarStream::finish() {
  while (!eof_) {
    const void *data = nullptr;
    size_t n = 0;
    Status st = pipe_->get(data, n);
    if (!st) return std::move(st).error();
    if (n == 0) break;
    if (n > opts_.limits.max_bytes - std::min(bytes_out_, opts_.limits.max_bytes))
      return Error::make(Code::limit, "the uncompressed archive is larger than " +
                                          std::to_string(opts_.limits.max_bytes) + " bytes (limits.max_bytes)");
    bytes_out_ += n;
    if (hash_here_) hash_.update(data, n);
    if (!report()) return Error::make(Code::cancelled, std::string(opts_.phase) + " cancelled");
  }
  eof_ = true;
  if (!report()) return Error::make(Code::cancelled, std::string(opts_.phase) + " cancelled");
  return ImageId((hash_here_ ? hash_ : pipe_->producer_hash()).image_id());
}

// ---------------------------------------------------------------- layout

namespace {

const char *kind_name(unsigned type) {
  switch (type) {
  case AE_IFREG: return "regular file";
  case AE_IFDIR: return "directory";
  case AE_IFLNK: return "symlink";
  case AE_IFCHR: return "character device";
  case AE_IFBLK: return "block device";
  case AE_IFIFO: return "FIFO";
  case AE_IFSOCK: return "socket";
  }
  return "entry of unknown type";
}

} // namespace

NameKey name_key(std::string_view clean_name) {
  // A keyed 128-bit hash (SipHash under a per-process random key): an
  // archive cannot be built to collide two names without knowing the key,
  // at a fraction of a SHA-256's cost per entry.
  unsigned char md[16];
  keyed_hash128(clean_name.data(), clean_name.size(), md);
  NameKey k;
  std::memcpy(&k.a, md, 8);
  std::memcpy(&k.b, md + 8, 8);
  return k;
}

void LayoutChecker::check(struct archive_entry *e, EntryInfo &out, std::vector<Diagnostic> &diags) {
  const char *name = la().archive_entry_pathname(e);
  if (!name) name = la().archive_entry_pathname_utf8(e);
  out.raw = name ? name : "";
  out.clean.clear();
  out.link_clean.clear();
  out.top = Top::other;
  out.type = la().archive_entry_filetype(e);
  const char *hl = la().archive_entry_hardlink(e);
  if (!hl) hl = la().archive_entry_hardlink_utf8(e);
  out.hardlink = hl != nullptr;
  out.ok = true;
  auto add = [&](std::string msg, int rule) {
    diags.push_back(Diagnostic{out.raw, std::move(msg), rule});
    out.ok = false;
  };
  if (!name) {
    add("the entry's name cannot be read", 0);
    return;
  }
  PathProblem p = clean_path_into(out.raw, out.clean);
  if (p != PathProblem::none) {
    add(std::string("name ") + path_problem_text(p) + "; entries must lie under manifest or rootfs/", 40);
    return;
  }
  const std::string &c = out.clean;
  std::string_view first = std::string_view(c).substr(0, c.find('/'));
  const char *kind = out.hardlink ? "hardlink" : kind_name(out.type);
  bool known = out.hardlink || out.type == AE_IFREG || out.type == AE_IFDIR || out.type == AE_IFLNK ||
               out.type == AE_IFCHR || out.type == AE_IFBLK || out.type == AE_IFIFO;
  if (!known) add(std::string("unsupported entry type: ") + kind, 0);

  if (c.empty()) {
    out.top = Top::root;
    if (out.hardlink || out.type != AE_IFDIR) add(std::string("the archive root must be a directory, found a ") + kind, 40);
  } else if (first == "manifest") {
    out.top = Top::manifest;
    if (c.size() != first.size()) {
      add("manifest is a file at the top level: nothing may lie beneath it", 40);
    } else {
      if (out.hardlink || out.type != AE_IFREG) add(std::string("manifest must be a regular file, found a ") + kind, 40);
      have_manifest_ = true;
    }
  } else if (first == "rootfs") {
    out.top = Top::rootfs;
    if (c.size() == first.size()) {
      if (out.hardlink || out.type != AE_IFDIR) add(std::string("rootfs must be a directory, found a ") + kind, 40);
      have_rootfs_ = true;   // present, if wrong: "missing" would only repeat the finding
    }
  } else {
    add("not allowed at the top level: an ACI holds only manifest and rootfs/", 40);
  }

  if (out.top == Top::rootfs && c.size() > 7) {
    // Linux's limits on what extraction hands the kernel: the parent's path
    // below rootfs/ and each component (the final one is created by name).
    std::string_view rel = std::string_view(c).substr(7);
    size_t slash = rel.rfind('/');
    if (slash != std::string_view::npos && slash > kMaxPathBytes)
      add("the parent path below rootfs/ is " + std::to_string(slash) + " bytes long, over Linux's limit of " +
              std::to_string(kMaxPathBytes) + " (PATH_MAX)",
          0);
    for (size_t i = 0; i <= rel.size();) {
      size_t j = std::min(rel.find('/', i), rel.size());
      if (j - i > kMaxNameBytes) {
        add("the component \"" + std::string(rel.substr(i, 40)) + "...\" is " + std::to_string(j - i) +
                " bytes long, over Linux's limit of " + std::to_string(kMaxNameBytes) + " (NAME_MAX)",
            0);
        break;
      }
      i = j + 1;
    }
    if (out.type == AE_IFLNK && !out.hardlink) {
      const char *t = la().archive_entry_symlink(e);
      if (!t) t = la().archive_entry_symlink_utf8(e);
      if (!t || !*t)   // libarchive leaves an empty target unset
        add("a symlink with an empty or unreadable target (Linux has no empty symlinks)", 0);
      else if (std::strlen(t) > kMaxPathBytes)
        add("the symlink target is " + std::to_string(std::strlen(t)) + " bytes long, over Linux's limit of " +
                std::to_string(kMaxPathBytes) + " (PATH_MAX)",
            0);
    }
  }

  if (out.hardlink) {
    std::string target(hl);
    PathProblem lp = clean_path_into(target, out.link_clean);
    if (lp != PathProblem::none) {
      add("hardlink target \"" + target + "\" " + path_problem_text(lp), 40);
    } else if (out.link_clean.compare(0, 7, "rootfs/") != 0) {
      add("hardlink target \"" + target + "\" is outside rootfs/", 40);
    } else {
      auto it = seen_.find(name_key(out.link_clean));
      if (it == seen_.end()) add("hardlink target \"" + target + "\" is not an earlier entry of this archive", 0);
      else if (it->second) add("hardlink target \"" + target + "\" is a directory", 0);
    }
  }

  if (!seen_.emplace(name_key(c), !out.hardlink && out.type == AE_IFDIR).second)
    add("duplicate entry: \"" + (c.empty() ? std::string(".") : c) + "\" is already in the archive", 39);
}

void LayoutChecker::finish(std::vector<Diagnostic> &diags) const {
  if (!have_manifest_)
    diags.push_back(Diagnostic{"manifest", "missing: an ACI holds a manifest file at the top level", 37});
  if (!have_rootfs_)
    diags.push_back(Diagnostic{"rootfs", "missing: an ACI holds a rootfs/ directory at the top level", 37});
}

void merge_manifest_findings(const Error &e, std::vector<Diagnostic> &diags) {
  if (e.diagnostics.empty()) {
    diags.push_back(Diagnostic{"manifest", e.message, 46});
    return;
  }
  for (const Diagnostic &d : e.diagnostics)
    diags.push_back(Diagnostic{d.path.empty() ? "manifest" : "manifest: " + d.path, d.message, d.rule});
}

Status take_manifest(TarStream &stream, const EntryInfo &ei, const Limits &limits, ImageInfo &info,
                     std::vector<Diagnostic> &diags, bool &parsed) {
  parsed = false;
  if (!ei.ok || ei.top != Top::manifest) return {};
  std::string bytes = APPC_TRY(stream.read_data(ei.raw, limits.max_manifest_bytes, "limits.max_manifest_bytes"));
  spec::ParseOptions po;
  po.max_bytes = limits.max_manifest_bytes;
  auto m = spec::parse_image_manifest(bytes, po);
  if (!m) {
    if (m.error().code == Code::limit) return std::move(m).error().wrap("manifest");
    merge_manifest_findings(m.error(), diags);
  } else {
    info.manifest = std::move(m).value();
    parsed = true;
  }
  info.manifest_json = std::move(bytes);
  return {};
}

} // namespace detail

// ---------------------------------------------------------------- read_image

Result<ImageInfo> read_image_fd(int fd, const ReadOptions &opts) {
  using namespace detail;
  StreamOptions so;
  so.limits = opts.limits;
  so.progress = opts.progress;
  so.phase = "hash";
  so.hash_side = StreamOptions::HashSide::parser;
  so.raw_sink = opts.raw_sink;
  auto stream = APPC_TRY(TarStream::open(fd, std::move(so)));
  LayoutChecker layout;
  RootfsModel rootfs(opts.limits);
  std::vector<Diagnostic> diags;
  ImageInfo info;
  EntryInfo ei;
  for (;;) {
    struct archive_entry *e = APPC_TRY(stream->next());
    if (!e) break;
    layout.check(e, ei, diags);
    if (ei.ok) {
      // What extraction (preserving owners, as it does by default) would refuse.
      if (std::string why = owner_problem(e); !why.empty()) {
        diags.push_back(Diagnostic{ei.raw, std::move(why), 41});
      } else if (ei.top == Top::rootfs && ei.clean.size() > 7) {
        APPC_TRY_VOID(rootfs.apply(e, ei, diags));
      }
    }
    if (diags.size() >= kMaxDiagnostics) {
      diags.push_back(Diagnostic{ei.raw, "more than " + std::to_string(kMaxDiagnostics) +
                                             " findings: the rest of the archive is not checked", 0});
      return Error::invalid(std::move(diags));
    }
    if (ei.top == Top::manifest && ei.ok) {
      bool parsed = false;
      APPC_TRY_VOID(take_manifest(*stream, ei, opts.limits, info, diags, parsed));
    } else if (ei.type == AE_IFREG && !ei.hardlink) {
      // Walk the data (as cheap as skipping it: the blocks are not copied) so
      // that a sparse map reaching past the file's size is found here too.
      APPC_TRY_VOID(stream->check_data(e, ei.raw));
    }
  }
  info.id = APPC_TRY(stream->finish());
  layout.finish(diags);
  if (!diags.empty()) return Error::invalid(std::move(diags));
  info.compression = stream->compression();
  info.archive_size = stream->bytes_in();
  info.tar_size = stream->bytes_out();
  info.entries = stream->entries();
  return info;
}

Result<ImageInfo> read_image(const std::string &path, const ReadOptions &opts) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno(errno, "open " + path);
  auto r = read_image_fd(fd.get(), opts);
  if (!r) return std::move(r).error().wrap(path);
  return r;
}

} // namespace appc::aci
