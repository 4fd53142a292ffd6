// Stage-2 incremental optimization (AutoOPT, Algorithm 2): grow the training set from the seeds towards
// n_max by drawing, each iteration, "easy" (lowest filter-model loss) and "hard" (highest loss) pool
// samples with order-based probabilities (eq. (8), opt/sampling.hpp), dropping hard samples whose
// addition raises the validation MAPE by more than thr_iter (influence, eq. (9)), checking every draw
// against the expert rules (failures replaced by their nearest neighbour), retraining, and logging each
// iteration (the columns of the paper's Table II). The filter model is an interface, so the loop runs
// with RouteNet-F or with a fake model in tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

namespace autoopt::opt {

// The model that scores samples. Ids are the caller's sample ids (pool, seeds); the model knows how
// to look them up. All calls are made from one thread, in a deterministic order.
class FilterModel {
 public:
  virtual ~FilterModel() = default;

  // (Re)trains from scratch on exactly these samples; later calls refer to this training.
  virtual void train(std::span<const std::size_t> train_ids) = 0;
  // Loss of the current model on each id (same order, same length); lower = better predicted.
  virtual std::vector<double> per_sample_loss(std::span<const std::size_t> ids) = 0;
  // Validation MAPE of the current model (a fraction or percent: the loop only compares values).
  virtual double validation_mape() = 0;
  // Test MAPE of the current model, when the caller has a test set.
  virtual std::optional<double> test_mape() { return std::nullopt; }

  // Influence of adding `candidate` to `train_ids`: MAPE_val(train_ids + candidate) - MAPE_val(train_ids)
  // (eq. (9)); positive = the sample makes the model worse. Called with the model trained on train_ids;
  // must leave it trained on train_ids. The default is exact: it retrains with and without the
  // candidate. A model overrides it with a fast approximation (e.g. influence functions).
  virtual double influence(std::span<const std::size_t> train_ids, std::size_t candidate);

  // Exact influence of each candidate against train_ids (eq. (9), one retraining with each candidate;
  // baseline_mape = the MAPE of the model trained on train_ids). Afterwards the model's training is
  // unspecified: the caller retrains. The default runs exact_influence() for each in turn; a model may
  // spread the retrainings (e.g. over MPI ranks) as long as the values are the same.
  virtual std::vector<double> exact_influences(std::span<const std::size_t> train_ids,
                                               std::span<const std::size_t> candidates, double baseline_mape);
};

// Exact influence by retraining with the candidate: train(train_ids + candidate), then the validation
// MAPE minus `baseline_mape` (the MAPE of the model trained on train_ids). Leaves the model trained
// on train_ids + candidate.
double exact_influence(FilterModel& model, std::span<const std::size_t> train_ids, std::size_t candidate,
                       double baseline_mape);

enum class InfluenceMode {
  exact,  // retrain with each hard candidate (exact_influence)
  fast,   // FilterModel::influence
  both,   // compute both, decide by the exact value, count how often the two decisions agree
};

// How an influence value is compared with thr_iter.
enum class InfluenceThreshold {
  // eq. (9) as written: drop a hard candidate whose influence exceeds thr_iter.
  absolute,
  // Against the run's own influences: drop when influence - m > max(thr_iter, mad_k * 1.4826 * MAD),
  // m and MAD being the median and the median absolute deviation of every influence computed so far
  // in this run (this draw's included). A model whose validation MAPE moves by more than thr_iter
  // under any short fine-tuning (a filter model on a few samples) then drops only the outliers
  // instead of every hard sample.
  relative,
};

struct IncrementalOptions {
  std::size_t n_max = 0;        // stop when the training set holds this many samples
  double r_iter = 0.5;          // selection ratio: draw ceil(r_iter * window) from each window, (0, 1]
  std::size_t n_easy = 0;       // N_t: size of the lowest-loss window
  std::size_t n_hard = 0;       // N_l: size of the highest-loss window
  double decay = 0.1;           // lambda of eq. (8), >= 0
  double thr_iter = 0.0;        // drop a hard sample whose influence (MAPE increase) exceeds this
  InfluenceMode influence = InfluenceMode::exact;
  InfluenceThreshold threshold = InfluenceThreshold::absolute;
  double mad_k = 3.0;           // relative threshold: robust standard deviations above the median, >= 0
  std::uint64_t seed = 1;
  std::size_t max_iterations = 0;       // 0 = no limit besides n_max and the pool
  std::size_t max_replacement_tries = 3;  // nearest-neighbour attempts per rule failure
};

struct IncrementalCallbacks {
  // The expert rules: nullopt when the sample passes, else the reason it fails. Empty = all pass.
  std::function<std::optional<std::string>(std::size_t id)> verify;
  // A replacement for a sample that failed the rules: the nearest pool sample not in `exclude`, or
  // nullopt. Empty = failures are dropped without replacement.
  std::function<std::optional<std::size_t>(std::size_t id, const std::unordered_set<std::size_t>& exclude)>
      nearest_neighbour;
};

// One row of the paper's Table II.
struct IterationLog {
  std::size_t iteration = 0;           // 0 = the seeds alone
  std::size_t train_size = 0;          // |D_tra| after this iteration
  std::size_t added_easy = 0;
  std::size_t added_hard = 0;
  std::size_t failed_rules = 0;        // drawn samples (and tried neighbours) that failed the rules
  std::size_t replaced = 0;            // rule failures replaced by a nearest neighbour
  std::size_t dropped_by_influence = 0;
  double validation_mape = 0.0;        // of the model retrained on D_tra
  std::optional<double> test_mape;
  std::size_t pool_left = 0;           // candidates still available
};

struct InfluenceAgreement {
  std::size_t compared = 0;  // hard candidates scored both ways (mode both)
  std::size_t agreed = 0;    // of which exact and fast took the same keep/drop decision
  double max_abs_difference = 0.0;
};

struct IncrementalResult {
  std::vector<std::size_t> selected;   // D_tra: the seeds, then the samples added, in order
  std::vector<std::size_t> rejected;   // dropped for good (rules without replacement, influence)
  std::vector<IterationLog> log;
  std::optional<InfluenceAgreement> agreement;  // set in mode both
  std::string stop_reason;             // "n_max reached", "pool exhausted", "no progress", "max_iterations"
};

// Runs Algorithm 2. Seeds and pool are disjoint sets of ids. `on_iteration` (may be empty) sees each
// log row as soon as it is complete. Throws autoopt::Error on bad options or inputs (naming the field)
// and when the model or a callback breaks its contract.
IncrementalResult run_incremental(std::span<const std::size_t> seeds, std::span<const std::size_t> pool,
                                  FilterModel& model, const IncrementalCallbacks& callbacks,
                                  const IncrementalOptions& options,
                                  const std::function<void(const IterationLog&)>& on_iteration = {});

}  // namespace autoopt::opt
