// Fidelity against the reference on one shared 50-node validation sample (short run): the
// per-path mean delays, losses and link utilisations must stay near the reference labels, and the
// FIFO queues' mean sojourn must be unbiased (the calibration of docs/simulator.md). The full
// comparison is bench/bench_fidelity.
#include <gtest/gtest.h>

#include <cmath>

#include "io/gnnet.hpp"
#include "shared_data.hpp"
#include "sim/simulator.hpp"

namespace autoopt::sim {
namespace {

TEST(FidelityShared, FiftyNodeSampleSlow) {
  const auto dir = autoopt::testing::shared_dir() / "data/gnnet2022/validation/50";
  AUTOOPT_REQUIRE_SHARED(dir);
  io::GnnetDataset ds(dir);
  ASSERT_GT(ds.size(), 0U);
  net::Sample s = ds.load(0);
  ASSERT_TRUE(s.results.has_value());
  const net::Results ref = *s.results;
  s.results.reset();
  SimConfig cfg;
  cfg.sim_time_s = 300;
  const net::Results r = simulate(s, cfg);

  double ape = 0, loss_ae = 0;
  int nd = 0, nl = 0;
  for (std::size_t k = 0; k < ref.pairs.size(); ++k) {
    if (s.traffic.pairs[k].empty()) continue;
    const net::PathStats& a = ref.pairs[k];
    const net::PathStats& b = r.pairs[k];
    loss_ae += std::abs(a.loss_ratio() - b.loss_ratio()) * 100;
    ++nl;
    if (a.avg_delay > 0 && b.avg_delay > 0) {
      ape += std::abs(b.avg_delay - a.avg_delay) / a.avg_delay;
      ++nd;
    }
  }
  ASSERT_GT(nd, 1000);
  const double mape = ape / nd;
  RecordProperty("delay_mape", std::to_string(mape));
  EXPECT_LT(mape, 0.08);           // ~4-5 % of it is the noise of a 300 s run
  EXPECT_LT(loss_ae / nl, 1.0);    // percentage points (0.5 is the goal on long runs)

  double u_ae = 0, fifo_bias = 0;
  int nu = 0, nf = 0;
  for (std::size_t li = 0; li < ref.ports.size(); ++li) {
    u_ae += std::abs(r.ports[li].utilization - ref.ports[li].utilization);
    ++nu;
    const net::Node& node = s.topology.nodes[static_cast<std::size_t>(s.topology.links[li].src)];
    const auto& qa = ref.ports[li].queues[0];
    const auto& qb = r.ports[li].queues[0];
    if (node.policy == net::Policy::FIFO && qa.utilization > 0.05 && qb.avg_occupancy > 0) {
      fifo_bias += (qb.avg_occupancy - qa.avg_occupancy) / qa.avg_occupancy;
      ++nf;
    }
  }
  EXPECT_LT(u_ae / nu, 0.01);
  ASSERT_GT(nf, 10);
  EXPECT_NEAR(fifo_bias / nf, 0.0, 0.04);  // Poisson gaps inside ON periods gave about +4 %
}

}  // namespace
}  // namespace autoopt::sim
