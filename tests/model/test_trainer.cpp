// Trainer: learning on tiny synthetic samples whose labels follow an M/M/1-like formula per hop
// (training delay and jitter MAPEs at least halve), the objective's terms by hand, seeded
// determinism, checkpoint round trip (and refusal of a format-1 checkpoint), embeddings and
// per-sample losses, predictions of unsimulated samples, and refusal of bad input.
#include "model/trainer.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <random>
#include <string>
#include <vector>

#include "net/error.hpp"

namespace {

using namespace autoopt;
namespace fs = std::filesystem;

// A line of n FIFO nodes (bidirectional links of `capacity` bit/s), one Poisson flow of 1000-bit
// packets per ordered pair with a rate drawn from `rng`. Labels per path: delay = sum over hops of
// (1000 / capacity) / (1 - rho_link), jitter = sum of the squares of those terms, no losses.
net::Sample synthetic(int n, double capacity, std::mt19937_64& rng, bool with_results = true) {
  net::Sample s;
  auto& t = s.topology;
  t.levels_tos = 1;
  t.nodes.resize(static_cast<std::size_t>(n));
  for (auto& node : t.nodes) {
    node.policy = net::Policy::FIFO;
    node.buffer_bits = {64000};
    node.queue_tos = {{0}};
  }
  std::vector<int> ports(static_cast<std::size_t>(n), 0);
  for (int i = 0; i + 1 < n; ++i) {
    t.links.push_back({i, i + 1, ports[static_cast<std::size_t>(i)]++, capacity});
    t.links.push_back({i + 1, i, ports[static_cast<std::size_t>(i + 1)]++, capacity});
  }
  const auto N = static_cast<std::size_t>(n);
  const auto link_of = [&](int a, int b) {
    for (std::size_t l = 0; l < t.links.size(); ++l)
      if (t.links[l].src == a && t.links[l].dst == b) return l;
    return t.links.size();
  };
  s.routing.paths.resize(N * N);
  s.traffic.pairs.resize(N * N);
  std::uniform_real_distribution<double> rate(0.02, 0.16);
  std::vector<double> link_bps(t.links.size(), 0.0);
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < n; ++b) {
      if (a == b) continue;
      const std::size_t k = static_cast<std::size_t>(a * n + b);
      auto& route = s.routing.paths[k];
      for (int v = a; v != b; v += (b > a ? 1 : -1)) route.push_back(v);
      route.push_back(b);
      net::Flow f;
      f.time_dist = net::TimeDist::Poisson;
      f.eq_lambda_bps = rate(rng) * capacity;
      f.time_params = {f.eq_lambda_bps / 1000.0, 10};
      f.size_dist = net::SizeDist::Deterministic;
      f.avg_pkt_size_bits = 1000;
      f.tos = 0;
      s.traffic.pairs[k] = {f};
      for (std::size_t h = 0; h + 1 < route.size(); ++h)
        link_bps[link_of(route[h], route[h + 1])] += f.eq_lambda_bps;
    }
  }
  s.traffic.max_avg_lambda = capacity;
  if (!with_results) return s;
  net::Results r;
  r.pairs.assign(N * N, net::PathStats{});
  r.ports.resize(t.links.size());
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < n; ++b) {
      if (a == b) continue;
      const std::size_t k = static_cast<std::size_t>(a * n + b);
      const auto& route = s.routing.paths[k];
      double delay = 0.0, var = 0.0;
      for (std::size_t h = 0; h + 1 < route.size(); ++h) {
        const double rho = std::min(0.95, link_bps[link_of(route[h], route[h + 1])] / capacity);
        const double w = (1000.0 / capacity) / (1.0 - rho);
        delay += w;
        var += w * w;
      }
      const double pps = s.traffic.pairs[k][0].eq_lambda_bps / 1000.0;
      r.pairs[k].avg_bw_bps = pps * 1000.0;
      r.pairs[k].pkts_gen = pps;
      r.pairs[k].pkts_drop = 0.0;
      r.pairs[k].avg_delay = delay;
      r.pairs[k].jitter = var;
    }
  }
  s.results = r;
  return s;
}

std::vector<net::Sample> dataset(int count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<net::Sample> v;
  for (int i = 0; i < count; ++i) {
    v.push_back(synthetic(3 + i % 3, 1e4 * (1 + i % 4), rng));
    v.back().id = i;
  }
  return v;
}

model::RouteNetConfig small() {
  model::RouteNetConfig c;
  c.path_dim = c.link_dim = c.queue_dim = 32;
  c.iterations = 3;
  return c;
}

fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("autoopt_test_trainer_" + name + "_" +
                                                  std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  fs::remove_all(d);
  return d;
}

TEST(Trainer, LearnsSyntheticDelays) {
  torch::set_num_threads(1);
  const auto train = dataset(8, 11);
  const auto val = dataset(4, 12);
  model::Trainer t(small());
  model::FitOptions o;
  o.batch_size = 2;
  o.seed = 7;
  model::Trainer base(small());
  o.epochs = 1;
  o.lr = 1e-12;  // effectively no learning: the initial model with fitted scales
  (void)base.fit(train, val, o);
  const double before = base.evaluate(train).delay_mape;
  o.lr = 3e-3;
  o.epochs = 15;  // 4 steps per epoch: 60 steps
  o.patience = 15;
  const model::FitReport rep = t.fit(train, val, o);
  const double after = t.evaluate(train).delay_mape;
  std::cout << "delay MAPE before " << before << " after " << after << " (best epoch "
            << rep.best_epoch << ", val " << rep.best_val_delay_mape << ")\n";
  EXPECT_LT(after, 0.5 * before);
  EXPECT_GE(rep.best_epoch, 1);
  EXPECT_EQ(rep.epochs.front().epoch, 1);
  EXPECT_NEAR(t.evaluate(val).delay_mape, rep.best_val_delay_mape, 1e-9);
}

TEST(Trainer, LearnsSyntheticJitter) {
  torch::set_num_threads(1);
  const auto train = dataset(8, 13);
  model::FitOptions o;
  o.batch_size = 2;
  o.seed = 5;
  o.epochs = 1;
  o.lr = 1e-12;
  model::Trainer base(small());
  (void)base.fit(train, {}, o);
  const double before = base.evaluate(train).jitter_mape;
  o.lr = 3e-3;
  o.epochs = 15;
  o.patience = 15;
  model::Trainer t(small());
  const model::FitReport rep = t.fit(train, {}, o);
  const double after = t.evaluate(train).jitter_mape;
  std::cout << "jitter MAPE before " << before << " after " << after << "\n";
  EXPECT_LT(after, 0.5 * before);
  EXPECT_GT(rep.epochs.back().train_jitter, 0.0);
  EXPECT_NEAR(rep.epochs[static_cast<std::size_t>(rep.best_epoch) - 1].val_jitter_mape,
              after, 1e-9);  // no validation set: measured on the training samples
}

TEST(Trainer, ObjectiveTermsByHand) {
  // Three paths: labels (delay, jitter, loss, pkt_size); path 2 delivered nothing.
  const at::Tensor labels = torch::tensor({{2.0, 4.0, 0.0, 1000.0}, {1.0, 1.0, 0.5, 1000.0}, {-1.0, -1.0, 1.0, 1000.0}},
                                          torch::kDouble);
  model::RouteNetOutput out;
  out.delay = torch::tensor({3.0, 1.0, 7.0}, torch::kDouble);
  out.jitter_var = torch::tensor({9.0, 0.25, 5.0}, torch::kDouble);
  model::RouteNetConfig c;
  c.jitter_log_mean = 0.5;
  c.jitter_log_std = 2.0;
  out.jitter_z = (at::log(out.jitter_var) - 0.5) / 2.0;
  out.loss_logit = torch::tensor({0.0, 1.0, -1.0}, torch::kDouble);
  model::FitOptions o;
  o.jitter_weight = 0.25;
  o.loss_weight = 0.1;
  const auto bce = [](double logit, double y) {
    const double p = 1.0 / (1.0 + std::exp(-logit));
    return -(y * std::log(p) + (1 - y) * std::log(1 - p));
  };
  const double b = (bce(0, 0) + bce(1, 0.5) + bce(-1, 1)) / 3;
  const double dm = (0.5 + 0.0) / 2;
  o.jitter_loss = model::JitterLoss::mape;
  model::Objective r = model::training_objective(out, labels, c, o);
  EXPECT_NEAR(r.delay_mape.item<double>(), dm, 1e-12);
  EXPECT_NEAR(r.jitter.item<double>(), (5.0 / 4 + 0.75) / 2, 1e-12);
  EXPECT_NEAR(r.loss_bce.item<double>(), b, 1e-12);
  EXPECT_NEAR(r.total.item<double>(), dm + 0.25 * (5.0 / 4 + 0.75) / 2 + 0.1 * b, 1e-12);
  o.jitter_loss = model::JitterLoss::std_mape;
  r = model::training_objective(out, labels, c, o);
  EXPECT_NEAR(r.jitter.item<double>(), (0.5 + 0.5) / 2, 1e-12);
  o.jitter_loss = model::JitterLoss::log_mse;
  r = model::training_objective(out, labels, c, o);
  const double e0 = (std::log(9.0) - std::log(4.0)) / 2, e1 = (std::log(0.25) - std::log(1.0)) / 2;
  EXPECT_NEAR(r.jitter.item<double>(), (e0 * e0 + e1 * e1) / 2, 1e-12);
}

TEST(Trainer, DelayLossLogMseByHand) {
  // Four paths: delays 2, 1, 4 (predicted 3, 0.5, 4) and one without delivered packets (masked); one
  // prediction of exactly 0 would hit the floor: path 3 is masked, so its 0 must not count.
  const at::Tensor labels = torch::tensor(
      {{2.0, -1.0, -1.0, 1000.0}, {1.0, -1.0, -1.0, 1000.0}, {4.0, -1.0, -1.0, 1000.0}, {-1.0, -1.0, -1.0, 1000.0}},
      torch::kDouble);
  model::RouteNetOutput out;
  out.delay = torch::tensor({3.0, 0.5, 4.0, 0.0}, torch::kDouble);
  out.jitter_var = torch::ones({4}, torch::kDouble);
  out.jitter_z = torch::zeros({4}, torch::kDouble);
  out.loss_logit = torch::zeros({4}, torch::kDouble);
  const model::RouteNetConfig c;
  model::FitOptions o;
  EXPECT_EQ(o.delay_loss, model::DelayLoss::mape);  // the default keeps the MAPE objective
  const double mape = (0.5 + 0.5 + 0.0) / 3;
  model::Objective r = model::training_objective(out, labels, c, o);
  EXPECT_NEAR(r.delay.item<double>(), mape, 1e-12);
  EXPECT_NEAR(r.total.item<double>(), mape, 1e-12);  // jitter and drop-ratio terms masked
  o.delay_loss = model::DelayLoss::log_mse;
  r = model::training_objective(out, labels, c, o);
  const double l0 = std::log(3.0 / 2.0), l1 = std::log(0.5 / 1.0);
  const double lm = (l0 * l0 + l1 * l1 + 0.0) / 3;
  EXPECT_NEAR(r.delay.item<double>(), lm, 1e-12);
  EXPECT_NEAR(r.total.item<double>(), lm, 1e-12);
  EXPECT_NEAR(r.delay_mape.item<double>(), mape, 1e-12);  // still reported as the MAPE
  // Symmetric in the ratio: 2x over and 2x under cost the same (MAPE: 1 vs 0.5).
  const at::Tensor one = torch::tensor({{1.0, -1.0, -1.0, 1000.0}}, torch::kDouble);
  model::RouteNetOutput over = out, under = out;
  over.delay = torch::tensor({2.0}, torch::kDouble);
  under.delay = torch::tensor({0.5}, torch::kDouble);
  for (auto* x : {&over, &under}) {
    x->jitter_var = torch::ones({1}, torch::kDouble);
    x->jitter_z = torch::zeros({1}, torch::kDouble);
    x->loss_logit = torch::zeros({1}, torch::kDouble);
  }
  EXPECT_NEAR(model::training_objective(over, one, c, o).delay.item<double>(),
              model::training_objective(under, one, c, o).delay.item<double>(), 1e-12);
  // A zero prediction is clamped to delay_log_floor: finite.
  under.delay = torch::tensor({0.0}, torch::kDouble);
  const double lf = std::log(model::delay_log_floor);
  EXPECT_NEAR(model::training_objective(under, one, c, o).delay.item<double>(), lf * lf, 1e-9);
}

TEST(Trainer, ParseDelayLoss) {
  EXPECT_EQ(model::parse_delay_loss("mape"), model::DelayLoss::mape);
  EXPECT_EQ(model::parse_delay_loss("log_mse"), model::DelayLoss::log_mse);
  EXPECT_EQ(model::delay_loss_name(model::DelayLoss::log_mse), "log_mse");
  EXPECT_EQ(model::delay_loss_name(model::DelayLoss::mape), "mape");
  try {
    (void)model::parse_delay_loss("mse");
    ADD_FAILURE() << "no error for 'mse'";
  } catch (const Error& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("delay loss"), std::string::npos) << w;
    EXPECT_NE(w.find("'mape' or 'log_mse'"), std::string::npos) << w;
    EXPECT_NE(w.find("'mse'"), std::string::npos) << w;
  }
  const auto train = dataset(2, 31);
  model::Trainer t;
  model::FitOptions o;
  o.epochs = 1;
  o.delay_loss = static_cast<model::DelayLoss>(7);
  try {
    (void)t.fit(train, {}, o);
    ADD_FAILURE() << "no error for an unknown delay_loss";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("delay_loss is not one of mape, log_mse"), std::string::npos) << e.what();
  }
}

TEST(Trainer, CosineScheduleAndParse) {
  const double lr = 0.002;
  // Constant: the same rate at every epoch.
  for (int e = 1; e <= 5; ++e) EXPECT_DOUBLE_EQ(model::scheduled_lr(lr, model::LrSchedule::constant, e, 5), lr);
  // Cosine over 5 epochs: lr at the first, lr_cosine_floor * lr at the last, the mean of both halfway,
  // falling all along.
  const auto cos5 = [&](int e) { return model::scheduled_lr(lr, model::LrSchedule::cosine, e, 5); };
  EXPECT_NEAR(cos5(1), lr, 1e-15);
  EXPECT_NEAR(cos5(5), model::lr_cosine_floor * lr, 1e-15);
  EXPECT_NEAR(cos5(3), lr * (1 + model::lr_cosine_floor) / 2, 1e-15);
  EXPECT_NEAR(cos5(2), lr * (model::lr_cosine_floor + (1 - model::lr_cosine_floor) * (1 + std::sqrt(0.5)) / 2), 1e-15);
  for (int e = 1; e < 5; ++e) EXPECT_GT(cos5(e), cos5(e + 1));
  EXPECT_DOUBLE_EQ(model::scheduled_lr(lr, model::LrSchedule::cosine, 1, 1), lr);  // one epoch: no decay
  EXPECT_EQ(model::parse_lr_schedule("cosine"), model::LrSchedule::cosine);
  EXPECT_EQ(model::parse_lr_schedule("constant"), model::LrSchedule::constant);
  EXPECT_EQ(model::lr_schedule_name(model::LrSchedule::cosine), "cosine");
  try {
    (void)model::parse_lr_schedule("step");
    ADD_FAILURE() << "no error for 'step'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'constant' or 'cosine', got 'step'"), std::string::npos) << e.what();
  }
}

TEST(Trainer, MapePhaseAndScheduleInTheEpochLog) {
  torch::set_num_threads(1);
  const auto train = dataset(4, 41);
  const auto val = dataset(2, 42);
  model::FitOptions o;
  o.epochs = 4;
  o.patience = 100;  // no early stop: every epoch runs
  o.batch_size = 2;
  o.delay_loss = model::DelayLoss::log_mse;
  o.lr_schedule = model::LrSchedule::cosine;
  o.mape_epochs = 2;
  model::Trainer t;
  const model::FitReport r = t.fit(train, val, o);
  ASSERT_EQ(r.epochs.size(), 4U);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(r.epochs[i].epoch, static_cast<int>(i) + 1);
    EXPECT_EQ(r.epochs[i].delay_loss, i < 2 ? model::DelayLoss::log_mse : model::DelayLoss::mape) << i;
    EXPECT_DOUBLE_EQ(r.epochs[i].lr, model::scheduled_lr(o.lr, o.lr_schedule, static_cast<int>(i) + 1, 4));
    // In the MAPE phase the training objective is the delay MAPE plus the weighted jitter and drop terms.
    if (i >= 2) EXPECT_GE(r.epochs[i].train_loss, r.epochs[i].train_delay_mape - 1e-9);
  }
  // Early stopping of the first phase (patience 1 over 20 epochs) starts the MAPE phase at once: the
  // MAPE epochs are numbered from epochs - mape_epochs + 1 and follow the log-MSE ones.
  o.epochs = 20;
  o.mape_epochs = 3;
  o.patience = 1;
  o.lr = 0.05;  // large steps: the validation MAPE stops improving early
  model::Trainer t2;
  const model::FitReport r2 = t2.fit(train, val, o);
  bool in_mape = false;
  int mape_seen = 0;
  for (const auto& e : r2.epochs) {
    if (e.delay_loss == model::DelayLoss::mape) {
      if (!in_mape) EXPECT_EQ(e.epoch, 18) << "the MAPE phase starts at epoch epochs - mape_epochs + 1";
      in_mape = true;
      ++mape_seen;
    } else {
      EXPECT_FALSE(in_mape) << "a log-MSE epoch after the MAPE phase began";
    }
  }
  EXPECT_GE(mape_seen, 1);
  EXPECT_LE(mape_seen, 3);
  // mape_epochs beyond epochs is refused.
  o.epochs = 2;
  o.mape_epochs = 3;
  try {
    (void)t2.fit(train, val, o);
    ADD_FAILURE() << "no error for mape_epochs > epochs";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mape_epochs must be in [0, epochs = 2], got 3"), std::string::npos) << e.what();
  }
}

TEST(Trainer, SameSeedSamePredictionsAndCheckpointRoundTrip) {
  torch::set_num_threads(1);
  const auto train = dataset(4, 21);
  model::FitOptions o;
  o.epochs = 2;
  o.batch_size = 2;
  o.seed = 99;
  model::Trainer a(small()), b(small());
  (void)a.fit(train, {}, o);
  (void)b.fit(train, {}, o);
  const auto pa = a.predict(train);
  const auto pb = b.predict(train);
  ASSERT_EQ(pa.size(), train.size());
  for (std::size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(pa[i].delay, pb[i].delay);
    EXPECT_EQ(pa[i].jitter, pb[i].jitter);
    EXPECT_EQ(pa[i].loss, pb[i].loss);
  }
  // A different seed gives a different model.
  o.seed = 100;
  model::Trainer c(small());
  (void)c.fit(train, {}, o);
  EXPECT_NE(c.predict(train)[0].delay, pa[0].delay);

  const fs::path dir = temp_dir("ckpt");
  a.save(dir);
  a.save(dir);  // replacing an existing checkpoint
  EXPECT_TRUE(fs::exists(dir / "weights.pt"));
  EXPECT_TRUE(fs::exists(dir / "config.txt"));
  EXPECT_TRUE(fs::exists(dir / "normalizer.txt"));
  for (const auto& e : fs::directory_iterator(dir.parent_path()))
    EXPECT_EQ(e.path().filename().string().find(dir.filename().string() + ".tmp"), std::string::npos);
  model::Trainer l = model::Trainer::load(dir);
  EXPECT_EQ(l.config(), a.config());
  EXPECT_EQ(l.normalizer(), a.normalizer());
  const auto pl = l.predict(train);
  for (std::size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(pl[i].delay, pa[i].delay);
    EXPECT_EQ(pl[i].jitter, pa[i].jitter);
  }
  // A checkpoint of the format-1 model (path-level jitter head) is refused, naming the file.
  {
    std::ifstream in(dir / "config.txt");
    std::stringstream text;
    text << in.rdbuf();
    std::string v1 = text.str();
    v1.replace(0, v1.find('\n'), "autoopt-routenet 1");
    std::ofstream(dir / "config.txt", std::ios::trunc) << v1;
  }
  try {
    (void)model::Trainer::load(dir);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("config.txt"), std::string::npos) << w;
    EXPECT_NE(w.find("retrain"), std::string::npos) << w;
  }
  fs::remove_all(dir);
}

TEST(Trainer, PredictEmbedPerSampleLoss) {
  torch::set_num_threads(1);
  const auto train = dataset(3, 31);
  model::Trainer t;  // default config: 32-d states
  model::FitOptions o;
  o.epochs = 1;
  o.batch_size = 3;
  (void)t.fit(train, {}, o);

  const at::Tensor e = t.embed(train);
  EXPECT_EQ(e.sizes(), (std::vector<std::int64_t>{3, 96}));
  EXPECT_TRUE(torch::isfinite(e).all().item<bool>());
  EXPECT_FALSE(torch::equal(e[0], e[1]));

  const auto psl = t.per_sample_loss(train);
  ASSERT_EQ(psl.size(), 3u);
  const auto pred = t.predict(train);
  for (std::size_t i = 0; i < train.size(); ++i) {
    // One prediction per path (n (n-1) flows on a line of n nodes), and the sample's MAPE by hand.
    const std::size_t n = train[i].topology.nodes.size();
    ASSERT_EQ(pred[i].delay.size(), n * (n - 1));
    double mape = 0.0;
    std::size_t p = 0;
    for (std::size_t k = 0; k < n * n; ++k) {
      if (train[i].traffic.pairs[k].empty()) continue;
      const double y = train[i].results->pairs[k].avg_delay;
      mape += std::abs(pred[i].delay[p++] - y) / y;
    }
    EXPECT_NEAR(psl[i], mape / static_cast<double>(p), 1e-6) << i;
    for (const double l : pred[i].loss) EXPECT_TRUE(l >= 0.0 && l <= 1.0);
    for (const double j : pred[i].jitter) EXPECT_GT(j, 0.0);
  }
  const model::Metrics m = t.evaluate(train);
  EXPECT_EQ(m.paths, 6 + 12 + 20);
  EXPECT_EQ(m.delay_paths, m.paths);
  EXPECT_GT(m.delay_mape, 0.0);

  // Unsimulated samples can be predicted and embedded, even mixed with simulated ones.
  std::mt19937_64 rng(5);
  std::vector<net::Sample> mixed{synthetic(4, 2e4, rng, false), train[0]};
  const auto pm = t.predict(mixed);
  EXPECT_EQ(pm[0].delay.size(), 12u);
  // Same sample, other batch companions: the same prediction up to float rounding (BLAS may block a
  // product of other row counts differently).
  ASSERT_EQ(pm[1].delay.size(), pred[0].delay.size());
  for (std::size_t p = 0; p < pred[0].delay.size(); ++p)
    EXPECT_NEAR(pm[1].delay[p], pred[0].delay[p], 1e-5 * std::abs(pred[0].delay[p])) << p;
  EXPECT_EQ(t.embed(mixed).size(0), 2);
}

TEST(Trainer, MasksPathsWithoutDeliveredPackets) {
  torch::set_num_threads(1);
  auto train = dataset(2, 41);
  // One path of sample 0 delivered nothing: delay and jitter -1, all packets dropped.
  auto& r = train[0].results->pairs[1];
  r.avg_delay = -1;
  r.jitter = -1;
  r.pkts_drop = r.pkts_gen;
  model::Trainer t(small());
  model::FitOptions o;
  o.epochs = 2;
  o.batch_size = 2;
  const auto rep = t.fit(train, {}, o);
  for (const auto& e : rep.epochs) {
    EXPECT_TRUE(std::isfinite(e.train_loss));
    EXPECT_TRUE(std::isfinite(e.val_delay_mape));
  }
  const model::Metrics m = t.evaluate(train);
  EXPECT_EQ(m.delay_paths, m.paths - 1);
}

// Decoupled weight decay: every step also multiplies each weight by (1 - lr * weight_decay), so the
// same seed and batches with a strong decay end with smaller weights; with none the run is plain Adam.
TEST(Trainer, WeightDecayShrinksTheWeights) {
  torch::set_num_threads(1);
  const auto train = dataset(8, 21);
  model::FitOptions o;
  o.batch_size = 2;
  o.seed = 5;
  o.epochs = 5;
  o.patience = 5;
  o.lr = 1e-2;
  const auto weight_norm = [&](double decay, double reference) {
    model::FitOptions f = o;
    f.weight_decay = decay;
    f.weight_decay_reference = reference;
    model::Trainer t(small());
    (void)t.fit(train, {}, f);
    double sq = 0.0;
    for (const auto& p : t.model()->parameters()) sq += p.detach().pow(2).sum().item<double>();
    return std::sqrt(sq);
  };
  const double plain = weight_norm(0.0, 0.0);
  const double decayed = weight_norm(5.0, 0.0);  // 20 steps, each x (1 - 0.05): at most 0.95^20 = 36 % left
  std::cout << "weight norm: no decay " << plain << ", decay 5: " << decayed << "\n";
  EXPECT_LT(decayed, 0.8 * plain);
  EXPECT_DOUBLE_EQ(weight_norm(0.0, 0.0), plain);  // deterministic
  // Scaled to the training set: decay 20 for 2 samples on 8 is the same run as decay 5.
  EXPECT_DOUBLE_EQ(weight_norm(20.0, 2.0), decayed);
  model::FitOptions scaled = o;
  scaled.weight_decay = 20.0;
  scaled.weight_decay_reference = 2.0;
  EXPECT_DOUBLE_EQ(model::effective_weight_decay(scaled, 8), 5.0);
  EXPECT_DOUBLE_EQ(model::effective_weight_decay(scaled, 1), 40.0);
  {
    model::Trainer t(small());
    EXPECT_DOUBLE_EQ(t.fit(train, {}, scaled).weight_decay, 5.0);  // the report says what was used
  }

  model::Trainer t(small());
  for (const double bad : {-0.1, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    for (const bool reference : {false, true}) {
      model::FitOptions f = o;
      (reference ? f.weight_decay_reference : f.weight_decay) = bad;
      try {
        (void)t.fit(train, {}, f);
        FAIL() << "expected an error for " << (reference ? "weight_decay_reference " : "weight_decay ") << bad;
      } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(reference ? "weight_decay_reference" : "weight_decay"), std::string::npos)
            << e.what();
      }
    }
  }
}

TEST(Trainer, BadInputThrows) {
  torch::set_num_threads(1);
  std::mt19937_64 rng(1);
  std::vector<net::Sample> train{synthetic(3, 1e4, rng), synthetic(3, 1e4, rng, false)};
  train[1].id = 17;
  model::Trainer t(small());
  try {
    (void)t.fit(train, {}, {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("sample 1 (id 17)"), std::string::npos) << w;
    EXPECT_NE(w.find("no results"), std::string::npos) << w;
  }
  EXPECT_THROW((void)t.fit({}, {}, {}), Error);
  EXPECT_THROW((void)t.evaluate(train), Error);
  model::FitOptions o;
  o.batch_size = 0;
  EXPECT_THROW((void)t.fit(std::span(train).first(1), {}, o), Error);
  o.batch_size = 1;
  o.jitter_weight = -1;
  try {
    (void)t.fit(std::span(train).first(1), {}, o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("jitter_weight"), std::string::npos) << e.what();
  }

  const fs::path dir = temp_dir("missing");
  try {
    (void)model::Trainer::load(dir);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("config.txt"), std::string::npos) << e.what();
  }
}

}  // namespace
