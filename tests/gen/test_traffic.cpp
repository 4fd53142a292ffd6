// gen/traffic: flows (rates, distributions, derived fields), node configurations and capacities.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "gen/routing.hpp"
#include "gen/traffic.hpp"
#include "net/validate.hpp"

using namespace autoopt::gen;
namespace net = autoopt::net;

namespace {

Graph ring(int n) {
  std::vector<std::pair<int, int>> e;
  for (int i = 0; i < n; ++i) e.emplace_back(i, (i + 1) % n);
  return make_graph(n, e);
}

}  // namespace

TEST(GenTraffic, FlowsFollowTheParameters) {
  const int n = 8;
  const Graph g = ring(n);
  const auto routing = min_hop_routing(g);
  const TrafficParams p;
  std::array<int, 3> td{}, tos{};
  int flows = 0;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng(seed);
    const net::Traffic t = make_traffic(n, routing, p, rng);
    ASSERT_EQ(t.pairs.size(), 64U);
    // The intensity TI is U(ti_min, ti_max); every flow's rate is U(0.5, 1) * TI / (N - 1).
    const double per_dst = t.max_avg_lambda;
    EXPECT_GE(per_dst, p.ti_min / (n - 1));
    EXPECT_LE(per_dst, p.ti_max / (n - 1));
    for (std::size_t k = 0; k < t.pairs.size(); ++k) {
      if (k / n == k % n) {
        EXPECT_TRUE(t.pairs[k].empty());
        continue;
      }
      ASSERT_EQ(t.pairs[k].size(), 1U);
      const net::Flow& f = t.pairs[k][0];
      ++flows;
      EXPECT_GE(f.eq_lambda_bps, 0.5 * per_dst - 1e-9);
      EXPECT_LE(f.eq_lambda_bps, per_dst + 1e-9);
      ASSERT_EQ(f.size_dist, net::SizeDist::Generic);
      double mean = 0.0;
      for (const auto& c : f.candidates) mean += c.size_bits * c.prob;
      EXPECT_EQ(f.avg_pkt_size_bits, std::floor(mean + 1e-6));
      const double pkts = f.eq_lambda_bps / f.avg_pkt_size_bits;
      switch (f.time_dist) {
        case net::TimeDist::Poisson:
          EXPECT_EQ(f.time_params, (std::vector<double>{pkts, 10.0}));
          break;
        case net::TimeDist::CBR:
          EXPECT_EQ(f.time_params, (std::vector<double>{pkts}));
          break;
        case net::TimeDist::OnOff:
          ASSERT_EQ(f.time_params.size(), 4U);
          EXPECT_DOUBLE_EQ(f.time_params[0], pkts * 2.0);  // PktsLambdaOn = pkts * (on + off) / on
          EXPECT_EQ((std::vector<double>(f.time_params.begin() + 1, f.time_params.end())),
                    (std::vector<double>{5.0, 5.0, 10.0}));
          break;
        default:
          ADD_FAILURE() << "unexpected time distribution";
      }
      ++td[static_cast<std::size_t>(f.time_dist == net::TimeDist::OnOff ? 2 : static_cast<int>(f.time_dist))];
      ++tos[static_cast<std::size_t>(f.tos)];
    }
  }
  // Shares within 4 binomial standard deviations of time_weights and tos_probs (11200 flows).
  auto near = [&](int count, double prob) {
    const double sd = std::sqrt(flows * prob * (1 - prob));
    return std::fabs(count - flows * prob) < 4 * sd;
  };
  EXPECT_TRUE(near(td[0], 0.5)) << td[0];
  EXPECT_TRUE(near(td[1], 0.25)) << td[1];
  EXPECT_TRUE(near(td[2], 0.25)) << td[2];
  EXPECT_TRUE(near(tos[0], 0.1)) << tos[0];
  EXPECT_TRUE(near(tos[1], 0.3)) << tos[1];
  EXPECT_TRUE(near(tos[2], 0.6)) << tos[2];
}

TEST(GenTraffic, RatesAreClippedAndPairsCanBeSparse) {
  const Graph g = ring(4);
  const auto routing = min_hop_routing(g);
  TrafficParams p;
  p.ti_min = p.ti_max = 90000.0;  // 30000 per destination -> clipped to 10000
  p.pair_fraction = 0.5;
  Rng rng(4);
  const auto t = make_traffic(4, routing, p, rng);
  EXPECT_EQ(t.max_avg_lambda, 10000.0);
  int with = 0;
  for (const auto& pr : t.pairs) {
    for (const auto& f : pr) {
      EXPECT_EQ(f.eq_lambda_bps, 10000.0);
      ++with;
    }
  }
  EXPECT_GT(with, 0);
  EXPECT_LT(with, 12);
}

TEST(GenTraffic, NodesTakeTheirSetsAndQueueLayout) {
  const NodeParams p;
  std::array<int, 4> pol{};
  for (std::uint64_t s = 0; s < 400; ++s) {
    Rng rng(s);
    const net::Node node = make_node(p, rng);
    ++pol[static_cast<std::size_t>(node.policy)];
    ASSERT_FALSE(node.buffer_bits.empty());
    EXPECT_NE(std::find(p.buffer_values.begin(), p.buffer_values.end(), node.buffer_bits[0]), p.buffer_values.end());
    for (int t = 0; t < 3; ++t) EXPECT_GE(node.queue_of_tos(t), 0);
    switch (node.policy) {
      case net::Policy::FIFO:
        EXPECT_EQ(node.num_queues(), 1);
        EXPECT_TRUE(node.weights.empty());
        break;
      case net::Policy::SP:
        EXPECT_EQ(node.num_queues(), 3);
        EXPECT_TRUE(node.weights.empty());
        break;
      case net::Policy::WFQ:
        EXPECT_NE(std::find(p.wfq_weights.begin(), p.wfq_weights.end(), node.weights), p.wfq_weights.end());
        break;
      case net::Policy::DRR:
        EXPECT_NE(std::find(p.drr_weights.begin(), p.drr_weights.end(), node.weights), p.drr_weights.end());
        break;
    }
    net::Topology t;
    t.nodes = {node};
    EXPECT_TRUE(net::validate(t).empty());
  }
  for (const int c : pol) EXPECT_GT(c, 60);  // ~100 each
}

TEST(GenTraffic, SnapCapacity) {
  CapacityParams p;  // set {10k, 25k, 40k, 100k, 250k, 400k}
  EXPECT_EQ(snap_capacity(31000, p), 25000);  // log-nearest: sqrt(25k * 40k) = 31623
  EXPECT_EQ(snap_capacity(32000, p), 40000);
  EXPECT_EQ(snap_capacity(1, p), 10000);
  EXPECT_EQ(snap_capacity(1e9, p), 400000);
  p.capacity_values.clear();
  EXPECT_EQ(snap_capacity(31499, p), 31000);
  EXPECT_EQ(snap_capacity(500, p), 10000);
  EXPECT_EQ(snap_capacity(512345, p), 400000);
}

TEST(GenTraffic, CapacitiesFollowTheRoutedLoad) {
  // A line 0-1-2: link 0-1 carries pairs (0,1), (0,2) one way and (1,0), (2,0) back.
  const Graph g = make_graph(3, std::vector<std::pair<int, int>>{{0, 1}, {1, 2}});
  net::Topology topo;
  topo.links = links_of(g);
  const auto routing = min_hop_routing(g);
  net::Traffic t;
  t.pairs.assign(9, {});
  auto flow = [](double bw) {
    net::Flow f;
    f.eq_lambda_bps = bw;
    return std::vector<net::Flow>{f};
  };
  t.pairs[1] = flow(1000);   // 0->1
  t.pairs[2] = flow(2000);   // 0->2
  t.pairs[3] = flow(500);    // 1->0
  t.pairs[5] = flow(4000);   // 1->2
  const auto loads = link_loads(topo, routing, t);
  // links: 0->1, 1->0, 1->2, 2->1
  EXPECT_EQ(loads, (std::vector<double>{3000, 500, 6000, 0}));
  CapacityParams p;
  p.capacity_values.clear();
  p.capacity_min = 1000;
  p.load_min = p.load_max = 0.5;
  p.load_jitter = 1.0;
  Rng rng(1);
  assign_capacities(topo, routing, t, p, rng);
  EXPECT_EQ(topo.links[0].bandwidth_bps, 6000);   // max(3000, 500) / 0.5
  EXPECT_EQ(topo.links[1].bandwidth_bps, 6000);
  EXPECT_EQ(topo.links[2].bandwidth_bps, 12000);  // 6000 / 0.5
  EXPECT_EQ(topo.links[3].bandwidth_bps, 12000);
}
