// Synthetic labelled samples for the model tests and benches: a ring of n FIFO nodes with random
// chords (bidirectional links), shortest-path routing (BFS, lowest id first), one Poisson flow of
// 1000-bit packets per ordered pair, and labels from a per-hop M/M/1 formula: each hop adds
// w = (1000 / capacity) / (1 - rho_link) to the delay and w^2 to the variance; no losses.
// Also: renumbering the nodes of a sample consistently (topology, routing, traffic, results).
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <numeric>
#include <random>
#include <vector>

#include "net/sample.hpp"

namespace autoopt::testing {

inline net::Sample synthetic_sample(int n, std::uint64_t seed, bool with_results = true) {
  std::mt19937_64 rng(seed);
  net::Sample s;
  s.id = static_cast<std::int64_t>(seed);
  s.graph_name = "synthetic-" + std::to_string(n) + "-" + std::to_string(seed) + ".txt";
  s.routing_name = "synthetic-routing";
  s.dataset_tag = "synthetic";
  auto& t = s.topology;
  t.levels_tos = 1;
  t.nodes.resize(static_cast<std::size_t>(n));
  for (auto& node : t.nodes) {
    node.policy = net::Policy::FIFO;
    node.buffer_bits = {64000};
    node.queue_tos = {{0}};
  }
  const auto N = static_cast<std::size_t>(n);
  std::vector<std::vector<char>> adj(N, std::vector<char>(N, 0));
  std::vector<std::pair<int, int>> edges;
  const auto add_edge = [&](int a, int b) {
    if (a == b || adj[static_cast<std::size_t>(a)][static_cast<std::size_t>(b)]) return;
    adj[static_cast<std::size_t>(a)][static_cast<std::size_t>(b)] = 1;
    adj[static_cast<std::size_t>(b)][static_cast<std::size_t>(a)] = 1;
    edges.emplace_back(a, b);
  };
  for (int i = 0; i < n; ++i) add_edge(i, (i + 1) % n);
  std::uniform_int_distribution<int> node(0, n - 1);
  for (int c = 0; c < n / 2; ++c) add_edge(node(rng), node(rng));
  const double caps[] = {1e4, 2.5e4, 4e4};
  std::uniform_int_distribution<int> cap_pick(0, 2);
  std::vector<int> ports(N, 0);
  std::vector<net::Link> links;
  for (const auto& [a, b] : edges) {
    const double cap = caps[cap_pick(rng)];
    links.push_back({a, b, 0, cap});
    links.push_back({b, a, 0, cap});
  }
  std::stable_sort(links.begin(), links.end(), [](const net::Link& x, const net::Link& y) { return x.src < y.src; });
  for (auto& l : links) l.port = ports[static_cast<std::size_t>(l.src)]++;
  t.links = links;

  s.routing.paths.assign(N * N, {});
  for (int a = 0; a < n; ++a) {  // BFS tree from a; route to b = reversed parent chain
    std::vector<int> parent(N, -1);
    parent[static_cast<std::size_t>(a)] = a;
    std::deque<int> q{a};
    while (!q.empty()) {
      const int u = q.front();
      q.pop_front();
      for (int v = 0; v < n; ++v) {
        if (adj[static_cast<std::size_t>(u)][static_cast<std::size_t>(v)] && parent[static_cast<std::size_t>(v)] < 0) {
          parent[static_cast<std::size_t>(v)] = u;
          q.push_back(v);
        }
      }
    }
    for (int b = 0; b < n; ++b) {
      if (a == b) continue;
      std::vector<int> route{b};
      while (route.back() != a) route.push_back(parent[static_cast<std::size_t>(route.back())]);
      std::reverse(route.begin(), route.end());
      s.routing.paths[static_cast<std::size_t>(a * n + b)] = route;
    }
  }
  s.traffic.pairs.assign(N * N, {});
  std::uniform_real_distribution<double> rate(0.002, 0.02);
  std::vector<double> link_bps(t.links.size(), 0.0);
  for (std::size_t k = 0; k < N * N; ++k) {
    const auto& route = s.routing.paths[k];
    if (route.empty()) continue;
    net::Flow f;
    f.time_dist = net::TimeDist::Poisson;
    f.eq_lambda_bps = rate(rng) * 1e4;
    f.time_params = {f.eq_lambda_bps / 1000.0, 10};
    f.size_dist = net::SizeDist::Deterministic;
    f.avg_pkt_size_bits = 1000;
    f.tos = 0;
    s.traffic.pairs[k] = {f};
    for (std::size_t h = 0; h + 1 < route.size(); ++h)
      link_bps[static_cast<std::size_t>(t.find_link(route[h], route[h + 1]))] += f.eq_lambda_bps;
  }
  s.traffic.max_avg_lambda = 1e4;
  if (!with_results) return s;
  net::Results r;
  r.pairs.assign(N * N, net::PathStats{});
  r.ports.resize(t.links.size());
  for (std::size_t k = 0; k < N * N; ++k) {
    const auto& route = s.routing.paths[k];
    if (route.empty()) continue;
    double delay = 0.0, var = 0.0;
    for (std::size_t h = 0; h + 1 < route.size(); ++h) {
      const auto l = static_cast<std::size_t>(t.find_link(route[h], route[h + 1]));
      const double cap = t.links[l].bandwidth_bps;
      const double rho = std::min(0.95, link_bps[l] / cap);
      const double w = (1000.0 / cap) / (1.0 - rho);
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
  s.results = r;
  return s;
}

// The same network with node i renamed perm[i]: nodes, links (regrouped by new source, ports kept),
// routes, pair-indexed traffic and results, per-flow results and port statistics all follow.
inline net::Sample renumber(const net::Sample& s, const std::vector<int>& perm) {
  const auto N = static_cast<std::size_t>(s.num_nodes());
  net::Sample r = s;
  for (std::size_t i = 0; i < N; ++i) r.topology.nodes[static_cast<std::size_t>(perm[i])] = s.topology.nodes[i];
  std::vector<std::size_t> order(s.topology.links.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return perm[static_cast<std::size_t>(s.topology.links[a].src)] < perm[static_cast<std::size_t>(s.topology.links[b].src)];
  });
  for (std::size_t j = 0; j < order.size(); ++j) {
    net::Link l = s.topology.links[order[j]];
    l.src = perm[static_cast<std::size_t>(l.src)];
    l.dst = perm[static_cast<std::size_t>(l.dst)];
    r.topology.links[j] = l;
    if (s.results && !s.results->ports.empty()) r.results->ports[j] = s.results->ports[order[j]];
  }
  const auto newk = [&](std::size_t k) {
    return static_cast<std::size_t>(perm[k / N]) * N + static_cast<std::size_t>(perm[k % N]);
  };
  for (std::size_t k = 0; k < N * N; ++k) {
    auto route = s.routing.paths[k];
    for (int& v : route) v = perm[static_cast<std::size_t>(v)];
    r.routing.paths[newk(k)] = route;
    r.traffic.pairs[newk(k)] = s.traffic.pairs[k];
    if (s.results) r.results->pairs[newk(k)] = s.results->pairs[k];
  }
  if (s.results && !s.results->flows.empty()) {
    std::vector<std::size_t> first(N * N + 1, 0);  // first flow record of each old pair
    for (std::size_t k = 0; k < N * N; ++k) first[k + 1] = first[k] + s.traffic.pairs[k].size();
    std::vector<std::size_t> old_of_new(N * N);
    for (std::size_t k = 0; k < N * N; ++k) old_of_new[newk(k)] = k;
    r.results->flows.clear();
    for (std::size_t k2 = 0; k2 < N * N; ++k2) {
      const std::size_t k = old_of_new[k2];
      for (std::size_t f = first[k]; f < first[k + 1]; ++f) r.results->flows.push_back(s.results->flows[f]);
    }
  }
  return r;
}

}  // namespace autoopt::testing
