// RouteNet-Fermi features: the spec §10 3-node example (incidences, loads, queue features, labels),
// batching into one disjoint graph, the Normalizer (fit, apply, text round trip, bad text), refusal of
// samples that cannot be described, and a real 50-node validation sample (shapes, load vs measured
// port utilisation).
#include "model/features.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <vector>

#include "io/gnnet.hpp"
#include "net/error.hpp"
#include "shared_data.hpp"

namespace {

using namespace autoopt;
using model::featurize;

std::vector<std::int64_t> ints(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous().to(torch::kLong);
  return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}

double at2(const torch::Tensor& t, std::int64_t r, std::int64_t c) {
  return t.index({r, c}).item<double>();
}

net::Flow flow(net::TimeDist td, double eq, std::vector<double> params, double avg,
               std::vector<net::SizeProb> cands, int tos) {
  net::Flow f;
  f.time_dist = td;
  f.eq_lambda_bps = eq;
  f.time_params = std::move(params);
  f.size_dist = net::SizeDist::Generic;
  f.avg_pkt_size_bits = avg;
  f.candidates = std::move(cands);
  f.tos = tos;
  return f;
}

net::PathStats stats(double bw_kbps, double gen, double drop, double delay, double jitter) {
  net::PathStats s;
  s.avg_bw_bps = bw_kbps * 1000.0;
  s.pkts_gen = gen;
  s.pkts_drop = drop;
  s.avg_delay = delay;
  s.jitter = jitter;
  return s;
}

// The fictional 3-node sample of spec §10 (dataset side), results included.
net::Sample spec_example() {
  net::Sample s;
  s.id = 0;
  s.graph_name = "ex.txt";
  s.routing_name = "Routing-ex.txt";
  auto& t = s.topology;
  t.levels_tos = 3;
  t.nodes.resize(3);
  t.nodes[0].policy = net::Policy::FIFO;
  t.nodes[0].buffer_bits = {32000};
  t.nodes[0].queue_tos = {{0, 1, 2}};
  t.nodes[1].policy = net::Policy::SP;
  t.nodes[1].buffer_bits = {16000, 16000, 16000};
  t.nodes[1].queue_tos = {{0}, {1}, {2}};
  t.nodes[2].policy = net::Policy::WFQ;
  t.nodes[2].weights = {60, 30, 10};
  t.nodes[2].buffer_bits = {8000, 8000, 8000};
  t.nodes[2].queue_tos = {{0}, {1}, {2}};
  t.links = {{0, 1, 0, 1e4}, {1, 0, 0, 1e4}, {1, 2, 1, 1e4}, {2, 1, 0, 1e4}};

  s.routing.paths.resize(9);
  s.routing.paths[1] = {0, 1};
  s.routing.paths[2] = {0, 1, 2};
  s.routing.paths[3] = {1, 0};
  s.routing.paths[5] = {1, 2};
  s.routing.paths[6] = {2, 1, 0};
  s.routing.paths[7] = {2, 1};

  const std::vector<net::SizeProb> half{{500, 0.5}, {1500, 0.5}};
  const std::vector<net::SizeProb> c780{{500, 0.6}, {1000, 0.2}, {1400, 0.2}};
  s.traffic.max_avg_lambda = 3100;
  s.traffic.pairs.resize(9);
  s.traffic.pairs[1] = {flow(net::TimeDist::Poisson, 2000, {2, 10}, 1000, half, 0)};
  s.traffic.pairs[2] = {flow(net::TimeDist::CBR, 1500, {1.92308}, 780, c780, 1)};
  s.traffic.pairs[3] = {flow(net::TimeDist::OnOff, 900, {2.7, 10, 5, 10}, 1000, half, 2)};
  s.traffic.pairs[5] = {flow(net::TimeDist::Poisson, 3000, {3.84615, 10}, 780, c780, 2)};
  s.traffic.pairs[6] = {flow(net::TimeDist::Poisson, 600, {0.6, 10}, 1000, half, 0)};
  s.traffic.pairs[7] = {flow(net::TimeDist::CBR, 1000, {1}, 1000, half, 1)};

  net::Results r;
  r.pairs.assign(9, stats(0, 0, 0, -1, -1));
  r.pairs[1] = stats(2.00318, 2.00199, 0, 0.130207, 0.00391);
  r.pairs[2] = stats(1.49993, 1.92298, 0, 0.211388, 0.008702);
  r.pairs[3] = stats(0.96812, 0.967562, 0, 0.112352, 0.002894);
  r.pairs[5] = stats(2.99757, 3.84199, 0, 0.123784, 0.004913);
  r.pairs[6] = stats(0.60137, 0.601393, 0, 0.221055, 0.00742);
  r.pairs[7] = stats(1.00179, 1, 0, 0.112665, 0.002861);
  r.ports.resize(4);
  r.ports[0].utilization = 0.35;
  r.ports[1].utilization = 0.156667;
  r.ports[2].utilization = 0.45;
  r.ports[3].utilization = 0.16;
  s.results = r;
  return s;
}

TEST(Features, SpecExampleIncidences) {
  const model::SampleTensors t = featurize(spec_example(), {.dtype = torch::kDouble});
  // Paths in pair order: 0->1, 0->2, 1->0, 1->2, 2->0, 2->1.
  ASSERT_EQ(t.num_paths(), 6);
  ASSERT_EQ(t.num_links(), 4);
  ASSERT_EQ(t.num_queues(), 10);  // 1 (node 0) + 3 + 3 (node 1's two ports) + 3 (node 2)
  ASSERT_EQ(t.num_hops(), 8);
  EXPECT_EQ(t.num_samples, 1);
  EXPECT_EQ(t.max_path_length, 2);
  EXPECT_EQ(ints(t.path_pair), (std::vector<std::int64_t>{1, 2, 3, 5, 6, 7}));
  EXPECT_EQ(ints(t.path_flow), (std::vector<std::int64_t>(6, 0)));
  EXPECT_EQ(ints(t.path_offsets), (std::vector<std::int64_t>{0, 1, 3, 4, 5, 7, 8}));
  EXPECT_EQ(ints(t.hop_path), (std::vector<std::int64_t>{0, 1, 1, 2, 3, 4, 4, 5}));
  EXPECT_EQ(ints(t.hop_position), (std::vector<std::int64_t>{0, 0, 1, 0, 0, 0, 1, 0}));
  // Links: 0 = 0->1, 1 = 1->0, 2 = 1->2, 3 = 2->1.
  EXPECT_EQ(ints(t.path_to_link), (std::vector<std::int64_t>{0, 0, 2, 1, 2, 3, 1, 3}));
  // Queues: link 0 -> {0}; link 1 -> {1,2,3}; link 2 -> {4,5,6}; link 3 -> {7,8,9}.
  EXPECT_EQ(ints(t.link_queue_offsets), (std::vector<std::int64_t>{0, 1, 4, 7, 10}));
  EXPECT_EQ(ints(t.queue_to_link), (std::vector<std::int64_t>{0, 1, 1, 1, 2, 2, 2, 3, 3, 3}));
  EXPECT_EQ(ints(t.queue_position), (std::vector<std::int64_t>{0, 0, 1, 2, 0, 1, 2, 0, 1, 2}));
  // Path 0->2 (ToS 1): node 0's FIFO queue, then node 1's ToS-1 queue on link 1->2.
  const auto pq = ints(t.path_to_queue);
  EXPECT_EQ(std::vector<std::int64_t>(pq.begin() + 1, pq.begin() + 3), (std::vector<std::int64_t>{0, 5}));
  // Whole list: 0->1 ToS0 {0}; 0->2 {0,5}; 1->0 ToS2 {3}; 1->2 ToS2 {6}; 2->0 ToS0 {7,1}; 2->1 ToS1 {8}.
  EXPECT_EQ(pq, (std::vector<std::int64_t>{0, 0, 5, 3, 6, 7, 1, 8}));
  // Every hop's queue belongs to the hop's link.
  EXPECT_TRUE(torch::equal(t.queue_to_link.index_select(0, t.path_to_queue), t.path_to_link));
}

TEST(Features, SpecExampleFeatureValues) {
  const net::Sample s = spec_example();
  const model::SampleTensors t = featurize(s, {.dtype = torch::kDouble});
  namespace pc = model::path_col;
  namespace lc = model::link_col;
  namespace qc = model::queue_col;
  ASSERT_EQ(t.path_x.sizes(), torch::IntArrayRef({6, pc::count}));
  // Path 0->2: CBR 1500 bit/s, AvgPktSize 780 (true mean 780 as well), 2 links.
  EXPECT_DOUBLE_EQ(at2(t.path_x, 1, pc::eq_lambda), 1500);
  EXPECT_NEAR(at2(t.path_x, 1, pc::traffic), 1500, 1e-9);
  EXPECT_DOUBLE_EQ(at2(t.path_x, 1, pc::packets), 1500.0 / 780.0);
  EXPECT_NEAR(at2(t.path_x, 1, pc::pkt_size), 780, 1e-9);
  EXPECT_EQ(at2(t.path_x, 1, pc::td_cbr), 1);
  EXPECT_EQ(at2(t.path_x, 1, pc::td_poisson) + at2(t.path_x, 1, pc::td_onoff) + at2(t.path_x, 1, pc::td_other), 0);
  EXPECT_EQ(at2(t.path_x, 1, pc::length), 2);
  // Path 1->0: ON-OFF with AvgTOff 10, AvgTOn 5, PktsLambdaOn 2.7; it generates one packet per
  // 15 s period on top of EqLambda / AvgPktSize (spec §8.3), of 1000 bits on average.
  EXPECT_EQ(at2(t.path_x, 2, pc::td_onoff), 1);
  EXPECT_DOUBLE_EQ(at2(t.path_x, 2, pc::eq_lambda), 900);
  EXPECT_NEAR(at2(t.path_x, 2, pc::packets), 0.9 + 1.0 / 15, 1e-12);
  EXPECT_NEAR(at2(t.path_x, 2, pc::traffic), (0.9 + 1.0 / 15) * 1000, 1e-9);
  EXPECT_DOUBLE_EQ(at2(t.path_x, 2, pc::pkts_lambda_on), 2.7);
  EXPECT_DOUBLE_EQ(at2(t.path_x, 2, pc::avg_t_off), 10);
  EXPECT_DOUBLE_EQ(at2(t.path_x, 2, pc::avg_t_on), 5);
  EXPECT_DOUBLE_EQ(at2(t.path_x, 2, pc::exp_max_factor), 10);
  // Path 0->1: Poisson, ExpMaxFactor 10, no ON-OFF parameters.
  EXPECT_EQ(at2(t.path_x, 0, pc::td_poisson), 1);
  EXPECT_DOUBLE_EQ(at2(t.path_x, 0, pc::exp_max_factor), 10);
  EXPECT_EQ(at2(t.path_x, 0, pc::avg_t_on), 0);

  // Loads = sum of the rates routed over the link / capacity: 0->1 carries 2000 + 1500, 1->0 carries
  // 966.67 (ON-OFF) + 600, 1->2 carries 1500 + 3000, 2->1 carries 600 + 1000; all links 10 kbit/s.
  const double expected_load[] = {3500 / 1e4, (966.0 + 2.0 / 3 + 600) / 1e4, 4500 / 1e4, 1600 / 1e4};
  for (int l = 0; l < 4; ++l) {
    EXPECT_NEAR(at2(t.link_x, l, lc::load), expected_load[l], 1e-12) << "link " << l;
    EXPECT_EQ(at2(t.link_x, l, lc::capacity), 1e4);
  }
  // The same sums, computed by segment-summing path traffic over hops.
  const torch::Tensor hop_traffic = t.path_x.select(1, pc::traffic).index_select(0, t.hop_path);
  const torch::Tensor sums = torch::zeros({4}, torch::kDouble).index_add(0, t.path_to_link, hop_traffic);
  EXPECT_TRUE(torch::allclose(sums / t.link_x.select(1, lc::capacity), t.link_x.select(1, lc::load)));
  // They match the example's port utilisation (printed with 6 decimals).
  for (int l = 0; l < 4; ++l)
    EXPECT_NEAR(at2(t.link_x, l, lc::load), s.results->ports[static_cast<std::size_t>(l)].utilization, 1e-6);
  // Policies of the source nodes: 0 FIFO, 1 SP, 1 SP, 2 WFQ.
  EXPECT_EQ(at2(t.link_x, 0, lc::policy_fifo), 1);
  EXPECT_EQ(at2(t.link_x, 1, lc::policy_sp), 1);
  EXPECT_EQ(at2(t.link_x, 2, lc::policy_sp), 1);
  EXPECT_EQ(at2(t.link_x, 3, lc::policy_wfq), 1);
  EXPECT_EQ(t.link_x.slice(1, lc::policy_fifo).sum().item<double>(), 4);

  // Queues: buffers per queue, priority one-hot, WFQ weights normalised.
  EXPECT_EQ(at2(t.queue_x, 0, qc::buffer), 32000);
  EXPECT_EQ(at2(t.queue_x, 5, qc::buffer), 16000);
  EXPECT_EQ(at2(t.queue_x, 9, qc::buffer), 8000);
  EXPECT_EQ(at2(t.queue_x, 5, qc::priority_1), 1);
  EXPECT_EQ(t.queue_x.slice(1, qc::priority_0, qc::priority_2 + 1).sum().item<double>(), 10);
  EXPECT_DOUBLE_EQ(at2(t.queue_x, 7, qc::weight), 0.6);
  EXPECT_DOUBLE_EQ(at2(t.queue_x, 8, qc::weight), 0.3);
  EXPECT_DOUBLE_EQ(at2(t.queue_x, 9, qc::weight), 0.1);
  EXPECT_EQ(at2(t.queue_x, 0, qc::weight), 0);  // FIFO
  EXPECT_EQ(at2(t.queue_x, 4, qc::weight), 0);  // SP
}

TEST(Features, SpecExampleLabels) {
  net::Sample s = spec_example();
  s.results->pairs[5].pkts_drop = 0.5;  // some loss on 1->2 to see the ratio
  const model::SampleTensors t = featurize(s, {.dtype = torch::kDouble});
  namespace bc = model::label_col;
  ASSERT_TRUE(t.has_labels());
  ASSERT_EQ(t.labels.sizes(), torch::IntArrayRef({6, bc::count}));
  const auto pairs = ints(t.path_pair);
  for (std::int64_t p = 0; p < 6; ++p) {
    const net::PathStats& st = s.results->pairs[static_cast<std::size_t>(pairs[p])];
    EXPECT_DOUBLE_EQ(at2(t.labels, p, bc::delay), st.avg_delay);
    EXPECT_DOUBLE_EQ(at2(t.labels, p, bc::jitter), st.jitter);
    EXPECT_DOUBLE_EQ(at2(t.labels, p, bc::loss), st.pkts_drop / st.pkts_gen);
    EXPECT_DOUBLE_EQ(at2(t.labels, p, bc::pkt_size), st.avg_bw_bps / st.pkts_gen);
  }
  EXPECT_NEAR(at2(t.labels, 3, bc::loss), 0.5 / 3.84199, 1e-12);

  // Per-flow results, when present, win over the pair records.
  net::Sample f = spec_example();
  for (const auto& pf : f.traffic.pairs)
    for (std::size_t i = 0; i < pf.size(); ++i) f.results->flows.push_back(stats(1, 2, 1, 0.5, 0.25));
  const model::SampleTensors tf = featurize(f);
  EXPECT_EQ(tf.labels.scalar_type(), torch::kFloat);
  EXPECT_FLOAT_EQ(at2(tf.labels, 4, bc::delay), 0.5);
  EXPECT_FLOAT_EQ(at2(tf.labels, 4, bc::loss), 0.5);
  EXPECT_FLOAT_EQ(at2(tf.labels, 4, bc::pkt_size), 500);

  net::Sample none = spec_example();
  none.results.reset();
  EXPECT_FALSE(featurize(none).has_labels());
}

TEST(Features, SeveralFlowsPerPairMakeSeveralPaths) {
  net::Sample s = spec_example();
  s.results.reset();
  s.traffic.pairs[2].push_back(s.traffic.pairs[1][0]);  // a second flow 0->2, ToS 0
  const model::SampleTensors t = featurize(s);
  ASSERT_EQ(t.num_paths(), 7);
  EXPECT_EQ(ints(t.path_pair), (std::vector<std::int64_t>{1, 2, 2, 3, 5, 6, 7}));
  EXPECT_EQ(ints(t.path_flow), (std::vector<std::int64_t>{0, 0, 1, 0, 0, 0, 0}));
  const auto pq = ints(t.path_to_queue);
  EXPECT_EQ(std::vector<std::int64_t>(pq.begin() + 3, pq.begin() + 5), (std::vector<std::int64_t>{0, 4}));
  EXPECT_NEAR(at2(t.link_x, 0, model::link_col::load), 5500 / 1e4, 1e-6);

  // With results but no per-flow records the labels cannot be split.
  s.results = spec_example().results;
  try {
    (void)featurize(s);
    FAIL() << "expected autoopt::Error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "featurize: pair 2 (0 -> 2) has 2 flows but the results have no per-flow records "
                 "(flowSimulationResults)");
  }
}

TEST(Features, UndescribableSamplesAreRefused) {
  auto message = [](const net::Sample& s) -> std::string {
    try {
      (void)featurize(s);
    } catch (const Error& e) {
      return e.what();
    }
    return "<no exception>";
  };
  net::Sample a = spec_example();
  a.routing.paths[2].clear();
  EXPECT_EQ(message(a), "featurize: pair 2 (0 -> 2) has 1 flow(s) but no route from 0 to 2 in the routing");
  net::Sample b = spec_example();
  b.routing.paths[6] = {2, 0};
  EXPECT_EQ(message(b), "featurize: the route of pair 6 (2 -> 0) uses 2 -> 0, which is not a link of the topology");
  net::Sample c = spec_example();
  c.traffic.pairs[7][0].tos = 5;
  EXPECT_EQ(message(c), "featurize: node 2 has no queue for ToS 5 (tosToQoSqueue), used by pair 7 (2 -> 1)");
  net::Sample d = spec_example();
  d.topology.links[3].bandwidth_bps = 0;
  EXPECT_EQ(message(d), "featurize: link 3 (2 -> 1) has bandwidth 0, expected > 0");
  net::Sample e = spec_example();
  e.topology.nodes[1].buffer_bits.assign(4, 1000);
  e.topology.nodes[1].queue_tos.push_back({});
  EXPECT_EQ(message(e), "featurize: node 1 has 4 queues, expected 1..3");
  net::Sample f = spec_example();
  f.traffic.pairs.pop_back();
  EXPECT_EQ(message(f), "featurize: traffic has 8 pair entries, expected N*N = 9");
}

// A second, different sample: the 3-node line without node 2's WFQ (FIFO everywhere) and fewer flows.
net::Sample other_example() {
  net::Sample s = spec_example();
  s.topology.nodes[2] = s.topology.nodes[0];
  s.topology.nodes[2].buffer_bits = {64000};
  s.traffic.pairs[1].clear();
  s.traffic.pairs[5][0].eq_lambda_bps = 5000;
  s.results->pairs[5].avg_delay = 0.3;
  return s;
}

TEST(Features, BatchShiftsIndicesIntoOneDisjointGraph) {
  const model::SampleTensors a = featurize(spec_example());
  const model::SampleTensors b = featurize(other_example());
  ASSERT_EQ(b.num_queues(), 8);
  ASSERT_EQ(b.num_paths(), 5);
  const std::vector<model::SampleTensors> parts{a, b};
  const model::SampleTensors t = model::batch(parts);
  ASSERT_EQ(t.num_paths(), a.num_paths() + b.num_paths());
  ASSERT_EQ(t.num_links(), 8);
  ASSERT_EQ(t.num_queues(), 18);
  ASSERT_EQ(t.num_hops(), a.num_hops() + b.num_hops());
  EXPECT_EQ(t.num_samples, 2);
  EXPECT_EQ(t.max_path_length, 2);

  // The second sample's indices are shifted by the first's counts.
  const auto pl = ints(t.path_to_link), al = ints(a.path_to_link), bl = ints(b.path_to_link);
  const auto pq = ints(t.path_to_queue), bq = ints(b.path_to_queue);
  const auto hp = ints(t.hop_path), bh = ints(b.hop_path);
  for (std::size_t k = 0; k < bl.size(); ++k) {
    EXPECT_EQ(pl[al.size() + k], bl[k] + 4);
    EXPECT_EQ(pq[al.size() + k], bq[k] + 10);
    EXPECT_EQ(hp[al.size() + k], bh[k] + 6);
  }
  const auto po = ints(t.path_offsets), bo = ints(b.path_offsets);
  ASSERT_EQ(po.size(), 12u);
  for (std::size_t p = 0; p < bo.size(); ++p) EXPECT_EQ(po[6 + p], bo[p] + a.num_hops());
  const auto lq = ints(t.link_queue_offsets);
  EXPECT_EQ(lq, (std::vector<std::int64_t>{0, 1, 4, 7, 10, 11, 14, 17, 18}));
  EXPECT_EQ(ints(t.queue_to_link).back(), 7);
  EXPECT_EQ(ints(t.path_sample), (std::vector<std::int64_t>{0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1}));
  EXPECT_EQ(ints(t.link_sample), (std::vector<std::int64_t>{0, 0, 0, 0, 1, 1, 1, 1}));

  // Gathering through the batched incidences gives the per-sample gathers, concatenated.
  EXPECT_TRUE(torch::equal(t.link_x.index_select(0, t.path_to_link),
                           torch::cat({a.link_x.index_select(0, a.path_to_link),
                                       b.link_x.index_select(0, b.path_to_link)})));
  EXPECT_TRUE(torch::equal(t.queue_x.index_select(0, t.path_to_queue),
                           torch::cat({a.queue_x.index_select(0, a.path_to_queue),
                                       b.queue_x.index_select(0, b.path_to_queue)})));
  EXPECT_TRUE(torch::equal(t.labels, torch::cat({a.labels, b.labels})));

  // Batching batches keeps sample ids distinct.
  const std::vector<model::SampleTensors> nested{t, b};
  EXPECT_EQ(ints(model::batch(nested).link_sample).back(), 2);

  // Mixed parts are refused.
  net::Sample unlabelled = spec_example();
  unlabelled.results.reset();
  const std::vector<model::SampleTensors> mixed{a, featurize(unlabelled)};
  EXPECT_THROW((void)model::batch(mixed), Error);
  const std::vector<model::SampleTensors> dtypes{a, featurize(spec_example(), {.dtype = torch::kDouble})};
  EXPECT_THROW((void)model::batch(dtypes), Error);
  EXPECT_THROW((void)model::batch({}), Error);
}

TEST(Features, NormalizerFitApplyAndTextRoundTrip) {
  const std::vector<model::SampleTensors> parts{featurize(spec_example(), {.dtype = torch::kDouble}),
                                                featurize(other_example(), {.dtype = torch::kDouble})};
  const model::Normalizer norm = model::Normalizer::fit(parts);
  const model::SampleTensors all = model::batch(parts);
  const model::SampleTensors z = norm.apply(all);

  auto check = [](const torch::Tensor& raw, const torch::Tensor& scaled,
                  std::span<const model::ColumnInfo> cols, const std::vector<model::Normalizer::Stat>& st) {
    ASSERT_EQ(st.size(), cols.size());
    for (std::size_t c = 0; c < cols.size(); ++c) {
      EXPECT_EQ(st[c].name, cols[c].name);
      const torch::Tensor x = scaled.select(1, static_cast<std::int64_t>(c));
      const torch::Tensor r = raw.select(1, static_cast<std::int64_t>(c));
      const bool constant = (r.max() - r.min()).item<double>() == 0.0;
      if (cols[c].scaled && !constant) {
        EXPECT_NEAR(x.mean().item<double>(), 0.0, 1e-9) << cols[c].name;
        EXPECT_NEAR((x.pow(2).mean()).sqrt().item<double>(), 1.0, 1e-9) << cols[c].name;
      } else if (!cols[c].scaled) {
        EXPECT_TRUE(torch::equal(x, r)) << cols[c].name;
      } else {
        EXPECT_EQ(st[c].std, 1.0) << cols[c].name;  // constant column: shifted only
      }
    }
  };
  check(all.path_x, z.path_x, model::path_columns(), norm.path());
  check(all.link_x, z.link_x, model::link_columns(), norm.link());
  check(all.queue_x, z.queue_x, model::queue_columns(), norm.queue());
  EXPECT_TRUE(torch::equal(z.path_to_link, all.path_to_link));

  const std::string text = norm.to_text();
  EXPECT_EQ(text.rfind("autoopt-normalizer 1\npath traffic ", 0), 0u) << text;
  const model::Normalizer back = model::Normalizer::from_text(text);
  EXPECT_EQ(back, norm);
  EXPECT_TRUE(torch::equal(back.apply(all).path_x, z.path_x));
  EXPECT_EQ(model::Normalizer::from_text(model::Normalizer().to_text()), model::Normalizer());

  // Bad text names the line and what was expected.
  auto message = [](const std::string& t) -> std::string {
    try {
      (void)model::Normalizer::from_text(t);
    } catch (const Error& e) {
      return e.what();
    }
    return "<no exception>";
  };
  EXPECT_EQ(message("hello\n"), "normalizer text line 1: expected 'autoopt-normalizer 1', got 'hello'");
  std::string swapped = text;
  swapped.replace(swapped.find("path packets"), 12, "path pockets");
  EXPECT_EQ(message(swapped).rfind("normalizer text line 3: expected 'path packets <mean> <std>', got 'path pockets ", 0), 0u)
      << message(swapped);
  std::string zero_std = text;
  const auto line = zero_std.find("link capacity ");
  const auto eol = zero_std.find('\n', line);
  zero_std.replace(line, eol - line, "link capacity 5 0");
  EXPECT_EQ(message(zero_std), "normalizer text line 15: expected a positive finite std for link capacity, got '0'");
  EXPECT_EQ(message(text.substr(0, text.find("queue buffer"))),
            "normalizer text line 21: expected 'queue buffer <mean> <std>', got 'end of text'");
  EXPECT_EQ(message(text + "extra\n"), "normalizer text line 26: expected end of text, got 'extra'");
}

TEST(Features, RealValidationSample) {
  const auto dir = autoopt::testing::shared_dir() / "data/gnnet2022/validation/50";
  AUTOOPT_REQUIRE_SHARED(dir);
  io::GnnetDataset ds(dir);
  ASSERT_GT(ds.size(), 0u);
  int loss_free = 0;
  double worst = 0.0;
  for (std::size_t i = 0; i < ds.size(); ++i) {
    const net::Sample s = ds.load(i);
    const model::SampleTensors t = featurize(s, {.dtype = torch::kDouble});
    const int n = s.num_nodes();
    std::int64_t paths = 0, hops = 0, queues = 0;
    for (std::size_t k = 0; k < s.traffic.pairs.size(); ++k) {
      paths += static_cast<std::int64_t>(s.traffic.pairs[k].size());
      if (!s.traffic.pairs[k].empty())
        hops += static_cast<std::int64_t>(s.traffic.pairs[k].size() * (s.routing.paths[k].size() - 1));
    }
    for (const auto& l : s.topology.links) queues += s.topology.nodes[static_cast<std::size_t>(l.src)].num_queues();
    ASSERT_EQ(t.num_paths(), paths);
    EXPECT_EQ(paths, static_cast<std::int64_t>(n) * (n - 1));  // one flow per off-diagonal pair
    EXPECT_EQ(t.num_links(), static_cast<std::int64_t>(s.topology.links.size()));
    EXPECT_EQ(t.num_queues(), queues);
    EXPECT_EQ(t.num_hops(), hops);
    ASSERT_TRUE(t.has_labels());
    EXPECT_GT(t.labels.select(1, model::label_col::delay).min().item<double>(), 0.0);
    EXPECT_TRUE(torch::equal(t.queue_to_link.index_select(0, t.path_to_queue), t.path_to_link));

    // Loads against the measured port utilisation U of loss-free samples (where every generated
    // bit is carried): within 2% of U per port (plus 0.002 for nearly idle ports), 1% overall.
    if (s.results->global_losses != 0) continue;
    ++loss_free;
    double num = 0, den = 0;
    for (std::size_t l = 0; l < s.topology.links.size(); ++l) {
      const double load = at2(t.link_x, static_cast<std::int64_t>(l), model::link_col::load);
      const double u = s.results->ports[l].utilization;
      EXPECT_NEAR(load, u, 0.02 * u + 0.002) << "sample " << s.id << " link " << l;
      num += std::abs(load - u);
      den += u;
      if (u > 0.05) worst = std::max(worst, std::abs(load - u) / u);
    }
    EXPECT_LT(num / den, 0.01) << "sample " << s.id;
  }
  EXPECT_GT(loss_free, 0) << "no loss-free sample to compare loads with";
  std::cout << "loss-free samples: " << loss_free << ", worst per-port relative load error (U > 5%): "
            << worst << "\n";
}

}  // namespace
