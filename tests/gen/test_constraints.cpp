// gen/constraints: each GNNet 2022 training rule triggered by a hand-made violation, with its message.
#include <gtest/gtest.h>

#include <algorithm>

#include "gen/constraints.hpp"
#include "gen/routing.hpp"
#include "gen/topology.hpp"

using namespace autoopt::gen;
namespace net = autoopt::net;

namespace {

net::Flow flow(double bw, int tos = 1) {
  net::Flow f;
  f.time_dist = net::TimeDist::Poisson;
  f.eq_lambda_bps = bw;
  f.size_dist = net::SizeDist::Generic;
  f.candidates = {{500, 0.5}, {1500, 0.5}};
  f.avg_pkt_size_bits = 1000;
  f.time_params = {bw / 1000, 10};
  f.tos = tos;
  return f;
}

// 3 nodes on a line (FIFO, SP, WFQ 60/30/10), 10 kbit/s links, one flow per pair.
net::Sample valid_sample() {
  net::Sample s;
  const Graph g = make_graph(3, std::vector<std::pair<int, int>>{{0, 1}, {1, 2}});
  s.topology.links = links_of(g);
  for (auto& l : s.topology.links) l.bandwidth_bps = 10000;
  net::Node fifo{net::Policy::FIFO, {}, {32000}, {{0, 1, 2}}};
  net::Node sp{net::Policy::SP, {}, {16000, 16000, 16000}, {{0}, {1}, {2}}};
  net::Node wfq{net::Policy::WFQ, {60, 30, 10}, {8000, 8000, 8000}, {{0}, {1}, {2}}};
  s.topology.nodes = {fifo, sp, wfq};
  s.routing = min_hop_routing(g);
  s.traffic.pairs.assign(9, {});
  for (std::size_t k = 0; k < 9; ++k) {
    if (k / 3 != k % 3) s.traffic.pairs[k] = {flow(1000 + 100 * static_cast<double>(k))};
  }
  s.traffic.max_avg_lambda = 2000;
  return s;
}

// The single violation of `s`, as "rule: message".
std::string only(const net::Sample& s) {
  const auto v = check_training_rules(s);
  if (v.size() != 1) return std::to_string(v.size()) + " violations:\n" + format_violations(v);
  return v[0].rule + ": " + v[0].message;
}

}  // namespace

TEST(GenConstraints, ValidSamplePasses) {
  EXPECT_EQ(format_violations(check_training_rules(valid_sample())), "");
}

TEST(GenConstraints, NodeCount) {
  net::Sample s = valid_sample();
  // 11 nodes: a path 0..10, all otherwise valid.
  std::vector<std::pair<int, int>> e;
  for (int i = 0; i < 10; ++i) e.emplace_back(i, i + 1);
  s.topology.links = links_of(make_graph(11, e));
  for (auto& l : s.topology.links) l.bandwidth_bps = 10000;
  s.topology.nodes.assign(11, s.topology.nodes[0]);
  s.traffic.pairs.assign(121, {});
  EXPECT_EQ(only(s), "node_count: 11 nodes, expected 1..10");
}

TEST(GenConstraints, IsolatedNode) {
  net::Sample s = valid_sample();
  s.topology.nodes.push_back(s.topology.nodes[0]);
  s.traffic.pairs.assign(16, {});
  EXPECT_EQ(only(s), "isolated_node: node 3 has no link, expected none isolated");
}

TEST(GenConstraints, Bidirectional) {
  net::Sample s = valid_sample();
  s.topology.links.erase(s.topology.links.begin() + 3);  // 2->1
  EXPECT_EQ(only(s), "bidirectional: link 1->2 has no reverse link 2->1, expected every link bidirectional");
}

TEST(GenConstraints, Policy) {
  net::Sample s = valid_sample();
  s.topology.nodes[0].policy = static_cast<net::Policy>(7);
  EXPECT_EQ(only(s), "policy: node 0: scheduling policy code 7, expected FIFO, SP, WFQ or DRR");
}

TEST(GenConstraints, Weights) {
  net::Sample s = valid_sample();
  s.topology.nodes[2].weights = {33.3, 33.3, 33.4};  // the validation set's triple is not integer
  EXPECT_EQ(only(s), "weights: node 2 (WFQ): weights \"33.3,33.3,33.4\", expected 3 integers summing to 100");
  s.topology.nodes[2].weights = {60, 30, 20};
  EXPECT_EQ(only(s), "weights: node 2 (WFQ): weights \"60,30,20\", expected 3 integers summing to 100");
  s = valid_sample();
  s.topology.nodes[1].weights = {50, 50, 0};
  EXPECT_EQ(only(s), "weights: node 1 (SP): has 3 weights, expected none");
}

TEST(GenConstraints, Buffer) {
  net::Sample s = valid_sample();
  s.topology.nodes[1].buffer_bits = {16000, 4000, 70000};
  EXPECT_EQ(only(s), "buffer: node 1 queue 1: buffer 4000 bits, expected 8000..64000 (2 queues)");
}

TEST(GenConstraints, Capacity) {
  net::Sample s = valid_sample();
  s.topology.links[0].bandwidth_bps = 5000;
  EXPECT_EQ(only(s), "capacity: link 0->1: capacity 5000 bit/s, expected 10000..400000 and a multiple of 1000");
  s.topology.links[0].bandwidth_bps = 12500;
  s.topology.links[1].bandwidth_bps = 500000;
  EXPECT_EQ(only(s), "capacity: link 0->1: capacity 12500 bit/s, expected 10000..400000 and a multiple of 1000 (2 links)");
}

TEST(GenConstraints, TosLevels) {
  net::Sample s = valid_sample();
  s.topology.nodes[1].queue_tos = {{0}, {1}, {}};
  EXPECT_EQ(only(s), "tos_levels: node 1: ToS 2 has no queue, expected ToS 0..2 mapped");
  s = valid_sample();
  s.topology.levels_tos = 4;
  EXPECT_EQ(only(s), "tos_levels: levelsToS is 4, expected 3 (ToS 0, 1, 2)");
}

TEST(GenConstraints, FlowsPerPair) {
  net::Sample s = valid_sample();
  s.traffic.pairs[5].push_back(flow(100));
  EXPECT_EQ(only(s), "flows_per_pair: pair 1->2 has 2 flows, expected at most 1");
}

TEST(GenConstraints, AvgBw) {
  net::Sample s = valid_sample();
  s.traffic.pairs[1][0].eq_lambda_bps = 12000;
  EXPECT_EQ(only(s), "avg_bw: flow 0->1: avg_bw 12000 bit/s, expected 10..10000");
  s.traffic.pairs[2][0].eq_lambda_bps = 5;
  EXPECT_EQ(only(s), "avg_bw: flow 0->1: avg_bw 12000 bit/s, expected 10..10000 (2 flows)");
}

TEST(GenConstraints, TimeDist) {
  net::Sample s = valid_sample();
  s.traffic.pairs[3][0].time_dist = net::TimeDist::Normal;
  EXPECT_EQ(only(s), "time_dist: flow 1->0: time distribution code 3, expected Poisson (0), CBR (1) or ON-OFF (4; input code 2)");
  s = valid_sample();
  s.traffic.pairs[3][0].time_dist = net::TimeDist::OnOff;
  s.traffic.pairs[3][0].time_params = {2, 0, 5, 10};
  EXPECT_EQ(only(s), "time_dist: flow 1->0: ON-OFF without positive on and off times");
}

TEST(GenConstraints, PktSize) {
  net::Sample s = valid_sample();
  s.traffic.pairs[7][0].candidates = {{100, 0.5}, {1500, 0.5}};
  EXPECT_EQ(only(s), "pkt_size: flow 2->1: packet size 100 bits, expected 256..2000");
  s = valid_sample();
  s.traffic.pairs[7][0].candidates = {{500, 0.5}, {1500, 0.6}};
  EXPECT_EQ(only(s), "pkt_size: flow 2->1: probabilities sum to 1.1, expected 1");
  s = valid_sample();
  s.traffic.pairs[7][0].candidates.assign(6, {500, 1.0 / 6});
  EXPECT_EQ(only(s), "pkt_size: flow 2->1: 6 packet sizes, expected 1..5");
  s = valid_sample();
  s.traffic.pairs[7][0].size_dist = net::SizeDist::Deterministic;
  EXPECT_EQ(only(s), "pkt_size: flow 2->1: size distribution code 0, expected generic (3; input pkt_dist 0)");
}

TEST(GenConstraints, Tos) {
  net::Sample s = valid_sample();
  s.traffic.pairs[6][0].tos = 3;
  EXPECT_EQ(only(s), "tos: flow 2->0: ToS 3, expected 0, 1 or 2");
}

TEST(GenConstraints, MeanPacketSizeOfResults) {
  net::Sample s = valid_sample();
  net::Results r;
  r.pairs.assign(9, {});
  r.pairs[1].avg_bw_bps = 1000;
  r.pairs[1].pkts_gen = 1;     // 1000 bits: fine
  r.pairs[2].avg_bw_bps = 3000;
  r.pairs[2].pkts_gen = 1;     // 3000 bits per packet
  s.results = r;
  EXPECT_EQ(only(s), "mean_pkt_size: pair 0->2: AvgBw/PktsGen = 3000 bits, expected 256..2000");
}

TEST(GenConstraints, SeveralRulesGiveOneViolationEach) {
  net::Sample s = valid_sample();
  s.topology.links[0].bandwidth_bps = 5000;
  s.topology.links[2].bandwidth_bps = 5000;
  s.traffic.pairs[6][0].tos = 5;
  s.traffic.pairs[1][0].eq_lambda_bps = 0;
  const auto v = check_training_rules(s);
  ASSERT_EQ(v.size(), 3U) << format_violations(v);
  std::vector<std::string> rules;
  for (const auto& x : v) rules.push_back(x.rule);
  std::sort(rules.begin(), rules.end());
  EXPECT_EQ(rules, (std::vector<std::string>{"avg_bw", "capacity", "tos"}));
}
