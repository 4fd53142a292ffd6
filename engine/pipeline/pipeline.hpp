// `autoopt run`, the whole AutoOPT pipeline in one resumable run folder: Stage 1 pool (run::generate_job
// into RUN/pool) -> evaluation set (self-made larger networks in RUN/eval, or a given dataset) ->
// feature extractor (RouteNet-F on the pool, early stopping on the validation subset) -> embeddings ->
// seed selection with the expert rules -> incremental optimization (RouteNetFilter; Table II) -> final
// model on the selection -> baselines on the same harness (random, quickstart, oracle) -> evaluation
// (Table I per method) -> report (write_run_report into RUN/report). docs/pipeline.md has the layout.
//
// Resume: every finished stage writes its files atomically, then its entry in RUN/stages.json; a rerun
// skips finished stages (generation also resumes inside a stage, sample by sample). RUN/run-config.txt
// holds the configuration's fingerprint: a rerun with another configuration is refused unless `force`
// (which deletes the run folder's contents first).
//
// MPI: collective over dist.comm (every rank calls it with the same arguments). Generation (pool,
// evaluation set, quickstart baseline) shares candidates among the ranks; every other stage runs on
// rank 0 while the other ranks wait without spinning, and a failure on rank 0 makes every rank throw.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "io/convert.hpp"
#include "pipeline/run_config.hpp"
#include "pipeline/run_report.hpp"

namespace autoopt::pipeline {

struct RunOptions {
  std::filesystem::path run_dir;
  bool force = false;                 // discard a run folder made with another configuration
  bool progress = true;               // progress lines (generation, evaluation) on stderr
  bool write_report = true;           // call write_run_report in the report stage
  std::string command_line;           // for the report
  io::Distribution dist;              // rank, size, comm (MPI_COMM_NULL: one process)
  // Terminal lines of rank 0 (stage start/end, one line per Table II row). Empty: stdout.
  std::function<void(const std::string&)> log;
};

struct RunResult {
  std::vector<StageTime> stages;      // every stage in order; resumed = skipped as finished before
  RunReportInput report;              // rank 0: what the report was made from (indicators only when
                                      // the report stage ran in this invocation)
  std::filesystem::path report_dir;   // RUN/report
};

// The stage names in execution order for a configuration ("pool", "eval-set", "extractor", "seeds",
// "incremental", "final", "baseline-<name>"..., "evaluate-<method>"..., "report").
[[nodiscard]] std::vector<std::string> stage_names(const RunConfig& config);

// Runs or resumes the pipeline. Throws autoopt::Error (on every rank) on a refused rerun, bad data, or
// any stage's failure; finished stages stay finished.
RunResult run_pipeline(const RunConfig& config, const RunOptions& options);

// Runs fn on rank 0 only; the other ranks wait (sleeping between polls) for its outcome. Returns fn's
// string on every rank; if fn threw on rank 0, every rank throws autoopt::Error with its message.
std::string on_rank0(const io::Distribution& dist, const std::function<std::string()>& fn);

}  // namespace autoopt::pipeline
