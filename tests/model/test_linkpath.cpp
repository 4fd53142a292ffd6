// Link-path samples (GNNet 2023 measured data) on the model side: featurize_link_paths() on a
// hand-made sample against hand values (rows, incidences, loads, labels, missing delays), refusal of
// bad paths, batching; the objective's masks for unmeasured jitter and drop ratio by hand; the
// label-derived occupancy scale against its closed form and the rule fit() picks; prediction
// records, the CSV and the evaluation table in the data's unit (ms); and a few real GNNet 2023 lines
// featurized, trained without any Results (lower training MAPE after a few epochs, the same run as
// with the old empty-Results marking) and predicted, and the filter model's per-sample loss and
// influence on them.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <vector>

#include "io/gnnet2023.hpp"
#include "model/features.hpp"
#include "model/filter_model.hpp"
#include "model/report.hpp"
#include "model/trainer.hpp"
#include "net/error.hpp"
#include "shared_data.hpp"

namespace {

using namespace autoopt;

std::vector<double> doubles(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kDouble).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}
std::vector<std::int64_t> longs(const at::Tensor& t) {
  const at::Tensor c = t.contiguous();
  return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}

// Nodes 0, 1, 2 (FIFO, one queue, ToS 0). Links: 0: 0->1 (1 Gb/s), 1: 1->2 (1 Gb/s), 2: 1->2
// (10 Gb/s, parallel to 1), 3: 2->0 (80 Gb/s). Flows: f0 CBR over {0, 1}, measured 2 ms;
// f1 ON-OFF over {0, 2, 3, 0} (crosses node 0 twice), not measured; f2 CBR over {3}, 0.5 ms.
net::Sample hand_sample() {
  net::Sample s;
  s.id = 7;
  s.graph_name = "hand";
  auto& t = s.topology;
  t.levels_tos = 1;
  t.nodes.resize(3);
  for (auto& n : t.nodes) {
    n.policy = net::Policy::FIFO;
    n.buffer_bits = {0.0};
    n.queue_tos = {{0}};
  }
  t.links = {{0, 1, 0, 1e9}, {1, 2, 0, 1e9}, {1, 2, 1, 1e10}, {2, 0, 0, 8e10}};
  auto flow = [](std::string name, net::TimeDist td, double bps, double size, std::vector<int> links,
                 double delay) {
    net::PathFlow f;
    f.name = std::move(name);
    f.time_dist = td;
    f.traffic_bps = bps;
    f.avg_pkt_size_bits = size;
    f.packets_per_s = bps / size;
    f.links = std::move(links);
    f.avg_delay = delay;
    return f;
  };
  s.link_paths.flows = {flow("0_2_0", net::TimeDist::CBR, 1e8, 8000, {0, 1}, 0.002),
                        flow("0_1_0", net::TimeDist::OnOff, 2e8, 4000, {0, 2, 3, 0}, -1.0),
                        flow("2_0_0", net::TimeDist::CBR, 5e7, 1000, {3}, 0.0005)};
  s.link_paths.delay_unit_s = 1e-3;
  return s;
}

TEST(LinkPathFeatures, HandSampleRowsIncidencesAndLabels) {
  const net::Sample s = hand_sample();
  ASSERT_TRUE(model::is_link_path_sample(s));
  const model::SampleTensors t = model::featurize(s, {.dtype = at::kDouble});
  ASSERT_EQ(t.num_paths(), 3);
  ASSERT_EQ(t.num_links(), 4);
  ASSERT_EQ(t.num_queues(), 4);
  ASSERT_EQ(t.num_hops(), 7);
  EXPECT_EQ(t.max_path_length, 4);
  EXPECT_EQ(longs(t.path_offsets), (std::vector<std::int64_t>{0, 2, 6, 7}));
  EXPECT_EQ(longs(t.hop_path), (std::vector<std::int64_t>{0, 0, 1, 1, 1, 1, 2}));
  EXPECT_EQ(longs(t.hop_position), (std::vector<std::int64_t>{0, 1, 0, 1, 2, 3, 0}));
  EXPECT_EQ(longs(t.path_to_link), (std::vector<std::int64_t>{0, 1, 0, 2, 3, 0, 3}));
  EXPECT_EQ(longs(t.path_to_queue), (std::vector<std::int64_t>{0, 1, 0, 2, 3, 0, 3}));
  EXPECT_EQ(longs(t.queue_to_link), (std::vector<std::int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(longs(t.link_queue_offsets), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(longs(t.path_pair), (std::vector<std::int64_t>{0 * 3 + 2, 0 * 3 + 1, 2 * 3 + 0}));
  EXPECT_EQ(longs(t.path_flow), (std::vector<std::int64_t>{0, 1, 2}));

  const auto px = doubles(t.path_x);
  const auto P = [&](int p, std::int64_t c) { return px[static_cast<std::size_t>(p * model::path_col::count + c)]; };
  EXPECT_EQ(P(0, model::path_col::traffic), 1e8);
  EXPECT_EQ(P(0, model::path_col::eq_lambda), 1e8);
  EXPECT_EQ(P(0, model::path_col::packets), 1e8 / 8000);
  EXPECT_EQ(P(0, model::path_col::pkt_size), 8000);
  EXPECT_EQ(P(0, model::path_col::td_cbr), 1);
  EXPECT_EQ(P(0, model::path_col::td_onoff), 0);
  EXPECT_EQ(P(0, model::path_col::length), 2);
  EXPECT_EQ(P(1, model::path_col::td_onoff), 1);
  EXPECT_EQ(P(1, model::path_col::td_cbr), 0);
  for (const auto c : {model::path_col::pkts_lambda_on, model::path_col::avg_t_off, model::path_col::avg_t_on,
                       model::path_col::exp_max_factor}) {
    EXPECT_EQ(P(1, c), 0) << "ON-OFF parameter column " << c;
  }
  EXPECT_EQ(P(1, model::path_col::length), 4);
  EXPECT_EQ(P(2, model::path_col::packets), 5e7 / 1000);

  const auto lx = doubles(t.link_x);
  const auto L = [&](int l, std::int64_t c) { return lx[static_cast<std::size_t>(l * model::link_col::count + c)]; };
  EXPECT_EQ(L(2, model::link_col::capacity), 1e10);
  // f1 crosses link 0 twice, so it loads it twice.
  EXPECT_NEAR(L(0, model::link_col::load), (1e8 + 2 * 2e8) / 1e9, 1e-15);
  EXPECT_NEAR(L(1, model::link_col::load), 1e8 / 1e9, 1e-15);
  EXPECT_NEAR(L(2, model::link_col::load), 2e8 / 1e10, 1e-15);
  EXPECT_NEAR(L(3, model::link_col::load), (2e8 + 5e7) / 8e10, 1e-15);
  for (int l = 0; l < 4; ++l) EXPECT_EQ(L(l, model::link_col::policy_fifo), 1);
  const auto qx = doubles(t.queue_x);
  for (int q = 0; q < 4; ++q) {
    EXPECT_EQ(qx[static_cast<std::size_t>(q * model::queue_col::count + model::queue_col::buffer)], 0);
    EXPECT_EQ(qx[static_cast<std::size_t>(q * model::queue_col::count + model::queue_col::priority_0)], 1);
  }

  ASSERT_TRUE(t.has_labels());
  const auto y = doubles(t.labels);
  const auto Y = [&](int p, std::int64_t c) { return y[static_cast<std::size_t>(p * model::label_col::count + c)]; };
  EXPECT_EQ(Y(0, model::label_col::delay), 0.002);
  EXPECT_EQ(Y(1, model::label_col::delay), -1.0);  // not measured: masked by delay > 0
  EXPECT_EQ(Y(2, model::label_col::delay), 0.0005);
  for (int p = 0; p < 3; ++p) {
    EXPECT_LE(Y(p, model::label_col::jitter), 0.0);  // masked
    EXPECT_LT(Y(p, model::label_col::loss), 0.0);    // not measured: masked
  }
  EXPECT_EQ(Y(1, model::label_col::pkt_size), 4000);
}

TEST(LinkPathFeatures, NoMeasuredDelayMeansNoLabels) {
  net::Sample s = hand_sample();
  for (auto& f : s.link_paths.flows) f.avg_delay = -1.0;
  EXPECT_FALSE(model::featurize(s).has_labels());
  s.results.emplace();  // marked as labelled (what autoopt train does for link-path data)
  EXPECT_TRUE(model::featurize(s).has_labels());
}

TEST(LinkPathFeatures, BatchesWithItself) {
  const net::Sample s = hand_sample();
  const model::SampleTensors a = model::featurize(s);
  const std::vector<model::SampleTensors> parts{a, a};
  const model::SampleTensors b = model::batch(parts);
  EXPECT_EQ(b.num_paths(), 6);
  EXPECT_EQ(longs(b.path_to_link).back(), 3 + 4);
  EXPECT_EQ(longs(b.path_sample), (std::vector<std::int64_t>{0, 0, 0, 1, 1, 1}));
}

TEST(LinkPathFeatures, RefusesBadPaths) {
  net::Sample s = hand_sample();
  s.link_paths.flows[1].links[2] = 9;
  try {
    (void)model::featurize(s);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("flow 1 (0_1_0) hop 2 uses link 9, expected 0..3"), std::string::npos)
        << e.what();
  }
  s = hand_sample();
  s.link_paths.flows[2].links.clear();
  EXPECT_THROW((void)model::featurize(s), Error);
  s = hand_sample();
  s.link_paths.flows[0].avg_pkt_size_bits = 0;
  try {
    (void)model::featurize(s);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("flow 0 (0_2_0) has mean packet size 0"), std::string::npos) << e.what();
  }
}

TEST(LinkPathReport, RecordsCsvAndTableInMilliseconds) {
  const net::Sample s = hand_sample();
  const std::vector<double> delay_s{0.001, 0.003, 0.0002}, jitter{1e-6, 1e-6, 1e-6}, loss{0.1, 0.1, 0.1};
  const model::SampleRecords r = model::make_records(s, 5, delay_s, jitter, loss);
  EXPECT_EQ(r.index, 5u);
  EXPECT_EQ(r.nodes, 3);
  EXPECT_EQ(r.delay_unit_s, 1e-3);
  EXPECT_TRUE(r.has_truth);
  ASSERT_EQ(r.paths.size(), 3u);
  const int src[] = {0, 0, 2}, dst[] = {2, 1, 0};
  for (std::size_t p = 0; p < 3; ++p) {
    EXPECT_EQ(r.paths[p].src, src[p]);
    EXPECT_EQ(r.paths[p].dst, dst[p]);
    EXPECT_EQ(r.paths[p].flow, static_cast<int>(p));
    EXPECT_NEAR(r.paths[p].pred_delay, delay_s[p] * 1000.0, 1e-12);
    EXPECT_TRUE(std::isnan(r.paths[p].pred_jitter));
    EXPECT_TRUE(std::isnan(r.paths[p].true_loss));
  }
  EXPECT_NEAR(r.paths[0].true_delay, 2.0, 1e-12);
  EXPECT_TRUE(std::isnan(r.paths[1].true_delay));
  EXPECT_NEAR(r.paths[2].true_delay, 0.5, 1e-12);

  const std::vector<model::SampleRecords> all{r};
  const std::string csv = model::predictions_csv(all);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "sample_index,sample_id,graph,nodes,src,dst,flow,pred_delay,pred_jitter,pred_loss,true_delay,"
            "true_jitter,true_loss,delay_unit");
  EXPECT_NE(csv.find("\n5,7,hand,3,0,1,1,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",,,,,,ms\n"), std::string::npos) << csv;  // flow 1: only its prediction
  EXPECT_EQ(csv.find("nan"), std::string::npos) << csv;

  const auto back = model::deserialize(model::serialize(all));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].delay_unit_s, 1e-3);
  EXPECT_EQ(back[0].paths[0].pred_delay, r.paths[0].pred_delay);
  EXPECT_TRUE(std::isnan(back[0].paths[1].true_delay));

  model::EvaluationTable table;
  table.add(r);
  const auto rows = table.rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].nodes, 3);
  EXPECT_EQ(rows[1].delay_paths, 2);
  EXPECT_EQ(rows[1].jitter_paths, 0);
  EXPECT_EQ(rows[1].loss_paths, 0);
  EXPECT_NEAR(rows[1].delay_mape, (0.5 + 0.6) / 2, 1e-12);
  EXPECT_TRUE(std::isfinite(rows[1].loss_mae));
  EXPECT_NE(table.to_text().find("n/a"), std::string::npos) << table.to_text();
  EXPECT_EQ(table.to_json().find("nan"), std::string::npos);

  EXPECT_THROW((void)model::make_records(s, 0, std::vector<double>{1.0}, jitter, loss), Error);
}

TEST(LinkPathObjective, MasksUnmeasuredJitterAndDropRatio) {
  const model::SampleTensors t = model::featurize(hand_sample(), {.dtype = at::kDouble});
  model::RouteNetOutput out;
  out.delay = torch::tensor({0.003, 0.5, 0.0004}, torch::kDouble);
  out.jitter_var = torch::tensor({1e-6, 2e-6, 3e-6}, torch::kDouble);
  out.jitter_z = torch::tensor({0.1, 0.2, 0.3}, torch::kDouble);
  out.loss_logit = torch::tensor({0.3, -2.0, 1.0}, torch::kDouble);
  model::FitOptions o;  // default (non-zero) jitter and drop-ratio weights
  ASSERT_GT(o.jitter_weight, 0.0);
  ASSERT_GT(o.loss_weight, 0.0);
  const model::Objective r = model::training_objective(out, t.labels, model::RouteNetConfig{}, o);
  const double dm = (std::abs(0.003 - 0.002) / 0.002 + std::abs(0.0004 - 0.0005) / 0.0005) / 2;  // flow 1 unmeasured
  EXPECT_NEAR(r.delay_mape.item<double>(), dm, 1e-12);
  EXPECT_EQ(r.jitter.item<double>(), 0.0);
  EXPECT_EQ(r.loss_bce.item<double>(), 0.0);
  EXPECT_NEAR(r.total.item<double>(), dm, 1e-12);
}

TEST(LinkPathOccupancyScale, ClosedFormOnHandSample) {
  net::Sample s = hand_sample();
  // A fourth flow faster than its transmission time: implied occupancy 0, left out of the median.
  net::PathFlow f = s.link_paths.flows[0];
  f.avg_delay = 1e-6;  // < 8000 bits * 2 / 1e9 = 16 us
  s.link_paths.flows.push_back(f);
  const model::SampleTensors t = model::featurize(s, {.dtype = at::kDouble});
  // f0: S = 2 / 1e9, s = (2 ms - 8000 S) / S; f1 unmeasured; f2: S = 1 / 8e10.
  const double s0 = (0.002 - 8000 * 2e-9) / 2e-9, s2 = (0.0005 - 1000 / 8e10) * 8e10;
  EXPECT_NEAR(model::label_occupancy_scale(t), 0.5 * (s0 + s2), 1e-6 * s2);
  // Odd count: the middle value.
  s.link_paths.flows.push_back(s.link_paths.flows[0]);
  s.link_paths.flows.back().avg_delay = 0.004;
  const double s4 = (0.004 - 8000 * 2e-9) / 2e-9;
  EXPECT_NEAR(model::label_occupancy_scale(model::featurize(s, {.dtype = at::kDouble})), s4, 1e-6 * s4);
  for (auto& fl : s.link_paths.flows) fl.avg_delay = -1;
  EXPECT_EQ(model::label_occupancy_scale(model::featurize(s)), 0.0);  // no labels

  // fit(): auto picks the labels for link-path training data, packet keeps the mean packet size.
  torch::set_num_threads(1);
  const std::vector<net::Sample> train{hand_sample()};
  model::RouteNetConfig cfg;
  cfg.iterations = 1;
  cfg.path_dim = cfg.link_dim = cfg.queue_dim = 4;
  model::FitOptions o;
  o.epochs = 1;
  model::Trainer tr(cfg);
  model::FitReport rep = tr.fit(train, {}, o);
  const double expected = model::label_occupancy_scale(model::featurize(train[0], {.dtype = at::kFloat}));
  EXPECT_EQ(rep.occupancy_scale, model::OccupancyScale::labels);
  EXPECT_EQ(rep.occupancy_scale_bits, expected);
  EXPECT_EQ(tr.config().occupancy_scale, expected);
  o.occupancy_scale = model::OccupancyScale::packet;
  rep = tr.fit(train, {}, o);
  EXPECT_EQ(rep.occupancy_scale, model::OccupancyScale::packet);
  EXPECT_NEAR(tr.config().occupancy_scale, (8000.0 + 4000.0 + 1000.0) / 3, 1e-3);
  EXPECT_EQ(model::parse_occupancy_scale("labels"), model::OccupancyScale::labels);
  EXPECT_EQ(model::occupancy_scale_name(model::parse_occupancy_scale("auto")), "auto");
  try {
    (void)model::parse_occupancy_scale("median");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("expected 'auto', 'packet' or 'labels', got 'median'"), std::string::npos)
        << e.what();
  }
}

std::vector<net::Sample> real_lines(std::size_t count) {
  const auto file = autoopt::testing::shared_dir() / "data" / "gnnet2023-real" / "mb" / "fold0.jsonl.gz";
  std::vector<net::Sample> samples;
  io::for_each_gnnet2023_sample(file, [&](std::size_t i, const net::Sample& s) {
    if (i < count) samples.push_back(s);
  });
  return samples;
}

model::RouteNetConfig tiny_config() {
  model::RouteNetConfig cfg;
  cfg.iterations = 2;
  cfg.path_dim = cfg.link_dim = cfg.queue_dim = 8;
  cfg.readout_hidden = 8;
  return cfg;
}

TEST(LinkPathReal, TrainsWithoutResultsAndLowersTrainingMape) {
  AUTOOPT_REQUIRE_SHARED(autoopt::testing::shared_dir() / "data" / "gnnet2023-real" / "mb" / "fold0.jsonl.gz");
  const std::vector<net::Sample> train = real_lines(4);
  ASSERT_EQ(train.size(), 4u);
  for (const auto& s : train) {
    ASSERT_FALSE(s.results.has_value());
    ASSERT_TRUE(model::has_labels(s));
  }
  torch::set_num_threads(1);
  model::FitOptions o;  // default weights: the masks make the jitter and drop-ratio terms vanish
  o.epochs = 6;
  o.patience = 6;
  o.batch_size = 2;
  o.lr = 5e-3;
  model::Trainer trainer(tiny_config());
  const model::FitReport rep = trainer.fit(train, {}, o);
  ASSERT_EQ(rep.epochs.size(), 6u);
  EXPECT_EQ(rep.occupancy_scale, model::OccupancyScale::labels);
  for (const auto& e : rep.epochs) {
    EXPECT_TRUE(std::isfinite(e.train_loss)) << "epoch " << e.epoch;
    EXPECT_NEAR(e.train_loss, e.train_delay_mape, 1e-6) << "only the delay term: epoch " << e.epoch;
  }
  const model::Metrics after = trainer.evaluate(train);
  EXPECT_EQ(after.delay_mape, rep.best_val_delay_mape);
  // The training-set MAPE (val_delay_mape without validation samples) after the last epoch is lower
  // than after the first.
  EXPECT_LT(rep.epochs.back().val_delay_mape, rep.epochs.front().val_delay_mape);
  EXPECT_EQ(after.loss_paths, 0);  // drop ratio not measured
  EXPECT_GT(after.delay_paths, 0);

  // The old marking (an empty Results on link-path samples) trains the very same model.
  std::vector<net::Sample> marked = train;
  for (auto& s : marked) s.results.emplace();
  model::Trainer again(tiny_config());
  const model::FitReport rep2 = again.fit(marked, {}, o);
  ASSERT_EQ(rep2.epochs.size(), rep.epochs.size());
  for (std::size_t e = 0; e < rep.epochs.size(); ++e) {
    EXPECT_EQ(rep2.epochs[e].train_loss, rep.epochs[e].train_loss) << "epoch " << e + 1;
    EXPECT_EQ(rep2.epochs[e].val_delay_mape, rep.epochs[e].val_delay_mape) << "epoch " << e + 1;
  }

  // A link-path sample without any measured delay (and no Results) has no labels.
  std::vector<net::Sample> unlabelled{train[0]};
  for (auto& f : unlabelled[0].link_paths.flows) f.avg_delay = -1;
  try {
    (void)again.evaluate(unlabelled);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no flow of its link paths has a measured delay"), std::string::npos)
        << e.what();
  }
}

TEST(LinkPathReal, FilterModelLossAndInfluence) {
  AUTOOPT_REQUIRE_SHARED(autoopt::testing::shared_dir() / "data" / "gnnet2023-real" / "mb" / "fold0.jsonl.gz");
  const std::vector<net::Sample> all = real_lines(6);
  ASSERT_EQ(all.size(), 6u);
  const std::vector<net::Sample> pool(all.begin(), all.begin() + 4), val(all.begin() + 4, all.end());
  torch::set_num_threads(1);
  model::FilterModelOptions fo;
  fo.config = tiny_config();
  fo.fit.epochs = 2;
  fo.fit.patience = 2;
  fo.fit.batch_size = 2;
  fo.influence_steps = 2;
  fo.influence_batch = 2;
  model::RouteNetFilter filter(pool, val, {}, fo);
  const std::vector<std::size_t> ids{0, 1, 2};
  filter.train(ids);
  const std::vector<std::size_t> all_ids{0, 1, 2, 3};
  const std::vector<double> loss = filter.per_sample_loss(all_ids);
  ASSERT_EQ(loss.size(), 4u);
  const std::vector<double> direct = filter.trainer().per_sample_loss(pool);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(std::isfinite(loss[i]) && loss[i] > 0) << "id " << i << ": " << loss[i];
    EXPECT_EQ(loss[i], direct[i]) << "id " << i;
  }
  const double v = filter.validation_mape();
  EXPECT_TRUE(std::isfinite(v) && v > 0) << v;
  EXPECT_TRUE(std::isfinite(filter.influence(ids, 3)));
  EXPECT_EQ(filter.trainer().evaluate(val).delay_mape, v);  // weights restored
}

TEST(LinkPathReal, FeaturizeTrainPredictFewLines) {
  const auto file = autoopt::testing::shared_dir() / "data" / "gnnet2023-real" / "mb" / "fold0.jsonl.gz";
  AUTOOPT_REQUIRE_SHARED(file);
  std::vector<net::Sample> samples;
  io::for_each_gnnet2023_sample(file, [&](std::size_t i, const net::Sample& s) {
    if (i < 6) samples.push_back(s);
  });
  ASSERT_EQ(samples.size(), 6u);
  for (const auto& s : samples) {
    const model::SampleTensors t = model::featurize(s);
    ASSERT_EQ(t.num_paths(), static_cast<std::int64_t>(s.link_paths.flows.size()));
    std::int64_t hops = 0;
    for (const auto& f : s.link_paths.flows) hops += static_cast<std::int64_t>(f.links.size());
    EXPECT_EQ(t.num_hops(), hops);
    EXPECT_EQ(t.num_links(), static_cast<std::int64_t>(s.topology.links.size()));
    ASSERT_TRUE(t.has_labels());
    EXPECT_GT(t.labels.select(1, model::label_col::delay).min().item<double>(), 0.0);
    EXPECT_TRUE(at::isfinite(t.path_x).all().item<bool>());
  }
  torch::set_num_threads(1);
  std::vector<net::Sample> train(samples.begin(), samples.begin() + 4);
  const std::vector<net::Sample> test(samples.begin() + 4, samples.end());
  model::RouteNetConfig cfg;
  cfg.iterations = 2;
  cfg.path_dim = cfg.link_dim = cfg.queue_dim = 8;
  model::Trainer trainer(cfg);
  model::FitOptions o;
  o.epochs = 2;
  o.batch_size = 2;
  const model::FitReport rep = trainer.fit(train, {}, o);
  ASSERT_EQ(rep.epochs.size(), 2u);
  for (const auto& e : rep.epochs) {
    EXPECT_TRUE(std::isfinite(e.train_loss)) << "epoch " << e.epoch;
    EXPECT_TRUE(std::isfinite(e.train_delay_mape)) << "epoch " << e.epoch;
  }
  const auto pred = trainer.predict(test);
  ASSERT_EQ(pred.size(), 2u);
  for (std::size_t i = 0; i < test.size(); ++i) {
    ASSERT_EQ(pred[i].delay.size(), test[i].link_paths.flows.size());
    const model::SampleRecords r = model::make_records(test[i], i, pred[i].delay, pred[i].jitter, pred[i].loss);
    for (std::size_t p = 0; p < r.paths.size(); ++p) {
      EXPECT_TRUE(std::isfinite(pred[i].delay[p]));
      EXPECT_NEAR(r.paths[p].pred_delay, pred[i].delay[p] * 1000.0, 1e-9 * std::abs(r.paths[p].pred_delay));
      EXPECT_NEAR(r.paths[p].true_delay, test[i].link_paths.flows[p].avg_delay * 1000.0,
                  1e-9 * r.paths[p].true_delay);
    }
  }
}

}  // namespace
