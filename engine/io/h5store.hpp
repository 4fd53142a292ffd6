// HDF5 shard store: many net::Sample values per .h5 file (a "shard"), many shards per folder.
//
// A shard holds samples in a columnar layout: every field of every sample is a flattened column,
// nested vectors are addressed through offset arrays (CSR style), and per-sample offset arrays let a
// reader fetch sample i alone with hyperslab reads. Storage is lossless: read(write(s)) == s exactly.
// The layout is documented in docs/hdf5-layout.md.
//
// Writes are atomic: a shard is written to "<name>.tmp-<pid>-<random>" beside the target and renamed
// over it only when complete, so a reader never sees half a shard. Each MPI rank writes its own
// shard with HDF5's serial (sec2) driver. A store folder holds the shards and a small manifest.json
// (format version, shard files, their sample counts and sample ids), written after all shards.
//
// Every failure is an autoopt::Error naming the file and, where there is one, the dataset.
// HDF5 itself is not built thread-safe here: use these classes from one thread at a time.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "net/sample.hpp"

namespace autoopt::io {

// Written as root attributes of every shard; a reader refuses another name or a newer version.
inline constexpr const char* kShardFormatName = "autoopt-sample-shard";
// 2 added the link-path columns (samples/path_flows_offsets, samples/delay_unit_s, path_flows/*);
// a version 1 shard is read with no link-path flows.
inline constexpr int kShardFormatVersion = 2;
inline constexpr const char* kManifestFileName = "manifest.json";
inline constexpr int kManifestVersion = 1;

struct ShardWriteOptions {
  // gzip (deflate) level for the chunked columns (with the shuffle filter when `shuffle`); 0 = none.
  // Off by default: level 1 makes shards ~3x smaller but loading ~4x slower (docs/hdf5-layout.md).
  int deflate_level = 0;
  bool shuffle = true;
  // Largest chunk, in elements, of a column. Columns smaller than this get one chunk of their size.
  std::size_t max_chunk_elements = std::size_t{1} << 16;
  // The writer keeps added samples in memory and appends them to the file when this many bytes are
  // buffered (and at close), so memory stays bounded for big shards.
  std::size_t flush_bytes = std::size_t{64} << 20;
};

// Writes one shard file. Samples are appended in add() order; close() finishes the temporary file
// and renames it to `path`. If the writer is destroyed without close() (e.g. during an exception),
// the temporary file is removed and `path` is left untouched.
class ShardWriter {
 public:
  explicit ShardWriter(std::filesystem::path path, ShardWriteOptions options = {});
  // The shard of `rank` in a store folder: <dir>/shard-<rank>-of-<size>.h5 (the folder is created).
  ShardWriter(const std::filesystem::path& dir, int rank, int size, ShardWriteOptions options = {});
  ~ShardWriter();
  ShardWriter(ShardWriter&&) noexcept;
  ShardWriter& operator=(ShardWriter&&) noexcept;
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;

  void add(const net::Sample& sample);
  void add(std::span<const net::Sample> samples);
  // Flushes, writes the attributes, closes the file, fsyncs it and renames it into place.
  void close();

  [[nodiscard]] std::size_t size() const noexcept;  // samples added so far
  [[nodiscard]] const std::filesystem::path& path() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "shard-<rank>-of-<size>.h5"
[[nodiscard]] std::string shard_file_name(int rank, int size);

// Writes all samples to one shard file atomically.
void write_shard(const std::filesystem::path& path, std::span<const net::Sample> samples,
                 const ShardWriteOptions& options = {});

// Reads a shard; random access to any sample without reading the others.
class ShardReader {
 public:
  explicit ShardReader(std::filesystem::path path);  // opens and checks the format attributes
  ~ShardReader();
  ShardReader(ShardReader&&) noexcept;
  ShardReader& operator=(ShardReader&&) noexcept;
  ShardReader(const ShardReader&) = delete;
  ShardReader& operator=(const ShardReader&) = delete;

  [[nodiscard]] std::size_t size() const noexcept;  // number of samples
  [[nodiscard]] const std::filesystem::path& path() const noexcept;
  // The sample ids (Sample::id) in shard order.
  [[nodiscard]] std::vector<std::int64_t> ids() const;
  // Sample i (0-based shard order); throws autoopt::Error if i >= size().
  [[nodiscard]] net::Sample read(std::size_t i) const;
  // Samples [first, first + count) with one read per column.
  [[nodiscard]] std::vector<net::Sample> read_range(std::size_t first, std::size_t count) const;
  [[nodiscard]] std::vector<net::Sample> read_all() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Reads every sample of a shard file.
[[nodiscard]] std::vector<net::Sample> read_shard(const std::filesystem::path& path);

struct ShardInfo {
  std::string file;               // name inside the store folder
  std::vector<std::int64_t> ids;  // sample ids in shard order (ids.size() = its sample count)
  friend bool operator==(const ShardInfo&, const ShardInfo&) = default;
};

struct Manifest {
  int version = kManifestVersion;
  std::vector<ShardInfo> shards;  // in store order
  [[nodiscard]] std::size_t num_samples() const noexcept;
  friend bool operator==(const Manifest&, const Manifest&) = default;
};

// Scans `dir` for shard files (*.h5; temporary files are ignored), reads their sample ids and writes
// <dir>/manifest.json atomically. Shards are ordered by file name, with digit runs compared as
// numbers ("shard-2-of-12" before "shard-10-of-12"). Returns what it wrote.
Manifest write_manifest(const std::filesystem::path& dir);

// Collective over `comm`: a barrier (every rank has closed its shard), then rank 0 writes the
// manifest; every rank returns once it is written, and every rank throws if rank 0 failed.
void gather_and_write_manifest(const std::filesystem::path& dir, MPI_Comm comm);

// Parses <dir>/manifest.json; throws autoopt::Error naming the file on anything malformed.
[[nodiscard]] Manifest read_manifest(const std::filesystem::path& dir);
// The manifest as JSON text (what write_manifest writes).
[[nodiscard]] std::string manifest_to_json(const Manifest& manifest);

// A store folder opened through its manifest. Samples are numbered 0..size()-1 across shards in
// manifest order, then shard order: a stable order.
class ShardStore {
 public:
  // Reads the manifest and checks that every shard exists and holds the listed sample count.
  [[nodiscard]] static ShardStore open(const std::filesystem::path& dir);

  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_; }
  [[nodiscard]] const Manifest& manifest() const noexcept { return manifest_; }
  [[nodiscard]] std::size_t size() const noexcept { return starts_.empty() ? 0 : starts_.back(); }
  // Sample `index` of the whole store (opens its shard and reads that sample only).
  [[nodiscard]] net::Sample read(std::size_t index) const;
  // Calls fn(index, sample) for every sample in store order, one shard open at a time and one sample
  // in memory at a time.
  void for_each(const std::function<void(std::size_t, const net::Sample&)>& fn) const;
  [[nodiscard]] std::vector<net::Sample> read_all() const;

 private:
  std::filesystem::path dir_;
  Manifest manifest_;
  std::vector<std::size_t> starts_;  // starts_[k] = first store index of shard k; back() = size
};

}  // namespace autoopt::io
