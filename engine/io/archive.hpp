// Safe reading and atomic writing of .tar.gz archives (GNNet results archives).
//
// Reading never extracts to disk: members are returned in memory, so an untrusted archive cannot
// write anything anywhere. Member names that are absolute, contain "..", or are links (symbolic or
// hard), devices or FIFOs are refused, as are members over the size limits; a truncated or corrupt
// archive is refused. Every refusal is an autoopt::Error naming the archive and the member.
//
// Writing produces a GNU-format tar inside gzip with no stored name and MTIME 0 (as the reference
// archives), written to a temporary file beside the target and renamed over it, so a reader never
// sees a half-written archive.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace autoopt::io {

struct ArchiveMember {
  // Path inside the archive, '/'-separated ("results_x_0_0/traffic.txt"). Directories are named
  // without the trailing '/' that tar stores ("results_x_0_0"); the writer adds it back.
  std::string name;
  std::string data;  // empty for directories
  bool is_dir = false;
};

struct ArchiveLimits {
  std::uint64_t max_member_bytes = std::uint64_t{1} << 30;  // one uncompressed member
  std::uint64_t max_total_bytes = std::uint64_t{4} << 30;   // all members together
  std::size_t max_members = 4096;
};

// Reads every member of a .tar.gz in archive order. Throws autoopt::Error on anything unsafe or
// malformed.
[[nodiscard]] std::vector<ArchiveMember> read_tar_gz(const std::filesystem::path& file,
                                                     const ArchiveLimits& limits = {});

// Writes the members (directories first as given) to `file` atomically (temp file + rename).
// Member names are checked with the same rules as reading.
void write_tar_gz(const std::filesystem::path& file, std::span<const ArchiveMember> members);

// Writes `data` to `file` atomically: a temporary file in the same folder, fsync, rename.
void write_file_atomic(const std::filesystem::path& file, std::string_view data);

// Reads a whole (regular) file; throws autoopt::Error naming it if it cannot.
[[nodiscard]] std::string read_file(const std::filesystem::path& file);

}  // namespace autoopt::io
