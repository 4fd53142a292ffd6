// Order-based sampling for Stage-2 incremental optimization (AutoOPT, Algorithm 2 and eq. (8)):
// candidates sorted by "extremeness" (position 0 = the most extreme: lowest loss for the easy draw,
// highest loss for the hard draw) are drawn with probabilities that decay exponentially with position,
// without replacement, deterministically for a seed (gen::Rng: our own distributions).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "gen/random.hpp"

namespace autoopt::opt {

// p_i = exp(-decay * i) / sum_{j<count} exp(-decay * j), i = 0 .. count-1 (our reading of eq. (8)).
// The ratio p_{i+1} / p_i is exp(-decay) for every i; decay = 0 gives the uniform distribution.
// Throws autoopt::Error when count is 0 or decay is negative or not finite.
std::vector<double> order_probabilities(std::size_t count, double decay);

// Draws how_many distinct entries of `sorted` (position 0 = most extreme) without replacement by
// successive sampling: each draw picks among the entries not yet drawn with probabilities proportional
// to exp(-decay * position). Returns the drawn values in draw order. Throws autoopt::Error when
// how_many > sorted.size(), when `sorted` holds a value twice, or when decay is negative or not finite.
std::vector<std::size_t> draw_by_order(std::span<const std::size_t> sorted, std::size_t how_many,
                                       double decay, gen::Rng& rng);

}  // namespace autoopt::opt
