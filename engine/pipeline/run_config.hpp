// The configuration of one `autoopt run` (and the Stage-2 part of `autoopt optimize`): a flat
// `key: value` file (gen::ConfigFile syntax; unknown keys and bad values are errors naming the file,
// the line and the key), the presets configs/run-quick.conf and configs/run-paper.conf, and the
// command-line overrides of the main knobs. Relative paths in a file (generator_config, rules,
// quickstart_config, val, test) are resolved against the file's folder. fingerprint() is the run's
// identity: everything that changes results (not threads, device or the file's formatting).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gen/config.hpp"
#include "opt/incremental.hpp"

namespace autoopt::pipeline {

struct RunConfig {
  std::string name;                        // preset name or the file's stem
  std::filesystem::path source;            // the file it was read from (empty: built-in defaults)

  // Stage 1: the candidate pool D_can.
  std::size_t pool_size = 48;
  int max_nodes = 8;                        // X_tra
  std::filesystem::path generator_config;   // empty: the generator's built-in defaults
  double sim_time = 100.0;                  // simulated seconds per sample (statistics window)

  // D_val: a dataset (val) or a self-made set of larger networks (eval_*), simulated by us.
  std::filesystem::path val;                // GNNet folder or HDF5 store; empty: self-made
  std::filesystem::path test;               // optional test set: Table I is measured on it when given
  std::size_t eval_count = 3;
  int eval_min_nodes = 20;
  int eval_max_nodes = 40;
  double eval_sim_time = 100.0;
  // Early stopping and the filter model's validation MAPE use the val_subset smallest samples of D_val
  // (0 = all of D_val); Table I always uses all of it.
  std::size_t val_subset = 3;

  // Stage 2.
  std::size_t n_max = 16;
  std::size_t seed_clusters = 2;
  std::size_t seeds_per_cluster = 2;
  double r_iter = 0.5;
  std::size_t n_easy = 6;                   // N_t
  std::size_t n_hard = 6;                   // N_l
  double decay = 0.1;
  double thr_iter = 0.02;                   // fraction of delay MAPE (0.02 = 2 points)
  opt::InfluenceMode influence = opt::InfluenceMode::fast;
  // absolute (eq. (9)) | relative: thr_iter measured from the median of the run's influences, and at
  // least influence_mad_k robust standard deviations (opt::InfluenceThreshold)
  std::string influence_threshold = "absolute";
  double influence_mad_k = 3.0;
  std::size_t max_iterations = 0;
  std::filesystem::path rules;              // expert rules; empty: every sample passes

  // Models (the same architecture and final-training settings for every method).
  int model_dim = 32;
  int model_iterations = 8;
  int extractor_epochs = 10;
  int filter_epochs = 4;
  int filter_min_steps = 0;                 // each filter training runs at least this many optimiser steps
  int final_epochs = 20;
  int patience = 10;
  int batch_size = 4;
  double lr = 1e-3;
  std::string delay_loss = "mape";          // mape | log_mse (model::DelayLoss)
  std::string occupancy_scale = "auto";     // auto | packet | labels (model::OccupancyScale)
  std::string occupancy_head = "linear";    // linear | softplus (model::RouteNetConfig::positive_occupancy)
  bool capacity_input = false;              // the link embedding reads the capacity (RouteNetConfig::capacity_input)
  std::string queue_messages = "load";     // load | sum (RouteNetConfig::load_weighted_messages)
  std::string lr_schedule = "constant";     // constant | cosine (model::LrSchedule)
  int mape_epochs = 0;                      // last epochs on the MAPE (FitOptions::mape_epochs), of final_epochs
  double weight_decay = 0.0;                // decoupled weight decay of every model (FitOptions::weight_decay) ...
  double weight_decay_reference = 0.0;      // ... scaled by this / the training samples when > 0
  // The filter models' schedule: same (lr_schedule) | constant | cosine. A filter model's ~100 steps
  // on a few samples are too few for a cosine tail to bring a log-MSE start back to scale.
  std::string filter_lr_schedule = "same";
  // `autoopt optimize`: how long the subset models (AutoOPT's and random's final models) train.
  // epochs: final_epochs like the all-pool model (fewer optimiser steps on a smaller set); steps:
  // final_epochs x the all-pool model's batches per epoch / the subset's (patience and mape_epochs
  // scaled alike), so every final model gets the same number of optimiser steps.
  std::string final_budget = "epochs";
  // `autoopt optimize`: AutoOPT's and random's final models are each trained this many times (seeds
  // seed, seed + 1, ...; the selections do not change) and their test figures averaged per size: one
  // training on ~100 samples moves by several MAPE points with the initialisation alone.
  int final_repeats = 1;

  // Baselines: any of random, quickstart, oracle.
  std::vector<std::string> baselines;
  std::filesystem::path quickstart_config;  // needed by the quickstart baseline

  std::uint64_t seed = 1;
  int threads = 0;                          // torch threads per rank; 0: cores / ranks
  std::string device = "cpu";               // cpu | cuda

  // Canonical text of every knob that changes results (paths as given, resolved).
  [[nodiscard]] std::string fingerprint() const;
};

// Reads a parsed file over the defaults above. Unknown keys, bad values and inconsistent values
// (e.g. n_max > pool_size, seeds > n_max) throw autoopt::Error naming the file, line and key.
[[nodiscard]] RunConfig run_config_from(const gen::ConfigFile& file);
[[nodiscard]] RunConfig load_run_config(const std::filesystem::path& file);

// The preset file configs/run-<name>.conf: looked up in $AUTOOPT_CONFIGS, ./configs, and the
// configs/ folders next to or above `exe_dir` (up to three levels). Throws autoopt::Error listing the
// places it looked, or for a name that is not [a-z0-9-]+.
[[nodiscard]] std::filesystem::path find_preset(std::string_view name, const std::filesystem::path& exe_dir);

// Command-line overrides (absent = keep the file's value).
struct RunOverrides {
  std::optional<std::uint64_t> seed;
  std::optional<std::size_t> pool_size;
  std::optional<std::size_t> n_max;
  std::optional<std::filesystem::path> val;
  std::optional<std::filesystem::path> test;
  std::optional<int> threads;
  std::optional<std::string> device;
};

// Applies the overrides and re-checks the consistency rules (errors name the option).
void apply_overrides(RunConfig& config, const RunOverrides& overrides);

// Checks the cross-key rules; where(key) prefixes the message ("<file>:<line>: key 'n_max'").
void check_run_config(const RunConfig& config, const std::function<std::string(const std::string& key)>& where);

// "exact", "fast", "both".
[[nodiscard]] std::string_view influence_name(opt::InfluenceMode m) noexcept;

}  // namespace autoopt::pipeline
