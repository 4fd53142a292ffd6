// Job-array sharding of the generate job (GenerateOptions::shard_index/shard_count, `--shard i/n`):
// shards running at the same time (forked processes) into one run folder do every candidate exactly
// once, leave no manifest or export, and a plain rerun merges them into the same samples and the same
// GNNet export bytes as a single run; a shard deletes only its own leftovers; a killed shard resumes;
// bad shard options are refused with the reason.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "io/h5store.hpp"
#include "net/error.hpp"
#include "run/generate_fixtures.hpp"
#include "run/generate_job.hpp"

namespace autoopt::run {
namespace {
namespace fs = std::filesystem;
using namespace autoopt::run::testing;

GenerateOptions options(const fs::path& run, std::size_t n, const fs::path& calls) {
  return test_options(run, n, calls, {.seed = 7, .threads = 1, .fingerprint = "test generator shard v1", .batch_size = 2, .samples_per_file = 4});
}

// Runs shards `indices` of `count` in forked children at the same time; returns their exit statuses.
std::vector<int> run_shards_forked(const GenerateOptions& base, const std::vector<int>& indices, int count) {
  std::vector<pid_t> pids;
  for (const int i : indices) {
    GenerateOptions o = base;
    o.shard_index = i;
    o.shard_count = count;
    pids.push_back(fork_generate_job(o));
  }
  std::vector<int> statuses;
  for (const pid_t pid : pids) {
    int status = -1;
    if (pid < 0 || ::waitpid(pid, &status, 0) != pid) status = -1;
    statuses.push_back(status);
  }
  return statuses;
}

TEST(GenerateShard, ConcurrentShardsThenMergeEqualASingleRun) {
  TempDir dir("gen-shard");
  const fs::path run = dir.path() / "run", calls = dir.path() / "calls";
  constexpr std::size_t n = 14;
  constexpr int count = 4;
  const GenerateOptions o = options(run, n, calls);

  const std::vector<int> statuses = run_shards_forked(o, {0, 1, 2, 3}, count);
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    ASSERT_TRUE(WIFEXITED(statuses[i]) && WEXITSTATUS(statuses[i]) == 0) << "shard " << i << ": status " << statuses[i];
  }
  // Every candidate made exactly once, each shard's in its own ledger file; no manifest, no export.
  const auto lines = read_lines(calls);
  EXPECT_EQ(lines.size(), n);
  EXPECT_EQ(std::set<std::string>(lines.begin(), lines.end()).size(), n);
  const std::vector<LedgerRow> rows = read_ledger(run);
  ASSERT_EQ(rows.size(), n);
  for (const LedgerRow& r : rows) {
    EXPECT_EQ(r.status, "ok") << r.id << ": " << r.error;
    EXPECT_EQ(r.rank, static_cast<int>(r.k % count)) << r.id;
    EXPECT_TRUE(fs::exists(run / "ledger" / ("rank-" + std::to_string(r.k % count) + ".sqlite")));
  }
  EXPECT_FALSE(fs::exists(run / "shards" / io::kManifestFileName));
  EXPECT_FALSE(fs::exists(run / "results"));

  // A shard rerun is a resume with nothing to do.
  GenerateOptions again = o;
  again.shard_index = 2;
  again.shard_count = count;
  const GenerateReport r2 = generate_job(again, kSerial);
  EXPECT_EQ(r2.n, 3u);  // k = 2, 6, 10 of 14
  EXPECT_EQ(r2.previously_done, 3u);
  EXPECT_EQ(r2.done_now, 0u);
  EXPECT_EQ(r2.ok, 3u);

  // Merge: a plain rerun finds everything done and writes the manifest and the export.
  const GenerateReport merged = generate_job(o, kSerial);
  EXPECT_EQ(merged.previously_done, n);
  EXPECT_EQ(merged.done_now, 0u);
  EXPECT_EQ(merged.ok, n);
  EXPECT_EQ(read_lines(calls).size(), n);
  EXPECT_TRUE(fs::exists(run / "shards" / io::kManifestFileName));

  // The same samples and GNNet bytes as one uninterrupted plain run.
  const GenerateOptions ref = options(dir.path() / "ref", n, dir.path() / "calls-ref");
  (void)generate_job(ref, kSerial);
  EXPECT_TRUE(stored_samples(run) == stored_samples(dir.path() / "ref"));
  const auto tree = file_tree(run / "results");
  EXPECT_FALSE(tree.empty());
  EXPECT_TRUE(tree == file_tree(dir.path() / "ref" / "results"));
  const std::vector<LedgerRow> ref_rows = read_ledger(dir.path() / "ref");
  ASSERT_EQ(ref_rows.size(), n);
  for (std::size_t k = 0; k < n; ++k) EXPECT_EQ(read_ledger(run)[k].config_hash, ref_rows[k].config_hash);
}

TEST(GenerateShard, AShardDeletesOnlyItsOwnLeftovers) {
  TempDir dir("gen-shard-own");
  const fs::path run = dir.path() / "run", calls = dir.path() / "calls";
  constexpr std::size_t n = 8;
  GenerateOptions o = options(run, n, calls);
  o.shard_count = 2;
  o.shard_index = 1;
  (void)generate_job(o, kSerial);  // shard 1 first: creates the run folder
  // Leftovers as a killed shard 0 would leave them (an uncommitted batch and a temporary), and one
  // of shard 1's own.
  const fs::path shards = run / "shards";
  io::write_file_atomic(shards / "batch-100-102.h5", "not committed");
  io::write_file_atomic(shards / "batch-4-6.h5.tmp-12345", "partial");
  io::write_file_atomic(shards / "batch-3-5.h5.tmp-999", "partial, shard 1");
  (void)generate_job(o, kSerial);  // shard 1 again
  EXPECT_TRUE(fs::exists(shards / "batch-100-102.h5"));
  EXPECT_TRUE(fs::exists(shards / "batch-4-6.h5.tmp-12345"));
  EXPECT_FALSE(fs::exists(shards / "batch-3-5.h5.tmp-999"));

  // Shard 0 cleans its own and does its candidates; then the merge has all n.
  o.shard_index = 0;
  const GenerateReport r0 = generate_job(o, kSerial);
  EXPECT_EQ(r0.done_now, 4u);
  EXPECT_FALSE(fs::exists(shards / "batch-100-102.h5"));
  EXPECT_FALSE(fs::exists(shards / "batch-4-6.h5.tmp-12345"));
  o.shard_count = 1;
  o.shard_index = 0;
  const GenerateReport merged = generate_job(o, kSerial);
  EXPECT_EQ(merged.ok, n);
  EXPECT_EQ(merged.done_now, 0u);
  EXPECT_EQ(read_lines(calls).size(), n);
  EXPECT_EQ(stored_samples(run).size(), n);
}

TEST(GenerateShard, AKilledShardResumesWithoutRedoingItsFinishedCandidates) {
  TempDir dir("gen-shard-kill");
  const fs::path run = dir.path() / "run", calls = dir.path() / "calls";
  constexpr std::size_t n = 16;
  GenerateOptions o = options(run, n, calls);
  o.shard_count = 2;
  o.shard_index = 0;
  o.batch_size = 1;
  o.make_sample = counting_maker(calls, std::chrono::milliseconds(60));
  const pid_t pid = fork_generate_job(o);
  ASSERT_GE(pid, 0);
  // Kill it once two of its rows are committed.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    std::size_t rows = 0;
    try {
      rows = read_ledger(run).size();
    } catch (const Error&) {
      rows = 0;  // the file is being created
    }
    if (rows >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the shard finished before it was killed";
  const std::vector<LedgerRow> before = read_ledger(run);
  ASSERT_GE(before.size(), 2u);
  ASSERT_LT(before.size(), n / 2);

  const std::size_t calls_before = read_lines(calls).size();
  o.make_sample = counting_maker(calls);
  const GenerateReport r = generate_job(o, kSerial);
  EXPECT_EQ(r.previously_done, before.size());
  EXPECT_EQ(r.done_now, n / 2 - before.size());
  const auto lines = read_lines(calls);
  const std::set<std::string> resumed(lines.begin() + static_cast<std::ptrdiff_t>(calls_before), lines.end());
  for (const LedgerRow& row : before) EXPECT_EQ(resumed.count(row.id), 0u) << row.id << " was redone";
  for (const LedgerRow& row : read_ledger(run)) EXPECT_EQ(row.k % 2, 0) << row.id;
}

TEST(GenerateShard, BadShardOptionsAreRefused) {
  TempDir dir("gen-shard-bad");
  GenerateOptions o = options(dir.path() / "run", 4, dir.path() / "calls");
  o.shard_index = 2;
  o.shard_count = 2;
  try {
    (void)generate_job(o, kSerial);
    FAIL() << "shard 2/2 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("shard 2/2: expected 0 <= index < count"), std::string::npos) << e.what();
  }
  o.shard_index = 0;
  o.force = true;
  try {
    (void)generate_job(o, kSerial);
    FAIL() << "--force with --shard accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--force cannot be combined with --shard"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir.path() / "run" / "run.json"));
}

}  // namespace
}  // namespace autoopt::run
