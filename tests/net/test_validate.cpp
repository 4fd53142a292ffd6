// Tests of net/validate.hpp: the spec's §10 example validates clean; each rule, broken on purpose,
// yields a problem naming the field and the value.
#include "net/validate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "net/error.hpp"

namespace autoopt::net {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Node make_node(Policy p, double buffer, std::vector<double> weights = {}) {
  Node n;
  n.policy = p;
  n.weights = std::move(weights);
  if (p == Policy::FIFO) {
    n.buffer_bits = {buffer};
    n.queue_tos = {{0, 1, 2}};
  } else {
    n.buffer_bits = {buffer, buffer, buffer};
    n.queue_tos = {{0}, {1}, {2}};
  }
  return n;
}

Flow generic_flow(TimeDist td, double eq, std::vector<double> time_params, double avg,
                  std::vector<SizeProb> cands, int tos) {
  Flow f;
  f.time_dist = td;
  f.eq_lambda_bps = eq;
  f.time_params = std::move(time_params);
  f.size_dist = SizeDist::Generic;
  f.avg_pkt_size_bits = avg;
  f.candidates = std::move(cands);
  f.tos = tos;
  return f;
}

PathStats stats(std::vector<double> v) {  // the 11 fields of simulationResults.txt, AvgBw in kbit/s
  PathStats s;
  s.avg_bw_bps = v[0] * 1000.0;
  s.pkts_gen = v[1];
  s.pkts_drop = v[2];
  s.avg_delay = v[3];
  s.avg_ln_delay = v[4];
  s.p10 = v[5];
  s.p20 = v[6];
  s.p50 = v[7];
  s.p80 = v[8];
  s.p90 = v[9];
  s.jitter = v[10];
  return s;
}

PortStats port(double u, double s, std::vector<QueueStats> queues) {
  PortStats p;
  p.utilization = u;
  p.loss = 0.0;
  p.avg_pkt_size = s;
  p.queues = std::move(queues);
  return p;
}

// The fictional 3-node sample of spec §10 (line 0—1—2; FIFO / SP / WFQ 60,30,10), results included.
Sample example_sample() {
  Sample s;
  s.id = 0;
  s.graph_name = "ex.txt";
  s.routing_name = "Routing-ex.txt";
  s.dataset_tag = "ex";
  s.topology.levels_tos = 3;
  s.topology.nodes = {make_node(Policy::FIFO, 32000), make_node(Policy::SP, 16000),
                      make_node(Policy::WFQ, 8000, {60, 30, 10})};
  s.topology.links = {{0, 1, 0, 10000.0}, {1, 0, 0, 10000.0}, {1, 2, 1, 10000.0}, {2, 1, 0, 10000.0}};
  s.routing.paths = {{}, {0, 1}, {0, 1, 2}, {1, 0}, {}, {1, 2}, {2, 1, 0}, {2, 1}, {}};

  const std::vector<SizeProb> half{{500, 0.5}, {1500, 0.5}};
  const std::vector<SizeProb> three{{500, 0.6}, {1000, 0.2}, {1400, 0.2}};
  s.traffic.max_avg_lambda = 3100;
  s.traffic.pairs.resize(9);
  s.traffic.pairs[1] = {generic_flow(TimeDist::Poisson, 2000, {2, 10}, 1000, half, 0)};
  s.traffic.pairs[2] = {generic_flow(TimeDist::CBR, 1500, {1.92308}, 780, three, 1)};
  s.traffic.pairs[3] = {generic_flow(TimeDist::OnOff, 900, {2.7, 10, 5, 10}, 1000, half, 2)};
  s.traffic.pairs[5] = {generic_flow(TimeDist::Poisson, 3000, {3.84615, 10}, 780, three, 2)};
  s.traffic.pairs[6] = {generic_flow(TimeDist::Poisson, 600, {0.6, 10}, 1000, half, 0)};
  s.traffic.pairs[7] = {generic_flow(TimeDist::CBR, 1000, {1}, 1000, half, 1)};

  Results r;
  r.global_packets = 10.3359;
  r.global_losses = 0;
  r.global_delay = 0.14484;
  const std::vector<double> empty{0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1};
  r.pairs = {stats(empty),
             stats({2.00318, 2.00199, 0, 0.130207, -2.21674, 0.05, 0.05, 0.15, 0.19, 0.232, 0.00391}),
             stats({1.49993, 1.92298, 0, 0.211388, -1.67281, 0.1, 0.111, 0.19, 0.29, 0.36, 0.008702}),
             stats({0.96812, 0.967562, 0, 0.112352, -2.38152, 0.05, 0.05, 0.15, 0.153, 0.171, 0.002894}),
             stats(empty),
             stats({2.99757, 3.84199, 0, 0.123784, -2.22815, 0.05, 0.06, 0.1, 0.17, 0.224, 0.004913}),
             stats({0.60137, 0.601393, 0, 0.221055, -1.60477, 0.1, 0.1, 0.21, 0.31, 0.35, 0.00742}),
             stats({1.00179, 1, 0, 0.112665, -2.37744, 0.05, 0.05, 0.15, 0.152, 0.169, 0.002861}),
             stats(empty)};
  const QueueStats unused{};
  r.ports = {port(0.35, 892.156863, {{0.35, 0, 1194.227869, 7400, 892.156863}}),
             port(0.156667, 1000, {{0.06, 0, 1104.166667, 3000, 1000}, unused, {0.096667, 0, 1123.517787, 4500, 1000}}),
             port(0.45, 780, {unused, {0.15, 0, 1031.809955, 4300, 780}, {0.3, 0, 1237.836281, 9100, 780}}),
             port(0.16, 1000, {{0.06, 0, 1106.382979, 3000, 1000}, {0.1, 0, 1126.646403, 4500, 1000}, unused})};
  r.run = {5025, 0.000874113, "OK", 20480, 2};
  s.results = r;
  return s;
}

std::string dump(const std::vector<Problem>& ps) {
  std::string s;
  for (const auto& p : ps) s += "\n  " + to_string(p);
  return s.empty() ? " (none)" : s;
}

// True when some problem's field equals `field` and its message contains `text`.
bool has(const std::vector<Problem>& ps, const std::string& field, const std::string& text) {
  for (const auto& p : ps) {
    if (p.field == field && p.message.find(text) != std::string::npos) return true;
  }
  return false;
}

#define EXPECT_PROBLEM(ps, field, text) \
  EXPECT_TRUE(has(ps, field, text)) << "expected " << (field) << ": ..." << (text) << "...; got" << dump(ps)

// ---- the valid sample ----------------------------------------------------------------------------

TEST(Validate, SpecExampleIsValid) {
  const Sample s = example_sample();
  const auto ps = validate(s);
  EXPECT_TRUE(ps.empty()) << dump(ps);
  EXPECT_NO_THROW(check(s));
  EXPECT_TRUE(validate(s.topology).empty());
  EXPECT_TRUE(validate(s.routing, s.topology).empty());
  EXPECT_TRUE(validate(s.traffic, s.topology, s.routing).empty());
  EXPECT_TRUE(validate(*s.results, s.topology, s.traffic).empty());
}

TEST(Validate, ValidWithoutResultsAndWithPerFlowRecords) {
  Sample s = example_sample();
  s.results->flows = {s.results->pairs[1], s.results->pairs[2], s.results->pairs[3],
                      s.results->pairs[5], s.results->pairs[6], s.results->pairs[7]};
  EXPECT_TRUE(validate(s).empty()) << dump(validate(s));
  s.results.reset();
  EXPECT_TRUE(validate(s).empty()) << dump(validate(s));
}

TEST(Validate, DecimalWeightsSummingTo100AreAccepted) {
  Sample s = example_sample();
  s.topology.nodes[2].weights = {33.3, 33.3, 33.4};
  s.topology.nodes[1].policy = Policy::DRR;
  s.topology.nodes[1].weights = {70, 25, 5};
  EXPECT_TRUE(validate(s).empty()) << dump(validate(s));
}

// ---- topology ------------------------------------------------------------------------------------

TEST(ValidateTopology, NoNodes) {
  Topology t;
  const auto ps = validate(t);
  EXPECT_PROBLEM(ps, "topology.nodes", "at least 1 node");
}

TEST(ValidateTopology, LevelsTos) {
  Sample s = example_sample();
  s.topology.levels_tos = 0;
  EXPECT_PROBLEM(validate(s.topology), "topology.levels_tos", "levels_tos is 0, expected >= 1");
}

TEST(ValidateTopology, NoQueues) {
  Sample s = example_sample();
  s.topology.nodes[1].buffer_bits.clear();
  s.topology.nodes[1].queue_tos.clear();
  const auto ps = validate(s.topology);
  EXPECT_PROBLEM(ps, "topology.nodes[1].buffer_bits", "node 1 (SP): no queues");
  EXPECT_PROBLEM(ps, "topology.nodes[1].queue_tos", "ToS 0, 1, 2 are not mapped to any queue");
}

TEST(ValidateTopology, QueueTosCountDiffersFromQueues) {
  Sample s = example_sample();
  s.topology.nodes[2].queue_tos = {{0}, {1, 2}};
  EXPECT_PROBLEM(validate(s.topology), "topology.nodes[2].queue_tos",
                 "queue_tos has 2 entries for 3 queues, expected one entry per queue");
}

TEST(ValidateTopology, TosNotMapped) {
  Sample s = example_sample();
  s.topology.nodes[1].queue_tos = {{0}, {1}, {}};
  EXPECT_PROBLEM(validate(s.topology), "topology.nodes[1].queue_tos",
                 "node 1 (SP): ToS 2 is not mapped to any queue, expected every ToS 0..2 in exactly one queue");
}

TEST(ValidateTopology, TosMappedTwice) {
  Sample s = example_sample();
  s.topology.nodes[1].queue_tos = {{0, 1}, {1}, {2}};
  EXPECT_PROBLEM(validate(s.topology), "topology.nodes[1].queue_tos",
                 "ToS 1 is mapped to queues 0 and 1, expected exactly one queue");
  s.topology.nodes[1].queue_tos = {{0, 0}, {1}, {2}};
  EXPECT_PROBLEM(validate(s.topology), "topology.nodes[1].queue_tos[0]", "queue 0 lists ToS 0 twice");
}

TEST(ValidateTopology, TosOutOfRange) {
  Sample s = example_sample();
  s.topology.nodes[0].queue_tos = {{0, 1, 2, 3}};
  s.topology.nodes[1].queue_tos = {{0}, {1, -1}, {2}};
  const auto ps = validate(s.topology);
  EXPECT_PROBLEM(ps, "topology.nodes[0].queue_tos[0]", "queue 0 lists ToS 3, expected 0..2 (levels_tos 3)");
  EXPECT_PROBLEM(ps, "topology.nodes[1].queue_tos[1]", "queue 1 lists ToS -1, expected 0..2");
}

TEST(ValidateTopology, FifoHasExactlyOneQueue) {
  Sample s = example_sample();
  s.topology.nodes[0].buffer_bits = {32000, 32000, 32000};
  s.topology.nodes[0].queue_tos = {{0}, {1}, {2}};
  EXPECT_PROBLEM(validate(s.topology), "topology.nodes[0].buffer_bits",
                 "node 0 (FIFO): FIFO node has 3 queues, expected exactly 1");
}

TEST(ValidateTopology, Buffers) {
  Sample s = example_sample();
  s.topology.nodes[1].buffer_bits[1] = 0;
  s.topology.nodes[2].buffer_bits[2] = kInf;
  s.topology.nodes[0].buffer_bits[0] = kNaN;
  const auto ps = validate(s.topology);
  EXPECT_PROBLEM(ps, "topology.nodes[1].buffer_bits[1]", "buffer of queue 1 is 0 bits, expected > 0 and finite");
  EXPECT_PROBLEM(ps, "topology.nodes[2].buffer_bits[2]", "buffer of queue 2 is inf bits");
  EXPECT_PROBLEM(ps, "topology.nodes[0].buffer_bits[0]", "buffer of queue 0 is nan bits");
}

TEST(ValidateTopology, WeightsSum) {
  Sample s = example_sample();
  s.topology.nodes[2].weights = {60, 30, 9.5};
  EXPECT_PROBLEM(validate(s.topology), "topology.nodes[2].weights",
                 "node 2 (WFQ): weights sum to 99.5, expected 100 (within 0.01)");
  s.topology.nodes[2].weights = {33.3, 33.3, 33.3};
  EXPECT_PROBLEM(validate(s.topology), "topology.nodes[2].weights", "weights sum to 99.9, expected 100");
}

TEST(ValidateTopology, WeightsCountAndSign) {
  Sample s = example_sample();
  s.topology.nodes[2].weights = {60, 40};
  EXPECT_PROBLEM(validate(s.topology), "topology.nodes[2].weights",
                 "has 2 weights for 3 queues, expected one weight per queue");
  s.topology.nodes[2].weights = {110, 0, -10};
  const auto ps = validate(s.topology);
  EXPECT_PROBLEM(ps, "topology.nodes[2].weights[1]", "weight of queue 1 is 0, expected > 0");
  EXPECT_PROBLEM(ps, "topology.nodes[2].weights[2]", "weight of queue 2 is -10, expected > 0");
  s.topology.nodes[2].policy = Policy::DRR;
  s.topology.nodes[2].weights.clear();
  EXPECT_PROBLEM(validate(s.topology), "topology.nodes[2].weights", "node 2 (DRR): has 0 weights for 3 queues");
}

TEST(ValidateTopology, WeightsOnFifoOrSp) {
  Sample s = example_sample();
  s.topology.nodes[1].weights = {60, 30, 10};
  EXPECT_PROBLEM(validate(s.topology), "topology.nodes[1].weights",
                 "node 1 (SP): has 3 weights, expected none (\"-\") for SP");
}

TEST(ValidateTopology, UnknownPolicyCode) {
  Sample s = example_sample();
  s.topology.nodes[1].policy = static_cast<Policy>(9);
  EXPECT_PROBLEM(validate(s.topology), "topology.nodes[1].policy", "unknown scheduling policy code 9");
}

TEST(ValidateTopology, LinkEndsOutOfRangeAndSelfLoop) {
  Sample s = example_sample();
  s.topology.links.push_back({3, 0, 0, 1e4});
  s.topology.links.push_back({2, -1, 1, 1e4});
  s.topology.links.push_back({0, 0, 1, 1e4});
  const auto ps = validate(s.topology);
  EXPECT_PROBLEM(ps, "topology.links[4].src", "link 4 (3->0): source node 3 does not exist, expected 0..2");
  EXPECT_PROBLEM(ps, "topology.links[5].dst", "link 5 (2->-1): destination node -1 does not exist");
  EXPECT_PROBLEM(ps, "topology.links[6]", "link 6 (0->0): self-loop, expected src != dst");
}

TEST(ValidateTopology, DuplicateLink) {
  Sample s = example_sample();
  s.topology.links.push_back({1, 2, 2, 1e4});
  EXPECT_PROBLEM(validate(s.topology), "topology.links[4]",
                 "link 4 (1->2): duplicate of topology.links[2], expected at most one link per direction");
}

TEST(ValidateTopology, Capacity) {
  Sample s = example_sample();
  s.topology.links[1].bandwidth_bps = 0;
  s.topology.links[2].bandwidth_bps = kInf;
  s.topology.links[3].bandwidth_bps = -5;
  const auto ps = validate(s.topology);
  EXPECT_PROBLEM(ps, "topology.links[1].bandwidth_bps", "link 1 (1->0): zero capacity (0 bit/s)");
  EXPECT_PROBLEM(ps, "topology.links[2].bandwidth_bps", "capacity is inf bit/s, expected > 0 and finite");
  EXPECT_PROBLEM(ps, "topology.links[3].bandwidth_bps", "capacity is -5 bit/s");
}

TEST(ValidateTopology, Ports) {
  Sample s = example_sample();
  s.topology.links[2].port = 0;  // node 1 now uses port 0 twice and never port 1
  EXPECT_PROBLEM(validate(s.topology), "topology.links[2].port",
                 "link 2 (1->2): port 0 of node 1 is also used by topology.links[1], expected each port 0..1 "
                 "exactly once");
  s.topology.links[2].port = 2;
  EXPECT_PROBLEM(validate(s.topology), "topology.links[2].port",
                 "port 2 out of range, expected 0..1 (node 1 has 2 output links)");
  s.topology.links[0].port = -1;
  EXPECT_PROBLEM(validate(s.topology), "topology.links[0].port", "port -1 out of range, expected 0..0");
}

// ---- routing -------------------------------------------------------------------------------------

TEST(ValidateRouting, PathCount) {
  Sample s = example_sample();
  s.routing.paths.pop_back();
  EXPECT_PROBLEM(validate(s.routing, s.topology), "routing.paths", "has 8 paths, expected N*N = 9 (N = 3");
}

TEST(ValidateRouting, DiagonalNotEmpty) {
  Sample s = example_sample();
  s.routing.paths[4] = {1};
  EXPECT_PROBLEM(validate(s.routing, s.topology), "routing.paths[4]",
                 "pair 1->1 is on the diagonal but has a path of 1 nodes, expected an empty path");
}

TEST(ValidateRouting, WrongEnds) {
  Sample s = example_sample();
  s.routing.paths[2] = {1, 2};
  s.routing.paths[6] = {2, 1};
  const auto ps = validate(s.routing, s.topology);
  EXPECT_PROBLEM(ps, "routing.paths[2]", "pair 0->2: path starts at node 1, expected 0");
  EXPECT_PROBLEM(ps, "routing.paths[6]", "pair 2->0: path ends at node 1, expected 0");
}

TEST(ValidateRouting, MissingLink) {
  Sample s = example_sample();
  s.routing.paths[2] = {0, 2};
  EXPECT_PROBLEM(validate(s.routing, s.topology), "routing.paths[2]",
                 "pair 0->2: path over a missing link 0->2 (hop 0)");
}

TEST(ValidateRouting, Loop) {
  Sample s = example_sample();
  s.routing.paths[2] = {0, 1, 0, 1, 2};
  EXPECT_PROBLEM(validate(s.routing, s.topology), "routing.paths[2]",
                 "pair 0->2: loop: path visits node 0 twice, expected a loop-free path");
}

TEST(ValidateRouting, NodeOutOfRange) {
  Sample s = example_sample();
  s.routing.paths[2] = {0, 7, 2};
  EXPECT_PROBLEM(validate(s.routing, s.topology), "routing.paths[2]",
                 "pair 0->2: path visits node 7, which does not exist (expected 0..2)");
}

// ---- traffic -------------------------------------------------------------------------------------

TEST(ValidateTraffic, PairCount) {
  Sample s = example_sample();
  s.traffic.pairs.resize(10);
  EXPECT_PROBLEM(validate(s.traffic, s.topology, s.routing), "traffic.pairs", "has 10 pairs, expected N*N = 9");
}

TEST(ValidateTraffic, DiagonalFlow) {
  Sample s = example_sample();
  s.traffic.pairs[8] = s.traffic.pairs[7];
  EXPECT_PROBLEM(validate(s.traffic, s.topology, s.routing), "traffic.pairs[8]",
                 "pair 2->2 is on the diagonal but has 1 flow, expected none");
}

TEST(ValidateTraffic, FlowWithoutPath) {
  Sample s = example_sample();
  s.routing.paths[5].clear();
  EXPECT_TRUE(validate(s.routing, s.topology).empty()) << "an unrouted pair alone is not a routing problem";
  EXPECT_PROBLEM(validate(s), "traffic.pairs[5]",
                 "flow without a path: pair 1->2 has 1 flow but routing.paths[5] is empty");
}

TEST(ValidateTraffic, Rate) {
  Sample s = example_sample();
  s.traffic.pairs[1][0].eq_lambda_bps = 0;
  s.traffic.pairs[2][0].eq_lambda_bps = kNaN;
  const auto ps = validate(s.traffic, s.topology, s.routing);
  EXPECT_PROBLEM(ps, "traffic.pairs[1][0].eq_lambda_bps", "flow 0 of pair 0->1: rate is 0 bit/s, expected > 0");
  EXPECT_PROBLEM(ps, "traffic.pairs[2][0].eq_lambda_bps", "rate is nan bit/s");
}

TEST(ValidateTraffic, Tos) {
  Sample s = example_sample();
  s.traffic.pairs[3][0].tos = 3;
  EXPECT_PROBLEM(validate(s.traffic, s.topology, s.routing), "traffic.pairs[3][0].tos",
                 "flow 0 of pair 1->0: ToS 3, expected 0..2 (levels_tos 3)");
}

TEST(ValidateTraffic, TimeParamCount) {
  Sample s = example_sample();
  s.traffic.pairs[1][0].time_params = {2};
  s.traffic.pairs[3][0].time_params = {2.7, 10, 5};
  s.traffic.pairs[2][0].time_dist = TimeDist::Trace;
  const auto ps = validate(s.traffic, s.topology, s.routing);
  EXPECT_PROBLEM(ps, "traffic.pairs[1][0].time_params",
                 "Poisson takes 2 parameters (AvgPktsLambda, ExpMaxFactor), got 1");
  EXPECT_PROBLEM(ps, "traffic.pairs[3][0].time_params",
                 "OnOff takes 4 parameters (PktsLambdaOn, AvgTOff, AvgTOn, ExpMaxFactor), got 3");
  EXPECT_PROBLEM(ps, "traffic.pairs[2][0].time_params", "Trace takes 0 parameters, got 1");
}

TEST(ValidateTraffic, TimeParamValues) {
  Sample s = example_sample();
  s.traffic.pairs[3][0].time_params[2] = 0;  // AvgTOn
  s.traffic.pairs[5][0].time_dist = TimeDist::Uniform;
  s.traffic.pairs[5][0].time_params = {5, 3};
  s.traffic.pairs[6][0].time_dist = TimeDist::Normal;
  s.traffic.pairs[6][0].time_params = {0.6, 0};  // StdDev 0 is fine
  s.traffic.pairs[7][0].time_params = {-1};
  const auto ps = validate(s.traffic, s.topology, s.routing);
  EXPECT_PROBLEM(ps, "traffic.pairs[3][0].time_params[2]", "OnOff AvgTOn is 0, expected > 0 and finite");
  EXPECT_PROBLEM(ps, "traffic.pairs[5][0].time_params", "Uniform MinPktLambda 5 > MaxPktLambda 3, expected min <= max");
  EXPECT_PROBLEM(ps, "traffic.pairs[7][0].time_params[0]", "CBR AvgPktsLambda is -1, expected > 0");
  EXPECT_EQ(ps.size(), 3U) << dump(ps);
}

TEST(ValidateTraffic, UnknownDistributionCodes) {
  Sample s = example_sample();
  s.traffic.pairs[1][0].time_dist = static_cast<TimeDist>(7);
  s.traffic.pairs[2][0].size_dist = static_cast<SizeDist>(5);
  const auto ps = validate(s.traffic, s.topology, s.routing);
  EXPECT_PROBLEM(ps, "traffic.pairs[1][0].time_dist", "unknown time distribution code 7, expected 0..6");
  EXPECT_PROBLEM(ps, "traffic.pairs[2][0].size_dist", "unknown size distribution code 5, expected 0..4");
}

TEST(ValidateTraffic, GenericCandidates) {
  Sample s = example_sample();
  s.traffic.pairs[1][0].candidates.clear();
  s.traffic.pairs[2][0].candidates[1].size_bits = 0;
  s.traffic.pairs[3][0].candidates[0].prob = 1.5;
  const auto ps = validate(s.traffic, s.topology, s.routing);
  EXPECT_PROBLEM(ps, "traffic.pairs[1][0].candidates", "Generic size distribution has no candidates");
  EXPECT_PROBLEM(ps, "traffic.pairs[2][0].candidates[1].size_bits", "candidate 1 has size 0 bits, expected > 0");
  EXPECT_PROBLEM(ps, "traffic.pairs[3][0].candidates[0].prob", "candidate 0 has probability 1.5, expected within [0, 1]");
}

TEST(ValidateTraffic, ProbabilitiesSum) {
  Sample s = example_sample();
  s.traffic.pairs[2][0].candidates[2].prob = 0.1;
  EXPECT_PROBLEM(validate(s.traffic, s.topology, s.routing), "traffic.pairs[2][0].candidates",
                 "flow 0 of pair 0->2: probabilities don't sum to 1 (sum 0.9");
}

TEST(ValidateTraffic, AvgPktSizeOfGeneric) {
  Sample s = example_sample();
  // 0.22/0.05/0.06/0.62/0.05 over 500..1500 has mean 1057.5, written 1057 (spec §4.3).
  s.traffic.pairs[1][0].candidates = {{500, .22}, {750, .05}, {1000, .06}, {1250, .62}, {1500, .05}};
  s.traffic.pairs[1][0].avg_pkt_size_bits = 1057;
  EXPECT_TRUE(validate(s.traffic, s.topology, s.routing).empty());
  s.traffic.pairs[1][0].avg_pkt_size_bits = 900;
  EXPECT_PROBLEM(validate(s.traffic, s.topology, s.routing), "traffic.pairs[1][0].avg_pkt_size_bits",
                 "avg_pkt_size_bits is 900, expected floor(sum size*prob) = 1057 (mean 1057.5)");
}

TEST(ValidateTraffic, OtherSizeDistributions) {
  Sample s = example_sample();
  Flow& uni = s.traffic.pairs[1][0];
  uni.size_dist = SizeDist::Uniform;
  uni.candidates.clear();
  uni.size_params = {1500, 500};
  Flow& bin = s.traffic.pairs[2][0];
  bin.size_dist = SizeDist::Binomial;
  bin.candidates.clear();
  bin.size_params = {500};
  Flow& det = s.traffic.pairs[3][0];
  det.size_dist = SizeDist::Deterministic;
  det.avg_pkt_size_bits = 0;
  const auto ps = validate(s.traffic, s.topology, s.routing);
  EXPECT_PROBLEM(ps, "traffic.pairs[1][0].size_params", "Uniform MinSize 1500 > MaxSize 500, expected min <= max");
  EXPECT_PROBLEM(ps, "traffic.pairs[2][0].size_params",
                 "Binomial takes 2 parameters (PktSize1, PktSize2), got 1");
  EXPECT_PROBLEM(ps, "traffic.pairs[3][0].avg_pkt_size_bits", "avg_pkt_size_bits is 0, expected > 0");
  EXPECT_PROBLEM(ps, "traffic.pairs[3][0].candidates",
                 "Deterministic size distribution has 2 candidates, expected none");
  uni.size_params = {500, 1500};
  bin.size_params = {500, 1500};
  det.candidates.clear();
  det.avg_pkt_size_bits = 1000;
  EXPECT_TRUE(validate(s.traffic, s.topology, s.routing).empty()) << dump(validate(s.traffic, s.topology, s.routing));
}

// ---- results -------------------------------------------------------------------------------------

TEST(ValidateResults, RecordCounts) {
  Sample s = example_sample();
  s.results->pairs.pop_back();
  s.results->ports.pop_back();
  s.results->flows = {s.results->pairs[1]};
  const auto ps = validate(s);
  EXPECT_PROBLEM(ps, "results.pairs", "has 8 pair records, expected N*N = 9");
  EXPECT_PROBLEM(ps, "results.ports", "has 3 port records, expected one per link (4)");
  EXPECT_PROBLEM(ps, "results.flows", "has 1 flow records, expected none or one per flow (6)");
}

TEST(ValidateResults, QueueCountPerPort) {
  Sample s = example_sample();
  s.results->ports[0].queues.push_back({});
  s.results->ports[2].queues.pop_back();
  const auto ps = validate(s);
  EXPECT_PROBLEM(ps, "results.ports[0].queues", "port of link 0 (0->1): 2 queue records, expected 1 (node 0 has 1 queue)");
  EXPECT_PROBLEM(ps, "results.ports[2].queues", "port of link 2 (1->2): 2 queue records, expected 3");
}

TEST(ValidateResults, NegativeCountsAndDrops) {
  Sample s = example_sample();
  s.results->pairs[1].pkts_gen = -1;
  s.results->pairs[2].pkts_drop = 2.5;  // > pkts_gen 1.92298
  s.results->ports[1].queues[0].avg_occupancy = -3;
  s.results->ports[3].loss = 1.5;
  const auto ps = validate(s);
  EXPECT_PROBLEM(ps, "results.pairs[1].pkts_gen", "pair 0->1: pkts_gen is -1, expected >= 0");
  EXPECT_PROBLEM(ps, "results.pairs[2].pkts_drop", "pair 0->2: pkts_drop 2.5 > pkts_gen 1.92298");
  EXPECT_PROBLEM(ps, "results.ports[1].queues[0].avg_occupancy", "queue 0: avg_occupancy is -3, expected >= 0");
  EXPECT_PROBLEM(ps, "results.ports[3].loss", "loss is 1.5, expected within [0, 1]");
}

TEST(ValidateResults, AllLostPairMayKeepEmptyDelays) {
  Sample s = example_sample();
  PathStats& p = s.results->pairs[7];
  p.pkts_drop = p.pkts_gen;
  p.avg_delay = p.p10 = p.p20 = p.p50 = p.p80 = p.p90 = p.jitter = -1;
  EXPECT_TRUE(validate(s).empty()) << dump(validate(s));
}

TEST(ValidateResults, PercentilesAndJitter) {
  Sample s = example_sample();
  s.results->pairs[2].p50 = 0.1;  // p20 0.111 > p50 0.1
  s.results->pairs[5].jitter = -0.004;
  s.results->pairs[6].p10 = -1;
  const auto ps = validate(s);
  EXPECT_PROBLEM(ps, "results.pairs[2].p50",
                 "pair 0->2: percentiles not monotone: p20 0.111 > p50 0.1, expected p10 <= p20 <= p50 <= p80 <= p90");
  EXPECT_PROBLEM(ps, "results.pairs[5].jitter", "pair 1->2: jitter is -0.004 s^2 with packets delivered");
  EXPECT_PROBLEM(ps, "results.pairs[6].p10", "pair 2->0: p10 is -1 s with packets delivered");
}

// ---- check() and helpers -------------------------------------------------------------------------

TEST(Check, ThrowsWithEveryProblemUpTo20) {
  Sample s = example_sample();
  s.id = 42;
  s.topology.links[0].bandwidth_bps = 0;
  try {
    check(s);
    FAIL() << "check() accepted a zero-capacity link";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("invalid sample 42 (graph \"ex.txt\", routing \"Routing-ex.txt\"): 1 problem:"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("topology.links[0].bandwidth_bps: link 0 (0->1): zero capacity"), std::string::npos) << what;
    EXPECT_EQ(what.find("more"), std::string::npos) << what;
  }

  for (auto& st : s.results->pairs) st.avg_bw_bps = -1;  // 9 more
  for (auto& fl : s.traffic.pairs) {
    for (auto& f : fl) f.tos = 5;  // 6 more
  }
  for (auto& p : s.results->ports) p.utilization = -1;  // 4 more
  s.topology.links[1].bandwidth_bps = 0;                // 1 more
  s.traffic.max_avg_lambda = -1;                        // 1 more: 22 in all
  ASSERT_EQ(validate(s).size(), 22U) << dump(validate(s));
  try {
    check(s);
    FAIL() << "check() accepted 22 problems";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(": 22 problems:\n"), std::string::npos) << what;
    EXPECT_NE(what.find("\n  and 2 more"), std::string::npos) << what;
    const auto lines = std::count(what.begin(), what.end(), '\n');
    EXPECT_EQ(lines, 21) << what;  // header line + 20 problems + "and 2 more"
  }
}

TEST(Check, FormatProblems) {
  const std::vector<Problem> ps{{"a", "x"}, {"b", "y"}, {"c", "z"}};
  EXPECT_EQ(format_problems(ps, 2), "  a: x\n  b: y\n  and 1 more");
  EXPECT_EQ(format_problems(ps), "  a: x\n  b: y\n  c: z");
  EXPECT_NO_THROW(throw_if_problems({}, "nothing"));
  EXPECT_THROW(throw_if_problems(ps, "three"), Error);
}

TEST(Check, ParsePolicyOrThrow) {
  EXPECT_EQ(parse_policy_or_throw("WFQ", "g.txt:12"), Policy::WFQ);
  EXPECT_EQ(parse_policy_or_throw("FIFO", "g.txt:12"), Policy::FIFO);
  try {
    (void)parse_policy_or_throw("RR", "graphs/ex.txt:14 schedulingPolicy");
    FAIL() << "RR parsed";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "graphs/ex.txt:14 schedulingPolicy: unknown scheduling policy \"RR\", expected one of FIFO, SP, "
                 "WFQ, DRR");
  }
}

// ---- robustness and scale ------------------------------------------------------------------------

TEST(Validate, GarbageDoesNotCrash) {
  Sample s = example_sample();
  s.topology.levels_tos = 1 << 30;  // a huge ToS count must not allocate per ToS
  s.topology.links.push_back({-5, 99, 1000, kNaN});
  s.routing.paths[1] = {-3, 1000};
  s.routing.paths[2] = {};
  s.traffic.pairs[2][0].candidates.clear();
  s.traffic.pairs[2][0].size_params = {kNaN, kInf, -1};
  s.results->ports.push_back(PortStats{});
  const auto ps = validate(s);
  EXPECT_PROBLEM(ps, "topology.nodes[0].queue_tos", "ToS 3, 4, 5, 6, 7 and 1073741816 more are not mapped");
  EXPECT_PROBLEM(ps, "routing.paths[1]", "path visits node -3, which does not exist");
  EXPECT_PROBLEM(ps, "traffic.pairs[2]", "flow without a path");
  EXPECT_PROBLEM(ps, "topology.links[4].src", "source node -5 does not exist");
  EXPECT_FALSE(ps.empty());
  EXPECT_THROW(check(s), Error);

  Sample empty;
  EXPECT_PROBLEM(validate(empty), "topology.nodes", "no nodes, expected at least 1 node");
}

// A ring of N nodes with minimum-hop routing and one flow per pair: valid, and validated quickly.
TEST(Validate, LargeRingIsValid) {
  constexpr int n = 100;
  Sample s;
  for (int i = 0; i < n; ++i) s.topology.nodes.push_back(make_node(static_cast<Policy>(i % 4), 16000,
                                                                    i % 4 >= 2 ? std::vector<double>{33.3, 33.3, 33.4}
                                                                               : std::vector<double>{}));
  for (int i = 0; i < n; ++i) {
    s.topology.links.push_back({i, (i + 1) % n, 0, 1e5});
    s.topology.links.push_back({i, (i + n - 1) % n, 1, 1e5});
  }
  s.routing.paths.resize(static_cast<std::size_t>(n) * n);
  s.traffic.pairs.resize(static_cast<std::size_t>(n) * n);
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < n; ++b) {
      if (a == b) continue;
      const int fwd = (b - a + n) % n;
      const int step = fwd <= n / 2 ? 1 : n - 1;
      auto& path = s.routing.paths[static_cast<std::size_t>(a) * n + b];
      for (int v = a; v != b; v = (v + step) % n) path.push_back(v);
      path.push_back(b);
      s.traffic.pairs[static_cast<std::size_t>(a) * n + b] = {
          generic_flow(TimeDist::CBR, 1000, {1}, 1000, {{500, 0.5}, {1500, 0.5}}, (a + b) % 3)};
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  const auto ps = validate(s);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(ps.empty()) << dump(ps);
  RecordProperty("validate_ms_ring100", std::to_string(ms));
  std::printf("validate() on a 100-node ring with 9900 flows: %.1f ms\n", ms);

  s.routing.paths[static_cast<std::size_t>(0) * n + 50] = {0, 2, 50};
  EXPECT_PROBLEM(validate(s), "routing.paths[50]", "pair 0->50: path over a missing link 0->2 (hop 0)");
}

}  // namespace
}  // namespace autoopt::net
