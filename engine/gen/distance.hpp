// Distances between empirical distributions: exact 1-Wasserstein and the two-sample
// Kolmogorov-Smirnov statistic; per indicator between two IndicatorSets, with a summary.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "gen/indicators.hpp"

namespace autoopt::gen {

// W1(a, b) = integral over x of |F_a(x) - F_b(x)|, exact for the empirical distributions of a and b
// (any sizes). Throws autoopt::Error if either input is empty or holds a non-finite value.
[[nodiscard]] double wasserstein1(std::span<const double> a, std::span<const double> b);

// sup over x of |F_a(x) - F_b(x)| for the empirical distributions; in [0, 1]. Same errors.
[[nodiscard]] double ks_statistic(std::span<const double> a, std::span<const double> b);

// Both at once on already sorted inputs (ascending and finite: not checked; empty: autoopt::Error).
struct DistributionDistance {
  double wasserstein = 0.0;
  double ks = 0.0;
};
[[nodiscard]] DistributionDistance distances_sorted(std::span<const double> a, std::span<const double> b);

// Summary statistics of one value list (NaN everywhere when empty).
struct ValueStats {
  std::size_t count = 0;
  double mean = 0.0, stddev = 0.0, min = 0.0, p10 = 0.0, median = 0.0, p90 = 0.0, max = 0.0;
};
[[nodiscard]] ValueStats value_stats(std::span<const double> values);

struct IndicatorDistance {
  Indicator id{};
  ValueStats candidates;
  ValueStats reference;
  bool comparable = false;    // both sides have values; otherwise the distances are NaN
  double wasserstein = 0.0;   // in the indicator's unit
  double wasserstein_scaled = 0.0;  // W1 / reference standard deviation (NaN if that is 0)
  double ks = 0.0;
};

struct DistanceSummary {
  std::size_t comparable = 0;       // indicators with values on both sides
  double mean_ks = 0.0;             // over comparable indicators
  double max_ks = 0.0;
  Indicator worst{};                // the indicator with max_ks
  double mean_wasserstein_scaled = 0.0;  // over comparable indicators with a finite scaled W1
};

struct DistanceTable {
  std::vector<IndicatorDistance> rows;  // one per indicator, catalogue order
  DistanceSummary summary;
};

// Per indicator distances between candidates and reference. Indicators empty on either side are
// marked not comparable (NaN distances) and left out of the summary; if no indicator is comparable
// the summary holds NaN.
[[nodiscard]] DistanceTable compare_indicators(const IndicatorSet& candidates, const IndicatorSet& reference);

}  // namespace autoopt::gen
