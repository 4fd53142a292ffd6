// Under mpirun -np 2: the generate job with candidates shared between 2 ranks stores the same samples
// as a single-process run with the same seed (and the GNNet export is byte-identical), each rank
// keeps its own ledger file, and a run begun by one process is extended by 2 ranks without redoing
// its candidates.
#include <gtest/gtest.h>
#include <mpi.h>

#include <filesystem>
#include <set>
#include <string>

#include "run/generate_fixtures.hpp"
#include "run/generate_job.hpp"
#include "mpi_temp_dir.hpp"

namespace autoopt::run {
namespace {
namespace fs = std::filesystem;
using namespace autoopt::run::testing;

GenerateOptions options(const fs::path& run, std::size_t n, const fs::path& calls) {
  return test_options(run, n, calls, {.seed = 2024, .threads = 2, .fingerprint = "mpi test generator", .batch_size = 2, .samples_per_file = 3});
}

TEST(MpiGenerateJob, TwoRanksStoreTheSameSamplesAsOneProcessAndExtendASerialRun) {
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  ASSERT_EQ(size, 2);
  const fs::path dir = autoopt::testing::broadcast_temp_dir("generate");
  const io::Distribution world{rank, size, MPI_COMM_WORLD};
  const io::Distribution serial{0, 1, MPI_COMM_NULL};
  constexpr std::size_t n = 11;

  // 2 ranks from scratch.
  const GenerateReport two = generate_job(options(dir / "two", n, dir / "calls-two"), world);
  EXPECT_EQ(two.ok, n);
  EXPECT_EQ(two.done_now, n);

  // Rank 0 alone: a single-process run of all n, and a serial run of the first 4 candidates.
  if (rank == 0) {
    (void)generate_job(options(dir / "one", n, dir / "calls-one"), serial);
    (void)generate_job(options(dir / "ext", 4, dir / "calls-ext"), serial);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  // 2 ranks extend the serial run to n.
  const GenerateReport ext = generate_job(options(dir / "ext", n, dir / "calls-ext"), world);
  EXPECT_TRUE(ext.extended);
  EXPECT_EQ(ext.previously_done, 4u);
  EXPECT_EQ(ext.done_now, n - 4);

  if (rank == 0) {
    // Every candidate made once, by the rank that owns it.
    const auto calls = read_lines(dir / "calls-two");
    EXPECT_EQ(calls.size(), n);
    EXPECT_EQ(std::set<std::string>(calls.begin(), calls.end()).size(), n);
    const auto rows = read_ledger(dir / "two");
    ASSERT_EQ(rows.size(), n);
    for (const LedgerRow& r : rows) {
      EXPECT_EQ(r.rank, static_cast<int>(r.k % 2)) << r.id;
      EXPECT_EQ(r.status, "ok") << r.id;
    }
    EXPECT_TRUE(fs::exists(dir / "two" / "ledger" / "rank-0.sqlite"));
    EXPECT_TRUE(fs::exists(dir / "two" / "ledger" / "rank-1.sqlite"));

    // 2 ranks == 1 process: samples and export bytes.
    const auto one = stored_samples(dir / "one");
    ASSERT_EQ(one.size(), n);
    EXPECT_TRUE(stored_samples(dir / "two") == one);
    EXPECT_TRUE(file_tree(dir / "two" / "results") == file_tree(dir / "one" / "results"));

    // The extended run: the first 4 candidates were not redone, and the result is the same.
    const auto ext_calls = read_lines(dir / "calls-ext");
    EXPECT_EQ(ext_calls.size(), n);
    EXPECT_EQ(std::set<std::string>(ext_calls.begin(), ext_calls.end()).size(), n);
    EXPECT_TRUE(stored_samples(dir / "ext") == one);
    EXPECT_TRUE(file_tree(dir / "ext" / "results") == file_tree(dir / "one" / "results"));
    const auto ext_rows = read_ledger(dir / "ext");
    ASSERT_EQ(ext_rows.size(), n);
    for (std::size_t k = 0; k < 4; ++k) EXPECT_EQ(ext_rows[k].rank, 0);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) fs::remove_all(dir);
}

}  // namespace
}  // namespace autoopt::run
