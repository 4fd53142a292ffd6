// RouteNet-Fermi as the filter model of Stage 2 (opt::FilterModel, engine/opt/incremental.hpp): ids
// index a pool of samples; train(ids) fits a fresh, seeded model on them (few epochs: it is retrained
// every iteration); per-sample losses and MAPEs are the *delay* MAPE (a fraction, not percent) of
// Trainer; influence() is a fast approximation by short fine-tuning from the current weights (restored
// exactly afterwards). Also embed_pool(): sample embeddings as a flat row-major float matrix, the input
// of seed selection (opt/seed_select.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "model/features.hpp"
#include "model/trainer.hpp"
#include "net/sample.hpp"
#include "opt/incremental.hpp"

namespace autoopt::model {

struct FilterModelOptions {
  RouteNetConfig config{};  // architecture of every (re)trained model
  // Training of train(ids): few epochs, seeded (same ids, seed and thread count -> same model).
  FitOptions fit{.epochs = 5, .patience = 5};
  // Each train(ids) runs at least this many optimiser steps: fit.epochs is raised to
  // ceil(min_steps / ceil(|ids| / fit.batch_size)) when that is more (patience and the MAPE phase scaled
  // alike), so a small D_tra is not left almost untrained. 0: fit.epochs whatever the size.
  int min_steps = 0;
  // Fast influence: `influence_steps` Adam steps (fresh optimiser, lr influence_lr) from the current
  // weights, each on `influence_batch` training samples drawn (seeded by fit.seed and the candidate)
  // from train_ids, once without and once with the candidate added to every step, its loss weighted
  // by `candidate_weight` (relative to the whole batch's mean loss). The up-weighting matters: the
  // delay-MAPE objective gives a label k times too large only 1/k of a normal sample's gradient.
  int influence_steps = 10;
  double influence_lr = 1e-2;
  int influence_batch = 4;
  double candidate_weight = 10.0;
};

class RouteNetFilter final : public opt::FilterModel {
 public:
  // `pool` (ids are indices into it), `validation` and `test` (may be empty) are borrowed: they must
  // outlive this object. Every sample needs labels (model::has_labels: simulated results, or measured
  // delays of link-path samples, whose jitter and drop-ratio terms the objective masks). Throws
  // autoopt::Error when the validation set is empty or an option is out of range (naming it).
  RouteNetFilter(std::span<const net::Sample> pool, std::span<const net::Sample> validation,
                 std::span<const net::Sample> test = {}, FilterModelOptions options = {});

  // Fresh model fitted on pool[ids] (Trainer::fit, early stopping on the validation delay MAPE).
  // Throws autoopt::Error on an empty list or an id outside the pool.
  void train(std::span<const std::size_t> train_ids) override;
  // Trainer::per_sample_loss: per id, the delay MAPE (fraction) of the current model.
  std::vector<double> per_sample_loss(std::span<const std::size_t> ids) override;
  // Delay MAPE (fraction) of the current model on the validation set.
  double validation_mape() override;
  // Delay MAPE (fraction) on the test set; nullopt when none was given.
  std::optional<double> test_mape() override;
  // Fast approximation of eq. (9): MAPE_val after fine-tuning on train_ids + candidate minus MAPE_val
  // after the same fine-tuning on train_ids alone (same steps and batches), both from the current
  // weights, which are then restored bit for bit. Expects the model trained on train_ids (call
  // train() first: otherwise autoopt::Error).
  double influence(std::span<const std::size_t> train_ids, std::size_t candidate) override;

  [[nodiscard]] bool trained() const noexcept { return trained_; }
  [[nodiscard]] Trainer& trainer() noexcept { return trainer_; }
  [[nodiscard]] const FitReport& last_fit() const noexcept { return last_fit_; }
  [[nodiscard]] const FilterModelOptions& options() const noexcept { return options_; }
  // The fit options train() uses on `n` samples (FilterModelOptions::min_steps applied).
  [[nodiscard]] FitOptions fit_options_for(std::size_t n) const;

 private:
  void require_trained(const char* what) const;
  void check_id(std::size_t id, const char* what) const;
  const SampleTensors& features(std::size_t id);
  // Validation delay MAPE after `steps` fine-tuning steps from the current weights (which it changes).
  double fine_tuned_mape(std::span<const std::vector<std::size_t>> batches,
                         std::optional<std::size_t> candidate);

  std::span<const net::Sample> pool_, validation_, test_;
  FilterModelOptions options_;
  Trainer trainer_;
  FitReport last_fit_;
  bool trained_ = false;
  std::optional<double> val_mape_;   // cache of the current model's validation MAPE
  std::optional<double> test_mape_;  // likewise for the test set
  std::vector<std::optional<SampleTensors>> features_;  // featurized pool samples (model-independent)
};

// Embeddings of `samples` by the trainer's current model (Trainer::embed) as n x d row-major floats,
// d = link_dim + queue_dim + path_dim (trainer.config()); the input of opt::select_seeds.
[[nodiscard]] std::vector<float> embed_pool(Trainer& trainer, std::span<const net::Sample> samples);

}  // namespace autoopt::model
