// M/M/1 and M/M/1/K against closed forms. The GNNet format has no exponential packet size, so the
// sizes are a fine Generic discretization of one (equiprobable bins of the exponential, each bin
// represented by its conditional mean); the packet-count limit K is SimConfig::queue_limit_packets.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "net/error.hpp"
#include "sim/simulator.hpp"
#include "sim_fixtures.hpp"

namespace autoopt::sim {
namespace {

using namespace autoopt::sim::testing;
using net::Policy;

constexpr double kBig = 1e15;    // an effectively infinite bit buffer
constexpr double kC = 1e6;       // link bandwidth, bit/s
constexpr double kMean = 1000;   // mean packet size, bits: mean service time 1 ms
constexpr int kBins = 1000;      // size candidates (the simulator draws Generic sizes by linear search)

// Seed `base` unless AUTOOPT_SIM_TEST_SEED is set (to check that the tolerances hold across seeds).
std::uint64_t seed(std::uint64_t base) {
  if (const char* e = std::getenv("AUTOOPT_SIM_TEST_SEED"); e != nullptr && *e != '\0') {
    return base + std::strtoull(e, nullptr, 10);
  }
  return base;
}

double rel(double a, double b) { return std::abs(a - b) / std::abs(b); }

// The exponential with the given mean cut into n equiprobable bins [q(i/n), q((i+1)/n)),
// q(u) = -mean ln(1 - u); each bin becomes one candidate of probability 1/n at the bin's conditional
// mean. The first moment is therefore exact; the second misses the within-bin variances (mean^2 / n
// from the unbounded last bin, whose conditional mean is q((n-1)/n) + mean, and less from the others).
std::vector<net::SizeProb> exponential_sizes(double mean, int n) {
  std::vector<net::SizeProb> c;
  c.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    // In units of the mean: a bin [a, b) has E[X | a <= X < b] = ((a+1)e^-a - (b+1)e^-b) / (e^-a - e^-b),
    // and e^-a - e^-b = 1/n exactly.
    const double a = -std::log1p(-static_cast<double>(i) / n);
    double x = a + 1.0;  // the last, unbounded bin (memoryless)
    if (i + 1 < n) {
      const double b = -std::log1p(-static_cast<double>(i + 1) / n);
      x = ((a + 1.0) * std::exp(-a) - (b + 1.0) * std::exp(-b)) * n;
    }
    c.push_back({mean * x, 1.0 / n});
  }
  return c;
}

// A Poisson flow (no cap on the gaps) of exponential-like sizes.
net::Flow mm1_flow(double pkts_per_s, const std::vector<net::SizeProb>& sizes) {
  net::Flow f = poisson_generic_flow(pkts_per_s, sizes);
  f.time_params = {pkts_per_s};  // no exponential cap: exact Poisson arrivals
  return f;
}

SimConfig mm1_config(double T, std::uint64_t base_seed) {
  SimConfig c;
  c.sim_time_s = T;
  c.warmup_s = 1.0;  // the relaxation time is <= 0.1 s at rho 0.8
  c.seed = seed(base_seed);
  return c;
}

// M/M/1/K (K in the system, the one in service included): P(full) = (1 - rho) rho^K / (1 - rho^(K+1)).
double mm1k_loss(double rho, int K) { return (1.0 - rho) * std::pow(rho, K) / (1.0 - std::pow(rho, K + 1)); }

// M/G/1/K loss from the embedded chain at departures (states 0..K-1 left behind), with
// a[j] = P(j Poisson arrivals during one service) over the discrete service times `svc` (s):
// P(full) = 1 - 1 / (pi_0 + rho) (Gross & Harris). The chain is solved by Gaussian elimination.
double mg1k_loss(double lambda, const std::vector<net::SizeProb>& sizes, double bw, int K) {
  const auto k = static_cast<std::size_t>(K);
  std::vector<double> a(k, 0.0);
  double es = 0.0;
  for (const net::SizeProb& c : sizes) {
    const double m = lambda * c.size_bits / bw;
    es += c.prob * c.size_bits / bw;
    for (std::size_t j = 0; j < k; ++j) {
      a[j] += c.prob * std::exp(-m + static_cast<double>(j) * std::log(m) - std::lgamma(static_cast<double>(j) + 1.0));
    }
  }
  // P[i][j]: from i left behind to j left behind; base = max(i - 1, 0), arrivals beyond K-1 are lost.
  std::vector<std::vector<double>> P(k, std::vector<double>(k, 0.0));
  for (std::size_t i = 0; i < k; ++i) {
    const std::size_t base = i == 0 ? 0 : i - 1;
    double left = 1.0;
    for (std::size_t j = base; j + 1 < k; ++j) {
      P[i][j] = a[j - base];
      left -= a[j - base];
    }
    P[i][k - 1] += left;
  }
  // pi (P - I) = 0 with sum pi = 1: rows of M are equations, the last one replaced by the sum.
  std::vector<std::vector<double>> M(k, std::vector<double>(k + 1, 0.0));
  for (std::size_t j = 0; j < k; ++j) {
    for (std::size_t i = 0; i < k; ++i) M[j][i] = P[i][j] - (i == j ? 1.0 : 0.0);
  }
  for (std::size_t i = 0; i < k; ++i) M[k - 1][i] = 1.0;
  M[k - 1][k] = 1.0;
  for (std::size_t col = 0; col < k; ++col) {
    std::size_t piv = col;
    for (std::size_t r = col + 1; r < k; ++r) {
      if (std::abs(M[r][col]) > std::abs(M[piv][col])) piv = r;
    }
    std::swap(M[col], M[piv]);
    for (std::size_t r = 0; r < k; ++r) {
      if (r == col) continue;
      const double f = M[r][col] / M[col][col];
      for (std::size_t c = col; c <= k; ++c) M[r][c] -= f * M[col][c];
    }
  }
  const double pi0 = M[0][k] / M[0][0];
  return 1.0 - 1.0 / (pi0 + lambda * es);
}

// The discretization's exact moments against the exponential's (E[X] = m, E[X^2] = 2 m^2).
TEST(MM1, ExponentialDiscretizationMoments) {
  const auto c = exponential_sizes(kMean, kBins);
  ASSERT_EQ(c.size(), static_cast<std::size_t>(kBins));
  double psum = 0.0;
  for (std::size_t i = 0; i < c.size(); ++i) {
    psum += c[i].prob;
    if (i > 0) EXPECT_GT(c[i].size_bits, c[i - 1].size_bits);
  }
  EXPECT_NEAR(psum, 1.0, 1e-12);
  const double m1 = moment(c, 1) / kMean;
  const double m2 = moment(c, 2) / (kMean * kMean);
  std::printf("[ measured ] %d bins: E[X]/m - 1 = %+.2e, E[X^2]/(2m^2) - 1 = %+.2e\n", kBins, m1 - 1.0,
              m2 / 2.0 - 1.0);
  EXPECT_LT(std::abs(m1 - 1.0), 1e-9);           // conditional means: the first moment is exact
  EXPECT_LT(m2 / 2.0, 1.0);                      // the within-bin variance is lost ...
  EXPECT_GT(m2 / 2.0, 1.0 - 1.0 / kBins);        // ... but it is below 2 m^2 / n in all
  // So the Pollaczek-Khinchine delay of the discretized M/G/1 is within 5e-4 of M/M/1's at rho <= 0.8.
  for (const double rho : {0.5, 0.8}) {
    const double ES = kMean / kC, lam = rho / ES;
    const double pk = ES + lam * moment(c, 2) / (kC * kC) / (2 * (1 - rho));
    const double mm1 = 1.0 / (1.0 / ES - lam);
    std::printf("[ measured ] rho %.1f: discretized M/G/1 delay (P-K) vs 1/(mu-lambda): %+.3f %%\n", rho,
                100 * (pk / mm1 - 1));
    EXPECT_LT(rel(pk, mm1), 5e-4) << "rho " << rho;
  }
  // And the discretized M/G/1/K loss is within 1 % of M/M/1/K's.
  for (const auto& [rho, K] : {std::pair{0.5, 5}, std::pair{0.8, 10}, std::pair{0.8, 5}}) {
    const double lam = rho * kC / kMean;
    const double disc = mg1k_loss(lam, c, kC, K);
    std::printf("[ measured ] rho %.1f K %d: discretized M/G/1/K loss %.6f vs M/M/1/K %.6f (%+.3f %%)\n", rho, K,
                disc, mm1k_loss(rho, K), 100 * (disc / mm1k_loss(rho, K) - 1));
    EXPECT_LT(rel(disc, mm1k_loss(rho, K)), 0.01) << "rho " << rho << " K " << K;
  }
}

// The embedded-chain solver against closed forms for any service time S: K = 1 is Erlang's loss
// rho / (1 + rho); K = 2 gives pi_0 = P(no arrival during a service) = E[exp(-lambda S)], so
// P(full) = 1 - 1 / (E[exp(-lambda S)] + rho) (M/M/1/2: rho^2 / (1 + rho + rho^2)).
TEST(MM1, EmbeddedChainSolverMatchesSmallBuffers) {
  for (const double rho : {0.3, 0.9}) {
    for (const auto& sizes : {std::vector<net::SizeProb>{{kMean, 1.0}}, exponential_sizes(kMean, 50), generic5()}) {
      const double lam = rho * kC / moment(sizes, 1);
      EXPECT_NEAR(mg1k_loss(lam, sizes, kC, 1), rho / (1 + rho), 1e-12) << "rho " << rho;
      double a0 = 0.0;
      for (const net::SizeProb& x : sizes) a0 += x.prob * std::exp(-lam * x.size_bits / kC);
      EXPECT_NEAR(mg1k_loss(lam, sizes, kC, 2), 1.0 - 1.0 / (a0 + rho), 1e-12) << "rho " << rho;
    }
    EXPECT_NEAR(mg1k_loss(rho * kC / kMean, {{kMean, 1.0}}, kC, 2), 1.0 - 1.0 / (std::exp(-rho) + rho), 1e-12);
    EXPECT_NEAR(mg1k_loss(rho * kC / kMean, exponential_sizes(kMean, 4000), kC, 2),
                rho * rho / (1 + rho + rho * rho), 1e-3);
  }
}

// M/M/1 mean delay (sojourn) W = 1 / (mu - lambda) within 2 %. Sojourn times are strongly
// correlated (relaxation time ~ 1 / (mu (1 - sqrt(rho))^2)), so T is chosen for a standard error of
// ~0.5 % (2 % is then ~4 sigma; checked over AUTOOPT_SIM_TEST_SEED = 1..10).
void expect_mm1_delay(double rho, double T) {
  const auto c = exponential_sizes(kMean, kBins);
  const double mu = kC / kMean, lam = rho * mu;
  net::Sample s = chain({kC}, make_node(Policy::FIFO, 1, kBig));
  add_flow(s, 0, 1, mm1_flow(lam, c));
  const SimOutput out = run_simulation(s, mm1_config(T, 11));
  const net::Results& r = out.results;
  const double expect = 1.0 / (mu - lam);
  const double got = r.pairs[1].avg_delay;
  std::printf("[ measured ] M/M/1 rho %.1f seed %llu: W %.6f s vs 1/(mu-lambda) %.6f s (%+.2f %%), 95%% half-width %.2f %%\n",
              rho, static_cast<unsigned long long>(seed(11)), got, expect, 100 * (got / expect - 1),
              100 * out.delay_half_width[1] / got);
  EXPECT_LT(rel(got, expect), 0.02) << "rho " << rho << ": " << got << " vs " << expect;
  EXPECT_EQ(r.pairs[1].pkts_drop, 0.0);
  EXPECT_NEAR(r.ports[0].utilization, rho, 0.01);
  EXPECT_NEAR(r.ports[0].avg_pkt_size, kMean, 0.01 * kMean);
  // The port's mean sojourn carries the same number.
  EXPECT_LT(rel(r.ports[0].queues[0].avg_occupancy / kC, got), 1e-3);
  // The sojourn is exponential with rate mu - lambda: median ln 2 / (mu - lambda).
  EXPECT_LT(rel(r.pairs[1].p50, std::log(2.0) * expect), 0.03) << "rho " << rho << ": p50 " << r.pairs[1].p50;
}

// (Slow: these runs take 0.4-2.2 s of CPU in Release but 10-70 s under the Debug + ASan job, mostly
// the linear search of the 1000 size candidates per packet; the QueueLimitPackets tests below cover
// the admission code there.)
TEST(MM1, MeanDelayAtHalfLoadSlow) { expect_mm1_delay(0.5, 1600.0); }   // 0.8 M packets
TEST(MM1, MeanDelayAtHighLoadSlow) { expect_mm1_delay(0.8, 5000.0); }   // 4 M packets

// M/M/1/K loss probability within 5 % (relative); T for a standard error of ~1.2 % or less.
void expect_mm1k_loss(double rho, int K, double T) {
  const auto c = exponential_sizes(kMean, kBins);
  const double lam = rho * kC / kMean;
  const double expect = mm1k_loss(rho, K);
  net::Sample s = chain({kC}, make_node(Policy::FIFO, 1, kBig));
  add_flow(s, 0, 1, mm1_flow(lam, c));
  SimConfig cfg = mm1_config(T, 21);
  cfg.queue_limit_packets = static_cast<std::uint32_t>(K);
  const net::Results r = simulate(s, cfg);
  const double loss = r.pairs[1].loss_ratio();
  std::printf("[ measured ] M/M/1/K rho %.1f K %d seed %llu: loss %.6f vs %.6f (%+.2f %%)\n", rho, K,
              static_cast<unsigned long long>(cfg.seed), loss, expect, 100 * (loss / expect - 1));
  EXPECT_LT(rel(loss, expect), 0.05) << "rho " << rho << " K " << K << ": " << loss << " vs " << expect;
  EXPECT_NEAR(r.ports[0].loss, loss, 1e-3);
  // Carried load: lambda (1 - P_K) / mu.
  EXPECT_NEAR(r.ports[0].utilization, rho * (1 - expect), 0.01);
}

TEST(MM1K, LossHighLoadFiveSlotsSlow) { expect_mm1k_loss(0.8, 5, 800.0); }    // 0.64 M packets
TEST(MM1K, LossHighLoadTenSlotsSlow) { expect_mm1k_loss(0.8, 10, 3000.0); }   // 2.4 M packets
TEST(MM1K, LossHalfLoadFiveSlotsSlow) { expect_mm1k_loss(0.5, 5, 3000.0); }   // 1.5 M packets

// With one packet size L, a packet limit K and a bit buffer K L are the same rule: identical results.
TEST(QueueLimitPackets, EqualsBitBufferWithOnePacketSize) {
  const double L = 1000, S = L / kC;
  for (const int K : {1, 3, 8}) {
    net::Sample bits = chain({kC}, make_node(Policy::FIFO, 1, K * L));
    add_flow(bits, 0, 1, poisson_flow(0.9 / S, L));
    net::Sample pkts = chain({kC}, make_node(Policy::FIFO, 1, kBig));
    add_flow(pkts, 0, 1, poisson_flow(0.9 / S, L));
    SimConfig cfg = mm1_config(20, 5);
    const net::Results rb = simulate(bits, cfg);
    cfg.queue_limit_packets = static_cast<std::uint32_t>(K);
    const net::Results rp = simulate(pkts, cfg);
    EXPECT_GT(rb.pairs[1].pkts_drop, 0.0) << "K " << K;
    EXPECT_EQ(rp.pairs, rb.pairs) << "K " << K;
    EXPECT_EQ(rp.ports[0].loss, rb.ports[0].loss) << "K " << K;
    EXPECT_EQ(rp.ports[0].queues[0].max_occupancy, K * L) << "K " << K;
  }
}

// The tighter of the two limits applies; 0 (the default) leaves the bit buffer alone.
TEST(QueueLimitPackets, TighterOfBitsAndPacketsApplies) {
  const double L = 1000, S = L / kC;
  net::Sample s = chain({kC}, make_node(Policy::FIFO, 1, 4 * L));
  add_flow(s, 0, 1, poisson_flow(0.9 / S, L));
  SimConfig cfg = mm1_config(20, 5);
  ASSERT_EQ(cfg.queue_limit_packets, 0U);
  const net::Results bits_only = simulate(s, cfg);
  cfg.queue_limit_packets = 10;  // looser than 4 L bits: no effect
  EXPECT_EQ(simulate(s, cfg), bits_only);
  cfg.queue_limit_packets = 2;  // tighter: more losses, occupancy <= 2 L
  const net::Results tight = simulate(s, cfg);
  EXPECT_GT(tight.pairs[1].pkts_drop, bits_only.pairs[1].pkts_drop);
  EXPECT_EQ(tight.ports[0].queues[0].max_occupancy, 2 * L);
}

// K = 1 (only the packet in service): Erlang's loss rho / (1 + rho), whatever the size distribution.
TEST(QueueLimitPackets, OnePacketIsErlangLoss) {
  const auto c = generic5();
  const double ES = moment(c, 1) / kC;
  for (const double rho : {0.4, 1.5}) {
    net::Sample s = chain({kC}, make_node(Policy::FIFO, 1, kBig));
    net::Flow f = poisson_generic_flow(rho / ES, c);
    f.time_params = {rho / ES};
    add_flow(s, 0, 1, f);
    SimConfig cfg = mm1_config(300, 31);
    cfg.queue_limit_packets = 1;
    const net::Results r = simulate(s, cfg);
    EXPECT_LT(rel(r.pairs[1].loss_ratio(), rho / (1 + rho)), 0.02) << "rho " << rho;
    EXPECT_EQ(r.ports[0].queues[0].max_occupancy, 1500.0);  // one packet at a time, the largest size
  }
}

TEST(QueueLimitPackets, RejectsLimitsBeyondAQueueCapacity) {
  net::Sample s = chain({kC}, make_node(Policy::FIFO, 1, kBig));
  add_flow(s, 0, 1, poisson_flow(100, 1000));
  SimConfig cfg = mm1_config(1, 1);
  cfg.queue_limit_packets = static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::max()) + 1U;
  try {
    (void)simulate(s, cfg);
    FAIL() << "expected autoopt::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("SimConfig.queue_limit_packets must be <= 2147483647"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("got 2147483648"), std::string::npos) << e.what();
  }
  cfg.queue_limit_packets = static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::max());
  EXPECT_NO_THROW((void)simulate(s, cfg));
}

}  // namespace
}  // namespace autoopt::sim
