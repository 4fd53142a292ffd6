// gen/generator: generate_sample() over many seeds (valid, within the training rules, deterministic,
// node counts in range), a short simulation of a few samples (a spread of link loads, some losses),
// and the config file (configs/generator.conf equals the defaults; bad values name file, line, key).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "gen/constraints.hpp"
#include "gen/generator.hpp"
#include "net/error.hpp"
#include "net/validate.hpp"
#include "sim/simulator.hpp"
#include "gen/gen_test_util.hpp"

using namespace autoopt::gen;
namespace net = autoopt::net;

namespace {

using autoopt::testing::error_of;
using autoopt::testing::configs_dir;

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

}  // namespace

TEST(GenGenerator, ThreeHundredSamplesAreValidAndFollowTheRules) {
  const GeneratorConfig cfg;
  const int x = cfg.max_nodes;
  const int lo = static_cast<int>(std::ceil(0.8 * x));
  std::vector<int> node_counts(static_cast<std::size_t>(x + 1), 0);
  std::vector<double> hops, caps, degrees;
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    const net::Sample s = generate_sample(cfg, seed, "cand-" + std::to_string(seed));
    const auto problems = net::validate(s);
    ASSERT_TRUE(problems.empty()) << "seed " << seed << ":\n" << net::format_problems(problems);
    const auto v = check_training_rules(s);
    ASSERT_TRUE(v.empty()) << "seed " << seed << ":\n" << format_violations(v);
    ASSERT_FALSE(s.results.has_value());
    const int n = s.num_nodes();
    ASSERT_GE(n, lo);
    ASSERT_LE(n, x);
    ++node_counts[static_cast<std::size_t>(n)];
    EXPECT_EQ(s.id, static_cast<std::int64_t>(seed));
    EXPECT_EQ(s.graph_name, "graph-cand-" + std::to_string(seed) + ".txt");
    for (std::size_t k = 0; k < s.routing.paths.size(); ++k) {
      if (k / n == k % n) continue;
      ASSERT_FALSE(s.routing.paths[k].empty());
      ASSERT_EQ(s.traffic.pairs[k].size(), 1U);
      hops.push_back(static_cast<double>(s.routing.paths[k].size() - 1));
    }
    for (const auto& l : s.topology.links) caps.push_back(l.bandwidth_bps);
    degrees.push_back(static_cast<double>(s.topology.links.size()) / n);
    if (seed < 20) {
      EXPECT_EQ(s, generate_sample(cfg, seed, "cand-" + std::to_string(seed)));  // same seed, same sample
    }
  }
  for (int n = lo; n <= x; ++n) EXPECT_GT(node_counts[static_cast<std::size_t>(n)], 50) << "n = " << n;
  EXPECT_NE(generate_sample(cfg, 1, "a").topology, generate_sample(cfg, 2, "a").topology);
  // Spreads: paths of 1..>=4 hops, capacities from the low to the high end of the set.
  EXPECT_EQ(quantile(hops, 0.0), 1.0);
  EXPECT_GE(quantile(hops, 1.0), 4.0);
  EXPECT_EQ(quantile(caps, 0.0), 10000.0);
  EXPECT_GE(quantile(caps, 0.99), 100000.0);
  std::printf("[spread] nodes %d..%d; hops p50 %.0f p90 %.0f max %.0f; mean degree p10 %.2f p50 %.2f p90 %.2f; "
              "capacity p10 %.0f p50 %.0f p90 %.0f max %.0f\n",
              lo, x, quantile(hops, 0.5), quantile(hops, 0.9), quantile(hops, 1.0), quantile(degrees, 0.1),
              quantile(degrees, 0.5), quantile(degrees, 0.9), quantile(caps, 0.1), quantile(caps, 0.5),
              quantile(caps, 0.9), quantile(caps, 1.0));
}

TEST(GenGenerator, SimulatedSamplesSpreadFromLightToHeavy) {
  const GeneratorConfig cfg;
  autoopt::sim::SimConfig sc;
  sc.sim_time_s = 300.0;
  std::vector<double> util, loss;
  int samples_with_loss = 0;
  for (std::uint64_t seed = 100; seed < 112; ++seed) {
    const net::Sample s = generate_sample(cfg, seed, std::to_string(seed));
    sc.seed = seed;
    net::Sample simulated = s;
    simulated.results = autoopt::sim::simulate(s, sc);
    ASSERT_TRUE(net::validate(simulated).empty()) << net::format_problems(net::validate(simulated));
    EXPECT_TRUE(check_training_rules(simulated).empty()) << format_violations(check_training_rules(simulated));
    for (const auto& p : simulated.results->ports) util.push_back(p.utilization);
    double drops = 0.0;
    for (const auto& p : simulated.results->pairs) {
      if (p.pkts_gen > 0) loss.push_back(p.loss_ratio());
      drops += p.pkts_drop;
    }
    samples_with_loss += drops > 0 ? 1 : 0;
  }
  const auto below = std::count_if(util.begin(), util.end(), [](double u) { return u < 0.3; });
  const auto above = std::count_if(util.begin(), util.end(), [](double u) { return u > 0.8; });
  EXPECT_GT(below, 0);
  EXPECT_GT(above, 0);
  EXPECT_GT(samples_with_loss, 0);
  EXPECT_LT(samples_with_loss, 12);  // not every sample is overloaded
  std::printf("[spread] %zu ports: utilisation p10 %.3f p50 %.3f p90 %.3f max %.3f, %ld < 0.3, %ld > 0.8; "
              "%zu flows: loss p50 %.4f p90 %.4f max %.4f; %d/12 samples with losses\n",
              util.size(), quantile(util, 0.1), quantile(util, 0.5), quantile(util, 0.9), quantile(util, 1.0),
              static_cast<long>(below), static_cast<long>(above), loss.size(), quantile(loss, 0.5),
              quantile(loss, 0.9), quantile(loss, 1.0), samples_with_loss);
}

TEST(GenGenerator, OtherConfigsStillGiveValidSamples) {
  GeneratorConfig cfg;
  cfg.max_nodes = 6;
  cfg.min_nodes_fraction = 0.5;
  cfg.detour_probability = 1.0;
  cfg.capacity.capacity_values.clear();  // round to multiples of 1000
  cfg.traffic.pair_fraction = 0.7;
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    const net::Sample s = generate_sample(cfg, seed, "x");
    ASSERT_TRUE(net::validate(s).empty()) << net::format_problems(net::validate(s));
    ASSERT_TRUE(check_training_rules(s).empty()) << format_violations(check_training_rules(s));
    EXPECT_GE(s.num_nodes(), 3);
    EXPECT_LE(s.num_nodes(), 6);
    EXPECT_EQ(s.id, 0);
  }
}

TEST(GenGenerator, CommittedConfigEqualsTheDefaults) {
  const GeneratorConfig loaded = load_generator_config(configs_dir() / "generator.conf");
  EXPECT_TRUE(loaded == GeneratorConfig{});
  // Changing a knob in a file changes just that knob.
  const GeneratorConfig c = generator_config_from(ConfigFile::parse(
      "max_nodes: 8\ncapacity_values: none\nwfq_weights: 50/25/25\ntime_weights: 1, 1, 1\n", "t.conf"));
  GeneratorConfig want;
  want.max_nodes = 8;
  want.capacity.capacity_values.clear();
  want.nodes.wfq_weights = {{50, 25, 25}};
  want.traffic.time_weights = {1, 1, 1};
  EXPECT_TRUE(c == want);
}

TEST(GenGenerator, ConfigErrorsNameFileLineAndKey) {
  auto err = [](const std::string& text) {
    return error_of([&] { (void)generator_config_from(ConfigFile::parse(text, "g.conf")); });
  };
  EXPECT_EQ(err("max_nodes: 10\nmax_ndoes: 9\n").substr(0, 33), "g.conf:2: unknown key 'max_ndoes'");
  EXPECT_EQ(err("max_nodes: 1\n"), "g.conf:1: key 'max_nodes': expected an integer in [2, 100000], got '1'");
  EXPECT_EQ(err("ti_min: 5000\nti_max: 100\n"), "g.conf:2: key 'ti_max': expected ti_max >= ti_min");
  EXPECT_EQ(err("wfq_weights: 50/30/30\n"),
            "g.conf:1: key 'wfq_weights': expected triples of positive weights summing to 100 (e.g. 70/20/10), got 50/30/30");
  EXPECT_EQ(err("size_profiles: 0.5/0.5\n"),
            "g.conf:1: key 'size_profiles': every profile needs one probability per pkt_sizes entry (5), each in [0, 1], "
            "summing to 1; got 0.5/0.5");
  EXPECT_EQ(err("tos_probs: 1, 1\n"), "g.conf:1: key 'tos_probs': 3 non-negative weights with a positive sum expected");
  EXPECT_EQ(err("drr_weights: 60/x/10\n"),
            "g.conf:1: key 'drr_weights': item 1 '60/x/10' is not a '/'-separated list of numbers (e.g. 70/20/10)");
  EXPECT_EQ(error_of([] { (void)load_generator_config("/nonexistent/gen.conf"); }),
            "/nonexistent/gen.conf: cannot open config file");
}
