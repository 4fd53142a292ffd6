// Small, fast, counter-based random streams for the simulator.
//
// A stream is SplitMix64: the state is a counter advanced by a fixed odd constant and every output is
// a strong 64-bit hash of it, so a stream is a pure function of its starting key. Each traffic flow
// gets its own stream keyed by (seed, pair index, flow index within the pair); the numbers a flow
// draws therefore never depend on what other flows do or on the order in which events interleave.
#pragma once

#include <cmath>
#include <cstdint>

namespace autoopt::sim {

// The SplitMix64 finaliser: a bijective 64-bit mix.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31U);
}

class RandomStream {
 public:
  constexpr RandomStream() noexcept = default;
  // The stream for (seed, a, b); distinct keys give unrelated starting points in the 2^64 cycle.
  constexpr RandomStream(std::uint64_t seed, std::uint64_t a, std::uint64_t b) noexcept
      : state_(mix64(mix64(mix64(seed ^ 0x5851f42d4c957f2dULL) ^ (a * 0x9e3779b97f4a7c15ULL + 1U)) ^
                     (b * 0xd1b54a32d192ed03ULL + 0x632be59bd9b4e019ULL))) {}

  constexpr std::uint64_t next() noexcept {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix64(state_);
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() noexcept { return static_cast<double>(next() >> 11U) * 0x1.0p-53; }
  // Exponential with the given mean, capped at cap (cap <= 0: no cap).
  double exponential(double mean, double cap) noexcept {
    const double x = -mean * std::log1p(-uniform());
    return (cap > 0.0 && x > cap) ? cap : x;
  }

 private:
  std::uint64_t state_ = 0;
};

}  // namespace autoopt::sim
