// The generate job: n candidates give n ledger rows and n stored samples (HDF5 store, GNNet export)
// independent of the thread count; failing candidates are recorded and the run finishes; reruns
// resume (nothing redone), extend n, or are refused with other options unless forced; a run killed
// with SIGKILL in a forked child resumes to the same dataset as an uninterrupted run; untrusted
// ledger rows, orphan shards and temporary files are cleaned up on resume.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "io/gnnet.hpp"
#include "io/h5store.hpp"
#include "net/error.hpp"
#include "run/generate_fixtures.hpp"
#include "run/generate_job.hpp"
#include "run/simulate_job.hpp"

namespace autoopt::run {
namespace {
namespace fs = std::filesystem;
using namespace autoopt::run::testing;

GenerateOptions options(const fs::path& run, std::size_t n, const fs::path& calls) {
  return test_options(run, n, calls, {.seed = 42, .threads = 2, .fingerprint = "test generator v1", .batch_size = 4, .samples_per_file = 5});
}

std::size_t count_batches(const fs::path& shards) {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(shards, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("batch-", 0) == 0 && e.path().extension() == ".h5") ++n;
  }
  return n;
}

TEST(GenerateJob, NCandidatesGiveNLedgerRowsAndNReadableSamples) {
  TempDir dir("gen-basic");
  const fs::path run = dir.path() / "run";
  const GenerateOptions o = options(run, 13, dir.path() / "calls");
  const GenerateReport r = generate_job(o, kSerial);
  EXPECT_EQ(r.n, 13u);
  EXPECT_EQ(r.ok, 13u);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_EQ(r.done_now, 13u);
  EXPECT_EQ(r.previously_done, 0u);
  EXPECT_EQ(read_lines(dir.path() / "calls").size(), 13u);
  EXPECT_TRUE(fs::exists(run / "run.json"));
  EXPECT_TRUE(fs::exists(run / "ledger" / "rank-0.sqlite"));
  EXPECT_EQ(count_batches(run / "shards"), 4u);  // batches of 4: 4+4+4+1

  const std::vector<LedgerRow> rows = read_ledger(run);
  ASSERT_EQ(rows.size(), 13u);
  for (const LedgerRow& row : rows) ASSERT_EQ(row.status, "ok") << row.id << ": " << row.error;
  const auto samples = stored_samples(run);
  ASSERT_EQ(samples.size(), 13u);
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const LedgerRow& row = rows[k];
    EXPECT_EQ(row.k, static_cast<std::int64_t>(k));
    EXPECT_EQ(row.id, "cand-" + std::to_string(k));
    EXPECT_EQ(row.seed, sample_seed(42, static_cast<std::int64_t>(k)));
    EXPECT_EQ(row.status, "ok") << row.error;
    EXPECT_TRUE(row.error.empty());
    const net::Sample input = small_sample(row.seed);
    EXPECT_EQ(row.config_hash, input_hash(input));
    EXPECT_EQ(row.config_hash.size(), 16u);
    EXPECT_EQ(row.nodes, input.num_nodes());
    EXPECT_TRUE(fs::exists(run / "shards" / row.shard)) << row.shard;
    EXPECT_GE(row.gen_s, 0.0);
    EXPECT_GT(row.sim_s, 0.0);
    EXPECT_EQ(row.sim_time, 20.0);
    EXPECT_GT(row.mean_link_util, 0.0);
    EXPECT_GE(row.max_link_util, row.mean_link_util);
    EXPECT_GE(row.lost_fraction, 0.0);
    EXPECT_LT(row.lost_fraction, 1.0);
    EXPECT_GT(row.mean_path_delay, 0.0);
    EXPECT_GT(row.finished_at, 1.6e9);

    const net::Sample& s = samples.at(static_cast<std::int64_t>(k));
    EXPECT_EQ(s.topology, input.topology);
    EXPECT_EQ(s.routing, input.routing);
    EXPECT_EQ(s.traffic, input.traffic);
    ASSERT_TRUE(s.results.has_value());
    double mx = 0;
    for (const auto& p : s.results->ports) mx = std::max(mx, p.utilization);
    EXPECT_EQ(row.max_link_util, mx);
  }
  // The store reads through `autoopt info`'s path (manifest), and the GNNet export reads back.
  EXPECT_EQ(io::ShardStore::open(run / "shards").size(), 13u);
  io::GnnetDataset ds(r.results_dir);
  EXPECT_EQ(r.results_dir, run / "results" / "generated");
  ASSERT_EQ(ds.size(), 13u);
  std::set<std::int64_t> ids;
  for (std::size_t i = 0; i < ds.size(); ++i) {
    const net::Sample back = ds.load(i);
    ids.insert(back.id);
    // The text format rounds numbers: compare the structure.
    EXPECT_EQ(back.routing, samples.at(back.id).routing) << back.id;
    EXPECT_EQ(back.topology.links.size(), samples.at(back.id).topology.links.size()) << back.id;
    ASSERT_TRUE(back.results.has_value());
    EXPECT_NEAR(back.results->global_packets, samples.at(back.id).results->global_packets, 1e-3) << back.id;
  }
  EXPECT_EQ(ids.size(), 13u);
  EXPECT_EQ(*ids.rbegin(), 12);
  EXPECT_TRUE(fs::exists(r.results_dir / "results_generated_0_4.tar.gz"));
  EXPECT_TRUE(fs::exists(r.results_dir / "results_generated_10_12.tar.gz"));

  // One thread and another batch size: the same samples and the same export bytes.
  GenerateOptions one = options(dir.path() / "one", 13, dir.path() / "calls1");
  one.threads = 1;
  one.batch_size = 5;
  (void)generate_job(one, kSerial);
  EXPECT_TRUE(stored_samples(dir.path() / "one") == samples);
  EXPECT_TRUE(file_tree(dir.path() / "one" / "results") == file_tree(run / "results"));

  // Another seed: other samples.
  GenerateOptions other = options(dir.path() / "other", 3, dir.path() / "calls2");
  other.seed = 43;
  (void)generate_job(other, kSerial);
  EXPECT_FALSE(stored_samples(dir.path() / "other").at(0) == samples.at(0));
}

TEST(GenerateJob, FailingCandidatesAreRecordedAndTheRunFinishes) {
  TempDir dir("gen-fail");
  const fs::path run = dir.path() / "run", calls = dir.path() / "calls";
  GenerateOptions o = options(run, 8, calls);
  const auto good = counting_maker(calls, {}, {"cand-3"});
  o.make_sample = [good](std::uint64_t seed, const std::string& id) {
    net::Sample s = good(seed, id);
    if (id == "cand-5") s.routing.paths[1].clear();  // a flow 0->1 without a path
    return s;
  };
  const GenerateReport r = generate_job(o, kSerial);
  EXPECT_EQ(r.ok, 6u);
  EXPECT_EQ(r.failed, 2u);
  const auto rows = read_ledger(run);
  ASSERT_EQ(rows.size(), 8u);
  EXPECT_EQ(rows[3].status, "failed");
  EXPECT_EQ(rows[3].error, "generate: synthetic failure of cand-3");
  EXPECT_TRUE(rows[3].config_hash.empty());
  EXPECT_TRUE(rows[3].shard.empty());
  EXPECT_EQ(rows[5].status, "failed");
  EXPECT_TRUE(rows[5].error.rfind("validate: ", 0) == 0 || rows[5].error.rfind("simulate: ", 0) == 0) << rows[5].error;
  EXPECT_FALSE(rows[5].config_hash.empty());
  EXPECT_GT(rows[5].nodes, 0);
  const auto samples = stored_samples(run);
  EXPECT_EQ(samples.size(), 6u);
  EXPECT_EQ(samples.count(3), 0u);
  EXPECT_EQ(samples.count(5), 0u);
  EXPECT_EQ(io::GnnetDataset(r.results_dir).size(), 6u);

  // A rerun redoes nothing (failed candidates count as finished) ...
  const std::size_t before = read_lines(calls).size();
  const GenerateReport again = generate_job(o, kSerial);
  EXPECT_EQ(again.previously_done, 8u);
  EXPECT_EQ(again.done_now, 0u);
  EXPECT_EQ(read_lines(calls).size(), before);
  // ... unless asked to retry them.
  o.retry_failed = true;
  const GenerateReport retry = generate_job(o, kSerial);
  EXPECT_EQ(retry.previously_done, 6u);
  EXPECT_EQ(retry.done_now, 2u);
  const auto lines = read_lines(calls);
  ASSERT_EQ(lines.size(), before + 2);
  EXPECT_EQ(std::set<std::string>(lines.begin() + static_cast<std::ptrdiff_t>(before), lines.end()),
            (std::set<std::string>{"cand-3", "cand-5"}));
  EXPECT_EQ(retry.failed, 2u);
}

TEST(GenerateJob, RerunsResumeExtendOrAreRefused) {
  TempDir dir("gen-rerun");
  const fs::path run = dir.path() / "run", calls = dir.path() / "calls";
  GenerateOptions o = options(run, 6, calls);
  (void)generate_job(o, kSerial);
  const auto rows6 = read_ledger(run);

  // Larger n: only the new candidates are made; the old rows are untouched.
  o.n = 9;
  const GenerateReport ext = generate_job(o, kSerial);
  EXPECT_TRUE(ext.extended);
  EXPECT_EQ(ext.previously_done, 6u);
  EXPECT_EQ(ext.done_now, 3u);
  const auto lines = read_lines(calls);
  ASSERT_EQ(lines.size(), 9u);
  EXPECT_EQ(lines[6] + lines[7] + lines[8], "cand-6cand-7cand-8");
  const auto rows9 = read_ledger(run);
  ASSERT_EQ(rows9.size(), 9u);
  for (std::size_t k = 0; k < 6; ++k) EXPECT_EQ(rows9[k].finished_at, rows6[k].finished_at) << k;
  // Equal to a run made with n = 9 from the start.
  GenerateOptions fresh = options(dir.path() / "fresh", 9, dir.path() / "calls-fresh");
  (void)generate_job(fresh, kSerial);
  EXPECT_TRUE(stored_samples(run) == stored_samples(dir.path() / "fresh"));
  EXPECT_TRUE(file_tree(run / "results") == file_tree(dir.path() / "fresh" / "results"));

  const auto expect_refused = [&](const GenerateOptions& bad, const std::string& why) {
    try {
      (void)generate_job(bad, kSerial);
      ADD_FAILURE() << "rerun not refused: " << why;
    } catch (const Error& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find((run / "run.json").string() + ": cannot resume this run: " + why), std::string::npos) << m;
      EXPECT_NE(m.find("--force"), std::string::npos) << m;
    }
  };
  GenerateOptions bad = o;
  bad.seed = 7;
  expect_refused(bad, "it was made with seed 42, not 7");
  bad = o;
  bad.generator_fingerprint = "test generator v2";
  expect_refused(bad, "it was made with another generator configuration");
  bad = o;
  bad.sim.sim_time_s = 30;
  expect_refused(bad, "it was made with other simulator options");
  bad = o;
  bad.n = 4;
  expect_refused(bad, "it has n = 9 candidates; a smaller n (4) would drop finished ones");
  EXPECT_EQ(read_lines(calls).size(), 9u);  // refusals made nothing

  // --force discards the run and starts over.
  bad.force = true;
  const GenerateReport forced = generate_job(bad, kSerial);
  EXPECT_EQ(forced.previously_done, 0u);
  EXPECT_EQ(forced.done_now, 4u);
  EXPECT_EQ(read_ledger(run).size(), 4u);
  EXPECT_EQ(stored_samples(run).size(), 4u);
  EXPECT_EQ(io::GnnetDataset(run / "results" / "generated").size(), 4u);

  // A folder with shards but no run.json is not taken over.
  TempDir other("gen-notarun");
  fs::create_directories(other.path() / "shards");
  io::write_file_atomic(other.path() / "shards" / "x.h5", "x");
  GenerateOptions foreign = options(other.path(), 2, dir.path() / "calls-x");
  try {
    (void)generate_job(foreign, kSerial);
    ADD_FAILURE() << "a folder that is not a run was taken over";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("holds ledger or shard files but no run.json"), std::string::npos) << e.what();
  }
}

TEST(GenerateJob, KilledWithSigkillResumesWithoutRedoingFinishedCandidates) {
  TempDir dir("gen-kill");
  const fs::path run = dir.path() / "run", calls = dir.path() / "calls";
  constexpr std::size_t n = 24;
  GenerateOptions o = options(run, n, calls);
  o.batch_size = 3;
  o.threads = 1;
  o.make_sample = counting_maker(calls, std::chrono::milliseconds(40));

  // Twice: start the job in a forked child and SIGKILL it once `batches` batch files are in place
  // (the second child resumes what the first left).
  for (const std::size_t batches : {2u, 5u}) {
    const pid_t pid = fork_generate_job(o);
    ASSERT_GE(pid, 0);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    int status = 0;
    bool exited = false;
    while (count_batches(run / "shards") < batches && std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        exited = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_FALSE(exited) << "the child ended before it was killed, status " << status;
    ::kill(pid, SIGKILL);
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the child was not killed mid-run: " << status;
  }

  const std::vector<LedgerRow> before = read_ledger(run);
  ASSERT_GE(before.size(), 3u);
  ASSERT_LT(before.size(), n);
  const std::size_t calls_before = read_lines(calls).size();
  ASSERT_LT(calls_before, n);

  // Resume with the same options (no delay needed now).
  o.make_sample = counting_maker(calls);
  const GenerateReport r = generate_job(o, kSerial);
  EXPECT_EQ(r.previously_done, before.size());
  EXPECT_EQ(r.done_now, n - before.size());
  EXPECT_EQ(r.ok, n);

  // The resume made exactly the candidates that had no committed row.
  const auto lines = read_lines(calls);
  const std::vector<std::string> resumed(lines.begin() + static_cast<std::ptrdiff_t>(calls_before), lines.end());
  EXPECT_EQ(resumed.size(), n - before.size());
  const std::set<std::string> resumed_set(resumed.begin(), resumed.end());
  EXPECT_EQ(resumed_set.size(), resumed.size());
  for (const LedgerRow& row : before) EXPECT_EQ(resumed_set.count(row.id), 0u) << row.id << " was redone";

  // Finished rows are unchanged; the final ledger has n rows.
  const std::vector<LedgerRow> after = read_ledger(run);
  ASSERT_EQ(after.size(), n);
  for (const LedgerRow& row : before) {
    const LedgerRow& now = after[static_cast<std::size_t>(row.k)];
    EXPECT_EQ(now.finished_at, row.finished_at);
    EXPECT_EQ(now.shard, row.shard);
  }
  for (const auto& e : fs::directory_iterator(run / "shards")) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }

  // The same dataset as an uninterrupted run, byte for byte in the GNNet export.
  GenerateOptions ref = options(dir.path() / "ref", n, dir.path() / "calls-ref");
  ref.batch_size = 3;
  (void)generate_job(ref, kSerial);
  EXPECT_TRUE(stored_samples(run) == stored_samples(dir.path() / "ref"));
  EXPECT_TRUE(file_tree(run / "results") == file_tree(dir.path() / "ref" / "results"));
}

TEST(GenerateJob, ResumeTrustsOnlyRowsWhoseShardExistsAndRemovesOrphans) {
  TempDir dir("gen-orphan");
  const fs::path run = dir.path() / "run", calls = dir.path() / "calls";
  GenerateOptions o = options(run, 10, calls);
  o.threads = 1;
  (void)generate_job(o, kSerial);
  const auto reference = stored_samples(run);
  const auto export_ref = file_tree(run / "results");
  const auto rows = read_ledger(run);

  // Lose one batch (its rows are no longer trusted), add an orphan batch no row refers to (as after
  // a kill between rename and commit) and a leftover temporary file.
  const std::string lost = rows[4].shard;
  std::set<std::string> lost_ids;
  for (const LedgerRow& r : rows) {
    if (r.shard == lost) lost_ids.insert(r.id);
  }
  ASSERT_FALSE(lost_ids.empty());
  fs::copy_file(run / "shards" / lost, run / "shards" / "batch-900-901.h5");
  fs::remove(run / "shards" / lost);
  io::write_file_atomic(run / "shards" / "batch-8-9.h5.tmp-1-2", "partial");
  const std::size_t before = read_lines(calls).size();

  const GenerateReport r = generate_job(o, kSerial);
  EXPECT_EQ(r.previously_done, 10 - lost_ids.size());
  const auto lines = read_lines(calls);
  EXPECT_EQ(std::set<std::string>(lines.begin() + static_cast<std::ptrdiff_t>(before), lines.end()), lost_ids);
  EXPECT_EQ(lines.size(), before + lost_ids.size());
  EXPECT_FALSE(fs::exists(run / "shards" / "batch-900-901.h5"));
  EXPECT_FALSE(fs::exists(run / "shards" / "batch-8-9.h5.tmp-1-2"));
  EXPECT_TRUE(stored_samples(run) == reference);
  EXPECT_TRUE(file_tree(run / "results") == export_ref);
  EXPECT_EQ(read_ledger(run).size(), 10u);
}

TEST(GenerateJob, BadOptionsAreRejected) {
  TempDir dir("gen-bad");
  GenerateOptions o = options(dir.path() / "run", 0, dir.path() / "calls");
  try {
    (void)generate_job(o, kSerial);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "generate: n must be > 0");
  }
  o.n = 2;
  o.make_sample = nullptr;
  try {
    (void)generate_job(o, kSerial);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no sample generator"), std::string::npos) << e.what();
  }
}

TEST(GenerateJob, InputHashCoversInputsOnly) {
  const net::Sample a = small_sample(5);
  net::Sample b = a;
  b.id = 99;
  b.graph_name = "other.txt";
  EXPECT_EQ(input_hash(a), input_hash(b));
  b.topology.links[0].bandwidth_bps += 1;
  EXPECT_NE(input_hash(a), input_hash(b));
  b = a;
  b.traffic.pairs[1][0].tos = (b.traffic.pairs[1][0].tos + 1) % 3;
  EXPECT_NE(input_hash(a), input_hash(b));
  EXPECT_NE(input_hash(small_sample(5)), input_hash(small_sample(6)));
  EXPECT_EQ(candidate_id(12), "cand-12");
}

}  // namespace
}  // namespace autoopt::run
