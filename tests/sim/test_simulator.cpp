// Simulator behaviour: determinism, stream independence, sources, the format identities (spec §8.5),
// percentiles, errors, and a throughput figure on a 10-node sample.
#include "sim/simulator.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <string>

#include "net/error.hpp"
#include "sim_fixtures.hpp"

namespace autoopt::sim {
namespace {

using namespace autoopt::sim::testing;
using net::Policy;

SimConfig cfg(double T, std::uint64_t seed = 1) {
  SimConfig c;
  c.sim_time_s = T;
  c.seed = seed;
  return c;
}

TEST(Simulator, SameSeedSameResultsOtherSeedOtherResults) {
  const net::Sample s = ten_node(1.0);
  const net::Results a = simulate(s, cfg(100, 42));
  const net::Results b = simulate(s, cfg(100, 42));
  EXPECT_TRUE(a == b);
  const net::Results c = simulate(s, cfg(100, 43));
  EXPECT_FALSE(a == c);
  EXPECT_NE(a.pairs[3].pkts_gen, c.pairs[3].pkts_gen);  // pair 3 is Poisson
}

TEST(Simulator, FlowStreamsDoNotDependOnOtherFlows) {
  // Pair (0,1) on link 0->1; adding traffic on the disjoint link 2->3 must not change anything of it.
  net::Sample s = chain({1e5, 1e5, 1e5}, make_node(Policy::FIFO, 1, 1e6));
  add_flow(s, 0, 1, poisson_generic_flow(50, generic5()));
  const net::Results alone = simulate(s, cfg(200));
  add_flow(s, 2, 3, poisson_generic_flow(70, generic5()));
  add_flow(s, 1, 3, poisson_flow(10, 1000));
  const net::Results both = simulate(s, cfg(200));
  EXPECT_TRUE(alone.pairs[1] == both.pairs[1]);
  EXPECT_TRUE(alone.ports[0] == both.ports[0]);
  EXPECT_GT(both.pairs[2 * 4 + 3].pkts_gen, 0.0);
}

TEST(Simulator, CbrCountAndPhase) {
  net::Sample s = chain({1e6}, make_node(Policy::FIFO, 1, 1e9));
  net::Flow f = poisson_flow(0, 1000);
  f.time_dist = net::TimeDist::CBR;
  f.time_params = {7.3};
  add_flow(s, 0, 1, f);
  const net::Results r = simulate(s, cfg(1000));
  EXPECT_DOUBLE_EQ(r.pairs[1].pkts_gen * 1000, std::floor(7.3 * 1000));  // count = floor(lambda T)
  EXPECT_NEAR(r.pairs[1].avg_delay, 1e-3, 1e-12);                        // never queues
  EXPECT_NEAR(r.pairs[1].jitter, 0.0, 1e-20);
}

TEST(Simulator, OnOffRateHasOneExtraPacketPerPeriod) {
  net::Sample s = chain({1e7}, make_node(Policy::FIFO, 1, 1e9));
  const double lam = 20.0, toff = 5, ton = 5;
  net::Flow f = poisson_flow(0, 1000);
  f.time_dist = net::TimeDist::OnOff;
  f.time_params = {lam * (ton + toff) / ton, toff, ton, 10};
  add_flow(s, 0, 1, f);
  const net::Results r = simulate(s, cfg(20000));
  // Spec §8.3: rate = AvgPktsLambda + 1 / (AvgTOn + AvgTOff). Over-dispersed counts: ~0.5% noise.
  EXPECT_NEAR(r.pairs[1].pkts_gen, lam + 0.1, 0.02 * lam);
  EXPECT_GT(r.pairs[1].pkts_gen, lam);
}

TEST(Simulator, PoissonCountAndSizes) {
  net::Sample s = chain({1e7}, make_node(Policy::FIFO, 1, 1e9));
  add_flow(s, 0, 1, poisson_generic_flow(100, generic5()));
  const net::Results r = simulate(s, cfg(1000));
  EXPECT_NEAR(r.pairs[1].pkts_gen, 100, 5 * std::sqrt(100.0 * 1000) / 1000);
  EXPECT_NEAR(r.ports[0].avg_pkt_size, 1057.5, 5.0);
}

TEST(Simulator, UniformGapsAndUniformBinomialSizes) {
  net::Sample s = chain({1e7}, make_node(Policy::FIFO, 3, 1e9));
  net::Flow a = poisson_flow(0, 1000, 0);
  a.time_dist = net::TimeDist::Uniform;
  a.time_params = {50, 200};  // gaps uniform in [1/200, 1/50]: mean 0.0125 s
  a.size_dist = net::SizeDist::Uniform;
  a.size_params = {400, 1600};
  add_flow(s, 0, 1, a);
  net::Flow b = poisson_flow(100, 1000, 1);
  b.size_dist = net::SizeDist::Binomial;
  b.size_params = {500, 1500};
  add_flow(s, 0, 1, b);
  SimConfig c = cfg(500);
  c.per_flow_results = true;
  const net::Results r = simulate(s, c);
  ASSERT_EQ(r.flows.size(), 2U);
  EXPECT_NEAR(r.flows[0].pkts_gen, 80.0, 0.5);
  EXPECT_NEAR(r.ports[0].queues[0].avg_pkt_size, 1000.0, 5.0);
  EXPECT_NEAR(r.ports[0].queues[1].avg_pkt_size, 1000.0, 10.0);
  EXPECT_NEAR(r.pairs[1].pkts_gen, r.flows[0].pkts_gen + r.flows[1].pkts_gen, 1e-9);
  // Binomial sizes are two-point: the smallest delay is exactly the 500-bit transmission time.
  EXPECT_NEAR(r.flows[1].p10, 500 / 1e7, 1e-12);
}

// The identities every simulator output must satisfy (spec §8.5), on a loaded 10-node sample with
// every scheduler and source type.
TEST(Simulator, FormatIdentitiesOnTenNodes) {
  const net::Sample s = ten_node(2.5);
  const SimOutput out = run_simulation(s, cfg(300));
  const net::Results& r = out.results;
  const double T = r.run.sim_time;
  ASSERT_EQ(T, 300.0);
  ASSERT_EQ(r.pairs.size(), 100U);
  ASSERT_EQ(r.ports.size(), s.topology.links.size());
  double gp = 0, gl = 0, dsum = 0, dn = 0;
  bool some_loss = false;
  for (int k = 0; k < 100; ++k) {
    const net::PathStats& p = r.pairs[static_cast<std::size_t>(k)];
    if (k / 10 == k % 10) {
      EXPECT_TRUE(p == net::PathStats{}) << "diagonal " << k;
      continue;
    }
    ASSERT_GT(p.pkts_gen, 0.0);
    gp += p.pkts_gen;
    gl += p.pkts_drop;
    some_loss = some_loss || p.pkts_drop > 0;
    const double drops = p.pkts_drop * T;
    EXPECT_NEAR(drops, std::round(drops), 1e-6 * T);
    ASSERT_GT(p.avg_delay, 0.0);
    dsum += (p.pkts_gen - p.pkts_drop) * p.avg_delay;
    dn += p.pkts_gen - p.pkts_drop;
    EXPECT_LE(p.p10, p.p20);
    EXPECT_LE(p.p20, p.p50);
    EXPECT_LE(p.p50, p.p80);
    EXPECT_LE(p.p80, p.p90);
    EXPECT_LT(std::exp(p.avg_ln_delay), p.avg_delay);
    EXPECT_GE(p.jitter, 0.0);
    // p10 >= sum over hops of the smallest packet's transmission time.
    const auto& path = s.routing.paths[static_cast<std::size_t>(k)];
    double floor_delay = 0;
    for (std::size_t h = 0; h + 1 < path.size(); ++h) {
      floor_delay += 500.0 / s.topology.links[static_cast<std::size_t>(s.topology.find_link(path[h], path[h + 1]))].bandwidth_bps;
    }
    EXPECT_GE(p.p10, floor_delay * (1 - 1e-9));
  }
  EXPECT_TRUE(some_loss);
  EXPECT_DOUBLE_EQ(r.global_packets, gp);
  EXPECT_DOUBLE_EQ(r.global_losses, gl);
  EXPECT_NEAR(r.global_delay, dsum / dn, 1e-12);
  // Ports: U = sum u, max <= buffer, and port drops add up to the pairs' drops.
  double port_drops = 0;
  for (std::size_t li = 0; li < r.ports.size(); ++li) {
    const net::PortStats& ps = r.ports[li];
    const net::Node& node = s.topology.nodes[static_cast<std::size_t>(s.topology.links[li].src)];
    ASSERT_EQ(ps.queues.size(), 3U);
    double u = 0, arrivals = 0, drops = 0;
    for (std::size_t q = 0; q < 3; ++q) {
      const net::QueueStats& qs = ps.queues[q];
      u += qs.utilization;
      EXPECT_LE(qs.max_occupancy, node.buffer_bits[q]);
      EXPECT_GE(qs.loss, 0.0);
      EXPECT_LE(qs.loss, 1.0);
      if (qs.avg_pkt_size > 0) {
        arrivals += qs.utilization * s.topology.links[li].bandwidth_bps * T / qs.avg_pkt_size / (1 - qs.loss);
        drops += qs.utilization * s.topology.links[li].bandwidth_bps * T / qs.avg_pkt_size / (1 - qs.loss) * qs.loss;
      }
    }
    EXPECT_NEAR(ps.utilization, u, 1e-12);
    EXPECT_LE(ps.utilization, 1.0 + 1e-3);
    port_drops += drops;
  }
  // Window-boundary effects only (pairs count by generation time, ports by arrival time).
  EXPECT_NEAR(port_drops / T, r.global_losses, 0.01 * r.global_losses + 0.05);
  // Every counted packet was delivered or dropped; the network drained.
  EXPECT_EQ(out.counters.packets_generated, out.counters.packets_delivered + out.counters.packets_dropped);
}

TEST(Simulator, StreamingPercentilesMatchExactOrderStatistics) {
  const net::Sample s = ten_node(2.0);
  SimConfig a = cfg(200, 5);
  SimConfig b = a;
  b.percentiles = PercentileMode::Exact;
  const net::Results ra = simulate(s, a);
  const net::Results rb = simulate(s, b);
  double worst = 0;
  for (std::size_t k = 0; k < ra.pairs.size(); ++k) {
    const auto& x = ra.pairs[k];
    const auto& y = rb.pairs[k];
    EXPECT_EQ(x.avg_delay, y.avg_delay);
    EXPECT_EQ(x.pkts_drop, y.pkts_drop);
    if (y.pkts_gen == 0) continue;
    for (const auto& [pa, pb] : {std::pair{x.p10, y.p10}, {x.p20, y.p20}, {x.p50, y.p50}, {x.p80, y.p80}, {x.p90, y.p90}}) {
      worst = std::max(worst, std::abs(pa - pb) / pb);
    }
  }
  RecordProperty("worst_rel_error", std::to_string(worst));
  EXPECT_LE(worst, std::sqrt(1.002) - 1 + 1e-9);
}

TEST(Simulator, WarmupExcludesEarlyPackets) {
  net::Sample s = chain({1e6}, make_node(Policy::FIFO, 1, 1e9));
  net::Flow f = poisson_flow(0, 1000);
  f.time_dist = net::TimeDist::CBR;
  f.time_params = {10};
  add_flow(s, 0, 1, f);
  SimConfig c = cfg(50);
  c.warmup_s = 20.05;  // CBR packets at 0.1, 0.2, ...; window [20.05, 70.05) holds 500 of them
  const net::Results r = simulate(s, c);
  EXPECT_DOUBLE_EQ(r.pairs[1].pkts_gen * 50, 500);
  EXPECT_DOUBLE_EQ(r.run.sim_time, 50);
  EXPECT_NEAR(r.ports[0].utilization, 10 * 1000 / 1e6, 1e-9);
}

TEST(Simulator, DrrQuantumScaleIsAParameter) {
  // Two saturated queues with equal weights: DRR splits evenly for any quantum scale, but a larger
  // quantum serves longer bursts, which raises the delay seen by the lightly loaded queue 0.
  net::Sample s = chain({1e6}, make_node(Policy::DRR, 2, 64000, {50, 50}));
  add_flow(s, 0, 1, poisson_flow(100, 1000, 0));                     // light
  add_flow(s, 0, 1, poisson_generic_flow(1200, generic5(), 1));       // saturating
  SimConfig small = cfg(100);
  small.drr_quantum_bits = 1500;
  SimConfig large = small;
  large.drr_quantum_bits = 20000;
  const net::Results rs = simulate(s, small);
  const net::Results rl = simulate(s, large);
  EXPECT_GT(rl.ports[0].queues[0].avg_occupancy, 1.5 * rs.ports[0].queues[0].avg_occupancy);
  SimConfig bad = small;
  bad.drr_quantum_bits = 0;
  EXPECT_THROW((void)simulate(s, bad), Error);
}

void expect_error(const net::Sample& s, const std::string& needle) {
  try {
    (void)simulate(s, cfg(10));
    FAIL() << "expected an error containing '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(Simulator, BadInputNamesTheField) {
  {
    net::Sample s = chain({1e6, 1e6}, make_node(Policy::FIFO, 1, 1e6));
    add_flow(s, 0, 2, poisson_flow(10, 1000, 2));
    expect_error(s, "pair (0,2) flow 0: ToS 2 maps to no queue of node 0");
  }
  {
    net::Sample s = chain({1e6, 1e6}, make_node(Policy::FIFO, 1, 1e6));
    add_flow(s, 2, 0, poisson_flow(10, 1000));
    expect_error(s, "pair (2,0) flow 0: has traffic but routing gives no path");
  }
  {
    net::Sample s = chain({1e6, 1e6}, make_node(Policy::FIFO, 1, 1e6));
    s.routing.paths[2] = {0, 2};
    add_flow(s, 0, 2, poisson_flow(10, 1000));
    expect_error(s, "uses 0->2, which is not a link");
  }
  {
    net::Sample s = chain({1e6}, make_node(Policy::FIFO, 1, 1e6));
    net::Flow f = poisson_flow(10, 1000);
    f.time_dist = net::TimeDist::PPBP;
    add_flow(s, 0, 1, f);
    expect_error(s, "time distribution code 5 is not supported");
  }
  {
    net::Sample s = chain({0.0}, make_node(Policy::FIFO, 1, 1e6));
    expect_error(s, "link 0->1: bandwidth must be > 0");
  }
  {
    net::Sample s = chain({1e6}, make_node(Policy::WFQ, 3, 1e6, {50, 50}));
    expect_error(s, "node 0: WFQ has 2 weights for 3 queues");
  }
  {
    net::Sample s = chain({1e6}, make_node(Policy::FIFO, 1, 1e6));
    SimConfig c = cfg(10);
    c.sim_time_s = 0;
    EXPECT_THROW((void)simulate(s, c), Error);
  }
}

// Throughput of one core on the 10-node sample (the figure is printed; the assertion is loose).
TEST(Simulator, ThroughputTenNodesSlow) {
  const net::Sample s = ten_node(2.0);
  const SimOutput out = run_simulation(s, cfg(2000));
  const SimCounters& c = out.counters;
  const double pps = static_cast<double>(c.packets_generated) / c.cpu_s;
  const double hps = static_cast<double>(c.transmissions) / c.cpu_s;
  std::cout << "[ perf ] 10 nodes, " << s.topology.links.size() << " ports, 90 flows: " << c.packets_generated
            << " packets, " << c.transmissions << " packet-hops, " << c.events << " events in " << c.cpu_s
            << " s CPU (" << c.wall_s << " s wall) -> " << pps / 1e6 << " M packets/s, " << hps / 1e6 << " M packet-hops/s; max in flight "
            << c.max_packets_in_flight << "\n";
  RecordProperty("packets_per_s", std::to_string(pps));
  EXPECT_GT(c.packets_generated, 100000U);
}

}  // namespace
}  // namespace autoopt::sim
