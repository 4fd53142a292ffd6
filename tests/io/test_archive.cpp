// Tests of the safe archive layer: malicious and broken archives are refused with clear errors and
// reading never writes anything; writing is atomic, reproducible and round-trips.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "io/archive.hpp"
#include "net/error.hpp"
#include "shared_data.hpp"

namespace autoopt::io {
namespace {

namespace fs = std::filesystem;

// ---- helpers ------------------------------------------------------------------------------------

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    const auto tag = std::to_string((std::uint64_t{rd()} << 32) ^ rd());
    path_ = fs::temp_directory_path() / ("autoopt_test_archive_" + tag);
    fs::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Every path under `root` (relative) with its size (-1 for folders): to check nothing was written.
std::map<std::string, std::int64_t> snapshot(const fs::path& root) {
  std::map<std::string, std::int64_t> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    out[fs::relative(e.path(), root).string()] =
        e.is_regular_file() ? static_cast<std::int64_t>(e.file_size()) : -1;
  }
  return out;
}

std::string bytes_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void put_bytes(const fs::path& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

// Text that compresses poorly enough that cutting the .gz in half lands inside the data.
std::string noisy_text(std::size_t n, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> digit(0, 9);
  std::string s;
  s.reserve(n);
  while (s.size() < n) s += (s.size() % 64 == 63) ? '\n' : static_cast<char>('0' + digit(gen));
  return s;
}

// A raw entry for building (possibly malicious) test archives directly with libarchive.
struct RawEntry {
  std::string name;
  unsigned type = AE_IFREG;  // AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFIFO, AE_IFCHR, ...
  std::string data{};
  std::string symlink{};   // target for AE_IFLNK
  std::string hardlink{};  // non-empty: a hard link to this name
};

struct WriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

void make_raw_archive(const fs::path& file, const std::vector<RawEntry>& entries,
                      bool gzip = true) {
  const std::unique_ptr<archive, WriteFree> a(archive_write_new());
  ASSERT_EQ(archive_write_set_format_gnutar(a.get()), ARCHIVE_OK);
  if (gzip) {
    ASSERT_EQ(archive_write_add_filter_gzip(a.get()), ARCHIVE_OK);
  }
  ASSERT_EQ(archive_write_open_filename(a.get(), file.c_str()), ARCHIVE_OK);
  for (const RawEntry& r : entries) {
    const std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), r.name.c_str());
    archive_entry_set_filetype(e.get(), r.type);
    archive_entry_set_perm(e.get(), 0644);
    if (r.type == AE_IFLNK) archive_entry_set_symlink(e.get(), r.symlink.c_str());
    if (r.type == AE_IFCHR) archive_entry_set_rdev(e.get(), 0x0103);
    if (!r.hardlink.empty()) archive_entry_set_hardlink(e.get(), r.hardlink.c_str());
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(r.data.size()));
    ASSERT_GE(archive_write_header(a.get(), e.get()), ARCHIVE_WARN)
        << archive_error_string(a.get());
    if (!r.data.empty()) {
      ASSERT_EQ(archive_write_data(a.get(), r.data.data(), r.data.size()),
                static_cast<la_ssize_t>(r.data.size()));
    }
  }
  ASSERT_EQ(archive_write_close(a.get()), ARCHIVE_OK);
}

// Reads `file` expecting a refusal; returns the error text (or a marker if nothing was thrown).
std::string read_error(const fs::path& file, const ArchiveLimits& limits = {}) {
  try {
    const auto members = read_tar_gz(file, limits);
    return "<no error: " + std::to_string(members.size()) + " members>";
  } catch (const Error& e) {
    return e.what();
  }
}

class ArchiveTest : public ::testing::Test {
 protected:
  // Archives are built in dir/in; reading must leave all of dir (and the archive) untouched.
  void SetUp() override { fs::create_directories(in()); }
  [[nodiscard]] fs::path in() const { return tmp_.path() / "in"; }

  // Builds an archive from `entries`, reads it, and returns the error text; checks nothing changed.
  std::string refuse(const std::string& stem, const std::vector<RawEntry>& entries,
                     const ArchiveLimits& limits = {}) {
    const fs::path file = in() / (stem + ".tar.gz");
    make_raw_archive(file, entries);
    const auto before = snapshot(tmp_.path());
    const std::string bytes_before = bytes_of(file);
    std::string err = read_error(file, limits);
    EXPECT_EQ(snapshot(tmp_.path()), before) << "reading wrote something";
    EXPECT_EQ(bytes_of(file), bytes_before) << "reading modified the archive";
    EXPECT_NE(err.find(file.string()), std::string::npos)
        << "error does not name the file: " << err;
    return err;
  }

  TempDir tmp_;
};

bool has(const std::string& text, const std::string& word) {
  return text.find(word) != std::string::npos;
}

// ---- refusals -----------------------------------------------------------------------------------

TEST_F(ArchiveTest, RefusesAbsoluteName) {
  const auto err = refuse(
      "abs", {{.name = "d", .type = AE_IFDIR}, {.name = "/tmp/autoopt_evil_abs.txt", .data = "x"}});
  EXPECT_TRUE(has(err, "absolute")) << err;
  EXPECT_TRUE(has(err, "/tmp/autoopt_evil_abs.txt")) << err;
  EXPECT_FALSE(fs::exists("/tmp/autoopt_evil_abs.txt"));
}

TEST_F(ArchiveTest, RefusesDotDotComponents) {
  for (const std::string name : {"../autoopt_evil.txt", "a/../../autoopt_evil.txt", "..", "a/.."}) {
    const auto err = refuse("dotdot", {{.name = name, .data = "x"}});
    EXPECT_TRUE(has(err, "..")) << err;
    EXPECT_TRUE(has(err, "'" + name + "'")) << err;
  }
  EXPECT_FALSE(fs::exists(tmp_.path().parent_path() / "autoopt_evil.txt"));
  // ".." inside a component is an ordinary name.
  const fs::path ok = in() / "ok.tar.gz";
  make_raw_archive(ok, {{.name = "a..b/c..", .data = "y"}});
  const auto members = read_tar_gz(ok);
  ASSERT_EQ(members.size(), 1U);
  EXPECT_EQ(members[0].name, "a..b/c..");
}

TEST_F(ArchiveTest, RefusesSymlink) {
  const auto err =
      refuse("sym", {{.name = "d", .type = AE_IFDIR},
                     {.name = "d/passwd", .type = AE_IFLNK, .symlink = "/etc/passwd"}});
  EXPECT_TRUE(has(err, "link")) << err;
  EXPECT_TRUE(has(err, "symbolic")) << err;
  EXPECT_TRUE(has(err, "d/passwd")) << err;
}

TEST_F(ArchiveTest, RefusesHardLink) {
  const auto err =
      refuse("hard", {{.name = "a.txt", .data = "data"}, {.name = "b.txt", .hardlink = "a.txt"}});
  EXPECT_TRUE(has(err, "hard link")) << err;
  EXPECT_TRUE(has(err, "b.txt")) << err;
}

TEST_F(ArchiveTest, RefusesFifoAndDevice) {
  const auto fifo = refuse("fifo", {{.name = "pipe", .type = AE_IFIFO}});
  EXPECT_TRUE(has(fifo, "FIFO")) << fifo;
  EXPECT_TRUE(has(fifo, "pipe")) << fifo;
  const auto dev = refuse("dev", {{.name = "null", .type = AE_IFCHR}});
  EXPECT_TRUE(has(dev, "device")) << dev;
  EXPECT_TRUE(has(dev, "null")) << dev;
}

TEST_F(ArchiveTest, RefusesOversizeMember) {
  ArchiveLimits limits;
  limits.max_member_bytes = 100;
  const auto err = refuse("big",
                          {{.name = "small.txt", .data = std::string(100, 'a')},
                           {.name = "big.txt", .data = std::string(101, 'b')}},
                          limits);
  EXPECT_TRUE(has(err, "too large")) << err;
  EXPECT_TRUE(has(err, "big.txt")) << err;
}

TEST_F(ArchiveTest, RefusesTotalOverLimit) {
  ArchiveLimits limits;
  limits.max_member_bytes = 100;
  limits.max_total_bytes = 150;
  const auto err = refuse("total",
                          {{.name = "a", .data = std::string(60, 'a')},
                           {.name = "b", .data = std::string(60, 'b')},
                           {.name = "c", .data = std::string(60, 'c')}},
                          limits);
  EXPECT_TRUE(has(err, "too large")) << err;
  EXPECT_TRUE(has(err, "total")) << err;
  EXPECT_TRUE(has(err, "'c'")) << err;
}

TEST_F(ArchiveTest, RefusesTooManyMembers) {
  ArchiveLimits limits;
  limits.max_members = 4;
  std::vector<RawEntry> entries;
  for (int i = 0; i < 5; ++i) entries.push_back({.name = "m" + std::to_string(i), .data = "x"});
  const auto err = refuse("many", entries, limits);
  EXPECT_TRUE(has(err, "too many members")) << err;
  EXPECT_TRUE(has(err, "m4")) << err;
  // Exactly at the limit is fine.
  entries.pop_back();
  const fs::path ok = in() / "four.tar.gz";
  make_raw_archive(ok, entries);
  EXPECT_EQ(read_tar_gz(ok, limits).size(), 4U);
}

TEST_F(ArchiveTest, RefusesTruncatedArchive) {
  const fs::path whole = in() / "whole.tar.gz";
  const std::vector<ArchiveMember> members = {{.name = "r", .data = "", .is_dir = true},
                                              {.name = "r/a.txt", .data = noisy_text(200000, 1)},
                                              {.name = "r/b.txt", .data = noisy_text(200000, 2)}};
  write_tar_gz(whole, members);
  ASSERT_EQ(read_tar_gz(whole).size(), 3U);
  const std::string bytes = bytes_of(whole);
  for (const std::size_t cut : {bytes.size() / 2, bytes.size() - 8, std::size_t{100}}) {
    const fs::path half = in() / ("cut" + std::to_string(cut) + ".tar.gz");
    put_bytes(half, bytes.substr(0, cut));
    const auto before = snapshot(tmp_.path());
    const auto err = read_error(half);
    EXPECT_TRUE(has(err, "truncated")) << "cut at " << cut << ": " << err;
    EXPECT_TRUE(has(err, half.string())) << err;
    EXPECT_EQ(snapshot(tmp_.path()), before);
  }
}

TEST_F(ArchiveTest, RefusesGarbageAndNonGzip) {
  const fs::path garbage = in() / "garbage.tar.gz";
  std::string junk = noisy_text(5000, 3);
  junk[0] = '\x7f';
  put_bytes(garbage, junk);
  auto err = read_error(garbage);
  EXPECT_TRUE(has(err, "not a gzip")) << err;
  EXPECT_TRUE(has(err, garbage.string())) << err;

  const fs::path empty = in() / "empty.tar.gz";
  put_bytes(empty, "");
  err = read_error(empty);
  EXPECT_TRUE(has(err, "not a gzip")) << err;

  const fs::path plain = in() / "plain.tar.gz";  // a valid tar, but not gzip-compressed
  make_raw_archive(plain, {{.name = "a.txt", .data = "hello"}}, /*gzip=*/false);
  err = read_error(plain);
  EXPECT_TRUE(has(err, "not a gzip")) << err;

  const fs::path gz_not_tar = in() / "text.gz";  // gzip, but not a tar inside
  {
    const std::unique_ptr<archive, WriteFree> a(archive_write_new());
    ASSERT_EQ(archive_write_set_format_raw(a.get()), ARCHIVE_OK);
    ASSERT_EQ(archive_write_add_filter_gzip(a.get()), ARCHIVE_OK);
    ASSERT_EQ(archive_write_open_filename(a.get(), gz_not_tar.c_str()), ARCHIVE_OK);
    const std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    const std::string text = noisy_text(3000, 4);
    archive_entry_set_pathname(e.get(), "x");
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(text.size()));
    ASSERT_EQ(archive_write_header(a.get(), e.get()), ARCHIVE_OK);
    ASSERT_EQ(archive_write_data(a.get(), text.data(), text.size()),
              static_cast<la_ssize_t>(text.size()));
    ASSERT_EQ(archive_write_close(a.get()), ARCHIVE_OK);
  }
  err = read_error(gz_not_tar);
  EXPECT_TRUE(has(err, "tar")) << err;
  EXPECT_TRUE(has(err, gz_not_tar.string())) << err;
}

TEST_F(ArchiveTest, MissingFileIsNamed) {
  const fs::path missing = in() / "nope.tar.gz";
  const auto err = read_error(missing);
  EXPECT_TRUE(has(err, missing.string())) << err;
  EXPECT_TRUE(has(err, "no such file") || has(err, "No such file")) << err;
  const auto dir_err = read_error(in());
  EXPECT_TRUE(has(dir_err, "not a regular file")) << dir_err;
}

// ---- writing ------------------------------------------------------------------------------------

std::vector<ArchiveMember> sample_members() {
  std::string binary(300, '\0');
  for (std::size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i * 7);
  const std::string long_dir = "results_" + std::string(120, 'L');  // needs a GNU long name
  return {{.name = long_dir, .data = "", .is_dir = true},
          {.name = long_dir + "/input_files.txt", .data = "0;g.txt;r.txt\n"},
          {.name = long_dir + "/empty.txt", .data = ""},
          {.name = long_dir + "/binary.bin", .data = binary},
          {.name = long_dir + "/big.txt", .data = noisy_text(70000, 5)}};
}

TEST_F(ArchiveTest, RoundTrip) {
  const fs::path file = tmp_.path() / "out.tar.gz";
  const auto members = sample_members();
  write_tar_gz(file, members);
  const auto back = read_tar_gz(file);
  ASSERT_EQ(back.size(), members.size());
  for (std::size_t i = 0; i < back.size(); ++i) {
    EXPECT_EQ(back[i].name, members[i].name) << i;
    EXPECT_EQ(back[i].is_dir, members[i].is_dir) << i;
    EXPECT_EQ(back[i].data, members[i].data) << i;
  }
  // Only the archive is left in the folder: no temporary files.
  EXPECT_EQ(snapshot(tmp_.path()).count("out.tar.gz"), 1U);
  EXPECT_EQ(snapshot(tmp_.path()).size(), 2U);  // in/ and out.tar.gz
}

TEST_F(ArchiveTest, WriteIsDeterministicGnuTarGzip) {
  const fs::path a = tmp_.path() / "a.tar.gz";
  const fs::path b = tmp_.path() / "b.tar.gz";
  write_tar_gz(a, sample_members());
  write_tar_gz(b, sample_members());
  const std::string ba = bytes_of(a);
  ASSERT_GE(ba.size(), 18U);
  EXPECT_EQ(ba, bytes_of(b));
  // gzip header: magic, deflate, FLG = 0 (no stored name), MTIME = 0.
  EXPECT_EQ(static_cast<unsigned char>(ba[0]), 0x1fU);
  EXPECT_EQ(static_cast<unsigned char>(ba[1]), 0x8bU);
  EXPECT_EQ(ba[2], 8);
  EXPECT_EQ(ba[3], 0);
  for (int i = 4; i < 8; ++i) EXPECT_EQ(ba[i], 0) << "gzip MTIME byte " << i;

  // Inside: GNU tar, modes 0775/0664, mtime 0.
  const std::unique_ptr<archive, decltype(&archive_read_free)> r(archive_read_new(),
                                                                 &archive_read_free);
  archive_read_support_filter_gzip(r.get());
  archive_read_support_format_tar(r.get());
  ASSERT_EQ(archive_read_open_filename(r.get(), a.c_str(), 65536), ARCHIVE_OK);
  archive_entry* e = nullptr;
  int n = 0;
  while (archive_read_next_header(r.get(), &e) == ARCHIVE_OK) {
    EXPECT_EQ(archive_format(r.get()), ARCHIVE_FORMAT_TAR_GNUTAR);
    const bool dir = archive_entry_filetype(e) == AE_IFDIR;
    EXPECT_EQ(archive_entry_perm(e), dir ? 0775U : 0664U) << archive_entry_pathname(e);
    EXPECT_EQ(archive_entry_mtime(e), 0);
    if (dir) {
      EXPECT_EQ(std::string(archive_entry_pathname(e)).back(), '/');
    }
    ++n;
  }
  EXPECT_EQ(n, static_cast<int>(sample_members().size()));
}

TEST_F(ArchiveTest, WriteRefusesBadNamesAndLeavesNothing) {
  const fs::path file = tmp_.path() / "bad.tar.gz";
  for (const std::string name : {"/abs.txt", "../up.txt", "a/../../up.txt", ""}) {
    std::vector<ArchiveMember> m = {{.name = "ok.txt", .data = "x"}, {.name = name, .data = "y"}};
    try {
      write_tar_gz(file, m);
      ADD_FAILURE() << "no error for '" << name << "'";
    } catch (const Error& e) {
      const std::string err = e.what();
      EXPECT_TRUE(has(err, file.string())) << err;
      if (!name.empty()) {
        EXPECT_TRUE(has(err, name)) << err;
      }
      const char* key = name.empty() ? "empty" : name.front() == '/' ? "absolute" : "..";
      EXPECT_TRUE(has(err, key)) << err;
    }
  }
  EXPECT_EQ(snapshot(tmp_.path()).size(), 1U) << "only in/ should exist";
}

TEST_F(ArchiveTest, FailedRenameRemovesTempFile) {
  // The target is a non-empty folder: the rename fails, the error names it, no temp file is left.
  const fs::path target = tmp_.path() / "target.tar.gz";
  fs::create_directories(target / "x");
  const auto before = snapshot(tmp_.path());
  EXPECT_THROW(write_tar_gz(target, sample_members()), Error);
  EXPECT_THROW(write_file_atomic(target, "text"), Error);
  EXPECT_EQ(snapshot(tmp_.path()), before);
  try {
    write_file_atomic(tmp_.path() / "no_such_dir" / "f.txt", "text");
    ADD_FAILURE() << "no error writing into a missing folder";
  } catch (const Error& e) {
    EXPECT_TRUE(has(e.what(), "f.txt")) << e.what();
  }
}

TEST_F(ArchiveTest, WriteFileAtomicAndReadFile) {
  const fs::path file = tmp_.path() / "f.txt";
  write_file_atomic(file, "first\n");
  EXPECT_EQ(read_file(file), "first\n");
  std::string big = noisy_text(1 << 20, 6);
  big[10] = '\0';
  write_file_atomic(file, big);  // replaces the old content
  EXPECT_EQ(read_file(file), big);
  write_file_atomic(file, "");
  EXPECT_EQ(read_file(file), "");
  EXPECT_EQ(snapshot(tmp_.path()).size(), 2U) << "temporary file left behind";

  const fs::path missing = tmp_.path() / "missing.txt";
  try {
    (void)read_file(missing);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_TRUE(has(e.what(), missing.string())) << e.what();
  }
  try {
    (void)read_file(in());
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_TRUE(has(e.what(), "not a regular file")) << e.what();
  }
}

// ---- real data ----------------------------------------------------------------------------------

TEST_F(ArchiveTest, ReadsSharedResultsArchive) {
  const fs::path file = autoopt::testing::shared_dir() / "data/gnnet2022/validation/300" /
                        "results_400-2000_11_11.tar.gz";
  AUTOOPT_REQUIRE_SHARED(file);
  const auto t0 = std::chrono::steady_clock::now();
  const auto members = read_tar_gz(file);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::size_t total = 0;
  for (const auto& m : members) total += m.data.size();
  std::cout << "read " << file.filename() << ": " << members.size() << " members, " << total
            << " bytes in " << secs * 1e3 << " ms\n";

  const std::string dir = file.stem().stem().string();  // results_400-2000_11_11
  const std::vector<std::string> expected = {dir,
                                             dir + "/input_files.txt",
                                             dir + "/simulationResults.txt",
                                             dir + "/traffic.txt",
                                             dir + "/stability.txt",
                                             dir + "/linkUsage.txt"};
  ASSERT_EQ(members.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(members[i].name, expected[i]);
    EXPECT_EQ(members[i].is_dir, i == 0);
    if (i > 0) {
      EXPECT_FALSE(members[i].data.empty()) << expected[i];
    }
  }
  EXPECT_EQ(members[1].data.rfind("11;", 0), 0U) << "sample id equals the archive's id";

  // Round trip through the writer gives the same members, and a half-length copy is refused.
  const fs::path copy = tmp_.path() / file.filename();
  write_tar_gz(copy, members);
  const auto back = read_tar_gz(copy);
  ASSERT_EQ(back.size(), members.size());
  for (std::size_t i = 0; i < back.size(); ++i) {
    EXPECT_EQ(back[i].name, members[i].name);
    EXPECT_EQ(back[i].data, members[i].data);
  }
  const std::string bytes = bytes_of(file);
  const fs::path half = tmp_.path() / "half.tar.gz";
  put_bytes(half, bytes.substr(0, bytes.size() / 2));
  const auto err = read_error(half);
  EXPECT_TRUE(has(err, "truncated")) << err;
  // The writer's gzip header matches the reference archive's (FLG, MTIME, OS).
  const std::string ours = bytes_of(copy);
  EXPECT_EQ(ours.substr(0, 10), bytes.substr(0, 10)) << "gzip header (FLG, MTIME, XFL, OS)";
}

}  // namespace
}  // namespace autoopt::io
