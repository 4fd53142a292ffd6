// Stage-2 work shared among MPI ranks: rank 0 runs the Stage-2 loop; the other ranks serve its
// requests over the same pool (every rank holds the pool and the validation subset, in the same
// order). Requests: take a model (its checkpoint files broadcast as bytes), score pool ids (the model's
// per-sample delay MAPE), embed pool ids, and exact influences (one retraining with each candidate,
// candidates spread over the ranks). Ids are cut into fixed blocks of kBlock samples, block b scored
// by rank b % size, and every rank (rank 0 included, and a single process) scores with the model
// loaded back from the broadcast bytes: the results are the same whatever the number of ranks.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "io/convert.hpp"
#include "model/filter_model.hpp"
#include "model/trainer.hpp"
#include "net/sample.hpp"
#include "opt/incremental.hpp"

namespace autoopt::pipeline {

class PoolService {
 public:
  static constexpr std::size_t kBlock = 16;  // samples per scoring block

  // Collective in spirit: every rank builds one over the same pool and validation samples (borrowed:
  // they must outlive it). `filter` configures the retrainings of exact influence.
  PoolService(const io::Distribution& dist, std::span<const net::Sample> pool, std::span<const net::Sample> val,
              model::FilterModelOptions filter);
  ~PoolService();
  PoolService(const PoolService&) = delete;
  PoolService& operator=(const PoolService&) = delete;

  // ---- rank 0 ----
  // Broadcasts the trainer's checkpoint; later losses()/embed() use it.
  void set_model(const model::Trainer& trainer);
  // The delay MAPE of each pool id under the current model (same order). Throws autoopt::Error when no
  // model was set, an id is outside the pool, or a rank failed (naming it).
  [[nodiscard]] std::vector<double> losses(std::span<const std::size_t> ids);
  // Embeddings of the ids (ids.size() x dim, row-major) under the current model.
  [[nodiscard]] std::vector<float> embed(std::span<const std::size_t> ids, std::size_t& dim);
  // Per candidate: validation delay MAPE of a fresh filter model trained on train_ids + candidate,
  // minus baseline_mape (eq. (9)); candidate i is retrained by rank i % size.
  [[nodiscard]] std::vector<double> exact_influences(std::span<const std::size_t> train_ids,
                                                     std::span<const std::size_t> candidates, double baseline_mape);
  // Ends serve() on the other ranks (no-op on a single process or after the first call).
  void stop();

  // ---- ranks != 0 ----
  // Answers rank 0's requests until stop(). Errors of a request are sent back to rank 0.
  void serve();

  [[nodiscard]] const io::Distribution& dist() const noexcept { return dist_; }

 private:
  struct State;
  std::string request(int command, const std::string& payload);
  std::string handle(int command, const std::string& payload);
  std::string gather(const std::string& mine);

  io::Distribution dist_;
  std::span<const net::Sample> pool_, val_;
  model::FilterModelOptions filter_;
  std::unique_ptr<State> state_;
  bool stopped_ = false;
};

// Runs fn(service) on rank 0 while the other ranks serve; then, like on_rank0, broadcasts fn's
// result (or its error, thrown on every rank) to all ranks.
std::string run_with_pool_service(const io::Distribution& dist, std::span<const net::Sample> pool,
                                  std::span<const net::Sample> val, const model::FilterModelOptions& filter,
                                  const std::function<std::string(PoolService&)>& fn);

// The filter model of Stage 2 with the service: train(), validation_mape(), test_mape() and the fast
// influence run on rank 0's RouteNetFilter; per_sample_loss() and exact_influences() go to the
// service (shared among the ranks). train() hands the new model to the service.
class SharedFilter final : public opt::FilterModel {
 public:
  SharedFilter(model::RouteNetFilter& inner, PoolService& service) : inner_(inner), service_(service) {}
  void train(std::span<const std::size_t> train_ids) override;
  std::vector<double> per_sample_loss(std::span<const std::size_t> ids) override;
  double validation_mape() override { return inner_.validation_mape(); }
  std::optional<double> test_mape() override { return inner_.test_mape(); }
  double influence(std::span<const std::size_t> train_ids, std::size_t candidate) override {
    return inner_.influence(train_ids, candidate);
  }
  std::vector<double> exact_influences(std::span<const std::size_t> train_ids,
                                       std::span<const std::size_t> candidates, double baseline_mape) override;

 private:
  model::RouteNetFilter& inner_;
  PoolService& service_;
};

}  // namespace autoopt::pipeline
