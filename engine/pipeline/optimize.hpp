// `autoopt optimize`: Stage 2 alone on an existing dataset (GNNet folder, HDF5 store or GNNet 2023
// link-path data; nothing here assumes generated data): for each fraction F, keep N_max =
// round(F * |pool|) samples by seed selection and incremental optimization, train the final model on
// the selection and on a random selection of the same size (same settings), evaluate them and the
// model trained on the whole pool on the test set (or the validation set), and report the accuracy
// lost against training on everything. The whole-pool model is trained once for all fractions and is
// also the feature extractor (the embeddings come from it). Resumable: the whole-pool model and every
// finished fraction are reused when the folder is run again with the same settings. Under MPI the
// per-sample losses and embeddings of the pool and the exact influence retrainings are shared among
// the ranks (pipeline/pool_service.hpp); the selection does not depend on the number of ranks.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "io/convert.hpp"
#include "pipeline/run_config.hpp"
#include "pipeline/run_report.hpp"

namespace autoopt::pipeline {

struct OptimizeOptions {
  std::filesystem::path pool;   // the dataset to select from (every sample needs labels: model::has_labels)
  std::filesystem::path val;    // validation set: early stopping and the filter model (its val_subset)
  std::filesystem::path test;   // optional: Table I is measured on it when given, else on val
  std::filesystem::path out;    // output folder (created; a folder of an earlier call is resumed)
  std::vector<double> fractions = {0.1};  // each in (0, 1], distinct; run in this order
  // Stage-2 and model knobs (seed_clusters, seeds_per_cluster, r_iter, n_easy, n_hard, decay, thr_iter,
  // influence, rules, epochs, val_subset, seed, threads, device); pool/generation keys are ignored and
  // n_max is set from each fraction.
  RunConfig settings;
  bool progress = true;
  bool write_report = true;
  std::string command_line;
  io::Distribution dist;
  std::function<void(const std::string&)> log;  // rank 0's terminal lines; empty: stdout
};

// "f0.1", "f0.25": the folder of a fraction inside OptimizeOptions::out (%g of the fraction).
[[nodiscard]] std::string fraction_folder(double fraction);

struct FractionResult {
  double fraction = 0.0;
  std::filesystem::path dir;           // out / fraction_folder(fraction)
  std::size_t n_max = 0;
  std::vector<std::size_t> selected;   // positions in the pool dataset (its stable order)
  bool resumed = false;                // read back from an earlier call (report then has no tables)
  RunReportInput report;               // methods: autoopt, all-pool, random
  double autoopt_delay_mape = 0.0;     // overall delay MAPE (fractions) on the evaluation set
  double random_delay_mape = 0.0;
  double all_pool_delay_mape = 0.0;
  double delay_mape_lost = 0.0;        // AutoOPT's overall delay MAPE minus all-pool's (fractions)
  double jitter_mape_lost = 0.0;       // NaN where the data has no jitter labels (link-path data)
  double random_delay_mape_lost = 0.0; // the same for the random selection
};

struct OptimizeResult {
  std::size_t pool_size = 0;
  bool all_pool_resumed = false;       // the whole-pool model was loaded from an earlier call
  std::vector<FractionResult> fractions;  // in OptimizeOptions::fractions order
};

// The epochs that give a model on `subset` samples as many optimiser steps as `epochs` epochs on
// `pool` samples, batches of `batch_size`: ceil(epochs x ceil(pool / b) / ceil(subset / b)), at least
// `epochs` (RunConfig::final_budget = steps). Throws autoopt::Error when subset or batch_size is 0.
[[nodiscard]] int step_matched_epochs(int epochs, std::size_t pool, std::size_t subset, int batch_size);

// Collective over dist.comm (every rank loads the pool and the validation set; rank 0 runs Stage 2,
// the others serve its scoring requests). Writes into `out`: models/all-pool/ (model, table.csv,
// state.txt), optimize.txt (the settings it was made with), and per fraction f<F>/: selected.csv
// (position, sample id, graph, nodes), table2.csv, models/{autoopt,random}/, report/, result.txt
// (key<TAB>value figures) and summary.txt (written last: a fraction with it is skipped on rerun).
// A folder made with other settings or data is refused (naming optimize.txt). The result is complete
// on rank 0. Throws autoopt::Error naming the option on bad input.
OptimizeResult optimize_dataset(const OptimizeOptions& options);

}  // namespace autoopt::pipeline
