// Safe in-memory reading and atomic writing of .tar.gz archives with libarchive (see archive.hpp).
#include "io/archive.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <system_error>
#include <utility>

#include "net/error.hpp"

namespace autoopt::io {
namespace {

namespace fs = std::filesystem;

// ---- small RAII helpers -------------------------------------------------------------------------

struct ReadArchiveFree {
  void operator()(archive* a) const noexcept { archive_read_free(a); }
};
struct WriteArchiveFree {
  void operator()(archive* a) const noexcept { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const noexcept { archive_entry_free(e); }
};
using ReadArchive = std::unique_ptr<archive, ReadArchiveFree>;
using WriteArchive = std::unique_ptr<archive, WriteArchiveFree>;
using Entry = std::unique_ptr<archive_entry, EntryFree>;

// An owned POSIX file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] bool valid() const { return fd_ >= 0; }
  // Closes and reports the result of close() (0 or an errno value).
  int close() {
    if (fd_ < 0) return 0;
    const int rc = ::close(std::exchange(fd_, -1));
    return rc == 0 ? 0 : errno;
  }

 private:
  void reset() noexcept {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  }
  int fd_ = -1;
};

std::string in_quotes(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('\'');
  out.append(s);
  out.push_back('\'');
  return out;
}

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

std::string archive_error_text(archive* a) {
  const char* s = archive_error_string(a);
  return s != nullptr ? std::string(s) : std::string("unknown libarchive error");
}

// A temporary file beside the target, created exclusively; removed on destruction unless committed.
class TempFile {
 public:
  explicit TempFile(const fs::path& target) : target_(target) {
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    std::random_device rd;
    for (int attempt = 0; attempt < 16; ++attempt) {
      const std::uint64_t r = (std::uint64_t{rd()} << 32) ^ std::uint64_t{rd()};
      std::array<char, 48> suffix{};
      std::snprintf(suffix.data(), suffix.size(), ".tmp.%ld.%016llx", static_cast<long>(::getpid()),
                    static_cast<unsigned long long>(r));
      std::string leaf = target.filename().string();
      leaf.insert(leaf.begin(), '.');
      leaf.append(suffix.data());
      fs::path candidate = dir / leaf;
      const int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd >= 0) {
        path_ = std::move(candidate);
        fd_ = Fd(fd);
        return;
      }
      if (errno != EEXIST) {
        throw Error("cannot write " + in_quotes(target.string()) +
                    ": cannot create temporary file in " + in_quotes(dir.string()) + ": " +
                    errno_text(errno));
      }
    }
    throw Error("cannot write " + in_quotes(target.string()) +
                ": no unused temporary file name in " + in_quotes(dir.string()));
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (!committed_) {
      fd_.close();
      std::error_code ec;
      fs::remove(path_, ec);
    }
  }

  [[nodiscard]] int fd() const { return fd_.get(); }

  // fsync + close + rename over the target (+ best-effort fsync of the folder). Throws on failure;
  // the destructor then removes the temporary file.
  void commit() {
    if (::fsync(fd_.get()) != 0) fail("fsync", errno);
    if (const int err = fd_.close(); err != 0) fail("close", err);
    std::error_code ec;
    fs::rename(path_, target_, ec);
    if (ec) {
      throw Error("cannot write " + in_quotes(target_.string()) + ": rename from " +
                  in_quotes(path_.string()) + " failed: " + ec.message());
    }
    committed_ = true;
    const fs::path dir = target_.has_parent_path() ? target_.parent_path() : fs::path(".");
    if (const Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)); dfd.valid()) {
      ::fsync(dfd.get());  // durability of the rename; a failure here does not undo the write
    }
  }

  [[noreturn]] void fail(const char* what, int err) const {
    throw Error("cannot write " + in_quotes(target_.string()) + ": " + what +
                " of temporary file " + in_quotes(path_.string()) + " failed: " + errno_text(err));
  }

 private:
  fs::path target_;
  fs::path path_;
  Fd fd_;
  bool committed_ = false;
};

// ---- member-name rules --------------------------------------------------------------------------

// Returns an empty string when `name` is acceptable, else the reason it is refused.
std::string name_problem(std::string_view name) {
  if (name.empty()) return "empty member name";
  if (name.front() == '/') return "absolute path refused";
  if (name.find('\0') != std::string_view::npos) return "NUL byte in member name";
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t end = std::min(name.find('/', start), name.size());
    if (name.substr(start, end - start) == "..") return "path with a '..' component refused";
    start = end + 1;
  }
  return {};
}

std::string strip_trailing_slashes(std::string name) {
  while (name.size() > 1 && name.back() == '/') name.pop_back();
  return name;
}

// ---- reading ------------------------------------------------------------------------------------

class Reader {
 public:
  Reader(const fs::path& file, const ArchiveLimits& limits) : file_(file), limits_(limits) {}

  std::vector<ArchiveMember> run() {
    open();
    std::vector<ArchiveMember> members;
    bool first = true;
    for (;;) {
      archive_entry* entry = nullptr;
      const int r = archive_read_next_header(a_.get(), &entry);
      if (first) check_gzip(r);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) {
        if (first) {
          fail("not a gzip-compressed tar archive, or truncated/corrupt (libarchive: " +
               archive_error_text(a_.get()) + ")");
        }
        fail("after member " + in_quotes(members.back().name) +
             ": truncated or corrupt archive while reading the next header (libarchive: " +
             archive_error_text(a_.get()) + ")");
      }
      first = false;
      members.push_back(read_member(entry, members.size()));
    }
    return members;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error("archive " + in_quotes(file_.string()) + ": " + what);
  }
  [[noreturn]] void fail_member(std::string_view member, const std::string& what) const {
    fail("member " + in_quotes(member) + ": " + what);
  }

  void open() {
    std::error_code ec;
    const fs::file_status st = fs::status(file_, ec);
    if (ec || !fs::exists(st)) {
      fail("cannot open: " + (ec ? ec.message() : std::string("no such file")));
    }
    if (!fs::is_regular_file(st)) fail("cannot open: not a regular file");
    compressed_bytes_ = fs::file_size(file_, ec);
    if (ec) fail("cannot open: " + ec.message());
    a_.reset(archive_read_new());
    if (!a_) fail("cannot allocate a libarchive reader");
    if (archive_read_support_filter_gzip(a_.get()) != ARCHIVE_OK ||
        archive_read_support_format_tar(a_.get()) != ARCHIVE_OK) {
      fail("cannot configure libarchive: " + archive_error_text(a_.get()));
    }
    constexpr std::size_t kBlock = std::size_t{1} << 20;
    if (archive_read_open_filename(a_.get(), file_.c_str(), kBlock) != ARCHIVE_OK) {
      // libarchive recognises the compression and the format while opening.
      fail("cannot open: not a gzip-compressed tar archive, or truncated/corrupt/unreadable "
           "(libarchive: " + archive_error_text(a_.get()) + ")");
    }
  }

  void check_gzip(int header_result) const {
    if (header_result < ARCHIVE_WARN) return;  // reported by the caller
    if (archive_filter_code(a_.get(), 0) != ARCHIVE_FILTER_GZIP) {
      fail("not a gzip-compressed tar archive (no gzip stream found)");
    }
  }

  ArchiveMember read_member(archive_entry* entry, std::size_t index) {
    const char* raw = archive_entry_pathname(entry);
    if (raw == nullptr) raw = archive_entry_pathname_utf8(entry);
    if (raw == nullptr) fail("member #" + std::to_string(index + 1) + ": no readable name");
    const std::string name(raw);

    if (index >= limits_.max_members) {
      fail_member(
          name, "too many members: more than the limit of " + std::to_string(limits_.max_members));
    }
    if (const std::string why = name_problem(name); !why.empty()) fail_member(name, why);
    if (const char* target = archive_entry_hardlink(entry); target != nullptr) {
      fail_member(name, "hard link to " + in_quotes(target) + " refused");
    }
    const auto type = archive_entry_filetype(entry);
    if (type == AE_IFLNK) {
      const char* target = archive_entry_symlink(entry);
      fail_member(name,
                  "symbolic link to " + in_quotes(target != nullptr ? target : "?") + " refused");
    }
    if (type != AE_IFREG && type != AE_IFDIR) {
      const char* kind = type == AE_IFIFO    ? "FIFO"
                         : type == AE_IFCHR  ? "character device"
                         : type == AE_IFBLK  ? "block device"
                         : type == AE_IFSOCK ? "socket"
                                             : "entry of unknown type";
      fail_member(name,
                  std::string(kind) + " refused (only regular files and directories are allowed)");
    }

    ArchiveMember m;
    m.is_dir = (type == AE_IFDIR);
    m.name = m.is_dir ? strip_trailing_slashes(name) : name;
    if (m.is_dir) return m;  // data attached to a directory entry is skipped by libarchive

    std::uint64_t declared = 0;
    if (archive_entry_size_is_set(entry) != 0) {
      const la_int64_t s = archive_entry_size(entry);
      if (s < 0) fail_member(name, "negative declared size");
      declared = static_cast<std::uint64_t>(s);
    }
    check_sizes(name, declared, "declared");
    // Reserve the declared size, but never more than the compressed file could hold (deflate
    // expands at most ~1032:1), so a lying header cannot force a huge allocation up front.
    const std::uint64_t reachable = compressed_bytes_ * 1032 + (std::uint64_t{1} << 20);
    m.data.reserve(static_cast<std::size_t>(std::min(declared, reachable)));

    for (;;) {
      const void* buf = nullptr;
      std::size_t len = 0;
      la_int64_t offset = 0;
      const int r = archive_read_data_block(a_.get(), &buf, &len, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) {
        fail_member(name, "truncated or corrupt archive after " + std::to_string(m.data.size()) +
                              " of " + std::to_string(declared) +
                              " bytes (libarchive: " + archive_error_text(a_.get()) + ")");
      }
      if (offset < 0) fail_member(name, "corrupt data block offset");
      const auto off = static_cast<std::uint64_t>(offset);
      if (off < m.data.size()) fail_member(name, "corrupt data block offset (goes backwards)");
      check_sizes(name, off + len, "actual");
      m.data.resize(static_cast<std::size_t>(off));  // zero-fills a sparse hole, if any
      m.data.append(static_cast<const char*>(buf), len);
    }
    if (m.data.size() < declared) {
      if (archive_entry_sparse_count(entry) > 0) {
        m.data.resize(static_cast<std::size_t>(declared));  // trailing sparse hole
      } else {
        fail_member(name, "truncated: short read, " + std::to_string(m.data.size()) + " of " +
                              std::to_string(declared) + " declared bytes");
      }
    }
    total_ += m.data.size();
    return m;
  }

  // `size` is this member's size so far (declared, or bytes actually read).
  void check_sizes(const std::string& name, std::uint64_t size, const char* kind) const {
    if (size > limits_.max_member_bytes) {
      fail_member(name, std::string("member too large: ") + kind + " size " + std::to_string(size) +
                            " bytes exceeds the limit of " +
                            std::to_string(limits_.max_member_bytes));
    }
    if (size > limits_.max_total_bytes || total_ > limits_.max_total_bytes - size) {
      fail_member(name, std::string("archive too large: total uncompressed size exceeds the ") +
                            "limit of " + std::to_string(limits_.max_total_bytes) + " bytes");
    }
  }

  const fs::path& file_;
  const ArchiveLimits& limits_;
  ReadArchive a_;
  std::uint64_t compressed_bytes_ = 0;
  std::uint64_t total_ = 0;
};

}  // namespace

std::vector<ArchiveMember> read_tar_gz(const fs::path& file, const ArchiveLimits& limits) {
  return Reader(file, limits).run();
}

// ---- writing ------------------------------------------------------------------------------------

void write_tar_gz(const fs::path& file, std::span<const ArchiveMember> members) {
  const auto fail = [&](const std::string& what) -> void {
    throw Error("cannot write archive " + in_quotes(file.string()) + ": " + what);
  };
  for (const ArchiveMember& m : members) {
    if (const std::string why = name_problem(m.name); !why.empty()) {
      fail("member " + in_quotes(m.name) + ": " + why);
    }
    if (m.is_dir && !m.data.empty()) fail("member " + in_quotes(m.name) + ": directory with data");
  }

  TempFile tmp(file);
  const WriteArchive a(archive_write_new());
  if (!a) fail("cannot allocate a libarchive writer");
  const auto check = [&](int r, const std::string& what) {
    if (r < ARCHIVE_WARN) fail(what + ": " + archive_error_text(a.get()));
  };
  check(archive_write_set_format_gnutar(a.get()), "cannot select GNU tar format");
  check(archive_write_add_filter_gzip(a.get()), "cannot add the gzip filter");
  // No MTIME in the gzip header (and libarchive stores no file name): reproducible bytes.
  check(archive_write_set_filter_option(a.get(), "gzip", "timestamp", nullptr),
        "cannot disable the gzip timestamp");
  check(archive_write_open_fd(a.get(), tmp.fd()), "cannot open the temporary file");

  const Entry entry(archive_entry_new());
  if (!entry) fail("cannot allocate an archive entry");
  for (const ArchiveMember& m : members) {
    archive_entry_clear(entry.get());
    std::string name = m.name;
    if (m.is_dir && name.back() != '/') name += '/';
    archive_entry_set_pathname(entry.get(), name.c_str());
    archive_entry_set_filetype(entry.get(), m.is_dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(entry.get(), m.is_dir ? 0775 : 0664);
    archive_entry_set_size(entry.get(), m.is_dir ? 0 : static_cast<la_int64_t>(m.data.size()));
    archive_entry_set_mtime(entry.get(), 0, 0);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    check(archive_write_header(a.get(), entry.get()), "member " + in_quotes(m.name) + ": header");
    std::string_view rest = m.is_dir ? std::string_view{} : std::string_view(m.data);
    while (!rest.empty()) {
      const la_ssize_t n = archive_write_data(a.get(), rest.data(), rest.size());
      if (n <= 0) fail("member " + in_quotes(m.name) + ": data: " + archive_error_text(a.get()));
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  check(archive_write_close(a.get()), "cannot finish the archive");
  tmp.commit();
}

void write_file_atomic(const fs::path& file, std::string_view data) {
  TempFile tmp(file);
  while (!data.empty()) {
    const ssize_t n = ::write(tmp.fd(), data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      tmp.fail("write", errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  tmp.commit();
}

std::string read_file(const fs::path& file) {
  const auto fail = [&](const std::string& what) -> void {
    throw Error("cannot read " + in_quotes(file.string()) + ": " + what);
  };
  const Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) fail(errno_text(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail(errno_text(errno));
  if (!S_ISREG(st.st_mode)) fail("not a regular file");
  std::string out;
  out.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  for (;;) {
    if (got == out.size()) out.resize(out.size() + 65536);  // file may have grown
    const ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(errno_text(errno));
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

}  // namespace autoopt::io
