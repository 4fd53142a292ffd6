#include "net/summary.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace autoopt::net {
namespace {

Sample two_node_sample(double delay) {
  Sample s;
  s.topology.nodes.resize(2);
  s.topology.nodes[1].policy = Policy::SP;
  s.topology.links = {{0, 1, 0, 1e4}, {1, 0, 0, 2.5e4}};
  s.routing.paths = {{}, {0, 1}, {1, 0}, {}};
  s.traffic.pairs.resize(4);
  Flow f;
  f.time_dist = TimeDist::CBR;
  f.eq_lambda_bps = 500;
  f.tos = 2;
  s.traffic.pairs[1].push_back(f);
  Results r;
  r.pairs.resize(4);
  r.pairs[1].pkts_gen = 10;
  r.pairs[1].pkts_drop = 1;
  r.pairs[1].avg_delay = delay;
  r.pairs[1].jitter = 0.01;
  r.ports.resize(2);
  r.ports[0].utilization = 0.5;
  s.results = r;
  return s;
}

TEST(Summary, CountsAndQuantiles) {
  DatasetSummary sum;
  sum.add(two_node_sample(0.1));
  sum.add(two_node_sample(0.3));
  Sample unlabelled = two_node_sample(0.2);
  unlabelled.results.reset();
  sum.add(unlabelled);
  EXPECT_EQ(sum.samples(), 3);
  EXPECT_EQ(sum.labelled(), 2);
  EXPECT_EQ(sum.flows(), 3);
  EXPECT_EQ(sum.sizes().at(2), 3);
  EXPECT_EQ(sum.policies()[static_cast<int>(Policy::FIFO)], 3);
  EXPECT_EQ(sum.policies()[static_cast<int>(Policy::SP)], 3);
  EXPECT_EQ(sum.time_dists().at(static_cast<int>(TimeDist::CBR)), 3);
  EXPECT_EQ(sum.tos().at(2), 3);
  const std::string text = sum.to_text();
  EXPECT_NE(text.find("samples: 3 (2 with results), flows: 3"), std::string::npos) << text;
  EXPECT_NE(text.find("CBR 100.0%"), std::string::npos) << text;
  EXPECT_NE(text.find("mean delay"), std::string::npos) << text;
}

TEST(Summary, DistributionQuantiles) {
  Distribution d;
  EXPECT_TRUE(std::isnan(d.quantiles()[0]));
  for (int i = 0; i <= 100; ++i) d.add(100 - i);
  const auto q = d.quantiles();
  EXPECT_EQ(q[0], 0);
  EXPECT_EQ(q[1], 10);
  EXPECT_EQ(q[2], 50);
  EXPECT_EQ(q[3], 90);
  EXPECT_EQ(q[4], 100);
}

}  // namespace
}  // namespace autoopt::net
