// The generate batch job (`autoopt generate`, AutoOPT Stage 1): makes n candidate samples with a
// generator callback, labels each with the simulator, and stores them in a resumable run folder
// with a per-candidate SQLite ledger. docs/generate.md has the full description.
//
// Run folder:
//   <run>/run.json                        the run's identity (n, seed, generator and simulator hashes)
//   <run>/ledger/rank-<r>.sqlite          one ledger per MPI rank: one row per finished candidate
//   <run>/shards/batch-<first>-<last>.h5  finished samples, in small batches (an HDF5 store once
//   <run>/shards/manifest.json            the manifest is rebuilt at the end of every run)
//   <run>/results/<dataset_name>/         GNNet export of the ok samples, rebuilt at the end
//
// Candidate k (0 <= k < n) is made by make_sample(sample_seed(seed, k), "cand-<k>"), gets
// Sample::id = k, and is simulated with SimConfig::seed = sample_seed(sample_seed(seed, k), 1),
// so the stored samples do not depend on the number of ranks or threads. Ranks take the candidates
// round-robin (k % size == rank); inside a rank, worker threads generate and simulate (make_sample
// must be safe to call from several threads at once) and the rank's main thread writes.
//
// Crash safety and resume: finished samples are written in batches to new shard files (temporary
// name, fsync, rename, directory fsync); only then are their ledger rows committed in one SQLite
// transaction. A rerun first trusts only ok rows whose shard file exists, deletes shard files no
// row refers to and leftover temporary files, and then does every candidate without a trusted row.
// Failed candidates (status "failed" with the error) count as finished unless retry_failed.
// A rerun with another seed, generator fingerprint or simulator config is refused unless `force`
// (which discards the old run); a larger n extends the run; a smaller n is refused.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "io/convert.hpp"
#include "net/sample.hpp"
#include "sim/simulator.hpp"

namespace autoopt::run {

// Makes the valid input sample (no results) of a candidate from its seed and id ("cand-<k>").
// Called from worker threads concurrently. Throwing marks the candidate failed with the message.
using MakeSample = std::function<net::Sample(std::uint64_t seed, const std::string& id)>;

struct GenerateOptions {
  std::size_t n = 0;               // candidates in the run (> 0)
  std::filesystem::path out;       // the run folder (created)
  std::uint64_t seed = 1;          // the global seed (sim.seed is ignored: seeds are per candidate)
  sim::SimConfig sim;              // simulator configuration
  int threads = 0;                 // worker threads per rank; 0 = default_threads(comm)
  bool progress = true;            // progress lines on stderr (rate, ETA)
  MakeSample make_sample;          // the generator
  // Text that identifies the generator configuration (e.g. the config file's bytes and the
  // command-line overrides); its hash is part of the run's identity.
  std::string generator_fingerprint;
  std::size_t batch_size = 16;     // samples per shard batch file (>= 1)
  double batch_seconds = 30.0;     // also flush a non-empty batch when it is this old (wall seconds)
  std::string dataset_name = "generated";  // results/<name>/ and the archive tag
  std::size_t samples_per_file = 100;      // samples per GNNet results archive (>= 1)
  bool force = false;              // discard an existing run with another identity
  bool retry_failed = false;       // redo candidates recorded as failed
  bool export_gnnet = true;        // write results/<dataset_name>/ at the end
  // Job-array sharding (`--shard i/n`, e.g. one Slurm array task per shard): this invocation does
  // only shard `shard_index` of `shard_count`, acting as ranks shard_index*R .. shard_index*R+R-1 of
  // shard_count*R (R = MPI ranks of this invocation): ledger/rank-<g>.sqlite, candidates
  // k % (shard_count*R) == g. Shards may run at the same time in the same run folder: each one only
  // deletes its own leftovers (its ledger files, the batch files whose first k it owns) and reads the
  // other ledgers without changing them; it writes no manifest and no GNNet export. Rerunning the
  // same options without sharding afterwards (when no shard runs) merges: it finds every candidate
  // done and writes the manifest and the export. shard_count = 1: a plain run. `force` is refused
  // with shard_count > 1 (it would discard the other shards' work).
  int shard_index = 0;
  int shard_count = 1;
};

struct GenerateReport {
  std::size_t n = 0;               // candidates in the run
  std::size_t previously_done = 0; // finished before this invocation (all ranks), skipped
  std::size_t done_now = 0;        // finished by this invocation (all ranks)
  std::size_t ok = 0;              // ledger rows with status ok after the run (all ranks)
  std::size_t failed = 0;          // ledger rows with status failed after the run (all ranks)
                                   // (with shard_count > 1, n/previously_done/done_now/ok/failed
                                   // count this shard's candidates only)
  int threads = 1;                 // worker threads of this rank
  double seconds = 0.0;            // wall time of the job
  bool extended = false;           // n grew from a previous run
  std::filesystem::path shards_dir, ledger_dir, results_dir;
};

// One ledger row (docs/generate.md lists the SQLite columns).
struct LedgerRow {
  std::int64_t k = 0;
  std::string id;              // "cand-<k>"
  std::string config_hash;     // 16 hex digits: hash of the generated input sample; empty if none
  std::uint64_t seed = 0;      // the candidate's generator seed, sample_seed(global seed, k)
  std::string status;          // "ok" or "failed"
  std::string error;           // failed: "generate: ...", "validate: ..." or "simulate: ..."
  double gen_s = 0.0;          // wall seconds of make_sample
  double sim_s = 0.0;          // wall seconds of the simulation
  int nodes = 0;               // 0 if generation failed
  double mean_link_util = 0.0; // mean over links of the port utilisation
  double max_link_util = 0.0;  // largest port utilisation
  double lost_fraction = 0.0;  // dropped / generated packets, whole network
  double mean_path_delay = -1.0;  // mean over paths with a measured delay of the mean delay, s (-1: none)
  double sim_time = 0.0;       // simulated seconds of the statistics window
  std::string shard;           // ok: file name under shards/; failed: empty
  std::int64_t shard_pos = -1; // ok: position in that shard
  int rank = 0;                // the rank that wrote the row
  double finished_at = 0.0;    // Unix time (s) of the commit
};

// Runs (or resumes) the job. Collective over dist.comm when it is not MPI_COMM_NULL (every rank calls
// it with the same options); throws autoopt::Error on every rank if any rank failed outside a
// candidate (bad options, refused rerun, output not writable, ...).
GenerateReport generate_job(const GenerateOptions& options, const io::Distribution& dist);

// Every ledger row of a run folder (all rank files), sorted by k. Rows are read as stored (no check
// of the shard files). Throws autoopt::Error naming the file on a bad ledger.
[[nodiscard]] std::vector<LedgerRow> read_ledger(const std::filesystem::path& run_dir);

// 16 lowercase hex digits: a 64-bit hash (FNV-1a over a canonical little-endian encoding) of the
// sample's inputs (topology, routing, traffic; not the id, names or results).
[[nodiscard]] std::string input_hash(const net::Sample& sample);

// "cand-<k>"
[[nodiscard]] std::string candidate_id(std::size_t k);

}  // namespace autoopt::run
