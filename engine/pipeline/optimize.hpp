// `autoopt optimize`: Stage 2 alone on an existing dataset (GNNet folder or HDF5 store; nothing here
// assumes generated data): keep N_max = round(fraction * |pool|) samples by seed selection and
// incremental optimization, train the final model on the selection, on the whole pool and on a random
// selection of the same size (same settings), evaluate the three on the test set (or the validation
// set), and report the accuracy lost against training on everything. The model trained on the whole
// pool is also the feature extractor (it is the model the embeddings come from).
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>

#include "io/convert.hpp"
#include "pipeline/run_config.hpp"
#include "pipeline/run_report.hpp"

namespace autoopt::pipeline {

struct OptimizeOptions {
  std::filesystem::path pool;   // the dataset to select from (needs results)
  std::filesystem::path val;    // validation set: early stopping and the filter model (its val_subset)
  std::filesystem::path test;   // optional: Table I is measured on it when given, else on val
  std::filesystem::path out;    // output folder (created; existing files are replaced)
  double fraction = 0.1;        // in (0, 1]
  // Stage-2 and model knobs (seed_clusters, seeds_per_cluster, r_iter, n_easy, n_hard, decay, thr_iter,
  // influence, rules, epochs, val_subset, seed, threads, device); pool/generation keys are ignored and
  // n_max is set from the fraction.
  RunConfig settings;
  bool progress = true;
  bool write_report = true;
  std::string command_line;
  io::Distribution dist;
  std::function<void(const std::string&)> log;  // rank 0's terminal lines; empty: stdout
};

struct OptimizeResult {
  std::size_t pool_size = 0;
  std::size_t n_max = 0;
  std::vector<std::size_t> selected;   // positions in the pool dataset (its stable order)
  RunReportInput report;               // methods: autoopt, all-pool, random (rank 0)
  double delay_mape_lost = 0.0;        // AutoOPT's overall delay MAPE minus all-pool's (fractions)
  double jitter_mape_lost = 0.0;
  double random_delay_mape_lost = 0.0; // the same for the random selection
};

// Collective over dist.comm like run_pipeline (rank 0 works, the others wait). Writes into `out`:
// selected.csv (position, sample id, graph, nodes), table2.csv, models/<method>/, report/ and
// summary.txt. Throws autoopt::Error naming the option on bad input.
OptimizeResult optimize_dataset(const OptimizeOptions& options);

}  // namespace autoopt::pipeline
