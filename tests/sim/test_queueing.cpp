// The simulator against closed-form queueing results on single links and tandems.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <vector>

#include "sim/simulator.hpp"
#include "sim_fixtures.hpp"

namespace autoopt::sim {
namespace {

using namespace autoopt::sim::testing;
using net::Policy;

constexpr double kBig = 1e12;  // an effectively infinite buffer, bits

// Seed 1 unless AUTOOPT_SIM_TEST_SEED is set (to check that the tolerances hold across seeds).
SimConfig cfg(double T) {
  SimConfig c;
  c.sim_time_s = T;
  c.warmup_s = 5.0;
  c.seed = 1;
  if (const char* e = std::getenv("AUTOOPT_SIM_TEST_SEED"); e != nullptr && *e != '\0') {
    c.seed = std::strtoull(e, nullptr, 10);
  }
  return c;
}

double rel(double a, double b) { return std::abs(a - b) / std::abs(b); }

// M/D/1: Poisson arrivals, one packet size; W = S + rho S / (2 (1 - rho)).
TEST(Queueing, MD1MeanDelay) {
  const double C = 1e6, L = 1000, S = L / C;
  for (const double rho : {0.5, 0.8}) {
    net::Sample s = chain({C}, make_node(Policy::FIFO, 1, kBig));
    add_flow(s, 0, 1, poisson_flow(rho / S, L));
    const net::Results r = simulate(s, cfg(600));
    const double expect = S + rho * S / (2 * (1 - rho));
    EXPECT_LT(rel(r.pairs[1].avg_delay, expect), 0.02) << "rho " << rho << " got " << r.pairs[1].avg_delay;
    // The port sees the same packets: mean sojourn x bandwidth.
    EXPECT_LT(rel(r.ports[0].queues[0].avg_occupancy / C, r.pairs[1].avg_delay), 1e-3);
    EXPECT_NEAR(r.ports[0].utilization, rho, 0.01);
    EXPECT_NEAR(r.pairs[1].p10, S, 1e-9 * S);  // a tenth of the packets find the link idle (1 - rho >= 0.2)
  }
}

// M/G/1 with the validation set's 5-point size distribution vs Pollaczek-Khinchine.
TEST(Queueing, MG1PollaczekKhinchine) {
  const double C = 1e6;
  const auto c = generic5();
  const double ES = moment(c, 1) / C, ES2 = moment(c, 2) / (C * C);
  const double rho = 0.75, lam = rho / ES;
  net::Sample s = chain({C}, make_node(Policy::FIFO, 1, kBig));
  add_flow(s, 0, 1, poisson_generic_flow(lam, c));
  const net::Results r = simulate(s, cfg(600));
  const double expect = ES + lam * ES2 / (2 * (1 - rho));
  EXPECT_LT(rel(r.pairs[1].avg_delay, expect), 0.02) << r.pairs[1].avg_delay << " vs " << expect;
  EXPECT_NEAR(r.ports[0].avg_pkt_size, moment(c, 1), 2.0);
  EXPECT_NEAR(r.pairs[1].avg_bw_bps / (lam * moment(c, 1)), 1.0, 0.01);
}

// FIFO over several queues is one M/G/1 queue in arrival order: every class sees the P-K delay.
TEST(Queueing, FifoWithSeveralQueuesIsOneQueue) {
  const double C = 1e6;
  const auto c = generic5();
  const double ES = moment(c, 1) / C, ES2 = moment(c, 2) / (C * C);
  const double rho = 0.7, lam = rho / ES;
  net::Sample s = chain({C}, make_node(Policy::FIFO, 3, kBig));
  for (int tos = 0; tos < 3; ++tos) add_flow(s, 0, 1, poisson_generic_flow(lam / 3, c, tos));
  SimConfig sc = cfg(600);
  sc.per_flow_results = true;
  const net::Results r = simulate(s, sc);
  const double expect = ES + lam * ES2 / (2 * (1 - rho));
  ASSERT_EQ(r.flows.size(), 3U);
  for (int q = 0; q < 3; ++q) {
    EXPECT_LT(rel(r.flows[static_cast<std::size_t>(q)].avg_delay, expect), 0.03) << "class " << q;
  }
  EXPECT_LT(rel(r.pairs[1].avg_delay, expect), 0.02);
}

// M/D/1/K: the loss probability from the embedded Markov chain at departures (Gross & Harris):
// pi over 0..K-1, then P(full) = 1 - 1 / (pi_0 + rho).
double md1k_loss(double rho, int K) {
  std::vector<double> a(static_cast<std::size_t>(K) + 1);
  for (int j = 0; j <= K; ++j) a[static_cast<std::size_t>(j)] = std::exp(-rho + j * std::log(rho) - std::lgamma(j + 1.0));
  const auto k = static_cast<std::size_t>(K);
  std::vector<double> pi(k, 1.0 / K);
  for (int it = 0; it < 200000; ++it) {
    std::vector<double> nx(k, 0.0);
    for (std::size_t i = 0; i < k; ++i) {
      const std::size_t base = i == 0 ? 0 : i - 1;  // customers left behind before new arrivals
      double left = 1.0;
      for (std::size_t j = base; j + 1 < k; ++j) {
        const double p = a[j - base];
        nx[j] += pi[i] * p;
        left -= p;
      }
      nx[k - 1] += pi[i] * left;
    }
    double diff = 0.0;
    for (std::size_t i = 0; i < k; ++i) diff += std::abs(nx[i] - pi[i]);
    pi = nx;
    if (diff < 1e-15) break;
  }
  return 1.0 - 1.0 / (pi[0] + rho);
}

// (Slow: three long runs; skipped by the sanitizer job.)
TEST(Queueing, MD1KLossMatchesEmbeddedChainAndFallsWithBufferSlow) {
  const double C = 1e6, L = 1000, S = L / C, rho = 0.9;
  double prev = 1.0;
  for (const int K : {2, 4, 8}) {
    net::Sample s = chain({C}, make_node(Policy::FIFO, 1, K * L));
    add_flow(s, 0, 1, poisson_flow(rho / S, L));
    const net::Results r = simulate(s, cfg(2000));  // losses come in bursts: a long run
    const double loss = r.pairs[1].loss_ratio();
    const double expect = md1k_loss(rho, K);
    EXPECT_LT(rel(loss, expect), 0.03) << "K " << K << ": " << loss << " vs " << expect;
    EXPECT_NEAR(r.ports[0].loss, loss, 1e-3);
    EXPECT_LE(r.ports[0].queues[0].max_occupancy, K * L);
    EXPECT_DOUBLE_EQ(r.ports[0].queues[0].max_occupancy, K * L);  // the buffer fills at rho 0.9
    EXPECT_LT(loss, prev);
    prev = loss;
  }
}

// Two classes, strict priority, non-preemptive: Cobham's formula.
// W0 = sum lambda_i E[S_i^2] / 2; Wq_k = W0 / ((1 - sigma_{k-1})(1 - sigma_k)); T_k = Wq_k + E[S_k].
TEST(Queueing, StrictPriorityCobham) {
  const double C = 1e6;
  const std::vector<std::vector<net::SizeProb>> dist = {
      {{500, 0.5}, {1500, 0.5}},
      {{500, 0.53}, {750, 0.16}, {1000, 0.07}, {1250, 0.10}, {1500, 0.14}}};
  const double rho[2] = {0.3, 0.45};
  net::Sample s = chain({C}, make_node(Policy::SP, 2, kBig));
  double lam[2], ES[2], W0 = 0.0;
  for (int k = 0; k < 2; ++k) {
    ES[k] = moment(dist[static_cast<std::size_t>(k)], 1) / C;
    lam[k] = rho[k] / ES[k];
    W0 += lam[k] * moment(dist[static_cast<std::size_t>(k)], 2) / (C * C) / 2;
    add_flow(s, 0, 1, poisson_generic_flow(lam[k], dist[static_cast<std::size_t>(k)], k));
  }
  SimConfig sc = cfg(800);
  sc.per_flow_results = true;
  const net::Results r = simulate(s, sc);
  const double T0 = W0 / (1 - rho[0]) + ES[0];
  const double T1 = W0 / ((1 - rho[0]) * (1 - rho[0] - rho[1])) + ES[1];
  ASSERT_EQ(r.flows.size(), 2U);
  EXPECT_LT(rel(r.flows[0].avg_delay, T0), 0.02) << r.flows[0].avg_delay << " vs " << T0;
  EXPECT_LT(rel(r.flows[1].avg_delay, T1), 0.03) << r.flows[1].avg_delay << " vs " << T1;
  // Queue sojourns carry the same numbers.
  EXPECT_LT(rel(r.ports[0].queues[0].avg_occupancy / C, r.flows[0].avg_delay), 1e-3);
  EXPECT_LT(rel(r.ports[0].queues[1].avg_occupancy / C, r.flows[1].avg_delay), 1e-3);
}

// Saturated WFQ / DRR ports split the link by weight (in bits).
void expect_weighted_split(Policy policy) {
  const double C = 1e6;
  const std::vector<double> w = {20, 30, 50};
  const std::vector<std::vector<net::SizeProb>> dist = {
      {{500, 0.5}, {1500, 0.5}}, {{1500, 1.0}}, generic5()};
  net::Sample s = chain({C}, make_node(policy, 3, 64000, w));
  for (int q = 0; q < 3; ++q) {
    const auto& d = dist[static_cast<std::size_t>(q)];
    add_flow(s, 0, 1, poisson_generic_flow(0.9 * C / moment(d, 1), d, q));  // each alone nearly fills the link
  }
  const net::Results r = simulate(s, cfg(300));
  const auto& port = r.ports[0];
  EXPECT_NEAR(port.utilization, 1.0, 0.005);
  for (int q = 0; q < 3; ++q) {
    const double share = port.queues[static_cast<std::size_t>(q)].utilization / port.utilization;
    EXPECT_LT(rel(share, w[static_cast<std::size_t>(q)] / 100.0), 0.02)
        << net::to_string(policy) << " queue " << q << " share " << share;
    EXPECT_GT(port.queues[static_cast<std::size_t>(q)].loss, 0.0);
  }
}

TEST(Queueing, WfqSaturationSplitsByWeight) { expect_weighted_split(Policy::WFQ); }
TEST(Queueing, DrrSaturationSplitsByWeight) { expect_weighted_split(Policy::DRR); }

// An equal-bandwidth tandem with one packet size: hop 1 is M/D/1 and packets never wait again, so
// delay = W_MD1 + (h - 1) L / C exactly in expectation (store-and-forward, no propagation delay).
TEST(Queueing, DeterministicTandemClosedForm) {
  const double C = 1e6, L = 1000, S = L / C, rho = 0.7;
  net::Sample s = chain({C, C, C}, make_node(Policy::FIFO, 1, kBig));
  add_flow(s, 0, 3, poisson_flow(rho / S, L));
  const net::Results r = simulate(s, cfg(600));
  const double expect = S + rho * S / (2 * (1 - rho)) + 2 * S;
  EXPECT_LT(rel(r.pairs[3].avg_delay, expect), 0.02) << r.pairs[3].avg_delay << " vs " << expect;
  EXPECT_NEAR(r.ports[1].queues[0].avg_occupancy, L, 1e-6 * L);
  EXPECT_NEAR(r.ports[2].queues[0].avg_occupancy, L, 1e-6 * L);
  EXPECT_NEAR(r.pairs[3].p10, 3 * S, 1e-9 * S);
}

// A tandem of shrinking bandwidths with random sizes: no closed form past hop 1 (which is M/G/1),
// but the end-to-end mean delay is the sum of the per-hop mean sojourns (spec §8.5.4).
TEST(Queueing, TandemDelayIsSumOfHopSojourns) {
  const std::vector<double> bws = {3e6, 2e6, 1.5e6};
  const auto c = generic5();
  const double lam = 0.7 * bws.back() / moment(c, 1);
  net::Sample s = chain(bws, make_node(Policy::FIFO, 1, kBig));
  add_flow(s, 0, 3, poisson_generic_flow(lam, c));
  const net::Results r = simulate(s, cfg(600));
  double sum = 0.0;
  for (std::size_t h = 0; h < 3; ++h) sum += r.ports[h].queues[0].avg_occupancy / bws[h];
  EXPECT_LT(rel(r.pairs[3].avg_delay, sum), 1e-3);
  const double ES = moment(c, 1) / bws[0], ES2 = moment(c, 2) / (bws[0] * bws[0]), rho1 = lam * ES;
  EXPECT_LT(rel(r.ports[0].queues[0].avg_occupancy / bws[0], ES + lam * ES2 / (2 * (1 - rho1))), 0.02);
  // Later hops queue more than a bare transmission, less than an independent M/G/1 would.
  for (std::size_t h = 1; h < 3; ++h) {
    EXPECT_GT(r.ports[h].queues[0].avg_occupancy, moment(c, 1));
  }
}

}  // namespace
}  // namespace autoopt::sim
