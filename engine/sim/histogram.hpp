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
//
// BinIncrements defers the one scattered memory access of an add (the bin's count) so that many of
// them run back to back, their cache misses overlapping; the counts come out the same.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace autoopt::sim {

// Pending bin-count increments of LogHistogram::add_ln_deferred: pointers to counts, applied by
// flush() in one tight loop. Increments are integer additions, so the order does not matter.
// A histogram with pending increments must not be read (quantile, quantiles, merge) or destroyed
// before the next flush(); one that has to grow flushes the buffer first. Not copyable (a copy
// would apply the same increments twice).
class BinIncrements {
 public:
  static constexpr std::size_t kCapacity = 256;
  BinIncrements() = default;
  BinIncrements(const BinIncrements&) = delete;
  BinIncrements& operator=(const BinIncrements&) = delete;

  void push(std::uint32_t* count) noexcept {
    pending_[n_++] = count;
    if (n_ == kCapacity) flush();
  }
  void flush() noexcept {
    for (std::size_t i = 0; i < n_; ++i) ++*pending_[i];
    n_ = 0;
  }
  [[nodiscard]] std::size_t pending() const noexcept { return n_; }

 private:
  std::size_t n_ = 0;
  std::array<std::uint32_t*, kCapacity> pending_{};
};

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
  // Same, except that the bin's count is incremented through inc (at its next flush; see
  // BinIncrements): count(), min() and max() are updated at once.
  void add_ln_deferred(double x, double ln_x, BinIncrements& inc) {
    if (!(x > 0.0) || !(x <= kMaxFinite)) bad_value(x);
    const std::int64_t k = bin_of(ln_x);
    if (k < base_ || k >= base_ + static_cast<std::int64_t>(counts_.size())) {
      inc.flush();  // growing moves the counts
      ensure_bin(k);
    }
    inc.push(&counts_[static_cast<std::size_t>(k - base_)]);
    note(x);
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
  static constexpr double kMaxFinite = 1.7976931348623157e308;
  static constexpr double kMinTol = 1e-9;
  // floor(ln_x / ln(1 + w)) (without a libm call: truncation, then one down for negative
  // non-integers; |ln_x / ln(1 + w)| < 2^63 for every finite positive x and w > 1e-9).
  [[nodiscard]] std::int64_t bin_of(double ln_x) const noexcept {
    const double y = ln_x * inv_log_base_;
    const auto t = static_cast<std::int64_t>(y);
    return static_cast<double>(t) > y ? t - 1 : t;
  }
  // Counts x into n_, min_, max_ and min_count_ (not the bins).
  void note(double x) noexcept {
    if (n_ == 0) {
      min_ = max_ = x;
      min_count_ = 1;
    } else {
      if (x < min_ * (1.0 - kMinTol)) {
        min_ = x;
        min_count_ = 1;
      } else if (x <= min_ * (1.0 + kMinTol)) {
        min_ = x < min_ ? x : min_;
        ++min_count_;
      }
      max_ = max_ < x ? x : max_;
    }
    ++n_;
  }
  [[noreturn]] static void bad_value(double x);
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
