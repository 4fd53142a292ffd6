// Under mpirun -np 2: GNNet -> HDF5 with the samples shared among ranks gives each rank its own
// shard, a manifest listing both, and the same samples (same order) as a single-process conversion.
#include <gtest/gtest.h>
#include <mpi.h>

#include <filesystem>

#include "io/convert.hpp"
#include "io/gnnet.hpp"
#include "io/h5store.hpp"
#include "shared_data.hpp"
#include "mpi_temp_dir.hpp"

namespace autoopt::io {
namespace {
namespace fs = std::filesystem;

TEST(MpiConvert, TwoRanksWriteOneShardEachAndReadBackInOrder) {
  const fs::path in = testing::shared_dir() / "data/gnnet2022/validation/50";
  AUTOOPT_REQUIRE_SHARED(in);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  ASSERT_EQ(size, 2);
  const fs::path dir = autoopt::testing::broadcast_temp_dir("convert");
  const auto r = gnnet_to_hdf5(in, dir / "h5", {}, {rank, size, MPI_COMM_WORLD});
  EXPECT_EQ(r.samples, (r.total + 1 - static_cast<std::size_t>(rank)) / 2);
  EXPECT_TRUE(fs::exists(dir / "h5" / shard_file_name(rank, size)));

  const ShardStore store = ShardStore::open(dir / "h5");
  EXPECT_EQ(store.manifest().shards.size(), 2u);
  ASSERT_EQ(store.size(), r.total);
  const auto original = read_gnnet_dataset(in);
  ASSERT_EQ(original.size(), r.total);
  // Store order is shard 0 (samples 0, 2, 4, ...) then shard 1 (1, 3, 5, ...).
  std::size_t k = 0;
  for (int owner = 0; owner < 2; ++owner) {
    for (std::size_t i = static_cast<std::size_t>(owner); i < original.size(); i += 2, ++k) {
      EXPECT_TRUE(store.read(k) == original[i]) << "store sample " << k << " vs original " << i;
    }
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) fs::remove_all(dir);
}

}  // namespace
}  // namespace autoopt::io
