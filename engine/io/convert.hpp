// Conversions between dataset formats, and opening any dataset by what its folder holds:
//   GNNet folder (a tree with graphs/ + routings/ roots)  <->  HDF5 shard store (manifest.json + *.h5)
// GNNet -> HDF5 shares the samples among MPI ranks round-robin; each rank writes its own shard and
// rank 0 writes the manifest. HDF5 -> GNNet is done by one rank, one sample in memory at a time.
#pragma once

#include <mpi.h>

#include <climits>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "net/sample.hpp"

namespace autoopt::io {

enum class DatasetKind { Gnnet, Hdf5 };

// Hdf5 if `path` holds a manifest.json or is a .h5 file, Gnnet if a graphs/ + routings/ root is
// found under it; otherwise an autoopt::Error saying what was looked for.
[[nodiscard]] DatasetKind detect_dataset(const std::filesystem::path& path);

struct SizeFilter {
  int min_nodes = 0;
  int max_nodes = INT_MAX;
  [[nodiscard]] bool accepts(int n) const noexcept { return n >= min_nodes && n <= max_nodes; }
};

// Calls fn(index, sample) for every sample of a dataset of either kind that passes the filter, in the
// dataset's stable order, one sample in memory at a time. `total` (optional) receives the number of
// samples that will be visited before the first call. Returns that number.
std::size_t for_each_sample(const std::filesystem::path& path, const SizeFilter& filter,
                            const std::function<void(std::size_t, const net::Sample&)>& fn,
                            const std::function<void(std::size_t total)>& on_total = {});

struct ConvertReport {
  std::size_t samples = 0;       // converted by this rank
  std::size_t total = 0;         // in the whole conversion
  double seconds = 0.0;
};

struct Distribution {
  int rank = 0;
  int size = 1;
  MPI_Comm comm = MPI_COMM_NULL;  // MPI_COMM_NULL: single process, no MPI calls
};

// GNNet folder -> HDF5 store at `out` (created). Sample i goes to rank i % size, into
// <out>/shard-<rank>-of-<size>.h5; then the manifest. `progress` is called after each sample.
ConvertReport gnnet_to_hdf5(const std::filesystem::path& in, const std::filesystem::path& out,
                            const SizeFilter& filter, const Distribution& dist,
                            const std::function<void(std::size_t done, std::size_t total)>& progress = {});

// The writing half of a round-robin conversion into the HDF5 store at `out` (created if missing):
// `each(add)` calls add(sample) for every sample of this rank, in order; they go into
// <out>/shard-<rank>-of-<size>.h5, and progress(done, mine) is called after each. Then the manifest
// (gathered from every rank when dist.comm is not MPI_COMM_NULL: collective). Returns the number of
// samples this rank wrote.
std::size_t write_rank_shard(const std::filesystem::path& out, const Distribution& dist, std::size_t mine,
                             const std::function<void(const std::function<void(const net::Sample&)>& add)>& each,
                             const std::function<void(std::size_t done, std::size_t total)>& progress = {});

// Any dataset -> GNNet folder at `out`. Samples whose networks all have one size are written as one
// root; several sizes are written one root per size, <out>/<N>/ (the validation set's layout).
// Every sample must have results (the format has no unlabelled form).
ConvertReport to_gnnet(const std::filesystem::path& in, const std::filesystem::path& out,
                       const SizeFilter& filter,
                       const std::function<void(std::size_t done, std::size_t total)>& progress = {});

}  // namespace autoopt::io
