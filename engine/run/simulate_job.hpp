// The simulate batch job (`autoopt simulate`): simulates every sample of a reference-simulator input
// folder (io/refsim.hpp) or re-simulates the inputs of any dataset (GNNet folder or HDF5 store),
// sharing the samples among MPI ranks round-robin and, inside a rank, among std::threads.
//
// Output folder:
//   <out>/shards/shard-<rank>-of-<size>.h5 + manifest.json   every simulated sample (HDF5 store)
//   <out>/results/<dataset_name>/                             a GNNet dataset root (spec §1.1); when
//                                                             re-simulating a dataset with several
//                                                             network sizes, one root per size <N>/
//   <out>/out.log                                             one line per input sample, in order:
//       "<simulation line> Ok wall_s=<s> mem_kb=<KB>" or "<simulation line> Error: <message>"
//       or "<simulation line> Skipped: <why>" (size filter)
//
// Determinism: sample k (its 0-based line in simulation.txt, or its position in the dataset's stable
// order) is simulated with seed sample_seed(global seed, k), so the Results do not depend on the
// number of ranks or threads. RunInfo keeps sim_time, metric and status "OK" from the simulator;
// wall_s and mem_kb stay 0 in the stored Results (they go to out.log only), so the GNNet export is
// byte-identical whatever the distribution. A sample that fails (bad input, simulator error) is
// logged and skipped; the run goes on.
//
// Threads: only the rank's main thread touches HDF5 and libarchive (reading a dataset input, writing
// the shard); workers load reference-input samples and simulate.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "io/convert.hpp"
#include "io/refsim.hpp"
#include "sim/simulator.hpp"

namespace autoopt::run {

struct SimulateOptions {
  std::filesystem::path in;   // a reference input folder (has simulation.txt) or a dataset
  std::filesystem::path out;  // the output folder (created)
  sim::SimConfig sim;         // sim.seed is the global seed; each sample gets sample_seed(seed, k)
  // Worker threads per rank; 0 = default_threads(comm), capped by conf.yml `threads` when given.
  int threads = 0;
  io::SizeFilter filter;
  // Output dataset name (results/<name>/ and the archive tag). Empty: conf.yml's dataset_name, or
  // for a dataset input "resimulated" (the archives then keep each sample's own tag).
  std::string dataset_name;
  // Samples per results archive; 0 = conf.yml's samples_per_file, or 1 for a dataset input.
  std::size_t samples_per_file = 0;
  // Remove a previous results/<name>/ and out.log first; nullopt = conf.yml's rm_prev_results
  // (dataset input: no). Without it, an existing non-empty results/<name>/ is an error.
  std::optional<bool> rm_prev_results;
  io::refsim::LoadOptions ref;  // reference input parsing (ON-OFF order, limits)
  bool progress = true;         // progress lines on stderr (rate, ETA)
};

struct SimulateReport {
  std::size_t total = 0;       // input samples (all ranks)
  std::size_t mine = 0;        // samples owned by this rank
  std::size_t ok = 0;          // simulated successfully (all ranks; valid on every rank)
  std::size_t failed = 0;      // failed (all ranks)
  std::size_t skipped = 0;     // left out by the size filter (all ranks)
  int threads = 1;             // worker threads of this rank
  double seconds = 0.0;        // wall time of the job
  double sim_seconds = 0.0;    // summed simulation wall time of this rank's samples
  std::filesystem::path results_dir;  // <out>/results/<name>
  std::filesystem::path shards_dir;   // <out>/shards
  std::filesystem::path log_file;     // <out>/out.log
  std::vector<std::string> warnings;  // conf.yml warnings
};

// Runs the job. Collective over dist.comm when it is not MPI_COMM_NULL (every rank calls it with the
// same options); throws autoopt::Error on every rank if any rank failed outside a sample (unreadable
// input, output not writable, ...).
SimulateReport simulate_job(const SimulateOptions& options, const io::Distribution& dist);

// The seed of sample k: a 64-bit mix of (global seed, k).
[[nodiscard]] std::uint64_t sample_seed(std::uint64_t global_seed, std::int64_t k) noexcept;

// hardware_concurrency / (ranks of `comm` on this node), at least 1 (comm may be MPI_COMM_NULL).
[[nodiscard]] int default_threads(MPI_Comm comm);

}  // namespace autoopt::run
