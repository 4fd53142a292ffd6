// Wasserstein-1 and Kolmogorov-Smirnov distances (see distance.hpp).
#include "gen/distance.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "net/error.hpp"

namespace autoopt::gen {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> sorted_checked(std::span<const double> v, const char* what, const char* side) {
  if (v.empty()) throw Error(std::string(what) + ": the " + side + " distribution is empty (need at least one value)");
  std::vector<double> out(v.begin(), v.end());
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!std::isfinite(out[i])) {
      throw Error(std::string(what) + ": value " + std::to_string(i) + " of the " + side +
                  " distribution is not finite");
    }
  }
  if (!std::is_sorted(out.begin(), out.end())) std::sort(out.begin(), out.end());
  return out;
}

// Linear-interpolated quantile of sorted values.
double quantile_sorted(const std::vector<double>& s, double q) {
  const double pos = q * static_cast<double>(s.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, s.size() - 1);
  return s[lo] + (pos - static_cast<double>(lo)) * (s[hi] - s[lo]);
}

}  // namespace

DistributionDistance distances_sorted(std::span<const double> a, std::span<const double> b) {
  // Walk the merged support. Between consecutive support points x_k < x_{k+1} both CDFs are
  // constant, so W1 = sum |F_a - F_b| (x_{k+1} - x_k) and KS = max |F_a - F_b| at the points.
  if (a.empty() || b.empty()) throw Error("distances_sorted: an input distribution is empty");
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  std::size_t i = 0, j = 0;
  DistributionDistance out;
  double x = std::min(a.front(), b.front());
  while (i < a.size() || j < b.size()) {
    // Advance past every value equal to x on both sides.
    while (i < a.size() && a[i] <= x) ++i;
    while (j < b.size() && b[j] <= x) ++j;
    // Difference of integer counts first: exact until the division.
    const double diff = std::abs(static_cast<double>(i) * nb - static_cast<double>(j) * na) / (na * nb);
    out.ks = std::max(out.ks, diff);
    if (i == a.size() && j == b.size()) break;
    const double next = std::min(i < a.size() ? a[i] : std::numeric_limits<double>::infinity(),
                                 j < b.size() ? b[j] : std::numeric_limits<double>::infinity());
    out.wasserstein += diff * (next - x);
    x = next;
  }
  return out;
}

double wasserstein1(std::span<const double> a, std::span<const double> b) {
  const auto sa = sorted_checked(a, "wasserstein1", "first");
  const auto sb = sorted_checked(b, "wasserstein1", "second");
  return distances_sorted(sa, sb).wasserstein;
}

double ks_statistic(std::span<const double> a, std::span<const double> b) {
  const auto sa = sorted_checked(a, "ks_statistic", "first");
  const auto sb = sorted_checked(b, "ks_statistic", "second");
  return distances_sorted(sa, sb).ks;
}

ValueStats value_stats(std::span<const double> values) {
  ValueStats st;
  st.count = values.size();
  if (values.empty()) {
    st.mean = st.stddev = st.min = st.p10 = st.median = st.p90 = st.max = kNaN;
    return st;
  }
  std::vector<double> s(values.begin(), values.end());
  if (!std::is_sorted(s.begin(), s.end())) std::sort(s.begin(), s.end());
  double sum = 0.0;
  for (const double v : s) sum += v;
  st.mean = sum / static_cast<double>(s.size());
  double ss = 0.0;
  for (const double v : s) ss += (v - st.mean) * (v - st.mean);
  st.stddev = std::sqrt(ss / static_cast<double>(s.size()));
  st.min = s.front();
  st.max = s.back();
  st.p10 = quantile_sorted(s, 0.1);
  st.median = quantile_sorted(s, 0.5);
  st.p90 = quantile_sorted(s, 0.9);
  return st;
}

DistanceTable compare_indicators(const IndicatorSet& candidates, const IndicatorSet& reference) {
  DistanceTable table;
  double ks_sum = 0.0, ws_sum = 0.0;
  std::size_t ws_count = 0;
  for (const IndicatorInfo& info : indicator_catalog()) {
    IndicatorDistance row;
    row.id = info.id;
    const auto a = candidates.values(info.id);
    const auto b = reference.values(info.id);
    row.candidates = value_stats(a);
    row.reference = value_stats(b);
    row.comparable = !a.empty() && !b.empty();
    if (!row.comparable) {
      row.wasserstein = row.wasserstein_scaled = row.ks = kNaN;
    } else {
      const std::string what = "indicator " + std::string(info.name);
      const auto sa = sorted_checked(a, what.c_str(), "candidate");
      const auto sb = sorted_checked(b, what.c_str(), "reference");
      const DistributionDistance d = distances_sorted(sa, sb);
      row.wasserstein = d.wasserstein;
      row.ks = d.ks;
      row.wasserstein_scaled = row.reference.stddev > 0.0 ? d.wasserstein / row.reference.stddev : kNaN;
      ++table.summary.comparable;
      ks_sum += d.ks;
      if (d.ks > table.summary.max_ks || table.summary.comparable == 1) {
        table.summary.max_ks = d.ks;
        table.summary.worst = info.id;
      }
      if (std::isfinite(row.wasserstein_scaled)) {
        ws_sum += row.wasserstein_scaled;
        ++ws_count;
      }
    }
    table.rows.push_back(row);
  }
  if (table.summary.comparable == 0) {
    table.summary.mean_ks = table.summary.max_ks = kNaN;
  } else {
    table.summary.mean_ks = ks_sum / static_cast<double>(table.summary.comparable);
  }
  table.summary.mean_wasserstein_scaled = ws_count > 0 ? ws_sum / static_cast<double>(ws_count) : kNaN;
  return table;
}

}  // namespace autoopt::gen
