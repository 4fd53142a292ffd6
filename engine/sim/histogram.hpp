// Streaming quantiles of positive values (packet delays) with bounded memory.
//
// LogHistogram keeps counts in log-spaced bins of relative width w (default 0.2%): bin k holds values
// in [r^k, r^(k+1)) with r = 1 + w. Only the range of bins actually touched is stored, so memory grows
// with log(max/min) / w and never with the number of values (a delay range of four decades is about
// 4,600 bins of 4 bytes). A quantile is the geometric centre of the bin that holds the nearest-rank
// order statistic, clamped to the exact [min, max] seen: its relative error is at most sqrt(r) - 1
// (about 0.1%). Ranks that fall on the minimum (values within 1e-9 relative of it, e.g. the bare
// transmission time of a path, which round-off makes differ in the last bits) return the minimum
// exactly. The exact order statistic with the same rank convention is exact_quantile().
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

namespace autoopt::sim {

// The 1-based nearest rank of quantile p (0 < p <= 1) among n values: max(1, ceil(p * n)).
[[nodiscard]] std::uint64_t nearest_rank(double p, std::uint64_t n) noexcept;

// The nearest-rank quantile of the values (reorders them); NaN when empty.
[[nodiscard]] double exact_quantile(std::span<double> values, double p);

class LogHistogram {
 public:
  explicit LogHistogram(double rel_width = 0.002);

  // Adds x > 0 (finite); throws autoopt::Error otherwise.
  void add(double x);
  // Same, with ln(x) already known (the simulator computes it anyway).
  void add_ln(double x, double ln_x);
  // A hint: fetches the cache line of the bin of a value whose logarithm is ln_x, ahead of an
  // add_ln (no effect on the contents).
  void prefetch_ln(double ln_x) const noexcept {
    const double k = std::floor(ln_x * inv_log_base_) - static_cast<double>(base_);
    if (k >= 0.0 && k < static_cast<double>(counts_.size())) __builtin_prefetch(counts_.data() + static_cast<std::size_t>(k));
  }
  // Adds the other histogram's counts; both must have the same bin width.
  void merge(const LogHistogram& other);

  [[nodiscard]] std::uint64_t count() const noexcept { return n_; }
  [[nodiscard]] double min() const noexcept { return min_; }
  [[nodiscard]] double max() const noexcept { return max_; }
  [[nodiscard]] std::size_t num_bins() const noexcept { return counts_.size(); }
  [[nodiscard]] double rel_width() const noexcept { return rel_width_; }
  // The nearest-rank quantile estimate; NaN when empty.
  [[nodiscard]] double quantile(double p) const;
  // quantile(ps[i]) into out[i] for every i, in one pass over the bins; ps must be non-decreasing
  // and out as long as ps (throws autoopt::Error otherwise).
  void quantiles(std::span<const double> ps, std::span<double> out) const;

 private:
  void ensure_bin(std::int64_t k);

  // What add_ln() touches comes first, in 64 bytes (the vector's capacity pointer lies past them),
  // so that a histogram aligned to a cache line costs one line per value plus the bin's.
  double inv_log_base_;
  std::int64_t base_ = 0;        // bin index of counts_[0]
  std::uint64_t n_ = 0;
  std::uint64_t min_count_ = 0;  // values within 1e-9 relative of min_
  double min_ = 0.0;
  double max_ = 0.0;
  std::vector<std::uint32_t> counts_;
  double rel_width_;
  double log_base_;
};

}  // namespace autoopt::sim
