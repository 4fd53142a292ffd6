// The quickstart baseline generator (configs/quickstart.conf, docs/generator.md "Quickstart
// baseline"): the random-degree topology of the GNNet 2022 quickstart notebook (degrees within the
// drawn targets, connected, simple, deterministic), and whole samples made with the preset (valid,
// within the training rules, FIFO / 32000-bit buffers / 100000 bit/s links, minimum-hop routing,
// uniform integer avg_bw, ToS and time distributions as configured, 6..10 nodes), plus config errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <set>

#include "gen/constraints.hpp"
#include "gen/generator.hpp"
#include "gen/routing.hpp"
#include "gen/topology.hpp"
#include "net/error.hpp"
#include "net/validate.hpp"
#include "gen/gen_test_util.hpp"

using namespace autoopt::gen;
namespace net = autoopt::net;

namespace {

using autoopt::testing::error_of;
using autoopt::testing::configs_dir;

// Hop count of the shortest path between every ordered pair (BFS), -1 when unreachable.
std::vector<int> bfs_hops(const Graph& g) {
  const auto adj = g.adjacency();
  const auto n = static_cast<std::size_t>(g.n);
  std::vector<int> d(n * n, -1);
  for (std::size_t s = 0; s < n; ++s) {
    std::vector<int> q{static_cast<int>(s)};
    d[s * n + s] = 0;
    for (std::size_t h = 0; h < q.size(); ++h) {
      const auto u = static_cast<std::size_t>(q[h]);
      for (const int v : adj[u]) {
        if (d[s * n + static_cast<std::size_t>(v)] < 0) {
          d[s * n + static_cast<std::size_t>(v)] = d[s * n + u] + 1;
          q.push_back(v);
        }
      }
    }
  }
  return d;
}

}  // namespace

TEST(GenQuickstart, TopologyDegreesStayWithinTheDrawnTargets) {
  const QuickstartTopologyParams p;
  const int max_deg = *std::max_element(p.degrees.begin(), p.degrees.end());
  double credit_mean = 0.0, weight_sum = 0.0;
  for (std::size_t i = 0; i < p.degrees.size(); ++i) {
    credit_mean += p.degrees[i] * p.weights[i];
    weight_sum += p.weights[i];
  }
  credit_mean /= weight_sum;

  double degree_sum = 0.0, target_sum = 0.0;
  std::set<int> seen_degrees;
  for (int n = 2; n <= 12; ++n) {
    for (std::uint64_t seed = 0; seed < 60; ++seed) {
      Rng rng(seed, 1);
      std::vector<int> targets;
      const Graph g = generate_quickstart(n, p, rng, &targets);
      ASSERT_EQ(g.n, n);
      ASSERT_TRUE(is_connected(g)) << "n " << n << " seed " << seed;
      ASSERT_EQ(targets.size(), static_cast<std::size_t>(n));
      // Simple graph: sorted, u < v, no duplicates.
      for (std::size_t e = 0; e < g.edges.size(); ++e) {
        ASSERT_LT(g.edges[e].first, g.edges[e].second);
        if (e > 0) ASSERT_LT(g.edges[e - 1], g.edges[e]);
      }
      const auto deg = g.degrees();
      for (int v = 0; v < n; ++v) {
        const auto i = static_cast<std::size_t>(v);
        ASSERT_GE(deg[i], 1);
        ASSERT_LE(deg[i], targets[i]) << "node " << v << " of n " << n << " seed " << seed;
        ASSERT_LE(deg[i], std::min(max_deg, n - 1));
        ASSERT_NE(std::find(p.degrees.begin(), p.degrees.end(), targets[i]), p.degrees.end());
        seen_degrees.insert(deg[i]);
      }
      if (n == 10) {
        degree_sum += std::accumulate(deg.begin(), deg.end(), 0.0);
        target_sum += std::accumulate(targets.begin(), targets.end(), 0.0);
      }
    }
  }
  // Every listed degree occurs; at n = 10 the pairing fills most of the credit, so the mean degree is
  // below the mean target but not far below it.
  for (const int d : p.degrees) EXPECT_TRUE(seen_degrees.count(d)) << "degree " << d << " never seen";
  const double mean_degree = degree_sum / (60.0 * 10.0);
  const double mean_target = target_sum / (60.0 * 10.0);
  EXPECT_NEAR(mean_target, credit_mean, 0.25);
  EXPECT_LE(mean_degree, mean_target);
  EXPECT_GT(mean_degree, mean_target - 0.5);
}

TEST(GenQuickstart, DegreeTwoTargetsGiveAPathOrACycle) {
  const QuickstartTopologyParams p{{2}, {1.0}};
  for (int n = 3; n <= 10; ++n) {
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
      Rng rng(seed);
      const Graph g = generate_quickstart(n, p, rng);
      ASSERT_TRUE(is_connected(g));
      const auto deg = g.degrees();
      EXPECT_LE(*std::max_element(deg.begin(), deg.end()), 2);
      // Connected with max degree 2: a path (n - 1 edges) or a cycle (n edges).
      EXPECT_TRUE(g.edges.size() == static_cast<std::size_t>(n - 1) || g.edges.size() == static_cast<std::size_t>(n))
          << "n " << n << " seed " << seed << ": " << g.edges.size() << " edges";
    }
  }
}

TEST(GenQuickstart, TopologyIsDeterministicPerSeed) {
  const QuickstartTopologyParams p;
  int differing = 0;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    Rng a(seed), b(seed), c(seed + 1000);
    const Graph ga = generate_quickstart(10, p, a);
    EXPECT_EQ(ga, generate_quickstart(10, p, b));
    differing += ga != generate_quickstart(10, p, c) ? 1 : 0;
  }
  EXPECT_GT(differing, 10);
}

TEST(GenQuickstart, BadParametersAreErrors) {
  Rng rng(1);
  EXPECT_EQ(error_of([&] { (void)generate_quickstart(1, QuickstartTopologyParams{}, rng); }),
            "generate_quickstart: n = 1, expected >= 2");
  EXPECT_EQ(error_of([&] { (void)generate_quickstart(5, QuickstartTopologyParams{{2, 3}, {1.0}}, rng); }),
            "generate_quickstart: 2 degrees and 1 weights, expected the same number (>= 1)");
  EXPECT_EQ(error_of([&] { (void)generate_quickstart(5, QuickstartTopologyParams{{0}, {1.0}}, rng); }),
            "generate_quickstart: degree 0, expected >= 1");
  EXPECT_EQ(error_of([&] { (void)generate_quickstart(5, QuickstartTopologyParams{{2}, {0.0}}, rng); }),
            "generate_quickstart: the degree weights sum to 0, expected > 0");
  // Degree 1 everywhere: a perfect matching, never connected for n >= 3.
  EXPECT_NE(error_of([&] { (void)generate_quickstart(6, QuickstartTopologyParams{{1}, {1.0}}, rng); })
                .find("no connected graph on 6 nodes"),
            std::string::npos);
}

TEST(GenQuickstart, PresetSamplesFollowTheNotebookRecipe) {
  const GeneratorConfig cfg = load_generator_config(configs_dir() / "quickstart.conf");
  ASSERT_EQ(cfg.topology_model, TopologyModel::Quickstart);
  ASSERT_EQ(cfg.traffic_model, TrafficModel::Uniform);
  std::set<int> sizes;
  std::vector<int> tos_count(3, 0), time_count(3, 0);
  std::set<double> bws;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    const net::Sample s = generate_sample(cfg, seed, "q-" + std::to_string(seed));
    const auto problems = net::validate(s);
    ASSERT_TRUE(problems.empty()) << "seed " << seed << ":\n" << net::format_problems(problems);
    const auto v = check_training_rules(s);
    ASSERT_TRUE(v.empty()) << "seed " << seed << ":\n" << format_violations(v);
    const int n = s.num_nodes();
    ASSERT_GE(n, 6);
    ASSERT_LE(n, 10);
    sizes.insert(n);
    EXPECT_EQ(s.dataset_tag, "quickstart");
    for (const auto& node : s.topology.nodes) {
      ASSERT_EQ(node.policy, net::Policy::FIFO);
      ASSERT_EQ(node.buffer_bits, std::vector<double>{32000.0});
    }
    std::vector<std::pair<int, int>> edges;
    for (const auto& l : s.topology.links) {
      ASSERT_EQ(l.bandwidth_bps, 100000.0);
      if (l.src < l.dst) edges.emplace_back(l.src, l.dst);
    }
    const Graph g = make_graph(n, edges);
    const auto deg = g.degrees();
    for (const int d : deg) {
      ASSERT_GE(d, 1);
      ASSERT_LE(d, 6);
    }
    // Minimum-hop routing: every path has the BFS hop count.
    const auto hops = bfs_hops(g);
    const auto nn = static_cast<std::size_t>(n);
    ASSERT_EQ(s.traffic.max_avg_lambda, 1000.0);
    for (std::size_t k = 0; k < nn * nn; ++k) {
      if (k / nn == k % nn) continue;
      ASSERT_EQ(static_cast<int>(s.routing.paths[k].size()) - 1, hops[k]) << "pair " << k;
      ASSERT_EQ(s.traffic.pairs[k].size(), 1u);
      const net::Flow& f = s.traffic.pairs[k][0];
      ASSERT_GE(f.eq_lambda_bps, 10.0);
      ASSERT_LE(f.eq_lambda_bps, 1000.0);
      ASSERT_EQ(f.eq_lambda_bps, std::floor(f.eq_lambda_bps));
      bws.insert(f.eq_lambda_bps);
      const double pkts = f.eq_lambda_bps / f.avg_pkt_size_bits;
      if (f.time_dist == net::TimeDist::OnOff) {
        ASSERT_NEAR(f.time_params[0], pkts * 3.0, 1e-9 * pkts);  // (on 5 + off 10) / on 5
        ASSERT_EQ(f.time_params[1], 10.0);
        ASSERT_EQ(f.time_params[2], 5.0);
      } else {
        ASSERT_NEAR(f.time_params[0], pkts, 1e-12 * pkts);
      }
      // One of the notebook's two size distributions.
      const std::size_t nc = f.candidates.size();
      ASSERT_TRUE(nc == 2 || nc == 3);
      ASSERT_EQ(f.candidates[0].size_bits, nc == 2 ? 300.0 : 500.0);
      ++tos_count[static_cast<std::size_t>(f.tos)];
      ASSERT_TRUE(f.time_dist == net::TimeDist::Poisson || f.time_dist == net::TimeDist::CBR ||
                  f.time_dist == net::TimeDist::OnOff);
      ++time_count[f.time_dist == net::TimeDist::Poisson ? 0u : f.time_dist == net::TimeDist::CBR ? 1u : 2u];
    }
  }
  EXPECT_EQ(sizes, (std::set<int>{6, 7, 8, 9, 10}));
  const int total = tos_count[0] + tos_count[1] + tos_count[2];
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(tos_count[static_cast<std::size_t>(i)], total / 3.0, total * 0.05) << "ToS " << i;
    EXPECT_NEAR(time_count[static_cast<std::size_t>(i)], total / 3.0, total * 0.05) << "time dist " << i;
  }
  EXPECT_GT(bws.size(), 900u);  // the integers 10..1000 are all but covered
}

TEST(GenQuickstart, PresetIsDeterministicAndDiffersFromTheDefaults) {
  const GeneratorConfig q = load_generator_config(configs_dir() / "quickstart.conf");
  const GeneratorConfig d;
  EXPECT_NE(q, d);
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    const net::Sample a = generate_sample(q, seed, "cand-1");
    const net::Sample b = generate_sample(q, seed, "cand-1");
    EXPECT_EQ(a.topology, b.topology);
    EXPECT_EQ(a.routing, b.routing);
    EXPECT_EQ(a.traffic, b.traffic);
  }
  // The uniform traffic model alone keeps the PLOD topology of the same seed.
  GeneratorConfig u;
  u.traffic_model = TrafficModel::Uniform;
  const net::Sample a = generate_sample(d, 7, "x");
  const net::Sample b = generate_sample(u, 7, "x");
  EXPECT_EQ(a.topology.nodes, b.topology.nodes);
  EXPECT_EQ(a.routing, b.routing);
  EXPECT_NE(a.traffic, b.traffic);
}

TEST(GenQuickstart, ConfigKeysAreCheckedWithFileLineAndKey) {
  const auto err = [](const std::string& text) {
    return error_of([&] { (void)generator_config_from(ConfigFile::parse(text, "q.conf")); });
  };
  EXPECT_NE(err("topology_model: erdos\n").find("q.conf:1"), std::string::npos);
  EXPECT_NE(err("topology_model: erdos\n").find("topology_model"), std::string::npos);
  EXPECT_NE(err("traffic_model: flat\n").find("traffic_model"), std::string::npos);
  EXPECT_EQ(err("uniform_bw_min: 500\nuniform_bw_max: 100\n"),
            "q.conf:2: key 'uniform_bw_max': expected uniform_bw_max >= uniform_bw_min");
  EXPECT_EQ(err("quickstart_degrees: 2, 0\n"),
            "q.conf:1: key 'quickstart_degrees': expected a comma list of integer degrees >= 1");
  EXPECT_EQ(err("quickstart_degrees: 2, 3\nquickstart_degree_weights: 1, 1, 1\n"),
            "q.conf:2: key 'quickstart_degree_weights': 2 non-negative weights with a positive sum expected");
  // Fewer degrees than the default weights: the weights default to equal ones.
  const GeneratorConfig c = generator_config_from(ConfigFile::parse("quickstart_degrees: 3, 4\n", "q.conf"));
  EXPECT_EQ(c.quickstart.degrees, (std::vector<int>{3, 4}));
  EXPECT_EQ(c.quickstart.weights, (std::vector<double>{1.0, 1.0}));
}
