// The simulate job end to end on the spec §10 example: a GNNet dataset that GnnetDataset reads back,
// out.log in sample order with failures logged (the run goes on), archives of samples_per_file
// consecutive ids, results independent of the thread count, rm_prev_results, the size filter, and
// re-simulating a dataset (GNNet folder and HDF5 store).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "io/archive.hpp"
#include "io/gnnet.hpp"
#include "io/h5store.hpp"
#include "io/refsim.hpp"
#include "io/refsim_example.hpp"
#include "net/error.hpp"
#include "net/validate.hpp"
#include "run/simulate_job.hpp"

namespace autoopt::run {
namespace {
namespace fs = std::filesystem;
using autoopt::testing::refsim_example_files;
using autoopt::testing::TempDir;
using autoopt::testing::write_files;

const io::Distribution kSerial{0, 1, MPI_COMM_NULL};

SimulateOptions options(const fs::path& in, const fs::path& out, int threads) {
  SimulateOptions o;
  o.in = in;
  o.out = out;
  o.sim.sim_time_s = 50;
  o.sim.seed = 7;
  o.threads = threads;
  o.progress = false;
  return o;
}

std::vector<std::string> lines_of(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Relative path -> bytes of every file under dir.
std::map<std::string, std::string> tree(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = io::read_file(e.path());
  }
  return out;
}

// Five lines: 0, 1, 3, 4 fine (same inputs), 2 names a missing TM.
std::map<std::string, std::string> five_line_example() {
  auto f = refsim_example_files();
  const std::string ok = "graphs/ex.txt,routings/ex.txt,tm/ex_0.txt\n";
  f["simulation.txt"] = ok + ok + "graphs/ex.txt,routings/ex.txt,tm/missing.txt\n" + ok + ok;
  f["conf.yml"] = "threads: 4\ndataset_name: ex\nsamples_per_file: 2\nrm_prev_results: n\n";
  return f;
}

TEST(SimulateJob, WorkedExampleGivesAGnnetDatasetThatReadsBack) {
  TempDir in("simjob-in"), out("simjob-out");
  write_files(in.path(), refsim_example_files());
  const SimulateReport r = simulate_job(options(in.path(), out.path(), 2), kSerial);
  EXPECT_EQ(r.total, 1u);
  EXPECT_EQ(r.ok, 1u);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_EQ(r.results_dir, out.path() / "results" / "ex");
  EXPECT_TRUE(fs::exists(r.results_dir / "results_ex_0_0.tar.gz"));
  EXPECT_TRUE(fs::exists(r.results_dir / "graphs" / "ex.txt"));

  const auto log = lines_of(out.path() / "out.log");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].rfind("graphs/ex.txt,routings/ex.txt,tm/ex_0.txt Ok wall_s=", 0), 0u) << log[0];

  const net::Sample input = io::refsim::RefInput(in.path()).load(0);
  io::GnnetDataset ds(r.results_dir);
  ASSERT_EQ(ds.size(), 1u);
  const net::Sample back = ds.load(0);
  EXPECT_TRUE(net::validate(back).empty()) << net::format_problems(net::validate(back));
  EXPECT_EQ(back.id, 0);
  EXPECT_EQ(back.topology, input.topology);
  EXPECT_EQ(back.routing, input.routing);
  ASSERT_TRUE(back.results.has_value());
  EXPECT_EQ(back.results->run.sim_time, 50.0);
  EXPECT_EQ(back.results->run.status, "OK");
  EXPECT_EQ(back.results->run.wall_s, 0);  // wall time and memory only in out.log
  EXPECT_EQ(back.results->run.mem_kb, 0);
  EXPECT_GT(back.results->global_packets, 0.0);
  // Offered load of the CBR flow 0->2: 1.92308 packets/s, as the TM asks.
  EXPECT_NEAR(back.results->pairs[2].pkts_gen, 1500.0 / 780.0, 0.05);

  // The shard store holds the same sample with full-precision results.
  const io::ShardStore store = io::ShardStore::open(r.shards_dir);
  ASSERT_EQ(store.size(), 1u);
  const net::Sample stored = store.read(0);
  EXPECT_EQ(stored.traffic, input.traffic);
  EXPECT_NEAR(stored.results->global_packets, back.results->global_packets, 1e-4);
}

TEST(SimulateJob, FailuresAreLoggedArchivesGroupConsecutiveIdsAndThreadsDoNotChangeResults) {
  TempDir in("simjob-in"), out1("simjob-out"), out3("simjob-out");
  write_files(in.path(), five_line_example());
  const SimulateReport r1 = simulate_job(options(in.path(), out1.path(), 1), kSerial);
  const SimulateReport r3 = simulate_job(options(in.path(), out3.path(), 3), kSerial);
  EXPECT_EQ(r1.total, 5u);
  EXPECT_EQ(r1.ok, 4u);
  EXPECT_EQ(r1.failed, 1u);
  EXPECT_EQ(r3.threads, 3);

  const auto log = lines_of(out1.path() / "out.log");
  ASSERT_EQ(log.size(), 5u);
  for (int i : {0, 1, 3, 4}) EXPECT_NE(log[static_cast<std::size_t>(i)].find(" Ok wall_s="), std::string::npos) << i;
  EXPECT_EQ(log[2].rfind("graphs/ex.txt,routings/ex.txt,tm/missing.txt Error: simulation.txt line 3", 0), 0u) << log[2];
  EXPECT_NE(log[2].find("\"tm/missing.txt\": no such file"), std::string::npos) << log[2];

  // samples_per_file 2 with a gap at id 2: archives 0-1 and 3-4.
  const auto files1 = tree(r1.results_dir);
  EXPECT_EQ(files1.count("results_ex_0_1.tar.gz"), 1u);
  EXPECT_EQ(files1.count("results_ex_3_4.tar.gz"), 1u);
  EXPECT_EQ(io::GnnetDataset(r1.results_dir).size(), 4u);
  // 1 thread and 3 threads: identical bytes.
  EXPECT_TRUE(files1 == tree(r3.results_dir));

  // Same inputs on different lines get different seeds, hence different results.
  EXPECT_NE(sample_seed(7, 0), sample_seed(7, 1));
  const auto samples = io::ShardStore::open(r1.shards_dir).read_all();
  ASSERT_EQ(samples.size(), 4u);
  EXPECT_EQ(samples[0].traffic, samples[1].traffic);
  EXPECT_FALSE(samples[0].results == samples[1].results);
}

TEST(SimulateJob, PreviousResultsNeedRmPrevResults) {
  TempDir in("simjob-in"), out("simjob-out");
  write_files(in.path(), refsim_example_files());
  (void)simulate_job(options(in.path(), out.path(), 1), kSerial);
  try {
    (void)simulate_job(options(in.path(), out.path(), 1), kSerial);
    ADD_FAILURE() << "second run into the same results folder did not fail";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("already holds results; set rm_prev_results: y"), std::string::npos) << e.what();
  }
  auto o = options(in.path(), out.path(), 1);
  o.rm_prev_results = true;
  EXPECT_EQ(simulate_job(o, kSerial).ok, 1u);
}

TEST(SimulateJob, SizeFilterSkipsAndLogs) {
  TempDir in("simjob-in"), out("simjob-out");
  write_files(in.path(), refsim_example_files());
  auto o = options(in.path(), out.path(), 1);
  o.filter.min_nodes = 4;
  const SimulateReport r = simulate_job(o, kSerial);
  EXPECT_EQ(r.skipped, 1u);
  EXPECT_EQ(r.ok, 0u);
  const auto log = lines_of(out.path() / "out.log");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].find(" Skipped: 3 nodes, outside the size filter 4.."), std::string::npos) << log[0];
}

TEST(SimulateJob, ResimulatesGnnetAndHdf5Datasets) {
  TempDir in("simjob-in"), out("simjob-out"), again("simjob-again"), again_h5("simjob-again-h5");
  write_files(in.path(), five_line_example());
  const SimulateReport first = simulate_job(options(in.path(), out.path(), 2), kSerial);
  ASSERT_EQ(first.ok, 4u);

  auto o = options(first.results_dir, again.path(), 2);
  o.sim.seed = 8;
  const SimulateReport g = simulate_job(o, kSerial);
  EXPECT_EQ(g.total, 4u);
  EXPECT_EQ(g.ok, 4u);
  EXPECT_EQ(g.results_dir, again.path() / "results" / "resimulated");
  const auto back = io::GnnetDataset(g.results_dir).read_all();
  ASSERT_EQ(back.size(), 4u);
  EXPECT_EQ(back[2].id, 3);  // ids and the archive tag are kept
  EXPECT_TRUE(fs::exists(g.results_dir / "results_ex_3_3.tar.gz"));

  auto h = options(first.shards_dir, again_h5.path(), 1);
  h.dataset_name = "h5again";
  const SimulateReport hr = simulate_job(h, kSerial);
  EXPECT_EQ(hr.ok, 4u);
  EXPECT_TRUE(fs::exists(hr.results_dir / "results_h5again_0_0.tar.gz"));
  // The HDF5 inputs are the exact inputs of the first run and the seed is the same (7). The first
  // run numbered its samples by line (0, 1, 3, 4), the store by position (0, 1, 2, 3): samples 0 and
  // 1 get the same seeds, hence identical results; the others do not.
  const auto a = io::ShardStore::open(first.shards_dir).read_all();
  const auto b = io::ShardStore::open(hr.shards_dir).read_all();
  ASSERT_EQ(a.size(), 4u);
  ASSERT_EQ(b.size(), 4u);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].traffic, b[i].traffic);
  EXPECT_TRUE(a[0].results == b[0].results);
  EXPECT_TRUE(a[1].results == b[1].results);
  EXPECT_FALSE(a[2].results == b[2].results);
}

TEST(SimulateJob, BadInputIsAnErrorNamingIt) {
  TempDir in("simjob-in"), out("simjob-out");
  try {
    (void)simulate_job(options(in.path(), out.path(), 1), kSerial);
    ADD_FAILURE() << "an empty folder was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(in.path().string()), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace autoopt::run
