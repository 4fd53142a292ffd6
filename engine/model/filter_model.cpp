// RouteNet-Fermi filter model for Stage 2: training on pool ids, losses, MAPEs, fast influence.
#include "model/filter_model.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <utility>

#include "net/error.hpp"

namespace autoopt::model {
namespace {

constexpr std::size_t kCopyChunk = 64;  // samples gathered at a time for inference on arbitrary ids

std::vector<at::Tensor> snapshot(RouteNet& model) {
  std::vector<at::Tensor> s;
  for (const auto& p : model->parameters()) s.push_back(p.detach().clone());
  return s;
}

void restore(RouteNet& model, const std::vector<at::Tensor>& s) {
  const torch::NoGradGuard no_grad;
  auto params = model->parameters();
  for (std::size_t i = 0; i < params.size(); ++i) {
    params[i].copy_(s[i]);
    if (params[i].grad().defined()) params[i].mutable_grad() = at::Tensor();
  }
  model->eval();
}

}  // namespace

RouteNetFilter::RouteNetFilter(std::span<const net::Sample> pool, std::span<const net::Sample> validation,
                               std::span<const net::Sample> test, FilterModelOptions options)
    : pool_(pool), validation_(validation), test_(test), options_(std::move(options)),
      trainer_(options_.config), features_(pool.size()) {
  const std::string p = "RouteNetFilter: ";
  if (validation_.empty()) throw Error(p + "validation set: expected at least one sample, got none");
  if (options_.influence_steps < 1)
    throw Error(p + "influence_steps: expected >= 1, got " + std::to_string(options_.influence_steps));
  if (!(options_.influence_lr > 0.0) || !std::isfinite(options_.influence_lr))
    throw Error(p + "influence_lr: expected a positive number, got " + std::to_string(options_.influence_lr));
  if (options_.influence_batch < 1)
    throw Error(p + "influence_batch: expected >= 1, got " + std::to_string(options_.influence_batch));
  if (options_.min_steps < 0)
    throw Error(p + "min_steps: expected >= 0, got " + std::to_string(options_.min_steps));
  if (!(options_.candidate_weight >= 0.0) || !std::isfinite(options_.candidate_weight))
    throw Error(p + "candidate_weight: expected a finite number >= 0, got " +
                std::to_string(options_.candidate_weight));
  try {
    options_.config.validate();
  } catch (const Error& e) {
    throw Error(p + "config: " + e.what());
  }
}

void RouteNetFilter::check_id(std::size_t id, const char* what) const {
  if (id >= pool_.size()) {
    throw Error(std::string("RouteNetFilter::") + what + ": id " + std::to_string(id) +
                " is outside the pool (" + std::to_string(pool_.size()) + " samples)");
  }
}

void RouteNetFilter::require_trained(const char* what) const {
  if (!trained_) throw Error(std::string("RouteNetFilter::") + what + ": the model is not trained; call train() first");
}

const SampleTensors& RouteNetFilter::features(std::size_t id) {
  auto& f = features_[id];
  if (!f) {
    // has_labels(), or a link-path sample with an (empty) Results, which featurize() labels too.
    if (!has_labels(pool_[id]) && !pool_[id].results)
      throw Error("RouteNetFilter::influence: pool sample " + std::to_string(id) +
                  " has no labels (simulated results, or measured delays of link-path flows)");
    try {
      f = featurize(pool_[id], {.dtype = at::kFloat});
    } catch (const Error& e) {
      throw Error("RouteNetFilter::influence: pool sample " + std::to_string(id) + ": " + e.what());
    }
  }
  return *f;
}

FitOptions RouteNetFilter::fit_options_for(std::size_t n) const {
  return with_min_steps(options_.fit, n, static_cast<std::size_t>(std::max(options_.min_steps, 0)));
}

void RouteNetFilter::train(std::span<const std::size_t> train_ids) {
  if (train_ids.empty()) throw Error("RouteNetFilter::train: no training ids");
  std::vector<net::Sample> samples;
  samples.reserve(train_ids.size());
  for (const std::size_t id : train_ids) {
    check_id(id, "train");
    samples.push_back(pool_[id]);
  }
  trained_ = false;
  val_mape_.reset();
  test_mape_.reset();
  last_fit_ = trainer_.fit(samples, validation_, fit_options_for(samples.size()));
  trained_ = true;
}

std::vector<double> RouteNetFilter::per_sample_loss(std::span<const std::size_t> ids) {
  require_trained("per_sample_loss");
  for (const std::size_t id : ids) check_id(id, "per_sample_loss");
  std::vector<double> out;
  out.reserve(ids.size());
  std::vector<net::Sample> chunk;
  for (std::size_t first = 0; first < ids.size(); first += kCopyChunk) {
    chunk.clear();
    for (std::size_t i = first; i < std::min(ids.size(), first + kCopyChunk); ++i) chunk.push_back(pool_[ids[i]]);
    const std::vector<double> l = trainer_.per_sample_loss(chunk);
    out.insert(out.end(), l.begin(), l.end());
  }
  return out;
}

double RouteNetFilter::validation_mape() {
  require_trained("validation_mape");
  if (!val_mape_) val_mape_ = trainer_.evaluate(validation_).delay_mape;
  return *val_mape_;
}

std::optional<double> RouteNetFilter::test_mape() {
  if (test_.empty()) return std::nullopt;
  require_trained("test_mape");
  if (!test_mape_) test_mape_ = trainer_.evaluate(test_).delay_mape;
  return test_mape_;
}

double RouteNetFilter::fine_tuned_mape(std::span<const std::vector<std::size_t>> batches,
                                       std::optional<std::size_t> candidate) {
  RouteNet& model = trainer_.model();
  const at::Device dev = resolve_device(trainer_.device());
  const auto input = [&](std::span<const SampleTensors> parts) {
    ModelInput in = make_input(batch(parts), trainer_.normalizer());
    return dev.is_cpu() ? in : in.to(dev);
  };
  std::optional<ModelInput> cand_in;
  if (candidate) cand_in = input(std::span(&features(*candidate), 1));
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(options_.influence_lr));
  model->train();
  for (const auto& ids : batches) {
    std::vector<SampleTensors> parts;
    parts.reserve(ids.size());
    for (const std::size_t id : ids) parts.push_back(features(id));
    const ModelInput in = input(parts);
    opt.zero_grad();
    at::Tensor loss = training_objective(model->forward(in), in.x.labels, model->config(), options_.fit).total;
    if (cand_in) {
      loss = loss + options_.candidate_weight *
                        training_objective(model->forward(*cand_in), cand_in->x.labels, model->config(),
                                           options_.fit)
                            .total;
    }
    loss.backward();
    if (options_.fit.grad_clip > 0.0) torch::nn::utils::clip_grad_norm_(model->parameters(), options_.fit.grad_clip);
    opt.step();
  }
  model->eval();
  return trainer_.evaluate(validation_).delay_mape;
}

double RouteNetFilter::influence(std::span<const std::size_t> train_ids, std::size_t candidate) {
  require_trained("influence");
  if (train_ids.empty()) throw Error("RouteNetFilter::influence: no training ids");
  for (const std::size_t id : train_ids) check_id(id, "influence");
  check_id(candidate, "influence");

  // The same seeded batches for every candidate of this training set.
  std::mt19937_64 rng(options_.fit.seed ^ 0x9e3779b97f4a7c15ULL);
  const auto per_batch = std::min(train_ids.size(), static_cast<std::size_t>(options_.influence_batch));
  std::vector<std::vector<std::size_t>> batches(static_cast<std::size_t>(options_.influence_steps));
  std::vector<std::size_t> order(train_ids.begin(), train_ids.end());
  for (auto& b : batches) {
    for (std::size_t k = 0; k < per_batch; ++k) {  // partial Fisher-Yates: per_batch distinct ids
      const std::size_t j = k + static_cast<std::size_t>(rng() % (order.size() - k));
      std::swap(order[k], order[j]);
    }
    b.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(per_batch));
  }

  RouteNet& model = trainer_.model();
  const std::vector<at::Tensor> saved = snapshot(model);
  double without = 0.0, with = 0.0;
  try {
    without = fine_tuned_mape(batches, std::nullopt);
    restore(model, saved);
    with = fine_tuned_mape(batches, candidate);
    restore(model, saved);
  } catch (...) {
    restore(model, saved);
    throw;
  }
  return with - without;
}

std::vector<float> embed_pool(Trainer& trainer, std::span<const net::Sample> samples) {
  const at::Tensor e = trainer.embed(samples).to(at::kCPU).to(at::kFloat).contiguous();
  const auto& c = trainer.config();
  const auto d = static_cast<std::size_t>(c.link_dim + c.queue_dim + c.path_dim);
  if (static_cast<std::size_t>(e.numel()) != samples.size() * d)
    throw Error("embed_pool: Trainer::embed returned " + std::to_string(e.numel()) + " values for " +
                std::to_string(samples.size()) + " samples of dimension " + std::to_string(d));
  const float* p = e.data_ptr<float>();
  return {p, p + e.numel()};
}

}  // namespace autoopt::model
