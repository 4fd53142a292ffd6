// gen/routing: shortest paths with deterministic tie-breaking on hand-made graphs, and detours.
#include <gtest/gtest.h>

#include "gen/routing.hpp"
#include "io/gnnet_text.hpp"
#include "net/error.hpp"
#include "net/validate.hpp"

using namespace autoopt::gen;
using Path = std::vector<int>;

namespace {

std::vector<std::pair<int, int>> E(std::initializer_list<std::pair<int, int>> l) { return {l}; }

const Path& path(const autoopt::net::Routing& r, int n, int s, int d) {
  return r.paths[static_cast<std::size_t>(s * n + d)];
}

autoopt::net::Topology topo_of(const Graph& g) {
  autoopt::net::Topology t;
  t.nodes.resize(static_cast<std::size_t>(g.n));
  for (auto& node : t.nodes) {
    node.buffer_bits = {8000};
    node.queue_tos = {{0, 1, 2}};
  }
  t.links = links_of(g);
  for (auto& l : t.links) l.bandwidth_bps = 10000;
  return t;
}

}  // namespace

TEST(GenRouting, LineAndDiagonal) {
  const Graph g = make_graph(4, E({{0, 1}, {1, 2}, {2, 3}}));
  const auto r = min_hop_routing(g);
  ASSERT_EQ(r.paths.size(), 16U);
  EXPECT_TRUE(path(r, 4, 2, 2).empty());
  EXPECT_EQ(path(r, 4, 0, 3), (Path{0, 1, 2, 3}));
  EXPECT_EQ(path(r, 4, 3, 1), (Path{3, 2, 1}));
  EXPECT_EQ(path(r, 4, 1, 0), (Path{1, 0}));
}

TEST(GenRouting, TiesGoToTheSmallestNextHop) {
  // A 4-cycle 0-1-2-3-0: 0->2 and 2->0 have two 2-hop paths; the smaller-id next hop wins.
  const Graph g = make_graph(4, E({{0, 1}, {1, 2}, {2, 3}, {0, 3}}));
  const auto r = min_hop_routing(g);
  EXPECT_EQ(path(r, 4, 0, 2), (Path{0, 1, 2}));
  EXPECT_EQ(path(r, 4, 2, 0), (Path{2, 1, 0}));
  EXPECT_EQ(path(r, 4, 1, 3), (Path{1, 0, 3}));
  EXPECT_EQ(path(r, 4, 3, 1), (Path{3, 0, 1}));
  // Every routing is destination-based: it has a port-matrix form, and validates.
  const auto topo = topo_of(g);
  EXPECT_TRUE(autoopt::io::gnnet::format_routing_matrix(topo, r).has_value());
  EXPECT_TRUE(autoopt::net::validate(r, topo).empty());
}

TEST(GenRouting, WeightsMakeDetours) {
  // Triangle 0-1-2 plus tail 2-3. Making 0-2 cost 2.5 sends 0->2 (and 0->3) through 1.
  const Graph g = make_graph(4, E({{0, 1}, {0, 2}, {1, 2}, {2, 3}}));
  ASSERT_EQ(g.edges, E({{0, 1}, {0, 2}, {1, 2}, {2, 3}}));
  const std::vector<double> w{1.0, 2.5, 1.0, 1.0};
  const auto r = shortest_path_routing(g, w);
  EXPECT_EQ(path(r, 4, 0, 2), (Path{0, 1, 2}));
  EXPECT_EQ(path(r, 4, 0, 3), (Path{0, 1, 2, 3}));
  EXPECT_EQ(path(r, 4, 3, 0), (Path{3, 2, 1, 0}));
  // An extra weight of 0.5 is not enough for a 2-hop detour.
  const std::vector<double> small{1.0, 1.5, 1.0, 1.0};
  EXPECT_EQ(path(shortest_path_routing(g, small), 4, 0, 2), (Path{0, 2}));
  const auto topo = topo_of(g);
  EXPECT_TRUE(autoopt::net::validate(r, topo).empty());
}

TEST(GenRouting, DisconnectedPairsHaveNoPath) {
  const Graph g = make_graph(4, E({{0, 1}, {2, 3}}));
  const auto r = min_hop_routing(g);
  EXPECT_TRUE(path(r, 4, 0, 2).empty());
  EXPECT_EQ(path(r, 4, 3, 2), (Path{3, 2}));
}

TEST(GenRouting, BadWeightsThrow) {
  const Graph g = make_graph(3, E({{0, 1}, {1, 2}}));
  const std::vector<double> one{1.0};
  EXPECT_THROW((void)shortest_path_routing(g, one), autoopt::Error);
  const std::vector<double> zero{1.0, 0.0};
  try {
    (void)shortest_path_routing(g, zero);
    FAIL();
  } catch (const autoopt::Error& e) {
    EXPECT_NE(std::string(e.what()).find("weight of edge 1-2 is 0"), std::string::npos) << e.what();
  }
}

TEST(GenRouting, PerturbedWeights) {
  const Graph g = make_graph(5, E({{0, 1}, {1, 2}, {2, 3}, {3, 4}, {0, 4}, {1, 3}}));
  Rng a(9), b(9);
  const auto w = perturbed_weights(g, 2, 1.5, a);
  EXPECT_EQ(w, perturbed_weights(g, 2, 1.5, b));
  ASSERT_EQ(w.size(), g.edges.size());
  EXPECT_EQ(std::count(w.begin(), w.end(), 2.5), 2);
  EXPECT_EQ(std::count(w.begin(), w.end(), 1.0), 4);
  Rng c(1);
  const auto all = perturbed_weights(g, 100, 0.5, c);
  EXPECT_EQ(std::count(all.begin(), all.end(), 1.5), 6);
  // Over many draws, every edge gets picked sometimes (the choice is not fixed).
  std::vector<int> hits(g.edges.size(), 0);
  for (std::uint64_t s = 0; s < 200; ++s) {
    Rng r(s);
    const auto ws = perturbed_weights(g, 1, 1.0, r);
    for (std::size_t e = 0; e < ws.size(); ++e) hits[e] += ws[e] > 1.0 ? 1 : 0;
  }
  for (const int h : hits) EXPECT_GT(h, 10);
}
