// Run control (SimConfig::stop, warm-up, batch-means half-widths), the WFQ / DRR calibration knobs
// and the record of a pair that loses every packet.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "net/error.hpp"
#include "sim/simulator.hpp"
#include "sim_fixtures.hpp"

namespace autoopt::sim {
namespace {

using namespace autoopt::sim::testing;
using net::Policy;

// One M/D/1 link at load 0.5 (mean delay 1.5 ms with 1000-bit packets at 1 Mbit/s).
net::Sample md1() {
  net::Sample s = chain({1e6}, make_node(Policy::FIFO, 1, 1e9));
  add_flow(s, 0, 1, poisson_flow(500, 1000));
  return s;
}

TEST(RunControl, StudentTQuantile) {
  EXPECT_NEAR(student_t_quantile(0.975, 1e9), 1.959964, 1e-5);
  EXPECT_NEAR(student_t_quantile(0.975, 9), 2.262157, 2e-3);
  EXPECT_NEAR(student_t_quantile(0.975, 30), 2.042272, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.95, 20), 1.724718, 1e-4);
}

TEST(RunControl, FixedTimeGivesHalfWidthsThatCoverTheTruth) {
  const net::Sample s = md1();
  SimConfig c;
  c.sim_time_s = 200;
  const SimOutput out = run_simulation(s, c);
  ASSERT_EQ(out.delay_half_width.size(), 4U);
  EXPECT_EQ(out.delay_half_width[0], -1.0);  // no traffic
  EXPECT_EQ(out.delay_half_width[2], -1.0);
  EXPECT_EQ(out.batches, 32U);
  const double hw = out.delay_half_width[1];
  ASSERT_GT(hw, 0.0);
  const double truth = 1e-3 + 0.5 * 1e-3 / (2 * (1 - 0.5));  // P-K: D + rho D / (2 (1 - rho))
  // 95% half-width: a 4x half-width miss has a negligible probability.
  EXPECT_NEAR(out.results.pairs[1].avg_delay, truth, 4 * hw);
  EXPECT_LT(hw / truth, 0.05);
  EXPECT_NEAR(out.results.run.metric, hw / out.results.pairs[1].avg_delay, 1e-12);
  // A longer run gives a narrower interval (about 1/sqrt(T)).
  c.sim_time_s = 3200;
  const SimOutput longer = run_simulation(s, c);
  EXPECT_LT(longer.delay_half_width[1], 0.5 * hw);
}

TEST(RunControl, PacketCountStopsGeneration) {
  net::Sample s = chain({1e6}, make_node(Policy::FIFO, 1, 1e9));
  net::Flow f = poisson_flow(0, 1000);
  f.time_dist = net::TimeDist::CBR;
  f.time_params = {10};  // packets at 0.1, 0.2, ...
  add_flow(s, 0, 1, f);
  SimConfig c;
  c.stop = StopRule::PacketCount;
  c.max_packets = 1000;
  c.check_interval_s = 7;
  const SimOutput out = run_simulation(s, c);
  EXPECT_NEAR(out.results.run.sim_time, 100.0, 1e-9);  // the 1000th packet is due at 100 s
  EXPECT_EQ(out.counters.packets_generated, 1000U);
  EXPECT_NEAR(out.results.pairs[1].pkts_gen * out.results.run.sim_time, 1000.0, 1e-6);
  // The cap wins when the count is out of reach.
  c.max_packets = 1000000;
  c.max_sim_time_s = 50;
  const SimOutput capped = run_simulation(s, c);
  EXPECT_NEAR(capped.results.run.sim_time, 50.0, 1e-9);
}

TEST(RunControl, ConvergedStopsWhenEveryPathIsPrecise) {
  net::Sample s = chain({1e6, 1e6}, make_node(Policy::FIFO, 1, 1e9));
  add_flow(s, 0, 1, poisson_flow(400, 1000));
  add_flow(s, 0, 2, poisson_flow(50, 1000));  // fewer packets: the slower path to converge
  add_flow(s, 1, 2, poisson_flow(300, 1000));
  SimConfig c;
  c.stop = StopRule::Converged;
  c.rel_precision = 0.02;
  c.check_interval_s = 5;
  c.max_sim_time_s = 5000;
  const SimOutput out = run_simulation(s, c);
  const double T = out.results.run.sim_time;
  EXPECT_LT(T, 5000.0);                          // converged before the cap
  EXPECT_GE(T, 5.0 * c.min_batches - 1e-9);      // not before min_batches batches
  EXPECT_NEAR(std::fmod(T + 1e-9, 5.0), 0.0, 1e-6);  // at a check
  for (const int k : {1, 2, 5}) {
    const double hw = out.delay_half_width[static_cast<std::size_t>(k)];
    ASSERT_GT(hw, 0.0) << k;
    EXPECT_LE(hw / out.results.pairs[static_cast<std::size_t>(k)].avg_delay, 0.02 * 1.02) << k;
  }
  EXPECT_LE(out.results.run.metric, 0.02 * 1.02);
  // A tighter target needs a longer run.
  c.rel_precision = 0.005;
  const SimOutput tight = run_simulation(s, c);
  EXPECT_GT(tight.results.run.sim_time, 2.0 * T);
  // The cap stops a run that cannot converge.
  c.rel_precision = 1e-6;
  c.max_sim_time_s = 100;
  const SimOutput capped = run_simulation(s, c);
  EXPECT_NEAR(capped.results.run.sim_time, 100.0, 1e-9);
  EXPECT_GT(capped.results.run.metric, 1e-6);
}

TEST(RunControl, WarmupShiftsTheWindow) {
  const net::Sample s = md1();
  SimConfig c;
  c.sim_time_s = 100;
  c.warmup_s = 50;
  const SimOutput out = run_simulation(s, c);
  EXPECT_DOUBLE_EQ(out.results.run.sim_time, 100.0);
  EXPECT_NEAR(out.results.pairs[1].pkts_gen, 500, 5 * std::sqrt(500.0 * 100) / 100);
  EXPECT_GT(out.counters.packets_generated, static_cast<std::uint64_t>(out.results.pairs[1].pkts_gen * 100) + 20000);
}

TEST(RunControl, BadConfigNamesTheField) {
  const net::Sample s = md1();
  auto expect = [&](const SimConfig& c, const std::string& needle) {
    try {
      (void)simulate(s, c);
      FAIL() << "expected an error containing " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  SimConfig c;
  c.stop = StopRule::PacketCount;
  expect(c, "max_packets must be > 0");
  c.stop = StopRule::Converged;
  c.rel_precision = 0;
  expect(c, "rel_precision must be > 0");
  c.rel_precision = 0.01;
  c.check_interval_s = 0;
  expect(c, "check_interval_s must be > 0");
  c.check_interval_s = 1;
  c.min_sim_time_s = 1e9;
  expect(c, "min_sim_time_s must be in [0, max_sim_time_s]");
  SimConfig d;
  d.confidence = 1.0;
  expect(d, "confidence must be in [0.5, 0.999]");
}

// A pair that loses every packet: pkts_drop == pkts_gen and the format's "no delay" record (-1),
// which global_delay ignores.
TEST(RunControl, PairThatLosesEveryPacketKeepsNoDelayRecord) {
  net::Sample s = chain({1e6}, make_node(Policy::FIFO, 1, 800));  // buffer smaller than a packet
  add_flow(s, 0, 1, poisson_flow(100, 1000));
  const net::Results r = simulate(s, SimConfig{.sim_time_s = 100});
  const net::PathStats& p = r.pairs[1];
  ASSERT_GT(p.pkts_gen, 0.0);
  EXPECT_EQ(p.pkts_drop, p.pkts_gen);
  EXPECT_EQ(p.loss_ratio(), 1.0);
  for (const double v : {p.avg_delay, p.avg_ln_delay, p.p10, p.p20, p.p50, p.p80, p.p90, p.jitter}) EXPECT_EQ(v, -1.0);
  EXPECT_GT(p.avg_bw_bps, 0.0);
  EXPECT_EQ(r.global_delay, 0.0);
  EXPECT_EQ(r.ports[0].loss, 1.0);
}

// Tail drop accepts a packet that fills the buffer exactly (occupancy + size <= buffer).
TEST(RunControl, TailDropAcceptsAnExactFit) {
  net::Sample s = chain({1e3}, make_node(Policy::FIFO, 1, 3000));  // 1 s per 1000-bit packet
  add_flow(s, 0, 1, poisson_flow(20, 1000));                       // heavily overloaded
  const net::Results r = simulate(s, SimConfig{.sim_time_s = 200});
  EXPECT_EQ(r.ports[0].queues[0].max_occupancy, 3000.0);
  EXPECT_GT(r.pairs[1].pkts_drop, 0.0);
}

TEST(RunControl, WfqVariantsAndDrrScaleAreKnobs) {
  // A light queue 0 next to a saturating queue 2 with weights 10/30/60.
  net::Sample s = chain({1e6}, make_node(Policy::WFQ, 3, 64000, {10, 30, 60}));
  add_flow(s, 0, 1, poisson_flow(60, 1000, 0));
  add_flow(s, 0, 1, poisson_flow(200, 1000, 1));
  add_flow(s, 0, 1, poisson_flow(900, 1000, 2));
  double occ0[4];
  for (int v = 0; v < 4; ++v) {
    SimConfig c{.sim_time_s = 100};
    c.wfq = static_cast<WfqVariant>(v);
    const net::Results r = simulate(s, c);
    occ0[v] = r.ports[0].queues[0].avg_occupancy;
    // Every variant is work-conserving: the port carries all that is offered while queue 2 is
    // backlogged (utilisation ~1).
    EXPECT_GT(r.ports[0].utilization, 0.97) << v;
  }
  EXPECT_NE(occ0[0], occ0[1]);
  EXPECT_NE(occ0[0], occ0[2]);
  EXPECT_NE(occ0[2], occ0[3]);
  // DRR: the sum scale gives each queue a smaller quantum than the max scale (sum > max).
  net::Sample d = chain({1e6}, make_node(Policy::DRR, 3, 64000, {20, 20, 60}));
  add_flow(d, 0, 1, poisson_flow(60, 1000, 0));
  add_flow(d, 0, 1, poisson_flow(950, 1000, 2));
  SimConfig a{.sim_time_s = 100, .drr_quantum_bits = 30000};
  SimConfig b = a;
  b.drr_scale = DrrQuantumScale::SumWeight;
  const double qa = simulate(d, a).ports[0].queues[0].avg_occupancy;
  const double qb = simulate(d, b).ports[0].queues[0].avg_occupancy;
  EXPECT_LT(qb, qa);  // queue 0 waits behind shorter bursts of queue 2
}

// The Cumulative WFQ variant (the default, docs/simulator.md "Jitter") keeps each queue's tag
// F += L / w over the whole run, never reset at idle periods: a queue whose long-run rate / weight is
// lower is served ahead of one whose rate / weight is higher, even when both exceed their weight
// share. The virtual clock resets tags to real time after idle periods and so alternates between
// them. Weights 80/10/10; queues 1 and 2 both carry more than their 10 % share, queue 1 less than
// queue 2.
TEST(RunControl, CumulativeWfqOrdersQueuesByRatePerWeight) {
  net::Sample s = chain({1e6}, make_node(Policy::WFQ, 3, 64000, {80, 10, 10}));
  add_flow(s, 0, 1, poisson_flow(250, 1000, 0));
  add_flow(s, 0, 1, poisson_flow(250, 1000, 1));
  add_flow(s, 0, 1, poisson_flow(350, 1000, 2));
  auto sojourn_ratio = [&](WfqVariant v) {
    SimConfig c{.sim_time_s = 200};
    c.wfq = v;
    const net::Results r = simulate(s, c);
    const auto& q = r.ports[0].queues;
    EXPECT_GT(q[1].avg_occupancy, 0.0);
    return q[2].avg_occupancy / q[1].avg_occupancy;
  };
  const double cumulative = sojourn_ratio(WfqVariant::Cumulative);
  const double virtual_clock = sojourn_ratio(WfqVariant::VirtualClock);
  // Queue 2 (rate/weight 35 vs 25) waits behind queue 1 under Cumulative.
  EXPECT_GT(cumulative, 2.0);
  EXPECT_GT(cumulative, 1.5 * virtual_clock);
}

// ON-OFF (docs/simulator.md): by default the gaps inside an ON period are deterministic, so a flow
// whose packets take 90 % of a gap queues behind itself only around the extra packet at the start
// of a period; Poisson gaps queue all the time.
TEST(RunControl, OnOffGapsInsideOnAreDeterministicByDefault) {
  net::Sample s = chain({1e4}, make_node(Policy::FIFO, 1, 1e9));
  net::Flow f = poisson_flow(0, 1000);
  f.time_dist = net::TimeDist::OnOff;
  const double lam_on = 9.0;  // gap 0.111 s, transmission 0.1 s
  f.time_params = {lam_on, 5, 5, 10};
  add_flow(s, 0, 1, f);
  SimConfig c{.sim_time_s = 20000};
  const net::Results det = simulate(s, c);
  EXPECT_GT(det.pairs[1].avg_delay, 0.1);
  EXPECT_LT(det.pairs[1].avg_delay, 0.11);
  EXPECT_NEAR(det.pairs[1].p50, 0.1, 1e-3);  // most packets never wait
  // +1 packet per ON period on average: rate lam_on / 2 + 1 / 10.
  EXPECT_NEAR(det.pairs[1].pkts_gen, lam_on / 2 + 0.1, 0.4);  // periods make counts over-dispersed
  c.onoff_gaps = OnOffGaps::Exponential;
  const net::Results expo = simulate(s, c);
  EXPECT_GT(expo.pairs[1].avg_delay, 0.2);
  EXPECT_GT(expo.pairs[1].p50, 0.15);
  // Deterministic gaps from the start of the period: queueing only when an OFF period is shorter
  // than the gap; starting ON changes the stream.
  c.onoff_gaps = OnOffGaps::Deterministic;
  c.onoff_start = OnOffStart::On;
  const net::Results from_on = simulate(s, c);
  EXPECT_LT(from_on.pairs[1].avg_delay, det.pairs[1].avg_delay);
  EXPECT_NE(from_on.pairs[1].pkts_gen, det.pairs[1].pkts_gen);
}

}  // namespace
}  // namespace autoopt::sim
