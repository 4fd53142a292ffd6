// Stage-2 incremental optimization (Algorithm 2) with a fake filter model: 1-D samples with a linear
// label and a 1-nearest-neighbour "model". With correct labels, adding a sample never raises the
// validation error (the nearest neighbour only gets closer), so only a planted out-of-distribution
// sample (label x50) can be dropped by influence.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "net/error.hpp"
#include "opt/incremental.hpp"

namespace autoopt::opt {
namespace {

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

constexpr std::size_t kSamples = 201;  // x = 0, 0.05, ..., 10
constexpr std::size_t kOod = 103;      // x = 5.15, the nearest sample to the validation point 5.13

double label(double x) { return 2.0 + x; }

struct World {
  std::vector<double> x, y;    // per sample id
  std::vector<double> vx, vy;  // validation
  std::vector<double> tx, ty;  // test
};

World make_world(bool with_ood) {
  World w;
  for (std::size_t i = 0; i < kSamples; ++i) {
    w.x.push_back(0.05 * static_cast<double>(i));
    w.y.push_back(label(w.x.back()));
  }
  if (with_ood) w.y[kOod] *= 50.0;
  for (int k = 0; k < 40; ++k) {
    w.vx.push_back(0.13 + 0.25 * k);
    w.vy.push_back(label(w.vx.back()));
  }
  for (int k = 0; k < 25; ++k) {
    w.tx.push_back(0.21 + 0.39 * k);
    w.ty.push_back(label(w.tx.back()));
  }
  return w;
}

class NnModel : public FilterModel {
 public:
  explicit NnModel(const World& w) : w_(w) {}

  void train(std::span<const std::size_t> ids) override {
    ++train_calls;
    trained_.assign(ids.begin(), ids.end());
  }
  std::vector<double> per_sample_loss(std::span<const std::size_t> ids) override {
    std::vector<double> out;
    for (const std::size_t id : ids) out.push_back(std::abs(std::log(predict(trained_, w_.x[id]) / w_.y[id])));
    return out;
  }
  double validation_mape() override { return mape(trained_, w_.vx, w_.vy); }
  std::optional<double> test_mape() override { return mape(trained_, w_.tx, w_.ty); }

  std::size_t train_calls = 0;
  const std::vector<std::size_t>& trained() const { return trained_; }

 protected:
  double predict(const std::vector<std::size_t>& set, double x) const {
    std::size_t best = set.front();
    for (const std::size_t id : set) {
      const double d = std::abs(w_.x[id] - x);
      const double bd = std::abs(w_.x[best] - x);
      if (d < bd || (d == bd && w_.x[id] < w_.x[best])) best = id;
    }
    return w_.y[best];
  }
  double mape(const std::vector<std::size_t>& set, const std::vector<double>& xs,
              const std::vector<double>& ys) const {
    double s = 0.0;
    for (std::size_t k = 0; k < xs.size(); ++k) s += std::abs(predict(set, xs[k]) - ys[k]) / ys[k];
    return s / static_cast<double>(xs.size());
  }

  const World& w_;
  std::vector<std::size_t> trained_;
};

// "Fast" influence without retraining (here it happens to be exact).
class FastNnModel : public NnModel {
 public:
  using NnModel::NnModel;
  double influence(std::span<const std::size_t> train_ids, std::size_t candidate) override {
    ++influence_calls;
    std::vector<std::size_t> with(train_ids.begin(), train_ids.end());
    const double without = mape(with, w_.vx, w_.vy);
    with.push_back(candidate);
    return mape(with, w_.vx, w_.vy) - without;
  }
  std::size_t influence_calls = 0;
};

// A fast approximation that always says "harmless".
class LyingFastModel : public NnModel {
 public:
  using NnModel::NnModel;
  double influence(std::span<const std::size_t>, std::size_t) override { return -1.0; }
};

std::vector<std::size_t> seeds() {
  std::vector<std::size_t> s;
  for (std::size_t i = 0; i < kSamples; i += 20) s.push_back(i);  // x = 0, 1, ..., 10
  return s;
}

std::vector<std::size_t> pool_without(const std::vector<std::size_t>& s) {
  std::vector<std::size_t> p;
  for (std::size_t i = 0; i < kSamples; ++i) {
    if (std::find(s.begin(), s.end(), i) == s.end()) p.push_back(i);
  }
  return p;
}

IncrementalOptions base_options() {
  IncrementalOptions o;
  o.n_max = 60;
  o.r_iter = 0.3;
  o.n_easy = 20;
  o.n_hard = 10;
  o.decay = 1.0;
  o.thr_iter = 0.01;
  o.seed = 11;
  return o;
}

std::size_t sum(const std::vector<IterationLog>& log, std::size_t IterationLog::*field) {
  std::size_t s = 0;
  for (const IterationLog& r : log) s += r.*field;
  return s;
}

TEST(Incremental, StopsAtNMaxWithAConsistentLog) {
  const World w = make_world(false);
  NnModel model(w);
  const auto s = seeds();
  std::vector<IterationLog> seen;
  const IncrementalResult r = run_incremental(s, pool_without(s), model, {}, base_options(),
                                              [&](const IterationLog& row) { seen.push_back(row); });
  EXPECT_EQ(r.stop_reason, "n_max reached");
  ASSERT_EQ(r.selected.size(), 60U);
  EXPECT_EQ(std::set<std::size_t>(r.selected.begin(), r.selected.end()).size(), 60U);
  EXPECT_TRUE(std::equal(s.begin(), s.end(), r.selected.begin()));
  ASSERT_GE(r.log.size(), 2U);
  EXPECT_EQ(seen.size(), r.log.size());
  EXPECT_EQ(r.log.front().iteration, 0U);
  EXPECT_EQ(r.log.front().train_size, s.size());
  EXPECT_EQ(r.log.back().train_size, 60U);
  EXPECT_EQ(sum(r.log, &IterationLog::added_easy) + sum(r.log, &IterationLog::added_hard), 60U - s.size());
  EXPECT_GT(sum(r.log, &IterationLog::added_easy), 0U);
  EXPECT_GT(sum(r.log, &IterationLog::added_hard), 0U);
  EXPECT_EQ(sum(r.log, &IterationLog::dropped_by_influence), 0U);  // clean labels never hurt a 1-NN
  for (std::size_t i = 0; i < r.log.size(); ++i) {
    EXPECT_EQ(r.log[i].iteration, i);
    EXPECT_EQ(seen[i].train_size, r.log[i].train_size);
    EXPECT_DOUBLE_EQ(seen[i].validation_mape, r.log[i].validation_mape);
    ASSERT_TRUE(r.log[i].test_mape.has_value());
    EXPECT_EQ(r.log[i].pool_left, kSamples - r.log[i].train_size);
    if (i > 0) {
      EXPECT_EQ(r.log[i].train_size, r.log[i - 1].train_size + r.log[i].added_easy + r.log[i].added_hard);
      EXPECT_LE(r.log[i].validation_mape, r.log[i - 1].validation_mape + 1e-15);
    }
  }
  EXPECT_LT(r.log.back().validation_mape, r.log.front().validation_mape);
  // The logged MAPE is that of the model trained on the final set.
  EXPECT_EQ(model.trained(), r.selected);
  EXPECT_DOUBLE_EQ(model.validation_mape(), r.log.back().validation_mape);
  EXPECT_FALSE(r.agreement.has_value());
}

TEST(Incremental, PoolExhaustedBeforeNMax) {
  const World w = make_world(false);
  NnModel model(w);
  const std::vector<std::size_t> s = {0, 200};
  const std::vector<std::size_t> pool = {10, 50, 90, 130, 170};
  IncrementalOptions o = base_options();
  o.n_max = 100;
  const IncrementalResult r = run_incremental(s, pool, model, {}, o);
  EXPECT_EQ(r.stop_reason, "pool exhausted");
  EXPECT_EQ(std::set<std::size_t>(r.selected.begin(), r.selected.end()),
            (std::set<std::size_t>{0, 200, 10, 50, 90, 130, 170}));
}

TEST(Incremental, PlantedOodIsRejectedByInfluence) {
  const World w = make_world(true);
  const auto s = seeds();
  bool rejected_once = false;
  for (const std::uint64_t seed : {1U, 2U, 3U, 4U, 5U}) {
    NnModel model(w);
    IncrementalOptions o = base_options();
    o.seed = seed;
    const IncrementalResult r = run_incremental(s, pool_without(s), model, {}, o);
    EXPECT_EQ(std::count(r.selected.begin(), r.selected.end(), kOod), 0) << "seed " << seed;
    if (std::count(r.rejected.begin(), r.rejected.end(), kOod) == 1) {
      rejected_once = true;
      EXPECT_EQ(sum(r.log, &IterationLog::dropped_by_influence), 1U);  // the OOD sample and nothing else
      EXPECT_EQ(r.rejected, std::vector<std::size_t>{kOod});
    }
    EXPECT_EQ(r.selected.size(), 60U);
  }
  EXPECT_TRUE(rejected_once);
}

TEST(Incremental, WithoutInfluenceThresholdTheOodWouldBeKept) {
  // Sanity check of the fake: a huge threshold keeps the OOD sample when it is drawn.
  const World w = make_world(true);
  const auto s = seeds();
  NnModel model(w);
  IncrementalOptions o = base_options();
  o.thr_iter = 1e9;
  o.n_max = 120;
  const IncrementalResult r = run_incremental(s, pool_without(s), model, {}, o);
  EXPECT_EQ(std::count(r.selected.begin(), r.selected.end(), kOod), 1);
  EXPECT_EQ(sum(r.log, &IterationLog::dropped_by_influence), 0U);
}

TEST(Incremental, FastAndBothModes) {
  const World w = make_world(true);
  const auto s = seeds();
  FastNnModel exact_model(w);
  const IncrementalResult re = run_incremental(s, pool_without(s), exact_model, {}, base_options());
  EXPECT_EQ(exact_model.influence_calls, 0U);

  IncrementalOptions o = base_options();
  o.influence = InfluenceMode::fast;
  FastNnModel fast_model(w);
  const IncrementalResult rf = run_incremental(s, pool_without(s), fast_model, {}, o);
  EXPECT_GT(fast_model.influence_calls, 0U);
  EXPECT_LT(fast_model.train_calls, exact_model.train_calls);  // no retraining per hard candidate
  EXPECT_EQ(rf.selected, re.selected);  // the fake's fast influence is exact: same decisions
  EXPECT_EQ(rf.rejected, re.rejected);

  o.influence = InfluenceMode::both;
  FastNnModel both_model(w);
  const IncrementalResult rb = run_incremental(s, pool_without(s), both_model, {}, o);
  ASSERT_TRUE(rb.agreement.has_value());
  EXPECT_EQ(rb.agreement->compared, sum(rb.log, &IterationLog::added_hard) +
                                        sum(rb.log, &IterationLog::dropped_by_influence));
  EXPECT_GT(rb.agreement->compared, 0U);
  EXPECT_EQ(rb.agreement->agreed, rb.agreement->compared);
  EXPECT_LT(rb.agreement->max_abs_difference, 1e-12);
  EXPECT_EQ(rb.selected, re.selected);

  // A fast hook that never flags: mode both still decides by the exact value and reports the misses.
  LyingFastModel lying(w);
  const IncrementalResult rl = run_incremental(s, pool_without(s), lying, {}, o);
  ASSERT_TRUE(rl.agreement.has_value());
  EXPECT_EQ(rl.agreement->agreed + sum(rl.log, &IterationLog::dropped_by_influence), rl.agreement->compared);
  EXPECT_EQ(rl.selected, re.selected);
  EXPECT_EQ(std::count(rl.selected.begin(), rl.selected.end(), kOod), 0);
}

// A fast hook whose values all sit far above thr_iter, as a filter model on a few samples gives
// when any short fine-tuning moves its validation MAPE: 0.50-0.54 for a clean sample, +5 for the OOD.
class InflatedFastModel : public NnModel {
 public:
  using NnModel::NnModel;
  double influence(std::span<const std::size_t>, std::size_t candidate) override {
    return 0.5 + 0.01 * static_cast<double>(candidate % 5) + (candidate == kOod ? 5.0 : 0.0);
  }
};

TEST(Incremental, LastSlotsGoToEasyDrawsWhenEveryHardDrawIsDropped) {
  // Every hard draw is dropped; with equal windows the old split (share rounded to nearest) gave the
  // last slot to a hard draw, dropped it, and did so again each iteration until the pool ran out.
  const World w = make_world(false);
  const auto s = seeds();
  InflatedFastModel model(w);
  IncrementalOptions o = base_options();
  o.influence = InfluenceMode::fast;
  o.n_easy = 10;
  o.n_hard = 10;  // 3 + 3 drawn per iteration
  const IncrementalResult r = run_incremental(s, pool_without(s), model, {}, o);
  EXPECT_EQ(r.stop_reason, "n_max reached");
  EXPECT_EQ(r.selected.size(), 60U);
  EXPECT_EQ(sum(r.log, &IterationLog::added_hard), 0U);
  EXPECT_GT(sum(r.log, &IterationLog::dropped_by_influence), 0U);
  // 49 slots: 15 iterations of 3 easy (+3 hard dropped) to 56, then budgets 4, 2, 1 split 2+2, 1+1
  // and 1+0: 18 iterations plus the seeds' row, the last one adding a single easy sample.
  ASSERT_EQ(r.log.size(), 19U);
  EXPECT_EQ(r.log.back().added_easy, 1U);
  EXPECT_EQ(r.log.back().dropped_by_influence, 0U);
}

TEST(Incremental, RelativeThresholdDropsOnlyTheOutliers) {
  const World w = make_world(true);
  const auto s = seeds();
  bool ood_dropped = false;
  for (const std::uint64_t seed : {1U, 2U, 3U, 4U, 5U}) {
    IncrementalOptions o = base_options();
    o.seed = seed;
    o.influence = InfluenceMode::fast;
    o.thr_iter = 0.1;
    // Absolute: every hard draw exceeds thr_iter, so none is kept.
    InflatedFastModel a_model(w);
    const IncrementalResult a = run_incremental(s, pool_without(s), a_model, {}, o);
    EXPECT_EQ(sum(a.log, &IterationLog::added_hard), 0U) << "seed " << seed;
    EXPECT_GT(sum(a.log, &IterationLog::dropped_by_influence), 0U) << "seed " << seed;
    // Relative: the clean values lie within 0.04 of each other, the OOD 5 above them.
    o.threshold = InfluenceThreshold::relative;
    InflatedFastModel r_model(w);
    const IncrementalResult r = run_incremental(s, pool_without(s), r_model, {}, o);
    EXPECT_GT(sum(r.log, &IterationLog::added_hard), 0U) << "seed " << seed;
    EXPECT_EQ(std::count(r.selected.begin(), r.selected.end(), kOod), 0) << "seed " << seed;
    for (const std::size_t id : r.rejected) EXPECT_EQ(id, kOod) << "seed " << seed;
    if (!r.rejected.empty()) ood_dropped = true;
    EXPECT_EQ(r.selected.size(), 60U);
  }
  EXPECT_TRUE(ood_dropped);
}

TEST(Incremental, DefaultInfluenceRetrainsWithAndWithout) {
  const World w = make_world(true);
  NnModel model(w);
  const auto s = seeds();
  model.train(s);
  const double before = model.validation_mape();
  const std::size_t calls = model.train_calls;
  const double ood = model.influence(s, kOod);
  EXPECT_EQ(model.train_calls, calls + 2);
  EXPECT_EQ(model.trained(), s);  // left trained on the set without the candidate
  EXPECT_DOUBLE_EQ(model.validation_mape(), before);
  EXPECT_GT(ood, 1.0);  // the validation point 5.13 is now predicted 50x too high: +49/40
  EXPECT_LE(model.influence(s, 50), 0.0);  // a clean sample does not hurt
  FastNnModel fast(w);
  fast.train(s);
  EXPECT_NEAR(fast.influence(s, kOod), ood, 1e-12);
  EXPECT_NEAR(exact_influence(model, s, kOod, before), ood, 1e-12);
}

TEST(Incremental, RuleFailuresAreReplacedByNearestNeighbours) {
  const World w = make_world(false);
  const auto s = seeds();
  const auto fails = [](std::size_t id) { return id % 10 == 7 || id % 10 == 3; };
  std::size_t nn_calls = 0;
  IncrementalCallbacks cb;
  cb.verify = [&](std::size_t id) -> std::optional<std::string> {
    if (fails(id)) return "rule: link utilisation above 1";
    return std::nullopt;
  };
  cb.nearest_neighbour = [&](std::size_t id, const std::unordered_set<std::size_t>& exclude)
      -> std::optional<std::size_t> {
    ++nn_calls;
    std::optional<std::size_t> best;
    for (std::size_t j = 0; j < kSamples; ++j) {
      if (j == id || exclude.contains(j)) continue;
      if (!best || std::abs(w.x[j] - w.x[id]) < std::abs(w.x[*best] - w.x[id])) best = j;
    }
    return best;
  };
  NnModel model(w);
  IncrementalOptions o = base_options();
  o.n_max = 120;
  o.decay = 0.05;
  const IncrementalResult r = run_incremental(s, pool_without(s), model, cb, o);
  EXPECT_EQ(r.stop_reason, "n_max reached");
  EXPECT_EQ(r.selected.size(), 120U);
  for (const std::size_t id : r.selected) EXPECT_FALSE(fails(id)) << id;
  const std::size_t failed = sum(r.log, &IterationLog::failed_rules);
  const std::size_t replaced = sum(r.log, &IterationLog::replaced);
  EXPECT_GT(failed, 0U);
  EXPECT_GT(replaced, 0U);
  EXPECT_LE(replaced, failed);
  // Every drawn failure asks for a neighbour; a neighbour that fails too asks again (up to 3 tries).
  EXPECT_LE(nn_calls, failed);
  EXPECT_GE(nn_calls, replaced);
  EXPECT_EQ(r.rejected.size(), failed);
  for (const std::size_t id : r.rejected) EXPECT_TRUE(fails(id)) << id;

  // Without a neighbour callback, failures are only dropped.
  IncrementalCallbacks verify_only;
  verify_only.verify = cb.verify;
  NnModel model2(w);
  const IncrementalResult r2 = run_incremental(s, pool_without(s), model2, verify_only, o);
  EXPECT_EQ(sum(r2.log, &IterationLog::replaced), 0U);
  EXPECT_GT(sum(r2.log, &IterationLog::failed_rules), 0U);
  for (const std::size_t id : r2.selected) EXPECT_FALSE(fails(id)) << id;
  EXPECT_EQ(r2.selected.size(), 120U);
}

TEST(Incremental, DeterministicForASeed) {
  const World w = make_world(true);
  const auto s = seeds();
  const auto run = [&](std::uint64_t seed) {
    NnModel model(w);
    IncrementalOptions o = base_options();
    o.seed = seed;
    o.decay = 0.1;
    return run_incremental(s, pool_without(s), model, {}, o);
  };
  const IncrementalResult a = run(9);
  const IncrementalResult b = run(9);
  EXPECT_EQ(a.selected, b.selected);
  EXPECT_EQ(a.rejected, b.rejected);
  ASSERT_EQ(a.log.size(), b.log.size());
  for (std::size_t i = 0; i < a.log.size(); ++i) {
    EXPECT_EQ(a.log[i].added_easy, b.log[i].added_easy);
    EXPECT_EQ(a.log[i].added_hard, b.log[i].added_hard);
    EXPECT_EQ(a.log[i].validation_mape, b.log[i].validation_mape);
  }
  EXPECT_NE(run(10).selected, a.selected);
}

TEST(Incremental, MaxIterations) {
  const World w = make_world(false);
  NnModel model(w);
  const auto s = seeds();
  IncrementalOptions o = base_options();
  o.max_iterations = 2;
  const IncrementalResult r = run_incremental(s, pool_without(s), model, {}, o);
  EXPECT_EQ(r.stop_reason, "max_iterations");
  EXPECT_EQ(r.log.size(), 3U);
  // ceil(0.3 * 20) + ceil(0.3 * 10) = 9 per iteration.
  EXPECT_EQ(r.selected.size(), s.size() + 18);
}

TEST(Incremental, RejectsBadOptionsAndInputs) {
  const World w = make_world(false);
  NnModel model(w);
  const auto s = seeds();
  const auto p = pool_without(s);
  const auto with = [&](auto edit) {
    IncrementalOptions o = base_options();
    edit(o);
    return error_of([&] { (void)run_incremental(s, p, model, {}, o); });
  };
  EXPECT_NE(with([](IncrementalOptions& o) { o.n_max = 0; }).find("n_max: expected >= 1"), std::string::npos);
  EXPECT_NE(with([](IncrementalOptions& o) { o.n_max = 5; }).find("below the number of seeds (11)"),
            std::string::npos);
  EXPECT_NE(with([](IncrementalOptions& o) { o.r_iter = 0.0; }).find("r_iter: expected a ratio in (0, 1]"),
            std::string::npos);
  EXPECT_NE(with([](IncrementalOptions& o) { o.r_iter = 1.5; }).find("r_iter"), std::string::npos);
  EXPECT_NE(with([](IncrementalOptions& o) { o.n_easy = 0; o.n_hard = 0; }).find("n_easy, n_hard"),
            std::string::npos);
  EXPECT_NE(with([](IncrementalOptions& o) { o.decay = -0.1; }).find("decay: expected a finite number >= 0"),
            std::string::npos);
  EXPECT_NE(with([](IncrementalOptions& o) { o.thr_iter = std::nan(""); }).find("thr_iter"), std::string::npos);
  EXPECT_NE(with([](IncrementalOptions& o) { o.mad_k = -1.0; }).find("mad_k: expected a finite number >= 0"),
            std::string::npos);

  const IncrementalOptions o = base_options();
  EXPECT_NE(error_of([&] { (void)run_incremental({}, p, model, {}, o); }).find("seeds: expected at least one"),
            std::string::npos);
  const std::vector<std::size_t> dup_pool = {1, 2, 2};
  EXPECT_NE(error_of([&] { (void)run_incremental(s, dup_pool, model, {}, o); }).find("pool holds id 2 twice"),
            std::string::npos);
  const std::vector<std::size_t> overlapping = {1, 20};
  EXPECT_NE(error_of([&] { (void)run_incremental(s, overlapping, model, {}, o); })
                .find("id 20 is both a seed and in the pool"),
            std::string::npos);

  // A model that returns the wrong number of losses.
  class ShortLoss : public NnModel {
   public:
    using NnModel::NnModel;
    std::vector<double> per_sample_loss(std::span<const std::size_t>) override { return {1.0}; }
  } short_loss(w);
  EXPECT_NE(error_of([&] { (void)run_incremental(s, p, short_loss, {}, o); }).find("returned 1 losses for 190 ids"),
            std::string::npos);

  // A neighbour callback that answers with a sample already in the training set.
  IncrementalCallbacks cb;
  cb.verify = [](std::size_t) -> std::optional<std::string> { return "always fails"; };
  cb.nearest_neighbour = [](std::size_t, const std::unordered_set<std::size_t>&) -> std::optional<std::size_t> {
    return 0;
  };
  EXPECT_NE(error_of([&] { (void)run_incremental(s, p, model, cb, o); })
                .find("nearest_neighbour returned id 0"),
            std::string::npos);
}

}  // namespace
}  // namespace autoopt::opt
