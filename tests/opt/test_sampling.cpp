// Order-based probabilities (eq. (8)) and draws without replacement.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "net/error.hpp"
#include "opt/sampling.hpp"

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

TEST(OrderProbabilities, SumToOneAndDecayByTheClosedFormRatio) {
  for (const std::size_t count : {1U, 2U, 7U, 50U}) {
    for (const double decay : {0.0, 0.05, 0.3, 1.0, 4.0}) {
      const std::vector<double> p = order_probabilities(count, decay);
      ASSERT_EQ(p.size(), count);
      EXPECT_NEAR(std::accumulate(p.begin(), p.end(), 0.0), 1.0, 1e-12) << count << " " << decay;
      // p_0 = (1 - e^-l) / (1 - e^-l n); l = 0: 1 / n.
      const double p0 = decay == 0.0 ? 1.0 / static_cast<double>(count)
                                     : -std::expm1(-decay) / -std::expm1(-decay * static_cast<double>(count));
      EXPECT_NEAR(p[0], p0, 1e-12);
      for (std::size_t i = 0; i + 1 < count; ++i) {
        EXPECT_NEAR(p[i + 1] / p[i], std::exp(-decay), 1e-12) << "position " << i;
        if (decay > 0.0) {
          EXPECT_LT(p[i + 1], p[i]);
        }
      }
    }
  }
}

TEST(OrderProbabilities, HugeDecayStaysFinite) {
  const std::vector<double> p = order_probabilities(6, 1000.0);
  EXPECT_DOUBLE_EQ(p[0], 1.0);
  for (std::size_t i = 1; i < p.size(); ++i) EXPECT_EQ(p[i], 0.0);
}

TEST(OrderProbabilities, RejectsBadInput) {
  EXPECT_NE(error_of([] { (void)order_probabilities(0, 0.1); }).find("count must be >= 1"), std::string::npos);
  EXPECT_NE(error_of([] { (void)order_probabilities(3, -0.5); }).find("decay must be a finite number >= 0"),
            std::string::npos);
  EXPECT_NE(error_of([] { (void)order_probabilities(3, std::numeric_limits<double>::quiet_NaN()); }).find("decay"),
            std::string::npos);
  EXPECT_NE(error_of([] { (void)order_probabilities(3, std::numeric_limits<double>::infinity()); }).find("decay"),
            std::string::npos);
}

// Chi-square statistic of observed counts against expected probabilities.
double chi_square(const std::vector<double>& observed, const std::vector<double>& prob, double n) {
  double chi = 0.0;
  for (std::size_t i = 0; i < observed.size(); ++i) {
    const double e = prob[i] * n;
    chi += (observed[i] - e) * (observed[i] - e) / e;
  }
  return chi;
}

TEST(DrawByOrder, SingleDrawsFollowTheProbabilities) {
  const std::vector<std::size_t> sorted = {40, 11, 7, 93, 5, 62, 18, 30};  // arbitrary ids in rank order
  const double decay = 0.3;
  const std::vector<double> p = order_probabilities(sorted.size(), decay);
  gen::Rng rng(2024);
  std::vector<double> counts(sorted.size(), 0.0);
  const int n = 100000;
  for (int t = 0; t < n; ++t) {
    const std::vector<std::size_t> d = draw_by_order(sorted, 1, decay, rng);
    ASSERT_EQ(d.size(), 1U);
    const auto pos = static_cast<std::size_t>(std::find(sorted.begin(), sorted.end(), d[0]) - sorted.begin());
    ASSERT_LT(pos, sorted.size());
    counts[pos] += 1.0;
  }
  // df = 7; the 0.999 quantile is 24.32.
  EXPECT_LT(chi_square(counts, p, n), 24.32);
}

TEST(DrawByOrder, OrderedPairsFollowSuccessiveSampling) {
  // Two draws without replacement: P(first = i, second = j) = p_i p_j / (1 - p_i).
  const std::vector<std::size_t> sorted = {3, 1, 4, 0, 2};
  const double decay = 0.5;
  const std::vector<double> p = order_probabilities(sorted.size(), decay);
  std::vector<double> prob;
  std::vector<double> counts;
  for (std::size_t i = 0; i < p.size(); ++i) {
    for (std::size_t j = 0; j < p.size(); ++j) {
      if (i != j) prob.push_back(p[i] * p[j] / (1.0 - p[i]));
    }
  }
  EXPECT_NEAR(std::accumulate(prob.begin(), prob.end(), 0.0), 1.0, 1e-12);
  counts.assign(prob.size(), 0.0);
  const auto pos = [&](std::size_t id) {
    return static_cast<std::size_t>(std::find(sorted.begin(), sorted.end(), id) - sorted.begin());
  };
  gen::Rng rng(77);
  const int n = 100000;
  for (int t = 0; t < n; ++t) {
    const std::vector<std::size_t> d = draw_by_order(sorted, 2, decay, rng);
    const std::size_t i = pos(d[0]);
    const std::size_t j = pos(d[1]);
    ASSERT_NE(i, j);
    counts[i * (p.size() - 1) + (j < i ? j : j - 1)] += 1.0;
  }
  // df = 19; the 0.999 quantile is 43.82.
  EXPECT_LT(chi_square(counts, prob, n), 43.82);
}

TEST(DrawByOrder, NoDuplicatesAndDrawingAllIsAPermutation) {
  std::vector<std::size_t> sorted(30);
  std::iota(sorted.begin(), sorted.end(), std::size_t{100});
  gen::Rng rng(5);
  for (int t = 0; t < 200; ++t) {
    const std::size_t k = static_cast<std::size_t>(t) % 31;
    const std::vector<std::size_t> d = draw_by_order(sorted, k, 0.2, rng);
    ASSERT_EQ(d.size(), k);
    const std::set<std::size_t> unique(d.begin(), d.end());
    EXPECT_EQ(unique.size(), k);
    for (const std::size_t v : d) EXPECT_TRUE(v >= 100 && v < 130);
  }
  std::vector<std::size_t> all = draw_by_order(sorted, sorted.size(), 3.0, rng);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, sorted);
  EXPECT_TRUE(draw_by_order(sorted, 0, 0.2, rng).empty());
}

TEST(DrawByOrder, HugeDecayDrawsInOrder) {
  const std::vector<std::size_t> sorted = {9, 8, 7, 6, 5};
  gen::Rng rng(1);
  EXPECT_EQ(draw_by_order(sorted, 5, 500.0, rng), sorted);
}

TEST(DrawByOrder, DeterministicForASeed) {
  std::vector<std::size_t> sorted(40);
  std::iota(sorted.begin(), sorted.end(), std::size_t{0});
  gen::Rng a(123);
  gen::Rng b(123);
  gen::Rng c(124);
  const auto da = draw_by_order(sorted, 10, 0.1, a);
  EXPECT_EQ(da, draw_by_order(sorted, 10, 0.1, b));
  EXPECT_NE(da, draw_by_order(sorted, 10, 0.1, c));
}

TEST(DrawByOrder, RejectsBadInput) {
  gen::Rng rng(1);
  const std::vector<std::size_t> sorted = {1, 2, 3};
  EXPECT_NE(error_of([&] { (void)draw_by_order(sorted, 4, 0.1, rng); }).find("cannot draw 4 without replacement from 3"),
            std::string::npos);
  const std::vector<std::size_t> dup = {1, 2, 1};
  EXPECT_NE(error_of([&] { (void)draw_by_order(dup, 1, 0.1, rng); }).find("candidate 1 appears twice"),
            std::string::npos);
  EXPECT_NE(error_of([&] { (void)draw_by_order(sorted, 1, -1.0, rng); }).find("decay must be a finite number >= 0"),
            std::string::npos);
}

}  // namespace
}  // namespace autoopt::opt
