#include "opt/sampling.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "net/error.hpp"

namespace autoopt::opt {
namespace {

void check_decay(double decay, const char* where) {
  if (!std::isfinite(decay) || decay < 0.0) {
    throw Error(std::string(where) + ": decay must be a finite number >= 0, got " + std::to_string(decay));
  }
}

}  // namespace

std::vector<double> order_probabilities(std::size_t count, double decay) {
  check_decay(decay, "order_probabilities");
  if (count == 0) throw Error("order_probabilities: count must be >= 1, got 0");
  // Weights relative to position 0 (weight 1), so the sum is >= 1 and never underflows to 0.
  std::vector<double> p(count);
  double total = 0.0;
  for (std::size_t i = 0; i < count; ++i) {
    p[i] = std::exp(-decay * static_cast<double>(i));
    total += p[i];
  }
  for (double& v : p) v /= total;
  return p;
}

std::vector<std::size_t> draw_by_order(std::span<const std::size_t> sorted, std::size_t how_many,
                                       double decay, gen::Rng& rng) {
  check_decay(decay, "draw_by_order");
  if (how_many > sorted.size()) {
    throw Error("draw_by_order: cannot draw " + std::to_string(how_many) + " without replacement from " +
                std::to_string(sorted.size()) + " candidates");
  }
  {
    std::vector<std::size_t> copy(sorted.begin(), sorted.end());
    std::sort(copy.begin(), copy.end());
    const auto dup = std::adjacent_find(copy.begin(), copy.end());
    if (dup != copy.end()) {
      throw Error("draw_by_order: candidate " + std::to_string(*dup) + " appears twice in the sorted list");
    }
  }
  // Positions still available, in increasing order. Weights are taken relative to the first
  // available position, so they stay representable for any decay.
  std::vector<std::size_t> available(sorted.size());
  for (std::size_t i = 0; i < available.size(); ++i) available[i] = i;
  std::vector<std::size_t> drawn;
  drawn.reserve(how_many);
  std::vector<double> weights;
  for (std::size_t k = 0; k < how_many; ++k) {
    const double first = static_cast<double>(available.front());
    weights.resize(available.size());
    for (std::size_t j = 0; j < available.size(); ++j) {
      weights[j] = std::exp(-decay * (static_cast<double>(available[j]) - first));
    }
    const std::size_t pick = rng.choice(weights);
    drawn.push_back(sorted[available[pick]]);
    available.erase(available.begin() + static_cast<std::ptrdiff_t>(pick));
  }
  return drawn;
}

}  // namespace autoopt::opt
