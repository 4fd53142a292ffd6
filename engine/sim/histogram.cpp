#include "sim/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "net/error.hpp"

namespace autoopt::sim {
std::uint64_t nearest_rank(double p, std::uint64_t n) noexcept {
  if (n == 0) return 0;
  const double r = std::ceil(p * static_cast<double>(n));
  if (!(r >= 1.0)) return 1;
  if (r >= static_cast<double>(n)) return n;
  return static_cast<std::uint64_t>(r);
}

double exact_quantile(std::span<double> values, double p) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  const std::uint64_t r = nearest_rank(p, values.size());
  const auto it = values.begin() + static_cast<std::ptrdiff_t>(r - 1);
  std::nth_element(values.begin(), it, values.end());
  return *it;
}

LogHistogram::LogHistogram(double rel_width)
    : inv_log_base_(1.0 / std::log1p(rel_width)), rel_width_(rel_width), log_base_(std::log1p(rel_width)) {
  if (!(rel_width > 1e-9 && rel_width < 1.0)) {
    std::ostringstream os;
    os << "sim: histogram relative bin width must be in (1e-9, 1), got " << rel_width;
    throw Error(os.str());
  }
}

void LogHistogram::add(double x) { add_ln(x, std::log(x)); }

void LogHistogram::ensure_bin(std::int64_t k) {
  const auto size = static_cast<std::int64_t>(counts_.size());
  const std::int64_t slack = std::max<std::int64_t>(16, size / 4);
  if (counts_.empty()) {
    base_ = k - slack;
    counts_.assign(static_cast<std::size_t>(2 * slack), 0U);
  } else if (k < base_) {
    const std::int64_t grow = base_ - k + slack;
    counts_.insert(counts_.begin(), static_cast<std::size_t>(grow), 0U);
    base_ -= grow;
  } else if (k >= base_ + size) {
    counts_.resize(static_cast<std::size_t>(k - base_ + 1 + slack), 0U);
  }
}

void LogHistogram::bad_value(double x) {
  std::ostringstream os;
  os << "sim: histogram values must be positive and finite, got " << x;
  throw Error(os.str());
}

void LogHistogram::add_ln(double x, double ln_x) {
  if (!(x > 0.0) || !(x <= kMaxFinite)) bad_value(x);
  const std::int64_t k = bin_of(ln_x);
  if (k < base_ || k >= base_ + static_cast<std::int64_t>(counts_.size())) ensure_bin(k);
  ++counts_[static_cast<std::size_t>(k - base_)];
  note(x);
}

void LogHistogram::merge(const LogHistogram& other) {
  if (other.n_ == 0) return;
  if (other.rel_width_ != rel_width_) throw Error("sim: cannot merge histograms of different bin widths");
  // Find the first and last occupied bins of `other` and make room for them.
  std::size_t lo = 0;
  while (other.counts_[lo] == 0U) ++lo;
  std::size_t hi = other.counts_.size() - 1;
  while (other.counts_[hi] == 0U) --hi;
  ensure_bin(other.base_ + static_cast<std::int64_t>(lo));
  ensure_bin(other.base_ + static_cast<std::int64_t>(hi));
  for (std::size_t i = lo; i <= hi; ++i) {
    counts_[static_cast<std::size_t>(other.base_ + static_cast<std::int64_t>(i) - base_)] += other.counts_[i];
  }
  if (n_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
    min_count_ = other.min_count_;
  } else {
    if (other.min_ < min_ * (1.0 - kMinTol)) {
      min_count_ = other.min_count_;
    } else if (other.min_ <= min_ * (1.0 + kMinTol)) {
      min_count_ += other.min_count_;
    }
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  n_ += other.n_;
}

double LogHistogram::quantile(double p) const {
  if (n_ == 0) return std::numeric_limits<double>::quiet_NaN();
  const std::uint64_t r = nearest_rank(p, n_);
  if (r <= min_count_) return min_;
  std::uint64_t cum = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    cum += counts_[i];
    if (cum >= r) {
      const double k = static_cast<double>(base_ + static_cast<std::int64_t>(i));
      const double centre = std::exp((k + 0.5) * log_base_);
      return std::clamp(centre, min_, max_);
    }
  }
  return max_;
}

void LogHistogram::quantiles(std::span<const double> ps, std::span<double> out) const {
  if (out.size() != ps.size()) throw Error("sim: LogHistogram::quantiles needs as many outputs as probabilities");
  for (std::size_t j = 1; j < ps.size(); ++j) {
    if (!(ps[j] >= ps[j - 1])) throw Error("sim: LogHistogram::quantiles needs non-decreasing probabilities");
  }
  std::size_t j = 0;
  if (n_ == 0) {
    for (; j < ps.size(); ++j) out[j] = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  // The ranks on the minimum first, then one walk over the bins for the rest (ranks grow with p).
  for (; j < ps.size() && nearest_rank(ps[j], n_) <= min_count_; ++j) out[j] = min_;
  std::uint64_t cum = 0;
  std::uint64_t r = j < ps.size() ? nearest_rank(ps[j], n_) : 0;  // the rank of ps[j]
  constexpr std::size_t kBlock = 16;
  const std::size_t nb = counts_.size();
  for (std::size_t i = 0; i < nb && j < ps.size(); ++i) {
    // Blocks of bins that leave the running count below r hold none of the ranks: summed whole.
    while (i + kBlock <= nb) {
      std::uint64_t block = 0;
      for (std::size_t b = 0; b < kBlock; ++b) block += counts_[i + b];
      if (cum + block >= r) break;
      cum += block;
      i += kBlock;
    }
    if (i == nb) break;
    cum += counts_[i];
    while (cum >= r) {
      const double k = static_cast<double>(base_ + static_cast<std::int64_t>(i));
      out[j++] = std::clamp(std::exp((k + 0.5) * log_base_), min_, max_);
      if (j == ps.size()) break;
      r = nearest_rank(ps[j], n_);
    }
  }
  for (; j < ps.size(); ++j) out[j] = max_;
}

}  // namespace autoopt::sim
