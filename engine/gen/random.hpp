// Portable random draws for the Stage-1 generators: a std::mt19937_64 engine (its output sequence is
// fixed by the C++ standard) with our own distributions, because std::uniform_real_distribution and
// friends are implementation-defined. The same seed gives the same numbers with every standard library.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "sim/rng.hpp"

namespace autoopt::gen {

class Rng {
 public:
  // The stream for (seed, stage): distinct stages of one sample draw from unrelated streams, so a
  // change in one generator does not shift the numbers of the others.
  explicit Rng(std::uint64_t seed, std::uint64_t stage = 0)
      : eng_(sim::mix64(sim::mix64(seed ^ 0x243f6a8885a308d3ULL) + stage * 0x9e3779b97f4a7c15ULL)) {}

  std::uint64_t next() { return eng_(); }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(eng_() >> 11U) * 0x1.0p-53; }
  // Uniform in [a, b).
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  // Uniform integer in [0, n), n >= 1, without modulo bias (rejection sampling).
  std::uint64_t below(std::uint64_t n) {
    if (n <= 1) return 0;
    const std::uint64_t limit = (~std::uint64_t{0}) - ((~std::uint64_t{0}) % n);
    std::uint64_t x = eng_();
    while (x >= limit) x = eng_();
    return x % n;
  }
  // Uniform integer in [lo, hi] (lo <= hi).
  int uniform_int(int lo, int hi) {
    return lo + static_cast<int>(below(static_cast<std::uint64_t>(static_cast<std::int64_t>(hi) - lo + 1)));
  }
  // Exponential with the given mean.
  double exponential(double mean) { return -mean * std::log1p(-uniform()); }
  // Log-uniform in [a, b], 0 < a <= b.
  double log_uniform(double a, double b) { return a * std::exp(std::log(b / a) * uniform()); }
  // Index i with probability weights[i] / sum(weights); weights >= 0 with a positive sum.
  std::size_t choice(std::span<const double> weights) {
    double total = 0.0;
    for (const double w : weights) total += w;
    const double u = uniform() * total;
    double acc = 0.0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      acc += weights[i];
      if (u < acc) return i;
    }
    // Rounding: the last index with a positive weight.
    for (std::size_t i = weights.size(); i-- > 0;) {
      if (weights[i] > 0.0) return i;
    }
    return 0;
  }
  // Fisher-Yates shuffle (std::shuffle's draws are implementation-defined).
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) {
      const std::size_t j = static_cast<std::size_t>(below(i));
      std::swap(v[i - 1], v[j]);
    }
  }

 private:
  std::mt19937_64 eng_;
};

}  // namespace autoopt::gen
