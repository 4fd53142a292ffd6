// RouteNet-Fermi is a function of the network, not of how its nodes are numbered: renumbering the
// nodes of a sample (topology, routing, traffic and results permuted together) gives the same
// per-path predictions, matched by (src, dst, flow), within 1e-5 relative. Checked on synthetic
// samples and on a real 50-node GNNet sample, with a model whose Normalizer and scales were fitted
// (one short training run) so that the features are in the working range of the network.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <tuple>
#include <vector>

#include "io/gnnet.hpp"
#include "model/report.hpp"
#include "model/trainer.hpp"
#include "shared_data.hpp"
#include "synthetic_samples.hpp"

namespace {

using namespace autoopt;

model::RouteNetConfig small() {
  model::RouteNetConfig c;
  c.path_dim = c.link_dim = c.queue_dim = 16;
  c.iterations = 4;
  return c;
}

std::vector<int> random_permutation(int n, std::uint64_t seed) {
  std::vector<int> p(static_cast<std::size_t>(n));
  std::iota(p.begin(), p.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(p.begin(), p.end(), rng);
  return p;
}

using Key = std::tuple<int, int, int>;

std::map<Key, model::PathRecord> by_pair(model::Trainer& t, const net::Sample& s, const std::vector<int>* perm_back) {
  const auto pred = t.predict(std::span<const net::Sample>(&s, 1));
  const auto rec = model::make_records(s, 0, pred[0].delay, pred[0].jitter, pred[0].loss);
  std::map<Key, model::PathRecord> m;
  for (const auto& p : rec.paths) {
    const int src = perm_back ? (*perm_back)[static_cast<std::size_t>(p.src)] : p.src;
    const int dst = perm_back ? (*perm_back)[static_cast<std::size_t>(p.dst)] : p.dst;
    m[{src, dst, p.flow}] = p;
  }
  return m;
}

void expect_close(double a, double b, const char* what, const Key& k) {
  const double tol = 1e-5 * std::max(std::abs(a), std::abs(b)) + 1e-30;
  EXPECT_LE(std::abs(a - b), tol) << what << " of pair " << std::get<0>(k) << "->" << std::get<1>(k) << " flow "
                                  << std::get<2>(k) << ": " << a << " vs " << b;
}

void check_invariance(model::Trainer& t, const net::Sample& s, std::uint64_t perm_seed) {
  const std::vector<int> perm = random_permutation(s.num_nodes(), perm_seed);
  std::vector<int> back(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) back[static_cast<std::size_t>(perm[i])] = static_cast<int>(i);
  const net::Sample r = autoopt::testing::renumber(s, perm);
  ASSERT_NE(r.topology, s.topology);  // really renumbered
  const auto a = by_pair(t, s, nullptr);
  const auto b = by_pair(t, r, &back);
  ASSERT_EQ(a.size(), b.size());
  int checked = 0;
  for (const auto& [k, pa] : a) {
    const auto it = b.find(k);
    ASSERT_NE(it, b.end());
    const auto& pb = it->second;
    // The truth travelled with the renumbering (checks the permutation itself).
    if (!std::isnan(pa.true_delay)) EXPECT_EQ(pa.true_delay, pb.true_delay);
    EXPECT_EQ(std::isnan(pa.true_delay), std::isnan(pb.true_delay));
    expect_close(pa.pred_delay, pb.pred_delay, "delay", k);
    expect_close(pa.pred_jitter, pb.pred_jitter, "jitter", k);
    expect_close(pa.pred_loss, pb.pred_loss, "loss", k);
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

TEST(ModelInvariance, RenumberedSyntheticSamplesGiveTheSamePredictions) {
  torch::set_num_threads(1);
  std::vector<net::Sample> train;
  for (int i = 0; i < 4; ++i) train.push_back(autoopt::testing::synthetic_sample(8 + i, 100 + static_cast<std::uint64_t>(i)));
  model::Trainer t(small());
  model::FitOptions o;
  o.epochs = 2;
  o.batch_size = 2;
  o.seed = 5;
  (void)t.fit(train, {}, o);
  const net::Sample s = autoopt::testing::synthetic_sample(12, 777);
  check_invariance(t, s, 1);
  check_invariance(t, s, 2);
  // Unlabelled samples too.
  check_invariance(t, autoopt::testing::synthetic_sample(10, 778, false), 3);
}

TEST(ModelInvariance, RenumberedGnnetSampleGivesTheSamePredictions) {
  const auto dir = autoopt::testing::shared_dir() / "data/gnnet2022/validation/50";
  AUTOOPT_REQUIRE_SHARED(dir);
  torch::set_num_threads(1);
  io::GnnetDataset ds(dir);
  ASSERT_GE(ds.size(), 2u);
  const std::vector<net::Sample> train{ds.load(0)};
  model::Trainer t(small());
  model::FitOptions o;
  o.epochs = 1;
  o.batch_size = 1;
  (void)t.fit(train, {}, o);
  check_invariance(t, ds.load(1), 9);
}

}  // namespace
