#include "sim/histogram.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "net/error.hpp"
#include "sim/rng.hpp"

namespace autoopt::sim {
namespace {

constexpr double kPs[] = {0.1, 0.2, 0.5, 0.8, 0.9, 0.99};

// Worst relative error of the histogram quantiles against exact order statistics.
double worst_rel_error(const std::vector<double>& values, double width) {
  LogHistogram h(width);
  for (const double v : values) h.add(v);
  std::vector<double> copy = values;
  double worst = 0.0;
  for (const double p : kPs) {
    const double exact = exact_quantile(copy, p);
    worst = std::max(worst, std::abs(h.quantile(p) - exact) / exact);
  }
  return worst;
}

TEST(LogHistogram, QuantileErrorWithinHalfBinOnLognormal) {
  RandomStream rng(11, 0, 0);
  std::vector<double> v;
  for (int i = 0; i < 200000; ++i) {
    // Box-Muller lognormal around 10 ms, sigma 1.5.
    const double u1 = 1.0 - rng.uniform();
    const double u2 = rng.uniform();
    const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    v.push_back(0.01 * std::exp(1.5 * z));
  }
  const double err = worst_rel_error(v, 0.002);
  RecordProperty("worst_rel_error", std::to_string(err));
  EXPECT_LE(err, std::sqrt(1.002) - 1.0 + 1e-9);
  EXPECT_GT(err, 0.0);  // it is an estimate, not a copy
}

TEST(LogHistogram, ExactOnAtomsOfDiscreteDelays) {
  // Delays that take a few exact values (sums of transmission times) plus a continuous tail: the
  // estimate is within half a bin, and exact where the rank falls on the minimum.
  RandomStream rng(3, 0, 0);
  std::vector<double> v;
  for (int i = 0; i < 50000; ++i) {
    const double u = rng.uniform();
    v.push_back(u < 0.3 ? 0.0075 : (u < 0.5 ? 0.01 : 0.0075 + rng.exponential(0.02, 0)));
  }
  LogHistogram h;
  for (const double x : v) h.add(x);
  EXPECT_DOUBLE_EQ(h.quantile(0.1), 0.0075);
  EXPECT_DOUBLE_EQ(h.quantile(0.2), 0.0075);
  EXPECT_LE(worst_rel_error(v, 0.002), std::sqrt(1.002) - 1.0 + 1e-9);
}

TEST(LogHistogram, ErrorShrinksWithBinWidth) {
  RandomStream rng(5, 0, 0);
  std::vector<double> v;
  for (int i = 0; i < 100000; ++i) v.push_back(1e-3 + rng.exponential(0.05, 0));
  const double coarse = worst_rel_error(v, 0.02);
  const double fine = worst_rel_error(v, 0.0005);
  EXPECT_LE(coarse, std::sqrt(1.02) - 1.0 + 1e-9);
  EXPECT_LE(fine, std::sqrt(1.0005) - 1.0 + 1e-9);
  EXPECT_LT(fine, coarse);
}

TEST(LogHistogram, MemoryDoesNotGrowWithCount) {
  RandomStream rng(9, 0, 0);
  LogHistogram h;
  for (int i = 0; i < 100000; ++i) h.add(1e-3 * (1.0 + 99.0 * rng.uniform()));
  const std::size_t bins = h.num_bins();
  for (int i = 0; i < 900000; ++i) h.add(1e-3 * (1.0 + 99.0 * rng.uniform()));
  EXPECT_EQ(h.count(), 1000000U);
  EXPECT_EQ(h.num_bins(), bins);
  // Two decades at 0.2% are ln(100)/ln(1.002) ~ 2305 bins, plus growth slack.
  EXPECT_LT(bins, 3500U);
}

TEST(LogHistogram, MergeEqualsAddingAll) {
  RandomStream rng(1, 0, 0);
  LogHistogram a, b, all;
  for (int i = 0; i < 20000; ++i) {
    const double x = rng.exponential(1.0, 0) + 1e-6;
    (i % 3 == 0 ? a : b).add(x);
    all.add(x);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (const double p : kPs) EXPECT_EQ(a.quantile(p), all.quantile(p));
}

TEST(LogHistogram, QuantilesInOnePassEqualQuantile) {
  // The one-pass quantiles() (what the simulator uses) returns bit-for-bit what quantile() returns,
  // with ranks on the minimum, repeated probabilities and p = 1 included.
  RandomStream rng(21, 0, 0);
  LogHistogram h;
  for (int i = 0; i < 20000; ++i) {
    const double u = rng.uniform();
    h.add(u < 0.25 ? 0.004 : 0.004 + rng.exponential(0.01, 0));
  }
  const std::vector<double> ps{0.05, 0.1, 0.2, 0.2, 0.25, 0.5, 0.8, 0.9, 0.999, 1.0};
  std::vector<double> out(ps.size());
  h.quantiles(ps, out);
  for (std::size_t i = 0; i < ps.size(); ++i) EXPECT_EQ(out[i], h.quantile(ps[i])) << "p = " << ps[i];
  EXPECT_EQ(out[0], 0.004);  // on the minimum
  EXPECT_GT(out[5], out[0]);

  LogHistogram empty;
  std::vector<double> none(2);
  empty.quantiles(std::vector<double>{0.1, 0.9}, none);
  EXPECT_TRUE(std::isnan(none[0]) && std::isnan(none[1]));
}

TEST(LogHistogram, DeferredAddsEqualDirectAdds) {
  // add_ln_deferred through one shared BinIncrements (what the simulator does) gives the same
  // histograms as add_ln, also when a histogram grows (down and up) with increments pending and
  // when the buffer fills and flushes itself.
  RandomStream rng(5, 1, 2);
  LogHistogram direct_a, direct_b, deferred_a, deferred_b;
  BinIncrements inc;
  for (int i = 0; i < 5000; ++i) {
    // The range widens both ways as i grows, so the histograms keep growing.
    const double scale = std::exp(0.002 * i * (i % 2 == 0 ? 1.0 : -1.0));
    const double x = scale * (0.01 + rng.exponential(0.02, 0));
    const double y = 0.5 + rng.uniform();
    direct_a.add(x);
    deferred_a.add_ln_deferred(x, std::log(x), inc);
    direct_b.add(y);
    deferred_b.add_ln_deferred(y, std::log(y), inc);
    if (i == 100) {
      EXPECT_GT(inc.pending(), 0U);
      EXPECT_LT(inc.pending(), BinIncrements::kCapacity);
    }
  }
  inc.flush();
  EXPECT_EQ(inc.pending(), 0U);
  std::vector<double> ps;
  for (int k = 1; k <= 200; ++k) ps.push_back(k / 200.0);
  for (const auto& [d, f] : {std::pair{&direct_a, &deferred_a}, std::pair{&direct_b, &deferred_b}}) {
    EXPECT_EQ(d->count(), f->count());
    EXPECT_EQ(d->min(), f->min());
    EXPECT_EQ(d->max(), f->max());
    EXPECT_EQ(d->num_bins(), f->num_bins());
    std::vector<double> qd(ps.size()), qf(ps.size());
    d->quantiles(ps, qd);
    f->quantiles(ps, qf);
    for (std::size_t i = 0; i < ps.size(); ++i) {
      EXPECT_EQ(qd[i], qf[i]) << "p = " << ps[i];
      EXPECT_EQ(qd[i], d->quantile(ps[i])) << "p = " << ps[i];  // one pass (block skips) = per p
    }
  }
  EXPECT_GT(direct_a.num_bins(), 1000U);  // many 16-bin blocks for quantiles() to skip

  LogHistogram h;
  try {
    h.add_ln_deferred(-1.0, 0.0, inc);
    ADD_FAILURE() << "no error for a negative value";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("positive and finite"), std::string::npos) << e.what();
  }
  EXPECT_EQ(inc.pending(), 0U);
  EXPECT_EQ(h.count(), 0U);
}

TEST(LogHistogram, QuantilesRejectsBadArguments) {
  LogHistogram h;
  h.add(1.0);
  std::vector<double> out(2);
  try {
    h.quantiles(std::vector<double>{0.9, 0.1}, out);
    FAIL() << "expected autoopt::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("non-decreasing"), std::string::npos) << e.what();
  }
  std::vector<double> short_out(1);
  try {
    h.quantiles(std::vector<double>{0.1, 0.9}, short_out);
    FAIL() << "expected autoopt::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("as many outputs"), std::string::npos) << e.what();
  }
}

TEST(LogHistogram, RejectsNonPositive) {
  LogHistogram h;
  try {
    h.add(0.0);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("positive"), std::string::npos) << e.what();
  }
  EXPECT_THROW(LogHistogram(0.0), Error);
  EXPECT_TRUE(std::isnan(h.quantile(0.5)));
}

TEST(NearestRank, Convention) {
  EXPECT_EQ(nearest_rank(0.5, 10), 5U);
  EXPECT_EQ(nearest_rank(0.1, 10), 1U);
  EXPECT_EQ(nearest_rank(0.9, 10), 9U);
  EXPECT_EQ(nearest_rank(0.55, 10), 6U);
  EXPECT_EQ(nearest_rank(0.01, 10), 1U);
  std::vector<double> v = {5, 1, 4, 2, 3};
  EXPECT_EQ(exact_quantile(v, 0.5), 3.0);
  EXPECT_EQ(exact_quantile(v, 1.0), 5.0);
}

}  // namespace
}  // namespace autoopt::sim
