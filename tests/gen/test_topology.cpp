// gen/topology: the PLOD generator (statistics of many graphs against its parameters, connectivity,
// simple graphs), the Topology Zoo GML reader and the (alpha, beta) fit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "gen/generator.hpp"
#include "gen/topology.hpp"
#include "net/error.hpp"
#include "shared_data.hpp"
#include "gen/gen_test_util.hpp"

using namespace autoopt::gen;

namespace {

using autoopt::testing::error_of;

// Upper 0.1% point of chi-square with k degrees of freedom (Wilson-Hilferty).
double chi2_crit_999(double k) {
  const double z = 3.0902;
  const double t = 1.0 - 2.0 / (9.0 * k) + z * std::sqrt(2.0 / (9.0 * k));
  return k * t * t * t;
}

// Chi-square statistic of counts against a pmf, pooling adjacent bins until each expects >= 5.
std::pair<double, int> chi_square(const std::vector<double>& counts, const std::vector<double>& pmf, double total) {
  double stat = 0.0, obs = 0.0, exp = 0.0;
  int bins = 0;
  for (std::size_t k = 0; k < pmf.size(); ++k) {
    obs += counts[k];
    exp += pmf[k] * total;
    if (exp >= 5.0 || k + 1 == pmf.size()) {
      if (exp > 0) {
        stat += (obs - exp) * (obs - exp) / exp;
        ++bins;
      }
      obs = exp = 0.0;
    }
  }
  return {stat, bins};
}

bool simple_and_sorted(const Graph& g) {
  std::set<std::pair<int, int>> seen;
  for (const auto& [u, v] : g.edges) {
    if (!(u < v) || u < 0 || v >= g.n || !seen.insert({u, v}).second) return false;
  }
  return std::is_sorted(g.edges.begin(), g.edges.end());
}

}  // namespace

TEST(GenTopology, CreditPmfSumsToOneAndFollowsTheFormula) {
  const PlodParams p{0.7, 12.0};
  const auto pmf = plod_credit_pmf(50, p);
  double sum = 0.0;
  for (const double x : pmf) sum += x;
  EXPECT_NEAR(sum, 1.0, 1e-12);
  EXPECT_EQ(pmf[0], 0.0);
  // x = 1 gives round(12) = 12; nothing else reaches 12 (x = 2 gives round(7.39) = 7).
  EXPECT_NEAR(pmf[12], 1.0 / 50, 1e-12);
  EXPECT_NEAR(pmf[7], 1.0 / 50, 1e-12);
}

TEST(GenTopology, CreditsFollowTheirDistribution) {
  // Chi-square goodness of fit of 40 x 200 drawn credits against the exact pmf.
  const int n = 200;
  const PlodParams p{0.8, 60.0};
  const auto pmf = plod_credit_pmf(n, p);
  std::vector<double> counts(static_cast<std::size_t>(n), 0.0);
  Rng rng(12345);
  for (int g = 0; g < 40; ++g) {
    for (const int c : plod_credits(n, p, rng)) counts[static_cast<std::size_t>(c)] += 1.0;
  }
  const auto [stat, bins] = chi_square(counts, pmf, 40.0 * n);
  ASSERT_GE(bins, 5);
  EXPECT_LT(stat, chi2_crit_999(bins - 1)) << "bins " << bins;
}

TEST(GenTopology, GeneratedDegreesMatchThePlodParameters) {
  // Credits >= 3 for every node (40 * 200^-0.5 = 2.8), so pairing barely fails: the realised degree
  // distribution must match the credit pmf, and the rank-degree fit must recover (alpha, beta).
  const int n = 200, graphs = 40;
  const PlodParams p{0.5, 40.0};
  const auto pmf = plod_credit_pmf(n, p);
  std::vector<double> counts(static_cast<std::size_t>(n), 0.0);
  double alpha = 0.0, beta = 0.0;
  for (int g = 0; g < graphs; ++g) {
    Rng rng(1000 + static_cast<std::uint64_t>(g));
    const Graph gr = generate_plod(n, p, rng);
    ASSERT_TRUE(is_connected(gr));
    ASSERT_TRUE(simple_and_sorted(gr));
    const auto deg = gr.degrees();
    for (const int d : deg) counts[static_cast<std::size_t>(d)] += 1.0;
    const PlodParams f = fit_rank_degree(deg);
    alpha += f.alpha / graphs;
    beta += f.beta / graphs;
  }
  double tv = 0.0;
  for (std::size_t k = 0; k < pmf.size(); ++k) tv += std::fabs(counts[k] / (graphs * n) - pmf[k]) / 2.0;
  EXPECT_LT(tv, 0.03);
  EXPECT_NEAR(alpha, p.alpha, 0.03);
  EXPECT_NEAR(beta, p.beta, 0.1 * p.beta);
  // A heavier tail (many credits clipped to 1) still stays close in distribution.
  const PlodParams q{0.8, 60.0};
  const auto pmf_q = plod_credit_pmf(300, q);
  std::vector<double> cq(300, 0.0);
  for (int g = 0; g < 20; ++g) {
    Rng rng(5000 + static_cast<std::uint64_t>(g));
    for (const int d : generate_plod(300, q, rng).degrees()) cq[static_cast<std::size_t>(d)] += 1.0;
  }
  double tvq = 0.0;
  for (std::size_t k = 0; k < pmf_q.size(); ++k) tvq += std::fabs(cq[k] / (20.0 * 300) - pmf_q[k]) / 2.0;
  EXPECT_LT(tvq, 0.05);
}

TEST(GenTopology, SmallGraphsAreConnectedSimpleAndDeterministic) {
  const GeneratorConfig cfg;  // the fitted PLOD parameters
  double mean_deg = 0.0;
  int count = 0;
  for (int n = 2; n <= 12; ++n) {
    for (std::uint64_t seed = 0; seed < 60; ++seed) {
      Rng a(seed), b(seed);
      const Graph g = generate_plod(n, cfg.plod, a);
      EXPECT_EQ(g, generate_plod(n, cfg.plod, b));
      ASSERT_EQ(g.n, n);
      ASSERT_TRUE(is_connected(g)) << "n " << n << " seed " << seed;
      ASSERT_TRUE(simple_and_sorted(g));
      for (const int d : g.degrees()) {
        ASSERT_GE(d, 1);
        ASSERT_LE(d, n - 1);
      }
      if (n >= 8 && n <= 10) {
        mean_deg += 2.0 * static_cast<double>(g.edges.size()) / n;
        ++count;
      }
    }
  }
  // Mean credit at n = 8..10 with the fitted parameters is about 2.6; the graphs stay close.
  mean_deg /= count;
  EXPECT_GT(mean_deg, 2.0);
  EXPECT_LT(mean_deg, 3.2);
}

TEST(GenTopology, RepairJoinsComponentsPreservingDegreesWhenPossible) {
  // A triangle plus a separate edge: the swap keeps every degree.
  Graph g = make_graph(5, std::vector<std::pair<int, int>>{{0, 1}, {1, 2}, {0, 2}, {3, 4}});
  const auto before = g.degrees();
  Rng rng(3);
  const Graph r = repair_connectivity(g, rng);
  EXPECT_TRUE(is_connected(r));
  EXPECT_EQ(r.degrees(), before);
  // A path and an isolated node: an edge is added.
  const Graph h = make_graph(4, std::vector<std::pair<int, int>>{{0, 1}, {1, 2}});
  const Graph rh = repair_connectivity(h, rng);
  EXPECT_TRUE(is_connected(rh));
  EXPECT_EQ(rh.edges.size(), 3U);
  EXPECT_EQ(rh.degrees()[3], 1);
}

TEST(GenTopology, LinksOfGivesBothDirectionsWithPorts) {
  const Graph g = make_graph(3, std::vector<std::pair<int, int>>{{1, 0}, {1, 2}, {2, 1}, {0, 0}});
  ASSERT_EQ(g.edges.size(), 2U);
  const auto links = links_of(g);
  ASSERT_EQ(links.size(), 4U);
  EXPECT_EQ(links[0], (autoopt::net::Link{0, 1, 0, 0.0}));
  EXPECT_EQ(links[1], (autoopt::net::Link{1, 0, 0, 0.0}));
  EXPECT_EQ(links[2], (autoopt::net::Link{1, 2, 1, 0.0}));
  EXPECT_EQ(links[3], (autoopt::net::Link{2, 1, 0, 0.0}));
}

TEST(GenTopology, ZooGmlReaderIsTolerant) {
  const std::string text =
      "Creator \"x\"\n"
      "graph [\n"
      "  label \"a [weird] name\"\n"
      "  hierarchic 1\n"
      "  node [ id 10 label \"A\" graphics [ x 1.5 y 2 ] ]\n"
      "  node [\n    id 20\n    label \"B ]\"\n  ]\n"
      "  node [ id 30 Latitude -1.25 ]\n"
      "  node [ id 40 ]\n"
      "  edge [ source 10 target 20 LinkLabel \"1 [Gb]\" ]\n"
      "  edge [ source 20 target 10 key 1 ]\n"  // multi-edge
      "  edge [ source 30 target 30 ]\n"        // self-loop
      "  edge [ source 30 target 20 ]\n"
      "]\n";
  const ZooGraph z = read_zoo_gml(text, "dir/Foo.gml");
  EXPECT_EQ(z.name, "Foo");
  EXPECT_EQ(z.graph.n, 4);
  EXPECT_EQ(z.graph.edges, (std::vector<std::pair<int, int>>{{0, 1}, {1, 2}}));
  EXPECT_EQ(z.graph.degrees(), (std::vector<int>{1, 2, 1, 0}));
}

TEST(GenTopology, ZooGmlReaderErrors) {
  EXPECT_EQ(error_of([] { (void)read_zoo_gml("graph [\n node [ id 1 ]\n edge [ source 1 target 2 ]\n]\n", "g.gml"); }),
            "g.gml:3: edge 1 -> 2 names an unknown node id");
  EXPECT_EQ(error_of([] { (void)read_zoo_gml("graph [\n node [ id 1 ]\n node [\n label \"x\" ]\n]\n", "g.gml"); }),
            "g.gml:3: node block without 'id'");
  EXPECT_EQ(error_of([] { (void)read_zoo_gml("graph [\n node [ id 1\n", "g.gml"); }), "g.gml:2: '[' never closed");
  EXPECT_EQ(error_of([] { (void)read_zoo_gml("graph [\n label \"abc\n]\n", "g.gml"); }), "g.gml:2: unterminated string");
  EXPECT_EQ(error_of([] { (void)read_zoo_gml("Creator \"x\"\n", "g.gml"); }), "g.gml:1: no 'graph [' block");
  EXPECT_EQ(error_of([] { (void)read_zoo_gml("graph [\n node [ id 1.5 ]\n]\n", "g.gml"); }),
            "g.gml:2: node 'id' is '1.5', expected an integer");
}

TEST(GenTopology, RankDegreeFitIsExactOnAPowerLaw) {
  // d_r = 12 / r for r = 1..4 (alpha 1, beta 12), in any order, zeros ignored.
  const std::vector<int> d{3, 12, 0, 4, 6};
  const PlodParams p = fit_rank_degree(d);
  EXPECT_NEAR(p.alpha, 1.0, 1e-12);
  EXPECT_NEAR(p.beta, 12.0, 1e-9);
  const std::vector<int> flat{2, 2, 2};
  EXPECT_EQ(fit_rank_degree(flat), (PlodParams{0.0, 2.0}));
}

TEST(GenTopology, FitPlodTakesMediansAndRespectsTheWindow) {
  std::vector<ZooGraph> zs;
  // Stars of 4, 6 and 8 nodes, and a 40-node path outside the window.
  for (const int n : {4, 6, 8}) {
    std::vector<std::pair<int, int>> e;
    for (int i = 1; i < n; ++i) e.emplace_back(0, i);
    zs.push_back({"star" + std::to_string(n), make_graph(n, e)});
  }
  std::vector<std::pair<int, int>> path;
  for (int i = 0; i + 1 < 40; ++i) path.emplace_back(i, i + 1);
  zs.push_back({"path", make_graph(40, path)});
  const PlodFit f = fit_plod(zs, 2, 30);
  EXPECT_EQ(f.per_graph.size(), 3U);
  EXPECT_EQ(f.skipped, 1);
  const PlodParams mid = fit_rank_degree(zs[1].graph.degrees());
  EXPECT_NEAR(f.params.alpha, mid.alpha, 1e-9);  // the star's alpha grows with n: the middle one is the median
  EXPECT_EQ(error_of([&] { (void)fit_plod(zs, 100, 200); }), "fit_plod: no graph with 100..200 connected nodes among 4");
}

TEST(GenTopology, RealZooFitMatchesTheCommittedConfigs) {
  const auto zoo = autoopt::testing::shared_dir() / "data" / "topology-zoo";
  AUTOOPT_REQUIRE_SHARED(zoo);
  const auto graphs = read_zoo_folder(zoo);
  ASSERT_GE(graphs.size(), 250U);
  const auto abilene = std::find_if(graphs.begin(), graphs.end(), [](const ZooGraph& z) { return z.name == "Abilene"; });
  ASSERT_NE(abilene, graphs.end());
  EXPECT_EQ(abilene->graph.n, 11);
  EXPECT_EQ(abilene->graph.edges.size(), 14U);
  // The committed configs/plod.conf was made with the fit-topology defaults (4..30 nodes).
  const PlodFit fit = fit_plod(graphs, 4, 30);
  const auto configs = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "configs";
  const PlodParams committed = load_plod_conf(configs / "plod.conf");
  EXPECT_NEAR(committed.alpha, fit.params.alpha, 6e-5);
  EXPECT_NEAR(committed.beta, fit.params.beta, 6e-5);
  // ... and the generator defaults carry the same values.
  const GeneratorConfig def;
  EXPECT_EQ(def.plod, committed);
}
