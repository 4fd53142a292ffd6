// Wasserstein-1 and KS distances against closed forms, and the per-indicator comparison.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "gen/distance.hpp"
#include "indicator_fixtures.hpp"
#include "net/error.hpp"

namespace autoopt::gen {
namespace {

std::vector<double> grid(std::size_t n, double lo, double hi) {  // midpoints of n equal cells
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = lo + (hi - lo) * (static_cast<double>(i) + 0.5) / static_cast<double>(n);
  return v;
}

TEST(Distance, ShiftedPointMasses) {
  const std::vector<double> a(5, 1.0), b(3, 3.5);
  EXPECT_DOUBLE_EQ(wasserstein1(a, b), 2.5);
  EXPECT_DOUBLE_EQ(ks_statistic(a, b), 1.0);
}

TEST(Distance, IdenticalSetsAreZero) {
  const std::vector<double> a{0.3, -1.0, 2.0, 2.0, 7.5};
  std::vector<double> b{2.0, 7.5, -1.0, 0.3, 2.0};  // same multiset, other order
  EXPECT_EQ(wasserstein1(a, b), 0.0);
  EXPECT_EQ(ks_statistic(a, b), 0.0);
  // A duplicated sample has the same empirical distribution.
  std::vector<double> twice = a;
  twice.insert(twice.end(), a.begin(), a.end());
  EXPECT_NEAR(wasserstein1(a, twice), 0.0, 1e-15);
  EXPECT_EQ(ks_statistic(a, twice), 0.0);
}

TEST(Distance, SmallUnequalSizesByHand) {
  // {0} vs {0, 1}: F differs by 1/2 on [0, 1).
  EXPECT_DOUBLE_EQ(wasserstein1(std::vector<double>{0.0}, std::vector<double>{0.0, 1.0}), 0.5);
  EXPECT_DOUBLE_EQ(ks_statistic(std::vector<double>{0.0}, std::vector<double>{0.0, 1.0}), 0.5);
  // {1,2,3} vs {1,2,3,4}: |F_a - F_b| = 1/3-1/4, 2/3-1/2, 1-3/4 on [1,2), [2,3), [3,4).
  const std::vector<double> a{1, 2, 3}, b{4, 3, 2, 1};
  EXPECT_NEAR(wasserstein1(a, b), 1.0 / 12 + 1.0 / 6 + 1.0 / 4, 1e-15);
  EXPECT_NEAR(ks_statistic(a, b), 0.25, 1e-15);
}

TEST(Distance, UniformVsUniform) {
  // U(0,1) vs U(0,2): quantiles u and 2u, W1 = int_0^1 u du = 1/2; KS = sup |x - x/2| = 1/2.
  const auto a = grid(4000, 0.0, 1.0), b = grid(6000, 0.0, 2.0);
  EXPECT_NEAR(wasserstein1(a, b), 0.5, 1e-3);
  EXPECT_NEAR(ks_statistic(a, b), 0.5, 1e-3);
  // U(0,1) vs U(0.25,1.25): a shift: W1 = 0.25, KS = 0.25.
  const auto c = grid(5000, 0.25, 1.25);
  EXPECT_NEAR(wasserstein1(a, c), 0.25, 1e-3);
  EXPECT_NEAR(ks_statistic(a, c), 0.25, 1e-3);
}

TEST(Distance, SymmetryShiftAndScale) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> nd(1.0, 2.0);
  std::exponential_distribution<double> ed(0.5);
  std::vector<double> a(700), b(1100);
  for (double& x : a) x = nd(rng);
  for (double& x : b) x = ed(rng);
  const double w = wasserstein1(a, b), k = ks_statistic(a, b);
  EXPECT_GT(w, 0.0);
  EXPECT_GT(k, 0.0);
  EXPECT_LE(k, 1.0);
  EXPECT_DOUBLE_EQ(wasserstein1(b, a), w);
  EXPECT_DOUBLE_EQ(ks_statistic(b, a), k);
  // Shifting both changes neither; scaling both by 3 scales W1 by 3 and keeps KS.
  std::vector<double> a3 = a, b3 = b, as = a, bs = b;
  for (double& x : a3) x *= 3;
  for (double& x : b3) x *= 3;
  for (double& x : as) x += 10;
  for (double& x : bs) x += 10;
  EXPECT_NEAR(wasserstein1(a3, b3), 3 * w, 1e-9 * w);
  EXPECT_DOUBLE_EQ(ks_statistic(a3, b3), k);
  EXPECT_NEAR(wasserstein1(as, bs), w, 1e-9);
  EXPECT_DOUBLE_EQ(ks_statistic(as, bs), k);
  // W1 equals the quantile form for equal sizes: mean |a_(i) - b_(i)|.
  std::vector<double> c(700);
  for (double& x : c) x = ed(rng);
  std::vector<double> sa = a, sc = c;
  std::sort(sa.begin(), sa.end());
  std::sort(sc.begin(), sc.end());
  double q = 0;
  for (std::size_t i = 0; i < sa.size(); ++i) q += std::abs(sa[i] - sc[i]);
  EXPECT_NEAR(wasserstein1(a, c), q / 700.0, 1e-12);
}

TEST(Distance, EmptyAndNonFiniteInputsAreErrors) {
  const std::vector<double> some{1.0, 2.0}, none;
  const auto expect_error = [](auto fn, const std::string& text) {
    try {
      fn();
      ADD_FAILURE() << "expected an error containing '" << text << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
  };
  expect_error([&] { (void)wasserstein1(none, some); }, "wasserstein1: the first distribution is empty");
  expect_error([&] { (void)wasserstein1(some, none); }, "wasserstein1: the second distribution is empty");
  expect_error([&] { (void)ks_statistic(none, some); }, "ks_statistic: the first distribution is empty");
  expect_error([&] { (void)distances_sorted(none, none); }, "empty");
  const std::vector<double> nan{1.0, std::nan("")};
  expect_error([&] { (void)ks_statistic(some, nan); }, "value 1 of the second distribution is not finite");
}

TEST(Distance, ValueStats) {
  const ValueStats s = value_stats(std::vector<double>{4, 1, 3, 2, 5});
  EXPECT_EQ(s.count, 5u);
  EXPECT_DOUBLE_EQ(s.mean, 3.0);
  EXPECT_DOUBLE_EQ(s.median, 3.0);
  EXPECT_DOUBLE_EQ(s.min, 1.0);
  EXPECT_DOUBLE_EQ(s.max, 5.0);
  EXPECT_DOUBLE_EQ(s.p10, 1.4);
  EXPECT_DOUBLE_EQ(s.stddev, std::sqrt(2.0));
  EXPECT_TRUE(std::isnan(value_stats(std::vector<double>{}).mean));
}

TEST(Distance, CompareIndicatorsOfSets) {
  const IndicatorSet a = sample_indicators(autoopt::testing::indicator_sample());
  const DistanceTable same = compare_indicators(a, a);
  ASSERT_EQ(same.rows.size(), static_cast<std::size_t>(kNumIndicators));
  for (const IndicatorDistance& r : same.rows) {
    EXPECT_TRUE(r.comparable) << indicator_info(r.id).name;
    EXPECT_EQ(r.ks, 0.0);
    EXPECT_EQ(r.wasserstein, 0.0);
  }
  EXPECT_EQ(same.summary.comparable, static_cast<std::size_t>(kNumIndicators));
  EXPECT_EQ(same.summary.mean_ks, 0.0);

  // Doubling every delay: path_delay moves by its mean (W1 of x vs 2x = mean x for x >= 0).
  net::Sample slow = autoopt::testing::indicator_sample();
  for (net::PathStats& p : slow.results->pairs) {
    if (p.avg_delay > 0) {
      p.avg_delay *= 2;
      p.jitter *= 4;  // keeps the coefficient of variation
    }
  }
  const IndicatorSet b = sample_indicators(slow);
  const DistanceTable t = compare_indicators(a, b);
  const auto& delay = t.rows[static_cast<std::size_t>(Indicator::PathDelay)];
  EXPECT_NEAR(delay.wasserstein, (0.25 + 0.3 + 0.2 + 0.05) / 4, 1e-12);
  EXPECT_DOUBLE_EQ(delay.ks, 0.75);  // F_a reaches 3/4 at 0.25 before F_b leaves 1/4 (0.1 <= x < 0.4)
  EXPECT_EQ(t.rows[static_cast<std::size_t>(Indicator::PathJitterCv)].ks, 0.0);
  // path_delay_norm doubles too: {2, 2, 2.5, 2.67} vs {4, 4, 5, 5.33} are disjoint, KS 1.
  EXPECT_EQ(t.summary.worst, Indicator::PathDelayNorm);
  EXPECT_DOUBLE_EQ(t.summary.max_ks, 1.0);

  // Against an empty set: nothing comparable, NaN summary.
  const DistanceTable none = compare_indicators(a, IndicatorSet{});
  for (const IndicatorDistance& r : none.rows) {
    EXPECT_FALSE(r.comparable);
    EXPECT_TRUE(std::isnan(r.ks));
  }
  EXPECT_EQ(none.summary.comparable, 0u);
  EXPECT_TRUE(std::isnan(none.summary.mean_ks));
}

}  // namespace
}  // namespace autoopt::gen
