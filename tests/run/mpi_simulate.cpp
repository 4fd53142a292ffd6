// Under mpirun -np 2: the simulate job with the samples shared between 2 ranks gives results == to a
// single-process run on 1 thread with the same seed (computed in-process on rank 0), and the GNNet
// export is byte-identical; out.log is the same apart from the wall-time/memory figures.
#include <gtest/gtest.h>
#include <mpi.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "io/archive.hpp"
#include "io/h5store.hpp"
#include "io/refsim_example.hpp"
#include "run/simulate_job.hpp"
#include "mpi_temp_dir.hpp"

namespace autoopt::run {
namespace {
namespace fs = std::filesystem;

std::map<std::string, std::string> tree(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = io::read_file(e.path());
  }
  return out;
}

// out.log without the " wall_s=... mem_kb=..." figures.
std::string log_statuses(const fs::path& file) {
  std::ifstream in(file);
  std::string out;
  for (std::string l; std::getline(in, l);) {
    const std::size_t w = l.find(" wall_s=");
    out += (w == std::string::npos ? l : l.substr(0, w)) + "\n";
  }
  return out;
}

// Rank 0: the same job in one process on 1 thread; results ==, export bytes identical.
void compare_with_one_process(const SimulateOptions& o, const SimulateReport& r) {
  SimulateOptions one = o;
  one.out = o.out.parent_path() / "one";
  one.threads = 1;
  const SimulateReport r1 = simulate_job(one, {0, 1, MPI_COMM_NULL});
  EXPECT_EQ(r1.ok, 5u);

  // Results ==, sample by sample (matched by id).
  std::map<std::int64_t, net::Sample> ref;
  for (auto& s : io::ShardStore::open(r1.shards_dir).read_all()) ref.emplace(s.id, std::move(s));
  const io::ShardStore two = io::ShardStore::open(r.shards_dir);
  EXPECT_EQ(two.manifest().shards.size(), 2u);
  ASSERT_EQ(two.size(), ref.size());
  for (std::size_t i = 0; i < two.size(); ++i) {
    const net::Sample s = two.read(i);
    ASSERT_EQ(ref.count(s.id), 1u) << s.id;
    EXPECT_TRUE(s == ref.at(s.id)) << "sample " << s.id << " differs between 2 ranks and 1 process";
  }
  // The GNNet export: the same files, byte for byte.
  const auto a = tree(r1.results_dir), b = tree(r.results_dir);
  EXPECT_EQ(a.size(), b.size());
  EXPECT_EQ(a.count("results_ex_0_2.tar.gz"), 1u);
  EXPECT_EQ(a.count("results_ex_4_5.tar.gz"), 1u);
  for (const auto& [name, bytes] : a) {
    ASSERT_EQ(b.count(name), 1u) << name;
    EXPECT_TRUE(b.at(name) == bytes) << name << " differs";
  }
  EXPECT_EQ(log_statuses(r1.log_file), log_statuses(r.log_file));
}

TEST(MpiSimulate, TwoRanksGiveTheSameResultsAndBytesAsOneProcess) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  ASSERT_EQ(size, 2);
  const fs::path dir = autoopt::testing::broadcast_temp_dir("simulate");
  const fs::path in = dir / "in";
  if (rank == 0) {
    auto files = autoopt::testing::refsim_example_files();
    const std::string ok = "graphs/ex.txt,routings/ex.txt,tm/ex_0.txt\n";
    // 6 lines, one bad (a flow on an unrouted pair in tm/bad.txt), 3 samples per archive.
    files["tm/bad.txt"] = "0,1,100,0,0,500,1,0\n0,2,100,0,0,500,1,0\n";
    files["routings/short.txt"] = "0,1\n1,0\n";
    files["simulation.txt"] = ok + ok + ok + "graphs/ex.txt,routings/short.txt,tm/bad.txt\n" + ok + ok;
    files["conf.yml"] = "dataset_name: ex\nsamples_per_file: 3\n";
    autoopt::testing::write_files(in, files);
  }
  MPI_Barrier(MPI_COMM_WORLD);

  SimulateOptions o;
  o.in = in;
  o.out = dir / "two";
  o.sim.sim_time_s = 40;
  o.sim.seed = 99;
  o.threads = 2;
  o.progress = false;
  const SimulateReport r = simulate_job(o, {rank, size, MPI_COMM_WORLD});
  EXPECT_EQ(r.total, 6u);
  EXPECT_EQ(r.mine, 3u);
  EXPECT_EQ(r.ok, 5u);
  EXPECT_EQ(r.failed, 1u);
  EXPECT_TRUE(fs::exists(r.shards_dir / io::shard_file_name(rank, size)));
  MPI_Barrier(MPI_COMM_WORLD);

  if (rank == 0) {
    compare_with_one_process(o, r);
    fs::remove_all(dir);
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

}  // namespace
}  // namespace autoopt::run
