#include "opt/incremental.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <utility>

#include "gen/random.hpp"
#include "net/error.hpp"
#include "opt/sampling.hpp"

namespace autoopt::opt {
namespace {

std::vector<std::size_t> with_candidate(std::span<const std::size_t> train_ids, std::size_t candidate) {
  std::vector<std::size_t> ids(train_ids.begin(), train_ids.end());
  ids.push_back(candidate);
  return ids;
}

void check_options(const IncrementalOptions& o, std::size_t n_seeds) {
  const std::string p = "IncrementalOptions.";
  if (o.n_max == 0) throw Error(p + "n_max: expected >= 1, got 0");
  if (n_seeds > o.n_max) {
    throw Error(p + "n_max: " + std::to_string(o.n_max) + " is below the number of seeds (" +
                std::to_string(n_seeds) + ")");
  }
  if (!(o.r_iter > 0.0 && o.r_iter <= 1.0)) {
    throw Error(p + "r_iter: expected a ratio in (0, 1], got " + std::to_string(o.r_iter));
  }
  if (o.n_easy == 0 && o.n_hard == 0) throw Error(p + "n_easy, n_hard: expected at least one of them >= 1");
  if (!std::isfinite(o.decay) || o.decay < 0.0) {
    throw Error(p + "decay: expected a finite number >= 0, got " + std::to_string(o.decay));
  }
  if (!std::isfinite(o.thr_iter)) throw Error(p + "thr_iter: expected a finite number");
  if (!std::isfinite(o.mad_k) || o.mad_k < 0.0) {
    throw Error(p + "mad_k: expected a finite number >= 0, got " + std::to_string(o.mad_k));
  }
}

double median_of(std::vector<double> v) {
  const std::size_t n = v.size();
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(v.begin(), mid, v.end());
  const double hi = *mid;
  if (n % 2 == 1) return hi;
  return 0.5 * (hi + *std::max_element(v.begin(), mid));
}

// Decides which influence values exceed the threshold (IncrementalOptions::threshold). The history
// holds every value this decider has seen in the run; each draw is appended to it first.
class InfluenceDecider {
 public:
  explicit InfluenceDecider(const IncrementalOptions& o) : o_(o) {}
  std::vector<bool> drops(std::span<const double> draw) {
    history_.insert(history_.end(), draw.begin(), draw.end());
    double cut = o_.thr_iter;
    if (o_.threshold == InfluenceThreshold::relative && !history_.empty()) {
      const double m = median_of(history_);
      std::vector<double> dev(history_.size());
      for (std::size_t i = 0; i < dev.size(); ++i) dev[i] = std::abs(history_[i] - m);
      const double robust_sd = 1.4826 * median_of(std::move(dev));
      cut = m + std::max(o_.thr_iter, o_.mad_k * robust_sd);
    }
    std::vector<bool> out(draw.size());
    for (std::size_t i = 0; i < draw.size(); ++i) out[i] = draw[i] > cut;
    return out;
  }

 private:
  const IncrementalOptions& o_;
  std::vector<double> history_;
};

std::unordered_set<std::size_t> unique_ids(std::span<const std::size_t> ids, const char* what) {
  std::unordered_set<std::size_t> set;
  set.reserve(ids.size());
  for (const std::size_t id : ids) {
    if (!set.insert(id).second) {
      throw Error(std::string("run_incremental: ") + what + " holds id " + std::to_string(id) + " twice");
    }
  }
  return set;
}

double checked_mape(FilterModel& model) {
  const double m = model.validation_mape();
  if (!std::isfinite(m)) throw Error("run_incremental: FilterModel::validation_mape returned a non-finite value");
  return m;
}

// Draw size for one window: ceil(r * window), at least 1 for a non-empty window.
std::size_t draw_size(double r, std::size_t window) {
  if (window == 0) return 0;
  const auto k = static_cast<std::size_t>(std::ceil(r * static_cast<double>(window) - 1e-9));
  return std::clamp<std::size_t>(k, 1, window);
}

}  // namespace

double FilterModel::influence(std::span<const std::size_t> train_ids, std::size_t candidate) {
  const std::vector<std::size_t> with = with_candidate(train_ids, candidate);
  train(with);
  const double m_with = validation_mape();
  train(train_ids);
  const double m_without = validation_mape();
  return m_with - m_without;
}

double exact_influence(FilterModel& model, std::span<const std::size_t> train_ids, std::size_t candidate,
                       double baseline_mape) {
  const std::vector<std::size_t> with = with_candidate(train_ids, candidate);
  model.train(with);
  return model.validation_mape() - baseline_mape;
}

std::vector<double> FilterModel::exact_influences(std::span<const std::size_t> train_ids,
                                                  std::span<const std::size_t> candidates, double baseline_mape) {
  std::vector<double> out;
  out.reserve(candidates.size());
  for (const std::size_t c : candidates) out.push_back(exact_influence(*this, train_ids, c, baseline_mape));
  return out;
}

IncrementalResult run_incremental(std::span<const std::size_t> seeds, std::span<const std::size_t> pool,
                                  FilterModel& model, const IncrementalCallbacks& callbacks,
                                  const IncrementalOptions& options,
                                  const std::function<void(const IterationLog&)>& on_iteration) {
  check_options(options, seeds.size());
  if (seeds.empty()) throw Error("run_incremental: seeds: expected at least one initial sample");
  std::unordered_set<std::size_t> in_train = unique_ids(seeds, "seeds");
  std::unordered_set<std::size_t> available = unique_ids(pool, "pool");
  for (const std::size_t id : pool) {
    if (in_train.contains(id)) {
      throw Error("run_incremental: id " + std::to_string(id) + " is both a seed and in the pool");
    }
  }

  IncrementalResult result;
  result.selected.assign(seeds.begin(), seeds.end());
  std::vector<std::size_t> remaining(pool.begin(), pool.end());
  std::unordered_set<std::size_t> rejected;
  if (options.influence == InfluenceMode::both) result.agreement = InfluenceAgreement{};

  const auto emit = [&](IterationLog row) {
    result.log.push_back(std::move(row));
    if (on_iteration) on_iteration(result.log.back());
  };

  model.train(result.selected);
  double base_mape = checked_mape(model);
  std::optional<double> last_test = model.test_mape();
  {
    IterationLog row;
    row.train_size = result.selected.size();
    row.validation_mape = base_mape;
    row.test_mape = last_test;
    row.pool_left = remaining.size();
    emit(std::move(row));
  }

  gen::Rng rng(options.seed, 0x0badc0deULL);
  InfluenceDecider decide_fast(options);
  InfluenceDecider decide_exact(options);
  std::size_t iteration = 0;
  while (true) {
    if (result.selected.size() >= options.n_max) {
      result.stop_reason = "n_max reached";
      break;
    }
    if (remaining.empty()) {
      result.stop_reason = "pool exhausted";
      break;
    }
    if (options.max_iterations != 0 && iteration >= options.max_iterations) {
      result.stop_reason = "max_iterations";
      break;
    }
    ++iteration;
    IterationLog row;
    row.iteration = iteration;

    // 1. Rank the pool by the filter model's loss (ascending; ties by id, for determinism).
    const std::vector<double> losses = model.per_sample_loss(remaining);
    if (losses.size() != remaining.size()) {
      throw Error("run_incremental: FilterModel::per_sample_loss returned " + std::to_string(losses.size()) +
                  " losses for " + std::to_string(remaining.size()) + " ids");
    }
    std::vector<std::size_t> order(remaining.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    for (std::size_t i = 0; i < losses.size(); ++i) {
      if (std::isnan(losses[i])) {
        throw Error("run_incremental: FilterModel::per_sample_loss returned NaN for id " +
                    std::to_string(remaining[i]));
      }
    }
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      if (losses[a] != losses[b]) return losses[a] < losses[b];
      return remaining[a] < remaining[b];
    });

    // 2. Windows: the N_t lowest-loss (position 0 = lowest) and the N_l highest-loss (position 0 =
    //    highest), disjoint when the pool is small (the easy window is filled first).
    const std::size_t n = remaining.size();
    const std::size_t easy_size = std::min(options.n_easy, n);
    const std::size_t hard_size = std::min(options.n_hard, n - easy_size);
    std::vector<std::size_t> easy_window(easy_size);
    std::vector<std::size_t> hard_window(hard_size);
    for (std::size_t i = 0; i < easy_size; ++i) easy_window[i] = remaining[order[i]];
    for (std::size_t i = 0; i < hard_size; ++i) hard_window[i] = remaining[order[n - 1 - i]];

    std::size_t k_easy = draw_size(options.r_iter, easy_size);
    std::size_t k_hard = draw_size(options.r_iter, hard_size);
    const std::size_t budget = options.n_max - result.selected.size();
    if (k_easy + k_hard > budget) {
      // The hard side's share is rounded down and the easy side takes the rest: a last slot goes to
      // an easy draw, which influence cannot drop (a hard one can be dropped again and again, one
      // iteration each). The hard side takes what the easy window cannot fill.
      const double share = static_cast<double>(budget) * static_cast<double>(k_hard) /
                           static_cast<double>(k_easy + k_hard);
      const std::size_t hard_share = std::min(k_hard, static_cast<std::size_t>(std::floor(share)));
      k_easy = std::min(k_easy, budget - hard_share);
      k_hard = std::min(k_hard, budget - k_easy);
    }
    const std::vector<std::size_t> easy_draw = draw_by_order(easy_window, k_easy, options.decay, rng);
    const std::vector<std::size_t> hard_draw = draw_by_order(hard_window, k_hard, options.decay, rng);

    // 3. Expert rules on every draw; a failure is replaced by its nearest neighbour when one passes.
    std::unordered_set<std::size_t> exclude(in_train);
    exclude.insert(rejected.begin(), rejected.end());
    exclude.insert(easy_draw.begin(), easy_draw.end());
    exclude.insert(hard_draw.begin(), hard_draw.end());
    const auto passes = [&](std::size_t id) {
      if (!callbacks.verify) return true;
      if (!callbacks.verify(id)) return true;
      ++row.failed_rules;
      rejected.insert(id);
      return false;
    };
    const auto verified = [&](std::size_t id) -> std::optional<std::size_t> {
      if (passes(id)) return id;
      if (!callbacks.nearest_neighbour) return std::nullopt;
      for (std::size_t attempt = 0; attempt < options.max_replacement_tries; ++attempt) {
        const std::optional<std::size_t> nb = callbacks.nearest_neighbour(id, exclude);
        if (!nb) return std::nullopt;
        if (!available.contains(*nb) || exclude.contains(*nb)) {
          throw Error("run_incremental: nearest_neighbour returned id " + std::to_string(*nb) + " for id " +
                      std::to_string(id) + ", which is not an available pool sample outside the exclude set");
        }
        exclude.insert(*nb);
        if (passes(*nb)) {
          ++row.replaced;
          return nb;
        }
      }
      return std::nullopt;
    };
    std::vector<std::size_t> easy_ok;
    std::vector<std::size_t> hard_ok;
    for (const std::size_t id : easy_draw) {
      if (const auto v = verified(id)) easy_ok.push_back(*v);
    }
    for (const std::size_t id : hard_draw) {
      if (const auto v = verified(id)) hard_ok.push_back(*v);
    }

    // 4. Influence (eq. (9)) on the hard draw, each candidate against D_tra as it stood at the start
    //    of the iteration. Fast values first: the hook expects the model trained on D_tra.
    const InfluenceMode mode = options.influence;
    std::vector<double> fast(hard_ok.size(), 0.0);
    std::vector<double> exact(hard_ok.size(), 0.0);
    if (mode != InfluenceMode::exact) {
      for (std::size_t i = 0; i < hard_ok.size(); ++i) {
        fast[i] = model.influence(result.selected, hard_ok[i]);
        if (!std::isfinite(fast[i])) throw Error("run_incremental: FilterModel::influence returned a non-finite value");
      }
    }
    const bool retrained_for_influence = mode != InfluenceMode::fast && !hard_ok.empty();
    if (mode != InfluenceMode::fast && !hard_ok.empty()) {
      exact = model.exact_influences(result.selected, hard_ok, base_mape);
      if (exact.size() != hard_ok.size()) {
        throw Error("run_incremental: FilterModel::exact_influences returned " + std::to_string(exact.size()) +
                    " values for " + std::to_string(hard_ok.size()) + " candidates");
      }
      for (const double v : exact) {
        if (!std::isfinite(v)) throw Error("run_incremental: validation MAPE became non-finite");
      }
    }
    std::vector<bool> fast_drops;
    std::vector<bool> exact_drops;
    if (!hard_ok.empty()) {
      if (mode != InfluenceMode::exact) fast_drops = decide_fast.drops(fast);
      if (mode != InfluenceMode::fast) exact_drops = decide_exact.drops(exact);
    }
    std::vector<std::size_t> hard_kept;
    for (std::size_t i = 0; i < hard_ok.size(); ++i) {
      const bool drop = mode == InfluenceMode::fast ? fast_drops[i] : exact_drops[i];
      if (mode == InfluenceMode::both) {
        InfluenceAgreement& a = *result.agreement;
        ++a.compared;
        if (fast_drops[i] == exact_drops[i]) ++a.agreed;
        a.max_abs_difference = std::max(a.max_abs_difference, std::abs(fast[i] - exact[i]));
      }
      if (drop) {
        ++row.dropped_by_influence;
        rejected.insert(hard_ok[i]);
      } else {
        hard_kept.push_back(hard_ok[i]);
      }
    }

    // 5. Add, shrink the pool, retrain, log.
    for (const std::size_t id : easy_ok) {
      result.selected.push_back(id);
      in_train.insert(id);
    }
    for (const std::size_t id : hard_kept) {
      result.selected.push_back(id);
      in_train.insert(id);
    }
    row.added_easy = easy_ok.size();
    row.added_hard = hard_kept.size();
    const std::size_t before = remaining.size();
    std::erase_if(remaining, [&](std::size_t id) { return in_train.contains(id) || rejected.contains(id); });
    for (const std::size_t id : pool) {
      if (in_train.contains(id) || rejected.contains(id)) available.erase(id);
    }
    const bool added = row.added_easy + row.added_hard > 0;
    if (added || retrained_for_influence) {
      model.train(result.selected);
      base_mape = checked_mape(model);
      last_test = model.test_mape();
    }
    row.train_size = result.selected.size();
    row.validation_mape = base_mape;
    row.test_mape = last_test;
    row.pool_left = remaining.size();
    emit(std::move(row));
    if (!added && remaining.size() == before) {
      result.stop_reason = "no progress";
      break;
    }
  }
  result.rejected.assign(rejected.begin(), rejected.end());
  std::sort(result.rejected.begin(), result.rejected.end());
  return result;
}

}  // namespace autoopt::opt
